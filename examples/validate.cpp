// validate.cpp — validate one parachain candidate through libpvf from C++ (the public headers
// carry their extern "C" guards).
//
//   c++ -std=c++17 validate.cpp $(pkg-config --cflags --libs libpvf) -o validate-cpp
//   ./validate-cpp CODE PARAMS      exit status 0: valid, 1: not valid, 2: an error
#include <pvf/host.h>
#include <pvf/version.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace {

std::vector<uint8_t> read_file(const char *path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(std::string("cannot read ") + path);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The host, stopped (every worker and job gone, every request answered) when it goes out of scope.
struct host_deleter {
    void operator()(pvf_host *h) const { pvf_host_stop(h); }
};
using host_ptr = std::unique_ptr<pvf_host, host_deleter>;

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CODE PARAMS\n", argv[0]);
        return 2;
    }
    try {
        std::vector<uint8_t> code = read_file(argv[1]), params = read_file(argv[2]);
        char err[1024];
        pvf_execute_request rq;
        pvf_execute_request_init(&rq);
        rq.code = code.data();
        rq.code_len = code.size();
        rq.kind = PVF_KIND_BACKING;
        if (!pvf_execute_request_set_params(&rq, params.data(), params.size(), err, sizeof err))
            throw std::runtime_error(std::string(argv[2]) + ": " + err);

        char cache[] = "/tmp/pvf-example-XXXXXX";
        if (!mkdtemp(cache))
            throw std::runtime_error("mkdtemp failed");
        pvf_host_config cfg;
        pvf_host_config_init(&cfg);
        cfg.cache_dir = cache;
        host_ptr host(pvf_host_start(&cfg, err, sizeof err));
        if (!host)
            throw std::runtime_error(err);

        std::unique_ptr<pvf_execute_result, decltype(&pvf_execute_result_free)> r(
            pvf_host_execute(host.get(), &rq), pvf_execute_result_free);
        if (!r)
            throw std::bad_alloc();
        bool valid = r->verdict == PVF_VERDICT_VALID;
        std::printf("libpvf %s from C++: %s", pvf_version(), pvf_verdict_name(r->verdict));
        if (valid)
            std::printf(", a %zu-byte ValidationResult\n", r->result_len);
        else
            std::printf(": %s: %s\n", r->reason, r->message);
        r.reset();
        host.reset();
        rmdir(cache);
        return valid ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}

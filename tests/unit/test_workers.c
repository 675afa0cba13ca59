/*
 * test_workers.c — the real worker binaries (build/bin/pvf-prepare-worker,
 * build/bin/pvf-execute-worker), with this test playing the host: a Unix
 * listening socket in a temp dir, fork + exec of the binary with an empty
 * environment, the handshakes of docs/PROTOCOL.md §3, then requests.
 *
 * Expected values come from the test data (the adder chain's expected
 * results were produced by V8), from the file the worker wrote (its checksum
 * is recomputed here), and from the reference's verdict classes.
 */
#define _GNU_SOURCE
#include "test.h"

#include "wire/protocol.h"
#include "runtime/hashing.h"
#include "runtime/validation.h"
#include "worker/worker_common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct worker_proc {
    pid_t pid;
    int sock;
    char dir[64];
} worker_proc;

/* build/bin/pvf-NAME (BUILD overrides "build"); NULL, with a failed check, when missing. */
static const char *worker_binary(const char *name)
{
    static char path[256];
    const char *build = getenv("BUILD");
    snprintf(path, sizeof path, "%s/bin/pvf-%s", build && *build ? build : "build", name);
    if (access(path, X_OK) != 0) {
        test_fail(__FILE__, __LINE__, "worker binary %s missing (run make from the repo root)", path);
        return NULL;
    }
    return path;
}

static void exec_worker(const char *bin, const char *sock_path, const char *dir)
{
    char log[128];
    snprintf(log, sizeof log, "%s/worker.log", dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    char *argv[] = {(char *)bin, "--socket", (char *)sock_path, "--worker-dir", (char *)dir, NULL};
    char *envp[] = {NULL};
    execve(bin, argv, envp);
    _exit(127);
}

/* Spawn the worker and accept its connection. False (with a failed check) on error. */
static bool spawn_worker(const char *name, worker_proc *wp)
{
    memset(wp, 0, sizeof *wp);
    wp->pid = -1;
    wp->sock = -1;
    const char *bin = worker_binary(name);
    if (!bin)
        return false;
    snprintf(wp->dir, sizeof wp->dir, "/tmp/pvf-wtest-XXXXXX");
    if (!mkdtemp(wp->dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return false;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/sock", wp->dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1) != 0) {
        test_fail(__FILE__, __LINE__, "listen on %s: %s", addr.sun_path, strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return false;
    }
    wp->pid = fork();
    if (wp->pid == 0)
        exec_worker(bin, addr.sun_path, wp->dir);
    struct pollfd pfd = {lfd, POLLIN, 0};
    if (wp->pid > 0 && poll(&pfd, 1, 3000) == 1)
        wp->sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    if (wp->sock < 0)
        test_fail(__FILE__, __LINE__, "worker %s did not connect within 3 s", name);
    return wp->sock >= 0;
}

static bool send_msg(int fd, scale_writer *w)
{
    char err[200];
    bool ok = proto_send(fd, w, err, sizeof err);
    if (!ok)
        test_fail(__FILE__, __LINE__, "send: %s", err);
    return ok;
}

/* The versioned handshake, host side; the worker's version is returned in *theirs. */
static bool version_handshake(worker_proc *wp, const char *node_version, char *theirs, size_t size)
{
    scale_writer w;
    scale_writer_init(&w);
    proto_version_handshake hs = {PROTO_VERSION, proto_str(node_version)};
    proto_version_handshake_write(&w, &hs);
    if (!send_msg(wp->sock, &w))
        return false;
    uint8_t *p;
    size_t n;
    char err[200];
    if (!frame_read(wp->sock, PROTO_MAX_SMALL_MESSAGE, &p, &n, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "version handshake reply: %s", err);
        return false;
    }
    wasm_error e;
    bool ok = proto_version_handshake_decode(p, n, &hs, &e);
    CHECK(ok);
    if (ok) {
        CHECK_EQ_U64(hs.protocol_version, PROTO_VERSION);
        snprintf(theirs, size, "%.*s", (int)hs.version.len, (const char *)hs.version.ptr);
    }
    free(p);
    return ok;
}

/* Spawn + both handshakes (+ the execute Handshake with empty executor params). */
static bool start_worker(const char *name, worker_proc *wp)
{
    if (!spawn_worker(name, wp))
        return false;
    char theirs[64];
    if (!version_handshake(wp, WORKER_VERSION, theirs, sizeof theirs))
        return false;
    CHECK(!strcmp(theirs, WORKER_VERSION));
    scale_writer w;
    scale_writer_init(&w);
    proto_security_status sec = {false, false, false, false, false};
    proto_worker_handshake_write(&w, &sec);
    if (!send_msg(wp->sock, &w))
        return false;
    if (!strcmp(name, "execute-worker")) {
        executor_params ep;
        executor_params_init(&ep);
        scale_writer_init(&w);
        proto_exec_handshake_write(&w, &ep);
        if (!send_msg(wp->sock, &w))
            return false;
    }
    return true;
}

/* Wait for the worker's exit (killing it after timeout_ms); its exit code, or -1. */
static int wait_exit(worker_proc *wp, int timeout_ms)
{
    int status = 0;
    uint64_t deadline = test_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        pid_t r = waitpid(wp->pid, &status, WNOHANG);
        if (r == wp->pid)
            break;
        if (r < 0 || test_now_ms() > deadline) {
            kill(wp->pid, SIGKILL);
            waitpid(wp->pid, &status, 0);
            return -1;
        }
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void remove_dir(const char *dir)
{
    const char *names[] = {"sock", "worker.log", "tmp-artifact", "artifact"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Close the connection: the worker must exit 0. */
static void stop_worker(worker_proc *wp)
{
    if (wp->sock >= 0)
        close(wp->sock);
    wp->sock = -1;
    if (wp->pid > 0)
        CHECK_EQ_U64(wait_exit(wp, 3000), WORKER_EXIT_OK);
    remove_dir(wp->dir);
}

/* ---------------------------------------------------------------- prepare */

/* Send PvfPrepData for `code` and decode the answer into *r (payload in *buf). */
static bool prepare_with(worker_proc *wp, const uint8_t *code, size_t len, uint64_t timeout_ms,
                         const executor_params *ep, uint32_t bomb_limit, proto_prepare_result *r,
                         uint8_t **buf)
{
    proto_pvf_prep_data req;
    memset(&req, 0, sizeof req);
    req.maybe_compressed_code = (scale_bytes){code, len};
    req.validation_code_bomb_limit = bomb_limit ? bomb_limit : 30u << 20;
    if (ep)
        req.executor_params = *ep;
    else
        executor_params_init(&req.executor_params);
    req.prep_timeout = proto_duration_from_ms(timeout_ms);
    req.prep_kind = PROTO_PREP_COMPILATION;
    scale_writer w;
    scale_writer_init(&w);
    proto_pvf_prep_data_write(&w, &req);
    if (!send_msg(wp->sock, &w))
        return false;
    size_t n;
    char err[200];
    if (!frame_read(wp->sock, PROTO_MAX_SMALL_MESSAGE, buf, &n, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "prepare result: %s", err);
        return false;
    }
    wasm_error e;
    bool ok = proto_prepare_result_decode(*buf, n, r, &e);
    CHECK(ok);
    return ok;
}

static bool prepare(worker_proc *wp, const uint8_t *code, size_t len, uint64_t timeout_ms,
                    proto_prepare_result *r, uint8_t **buf)
{
    return prepare_with(wp, code, len, timeout_ms, NULL, 0, r, buf);
}

/* Prepare `code` with a fresh prepare worker and move the artifact to dest
 * (an execute worker's dir); fills checksum. */
static bool prepare_into(const uint8_t *code, size_t len, const char *dest_dir, uint8_t checksum[32])
{
    worker_proc wp;
    bool ok = false;
    if (start_worker("prepare-worker", &wp)) {
        proto_prepare_result r;
        uint8_t *buf = NULL;
        if (prepare(&wp, code, len, 10000, &r, &buf) && r.ok) {
            char src[128], dst[128];
            snprintf(src, sizeof src, "%s/tmp-artifact", wp.dir);
            snprintf(dst, sizeof dst, "%s/artifact", dest_dir);
            memcpy(checksum, r.checksum, 32);
            ok = rename(src, dst) == 0;
        }
        free(buf);
    }
    stop_worker(&wp);
    CHECK(ok);
    return ok;
}

TEST(worker_prepare_adder)
{
    size_t len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    if (!code)
        return;
    worker_proc wp;
    if (start_worker("prepare-worker", &wp)) {
        proto_prepare_result r;
        uint8_t *buf = NULL;
        if (prepare(&wp, code, len, 10000, &r, &buf)) {
            CHECK(r.ok);
            CHECK_EQ_U64(r.stats.observed_wasm_code_len, len);
            CHECK(proto_duration_to_ns(r.stats.cpu_time_elapsed) > 0);
            CHECK(r.stats.memory_stats.has_max_rss && r.stats.memory_stats.max_rss > 0);
            char path[128];
            snprintf(path, sizeof path, "%s/tmp-artifact", wp.dir);
            size_t alen = 0;
            uint8_t *art = test_read_file(path, &alen);
            CHECK(art && alen > 0);
            if (art) {
                uint8_t sum[32];
                hash_twox_256(art, alen, sum);
                CHECK(!memcmp(sum, r.checksum, 32));
            }
            free(art);
        }
        free(buf);

        /* The same worker goes on: garbage is a Prevalidation error. */
        static const uint8_t garbage[] = "this is not wasm at all";
        buf = NULL;
        if (prepare(&wp, garbage, sizeof garbage, 10000, &r, &buf)) {
            CHECK(!r.ok);
            CHECK_EQ_U64(r.error.kind, PREP_ERR_PREVALIDATION);
            CHECK(r.error.msg.len > 0);
        }
        free(buf);
    }
    stop_worker(&wp);
    free(code);
}

TEST(worker_prepare_timeout)
{
    size_t len;
    uint8_t *code = test_read_data("pvf/smoldot__chainspec_rococo.wasm.zstdblob", &len);
    if (!code)
        return;
    worker_proc wp;
    if (start_worker("prepare-worker", &wp)) {
        proto_prepare_result r;
        uint8_t *buf = NULL;
        uint64_t t0 = test_now_ms();
        if (prepare(&wp, code, len, 1, &r, &buf)) {   /* 1 ms of CPU: far too little */
            CHECK(!r.ok);
            CHECK_EQ_U64(r.error.kind, PREP_ERR_TIMED_OUT);
        }
        CHECK(test_now_ms() - t0 < 3000);
        free(buf);
    }
    stop_worker(&wp);
    free(code);
}

/* PrecheckingMaxMemory: 16 MiB is far too little to prepare rococo (8 MB of
 * Wasm), 1 GiB is plenty. Below the limit range of executor_params_check on
 * purpose: the worker applies what it is given. */
TEST(worker_prepare_memory_limit)
{
    size_t len;
    uint8_t *code = test_read_data("pvf/smoldot__chainspec_rococo.wasm.zstdblob", &len);
    if (!code)
        return;
    worker_proc wp;
    if (start_worker("prepare-worker", &wp)) {
        static const uint64_t limits[2] = {16ull << 20, 1ull << 30};
        for (int i = 0; i < 2; i++) {
            executor_params ep;
            executor_params_init(&ep);
            executor_param mem = {EXEC_PARAM_PRECHECKING_MAX_MEMORY, 0, limits[i]};
            CHECK(executor_params_push(&ep, mem));
            proto_prepare_result r;
            uint8_t *buf = NULL;
            if (prepare_with(&wp, code, len, 20000, &ep, 0, &r, &buf)) {
                if (i == 0) {
                    CHECK(!r.ok);
                    if (!test_under_asan())
                        CHECK_EQ_U64(r.error.kind, PREP_ERR_OUT_OF_MEMORY);
                } else {
                    CHECK(r.ok);
                }
            }
            free(buf);
            executor_params_free(&ep);
        }
        /* Decompressed, rococo is 3.5 MB: a 1 MiB bomb limit refuses it. */
        proto_prepare_result r;
        uint8_t *buf = NULL;
        if (prepare_with(&wp, code, len, 20000, NULL, 1u << 20, &r, &buf)) {
            CHECK(!r.ok);
            CHECK_EQ_U64(r.error.kind, PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB);
            char msg[200];
            snprintf(msg, sizeof msg, "%.*s", (int)r.error.msg.len, (const char *)r.error.msg.ptr);
            CHECK_STR_CONTAINS(msg, "bomb");
        }
        free(buf);
    }
    stop_worker(&wp);
    free(code);
}

/* ---------------------------------------------------------------- execute */

/* Send an ExecuteRequest for an encoded ValidationParams file's contents. */
static const scale_bytes *pov_override;     /* replaces the params' block data when set */

static bool execute(worker_proc *wp, const uint8_t *params, size_t params_len,
                    const uint8_t checksum[32], uint64_t timeout_ms, proto_execute_result *r,
                    uint8_t **buf)
{
    validation_params vp;
    wasm_error e;
    if (!validation_params_decode_all(params, params_len, &vp, &e)) {
        test_fail(__FILE__, __LINE__, "bad params file: %s", e.msg);
        return false;
    }
    proto_execute_request req;
    memset(&req, 0, sizeof req);
    req.pvd.parent_head = vp.parent_head;
    req.pvd.relay_parent_number = vp.relay_parent_number;
    memcpy(req.pvd.relay_parent_storage_root, vp.relay_parent_storage_root, 32);
    req.pvd.max_pov_size = 5u << 20;
    req.pov = pov_override ? *pov_override : vp.block_data;
    req.execution_timeout = proto_duration_from_ms(timeout_ms);
    memcpy(req.artifact_checksum, checksum, 32);
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_request_write(&w, &req);
    if (!send_msg(wp->sock, &w))
        return false;
    size_t n;
    char err[200];
    if (!frame_read(wp->sock, PROTO_MAX_EXECUTE_RESPONSE, buf, &n, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "execute result: %s", err);
        return false;
    }
    bool ok = proto_execute_result_decode(*buf, n, r, &e);
    CHECK(ok);
    return ok;
}

TEST(worker_execute_adder)
{
    size_t code_len, p0_len, x0_len, bad_len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &code_len);
    uint8_t *p0 = test_read_data("inputs/adder/000.params.scale", &p0_len);
    uint8_t *x0 = test_read_data("inputs/adder/000.expected_result.scale", &x0_len);
    uint8_t *bad = test_read_data("inputs/adder/bad_state_mismatch.params.scale", &bad_len);
    worker_proc wp;
    uint8_t sum[32];
    if (code && p0 && x0 && bad && start_worker("execute-worker", &wp)) {
        if (prepare_into(code, code_len, wp.dir, sum)) {
            proto_execute_result r;
            uint8_t *buf = NULL;
            if (execute(&wp, p0, p0_len, sum, 2000, &r, &buf)) {
                CHECK(r.ok);
                CHECK_EQ_U64(r.job_response.kind, JOB_RESP_OK);
                CHECK(proto_duration_to_ns(r.duration) > 0);
                scale_writer w;
                scale_writer_init(&w);
                validation_result_encode(&r.job_response.result, &w);
                uint8_t *enc;
                size_t enc_len;
                if (scale_writer_finish(&w, &enc, &enc_len)) {
                    CHECK_EQ_U64(enc_len, x0_len);
                    CHECK(enc_len == x0_len && !memcmp(enc, x0, x0_len));
                    free(enc);
                }
                proto_execute_result_free(&r);
            }
            free(buf);

            buf = NULL;
            if (execute(&wp, bad, bad_len, sum, 2000, &r, &buf)) {
                CHECK(r.ok);
                CHECK_EQ_U64(r.job_response.kind, JOB_RESP_INVALID_CANDIDATE);
                CHECK(r.job_response.msg.len > 0);
                proto_execute_result_free(&r);
            }
            free(buf);

            /* A checksum that doesn't match the file: CorruptedArtifact, no job. */
            uint8_t wrong[32];
            memcpy(wrong, sum, 32);
            wrong[0] ^= 1;
            buf = NULL;
            if (execute(&wp, p0, p0_len, wrong, 2000, &r, &buf)) {
                CHECK(r.ok);
                CHECK_EQ_U64(r.job_response.kind, JOB_RESP_CORRUPTED_ARTIFACT);
                CHECK_EQ_U64(proto_duration_to_ns(r.duration), 0);
                proto_execute_result_free(&r);
            }
            free(buf);

            /* A PoV with the compressed-blob magic but no valid zstd stream. */
            static const uint8_t bad_pov[] = {0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05,
                                              0xde, 0xad, 0xbe, 0xef};
            scale_bytes pov = {bad_pov, sizeof bad_pov};
            pov_override = &pov;
            buf = NULL;
            if (execute(&wp, p0, p0_len, sum, 2000, &r, &buf)) {
                CHECK(r.ok);
                CHECK_EQ_U64(r.job_response.kind, JOB_RESP_POV_DECOMPRESSION_FAILURE);
                proto_execute_result_free(&r);
            }
            pov_override = NULL;
            free(buf);

            /* The file corrupted on disk, the right checksum in the request. */
            char path[128];
            snprintf(path, sizeof path, "%s/artifact", wp.dir);
            FILE *f = fopen(path, "r+b");
            CHECK(f != NULL);
            if (f) {
                int c = fgetc(f);
                fseek(f, 0, SEEK_SET);
                fputc(c ^ 0xff, f);
                fclose(f);
            }
            buf = NULL;
            if (execute(&wp, p0, p0_len, sum, 2000, &r, &buf)) {
                CHECK(r.ok);
                CHECK_EQ_U64(r.job_response.kind, JOB_RESP_CORRUPTED_ARTIFACT);
                proto_execute_result_free(&r);
            }
            free(buf);
        }
    }
    if (code && p0 && x0 && bad)
        stop_worker(&wp);
    free(code);
    free(p0);
    free(x0);
    free(bad);
}

TEST(worker_execute_halt_times_out)
{
    size_t code_len, p0_len;
    uint8_t *code = test_read_file("tests/fixtures/halt.wasm", &code_len);
    uint8_t *p0 = test_read_data("inputs/adder/000.params.scale", &p0_len);
    CHECK(code != NULL);
    worker_proc wp;
    uint8_t sum[32];
    if (code && p0 && start_worker("execute-worker", &wp)) {
        if (prepare_into(code, code_len, wp.dir, sum)) {
            proto_execute_result r;
            uint8_t *buf = NULL;
            uint64_t t0 = test_now_ms();
            if (execute(&wp, p0, p0_len, sum, 300, &r, &buf)) {
                uint64_t took = test_now_ms() - t0;
                CHECK(!r.ok);
                CHECK_EQ_U64(r.error.kind, WORKER_ERR_JOB_TIMED_OUT);
                CHECK(took >= 300);
                CHECK(took < 2000);
                proto_execute_result_free(&r);
            }
            free(buf);
        }
    }
    if (code && p0)
        stop_worker(&wp);
    free(code);
    free(p0);
}

/* ---------------------------------------------------------------- start-up and bad frames */

TEST(worker_version_mismatch)
{
    worker_proc wp;
    if (spawn_worker("prepare-worker", &wp)) {
        char theirs[64] = "";
        version_handshake(&wp, "9.9.9-not-us", theirs, sizeof theirs);
        CHECK(!strcmp(theirs, WORKER_VERSION));     /* it answers before stopping */
        CHECK_EQ_U64(wait_exit(&wp, 3000), WORKER_EXIT_VERSION_MISMATCH);
        close(wp.sock);
    }
    remove_dir(wp.dir);
}

TEST(worker_bad_frames)
{
    /* A truncated frame: 8 length bytes announcing 100, then 3 bytes and EOF. */
    worker_proc wp;
    if (start_worker("prepare-worker", &wp)) {
        static const uint8_t frame[] = {100, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3};
        CHECK(write(wp.sock, frame, sizeof frame) == (ssize_t)sizeof frame);
        shutdown(wp.sock, SHUT_WR);
        CHECK_EQ_U64(wait_exit(&wp, 3000), WORKER_EXIT_ERROR);
        close(wp.sock);
    }
    remove_dir(wp.dir);

    /* A complete frame that is not an ExecuteRequest: HostCommunication, then exit 1. */
    if (start_worker("execute-worker", &wp)) {
        static const uint8_t junk[] = {0xff, 0xff, 0xff};
        CHECK(frame_write(wp.sock, junk, sizeof junk, NULL, 0));
        uint8_t *p = NULL;
        size_t n;
        if (frame_read(wp.sock, PROTO_MAX_SMALL_MESSAGE, &p, &n, NULL, 0)) {
            proto_execute_result r;
            wasm_error e;
            CHECK(proto_execute_result_decode(p, n, &r, &e));
            CHECK(!r.ok);
            CHECK_EQ_U64(r.error.kind, WORKER_ERR_INTERNAL);
            CHECK_EQ_U64(r.error.internal.kind, INTERNAL_ERR_HOST_COMMUNICATION);
        } else {
            CHECK(!"no HostCommunication error");
        }
        free(p);
        CHECK_EQ_U64(wait_exit(&wp, 3000), WORKER_EXIT_ERROR);
        close(wp.sock);
    }
    remove_dir(wp.dir);

    /* A frame too large for a handshake, before the version exchange. */
    if (spawn_worker("execute-worker", &wp)) {
        static const uint8_t huge[] = {0, 0, 0, 0, 0, 0, 0, 0x40};
        CHECK(write(wp.sock, huge, sizeof huge) == (ssize_t)sizeof huge);
        CHECK_EQ_U64(wait_exit(&wp, 3000), WORKER_EXIT_ERROR);
        close(wp.sock);
    }
    remove_dir(wp.dir);
}

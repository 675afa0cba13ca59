/*
 * validate.c — validate one parachain candidate through libpvf, as a node written in C would.
 *
 *   cc validate.c $(pkg-config --cflags --libs libpvf) -o validate
 *   ./validate CODE PARAMS     CODE: the PVF (wasm, maybe zstd-compressed);
 *                              PARAMS: its SCALE-encoded ValidationParams
 *
 * Prints the verdict; exit status 0 when the candidate is valid, 1 when not, 2 on an error.
 * Only the installed public headers are used. The worker binaries are found where
 * `make install` put them (pvf_find_workers).
 */
#define _POSIX_C_SOURCE 200809L  /* mkdtemp */
#include <pvf/host.h>
#include <pvf/version.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            unsigned char *p = realloc(buf, cap ? cap * 2 : 65536);
            if (!p)
                break;
            buf = p;
            cap = cap ? cap * 2 : 65536;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        *len += n;
        if (n == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The host's warnings and errors (a sandbox layer missing, a worker that died) on our stderr:
 * the library itself writes nowhere. */
static void log_to_stderr(void *user, pvf_log_level level, const char *message)
{
    (void)user;
    fprintf(stderr, "%s: %s\n", level == PVF_LOG_ERROR ? "error" : "warning", message);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CODE PARAMS\n", argv[0]);
        return 2;
    }
    size_t code_len, params_len;
    unsigned char *code = read_file(argv[1], &code_len), *params = read_file(argv[2], &params_len);
    if (!code || !params) {
        fprintf(stderr, "cannot read %s\n", code ? argv[2] : argv[1]);
        return 2;
    }
    char cache[] = "/tmp/pvf-example-XXXXXX", err[1024];
    if (!mkdtemp(cache)) {
        perror("mkdtemp");
        return 2;
    }
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);  /* its size, so that another libpvf knows which fields it has */
    rq.code = code;
    rq.code_len = code_len;
    rq.kind = PVF_KIND_BACKING;
    if (!pvf_execute_request_set_params(&rq, params, params_len, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[2], err);
        return 2;
    }

    pvf_host_config cfg;
    pvf_host_config_init(&cfg);
    cfg.cache_dir = cache;
    cfg.log = log_to_stderr;
    pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
    if (!h) {
        fprintf(stderr, "libpvf %s: %s\n", pvf_version(), err);
        return 2;
    }
    pvf_execute_result *r = pvf_host_execute(h, &rq);
    if (!r) {
        fprintf(stderr, "libpvf: out of memory\n");
        return 2;
    }
    printf("libpvf %s (compiled against %s): %s", pvf_version(), PVF_VERSION, pvf_verdict_name(r->verdict));
    if (r->verdict == PVF_VERDICT_VALID)
        printf(", a %zu-byte ValidationResult\n", r->result_len);
    else
        printf(": %s: %s\n", r->reason, r->message);
    int rc = r->verdict == PVF_VERDICT_VALID ? 0 : 1;
    pvf_execute_result_free(r);
    pvf_host_stop(h);
    rmdir(cache);
    free(code);
    free(params);
    return rc;
}

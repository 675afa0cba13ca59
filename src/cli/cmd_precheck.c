/*
 * cmd_precheck.c — `pvf precheck --code FILE [--json] [host options]`, and
 * the host options shared with `pvf validate --via host`.
 *
 * By default the code is prechecked through the libpvf host: a prepare
 * worker runs the preparation in a job process with the precheck timeout
 * (reference-behaviour.md §6.2 "Pre-check"): Valid (exit 0), Invalid — a
 * deterministic preparation error — (exit 1) or Failed — anything else, no
 * vote — (exit 2). `--in-process` prepares directly in this process instead.
 *
 * Host options: --cache-dir DIR (kept; default a temporary dir removed on
 * exit), --workers-path DIR (where pvf-prepare-worker / pvf-execute-worker
 * are; default the directory of this executable), --prep-timeout-ms N,
 * --exec-timeout-ms N, --kind backing|approval|dispute.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pvf/host.h"
#include "pvf/runtime.h"
#include "util/file.h"
#include "util/parse.h"

/* The longest timeout the command line takes: a day. Longer is no timeout a validator would use,
 * and an absurd one is a typo to refuse, not a number to multiply (the host saturates anyway). */
#define CLI_TIMEOUT_MAX_MS (24ull * 60 * 60 * 1000)

static bool parse_u64(const char *s, uint64_t *out)
{
    return parse_decimal(s, UINT64_MAX, out);
}

int cli_host_option(int argc, char **argv, int *i, cli_host_opts *o)
{
    const char *a = argv[*i];
    bool has_value = *i + 1 < argc;
    uint64_t n;
    if (!strcmp(a, "--in-process")) {
        o->in_process = true;
        return 1;
    }
    if (!strcmp(a, "--insecure")) {
        o->insecure = true;
        return 1;
    }
    if (!strcmp(a, "--no-sandbox")) {
        o->insecure = o->no_sandbox = true;
        return 1;
    }
    if (!strcmp(a, "--cache-dir") || !strcmp(a, "--workers-path") || !strcmp(a, "--prep-timeout-ms") ||
        !strcmp(a, "--exec-timeout-ms") || !strcmp(a, "--kind") || !strcmp(a, "--via") ||
        !strcmp(a, "--execute-workers") || !strcmp(a, "--metrics") || !strcmp(a, "--job-memory-mb") ||
        !strcmp(a, "--dump-dir") || !strcmp(a, "--executor-params")) {
        if (!has_value) {
            fprintf(stderr, "pvf: %s needs a value\n", a);
            return -1;
        }
        const char *v = argv[++*i];
        if (!strcmp(a, "--cache-dir"))
            o->cache_dir = v;
        else if (!strcmp(a, "--metrics"))
            o->metrics_path = v;
        else if (!strcmp(a, "--dump-dir"))
            o->dump_dir = v;
        else if (!strcmp(a, "--executor-params"))
            o->executor_params_path = v;
        else if (!strcmp(a, "--workers-path"))
            o->workers_path = v;
        else if (!strcmp(a, "--via") && (!strcmp(v, "host") || !strcmp(v, "in-process")))
            o->in_process = !strcmp(v, "in-process"), o->via_set = true;
        else if (!strcmp(a, "--prep-timeout-ms") && parse_u64(v, &o->prep_timeout_ms) && o->prep_timeout_ms &&
                 o->prep_timeout_ms <= CLI_TIMEOUT_MAX_MS)
            ;
        else if (!strcmp(a, "--exec-timeout-ms") && parse_u64(v, &o->exec_timeout_ms) && o->exec_timeout_ms &&
                 o->exec_timeout_ms <= CLI_TIMEOUT_MAX_MS)
            ;
        else if (!strcmp(a, "--execute-workers") && parse_u64(v, &n) && n >= 1 && n <= 64)
            o->execute_workers = (unsigned)n;
        else if (!strcmp(a, "--job-memory-mb") && parse_u64(v, &o->job_memory_mb) && o->job_memory_mb &&
                 o->job_memory_mb <= PVF_JOB_MEMORY_MB_MAX)
            ;
        else if (!strcmp(a, "--kind") && !strcmp(v, "backing"))
            o->kind = PVF_KIND_BACKING;
        else if (!strcmp(a, "--kind") && !strcmp(v, "approval"))
            o->kind = PVF_KIND_APPROVAL;
        else if (!strcmp(a, "--kind") && !strcmp(v, "dispute"))
            o->kind = PVF_KIND_DISPUTE;
        else if (!strcmp(a, "--prep-timeout-ms") || !strcmp(a, "--exec-timeout-ms")) {
            fprintf(stderr, "pvf: bad value for %s: '%s' (a time in ms from 1 to %llu, one day)\n", a, v,
                    (unsigned long long)CLI_TIMEOUT_MAX_MS);
            return -1;
        } else {
            fprintf(stderr, "pvf: bad value for %s: '%s'\n", a, v);
            return -1;
        }
        return 1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove the temporary cache and all in it; true when it is gone. */
static bool remove_temp_cache(const char *dir)
{
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT;
}

/*
 * The temporary cache outlives a `pvf` killed by SIGTERM or SIGKILL (issue 13, finding 8) unless
 * something else removes it: a janitor, forked while we are still one thread, waits for the end
 * of a pipe only we hold — EOF when we are gone, however we went — and removes the dir (after a
 * normal exit cli_host_stop has already done it). It keeps none of our fds, so a caller reading
 * our output sees EOF when we exit, and leads its own session, so the Ctrl-C meant for us does
 * not stop it first. The workers die with the host (PR_SET_PDEATHSIG); it retries while they go.
 */
static void start_janitor(const char *dir)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2 && nul >= 0; fd++)
            dup2(nul, fd);
        dup2(p[0], 3);              /* the read end, kept as fd 3 */
        close_range(4, ~0u, 0);
        setsid();
        char c;
        while (read(3, &c, 1) < 0 && errno == EINTR) {
        }
        for (int i = 0; i < 50 && !remove_temp_cache(dir); i++)
            nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
        _exit(0);
    }
    close(p[0]);
    if (pid < 0)
        close(p[1]);
    /* else p[1] stays open (close-on-exec) until this process ends: that end is the signal */
}

bool cli_host_paths(cli_host_opts *o, char *err, size_t errlen)
{
    if (!pvf_find_workers(o->workers_path, o->prepare_path, o->execute_path, sizeof o->prepare_path, err, errlen))
        return false;
    if (!o->cache_dir && !o->temp_cache[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(o->temp_cache, sizeof o->temp_cache, "%.200s/pvf-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(o->temp_cache)) {
            snprintf(err, errlen, "cannot make a cache dir %s: %s", o->temp_cache, strerror(errno));
            o->temp_cache[0] = 0;
            return false;
        }
        start_janitor(o->temp_cache);
    }
    return true;
}

/* The host's log on our stderr: the CLI's user is the operator reading it. */
static void cli_host_log(void *user, pvf_log_level level, const char *message)
{
    (void)user, (void)level;
    fprintf(stderr, "%s\n", message);
}

/* --executor-params FILE into o->ep; true without the option. */
static bool load_executor_params(cli_host_opts *o, char *err, size_t errlen)
{
    if (!o->executor_params_path || o->ep)
        return true;
    size_t len;
    uint8_t *bytes = file_read(o->executor_params_path, &len);
    if (!bytes) {
        snprintf(err, errlen, "cannot read %s: %s", o->executor_params_path, strerror(errno));
        return false;
    }
    char why[256];
    o->ep = pvf_executor_params_decode(bytes, len, why, sizeof why);
    free(bytes);
    if (!o->ep)
        snprintf(err, errlen, "%s: %s", o->executor_params_path, why);
    return o->ep != NULL;
}

pvf_host *cli_host_start(cli_host_opts *o, char *err, size_t errlen)
{
    if (!load_executor_params(o, err, errlen) || !cli_host_paths(o, err, errlen))
        return NULL;
    pvf_host_config cfg;
    pvf_host_config_init(&cfg);
    cfg.cache_dir = o->cache_dir ? o->cache_dir : o->temp_cache;
    cfg.prepare_worker_path = o->prepare_path;
    cfg.execute_worker_path = o->execute_path;
    cfg.precheck_prep_timeout_ms = o->prep_timeout_ms;
    cfg.lenient_prep_timeout_ms = o->prep_timeout_ms;
    cfg.secure_validator_mode = !o->insecure;
    cfg.no_sandbox = o->no_sandbox;
    cfg.log = cli_host_log;
    cfg.dump_dir = o->dump_dir;
    cfg.log_level = PVF_LOG_WARNING;        /* the sandbox's start-up facts: pvf check-security */
    cfg.tier = cli_native_tier ? PVF_TIER_NATIVE : PVF_TIER_INTERP;
    if (o->execute_workers)
        cfg.execute_workers_max = o->execute_workers;
    cfg.execute_job_memory_mb = o->job_memory_mb;
    pvf_host *h = pvf_host_start(&cfg, err, errlen);
    if (!h)
        cli_host_stop(NULL, o);
    return h;
}


/* --metrics FILE: the host's Prometheus text, as it stands when the command is done. */
static void write_metrics(pvf_host *h, const char *path)
{
    size_t n = pvf_host_metrics_render(h, NULL, 0);
    char *text = malloc(n + 1);
    FILE *f = text ? fopen(path, "w") : NULL;
    if (f) {
        pvf_host_metrics_render(h, text, n + 1);
        fwrite(text, 1, n, f);
    }
    if (!f || fclose(f) != 0)
        fprintf(stderr, "pvf: cannot write the metrics to %s: %s\n", path, strerror(errno));
    free(text);
}

void cli_host_stop(pvf_host *h, cli_host_opts *o)
{
    if (h && o->metrics_path)
        write_metrics(h, o->metrics_path);
    pvf_host_stop(h);
    if (o->temp_cache[0])
        remove_temp_cache(o->temp_cache);
    o->temp_cache[0] = 0;
    pvf_executor_params_free(o->ep);
    o->ep = NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: pvf precheck --code FILE [--json] [--in-process] [--cache-dir DIR]\n"
                    "                    [--workers-path DIR] [--prep-timeout-ms N]\n"
                    "                    [--insecure | --no-sandbox] [--metrics FILE] [--dump-dir DIR]\n"
                    "                    [--executor-params FILE]\n"
                    "Exit 0: valid; 1: invalid; 2: usage error or failed (no vote).\n");
    return EXIT_USAGE;
}

static int precheck_in_process(const char *code_path, bool json)
{
    char err[1024];
    pvf_code *code = cli_load_runtime(code_path, err, sizeof err);
    if (json) {
        printf("{\"outcome\":\"%s\",\"via\":\"in-process\"", code ? "valid" : "invalid");
        if (!code) {
            printf(",\"reason\":");
            json_print_string(stdout, err);
        }
        printf("}\n");
    } else if (code) {
        printf("valid\n");
    } else {
        printf("invalid: %s\n", err);
    }
    pvf_code_free(code);
    return code ? 0 : EXIT_REJECTED;
}

static void print_precheck(const pvf_precheck_result *r, bool json)
{
    const char *name = r->outcome == PVF_PRECHECK_VALID ? "valid"
                       : r->outcome == PVF_PRECHECK_INVALID ? "invalid" : "failed";
    if (!json) {
        if (r->outcome == PVF_PRECHECK_VALID)
            printf("valid (prepare %.3f ms CPU%s)\n", r->prepare_cpu_ns / 1e6, r->cached ? ", cached" : "");
        else
            printf("%s: %s: %s\n", name, r->reason, r->message);
        return;
    }
    printf("{\"outcome\":\"%s\",\"via\":\"host\",\"verdict\":\"%s\"", name, pvf_precheck_outcome_name(r->outcome));
    if (r->outcome != PVF_PRECHECK_VALID) {
        printf(",\"reason\":");
        json_print_string(stdout, r->reason);
        printf(",\"message\":");
        json_print_string(stdout, r->message);
    }
    printf(",\"prepare_cpu_ms\":%.3f,\"cached\":%s}\n", r->prepare_cpu_ns / 1e6, r->cached ? "true" : "false");
}

int cmd_precheck(int argc, char **argv)
{
    const char *code_path = NULL;
    bool json = false;
    cli_host_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++)      /* errors in JSON too, wherever --json stands */
        json = json || !strcmp(argv[i], "--json");
    for (int i = 1; i < argc; i++) {
        int used = cli_host_option(argc, argv, &i, &o);
        if (used < 0)
            return EXIT_USAGE;
        if (used)
            continue;
        if (!strcmp(argv[i], "--code") && i + 1 < argc) code_path = argv[++i];
        else if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "--help")) { usage(); return 0; }
        else if (!strcmp(argv[i], "--code"))
            return cli_fail(json, "precheck", EXIT_USAGE, "--code needs a value");
        else
            return cli_fail(json, "precheck", EXIT_USAGE, "unknown option '%s' (pvf precheck --help)", argv[i]);
    }
    if (!code_path)
        return cli_fail(json, "precheck", EXIT_USAGE, "--code FILE is required (pvf precheck --help)");
    if (o.in_process)
        return precheck_in_process(code_path, json);
    size_t len;
    uint8_t *code = file_read(code_path, &len);
    if (!code)
        return cli_fail(json, "precheck", EXIT_ERROR, "cannot read %s: %s", code_path, strerror(errno));
    char err[1024];
    pvf_host *h = cli_host_start(&o, err, sizeof err);
    if (!h) {
        free(code);
        return cli_fail(json, "precheck", EXIT_ERROR, "%s", err);
    }
    pvf_precheck_result *r = pvf_host_precheck(h, code, len, o.ep);
    cli_host_stop(h, &o);
    free(code);
    if (!r)
        return cli_fail(json, "precheck", EXIT_ERROR, "out of memory");
    print_precheck(r, json);
    int rc = r->outcome == PVF_PRECHECK_VALID ? EXIT_OK : r->outcome == PVF_PRECHECK_INVALID ? EXIT_REJECTED : EXIT_ERROR;
    pvf_precheck_result_free(r);
    return rc;
}

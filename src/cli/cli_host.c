/*
 * cli_host.c — the host options (cli_host_options: --cache-dir, --workers-path, the timeouts,
 * --kind, --insecure, --dump-dir, …) shared by the commands that run work through the libpvf
 * host (validate, precheck, bench-host), and starting and stopping that host for them: the
 * workers found, a temporary cache that never outlives the command, the host's log on stderr,
 * --metrics written at the end.
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
#include "util/file.h"

/* The longest timeout the command line takes: a day. Longer is no timeout a validator would use,
 * and an absurd one is a typo to refuse, not a number to multiply (the host saturates anyway). */
#define CLI_TIMEOUT_MAX_MS (24ull * 60 * 60 * 1000)

const cli_opt cli_host_options[] = {
    { "--in-process", NULL, NULL, "run it in this process: no host, no workers, no sandbox", false },
    { "--daemon", NULL, "SOCKET", "send it to the pvfd listening on SOCKET instead of starting a host here "
      "(the options that configure a host are then pvfd's)", false },
    { "--via", NULL, "host|in-process", "through the host (the default) or --in-process", false },
    { "--cache-dir", NULL, "DIR", "the artifact cache, kept (default: a temporary directory, removed at the end)",
      false },
    { "--workers-path", NULL, "DIR", "where to look first for pvf-prepare-worker and pvf-execute-worker; then the "
      "directory of this program, then $(PREFIX)/lib/pvf. An error lists every path searched", false },
    { "--prep-timeout-ms", NULL, "N", "the preparation's CPU-time limit, 1 ms to a day (default: the executor "
      "params': 60 s to precheck, 360 s to prepare for an execution)", false },
    { "--exec-timeout-ms", NULL, "N", "the execution's CPU-time limit, 1 ms to a day (default: the executor "
      "params': 2 s backing, 12 s approval and dispute)", false },
    { "--kind", NULL, "backing|approval|dispute", "what the execution is for: approval and dispute retry what may "
      "be transient, backing never (default backing)", false },
    { "--execute-workers", NULL, "N", "execute workers at most, 1 to 64 (default 4)", false },
    { "--job-memory-mb", NULL, "N", "an execute job's memory limit in MiB, at most 1 TiB (default: sized from the "
      "heap maximum, about 1.8 GiB)", false },
    { "--insecure", NULL, NULL, "start even when a sandbox layer is unavailable (the reference's "
      "--insecure-validator-i-know-what-i-do)", false },
    { "--no-sandbox", NULL, NULL, "apply no sandbox layer at all (benchmarks, debugging; implies --insecure)",
      false },
    { "--metrics", NULL, "FILE", "write the host's metrics (Prometheus text) there at the end", false },
    { "--dump-dir", NULL, "DIR", "write every verdict other than Valid under DIR: the code, the candidate's "
      "ValidationParams, the ExecutorParams, verdict.json, runtime.log and a README with the command that "
      "replays it", false },
    { "--executor-params", NULL, "FILE", "SCALE-encoded ExecutorParams to run under (a dump's "
      "executor_params.scale)", false },
    { NULL, NULL, NULL, NULL, false },
};

int cli_host_read(const cli_args *a, cli_host_opts *o)
{
    memset(o, 0, sizeof *o);
    o->in_process = cli_has(a, "--in-process");
    o->daemon = cli_get(a, "--daemon");
    o->insecure = cli_has(a, "--insecure") || cli_has(a, "--no-sandbox");
    o->no_sandbox = cli_has(a, "--no-sandbox");
    o->cache_dir = cli_get(a, "--cache-dir");
    o->workers_path = cli_get(a, "--workers-path");
    o->metrics_path = cli_get(a, "--metrics");
    o->dump_dir = cli_get(a, "--dump-dir");
    o->executor_params_path = cli_get(a, "--executor-params");
    const char *via = cli_get(a, "--via"), *kind = cli_get(a, "--kind");
    if (via && strcmp(via, "host") && strcmp(via, "in-process"))
        return cli_fail(a->json, a->spec->name, EXIT_USAGE, "bad value for --via: '%s' (host or in-process)", via);
    if (via)
        o->in_process = !strcmp(via, "in-process");
    static const char *const kinds[] = { [PVF_KIND_BACKING] = "backing", [PVF_KIND_APPROVAL] = "approval",
                                         [PVF_KIND_DISPUTE] = "dispute" };
    o->kind = -1;
    for (int k = 0; kind && k < (int)(sizeof kinds / sizeof kinds[0]); k++)
        if (kinds[k] && !strcmp(kind, kinds[k]))
            o->kind = k;
    if (kind && o->kind < 0)
        return cli_fail(a->json, a->spec->name, EXIT_USAGE,
                        "bad value for --kind: '%s' (backing, approval or dispute)", kind);
    if (!kind)
        o->kind = PVF_KIND_BACKING;
    uint64_t workers = 0;
    char day[64];
    snprintf(day, sizeof day, "a time in ms from 1 to %llu, one day", (unsigned long long)CLI_TIMEOUT_MAX_MS);
    if (!cli_read_number(a, "--prep-timeout-ms", 1, CLI_TIMEOUT_MAX_MS, day, &o->prep_timeout_ms) ||
        !cli_read_number(a, "--exec-timeout-ms", 1, CLI_TIMEOUT_MAX_MS, day, &o->exec_timeout_ms) ||
        !cli_read_number(a, "--execute-workers", 1, 64, "a count from 1 to 64", &workers) ||
        !cli_read_number(a, "--job-memory-mb", 1, PVF_JOB_MEMORY_MB_MAX, "MiB from 1 to 1048576", &o->job_memory_mb))
        return EXIT_USAGE;
    o->execute_workers = (unsigned)workers;
    return -1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

bool cli_remove_tree(const char *dir)
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
        for (int i = 0; i < 50 && !cli_remove_tree(dir); i++)
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
bool cli_host_load_executor_params(cli_host_opts *o, char *err, size_t errlen)
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
    if (!cli_host_load_executor_params(o, err, errlen) || !cli_host_paths(o, err, errlen))
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
        cli_remove_tree(o->temp_cache);
    o->temp_cache[0] = 0;
    pvf_executor_params_free(o->ep);
    o->ep = NULL;
}

/*
 * bench_pvfd.c — `pvf bench-host --pvfd`: the same validations as the in-process host's, through
 * a pvfd of the benchmark's own (the binary beside this one, on a temporary socket, with the same
 * workers and cache), so the two sit side by side in one run: what the socket, the framing and
 * pvfd's event loop add to a validation.
 */
#define _GNU_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvf/client.h"
#include "util/cputime.h"

/* pvfd beside /proc/self/exe. */
static bool pvfd_path(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (!slash)
        return false;
    *slash = 0;
    return (size_t)snprintf(out, size, "%s/pvfd", self) < size && access(out, X_OK) == 0;
}

bool bench_pvfd_start(bench_pvfd *d, const cli_host_opts *o, unsigned workers, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    char bin[PATH_MAX], workers_arg[16], *dir = d->dir;
    if (!pvfd_path(bin, sizeof bin)) {
        snprintf(err, errlen, "no pvfd beside this pvf");
        return false;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof d->dir, "%.200s/pvf-bench-pvfd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        return false;
    }
    snprintf(d->sock, sizeof d->sock, "%s/pvfd.sock", dir);
    char conf[300], log[300];
    snprintf(conf, sizeof conf, "%s/pvfd.conf", dir);
    snprintf(log, sizeof log, "%s/pvfd.log", dir);
    FILE *f = fopen(conf, "w");
    if (f)
        fclose(f);
    snprintf(workers_arg, sizeof workers_arg, "%u", workers);
    char own_cache[300];
    snprintf(own_cache, sizeof own_cache, "%s/cache", dir);
    const char *cache = o->cache_dir ? o->cache_dir : own_cache;
    d->pid = fork();
    if (d->pid == 0) {
        const char *argv[20] = {bin, "--config", conf, "--socket", d->sock, "--cache-dir", cache,
                                "--execute-workers", workers_arg, "--log-file", log};
        int n = 11;
        if (o->workers_path)    /* else pvfd finds them beside itself, as pvf does */
            argv[n++] = "--workers-path", argv[n++] = o->workers_path;
        if (o->insecure)
            argv[n++] = "--insecure";
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (uint64_t until = monotonic_ms() + 15000; d->pid > 0 && monotonic_ms() < until; usleep(20000)) {
        d->client = pvf_client_connect(d->sock, "pvf bench-host", err, errlen);
        if (d->client)
            return true;
    }
    snprintf(err, errlen, "pvfd did not start (its log: %s)", log);
    bench_pvfd_stop(d);
    return false;
}

void bench_pvfd_stop(bench_pvfd *d)
{
    pvf_client_close(d->client);
    d->client = NULL;
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
        d->pid = 0;
    }
    cli_remove_tree(d->dir);    /* its config, log and (without --cache-dir) cache */
}

bool bench_pvfd_latency(bench_pvfd *d, const pvf_execute_request *rq, double *samples, size_t n)
{
    for (size_t i = 0; i < n + 3; i++) {     /* 3 warm-up runs */
        char err[256];
        double t0 = walltime_ms();
        pvf_execute_result *r = pvf_client_execute(d->client, rq, err, sizeof err);
        double t = walltime_ms() - t0;
        bool ok = r && r->verdict == PVF_VERDICT_VALID;
        if (!ok)
            fprintf(stderr, "pvf bench-host: through pvfd: %s\n", r ? r->message : err);
        pvf_execute_result_free(r);
        if (!ok)
            return false;
        if (i >= 3)
            samples[i - 3] = t;
    }
    return true;
}

double bench_pvfd_burst(bench_pvfd *d, const pvf_execute_request *rq, size_t m)
{
    char err[256];
    double t0 = walltime_ms();
    for (size_t i = 0; i < m; i++)
        if (!pvf_client_submit_execute(d->client, rq, err, sizeof err))
            return -1;
    for (size_t done = 0; done < m; done++) {
        pvf_completion *c = pvf_client_next(d->client, 60000, err, sizeof err);
        bool ok = c && c->execute && c->execute->verdict == PVF_VERDICT_VALID;
        pvf_completion_free(c);
        if (!ok)
            return -1;
    }
    return walltime_ms() - t0;
}

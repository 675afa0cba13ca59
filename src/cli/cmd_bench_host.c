/*
 * cmd_bench_host.c — `pvf bench-host`: what a validation costs end to end
 * through the host (host thread → execute queue → execute worker → job
 * process → back), next to what the operating system charges for the
 * cheapest process life cycle (clone + exit + wait) measured in the same run.
 *
 *   pvf bench-host --code FILE --params FILE [--runs N] [--jobs M] [--json]
 *
 *   1. baseline: N × fork() (a clone) + _exit + waitpid in this process;
 *   2. latency: one execute worker, N sequential validations (after a
 *      warm-up that prepares the code and spawns the worker), p50/p99: back
 *      to back, and spaced (each after a pause of --gap-ms, default 10 ms, as
 *      candidates reach a validator: the job for the next request is ready);
 *   3. throughput: for 1, 2 and 4 execute workers, M validations submitted at
 *      once (after a warm-up that spawns every worker), validations/s over
 *      the wall time from the first submission to the last completion, and
 *      the CPU time every process spent on it (this one's threads, its workers
 *      and their jobs: getrusage and /proc/PID/stat, before and after the
 *      burst) per validation and in cores busy: what bounds the throughput.
 *
 * Every validation must be Valid (else the benchmark stops with exit 1).
 */
#define _GNU_SOURCE
#include "cli/cli.h"
#include "util/cputime.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvf/host.h"
#include "util/file.h"
#include "util/parse.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted samples, nearest rank. */
static double quantile(const double *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)n + 0.999999);
    return v[k == 0 ? 0 : k > n ? n - 1 : k - 1];
}

typedef struct stats {
    double p50, p99, mean;
} stats;

static stats summarise(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return (stats){quantile(v, n, 0.50), quantile(v, n, 0.99), sum / (double)n};
}

static bool bare_clone(double *samples, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double t0 = walltime_ms();
        pid_t pid = fork();
        if (pid < 0)
            return false;
        if (pid == 0)
            _exit(0);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        samples[i] = walltime_ms() - t0;
    }
    return true;
}

static bool check_valid(const pvf_execute_result *r)
{
    if (!r) {
        fprintf(stderr, "pvf bench-host: out of memory\n");
        return false;
    }
    if (r->verdict == PVF_VERDICT_VALID)
        return true;
    fprintf(stderr, "pvf bench-host: validation not Valid: %s %s: %s\n", pvf_verdict_name(r->verdict), r->reason,
            r->message);
    return false;
}

/* n sequential validations, each gap_ms after the last: their wall times in samples, the job's
 * CPU time of each in cpu. */
static bool latency(pvf_host *h, const pvf_execute_request *rq, double *samples, double *cpu, size_t n,
                    uint32_t gap_ms)
{
    for (size_t i = 0; i < n + 3; i++) {     /* 3 warm-up runs */
        if (gap_ms)
            usleep(gap_ms * 1000u);
        double t0 = walltime_ms();
        pvf_execute_result *r = pvf_host_execute(h, rq);
        double t = walltime_ms() - t0;
        bool ok = check_valid(r);
        double job_ms = ok ? (double)r->execute_ns / 1e6 : 0;
        pvf_execute_result_free(r);
        if (!ok)
            return false;
        if (i >= 3) {
            samples[i - 3] = t;
            cpu[i - 3] = job_ms;
        }
    }
    return true;
}

/* The mean of a histogram family's series from the host's metrics (sum / count), 0 if none. */
static double metric_mean(pvf_host *h, const char *family, const char *labels)
{
    size_t cap = pvf_host_metrics_render(h, NULL, 0) + 4096;
    char *buf = malloc(cap);
    if (!buf)
        return 0;
    pvf_host_metrics_render(h, buf, cap);
    double sum = 0, count = 0;
    char want_sum[160], want_count[160];
    snprintf(want_sum, sizeof want_sum, "%s_sum%s ", family, labels);
    snprintf(want_count, sizeof want_count, "%s_count%s ", family, labels);
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (!strncmp(line, want_sum, strlen(want_sum)))
            sum = strtod(line + strlen(want_sum), NULL);
        else if (!strncmp(line, want_count, strlen(want_count)))
            count = strtod(line + strlen(want_count), NULL);
    }
    free(buf);
    return count > 0 ? sum / count : 0;
}

/* Submit m at once, wait for all; the wall time in ms, or -1 on a failure. */
static double burst(pvf_host *h, const pvf_execute_request *rq, size_t m)
{
    double t0 = walltime_ms();
    for (size_t i = 0; i < m; i++)
        if (!pvf_host_submit_execute(h, rq, NULL, NULL))
            return -1;
    size_t done = 0;
    bool ok = true;
    while (done < m) {
        struct pollfd p = {pvf_host_completion_fd(h), POLLIN, 0};
        if (poll(&p, 1, 60000) <= 0)
            return -1;
        pvf_completion *c;
        while ((c = pvf_host_next_completion(h))) {
            ok = ok && check_valid(c->execute);
            pvf_completion_free(c);
            done++;
        }
    }
    return ok ? walltime_ms() - t0 : -1;
}

/* CPU time of one of our child processes and of the children it has reaped (its jobs), ms:
 * /proc/PID/stat's utime, stime, cutime and cstime (fields 14-17, clock ticks). */
static double child_tree_cpu_ms(long pid)
{
    char buf[1024];
    const char *fields = proc_stat_fields(pid, buf, sizeof buf);
    unsigned long long t[4] = {0};
    if (!fields || sscanf(fields, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &t[0], &t[1],
                          &t[2], &t[3]) != 4)
        return 0;
    return (double)(t[0] + t[1] + t[2] + t[3]) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time (user + system) of this process (the host's threads) and of its live children (the
 * workers) with what they reaped (their jobs), ms: read before and after a burst, the
 * difference is what the burst cost, a job still running at either end aside. */
static double tree_cpu_ms(void)
{
    struct rusage ru;
    double ms = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        long pid;
        while (f && fscanf(f, "%ld", &pid) == 1)
            ms += child_tree_cpu_ms(pid);
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return ms;
}

static pvf_host *start_host(cli_host_opts *o, unsigned workers)
{
    char err[512];
    o->execute_workers = workers;
    pvf_host *h = cli_host_start(o, err, sizeof err);
    if (!h)
        fprintf(stderr, "pvf bench-host: %s\n", err);
    return h;
}

static const cli_opt options[] = {
    { "--code", NULL, "FILE", "the PVF", true },
    { "--params", NULL, "FILE", "SCALE ValidationParams of a block the code validates (Valid)", true },
    { "--runs", NULL, "N", "sequential validations for the latency (default 300)", false },
    { "--jobs", NULL, "M", "validations per throughput burst (default 400)", false },
    { "--gap-ms", NULL, "G", "the pause before each spaced validation, 1 to 10000 (default 10)", false },
    { "--pvfd", NULL, NULL, "the same through a pvfd of its own (beside this pvf), side by side", false },
    { "--json", NULL, NULL, "one JSON object on stdout", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_bench_host_spec = {
    .name = "bench-host",
    .summary = "end-to-end host numbers: validation latency, throughput per worker count",
    .description = "What a validation costs through the host, next to the cheapest process life cycle (fork, "
                   "exit, wait) measured in the same run: latency back to back and spaced (p50, p99), then "
                   "throughput with 1, 2 and 4 execute workers and the CPU time of every process per "
                   "validation. Every validation must be Valid.",
    .options = options,
    .shared = cli_host_options,
    .shared_title = "host options",
    .exit_status = "0 measured; 1 a validation was not Valid; 2 a usage error, an unreadable file or a host "
                   "that did not start.",
};

/* What --pvfd measures: the back-to-back latency through a pvfd with one execute worker, then the
 * throughput of a burst on one connection with 1, 2 and 4. */
typedef struct pvfd_numbers {
    bool measured;
    stats lat;
    double per_s[3];
} pvfd_numbers;

static bool measure_pvfd(const cli_host_opts *o, const pvf_execute_request *rq, double *samples, size_t runs,
                         size_t jobs, pvfd_numbers *out)
{
    static const unsigned worker_counts[3] = {1, 2, 4};
    char err[512];
    for (int k = 0; k < 3; k++) {
        bench_pvfd d;
        if (!bench_pvfd_start(&d, o, worker_counts[k], err, sizeof err)) {
            fprintf(stderr, "pvf bench-host: %s\n", err);
            return false;
        }
        bool ok = k > 0 || bench_pvfd_latency(&d, rq, samples, runs);
        if (ok && k == 0)
            out->lat = summarise(samples, runs);
        double ms = ok && bench_pvfd_burst(&d, rq, 2 * worker_counts[k]) >= 0 ? bench_pvfd_burst(&d, rq, jobs) : -1;
        bench_pvfd_stop(&d);
        if (ms <= 0)
            return false;
        out->per_s[k] = (double)jobs * 1000.0 / ms;
    }
    out->measured = true;
    return true;
}

/* --runs / --jobs / --gap-ms: a count in [1, max], or the default; false (reported) when bad. */
static bool read_count(const cli_args *a, const char *name, uint32_t max, uint32_t *out)
{
    const char *v = cli_get(a, name);
    if (!v || (parse_count_u32(v, out) && *out <= max))
        return true;
    cli_fail(a->json, "bench-host", EXIT_USAGE, "%s needs a count from 1 to %u, not '%s'", name, max, v);
    return false;
}

int cmd_bench_host(const cli_args *a)
{
    const char *code_path = cli_get(a, "--code"), *params_path = cli_get(a, "--params");
    uint32_t runs32 = 300, jobs32 = 400, gap_ms = 10;
    bool json = a->json;
    cli_host_opts o;
    int rc = cli_host_read(a, &o);
    if (rc >= 0)
        return rc;
    if (!read_count(a, "--runs", UINT32_MAX, &runs32) || !read_count(a, "--jobs", UINT32_MAX, &jobs32) ||
        !read_count(a, "--gap-ms", 10000, &gap_ms))
        return EXIT_USAGE;
    size_t runs = runs32, jobs = jobs32;
    size_t code_len, params_len;
    uint8_t *code = file_read(code_path, &code_len);
    uint8_t *params = file_read(params_path, &params_len);
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    char why[512];
    if (!code || !params) {
        fprintf(stderr, "pvf bench-host: cannot read %s: %s\n", code ? params_path : code_path, strerror(errno));
        free(code), free(params);
        return EXIT_ERROR;
    }
    if (!pvf_execute_request_set_params(&rq, params, params_len, why, sizeof why)) {
        fprintf(stderr, "pvf bench-host: %s: %s\n", params_path, why);
        free(code), free(params);
        return EXIT_ERROR;
    }
    rq.code = code;
    rq.code_len = code_len;
    rq.kind = PVF_KIND_BACKING;

    rc = 1;
    double *samples = calloc(runs, sizeof *samples);
    double *clone_samples = calloc(runs, sizeof *clone_samples);
    double *cpu_samples = calloc(runs, sizeof *cpu_samples);
    stats clone_st = {0}, lat = {0}, spaced = {0}, job_cpu = {0};
    pvfd_numbers via_pvfd = {0};
    double worker_rss_kib = 0, job_rss_kib = 0;
    double per_s[3] = {0}, cpu_per[3] = {0}, cores[3] = {0};
    const unsigned worker_counts[3] = {1, 2, 4};
    pvf_host *h = NULL;
    if (!samples || !clone_samples || !cpu_samples || !bare_clone(clone_samples, runs))
        goto out;
    clone_st = summarise(clone_samples, runs);
    if (!(h = start_host(&o, 1)) || !latency(h, &rq, samples, cpu_samples, runs, 0))
        goto out;
    lat = summarise(samples, runs);
    job_cpu = summarise(cpu_samples, runs);
    worker_rss_kib = metric_mean(h, "pvf_worker_rss", "{flavor=\"execute\"}");
    job_rss_kib = metric_mean(h, "pvf_execution_max_rss", "");
    if (!latency(h, &rq, samples, cpu_samples, runs, gap_ms))
        goto out;
    spaced = summarise(samples, runs);
    cli_host_stop(h, &o);
    h = NULL;
    for (int k = 0; k < 3; k++) {
        if (!(h = start_host(&o, worker_counts[k])) || burst(h, &rq, 2 * worker_counts[k]) < 0)
            goto out;
        double cpu0 = tree_cpu_ms();
        double ms = burst(h, &rq, jobs);
        if (ms <= 0)
            goto out;
        per_s[k] = (double)jobs * 1000.0 / ms;
        cpu_per[k] = (tree_cpu_ms() - cpu0) / (double)jobs;
        cores[k] = cpu_per[k] * per_s[k] / 1000.0;
        cli_host_stop(h, &o);
        h = NULL;
    }
    if (cli_has(a, "--pvfd") && !measure_pvfd(&o, &rq, samples, runs, jobs, &via_pvfd))
        goto out;
    rc = 0;
    if (json) {
        printf("{\"runs\":%zu,\"jobs\":%zu,\"gap_ms\":%u,\"clone_exit_wait_ms\":{\"p50\":%.4f,\"p99\":%.4f},"
               "\"validation_ms\":{\"p50\":%.4f,\"p99\":%.4f,\"mean\":%.4f},"
               "\"validation_spaced_ms\":{\"p50\":%.4f,\"p99\":%.4f,\"mean\":%.4f},\"job_cpu_ms\":{\"p50\":%.4f},"
               "\"worker_rss_kib\":%.0f,\"job_max_rss_kib\":%.0f,"
               "\"validations_per_s\":{\"1\":%.1f,\"2\":%.1f,\"4\":%.1f},"
               "\"cpu_ms_per_validation\":{\"1\":%.3f,\"2\":%.3f,\"4\":%.3f},"
               "\"cores_busy\":{\"1\":%.2f,\"2\":%.2f,\"4\":%.2f}",
               runs, jobs, gap_ms, clone_st.p50, clone_st.p99, lat.p50, lat.p99, lat.mean, spaced.p50, spaced.p99,
               spaced.mean, job_cpu.p50, worker_rss_kib, job_rss_kib, per_s[0], per_s[1], per_s[2], cpu_per[0],
               cpu_per[1], cpu_per[2], cores[0], cores[1], cores[2]);
        if (via_pvfd.measured)
            printf(",\"pvfd\":{\"validation_ms\":{\"p50\":%.4f,\"p99\":%.4f,\"mean\":%.4f},"
                   "\"validations_per_s\":{\"1\":%.1f,\"2\":%.1f,\"4\":%.1f}}",
                   via_pvfd.lat.p50, via_pvfd.lat.p99, via_pvfd.lat.mean, via_pvfd.per_s[0], via_pvfd.per_s[1],
                   via_pvfd.per_s[2]);
        printf("}\n");
    } else {
        printf("bare clone+exit+wait (%zu): p50 %.3f ms, p99 %.3f ms\n", runs, clone_st.p50, clone_st.p99);
        printf("validation through the host (%zu, 1 execute worker), back to back: p50 %.3f ms, p99 %.3f ms, "
               "mean %.3f ms\n", runs, lat.p50, lat.p99, lat.mean);
        printf("the same, each %u ms after the last: p50 %.3f ms, p99 %.3f ms, mean %.3f ms\n", gap_ms, spaced.p50,
               spaced.p99, spaced.mean);
        printf("the job's own CPU time: p50 %.3f ms; execute worker RSS %.0f KiB, job peak RSS %.0f KiB (means)\n",
               job_cpu.p50, worker_rss_kib, job_rss_kib);
        for (int k = 0; k < 3; k++)
            printf("throughput, %u execute worker%s, %zu at once: %.1f validations/s, %.3f ms CPU each, "
                   "%.2f cores busy\n", worker_counts[k], worker_counts[k] > 1 ? "s" : "", jobs, per_s[k], cpu_per[k],
                   cores[k]);
        if (via_pvfd.measured) {
            printf("through pvfd (1 execute worker), back to back: p50 %.3f ms, p99 %.3f ms, mean %.3f ms\n",
                   via_pvfd.lat.p50, via_pvfd.lat.p99, via_pvfd.lat.mean);
            for (int k = 0; k < 3; k++)
                printf("through pvfd, %u execute worker%s, %zu at once on one connection: %.1f validations/s\n",
                       worker_counts[k], worker_counts[k] > 1 ? "s" : "", jobs, via_pvfd.per_s[k]);
        }
    }
out:
    if (h)
        cli_host_stop(h, &o);
    free(samples);
    free(clone_samples);
    free(cpu_samples);
    free(code);
    free(params);
    return rc;
}

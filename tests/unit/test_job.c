/*
 * test_job.c — job processes (src/worker/job.h) with real child processes:
 * every way a job can end, classified as reference-behaviour.md §2.8 and
 * sandbox-notes.md §4.3 say, with no zombie and no fd left behind.
 */
#include "test.h"

#include "wire/protocol.h"
#include "worker/job.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Run fn as a job and check that nothing is left behind afterwards. */
static void run_job(job_fn fn, void *arg, const job_limits *lim, job_outcome *o)
{
    int fds_before = test_count_fds();
    job j;
    char err[200];
    memset(o, 0, sizeof *o);
    if (!job_spawn(&(job_body){NULL, fn}, arg, lim, &j, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "job_spawn: %s", err);
        o->kind = JOB_ERROR;
        return;
    }
    CHECK(j.pid > 0);
    job_wait(&j, o);
    CHECK(o->pid > 0);
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) <= 0);     /* no zombie: ECHILD, or 0 for others' children */
    CHECK_EQ_U64(test_count_fds(), fds_before);
}

static void write_result(void *arg, int fd)
{
    const char *s = arg;
    frame_write(fd, (const uint8_t *)s, strlen(s), NULL, 0);
}

static void busy_loop(void *arg, int fd)
{
    (void)arg;
    (void)fd;
    for (volatile uint64_t i = 0;; i++) {
    }
}

static void sleep_then_write(void *arg, int fd)
{
    (void)arg;
    struct timespec ts = { 1, 0 };
    while (nanosleep(&ts, &ts) != 0) {
    }
    frame_write(fd, (const uint8_t *)"slept", 5, NULL, 0);
}

static void compute_then_write(void *arg, int fd)
{
    (void)arg;
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 600000000L);
    frame_write(fd, (const uint8_t *)"done", 4, NULL, 0);
}

static void raise_signal(void *arg, int fd)
{
    (void)fd;
    int sig = *(int *)arg;
    signal(sig, SIG_DFL);   /* ASan installs its own SIGSEGV handler, which would exit(1) */
    raise(sig);
    _exit(0);
}

static void kill_self(void *arg, int fd)
{
    (void)arg;
    (void)fd;
    kill(getpid(), SIGKILL);
    _exit(0);
}

static void exit_3(void *arg, int fd)
{
    (void)arg;
    (void)fd;
    _exit(3);
}

static void write_nothing(void *arg, int fd)
{
    (void)arg;
    (void)fd;
}

static void write_truncated(void *arg, int fd)
{
    (void)arg;
    static const uint8_t half[] = { 10, 0, 0, 0, 0, 0, 0, 0, 'a', 'b' };
    (void)!write(fd, half, sizeof half);
}

static void write_two_frames(void *arg, int fd)
{
    (void)arg;
    frame_write(fd, (const uint8_t *)"one", 3, NULL, 0);
    frame_write(fd, (const uint8_t *)"two", 3, NULL, 0);
}

/* The reference's OOM_PAYLOAD payload: Result::Err, PrepareError index 8. */
static const uint8_t oom_payload[] = { 0x01, 0x08 };

static void allocate_forever(void *arg, int fd)
{
    (void)arg;
    for (;;) {
        uint8_t *p = malloc(1u << 20);
        if (!p)
            job_exit_out_of_memory(fd, oom_payload, sizeof oom_payload);
        memset(p, 0xa5, 1u << 20);     /* touch it: really used, never freed */
    }
}

static void stop_self(void *arg, int fd)
{
    (void)arg;
    (void)fd;
    raise(SIGSTOP);
    _exit(0);
}

/* A result bigger than the pipe buffer: the worker must read while the job writes. */
static void write_big(void *arg, int fd)
{
    size_t n = *(size_t *)arg;
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7);
    frame_write(fd, p, n, NULL, 0);
    free(p);
}

/* Writes "null" when its fds 0, 1 and 2 are all /dev/null (char device 1:3), else which is not. */
static void report_stdio(void *arg, int fd)
{
    (void)arg;
    char out[32] = "null";
    for (int i = 0; i <= 2; i++) {
        struct stat st;
        if (fstat(i, &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
            snprintf(out, sizeof out, "fd %d", i);
            break;
        }
    }
    frame_write(fd, (const uint8_t *)out, strlen(out), NULL, 0);
}

/* Issue 13, finding 1: a job inherited the worker's stdout/stderr — pvf's terminal (TIOCSTI) or
 * the pipe a caller parses (a forged verdict line). A restricted job's stdio is /dev/null. */
TEST(job_stdio_is_dev_null)
{
    const job_limits lim = { .cpu_ms = 2000, .restrict_job = true };
    job_outcome o;
    run_job(report_stdio, NULL, &lim, &o);
    CHECK(o.kind == JOB_OK);
    CHECK(o.payload_len == 4 && o.payload && memcmp(o.payload, "null", 4) == 0);
    if (o.payload && (o.payload_len != 4 || memcmp(o.payload, "null", 4)))
        test_fail(__FILE__, __LINE__, "the job's %.*s is not /dev/null", (int)o.payload_len, (const char *)o.payload);
    job_outcome_free(&o);
}

TEST(job_ok_with_exact_payload)
{
    const job_limits lim = { .cpu_ms = 2000 };
    job_outcome o;
    run_job(write_result, "hello job", &lim, &o);
    CHECK(o.kind == JOB_OK);
    CHECK_EQ_U64(o.payload_len, 9);
    CHECK(o.payload && memcmp(o.payload, "hello job", 9) == 0);
    CHECK_EQ_U64(o.exit_status, 0);
    CHECK(o.method == JOB_METHOD_CLONE3);   /* clone3 exists since Linux 5.3 */
    job_outcome_free(&o);

    const job_limits forked = { .cpu_ms = 2000, .force_fork = true };
    run_job(write_result, "by fork", &forked, &o);
    CHECK(o.kind == JOB_OK && o.method == JOB_METHOD_FORK);
    CHECK(o.payload_len == 7 && memcmp(o.payload, "by fork", 7) == 0);
    job_outcome_free(&o);
}

TEST(job_big_result_is_drained)
{
    size_t n = 3u << 20;     /* 3 MiB ≫ the 64 KiB pipe buffer */
    const job_limits lim = { .cpu_ms = 5000, .max_result = 4u << 20 };
    job_outcome o;
    run_job(write_big, &n, &lim, &o);
    CHECK(o.kind == JOB_OK);
    CHECK_EQ_U64(o.payload_len, n);
    bool same = o.payload != NULL;
    for (size_t i = 0; same && i < n; i++)
        same = o.payload[i] == (uint8_t)(i * 7);
    CHECK(same);
    job_outcome_free(&o);
}

TEST(job_busy_loop_times_out_on_cpu)
{
    const job_limits lim = { .cpu_ms = 200 };
    job_outcome o;
    uint64_t t0 = test_now_ms();
    run_job(busy_loop, NULL, &lim, &o);
    uint64_t took = test_now_ms() - t0;
    CHECK(o.kind == JOB_TIMED_OUT);
    CHECK(o.cpu_ns >= 200000000u && o.cpu_ns < 300000000u);   /* killed just past the budget */
    CHECK(took < 2000);
    CHECK_STR_CONTAINS(o.msg, "CPU time budget of 200 ms");
    job_outcome_free(&o);
}

TEST(job_sleeping_is_not_cpu_time)
{
    const job_limits lim = { .cpu_ms = 200 };
    job_outcome o;
    run_job(sleep_then_write, NULL, &lim, &o);
    CHECK(o.kind == JOB_OK);
    CHECK(o.wall_ns >= 1000000000u);
    CHECK(o.cpu_ns < 100000000u);
    CHECK(o.payload_len == 5 && memcmp(o.payload, "slept", 5) == 0);
    job_outcome_free(&o);
}

static void check_died_by(int sig, const char *name)
{
    const job_limits lim = { .cpu_ms = 2000 };
    job_outcome o;
    run_job(raise_signal, &sig, &lim, &o);
    CHECK(o.kind == JOB_DIED);
    CHECK_EQ_U64(o.signal, sig);
    CHECK_STR_CONTAINS(o.msg, name);
    CHECK(o.payload == NULL);
    job_outcome_free(&o);
}

TEST(job_killed_by_signal_died)
{
    check_died_by(SIGSEGV, "received signal: SIGSEGV");
    check_died_by(SIGABRT, "received signal: SIGABRT");
    check_died_by(SIGSYS, "received signal: SIGSYS");

    const job_limits lim = { .cpu_ms = 2000 };
    job_outcome o;
    run_job(kill_self, NULL, &lim, &o);
    CHECK(o.kind == JOB_DIED);
    CHECK_STR_CONTAINS(o.msg, "received signal: SIGKILL");
    job_outcome_free(&o);
}

TEST(job_nonzero_exit_unexpected)
{
    const job_limits lim = { .cpu_ms = 2000 };
    job_outcome o;
    run_job(exit_3, NULL, &lim, &o);
    CHECK(o.kind == JOB_UNEXPECTED_EXIT);
    CHECK_EQ_U64(o.exit_status, 3);
    CHECK_STR_CONTAINS(o.msg, "unexpected exit status: 3");
    job_outcome_free(&o);
}

TEST(job_exit_without_result)
{
    const job_limits lim = { .cpu_ms = 2000 };
    job_outcome o;
    run_job(write_nothing, NULL, &lim, &o);
    CHECK(o.kind == JOB_DIED);
    CHECK_STR_CONTAINS(o.msg, "pipe closed without a result");
    job_outcome_free(&o);

    run_job(write_truncated, NULL, &lim, &o);
    CHECK(o.kind == JOB_ERROR);
    CHECK_STR_CONTAINS(o.msg, "truncated result frame: got 2 of 10 bytes");
    job_outcome_free(&o);

    run_job(write_two_frames, NULL, &lim, &o);
    CHECK(o.kind == JOB_ERROR);
    CHECK_STR_CONTAINS(o.msg, "trailing bytes after the result frame");
    job_outcome_free(&o);

    size_t n = 2000;
    const job_limits small = { .cpu_ms = 2000, .max_result = 1000 };
    run_job(write_big, &n, &small, &o);
    CHECK(o.kind == JOB_ERROR);
    CHECK_STR_CONTAINS(o.msg, "result frame too large: 2000 bytes, limit 1000");
    job_outcome_free(&o);
}

TEST(job_memory_limit_out_of_memory)
{
    if (test_under_asan()) {
        fprintf(stderr, "  skipped: memory limit under AddressSanitizer\n");
        return;
    }
    const job_limits lim = { .cpu_ms = 3000, .mem_bytes = 64u << 20 };
    job_outcome o;
    run_job(allocate_forever, NULL, &lim, &o);
    CHECK(o.kind == JOB_OUT_OF_MEMORY);
    CHECK_EQ_U64(o.exit_status, JOB_EXIT_OUT_OF_MEMORY);
    CHECK(o.payload_len == 2 && memcmp(o.payload, oom_payload, 2) == 0);
    job_outcome_free(&o);

    /* Within the limit: a job that allocates less than the limit is fine. */
    size_t n = 16u << 20;
    const job_limits with_result = { .cpu_ms = 3000, .mem_bytes = 64u << 20, .max_result = 32u << 20 };
    run_job(write_big, &n, &with_result, &o);
    CHECK(o.kind == JOB_OK);
    CHECK_EQ_U64(o.payload_len, n);
    job_outcome_free(&o);
}

TEST(job_stopped_hits_wall_limit)
{
    const job_limits lim = { .cpu_ms = 200, .wall_ms = 300 };
    job_outcome o;
    uint64_t t0 = test_now_ms();
    run_job(stop_self, NULL, &lim, &o);
    uint64_t took = test_now_ms() - t0;
    CHECK(o.kind == JOB_WALL_TIMEOUT);
    CHECK(took >= 300 && took < 1000);
    CHECK_STR_CONTAINS(o.msg, "wall-clock limit of 300 ms");
    job_outcome_free(&o);
}

/* Issue 13, finding 8: a job that blocks without using CPU is killed once its CPU clock has
 * stood still stall_ms (its CPU budget alone would never end it) — both when it sleeps and
 * when it is stopped; a job that keeps computing is not, however long it runs. */
TEST(job_stalled_is_killed)
{
    const job_limits lim = { .cpu_ms = 5000, .stall_ms = 300 };
    job_outcome o;
    uint64_t t0 = test_now_ms();
    run_job(sleep_then_write, NULL, &lim, &o);
    uint64_t took = test_now_ms() - t0;
    CHECK(o.kind == JOB_WALL_TIMEOUT);
    CHECK(took >= 300 && took < 900);
    CHECK_STR_CONTAINS(o.msg, "no CPU time used for 300 ms");
    job_outcome_free(&o);
    run_job(stop_self, NULL, &lim, &o);
    CHECK(o.kind == JOB_WALL_TIMEOUT);
    job_outcome_free(&o);
    /* Control: computing for 600 ms (twice the stall time), then answering. */
    run_job(compute_then_write, NULL, &lim, &o);
    CHECK(o.kind == JOB_OK);
    CHECK(o.cpu_ns >= 600000000u);
    job_outcome_free(&o);
}

TEST(job_kill_for_shutdown)
{
    int fds_before = test_count_fds();
    const job_limits lim = { .cpu_ms = 10000 };
    job j;
    char err[200];
    CHECK(job_spawn(&(job_body){NULL, busy_loop}, NULL, &lim, &j, err, sizeof err));
    job_kill(&j);
    CHECK(j.pid == -1 && j.read_fd == -1 && j.pidfd == -1);
    CHECK(waitpid(-1, NULL, WNOHANG) <= 0);
    CHECK_EQ_U64(test_count_fds(), fds_before);
    job_kill(&j);   /* a second call is harmless */
}

/* ---------------------------------------------------------------- jobs with input (issue 14) */

/* Echo the input back, reversed, after burning arg's ms of CPU before reading it (what an execute
 * job spends instantiating while it waits). */
static void echo_input(void *arg, int fd)
{
    uint64_t burn_ms = arg ? *(const uint64_t *)arg : 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    while ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec)) < burn_ms * 1000000u);
    uint64_t len;
    if (!job_input_length(&len))
        _exit(3);
    uint8_t *in = malloc(len ? len : 1);
    if (!in || !job_input_read(in, (size_t)len))
        _exit(4);
    for (size_t i = 0; i < len / 2; i++) {
        uint8_t c = in[i];
        in[i] = in[len - 1 - i];
        in[len - 1 - i] = c;
    }
    frame_write(fd, in, (size_t)len, NULL, 0);
    /* an honest job ends here; this one lingers, and is killed at its result */
    for (volatile uint64_t i = 0;; i++) {
    }
}

/* Spawn a job with input, feed it, wait; the outcome in *o, reaped and checked for leftovers. */
static void run_input_job(uint64_t *burn_ms, const uint8_t *in, size_t len, uint64_t cpu_ms, job_outcome *o)
{
    int fds_before = test_count_fds();
    const job_limits lim = { .takes_input = true, .max_result = 8u << 20 };
    job j;
    char err[200];
    memset(o, 0, sizeof *o);
    if (!job_spawn(&(job_body){NULL, echo_input}, burn_ms, &lim, &j, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "job_spawn: %s", err);
        o->kind = JOB_ERROR;
        return;
    }
    CHECK(job_alive(&j));
    job_feed(&j, in, len, cpu_ms, 0);
    job_wait(&j, o);
    job_reap(&j);
    CHECK(j.pid == -1 && !j.reap_pending);
    CHECK(waitpid(-1, NULL, WNOHANG) <= 0);
    CHECK_EQ_U64(test_count_fds(), fds_before);
}

/* The input goes through whole, far bigger than a pipe holds, while the result comes back as
 * big; the job is killed at its result (it would spin forever after it). */
TEST(job_with_input_round_trip)
{
    size_t n = 5u << 20;
    uint8_t *in = malloc(n);
    for (size_t i = 0; in && i < n; i++)
        in[i] = (uint8_t)(i * 13 + (i >> 9));
    job_outcome o;
    run_input_job(NULL, in, n, 5000, &o);
    CHECK(o.kind == JOB_OK);
    CHECK_EQ_U64(o.payload_len, n);
    bool reversed = o.payload != NULL && in != NULL;
    for (size_t i = 0; reversed && i < n; i++)
        reversed = o.payload[i] == in[n - 1 - i];
    CHECK(reversed);
    job_outcome_free(&o);
    run_input_job(NULL, (const uint8_t *)"", 0, 5000, &o);     /* an empty input is an input */
    CHECK(o.kind == JOB_OK && o.payload_len == 0);
    job_outcome_free(&o);
    free(in);
}

/* The CPU budget counts from the spawn, the time spent before the input included (as the
 * reference's job counts its instantiation): 300 ms burnt, then a 200 ms budget is spent. */
TEST(job_with_input_budget_counts_from_spawn)
{
    uint64_t burn = 300;
    job_outcome o;
    run_input_job(&burn, (const uint8_t *)"abc", 3, 200, &o);
    CHECK(o.kind == JOB_TIMED_OUT);
    job_outcome_free(&o);
    run_input_job(&burn, (const uint8_t *)"abc", 3, 2000, &o);
    CHECK(o.kind == JOB_OK && o.payload_len == 3 && memcmp(o.payload, "cba", 3) == 0);
    CHECK(o.cpu_ns >= 300000000u);
    job_outcome_free(&o);
}

static void exit_before_input(void *arg, int fd)
{
    (void)arg;
    frame_write(fd, (const uint8_t *)"early", 5, NULL, 0);
    _exit(0);
}

/* A job that never reads its input: its death is seen (job_alive), and writing to it does not
 * kill the worker with SIGPIPE; its result is what it wrote. */
TEST(job_with_input_dead_before_its_input)
{
    const job_limits lim = { .takes_input = true };
    job j;
    char err[200];
    CHECK(job_spawn(&(job_body){NULL, exit_before_input}, NULL, &lim, &j, err, sizeof err));
    uint64_t end = test_now_ms() + 2000;
    while (job_alive(&j) && test_now_ms() < end)
        usleep(1000);
    CHECK(!job_alive(&j));
    static uint8_t big[1u << 20];
    job_feed(&j, big, sizeof big, 2000, 0);
    job_outcome o;
    job_wait(&j, &o);
    job_reap(&j);
    CHECK(o.kind == JOB_OK && o.payload_len == 5);
    job_outcome_free(&o);
}

/* Never fed: job_wait still ends (the job reads end of file). */
TEST(job_with_input_never_fed)
{
    const job_limits lim = { .takes_input = true, .cpu_ms = 2000 };
    job j;
    char err[200];
    CHECK(job_spawn(&(job_body){NULL, echo_input}, NULL, &lim, &j, err, sizeof err));
    job_outcome o;
    job_wait(&j, &o);
    job_reap(&j);
    CHECK(o.kind == JOB_UNEXPECTED_EXIT && o.exit_status == 3);
    job_outcome_free(&o);
}

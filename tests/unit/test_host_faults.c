/*
 * test_host_faults.c — the host's fault handling end to end, with the real
 * worker binaries (build/bin/pvf-{prepare,execute}-worker, run from the repo
 * root): workers and job processes stopped or killed in the middle of a job
 * (reference-behaviour.md §8.3, tests/it/process.rs), a worker that never
 * connects (§8.4 spawn_timeout), single-threaded idle workers, the prepare
 * retry rule of §1.1 (can_retry_prepare_after_failure) with shortened
 * constants, and a node/worker version mismatch.
 *
 * The faults are injected from here: a job in flight is found as the child
 * of the worker running it (/proc/<pid>/task/<tid>/children), and the worker
 * or the job is sent SIGSTOP / SIGKILL. Expected verdicts are the
 * reference's (§1.4, §1.5 tables, §6.1); timing lower bounds follow from the
 * semantics (a stopped worker is only given up at the wall-clock deadline,
 * budget × factor), upper bounds are generous. Every test runs with a private
 * TMPDIR and cache and checks that no worker or job process, worker dir or
 * socket is left.
 */
#define _GNU_SOURCE
#include "test.h"
#include "util/file.h"

#include "pvf/host.h"
#include "runtime/validation.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BIG_RUNTIME "pvf/chopsticks__chainspec_kusama-local.wasm.zstdblob"   /* ~0.5 s to prepare */
#define MID_RUNTIME "pvf/smoldot__chainspec_rococo.wasm.zstdblob"            /* ~0.3 s */
#define ADDER "pvf/kagome__pvf_hex_adder.wasm"

/* ================================================================ processes */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Children of every thread of process `pid` into out[max]; returns the count. */
static size_t children_of(long pid, long *out, size_t max)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char cpath[300];
        snprintf(cpath, sizeof cpath, "/proc/%ld/task/%s/children", pid, e->d_name);
        FILE *fp = fopen(cpath, "r");
        if (!fp)
            continue;
        long c;
        while (fscanf(fp, "%ld", &c) == 1)
            if (n < max)
                out[n++] = c;
        fclose(fp);
    }
    closedir(d);
    return n;
}

/* The first child of `pid` that appears within timeout_ms; -1 when none. */
static long wait_child_of(long pid, unsigned timeout_ms)
{
    uint64_t end = test_now_ms() + timeout_ms;
    do {
        long c;
        if (children_of(pid, &c, 1) == 1)
            return c;
        sleep_ms(1);
    } while (test_now_ms() < end);
    return -1;
}

/* What /proc says of pid: its state letter, 0 when there is no such process. */
static char proc_state(long pid)
{
    char buf[512];
    const char *fields = proc_stat_fields(pid, buf, sizeof buf);
    return fields ? fields[0] : 0;
}

static void proc_comm(long pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    out[0] = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    if (fgets(out, (int)cap, fp))
        out[strcspn(out, "\n")] = 0;
    fclose(fp);
}

/* A job process is the worker's child: once the worker is gone it is re-parented to an
 * init we don't control, so "dead" means gone or a zombie; give it up to 2 s. */
static bool job_dies(long pid)
{
    uint64_t end = test_now_ms() + 2000;
    for (;;) {
        char s = proc_state(pid);
        if (s == 0 || s == 'Z' || s == 'X')
            return true;
        if (test_now_ms() >= end)
            return false;
        sleep_ms(5);
    }
}

/* Our children that look like workers or their stand-ins (pvf-*, sh scripts, sleep). */
static size_t worker_like_children(long *out, size_t max)
{
    long all[64];
    size_t n = children_of(getpid(), all, 64), k = 0;
    for (size_t i = 0; i < n; i++) {
        char comm[32];
        proc_comm(all[i], comm, sizeof comm);
        if ((!strncmp(comm, "pvf-", 4) || !strcmp(comm, "sleep") || strstr(comm, ".sh")) && k < max)
            out[k++] = all[i];
    }
    return k;
}

static int thread_count(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    int n = -1;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(fp);
    return n;
}

/* ================================================================ fixture */

typedef void (*ffix_tweak)(pvf_host_config *cfg, const void *arg);

typedef struct ffix {
    test_workdir w;
    pvf_host *h;
    long workers[64];   /* every worker pid seen: must be gone (reaped) at the end */
    int n_workers;
    long jobs[16];      /* every job pid seen: must be dead at the end */
    int n_jobs;
    char extra[160];    /* a file of the test's own in the work dir, removed at the end */
} ffix;

static void note(long *list, int *n, int cap, long pid)
{
    if (pid <= 0)
        return;
    for (int i = 0; i < *n; i++)
        if (list[i] == pid)
            return;
    if (*n < cap)
        list[(*n)++] = pid;
}

static void note_workers(ffix *f)
{
    int pids[16];
    for (int kind = 0; kind <= 1; kind++) {
        size_t n = pvf_host_worker_pids(f->h, kind, pids, 16);
        for (size_t i = 0; i < n; i++)
            note(f->workers, &f->n_workers, 64, pids[i]);
    }
}

static void note_job(ffix *f, long pid)
{
    note(f->jobs, &f->n_jobs, 16, pid);
}

static bool ffix_start(ffix *f, ffix_tweak tweak, const void *arg)
{
    pvf_host_config cfg;
    test_host_config(&cfg, f->w.cache, f->w.log);
    cfg.execution_retry_delay_ms = 200;
    if (tweak)
        tweak(&cfg, arg);
    char err[512];
    f->h = pvf_host_start(&cfg, err, sizeof err);
    if (!f->h)
        test_fail(__FILE__, __LINE__, "pvf_host_start: %s", err);
    return f->h != NULL;
}

static bool ffix_init(ffix *f, ffix_tweak tweak, const void *arg)
{
    memset(f, 0, sizeof *f);
    if (!test_workdir_init(&f->w, "pvf-hfault", false))
        return false;
    if (ffix_start(f, tweak, arg))
        return true;
    test_workdir_restore_tmpdir(&f->w);     /* the test ends here: no leak to hide its failure */
    return false;
}

static void ffix_done(ffix *f)
{
    if (f->h) {
        note_workers(f);
        pvf_host_stop(f->h);
        f->h = NULL;
    }
    for (int i = 0; i < f->n_workers; i++)
        if (!test_pid_gone(f->workers[i]))
            test_fail(__FILE__, __LINE__, "worker %ld survived the host", f->workers[i]);
    for (int i = 0; i < f->n_jobs; i++)
        if (!job_dies(f->jobs[i]))
            test_fail(__FILE__, __LINE__, "job process %ld survived its worker", f->jobs[i]);
    long left[8];
    CHECK_EQ_U64(worker_like_children(left, 8), 0);
    if (f->extra[0])
        unlink(f->extra);
    test_workdir_finish(&f->w);
}

/* ================================================================ asynchronous requests */

/* Where a callback puts its completion; the test thread waits on it. */
typedef struct box {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    uint64_t done_ms;
    pvf_precheck_result *precheck;      /* taken from the completion (the callback may keep them) */
    pvf_execute_result *execute;
} box;

static void box_init(box *b)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
}

static void box_fill(pvf_completion *c, void *user_data)
{
    box *b = user_data;
    pthread_mutex_lock(&b->lock);
    b->precheck = c->precheck;
    b->execute = c->execute;
    c->precheck = NULL;         /* ours now */
    c->execute = NULL;
    b->done = true;
    b->done_ms = test_now_ms();
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

/* True when the completion arrived within timeout_ms. */
static bool box_wait(box *b, unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->lock);
    while (!b->done && pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0)
        ;
    bool done = b->done;
    pthread_mutex_unlock(&b->lock);
    return done;
}

static bool box_done(box *b)
{
    pthread_mutex_lock(&b->lock);
    bool d = b->done;
    pthread_mutex_unlock(&b->lock);
    return d;
}

static void box_free(box *b)
{
    pvf_precheck_result_free(b->precheck);
    pvf_execute_result_free(b->execute);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->cond);
}

/* The pid of the first worker of `kind` to appear within timeout_ms; -1 when none. */
static long wait_worker(ffix *f, int kind, unsigned timeout_ms)
{
    uint64_t end = test_now_ms() + timeout_ms;
    do {
        int pid;
        if (pvf_host_worker_pids(f->h, kind, &pid, 1) == 1) {
            note(f->workers, &f->n_workers, 64, pid);
            return pid;
        }
        sleep_ms(1);
    } while (test_now_ms() < end);
    return -1;
}

/* Wait for the worker of `kind` to start its job process; both pids out (-1 when not seen). */
static bool wait_job(ffix *f, int kind, long *worker, long *job)
{
    *worker = wait_worker(f, kind, 5000);
    *job = *worker > 0 ? wait_child_of(*worker, 5000) : -1;
    note_job(f, *job);
    if (*job <= 0)
        test_fail(__FILE__, __LINE__, "no %s job process appeared (worker %ld)", kind ? "execute" : "prepare",
                  *worker);
    return *job > 0;
}

/* ================================================================ requests */

static void code_request(const uint8_t *code, size_t len, pvf_exec_request_kind kind, uint64_t timeout_ms,
                         pvf_execute_request *rq)
{
    pvf_execute_request_init(rq);
    rq->code = code;
    rq->code_len = len;
    rq->kind = kind;
    rq->timeout_ms = timeout_ms;
}

/* Block 000 of the adder with the V8-produced expected result: Valid, on some execute worker. */
static void check_adder_valid(ffix *f, const uint8_t *code, size_t len)
{
    size_t p_len = 0, x_len = 0;
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    uint8_t *expected = test_read_data("inputs/adder/000.expected_result.scale", &x_len);
    validation_params vp;
    wasm_error e;
    if (params && expected && validation_params_decode_all(params, p_len, &vp, &e)) {
        pvf_execute_request rq;
        code_request(code, len, PVF_KIND_BACKING, 2000, &rq);
        rq.parent_head = vp.parent_head.ptr;
        rq.parent_head_len = vp.parent_head.len;
        rq.relay_parent_number = vp.relay_parent_number;
        memcpy(rq.relay_parent_storage_root, vp.relay_parent_storage_root, 32);
        rq.pov = vp.block_data.ptr;
        rq.pov_len = vp.block_data.len;
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        test_execute(&r, f->h, &rq);
        note_workers(f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        if (r->verdict != PVF_VERDICT_VALID)
            test_fail(__FILE__, __LINE__, "adder: %s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
        CHECK(r->result && r->result_len == x_len && !memcmp(r->result, expected, x_len));
        test_execute_free(&r);
    }
    free(params);
    free(expected);
}

static void tweak_precheck_timeout(pvf_host_config *cfg, const void *arg)
{
    cfg->precheck_prep_timeout_ms = *(const uint64_t *)arg;
}

/* ================================================================ prepare worker / job faults */

typedef enum fault { STOP_WORKER, KILL_WORKER, KILL_JOB } fault;

/* Precheck the big runtime with a CPU budget of budget_ms and inject `what` once its job runs.
 * Returns the precheck result; *took_ms is submission to completion. */
static void precheck_with_fault(ffix *f, const uint8_t *code, size_t len, fault what, pvf_precheck_result **out,
                                uint64_t *took_ms, long *victim)
{
    box b;
    box_init(&b);
    uint64_t t0 = test_now_ms();
    CHECK(pvf_host_submit_precheck(f->h, code, len, NULL, box_fill, &b) != 0);
    long worker, job;
    if (wait_job(f, 0, &worker, &job)) {
        *victim = what == KILL_JOB ? job : worker;
        kill((pid_t)*victim, what == STOP_WORKER ? SIGSTOP : SIGKILL);
    }
    CHECK(box_wait(&b, 20000));
    *took_ms = b.done_ms - t0;
    test_precheck_free(out);
    *out = b.precheck;
    b.precheck = NULL;
    box_free(&b);
}

/* process.rs prepare_worker_timeout: a stopped prepare worker is given up at the wall-clock
 * deadline (budget × 4) ⇒ TimedOut, non-deterministic ⇒ Failed; the worker is killed. */
TEST(pvfhost_fault_prepare_worker_stopped_timed_out)
{
    size_t len;
    uint8_t *code = test_read_data(BIG_RUNTIME, &len);
    uint64_t budget = 500;   /* ⇒ a 2 s wall-clock deadline */
    ffix f;
    if (!code || !ffix_init(&f, tweak_precheck_timeout, &budget)) {
        free(code);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    uint64_t took;
    long victim = -1;
    precheck_with_fault(&f, code, len, STOP_WORKER, &pr, &took, &victim);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "TimedOut"));
    if (strcmp(pr->reason, "TimedOut"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_precheck_outcome_name(pr->outcome), pr->reason, pr->message);
    CHECK(!pr->cached);
    /* Not the job's own CPU timeout (≈ budget): the host's wall-clock deadline. */
    CHECK(took >= 4 * budget);
    CHECK(took < 4 * budget + 4000);
    CHECK(test_pid_gone(victim));            /* killed (a stopped process takes SIGKILL) and reaped */
    CHECK(pvf_host_prepare_worker_pid(f.h) != victim);
    CHECK(pvf_host_artifact_path(f.h, code, len, NULL) == NULL);
    ffix_done(&f);
    free(code);
}

/* process.rs prepare_worker_killed_during_job: the worker dies mid-job ⇒ IoErr (Failed, no vote);
 * a fresh worker serves the next precheck. */
TEST(pvfhost_fault_prepare_worker_killed_io_err)
{
    size_t len, alen;
    uint8_t *code = test_read_data(BIG_RUNTIME, &len);
    uint8_t *adder = test_read_data(ADDER, &alen);
    uint64_t budget = 5000;
    ffix f;
    if (!code || !adder || !ffix_init(&f, tweak_precheck_timeout, &budget)) {
        free(code), free(adder);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    uint64_t took;
    long victim = -1;
    precheck_with_fault(&f, code, len, KILL_WORKER, &pr, &took, &victim);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "IoErr"));
    if (strcmp(pr->reason, "IoErr"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_precheck_outcome_name(pr->outcome), pr->reason, pr->message);
    CHECK(took < 4000);                      /* noticed at once, not at the 20 s deadline */
    CHECK(test_pid_gone(victim));
    /* Precheck never retries (§1.1): the failure answers as it is. */
    test_precheck(&pr, f.h, code, len, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "IoErr"));
    CHECK(pr->cached);
    /* The host carries on with a fresh worker. */
    test_precheck(&pr, f.h, adder, alen, NULL);
    note_workers(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    CHECK(pvf_host_prepare_worker_pid(f.h) > 0);
    CHECK(pvf_host_prepare_worker_pid(f.h) != victim);
    ffix_done(&f);
    free(code), free(adder);
}

/* process.rs forked_prepare_job_killed_during_job: the job process dies by SIGKILL ⇒ the worker
 * reports JobDied("received signal: SIGKILL"), non-deterministic ⇒ Failed. */
TEST(pvfhost_fault_prepare_job_killed_job_died)
{
    size_t len;
    uint8_t *code = test_read_data(BIG_RUNTIME, &len);
    uint64_t budget = 5000;
    ffix f;
    if (!code || !ffix_init(&f, tweak_precheck_timeout, &budget)) {
        free(code);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    uint64_t took;
    long victim = -1;
    precheck_with_fault(&f, code, len, KILL_JOB, &pr, &took, &victim);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "JobDied"));
    if (strcmp(pr->reason, "JobDied"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_precheck_outcome_name(pr->outcome), pr->reason, pr->message);
    CHECK_STR_CONTAINS(pr->message, "SIGKILL");
    CHECK(took < 4000);
    CHECK(job_dies(victim));
    CHECK(pvf_host_artifact_path(f.h, code, len, NULL) == NULL);
    ffix_done(&f);
    free(code);
}

/* ================================================================ execute worker / job faults */

/* Run halt (prepared first) as a backing job with the given timeout and inject `what` once
 * its job process runs. */
static void halt_with_fault(ffix *f, const uint8_t *halt, size_t len, uint64_t timeout_ms, fault what,
                            pvf_execute_result **out, uint64_t *took_ms, long *victim)
{
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f->h, halt, len, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    pvf_execute_request rq;
    code_request(halt, len, PVF_KIND_BACKING, timeout_ms, &rq);
    box b;
    box_init(&b);
    uint64_t t0 = test_now_ms();
    CHECK(pvf_host_submit_execute(f->h, &rq, box_fill, &b) != 0);
    long worker, job;
    if (wait_job(f, 1, &worker, &job)) {
        *victim = what == KILL_JOB ? job : worker;
        kill((pid_t)*victim, what == STOP_WORKER ? SIGSTOP : SIGKILL);
    }
    CHECK(box_wait(&b, 20000));
    *took_ms = b.done_ms - t0;
    test_execute_free(out);
    *out = b.execute;
    b.execute = NULL;
    box_free(&b);
}

/* process.rs execute_worker_timeout: a stopped execute worker is given up at the wall-clock
 * deadline ⇒ Invalid(HardTimeout). */
TEST(pvfhost_fault_execute_worker_stopped_hard_timeout)
{
    size_t len;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    ffix f;
    CHECK(halt != NULL);
    if (!halt || !ffix_init(&f, NULL, NULL)) {
        free(halt);
        return;
    }
    const uint64_t timeout = 300;   /* ⇒ a 1.2 s wall-clock deadline */
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    uint64_t took;
    long victim = -1;
    halt_with_fault(&f, halt, len, timeout, STOP_WORKER, &r, &took, &victim);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
    CHECK(!strcmp(r->reason, "HardTimeout"));
    if (strcmp(r->reason, "HardTimeout"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
    CHECK_EQ_U64(r->attempts, 1);
    CHECK(took >= 4 * timeout);     /* the host's deadline, not the job's CPU monitor (≈ 300 ms) */
    CHECK(took < 4 * timeout + 4000);
    CHECK(test_pid_gone(victim));
    test_execute_free(&r);
    ffix_done(&f);
    free(halt);
}

/* process.rs execute_worker_killed_during_job: ⇒ PossiblyInvalid(AmbiguousWorkerDeath) for
 * backing (no retry); a fresh worker serves the next request. */
TEST(pvfhost_fault_execute_worker_killed_ambiguous_worker_death)
{
    size_t len, alen;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    uint8_t *adder = test_read_data(ADDER, &alen);
    ffix f;
    CHECK(halt != NULL);
    if (!halt || !adder || !ffix_init(&f, NULL, NULL)) {
        free(halt), free(adder);
        return;
    }
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    uint64_t took;
    long victim = -1;
    halt_with_fault(&f, halt, len, 2000, KILL_WORKER, &r, &took, &victim);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
    CHECK(!strcmp(r->reason, "AmbiguousWorkerDeath"));
    if (strcmp(r->reason, "AmbiguousWorkerDeath"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
    CHECK_EQ_U64(r->attempts, 1);
    CHECK(took < 2000);             /* the death, not the timeout, ended it */
    CHECK(test_pid_gone(victim));
    test_execute_free(&r);
    check_adder_valid(&f, adder, alen);
    long now = pvf_host_execute_worker_pid(f.h);
    CHECK(now > 0 && now != victim);
    ffix_done(&f);
    free(halt), free(adder);
}

/* process.rs forked_execute_job_killed_during_job: ⇒ PossiblyInvalid(AmbiguousJobDeath) naming
 * the signal. */
TEST(pvfhost_fault_execute_job_killed_ambiguous_job_death)
{
    size_t len;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    ffix f;
    CHECK(halt != NULL);
    if (!halt || !ffix_init(&f, NULL, NULL)) {
        free(halt);
        return;
    }
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    uint64_t took;
    long victim = -1;
    halt_with_fault(&f, halt, len, 2000, KILL_JOB, &r, &took, &victim);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
    CHECK(!strcmp(r->reason, "AmbiguousJobDeath"));
    if (strcmp(r->reason, "AmbiguousJobDeath"))
        test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
    CHECK_STR_CONTAINS(r->message, "SIGKILL");
    CHECK_EQ_U64(r->attempts, 1);
    CHECK(took < 2000);
    CHECK(job_dies(victim));
    test_execute_free(&r);
    ffix_done(&f);
    free(halt);
}

/* ================================================================ spawn timeout */

/* worker_common.rs spawn_timeout: a "worker" that never connects. */
static void tweak_stuck_execute_worker(pvf_host_config *cfg, const void *arg)
{
    cfg->execute_worker_path = arg;
    cfg->spawn_timeout_ms = 200;
    cfg->spawn_retry_ms = 100;
}

/* The value of one metric series in a Prometheus text rendering; 0 when absent. */
static unsigned long long metric_value(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = strstr(text, series); p; p = strstr(p + 1, series))
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtoull(p + n + 1, NULL, 10);
    return 0;
}

static void record_stand_ins(long *seen, int *n, int cap)
{
    long now[16];
    size_t k = worker_like_children(now, 16);
    for (size_t i = 0; i < k; i++) {
        char comm[32];
        proc_comm(now[i], comm, sizeof comm);
        if (strncmp(comm, "pvf-", 4) != 0)   /* the real prepare worker is not a stand-in */
            note(seen, n, cap, now[i]);
    }
}

TEST(pvfhost_fault_execute_worker_spawn_timeout)
{
    size_t len;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    CHECK(halt != NULL);
    ffix f;
    memset(&f, 0, sizeof f);
    if (!halt || !test_workdir_init(&f.w, "pvf-hfault", false)) {
        free(halt);
        return;
    }
    snprintf(f.extra, sizeof f.extra, "%s/stuck-worker.sh", f.w.root);
    FILE *fp = fopen(f.extra, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs("#!/bin/sh\nexec sleep 30\n", fp);
        fclose(fp);
    }
    chmod(f.extra, 0700);
    if (!ffix_start(&f, tweak_stuck_execute_worker, f.extra)) {
        free(halt);
        ffix_done(&f);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, halt, len, NULL);   /* the prepare worker is the real one */
    note_workers(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);

    pvf_execute_request rq;
    code_request(halt, len, PVF_KIND_BACKING, 2000, &rq);
    box b;
    box_init(&b);
    CHECK(pvf_host_submit_execute(f.h, &rq, box_fill, &b) != 0);
    long stand_ins[32];
    int n_stand_ins = 0;
    uint64_t end = test_now_ms() + 1000;
    while (test_now_ms() < end && !box_done(&b)) {
        record_stand_ins(stand_ins, &n_stand_ins, 32);
        sleep_ms(5);
    }
    CHECK(!box_done(&b));                   /* a spawn failure is retried, not an answer */
    char text[32768];
    pvf_host_metrics_render(f.h, text, sizeof text);
    CHECK(metric_value(text, "polkadot_pvf_worker_spawning{flavor=\"execute\"}") >= 2);
    CHECK_EQ_U64(metric_value(text, "polkadot_pvf_worker_spawned{flavor=\"execute\"}"), 0);
    CHECK(n_stand_ins >= 2);                /* each attempt is a new process, killed and reaped */
    CHECK_EQ_U64(pvf_host_execute_worker_pid(f.h), (uint64_t)-1);
    record_stand_ins(stand_ins, &n_stand_ins, 32);

    note_workers(&f);
    pvf_host_stop(f.h);
    f.h = NULL;
    CHECK(box_done(&b));                    /* answered by the stop, before it returned */
    CHECK_EQ_U64(b.execute->verdict, PVF_VERDICT_INTERNAL);
    CHECK(!strcmp(b.execute->reason, "HostStopped"));
    CHECK_EQ_U64(b.execute->attempts, 0);
    box_free(&b);
    for (int i = 0; i < n_stand_ins; i++)
        if (!test_pid_gone(stand_ins[i]))
            test_fail(__FILE__, __LINE__, "stand-in worker %ld survived the host", stand_ins[i]);
    ffix_done(&f);
    free(halt);
}

/* ================================================================ threads */

/* A host that has validated the adder's block once — its workers up, the execute worker's next
 * job spawned; false, nothing to free, when the adder or the host can't be had. */
static bool ffix_adder_validated(ffix *f, uint8_t **adder, size_t *alen)
{
    *adder = test_read_data(ADDER, alen);
    if (!*adder || !ffix_init(f, NULL, NULL)) {
        free(*adder);
        return false;
    }
    check_adder_valid(f, *adder, *alen);
    return true;
}

/* The execute worker's one child, asleep waiting for its request (issue 14), or -1 when there
 * is not exactly that within 10 s: it is spawned right after the last answer, the last job reaped
 * after it, and on a loaded machine its instantiation may take a while. */
static long next_job_of(long worker)
{
    uint64_t end = test_now_ms() + 10000;
    for (;;) {
        long kids[2];
        size_t n = children_of(worker, kids, 2);
        if (n == 1 && proc_state(kids[0]) == 'S')
            return kids[0];
        if (test_now_ms() >= end)
            return -1;
        sleep_ms(5);
    }
}

/* process.rs ensure_{prepare,execute}_processes_have_correct_num_threads: an idle worker runs a
 * single thread (the job process does the work). The idle prepare worker has no child; the idle
 * execute worker one, the job for its next request (issue 14): single-threaded too, and asleep
 * (instantiated, it blocks reading its input). */
TEST(pvfhost_fault_idle_workers_single_threaded)
{
    size_t alen;
    uint8_t *adder;
    ffix f;
    if (!ffix_adder_validated(&f, &adder, &alen))
        return;
    long prep = pvf_host_prepare_worker_pid(f.h), exec = pvf_host_execute_worker_pid(f.h);
    CHECK(prep > 0);
    CHECK(exec > 0);
    CHECK_EQ_U64(thread_count(prep), 1);
    CHECK_EQ_U64(thread_count(exec), 1);
    long kids;
    CHECK_EQ_U64(children_of(prep, &kids, 1), 0);   /* idle: no job process */
    long next = next_job_of(exec);
    CHECK(next > 0);
    if (next > 0)
        CHECK_EQ_U64(thread_count(next), 1);
    ffix_done(&f);
    free(adder);
}

/* Issue 14: the job spawned ahead of a request dies while it waits (here SIGKILL from outside;
 * for real, its instantiation could pass the wait's CPU backstop): the worker sees it and runs
 * the request on a fresh job — the same verdict, from the same worker, no error. */
TEST(pvfhost_fault_job_ahead_dies_while_waiting)
{
    size_t alen;
    uint8_t *adder;
    ffix f;
    if (!ffix_adder_validated(&f, &adder, &alen))
        return;
    long exec = pvf_host_execute_worker_pid(f.h);
    long next = next_job_of(exec);
    CHECK(next > 0);
    if (next > 0) {
        CHECK(kill((pid_t)next, SIGKILL) == 0);
        CHECK(job_dies(next));
        check_adder_valid(&f, adder, alen);
        CHECK_EQ_U64(pvf_host_execute_worker_pid(f.h), exec);
        long again = next_job_of(exec);
        CHECK(again > 0 && again != next);
    }
    ffix_done(&f);
    free(adder);
}

/* ================================================================ prepare retry rule */

/* arg: the lenient preparation timeout (0: the executor params' 360 s). */
static void tweak_retry_policy(pvf_host_config *cfg, const void *arg)
{
    cfg->prepare_failure_cooldown_ms = 300;
    cfg->prepare_max_retries = 2;
    cfg->lenient_prep_timeout_ms = *(const uint64_t *)arg;
}

static void execute_expect(ffix *f, const uint8_t *code, size_t len, pvf_verdict verdict, const char *reason,
                           unsigned preparations, int line)
{
    pvf_execute_request rq;
    code_request(code, len, PVF_KIND_BACKING, 2000, &rq);
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    test_execute(&r, f->h, &rq);
    note_workers(f);
    if (r->verdict != verdict || strcmp(r->reason, reason) != 0 || r->preparations != preparations)
        test_fail(__FILE__, line, "expected %s %s after %u preparations, got %s %s (%s) after %u",
                  pvf_verdict_name(verdict), reason, preparations, pvf_verdict_name(r->verdict), r->reason, r->message,
                  r->preparations);
    CHECK_EQ_U64(r->attempts, 0);
    test_execute_free(&r);
}

/* §1.1 can_retry_prepare_after_failure: a non-deterministic failure is retried by a new
 * execution only after the cooldown and at most max_retries times (max_retries + 1
 * preparations in all); a deterministic one never; precheck never retries. */
TEST(pvfhost_fault_prepare_retry_policy)
{
    size_t len;
    uint8_t *code = test_read_data(MID_RUNTIME, &len);
    uint64_t lenient = 1;   /* no real runtime prepares in 1 ms */
    ffix f;
    if (!code || !ffix_init(&f, tweak_retry_policy, &lenient)) {
        free(code);
        return;
    }
    const pvf_verdict I = PVF_VERDICT_INTERNAL;
    const char *nd = "NonDeterministicPrepareError";
    execute_expect(&f, code, len, I, nd, 1, __LINE__);   /* failure 1 */
    execute_expect(&f, code, len, I, nd, 0, __LINE__);   /* inside the cooldown: answered from the table */

    /* After the cooldown a precheck still answers from the table (never retries). */
    sleep_ms(400);
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, code, len, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "TimedOut"));
    CHECK(pr->cached);
    CHECK_EQ_U64(pr->prepare_cpu_ns, 0);

    execute_expect(&f, code, len, I, nd, 1, __LINE__);   /* retry 1 ⇒ failure 2 */
    execute_expect(&f, code, len, I, nd, 0, __LINE__);
    sleep_ms(400);
    execute_expect(&f, code, len, I, nd, 1, __LINE__);   /* retry 2 ⇒ failure 3 */
    sleep_ms(400);
    execute_expect(&f, code, len, I, nd, 0, __LINE__);   /* max_retries used up: never again */
    sleep_ms(400);
    execute_expect(&f, code, len, I, nd, 0, __LINE__);

    /* Deterministic: prepared once, then answered from the table even after the cooldown (a
     * host whose preparations have time enough to fail for the code's own reason). */
    note_workers(&f);
    pvf_host_stop(f.h);
    lenient = 0;
    if (!ffix_start(&f, tweak_retry_policy, &lenient)) {
        ffix_done(&f);
        free(code);
        return;
    }
    static const uint8_t garbage[] = "\0asm but then not a module";
    execute_expect(&f, garbage, sizeof garbage, PVF_VERDICT_PREPARATION, "Prevalidation", 1, __LINE__);
    sleep_ms(400);
    execute_expect(&f, garbage, sizeof garbage, PVF_VERDICT_PREPARATION, "Prevalidation", 0, __LINE__);
    ffix_done(&f);
    free(code);
}

/* ================================================================ version mismatch */

static void tweak_node_version(pvf_host_config *cfg, const void *arg)
{
    cfg->node_version = arg;
}

/* The worker binary's own version (its --version output), not our copy of the constant. */
static bool worker_version(char *out, size_t cap)
{
    FILE *p = popen("build/bin/pvf-prepare-worker --version", "r");
    if (!p)
        return false;
    bool ok = fgets(out, (int)cap, p) != NULL;
    pclose(p);
    out[strcspn(out, "\n")] = 0;
    return ok && out[0];
}

/* A worker of another version refuses the node (§1.7): the host takes no work at all; the first
 * precheck fails naming both versions, and every later request gets the same answer at once. */
TEST(pvfhost_fault_version_mismatch_refuses_all_work)
{
    size_t alen;
    uint8_t *adder = test_read_data(ADDER, &alen);
    char theirs[64];
    CHECK(worker_version(theirs, sizeof theirs));
    ffix f;
    if (!adder || !ffix_init(&f, tweak_node_version, "9.9.9-other")) {
        free(adder);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *first = NULL, *pr = NULL;
    uint64_t t0 = test_now_ms();
    test_precheck(&first, f.h, adder, alen, NULL);
    CHECK(test_now_ms() - t0 < 3000);        /* the refusal, not the 3 s spawn timeout */
    CHECK_EQ_U64(first->outcome, PVF_PRECHECK_FAILED);
    CHECK_STR_CONTAINS(first->message, "9.9.9-other");
    CHECK_STR_CONTAINS(first->message, theirs);

    t0 = test_now_ms();
    test_precheck(&pr, f.h, adder, alen, NULL);
    CHECK(test_now_ms() - t0 < 500);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, first->reason));
    CHECK(!strcmp(pr->message, first->message));

    pvf_execute_request rq;
    code_request(adder, alen, PVF_KIND_APPROVAL, 2000, &rq);
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    t0 = test_now_ms();
    test_execute(&r, f.h, &rq);
    CHECK(test_now_ms() - t0 < 500);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);     /* abstain, never a vote */
    CHECK_STR_CONTAINS(r->message, "9.9.9-other");
    CHECK_EQ_U64(r->attempts, 0);
    CHECK_EQ_U64(r->preparations, 0);
    test_execute_free(&r);
    CHECK_EQ_U64(pvf_host_prepare_worker_pid(f.h), (uint64_t)-1);
    CHECK_EQ_U64(pvf_host_execute_worker_pid(f.h), (uint64_t)-1);
    ffix_done(&f);
    free(adder);
}

/* ================================================================ idle deaths */

/* A worker that dies while idle (the OOM killer, an operator) is noticed and retired
 * (§1.4 purge_dead; host.h: "a worker that dies … is dropped and its slot re-spawned when
 * work needs it"): the next job runs on a fresh worker and is not blamed for the death —
 * for backing, PossiblyInvalid would become an invalid vote on a valid candidate. */
TEST(pvfhost_fault_idle_worker_death_not_blamed_on_next_job)
{
    size_t alen, hlen;
    uint8_t *adder = test_read_data(ADDER, &alen);
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &hlen);
    ffix f;
    CHECK(halt != NULL);
    if (!adder || !halt || !ffix_init(&f, NULL, NULL)) {
        free(adder), free(halt);
        return;
    }
    check_adder_valid(&f, adder, alen);
    long prep = pvf_host_prepare_worker_pid(f.h), exec = pvf_host_execute_worker_pid(f.h);
    CHECK(prep > 0 && exec > 0);
    if (prep > 0)
        kill((pid_t)prep, SIGKILL);
    if (exec > 0)
        kill((pid_t)exec, SIGKILL);
    sleep_ms(200);
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, halt, hlen, NULL);
    note_workers(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    if (pr->outcome != PVF_PRECHECK_VALID)
        test_fail(__FILE__, __LINE__, "precheck after an idle prepare worker died: %s %s: %s",
                  pvf_precheck_outcome_name(pr->outcome), pr->reason, pr->message);
    check_adder_valid(&f, adder, alen);
    CHECK(test_pid_gone(prep));
    CHECK(test_pid_gone(exec));
    ffix_done(&f);
    free(adder), free(halt);
}

/*
 * job_wait.c — waiting for a job process: reading its result, the CPU-time
 * monitor, reaping, and telling how it ended (job.h; reference-behaviour.md
 * §2.7, §2.8; sandbox-notes.md §4.2 step 4, §4.3).
 *
 * One loop, no threads: poll the result pipe, the job's pidfd and (a job
 * with input, job_feed) its input pipe while input is left to write, waking
 * when the rest of the CPU budget could be spent or the wall limit passes.
 * Each turn drains what the pipe holds (never wait for the exit first: a big
 * result would block the child in write), reads the job's CPU clock and
 * SIGKILLs the job when it is over budget. The reference's in-job monitor
 * sleeps "budget − used + 50 ms"; sleeping half the remaining budget instead
 * (at least 1 ms) bounds the overrun even for a job with several threads,
 * at the price of a few more wake-ups (about log2(budget / 1 ms)).
 *
 * Classification, first match wins:
 *   we killed it for CPU, SIGXCPU, or rusage CPU ≥ budget   ⇒ TIMED_OUT
 *   we killed it at the wall limit                          ⇒ WALL_TIMEOUT
 *   we killed it for a bad frame, or wait4 failed           ⇒ ERROR
 *   a job with input, killed at its whole result frame      ⇒ OK
 *   killed by a signal (CLD_KILLED or CLD_DUMPED)           ⇒ DIED "received signal: SIGSEGV"
 *   exit JOB_EXIT_OUT_OF_MEMORY                             ⇒ OUT_OF_MEMORY
 *   exit ≠ 0                                                ⇒ UNEXPECTED_EXIT
 *   exit 0, complete frame                                  ⇒ OK
 *   exit 0, no byte at all                                  ⇒ DIED "pipe closed without a result"
 *   exit 0, partial or malformed frame                      ⇒ ERROR
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include "worker/job.h"
#include "worker/job_internal.h"

#include "wire/protocol.h"
#include "util/cputime.h"
#include "util/saturate.h"

#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Without a pidfd, how often the loop looks for the job's exit. */
#define POLL_WITHOUT_PIDFD_MS 10
#define MAX_CHECK_INTERVAL_MS 1000  /* the longest sleep between two budget checks */
/* The payload buffer grows as bytes arrive, so a job announcing a huge frame
 * and sending little costs little. */
#define FIRST_CHUNK (64u << 10)

/* ---------------------------------------------------------------- result frame */

typedef struct frame_reader {
    uint8_t header[FRAME_HEADER_SIZE];
    size_t header_got;
    uint64_t len;               /* valid once header_got == FRAME_HEADER_SIZE */
    uint8_t *buf;
    size_t cap, got;
    size_t max;
    bool eof;
    bool bad;                   /* oversized, trailing bytes, read error, no memory */
    char err[120];
} frame_reader;

static bool frame_complete(const frame_reader *r)
{
    return r->header_got == FRAME_HEADER_SIZE && r->got == r->len;
}

static void reader_fail(frame_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reader_fail(frame_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->bad = true;
}

/* Where the next bytes go, and how many may go there. */
static bool reader_next_slot(frame_reader *r, uint8_t **dst, size_t *room)
{
    if (r->header_got < FRAME_HEADER_SIZE) {
        *dst = r->header + r->header_got;
        *room = FRAME_HEADER_SIZE - r->header_got;
        return true;
    }
    if (r->got == r->cap) {
        size_t want = r->cap ? r->cap * 2 : FIRST_CHUNK;
        if (want > r->len)
            want = (size_t)r->len;
        uint8_t *p = realloc(r->buf, want ? want : 1);
        if (!p) {
            reader_fail(r, "out of memory for a %llu-byte result", (unsigned long long)r->len);
            return false;
        }
        r->buf = p;
        r->cap = want;
    }
    *dst = r->buf + r->got;
    *room = r->cap - r->got;
    return true;
}

static void reader_account(frame_reader *r, size_t n)
{
    if (r->header_got < FRAME_HEADER_SIZE) {
        r->header_got += n;
        if (r->header_got < FRAME_HEADER_SIZE)
            return;
        r->len = frame_header_decode(r->header);
        if (r->len > r->max)
            reader_fail(r, "result frame too large: %llu bytes, limit %zu",
                        (unsigned long long)r->len, r->max);
        return;
    }
    r->got += n;
}

/* Read whatever the pipe holds now, without blocking. */
static void reader_pump(frame_reader *r, int fd)
{
    while (!r->eof && !r->bad) {
        uint8_t *dst, extra;
        size_t room;
        if (frame_complete(r)) {
            dst = &extra;       /* anything after the frame is an error */
            room = 1;
        } else if (!reader_next_slot(r, &dst, &room)) {
            return;
        }
        ssize_t k = read(fd, dst, room);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (k < 0) {
            reader_fail(r, "reading the result pipe: %s", strerror(errno));
            return;
        }
        if (k == 0) {
            r->eof = true;
            return;
        }
        if (dst == &extra) {
            reader_fail(r, "trailing bytes after the result frame of %llu bytes",
                        (unsigned long long)r->len);
            return;
        }
        reader_account(r, (size_t)k);
    }
}

/* ---------------------------------------------------------------- monitor */

/* KILLED_AT_RESULT: a job with input, its result frame whole (job.h) */
typedef enum kill_reason { KILLED_NOT, KILLED_CPU, KILLED_WALL, KILLED_STALL, KILLED_FRAME, KILLED_AT_RESULT } kill_reason;

typedef struct monitor {
    job *j;
    frame_reader reader;
    kill_reason killed;
    uint64_t cpu_seen_ns;       /* last CPU clock reading */
    uint64_t cpu_moved_ns;      /* CLOCK_MONOTONIC when that reading last changed */
    bool cpu_at_result_read;    /* KILLED_AT_RESULT: cpu_seen_ns is the job's CPU clock then */
} monitor;

/* ---------------------------------------------------------------- input */

static bool input_left(const job *j)
{
    return j->write_fd >= 0 && j->input_sent < FRAME_HEADER_SIZE + j->input_len;
}

/* Write what the input pipe takes now, without blocking; close it when all is written, or when
 * the job stopped reading (EPIPE: how it ended tells the rest). */
static void writer_pump(job *j)
{
    while (input_left(j)) {
        struct iovec iov[2];
        int n = 0;
        size_t sent = j->input_sent;
        if (sent < FRAME_HEADER_SIZE)
            iov[n++] = (struct iovec){ j->input_header + sent, FRAME_HEADER_SIZE - sent };
        size_t body_sent = sent < FRAME_HEADER_SIZE ? 0 : sent - FRAME_HEADER_SIZE;
        if (j->input_len > body_sent)
            iov[n++] = (struct iovec){ (void *)(j->input + body_sent), j->input_len - body_sent };
        ssize_t k = writev(j->write_fd, iov, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (k < 0)
            break;
        j->input_sent += (size_t)k;
    }
    if (j->write_fd >= 0) {
        close(j->write_fd);
        j->write_fd = -1;
    }
}

static void kill_job(monitor *m, kill_reason why)
{
    kill(m->j->pid, SIGKILL);
    m->killed = why;
}

/*
 * Check the budgets; kill when one is spent. Returns how long the loop may
 * sleep before the next check (ms; -1 = no limit): half the CPU budget left
 * (CPU time can't run out faster than wall time on one thread), at most
 * MAX_CHECK_INTERVAL_MS so that a job killed from outside or stuck in the
 * kernel is seen within a second.
 */
static int check_limits(monitor *m)
{
    const job_limits *lim = &m->j->limits;
    int sleep_ms = -1;

    if (lim->cpu_ms || lim->stall_ms) {
        uint64_t budget = lim->cpu_ms ? sat_mul_u64(lim->cpu_ms, 1000000u) : UINT64_MAX, cpu;
        if (job_cpu_time_ns(m->j->pid, &cpu)) {
            uint64_t now = monotonic_ns();
            if (cpu != m->cpu_seen_ns || !m->cpu_moved_ns)
                m->cpu_moved_ns = now;
            m->cpu_seen_ns = cpu;
            if (cpu >= budget) {
                kill_job(m, KILLED_CPU);
                return 0;
            }
            /* Blocked or stopped: the budget would never run out (issue 13, finding 8). */
            if (lim->stall_ms && now - m->cpu_moved_ns >= sat_mul_u64(lim->stall_ms, 1000000u)) {
                kill_job(m, KILLED_STALL);
                return 0;
            }
            uint64_t half = (budget - cpu) / 2 / 1000000u;
            sleep_ms = half < 1 ? 1 : half > MAX_CHECK_INTERVAL_MS ? MAX_CHECK_INTERVAL_MS : (int)half;
            if (lim->stall_ms && lim->stall_ms < (uint64_t)sleep_ms)
                sleep_ms = (int)lim->stall_ms;
        } else {
            sleep_ms = POLL_WITHOUT_PIDFD_MS;   /* exiting: the next turn will see it */
        }
    }
    if (lim->wall_ms) {
        uint64_t elapsed = monotonic_ns() - m->j->start_ns, limit = sat_mul_u64(lim->wall_ms, 1000000u);
        if (elapsed >= limit) {
            kill_job(m, KILLED_WALL);
            return 0;
        }
        uint64_t left = (limit - elapsed + 999999u) / 1000000u;
        int left_ms = left > MAX_CHECK_INTERVAL_MS ? MAX_CHECK_INTERVAL_MS : (int)left;
        if (sleep_ms < 0 || left_ms < sleep_ms)
            sleep_ms = left_ms;
    }
    if (m->j->pidfd < 0 && (sleep_ms < 0 || sleep_ms > POLL_WITHOUT_PIDFD_MS))
        sleep_ms = POLL_WITHOUT_PIDFD_MS;
    return sleep_ms;
}

static void sleep_until_event(monitor *m, int timeout_ms)
{
    struct pollfd pfd[3];
    int n = 0;
    if (input_left(m->j))
        pfd[n++] = (struct pollfd){ .fd = m->j->write_fd, .events = POLLOUT };
    if (!m->reader.eof && !m->reader.bad)
        pfd[n++] = (struct pollfd){ .fd = m->j->read_fd, .events = POLLIN };
    if (m->j->pidfd >= 0)
        pfd[n++] = (struct pollfd){ .fd = m->j->pidfd, .events = POLLIN };
    (void)poll(pfd, (nfds_t)n, timeout_ms);    /* EINTR: just check again */
}

/* Until the job has exited or we have killed it. */
static void monitor_run(monitor *m)
{
    for (;;) {
        writer_pump(m->j);
        reader_pump(&m->reader, m->j->read_fd);
        if (m->reader.bad) {
            kill_job(m, KILLED_FRAME);
            return;
        }
        if (m->j->limits.takes_input && frame_complete(&m->reader)) {
            /* Its answer is in: the job has nothing left to do but exit, and that teardown
             * need not delay the worker's answer (job_reap collects it). */
            m->cpu_at_result_read = job_cpu_time_ns(m->j->pid, &m->cpu_seen_ns);
            kill_job(m, KILLED_AT_RESULT);
            return;
        }
        if (!job_alive(m->j)) {
            reader_pump(&m->reader, m->j->read_fd);    /* bytes written just before exit */
            return;
        }
        int timeout = check_limits(m);
        if (m->killed != KILLED_NOT)
            return;
        sleep_until_event(m, timeout);
    }
}

/* ---------------------------------------------------------------- classification */

static void outcome_msg(job_outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outcome_msg(job_outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->msg, sizeof o->msg, fmt, ap);
    va_end(ap);
}

static void describe_signal(job_outcome *o, int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        outcome_msg(o, "received signal: SIG%s", abbrev);
    else
        outcome_msg(o, "received signal: %d", sig);
}

/*
 * SIGSYS is what a seccomp KILL_PROCESS looks like, but a job can also send
 * it to itself. As pid 1 of its own pid namespace it can't: the kernel
 * ignores signals a namespace's init sends itself without a handler, so
 * there the signal can only be seccomp's (sandbox-notes §3.1, §4.3). Either
 * way the verdict stays the reference's (an ambiguous job death); only the
 * message tells the two apart.
 */
static void note_sigsys(const job *j, job_outcome *o)
{
    o->seccomp_violation = j->method == JOB_METHOD_CLONE3 && (j->limits.extra_clone_flags & CLONE_NEWPID);
    size_t n = strlen(o->msg);
    snprintf(o->msg + n, sizeof o->msg - n, o->seccomp_violation ? " (seccomp violation)"
                                                                 : " (possibly a seccomp violation)");
}

/* Hand the payload over when the frame arrived whole. */
static void take_payload(monitor *m, job_outcome *o)
{
    if (!frame_complete(&m->reader) || m->reader.bad)
        return;
    o->payload = m->reader.buf ? m->reader.buf : malloc(1);
    o->payload_len = (size_t)m->reader.len;
    m->reader.buf = NULL;
}

static bool over_cpu_budget(const job_limits *lim, uint64_t cpu_ns)
{
    return lim->cpu_ms && cpu_ns >= sat_mul_u64(lim->cpu_ms, 1000000u);
}

static void classify_exit(monitor *m, job_outcome *o, int code)
{
    o->exit_status = code;
    if (code == JOB_EXIT_OUT_OF_MEMORY) {
        o->kind = JOB_OUT_OF_MEMORY;
        outcome_msg(o, "out of memory (limit %llu bytes)",
                    (unsigned long long)m->j->limits.mem_bytes);
        take_payload(m, o);
    } else if (code != 0) {
        o->kind = JOB_UNEXPECTED_EXIT;
        if (code == JOB_EXIT_SETUP_FAILED)
            outcome_msg(o, "job setup failed (exit status %d)", code);
        else
            outcome_msg(o, "unexpected exit status: %d", code);
        take_payload(m, o);
    } else if (frame_complete(&m->reader)) {
        o->kind = JOB_OK;
        take_payload(m, o);
    } else if (m->reader.header_got == 0) {
        o->kind = JOB_DIED;
        outcome_msg(o, "pipe closed without a result");
    } else if (m->reader.header_got < FRAME_HEADER_SIZE) {
        o->kind = JOB_ERROR;
        outcome_msg(o, "truncated result frame: got %zu of %d length bytes", m->reader.header_got,
                    FRAME_HEADER_SIZE);
    } else {
        o->kind = JOB_ERROR;
        outcome_msg(o, "truncated result frame: got %zu of %llu bytes%s", m->reader.got,
                    (unsigned long long)m->reader.len,
                    m->reader.eof ? "" : " (pipe still open after exit)");
    }
}

static void classify(monitor *m, job_outcome *o, int status)
{
    const job_limits *lim = &m->j->limits;
    bool signaled = WIFSIGNALED(status);
    int sig = signaled ? WTERMSIG(status) : 0;
    o->signal = sig;

    if (m->killed == KILLED_CPU || (signaled && sig == SIGXCPU) || over_cpu_budget(lim, o->cpu_ns)) {
        o->kind = JOB_TIMED_OUT;
        outcome_msg(o, "CPU time budget of %llu ms exceeded (used %llu ms)",
                    (unsigned long long)lim->cpu_ms, (unsigned long long)(o->cpu_ns / 1000000u));
    } else if (m->killed == KILLED_WALL) {
        o->kind = JOB_WALL_TIMEOUT;
        outcome_msg(o, "wall-clock limit of %llu ms exceeded", (unsigned long long)lim->wall_ms);
    } else if (m->killed == KILLED_STALL) {
        o->kind = JOB_WALL_TIMEOUT;
        outcome_msg(o, "no CPU time used for %llu ms: the job is blocked or stopped",
                    (unsigned long long)lim->stall_ms);
    } else if (m->killed == KILLED_AT_RESULT) {
        o->kind = JOB_OK;
        take_payload(m, o);
    } else if (m->killed == KILLED_FRAME) {
        o->kind = JOB_ERROR;
        outcome_msg(o, "%s", m->reader.err);
    } else if (signaled) {
        o->kind = JOB_DIED;
        describe_signal(o, sig);
        if (sig == SIGSYS)
            note_sigsys(m->j, o);
    } else if (WIFEXITED(status)) {
        classify_exit(m, o, WEXITSTATUS(status));
    } else {
        o->kind = JOB_DIED;
        outcome_msg(o, "unexpected status from wait: %#x", (unsigned)status);
    }
}

static void reap(monitor *m, job_outcome *o)
{
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t r;
    while ((r = wait4(m->j->pid, &status, 0, &ru)) < 0 && errno == EINTR) {
    }
    m->j->pid = -1;
    o->wall_ns = monotonic_ns() - m->j->start_ns;
    if (r < 0) {
        o->kind = JOB_ERROR;
        outcome_msg(o, "wait4: %s", strerror(errno));
        return;
    }
    o->cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
                (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
    o->max_rss_kib = ru.ru_maxrss > 0 ? (uint64_t)ru.ru_maxrss : 0;
    classify(m, o, status);
}

void job_wait(job *j, job_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->exit_status = -1;
    out->pid = j->pid;
    out->method = j->method;
    if (j->pid <= 0) {
        out->kind = JOB_ERROR;
        outcome_msg(out, "no job to wait for");
        job_close_fds(j);
        return;
    }
    monitor m;
    memset(&m, 0, sizeof m);
    m.j = j;
    m.reader.max = j->limits.max_result;
    if (j->limits.takes_input && !j->fed && j->write_fd >= 0) {
        close(j->write_fd);     /* no input: the job's read ends, and so does the job */
        j->write_fd = -1;
    }
    monitor_run(&m);
    if (m.killed == KILLED_AT_RESULT && m.cpu_at_result_read) {
        out->cpu_ns = m.cpu_seen_ns;
        out->wall_ns = monotonic_ns() - j->start_ns;
        classify(&m, out, 0);     /* killed by us at its result: no status of its own */
        j->reap_pending = true;
    } else {
        reap(&m, out);
        job_close_fds(j);
    }
    free(m.reader.buf);
}

void job_outcome_free(job_outcome *o)
{
    free(o->payload);
    o->payload = NULL;
    o->payload_len = 0;
}

const char *job_outcome_name(job_outcome_kind kind)
{
    static const char *const names[JOB_OUTCOME_COUNT] = {
        "OK", "TimedOut", "WallTimeout", "Died", "UnexpectedExit", "OutOfMemory", "Error",
    };
    return (unsigned)kind < JOB_OUTCOME_COUNT ? names[kind] : "?";
}

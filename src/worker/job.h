/*
 * job.h — one job in a one-off child process, as a worker runs it
 * (reference-behaviour.md §2.2, §2.7, §2.8; sandbox-notes.md §4.2, §4.3).
 *
 *   job j;  job_outcome o;
 *   if (!job_spawn(&body, arg, &limits, &j, err, sizeof err)) ... // nothing to clean up
 *   job_wait(&j, &o);             // always reaps the child and closes every fd
 *   ... o.kind, o.payload ...
 *   job_outcome_free(&o);
 *
 * The child runs the job body (job_body below). The worker side reads
 * the pipe as data arrives (a big result never blocks the child), watches
 * the job's CPU clock and kills it when the CPU budget is spent (sleeping
 * costs nothing), kills it too when the optional wall-clock limit passes (the
 * only thing that catches a SIGSTOPped job), reaps it with wait4 and
 * classifies the end (job_outcome_kind).
 *
 * Memory limit (prepare jobs, PrecheckingMaxMemory). The child sets
 * RLIMIT_DATA to its data size at the fork plus mem_limit, so the limit
 * counts only what the job allocates, as the reference's tracking allocator
 * does (it resets its counter to 0 when the job starts). Past the limit,
 * malloc returns NULL and mmap fails with ENOMEM: nothing is killed. The job
 * code checks its allocations, and when one fails it calls
 * job_exit_out_of_memory(): a raw write of the caller's OOM frame (for a
 * prepare job the reference's 10-byte OOM_PAYLOAD, Err(PrepareError::
 * OutOfMemory)) and _exit(JOB_EXIT_OUT_OF_MEMORY). The worker classifies that
 * exit code as JOB_OUT_OF_MEMORY whether or not the frame arrived. RLIMIT_AS
 * is deliberately not used (it would refuse big PROT_NONE reservations).
 *
 * Process creation: clone3(CLONE_PIDFD | extra_clone_flags) with fork
 * semantics (no separate stack, SIGCHLD as exit signal), falling back to
 * fork() + pidfd_open when the kernel refuses clone3 (ENOSYS, EPERM, EINVAL,
 * e.g. namespaces not allowed); job.method records which was used. Like the
 * reference, the caller must be single-threaded (a worker is, by contract):
 * clone3 skips glibc's atfork handlers.
 *
 * A job with input (job_limits.takes_input; issue 14) is spawned ahead of its request: set up,
 * under its allowlist, its run step prepares what it can (an execute job instantiates) and
 * then blocks reading its input from a pipe (job_input_length, job_input_read). The worker
 * hands the input over with job_feed, which also sets the request's budgets, and job_wait
 * returns as soon as the result frame is whole: the job is SIGKILLed then (it has nothing left
 * to do) and its exit, the teardown of its address space, is collected by job_reap after the
 * worker has answered. Its CPU time is its CPU clock at that moment, counted from the spawn:
 * the instantiation it did before its input is part of it, as in the reference's job.
 *
 * Never leaves a zombie or an fd: job_wait (job_reap after a job with input) and job_kill
 * always reap and close.
 */
#ifndef PVF_WORKER_JOB_H
#define PVF_WORKER_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire/protocol.h"

/* Exit code of a job that ran out of memory (job_exit_out_of_memory). */
#define JOB_EXIT_OUT_OF_MEMORY PROTO_JOB_EXIT_OUT_OF_MEMORY
/* Exit code of a child whose setup (rlimits, PDEATHSIG) failed before the job
 * body ran; reported as UNEXPECTED_EXIT with msg "job setup failed". */
#define JOB_EXIT_SETUP_FAILED 87

/*
 * The job body, in two steps in the child. `load` (may be NULL) runs before the job's syscall
 * allowlist (L5) and does what the allowlist forbids: mapping machine code executable, building
 * a memory image in a memfd, initialising libraries that read randomness. It returns false when
 * it has written its own result (a load error) and the job should end there. `run` runs under
 * L5: it writes its SCALE result as one frame (frame_write) to result_fd and returns, then the
 * child _exit(0)s; it may also _exit() itself (a non-zero code is UNEXPECTED_EXIT). Both get
 * the same arg: the child's copy of the caller's memory, so load may leave state in it for run.
 */
typedef bool (*job_load_fn)(void *arg, int result_fd);
typedef void (*job_fn)(void *arg, int result_fd);

typedef struct job_body {
    job_load_fn load;
    job_fn run;
} job_body;

typedef struct job_limits {
    uint64_t cpu_ms;            /* CPU-time budget on the job's CPU clock; 0 = none */
    uint64_t wall_ms;           /* wall-clock limit (SIGSTOP backstop); 0 = none */
    uint64_t stall_ms;          /* kill when the job's CPU clock stands still this long: blocked or
                                 * stopped, its CPU budget would never run out; 0 = never */
    uint64_t mem_bytes;         /* RLIMIT_DATA headroom for the job; 0 = none */
    size_t max_result;          /* largest result payload accepted; 0 = PROTO_MAX_SMALL_MESSAGE */
    uint64_t extra_clone_flags; /* L4: CLONE_NEW* namespaces for the job (sandbox_job_clone_flags) */
    bool force_fork;            /* skip clone3 (tests, or when clone is known to fail) */
    int keep_fd;                /* with restrict_job: an fd the job keeps besides 0-2 and its pipe
                                 * (the code's memory image); 0 or -1: none */
    bool restrict_job;          /* L6 in the child: file size, few fds (only 0-2 and the pipe
                                 * kept), no capabilities, stdio on /dev/null */
    bool job_seccomp;           /* L5 in the child: the job's allowlist, between load and run */
    bool takes_input;           /* an input pipe: the run step reads its input (job_input_*), handed
                                 * over by job_feed; job_wait returns at the result (job_reap after) */
} job_limits;

/* A job with input waiting for its request gets this RLIMIT_CPU backstop at its spawn, so that
 * an instantiation that never ends (a start function's loop) can't burn a core while the
 * worker is idle; job_feed replaces it with the request's. It never decides a verdict: a job
 * found dead when its input is due is replaced by a fresh one (job_alive). */
#define JOB_WAITING_CPU_BACKSTOP_S 60

/*
 * A prepare job that uses no CPU at all for this long is blocked or stopped and is killed as
 * timed out (issue 13, finding 8: it held `pvf validate` for the host's wall-clock wait, the
 * lenient 360 s × 4 = 24 min). A prepare job only computes, so a running one never stands still
 * this long: the verdict is the TimedOut the reference reaches after its wall-clock wait, sooner.
 * Not for execute jobs: there a timeout is an Invalid verdict, left to the host's wait as in
 * the reference.
 */
#define JOB_PREPARE_STALL_MS 30000

/* The job's RLIMIT_NOFILE under restrict_job: it needs its pipe, nothing more. */
#define JOB_MAX_FDS 16

typedef enum job_method {
    JOB_METHOD_CLONE3 = 0,      /* clone3 with CLONE_PIDFD and extra_clone_flags */
    JOB_METHOD_FORK = 1,        /* fork(); extra_clone_flags not applied */
} job_method;

/* A running job. Owned by the caller until job_wait or job_kill. */
typedef struct job {
    pid_t pid;
    int pidfd;                  /* -1 when pidfd_open is unavailable (then polled) */
    int read_fd;                /* result pipe, non-blocking */
    job_method method;
    int clone_errno;            /* why clone3 was not used (0 if it was, or not tried) */
    uint64_t start_ns;          /* CLOCK_MONOTONIC at spawn, or at job_feed */
    job_limits limits;
    /* takes_input: the pipe's write end (non-blocking) and what is left to write */
    int write_fd;
    uint8_t input_header[8];
    const uint8_t *input;
    size_t input_len, input_sent;   /* input_sent counts the header's bytes too */
    bool fed;
    bool reap_pending;          /* job_wait killed it at its result; job_reap collects it */
} job;

typedef enum job_outcome_kind {
    JOB_OK = 0,                 /* exit 0 and one complete frame: payload */
    JOB_TIMED_OUT,              /* CPU budget spent (we killed it, SIGXCPU, or rusage ≥ budget) */
    JOB_WALL_TIMEOUT,           /* wall limit passed, or no CPU used for stall_ms (stopped or
                                 * blocked job); we killed it */
    JOB_DIED,                   /* killed by a signal, or exit 0 without a result */
    JOB_UNEXPECTED_EXIT,        /* exited with a non-zero code (exit_status) */
    JOB_OUT_OF_MEMORY,          /* exited with JOB_EXIT_OUT_OF_MEMORY */
    JOB_ERROR,                  /* malformed/truncated/oversized frame, or a kernel error */
} job_outcome_kind;
#define JOB_OUTCOME_COUNT 7

typedef struct job_outcome {
    job_outcome_kind kind;
    uint8_t *payload;           /* malloc'd frame payload when one arrived complete, else NULL */
    size_t payload_len;
    int exit_status;            /* exit code (exited), else -1 */
    int signal;                 /* terminating signal (killed), else 0 */
    pid_t pid;                  /* the job's pid, for JobDied{job_pid} */
    uint64_t cpu_ns;            /* user + system CPU of the job (rusage from wait4) */
    uint64_t max_rss_kib;       /* its peak resident memory (ru_maxrss from wait4) */
    uint64_t wall_ns;           /* spawn to reap */
    job_method method;
    bool seccomp_violation;     /* killed by SIGSYS as pid 1 of its own pid namespace: only a seccomp
                                 * kill can do that (a self-sent SIGSYS is ignored there) */
    char msg[160];              /* "received signal: SIGSEGV", "pipe closed without a result", … */
} job_outcome;

/* Start the job. False (with err, nothing left behind) when the pipe or the
 * process cannot be created. */
bool job_spawn(const job_body *body, void *arg, const job_limits *lim, job *out, char *err, size_t errlen);

/* Collect the result, enforce the limits, reap, classify. Always leaves j
 * finished (reaped, fds closed); *out must be freed with job_outcome_free. */
void job_wait(job *j, job_outcome *out);

/* A job with input: hand it `input` (the caller keeps it alive until job_wait returns) and
 * the request's budgets — cpu_ms on the job's CPU clock since its spawn, wall_ms from now — then
 * job_wait. The input is written as the pipe takes it, by job_wait's loop. */
void job_feed(job *j, const uint8_t *input, size_t len, uint64_t cpu_ms, uint64_t wall_ms);

/* True while the job has not exited (a job with input still waiting for it; job_wait's loop
 * asks it too), without reaping it. */
bool job_alive(const job *j);

/* Collect a job job_wait left killed at its result (reap_pending); a no-op otherwise. */
void job_reap(job *j);

/* In a job with input: the length of the input (false: the worker closed the pipe first),
 * then its bytes, read straight into dst (false: the pipe ended early). */
bool job_input_length(uint64_t *len);
bool job_input_read(void *dst, size_t len);

/* Shutdown: SIGKILL the job, reap it, close its fds. Safe on a finished job. */
void job_kill(job *j);

void job_outcome_free(job_outcome *o);

/* "OK", "TimedOut", "WallTimeout", "Died", "UnexpectedExit", "OutOfMemory", "Error". */
const char *job_outcome_name(job_outcome_kind kind);

/* In the job: write the frame (raw writes, no allocation; none when payload is NULL) and
 * _exit(JOB_EXIT_OUT_OF_MEMORY). For when an allocation fails under mem_bytes. */
_Noreturn void job_exit_out_of_memory(int result_fd, const uint8_t *payload, size_t len);

/* Keep /proc/self/status open, for a worker about to pivot_root away from
 * /proc: the memory limit (mem_bytes) counts from the worker's own data size. */
void job_keep_proc_status(void);

/* In a worker, once: what every job would otherwise set up for itself (SIGXFSZ ignored: past
 * RLIMIT_FSIZE a write fails with EFBIG, for the worker too), and malloc's first use (glibc reads
 * getrandom then, which a job may not). A job's setup pays for each syscall. */
void job_worker_init(void);

/* Keep /dev/null open, for a worker about to pivot_root into a root without /dev: a
 * restricted job's fds 0, 1 and 2 become it (no terminal to inject into, no stdout to forge a
 * verdict on — issue 13, finding 1). */
void job_keep_devnull(void);

/* CPU time (user + system) a live child has used so far, from its CPU clock;
 * false when it cannot be read (e.g. the child is already a zombie). */
bool job_cpu_time_ns(pid_t pid, uint64_t *ns);

#endif

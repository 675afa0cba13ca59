/*
 * job.c — starting a job process and setting it up (job.h), and killing it.
 *
 * Waiting for the job, the CPU-time monitor and the classification of its
 * end are in job_wait.c.
 *
 * The child is created with clone3 in fork mode (no new stack: it returns
 * twice like fork), with CLONE_PIDFD so the worker can poll for its death;
 * the sandbox's namespace flags come later as extra_clone_flags. When the
 * kernel refuses, plain fork() + pidfd_open does the same job. In the child,
 * before the job body runs: close the pipe's read end, unblock signals, die
 * with the worker (PDEATHSIG), no core dumps, an RLIMIT_CPU backstop a
 * second above the budget, and the RLIMIT_DATA memory limit.
 */
#define _GNU_SOURCE  /* pipe2, clone3 flags, pidfd_open */
#include "worker/job.h"
#include "worker/sandbox.h"
#include "worker/job_internal.h"

#include "wire/protocol.h"
#include "util/errmsg.h"
#include "util/cputime.h"
#include "util/saturate.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The process's current data size (VmData, what RLIMIT_DATA is compared
 * with), so the job's limit can count only what the job itself allocates.
 * 0 when /proc is not there (a pivoted worker): the limit is then absolute,
 * which is stricter, never looser.
 */
/* /proc/self/status, opened before the worker's pivot_root hides /proc
 * (job_keep_proc_status); -1: open it by path each time. */
static int proc_status_fd = -1;

static int devnull_fd = -1;

/* SIGXFSZ ignored in the worker already (job_worker_init): its jobs inherit the disposition. */
static bool sigxfsz_ignored;

void job_worker_init(void)
{
    sigxfsz_ignored = signal(SIGXFSZ, SIG_IGN) != SIG_ERR;
    /* glibc seeds malloc's tcache key from getrandom at a process's first malloc — a syscall the
     * job allowlist lacks: a job whose worker had never allocated would die at its first. */
    void *volatile first = malloc(1);
    free(first);
}

void job_keep_devnull(void)
{
    if (devnull_fd < 0)
        devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
}

void job_keep_proc_status(void)
{
    if (proc_status_fd < 0)
        proc_status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
}

/* The worker's VmData: the job's memory limit counts only what the job adds. */
static uint64_t current_data_bytes(void)
{
    return proc_status_kib(proc_status_fd, "/proc/self/status", "VmData") * 1024;
}

/* The RLIMIT_CPU backstop for a CPU budget: the worker's monitor kills at the budget, SIGXCPU
 * comes a second after it (SIGKILL one more later). ms ≤ 2^64: no overflow. */
static uint64_t cpu_backstop_s(uint64_t cpu_ms)
{
    return cpu_ms / 1000 + (cpu_ms % 1000 != 0) + 1;
}

/* Say on stderr why the job could not start (the worker's log), then give up. */
static bool setup_failed(const char *why)
{
    dprintf(2, "pvf job %d: setup failed: %s\n", (int)getpid(), why);
    return false;
}

/* fds 0, 1, 2 of the job on /dev/null: the worker's (and so pvf's) terminal or pipes are out of
 * its reach. Opened here when the worker did not keep one (tests, no pivot). */
static bool stdio_to_devnull(void)
{
    int nul = devnull_fd >= 0 ? devnull_fd : open("/dev/null", O_RDWR);
    if (nul < 0)
        return setup_failed("open /dev/null: the job's stdin/stdout/stderr would stay the worker's");
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(nul, fd) != fd)
            return setup_failed("dup2 onto the job's stdio");
    if (nul > 2)
        close(nul);
    devnull_fd = -1;
    return true;
}

/* fds 0-2, the result pipe, the input pipe and the code's memory image (lim->keep_fd) are all
 * a job holds: whatever else the worker had open (its host connection, the fds it kept for
 * jobs) is closed here, whoever forgot it. */
static bool keep_only_fds(int result_fd, int input, int extra)
{
    if (result_fd < 3)
        return setup_failed("the result pipe is on a stdio fd");
    int keep[3] = {result_fd, input, extra};
    for (int i = 1; i < 3; i++)         /* ascending; fds below 3 and repeats sort first, unused */
        for (int k = i; k > 0 && keep[k] < keep[k - 1]; k--) {
            int t = keep[k];
            keep[k] = keep[k - 1];
            keep[k - 1] = t;
        }
    unsigned from = 3;
    for (int i = 0; i < 3; i++) {
        if (keep[i] < (int)from)
            continue;
        if ((unsigned)keep[i] > from && close_range(from, (unsigned)keep[i] - 1, 0) != 0)
            return setup_failed("close_range below a kept fd");
        from = (unsigned)keep[i] + 1;
    }
    if (close_range(from, ~0u, 0) != 0)
        return setup_failed("close_range above the kept fds");
    return true;
}

/* In the child of a job with input: the read end of its input pipe. */
static int input_fd = -1;

static bool read_full(void *dst, size_t len)
{
    uint8_t *p = dst;
    while (len > 0) {
        ssize_t k = read(input_fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        len -= (size_t)k;
    }
    return true;
}

bool job_input_length(uint64_t *len)
{
    uint8_t header[FRAME_HEADER_SIZE];
    if (input_fd < 0 || !read_full(header, sizeof header))
        return false;
    *len = frame_header_decode(header);
    return true;
}

bool job_input_read(void *dst, size_t len)
{
    return input_fd >= 0 && read_full(dst, len);
}

/* In the child: everything before the job body. False ⇒ the child exits
 * JOB_EXIT_SETUP_FAILED without running it. */
static bool setup_child(const job_limits *lim, int result_fd, pid_t worker, int worker_pidfd, uint64_t data_base)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Die with the worker; if it is already gone, stop now. getppid() can't
     * tell in a new pid namespace (it is 0 there), so the worker's pidfd,
     * opened before the clone, says whether it exited in between. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        return false;
    pid_t parent = getppid();
    if (parent != worker && parent != 0)
        return false;
    if (worker_pidfd >= 0) {
        struct pollfd p = {worker_pidfd, POLLIN, 0};
        if (poll(&p, 1, 0) != 0)
            return false;
        close(worker_pidfd);
    }
    if (proc_status_fd >= 0) {
        close(proc_status_fd);      /* the worker's, not the job's business */
        proc_status_fd = -1;
    }

    char err[256];
    if (!sandbox_lower_rlimit(RLIMIT_CORE, "RLIMIT_CORE", 0, 0, err, sizeof err))
        return setup_failed(err);
    if (lim->cpu_ms) {
        uint64_t secs = cpu_backstop_s(lim->cpu_ms);
        if (!sandbox_lower_rlimit(RLIMIT_CPU, "RLIMIT_CPU", secs, sat_add_u64(secs, 1), err, sizeof err))
            return setup_failed(err);
    } else if (lim->takes_input) {
        /* soft only: job_feed may still set the request's, above it */
        if (!sandbox_lower_rlimit(RLIMIT_CPU, "RLIMIT_CPU", JOB_WAITING_CPU_BACKSTOP_S, RLIM_INFINITY, err,
                                  sizeof err))
            return setup_failed(err);
    }
    if (lim->mem_bytes) {
        uint64_t limit = sat_add_u64(data_base, lim->mem_bytes);
        if (!sandbox_lower_rlimit(RLIMIT_DATA, "RLIMIT_DATA", limit, limit, err, sizeof err))
            return setup_failed(err);
    }
    /* Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the job. */
    if (lim->restrict_job && !sigxfsz_ignored && signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
        return setup_failed("signal(SIGXFSZ)");
    if (lim->restrict_job && !sandbox_job_restrict(SANDBOX_JOB_MAX_FILE_BYTES, JOB_MAX_FDS, err, sizeof err))
        return setup_failed(err);
    /* After the last message setup_failed could print there. */
    if (lim->restrict_job && !(stdio_to_devnull() && keep_only_fds(result_fd, input_fd, lim->keep_fd)))
        return false;
    return true;
}

/* The pipes of one job: the result's and, for a job with input, the input's (else -1). */
typedef struct job_pipes {
    int result[2];
    int input[2];
} job_pipes;

static _Noreturn void run_child(const job_body *body, void *arg, const job_pipes *pp, const job_limits *lim,
                                pid_t worker, int worker_pidfd, uint64_t data_base)
{
    int fds[2] = {pp->result[0], pp->result[1]};
    close(fds[0]);
    if (pp->input[1] >= 0)
        close(pp->input[1]);
    input_fd = pp->input[0];
    if (!setup_child(lim, fds[1], worker, worker_pidfd, data_base))
        _exit(JOB_EXIT_SETUP_FAILED);
    if (body->load && !body->load(arg, fds[1]))
        _exit(0);
    char err[256];
    /* Last: after it, nothing but the body's run step. */
    if (lim->job_seccomp && !sandbox_seccomp_job(fds[1], input_fd, err, sizeof err)) {
        setup_failed(err);      /* stderr may be /dev/null by now; the exit code still says it */
        _exit(JOB_EXIT_SETUP_FAILED);
    }
    body->run(arg, fds[1]);
    _exit(0);
}

/* clone3 in fork mode. Returns the pid (0 in the child), or -1 with errno. */
static pid_t clone3_fork(uint64_t extra_flags, int *pidfd)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_PIDFD | extra_flags;
    ca.pidfd = (uint64_t)(uintptr_t)pidfd;
    ca.exit_signal = SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
}

static void close_if_open(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Creates the child; in the child, never returns. */
static bool start_process(const job_body *body, void *arg, const job_pipes *fds, job *j, char *err, size_t errlen)
{
    pid_t worker = getpid();
    uint64_t data_base = j->limits.mem_bytes ? current_data_bytes() : 0;
    int pidfd = -1;
    pid_t pid = -1;
    /* The child polls it to see whether we died before its PDEATHSIG was set. */
    int self_pidfd = (int)syscall(SYS_pidfd_open, worker, 0);

    j->clone_errno = 0;
    if (!j->limits.force_fork) {
        pid = clone3_fork(j->limits.extra_clone_flags, &pidfd);
        if (pid == 0)
            run_child(body, arg, fds, &j->limits, worker, self_pidfd, data_base);
        if (pid > 0) {
            j->method = JOB_METHOD_CLONE3;
        } else {
            j->clone_errno = errno;
            if (errno != ENOSYS && errno != EPERM && errno != EINVAL && errno != EUSERS &&
                errno != ENOSPC) {
                errmsg_set(err, errlen, "clone3: %s", strerror(errno));
                close_if_open(self_pidfd);
                return false;
            }
        }
    }
    if (pid < 0) {
        pid = fork();
        if (pid == 0)
            run_child(body, arg, fds, &j->limits, worker, self_pidfd, data_base);
        if (pid < 0) {
            errmsg_set(err, errlen, "fork: %s", strerror(errno));
            close_if_open(self_pidfd);
            return false;
        }
        j->method = JOB_METHOD_FORK;
        /* Without a pidfd the wait loop polls; fine, just coarser. */
        pidfd = pidfd_open(pid, 0);
        if (pidfd >= 0)
            (void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    }
    close_if_open(self_pidfd);
    j->pid = pid;
    j->pidfd = pidfd;
    return true;
}

static void close_pipes(job_pipes *pp)
{
    for (int i = 0; i < 2; i++) {
        close_if_open(pp->result[i]);
        close_if_open(pp->input[i]);
    }
}

bool job_spawn(const job_body *body, void *arg, const job_limits *lim, job *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!body->run) {
        errmsg_set(err, errlen, "the job body has no run step");
        return false;
    }
    out->pid = -1;
    out->pidfd = -1;
    out->read_fd = -1;
    out->write_fd = -1;
    out->limits = *lim;
    if (out->limits.max_result == 0)
        out->limits.max_result = PROTO_MAX_SMALL_MESSAGE;

    job_pipes pp = {{-1, -1}, {-1, -1}};
    if (pipe2(pp.result, O_CLOEXEC) != 0 || (lim->takes_input && pipe2(pp.input, O_CLOEXEC) != 0)) {
        errmsg_set(err, errlen, "pipe2: %s", strerror(errno));
        close_pipes(&pp);
        return false;
    }
    /* A job that dies while its input is written must not take the worker with it. */
    if (lim->takes_input)
        signal(SIGPIPE, SIG_IGN);
    out->start_ns = monotonic_ns();
    if (!start_process(body, arg, &pp, out, err, errlen)) {
        close_pipes(&pp);
        return false;
    }
    /* Only the child may hold the write end, so end of file means it is done. */
    close(pp.result[1]);
    close_if_open(pp.input[0]);
    (void)fcntl(pp.result[0], F_SETFL, O_NONBLOCK);
    out->read_fd = pp.result[0];
    if (pp.input[1] >= 0) {
        (void)fcntl(pp.input[1], F_SETFL, O_NONBLOCK);
        out->write_fd = pp.input[1];
    }
    return true;
}

void job_feed(job *j, const uint8_t *input, size_t len, uint64_t cpu_ms, uint64_t wall_ms)
{
    frame_header_encode(len, j->input_header);
    j->input = input;
    j->input_len = len;
    j->input_sent = 0;
    j->fed = true;
    j->limits.cpu_ms = cpu_ms;
    j->limits.wall_ms = wall_ms;
    j->start_ns = monotonic_ns();
    if (cpu_ms && j->pid > 0) {
        /* The request's backstop replaces the wait's (it fails only for a job already gone,
         * which job_wait then reports). */
        uint64_t secs = cpu_backstop_s(cpu_ms);
        struct rlimit rl = {secs, sat_add_u64(secs, 1)};
        (void)prlimit(j->pid, RLIMIT_CPU, &rl, NULL);
    }
}

void job_close_fds(job *j)
{
    close_if_open(j->read_fd);
    close_if_open(j->pidfd);
    close_if_open(j->write_fd);
    j->read_fd = -1;
    j->pidfd = -1;
    j->write_fd = -1;
}

void job_kill(job *j)
{
    if (j->pid > 0) {
        kill(j->pid, SIGKILL);
        while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        j->pid = -1;
    }
    j->reap_pending = false;
    job_close_fds(j);
}

void job_reap(job *j)
{
    if (j->reap_pending)
        job_kill(j);
}

bool job_alive(const job *j)
{
    if (j->pid <= 0)
        return false;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno != ECHILD;     /* ECHILD: already gone, nothing more to wait for */
    return si.si_pid == 0;
}

_Noreturn void job_exit_out_of_memory(int result_fd, const uint8_t *payload, size_t len)
{
    uint8_t header[FRAME_HEADER_SIZE];
    frame_header_encode(len, header);
    /* Raw writes, no allocation: the heap is exactly what just ran out. */
    if (payload && write(result_fd, header, sizeof header) == (ssize_t)sizeof header && len > 0) {
        size_t done = 0;
        while (done < len) {
            ssize_t k = write(result_fd, payload + done, len - done);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            done += (size_t)k;
        }
    }
    _exit(JOB_EXIT_OUT_OF_MEMORY);
}

bool job_cpu_time_ns(pid_t pid, uint64_t *ns)
{
    clockid_t clk;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
        return false;
    *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return true;
}


/*
 * security_checks.c — the workers' check modes: the host runs each in its
 * own process at start-up, in parallel, to learn which sandbox layers work
 * on this machine (reference: pvf/src/security.rs; sandbox-notes §4.4).
 *
 * A check doesn't trust a return value: it applies the real layer in a
 * child and proves the effect with an action that must now fail.
 *
 *   --check-landlock          landlock with no exception ⇒ open("/etc/passwd") fails EACCES
 *   --check-seccomp           the worker filter ⇒ socket() kills the child with SIGSYS, and the
 *                             job allowlist ⇒ open() kills another one
 *   --check-userns-pivot DIR  pivot_root into DIR read-only ⇒ /etc/passwd is gone, "/" is EROFS
 *   --check-job-clone         clone3 with the job's namespaces ⇒ the job is pid 1
 *
 * Exit 0 with one line on stdout ("landlock: available, ABI 7"), or exit 1
 * with the reason on stderr. Exit 2: unknown check or missing DIR.
 */
#define _GNU_SOURCE
#include "worker/worker_common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "worker/sandbox.h"

/* Exit codes of a check's child. */
#define CHILD_PROVED 0
#define CHILD_LAYER_FAILED 2    /* applying the layer failed (reason on stderr) */
#define CHILD_NO_EFFECT 3       /* applied, but the forbidden action worked */

typedef int (*check_body)(const char *dir);

/* Run body in a child; its wait status in *status. False when fork fails. */
static bool in_child(check_body body, const char *dir, int *status)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0)
        _exit(body(dir));
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return false;
    return true;
}

static int fail_child(const char *what, const char *err)
{
    fprintf(stderr, "%s: %s\n", what, err);
    return CHILD_LAYER_FAILED;
}

static int landlock_body(const char *dir)
{
    (void)dir;
    char err[512];
    if (!sandbox_landlock(SANDBOX_FS_NONE, NULL, NULL, err, sizeof err))
        return fail_child("landlock", err);
    int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 || errno != EACCES) {
        fprintf(stderr, "landlock: applied, but open(/etc/passwd) %s\n", fd >= 0 ? "worked" : strerror(errno));
        return CHILD_NO_EFFECT;
    }
    return CHILD_PROVED;
}

static int seccomp_body(const char *dir)
{
    (void)dir;
    char err[512];
    if (!sandbox_seccomp_worker(err, sizeof err))
        return fail_child("seccomp", err);
    int fd = socket(AF_INET, SOCK_STREAM, 0);      /* must never return */
    fprintf(stderr, "seccomp: applied, but socket() returned %d (%s)\n", fd, fd < 0 ? strerror(errno) : "ok");
    return CHILD_NO_EFFECT;
}

/* L5: a job's allowlist has no open (nor any other file-system call). */
static int job_allowlist_body(const char *dir)
{
    (void)dir;
    char err[512];
    if (!sandbox_seccomp_job(STDOUT_FILENO, -1, err, sizeof err))
        return fail_child("seccomp (job allowlist)", err);
    int fd = open("/", O_RDONLY | O_CLOEXEC);      /* must never return */
    dprintf(STDERR_FILENO, "seccomp: job allowlist applied, but open() returned %d\n", fd);
    return CHILD_NO_EFFECT;
}

static int pivot_body(const char *dir)
{
    char err[512];
    if (!sandbox_pivot_into(dir, true, err, sizeof err))
        return fail_child("pivot_root", err);
    if (access("/etc/passwd", F_OK) == 0 || errno != ENOENT) {
        fprintf(stderr, "pivot_root: applied, but /etc/passwd is still visible\n");
        return CHILD_NO_EFFECT;
    }
    int fd = open("/pvf-check-write", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EROFS) {
        fprintf(stderr, "pivot_root: applied, but the root is not read-only (%s)\n", fd >= 0 ? "created a file" : strerror(errno));
        return CHILD_NO_EFFECT;
    }
    return CHILD_PROVED;
}

static int clone_body(const char *dir)
{
    (void)dir;
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    int pidfd = -1;
    ca.flags = CLONE_PIDFD | sandbox_job_clone_flags(false, false);
    ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    if (pid < 0)
        return fail_child("clone3 with the job's namespaces", strerror(errno));
    if (pid == 0)
        _exit(getpid() == 1 ? CHILD_PROVED : CHILD_NO_EFFECT);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) != 0)
        return fail_child("waitid(P_PIDFD)", strerror(errno));
    if (si.si_code != CLD_EXITED || si.si_status != CHILD_PROVED) {
        fprintf(stderr, "clone3: the job was not pid 1 of its own pid namespace\n");
        return CHILD_NO_EFFECT;
    }
    return CHILD_PROVED;
}

static const char *arg_check_text(sandbox_arg_check c)
{
    switch (c) {
    case SANDBOX_ANY_ARGS: return "any";
    case SANDBOX_RESULT_FD: return "the result pipe only";
    case SANDBOX_INPUT_FD: return "the input pipe only";
    case SANDBOX_SELF: return "the job itself only";
    case SANDBOX_PRIVATE_NOT_EXEC: return "private, not executable";
    case SANDBOX_NOT_EXEC: return "not executable";
    }
    return "?";
}

int worker_print_job_allowlist(void)
{
    size_t n;
    const sandbox_allowed_call *a = sandbox_job_allowlist(&n);
    for (size_t i = 0; i < n; i++)
        printf("%s\t%s\t%s\n", a[i].name, arg_check_text(a[i].check), a[i].why);
    return fflush(stdout) == 0 ? WORKER_EXIT_OK : WORKER_EXIT_ERROR;
}

/* A seccomp check's child must die of SIGSYS; any other must exit CHILD_PROVED. */
static bool proved(bool seccomp, int status)
{
    if (!seccomp)
        return WIFEXITED(status) && WEXITSTATUS(status) == CHILD_PROVED;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        return true;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) >= CHILD_LAYER_FAILED))
        fprintf(stderr, "seccomp: the child did not die of SIGSYS (wait status %#x)\n", (unsigned)status);
    return false;
}

int worker_run_check(const char *mode, const char *dir)
{
    static const struct {
        const char *flag;
        check_body body;
        bool needs_dir;
        const char *layer;
    } checks[] = {
        {"--check-landlock", landlock_body, false, "landlock"},
        {"--check-seccomp", seccomp_body, false, "seccomp"},
        {"--check-userns-pivot", pivot_body, true, "userns_pivot_root"},
        {"--check-job-clone", clone_body, false, "job_clone"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (strcmp(mode, checks[i].flag))
            continue;
        if (checks[i].needs_dir && !dir) {
            fprintf(stderr, "%s needs a directory\n", mode);
            return WORKER_EXIT_USAGE;
        }
        int status = 0;
        if (!in_child(checks[i].body, dir, &status)) {
            fprintf(stderr, "%s: fork: %s\n", checks[i].layer, strerror(errno));
            return WORKER_EXIT_ERROR;
        }
        bool seccomp = checks[i].body == seccomp_body;
        if (!proved(seccomp, status))
            return WORKER_EXIT_ERROR;
        if (seccomp) {
            /* the job's allowlist too: the same kernel feature, a different program */
            if (!in_child(job_allowlist_body, NULL, &status)) {
                fprintf(stderr, "seccomp: fork: %s\n", strerror(errno));
                return WORKER_EXIT_ERROR;
            }
            if (!proved(true, status))
                return WORKER_EXIT_ERROR;
            size_t n;
            sandbox_job_allowlist(&n);
            printf("seccomp: available, worker denylist and job allowlist (%zu syscalls)\n", n);
        } else if (checks[i].body == landlock_body) {
            printf("%s: available, ABI %d\n", checks[i].layer, sandbox_landlock_abi());
        } else {
            printf("%s: available\n", checks[i].layer);
        }
        return WORKER_EXIT_OK;
    }
    fprintf(stderr, "unknown check %s (--check-landlock, --check-seccomp, --check-userns-pivot DIR, --check-job-clone)\n",
            mode);
    return WORKER_EXIT_USAGE;
}

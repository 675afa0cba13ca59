/*
 * sandbox_hygiene.c — layer L0 of the sandbox (sandbox.h; sandbox-notes §4.1,
 * §4.2 "Worker init" steps 1–2 and 5).
 *
 * Nothing here needs a privilege or a kernel feature newer than close_range
 * (5.9): the process dies with its parent, cannot be ptraced or dumped by a
 * process of the same uid, leaves no core file, can never gain privileges
 * through execve, and holds no file descriptor it was not explicitly given.
 *
 * Written as a linear list of steps, bubblewrap style: one syscall per step,
 * each failure reported with the step's name and strerror(errno).
 */
#define _GNU_SOURCE  /* close_range */
#include "worker/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

/* The most fds a caller may keep: a worker keeps its host connection and
 * perhaps a log or artifact fd; anything near this is a bug. */
#define HYGIENE_MAX_KEEP 32

bool sandbox_env_is_empty(void)
{
    return environ == NULL || environ[0] == NULL;
}

/* keep[] without fds < 3 or duplicates, ascending, into out; the count, or -1
 * when there are too many. */
static int sorted_keep_fds(const int *keep, size_t n_keep, int *out)
{
    int n = 0;
    for (size_t i = 0; i < n_keep; i++) {
        int fd = keep[i];
        if (fd < 3)
            continue;
        int j = n;
        while (j > 0 && out[j - 1] > fd)
            j--;
        if (j > 0 && out[j - 1] == fd)
            continue;
        if (n == HYGIENE_MAX_KEEP)
            return -1;
        memmove(&out[j + 1], &out[j], (size_t)(n - j) * sizeof out[0]);
        out[j] = fd;
        n++;
    }
    return n;
}

/* Close every fd >= 3 that is not in keep: close_range over each gap between
 * the kept fds, then everything above the last one. */
static bool close_all_but(const int *keep, size_t n_keep, char *err, size_t errlen)
{
    int sorted[HYGIENE_MAX_KEEP];
    int n = sorted_keep_fds(keep, n_keep, sorted);
    if (n < 0)
        return sandbox_fail(err, errlen, "close_range: more than %d fds to keep (%zu)", HYGIENE_MAX_KEEP, n_keep);
    unsigned first = 3;
    for (int i = 0; i < n; i++) {
        unsigned kept = (unsigned)sorted[i];
        if (kept > first && close_range(first, kept - 1, 0) != 0)
            return sandbox_fail(err, errlen, "close_range(%u, %u): %s", first, kept - 1, strerror(errno));
        first = kept + 1;
    }
    if (close_range(first, ~0U, 0) != 0)
        return sandbox_fail(err, errlen, "close_range(%u, ~0): %s", first, strerror(errno));
    return true;
}

bool sandbox_hygiene(int parent, const int *keep, size_t n_keep, char *err, size_t errlen)
{
    /* Die with the parent. PDEATHSIG fires when the parent *thread* exits, and
     * only for a parent that dies after this call: check getppid() afterwards
     * so a parent that died just before is caught too. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_SET_PDEATHSIG, SIGKILL): %s", strerror(errno));
    if (parent > 0 && getppid() != parent)
        return sandbox_fail(err, errlen, "getppid: parent %d is gone (parent is now %d)", parent, (int)getppid());

    /* Not dumpable: no ptrace or /proc/pid/mem access by other processes of the
     * same uid, and a fatal signal ends as CLD_KILLED, never CLD_DUMPED. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));

    /* No core files, and the hard limit too so nothing can raise it again. */
    struct rlimit no_core = { 0, 0 };
    if (setrlimit(RLIMIT_CORE, &no_core) != 0)
        return sandbox_fail(err, errlen, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));

    /* execve can never grant privileges (setuid bits, file capabilities). */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS, 1): %s", strerror(errno));

    /* Inherited fds that nobody meant to give us (non-CLOEXEC leaks). */
    return close_all_but(keep, n_keep, err, errlen);
}

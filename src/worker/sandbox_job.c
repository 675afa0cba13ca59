/*
 * sandbox_job.c — layers L4 (the job's namespaces) and L6 (the job's limits
 * and capabilities) of the sandbox (sandbox.h; sandbox-notes §4.1, §4.2
 * "In the job", §3.1).
 *
 * L4 is only the clone flags: job.c does the clone3 itself. As pid 1 of its
 * own PID namespace the job cannot send itself a fatal SIGSYS (self-sent
 * default-action signals are ignored for pid 1), so a SIGSYS death can only
 * be a seccomp kill; NEWNET leaves it only a loopback that is down, NEWIPC
 * hides the host's SysV objects.
 *
 * L6 is a linear list of steps run in the job before untrusted code: no file
 * may grow past what a wasm memory image needs (RLIMIT_FSIZE), few fds, then every capability dropped — the
 * job would otherwise hold all capabilities of the worker's user namespace.
 */
#define _GNU_SOURCE  /* CLONE_NEW* */
#include "worker/sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t sandbox_job_clone_flags(bool in_own_userns, bool worker_shares_ns)
{
    /* Once the worker has its own empty network, IPC, UTS and cgroup namespaces
     * (sandbox_share_job_namespaces), a job needs only a pid namespace of its own: the rest
     * would be new but just as empty every time, and a netns costs the most to make and tear
     * down (issue 14). */
    uint64_t flags = worker_shares_ns ? CLONE_NEWPID
                                      : CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS |
                                            CLONE_NEWCGROUP;
    /* Without a user namespace of its own the worker has no CAP_SYS_ADMIN to
     * create the others; with one (L1), a nested one is unnecessary. */
    if (!in_own_userns)
        flags |= CLONE_NEWUSER;
    return flags;
}

bool sandbox_share_job_namespaces(char *err, size_t errlen)
{
    if (unshare(SANDBOX_SHARED_JOB_NS) != 0)
        return sandbox_fail(err, errlen, "unshare(CLONE_NEWNET|NEWIPC|NEWUTS|NEWCGROUP): %s", strerror(errno));
    return true;
}

static rlim_t rlim_min(rlim_t a, rlim_t b)
{
    return a < b ? a : b;
}

/* At most soft / hard, never raising either: one prlimit that sets and reads back, and a second
 * only when the old limit was lower (a job's setup pays for every syscall: issue 14). An
 * unprivileged process can't raise its hard limit (EPERM): then the current one is read first. */
bool sandbox_lower_rlimit(int resource, const char *name, rlim_t soft, rlim_t hard, char *err, size_t errlen)
{
    struct rlimit want = { rlim_min(soft, hard), hard }, old;
    if (prlimit(0, (enum __rlimit_resource)resource, &want, &old) != 0) {
        if (errno != EPERM || prlimit(0, (enum __rlimit_resource)resource, NULL, &old) != 0)
            return sandbox_fail(err, errlen, "prlimit(%s): %s", name, strerror(errno));
        want.rlim_max = rlim_min(hard, old.rlim_max);
        want.rlim_cur = rlim_min(want.rlim_cur, want.rlim_max);
    } else if (old.rlim_cur >= want.rlim_cur && old.rlim_max >= want.rlim_max) {
        return true;
    }
    struct rlimit fixed = { rlim_min(want.rlim_cur, old.rlim_cur), rlim_min(want.rlim_max, old.rlim_max) };
    if (prlimit(0, (enum __rlimit_resource)resource, &fixed, NULL) != 0)
        return sandbox_fail(err, errlen, "prlimit(%s, %llu): %s", name, (unsigned long long)fixed.rlim_cur,
                            strerror(errno));
    return true;
}

static bool read_caps(struct __user_cap_data_struct data[2], char *err, size_t errlen)
{
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    if (syscall(SYS_capget, &hdr, data) != 0)
        return sandbox_fail(err, errlen, "capget: %s", strerror(errno));
    return true;
}

/* Set once the bounding set is empty (by sandbox_drop_bounding_set in the worker): a job,
 * forked with it, inherits the empty set and this flag, and skips the 41 prctl calls. */
static bool bounding_set_empty;

/* Empty the bounding set: PR_CAPBSET_DROP for 0, 1, … until the kernel says
 * EINVAL (past its last capability, whatever our headers know). */
static bool drop_bounding_set(char *err, size_t errlen)
{
    if (bounding_set_empty)
        return true;
    for (unsigned long cap = 0;; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
            continue;
        if (errno == EINVAL && cap > 0)
            return bounding_set_empty = true;
        if (errno == EPERM && cap == 0) {
            /* Dropping needs CAP_SETPCAP in our user namespace. A plain
             * unprivileged process (no user namespace of its own, e.g. the
             * fork fallback of an unprivileged worker without L1) lacks it and
             * cannot change the bounding set; the set only limits what execve
             * of a file-capability binary could grant, and NO_NEW_PRIVS (L0)
             * already prevents any such gain. So skip it — but only when we
             * really lack CAP_SETPCAP; otherwise EPERM is unexplained. */
            struct __user_cap_data_struct data[2];
            if (!read_caps(data, err, errlen))
                return false;
            if (data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP))
                return sandbox_fail(err, errlen, "prctl(PR_CAPBSET_DROP, 0): EPERM although CAP_SETPCAP is effective");
            return true;
        }
        return sandbox_fail(err, errlen, "prctl(PR_CAPBSET_DROP, %lu): %s", cap, strerror(errno));
    }
}

bool sandbox_drop_bounding_set(char *err, size_t errlen)
{
    return drop_bounding_set(err, errlen);
}

bool sandbox_job_restrict(uint64_t max_file_bytes, unsigned max_fds, char *err, size_t errlen)
{
    /* A write past the limit fails with EFBIG (SIGXFSZ, whose default action
     * kills, if the job does not ignore it). */
    if (!sandbox_lower_rlimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", (rlim_t)max_file_bytes, (rlim_t)max_file_bytes, err, errlen))
        return false;

    if (max_fds > 0 && !sandbox_lower_rlimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", max_fds, max_fds, err, errlen))
        return false;

    /* The bounding set first: dropping from it needs CAP_SETPCAP, which the
     * capset below takes away. */
    if (!drop_bounding_set(err, errlen))
        return false;

    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s", strerror(errno));

    /* Effective, permitted and inheritable all empty; lowering is always
     * allowed, privileged or not. */
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct none[2];
    memset(none, 0, sizeof none);
    if (syscall(SYS_capset, &hdr, none) != 0)
        return sandbox_fail(err, errlen, "capset (all sets empty): %s", strerror(errno));

    /* Read back: a capset that "succeeded" must have left nothing. */
    struct __user_cap_data_struct now[2];
    if (!read_caps(now, err, errlen))
        return false;
    for (int i = 0; i < 2; i++) {
        if (now[i].effective || now[i].permitted || now[i].inheritable)
            return sandbox_fail(err, errlen, "capset: capabilities remain (word %d: eff 0x%x prm 0x%x inh 0x%x)", i,
                        now[i].effective, now[i].permitted, now[i].inheritable);
    }
    return true;
}

/*
 * worker_sandbox.c — a worker enters its sandbox once, right after the
 * handshakes, in the order of sandbox-notes §4.2, applying the layers the
 * host's startup checks found available (its SecurityStatus):
 *
 *   0. the environment must be empty (the host starts workers with none);
 *   1. L0 hygiene: die with the host, not dumpable, no core, no new
 *      privileges, only the host socket kept open;
 *   2. L1 user + mount namespace, the worker dir as "/" (read-only for the
 *      execute worker);
 *   3. L2 landlock: read (execute) or create/write (prepare) beneath "/";
 *   4. L3 seccomp, last: the host socket is already connected.
 *
 * A failure of L0 or L1 always stops the worker (a half-applied namespace
 * set-up is no state to run jobs in); in secure mode so does any failure,
 * otherwise a missing L2/L3 is logged and the worker goes on. What was
 * applied decides the jobs' own layers (worker_job_limits).
 */
#define _GNU_SOURCE
#include "worker/worker_common.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "worker/job.h"
#include "worker/sandbox.h"

/* A failed optional layer: fatal in secure mode, a warning otherwise. */
static bool optional_layer_failed(const worker_ctx *w, const char *layer, const char *why)
{
    bool secure = w->security.secure_validator_mode;
    worker_log(w, "%s: %s%s", layer, why, secure ? " (secure mode: stopping)" : " (insecure mode: going on)");
    return !secure;
}

bool worker_enter_sandbox(worker_ctx *w)
{
    const proto_security_status *st = &w->security;
    char err[512];
    if (!sandbox_env_is_empty() && !optional_layer_failed(w, "environment", "the environment is not empty"))
        return false;
    int keep[] = {w->sock};
    if (!sandbox_hygiene(getppid(), keep, 1, err, sizeof err)) {
        worker_log(w, "hygiene: %s", err);
        return false;
    }
    if (getpid() != 1)
        worker_log(w, "not pid 1 of a pid namespace of its own (the host could not make one): a hijacked "
                      "worker could signal any process of its uid");
    job_keep_devnull();             /* /dev is gone after the pivot; jobs' stdio goes there */
    job_worker_init();
    if (st->can_unshare_user_namespace_and_change_root) {
        job_keep_proc_status();     /* /proc is gone after the pivot */
        if (!sandbox_pivot_into(w->worker_dir, w->kind == WORKER_EXECUTE, err, sizeof err)) {
            worker_log(w, "pivot_root into %s: %s", w->worker_dir, err);
            return false;
        }
        w->worker_dir = "/";
        w->in_own_userns = true;
    }
    if (st->can_enable_landlock &&
        !sandbox_landlock(w->kind == WORKER_EXECUTE ? SANDBOX_FS_READ : SANDBOX_FS_WRITE, w->worker_dir, NULL, err,
                          sizeof err) &&
        !optional_layer_failed(w, "landlock", err))
        return false;
    /* Its jobs' network, IPC, UTS and cgroup namespaces, made once here (L4's shared part): it
     * needs its own user namespace for that, and must do it before L3 denies unshare. Without
     * them each job makes its own. */
    if (w->in_own_userns && st->can_do_secure_clone)
        w->shares_job_ns = sandbox_share_job_namespaces(err, sizeof err);
    /* Each job would drop it again, capability by capability. (A failure here is no failure:
     * each job then drops it itself.) */
    (void)sandbox_drop_bounding_set(err, sizeof err);
    if (st->can_enable_seccomp) {
        if (sandbox_seccomp_worker(err, sizeof err))
            w->seccomp_on = true;
        else if (!optional_layer_failed(w, "seccomp", err))
            return false;
    }
    w->job_clone = st->can_do_secure_clone;
    return true;
}

void worker_job_limits(const worker_ctx *w, job_limits *lim)
{
    memset(lim, 0, sizeof *lim);
    lim->extra_clone_flags = w->job_clone ? sandbox_job_clone_flags(w->in_own_userns, w->shares_job_ns) : 0;
    lim->restrict_job = true;
    lim->job_seccomp = w->seccomp_on;
}

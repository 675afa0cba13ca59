/*
 * security.c — the host's start-up security checks and the secure-mode
 * policy (reference: pvf/src/security.rs; reference-behaviour.md §1.8;
 * sandbox-notes §4.4, §4.5).
 *
 * The four check modes of a worker binary (src/worker/security_checks.c) run
 * as four processes at once, each with an empty environment and its stdout
 * and stderr on one pipe; the host reads every pipe until end of file (at
 * most SECURITY_CHECK_TIMEOUT_MS, then the rest are killed) and reaps them.
 * A check is "available" only when it exited 0, which means it applied the
 * layer and proved its effect.
 *
 * Secure mode (the default) needs seccomp, and landlock or pivot_root
 * (either is enough, as in the reference); job namespaces are optional.
 */
#define _GNU_SOURCE
#include "pvf/host.h"
#include "util/cputime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECURITY_CHECK_TIMEOUT_MS 10000

typedef struct check_proc {
    const char *flag;
    pvf_security_layer *layer;
    pid_t pid;
    int fd;                 /* read end of its stdout+stderr; -1 at EOF */
    char out[256];
    size_t len;
} check_proc;

/* fork + execve with an empty environment; stdout and stderr into c->fd. */
static bool start_check(check_proc *c, const char *worker, const char *dir)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return false;
    char *argv[] = {(char *)worker, (char *)c->flag, (char *)dir, NULL};
    char *envp[] = {NULL};
    c->pid = fork();
    if (c->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        execve(worker, argv, envp);
        dprintf(2, "cannot run %s: %s\n", worker, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (c->pid < 0) {
        close(p[0]);
        return false;
    }
    c->fd = p[0];
    return true;
}

/* Read every pipe to end of file, or until the deadline. */
static void collect_output(check_proc *cs, size_t n, uint64_t deadline)
{
    for (;;) {
        struct pollfd pf[8];
        size_t map[8], k = 0;
        for (size_t i = 0; i < n; i++)
            if (cs[i].fd >= 0) {
                pf[k] = (struct pollfd){cs[i].fd, POLLIN, 0};
                map[k++] = i;
            }
        uint64_t now = monotonic_ms();
        if (k == 0 || now >= deadline)
            return;
        if (poll(pf, k, (int)(deadline - now)) < 0 && errno != EINTR)
            return;
        for (size_t j = 0; j < k; j++) {
            if (!pf[j].revents)
                continue;
            check_proc *c = &cs[map[j]];
            char buf[256];
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r > 0) {
                size_t take = (size_t)r < sizeof c->out - 1 - c->len ? (size_t)r : sizeof c->out - 1 - c->len;
                memcpy(c->out + c->len, buf, take);
                c->len += take;
            } else if (r == 0 || errno != EINTR) {
                close(c->fd);
                c->fd = -1;
            }
        }
    }
}

/* Reap one check (killing it if it outlived the deadline) and record its result. */
static void finish_check(check_proc *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
        kill(c->pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    c->out[c->len] = 0;
    while (c->len && (c->out[c->len - 1] == '\n' || c->out[c->len - 1] == ' '))
        c->out[--c->len] = 0;
    for (char *nl; (nl = strchr(c->out, '\n')) != NULL;)
        *nl = ';';
    c->layer->available = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (c->len)
        snprintf(c->layer->detail, sizeof c->layer->detail, "%.255s", c->out);
    else if (WIFSIGNALED(status))
        snprintf(c->layer->detail, sizeof c->layer->detail, "the check was killed by signal %d", WTERMSIG(status));
    else
        snprintf(c->layer->detail, sizeof c->layer->detail, "the check exited with status %d", WEXITSTATUS(status));
}

bool security_check(const char *worker_path, const char *work_dir, pvf_security_status *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s/worker-dir-check-XXXXXX", work_dir);
    if (n < 0 || (size_t)n >= sizeof dir || !mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a check dir under %s: %s", work_dir, n < 0 ? "?" : strerror(errno));
        return false;
    }
    check_proc cs[4] = {
        {"--check-landlock", &out->landlock, -1, -1, "", 0},
        {"--check-seccomp", &out->seccomp, -1, -1, "", 0},
        {"--check-userns-pivot", &out->userns_pivot_root, -1, -1, "", 0},
        {"--check-job-clone", &out->job_clone, -1, -1, "", 0},
    };
    size_t started = 0;
    bool ok = true;
    for (; started < 4; started++) {
        if (!start_check(&cs[started], worker_path, dir)) {
            snprintf(err, errlen, "cannot start the check %s: %s", cs[started].flag, strerror(errno));
            ok = false;
            break;
        }
    }
    collect_output(cs, started, monotonic_ms() + SECURITY_CHECK_TIMEOUT_MS);
    for (size_t i = 0; i < started; i++)
        finish_check(&cs[i]);
    rmdir(dir);     /* empty: the pivot check's only write must have failed */
    if (!ok)
        return false;
    const char *abi = strstr(out->landlock.detail, "ABI ");
    out->landlock_abi = out->landlock.available && abi ? atoi(abi + 4) : 0;
    out->secure_mode_ok = out->seccomp.available && (out->landlock.available || out->userns_pivot_root.available);
    return true;
}

pvf_security_status *pvf_security_check(const char *worker_path, const char *work_dir, char *err, size_t errlen)
{
    pvf_security_status *st = calloc(1, sizeof *st);
    if (!st)
        snprintf(err, errlen, "out of memory");
    if (st && !security_check(worker_path, work_dir, st, err, errlen)) {
        free(st);
        st = NULL;
    }
    return st;
}

void pvf_security_status_free(pvf_security_status *st)
{
    free(st);
}

const char *pvf_security_refusal(const pvf_security_status *st, char *buf, size_t size)
{
    if (st->secure_mode_ok)
        return NULL;
    if (!st->seccomp.available)
        snprintf(buf, size, "seccomp is unavailable (%s)", st->seccomp.detail);
    else
        snprintf(buf, size, "neither landlock (%s) nor pivot_root (%s) is available", st->landlock.detail,
                 st->userns_pivot_root.detail);
    return buf;
}

/*
 * slot.c — see slot.h. The thread's life:
 *
 *   spawn ─┬─ failed ──────────────────────────────▶ post SPAWN_FAILED (gone), end
 *          └─ up: post SPAWNED
 *               loop: wait for a command, watching the worker
 *                 (the worker died while idle → post DIED, end)
 *                 (the worker is dead when a job arrives → post DIED naming the job, end)
 *                 PREPARE → wclient_prepare, move the artifact, post PREPARED
 *                 EXECUTE → wclient_execute, post EXECUTED
 *                 (the worker died or must be retired → the event is `gone`, end)
 *                 CLOSE   → wclient_close, post CLOSED (gone), end
 *                 CANCEL  → wclient_kill, end without an event
 *
 * Commands come through a mutex-protected field plus an eventfd (cmd_fd), so
 * the idle thread can poll for a command and the worker's death together.
 * Cancellation also writes the slot's cancel eventfd, which worker_client
 * polls in every wait, so a blocked request ends at once.
 *
 * The worker's PR_SET_PDEATHSIG (sandbox L0) fires when the *thread* that
 * forked it exits: that is this slot's thread, which always outlives its
 * worker (it reaps it before ending), so the signal means "the host is gone".
 */
#define _GNU_SOURCE
#include "host/slot.h"
#include "util/cputime.h"

#include "util/file.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum slot_cmd { CMD_NONE, CMD_PREPARE, CMD_EXECUTE, CMD_CLOSE, CMD_CANCEL, CMD_WORKER_DIED } slot_cmd;

struct slot {
    host_worker_kind kind;
    uint64_t id;
    wclient_spawn_cfg cfg;
    executor_params ep;             /* the cfg's params, owned */
    mailbox *events;
    pthread_t thread;
    int cancel_fd;
    int cmd_fd;                     /* eventfd: a command is waiting */
    atomic_int pid;
    pthread_mutex_t lock;
    slot_cmd cmd;
    bool cancelled;
    slot_prepare_job prep;
    slot_execute_job exec;
    wclient w;
};

uint64_t slot_id(const slot *s) { return s->id; }
host_worker_kind slot_kind(const slot *s) { return s->kind; }
int slot_pid(const slot *s) { return atomic_load(&((slot *)s)->pid); }

void slot_event_free(slot_event *ev)
{
    if (!ev)
        return;
    exec_outcome_free(&ev->exec);
    free(ev);
}

/* Post an event; a failed allocation is fatal for the slot only in that the
 * host would never hear from it, so fall back to a static-free minimal path:
 * retry until memory is there (the host can't make progress without it). */
static slot_event *new_event(slot *s, slot_event_kind kind)
{
    slot_event *ev;
    while (!(ev = calloc(1, sizeof *ev))) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    ev->slot = s;
    ev->kind = kind;
    return ev;
}

static void post(slot *s, slot_event *ev)
{
    ev->gone = ev->gone || s->w.pid <= 0;
    if (ev->gone)
        atomic_store(&s->pid, -1);
    mailbox_push(s->events, &ev->node);
}

/* True when the idle worker is gone: its process exited or its socket
 * closed (a live worker never writes between jobs). */
static bool worker_gone(const wclient *w, int timeout_ms, int cmd_fd)
{
    struct pollfd p[3] = {{w->sock, POLLIN, 0}, {w->pidfd, POLLIN, 0}, {cmd_fd, POLLIN, 0}};
    int n = poll(p, cmd_fd >= 0 ? 3 : 2, timeout_ms);
    return n > 0 && (p[0].revents || p[1].revents);
}

static slot_cmd take_command(slot *s)
{
    pthread_mutex_lock(&s->lock);
    slot_cmd c = s->cmd;
    if (c != CMD_CANCEL)
        s->cmd = CMD_NONE;
    uint64_t n;
    (void)!read(s->cmd_fd, &n, sizeof n);
    pthread_mutex_unlock(&s->lock);
    return c;
}

/* The next command; CMD_WORKER_DIED when the worker dies first. A command
 * that finds the worker already dead is still returned (the caller checks). */
static slot_cmd wait_command(slot *s)
{
    for (;;) {
        slot_cmd c = take_command(s);
        if (c != CMD_NONE)
            return c;
        if (worker_gone(&s->w, -1, s->cmd_fd)) {
            c = take_command(s);
            return c != CMD_NONE ? c : CMD_WORKER_DIED;
        }
    }
}

/* The worker is dead: reap it and say so; `job` is the job it never got (0 if none). */
static void post_died(slot *s, uint64_t job)
{
    wclient_kill(&s->w);
    slot_event *ev = new_event(s, SLOT_DIED);
    ev->job = job;
    ev->gone = true;
    snprintf(ev->err, sizeof ev->err, "%s worker died while idle (%s)",
             s->kind == HOST_WORKER_PREPARE ? "prepare" : "execute", s->w.death[0] ? s->w.death : "connection closed");
    post(s, ev);
}

/* The worker's VmRSS from /proc (KiB), 0 when it can't be read (gone, no /proc). */
static uint64_t worker_rss_kib(const wclient *w)
{
    if (wclient_pid(w) <= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)wclient_pid(w));
    return proc_status_kib(-1, path, "VmRSS");
}

static void run_prepare(slot *s)
{
    slot_event *ev = new_event(s, SLOT_PREPARED);
    ev->job = s->prep.job;
    proto_prepare_result r;
    memset(&r, 0, sizeof r);
    ev->sent_ms = monotonic_ms();
    wclient_status st = wclient_prepare(&s->w, &s->prep.req, s->prep.wall_ms, &r, ev->err, sizeof ev->err);
    ev->done_ms = monotonic_ms();
    verdict_from_prepare(st, &r, s->prep.cpu_ms, ev->err, &ev->prep);
    if (ev->prep.ok) {
        char why[512];
        if (!wclient_take_artifact(&s->w, s->prep.dest, why, sizeof why)) {
            prepare_outcome_fail(&ev->prep, PREP_ERR_RENAME_TMP_FILE, why);
        } else {
            struct stat sb;
            /* The artifact's own size (the reference measures the cache dir: §11). */
            ev->artifact_size = stat(s->prep.dest, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        }
    }
    if (ev->prep.rip)
        wclient_kill(&s->w);
    ev->worker_rss_kib = worker_rss_kib(&s->w);
    post(s, ev);
}

static void run_execute(slot *s)
{
    slot_event *ev = new_event(s, SLOT_EXECUTED);
    ev->job = s->exec.job;
    proto_execute_result r;
    memset(&r, 0, sizeof r);
    ev->sent_ms = monotonic_ms();
    wclient_status st = wclient_execute(&s->w, s->exec.artifact_path, &s->exec.req, s->exec.wall_ms, &r, ev->err,
                                         sizeof ev->err);
    ev->done_ms = monotonic_ms();
    verdict_from_execute(st, &r, ev->err, &ev->exec);
    if (st == WCLIENT_OK)
        proto_execute_result_free(&r);
    if (!ev->exec.worker_kept)
        wclient_kill(&s->w);
    ev->worker_rss_kib = worker_rss_kib(&s->w);
    post(s, ev);
}

static void *slot_main(void *arg)
{
    slot *s = arg;
    slot_event *ev = new_event(s, SLOT_SPAWNED);
    ev->spawn_status = wclient_spawn(s->kind, &s->cfg, &s->w, ev->err, sizeof ev->err);
    if (ev->spawn_status != WCLIENT_SPAWN_OK) {
        ev->kind = SLOT_SPAWN_FAILED;
        ev->gone = true;
        post(s, ev);
        return NULL;
    }
    atomic_store(&s->pid, s->w.pid);
    post(s, ev);
    for (;;) {
        slot_cmd c = wait_command(s);
        if ((c == CMD_PREPARE || c == CMD_EXECUTE) && worker_gone(&s->w, 0, -1)) {
            post_died(s, c == CMD_PREPARE ? s->prep.job : s->exec.job);
            return NULL;
        }
        switch (c) {
        case CMD_WORKER_DIED:
            post_died(s, 0);
            return NULL;
        case CMD_PREPARE:
            run_prepare(s);
            break;
        case CMD_EXECUTE:
            run_execute(s);
            break;
        case CMD_CLOSE:
            wclient_close(&s->w);
            ev = new_event(s, SLOT_CLOSED);
            ev->gone = true;
            post(s, ev);
            return NULL;
        case CMD_CANCEL:
        case CMD_NONE:
        default:
            wclient_kill(&s->w);
            atomic_store(&s->pid, -1);
            return NULL;
        }
        if (s->w.pid <= 0)
            return NULL;
    }
}

slot *slot_start(host_worker_kind kind, uint64_t id, const wclient_spawn_cfg *cfg, mailbox *events)
{
    slot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->kind = kind;
    s->id = id;
    s->events = events;
    s->cfg = *cfg;
    atomic_init(&s->pid, -1);
    s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->cmd_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->cancel_fd < 0 || s->cmd_fd < 0 || !executor_params_copy(&s->ep, cfg->executor_params)) {
        if (s->cancel_fd >= 0)
            close(s->cancel_fd);
        if (s->cmd_fd >= 0)
            close(s->cmd_fd);
        executor_params_free(&s->ep);
        free(s);
        return NULL;
    }
    s->cfg.executor_params = &s->ep;
    s->cfg.cancel_fd = s->cancel_fd;
    pthread_mutex_init(&s->lock, NULL);
    if (pthread_create(&s->thread, NULL, slot_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        close(s->cancel_fd);
        close(s->cmd_fd);
        executor_params_free(&s->ep);
        free(s);
        return NULL;
    }
    pthread_setname_np(s->thread, "pvf-slot");
    return s;
}

static void command(slot *s, slot_cmd c)
{
    pthread_mutex_lock(&s->lock);
    if (s->cmd != CMD_CANCEL)
        s->cmd = c;
    uint64_t one = 1;
    (void)!write(s->cmd_fd, &one, sizeof one);
    pthread_mutex_unlock(&s->lock);
}

void slot_prepare(slot *s, const slot_prepare_job *job)
{
    pthread_mutex_lock(&s->lock);
    s->prep = *job;
    pthread_mutex_unlock(&s->lock);
    command(s, CMD_PREPARE);
}

void slot_execute(slot *s, const slot_execute_job *job)
{
    pthread_mutex_lock(&s->lock);
    s->exec = *job;
    pthread_mutex_unlock(&s->lock);
    command(s, CMD_EXECUTE);
}

uint64_t slot_untaken_job(slot *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t job = s->cmd == CMD_EXECUTE ? s->exec.job : s->cmd == CMD_PREPARE ? s->prep.job : 0;
    pthread_mutex_unlock(&s->lock);
    return job;
}

void slot_close(slot *s)
{
    command(s, CMD_CLOSE);
}

void slot_cancel(slot *s)
{
    uint64_t one = 1;
    (void)!write(s->cancel_fd, &one, sizeof one);
    command(s, CMD_CANCEL);
}

void slot_join(slot *s)
{
    if (!s)
        return;
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    close(s->cancel_fd);
    close(s->cmd_fd);
    executor_params_free(&s->ep);
    free(s);
}

/*
 * host_loop.c — the host thread. One loop:
 *
 *   poll(inbox, worker events, earliest timer)
 *   lock
 *     worker-slot events   → artifacts, queues, requests (host_prepare.c, host_execute.c)
 *     inbox messages       → new requests, heads-up, active leaves, stop
 *     timers               → queue ticks (spawn retries), execution retries, cache pruning
 *     queue actions        → spawn / start work / assign / kill / deadline
 *   unlock
 *   deliver completions (callbacks, or the completion mailbox)
 *
 * The queues decide, this file carries their decisions out: it creates a
 * worker slot per SPAWN action, hands jobs to slots, retires slots, and
 * reports every slot event back to the queue that owns the worker.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"
#include "util/vec.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POLL_MS 60000   /* the longest single poll: timers further away are re-checked */

/* ---------------------------------------------------------------- slots */

slot *host_find_slot(pvf_host *h, host_worker_kind kind, uint64_t id)
{
    for (size_t i = 0; i < h->n_slots; i++)
        if (slot_kind(h->slots[i]) == kind && slot_id(h->slots[i]) == id)
            return h->slots[i];
    return NULL;
}

static bool add_slot(pvf_host *h, slot *s)
{
    if (!vec_reserve((void **)&h->slots, &h->cap_slots, h->n_slots + 1, sizeof *h->slots, 8))
        return false;
    h->slots[h->n_slots++] = s;
    return true;
}

static void remove_slot(pvf_host *h, slot *s)
{
    for (size_t i = 0; i < h->n_slots; i++) {
        if (h->slots[i] == s) {
            memmove(&h->slots[i], &h->slots[i + 1], (h->n_slots - i - 1) * sizeof *h->slots);
            h->n_slots--;
            return;
        }
    }
}

static enum metrics_worker_flavor flavor(host_worker_kind k)
{
    return k == HOST_WORKER_PREPARE ? METRICS_WORKER_PREPARE : METRICS_WORKER_EXECUTE;
}

/* Start a slot for a SPAWN action; ep only for execute workers. */
static void spawn_slot(pvf_host *h, host_worker_kind kind, uint64_t id, const executor_params *ep)
{
    wclient_spawn_cfg wc = {
        .binary = kind == HOST_WORKER_PREPARE ? h->prepare_path : h->execute_path,
        .cache_dir = h->cache_dir,
        .node_version = h->node_version,
        .native_tier = h->cfg.tier == PVF_TIER_NATIVE,
        .security = h->worker_security,
        .executor_params = ep,
        .spawn_timeout_ms = h->cfg.spawn_timeout_ms,
        .log = h->worker_log,
        .job_memory_mb = kind == HOST_WORKER_EXECUTE ? h->cfg.execute_job_memory_mb : 0,
    };
    metrics_worker_spawning(h->metrics, flavor(kind));
    slot *s = slot_start(kind, id, &wc, &h->events);
    if (s && add_slot(h, s))
        return;
    if (s) {
        slot_cancel(s);
        slot_join(s);
    }
    /* No thread or no memory: a spawn failure as far as the queues know. */
    uint64_t now = monotonic_ms();
    if (kind == HOST_WORKER_PREPARE)
        prepare_queue_spawn_failed(h->pq, id, now);
    else
        exec_queue_spawn_failed(h->eq, id, now);
}

/* ---------------------------------------------------------------- fatal errors */

/* Answer r without doing its work (the host can't, or is stopping). */
static void refuse_all(pvf_host *h, exec_reason why, const char *msg)
{
    while (h->requests)
        host_fail_request(h, h->requests, PVF_VERDICT_INTERNAL, why, msg);
}

/* The host can't work (no worker binary, wrong version): answer everything, now and later. */
static void set_fatal(pvf_host *h, const char *msg)
{
    if (h->fatal[0])
        return;
    snprintf(h->fatal, sizeof h->fatal, "%s", msg);
    host_log(h, PVF_LOG_ERROR, "cannot run workers, refusing all work: %s", msg);
    refuse_all(h, EXEC_REASON_COULD_NOT_SPAWN_WORKER, h->fatal);
}

static bool spawn_failure_is_fatal(const pvf_host *h, const slot_event *ev)
{
    if (ev->spawn_status == WCLIENT_SPAWN_VERSION_MISMATCH)
        return true;
    const char *bin = slot_kind(ev->slot) == HOST_WORKER_PREPARE ? h->prepare_path : h->execute_path;
    return ev->spawn_status == WCLIENT_SPAWN_PROCESS && access(bin, X_OK) != 0;
}

/* ---------------------------------------------------------------- events */

static void handle_event(pvf_host *h, slot_event *ev)
{
    slot *s = ev->slot;
    host_worker_kind kind = slot_kind(s);
    uint64_t id = slot_id(s), now = monotonic_ms();
    switch (ev->kind) {
    case SLOT_SPAWNED:
        metrics_worker_spawned(h->metrics, flavor(kind));
        if (kind == HOST_WORKER_PREPARE)
            prepare_queue_worker_spawned(h->pq, id, now);
        else
            exec_queue_worker_spawned(h->eq, id, now);
        break;
    case SLOT_SPAWN_FAILED:
        host_log(h, PVF_LOG_WARNING, "%s worker spawn failed (%s): %s",
                 kind == HOST_WORKER_PREPARE ? "prepare" : "execute", wclient_spawn_status_name(ev->spawn_status),
                 ev->err);
        if (spawn_failure_is_fatal(h, ev))
            set_fatal(h, ev->err);
        if (kind == HOST_WORKER_PREPARE)
            prepare_queue_spawn_failed(h->pq, id, now);
        else
            exec_queue_spawn_failed(h->eq, id, now);
        break;
    case SLOT_PREPARED:
    case SLOT_EXECUTED:
        if (ev->worker_rss_kib)
            metrics_worker_rss(h->metrics, flavor(kind), ev->worker_rss_kib);
        if (ev->kind == SLOT_PREPARED)
            host_prepare_event(h, ev);
        else
            host_execute_event(h, ev);
        break;
    case SLOT_DIED:
        host_log(h, PVF_LOG_WARNING, "%s", ev->err);
        if (kind == HOST_WORKER_PREPARE) {
            prepare_queue_worker_died(h->pq, id, now);     /* its job, if any, goes back to the front */
        } else {
            /* it never started: first in line again — the job the thread had taken, or one the
             * host gave it after the thread saw the worker die (the thread takes no more) */
            host_requeue_execution(h, ev->job ? ev->job : slot_untaken_job(s));
            exec_queue_worker_died(h->eq, id, now);
        }
        break;
    case SLOT_CLOSED:
        break;
    }
    if (ev->gone) {
        if (ev->kind != SLOT_SPAWN_FAILED)
            metrics_worker_retired(h->metrics, flavor(kind));
        remove_slot(h, s);
        slot_join(s);
    }
    slot_event_free(ev);
}

/* ---------------------------------------------------------------- inbox */

static void free_inbox_msg(inbox_msg *m)
{
    host_request_free(m->request);
    for (prep_job *j = m->heads_up, *next; j; j = next) {
        next = j->next;
        prep_job_free(j);
    }
    free(m->ancestors);
    free(m->deactivated);
    free(m);
}

/* SCALE's size of a byte vector of n bytes: its compact length, then the bytes. */
static uint64_t encoded_vec_size(uint64_t n)
{
    return n + (n < (1u << 6) ? 1 : n < (1u << 14) ? 2 : n < (1u << 30) ? 4 : 5);
}

/*
 * An execute request's sizes, before any work (issue 13, finding 8). A PoV whose encoding is
 * over the candidate's max_pov_size is candidate-validation's ParamsTooLarge: Invalid. A PoV or
 * parent head past what pvf's wire carries (PROTO_MAX_POV_SIZE, PROTO_MAX_HEAD_SIZE: above
 * anything a relay chain allows) is pvf's own limit: Internal (abstain), and said so.
 */
static bool execute_params_fit(pvf_host *h, host_request *r)
{
    char msg[200];
    if (encoded_vec_size(r->pov_len) > r->max_pov_size) {
        snprintf(msg, sizeof msg, "the PoV encodes to %llu bytes, over the candidate's max_pov_size of %u",
                 (unsigned long long)encoded_vec_size(r->pov_len), r->max_pov_size);
        host_fail_request(h, r, PVF_VERDICT_INVALID, EXEC_REASON_PARAMS_TOO_LARGE, msg);
        return false;
    }
    if (r->pov_len > PROTO_MAX_POV_SIZE || r->parent_head_len > PROTO_MAX_HEAD_SIZE) {
        snprintf(msg, sizeof msg, "PoV of %zu bytes or parent head of %zu bytes: pvf carries at most %u and %u",
                 r->pov_len, r->parent_head_len, PROTO_MAX_POV_SIZE, PROTO_MAX_HEAD_SIZE);
        host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_PARAMS_TOO_LARGE, msg);
        return false;
    }
    return true;
}

static void accept_request(pvf_host *h, host_request *r)
{
    r->next = h->requests;
    h->requests = r;
    if (h->fatal[0]) {
        host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_COULD_NOT_SPAWN_WORKER, h->fatal);
        return;
    }
    if (r->type == PVF_REQUEST_EXECUTE) {
        metrics_pov_size(h->metrics, r->pov_len, true);
        metrics_code_size(h->metrics, r->code_len);
        if (!execute_params_fit(h, r))
            return;
    }
    host_route_to_artifact(h, r, r->type == PVF_REQUEST_PRECHECK);
}

/* Returns true for INBOX_STOP. */
static bool handle_inbox(pvf_host *h, inbox_msg *m)
{
    bool stop = false;
    switch (m->kind) {
    case INBOX_REQUEST:
        accept_request(h, m->request);
        m->request = NULL;
        break;
    case INBOX_HEADS_UP:
        if (!h->fatal[0]) {
            host_heads_up(h, m->heads_up);
            m->heads_up = NULL;
        }
        break;
    case INBOX_LEAVES:
        exec_queue_update_active_leaves(h->eq, m->has_activated ? m->activated : NULL,
                                        (const uint8_t(*)[32])m->ancestors, m->n_ancestors,
                                        (const uint8_t(*)[32])m->deactivated, m->n_deactivated, monotonic_ms());
        break;
    case INBOX_CANCEL:
        host_cancel_request(h, m->cancel);
        break;
    case INBOX_STOP:
        stop = true;
        break;
    }
    free_inbox_msg(m);
    return stop;
}

/* ---------------------------------------------------------------- actions */

static void prepare_action_run(pvf_host *h, const prepare_action *a)
{
    slot *s;
    switch (a->kind) {
    case PREPARE_ACTION_SPAWN:
        if (!h->fatal[0])
            spawn_slot(h, HOST_WORKER_PREPARE, a->worker, NULL);
        break;
    case PREPARE_ACTION_START_WORK:
        host_start_prepare_job(h, a->worker, a->job);
        break;
    case PREPARE_ACTION_KILL:
        s = host_find_slot(h, HOST_WORKER_PREPARE, a->worker);
        if (s)
            slot_close(s);
        break;
    }
}

static void exec_action_run(pvf_host *h, const exec_action *a)
{
    slot *s;
    host_request *r;
    switch (a->kind) {
    case EXEC_ACTION_SPAWN:
        r = host_find_request(h, a->job.id);
        if (!h->fatal[0])
            spawn_slot(h, HOST_WORKER_EXECUTE, a->worker, r ? &r->ep : NULL);
        break;
    case EXEC_ACTION_ASSIGN:
        host_assign_execution(h, a->worker, a->job.id, a->queued_ms);
        break;
    case EXEC_ACTION_KILL:
        s = host_find_slot(h, HOST_WORKER_EXECUTE, a->worker);
        if (s)
            slot_close(s);
        break;
    case EXEC_ACTION_DEADLINE:
        host_execution_deadline(h, a->job.id);
        break;
    }
}

void host_drain_actions(pvf_host *h)
{
    for (;;) {
        prepare_action pa;
        exec_action ea;
        if (prepare_queue_pop_action(h->pq, &pa))
            prepare_action_run(h, &pa);
        else if (exec_queue_pop_action(h->eq, &ea))
            exec_action_run(h, &ea);
        else
            return;
    }
}

/* ---------------------------------------------------------------- timers */

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Run what is due; returns the next time something will be. */
static uint64_t run_timers(pvf_host *h, uint64_t now)
{
    uint64_t next = UINT64_MAX, t;
    prepare_queue_tick(h->pq, now);
    exec_queue_tick(h->eq, now);
    host_run_due_retries(h, now, &next);
    if (now >= h->next_cleanup_ms) {
        host_prune(h, now);
        h->next_cleanup_ms = now + h->cfg.cleanup_pulse_ms;
    }
    next = earliest(next, h->next_cleanup_ms);
    if (prepare_queue_next_wakeup(h->pq, &t))
        next = earliest(next, t);
    if (exec_queue_next_wakeup(h->eq, &t))
        next = earliest(next, t);
    return next;
}

/* ---------------------------------------------------------------- the loop */

static void deliver(pvf_host *h, mailbox_node *list)
{
    while (list) {
        completion_msg *m = (completion_msg *)list;
        list = list->next;
        if (m->cb) {
            m->cb(&m->c, m->c.user_data);
            pvf_completion_free(&m->c);   /* and m, whose c it is */
        } else {
            mailbox_push(&h->completions, &m->node);
        }
    }
}

static mailbox_node *take_ready(pvf_host *h)
{
    mailbox_node *ready = h->ready;
    h->ready = NULL;
    h->ready_tail = &h->ready;
    return ready;
}

/* One batch: everything that arrived, then timers and actions. Returns true on stop. */
static bool run_batch(pvf_host *h, uint64_t *next_timer)
{
    bool stop = false;
    for (mailbox_node *n = mailbox_take_all(&h->events), *next; n; n = next) {
        next = n->next;
        handle_event(h, (slot_event *)n);
    }
    for (mailbox_node *n = mailbox_take_all(&h->inbox), *next; n; n = next) {
        next = n->next;
        stop |= handle_inbox(h, (inbox_msg *)n);
    }
    host_drain_actions(h);
    *next_timer = run_timers(h, monotonic_ms());
    host_drain_actions(h);
    return stop || atomic_load(&h->stopping);
}

/* Kill every worker, answer every request, free every job. */
static void shut_down(pvf_host *h)
{
    for (size_t i = 0; i < h->n_slots; i++)
        slot_cancel(h->slots[i]);
    for (size_t i = 0; i < h->n_slots; i++)
        slot_join(h->slots[i]);
    h->n_slots = 0;
    for (mailbox_node *n = mailbox_take_all(&h->events), *next; n; n = next) {
        next = n->next;
        slot_event_free((slot_event *)n);
    }
    for (mailbox_node *n = mailbox_take_all(&h->inbox), *next; n; n = next) {
        next = n->next;
        inbox_msg *m = (inbox_msg *)n;
        if (m->kind == INBOX_REQUEST) {
            m->request->next = h->requests;
            h->requests = m->request;
            m->request = NULL;
        }
        free_inbox_msg(m);
    }
    refuse_all(h, EXEC_REASON_HOST_STOPPED, "the host stopped before the request finished");
    while (h->prep_jobs) {
        prep_job *j = h->prep_jobs;
        h->prep_jobs = j->next;
        prep_job_free(j);
    }
}

void *host_thread_main(void *arg)
{
    pvf_host *h = arg;
    uint64_t next_timer = UINT64_MAX;
    for (;;) {
        uint64_t now = monotonic_ms();
        /* poll takes an int of ms: a timer further away than a minute (the hourly cleanup
         * pulse) is waited for in steps of a minute, each re-reading the clock. */
        int timeout = next_timer == UINT64_MAX ? -1
                      : next_timer <= now     ? 0
                      : next_timer - now > MAX_POLL_MS ? MAX_POLL_MS
                                              : (int)(next_timer - now);
        struct pollfd p[2] = {{mailbox_fd(&h->inbox), POLLIN, 0}, {mailbox_fd(&h->events), POLLIN, 0}};
        if (poll(p, 2, timeout) < 0 && errno != EINTR)
            host_log(h, PVF_LOG_ERROR, "poll: %s", strerror(errno));
        pthread_mutex_lock(&h->lock);
        bool stop = run_batch(h, &next_timer);
        if (stop)
            shut_down(h);
        mailbox_node *ready = take_ready(h);
        pthread_mutex_unlock(&h->lock);
        deliver(h, ready);
        if (stop)
            return NULL;
    }
}

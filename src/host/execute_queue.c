/*
 * execute_queue.c — the execute queue's scheduling state machine. See
 * execute_queue.h for the rules; this follows the reference's
 * execute/queue.rs (Unscheduled, try_assign_next_job, handle_job_finish,
 * update_active_leaves) event by event, with the worker spawn retry turned
 * into a timer the caller drives with tick().
 *
 * Workers, jobs and leaves live in small arrays searched linearly: there are
 * at most `max_workers` workers and a few dozen queued jobs, so an index
 * would cost more than it saves. Workers are kept in the order they came
 * up, which is the order "the first idle worker" is looked for in.
 */
#include "host/execute_queue.h"
#include "util/vec.h"

#include <stdlib.h>
#include <string.h>

typedef struct eq_job {
    exec_job_desc desc;
    uint64_t enqueued_at;
} eq_job;

typedef struct eq_deque {
    eq_job *jobs;
    size_t len, cap;
} eq_deque;

typedef struct eq_worker {
    uint64_t id;
    uint8_t params_hash[32];
    bool idle;
} eq_worker;

typedef struct eq_spawn {
    uint64_t worker;
    eq_job job; /* the job this worker is spawned for */
    bool waiting_retry;
    uint64_t retry_at;
} eq_spawn;

typedef struct eq_leaf {
    uint8_t hash[32];
    uint8_t (*ancestors)[32];
    size_t n_ancestors;
} eq_leaf;

struct exec_queue {
    exec_queue_config cfg;
    eq_deque unscheduled[EXEC_PRIORITY_COUNT];
    exec_window window;
    eq_worker *workers;
    size_t nworkers, workers_cap;
    eq_spawn *spawns;
    size_t nspawns, spawns_cap;
    eq_leaf *leaves;
    size_t nleaves, leaves_cap;
    exec_action *actions;
    size_t actions_head, actions_len, actions_cap;
    uint64_t next_worker_id;
    bool oom;
};

/* ---- the scheduling window ---- */

unsigned exec_window_threshold(exec_priority p)
{
    /* Each percentage is of what the more urgent priorities left over, so
     * a priority can use all the room when those above it are absent. */
    switch (p) {
    case EXEC_PRIORITY_DISPUTE: return 70;
    case EXEC_PRIORITY_APPROVAL: return 80;
    case EXEC_PRIORITY_BACKING_SYSTEM_PARAS: return 100;
    case EXEC_PRIORITY_BACKING: return 100;
    }
    return 100;
}

bool exec_window_reached_threshold(const exec_window *w, exec_priority p)
{
    unsigned total = 0;
    for (int q = (int)p; q < EXEC_PRIORITY_COUNT; q++)
        total += w->count[q];
    if (total == 0)
        return false;
    return w->count[p] * 100 / total >= exec_window_threshold(p);
}

exec_priority exec_window_select(const exec_window *w, const bool pending[EXEC_PRIORITY_COUNT])
{
    for (int p = 0; p < EXEC_PRIORITY_COUNT; p++)
        if (pending[p] && !exec_window_reached_threshold(w, (exec_priority)p))
            return (exec_priority)p;
    for (int p = 0; p < EXEC_PRIORITY_COUNT; p++)
        if (pending[p])
            return (exec_priority)p;
    return EXEC_PRIORITY_BACKING;
}

void exec_window_mark_scheduled(exec_window *w, exec_priority p)
{
    w->count[p]++;
    unsigned sum = 0;
    for (int q = 0; q < EXEC_PRIORITY_COUNT; q++)
        sum += w->count[q];
    if (sum >= EXEC_SCHEDULING_WINDOW_SIZE)
        memset(w, 0, sizeof *w);
}

/* ---- small containers ---- */


static bool fail_oom(exec_queue *q)
{
    q->oom = true;
    return false;
}

static bool deque_push_back(exec_queue *q, eq_deque *d, const eq_job *j)
{
    if (!vec_reserve((void **)&d->jobs, &d->cap, d->len + 1, sizeof *d->jobs, 8))
        return fail_oom(q);
    d->jobs[d->len++] = *j;
    return true;
}

static bool deque_push_front(exec_queue *q, eq_deque *d, const eq_job *j)
{
    if (!vec_reserve((void **)&d->jobs, &d->cap, d->len + 1, sizeof *d->jobs, 8))
        return fail_oom(q);
    memmove(d->jobs + 1, d->jobs, d->len * sizeof *d->jobs);
    d->jobs[0] = *j;
    d->len++;
    return true;
}

static eq_job deque_remove(eq_deque *d, size_t i)
{
    eq_job j = d->jobs[i];
    memmove(d->jobs + i, d->jobs + i + 1, (d->len - i - 1) * sizeof *d->jobs);
    d->len--;
    return j;
}

static bool emit(exec_queue *q, exec_action a)
{
    if (q->actions_head > 0 && q->actions_head == q->actions_len)
        q->actions_head = q->actions_len = 0; /* drained: reuse the buffer */
    if (!vec_reserve((void **)&q->actions, &q->actions_cap, q->actions_len + 1, sizeof *q->actions, 8))
        return fail_oom(q);
    q->actions[q->actions_len++] = a;
    return true;
}

/* ---- workers ---- */

static eq_worker *find_worker(exec_queue *q, uint64_t id)
{
    for (size_t i = 0; i < q->nworkers; i++)
        if (q->workers[i].id == id)
            return &q->workers[i];
    return NULL;
}

static void remove_worker(exec_queue *q, eq_worker *w)
{
    size_t i = (size_t)(w - q->workers);
    memmove(q->workers + i, q->workers + i + 1, (q->nworkers - i - 1) * sizeof *q->workers);
    q->nworkers--;
}

/* An idle worker specialised to `hash`. */
static eq_worker *find_available(exec_queue *q, const uint8_t hash[32])
{
    for (size_t i = 0; i < q->nworkers; i++)
        if (q->workers[i].idle && memcmp(q->workers[i].params_hash, hash, 32) == 0)
            return &q->workers[i];
    return NULL;
}

static eq_worker *find_idle(exec_queue *q)
{
    for (size_t i = 0; i < q->nworkers; i++)
        if (q->workers[i].idle)
            return &q->workers[i];
    return NULL;
}

static bool can_afford_one_more(const exec_queue *q)
{
    return q->nspawns + q->nworkers < q->cfg.max_workers;
}

static eq_spawn *find_spawn(exec_queue *q, uint64_t worker)
{
    for (size_t i = 0; i < q->nspawns; i++)
        if (q->spawns[i].worker == worker)
            return &q->spawns[i];
    return NULL;
}

static bool assign(exec_queue *q, eq_worker *w, const eq_job *job, uint64_t now_ms)
{
    w->idle = false;
    uint64_t waited = now_ms > job->enqueued_at ? now_ms - job->enqueued_at : 0;
    return emit(q, (exec_action){.kind = EXEC_ACTION_ASSIGN, .worker = w->id, .job = job->desc,
                                 .queued_ms = waited});
}

/* Workers are never spawned idle: the job rides along so that the fresh
 * worker is certain to have the right params when it comes up. */
static bool spawn_extra_worker(exec_queue *q, const eq_job *job)
{
    if (!vec_reserve((void **)&q->spawns, &q->spawns_cap, q->nspawns + 1, sizeof *q->spawns, 8))
        return fail_oom(q);
    uint64_t id = q->next_worker_id++;
    q->spawns[q->nspawns++] = (eq_spawn){.worker = id, .job = *job};
    return emit(q, (exec_action){.kind = EXEC_ACTION_SPAWN, .worker = id, .job = job->desc});
}

/* ---- scheduling ---- */

static bool eldest_may_keep_waiting(const exec_queue *q, const eq_job *eldest, uint64_t now_ms)
{
    return now_ms < eldest->enqueued_at || now_ms - eldest->enqueued_at < q->cfg.max_keep_waiting_ms;
}

/* Index of the first job in `d` whose params match worker `w`; -1 if none. */
static long first_job_for_worker(const eq_deque *d, const eq_worker *w)
{
    for (size_t i = 0; i < d->len; i++)
        if (memcmp(d->jobs[i].desc.params_hash, w->params_hash, 32) == 0)
            return (long)i;
    return -1;
}

/* One scheduling attempt (the reference makes exactly one per event).
 * `finished` is the worker that just became idle, or NULL. */
static bool try_assign_next_job(exec_queue *q, eq_worker *finished, uint64_t now_ms)
{
    bool pending[EXEC_PRIORITY_COUNT];
    for (int p = 0; p < EXEC_PRIORITY_COUNT; p++)
        pending[p] = q->unscheduled[p].len > 0;
    exec_priority prio = exec_window_select(&q->window, pending);
    eq_deque *d = &q->unscheduled[prio];
    if (d->len == 0)
        return true;

    eq_worker *worker = NULL;
    size_t job_index = 0;
    /* Not pressed for time: prefer a job the finished worker can run as is,
     * over the eldest job that would need a kill and a respawn. */
    if (finished && eldest_may_keep_waiting(q, &d->jobs[0], now_ms)) {
        long i = first_job_for_worker(d, finished);
        if (i >= 0) {
            worker = finished;
            job_index = (size_t)i;
        }
    }
    if (!worker)
        worker = find_available(q, d->jobs[job_index].desc.params_hash);
    if (!worker) {
        /* Only workers of other params are idle: retire one to free a slot. */
        eq_worker *idle = find_idle(q);
        if (idle) {
            uint64_t id = idle->id;
            remove_worker(q, idle);
            if (!emit(q, (exec_action){.kind = EXEC_ACTION_KILL, .worker = id}))
                return false;
        }
    }
    if (!worker && !can_afford_one_more(q))
        return true; /* every slot is busy: the job waits */

    eq_job job = deque_remove(d, job_index);
    bool ok = worker ? assign(q, worker, &job, now_ms) : spawn_extra_worker(q, &job);
    exec_window_mark_scheduled(&q->window, prio);
    return ok;
}

/* ---- public API ---- */

exec_queue_config exec_queue_default_config(void)
{
    return (exec_queue_config){.max_workers = EXEC_QUEUE_MAX_WORKERS_DEFAULT,
                               .max_keep_waiting_ms = EXEC_QUEUE_MAX_KEEP_WAITING_MS_DEFAULT,
                               .spawn_retry_ms = PVF_REF_SPAWN_RETRY_MS};
}

exec_queue *exec_queue_new(const exec_queue_config *config)
{
    if (config->max_workers == 0)
        return NULL;
    exec_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->cfg = *config;
    q->next_worker_id = 1;
    return q;
}

void exec_queue_free(exec_queue *q)
{
    if (!q)
        return;
    for (int p = 0; p < EXEC_PRIORITY_COUNT; p++)
        free(q->unscheduled[p].jobs);
    for (size_t i = 0; i < q->nleaves; i++)
        free(q->leaves[i].ancestors);
    free(q->leaves);
    free(q->workers);
    free(q->spawns);
    free(q->actions);
    free(q);
}

bool exec_queue_enqueue(exec_queue *q, const exec_job_desc *job, uint64_t now_ms)
{
    if ((unsigned)job->priority >= EXEC_PRIORITY_COUNT)
        return true; /* not a priority: nothing sensible to schedule */
    eq_job j = {.desc = *job, .enqueued_at = now_ms};
    if (!deque_push_back(q, &q->unscheduled[job->priority], &j))
        return false;
    return try_assign_next_job(q, NULL, now_ms);
}

bool exec_queue_requeue_front(exec_queue *q, const exec_job_desc *job, uint64_t enqueued_at_ms, uint64_t now_ms)
{
    if ((unsigned)job->priority >= EXEC_PRIORITY_COUNT)
        return true;
    eq_job j = {.desc = *job, .enqueued_at = enqueued_at_ms};
    if (!deque_push_front(q, &q->unscheduled[job->priority], &j))
        return false;
    return try_assign_next_job(q, NULL, now_ms);
}

bool exec_queue_worker_spawned(exec_queue *q, uint64_t worker, uint64_t now_ms)
{
    eq_spawn *s = find_spawn(q, worker);
    if (!s)
        return true; /* not ours, or reported twice */
    eq_job job = s->job;
    *s = q->spawns[--q->nspawns];
    if (!vec_reserve((void **)&q->workers, &q->workers_cap, q->nworkers + 1, sizeof *q->workers, 8))
        return fail_oom(q);
    eq_worker *w = &q->workers[q->nworkers++];
    *w = (eq_worker){.id = worker, .idle = true};
    memcpy(w->params_hash, job.desc.params_hash, 32);
    return assign(q, w, &job, now_ms);
}

bool exec_queue_spawn_failed(exec_queue *q, uint64_t worker, uint64_t now_ms)
{
    eq_spawn *s = find_spawn(q, worker);
    if (s) {
        s->waiting_retry = true;
        s->retry_at = now_ms + q->cfg.spawn_retry_ms;
    }
    return true;
}

bool exec_queue_job_finished(exec_queue *q, uint64_t worker, bool keep_worker, uint64_t now_ms)
{
    eq_worker *w = find_worker(q, worker);
    if (keep_worker && w) {
        w->idle = true;
        return try_assign_next_job(q, w, now_ms);
    }
    if (!keep_worker && w)
        remove_worker(q, w);
    return try_assign_next_job(q, NULL, now_ms);
}

bool exec_queue_worker_died(exec_queue *q, uint64_t worker, uint64_t now_ms)
{
    eq_worker *w = find_worker(q, worker);
    if (!w)
        return true;
    remove_worker(q, w);
    /* Beyond the reference (whose purge_dead schedules nothing): the freed
     * slot is offered to a waiting job at once rather than at the next
     * event, so an idle worker's death can't leave a job stranded. */
    return try_assign_next_job(q, NULL, now_ms);
}

/* ---- active leaves and backing deadlines ---- */

static eq_leaf *find_leaf(exec_queue *q, const uint8_t hash[32])
{
    for (size_t i = 0; i < q->nleaves; i++)
        if (memcmp(q->leaves[i].hash, hash, 32) == 0)
            return &q->leaves[i];
    return NULL;
}

static void remove_leaf(exec_queue *q, const uint8_t hash[32])
{
    eq_leaf *l = find_leaf(q, hash);
    if (!l)
        return;
    free(l->ancestors);
    *l = q->leaves[--q->nleaves];
}

static bool insert_leaf(exec_queue *q, const uint8_t hash[32], const uint8_t (*ancestors)[32], size_t n)
{
    if (n > SIZE_MAX / 32)
        return fail_oom(q);
    uint8_t(*copy)[32] = NULL;
    if (n) {
        copy = malloc(n * 32);
        if (!copy)
            return fail_oom(q);
        memcpy(copy, ancestors, n * 32);
    }
    eq_leaf *l = find_leaf(q, hash); /* a re-activated leaf replaces its ancestry */
    if (!l) {
        if (!vec_reserve((void **)&q->leaves, &q->leaves_cap, q->nleaves + 1, sizeof *q->leaves, 8)) {
            free(copy);
            return fail_oom(q);
        }
        l = &q->leaves[q->nleaves++];
        memcpy(l->hash, hash, 32);
    } else {
        free(l->ancestors);
    }
    l->ancestors = copy;
    l->n_ancestors = n;
    return true;
}

static bool in_active_fork(const exec_queue *q, const uint8_t relay_parent[32])
{
    for (size_t i = 0; i < q->nleaves; i++) {
        const eq_leaf *l = &q->leaves[i];
        if (memcmp(l->hash, relay_parent, 32) == 0)
            return true;
        for (size_t k = 0; k < l->n_ancestors; k++)
            if (memcmp(l->ancestors[k], relay_parent, 32) == 0)
                return true;
    }
    return false;
}

static bool prune_deque(exec_queue *q, eq_deque *d)
{
    size_t kept = 0;
    bool ok = true;
    for (size_t i = 0; i < d->len; i++) {
        if (in_active_fork(q, d->jobs[i].desc.relay_parent)) {
            d->jobs[kept++] = d->jobs[i];
        } else if (!emit(q, (exec_action){.kind = EXEC_ACTION_DEADLINE, .job = d->jobs[i].desc})) {
            ok = false;
            d->jobs[kept++] = d->jobs[i]; /* unanswered: keep it rather than lose it */
        }
    }
    d->len = kept;
    return ok;
}

bool exec_queue_update_active_leaves(exec_queue *q, const uint8_t activated[32],
                                     const uint8_t (*ancestors)[32], size_t n_ancestors,
                                     const uint8_t (*deactivated)[32], size_t n_deactivated,
                                     uint64_t now_ms)
{
    (void)now_ms;
    for (size_t i = 0; i < n_deactivated; i++)
        remove_leaf(q, deactivated[i]);
    if (activated && !insert_leaf(q, activated, ancestors, n_ancestors))
        return false;
    bool ok = prune_deque(q, &q->unscheduled[EXEC_PRIORITY_BACKING]);
    return prune_deque(q, &q->unscheduled[EXEC_PRIORITY_BACKING_SYSTEM_PARAS]) && ok;
}

/* ---- time ---- */

bool exec_queue_tick(exec_queue *q, uint64_t now_ms)
{
    for (size_t i = 0; i < q->nspawns; i++) {
        eq_spawn *s = &q->spawns[i];
        if (s->waiting_retry && now_ms >= s->retry_at) {
            s->waiting_retry = false;
            if (!emit(q, (exec_action){.kind = EXEC_ACTION_SPAWN, .worker = s->worker, .job = s->job.desc}))
                return false;
        }
    }
    return true;
}

bool exec_queue_next_wakeup(const exec_queue *q, uint64_t *when_ms)
{
    bool any = false;
    for (size_t i = 0; i < q->nspawns; i++) {
        const eq_spawn *s = &q->spawns[i];
        if (s->waiting_retry && (!any || s->retry_at < *when_ms)) {
            *when_ms = s->retry_at;
            any = true;
        }
    }
    return any;
}

bool exec_queue_pop_action(exec_queue *q, exec_action *out)
{
    if (q->actions_head == q->actions_len)
        return false;
    *out = q->actions[q->actions_head++];
    return true;
}

bool exec_queue_oom(const exec_queue *q)
{
    return q->oom;
}

size_t exec_queue_workers(const exec_queue *q)
{
    return q->nworkers;
}

size_t exec_queue_idle_workers(const exec_queue *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nworkers; i++)
        n += q->workers[i].idle;
    return n;
}

size_t exec_queue_spawns_in_flight(const exec_queue *q)
{
    return q->nspawns;
}

size_t exec_queue_pending(const exec_queue *q, exec_priority p)
{
    return (unsigned)p < EXEC_PRIORITY_COUNT ? q->unscheduled[p].len : 0;
}

size_t exec_queue_pending_total(const exec_queue *q)
{
    size_t n = 0;
    for (int p = 0; p < EXEC_PRIORITY_COUNT; p++)
        n += q->unscheduled[p].len;
    return n;
}

const exec_window *exec_queue_window(const exec_queue *q)
{
    return &q->window;
}

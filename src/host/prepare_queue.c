/*
 * prepare_queue.c — the prepare queue and pool scheduling state machine.
 * See prepare_queue.h for the rules; this follows the reference's
 * prepare/queue.rs event by event (enqueue, spawned, concluded, rip) and
 * adds the pool's spawn retry as a timer the caller drives with tick().
 *
 * Everything is kept in small arrays: the number of jobs and workers is a
 * handful in practice (the pool is capped at `hard_capacity`), so linear
 * searches are simpler and faster than any index.
 */
#include "host/prepare_queue.h"
#include "util/vec.h"

#include <stdlib.h>
#include <string.h>

typedef struct pq_job {
    prepare_job_info info;
    bool running; /* assigned to a worker */
} pq_job;

typedef struct pq_worker {
    uint64_t id;
    bool busy;
    uint64_t job;
} pq_worker;

typedef struct pq_spawn {
    uint64_t worker;
    bool waiting_retry; /* failed; re-issued at retry_at */
    uint64_t retry_at;
} pq_spawn;

/* A FIFO of job ids that can also take a job back at its front. */
typedef struct pq_deque {
    uint64_t *ids;
    size_t len, cap;
} pq_deque;

struct prepare_queue {
    prepare_queue_config cfg;
    pq_job *jobs;
    size_t njobs, jobs_cap;
    pq_deque unscheduled[PREPARE_PRIORITY_COUNT];
    pq_worker *workers;
    size_t nworkers, workers_cap;
    pq_spawn *spawns; /* spawns in flight, including those waiting to retry */
    size_t nspawns, spawns_cap;
    prepare_action *actions;
    size_t actions_head, actions_len, actions_cap;
    uint64_t next_worker_id;
    bool oom;
};

/* ---- small containers ---- */


static bool deque_push(pq_deque *d, uint64_t id, bool front)
{
    if (!vec_reserve((void **)&d->ids, &d->cap, d->len + 1, sizeof *d->ids, 8))
        return false;
    if (front) {
        memmove(d->ids + 1, d->ids, d->len * sizeof *d->ids);
        d->ids[0] = id;
    } else {
        d->ids[d->len] = id;
    }
    d->len++;
    return true;
}

static uint64_t deque_pop_front(pq_deque *d)
{
    uint64_t id = d->ids[0];
    d->len--;
    memmove(d->ids, d->ids + 1, d->len * sizeof *d->ids);
    return id;
}

static bool fail_oom(prepare_queue *q)
{
    q->oom = true;
    return false;
}

static bool emit(prepare_queue *q, prepare_action a)
{
    if (q->actions_head > 0 && q->actions_head == q->actions_len) {
        q->actions_head = q->actions_len = 0; /* drained: reuse the buffer */
    }
    if (!vec_reserve((void **)&q->actions, &q->actions_cap, q->actions_len + 1, sizeof *q->actions, 8))
        return fail_oom(q);
    q->actions[q->actions_len++] = a;
    return true;
}

/* ---- lookups ---- */

static pq_job *find_job(prepare_queue *q, uint64_t id)
{
    for (size_t i = 0; i < q->njobs; i++)
        if (q->jobs[i].info.job == id)
            return &q->jobs[i];
    return NULL;
}

static pq_job *find_job_by_artifact(prepare_queue *q, const artifact_id *a)
{
    for (size_t i = 0; i < q->njobs; i++)
        if (artifact_id_equal(&q->jobs[i].info.artifact, a))
            return &q->jobs[i];
    return NULL;
}

static void remove_job(prepare_queue *q, pq_job *j)
{
    size_t i = (size_t)(j - q->jobs);
    q->jobs[i] = q->jobs[--q->njobs];
}

static pq_worker *find_worker(prepare_queue *q, uint64_t id)
{
    for (size_t i = 0; i < q->nworkers; i++)
        if (q->workers[i].id == id)
            return &q->workers[i];
    return NULL;
}

static void remove_worker(prepare_queue *q, pq_worker *w)
{
    size_t i = (size_t)(w - q->workers);
    memmove(q->workers + i, q->workers + i + 1, (q->nworkers - i - 1) * sizeof *q->workers);
    q->nworkers--;
}

static pq_worker *find_idle_worker(prepare_queue *q)
{
    for (size_t i = 0; i < q->nworkers; i++)
        if (!q->workers[i].busy)
            return &q->workers[i];
    return NULL;
}

static pq_spawn *find_spawn(prepare_queue *q, uint64_t worker)
{
    for (size_t i = 0; i < q->nspawns; i++)
        if (q->spawns[i].worker == worker)
            return &q->spawns[i];
    return NULL;
}

static bool unscheduled_empty(const prepare_queue *q)
{
    return q->unscheduled[PREPARE_PRIORITY_CRITICAL].len == 0 &&
           q->unscheduled[PREPARE_PRIORITY_NORMAL].len == 0;
}

/* Critical first; Normal only when no Critical job waits. */
static bool next_unscheduled(prepare_queue *q, uint64_t *job)
{
    pq_deque *crit = &q->unscheduled[PREPARE_PRIORITY_CRITICAL];
    pq_deque *norm = &q->unscheduled[PREPARE_PRIORITY_NORMAL];
    if (crit->len) {
        *job = deque_pop_front(crit);
        return true;
    }
    if (norm->len) {
        *job = deque_pop_front(norm);
        return true;
    }
    return false;
}

/* ---- the reference's building blocks ---- */

static size_t spawned_num(const prepare_queue *q)
{
    return q->nworkers + q->nspawns;
}

static bool can_afford_one_more(const prepare_queue *q, bool critical)
{
    size_t cap = critical ? q->cfg.hard_capacity : q->cfg.soft_capacity;
    return spawned_num(q) < cap;
}

static bool spawn_extra_worker(prepare_queue *q, bool critical)
{
    if (!can_afford_one_more(q, critical))
        return true;
    if (!vec_reserve((void **)&q->spawns, &q->spawns_cap, q->nspawns + 1, sizeof *q->spawns, 8))
        return fail_oom(q);
    uint64_t id = q->next_worker_id++;
    q->spawns[q->nspawns++] = (pq_spawn){.worker = id};
    return emit(q, (prepare_action){.kind = PREPARE_ACTION_SPAWN, .worker = id});
}

static bool assign(prepare_queue *q, pq_worker *w, uint64_t job_id)
{
    pq_job *j = find_job(q, job_id);
    if (!j)
        return true; /* cannot happen: queued ids always have a job */
    j->running = true;
    w->busy = true;
    w->job = job_id;
    return emit(q, (prepare_action){.kind = PREPARE_ACTION_START_WORK, .worker = w->id,
                                    .job = job_id, .artifact = j->info.artifact});
}

static bool assign_next_if_any(prepare_queue *q, pq_worker *w)
{
    uint64_t job;
    if (!next_unscheduled(q, &job))
        return true;
    return assign(q, w, job);
}

/* ---- public API ---- */

prepare_queue_config prepare_queue_default_config(void)
{
    return (prepare_queue_config){.soft_capacity = PREPARE_QUEUE_SOFT_CAP_DEFAULT,
                                  .hard_capacity = PREPARE_QUEUE_HARD_CAP_DEFAULT,
                                  .spawn_retry_ms = PVF_REF_SPAWN_RETRY_MS};
}

prepare_queue *prepare_queue_new(const prepare_queue_config *config)
{
    if (config->soft_capacity == 0 || config->hard_capacity < config->soft_capacity)
        return NULL;
    prepare_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->cfg = *config;
    q->next_worker_id = 1;
    return q;
}

void prepare_queue_free(prepare_queue *q)
{
    if (!q)
        return;
    free(q->jobs);
    for (int p = 0; p < PREPARE_PRIORITY_COUNT; p++)
        free(q->unscheduled[p].ids);
    free(q->workers);
    free(q->spawns);
    free(q->actions);
    free(q);
}

prepare_enqueue_result prepare_queue_enqueue(prepare_queue *q, uint64_t job, const artifact_id *artifact,
                                             prepare_priority priority, uint64_t now_ms,
                                             uint64_t *existing_job)
{
    pq_job *dup = find_job_by_artifact(q, artifact);
    if (dup) {
        /* The reference's contract is "never enqueue twice"; the host's
         * artifact table coalesces. Doing it here too makes a second
         * request harmless: the caller attaches it to the running job. */
        if (existing_job)
            *existing_job = dup->info.job;
        return PREPARE_COALESCED;
    }
    if (priority != PREPARE_PRIORITY_CRITICAL)
        priority = PREPARE_PRIORITY_NORMAL;
    if (!vec_reserve((void **)&q->jobs, &q->jobs_cap, q->njobs + 1, sizeof *q->jobs, 8)) {
        fail_oom(q);
        return PREPARE_ENQUEUE_NOMEM;
    }
    q->jobs[q->njobs++] = (pq_job){.info = {.job = job, .artifact = *artifact, .priority = priority,
                                            .enqueued_at_ms = now_ms}};

    /* Not unfair: a worker that finishes is handed the next job by priority
     * at once, so an idle worker only exists when nothing else waits. */
    pq_worker *idle = find_idle_worker(q);
    bool ok;
    if (idle) {
        ok = assign(q, idle, job);
        if (!ok)
            idle->busy = false;
    } else {
        ok = spawn_extra_worker(q, priority == PREPARE_PRIORITY_CRITICAL) &&
             (deque_push(&q->unscheduled[priority], job, false) || fail_oom(q));
    }
    if (!ok) {
        /* Out of memory: the job was never queued, so it must not stay known either
         * (a later request for the artifact would coalesce into it and wait forever).
         * A spawn already asked for is harmless: the worker idles. */
        q->njobs--;
        return PREPARE_ENQUEUE_NOMEM;
    }
    return PREPARE_ENQUEUED;
}

bool prepare_queue_worker_spawned(prepare_queue *q, uint64_t worker, uint64_t now_ms)
{
    (void)now_ms;
    pq_spawn *s = find_spawn(q, worker);
    if (!s)
        return true; /* not ours (or already reported): ignore */
    *s = q->spawns[--q->nspawns];
    if (!vec_reserve((void **)&q->workers, &q->workers_cap, q->nworkers + 1, sizeof *q->workers, 8))
        return fail_oom(q);
    pq_worker *w = &q->workers[q->nworkers++];
    *w = (pq_worker){.id = worker};
    return assign_next_if_any(q, w);
}

bool prepare_queue_spawn_failed(prepare_queue *q, uint64_t worker, uint64_t now_ms)
{
    pq_spawn *s = find_spawn(q, worker);
    if (s) {
        s->waiting_retry = true;
        s->retry_at = now_ms + q->cfg.spawn_retry_ms;
    }
    return true;
}

bool prepare_queue_worker_concluded(prepare_queue *q, uint64_t worker, bool rip, uint64_t now_ms,
                                    prepare_job_info *done)
{
    (void)now_ms;
    pq_worker *w = find_worker(q, worker);
    if (!w || !w->busy)
        return false;
    pq_job *j = find_job(q, w->job);
    w->busy = false;
    if (!j)
        return false;
    *done = j->info;
    remove_job(q, j);

    if (rip) {
        remove_worker(q, w);
        /* Never critical: a death must not grow the pool to the hard cap. */
        if (!unscheduled_empty(q) && !spawn_extra_worker(q, false))
            return true; /* *done is valid; oom is flagged */
    } else if (spawned_num(q) > q->cfg.soft_capacity) {
        remove_worker(q, w);
        emit(q, (prepare_action){.kind = PREPARE_ACTION_KILL, .worker = worker});
    } else {
        assign_next_if_any(q, w);
    }
    return true;
}

bool prepare_queue_worker_died(prepare_queue *q, uint64_t worker, uint64_t now_ms)
{
    (void)now_ms;
    pq_worker *w = find_worker(q, worker);
    if (!w)
        return true; /* already gone (concluded with rip, culled): nothing to do */
    if (w->busy) {
        pq_job *j = find_job(q, w->job);
        if (j) {
            j->running = false;
            if (!deque_push(&q->unscheduled[j->info.priority], j->info.job, true))
                return fail_oom(q);
        }
    }
    remove_worker(q, w);
    if (!unscheduled_empty(q))
        return spawn_extra_worker(q, false);
    return true;
}

bool prepare_queue_tick(prepare_queue *q, uint64_t now_ms)
{
    for (size_t i = 0; i < q->nspawns; i++) {
        pq_spawn *s = &q->spawns[i];
        if (s->waiting_retry && now_ms >= s->retry_at) {
            s->waiting_retry = false;
            if (!emit(q, (prepare_action){.kind = PREPARE_ACTION_SPAWN, .worker = s->worker}))
                return false;
        }
    }
    return true;
}

bool prepare_queue_next_wakeup(const prepare_queue *q, uint64_t *when_ms)
{
    bool any = false;
    for (size_t i = 0; i < q->nspawns; i++) {
        const pq_spawn *s = &q->spawns[i];
        if (s->waiting_retry && (!any || s->retry_at < *when_ms)) {
            *when_ms = s->retry_at;
            any = true;
        }
    }
    return any;
}

bool prepare_queue_pop_action(prepare_queue *q, prepare_action *out)
{
    if (q->actions_head == q->actions_len)
        return false;
    *out = q->actions[q->actions_head++];
    return true;
}

bool prepare_queue_oom(const prepare_queue *q)
{
    return q->oom;
}

size_t prepare_queue_workers(const prepare_queue *q)
{
    return q->nworkers;
}

size_t prepare_queue_spawns_in_flight(const prepare_queue *q)
{
    return q->nspawns;
}

size_t prepare_queue_unscheduled(const prepare_queue *q, prepare_priority p)
{
    return (unsigned)p < PREPARE_PRIORITY_COUNT ? q->unscheduled[p].len : 0;
}

size_t prepare_queue_jobs(const prepare_queue *q)
{
    return q->njobs;
}

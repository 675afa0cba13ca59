/*
 * execute_queue.h — scheduling of execution jobs onto execute workers, as a
 * pure state machine (reference-behaviour.md §1.5).
 *
 * No threads, no I/O, no processes: the host's event loop reports events
 * (job enqueued, worker spawned / failed to spawn, job finished, worker
 * died, active leaves updated, time passed) and drains actions (spawn a
 * worker for a job, assign a job to a worker, kill a worker, answer a job
 * with ExecutionDeadline). Time is a parameter, monotonic milliseconds.
 *
 * Rules, as in the reference's execute/queue.rs:
 *   - four FIFO deques, one per exec_priority; which deque serves next is
 *     decided by the scheduling window (exec_window below): the last 12
 *     scheduled jobs are counted per priority, and a priority may take the
 *     next slot while its share of the jobs counted at it or below stays
 *     under its threshold (Dispute 70 %, Approval 80 %, BackingSystemParas
 *     100 %, Backing 100 %). With every kind saturated that is 8 disputes,
 *     3 approvals, 1 system-para backing per 12;
 *   - at most `max_workers` workers (running + spawning); each worker is
 *     specialised to one executor-params hash and only runs jobs with it;
 *   - one scheduling attempt per event: when a worker just finished and the
 *     chosen deque's eldest job has waited less than `max_keep_waiting_ms`
 *     (4 s), the first job of that deque matching the worker's hash runs on
 *     it; otherwise the eldest job runs on an idle worker with its hash, and
 *     if there is none one idle worker of another hash is killed to free a
 *     slot and a new worker is spawned *carrying* the job (workers are never
 *     spawned idle, so a fresh worker can't have the wrong params);
 *   - a failed spawn is retried with the same job after `spawn_retry_ms`
 *     (3 s), forever;
 *   - update_active_leaves drops deactivated leaves, records the activated
 *     leaf with its ancestors, then removes every Backing and
 *     BackingSystemParas job whose relay parent is neither an active leaf
 *     nor an ancestor of one: each is answered EXEC_ACTION_DEADLINE
 *     (ValidationError::ExecutionDeadline). Pruning happens only there.
 *
 * Worker ids are chosen by the queue (EXEC_ACTION_SPAWN) and used by the
 * caller in later events. Job ids are the caller's.
 *
 * Functions returning bool return false only when out of memory; the queue
 * is then still safe to free but its state should be considered lost.
 */
#ifndef PVF_HOST_EXECUTE_QUEUE_H
#define PVF_HOST_EXECUTE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/artifacts.h"
#include "host/priority.h"
#include "pvf/reference.h"    /* PVF_REF_SPAWN_RETRY_MS */

#define EXEC_QUEUE_MAX_WORKERS_DEFAULT 4
#define EXEC_QUEUE_MAX_KEEP_WAITING_MS_DEFAULT 4000
#define EXEC_SCHEDULING_WINDOW_SIZE 12

/* ---- the scheduling window (exposed for tests and metrics) ---- */

typedef struct exec_window {
    unsigned count[EXEC_PRIORITY_COUNT]; /* jobs scheduled per priority since the last reset */
} exec_window;

/* Threshold in percent of `p` (70, 80, 100, 100). */
unsigned exec_window_threshold(exec_priority p);
/* True when count[p]*100 / (sum of count[q] for q >= p) >= threshold(p),
 * integer division; false when that sum is 0. */
bool exec_window_reached_threshold(const exec_window *w, exec_priority p);
/* The first priority (most urgent first) with pending work that has not
 * reached its threshold; else the first with pending work; else Backing. */
exec_priority exec_window_select(const exec_window *w, const bool pending[EXEC_PRIORITY_COUNT]);
/* Count one scheduled job of `p`; all counters reset once they sum to 12. */
void exec_window_mark_scheduled(exec_window *w, exec_priority p);

/* ---- the queue ---- */

typedef struct exec_queue_config {
    size_t max_workers; /* at least 1 */
    uint64_t max_keep_waiting_ms;
    uint64_t spawn_retry_ms;
} exec_queue_config;

/* 4 workers, 4000 ms keep-waiting, 3000 ms spawn retry. */
exec_queue_config exec_queue_default_config(void);

typedef struct exec_job_desc {
    uint64_t id;                /* the caller's */
    artifact_id artifact;
    uint8_t params_hash[32];    /* ExecutorParams::hash() of the job's params */
    exec_priority priority;
    uint8_t relay_parent[32];   /* backing priorities only */
} exec_job_desc;

typedef enum exec_action_kind {
    EXEC_ACTION_SPAWN,    /* start worker `worker` for params job.params_hash; job rides along */
    EXEC_ACTION_ASSIGN,   /* run `job` on idle worker `worker` */
    EXEC_ACTION_KILL,     /* retire idle worker `worker` (another params hash needs the slot) */
    EXEC_ACTION_DEADLINE, /* answer `job` with ExecutionDeadline; it never ran */
} exec_action_kind;

typedef struct exec_action {
    exec_action_kind kind;
    uint64_t worker;      /* SPAWN, ASSIGN, KILL */
    exec_job_desc job;    /* SPAWN, ASSIGN, DEADLINE */
    uint64_t queued_ms;   /* ASSIGN: time the job waited (metric execution_queued_time) */
} exec_action;

typedef struct exec_queue exec_queue;

/* NULL when out of memory or max_workers is 0. */
exec_queue *exec_queue_new(const exec_queue_config *config);
void exec_queue_free(exec_queue *q);

bool exec_queue_enqueue(exec_queue *q, const exec_job_desc *job, uint64_t now_ms);
/* A job that was assigned but never started (its worker turned out dead) goes
 * back to the front of its deque, keeping the time it was first enqueued, as
 * the prepare queue does with a job whose worker died. */
bool exec_queue_requeue_front(exec_queue *q, const exec_job_desc *job, uint64_t enqueued_at_ms, uint64_t now_ms);

/* The worker of an EXEC_ACTION_SPAWN is up: its job is assigned to it. */
bool exec_queue_worker_spawned(exec_queue *q, uint64_t worker, uint64_t now_ms);
/* Spawning failed: retried with the same job spawn_retry_ms later. */
bool exec_queue_spawn_failed(exec_queue *q, uint64_t worker, uint64_t now_ms);

/* The worker's job ended and its result was delivered; `keep_worker` says
 * whether the worker survives (Ok, Invalid, PoV decompression failure,
 * RuntimeConstruction, CorruptedArtifact) or is dropped (internal error,
 * hard timeout, worker/job death, job error). Then the next job is
 * scheduled. */
bool exec_queue_job_finished(exec_queue *q, uint64_t worker, bool keep_worker, uint64_t now_ms);

/* The worker process is gone (busy or idle); a finish for its job may
 * still follow. */
bool exec_queue_worker_died(exec_queue *q, uint64_t worker, uint64_t now_ms);

/* `activated` may be NULL (nothing activated); ancestors of the activated
 * leaf; leaves deactivated by this update. */
bool exec_queue_update_active_leaves(exec_queue *q, const uint8_t activated[32],
                                     const uint8_t (*ancestors)[32], size_t n_ancestors,
                                     const uint8_t (*deactivated)[32], size_t n_deactivated,
                                     uint64_t now_ms);

/* Let time pass: re-issues spawns whose retry delay is over. */
bool exec_queue_tick(exec_queue *q, uint64_t now_ms);
/* The earliest time exec_queue_tick has something to do; false if never. */
bool exec_queue_next_wakeup(const exec_queue *q, uint64_t *when_ms);

bool exec_queue_pop_action(exec_queue *q, exec_action *out);
bool exec_queue_oom(const exec_queue *q);

/* Introspection (tests, metrics). */
size_t exec_queue_workers(const exec_queue *q);       /* running (idle or busy) */
size_t exec_queue_idle_workers(const exec_queue *q);
size_t exec_queue_spawns_in_flight(const exec_queue *q);
size_t exec_queue_pending(const exec_queue *q, exec_priority p);
size_t exec_queue_pending_total(const exec_queue *q);
const exec_window *exec_queue_window(const exec_queue *q);

#endif

/*
 * prepare_queue.h — scheduling of preparation jobs onto the prepare worker
 * pool, as a pure state machine (reference-behaviour.md §1.3, §1.4).
 *
 * No threads, no I/O, no processes: the host's event loop tells the queue
 * what happened (a job was enqueued, a worker spawned / failed to spawn /
 * concluded a job / died, time passed) and drains the actions the queue
 * wants done (spawn a worker, start a job on a worker, kill a worker).
 * Time is a parameter in monotonic milliseconds, so tests drive the clock.
 *
 * Rules (the reference's, with its unit-test expectations):
 *   - two priorities, Critical before Normal, FIFO within each; Normal may
 *     starve while Critical work keeps coming (accepted by the reference);
 *   - one job per artifact: enqueueing an artifact that is already queued or
 *     running is coalesced — nothing new is scheduled, the existing job id
 *     is returned so the caller can attach its waiter (no priority bump);
 *   - a new job goes straight to an idle worker if there is one (whatever
 *     its priority); otherwise a spawn is requested if affordable: workers
 *     plus spawns in flight < soft cap, or < hard cap for Critical work;
 *   - a worker that concludes is culled (Kill) when workers + spawns in
 *     flight exceed the soft cap, else it takes the next job;
 *   - a worker that dies (rip) with a job puts the job back at the *front*
 *     of its priority; if work remains a replacement is spawned, always as
 *     Normal so deaths never grow the pool up to the hard cap;
 *   - a failed spawn is retried after `spawn_retry_ms` (3 s in the
 *     reference), forever; the attempt stays counted as in flight.
 *
 * Worker ids are chosen by the queue (in PREPARE_ACTION_SPAWN) and used by
 * the caller in every later event about that worker. Job ids are the
 * caller's (opaque 64-bit values).
 *
 * Functions returning bool return false only when out of memory; the queue
 * is then still safe to free but its state should be considered lost.
 */
#ifndef PVF_HOST_PREPARE_QUEUE_H
#define PVF_HOST_PREPARE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/artifacts.h"
#include "host/priority.h"
#include "pvf/reference.h"    /* PVF_REF_SPAWN_RETRY_MS */

#define PREPARE_QUEUE_SOFT_CAP_DEFAULT 1
#define PREPARE_QUEUE_HARD_CAP_DEFAULT 2

typedef struct prepare_queue_config {
    size_t soft_capacity; /* workers wanted; at least 1 */
    size_t hard_capacity; /* workers allowed for Critical work; >= soft */
    uint64_t spawn_retry_ms;
} prepare_queue_config;

/* soft 1, hard 2, retry 3000 ms. */
prepare_queue_config prepare_queue_default_config(void);

typedef enum prepare_action_kind {
    PREPARE_ACTION_SPAWN,      /* start a prepare worker with id `worker` */
    PREPARE_ACTION_START_WORK, /* send job `job` (artifact) to idle worker `worker` */
    PREPARE_ACTION_KILL,       /* the worker is no longer wanted: kill and reap it */
} prepare_action_kind;

typedef struct prepare_action {
    prepare_action_kind kind;
    uint64_t worker;
    uint64_t job;         /* START_WORK only */
    artifact_id artifact; /* START_WORK only */
} prepare_action;

typedef enum prepare_enqueue_result {
    PREPARE_ENQUEUED,
    PREPARE_COALESCED, /* the artifact already had a job; *existing_job says which */
    PREPARE_ENQUEUE_NOMEM,
} prepare_enqueue_result;

/* What a concluded job was, for the caller's reply. */
typedef struct prepare_job_info {
    uint64_t job;
    artifact_id artifact;
    prepare_priority priority;
    uint64_t enqueued_at_ms;
} prepare_job_info;

typedef struct prepare_queue prepare_queue;

/* NULL when out of memory or the config is unusable (soft 0 or hard < soft). */
prepare_queue *prepare_queue_new(const prepare_queue_config *config);
void prepare_queue_free(prepare_queue *q);

prepare_enqueue_result prepare_queue_enqueue(prepare_queue *q, uint64_t job, const artifact_id *artifact,
                                             prepare_priority priority, uint64_t now_ms,
                                             uint64_t *existing_job);

/* The worker announced by PREPARE_ACTION_SPAWN is up and idle. */
bool prepare_queue_worker_spawned(prepare_queue *q, uint64_t worker, uint64_t now_ms);
/* Spawning it failed; it is tried again (same id) spawn_retry_ms later. */
bool prepare_queue_spawn_failed(prepare_queue *q, uint64_t worker, uint64_t now_ms);

/* The worker finished its job (successfully or not); `rip` = the worker is
 * gone (or must be dropped). Fills *done and returns true when the worker
 * had a job; false with *done untouched for an unknown or idle worker (a
 * caller bug, ignored) — check prepare_queue_oom() to tell the two apart. */
bool prepare_queue_worker_concluded(prepare_queue *q, uint64_t worker, bool rip, uint64_t now_ms,
                                    prepare_job_info *done);

/* The worker died outside of a conclusion (idle death, or before its job
 * reached it). Its job, if any, goes back to the front of its priority. */
bool prepare_queue_worker_died(prepare_queue *q, uint64_t worker, uint64_t now_ms);

/* Let time pass: re-issues spawns whose retry delay is over. */
bool prepare_queue_tick(prepare_queue *q, uint64_t now_ms);
/* The earliest time prepare_queue_tick has something to do; false if never. */
bool prepare_queue_next_wakeup(const prepare_queue *q, uint64_t *when_ms);

/* Pop the oldest pending action; false when there is none. */
bool prepare_queue_pop_action(prepare_queue *q, prepare_action *out);

/* True once an operation ran out of memory. */
bool prepare_queue_oom(const prepare_queue *q);

/* Introspection (tests, metrics). */
size_t prepare_queue_workers(const prepare_queue *q);        /* spawned, alive */
size_t prepare_queue_spawns_in_flight(const prepare_queue *q);
size_t prepare_queue_unscheduled(const prepare_queue *q, prepare_priority p);
size_t prepare_queue_jobs(const prepare_queue *q); /* queued + running */

#endif

/*
 * slot.h — one worker process and the thread that talks to it.
 *
 * The host thread never blocks on a worker: each worker it asks for gets a
 * slot, whose thread spawns the worker (worker_client.h), then runs the
 * jobs the host hands it one at a time with the blocking, deadline-bounded
 * primitives, and posts a slot_event to the host's mailbox after each step.
 * While idle the thread also watches the worker's pidfd and socket, so a
 * worker that dies between jobs is noticed at once (SLOT_DIED) instead of
 * being handed the next job and blaming it. A slot whose worker is gone
 * (spawn failed, died, retired) posts its last event with `gone` set and its
 * thread ends; the host then joins and frees
 * it. slot_cancel ends whatever the thread waits for at once and
 * kills the worker (shutdown).
 *
 * Requests point into memory the host keeps alive until the job's event
 * has been handled; results are copied into the event.
 */
#ifndef PVF_HOST_SLOT_H
#define PVF_HOST_SLOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "host/mailbox.h"
#include "host/verdict.h"
#include "host/worker_client.h"

typedef struct slot slot;

typedef enum slot_event_kind {
    SLOT_SPAWNED,       /* the worker is up and idle */
    SLOT_SPAWN_FAILED,  /* gone; spawn_status and err say why */
    SLOT_PREPARED,      /* a prepare job ended: prep */
    SLOT_EXECUTED,      /* an execute job ended: exec */
    SLOT_CLOSED,        /* slot_close/cancel finished: gone */
    SLOT_DIED,          /* the worker died while idle, or before the job it was handed
                         * reached it (then `job` names that job, which never started): gone */
} slot_event_kind;

typedef struct slot_event {
    mailbox_node node;
    slot *slot;
    slot_event_kind kind;
    bool gone;                      /* the worker process is gone: join the slot */
    uint64_t job;
    wclient_spawn_status spawn_status;
    char err[512];
    prepare_outcome prep;           /* SLOT_PREPARED; the artifact is at the job's dest when ok */
    uint64_t artifact_size;
    exec_outcome exec;              /* SLOT_EXECUTED; the event owns exec.result */
    uint64_t sent_ms, done_ms;      /* request sent / answer received (monotonic) */
    uint64_t worker_rss_kib;        /* SLOT_PREPARED/EXECUTED: the worker's resident memory after the
                                     * job (VmRSS), 0 when it is gone */
} slot_event;

typedef struct slot_prepare_job {
    uint64_t job;
    proto_pvf_prep_data req;
    uint64_t cpu_ms;                /* the CPU budget in req.prep_timeout */
    uint64_t wall_ms;
    char dest[4096];                /* where the artifact goes on success */
} slot_prepare_job;

typedef struct slot_execute_job {
    uint64_t job;
    char artifact_path[4096];
    proto_execute_request req;
    uint64_t wall_ms;
} slot_execute_job;

/* Start the slot's thread, which spawns a worker with cfg (deep-copied as
 * needed) and posts SLOT_SPAWNED or SLOT_SPAWN_FAILED. NULL when out of
 * resources. */
slot *slot_start(host_worker_kind kind, uint64_t id, const wclient_spawn_cfg *cfg, mailbox *events);

/* Hand the idle worker a job; the answer comes as SLOT_PREPARED / SLOT_EXECUTED. */
void slot_prepare(slot *s, const slot_prepare_job *job);
void slot_execute(slot *s, const slot_execute_job *job);
/* After a SLOT_DIED event: the job of a command the thread never took (the host gave it while the
 * thread was finding the worker dead), 0 if none. The thread takes no command after that event. */
uint64_t slot_untaken_job(slot *s);
/* Retire an idle worker politely (close its socket, wait, kill if it lingers). */
void slot_close(slot *s);
/* Kill the worker now, whatever the thread is doing. */
void slot_cancel(slot *s);
/* Wait for the thread to end and free the slot (after its `gone` event, or after cancel). */
void slot_join(slot *s);

uint64_t slot_id(const slot *s);
host_worker_kind slot_kind(const slot *s);
/* The worker's pid, -1 before it was spawned and after it is gone. Any thread. */
int slot_pid(const slot *s);

void slot_event_free(slot_event *ev);

#endif

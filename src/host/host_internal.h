/*
 * host_internal.h — the host record and what its files share:
 *
 *   host.c          lifecycle, the public API (submissions become inbox
 *                   messages), completion delivery, synchronous wrappers
 *   host_loop.c     the host thread: poll, dispatch inbox messages and
 *                   worker-slot events, drive both queues' actions, timers
 *   host_prepare.c  artifacts and preparation: routing a request to its
 *                   artifact, prepare jobs, precheck, heads-up, pruning
 *   host_execute.c  execution: execute jobs, verdicts, retries, deadlines
 *
 * Everything below `lock` is touched only by the host thread, or by another
 * thread holding `lock` (the introspection functions). The host thread holds
 * it while it handles a batch of messages and releases it to poll and to run
 * callbacks.
 */
#ifndef PVF_HOST_HOST_INTERNAL_H
#define PVF_HOST_HOST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "pvf/host.h"

#include "host/artifacts.h"
#include "host/execute_queue.h"
#include "host/mailbox.h"
#include "host/results.h"
#include "host/metrics.h"
#include "host/prepare_queue.h"
#include "host/verdict.h"
#include "host/slot.h"
#include "runtime/executor_params.h"
#include "util/cputime.h"

/* A precheck or execute request, from submission to completion. */
typedef struct host_request {
    uint64_t id;
    pvf_request_type type;
    pvf_completion_fn cb;
    void *user_data;
    uint8_t *code;
    size_t code_len;
    executor_params ep;
    artifact_id aid;
    uint8_t params_hash[32];
    uint64_t submitted_ms;
    /* execute */
    uint8_t *parent_head, *pov;
    size_t parent_head_len, pov_len;
    uint32_t relay_parent_number, max_pov_size;
    uint8_t storage_root[32], relay_parent[32];
    pvf_exec_request_kind kind;
    uint64_t timeout_ms;            /* the whole request's execution budget */
    uint64_t exec_enqueued_ms;      /* when it last entered the execute queue */
    bool retry_used[RETRY_CLASS_COUNT];
    uint64_t retry_at_ms;           /* > 0: execute again at this time */
    bool repreparing;               /* an artifact-class retry is re-preparing */
    exec_outcome last;              /* the outcome a retry would replace */
    struct completion_msg *reply;   /* with the result in it, allocated with the request (results.c):
                                     * it accumulates counters and is filled at completion */
    struct host_request *next;
} host_request;

/* A preparation queued or running (one per artifact). */
typedef struct prep_job {
    uint64_t id;
    artifact_id aid;
    uint8_t *code;
    size_t code_len;
    executor_params ep;
    proto_prep_kind kind;           /* Prechecking (precheck, heads-up) or Compilation (execution) */
    uint64_t cpu_ms;                /* precheck timeout for prechecks, the lenient one otherwise */
    char *dest;                     /* artifact path, chosen when the job starts */
    struct prep_job *next;
} prep_job;

/* Inbox messages from API callers. */
typedef enum inbox_kind { INBOX_REQUEST, INBOX_HEADS_UP, INBOX_LEAVES, INBOX_CANCEL, INBOX_STOP } inbox_kind;

typedef struct inbox_msg {
    mailbox_node node;
    inbox_kind kind;
    host_request *request;          /* INBOX_REQUEST */
    prep_job *heads_up;             /* INBOX_HEADS_UP: a list of jobs-to-be (ids unset) */
    bool has_activated;             /* INBOX_LEAVES */
    uint8_t activated[32];
    uint8_t (*ancestors)[32];
    size_t n_ancestors;
    uint8_t (*deactivated)[32];
    size_t n_deactivated;
    uint64_t cancel;                /* INBOX_CANCEL: the request's id */
} inbox_msg;

/* The result a request accumulates (its type's; the other is NULL). */
#define REQUEST_EXECUTE_RESULT(r) ((r)->reply->c.execute)
#define REQUEST_PRECHECK_RESULT(r) ((r)->reply->c.precheck)

struct pvf_host {
    pvf_host_config cfg;            /* strings point at the copies below */
    char *cache_dir, *prepare_path, *execute_path, *node_version, *dump_dir;
    struct wlog *worker_log;        /* every worker's stderr (worker_log.h) */
    metrics *metrics;
    pvf_security_status security;   /* the start-up checks */
    proto_security_status worker_security;  /* sent to every worker in its handshake */
    mailbox inbox;                  /* API callers → host thread */
    mailbox events;                 /* worker-slot threads → host thread */
    mailbox completions;            /* host thread → pvf_host_next_completion */
    pthread_t thread;
    atomic_uint_fast64_t next_id;
    atomic_bool stopping;

    pthread_mutex_t lock;
    artifacts *table;
    prepare_queue *pq;
    exec_queue *eq;
    slot **slots;            /* live slots, oldest first */
    size_t n_slots, cap_slots;
    host_request *requests;
    prep_job *prep_jobs;
    mailbox_node *ready;            /* completion_msgs made during this batch (delivered unlocked) */
    mailbox_node **ready_tail;
    char fatal[512];                /* set: the host takes no more work (see host.h) */
    uint64_t next_cleanup_ms;
    char path_buf[4096];
};

const executor_params *host_params_or_empty(const executor_params *ep);

/* host.c */
host_request *host_find_request(pvf_host *h, uint64_t id);
/* Unlink r, move its result into a completion for delivery and free r. */
void host_complete(pvf_host *h, host_request *r);
void host_request_free(host_request *r);

/* host_loop.c */
void *host_thread_main(void *arg);
slot *host_find_slot(pvf_host *h, host_worker_kind kind, uint64_t id);
void host_drain_actions(pvf_host *h);

/* host_prepare.c */
void host_route_to_artifact(pvf_host *h, host_request *r, bool as_precheck);
void host_heads_up(pvf_host *h, prep_job *list);
void host_start_prepare_job(pvf_host *h, uint64_t worker, uint64_t job);
void host_prepare_event(pvf_host *h, slot_event *ev);
void host_remove_artifact(pvf_host *h, const artifact_id *aid);
void host_prune(pvf_host *h, uint64_t now);
void host_complete_precheck(pvf_host *h, host_request *r, const prepare_outcome *po, bool cached);
void prep_job_free(prep_job *j);

/* host_execute.c */
void host_enqueue_execution(pvf_host *h, host_request *r, artifact_entry *e);
void host_prepared_for_execution(pvf_host *h, host_request *r, const prepare_outcome *po);
void host_assign_execution(pvf_host *h, uint64_t worker, uint64_t job, uint64_t queued_ms);
void host_execute_event(pvf_host *h, slot_event *ev);
void host_execution_deadline(pvf_host *h, uint64_t job);
/* An execution handed to a worker that turned out dead never started: queue it again (0: none). */
void host_requeue_execution(pvf_host *h, uint64_t job);
void host_run_due_retries(pvf_host *h, uint64_t now, uint64_t *next_wakeup);
/* Answer r without its work: an execution with verdict v and reason; a precheck
 * Failed (IoErr: never a vote) with msg. */
void host_fail_request(pvf_host *h, host_request *r, pvf_verdict v, exec_reason why, const char *msg);
/* pvf_host_cancel on the host thread: request `id`, when it is still waiting, answered
 * "Cancelled" now (host_execute.c). */
void host_cancel_request(pvf_host *h, uint64_t id);

/* The host's log (host_log.c): one message at `level`, "pvf host: " first; nothing without the
 * program's callback or above its level. */
/* security.c: pvf_security_check into the host's own record. */
bool security_check(const char *worker_path, const char *work_dir, pvf_security_status *out, char *err,
                    size_t errlen);
void host_log(const pvf_host *h, pvf_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* What the runtime logged for request r (lines), to the log callback, each line tagged with the
 * request: its id, kind, code hash and relay parent. */
void host_log_runtime(const pvf_host *h, const host_request *r, const char *log);
/* The kind as `pvf validate --kind` names it: "backing", "approval", "dispute". */
const char *host_kind_option(pvf_exec_request_kind k);

/* dump.c: a finished request whose verdict is not Valid, written under cfg.dump_dir (if set). */
void host_dump(pvf_host *h, const host_request *r);

#endif

/*
 * verdict.h — how the host reads what a worker answered: a prepare response
 * becomes a PrepareError kind (or success), an execute response becomes one
 * of the ValidationError classes with the retry class candidate-validation
 * gives it (reference-behaviour.md §1.4 steps 3–5, §1.5 "Result handling",
 * §6.1, §6.2). Pure functions: no I/O, no host state, so both the worker
 * threads and the tests can use them.
 */
#ifndef PVF_HOST_VERDICT_H
#define PVF_HOST_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/host.h"
#include "wire/protocol.h"
#include "host/worker_client.h"

/* How a preparation ended. */
typedef struct prepare_outcome {
    bool ok;
    proto_prepare_error_kind error_kind;    /* !ok */
    bool deterministic;                     /* !ok: the error says something about the code */
    char message[512];
    uint64_t cpu_ns;                        /* the job's CPU time (ok) */
    uint8_t checksum[32];                   /* ok */
    uint64_t peak_memory_bytes;             /* ok: max RSS, else peak tracked allocation */
    uint64_t max_rss_kib;                   /* ok, for metrics (0 = unknown) */
    uint64_t peak_tracked_kib;
    bool rip;                               /* the worker is gone or must be retired */
} prepare_outcome;

void prepare_outcome_fail(prepare_outcome *out, proto_prepare_error_kind kind, const char *msg);

/* A prepare request's result (st, r, err as wclient_prepare left them) under
 * a CPU budget of cpu_ms: a success reported over budget is TimedOut; the
 * worker is retired after TimedOut / JobDied / OutOfMemory and any I/O
 * failure. */
void verdict_from_prepare(wclient_status st, const proto_prepare_result *r, uint64_t cpu_ms, const char *err,
                          prepare_outcome *out);

/* Candidate-validation's retry budgets (§6.2): one retry per class. */
typedef enum retry_class {
    RETRY_NONE = 0,     /* final: Valid, Invalid, Preparation */
    RETRY_DEATH,        /* AmbiguousWorkerDeath, AmbiguousJobDeath */
    RETRY_JOB_ERROR,    /* JobError */
    RETRY_INTERNAL,     /* Internal */
    RETRY_ARTIFACT,     /* RuntimeConstruction, CorruptedArtifact: drop the artifact, re-prepare, retry at once */
    RETRY_CLASS_COUNT,
} retry_class;

/*
 * Why an execution ended: the ValidationError variants the reference tells
 * apart (§6.1), and the host's own reasons for not running it. Decisions use
 * the enum; the names are for display (the `reason` of pvf_execute_result).
 * Preparation and a worker's internal error are named by their own kinds.
 */
#define EXEC_REASONS(X)                                                                        \
    X(NONE, "") X(WORKER_REPORTED_INVALID, "WorkerReportedInvalid")                             \
    X(POV_DECOMPRESSION_FAILURE, "PoVDecompressionFailure")                                    \
    X(RUNTIME_CONSTRUCTION, "RuntimeConstruction") X(CORRUPTED_ARTIFACT, "CorruptedArtifact")   \
    X(HARD_TIMEOUT, "HardTimeout") X(AMBIGUOUS_JOB_DEATH, "AmbiguousJobDeath")                  \
    X(AMBIGUOUS_WORKER_DEATH, "AmbiguousWorkerDeath") X(JOB_ERROR, "JobError")                  \
    X(HOST_COMMUNICATION, "HostCommunication") X(COULD_NOT_CREATE_LINK, "CouldNotCreateLink")   \
    X(OUT_OF_MEMORY, "OutOfMemory") X(NON_DETERMINISTIC_PREPARE_ERROR, "NonDeterministicPrepareError") \
    X(EXECUTION_DEADLINE, "ExecutionDeadline") X(COULD_NOT_SPAWN_WORKER, "CouldNotSpawnWorker") \
    X(HOST_STOPPED, "HostStopped") X(PARAMS_TOO_LARGE, "ParamsTooLarge")                       \
    X(PREPARATION, "Preparation") X(WORKER_INTERNAL, "Internal") X(CANCELLED, "Cancelled")

typedef enum exec_reason {
#define EXEC_REASON_ENUM(id, name) EXEC_REASON_##id,
    EXEC_REASONS(EXEC_REASON_ENUM)
#undef EXEC_REASON_ENUM
} exec_reason;

const char *exec_reason_name(exec_reason why);

/* How one execution attempt ended. */
typedef struct exec_outcome {
    pvf_verdict verdict;
    exec_reason why;
    char reason[48];        /* for display: exec_reason_name, or the kind of a preparation or
                             * internal error */
    char message[2048];     /* room for a trap's reason, the runtime's panic and a wasm backtrace */
    uint8_t *result;        /* Valid: SCALE ValidationResult (malloc'd) */
    char *runtime_log;      /* what the runtime logged (malloc'd, NUL-terminated); NULL: nothing */
    size_t result_len;
    uint64_t execute_ns;    /* the job's CPU time as the worker reported it */
    uint64_t job_max_rss_kib; /* the job's peak resident memory as the worker reported it; 0: none */
    retry_class retry;
    bool worker_kept;       /* the worker survives (§1.5 table) */
} exec_outcome;

/* An execute request's result (st, r, err as wclient_execute left them). */
void verdict_from_execute(wclient_status st, const proto_execute_result *r, const char *err, exec_outcome *out);
/* Set the verdict, the reason (its name, or `kind_name` when given) and the message. */
void exec_outcome_set(exec_outcome *out, pvf_verdict v, exec_reason why, const char *kind_name,
                      const char *msg, size_t msg_len);
void exec_outcome_free(exec_outcome *out);

/* From<PrepareError> for ValidationError (§6.1): deterministic ⇒
 * Preparation, anything else Internal (abstain). */
void exec_outcome_from_prepare(const prepare_outcome *po, exec_outcome *out);

#endif

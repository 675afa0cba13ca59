/*
 * pvf/host.h — the PVF validation host: "precheck this code" and "validate
 * this candidate" turned into work for worker processes (which run each job
 * in a one-off job process), and every outcome turned into the right verdict
 * class (reference-behaviour.md §1.1, §6).
 *
 *   pvf_host_config cfg;
 *   pvf_host_config_init(&cfg);
 *   cfg.cache_dir = "/var/cache/pvf";
 *   cfg.prepare_worker_path = "/usr/lib/pvf/pvf-prepare-worker";
 *   cfg.execute_worker_path = "/usr/lib/pvf/pvf-execute-worker";
 *   pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
 *   pvf_precheck_result pr;
 *   pvf_host_precheck(h, code, code_len, NULL, &pr);       // pr.outcome == PVF_PRECHECK_VALID
 *   pvf_execute_request rq = {.code = code, .code_len = code_len, .pov = pov, ...};
 *   pvf_execute_result r;
 *   pvf_host_execute(h, &rq, &r);                          // r.verdict == PVF_VERDICT_VALID
 *   pvf_execute_result_free(&r);
 *   pvf_host_stop(h);
 *
 * Threading model (this slice). The host is single-threaded and
 * synchronous: each call runs the work it needs — table lookup, preparation
 * through a prepare worker, execution through an execute worker — to
 * completion on the caller's thread and then returns. There is no background
 * thread and no locking, so a host must be used by one thread at a time (the
 * caller serialises). Every wait has a deadline (the workers' wall-clock
 * backstop is the CPU-time budget × the wall-clock factor), so a call never
 * hangs on a stopped or wedged worker.
 *
 * Workers. The host keeps at most one prepare worker and one execute worker
 * alive between calls. They are spawned lazily; the execute worker is
 * specialised to the full executor-params hash (§1.5) and replaced when a
 * call needs other params. A worker that dies, times out or reports a worker
 * error is dropped and a fresh one is spawned by the next call. The
 * reference's queues (priorities, coalescing, several workers —
 * src/host/prepare_queue.h, execute_queue.h) are the next step and not wired
 * in yet: with one synchronous caller there is nothing to queue.
 *
 * Artifacts. Artifact ids are blake2b-256(code as given) + prep hash; the
 * table (src/host/artifacts.h) lives in cfg.cache_dir, survives a restart
 * through its manifest and is checked at start-up. Every pvf_host_stop
 * leaves no worker process and no worker dir behind.
 */
#ifndef PVF_HOST_H
#define PVF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* src/runtime/executor_params.h; NULL always means the empty list. */
struct executor_params;

typedef struct pvf_host pvf_host;

typedef struct pvf_host_config {
    const char *cache_dir;           /* artifacts + manifest + worker dirs; created if missing */
    const char *prepare_worker_path; /* pvf-prepare-worker */
    const char *execute_worker_path; /* pvf-execute-worker */
    const char *node_version;        /* sent in the versioned handshake; NULL ⇒ the workers' version */
    const char *worker_log_path;     /* workers' stderr appended here; NULL ⇒ inherit ours */
    bool secure_validator_mode;      /* passed to the workers in their handshake */
    /* Worker counts (reference defaults 4 / 1 / 2). This slice runs one of
     * each; the values are kept for the queued host. */
    unsigned execute_workers_max;
    unsigned prepare_workers_soft_max;
    unsigned prepare_workers_hard_max;
    /* Timing constants (reference defaults in brackets); tests shorten them. */
    uint32_t spawn_timeout_ms;             /* [3000] worker must connect within */
    uint32_t wall_clock_factor;            /* [4] host wall deadline = CPU budget × factor */
    uint64_t precheck_prep_timeout_ms;     /* [0 ⇒ executor params' Precheck timeout, 60 s] */
    uint64_t lenient_prep_timeout_ms;      /* [0 ⇒ executor params' Prepare timeout, 360 s] */
    uint64_t execution_retry_delay_ms;     /* [3000] approval/dispute retry delay */
    uint64_t prepare_failure_cooldown_ms;  /* [15 min] before a non-deterministic failure is retried */
    uint32_t prepare_max_retries;          /* [5] */
    uint32_t validation_code_bomb_limit;   /* [30 MiB = 10 × MAX_CODE_SIZE] */
} pvf_host_config;

/* Every field to its reference default (paths NULL). */
void pvf_host_config_init(pvf_host_config *cfg);

/*
 * Open the artifact cache (restoring the manifest, removing stale worker
 * dirs and unknown artifacts) and return the host; no worker is spawned yet.
 * NULL with a message in err when the cache can't be opened or a required
 * path is missing.
 */
pvf_host *pvf_host_start(const pvf_host_config *cfg, char *err, size_t errlen);
/* Close both workers (killing them if they linger), reap them, remove their
 * dirs, save the manifest and free the host. NULL is a no-op. */
void pvf_host_stop(pvf_host *h);

/* ---------------------------------------------------------------- precheck */

typedef enum pvf_precheck_outcome {
    PVF_PRECHECK_VALID = 0,   /* prepared: the artifact is in the cache */
    PVF_PRECHECK_INVALID,     /* a deterministic preparation error (reason names it) */
    PVF_PRECHECK_FAILED,      /* a non-deterministic error: no vote (reason names it) */
} pvf_precheck_outcome;

typedef struct pvf_precheck_result {
    pvf_precheck_outcome outcome;
    char reason[48];          /* PrepareError variant ("Prevalidation", "TimedOut"…); "" when valid */
    char message[512];        /* its message */
    uint64_t prepare_cpu_ns;  /* CPU time of the preparation (0 when it was cached) */
    bool cached;              /* answered from the table without preparing */
} pvf_precheck_result;

/* Precheck code (possibly compressed) under ep with the precheck timeout.
 * Never retries a failure (§1.1): a FailedToProcess entry answers as is. */
void pvf_host_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                       const struct executor_params *ep, pvf_precheck_result *out);

/* Path of the cached artifact for code under ep, or NULL when it is not
 * Prepared (valid until the next call on h). For tests and tools. */
const char *pvf_host_artifact_path(pvf_host *h, const uint8_t *code, size_t code_len,
                                   const struct executor_params *ep);

/* ---------------------------------------------------------------- execute */

typedef enum pvf_exec_request_kind {
    PVF_KIND_BACKING = 0,
    PVF_KIND_BACKING_SYSTEM_PARA,
    PVF_KIND_APPROVAL,
    PVF_KIND_DISPUTE,
} pvf_exec_request_kind;

/* The ValidationError classes of §6.1, plus Valid. */
typedef enum pvf_verdict {
    PVF_VERDICT_VALID = 0,          /* result holds the SCALE ValidationResult */
    PVF_VERDICT_INVALID,            /* WorkerReportedInvalid / HardTimeout / PoVDecompressionFailure */
    PVF_VERDICT_POSSIBLY_INVALID,   /* AmbiguousWorkerDeath / AmbiguousJobDeath / JobError /
                                     * RuntimeConstruction / CorruptedArtifact */
    PVF_VERDICT_PREPARATION,        /* a deterministic preparation error (abstain) */
    PVF_VERDICT_INTERNAL,           /* an internal error, including non-deterministic prepare
                                     * errors (abstain) */
    PVF_VERDICT_EXECUTION_DEADLINE, /* reserved for dropped backing jobs (queued host) */
} pvf_verdict;

typedef struct pvf_execute_request {
    const uint8_t *code;
    size_t code_len;
    const struct executor_params *executor_params;  /* NULL ⇒ empty */
    /* PersistedValidationData */
    const uint8_t *parent_head;
    size_t parent_head_len;
    uint32_t relay_parent_number;
    uint8_t relay_parent_storage_root[32];
    uint32_t max_pov_size;          /* 0 ⇒ 10 MiB (MAX_POV_SIZE) */
    /* PoV block data, possibly compressed */
    const uint8_t *pov;
    size_t pov_len;
    pvf_exec_request_kind kind;
    uint64_t timeout_ms;            /* 0 ⇒ executor params' Backing / Approval timeout */
} pvf_execute_request;

typedef struct pvf_execute_result {
    pvf_verdict verdict;
    char reason[48];            /* the variant: "HardTimeout", "CorruptedArtifact", "JobDied"… */
    char message[512];          /* details */
    uint8_t *result;            /* Valid: SCALE ValidationResult (malloc'd) */
    size_t result_len;
    uint64_t prepare_cpu_ns;    /* when this call had to prepare */
    uint64_t execute_ns;        /* the job's CPU time as the worker reported it (last attempt) */
    unsigned attempts;          /* execution attempts made (retries included) */
    unsigned preparations;      /* preparations this call ran (re-preparations included) */
} pvf_execute_result;

/*
 * Validate a candidate: prepare if needed (lenient timeout), execute through
 * an execute worker for these executor params and classify (§1.5, §6.2).
 * Approval and dispute retry once per error class (AmbiguousWorkerDeath and
 * AmbiguousJobDeath / JobError / Internal / RuntimeConstruction and
 * CorruptedArtifact) after the retry delay, re-preparing immediately for the
 * last class, as long as the delay still fits in the timeout; backing never
 * retries. Always fills *out; free it with pvf_execute_result_free.
 */
void pvf_host_execute(pvf_host *h, const pvf_execute_request *req, pvf_execute_result *out);
void pvf_execute_result_free(pvf_execute_result *r);

const char *pvf_verdict_name(pvf_verdict v);                  /* "Valid", "PossiblyInvalid"… */
const char *pvf_precheck_outcome_name(pvf_precheck_outcome o); /* "Valid", "Invalid", "Failed" */

/* Pids of the live workers (-1 when none), for tests and diagnostics. */
int pvf_host_prepare_worker_pid(const pvf_host *h);
int pvf_host_execute_worker_pid(const pvf_host *h);

#endif

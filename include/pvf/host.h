/*
 * pvf/host.h — the PVF validation host: "precheck this code" and "validate
 * this candidate" turned into work for worker processes (which run each job
 * in a one-off job process), and every outcome turned into the right verdict
 * class (reference-behaviour.md §1.1, §6).
 *
 *   pvf_host_config cfg;
 *   pvf_host_config_init(&cfg);
 *   cfg.cache_dir = "/var/cache/pvf";     // the worker binaries: found (pvf_find_workers)
 *   pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
 *   pvf_precheck_result *pr = pvf_host_precheck(h, code, code_len, NULL);  // pr->outcome == PVF_PRECHECK_VALID
 *   pvf_precheck_result_free(pr);
 *   pvf_execute_request rq;
 *   pvf_execute_request_init(&rq);
 *   rq.code = code, rq.code_len = code_len;
 *   pvf_execute_request_set_params(&rq, params, params_len, err, sizeof err);
 *   pvf_execute_result *r = pvf_host_execute(h, &rq);     // r->verdict == PVF_VERDICT_VALID
 *   pvf_execute_result_free(r);
 *   pvf_host_stop(h);
 *
 * Threading model. pvf_host_start starts one host thread, which owns all
 * state: the artifact table, the prepare queue and the execute queue
 * (src/host/prepare_queue.h, execute_queue.h) and the metrics. Every worker
 * process is driven by a thread of its own (src/host/slot.h), so a
 * slow or stopped worker never blocks the host thread; each wait there has a
 * deadline (the CPU-time budget × the wall-clock factor). The API below may
 * be called from any thread: submissions are copied into a message for the
 * host thread and return at once. Results come back on the host thread,
 * either through the callback given with the request, or — callback NULL —
 * queued for pvf_host_next_completion, with pvf_host_completion_fd()
 * readable while any wait. Callbacks must not block and must not call
 * pvf_host_stop or the synchronous wrappers (they may submit).
 * pvf_host_precheck and pvf_host_execute are synchronous wrappers (submit,
 * then wait for the completion) for callers without an event loop.
 *
 * Workers. Up to execute_workers_max execute workers, each specialised to
 * one executor-params hash (§1.5), and prepare workers between the soft and
 * hard caps (§1.3/§1.4). They are spawned on demand, retired and replaced as
 * the reference's queues decide; a worker that dies, times out or reports a
 * worker error is dropped and its slot re-spawned when work needs it. A
 * worker binary that can't be executed or a version mismatch stops the host
 * from taking work: every pending and later request is answered with that
 * error (Failed / Internal — never a vote).
 *
 * Artifacts. Artifact ids are blake2b-256(code as given) + prep hash; the
 * table (src/host/artifacts.h) lives in cfg.cache_dir, survives a restart
 * through its manifest and is checked at start-up; it is pruned every
 * cleanup pulse (LRU by the artifacts' real size). pvf_host_stop kills and
 * reaps every worker (and so every job), removes their dirs and answers
 * every unfinished request with Internal "the host stopped".
 */
#ifndef PVF_HOST_H
#define PVF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pvf/engine.h"

#include "pvf/api.h"

PVF_BEGIN_DECLS

/* The session's ExecutorParams (opaque; pvf_executor_params_decode makes one); NULL always means
 * the empty list. */
struct executor_params;
typedef struct executor_params pvf_executor_params;

typedef struct pvf_host pvf_host;

/* How much a message of the host's log matters. */
typedef enum pvf_log_level {
    PVF_LOG_ERROR = 0,      /* work is refused or lost: no worker can run, a manifest can't be saved */
    PVF_LOG_WARNING = 1,    /* something a validator's operator should look at: a sandbox layer
                             * missing, a worker that died, every line a worker writes to stderr */
    PVF_LOG_INFO = 2,       /* start-up facts: each sandbox layer found */
} pvf_log_level;

/*
 * The host's log: called with each message (one line, no newline, already formatted: "pvf
 * host: …", "pvf execute worker 123: …"), from any of the host's threads and possibly at the
 * same time from two; it must be quick and must not call into the host. Without one the
 * library writes nothing anywhere (a program owns its stderr).
 */
typedef void (*pvf_log_fn)(void *user, pvf_log_level level, const char *message);

/* The largest execute_job_memory_mb: 1 TiB. */
#define PVF_JOB_MEMORY_MB_MAX (1ull << 20)

/*
 * ABI: pvf_host_config and pvf_execute_request begin with their size as the program was compiled
 * (pvf_host_config_init and pvf_execute_request_init set it), so a library with more fields reads
 * only what the program has, and takes defaults for the rest; a program newer than its library
 * is refused if it set a field the library does not know (those bytes not zero), the way
 * clone3 and openat2 treat their argument structs. Size 0 (never initialised) is refused.
 */
typedef struct pvf_host_config {
    size_t size;                     /* sizeof (pvf_host_config) where the program was compiled */
    const char *cache_dir;           /* artifacts + manifest + worker dirs; created if missing */
    const char *prepare_worker_path; /* pvf-prepare-worker; NULL (with execute_worker_path): found by
                                      * pvf_find_workers(workers_dir) */
    const char *execute_worker_path; /* pvf-execute-worker */
    const char *workers_dir;         /* where to look for them first (pvf_find_workers); NULL: none */
    const char *node_version;        /* sent in the versioned handshake; NULL ⇒ the workers' version */
    pvf_log_fn log;                  /* the host's log (NULL: none) and what it is given */
    void *log_user;
    pvf_log_level log_level;         /* [PVF_LOG_WARNING] messages above this level are not made */
    const char *dump_dir;            /* each request whose verdict is not Valid is written here (code,
                                      * params, executor params, verdict, a replay command); NULL: none */
    const char *worker_log_path;     /* workers' stderr appended here (NULL ⇒ to `log`, as warnings),
                                      * through a pipe the host reads: each line tagged "pvf execute
                                      * worker PID: ", escaped, cut, rate-limited (src/host/worker_log.h) */
    bool secure_validator_mode;      /* [true] refuse to start without seccomp, or without both landlock
                                      * and pivot_root; false is the reference's
                                      * --insecure-validator-i-know-what-i-do: refusals become warnings
                                      * and the workers use whatever layers work */
    /* Worker counts (reference defaults 4 / 1 / 2). */
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
    uint64_t spawn_retry_ms;               /* [3000] a failed spawn is retried after */
    uint64_t max_keep_waiting_ms;          /* [4000] execute queue's keep-waiting rule */
    uint64_t cleanup_pulse_ms;             /* [3600 s] how often the cache is pruned */
    uint64_t artifact_cache_limit;         /* [10 GiB] pruning starts above this total size */
    uint64_t artifact_min_stale_ms;        /* [24 h] artifacts needed more recently are kept */
    bool disable_metrics;                  /* record nothing (the reference's Metrics(None)) */
    pvf_tier tier;                         /* [PVF_TIER_DEFAULT: native on x86-64] the engine tier
                                            * execute jobs run code on */
    bool no_sandbox;                       /* workers apply no layer at all (benchmarks, debugging);
                                            * only with secure_validator_mode false */
    uint64_t execute_job_memory_mb;        /* [0 ⇒ sized from the heap maximum: 2 × the largest wasm
                                            * memory + the engine's stacks + 256 MiB, ~1.8 GiB by
                                            * default] an execute job's memory limit (RLIMIT_DATA over
                                            * the worker's own); at most 1 TiB */
} pvf_host_config;

/* Every field to its reference default (paths NULL). */
/*
 * Where the worker binaries pvf-prepare-worker and pvf-execute-worker are: in `dir` (may be
 * NULL), else the running program's own directory, else the directory `make install` put them in
 * ($(PREFIX)/lib/pvf) — the first holding both. Their paths in prepare_path and execute_path
 * (path_size bytes each); false with every path tried and why in err.
 */
PVF_API bool pvf_find_workers(const char *dir, char *prepare_path, char *execute_path, size_t path_size, char *err,
                              size_t errlen);

/* The defaults, and cfg->size = size (the caller's sizeof: use the macro). */
PVF_API void pvf_host_config_init_sized(pvf_host_config *cfg, size_t size);
#define pvf_host_config_init(cfg) pvf_host_config_init_sized((cfg), sizeof *(cfg))

/*
 * Open the artifact cache (restoring the manifest, removing stale worker
 * dirs and unknown artifacts) and return the host; no worker is spawned yet.
 * NULL with a message in err when the cache can't be opened or a required
 * path is missing.
 */
PVF_API pvf_host *pvf_host_start(const pvf_host_config *cfg, char *err, size_t errlen);
/* Stop the host thread, kill and reap every worker (and with them every job
 * process), remove their dirs, answer unfinished requests with Internal
 * "the host stopped", save the manifest and free the host. NULL is a no-op. */
PVF_API void pvf_host_stop(pvf_host *h);

/* ---------------------------------------------------------------- precheck */

typedef enum pvf_precheck_outcome {
    PVF_PRECHECK_VALID = 0,   /* prepared: the artifact is in the cache */
    PVF_PRECHECK_INVALID,     /* a deterministic preparation error (reason names it) */
    PVF_PRECHECK_FAILED,      /* a non-deterministic error: no vote (reason names it) */
} pvf_precheck_outcome;

/*
 * ABI: the result structs below are made by the library and handed over as pointers; a program
 * reads their fields but never declares, copies or sizes one itself, so a later library may
 * append fields (it never moves or changes one). Their strings and bytes belong to the result
 * and go with its _free.
 */
typedef struct pvf_precheck_result {
    pvf_precheck_outcome outcome;
    const char *reason;       /* PrepareError variant ("Prevalidation", "TimedOut"…); "" when valid */
    const char *message;      /* its message; "" when valid */
    uint64_t prepare_cpu_ns;  /* CPU time of the preparation (0 when it was cached) */
    bool cached;              /* answered from the table without preparing */
} pvf_precheck_result;

/* Precheck code (possibly compressed) under ep with the precheck timeout.
 * Never retries a failure (§1.1): a FailedToProcess entry answers as is. Free the result with
 * pvf_precheck_result_free; NULL only when there is no memory even for the result. */
PVF_API pvf_precheck_result *pvf_host_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                                               const struct executor_params *ep);
PVF_API void pvf_precheck_result_free(pvf_precheck_result *r);   /* NULL is a no-op */

/* Path of the cached artifact for code under ep, or NULL when it is not
 * Prepared (valid until the next call on h). For tests and tools. */
PVF_API const char *pvf_host_artifact_path(pvf_host *h, const uint8_t *code, size_t code_len,
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
    PVF_VERDICT_EXECUTION_DEADLINE, /* a backing job dropped because its relay parent left the
                                     * active leaves' ancestry (it never ran) */
} pvf_verdict;

typedef struct pvf_execute_request {
    size_t size;                    /* sizeof (pvf_execute_request) where the program was compiled */
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
    uint8_t relay_parent[32];       /* backing kinds: the job is dropped (ExecutionDeadline) once this
                                     * is no active leaf nor an ancestor of one (after the first
                                     * pvf_host_update_active_leaves; before any, nothing is dropped) */
    uint64_t timeout_ms;            /* 0 ⇒ executor params' Backing / Approval timeout */
} pvf_execute_request;

/* All zero (no executor params, backing, the default timeout), and rq->size = size (the caller's
 * sizeof: use the macro). */
PVF_API void pvf_execute_request_init_sized(pvf_execute_request *rq, size_t size);
#define pvf_execute_request_init(rq) pvf_execute_request_init_sized((rq), sizeof *(rq))

/*
 * The request's PersistedValidationData fields and PoV from a SCALE-encoded ValidationParams
 * {parent_head, block_data, relay_parent_number, relay_parent_storage_root} — what a node hands
 * to validate_block. rq then points into params: keep them alive while rq is in use. False,
 * with why in err, when they do not decode; rq is then unchanged.
 */
PVF_API bool pvf_execute_request_set_params(pvf_execute_request *rq, const uint8_t *params, size_t len, char *err,
                                            size_t errlen);

/*
 * The same from the two pieces a node keeps instead: the candidate's SCALE-encoded
 * PersistedValidationData {parent_head, relay_parent_number, relay_parent_storage_root,
 * max_pov_size} (max_pov_size too), and its SCALE-encoded PoV {block_data} (the block data as
 * it came, possibly compressed). rq then points into the bytes; false with why in err when they
 * do not decode, rq unchanged.
 */
PVF_API bool pvf_execute_request_set_pvd(pvf_execute_request *rq, const uint8_t *pvd, size_t len, char *err,
                                         size_t errlen);
PVF_API bool pvf_execute_request_set_pov(pvf_execute_request *rq, const uint8_t *pov, size_t len, char *err,
                                         size_t errlen);

/* ExecutorParams from their SCALE encoding (a session's `Vec<ExecutorParam>`), for
 * pvf_execute_request.executor_params and the precheck's; NULL with why in err when they do not
 * decode. Free with pvf_executor_params_free (NULL is fine). */
PVF_API pvf_executor_params *pvf_executor_params_decode(const uint8_t *bytes, size_t len, char *err, size_t errlen);
PVF_API void pvf_executor_params_free(pvf_executor_params *ep);

typedef struct pvf_execute_result {
    pvf_verdict verdict;
    const char *reason;         /* the variant: "HardTimeout", "CorruptedArtifact", "JobDied"…; "" when valid */
    const char *message;        /* details: for Invalid the runtime's panic message and a wasm backtrace */
    const uint8_t *result;      /* Valid: SCALE ValidationResult */
    size_t result_len;
    uint64_t prepare_cpu_ns;    /* when this call had to prepare */
    uint64_t execute_ns;        /* the job's CPU time as the worker reported it (last attempt) */
    unsigned attempts;          /* execution attempts made (retries included) */
    unsigned preparations;      /* preparations this call ran (re-preparations included) */
    const char *runtime_log;    /* what the runtime logged in the last attempt (ext_logging_log,
                                 * ext_misc_print_*), one "LEVEL target: message" line each; "" when
                                 * nothing. Also passed to the host's log callback, each line tagged
                                 * with the request */
} pvf_execute_result;

/*
 * Validate a candidate: prepare if needed (lenient timeout), execute through
 * an execute worker for these executor params and classify (§1.5, §6.2).
 * Approval and dispute retry once per error class (AmbiguousWorkerDeath and
 * AmbiguousJobDeath / JobError / Internal / RuntimeConstruction and
 * CorruptedArtifact) after the retry delay, re-preparing immediately for the
 * last class, as long as the delay still fits in the timeout; backing never
 * retries. Free the result with pvf_execute_result_free; NULL only when there is no memory even
 * for the result (a request that can't be taken is an Internal result saying why).
 */
PVF_API pvf_execute_result *pvf_host_execute(pvf_host *h, const pvf_execute_request *req);
PVF_API void pvf_execute_result_free(pvf_execute_result *r);     /* NULL is a no-op */

PVF_API const char *pvf_verdict_name(pvf_verdict v);                  /* "Valid", "PossiblyInvalid"… */
PVF_API const char *pvf_precheck_outcome_name(pvf_precheck_outcome o); /* "Valid", "Invalid", "Failed" */

/* ---------------------------------------------------------------- asynchronous API */

typedef enum pvf_request_type { PVF_REQUEST_PRECHECK = 0, PVF_REQUEST_EXECUTE = 1 } pvf_request_type;

/* Made by the library, like the results (fields may be appended, never moved). */
typedef struct pvf_completion {
    uint64_t id;                    /* what the submit call returned */
    pvf_request_type type;
    void *user_data;
    pvf_precheck_result *precheck;  /* PVF_REQUEST_PRECHECK, else NULL */
    pvf_execute_result *execute;    /* PVF_REQUEST_EXECUTE, else NULL */
} pvf_completion;

/* Runs on the host thread. It may keep c->precheck or c->execute by setting the field to NULL
 * (it then owns the result and frees it); everything else is freed after it returns. */
typedef void (*pvf_completion_fn)(pvf_completion *c, void *user_data);

/* Queue a precheck / an execution. Everything is copied. Returns the
 * request id (> 0), or 0 when out of memory or the host is stopping. */
PVF_API uint64_t pvf_host_submit_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                                  const struct executor_params *ep, pvf_completion_fn cb, void *user_data);
PVF_API uint64_t pvf_host_submit_execute(pvf_host *h, const pvf_execute_request *req, pvf_completion_fn cb,
                                 void *user_data);

/*
 * Cancel a request (its id from a submit): when it has not been answered yet, it is answered now
 * — an execution Internal, a precheck Failed, reason "Cancelled" — and its work is dropped where
 * it has not started: a queued execution never runs, no retry or preparation is made for it. A
 * job already running finishes and its verdict goes nowhere. Answered requests are left alone.
 * False: out of memory (nothing was cancelled).
 */
PVF_API bool pvf_host_cancel(pvf_host *h, uint64_t id);

/* Readable while completions of callback-less requests wait. */
PVF_API int pvf_host_completion_fd(const pvf_host *h);
/* Take the oldest waiting completion (free it with pvf_completion_free); NULL when there is none. */
PVF_API pvf_completion *pvf_host_next_completion(pvf_host *h);
PVF_API void pvf_completion_free(pvf_completion *c);       /* NULL is a no-op */

typedef struct pvf_heads_up_item {
    const uint8_t *code;
    size_t code_len;
    const struct executor_params *executor_params;   /* NULL ⇒ empty */
} pvf_heads_up_item;

/* Fire and forget (§1.1 heads_up): prepare these PVFs with Normal priority
 * if they are not prepared yet (a failed one only when the retry rule
 * allows), and mark prepared ones as needed now. False: out of memory. */
PVF_API bool pvf_host_heads_up(pvf_host *h, const pvf_heads_up_item *pvfs, size_t n);

/* The relay chain moved: `activated` (may be NULL) with its ancestors, and
 * the leaves no longer active. Queued backing jobs whose relay parent is in
 * none of the active leaves' ancestries are answered ExecutionDeadline.
 * False: out of memory. */
PVF_API bool pvf_host_update_active_leaves(pvf_host *h, const uint8_t activated[32], const uint8_t (*ancestors)[32],
                                   size_t n_ancestors, const uint8_t (*deactivated)[32], size_t n_deactivated);

/* The host's metrics in the Prometheus text format, snprintf-style (see
 * src/host/metrics.h for the families); 0 when metrics are disabled. */
PVF_API size_t pvf_host_metrics_render(const pvf_host *h, char *buf, size_t cap);

/* ---------------------------------------------------------------- security */

/* One sandbox layer as the start-up check found it. */
typedef struct pvf_security_layer {
    bool available;         /* the check applied the layer and proved its effect */
    char detail[256];       /* the check's line ("landlock: available, ABI 7") or why not */
} pvf_security_layer;

typedef struct pvf_security_status {
    pvf_security_layer landlock, seccomp, userns_pivot_root, job_clone;
    int landlock_abi;       /* the kernel's landlock ABI; 0 when unavailable */
    bool secure_mode_ok;    /* seccomp, and landlock or userns_pivot_root */
} pvf_security_status;

/* Run the worker binary's four check modes in parallel (each in its own
 * process, empty environment); the pivot check gets a temporary dir under
 * work_dir. The status is the library's, like a result (fields may be appended): free it with
 * pvf_security_status_free. NULL only when the checks could not be run (err says why). */
PVF_API pvf_security_status *pvf_security_check(const char *worker_path, const char *work_dir, char *err,
                                                size_t errlen);
PVF_API void pvf_security_status_free(pvf_security_status *st);     /* NULL is a no-op */
/* NULL when secure mode can start; else why not, in buf. */
PVF_API const char *pvf_security_refusal(const pvf_security_status *st, char *buf, size_t size);
/* Why `layer` ("landlock", "seccomp", "userns_pivot_root", "job_clone") is likely unavailable on
 * this machine and how to fix it (a kernel too old, an AppArmor or container policy, a sysctl),
 * in buf; l->detail is the check's own reason. */
PVF_API const char *pvf_security_hint(const char *layer, const pvf_security_layer *l, char *buf, size_t size);
/* What pvf_host_start found (the workers apply exactly these layers). */
PVF_API const pvf_security_status *pvf_host_security(const pvf_host *h);

/* ---------------------------------------------------------------- introspection */

/* Pid of a live worker (the oldest one; -1 when none), for tests and diagnostics. */
PVF_API int pvf_host_prepare_worker_pid(const pvf_host *h);
PVF_API int pvf_host_execute_worker_pid(const pvf_host *h);
/* Pids of all live workers of one kind (0 prepare, 1 execute) into pids[max]; returns the count. */
PVF_API size_t pvf_host_worker_pids(const pvf_host *h, int kind, int *pids, size_t max);

PVF_END_DECLS

#endif

/*
 * metrics.h — the PVF host's Prometheus metrics.
 *
 * One registry holds every metric the reference exposes (reference-behaviour.md §7,
 * polkadot-sdk node/core/pvf/src/metrics.rs and candidate-validation/src/metrics.rs),
 * with the reference's exact names, help texts, label names and bucket boundaries:
 *
 *   polkadot_pvf_worker_spawning{flavor}        counter   flavor = prepare|execute
 *   polkadot_pvf_worker_spawned{flavor}         counter
 *   polkadot_pvf_worker_retired{flavor}         counter
 *   polkadot_pvf_prepare_enqueued               counter
 *   polkadot_pvf_prepare_concluded              counter
 *   polkadot_pvf_execute_enqueued               counter
 *   polkadot_pvf_execute_finished               counter
 *   polkadot_pvf_preparation_time               histogram (s)  0.1 … 480
 *   polkadot_pvf_execution_time                 histogram (s)  0.01 … 12
 *   polkadot_pvf_execution_queued_time          histogram (s)  0.01 … 48
 *   polkadot_pvf_preparation_max_rss            histogram (KiB) 8192 ×2, 10 buckets
 *   (the reference's polkadot_pvf_preparation_max_resident and _max_allocated are
 *   jemalloc's statistics: pvf has no jemalloc, so it does not export them)
 *   polkadot_pvf_preparation_peak_tracked_allocation histogram (KiB) idem
 *   polkadot_parachain_candidate_validation_pov_size{compressed} histogram (bytes) 16384 ×2, 10
 *   polkadot_parachain_candidate_validation_code_size            histogram (bytes) idem
 *   polkadot_pvf_exec_kind_selected{priority}   counter   dispute|approval|backing_system_paras|backing
 *   polkadot_parachain_validation_requests_total{validity} counter valid|invalid|validation failure
 *   polkadot_parachain_candidate_validation_validate_from_exhaustive     histogram (s), default buckets
 *   polkadot_parachain_candidate_validation_validate_candidate_exhaustive histogram (s), default buckets
 *
 * pvf's own families (beyond the reference; its §11 asks for them):
 *
 *   pvf_preparation_failures_total{error}       counter   PrepareError name
 *   pvf_execution_verdicts_total{verdict}       counter   Valid|Invalid|PossiblyInvalid|Preparation|Internal|ExecutionDeadline
 *   pvf_artifact_checksum_mismatches_total      counter
 *   pvf_sandbox_layer_available{layer}          gauge     landlock|seccomp|userns_pivot_root|job_clone|secure_mode
 *   pvf_worker_rss{flavor}                      histogram (KiB) a worker's VmRSS after each job
 *   pvf_execution_max_rss                       histogram (KiB) an execute job's ru_maxrss
 *
 * Every label combination exists from the start (value 0), unlike the reference's Rust
 * client, which shows a labelled series only after its first increment: a dashboard then
 * sees a flat zero instead of "no data".
 *
 * Threading: every recording function is lock-free (relaxed atomics) and may be called
 * from any thread at any time, including while metrics_render runs. A render taken
 * during concurrent observations is internally consistent per histogram for buckets
 * and _count (both come from the same loaded per-bucket counts); _sum may include an
 * observation whose bucket was not loaded yet, as with other lock-free Prometheus clients.
 *
 * A NULL registry is accepted everywhere and records nothing, so the host can run with
 * metrics disabled (the reference's `Metrics(None)`).
 */
#ifndef PVF_HOST_METRICS_H
#define PVF_HOST_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct metrics metrics;

/* Which pool a worker belongs to (label `flavor`). */
enum metrics_worker_flavor {
    METRICS_WORKER_PREPARE,
    METRICS_WORKER_EXECUTE,
};

/* Execution priority chosen by the execute queue (label `priority`). */
enum metrics_exec_priority {
    METRICS_EXEC_DISPUTE,
    METRICS_EXEC_APPROVAL,
    METRICS_EXEC_BACKING_SYSTEM_PARAS,
    METRICS_EXEC_BACKING,
};

/* Outcome of a validation request (label `validity`): a verdict, or no verdict at all. */
enum metrics_validity {
    METRICS_VALID,
    METRICS_INVALID,
    METRICS_VALIDATION_FAILURE,
};

/* A registry with every metric at zero; NULL when out of memory. */
metrics *metrics_new(void);
void metrics_free(metrics *m);

/* Workers: spawning began / spawned and connected / killed by the host or died. */
void metrics_worker_spawning(metrics *m, enum metrics_worker_flavor flavor);
void metrics_worker_spawned(metrics *m, enum metrics_worker_flavor flavor);
void metrics_worker_retired(metrics *m, enum metrics_worker_flavor flavor);
/* A worker's VmRSS after a job (KiB); a preparation job's own peak is metrics_preparation_max_rss. */
void metrics_worker_rss(metrics *m, enum metrics_worker_flavor flavor, uint64_t kib);
/* An execute job's peak resident memory (KiB), as its worker reported it (PROTOCOL.md's trailer). */
void metrics_execution_max_rss(metrics *m, uint64_t kib);

/* Pipelines: a job entered / left the prepare or the execute pipeline. */
void metrics_prepare_enqueued(metrics *m);
void metrics_prepare_concluded(metrics *m);
void metrics_execute_enqueued(metrics *m);
void metrics_execute_finished(metrics *m);

/* Durations in seconds: request sent to a worker → response (prepare, execute), and
 * time an execute job waited in the queue before being assigned to a worker. */
void metrics_preparation_time(metrics *m, double seconds);
void metrics_execution_time(metrics *m, double seconds);
void metrics_execution_queued_time(metrics *m, double seconds);

/* Memory of a preparation job, in KiB (ru_maxrss's unit). The reference divides byte
 * counts by 1024 with truncation before observing; metrics_bytes_to_kib does that. */
void metrics_preparation_max_rss(metrics *m, uint64_t kib);
void metrics_preparation_peak_tracked_allocation(metrics *m, uint64_t kib);
static inline uint64_t metrics_bytes_to_kib(uint64_t bytes) { return bytes / 1024; }

/* Sizes in bytes: the PoV as received (compressed) and after decompression, and the
 * decompressed validation code. */
void metrics_pov_size(metrics *m, uint64_t bytes, bool compressed);
void metrics_code_size(metrics *m, uint64_t bytes);

/* The execute queue picked a job of this priority. */
void metrics_exec_kind_selected(metrics *m, enum metrics_exec_priority priority);

/* Candidate validation: one finished request, and the time spent in the two stages. */
void metrics_validation_requests(metrics *m, enum metrics_validity validity);
void metrics_validate_from_exhaustive(metrics *m, double seconds);
void metrics_validate_candidate_exhaustive(metrics *m, double seconds);

/* pvf's own: a failed preparation (its PrepareError codec index, 0–12), an answered
 * execution request (its pvf_verdict, 0–5), a CorruptedArtifact, a sandbox layer's
 * start-up check (1 available, 0 not). Out-of-range indices are ignored. */
enum metrics_sandbox_layer {
    METRICS_LAYER_LANDLOCK,
    METRICS_LAYER_SECCOMP,
    METRICS_LAYER_USERNS_PIVOT_ROOT,
    METRICS_LAYER_JOB_CLONE,
    METRICS_LAYER_SECURE_MODE,
};
void metrics_preparation_failure(metrics *m, unsigned prepare_error);
void metrics_execution_verdict(metrics *m, unsigned verdict);
void metrics_checksum_mismatch(metrics *m);
void metrics_sandbox_layer(metrics *m, enum metrics_sandbox_layer layer, bool available);

/* Render the Prometheus text exposition format (version 0.0.4) into buf, like snprintf:
 * writes at most cap-1 bytes plus a NUL (nothing when cap is 0) and returns the full
 * length the text needs, excluding the NUL. A NULL registry renders nothing (returns 0).
 * Families come in the order listed above; labelled series in the order of their enums. */
size_t metrics_render(const metrics *m, char *buf, size_t cap);

/* The same text written to f; false when writing fails or memory runs out. */
bool metrics_write(const metrics *m, FILE *f);

/* Escape a label value for the text format (\ → \\, " → \", newline → \n) into out,
 * snprintf-style; returns the escaped length. Exposed for tests and future dynamic labels. */
size_t metrics_escape_label_value(const char *value, char *out, size_t cap);

#endif

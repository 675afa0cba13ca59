/*
 * pvf/reference.h — the reference's constants that pvf follows, each written
 * once, with its source.
 *
 * The reference is polkadot-sdk at 92b7dd50 (2025-12-18); its behaviour is
 * described in ../shared/reference/reference-behaviour.md (§4 for these
 * tables). Paths below are in that tree unless another crate is named. The
 * Wasm engine's implementation limits are in src/wasm/limits.h.
 *
 * Every default of pvf's API and every internal use takes its number from
 * here; nothing else writes these numbers.
 */
#ifndef PVF_REFERENCE_H
#define PVF_REFERENCE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- execution environment (polkadot/node/core/pvf/common/src/executor_interface.rs) ---- */

/* DEFAULT_LOGICAL_STACK_MAX: the stack limiter's logical limit, in values. */
#define PVF_REF_LOGICAL_STACK_MAX       65536u
/* DEFAULT_NATIVE_STACK_MAX: Wasmtime's max_wasm_stack, bytes. */
#define PVF_REF_NATIVE_STACK_MAX        (256u * 1024 * 1024)
/* DEFAULT_HEAP_PAGES_ESTIMATE: pages added to MaxMemoryPages(n) (shadow stack and data). */
#define PVF_REF_HEAP_PAGES_ESTIMATE     32u
/* EXTRA_HEAP_PAGES: the heap's own pages when no MaxMemoryPages is given. */
#define PVF_REF_EXTRA_HEAP_PAGES        2048u
/* The default linear-memory maximum: EXTRA_HEAP_PAGES + DEFAULT_HEAP_PAGES_ESTIMATE. */
#define PVF_REF_HEAP_MAX_PAGES          (PVF_REF_EXTRA_HEAP_PAGES + PVF_REF_HEAP_PAGES_ESTIMATE)

/* ---- sizes (polkadot/primitives/src/v8/mod.rs; polkadot/node/primitives/src/lib.rs) ---- */

/*
 * The code bomb limit pvf uses when the caller gives none: the reference's
 * runtime API value, max_code_size × MAX_VALIDATION_CODE_COMPRESSION_RATIO
 * (10), for the relay chain's default max_code_size of 3 MiB.
 */
#define PVF_REF_CODE_BOMB_LIMIT         (30u << 20)
/* MAX_POV_SIZE: the default pvd.max_pov_size. */
#define PVF_REF_MAX_POV_SIZE            (10u << 20)
/* POV_BOMB_LIMIT = 4 × MAX_POV_SIZE: decompression limit of a PoV. */
#define PVF_REF_POV_BOMB_LIMIT          (4u * PVF_REF_MAX_POV_SIZE)
/* sp-maybe-compressed-blob CODE_BLOB_BOMB_LIMIT: runtime_version's decompression limit. */
#define PVF_REF_CODE_BLOB_BOMB_LIMIT    (50u << 20)
/* MAX_UPWARD_MESSAGE_NUM, MAX_HORIZONTAL_MESSAGE_NUM: bounds of a ValidationResult's vectors. */
#define PVF_REF_MAX_UPWARD_MESSAGES     16384u
#define PVF_REF_MAX_HORIZONTAL_MESSAGES 16384u

/* ---- timeouts (polkadot/node/primitives/src/lib.rs, executor_interface.rs) ---- */

/* DEFAULT_PRECHECK_PREPARATION_TIMEOUT, DEFAULT_LENIENT_PREPARATION_TIMEOUT (CPU time). */
#define PVF_REF_PRECHECK_PREP_TIMEOUT_MS 60000u
#define PVF_REF_LENIENT_PREP_TIMEOUT_MS  360000u
/* DEFAULT_BACKING_EXECUTION_TIMEOUT, DEFAULT_APPROVAL_EXECUTION_TIMEOUT (CPU time). */
#define PVF_REF_BACKING_EXEC_TIMEOUT_MS  2000u
#define PVF_REF_APPROVAL_EXEC_TIMEOUT_MS 12000u

/* ---- the host (polkadot/node/core/pvf/src/host.rs, config in lib.rs, pools) ---- */

/* prepare_worker_spawn_timeout, execute_worker_spawn_timeout: the worker must connect within. */
#define PVF_REF_SPAWN_TIMEOUT_MS         3000u
/* The prepare and execute pools retry a failed spawn after this, forever. */
#define PVF_REF_SPAWN_RETRY_MS           3000u
/* PVF_APPROVAL_EXECUTION_RETRY_DELAY (candidate-validation): approval/dispute retry delay. */
#define PVF_REF_EXECUTION_RETRY_DELAY_MS 3000u
/* PREPARE_FAILURE_COOLDOWN: a non-deterministic preparation failure is retried after this. */
#define PVF_REF_PREPARE_FAILURE_COOLDOWN_MS (15u * 60 * 1000)
/* NUM_PREPARE_RETRIES: at most this many retries (6 attempts). */
#define PVF_REF_PREPARE_MAX_RETRIES      5u
/* JOB_TIMEOUT_WALL_CLOCK_FACTOR: the host waits timeout × this wall-clock time for a job. */
#define PVF_REF_WALL_CLOCK_FACTOR        4u
/* The host's cleanup pulse: artifact pruning runs this often. */
#define PVF_REF_CLEANUP_PULSE_MS         (3600u * 1000)
/* Artifact cache: pruned above this size, never an artifact used within the stale time. */
#define PVF_REF_ARTIFACT_CACHE_LIMIT     (10ull << 30)
#define PVF_REF_ARTIFACT_MIN_STALE_MS    (24ull * 3600 * 1000)

#ifdef __cplusplus
}
#endif

#endif

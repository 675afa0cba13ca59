/*
 * pvf/runtime.h — Substrate runtimes on the pvf engine: the PVF host
 * functions, the call convention, and validate_block.
 *
 *   pvf_runtime_prepare   maybe-compressed code ──▶ artifact (memory setup, stack limiter)
 *   pvf_runtime_call      run any export `f(ptr, len) -> ptr | len << 32` with the PVF
 *                         host functions on a fresh instance (Core_version, Metadata_metadata…)
 *   pvf_runtime_validate  validate_block(ValidationParams) ──▶ ValidationResult bytes
 *
 * Every call uses a fresh instance, as the reference does. Outcomes are
 * split the way the reference votes: the candidate is invalid (a trap, a
 * host-function panic, bad output), or the code could not run at all
 * (construction errors). Both carry a human-readable reason.
 */
#ifndef PVF_RUNTIME_H
#define PVF_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"
#include "pvf/reference.h"

#include "pvf/api.h"

PVF_BEGIN_DECLS

typedef struct pvf_runtime_params {
    uint32_t heap_max_pages;        /* MaxMemoryPages(n) gives n + 32; default PVF_REF_HEAP_MAX_PAGES */
    uint32_t stack_logical_max;     /* StackLogicalMax; default PVF_REF_LOGICAL_STACK_MAX */
    bool bulk_memory;               /* WasmExtBulkMemory */
    size_t code_bomb_limit;         /* decompression limit for the code blob */
    pvf_tier tier;                  /* the artifact's tier; default PVF_TIER_DEFAULT */
} pvf_runtime_params;

PVF_API void pvf_runtime_params_default(pvf_runtime_params *p);

/* Optional: the host functions' one-time library setup now instead of at their first use
 * (libsodium picks its SIMD code and seeds its generator from getrandom). A sandboxed job calls
 * it before its syscall allowlist, which has no getrandom. Thread-safe, idempotent. */
PVF_API void pvf_runtime_init(void);

/* Decompress (if needed) and prepare `code` into an artifact. */
PVF_API bool pvf_runtime_prepare(const uint8_t *code, size_t len, const pvf_runtime_params *p,
                         uint8_t **artifact, size_t *artifact_len, pvf_prepare_stats *stats,
                         char *err, size_t errlen);

typedef enum pvf_outcome {
    PVF_OUTCOME_OK = 0,         /* the call returned; output holds its bytes */
    PVF_OUTCOME_INVALID = 1,    /* the candidate is invalid: trap, panic, bad output */
    PVF_OUTCOME_ERROR = 2,      /* the code could not be run (construction, resources) */
} pvf_outcome;

/* The most a call keeps of what the runtime logged, with its NUL. */
#define PVF_RUNTIME_LOG_MAX 4096

typedef struct pvf_call_result {
    pvf_outcome outcome;
    uint8_t *output;            /* malloc'd; free() it */
    size_t output_len;
    char reason[512];           /* why, when not OK */
    char backtrace[1024];       /* a trap's wasm backtrace (pvf_trap_backtrace), or "" */
    double cpu_ms;              /* CPU time of instantiation + call */
    char log[PVF_RUNTIME_LOG_MAX];  /* what the runtime logged (ext_logging_log, ext_misc_print_*):
                                 * "ERROR target: message" / "PRINT: text" lines, printable ASCII,
                                 * each ending in '\n'; the first that fit, then a count of the
                                 * rest. Never read back by the runtime: logging changes nothing */
} pvf_call_result;

/*
 * Call export `name` with `input` (placed by the runtime's allocator, as the
 * reference does) on a fresh instance of `code`.
 */
PVF_API void pvf_runtime_call(const pvf_code *code, const char *name, const uint8_t *input, size_t input_len,
                      pvf_call_result *out);

/*
 * Run validate_block on SCALE-encoded ValidationParams. On OK, output holds
 * the SCALE-encoded ValidationResult, checked to decode (caps included).
 */
PVF_API void pvf_runtime_validate(const pvf_code *code, const uint8_t *params, size_t params_len,
                          pvf_call_result *out);

/*
 * The same call in three steps, for an instance made before its input is known (a warm job,
 * issue 14: the execute worker's job instantiates while it waits for the candidate):
 *
 *   pvf_runtime_instance *ri = pvf_runtime_instantiate(code, "validate_block");
 *   uint8_t *in = pvf_runtime_input(ri, len);   // the input's place in the runtime's heap
 *   if (in) ... write len bytes there ...
 *   pvf_runtime_validate_instance(ri, &out);    // or pvf_runtime_invoke for any export
 *   pvf_runtime_instance_free(ri);
 *
 * Outcomes are those of pvf_runtime_call, in its order: a failure to instantiate or to find
 * the export, or no room for the input (pvf_runtime_input returns NULL), is what the call
 * step reports. pvf_runtime_instantiate returns NULL only when out of memory (the call step
 * then reports that); an instance takes one call.
 */
typedef struct pvf_runtime_instance pvf_runtime_instance;

PVF_API pvf_runtime_instance *pvf_runtime_instantiate(const pvf_code *code, const char *name);
PVF_API uint8_t *pvf_runtime_input(pvf_runtime_instance *ri, size_t len);
PVF_API void pvf_runtime_invoke(pvf_runtime_instance *ri, pvf_call_result *out);
PVF_API void pvf_runtime_validate_instance(pvf_runtime_instance *ri, pvf_call_result *out);
PVF_API void pvf_runtime_instance_free(pvf_runtime_instance *ri);

/*
 * The reference's pre-instantiation for prechecking: every import of `code`
 * must link to the PVF host functions (a known name with another signature
 * fails; unknown names link as trapping stubs). False with err otherwise.
 * Nothing is instantiated.
 */
PVF_API bool pvf_runtime_check_linkable(const pvf_code *code, char *err, size_t errlen);

PVF_END_DECLS

#endif

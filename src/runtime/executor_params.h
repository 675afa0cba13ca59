/*
 * executor_params.h — ExecutorParams, the on-chain knobs of PVF execution
 * (polkadot-primitives `executor_params.rs`).
 *
 * SCALE: Vec<ExecutorParam>, each an enum with these variant indices
 *   1 MaxMemoryPages(u32)        2 StackLogicalMax(u32)      3 StackNativeMax(u32)
 *   4 PrecheckingMaxMemory(u64)  5 PvfPrepTimeout(PvfPrepKind u8, u64 ms)
 *   6 PvfExecTimeout(PvfExecKind u8, u64 ms)                 7 WasmExtBulkMemory
 * (index 0 is unused; PvfPrepKind 0 Precheck / 1 Prepare; PvfExecKind 0 Backing / 1 Approval).
 * The list keeps its order: the hashes depend on it.
 *
 * Effective values follow the reference's two readers:
 *  - the executor semantics (heap pages, stack limits, bulk memory) come from
 *    `params_to_wasmtime_semantics`, which walks the whole list: the LAST
 *    occurrence wins;
 *  - timeouts and the prechecking memory come from `pvf_prep_timeout` etc.,
 *    which return the FIRST occurrence.
 * A consistent list (executor_params_check) has no duplicates, so the two
 * only differ for lists the runtime would never accept.
 *
 * Hashes (BLAKE2b-256):
 *  - hash():      of the SCALE encoding of the whole vector;
 *  - prep_hash(): of "prep" followed by the encodings (variant index included,
 *    no vector length) of just the params that change the artifact —
 *    MaxMemoryPages, StackLogicalMax, WasmExtBulkMemory — in list order.
 */
#ifndef PVF_RUNTIME_EXECUTOR_PARAMS_H
#define PVF_RUNTIME_EXECUTOR_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/scale.h"
#include "wasm/error.h"

typedef enum executor_param_kind {
    EXEC_PARAM_MAX_MEMORY_PAGES = 1,
    EXEC_PARAM_STACK_LOGICAL_MAX = 2,
    EXEC_PARAM_STACK_NATIVE_MAX = 3,
    EXEC_PARAM_PRECHECKING_MAX_MEMORY = 4,
    EXEC_PARAM_PVF_PREP_TIMEOUT = 5,
    EXEC_PARAM_PVF_EXEC_TIMEOUT = 6,
    EXEC_PARAM_WASM_EXT_BULK_MEMORY = 7,
} executor_param_kind;

typedef enum pvf_prep_kind { PVF_PREP_PRECHECK = 0, PVF_PREP_PREPARE = 1 } pvf_prep_kind;
typedef enum pvf_exec_kind { PVF_EXEC_BACKING = 0, PVF_EXEC_APPROVAL = 1 } pvf_exec_kind;

typedef struct executor_param {
    executor_param_kind kind;
    uint8_t timeout_kind;   /* pvf_prep_kind / pvf_exec_kind for the two timeouts, else 0 */
    uint64_t value;         /* u32 for kinds 1-3, u64 (ms or bytes) for 4-6, 0 for 7 */
} executor_param;

typedef struct executor_params {
    executor_param *items;  /* malloc'd */
    size_t count;
    size_t cap;
} executor_params;

/*
 * ExecutorParams::check_consistency's bounds (polkadot-primitives executor_params.rs,
 * reference-behaviour.md §4.1); the defaults are in pvf/reference.h.
 */
#include "pvf/reference.h"
#define EXEC_MEMORY_PAGES_MAX 65536u
#define EXEC_LOGICAL_MAX_LO 1024u
#define EXEC_LOGICAL_MAX_HI (2u * 65536)
#define EXEC_PRECHECK_MEM_MAX_LO (256ull * 1024 * 1024)
#define EXEC_PRECHECK_MEM_MAX_HI (16ull * 1024 * 1024 * 1024)

void executor_params_init(executor_params *ep);     /* empty list */
void executor_params_free(executor_params *ep);
bool executor_params_push(executor_params *ep, executor_param p);   /* false: out of memory */
/* dst = a copy of src (NULL: the empty list); dst need not be initialised.
 * False: out of memory (dst is then a valid list to free). */
bool executor_params_copy(executor_params *dst, const executor_params *src);

/* Decode a prefix (*consumed = bytes read, may be NULL) or the whole input.
 * Unknown variant or kind indices fail. On failure *ep is empty. */
bool executor_params_decode(const uint8_t *in, size_t len, executor_params *ep, size_t *consumed,
                            wasm_error *err);
bool executor_params_decode_all(const uint8_t *in, size_t len, executor_params *ep,
                                wasm_error *err);
void executor_param_encode(const executor_param *p, scale_writer *w);
void executor_params_encode(const executor_params *ep, scale_writer *w);

/* BLAKE2b-256 hashes; false only when out of memory. */
bool executor_params_hash(const executor_params *ep, uint8_t out[32]);
bool executor_params_prep_hash(const executor_params *ep, uint8_t out[32]);

/*
 * check_consistency. Returns EXEC_PARAMS_OK or the first problem, in the
 * reference's order (per param in list order: duplicate, then range; then
 * the cross checks), with a sentence in msg:
 *   DUPLICATED   "duplicated executor parameter PvfPrepKind::Precheck"
 *   OUTSIDE_LIMIT "executor parameter MaxMemoryPages outside its limits: 0 not in 1..=65536"
 *   INCOMPATIBLE "incompatible executor parameters StackLogicalMax and StackNativeMax: …"
 */
typedef enum executor_params_check_result {
    EXEC_PARAMS_OK = 0,
    EXEC_PARAMS_DUPLICATED,
    EXEC_PARAMS_OUTSIDE_LIMIT,
    EXEC_PARAMS_INCOMPATIBLE,
} executor_params_check_result;

executor_params_check_result executor_params_check(const executor_params *ep, char *msg,
                                                   size_t msglen);

/* Effective values (see the top comment for first vs last occurrence). */
uint32_t executor_params_heap_max_pages(const executor_params *ep);    /* n + 32 saturating; 2080 */
uint32_t executor_params_stack_logical_max(const executor_params *ep); /* 65536 */
uint32_t executor_params_stack_native_max(const executor_params *ep);  /* 256 MiB */
bool executor_params_bulk_memory(const executor_params *ep);
/* PrecheckingMaxMemory if present. */
bool executor_params_prechecking_max_memory(const executor_params *ep, uint64_t *bytes);
/* The timeout in ms: the param if present, else the default for the kind. */
uint64_t executor_params_prep_timeout_ms(const executor_params *ep, pvf_prep_kind kind);
uint64_t executor_params_exec_timeout_ms(const executor_params *ep, pvf_exec_kind kind);

/*
 * The human form used by the CLI, comma-separated, in list order:
 *   "MaxMemoryPages=8192,StackLogicalMax=65536,WasmExtBulkMemory,
 *    PvfPrepTimeout.Precheck=60000,PvfExecTimeout.Approval=12000"
 * Names: MaxMemoryPages, StackLogicalMax, StackNativeMax, PrecheckingMaxMemory
 * (bytes), PvfPrepTimeout.{Precheck,Prepare} and PvfExecTimeout.{Backing,Approval}
 * (ms), WasmExtBulkMemory (no value). Values are decimal and must fit the
 * parameter's type; spaces around items are allowed; "" is the empty list.
 * Parsing does not check consistency (call executor_params_check).
 * On failure returns false, *ep is empty, and msg says what and where.
 */
bool executor_params_parse(const char *text, executor_params *ep, char *msg, size_t msglen);
/* The human form into buf (truncated to fit, always NUL-terminated); returns the full length. */
size_t executor_params_format(const executor_params *ep, char *buf, size_t size);

#endif

/*
 * hostfn_abi.h — how host functions exchange data with a Substrate runtime.
 *
 * sp-runtime-interface's conventions:
 *   - a byte slice argument is one i64: ptr in the low 32 bits, len in the high 32;
 *   - a fixed-size array argument ([u8; 32], a signature…) is an i32 pointer;
 *   - a returned fixed-size array is written to memory the host allocates with
 *     the runtime's own freeing-bump allocator, and its pointer returned (i32);
 *   - a returned Vec / Option / Result is SCALE-encoded into such an
 *     allocation and returned as ptr | len << 32 (i64).
 * A pointer outside memory is a host-function panic: the call traps and the
 * candidate is invalid, as in the reference.
 */
#ifndef PVF_RUNTIME_HOSTFN_ABI_H
#define PVF_RUNTIME_HOSTFN_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pvf/engine.h"
#include "pvf/runtime.h"
#include "runtime/allocator.h"

/* Per-call state the host functions share: one per instance. */
typedef struct hostfn_env {
    fb_allocator alloc;
    bool alloc_ready;           /* set once __heap_base is known */
    bool batch_active;          /* legacy start_batch_verify … finish_batch_verify */
    bool batch_ok;
    char panic[256];            /* the last error logged by target "runtime": a panic's message */
    char log[PVF_RUNTIME_LOG_MAX];  /* every line logged or printed, while they fit (hostfn_log_line) */
    size_t log_len;
    uint32_t log_dropped;       /* lines that did not fit */
    void *user;                 /* the caller's own state for an extra set (authoring) */
} hostfn_env;

/* A host function of the PVF set. */
typedef struct hostfn_fn_def {
    const char *name;           /* e.g. "ext_hashing_blake2_256_version_1" */
    const char *sig;            /* params ':' results, one letter a value: "I:i" = (i64) -> i32 */
    pvf_host_fn fn;
} hostfn_fn_def;

/* Bytes of the slice `span` (ptr | len << 32); traps (returns NULL) when out of bounds. */
const uint8_t *hostfn_span(pvf_caller *c, uint64_t span, uint32_t *len);
/* `len` bytes at `ptr`; NULL (with a trap recorded) when out of bounds. */
uint8_t *hostfn_ptr(pvf_caller *c, uint32_t ptr, uint32_t len);
/* Allocate `len` bytes in the runtime's heap and copy `bytes` there; 0 and a trap on failure. */
uint32_t hostfn_alloc_copy(pvf_caller *c, hostfn_env *env, const void *bytes, uint32_t len);
/* The same, returned as a span (ptr | len << 32). */
bool hostfn_return_span(pvf_caller *c, hostfn_env *env, const void *bytes, uint32_t len, uint64_t *span);

/* Keep one line of the runtime's log in env->log: prefix, then msg as printable ASCII (as hex
 * digits when hex); a line that does not fit whole is counted, not cut. */
void hostfn_log_line(hostfn_env *env, const char *prefix, const uint8_t *msg, size_t len, bool hex);
/* env->log with the count of dropped lines after it, into out (PVF_RUNTIME_LOG_MAX bytes). */
void hostfn_log_text(const hostfn_env *env, char *out);

/* The tables of each interface (host_*.c), NULL-name terminated. */
extern const hostfn_fn_def hostfn_misc_fns[];
extern const hostfn_fn_def hostfn_hashing_fns[];
extern const hostfn_fn_def hostfn_allocator_fns[];
extern const hostfn_fn_def hostfn_logging_fns[];
extern const hostfn_fn_def hostfn_crypto_fns[];
extern const hostfn_fn_def hostfn_trie_fns[];

#endif

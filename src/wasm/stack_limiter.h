/*
 * stack_limiter.h — the deterministic stack limiter of wasm-instrument 0.4.
 *
 * The reference rewrites every PVF with wasm_instrument::inject_stack_limiter
 * before compiling it. We reproduce that rewrite exactly
 * (../shared/reference/wasm-engine-notes.md §5.4):
 *
 *  - a mutable i32 global (init 0) is appended; the instrumentation uses
 *    index (number of *defined* globals before the append) — the
 *    imported-global quirk — which must then be a mutable i32;
 *  - cost(f) = declared locals + max_height(f) for defined functions, 0 for imports;
 *  - every `call f` with cost(f) > 0 is charged: h += cost; trap (unreachable)
 *    if h > limit (unsigned); call; h -= cost. The compiler emits this as one
 *    fused instruction (compile.c), using the costs computed here;
 *  - exports, element-segment entries and the start function that name a
 *    function with cost > 0 are redirected to a thunk: a new function of the
 *    same type whose body is `local.get 0..n-1; call f; end` (its call is
 *    charged like any other).
 *
 * wasm_stack_limiter_apply() changes the module in place: it appends the
 * global and the thunks (is_thunk set, bodies owned by the module) and
 * redirects exports, element entries and start.
 */
#ifndef PVF_WASM_STACK_LIMITER_H
#define PVF_WASM_STACK_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/module.h"

typedef struct wasm_stack_limit {
    uint32_t limit;                 /* logical maximum (StackLogicalMax) */
    uint32_t nfuncs;                /* functions (imports included) before thunks were added */
    uint32_t *costs;                /* cost of each of those functions; imports 0 */
    uint32_t global_index;          /* global the instrumentation reads and writes */
    uint32_t nthunks;               /* thunks appended after the nfuncs functions */
    uint32_t call_sites;            /* `call` instructions that are charged */
} wasm_stack_limit;

/*
 * cost(f) for every function of a valid module; false (module rejected, as
 * the reference rejects it) when max_height fails, e.g. on a br_table whose
 * targets have different arities.
 */
bool wasm_stack_costs(const wasm_module *m, uint32_t *costs, wasm_error *err);

/* Instrument a valid module in place. Free `out` with wasm_stack_limit_free. */
bool wasm_stack_limiter_apply(wasm_module *m, uint32_t limit, wasm_stack_limit *out,
                              wasm_error *err);

void wasm_stack_limit_free(wasm_stack_limit *sl);

/* Whether a direct call to `func_index` is charged (cost > 0, an original function). */
static inline bool wasm_stack_call_charged(const wasm_stack_limit *sl, uint32_t func_index)
{
    return sl && func_index < sl->nfuncs && sl->costs[func_index] > 0;
}

#endif

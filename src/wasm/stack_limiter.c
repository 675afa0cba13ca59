/*
 * stack_limiter.c — the module rewrite of wasm-instrument 0.4's stack limiter
 * (`inject_stack_limiter`), applied to a decoded module in place.
 *
 * The crate adds a mutable i32 global, computes every function's cost
 * (declared locals + max_height, see max_height.c), wraps every `call` to a
 * function of cost > 0 in an add/check/subtract sequence, and adds thunks
 * for the functions the outside world can enter. We do the same except for
 * the call wrapping, which the compiler emits as one fused instruction from
 * the costs computed here (see stack_limiter.h).
 *
 * Details that must match the crate (../shared/reference/wasm-engine-notes.md
 * §5.4; src/stack_limiter/{mod,thunk}.rs at v0.4.0):
 *
 *  - the global's index is the number of entries of the module's *defined*
 *    global section before the append (0 when there is none), ignoring
 *    imported globals. With imported globals that index names some other
 *    global; the crate's output then only validates if that global happens
 *    to be a mutable i32, so we reject the module otherwise;
 *  - thunks are made for every function named by an export, an element
 *    segment or the start section whose cost is > 0, one per function however
 *    often it is named. The crate collects them in a BTreeMap keyed by the
 *    function index (its `cfg(features = "std")` typo rules out the HashMap),
 *    so thunks are appended in ascending order of the original index;
 *  - the crate builds a thunk's signature inline and parity-wasm's builder
 *    reuses the first structurally equal type; we keep the original's type
 *    index, which is the same type for every purpose of execution.
 */
#include "wasm/stack_limiter.h"

#include <stdlib.h>
#include <string.h>

#include "wasm/max_height.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"

#define NO_THUNK UINT32_MAX

/*
 * The module is validated before it gets here, but the walk indexes types
 * by function, so check that much rather than trust it.
 */
static bool types_known(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (m->funcs[i].type_index >= m->ntypes)
            return wasm_fail(err, "stack limiter: function %u has unknown type %u", i,
                             m->funcs[i].type_index);
    }
    return true;
}

/*
 * Costs of every function. With a walker that logs calls, also each defined
 * function's minimal instruction size and where its calls end in the log.
 */
static bool compute_costs(const wasm_module *m, wasm_height_walker *w, uint32_t *costs,
                          uint32_t *code_size, size_t *calls_end, wasm_error *err)
{
    if (!types_known(m, err))
        return false;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        uint32_t height;
        costs[i] = 0;
        if (f->is_import)
            continue;
        if (!wasm_max_height(w, m, i, &height, err))
            return false;
        if (height > UINT32_MAX - f->nlocals)
            return wasm_fail(err, "stack limiter: cost of function %u overflows", i);
        costs[i] = f->nlocals + height;
        if (code_size) {
            code_size[i] = w->minimal_code_size;
            calls_end[i] = w->ncalls;
        }
    }
    return true;
}

bool wasm_stack_costs(const wasm_module *m, uint32_t *costs, wasm_error *err)
{
    wasm_height_walker w;
    wasm_height_walker_init(&w, false);
    bool ok = compute_costs(m, &w, costs, NULL, NULL, err);
    wasm_height_walker_free(&w);
    return ok;
}

void wasm_stack_limit_free(wasm_stack_limit *sl)
{
    free(sl->costs);
    memset(sl, 0, sizeof *sl);
}

/* Mark `f` as needing a thunk if it has a cost. */
static bool want_thunk(const wasm_stack_limit *sl, uint32_t f, uint32_t *thunk_of,
                       const char *where, wasm_error *err)
{
    if (f >= sl->nfuncs)
        return wasm_fail(err, "stack limiter: %s names unknown function %u", where, f);
    if (sl->costs[f] > 0)
        thunk_of[f] = 0;
    return true;
}

/*
 * thunk_of[f] = index of f's thunk, or NO_THUNK. Thunks are numbered after the
 * existing functions in ascending order of f, as the crate's BTreeMap does.
 */
static bool plan_thunks(const wasm_module *m, wasm_stack_limit *sl, uint32_t *thunk_of,
                        wasm_error *err)
{
    for (uint32_t f = 0; f < sl->nfuncs; f++)
        thunk_of[f] = NO_THUNK;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        if (e->kind == WASM_EXTERN_FUNC && !want_thunk(sl, e->index, thunk_of, "an export", err))
            return false;
    }
    for (uint32_t s = 0; s < m->nelems; s++) {
        const wasm_elem_segment *seg = &m->elems[s];
        for (uint32_t j = 0; j < seg->count; j++) {
            uint32_t f = seg->funcs[j];
            if (f != WASM_NULL_FUNC && !want_thunk(sl, f, thunk_of, "an element segment", err))
                return false;
        }
    }
    if (m->has_start && !want_thunk(sl, m->start, thunk_of, "the start section", err))
        return false;

    uint32_t next = sl->nfuncs;
    for (uint32_t f = 0; f < sl->nfuncs; f++) {
        if (thunk_of[f] != NO_THUNK)
            thunk_of[f] = next++;
    }
    sl->nthunks = next - sl->nfuncs;
    return true;
}

static uint32_t count_charged_calls(const wasm_stack_limit *sl, const wasm_height_walker *w)
{
    uint32_t n = 0;
    for (size_t i = 0; i < w->ncalls; i++)
        n += sl->costs[w->calls[i]] > 0;
    return n;
}

/*
 * Bytes the crate's `instrument_call!` adds around a call to a function of
 * `cost`: global.get g, i32.const cost, i32.add, global.set g, global.get g,
 * i32.const limit, i32.gt_u, if (empty), unreachable, end before the call,
 * and global.get g, i32.const cost, i32.sub, global.set g after it.
 */
static uint64_t call_wrapping_size(const wasm_stack_limit *sl, uint32_t cost)
{
    uint64_t global_op = 1 + wasm_uleb_size(sl->global_index);
    uint64_t cost_const = 1 + wasm_sleb_size((int32_t)cost);    /* the crate writes `cost as i32` */
    uint64_t limit_const = 1 + wasm_sleb_size((int32_t)sl->limit);
    return 4 * global_op + 2 * cost_const + limit_const + 5 /* add gt_u unreachable end sub */
           + 2 /* if 0x40 */;
}

/* Local declarations as parity-wasm writes them back: minimal LEB128 counts. */
static uint64_t locals_size(const wasm_func *f)
{
    uint64_t size = wasm_uleb_size(f->nlocal_groups);
    for (uint32_t i = 0; i < f->nlocal_groups; i++)
        size += wasm_uleb_size(f->local_groups[i].count) + 1;
    return size;
}

/*
 * wasmparser's function-size limit applies to the module Wasmtime is given:
 * every body as parity-wasm re-encodes it (minimal LEB128s), with the
 * crate's wrapping around every charged call. Thunk bodies (parameters,
 * one wrapped call, end) stay far below it: at most 1,000 parameters.
 */
static bool check_body_sizes(const wasm_module *m, const wasm_stack_limit *sl,
                             const wasm_height_walker *w, const uint32_t *code_size,
                             const size_t *calls_end, wasm_error *err)
{
    size_t call = 0;
    for (uint32_t i = 0; i < sl->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        if (f->is_import)
            continue;
        uint64_t size = locals_size(f) + code_size[i];
        for (; call < calls_end[i]; call++) {
            uint32_t cost = sl->costs[w->calls[call]];
            if (cost > 0)
                size += call_wrapping_size(sl, cost);
        }
        if (size > WASM_MAX_FUNCTION_SIZE)
            return wasm_fail_at(err, f->code_offset,
                                "function body too large: function %u is %llu bytes as the "
                                "reference instruments and re-encodes it > limit %u", i,
                                (unsigned long long)size, WASM_MAX_FUNCTION_SIZE);
    }
    return true;
}

/*
 * The imported-global quirk: the instrumentation names global `index` of the
 * full index space, which must be a mutable i32 for the rewritten module to
 * validate. The appended global (index m->nglobals) always is.
 */
static bool check_global(const wasm_module *m, const wasm_stack_limit *sl, wasm_error *err)
{
    if (sl->call_sites == 0 && sl->nthunks == 0)
        return true;    /* nothing reads or writes it */
    uint32_t g = sl->global_index;
    if (g >= m->nglobals)
        return true;
    const wasm_globaltype *t = &m->globals[g].type;
    if (t->type == WASM_I32 && t->mutable_)
        return true;
    return wasm_fail(err,
                     "stack limiter: global %u used for the stack height is not a mutable i32 "
                     "(imported-global quirk)", g);
}

static uint8_t *put_leb_u32(uint8_t *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* `local.get 0 .. local.get n-1; call f; end` */
static size_t thunk_body_size(uint32_t nparams, uint32_t f)
{
    size_t size = 1 + wasm_uleb_size(f) + 1;
    for (uint32_t i = 0; i < nparams; i++)
        size += 1 + wasm_uleb_size(i);
    return size;
}

static uint8_t *put_thunk_body(uint8_t *p, uint32_t nparams, uint32_t f)
{
    for (uint32_t i = 0; i < nparams; i++) {
        *p++ = WASM_OP_LOCAL_GET;
        p = put_leb_u32(p, i);
    }
    *p++ = WASM_OP_CALL;
    p = put_leb_u32(p, f);
    *p++ = WASM_OP_END;
    return p;
}

/*
 * Grow the module's arrays for the global and the thunks and allocate the
 * thunk bodies (one buffer for all), before anything is changed, so that a
 * failure leaves the module as it was.
 */
static bool make_room(wasm_module *m, const wasm_stack_limit *sl, const uint32_t *thunk_of,
                      uint8_t **bodies, wasm_error *err)
{
    if (sl->nthunks > WASM_MAX_FUNCTIONS - m->nfuncs)
        return wasm_fail(err, "stack limiter: %u functions and %u thunks exceed the limit of %u",
                         m->nfuncs, sl->nthunks, WASM_MAX_FUNCTIONS);
    if (m->nglobals >= WASM_MAX_GLOBALS)
        return wasm_fail(err, "stack limiter: no room for the stack height global (%u globals)",
                         m->nglobals);

    size_t size = 1;
    for (uint32_t f = 0; f < sl->nfuncs; f++) {
        if (thunk_of[f] != NO_THUNK)
            size += thunk_body_size(wasm_func_type(m, f)->nparams, f);
    }
    *bodies = malloc(size);
    void **owned = realloc(m->owned, ((size_t)m->nowned + 1) * sizeof *owned);
    if (owned)
        m->owned = owned;
    bool funcs_ok = true;   /* (a realloc to 0 bytes would free the array) */
    if (sl->nthunks > 0) {
        wasm_func *funcs = realloc(m->funcs, ((size_t)m->nfuncs + sl->nthunks) * sizeof *funcs);
        funcs_ok = funcs != NULL;
        if (funcs)
            m->funcs = funcs;
    }
    wasm_global *globals = realloc(m->globals, ((size_t)m->nglobals + 1) * sizeof *globals);
    if (globals)
        m->globals = globals;
    if (!*bodies || !owned || !funcs_ok || !globals) {
        free(*bodies);
        *bodies = NULL;
        return wasm_fail(err, "stack limiter: out of memory");
    }
    m->owned[m->nowned++] = *bodies;
    return true;
}

static void append_global(wasm_module *m)
{
    m->globals[m->nglobals++] = (wasm_global){
        .type = { .type = WASM_I32, .mutable_ = true },
        .is_import = false,
        .init = { .kind = WASM_CONST_I32, .type = WASM_I32, .bits = 0 },
    };
}

static void append_thunks(wasm_module *m, const wasm_stack_limit *sl, const uint32_t *thunk_of,
                          uint8_t *bodies)
{
    uint8_t *p = bodies;
    for (uint32_t f = 0; f < sl->nfuncs; f++) {
        if (thunk_of[f] == NO_THUNK)
            continue;
        uint32_t type_index = m->funcs[f].type_index;
        uint8_t *end = put_thunk_body(p, m->types[type_index].nparams, f);
        m->funcs[m->nfuncs++] = (wasm_func){
            .type_index = type_index,
            .is_thunk = true,
            .code = p,
            .code_len = (uint32_t)(end - p),
        };
        p = end;
    }
}

static void redirect(uint32_t *f, const wasm_stack_limit *sl, const uint32_t *thunk_of)
{
    if (*f < sl->nfuncs && thunk_of[*f] != NO_THUNK)
        *f = thunk_of[*f];
}

/* Exports, element entries and the start function now enter through the thunks. */
static void redirect_entries(wasm_module *m, const wasm_stack_limit *sl, const uint32_t *thunk_of)
{
    for (uint32_t i = 0; i < m->nexports; i++) {
        if (m->exports[i].kind == WASM_EXTERN_FUNC)
            redirect(&m->exports[i].index, sl, thunk_of);
    }
    for (uint32_t s = 0; s < m->nelems; s++) {
        for (uint32_t j = 0; j < m->elems[s].count; j++)
            redirect(&m->elems[s].funcs[j], sl, thunk_of);
    }
    if (m->has_start)
        redirect(&m->start, sl, thunk_of);
}

static bool already_applied(const wasm_module *m)
{
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (m->funcs[i].is_thunk)
            return true;
    }
    return false;
}

/*
 * The crate rebuilds the module with parity-wasm's builder, which keeps a
 * data count section among the "other" sections it writes after the data
 * section; wasmparser then finds it out of order whenever a code or data
 * section follows in the spec's order (empty ones are dropped). So the
 * reference refuses every such module, bulk memory or not.
 */
static bool check_data_count(const wasm_module *m, wasm_error *err)
{
    if (!m->has_data_count || (m->nfuncs == m->nfunc_imports && m->ndatas == 0))
        return true;
    return wasm_fail(err, "stack limiter: the data count section ends up after the data section "
                     "when the reference rebuilds the module (parity-wasm's builder), which its "
                     "validator rejects as out of order");
}

bool wasm_stack_limiter_apply(wasm_module *m, uint32_t limit, wasm_stack_limit *out,
                              wasm_error *err)
{
    if (!check_data_count(m, err))
        return false;
    memset(out, 0, sizeof *out);
    if (already_applied(m))
        return wasm_fail(err, "stack limiter: module already instrumented");
    out->limit = limit;
    out->nfuncs = m->nfuncs;
    out->global_index = m->nglobals - m->nglobal_imports;
    size_t n = m->nfuncs ? m->nfuncs : 1;
    out->costs = malloc(n * sizeof *out->costs);
    uint32_t *code_size = malloc(n * sizeof *code_size);
    size_t *calls_end = malloc(n * sizeof *calls_end);
    uint32_t *thunk_of = malloc(n * sizeof *thunk_of);
    uint8_t *bodies = NULL;
    wasm_height_walker w;
    wasm_height_walker_init(&w, true);
    bool ok = out->costs && code_size && calls_end && thunk_of;
    if (!ok)
        wasm_fail(err, "stack limiter: out of memory for %u functions", m->nfuncs);
    ok = ok && compute_costs(m, &w, out->costs, code_size, calls_end, err);
    if (ok)
        out->call_sites = count_charged_calls(out, &w);
    ok = ok && check_body_sizes(m, out, &w, code_size, calls_end, err);
    ok = ok && plan_thunks(m, out, thunk_of, err);
    ok = ok && check_global(m, out, err);
    ok = ok && make_room(m, out, thunk_of, &bodies, err);
    if (ok) {
        append_global(m);
        append_thunks(m, out, thunk_of, bodies);
        redirect_entries(m, out, thunk_of);
    } else {
        wasm_stack_limit_free(out);
    }
    wasm_height_walker_free(&w);
    free(code_size);
    free(calls_end);
    free(thunk_of);
    return ok;
}

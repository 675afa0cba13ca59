/*
 * runtime_call.c — the Substrate call convention on a fresh instance.
 *
 * As the reference's execute step does (reference-behaviour.md §5.3): link
 * the PVF host functions (missing ones as trapping stubs), instantiate, read
 * `__heap_base`, start a freeing-bump allocator there, allocate the input
 * with it (so the first input lands at align8(heap_base) + 8), call
 * `f(ptr, len) -> i64`, and read the output at ptr = low 32 bits,
 * len = high 32 bits, bounds-checked.
 *
 * Outcomes follow the reference's classes: failures to construct the
 * runtime (linking, instantiation) are errors of the code; everything the
 * call itself does wrong (a trap, a host-function panic, a missing export or
 * __heap_base, output out of bounds) makes the candidate invalid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvf/runtime.h"
#include "runtime/blob.h"
#include "runtime/hashing.h"
#include "runtime/hostfn.h"
#include "util/cputime.h"

void pvf_runtime_params_default(pvf_runtime_params *p)
{
    *p = (pvf_runtime_params){
        .heap_max_pages = PVF_REF_HEAP_MAX_PAGES,
        .stack_logical_max = PVF_REF_LOGICAL_STACK_MAX,
        .bulk_memory = false,
        .code_bomb_limit = PVF_REF_CODE_BOMB_LIMIT,
        .tier = PVF_TIER_DEFAULT,
    };
}

void pvf_runtime_init(void)
{
    hashing_init();     /* sr25519's sodium_init() calls find it done */
}

bool pvf_runtime_prepare(const uint8_t *code, size_t len, const pvf_runtime_params *p,
                         uint8_t **artifact, size_t *artifact_len, pvf_prepare_stats *stats,
                         char *err, size_t errlen)
{
    uint8_t *wasm;
    size_t wasm_len;
    bool compressed;
    if (!blob_decompress(code, len, p->code_bomb_limit, &wasm, &wasm_len, &compressed, err, errlen))
        return false;
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, PVF_PROFILE_PVF);
    cfg.bulk_memory = p->bulk_memory;
    cfg.stack_logical_max = p->stack_logical_max;
    cfg.heap_max_pages = p->heap_max_pages;
    cfg.tier = p->tier;
    bool ok = pvf_prepare(wasm, wasm_len, &cfg, artifact, artifact_len, stats, err, errlen);
    free(wasm);
    return ok;
}

static void set_outcome(pvf_call_result *out, pvf_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_outcome(pvf_call_result *out, pvf_outcome o, const char *fmt, ...)
{
    out->outcome = o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* Instantiate with the host functions; NULL with out set on failure. */
static pvf_instance *construct(pvf_store *store, const pvf_code *code, hostfn_env *env,
                               const hostfn_fn_def *extra, pvf_call_result *out)
{
    char err[256];
    pvf_extern *imports = NULL;
    if (!hostfn_link(store, code, env, extra, &imports, err, sizeof err)) {
        set_outcome(out, PVF_OUTCOME_ERROR, "runtime construction: %s", err);
        return NULL;
    }
    pvf_trap trap;
    pvf_instance *inst = pvf_instantiate(store, code, imports, true, &trap, err, sizeof err);
    free(imports);
    if (!inst) {
        if (trap.kind != PVF_TRAP_NONE)
            set_outcome(out, PVF_OUTCOME_ERROR, "runtime construction: instantiation trapped: %s", trap.message);
        else
            set_outcome(out, PVF_OUTCOME_ERROR, "runtime construction: %s", err);
    }
    return inst;
}

/* __heap_base, the memory, and the entry point; false with out set (invalid) when missing. */
static bool find_entry(pvf_instance *inst, const char *name, uint32_t *heap_base, pvf_memory **mem,
                       pvf_func **fn, pvf_call_result *out)
{
    pvf_extern e;
    if (!pvf_instance_export(inst, "__heap_base", &e) || e.kind != PVF_EXTERN_GLOBAL ||
        pvf_global_valtype(e.u.global) != PVF_I32) {
        set_outcome(out, PVF_OUTCOME_INVALID, "__heap_base is not found");
        return false;
    }
    *heap_base = (uint32_t)pvf_global_get(e.u.global);
    if (!pvf_instance_export(inst, "memory", &e) || e.kind != PVF_EXTERN_MEMORY) {
        set_outcome(out, PVF_OUTCOME_INVALID, "memory is not exported as \"memory\"");
        return false;
    }
    *mem = e.u.memory;
    if (!pvf_instance_export(inst, name, &e) || e.kind != PVF_EXTERN_FUNC) {
        set_outcome(out, PVF_OUTCOME_INVALID, "Exported method %s is not found", name);
        return false;
    }
    const pvf_functype *t = pvf_func_type(e.u.func);
    if (t->nparams != 2 || t->nresults != 1 || t->types[0] != PVF_I32 || t->types[1] != PVF_I32 ||
        t->types[2] != PVF_I64) {
        set_outcome(out, PVF_OUTCOME_INVALID, "Invalid signature of exported method %s: (i32, i32) -> i64 expected",
                    name);
        return false;
    }
    *fn = e.u.func;
    return true;
}

/* A fresh instance, made before its input is known (pvf/runtime.h). A failing step leaves its
 * outcome in `failed`; the call reports it, so every failure is seen in the order
 * pvf_runtime_call meets them: construction, entry point, input. */
struct pvf_runtime_instance {
    const pvf_code *code;
    pvf_store *store;
    hostfn_env env;             /* the host functions hold its address: the struct never moves */
    pvf_memory *mem;
    pvf_func *fn;
    uint32_t input_ptr;
    size_t input_len;
    bool input_placed;
    bool failed;
    pvf_call_result failure;
    double cpu_ms;              /* instantiation, input placement, call */
};

pvf_runtime_instance *runtime_instantiate_with(const pvf_code *code, const char *name, const hostfn_fn_def *extra,
                                               void *user)
{
    double t0 = cputime_thread_ms();
    pvf_runtime_instance *ri = calloc(1, sizeof *ri);
    if (!ri)
        return NULL;
    ri->code = code;
    ri->env.user = user;
    ri->store = pvf_store_new();
    uint32_t heap_base;
    if (!ri->store) {
        set_outcome(&ri->failure, PVF_OUTCOME_ERROR, "out of memory");
        ri->failed = true;
    } else {
        pvf_instance *inst = construct(ri->store, code, &ri->env, extra, &ri->failure);
        ri->failed = !inst || !find_entry(inst, name, &heap_base, &ri->mem, &ri->fn, &ri->failure);
    }
    if (!ri->failed) {
        fb_init(&ri->env.alloc, heap_base);
        ri->env.alloc_ready = true;
    }
    ri->cpu_ms = cputime_thread_ms() - t0;
    return ri;
}

pvf_runtime_instance *pvf_runtime_instantiate(const pvf_code *code, const char *name)
{
    return runtime_instantiate_with(code, name, NULL, NULL);
}

uint8_t *pvf_runtime_input(pvf_runtime_instance *ri, size_t len)
{
    if (ri->failed || ri->input_placed)
        return NULL;
    double t0 = cputime_thread_ms();
    char err[256];
    uint32_t ptr = 0;
    if (len > UINT32_MAX || !fb_malloc(&ri->env.alloc, ri->mem, (uint32_t)len, &ptr, err, sizeof err)) {
        set_outcome(&ri->failure, PVF_OUTCOME_INVALID, "cannot place the input in the runtime's heap: %s",
                    len > UINT32_MAX ? "too large" : err);
        ri->failed = true;
        return NULL;
    }
    ri->input_ptr = ptr;
    ri->input_len = len;
    ri->input_placed = true;
    ri->cpu_ms += cputime_thread_ms() - t0;
    return pvf_memory_data(ri->mem) + ptr;
}

/* The entry point on the placed input; out->output is the returned slice. */
static void call_entry(pvf_runtime_instance *ri, pvf_call_result *out)
{
    uint64_t args[2] = { ri->input_ptr, ri->input_len }, res[1] = { 0 };
    pvf_trap trap;
    if (pvf_call(ri->fn, args, res, &trap) != PVF_TRAP_NONE) {
        pvf_trap_backtrace(&trap, ri->code, out->backtrace, sizeof out->backtrace);
        if (ri->env.panic[0])
            set_outcome(out, PVF_OUTCOME_INVALID, "trap: %s (the runtime panicked: %s)", trap.message, ri->env.panic);
        else
            set_outcome(out, PVF_OUTCOME_INVALID, "trap: %s", trap.message);
        return;
    }
    uint32_t optr = (uint32_t)res[0], olen = (uint32_t)(res[0] >> 32);
    if ((uint64_t)optr + olen > pvf_memory_size(ri->mem)) {
        set_outcome(out, PVF_OUTCOME_INVALID, "output exceeds bounds: %u bytes at %u, memory is %llu bytes",
                    olen, optr, (unsigned long long)pvf_memory_size(ri->mem));
        return;
    }
    out->output = malloc(olen ? olen : 1);
    if (!out->output) {
        set_outcome(out, PVF_OUTCOME_ERROR, "out of memory copying the output");
        return;
    }
    memcpy(out->output, pvf_memory_data(ri->mem) + optr, olen);
    out->output_len = olen;
    out->outcome = PVF_OUTCOME_OK;
}

void pvf_runtime_invoke(pvf_runtime_instance *ri, pvf_call_result *out)
{
    memset(out, 0, sizeof *out);
    if (!ri) {
        set_outcome(out, PVF_OUTCOME_ERROR, "out of memory");
        return;
    }
    double t0 = cputime_thread_ms();
    if (!ri->failed && !ri->input_placed)
        pvf_runtime_input(ri, 0);
    if (ri->failed)
        *out = ri->failure;
    else
        call_entry(ri, out);
    ri->failed = true;      /* one call per instance */
    set_outcome(&ri->failure, PVF_OUTCOME_ERROR, "the instance was already called");
    hostfn_log_text(&ri->env, out->log);
    out->cpu_ms = ri->cpu_ms + (cputime_thread_ms() - t0);
}

void pvf_runtime_instance_free(pvf_runtime_instance *ri)
{
    if (!ri)
        return;
    pvf_store_free(ri->store);
    free(ri);
}

void runtime_call_with(const pvf_code *code, const char *name, const uint8_t *input, size_t input_len,
                       const hostfn_fn_def *extra, void *user, pvf_call_result *out)
{
    double t0 = cputime_thread_ms();
    pvf_runtime_instance *ri = runtime_instantiate_with(code, name, extra, user);
    uint8_t *dst = ri ? pvf_runtime_input(ri, input_len) : NULL;
    if (dst && input_len)
        memcpy(dst, input, input_len);
    pvf_runtime_invoke(ri, out);
    pvf_runtime_instance_free(ri);
    out->cpu_ms = cputime_thread_ms() - t0;
}

void pvf_runtime_call(const pvf_code *code, const char *name, const uint8_t *input, size_t input_len,
                      pvf_call_result *out)
{
    runtime_call_with(code, name, input, input_len, NULL, NULL, out);
}

bool pvf_runtime_check_linkable(const pvf_code *code, char *err, size_t errlen)
{
    pvf_store *store = pvf_store_new();
    hostfn_env env = { 0 };
    pvf_extern *imports = NULL;
    if (!store) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = hostfn_link(store, code, &env, NULL, &imports, err, errlen);
    free(imports);
    pvf_store_free(store);
    return ok;
}

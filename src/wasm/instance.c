/*
 * instance.c — stores, runtime objects and instantiation.
 *
 * Instantiation follows the spec's order (with bulk-memory semantics, which
 * Wasmtime also uses for MVP modules): link imports (checking their types),
 * create tables, memory and globals, initialise element segments then data
 * segments in order (a segment out of bounds traps, and earlier segments'
 * writes stay), then run the start function.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/store.h"
#include "util/vec.h"

struct pvf_store {
    void **allocs;
    size_t nallocs, cap;
    pvf_memory **memories;
    size_t nmemories, memcap;
};

/* ---- store --------------------------------------------------------------------------------- */

pvf_store *pvf_store_new(void)
{
    return calloc(1, sizeof(pvf_store));
}

void pvf_store_free(pvf_store *store)
{
    if (!store)
        return;
    for (size_t i = 0; i < store->nmemories; i++)
        memory_release(store->memories[i]);
    for (size_t i = 0; i < store->nallocs; i++)
        free(store->allocs[i]);
    free(store->memories);
    free(store->allocs);
    free(store);
}

/* Room for one more pointer after the n there are. */
static bool grow_ptrs(void ***arr, size_t n, size_t *cap)
{
    return vec_reserve((void **)arr, cap, n + 1, sizeof **arr, 64);
}

void *store_alloc(pvf_store *store, size_t size)
{
    if (!grow_ptrs(&store->allocs, store->nallocs, &store->cap))
        return NULL;
    void *p = calloc(1, size ? size : 1);
    if (p)
        store->allocs[store->nallocs++] = p;
    return p;
}

/* ---- runtime objects ----------------------------------------------------------------------- */

pvf_func *pvf_func_new_host(pvf_store *store, const pvf_functype *type, pvf_host_fn fn, void *ctx)
{
    pvf_func *f = store_alloc(store, sizeof *f);
    uint8_t *types = store_alloc(store, (size_t)type->nparams + type->nresults);
    if (!f || !types)
        return NULL;
    if (type->nparams + type->nresults)
        memcpy(types, type->types, (size_t)type->nparams + type->nresults);
    f->type = (pvf_functype){ type->nparams, type->nresults, types };
    f->host = fn;
    f->ctx = ctx;
    return f;
}

const pvf_functype *pvf_func_type(const pvf_func *f)
{
    return &f->type;
}

pvf_memory *pvf_memory_new(pvf_store *store, pvf_limits limits)
{
    if (!grow_ptrs((void ***)&store->memories, store->nmemories, &store->memcap))
        return NULL;
    pvf_memory *mem = store_alloc(store, sizeof *mem);
    if (!mem)
        return NULL;
    uint32_t max = limits.has_max ? limits.max : WASM_MAX_PAGES;
    if (limits.min > max || !memory_init(mem, limits.min, max)) {
        memory_release(mem);
        return NULL;
    }
    mem->has_max = limits.has_max;
    store->memories[store->nmemories++] = mem;
    return mem;
}

/*
 * No size limit but the allocation's, as in Wasmtime (runtime/vm/table.rs:
 * alloc_zeroed of min entries, an error when that fails): calloc maps large
 * tables as untouched zero pages, so only the entries used cost memory.
 */
pvf_table *pvf_table_new(pvf_store *store, pvf_limits limits)
{
    pvf_table *t = store_alloc(store, sizeof *t);
    if (!t)
        return NULL;
    t->elems = store_alloc(store, (size_t)limits.min * sizeof *t->elems);
    if (!t->elems)
        return NULL;
    t->size = limits.min;
    t->limits = limits;
    return t;
}

uint32_t pvf_table_size(const pvf_table *table)
{
    return table->size;
}

pvf_limits pvf_table_limits(const pvf_table *table)
{
    return (pvf_limits){ table->size, table->limits.max, table->limits.has_max };
}

pvf_global *pvf_global_new(pvf_store *store, uint8_t type, bool mutable_, uint64_t value)
{
    pvf_global *g = store_alloc(store, sizeof *g);
    if (g)
        *g = (pvf_global){ value, type, mutable_ };
    return g;
}

uint64_t pvf_global_get(const pvf_global *g)
{
    return g->value;
}

uint8_t pvf_global_valtype(const pvf_global *g)
{
    return g->type;
}

bool pvf_global_mutable(const pvf_global *g)
{
    return g->mutable_;
}

void pvf_global_set(pvf_global *g, uint64_t value)
{
    g->value = value;
}

/* ---- host-call helpers --------------------------------------------------------------------- */

uint8_t *pvf_caller_memory(pvf_caller *caller, uint64_t *size)
{
    pvf_memory *m = caller->inst ? caller->inst->memory : NULL;
    *size = m ? m->size : 0;
    return m ? m->base : NULL;
}

pvf_memory *pvf_caller_memory_object(pvf_caller *caller)
{
    return caller->inst ? caller->inst->memory : NULL;
}

int pvf_caller_trap(pvf_caller *caller, const char *fmt, ...)
{
    caller->trap->kind = PVF_TRAP_HOST;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(caller->trap->message, sizeof caller->trap->message, fmt, ap);
    va_end(ap);
    return 1;
}

/* A function import linked as missing: calling it traps with the reference's message. */
static int missing_import_stub(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)slots;
    pvf_caller_trap(caller, "call to a missing function %s", (const char *)ctx);
    caller->trap->kind = PVF_TRAP_MISSING_IMPORT;
    return 1;
}

/* ---- instantiation ------------------------------------------------------------------------- */

typedef struct linker {
    pvf_store *store;
    const pvf_code *code;
    pvf_instance *inst;
    char *err;
    size_t errlen;
    pvf_trap *trap;
} linker;

static bool link_fail(linker *l, uint32_t i, const char *why)
{
    const code_import *im = &l->code->imports[i];
    snprintf(l->err, l->errlen, "import %s.%s: %s", im->module, im->name, why);
    return false;
}

static bool limits_match(pvf_limits have_min_max, uint32_t have_min, const pvf_limits *want)
{
    if (have_min < want->min)
        return false;
    if (!want->has_max)
        return true;
    return have_min_max.has_max && have_min_max.max <= want->max;
}

static pvf_func *missing_stub(linker *l, const code_import *im)
{
    size_t n = strlen(im->module) + strlen(im->name) + 2;
    char *label = store_alloc(l->store, n);
    if (!label)
        return NULL;
    snprintf(label, n, "%s:%s", im->module, im->name);
    return pvf_func_new_host(l->store, &l->code->types[im->type_index], missing_import_stub, label);
}

static bool link_import(linker *l, uint32_t i, const pvf_extern *ext, bool stub_missing,
                        uint32_t *nf, uint32_t *nt, uint32_t *ng)
{
    const code_import *im = &l->code->imports[i];
    pvf_instance *inst = l->inst;
    if (ext->kind != im->kind)
        return link_fail(l, i, "incompatible import type (wrong kind)");
    switch (im->kind) {
    case PVF_EXTERN_FUNC: {
        pvf_func *f = ext->u.func;
        if (!f && stub_missing)
            f = missing_stub(l, im);
        if (!f)
            return link_fail(l, i, "unknown import");
        if (!functype_equal(&f->type, &l->code->types[im->type_index]))
            return link_fail(l, i, "incompatible import type (function signature)");
        inst->funcs[(*nf)++] = f;
        return true;
    }
    case PVF_EXTERN_TABLE: {
        pvf_table *t = ext->u.table;
        if (!t || !limits_match(t->limits, t->size, &im->limits))
            return link_fail(l, i, "incompatible import type (table limits)");
        inst->tables[(*nt)++] = t;
        return true;
    }
    case PVF_EXTERN_MEMORY: {
        pvf_memory *m = ext->u.memory;
        pvf_limits have = { m ? m->pages : 0, m ? m->max_pages : 0, m && m->has_max };
        if (!m || !limits_match(have, m->pages, &im->limits))
            return link_fail(l, i, "incompatible import type (memory limits)");
        inst->memory = m;
        return true;
    }
    default: {
        pvf_global *g = ext->u.global;
        if (!g || g->type != im->global_type || g->mutable_ != im->global_mutable)
            return link_fail(l, i, "incompatible import type (global type)");
        inst->globals[(*ng)++] = &g->value;
        return true;
    }
    }
}

static bool alloc_instance_arrays(linker *l)
{
    const pvf_code *c = l->code;
    pvf_instance *inst = l->inst;
    inst->funcs = store_alloc(l->store, (size_t)c->nfuncs * sizeof *inst->funcs);
    inst->tables = store_alloc(l->store, (size_t)c->ntables * sizeof *inst->tables);
    inst->globals = store_alloc(l->store, (size_t)c->nglobals * sizeof *inst->globals);
    inst->data_dropped = store_alloc(l->store, c->ndatas);
    inst->elem_dropped = store_alloc(l->store, c->nelems);
    return inst->funcs && inst->tables && inst->globals && inst->data_dropped && inst->elem_dropped;
}

static bool create_functions(linker *l)
{
    const pvf_code *c = l->code;
    uint32_t ndef = c->nfuncs - c->nfunc_imports;
    pvf_func *own = store_alloc(l->store, (size_t)ndef * sizeof *own);
    if (!own)
        return false;
    for (uint32_t i = 0; i < ndef; i++) {
        uint32_t idx = c->nfunc_imports + i;
        own[i] = (pvf_func){ .inst = l->inst, .index = idx, .type = c->types[c->funcs[idx].type_index] };
        l->inst->funcs[idx] = &own[i];
    }
    return true;
}

static uint64_t eval_const(const pvf_instance *inst, const wasm_const_expr *e)
{
    switch (e->kind) {
    case WASM_CONST_GLOBAL_GET: return *inst->globals[e->bits];
    case WASM_CONST_REF_NULL: return 0;
    case WASM_CONST_REF_FUNC: return (uint64_t)(uintptr_t)inst->funcs[e->bits];
    default: return e->bits;
    }
}

static bool create_state(linker *l)
{
    const pvf_code *c = l->code;
    pvf_instance *inst = l->inst;
    for (uint32_t i = c->ntable_imports; i < c->ntables; i++)
        if (!(inst->tables[i] = pvf_table_new(l->store, c->tables[i])))
            return snprintf(l->err, l->errlen, "cannot allocate table %u: out of memory", i), false;
    if (c->nmemories > c->nmemory_imports &&
        !(inst->memory = pvf_memory_new(l->store, c->memory)))
        return snprintf(l->err, l->errlen, "cannot reserve linear memory: out of memory"), false;
    uint32_t ndef = c->nglobals - c->nglobal_imports;
    pvf_global *own = store_alloc(l->store, (size_t)ndef * sizeof *own);
    if (!own)
        return false;
    for (uint32_t i = 0; i < ndef; i++) {
        const code_global *g = &c->globals[c->nglobal_imports + i];
        own[i] = (pvf_global){ eval_const(inst, &g->init), g->type, g->mutable_ };
        inst->globals[c->nglobal_imports + i] = &own[i].value;
    }
    return true;
}

static pvf_trap_kind init_elems(linker *l)
{
    const pvf_code *c = l->code;
    pvf_instance *inst = l->inst;
    for (uint32_t i = 0; i < c->nelems; i++) {
        const code_elem *e = &c->elems[i];
        if (e->mode == WASM_SEG_ACTIVE) {
            pvf_table *t = inst->tables[e->table_index];
            uint64_t off = (uint32_t)eval_const(inst, &e->offset);
            if (off + e->count > t->size) {
                trap_set(l->trap, PVF_TRAP_TABLE_OUT_OF_BOUNDS);
                snprintf(l->trap->message, sizeof l->trap->message, "out of bounds table access");
                return PVF_TRAP_TABLE_OUT_OF_BOUNDS;
            }
            for (uint32_t j = 0; j < e->count; j++)
                t->elems[off + j] = e->funcs[j] == WASM_NULL_FUNC ? NULL : inst->funcs[e->funcs[j]];
        }
        if (e->mode != WASM_SEG_PASSIVE)
            inst->elem_dropped[i] = true;
    }
    return PVF_TRAP_NONE;
}

static pvf_trap_kind init_datas(linker *l)
{
    const pvf_code *c = l->code;
    pvf_instance *inst = l->inst;
    if (c->nmemory_imports == 0 && inst->memory && data_image_map(c, inst->memory)) {
        for (uint32_t i = 0; i < c->ndatas; i++)
            if (c->datas[i].mode == WASM_SEG_ACTIVE)
                inst->data_dropped[i] = true;
        return PVF_TRAP_NONE;
    }
    for (uint32_t i = 0; i < c->ndatas; i++) {
        const code_data *d = &c->datas[i];
        if (d->mode != WASM_SEG_ACTIVE)
            continue;
        uint64_t off = (uint32_t)eval_const(inst, &d->offset);
        if (!inst->memory || off + d->len > inst->memory->size)
            return trap_set(l->trap, PVF_TRAP_MEMORY_OUT_OF_BOUNDS);
        if (d->len)
            memcpy(inst->memory->base + off, d->bytes, d->len);
        inst->data_dropped[i] = true;
    }
    return PVF_TRAP_NONE;
}

pvf_instance *pvf_instantiate(pvf_store *store, const pvf_code *code, const pvf_extern *imports,
                              bool stub_missing, pvf_trap *trap, char *err, size_t errlen)
{
    pvf_trap scratch;
    if (!trap)
        trap = &scratch;
    trap->kind = PVF_TRAP_NONE;
    trap->message[0] = 0;
    if (err && errlen)
        err[0] = 0;
    char errbuf[256];
    linker l = { store, code, NULL, err ? err : errbuf, err ? errlen : sizeof errbuf, trap };
    l.inst = store_alloc(store, sizeof *l.inst);
    if (!l.inst || !alloc_instance_arrays(&l)) {
        snprintf(l.err, l.errlen, "out of memory");
        return NULL;
    }
    l.inst->store = store;
    l.inst->code = code;
    uint32_t nf = 0, nt = 0, ng = 0;
    for (uint32_t i = 0; i < code->nimports; i++) {
        pvf_extern none = { code->imports[i].kind, { NULL } };
        if (!link_import(&l, i, imports ? &imports[i] : &none, stub_missing, &nf, &nt, &ng))
            return NULL;
    }
    if (!create_functions(&l) || !create_state(&l)) {
        if (!l.err[0])
            snprintf(l.err, l.errlen, "out of memory");
        return NULL;
    }
    if (init_elems(&l) || init_datas(&l))
        return NULL;
    if (code->has_start) {
        pvf_func *start = l.inst->funcs[code->start];
        uint64_t none[1];
        if (pvf_call(start, none, none, trap) != PVF_TRAP_NONE)
            return NULL;
    }
    return l.inst;
}

bool pvf_instance_export(pvf_instance *inst, const char *name, pvf_extern *out)
{
    return pvf_instance_export_n(inst, name, strlen(name), out);
}

bool pvf_instance_export_n(pvf_instance *inst, const char *name, size_t len, pvf_extern *out)
{
    const pvf_code *c = inst->code;
    for (uint32_t i = 0; i < c->nexports; i++) {
        const code_export *e = &c->exports[i];
        if (e->name_len != len || memcmp(e->name, name, len))
            continue;
        out->kind = e->kind;
        switch (e->kind) {
        case PVF_EXTERN_FUNC: out->u.func = inst->funcs[e->index]; break;
        case PVF_EXTERN_TABLE: out->u.table = inst->tables[e->index]; break;
        case PVF_EXTERN_MEMORY: out->u.memory = inst->memory; break;
        default:
            /* a global's cell is the first member of its pvf_global */
            out->u.global = (pvf_global *)(void *)inst->globals[e->index];
            break;
        }
        return true;
    }
    return false;
}

pvf_memory *pvf_instance_memory(pvf_instance *inst)
{
    return inst->memory;
}

pvf_trap_kind pvf_call(pvf_func *f, const uint64_t *args, uint64_t *results, pvf_trap *trap)
{
    pvf_trap scratch;
    if (!trap)
        trap = &scratch;
    trap->kind = PVF_TRAP_NONE;
    trap->message[0] = 0;
    uint32_t n = f->type.nparams > f->type.nresults ? f->type.nparams : f->type.nresults;
    uint64_t small[16], *slots = n <= 16 ? small : malloc((size_t)n * sizeof *slots);
    if (!slots)
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    if (f->type.nparams)
        memcpy(slots, args, (size_t)f->type.nparams * sizeof *slots);
    pvf_trap_kind k = interp_invoke(f, slots, trap);
    if (k == PVF_TRAP_NONE && f->type.nresults)
        memcpy(results, slots, (size_t)f->type.nresults * sizeof *slots);
    if (slots != small)
        free(slots);
    return k;
}

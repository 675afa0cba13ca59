/*
 * validate.c — WebAssembly validation: the module-level rules of the spec
 * (1.1 era) plus the feature gates of wasm_features; function bodies are
 * type-checked by validate_body.c.
 *
 * The decoder already rejects what is malformed (bad encodings); the
 * reference's implementation limits are checked first (limits.c, as
 * wasmparser does while it parses); everything else here is about meaning:
 * indices that must exist, types that must agree, names that must be
 * unique, memory and table sizes. Validation does not depend on who made
 * the module: it may also have been built or changed in memory (the PVF
 * memory set-up runs before it).
 *
 * Module-level errors have no byte offset: the decoded model does not keep
 * one for each import, export or segment, so the message names the item by
 * its index instead. Body errors carry the absolute offset of the
 * instruction.
 */
#include "wasm/module.h"

#include <stdlib.h>
#include <string.h>

#include "wasm/opcodes.h"
#include "wasm/validate_body.h"

static const char *type_name(uint8_t t)
{
    const char *name = wasm_valtype_name(t);
    return name ? name : "invalid type";
}

static bool is_number_type(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64;
}

/* A value type of a function type, global or local: numbers only (no reference types). */
static bool check_value_type(uint8_t t, const char *what, uint32_t index, wasm_error *err)
{
    if (is_number_type(t))
        return true;
    if (t == WASM_FUNCREF || t == WASM_EXTERNREF)
        return wasm_fail(err, "%s %u uses %s: reference types are not supported", what, index,
                         type_name(t));
    return wasm_fail(err, "%s %u uses invalid value type 0x%02x", what, index, t);
}

static bool check_types(const wasm_module *m, const wasm_features *features, wasm_error *err)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const wasm_functype *t = &m->types[i];
        for (uint32_t k = 0; k < t->nparams + t->nresults; k++)
            if (!check_value_type(t->types[k], "function type", i, err))
                return false;
        if (t->nresults > 1 && !features->multi_value)
            return wasm_fail(err, "invalid result arity: function type %u has %u results; "
                             "multiple results require the multi-value feature, which is not "
                             "enabled (not allowed in the pvf profile)", i, t->nresults);
    }
    return true;
}

/* Imported and defined functions alike: their type index must exist. */
static bool check_functions(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].type_index >= m->ntypes)
            return wasm_fail(err, "unknown type %u for function %u (the module has %u types)",
                             m->funcs[i].type_index, i, m->ntypes);
    return true;
}

static bool check_limits(const wasm_limits *l, uint32_t bound, const char *what, uint32_t index,
                         wasm_error *err)
{
    if (l->min > bound || (l->has_max && l->max > bound))
        return wasm_fail(err, "%s %u: memory size must be at most %u pages (4GiB)", what, index,
                         bound);
    if (l->has_max && l->min > l->max)
        return wasm_fail(err, "%s %u: size minimum must not be greater than maximum (%u > %u)",
                         what, index, l->min, l->max);
    return true;
}

static bool check_tables(const wasm_module *m, wasm_error *err)
{
    if (m->ntables > 1)
        return wasm_fail(err, "multiple tables: the module has %u, at most one is allowed",
                         m->ntables);
    for (uint32_t i = 0; i < m->ntables; i++) {
        const wasm_tabletype *t = &m->tables[i].type;
        if (t->elem_type != WASM_FUNCREF)
            return wasm_fail(err, "table %u has element type %s: reference types are not "
                             "supported", i, type_name(t->elem_type));
        if (!check_limits(&t->limits, UINT32_MAX, "table", i, err))
            return false;
    }
    return true;
}

static bool check_memories(const wasm_module *m, wasm_error *err)
{
    if (m->nmemories > 1)
        return wasm_fail(err, "multiple memories: the module has %u, at most one is allowed",
                         m->nmemories);
    for (uint32_t i = 0; i < m->nmemories; i++)
        if (!check_limits(&m->memories[i].limits, WASM_MAX_PAGES, "memory", i, err))
            return false;
    return true;
}

/*
 * A constant expression producing `want`. global.get may only read an
 * imported immutable global: defined globals are not initialised yet when
 * constant expressions run.
 */
static bool check_const_expr(const wasm_module *m, const wasm_const_expr *e, uint8_t want,
                             const char *what, uint32_t index, wasm_error *err)
{
    uint8_t type = e->type;
    switch (e->kind) {
    case WASM_CONST_I32: type = WASM_I32; break;
    case WASM_CONST_I64: type = WASM_I64; break;
    case WASM_CONST_F32: type = WASM_F32; break;
    case WASM_CONST_F64: type = WASM_F64; break;
    case WASM_CONST_REF_NULL: type = WASM_FUNCREF; break;
    case WASM_CONST_REF_FUNC:
        if (e->bits >= m->nfuncs)
            return wasm_fail(err, "unknown function %llu in ref.func of %s %u",
                             (unsigned long long)e->bits, what, index);
        type = WASM_FUNCREF;
        break;
    case WASM_CONST_GLOBAL_GET:
        if (e->bits >= m->nglobal_imports)
            return wasm_fail(err, "unknown global %llu in the constant expression of %s %u "
                             "(only the %u imported globals can be read there)",
                             (unsigned long long)e->bits, what, index, m->nglobal_imports);
        if (m->globals[e->bits].type.mutable_)
            return wasm_fail(err, "constant expression required: %s %u reads mutable global "
                             "%llu", what, index, (unsigned long long)e->bits);
        type = m->globals[e->bits].type.type;
        break;
    default:
        return wasm_fail(err, "constant expression required: %s %u has an unknown kind %u of "
                         "constant expression", what, index, e->kind);
    }
    if (type != want)
        return wasm_fail(err, "type mismatch: %s %u needs %s but its constant expression "
                         "produces %s", what, index, type_name(want), type_name(type));
    return true;
}

static bool check_globals(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nglobals; i++) {
        const wasm_global *g = &m->globals[i];
        if (!check_value_type(g->type.type, "global", i, err))
            return false;
        if (!g->is_import && !check_const_expr(m, &g->init, g->type.type, "global", i, err))
            return false;
    }
    return true;
}

static bool check_export_index(const wasm_module *m, const wasm_export *ex, uint32_t i,
                               wasm_error *err)
{
    static const char *const kinds[] = { "function", "table", "memory", "global" };
    uint32_t n;
    switch (ex->kind) {
    case WASM_EXTERN_FUNC: n = m->nfuncs; break;
    case WASM_EXTERN_TABLE: n = m->ntables; break;
    case WASM_EXTERN_MEMORY: n = m->nmemories; break;
    case WASM_EXTERN_GLOBAL: n = m->nglobals; break;
    default: return wasm_fail(err, "export %u has invalid kind %u", i, ex->kind);
    }
    if (ex->index >= n)
        return wasm_fail(err, "unknown %s %u in export %u \"%.*s\"", kinds[ex->kind], ex->index, i,
                         (int)(ex->name.len > 64 ? 64 : ex->name.len), ex->name.bytes);
    return true;
}

static uint32_t hash_name(const wasm_name *n)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (uint32_t i = 0; i < n->len; i++)
        h = (h ^ (uint8_t)n->bytes[i]) * 16777619u;
    return h;
}

static bool same_name(const wasm_name *a, const wasm_name *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}

/* Export names must be unique: one pass over an open-addressing hash set. */
static bool check_export_names(const wasm_module *m, wasm_error *err)
{
    uint32_t size = 16;
    while (size < 2 * (uint64_t)m->nexports)
        size *= 2;
    uint32_t *slots = calloc(size, sizeof *slots);   /* export index + 1, 0 = empty */
    if (!slots)
        return wasm_fail(err, "out of memory for %u export names", m->nexports);
    bool ok = true;
    for (uint32_t i = 0; i < m->nexports && ok; i++) {
        const wasm_name *name = &m->exports[i].name;
        uint32_t s = hash_name(name) & (size - 1);
        while (slots[s] && !same_name(&m->exports[slots[s] - 1].name, name))
            s = (s + 1) & (size - 1);
        if (slots[s])
            ok = wasm_fail(err, "duplicate export name \"%.*s\" (exports %u and %u)",
                           (int)(name->len > 64 ? 64 : name->len), name->bytes, slots[s] - 1, i);
        slots[s] = i + 1;
    }
    free(slots);
    return ok;
}

static bool check_exports(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nexports; i++)
        if (!check_export_index(m, &m->exports[i], i, err))
            return false;
    return check_export_names(m, err);
}

static bool check_start(const wasm_module *m, wasm_error *err)
{
    if (!m->has_start)
        return true;
    if (m->start >= m->nfuncs)
        return wasm_fail(err, "unknown function %u named as the start function", m->start);
    const wasm_functype *t = wasm_func_type(m, m->start);
    if (t->nparams != 0 || t->nresults != 0)
        return wasm_fail(err, "start function %u must have type [] -> [], not %u params -> %u "
                         "results", m->start, t->nparams, t->nresults);
    return true;
}

static bool need_bulk_memory(const wasm_features *features, const char *what, uint32_t index,
                             wasm_error *err)
{
    if (features->bulk_memory)
        return true;
    return wasm_fail(err, "%s %u requires the bulk-memory feature, which is not enabled "
                     "(not allowed in the pvf profile)", what, index);
}

static bool check_elems(const wasm_module *m, const wasm_features *features, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem_segment *seg = &m->elems[i];
        if (seg->elem_type != WASM_FUNCREF)
            return wasm_fail(err, "element segment %u has element type %s: reference types "
                             "are not supported", i, type_name(seg->elem_type));
        if (seg->mode != WASM_SEG_ACTIVE &&
            !need_bulk_memory(features, "passive or declarative element segment", i, err))
            return false;
        if (seg->mode == WASM_SEG_ACTIVE) {
            if (seg->table_index >= m->ntables)
                return wasm_fail(err, "unknown table %u in element segment %u", seg->table_index,
                                 i);
            if (!check_const_expr(m, &seg->offset, WASM_I32, "element segment", i, err))
                return false;
        }
        for (uint32_t k = 0; k < seg->count; k++) {
            uint32_t f = seg->funcs[k];
            if (f == WASM_NULL_FUNC && !need_bulk_memory(features, "ref.null in element segment",
                                                         i, err))
                return false;
            if (f != WASM_NULL_FUNC && f >= m->nfuncs)
                return wasm_fail(err, "unknown function %u in element segment %u", f, i);
        }
    }
    return true;
}

static bool check_datas(const wasm_module *m, const wasm_features *features, wasm_error *err)
{
    /* wasmparser takes a data count section with bulk memory off too (validator.rs:958). */
    if (m->has_data_count) {
        if (m->data_count != m->ndatas)
            return wasm_fail(err, "data count and data section have inconsistent lengths "
                             "(%u and %u)", m->data_count, m->ndatas);
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data_segment *seg = &m->datas[i];
        if (seg->mode != WASM_SEG_ACTIVE) {
            if (!need_bulk_memory(features, "passive data segment", i, err))
                return false;
            continue;
        }
        if (seg->memory_index >= m->nmemories)
            return wasm_fail(err, "unknown memory %u in data segment %u", seg->memory_index, i);
        if (!check_const_expr(m, &seg->offset, WASM_I32, "data segment", i, err))
            return false;
    }
    return true;
}

static bool check_bodies(const wasm_module *m, const wasm_features *features, wasm_error *err)
{
    body_checker *c = body_checker_new(m, features);
    if (!c)
        return wasm_fail(err, "out of memory for the validator");
    bool ok = true;
    for (uint32_t i = 0; i < m->nfuncs && ok; i++)
        if (!m->funcs[i].is_import)
            ok = body_checker_run(c, i, err);
    body_checker_free(c);
    return ok;
}

bool wasm_validate(const wasm_module *m, const wasm_features *features, wasm_error *err)
{
    /* The reference's limits, then types and function type indices: everything after relies on them. */
    return wasm_check_limits(m, err) &&
           check_types(m, features, err) &&
           check_functions(m, err) &&
           check_tables(m, err) &&
           check_memories(m, err) &&
           check_globals(m, err) &&
           check_exports(m, err) &&
           check_start(m, err) &&
           check_elems(m, features, err) &&
           check_datas(m, features, err) &&
           check_bodies(m, features, err);
}

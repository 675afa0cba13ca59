/*
 * limits.c — the reference's module-level implementation limits (limits.h),
 * checked on a decoded module the way wasmparser checks them while it
 * parses the module Wasmtime is given. Called by the validator; the counts
 * the stack limiter changes (thunks, its global, body sizes) are checked
 * again by the limiter on what it adds.
 *
 * The decoder enforces none of these: parity-wasm, the reference's parser,
 * has no such limits, so a module past one is a Preparation error there,
 * not a Prevalidation one.
 */
#include "wasm/limits.h"

#include "wasm/module.h"

#include <stdint.h>
#include <string.h>

#include "pvf/reference.h"

/* Sizes, counts and word indices are 32-bit throughout the engine. */
_Static_assert(WASM_MAX_FUNCTION_SIZE < UINT32_MAX / 2, "a body's size fits in 32 bits");
_Static_assert(WASM_MAX_FUNCTIONS < UINT32_MAX / 2, "function indices fit in 32 bits");
_Static_assert(PVF_REF_HEAP_MAX_PAGES <= WASM_MAX_PAGES, "the default PVF heap is a valid memory");

static bool check_count(uint64_t count, uint32_t limit, const char *what, wasm_error *err)
{
    if (count <= limit)
        return true;
    return wasm_fail(err, "too many %s: %llu > limit %u", what, (unsigned long long)count, limit);
}

static bool check_string(wasm_name s, const char *what, uint32_t index, wasm_error *err)
{
    if (s.len <= WASM_MAX_STRING_SIZE)
        return true;
    return wasm_fail(err, "string size out of bounds: %s %u is %u bytes > limit %u", what, index,
                     s.len, WASM_MAX_STRING_SIZE);
}

static bool check_strings(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nimports; i++)
        if (!check_string(m->imports[i].module, "the module name of import", i, err) ||
            !check_string(m->imports[i].name, "the field name of import", i, err))
            return false;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (!check_string(m->exports[i].name, "the name of export", i, err))
            return false;
    for (uint32_t i = 0; i < m->ncustoms; i++)
        if (!check_string(m->customs[i].name, "the name of custom section", i, err))
            return false;
    return true;
}

static bool check_function_types(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        const wasm_functype *t = &m->types[i];
        if (t->nparams > WASM_MAX_PARAMS)
            return wasm_fail(err, "too many function params: type %u has %u > limit %u", i,
                             t->nparams, WASM_MAX_PARAMS);
        if (t->nresults > WASM_MAX_RESULTS)
            return wasm_fail(err, "too many function returns: type %u has %u > limit %u", i,
                             t->nresults, WASM_MAX_RESULTS);
    }
    return true;
}

/* wasmparser's size of an import's or export's type: a function's 2 + params + results. */
static uint64_t extern_type_size(const wasm_module *m, uint8_t kind, uint32_t type_index)
{
    if (kind != WASM_EXTERN_FUNC || type_index >= m->ntypes)
        return 1;
    return 2 + (uint64_t)m->types[type_index].nparams + m->types[type_index].nresults;
}

static bool check_type_size(const wasm_module *m, wasm_error *err)
{
    uint64_t size = 1;
    for (uint32_t i = 0; i < m->nimports; i++)
        size += extern_type_size(m, m->imports[i].kind, m->imports[i].u.type_index);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        uint32_t type_index = e->kind == WASM_EXTERN_FUNC && e->index < m->nfuncs
                                  ? m->funcs[e->index].type_index : 0;
        size += extern_type_size(m, e->kind, type_index);
    }
    if (size < WASM_MAX_TYPE_SIZE)
        return true;
    return wasm_fail(err, "effective type size exceeds the limit of %u: imports and exports "
                     "add up to %llu", WASM_MAX_TYPE_SIZE, (unsigned long long)size);
}

static bool check_segments(const wasm_module *m, wasm_error *err)
{
    if (!check_count(m->nelems, WASM_MAX_ELEM_SEGMENTS, "element segments", err) ||
        !check_count(m->ndatas, WASM_MAX_DATA_SEGMENTS, "data segments", err))
        return false;
    if (m->has_data_count && m->data_count > WASM_MAX_DATA_SEGMENTS)
        return wasm_fail(err, "data count section specifies too many data segments: %u > limit %u",
                         m->data_count, WASM_MAX_DATA_SEGMENTS);
    for (uint32_t i = 0; i < m->nelems; i++)
        if (m->elems[i].count > WASM_MAX_ELEM_ITEMS)
            return wasm_fail(err, "number of elements is out of bounds: element segment %u has "
                             "%u > limit %u", i, m->elems[i].count, WASM_MAX_ELEM_ITEMS);
    return true;
}

/*
 * Not a limit, but a refusal of Wasmtime's own before any other check
 * (crates/environ/src/compile/module_environ.rs: "Support for interface types
 * has temporarily been removed from `wasmtime`").
 */
static bool check_custom_names(const wasm_module *m, wasm_error *err)
{
    static const char *const refused[] = { "webidl-bindings", "wasm-interface-types" };
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        wasm_name n = m->customs[i].name;
        for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++)
            if (n.len == strlen(refused[k]) && !memcmp(n.bytes, refused[k], n.len))
                return wasm_fail(err, "custom section %u \"%s\": interface types are not "
                                 "supported (Wasmtime refuses such modules)", i, refused[k]);
    }
    return true;
}

bool wasm_check_limits(const wasm_module *m, wasm_error *err)
{
    return check_count(m->ntypes, WASM_MAX_TYPES, "types", err) &&
           check_count(m->nimports, WASM_MAX_IMPORTS, "imports", err) &&
           check_count(m->nfuncs, WASM_MAX_FUNCTIONS, "functions (imported and defined)", err) &&
           check_count(m->nglobals, WASM_MAX_GLOBALS, "globals (imported and defined)", err) &&
           check_count(m->nexports, WASM_MAX_EXPORTS, "exports", err) &&
           check_function_types(m, err) &&
           check_strings(m, err) &&
           check_type_size(m, err) &&
           check_segments(m, err) &&
           check_custom_names(m, err);
}

bool wasm_check_body_sizes(const wasm_module *m, wasm_error *err)
{
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        if (!f->is_import && f->body_size > WASM_MAX_FUNCTION_SIZE)
            return wasm_fail_at(err, f->code_offset, "function body too large: function %u is "
                                "%u bytes > limit %u", i, f->body_size, WASM_MAX_FUNCTION_SIZE);
    }
    return true;
}

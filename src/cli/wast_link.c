/*
 * wast_link.c — the modules of one spec-test file, their names, and linking.
 *
 * A module command may name its module ("$M") so later actions can refer to
 * it; a register command makes a module's exports importable under a module
 * name ("test"). Imports are resolved against those registrations, the
 * latest first, and then against the built-in `spectest` module.
 *
 * Import matching follows the spec's extern subtyping (validation/matching):
 * function types must be equal; globals must have the same type and
 * mutability; a table or memory must be at least as large as the import's
 * minimum (its current size counts) and, when the import has a maximum,
 * have a maximum no larger. The engine checks too, but the runner does it
 * itself so that a link failure is reported the same way whichever side
 * noticed it.
 */
#include "cli/wast.h"
#include "util/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *kind_name(uint8_t kind)
{
    switch (kind) {
    case PVF_EXTERN_FUNC: return "function";
    case PVF_EXTERN_TABLE: return "table";
    case PVF_EXTERN_MEMORY: return "memory";
    case PVF_EXTERN_GLOBAL: return "global";
    default: return "?";
    }
}

/* ---- the session -------------------------------------------------------------------------- */

bool wast_session_init(wast_session *s, const pvf_engine_config *cfg, const char *dir, char *err,
                       size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    s->dir = dir;
    s->store = pvf_store_new();
    if (!s->store) {
        snprintf(err, errlen, "cannot create a store");
        return false;
    }
    return wast_spectest_create(s->store, &s->spectest, err, errlen);
}

void wast_session_free(wast_session *s)
{
    /* Instances may point into their code: the store goes first. */
    if (s->store)
        pvf_store_free(s->store);
    for (size_t i = 0; i < s->nmodules; i++) {
        pvf_code_free(s->modules[i]->code);
        free(s->modules[i]->name);
        free(s->modules[i]);
    }
    free(s->modules);
    for (size_t i = 0; i < s->nregistered; i++)
        free(s->registered[i].as);
    free(s->registered);
    memset(s, 0, sizeof *s);
}

wast_module *wast_session_add_module(wast_session *s, const char *name, pvf_code *code,
                                     pvf_instance *inst)
{
    if (!vec_reserve((void **)&s->modules, &s->modules_cap, (size_t)s->nmodules + 1, sizeof *s->modules, 16))
        return NULL;
    wast_module *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->name = name ? strdup(name) : NULL;
    if (name && !m->name) {
        free(m);
        return NULL;
    }
    m->code = code;
    m->inst = inst;
    s->modules[s->nmodules++] = m;
    return m;
}

wast_module *wast_session_find_module(const wast_session *s, const char *name)
{
    if (!name)
        return s->current;
    for (size_t i = s->nmodules; i-- > 0;)   /* a later module of the same name shadows */
        if (s->modules[i]->name && !strcmp(s->modules[i]->name, name))
            return s->modules[i];
    return NULL;
}

bool wast_session_register(wast_session *s, const char *as, wast_module *m)
{
    if (!vec_reserve((void **)&s->registered, &s->registered_cap, (size_t)s->nregistered + 1, sizeof *s->registered, 16))
        return false;
    char *copy = strdup(as);
    if (!copy)
        return false;
    s->registered[s->nregistered++] = (wast_registration){ copy, m };
    return true;
}

/* ---- exports with their types ------------------------------------------------------------- */

/* A table or memory matches imports by its current size, which may have grown. */
static void use_current_size(wast_extern *e)
{
    if (e->ext.kind == PVF_EXTERN_MEMORY)
        e->limits.min = (uint32_t)(pvf_memory_size(e->ext.u.memory) / PVF_WASM_PAGE_BYTES);
    else if (e->ext.kind == PVF_EXTERN_TABLE)
        e->limits.min = pvf_table_size(e->ext.u.table);
}

bool wast_module_export(const wast_module *m, const char *name, size_t len, wast_extern *out)
{
    memset(out, 0, sizeof *out);
    if (!m->inst || !pvf_instance_export_n(m->inst, name, len, &out->ext))
        return false;
    /*
     * The object itself cannot tell its maximum or mutability through the
     * public API, so take them from the exporting module's declaration.
     */
    for (uint32_t i = 0; i < pvf_code_export_count(m->code); i++) {
        pvf_extern_desc d;
        pvf_code_export(m->code, i, &d);
        if (d.kind == out->ext.kind && d.name_len == len && !memcmp(d.name, name, len)) {
            out->limits = d.limits;
            out->global_type = d.global_type;
            out->global_mutable = d.global_mutable;
            break;
        }
    }
    use_current_size(out);
    return true;
}

/* ---- matching ----------------------------------------------------------------------------- */

/* "(i32 i64)" into buf at *n, never past size. */
static void append_types(const uint8_t *types, uint32_t count, char *buf, size_t size, size_t *n)
{
    for (uint32_t i = 0; i <= count + 1 && *n < size; i++) {
        const char *part = i == 0 ? "(" : i == count + 1 ? ")" : wast_type_name(types[i - 1]);
        const char *sep = i > 1 && i <= count ? " " : "";
        int w = snprintf(buf + *n, size - *n, "%s%s", sep, part);
        if (w < 0)
            return;
        *n += (size_t)w;
    }
}

/* "(i32 i32) -> (i64)" */
static void format_functype(const pvf_functype *t, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    append_types(t->types, t->nparams, buf, size, &n);
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n, " -> ");
    append_types(t->types + t->nparams, t->nresults, buf, size, &n);
}

static bool functypes_equal(const pvf_functype *a, const pvf_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           !memcmp(a->types, b->types, (size_t)a->nparams + a->nresults);
}

static bool limits_match(const pvf_limits *import, const pvf_limits *got, char *why, size_t n)
{
    if (got->min < import->min) {
        snprintf(why, n, "size %u is below the import's minimum %u", got->min, import->min);
        return false;
    }
    if (import->has_max && !got->has_max) {
        snprintf(why, n, "no maximum, the import requires at most %u", import->max);
        return false;
    }
    if (import->has_max && got->max > import->max) {
        snprintf(why, n, "maximum %u exceeds the import's maximum %u", got->max, import->max);
        return false;
    }
    return true;
}

/* Can `got` satisfy import `imp`? If not, say why. */
static bool extern_matches(const pvf_extern_desc *imp, const wast_extern *got, char *why, size_t n)
{
    if (got->ext.kind != imp->kind) {
        snprintf(why, n, "a %s is exported, a %s is imported", kind_name(got->ext.kind), kind_name(imp->kind));
        return false;
    }
    switch (imp->kind) {
    case PVF_EXTERN_FUNC: {
        const pvf_functype *t = pvf_func_type(got->ext.u.func);
        if (t && functypes_equal(t, &imp->func))
            return true;
        char want[128], have[128] = "unknown";
        format_functype(&imp->func, want, sizeof want);
        if (t)
            format_functype(t, have, sizeof have);
        snprintf(why, n, "function type %s, the import wants %s", have, want);
        return false;
    }
    case PVF_EXTERN_GLOBAL:
        if (got->global_type == imp->global_type && got->global_mutable == imp->global_mutable)
            return true;
        snprintf(why, n, "global %s%s, the import wants %s%s", got->global_mutable ? "mut " : "",
                 wast_type_name(got->global_type), imp->global_mutable ? "mut " : "",
                 wast_type_name(imp->global_type));
        return false;
    default:
        return limits_match(&imp->limits, &got->limits, why, n);
    }
}

/* ---- resolving ---------------------------------------------------------------------------- */

static const wast_registration *find_registration(const wast_session *s, const char *as)
{
    for (size_t i = s->nregistered; i-- > 0;)
        if (!strcmp(s->registered[i].as, as))
            return &s->registered[i];
    return NULL;
}

/* Find what (module, name) refers to; false when nothing is exported under it. */
static bool resolve(const wast_session *s, const pvf_extern_desc *imp, wast_extern *out)
{
    const wast_registration *r = find_registration(s, imp->module);
    if (r)
        return wast_module_export(r->module, imp->name, imp->name_len, out);
    if (strcmp(imp->module, "spectest") != 0 || !wast_spectest_lookup(&s->spectest, imp->name, out))
        return false;
    use_current_size(out);
    return true;
}

pvf_extern *wast_link_imports(const wast_session *s, const pvf_code *code, bool *ok, char *err,
                              size_t errlen)
{
    uint32_t count = pvf_code_import_count(code);
    *ok = false;
    if (count == 0) {
        *ok = true;
        return NULL;
    }
    pvf_extern *imports = calloc(count, sizeof *imports);
    if (!imports) {
        snprintf(err, errlen, "out of memory for %u imports", count);
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        pvf_extern_desc imp;
        wast_extern got;
        char why[320];
        pvf_code_import(code, i, &imp);
        if (!resolve(s, &imp, &got)) {
            snprintf(err, errlen, "unknown import \"%s\".\"%s\" (%s)", imp.module, imp.name, kind_name(imp.kind));
            free(imports);
            return NULL;
        }
        if (!extern_matches(&imp, &got, why, sizeof why)) {
            snprintf(err, errlen, "incompatible import type for \"%s\".\"%s\": %s", imp.module, imp.name, why);
            free(imports);
            return NULL;
        }
        imports[i] = got.ext;
    }
    *ok = true;
    return imports;
}

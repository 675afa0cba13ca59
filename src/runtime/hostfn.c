/* hostfn.c — looking up host functions and linking a runtime's imports to them. */
#include "runtime/hostfn.h"

#include <stdlib.h>
#include <string.h>

static const hostfn_fn_def *const tables[] = {
    hostfn_misc_fns, hostfn_hashing_fns, hostfn_allocator_fns, hostfn_logging_fns, hostfn_crypto_fns,
    hostfn_trie_fns,
};

const hostfn_fn_def *hostfn_find(const hostfn_fn_def *extra, const char *name)
{
    for (const hostfn_fn_def *d = extra; d && d->name; d++)
        if (!strcmp(d->name, name))
            return d;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const hostfn_fn_def *d = tables[t]; d->name; d++)
            if (!strcmp(d->name, name))
                return d;
    return NULL;
}

/* "iI:i" → params (i32, i64), results (i32). */
static bool parse_sig(const char *sig, uint8_t types[16], pvf_functype *out)
{
    uint32_t n = 0, nparams = 0;
    bool results = false;
    for (const char *p = sig; *p && n < 16; p++) {
        if (*p == ':') {
            results = true;
            continue;
        }
        types[n++] = *p == 'I' ? PVF_I64 : PVF_I32;
        if (!results)
            nparams++;
    }
    *out = (pvf_functype){ nparams, n - nparams, types };
    return true;
}

static bool same_type(const pvf_functype *a, const pvf_functype *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           !memcmp(a->types, b->types, a->nparams + a->nresults);
}

bool hostfn_link(pvf_store *store, const pvf_code *code, hostfn_env *env, const hostfn_fn_def *extra,
                 pvf_extern **imports, char *err, size_t errlen)
{
    uint32_t n = pvf_code_import_count(code);
    pvf_extern *ext = calloc(n ? n : 1, sizeof *ext);
    if (!ext)
        return snprintf(err, errlen, "out of memory"), false;
    for (uint32_t i = 0; i < n; i++) {
        pvf_extern_desc d;
        pvf_code_import(code, i, &d);
        ext[i].kind = d.kind;
        if (d.kind != PVF_EXTERN_FUNC || strcmp(d.module, "env")) {
            snprintf(err, errlen, "import %s.%s: only functions of module env can be imported", d.module,
                     d.name);
            free(ext);
            return false;
        }
        const hostfn_fn_def *def = hostfn_find(extra, d.name);
        if (!def)
            continue;       /* linked as a trapping stub */
        uint8_t types[16];
        pvf_functype t;
        parse_sig(def->sig, types, &t);
        if (!same_type(&t, &d.func)) {
            snprintf(err, errlen, "import env.%s: incompatible import type (signature differs from the host function)",
                     d.name);
            free(ext);
            return false;
        }
        ext[i].u.func = pvf_func_new_host(store, &t, def->fn, env);
        if (!ext[i].u.func) {
            snprintf(err, errlen, "out of memory");
            free(ext);
            return false;
        }
    }
    *imports = ext;
    return true;
}

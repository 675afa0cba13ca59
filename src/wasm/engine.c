/*
 * engine.c — the prepare pipeline and the descriptive side of pvf/engine.h.
 *
 *   decode → (PVF heap) memory rewrite → validate → (pvf profile) stack limiter
 *   → compile → serialise
 *
 * Where each of the reference's limits is checked: wasm/limits.h.
 *
 * The feature set follows the profile: `pvf` accepts what the reference's
 * parser accepts (MVP + mutable globals; bulk memory only with the
 * WasmExtBulkMemory parameter), `full` is the spec suite's set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/code.h"
#include "wasm/native.h"
#include "wasm/stack_limiter.h"

void pvf_engine_config_default(pvf_engine_config *cfg, pvf_profile profile)
{
    *cfg = (pvf_engine_config){
        .profile = profile,
        .bulk_memory = false,
        .stack_logical_max = profile == PVF_PROFILE_PVF ? PVF_REF_LOGICAL_STACK_MAX : 0,
        .canonicalize_nans = profile == PVF_PROFILE_PVF,
        .tier = PVF_TIER_DEFAULT,
    };
}

static wasm_features features_of(const pvf_engine_config *cfg)
{
    if (cfg->profile == PVF_PROFILE_FULL)
        return WASM_FEATURES_FULL;
    wasm_features f = WASM_FEATURES_PVF;
    f.bulk_memory = cfg->bulk_memory;
    return f;
}

static bool fail_with(const wasm_error *e, const char *stage, char *err, size_t errlen)
{
    char buf[WASM_ERROR_MAX + 64];
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", stage, wasm_error_text(e, buf, sizeof buf));
    return false;
}

static void fill_stats(pvf_prepare_stats *stats, const wasm_module *m, const pvf_code *code,
                       size_t wasm_len, size_t artifact_len)
{
    if (!stats)
        return;
    stats->wasm_size = wasm_len;
    stats->artifact_size = artifact_len;
    stats->thunks = code->nthunks;
    stats->functions = m->nfuncs - m->nfunc_imports - code->nthunks;
    stats->code_words = code->ncode;
}

bool pvf_prepare(const uint8_t *wasm, size_t len, const pvf_engine_config *cfg,
                 uint8_t **artifact, size_t *artifact_len, pvf_prepare_stats *stats,
                 char *err, size_t errlen)
{
    wasm_features features = features_of(cfg);
    wasm_module m;
    wasm_error e = { 0 };
    if (!wasm_decode(wasm, len, &features, &m, &e))
        return fail_with(&e, "malformed module", err, errlen);
    bool ok = false;
    wasm_stack_limit sl = { 0 }, *slp = NULL;
    pvf_code *code = NULL;
    /* The reference sets up the memory before its validator sees the module (limits.h). */
    if (cfg->heap_max_pages && !wasm_rewrite_memory(&m, cfg->heap_max_pages, &e)) {
        fail_with(&e, "memory setup", err, errlen);
        goto out;
    }
    if (!wasm_validate(&m, &features, &e)) {
        fail_with(&e, "invalid module", err, errlen);
        goto out;
    }
    if (cfg->profile == PVF_PROFILE_FULL && !wasm_check_body_sizes(&m, &e)) {
        fail_with(&e, "invalid module", err, errlen);
        goto out;
    }
    if (cfg->profile == PVF_PROFILE_PVF) {
        uint32_t limit = cfg->stack_logical_max ? cfg->stack_logical_max : PVF_REF_LOGICAL_STACK_MAX;
        if (!wasm_stack_limiter_apply(&m, limit, &sl, &e)) {
            fail_with(&e, "stack limiter", err, errlen);
            goto out;
        }
        slp = &sl;
    }
    code = code_compile(&m, slp, cfg, &e);
    if (!code) {
        fail_with(&e, "compile", err, errlen);
        goto out;
    }
    if (cfg->tier == PVF_TIER_NATIVE && !native_compile(code, false, err, errlen))
        goto out;
    if (code->native && native_artifact_too_big(code)) {
        /* An interpreter artifact instead: the native tier must not make prepare fail where
         * the reference's would not (the artifact's transfer limit, "Accepted modules"). */
        native_code_free(code->native);
        code->native = NULL;
        code->config.tier = PVF_TIER_INTERP;
    }
    if (!code_serialize(code, artifact, artifact_len)) {
        snprintf(err, errlen, "out of memory writing the artifact");
        goto out;
    }
    fill_stats(stats, &m, code, len, *artifact_len);
    ok = true;
out:
    code_free(code);
    if (slp)
        wasm_stack_limit_free(slp);
    wasm_module_free(&m);
    return ok;
}

/* ---- descriptions of loaded code ----------------------------------------------------------- */

uint32_t pvf_code_import_count(const pvf_code *code)
{
    return code->nimports;
}

void pvf_code_import(const pvf_code *code, uint32_t i, pvf_extern_desc *out)
{
    const code_import *im = &code->imports[i];
    *out = (pvf_extern_desc){ .module = im->module, .name = im->name, .module_len = im->module_len,
                              .name_len = im->name_len, .kind = im->kind };
    if (im->kind == PVF_EXTERN_FUNC)
        out->func = code->types[im->type_index];
    out->limits = im->limits;
    out->global_type = im->global_type;
    out->global_mutable = im->global_mutable;
}

uint32_t pvf_code_export_count(const pvf_code *code)
{
    return code->nexports;
}

void pvf_code_export(const pvf_code *code, uint32_t i, pvf_extern_desc *out)
{
    const code_export *e = &code->exports[i];
    *out = (pvf_extern_desc){ .module = "", .name = e->name, .name_len = e->name_len, .kind = e->kind };
    switch (e->kind) {
    case PVF_EXTERN_FUNC:
        out->func = code->types[code->funcs[e->index].type_index];
        break;
    case PVF_EXTERN_TABLE:
        out->limits = code->tables[e->index];
        break;
    case PVF_EXTERN_MEMORY:
        out->limits = code->memory;
        break;
    default:
        out->global_type = code->globals[e->index].type;
        out->global_mutable = code->globals[e->index].mutable_;
    }
}

const uint8_t *pvf_code_custom_section(const pvf_code *code, const char *name, size_t *len)
{
    for (uint32_t i = 0; i < code->ncustoms; i++) {
        if (!strcmp(code->customs[i].name, name)) {
            *len = code->customs[i].len;
            return code->customs[i].bytes;
        }
    }
    return NULL;
}

/*
 * test_stack_depth.c — the deterministic stack limit, end to end.
 *
 * test_stack_limiter.c checks the limiter's arithmetic (costs, thunks); this
 * file checks what a PVF actually observes: prepare a module with a given
 * stack_logical_max, instantiate it, call a recursive entry with depth n, and
 * see where it stops. The expectations come from stack-limiter/cases.json,
 * produced by the real wasm-instrument 0.4.0 crate with its output run in V8:
 *
 *   entry(max_ok_n)     on a fresh instance returns normally, result_at_max;
 *   entry(max_ok_n + 1) on a fresh instance traps with `unreachable`.
 *
 * A fresh instance each time matters: the limiter's stack-height global is
 * per instance, and a trap leaves it wherever the trap happened.
 *
 * An off-by-one here means a PVF that a validator running the reference host
 * accepts would be rejected by us (or the reverse) — a consensus split — so
 * both sides of the boundary are checked, for both limits in the corpus.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"
#include "util/json.h"

/* ---- imports the corpus uses (stack-limiter/corpus, the .wat files) ---- */

static int host_nop(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx, (void)slots;
    return 0;
}

static int host_add(pvf_caller *caller, void *ctx, uint64_t *slots)
{
    (void)caller, (void)ctx;
    slots[0] = (uint32_t)((uint32_t)slots[0] + (uint32_t)slots[1]);
    return 0;
}

static const uint8_t no_types[1];
static const uint8_t add_types[] = { PVF_I32, PVF_I32, PVF_I32 };

/* The signatures are written out here, not copied from the module's import
 * descriptors, so that a mis-decoded import type fails at link time. */
static const struct {
    const char *name;
    pvf_functype type;
    pvf_host_fn fn;
} env_funcs[] = {
    { "nop", { 0, 0, no_types }, host_nop },
    { "add", { 2, 1, add_types }, host_add },
    { "start_hook", { 0, 0, no_types }, host_nop },
};

/* One extern per import of `code`, in import order; NULL (err set) when an
 * import is not one of env_funcs. */
static pvf_extern *link_env(pvf_store *store, const pvf_code *code, char *err, size_t errlen)
{
    uint32_t n = pvf_code_import_count(code);
    pvf_extern *ext = calloc(n ? n : 1, sizeof *ext);
    if (!ext)
        abort();
    for (uint32_t i = 0; i < n; i++) {
        pvf_extern_desc d;
        pvf_code_import(code, i, &d);
        size_t k = 0;
        while (k < sizeof env_funcs / sizeof env_funcs[0] &&
               !(d.kind == PVF_EXTERN_FUNC && strcmp(d.module, "env") == 0 &&
                 strcmp(d.name, env_funcs[k].name) == 0))
            k++;
        if (k == sizeof env_funcs / sizeof env_funcs[0]) {
            snprintf(err, errlen, "import %u %s.%s (kind %u) is not provided by the test", i,
                     d.module, d.name, d.kind);
            free(ext);
            return NULL;
        }
        ext[i].kind = PVF_EXTERN_FUNC;
        ext[i].u.func = pvf_func_new_host(store, &env_funcs[k].type, env_funcs[k].fn, NULL);
    }
    return ext;
}

/* ---- one call on a fresh instance ---- */

typedef enum outcome {
    SETUP_FAILED,       /* link error, missing export, bad signature: msg says which */
    INSTANTIATION_TRAPPED,
    RETURNED,
    TRAPPED,
} outcome;

typedef struct run_result {
    outcome what;
    pvf_trap_kind trap;
    bool has_result;
    uint32_t result;
    char msg[512];
} run_result;

static const char *trap_name(pvf_trap_kind k)
{
    const char *t = pvf_trap_kind_text(k);
    return t ? t : "?";
}

/* Instantiate `code` in a new store and, unless instantiation fails, call
 * export `entry` with the single i32 argument `n`. */
static run_result run_fresh(const pvf_code *code, const char *entry, uint32_t n)
{
    run_result r = { .what = SETUP_FAILED };
    pvf_store *store = pvf_store_new();
    pvf_extern *imports = link_env(store, code, r.msg, sizeof r.msg);
    pvf_trap trap = { 0 };
    pvf_instance *inst = NULL;
    if (imports)
        inst = pvf_instantiate(store, code, imports, false, &trap, r.msg, sizeof r.msg);
    if (imports && !inst && trap.kind != PVF_TRAP_NONE) {
        r.what = INSTANTIATION_TRAPPED;
        r.trap = trap.kind;
        snprintf(r.msg, sizeof r.msg, "%s", trap.message);
    }
    pvf_extern ex;
    if (inst && !pvf_instance_export(inst, entry, &ex))
        snprintf(r.msg, sizeof r.msg, "no export \"%s\"", entry);
    else if (inst && ex.kind != PVF_EXTERN_FUNC)
        snprintf(r.msg, sizeof r.msg, "export \"%s\" is not a function", entry);
    else if (inst) {
        const pvf_functype *t = pvf_func_type(ex.u.func);
        if (t->nparams != 1 || t->types[0] != PVF_I32 || t->nresults > 1 ||
            (t->nresults == 1 && t->types[1] != PVF_I32)) {
            snprintf(r.msg, sizeof r.msg, "export \"%s\" is not [i32] -> [i32] or [i32] -> []",
                     entry);
        } else {
            uint64_t arg = n, res[1] = { 0 };
            r.trap = pvf_call(ex.u.func, &arg, res, &trap);
            r.what = r.trap == PVF_TRAP_NONE ? RETURNED : TRAPPED;
            r.has_result = t->nresults == 1;
            r.result = (uint32_t)res[0];
            if (r.what == TRAPPED)
                snprintf(r.msg, sizeof r.msg, "%s", trap.message);
        }
    }
    free(imports);
    pvf_store_free(store);
    return r;
}

static void describe(const run_result *r, char *out, size_t outlen)
{
    switch (r->what) {
    case SETUP_FAILED:
        snprintf(out, outlen, "setup failed: %s", r->msg);
        break;
    case INSTANTIATION_TRAPPED:
        snprintf(out, outlen, "instantiation trapped: %s (%s)", trap_name(r->trap), r->msg);
        break;
    case RETURNED:
        if (r->has_result)
            snprintf(out, outlen, "returned %u", r->result);
        else
            snprintf(out, outlen, "returned (no result)");
        break;
    case TRAPPED:
        snprintf(out, outlen, "trapped: %s (%s)", trap_name(r->trap), r->msg);
        break;
    }
}

/* ---- the cases ---- */

typedef struct counts {
    unsigned cases, calls, failures;
} counts;

#define CASE_FAIL(c, ...)                                                  \
    do {                                                                   \
        test_fail(__FILE__, __LINE__, __VA_ARGS__);                        \
        (c)->failures++;                                                   \
    } while (0)

static void check_ok_at_max(counts *c, const pvf_code *code, const char *label, const char *entry,
                            uint32_t n, const json_value *want_v)
{
    int64_t want = 0;
    bool want_result = json_number_i64(want_v, &want);
    run_result r = run_fresh(code, entry, n);
    char got[700];
    describe(&r, got, sizeof got);
    c->calls++;
    if (r.what != RETURNED)
        CASE_FAIL(c, "%s entry %s n=%u: expected normal return%s, got %s", label, entry, n,
                  want_result ? " with a result" : "", got);
    else if (r.has_result && want_result && r.result != (uint32_t)want)
        CASE_FAIL(c, "%s entry %s n=%u: expected result %lld, got %s", label, entry, n,
                  (long long)want, got);
    else if (r.has_result != want_result)
        CASE_FAIL(c, "%s entry %s n=%u: result_at_max %s but the entry %s", label, entry, n,
                  want_result ? "given" : "absent", r.has_result ? "returns one" : "returns none");
}

static void check_traps_past_max(counts *c, const pvf_code *code, const char *label,
                                 const char *entry, uint32_t n)
{
    run_result r = run_fresh(code, entry, n);
    char got[700];
    describe(&r, got, sizeof got);
    c->calls++;
    if (r.what != TRAPPED || r.trap != PVF_TRAP_UNREACHABLE)
        CASE_FAIL(c, "%s entry %s n=%u: expected trap unreachable, got %s", label, entry, n, got);
}

static void check_instantiation_traps(counts *c, const pvf_code *code, const char *label,
                                      const char *entry, const char *want)
{
    run_result r = run_fresh(code, entry, 0);
    char got[700];
    describe(&r, got, sizeof got);
    c->calls++;
    if (r.what != INSTANTIATION_TRAPPED || r.trap != PVF_TRAP_UNREACHABLE)
        CASE_FAIL(c, "%s: expected instantiation to trap with %s, got %s", label, want, got);
}

static void check_run(counts *c, const pvf_code *code, const char *label, const json_value *run)
{
    const char *entry = json_get_string(run, "entry");
    const char *inst_trap = json_get_string(run, "instantiation_traps");
    uint64_t max_ok = 0;
    if (!entry) {
        CASE_FAIL(c, "%s: a run without \"entry\"", label);
        return;
    }
    if (inst_trap) {
        check_instantiation_traps(c, code, label, entry, inst_trap);
        return;
    }
    if (!json_number_u64(json_get(run, "max_ok_n"), &max_ok) || max_ok >= UINT32_MAX) {
        CASE_FAIL(c, "%s entry %s: max_ok_n is not an i32 count", label, entry);
        return;
    }
    check_ok_at_max(c, code, label, entry, (uint32_t)max_ok, json_get(run, "result_at_max"));
    check_traps_past_max(c, code, label, entry, (uint32_t)max_ok + 1);
}

static pvf_code *prepare_case(counts *c, const char *label, const char *wasm_rel, uint32_t limit,
                              uint64_t want_thunks)
{
    char rel[512];
    snprintf(rel, sizeof rel, "stack-limiter/%s", wasm_rel);
    const char *path = test_data_path(rel);
    if (!path)
        return NULL;
    size_t len = 0;
    uint8_t *wasm = test_read_file(path, &len);
    if (!wasm) {
        CASE_FAIL(c, "%s: cannot read %s", label, path);
        return NULL;
    }
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, PVF_PROFILE_PVF);
    cfg.stack_logical_max = limit;
    uint8_t *art = NULL;
    size_t art_len = 0;
    pvf_prepare_stats st = { 0 };
    char err[512] = "";
    pvf_code *code = NULL;
    if (!pvf_prepare(wasm, len, &cfg, &art, &art_len, &st, err, sizeof err))
        CASE_FAIL(c, "%s: prepare failed: %s", label, err);
    else if (!(code = pvf_code_load(art, art_len, err, sizeof err)))
        CASE_FAIL(c, "%s: artifact does not load: %s", label, err);
    else if (st.thunks != want_thunks)
        CASE_FAIL(c, "%s: %u thunks, the crate adds %llu", label, st.thunks,
                  (unsigned long long)want_thunks);
    free(art);
    free(wasm);
    return code;
}

static void check_case(counts *c, const json_value *cs)
{
    const char *name = json_get_string(cs, "name");
    const char *wasm_rel = json_get_string(cs, "wasm");
    uint64_t limit = 0, thunks = 0;
    char label[256];
    if (!name || !wasm_rel || !json_number_u64(json_get(cs, "limit"), &limit) ||
        limit > UINT32_MAX || !json_number_u64(json_get(cs, "thunks"), &thunks)) {
        CASE_FAIL(c, "case %u: missing name, wasm, limit or thunks", c->cases);
        return;
    }
    snprintf(label, sizeof label, "%s limit=%llu", name, (unsigned long long)limit);
    c->cases++;
    pvf_code *code = prepare_case(c, label, wasm_rel, (uint32_t)limit, thunks);
    if (!code)
        return;
    const json_value *runs = json_get(cs, "runs");
    if (json_array_len(runs) == 0)
        CASE_FAIL(c, "%s: no runs", label);
    for (size_t i = 0; i < json_array_len(runs); i++)
        check_run(c, code, label, json_array_at(runs, i));
    pvf_code_free(code);
}


TEST(stack_depth_matches_reference)
{
    json_value *doc = test_load_json("stack-limiter/cases.json");
    if (!doc)
        return;
    const json_value *cases = json_get(doc, "cases");
    CHECK(json_array_len(cases) > 0);
    counts c = { 0 };
    for (size_t i = 0; i < json_array_len(cases); i++)
        check_case(&c, json_array_at(cases, i));
    fprintf(stderr, "  stack depth: %u cases, %u fresh-instance calls, %u mismatches\n", c.cases,
            c.calls, c.failures);
    json_free(doc);
}

/* ---- a real runtime ---- */

/* The kagome adder's entry in stack-limiter/runtimes.json. */
static const json_value *runtime_entry(const json_value *runtimes, const char *file)
{
    for (size_t i = 0; i < json_array_len(runtimes); i++) {
        const char *f = json_get_string(json_array_at(runtimes, i), "file");
        if (f && strcmp(f, file) == 0)
            return json_array_at(runtimes, i);
    }
    return NULL;
}

TEST(stack_depth_adder_runtime_prepares)
{
    const char *file = "pvf/kagome__pvf_hex_adder.wasm";
    const char *path = test_data_path(file);
    if (!path)
        return;
    size_t len = 0;
    uint8_t *wasm = test_read_file(path, &len);
    CHECK(wasm != NULL);
    if (!wasm)
        return;
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, PVF_PROFILE_PVF);
    CHECK_EQ_U64(cfg.stack_logical_max, PVF_REF_LOGICAL_STACK_MAX);
    uint8_t *art = NULL;
    size_t art_len = 0;
    pvf_prepare_stats st = { 0 };
    char err[512] = "";
    bool ok = pvf_prepare(wasm, len, &cfg, &art, &art_len, &st, err, sizeof err);
    if (!ok)
        test_fail(__FILE__, __LINE__, "prepare %s failed: %s", file, err);
    CHECK(st.thunks > 0);
    CHECK_EQ_U64(st.wasm_size, len);
    CHECK_EQ_U64(st.artifact_size, art_len);

    /* The exact numbers the crate produced for this module, at limit 65536. */
    json_value *doc = test_load_json("stack-limiter/runtimes.json");
    const json_value *want = runtime_entry(doc, file);
    uint64_t thunks = 0, funcs = 0;
    if (doc && json_number_u64(json_get(want, "thunks_added"), &thunks) &&
        json_number_u64(json_get(want, "defined_funcs"), &funcs)) {
        CHECK_EQ_U64(st.thunks, thunks);
        CHECK_EQ_U64(st.functions, funcs);
    } else if (doc) {
        test_fail(__FILE__, __LINE__, "runtimes.json has no usable entry for %s", file);
    }
    json_free(doc);

    pvf_code *code = ok ? pvf_code_load(art, art_len, err, sizeof err) : NULL;
    if (ok && !code)
        test_fail(__FILE__, __LINE__, "artifact of %s does not load: %s", file, err);
    fprintf(stderr, "  adder: %zu wasm bytes -> %zu artifact bytes, %u functions, %u thunks\n",
            st.wasm_size, st.artifact_size, st.functions, st.thunks);
    pvf_code_free(code);
    free(art);
    free(wasm);
}

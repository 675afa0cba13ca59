/*
 * test_difftest.c — the engine against V8 on random modules.
 *
 * tests/gen/difftest.js generated the modules in tests/data/difftest/ and ran
 * every call in V8 (node 20), one fresh instance per call; expected.json holds
 * what V8 returned or how it trapped. Here every module is prepared, loaded and
 * called the same way:
 *
 *   profile "mvp"   (MVP + mutable globals) in the pvf profile, with the stack
 *                   limiter and NaN canonicalisation, AND in the full profile;
 *   profile "full"  (multi-value, sign-ext, sat-trunc, bulk memory) in full only.
 *
 * Results must be bit-exact, except that any NaN matches any NaN: NaN bit
 * patterns are nondeterministic in wasm and pvf canonicalises them (the
 * generator keeps NaN bits from reaching integer results). Traps must be of the
 * same kind. Each mismatch is reported with module, profile, export, arguments,
 * expected and actual outcome; reproduce one with `wasm2wat` on the module.
 *
 * Paths are relative to the repository root, the tests' working directory.
 * PVF_DIFFTEST_DIR points the test at another generated set, for a longer
 * campaign: `node tests/gen/difftest.js --seed 7 --count 3000 [--big] --out /tmp/dt`
 * then `PVF_DIFFTEST_DIR=/tmp/dt build/bin/pvf-unit-tests difftest`.
 */
#include "test.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"
#include "util/json.h"

#define DIFFTEST_DIR "tests/data/difftest"
#define MAX_VALUES 16           /* params or results of one call; the generator uses at most 4 */
#define MAX_REPORTED 40         /* mismatches printed per profile; all are counted */

typedef struct diff_run {
    const char *dir;
    pvf_profile profile;
    const char *profile_name;
    unsigned modules, calls, mismatches;
} diff_run;

/* ---- values ---- */

static bool parse_type(const char *s, uint8_t *type)
{
    static const struct { const char *name; uint8_t type; } types[] = {
        { "i32", PVF_I32 }, { "i64", PVF_I64 }, { "f32", PVF_F32 }, { "f64", PVF_F64 },
    };
    for (size_t i = 0; s && i < sizeof types / sizeof types[0]; i++) {
        if (!strcmp(s, types[i].name)) {
            *type = types[i].type;
            return true;
        }
    }
    return false;
}

static const char *type_name(uint8_t type)
{
    switch (type) {
    case PVF_I32: return "i32";
    case PVF_I64: return "i64";
    case PVF_F32: return "f32";
    case PVF_F64: return "f64";
    }
    return "?";
}

/* {"type": "i32", "value": "<unsigned decimal bits>"}; 32-bit values must fit in 32 bits. */
static bool parse_value(const json_value *v, uint8_t *type, uint64_t *bits)
{
    const char *digits = json_get_string(v, "value");
    if (!parse_type(json_get_string(v, "type"), type) || !digits || !*digits)
        return false;
    uint64_t x = 0;
    for (const char *p = digits; *p; p++) {
        if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if ((*type == PVF_I32 || *type == PVF_F32) && x > UINT32_MAX)
        return false;
    *bits = x;
    return true;
}

static bool is_nan(uint8_t type, uint64_t bits)
{
    if (type == PVF_F32)
        return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu);
    if (type == PVF_F64)
        return (bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0x000fffffffffffffull);
    return false;
}

static bool same_value(uint8_t type, uint64_t want, uint64_t got)
{
    if (is_nan(type, want))
        return is_nan(type, got);
    return want == got;
}

/* "i32:5" for integers, "f32:0x3f800000" for floats; appended to buf. */
static void append_value(char *buf, size_t size, uint8_t type, uint64_t bits)
{
    size_t n = strlen(buf);
    if (n >= size)
        return;
    if (type == PVF_I32 || type == PVF_I64)
        snprintf(buf + n, size - n, "%s:%" PRIu64, type_name(type), bits);
    else
        snprintf(buf + n, size - n, "%s:0x%0*" PRIx64, type_name(type), type == PVF_F32 ? 8 : 16, bits);
}

static void format_values(char *buf, size_t size, const uint8_t *types, const uint64_t *bits, uint32_t n)
{
    buf[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t n = strlen(buf);
        if (i && n < size)
            snprintf(buf + n, size - n, ", ");
        append_value(buf, size, types[i], bits[i]);
    }
}

/* ---- one call ---- */

typedef struct expected_call {
    const char *export_name;
    uint32_t nargs, nresults;
    uint8_t arg_types[MAX_VALUES], result_types[MAX_VALUES];
    uint64_t args[MAX_VALUES], results[MAX_VALUES];
    const char *trap;       /* the spec text of the expected trap, or NULL */
} expected_call;

static bool parse_values(const json_value *arr, uint8_t *types, uint64_t *bits, uint32_t *n)
{
    size_t len = json_array_len(arr);
    if (json_type_of(arr) != JSON_ARRAY || len > MAX_VALUES)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!parse_value(json_array_at(arr, i), &types[i], &bits[i]))
            return false;
    *n = (uint32_t)len;
    return true;
}

static bool parse_call(const json_value *call, expected_call *e)
{
    memset(e, 0, sizeof *e);
    e->export_name = json_get_string(call, "export");
    e->trap = json_get_string(call, "trap");
    if (!e->export_name || !parse_values(json_get(call, "args"), e->arg_types, e->args, &e->nargs))
        return false;
    return e->trap || parse_values(json_get(call, "results"), e->result_types, e->results, &e->nresults);
}

static void mismatch(diff_run *run, const char *module, const expected_call *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void mismatch(diff_run *run, const char *module, const expected_call *e, const char *fmt, ...)
{
    run->mismatches++;
    if (run->mismatches > MAX_REPORTED)
        return;
    char args[512], what[512];
    format_values(args, sizeof args, e->arg_types, e->args, e->nargs);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    test_fail(__FILE__, __LINE__, "%s [%s] %s(%s): %s", module, run->profile_name, e->export_name, args, what);
}

/* The export's type must be the one V8 was called with. */
static bool signature_matches(const pvf_functype *t, const expected_call *e)
{
    if (t->nparams != e->nargs || (!e->trap && t->nresults != e->nresults) || t->nresults > MAX_VALUES)
        return false;
    for (uint32_t i = 0; i < e->nargs; i++)
        if (t->types[i] != e->arg_types[i])
            return false;
    for (uint32_t i = 0; !e->trap && i < e->nresults; i++)
        if (t->types[t->nparams + i] != e->result_types[i])
            return false;
    return true;
}

static void compare_outcome(diff_run *run, const char *module, const expected_call *e, const pvf_functype *t,
                            pvf_trap_kind kind, const pvf_trap *trap, const uint64_t *results)
{
    char want[512], got[512];
    if (e->trap) {
        if (kind == PVF_TRAP_NONE) {
            format_values(got, sizeof got, t->types + t->nparams, results, t->nresults);
            mismatch(run, module, e, "expected trap \"%s\", got results (%s)", e->trap, got);
        } else if (strcmp(pvf_trap_kind_text(kind), e->trap)) {
            mismatch(run, module, e, "expected trap \"%s\", got trap \"%s\" (%s)", e->trap,
                     pvf_trap_kind_text(kind), trap->message);
        }
        return;
    }
    format_values(want, sizeof want, e->result_types, e->results, e->nresults);
    if (kind != PVF_TRAP_NONE) {
        mismatch(run, module, e, "expected (%s), got trap \"%s\" (%s)", want, pvf_trap_kind_text(kind),
                 trap->message);
        return;
    }
    for (uint32_t i = 0; i < e->nresults; i++) {
        if (!same_value(e->result_types[i], e->results[i], results[i])) {
            format_values(got, sizeof got, e->result_types, results, e->nresults);
            mismatch(run, module, e, "expected (%s), got (%s)", want, got);
            return;
        }
    }
}

/* Instantiate afresh (V8 did too: a trap or a global write must not leak into the next call). */
static void run_call(diff_run *run, const char *module, const pvf_code *code, const json_value *call)
{
    expected_call e;
    if (!parse_call(call, &e)) {
        test_fail(__FILE__, __LINE__, "%s: malformed call entry in expected.json", module);
        return;
    }
    run->calls++;
    char err[512] = "";
    pvf_trap trap = { 0 };
    pvf_store *store = pvf_store_new();
    CHECK(store != NULL);
    if (!store)
        return;
    pvf_instance *inst = pvf_instantiate(store, code, NULL, false, &trap, err, sizeof err);
    pvf_extern ext;
    if (!inst) {
        mismatch(run, module, &e, "instantiation failed: %s%s", err, trap.message);
    } else if (!pvf_instance_export(inst, e.export_name, &ext) || ext.kind != PVF_EXTERN_FUNC) {
        mismatch(run, module, &e, "no exported function of that name");
    } else if (!signature_matches(pvf_func_type(ext.u.func), &e)) {
        mismatch(run, module, &e, "the export's type differs from expected.json's");
    } else {
        const pvf_functype *t = pvf_func_type(ext.u.func);
        uint64_t results[MAX_VALUES] = { 0 };
        pvf_trap_kind kind = pvf_call(ext.u.func, e.args, results, &trap);
        compare_outcome(run, module, &e, t, kind, &trap, results);
    }
    pvf_store_free(store);
}

/* ---- one module ---- */

static pvf_code *prepare_module(const char *dir, const char *module, const pvf_engine_config *cfg,
                                const char *profile_name)
{
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/%s", dir, module);
    size_t len = 0;
    uint8_t *wasm = test_read_file(path, &len);
    if (!wasm) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return NULL;
    }
    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    pvf_code *code = NULL;
    if (!pvf_prepare(wasm, len, cfg, &artifact, &artifact_len, NULL, err, sizeof err))
        test_fail(__FILE__, __LINE__, "%s [%s]: prepare failed: %s", module, profile_name, err);
    else if (!(code = test_load_code(artifact, artifact_len, err, sizeof err)))
        test_fail(__FILE__, __LINE__, "%s [%s]: loading the artifact failed: %s", module, profile_name, err);
    free(artifact);
    free(wasm);
    return code;
}

static void run_module(diff_run *run, const json_value *m)
{
    const char *module = json_get_string(m, "module");
    const char *family = json_get_string(m, "profile");
    const json_value *calls = json_get(m, "calls");
    if (!module || !family || (strcmp(family, "mvp") && strcmp(family, "full")) ||
        json_type_of(calls) != JSON_ARRAY || strchr(module, '/')) {
        test_fail(__FILE__, __LINE__, "malformed module entry in expected.json");
        return;
    }
    if (run->profile == PVF_PROFILE_PVF && strcmp(family, "mvp"))
        return;     /* post-MVP features: the pvf profile rejects these modules */
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, run->profile);
    pvf_code *code = prepare_module(run->dir, module, &cfg, run->profile_name);
    if (!code)
        return;
    run->modules++;
    for (size_t i = 0; i < json_array_len(calls); i++)
        run_call(run, module, code, json_array_at(calls, i));
    pvf_code_free(code);
}

static void run_profile(pvf_profile profile, const char *profile_name)
{
    const char *dir = getenv("PVF_DIFFTEST_DIR");
    if (!dir || !*dir)
        dir = DIFFTEST_DIR;
    char path[1024];
    snprintf(path, sizeof path, "%s/expected.json", dir);
    size_t len = 0;
    char *text = (char *)test_read_file(path, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s (run from the repository root)", path);
        return;
    }
    char err[128];
    json_value *doc = json_parse(text, len, err, sizeof err);
    free(text);
    if (!doc) {
        test_fail(__FILE__, __LINE__, "%s: %s", path, err);
        return;
    }
    diff_run run = { .dir = dir, .profile = profile, .profile_name = profile_name };
    const json_value *modules = json_get(doc, "modules");
    for (size_t i = 0; i < json_array_len(modules); i++)
        run_module(&run, json_array_at(modules, i));
    json_free(doc);
    CHECK(run.modules > 0);
    if (run.mismatches > MAX_REPORTED)
        test_fail(__FILE__, __LINE__, "... %u more mismatches not shown", run.mismatches - MAX_REPORTED);
    printf("  difftest [%s]: %u modules, %u calls, %u mismatches\n", profile_name, run.modules, run.calls,
           run.mismatches);
}

TEST(difftest_v8_full)
{
    run_profile(PVF_PROFILE_FULL, "full");
}

TEST(difftest_v8_pvf)
{
    run_profile(PVF_PROFILE_PVF, "pvf");
}

/* The same modules and calls on the interpreter: V8's results again, so both tiers agree. */
TEST(difftest_v8_full_interp)
{
    test_tier_interp = true;
    run_profile(PVF_PROFILE_FULL, "full, interpreter");
    test_tier_interp = false;
}

TEST(difftest_v8_pvf_interp)
{
    test_tier_interp = true;
    run_profile(PVF_PROFILE_PVF, "pvf, interpreter");
    test_tier_interp = false;
}

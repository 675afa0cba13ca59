/*
 * test_nans.c — NaN bits against the reference's, through executed wasm.
 *
 * The reference compiles PVFs with Cranelift's NaN canonicalisation on: after
 * fadd, fsub, fmul, fdiv, fmin, fmax, sqrt, ceil, floor, trunc, nearest,
 * fpromote and fdemote (cranelift/codegen/src/nan_canonicalization.rs,
 * `is_fp_arith`, wasmtime v35.0.0) a NaN result becomes the positive canonical
 * NaN (`Ieee32::NAN` = 0x7FC00000, `Ieee64::NAN` = 0x7FF8000000000000,
 * cranelift/codegen/src/ir/immediates.rs). Sign-bit operations (neg, abs,
 * copysign), moves and memory keep the bits, as the wasm spec requires.
 * tests/fixtures/engine/nans.wat has one export per case; the bits expected
 * here are those literals, not pvf's own constants.
 */
#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"
#include "test.h"

#define REF_CANON_NAN32 0x7FC00000u
#define REF_CANON_NAN64 0x7FF8000000000000ull

/* Exports whose result the reference canonicalises (the first 16 are f32). */
static const char *const CANONICALISED[] = {
    "f32.add", "f32.sub", "f32.mul", "f32.div", "f32.min", "f32.max", "f32.sqrt", "f32.ceil",
    "f32.floor", "f32.trunc", "f32.nearest", "f32.demote_f64", "f32.div_zero", "f32.sub_inf",
    "f32.mul_zero_inf", "f32.sqrt_neg",
    "f64.add", "f64.sub", "f64.mul", "f64.div", "f64.min", "f64.max", "f64.sqrt", "f64.ceil",
    "f64.floor", "f64.trunc", "f64.nearest", "f64.promote_f32", "f64.div_zero", "f64.sub_inf",
    "f64.mul_zero_inf", "f64.sqrt_neg",
};

/* Exports whose bits must come out as they went in (or with only the sign changed). */
static const struct { const char *name; uint64_t bits; } KEPT[] = {
    { "f32.neg", 0x7FA00001u }, { "f32.abs", 0x7FA00001u }, { "f32.copysign", 0x7FA00001u },
    { "f32.store_load", 0xFFA00001u }, { "f32.select", 0xFFA00001u },
    { "f64.neg", 0x7FF4000000000001ull }, { "f64.abs", 0x7FF4000000000001ull },
    { "f64.copysign", 0x7FF4000000000001ull }, { "f64.store_load", 0xFFF4000000000001ull },
    { "f64.select", 0xFFF4000000000001ull },
};

static bool is_f32_name(const char *name)
{
    return !strncmp(name, "f32.", 4);
}

static bool is_nan_bits(const char *name, uint64_t bits)
{
    if (is_f32_name(name))
        return (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0;
    return (bits & 0x7FF0000000000000ull) == 0x7FF0000000000000ull &&
           (bits & 0x000FFFFFFFFFFFFFull) != 0;
}

typedef struct nan_module {
    uint8_t *artifact;
    pvf_code *code;
    pvf_store *store;
    pvf_instance *inst;
} nan_module;

static bool nan_module_open(pvf_profile profile, nan_module *nm)
{
    memset(nm, 0, sizeof *nm);
    size_t n, len;
    uint8_t *wasm = test_read_file("tests/fixtures/engine/nans.wasm", &n);
    if (!wasm) {
        test_fail(__FILE__, __LINE__, "cannot read tests/fixtures/engine/nans.wasm");
        return false;
    }
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, profile);
    char err[256];
    bool ok = pvf_prepare(wasm, n, &cfg, &nm->artifact, &len, NULL, err, sizeof err);
    free(wasm);
    if (ok)
        nm->code = pvf_code_load(nm->artifact, len, err, sizeof err);
    if (nm->code) {
        nm->store = pvf_store_new();
        nm->inst = pvf_instantiate(nm->store, nm->code, NULL, false, NULL, NULL, 0);
    }
    if (!nm->inst)
        test_fail(__FILE__, __LINE__, "nans.wasm: %s", nm->code ? "instantiation failed" : err);
    return nm->inst != NULL;
}

static void nan_module_close(nan_module *nm)
{
    pvf_store_free(nm->store);
    pvf_code_free(nm->code);
    free(nm->artifact);
}

/* The result bits of export `name`, zero-extended; false (a failed check) if it trapped. */
static bool result_bits(const nan_module *nm, const char *name, uint64_t *bits)
{
    pvf_extern e;
    uint64_t res[1] = { 0 };
    pvf_trap trap;
    if (!pvf_instance_export(nm->inst, name, &e) || e.kind != PVF_EXTERN_FUNC) {
        test_fail(__FILE__, __LINE__, "nans.wasm has no export %s", name);
        return false;
    }
    if (pvf_call(e.u.func, NULL, res, &trap) != PVF_TRAP_NONE) {
        test_fail(__FILE__, __LINE__, "%s trapped", name);
        return false;
    }
    *bits = is_f32_name(name) ? (uint32_t)res[0] : res[0];
    return true;
}

TEST(nans_pvf_profile_gives_the_reference_canonical_bits)
{
    nan_module nm;
    if (!nan_module_open(PVF_PROFILE_PVF, &nm))
        return;
    for (size_t i = 0; i < sizeof CANONICALISED / sizeof CANONICALISED[0]; i++) {
        const char *name = CANONICALISED[i];
        uint64_t bits, want = is_f32_name(name) ? REF_CANON_NAN32 : REF_CANON_NAN64;
        if (result_bits(&nm, name, &bits) && bits != want)
            test_fail(__FILE__, __LINE__, "%s: bits 0x%llx, the reference gives 0x%llx", name,
                      (unsigned long long)bits, (unsigned long long)want);
    }
    for (size_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
        uint64_t bits;
        if (result_bits(&nm, KEPT[i].name, &bits) && bits != KEPT[i].bits)
            test_fail(__FILE__, __LINE__, "%s: bits 0x%llx, expected 0x%llx", KEPT[i].name,
                      (unsigned long long)bits, (unsigned long long)KEPT[i].bits);
    }
    nan_module_close(&nm);
}

/* Without canonicalisation (full profile) a NaN stays a NaN, and the kept bits stay kept. */
TEST(nans_full_profile_keeps_nans_and_bits)
{
    nan_module nm;
    if (!nan_module_open(PVF_PROFILE_FULL, &nm))
        return;
    for (size_t i = 0; i < sizeof CANONICALISED / sizeof CANONICALISED[0]; i++) {
        uint64_t bits;
        if (result_bits(&nm, CANONICALISED[i], &bits) && !is_nan_bits(CANONICALISED[i], bits))
            test_fail(__FILE__, __LINE__, "%s: 0x%llx is not a NaN", CANONICALISED[i],
                      (unsigned long long)bits);
    }
    for (size_t i = 0; i < sizeof KEPT / sizeof KEPT[0]; i++) {
        uint64_t bits;
        if (result_bits(&nm, KEPT[i].name, &bits) && bits != KEPT[i].bits)
            test_fail(__FILE__, __LINE__, "%s: bits 0x%llx, expected 0x%llx", KEPT[i].name,
                      (unsigned long long)bits, (unsigned long long)KEPT[i].bits);
    }
    nan_module_close(&nm);
}

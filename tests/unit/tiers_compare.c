/* tiers_compare.c — the two engine tiers on the same calls (see tiers_compare.h). */
#include "tiers_compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"
#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"

#define MAX_CALLS 64

/* Every body free of loops and indirect calls, calls going only to later functions. */
static bool terminates(const uint8_t *data, size_t size)
{
    wasm_module m;
    wasm_error e = { 0 };
    if (!wasm_decode(data, size, &WASM_FEATURES_FULL, &m, &e))
        return false;
    bool ok = m.nfunc_imports == 0;
    for (uint32_t f = 0; ok && f < m.nfuncs; f++) {
        wasm_reader r;
        wasm_reader_init(&r, m.funcs[f].code, m.funcs[f].code_len, 0, &e);
        while (ok && r.p < r.end) {
            uint8_t op;
            uint32_t fc;
            if (!wasm_read_u8(&r, &op))
                break;
            if (op == 0x03 || op == 0x11) {             /* loop, call_indirect */
                ok = false;
            } else if (op == 0x10) {                    /* call */
                uint32_t callee;
                ok = wasm_read_u32(&r, &callee) && callee > f;
            } else if (!wasm_skip_immediates(&r, op, &fc)) {
                break;                                  /* the validator will refuse it */
            }
        }
    }
    wasm_module_free(&m);
    return ok;
}

typedef struct outcome {
    pvf_trap_kind trap;
    uint32_t nframes;                           /* the trap's backtrace */
    uint32_t frames[PVF_TRAP_FRAMES_MAX];
    uint64_t results[16];
    uint64_t memory_hash;
    uint64_t globals[16];
} outcome;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Call export i on a fresh instance; false when it is not a function we can call. */
static bool run_export(pvf_code *code, uint32_t i, const uint64_t *args, outcome *out)
{
    pvf_extern_desc d;
    pvf_code_export(code, i, &d);
    if (d.kind != PVF_EXTERN_FUNC || d.func.nparams > 16 || d.func.nresults > 16)
        return false;
    memset(out, 0, sizeof *out);
    pvf_store *store = pvf_store_new();
    if (!store)
        return false;
    pvf_trap trap;
    char err[256];
    pvf_instance *inst = pvf_instantiate(store, code, NULL, true, &trap, err, sizeof err);
    if (!inst) {
        out->trap = trap.kind ? trap.kind : PVF_TRAP_HOST;
        pvf_store_free(store);
        return true;
    }
    pvf_extern fx;
    if (!pvf_instance_export_n(inst, d.name, d.name_len, &fx) || fx.kind != PVF_EXTERN_FUNC) {
        pvf_store_free(store);
        return false;
    }
    out->trap = pvf_call(fx.u.func, args, out->results, &trap);
    if (out->trap != PVF_TRAP_NONE) {
        out->nframes = trap.nframes;
        memcpy(out->frames, trap.frames, sizeof out->frames);
    }
    pvf_extern mem;
    if (pvf_instance_export(inst, "memory", &mem) && mem.kind == PVF_EXTERN_MEMORY)
        out->memory_hash = fnv(pvf_memory_data(mem.u.memory), (size_t)pvf_memory_size(mem.u.memory));
    uint32_t ng = 0;
    for (uint32_t j = 0; j < pvf_code_export_count(code) && ng < 16; j++) {
        pvf_extern_desc g;
        pvf_extern ge;
        pvf_code_export(code, j, &g);
        if (g.kind == PVF_EXTERN_GLOBAL && pvf_instance_export_n(inst, g.name, g.name_len, &ge))
            out->globals[ng++] = pvf_global_get(ge.u.global);
    }
    pvf_store_free(store);
    return true;
}

static bool compare(pvf_code *interp, pvf_code *native, const uint8_t *data, size_t size, tiers_stats *st,
                    char *why, size_t whylen)
{
    uint64_t seed = fnv(data, size), args[16];
    uint32_t n = pvf_code_export_count(interp);
    for (uint32_t i = 0; i < n && i < MAX_CALLS; i++) {
        for (int a = 0; a < 16; a++) {          /* small numbers, edge values, random bits */
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t v = seed >> 11;
            args[a] = (seed >> 60) < 4 ? v & 7 : (seed >> 60) < 6 ? ~(v & 3) : (seed >> 60) < 8 ? 1ull << (v & 63) : v;
        }
        outcome a, b;
        if (!run_export(interp, i, args, &a) || !run_export(native, i, args, &b))
            continue;
        st->calls++;
        if (a.trap != b.trap || (a.trap == PVF_TRAP_NONE && memcmp(a.results, b.results, sizeof a.results)) ||
            a.memory_hash != b.memory_hash || memcmp(a.globals, b.globals, sizeof a.globals)) {
            snprintf(why, whylen, "tiers disagree on export %u: trap %d vs %d, result0 %llx vs %llx, memory %llx vs %llx",
                     i, a.trap, b.trap, (unsigned long long)a.results[0], (unsigned long long)b.results[0],
                     (unsigned long long)a.memory_hash, (unsigned long long)b.memory_hash);
            return false;
        }
        if (a.nframes != b.nframes || memcmp(a.frames, b.frames, sizeof a.frames)) {
            snprintf(why, whylen, "tiers disagree on export %u's backtrace: %u frames (innermost f%u) vs %u (f%u)",
                     i, a.nframes, a.frames[0], b.nframes, b.frames[0]);
            return false;
        }
    }
    return true;
}

static bool run_profile(pvf_profile profile, const uint8_t *data, size_t size, tiers_stats *st, char *why,
                        size_t whylen)
{
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, profile);
    cfg.tier = PVF_TIER_INTERP;
    uint8_t *artifact = NULL;
    size_t len = 0;
    char err[512];
    if (!pvf_prepare(data, size, &cfg, &artifact, &len, NULL, err, sizeof err))
        return true;
    pvf_code *interp = pvf_code_load(artifact, len, err, sizeof err);
    pvf_code *native = pvf_code_load(artifact, len, err, sizeof err);
    bool same = true;
    if (interp && native && pvf_code_use_native(native, err, sizeof err)) {
        st->modules++;
        same = compare(interp, native, data, size, st, why, whylen);
    }
    pvf_code_free(interp);
    pvf_code_free(native);
    free(artifact);
    return same;
}

bool tiers_agree(const uint8_t *wasm, size_t len, tiers_stats *st, char *why, size_t whylen)
{
    if (!terminates(wasm, len))
        return true;
    return run_profile(PVF_PROFILE_FULL, wasm, len, st, why, whylen) &&
           run_profile(PVF_PROFILE_PVF, wasm, len, st, why, whylen);
}


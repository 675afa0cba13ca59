/*
 * test_backtrace.c — a trap's wasm backtrace (pvf_trap.frames, pvf_trap_backtrace) on both
 * engine tiers: tests/fixtures/engine/backtrace.wat traps at the bottom of a few calls — a
 * memory access past the end (the native tier's guard-page fault), a division by zero (an
 * explicit check), a conversion (an op the native tier leaves to the interpreter), a table
 * index in the caller itself — and recurses without end. The expected frames are the call
 * chains written in the .wat, innermost first, named from its name section.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"

typedef struct traced {
    pvf_trap_kind kind;
    pvf_trap trap;
    char text[512];
} traced;

/* Call `name`(args) on a fresh instance of backtrace.wasm on `tier`. */
static bool run_traced(pvf_tier tier, const char *name, const uint64_t *args, traced *out)
{
    test_fixture fx;
    if (!test_fixture_open(&fx, "tests/fixtures/engine/backtrace.wasm", PVF_PROFILE_FULL, tier))
        return false;
    pvf_extern f;
    bool ok = pvf_instance_export(fx.inst, name, &f);
    if (ok) {
        uint64_t res[1] = { 0 };
        out->kind = pvf_call(f.u.func, args, res, &out->trap);
        pvf_trap_backtrace(&out->trap, fx.code, out->text, sizeof out->text);
    } else {
        test_fail(__FILE__, __LINE__, "backtrace.wasm: no export %s", name);
    }
    test_fixture_close(&fx);
    return ok;
}

/* Both tiers trap with `kind` and the backtrace `want`. */
static void check_trace(const char *name, const uint64_t *args, pvf_trap_kind kind, const char *want)
{
    static const pvf_tier tiers[] = { PVF_TIER_INTERP, PVF_TIER_NATIVE };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        traced t;
        if (tiers[i] == PVF_TIER_NATIVE && PVF_TIER_DEFAULT != PVF_TIER_NATIVE)
            continue;                       /* no native tier on this platform */
        if (!run_traced(tiers[i], name, args, &t))
            continue;
        CHECK(t.kind == kind);
        CHECK_STR_EQ(t.text, want);
    }
}

TEST(backtrace_names_every_frame_innermost_first)
{
    check_trace("outer", (uint64_t[]){ 65536, 1 }, PVF_TRAP_MEMORY_OUT_OF_BOUNDS,
                "#0 f0 leaf_load, #1 f2 middle, #2 f3 outer");
    check_trace("outer", (uint64_t[]){ 0, 0 }, PVF_TRAP_INTEGER_DIVIDE_BY_ZERO,
                "#0 f1 leaf_div, #1 f2 middle, #2 f3 outer");
    uint64_t big;
    double d = 1e300;
    memcpy(&big, &d, sizeof big);
    check_trace("conv", (uint64_t[]){ big }, PVF_TRAP_INTEGER_OVERFLOW, "#0 f4 conv_leaf, #1 f5 conv");
    check_trace("indirect", (uint64_t[]){ 7 }, PVF_TRAP_TABLE_OUT_OF_BOUNDS, "#0 f6 indirect");
}

TEST(backtrace_keeps_the_innermost_frames_and_counts_all)
{
    traced a, b;
    if (!run_traced(PVF_TIER_INTERP, "down", (uint64_t[]){ 0 }, &a) ||
        !run_traced(PVF_TIER_DEFAULT, "down", (uint64_t[]){ 0 }, &b))
        return;
    CHECK(a.kind == PVF_TRAP_STACK_EXHAUSTED);
    CHECK(b.kind == PVF_TRAP_STACK_EXHAUSTED);
    CHECK(a.trap.nframes > PVF_TRAP_FRAMES_MAX);
    CHECK_EQ_U64(a.trap.nframes, b.trap.nframes);
    CHECK(memcmp(a.trap.frames, b.trap.frames, sizeof a.trap.frames) == 0);
    CHECK_EQ_U64(a.trap.frames[PVF_TRAP_FRAMES_MAX - 1], 7);
    CHECK(strstr(a.text, "frames in all") != NULL);
}

/*
 * test_tier_limits.c — the engine's own limits fire at the same point on both tiers: an
 * unbounded recursion (tests/fixtures/engine/deep.wat) counts its frames in a global, and the
 * count when the call traps — "call stack exhausted" in the full profile (the frame and value
 * stack bounds), the stack limiter's trap in the pvf profile — must be the same on the
 * interpreter and on the native tier. A difference there would change which calls a candidate
 * completes: a verdict.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "pvf/engine.h"

/* Call `name`(0) on a fresh instance; the trap kind and the frame count it reached. */
static bool run_deep(pvf_profile profile, pvf_tier tier, const char *name, pvf_trap_kind *kind, uint32_t *depth)
{
    test_fixture fx;
    if (!test_fixture_open(&fx, "tests/fixtures/engine/deep.wasm", profile, tier))
        return false;
    pvf_extern f, d;
    bool ok = pvf_instance_export(fx.inst, name, &f) && pvf_instance_export(fx.inst, "depth", &d) &&
              d.kind == PVF_EXTERN_GLOBAL;
    if (ok) {
        uint64_t args[1] = { 0 }, res[1] = { 0 };
        pvf_trap trap;
        *kind = pvf_call(f.u.func, args, res, &trap);
        *depth = (uint32_t)pvf_global_get(d.u.global);
    } else {
        test_fail(__FILE__, __LINE__, "deep.wasm: no export %s or depth", name);
    }
    test_fixture_close(&fx);
    return ok;
}

static void same_on_both_tiers(pvf_profile profile, const char *name, pvf_trap_kind want)
{
    pvf_trap_kind ki, kn;
    uint32_t di = 0, dn = 0;
    if (!run_deep(profile, PVF_TIER_INTERP, name, &ki, &di) || !run_deep(profile, PVF_TIER_NATIVE, name, &kn, &dn))
        return;
    CHECK(ki == want);
    CHECK(kn == want);
    CHECK_EQ_U64(di, dn);
    CHECK(di > 100);        /* the limiter allows 65,536 / (frame cost): ~400 wide frames */
}

TEST(tier_limits_call_stack_exhausted_at_the_same_depth)
{
    same_on_both_tiers(PVF_PROFILE_FULL, "down", PVF_TRAP_STACK_EXHAUSTED);
    same_on_both_tiers(PVF_PROFILE_FULL, "wide", PVF_TRAP_STACK_EXHAUSTED);
}

TEST(tier_limits_stack_limiter_traps_at_the_same_depth)
{
    same_on_both_tiers(PVF_PROFILE_PVF, "down", PVF_TRAP_UNREACHABLE);
    same_on_both_tiers(PVF_PROFILE_PVF, "wide", PVF_TRAP_UNREACHABLE);
}

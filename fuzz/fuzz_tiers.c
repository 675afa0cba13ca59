/*
 * fuzz_tiers.c — libFuzzer target: the two engine tiers must agree (issue 12).
 *
 * Each input is a wasm module (the corpus: the spec suite's and difftest's modules, mutated);
 * tiers_agree (tests/unit/tiers_compare.h) runs its exports on the interpreter and on the
 * native tier, and a difference aborts (a finding: keep it in fuzz/regressions/tiers/, which
 * tests/unit/test_tiers.c replays in make test).
 *
 * Build and run: `make fuzz FUZZ_TARGET=fuzz_tiers` (fuzz/Makefile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../tests/unit/tiers_compare.h"

/* How much ran on both tiers, printed at exit: a corpus that never gets past the termination
 * filter would test nothing. */
static tiers_stats stats;

static void print_stats(void)
{
    fprintf(stderr, "fuzz_tiers: %llu modules ran on both tiers, %llu calls compared\n", stats.modules,
            stats.calls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int registered;
    if (!registered) {
        registered = 1;
        atexit(print_stats);
    }
    char why[256];
    if (!tiers_agree(data, size, &stats, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}

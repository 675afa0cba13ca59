/*
 * tiers_compare.h — do the two engine tiers agree on a module? (issue 12)
 *
 * The module is prepared (interpreter artifact) with the full and the pvf profile; each
 * artifact is loaded twice, one copy on the interpreter, one on the native tier. Every exported
 * function whose parameters and results are numbers is called on a fresh instance of each with
 * the same arguments (derived from the module's bytes): the trap kind, or the result bits, and
 * afterwards the linear memory's bytes and every exported global must be identical.
 *
 * Only modules whose functions have no `loop` and no `call_indirect`, call only functions
 * defined after themselves and import nothing are run — every call then ends. Others, and
 * modules that do not prepare, agree trivially.
 *
 * Used by the fuzzer (fuzz/fuzz_tiers.c) and by the unit test that replays its finds
 * (tests/unit/test_tiers.c).
 */
#ifndef PVF_TESTS_TIERS_COMPARE_H
#define PVF_TESTS_TIERS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tiers_stats {
    unsigned long long modules;     /* ran on both tiers */
    unsigned long long calls;       /* calls compared */
} tiers_stats;

/* False, with the difference in why, when the tiers disagree. */
bool tiers_agree(const uint8_t *wasm, size_t len, tiers_stats *st, char *why, size_t whylen);

#endif

/*
 * test_adder.c — real parachain validation: the adder test parachain on the
 * captured input and on a chain of five blocks (expected results from V8,
 * $PVF_TESTDATA/inputs/adder/), for both builds of adder; the bad block is invalid.
 */
#include <stdlib.h>
#include <string.h>

#include "pvf/runtime.h"
#include "runtime/validation.h"
#include "test.h"

static pvf_code *load_runtime(const char *rel)
{
    const char *path = test_data_path(rel);
    if (!path)
        return NULL;
    size_t len;
    uint8_t *code = test_read_file(path, &len);
    if (!code)
        return NULL;
    pvf_runtime_params p;
    pvf_runtime_params_default(&p);
    uint8_t *art = NULL;
    size_t art_len = 0;
    char err[512];
    pvf_code *c = NULL;
    if (!pvf_runtime_prepare(code, len, &p, &art, &art_len, NULL, err, sizeof err))
        test_fail(__FILE__, __LINE__, "prepare %s: %s", rel, err);
    else if (!(c = test_load_code(art, art_len, err, sizeof err)))
        test_fail(__FILE__, __LINE__, "load %s: %s", rel, err);
    free(art);
    free(code);
    return c;
}

/* Validate params file `name`, compare with the expected result file; returns the result. */
static void check_block(pvf_code *code, const char *params_rel, const char *expected_rel, pvf_call_result *r)
{
    size_t plen, elen;
    uint8_t *params = test_read_data(params_rel, &plen), *expected = test_read_data(expected_rel, &elen);
    if (!params || !expected) {
        free(params);
        free(expected);
        r->outcome = PVF_OUTCOME_ERROR;
        r->output = NULL;
        return;
    }
    pvf_runtime_validate(code, params, plen, r);
    if (r->outcome != PVF_OUTCOME_OK)
        test_fail(__FILE__, __LINE__, "%s: %s", params_rel, r->reason);
    else if (r->output_len != elen || memcmp(r->output, expected, elen))
        test_fail(__FILE__, __LINE__, "%s: result differs from %s", params_rel, expected_rel);
    /* The same in three steps, as an execute job does it (instantiated before its input). */
    pvf_runtime_instance *ri = pvf_runtime_instantiate(code, "validate_block");
    uint8_t *dst = pvf_runtime_input(ri, plen);
    CHECK(dst != NULL);
    if (dst)
        memcpy(dst, params, plen);
    pvf_call_result r3;
    pvf_runtime_validate_instance(ri, &r3);
    CHECK(r3.outcome == PVF_OUTCOME_OK && r3.output_len == elen && !memcmp(r3.output, expected, elen));
    free(r3.output);
    pvf_runtime_invoke(ri, &r3);        /* one call per instance */
    CHECK(r3.outcome == PVF_OUTCOME_ERROR);
    CHECK_STR_CONTAINS(r3.reason, "already called");
    free(r3.output);
    pvf_runtime_instance_free(ri);
    free(params);
    free(expected);
}

/* The next block's parent head must be this block's new head: the inputs form a chain. */
static void check_chained(const pvf_call_result *r, const char *next_params_rel)
{
    size_t plen;
    uint8_t *params = test_read_data(next_params_rel, &plen);
    validation_params vp;
    validation_result vr;
    wasm_error err = { 0 };
    if (params && r->outcome == PVF_OUTCOME_OK && validation_params_decode_all(params, plen, &vp, &err) &&
        validation_result_decode(r->output, r->output_len, &vr, NULL, &err)) {
        CHECK_EQ_U64(vp.parent_head.len, vr.head_data.len);
        CHECK(vp.parent_head.len == vr.head_data.len &&
              !memcmp(vp.parent_head.ptr, vr.head_data.ptr, vr.head_data.len));
        validation_result_free(&vr);
    } else if (params) {
        test_fail(__FILE__, __LINE__, "cannot decode %s or the result", next_params_rel);
    }
    free(params);
}

static void run_chain(const char *runtime_rel)
{
    pvf_code *code = load_runtime(runtime_rel);
    if (!code)
        return;
    pvf_call_result r;
    check_block(code, "inputs/adder/kagome_pvf_hex_adder.validation_params.scale",
                "inputs/adder/kagome_pvf_hex_adder.expected_validation_result.scale", &r);
    free(r.output);
    static const char *const blocks[] = { "000", "001", "002", "003", "004" };
    for (size_t i = 0; i < 5; i++) {
        char params[128], expected[128], next[128];
        snprintf(params, sizeof params, "inputs/adder/%s.params.scale", blocks[i]);
        snprintf(expected, sizeof expected, "inputs/adder/%s.expected_result.scale", blocks[i]);
        check_block(code, params, expected, &r);
        if (i + 1 < 5) {
            snprintf(next, sizeof next, "inputs/adder/%s.params.scale", blocks[i + 1]);
            check_chained(&r, next);
        }
        free(r.output);
    }
    size_t blen;
    uint8_t *bad = test_read_data("inputs/adder/bad_state_mismatch.params.scale", &blen);
    if (bad) {
        pvf_runtime_validate(code, bad, blen, &r);
        CHECK(r.outcome == PVF_OUTCOME_INVALID);
        CHECK_STR_CONTAINS(r.reason, "unreachable");
        free(r.output);
        free(bad);
    }
    pvf_code_free(code);
}

TEST(adder_kagome_build_validates_the_chain)
{
    run_chain("pvf/kagome__pvf_hex_adder.wasm");
}

TEST(adder_gossamer_build_validates_the_chain)
{
    run_chain("pvf/gossamer__test_parachain_adder.wasm");
}

TEST(adder_kagome_build_validates_the_chain_interp)
{
    test_tier_interp = true;
    run_chain("pvf/kagome__pvf_hex_adder.wasm");
    test_tier_interp = false;
}

TEST(adder_gossamer_build_validates_the_chain_interp)
{
    test_tier_interp = true;
    run_chain("pvf/gossamer__test_parachain_adder.wasm");
    test_tier_interp = false;
}

TEST(validate_rejects_bad_params_without_crashing)
{
    pvf_code *code = load_runtime("pvf/kagome__pvf_hex_adder.wasm");
    if (!code)
        return;
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
    pvf_call_result r;
    pvf_runtime_validate(code, garbage, sizeof garbage, &r);
    CHECK(r.outcome == PVF_OUTCOME_INVALID);
    free(r.output);
    pvf_runtime_validate(code, NULL, 0, &r);
    CHECK(r.outcome == PVF_OUTCOME_INVALID);
    free(r.output);
    pvf_runtime_call(code, "no_such_export", NULL, 0, &r);
    CHECK(r.outcome == PVF_OUTCOME_INVALID);
    CHECK_STR_CONTAINS(r.reason, "no_such_export");
    free(r.output);
    /* In steps: no place for the input, and the call says why. */
    pvf_runtime_instance *ri = pvf_runtime_instantiate(code, "no_such_export");
    CHECK(pvf_runtime_input(ri, 16) == NULL);
    pvf_runtime_invoke(ri, &r);
    CHECK(r.outcome == PVF_OUTCOME_INVALID);
    CHECK_STR_CONTAINS(r.reason, "no_such_export");
    free(r.output);
    pvf_runtime_instance_free(ri);
    /* An input no heap can hold: invalid, as pvf_runtime_call says it. */
    ri = pvf_runtime_instantiate(code, "validate_block");
    CHECK(pvf_runtime_input(ri, (size_t)UINT32_MAX + 1) == NULL);
    pvf_runtime_validate_instance(ri, &r);
    CHECK(r.outcome == PVF_OUTCOME_INVALID);
    CHECK_STR_CONTAINS(r.reason, "cannot place the input");
    free(r.output);
    pvf_runtime_instance_free(ri);
    pvf_code_free(code);
}

/*
 * validate_block.c — run a parachain's validate_block and check its result.
 *
 * The output must decode as a ValidationResult, with the reference's bounds on
 * upward and horizontal messages; anything else makes the candidate invalid
 * (the node's InvalidCandidate::BadReturn).
 */
#include <stdio.h>
#include <stdlib.h>

#include "pvf/runtime.h"
#include "runtime/validation.h"

/* The reference's Decode::decode of the output: bytes after the result are ignored. */
static void check_validation_result(pvf_call_result *out)
{
    if (out->outcome != PVF_OUTCOME_OK)
        return;
    validation_result res;
    wasm_error err = { 0 };
    if (!validation_result_decode(out->output, out->output_len, &res, NULL, &err)) {
        char buf[WASM_ERROR_MAX + 64];
        out->outcome = PVF_OUTCOME_INVALID;
        snprintf(out->reason, sizeof out->reason, "validate_block returned a bad ValidationResult: %s",
                 wasm_error_text(&err, buf, sizeof buf));
        return;
    }
    validation_result_free(&res);
}

void pvf_runtime_validate(const pvf_code *code, const uint8_t *params, size_t params_len,
                          pvf_call_result *out)
{
    pvf_runtime_call(code, "validate_block", params, params_len, out);
    check_validation_result(out);
}

void pvf_runtime_validate_instance(pvf_runtime_instance *ri, pvf_call_result *out)
{
    pvf_runtime_invoke(ri, out);
    check_validation_result(out);
}

/*
 * validation.h — ValidationParams (the input of `validate_block`) and
 * ValidationResult (its output), SCALE-encoded as polkadot-parachain-primitives
 * declares them:
 *
 *   ValidationParams { parent_head: Vec<u8>, block_data: Vec<u8>,
 *                      relay_parent_number: u32, relay_parent_storage_root: [u8; 32] }
 *
 *   ValidationResult { head_data: Vec<u8>, new_validation_code: Option<Vec<u8>>,
 *                      upward_messages: BoundedVec<Vec<u8>, 16384>,
 *                      horizontal_messages: BoundedVec<{recipient: u32, data: Vec<u8>}, 16384>,
 *                      processed_downward_messages: u32, hrmp_watermark: u32 }
 *
 * More than 16384 upward or horizontal messages fails decoding, which makes
 * the candidate invalid.
 *
 * Trailing bytes. The execute worker of the reference decodes the result with
 * `ValidationResult::decode`, not `decode_all`: bytes after the value are
 * ignored and the candidate is valid. A host that must vote like the
 * reference therefore uses validation_result_decode (which reports how much
 * it read); validation_result_decode_all is the strict form, for files and tests.
 *
 * Decoded values are views: their byte strings point into the input, which
 * must outlive them. Only the message arrays of a ValidationResult are
 * allocated (validation_result_free).
 */
#ifndef PVF_RUNTIME_VALIDATION_H
#define PVF_RUNTIME_VALIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/scale.h"
#include "wasm/error.h"

#include "pvf/reference.h"     /* PVF_REF_MAX_UPWARD_MESSAGES, PVF_REF_MAX_HORIZONTAL_MESSAGES */

typedef struct validation_params {
    scale_bytes parent_head;
    scale_bytes block_data;
    uint32_t relay_parent_number;
    uint8_t relay_parent_storage_root[32];
} validation_params;

/* PersistedValidationData {parent_head: HeadData, relay_parent_number: u32,
 * relay_parent_storage_root: H256, max_pov_size: u32}: what the execute request carries (the
 * wire protocol) and what a node has for a candidate (pvf_execute_request_set_pvd). */
typedef struct persisted_validation_data {
    scale_bytes parent_head;
    uint32_t relay_parent_number;
    uint8_t relay_parent_storage_root[32];
    uint32_t max_pov_size;
} persisted_validation_data;

bool pvd_read(scale_reader *r, persisted_validation_data *out);
void pvd_write(scale_writer *w, const persisted_validation_data *p);
bool pvd_decode_all(const uint8_t *in, size_t len, persisted_validation_data *out, wasm_error *err);

typedef struct hrmp_message {
    uint32_t recipient;     /* ParaId */
    scale_bytes data;
} hrmp_message;

typedef struct validation_result {
    scale_bytes head_data;
    bool has_new_validation_code;
    scale_bytes new_validation_code;        /* when has_new_validation_code */
    scale_bytes *upward_messages;           /* malloc'd (NULL when none) */
    size_t n_upward_messages;
    hrmp_message *horizontal_messages;      /* malloc'd (NULL when none) */
    size_t n_horizontal_messages;
    uint32_t processed_downward_messages;
    uint32_t hrmp_watermark;
} validation_result;

/* ValidationParams: decode a prefix (*consumed = bytes read), or the whole input. */
bool validation_params_decode(const uint8_t *in, size_t len, validation_params *out,
                              size_t *consumed, wasm_error *err);
bool validation_params_decode_all(const uint8_t *in, size_t len, validation_params *out,
                                  wasm_error *err);
void validation_params_encode(const validation_params *p, scale_writer *w);

/*
 * ValidationResult: decode a prefix as the reference does (*consumed = bytes
 * read, may be NULL), or the whole input ("trailing bytes" otherwise). On
 * failure nothing is left allocated and *out is zeroed.
 */
bool validation_result_decode(const uint8_t *in, size_t len, validation_result *out,
                              size_t *consumed, wasm_error *err);
bool validation_result_decode_all(const uint8_t *in, size_t len, validation_result *out,
                                  wasm_error *err);
void validation_result_encode(const validation_result *res, scale_writer *w);
void validation_result_free(validation_result *res);

/*
 * The result as the CLI's JSON object, on one line without a newline:
 *   {"head_data":"0x…","new_validation_code":null,"upward_messages":["0x…"],
 *    "horizontal_messages":[{"recipient":N,"data":"0x…"}],
 *    "processed_downward_messages":N,"hrmp_watermark":N}
 * validation_result_to_json returns a malloc'd string (NULL when out of memory).
 */
bool validation_result_write_json(const validation_result *res, FILE *out);
char *validation_result_to_json(const validation_result *res);

#endif

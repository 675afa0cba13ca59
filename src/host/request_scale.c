/*
 * request_scale.c — execute requests from the SCALE a node has (pvf/host.h): the encoded
 * ValidationParams of a candidate and the session's encoded ExecutorParams, so that no caller
 * needs pvf's internal headers.
 */
#include "pvf/host.h"
#include "runtime/executor_params.h"
#include "runtime/validation.h"
#include "util/errmsg.h"

#include <stdlib.h>
#include <string.h>

bool pvf_execute_request_set_params(pvf_execute_request *rq, const uint8_t *params, size_t len, char *err,
                                    size_t errlen)
{
    validation_params vp;
    wasm_error e;
    memset(&e, 0, sizeof e);
    if (!validation_params_decode_all(params, len, &vp, &e)) {
        errmsg_set(err, errlen, "ValidationParams do not decode: %s", e.msg);
        return false;
    }
    rq->parent_head = vp.parent_head.ptr;
    rq->parent_head_len = vp.parent_head.len;
    rq->relay_parent_number = vp.relay_parent_number;
    memcpy(rq->relay_parent_storage_root, vp.relay_parent_storage_root, 32);
    rq->pov = vp.block_data.ptr;
    rq->pov_len = vp.block_data.len;
    return true;
}

bool pvf_execute_request_set_pvd(pvf_execute_request *rq, const uint8_t *pvd, size_t len, char *err,
                                 size_t errlen)
{
    persisted_validation_data d;
    wasm_error e;
    memset(&e, 0, sizeof e);
    if (!pvd_decode_all(pvd, len, &d, &e)) {
        errmsg_set(err, errlen, "PersistedValidationData do not decode: %s", e.msg);
        return false;
    }
    rq->parent_head = d.parent_head.ptr;
    rq->parent_head_len = d.parent_head.len;
    rq->relay_parent_number = d.relay_parent_number;
    memcpy(rq->relay_parent_storage_root, d.relay_parent_storage_root, 32);
    rq->max_pov_size = d.max_pov_size;
    return true;
}

bool pvf_execute_request_set_pov(pvf_execute_request *rq, const uint8_t *pov, size_t len, char *err, size_t errlen)
{
    scale_reader r;
    scale_bytes block_data;
    wasm_error e;
    memset(&e, 0, sizeof e);
    scale_reader_init(&r, pov, len, &e);
    if (!scale_read_byte_vec(&r, &block_data) || !scale_expect_end(&r)) {
        errmsg_set(err, errlen, "PoV does not decode: %s", e.msg);
        return false;
    }
    rq->pov = block_data.ptr;
    rq->pov_len = block_data.len;
    return true;
}

struct executor_params *pvf_executor_params_decode(const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
    executor_params *ep = calloc(1, sizeof *ep);
    wasm_error e;
    memset(&e, 0, sizeof e);
    if (!ep) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    if (!executor_params_decode_all(bytes, len, ep, &e)) {
        errmsg_set(err, errlen, "ExecutorParams do not decode: %s", e.msg);
        free(ep);
        return NULL;
    }
    return ep;
}

void pvf_executor_params_free(struct executor_params *ep)
{
    if (!ep)
        return;
    executor_params_free(ep);
    free(ep);
}

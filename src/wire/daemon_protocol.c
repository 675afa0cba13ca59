/*
 * daemon_protocol.c — pvfd's messages (daemon_protocol.h; the layouts in docs/PROTOCOL.md,
 * "pvfd"). Every read is bounded by the frame, every enum checked, every frame exactly one value.
 */
#include "wire/daemon_protocol.h"

#include <string.h>

/* The most heads-up items one request may carry (the reference's heads-up lists one session's
 * PVFs: a few hundred at the most). */
#define PVFD_MAX_HEADS_UP 4096u
/* The most hashes in an active-leaves update. */
#define PVFD_MAX_HASHES 65536u

static bool read_h256(scale_reader *r, uint8_t out[32])
{
    const uint8_t *p;
    if (!scale_read_fixed(r, 32, &p))
        return false;
    memcpy(out, p, 32);
    return true;
}

static bool whole(scale_reader *r, bool ok)
{
    return ok && scale_expect_end(r);
}

/* ---------------------------------------------------------------- handshake */

void pvfd_hello_write(scale_writer *w, const pvfd_hello *m)
{
    scale_write_raw(w, m->magic, 4);
    scale_write_u32(w, m->version);
    scale_write_byte_vec(w, m->client.ptr, m->client.len);
}

bool pvfd_hello_decode(const uint8_t *in, size_t len, pvfd_hello *m, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(m, 0, sizeof *m);
    const uint8_t *magic;
    return whole(&r, scale_read_fixed(&r, 4, &magic) && (memcpy(m->magic, magic, 4), true) &&
                         scale_read_u32(&r, &m->version) && scale_read_byte_vec(&r, &m->client));
}

void pvfd_welcome_write(scale_writer *w, const pvfd_welcome *m)
{
    scale_write_u8(w, m->refused ? 1 : 0);
    if (m->refused) {
        scale_write_byte_vec(w, m->reason.ptr, m->reason.len);
        return;
    }
    scale_write_u32(w, m->version);
    scale_write_byte_vec(w, m->pvf_version.ptr, m->pvf_version.len);
    scale_write_byte_vec(w, m->engine_version.ptr, m->engine_version.len);
}

bool pvfd_welcome_decode(const uint8_t *in, size_t len, pvfd_welcome *m, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(m, 0, sizeof *m);
    bool refused;
    if (!scale_read_result(&r, &refused))
        return false;
    m->refused = refused;
    if (refused)
        return whole(&r, scale_read_byte_vec(&r, &m->reason));
    return whole(&r, scale_read_u32(&r, &m->version) && scale_read_byte_vec(&r, &m->pvf_version) &&
                         scale_read_byte_vec(&r, &m->engine_version));
}

/* ---------------------------------------------------------------- requests */

static void write_execute(scale_writer *w, const pvfd_execute *x)
{
    scale_write_byte_vec(w, x->code.ptr, x->code.len);
    scale_write_byte_vec(w, x->executor_params.ptr, x->executor_params.len);
    scale_write_byte_vec(w, x->parent_head.ptr, x->parent_head.len);
    scale_write_u32(w, x->relay_parent_number);
    scale_write_raw(w, x->relay_parent_storage_root, 32);
    scale_write_u32(w, x->max_pov_size);
    scale_write_byte_vec(w, x->pov.ptr, x->pov.len);
    scale_write_u8(w, x->kind);
    scale_write_u64(w, x->timeout_ms);
    scale_write_raw(w, x->relay_parent, 32);
}

static bool read_execute(scale_reader *r, pvfd_execute *x)
{
    if (!scale_read_byte_vec(r, &x->code) || !scale_read_byte_vec(r, &x->executor_params) ||
        !scale_read_byte_vec(r, &x->parent_head) || !scale_read_u32(r, &x->relay_parent_number) ||
        !read_h256(r, x->relay_parent_storage_root) || !scale_read_u32(r, &x->max_pov_size) ||
        !scale_read_byte_vec(r, &x->pov) || !scale_read_u8(r, &x->kind) || !scale_read_u64(r, &x->timeout_ms) ||
        !read_h256(r, x->relay_parent))
        return false;
    return x->kind <= 3 || scale_fail(r, "invalid execution kind: %u", x->kind);
}

/* n hashes of 32 bytes: their start in *at. */
static bool read_hashes(scale_reader *r, const uint8_t **at, uint32_t *n)
{
    return scale_read_vec_len(r, 32, PVFD_MAX_HASHES, n) && scale_read_fixed(r, (size_t)*n * 32, at);
}

static void write_hashes(scale_writer *w, const uint8_t *hashes, uint32_t n)
{
    scale_write_compact(w, n);
    scale_write_raw(w, hashes, (size_t)n * 32);
}

void pvfd_request_write(scale_writer *w, const pvfd_request *m)
{
    scale_write_u64(w, m->id);
    scale_write_u8(w, (uint8_t)m->kind);
    switch (m->kind) {
    case PVFD_REQ_PRECHECK:
        scale_write_byte_vec(w, m->code.ptr, m->code.len);
        scale_write_byte_vec(w, m->executor_params.ptr, m->executor_params.len);
        break;
    case PVFD_REQ_EXECUTE:
        write_execute(w, &m->execute);
        break;
    case PVFD_REQ_HEADS_UP:
        scale_write_compact(w, m->n_items);
        scale_write_raw(w, m->items, m->items_len);
        break;
    case PVFD_REQ_ACTIVE_LEAVES:
        scale_write_u8(w, m->has_activated);
        if (m->has_activated)
            scale_write_raw(w, m->activated, 32);
        write_hashes(w, m->ancestors, m->n_ancestors);
        write_hashes(w, m->deactivated, m->n_deactivated);
        break;
    case PVFD_REQ_CANCEL:
        scale_write_u64(w, m->target);
        break;
    case PVFD_REQ_STATUS:
    case PVFD_REQ_METRICS:
        break;
    }
}

/* The items of a heads-up: n (code, executor_params) pairs, each checked, kept as raw bytes. */
static bool read_heads_up(scale_reader *r, pvfd_request *m)
{
    if (!scale_read_vec_len(r, 2, PVFD_MAX_HEADS_UP, &m->n_items))
        return false;
    m->items = r->p;
    scale_bytes b;
    for (uint32_t i = 0; i < 2 * m->n_items; i++)
        if (!scale_read_byte_vec(r, &b))
            return false;
    m->items_len = (size_t)(r->p - m->items);
    return true;
}

bool pvfd_heads_up_item(const pvfd_request *m, uint32_t i, scale_bytes *code, scale_bytes *executor_params)
{
    if (i >= m->n_items)
        return false;
    scale_reader r;
    scale_reader_init(&r, m->items, m->items_len, NULL);
    for (uint32_t k = 0; k <= i; k++)
        if (!scale_read_byte_vec(&r, code) || !scale_read_byte_vec(&r, executor_params))
            return false;
    return true;
}

static bool read_active_leaves(scale_reader *r, pvfd_request *m)
{
    bool has;
    if (!scale_read_option(r, &has))
        return false;
    m->has_activated = has;
    return (!has || read_h256(r, m->activated)) && read_hashes(r, &m->ancestors, &m->n_ancestors) &&
           read_hashes(r, &m->deactivated, &m->n_deactivated);
}

static bool read_request_body(scale_reader *r, pvfd_request *m)
{
    switch (m->kind) {
    case PVFD_REQ_PRECHECK:
        return scale_read_byte_vec(r, &m->code) && scale_read_byte_vec(r, &m->executor_params);
    case PVFD_REQ_EXECUTE:
        return read_execute(r, &m->execute);
    case PVFD_REQ_HEADS_UP:
        return read_heads_up(r, m);
    case PVFD_REQ_ACTIVE_LEAVES:
        return read_active_leaves(r, m);
    case PVFD_REQ_CANCEL:
        return scale_read_u64(r, &m->target);
    case PVFD_REQ_STATUS:
    case PVFD_REQ_METRICS:
        return true;
    }
    return false;
}

/* A request's or response's id and kind (one of `count`). */
static bool read_header(scale_reader *r, uint64_t *id, unsigned *kind, unsigned count, const char *what)
{
    uint8_t k;
    if (!scale_read_u64(r, id) || !scale_read_u8(r, &k))
        return false;
    *kind = k;
    return k < count || scale_fail(r, "unknown %s kind %u", what, k);
}

bool pvfd_request_decode(const uint8_t *in, size_t len, pvfd_request *m, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(m, 0, sizeof *m);
    unsigned kind;
    if (!read_header(&r, &m->id, &kind, PVFD_REQ_COUNT, "request"))
        return false;
    m->kind = (pvfd_request_kind)kind;
    return whole(&r, read_request_body(&r, m));
}

/* ---------------------------------------------------------------- responses */

void pvfd_response_write(scale_writer *w, const pvfd_response *m)
{
    scale_write_u64(w, m->id);
    scale_write_u8(w, (uint8_t)m->kind);
    switch (m->kind) {
    case PVFD_RESP_PRECHECK:
        scale_write_u8(w, m->outcome);
        scale_write_byte_vec(w, m->reason.ptr, m->reason.len);
        scale_write_byte_vec(w, m->message.ptr, m->message.len);
        scale_write_u64(w, m->prepare_cpu_ns);
        scale_write_u64(w, m->wall_ns);
        scale_write_u8(w, m->cached);
        break;
    case PVFD_RESP_EXECUTE:
        scale_write_u8(w, m->outcome);
        scale_write_byte_vec(w, m->reason.ptr, m->reason.len);
        scale_write_byte_vec(w, m->message.ptr, m->message.len);
        scale_write_u64(w, m->prepare_cpu_ns);
        scale_write_u64(w, m->wall_ns);
        scale_write_byte_vec(w, m->result.ptr, m->result.len);
        scale_write_u64(w, m->execute_ns);
        scale_write_u32(w, m->attempts);
        scale_write_u32(w, m->preparations);
        scale_write_byte_vec(w, m->runtime_log.ptr, m->runtime_log.len);
        break;
    case PVFD_RESP_CANCELLED:
    case PVFD_RESP_ERROR:
    case PVFD_RESP_METRICS:
        scale_write_byte_vec(w, m->message.ptr, m->message.len);
        break;
    case PVFD_RESP_STATUS:
        scale_write_byte_vec(w, m->pvf_version.ptr, m->pvf_version.len);
        scale_write_u32(w, m->connections);
        scale_write_u32(w, m->in_flight);
        scale_write_u32(w, m->execute_workers);
        scale_write_u64(w, m->uptime_ms);
        scale_write_u8(w, m->secure_mode);
        break;
    case PVFD_RESP_DONE:
        break;
    }
}

static bool read_verdict_common(scale_reader *r, pvfd_response *m)
{
    return scale_read_u8(r, &m->outcome) && scale_read_byte_vec(r, &m->reason) &&
           scale_read_byte_vec(r, &m->message) && scale_read_u64(r, &m->prepare_cpu_ns) &&
           scale_read_u64(r, &m->wall_ns);
}

static bool read_response_body(scale_reader *r, pvfd_response *m)
{
    switch (m->kind) {
    case PVFD_RESP_PRECHECK:
        return read_verdict_common(r, m) && scale_read_bool(r, &m->cached) &&
               (m->outcome <= 2 || scale_fail(r, "invalid precheck outcome %u", m->outcome));
    case PVFD_RESP_EXECUTE:
        return read_verdict_common(r, m) && scale_read_byte_vec(r, &m->result) &&
               scale_read_u64(r, &m->execute_ns) && scale_read_u32(r, &m->attempts) &&
               scale_read_u32(r, &m->preparations) && scale_read_byte_vec(r, &m->runtime_log) &&
               (m->outcome <= 5 || scale_fail(r, "invalid verdict %u", m->outcome));
    case PVFD_RESP_CANCELLED:
    case PVFD_RESP_ERROR:
    case PVFD_RESP_METRICS:
        return scale_read_byte_vec(r, &m->message);
    case PVFD_RESP_STATUS:
        return scale_read_byte_vec(r, &m->pvf_version) && scale_read_u32(r, &m->connections) &&
               scale_read_u32(r, &m->in_flight) && scale_read_u32(r, &m->execute_workers) &&
               scale_read_u64(r, &m->uptime_ms) && scale_read_bool(r, &m->secure_mode);
    case PVFD_RESP_DONE:
        return true;
    }
    return false;
}

bool pvfd_response_decode(const uint8_t *in, size_t len, pvfd_response *m, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(m, 0, sizeof *m);
    unsigned kind;
    if (!read_header(&r, &m->id, &kind, PVFD_RESP_COUNT, "response"))
        return false;
    m->kind = (pvfd_response_kind)kind;
    return whole(&r, read_response_body(&r, m));
}

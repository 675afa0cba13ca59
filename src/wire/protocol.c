/*
 * protocol.c — the SCALE messages between host, workers and job processes
 * (reference-behaviour.md §3.3; docs/PROTOCOL.md).
 *
 * Each message has a writer and a strict decoder. Decoders read pieces with
 * small read_* functions that fail through the scale_reader (which records
 * the byte offset), then demand the end of input: a frame is exactly one
 * value. Enum indices are checked against the known variants, so a peer
 * speaking another revision fails loudly instead of being misread.
 */
#include "wire/protocol.h"

#include <stdlib.h>
#include <string.h>

/* ================================================================ pieces */

proto_duration proto_duration_from_ns(uint64_t ns)
{
    return (proto_duration){ ns / 1000000000u, (uint32_t)(ns % 1000000000u) };
}

proto_duration proto_duration_from_ms(uint64_t ms)
{
    return (proto_duration){ ms / 1000u, (uint32_t)(ms % 1000u) * 1000000u };
}

uint64_t proto_duration_to_ns(proto_duration d)
{
    if (d.secs > (UINT64_MAX - d.nanos) / 1000000000u)
        return UINT64_MAX;
    return d.secs * 1000000000u + d.nanos;
}

scale_bytes proto_str(const char *s)
{
    return (scale_bytes){ (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0 };
}

/* Well-formed UTF-8 as Rust's str::from_utf8 demands: no overlongs, no
 * surrogates, nothing above U+10FFFF. Returns the offset of the first bad
 * byte, or len when all is well. */
static size_t utf8_check(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint8_t lo = 0x80, hi = 0xbf;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xc2 && c <= 0xdf) n = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else
            return i;
        if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return i;
        i += n + 1;
    }
    return len;
}

static bool read_string(scale_reader *r, scale_bytes *out)
{
    if (!scale_read_byte_vec(r, out))
        return false;
    size_t bad = utf8_check(out->ptr, out->len);
    if (bad != out->len)
        return scale_fail_at(r, (size_t)(out->ptr + bad - r->start), "invalid UTF-8 in string");
    return true;
}

static void write_string(scale_writer *w, scale_bytes s)
{
    scale_write_byte_vec(w, s.ptr, s.len);
}

static bool read_option_string(scale_reader *r, bool *present, scale_bytes *out)
{
    *out = (scale_bytes){ NULL, 0 };
    return scale_read_option(r, present) && (!*present || read_string(r, out));
}

static void write_option_string(scale_writer *w, bool present, scale_bytes s)
{
    scale_write_u8(w, present ? 1 : 0);
    if (present)
        write_string(w, s);
}

static bool read_h256(scale_reader *r, uint8_t out[32])
{
    const uint8_t *b;
    if (!scale_read_fixed(r, 32, &b))
        return false;
    memcpy(out, b, 32);
    return true;
}

static bool read_i32(scale_reader *r, int32_t *out)
{
    return scale_read_i32(r, out);
}

static void write_i32(scale_writer *w, int32_t v)
{
    scale_write_u32(w, (uint32_t)v);
}

static bool read_duration(scale_reader *r, proto_duration *d)
{
    size_t at = scale_offset(r);
    if (!scale_read_u64(r, &d->secs) || !scale_read_u32(r, &d->nanos))
        return false;
    if (d->nanos >= 1000000000u)
        return scale_fail_at(r, at + 8, "invalid Duration: %u nanoseconds (must be < 10^9)",
                             d->nanos);
    return true;
}

static void write_duration(scale_writer *w, proto_duration d)
{
    scale_write_u64(w, d.secs);
    scale_write_u32(w, d.nanos);
}

/* The variant index of an enum with `count` variants. */
static bool read_index(scale_reader *r, const char *what, unsigned count, uint8_t *index)
{
    if (!scale_read_variant(r, index))
        return false;
    if (*index >= count)
        return scale_fail_at(r, scale_offset(r) - 1, "unknown %s variant index %u", what, *index);
    return true;
}

/* Decode a sub-value with a decoder that works on (bytes, len, consumed):
 * run it on what is left and move the reader past what it read. Its error
 * offset is relative to its start; shift it to ours. */
static bool read_executor_params(scale_reader *r, executor_params *ep)
{
    size_t used = 0, base = scale_offset(r);
    if (!executor_params_decode(r->p, scale_left(r), ep, &used, r->err)) {
        if (r->err && r->err->has_offset)
            r->err->offset += base;
        return false;
    }
    r->p += used;
    return true;
}

static bool read_validation_result(scale_reader *r, validation_result *res)
{
    size_t used = 0, base = scale_offset(r);
    if (!validation_result_decode(r->p, scale_left(r), res, &used, r->err)) {
        if (r->err && r->err->has_offset)
            r->err->offset += base;
        return false;
    }
    r->p += used;
    return true;
}

/* Run `read` over the whole input: one value, nothing after it. */
#define DECODE_WHOLE(in, len, err, read_call)                     \
    do {                                                          \
        scale_reader r_;                                          \
        scale_reader_init(&r_, (in), (len), (err));               \
        scale_reader *r = &r_;                                    \
        return (read_call) && scale_expect_end(r);                \
    } while (0)

/* ================================================================ handshakes */

static bool read_version_handshake(scale_reader *r, proto_version_handshake *m)
{
    const uint8_t *magic;
    if (!scale_read_fixed(r, 4, &magic))
        return false;
    if (memcmp(magic, PROTO_MAGIC, 4) != 0)
        return scale_fail_at(r, 0, "not a pvf version handshake: bad magic");
    return scale_read_u32(r, &m->protocol_version) && read_string(r, &m->version);
}

void proto_version_handshake_write(scale_writer *w, const proto_version_handshake *m)
{
    scale_write_raw(w, PROTO_MAGIC, 4);
    scale_write_u32(w, m->protocol_version);
    write_string(w, m->version);
}

bool proto_version_handshake_decode(const uint8_t *in, size_t len, proto_version_handshake *m,
                                    wasm_error *err)
{
    memset(m, 0, sizeof *m);
    DECODE_WHOLE(in, len, err, read_version_handshake(r, m));
}

static bool read_security_status(scale_reader *r, proto_security_status *s)
{
    return scale_read_bool(r, &s->secure_validator_mode) &&
           scale_read_bool(r, &s->can_enable_landlock) &&
           scale_read_bool(r, &s->can_enable_seccomp) &&
           scale_read_bool(r, &s->can_unshare_user_namespace_and_change_root) &&
           scale_read_bool(r, &s->can_do_secure_clone);
}

void proto_worker_handshake_write(scale_writer *w, const proto_security_status *m)
{
    scale_write_bool(w, m->secure_validator_mode);
    scale_write_bool(w, m->can_enable_landlock);
    scale_write_bool(w, m->can_enable_seccomp);
    scale_write_bool(w, m->can_unshare_user_namespace_and_change_root);
    scale_write_bool(w, m->can_do_secure_clone);
}

bool proto_worker_handshake_decode(const uint8_t *in, size_t len, proto_security_status *m,
                                   wasm_error *err)
{
    memset(m, 0, sizeof *m);
    DECODE_WHOLE(in, len, err, read_security_status(r, m));
}

void proto_exec_handshake_write(scale_writer *w, const executor_params *ep)
{
    executor_params_encode(ep, w);
}

bool proto_exec_handshake_decode(const uint8_t *in, size_t len, executor_params *ep,
                                 wasm_error *err)
{
    executor_params_init(ep);
    return executor_params_decode_all(in, len, ep, err);
}

/* ================================================================ prepare */

static bool read_pvf_prep_data(scale_reader *r, proto_pvf_prep_data *m)
{
    uint8_t kind;
    if (!scale_read_byte_vec(r, &m->maybe_compressed_code) ||
        !scale_read_u32(r, &m->validation_code_bomb_limit) || !read_h256(r, m->code_hash) ||
        !read_executor_params(r, &m->executor_params) || !read_duration(r, &m->prep_timeout) ||
        !read_index(r, "PrepareJobKind", 2, &kind))
        return false;
    m->prep_kind = (proto_prep_kind)kind;
    return true;
}

void proto_pvf_prep_data_write(scale_writer *w, const proto_pvf_prep_data *m)
{
    scale_write_byte_vec(w, m->maybe_compressed_code.ptr, m->maybe_compressed_code.len);
    scale_write_u32(w, m->validation_code_bomb_limit);
    scale_write_raw(w, m->code_hash, 32);
    executor_params_encode(&m->executor_params, w);
    write_duration(w, m->prep_timeout);
    scale_write_u8(w, (uint8_t)m->prep_kind);
}

bool proto_pvf_prep_data_decode(const uint8_t *in, size_t len, proto_pvf_prep_data *m,
                                wasm_error *err)
{
    memset(m, 0, sizeof *m);
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    if (read_pvf_prep_data(&r, m) && scale_expect_end(&r))
        return true;
    proto_pvf_prep_data_free(m);
    return false;
}

void proto_pvf_prep_data_free(proto_pvf_prep_data *m)
{
    executor_params_free(&m->executor_params);
}

static const char *const prepare_error_names[PREP_ERR_COUNT] = {
    "Prevalidation", "Preparation", "RuntimeConstruction", "JobError", "TimedOut",
    "IoErr", "CreateTmpFile", "RenameTmpFile", "OutOfMemory", "ClearWorkerDir",
    "JobDied", "Kernel", "CouldNotDecompressCodeBlob",
};

const char *proto_prepare_error_name(proto_prepare_error_kind kind)
{
    return (unsigned)kind < PREP_ERR_COUNT ? prepare_error_names[kind] : "?";
}

bool proto_prepare_error_is_deterministic(proto_prepare_error_kind kind)
{
    switch (kind) {
    case PREP_ERR_PREVALIDATION:
    case PREP_ERR_PREPARATION:
    case PREP_ERR_JOB_ERROR:
    case PREP_ERR_OUT_OF_MEMORY:
    case PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB:
        return true;
    default:
        return false;
    }
}

static bool read_prepare_error(scale_reader *r, proto_prepare_error *e)
{
    uint8_t index;
    memset(e, 0, sizeof *e);
    if (!read_index(r, "PrepareError", PREP_ERR_COUNT, &index))
        return false;
    e->kind = (proto_prepare_error_kind)index;
    switch (e->kind) {
    case PREP_ERR_TIMED_OUT:
    case PREP_ERR_OUT_OF_MEMORY:
        return true;
    case PREP_ERR_RENAME_TMP_FILE:
        return read_string(r, &e->msg) && read_option_string(r, &e->has_src, &e->src) &&
               read_option_string(r, &e->has_dest, &e->dest);
    case PREP_ERR_JOB_DIED:
        return read_string(r, &e->msg) && read_i32(r, &e->job_pid);
    default:
        return read_string(r, &e->msg);
    }
}

static void write_prepare_error(scale_writer *w, const proto_prepare_error *e)
{
    scale_write_u8(w, (uint8_t)e->kind);
    switch (e->kind) {
    case PREP_ERR_TIMED_OUT:
    case PREP_ERR_OUT_OF_MEMORY:
        return;
    case PREP_ERR_RENAME_TMP_FILE:
        write_string(w, e->msg);
        write_option_string(w, e->has_src, e->src);
        write_option_string(w, e->has_dest, e->dest);
        return;
    case PREP_ERR_JOB_DIED:
        write_string(w, e->msg);
        write_i32(w, e->job_pid);
        return;
    default:
        write_string(w, e->msg);
    }
}

static bool read_memory_stats(scale_reader *r, proto_memory_stats *s)
{
    if (!scale_read_option(r, &s->has_tracker))
        return false;
    if (s->has_tracker && (!scale_read_u64(r, &s->resident) || !scale_read_u64(r, &s->allocated)))
        return false;
    if (!scale_read_option(r, &s->has_max_rss))
        return false;
    uint64_t rss = 0;
    if (s->has_max_rss && !scale_read_u64(r, &rss))
        return false;
    s->max_rss = (int64_t)rss;
    return scale_read_u64(r, &s->peak_tracked_alloc);
}

static void write_memory_stats(scale_writer *w, const proto_memory_stats *s)
{
    scale_write_u8(w, s->has_tracker ? 1 : 0);
    if (s->has_tracker) {
        scale_write_u64(w, s->resident);
        scale_write_u64(w, s->allocated);
    }
    scale_write_u8(w, s->has_max_rss ? 1 : 0);
    if (s->has_max_rss)
        scale_write_u64(w, (uint64_t)s->max_rss);
    scale_write_u64(w, s->peak_tracked_alloc);
}

static bool read_prepare_result(scale_reader *r, proto_prepare_result *m)
{
    bool is_err;
    if (!scale_read_result(r, &is_err))
        return false;
    m->ok = !is_err;
    if (is_err)
        return read_prepare_error(r, &m->error);
    return read_h256(r, m->checksum) && read_duration(r, &m->stats.cpu_time_elapsed) &&
           read_memory_stats(r, &m->stats.memory_stats) &&
           scale_read_u32(r, &m->stats.observed_wasm_code_len);
}

void proto_prepare_result_write(scale_writer *w, const proto_prepare_result *m)
{
    scale_write_u8(w, m->ok ? 0 : 1);
    if (!m->ok) {
        write_prepare_error(w, &m->error);
        return;
    }
    scale_write_raw(w, m->checksum, 32);
    write_duration(w, m->stats.cpu_time_elapsed);
    write_memory_stats(w, &m->stats.memory_stats);
    scale_write_u32(w, m->stats.observed_wasm_code_len);
}

bool proto_prepare_result_decode(const uint8_t *in, size_t len, proto_prepare_result *m,
                                 wasm_error *err)
{
    memset(m, 0, sizeof *m);
    DECODE_WHOLE(in, len, err, read_prepare_result(r, m));
}

static bool read_prepare_job_result(scale_reader *r, proto_prepare_job_result *m)
{
    bool is_err;
    if (!scale_read_result(r, &is_err))
        return false;
    m->ok = !is_err;
    if (is_err)
        return read_prepare_error(r, &m->error);
    return scale_read_byte_vec(r, &m->artifact) && read_memory_stats(r, &m->memory_stats) &&
           scale_read_u32(r, &m->observed_wasm_code_len);
}

void proto_prepare_job_result_write(scale_writer *w, const proto_prepare_job_result *m)
{
    scale_write_u8(w, m->ok ? 0 : 1);
    if (!m->ok) {
        write_prepare_error(w, &m->error);
        return;
    }
    scale_write_byte_vec(w, m->artifact.ptr, m->artifact.len);
    write_memory_stats(w, &m->memory_stats);
    scale_write_u32(w, m->observed_wasm_code_len);
}

bool proto_prepare_job_result_decode(const uint8_t *in, size_t len, proto_prepare_job_result *m,
                                     wasm_error *err)
{
    memset(m, 0, sizeof *m);
    DECODE_WHOLE(in, len, err, read_prepare_job_result(r, m));
}

/* ================================================================ execute */

static bool read_execute_request(scale_reader *r, proto_execute_request *m)
{
    return pvd_read(r, &m->pvd) && scale_read_byte_vec(r, &m->pov) &&
           read_duration(r, &m->execution_timeout) && read_h256(r, m->artifact_checksum);
}

void proto_execute_request_write(scale_writer *w, const proto_execute_request *m)
{
    pvd_write(w, &m->pvd);
    scale_write_byte_vec(w, m->pov.ptr, m->pov.len);
    write_duration(w, m->execution_timeout);
    scale_write_raw(w, m->artifact_checksum, 32);
}

bool proto_execute_request_decode(const uint8_t *in, size_t len, proto_execute_request *m,
                                  wasm_error *err)
{
    memset(m, 0, sizeof *m);
    DECODE_WHOLE(in, len, err, read_execute_request(r, m));
}

static bool read_job_response(scale_reader *r, proto_job_response *m)
{
    uint8_t index;
    if (!read_index(r, "JobResponse", JOB_RESP_COUNT, &index))
        return false;
    m->kind = (proto_job_response_kind)index;
    switch (m->kind) {
    case JOB_RESP_OK:
        return read_validation_result(r, &m->result);
    case JOB_RESP_RUNTIME_CONSTRUCTION:
    case JOB_RESP_INVALID_CANDIDATE:
        return read_string(r, &m->msg);
    default:
        return true;
    }
}

static void write_job_response(scale_writer *w, const proto_job_response *m)
{
    scale_write_u8(w, (uint8_t)m->kind);
    if (m->kind == JOB_RESP_OK)
        validation_result_encode(&m->result, w);
    else if (m->kind == JOB_RESP_RUNTIME_CONSTRUCTION || m->kind == JOB_RESP_INVALID_CANDIDATE)
        write_string(w, m->msg);
}

static bool read_job_error(scale_reader *r, proto_job_error *m)
{
    uint8_t index;
    if (!read_index(r, "JobError", JOB_ERR_COUNT, &index))
        return false;
    m->kind = (proto_job_error_kind)index;
    if (m->kind == JOB_ERR_TIMED_OUT)
        return true;
    if (m->kind == JOB_ERR_UNEXPECTED_EXIT_STATUS)
        return read_i32(r, &m->exit_status);
    return read_string(r, &m->msg);
}

static void write_job_error(scale_writer *w, const proto_job_error *m)
{
    scale_write_u8(w, (uint8_t)m->kind);
    if (m->kind == JOB_ERR_UNEXPECTED_EXIT_STATUS)
        write_i32(w, m->exit_status);
    else if (m->kind != JOB_ERR_TIMED_OUT)
        write_string(w, m->msg);
}

static bool read_internal_error(scale_reader *r, proto_internal_error *m)
{
    uint8_t index;
    if (!read_index(r, "InternalValidationError", INTERNAL_ERR_COUNT, &index))
        return false;
    m->kind = (proto_internal_error_kind)index;
    if (m->kind == INTERNAL_ERR_NON_DETERMINISTIC_PREPARE)
        return read_prepare_error(r, &m->prepare_error);
    if (m->kind == INTERNAL_ERR_COULD_NOT_CLEAR_WORKER_DIR)
        return read_string(r, &m->msg) && read_option_string(r, &m->has_path, &m->path);
    return read_string(r, &m->msg);
}

static void write_internal_error(scale_writer *w, const proto_internal_error *m)
{
    scale_write_u8(w, (uint8_t)m->kind);
    if (m->kind == INTERNAL_ERR_NON_DETERMINISTIC_PREPARE) {
        write_prepare_error(w, &m->prepare_error);
        return;
    }
    write_string(w, m->msg);
    if (m->kind == INTERNAL_ERR_COULD_NOT_CLEAR_WORKER_DIR)
        write_option_string(w, m->has_path, m->path);
}

static bool read_worker_error(scale_reader *r, proto_worker_error *m)
{
    uint8_t index;
    if (!read_index(r, "WorkerError", WORKER_ERR_COUNT, &index))
        return false;
    m->kind = (proto_worker_error_kind)index;
    switch (m->kind) {
    case WORKER_ERR_JOB_TIMED_OUT:
        return true;
    case WORKER_ERR_JOB_DIED:
        return read_string(r, &m->msg) && read_i32(r, &m->job_pid);
    case WORKER_ERR_JOB_ERROR:
        return read_job_error(r, &m->job_error);
    default:
        return read_internal_error(r, &m->internal);
    }
}

static void write_worker_error(scale_writer *w, const proto_worker_error *m)
{
    scale_write_u8(w, (uint8_t)m->kind);
    switch (m->kind) {
    case WORKER_ERR_JOB_TIMED_OUT:
        return;
    case WORKER_ERR_JOB_DIED:
        write_string(w, m->msg);
        write_i32(w, m->job_pid);
        return;
    case WORKER_ERR_JOB_ERROR:
        write_job_error(w, &m->job_error);
        return;
    default:
        write_internal_error(w, &m->internal);
    }
}

static bool read_execute_result(scale_reader *r, proto_execute_result *m)
{
    bool is_err;
    if (!scale_read_result(r, &is_err))
        return false;
    m->ok = !is_err;
    if (is_err)
        return read_worker_error(r, &m->error);
    return read_job_response(r, &m->job_response) && read_duration(r, &m->duration) &&
           scale_read_u32(r, &m->pov_size);
}

/* pvf's trailer after an execute Result (docs/PROTOCOL.md): nothing, or the job's peak RSS as a
 * u64, or that and then the runtime's log as a String — without a job, the reference's bytes. */
static void write_trailer(scale_writer *w, uint64_t max_rss_kib, scale_bytes log)
{
    if (max_rss_kib || log.len)
        scale_write_u64(w, max_rss_kib);
    if (log.len)
        scale_write_byte_vec(w, log.ptr, log.len);
}

static bool read_trailer(scale_reader *r, uint64_t *max_rss_kib, scale_bytes *log)
{
    if (r->end - r->p < 8)      /* none, or bytes that are no trailer: scale_expect_end names them */
        return true;
    if (!scale_read_u64(r, max_rss_kib))
        return false;
    /* canonical, as write_trailer makes it: no trailer without something in it */
    if (r->p == r->end)
        return *max_rss_kib != 0 || scale_fail(r, "a trailer with nothing in it");
    return scale_read_byte_vec(r, log) && (log->len != 0 || scale_fail(r, "an empty runtime log in the trailer"));
}

/* The Result, then pvf's optional trailer. */
void proto_execute_result_write(scale_writer *w, const proto_execute_result *m)
{
    scale_write_u8(w, m->ok ? 0 : 1);
    if (!m->ok) {
        write_worker_error(w, &m->error);
    } else {
        write_job_response(w, &m->job_response);
        write_duration(w, m->duration);
        scale_write_u32(w, m->pov_size);
    }
    write_trailer(w, m->job_max_rss_kib, m->runtime_log);
}

bool proto_execute_result_decode(const uint8_t *in, size_t len, proto_execute_result *m,
                                 wasm_error *err)
{
    memset(m, 0, sizeof *m);
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    if (read_execute_result(&r, m) && read_trailer(&r, &m->job_max_rss_kib, &m->runtime_log) &&
        scale_expect_end(&r))
        return true;
    proto_execute_result_free(m);
    return false;
}

void proto_execute_result_free(proto_execute_result *m)
{
    validation_result_free(&m->job_response.result);
}

static bool read_execute_job_result(scale_reader *r, proto_execute_job_result *m)
{
    bool is_err;
    if (!scale_read_result(r, &is_err))
        return false;
    m->ok = !is_err;
    return is_err ? read_job_error(r, &m->error) : read_job_response(r, &m->response);
}

void proto_execute_job_result_write(scale_writer *w, const proto_execute_job_result *m)
{
    scale_write_u8(w, m->ok ? 0 : 1);
    if (m->ok)
        write_job_response(w, &m->response);
    else
        write_job_error(w, &m->error);
    write_trailer(w, m->max_rss_kib, m->runtime_log);
}

bool proto_execute_job_result_decode(const uint8_t *in, size_t len, proto_execute_job_result *m,
                                     wasm_error *err)
{
    memset(m, 0, sizeof *m);
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    if (read_execute_job_result(&r, m) && read_trailer(&r, &m->max_rss_kib, &m->runtime_log) &&
        scale_expect_end(&r))
        return true;
    proto_execute_job_result_free(m);
    return false;
}

void proto_execute_job_result_free(proto_execute_job_result *m)
{
    validation_result_free(&m->response.result);
}

/* ================================================================ names */

static const char *const job_response_names[JOB_RESP_COUNT] = {
    "Ok", "RuntimeConstruction", "InvalidCandidate", "PoVDecompressionFailure",
    "CorruptedArtifact",
};
static const char *const job_error_names[JOB_ERR_COUNT] = {
    "TimedOut", "Panic", "Kernel", "CouldNotSpawnThread", "CpuTimeMonitorThread",
    "UnexpectedExitStatus",
};
static const char *const internal_error_names[INTERNAL_ERR_COUNT] = {
    "HostCommunication", "CouldNotCreateLink", "CouldNotOpenFile", "CouldNotCreatePipe",
    "CouldNotClearWorkerDir", "Kernel", "NonDeterministicPrepareError",
};
static const char *const worker_error_names[WORKER_ERR_COUNT] = {
    "JobTimedOut", "JobDied", "JobError", "InternalError",
};

const char *proto_job_response_name(proto_job_response_kind kind)
{
    return (unsigned)kind < JOB_RESP_COUNT ? job_response_names[kind] : "?";
}

const char *proto_job_error_name(proto_job_error_kind kind)
{
    return (unsigned)kind < JOB_ERR_COUNT ? job_error_names[kind] : "?";
}

const char *proto_internal_error_name(proto_internal_error_kind kind)
{
    return (unsigned)kind < INTERNAL_ERR_COUNT ? internal_error_names[kind] : "?";
}

const char *proto_worker_error_name(proto_worker_error_kind kind)
{
    return (unsigned)kind < WORKER_ERR_COUNT ? worker_error_names[kind] : "?";
}

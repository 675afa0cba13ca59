/*
 * fuzz_protocol.c — libFuzzer target: hostile bytes into the wire protocol
 * between host, workers and job processes (src/wire/protocol.c, frame.c).
 *
 * Those bytes really can be hostile: a hijacked job process writes its result
 * frame on a pipe to its worker, and a compromised worker answers the host.
 *
 * Input layout: the first byte picks the message kind (low 7 bits modulo the
 * number of decoders) and whether the first frame is read with frame_read
 * instead of frame_recv (high bit); the rest is
 *   1. decoded as that message. A decode that succeeds must write back
 *      exactly the input (every proto decoder demands the end of input, SCALE
 *      is canonical), must refuse the input one byte shorter or longer, and is
 *      freed with its *_free; a decode that fails must leave nothing allocated
 *      and say why, at an offset inside the input;
 *   2. written into a pipe and read back as a stream of frames with a small
 *      limit. Every result is checked against a model of the stream (clean
 *      close, truncated header, too large, truncated payload, or a frame equal
 *      to the bytes its header announced), and each frame read is decoded as
 *      in 1.
 * A failed check aborts, so libFuzzer keeps the input.
 *
 * Seeds: with PVF_FUZZ_SEED_DIR set, the binary writes real encodings of every
 * message variant (raw and framed) into that directory and exits
 * (`make -f fuzz/Makefile corpus FUZZ_TARGET=fuzz_protocol`).
 */
#define _GNU_SOURCE     /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire/daemon_protocol.h"
#include "wire/protocol.h"

#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "fuzz_protocol: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Small on purpose: a frame over it must be refused before any allocation. */
#define FUZZ_FRAME_MAX 4096u

/* ================================================================ codecs */

typedef union any_message {
    proto_version_handshake version_handshake;
    proto_security_status worker_handshake;
    executor_params exec_handshake;
    proto_pvf_prep_data pvf_prep_data;
    proto_prepare_result prepare_result;
    proto_prepare_job_result prepare_job_result;
    proto_execute_request execute_request;
    proto_execute_result execute_result;
    proto_execute_job_result execute_job_result;
    pvfd_hello pvfd_hello;
    pvfd_welcome pvfd_welcome;
    pvfd_request pvfd_request;
    pvfd_response pvfd_response;
} any_message;

/* One message kind, with uniform signatures. `inspect` checks the invariants
 * of a decoded value; `owns_nothing` says a failed decode left no allocation;
 * `release` (NULL when nothing is ever allocated) frees a decoded value. */
typedef struct codec {
    const char *name;
    bool (*decode)(const uint8_t *in, size_t len, any_message *m, wasm_error *err);
    void (*write)(scale_writer *w, const any_message *m);
    void (*release)(any_message *m);
    bool (*owns_nothing)(const any_message *m);
    void (*inspect)(const any_message *m);
} codec;

#define ADAPT(name, field)                                                                \
    static bool dec_##name(const uint8_t *in, size_t len, any_message *m, wasm_error *err) \
    {                                                                                     \
        return proto_##name##_decode(in, len, &m->field, err);                            \
    }                                                                                     \
    static void wr_##name(scale_writer *w, const any_message *m)                          \
    {                                                                                     \
        proto_##name##_write(w, &m->field);                                               \
    }
ADAPT(version_handshake, version_handshake)
ADAPT(worker_handshake, worker_handshake)
ADAPT(exec_handshake, exec_handshake)
ADAPT(pvf_prep_data, pvf_prep_data)
ADAPT(prepare_result, prepare_result)
ADAPT(prepare_job_result, prepare_job_result)
ADAPT(execute_request, execute_request)
ADAPT(execute_result, execute_result)
ADAPT(execute_job_result, execute_job_result)

/* pvfd's messages (src/wire/daemon_protocol.h): views only, nothing to free. */
#define ADAPT_PVFD(name)                                                                   \
    static bool dec_##name(const uint8_t *in, size_t len, any_message *m, wasm_error *err) \
    {                                                                                     \
        return name##_decode(in, len, &m->name, err);                                     \
    }                                                                                     \
    static void wr_##name(scale_writer *w, const any_message *m)                          \
    {                                                                                     \
        name##_write(w, &m->name);                                                        \
    }
ADAPT_PVFD(pvfd_hello)
ADAPT_PVFD(pvfd_welcome)
ADAPT_PVFD(pvfd_request)
ADAPT_PVFD(pvfd_response)

static void free_exec_handshake(any_message *m) { executor_params_free(&m->exec_handshake); }
static void free_pvf_prep_data(any_message *m) { proto_pvf_prep_data_free(&m->pvf_prep_data); }
static void free_execute_result(any_message *m) { proto_execute_result_free(&m->execute_result); }
static void free_execute_job_result(any_message *m)
{
    proto_execute_job_result_free(&m->execute_job_result);
}

static bool params_empty(const executor_params *ep)
{
    return ep->items == NULL && ep->count == 0;
}

static bool result_empty(const validation_result *r)
{
    return r->upward_messages == NULL && r->horizontal_messages == NULL &&
           r->n_upward_messages == 0 && r->n_horizontal_messages == 0;
}

static bool nothing_to_own(const any_message *m) { (void)m; return true; }
static bool owns_nothing_exec_handshake(const any_message *m)
{
    return params_empty(&m->exec_handshake);
}
static bool owns_nothing_pvf_prep_data(const any_message *m)
{
    return params_empty(&m->pvf_prep_data.executor_params);
}
static bool owns_nothing_execute_result(const any_message *m)
{
    return result_empty(&m->execute_result.job_response.result);
}
static bool owns_nothing_execute_job_result(const any_message *m)
{
    return result_empty(&m->execute_job_result.response.result);
}

/* ---------------------------------------------------------------- invariants */

static void inspect_duration(proto_duration d)
{
    REQUIRE(d.nanos < 1000000000u);
    uint64_t ns = proto_duration_to_ns(d);
    REQUIRE(ns == UINT64_MAX || proto_duration_from_ns(ns).secs == d.secs);
}

static void inspect_prepare_error(const proto_prepare_error *e)
{
    REQUIRE((unsigned)e->kind < PREP_ERR_COUNT);
    REQUIRE(strcmp(proto_prepare_error_name(e->kind), "?") != 0);
    (void)proto_prepare_error_is_deterministic(e->kind);
    REQUIRE(e->kind == PREP_ERR_RENAME_TMP_FILE || (!e->has_src && !e->has_dest));
}

static void inspect_job_response(const proto_job_response *r)
{
    REQUIRE((unsigned)r->kind < JOB_RESP_COUNT);
    REQUIRE(strcmp(proto_job_response_name(r->kind), "?") != 0);
    REQUIRE(r->kind == JOB_RESP_OK || result_empty(&r->result));
    REQUIRE(r->result.n_upward_messages <= PVF_REF_MAX_UPWARD_MESSAGES);
    REQUIRE(r->result.n_horizontal_messages <= PVF_REF_MAX_HORIZONTAL_MESSAGES);
}

static void inspect_job_error(const proto_job_error *e)
{
    REQUIRE((unsigned)e->kind < JOB_ERR_COUNT);
    REQUIRE(strcmp(proto_job_error_name(e->kind), "?") != 0);
}

static void inspect_nothing(const any_message *m) { (void)m; }

static void inspect_version_handshake(const any_message *m)
{
    (void)m->version_handshake.protocol_version;
}

static void inspect_pvf_prep_data(const any_message *m)
{
    const proto_pvf_prep_data *d = &m->pvf_prep_data;
    inspect_duration(d->prep_timeout);
    REQUIRE(d->prep_kind == PROTO_PREP_COMPILATION || d->prep_kind == PROTO_PREP_PRECHECKING);
}

static void inspect_prepare_result(const any_message *m)
{
    const proto_prepare_result *r = &m->prepare_result;
    if (r->ok)
        inspect_duration(r->stats.cpu_time_elapsed);
    else
        inspect_prepare_error(&r->error);
}

static void inspect_prepare_job_result(const any_message *m)
{
    if (!m->prepare_job_result.ok)
        inspect_prepare_error(&m->prepare_job_result.error);
}

static void inspect_execute_request(const any_message *m)
{
    inspect_duration(m->execute_request.execution_timeout);
}

static void inspect_worker_error(const proto_worker_error *e)
{
    REQUIRE((unsigned)e->kind < WORKER_ERR_COUNT);
    REQUIRE(strcmp(proto_worker_error_name(e->kind), "?") != 0);
    if (e->kind == WORKER_ERR_JOB_ERROR)
        inspect_job_error(&e->job_error);
    if (e->kind == WORKER_ERR_INTERNAL) {
        REQUIRE((unsigned)e->internal.kind < INTERNAL_ERR_COUNT);
        REQUIRE(strcmp(proto_internal_error_name(e->internal.kind), "?") != 0);
        if (e->internal.kind == INTERNAL_ERR_NON_DETERMINISTIC_PREPARE)
            inspect_prepare_error(&e->internal.prepare_error);
    }
}

static void inspect_execute_result(const any_message *m)
{
    const proto_execute_result *r = &m->execute_result;
    if (r->ok) {
        inspect_job_response(&r->job_response);
        inspect_duration(r->duration);
    } else {
        REQUIRE(result_empty(&r->job_response.result));
        inspect_worker_error(&r->error);
    }
}

static void inspect_execute_job_result(const any_message *m)
{
    const proto_execute_job_result *r = &m->execute_job_result;
    if (r->ok) {
        inspect_job_response(&r->response);
    } else {
        REQUIRE(result_empty(&r->response.result));
        inspect_job_error(&r->error);
    }
}

static void inspect_pvfd_request(const any_message *m)
{
    const pvfd_request *q = &m->pvfd_request;
    REQUIRE(q->kind < PVFD_REQ_COUNT);
    scale_bytes code, ep;
    for (uint32_t i = 0; i < q->n_items; i++)
        REQUIRE(pvfd_heads_up_item(q, i, &code, &ep));
    REQUIRE(!pvfd_heads_up_item(q, q->n_items, &code, &ep));
}

static const codec codecs[] = {
    { "version_handshake", dec_version_handshake, wr_version_handshake, NULL,
      nothing_to_own, inspect_version_handshake },
    { "worker_handshake", dec_worker_handshake, wr_worker_handshake, NULL,
      nothing_to_own, inspect_nothing },
    { "exec_handshake", dec_exec_handshake, wr_exec_handshake, free_exec_handshake,
      owns_nothing_exec_handshake, inspect_nothing },
    { "pvf_prep_data", dec_pvf_prep_data, wr_pvf_prep_data, free_pvf_prep_data,
      owns_nothing_pvf_prep_data, inspect_pvf_prep_data },
    { "prepare_result", dec_prepare_result, wr_prepare_result, NULL,
      nothing_to_own, inspect_prepare_result },
    { "prepare_job_result", dec_prepare_job_result, wr_prepare_job_result, NULL,
      nothing_to_own, inspect_prepare_job_result },
    { "execute_request", dec_execute_request, wr_execute_request, NULL,
      nothing_to_own, inspect_execute_request },
    { "execute_result", dec_execute_result, wr_execute_result, free_execute_result,
      owns_nothing_execute_result, inspect_execute_result },
    { "execute_job_result", dec_execute_job_result, wr_execute_job_result,
      free_execute_job_result, owns_nothing_execute_job_result, inspect_execute_job_result },
    { "pvfd_hello", dec_pvfd_hello, wr_pvfd_hello, NULL, nothing_to_own, inspect_nothing },
    { "pvfd_welcome", dec_pvfd_welcome, wr_pvfd_welcome, NULL, nothing_to_own, inspect_nothing },
    { "pvfd_request", dec_pvfd_request, wr_pvfd_request, NULL, nothing_to_own, inspect_pvfd_request },
    { "pvfd_response", dec_pvfd_response, wr_pvfd_response, NULL, nothing_to_own, inspect_nothing },
};
#define N_CODECS (sizeof codecs / sizeof codecs[0])

/* ================================================================ decoding */

/* A decode that fails says why, at an offset inside the input, and owns nothing. */
static bool decode_checked(const codec *c, const uint8_t *in, size_t len, any_message *m)
{
    wasm_error err;
    memset(&err, 0, sizeof err);
    if (c->decode(in, len, m, &err))
        return true;
    REQUIRE(err.msg[0] != '\0');
    REQUIRE(!err.has_offset || err.offset <= len);
    REQUIRE(c->owns_nothing(m));
    return false;
}

static void release(const codec *c, any_message *m)
{
    if (c->release)
        c->release(m);
}

/* The input one byte shorter or one byte longer is not a message. */
static void require_exact_length(const codec *c, const uint8_t *in, size_t len)
{
    any_message m;
    if (len > 0 && decode_checked(c, in, len - 1, &m)) {
        fprintf(stderr, "fuzz_protocol: %s: a %zu-byte prefix decoded too\n", c->name, len - 1);
        abort();
    }
    uint8_t *longer = malloc(len + 1);
    REQUIRE(longer != NULL);
    if (len > 0)
        memcpy(longer, in, len);
    longer[len] = 0;
    if (decode_checked(c, longer, len + 1, &m)) {
        fprintf(stderr, "fuzz_protocol: %s: trailing byte accepted\n", c->name);
        abort();
    }
    free(longer);
}

static void fuzz_decode(const codec *c, const uint8_t *in, size_t len)
{
    any_message m;
    if (!decode_checked(c, in, len, &m))
        return;
    c->inspect(&m);

    scale_writer w;
    uint8_t *out;
    size_t out_len;
    scale_writer_init(&w);
    c->write(&w, &m);
    REQUIRE(scale_writer_finish(&w, &out, &out_len));
    if (out_len != len || (len > 0 && memcmp(out, in, len) != 0)) {
        fprintf(stderr, "fuzz_protocol: %s: decoded %zu bytes, wrote back %zu different ones\n",
                c->name, len, out_len);
        abort();
    }
    free(out);
    release(c, &m);
    require_exact_length(c, in, len);
}

/* ================================================================ frames */

/* Write as much of the stream as the pipe takes without blocking and close
 * the write end; returns how much went in. */
static size_t fill_pipe(int fds[2], const uint8_t *p, size_t n)
{
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    REQUIRE(fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0);
    size_t put = 0;
    while (put < n) {
        ssize_t k = write(fds[1], p + put, n - put);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            REQUIRE(errno == EAGAIN);
            break;
        }
        put += (size_t)k;
    }
    close(fds[1]);
    return put;
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* What frame_recv must answer for the stream s[0..n), with its error text. */
static frame_status expected_frame(const uint8_t *s, size_t n, const char **why)
{
    if (n == 0) {
        *why = "connection closed";
        return FRAME_CLOSED;
    }
    if (n < FRAME_HEADER_SIZE) {
        *why = "truncated frame";
        return FRAME_ERROR;
    }
    uint64_t len = load_le64(s);
    if (len > FUZZ_FRAME_MAX) {
        *why = "frame too large";
        return FRAME_ERROR;
    }
    if (n - FRAME_HEADER_SIZE < len) {
        *why = "truncated frame";
        return FRAME_ERROR;
    }
    *why = NULL;
    return FRAME_OK;
}

static frame_status read_one(int fd, bool use_frame_read, uint8_t **p, size_t *n, char *err,
                             size_t errlen)
{
    if (!use_frame_read)
        return frame_recv(fd, FUZZ_FRAME_MAX, p, n, err, errlen);
    if (frame_read(fd, FUZZ_FRAME_MAX, p, n, err, errlen))
        return FRAME_OK;
    return strcmp(err, "connection closed") == 0 ? FRAME_CLOSED : FRAME_ERROR;
}

static void fuzz_frames(const codec *c, const uint8_t *s, size_t size, bool first_with_read)
{
    int fds[2];
    size_t n = fill_pipe(fds, s, size);
    size_t pos = 0;
    for (bool use_read = first_with_read;; use_read = false) {
        uint8_t *p = (uint8_t *)"x";
        size_t len = 12345;
        char err[256] = "";
        const char *why;
        frame_status want = expected_frame(s + pos, n - pos, &why);
        frame_status got = read_one(fds[0], use_read, &p, &len, err, sizeof err);
        if (got != want) {
            fprintf(stderr, "fuzz_protocol: frame at %zu: status %d, expected %d (%s): %s\n",
                    pos, got, want, why ? why : "a frame", err);
            abort();
        }
        if (got != FRAME_OK) {
            REQUIRE(p == NULL && len == 0);
            REQUIRE(strstr(err, why) != NULL);
            break;
        }
        REQUIRE(p != NULL);
        REQUIRE(len == load_le64(s + pos));
        REQUIRE(len == 0 || memcmp(p, s + pos + FRAME_HEADER_SIZE, len) == 0);
        fuzz_decode(c, p, len);
        free(p);
        pos += FRAME_HEADER_SIZE + len;
    }
    close(fds[0]);
}

/* ================================================================ seeds */

static const char *seed_dir;
static unsigned seed_count;

static void seed_file(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%03u", seed_dir, seed_count++);
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(a, 1, alen, f) == alen);
    REQUIRE(blen == 0 || fwrite(b, 1, blen, f) == blen);
    REQUIRE(fclose(f) == 0);
}

/* Two seeds per message: kind byte + payload, and kind byte + the payload as a frame. */
static void seed(unsigned kind, const any_message *m)
{
    scale_writer w;
    uint8_t *bytes;
    size_t len;
    scale_writer_init(&w);
    codecs[kind].write(&w, m);
    REQUIRE(scale_writer_finish(&w, &bytes, &len));
    uint8_t head[1 + FRAME_HEADER_SIZE] = { (uint8_t)kind };
    seed_file(head, 1, bytes, len);
    for (int i = 0; i < FRAME_HEADER_SIZE; i++)
        head[1 + i] = (uint8_t)((uint64_t)len >> (8 * i));
    seed_file(head, sizeof head, bytes, len);
    free(bytes);
}

enum { K_VERSION, K_WORKER, K_EXEC_HS, K_PREP_DATA, K_PREP_RESULT, K_PREP_JOB, K_EXEC_REQ,
       K_EXEC_RESULT, K_EXEC_JOB };

static executor_params some_params(void)
{
    static const executor_param items[] = {
        { EXEC_PARAM_MAX_MEMORY_PAGES, 0, 8192 },
        { EXEC_PARAM_STACK_LOGICAL_MAX, 0, 65536 },
        { EXEC_PARAM_STACK_NATIVE_MAX, 0, 256u << 20 },
        { EXEC_PARAM_PRECHECKING_MAX_MEMORY, 0, 512u << 20 },
        { EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PREPARE, 360000 },
        { EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_APPROVAL, 12000 },
        { EXEC_PARAM_WASM_EXT_BULK_MEMORY, 0, 0 },
    };
    executor_params ep;
    executor_params_init(&ep);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        REQUIRE(executor_params_push(&ep, items[i]));
    return ep;
}

static proto_prepare_error prepare_error_of(unsigned kind)
{
    proto_prepare_error e = { .kind = (proto_prepare_error_kind)kind,
                              .msg = proto_str("panic: something went wrong") };
    if (kind == PREP_ERR_RENAME_TMP_FILE) {
        e.has_src = true;
        e.src = proto_str("/tmp/worker/tmp-artifact");
        e.has_dest = false;     /* Option::None */
        e.dest = proto_str("/cache/wasmtime_1_0x00ff");
    }
    if (kind == PREP_ERR_JOB_DIED)
        e.job_pid = 4242;
    return e;
}

static void seed_handshakes(void)
{
    any_message m;
    m.version_handshake = (proto_version_handshake){ PROTO_VERSION, proto_str("pvf 0.1.0") };
    seed(K_VERSION, &m);
    m.version_handshake = (proto_version_handshake){ 7, proto_str("ünïcödé ✓") };
    seed(K_VERSION, &m);
    m.worker_handshake = (proto_security_status){ true, false, true, false, true };
    seed(K_WORKER, &m);
    executor_params_init(&m.exec_handshake);
    seed(K_EXEC_HS, &m);
    m.exec_handshake = some_params();
    seed(K_EXEC_HS, &m);
    executor_params_free(&m.exec_handshake);
}

static void seed_prepare(void)
{
    static const uint8_t wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    any_message m;
    memset(&m, 0, sizeof m);
    m.pvf_prep_data = (proto_pvf_prep_data){
        .maybe_compressed_code = { wasm, sizeof wasm }, .validation_code_bomb_limit = 30u << 20,
        .executor_params = some_params(), .prep_timeout = proto_duration_from_ms(60000),
        .prep_kind = PROTO_PREP_PRECHECKING };
    memset(m.pvf_prep_data.code_hash, 0xab, 32);
    seed(K_PREP_DATA, &m);
    executor_params_free(&m.pvf_prep_data.executor_params);

    memset(&m, 0, sizeof m);
    m.prepare_result = (proto_prepare_result){ .ok = true, .stats = {
        .cpu_time_elapsed = proto_duration_from_ns(123456789012ull),
        .memory_stats = { true, 1u << 20, 2u << 20, true, 4096, 777 },
        .observed_wasm_code_len = 31337 } };
    memset(m.prepare_result.checksum, 0x5a, 32);
    seed(K_PREP_RESULT, &m);
    for (unsigned k = 0; k < PREP_ERR_COUNT; k++) {
        m.prepare_result = (proto_prepare_result){ .ok = false, .error = prepare_error_of(k) };
        seed(K_PREP_RESULT, &m);
    }

    m.prepare_job_result = (proto_prepare_job_result){ .ok = true, .artifact = { wasm, sizeof wasm },
        .memory_stats = { false, 0, 0, true, -1, 0 }, .observed_wasm_code_len = 8 };
    seed(K_PREP_JOB, &m);
    for (unsigned k = 0; k < PREP_ERR_COUNT; k += 3) {
        m.prepare_job_result = (proto_prepare_job_result){ .ok = false, .error = prepare_error_of(k) };
        seed(K_PREP_JOB, &m);
    }
}

static void seed_execute(void)
{
    static const uint8_t head[] = { 1, 2, 3, 4 }, pov[] = { 0x82, 0x52, 0x4e, 0x6b, 0x42 };
    static const scale_bytes upward[] = { { head, 2 }, { pov, 5 } };
    static const hrmp_message hrmp[] = { { 2000, { head, 4 } } };
    any_message m;
    memset(&m, 0, sizeof m);
    m.execute_request = (proto_execute_request){
        .pvd = { { head, sizeof head }, 19000000, { 0 }, 5u << 20 }, .pov = { pov, sizeof pov },
        .execution_timeout = proto_duration_from_ms(2000) };
    memset(m.execute_request.artifact_checksum, 0x11, 32);
    seed(K_EXEC_REQ, &m);

    proto_job_response responses[JOB_RESP_COUNT];
    for (unsigned k = 0; k < JOB_RESP_COUNT; k++)
        responses[k] = (proto_job_response){ .kind = (proto_job_response_kind)k,
                                             .msg = proto_str("bad candidate") };
    responses[JOB_RESP_OK].result = (validation_result){
        .head_data = { head, sizeof head }, .has_new_validation_code = true,
        .new_validation_code = { pov, 3 }, .upward_messages = (scale_bytes *)upward,
        .n_upward_messages = 2, .horizontal_messages = (hrmp_message *)hrmp,
        .n_horizontal_messages = 1, .processed_downward_messages = 3, .hrmp_watermark = 99 };
    for (unsigned k = 0; k < JOB_RESP_COUNT; k++) {
        m.execute_result = (proto_execute_result){ .ok = true, .job_response = responses[k],
            .duration = proto_duration_from_ms(15), .pov_size = 5 };
        seed(K_EXEC_RESULT, &m);
        m.execute_job_result = (proto_execute_job_result){ .ok = true, .response = responses[k] };
        seed(K_EXEC_JOB, &m);
    }
    for (unsigned k = 0; k < JOB_ERR_COUNT; k++) {
        proto_job_error e = { (proto_job_error_kind)k, proto_str("thread panicked"), -9 };
        m.execute_job_result = (proto_execute_job_result){ .ok = false, .error = e };
        seed(K_EXEC_JOB, &m);
        m.execute_result = (proto_execute_result){ .ok = false,
            .error = { .kind = WORKER_ERR_JOB_ERROR, .job_error = e } };
        seed(K_EXEC_RESULT, &m);
    }
    m.execute_result = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_JOB_TIMED_OUT } };
    seed(K_EXEC_RESULT, &m);
    m.execute_result = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_JOB_DIED,
        .msg = proto_str("received signal: SIGKILL"), .job_pid = 1234 } };
    seed(K_EXEC_RESULT, &m);
    for (unsigned k = 0; k < INTERNAL_ERR_COUNT; k++) {
        proto_internal_error ie = { .kind = (proto_internal_error_kind)k, .msg = proto_str("eio"),
            .has_path = true, .path = proto_str("/w/dir"), .prepare_error = prepare_error_of(11) };
        m.execute_result = (proto_execute_result){ .ok = false,
            .error = { .kind = WORKER_ERR_INTERNAL, .internal = ie } };
        seed(K_EXEC_RESULT, &m);
    }
}

/* Three frames in one stream, then a frame cut short. */
static void seed_streams(void)
{
    static const uint8_t stream[] = {
        K_PREP_RESULT,
        2, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x04,                      /* Err(TimedOut) */
        2, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x08,                      /* Err(OutOfMemory) */
        0, 0, 0, 0, 0, 0, 0, 0,                                  /* empty frame */
        9, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x0b, 0x04,                /* truncated */
    };
    seed_file(stream, sizeof stream, NULL, 0);
    static const uint8_t huge[] = { K_EXEC_RESULT | 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    seed_file(huge, sizeof huge, NULL, 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    seed_dir = getenv("PVF_FUZZ_SEED_DIR");
    if (!seed_dir)
        return 0;
    seed_handshakes();
    seed_prepare();
    seed_execute();
    seed_streams();
    fprintf(stderr, "fuzz_protocol: wrote %u seeds to %s\n", seed_count, seed_dir);
    exit(0);
}

/* ================================================================ entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const codec *c = &codecs[(data[0] & 0x7f) % N_CODECS];
    fuzz_decode(c, data + 1, size - 1);
    fuzz_frames(c, data + 1, size - 1, (data[0] & 0x80) != 0);
    return 0;
}

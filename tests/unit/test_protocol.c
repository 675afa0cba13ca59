/*
 * test_protocol.c — frames and the host/worker/job messages (src/wire/protocol.h).
 *
 * Byte-exact cases are computed by hand from reference-behaviour.md §3.3
 * (and the OOM payload quoted verbatim in §2.2); round trips check that every
 * message decodes to what was written and re-encodes to the same bytes; the
 * framing tests use real pipes and socket pairs.
 */
#define _GNU_SOURCE     /* pipe2 */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wire/protocol.h"

/* ------------------------------------------------------------ helpers */

static uint8_t *finish(scale_writer *w, size_t *len)
{
    uint8_t *out = NULL;
    CHECK(scale_writer_finish(w, &out, len));
    return out;
}

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool view_eq(scale_bytes v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

/* Every proper prefix of a valid encoding must fail to decode, and one extra byte too. */
typedef bool (*decode_fn)(const uint8_t *in, size_t len, void *out, wasm_error *err);
typedef void (*free_fn)(void *out);

static void check_prefixes_and_trailing(const uint8_t *bytes, size_t len, decode_fn decode,
                                        free_fn release, void *scratch)
{
    wasm_error err;
    for (size_t k = 0; k < len; k++) {
        if (decode(bytes, k, scratch, &err)) {
            test_fail(__FILE__, __LINE__, "prefix of %zu/%zu bytes decoded", k, len);
            if (release)
                release(scratch);
        }
    }
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, bytes, len);
    longer[len] = 0;
    memset(&err, 0, sizeof err);
    CHECK(!decode(longer, len + 1, scratch, &err));
    CHECK_STR_CONTAINS(err.msg, "trailing bytes");
    CHECK(decode(longer, len, scratch, &err));
    if (release)
        release(scratch);
    free(longer);
}

/* Adapters with a uniform signature for check_prefixes_and_trailing. */
#define ADAPT(name, type)                                                             \
    static bool dec_##name(const uint8_t *in, size_t len, void *out, wasm_error *err) \
    {                                                                                 \
        return proto_##name##_decode(in, len, (type *)out, err);                      \
    }
ADAPT(version_handshake, proto_version_handshake)
ADAPT(worker_handshake, proto_security_status)
ADAPT(exec_handshake, executor_params)
ADAPT(pvf_prep_data, proto_pvf_prep_data)
ADAPT(prepare_result, proto_prepare_result)
ADAPT(prepare_job_result, proto_prepare_job_result)
ADAPT(execute_request, proto_execute_request)
ADAPT(execute_result, proto_execute_result)
ADAPT(execute_job_result, proto_execute_job_result)

static void free_exec_params(void *p) { executor_params_free(p); }
static void free_prep_data(void *p) { proto_pvf_prep_data_free(p); }
static void free_exec_result(void *p) { proto_execute_result_free(p); }
static void free_exec_job_result(void *p) { proto_execute_job_result_free(p); }

/* ------------------------------------------------------------ byte-exact */

TEST(protocol_bytes_prepare_timed_out)
{
    /* Result::Err = 1, PrepareError::TimedOut = 4. */
    proto_prepare_result m = { .ok = false, .error = { .kind = PREP_ERR_TIMED_OUT } };
    scale_writer w;
    scale_writer_init(&w);
    proto_prepare_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    static const uint8_t want[] = { 0x01, 0x04 };
    CHECK(bytes_eq(b, len, want, sizeof want));
    free(b);
}

TEST(protocol_bytes_oom_payload)
{
    /* §2.2 quotes the job's raw OOM frame: 02 00 00 00 00 00 00 00 01 08. */
    static const uint8_t frame[] = { 0x02, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x08 };
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0);
    CHECK(write(fds[1], frame, sizeof frame) == (ssize_t)sizeof frame);
    close(fds[1]);
    uint8_t *p;
    size_t n;
    char err[128];
    CHECK(frame_read(fds[0], PROTO_MAX_PREPARE_JOB_RESPONSE, &p, &n, err, sizeof err));
    close(fds[0]);
    proto_prepare_job_result m;
    wasm_error e;
    CHECK(proto_prepare_job_result_decode(p, n, &m, &e));
    CHECK(!m.ok && m.error.kind == PREP_ERR_OUT_OF_MEMORY);
    free(p);

    /* And our encoder, framed, produces exactly those bytes. */
    scale_writer w;
    scale_writer_init(&w);
    proto_prepare_job_result_write(&w, &(proto_prepare_job_result){ .ok = false,
                                         .error = { .kind = PREP_ERR_OUT_OF_MEMORY } });
    CHECK(pipe2(fds, O_CLOEXEC) == 0);
    CHECK(proto_send(fds[1], &w, err, sizeof err));
    close(fds[1]);
    uint8_t got[32];
    CHECK(read(fds[0], got, sizeof got) == (ssize_t)sizeof frame);
    CHECK(memcmp(got, frame, sizeof frame) == 0);
    close(fds[0]);
}

TEST(protocol_bytes_worker_handshake)
{
    proto_security_status s = { .secure_validator_mode = true, .can_do_secure_clone = true };
    scale_writer w;
    scale_writer_init(&w);
    proto_worker_handshake_write(&w, &s);
    size_t len;
    uint8_t *b = finish(&w, &len);
    static const uint8_t want[] = { 1, 0, 0, 0, 1 };
    CHECK(bytes_eq(b, len, want, sizeof want));
    proto_security_status d;
    wasm_error e;
    CHECK(proto_worker_handshake_decode(b, len, &d, &e));
    CHECK(d.secure_validator_mode && !d.can_enable_landlock && !d.can_enable_seccomp &&
          !d.can_unshare_user_namespace_and_change_root && d.can_do_secure_clone);
    b[2] = 2;
    CHECK(!proto_worker_handshake_decode(b, len, &d, &e));
    CHECK_STR_CONTAINS(e.msg, "invalid bool");
    free(b);
}

TEST(protocol_bytes_pvf_prep_data)
{
    static const uint8_t code[] = { 0xaa, 0xbb };
    proto_pvf_prep_data m = {
        .maybe_compressed_code = { code, 2 },
        .validation_code_bomb_limit = 0x01000000,
        .prep_timeout = { 60, 0 },
        .prep_kind = PROTO_PREP_PRECHECKING,
    };
    memset(m.code_hash, 0x11, 32);
    executor_params_init(&m.executor_params);
    scale_writer w;
    scale_writer_init(&w);
    proto_pvf_prep_data_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    uint8_t want[3 + 4 + 32 + 1 + 12 + 1] = { 0x08, 0xaa, 0xbb, 0x00, 0x00, 0x00, 0x01 };
    memset(want + 7, 0x11, 32);
    want[39] = 0x00;            /* empty Vec<ExecutorParam> */
    want[40] = 0x3c;            /* 60 s as u64, then 0 ns as u32 */
    want[52] = 0x01;            /* PrepareJobKind::Prechecking */
    CHECK(bytes_eq(b, len, want, sizeof want));
    free(b);
}

TEST(protocol_bytes_execute_results)
{
    /* Ok(WorkerResponse{CorruptedArtifact, duration 0, pov_size 0}). */
    proto_execute_result m = { .ok = true, .job_response = { .kind = JOB_RESP_CORRUPTED_ARTIFACT } };
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    uint8_t want1[2 + 12 + 4] = { 0x00, 0x04 };
    CHECK(bytes_eq(b, len, want1, sizeof want1));
    free(b);

    /* Err(JobDied{err: "received signal: SIGKILL", job_pid: 1234}). */
    m = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_JOB_DIED,
                                .msg = proto_str("received signal: SIGKILL"), .job_pid = 1234 } };
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    uint8_t want2[3 + 24 + 4] = { 0x01, 0x01, 0x60 };
    memcpy(want2 + 3, "received signal: SIGKILL", 24);
    want2[27] = 0xd2, want2[28] = 0x04;
    CHECK(bytes_eq(b, len, want2, sizeof want2));
    free(b);

    /* pvf's trailer: the job's peak RSS as 8 more bytes, read back; absent, it is 0. */
    m = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_JOB_DIED,
                                .msg = proto_str("received signal: SIGKILL"), .job_pid = 1234 },
                                .job_max_rss_kib = 0x0102030405ull };
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    static const uint8_t trailer[8] = { 0x05, 0x04, 0x03, 0x02, 0x01 };
    CHECK(len == sizeof want2 + 8 && bytes_eq(b, sizeof want2, want2, sizeof want2) &&
          bytes_eq(b + sizeof want2, 8, trailer, 8));
    proto_execute_result d2;
    wasm_error e2;
    CHECK(proto_execute_result_decode(b, len, &d2, &e2) && d2.job_max_rss_kib == 0x0102030405ull);
    proto_execute_result_free(&d2);
    CHECK(proto_execute_result_decode(want2, sizeof want2, &d2, &e2) && d2.job_max_rss_kib == 0);
    proto_execute_result_free(&d2);
    free(b);

    /* and the runtime's log after it, as a String (compact length 12 = 0x30, then the text); a
     * log without an RSS writes an RSS of 0; a short or overlong trailer is refused */
    m.runtime_log = proto_str("PRINT: hello");
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    CHECK(len == sizeof want2 + 8 + 1 + 12 && b[sizeof want2 + 8] == 0x30 &&
          !memcmp(b + sizeof want2 + 9, "PRINT: hello", 12));
    CHECK(proto_execute_result_decode(b, len, &d2, &e2) && d2.job_max_rss_kib == 0x0102030405ull &&
          view_eq(d2.runtime_log, "PRINT: hello"));
    proto_execute_result_free(&d2);
    CHECK(!proto_execute_result_decode(b, len - 1, &d2, &e2));     /* the String cut short */
    CHECK(!proto_execute_result_decode(b, sizeof want2 + 5, &d2, &e2));     /* the RSS cut short */
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    CHECK(!proto_execute_result_decode(longer, len + 1, &d2, &e2));         /* a byte after the log */
    free(longer);
    free(b);
    m.job_max_rss_kib = 0;
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    CHECK(len == sizeof want2 + 8 + 1 + 12 && bytes_eq(b + sizeof want2, 8, (const uint8_t[8]){0}, 8));
    free(b);
    /* only the canonical trailer (fuzz/regressions/protocol/execute-job-result-empty-trailer):
     * an RSS of 0 with nothing after it, or an empty log, is what no writer makes */
    uint8_t odd[sizeof want2 + 9];
    memcpy(odd, want2, sizeof want2);
    memset(odd + sizeof want2, 0, 9);
    CHECK(!proto_execute_result_decode(odd, sizeof want2 + 8, &d2, &e2));
    CHECK_STR_CONTAINS(e2.msg, "a trailer with nothing in it");
    CHECK(!proto_execute_result_decode(odd, sizeof odd, &d2, &e2));
    CHECK_STR_CONTAINS(e2.msg, "an empty runtime log");

    /* Err(JobError(UnexpectedExitStatus(-1))). */
    m = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_JOB_ERROR,
                                .job_error = { .kind = JOB_ERR_UNEXPECTED_EXIT_STATUS, .exit_status = -1 } } };
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    static const uint8_t want3[] = { 0x01, 0x02, 0x05, 0xff, 0xff, 0xff, 0xff };
    CHECK(bytes_eq(b, len, want3, sizeof want3));
    free(b);

    /* Err(InternalError(NonDeterministicPrepareError(Kernel("x")))). */
    m = (proto_execute_result){ .ok = false, .error = { .kind = WORKER_ERR_INTERNAL,
        .internal = { .kind = INTERNAL_ERR_NON_DETERMINISTIC_PREPARE,
                      .prepare_error = { .kind = PREP_ERR_KERNEL, .msg = proto_str("x") } } } };
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    b = finish(&w, &len);
    static const uint8_t want4[] = { 0x01, 0x03, 0x06, 0x0b, 0x04, 'x' };
    CHECK(bytes_eq(b, len, want4, sizeof want4));
    proto_execute_result d;
    wasm_error e;
    CHECK(proto_execute_result_decode(b, len, &d, &e));
    CHECK(!d.ok && d.error.kind == WORKER_ERR_INTERNAL &&
          d.error.internal.kind == INTERNAL_ERR_NON_DETERMINISTIC_PREPARE &&
          d.error.internal.prepare_error.kind == PREP_ERR_KERNEL &&
          view_eq(d.error.internal.prepare_error.msg, "x"));
    free(b);
}

TEST(protocol_bytes_rename_tmp_file)
{
    /* PrepareError::RenameTmpFile{err: "e", src: Some("a"), dest: None} = 07 04 'e' 01 04 'a' 00. */
    proto_prepare_result m = { .ok = false, .error = { .kind = PREP_ERR_RENAME_TMP_FILE,
        .msg = proto_str("e"), .has_src = true, .src = proto_str("a") } };
    scale_writer w;
    scale_writer_init(&w);
    proto_prepare_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    static const uint8_t want[] = { 0x01, 0x07, 0x04, 'e', 0x01, 0x04, 'a', 0x00 };
    CHECK(bytes_eq(b, len, want, sizeof want));
    free(b);
}

/* ------------------------------------------------------------ round trips */

TEST(protocol_roundtrip_handshakes)
{
    proto_version_handshake v = { PROTO_VERSION, proto_str("pvf 0.4.0") };
    scale_writer w;
    scale_writer_init(&w);
    proto_version_handshake_write(&w, &v);
    size_t len;
    uint8_t *b = finish(&w, &len);
    CHECK(len == 4 + 4 + 1 + 9 && memcmp(b, "PVFW\x01\0\0\0\x24", 9) == 0);
    proto_version_handshake d;
    wasm_error e;
    CHECK(proto_version_handshake_decode(b, len, &d, &e));
    CHECK(d.protocol_version == PROTO_VERSION && view_eq(d.version, "pvf 0.4.0"));
    check_prefixes_and_trailing(b, len, dec_version_handshake, NULL, &d);
    b[0] = 'X';
    CHECK(!proto_version_handshake_decode(b, len, &d, &e));
    CHECK_STR_CONTAINS(e.msg, "bad magic");
    free(b);

    proto_security_status s = { true, false, true, false, true };
    scale_writer_init(&w);
    proto_worker_handshake_write(&w, &s);
    b = finish(&w, &len);
    check_prefixes_and_trailing(b, len, dec_worker_handshake, NULL, &s);
    free(b);

    executor_params ep, dep;
    char msg[128];
    CHECK(executor_params_parse("MaxMemoryPages=8192,StackLogicalMax=65536,"
                                "PvfExecTimeout.Approval=12000,WasmExtBulkMemory", &ep, msg, sizeof msg));
    scale_writer_init(&w);
    proto_exec_handshake_write(&w, &ep);
    b = finish(&w, &len);
    CHECK(proto_exec_handshake_decode(b, len, &dep, &e));
    CHECK(dep.count == 4 && dep.items[0].value == 8192 && dep.items[2].value == 12000 &&
          dep.items[3].kind == EXEC_PARAM_WASM_EXT_BULK_MEMORY);
    executor_params_free(&dep);
    check_prefixes_and_trailing(b, len, dec_exec_handshake, free_exec_params, &dep);
    executor_params_free(&ep);
    free(b);
}

TEST(protocol_roundtrip_pvf_prep_data)
{
    static const uint8_t code[] = "\x52\xbc\x53\x76\x46\xdb\x8e\x05 not really zstd";
    proto_pvf_prep_data m = {
        .maybe_compressed_code = { code, sizeof code - 1 },
        .validation_code_bomb_limit = 30u << 20,
        .prep_timeout = proto_duration_from_ms(360000 + 7),
        .prep_kind = PROTO_PREP_COMPILATION,
    };
    for (int i = 0; i < 32; i++)
        m.code_hash[i] = (uint8_t)i;
    char msg[128];
    CHECK(executor_params_parse("PrecheckingMaxMemory=536870912,PvfPrepTimeout.Prepare=1000",
                                &m.executor_params, msg, sizeof msg));
    scale_writer w;
    scale_writer_init(&w);
    proto_pvf_prep_data_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    proto_pvf_prep_data d;
    wasm_error e;
    CHECK(proto_pvf_prep_data_decode(b, len, &d, &e));
    CHECK(bytes_eq(d.maybe_compressed_code.ptr, d.maybe_compressed_code.len, code, sizeof code - 1));
    CHECK(d.validation_code_bomb_limit == 30u << 20 && memcmp(d.code_hash, m.code_hash, 32) == 0);
    CHECK(d.prep_timeout.secs == 360 && d.prep_timeout.nanos == 7000000);
    CHECK(d.prep_kind == PROTO_PREP_COMPILATION && d.executor_params.count == 2 &&
          d.executor_params.items[0].value == 536870912ull);
    scale_writer_init(&w);
    proto_pvf_prep_data_write(&w, &d);
    size_t len2;
    uint8_t *b2 = finish(&w, &len2);
    CHECK(bytes_eq(b, len, b2, len2));
    proto_pvf_prep_data_free(&d);
    check_prefixes_and_trailing(b, len, dec_pvf_prep_data, free_prep_data, &d);
    proto_pvf_prep_data_free(&m);
    free(b);
    free(b2);
}

/* Every PrepareError variant, with distinct field values. */
static proto_prepare_error sample_prepare_error(int kind)
{
    proto_prepare_error e = { .kind = (proto_prepare_error_kind)kind, .msg = proto_str("boom ✓") };
    if (kind == PREP_ERR_RENAME_TMP_FILE) {
        e.has_src = true;
        e.src = proto_str("/tmp/a");
        e.has_dest = kind % 2 == 0;
        e.dest = e.has_dest ? proto_str("/c/b") : (scale_bytes){ NULL, 0 };
    }
    if (kind == PREP_ERR_JOB_DIED)
        e.job_pid = -77;
    if (kind == PREP_ERR_TIMED_OUT || kind == PREP_ERR_OUT_OF_MEMORY)
        e.msg = (scale_bytes){ NULL, 0 };
    return e;
}

static bool prepare_error_eq(const proto_prepare_error *a, const proto_prepare_error *b)
{
    return a->kind == b->kind && a->msg.len == b->msg.len &&
           (a->msg.len == 0 || memcmp(a->msg.ptr, b->msg.ptr, a->msg.len) == 0) &&
           a->has_src == b->has_src && a->has_dest == b->has_dest &&
           a->src.len == b->src.len && a->dest.len == b->dest.len && a->job_pid == b->job_pid;
}

TEST(protocol_roundtrip_prepare_results)
{
    for (int kind = 0; kind < PREP_ERR_COUNT; kind++) {
        proto_prepare_result m = { .ok = false, .error = sample_prepare_error(kind) };
        scale_writer w;
        scale_writer_init(&w);
        proto_prepare_result_write(&w, &m);
        size_t len;
        uint8_t *b = finish(&w, &len);
        CHECK(b[0] == 1 && b[1] == kind);
        proto_prepare_result d;
        wasm_error e;
        CHECK(proto_prepare_result_decode(b, len, &d, &e));
        CHECK(!d.ok && prepare_error_eq(&m.error, &d.error));
        check_prefixes_and_trailing(b, len, dec_prepare_result, NULL, &d);
        free(b);
    }
    proto_prepare_result m = { .ok = true, .stats = {
        .cpu_time_elapsed = { 1, 999999999 },
        .memory_stats = { .has_tracker = true, .resident = 1u << 30, .allocated = 12345,
                          .has_max_rss = true, .max_rss = -1, .peak_tracked_alloc = 777 },
        .observed_wasm_code_len = 4096 } };
    memset(m.checksum, 0xcd, 32);
    scale_writer w;
    scale_writer_init(&w);
    proto_prepare_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    /* 1 + 32 + 12 + (1+16) + (1+8) + 8 + 4 */
    CHECK_EQ_U64(len, 83);
    proto_prepare_result d;
    wasm_error e;
    CHECK(proto_prepare_result_decode(b, len, &d, &e));
    CHECK(d.ok && memcmp(d.checksum, m.checksum, 32) == 0 &&
          d.stats.cpu_time_elapsed.nanos == 999999999 && d.stats.memory_stats.resident == 1u << 30 &&
          d.stats.memory_stats.allocated == 12345 && d.stats.memory_stats.max_rss == -1 &&
          d.stats.memory_stats.peak_tracked_alloc == 777 && d.stats.observed_wasm_code_len == 4096);
    check_prefixes_and_trailing(b, len, dec_prepare_result, NULL, &d);
    free(b);

    /* No tracker, no max_rss: 1 + 32 + 12 + 1 + 1 + 8 + 4. */
    m.stats.memory_stats = (proto_memory_stats){ .peak_tracked_alloc = 5 };
    scale_writer_init(&w);
    proto_prepare_result_write(&w, &m);
    b = finish(&w, &len);
    CHECK_EQ_U64(len, 59);
    CHECK(proto_prepare_result_decode(b, len, &d, &e));
    CHECK(!d.stats.memory_stats.has_tracker && !d.stats.memory_stats.has_max_rss &&
          d.stats.memory_stats.peak_tracked_alloc == 5);
    free(b);
}

TEST(protocol_roundtrip_prepare_job_result)
{
    static const uint8_t artifact[] = "ARTIFACT-BYTES";
    proto_prepare_job_result m = { .ok = true, .artifact = { artifact, 14 },
        .memory_stats = { .has_max_rss = true, .max_rss = 2048, .peak_tracked_alloc = 9 },
        .observed_wasm_code_len = 100 };
    scale_writer w;
    scale_writer_init(&w);
    proto_prepare_job_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    proto_prepare_job_result d;
    wasm_error e;
    CHECK(proto_prepare_job_result_decode(b, len, &d, &e));
    CHECK(d.ok && view_eq(d.artifact, "ARTIFACT-BYTES") && d.memory_stats.max_rss == 2048 &&
          d.observed_wasm_code_len == 100);
    check_prefixes_and_trailing(b, len, dec_prepare_job_result, NULL, &d);
    free(b);
}

TEST(protocol_roundtrip_execute_request)
{
    static const uint8_t head[] = { 1, 2, 3 }, pov[] = { 9, 8, 7, 6, 5 };
    proto_execute_request m = { .pvd = { .parent_head = { head, 3 }, .relay_parent_number = 42,
                                         .max_pov_size = 10u << 20 },
                                .pov = { pov, 5 }, .execution_timeout = proto_duration_from_ms(2000) };
    memset(m.pvd.relay_parent_storage_root, 0x5a, 32);
    memset(m.artifact_checksum, 0xa5, 32);
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_request_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    CHECK_EQ_U64(len, 4 + 4 + 32 + 4 + 6 + 12 + 32);
    proto_execute_request d;
    wasm_error e;
    CHECK(proto_execute_request_decode(b, len, &d, &e));
    CHECK(bytes_eq(d.pvd.parent_head.ptr, d.pvd.parent_head.len, head, 3) &&
          d.pvd.relay_parent_number == 42 && d.pvd.relay_parent_storage_root[31] == 0x5a &&
          d.pvd.max_pov_size == 10u << 20 && bytes_eq(d.pov.ptr, d.pov.len, pov, 5) &&
          d.execution_timeout.secs == 2 && d.execution_timeout.nanos == 0 &&
          d.artifact_checksum[0] == 0xa5);
    check_prefixes_and_trailing(b, len, dec_execute_request, NULL, &d);
    free(b);
}

static void roundtrip_execute_result(const proto_execute_result *m)
{
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_result_write(&w, m);
    size_t len, len2;
    uint8_t *b = finish(&w, &len);
    proto_execute_result d;
    wasm_error e;
    CHECK(proto_execute_result_decode(b, len, &d, &e));
    CHECK(d.ok == m->ok);
    scale_writer_init(&w);
    proto_execute_result_write(&w, &d);
    uint8_t *b2 = finish(&w, &len2);
    CHECK(bytes_eq(b, len, b2, len2));
    proto_execute_result_free(&d);
    check_prefixes_and_trailing(b, len, dec_execute_result, free_exec_result, &d);
    free(b);
    free(b2);
}

TEST(protocol_roundtrip_execute_results)
{
    scale_bytes ump[2] = { proto_str("up1"), proto_str("") };
    hrmp_message hrmp[1] = { { 2000, proto_str("to 2000") } };
    proto_execute_result m = { .ok = true, .duration = { 0, 1500000 }, .pov_size = 123456,
        .job_response = { .kind = JOB_RESP_OK, .result = {
            .head_data = proto_str("HEAD"), .has_new_validation_code = true,
            .new_validation_code = proto_str("\0asm"), .upward_messages = ump,
            .n_upward_messages = 2, .horizontal_messages = hrmp, .n_horizontal_messages = 1,
            .processed_downward_messages = 3, .hrmp_watermark = 99 } } };
    roundtrip_execute_result(&m);

    /* The Ok payload decodes into the same ValidationResult. */
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    proto_execute_result d;
    wasm_error e;
    CHECK(proto_execute_result_decode(b, len, &d, &e));
    CHECK(d.job_response.kind == JOB_RESP_OK && view_eq(d.job_response.result.head_data, "HEAD") &&
          d.job_response.result.n_upward_messages == 2 &&
          d.job_response.result.horizontal_messages[0].recipient == 2000 &&
          d.job_response.result.hrmp_watermark == 99 && d.duration.nanos == 1500000 &&
          d.pov_size == 123456);
    proto_execute_result_free(&d);
    free(b);

    for (int k = 1; k < JOB_RESP_COUNT; k++)
        roundtrip_execute_result(&(proto_execute_result){ .ok = true,
            .job_response = { .kind = (proto_job_response_kind)k, .msg =
                k <= 2 ? proto_str("execute: trap") : (scale_bytes){ NULL, 0 } } });
    roundtrip_execute_result(&(proto_execute_result){ .error = { .kind = WORKER_ERR_JOB_TIMED_OUT } });
    roundtrip_execute_result(&(proto_execute_result){ .error = { .kind = WORKER_ERR_JOB_DIED,
        .msg = proto_str("received signal: SIGSYS"), .job_pid = 31337 } });
    for (int k = 0; k < JOB_ERR_COUNT; k++)
        roundtrip_execute_result(&(proto_execute_result){ .error = { .kind = WORKER_ERR_JOB_ERROR,
            .job_error = { .kind = (proto_job_error_kind)k, .msg = k == 0 || k == 5 ?
                (scale_bytes){ NULL, 0 } : proto_str("panicked"), .exit_status = k == 5 ? 137 : 0 } } });
    for (int k = 0; k < INTERNAL_ERR_COUNT; k++) {
        proto_internal_error ie = { .kind = (proto_internal_error_kind)k, .msg = proto_str("oops") };
        if (k == INTERNAL_ERR_COULD_NOT_CLEAR_WORKER_DIR)
            ie.has_path = true, ie.path = proto_str("/w");
        if (k == INTERNAL_ERR_NON_DETERMINISTIC_PREPARE)
            ie = (proto_internal_error){ .kind = ie.kind,
                                         .prepare_error = sample_prepare_error(PREP_ERR_RENAME_TMP_FILE) };
        roundtrip_execute_result(&(proto_execute_result){ .error = { .kind = WORKER_ERR_INTERNAL,
                                                                     .internal = ie } });
    }
}

TEST(protocol_roundtrip_execute_job_result)
{
    proto_execute_job_result m = { .ok = true, .response = { .kind = JOB_RESP_OK,
        .result = { .head_data = proto_str("H") } } };
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_job_result_write(&w, &m);
    size_t len;
    uint8_t *b = finish(&w, &len);
    /* 00 (Ok) 00 (JobResponse::Ok) 04 'H' 00 (None) 00 00 (no messages) 0u32 0u32 */
    static const uint8_t want[] = { 0, 0, 4, 'H', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    CHECK(bytes_eq(b, len, want, sizeof want));
    proto_execute_job_result d;
    check_prefixes_and_trailing(b, len, dec_execute_job_result, free_exec_job_result, &d);
    free(b);

    m = (proto_execute_job_result){ .ok = false, .error = { .kind = JOB_ERR_PANIC,
                                                           .msg = proto_str("p") } };
    scale_writer_init(&w);
    proto_execute_job_result_write(&w, &m);
    b = finish(&w, &len);
    static const uint8_t want2[] = { 1, 1, 4, 'p' };
    CHECK(bytes_eq(b, len, want2, sizeof want2));
    wasm_error e;
    CHECK(proto_execute_job_result_decode(b, len, &d, &e));
    CHECK(!d.ok && d.error.kind == JOB_ERR_PANIC && view_eq(d.error.msg, "p"));
    free(b);
}

/* ------------------------------------------------------------ rejections */

static void expect_fail(decode_fn decode, const uint8_t *b, size_t len, const char *why)
{
    uint8_t scratch[4096];
    wasm_error e;
    memset(&e, 0, sizeof e);
    CHECK(!decode(b, len, scratch, &e));
    CHECK_STR_CONTAINS(e.msg, why);
}

TEST(protocol_rejects_unknown_indices)
{
    expect_fail(dec_prepare_result, (const uint8_t[]){ 1, 13 }, 2, "unknown PrepareError variant index 13");
    expect_fail(dec_prepare_result, (const uint8_t[]){ 2, 4 }, 2, "");
    expect_fail(dec_execute_result, (const uint8_t[]){ 0, 5 }, 2, "unknown JobResponse variant index 5");
    expect_fail(dec_execute_result, (const uint8_t[]){ 1, 4 }, 2, "unknown WorkerError variant index 4");
    expect_fail(dec_execute_result, (const uint8_t[]){ 1, 2, 6 }, 3, "unknown JobError variant index 6");
    expect_fail(dec_execute_result, (const uint8_t[]){ 1, 3, 7 }, 3,
                "unknown InternalValidationError variant index 7");
    expect_fail(dec_execute_result, (const uint8_t[]){ 1, 3, 6, 0xff }, 4,
                "unknown PrepareError variant index 255");
    expect_fail(dec_execute_job_result, (const uint8_t[]){ 1, 6 }, 2, "unknown JobError variant index 6");

    /* PrepareJobKind 2 in an otherwise valid PvfPrepData. */
    uint8_t pd[1 + 4 + 32 + 1 + 12 + 1] = { 0 };
    pd[sizeof pd - 1] = 1;
    proto_pvf_prep_data d;
    wasm_error e;
    CHECK(proto_pvf_prep_data_decode(pd, sizeof pd, &d, &e));
    proto_pvf_prep_data_free(&d);
    pd[sizeof pd - 1] = 2;
    CHECK(!proto_pvf_prep_data_decode(pd, sizeof pd, &d, &e));
    CHECK_STR_CONTAINS(e.msg, "unknown PrepareJobKind variant index 2");
    CHECK(e.has_offset && e.offset == sizeof pd - 1);
}

TEST(protocol_rejects_bad_values)
{
    /* Duration nanos = 10^9 (0x3b9aca00) in a WorkerResponse. */
    uint8_t r[2 + 12 + 4] = { 0, 3 };
    r[10] = 0x00, r[11] = 0xca, r[12] = 0x9a, r[13] = 0x3b;
    expect_fail(dec_execute_result, r, sizeof r, "nanoseconds");
    r[13] = 0x3a;
    proto_execute_result d;
    wasm_error e;
    CHECK(proto_execute_result_decode(r, sizeof r, &d, &e));

    /* Invalid UTF-8 (a lone continuation byte, an overlong, a surrogate) in a string. */
    expect_fail(dec_prepare_result, (const uint8_t[]){ 1, 0, 4, 0x80 }, 4, "invalid UTF-8");
    expect_fail(dec_prepare_result, (const uint8_t[]){ 1, 0, 8, 0xc0, 0x80 }, 5, "invalid UTF-8");
    expect_fail(dec_prepare_result, (const uint8_t[]){ 1, 0, 12, 0xed, 0xa0, 0x80 }, 6, "invalid UTF-8");
    proto_prepare_result pr;
    CHECK(proto_prepare_result_decode((const uint8_t[]){ 1, 0, 12, 0xe2, 0x9c, 0x93 }, 6, &pr, &e));

    /* A ValidationResult with an invalid Option tag inside JobResponse::Ok, offset shifted. */
    expect_fail(dec_execute_job_result, (const uint8_t[]){ 0, 0, 0, 2 }, 4, "");
    CHECK(!proto_execute_job_result_decode((const uint8_t[]){ 0, 0, 0, 2 }, 4,
                                           &(proto_execute_job_result){ 0 }, &e));
    CHECK(e.has_offset && e.offset == 3);
}

TEST(protocol_names)
{
    CHECK(strcmp(proto_prepare_error_name(PREP_ERR_TIMED_OUT), "TimedOut") == 0);
    CHECK(strcmp(proto_prepare_error_name(PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB),
                 "CouldNotDecompressCodeBlob") == 0);
    CHECK(strcmp(proto_prepare_error_name((proto_prepare_error_kind)13), "?") == 0);
    CHECK(strcmp(proto_job_response_name(JOB_RESP_CORRUPTED_ARTIFACT), "CorruptedArtifact") == 0);
    CHECK(strcmp(proto_job_error_name(JOB_ERR_UNEXPECTED_EXIT_STATUS), "UnexpectedExitStatus") == 0);
    CHECK(strcmp(proto_internal_error_name(INTERNAL_ERR_NON_DETERMINISTIC_PREPARE),
                 "NonDeterministicPrepareError") == 0);
    CHECK(strcmp(proto_worker_error_name(WORKER_ERR_INTERNAL), "InternalError") == 0);
    /* §6.1: exactly these five are deterministic. */
    int det = 0;
    for (int k = 0; k < PREP_ERR_COUNT; k++)
        det += proto_prepare_error_is_deterministic((proto_prepare_error_kind)k);
    CHECK(det == 5);
    CHECK(proto_prepare_error_is_deterministic(PREP_ERR_PREVALIDATION) &&
          proto_prepare_error_is_deterministic(PREP_ERR_PREPARATION) &&
          proto_prepare_error_is_deterministic(PREP_ERR_JOB_ERROR) &&
          proto_prepare_error_is_deterministic(PREP_ERR_OUT_OF_MEMORY) &&
          proto_prepare_error_is_deterministic(PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB));
    CHECK(proto_duration_to_ns(proto_duration_from_ns(123456789012ull)) == 123456789012ull);
    CHECK(proto_duration_to_ns((proto_duration){ UINT64_MAX, 0 }) == UINT64_MAX);
}

/* ------------------------------------------------------------ framing */

TEST(protocol_frame_every_truncation)
{
    /* A valid frame: Err(JobDied{"received signal: SIGKILL", 1234}). */
    scale_writer w;
    scale_writer_init(&w);
    proto_execute_result_write(&w, &(proto_execute_result){ .error = { .kind = WORKER_ERR_JOB_DIED,
        .msg = proto_str("received signal: SIGKILL"), .job_pid = 1234 } });
    size_t plen;
    uint8_t *payload = finish(&w, &plen);
    size_t flen = FRAME_HEADER_SIZE + plen;
    uint8_t *frame = malloc(flen);
    for (int i = 0; i < 8; i++)
        frame[i] = (uint8_t)((uint64_t)plen >> (8 * i));
    memcpy(frame + 8, payload, plen);

    for (size_t k = 0; k <= flen; k++) {
        int fds[2];
        CHECK(pipe2(fds, O_CLOEXEC) == 0);
        CHECK(write(fds[1], frame, k) == (ssize_t)k);
        close(fds[1]);
        uint8_t *p = (uint8_t *)1;
        size_t n = 99;
        char err[128] = "";
        frame_status st = frame_recv(fds[0], PROTO_MAX_SMALL_MESSAGE, &p, &n, err, sizeof err);
        close(fds[0]);
        if (k == 0) {
            CHECK(st == FRAME_CLOSED && p == NULL && n == 0);
            CHECK_STR_CONTAINS(err, "connection closed");
        } else if (k < 8) {
            CHECK(st == FRAME_ERROR && p == NULL);
            CHECK_STR_CONTAINS(err, "of 8 length bytes");
        } else if (k < flen) {
            char want[64];
            snprintf(want, sizeof want, "truncated frame: got %zu of %zu bytes", k - 8, plen);
            CHECK(st == FRAME_ERROR && p == NULL);
            CHECK_STR_CONTAINS(err, want);
        } else {
            CHECK(st == FRAME_OK && bytes_eq(p, n, payload, plen));
            proto_execute_result d;
            wasm_error e;
            CHECK(proto_execute_result_decode(p, n, &d, &e));
            CHECK(d.error.kind == WORKER_ERR_JOB_DIED && d.error.job_pid == 1234);
            free(p);
        }
    }
    free(frame);
    free(payload);
}

static frame_status recv_with_length(uint64_t len, size_t max, char *err, size_t errlen)
{
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0);
    uint8_t h[8 + 4] = { 0 };
    for (int i = 0; i < 8; i++)
        h[i] = (uint8_t)(len >> (8 * i));
    size_t body = len < 4 ? (size_t)len : 4;
    CHECK(write(fds[1], h, 8 + body) == (ssize_t)(8 + body));
    close(fds[1]);
    uint8_t *p;
    size_t n;
    frame_status st = frame_recv(fds[0], max, &p, &n, err, errlen);
    close(fds[0]);
    if (st == FRAME_OK)
        free(p);
    return st;
}

TEST(protocol_frame_too_large)
{
    char err[128];
    /* 2^62 would fail malloc: the message proves the limit is checked first. */
    CHECK(recv_with_length(1ull << 62, PROTO_MAX_EXECUTE_RESPONSE, err, sizeof err) == FRAME_ERROR);
    CHECK_STR_CONTAINS(err, "frame too large: 4611686018427387904 bytes, limit 268435456");
    CHECK(recv_with_length(UINT64_MAX, PROTO_MAX_EXECUTE_RESPONSE, err, sizeof err) == FRAME_ERROR);
    CHECK_STR_CONTAINS(err, "frame too large");
    /* The limit is inclusive. */
    CHECK(recv_with_length(4, 4, err, sizeof err) == FRAME_OK);
    CHECK(recv_with_length(5, 4, err, sizeof err) == FRAME_ERROR);
    CHECK_STR_CONTAINS(err, "frame too large: 5 bytes, limit 4");
    /* An empty payload is a valid frame. */
    CHECK(recv_with_length(0, 4, err, sizeof err) == FRAME_OK);
}

TEST(protocol_frame_big_over_pipe)
{
    /* 3 MiB through a 64 KiB pipe: a writer process, short reads and writes. */
    size_t n = 3u << 20;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 131 + 7);
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char err[128];
        bool ok = frame_write(fds[1], big, n, err, sizeof err) && frame_write(fds[1], big, 1, err, sizeof err);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    uint8_t *p;
    size_t got;
    char err[128];
    CHECK(frame_read(fds[0], PROTO_MAX_EXECUTE_REQUEST, &p, &got, err, sizeof err));
    CHECK(got == n && memcmp(p, big, n) == 0);
    free(p);
    CHECK(frame_read(fds[0], 1, &p, &got, err, sizeof err) && got == 1 && p[0] == big[0]);
    free(p);
    CHECK(frame_recv(fds[0], 1, &p, &got, err, sizeof err) == FRAME_CLOSED);
    CHECK(!frame_read(fds[0], 1, &p, &got, err, sizeof err));
    close(fds[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(big);
}

TEST(protocol_frame_write_to_closed_socket)
{
    /* A vanished socket peer is an error, not a SIGPIPE that kills us. */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    close(sv[1]);
    char err[128] = "";
    static const uint8_t b[] = { 1, 2, 3 };
    CHECK(!frame_write(sv[0], b, sizeof b, err, sizeof err));
    CHECK_STR_CONTAINS(err, "frame write failed");
    close(sv[0]);

    /* And a socket that works carries frames both ways. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    scale_writer w;
    scale_writer_init(&w);
    proto_version_handshake_write(&w, &(proto_version_handshake){ PROTO_VERSION, proto_str("1.2.3") });
    CHECK(proto_send(sv[0], &w, err, sizeof err));
    uint8_t *p;
    size_t n;
    CHECK(frame_read(sv[1], PROTO_MAX_SMALL_MESSAGE, &p, &n, err, sizeof err));
    proto_version_handshake v;
    wasm_error e;
    CHECK(proto_version_handshake_decode(p, n, &v, &e) && view_eq(v.version, "1.2.3"));
    free(p);
    close(sv[0]);
    close(sv[1]);
}

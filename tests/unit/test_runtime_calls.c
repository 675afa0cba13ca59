/*
 * test_runtime_calls.c — the real runtimes of $PVF_TESTDATA/pvf/ against smoldot.
 *
 * tests/gen/node/runtime_calls.js ran every runtime in smoldot's executor
 * (npm @acala-network/chopsticks-executor) and read its custom sections with
 * V8; tests/data/runtime_calls/expected.json holds what they said. Here:
 *
 *   runtime_calls_version_read  runtime_version_read on each file gives exactly
 *       the expected encoding (smoldot's reading of the version, in the current
 *       RuntimeVersion layout), whose spec name/version are smoldot's; a file
 *       without a runtime_version section fails with the reference's words.
 *
 *   runtime_calls_smoldot  each runtime prepared with the default parameters:
 *       Core_version (empty input) returns smoldot's bytes exactly, and decodes
 *       to the same spec name/version as the runtime_version section;
 *       Metadata_metadata returns output of smoldot's length and sha256 which
 *       is a SCALE Vec<u8> holding "meta" + the metadata version. Where smoldot
 *       could not call (no such export) we must not either; where the runtime
 *       read storage under smoldot (answered "none"), the PVF host has no
 *       storage functions, so the call must trap on the missing import.
 *
 * Each file's sha256 is checked first: different bytes would make every
 * comparison meaningless. Per-runtime CPU times are printed.
 */
#include "test.h"
#include "util/hex.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "pvf/runtime.h"
#include "runtime/runtime_version.h"
#include "util/cputime.h"
#include "util/json.h"

#define EXPECTED_JSON "tests/data/runtime_calls/expected.json"

/* ---- helpers ---- */

static json_value *load_expected(void)
{
    return test_load_json_file(EXPECTED_JSON);
}

/* "0x…" → malloc'd bytes; NULL if malformed. */
static uint8_t *from_hex(const char *s, size_t *len)
{
    uint8_t *out = NULL;
    if (!s || strncmp(s, "0x", 2) != 0 || !hex_decode(s, &out, len))
        return NULL;
    return out;
}

static void sha256_hex(const uint8_t *bytes, size_t len, char out[65])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, bytes, len);
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static uint64_t get_u64(const json_value *obj, const char *key)
{
    uint64_t v = 0;
    if (!json_number_u64(json_get(obj, key), &v))
        test_fail(__FILE__, __LINE__, "expected.json: %s is not an integer", key);
    return v;
}

/* The runtime file, checked against the recorded sha256; NULL (skipped or failed) otherwise. */
static uint8_t *read_runtime(const json_value *rt, size_t *len)
{
    const char *file = json_get_string(rt, "file");
    char rel[512];
    snprintf(rel, sizeof rel, "pvf/%s", file ? file : "?");
    const char *path = test_data_path(rel);
    if (!path)
        return NULL;
    uint8_t *bytes = test_read_file(path, len);
    if (!bytes) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return NULL;
    }
    char sum[65];
    sha256_hex(bytes, *len, sum);
    const char *want = json_get_string(rt, "sha256");
    if (!want || strcmp(sum, want) != 0) {
        test_fail(__FILE__, __LINE__, "%s: sha256 %s, expected.json says %s", file, sum, want ? want : "?");
        free(bytes);
        return NULL;
    }
    return bytes;
}

/* Decoded spec name and version equal smoldot's reading. */
static void check_against_smoldot(const char *file, const char *what, const runtime_version_info *v,
                                  const json_value *smoldot)
{
    const char *name = json_get_string(smoldot, "spec_name");
    uint64_t spec_version = get_u64(smoldot, "spec_version");
    if (!name || strcmp(v->spec_name, name) != 0 || v->spec_version != spec_version)
        test_fail(__FILE__, __LINE__, "%s: %s says %s-%u, smoldot %s-%llu", file, what, v->spec_name,
                  v->spec_version, name ? name : "?", (unsigned long long)spec_version);
}

/* ---- runtime_version_read ---- */

static void check_version_read(const json_value *rt, const uint8_t *code, size_t len)
{
    const char *file = json_get_string(rt, "file");
    const json_value *want = json_get(rt, "runtime_version_read");
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    char err[512] = "";
    bool ok = runtime_version_read(code, len, &enc, &enc_len, err, sizeof err);
    if (!json_bool(json_get(want, "ok"))) {
        const char *why = json_get_string(want, "error");
        if (!why)
            test_fail(__FILE__, __LINE__, "%s: expected.json has no runtime_version_read", file);
        else if (ok)
            test_fail(__FILE__, __LINE__, "%s: runtime_version_read succeeded, expected \"%s\"", file, why);
        else
            CHECK_STR_CONTAINS(err, why);
        free(enc);
        return;
    }
    if (!ok) {
        test_fail(__FILE__, __LINE__, "%s: runtime_version_read: %s", file, err);
        return;
    }
    size_t want_len;
    uint8_t *want_enc = from_hex(json_get_string(want, "encoding"), &want_len);
    CHECK(want_enc != NULL);
    if (want_enc && (want_len != enc_len || memcmp(want_enc, enc, enc_len) != 0))
        test_fail(__FILE__, __LINE__, "%s: runtime_version_read gives %zu bytes, not the %zu expected", file,
                  enc_len, want_len);
    runtime_version_info v;
    if (runtime_version_decode(enc, enc_len, &v, err, sizeof err))
        check_against_smoldot(file, "runtime_version", &v, json_get(rt, "smoldot_runtime_version"));
    else
        test_fail(__FILE__, __LINE__, "%s: own encoding does not decode: %s", file, err);
    free(want_enc);
    free(enc);
}

TEST(runtime_calls_version_read)
{
    json_value *doc = load_expected();
    const json_value *rts = json_get(doc, "runtimes");
    CHECK(json_array_len(rts) > 0);
    for (size_t i = 0; i < json_array_len(rts); i++) {
        const json_value *rt = json_array_at(rts, i);
        size_t len;
        uint8_t *code = read_runtime(rt, &len);
        if (!code)
            continue;
        check_version_read(rt, code, len);
        free(code);
    }
    json_free(doc);
}

/* ---- Core_version and Metadata_metadata ---- */

static void check_core_version(const json_value *rt, const pvf_call_result *r, const uint8_t *code,
                               size_t code_len)
{
    const char *file = json_get_string(rt, "file");
    const json_value *want = json_get(rt, "Core_version");
    if (!json_bool(json_get(want, "ok"))) {
        /* smoldot found no Core_version to call (the adder PVFs): neither may we. */
        if (r->outcome == PVF_OUTCOME_OK)
            test_fail(__FILE__, __LINE__, "%s: Core_version succeeded; smoldot: %s", file,
                      json_get_string(want, "error"));
        else
            CHECK_STR_CONTAINS(r->reason, "Core_version is not found");
        return;
    }
    if (r->outcome != PVF_OUTCOME_OK) {
        test_fail(__FILE__, __LINE__, "%s: Core_version: %s", file, r->reason);
        return;
    }
    size_t want_len;
    uint8_t *want_out = from_hex(json_get_string(want, "output"), &want_len);
    if (!want_out || want_len != r->output_len || memcmp(want_out, r->output, want_len) != 0)
        test_fail(__FILE__, __LINE__, "%s: Core_version output (%zu bytes) differs from smoldot's (%zu)", file,
                  r->output_len, want_len);
    free(want_out);

    runtime_version_info v, section;
    char err[512];
    if (!runtime_version_decode(r->output, r->output_len, &v, err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "%s: Core_version output does not decode: %s", file, err);
        return;
    }
    check_against_smoldot(file, "Core_version", &v, json_get(rt, "smoldot_runtime_version"));
    /* The rule: Core_version agrees with the runtime_version section. */
    uint8_t *enc;
    size_t enc_len;
    if (runtime_version_read(code, code_len, &enc, &enc_len, err, sizeof err)) {
        if (runtime_version_decode(enc, enc_len, &section, err, sizeof err) &&
            (strcmp(section.spec_name, v.spec_name) != 0 || section.spec_version != v.spec_version))
            test_fail(__FILE__, __LINE__, "%s: Core_version %s-%u, section %s-%u", file, v.spec_name,
                      v.spec_version, section.spec_name, section.spec_version);
        free(enc);
    }
}

/* OpaqueMetadata: a SCALE Vec<u8> whose bytes start with "meta" and the version. */
static void check_metadata_shape(const char *file, const uint8_t *out, size_t len, uint64_t version)
{
    size_t prefix;
    uint64_t n;
    uint8_t mode = len ? out[0] & 3 : 0;
    if (len >= 4 && mode == 2) {
        prefix = 4;
        n = (out[0] | (uint32_t)out[1] << 8 | (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24) >> 2;
    } else if (len >= 2 && mode == 1) {
        prefix = 2;
        n = (out[0] | (uint32_t)out[1] << 8) >> 2;
    } else {
        test_fail(__FILE__, __LINE__, "%s: metadata is not a Vec<u8> of a plausible size", file);
        return;
    }
    if (n != len - prefix)
        test_fail(__FILE__, __LINE__, "%s: metadata Vec says %llu bytes, %zu follow", file,
                  (unsigned long long)n, len - prefix);
    if (len < prefix + 5 || memcmp(out + prefix, "meta", 4) != 0 || out[prefix + 4] != version)
        test_fail(__FILE__, __LINE__, "%s: metadata does not start with \"meta\" v%llu", file,
                  (unsigned long long)version);
}

static void check_metadata(const json_value *rt, const pvf_call_result *r)
{
    const char *file = json_get_string(rt, "file");
    const json_value *want = json_get(rt, "Metadata_metadata");
    if (!json_bool(json_get(want, "ok"))) {
        if (r->outcome == PVF_OUTCOME_OK)
            test_fail(__FILE__, __LINE__, "%s: Metadata_metadata succeeded; smoldot: %s", file,
                      json_get_string(want, "error"));
        return;
    }
    if (json_array_len(json_get(want, "storage_reads")) > 0) {
        /* The reference's PVF host functions have no storage interface. */
        if (r->outcome == PVF_OUTCOME_OK)
            test_fail(__FILE__, __LINE__, "%s: Metadata_metadata read storage in smoldot but succeeded here", file);
        else
            CHECK_STR_CONTAINS(r->reason, "ext_storage_");
        return;
    }
    if (r->outcome != PVF_OUTCOME_OK) {
        test_fail(__FILE__, __LINE__, "%s: Metadata_metadata: %s", file, r->reason);
        return;
    }
    char sum[65];
    sha256_hex(r->output, r->output_len, sum);
    uint64_t want_len = get_u64(want, "output_len");
    const char *want_sum = json_get_string(want, "output_sha256");
    if (r->output_len != want_len || !want_sum || strcmp(sum, want_sum) != 0)
        test_fail(__FILE__, __LINE__, "%s: Metadata_metadata %zu bytes sha256 %s; smoldot %llu bytes %s", file,
                  r->output_len, sum, (unsigned long long)want_len, want_sum ? want_sum : "?");
    check_metadata_shape(file, r->output, r->output_len, get_u64(json_get(want, "metadata"), "version"));
}

static void run_runtime(const json_value *rt)
{
    const char *file = json_get_string(rt, "file");
    size_t len;
    uint8_t *code = read_runtime(rt, &len);
    if (!code)
        return;
    pvf_runtime_params p;
    pvf_runtime_params_default(&p);
    pvf_prepare_stats stats;
    memset(&stats, 0, sizeof stats);
    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    char err[512];
    pvf_code *pc = NULL;
    double t0 = cputime_thread_ms();
    if (!pvf_runtime_prepare(code, len, &p, &artifact, &artifact_len, &stats, err, sizeof err))
        test_fail(__FILE__, __LINE__, "%s: prepare: %s", file, err);
    else if (!(pc = test_load_code(artifact, artifact_len, err, sizeof err)))
        test_fail(__FILE__, __LINE__, "%s: load: %s", file, err);
    free(artifact);
    double prepare_ms = cputime_thread_ms() - t0;
    if (pc) {
        pvf_call_result cv, md;
        pvf_runtime_call(pc, "Core_version", NULL, 0, &cv);
        check_core_version(rt, &cv, code, len);
        pvf_runtime_call(pc, "Metadata_metadata", NULL, 0, &md);
        check_metadata(rt, &md);
        printf("  runtime_calls: %-58s prepare %4.0f ms; Core_version %s %.1f ms; Metadata_metadata %s %.1f ms\n",
               file, prepare_ms, cv.outcome == PVF_OUTCOME_OK ? "ok" : "--", cv.cpu_ms,
               md.outcome == PVF_OUTCOME_OK ? "ok" : "--", md.cpu_ms);
        free(cv.output);
        free(md.output);
        pvf_code_free(pc);
    }
    free(code);
}

static void run_all_runtimes(void)
{
    json_value *doc = load_expected();
    const json_value *rts = json_get(doc, "runtimes");
    CHECK(json_array_len(rts) > 0);
    for (size_t i = 0; i < json_array_len(rts); i++)
        run_runtime(json_array_at(rts, i));
    json_free(doc);
}

TEST(runtime_calls_smoldot)
{
    run_all_runtimes();
}

/* Core_version and Metadata_metadata of every runtime on the interpreter: smoldot's bytes again. */
TEST(runtime_calls_smoldot_interp)
{
    test_tier_interp = true;
    run_all_runtimes();
    test_tier_interp = false;
}

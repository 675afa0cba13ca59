/*
 * test_runtime_version.c — runtime_version_read / runtime_version_decode on
 * hand-built modules, one rule of sc_executor::read_embedded_version each.
 *
 * Every module here is the wasm header plus custom sections, written byte by
 * byte; every expected encoding is spelled out by hand from the Rust rules
 * (sp_version::RuntimeVersion::decode_with_version_hint and its derived
 * Encode), not produced by the code under test. The real runtimes are covered
 * by test_runtime_calls.c against smoldot.
 */
#include "test.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "runtime/blob.h"
#include "runtime/runtime_version.h"

/* ---- building modules ---- */

typedef struct buf {
    uint8_t b[4096];
    size_t n;
} buf;

static void put(buf *m, const void *bytes, size_t n)
{
    memcpy(m->b + m->n, bytes, n);
    m->n += n;
}

static void put_leb(buf *m, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        m->b[m->n++] = byte;
    } while (v);
}

static void module_header(buf *m)
{
    static const uint8_t header[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    m->n = 0;
    put(m, header, sizeof header);
}

static void custom_section(buf *m, const char *name, const void *payload, size_t len)
{
    size_t nlen = strlen(name);
    uint8_t nlen_leb[5];
    buf tmp = { .n = 0 };
    put_leb(&tmp, (uint32_t)nlen);
    memcpy(nlen_leb, tmp.b, tmp.n);
    m->b[m->n++] = 0;   /* custom section id */
    put_leb(m, (uint32_t)(tmp.n + nlen + len));
    put(m, nlen_leb, tmp.n);
    put(m, name, nlen);
    put(m, payload, len);
}

/* ---- fixtures ---- */

#define CORE 0xdf, 0x6a, 0xcb, 0x68, 0x99, 0x07, 0x60, 0x9b
#define OTHER 0x37, 0xe3, 0x97, 0xfc, 0x7c, 0x91, 0xf5, 0xe4     /* Metadata */

/* spec "ab", impl "x", authoring 1, spec 0x0102, impl 3, apis = [] ... */
#define VERSION_HEAD                                                        \
    0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0

/* runtime_apis: Core v4, Metadata v2 (raw 12-byte records). */
static const uint8_t APIS_CORE4[] = { CORE, 4, 0, 0, 0, OTHER, 2, 0, 0, 0 };
static const uint8_t APIS_CORE3[] = { OTHER, 2, 0, 0, 0, CORE, 3, 0, 0, 0 };
static const uint8_t APIS_NO_CORE[] = { OTHER, 2, 0, 0, 0 };

static bool read_module(const buf *m, uint8_t **enc, size_t *len, char *err)
{
    return runtime_version_read(m->b, m->n, enc, len, err, 256);
}

static void check_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    CHECK_EQ_U64(got_len, want_len);
    if (got_len == want_len && memcmp(got, want, want_len) != 0) {
        for (size_t i = 0; i < want_len; i++)
            if (got[i] != want[i]) {
                test_fail(__FILE__, __LINE__, "byte %zu: 0x%02x != 0x%02x", i, got[i], want[i]);
                break;
            }
    }
}

/* ---- tests ---- */

TEST(runtime_version_core_api_id_is_blake2b_64_of_Core)
{
    uint8_t h[8];
    CHECK(crypto_generichash(h, sizeof h, (const uint8_t *)"Core", 4, NULL, 0) == 0);
    CHECK(memcmp(h, RUNTIME_API_CORE_ID, 8) == 0);
}

TEST(runtime_version_core4_reads_tx_and_system_version_and_takes_section_apis)
{
    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x07, 0, 0, 0, 0x02 };
    static const uint8_t want[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x08, CORE, 4, 0, 0, 0, OTHER, 2, 0, 0, 0,
        0x07, 0, 0, 0, 0x02,
    };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_apis", APIS_CORE4, sizeof APIS_CORE4);
    custom_section(&m, "runtime_version", section, sizeof section);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, want, sizeof want);

    runtime_version_info v;
    CHECK(runtime_version_decode(enc, len, &v, err, sizeof err));
    CHECK(!strcmp(v.spec_name, "ab") && !strcmp(v.impl_name, "x"));
    CHECK_EQ_U64(v.authoring_version, 1);
    CHECK_EQ_U64(v.spec_version, 0x0102);
    CHECK_EQ_U64(v.impl_version, 3);
    CHECK_EQ_U64(v.transaction_version, 7);
    CHECK_EQ_U64(v.system_version, 2);
    CHECK_EQ_U64(v.napis, 2);
    CHECK(v.has_core_version && v.core_version == 4);
    CHECK_EQ_U64(v.apis[1].version, 2);
    free(enc);
}

TEST(runtime_version_core3_has_no_system_version_and_reencodes_it_as_zero)
{
    /* A Core 3 section ends after transaction_version; a trailing byte is ignored. */
    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x05, 0, 0, 0, 0xee };
    static const uint8_t want[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x08, OTHER, 2, 0, 0, 0, CORE, 3, 0, 0, 0,
        0x05, 0, 0, 0, 0x00,
    };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_version", section, sizeof section);
    custom_section(&m, "runtime_apis", APIS_CORE3, sizeof APIS_CORE3);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, want, sizeof want);

    /* Decoding the Core 3 layout (what Core_version of such a runtime returns). */
    static const uint8_t core3[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x04, CORE, 3, 0, 0, 0, 0x05, 0, 0, 0,
    };
    runtime_version_info v;
    CHECK(runtime_version_decode(core3, sizeof core3, &v, err, sizeof err));
    CHECK_EQ_U64(v.transaction_version, 5);
    CHECK_EQ_U64(v.system_version, 0);
    free(enc);
}

TEST(runtime_version_without_runtime_apis_uses_the_sections_own_apis)
{
    /* No runtime_apis: the hint comes from the (empty) apis of the section, so
     * neither transaction_version nor system_version is read: 1 and 0. */
    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x09, 0, 0, 0, 0x01 };
    static const uint8_t want[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x00, 0x01, 0, 0, 0, 0x00,
    };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_version", section, sizeof section);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, want, sizeof want);
    free(enc);

    /* The section's own apis list Core 4: then both fields are read from it. */
    static const uint8_t section2[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x04, CORE, 4, 0, 0, 0, 0x09, 0, 0, 0, 0x01,
    };
    module_header(&m);
    custom_section(&m, "runtime_version", section2, sizeof section2);
    enc = NULL;
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, section2, sizeof section2);
    free(enc);
}

TEST(runtime_version_runtime_apis_without_core_falls_back_to_section_apis)
{
    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x09, 0, 0, 0, 0x01 };
    static const uint8_t want[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x04, OTHER, 2, 0, 0, 0, 0x01, 0, 0, 0, 0x00,
    };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_version", section, sizeof section);
    custom_section(&m, "runtime_apis", APIS_NO_CORE, sizeof APIS_NO_CORE);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, want, sizeof want);
    free(enc);
}

TEST(runtime_version_empty_runtime_apis_section_empties_the_apis)
{
    static const uint8_t section[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x04, CORE, 4, 0, 0, 0, 0x09, 0, 0, 0, 0x01,
    };
    static const uint8_t want[] = {
        0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
        0x00, 0x09, 0, 0, 0, 0x01,
    };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_version", section, sizeof section);
    custom_section(&m, "runtime_apis", "", 0);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    if (enc)
        check_bytes(enc, len, want, sizeof want);
    free(enc);
}

TEST(runtime_version_first_section_of_a_name_wins)
{
    static const uint8_t first[] = { 0x04, 'a', 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
    static const uint8_t second[] = { 0x04, 'b', 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_version", first, sizeof first);
    custom_section(&m, "runtime_version", second, sizeof second);
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &enc, &len, err));
    runtime_version_info v;
    CHECK(enc && runtime_version_decode(enc, len, &v, err, sizeof err));
    CHECK(enc && !strcmp(v.spec_name, "a"));
    free(enc);
}

TEST(runtime_version_errors)
{
    buf m;
    uint8_t *enc = NULL;
    size_t len = 0;
    char err[256];

    module_header(&m);  /* no section */
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "runtime version section is not found");

    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x07, 0, 0, 0, 0x02 };
    static const uint8_t clipped[13] = { CORE, 4, 0, 0, 0, 0 };
    module_header(&m);
    custom_section(&m, "runtime_version", section, sizeof section);
    custom_section(&m, "runtime_apis", clipped, sizeof clipped);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "clipped runtime api info");

    /* Core 4 says system_version follows, but the section ends. */
    static const uint8_t short_section[] = { VERSION_HEAD, 0x00, 0x07, 0, 0, 0 };
    module_header(&m);
    custom_section(&m, "runtime_apis", APIS_CORE4, sizeof APIS_CORE4);
    custom_section(&m, "runtime_version", short_section, sizeof short_section);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "failed to decode version section");

    /* spec_name is not UTF-8 (an overlong '/'), and a surrogate. */
    static const uint8_t bad_utf8[] = { 0x08, 0xc0, 0xaf, 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
    module_header(&m);
    custom_section(&m, "runtime_version", bad_utf8, sizeof bad_utf8);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "not valid UTF-8");
    static const uint8_t surrogate[] = { 0x0c, 0xed, 0xa0, 0x80, 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
    module_header(&m);
    custom_section(&m, "runtime_version", surrogate, sizeof surrogate);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "not valid UTF-8");

    /* A name length in a non-canonical compact (1 in the two-byte mode). */
    static const uint8_t overlong[] = { 0x05, 0x00, 'a', 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x00 };
    module_header(&m);
    custom_section(&m, "runtime_version", overlong, sizeof overlong);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "failed to decode version section");

    /* An apis count larger than the bytes left. */
    static const uint8_t many_apis[] = { 0x00, 0x00, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff };
    module_header(&m);
    custom_section(&m, "runtime_version", many_apis, sizeof many_apis);
    CHECK(!read_module(&m, &enc, &len, err));
    CHECK_STR_CONTAINS(err, "failed to decode version section");

    /* Not a wasm module at all. */
    static const uint8_t junk[] = "not a wasm module";
    CHECK(!runtime_version_read(junk, sizeof junk, &enc, &len, err, sizeof err));
    CHECK_STR_CONTAINS(err, "cannot deserialize module");
    CHECK(enc == NULL);
}

TEST(runtime_version_reads_compressed_blobs_and_refuses_bombs)
{
    static const uint8_t section[] = { VERSION_HEAD, 0x00, 0x07, 0, 0, 0, 0x02 };
    buf m;
    module_header(&m);
    custom_section(&m, "runtime_apis", APIS_CORE4, sizeof APIS_CORE4);
    custom_section(&m, "runtime_version", section, sizeof section);
    uint8_t *plain = NULL, *packed_enc = NULL;
    size_t plain_len = 0, packed_len = 0;
    char err[256] = "";
    CHECK(read_module(&m, &plain, &plain_len, err));

    size_t cap = ZSTD_compressBound(m.n) + BLOB_MAGIC_LEN;
    uint8_t *blob = malloc(cap);
    memcpy(blob, BLOB_MAGIC, BLOB_MAGIC_LEN);
    size_t z = ZSTD_compress(blob + BLOB_MAGIC_LEN, cap - BLOB_MAGIC_LEN, m.b, m.n, 3);
    CHECK(!ZSTD_isError(z));
    CHECK(runtime_version_read(blob, BLOB_MAGIC_LEN + z, &packed_enc, &packed_len, err, sizeof err));
    CHECK(plain && packed_enc && plain_len == packed_len && !memcmp(plain, packed_enc, plain_len));
    free(blob);
    free(plain);
    free(packed_enc);

    /* One byte over the 50 MiB limit: a possible bomb, whatever it holds. */
    size_t big = (size_t)PVF_REF_CODE_BLOB_BOMB_LIMIT + 1;
    uint8_t *zeros = calloc(big, 1);
    cap = ZSTD_compressBound(big) + BLOB_MAGIC_LEN;
    blob = malloc(cap);
    memcpy(zeros, m.b, m.n);    /* a real module at the front */
    memcpy(blob, BLOB_MAGIC, BLOB_MAGIC_LEN);
    z = ZSTD_compress(blob + BLOB_MAGIC_LEN, cap - BLOB_MAGIC_LEN, zeros, big, 1);
    CHECK(!ZSTD_isError(z));
    uint8_t *enc = NULL;
    size_t len = 0;
    CHECK(!runtime_version_read(blob, BLOB_MAGIC_LEN + z, &enc, &len, err, sizeof err));
    CHECK_STR_CONTAINS(err, "bomb");
    free(zeros);
    free(blob);
}

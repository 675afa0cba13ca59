/*
 * test_scale.c — the SCALE reader and writer (src/runtime/scale.c).
 *
 * Compact integers are checked against tests/data/scale_compact.json, written
 * by polkadot.js (tests/gen/node/scale_vectors.js) at every mode boundary; the
 * strictness cases (non-canonical, too wide, truncated) follow
 * parity-scale-codec's rules and are written out by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/scale.h"
#include "test.h"
#include "util/json.h"

/* "0x…" → bytes (malloc'd); NULL on bad hex. */
static uint8_t *unhex(const char *hex, size_t *len)
{
    if (strncmp(hex, "0x", 2) == 0)
        hex += 2;
    size_t n = strlen(hex);
    if (n % 2)
        return NULL;
    uint8_t *out = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b;
        if (!out || sscanf(hex + 2 * i, "%2x", &b) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)b;
    }
    *len = n / 2;
    return out;
}

static scale_u128 parse_u128(const char *s)
{
    scale_u128 v = 0;
    for (; *s; s++)
        v = v * 10 + (scale_u128)(*s - '0');
    return v;
}

/* Decode `hex` as a Compact<u32/u64/u128> (bits); returns success and fills err. */
static bool decode_compact(const char *hex, unsigned bits, scale_u128 *v, size_t *used,
                           wasm_error *err)
{
    size_t len = 0;
    uint8_t *b = unhex(hex, &len);
    scale_reader r;
    scale_reader_init(&r, b, len, err);
    bool ok;
    if (bits == 32) {
        uint32_t x = 0;
        ok = scale_read_compact_u32(&r, &x);
        *v = x;
    } else if (bits == 64) {
        uint64_t x = 0;
        ok = scale_read_compact_u64(&r, &x);
        *v = x;
    } else {
        ok = scale_read_compact_u128(&r, v);
    }
    *used = scale_offset(&r);
    free(b);
    return ok;
}

static char *writer_hex(scale_writer *w)
{
    uint8_t *b;
    size_t n;
    if (!scale_writer_finish(w, &b, &n))
        return NULL;
    char *s = malloc(2 * n + 3);
    strcpy(s, "0x");
    for (size_t i = 0; i < n; i++)
        sprintf(s + 2 + 2 * i, "%02x", b[i]);
    free(b);
    return s;
}

TEST(scale_compact_vectors_from_polkadot_js)
{
    size_t len;
    char *text = (char *)test_read_file("tests/data/scale_compact.json", &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "tests/data/scale_compact.json missing (run from the repo root)");
        return;
    }
    char jerr[128];
    json_value *doc = json_parse(text, len, jerr, sizeof jerr);
    CHECK(doc != NULL);
    CHECK(json_array_len(doc) >= 20);
    for (size_t i = 0; i < json_array_len(doc); i++) {
        const json_value *c = json_array_at(doc, i);
        const char *hex = json_get_string(c, "scale");
        scale_u128 want = parse_u128(json_get_string(c, "value"));
        size_t want_len = (strlen(hex) - 2) / 2;

        /* encode */
        scale_writer w;
        scale_writer_init(&w);
        scale_write_compact(&w, want);
        char *got = writer_hex(&w);
        if (!got || strcmp(got, hex) != 0)
            test_fail(__FILE__, __LINE__, "encode %s: %s, want %s", json_get_string(c, "value"),
                      got ? got : "(null)", hex);
        free(got);
        CHECK_EQ_U64(scale_compact_size(want), want_len);

        /* decode at every width: fits ⇒ the value, else "does not fit" */
        static const unsigned widths[] = {32, 64, 128};
        for (int k = 0; k < 3; k++) {
            scale_u128 v = 0;
            size_t used = 0;
            wasm_error err = {0};
            bool ok = decode_compact(hex, widths[k], &v, &used, &err);
            bool fits = widths[k] == 128 || (want >> widths[k]) == 0;
            if (ok != fits)
                test_fail(__FILE__, __LINE__, "decode %s as %u bits: ok=%d (%s)", hex, widths[k], ok,
                          err.msg);
            if (ok) {
                CHECK(v == want);
                CHECK_EQ_U64(used, want_len);
            } else {
                CHECK_STR_CONTAINS(err.msg, "does not fit in");
            }
        }
    }
    json_free(doc);
    free(text);
}

/* Each mode's smallest value minus one, written in that mode: all rejected. */
TEST(scale_compact_rejects_non_canonical)
{
    static const struct { const char *hex; unsigned bits; } cases[] = {
        {"0x0100", 32},             /* 0 in the two-byte mode */
        {"0xfd00", 32},             /* 63 in the two-byte mode */
        {"0x02000000", 32},         /* 0 in the four-byte mode */
        {"0xfeff0000", 64},         /* 16383 in the four-byte mode */
        {"0x03ffffff3f", 32},       /* 2^30 - 1 in big mode, 4 bytes */
        {"0x0300000000", 128},      /* 0 in big mode */
        {"0x07ffffffff00", 64},     /* 2^32 - 1 with 5 bytes */
        {"0x0b000000000000", 64},   /* 0 with 6 bytes */
        {"0x13ffffffffffffff00", 64},       /* top byte zero, 8 bytes */
        {"0x33ffffffffffffffffffffffffffffff00", 128},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scale_u128 v;
        size_t used;
        wasm_error err = {0};
        bool ok = decode_compact(cases[i].hex, cases[i].bits, &v, &used, &err);
        if (ok)
            test_fail(__FILE__, __LINE__, "%s accepted", cases[i].hex);
        CHECK_STR_CONTAINS(err.msg, "non-canonical compact encoding");
        CHECK(err.has_offset && err.offset == 0);
    }
}

TEST(scale_compact_too_wide_and_truncated)
{
    scale_u128 v;
    size_t used;
    wasm_error err = {0};
    /* 5..17-byte prefixes beyond each width */
    CHECK(!decode_compact("0x070000000001", 32, &v, &used, &err));
    CHECK_STR_CONTAINS(err.msg, "does not fit in 32 bits");
    CHECK(!decode_compact("0x17000000000000000001", 64, &v, &used, &err));
    CHECK_STR_CONTAINS(err.msg, "does not fit in 64 bits");
    CHECK(!decode_compact("0x370000000000000000000000000000000001", 128, &v, &used, &err));
    CHECK_STR_CONTAINS(err.msg, "does not fit in 128 bits");
    /* truncated in every mode */
    static const char *cut[] = {"0x", "0x01", "0x020000", "0x03000000", "0x0b0000000000"};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        memset(&err, 0, sizeof err);
        if (decode_compact(cut[i], 64, &v, &used, &err))
            test_fail(__FILE__, __LINE__, "%s accepted", cut[i]);
        CHECK_STR_CONTAINS(err.msg, "unexpected end of input");
    }
}

TEST(scale_error_offsets)
{
    /* a u32, then a compact at offset 4 that is non-canonical */
    static const uint8_t in[] = {1, 0, 0, 0, 0x01, 0x00};
    scale_reader r;
    wasm_error err = {0};
    uint32_t x;
    char buf[300];
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(scale_read_u32(&r, &x) && x == 1);
    CHECK(!scale_read_compact_u32(&r, &x));
    CHECK(err.has_offset);
    CHECK_EQ_U64(err.offset, 4);
    CHECK_STR_CONTAINS(wasm_error_text(&err, buf, sizeof buf),
                       "at offset 0x4: non-canonical compact encoding");
    /* a byte vector claiming more than is left: reported where its length starts */
    static const uint8_t vec[] = {0xaa, 0x10, 1, 2, 3};
    scale_bytes b;
    scale_reader_init(&r, vec, sizeof vec, &err);
    r.p++;
    CHECK(!scale_read_byte_vec(&r, &b));
    CHECK_EQ_U64(err.offset, 1);
    CHECK_STR_CONTAINS(err.msg, "byte vector of 4 bytes exceeds the 3 bytes left");
}

TEST(scale_fixed_width_and_tags)
{
    static const uint8_t in[] = {0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0xef, 0xcd, 0xab, 0x89,
                                 0x67, 0x45, 0x23, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x00, 0x01, 0x01, 0x00};
    scale_reader r;
    wasm_error err = {0};
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    bool b, present, is_err;
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(scale_read_u8(&r, &u8) && u8 == 1);
    CHECK(scale_read_u16(&r, &u16) && u16 == 0x1234);
    CHECK(scale_read_u32(&r, &u32) && u32 == 0x12345678);
    CHECK(scale_read_u64(&r, &u64) && u64 == 0x0123456789abcdefull);
    CHECK(scale_read_i32(&r, &i32) && i32 == -2);
    CHECK(scale_read_bool(&r, &b) && !b);
    CHECK(scale_read_bool(&r, &b) && b);
    CHECK(scale_read_option(&r, &present) && present);
    CHECK(scale_read_result(&r, &is_err) && !is_err);
    CHECK(scale_expect_end(&r));
    CHECK(!scale_read_u8(&r, &u8));
    CHECK_STR_CONTAINS(err.msg, "unexpected end of input: 1 bytes needed, 0 left");

    static const uint8_t bad[] = {0x02};
    scale_reader_init(&r, bad, 1, &err);
    CHECK(!scale_read_bool(&r, &b));
    CHECK_STR_CONTAINS(err.msg, "invalid bool: 0x02");
    scale_reader_init(&r, bad, 1, &err);
    CHECK(!scale_read_option(&r, &present));
    CHECK_STR_CONTAINS(err.msg, "invalid Option tag: 0x02");
    scale_reader_init(&r, bad, 1, &err);
    CHECK(!scale_read_result(&r, &is_err));
    CHECK_STR_CONTAINS(err.msg, "invalid Result tag: 0x02");
    CHECK_EQ_U64(err.offset, 0);
}

TEST(scale_vec_len_limits)
{
    /* compact 3, then 5 bytes */
    static const uint8_t in[] = {0x0c, 1, 2, 3, 4, 5};
    scale_reader r;
    wasm_error err = {0};
    uint32_t n;
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(scale_read_vec_len(&r, 1, 3, &n) && n == 3);
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(!scale_read_vec_len(&r, 1, 2, &n));
    CHECK_STR_CONTAINS(err.msg, "vector of 3 items exceeds the limit of 2");
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(!scale_read_vec_len(&r, 2, UINT32_MAX, &n));   /* 3 × 2 > 5 */
    CHECK_STR_CONTAINS(err.msg, "vector of 3 items cannot fit in the 5 bytes left");
    /* a huge count never reaches an allocation */
    static const uint8_t huge[] = {0x03, 0xff, 0xff, 0xff, 0xff};
    scale_reader_init(&r, huge, sizeof huge, &err);
    CHECK(!scale_read_vec_len(&r, 1, UINT32_MAX, &n));
    CHECK_STR_CONTAINS(err.msg, "cannot fit");
}

TEST(scale_expect_end_reports_trailing_bytes)
{
    static const uint8_t in[] = {0x04, 0xaa, 0xbb, 0xcc};
    scale_reader r;
    wasm_error err = {0};
    scale_bytes b;
    scale_reader_init(&r, in, sizeof in, &err);
    CHECK(scale_read_byte_vec(&r, &b) && b.len == 1 && b.ptr[0] == 0xaa);
    CHECK(!scale_expect_end(&r));
    CHECK_STR_CONTAINS(err.msg, "trailing bytes: 2 after the end of the value");
    CHECK_EQ_U64(err.offset, 2);
}

TEST(scale_writer_grows_and_encodes)
{
    scale_writer w;
    scale_writer_init(&w);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    for (int i = 0; i < 100; i++)
        scale_write_byte_vec(&w, big, sizeof big);   /* compact 1000 = 0xa1 0x0f */
    scale_write_u16(&w, 0xbeef);
    scale_write_bool(&w, true);
    uint8_t *out;
    size_t n;
    CHECK(scale_writer_finish(&w, &out, &n));
    CHECK_EQ_U64(n, 100 * 1002 + 3);
    CHECK(out[0] == 0xa1 && out[1] == 0x0f && out[2] == 0 && out[1001] == (uint8_t)999);
    CHECK(out[n - 3] == 0xef && out[n - 2] == 0xbe && out[n - 1] == 1);
    /* read it back */
    scale_reader r;
    wasm_error err = {0};
    scale_reader_init(&r, out, n, &err);
    for (int i = 0; i < 100; i++) {
        scale_bytes b;
        CHECK(scale_read_byte_vec(&r, &b) && b.len == 1000 && memcmp(b.ptr, big, 1000) == 0);
    }
    free(out);
    /* an empty writer still hands over a buffer */
    scale_writer_init(&w);
    CHECK(scale_writer_finish(&w, &out, &n) && out != NULL && n == 0);
    free(out);
}

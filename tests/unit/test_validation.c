/*
 * test_validation.c — ValidationParams / ValidationResult (src/runtime/validation.c).
 *
 * Real data: the adder chain in $PVF_TESTDATA/inputs/adder/ (params and the
 * results V8 produced) and the Westend para 1000 candidate commitments in
 * inputs/westend-para1000/, whose fields polkadot.js decoded into
 * tests/data/westend_commitments.json. Hand-made results with messages and new
 * code come from tests/data/validation_result.json (polkadot.js, see
 * tests/gen/node/scale_vectors.js). Strictness cases are written out here.
 */
#include <dirent.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/validation.h"
#include "test.h"
#include "util/json.h"

static uint8_t *unhex(const char *hex, size_t *len)
{
    *len = 0;
    if (!hex)
        return NULL;
    if (strncmp(hex, "0x", 2) == 0)
        hex += 2;
    size_t n = strlen(hex);
    uint8_t *out = malloc(n / 2 + 1);
    for (size_t i = 0; out && i < n / 2; i++) {
        unsigned b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)b;
    }
    *len = n / 2;
    return out;
}

static bool same_bytes(scale_bytes b, const uint8_t *p, size_t n)
{
    return b.len == n && (n == 0 || memcmp(b.ptr, p, n) == 0);
}

/* Encoding `res` gives exactly in[0..len). */
static bool reencodes_to(const validation_result *res, const uint8_t *in, size_t len)
{
    scale_writer w;
    uint8_t *out;
    size_t n;
    scale_writer_init(&w);
    validation_result_encode(res, &w);
    if (!scale_writer_finish(&w, &out, &n))
        return false;
    bool same = n == len && memcmp(out, in, len) == 0;
    free(out);
    return same;
}

static json_value *read_json(const char *path)
{
    size_t len;
    char err[128];
    char *text = (char *)test_read_file(path, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "%s missing (run from the repo root)", path);
        return NULL;
    }
    json_value *doc = json_parse(text, len, err, sizeof err);
    if (!doc)
        test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    free(text);
    return doc;
}

/* Every proper prefix fails to decode, in both forms, with an offset inside the input. */
static void check_truncations(const uint8_t *in, size_t len)
{
    for (size_t cut = 0; cut < len; cut++) {
        validation_result res;
        wasm_error err = {0};
        size_t used;
        if (validation_result_decode(in, cut, &res, &used, &err)) {
            test_fail(__FILE__, __LINE__, "prefix of %zu/%zu bytes decoded", cut, len);
            validation_result_free(&res);
            continue;
        }
        CHECK(err.has_offset && err.offset <= cut);
        CHECK(res.upward_messages == NULL && res.horizontal_messages == NULL);
        CHECK(!validation_result_decode_all(in, cut, &res, &err));
    }
}

TEST(validation_adder_chain)
{
    static const char *blocks[] = {"kagome_pvf_hex_adder", "000", "001", "002", "003", "004"};
    uint8_t *prev_head = NULL;
    size_t prev_head_len = 0;
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        char rel_p[128], rel_r[128];
        bool kagome = i == 0;
        snprintf(rel_p, sizeof rel_p, "inputs/adder/%s.%s", blocks[i],
                 kagome ? "validation_params.scale" : "params.scale");
        snprintf(rel_r, sizeof rel_r, "inputs/adder/%s.%s", blocks[i],
                 kagome ? "expected_validation_result.scale" : "expected_result.scale");
        size_t plen, rlen;
        uint8_t *pb = test_read_data(rel_p, &plen), *rb = test_read_data(rel_r, &rlen);
        if (!pb || !rb) {
            free(pb);
            free(rb);
            break;
        }
        wasm_error err = {0};
        validation_params p;
        validation_result res;
        CHECK(validation_params_decode_all(pb, plen, &p, &err));
        CHECK(validation_result_decode_all(rb, rlen, &res, &err));
        if (err.msg[0])
            test_fail(__FILE__, __LINE__, "%s: %s", blocks[i], err.msg);

        /* re-encoding gives the same bytes */
        scale_writer w;
        uint8_t *out;
        size_t n;
        scale_writer_init(&w);
        validation_params_encode(&p, &w);
        CHECK(scale_writer_finish(&w, &out, &n) && n == plen && memcmp(out, pb, n) == 0);
        free(out);
        CHECK(reencodes_to(&res, rb, rlen));

        /* the adder's result: a 72-byte head, no code, no messages, watermark = relay parent */
        CHECK_EQ_U64(p.parent_head.len, 72);
        CHECK_EQ_U64(res.head_data.len, 72);
        CHECK(!res.has_new_validation_code);
        CHECK_EQ_U64(res.n_upward_messages, 0);
        CHECK_EQ_U64(res.n_horizontal_messages, 0);
        CHECK_EQ_U64(res.processed_downward_messages, 0);
        CHECK_EQ_U64(res.hrmp_watermark, p.relay_parent_number);
        /* 000 is the kagome capture again; 001.. chain on the previous result's head */
        if (i >= 2)
            CHECK(same_bytes(p.parent_head, prev_head, prev_head_len));

        check_truncations(rb, rlen);
        for (size_t cut = 0; cut < plen; cut++)
            CHECK(!validation_params_decode(pb, cut, &p, NULL, &err));

        free(prev_head);
        prev_head = malloc(res.head_data.len);
        memcpy(prev_head, res.head_data.ptr, res.head_data.len);
        prev_head_len = res.head_data.len;
        validation_result_free(&res);
        free(pb);
        free(rb);
    }
    free(prev_head);
}

TEST(validation_adder_result_json)
{
    size_t len;
    uint8_t *rb = test_read_data("inputs/adder/000.expected_result.scale", &len);
    if (!rb)
        return;
    validation_result res;
    wasm_error err;
    CHECK(validation_result_decode_all(rb, len, &res, &err));
    char *json = validation_result_to_json(&res);
    /* the head is bytes 2..74 of the file (after its two-byte compact length 72) */
    char want[512] = "{\"head_data\":\"0x";
    for (size_t i = 2; i < 74; i++)
        sprintf(want + strlen(want), "%02x", rb[i]);
    strcat(want, "\",\"new_validation_code\":null,\"upward_messages\":[],"
                 "\"horizontal_messages\":[],\"processed_downward_messages\":0,"
                 "\"hrmp_watermark\":11}");
    if (!json || strcmp(json, want) != 0)
        test_fail(__FILE__, __LINE__, "json:\n    %s\n  want\n    %s", json, want);
    free(json);
    validation_result_free(&res);
    free(rb);
}

/* The JSON of `res` parsed back equals the polkadot.js fields in `want`. */
static void check_json_fields(const validation_result *res, const json_value *want, const char *name)
{
    char *text = validation_result_to_json(res);
    char err[128];
    json_value *got = text ? json_parse(text, strlen(text), err, sizeof err) : NULL;
    if (!got) {
        test_fail(__FILE__, __LINE__, "%s: our JSON does not parse: %s", name, text);
        free(text);
        return;
    }
    static const char *hex_fields[] = {"head_data", "new_validation_code"};
    for (int i = 0; i < 2; i++) {
        const json_value *g = json_get(got, hex_fields[i]), *w = json_get(want, hex_fields[i]);
        if (json_is_null(w) ? !json_is_null(g)
                            : !json_string(g, NULL) || strcmp(json_string(g, NULL), json_string(w, NULL)))
            test_fail(__FILE__, __LINE__, "%s: %s differs", name, hex_fields[i]);
    }
    const json_value *gu = json_get(got, "upward_messages"), *wu = json_get(want, "upward_messages");
    CHECK_EQ_U64(json_array_len(gu), json_array_len(wu));
    for (size_t i = 0; i < json_array_len(wu); i++)
        CHECK(strcmp(json_string(json_array_at(gu, i), NULL), json_string(json_array_at(wu, i), NULL)) == 0);
    const json_value *gh = json_get(got, "horizontal_messages"), *wh = json_get(want, "horizontal_messages");
    CHECK_EQ_U64(json_array_len(gh), json_array_len(wh));
    for (size_t i = 0; i < json_array_len(wh); i++) {
        uint64_t a = 1, b = 2;
        json_number_u64(json_get(json_array_at(gh, i), "recipient"), &a);
        json_number_u64(json_get(json_array_at(wh, i), "recipient"), &b);
        CHECK_EQ_U64(a, b);
        CHECK(strcmp(json_get_string(json_array_at(gh, i), "data"),
                     json_get_string(json_array_at(wh, i), "data")) == 0);
    }
    static const char *num_fields[] = {"processed_downward_messages", "hrmp_watermark"};
    for (int i = 0; i < 2; i++) {
        uint64_t a = 1, b = 2;
        CHECK(json_number_u64(json_get(got, num_fields[i]), &a));
        CHECK(json_number_u64(json_get(want, num_fields[i]), &b));
        CHECK_EQ_U64(a, b);
    }
    json_free(got);
    free(text);
}

TEST(validation_result_vectors_from_polkadot_js)
{
    json_value *doc = read_json("tests/data/validation_result.json");
    CHECK(json_array_len(doc) >= 3);
    for (size_t i = 0; i < json_array_len(doc); i++) {
        const json_value *c = json_array_at(doc, i);
        const char *name = json_get_string(c, "name");
        size_t len;
        uint8_t *b = unhex(json_get_string(c, "scale"), &len);
        validation_result res;
        wasm_error err = {0};
        if (!validation_result_decode_all(b, len, &res, &err)) {
            test_fail(__FILE__, __LINE__, "%s: %s at 0x%zx", name, err.msg, err.offset);
            free(b);
            continue;
        }
        CHECK(reencodes_to(&res, b, len));
        check_json_fields(&res, json_get(c, "json"), name);
        check_truncations(b, len);
        validation_result_free(&res);
        free(b);
    }
    json_free(doc);
}

/* CandidateCommitments: upward, horizontal, new code, head, processed, watermark. */
static bool read_commitments(scale_reader *r, validation_result *c)
{
    uint32_t n_up, n_h;
    if (!scale_read_vec_len(r, 1, 16384, &n_up) || n_up != 0 ||
        !scale_read_vec_len(r, 5, 16384, &n_h) || n_h != 0 ||
        !scale_read_option(r, &c->has_new_validation_code) || c->has_new_validation_code)
        return false;   /* the Westend candidate has none of these */
    return scale_read_byte_vec(r, &c->head_data) &&
           scale_read_u32(r, &c->processed_downward_messages) &&
           scale_read_u32(r, &c->hrmp_watermark) && scale_expect_end(r);
}

TEST(validation_westend_para1000)
{
    size_t clen, hlen, plen;
    uint8_t *cb = test_read_data("inputs/westend-para1000/westend_para1000_pending_commitments.scale", &clen);
    uint8_t *head = test_read_data("inputs/westend-para1000/westend_para1000_expected_new_head.bin", &hlen);
    uint8_t *parent = test_read_data("inputs/westend-para1000/westend_para1000_parent_head.bin", &plen);
    json_value *want = read_json("tests/data/westend_commitments.json");
    if (!cb || !head || !parent || !want)
        goto out;

    /* the commitments carry the expected new head and the watermark polkadot.js read */
    validation_result c = {0};
    scale_reader r;
    wasm_error err = {0};
    scale_reader_init(&r, cb, clen, &err);
    CHECK(read_commitments(&r, &c));
    CHECK(same_bytes(c.head_data, head, hlen));
    uint64_t mark = 0;
    CHECK(json_number_u64(json_get(want, "hrmp_watermark"), &mark));
    CHECK_EQ_U64(c.hrmp_watermark, mark);
    CHECK_EQ_U64(c.hrmp_watermark, 15946389);

    /* as a ValidationResult: encode, decode, same fields, JSON as polkadot.js */
    scale_writer w;
    uint8_t *enc;
    size_t elen;
    scale_writer_init(&w);
    validation_result_encode(&c, &w);
    CHECK(scale_writer_finish(&w, &enc, &elen));
    CHECK_EQ_U64(elen, 2 + hlen + 1 + 1 + 1 + 4 + 4);
    validation_result res;
    CHECK(validation_result_decode_all(enc, elen, &res, &err));
    CHECK(same_bytes(res.head_data, head, hlen));
    CHECK_EQ_U64(res.hrmp_watermark, 15946389);
    check_json_fields(&res, want, "westend");
    check_truncations(enc, elen);
    validation_result_free(&res);
    free(enc);

    /* a parachain header starts with its parent's hash: BLAKE2b-256 of the parent head */
    uint8_t h[32];
    crypto_generichash(h, 32, parent, plen, NULL, 0);
    CHECK(hlen >= 32 && memcmp(head, h, 32) == 0);
out:
    json_free(want);
    free(cb);
    free(head);
    free(parent);
}

/* A result with n upward (or horizontal) messages, each empty; everything else empty. */
static uint8_t *result_with_messages(uint32_t n_up, uint32_t n_h, size_t *len)
{
    scale_writer w;
    uint8_t *out;
    scale_writer_init(&w);
    scale_write_compact(&w, 0);     /* head_data */
    scale_write_u8(&w, 0);          /* no new code */
    scale_write_compact(&w, n_up);
    for (uint32_t i = 0; i < n_up; i++)
        scale_write_compact(&w, 0);
    scale_write_compact(&w, n_h);
    for (uint32_t i = 0; i < n_h; i++) {
        scale_write_u32(&w, i);
        scale_write_compact(&w, 0);
    }
    scale_write_u32(&w, 0);
    scale_write_u32(&w, 0);
    CHECK(scale_writer_finish(&w, &out, len));
    return out;
}

TEST(validation_result_message_caps)
{
    static const struct { uint32_t up, h; bool ok; const char *msg; } cases[] = {
        {16384, 0, true, NULL},
        {16385, 0, false, "vector of 16385 items exceeds the limit of 16384"},
        {0, 16384, true, NULL},
        {0, 16385, false, "vector of 16385 items exceeds the limit of 16384"},
        {16384, 16384, true, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *b = result_with_messages(cases[i].up, cases[i].h, &len);
        validation_result res;
        wasm_error err = {0};
        bool ok = validation_result_decode_all(b, len, &res, &err);
        CHECK(ok == cases[i].ok);
        if (ok) {
            CHECK_EQ_U64(res.n_upward_messages, cases[i].up);
            CHECK_EQ_U64(res.n_horizontal_messages, cases[i].h);
            if (cases[i].h)
                CHECK_EQ_U64(res.horizontal_messages[cases[i].h - 1].recipient, cases[i].h - 1);
            CHECK(reencodes_to(&res, b, len));
            validation_result_free(&res);
        } else if (cases[i].msg) {
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        }
        free(b);
    }
}

TEST(validation_result_trailing_bytes)
{
    size_t len;
    uint8_t *rb = test_read_data("inputs/adder/000.expected_result.scale", &len);
    if (!rb)
        return;
    uint8_t *more = malloc(len + 3);
    memcpy(more, rb, len);
    memcpy(more + len, "\x01\x02\x03", 3);
    validation_result res;
    wasm_error err = {0};
    size_t used = 0;
    /* the reference's `decode`: trailing bytes are ignored */
    CHECK(validation_result_decode(more, len + 3, &res, &used, &err));
    CHECK_EQ_U64(used, len);
    validation_result_free(&res);
    /* decode_all: refused, at the first extra byte */
    CHECK(!validation_result_decode_all(more, len + 3, &res, &err));
    CHECK_STR_CONTAINS(err.msg, "trailing bytes: 3 after the end of the value");
    CHECK_EQ_U64(err.offset, len);
    validation_params p;
    CHECK(!validation_params_decode_all(more, len + 3, &p, &err));
    free(more);
    free(rb);
}

TEST(validation_result_malformed)
{
    static const struct { const char *hex; const char *msg; size_t offset; } cases[] = {
        /* head_data length 0 written in the two-byte mode */
        {"0100" "00" "00" "00" "0000000000000000", "non-canonical compact encoding", 0},
        /* upward message count 1 in big mode */
        {"00" "00" "0301000000", "non-canonical compact encoding", 2},
        {"00" "02", "invalid Option tag: 0x02", 1},
        /* a message longer than the input */
        {"00" "00" "04" "10aabb", "byte vector of 4 bytes exceeds the 2 bytes left", 3},
        /* a head_data length beyond u32 */
        {"0700000000010000000000", "does not fit in 32 bits", 0},
        /* two horizontal messages need at least 10 bytes */
        {"00" "00" "00" "08" "0000000000", "vector of 2 items cannot fit in the 5 bytes left", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *b = unhex(cases[i].hex, &len);
        validation_result res;
        wasm_error err = {0};
        CHECK(!validation_result_decode(b, len, &res, NULL, &err));
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        if (err.offset != cases[i].offset)
            test_fail(__FILE__, __LINE__, "case %zu: offset %zu, want %zu", i, err.offset,
                      cases[i].offset);
        free(b);
    }
}

/* Crash inputs the fuzzer found (fuzz/regressions/scale/) decode or fail cleanly. */
TEST(validation_fuzz_regressions)
{
    DIR *d = opendir("fuzz/regressions/scale");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[512];
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "fuzz/regressions/scale/%s", e->d_name);
        uint8_t *b = test_read_file(path, &len);
        validation_result res;
        validation_params p;
        wasm_error err;
        size_t used;
        if (b && validation_result_decode(b, len, &res, &used, &err)) {
            CHECK(reencodes_to(&res, b, used));
            validation_result_free(&res);
        }
        if (b)
            (void)validation_params_decode(b, len, &p, &used, &err);
        free(b);
    }
    closedir(d);
}

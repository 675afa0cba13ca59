/*
 * test_hostfn.c — the PVF host functions end to end, through real wasm.
 *
 * tests/fixtures/engine/host_calls.wat is shaped like a Substrate runtime
 * (memory imported from env, __heap_base, exports f(ptr, len) -> ptr | len << 32)
 * and calls the host functions with arguments taken from its input; its
 * header lists the input layout of every export. It is prepared once with
 * the default parameters; each call is pvf_runtime_call on a fresh instance.
 *
 * The expected values are those of the algorithm tests, which come from
 * independent implementations (tests/data: hash_vectors.json,
 * ed25519_vectors.tsv, ed25519_zip215.tsv, sr25519_vectors.tsv,
 * ecdsa_vectors.json, trie_vectors.json, runtime_calls/expected.json — see
 * test_hashing.c, test_ed25519.c, test_sr25519.c, test_ecdsa.c, test_trie.c,
 * test_runtime_calls.c). What is tested here is the marshalling of
 * sp-runtime-interface (reference-behaviour.md §5.5): spans and fixed-size
 * pointers, digests and SCALE results written into memory the runtime's own
 * allocator gives, i32 booleans, traps for out-of-bounds arguments, missing
 * functions and keystore calls, and link errors. Allocator addresses are
 * worked out by hand from sc-allocator's rules (§5.6) in the comments.
 *
 * Argument decoding follows sp-runtime-interface: an integer passed as u8
 * (StateVersion, the log level) is the low byte of the i32 (`arg as u8`),
 * then TryFrom<u8> — failing ⇒ the host function panics; a `&str` argument
 * must be UTF-8 or the call panics ("Invalid utf8 data provided").
 */
#include "test.h"

#include <sodium.h>
#include "runtime/hostfn_abi.h"
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "pvf/runtime.h"
#include "util/hex.h"
#include "util/json.h"

#define FIXTURE "tests/fixtures/engine/host_calls.wasm"
#define MEMORY_END (2u * 65536u)    /* the fixture's memory while the input is small */

/* verify selectors (host_calls.wat) */
enum { V_ED25519, V_SR25519_V1, V_SR25519_V2, V_ECDSA_V1, V_ECDSA_V2, V_ED25519_BATCH,
       V_SR25519_BATCH, V_ECDSA_BATCH };
/* trie_root selectors */
enum { R_BLAKE2_V1, R_BLAKE2_ORDERED_V1, R_KECCAK_V1, R_KECCAK_ORDERED_V1, R_BLAKE2_V2,
       R_BLAKE2_ORDERED_V2, R_KECCAK_V2, R_KECCAK_ORDERED_V2 };
/* alloc ops */
enum { A_MALLOC, A_FREE_RESULT, A_PAGES, A_FREE_RAW, A_INPUT };

/* ---- byte buffers ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

/* Room for `n` more bytes at b->p + b->n (not counted yet). */
static uint8_t *reserve(buf *b, size_t n)
{
    if (!b->p || b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    return b->p + b->n;
}

static void put(buf *b, const void *bytes, size_t n)
{
    uint8_t *at = reserve(b, n);
    if (n)
        memcpy(at, bytes, n);
    b->n += n;
}

static void put_u8(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_u32(buf *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, le, 4);
}

/* SCALE Compact<u32>: 1, 2 or 4 bytes with the mode in the low 2 bits, else 0b11 + 4 bytes. */
static void put_compact(buf *b, uint32_t v)
{
    if (v < 1u << 6) {
        put_u8(b, (uint8_t)(v << 2));
    } else if (v < 1u << 14) {
        put_u8(b, (uint8_t)(v << 2 | 1));
        put_u8(b, (uint8_t)(v >> 6));
    } else if (v < 1u << 30) {
        put_u32(b, v << 2 | 2);
    } else {
        put_u8(b, 3);
        put_u32(b, v);
    }
}

static void put_byte_vec(buf *b, const uint8_t *bytes, size_t n)
{
    put_compact(b, (uint32_t)n);
    put(b, bytes, n);
}

static void buf_free(buf *b)
{
    free(b->p);
    *b = (buf){ 0 };
}

/* ---- the fixture and calls ---- */

static pvf_code *host_code;

static pvf_code *load_code(const uint8_t *wasm, size_t len, char *err, size_t errlen)
{
    pvf_runtime_params params;
    pvf_runtime_params_default(&params);
    uint8_t *artifact;
    size_t artifact_len;
    pvf_prepare_stats stats;
    if (!pvf_runtime_prepare(wasm, len, &params, &artifact, &artifact_len, &stats, err, errlen))
        return NULL;
    pvf_code *code = pvf_code_load(artifact, artifact_len, err, errlen);
    free(artifact);
    return code;
}

/* The prepared fixture, made on first use; NULL (and a failure) if it cannot be. */
static const pvf_code *fixture(void)
{
    static bool tried;
    static char why[300];
    if (!tried) {
        tried = true;
        size_t len;
        uint8_t *wasm = test_read_file(FIXTURE, &len);
        if (wasm)
            host_code = load_code(wasm, len, why, sizeof why);
        else
            snprintf(why, sizeof why, "cannot read %s (run from the repository root)", FIXTURE);
        free(wasm);
    }
    if (!host_code)
        test_fail(__FILE__, __LINE__, "fixture: %s", why);
    return host_code;
}

__attribute__((destructor)) static void free_fixture(void)
{
    pvf_code_free(host_code);
}

static void call(const char *export, const void *in, size_t len, pvf_call_result *r)
{
    const pvf_code *code = fixture();
    if (!code) {
        memset(r, 0, sizeof *r);
        r->outcome = PVF_OUTCOME_ERROR;
        snprintf(r->reason, sizeof r->reason, "no fixture");
        return;
    }
    pvf_runtime_call(code, export, in, len, r);
}

static void hex_into(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t shown = n < (cap - 4) / 2 ? n : (cap - 4) / 2;
    for (size_t i = 0; i < shown; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    snprintf(out + 2 * shown, 4, "%s", shown < n ? "..." : "");
}

/* Call and compare the output with `want`; false (with the reason printed) otherwise. */
static bool expect_output(const char *what, const char *export, const buf *in, const uint8_t *want,
                          size_t want_len)
{
    pvf_call_result r;
    call(export, in->p, in->n, &r);
    bool ok = r.outcome == PVF_OUTCOME_OK && r.output_len == want_len &&
              (want_len == 0 || memcmp(r.output, want, want_len) == 0);
    if (!ok) {
        char got[130], exp[130];
        hex_into(r.output, r.outcome == PVF_OUTCOME_OK ? r.output_len : 0, got, sizeof got);
        hex_into(want, want_len, exp, sizeof exp);
        if (r.outcome != PVF_OUTCOME_OK)
            test_fail(__FILE__, __LINE__, "%s: %s failed (%d): %s", what, export, r.outcome, r.reason);
        else
            test_fail(__FILE__, __LINE__, "%s: %s returned 0x%s, expected 0x%s", what, export, got, exp);
    }
    free(r.output);
    return ok;
}

static bool expect_u32(const char *what, const char *export, const buf *in, uint32_t want)
{
    uint8_t le[4] = { (uint8_t)want, (uint8_t)(want >> 8), (uint8_t)(want >> 16), (uint8_t)(want >> 24) };
    return expect_output(what, export, in, le, 4);
}

/* Call and require a trap (the candidate is invalid) whose reason contains `needle`. */
static bool expect_trap(const char *what, const char *export, const buf *in, const char *needle)
{
    pvf_call_result r;
    call(export, in->p, in->n, &r);
    free(r.output);
    if (r.outcome != PVF_OUTCOME_INVALID || !strstr(r.reason, needle)) {
        test_fail(__FILE__, __LINE__, "%s: %s gave outcome %d \"%s\", expected invalid with \"%s\"", what,
                  export, r.outcome, r.reason, needle);
        return false;
    }
    return true;
}

/* ---- reading the vector files ---- */

/* The hex string `s` (0x optional) as bytes; false (and a failure) when malformed. */
static bool unhex(const char *s, uint8_t **out, size_t *len)
{
    if (!s || !hex_decode(s, out, len)) {
        test_fail(__FILE__, __LINE__, "bad or missing hex string in a vector file");
        *out = NULL;
        *len = 0;
        return false;
    }
    return true;
}

/* A TSV field of `len` hex digits → malloc'd bytes; NULL if malformed. */
static uint8_t *field_bytes(const char *f, size_t len, size_t *n)
{
    *n = len / 2;
    uint8_t *out = malloc(*n ? *n : 1);
    if (!test_unhex(f, len, out, *n)) {
        free(out);
        return NULL;
    }
    return out;
}

/* verify input: selector ‖ signature ‖ public key ‖ message. */
static void verify_input(buf *in, int sel, const uint8_t *sig, size_t sig_len, const uint8_t *pub,
                         size_t pub_len, const uint8_t *msg, size_t msg_len)
{
    in->n = 0;
    put_u8(in, (uint8_t)sel);
    put(in, sig, sig_len);
    put(in, pub, pub_len);
    put(in, msg, msg_len);
}

/* ---- hashing ---- */

static const char *const HASH_NAMES[] = {   /* in the order of the fixture's table */
    "keccak_256", "keccak_512", "sha2_256", "blake2_128",
    "blake2_256", "twox_64",    "twox_128", "twox_256",
};

/* The message of a hash vector (as test_hashing.c reads it): "msg", the pattern, or a corpus prefix. */
static bool hash_message(const json_value *v, const uint8_t *corpus, size_t corpus_len, buf *msg)
{
    uint64_t n = 0;
    json_number_u64(json_get(v, "len"), &n);
    const char *hex = json_get_string(v, "msg");
    const char *name = json_get_string(v, "name");
    msg->n = 0;
    if (hex) {
        uint8_t *bytes;
        size_t len;
        if (!unhex(hex, &bytes, &len) || len != n) {
            free(bytes);
            return false;
        }
        put(msg, bytes, len);
        free(bytes);
    } else if (name && !strcmp(name, "pattern_100000")) {
        for (size_t i = 0; i < n; i++)
            put_u8(msg, (uint8_t)((i * 7 + (i >> 8)) & 0xff));
    } else {
        if (n > corpus_len)
            return false;
        put(msg, corpus, n);
    }
    return true;
}

TEST(host_hashing_all_vectors)
{
    json_value *doc = test_load_json_file("tests/data/hash_vectors.json");
    if (!doc)
        return;
    uint8_t *corpus;
    size_t corpus_len, checked = 0;
    unhex(json_get_string(doc, "corpus"), &corpus, &corpus_len);
    const json_value *vectors = json_get(doc, "vectors");
    CHECK(json_array_len(vectors) >= 300);
    buf msg = { 0 }, in = { 0 };
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        if (!hash_message(v, corpus, corpus_len, &msg)) {
            test_fail(__FILE__, __LINE__, "hash vector %zu: bad message", i);
            continue;
        }
        for (int h = 0; h < 8; h++) {
            in.n = 0;
            put_u8(&in, (uint8_t)h);
            put(&in, msg.p, msg.n);
            uint8_t *want;
            size_t want_len;
            char what[64];
            snprintf(what, sizeof what, "hash vector %zu %s", i, HASH_NAMES[h]);
            if (unhex(json_get_string(v, HASH_NAMES[h]), &want, &want_len))
                checked += expect_output(what, "hash", &in, want, want_len);
            free(want);
        }
    }
    CHECK_EQ_U64(checked, json_array_len(vectors) * 8);
    printf("  %zu digests through ext_hashing_*\n", checked);
    buf_free(&msg);
    buf_free(&in);
    free(corpus);
    json_free(doc);
}

/* ---- ed25519 ---- */

/* Counts of the TSV row callbacks, reset by each test. */
typedef struct sig_counts {
    int rows, calls, accepted;
} sig_counts;

static sig_counts counts;

static void check_verdict(const char *name, int line_no, int sel, const buf *in, bool want, sig_counts *c)
{
    char what[160];
    snprintf(what, sizeof what, "%s (line %d) selector %d", name, line_no, sel);
    if (expect_u32(what, "verify", in, want))
        c->accepted += want;
    c->calls++;
}

static void ed25519_row(char **f, size_t *l, int n, int line_no)
{
    sig_counts *c = &counts;
    if (n != 7) {
        test_fail(__FILE__, __LINE__, "ed25519_vectors.tsv line %d: %d fields", line_no, n);
        return;
    }
    size_t pub_len, msg_len, sig_len;
    uint8_t *pub = field_bytes(f[1], l[1], &pub_len);
    uint8_t *msg = field_bytes(f[2], l[2], &msg_len);
    uint8_t *sig = field_bytes(f[3], l[3], &sig_len);
    if (!pub || !msg || !sig || pub_len != 32 || sig_len != 64 || l[4] != 1) {
        test_fail(__FILE__, __LINE__, "ed25519_vectors.tsv line %d malformed", line_no);
    } else {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)l[0], f[0]);
        buf in = { 0 };
        bool want = f[4][0] == '1';
        /* ed25519_verify, and the legacy batch_verify outside a batch: the same verdict. */
        verify_input(&in, V_ED25519, sig, 64, pub, 32, msg, msg_len);
        check_verdict(name, line_no, V_ED25519, &in, want, c);
        in.p[0] = V_ED25519_BATCH;
        check_verdict(name, line_no, V_ED25519_BATCH, &in, want, c);
        buf_free(&in);
        c->rows++;
    }
    free(pub);
    free(msg);
    free(sig);
}

static void zip215_row(char **f, size_t *l, int n, int line_no)
{
    sig_counts *c = &counts;
    size_t pub_len, sig_len;
    uint8_t *pub = field_bytes(f[0], l[0], &pub_len);
    uint8_t *sig = n == 2 ? field_bytes(f[1], l[1], &sig_len) : NULL;
    if (!pub || !sig || pub_len != 32 || sig_len != 64) {
        test_fail(__FILE__, __LINE__, "ed25519_zip215.tsv line %d malformed", line_no);
    } else {
        buf in = { 0 };
        verify_input(&in, V_ED25519, sig, 64, pub, 32, (const uint8_t *)"Zcash", 5);
        check_verdict("zip215", line_no, V_ED25519, &in, true, c);
        buf_free(&in);
        c->rows++;
    }
    free(pub);
    free(sig);
}

TEST(host_ed25519_verify_all_vectors)
{
    counts = (sig_counts){ 0 };
    int rows = test_for_each_tsv_row("tests/data/ed25519_vectors.tsv", ed25519_row);
    sig_counts c = counts;
    CHECK(rows >= 140);
    CHECK_EQ_U64(c.rows, rows);
    CHECK(c.accepted >= 80 && c.calls - c.accepted >= 80);     /* both verdicts, twice each */
    counts = (sig_counts){ 0 };
    rows = test_for_each_tsv_row("tests/data/ed25519_zip215.tsv", zip215_row);
    sig_counts z = counts;
    CHECK_EQ_U64(rows, 196);
    CHECK_EQ_U64(z.accepted, 196);
    printf("  %d ed25519 calls (%d accepted), %d ZIP 215 small-order cases accepted\n", c.calls, c.accepted,
           z.accepted);
}

/* ---- sr25519 ---- */

static void sr25519_row(char **f, size_t *l, int n, int line_no)
{
    sig_counts *c = &counts;
    if (n != 8) {
        test_fail(__FILE__, __LINE__, "sr25519_vectors.tsv line %d: %d fields", line_no, n);
        return;
    }
    size_t pub_len, msg_len, sig_len;
    uint8_t *pub = field_bytes(f[1], l[1], &pub_len);
    uint8_t *msg = field_bytes(f[2], l[2], &msg_len);
    uint8_t *sig = field_bytes(f[3], l[3], &sig_len);
    if (!pub || !msg || !sig || pub_len != 32 || sig_len != 64 || l[4] != 1 || l[5] != 1) {
        test_fail(__FILE__, __LINE__, "sr25519_vectors.tsv line %d malformed", line_no);
    } else {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)l[0], f[0]);
        bool want_v2 = f[4][0] == '1', want_v1 = f[5][0] == '1';
        buf in = { 0 };
        verify_input(&in, V_SR25519_V2, sig, 64, pub, 32, msg, msg_len);
        check_verdict(name, line_no, V_SR25519_V2, &in, want_v2, c);
        in.p[0] = V_SR25519_V1;
        check_verdict(name, line_no, V_SR25519_V1, &in, want_v1, c);
        /* sp-io's sr25519_batch_verify calls sr25519_verify, i.e. version 2. */
        in.p[0] = V_SR25519_BATCH;
        check_verdict(name, line_no, V_SR25519_BATCH, &in, want_v2, c);
        buf_free(&in);
        c->rows++;
    }
    free(pub);
    free(msg);
    free(sig);
}

TEST(host_sr25519_verify_all_vectors)
{
    counts = (sig_counts){ 0 };
    int rows = test_for_each_tsv_row("tests/data/sr25519_vectors.tsv", sr25519_row);
    sig_counts c = counts;
    CHECK(rows >= 130);
    CHECK_EQ_U64(c.rows, rows);
    CHECK(c.accepted >= 40 && c.calls - c.accepted >= 120);    /* v2 and batch: ≥ 20 / ≥ 60 each */
    printf("  %d sr25519 calls, %d accepted\n", c.calls, c.accepted);
}

/* ---- secp256k1 / ECDSA ---- */

static uint8_t *member(const json_value *v, const char *key, size_t *len)
{
    uint8_t *out;
    unhex(json_get_string(v, key), &out, len);
    return out;
}

TEST(host_ecdsa_verify_all_vectors)
{
    json_value *doc = test_load_json_file("tests/data/ecdsa_vectors.json");
    if (!doc)
        return;
    const json_value *vectors = json_get(doc, "verify");
    sig_counts c = { 0 };
    int skipped = 0;
    buf in = { 0 };
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        const char *name = json_get_string(v, "name");
        size_t sig_len, msg_len, pub_len;
        uint8_t *sig = member(v, "sig", &sig_len), *msg = member(v, "msg", &msg_len);
        uint8_t *pub = member(v, "pub", &pub_len);
        /* Signature and key are fixed-size arrays passed by pointer: a vector of another
         * length cannot be expressed through the host-function ABI. */
        if (sig && msg && pub && sig_len == 65 && pub_len == 33) {
            bool v1 = json_bool(json_get(v, "v1")), v2 = json_bool(json_get(v, "v2"));
            verify_input(&in, V_ECDSA_V1, sig, 65, pub, 33, msg, msg_len);
            check_verdict(name, (int)i, V_ECDSA_V1, &in, v1, &c);
            in.p[0] = V_ECDSA_V2;
            check_verdict(name, (int)i, V_ECDSA_V2, &in, v2, &c);
            in.p[0] = V_ECDSA_BATCH;        /* sp-io: ecdsa_batch_verify = ecdsa_verify (v2) */
            check_verdict(name, (int)i, V_ECDSA_BATCH, &in, v2, &c);
            c.rows++;
        } else {
            skipped++;
        }
        free(sig);
        free(msg);
        free(pub);
    }
    CHECK(c.rows >= 35);
    CHECK(c.accepted > 0 && c.calls > c.accepted);
    printf("  %d ecdsa verify calls (%d accepted); %d vectors of other sizes not expressible\n", c.calls,
           c.accepted, skipped);

    vectors = json_get(doc, "verify_prehashed");
    int prehashed = 0;
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        size_t sig_len, hash_len, pub_len;
        uint8_t *sig = member(v, "sig", &sig_len), *hash = member(v, "msg_hash", &hash_len);
        uint8_t *pub = member(v, "pub", &pub_len);
        if (sig && hash && pub && sig_len == 65 && hash_len == 32 && pub_len == 33) {
            in.n = 0;
            put(&in, sig, 65);
            put(&in, hash, 32);
            put(&in, pub, 33);
            prehashed += expect_u32(json_get_string(v, "name"), "verify_prehashed", &in,
                                    json_bool(json_get(v, "ok")));
        }
        free(sig);
        free(hash);
        free(pub);
    }
    CHECK(prehashed >= 20);
    buf_free(&in);
    json_free(doc);
}

/* Result<[u8; N], EcdsaVerifyError>: 0x00 ‖ key, or 0x01 ‖ variant (BadRS, BadV, BadSignature). */
static bool expected_recovery(const json_value *e, buf *want)
{
    static const char *const errors[] = { "BadRS", "BadV", "BadSignature" };
    const char *ok = json_get_string(e, "ok"), *err = json_get_string(e, "err");
    want->n = 0;
    if (ok) {
        uint8_t *key;
        size_t len;
        if (!unhex(ok, &key, &len))
            return false;
        put_u8(want, 0);
        put(want, key, len);
        free(key);
        return true;
    }
    for (uint8_t k = 0; err && k < 3; k++)
        if (!strcmp(err, errors[k])) {
            put_u8(want, 1);
            put_u8(want, k);
            return true;
        }
    test_fail(__FILE__, __LINE__, "recovery expectation neither ok nor a known error");
    return false;
}

TEST(host_secp256k1_recover_all_vectors)
{
    static const char *const FIELDS[] = { "v1", "v2", "v1_compressed", "v2_compressed" };
    json_value *doc = test_load_json_file("tests/data/ecdsa_vectors.json");
    if (!doc)
        return;
    const json_value *vectors = json_get(doc, "recover");
    CHECK(json_array_len(vectors) >= 50);
    buf in = { 0 }, want = { 0 };
    int checked = 0, errors = 0;
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        size_t sig_len, hash_len;
        uint8_t *sig = member(v, "sig", &sig_len), *hash = member(v, "msg_hash", &hash_len);
        for (int sel = 0; sel < 4 && sig && hash && sig_len == 65 && hash_len == 32; sel++) {
            if (!expected_recovery(json_get(v, FIELDS[sel]), &want))
                continue;
            in.n = 0;
            put_u8(&in, (uint8_t)sel);
            put(&in, sig, 65);
            put(&in, hash, 32);
            char what[160];
            snprintf(what, sizeof what, "%s %s", json_get_string(v, "name"), FIELDS[sel]);
            checked += expect_output(what, "recover", &in, want.p, want.n);
            errors += want.p[0] == 1;
        }
        free(sig);
        free(hash);
    }
    CHECK_EQ_U64(checked, json_array_len(vectors) * 4);
    CHECK(errors > 0 && checked - errors > 0);
    printf("  %d recoveries (%d errors) through ext_crypto_secp256k1_ecdsa_recover*\n", checked, errors);
    buf_free(&in);
    buf_free(&want);
    json_free(doc);
}

/* ---- legacy batch verification ---- */

/* RFC 8032 §7.1 TEST 1: empty message. */
static const char *T1_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *T1_SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* 'V' command of the batch script: u16 length, then a verify input. */
static void put_verify_command(buf *script, int sel, const uint8_t *sig, const uint8_t *pub)
{
    buf v = { 0 };
    verify_input(&v, sel, sig, 64, pub, 32, NULL, 0);
    put_u8(script, 'V');
    put_u8(script, (uint8_t)v.n);
    put_u8(script, (uint8_t)(v.n >> 8));
    put(script, v.p, v.n);
    buf_free(&v);
}

static void script(buf *s, const char *commands, int sel, const uint8_t *sig, const uint8_t *pub,
                   const uint8_t *bad_sig)
{
    s->n = 0;
    for (const char *c = commands; *c; c++) {
        if (*c == 'g')
            put_verify_command(s, sel, sig, pub);
        else if (*c == 'b')
            put_verify_command(s, sel, bad_sig, pub);
        else if (*c == 'p')            /* plain ed25519_verify: not part of any batch */
            put_verify_command(s, V_ED25519, bad_sig, pub);
        else
            put_u8(s, (uint8_t)*c);
    }
}

TEST(host_legacy_batch_verify)
{
    uint8_t *pub, *sig;
    size_t pub_len, sig_len;
    if (!unhex(T1_PUB, &pub, &pub_len) || !unhex(T1_SIG, &sig, &sig_len))
        return;
    uint8_t bad[64];
    memcpy(bad, sig, 64);
    bad[10] ^= 0x04;            /* any flipped bit breaks it (test_ed25519.c) */
    buf s = { 0 };
    static const struct {
        const char *commands;   /* S start, F finish, g good / b bad batch_verify, p plain verify (bad) */
        const char *out;        /* expected result bytes, as digits */
    } ok_cases[] = {
        { "g", "1" },
        { "b", "0" },           /* outside a batch: just the verdict */
        { "SgF", "11" },
        { "SbgF", "010" },      /* one bad signature fails the batch */
        { "SgbgF", "1010" },
        { "SpF", "01" },        /* ed25519_verify does not touch the batch */
        { "SbFSgF", "0011" },   /* finish ends the batch; a new one starts clean */
        { "SF", "1" },
    };
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        script(&s, ok_cases[i].commands, V_ED25519_BATCH, sig, pub, bad);
        uint8_t want[16];
        size_t n = strlen(ok_cases[i].out);
        for (size_t k = 0; k < n; k++)
            want[k] = (uint8_t)(ok_cases[i].out[k] - '0');
        expect_output(ok_cases[i].commands, "batch", &s, want, n);
    }
    /* sp-io: finish expects the extension start registered; start registers it once. */
    script(&s, "F", V_ED25519_BATCH, sig, pub, bad);
    expect_trap("finish without start", "batch", &s,
                "`finish_batch_verify` should only be called after `start_batch_verify`");
    script(&s, "SgFF", V_ED25519_BATCH, sig, pub, bad);
    expect_trap("finish twice", "batch", &s, "should only be called after `start_batch_verify`");
    script(&s, "SS", V_ED25519_BATCH, sig, pub, bad);
    expect_trap("start twice", "batch", &s, "Failed to register required extension");
    buf_free(&s);
    free(pub);
    free(sig);
}

/* ---- trie ---- */

/* trie_root / verify_proof input head: selector ‖ version (u32 LE). */
static void root_head(buf *in, int sel, uint32_t version)
{
    in->n = 0;
    put_u8(in, (uint8_t)sel);
    put_u32(in, version);
}

/* Vec<(Vec<u8>, Vec<u8>)> of a root vector's entries. */
static bool encode_entries(const json_value *entries, buf *out)
{
    out->n = 0;
    put_compact(out, (uint32_t)json_array_len(entries));
    for (size_t j = 0; j < json_array_len(entries); j++) {
        const json_value *kv = json_array_at(entries, j);
        for (size_t k = 0; k < 2; k++) {
            uint8_t *bytes;
            size_t len;
            if (!unhex(json_string(json_array_at(kv, k), NULL), &bytes, &len))
                return false;
            put_byte_vec(out, bytes, len);
            free(bytes);
        }
    }
    return true;
}

/* Vec<Vec<u8>> of hex strings. */
static bool encode_byte_vecs(const json_value *items, buf *out)
{
    out->n = 0;
    put_compact(out, (uint32_t)json_array_len(items));
    for (size_t j = 0; j < json_array_len(items); j++) {
        uint8_t *bytes;
        size_t len;
        if (!unhex(json_string(json_array_at(items, j), NULL), &bytes, &len))
            return false;
        put_byte_vec(out, bytes, len);
        free(bytes);
    }
    return true;
}

/* One root call: selector + version over `arg`, compared with the vector's field. */
static int check_root(const json_value *c, const buf *arg, int sel, uint32_t version, const char *field)
{
    buf in = { 0 };
    root_head(&in, sel, version);
    put(&in, arg->p, arg->n);
    uint8_t *want;
    size_t want_len;
    int ok = 0;
    if (unhex(json_get_string(c, field), &want, &want_len)) {
        char what[160];
        snprintf(what, sizeof what, "\"%s\" selector %d version %u (%s)", json_get_string(c, "name"), sel,
                 version, field);
        ok = expect_output(what, "trie_root", &in, want, want_len);
    }
    free(want);
    buf_free(&in);
    return ok;
}

/* Version 1 is LayoutV0; version 2 takes state_version 0 (V0) or 1 (V1). */
static int check_all_root_versions(const json_value *c, const buf *arg, int v1_blake2, int v1_keccak)
{
    int v2_blake2 = v1_blake2 + 4, v2_keccak = v1_keccak + 4;
    return check_root(c, arg, v1_blake2, 0, "blake2_v0") + check_root(c, arg, v2_blake2, 0, "blake2_v0") +
           check_root(c, arg, v2_blake2, 1, "blake2_v1") + check_root(c, arg, v1_keccak, 0, "keccak_v0") +
           check_root(c, arg, v2_keccak, 0, "keccak_v0") + check_root(c, arg, v2_keccak, 1, "keccak_v1");
}

TEST(host_trie_roots_all_vectors)
{
    json_value *doc = test_load_json_file("tests/data/trie_vectors.json");
    if (!doc)
        return;
    const json_value *roots = json_get(doc, "roots"), *ordered = json_get(doc, "ordered_roots");
    buf arg = { 0 };
    int checked = 0;
    for (size_t i = 0; i < json_array_len(roots); i++) {
        const json_value *c = json_array_at(roots, i);
        if (encode_entries(json_get(c, "entries"), &arg))
            checked += check_all_root_versions(c, &arg, R_BLAKE2_V1, R_KECCAK_V1);
    }
    CHECK_EQ_U64(checked, json_array_len(roots) * 6);
    int ordered_checked = 0;
    for (size_t i = 0; i < json_array_len(ordered); i++) {
        const json_value *c = json_array_at(ordered, i);
        if (encode_byte_vecs(json_get(c, "values"), &arg))
            ordered_checked += check_all_root_versions(c, &arg, R_BLAKE2_ORDERED_V1, R_KECCAK_ORDERED_V1);
    }
    CHECK_EQ_U64(ordered_checked, json_array_len(ordered) * 6);
    CHECK(checked >= 60 * 6 && ordered_checked >= 18 * 6);
    printf("  %d roots and %d ordered roots through ext_trie_*\n", checked, ordered_checked);
    buf_free(&arg);
    json_free(doc);
}

/* verify_proof input: sel ‖ version ‖ root ‖ klen ‖ key ‖ vlen ‖ value ‖ SCALE proof. */
static bool proof_input(const json_value *c, int sel, uint32_t version, buf *in)
{
    uint8_t *root, *key, *value;
    size_t root_len, key_len, value_len;
    buf nodes = { 0 };
    /* Every member decoded (each sets its pointer, NULL on failure) before any is checked. */
    bool root_ok = unhex(json_get_string(c, "root"), &root, &root_len);
    bool key_ok = unhex(json_get_string(c, "key"), &key, &key_len);
    bool value_ok = unhex(json_get_string(c, "value"), &value, &value_len);
    bool ok = root_ok && key_ok && value_ok && encode_byte_vecs(json_get(c, "proof"), &nodes) && root_len == 32;
    if (ok) {
        root_head(in, sel, version);
        put(in, root, 32);
        put_u32(in, (uint32_t)key_len);
        put(in, key, key_len);
        put_u32(in, (uint32_t)value_len);
        put(in, value, value_len);
        put(in, nodes.p, nodes.n);
    }
    free(root);
    free(key);
    free(value);
    buf_free(&nodes);
    return ok;
}

TEST(host_trie_verify_proof_all_vectors)
{
    json_value *doc = test_load_json_file("tests/data/trie_vectors.json");
    if (!doc)
        return;
    const json_value *proofs = json_get(doc, "proofs");
    CHECK(json_array_len(proofs) >= 900);
    buf in = { 0 };
    int calls = 0, passed = 0, valid = 0;
    for (size_t i = 0; i < json_array_len(proofs); i++) {
        const json_value *c = json_array_at(proofs, i);
        const char *hasher = json_get_string(c, "hasher");
        uint64_t layout = 0;
        json_number_u64(json_get(c, "layout"), &layout);
        int keccak = hasher && !strcmp(hasher, "keccak");
        bool want = json_bool(json_get(c, "expect"));
        char what[200];
        snprintf(what, sizeof what, "proof #%zu \"%s\" (%s, layout V%d)", i, json_get_string(c, "name"),
                 keccak ? "keccak" : "blake2", (int)layout);
        /* LayoutV0: version 1, and version 2 with state_version 0; LayoutV1: version 2 with 1. */
        if (layout == 0 && proof_input(c, keccak, 0, &in)) {
            passed += expect_u32(what, "verify_proof", &in, want);
            calls++;
        }
        if (proof_input(c, 2 + keccak, (uint32_t)layout, &in)) {
            passed += expect_u32(what, "verify_proof", &in, want);
            calls++;
        }
        valid += want;
    }
    CHECK_EQ_U64(passed, calls);
    CHECK(calls >= 1300 && valid >= 200);
    printf("  %d proof verifications (%d valid vectors) through ext_trie_*_verify_proof\n", calls, valid);
    buf_free(&in);
    json_free(doc);
}

/*
 * The state version of ext_trie_*_version_2 is PassAs<StateVersion, u8> (PassByEnum in
 * older sp-io): the host takes the low byte of the i32 (`arg as u8`) and only then
 * StateVersion::try_from — 0 ⇒ V0, 1 ⇒ V1, anything else fails to convert and the host
 * function panics. So 256 is V0 and 257 is V1, but 2 traps.
 */
TEST(host_trie_state_version_is_read_as_u8)
{
    json_value *doc = test_load_json_file("tests/data/trie_vectors.json");
    if (!doc)
        return;
    const json_value *roots = json_get(doc, "roots"), *c = NULL;
    for (size_t i = 0; i < json_array_len(roots) && !c; i++) {
        const char *v0 = json_get_string(json_array_at(roots, i), "blake2_v0");
        const char *v1 = json_get_string(json_array_at(roots, i), "blake2_v1");
        if (v0 && v1 && strcmp(v0, v1))     /* a trie where the layouts differ */
            c = json_array_at(roots, i);
    }
    CHECK(c != NULL);
    buf arg = { 0 }, in = { 0 };
    if (c && encode_entries(json_get(c, "entries"), &arg)) {
        check_root(c, &arg, R_BLAKE2_V2, 0x100, "blake2_v0");
        check_root(c, &arg, R_BLAKE2_V2, 0x101, "blake2_v1");
        check_root(c, &arg, R_KECCAK_V2, 0xffffff01, "keccak_v1");
        static const uint32_t bad_versions[] = { 2, 0xff, 0x102 };
        for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
            root_head(&in, R_BLAKE2_V2, bad_versions[i]);
            put(&in, arg.p, arg.n);
            char what[64];
            snprintf(what, sizeof what, "state version 0x%x", bad_versions[i]);
            expect_trap(what, "trie_root", &in, "trap");
        }
    }
    buf_free(&arg);
    buf_free(&in);
    json_free(doc);
}

TEST(host_trie_undecodable_argument_traps)
{
    buf in = { 0 };
    /* A vector of 3 entries with the bytes of one: Vec decoding runs out of input. */
    static const uint8_t short_vec[] = { 3 << 2, 1 << 2, 'k', 1 << 2, 'v' };
    for (int sel = 0; sel < 8; sel++) {
        root_head(&in, sel, 0);
        put(&in, short_vec, sizeof short_vec);
        expect_trap("short vector", "trie_root", &in, "trap");
    }
    /* Trailing bytes after the vector are not an error: sp-runtime-interface uses decode,
     * not decode_all. The empty trie's root (trie_vectors.json "empty"). */
    static const uint8_t empty_root[32] = {
        0x03, 0x17, 0x0a, 0x2e, 0x75, 0x97, 0xb7, 0xb7, 0xe3, 0xd8, 0x4c, 0x05, 0x39, 0x1d, 0x13, 0x9a,
        0x62, 0xb1, 0x57, 0xe7, 0x87, 0x86, 0xd8, 0xc0, 0x82, 0xf2, 0x9d, 0xcf, 0x4c, 0x11, 0x13, 0x14,
    };
    root_head(&in, R_BLAKE2_V1, 0);
    put_u8(&in, 0);
    put_u8(&in, 0xee);
    expect_output("empty vector + trailing byte", "trie_root", &in, empty_root, 32);
    buf_free(&in);
}

/* ---- allocator ---- */

static void put_op(buf *in, uint32_t op, uint32_t arg)
{
    put_u32(in, op);
    put_u32(in, arg);
}

static void expect_u32s(const char *what, const buf *in, const uint32_t *want, size_t n)
{
    buf w = { 0 };
    for (size_t i = 0; i < n; i++)
        put_u32(&w, want[i]);
    expect_output(what, "alloc", in, w.p, w.n);
    buf_free(&w);
}

/*
 * __heap_base is 65536 (8-aligned), the memory 2 pages. A block is an 8-byte header and
 * 8 << order bytes, order = log2(next_pow2(max(size, 8))) - 3; the first allocation is the
 * input, its payload at heap_base + 8. Growth: max(min(2 × pages, max), ceil(needed / 64 KiB)).
 */
TEST(host_allocator_addresses_follow_the_freeing_bump_rules)
{
    buf in = { 0 };
    put_op(&in, A_INPUT, 0);            /* #0  input: 15 ops = 120 bytes, order 4 (128):
                                                   header 65536, payload 65544, bumper 65672 */
    put_op(&in, A_MALLOC, 1);           /* #1  order 0: header 65672, payload 65680 (→ 65688) */
    put_op(&in, A_MALLOC, 8);           /* #2  order 0: 65696 (→ 65704) */
    put_op(&in, A_MALLOC, 9);           /* #3  order 1 (16): 65712 (→ 65728) */
    put_op(&in, A_FREE_RESULT, 1);      /* #4  65680 to the order-0 free list */
    put_op(&in, A_MALLOC, 3);           /* #5  order 0, from the free list: 65680 */
    put_op(&in, A_MALLOC, 0);           /* #6  size 0 is order 0; the list is empty: 65736 (→ 65744) */
    put_op(&in, A_PAGES, 0);            /* #7  2 */
    put_op(&in, A_MALLOC, 100000);      /* #8  order 14 (131072): 65752; needs 65744 + 131080 =
                                                   196824 bytes: 4 pages (2 × 2, and ceil = 4) */
    put_op(&in, A_PAGES, 0);            /* #9  4 */
    put_op(&in, A_MALLOC, 16);          /* #10 order 1, its list empty: 196832 (→ 196848) */
    put_op(&in, A_FREE_RESULT, 2);      /* #11 65696 freed, then ... */
    put_op(&in, A_FREE_RESULT, 5);      /* #12 65680: the head of the order-0 list */
    put_op(&in, A_MALLOC, 8);           /* #13 LIFO: 65680 first */
    put_op(&in, A_MALLOC, 5);           /* #14 then 65696 */
    static const uint32_t want[] = { 65544, 65680, 65696, 65712, 0,     65680, 65736, 2,
                                     65752, 4,     196832, 0,    0,     65680, 65696 };
    expect_u32s("allocation sequence", &in, want, sizeof want / sizeof want[0]);

    /* The largest allocation, 32 MiB (order 22), after a 16-byte input (order 1, bumper
     * 65560): payload 65568, needs 65560 + 8 + 2^25 = 33620000 bytes = 514 pages. */
    in.n = 0;
    put_op(&in, A_MALLOC, 32u << 20);
    put_op(&in, A_PAGES, 0);
    static const uint32_t want_big[] = { 65568, 514 };
    expect_u32s("32 MiB allocation", &in, want_big, 2);
    buf_free(&in);
}

TEST(host_allocator_failures_trap)
{
    buf in = { 0 };
    put_op(&in, A_MALLOC, (32u << 20) + 1);
    expect_trap("malloc over 32 MiB", "alloc", &in, "Failed to allocate memory");
    expect_trap("malloc over 32 MiB", "alloc", &in, "Requested allocation size is too large");
    in.n = 0;
    put_op(&in, A_MALLOC, 8);
    put_op(&in, A_FREE_RESULT, 0);
    put_op(&in, A_FREE_RESULT, 0);
    expect_trap("double free", "alloc", &in, "the allocation points to an empty header");
    in.n = 0;
    put_op(&in, A_FREE_RAW, 4);
    expect_trap("free(4)", "alloc", &in, "Invalid pointer for deallocation");
    in.n = 0;
    put_op(&in, A_FREE_RAW, 65544);     /* the input itself: a real block, freeing it is fine */
    put_op(&in, A_MALLOC, 16);          /* and the same order gets it back */
    static const uint32_t want[] = { 0, 65544 };
    expect_u32s("free the input", &in, want, 2);
    buf_free(&in);
}

/* ---- misc: runtime_version ---- */

#define CORE_ID 0xdf, 0x6a, 0xcb, 0x68, 0x99, 0x07, 0x60, 0x9b   /* blake2b-64("Core") */

/* A RuntimeVersion listing Core 4: spec "ab", impl "x", versions 1, 0x0102, 3, apis
 * [(Core, 4)], transaction_version 9, system_version 1 — already in the current layout,
 * so the host re-encodes it byte for byte (test_runtime_version.c). */
static const uint8_t VERSION_CORE4[] = {
    0x08, 'a', 'b', 0x04, 'x', 0x01, 0, 0, 0, 0x02, 0x01, 0, 0, 0x03, 0, 0, 0,
    0x04, CORE_ID, 4, 0, 0, 0, 0x09, 0, 0, 0, 0x01,
};

/* A wasm module holding only custom section `name` (if any). */
static void module_with_section(buf *m, const char *name, const uint8_t *payload, size_t len)
{
    static const uint8_t header[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
    m->n = 0;
    put(m, header, sizeof header);
    if (!name)
        return;
    size_t nlen = strlen(name);
    put_u8(m, 0);
    put_u8(m, (uint8_t)(1 + nlen + len));       /* LEB128, < 128 here */
    put_u8(m, (uint8_t)nlen);
    put(m, name, nlen);
    put(m, payload, len);
}

static void expect_version_option(const char *what, const buf *blob, const uint8_t *version, size_t len)
{
    buf want = { 0 };
    if (version) {
        put_u8(&want, 1);       /* Some */
        put_byte_vec(&want, version, len);
    } else {
        put_u8(&want, 0);       /* None */
    }
    expect_output(what, "runtime_version", blob, want.p, want.n);
    buf_free(&want);
}

TEST(host_runtime_version_hand_built_blobs)
{
    buf m = { 0 };
    module_with_section(&m, "runtime_version", VERSION_CORE4, sizeof VERSION_CORE4);
    expect_version_option("module with runtime_version", &m, VERSION_CORE4, sizeof VERSION_CORE4);

    /* The same module as a compressed blob: magic 52 BC 53 76 46 DB 8E 05 + zstd frame. */
    static const uint8_t magic[8] = { 0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05 };
    buf z = { 0 };
    put(&z, magic, 8);
    size_t cap = ZSTD_compressBound(m.n);
    size_t zn = ZSTD_compress(reserve(&z, cap), cap, m.p, m.n, 3);
    CHECK(!ZSTD_isError(zn));
    z.n += zn;
    expect_version_option("compressed module", &z, VERSION_CORE4, sizeof VERSION_CORE4);

    module_with_section(&m, NULL, NULL, 0);
    expect_version_option("module without the section", &m, NULL, 0);
    module_with_section(&m, "runtime_versio", VERSION_CORE4, sizeof VERSION_CORE4);
    expect_version_option("section of another name", &m, NULL, 0);
    buf junk = { 0 };
    put(&junk, "not wasm", 8);
    expect_version_option("not a wasm module", &junk, NULL, 0);
    junk.n = 0;
    expect_version_option("empty blob", &junk, NULL, 0);
    buf_free(&m);
    buf_free(&z);
    buf_free(&junk);
}

/* Every shared runtime given to the host function as a blob: smoldot's reading of its
 * version (runtime_calls/expected.json), or None where there is no section. */
TEST(host_runtime_version_of_the_shared_runtimes)
{
    json_value *doc = test_load_json_file("tests/data/runtime_calls/expected.json");
    if (!doc)
        return;
    const json_value *rts = json_get(doc, "runtimes");
    int checked = 0, some = 0;
    for (size_t i = 0; i < json_array_len(rts); i++) {
        const json_value *rt = json_array_at(rts, i);
        char rel[512];
        snprintf(rel, sizeof rel, "pvf/%s", json_get_string(rt, "file"));
        const char *path = test_data_path(rel);
        if (!path)
            continue;
        const json_value *read = json_get(rt, "runtime_version_read");
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        if (json_bool(json_get(read, "ok")) && !unhex(json_get_string(read, "encoding"), &enc, &enc_len))
            continue;
        buf blob = { 0 };
        blob.p = test_read_file(path, &blob.n);
        if (!blob.p)
            test_fail(__FILE__, __LINE__, "cannot read %s", path);
        else
            expect_version_option(json_get_string(rt, "file"), &blob, enc, enc_len);
        some += enc != NULL;
        checked++;
        free(enc);
        buf_free(&blob);
    }
    if (checked)
        CHECK(some > 0 && some < checked);
    printf("  %d runtimes, %d with a version\n", checked, some);
    json_free(doc);
}

/* ---- logging and printing ---- */

static void log_input(buf *in, uint32_t level, const char *target, size_t tlen, const char *msg, size_t mlen)
{
    in->n = 0;
    put_u32(in, level);
    put_u32(in, (uint32_t)tlen);
    put(in, target, tlen);
    put(in, msg, mlen);
}

TEST(host_logging_and_printing_never_change_results)
{
    buf in = { 0 };
    /* max_level is always LevelFilter::Off (0), whatever the host (upstream custom_host_functions.rs). */
    expect_u32("max_level", "max_level", &in, 0);
    /* Levels on the wire are RuntimeInterfaceLogLevel: 0 error … 4 trace. */
    for (uint32_t level = 0; level <= 4; level++) {
        log_input(&in, level, "runtime", 7, "hello", 5);
        expect_output("log", "log", &in, NULL, 0);
    }
    /* The message is only shown when it is UTF-8; otherwise ignored, never an error. */
    log_input(&in, 2, "runtime", 7, "\xff\xfe", 2);
    expect_output("log with a non-UTF-8 message", "log", &in, NULL, 0);
    /* print_num / print_utf8 / print_hex: any bytes, and the output is the input. */
    static const uint8_t bytes[] = { 'o', 'k', 0xff, 0x00, 0xc3 };
    in.n = 0;
    put(&in, bytes, sizeof bytes);
    expect_output("print", "print", &in, bytes, sizeof bytes);
    in.n = 0;
    expect_output("print nothing", "print", &in, NULL, 0);
    buf_free(&in);
}

/* The runtime's log (pvf_call_result.log): whole lines while they fit, printable ASCII or hex,
 * then a count of the lines that did not; never more than PVF_RUNTIME_LOG_MAX with its NUL. */
TEST(host_runtime_log_keeps_whole_lines_and_counts_the_rest)
{
    static hostfn_env env;
    static char out[PVF_RUNTIME_LOG_MAX];
    memset(&env, 0, sizeof env);
    hostfn_log_line(&env, "PRINT: ", (const uint8_t *)"a\x01\xff", 3, false);
    hostfn_log_line(&env, "PRINT: 0x", (const uint8_t *)"\x00\xab", 2, true);
    hostfn_log_text(&env, out);
    CHECK(!strcmp(out, "PRINT: a??\nPRINT: 0x00ab\n"));
    uint8_t line[100];
    memset(line, 'x', sizeof line);
    for (int i = 0; i < 50; i++)
        hostfn_log_line(&env, "INFO t: ", line, sizeof line, false);
    hostfn_log_text(&env, out);
    /* 25 bytes so far, 109 a line: 36 fit below 4096 - 48 (the count's room), with the NUL */
    size_t lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    CHECK_EQ_U64(lines, 2 + 36 + 1);
    CHECK_STR_CONTAINS(out, "\n(14 more lines did not fit)\n");
    CHECK(strlen(out) < PVF_RUNTIME_LOG_MAX);
    static uint8_t huge[1 << 16];
    hostfn_log_line(&env, "PRINT: ", huge, sizeof huge, false);     /* larger than the log: counted */
    CHECK_EQ_U64(env.log_dropped, 15);
}

/*
 * ext_logging_log_version_1(level: PassAs<RuntimeInterfaceLogLevel, u8> (PassByEnum
 * LogLevel in older sp-io, by variant index), target: &str, message: &[u8]): the level's
 * low byte must be 0..4, and the target must be UTF-8, or argument decoding fails and
 * the host function panics — a trap, so an invalid candidate.
 */
TEST(host_logging_log_decodes_level_and_target_as_sp_io)
{
    buf in = { 0 };
    log_input(&in, 0x103, "runtime", 7, "hi", 2);       /* low byte 3: Debug */
    expect_output("level 0x103", "log", &in, NULL, 0);
    log_input(&in, 5, "runtime", 7, "hi", 2);
    expect_trap("level 5", "log", &in, "trap");
    log_input(&in, 0xff, "runtime", 7, "hi", 2);
    expect_trap("level 255", "log", &in, "trap");
    log_input(&in, 1, "\xc0\xaf", 2, "hi", 2);
    expect_trap("non-UTF-8 target", "log", &in, "trap");
    buf_free(&in);
}

/* ---- what a PVF may not do ---- */

TEST(host_keystore_functions_trap)
{
    static const char *const names[] = { "ed25519_generate", "sr25519_public_keys", "ecdsa_sign",
                                         "ecdsa_sign_prehashed" };
    buf in = { 0 };
    for (int sel = 0; sel < 4; sel++) {
        in.n = 0;
        put_u8(&in, (uint8_t)sel);
        put(&in, "test", 4);                /* key type */
        put_u8(&in, 0);                     /* seed: None */
        for (int i = 0; i < 64; i++)        /* public key / message bytes */
            put_u8(&in, (uint8_t)i);
        expect_trap(names[sel], "keystore", &in, "No `keystore` associated for the current context!");
    }
    buf_free(&in);
}

TEST(host_missing_function_traps_only_when_called)
{
    /* The fixture imports ext_storage_get_version_1, which the PVF set lacks; every other
     * test here instantiates it, so linking and instantiation succeed. */
    buf in = { 0 };
    put(&in, ":code", 5);
    expect_trap("storage_get", "missing", &in, "call to a missing function env:ext_storage_get_version_1");
    buf_free(&in);
}

/* ---- arguments out of bounds ---- */

static void oob_input(buf *in, int sel, uint32_t a, uint32_t b)
{
    in->n = 0;
    put_u8(in, (uint8_t)sel);
    put_u32(in, a);
    put_u32(in, b);
}

TEST(host_out_of_bounds_arguments_trap)
{
    buf in = { 0 };
    /* In bounds up to the last byte: blake2b-256 of the (zero) end of memory. */
    uint8_t zeros[32] = { 0 }, digest[32];
    crypto_generichash(digest, 32, zeros, 32, NULL, 0);
    oob_input(&in, 0, MEMORY_END - 32, 32);
    expect_output("span ending at the end of memory", "oob", &in, digest, 32);
    crypto_generichash(digest, 32, NULL, 0, NULL, 0);
    oob_input(&in, 0, MEMORY_END, 0);
    expect_output("empty span at the end of memory", "oob", &in, digest, 32);

    static const struct {
        int sel;
        uint32_t a, b;
        const char *what;
    } traps[] = {
        { 0, MEMORY_END - 31, 32, "hash span one byte past the end" },
        { 0, MEMORY_END + 1, 0, "empty span past the end" },
        { 0, 0xffffffff, 2, "span whose end wraps 32 bits" },
        { 0, 0, 0xffffffff, "span of 4 GiB" },
        { 1, MEMORY_END - 63, 0, "64-byte signature over the end" },
        { 2, MEMORY_END - 1, 2, "message span over the end" },
        { 3, MEMORY_END - 31, 0, "32-byte public key over the end" },
        { 4, MEMORY_END - 100, 101, "runtime_version blob" },
        { 5, MEMORY_END, 1, "print_utf8" },
        { 6, 0x80000000, 1, "log target" },
        { 7, MEMORY_END - 1, 2, "trie root input" },
        { 8, MEMORY_END - 64, 0, "65-byte recovery signature over the end" },
    };
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        oob_input(&in, traps[i].sel, traps[i].a, traps[i].b);
        expect_trap(traps[i].what, "oob", &in, "out of bounds");
    }
    /* free() of a pointer whose header lies past the end: sc-allocator's own error. */
    oob_input(&in, 9, MEMORY_END + 8, 0);
    expect_trap("free past the end", "oob", &in, "read out of heap bounds");
    /* Just inside: the signature and key reads succeed (all-zero data does not verify). */
    oob_input(&in, 1, MEMORY_END - 64, 0);
    expect_u32("signature at the end", "oob", &in, 0);
    oob_input(&in, 3, MEMORY_END - 32, 0);
    expect_u32("public key at the end", "oob", &in, 0);
    buf_free(&in);
}

/* ---- the call convention around the host functions ---- */

static void tail_input(buf *in, uint32_t back, uint32_t len)
{
    in->n = 0;
    put_u32(in, back);
    put_u32(in, len);
}

TEST(host_call_output_and_exports)
{
    buf in = { 0 };
    static const uint8_t four_zeros[4] = { 0 };
    tail_input(&in, 4, 4);
    expect_output("output ending at the end of memory", "tail", &in, four_zeros, 4);
    tail_input(&in, 0, 0);
    expect_output("empty output at the end of memory", "tail", &in, NULL, 0);
    tail_input(&in, 4, 5);
    expect_trap("output one byte past the end", "tail", &in, "output exceeds bounds");
    in.n = 0;
    expect_trap("export with another type", "bad_signature", &in, "Invalid signature");
    expect_trap("no such export", "validate_block", &in, "not found");
    buf_free(&in);
}

/* A runtime (hand-assembled) with __heap_base = `heap_base` whose export "f" stores its
 * input pointer at address 0 and returns those 4 bytes:
 *   (import "env" "memory" (memory 2)) (global (export "__heap_base") i32 (i32.const heap_base))
 *   (func (export "f") (param i32 i32) (result i64)
 *     (i32.store (i32.const 0) (local.get 0)) (i64.const 0x400000000)) */
static void module_heap_base(buf *m, uint32_t heap_base)
{
    static const uint8_t head[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e,                  /* type */
        0x02, 0x0f, 0x01, 0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y',
        0x02, 0x00, 0x02,                                                       /* import */
        0x03, 0x02, 0x01, 0x00,                                                 /* function */
    };
    static const uint8_t tail[] = {
        0x07, 0x13, 0x02, 0x0b, '_', '_', 'h', 'e', 'a', 'p', '_', 'b', 'a', 's', 'e', 0x03, 0x00,
        0x01, 'f', 0x00, 0x00,                                                  /* export */
        0x0a, 0x12, 0x01, 0x10, 0x00, 0x41, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00,
        0x42, 0x80, 0x80, 0x80, 0x80, 0xc0, 0x00, 0x0b,                         /* code */
    };
    buf init = { 0 };
    put_u8(&init, 0x41);                        /* i32.const, signed LEB128 */
    int64_t v = (int32_t)heap_base;
    for (bool more = true; more;) {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
        put_u8(&init, more ? byte | 0x80 : byte);
    }
    put_u8(&init, 0x0b);
    m->n = 0;
    put(m, head, sizeof head);
    put_u8(m, 6);                               /* global section */
    put_u8(m, (uint8_t)(init.n + 3));
    put_u8(m, 1);
    put_u8(m, 0x7f);
    put_u8(m, 0x00);
    put(m, init.p, init.n);
    put(m, tail, sizeof tail);
    buf_free(&init);
}

/* The input is the first allocation: its payload at align8(__heap_base) + 8. */
TEST(host_call_input_lands_after_the_aligned_heap_base)
{
    static const struct {
        uint32_t heap_base, input_at;
    } cases[] = { { 65536, 65544 }, { 65541, 65552 }, { 65535, 65544 }, { 0, 8 }, { 1, 16 } };
    buf m = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        module_heap_base(&m, cases[i].heap_base);
        char err[256];
        pvf_code *code = load_code(m.p, m.n, err, sizeof err);
        if (!code) {
            test_fail(__FILE__, __LINE__, "heap base %u: %s", cases[i].heap_base, err);
            continue;
        }
        pvf_call_result r;
        pvf_runtime_call(code, "f", (const uint8_t *)"input", 5, &r);
        uint32_t at = r.outcome == PVF_OUTCOME_OK && r.output_len == 4
                          ? (uint32_t)r.output[0] | (uint32_t)r.output[1] << 8 |
                                (uint32_t)r.output[2] << 16 | (uint32_t)r.output[3] << 24
                          : 0;
        if (at != cases[i].input_at)
            test_fail(__FILE__, __LINE__, "heap base %u: input at %u, expected %u (%s)", cases[i].heap_base,
                      at, cases[i].input_at, r.reason);
        free(r.output);
        pvf_code_free(code);
    }
    buf_free(&m);
}

/* ---- linking ---- */

static void put_name(buf *m, const char *s)
{
    put_u8(m, (uint8_t)strlen(s));
    put(m, s, strlen(s));
}

/* A module: types (i64)->i32, (i32)->i32, (i64)->i64; one import; a memory of 1 page. */
static void module_importing(buf *m, const char *module, const char *name, const uint8_t *desc,
                             size_t desc_len)
{
    static const uint8_t head[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x10, 0x03, 0x60, 0x01, 0x7e, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x60, 0x01, 0x7e, 0x01, 0x7e,
    };
    buf imp = { 0 };
    put_u8(&imp, 1);
    put_name(&imp, module);
    put_name(&imp, name);
    put(&imp, desc, desc_len);
    m->n = 0;
    put(m, head, sizeof head);
    put_u8(m, 2);
    put_u8(m, (uint8_t)imp.n);
    put(m, imp.p, imp.n);
    static const uint8_t memory[] = { 0x05, 0x03, 0x01, 0x00, 0x01 };
    put(m, memory, sizeof memory);
    buf_free(&imp);
}

/* Prepare, load and call export "f" of `m`: the outcome, reason in r. */
static void construct_and_call(const buf *m, pvf_call_result *r)
{
    char err[256];
    memset(r, 0, sizeof *r);
    pvf_code *code = load_code(m->p, m->n, err, sizeof err);
    if (!code) {
        r->outcome = PVF_OUTCOME_ERROR;
        snprintf(r->reason, sizeof r->reason, "prepare: %s", err);
        return;
    }
    pvf_runtime_call(code, "f", NULL, 0, r);
    free(r->output);
    r->output = NULL;
    pvf_code_free(code);
}

TEST(host_link_checks_the_import_types)
{
    static const uint8_t FUNC_I64_I32[] = { 0x00, 0x00 }, FUNC_I32_I32[] = { 0x00, 0x01 },
                         FUNC_I64_I64[] = { 0x00, 0x02 }, GLOBAL_I32[] = { 0x03, 0x7f, 0x00 },
                         TABLE[] = { 0x01, 0x70, 0x00, 0x01 };
    static const char *BLAKE2 = "ext_hashing_blake2_256_version_1";
    buf m = { 0 };
    pvf_call_result r;

    /* The right type links: the call then fails for want of __heap_base, not construction. */
    module_importing(&m, "env", BLAKE2, FUNC_I64_I32, sizeof FUNC_I64_I32);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_INVALID);
    CHECK_STR_CONTAINS(r.reason, "__heap_base");
    /* So does an unknown function of any type: a stub. */
    module_importing(&m, "env", "ext_offchain_timestamp_version_1", FUNC_I32_I32, sizeof FUNC_I32_I32);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_INVALID);

    module_importing(&m, "env", BLAKE2, FUNC_I32_I32, sizeof FUNC_I32_I32);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_ERROR);
    CHECK_STR_CONTAINS(r.reason, "signature");
    CHECK_STR_CONTAINS(r.reason, BLAKE2);
    module_importing(&m, "env", BLAKE2, FUNC_I64_I64, sizeof FUNC_I64_I64);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_ERROR);
    CHECK_STR_CONTAINS(r.reason, "signature");

    /* Only functions, and only from env. */
    module_importing(&m, "env", "g", GLOBAL_I32, sizeof GLOBAL_I32);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_ERROR);
    CHECK_STR_CONTAINS(r.reason, "env.g");
    module_importing(&m, "env", "table", TABLE, sizeof TABLE);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_ERROR);
    module_importing(&m, "other", BLAKE2, FUNC_I64_I32, sizeof FUNC_I64_I32);
    construct_and_call(&m, &r);
    CHECK_EQ_U64(r.outcome, PVF_OUTCOME_ERROR);
    CHECK_STR_CONTAINS(r.reason, "other");
    buf_free(&m);
}

/*
 * test_ecdsa.c — secp256k1 recovery and ECDSA verification (ecdsa.h)
 * against tests/data/ecdsa_vectors.json, written by
 * tests/gen/node/ecdsa_vectors.js with @polkadot/util-crypto / @noble/curves
 * under sp-io's rules (valid signatures, wrong message or key, high s, bad
 * and 27-based recovery ids, r or s = 0 or ≥ n, recovery ids 2/3, the point
 * at infinity, malformed lengths), plus the SCALE result encoding.
 */
#include "test.h"

#include <stdlib.h>

#include "runtime/ecdsa.h"
#include "util/hex.h"
#include "util/json.h"

#define ECDSA_VECTORS "tests/data/ecdsa_vectors.json"

static json_value *load_vectors(void)
{
    size_t len;
    char *text = (char *)test_read_file(ECDSA_VECTORS, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "%s missing (run from the repo root)", ECDSA_VECTORS);
        return NULL;
    }
    char err[128];
    json_value *doc = json_parse(text, len, err, sizeof err);
    if (!doc)
        test_fail(__FILE__, __LINE__, "%s: %s", ECDSA_VECTORS, err);
    free(text);
    return doc;
}

/* Decode the hex member `key` of v; NULL (and a failure) if absent or bad. */
static uint8_t *member_bytes(const json_value *v, const char *key, size_t *len)
{
    uint8_t *out;
    if (!hex_decode(json_get_string(v, key), &out, len)) {
        test_fail(__FILE__, __LINE__, "vector \"%s\": member %s missing or not hex",
                  json_get_string(v, "name"), key);
        return NULL;
    }
    return out;
}

/*
 * Check one recovery outcome against {"ok": "0x…"} or {"err": "BadRS"}.
 */
static void check_recovery(const char *name, const char *what, ecdsa_status st, const uint8_t *key,
                           size_t key_len, const json_value *expected)
{
    const char *want_err = json_get_string(expected, "err");
    const char *want_ok = json_get_string(expected, "ok");
    if (want_err) {
        if (st == ECDSA_OK || strcmp(ecdsa_status_name(st), want_err) != 0)
            test_fail(__FILE__, __LINE__, "\"%s\" %s: got %s, expected %s", name, what,
                      ecdsa_status_name(st), want_err);
        return;
    }
    uint8_t *want;
    size_t want_len;
    if (!want_ok || !hex_decode(want_ok, &want, &want_len)) {
        test_fail(__FILE__, __LINE__, "\"%s\" %s: bad expectation", name, what);
        return;
    }
    if (st != ECDSA_OK)
        test_fail(__FILE__, __LINE__, "\"%s\" %s: got %s, expected a key", name, what,
                  ecdsa_status_name(st));
    else if (want_len != key_len || memcmp(want, key, key_len) != 0)
        test_fail(__FILE__, __LINE__, "\"%s\" %s: recovered a different key", name, what);
    free(want);
}

TEST(ecdsa_recover_vectors)
{
    json_value *doc = load_vectors();
    if (!doc)
        return;
    const json_value *vectors = json_get(doc, "recover");
    CHECK(json_array_len(vectors) >= 50);
    size_t counts[4] = { 0 };
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        const char *name = json_get_string(v, "name");
        size_t sig_len, hash_len;
        uint8_t *sig = member_bytes(v, "sig", &sig_len);
        uint8_t *hash = member_bytes(v, "msg_hash", &hash_len);
        if (sig && hash && sig_len == 65 && hash_len == 32) {
            static const struct { ecdsa_version ver; const char *full, *compressed; } versions[] = {
                { ECDSA_V1, "v1", "v1_compressed" },
                { ECDSA_V2, "v2", "v2_compressed" },
            };
            for (size_t k = 0; k < 2; k++) {
                uint8_t full[64], compressed[33];
                ecdsa_status st = ecdsa_recover(versions[k].ver, sig, hash, full);
                check_recovery(name, versions[k].full, st, full, 64, json_get(v, versions[k].full));
                counts[st]++;
                st = ecdsa_recover_compressed(versions[k].ver, sig, hash, compressed);
                check_recovery(name, versions[k].compressed, st, compressed, 33,
                               json_get(v, versions[k].compressed));
            }
        } else {
            test_fail(__FILE__, __LINE__, "\"%s\": bad sizes", name);
        }
        free(sig);
        free(hash);
    }
    /* Every outcome must have been exercised. */
    for (int st = ECDSA_OK; st <= ECDSA_BAD_SIGNATURE; st++)
        CHECK(counts[st] > 0);
    printf("  %zu recoveries: %zu ok, %zu BadRS, %zu BadV, %zu BadSignature\n",
           counts[0] + counts[1] + counts[2] + counts[3], counts[0], counts[1], counts[2], counts[3]);
    json_free(doc);
}

TEST(ecdsa_verify_vectors)
{
    json_value *doc = load_vectors();
    if (!doc)
        return;
    const json_value *vectors = json_get(doc, "verify");
    CHECK(json_array_len(vectors) >= 40);
    size_t accepted = 0, differing = 0;
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        const char *name = json_get_string(v, "name");
        size_t sig_len, msg_len, pub_len;
        uint8_t *sig = member_bytes(v, "sig", &sig_len);
        uint8_t *msg = member_bytes(v, "msg", &msg_len);
        uint8_t *pub = member_bytes(v, "pub", &pub_len);
        if (sig && msg && pub) {
            bool v1 = ecdsa_verify(ECDSA_V1, sig, sig_len, msg, msg_len, pub, pub_len);
            bool v2 = ecdsa_verify(ECDSA_V2, sig, sig_len, msg, msg_len, pub, pub_len);
            if (v1 != json_bool(json_get(v, "v1")))
                test_fail(__FILE__, __LINE__, "\"%s\": v1 verify %d", name, v1);
            if (v2 != json_bool(json_get(v, "v2")))
                test_fail(__FILE__, __LINE__, "\"%s\": v2 verify %d", name, v2);
            accepted += v1 + v2;
            differing += v1 != v2;
        }
        free(sig);
        free(msg);
        free(pub);
    }
    CHECK(accepted > 0);
    CHECK(differing > 0); /* the overflowing r / s cases */
    printf("  %zu verify vectors, %zu accepted (of v1+v2), %zu differ between versions\n",
           json_array_len(vectors), accepted, differing);
    json_free(doc);
}

TEST(ecdsa_verify_prehashed_vectors)
{
    json_value *doc = load_vectors();
    if (!doc)
        return;
    const json_value *vectors = json_get(doc, "verify_prehashed");
    CHECK(json_array_len(vectors) >= 20);
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        const char *name = json_get_string(v, "name");
        size_t sig_len, hash_len, pub_len;
        uint8_t *sig = member_bytes(v, "sig", &sig_len);
        uint8_t *hash = member_bytes(v, "msg_hash", &hash_len);
        uint8_t *pub = member_bytes(v, "pub", &pub_len);
        if (sig && hash && pub && hash_len == 32) {
            bool ok = ecdsa_verify_prehashed(sig, sig_len, hash, pub, pub_len);
            if (ok != json_bool(json_get(v, "ok")))
                test_fail(__FILE__, __LINE__, "\"%s\": verify_prehashed %d", name, ok);
        }
        free(sig);
        free(hash);
        free(pub);
    }
    json_free(doc);
}

/* Result<[u8; N], EcdsaVerifyError> as the host returns it. */
TEST(ecdsa_result_scale_encoding)
{
    uint8_t key[64], out[65];
    for (int i = 0; i < 64; i++)
        key[i] = (uint8_t)i;
    CHECK_EQ_U64(ecdsa_result_scale(ECDSA_OK, key, 64, out), 65);
    CHECK(out[0] == 0x00 && memcmp(out + 1, key, 64) == 0);
    CHECK_EQ_U64(ecdsa_result_scale(ECDSA_OK, key, 33, out), 34);
    CHECK(out[0] == 0x00 && memcmp(out + 1, key, 33) == 0);

    /* EcdsaVerifyError variants in declaration order: BadRS, BadV, BadSignature. */
    CHECK_EQ_U64(ecdsa_result_scale(ECDSA_BAD_RS, NULL, 64, out), 2);
    CHECK(out[0] == 0x01 && out[1] == 0);
    ecdsa_result_scale(ECDSA_BAD_V, NULL, 64, out);
    CHECK(out[0] == 0x01 && out[1] == 1);
    ecdsa_result_scale(ECDSA_BAD_SIGNATURE, NULL, 33, out);
    CHECK(out[0] == 0x01 && out[1] == 2);

    CHECK(strcmp(ecdsa_status_name(ECDSA_BAD_V), "BadV") == 0);
}

/* An all-zero and an all-0xff input must be refused without crashing. */
TEST(ecdsa_degenerate_inputs)
{
    uint8_t sig[65], hash[32], out[64];
    memset(sig, 0, sizeof sig);
    memset(hash, 0, sizeof hash);
    CHECK(ecdsa_recover(ECDSA_V1, sig, hash, out) == ECDSA_BAD_SIGNATURE);
    CHECK(ecdsa_recover(ECDSA_V2, sig, hash, out) == ECDSA_BAD_SIGNATURE);
    memset(sig, 0xff, sizeof sig);
    CHECK(ecdsa_recover(ECDSA_V2, sig, hash, out) == ECDSA_BAD_V);
    sig[64] = 0;
    CHECK(ecdsa_recover(ECDSA_V2, sig, hash, out) == ECDSA_BAD_RS);
    uint8_t pub[33] = { 0x02 };
    CHECK(!ecdsa_verify(ECDSA_V1, sig, 65, NULL, 0, pub, 33));
    CHECK(!ecdsa_verify(ECDSA_V2, NULL, 0, NULL, 0, pub, 33));
}

/*
 * test_sr25519.c — sr25519 (schnorrkel) verification, versions 2 and 1 (src/runtime/sr25519.c).
 *
 * tests/data/sr25519_vectors.tsv (tests/gen/node/sr25519_vectors.js) holds sp-core's published
 * legacy signature, @polkadot/util-crypto signatures and their tampered variants, constructed
 * schnorrkel 0.1 (unmarked) signatures and identity-key cases, each with the expected result of
 * ext_crypto_sr25519_verify_version_2 and _version_1; schnorrkel compiled to wasm agreed with
 * every version-2 verdict when the file was written.
 */
#include "test.h"

#include <stdlib.h>

#include "runtime/sr25519.h"


/* Calls fn(fields, lens, nfields, line_no) for every data line of a TSV file; returns the
 * number of data lines, -1 when the file cannot be read. */


static int rows_seen, v2_accepts, v1_accepts, v1_only;

static void vector_row(char **f, size_t *l, int n, int line_no)
{
    uint8_t pub[32], sig[64];
    size_t msg_len = l[2] / 2;
    uint8_t *msg = malloc(msg_len ? msg_len : 1);
    if (n != 8 || !test_unhex(f[1], l[1], pub, 32) || !test_unhex(f[2], l[2], msg, msg_len) ||
        !test_unhex(f[3], l[3], sig, 64) || l[4] != 1 || l[5] != 1) {
        test_fail(__FILE__, __LINE__, "sr25519_vectors.tsv line %d malformed", line_no);
        free(msg);
        return;
    }
    bool want_v2 = f[4][0] == '1', want_v1 = f[5][0] == '1';
    bool v2 = sr25519_verify(sig, msg, msg_len, pub);
    bool v1 = sr25519_verify_deprecated(sig, msg, msg_len, pub);
    if (v2 != want_v2)
        test_fail(__FILE__, __LINE__, "%.*s (line %d): version 2 = %d, expected %d", (int)l[0],
                  f[0], line_no, v2, want_v2);
    if (v1 != want_v1)
        test_fail(__FILE__, __LINE__, "%.*s (line %d): version 1 = %d, expected %d", (int)l[0],
                  f[0], line_no, v1, want_v1);
    rows_seen++;
    v2_accepts += v2;
    v1_accepts += v1;
    v1_only += v1 && !v2;
    free(msg);
}

TEST(sr25519_vectors_versions_1_and_2)
{
    rows_seen = v2_accepts = v1_accepts = v1_only = 0;
    int rows = test_for_each_tsv_row("tests/data/sr25519_vectors.tsv", vector_row);
    CHECK(rows >= 130);
    CHECK_EQ_U64(rows_seen, rows);
    CHECK(v2_accepts >= 20);                 /* real signatures are there */
    CHECK(rows - v2_accepts >= 60);          /* and refusals */
    CHECK(v1_only >= 9);                     /* legacy signatures only version 1 takes */
}

/* sp-core sr25519.rs `verify_from_old_wasm_works`: a schnorrkel-js (0.1) signature of
 * "SUBSTRATE" by the key of seed 0. */
TEST(sr25519_sp_core_legacy_signature)
{
    uint8_t pub[32], sig[64];
    CHECK(test_unhex("def12e42f3e487e9b14095aa8d5cc16a33491f1b50dadcf8811d1480f3fa8627", 64, pub, 32));
    CHECK(test_unhex("28a854d54903e056f89581c691c1f7d2ff39f8f896c9e9c22475e60902cc2b35"
                "47199e0e91fa32902028f2ca2355e8cdd16cfe19ba5e8b658c94aa80f3b81a00", 128, sig, 64));
    const uint8_t *msg = (const uint8_t *)"SUBSTRATE";
    CHECK(sr25519_verify_deprecated(sig, msg, 9, pub));
    CHECK(!sr25519_verify(sig, msg, 9, pub));
    CHECK(!sr25519_verify_deprecated(sig, msg, 8, pub));
}

/* schnorrkel takes the identity as a public key; then (R = identity, s = 0) verifies any
 * message — but only with the marker bit set for version 2. */
TEST(sr25519_identity_key_and_zero_signature)
{
    uint8_t pub[32] = { 0 }, sig[64] = { 0 };
    CHECK(!sr25519_verify(sig, (const uint8_t *)"x", 1, pub));
    CHECK(sr25519_verify_deprecated(sig, (const uint8_t *)"x", 1, pub));
    sig[63] = 0x80;
    CHECK(sr25519_verify(sig, (const uint8_t *)"x", 1, pub));
    CHECK(sr25519_verify(sig, NULL, 0, pub));
    CHECK(sr25519_verify_deprecated(sig, NULL, 0, pub));
    sig[0] = 2;                               /* R = some other point */
    CHECK(!sr25519_verify(sig, NULL, 0, pub));
}

/* Signatures made by sr25519_sign verify (under the key, on the message only), and are
 * deterministic. The verifier is tested against schnorrkel's own vectors above. */
TEST(sr25519_sign_verifies)
{
    uint8_t seed[32] = { 1, 2, 3 }, secret[32], pub[32], sig[64], sig2[64];
    CHECK(sr25519_keypair_from_seed(seed, secret, pub));
    const uint8_t msg[] = "a block header hash";
    CHECK(sr25519_sign(secret, pub, msg, sizeof msg, sig));
    CHECK(sr25519_verify(sig, msg, sizeof msg, pub));
    CHECK(sr25519_verify_deprecated(sig, msg, sizeof msg, pub));
    CHECK(!sr25519_verify(sig, msg, sizeof msg - 1, pub));
    CHECK(sr25519_sign(secret, pub, msg, sizeof msg, sig2));
    CHECK(!memcmp(sig, sig2, 64));
    sig[5] ^= 1;
    CHECK(!sr25519_verify(sig, msg, sizeof msg, pub));
}

/*
 * test_ed25519.c — Ed25519 verification under ZIP 215 rules (src/runtime/ed25519.c).
 *
 * Vectors:
 *   tests/data/ed25519_zip215.tsv   the 196 public ZIP 215 small-order cases (all valid);
 *   tests/data/ed25519_vectors.tsv  RFC 8032, @polkadot/util-crypto signatures and tampered
 *                                   variants, constructed mixed-order / non-canonical / s >= ℓ
 *                                   cases (tests/gen/node/ed25519_vectors.js says where each
 *                                   verdict comes from).
 */
#include "test.h"

#include <stdlib.h>

#include "runtime/ed25519.h"


/* Calls fn(fields, lens, nfields, line_no) for every data line of a TSV file; returns the
 * number of data lines, -1 when the file cannot be read. */


static int zip215_accepted;

static void zip215_row(char **f, size_t *l, int n, int line_no)
{
    uint8_t pub[32], sig[64];
    if (n != 2 || !test_unhex(f[0], l[0], pub, 32) || !test_unhex(f[1], l[1], sig, 64)) {
        test_fail(__FILE__, __LINE__, "ed25519_zip215.tsv line %d malformed", line_no);
        return;
    }
    if (ed25519_verify(sig, (const uint8_t *)"Zcash", 5, pub))
        zip215_accepted++;
    else
        test_fail(__FILE__, __LINE__, "ZIP 215 vector at line %d rejected", line_no);
}

TEST(ed25519_zip215_public_vectors_all_accepted)
{
    zip215_accepted = 0;
    int rows = test_for_each_tsv_row("tests/data/ed25519_zip215.tsv", zip215_row);
    CHECK_EQ_U64(rows, 196);
    CHECK_EQ_U64(zip215_accepted, 196);
}

static int vector_rows, vector_accepts;

static void vector_row(char **f, size_t *l, int n, int line_no)
{
    uint8_t pub[32], sig[64];
    size_t msg_len = l[2] / 2;
    uint8_t *msg = malloc(msg_len ? msg_len : 1);
    if (n != 7 || !test_unhex(f[1], l[1], pub, 32) || !test_unhex(f[2], l[2], msg, msg_len) ||
        !test_unhex(f[3], l[3], sig, 64) || l[4] != 1) {
        test_fail(__FILE__, __LINE__, "ed25519_vectors.tsv line %d malformed", line_no);
        free(msg);
        return;
    }
    bool expect = f[4][0] == '1';
    bool got = ed25519_verify(sig, msg, msg_len, pub);
    if (got != expect)
        test_fail(__FILE__, __LINE__, "%.*s (line %d): verify = %d, expected %d", (int)l[0], f[0],
                  line_no, got, expect);
    vector_rows++;
    vector_accepts += got;
    free(msg);
}

TEST(ed25519_vectors_match_zip215_verdicts)
{
    vector_rows = vector_accepts = 0;
    int rows = test_for_each_tsv_row("tests/data/ed25519_vectors.tsv", vector_row);
    CHECK(rows >= 140);
    CHECK_EQ_U64(vector_rows, rows);
    /* Both verdicts are represented in quantity. */
    CHECK(vector_accepts >= 40);
    CHECK(rows - vector_accepts >= 40);
}

/* RFC 8032 §7.1 TEST 1 (empty message). */
static const char *T1_PUB = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *T1_SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

TEST(ed25519_rfc8032_test1_and_bit_flips)
{
    uint8_t pub[32], sig[64];
    CHECK(test_unhex(T1_PUB, 64, pub, 32));
    CHECK(test_unhex(T1_SIG, 128, sig, 64));
    CHECK(ed25519_verify(sig, NULL, 0, pub));
    /* Any single flipped bit of the signature or the key breaks it. */
    for (int bit = 0; bit < 64 * 8; bit += 7) {
        sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        CHECK(!ed25519_verify(sig, NULL, 0, pub));
        sig[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for (int bit = 0; bit < 32 * 8; bit += 5) {
        pub[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        CHECK(!ed25519_verify(sig, NULL, 0, pub));
        pub[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    uint8_t one = 0;
    CHECK(!ed25519_verify(sig, &one, 1, pub));
}

TEST(ed25519_s_must_be_below_l)
{
    uint8_t pub[32], sig[64];
    CHECK(test_unhex(T1_PUB, 64, pub, 32));
    CHECK(test_unhex(T1_SIG, 128, sig, 64));
    /* s + ℓ: the same group equation, but s is not canonical. */
    static const uint8_t ell[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    };
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned v = sig[32 + i] + ell[i] + carry;
        sig[32 + i] = (uint8_t)v;
        carry = v >> 8;
    }
    CHECK(!ed25519_verify(sig, NULL, 0, pub));
}

TEST(ed25519_point_decoding_follows_zip215)
{
    uint8_t enc[32] = { 0 };
    enc[0] = 1;
    CHECK(ed25519_point_decodes(enc));          /* identity */
    enc[31] = 0x80;
    CHECK(ed25519_point_decodes(enc));          /* identity, "x = -0": RFC 8032 refuses, ZIP 215 not */
    memset(enc, 0xff, 32);
    enc[0] = 0xee;
    enc[31] = 0x7f;
    CHECK(ed25519_point_decodes(enc));          /* y = p + 1 ≡ 1 */
    memset(enc, 0, 32);
    enc[0] = 2;
    CHECK(!ed25519_point_decodes(enc));         /* y = 2: (y^2 - 1)/(d y^2 + 1) is not a square */
    memset(enc, 0xff, 32);
    CHECK(ed25519_point_decodes(enc));          /* y = 2^255 - 1 ≡ 18 (mod p), sign set */
    enc[0] = 0xf4;
    CHECK(!ed25519_point_decodes(enc));         /* y = p + 7: 7 is not a y either */
    /* (Which small y are points was checked with @noble/curves: 2, 7, 8, 11, 12, 13, 17 are not.) */
}

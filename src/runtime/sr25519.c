/*
 * sr25519.c — schnorrkel signature verification, see sr25519.h.
 *
 * The Schnorr equation is checked the way schnorrkel does it: recompute
 * R' = [s]B - [k]A and compare its canonical encoding with the R bytes of
 * the signature. R itself is therefore never decoded: bytes that are not a
 * canonical Ristretto encoding can never equal R' and simply fail.
 *
 * libsodium notes: crypto_scalarmult_ristretto255{,_base} return -1 when the
 * product is the identity (and then write its encoding, 32 zero bytes);
 * schnorrkel has no such rule — s = 0 or an identity public key are legal
 * inputs — so that result is taken as the identity. The public key is
 * validated first, so -1 can have no other cause.
 */
#include "runtime/sr25519.h"

#include <sodium.h>
#include <string.h>

#include "runtime/merlin.h"

#define MARKER 0x80              /* bit 7 of signature byte 63 */

/* ℓ, little endian. */
static const uint8_t ELL[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* schnorrkel's check_scalar: values below 2^252 are accepted outright, the
 * rest must be < ℓ — together simply s < ℓ. */
static bool scalar_is_canonical(const uint8_t s[32])
{
    for (int i = 31; i >= 0; i--) {
        if (s[i] != ELL[i])
            return s[i] < ELL[i];
    }
    return false;
}

/* k = 64 challenge bytes under `label`, reduced mod ℓ (from_bytes_mod_order_wide). */
static void challenge_scalar(merlin_transcript *t, const char *label, uint8_t k[32])
{
    uint8_t wide[64];
    merlin_challenge_bytes(t, label, wide, sizeof wide);
    crypto_core_ristretto255_scalar_reduce(k, wide);
}

/* The challenge k of SigningContext("substrate").bytes(msg) for key A and nonce point R. */
static void signing_challenge(const uint8_t *msg, size_t msg_len, const uint8_t pub[32], const uint8_t r[32],
                              uint8_t k[32])
{
    merlin_transcript t;
    merlin_init(&t, "SigningContext");
    merlin_append_message(&t, "", (const uint8_t *)"substrate", 9);
    merlin_append_message(&t, "sign-bytes", msg, msg_len);
    merlin_append_message(&t, "proto-name", (const uint8_t *)"Schnorr-sig", 11);
    merlin_append_message(&t, "sign:pk", pub, 32);
    merlin_append_message(&t, "sign:R", r, 32);
    challenge_scalar(&t, "sign:c", k);
}

/* R == [s]B - [k]A, comparing encodings. `pub` has been validated. */
static bool equation_holds(const uint8_t r[32], const uint8_t s[32], const uint8_t k[32],
                           const uint8_t pub[32])
{
    uint8_t sb[32], ka[32], expect[32];
    if (crypto_scalarmult_ristretto255_base(sb, s) != 0)
        memset(sb, 0, sizeof sb);            /* s = 0: the identity */
    if (crypto_scalarmult_ristretto255(ka, k, pub) != 0)
        memset(ka, 0, sizeof ka);            /* k = 0 or A = identity */
    if (crypto_core_ristretto255_sub(expect, sb, ka) != 0)
        return false;                        /* cannot happen: both are valid encodings */
    return memcmp(expect, r, 32) == 0;
}

/* Split a signature into R and s with the marker bit cleared. */
static void split_signature(const uint8_t sig[64], uint8_t r[32], uint8_t s[32])
{
    memcpy(r, sig, 32);
    memcpy(s, sig + 32, 32);
    s[31] &= (uint8_t)~MARKER;
}

/* schnorrkel PublicKey::verify on a SigningContext("substrate").bytes(msg)
 * transcript; the marker has been checked by the caller. */
static bool verify_marked(const uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                          const uint8_t pub[32])
{
    uint8_t r[32], s[32], k[32];
    split_signature(sig, r, s);
    if (!scalar_is_canonical(s))
        return false;

    signing_challenge(msg, msg_len, pub, r, k);
    return equation_holds(r, s, k, pub);
}

/* The schnorrkel 0.1 transcript, for unmarked signatures (version 1 only). */
static bool verify_legacy(const uint8_t sig[64], const uint8_t *msg, size_t msg_len,
                          const uint8_t pub[32])
{
    uint8_t r[32], s[32], k[32];
    split_signature(sig, r, s);
    if (!scalar_is_canonical(s))
        return false;

    merlin_transcript t;
    merlin_init(&t, "substrate");
    merlin_append_message(&t, "sign-bytes", msg, msg_len);
    merlin_append_message(&t, "proto-name", (const uint8_t *)"Schnorr-sig", 11);
    merlin_append_message(&t, "pk", pub, 32);
    merlin_append_message(&t, "no", r, 32);
    challenge_scalar(&t, "", k);
    return equation_holds(r, s, k, pub);
}

static bool public_key_decodes(const uint8_t pub[32])
{
    /* Safe to call repeatedly and from several threads; returns at once
     * after the first time. */
    if (sodium_init() < 0)
        return false;
    return crypto_core_ristretto255_is_valid_point(pub) == 1;
}

bool sr25519_verify(const uint8_t sig[SR25519_SIGNATURE_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t pub[SR25519_PUBLIC_KEY_LEN])
{
    if (!(sig[63] & MARKER) || !public_key_decodes(pub))
        return false;
    return verify_marked(sig, msg, msg_len, pub);
}

bool sr25519_verify_deprecated(const uint8_t sig[SR25519_SIGNATURE_LEN], const uint8_t *msg,
                               size_t msg_len, const uint8_t pub[SR25519_PUBLIC_KEY_LEN])
{
    if (!public_key_decodes(pub))
        return false;
    if (sig[63] & MARKER)
        return verify_marked(sig, msg, msg_len, pub);
    return verify_legacy(sig, msg, msg_len, pub);
}

bool sr25519_keypair_from_seed(const uint8_t seed[32], uint8_t secret[32], uint8_t pub[SR25519_PUBLIC_KEY_LEN])
{
    if (sodium_init() < 0)
        return false;
    uint8_t wide[64];
    crypto_generichash(wide, sizeof wide, seed, 32, (const uint8_t *)"pvf sr25519 secret", 18);
    crypto_core_ristretto255_scalar_reduce(secret, wide);
    return crypto_scalarmult_ristretto255_base(pub, secret) == 0;
}

bool sr25519_sign(const uint8_t secret[32], const uint8_t pub[SR25519_PUBLIC_KEY_LEN], const uint8_t *msg,
                  size_t msg_len, uint8_t sig[SR25519_SIGNATURE_LEN])
{
    if (sodium_init() < 0)
        return false;
    /* The nonce r: any scalar unknown to others works (verification never sees how it was
     * chosen); here a keyed hash of the message, so the same message gives the same bytes. */
    uint8_t wide[64], r[32], big_r[32], k[32], kx[32], s[32];
    crypto_generichash_state h;
    crypto_generichash_init(&h, secret, 32, sizeof wide);
    crypto_generichash_update(&h, (const uint8_t *)"pvf sr25519 nonce", 17);
    crypto_generichash_update(&h, msg, msg_len);
    crypto_generichash_final(&h, wide, sizeof wide);
    crypto_core_ristretto255_scalar_reduce(r, wide);
    if (crypto_scalarmult_ristretto255_base(big_r, r) != 0)
        return false;
    signing_challenge(msg, msg_len, pub, big_r, k);
    crypto_core_ristretto255_scalar_mul(kx, k, secret);
    crypto_core_ristretto255_scalar_add(s, r, kx);
    memcpy(sig, big_r, 32);
    memcpy(sig + 32, s, 32);
    sig[63] |= MARKER;
    return true;
}

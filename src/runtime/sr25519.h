/*
 * sr25519.h — sr25519 (schnorrkel) signature verification, as sp-io does it; signing.
 *
 * A public key is a compressed Ristretto255 point. A signature is R || s:
 * R the compressed Ristretto point of the nonce, s a little-endian scalar
 * whose top bit (bit 7 of byte 63) is schnorrkel's marker, set by every
 * schnorrkel >= 0.8 signer to tell its signatures apart from Ed25519 ones.
 *
 * ext_crypto_sr25519_verify_version_2 = sp_core's Pair::verify =
 *   schnorrkel PublicKey::verify_simple(b"substrate", msg, sig):
 *   the marker must be set, s (marker cleared) must be < ℓ, the key must
 *   decode, and R must equal the encoding of [s]B - [k]A, where k is the
 *   challenge of the transcript
 *     Transcript("SigningContext"); append("", "substrate");
 *     append("sign-bytes", msg); append("proto-name", "Schnorr-sig");
 *     append("sign:pk", A); append("sign:R", R); k = challenge("sign:c", 64) mod ℓ.
 *
 * ext_crypto_sr25519_verify_version_1 = Pair::verify_deprecated =
 *   verify_simple_preaudit_deprecated: a signature with the marker set is
 *   verified exactly as above (and its result is final); one without the
 *   marker is a schnorrkel 0.1 signature, checked against the older transcript
 *     Transcript("substrate"); append("sign-bytes", msg);
 *     append("proto-name", "Schnorr-sig"); append("pk", A); append("no", R);
 *     k = challenge("", 64) mod ℓ.
 *
 * Points and scalars use libsodium's ristretto255 functions.
 */
#ifndef PVF_RUNTIME_SR25519_H
#define PVF_RUNTIME_SR25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR25519_PUBLIC_KEY_LEN 32
#define SR25519_SIGNATURE_LEN 64

/* version 2: schnorrkel verify_simple with signing context "substrate". */
bool sr25519_verify(const uint8_t sig[SR25519_SIGNATURE_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t pub[SR25519_PUBLIC_KEY_LEN]);

/* version 1: also accepts schnorrkel 0.1 (unmarked) signatures. */
bool sr25519_verify_deprecated(const uint8_t sig[SR25519_SIGNATURE_LEN], const uint8_t *msg,
                               size_t msg_len, const uint8_t pub[SR25519_PUBLIC_KEY_LEN]);

/*
 * Signing, for the block builder's Aura seals (src/author/): a key pair whose secret scalar
 * is derived from `seed` by a keyed BLAKE2b (not schnorrkel's MiniSecretKey expansion: the
 * builder installs its own key, nobody else needs to derive it), and a signature that
 * sr25519_verify accepts — the nonce is a keyed hash of the message, so signing is
 * deterministic.
 */
bool sr25519_keypair_from_seed(const uint8_t seed[32], uint8_t secret[32], uint8_t pub[SR25519_PUBLIC_KEY_LEN]);
bool sr25519_sign(const uint8_t secret[32], const uint8_t pub[SR25519_PUBLIC_KEY_LEN], const uint8_t *msg,
                  size_t msg_len, uint8_t sig[SR25519_SIGNATURE_LEN]);

#endif

/*
 * ed25519.h — Ed25519 signature verification with ed25519-zebra's rules.
 *
 * sp-io's ext_crypto_ed25519_verify_version_1 verifies with ed25519-zebra
 * (the PVF host registers no `UseDalekExt`), which implements ZIP 215:
 *
 *   - s (the last 32 bytes of the signature) must be canonical: s < ℓ;
 *   - A (the public key) and R (the first 32 bytes of the signature) must
 *     decode to curve points, but non-canonical encodings are accepted
 *     (y ≥ p is taken mod p; "x = 0 with the sign bit set" is x = 0), and
 *     points of small or mixed order are accepted;
 *   - the check is the cofactored equation [8][s]B = [8]R + [8][k]A with
 *     k = SHA-512(R_bytes || A_bytes || M) mod ℓ over the bytes as given.
 *
 * libsodium's crypto_sign_verify_detached is stricter (it refuses small-order
 * and non-canonical points), so the point decoding and the double scalar
 * multiplication are done here with a small GF(2^255-19) implementation
 * (variable time: verification handles public data only).
 */
#ifndef PVF_RUNTIME_ED25519_H
#define PVF_RUNTIME_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ED25519_PUBLIC_KEY_LEN 32
#define ED25519_SIGNATURE_LEN 64

/* True when `sig` is a valid signature of msg[0..msg_len] by `pub` under
 * ed25519-zebra (ZIP 215) rules. msg may be NULL when msg_len is 0. */
bool ed25519_verify(const uint8_t sig[ED25519_SIGNATURE_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t pub[ED25519_PUBLIC_KEY_LEN]);

/* True when the 32 bytes decode to a curve point under ZIP 215 rules (what
 * ed25519-zebra's VerificationKey::try_from accepts). */
bool ed25519_point_decodes(const uint8_t enc[32]);

#endif

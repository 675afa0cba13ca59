/*
 * ecdsa.h — secp256k1 ECDSA verification and public-key recovery with the
 * exact semantics of Substrate's host functions (sp-io `crypto`).
 *
 * Signatures are 65 bytes r ‖ s ‖ v (r, s big-endian), public keys 33-byte
 * SEC1 compressed, or 64 bytes x ‖ y for the uncompressed recovery result.
 * Recovery never requires a low s: a high-s signature recovers (to the same
 * key as its low-s twin, with the other parity of v) and verifies.
 *
 * The versions differ in how r and s at or above the group order n are read:
 *
 *   version 1  reduced mod n (the libsecp256k1 Rust crate's
 *              parse_overflowing_slice), then r or s = 0 fails recovery
 *   version 2  rejected (the C library's parse_compact); r or s = 0 still
 *              parses and fails recovery
 *
 * ext_crypto_secp256k1_ecdsa_recover[_compressed]_version_{1,2}(sig, msg):
 *   msg is a 32-byte prehash. v ∈ {0,1,2,3} or {27,28,29,30} (v > 26 has 27
 *   subtracted), checked first: anything else is BadV. Then r, s as above
 *   (version 2: BadRS); then recovery failure is BadSignature. The host
 *   returns Result<[u8; 64 or 33], EcdsaVerifyError> SCALE-encoded
 *   (ecdsa_result_scale).
 *
 * ext_crypto_ecdsa_verify_version_{1,2}(sig, msg, pub):
 *   recovers from blake2_256(msg) with v ∈ {0,1,2,3} only (27/28 are NOT
 *   accepted here) and compares the compressed key byte for byte with pub.
 *   Version 1 is Pair::verify_deprecated, version 2 Pair::verify.
 *
 * ext_crypto_ecdsa_verify_prehashed_version_1(sig, msg32, pub):
 *   as verify version 2 on a given 32-byte hash (Pair::verify_prehashed).
 *
 * The host functions read fixed sizes from wasm memory (65, 32, 33 bytes).
 * The verify functions here also take lengths so that any caller is bounds
 * safe: a signature that is not 65 bytes or a key that is not 33 bytes does
 * not verify. All functions are thread-safe (libsecp256k1's static context).
 */
#ifndef PVF_RUNTIME_ECDSA_H
#define PVF_RUNTIME_ECDSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECDSA_SIGNATURE_LEN 65
#define ECDSA_PUBLIC_LEN 33      /* compressed */
#define ECDSA_PUBLIC_FULL_LEN 64 /* x ‖ y, without the 0x04 tag */

typedef enum ecdsa_version {
    ECDSA_V1 = 1,
    ECDSA_V2 = 2,
} ecdsa_version;

/* Outcome of a recovery. The errors are sp-io's EcdsaVerifyError; their
 * SCALE variant index is status - 1. */
typedef enum ecdsa_status {
    ECDSA_OK = 0,
    ECDSA_BAD_RS = 1,        /* EcdsaVerifyError::BadRS, index 0 */
    ECDSA_BAD_V = 2,         /* EcdsaVerifyError::BadV, index 1 */
    ECDSA_BAD_SIGNATURE = 3, /* EcdsaVerifyError::BadSignature, index 2 */
} ecdsa_status;

/* "Ok", "BadRS", "BadV", "BadSignature" (the Rust variant names). */
const char *ecdsa_status_name(ecdsa_status st);

/* secp256k1_ecdsa_recover: the 64-byte x ‖ y key into out on ECDSA_OK. */
ecdsa_status ecdsa_recover(ecdsa_version ver, const uint8_t sig[65], const uint8_t msg_hash[32],
                           uint8_t out[64]);

/* secp256k1_ecdsa_recover_compressed: the 33-byte key into out on ECDSA_OK. */
ecdsa_status ecdsa_recover_compressed(ecdsa_version ver, const uint8_t sig[65],
                                      const uint8_t msg_hash[32], uint8_t out[33]);

/*
 * SCALE encoding of Result<[u8; key_len], EcdsaVerifyError>:
 * 0x00 ‖ key when st is ECDSA_OK, else 0x01 ‖ variant index. Writes at most
 * 1 + key_len bytes to out; returns the number written.
 */
size_t ecdsa_result_scale(ecdsa_status st, const uint8_t *key, size_t key_len, uint8_t *out);

/* ecdsa_verify version 1 or 2 (see above). */
bool ecdsa_verify(ecdsa_version ver, const uint8_t *sig, size_t sig_len, const uint8_t *msg,
                  size_t msg_len, const uint8_t *pub, size_t pub_len);

/* ecdsa_verify_prehashed version 1. */
bool ecdsa_verify_prehashed(const uint8_t *sig, size_t sig_len, const uint8_t msg_hash[32],
                            const uint8_t *pub, size_t pub_len);

#endif

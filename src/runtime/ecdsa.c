/*
 * ecdsa.c — secp256k1 recovery and verification as sp-io does them (see
 * ecdsa.h), on top of libsecp256k1 and its recovery module.
 *
 * Substrate's version-1 functions use the pure-Rust libsecp256k1 crate and
 * version-2 ones the C library through rust-secp256k1. Both recover with
 * the same algorithm (reject r = 0 or s = 0; x = r, or r + n when bit 1 of
 * the recovery id is set and r + n < p; y parity from bit 0; Q = r⁻¹(sR −
 * eG); fail at infinity; e is the hash reduced mod n). They differ only in
 * parsing r and s: the crate reduces values ≥ n, the C library refuses them.
 * So version 1 here reduces r and s first and then runs the C library,
 * whose parser then always succeeds.
 */
#include "runtime/ecdsa.h"

#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>

#include "runtime/hashing.h"

/* The group order n, big-endian. */
static const uint8_t ORDER_N[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
};

const char *ecdsa_status_name(ecdsa_status st)
{
    switch (st) {
    case ECDSA_OK: return "Ok";
    case ECDSA_BAD_RS: return "BadRS";
    case ECDSA_BAD_V: return "BadV";
    case ECDSA_BAD_SIGNATURE: return "BadSignature";
    }
    return "?";
}

/* x := x mod n for a 256-bit big-endian x. One subtraction is enough:
 * 2^256 < 2n. */
static void reduce_mod_n(uint8_t x[32])
{
    if (memcmp(x, ORDER_N, 32) < 0)
        return;
    unsigned borrow = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned d = (unsigned)x[i] - ORDER_N[i] - borrow;
        x[i] = (uint8_t)d;
        borrow = (d >> 8) & 1;
    }
}

/*
 * Recover the signer of the 64-byte compact signature rs with recovery id
 * recid (0..3) over msg_hash. Version 1 reads r and s mod n, version 2
 * refuses r or s ≥ n (BadRS).
 */
/* The library asks users of its static context to run its self-test
 * (a build-configuration check that aborts on failure) once first. */
static pthread_once_t selftest_once = PTHREAD_ONCE_INIT;

static void run_selftest(void)
{
    secp256k1_selftest();
}

static ecdsa_status recover_key(ecdsa_version ver, const uint8_t rs[64], int recid,
                                const uint8_t msg_hash[32], secp256k1_pubkey *key)
{
    pthread_once(&selftest_once, run_selftest);
    const secp256k1_context *ctx = secp256k1_context_static;
    uint8_t compact[64];
    memcpy(compact, rs, 64);
    if (ver == ECDSA_V1) {
        reduce_mod_n(compact);
        reduce_mod_n(compact + 32);
    }

    secp256k1_ecdsa_recoverable_signature sig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, compact, recid))
        return ECDSA_BAD_RS;
    if (!secp256k1_ecdsa_recover(ctx, key, &sig, msg_hash))
        return ECDSA_BAD_SIGNATURE;
    return ECDSA_OK;
}

/* The recovery id of a host-function signature: v, or v - 27 when v > 26;
 * -1 (BadV) unless that is 0..3. */
static int host_recovery_id(uint8_t v)
{
    int id = v > 26 ? v - 27 : v;
    return id <= 3 ? id : -1;
}

static ecdsa_status recover_serialized(ecdsa_version ver, const uint8_t sig[65],
                                       const uint8_t msg_hash[32], uint8_t *out, size_t out_len,
                                       unsigned flags)
{
    int recid = host_recovery_id(sig[64]);
    if (recid < 0)
        return ECDSA_BAD_V;
    secp256k1_pubkey key;
    ecdsa_status st = recover_key(ver, sig, recid, msg_hash, &key);
    if (st != ECDSA_OK)
        return st;
    uint8_t ser[65];
    size_t ser_len = sizeof ser;
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &ser_len, &key, flags);
    /* Uncompressed: drop the 0x04 tag. */
    memcpy(out, ser + (ser_len - out_len), out_len);
    return ECDSA_OK;
}

ecdsa_status ecdsa_recover(ecdsa_version ver, const uint8_t sig[65], const uint8_t msg_hash[32],
                           uint8_t out[64])
{
    return recover_serialized(ver, sig, msg_hash, out, 64, SECP256K1_EC_UNCOMPRESSED);
}

ecdsa_status ecdsa_recover_compressed(ecdsa_version ver, const uint8_t sig[65],
                                      const uint8_t msg_hash[32], uint8_t out[33])
{
    return recover_serialized(ver, sig, msg_hash, out, 33, SECP256K1_EC_COMPRESSED);
}

size_t ecdsa_result_scale(ecdsa_status st, const uint8_t *key, size_t key_len, uint8_t *out)
{
    if (st == ECDSA_OK) {
        out[0] = 0x00;
        memcpy(out + 1, key, key_len);
        return 1 + key_len;
    }
    out[0] = 0x01;
    out[1] = (uint8_t)(st - 1);
    return 2;
}

/*
 * Signature::recover_prehashed followed by a comparison with pub: the
 * recovery id is the raw last byte (0..3), and the recovered key, always
 * compressed, must equal the 33 given bytes (which are not parsed).
 */
static bool verify_hash(ecdsa_version ver, const uint8_t *sig, size_t sig_len,
                        const uint8_t msg_hash[32], const uint8_t *pub, size_t pub_len)
{
    if (sig_len != ECDSA_SIGNATURE_LEN || pub_len != ECDSA_PUBLIC_LEN || sig[64] > 3)
        return false;
    secp256k1_pubkey key;
    if (recover_key(ver, sig, sig[64], msg_hash, &key) != ECDSA_OK)
        return false;
    uint8_t ser[33];
    size_t ser_len = sizeof ser;
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, ser, &ser_len, &key,
                                  SECP256K1_EC_COMPRESSED);
    return memcmp(ser, pub, ECDSA_PUBLIC_LEN) == 0;
}

bool ecdsa_verify(ecdsa_version ver, const uint8_t *sig, size_t sig_len, const uint8_t *msg,
                  size_t msg_len, const uint8_t *pub, size_t pub_len)
{
    uint8_t hash[32];
    hash_blake2_256(msg, msg_len, hash);
    return verify_hash(ver, sig, sig_len, hash, pub, pub_len);
}

bool ecdsa_verify_prehashed(const uint8_t *sig, size_t sig_len, const uint8_t msg_hash[32],
                            const uint8_t *pub, size_t pub_len)
{
    return verify_hash(ECDSA_V2, sig, sig_len, msg_hash, pub, pub_len);
}

/*
 * hostfn_crypto.c — ext_crypto_*: signature verification and public-key
 * recovery. A PVF has no keystore: every function that needs one panics
 * (the call traps), as the reference's do. The legacy batch functions stay
 * linkable with their reference behaviour: *_batch_verify verifies at once
 * and, inside start/finish, ANDs the result into the batch.
 */
#include "runtime/ecdsa.h"
#include "runtime/ed25519.h"
#include "runtime/hostfn_abi.h"
#include "runtime/sr25519.h"

/* ---- verification: (sig ptr, msg span, public key ptr) -> bool --------------------------- */

typedef bool (*verify_fn)(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len,
                          const uint8_t *pub);

static int verify_call(pvf_caller *c, uint64_t *slots, uint32_t sig_len, uint32_t pub_len, verify_fn fn,
                       bool *result)
{
    uint32_t msg_len;
    const uint8_t *sig = hostfn_ptr(c, (uint32_t)slots[0], sig_len);
    const uint8_t *msg = sig ? hostfn_span(c, slots[1], &msg_len) : NULL;
    const uint8_t *pub = msg ? hostfn_ptr(c, (uint32_t)slots[2], pub_len) : NULL;
    if (!pub)
        return 1;
    *result = fn(c, sig, msg, msg_len, pub);
    slots[0] = *result;
    return 0;
}

static bool ed25519(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len, const uint8_t *pub)
{
    (void)c;
    return ed25519_verify(sig, msg, len, pub);
}

static bool sr25519_v1(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len, const uint8_t *pub)
{
    (void)c;
    return sr25519_verify_deprecated(sig, msg, len, pub);
}

static bool sr25519_v2(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len, const uint8_t *pub)
{
    (void)c;
    return sr25519_verify(sig, msg, len, pub);
}

static bool ecdsa_v1(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len, const uint8_t *pub)
{
    (void)c;
    return ecdsa_verify(ECDSA_V1, sig, ECDSA_SIGNATURE_LEN, msg, len, pub, ECDSA_PUBLIC_LEN);
}

static bool ecdsa_v2(pvf_caller *c, const uint8_t *sig, const uint8_t *msg, uint32_t len, const uint8_t *pub)
{
    (void)c;
    return ecdsa_verify(ECDSA_V2, sig, ECDSA_SIGNATURE_LEN, msg, len, pub, ECDSA_PUBLIC_LEN);
}

#define VERIFY_FN(name, fn, sig_len, pub_len)                                    \
    static int name(pvf_caller *c, void *ctx, uint64_t *slots)                   \
    {                                                                            \
        (void)ctx;                                                               \
        bool ok;                                                                 \
        return verify_call(c, slots, sig_len, pub_len, fn, &ok);                 \
    }

VERIFY_FN(ed25519_verify_v1, ed25519, ED25519_SIGNATURE_LEN, ED25519_PUBLIC_KEY_LEN)
VERIFY_FN(sr25519_verify_v1, sr25519_v1, SR25519_SIGNATURE_LEN, SR25519_PUBLIC_KEY_LEN)
VERIFY_FN(sr25519_verify_v2, sr25519_v2, SR25519_SIGNATURE_LEN, SR25519_PUBLIC_KEY_LEN)
VERIFY_FN(ecdsa_verify_v1, ecdsa_v1, ECDSA_SIGNATURE_LEN, ECDSA_PUBLIC_LEN)
VERIFY_FN(ecdsa_verify_v2, ecdsa_v2, ECDSA_SIGNATURE_LEN, ECDSA_PUBLIC_LEN)

static int ecdsa_verify_prehashed_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)ctx;
    const uint8_t *sig = hostfn_ptr(c, (uint32_t)slots[0], ECDSA_SIGNATURE_LEN);
    const uint8_t *msg = sig ? hostfn_ptr(c, (uint32_t)slots[1], 32) : NULL;
    const uint8_t *pub = msg ? hostfn_ptr(c, (uint32_t)slots[2], ECDSA_PUBLIC_LEN) : NULL;
    if (!pub)
        return 1;
    slots[0] = ecdsa_verify_prehashed(sig, ECDSA_SIGNATURE_LEN, msg, pub, ECDSA_PUBLIC_LEN);
    return 0;
}

/* ---- secp256k1 recovery: (sig ptr, msg hash ptr) -> Result<key, EcdsaVerifyError> span ---- */

static int recover(pvf_caller *c, hostfn_env *env, uint64_t *slots, ecdsa_version ver, bool compressed)
{
    const uint8_t *sig = hostfn_ptr(c, (uint32_t)slots[0], ECDSA_SIGNATURE_LEN);
    const uint8_t *msg = sig ? hostfn_ptr(c, (uint32_t)slots[1], 32) : NULL;
    if (!msg)
        return 1;
    uint8_t key[64], enc[1 + 64];
    size_t key_len = compressed ? ECDSA_PUBLIC_LEN : ECDSA_PUBLIC_FULL_LEN;
    ecdsa_status st = compressed ? ecdsa_recover_compressed(ver, sig, msg, key) : ecdsa_recover(ver, sig, msg, key);
    size_t n = ecdsa_result_scale(st, key, key_len, enc);
    uint64_t span;
    if (!hostfn_return_span(c, env, enc, (uint32_t)n, &span))
        return 1;
    slots[0] = span;
    return 0;
}

#define RECOVER_FN(name, ver, compressed)                                        \
    static int name(pvf_caller *c, void *ctx, uint64_t *slots)                   \
    {                                                                            \
        return recover(c, ctx, slots, ver, compressed);                          \
    }

RECOVER_FN(recover_v1, ECDSA_V1, false)
RECOVER_FN(recover_v2, ECDSA_V2, false)
RECOVER_FN(recover_compressed_v1, ECDSA_V1, true)
RECOVER_FN(recover_compressed_v2, ECDSA_V2, true)

/* ---- legacy batch verification ------------------------------------------------------------ */

static int batch_verify(pvf_caller *c, hostfn_env *env, uint64_t *slots, uint32_t sig_len, uint32_t pub_len,
                        verify_fn fn)
{
    bool ok;
    if (verify_call(c, slots, sig_len, pub_len, fn, &ok))
        return 1;
    if (env->batch_active)
        env->batch_ok &= ok;
    return 0;
}

static int ed25519_batch_verify(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return batch_verify(c, ctx, slots, ED25519_SIGNATURE_LEN, ED25519_PUBLIC_KEY_LEN, ed25519);
}

static int sr25519_batch_verify(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return batch_verify(c, ctx, slots, SR25519_SIGNATURE_LEN, SR25519_PUBLIC_KEY_LEN, sr25519_v2);
}

static int ecdsa_batch_verify(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return batch_verify(c, ctx, slots, ECDSA_SIGNATURE_LEN, ECDSA_PUBLIC_LEN, ecdsa_v2);
}

static int start_batch_verify(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)slots;
    hostfn_env *env = ctx;
    if (env->batch_active)
        return pvf_caller_trap(c, "Failed to register required extension: `VerificationExt`");
    env->batch_active = true;
    env->batch_ok = true;
    return 0;
}

static int finish_batch_verify(pvf_caller *c, void *ctx, uint64_t *slots)
{
    hostfn_env *env = ctx;
    if (!env->batch_active)
        return pvf_caller_trap(c, "`finish_batch_verify` should only be called after `start_batch_verify`");
    env->batch_active = false;
    slots[0] = env->batch_ok;
    return 0;
}

/* ---- the keystore: not available to PVFs ------------------------------------------------- */

static int no_keystore(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)ctx;
    (void)slots;
    return pvf_caller_trap(c, "No `keystore` associated for the current context!");
}

const hostfn_fn_def hostfn_crypto_fns[] = {
    { "ext_crypto_ed25519_verify_version_1", "iIi:i", ed25519_verify_v1 },
    { "ext_crypto_sr25519_verify_version_1", "iIi:i", sr25519_verify_v1 },
    { "ext_crypto_sr25519_verify_version_2", "iIi:i", sr25519_verify_v2 },
    { "ext_crypto_ecdsa_verify_version_1", "iIi:i", ecdsa_verify_v1 },
    { "ext_crypto_ecdsa_verify_version_2", "iIi:i", ecdsa_verify_v2 },
    { "ext_crypto_ecdsa_verify_prehashed_version_1", "iii:i", ecdsa_verify_prehashed_v1 },
    { "ext_crypto_secp256k1_ecdsa_recover_version_1", "ii:I", recover_v1 },
    { "ext_crypto_secp256k1_ecdsa_recover_version_2", "ii:I", recover_v2 },
    { "ext_crypto_secp256k1_ecdsa_recover_compressed_version_1", "ii:I", recover_compressed_v1 },
    { "ext_crypto_secp256k1_ecdsa_recover_compressed_version_2", "ii:I", recover_compressed_v2 },
    { "ext_crypto_ed25519_batch_verify_version_1", "iIi:i", ed25519_batch_verify },
    { "ext_crypto_sr25519_batch_verify_version_1", "iIi:i", sr25519_batch_verify },
    { "ext_crypto_ecdsa_batch_verify_version_1", "iIi:i", ecdsa_batch_verify },
    { "ext_crypto_start_batch_verify_version_1", ":", start_batch_verify },
    { "ext_crypto_finish_batch_verify_version_1", ":i", finish_batch_verify },
    { "ext_crypto_ed25519_public_keys_version_1", "i:I", no_keystore },
    { "ext_crypto_ed25519_generate_version_1", "iI:i", no_keystore },
    { "ext_crypto_ed25519_sign_version_1", "iiI:I", no_keystore },
    { "ext_crypto_sr25519_public_keys_version_1", "i:I", no_keystore },
    { "ext_crypto_sr25519_generate_version_1", "iI:i", no_keystore },
    { "ext_crypto_sr25519_sign_version_1", "iiI:I", no_keystore },
    { "ext_crypto_ecdsa_public_keys_version_1", "i:I", no_keystore },
    { "ext_crypto_ecdsa_generate_version_1", "iI:i", no_keystore },
    { "ext_crypto_ecdsa_sign_version_1", "iiI:I", no_keystore },
    { "ext_crypto_ecdsa_sign_prehashed_version_1", "iii:I", no_keystore },
    { NULL, NULL, NULL },
};

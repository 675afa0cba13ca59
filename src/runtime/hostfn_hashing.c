/*
 * hostfn_hashing.c — ext_hashing_*: hash a byte slice, return a pointer to the
 * digest written into memory the runtime's allocator provides.
 */
#include "runtime/hashing.h"
#include "runtime/hostfn_abi.h"

static int hash_into_heap(pvf_caller *c, hostfn_env *env, uint64_t *slots, hash_fn fn, uint32_t out_len)
{
    uint32_t len;
    const uint8_t *data = hostfn_span(c, slots[0], &len);
    if (!data)
        return 1;
    uint8_t digest[64];
    fn(data, len, digest);
    uint32_t ptr = hostfn_alloc_copy(c, env, digest, out_len);
    if (!ptr)
        return 1;
    slots[0] = ptr;
    return 0;
}

#define HASH_FN(name, fn, n)                                                     \
    static int host_##name(pvf_caller *c, void *ctx, uint64_t *slots)            \
    {                                                                            \
        return hash_into_heap(c, ctx, slots, (hash_fn)fn, n);                    \
    }

HASH_FN(keccak_256, hash_keccak_256, 32)
HASH_FN(keccak_512, hash_keccak_512, 64)
HASH_FN(sha2_256, hash_sha2_256, 32)
HASH_FN(blake2_128, hash_blake2_128, 16)
HASH_FN(blake2_256, hash_blake2_256, 32)
HASH_FN(twox_64, hash_twox_64, 8)
HASH_FN(twox_128, hash_twox_128, 16)
HASH_FN(twox_256, hash_twox_256, 32)

const hostfn_fn_def hostfn_hashing_fns[] = {
    { "ext_hashing_keccak_256_version_1", "I:i", host_keccak_256 },
    { "ext_hashing_keccak_512_version_1", "I:i", host_keccak_512 },
    { "ext_hashing_sha2_256_version_1", "I:i", host_sha2_256 },
    { "ext_hashing_blake2_128_version_1", "I:i", host_blake2_128 },
    { "ext_hashing_blake2_256_version_1", "I:i", host_blake2_256 },
    { "ext_hashing_twox_64_version_1", "I:i", host_twox_64 },
    { "ext_hashing_twox_128_version_1", "I:i", host_twox_128 },
    { "ext_hashing_twox_256_version_1", "I:i", host_twox_256 },
    { NULL, NULL, NULL },
};

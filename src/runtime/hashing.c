/*
 * hashing.c — Substrate's hashing host functions (see hashing.h): thin
 * wrappers over libsodium, libxxhash and our Keccak.
 *
 * libsodium works before sodium_init(), but only with its portable BLAKE2b
 * and SHA-256; sodium_init() selects the SIMD versions. It is called once,
 * on first use, through pthread_once so that workers need no setup call.
 */
#include "runtime/hashing.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <xxhash.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
    /* A failure (-1) only means the portable implementations stay in
     * use; results are the same either way. */
    if (sodium_init() < 0)
        return;
}

void hashing_init(void)
{
    pthread_once(&sodium_once, sodium_setup);
}

/* libsodium and libxxhash take a NULL pointer for an empty input, but an
 * empty input from a caller may come with any pointer: pass a valid one. */
static const uint8_t *nonnull(const uint8_t *data, size_t len)
{
    static const uint8_t empty[1];
    return len ? data : empty;
}

void hash_sha2_256(const uint8_t *data, size_t len, uint8_t out[32])
{
    pthread_once(&sodium_once, sodium_setup);
    crypto_hash_sha256(out, nonnull(data, len), len);
}

static void blake2b(const uint8_t *data, size_t len, uint8_t *out, size_t outlen)
{
    pthread_once(&sodium_once, sodium_setup);
    /* Cannot fail: outlen is 16 or 32, within BYTES_MIN..BYTES_MAX, no key. */
    crypto_generichash(out, outlen, nonnull(data, len), len, NULL, 0);
}

void hash_blake2_128(const uint8_t *data, size_t len, uint8_t out[16])
{
    blake2b(data, len, out, 16);
}

void hash_blake2_256(const uint8_t *data, size_t len, uint8_t out[32])
{
    blake2b(data, len, out, 32);
}

/* XXH64 with seeds 0 .. n-1, each value stored little-endian. */
static void twox(const uint8_t *data, size_t len, uint8_t *out, unsigned n)
{
    data = nonnull(data, len);
    for (unsigned seed = 0; seed < n; seed++) {
        uint64_t h = XXH64(data, len, seed);
        for (int i = 0; i < 8; i++)
            out[8 * seed + i] = (uint8_t)(h >> (8 * i));
    }
}

void hash_twox_64(const uint8_t *data, size_t len, uint8_t out[8])
{
    twox(data, len, out, 1);
}

void hash_twox_128(const uint8_t *data, size_t len, uint8_t out[16])
{
    twox(data, len, out, 2);
}

void hash_twox_256(const uint8_t *data, size_t len, uint8_t out[32])
{
    twox(data, len, out, 4);
}

void hash_keccak_256(const uint8_t *data, size_t len, uint8_t out[32])
{
    keccak_256(nonnull(data, len), len, out);
}

void hash_keccak_512(const uint8_t *data, size_t len, uint8_t out[64])
{
    keccak_512(nonnull(data, len), len, out);
}

static const struct {
    const char *name;
    hash_fn fn;
    size_t out_len;
} HASHES[] = {
    { "keccak_256", hash_keccak_256, 32 }, { "keccak_512", hash_keccak_512, 64 },
    { "sha2_256", hash_sha2_256, 32 },     { "blake2_128", hash_blake2_128, 16 },
    { "blake2_256", hash_blake2_256, 32 }, { "twox_64", hash_twox_64, 8 },
    { "twox_128", hash_twox_128, 16 },     { "twox_256", hash_twox_256, 32 },
};

hash_fn hash_by_name(const char *name, size_t *out_len)
{
    for (size_t i = 0; i < sizeof HASHES / sizeof HASHES[0]; i++) {
        if (strcmp(HASHES[i].name, name) == 0) {
            *out_len = HASHES[i].out_len;
            return HASHES[i].fn;
        }
    }
    return NULL;
}

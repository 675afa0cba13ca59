/*
 * hashing.h — the hashes of Substrate's `ext_hashing_*` host functions,
 * byte for byte as sp-crypto-hashing computes them.
 *
 *   sha2_256     SHA-256                                    (libsodium)
 *   blake2_128   BLAKE2b, 16-byte output, no key            (libsodium)
 *   blake2_256   BLAKE2b, 32-byte output, no key            (libsodium)
 *   twox_64      XXH64(seed 0)                              (libxxhash)
 *   twox_128     XXH64(seed 0) ‖ XXH64(seed 1)
 *   twox_256     XXH64(seed 0) ‖ … ‖ XXH64(seed 3)
 *   keccak_256   original Keccak (0x01 padding)             (keccak.c)
 *   keccak_512
 *
 * Each XXH64 value is written as 8 little-endian bytes (sp-crypto-hashing's
 * LittleEndian::write_u64). Note that BLAKE2b with a 16- or 32-byte output is
 * not a truncated 64-byte BLAKE2b: the output length is part of the
 * parameter block.
 *
 * All functions take any length (including 0, where `data` may be NULL) and
 * cannot fail. They are thread-safe.
 */
#ifndef PVF_RUNTIME_HASHING_H
#define PVF_RUNTIME_HASHING_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/keccak.h"

/* libsodium's one-time setup (it reads getrandom), now; otherwise at the first hash. */
void hashing_init(void);

void hash_sha2_256(const uint8_t *data, size_t len, uint8_t out[32]);
void hash_blake2_128(const uint8_t *data, size_t len, uint8_t out[16]);
void hash_blake2_256(const uint8_t *data, size_t len, uint8_t out[32]);
void hash_twox_64(const uint8_t *data, size_t len, uint8_t out[8]);
void hash_twox_128(const uint8_t *data, size_t len, uint8_t out[16]);
void hash_twox_256(const uint8_t *data, size_t len, uint8_t out[32]);
void hash_keccak_256(const uint8_t *data, size_t len, uint8_t out[32]);
void hash_keccak_512(const uint8_t *data, size_t len, uint8_t out[64]);

/*
 * The same, chosen by the host function's name without "ext_hashing_" and
 * "_version_1" ("keccak_256", "twox_128", ...), for a table-driven host
 * binding. Returns NULL for an unknown name; *out_len gets the digest size.
 */
typedef void (*hash_fn)(const uint8_t *data, size_t len, uint8_t *out);
hash_fn hash_by_name(const char *name, size_t *out_len);

#endif

/*
 * keccak.h — the Keccak-f[1600] permutation and the Keccak-256/512 hashes.
 *
 * The hashes are the *original* Keccak submission as Ethereum and Substrate
 * (sp-crypto-hashing's keccak_256/keccak_512, i.e. sha3::Keccak256/512) use
 * it: multi-rate padding with domain byte 0x01, not FIPS-202 SHA-3's 0x06.
 * So keccak_256("") = c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470.
 *
 *   uint8_t h[32];
 *   keccak_256(data, len, h);
 *
 * The raw permutation is exported for sponge constructions built on it (the
 * STROBE-128 duplex inside Merlin transcripts). The state is 25 64-bit lanes;
 * lane i = x + 5*y holds bytes 8i..8i+7 of the 200-byte state, least
 * significant byte first. On a little-endian machine that is exactly the
 * memory layout of uint64_t[25], so a byte-oriented user may keep the state
 * as a union of uint8_t[200] and uint64_t[25]; keccak_f1600_bytes() does the
 * same without relying on byte order.
 */
#ifndef PVF_RUNTIME_KECCAK_H
#define PVF_RUNTIME_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK_LANES 25
#define KECCAK_STATE_BYTES 200

/* The 24-round permutation, in place. */
void keccak_f1600(uint64_t st[KECCAK_LANES]);

/* The same on a 200-byte state (lanes little-endian). */
void keccak_f1600_bytes(uint8_t st[KECCAK_STATE_BYTES]);

/* Keccak-256 (rate 136 bytes) and Keccak-512 (rate 72 bytes) of len bytes. */
void keccak_256(const uint8_t *data, size_t len, uint8_t out[32]);
void keccak_512(const uint8_t *data, size_t len, uint8_t out[64]);

#endif

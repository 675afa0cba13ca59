/*
 * header.h — a Substrate block header (generic::Header<u32, BlakeTwo256>) as SCALE bytes:
 *
 *   parent_hash [u8; 32] ++ Compact<u32> number ++ state_root [u8; 32] ++ extrinsics_root [u8; 32]
 *   ++ digest: Vec<DigestItem>
 *
 * DigestItem: Other = 0 (Vec<u8>), Consensus = 4, Seal = 5, PreRuntime = 6 (each engine id
 * [u8; 4] ++ Vec<u8>), RuntimeEnvironmentUpdated = 8. The block hash is blake2_256 of the
 * encoded header.
 */
#ifndef PVF_AUTHOR_HEADER_H
#define PVF_AUTHOR_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_CONSENSUS 4
#define DIGEST_SEAL 5
#define DIGEST_PRE_RUNTIME 6

typedef struct header_view {
    const uint8_t *parent_hash;
    uint32_t number;
    const uint8_t *state_root;
    const uint8_t *extrinsics_root;
    uint32_t digest_count;
    size_t digest_offset;       /* where the digest's items start */
} header_view;

/* Decode the fixed part of an encoded header; the digest's items are not parsed. */
bool header_view_decode(const uint8_t *h, size_t len, header_view *out);

/* A header to initialize a block with: parent hash, number, digest of `items` (already encoded). */
bool header_encode_new(const uint8_t parent_hash[32], uint32_t number, const uint8_t *items, size_t items_len,
                       uint32_t nitems, uint8_t **out, size_t *out_len);

/* The encoded header with one more digest item (engine id, payload) of kind `kind` appended. */
bool header_append_digest(const uint8_t *h, size_t len, uint8_t kind, const char engine[4], const uint8_t *payload,
                          size_t plen, uint8_t **out, size_t *out_len);

/* Encode one digest item (kind, engine id, payload) into w. */
struct scale_writer;
void digest_item_write(struct scale_writer *w, uint8_t kind, const char engine[4], const uint8_t *payload,
                       size_t plen);

#endif

/*
 * trie_codec.h — sp-trie's NodeCodec: decoding and encoding one trie node (internal to
 * trie_root.c and trie_proof.c; the public API is trie.h).
 *
 * A node is
 *
 *   header     node kind + partial-key length in nibbles:
 *                0x00                      empty trie
 *                01nn_nnnn                 leaf                       (6-bit length)
 *                10nn_nnnn                 branch without value       (6-bit length)
 *                11nn_nnnn                 branch with value          (6-bit length)
 *                001n_nnnn                 leaf, hashed value         (5-bit length)
 *                0001_nnnn                 branch, hashed value       (4-bit length)
 *              a length field of all ones continues in the next bytes: each 255 adds 255
 *              and goes on, a byte below 255 adds itself + 1 and ends (so the first byte
 *              holds 0 .. max-1 directly). Any other 0x01..0x0f byte is not a node.
 *   partial    ceil(n / 2) bytes; an odd count leaves the high nibble of the first byte 0
 *   bitmap     branches: u16 LE, bit i = child i present; 0 is not allowed
 *   value      inline: SCALE compact length + bytes; hashed: the 32-byte hash
 *   children   branches, for each bit: compact length + bytes; length 32 is a hash,
 *              anything else an inline node (in a compact proof, length 0 = "next proof node")
 *
 * Decoding follows sp-trie exactly, including what it does not check: bytes after the end
 * of the node are ignored; a child reference's length is not limited (the proof verifier
 * rejects those over 32 bytes when it uses them).
 */
#ifndef PVF_RUNTIME_TRIE_CODEC_H
#define PVF_RUNTIME_TRIE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/scale.h"

#define TRIE_HASH_LEN 32
#define TRIE_CHILDREN 16

typedef enum trie_node_kind { TRIE_NODE_EMPTY, TRIE_NODE_LEAF, TRIE_NODE_BRANCH } trie_node_kind;
typedef enum trie_value_kind { TRIE_VALUE_NONE, TRIE_VALUE_INLINE, TRIE_VALUE_HASHED } trie_value_kind;

/* A decoded node; every pointer is a view into the decoded bytes (or, when re-encoding a
 * modified copy, into whatever the caller substituted). */
typedef struct trie_node {
    trie_node_kind kind;
    size_t nibbles;             /* partial-key length */
    const uint8_t *partial;     /* (nibbles + 1) / 2 bytes */
    trie_value_kind value_kind; /* a leaf always has a value */
    scale_bytes value;          /* INLINE: the bytes; HASHED: 32 bytes */
    uint16_t bitmap;            /* branches */
    scale_bytes children[TRIE_CHILDREN]; /* children[i] valid when bit i is set */
} trie_node;

/* Decode the node at the start of data[0..len). False when it is not one. */
bool trie_node_decode(const uint8_t *data, size_t len, trie_node *out);

/* Nibble i (0 = high half of byte 0) of a byte string. */
static inline unsigned trie_nibble_at(const uint8_t *bytes, size_t i)
{
    return i & 1 ? bytes[i >> 1] & 0x0f : bytes[i >> 1] >> 4;
}

/* Nibble i of a node's partial key. */
static inline unsigned trie_partial_nibble(const trie_node *n, size_t i)
{
    return trie_nibble_at(n->partial, i + (n->nibbles & 1));
}

/* Header kinds, for trie_write_header. */
typedef enum trie_header_kind {
    TRIE_HDR_LEAF,
    TRIE_HDR_BRANCH_NO_VALUE,
    TRIE_HDR_BRANCH_WITH_VALUE,
    TRIE_HDR_HASHED_LEAF,
    TRIE_HDR_HASHED_BRANCH,
} trie_header_kind;

void trie_write_header(scale_writer *w, trie_header_kind kind, size_t nibbles);

/* `count` nibbles of `bytes` starting at nibble `first`, packed as a partial key. */
void trie_write_partial(scale_writer *w, const uint8_t *bytes, size_t first, size_t count);

/* A node's value: compact length + bytes, or the 32-byte hash. */
void trie_write_value(scale_writer *w, trie_value_kind kind, const uint8_t *bytes, size_t len);

/* The encoding of `n` (its header chosen from its kind and value kind). */
void trie_node_encode(scale_writer *w, const trie_node *n);

#endif

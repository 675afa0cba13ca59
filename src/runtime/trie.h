/*
 * trie.h — the Substrate base-16 Merkle trie, as the ext_trie_* host functions compute it.
 *
 *   uint8_t root[32];
 *   trie_root(trie_blake2_256, TRIE_LAYOUT_V0, entries, n, root);         // ext_trie_blake2_256_root_version_1
 *   trie_ordered_root(keccak_256, TRIE_LAYOUT_V1, values, n, root);       // ..._keccak_256_ordered_root_version_2(.., 1)
 *   if (trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, nodes, nnodes,
 *                         key, key_len, value, value_len) == TRIE_PROOF_OK) ...
 *
 * What the host functions map to (sp-io's `Trie` interface):
 *   ext_trie_{blake2_256,keccak_256}_root_version_1(input)            trie_root, LayoutV0
 *   ext_trie_{..}_root_version_2(input, state_version)                trie_root, V0 or V1
 *   ext_trie_{..}_ordered_root_version_{1,2}                          trie_ordered_root, likewise
 *   ext_trie_{..}_verify_proof_version_1(root, proof, key, value)     trie_verify_proof, LayoutV0
 *   ext_trie_{..}_verify_proof_version_2(.., state_version)           V0 or V1
 * `input` is a SCALE Vec<(Vec<u8>, Vec<u8>)> (root) or Vec<Vec<u8>> (ordered_root), `proof`
 * a Vec<Vec<u8>>; state_version 0 is V0, 1 is V1 (anything else does not decode: the host
 * function panics). Decoding those and marshalling the result is the host glue's job.
 *
 * The trie (sp-trie's NodeCodec, no extension nodes): a node is a header, the partial key,
 * then for a branch a 16-bit child bitmap, the optional value, and each child — inline when
 * its encoding is shorter than 32 bytes, else its 32-byte hash. The two layouts differ in one
 * point only: LayoutV1 stores a value of 33 bytes or more as its hash (a "hashed value"
 * node), LayoutV0 always inline. The root of the empty trie is hash(0x00). Both hashers
 * give 32 bytes; the hash of a hashed value is the trie's hasher too (keccak for a keccak
 * trie — smoldot 1.5.1 gets that wrong; Substrate does not).
 *
 * Roots (trie-root's algorithm): the entries are sorted by key; when a key occurs more than
 * once the value given LAST wins (trie-root collects them into a BTreeMap). The ordered
 * root is the root of (SCALE-compact(i), values[i]).
 *
 * Proofs are trie-db's *compact* proofs (trie_db::proof, generate_proof / verify_proof),
 * not plain node sets: the nodes on the key's path in pre-order from the root, with the
 * proven value omitted (a leaf carries an empty inline value, a branch none — for a hashed
 * value too: the verifier hashes the value it is given) and every hash-referenced child on
 * the path replaced by an empty (length 0) reference to the next proof node. The verifier
 * rebuilds the nodes bottom-up and compares the hash of the rebuilt root. It is strict where
 * trie-db is — any node too many, a hash reference on the path, a value present that should
 * have been omitted, a child reference longer than 32 bytes, a node that does not decode —
 * and lenient where trie-db is: bytes after the end of a node are ignored (the rebuilt
 * node, not the given one, is hashed).
 *
 * Memory: work space proportional to the input. No recursion (the depth of a trie is up to
 * the number of entries, of a proof up to twice the key length). Allocation failure is
 * reported (false / TRIE_PROOF_NOMEM), never a crash.
 */
#ifndef PVF_RUNTIME_TRIE_H
#define PVF_RUNTIME_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/scale.h"

/* A 32-byte hash. keccak_256 (runtime/keccak.h) has this type already. */
typedef void (*trie_hash_fn)(const uint8_t *data, size_t len, uint8_t out[32]);

/* BLAKE2b-256 (libsodium). */
void trie_blake2_256(const uint8_t *data, size_t len, uint8_t out[32]);

typedef enum trie_layout {
    TRIE_LAYOUT_V0 = 0,     /* StateVersion::V0: values always inline */
    TRIE_LAYOUT_V1 = 1,     /* StateVersion::V1: values >= TRIE_VALUE_NODE_THRESHOLD bytes by hash */
} trie_layout;

#define TRIE_VALUE_NODE_THRESHOLD 33

typedef struct trie_entry {
    scale_bytes key;
    scale_bytes value;
} trie_entry;

/* The root of the trie of `n` entries (any order; for a repeated key the last one counts).
 * False only when memory runs out. */
bool trie_root(trie_hash_fn hash, trie_layout layout, const trie_entry *entries, size_t n,
               uint8_t out[32]);

/* The root of the trie mapping SCALE-compact(i) to values[i], i < n (n < 2^32). */
bool trie_ordered_root(trie_hash_fn hash, trie_layout layout, const scale_bytes *values, size_t n,
                       uint8_t out[32]);

/* trie-db's proof::VerifyError kinds, for diagnostics; the host functions only ask "OK?". */
typedef enum trie_proof_result {
    TRIE_PROOF_OK = 0,
    TRIE_PROOF_DECODE_ERROR,            /* a node that does not decode */
    TRIE_PROOF_INCOMPLETE,              /* a node is missing */
    TRIE_PROOF_EXTRANEOUS_NODE,         /* nodes left over after the root was rebuilt */
    TRIE_PROOF_EXTRANEOUS_VALUE,        /* the key's value is in the proof instead of omitted */
    TRIE_PROOF_EXTRANEOUS_HASH_REFERENCE, /* a hash reference on the path instead of an empty one */
    TRIE_PROOF_INVALID_CHILD_REFERENCE, /* a child reference (or rebuilt inline node) over 32 bytes */
    TRIE_PROOF_VALUE_MISMATCH,          /* the path says the key has no value */
    TRIE_PROOF_ROOT_MISMATCH,           /* the rebuilt root hashes to something else */
    TRIE_PROOF_NOMEM,                   /* out of memory: not a verdict */
} trie_proof_result;

const char *trie_proof_result_name(trie_proof_result r);

/* Does the compact proof `nodes[0..n)` show that `key` maps to `value` under `root`? */
trie_proof_result trie_verify_proof(trie_hash_fn hash, trie_layout layout, const uint8_t root[32],
                                    const scale_bytes *nodes, size_t n, const uint8_t *key,
                                    size_t key_len, const uint8_t *value, size_t value_len);

#endif

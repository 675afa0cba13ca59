/*
 * state_trie.h — a block's parent state as a trie in memory, with every node the block
 * reads recorded: what a collator's proof recorder sees, and what validate_block needs.
 *
 *   state_trie *t = state_trie_new(entries, n, TRIE_LAYOUT_V1, err, errlen);   // sorted, unique
 *   state_trie_record_path(t, key, key_len, true);       // a read of `key` (value included)
 *   state_trie_delta_root(t, changes, nchanges, layout, root);   // the root after the block
 *   state_trie_compact_proof(t, &proof);                  // the nodes read, as a CompactProof
 *
 * The trie is sp-trie's (trie.h, trie_codec.h): built from the entries as trie-root builds it,
 * so its root is trie_root()'s. Nodes keep their partial keys one nibble per byte.
 *
 * What counts as read follows trie-db (TrieDB lookups, TrieDBMut's inserts and removals),
 * the way sp-state-machine's TrieBackend reaches them:
 *   - a lookup reads every node on the key's path, as far as the path exists; reading the
 *     value itself also reads a hashed value node (LayoutV1, values of 33 bytes or more);
 *   - the root after a set of changes applies them in key order to a copy-on-write copy
 *     (insert, remove, and on removal the "fix" that merges a branch left with one child
 *     into that child, which reads the child) — every parent node such an edit touches is
 *     read. That copy gives the new root.
 *
 * Keys are at most STATE_TRIE_MAX_KEY bytes: building, editing and encoding recurse once
 * per node level, and a level takes at least one nibble of the key.
 */
#ifndef PVF_AUTHOR_STATE_TRIE_H
#define PVF_AUTHOR_STATE_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/trie.h"

#define STATE_TRIE_MAX_KEY 4096

typedef struct state_trie state_trie;

/* One change: value NULL (and len 0) removes the key. */
typedef struct state_change {
    scale_bytes key;
    const uint8_t *value;
    size_t value_len;
} state_change;

/*
 * The trie of `n` entries, sorted by key, each key once (checked). The entries' bytes are
 * referenced, not copied: they must outlive the trie. NULL with err on a bad entry list or
 * out of memory.
 */
state_trie *state_trie_new(const trie_entry *entries, size_t n, trie_layout layout, char *err,
                           size_t errlen);
void state_trie_free(state_trie *t);

void state_trie_root(const state_trie *t, uint8_t out[32]);

/* Record a lookup of `key`: its path, and its hashed value node when `value` is read. */
void state_trie_record_path(state_trie *t, const uint8_t *key, size_t key_len, bool value);

/* Forget every record (the trie becomes the parent of a fresh block). */
void state_trie_clear_records(state_trie *t);

/*
 * The root of the state after `changes` (sorted by key, each key once), computed with
 * `layout`, recording every node the edits read. False only when memory runs out.
 */
bool state_trie_delta_root(state_trie *t, const state_change *changes, size_t n, trie_layout layout,
                           uint8_t out[32]);

/*
 * The recorded nodes as sp-trie's CompactProof (trie-db encode_compact): SCALE
 * Vec<Vec<u8>>, malloc'd into *out. False when memory runs out.
 */
bool state_trie_compact_proof(const state_trie *t, uint8_t **out, size_t *out_len, size_t *nodes);

/*
 * Every node of the trie (hash-referenced nodes and hashed values), as a StorageProof (SCALE
 * Vec<Vec<u8>>, sorted, each node once): a proof of every key. False when memory runs out.
 */
bool state_trie_full_proof(const state_trie *t, uint8_t **out, size_t *out_len);

/* The recorded nodes as a StorageProof (what cumulus shipped before compact proofs, 2021). */
bool state_trie_recorded_proof(const state_trie *t, uint8_t **out, size_t *out_len, size_t *nodes);

#endif

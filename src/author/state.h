/*
 * state.h — a whole key-value state (a chain spec's genesis, a block's post-state): entries
 * sorted by key, each key once, every key and value malloc'd and owned by the state.
 */
#ifndef PVF_AUTHOR_STATE_H
#define PVF_AUTHOR_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/trie.h"

typedef struct author_state {
    trie_entry *entries;
    size_t n;
    size_t cap;
} author_state;

void author_state_free(author_state *s);

/* Index of the first entry whose key is >= key (n when none). */
size_t author_state_lower_bound(const author_state *s, const uint8_t *key, size_t klen);
const trie_entry *author_state_find(const author_state *s, const uint8_t *key, size_t klen);

/* Append a copy of (key, value): keys must come in increasing order. False when memory runs out. */
bool author_state_push(author_state *s, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);

/* Set key to a copy of value (inserted at its place, or replaced). False when memory runs out. */
bool author_state_set(author_state *s, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);

/* A FRAME storage item's key: twox128(pallet) ++ twox128(item). */
void storage_item_key(const char *pallet, const char *item, uint8_t key[32]);

/* Set a FRAME storage value of type u32 (4 bytes, little endian). False when memory runs out. */
bool author_state_set_u32(author_state *s, const char *pallet, const char *item, uint32_t v);

/* Remove every key starting with prefix. */
void author_state_clear_prefix(author_state *s, const uint8_t *prefix, size_t plen);

#endif

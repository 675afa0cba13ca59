/*
 * externalities.h — the storage a runtime sees while a block is authored: the parent state
 * (a state_trie, every read recorded), the block's changes over it (an overlay with
 * transactions), and default child tries (changes only: the parent state has none).
 *
 * What each operation reads from the parent trie is what sp-state-machine's Ext reads from
 * its TrieBackend (state_trie.h says what a read records): get, read and append read the key
 * and its value, exists only the key's path; next_key reads the key's path and the next key's; clear_prefix
 * reads every key under the prefix (as far as its limit allows); root applies the changes.
 */
#ifndef PVF_AUTHOR_EXTERNALITIES_H
#define PVF_AUTHOR_EXTERNALITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "author/overlay.h"
#include "author/state.h"
#include "author/state_trie.h"

typedef struct externalities {
    author_state parent;        /* the parent block's state */
    state_trie *trie;           /* its trie */
    trie_layout layout;         /* the runtime's state version */
    overlay top;                /* the block's changes */
    overlay child;              /* default child tries: key = compact(len) ++ storage key ++ key */
    uint64_t reads, writes;     /* counters for reports */
} externalities;

/* Take `parent` over (it must be sorted, unique). False with err. */
bool ext_init(externalities *x, author_state *parent, trie_layout layout, char *err, size_t errlen);
void ext_free(externalities *x);

/* The current value of `key`, or false when it has none. The view lasts until the next change. */
bool ext_get(externalities *x, const uint8_t *key, size_t klen, const uint8_t **val, size_t *vlen);
bool ext_exists(externalities *x, const uint8_t *key, size_t klen);
bool ext_set(externalities *x, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
bool ext_clear(externalities *x, const uint8_t *key, size_t klen);
/* The smallest key greater than `key` that has a value; false when none. */
bool ext_next_key(externalities *x, const uint8_t *key, size_t klen, const uint8_t **next, size_t *next_len);
/*
 * Remove every key starting with `prefix`; with `limit`, at most that many keys of the parent
 * state (changed keys always go). *loops counts the parent's keys removed, *all says whether
 * none is left. False when memory runs out.
 */
bool ext_clear_prefix(externalities *x, const uint8_t *prefix, size_t plen, bool has_limit, uint32_t limit,
                      uint32_t *loops, bool *all);
/* sp-state-machine's StorageAppend: `item` (already SCALE-encoded) appended to the Vec at key. */
bool ext_append(externalities *x, const uint8_t *key, size_t klen, const uint8_t *item, size_t ilen);
/* The state root after the changes so far (child roots included). False when memory runs out. */
bool ext_root(externalities *x, trie_layout layout, uint8_t out[32]);

/* Child tries: the same operations in the child trie `sk` (its storage key, without prefix). */
bool ext_child_get(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                   const uint8_t **val, size_t *vlen);
bool ext_child_set(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                   const uint8_t *val, size_t vlen);
bool ext_child_next_key(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                        const uint8_t **next, size_t *next_len);
bool ext_child_clear_prefix(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *prefix,
                            size_t plen, uint32_t *removed);
bool ext_child_root(externalities *x, const uint8_t *sk, size_t sklen, trie_layout layout, uint8_t out[32],
                    bool *empty);

void ext_start_transaction(externalities *x);
bool ext_commit_transaction(externalities *x);     /* false: none open */
bool ext_rollback_transaction(externalities *x);

/*
 * End the block: the parent state with every change applied becomes the new parent (records
 * cleared, changes dropped). Its root, built from scratch, must equal the root `expect` the
 * block computed; false with err otherwise.
 */
bool ext_finish_block(externalities *x, const uint8_t expect[32], char *err, size_t errlen);

#endif

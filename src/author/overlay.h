/*
 * overlay.h — the changes a block makes over its parent state, with nested transactions
 * (sp-state-machine's OverlayedChanges, for one trie).
 *
 *   overlay o = { 0 };
 *   overlay_set(&o, key, klen, value, vlen);     // value NULL: the key is removed
 *   const overlay_entry *e = overlay_find(&o, key, klen);   // NULL: unchanged
 *   overlay_start(&o); ... overlay_rollback(&o);  // or overlay_commit
 *   overlay_free(&o);
 *
 * Entries are kept sorted by key (binary search; blocks change hundreds of keys, not
 * millions). A transaction keeps an undo record of each key's entry before its first change
 * in it; rollback restores them, commit hands them to the enclosing transaction.
 */
#ifndef PVF_AUTHOR_OVERLAY_H
#define PVF_AUTHOR_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct overlay_entry {
    uint8_t *key;
    size_t key_len;
    uint8_t *value;             /* NULL: removed */
    size_t value_len;
} overlay_entry;

typedef struct overlay_undo {
    overlay_entry prev;         /* prev.key owned; prev.value owned or NULL */
    bool existed;               /* the key had an entry before */
    size_t depth;               /* the transaction it belongs to */
} overlay_undo;

typedef struct overlay {
    overlay_entry *items;
    size_t n, cap;
    overlay_undo *undo;
    size_t nundo, undo_cap;
    size_t depth;               /* open transactions */
} overlay;

const overlay_entry *overlay_find(const overlay *o, const uint8_t *key, size_t key_len);
/* The first entry with a key greater than `key`, or NULL. */
const overlay_entry *overlay_next(const overlay *o, const uint8_t *key, size_t key_len);
/* Index of the first entry whose key is >= key (n when none). */
size_t overlay_lower_bound(const overlay *o, const uint8_t *key, size_t key_len);

/* Set (value non-NULL) or remove (NULL) a key. False when memory runs out. */
bool overlay_set(overlay *o, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len);

void overlay_start(overlay *o);
/* False when no transaction is open. */
bool overlay_commit(overlay *o);
bool overlay_rollback(overlay *o);

void overlay_free(overlay *o);

int overlay_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif

/* externalities.c — a block's storage over its parent state (see externalities.h). */
#include "author/externalities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/scale.h"
#include "util/vec.h"

#define CHILD_PREFIX ":child_storage:default:"

bool ext_init(externalities *x, author_state *parent, trie_layout layout, char *err, size_t errlen)
{
    memset(x, 0, sizeof *x);
    x->trie = state_trie_new(parent->entries, parent->n, layout, err, errlen);
    if (!x->trie)
        return false;
    x->parent = *parent;
    *parent = (author_state){ 0 };
    x->layout = layout;
    return true;
}

void ext_free(externalities *x)
{
    state_trie_free(x->trie);
    author_state_free(&x->parent);
    overlay_free(&x->top);
    overlay_free(&x->child);
    memset(x, 0, sizeof *x);
}

/* ------------------------------------------------------------------ top trie */

bool ext_get(externalities *x, const uint8_t *key, size_t klen, const uint8_t **val, size_t *vlen)
{
    x->reads++;
    const overlay_entry *e = overlay_find(&x->top, key, klen);
    if (e) {
        *val = e->value;
        *vlen = e->value_len;
        return e->value != NULL;
    }
    state_trie_record_path(x->trie, key, klen, true);
    const trie_entry *p = author_state_find(&x->parent, key, klen);
    if (!p)
        return false;
    *val = p->value.ptr;
    *vlen = p->value.len;
    return true;
}

/* exists goes through storage_hash: the path, not a hashed value node. */
bool ext_exists(externalities *x, const uint8_t *key, size_t klen)
{
    x->reads++;
    const overlay_entry *e = overlay_find(&x->top, key, klen);
    if (e)
        return e->value != NULL;
    state_trie_record_path(x->trie, key, klen, false);
    return author_state_find(&x->parent, key, klen) != NULL;
}

bool ext_set(externalities *x, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    x->writes++;
    return overlay_set(&x->top, key, klen, val ? val : (const uint8_t *)"", val ? vlen : 0);
}

bool ext_clear(externalities *x, const uint8_t *key, size_t klen)
{
    x->writes++;
    return overlay_set(&x->top, key, klen, NULL, 0);
}

/* The parent's first key greater than `key`, recording the path there. */
static const trie_entry *parent_next(externalities *x, const uint8_t *key, size_t klen)
{
    size_t i = author_state_lower_bound(&x->parent, key, klen);
    if (i < x->parent.n && !overlay_key_cmp(x->parent.entries[i].key.ptr, x->parent.entries[i].key.len, key, klen))
        i++;
    state_trie_record_path(x->trie, key, klen, false);
    if (i == x->parent.n)
        return NULL;
    const trie_entry *e = &x->parent.entries[i];
    state_trie_record_path(x->trie, e->key.ptr, e->key.len, false);
    return e;
}

bool ext_next_key(externalities *x, const uint8_t *key, size_t klen, const uint8_t **next, size_t *next_len)
{
    x->reads++;
    const uint8_t *at = key;
    size_t at_len = klen;
    for (;;) {
        const trie_entry *p = parent_next(x, at, at_len);
        const overlay_entry *o = overlay_next(&x->top, at, at_len);
        if (!p && !o)
            return false;
        int c = !p ? 1 : !o ? -1 : overlay_key_cmp(p->key.ptr, p->key.len, o->key, o->key_len);
        if (c < 0) {
            *next = p->key.ptr;
            *next_len = p->key.len;
            return true;
        }
        if (o->value) {
            *next = o->key;
            *next_len = o->key_len;
            return true;
        }
        at = o->key;        /* removed in this block: look further */
        at_len = o->key_len;
    }
}

static bool has_prefix(const uint8_t *key, size_t klen, const uint8_t *prefix, size_t plen)
{
    return klen >= plen && (!plen || !memcmp(key, prefix, plen));
}

bool ext_clear_prefix(externalities *x, const uint8_t *prefix, size_t plen, bool has_limit, uint32_t limit,
                      uint32_t *loops, bool *all)
{
    x->writes++;
    /* The block's own keys under the prefix go first, without counting (the overlay's
     * clear_prefix), then the parent's, up to the limit. */
    for (size_t i = overlay_lower_bound(&x->top, prefix, plen);
         i < x->top.n && has_prefix(x->top.items[i].key, x->top.items[i].key_len, prefix, plen); i++)
        if (x->top.items[i].value && !overlay_set(&x->top, x->top.items[i].key, x->top.items[i].key_len, NULL, 0))
            return false;
    *loops = 0;
    *all = true;
    state_trie_record_path(x->trie, prefix, plen, false);
    for (size_t i = author_state_lower_bound(&x->parent, prefix, plen);
         i < x->parent.n && has_prefix(x->parent.entries[i].key.ptr, x->parent.entries[i].key.len, prefix, plen);
         i++) {
        const trie_entry *e = &x->parent.entries[i];
        state_trie_record_path(x->trie, e->key.ptr, e->key.len, false);
        if (has_limit && *loops >= limit) {
            *all = false;
            break;
        }
        const overlay_entry *o = overlay_find(&x->top, e->key.ptr, e->key.len);
        if (o && !o->value)
            continue;       /* already removed */
        if (!overlay_set(&x->top, e->key.ptr, e->key.len, NULL, 0))
            return false;
        (*loops)++;
    }
    return true;
}

bool ext_append(externalities *x, const uint8_t *key, size_t klen, const uint8_t *item, size_t ilen)
{
    const uint8_t *cur;
    size_t cur_len;
    bool present = ext_get(x, key, klen, &cur, &cur_len);
    scale_writer w;
    scale_writer_init(&w);
    uint32_t count = 0;
    size_t body = 0;
    if (present) {
        scale_reader r;
        scale_reader_init(&r, cur, cur_len, NULL);
        if (scale_read_compact_u32(&r, &count)) {
            body = scale_offset(&r);
        } else {
            count = 0;      /* not a Vec: replaced by one holding the item */
            present = false;
        }
    }
    if (present && count == UINT32_MAX)
        present = false, count = 0;
    scale_write_compact(&w, (scale_u128)count + 1);
    if (present)
        scale_write_raw(&w, cur + body, cur_len - body);
    scale_write_raw(&w, item, ilen);
    uint8_t *val;
    size_t vlen;
    if (!scale_writer_finish(&w, &val, &vlen))
        return false;
    bool ok = ext_set(x, key, klen, val, vlen);
    free(val);
    return ok;
}

/* ------------------------------------------------------------------ child tries */

static bool child_key(const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen, uint8_t **out,
                      size_t *out_len)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_byte_vec(&w, sk, sklen);
    scale_write_raw(&w, key, klen);
    return scale_writer_finish(&w, out, out_len);
}

bool ext_child_get(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                   const uint8_t **val, size_t *vlen)
{
    uint8_t *ck;
    size_t cklen;
    if (!child_key(sk, sklen, key, klen, &ck, &cklen))
        return false;
    const overlay_entry *e = overlay_find(&x->child, ck, cklen);
    free(ck);
    if (!e || !e->value)
        return false;
    *val = e->value;
    *vlen = e->value_len;
    return true;
}

bool ext_child_set(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                   const uint8_t *val, size_t vlen)
{
    uint8_t *ck;
    size_t cklen;
    if (!child_key(sk, sklen, key, klen, &ck, &cklen))
        return false;
    bool ok = overlay_set(&x->child, ck, cklen, val, vlen);
    free(ck);
    return ok;
}

bool ext_child_next_key(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *key, size_t klen,
                        const uint8_t **next, size_t *next_len)
{
    uint8_t *ck, *base;
    size_t cklen, blen;
    if (!child_key(sk, sklen, key, klen, &ck, &cklen))
        return false;
    if (!child_key(sk, sklen, NULL, 0, &base, &blen)) {
        free(ck);
        return false;
    }
    const overlay_entry *e = overlay_next(&x->child, ck, cklen);
    while (e && !e->value && has_prefix(e->key, e->key_len, base, blen))
        e = overlay_next(&x->child, e->key, e->key_len);
    bool found = e && has_prefix(e->key, e->key_len, base, blen);
    if (found) {
        *next = e->key + blen;
        *next_len = e->key_len - blen;
    }
    free(ck);
    free(base);
    return found;
}

bool ext_child_clear_prefix(externalities *x, const uint8_t *sk, size_t sklen, const uint8_t *prefix,
                            size_t plen, uint32_t *removed)
{
    uint8_t *cp;
    size_t cplen;
    if (!child_key(sk, sklen, prefix, plen, &cp, &cplen))
        return false;
    *removed = 0;
    bool ok = true;
    for (size_t i = overlay_lower_bound(&x->child, cp, cplen);
         ok && i < x->child.n && has_prefix(x->child.items[i].key, x->child.items[i].key_len, cp, cplen); i++)
        if (x->child.items[i].value) {
            ok = overlay_set(&x->child, x->child.items[i].key, x->child.items[i].key_len, NULL, 0);
            (*removed)++;
        }
    free(cp);
    return ok;
}

/* The values of child trie `base` (its key prefix in x->child). */
static bool child_entries(externalities *x, const uint8_t *base, size_t blen, trie_entry **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = overlay_lower_bound(&x->child, base, blen);
         i < x->child.n && has_prefix(x->child.items[i].key, x->child.items[i].key_len, base, blen); i++) {
        const overlay_entry *e = &x->child.items[i];
        if (!e->value)
            continue;
        if (!vec_reserve((void **)out, &cap, *n + 1, sizeof **out, 16)) {
            free(*out);
            return false;
        }
        (*out)[(*n)++] = (trie_entry){ { e->key + blen, e->key_len - blen }, { e->value, e->value_len } };
    }
    return true;
}

bool ext_child_root(externalities *x, const uint8_t *sk, size_t sklen, trie_layout layout, uint8_t out[32],
                    bool *empty)
{
    uint8_t *base;
    size_t blen, n;
    trie_entry *e;
    if (!child_key(sk, sklen, NULL, 0, &base, &blen))
        return false;
    bool ok = child_entries(x, base, blen, &e, &n);
    free(base);
    if (!ok)
        return false;
    *empty = n == 0;
    ok = trie_root(trie_blake2_256, layout, e, n, out);
    free(e);
    return ok;
}

/* The changes of the top trie plus each child trie's root under CHILD_PREFIX ++ storage key. */
static bool all_changes(externalities *x, trie_layout layout, state_change **out, size_t *n, overlay *roots)
{
    for (size_t i = 0; i < x->child.n;) {
        scale_reader r;
        scale_bytes sk;
        scale_reader_init(&r, x->child.items[i].key, x->child.items[i].key_len, NULL);
        if (!scale_read_byte_vec(&r, &sk))
            return false;
        uint8_t root[32], *top_key;
        bool empty;
        size_t base_len = scale_offset(&r);
        if (!ext_child_root(x, sk.ptr, sk.len, layout, root, &empty))
            return false;
        size_t tk_len = sizeof CHILD_PREFIX - 1 + sk.len;
        if (!(top_key = malloc(tk_len)))
            return false;
        memcpy(top_key, CHILD_PREFIX, sizeof CHILD_PREFIX - 1);
        memcpy(top_key + sizeof CHILD_PREFIX - 1, sk.ptr, sk.len);
        bool ok = overlay_set(roots, top_key, tk_len, empty ? NULL : root, 32);
        free(top_key);
        if (!ok)
            return false;
        const uint8_t *base = x->child.items[i].key;     /* compact(len) ++ storage key */
        while (i < x->child.n && has_prefix(x->child.items[i].key, x->child.items[i].key_len, base, base_len))
            i++;
    }
    /* Merge the top overlay with the child roots (a child root overrides a direct write). */
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    size_t a = 0, b = 0;
    while (a < x->top.n || b < roots->n) {
        const overlay_entry *e;
        int c = a == x->top.n ? 1 : b == roots->n ? -1
              : overlay_key_cmp(x->top.items[a].key, x->top.items[a].key_len, roots->items[b].key, roots->items[b].key_len);
        if (c < 0)
            e = &x->top.items[a++];
        else {
            e = &roots->items[b++];
            if (c == 0)
                a++;
        }
        if (!vec_reserve((void **)out, &cap, *n + 1, sizeof **out, 64)) {
            free(*out);
            return false;
        }
        (*out)[(*n)++] = (state_change){ { e->key, e->key_len }, e->value, e->value_len };
    }
    return true;
}

bool ext_root(externalities *x, trie_layout layout, uint8_t out[32])
{
    overlay roots = { 0 };
    state_change *ch = NULL;
    size_t n = 0;
    bool ok = all_changes(x, layout, &ch, &n, &roots) && state_trie_delta_root(x->trie, ch, n, layout, out);
    free(ch);
    overlay_free(&roots);
    return ok;
}

/* ------------------------------------------------------------------ transactions */

void ext_start_transaction(externalities *x)
{
    overlay_start(&x->top);
    overlay_start(&x->child);
}

bool ext_commit_transaction(externalities *x)
{
    return overlay_commit(&x->top) && overlay_commit(&x->child);
}

bool ext_rollback_transaction(externalities *x)
{
    return overlay_rollback(&x->top) && overlay_rollback(&x->child);
}

/* ------------------------------------------------------------------ end of block */

bool ext_finish_block(externalities *x, const uint8_t expect[32], char *err, size_t errlen)
{
    for (size_t i = 0; i < x->child.n; i++)
        if (x->child.items[i].value)
            return snprintf(err, errlen, "the block wrote a default child trie: child tries are kept for "
                                         "one block only (their reads are not recorded)"), false;
    overlay roots = { 0 };
    state_change *ch = NULL;
    size_t n = 0;
    author_state next = { 0 };
    bool ok = all_changes(x, x->layout, &ch, &n, &roots);
    size_t a = 0, b = 0;
    while (ok && (a < x->parent.n || b < n)) {
        const trie_entry *p = a < x->parent.n ? &x->parent.entries[a] : NULL;
        const state_change *c = b < n ? &ch[b] : NULL;
        int cmp = !p ? 1 : !c ? -1 : overlay_key_cmp(p->key.ptr, p->key.len, c->key.ptr, c->key.len);
        if (cmp < 0) {
            ok = author_state_push(&next, p->key.ptr, p->key.len, p->value.ptr, p->value.len);
            a++;
            continue;
        }
        if (cmp == 0)
            a++;
        if (c->value)
            ok = author_state_push(&next, c->key.ptr, c->key.len, c->value, c->value_len);
        b++;
    }
    free(ch);
    overlay_free(&roots);
    if (!ok) {
        author_state_free(&next);
        return snprintf(err, errlen, "out of memory applying the block's changes"), false;
    }
    state_trie *t = state_trie_new(next.entries, next.n, x->layout, err, errlen);
    if (!t) {
        author_state_free(&next);
        return false;
    }
    uint8_t root[32];
    state_trie_root(t, root);
    if (memcmp(root, expect, 32)) {
        state_trie_free(t);
        author_state_free(&next);
        return snprintf(err, errlen, "the post-state's root differs from the block's state root "
                                     "(the delta root and the rebuilt trie disagree)"), false;
    }
    state_trie_free(x->trie);
    author_state_free(&x->parent);
    overlay_free(&x->top);
    overlay_free(&x->child);
    x->parent = next;
    x->trie = t;
    return true;
}

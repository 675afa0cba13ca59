/* overlay.c — changes over a parent state, with nested transactions (see overlay.h). */
#include "author/overlay.h"

#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

int overlay_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

size_t overlay_lower_bound(const overlay *o, const uint8_t *key, size_t key_len)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (overlay_key_cmp(o->items[mid].key, o->items[mid].key_len, key, key_len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const overlay_entry *overlay_find(const overlay *o, const uint8_t *key, size_t key_len)
{
    size_t i = overlay_lower_bound(o, key, key_len);
    if (i < o->n && !overlay_key_cmp(o->items[i].key, o->items[i].key_len, key, key_len))
        return &o->items[i];
    return NULL;
}

const overlay_entry *overlay_next(const overlay *o, const uint8_t *key, size_t key_len)
{
    size_t i = overlay_lower_bound(o, key, key_len);
    if (i < o->n && !overlay_key_cmp(o->items[i].key, o->items[i].key_len, key, key_len))
        i++;
    return i < o->n ? &o->items[i] : NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

/* Remember entry i (or its absence) before the current transaction first changes the key. */
static bool log_undo(overlay *o, size_t i, bool existed, const uint8_t *key, size_t key_len)
{
    if (!o->depth)
        return true;
    for (size_t u = o->nundo; u-- > 0 && o->undo[u].depth == o->depth;)
        if (!overlay_key_cmp(o->undo[u].prev.key, o->undo[u].prev.key_len, key, key_len))
            return true;    /* already recorded in this transaction */
    if (!vec_reserve((void **)&o->undo, &o->undo_cap, o->nundo + 1, sizeof *o->undo, 16))
        return false;
    overlay_undo *u = &o->undo[o->nundo];
    *u = (overlay_undo){ .existed = existed, .depth = o->depth };
    u->prev.key = dup_bytes(key, key_len);
    u->prev.key_len = key_len;
    if (!u->prev.key)
        return false;
    if (existed && o->items[i].value) {
        u->prev.value = dup_bytes(o->items[i].value, o->items[i].value_len);
        u->prev.value_len = o->items[i].value_len;
        if (!u->prev.value) {
            free(u->prev.key);
            return false;
        }
    }
    o->nundo++;
    return true;
}

/* Put (key, value) at its place; `value` is owned afterwards (NULL: removed). */
static bool put_owned(overlay *o, const uint8_t *key, size_t key_len, uint8_t *value, size_t value_len)
{
    size_t i = overlay_lower_bound(o, key, key_len);
    if (i < o->n && !overlay_key_cmp(o->items[i].key, o->items[i].key_len, key, key_len)) {
        free(o->items[i].value);
        o->items[i].value = value;
        o->items[i].value_len = value_len;
        return true;
    }
    if (!vec_reserve((void **)&o->items, &o->cap, o->n + 1, sizeof *o->items, 64))
        return false;
    uint8_t *k = dup_bytes(key, key_len);
    if (!k)
        return false;
    memmove(&o->items[i + 1], &o->items[i], (o->n - i) * sizeof *o->items);
    o->items[i] = (overlay_entry){ k, key_len, value, value_len };
    o->n++;
    return true;
}

bool overlay_set(overlay *o, const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len)
{
    const overlay_entry *e = overlay_find(o, key, key_len);
    size_t i = e ? (size_t)(e - o->items) : 0;
    if (!log_undo(o, i, e != NULL, key, key_len))
        return false;
    uint8_t *v = NULL;
    if (value && !(v = dup_bytes(value, value_len)))
        return false;
    if (!put_owned(o, key, key_len, v, value ? value_len : 0)) {
        free(v);
        return false;
    }
    return true;
}

static void drop_entry(overlay *o, const uint8_t *key, size_t key_len)
{
    size_t i = overlay_lower_bound(o, key, key_len);
    if (i >= o->n || overlay_key_cmp(o->items[i].key, o->items[i].key_len, key, key_len))
        return;
    free(o->items[i].key);
    free(o->items[i].value);
    memmove(&o->items[i], &o->items[i + 1], (o->n - i - 1) * sizeof *o->items);
    o->n--;
}

void overlay_start(overlay *o)
{
    o->depth++;
}

bool overlay_rollback(overlay *o)
{
    if (!o->depth)
        return false;
    while (o->nundo && o->undo[o->nundo - 1].depth == o->depth) {
        overlay_undo *u = &o->undo[--o->nundo];
        if (u->existed) {
            /* Restoring needs no allocation: the entry exists, the saved value moves in. */
            if (!put_owned(o, u->prev.key, u->prev.key_len, u->prev.value, u->prev.value_len))
                free(u->prev.value);
        } else {
            drop_entry(o, u->prev.key, u->prev.key_len);
        }
        free(u->prev.key);
    }
    o->depth--;
    return true;
}

bool overlay_commit(overlay *o)
{
    if (!o->depth)
        return false;
    /* The enclosing transaction inherits the records, except for keys it recorded itself. */
    size_t keep = o->nundo;
    while (keep && o->undo[keep - 1].depth == o->depth)
        keep--;
    size_t w = keep;
    for (size_t r = keep; r < o->nundo; r++) {
        overlay_undo *u = &o->undo[r];
        bool known = false;
        if (o->depth > 1)
            for (size_t q = keep; q-- > 0 && o->undo[q].depth == o->depth - 1;)
                if (!overlay_key_cmp(o->undo[q].prev.key, o->undo[q].prev.key_len, u->prev.key, u->prev.key_len)) {
                    known = true;
                    break;
                }
        if (o->depth == 1 || known) {
            free(u->prev.key);
            free(u->prev.value);
            continue;
        }
        u->depth = o->depth - 1;
        o->undo[w++] = *u;
    }
    o->nundo = w;
    o->depth--;
    return true;
}

void overlay_free(overlay *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->items[i].key);
        free(o->items[i].value);
    }
    for (size_t i = 0; i < o->nundo; i++) {
        free(o->undo[i].prev.key);
        free(o->undo[i].prev.value);
    }
    free(o->items);
    free(o->undo);
    *o = (overlay){ 0 };
}

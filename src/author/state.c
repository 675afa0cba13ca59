/* state.c — a sorted, owned key-value state (see state.h). */
#include "author/state.h"

#include <stdlib.h>
#include <string.h>

#include "author/overlay.h"
#include "runtime/hashing.h"
#include "util/vec.h"

void author_state_free(author_state *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((void *)s->entries[i].key.ptr);
        free((void *)s->entries[i].value.ptr);
    }
    free(s->entries);
    *s = (author_state){ 0 };
}

size_t author_state_lower_bound(const author_state *s, const uint8_t *key, size_t klen)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (overlay_key_cmp(s->entries[mid].key.ptr, s->entries[mid].key.len, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const trie_entry *author_state_find(const author_state *s, const uint8_t *key, size_t klen)
{
    size_t i = author_state_lower_bound(s, key, klen);
    if (i < s->n && !overlay_key_cmp(s->entries[i].key.ptr, s->entries[i].key.len, key, klen))
        return &s->entries[i];
    return NULL;
}

static uint8_t *copy(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

bool author_state_push(author_state *s, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    if (!vec_reserve((void **)&s->entries, &s->cap, s->n + 1, sizeof *s->entries, 256))
        return false;
    uint8_t *k = copy(key, klen), *v = copy(val, vlen);
    if (!k || !v) {
        free(k);
        free(v);
        return false;
    }
    s->entries[s->n++] = (trie_entry){ { k, klen }, { v, vlen } };
    return true;
}

bool author_state_set(author_state *s, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    size_t i = author_state_lower_bound(s, key, klen);
    uint8_t *v = copy(val, vlen);
    if (!v)
        return false;
    if (i < s->n && !overlay_key_cmp(s->entries[i].key.ptr, s->entries[i].key.len, key, klen)) {
        free((void *)s->entries[i].value.ptr);
        s->entries[i].value = (scale_bytes){ v, vlen };
        return true;
    }
    uint8_t *k = copy(key, klen);
    if (!k || !vec_reserve((void **)&s->entries, &s->cap, s->n + 1, sizeof *s->entries, 256)) {
        free(k);
        free(v);
        return false;
    }
    memmove(&s->entries[i + 1], &s->entries[i], (s->n - i) * sizeof *s->entries);
    s->entries[i] = (trie_entry){ { k, klen }, { v, vlen } };
    s->n++;
    return true;
}

void author_state_clear_prefix(author_state *s, const uint8_t *prefix, size_t plen)
{
    size_t i = author_state_lower_bound(s, prefix, plen), j = i;
    while (j < s->n && s->entries[j].key.len >= plen && !memcmp(s->entries[j].key.ptr, prefix, plen)) {
        free((void *)s->entries[j].key.ptr);
        free((void *)s->entries[j].value.ptr);
        j++;
    }
    memmove(&s->entries[i], &s->entries[j], (s->n - j) * sizeof *s->entries);
    s->n -= j - i;
}

void storage_item_key(const char *pallet, const char *item, uint8_t key[32])
{
    hash_twox_128((const uint8_t *)pallet, strlen(pallet), key);
    hash_twox_128((const uint8_t *)item, strlen(item), key + 16);
}

bool author_state_set_u32(author_state *s, const char *pallet, const char *item, uint32_t v)
{
    uint8_t key[32], le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    storage_item_key(pallet, item, key);
    return author_state_set(s, key, 32, le, 4);
}

/*
 * state_trie.c — the parent state's trie in memory, reads recorded (see state_trie.h).
 *
 * A node holds its partial key unpacked (one nibble per byte), its value (a view into the
 * entries or into the changes), 16 child pointers and, once computed, its encoding's hash.
 * Nodes of the parent trie are shared by every copy-on-write edit; edited nodes are "fresh"
 * copies that live only for one delta_root call.
 */
#include "author/state_trie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/trie_codec.h"
#include "util/vec.h"

typedef struct st_node st_node;
struct st_node {
    uint8_t *nib;               /* partial key, one nibble per byte */
    size_t nnib;
    const uint8_t *value;       /* has_value: the value's bytes */
    size_t value_len;
    bool has_value;
    bool fresh;                 /* made by an edit; not part of the parent trie */
    bool read;                  /* parent trie: fetched by a lookup or an edit */
    bool value_read;            /* parent trie: its hashed value fetched */
    bool encoded;               /* enc_len and hash are valid */
    uint8_t hash[32];
    size_t enc_len;
    st_node *child[TRIE_CHILDREN];
};

struct state_trie {
    st_node *root;              /* NULL: the empty trie */
    st_node **arena;            /* the fresh nodes of the current delta_root, freed at its end */
    size_t narena, arena_cap;
    trie_layout layout;
    uint8_t root_hash[32];
    bool oom;                   /* an allocation failed during an edit */
};

static unsigned key_nibble(const uint8_t *key, size_t i)
{
    return trie_nibble_at(key, i);
}

/* ------------------------------------------------------------------ nodes */

static st_node *node_alloc(size_t nnib)
{
    st_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->nib = malloc(nnib ? nnib : 1);
    if (!n->nib) {
        free(n);
        return NULL;
    }
    n->nnib = nnib;
    return n;
}

static void free_arena(state_trie *t);

static void node_free_tree(st_node *n)
{
    if (!n)
        return;
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        node_free_tree(n->child[i]);
    free(n->nib);
    free(n);
}

/* ------------------------------------------------------------------ encoding */

static bool value_hashed(trie_layout layout, const st_node *n)
{
    return layout == TRIE_LAYOUT_V1 && n->has_value && n->value_len >= TRIE_VALUE_NODE_THRESHOLD;
}

static bool is_branch(const st_node *n)
{
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        if (n->child[i])
            return true;
    return false;
}

/* Pack the partial key as trie_node wants it: a leading pad nibble when the count is odd. */
static void pack_partial(const st_node *n, uint8_t *packed)
{
    size_t off = n->nnib & 1;
    memset(packed, 0, (n->nnib + 1) / 2);
    for (size_t i = 0; i < n->nnib; i++) {
        size_t p = i + off;
        packed[p >> 1] |= (uint8_t)(p & 1 ? n->nib[i] : n->nib[i] << 4);
    }
}

typedef enum child_ref { REF_NORMAL, REF_OMIT_READ } child_ref;

/* sp-trie's ESCAPE_COMPACT_HEADER: EMPTY_TRIE | 1, never the first byte of a node. */
#define TRIE_COMPACT_ESCAPE 0x01

static bool encode_node(scale_writer *w, st_node *n, trie_layout layout, child_ref refs, bool inline_value);

static bool node_hash(st_node *n, trie_layout layout);

/* The reference to child c: inline encoding (< 32 bytes) or hash; `omit` gives length 0. Only the
 * hash is cached: an inline child (under 32 bytes) is encoded again where it is referenced. */
static bool write_child_ref(scale_writer *w, st_node *c, trie_layout layout, bool omit)
{
    if (omit) {
        scale_write_u8(w, 0);
        return true;
    }
    if (!node_hash(c, layout))
        return false;
    if (c->enc_len >= TRIE_HASH_LEN) {
        scale_write_byte_vec(w, c->hash, TRIE_HASH_LEN);
        return true;
    }
    scale_writer cw;
    scale_writer_init(&cw);
    bool ok = encode_node(&cw, c, layout, REF_NORMAL, false) && !cw.failed;
    if (ok)
        scale_write_byte_vec(w, cw.buf, cw.len);
    scale_writer_free(&cw);
    return ok;
}

/* Is child c replaced by an empty reference in a compact proof (read and hash-referenced)? */
static bool omitted_in_proof(const st_node *c)
{
    return c->read && c->enc_len >= TRIE_HASH_LEN;
}

static trie_header_kind header_of(const st_node *n, bool branch, bool hashed)
{
    if (!branch)
        return hashed ? TRIE_HDR_HASHED_LEAF : TRIE_HDR_LEAF;
    if (!n->has_value)
        return TRIE_HDR_BRANCH_NO_VALUE;
    return hashed ? TRIE_HDR_HASHED_BRANCH : TRIE_HDR_BRANCH_WITH_VALUE;
}

/*
 * The node's encoding (sp-trie's NodeCodec, trie_codec.h). REF_OMIT_READ writes a compact
 * proof's node: children that are in the proof get empty references. `inline_value` writes
 * a hashed value inline under its hashed-value header (the proof carries the value node).
 */
static bool encode_node(scale_writer *w, st_node *n, trie_layout layout, child_ref refs, bool inline_value)
{
    uint8_t packed_small[64];
    size_t plen = (n->nnib + 1) / 2;
    uint8_t *packed = plen <= sizeof packed_small ? packed_small : malloc(plen);
    if (!packed)
        return false;
    pack_partial(n, packed);
    bool branch = is_branch(n), hashed = value_hashed(layout, n) && !inline_value;
    trie_write_header(w, header_of(n, branch, hashed), n->nnib);
    trie_write_partial(w, packed, n->nnib & 1, n->nnib);
    if (packed != packed_small)
        free(packed);
    if (branch) {
        uint16_t bitmap = 0;
        for (unsigned i = 0; i < TRIE_CHILDREN; i++)
            if (n->child[i])
                bitmap |= (uint16_t)(1u << i);
        scale_write_u16(w, bitmap);
    }
    if (hashed) {
        uint8_t vhash[32];
        trie_blake2_256(n->value, n->value_len, vhash);
        trie_write_value(w, TRIE_VALUE_HASHED, vhash, 32);
    } else if (n->has_value) {
        trie_write_value(w, TRIE_VALUE_INLINE, n->value, n->value_len);
    }
    for (unsigned i = 0; i < TRIE_CHILDREN; i++) {
        st_node *c = n->child[i];
        if (c && !write_child_ref(w, c, layout, refs == REF_OMIT_READ && omitted_in_proof(c)))
            return false;
    }
    return true;
}

/* Hash (and cache) node n. */
static bool node_hash(st_node *n, trie_layout layout)
{
    if (n->encoded)
        return true;
    scale_writer w;
    scale_writer_init(&w);
    bool ok = encode_node(&w, n, layout, REF_NORMAL, false) && !w.failed;
    if (ok) {
        trie_blake2_256(w.buf, w.len, n->hash);
        n->enc_len = w.len;
        n->encoded = true;
    }
    scale_writer_free(&w);
    return ok;
}

static void root_hash(st_node *root, trie_layout layout, uint8_t out[32], bool *ok)
{
    if (!root) {
        static const uint8_t empty = 0;
        trie_blake2_256(&empty, 1, out);
        return;
    }
    if (!node_hash(root, layout))
        *ok = false;
    else
        memcpy(out, root->hash, 32);
}

/* ------------------------------------------------------------------ building */

static int bytes_cmp(scale_bytes a, scale_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Nibbles shared by a and b from nibble `from` on. */
static size_t common_nibbles(scale_bytes a, scale_bytes b, size_t from)
{
    size_t la = a.len * 2, lb = b.len * 2, i = from;
    while (i < la && i < lb && key_nibble(a.ptr, i) == key_nibble(b.ptr, i))
        i++;
    return i - from;
}

static st_node *node_from_key(const uint8_t *key, size_t from, size_t to)
{
    st_node *n = node_alloc(to - from);
    if (n)
        for (size_t i = from; i < to; i++)
            n->nib[i - from] = (uint8_t)key_nibble(key, i);
    return n;
}

/* The trie of e[lo..hi), whose keys share their first `depth` nibbles. */
static st_node *build(const trie_entry *e, size_t lo, size_t hi, size_t depth)
{
    if (hi - lo == 1) {
        st_node *leaf = node_from_key(e[lo].key.ptr, depth, e[lo].key.len * 2);
        if (leaf) {
            leaf->has_value = true;
            leaf->value = e[lo].value.ptr;
            leaf->value_len = e[lo].value.len;
        }
        return leaf;
    }
    size_t pos = depth + common_nibbles(e[lo].key, e[hi - 1].key, depth);
    st_node *b = node_from_key(e[lo].key.ptr, depth, pos);
    if (!b)
        return NULL;
    if (e[lo].key.len * 2 == pos) {
        b->has_value = true;
        b->value = e[lo].value.ptr;
        b->value_len = e[lo].value.len;
        lo++;
    }
    while (lo < hi) {
        unsigned c = key_nibble(e[lo].key.ptr, pos);
        size_t end = lo + 1;
        while (end < hi && key_nibble(e[end].key.ptr, pos) == c)
            end++;
        b->child[c] = build(e, lo, end, pos + 1);
        if (!b->child[c]) {
            node_free_tree(b);
            return NULL;
        }
        lo = end;
    }
    return b;
}

state_trie *state_trie_new(const trie_entry *entries, size_t n, trie_layout layout, char *err,
                           size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (entries[i].key.len > STATE_TRIE_MAX_KEY) {
            snprintf(err, errlen, "a key of %zu bytes (at most %d)", entries[i].key.len, STATE_TRIE_MAX_KEY);
            return NULL;
        }
        if (i && bytes_cmp(entries[i - 1].key, entries[i].key) >= 0) {
            snprintf(err, errlen, "entries not sorted by key, or a key twice (entry %zu)", i);
            return NULL;
        }
    }
    state_trie *t = calloc(1, sizeof *t);
    if (!t)
        return snprintf(err, errlen, "out of memory"), NULL;
    t->layout = layout;
    bool ok = true;
    if (n) {
        t->root = build(entries, 0, n, 0);
        ok = t->root != NULL;
    }
    if (ok)
        root_hash(t->root, layout, t->root_hash, &ok);
    if (!ok) {
        state_trie_free(t);
        snprintf(err, errlen, "out of memory building the state trie");
        return NULL;
    }
    return t;
}

void state_trie_free(state_trie *t)
{
    if (!t)
        return;
    node_free_tree(t->root);
    free_arena(t);
    free(t->arena);
    free(t);
}

void state_trie_root(const state_trie *t, uint8_t out[32])
{
    memcpy(out, t->root_hash, 32);
}

/* ------------------------------------------------------------------ records */

void state_trie_record_path(state_trie *t, const uint8_t *key, size_t key_len, bool value)
{
    size_t klen = key_len * 2, d = 0;
    for (st_node *n = t->root; n;) {
        n->read = true;
        size_t i = 0;
        while (i < n->nnib && d + i < klen && n->nib[i] == key_nibble(key, d + i))
            i++;
        if (i < n->nnib)
            return;         /* the path leaves the key: absent */
        d += n->nnib;
        if (d == klen) {
            if (value && n->has_value)
                n->value_read = true;
            return;
        }
        n = n->child[key_nibble(key, d++)];
    }
}

static void clear_records(st_node *n)
{
    if (!n)
        return;
    n->read = n->value_read = false;
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        clear_records(n->child[i]);
}

void state_trie_clear_records(state_trie *t)
{
    clear_records(t->root);
}

/* ------------------------------------------------------------------ edits */

/* A node made by an edit: kept in the arena, freed when the delta_root call ends (edits drop
 * fresh nodes as they go: a split copies one, a merge replaces two). */
static st_node *fresh_alloc(state_trie *t, size_t nnib)
{
    st_node *n = node_alloc(nnib);
    if (!n || !vec_reserve((void **)&t->arena, &t->arena_cap, t->narena + 1, sizeof *t->arena, 64)) {
        if (n) {
            free(n->nib);
            free(n);
        }
        t->oom = true;
        return NULL;
    }
    n->fresh = true;
    t->arena[t->narena++] = n;
    return n;
}

static void free_arena(state_trie *t)
{
    for (size_t i = 0; i < t->narena; i++) {
        free(t->arena[i]->nib);
        free(t->arena[i]);
    }
    t->narena = 0;
}

/* The node to edit in place: n itself when fresh, else a fresh copy (reading n). */
static st_node *cow(state_trie *t, st_node *n)
{
    if (n->fresh)
        return n;
    n->read = true;
    st_node *c = fresh_alloc(t, n->nnib);
    if (!c)
        return NULL;
    memcpy(c->nib, n->nib, n->nnib);
    c->value = n->value;
    c->value_len = n->value_len;
    c->has_value = n->has_value;
    memcpy(c->child, n->child, sizeof c->child);
    return c;
}

static st_node *fresh_node(state_trie *t, const uint8_t *nib, size_t nnib)
{
    st_node *n = fresh_alloc(t, nnib);
    if (n)
        memcpy(n->nib, nib, nnib);
    return n;
}

static st_node *fresh_leaf(state_trie *t, const uint8_t *key, size_t from, size_t klen, const state_change *ch)
{
    st_node *n = fresh_alloc(t, klen - from);
    if (!n)
        return NULL;
    for (size_t i = from; i < klen; i++)
        n->nib[i - from] = (uint8_t)key_nibble(key, i);
    n->has_value = true;
    n->value = ch->value;
    n->value_len = ch->value_len;
    return n;
}

/* Insert ch at n, whose path starts at nibble d of the key. Returns the new subtree. */
static st_node *insert_at(state_trie *t, st_node *n, const state_change *ch, size_t d)
{
    const uint8_t *key = ch->key.ptr;
    size_t klen = ch->key.len * 2;
    if (!n)
        return fresh_leaf(t, key, d, klen, ch);
    if (!n->fresh)
        n->read = true;
    size_t i = 0;
    while (i < n->nnib && d + i < klen && n->nib[i] == key_nibble(key, d + i))
        i++;
    if (i == n->nnib) {
        st_node *m = cow(t, n);
        if (!m)
            return NULL;
        if (d + i == klen) {
            m->has_value = true;
            m->value = ch->value;
            m->value_len = ch->value_len;
        } else {
            unsigned c = key_nibble(key, d + i);
            st_node *sub = insert_at(t, m->child[c], ch, d + i + 1);
            if (!sub)
                return NULL;
            m->child[c] = sub;
        }
        m->encoded = false;
        return m;
    }
    /* The key leaves n's partial key after i nibbles: a new branch there. */
    st_node *b = fresh_node(t, n->nib, i);
    st_node *rest = b ? fresh_node(t, n->nib + i + 1, n->nnib - i - 1) : NULL;
    if (!rest)
        return NULL;
    rest->value = n->value;
    rest->value_len = n->value_len;
    rest->has_value = n->has_value;
    memcpy(rest->child, n->child, sizeof rest->child);
    b->child[n->nib[i]] = rest;
    if (d + i == klen) {
        b->has_value = true;
        b->value = ch->value;
        b->value_len = ch->value_len;
    } else {
        st_node *leaf = fresh_leaf(t, key, d + i + 1, klen, ch);
        if (!leaf)
            return NULL;
        b->child[key_nibble(key, d + i)] = leaf;
    }
    return b;
}

/* trie-db's fix: a branch left with no value and one child merges with it (reading it);
 * one with a value and no children becomes a leaf; one with neither disappears. */
static st_node *fix(state_trie *t, st_node *m)
{
    unsigned count = 0, only = 0;
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        if (m->child[i])
            count++, only = i;
    if (count == 0 && !m->has_value)
        return NULL;
    if (count != 1 || m->has_value)
        return m;
    st_node *c = m->child[only];
    if (!c->fresh)
        c->read = true;
    st_node *merged = fresh_alloc(t, m->nnib + 1 + c->nnib);
    if (!merged)
        return m;
    memcpy(merged->nib, m->nib, m->nnib);
    merged->nib[m->nnib] = (uint8_t)only;
    memcpy(merged->nib + m->nnib + 1, c->nib, c->nnib);
    merged->value = c->value;
    merged->value_len = c->value_len;
    merged->has_value = c->has_value;
    memcpy(merged->child, c->child, sizeof merged->child);
    return merged;
}

/* Remove the key of ch below n (path from nibble d). *gone: n's subtree is now empty. */
static st_node *remove_at(state_trie *t, st_node *n, const state_change *ch, size_t d)
{
    const uint8_t *key = ch->key.ptr;
    size_t klen = ch->key.len * 2;
    if (!n)
        return NULL;
    if (!n->fresh)
        n->read = true;
    size_t i = 0;
    while (i < n->nnib && d + i < klen && n->nib[i] == key_nibble(key, d + i))
        i++;
    if (i < n->nnib)
        return n;                       /* not there */
    if (d + i == klen) {
        if (!n->has_value)
            return n;
        st_node *m = cow(t, n);
        if (!m)
            return n;
        m->has_value = false;
        m->value = NULL;
        m->value_len = 0;
        m->encoded = false;
        return fix(t, m);
    }
    unsigned c = key_nibble(key, d + i);
    st_node *old = n->child[c];
    if (!old)
        return n;
    st_node *sub = remove_at(t, old, ch, d + i + 1);
    if (sub == old)
        return n;                       /* nothing changed below */
    st_node *m = cow(t, n);
    if (!m)
        return n;
    m->child[c] = sub;
    m->encoded = false;
    return sub ? m : fix(t, m);
}

bool state_trie_delta_root(state_trie *t, const state_change *changes, size_t n, trie_layout layout,
                           uint8_t out[32])
{
    st_node *root = t->root;
    t->oom = false;
    for (size_t i = 0; i < n && !t->oom; i++) {
        if (changes[i].key.len > STATE_TRIE_MAX_KEY) {
            t->oom = true;
            break;
        }
        st_node *r = changes[i].value ? insert_at(t, root, &changes[i], 0) : remove_at(t, root, &changes[i], 0);
        if (r || !changes[i].value)
            root = r;
    }
    bool ok = !t->oom;
    if (ok && layout != t->layout)
        ok = false;     /* a layout change re-encodes untouched nodes too: not modelled */
    if (ok)
        root_hash(root, layout, out, &ok);
    free_arena(t);
    return ok;
}

/* ------------------------------------------------------------------ proofs */

typedef struct node_list {
    scale_bytes *items;
    size_t n, cap;
    bool failed;
} node_list;

static void list_push(node_list *l, scale_writer *w)
{
    uint8_t *bytes;
    size_t len;
    if (l->failed || !scale_writer_finish(w, &bytes, &len) ||
        !vec_reserve((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items, 64)) {
        l->failed = true;
        return;
    }
    l->items[l->n++] = (scale_bytes){ bytes, len };
}

/* Push raw bytes as one entry. */
static void list_push_bytes(node_list *l, const uint8_t *bytes, size_t len)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_raw(&w, bytes, len);
    list_push(l, &w);
}

/*
 * trie-db's encode_compact (0.27): pre-order, a node before its children, children in nibble
 * order; a child that is itself in the proof becomes an empty reference. A node whose hashed
 * value node was read is escaped: 0x01, the node with the plain header kind and an empty
 * inline value, then the value bytes as the next entry.
 */
static void compact_walk(st_node *n, trie_layout layout, node_list *l)
{
    bool escape = n->value_read && value_hashed(layout, n);
    scale_writer w;
    scale_writer_init(&w);
    if (escape) {
        scale_write_u8(&w, TRIE_COMPACT_ESCAPE);
        st_node empty_value = *n;
        empty_value.value_len = 0;
        if (!encode_node(&w, &empty_value, layout, REF_OMIT_READ, true))
            w.failed = true;
    } else if (!encode_node(&w, n, layout, REF_OMIT_READ, false)) {
        w.failed = true;
    }
    list_push(l, &w);
    if (escape)
        list_push_bytes(l, n->value, n->value_len);
    for (unsigned i = 0; i < TRIE_CHILDREN && !l->failed; i++)
        if (n->child[i] && omitted_in_proof(n->child[i]))
            compact_walk(n->child[i], layout, l);
}

static bool list_encode(node_list *l, uint8_t **out, size_t *out_len)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_compact(&w, l->n);
    for (size_t i = 0; i < l->n; i++)
        scale_write_byte_vec(&w, l->items[i].ptr, l->items[i].len);
    for (size_t i = 0; i < l->n; i++)
        free((void *)l->items[i].ptr);
    free(l->items);
    bool ok = !l->failed && scale_writer_finish(&w, out, out_len);
    if (!ok)
        scale_writer_free(&w);
    return ok;
}

bool state_trie_compact_proof(const state_trie *t, uint8_t **out, size_t *out_len, size_t *nodes)
{
    node_list l = { 0 };
    if (t->root && t->root->read)
        compact_walk(t->root, t->layout, &l);
    *nodes = l.n;
    return list_encode(&l, out, out_len);
}

/* Every hash-referenced node (the root always), or only the read ones; read hashed values too. */
static void node_walk(st_node *n, trie_layout layout, node_list *l, bool is_root, bool only_read)
{
    if (only_read && !n->read)
        return;
    if (is_root || n->enc_len >= TRIE_HASH_LEN) {
        scale_writer w;
        scale_writer_init(&w);
        if (!encode_node(&w, n, layout, REF_NORMAL, false))
            w.failed = true;
        list_push(l, &w);
    }
    if (value_hashed(layout, n) && (only_read ? n->value_read : true))
        list_push_bytes(l, n->value, n->value_len);
    for (unsigned i = 0; i < TRIE_CHILDREN && !l->failed; i++)
        if (n->child[i])
            node_walk(n->child[i], layout, l, false, only_read);
}

static int scale_bytes_cmp(const void *a, const void *b)
{
    return bytes_cmp(*(const scale_bytes *)a, *(const scale_bytes *)b);
}

/* A StorageProof: a BTreeSet of nodes, so sorted and each node once. */
static bool storage_proof(const state_trie *t, bool only_read, uint8_t **out, size_t *out_len, size_t *nodes)
{
    node_list l = { 0 };
    if (t->root)
        node_walk(t->root, t->layout, &l, true, only_read);
    qsort(l.items, l.n, sizeof *l.items, scale_bytes_cmp);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (k && !bytes_cmp(l.items[k - 1], l.items[i])) {
            free((void *)l.items[i].ptr);
            continue;
        }
        l.items[k++] = l.items[i];
    }
    l.n = k;
    if (nodes)
        *nodes = k;
    return list_encode(&l, out, out_len);
}

bool state_trie_full_proof(const state_trie *t, uint8_t **out, size_t *out_len)
{
    return storage_proof(t, false, out, out_len, NULL);
}

bool state_trie_recorded_proof(const state_trie *t, uint8_t **out, size_t *out_len, size_t *nodes)
{
    return storage_proof(t, true, out, out_len, nodes);
}

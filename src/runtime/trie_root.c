/*
 * trie_root.c — the root of a trie given all its entries (trie-root's trie_root_no_extension
 * with sp-trie's TrieStream; see trie.h).
 *
 * The entries are sorted by key and de-duplicated (the last value given for a key wins),
 * then the trie is encoded depth-first: a range of entries that share the first `cursor`
 * nibbles becomes
 *   - a leaf, when the range holds one entry: the rest of its key and its value;
 *   - a branch otherwise: the nibbles all its keys share beyond `cursor` are the branch's
 *     partial key, the entry whose key ends there (the range's first, being the smallest)
 *     is its value, and the others split by their next nibble into up to 16 child ranges.
 * A child's encoding goes into its parent inline when shorter than 32 bytes, else as its
 * hash; the root is always hashed.
 *
 * The walk keeps an explicit stack of frames, one per open branch, instead of recursing:
 * a prefix chain of n keys ("a", "aa", "aaa", …) is n levels deep. Each frame encodes its
 * own node into its own buffer; buffers are reused when the depth is reached again.
 */
#include "runtime/trie.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/trie_codec.h"
#include "util/vec.h"

/* ------------------------------------------------------------------ sorting */

static int key_cmp(const trie_entry *a, const trie_entry *b)
{
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = n ? memcmp(a->key.ptr, b->key.ptr, n) : 0;
    if (c)
        return c;
    return (a->key.len > b->key.len) - (a->key.len < b->key.len);
}

/* Stable merge sort of idx[0..n) by key, tmp as scratch: equal keys keep input order. */
static void sort_by_key(const trie_entry *e, size_t *idx, size_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = key_cmp(&e[idx[j]], &e[idx[i]]) < 0 ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* Sorted entries with one per key (the last given), into out[]; returns their number. */
static size_t sorted_unique(const trie_entry *e, size_t n, size_t *idx, size_t *tmp,
                            const trie_entry **out)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_by_key(e, idx, tmp, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && key_cmp(&e[idx[i]], &e[idx[i + 1]]) == 0)
            continue;   /* a later entry has the same key */
        out[m++] = &e[idx[i]];
    }
    return m;
}

/* ------------------------------------------------------------------ encoding */

typedef struct build {
    trie_hash_fn hash;
    trie_layout layout;
    const trie_entry **e;     /* sorted, unique */
} build;

/* Nibbles shared by two keys known to share at least `known` nibbles. */
static size_t common_nibbles(const scale_bytes *a, const scale_bytes *b, size_t known)
{
    size_t n = a->len < b->len ? a->len : b->len, i = known / 2;
    while (i < n && a->ptr[i] == b->ptr[i])
        i++;
    if (i == n)
        return 2 * n;
    return 2 * i + ((a->ptr[i] >> 4) == (b->ptr[i] >> 4));
}

/* The value as this layout stores it: inline, or (V1, >= 33 bytes) its hash in `h`. */
static trie_value_kind layout_value(const build *b, const scale_bytes *v, uint8_t h[32])
{
    if (b->layout == TRIE_LAYOUT_V1 && v->len >= TRIE_VALUE_NODE_THRESHOLD) {
        b->hash(v->ptr, v->len, h);
        return TRIE_VALUE_HASHED;
    }
    return TRIE_VALUE_INLINE;
}

static void write_value(scale_writer *w, const build *b, const scale_bytes *v)
{
    uint8_t h[32];
    if (layout_value(b, v, h) == TRIE_VALUE_HASHED)
        trie_write_value(w, TRIE_VALUE_HASHED, h, 32);
    else
        trie_write_value(w, TRIE_VALUE_INLINE, v->ptr, v->len);
}

static void write_leaf(scale_writer *w, const build *b, const trie_entry *e, size_t cursor)
{
    uint8_t h[32];
    bool hashed = layout_value(b, &e->value, h) == TRIE_VALUE_HASHED;
    size_t nibbles = 2 * e->key.len - cursor;
    trie_write_header(w, hashed ? TRIE_HDR_HASHED_LEAF : TRIE_HDR_LEAF, nibbles);
    trie_write_partial(w, e->key.ptr, cursor, nibbles);
    if (hashed)
        trie_write_value(w, TRIE_VALUE_HASHED, h, 32);
    else
        trie_write_value(w, TRIE_VALUE_INLINE, e->value.ptr, e->value.len);
}

/* A branch being encoded: entries [lo, hi) below `cursor`; children not yet done from `next`. */
typedef struct frame {
    size_t hi;
    size_t at;          /* nibble where the children split */
    size_t next;        /* first entry of the next child range */
    scale_writer enc;
} frame;

/*
 * Start the node for entries [lo, hi) at nibble `cursor`: a leaf is written whole (and has
 * no children to do); a branch gets its header, partial key, bitmap and value, and its
 * children are left to do: entries [f->next, f->hi), split at nibble f->at.
 */
static void start_node(const build *b, size_t lo, size_t hi, size_t cursor, frame *f)
{
    f->enc.len = 0;
    if (hi - lo == 1) {
        write_leaf(&f->enc, b, b->e[lo], cursor);
        f->next = f->hi = 0;
        return;
    }
    const trie_entry *first = b->e[lo];
    size_t shared = common_nibbles(&first->key, &b->e[hi - 1]->key, cursor);   /* sorted: = of all */
    size_t at = shared > cursor ? shared : cursor;
    bool has_value = 2 * first->key.len == at;   /* only the smallest key can end here */
    size_t begin = lo + has_value;

    uint16_t bitmap = 0;
    for (size_t i = begin; i < hi; i++)
        bitmap |= (uint16_t)(1u << trie_nibble_at(b->e[i]->key.ptr, at));

    uint8_t h[32];
    trie_header_kind kind = TRIE_HDR_BRANCH_NO_VALUE;
    if (has_value)
        kind = layout_value(b, &first->value, h) == TRIE_VALUE_HASHED ? TRIE_HDR_HASHED_BRANCH
                                                                      : TRIE_HDR_BRANCH_WITH_VALUE;
    trie_write_header(&f->enc, kind, at - cursor);
    trie_write_partial(&f->enc, first->key.ptr, cursor, at - cursor);
    scale_write_u16(&f->enc, bitmap);
    if (has_value)
        write_value(&f->enc, b, &first->value);
    f->hi = hi;
    f->at = at;
    f->next = begin;
}

/* Append a finished child to its parent: inline when short, else by hash. */
static void append_child(const build *b, scale_writer *parent, const scale_writer *child)
{
    if (child->len < TRIE_HASH_LEN) {
        scale_write_byte_vec(parent, child->buf, child->len);
        return;
    }
    uint8_t h[32];
    b->hash(child->buf, child->len, h);
    scale_write_byte_vec(parent, h, 32);
}

/* Room for `need` frames; the new ones get an empty encoder. */
static bool grow_frames(frame **frames, size_t *cap, size_t need)
{
    size_t old = *cap;
    if (!vec_reserve((void **)frames, cap, need, sizeof **frames, 16))
        return false;
    for (size_t i = old; i < *cap; i++)
        scale_writer_init(&(*frames)[i].enc);
    return true;
}

/* Encode the trie of the m entries and hash its root into out; false when out of memory. */
static bool encode_and_hash(const build *b, size_t m, uint8_t out[32])
{
    if (m == 0) {
        uint8_t empty = 0x00;
        b->hash(&empty, 1, out);
        return true;
    }
    frame *frames = NULL;
    size_t cap = 0, depth = 0;
    bool ok = grow_frames(&frames, &cap, 1);
    if (ok) {
        start_node(b, 0, m, 0, &frames[0]);
        depth = 1;
    }
    while (ok && depth > 0) {
        frame *f = &frames[depth - 1];
        if (f->next < f->hi) {
            /* The next child: the run of entries with the same nibble at f->at. */
            size_t lo = f->next, hi = lo + 1, at = f->at;
            unsigned nib = trie_nibble_at(b->e[lo]->key.ptr, at);
            while (hi < f->hi && trie_nibble_at(b->e[hi]->key.ptr, at) == nib)
                hi++;
            f->next = hi;
            if (!(ok = grow_frames(&frames, &cap, depth + 1)))
                break;
            start_node(b, lo, hi, at + 1, &frames[depth++]);
            continue;
        }
        if (f->enc.failed) {
            ok = false;
            break;
        }
        if (depth == 1)
            b->hash(f->enc.buf, f->enc.len, out);
        else
            append_child(b, &frames[depth - 2].enc, &f->enc);
        depth--;
    }
    for (size_t i = 0; i < cap; i++)
        scale_writer_free(&frames[i].enc);
    free(frames);
    return ok;
}

bool trie_root(trie_hash_fn hash, trie_layout layout, const trie_entry *entries, size_t n,
               uint8_t out[32])
{
    size_t *idx = NULL, *tmp = NULL;
    const trie_entry **sorted = NULL;
    bool ok = false;
    if (n > SIZE_MAX / sizeof(size_t))
        return false;
    idx = malloc((n ? n : 1) * sizeof *idx);
    tmp = malloc((n ? n : 1) * sizeof *tmp);
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (idx && tmp && sorted) {
        build b = { hash, layout, sorted };
        size_t m = sorted_unique(entries, n, idx, tmp, sorted);
        ok = encode_and_hash(&b, m, out);
    }
    free(idx);
    free(tmp);
    free(sorted);
    return ok;
}

bool trie_ordered_root(trie_hash_fn hash, trie_layout layout, const scale_bytes *values, size_t n,
                       uint8_t out[32])
{
    if (n > UINT32_MAX)
        return false;
    /* Keys are the SCALE compact encodings of the indices: at most 5 bytes each. */
    uint8_t *keys = malloc(n ? n * 5 : 1);
    trie_entry *e = malloc((n ? n : 1) * sizeof *e);
    bool ok = false;
    if (keys && e) {
        scale_writer w;
        scale_writer_init(&w);
        for (size_t i = 0; i < n; i++) {
            w.len = 0;
            scale_write_compact(&w, i);
            if (w.failed)
                break;
            memcpy(keys + 5 * i, w.buf, w.len);
            e[i] = (trie_entry){ { keys + 5 * i, w.len }, values[i] };
        }
        ok = !w.failed && trie_root(hash, layout, e, n, out);
        scale_writer_free(&w);
    }
    free(keys);
    free(e);
    return ok;
}

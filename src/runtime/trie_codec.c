/*
 * trie_codec.c — decoding and encoding one node of the Substrate trie (see trie_codec.h
 * for the format; sp-trie's node_header.rs and node_codec.rs are the reference).
 */
#include "runtime/trie_codec.h"

#include <sodium.h>
#include <string.h>

#include "runtime/trie.h"

void trie_blake2_256(const uint8_t *data, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, data, len, NULL, 0);
}

/* ------------------------------------------------------------------ headers */

/* The first byte's prefix and how many of its high bits the prefix takes. */
static const struct {
    uint8_t prefix;
    unsigned prefix_bits;
} header_layout[] = {
    [TRIE_HDR_LEAF] = { 0x40, 2 },
    [TRIE_HDR_BRANCH_NO_VALUE] = { 0x80, 2 },
    [TRIE_HDR_BRANCH_WITH_VALUE] = { 0xc0, 2 },
    [TRIE_HDR_HASHED_LEAF] = { 0x20, 3 },
    [TRIE_HDR_HASHED_BRANCH] = { 0x10, 4 },
};

void trie_write_header(scale_writer *w, trie_header_kind kind, size_t nibbles)
{
    unsigned max = 0xffu >> header_layout[kind].prefix_bits;
    if (nibbles < max) {
        scale_write_u8(w, (uint8_t)(header_layout[kind].prefix + nibbles));
        return;
    }
    scale_write_u8(w, (uint8_t)(header_layout[kind].prefix + max));
    size_t rem = nibbles - (max - 1);   /* >= 1 */
    while (rem >= 256) {
        scale_write_u8(w, 255);
        rem -= 255;
    }
    scale_write_u8(w, (uint8_t)(rem - 1));
}

/* The length field after a first byte whose low `bits` bits were all ones, or not. */
static bool read_nibble_count(scale_reader *r, uint8_t first, unsigned prefix_bits, size_t *out)
{
    unsigned max = 0xffu >> prefix_bits;
    size_t count = first & max;
    if (count < max) {
        *out = count;
        return true;
    }
    count -= 1;
    for (;;) {
        uint8_t b;
        if (!scale_read_u8(r, &b))
            return false;
        if (b < 255) {
            *out = count + b + 1;
            return true;
        }
        count += 255;   /* bounded by the input: one byte per 255 */
    }
}

/* The header: node kind, value kind, nibble count. */
static bool read_header(scale_reader *r, trie_node *n)
{
    uint8_t b;
    if (!scale_read_u8(r, &b))
        return false;
    if (b == 0x00) {
        n->kind = TRIE_NODE_EMPTY;
        return true;
    }
    switch (b >> 6) {
    case 1:
        n->kind = TRIE_NODE_LEAF, n->value_kind = TRIE_VALUE_INLINE;
        return read_nibble_count(r, b, 2, &n->nibbles);
    case 2:
        n->kind = TRIE_NODE_BRANCH, n->value_kind = TRIE_VALUE_NONE;
        return read_nibble_count(r, b, 2, &n->nibbles);
    case 3:
        n->kind = TRIE_NODE_BRANCH, n->value_kind = TRIE_VALUE_INLINE;
        return read_nibble_count(r, b, 2, &n->nibbles);
    default:
        break;
    }
    if ((b & 0xe0) == 0x20) {
        n->kind = TRIE_NODE_LEAF, n->value_kind = TRIE_VALUE_HASHED;
        return read_nibble_count(r, b, 3, &n->nibbles);
    }
    if ((b & 0xf0) == 0x10) {
        n->kind = TRIE_NODE_BRANCH, n->value_kind = TRIE_VALUE_HASHED;
        return read_nibble_count(r, b, 4, &n->nibbles);
    }
    return false;   /* 0x01..0x0f: "Unallowed encoding" */
}

/* ------------------------------------------------------------------ decoding */

static bool read_bytes(scale_reader *r, size_t len, scale_bytes *out)
{
    if (len > scale_left(r))
        return false;
    out->ptr = r->p;
    out->len = len;
    r->p += len;
    return true;
}

/* Compact u32 length + that many bytes (strict compact, as parity-scale-codec). */
static bool read_counted(scale_reader *r, scale_bytes *out)
{
    uint32_t len;
    return scale_read_compact_u32(r, &len) && read_bytes(r, len, out);
}

static bool read_partial(scale_reader *r, trie_node *n)
{
    /* sp-trie wants one byte here even for an empty partial key, then checks the padding. */
    if (scale_left(r) < 1)
        return false;
    if ((n->nibbles & 1) && (*r->p & 0xf0))
        return false;
    scale_bytes partial;
    if (!read_bytes(r, (n->nibbles >> 1) + (n->nibbles & 1), &partial))
        return false;
    n->partial = partial.ptr;
    return true;
}

static bool read_value(scale_reader *r, trie_node *n)
{
    if (n->value_kind == TRIE_VALUE_HASHED)
        return read_bytes(r, TRIE_HASH_LEN, &n->value);
    if (n->value_kind == TRIE_VALUE_INLINE)
        return read_counted(r, &n->value);
    return true;
}

static bool read_children(scale_reader *r, trie_node *n)
{
    const uint8_t *bm;
    if (!scale_read_fixed(r, 2, &bm))
        return false;
    n->bitmap = (uint16_t)(bm[0] | bm[1] << 8);
    if (n->bitmap == 0)
        return false;   /* "Bitmap without a child." */
    if (!read_value(r, n))
        return false;
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        if ((n->bitmap >> i & 1) && !read_counted(r, &n->children[i]))
            return false;
    return true;
}

bool trie_node_decode(const uint8_t *data, size_t len, trie_node *out)
{
    scale_reader r;
    scale_reader_init(&r, data, len, NULL);
    memset(out, 0, sizeof *out);
    if (!read_header(&r, out))
        return false;
    if (out->kind == TRIE_NODE_EMPTY)
        return true;
    if (!read_partial(&r, out))
        return false;
    return out->kind == TRIE_NODE_LEAF ? read_value(&r, out) : read_children(&r, out);
}

/* ------------------------------------------------------------------ encoding */

void trie_write_partial(scale_writer *w, const uint8_t *bytes, size_t first, size_t count)
{
    size_t i = first, end = first + count;
    if (count & 1)
        scale_write_u8(w, (uint8_t)trie_nibble_at(bytes, i++));
    if ((i & 1) == 0) {   /* byte-aligned: copy */
        scale_write_raw(w, bytes + i / 2, (end - i) / 2);
        return;
    }
    for (; i < end; i += 2)
        scale_write_u8(w, (uint8_t)(trie_nibble_at(bytes, i) << 4 | trie_nibble_at(bytes, i + 1)));
}

void trie_write_value(scale_writer *w, trie_value_kind kind, const uint8_t *bytes, size_t len)
{
    if (kind == TRIE_VALUE_HASHED)
        scale_write_raw(w, bytes, TRIE_HASH_LEN);
    else if (kind == TRIE_VALUE_INLINE)
        scale_write_byte_vec(w, bytes, len);
}

static trie_header_kind header_kind_of(const trie_node *n)
{
    if (n->kind == TRIE_NODE_LEAF)
        return n->value_kind == TRIE_VALUE_HASHED ? TRIE_HDR_HASHED_LEAF : TRIE_HDR_LEAF;
    switch (n->value_kind) {
    case TRIE_VALUE_NONE:
        return TRIE_HDR_BRANCH_NO_VALUE;
    case TRIE_VALUE_INLINE:
        return TRIE_HDR_BRANCH_WITH_VALUE;
    default:
        return TRIE_HDR_HASHED_BRANCH;
    }
}

void trie_node_encode(scale_writer *w, const trie_node *n)
{
    if (n->kind == TRIE_NODE_EMPTY) {
        scale_write_u8(w, 0x00);
        return;
    }
    trie_write_header(w, header_kind_of(n), n->nibbles);
    trie_write_partial(w, n->partial, n->nibbles & 1, n->nibbles);
    if (n->kind == TRIE_NODE_BRANCH)
        scale_write_u16(w, n->bitmap);
    trie_write_value(w, n->value_kind, n->value.ptr, n->value.len);
    if (n->kind == TRIE_NODE_BRANCH)
        for (unsigned i = 0; i < TRIE_CHILDREN; i++)
            if (n->bitmap >> i & 1)
                scale_write_byte_vec(w, n->children[i].ptr, n->children[i].len);
}

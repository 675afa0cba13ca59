/* header.c — block headers as SCALE bytes (see header.h). */
#include "author/header.h"

#include "runtime/scale.h"

bool header_view_decode(const uint8_t *h, size_t len, header_view *out)
{
    scale_reader r;
    scale_reader_init(&r, h, len, NULL);
    const uint8_t *p;
    if (!scale_read_fixed(&r, 32, &p))
        return false;
    out->parent_hash = p;
    if (!scale_read_compact_u32(&r, &out->number) || !scale_read_fixed(&r, 32, &out->state_root) ||
        !scale_read_fixed(&r, 32, &out->extrinsics_root) || !scale_read_compact_u32(&r, &out->digest_count))
        return false;
    out->digest_offset = scale_offset(&r);
    return true;
}

void digest_item_write(scale_writer *w, uint8_t kind, const char engine[4], const uint8_t *payload, size_t plen)
{
    scale_write_u8(w, kind);
    scale_write_raw(w, engine, 4);
    scale_write_byte_vec(w, payload, plen);
}

bool header_encode_new(const uint8_t parent_hash[32], uint32_t number, const uint8_t *items, size_t items_len,
                       uint32_t nitems, uint8_t **out, size_t *out_len)
{
    static const uint8_t zero[32];
    scale_writer w;
    scale_writer_init(&w);
    scale_write_raw(&w, parent_hash, 32);
    scale_write_compact(&w, number);
    scale_write_raw(&w, zero, 32);
    scale_write_raw(&w, zero, 32);
    scale_write_compact(&w, nitems);
    scale_write_raw(&w, items, items_len);
    return scale_writer_finish(&w, out, out_len);
}

bool header_append_digest(const uint8_t *h, size_t len, uint8_t kind, const char engine[4], const uint8_t *payload,
                          size_t plen, uint8_t **out, size_t *out_len)
{
    header_view v;
    if (!header_view_decode(h, len, &v) || v.digest_count == UINT32_MAX)
        return false;
    size_t fixed = 32 + scale_compact_size(v.number) + 64;
    scale_writer w;
    scale_writer_init(&w);
    scale_write_raw(&w, h, fixed);
    scale_write_compact(&w, (scale_u128)v.digest_count + 1);
    scale_write_raw(&w, h + v.digest_offset, len - v.digest_offset);
    digest_item_write(&w, kind, engine, payload, plen);
    return scale_writer_finish(&w, out, out_len);
}

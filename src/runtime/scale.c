/* scale.c — SCALE reader and writer (see scale.h). */
#include "runtime/scale.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- reader */

void scale_reader_init(scale_reader *r, const uint8_t *bytes, size_t len, wasm_error *err)
{
    r->start = bytes;
    r->p = bytes;
    r->end = bytes + len;
    r->err = err;
}

static bool fail_va(scale_reader *r, size_t offset, const char *fmt, va_list ap)
{
    if (!r->err)
        return false;
    vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
    r->err->offset = offset;
    r->err->has_offset = true;
    return false;
}

bool scale_fail(scale_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_va(r, scale_offset(r), fmt, ap);
    va_end(ap);
    return false;
}

bool scale_fail_at(scale_reader *r, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_va(r, offset, fmt, ap);
    va_end(ap);
    return false;
}

bool scale_read_fixed(scale_reader *r, size_t n, const uint8_t **out)
{
    if (n > scale_left(r))
        return scale_fail(r, "unexpected end of input: %zu bytes needed, %zu left", n, scale_left(r));
    *out = r->p;
    r->p += n;
    return true;
}

/* n <= 16 little-endian bytes. */
static bool read_le(scale_reader *r, size_t n, scale_u128 *out)
{
    const uint8_t *b = NULL;
    if (!scale_read_fixed(r, n, &b))
        return false;
    scale_u128 v = 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | b[i];
    *out = v;
    return true;
}

bool scale_read_u8(scale_reader *r, uint8_t *out)
{
    scale_u128 v = 0;
    if (!read_le(r, 1, &v))
        return false;
    *out = (uint8_t)v;
    return true;
}

bool scale_read_u16(scale_reader *r, uint16_t *out)
{
    scale_u128 v = 0;
    if (!read_le(r, 2, &v))
        return false;
    *out = (uint16_t)v;
    return true;
}

bool scale_read_u32(scale_reader *r, uint32_t *out)
{
    scale_u128 v = 0;
    if (!read_le(r, 4, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool scale_read_u64(scale_reader *r, uint64_t *out)
{
    scale_u128 v = 0;
    if (!read_le(r, 8, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

bool scale_read_i32(scale_reader *r, int32_t *out)
{
    uint32_t u;
    if (!scale_read_u32(r, &u))
        return false;
    *out = (int32_t)u;
    return true;
}

bool scale_read_bool(scale_reader *r, bool *out)
{
    uint8_t b;
    if (!scale_read_u8(r, &b))
        return false;
    if (b > 1)
        return scale_fail_at(r, scale_offset(r) - 1, "invalid bool: 0x%02x", b);
    *out = b == 1;
    return true;
}

/*
 * A compact integer of at most `bits` bits (32, 64 or 128). Canonical means
 * the shortest mode: each mode's values start where the previous mode's end,
 * and in big mode the most significant byte is not zero (4-byte big mode
 * starts at 2^30, where the 4-byte mode 0b10 stops).
 */
static bool read_compact(scale_reader *r, unsigned bits, scale_u128 *out)
{
    size_t at = scale_offset(r);
    if (scale_left(r) == 0)
        return scale_fail(r, "unexpected end of input: compact integer expected");
    uint8_t prefix = *r->p;   /* peeked: modes 0b01 and 0b10 include it in the value */

    scale_u128 v = 0, min = 0;
    switch (prefix & 3) {
    case 0:
        r->p++;
        *out = prefix >> 2;
        return true;
    case 1:
        if (!read_le(r, 2, &v))
            return false;
        v >>= 2;
        min = (scale_u128)1 << 6;
        break;
    case 2:
        if (!read_le(r, 4, &v))
            return false;
        v >>= 2;
        min = (scale_u128)1 << 14;
        break;
    default: {
        r->p++;
        size_t n = (size_t)(prefix >> 2) + 4;
        if (n * 8 > bits)
            return scale_fail_at(r, at, "compact integer does not fit in %u bits (%zu bytes)", bits, n);
        if (!read_le(r, n, &v))
            return false;
        min = n == 4 ? (scale_u128)1 << 30 : (scale_u128)1 << (8 * (n - 1));
        break;
    }
    }
    if (v < min)
        return scale_fail_at(r, at, "non-canonical compact encoding");
    *out = v;
    return true;
}

bool scale_read_compact_u32(scale_reader *r, uint32_t *out)
{
    scale_u128 v = 0;
    if (!read_compact(r, 32, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool scale_read_compact_u64(scale_reader *r, uint64_t *out)
{
    scale_u128 v = 0;
    if (!read_compact(r, 64, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

bool scale_read_compact_u128(scale_reader *r, scale_u128 *out)
{
    return read_compact(r, 128, out);
}

bool scale_read_vec_len(scale_reader *r, size_t min_item_size, uint32_t max_count, uint32_t *count)
{
    size_t at = scale_offset(r);
    uint32_t n;
    if (!scale_read_compact_u32(r, &n))
        return false;
    if (n > max_count)
        return scale_fail_at(r, at, "vector of %u items exceeds the limit of %u", n, max_count);
    if (min_item_size == 0)
        min_item_size = 1;
    if (n > scale_left(r) / min_item_size)
        return scale_fail_at(r, at, "vector of %u items cannot fit in the %zu bytes left", n,
                             scale_left(r));
    *count = n;
    return true;
}

bool scale_read_byte_vec(scale_reader *r, scale_bytes *out)
{
    size_t at = scale_offset(r);
    uint32_t n;
    if (!scale_read_compact_u32(r, &n))
        return false;
    if (n > scale_left(r))
        return scale_fail_at(r, at, "byte vector of %u bytes exceeds the %zu bytes left", n,
                             scale_left(r));
    out->ptr = r->p;
    out->len = n;
    r->p += n;
    return true;
}

bool scale_read_option(scale_reader *r, bool *present)
{
    uint8_t tag;
    if (!scale_read_u8(r, &tag))
        return false;
    if (tag > 1)
        return scale_fail_at(r, scale_offset(r) - 1, "invalid Option tag: 0x%02x", tag);
    *present = tag == 1;
    return true;
}

bool scale_read_result(scale_reader *r, bool *is_err)
{
    uint8_t tag;
    if (!scale_read_u8(r, &tag))
        return false;
    if (tag > 1)
        return scale_fail_at(r, scale_offset(r) - 1, "invalid Result tag: 0x%02x", tag);
    *is_err = tag == 1;
    return true;
}

bool scale_read_variant(scale_reader *r, uint8_t *index)
{
    return scale_read_u8(r, index);
}

bool scale_expect_end(scale_reader *r)
{
    if (scale_left(r) != 0)
        return scale_fail(r, "trailing bytes: %zu after the end of the value", scale_left(r));
    return true;
}

/* ---------------------------------------------------------------- writer */

void scale_writer_init(scale_writer *w)
{
    memset(w, 0, sizeof *w);
}

void scale_writer_free(scale_writer *w)
{
    free(w->buf);
    scale_writer_init(w);
}

bool scale_writer_finish(scale_writer *w, uint8_t **out, size_t *len)
{
    if (w->failed || (!w->buf && !(w->buf = malloc(1)))) {
        scale_writer_free(w);
        *out = NULL;
        *len = 0;
        return false;
    }
    *out = w->buf;
    *len = w->len;
    scale_writer_init(w);
    return true;
}

/* Make room for n more bytes (doubling); false once anything failed. */
static bool reserve(scale_writer *w, size_t n)
{
    if (w->failed)
        return false;
    if (n <= w->cap - w->len)
        return true;
    if (n > SIZE_MAX / 2 - w->len) {
        w->failed = true;
        return false;
    }
    size_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < n)
        cap *= 2;
    uint8_t *buf = realloc(w->buf, cap);
    if (!buf) {
        w->failed = true;
        return false;
    }
    w->buf = buf;
    w->cap = cap;
    return true;
}

void scale_write_raw(scale_writer *w, const void *bytes, size_t n)
{
    if (n == 0 || !reserve(w, n))
        return;
    memcpy(w->buf + w->len, bytes, n);
    w->len += n;
}

static void write_le(scale_writer *w, scale_u128 v, size_t n)
{
    uint8_t b[16];
    for (size_t i = 0; i < n; i++, v >>= 8)
        b[i] = (uint8_t)v;
    scale_write_raw(w, b, n);
}

void scale_write_u8(scale_writer *w, uint8_t v) { write_le(w, v, 1); }
void scale_write_u16(scale_writer *w, uint16_t v) { write_le(w, v, 2); }
void scale_write_u32(scale_writer *w, uint32_t v) { write_le(w, v, 4); }
void scale_write_u64(scale_writer *w, uint64_t v) { write_le(w, v, 8); }
void scale_write_bool(scale_writer *w, bool v) { write_le(w, v ? 1 : 0, 1); }

/* Bytes needed for v in big mode (at least 4). */
static size_t big_mode_bytes(scale_u128 v)
{
    size_t n = 4;
    while (n < 16 && (v >> (8 * n)) != 0)
        n++;
    return n;
}

size_t scale_compact_size(scale_u128 v)
{
    if (v < (1u << 6))
        return 1;
    if (v < (1u << 14))
        return 2;
    if (v < (1u << 30))
        return 4;
    return 1 + big_mode_bytes(v);
}

void scale_write_compact(scale_writer *w, scale_u128 v)
{
    switch (scale_compact_size(v)) {
    case 1: write_le(w, v << 2, 1); break;
    case 2: write_le(w, (v << 2) | 1, 2); break;
    case 4: write_le(w, (v << 2) | 2, 4); break;
    default: {
        size_t n = big_mode_bytes(v);
        scale_write_u8(w, (uint8_t)(((n - 4) << 2) | 3));
        write_le(w, v, n);
    }
    }
}

void scale_write_byte_vec(scale_writer *w, const uint8_t *bytes, size_t n)
{
    scale_write_compact(w, n);
    scale_write_raw(w, bytes, n);
}

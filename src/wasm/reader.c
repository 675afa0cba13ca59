/* reader.c — bounds-checked byte reading and strict LEB128 (see reader.h). */
#include "wasm/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool wasm_reader_fail(wasm_reader *r, const char *fmt, ...)
{
    if (!r->err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
    va_end(ap);
    r->err->offset = wasm_reader_offset(r);
    r->err->has_offset = true;
    r->err->truncated = false;
    return false;
}

/* The input ends before what is being read: an error the decoder may rename. */
static bool fail_truncated(wasm_reader *r, const char *detail, size_t need, size_t left)
{
    if (need)
        wasm_reader_fail(r, WASM_TRUNCATED_TEXT "%s: %zu bytes needed, %zu left", detail, need, left);
    else
        wasm_reader_fail(r, WASM_TRUNCATED_TEXT "%s", detail);
    if (r->err)
        r->err->truncated = true;
    return false;
}

bool wasm_read_u8(wasm_reader *r, uint8_t *out)
{
    if (r->p >= r->end)
        return fail_truncated(r, "", 0, 0);
    *out = *r->p++;
    return true;
}

bool wasm_read_bytes(wasm_reader *r, size_t n, const uint8_t **out)
{
    if (n > wasm_reader_left(r))
        return fail_truncated(r, "", n, wasm_reader_left(r));
    *out = r->p;
    r->p += n;
    return true;
}

/*
 * Unsigned LEB128 of at most `bits` bits. The last allowed byte may only use
 * the bits that still fit; anything more is "integer too large".
 */
static bool read_uleb(wasm_reader *r, unsigned bits, uint64_t *out)
{
    uint64_t result = 0;
    unsigned shift = 0;
    for (;;) {
        if (r->p >= r->end)
            return fail_truncated(r, " of LEB128 integer", 0, 0);
        uint8_t byte = *r->p++;
        unsigned remaining = bits - shift;  /* bits still to fill, > 0 */
        if (remaining < 7) {
            /* last possible byte: no continuation, no bits beyond `bits` */
            if (byte & 0x80)
                return wasm_reader_fail(r, "integer representation too long");
            if (byte >> remaining)
                return wasm_reader_fail(r, "integer too large");
        }
        result |= (uint64_t)(byte & 0x7F) << shift;
        shift += 7;
        if (!(byte & 0x80))
            break;
        if (shift >= bits && remaining == 7) {
            /* exactly filled and still continuing */
            return wasm_reader_fail(r, "integer representation too long");
        }
    }
    uint32_t used = shift / 7;
    if (used > 1)
        r->overlong += used - wasm_uleb_size(result);
    *out = result;
    return true;
}

/*
 * Signed LEB128 of at most `bits` bits. On the last allowed byte the unused
 * high bits must all equal the sign bit.
 */
static bool read_sleb(wasm_reader *r, unsigned bits, int64_t *out)
{
    uint64_t result = 0;
    unsigned shift = 0;
    uint8_t byte;
    for (;;) {
        if (r->p >= r->end)
            return fail_truncated(r, " of LEB128 integer", 0, 0);
        byte = *r->p++;
        unsigned remaining = bits - shift;
        if (remaining <= 7) {
            if (byte & 0x80)
                return wasm_reader_fail(r, "integer representation too long");
            /* bits [remaining-1, 6] must be all equal (sign extension) */
            int8_t sbyte = (int8_t)(byte << 1) >> 1;        /* 7-bit value sign-extended */
            int64_t hi = sbyte >> (remaining - 1);          /* sign bit and above */
            if (hi != 0 && hi != -1)
                return wasm_reader_fail(r, "integer too large");
        }
        result |= (uint64_t)(byte & 0x7F) << shift;
        shift += 7;
        if (!(byte & 0x80))
            break;
    }
    if (shift < 64 && (byte & 0x40))
        result |= ~(uint64_t)0 << shift;
    uint32_t used = shift / 7;
    if (used > 1)
        r->overlong += used - wasm_sleb_size((int64_t)result);
    *out = (int64_t)result;
    return true;
}

bool wasm_read_u32(wasm_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    if (!read_uleb(r, 32, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool wasm_read_s32(wasm_reader *r, int32_t *out)
{
    int64_t v = 0;
    if (!read_sleb(r, 32, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

bool wasm_read_s33(wasm_reader *r, int64_t *out)
{
    return read_sleb(r, 33, out);
}

bool wasm_read_s64(wasm_reader *r, int64_t *out)
{
    return read_sleb(r, 64, out);
}

bool wasm_read_f32(wasm_reader *r, uint32_t *bits)
{
    const uint8_t *b = NULL;
    if (!wasm_read_bytes(r, 4, &b))
        return false;
    *bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

bool wasm_read_f64(wasm_reader *r, uint64_t *bits)
{
    const uint8_t *b = NULL;
    if (!wasm_read_bytes(r, 8, &b))
        return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *bits = v;
    return true;
}

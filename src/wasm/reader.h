/*
 * reader.h — a cursor over input bytes with strict LEB128 decoding.
 *
 * Used by the decoder for sections and by the validator, stack limiter and
 * compiler for instruction streams. Every read checks the end of input; on
 * failure it records the error (with the absolute offset) and returns false.
 * LEB128 is strict as the spec requires: at most ceil(N/7) bytes, and unused
 * bits of the last byte must be a sign/zero extension ("integer too large",
 * "integer representation too long"). Within those rules an encoding may
 * still be longer than needed (0x80 0x00 for 0); the reader counts such
 * padding bytes, because the reference re-encodes every module minimally
 * before its size limits apply (see wasm/limits.h).
 */
#ifndef PVF_WASM_READER_H
#define PVF_WASM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"

typedef struct wasm_reader {
    const uint8_t *p;       /* next byte */
    const uint8_t *end;     /* one past the last readable byte */
    size_t base;            /* absolute offset of the byte `start` points to */
    const uint8_t *start;   /* for offsets: absolute offset of p = base + (p - start) */
    wasm_error *err;
    size_t overlong;        /* LEB128 bytes read beyond the minimal encodings of their values */
} wasm_reader;

static inline void wasm_reader_init(wasm_reader *r, const uint8_t *bytes, size_t len,
                                    size_t base_offset, wasm_error *err)
{
    r->p = bytes;
    r->start = bytes;
    r->end = bytes + len;
    r->base = base_offset;
    r->err = err;
    r->overlong = 0;
}

static inline size_t wasm_reader_offset(const wasm_reader *r)
{
    return r->base + (size_t)(r->p - r->start);
}

static inline bool wasm_reader_eof(const wasm_reader *r)
{
    return r->p >= r->end;
}

static inline size_t wasm_reader_left(const wasm_reader *r)
{
    return (size_t)(r->end - r->p);
}

bool wasm_read_u8(wasm_reader *r, uint8_t *out);
bool wasm_read_bytes(wasm_reader *r, size_t n, const uint8_t **out);
bool wasm_read_u32(wasm_reader *r, uint32_t *out);       /* unsigned LEB128, 32 bits */
bool wasm_read_s32(wasm_reader *r, int32_t *out);        /* signed LEB128, 32 bits */
bool wasm_read_s33(wasm_reader *r, int64_t *out);        /* signed LEB128, 33 bits (block types) */
bool wasm_read_s64(wasm_reader *r, int64_t *out);        /* signed LEB128, 64 bits */
bool wasm_read_f32(wasm_reader *r, uint32_t *bits);      /* 4 bytes little-endian */
bool wasm_read_f64(wasm_reader *r, uint64_t *bits);      /* 8 bytes little-endian */

/* Bytes of the minimal LEB128 encoding of v: what an encoder such as parity-wasm writes. */
static inline uint32_t wasm_uleb_size(uint64_t v)
{
    uint32_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint32_t wasm_sleb_size(int64_t v)
{
    uint32_t n = 1;
    while (v >= 64 || v < -64) {
        v >>= 7;    /* arithmetic shift (gcc, clang): the sign is kept */
        n++;
    }
    return n;
}

/* Record an error at the reader's current offset. Returns false. */
bool wasm_reader_fail(wasm_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

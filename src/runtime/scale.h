/*
 * scale.h — SCALE, the Parity codec: a bounds-checked reader and a growable writer.
 *
 * SCALE has no framing of its own: a value is its fields one after the other.
 * The pieces are
 *   - fixed-width integers, little-endian;
 *   - bool, one byte that must be 0 or 1;
 *   - compact integers, whose two low bits of the first byte choose the mode:
 *       0b00  one byte,   value = byte >> 2              (0 .. 2^6-1)
 *       0b01  two bytes,  value = u16 >> 2               (2^6 .. 2^14-1)
 *       0b10  four bytes, value = u32 >> 2               (2^14 .. 2^30-1)
 *       0b11  "big": (byte >> 2) + 4 bytes follow, LE    (2^30 ..)
 *     Decoding is strict, as parity-scale-codec is: a value that a shorter
 *     mode could hold is "non-canonical compact encoding";
 *   - Vec<T> and byte strings: a compact length, then the items;
 *   - Option<T>: 0, or 1 followed by T; Result<T, E>: 0 + T or 1 + E;
 *   - enums: a one-byte variant index followed by the variant's fields;
 *   - fixed arrays: the items, no length.
 *
 * Reading: every function returns false on failure and records the reason and
 * the byte offset in the reader's wasm_error ("at offset 0x1f: unexpected end
 * of input: 4 bytes needed, 2 left"). Nothing is allocated: byte strings are
 * returned as views into the input. Counts read from the input are checked
 * against the bytes left (and an optional limit) before any caller allocates.
 * Whether trailing bytes are an error is the caller's choice: parity-scale-codec's
 * `decode` ignores them, `decode_all` does not (scale_expect_end).
 *
 * Writing: the writer grows its buffer as needed; an allocation failure is
 * remembered and reported once, by scale_writer_finish.
 */
#ifndef PVF_RUNTIME_SCALE_H
#define PVF_RUNTIME_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"

typedef unsigned __int128 scale_u128;

/* A view of bytes inside some buffer that the caller keeps alive. */
typedef struct scale_bytes {
    const uint8_t *ptr;
    size_t len;
} scale_bytes;

/* ---------------------------------------------------------------- reader */

typedef struct scale_reader {
    const uint8_t *start;   /* offset 0 */
    const uint8_t *p;       /* next byte */
    const uint8_t *end;     /* one past the last byte */
    wasm_error *err;        /* may be NULL: failures are then silent */
} scale_reader;

void scale_reader_init(scale_reader *r, const uint8_t *bytes, size_t len, wasm_error *err);

static inline size_t scale_offset(const scale_reader *r) { return (size_t)(r->p - r->start); }
static inline size_t scale_left(const scale_reader *r) { return (size_t)(r->end - r->p); }

/* Record an error at the current offset / at `offset`. Both return false. */
bool scale_fail(scale_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool scale_fail_at(scale_reader *r, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool scale_read_u8(scale_reader *r, uint8_t *out);
bool scale_read_u16(scale_reader *r, uint16_t *out);
bool scale_read_u32(scale_reader *r, uint32_t *out);
bool scale_read_u64(scale_reader *r, uint64_t *out);
bool scale_read_i32(scale_reader *r, int32_t *out);
bool scale_read_bool(scale_reader *r, bool *out);   /* "invalid bool: 0x02" */

/* Compact integers; a value too wide for the type is "compact integer does not fit in N bits". */
bool scale_read_compact_u32(scale_reader *r, uint32_t *out);
bool scale_read_compact_u64(scale_reader *r, uint64_t *out);
bool scale_read_compact_u128(scale_reader *r, scale_u128 *out);

/* `n` raw bytes (a fixed array such as [u8; 32]), as a view. */
bool scale_read_fixed(scale_reader *r, size_t n, const uint8_t **out);
/* Vec<u8>: compact length + bytes, as a view. */
bool scale_read_byte_vec(scale_reader *r, scale_bytes *out);

/*
 * The compact length of a Vec<T> whose items take at least `min_item_size`
 * bytes each (>= 1). Fails when the count exceeds `max_count` (use UINT32_MAX
 * for "no limit": the length is a Compact<u32>) or when that many items cannot
 * fit in the bytes left — so the caller may allocate `*count` items safely.
 */
bool scale_read_vec_len(scale_reader *r, size_t min_item_size, uint32_t max_count, uint32_t *count);

/* Option tag: 0 ⇒ *present = false, 1 ⇒ true, anything else fails. */
bool scale_read_option(scale_reader *r, bool *present);
/* Result tag: 0 ⇒ Ok (*is_err = false), 1 ⇒ Err, anything else fails. */
bool scale_read_result(scale_reader *r, bool *is_err);
/* Enum variant index (one byte); the caller judges it. */
bool scale_read_variant(scale_reader *r, uint8_t *index);

/* Fail with "trailing bytes: N after the end of the value" unless all input was read. */
bool scale_expect_end(scale_reader *r);

/* ---------------------------------------------------------------- writer */

typedef struct scale_writer {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool failed;    /* an allocation failed; everything after it was dropped */
} scale_writer;

void scale_writer_init(scale_writer *w);
void scale_writer_free(scale_writer *w);
/*
 * Hand the bytes over: *out (malloc'd, the caller frees; non-NULL even when
 * empty) and *len. Returns false (and frees) if any allocation failed.
 * The writer is empty afterwards.
 */
bool scale_writer_finish(scale_writer *w, uint8_t **out, size_t *len);

void scale_write_raw(scale_writer *w, const void *bytes, size_t n);
void scale_write_u8(scale_writer *w, uint8_t v);
void scale_write_u16(scale_writer *w, uint16_t v);
void scale_write_u32(scale_writer *w, uint32_t v);
void scale_write_u64(scale_writer *w, uint64_t v);
void scale_write_bool(scale_writer *w, bool v);
void scale_write_compact(scale_writer *w, scale_u128 v);   /* any width: canonical encoding */
void scale_write_byte_vec(scale_writer *w, const uint8_t *bytes, size_t n);

/* Bytes a compact encoding of v takes (1, 2, 4, or 5..17). */
size_t scale_compact_size(scale_u128 v);

#endif

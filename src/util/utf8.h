/*
 * utf8.h — strict UTF-8, as Rust's str::from_utf8 and the wasm spec define it:
 * shortest forms only, no surrogates (U+D800..DFFF), nothing above U+10FFFF.
 */
#ifndef PVF_UTIL_UTF8_H
#define PVF_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the well-formed sequence at s (n bytes available, n >= 1), or 0. */
size_t utf8_sequence_length(const uint8_t *s, size_t n);

/* Offset of the first byte that does not start a well-formed sequence, or len. */
size_t utf8_invalid_at(const uint8_t *s, size_t len);

static inline bool utf8_valid(const uint8_t *s, size_t len)
{
    return utf8_invalid_at(s, len) == len;
}

#endif

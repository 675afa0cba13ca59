/*
 * parse.h — strict number parsing for command-line options and text formats.
 *
 * Decimal digits only: no sign, no spaces, no prefix (strtoul would take
 * " -1" as a huge number), and never a value above `max`.
 */
#ifndef PVF_UTIL_PARSE_H
#define PVF_UTIL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* *out = the decimal number s; false when s is empty, has another character, or exceeds max. */
bool parse_decimal(const char *s, uint64_t max, uint64_t *out);

/* A 32-bit count from 1 to UINT32_MAX. */
bool parse_count_u32(const char *s, uint32_t *out);

#endif

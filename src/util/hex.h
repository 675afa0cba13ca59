/* hex.h — hex strings for the CLI and tests ("0x" prefix optional on input). */
#ifndef PVF_UTIL_HEX_H
#define PVF_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The value of one hex digit, or -1. */
int hex_digit(char c);

/* Decode `text` (with or without 0x); malloc'd bytes, false on a bad digit or odd length. */
bool hex_decode(const char *text, uint8_t **out, size_t *out_len);

/* Print bytes as "0x…" in lowercase to `f` (a JSON string body needs no escaping).
 * False when writing fails. */
bool hex_print(FILE *f, const uint8_t *bytes, size_t len);

#endif

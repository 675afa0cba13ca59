/*
 * json.h — a small JSON (RFC 8259) parser that builds a tree.
 *
 *   char err[128];
 *   json_value *doc = json_parse(text, len, err, sizeof err);
 *   if (!doc) fprintf(stderr, "%s\n", err);          // "line 3, column 7: expected ':'"
 *   const json_value *cmds = json_get(doc, "commands");
 *   for (size_t i = 0; i < json_array_len(cmds); i++) ...
 *   json_free(doc);
 *
 * The parser is strict: input must be UTF-8, no trailing commas, no comments,
 * nothing after the top-level value. Nesting deeper than JSON_MAX_DEPTH is
 * rejected so that hostile input cannot exhaust the C stack.
 *
 * Accessors are total: given NULL or a value of the wrong type they return
 * NULL / 0 / false, so lookups can be chained without checks in between.
 *
 * Strings are decoded (escapes, \uXXXX with surrogate pairs → UTF-8) and
 * NUL-terminated, but may contain NUL bytes themselves: use the length.
 * Numbers keep their source text next to the double, so integers beyond
 * 2^53 (up to 2^64-1) can still be read exactly with json_number_u64().
 */
#ifndef PVF_UTIL_JSON_H
#define PVF_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 1000

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value json_value;

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated). Returns the tree,
 * or NULL with "line L, column C: reason" in err (columns count bytes, from 1).
 */
json_value *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json_value *v);

json_type json_type_of(const json_value *v);   /* JSON_NULL for a NULL pointer too */
const char *json_type_name(json_type t);       /* "null", "bool", "number", ... */

/* Objects. json_get returns the first member named `key`, or NULL. */
const json_value *json_get(const json_value *obj, const char *key);
size_t json_object_len(const json_value *obj);
const char *json_object_key(const json_value *obj, size_t i, size_t *len);
const json_value *json_object_value(const json_value *obj, size_t i);

/* Arrays. */
size_t json_array_len(const json_value *arr);
const json_value *json_array_at(const json_value *arr, size_t i);

/* Strings: the decoded bytes (NUL-terminated), *len without the terminator. */
const char *json_string(const json_value *v, size_t *len);
/* The string member `key` of obj, or NULL (missing or not a string). */
const char *json_get_string(const json_value *obj, const char *key);

/* Numbers. */
double json_number(const json_value *v);
const char *json_number_text(const json_value *v);      /* as written in the source */
/* The number as an exact integer: false when it has a fraction, an exponent,
 * a sign it may not have, or does not fit. */
bool json_number_u64(const json_value *v, uint64_t *out);
bool json_number_i64(const json_value *v, int64_t *out);

bool json_bool(const json_value *v);            /* false unless v is `true` */
bool json_is_null(const json_value *v);         /* true only for a JSON null */

/* Write s as a JSON string literal ('"', '\\' and control characters escaped; other bytes as
 * they are, so UTF-8 stays UTF-8). For the CLI's --json output and the host's dumps. */
void json_print_string(FILE *out, const char *s);

#endif

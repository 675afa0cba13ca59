/*
 * json.c — a strict recursive-descent JSON parser building a tree (see json.h).
 *
 * Every value is one malloc'd node; containers hold arrays of pointers
 * (members for objects) grown by doubling. A string is decoded into a buffer
 * the size of its source span, which is always large enough: every escape
 * decodes to no more bytes than it is written with.
 *
 * Errors carry the byte position where the problem was found; line and
 * column are computed from it only when an error is reported.
 */
#include "util/json.h"
#include "util/hex.h"
#include "util/utf8.h"
#include "util/vec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_member {
    char *key;
    size_t key_len;
    json_value *value;
} json_member;

struct json_value {
    json_type type;
    union {
        bool boolean;
        struct {
            double value;
            char *text;
        } number;
        struct {
            char *bytes;
            size_t len;
        } string;
        struct {
            json_value **items;
            size_t len;
        } array;
        struct {
            json_member *members;
            size_t len;
        } object;
    } u;
};

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    unsigned depth;
    char *err;
    size_t errlen;
} parser;

/* ---- errors ------------------------------------------------------------------------------- */

/* Report an error at byte `at`; always returns NULL so callers can `return fail(...)`. */
static void *fail_at(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void *fail_at(parser *p, size_t at, const char *fmt, ...)
{
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at && i < p->len; i++) {
        if (p->text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    if (!p->err || !p->errlen)
        return NULL;
    int n = snprintf(p->err, p->errlen, "line %zu, column %zu: ", line, column);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* Describe the byte at the cursor for an error message. */
static const char *describe_here(const parser *p, char *buf, size_t size)
{
    if (p->pos >= p->len)
        return "end of input";
    unsigned char c = (unsigned char)p->text[p->pos];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static void *fail_unexpected(parser *p, const char *wanted)
{
    char buf[16];
    return fail_at(p, p->pos, "expected %s, found %s", wanted, describe_here(p, buf, sizeof buf));
}

/* ---- nodes -------------------------------------------------------------------------------- */

static json_value *new_node(parser *p, json_type type)
{
    json_value *v = calloc(1, sizeof *v);
    if (!v)
        return fail_at(p, p->pos, "out of memory");
    v->type = type;
    return v;
}

void json_free(json_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case JSON_NUMBER:
        free(v->u.number.text);
        break;
    case JSON_STRING:
        free(v->u.string.bytes);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            json_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->u.object.len; i++) {
            free(v->u.object.members[i].key);
            json_free(v->u.object.members[i].value);
        }
        free(v->u.object.members);
        break;
    default:
        break;
    }
    free(v);
}

/* Make room for one more element in a doubling array of `size`-byte elements. */
static bool grow(parser *p, void **items, size_t len, size_t *cap, size_t size)
{
    if (!vec_reserve(items, cap, len + 1, size, 8)) {
        fail_at(p, p->pos, "out of memory");
        return false;
    }
    return true;
}

/* ---- lexical helpers ---------------------------------------------------------------------- */

static void skip_whitespace(parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool at_char(const parser *p, char c)
{
    return p->pos < p->len && p->text[p->pos] == c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- strings ------------------------------------------------------------------------------ */

/* Read the 4 hex digits of a \u escape starting at `at`; -1 if they are not hex. */
static long read_hex4(const parser *p, size_t at)
{
    if (p->len - at < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_digit(p->text[at + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}


/* Decode the \u escape(s) at p->pos (just after the backslash-u) into out. */
static bool decode_unicode_escape(parser *p, char *out, size_t *out_len)
{
    size_t start = p->pos - 2;
    long cp = read_hex4(p, p->pos);
    if (cp < 0)
        return fail_at(p, start, "invalid \\u escape: four hex digits needed"), false;
    p->pos += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail_at(p, start, "unpaired low surrogate \\u%04lX", cp), false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = -1;
        if (p->len - p->pos >= 6 && p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u')
            low = read_hex4(p, p->pos + 2);
        if (low < 0xDC00 || low > 0xDFFF)
            return fail_at(p, start, "high surrogate \\u%04lX not followed by a low surrogate", cp), false;
        p->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    *out_len += put_utf8(out + *out_len, (unsigned long)cp);
    return true;
}

static bool decode_simple_escape(parser *p, char c, char *out)
{
    switch (c) {
    case '"': *out = '"'; return true;
    case '\\': *out = '\\'; return true;
    case '/': *out = '/'; return true;
    case 'b': *out = '\b'; return true;
    case 'f': *out = '\f'; return true;
    case 'n': *out = '\n'; return true;
    case 'r': *out = '\r'; return true;
    case 't': *out = '\t'; return true;
    default:
        fail_at(p, p->pos - 2, "invalid escape '\\%c'", c);
        return false;
    }
}

/* Byte offset of the closing quote of the string whose body starts at `from`, or len. */
static size_t find_string_end(const parser *p, size_t from)
{
    size_t i = from;
    while (i < p->len && p->text[i] != '"')
        i += p->text[i] == '\\' ? 2 : 1;
    return i < p->len ? i : p->len;
}

/* Parse a string at p->pos (on the opening quote) into a malloc'd buffer. */
static char *parse_string_bytes(parser *p, size_t *out_len)
{
    size_t open = p->pos++;
    size_t end = find_string_end(p, p->pos);
    if (end >= p->len)
        return fail_at(p, open, "unterminated string");
    char *out = malloc(end - p->pos + 1);
    if (!out)
        return fail_at(p, open, "out of memory");
    size_t n = 0;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->text[p->pos];
        if (c == '\\') {
            char e = p->text[p->pos + 1];
            p->pos += 2;
            bool ok = e == 'u' ? decode_unicode_escape(p, out, &n) : decode_simple_escape(p, e, out + n++);
            if (!ok)
                goto error;
        } else if (c < 0x20) {
            fail_at(p, p->pos, "control character 0x%02x in string (must be escaped)", c);
            goto error;
        } else {
            size_t k = utf8_sequence_length((const uint8_t *)p->text + p->pos, end - p->pos);
            if (!k) {
                fail_at(p, p->pos, "invalid UTF-8 byte 0x%02x in string", c);
                goto error;
            }
            memcpy(out + n, p->text + p->pos, k);
            n += k;
            p->pos += k;
        }
    }
    p->pos = end + 1;
    out[n] = '\0';
    *out_len = n;
    return out;
error:
    free(out);
    return NULL;
}

static json_value *parse_string(parser *p)
{
    size_t len;
    char *bytes = parse_string_bytes(p, &len);
    if (!bytes)
        return NULL;
    json_value *v = new_node(p, JSON_STRING);
    if (!v) {
        free(bytes);
        return NULL;
    }
    v->u.string.bytes = bytes;
    v->u.string.len = len;
    return v;
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* Advance over one or more digits; false if there is none. */
static bool skip_digits(parser *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_digit(p->text[p->pos]))
        p->pos++;
    return p->pos > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static json_value *parse_number(parser *p)
{
    size_t start = p->pos;
    if (at_char(p, '-'))
        p->pos++;
    if (at_char(p, '0'))
        p->pos++;
    else if (!skip_digits(p))
        return fail_unexpected(p, "a digit");
    if (at_char(p, '.')) {
        p->pos++;
        if (!skip_digits(p))
            return fail_unexpected(p, "a digit after '.'");
    }
    if (at_char(p, 'e') || at_char(p, 'E')) {
        p->pos++;
        if (at_char(p, '+') || at_char(p, '-'))
            p->pos++;
        if (!skip_digits(p))
            return fail_unexpected(p, "a digit in the exponent");
    }
    json_value *v = new_node(p, JSON_NUMBER);
    if (!v)
        return NULL;
    size_t n = p->pos - start;
    v->u.number.text = malloc(n + 1);
    if (!v->u.number.text) {
        free(v);
        return fail_at(p, start, "out of memory");
    }
    memcpy(v->u.number.text, p->text + start, n);
    v->u.number.text[n] = '\0';
    v->u.number.value = strtod(v->u.number.text, NULL);   /* ±HUGE_VAL when out of range */
    return v;
}

/* ---- literals, arrays, objects ------------------------------------------------------------ */

static json_value *parse_literal(parser *p, const char *word, json_type type, bool boolean)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return fail_unexpected(p, "a value");
    json_value *v = new_node(p, type);
    if (v) {
        v->u.boolean = boolean;
        p->pos += n;
    }
    return v;
}

static json_value *parse_value(parser *p);

static json_value *parse_array(parser *p)
{
    json_value *arr = new_node(p, JSON_ARRAY);
    if (!arr)
        return NULL;
    size_t cap = 0;
    p->pos++;
    skip_whitespace(p);
    if (at_char(p, ']')) {
        p->pos++;
        return arr;
    }
    for (;;) {
        if (!grow(p, (void **)&arr->u.array.items, arr->u.array.len, &cap, sizeof(json_value *)))
            goto error;
        json_value *item = parse_value(p);
        if (!item)
            goto error;
        arr->u.array.items[arr->u.array.len++] = item;
        skip_whitespace(p);
        if (at_char(p, ']')) {
            p->pos++;
            return arr;
        }
        if (!at_char(p, ',')) {
            fail_unexpected(p, "',' or ']'");
            goto error;
        }
        p->pos++;
    }
error:
    json_free(arr);
    return NULL;
}

/* Parse `"key": value` into a new member of obj. */
static bool parse_member(parser *p, json_value *obj, size_t *cap)
{
    if (!grow(p, (void **)&obj->u.object.members, obj->u.object.len, cap, sizeof(json_member)))
        return false;
    skip_whitespace(p);
    if (!at_char(p, '"'))
        return fail_unexpected(p, "a string key"), false;
    json_member m = { 0 };
    m.key = parse_string_bytes(p, &m.key_len);
    if (!m.key)
        return false;
    skip_whitespace(p);
    if (!at_char(p, ':')) {
        free(m.key);
        return fail_unexpected(p, "':'"), false;
    }
    p->pos++;
    m.value = parse_value(p);
    if (!m.value) {
        free(m.key);
        return false;
    }
    obj->u.object.members[obj->u.object.len++] = m;
    return true;
}

static json_value *parse_object(parser *p)
{
    json_value *obj = new_node(p, JSON_OBJECT);
    if (!obj)
        return NULL;
    size_t cap = 0;
    p->pos++;
    skip_whitespace(p);
    if (at_char(p, '}')) {
        p->pos++;
        return obj;
    }
    for (;;) {
        if (!parse_member(p, obj, &cap))
            goto error;
        skip_whitespace(p);
        if (at_char(p, '}')) {
            p->pos++;
            return obj;
        }
        if (!at_char(p, ',')) {
            fail_unexpected(p, "',' or '}'");
            goto error;
        }
        p->pos++;
    }
error:
    json_free(obj);
    return NULL;
}

/* Containers count against the depth limit; scalars cannot nest. */
static json_value *parse_container(parser *p, json_value *(*parse)(parser *))
{
    if (p->depth >= JSON_MAX_DEPTH)
        return fail_at(p, p->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
    p->depth++;
    json_value *v = parse(p);
    p->depth--;
    return v;
}

static json_value *parse_value(parser *p)
{
    skip_whitespace(p);
    if (p->pos >= p->len)
        return fail_unexpected(p, "a value");
    char c = p->text[p->pos];
    switch (c) {
    case '{': return parse_container(p, parse_object);
    case '[': return parse_container(p, parse_array);
    case '"': return parse_string(p);
    case 't': return parse_literal(p, "true", JSON_BOOL, true);
    case 'f': return parse_literal(p, "false", JSON_BOOL, false);
    case 'n': return parse_literal(p, "null", JSON_NULL, false);
    default:
        if (c == '-' || is_digit(c))
            return parse_number(p);
        return fail_unexpected(p, "a value");
    }
}

json_value *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    parser p = { .text = text, .len = len, .err = err, .errlen = errlen };
    if (err && errlen)
        err[0] = '\0';
    json_value *v = parse_value(&p);
    if (!v)
        return NULL;
    skip_whitespace(&p);
    if (p.pos < p.len) {
        json_free(v);
        return fail_unexpected(&p, "end of input after the value");
    }
    return v;
}

/* ---- accessors ---------------------------------------------------------------------------- */

json_type json_type_of(const json_value *v)
{
    return v ? v->type : JSON_NULL;
}

const char *json_type_name(json_type t)
{
    static const char *const names[] = { "null", "bool", "number", "string", "array", "object" };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const json_value *json_get(const json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->u.object.len; i++) {
        const json_member *m = &obj->u.object.members[i];
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return m->value;
    }
    return NULL;
}

size_t json_object_len(const json_value *obj)
{
    return obj && obj->type == JSON_OBJECT ? obj->u.object.len : 0;
}

const char *json_object_key(const json_value *obj, size_t i, size_t *len)
{
    if (i >= json_object_len(obj))
        return NULL;
    if (len)
        *len = obj->u.object.members[i].key_len;
    return obj->u.object.members[i].key;
}

const json_value *json_object_value(const json_value *obj, size_t i)
{
    return i < json_object_len(obj) ? obj->u.object.members[i].value : NULL;
}

size_t json_array_len(const json_value *arr)
{
    return arr && arr->type == JSON_ARRAY ? arr->u.array.len : 0;
}

const json_value *json_array_at(const json_value *arr, size_t i)
{
    return i < json_array_len(arr) ? arr->u.array.items[i] : NULL;
}

const char *json_string(const json_value *v, size_t *len)
{
    if (!v || v->type != JSON_STRING)
        return NULL;
    if (len)
        *len = v->u.string.len;
    return v->u.string.bytes;
}

const char *json_get_string(const json_value *obj, const char *key)
{
    return json_string(json_get(obj, key), NULL);
}

double json_number(const json_value *v)
{
    return v && v->type == JSON_NUMBER ? v->u.number.value : 0.0;
}

const char *json_number_text(const json_value *v)
{
    return v && v->type == JSON_NUMBER ? v->u.number.text : NULL;
}

/* True when the number text is an optional '-' followed by digits only. */
static bool is_integer_text(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_digit(*s))
            return false;
    return true;
}

bool json_number_u64(const json_value *v, uint64_t *out)
{
    const char *s = json_number_text(v);
    if (!s || !is_integer_text(s) || s[0] == '-')
        return false;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = x;
    return true;
}

bool json_number_i64(const json_value *v, int64_t *out)
{
    const char *s = json_number_text(v);
    if (!s || !is_integer_text(s))
        return false;
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *out = x;
    return true;
}

bool json_bool(const json_value *v)
{
    return v && v->type == JSON_BOOL && v->u.boolean;
}

bool json_is_null(const json_value *v)
{
    return v && v->type == JSON_NULL;
}

void json_print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/*
 * test_json.c — the JSON parser (src/util/json.c) against RFC 8259.
 *
 * Expected decodings are worked out from the RFC and the Unicode standard
 * (e.g. U+1F600 is F0 9F 98 80 in UTF-8, written \ud83d\ude00 in JSON).
 */
#include "test.h"

#include <stdlib.h>

#include "util/json.h"

static json_value *parse(const char *text, char *err, size_t errlen)
{
    return json_parse(text, strlen(text), err, errlen);
}

/* Parse `text`, which must fail with an error containing `where` and `why`. */
static void check_error(const char *text, const char *where, const char *why)
{
    char err[160];
    json_value *v = parse(text, err, sizeof err);
    CHECK(v == NULL);
    json_free(v);
    CHECK_STR_CONTAINS(err, where);
    CHECK_STR_CONTAINS(err, why);
}

TEST(json_scalars)
{
    char err[128];
    json_value *v = parse(" true ", err, sizeof err);
    CHECK(json_type_of(v) == JSON_BOOL && json_bool(v));
    json_free(v);
    v = parse("false", err, sizeof err);
    CHECK(json_type_of(v) == JSON_BOOL && !json_bool(v));
    json_free(v);
    v = parse("\tnull\r\n", err, sizeof err);
    CHECK(v && json_is_null(v));
    json_free(v);
    CHECK(!json_is_null(NULL));
    CHECK(json_type_of(NULL) == JSON_NULL);
}

TEST(json_object_and_array_access)
{
    char err[128];
    json_value *doc = parse("{\"a\": [1, \"two\", {\"b\": null}], \"c\": {}, \"a\": 5}", err, sizeof err);
    CHECK(doc != NULL);
    CHECK(json_type_of(doc) == JSON_OBJECT);
    CHECK_EQ_U64(json_object_len(doc), 3);
    const json_value *a = json_get(doc, "a");          /* the first of duplicate keys */
    CHECK(json_type_of(a) == JSON_ARRAY);
    CHECK_EQ_U64(json_array_len(a), 3);
    CHECK(json_number(json_array_at(a, 0)) == 1.0);
    CHECK(!strcmp(json_string(json_array_at(a, 1), NULL), "two"));
    CHECK(json_is_null(json_get(json_array_at(a, 2), "b")));
    CHECK(json_array_at(a, 3) == NULL);
    CHECK(json_get(doc, "missing") == NULL);
    CHECK(json_get(a, "a") == NULL);                   /* not an object */
    CHECK_EQ_U64(json_array_len(doc), 0);              /* not an array */
    CHECK_EQ_U64(json_object_len(json_get(doc, "c")), 0);
    size_t klen = 0;
    CHECK(!strcmp(json_object_key(doc, 1, &klen), "c") && klen == 1);
    CHECK(json_get_string(doc, "a") == NULL);          /* not a string */
    /* chained lookups through missing values stay NULL */
    CHECK(json_get(json_get(doc, "x"), "y") == NULL);
    json_free(doc);
}

TEST(json_string_escapes)
{
    char err[128];
    json_value *v = parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"", err, sizeof err);
    CHECK(!strcmp(json_string(v, NULL), "q\" b\\ s/ \b\f\n\r\t"));
    json_free(v);

    /* U+00E9 → C3 A9, U+20AC → E2 82 AC, U+1F600 (surrogate pair) → F0 9F 98 80 */
    v = parse("\"\\u00e9\\u20AC\\ud83d\\ude00\"", err, sizeof err);
    size_t len = 0;
    const char *s = json_string(v, &len);
    CHECK(s != NULL);
    CHECK_EQ_U64(len, 9);
    CHECK(s && !memcmp(s, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
    json_free(v);

    /* raw UTF-8 passes through unchanged */
    v = parse("\"\xC3\xA5\xF0\x9F\x98\x80\"", err, sizeof err);
    CHECK(v && !strcmp(json_string(v, NULL), "\xC3\xA5\xF0\x9F\x98\x80"));
    json_free(v);
}

TEST(json_string_keeps_nul)
{
    char err[128];
    json_value *v = parse("[\"a\\u0000b\", \"\"]", err, sizeof err);
    size_t len = 99;
    const char *s = json_string(json_array_at(v, 0), &len);
    CHECK_EQ_U64(len, 3);
    CHECK(s && s[0] == 'a' && s[1] == '\0' && s[2] == 'b' && s[3] == '\0');
    s = json_string(json_array_at(v, 1), &len);
    CHECK_EQ_U64(len, 0);
    CHECK(s && s[0] == '\0');
    json_free(v);

    /* a key with an escaped NUL is a different key from its prefix */
    v = parse("{\"k\\u0000\": 1, \"k\": 2}", err, sizeof err);
    CHECK(json_number(json_get(v, "k")) == 2.0);
    json_free(v);
}

TEST(json_numbers)
{
    char err[128];
    json_value *v = parse("[0, -0, 12, -7, 1.5e3, 2E-2, 18446744073709551615, 18446744073709551616,"
                          " -9223372036854775808, 9007199254740993]",
                          err, sizeof err);
    CHECK(v != NULL);
    uint64_t u = 0;
    int64_t i = 0;
    CHECK(json_number_u64(json_array_at(v, 0), &u) && u == 0);
    CHECK(!json_number_u64(json_array_at(v, 1), &u));          /* "-0" has a sign */
    CHECK(json_number_i64(json_array_at(v, 1), &i) && i == 0);
    CHECK(json_number_u64(json_array_at(v, 2), &u) && u == 12);
    CHECK(json_number_i64(json_array_at(v, 3), &i) && i == -7);
    CHECK(json_number(json_array_at(v, 4)) == 1500.0);
    CHECK(!json_number_u64(json_array_at(v, 4), &u));          /* exponent: not an integer text */
    CHECK(json_number(json_array_at(v, 5)) == 0.02);
    CHECK(json_number_u64(json_array_at(v, 6), &u));
    CHECK_EQ_U64(u, UINT64_MAX);
    CHECK(!json_number_u64(json_array_at(v, 7), &u));          /* 2^64 does not fit */
    CHECK(json_number_i64(json_array_at(v, 8), &i) && i == INT64_MIN);
    /* 2^53 + 1 is not a double, but the text keeps it exact */
    CHECK(json_number_u64(json_array_at(v, 9), &u));
    CHECK_EQ_U64(u, 9007199254740993ull);
    CHECK(!strcmp(json_number_text(json_array_at(v, 9)), "9007199254740993"));
    CHECK(!strcmp(json_number_text(json_array_at(v, 4)), "1.5e3"));
    CHECK(json_number_text(json_array_at(NULL, 0)) == NULL);
    json_free(v);
}

TEST(json_errors_have_positions)
{
    check_error("{\n  \"a\" 1}", "line 2, column 7", "expected ':'");
    check_error("[1, 2,]", "line 1, column 7", "expected a value");
    check_error("[1 2]", "line 1, column 4", "expected ',' or ']'");
    check_error("{\"a\": 1,}", "line 1, column 9", "expected a string key");
    check_error("", "line 1, column 1", "end of input");
    check_error("  \n\n   ", "line 3, column 4", "expected a value");
    check_error("\"abc", "line 1, column 1", "unterminated string");
    check_error("{} x", "line 1, column 4", "expected end of input");
    check_error("tru", "line 1, column 1", "expected a value");
    check_error("null1", "line 1, column 5", "expected end of input");
    check_error("// c\n1", "line 1, column 1", "expected a value");
}

TEST(json_rejects_bad_numbers)
{
    check_error("01", "column 2", "expected end of input");
    check_error("1.", "column 3", "digit after '.'");
    check_error(".5", "column 1", "expected a value");
    check_error("-", "column 2", "expected a digit");
    check_error("1e+", "column 4", "exponent");
    check_error("+1", "column 1", "expected a value");
    check_error("0x10", "column 2", "expected end of input");
}

TEST(json_rejects_bad_strings)
{
    check_error("\"a\\x\"", "column 3", "invalid escape");
    check_error("\"\\u12g4\"", "column 2", "four hex digits");
    check_error("\"\\ud800\"", "column 2", "not followed by a low surrogate");
    check_error("\"\\ud800\\u0041\"", "column 2", "not followed by a low surrogate");
    check_error("\"\\udc00\"", "column 2", "unpaired low surrogate");
    check_error("\"a\tb\"", "column 3", "control character 0x09");
    check_error("\"\xC0\xAF\"", "column 2", "invalid UTF-8 byte 0xc0");        /* overlong '/' */
    check_error("\"\xED\xA0\x80\"", "column 2", "invalid UTF-8");               /* encoded surrogate */
    check_error("\"\xF4\x90\x80\x80\"", "column 2", "invalid UTF-8");           /* above U+10FFFF */
    check_error("\"\xE2\x82\"", "column 2", "invalid UTF-8");                   /* truncated */
    check_error("\"abc\\", "column 1", "unterminated string");
    check_error("{\"k\" : \"v\", 3: 4}", "column 13", "string key");

    /* a NUL byte in the raw input is a control character, not the end */
    char err[128];
    json_value *v = json_parse("\"a\0b\"", 5, err, sizeof err);
    CHECK(v == NULL);
    CHECK_STR_CONTAINS(err, "control character 0x00");
}

/* Nest `depth` arrays: [[[...]]]. */
static char *nested_arrays(size_t depth)
{
    char *s = malloc(2 * depth + 1);
    if (!s)
        return NULL;
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    return s;
}

TEST(json_depth_limit)
{
    char err[128];
    char *ok = nested_arrays(JSON_MAX_DEPTH);
    char *deep = nested_arrays(JSON_MAX_DEPTH + 1);
    char *hostile = nested_arrays(1000000);
    CHECK(ok && deep && hostile);
    if (!ok || !deep || !hostile)
        goto out;
    json_value *v = parse(ok, err, sizeof err);
    CHECK(v != NULL);
    json_free(v);
    v = parse(deep, err, sizeof err);
    CHECK(v == NULL);
    CHECK_STR_CONTAINS(err, "nesting deeper than 1000");
    CHECK_STR_CONTAINS(err, "column 1001");
    v = parse(hostile, err, sizeof err);
    CHECK(v == NULL);
    CHECK_STR_CONTAINS(err, "nesting deeper");
out:
    free(ok);
    free(deep);
    free(hostile);
}

TEST(json_parses_a_wast2json_file)
{
    const char *path = test_data_path("spec/core/names/names.json");
    if (!path)
        return;
    size_t len = 0;
    uint8_t *text = test_read_file(path, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    char err[128];
    json_value *doc = json_parse((const char *)text, len, err, sizeof err);
    CHECK(doc != NULL);
    CHECK(!strcmp(json_get_string(doc, "source_filename"), "names.wast"));
    const json_value *cmds = json_get(doc, "commands");
    CHECK(json_array_len(cmds) > 400);
    /* names.wast exports a function named by the 16 control characters U+0000..U+000F */
    bool found = false;
    for (size_t i = 0; i < json_array_len(cmds); i++) {
        size_t n = 0;
        const char *field = json_string(json_get(json_get(json_array_at(cmds, i), "action"), "field"), &n);
        if (field && n == 16 && field[0] == 0 && field[15] == 15)
            found = true;
    }
    CHECK(found);
    json_free(doc);
    free(text);
}

/*
 * test_validate.c — tests of the validator (src/wasm/validate.c and
 * validate_body.c).
 *
 *   - the WebAssembly spec suite (wast2json output under spec/core and
 *     spec/bulk-memory, full features; a core file that a bulk-memory file
 *     replaces runs with bulk memory off): every `module` validates, every
 *     `assert_invalid` module is rejected, every binary `assert_malformed`
 *     module is rejected by the decoder or the validator;
 *   - the pvf profile: modules using sign-ext, saturating conversions,
 *     multi-value or bulk memory (fixtures made by wat2wasm, see
 *     tests/gen/validate_fixtures.sh) are rejected with an error naming the
 *     feature, at the byte offset wasm-objdump gives for the instruction;
 *   - hand-assembled bodies for the byte-level rules (trailing code, missing
 *     end, illegal opcodes, reserved bytes, hostile nesting), hand-made
 *     module structures for the module-level rules the decoder would not let
 *     through, and every one-byte mutation of a small module (no crash);
 *   - every real runtime in pvf/ validates; the throughput is printed.
 *
 * Fixture paths are relative to the repository root, where the tests run.
 * The JSON of the spec suite is scanned as text, without a JSON library:
 * the command objects we need have no nested objects.
 */
#include "test.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/blob.h"
#include "wasm/module.h"

/* ---- helpers ------------------------------------------------------------- */

typedef enum { ACCEPTED, REJECTED_BY_DECODER, REJECTED_BY_VALIDATOR } verdict;

static verdict check_bytes(const uint8_t *bytes, size_t len, const wasm_features *f,
                           wasm_error *err)
{
    wasm_module m;
    memset(err, 0, sizeof *err);
    if (!wasm_decode(bytes, len, f, &m, err))
        return REJECTED_BY_DECODER;
    bool ok = wasm_validate(&m, f, err);
    wasm_module_free(&m);
    return ok ? ACCEPTED : REJECTED_BY_VALIDATOR;
}

static const char *err_text(const wasm_error *err)
{
    static char buf[WASM_ERROR_MAX + 64];
    return wasm_error_text(err, buf, sizeof buf);
}

/*
 * snprintf into a path buffer; a path too long for it fails the test rather
 * than being silently cut.
 */
__attribute__((format(printf, 3, 4)))
static bool fmt_path(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        test_fail(__FILE__, __LINE__, "path too long: %s...", out);
        return false;
    }
    return true;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- the spec suite --------------------------------------------------------- */

typedef struct spec_stats {
    int valid, invalid, malformed;          /* commands checked */
    int invalid_by_decoder;                 /* assert_invalid rejected before validation */
    int text_mismatch;                      /* rejected, but with another reason */
} spec_stats;

/*
 * The first `pat` in [p, end), or NULL. A plain loop rather than strstr or
 * memmem: under ASan those check the whole haystack on every call, which
 * makes scanning a 5 MB JSON file quadratic.
 */
static const char *find_text(const char *p, const char *end, const char *pat)
{
    size_t n = strlen(pat);
    for (; p + n <= end; p++)
        if (*p == *pat && memcmp(p, pat, n) == 0)
            return p;
    return NULL;
}

/* Copy the JSON string value of `"key": "` found in [from, to) into out. */
static bool json_field(const char *from, const char *to, const char *key, char *out, size_t size)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    const char *p = find_text(from, to, pattern);
    if (!p)
        return false;
    p += strlen(pattern);
    size_t n = 0;
    while (p < to && *p != '"' && n + 1 < size) {
        if (*p == '\\' && p + 1 < to)
            p++;
        out[n++] = *p++;
    }
    out[n] = 0;
    return true;
}

static uint8_t *read_module(const char *dir, const char *file, size_t *len)
{
    char path[4096];
    fmt_path(path, sizeof path, "%s/%s", dir, file);
    uint8_t *bytes = test_read_file(path, len);
    if (!bytes)
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
    return bytes;
}

static void spec_command(const char *dir, const char *type, const char *file, const char *text,
                         const wasm_features *features, spec_stats *st)
{
    size_t len;
    uint8_t *bytes = read_module(dir, file, &len);
    if (!bytes)
        return;
    wasm_error err;
    verdict v = check_bytes(bytes, len, features, &err);
    free(bytes);

    if (strcmp(type, "assert_invalid") && strcmp(type, "assert_malformed")) {
        /* module, assert_unlinkable, assert_uninstantiable: a valid module */
        st->valid++;
        if (v != ACCEPTED)
            test_fail(__FILE__, __LINE__, "%s/%s (%s) must be valid: %s", dir, file, type,
                      err_text(&err));
        return;
    }
    bool invalid = !strcmp(type, "assert_invalid");
    invalid ? st->invalid++ : st->malformed++;
    if (v == ACCEPTED) {
        test_fail(__FILE__, __LINE__, "%s/%s must be rejected (\"%s\") but validates", dir, file,
                  text);
        return;
    }
    if (invalid && v == REJECTED_BY_DECODER) {
        st->invalid_by_decoder++;
        fprintf(stderr, "  info: %s/%s: assert_invalid (\"%s\") rejected by the decoder: %s\n",
                dir, file, text, err_text(&err));
    } else if (!strstr(err.msg, text)) {
        st->text_mismatch++;
        fprintf(stderr, "  info: %s/%s: expected \"%s\", got \"%s\"\n", dir, file, text,
                err_text(&err));
    }
}

static void spec_file(const char *dir, const char *name, const wasm_features *features,
                      spec_stats *st)
{
    char path[4096];
    fmt_path(path, sizeof path, "%s/%s.json", dir, name);
    size_t len;
    char *json = (char *)test_read_file(path, &len);
    if (!json) {
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
        return;
    }
    json = realloc(json, len + 1);
    json[len] = 0;

    static const char key[] = "\"type\": \"";
    const char *end = json + len;
    for (const char *p = find_text(json, end, key); p; p = find_text(p, end, key)) {
        p += strlen(key);
        char type[32], file[256], text[256] = "", module_type[16] = "binary";
        size_t n = strcspn(p, "\"");
        if (n >= sizeof type)
            continue;
        memcpy(type, p, n);
        type[n] = 0;
        if (strcmp(type, "module") && strcmp(type, "assert_invalid") &&
            strcmp(type, "assert_malformed") && strcmp(type, "assert_unlinkable") &&
            strcmp(type, "assert_uninstantiable"))
            continue;   /* commands without a module of their own, or not about validity */
        const char *close = memchr(p, '}', (size_t)(end - p));
        if (!close || !json_field(p, close, "filename", file, sizeof file))
            continue;
        json_field(p, close, "text", text, sizeof text);
        json_field(p, close, "module_type", module_type, sizeof module_type);
        if (strcmp(module_type, "binary"))
            continue;   /* text-format cases of assert_malformed */
        spec_command(dir, type, file, text, features, st);
    }
    free(json);
}

static int collect_dirs(const char *root, char names[][64], int max)
{
    DIR *d = opendir(root);
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) && n < max;) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= 64)
            continue;
        char path[4096];
        fmt_path(path, sizeof path, "%s/%s/%s.json", root, e->d_name, e->d_name);
        if (file_exists(path))
            memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);   /* < 64, checked above */
    }
    closedir(d);
    return n;
}

TEST(validate_spec_suite)
{
    const char *core_path = test_data_path("spec/core");
    if (!core_path)
        return;
    char core[4096], bulk[4096];
    fmt_path(core, sizeof core, "%s", core_path);
    fmt_path(bulk, sizeof bulk, "%s/spec/bulk-memory", test_data_dir());

    static char core_names[256][64], bulk_names[256][64];
    int ncore = collect_dirs(core, core_names, 256);
    int nbulk = collect_dirs(bulk, bulk_names, 256);
    CHECK(ncore >= 70);
    CHECK(nbulk >= 12);

    /*
     * Full features: core files, except those a bulk-memory file replaces.
     * The replaced core files still hold for an engine without bulk memory,
     * so they run with every feature but that one.
     */
    wasm_features no_bulk = WASM_FEATURES_FULL;
    no_bulk.bulk_memory = false;
    spec_stats st = { 0 };
    char dir[4200];
    for (int i = 0; i < ncore; i++) {
        char bulk_json[8400];
        fmt_path(bulk_json, sizeof bulk_json, "%s/%s/%s.json", bulk, core_names[i], core_names[i]);
        bool replaced = file_exists(bulk_json);
        fmt_path(dir, sizeof dir, "%s/%s", core, core_names[i]);
        spec_file(dir, core_names[i], replaced ? &no_bulk : &WASM_FEATURES_FULL, &st);
    }
    for (int i = 0; i < nbulk; i++) {
        fmt_path(dir, sizeof dir, "%s/%s", bulk, bulk_names[i]);
        spec_file(dir, bulk_names[i], &WASM_FEATURES_FULL, &st);
    }
    printf("validate spec: %d valid modules, %d assert_invalid (%d rejected by the decoder), "
           "%d binary assert_malformed; %d rejected with another reason than the expected text\n",
           st.valid, st.invalid, st.invalid_by_decoder, st.malformed, st.text_mismatch);
    CHECK(st.valid > 1000);
    CHECK(st.invalid > 1000);
}

/* ---- the pvf profile on the wat2wasm fixtures --------------------------------- */

#define FIXTURE_DIR "tests/fixtures/validate"

static uint8_t *read_fixture(const char *name, size_t *len)
{
    char path[256];
    fmt_path(path, sizeof path, FIXTURE_DIR "/%s.wasm", name);
    uint8_t *bytes = test_read_file(path, len);
    if (!bytes)
        test_fail(__FILE__, __LINE__, "cannot read %s (run tests/gen/validate_fixtures.sh)", path);
    return bytes;
}

/* Validate a module decoded with every feature on, under `f`. */
static bool validate_decoded_full(const uint8_t *bytes, size_t len, const wasm_features *f,
                                  wasm_error *err)
{
    wasm_module m;
    if (!wasm_decode(bytes, len, &WASM_FEATURES_FULL, &m, err)) {
        test_fail(__FILE__, __LINE__, "decoding with all features failed: %s", err_text(err));
        return false;
    }
    bool ok = wasm_validate(&m, f, err);
    wasm_module_free(&m);
    return ok;
}

static void check_fixture(const char *name, const char *needle, const char *offset)
{
    size_t len;
    uint8_t *bytes = read_fixture(name, &len);
    if (!bytes)
        return;
    wasm_error err;
    if (check_bytes(bytes, len, &WASM_FEATURES_FULL, &err) != ACCEPTED)
        test_fail(__FILE__, __LINE__, "%s must be valid with all features: %s", name,
                  err_text(&err));

    /* The validator's own gate: decode with everything on, validate as pvf. */
    bool ok = validate_decoded_full(bytes, len, &WASM_FEATURES_PVF, &err);
    if (!strcmp(needle, "-")) {
        if (!ok)
            test_fail(__FILE__, __LINE__, "%s must be valid in the pvf profile: %s", name,
                      err_text(&err));
    } else if (ok) {
        test_fail(__FILE__, __LINE__, "%s must be rejected by the pvf profile", name);
    } else {
        CHECK_STR_CONTAINS(err.msg, needle);
        if (!strcmp(offset, "-")) {
            CHECK(!err.has_offset);
        } else {
            CHECK(err.has_offset);
            CHECK_EQ_U64(err.offset, strtoull(offset, NULL, 16));
        }
    }

    /* End to end in the pvf profile: decoder or validator, it must not pass. */
    verdict v = check_bytes(bytes, len, &WASM_FEATURES_PVF, &err);
    if (strcmp(needle, "-") && v == ACCEPTED)
        test_fail(__FILE__, __LINE__, "%s must be rejected by decode+validate (pvf)", name);
    free(bytes);
}

TEST(validate_pvf_profile_fixtures)
{
    size_t len;
    char *tsv = (char *)test_read_file(FIXTURE_DIR "/expected.tsv", &len);
    if (!tsv) {
        test_fail(__FILE__, __LINE__, "cannot read " FIXTURE_DIR "/expected.tsv");
        return;
    }
    tsv = realloc(tsv, len + 1);
    tsv[len] = 0;
    int n = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *name = line, *needle = strchr(name, '\t');
        char *offset = needle ? strchr(needle + 1, '\t') : NULL;
        if (!offset) {
            test_fail(__FILE__, __LINE__, "bad line in expected.tsv: %s", line);
            continue;
        }
        *needle++ = 0;
        *offset++ = 0;
        check_fixture(name, needle, offset);
        n++;
    }
    free(tsv);
    CHECK(n >= 7);
}

/* ---- hand-assembled bodies ---------------------------------------------------------- */

typedef struct bytebuf {
    uint8_t *b;
    size_t n, cap;
} bytebuf;

static void put(bytebuf *w, const void *bytes, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2;
        w->b = realloc(w->b, w->cap);
    }
    memcpy(w->b + w->n, bytes, n);
    w->n += n;
}

static void put_byte(bytebuf *w, uint8_t byte)
{
    put(w, &byte, 1);
}

static void put_u32(bytebuf *w, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        put_byte(w, byte | (v ? 0x80 : 0));
    } while (v);
}

static void put_section(bytebuf *w, uint8_t id, const bytebuf *contents)
{
    put_byte(w, id);
    put_u32(w, (uint32_t)contents->n);
    put(w, contents->b, contents->n);
}

/*
 * A module of one function of type `type` (the bytes after 0x60: params
 * vector, results vector), with one memory page when `memory`, whose body is
 * `locals` (the local declarations, vector included) then `code`.
 * *code_at receives the absolute offset of the first instruction.
 */
typedef struct body_spec {
    const uint8_t *type;
    size_t type_len;
    const uint8_t *locals;
    size_t locals_len;
    const uint8_t *code;
    size_t code_len;
    bool memory;
} body_spec;

static const uint8_t VOID_TYPE[] = { 0, 0 };
static const uint8_t NO_LOCALS[] = { 0 };

static bytebuf build_module(const body_spec *s, size_t *code_at)
{
    bytebuf w = { 0 }, sec = { 0 }, body = { 0 };
    put(&w, "\0asm\1\0\0\0", 8);
    put(&sec, "\x01\x60", 2);
    put(&sec, s->type ? s->type : VOID_TYPE, s->type ? s->type_len : sizeof VOID_TYPE);
    put_section(&w, 1, &sec);
    sec.n = 0;
    put(&sec, "\x01\x00", 2);
    put_section(&w, 3, &sec);
    if (s->memory) {
        sec.n = 0;
        put(&sec, "\x01\x00\x01", 3);
        put_section(&w, 5, &sec);
    }
    put(&body, s->locals ? s->locals : NO_LOCALS, s->locals ? s->locals_len : sizeof NO_LOCALS);
    size_t code_in_body = body.n;
    put(&body, s->code, s->code_len);
    sec.n = 0;
    put_byte(&sec, 1);
    put_u32(&sec, (uint32_t)body.n);
    size_t body_in_sec = sec.n;
    put(&sec, body.b, body.n);
    put_byte(&w, 10);
    put_u32(&w, (uint32_t)sec.n);
    *code_at = w.n + body_in_sec + code_in_body;
    put(&w, sec.b, sec.n);
    free(sec.b);
    free(body.b);
    return w;
}

/*
 * Decode (all features) and validate under `f`. `want` NULL: must be valid;
 * otherwise the error must contain `want` at code offset `at` (relative to
 * the first instruction; ANY_OFFSET: somewhere in the body).
 */
#define ANY_OFFSET ((size_t)-1)
static void expect_body(const body_spec *s, const wasm_features *f, const char *want, size_t at,
                        int line)
{
    size_t code_at;
    bytebuf w = build_module(s, &code_at);
    wasm_module m;
    wasm_error err = { 0 };
    if (!wasm_decode(w.b, w.n, &WASM_FEATURES_FULL, &m, &err)) {
        test_fail(__FILE__, line, "test module does not decode: %s", err_text(&err));
        free(w.b);
        return;
    }
    bool ok = wasm_validate(&m, f, &err);
    if (!want && !ok)
        test_fail(__FILE__, line, "must be valid: %s", err_text(&err));
    if (want && ok)
        test_fail(__FILE__, line, "must be rejected with \"%s\"", want);
    bool offset_ok = err.has_offset && (at == ANY_OFFSET ? err.offset >= code_at
                                                          : err.offset == code_at + at);
    if (want && !ok && (!strstr(err.msg, want) || !offset_ok))
        test_fail(__FILE__, line, "expected \"%s\" at offset 0x%zx, got \"%s\"", want,
                  code_at + at, err_text(&err));
    wasm_module_free(&m);
    free(w.b);
}

#define CODE(...) .code = (const uint8_t[]){ __VA_ARGS__ }, .code_len = sizeof((const uint8_t[]){ __VA_ARGS__ })
#define VALID(...) expect_body(&(body_spec){ __VA_ARGS__ }, &WASM_FEATURES_FULL, NULL, 0, __LINE__)
#define INVALID(want, at, ...) \
    expect_body(&(body_spec){ __VA_ARGS__ }, &WASM_FEATURES_FULL, want, at, __LINE__)

TEST(validate_body_bytes)
{
    /* `end` then more code: the function ended at byte 0. */
    INVALID("END opcode expected", 1, CODE(0x0B, 0x01, 0x0B));
    /* The last `end` closes the block, the function is still open. */
    INVALID("unexpected end", 3, CODE(0x02, 0x40, 0x0B));
    INVALID("illegal opcode 0x06", 0, CODE(0x06, 0x0B));
    INVALID("illegal opcode 0x27", 1, CODE(0x01, 0x27, 0x0B));
    INVALID("illegal opcode 0xfc 18", 0, CODE(0xFC, 0x12, 0x0B));
    INVALID("else without a matching if", 2, CODE(0x02, 0x40, 0x05, 0x0B, 0x0B));
    INVALID("zero flag expected", 0, .memory = true, CODE(0x3F, 0x01, 0x1A, 0x0B));
    INVALID("zero flag expected", 0, .memory = true, CODE(0x3F, 0x80, 0x00, 0x1A, 0x0B));
    INVALID("unknown memory 0", 0, CODE(0x3F, 0x00, 0x1A, 0x0B));
    INVALID("alignment must not be larger than natural", 2, .memory = true,
            CODE(0x41, 0x00, 0x28, 0x03, 0x00, 0x1A, 0x0B));
    VALID(.memory = true, CODE(0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B));
    INVALID("unknown local 5", 0, CODE(0x20, 0x05, 0x1A, 0x0B));
    INVALID("integer representation too long", ANY_OFFSET,
            CODE(0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A, 0x0B));
    INVALID("type mismatch", 4, CODE(0x41, 0x00, 0x42, 0x00, 0x6A, 0x1A, 0x0B));
    INVALID("type mismatch", 0, CODE(0x6A, 0x1A, 0x0B));            /* empty stack */
    INVALID("type mismatch", 2, CODE(0x41, 0x00, 0x0B));            /* value left over */
    /* After unreachable the stack is polymorphic, but known operands still count. */
    VALID(CODE(0x00, 0x6A, 0x1A, 0x0B));
    VALID(CODE(0x00, 0x41, 0x00, 0x6A, 0x1A, 0x0B));
    INVALID("type mismatch", 3, CODE(0x00, 0x42, 0x00, 0x6A, 0x1A, 0x0B));
    /* if (result i32) without else */
    INVALID("type mismatch", 6, CODE(0x41, 0x01, 0x04, 0x7F, 0x41, 0x00, 0x0B, 0x1A, 0x0B));
    VALID(CODE(0x41, 0x01, 0x04, 0x7F, 0x41, 0x00, 0x05, 0x41, 0x01, 0x0B, 0x1A, 0x0B));
    INVALID("unknown label 2", 2, CODE(0x02, 0x40, 0x0C, 0x02, 0x0B, 0x0B));
    INVALID("unknown function 3", 0, CODE(0x10, 0x03, 0x0B));
    INVALID("unknown table 0", 2, CODE(0x41, 0x00, 0x11, 0x00, 0x00, 0x0B));
    /* Reference types are not supported: typed select, ref.null, table.get. */
    INVALID("reference-types", 0, CODE(0xD0, 0x70, 0x1A, 0x0B));
    INVALID("reference-types", 6,
            CODE(0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1C, 0x01, 0x7F, 0x1A, 0x0B));
    INVALID("reference-types", 2, CODE(0x41, 0x00, 0x25, 0x00, 0x1A, 0x0B));
}

TEST(validate_pvf_feature_gates_in_bodies)
{
    const wasm_features *pvf = &WASM_FEATURES_PVF;
    /* i64.extend32_s */
    expect_body(&(body_spec){ CODE(0x42, 0x00, 0xC4, 0x1A, 0x0B) }, pvf,
                "sign-extension operator i64.extend32_s requires the sign-ext feature", 2,
                __LINE__);
    /* i64.trunc_sat_f64_u */
    expect_body(&(body_spec){ CODE(0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0xFC, 0x07, 0x1A, 0x0B) }, pvf,
                "i64.trunc_sat_f64_u requires the sat-float-to-int feature", 9, __LINE__);
    /* memory.fill */
    expect_body(&(body_spec){ .memory = true,
                              CODE(0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0x00, 0x0B) },
                pvf, "memory.fill requires the bulk-memory feature", 6, __LINE__);
    /* Bulk memory alone can be switched on (the WasmExtBulkMemory executor parameter). */
    wasm_features bulk = WASM_FEATURES_PVF;
    bulk.bulk_memory = true;
    expect_body(&(body_spec){ .memory = true,
                              CODE(0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0x00, 0x0B) },
                &bulk, NULL, 0, __LINE__);
}

TEST(validate_locals_beyond_the_flat_prefix)
{
    /* (10 x i32) (40000 x i64) (5 x f32): indices past the first ~100 use the slow path. */
    static const uint8_t locals[] = { 3, 10, 0x7F, 0xC0, 0xB8, 0x02, 0x7E, 5, 0x7D };
    body_spec s = { .locals = locals, .locals_len = sizeof locals };
    /* local.get 40009 (the last i64); i64.eqz; drop */
    s.code = (const uint8_t[]){ 0x20, 0xC9, 0xB8, 0x02, 0x50, 0x1A, 0x0B };
    s.code_len = 7;
    expect_body(&s, &WASM_FEATURES_FULL, NULL, 0, __LINE__);
    /* local.get 40010 is an f32 */
    s.code = (const uint8_t[]){ 0x20, 0xCA, 0xB8, 0x02, 0x50, 0x1A, 0x0B };
    expect_body(&s, &WASM_FEATURES_FULL, "type mismatch", 4, __LINE__);
    /* local.get 9 is an i32 (flat prefix) */
    s.code = (const uint8_t[]){ 0x20, 0x09, 0x45, 0x1A, 0x0B };
    s.code_len = 5;
    expect_body(&s, &WASM_FEATURES_FULL, NULL, 0, __LINE__);
    /* 40015 locals: index 40015 does not exist */
    s.code = (const uint8_t[]){ 0x20, 0xCF, 0xB8, 0x02, 0x1A, 0x0B };
    s.code_len = 6;
    expect_body(&s, &WASM_FEATURES_FULL, "unknown local 40015", 0, __LINE__);
    /* with a parameter: (param f64) shifts every local by one */
    static const uint8_t type[] = { 1, 0x7C, 0 };
    s.type = type;
    s.type_len = sizeof type;
    s.code = (const uint8_t[]){ 0x20, 0xCA, 0xB8, 0x02, 0x50, 0x1A, 0x0B };
    s.code_len = 7;
    expect_body(&s, &WASM_FEATURES_FULL, NULL, 0, __LINE__);
}

TEST(validate_hostile_nesting_and_stack)
{
    enum { DEPTH = 40000 };     /* 3 bytes a level: 120 KB of body */
    uint8_t *code = malloc(3 * DEPTH + 1);
    for (int i = 0; i < DEPTH; i++) {
        code[2 * i] = 0x02;
        code[2 * i + 1] = 0x40;
        code[2 * DEPTH + i] = 0x0B;
    }
    code[3 * DEPTH] = 0x0B;
    expect_body(&(body_spec){ .code = code, .code_len = 3 * DEPTH + 1 }, &WASM_FEATURES_FULL,
                NULL, 0, __LINE__);
    /* one `end` short: the function is never closed */
    expect_body(&(body_spec){ .code = code, .code_len = 3 * DEPTH }, &WASM_FEATURES_FULL,
                "unexpected end", 3 * DEPTH, __LINE__);

    /* 60 000 values pushed and never consumed */
    enum { VALUES = 60000 };
    for (int i = 0; i < VALUES; i++) {
        code[2 * i] = 0x41;
        code[2 * i + 1] = 0x00;
    }
    code[2 * VALUES] = 0x0B;
    expect_body(&(body_spec){ .code = code, .code_len = 2 * VALUES + 1 }, &WASM_FEATURES_FULL,
                "type mismatch", 2 * VALUES, __LINE__);
    free(code);
}

/* ---- module-level rules on hand-made module structures --------------------------------- */

TEST(validate_module_rules)
{
    wasm_error err;
    const wasm_features *pvf = &WASM_FEATURES_PVF;

    wasm_memory mems[2] = { { { 1, 2, true }, false, 0 }, { { 1, 2, true }, false, 0 } };
    wasm_module m = { .nmemories = 2, .memories = mems };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "multiple memories");
    m.nmemories = 1;
    CHECK(wasm_validate(&m, pvf, &err));
    mems[0].limits = (wasm_limits){ 65537, 0, false };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "memory size must be at most 65536 pages (4GiB)");
    mems[0].limits = (wasm_limits){ 3, 2, true };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "size minimum must not be greater than maximum");

    wasm_table tables[2] = { { { WASM_FUNCREF, { 1, 1, true } }, false, 0 },
                             { { WASM_FUNCREF, { 1, 1, true } }, false, 0 } };
    m = (wasm_module){ .ntables = 2, .tables = tables };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "multiple tables");
    m.ntables = 1;
    tables[0].type.elem_type = WASM_EXTERNREF;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "reference types are not supported");

    /* A defined global read by another global's initialiser. */
    wasm_global globals[3] = {
        { .type = { WASM_I32, false }, .is_import = true },
        { .type = { WASM_I32, false }, .init = { WASM_CONST_I32, WASM_I32, 7 } },
        { .type = { WASM_I32, false }, .init = { WASM_CONST_GLOBAL_GET, 0, 1 } },
    };
    m = (wasm_module){ .nglobals = 3, .nglobal_imports = 1, .globals = globals };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown global 1");
    globals[2].init.bits = 0;   /* the imported one: fine */
    CHECK(wasm_validate(&m, pvf, &err));
    globals[0].type.mutable_ = true;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "constant expression required");
    globals[0].type.mutable_ = false;
    globals[2].type.type = WASM_I64;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "type mismatch");

    /* Exports and start. */
    uint8_t sig[1] = { WASM_I32 };
    wasm_functype types[2] = { { 0, 0, NULL }, { 1, 0, sig } };
    wasm_func funcs[2] = { { .type_index = 0, .is_import = true },
                           { .type_index = 1, .is_import = true } };
    wasm_export exports[3] = { { { "a", 1 }, WASM_EXTERN_FUNC, 0 },
                               { { "b", 1 }, WASM_EXTERN_FUNC, 1 },
                               { { "a", 1 }, WASM_EXTERN_FUNC, 1 } };
    m = (wasm_module){ .ntypes = 2, .types = types, .nfuncs = 2, .nfunc_imports = 2,
                       .funcs = funcs, .nexports = 2, .exports = exports };
    CHECK(wasm_validate(&m, pvf, &err));
    m.nexports = 3;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "duplicate export name");
    m.nexports = 2;
    exports[1].index = 2;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown function 2");
    exports[1].index = 1;
    m.has_start = true;
    m.start = 1;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "start function");
    m.start = 0;
    CHECK(wasm_validate(&m, pvf, &err));

    /* Two results: multi-value only. */
    uint8_t two[2] = { WASM_I32, WASM_I64 };
    types[1] = (wasm_functype){ 0, 2, two };
    m.has_start = false;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "multiple results require the multi-value feature");
    CHECK(wasm_validate(&m, &WASM_FEATURES_FULL, &err));
    funcs[1].type_index = 5;
    CHECK(!wasm_validate(&m, &WASM_FEATURES_FULL, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown type 5");

    /* Segments need their memory / table. */
    wasm_data_segment data = { .mode = WASM_SEG_ACTIVE, .offset = { WASM_CONST_I32, WASM_I32, 0 } };
    m = (wasm_module){ .ndatas = 1, .datas = &data };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown memory 0");
    uint32_t f0 = 0;
    wasm_elem_segment elem = { .mode = WASM_SEG_ACTIVE, .elem_type = WASM_FUNCREF,
                               .offset = { WASM_CONST_I64, WASM_I64, 0 }, .count = 1,
                               .funcs = &f0 };
    m = (wasm_module){ .nelems = 1, .elems = &elem };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown table 0");
    tables[0].type.elem_type = WASM_FUNCREF;
    m.ntables = 1;
    m.tables = tables;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "type mismatch");
    elem.offset = (wasm_const_expr){ WASM_CONST_I32, WASM_I32, 0 };
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "unknown function 0");
    elem.mode = WASM_SEG_PASSIVE;
    elem.count = 0;
    CHECK(!wasm_validate(&m, pvf, &err));
    CHECK_STR_CONTAINS(err.msg, "requires the bulk-memory feature");
    CHECK(wasm_validate(&m, &WASM_FEATURES_FULL, &err));
}

/* ---- real runtimes --------------------------------------------------------------- */

/* The plain module: the file itself, or the zstd stream after the blob magic. */
static uint8_t *load_runtime(const char *path, size_t *len)
{
    size_t n;
    uint8_t *raw = test_read_file(path, &n), *out = NULL;
    char why[256];
    if (raw && !blob_decompress(raw, n, PVF_REF_CODE_BOMB_LIMIT, &out, len, NULL, why,
                                sizeof why))
        test_fail(__FILE__, __LINE__, "%s: %s", path, why);
    free(raw);
    return out;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TEST(validate_real_runtimes)
{
    const char *dir_path = test_data_path("pvf");
    if (!dir_path)
        return;
    char dir[4096];
    fmt_path(dir, sizeof dir, "%s", dir_path);
    DIR *d = opendir(dir);
    if (!d) {
        test_fail(__FILE__, __LINE__, "cannot open %s", dir);
        return;
    }
    int count = 0;
    double total_bytes = 0, total_seconds = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t nl = strlen(e->d_name);
        bool blob = nl > 9 && !strcmp(e->d_name + nl - 9, ".zstdblob");
        bool wasm = nl > 5 && !strcmp(e->d_name + nl - 5, ".wasm");
        if (!blob && !wasm)
            continue;
        char path[8192];
        fmt_path(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *bytes = load_runtime(path, &len);
        if (!bytes) {
            test_fail(__FILE__, __LINE__, "cannot load %s", path);
            continue;
        }
        wasm_module m;
        wasm_error err;
        if (!wasm_decode(bytes, len, &WASM_FEATURES_PVF, &m, &err)) {
            test_fail(__FILE__, __LINE__, "%s does not decode: %s", e->d_name, err_text(&err));
            free(bytes);
            continue;
        }
        /* Best of three runs, so that one scheduling hiccup does not skew the figure. */
        double best = 1e9;
        bool ok = true;
        for (int run = 0; run < 3 && ok; run++) {
            double t0 = now_seconds();
            ok = wasm_validate(&m, &WASM_FEATURES_PVF, &err);
            double t = now_seconds() - t0;
            best = t < best ? t : best;
        }
        if (!ok)
            test_fail(__FILE__, __LINE__, "%s must validate in the pvf profile: %s", e->d_name,
                      err_text(&err));
        total_bytes += (double)len;
        total_seconds += best;
        count++;
        wasm_module_free(&m);
        free(bytes);
    }
    closedir(d);
    CHECK(count >= 13);
    if (total_seconds > 0)
        printf("validate runtimes: %d modules, %.1f MB in %.1f ms: %.0f MB/s\n", count,
               total_bytes / 1e6, total_seconds * 1e3, total_bytes / 1e6 / total_seconds);
}

/*
 * Every single-byte change of a small valid module must be either accepted
 * or rejected with a message, never crash or read out of bounds (this test
 * earns its keep under `make asan`).
 */
TEST(validate_single_byte_mutations)
{
    size_t len;
    uint8_t *orig = read_fixture("mvp", &len);
    if (!orig)
        return;
    uint8_t *bytes = malloc(len);
    int accepted = 0, rejected = 0;
    for (size_t i = 8; i < len; i++) {
        for (unsigned v = 0; v < 256; v++) {
            if (v == orig[i])
                continue;
            memcpy(bytes, orig, len);
            bytes[i] = (uint8_t)v;
            wasm_error err;
            verdict r = check_bytes(bytes, len, &WASM_FEATURES_FULL, &err);
            if (r == ACCEPTED) {
                accepted++;
            } else {
                rejected++;
                if (!err.msg[0])
                    test_fail(__FILE__, __LINE__, "byte %zu = 0x%02x: rejected without a message",
                              i, v);
            }
        }
    }
    /* and every truncation */
    for (size_t n = 0; n < len; n++) {
        wasm_error err;
        if (check_bytes(orig, n, &WASM_FEATURES_FULL, &err) == ACCEPTED && n > 8)
            accepted++;
    }
    CHECK(rejected > accepted);
    free(bytes);
    free(orig);
}

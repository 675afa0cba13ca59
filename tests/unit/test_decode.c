/*
 * test_decode.c — the binary decoder (src/wasm/decode.c).
 *
 * Three kinds of evidence:
 *  - the real runtimes of testdata/pvf/ decode to the counts wabt's
 *    wasm-objdump reports (tests/data/decode_expectations.tsv, written by
 *    tests/gen/decode_expectations.sh);
 *  - small modules produced by wat2wasm from the WAT quoted next to them
 *    decode to what the WAT says;
 *  - hand-made malformed binaries fail with the spec suite's wording and at
 *    the byte that is wrong.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/blob.h"
#include "util/cputime.h"
#include "wasm/module.h"
#include "wasm/reader.h"

/* ---- helpers --------------------------------------------------------------------------------- */

/* A module under construction: header plus sections, sizes computed for us. */
typedef struct bytes {
    uint8_t b[1024];
    size_t n;
} bytes;

static void put(bytes *o, const uint8_t *p, size_t n)
{
    if (o->n + n > sizeof o->b)
        abort();
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

#define PUT(o, ...) put(o, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void put_uleb(bytes *o, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7F;
        v >>= 7;
        if (v)
            byte |= 0x80;
        put(o, &byte, 1);
    } while (v);
}

static bytes module_header(void)
{
    bytes o = { .n = 0 };
    PUT(&o, 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00);
    return o;
}

static void put_section(bytes *o, uint8_t id, const uint8_t *payload, size_t n)
{
    put(o, &id, 1);
    put_uleb(o, (uint32_t)n);
    put(o, payload, n);
}

#define SECTION(o, id, ...)                                                                       \
    put_section(o, id, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Decoding must fail with `msg` in the reason, at byte `offset` (SIZE_MAX: any offset). */
static void expect_malformed_at(const uint8_t *b, size_t n, const wasm_features *f, const char *msg,
                                size_t offset, int line)
{
    wasm_module m;
    wasm_error err;
    memset(&err, 0, sizeof err);
    if (wasm_decode(b, n, f, &m, &err)) {
        test_fail(__FILE__, line, "decoded, but should fail with \"%s\"", msg);
        wasm_module_free(&m);
        return;
    }
    if (!strstr(err.msg, msg))
        test_fail(__FILE__, line, "error \"%s\" does not contain \"%s\"", err.msg, msg);
    if (offset != SIZE_MAX && (!err.has_offset || err.offset != offset))
        test_fail(__FILE__, line, "error \"%s\" at offset %zu, expected %zu", err.msg, err.offset, offset);
    if (!all_zero(&m, sizeof m))
        test_fail(__FILE__, line, "module not left zeroed after a failed decode");
}

#define EXPECT_MALFORMED(o, f, msg, offset) expect_malformed_at((o)->b, (o)->n, f, msg, offset, __LINE__)
#define EXPECT_MALFORMED_RAW(arr, f, msg, offset) \
    expect_malformed_at(arr, sizeof arr, f, msg, offset, __LINE__)

static bool decode_ok(const uint8_t *b, size_t n, const wasm_features *f, wasm_module *m, int line)
{
    wasm_error err;
    if (wasm_decode(b, n, f, m, &err))
        return true;
    char text[300];
    test_fail(__FILE__, line, "decode failed: %s", wasm_error_text(&err, text, sizeof text));
    return false;
}

#define DECODE_OK(o, f, m) decode_ok((o)->b, (o)->n, f, m, __LINE__)

static bool name_is(wasm_name n, const char *s)
{
    return n.len == strlen(s) && memcmp(n.bytes, s, n.len) == 0;
}

/* ---- real runtimes against wasm-objdump ------------------------------------------------------ */

enum {
    COL_FILE, COL_WASM_SIZE, COL_TYPES, COL_IMPORTS, COL_FUNC_IMPORTS, COL_GLOBAL_IMPORTS,
    COL_FUNCTIONS, COL_GLOBALS, COL_EXPORTS, COL_ELEMS, COL_DATAS, COL_CUSTOMS, COL_RV_LEN, NCOLS
};

/* Split `line` (modified in place) on tabs into exactly NCOLS fields. */
static bool split_row(char *line, char *cols[NCOLS])
{
    int n = 0;
    for (char *p = line; n < NCOLS; n++) {
        cols[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            return n == NCOLS - 1;
        *tab = '\0';
        p = tab + 1;
    }
    return false;
}

/* The custom section names of the module, comma-joined in order, as the TSV writes them. */
static void custom_names(const wasm_module *m, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < m->ncustoms && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%.*s", i ? "," : "",
                                 (int)m->customs[i].name.len, m->customs[i].name.bytes);
    if (m->ncustoms == 0)
        snprintf(out, size, "-");
}

/* Body pointers must lie inside the binary, agree with code_offset, and end with `end`. */
static void check_bodies(const wasm_module *m, const char *file)
{
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        bool inside = f->code >= m->binary && f->code_len > 0 &&
                      f->code + f->code_len <= m->binary + m->binary_len &&
                      (size_t)(f->code - m->binary) == f->code_offset;
        if (!inside || f->code[f->code_len - 1] != 0x0B) {
            test_fail(__FILE__, __LINE__, "%s: body of function %u misplaced", file, i);
            return;
        }
    }
}

static void check_runtime_row(char *cols[NCOLS])
{
    char rel[512];
    snprintf(rel, sizeof rel, "pvf/%s", cols[COL_FILE]);
    const char *path = test_data_path(rel);
    if (!path)
        return;
    size_t len, wasm_len;
    uint8_t *raw = test_read_file(path, &len), *wasm = NULL;
    char err[256];
    CHECK(raw != NULL);
    if (!raw || !blob_decompress(raw, len, PVF_REF_CODE_BOMB_LIMIT, &wasm, &wasm_len, NULL,
                                 err, sizeof err)) {
        test_fail(__FILE__, __LINE__, "%s: %s", cols[COL_FILE], raw ? err : "unreadable");
        free(raw);
        return;
    }
    CHECK_EQ_U64(wasm_len, strtoull(cols[COL_WASM_SIZE], NULL, 10));

    wasm_module m;
    double t0 = cputime_thread_ms();
    bool ok = decode_ok(wasm, wasm_len, &WASM_FEATURES_PVF, &m, __LINE__);
    double ms = cputime_thread_ms() - t0;
    if (ok) {
        /* Linear work only: even an 8 MB runtime decodes in a few ms; 1 s means something is off. */
        if (ms > 1000)
            test_fail(__FILE__, __LINE__, "%s: decoding took %.0f ms", cols[COL_FILE], ms);
        CHECK_EQ_U64(m.ntypes, atoi(cols[COL_TYPES]));
        CHECK_EQ_U64(m.nimports, atoi(cols[COL_IMPORTS]));
        CHECK_EQ_U64(m.nfunc_imports, atoi(cols[COL_FUNC_IMPORTS]));
        CHECK_EQ_U64(m.nglobal_imports, atoi(cols[COL_GLOBAL_IMPORTS]));
        CHECK_EQ_U64(m.nfuncs - m.nfunc_imports, atoi(cols[COL_FUNCTIONS]));
        CHECK_EQ_U64(m.nglobals - m.nglobal_imports, atoi(cols[COL_GLOBALS]));
        CHECK_EQ_U64(m.nexports, atoi(cols[COL_EXPORTS]));
        CHECK_EQ_U64(m.nelems, atoi(cols[COL_ELEMS]));
        CHECK_EQ_U64(m.ndatas, atoi(cols[COL_DATAS]));
        char names[2048];
        custom_names(&m, names, sizeof names);
        if (strcmp(names, cols[COL_CUSTOMS]) != 0)
            test_fail(__FILE__, __LINE__, "%s: custom sections %s, wasm-objdump says %s",
                      cols[COL_FILE], names, cols[COL_CUSTOMS]);
        const wasm_custom_section *rv = wasm_find_custom(&m, "runtime_version");
        if (strcmp(cols[COL_RV_LEN], "-") == 0) {
            CHECK(rv == NULL);
        } else if (!rv) {
            test_fail(__FILE__, __LINE__, "%s: runtime_version not found", cols[COL_FILE]);
        } else {
            CHECK_EQ_U64(rv->len, atoi(cols[COL_RV_LEN]));
            /* SCALE: spec_name is a compact-length string (single-byte mode: len << 2). */
            CHECK(rv->len > 1 && (rv->bytes[0] & 3) == 0 && (size_t)(rv->bytes[0] >> 2) < rv->len);
            CHECK(rv->bytes == wasm + rv->offset);
        }
        check_bodies(&m, cols[COL_FILE]);
        wasm_module_free(&m);
    }
    free(wasm);
    free(raw);
}

TEST(decode_real_runtimes_match_wasm_objdump)
{
    size_t len;
    char *tsv = (char *)test_read_file("tests/data/decode_expectations.tsv", &len);
    if (!tsv) {
        test_fail(__FILE__, __LINE__, "tests/data/decode_expectations.tsv missing (run from the repo root)");
        return;
    }
    tsv = realloc(tsv, len + 1);
    tsv[len] = '\0';
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *cols[NCOLS];
        if (!strncmp(line, "file\t", 5))
            continue;
        if (!split_row(line, cols)) {
            test_fail(__FILE__, __LINE__, "bad TSV row: %s", line);
            continue;
        }
        check_runtime_row(cols);
        rows++;
    }
    CHECK(rows >= 10);
    free(tsv);
}

/* ---- modules made by wat2wasm ---------------------------------------------------------------- */

/*
 * wat2wasm --debug-names of:
 * (module
 *   (type $t0 (func (param i32 i64) (result i32)))
 *   (import "env" "f" (func $f (type $t0)))
 *   (import "env" "memory" (memory 1 2))
 *   (import "env" "g" (global $g i32))
 *   (import "env" "table" (table 3 funcref))
 *   (global $h i64 (i64.const -5))
 *   (global $k (mut f32) (f32.const 1.5))
 *   (func $a (type $t0) (local i32 i32) (local f64) (i32.const 7))
 *   (func $b (result i32) (global.get $g))
 *   (func $c)
 *   (export "a" (func $a)) (export "mem" (memory 0)) (export "k" (global $k))
 *   (start $c)
 *   (elem (i32.const 1) $a $b)
 *   (data (i32.const 16) "hi")
 *   (data (global.get $g) "xyz"))
 */
static const uint8_t mvp_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60,
    0x02, 0x7f, 0x7e, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x00,
    0x02, 0x2f, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, 0x03,
    0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x01,
    0x01, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7f, 0x00, 0x03,
    0x65, 0x6e, 0x76, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x01, 0x70, 0x00,
    0x03, 0x03, 0x04, 0x03, 0x00, 0x01, 0x02, 0x06, 0x0e, 0x02, 0x7e, 0x00,
    0x42, 0x7b, 0x0b, 0x7d, 0x01, 0x43, 0x00, 0x00, 0xc0, 0x3f, 0x0b, 0x07,
    0x0f, 0x03, 0x01, 0x61, 0x00, 0x01, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,
    0x01, 0x6b, 0x03, 0x02, 0x08, 0x01, 0x03, 0x09, 0x08, 0x01, 0x00, 0x41,
    0x01, 0x0b, 0x02, 0x01, 0x02, 0x0a, 0x12, 0x03, 0x08, 0x02, 0x02, 0x7f,
    0x01, 0x7c, 0x41, 0x07, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b, 0x02, 0x00,
    0x0b, 0x0b, 0x10, 0x02, 0x00, 0x41, 0x10, 0x0b, 0x02, 0x68, 0x69, 0x00,
    0x23, 0x00, 0x0b, 0x03, 0x78, 0x79, 0x7a, 0x00, 0x32, 0x04, 0x6e, 0x61,
    0x6d, 0x65, 0x01, 0x0d, 0x04, 0x00, 0x01, 0x66, 0x01, 0x01, 0x61, 0x02,
    0x01, 0x62, 0x03, 0x01, 0x63, 0x02, 0x09, 0x04, 0x00, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x03, 0x00, 0x04, 0x05, 0x01, 0x00, 0x02, 0x74, 0x30, 0x07,
    0x0a, 0x03, 0x00, 0x01, 0x67, 0x01, 0x01, 0x68, 0x02, 0x01, 0x6b,
};

TEST(decode_mvp_module_from_wat2wasm)
{
    wasm_module m;
    if (!decode_ok(mvp_wasm, sizeof mvp_wasm, &WASM_FEATURES_PVF, &m, __LINE__))
        return;
    CHECK(m.binary == mvp_wasm && m.binary_len == sizeof mvp_wasm);
    CHECK_EQ_U64(m.ntypes, 3);
    CHECK(m.types[0].nparams == 2 && m.types[0].nresults == 1);
    CHECK(m.types[0].types[0] == WASM_I32 && m.types[0].types[1] == WASM_I64 &&
          m.types[0].types[2] == WASM_I32);
    CHECK(m.types[2].nparams == 0 && m.types[2].nresults == 0);

    CHECK_EQ_U64(m.nimports, 4);
    CHECK(name_is(m.imports[1].module, "env") && name_is(m.imports[1].name, "memory"));
    CHECK(m.imports[1].kind == WASM_EXTERN_MEMORY);
    CHECK(m.imports[1].u.memory.min == 1 && m.imports[1].u.memory.has_max && m.imports[1].u.memory.max == 2);

    /* Index spaces: imports first. */
    CHECK_EQ_U64(m.nfuncs, 4);
    CHECK_EQ_U64(m.nfunc_imports, 1);
    CHECK(m.funcs[0].is_import && m.funcs[0].import_index == 0 && m.funcs[0].type_index == 0);
    CHECK(!m.funcs[1].is_import && m.funcs[1].type_index == 0);
    CHECK(m.funcs[2].type_index == 1 && m.funcs[3].type_index == 2);
    CHECK(m.nmemories == 1 && m.nmemory_imports == 1 && m.memories[0].import_index == 1);
    CHECK(m.ntables == 1 && m.ntable_imports == 1 && m.tables[0].type.elem_type == WASM_FUNCREF);
    CHECK(m.tables[0].type.limits.min == 3 && !m.tables[0].type.limits.has_max);
    CHECK(m.nglobals == 3 && m.nglobal_imports == 1);
    CHECK(m.globals[0].is_import && m.globals[0].type.type == WASM_I32 && !m.globals[0].type.mutable_);
    CHECK(m.globals[1].type.type == WASM_I64 && m.globals[1].init.kind == WASM_CONST_I64);
    CHECK(m.globals[1].init.bits == (uint64_t)-5);
    CHECK(m.globals[2].type.mutable_ && m.globals[2].init.kind == WASM_CONST_F32);
    CHECK_EQ_U64(m.globals[2].init.bits, 0x3fc00000);  /* 1.5f */

    /* $a: (local i32 i32) (local f64) → groups 2×i32, 1×f64; body i32.const 7, end. */
    const wasm_func *a = &m.funcs[1];
    CHECK_EQ_U64(a->nlocal_groups, 2);
    CHECK(a->local_groups[0].count == 2 && a->local_groups[0].type == WASM_I32);
    CHECK(a->local_groups[1].count == 1 && a->local_groups[1].type == WASM_F64);
    CHECK_EQ_U64(a->nlocals, 3);
    CHECK_EQ_U64(a->code_len, 3);
    CHECK(a->code[0] == 0x41 && a->code[1] == 0x07 && a->code[2] == 0x0B);
    CHECK(a->code == mvp_wasm + a->code_offset);
    CHECK(m.funcs[3].nlocal_groups == 0 && m.funcs[3].code_len == 1);

    CHECK_EQ_U64(m.nexports, 3);
    CHECK(name_is(m.exports[1].name, "mem") && m.exports[1].kind == WASM_EXTERN_MEMORY);
    CHECK(name_is(m.exports[2].name, "k") && m.exports[2].kind == WASM_EXTERN_GLOBAL &&
          m.exports[2].index == 2);
    CHECK(m.has_start && m.start == 3);

    CHECK_EQ_U64(m.nelems, 1);
    CHECK(m.elems[0].mode == WASM_SEG_ACTIVE && m.elems[0].table_index == 0);
    CHECK(m.elems[0].offset.kind == WASM_CONST_I32 && m.elems[0].offset.bits == 1);
    CHECK(m.elems[0].count == 2 && m.elems[0].funcs[0] == 1 && m.elems[0].funcs[1] == 2);

    CHECK_EQ_U64(m.ndatas, 2);
    CHECK(m.datas[0].offset.kind == WASM_CONST_I32 && m.datas[0].offset.bits == 16);
    CHECK(m.datas[0].len == 2 && memcmp(m.datas[0].bytes, "hi", 2) == 0);
    CHECK(m.datas[1].offset.kind == WASM_CONST_GLOBAL_GET && m.datas[1].offset.bits == 0);
    CHECK(m.datas[1].len == 3 && memcmp(m.datas[1].bytes, "xyz", 3) == 0);
    CHECK(!m.has_data_count);

    CHECK_EQ_U64(m.ncustoms, 1);
    const wasm_custom_section *names = wasm_find_custom(&m, "name");
    CHECK(names != NULL && names->len == 0x32 - 5 && names->bytes == mvp_wasm + names->offset);
    CHECK(wasm_find_custom(&m, "nam") == NULL && wasm_find_custom(&m, "names") == NULL);
    wasm_module_free(&m);
    CHECK(all_zero(&m, sizeof m));
}

/*
 * wat2wasm of:
 * (module
 *   (table $t 4 funcref) (table $u 2 funcref) (memory 1)
 *   (func $f) (func (data.drop 0) (elem.drop 0))
 *   (elem func $f)                                     ;; flags 1: passive
 *   (elem declare func $f)                             ;; flags 3: declarative
 *   (elem (table $u) (i32.const 1) func $f $f)         ;; flags 2: explicit table
 *   (elem funcref (ref.func $f) (ref.null func))       ;; flags 5: passive expressions
 *   (elem (i32.const 2) funcref (ref.null func))       ;; flags 4: active expressions
 *   (elem (table $u) (i32.const 0) funcref (ref.func 1))
 *   (elem declare funcref (ref.func 1))
 *   (data "abc")                                       ;; passive
 *   (data (memory 0) (i32.const 8) "x"))
 */
static const uint8_t bulk_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x00, 0x04, 0x07, 0x02, 0x70, 0x00,
    0x04, 0x70, 0x00, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x09, 0x2f, 0x07,
    0x01, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02, 0x01, 0x41, 0x01,
    0x0b, 0x00, 0x02, 0x00, 0x00, 0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0,
    0x70, 0x0b, 0x04, 0x41, 0x02, 0x0b, 0x01, 0xd0, 0x70, 0x0b, 0x02, 0x01,
    0x41, 0x00, 0x0b, 0x00, 0x01, 0x01, 0x03, 0x00, 0x01, 0x01, 0x0c, 0x01,
    0x02, 0x0a, 0x0d, 0x02, 0x02, 0x00, 0x0b, 0x08, 0x00, 0xfc, 0x09, 0x00,
    0xfc, 0x0d, 0x00, 0x0b, 0x0b, 0x0c, 0x02, 0x01, 0x03, 0x61, 0x62, 0x63,
    0x00, 0x41, 0x08, 0x0b, 0x01, 0x78,
};

TEST(decode_bulk_memory_segments_from_wat2wasm)
{
    /* Without bulk memory, flags 1 is "table 1" followed by a constant expression, which 00 is not. */
    expect_malformed_at(bulk_wasm, sizeof bulk_wasm, &WASM_FEATURES_PVF, "constant expression required",
                        0x25, __LINE__);
    wasm_features bulk = WASM_FEATURES_PVF;
    bulk.bulk_memory = true;
    wasm_module m;
    if (!decode_ok(bulk_wasm, sizeof bulk_wasm, &bulk, &m, __LINE__))
        return;
    CHECK_EQ_U64(m.nelems, 7);
    const wasm_elem_segment *e = m.elems;
    CHECK(e[0].mode == WASM_SEG_PASSIVE && e[0].count == 1 && e[0].funcs[0] == 0);
    CHECK(e[1].mode == WASM_SEG_DECLARATIVE && e[1].count == 1);
    CHECK(e[2].mode == WASM_SEG_ACTIVE && e[2].table_index == 1 && e[2].offset.bits == 1 &&
          e[2].count == 2);
    CHECK(e[3].mode == WASM_SEG_PASSIVE && e[3].count == 2 && e[3].funcs[0] == 0 &&
          e[3].funcs[1] == WASM_NULL_FUNC);
    CHECK(e[4].mode == WASM_SEG_ACTIVE && e[4].table_index == 0 && e[4].offset.bits == 2 &&
          e[4].count == 1 && e[4].funcs[0] == WASM_NULL_FUNC);
    CHECK(e[5].mode == WASM_SEG_ACTIVE && e[5].table_index == 1 && e[5].funcs[0] == 1);
    CHECK(e[6].mode == WASM_SEG_DECLARATIVE && e[6].funcs[0] == 1);
    for (int i = 0; i < 7; i++)
        CHECK(e[i].elem_type == WASM_FUNCREF);
    CHECK(m.has_data_count && m.data_count == 2 && m.ndatas == 2);
    CHECK(m.datas[0].mode == WASM_SEG_PASSIVE && m.datas[0].len == 3);
    CHECK(m.datas[1].mode == WASM_SEG_ACTIVE && m.datas[1].offset.bits == 8);
    CHECK(m.ntables == 2 && m.tables[1].type.limits.min == 2);
    wasm_module_free(&m);
}

TEST(decode_bulk_memory_explicit_index_forms)
{
    wasm_features bulk = WASM_FEATURES_PVF;
    bulk.bulk_memory = true;
    bytes o = module_header();
    SECTION(&o, WASM_SEC_TABLE, 0x01, 0x70, 0x00, 0x01);
    SECTION(&o, WASM_SEC_MEMORY, 0x01, 0x00, 0x01);
    SECTION(&o, WASM_SEC_ELEMENT, 0x02,
            0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x01, 0xD0, 0x70, 0x0B,  /* flags 6 */
            0x07, 0x70, 0x00);                                         /* flags 7, empty */
    SECTION(&o, WASM_SEC_DATA, 0x01, 0x02, 0x00, 0x41, 0x05, 0x0B, 0x01, 0x7A);
    wasm_module m;
    if (DECODE_OK(&o, &bulk, &m)) {
        CHECK(m.elems[0].mode == WASM_SEG_ACTIVE && m.elems[0].funcs[0] == WASM_NULL_FUNC);
        CHECK(m.elems[1].mode == WASM_SEG_DECLARATIVE && m.elems[1].count == 0);
        CHECK(m.datas[0].mode == WASM_SEG_ACTIVE && m.datas[0].memory_index == 0 &&
              m.datas[0].offset.bits == 5 && m.datas[0].bytes[0] == 'z');
        wasm_module_free(&m);
    }
    /* The same flags mean a table/memory index in MVP: flags 2 = table 2, left to the validator. */
    bytes mvp = module_header();
    SECTION(&mvp, WASM_SEC_ELEMENT, 0x01, 0x02, 0x41, 0x00, 0x0B, 0x00);
    SECTION(&mvp, WASM_SEC_DATA, 0x01, 0x01, 0x41, 0x00, 0x0B, 0x00);
    if (DECODE_OK(&mvp, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.elems[0].mode == WASM_SEG_ACTIVE && m.elems[0].table_index == 2);
        CHECK(m.datas[0].mode == WASM_SEG_ACTIVE && m.datas[0].memory_index == 1);
        wasm_module_free(&m);
    }
    bytes bad = module_header();
    SECTION(&bad, WASM_SEC_ELEMENT, 0x01, 0x08, 0x00);
    EXPECT_MALFORMED(&bad, &bulk, "invalid elements segment kind", 11);
    bad = module_header();
    SECTION(&bad, WASM_SEC_ELEMENT, 0x01, 0x05, 0x7F, 0x00);
    EXPECT_MALFORMED(&bad, &bulk, "malformed element type", 12);
    bad = module_header();
    SECTION(&bad, WASM_SEC_ELEMENT, 0x01, 0x01, 0x01, 0x00);
    EXPECT_MALFORMED(&bad, &bulk, "malformed element kind", 12);
    bad = module_header();
    SECTION(&bad, WASM_SEC_ELEMENT, 0x01, 0x05, 0x70, 0x01, 0x41, 0x00, 0x0B);
    EXPECT_MALFORMED(&bad, &bulk, "invalid elem", 14);
    bad = module_header();
    SECTION(&bad, WASM_SEC_DATA, 0x01, 0x03, 0x00);
    EXPECT_MALFORMED(&bad, &bulk, "invalid data segment kind", 11);
}

/* ---- malformed binaries ---------------------------------------------------------------------- */

TEST(decode_rejects_bad_header)
{
    static const uint8_t empty[1] = { 0 };
    expect_malformed_at(empty, 0, &WASM_FEATURES_PVF, "unexpected end", 0, __LINE__);
    static const uint8_t short_version[] = { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00 };
    EXPECT_MALFORMED_RAW(short_version, &WASM_FEATURES_PVF, "unexpected end", 4);
    static const uint8_t bad_magic[] = { 0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00 };
    EXPECT_MALFORMED_RAW(bad_magic, &WASM_FEATURES_PVF, "magic header not detected", 0);
    static const uint8_t bad_version[] = { 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00 };
    EXPECT_MALFORMED_RAW(bad_version, &WASM_FEATURES_PVF, "unknown binary version", 4);
    /* A compressed blob is not a module: the caller must decompress first. */
    static const uint8_t blob[] = { 0x52, 0xBC, 0x53, 0x76, 0x46, 0xDB, 0x8E, 0x05, 0x28, 0xB5 };
    EXPECT_MALFORMED_RAW(blob, &WASM_FEATURES_PVF, "magic header not detected", 0);

    bytes o = module_header();
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.nfuncs == 0 && m.ntypes == 0 && m.ncustoms == 0);
        wasm_module_free(&m);
    }
}

TEST(decode_rejects_bad_leb128)
{
    bytes o = module_header();
    PUT(&o, 0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);   /* type count: 6 bytes of LEB */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "integer representation too long", 15);
    o = module_header();
    PUT(&o, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);         /* 35 bits in a u32 */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "integer too large", 15);
    o = module_header();
    PUT(&o, 0x01, 0x02, 0x80);                                 /* LEB cut by the end of input */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end", 11);
    /* Overlong but within 5 bytes is fine: type count 0 as 80 80 80 80 00. */
    o = module_header();
    PUT(&o, 0x01, 0x05, 0x80, 0x80, 0x80, 0x80, 0x00);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m))
        wasm_module_free(&m);
}

TEST(decode_rejects_bad_sections)
{
    bytes o = module_header();
    PUT(&o, 0x0D, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_FULL, "malformed section id", 8);
    o = module_header();
    PUT(&o, 0x0D, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed section id", 8);
    /* parity-wasm knows the data count section in every build, so the pvf profile too. */
    o = module_header();
    PUT(&o, 0x0C, 0x01, 0x00);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.has_data_count && m.data_count == 0);
        wasm_module_free(&m);
    }

    /* Declared 5 bytes, contents use 4; declared 3, contents use 4. */
    o = module_header();
    PUT(&o, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "section size mismatch", 10);
    o = module_header();
    PUT(&o, 0x01, 0x03, 0x01, 0x60, 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "section size mismatch", 10);
    /* Fewer entries than the count says, input ends. */
    o = module_header();
    PUT(&o, 0x01, 0x07, 0x02, 0x60, 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end of section or function", SIZE_MAX);

    /* Out of order, and repeated (the spec suite's "junk after last section"). */
    o = module_header();
    SECTION(&o, WASM_SEC_FUNCTION, 0x00);
    SECTION(&o, WASM_SEC_TYPE, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "junk after last section", 11);
    o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x00);
    SECTION(&o, WASM_SEC_TYPE, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "junk after last section", 11);
    /* Data count goes between element and code. */
    o = module_header();
    SECTION(&o, WASM_SEC_CODE, 0x00);
    SECTION(&o, WASM_SEC_DATACOUNT, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_FULL, "junk after last section", 11);

    /* Custom sections may come anywhere, even first, last and twice in a row. */
    o = module_header();
    SECTION(&o, WASM_SEC_CUSTOM, 0x01, 'a', 0x01, 0x02);
    SECTION(&o, WASM_SEC_TYPE, 0x00);
    SECTION(&o, WASM_SEC_CUSTOM, 0x00);
    SECTION(&o, WASM_SEC_CUSTOM, 0x02, 'b', 'c');
    SECTION(&o, WASM_SEC_DATACOUNT, 0x00);
    SECTION(&o, WASM_SEC_CUSTOM, 0x01, 'a', 0x03);
    if (DECODE_OK(&o, &WASM_FEATURES_FULL, &m)) {
        CHECK_EQ_U64(m.ncustoms, 4);
        CHECK(name_is(m.customs[0].name, "a") && m.customs[0].len == 2 && m.customs[0].offset == 12);
        CHECK(m.customs[1].name.len == 0 && m.customs[1].len == 0);
        CHECK(name_is(m.customs[2].name, "bc") && m.customs[2].len == 0);
        const wasm_custom_section *a = wasm_find_custom(&m, "a");
        CHECK(a == &m.customs[0] && a->bytes[0] == 0x01 && a->bytes[1] == 0x02);
        wasm_module_free(&m);
    }
    /* A custom section whose name runs past its size. */
    o = module_header();
    PUT(&o, 0x00, 0x01, 0x05, 'h', 'e', 'l', 'l', 'o');
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end", SIZE_MAX);
}

/* Type () -> () and one defined function with the given body (locals + code). */
static bytes one_function(const uint8_t *body, size_t n, uint8_t nparams)
{
    bytes o = module_header();
    if (nparams == 2)
        SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x00);
    else
        SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0x00, 0x00);
    SECTION(&o, WASM_SEC_FUNCTION, 0x01, 0x00);
    bytes code = { .n = 0 };
    PUT(&code, 0x01);
    put_uleb(&code, (uint32_t)n);
    put(&code, body, n);
    put_section(&o, WASM_SEC_CODE, code.b, code.n);
    return o;
}

/* Decode and validate; the validation error must contain `msg`. */
static void expect_invalid(const bytes *o, const wasm_features *f, const char *msg, int line)
{
    wasm_module m;
    if (!decode_ok(o->b, o->n, f, &m, line))
        return;
    wasm_error err;
    memset(&err, 0, sizeof err);
    if (wasm_validate(&m, f, &err))
        test_fail(__FILE__, line, "validated, but should fail with \"%s\"", msg);
    else if (!strstr(err.msg, msg))
        test_fail(__FILE__, line, "error \"%s\" does not contain \"%s\"", err.msg, msg);
    wasm_module_free(&m);
}

#define EXPECT_INVALID(o, f, msg) expect_invalid(o, f, msg, __LINE__)

TEST(decode_local_declarations)
{
    /* 50000 locals: the limit exactly. 50000 = d0 86 03. */
    static const uint8_t at_limit[] = { 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B };
    bytes o = one_function(at_limit, sizeof at_limit, 0);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK_EQ_U64(m.funcs[0].nlocals, 50000);
        CHECK(m.funcs[0].code_len == 1 && m.funcs[0].code[0] == 0x0B);
        wasm_error err;
        CHECK(wasm_validate(&m, &WASM_FEATURES_PVF, &err));
        wasm_module_free(&m);
    }
    /* One more parses (parity-wasm has no such limit) and is invalid (wasmparser's). */
    static const uint8_t over[] = { 0x01, 0xD1, 0x86, 0x03, 0x7F, 0x0B };
    o = one_function(over, sizeof over, 0);
    EXPECT_INVALID(&o, &WASM_FEATURES_PVF, "too many locals: 50001 parameters and declared locals > limit 50000");
    /* Parameters count too: 2 params + 49999 locals (cf 86 03) = 50001. */
    static const uint8_t with_params[] = { 0x01, 0xCF, 0x86, 0x03, 0x7F, 0x0B };
    o = one_function(with_params, sizeof with_params, 2);
    EXPECT_INVALID(&o, &WASM_FEATURES_PVF, "too many locals: 50001");
    /* Two groups whose sum overflows 32 bits (the spec suite's case): parity-wasm's TooManyLocals. */
    static const uint8_t huge[] = { 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B };
    o = one_function(huge, sizeof huge, 0);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "too many locals", SIZE_MAX);
    /* Groups of zero locals are no limit's business: 3 of them, then the code. */
    static const uint8_t empty_groups[] = { 0x03, 0x00, 0x7F, 0x00, 0x7E, 0x00, 0x7D, 0x0B };
    o = one_function(empty_groups, sizeof empty_groups, 0);
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.funcs[0].nlocal_groups == 3 && m.funcs[0].nlocals == 0);
        wasm_module_free(&m);
    }
    static const uint8_t bad_type[] = { 0x01, 0x01, 0x40, 0x0B };
    o = one_function(bad_type, sizeof bad_type, 0);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed value type", 24);
    static const uint8_t no_end[] = { 0x00, 0x01 };
    o = one_function(no_end, sizeof no_end, 0);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "END opcode expected", SIZE_MAX);
}

TEST(decode_function_and_code_counts_agree)
{
    bytes o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0x00, 0x00);
    SECTION(&o, WASM_SEC_FUNCTION, 0x01, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "function and code section have inconsistent lengths", o.n);
    o = module_header();
    SECTION(&o, WASM_SEC_CODE, 0x01, 0x02, 0x00, 0x0B);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "function and code section have inconsistent lengths", 10);
    /* Data count against data segments (bulk memory). */
    o = module_header();
    SECTION(&o, WASM_SEC_DATACOUNT, 0x02);
    SECTION(&o, WASM_SEC_DATA, 0x01, 0x01, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_FULL, "data count and data section have inconsistent lengths", 13);
    o = module_header();
    SECTION(&o, WASM_SEC_DATACOUNT, 0x01);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_FULL, "data count and data section have inconsistent lengths", o.n);
}

/*
 * The decoder is the reference's parity-wasm step, which has no count or size
 * limits: it bounds every count by the bytes left instead, before allocating.
 * What wasmparser limits, the validator refuses (limits.c, tests/t-limits.sh).
 */
TEST(decode_bounds_counts_by_bytes_before_allocating)
{
    /* 1000001 functions (c1 84 3d) in a 5-byte section: refused without allocating. */
    bytes o = module_header();
    SECTION(&o, WASM_SEC_FUNCTION, 0xC1, 0x84, 0x3D);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end", 10);
    o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0xE9, 0x07);     /* 1001 params, no bytes for them */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end", 12);
    /* Two memories parse; one is the validator's rule (no multi-memory). */
    o = module_header();
    SECTION(&o, WASM_SEC_MEMORY, 0x02, 0x00, 0x00, 0x00, 0x00);
    EXPECT_INVALID(&o, &WASM_FEATURES_PVF, "multiple memories");
    /* 65537 pages parse (the reference rewrites a PVF's memory before validating it). */
    o = module_header();
    SECTION(&o, WASM_SEC_MEMORY, 0x01, 0x00, 0x81, 0x80, 0x04);
    EXPECT_INVALID(&o, &WASM_FEATURES_PVF, "memory size must be at most 65536 pages (4GiB)");
    o = module_header();
    SECTION(&o, WASM_SEC_MEMORY, 0x01, 0x01, 0x00, 0x80, 0x80, 0x04);  /* max 65536: fine */
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.memories[0].limits.has_max && m.memories[0].limits.max == 65536);
        wasm_error err;
        CHECK(wasm_validate(&m, &WASM_FEATURES_PVF, &err));
        wasm_module_free(&m);
    }
    o = module_header();
    SECTION(&o, WASM_SEC_MEMORY, 0x01, 0x02, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "integer too large", 11);
    /* Tables have no size limit but u32 (wasmparser): 10000001 entries are valid. */
    o = module_header();
    SECTION(&o, WASM_SEC_TABLE, 0x01, 0x70, 0x00, 0x81, 0xAD, 0xE2, 0x04);
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK_EQ_U64(m.tables[0].type.limits.min, 10000001);
        wasm_error err;
        CHECK(wasm_validate(&m, &WASM_FEATURES_PVF, &err));
        wasm_module_free(&m);
    }
    /* A body is bounded by the bytes left, not by a size limit. */
    o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0x00, 0x00);
    SECTION(&o, WASM_SEC_FUNCTION, 0x01, 0x00);
    SECTION(&o, WASM_SEC_CODE, 0x01, 0x81, 0x80, 0x08, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "unexpected end", SIZE_MAX);
}

/* An export section with one export named by `name` (n bytes). */
static bytes export_named(const uint8_t *name, size_t n)
{
    bytes o = module_header();
    bytes sec = { .n = 0 };
    PUT(&sec, 0x01);
    put_uleb(&sec, (uint32_t)n);
    put(&sec, name, n);
    PUT(&sec, 0x00, 0x00);
    put_section(&o, WASM_SEC_EXPORT, sec.b, sec.n);
    return o;
}

TEST(decode_validates_utf8_names)
{
    /* The name starts at offset 12: header 8, id, size, count, length. */
    static const struct { uint8_t b[4]; size_t n; size_t bad; } invalid[] = {
        { { 0xC0, 0x80 }, 2, 0 },               /* overlong NUL */
        { { 0xE0, 0x80, 0xAF }, 3, 0 },         /* overlong '/' */
        { { 0xED, 0xA0, 0x80 }, 3, 0 },         /* surrogate U+D800 */
        { { 0xF4, 0x90, 0x80, 0x80 }, 4, 0 },   /* U+110000 */
        { { 0x61, 0xE2, 0x82 }, 3, 1 },         /* truncated sequence */
        { { 0x80 }, 1, 0 },                     /* lone continuation */
        { { 0x61, 0xFF }, 2, 1 },
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        bytes o = export_named(invalid[i].b, invalid[i].n);
        expect_malformed_at(o.b, o.n, &WASM_FEATURES_PVF, "malformed UTF-8 encoding",
                            12 + invalid[i].bad, __LINE__);
    }
    /* U+10FFFF, U+FFFF, U+0800, a 4-byte emoji: all valid. */
    static const uint8_t valid[] = { 0xF4, 0x8F, 0xBF, 0xBF, 0xEF, 0xBF, 0xBF, 0xE0, 0xA0, 0x80,
                                     0xF0, 0x9F, 0x98, 0x80, 'o', 'k' };
    bytes o = export_named(valid, sizeof valid);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.exports[0].name.len == sizeof valid);
        wasm_module_free(&m);
    }
    /* Import module names and custom section names are checked too. */
    o = module_header();
    SECTION(&o, WASM_SEC_IMPORT, 0x01, 0x01, 0xC1, 0x01, 'f', 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed UTF-8 encoding", 12);
    o = module_header();
    SECTION(&o, WASM_SEC_CUSTOM, 0x02, 0xED, 0xBF);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed UTF-8 encoding", 11);
    /* A name longer than the whole module: the spec suite's "length out of bounds". */
    o = module_header();
    SECTION(&o, WASM_SEC_CUSTOM, 0x7F);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "length out of bounds", 10);
}

TEST(decode_types_and_kinds)
{
    bytes o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0x61, 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed function type", 11);
    o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0xE0, 0x7F, 0x00, 0x00);   /* 0x60 as a 2-byte LEB */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "integer representation too long", 11);
    /* Multi-value results decode under any profile; the validator judges them. */
    o = module_header();
    SECTION(&o, WASM_SEC_TYPE, 0x01, 0x60, 0x00, 0x02, 0x7F, 0x7C);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.types[0].nresults == 2 && m.types[0].types[1] == WASM_F64);
        wasm_module_free(&m);
    }
    o = module_header();
    SECTION(&o, WASM_SEC_IMPORT, 0x01, 0x00, 0x00, 0x04, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed import kind", 13);
    o = module_header();
    SECTION(&o, WASM_SEC_EXPORT, 0x01, 0x00, 0x04, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed export kind", 12);
    o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed mutability", 12);
    o = module_header();
    SECTION(&o, WASM_SEC_TABLE, 0x01, 0x71, 0x00, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "malformed reference type", 11);
    /* Mutable global imports are part of the pvf profile. */
    o = module_header();
    SECTION(&o, WASM_SEC_IMPORT, 0x01, 0x01, 'e', 0x01, 'g', 0x03, 0x7E, 0x01);
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.nglobals == 1 && m.globals[0].is_import && m.globals[0].type.mutable_ &&
              m.globals[0].type.type == WASM_I64);
        wasm_module_free(&m);
    }
}

TEST(decode_constant_expressions)
{
    bytes o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x01, 0x7F, 0x00, 0x20, 0x00, 0x0B);    /* local.get */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "constant expression required", 13);
    o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x01, 0x0B);  /* i32.const; nop */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "constant expression required", 15);
    o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x01, 0x7F, 0x00, 0x0B);              /* empty */
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "type mismatch", 13);
    o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0B);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "type mismatch", 15);
    /* ref.func / ref.null only with bulk memory. */
    o = module_header();
    SECTION(&o, WASM_SEC_ELEMENT, 0x01, 0x00, 0xD2, 0x00, 0x0B, 0x00);
    EXPECT_MALFORMED(&o, &WASM_FEATURES_PVF, "constant expression required", 12);
    /* Values: i32 -1, i64 min, f64 bits, global.get 7. */
    o = module_header();
    SECTION(&o, WASM_SEC_GLOBAL, 0x04,
            0x7F, 0x00, 0x41, 0x7F, 0x0B,
            0x7E, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F, 0x0B,
            0x7C, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, 0x0B,
            0x7F, 0x00, 0x23, 0x07, 0x0B);
    wasm_module m;
    if (DECODE_OK(&o, &WASM_FEATURES_PVF, &m)) {
        CHECK(m.globals[0].init.kind == WASM_CONST_I32 && m.globals[0].init.bits == 0xFFFFFFFFu);
        CHECK(m.globals[1].init.kind == WASM_CONST_I64 && m.globals[1].init.bits == 0x8000000000000000ull);
        CHECK(m.globals[2].init.kind == WASM_CONST_F64 && m.globals[2].init.bits == 0x3FF0000000000000ull);
        CHECK(m.globals[3].init.kind == WASM_CONST_GLOBAL_GET && m.globals[3].init.bits == 7);
        wasm_module_free(&m);
    }
}

/* ---- robustness ------------------------------------------------------------------------------ */

static const char *const adder = "pvf/kagome__pvf_hex_adder.wasm";

/*
 * Every prefix of a real module either is a module (it ends on a section
 * boundary) or fails as truncated: never another error, never a crash.
 */
TEST(decode_truncated_real_module)
{
    const char *path = test_data_path(adder);
    if (!path)
        return;
    size_t len;
    uint8_t *full = test_read_file(path, &len);
    CHECK(full != NULL);
    if (!full)
        return;
    int ok_prefixes = 0;
    for (size_t n = 0; n < len; n += n < 4096 ? 1 : 61) {
        uint8_t *prefix = malloc(n ? n : 1);   /* own buffer: ASan catches any read past n */
        memcpy(prefix, full, n);
        wasm_module m;
        wasm_error err;
        if (wasm_decode(prefix, n, &WASM_FEATURES_PVF, &m, &err)) {
            ok_prefixes++;
            wasm_module_free(&m);
        } else if (!strstr(err.msg, "unexpected end") &&
                   !strstr(err.msg, "function and code section have inconsistent lengths")) {
            test_fail(__FILE__, __LINE__, "prefix of %zu bytes: %s", n, err.msg);
            free(prefix);
            break;
        }
        free(prefix);
    }
    /* Header alone, then after the type, import, function and table sections. */
    CHECK(ok_prefixes >= 3);
    free(full);
}

/* Random byte changes: decoding either succeeds or names a reason, and never crashes. */
TEST(decode_mutated_real_module)
{
    const char *path = test_data_path(adder);
    if (!path)
        return;
    size_t len;
    uint8_t *orig = test_read_file(path, &len);
    CHECK(orig != NULL);
    if (!orig)
        return;
    uint8_t *copy = malloc(len);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int failures = 0;
    for (int round = 0; round < 400; round++) {
        memcpy(copy, orig, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            /* Mostly the first 2 KB, where the small sections are. */
            size_t at = (size_t)(seed >> 33) % (k == 0 ? (len < 2048 ? len : 2048) : len);
            copy[at] = (uint8_t)(seed >> 13);
        }
        wasm_module m;
        wasm_error err;
        if (wasm_decode(copy, len, &WASM_FEATURES_FULL, &m, &err)) {
            wasm_module_free(&m);
        } else {
            failures++;
            if (!err.msg[0])
                test_fail(__FILE__, __LINE__, "round %d: failure without a reason", round);
        }
    }
    CHECK(failures > 0);
    free(copy);
    free(orig);
}

/*
 * The reader counts the bytes of each LEB128 beyond its minimal encoding: the
 * reference re-encodes every module minimally before its size limits apply.
 */
TEST(reader_counts_overlong_leb128)
{
    static const uint8_t bytes[] = {
        0x05,                           /* u32 5: minimal */
        0x85, 0x00,                     /* u32 5 in 2 bytes: 1 over */
        0x80, 0x80, 0x80, 0x80, 0x00,   /* u32 0 in 5 bytes: 4 over */
        0xFF, 0x00,                     /* u32 127 in 2 bytes: 1 over */
        0x80, 0x01,                     /* u32 128: minimal in 2 */
        0x40,                           /* s32 -64: minimal */
        0xC0, 0x7F,                     /* s32 -64 in 2 bytes: 1 over */
        0xC0, 0x00,                     /* s32 64: minimal in 2 */
        0xFF, 0xFF, 0xFF, 0xFF, 0x7F,   /* s32 -1 in 5 bytes: 4 over */
    };
    wasm_error err;
    wasm_reader r;
    wasm_reader_init(&r, bytes, sizeof bytes, 0, &err);
    uint32_t u;
    int32_t v;
    static const uint32_t want_u[] = { 5, 5, 0, 127, 128 };
    static const size_t over_u[] = { 0, 1, 5, 6, 6 };
    for (int i = 0; i < 5; i++) {
        CHECK(wasm_read_u32(&r, &u));
        CHECK_EQ_U64(u, want_u[i]);
        CHECK_EQ_U64(r.overlong, over_u[i]);
    }
    static const int32_t want_s[] = { -64, -64, 64, -1 };
    static const size_t over_s[] = { 6, 7, 7, 11 };
    for (int i = 0; i < 4; i++) {
        CHECK(wasm_read_s32(&r, &v));
        CHECK(v == want_s[i]);
        CHECK_EQ_U64(r.overlong, over_s[i]);
    }
    CHECK(wasm_reader_eof(&r));
    /* The minimal sizes themselves, at the 7-bit boundaries. */
    CHECK(wasm_uleb_size(127) == 1 && wasm_uleb_size(128) == 2 && wasm_uleb_size(UINT32_MAX) == 5);
    CHECK(wasm_sleb_size(63) == 1 && wasm_sleb_size(64) == 2 && wasm_sleb_size(-64) == 1);
    CHECK(wasm_sleb_size(-65) == 2 && wasm_sleb_size(65536) == 3 && wasm_sleb_size(INT32_MIN) == 5);
    CHECK(wasm_sleb_size(INT64_MIN) == 10 && wasm_uleb_size(UINT64_MAX) == 10);
}

/*
 * decode.c — the WebAssembly binary format, from bytes to a wasm_module.
 *
 * One pass over the module: the 8-byte header, then every section in the
 * order the spec requires (custom sections anywhere), each checked to use
 * exactly the bytes its header declares. Everything the module model holds
 * is read here: types, imports, index spaces, exports, segments, custom
 * sections, and for each function body its local declarations and where its
 * instructions are. Instructions themselves are left to the validator, so
 * decoding is one linear pass over the small sections and a skip over each
 * body: well under a millisecond for a multi-megabyte runtime.
 *
 * Decoding is the reference's first step, parity-wasm's parse, which has no
 * implementation limits (wasm/limits.h): the wasmparser limits are the
 * validator's, so that a module past one fails where the reference fails
 * it (Preparation, not Prevalidation). Every count is checked against the
 * bytes left before anything is allocated for it. Error
 * messages use the wording of the spec test suite where it has one
 * ("unexpected end", "section size mismatch", "malformed UTF-8 encoding"...),
 * followed by details, and carry the byte offset of the culprit.
 */
#include "wasm/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/opcodes.h"
#include "util/utf8.h"
#include "wasm/reader.h"
#include "util/vec.h"

#define SECTION_END_TEXT "unexpected end of section or function"

typedef struct decoder {
    const wasm_features *features;
    wasm_module *m;
    wasm_error *err;
    uint32_t nfunc_decls;       /* entries of the function section */
    uint32_t ncode_bodies;      /* entries of the code section */
    bool has_data_section;
    size_t ncustoms_cap;
} decoder;

static const char *section_name(unsigned id)
{
    static const char *const names[] = {
        "custom", "type", "import", "function", "table", "memory", "global",
        "export", "start", "element", "code", "data", "data count",
    };
    return id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

/* Where a known section id may appear: the order of the spec, which puts data count before code. */
static int section_rank(unsigned id)
{
    static const int rank[] = {
        [WASM_SEC_TYPE] = 1, [WASM_SEC_IMPORT] = 2, [WASM_SEC_FUNCTION] = 3,
        [WASM_SEC_TABLE] = 4, [WASM_SEC_MEMORY] = 5, [WASM_SEC_GLOBAL] = 6,
        [WASM_SEC_EXPORT] = 7, [WASM_SEC_START] = 8, [WASM_SEC_ELEMENT] = 9,
        [WASM_SEC_DATACOUNT] = 10, [WASM_SEC_CODE] = 11, [WASM_SEC_DATA] = 12,
    };
    return rank[id];
}

/* ---- small readers --------------------------------------------------------------------------- */

/*
 * A vector length. Refused when there are fewer bytes left than entries
 * (each entry takes at least one byte), so that a few hostile bytes can
 * never make us allocate much.
 */
static bool read_count(wasm_reader *r, const char *what, uint32_t *out)
{
    size_t at = wasm_reader_offset(r);
    if (!wasm_read_u32(r, out))
        return false;
    if (*out > wasm_reader_left(r))
        return wasm_fail_at(r->err, at, SECTION_END_TEXT ": %u %s declared, %zu bytes left", *out,
                            what, wasm_reader_left(r));
    return true;
}


/* A name: u32 length, then that many bytes of valid UTF-8. */
static bool read_name(wasm_reader *r, wasm_name *out)
{
    size_t at = wasm_reader_offset(r);
    uint32_t len;
    if (!wasm_read_u32(r, &len))
        return false;
    if (len > wasm_reader_left(r)) {
        /* The spec suite says "length out of bounds" only for a length beyond the whole module. */
        size_t module_len = r->base + (size_t)(r->end - r->start);
        return wasm_fail_at(r->err, at, "%s: name of %u bytes, %zu bytes left",
                            len > module_len ? "length out of bounds" : SECTION_END_TEXT, len,
                            wasm_reader_left(r));
    }
    const uint8_t *bytes;
    if (!wasm_read_bytes(r, len, &bytes))
        return false;
    size_t bad = utf8_invalid_at(bytes, len);
    if (bad != len)
        return wasm_fail_at(r->err, wasm_reader_offset(r) - len + bad,
                            "malformed UTF-8 encoding: byte 0x%02x of a name", bytes[bad]);
    out->bytes = (const char *)bytes;
    out->len = len;
    return true;
}

/*
 * A one-byte type code. The spec reads these as 7-bit signed LEB128, so a
 * set continuation bit is "integer representation too long".
 */
static bool read_type_code(wasm_reader *r, uint8_t *out)
{
    if (!wasm_read_u8(r, out))
        return false;
    if (*out & 0x80)
        return wasm_fail_at(r->err, wasm_reader_offset(r) - 1,
                            "integer representation too long: type code 0x%02x", *out);
    return true;
}

static bool is_value_type(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64;
}

static bool read_value_type(wasm_reader *r, uint8_t *out)
{
    if (!read_type_code(r, out))
        return false;
    if (!is_value_type(*out))
        return wasm_fail_at(r->err, wasm_reader_offset(r) - 1, "malformed value type 0x%02x", *out);
    return true;
}

/* `n` value types read in place (they are bytes of the binary already). */
static bool read_value_types(wasm_reader *r, uint32_t n, const uint8_t **out)
{
    *out = r->p;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t;
        if (!read_value_type(r, &t))
            return false;
    }
    return true;
}

/*
 * Limits flags: the spec reads them as a 1-bit LEB128, hence its two messages.
 * Sizes are the validator's to check (parity-wasm takes any u32, and the
 * reference rewrites a PVF's memory limits before its validator sees them).
 */
static bool read_limits(wasm_reader *r, wasm_limits *out)
{
    size_t at = wasm_reader_offset(r);
    uint8_t flags;
    if (!wasm_read_u8(r, &flags))
        return false;
    if (flags & 0x80)
        return wasm_fail_at(r->err, at, "integer representation too long: limits flags 0x%02x",
                            flags);
    if (flags > 1)
        return wasm_fail_at(r->err, at, "integer too large: limits flags 0x%02x (0 or 1 expected)",
                            flags);
    out->has_max = flags == 1;
    out->max = 0;
    if (!wasm_read_u32(r, &out->min))
        return false;
    return !out->has_max || wasm_read_u32(r, &out->max);
}

static bool read_table_type(wasm_reader *r, wasm_tabletype *out)
{
    size_t at = wasm_reader_offset(r);
    if (!read_type_code(r, &out->elem_type))
        return false;
    if (out->elem_type != WASM_FUNCREF && out->elem_type != WASM_EXTERNREF)
        return wasm_fail_at(r->err, at, "malformed reference type 0x%02x", out->elem_type);
    return read_limits(r, &out->limits);
}

static bool read_global_type(wasm_reader *r, wasm_globaltype *out)
{
    if (!read_value_type(r, &out->type))
        return false;
    uint8_t mut;
    if (!wasm_read_u8(r, &mut))
        return false;
    if (mut > 1)
        return wasm_fail_at(r->err, wasm_reader_offset(r) - 1, "malformed mutability 0x%02x", mut);
    out->mutable_ = mut == 1;
    return true;
}

/* ---- constant expressions -------------------------------------------------------------------- */

static bool is_const_opcode(const decoder *d, uint8_t op)
{
    switch (op) {
    case WASM_OP_I32_CONST: case WASM_OP_I64_CONST: case WASM_OP_F32_CONST: case WASM_OP_F64_CONST:
    case WASM_OP_GLOBAL_GET:
        return true;
    case WASM_OP_REF_NULL: case WASM_OP_REF_FUNC:
        return d->features->bulk_memory;
    }
    return false;
}

/* What each constant instruction makes; its immediate is read by its kind in the opcode table. */
static const struct { uint8_t op, kind, type; } CONST_INSTRUCTIONS[] = {
    { WASM_OP_I32_CONST, WASM_CONST_I32, WASM_I32 },
    { WASM_OP_I64_CONST, WASM_CONST_I64, WASM_I64 },
    { WASM_OP_F32_CONST, WASM_CONST_F32, WASM_F32 },
    { WASM_OP_F64_CONST, WASM_CONST_F64, WASM_F64 },
    { WASM_OP_GLOBAL_GET, WASM_CONST_GLOBAL_GET, 0 },   /* the global's type: the validator's */
    { WASM_OP_REF_FUNC, WASM_CONST_REF_FUNC, WASM_FUNCREF },
    { WASM_OP_REF_NULL, WASM_CONST_REF_NULL, WASM_FUNCREF },
};

/* The immediate of constant instruction `op`, already known to be one. */
static bool read_const_immediate(wasm_reader *r, uint8_t op, wasm_const_expr *out)
{
    for (size_t i = 0; i < sizeof CONST_INSTRUCTIONS / sizeof CONST_INSTRUCTIONS[0]; i++) {
        if (CONST_INSTRUCTIONS[i].op != op)
            continue;
        uint64_t v;
        if (!wasm_read_imm_value(r, wasm_op_info_of(op)->imm, &v))
            return false;
        if (op == WASM_OP_REF_NULL) {
            if (v != WASM_FUNCREF)
                return wasm_fail_at(r->err, wasm_reader_offset(r) - 1, "malformed reference type 0x%02x",
                                    (unsigned)v);
            v = 0;
        }
        *out = (wasm_const_expr){ CONST_INSTRUCTIONS[i].kind, CONST_INSTRUCTIONS[i].type, v };
        return true;
    }
    return false;
}

/*
 * One constant instruction and `end`. Longer or empty sequences are what
 * the validator would reject: as "type mismatch" when the stack ends up
 * with zero or several values, else as "constant expression required".
 */
static bool read_const_expr(decoder *d, wasm_reader *r, wasm_const_expr *out)
{
    size_t at = wasm_reader_offset(r);
    uint8_t op;
    if (!wasm_read_u8(r, &op))
        return false;
    if (op == WASM_OP_END)
        return wasm_fail_at(r->err, at, "type mismatch: empty constant expression");
    if (!is_const_opcode(d, op))
        return wasm_fail_at(r->err, at, "constant expression required, found opcode 0x%02x", op);
    if (!read_const_immediate(r, op, out))
        return false;
    at = wasm_reader_offset(r);
    if (!wasm_read_u8(r, &op))
        return false;
    if (op == WASM_OP_END)
        return true;
    if (is_const_opcode(d, op))
        return wasm_fail_at(r->err, at, "type mismatch: constant expression leaves more than one value");
    return wasm_fail_at(r->err, at, "constant expression required, found opcode 0x%02x", op);
}

/* ---- index spaces ---------------------------------------------------------------------------- */

/*
 * Grow an index-space array by `more` zeroed entries. Both counts are below
 * the module's size (< 4 GiB, one byte an entry at least), so neither the
 * sum nor the product can overflow.
 */
static bool grow_array(void **array, uint32_t count, uint32_t more, size_t size, wasm_error *err)
{
    if (more == 0)
        return true;
    void *grown = realloc(*array, ((size_t)count + more) * size);
    if (!grown)
        return wasm_fail(err, "out of memory");
    memset((char *)grown + (size_t)count * size, 0, (size_t)more * size);
    *array = grown;
    return true;
}

/* ---- sections -------------------------------------------------------------------------------- */

static bool decode_types(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "types", &n))
        return false;
    m->types = calloc(n ? n : 1, sizeof *m->types);
    if (!m->types)
        return wasm_fail(d->err, "out of memory");
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++) {
        size_t at = wasm_reader_offset(r);
        uint8_t form;
        if (!read_type_code(r, &form))
            return false;
        if (form != 0x60)
            return wasm_fail_at(d->err, at, "malformed function type: form 0x%02x, 0x60 expected", form);
        uint32_t np, nr;
        const uint8_t *params, *results;
        if (!read_count(r, "parameters", &np) || !read_value_types(r, np, &params))
            return false;
        if (!read_count(r, "results", &nr) || !read_value_types(r, nr, &results))
            return false;
        wasm_functype *t = &m->types[i];
        t->nparams = np;
        t->nresults = nr;
        t->types = malloc(np + nr ? np + nr : 1);   /* never NULL: callers offset into it */
        if (!t->types)
            return wasm_fail(d->err, "out of memory");
        memcpy(t->types, params, np);
        memcpy(t->types + np, results, nr);
    }
    return true;
}

static bool read_import(decoder *d, wasm_reader *r, wasm_import *im)
{
    if (!read_name(r, &im->module) || !read_name(r, &im->name))
        return false;
    size_t at = wasm_reader_offset(r);
    if (!wasm_read_u8(r, &im->kind))
        return false;
    switch (im->kind) {
    case WASM_EXTERN_FUNC:
        return wasm_read_u32(r, &im->u.type_index);
    case WASM_EXTERN_TABLE:
        return read_table_type(r, &im->u.table);
    case WASM_EXTERN_MEMORY:
        return read_limits(r, &im->u.memory);
    case WASM_EXTERN_GLOBAL:
        return read_global_type(r, &im->u.global);
    }
    return wasm_fail_at(d->err, at, "malformed import kind 0x%02x", im->kind);
}

/* Put the imports at the front of the four index spaces. */
static bool index_imports(decoder *d)
{
    wasm_module *m = d->m;
    uint32_t count[4] = { 0 };
    for (uint32_t i = 0; i < m->nimports; i++)
        count[m->imports[i].kind]++;
    if (!grow_array((void **)&m->funcs, 0, count[WASM_EXTERN_FUNC], sizeof *m->funcs, d->err) ||
        !grow_array((void **)&m->tables, 0, count[WASM_EXTERN_TABLE], sizeof *m->tables, d->err) ||
        !grow_array((void **)&m->memories, 0, count[WASM_EXTERN_MEMORY], sizeof *m->memories, d->err) ||
        !grow_array((void **)&m->globals, 0, count[WASM_EXTERN_GLOBAL], sizeof *m->globals, d->err))
        return false;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *im = &m->imports[i];
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            m->funcs[m->nfuncs++] = (wasm_func){ .type_index = im->u.type_index, .is_import = true,
                                                 .import_index = i };
            break;
        case WASM_EXTERN_TABLE:
            m->tables[m->ntables++] = (wasm_table){ im->u.table, true, i };
            break;
        case WASM_EXTERN_MEMORY:
            m->memories[m->nmemories++] = (wasm_memory){ im->u.memory, true, i };
            break;
        case WASM_EXTERN_GLOBAL:
            m->globals[m->nglobals++] = (wasm_global){ .type = im->u.global, .is_import = true,
                                                       .import_index = i };
            break;
        }
    }
    m->nfunc_imports = m->nfuncs;
    m->ntable_imports = m->ntables;
    m->nmemory_imports = m->nmemories;
    m->nglobal_imports = m->nglobals;
    return true;
}

static bool decode_imports(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "imports", &n))
        return false;
    m->imports = calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports)
        return wasm_fail(d->err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if (!read_import(d, r, &m->imports[i]))
            return false;
        m->nimports = i + 1;
    }
    return index_imports(d);
}

static bool decode_functions(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "functions", &n) ||
        !grow_array((void **)&m->funcs, m->nfuncs, n, sizeof *m->funcs, d->err))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!wasm_read_u32(r, &m->funcs[m->nfuncs + i].type_index))
            return false;
    m->nfuncs += n;
    d->nfunc_decls = n;
    return true;
}

static bool decode_tables(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "tables", &n) ||
        !grow_array((void **)&m->tables, m->ntables, n, sizeof *m->tables, d->err))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!read_table_type(r, &m->tables[m->ntables].type))
            return false;
        m->ntables++;
    }
    return true;
}

static bool decode_memories(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "memories", &n) ||
        !grow_array((void **)&m->memories, m->nmemories, n, sizeof *m->memories, d->err))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!read_limits(r, &m->memories[m->nmemories].limits))
            return false;
        m->nmemories++;
    }
    return true;
}

static bool decode_globals(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "globals", &n) ||
        !grow_array((void **)&m->globals, m->nglobals, n, sizeof *m->globals, d->err))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        wasm_global *g = &m->globals[m->nglobals];
        if (!read_global_type(r, &g->type) || !read_const_expr(d, r, &g->init))
            return false;
        m->nglobals++;
    }
    return true;
}

static bool decode_exports(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "exports", &n))
        return false;
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports)
        return wasm_fail(d->err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        wasm_export *ex = &m->exports[i];
        if (!read_name(r, &ex->name))
            return false;
        size_t at = wasm_reader_offset(r);
        if (!wasm_read_u8(r, &ex->kind))
            return false;
        if (ex->kind > WASM_EXTERN_GLOBAL)
            return wasm_fail_at(d->err, at, "malformed export kind 0x%02x", ex->kind);
        if (!wasm_read_u32(r, &ex->index))
            return false;
        m->nexports = i + 1;
    }
    return true;
}

static bool decode_start(decoder *d, wasm_reader *r)
{
    d->m->has_start = true;
    return wasm_read_u32(r, &d->m->start);
}

/* ---- element segments ------------------------------------------------------------------------ */

/* The function indices of an element segment: a plain vector of u32. */
static bool read_elem_indices(wasm_reader *r, wasm_elem_segment *seg, wasm_error *err)
{
    if (!read_count(r, "elements", &seg->count))
        return false;
    seg->funcs = malloc(seg->count ? (size_t)seg->count * sizeof *seg->funcs : 1);
    if (!seg->funcs)
        return wasm_fail(err, "out of memory");
    for (uint32_t i = 0; i < seg->count; i++)
        if (!wasm_read_u32(r, &seg->funcs[i]))
            return false;
    return true;
}

/* Elements given as expressions: `ref.func i end` or `ref.null func end`. */
static bool read_elem_exprs(wasm_reader *r, wasm_elem_segment *seg, wasm_error *err)
{
    if (!read_count(r, "elements", &seg->count))
        return false;
    seg->funcs = malloc(seg->count ? (size_t)seg->count * sizeof *seg->funcs : 1);
    if (!seg->funcs)
        return wasm_fail(err, "out of memory");
    for (uint32_t i = 0; i < seg->count; i++) {
        size_t at = wasm_reader_offset(r);
        uint8_t op, end;
        if (!wasm_read_u8(r, &op))
            return false;
        if (op == WASM_OP_REF_FUNC) {
            if (!wasm_read_u32(r, &seg->funcs[i]))
                return false;
        } else if (op == WASM_OP_REF_NULL) {
            uint8_t t;
            if (!wasm_read_u8(r, &t))
                return false;
            if (t != WASM_FUNCREF)
                return wasm_fail_at(err, at + 1, "malformed reference type 0x%02x", t);
            seg->funcs[i] = WASM_NULL_FUNC;
        } else {
            return wasm_fail_at(err, at, "invalid elem: opcode 0x%02x, ref.func or ref.null "
                                "expected", op);
        }
        at = wasm_reader_offset(r);
        if (!wasm_read_u8(r, &end))
            return false;
        if (end != WASM_OP_END)
            return wasm_fail_at(err, at, "invalid elem: `end` expected after the element expression");
    }
    return true;
}

static bool read_elem_kind(wasm_reader *r, wasm_error *err)
{
    uint8_t kind;
    if (!wasm_read_u8(r, &kind))
        return false;
    if (kind != 0x00)
        return wasm_fail_at(err, wasm_reader_offset(r) - 1, "malformed element kind 0x%02x", kind);
    return true;
}

static bool read_elem_type(wasm_reader *r, wasm_error *err)
{
    uint8_t t;
    if (!wasm_read_u8(r, &t))
        return false;
    if (t != WASM_FUNCREF)
        return wasm_fail_at(err, wasm_reader_offset(r) - 1, "malformed element type 0x%02x", t);
    return true;
}

/*
 * The bulk-memory encoding: flags bit 0 = passive or declarative, bit 1 =
 * explicit table index (active) or declarative (otherwise), bit 2 = elements
 * as expressions instead of function indices.
 */
static bool read_elem_segment_bulk(decoder *d, wasm_reader *r, size_t at, uint32_t flags,
                                   wasm_elem_segment *seg)
{
    if (flags > 7)
        return wasm_fail_at(d->err, at, "invalid elements segment kind %u", flags);
    bool passive_or_declarative = flags & 1, bit1 = flags & 2, exprs = flags & 4;
    if (!passive_or_declarative) {
        seg->mode = WASM_SEG_ACTIVE;
        if (bit1 && !wasm_read_u32(r, &seg->table_index))
            return false;
        if (!read_const_expr(d, r, &seg->offset))
            return false;
    } else {
        seg->mode = bit1 ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
    }
    /* Flags 0 and 4 imply funcref; the others name it. */
    if (flags != 0 && flags != 4) {
        bool ok = exprs ? read_elem_type(r, d->err) : read_elem_kind(r, d->err);
        if (!ok)
            return false;
    }
    return exprs ? read_elem_exprs(r, seg, d->err) : read_elem_indices(r, seg, d->err);
}

static bool decode_elements(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    uint32_t n;
    if (!read_count(r, "element segments", &n))
        return false;
    m->elems = calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems)
        return wasm_fail(d->err, "out of memory");
    m->nelems = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_elem_segment *seg = &m->elems[i];
        seg->elem_type = WASM_FUNCREF;
        size_t at = wasm_reader_offset(r);
        uint32_t flags;
        if (!wasm_read_u32(r, &flags))
            return false;
        if (d->features->bulk_memory) {
            if (!read_elem_segment_bulk(d, r, at, flags, seg))
                return false;
            continue;
        }
        /* MVP: the first field is a table index; the validator checks it exists. */
        seg->mode = WASM_SEG_ACTIVE;
        seg->table_index = flags;
        if (!read_const_expr(d, r, &seg->offset) || !read_elem_indices(r, seg, d->err))
            return false;
    }
    return true;
}

/* ---- code ------------------------------------------------------------------------------------ */

/*
 * Local declarations of one body: groups of (count, type). parity-wasm's one
 * limit: the declared locals (parameters not counted) must sum to at most
 * u32::MAX (Error::TooManyLocals); wasmparser's 50,000 is the validator's.
 */
static bool read_locals(decoder *d, wasm_reader *b, wasm_func *f)
{
    uint64_t total = 0;
    uint32_t ngroups;
    if (!read_count(b, "local groups", &ngroups))
        return false;
    if (ngroups) {
        f->local_groups = malloc((size_t)ngroups * sizeof *f->local_groups);
        if (!f->local_groups)
            return wasm_fail(d->err, "out of memory");
    }
    for (uint32_t i = 0; i < ngroups; i++) {
        size_t at = wasm_reader_offset(b);
        wasm_local_group *g = &f->local_groups[i];
        if (!wasm_read_u32(b, &g->count))
            return false;
        total += g->count;
        if (total > UINT32_MAX)
            return wasm_fail_at(d->err, at, "too many locals: the declared locals add up to %llu, "
                                "more than 2^32 - 1", (unsigned long long)total);
        if (!read_value_type(b, &g->type))
            return false;
        f->nlocal_groups = i + 1;
        f->nlocals += g->count;
    }
    return true;
}

static bool read_body(decoder *d, wasm_reader *r, wasm_func *f)
{
    uint32_t size;
    const uint8_t *body;
    if (!wasm_read_u32(r, &size))
        return false;
    f->body_size = size;
    size_t body_offset = wasm_reader_offset(r);
    if (!wasm_read_bytes(r, size, &body))
        return false;
    wasm_reader b;
    wasm_reader_init(&b, body, size, body_offset, d->err);
    if (!read_locals(d, &b, f))
        return false;
    f->code = b.p;
    f->code_len = (uint32_t)wasm_reader_left(&b);
    f->code_offset = (uint32_t)wasm_reader_offset(&b);
    if (f->code_len == 0 || f->code[f->code_len - 1] != WASM_OP_END)
        return wasm_fail_at(d->err, body_offset + size,
                            "END opcode expected: the function body does not end with `end`");
    return true;
}

static bool decode_code(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    size_t at = wasm_reader_offset(r);
    uint32_t n;
    if (!read_count(r, "function bodies", &n))
        return false;
    if (n != d->nfunc_decls)
        return wasm_fail_at(d->err, at,
                            "function and code section have inconsistent lengths (%u and %u)",
                            d->nfunc_decls, n);
    d->ncode_bodies = n;
    for (uint32_t i = 0; i < n; i++)
        if (!read_body(d, r, &m->funcs[m->nfunc_imports + i]))
            return false;
    return true;
}

/* ---- data ------------------------------------------------------------------------------------ */

static bool decode_data_count(decoder *d, wasm_reader *r)
{
    if (!wasm_read_u32(r, &d->m->data_count))
        return false;
    d->m->has_data_count = true;
    return true;
}

static bool read_data_segment(decoder *d, wasm_reader *r, wasm_data_segment *seg)
{
    size_t at = wasm_reader_offset(r);
    uint32_t flags;
    if (!wasm_read_u32(r, &flags))
        return false;
    seg->mode = WASM_SEG_ACTIVE;
    if (!d->features->bulk_memory) {
        seg->memory_index = flags;     /* MVP: a memory index, checked by the validator */
    } else if (flags == 1) {
        seg->mode = WASM_SEG_PASSIVE;
    } else if (flags == 2) {
        if (!wasm_read_u32(r, &seg->memory_index))
            return false;
    } else if (flags != 0) {
        return wasm_fail_at(d->err, at, "invalid data segment kind %u", flags);
    }
    if (seg->mode == WASM_SEG_ACTIVE && !read_const_expr(d, r, &seg->offset))
        return false;
    if (!wasm_read_u32(r, &seg->len))
        return false;
    return wasm_read_bytes(r, seg->len, &seg->bytes);
}

static bool decode_data(decoder *d, wasm_reader *r)
{
    wasm_module *m = d->m;
    size_t at = wasm_reader_offset(r);
    uint32_t n;
    if (!read_count(r, "data segments", &n))
        return false;
    if (m->has_data_count && n != m->data_count)
        return wasm_fail_at(d->err, at,
                            "data count and data section have inconsistent lengths (%u and %u)",
                            m->data_count, n);
    d->has_data_section = true;
    m->datas = calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas)
        return wasm_fail(d->err, "out of memory");
    m->ndatas = n;
    for (uint32_t i = 0; i < n; i++)
        if (!read_data_segment(d, r, &m->datas[i]))
            return false;
    return true;
}

/* ---- custom sections ------------------------------------------------------------------------- */

static bool decode_custom(decoder *d, wasm_reader *r, size_t size)
{
    wasm_module *m = d->m;
    size_t start = wasm_reader_offset(r);
    wasm_custom_section cs;
    if (!read_name(r, &cs.name))
        return false;
    size_t used = wasm_reader_offset(r) - start;
    if (used > size)
        return wasm_fail_at(d->err, start, SECTION_END_TEXT ": the name of a custom section of %zu "
                            "bytes takes %zu bytes", size, used);
    cs.offset = (uint32_t)wasm_reader_offset(r);
    cs.len = (uint32_t)(size - used);
    if (!wasm_read_bytes(r, cs.len, &cs.bytes))
        return false;
    if (!vec_reserve((void **)&m->customs, &d->ncustoms_cap, (size_t)m->ncustoms + 1, sizeof *m->customs, 8))
        return wasm_fail(d->err, "out of memory");
    m->customs[m->ncustoms++] = cs;
    return true;
}

/* ---- the module ------------------------------------------------------------------------------ */

static bool decode_section_contents(decoder *d, unsigned id, wasm_reader *r, size_t size)
{
    switch (id) {
    case WASM_SEC_CUSTOM: return decode_custom(d, r, size);
    case WASM_SEC_TYPE: return decode_types(d, r);
    case WASM_SEC_IMPORT: return decode_imports(d, r);
    case WASM_SEC_FUNCTION: return decode_functions(d, r);
    case WASM_SEC_TABLE: return decode_tables(d, r);
    case WASM_SEC_MEMORY: return decode_memories(d, r);
    case WASM_SEC_GLOBAL: return decode_globals(d, r);
    case WASM_SEC_EXPORT: return decode_exports(d, r);
    case WASM_SEC_START: return decode_start(d, r);
    case WASM_SEC_ELEMENT: return decode_elements(d, r);
    case WASM_SEC_CODE: return decode_code(d, r);
    case WASM_SEC_DATA: return decode_data(d, r);
    case WASM_SEC_DATACOUNT: return decode_data_count(d, r);
    }
    return false;
}

/*
 * The reader says "unexpected end..." when input runs out; within a section
 * the spec suite calls that "unexpected end of section or function". Say it
 * that way and keep the reader's detail.
 */
static void name_truncation(wasm_error *err)
{
    if (!err->truncated)
        return;
    err->truncated = false;
    char detail[WASM_ERROR_MAX];
    snprintf(detail, sizeof detail, "%s", err->msg + sizeof WASM_TRUNCATED_TEXT - 1);
    if (!strncmp(detail, " of ", 4))
        snprintf(err->msg, sizeof err->msg, SECTION_END_TEXT " (in %.160s)", detail + 4);
    else
        snprintf(err->msg, sizeof err->msg, SECTION_END_TEXT "%.160s", detail);
}

/*
 * One section: id, size, contents. The contents are read from a cursor that
 * runs to the end of the input, as the spec's decoder does, and must then
 * end exactly `size` bytes after they began.
 */
static bool decode_section(decoder *d, wasm_reader *r, int *last_rank)
{
    size_t at = wasm_reader_offset(r);
    uint8_t id;
    uint32_t size;
    if (!wasm_read_u8(r, &id))
        return false;
    /* parity-wasm knows the data count section in every build; see also stack_limiter.c. */
    bool known = id <= WASM_SEC_DATACOUNT;
    if (!known)
        return wasm_fail_at(d->err, at, "malformed section id %u", id);
    if (!wasm_read_u32(r, &size))
        return false;
    if (id != WASM_SEC_CUSTOM) {
        int rank = section_rank(id);
        if (rank <= *last_rank)
            return wasm_fail_at(d->err, at, "junk after last section (unexpected content after last "
                                "section): %s section out of order or repeated", section_name(id));
        *last_rank = rank;
    }
    size_t start = wasm_reader_offset(r);
    wasm_reader s;
    wasm_reader_init(&s, r->p, wasm_reader_left(r), start, d->err);
    if (!decode_section_contents(d, id, &s, size)) {
        name_truncation(d->err);
        return false;
    }
    size_t used = wasm_reader_offset(&s) - start;
    if (used != size)
        return wasm_fail_at(d->err, start, "section size mismatch: %s section declares %u bytes, "
                            "its contents use %zu", section_name(id), size, used);
    r->p = s.p;
    return true;
}

/* Rules that span sections, checked once all are read. */
static bool check_section_pairs(decoder *d, size_t end)
{
    const wasm_module *m = d->m;
    if (d->nfunc_decls != d->ncode_bodies)
        return wasm_fail_at(d->err, end,
                            "function and code section have inconsistent lengths (%u and %u)",
                            d->nfunc_decls, d->ncode_bodies);
    if (m->has_data_count && !d->has_data_section && m->data_count != 0)
        return wasm_fail_at(d->err, end,
                            "data count and data section have inconsistent lengths (%u and 0)",
                            m->data_count);
    return true;
}

static bool decode_header(wasm_reader *r)
{
    static const uint8_t magic[4] = { 0x00, 0x61, 0x73, 0x6D };
    static const uint8_t version[4] = { 0x01, 0x00, 0x00, 0x00 };
    const uint8_t *bytes;
    if (!wasm_read_bytes(r, 4, &bytes))
        return false;
    if (memcmp(bytes, magic, 4) != 0)
        return wasm_fail_at(r->err, 0, "magic header not detected: \\0asm expected");
    if (!wasm_read_bytes(r, 4, &bytes))
        return false;
    if (memcmp(bytes, version, 4) != 0)
        return wasm_fail_at(r->err, 4, "unknown binary version %02x %02x %02x %02x, 1 expected",
                            bytes[0], bytes[1], bytes[2], bytes[3]);
    return true;
}

bool wasm_decode(const uint8_t *bytes, size_t len, const wasm_features *features, wasm_module *m,
                 wasm_error *err)
{
    wasm_error scratch;
    if (!err)
        err = &scratch;
    memset(m, 0, sizeof *m);
    /* Offsets in the model are 32-bit; real inputs are bounded far below by the bomb limit. */
    if (len > UINT32_MAX)
        return wasm_fail(err, "module too large: %zu bytes", len);
    m->binary = bytes;
    m->binary_len = len;
    decoder d = { .features = features, .m = m, .err = err };
    wasm_reader r;
    wasm_reader_init(&r, bytes, len, 0, err);
    bool ok = decode_header(&r);
    int last_rank = 0;
    while (ok && !wasm_reader_eof(&r))
        ok = decode_section(&d, &r, &last_rank);
    if (ok)
        ok = check_section_pairs(&d, len);
    if (!ok)
        wasm_module_free(m);
    return ok;
}

void wasm_module_free(wasm_module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    free(m->types);
    free(m->imports);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        free(m->funcs[i].local_groups);
    free(m->funcs);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].funcs);
    free(m->elems);
    free(m->datas);
    free(m->customs);
    for (uint32_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->owned);
    memset(m, 0, sizeof *m);
}

const wasm_custom_section *wasm_find_custom(const wasm_module *m, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const wasm_custom_section *cs = &m->customs[i];
        if (cs->name.len == len && memcmp(cs->name.bytes, name, len) == 0)
            return cs;
    }
    return NULL;
}

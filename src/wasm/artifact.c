/*
 * artifact.c — compiled code as a self-contained byte string, and back.
 *
 * Layout (all integers little-endian):
 *
 *   header   magic "PVFARTF\0" | u32 format version | engine version (str) |
 *            target (str) | u32 profile | u32 bulk_memory | u32 stack limit |
 *            u32 canonicalize_nans | u32 heap max pages | u32 tier | u64 payload length
 *   payload  types, imports, functions, tables, memory, globals, exports,
 *            start, element and data segments, custom sections, stack-limiter
 *            settings, code words (see put_payload); for the native tier then the
 *            machine code (u64 length + bytes) and every function's entry offset (u32 each)
 *   trailer  u64 XXH3-64 of header + payload
 *
 * Loading checks the magic, version, engine, target and checksum first, so
 * a truncated, corrupted or foreign artifact is refused before anything is
 * interpreted; the reader is bounds-checked throughout, and indices that the
 * interpreter follows (types, entries, segments) are range-checked, so even
 * a forged artifact with a valid checksum can't make the loader read out of
 * bounds. Code words themselves are trusted once the checksum matches: the
 * artifact is produced by our own prepare step.
 */
#include "pvf/version.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "util/big_alloc.h"
#include "wasm/code.h"
#include "wasm/native.h"
#include "wasm/store.h"
#include "util/errmsg.h"

#define ARTIFACT_MAGIC "PVFARTF"        /* 8 bytes with the NUL */
#define ARTIFACT_FORMAT 3u
#define ENGINE_VERSION PVF_ENGINE_VERSION
#define ARTIFACT_TARGET "x86_64-linux"

/* ---- writer -------------------------------------------------------------------------------- */

typedef struct writer {
    uint8_t *buf;
    size_t len, cap;
    bool oom;
} writer;

static void put(writer *w, const void *p, size_t n)
{
    if (w->oom || n == 0)
        return;
    if (w->len + n > w->cap) {
        size_t ncap = w->cap ? w->cap : 4096;
        while (ncap < w->len + n)
            ncap *= 2;
        uint8_t *nb = realloc(w->buf, ncap);
        if (!nb) {
            w->oom = true;
            return;
        }
        w->buf = nb;
        w->cap = ncap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_u8(writer *w, uint8_t v) { put(w, &v, 1); }
static void put_u32(writer *w, uint32_t v) { put(w, &v, 4); }   /* x86-64: little-endian */
static void put_u64(writer *w, uint64_t v) { put(w, &v, 8); }

static void put_blob(writer *w, const void *p, uint32_t n)
{
    put_u32(w, n);
    put(w, p, n);
}

static void put_str(writer *w, const char *s)
{
    put_blob(w, s, (uint32_t)strlen(s));
}

static void put_const(writer *w, const wasm_const_expr *e)
{
    put_u8(w, e->kind);
    put_u8(w, e->type);
    put_u64(w, e->bits);
}

static void put_limits(writer *w, const pvf_limits *l)
{
    put_u32(w, l->min);
    put_u32(w, l->max);
    put_u8(w, l->has_max);
}

static void put_payload(writer *w, const pvf_code *c)
{
    put_u32(w, c->ntypes);
    for (uint32_t i = 0; i < c->ntypes; i++) {
        put_u32(w, c->types[i].nparams);
        put_u32(w, c->types[i].nresults);
        put(w, c->types[i].types, (size_t)c->types[i].nparams + c->types[i].nresults);
    }
    put_u32(w, c->nimports);
    for (uint32_t i = 0; i < c->nimports; i++) {
        const code_import *im = &c->imports[i];
        put_blob(w, im->module, im->module_len);
        put_blob(w, im->name, im->name_len);
        put_u8(w, im->kind);
        put_u32(w, im->type_index);
        put_limits(w, &im->limits);
        put_u8(w, im->global_type);
        put_u8(w, im->global_mutable);
    }
    put_u32(w, c->nfuncs);
    put_u32(w, c->nfunc_imports);
    for (uint32_t i = 0; i < c->nfuncs; i++) {
        const code_func *f = &c->funcs[i];
        put_u32(w, f->type_index);
        put_u32(w, f->entry);
        put_u32(w, f->nlocals);
        put_u32(w, f->frame_slots);
    }
    put_u32(w, c->ntables);
    put_u32(w, c->ntable_imports);
    for (uint32_t i = 0; i < c->ntables; i++)
        put_limits(w, &c->tables[i]);
    put_u32(w, c->nmemories);
    put_u32(w, c->nmemory_imports);
    put_limits(w, &c->memory);
    put_u32(w, c->nglobals);
    put_u32(w, c->nglobal_imports);
    for (uint32_t i = 0; i < c->nglobals; i++) {
        put_u8(w, c->globals[i].type);
        put_u8(w, c->globals[i].mutable_);
        put_const(w, &c->globals[i].init);
    }
    put_u32(w, c->nexports);
    for (uint32_t i = 0; i < c->nexports; i++) {
        put_blob(w, c->exports[i].name, c->exports[i].name_len);
        put_u8(w, c->exports[i].kind);
        put_u32(w, c->exports[i].index);
    }
    put_u8(w, c->has_start);
    put_u32(w, c->start);
    put_u32(w, c->nelems);
    for (uint32_t i = 0; i < c->nelems; i++) {
        const code_elem *e = &c->elems[i];
        put_u8(w, e->mode);
        put_u32(w, e->table_index);
        put_const(w, &e->offset);
        put_u32(w, e->count);
        put(w, e->funcs, (size_t)e->count * 4);
    }
    put_u32(w, c->ndatas);
    for (uint32_t i = 0; i < c->ndatas; i++) {
        put_u8(w, c->datas[i].mode);
        put_const(w, &c->datas[i].offset);
        put_blob(w, c->datas[i].bytes, c->datas[i].len);
    }
    put_u32(w, c->ncustoms);
    for (uint32_t i = 0; i < c->ncustoms; i++) {
        put_str(w, c->customs[i].name);
        put_blob(w, c->customs[i].bytes, c->customs[i].len);
    }
    put_u8(w, c->metered);
    put_u32(w, c->stack_global);
    put_u32(w, c->stack_limit);
    put_u32(w, c->nthunks);
    put_u32(w, c->ncode);
    put(w, c->code, (size_t)c->ncode * 4);
    if (c->config.tier == PVF_TIER_NATIVE) {
        size_t len;
        const uint32_t *offsets;
        const uint8_t *bytes = native_code_bytes(c->native, &len, &offsets);
        put_u64(w, len);
        put(w, bytes, len);
        put(w, offsets, (size_t)c->nfuncs * 8);     /* entries, then out-of-bounds stubs */
    }
}

static void put_header(writer *w, const pvf_engine_config *cfg, uint64_t payload_len)
{
    put(w, ARTIFACT_MAGIC, 8);
    put_u32(w, ARTIFACT_FORMAT);
    put_str(w, ENGINE_VERSION);
    put_str(w, ARTIFACT_TARGET);
    put_u32(w, cfg->profile);
    put_u32(w, cfg->bulk_memory);
    put_u32(w, cfg->stack_logical_max);
    put_u32(w, cfg->canonicalize_nans);
    put_u32(w, cfg->heap_max_pages);
    put_u32(w, cfg->tier);
    put_u64(w, payload_len);
}

/* An upper bound of the artifact's size (every item at its largest encoding), so that writing
 * it never reallocates: a realloc of a runtime's 60 MB copies all of it and faults in twice
 * the pages — it was a third of prepare's time. */
static size_t size_estimate(const pvf_code *c)
{
    size_t n = 4096 + (size_t)c->ncode * 4 + (size_t)c->nfuncs * 16 + (size_t)c->nglobals * 32 +
               (size_t)c->ntables * 16;
    for (uint32_t i = 0; i < c->ntypes; i++)
        n += 8 + c->types[i].nparams + c->types[i].nresults + 8;
    for (uint32_t i = 0; i < c->nimports; i++)
        n += 48 + c->imports[i].module_len + c->imports[i].name_len;
    for (uint32_t i = 0; i < c->nexports; i++)
        n += 16 + c->exports[i].name_len;
    for (uint32_t i = 0; i < c->nelems; i++)
        n += 32 + (size_t)c->elems[i].count * 4;
    if (c->native) {
        size_t len;
        const uint32_t *offsets;
        native_code_bytes(c->native, &len, &offsets);
        n += len + (size_t)c->nfuncs * 8;
    }
    for (uint32_t i = 0; i < c->ndatas; i++)
        n += c->datas[i].len + 16;
    for (uint32_t i = 0; i < c->ncustoms; i++)
        n += c->customs[i].len + strlen(c->customs[i].name) + 16;
    return n;
}

bool code_serialize(const pvf_code *c, uint8_t **out, size_t *out_len)
{
    if (c->config.tier == PVF_TIER_NATIVE && !c->native)
        return false;   /* the caller compiles first (engine.c) */
    writer w = { .buf = big_alloc(size_estimate(c)), .cap = size_estimate(c) };
    if (!w.buf)
        return false;
    /* the header ends with the payload length: write 0, then patch it in place */
    put_header(&w, &c->config, 0);
    size_t payload_start = w.len;
    put_payload(&w, c);
    uint64_t payload_len = w.len - payload_start;
    if (!w.oom)
        memcpy(w.buf + payload_start - 8, &payload_len, 8);
    put_u64(&w, XXH3_64bits(w.buf, w.len));
    if (w.oom) {
        free(w.buf);
        return false;
    }
    *out = w.buf;
    *out_len = w.len;
    return true;
}

/* ---- reader -------------------------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p, *end;
    char *err;
    size_t errlen;
    bool failed;
} reader;

static bool fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        errmsg_vset(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = true;
    r->p = r->end;
    return false;
}

static bool get(reader *r, void *out, size_t n)
{
    if (n == 0)
        return !r->failed;
    if (r->failed || (size_t)(r->end - r->p) < n) {
        memset(out, 0, n);
        return fail(r, "artifact is truncated");
    }
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static uint8_t get_u8(reader *r) { uint8_t v; get(r, &v, 1); return v; }
static uint32_t get_u32(reader *r) { uint32_t v; get(r, &v, 4); return v; }
static uint64_t get_u64(reader *r) { uint64_t v; get(r, &v, 8); return v; }

/* A count of items of at least `item_size` bytes each: bounded by what is left. */
static uint32_t get_count(reader *r, size_t item_size)
{
    uint32_t n = get_u32(r);
    if ((uint64_t)n * (item_size ? item_size : 1) > (uint64_t)(r->end - r->p)) {
        fail(r, "artifact is corrupted: count %u exceeds its size", n);
        return 0;
    }
    return n;
}

static void *get_array(reader *r, uint32_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        fail(r, "out of memory loading artifact");
    return p;
}

static uint8_t *get_blob(reader *r, uint32_t *len)
{
    uint32_t n = get_count(r, 1);
    uint8_t *b = malloc((size_t)n + 1);
    if (!b) {
        fail(r, "out of memory loading artifact");
        return NULL;
    }
    get(r, b, n);
    b[n] = 0;
    if (len)
        *len = n;
    return b;
}

static char *get_str(reader *r)
{
    return (char *)get_blob(r, NULL);
}

static void get_const(reader *r, wasm_const_expr *e)
{
    e->kind = get_u8(r);
    e->type = get_u8(r);
    e->bits = get_u64(r);
}

static void get_limits(reader *r, pvf_limits *l)
{
    l->min = get_u32(r);
    l->max = get_u32(r);
    l->has_max = get_u8(r);
}

static void get_types(reader *r, pvf_code *c)
{
    c->ntypes = get_count(r, 8);
    c->types = get_array(r, c->ntypes, sizeof *c->types);
    c->type_canon = get_array(r, c->ntypes, sizeof *c->type_canon);
    size_t left = (size_t)(r->end - r->p);
    c->type_bytes = malloc(left ? left : 1);
    if (!c->type_bytes)
        fail(r, "out of memory loading artifact");
    size_t at = 0;
    for (uint32_t i = 0; i < c->ntypes && !r->failed; i++) {
        uint32_t np = get_u32(r), nr = get_u32(r);
        if ((uint64_t)np + nr > (uint64_t)(r->end - r->p)) {
            fail(r, "artifact is corrupted: type %u", i);
            break;
        }
        get(r, c->type_bytes + at, (size_t)np + nr);
        c->types[i] = (pvf_functype){ np, nr, c->type_bytes + at };
        at += (size_t)np + nr;
    }
    for (uint32_t i = 0; i < c->ntypes && !r->failed; i++) {
        c->type_canon[i] = i;
        for (uint32_t j = 0; j < i; j++) {
            const pvf_functype *a = &c->types[i], *b = &c->types[j];
            if (a->nparams == b->nparams && a->nresults == b->nresults &&
                !memcmp(a->types, b->types, a->nparams + a->nresults)) {
                c->type_canon[i] = c->type_canon[j];
                break;
            }
        }
    }
}

static bool check_index(reader *r, uint32_t i, uint32_t n, const char *what)
{
    return i < n ? true : fail(r, "artifact is corrupted: %s index %u out of range", what, i);
}

static void get_imports(reader *r, pvf_code *c)
{
    c->nimports = get_count(r, 10);
    c->imports = get_array(r, c->nimports, sizeof *c->imports);
    for (uint32_t i = 0; i < c->nimports && !r->failed; i++) {
        code_import *im = &c->imports[i];
        im->module = (char *)get_blob(r, &im->module_len);
        im->name = (char *)get_blob(r, &im->name_len);
        im->kind = get_u8(r);
        im->type_index = get_u32(r);
        get_limits(r, &im->limits);
        im->global_type = get_u8(r);
        im->global_mutable = get_u8(r);
        if (im->kind == PVF_EXTERN_FUNC)
            check_index(r, im->type_index, c->ntypes, "type");
    }
}

static void get_functions(reader *r, pvf_code *c)
{
    c->nfuncs = get_count(r, 16);
    c->nfunc_imports = get_u32(r);
    c->funcs = get_array(r, c->nfuncs, sizeof *c->funcs);
    for (uint32_t i = 0; i < c->nfuncs && !r->failed; i++) {
        code_func *f = &c->funcs[i];
        f->type_index = get_u32(r);
        f->entry = get_u32(r);
        f->nlocals = get_u32(r);
        f->frame_slots = get_u32(r);
        if (check_index(r, f->type_index, c->ntypes, "type")) {
            f->nparams = c->types[f->type_index].nparams;
            f->nresults = c->types[f->type_index].nresults;
        }
    }
}

static void get_state(reader *r, pvf_code *c)
{
    c->ntables = get_count(r, 9);
    c->ntable_imports = get_u32(r);
    c->tables = get_array(r, c->ntables, sizeof *c->tables);
    for (uint32_t i = 0; i < c->ntables && !r->failed; i++)
        get_limits(r, &c->tables[i]);
    c->nmemories = get_u32(r);
    c->nmemory_imports = get_u32(r);
    get_limits(r, &c->memory);
    c->nglobals = get_count(r, 12);
    c->nglobal_imports = get_u32(r);
    c->globals = get_array(r, c->nglobals, sizeof *c->globals);
    for (uint32_t i = 0; i < c->nglobals && !r->failed; i++) {
        c->globals[i].type = get_u8(r);
        c->globals[i].mutable_ = get_u8(r);
        get_const(r, &c->globals[i].init);
    }
    c->nexports = get_count(r, 9);
    c->exports = get_array(r, c->nexports, sizeof *c->exports);
    for (uint32_t i = 0; i < c->nexports && !r->failed; i++) {
        c->exports[i].name = (char *)get_blob(r, &c->exports[i].name_len);
        c->exports[i].kind = get_u8(r);
        c->exports[i].index = get_u32(r);
    }
    c->has_start = get_u8(r);
    c->start = get_u32(r);
}

static void get_segments(reader *r, pvf_code *c)
{
    c->nelems = get_count(r, 19);
    c->elems = get_array(r, c->nelems, sizeof *c->elems);
    for (uint32_t i = 0; i < c->nelems && !r->failed; i++) {
        code_elem *e = &c->elems[i];
        e->mode = get_u8(r);
        e->table_index = get_u32(r);
        get_const(r, &e->offset);
        e->count = get_count(r, 4);
        e->funcs = get_array(r, e->count, 4);
        if (!r->failed)
            get(r, e->funcs, (size_t)e->count * 4);
    }
    c->ndatas = get_count(r, 15);
    c->datas = get_array(r, c->ndatas, sizeof *c->datas);
    for (uint32_t i = 0; i < c->ndatas && !r->failed; i++) {
        c->datas[i].mode = get_u8(r);
        get_const(r, &c->datas[i].offset);
        c->datas[i].bytes = get_blob(r, &c->datas[i].len);
    }
    c->ncustoms = get_count(r, 8);
    c->customs = get_array(r, c->ncustoms, sizeof *c->customs);
    for (uint32_t i = 0; i < c->ncustoms && !r->failed; i++) {
        c->customs[i].name = get_str(r);
        c->customs[i].bytes = get_blob(r, &c->customs[i].len);
    }
}

static void get_code(reader *r, pvf_code *c)
{
    c->metered = get_u8(r);
    c->stack_global = get_u32(r);
    c->stack_limit = get_u32(r);
    c->nthunks = get_u32(r);
    c->ncode = get_count(r, 4);
    c->code = get_array(r, c->ncode, 4);
    if (!r->failed)
        get(r, c->code, (size_t)c->ncode * 4);
}

/* The native tier's machine code, mapped read + execute (after the checksum was checked). */
/* The machine code of a native artifact: mapped read + execute when `map`; else only checked
 * (the code then runs on the interpreter, whose code every artifact has). */
static void get_native(reader *r, pvf_code *c, bool map)
{
    if (r->failed || c->config.tier != PVF_TIER_NATIVE)
        return;
    uint64_t len = get_u64(r);
    size_t offsets_len = (size_t)c->nfuncs * 8;     /* entries, then out-of-bounds stubs */
    if (r->failed || len > (uint64_t)(r->end - r->p) || offsets_len > (size_t)(r->end - r->p) - len) {
        fail(r, "artifact is corrupted: machine code length");
        return;
    }
    const uint8_t *bytes = r->p;
    uint32_t *offsets = malloc(offsets_len ? offsets_len : 1);
    if (!offsets) {
        fail(r, "out of memory");
        return;
    }
    if (offsets_len)
        memcpy(offsets, bytes + len, offsets_len);
    r->p += len + offsets_len;
    char err[256];
    if (!map) {
        if (!native_offsets_valid(c, (size_t)len, offsets))
            fail(r, "artifact is corrupted: a machine code offset is out of range");
    } else if (!(c->native = native_code_map(c, bytes, (size_t)len, offsets, err, sizeof err))) {
        fail(r, "%s", err);
    }
    free(offsets);
}

/* Cross-references the interpreter follows without checking at run time. */
static void check_references(reader *r, pvf_code *c)
{
    if (c->nfunc_imports > c->nfuncs || c->ntable_imports > c->ntables ||
        c->nglobal_imports > c->nglobals || c->nmemory_imports > c->nmemories || c->nmemories > 1)
        fail(r, "artifact is corrupted: import counts");
    for (uint32_t i = c->nfunc_imports; i < c->nfuncs && !r->failed; i++)
        check_index(r, c->funcs[i].entry, c->ncode, "code entry");
    for (uint32_t i = 0; i < c->nexports && !r->failed; i++) {
        const code_export *e = &c->exports[i];
        uint32_t n = e->kind == PVF_EXTERN_FUNC ? c->nfuncs : e->kind == PVF_EXTERN_TABLE ? c->ntables
                   : e->kind == PVF_EXTERN_MEMORY ? c->nmemories : c->nglobals;
        check_index(r, e->index, n, "export");
    }
    for (uint32_t i = 0; i < c->nelems && !r->failed; i++) {
        const code_elem *e = &c->elems[i];
        if (e->mode == WASM_SEG_ACTIVE)
            check_index(r, e->table_index, c->ntables, "table");
        for (uint32_t j = 0; j < e->count && !r->failed; j++)
            if (e->funcs[j] != WASM_NULL_FUNC)
                check_index(r, e->funcs[j], c->nfuncs, "function");
    }
    for (uint32_t i = 0; i < c->ndatas && !r->failed; i++)
        if (c->datas[i].mode == WASM_SEG_ACTIVE && c->nmemories == 0)
            fail(r, "artifact is corrupted: data segment without memory");
    if (c->has_start)
        check_index(r, c->start, c->nfuncs, "start function");
    if (c->metered)
        check_index(r, c->stack_global, c->nglobals, "stack-height global");
}

static char *get_header_str(reader *r, char *buf, size_t size)
{
    uint32_t n = get_u32(r);
    if (n >= size || n > (size_t)(r->end - r->p)) {
        fail(r, "not a pvf artifact (bad header)");
        return buf;
    }
    get(r, buf, n);
    buf[n] = 0;
    return buf;
}

static bool check_header(reader *r, pvf_code *c, const uint8_t *start, size_t len)
{
    char magic[8], s[128];
    if (len < 8 + 8 || !get(r, magic, 8) || memcmp(magic, ARTIFACT_MAGIC, 8))
        return fail(r, "not a pvf artifact (bad magic)");
    uint32_t fmt = get_u32(r);
    if (fmt != ARTIFACT_FORMAT)
        return fail(r, "artifact format version %u, this engine reads %u", fmt, ARTIFACT_FORMAT);
    if (strcmp(get_header_str(r, s, sizeof s), ENGINE_VERSION))
        return r->failed ? false : fail(r, "artifact was built by another engine (%s)", s);
    if (strcmp(get_header_str(r, s, sizeof s), ARTIFACT_TARGET))
        return r->failed ? false : fail(r, "artifact was built for another target (%s)", s);
    c->config.profile = (pvf_profile)get_u32(r);
    c->config.bulk_memory = get_u32(r);
    c->config.stack_logical_max = get_u32(r);
    c->config.canonicalize_nans = get_u32(r);
    c->config.heap_max_pages = get_u32(r);
    c->config.tier = (pvf_tier)get_u32(r);
    if (c->config.tier != PVF_TIER_INTERP && c->config.tier != PVF_TIER_NATIVE)
        return fail(r, "artifact names an unknown tier (%u)", (unsigned)c->config.tier);
    uint64_t payload = get_u64(r);
    if (r->failed)
        return false;
    if (payload != (uint64_t)(r->end - r->p) - 8 || (size_t)(r->end - r->p) < 8)
        return fail(r, "artifact is truncated or has trailing bytes");
    uint64_t want;
    memcpy(&want, start + len - 8, 8);
    if (XXH3_64bits(start, len - 8) != want)
        return fail(r, "artifact is corrupted (checksum mismatch)");
    r->end -= 8;
    return true;
}

static pvf_code *load(const uint8_t *artifact, size_t len, bool map_native, char *err, size_t errlen)
{
    char scratch[256];
    reader r = { artifact, artifact + len, err ? err : scratch, err ? errlen : sizeof scratch, false };
    pvf_code *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(r.err, r.errlen, "out of memory");
        return NULL;
    }
    c->image_fd = -1;
    if (check_header(&r, c, artifact, len)) {
        get_types(&r, c);
        get_imports(&r, c);
        get_functions(&r, c);
        get_state(&r, c);
        get_segments(&r, c);
        get_code(&r, c);
        if (!r.failed)
            check_references(&r, c);
        get_native(&r, c, map_native);
        if (!r.failed && r.p != r.end)
            fail(&r, "artifact is corrupted: trailing bytes in payload");
    }
    if (r.failed) {
        code_free(c);
        return NULL;
    }
    return c;
}

pvf_code *pvf_code_load(const uint8_t *artifact, size_t len, char *err, size_t errlen)
{
    return load(artifact, len, true, err, errlen);
}

pvf_code *pvf_code_inspect(const uint8_t *artifact, size_t len, char *err, size_t errlen)
{
    return load(artifact, len, false, err, errlen);
}

void pvf_code_free(pvf_code *code)
{
    code_free(code);
}

/*
 * cmd_inspect.c — `pvf inspect FILE [--json]`: describe a wasm module or code blob.
 *
 * Decompresses the blob if it is one, decodes the module with every feature
 * on (so that any module can be described, whatever profile would accept
 * it), and prints its sizes, imports, exports, memory, tables, globals,
 * segments, custom sections and the post-MVP features its code uses. The
 * module is not validated: this is a look at what is there.
 *
 * Exit: 0 described, 1 malformed (reason and offset printed), 2 usage or I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "runtime/blob.h"
#include "util/file.h"
#include "wasm/module.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"

/* What the code and the module structure use beyond the MVP. */
typedef struct features_used {
    uint64_t sign_ext;              /* 0xC0..0xC4 instructions */
    uint64_t sat_float;             /* 0xFC 0..7 */
    uint64_t bulk_ops;              /* 0xFC 8..17 */
    uint64_t ref_ops;               /* ref.*, table.get/set, typed select */
    uint32_t multi_value_types;     /* function types with more than one result */
    uint64_t multi_value_blocks;    /* block types given as a type index */
    uint32_t passive_segments;      /* passive or declarative element/data segments */
    uint32_t mutable_global_imports;
    uint32_t mutable_global_exports;
    uint32_t unreadable_bodies;     /* bodies whose scan met an unknown opcode */
} features_used;

typedef struct code_stats {
    uint64_t code_bytes;            /* instruction bytes of all bodies */
    uint32_t largest_body;
    uint64_t instructions;
    uint64_t data_bytes;
    uint64_t elem_entries;
} code_stats;

typedef struct inspection {
    const char *path;
    size_t input_size;
    bool compressed;
    wasm_module m;
    features_used fu;
    code_stats cs;
} inspection;

/* ---- scanning instructions ------------------------------------------------------------------- */

/* Skip `n` LEB128 u32 immediates. */
/* Count the post-MVP feature `op` (its 0xFC sub-opcode fc) belongs to, from the opcode table. */
static void count_feature(uint8_t op, uint32_t fc, features_used *fu)
{
    const wasm_op_info *oi = op == WASM_OP_PREFIX_FC ? wasm_fc_op_info_of(fc) : wasm_op_info_of(op);
    switch (oi->feature) {
    case MVP: break;
    case SIGN_EXT: fu->sign_ext++; break;
    case SAT_FLOAT: fu->sat_float++; break;
    case BULK_MEMORY: fu->bulk_ops++; break;
    case REF_TYPES: fu->ref_ops++; break;
    }
}

/*
 * Step over the immediates of `op`, counting the features they show (a block
 * type that is a type index is multi-value). False for an opcode this engine
 * does not know (or a truncated body).
 */
static bool skip_immediates(wasm_reader *r, uint8_t op, features_used *fu)
{
    if (op == WASM_OP_BLOCK || op == WASM_OP_LOOP || op == WASM_OP_IF) {
        int64_t bt;
        if (!wasm_read_s33(r, &bt))
            return false;
        fu->multi_value_blocks += bt >= 0;
        return true;
    }
    uint32_t fc = 0;
    if (!wasm_skip_immediates(r, op, &fc))
        return false;
    count_feature(op, fc, fu);
    return true;
}

/* Walk one body linearly: no control-flow tracking, just opcodes and immediates. */
static void scan_body(const wasm_func *f, features_used *fu, code_stats *cs)
{
    wasm_error err;
    wasm_reader r;
    wasm_reader_init(&r, f->code, f->code_len, f->code_offset, &err);
    while (!wasm_reader_eof(&r)) {
        uint8_t op;
        if (!wasm_read_u8(&r, &op) || !skip_immediates(&r, op, fu)) {
            fu->unreadable_bodies++;
            return;
        }
        cs->instructions++;
    }
}

static void survey(inspection *in)
{
    const wasm_module *m = &in->m;
    features_used *fu = &in->fu;
    code_stats *cs = &in->cs;
    for (uint32_t i = 0; i < m->ntypes; i++)
        fu->multi_value_types += m->types[i].nresults > 1;
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        const wasm_func *f = &m->funcs[i];
        cs->code_bytes += f->code_len;
        if (f->code_len > cs->largest_body)
            cs->largest_body = f->code_len;
        scan_body(f, fu, cs);
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        fu->passive_segments += m->elems[i].mode != WASM_SEG_ACTIVE;
        cs->elem_entries += m->elems[i].count;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        fu->passive_segments += m->datas[i].mode != WASM_SEG_ACTIVE;
        cs->data_bytes += m->datas[i].len;
    }
    for (uint32_t i = 0; i < m->nglobal_imports; i++)
        fu->mutable_global_imports += m->globals[i].type.mutable_;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *ex = &m->exports[i];
        if (ex->kind == WASM_EXTERN_GLOBAL && ex->index < m->nglobals)
            fu->mutable_global_exports += m->globals[ex->index].type.mutable_;
    }
}

/* ---- formatting ------------------------------------------------------------------------------ */

static const char *kind_name(uint8_t kind)
{
    static const char *const names[] = { "func", "table", "memory", "global" };
    return kind < 4 ? names[kind] : "?";
}

static const char *type_name(uint8_t t)
{
    const char *name = wasm_valtype_name(t);
    return name ? name : "?";
}

/* "(i32, i64) -> i32", "() -> nil", "(f64) -> (i32, i32)": wasm-objdump's notation. */
static void format_functype(const wasm_module *m, uint32_t type_index, char *buf, size_t size)
{
    if (type_index >= m->ntypes) {
        snprintf(buf, size, "<unknown type %u>", type_index);
        return;
    }
    const wasm_functype *t = &m->types[type_index];
    size_t n = 0;
#define APPEND(...) (n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__))
    APPEND("(");
    for (uint32_t i = 0; i < t->nparams; i++)
        APPEND("%s%s", i ? ", " : "", type_name(t->types[i]));
    APPEND(") -> ");
    if (t->nresults == 0)
        APPEND("nil");
    if (t->nresults > 1)
        APPEND("(");
    for (uint32_t i = 0; i < t->nresults; i++)
        APPEND("%s%s", i ? ", " : "", type_name(t->types[t->nparams + i]));
    if (t->nresults > 1)
        APPEND(")");
#undef APPEND
}

/* A wasm name as a C string (names may hold NUL; the copy stops there). */
static const char *cstr(wasm_name name, char *buf, size_t size)
{
    size_t n = name.len < size - 1 ? name.len : size - 1;
    memcpy(buf, name.bytes, n);
    buf[n] = '\0';
    return buf;
}

static void format_limits(const wasm_limits *l, const char *unit, char *buf, size_t size)
{
    if (l->has_max)
        snprintf(buf, size, "min %u, max %u %s", l->min, l->max, unit);
    else
        snprintf(buf, size, "min %u %s, no max", l->min, unit);
}

/* Describe an import's type: its signature, limits or global type. */
static void format_import_type(const wasm_module *m, const wasm_import *im, char *buf, size_t size)
{
    switch (im->kind) {
    case WASM_EXTERN_FUNC: format_functype(m, im->u.type_index, buf, size); break;
    case WASM_EXTERN_TABLE: format_limits(&im->u.table.limits, "entries", buf, size); break;
    case WASM_EXTERN_MEMORY: format_limits(&im->u.memory, "pages", buf, size); break;
    case WASM_EXTERN_GLOBAL:
        snprintf(buf, size, "%s%s", im->u.global.mutable_ ? "mut " : "", type_name(im->u.global.type));
        break;
    }
}

/* The features list, as short names; returns how many. */
static int feature_names(const features_used *fu, const wasm_module *m, const char *out[8])
{
    int n = 0;
    if (fu->sign_ext)
        out[n++] = "sign-ext";
    if (fu->sat_float)
        out[n++] = "sat-float-to-int";
    if (fu->bulk_ops || fu->passive_segments || m->has_data_count)
        out[n++] = "bulk-memory";
    if (fu->multi_value_types || fu->multi_value_blocks)
        out[n++] = "multi-value";
    if (fu->ref_ops)
        out[n++] = "reference-types";
    if (fu->mutable_global_imports || fu->mutable_global_exports)
        out[n++] = "mutable-globals";
    return n;
}

/* ---- text output ----------------------------------------------------------------------------- */

static void print_imports_text(const wasm_module *m)
{
    uint32_t count[4] = { 0 };
    for (uint32_t i = 0; i < m->nimports; i++)
        count[m->imports[i].kind]++;
    printf("imports:          %u (%u functions, %u tables, %u memories, %u globals)\n", m->nimports,
           count[0], count[1], count[2], count[3]);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *im = &m->imports[i];
        char type[256];
        format_import_type(m, im, type, sizeof type);
        printf("  %.*s.%.*s  %s  %s\n", (int)im->module.len, im->module.bytes, (int)im->name.len,
               im->name.bytes, kind_name(im->kind), type);
    }
}

static void print_exports_text(const wasm_module *m)
{
    printf("exports:          %u\n", m->nexports);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *ex = &m->exports[i];
        char type[256] = "";
        if (ex->kind == WASM_EXTERN_FUNC && ex->index < m->nfuncs)
            format_functype(m, m->funcs[ex->index].type_index, type, sizeof type);
        printf("  %.*s  %s %u  %s\n", (int)ex->name.len, ex->name.bytes, kind_name(ex->kind), ex->index,
               type);
    }
}

static void print_text(const inspection *in, size_t wasm_size)
{
    const wasm_module *m = &in->m;
    const code_stats *cs = &in->cs;
    char buf[256];
    printf("file:             %s\n", in->path);
    if (in->compressed)
        printf("input:            %zu bytes, compressed blob (zstd)\n", in->input_size);
    printf("wasm:             %zu bytes\n", wasm_size);
    printf("types:            %u\n", m->ntypes);
    print_imports_text(m);
    printf("functions:        %u defined (+ %u imported), %llu code bytes, largest body %u bytes, "
           "%llu instructions\n", m->nfuncs - m->nfunc_imports, m->nfunc_imports,
           (unsigned long long)cs->code_bytes, cs->largest_body, (unsigned long long)cs->instructions);
    for (uint32_t i = 0; i < m->nmemories; i++) {
        format_limits(&m->memories[i].limits, "pages", buf, sizeof buf);
        printf("memory %u:         %s%s\n", i, buf, m->memories[i].is_import ? " (imported)" : "");
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        format_limits(&m->tables[i].type.limits, "entries", buf, sizeof buf);
        printf("table %u:          %s %s%s\n", i, type_name(m->tables[i].type.elem_type), buf,
               m->tables[i].is_import ? " (imported)" : "");
    }
    uint32_t mutable_globals = 0;
    for (uint32_t i = 0; i < m->nglobals; i++)
        mutable_globals += m->globals[i].type.mutable_;
    printf("globals:          %u (%u imported, %u mutable)\n", m->nglobals, m->nglobal_imports,
           mutable_globals);
    print_exports_text(m);
    if (m->has_start)
        printf("start:            function %u\n", m->start);
    else
        printf("start:            none\n");
    printf("element segments: %u (%llu entries)\n", m->nelems, (unsigned long long)cs->elem_entries);
    printf("data segments:    %u (%llu bytes)%s\n", m->ndatas, (unsigned long long)cs->data_bytes,
           m->has_data_count ? ", data count section" : "");
    printf("custom sections:  %u\n", m->ncustoms);
    for (uint32_t i = 0; i < m->ncustoms; i++)
        printf("  %.*s  %u bytes\n", (int)m->customs[i].name.len, m->customs[i].name.bytes,
               m->customs[i].len);
    const char *names[8];
    int n = feature_names(&in->fu, m, names);
    printf("features used:    ");
    if (n == 0)
        printf("MVP only");
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", names[i]);
    printf("\n");
    if (in->fu.unreadable_bodies)
        printf("warning:          %u function bodies hold opcodes this engine does not know\n",
               in->fu.unreadable_bodies);
}

/* ---- JSON output ----------------------------------------------------------------------------- */

static void json_name(const char *key, wasm_name name)
{
    char *buf = malloc((size_t)name.len + 1);
    printf("\"%s\":", key);
    json_print_string(stdout, buf ? cstr(name, buf, (size_t)name.len + 1) : "");
    free(buf);
}

static void json_limits(const wasm_limits *l)
{
    printf("\"min\":%u,\"max\":", l->min);
    if (l->has_max)
        printf("%u", l->max);
    else
        printf("null");
}

static void print_json_imports(const wasm_module *m)
{
    printf("\"imports\":[");
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *im = &m->imports[i];
        char type[256];
        format_import_type(m, im, type, sizeof type);
        printf("%s{", i ? "," : "");
        json_name("module", im->module);
        printf(",");
        json_name("name", im->name);
        printf(",\"kind\":\"%s\",\"type\":", kind_name(im->kind));
        json_print_string(stdout, type);
        printf("}");
    }
    printf("]");
}

static void print_json_exports(const wasm_module *m)
{
    printf("\"exports\":[");
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *ex = &m->exports[i];
        printf("%s{", i ? "," : "");
        json_name("name", ex->name);
        printf(",\"kind\":\"%s\",\"index\":%u", kind_name(ex->kind), ex->index);
        if (ex->kind == WASM_EXTERN_FUNC && ex->index < m->nfuncs) {
            char type[256];
            format_functype(m, m->funcs[ex->index].type_index, type, sizeof type);
            printf(",\"type\":");
            json_print_string(stdout, type);
        }
        printf("}");
    }
    printf("]");
}

static void print_json_spaces(const wasm_module *m)
{
    printf("\"memories\":[");
    for (uint32_t i = 0; i < m->nmemories; i++) {
        printf("%s{", i ? "," : "");
        json_limits(&m->memories[i].limits);
        printf(",\"imported\":%s}", m->memories[i].is_import ? "true" : "false");
    }
    printf("],\"tables\":[");
    for (uint32_t i = 0; i < m->ntables; i++) {
        printf("%s{\"type\":\"%s\",", i ? "," : "", type_name(m->tables[i].type.elem_type));
        json_limits(&m->tables[i].type.limits);
        printf(",\"imported\":%s}", m->tables[i].is_import ? "true" : "false");
    }
    uint32_t mutable_globals = 0;
    for (uint32_t i = 0; i < m->nglobals; i++)
        mutable_globals += m->globals[i].type.mutable_;
    printf("],\"globals\":{\"imported\":%u,\"defined\":%u,\"mutable\":%u}", m->nglobal_imports,
           m->nglobals - m->nglobal_imports, mutable_globals);
}

static void print_json(const inspection *in, size_t wasm_size)
{
    const wasm_module *m = &in->m;
    const code_stats *cs = &in->cs;
    printf("{\"ok\":true,\"file\":");
    json_print_string(stdout, in->path);
    printf(",\"compressed\":%s,\"input_size\":%zu,\"wasm_size\":%zu,\"types\":%u,",
           in->compressed ? "true" : "false", in->input_size, wasm_size, m->ntypes);
    print_json_imports(m);
    printf(",\"functions\":{\"imported\":%u,\"defined\":%u,\"code_bytes\":%llu,\"largest_body\":%u,"
           "\"instructions\":%llu},", m->nfunc_imports, m->nfuncs - m->nfunc_imports,
           (unsigned long long)cs->code_bytes, cs->largest_body, (unsigned long long)cs->instructions);
    print_json_spaces(m);
    printf(",");
    print_json_exports(m);
    printf(",\"start\":");
    if (m->has_start)
        printf("%u", m->start);
    else
        printf("null");
    printf(",\"elem_segments\":%u,\"elem_entries\":%llu,\"data_segments\":%u,\"data_bytes\":%llu,"
           "\"data_count_section\":%s,\"custom_sections\":[", m->nelems,
           (unsigned long long)cs->elem_entries, m->ndatas, (unsigned long long)cs->data_bytes,
           m->has_data_count ? "true" : "false");
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        printf("%s{", i ? "," : "");
        json_name("name", m->customs[i].name);
        printf(",\"size\":%u}", m->customs[i].len);
    }
    printf("],\"features\":[");
    const char *names[8];
    int n = feature_names(&in->fu, m, names);
    for (int i = 0; i < n; i++)
        printf("%s\"%s\"", i ? "," : "", names[i]);
    printf("],\"unreadable_bodies\":%u}\n", in->fu.unreadable_bodies);
}

/* ---- the command ----------------------------------------------------------------------------- */

static const cli_opt options[] = {
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_inspect_spec = {
    .name = "inspect",
    .summary = "describe a wasm module or code blob",
    .operands = "FILE",
    .min_operands = 1,
    .max_operands = 1,
    .description = "Describe a wasm module or a compressed code blob (decompressed with the code bomb limit): "
                   "sizes, imports, exports, memory, tables, globals, segments, custom sections and the "
                   "features its code uses. It is decoded with every feature on: inspect describes, prepare "
                   "judges.",
    .options = options,
    .exit_status = "0 described; 1 malformed (the reason and offset printed); 2 a usage error or an unreadable "
                   "file.",
};

static int report_malformed(bool json, const char *path, const char *reason)
{
    if (json) {
        printf("{\"ok\":false,\"file\":");
        json_print_string(stdout, path);
        printf(",\"error\":");
        json_print_string(stdout, reason);
        printf("}\n");
    } else {
        fprintf(stderr, "pvf inspect: %s: malformed: %s\n", path, reason);
    }
    return EXIT_REJECTED;
}

int cmd_inspect(const cli_args *a)
{
    const char *path = a->operands[0];
    bool json = a->json;
    inspection in = { .path = path };
    uint8_t *input = file_read(path, &in.input_size);
    if (!input)
        return cli_fail(json, "inspect", EXIT_ERROR, "cannot read %s: %s", path, strerror(errno));
    uint8_t *wasm;
    size_t wasm_size;
    char reason[512];
    bool ok = blob_decompress(input, in.input_size, PVF_REF_CODE_BOMB_LIMIT, &wasm, &wasm_size,
                              &in.compressed, reason, sizeof reason);
    free(input);
    if (!ok)
        return report_malformed(json, path, reason);
    wasm_error err;
    if (!wasm_decode(wasm, wasm_size, &WASM_FEATURES_FULL, &in.m, &err)) {
        wasm_error_text(&err, reason, sizeof reason);
        free(wasm);
        return report_malformed(json, path, reason);
    }
    survey(&in);
    if (json)
        print_json(&in, wasm_size);
    else
        print_text(&in, wasm_size);
    wasm_module_free(&in.m);
    free(wasm);
    return 0;
}

/*
 * code.h — compiled code: what an artifact holds and the interpreter runs.
 *
 * pvf_code is everything the execute side needs and nothing more: types,
 * imports, exports, the shapes of tables/memory/globals, segments, kept
 * custom sections, per-function frame metadata and the interpreter code
 * (ir.h). compile.c builds it from a validated wasm_module; artifact.c
 * writes it to bytes and reads it back.
 */
#ifndef PVF_WASM_CODE_H
#define PVF_WASM_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"
#include "wasm/module.h"

typedef struct code_func {
    uint32_t type_index;
    uint32_t entry;         /* word index of the first op (defined functions) */
    uint32_t nparams;
    uint32_t nresults;
    uint32_t nlocals;       /* declared locals, zeroed on entry */
    uint32_t frame_slots;   /* params + locals + operand positions used */
} code_func;

typedef struct code_import {
    char *module;           /* copies, NUL-terminated (names may contain NUL: use the lengths) */
    char *name;
    uint32_t module_len, name_len;
    uint8_t kind;
    uint32_t type_index;    /* func */
    pvf_limits limits;      /* table, memory */
    uint8_t global_type;
    bool global_mutable;
} code_import;

typedef struct code_export {
    char *name;             /* NUL-terminated copy; may contain NUL bytes: use name_len */
    uint32_t name_len;
    uint8_t kind;
    uint32_t index;
} code_export;

typedef struct code_global {
    uint8_t type;
    bool mutable_;
    wasm_const_expr init;   /* defined globals */
} code_global;

typedef struct code_elem {
    uint8_t mode;           /* WASM_SEG_* */
    uint32_t table_index;
    wasm_const_expr offset;
    uint32_t count;
    uint32_t *funcs;        /* WASM_NULL_FUNC for null */
} code_elem;

typedef struct code_data {
    uint8_t mode;
    wasm_const_expr offset;
    uint32_t len;
    uint8_t *bytes;
} code_data;

typedef struct code_custom {
    char *name;
    uint32_t len;
    uint8_t *bytes;
} code_custom;

struct pvf_code {
    pvf_engine_config config;

    uint32_t ntypes;
    pvf_functype *types;        /* types[i].types points into type_bytes */
    uint8_t *type_bytes;
    uint32_t *type_canon;       /* smallest index of a structurally equal type */

    uint32_t nimports;
    code_import *imports;

    uint32_t nfuncs, nfunc_imports;
    code_func *funcs;

    uint32_t ntables, ntable_imports;
    pvf_limits *tables;         /* defined tables (index - ntable_imports) */

    uint32_t nmemories, nmemory_imports;
    pvf_limits memory;          /* the defined memory, when nmemories > nmemory_imports */

    uint32_t nglobals, nglobal_imports;
    code_global *globals;       /* all globals, imports first (type info for imports too) */

    uint32_t nexports;
    code_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    code_elem *elems;
    uint32_t ndatas;
    code_data *datas;

    uint32_t ncustoms;
    code_custom *customs;

    /* stack limiter (pvf profile) */
    bool metered;
    uint32_t stack_global;      /* global index holding the logical stack height */
    uint32_t stack_limit;
    uint32_t nthunks;

    uint32_t ncode;
    uint32_t *code;

    /* copy-on-write initial memory (data_image.c); image_fd -1 when not used */
    int image_fd;
    uint64_t image_len;

    /* the native tier's machine code (native.h), or NULL: the interpreter runs the code */
    struct native_code *native;
};

/* Build compiled code from a validated (and, for pvf, instrumented) module. */
struct wasm_stack_limit;
pvf_code *code_compile(const wasm_module *m, const struct wasm_stack_limit *sl,
                       const pvf_engine_config *cfg, wasm_error *err);

/* Serialise to artifact bytes (malloc'd). */
bool code_serialize(const pvf_code *c, uint8_t **out, size_t *out_len);

/* Free everything a pvf_code owns (also partially built ones). */
void code_free(pvf_code *c);

#endif

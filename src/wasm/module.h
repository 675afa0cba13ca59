/*
 * module.h — the decoded form of a WebAssembly module.
 *
 * The decoder (decode.c) fills a wasm_module from the binary format; the
 * validator (validate.c) type-checks it; the stack limiter (stack_limiter.c)
 * adds its global and thunks to it; the compiler (compile.c) translates it
 * into interpreter code. Function bodies are not decoded here: a body keeps a
 * pointer to its instruction bytes, which the validator and compiler walk.
 *
 * Pointers into the binary (names, bodies, data bytes) stay valid only while
 * the caller keeps the input buffer alive. Bytes the module creates itself
 * (thunk bodies) are owned by the module and freed by wasm_module_free().
 */
#ifndef PVF_WASM_MODULE_H
#define PVF_WASM_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm/error.h"
#include "wasm/limits.h"

/* Value types, encoded as in the binary format. */
enum {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6F,
};

/* External kinds (import/export descriptors). */
enum {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
};

/* Section ids. */
enum {
    WASM_SEC_CUSTOM = 0, WASM_SEC_TYPE = 1, WASM_SEC_IMPORT = 2, WASM_SEC_FUNCTION = 3,
    WASM_SEC_TABLE = 4, WASM_SEC_MEMORY = 5, WASM_SEC_GLOBAL = 6, WASM_SEC_EXPORT = 7,
    WASM_SEC_START = 8, WASM_SEC_ELEMENT = 9, WASM_SEC_CODE = 10, WASM_SEC_DATA = 11,
    WASM_SEC_DATACOUNT = 12,
};

/*
 * Which post-MVP features the decoder and validator accept.
 * The `pvf` profile is MVP + mutable-global import/export (all false below,
 * bulk_memory only with the WasmExtBulkMemory executor parameter); the `full`
 * profile (spec suite) turns all of them on.
 */
typedef struct wasm_features {
    bool sign_ext;      /* 0xC0..0xC4 */
    bool sat_float;     /* 0xFC 0..7 */
    bool multi_value;   /* >1 result, block types by type index */
    bool bulk_memory;   /* 0xFC 8..17, passive segments, data count section */
} wasm_features;

extern const wasm_features WASM_FEATURES_PVF;
extern const wasm_features WASM_FEATURES_FULL;

typedef struct wasm_name {
    const char *bytes;  /* UTF-8, validated by the decoder, not NUL-terminated */
    uint32_t len;
} wasm_name;

typedef struct wasm_functype {
    uint32_t nparams;
    uint32_t nresults;
    uint8_t *types;     /* nparams parameter types followed by nresults result types */
} wasm_functype;

typedef struct wasm_limits {
    uint32_t min;
    uint32_t max;
    bool has_max;
} wasm_limits;

typedef struct wasm_tabletype {
    uint8_t elem_type;  /* WASM_FUNCREF (WASM_EXTERNREF decodes but fails validation) */
    wasm_limits limits;
} wasm_tabletype;

typedef struct wasm_globaltype {
    uint8_t type;
    bool mutable_;
} wasm_globaltype;

/* A constant expression: one instruction followed by `end`. */
enum {
    WASM_CONST_I32, WASM_CONST_I64, WASM_CONST_F32, WASM_CONST_F64,
    WASM_CONST_GLOBAL_GET, WASM_CONST_REF_NULL, WASM_CONST_REF_FUNC,
};
typedef struct wasm_const_expr {
    uint8_t kind;
    uint8_t type;       /* value type it produces (for global.get: filled by the validator) */
    uint64_t bits;      /* constant bit pattern, or the global / function index */
} wasm_const_expr;

typedef struct wasm_import {
    wasm_name module;
    wasm_name name;
    uint8_t kind;       /* WASM_EXTERN_* */
    union {
        uint32_t type_index;        /* func */
        wasm_tabletype table;
        wasm_limits memory;
        wasm_globaltype global;
    } u;
} wasm_import;

typedef struct wasm_local_group {
    uint32_t count;
    uint8_t type;
} wasm_local_group;

/*
 * A function of the module's index space. Imported functions come first
 * (is_import set, body fields empty); defined functions follow in order.
 */
typedef struct wasm_func {
    uint32_t type_index;
    bool is_import;
    bool is_thunk;              /* added by the stack limiter */
    uint32_t import_index;      /* index into imports[], for imported functions */
    uint32_t nlocal_groups;
    wasm_local_group *local_groups;
    uint32_t nlocals;           /* declared locals, params excluded */
    const uint8_t *code;        /* first instruction after the local declarations */
    uint32_t code_len;          /* up to and including the final `end` */
    uint32_t code_offset;       /* offset of `code` in the module binary, for error messages */
    uint32_t body_size;         /* bytes of the body as encoded: local declarations and code */
} wasm_func;

typedef struct wasm_global {
    wasm_globaltype type;
    bool is_import;
    uint32_t import_index;
    wasm_const_expr init;       /* defined globals only */
} wasm_global;

typedef struct wasm_table {
    wasm_tabletype type;
    bool is_import;
    uint32_t import_index;
} wasm_table;

typedef struct wasm_memory {
    wasm_limits limits;
    bool is_import;
    uint32_t import_index;
} wasm_memory;

typedef struct wasm_export {
    wasm_name name;
    uint8_t kind;
    uint32_t index;
} wasm_export;

enum { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

#define WASM_NULL_FUNC UINT32_MAX  /* a `ref.null` entry of an element segment */

typedef struct wasm_elem_segment {
    uint8_t mode;               /* WASM_SEG_* */
    uint8_t elem_type;          /* WASM_FUNCREF */
    uint32_t table_index;
    wasm_const_expr offset;     /* active only */
    uint32_t count;
    uint32_t *funcs;            /* function indices, WASM_NULL_FUNC for ref.null */
} wasm_elem_segment;

typedef struct wasm_data_segment {
    uint8_t mode;               /* WASM_SEG_ACTIVE or WASM_SEG_PASSIVE */
    uint32_t memory_index;
    wasm_const_expr offset;     /* active only */
    const uint8_t *bytes;
    uint32_t len;
} wasm_data_segment;

typedef struct wasm_custom_section {
    wasm_name name;
    const uint8_t *bytes;       /* payload after the name */
    uint32_t len;
    uint32_t offset;            /* offset of the section's payload in the binary */
} wasm_custom_section;

typedef struct wasm_module {
    const uint8_t *binary;      /* the input, owned by the caller */
    size_t binary_len;

    uint32_t ntypes;
    wasm_functype *types;

    uint32_t nimports;
    wasm_import *imports;

    /* Index spaces: imports first, then definitions. */
    uint32_t nfuncs, nfunc_imports;
    wasm_func *funcs;
    uint32_t ntables, ntable_imports;
    wasm_table *tables;
    uint32_t nmemories, nmemory_imports;
    wasm_memory *memories;
    uint32_t nglobals, nglobal_imports;
    wasm_global *globals;

    uint32_t nexports;
    wasm_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    wasm_elem_segment *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t ndatas;
    wasm_data_segment *datas;

    uint32_t ncustoms;
    wasm_custom_section *customs;

    /* Buffers the module allocated for itself (thunk bodies), freed with it. */
    uint32_t nowned;
    void **owned;
} wasm_module;

/*
 * Decode `len` bytes of binary module. On success returns true and fills
 * *m (free with wasm_module_free). On failure returns false, *m is left
 * empty and `err` names the byte offset and the reason.
 */
bool wasm_decode(const uint8_t *bytes, size_t len, const wasm_features *features,
                 wasm_module *m, wasm_error *err);

/* Type-check every function body and every module-level rule of the spec. */
bool wasm_validate(const wasm_module *m, const wasm_features *features, wasm_error *err);

/*
 * The reference's module-level limits (limits.h, limits.c): counts, name
 * sizes, function-type arities, the effective type size. wasm_validate
 * checks them first.
 */
bool wasm_check_limits(const wasm_module *m, wasm_error *err);

/*
 * Function-body sizes as encoded, for a module the reference's parser sees
 * as it is (the full profile). With the pvf profile the stack limiter checks
 * the sizes of the bodies it rewrites instead (stack_limiter.c).
 */
bool wasm_check_body_sizes(const wasm_module *m, wasm_error *err);

/*
 * The reference's memory setup for Substrate runtimes (memory_rewrite.c):
 * a memory import becomes a defined, exported memory, and every memory gets
 * the limits min(initial, max_pages) .. max_pages.
 */
bool wasm_rewrite_memory(wasm_module *m, uint32_t max_pages, wasm_error *err);

void wasm_module_free(wasm_module *m);

/* The type of function `func_index` (imports included). */
static inline const wasm_functype *wasm_func_type(const wasm_module *m, uint32_t func_index)
{
    return &m->types[m->funcs[func_index].type_index];
}

/* The custom section called `name`, or NULL. */
const wasm_custom_section *wasm_find_custom(const wasm_module *m, const char *name);

#endif

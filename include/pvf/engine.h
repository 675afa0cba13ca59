/*
 * pvf/engine.h — the WebAssembly engine of libpvf.
 *
 * Two steps, as in the PVF host:
 *
 *   prepare:  wasm bytes ──decode, validate, instrument, compile──▶ artifact bytes
 *   execute:  artifact bytes ──load──▶ pvf_code ──instantiate──▶ pvf_instance ──call──▶ results
 *
 * The artifact is a self-contained byte string (see src/wasm/artifact.c); the
 * execute side loads it without re-validating, after checking its header and
 * checksum.
 *
 * Every runtime object (instances, host functions, memories, tables, globals)
 * lives in a pvf_store and is freed with it. A store is used by one thread.
 *
 * Values cross the API as raw 64-bit patterns: i32 in the low 32 bits
 * (upper bits zero), i64 as is, f32 as its bit pattern in the low 32 bits,
 * f64 as its bit pattern, funcref as a pvf_func pointer (0 = null).
 */
#ifndef PVF_ENGINE_H
#define PVF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/reference.h"

#include "pvf/api.h"

PVF_BEGIN_DECLS

/* Value types (binary-format codes). */
#define PVF_I32 0x7F
#define PVF_I64 0x7E
#define PVF_F32 0x7D
#define PVF_F64 0x7C
#define PVF_FUNCREF 0x70

/* Kinds of imports and exports. */
#define PVF_EXTERN_FUNC 0
#define PVF_EXTERN_TABLE 1
#define PVF_EXTERN_MEMORY 2
#define PVF_EXTERN_GLOBAL 3

/* ---- configuration ------------------------------------------------------------------------ */

typedef enum pvf_profile {
    PVF_PROFILE_PVF = 0,    /* MVP + mutable globals, stack limiter, NaN canonicalisation */
    PVF_PROFILE_FULL = 1,   /* + sign-ext, sat-float-to-int, multi-value, bulk memory; no limiter */
} pvf_profile;

/* Engine tiers: the interpreter (portable, the oracle) and x86-64 machine code. */
typedef enum pvf_tier { PVF_TIER_INTERP = 0, PVF_TIER_NATIVE = 1 } pvf_tier;
#if defined(__x86_64__) && defined(__linux__)
#define PVF_TIER_DEFAULT PVF_TIER_NATIVE
#else
#define PVF_TIER_DEFAULT PVF_TIER_INTERP
#endif

typedef struct pvf_engine_config {
    pvf_profile profile;
    bool bulk_memory;           /* pvf profile: the WasmExtBulkMemory executor parameter */
    uint32_t stack_logical_max; /* pvf profile: the deterministic stack limit (default 65536) */
    bool canonicalize_nans;     /* default: true for pvf, false for full */
    /*
     * Substrate runtimes: when non-zero, a memory import becomes a defined memory
     * exported under the import's name, and every memory's limits become
     * min(initial, heap_max_pages) .. heap_max_pages (the reference's heap strategy;
     * 2080 pages by default for PVFs). 0 leaves memories as declared.
     */
    uint32_t heap_max_pages;
    /*
     * The tier the artifact is for: PVF_TIER_NATIVE adds the x86-64 machine code of every
     * function (src/wasm/native.h) to the artifact, and loading it runs that code. Default
     * PVF_TIER_DEFAULT (native on x86-64 Linux).
     */
    pvf_tier tier;
} pvf_engine_config;

/* Fill *cfg with the defaults of `profile`. */
PVF_API void pvf_engine_config_default(pvf_engine_config *cfg, pvf_profile profile);

/* ---- prepare ------------------------------------------------------------------------------ */

typedef struct pvf_prepare_stats {
    size_t wasm_size;           /* bytes of wasm given */
    size_t artifact_size;
    uint32_t functions;         /* defined functions, thunks excluded */
    uint32_t thunks;            /* added by the stack limiter */
    uint32_t code_words;        /* size of the interpreter code */
} pvf_prepare_stats;

/*
 * Decode, validate, instrument (pvf profile) and compile `wasm`. On success
 * returns true and sets *artifact (malloc'd, free() it) and *artifact_len.
 * On failure returns false and writes the reason (with the byte offset where
 * it has one) to err.
 */
PVF_API bool pvf_prepare(const uint8_t *wasm, size_t len, const pvf_engine_config *cfg,
                 uint8_t **artifact, size_t *artifact_len, pvf_prepare_stats *stats,
                 char *err, size_t errlen);

/* ---- loaded code -------------------------------------------------------------------------- */

typedef struct pvf_code pvf_code;

/* The WebAssembly page: the unit of memory sizes, 64 KiB. */
#define PVF_WASM_PAGE_BYTES 65536u

/* The stacks the engine maps once per thread for its calls (the interpreter's value stack and
 * call frames, the native tier's machine stack): reserved, touched only as deep as a call goes,
 * but counted by RLIMIT_DATA like any private writable mapping. */
PVF_API size_t pvf_engine_stack_reserve_bytes(void);
/* Reserve this thread's stacks now rather than at its first call, and install the native tier's
 * fault handler and alternate signal stack; false when the memory for them can't be had. A
 * forked child inherits them all: an execute worker does it once, so its jobs need not (a job
 * whose worker could not does it before running code, so running out there is an out-of-memory
 * exit, never a trap of the candidate). */
PVF_API bool pvf_engine_reserve_stacks(void);

/* Called instead of abort() — and must not return — when the engine can't get memory a module
 * is entitled to (a memory.grow within the module's maximum that the kernel refuses, e.g. under
 * a memory limit): a sandboxed job exits "out of memory", which is no verdict on the candidate.
 * Process-wide; NULL (the default): print a message and abort. */
typedef void (*pvf_out_of_memory_fn)(void);
PVF_API void pvf_engine_on_out_of_memory(pvf_out_of_memory_fn fn);

/* Load an artifact. A truncated, corrupted or foreign artifact is an error, never UB. */
PVF_API pvf_code *pvf_code_load(const uint8_t *artifact, size_t len, char *err, size_t errlen);

/* Load an artifact to look at it (imports, exports, a link check): every check of
 * pvf_code_load, but a native artifact's machine code is not mapped executable, so the code
 * runs on the interpreter (pvf_code_use_native compiles it again). A prepare job prechecks its
 * artifact this way: its syscall allowlist has no executable mappings. */
PVF_API pvf_code *pvf_code_inspect(const uint8_t *artifact, size_t len, char *err, size_t errlen);
PVF_API void pvf_code_free(pvf_code *code);

/*
 * Build the code's copy-on-write memory image: its memory's initial contents, once, in a memfd
 * that every later instantiation maps privately instead of copying the data segments (only the
 * pages a call writes are copied). Worth it for code instantiated more than once; a sandboxed
 * job does it before its syscall allowlist forbids memfd_create. True when instances will use
 * an image; false when the module's memory can't have one (imported, or segments at offsets
 * from globals) or the memfd could not be made — instantiation then copies, with the same result.
 */
PVF_API bool pvf_code_build_image(pvf_code *code);
/* The image's memfd, or -1 without one: a process that closes its fds before running the code
 * (a sandboxed job) must keep this one. */
PVF_API int pvf_code_image_fd(const pvf_code *code);


/*
 * Run `code` on the native tier (x86-64 machine code, src/wasm/native.h) from now on: maps
 * the artifact's machine code, or compiles it now when the artifact is an interpreter one.
 * Same results, traps and limits as the interpreter. False with err when it cannot (the
 * interpreter keeps running the code). pvf_code_use_interp goes back to the interpreter.
 */
PVF_API bool pvf_code_use_native(pvf_code *code, char *err, size_t errlen);
PVF_API void pvf_code_use_interp(pvf_code *code);

typedef struct pvf_functype {
    uint32_t nparams;
    uint32_t nresults;
    const uint8_t *types;       /* params then results */
} pvf_functype;

typedef struct pvf_limits {
    uint32_t min;
    uint32_t max;
    bool has_max;
} pvf_limits;

/* Describes one import or export of loaded code. Strings live as long as the code. */
typedef struct pvf_extern_desc {
    const char *module;         /* imports only; NUL-terminated */
    const char *name;           /* NUL-terminated; a name may contain NUL: see the lengths */
    size_t module_len, name_len;
    uint8_t kind;               /* PVF_EXTERN_* */
    pvf_functype func;          /* kind == FUNC */
    pvf_limits limits;          /* TABLE, MEMORY */
    uint8_t global_type;        /* GLOBAL */
    bool global_mutable;
} pvf_extern_desc;

PVF_API uint32_t pvf_code_import_count(const pvf_code *code);
PVF_API void pvf_code_import(const pvf_code *code, uint32_t i, pvf_extern_desc *out);
PVF_API uint32_t pvf_code_export_count(const pvf_code *code);
PVF_API void pvf_code_export(const pvf_code *code, uint32_t i, pvf_extern_desc *out);

/* The payload of custom section `name`, kept in the artifact, or NULL. */
PVF_API const uint8_t *pvf_code_custom_section(const pvf_code *code, const char *name, size_t *len);

/* ---- store and runtime objects ------------------------------------------------------------ */

typedef struct pvf_store pvf_store;
typedef struct pvf_instance pvf_instance;
typedef struct pvf_func pvf_func;
typedef struct pvf_memory pvf_memory;
typedef struct pvf_table pvf_table;
typedef struct pvf_global pvf_global;

PVF_API pvf_store *pvf_store_new(void);
PVF_API void pvf_store_free(pvf_store *store);      /* frees every object created in it */

typedef struct pvf_extern {
    uint8_t kind;               /* PVF_EXTERN_* */
    union {
        pvf_func *func;
        pvf_table *table;
        pvf_memory *memory;
        pvf_global *global;
    } u;
} pvf_extern;

/* ---- traps -------------------------------------------------------------------------------- */

typedef enum pvf_trap_kind {
    PVF_TRAP_NONE = 0,
    PVF_TRAP_UNREACHABLE,           /* "unreachable" (also the stack limiter's trap) */
    PVF_TRAP_MEMORY_OUT_OF_BOUNDS,  /* "out of bounds memory access" */
    PVF_TRAP_TABLE_OUT_OF_BOUNDS,   /* "undefined element" / "out of bounds table access" */
    PVF_TRAP_UNINITIALIZED_ELEMENT, /* "uninitialized element" */
    PVF_TRAP_INDIRECT_CALL_TYPE,    /* "indirect call type mismatch" */
    PVF_TRAP_INTEGER_DIVIDE_BY_ZERO,
    PVF_TRAP_INTEGER_OVERFLOW,
    PVF_TRAP_INVALID_CONVERSION,    /* "invalid conversion to integer" */
    PVF_TRAP_STACK_EXHAUSTED,       /* "call stack exhausted" (engine bound, not the logical limit) */
    PVF_TRAP_HOST,                  /* raised by a host function; message says why */
    PVF_TRAP_MISSING_IMPORT,        /* "call to a missing function env:NAME" */
} pvf_trap_kind;

#define PVF_TRAP_FRAMES_MAX 32

typedef struct pvf_trap {
    pvf_trap_kind kind;
    char message[256];
    /* The wasm backtrace, innermost frame first: the function index of every wasm frame the
     * trap unwound (the first PVF_TRAP_FRAMES_MAX of them; nframes counts them all). */
    uint32_t nframes;
    uint32_t frames[PVF_TRAP_FRAMES_MAX];
} pvf_trap;

/* "#0 f12 name, #1 f3, ..." — the backtrace with function names from the code's name section
 * where it has one ("" when no frame was recorded). Returns the length it needed. */
PVF_API size_t pvf_trap_backtrace(const pvf_trap *trap, const pvf_code *code, char *buf, size_t size);

/* The spec-suite text of a trap kind ("integer divide by zero", ...). */
PVF_API const char *pvf_trap_kind_text(pvf_trap_kind kind);

/* ---- host functions ----------------------------------------------------------------------- */

typedef struct pvf_caller pvf_caller;

/*
 * A host function. `slots` holds the arguments on entry (one 64-bit slot
 * each) and receives the results (slot 0, 1, ...) on return. Return 0, or
 * call pvf_caller_trap() and return its non-zero value to trap.
 */
typedef int (*pvf_host_fn)(pvf_caller *caller, void *ctx, uint64_t *slots);

PVF_API pvf_func *pvf_func_new_host(pvf_store *store, const pvf_functype *type, pvf_host_fn fn,
                            void *ctx);

/* The linear memory of the calling instance (NULL if it has none); *size in bytes. */
PVF_API uint8_t *pvf_caller_memory(pvf_caller *caller, uint64_t *size);
PVF_API pvf_memory *pvf_caller_memory_object(pvf_caller *caller);
PVF_API int pvf_caller_trap(pvf_caller *caller, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- memories, tables, globals ------------------------------------------------------------ */

PVF_API pvf_memory *pvf_memory_new(pvf_store *store, pvf_limits limits);
PVF_API uint8_t *pvf_memory_data(pvf_memory *mem);
PVF_API uint64_t pvf_memory_size(const pvf_memory *mem);            /* bytes */
/* Grow by `pages`; returns the old size in pages, or -1 (deterministically, at the maximum). */
PVF_API int64_t pvf_memory_grow(pvf_memory *mem, uint32_t pages);
/* Current size in pages as min, and the maximum the memory was created with. */
PVF_API pvf_limits pvf_memory_limits(const pvf_memory *mem);

PVF_API pvf_table *pvf_table_new(pvf_store *store, pvf_limits limits);
PVF_API uint32_t pvf_table_size(const pvf_table *table);
/* Current size as min, and the declared maximum. */
PVF_API pvf_limits pvf_table_limits(const pvf_table *table);

PVF_API pvf_global *pvf_global_new(pvf_store *store, uint8_t type, bool mutable_, uint64_t value);
PVF_API uint64_t pvf_global_get(const pvf_global *g);
PVF_API uint8_t pvf_global_valtype(const pvf_global *g);
PVF_API bool pvf_global_mutable(const pvf_global *g);
PVF_API void pvf_global_set(pvf_global *g, uint64_t value);

/* ---- instances ---------------------------------------------------------------------------- */

/*
 * Instantiate `code` in `store`. `imports` holds one extern per import of the
 * code, in import order (NULL when it has none). With `stub_missing`, a NULL
 * func entry (kind FUNC, u.func == NULL) is linked as a stub that traps with
 * "call to a missing function MODULE:NAME". Runs the start function.
 *
 * Returns the instance, or NULL: on a link error (err says which import and
 * why, *trap kind NONE) or when the start function or a segment traps (*trap).
 */
PVF_API pvf_instance *pvf_instantiate(pvf_store *store, const pvf_code *code, const pvf_extern *imports,
                              bool stub_missing, pvf_trap *trap, char *err, size_t errlen);

/* Look up export `name`; false when there is none. */
PVF_API bool pvf_instance_export(pvf_instance *inst, const char *name, pvf_extern *out);
/* The same for a name of `len` bytes, which may contain NUL bytes. */
PVF_API bool pvf_instance_export_n(pvf_instance *inst, const char *name, size_t len, pvf_extern *out);

/* The instance's memory (index 0), or NULL. */
PVF_API pvf_memory *pvf_instance_memory(pvf_instance *inst);

PVF_API const pvf_functype *pvf_func_type(const pvf_func *f);

/*
 * Call `f` with args (nparams slots); results written to results (nresults
 * slots). Returns PVF_TRAP_NONE or the trap kind, with details in *trap.
 */
PVF_API pvf_trap_kind pvf_call(pvf_func *f, const uint64_t *args, uint64_t *results, pvf_trap *trap);

PVF_END_DECLS

#endif

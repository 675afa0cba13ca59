/*
 * store.h — the runtime objects behind the opaque types of pvf/engine.h:
 * stores, instances, functions, memories, tables, globals; and the entry
 * points the instance code and the interpreter share.
 */
#ifndef PVF_WASM_STORE_H
#define PVF_WASM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "pvf/engine.h"
#include "wasm/code.h"

struct pvf_memory {
    uint8_t *base;          /* start of the reservation; never moves */
    uint64_t size;          /* accessible bytes = pages * 64 KiB */
    uint32_t pages;
    uint32_t max_pages;     /* deterministic growth limit */
    bool has_max;
    size_t reserved;        /* bytes reserved (PROT_NONE beyond size) */
};

struct pvf_table {
    pvf_func **elems;
    uint32_t size;
    pvf_limits limits;
};

struct pvf_global {
    uint64_t value;
    uint8_t type;
    bool mutable_;
};

struct pvf_func {
    pvf_instance *inst;     /* defining instance; NULL for host functions */
    uint32_t index;         /* function index in inst's code */
    pvf_functype type;
    pvf_host_fn host;       /* host function, or NULL */
    void *ctx;
};

struct pvf_instance {
    pvf_store *store;
    const pvf_code *code;
    pvf_func **funcs;       /* every function of the index space (imports resolved) */
    pvf_table **tables;
    pvf_memory *memory;     /* memory 0, or NULL */
    uint64_t **globals;     /* value cell of every global (imports point to the exporter's) */
    bool *data_dropped;
    bool *elem_dropped;
};

struct pvf_caller {
    pvf_instance *inst;
    pvf_trap *trap;
};

/* Store-owned allocation: freed with the store. */
void *store_alloc(pvf_store *store, size_t size);

/* Run `f` with its arguments in slots[0..nparams); results replace them. */
pvf_trap_kind interp_invoke(pvf_func *f, uint64_t *slots, pvf_trap *trap);

/* For the native tier (native.h), the interpreter's own definitions:
 * interp_step          one data op (interp_ops.inc) at ip on frame fp;
 * interp_call_import   CALL_IMPORT of function `func` with its frame at slots;
 * interp_call_indirect the rest of a CALL_INDIRECT whose element is another instance's or a
 *                      host function (the native code checked bounds and null): the type
 *                      (type index `type`), then the external call with its frame at slots.
 * frames_left: the wasm frames the interpreter's call stack could still take. */
pvf_trap_kind interp_step(pvf_instance *inst, uint64_t *fp, const uint32_t *ip, pvf_trap *trap);
pvf_trap_kind interp_call_import(pvf_instance *inst, uint32_t func, uint64_t *slots, uint64_t frames_left,
                                 pvf_trap *trap);
pvf_trap_kind interp_call_indirect(pvf_instance *inst, pvf_func *callee, uint32_t type, uint64_t *slots,
                                   uint64_t frames_left, pvf_trap *trap);

/* Set *trap to `kind` with its standard text. Returns kind. */
pvf_trap_kind trap_set(pvf_trap *trap, pvf_trap_kind kind);
/* Append a wasm frame (function index) to the trap's backtrace, as a trap unwinds it. */
void trap_frame(pvf_trap *trap, uint32_t func);
/* The defined function whose code holds IR word `word`. */
uint32_t code_func_at(const pvf_code *code, uint32_t word);

/* memory.c */
bool memory_init(pvf_memory *mem, uint32_t min_pages, uint32_t max_pages);
void memory_release(pvf_memory *mem);

/* data_image.c: built on request (pvf_code_build_image), mapped at instantiation, closed at free. */
bool data_image_map(const pvf_code *c, pvf_memory *mem);
void data_image_release(pvf_code *c);

/* Structural equality of function types. */
bool functype_equal(const pvf_functype *a, const pvf_functype *b);

#endif

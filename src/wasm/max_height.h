/*
 * max_height.h — the operand-stack height analysis of wasm-instrument 0.4
 * (`max_height::compute`), the heart of the stack limiter's cost model.
 *
 * The analysis walks a function body's raw instruction stream once and
 * returns the largest operand-stack height seen, counting every value as 1
 * and starting at the activation-frame cost of 2. It reproduces the crate's
 * quirks exactly (../shared/reference/wasm-engine-notes.md §5.4); see
 * max_height.c for the rules.
 */
#ifndef PVF_WASM_MAX_HEIGHT_H
#define PVF_WASM_MAX_HEIGHT_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/module.h"

struct height_frame;

/*
 * State reused from one function to the next, so that a module of thousands
 * of functions allocates its control stack once.
 */
typedef struct wasm_height_walker {
    struct height_frame *frames;
    size_t frames_cap;
    /*
     * Call log, kept when log_calls is set: the callee of every `call`
     * walked, in order, appended across functions. The limiter charges calls
     * by callee and sizes the instrumented bodies from it, without a second
     * pass over every body.
     */
    bool log_calls;
    uint32_t *calls;
    size_t ncalls, calls_cap;
    /*
     * Of the last body walked: the size of its instructions re-encoded with
     * minimal LEB128s, as parity-wasm writes them back (wasm/limits.h).
     */
    uint32_t minimal_code_size;
} wasm_height_walker;

void wasm_height_walker_init(wasm_height_walker *w, bool log_calls);
void wasm_height_walker_free(wasm_height_walker *w);

/*
 * max_height of defined function `func_index` of a valid module. False when
 * the crate would reject the function (br_table targets of different
 * arities, a pop below zero, an instruction outside Wasm MVP).
 */
bool wasm_max_height(wasm_height_walker *w, const wasm_module *m, uint32_t func_index,
                     uint32_t *out, wasm_error *err);

#endif

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
    uint32_t cap;
    /*
     * Optional (NULL to skip): calls_to[f] is incremented for every `call f`
     * walked. The limiter charges calls by callee, so counting here spares it
     * a second pass over every body.
     */
    uint32_t *calls_to;
} wasm_height_walker;

void wasm_height_walker_init(wasm_height_walker *w, uint32_t *calls_to);
void wasm_height_walker_free(wasm_height_walker *w);

/*
 * max_height of defined function `func_index` of a valid module. False when
 * the crate would reject the function (br_table targets of different
 * arities, a pop below zero, an instruction outside Wasm MVP).
 */
bool wasm_max_height(wasm_height_walker *w, const wasm_module *m, uint32_t func_index,
                     uint32_t *out, wasm_error *err);

#endif

/*
 * validate_body.h — type-checking of function bodies (internal to the
 * validator; validate.c is the only user).
 *
 * A body checker owns the operand and control stacks. They grow
 * geometrically and are reused from one function to the next, so checking a
 * whole module allocates a handful of times, never per instruction.
 */
#ifndef PVF_WASM_VALIDATE_BODY_H
#define PVF_WASM_VALIDATE_BODY_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/error.h"
#include "wasm/module.h"

typedef struct body_checker body_checker;

/* NULL when out of memory. */
body_checker *body_checker_new(const wasm_module *m, const wasm_features *features);
void body_checker_free(body_checker *c);

/*
 * Check the body of defined function `func_index`. On failure returns false
 * with `err` naming the absolute byte offset of the offending instruction.
 */
bool body_checker_run(body_checker *c, uint32_t func_index, wasm_error *err);

#endif

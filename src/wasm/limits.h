/*
 * limits.h — the reference's implementation limits: every number for which
 * Polkadot's preparation rejects a module by size alone, with its source.
 *
 * Determinism rule: pvf must accept exactly what the reference accepts, so
 * none of pvf's own bounds may fire before these; each is enforced where the
 * reference enforces it (docs/ARCHITECTURE.md, "Accepted modules", has the
 * audit table). The reference pipeline (polkadot-sdk 92b7dd50, Cargo.lock:
 * parity-wasm 0.45.0, wasm-instrument 0.4.0, wasmtime 35.0.0 → wasmparser 0.235.0):
 *
 *   1. parity-wasm parses the blob (RuntimeBlob::new)      → Prevalidation.
 *      It has no count or size limit: its only one is that the declared
 *      locals of a body must sum to at most u32::MAX (Error::TooManyLocals).
 *      pvf: wasm_decode (decode.c).
 *   2. wasm-instrument adds the stack limiter (one i32 global, thunks, a
 *      wrapping around every charged call) and parity-wasm writes the module
 *      back, every LEB128 in its minimal form                → Preparation.
 *      pvf: wasm_stack_limiter_apply (stack_limiter.c).
 *   3. the memory is rewritten (import → export, min(initial, heap max) ..
 *      heap max), then Wasmtime validates the result with wasmparser and
 *      compiles it                                           → Preparation.
 *      pvf: wasm_rewrite_memory, then wasm_validate (validate.c,
 *      validate_body.c) and, for the counts the limiter changes, the limiter.
 *
 * So the wasmparser limits below apply to the module *after* steps 2 and 3:
 * function counts include the thunks, global counts the stack-height global,
 * and function-body sizes are those of the instrumented, re-encoded bodies.
 * (With the `full` profile there is no step 2: they apply to the module as
 * it is.)
 *
 * wasmparser sources: bytecodealliance/wasm-tools v1.235.0 (wasmparser
 * 0.235.0), crates/wasmparser/src/limits.rs for the numbers; where each is
 * checked is noted beside it. `check_max` (validator.rs:70) accepts a count
 * equal to the limit.
 */
#ifndef PVF_WASM_LIMITS_H
#define PVF_WASM_LIMITS_H

/* Type-section entries. validator.rs:727, type_section. */
#define WASM_MAX_TYPES              1000000u
/* Imported + defined functions (+ thunks). validator.rs:779, function_section; core.rs:550, add_import. */
#define WASM_MAX_FUNCTIONS          1000000u
/* Import-section entries. validator.rs:755, import_section. */
#define WASM_MAX_IMPORTS            1000000u
/* Export-section entries. validator.rs:895, export_section; core.rs:609, add_export. */
#define WASM_MAX_EXPORTS            1000000u
/* Imported + defined globals (+ the stack-height global). validator.rs:873, global_section; core.rs:573, add_import. */
#define WASM_MAX_GLOBALS            1000000u
/* Element segments. validator.rs:940, element_section. */
#define WASM_MAX_ELEM_SEGMENTS      100000u
/* Data segments, and the data count section's value. validator.rs:1029 and :964. */
#define WASM_MAX_DATA_SEGMENTS      100000u
/* Function references of one element segment. core.rs:170, "number of elements is out of bounds". */
#define WASM_MAX_ELEM_ITEMS         10000000u
/*
 * Bytes of a name: import module and field, export, custom section name
 * (binary_reader.rs:698, read_string; custom.rs:15). Not the entries of the "name"
 * section (names.rs reads them with read_unlimited_string).
 */
#define WASM_MAX_STRING_SIZE        100000u
/* Parameters and results of one function type. readers/core/types.rs:2109 and :2112. */
#define WASM_MAX_PARAMS             1000u
#define WASM_MAX_RESULTS            1000u
/* Parameters + declared locals of one function. validator/operators.rs:4296, Locals::define
 * (the parameters are defined first, operators.rs:391). */
#define WASM_MAX_LOCALS             50000u
/*
 * br_table targets, the default excluded: MAX_WASM_BR_TABLE_SIZE, an alias
 * of MAX_WASM_FUNCTION_SIZE (128 KiB in 0.235.0). readers/core/operators.rs:1630,
 * read_size(MAX_WASM_BR_TABLE_SIZE, "br_table"): "br_table size is out of bounds".
 */
#define WASM_MAX_BR_TABLE_SIZE      (128u * 1024u)
/*
 * The sum over imports and exports of their types' sizes (a function type
 * 2 + params + results, anything else 1), starting at 1, must stay below
 * this: validator.rs:88, combine_type_sizes, called by core.rs:579
 * (add_import) and :612 (add_export). "effective type size exceeds the limit".
 */
#define WASM_MAX_TYPE_SIZE          1000000u
/*
 * Bytes of one function body (local declarations and code, not its size
 * field). This is the one number that is not wasmparser 0.235.0's: that
 * release defines MAX_WASM_FUNCTION_SIZE = 128 KiB but never checks it on a
 * body (only through the br_table alias above); wasmparser 0.240.0 and later
 * check 7,654,321 bytes (validator.rs, code_section_entry; V8's
 * kV8MaxWasmFunctionSize). Issue 9 takes 7,654,321, the limit of the newer
 * releases and of V8: bodies that large exceed Cranelift's 2^21 - 1 virtual
 * registers per function in practice (regalloc2 VReg::MAX) whatever the parser says.
 */
#define WASM_MAX_FUNCTION_SIZE      7654321u
/* Pages of a 32-bit memory, initial and maximum (4 GiB). validator/core.rs:764, check_memory_type. */
#define WASM_MAX_PAGES              65536u

/*
 * Limits that wasmparser has but that the features the reference enables
 * make unreachable: without reference types at most 1 table (core.rs:901,
 * max_tables), without multi-memory at most 1 memory (core.rs:909,
 * max_memories).
 * Tables themselves have no size limit but u32 (core.rs:715); their
 * entries are allocated at instantiation, where Wasmtime fails only when
 * the allocation does (runtime/vm/table.rs), as pvf does.
 *
 * No limit at all, in any of the three steps: the number of local
 * declaration groups, block nesting depth, operand-stack height, sections,
 * custom sections, and the module's size.
 */

#endif

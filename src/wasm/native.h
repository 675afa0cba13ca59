/*
 * native.h — the native tier (issue 12): x86-64 machine code for every defined function of a
 * pvf_code, compiled from the interpreter's code (ir.h) in one pass, run in place of the
 * interpreter with the same frames, the same results, the same traps and the same backtraces.
 *
 *   if (!native_compile(code, true, err, errlen)) ...   // code->native; NULL: the interpreter runs
 *   k = native_run(inst, fidx, fp, frames_left, trap);   // from interp.c's run()
 *
 * The shape is a baseline compiler with a static register assignment: every IR op becomes a
 * short template over its operand slots, and the most used slots of each region (the code
 * outside loops, and each outermost loop) live in registers there — frames, calls and the
 * value stack stay the interpreter's, the frame copy of a register-held slot is written only
 * where C code, a callee or another region reads it. Integer arithmetic, comparisons,
 * division (with the interpreter's traps), bit counts, branches, loads and stores, copies,
 * constants, select, globals, and calls inside the instance (the stack limiter's charge
 * included) are inline; every other op (floats, conversions, memory and table bulk ops,
 * memory.grow) calls interp_step(), the interpreter's own definition of that op
 * (interp_ops.inc) — one definition of every op's semantics.
 *
 * Registers: rbx = frame pointer (the slots), r12 = the run's native_ctx, r13 = linear memory
 * base; rbp, r15, r14, rsi, r8..r11 hold slots (callee-saved between wasm functions); rax,
 * rcx, rdx are the templates' scratch, rdi passes a callee its frame. A native function takes
 * its frame in rdi and returns a pvf_trap_kind in eax (0: returned normally); a trap returns
 * through every native frame, each adding itself to the backtrace. Calls run on a dedicated
 * 256 MiB stack (the reference's native stack size), so only the deterministic limits fire.
 *
 * Loads and stores carry no bounds check: a memory reserves 8 GiB and a guard (memory.c),
 * everything past its size is PROT_NONE, and a fault there is turned into the out-of-bounds
 * trap by native_fault through the trap table (each function's start and its out-of-bounds
 * stub).
 *
 * Code is written into a private anonymous mapping and made read + execute before it runs
 * (never writable and executable at once). It is position independent — branches and calls
 * are rel32 inside the code, the IR and the helpers are reached through the context — so
 * the artifact stores it as it is (prepare compiles it) and loading maps it without
 * relocation. It lives as long as the pvf_code.
 */
#ifndef PVF_WASM_NATIVE_H
#define PVF_WASM_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"

typedef struct native_code native_code;

/* The machine code of every defined function of `code` (stored in code->native): mapped to run
 * when `runnable`, else only kept for the artifact (prepare). False with err when this machine
 * or build cannot (then the interpreter keeps running the code). */
bool native_compile(pvf_code *code, bool runnable, char *err, size_t errlen);
void native_code_free(native_code *n);

/*
 * Interpreter code + machine code above this many bytes make an interpreter artifact instead
 * (engine.c): an artifact must stay within the job → worker transfer limit (512 MiB) for every
 * module the reference accepts. Real runtimes are far below (an 8 MB runtime: 22 + 40 MB);
 * only pathological modules near the 30 MiB code limit come near it.
 */
#define NATIVE_ARTIFACT_CODE_MAX (384ull << 20)
bool native_artifact_too_big(const pvf_code *code);

/* The artifact's side: the machine code and, per function index, its entry offset followed by
 * (at [nfuncs + i]) its out-of-bounds stub's (artifact.c writes them; loading maps them back —
 * read + execute — with native_code_map, which checks every offset). */
const uint8_t *native_code_bytes(const native_code *n, size_t *len, const uint32_t **offsets);
native_code *native_code_map(const pvf_code *code, const uint8_t *bytes, size_t len, const uint32_t *offsets,
                             char *err, size_t errlen);
/* Every defined function's entry and stub offset lies inside the `len` bytes of machine code. */
bool native_offsets_valid(const pvf_code *code, size_t len, const uint32_t *offsets);

/* The machine stack a thread's native runs use (reserved at the first one); 0 without the tier. */
size_t native_stack_reserve_bytes(void);
/* Reserve this thread's machine stack if it isn't yet; false when mmap fails (true without the tier). */
bool native_stack_ready(void);
/* That stack, the guard-page SIGSEGV handler and this thread's alternate signal stack, now. */
bool native_thread_ready(void);

/* Run defined function fidx of inst natively on the frame at fp; `frames_left` is how many
 * more wasm frames the interpreter's call stack would take (its exhaustion point). */
pvf_trap_kind native_run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, uint64_t frames_left,
                         uint64_t *slots_end, pvf_trap *trap);

#endif

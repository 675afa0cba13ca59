/*
 * native_x64.c — the native tier's x86-64 compiler and runner (see native.h).
 *
 * One pass over each function's IR: every op start gets its machine-code offset (branch
 * targets are IR word indices); branches, jump tables and trap exits are patched at the end of
 * the function, calls at the end of the code. Trap exits jump to per-function stubs that return
 * the trap kind; a nonzero kind returned by a call is passed up unchanged.
 */
#define _GNU_SOURCE     /* REG_RIP and the other ucontext register names */
#include "wasm/native.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "util/vec.h"
#include "wasm/code.h"
#include "wasm/ir.h"
#include "wasm/store.h"

#if defined(__x86_64__) && defined(__linux__)

#define NATIVE_STACK_BYTES (256u << 20)     /* the reference's native stack: 256 MiB */
#define NATIVE_ALTSTACK_BYTES (64u << 10)   /* the fault handler's stack */

/* ------------------------------------------------------------------ the run's context */

typedef struct native_ctx {
    pvf_instance *inst;         /* rdi of helper calls */
    pvf_trap *trap;
    uint64_t *height;           /* the stack limiter's global (a dummy when unmetered) */
    uint64_t frames_left;       /* wasm frames the interpreter's call stack could still take */
    uint64_t *slots_end;        /* end of the value stack */
    const struct native_code *code;  /* the running machine code (native_fault's trap table) */
    uint64_t **globals;
    void *const *entries;       /* native entry of every function index (imports NULL) */
    uint8_t *mbase;
    uint32_t limit;             /* StackLogicalMax */
    const uint32_t *cbase;      /* the IR: helper calls name their op by its word index */
    void *step_fn, *import_fn, *indirect_fn;   /* the helpers: the code holds no absolute address */
    struct native_ctx *outer;   /* the run this one is nested in (a host function called back) */
    pvf_table **tables;         /* the instance's tables (call_indirect) */
    const struct func_info *funcs;  /* per function index: what call_indirect checks */
} native_ctx;

/* What an inline call_indirect checks of its callee (native_code_map computes it). */
typedef struct func_info {
    uint32_t canon;             /* the smallest index of a type equal to the function's */
    uint32_t frame_slots;
} func_info;

struct native_code {
    uint8_t *mem;               /* read + exec */
    size_t len;                 /* bytes of code */
    size_t map_len;             /* bytes mapped (len, at least 1); 0: mem is a prepare's malloc'd bytes */
    uint32_t nfuncs, nimports;
    /* per function index: [i] its entry's offset, [nfuncs + i] its out-of-bounds stub's offset
     * (NO_FAULT_STUB: no loads or stores); imports 0 */
    uint32_t *offsets;
    void **entries;             /* per function index: mem + offset (imports NULL) */
    func_info *funcs;           /* per function index (imports zero) */
    uint32_t *by_start;         /* the defined functions by entry offset (native_fault's search) */
};

/* ------------------------------------------------------------------ the emitter */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/*
 * The registers that can hold a slot for a whole function, best first. rbp, r15 and r14 keep
 * their values across the C helpers (SysV callee-saved); the rest are scratch there. rax, rcx
 * and rdx stay scratch for the templates, rdi passes a callee its frame.
 */
static const int ALLOC_REGS[] = { RBP, R15, R14, RSI, R8, R9, R10, R11 };
#define NALLOC ((uint32_t)(sizeof ALLOC_REGS / sizeof ALLOC_REGS[0]))
_Static_assert(sizeof ALLOC_REGS / sizeof ALLOC_REGS[0] == 8, "region_alloc holds 8 slots");

typedef struct fixup {
    uint32_t pos;               /* of a rel32 (or a table entry) */
    uint32_t target;            /* IR word index, function index or stub */
    uint32_t base;              /* table entries: the table's start */
    uint8_t kind;
} fixup;

enum { FIX_IR, FIX_CALL, FIX_TABLE, FIX_STUB, FIX_SYNC, FIX_TABLE_SYNC };

/* The slots one region holds in registers: slot[i] in ALLOC_REGS[i]. */
typedef struct region_alloc {
    uint32_t nalloc;
    uint32_t slot[8];
    bool written[8];            /* by the region's templates (else the frame copy stays valid) */
    bool helpers;               /* the region calls C code */
} region_alloc;

/* A branch from region `from` to IR word `target` in region `to`: it jumps to a stub that
 * hands the slots over (emit_sync) and jumps on. */
typedef struct sync_stub {
    uint32_t from, to, target;
    uint32_t at;                /* the stub's code offset, once emitted */
} sync_stub;

typedef struct emitter {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
    fixup *fix;
    size_t nfix, fix_cap;
    /* The function being emitted, its IR words [base, base + span): per word, the code offset
     * of the op starting there and whether a branch lands there (sized for the largest
     * function, not the whole code: a runtime's IR is tens of MB). */
    uint32_t base, span;
    size_t span_cap, depth_cap;
    uint32_t *at;
    uint8_t *target;
    int32_t *depth;             /* loop nesting per word (a difference array while counting) */
    uint32_t rax_slot;          /* the slot whose value rax holds (written through), or NO_SLOT */
    uint32_t carry;             /* rax_slot at the start of the op being emitted */
    size_t rax_store_at;        /* where the store of rax to rax_slot's frame copy starts (the
                                 * op's last instruction), or SIZE_MAX: in a register */
    size_t rax_store_end;
    size_t store_at;            /* rax_store_at of the previous op, for the op being emitted */
    uint32_t flags_slot;        /* the slot a compare just set from the flags (still valid) */
    int flags_cc;               /* ... and their condition */
    uint32_t flags_carry;       /* flags_slot at the start of the op being emitted */
    int carry_cc;
    /* Slots held in registers (regalloc_function), chosen per region: region 0 is the code
     * outside loops, each outermost loop is a region of its own. Inside its region a slot so
     * held lives in its register; its frame copy is written only where C code, a callee or
     * another region reads the frame (flush_slots, emit_sync) and read back where they wrote
     * it (reload_slots, emit_sync). */
    int8_t *reg;                /* per slot: its register in the current region, or -1 */
    size_t reg_cap;
    uint32_t nslots;
    region_alloc *regions;
    size_t nregions, regions_cap;
    uint32_t *region_of;        /* per IR word (op starts): its region */
    size_t region_cap;
    uint32_t cur;               /* the region being emitted */
    const region_alloc *ra;     /* = regions + cur */
    sync_stub *syncs;           /* this function's region-crossing branches */
    size_t nsyncs, syncs_cap;
    uint32_t *touched;          /* slots with uses counted (regalloc's scratch) */
    size_t touched_cap;
    uint32_t npush;             /* registers the prologue saves: ALLOC_REGS[0 .. npush) */
    uint64_t *uses;             /* per slot: its uses, weighted by loop depth */
    size_t uses_cap;
    uint32_t nresults;
    uint32_t func;              /* the function's index */
    bool accesses_memory;       /* it has loads or stores: it needs a fault stub */
    uint32_t fault_stub;        /* the code offset of its out-of-bounds stub, or NO_FAULT_STUB */
} emitter;

#define NO_SLOT UINT32_MAX

/* A function's stubs: one per trap kind (mov eax, kind), the return of eax, and the
 * propagation of a trap a call returned; each trap stub and the propagation record the
 * function in the trap's backtrace (record_frame). */
#define STUB_RETURN_EAX (PVF_TRAP_MISSING_IMPORT + 1)
#define STUB_PROPAGATE (PVF_TRAP_MISSING_IMPORT + 2)
#define NSTUBS (STUB_PROPAGATE + 1)
#define NO_FAULT_STUB UINT32_MAX

/* Room for `n` more bytes (doubling); false once an allocation failed. */
static bool room(emitter *e, size_t n)
{
    if (e->len + n <= e->cap)
        return true;
    if (e->failed || !vec_reserve((void **)&e->buf, &e->cap, e->len + n, 1, 1u << 16)) {
        e->failed = true;
        return false;
    }
    return true;
}

static inline void put(emitter *e, uint8_t b)
{
    if (e->len < e->cap || room(e, 1))
        e->buf[e->len++] = b;
}

static inline void put32(emitter *e, uint32_t v)
{
    if (e->len + 4 <= e->cap || room(e, 4)) {
        memcpy(e->buf + e->len, &v, 4);
        e->len += 4;
    }
}

static void put64(emitter *e, uint64_t v)
{
    put32(e, (uint32_t)v);
    put32(e, (uint32_t)(v >> 32));
}

static void add_fixup(emitter *e, uint8_t kind, uint32_t target, uint32_t base)
{
    if (e->failed || !vec_reserve((void **)&e->fix, &e->fix_cap, e->nfix + 1, sizeof *e->fix, 256)) {
        e->failed = true;
        return;
    }
    e->fix[e->nfix++] = (fixup){ (uint32_t)e->len, target, base, kind };
    put32(e, 0);
}

static void rex(emitter *e, bool w, int reg, int index, int base, bool force)
{
    uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1));
    if (r != 0x40 || force)
        put(e, r);
}

/*
 * Opcodes are given with their byte count `nop`: 1 or 2 bytes (0x0F xx), or 3 = a legacy prefix
 * and one byte (0x66 0x89), 4 = a prefix and two bytes (0xF3 0x0F 0xB8). The prefix goes
 * before REX, the opcode bytes after it.
 */
static void opcode_prefix(emitter *e, uint32_t opcode, int nop)
{
    if (nop >= 3)
        put(e, (uint8_t)(opcode >> 16));
}

static void opcode_bytes(emitter *e, uint32_t opcode, int nop)
{
    if (nop == 2 || nop == 4)
        put(e, (uint8_t)(opcode >> 8));
    put(e, (uint8_t)opcode);
}

/* Byte registers 4..7 are spl..dil only with a REX prefix (without one they name ah..bh):
 * mov r/m8, r8 (88) reads `reg` as a byte; movzx/movsx (0F B6, 0F BE) read r/m as one. */
static bool byte_reg_rex(uint32_t opcode, int reg, int rm_reg)
{
    if (opcode == 0x88)
        return reg >= 4 && reg < 8;
    if (opcode == 0x0FB6 || opcode == 0x0FBE)
        return rm_reg >= 4 && rm_reg < 8;
    return false;
}

/* op reg, [base + index + disp32] (index < 0: none) */
static void op_mem(emitter *e, bool w, uint32_t opcode, int nop, int reg, int base, int index, int32_t disp)
{
    opcode_prefix(e, opcode, nop);
    rex(e, w, reg, index < 0 ? 0 : index, base, byte_reg_rex(opcode, reg, -1));
    opcode_bytes(e, opcode, nop);
    /* [base + disp8] when the displacement fits (most slots do): 3 bytes shorter. Indexed
     * forms keep disp32: some callers patch their SIB byte, found 5 bytes from the end. */
    bool short_disp = index < 0 && disp >= -128 && disp <= 127;
    if (index < 0) {
        put(e, (uint8_t)((short_disp ? 0x40 : 0x80) | (reg & 7) << 3 | (base & 7)));
        if ((base & 7) == RSP)
            put(e, 0x24);
    } else {
        put(e, (uint8_t)(0x84 | (reg & 7) << 3));
        put(e, (uint8_t)((index & 7) << 3 | (base & 7)));
    }
    if (short_disp)
        put(e, (uint8_t)(int8_t)disp);
    else
        put32(e, (uint32_t)disp);
}

/* op with two registers: ModRM reg = `reg`, rm = `rm` (for "op r, r/m" opcodes: reg <- rm) */
static void op_rr(emitter *e, bool w, uint32_t opcode, int nop, int reg, int rm)
{
    opcode_prefix(e, opcode, nop);
    rex(e, w, reg, 0, rm, byte_reg_rex(opcode, reg, rm));
    opcode_bytes(e, opcode, nop);
    put(e, (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7)));
}

/* An opcode with a ModRM digit and a register: op /digit reg (shifts, 81/83 immediates, F7) */
static void op_digit(emitter *e, bool w, uint8_t opcode, int digit, int reg)
{
    rex(e, w, 0, 0, reg, false);
    put(e, opcode);
    put(e, (uint8_t)(0xC0 | digit << 3 | (reg & 7)));
}

#define SLOT(s) ((int32_t)(8 * (s)))

/* The register holding `slot` for the whole function, or -1: it lives in the frame. */
static inline int slot_reg(const emitter *e, uint32_t slot)
{
    return slot < e->nslots ? e->reg[slot] : -1;
}

/* op reg, slot — "op r, r/m" opcodes with the slot as r/m: its register, or the frame. */
static void op_slot(emitter *e, bool w, uint32_t opcode, int nop, int reg, uint32_t slot)
{
    int r = slot_reg(e, slot);
    if (r >= 0)
        op_rr(e, w, opcode, nop, reg, r);
    else
        op_mem(e, w, opcode, nop, reg, RBX, -1, SLOT(slot));
}

static void load_slot(emitter *e, bool w, int reg, uint32_t slot)   /* mov reg, slot */
{
    if (slot_reg(e, slot) != reg)
        op_slot(e, w, 0x8B, 1, reg, slot);
}

static void store_slot(emitter *e, int reg, uint32_t slot)          /* mov slot, reg (64) */
{
    int r = slot_reg(e, slot);
    e->rax_store_at = SIZE_MAX;
    if (r >= 0) {
        if (r != reg)
            op_rr(e, true, 0x8B, 1, r, reg);
    } else {
        e->rax_store_at = e->len;
        op_mem(e, true, 0x89, 1, reg, RBX, -1, SLOT(slot));
        e->rax_store_end = e->len;
    }
    e->rax_slot = reg == RAX ? slot : NO_SLOT;
}

/*
 * An op about to overwrite slot d, which the previous op just stored from rax (carried):
 * that store is dead — nothing can read the frame copy in between (the op is no branch
 * target, and d is not its other operand) — so it is taken back. A trap in the op abandons
 * the frame anyway.
 */
static void retract_store(emitter *e, uint32_t d, uint32_t a, uint32_t b_slot)
{
    if (e->carry == d && a == d && b_slot != d && e->store_at != SIZE_MAX && e->rax_store_end == e->len)
        e->len = e->store_at;
}

/* The frame copy of a register-held slot: written before C code or a callee reads the frame,
 * read back after they wrote it. */
static void slot_to_frame(emitter *e, uint32_t slot)
{
    int r = slot_reg(e, slot);
    if (r >= 0)
        op_mem(e, true, 0x89, 1, r, RBX, -1, SLOT(slot));
}

static void slot_from_frame(emitter *e, uint32_t slot)
{
    int r = slot_reg(e, slot);
    if (r >= 0)
        op_mem(e, true, 0x8B, 1, r, RBX, -1, SLOT(slot));
}

/* Around a C helper, which reads and writes the frame and may clobber rsi, r8..r11: every
 * register-held slot the function writes goes to the frame before, all come back after. */
static void flush_slots(emitter *e)
{
    for (uint32_t i = 0; i < e->ra->nalloc; i++)
        if (e->ra->written[i])
            slot_to_frame(e, e->ra->slot[i]);
}

static void reload_slots(emitter *e)
{
    for (uint32_t i = 0; i < e->ra->nalloc; i++)
        slot_from_frame(e, e->ra->slot[i]);
}

/*
 * The op's first operand into rax — nothing to emit when the previous op just stored that
 * slot from rax (its result: rax still equals the slot, in its register or its frame copy). Only an op's first instruction may use it: e->carry holds the previous
 * op's rax_slot, and nothing carries into an op a branch can reach. A 32-bit use is safe because
 * an i32 slot's upper half is always zero (every 32-bit op zero-extends its result), so rax
 * equals it whole; the one op that reads an i64 slot as 32 bits (i32.wrap_i64) loads it.
 */
static void load_first_rax(emitter *e, bool w, uint32_t slot)
{
    uint32_t carry = e->carry;
    e->carry = NO_SLOT;
    if (slot != carry)
        load_slot(e, w, RAX, slot);
}

static void ctx_load(emitter *e, int reg, size_t off)               /* mov reg, [r12 + off] */
{
    op_mem(e, true, 0x8B, 1, reg, R12, -1, (int32_t)off);
}

static void mov_imm64(emitter *e, int reg, uint64_t v)
{
    if (v <= 0xFFFFFFFFu) {                 /* mov r32, imm32 zero-extends */
        rex(e, false, 0, 0, reg, false);
        put(e, (uint8_t)(0xB8 | (reg & 7)));
        put32(e, (uint32_t)v);
        return;
    }
    rex(e, true, 0, 0, reg, false);
    put(e, (uint8_t)(0xB8 | (reg & 7)));
    put64(e, v);
}

/* The opcode of jmp (cc < 0) or jcc with a rel32. */
static void jump_opcode(emitter *e, int cc)
{
    if (cc < 0) {
        put(e, 0xE9);
    } else {
        put(e, 0x0F);
        put(e, (uint8_t)(0x80 | cc));
    }
}

/* jmp (cc < 0) or jcc rel32 to `target`, a stub or an IR word (fixup kind). */
static void jump(emitter *e, int cc, uint8_t kind, uint32_t target)
{
    jump_opcode(e, cc);
    add_fixup(e, kind, target, 0);
}

static void jmp_stub(emitter *e, int cc, uint32_t stub)             /* cc < 0: jmp */
{
    jump(e, cc, FIX_STUB, stub);
}

/* A region-crossing branch's stub (one per from, to, target), by index. */
static uint32_t sync_stub_for(emitter *e, uint32_t to, uint32_t target)
{
    for (size_t i = 0; i < e->nsyncs; i++)
        if (e->syncs[i].from == e->cur && e->syncs[i].target == target)
            return (uint32_t)i;
    if (!vec_reserve((void **)&e->syncs, &e->syncs_cap, e->nsyncs + 1, sizeof *e->syncs, 16)) {
        e->failed = true;
        return 0;
    }
    e->syncs[e->nsyncs] = (sync_stub){ e->cur, to, target, 0 };
    return (uint32_t)e->nsyncs++;
}

/* The fixup of a branch to IR word `target`: straight there inside the region, through a sync
 * stub into another; a rel32 (table: a jump-table entry, relative to `base`). */
static void branch_fixup(emitter *e, uint32_t target, bool table, uint32_t base)
{
    uint32_t to = e->region_of[target - e->base];
    if (to == e->cur)
        add_fixup(e, table ? FIX_TABLE : FIX_IR, target, base);
    else
        add_fixup(e, table ? FIX_TABLE_SYNC : FIX_SYNC, sync_stub_for(e, to, target), base);
}

static void jmp_ir(emitter *e, int cc, uint32_t target)
{
    jump_opcode(e, cc);
    branch_fixup(e, target, false, 0);
}

/* A short jump inside a template (cc < 0: jmp rel8); land() binds it to here. */
static size_t jump8(emitter *e, int cc)
{
    put(e, cc < 0 ? 0xEB : (uint8_t)(0x70 | cc));
    put(e, 0);
    return e->len - 1;
}

static void land(emitter *e, size_t at)
{
    if (!e->failed)
        e->buf[at] = (uint8_t)(e->len - (at + 1));
}

/* The same with rel32, for a jump over more than a short template; land32() binds it. */
static size_t jump32(emitter *e, int cc)
{
    jump_opcode(e, cc);
    put32(e, 0);
    return e->len - 4;
}

static void land32(emitter *e, size_t at)
{
    if (!e->failed)
        memcpy(e->buf + at, &(uint32_t){ (uint32_t)(e->len - (at + 4)) }, 4);
}

/* Condition codes. */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15 };

static void test_eax_propagate(emitter *e)
{
    op_rr(e, false, 0x85, 1, RAX, RAX);     /* test eax, eax */
    jmp_stub(e, CC_NE, STUB_PROPAGATE);
}

/* ------------------------------------------------------------------ op templates */

/* A two-operand op: its "op r, r/m" opcode and, for an immediate, how to encode one. */
typedef struct binop { uint32_t rm_op; int nop; uint8_t imm_op; int digit; } binop;
static const binop OP_ADD = { 0x03, 1, 0x81, 0 }, OP_OR = { 0x0B, 1, 0x81, 1 }, OP_AND = { 0x23, 1, 0x81, 4 },
                   OP_SUB = { 0x2B, 1, 0x81, 5 }, OP_XOR = { 0x33, 1, 0x81, 6 },
                   OP_IMUL = { 0x0FAF, 2, 0x69, -1 };    /* imul r, r/m, imm32 (69 /r) */

/*
 * The register an op computes slot d in: d's own register when it has one and writing it
 * early cannot clobber the second operand b (d == b is fine only when a == d too), else rax
 * (then stored to d). b_slot NO_SLOT: the second operand is not a slot.
 */
static int result_reg(emitter *e, uint32_t d, uint32_t a, uint32_t b_slot)
{
    int r = slot_reg(e, d);
    return r >= 0 && (b_slot != d || a == d) ? r : RAX;
}

/* t = slot a (t is rax or d's register) */
static void load_operand(emitter *e, bool w, int t, uint32_t a)
{
    if (t == RAX)
        load_first_rax(e, w, a);
    else
        load_slot(e, w, t, a);
}

static void finish_result(emitter *e, int t, uint32_t d)
{
    if (t == RAX)
        store_slot(e, RAX, d);
}

/* d = a OP b (b a slot, or an immediate) */
static void bin_op(emitter *e, bool w, binop op, uint32_t d, uint32_t a, bool imm, uint64_t b)
{
    int t = result_reg(e, d, a, imm ? NO_SLOT : (uint32_t)b);
    if (t == RAX)
        retract_store(e, d, a, imm ? NO_SLOT : (uint32_t)b);
    load_operand(e, w, t, a);
    if (!imm) {
        op_slot(e, w, op.rm_op, op.nop, t, (uint32_t)b);
    } else if (!w || (int64_t)b == (int64_t)(int32_t)b) {
        if (op.digit < 0)
            op_rr(e, w, op.imm_op, 1, t, t);
        else
            op_digit(e, w, op.imm_op, op.digit, t);
        put32(e, (uint32_t)b);
    } else {
        mov_imm64(e, RCX, b);
        op_rr(e, w, op.rm_op, op.nop, t, RCX);
    }
    finish_result(e, t, d);
}

/* d = the flags' condition cc as 0 or 1 */
static void setcc_store(emitter *e, int cc, uint32_t d)
{
    put(e, 0x0F);
    put(e, (uint8_t)(0x90 | cc));
    put(e, 0xC0);                           /* setcc al */
    int r = slot_reg(e, d);
    int t = r >= 0 ? r : RAX;
    op_rr(e, false, 0x0FB6, 2, t, RAX);     /* movzx t32, al */
    finish_result(e, t, d);
    e->flags_slot = d;                      /* the moves left the flags as they were */
    e->flags_cc = cc;
}

/* flags = a CMP b: a from its register (or rax), b a slot or an immediate */
static void compare(emitter *e, bool w, uint32_t a, bool imm, uint64_t b)
{
    int x = slot_reg(e, a);
    if (x < 0) {
        load_first_rax(e, w, a);
        x = RAX;
    }
    if (!imm) {
        op_slot(e, w, 0x3B, 1, x, (uint32_t)b);
    } else if (b == 0) {
        op_rr(e, w, 0x85, 1, x, x);         /* test x, x: the same flags as cmp x, 0 */
    } else if (!w || (int64_t)b == (int64_t)(int32_t)b) {
        op_digit(e, w, 0x81, 7, x);
        put32(e, (uint32_t)b);
    } else {
        mov_imm64(e, RCX, b);
        op_rr(e, w, 0x3B, 1, x, RCX);
    }
}

/* flags = (a != 0), as `test a, a` */
static void test_slot(emitter *e, bool w, uint32_t a)
{
    int x = slot_reg(e, a);
    if (x < 0) {
        load_first_rax(e, w, a);
        x = RAX;
    }
    op_rr(e, w, 0x85, 1, x, x);
}

/* shifts and rotates by cl: D3 /digit (rol 0, ror 1, shl 4, shr 5, sar 7) */
static void shift_op(emitter *e, bool w, int digit, uint32_t d, uint32_t a, bool imm, uint64_t b)
{
    if (slot_reg(e, d) < 0)
        retract_store(e, d, a, imm ? NO_SLOT : (uint32_t)b);
    if (!imm)
        load_slot(e, false, RCX, (uint32_t)b);      /* first: d's register may be b's */
    int r = slot_reg(e, d);
    int t = r >= 0 ? r : RAX;
    load_operand(e, w, t, a);
    if (imm) {
        op_digit(e, w, 0xC1, digit, t);
        put(e, (uint8_t)(b & (w ? 63 : 31)));
    } else {
        op_digit(e, w, 0xD3, digit, t);
    }
    finish_result(e, t, d);
}

/*
 * d = a / b or a % b, with the interpreter's traps in its order: division by zero, then the
 * signed overflow of div (INT_MIN / -1); rem by -1 is 0 (idiv would fault on INT_MIN).
 */
static void div_op(emitter *e, bool w, bool is_signed, bool rem, uint32_t d, uint32_t a, bool imm, uint64_t b)
{
    if (imm)
        mov_imm64(e, RCX, b);
    else
        load_slot(e, w, RCX, (uint32_t)b);
    load_first_rax(e, w, a);
    op_rr(e, w, 0x85, 1, RCX, RCX);
    jmp_stub(e, CC_E, PVF_TRAP_INTEGER_DIVIDE_BY_ZERO);
    size_t to_done = SIZE_MAX;
    if (is_signed) {
        op_digit(e, w, 0x83, 7, RCX);
        put(e, 0xFF);                                       /* cmp rcx, -1 */
        size_t to_divide = jump8(e, CC_NE);
        if (rem) {
            op_rr(e, false, 0x31, 1, RAX, RAX);             /* x % -1 = 0 */
            to_done = jump8(e, -1);
        } else {
            mov_imm64(e, RDX, w ? 0x8000000000000000u : 0x80000000u);
            op_rr(e, w, 0x3B, 1, RAX, RDX);                 /* cmp rax, INT_MIN */
            jmp_stub(e, CC_E, PVF_TRAP_INTEGER_OVERFLOW);
        }
        land(e, to_divide);
        if (w)
            put(e, 0x48);
        put(e, 0x99);                                       /* cdq / cqo */
        op_digit(e, w, 0xF7, 7, RCX);                       /* idiv rcx */
    } else {
        op_rr(e, false, 0x31, 1, RDX, RDX);
        op_digit(e, w, 0xF7, 6, RCX);                       /* div rcx */
    }
    if (rem)
        op_rr(e, w, 0x8B, 1, RAX, RDX);
    if (to_done != SIZE_MAX)
        land(e, to_done);
    store_slot(e, RAX, d);
}

/* clz, ctz (bsr/bsf with the zero case by cmov: no lzcnt/tzcnt needed) and popcnt */
static void bitcount_op(emitter *e, bool w, int kind, uint32_t d, uint32_t a)
{
    int r = slot_reg(e, d);
    int t = r >= 0 ? r : RAX;
    uint32_t bits = w ? 64 : 32;
    e->carry = NO_SLOT;
    if (kind == 2) {
        op_slot(e, w, 0xF30FB8, 4, t, a);                   /* popcnt t, a */
    } else {
        mov_imm64(e, RCX, kind == 0 ? 2 * bits - 1 : bits);
        op_slot(e, w, kind == 0 ? 0x0FBD : 0x0FBC, 2, t, a);    /* bsr / bsf t, a */
        op_rr(e, w, 0x0F44, 2, t, RCX);                     /* cmovz t, rcx */
        if (kind == 0) {
            op_digit(e, w, 0x83, 6, t);
            put(e, (uint8_t)(bits - 1));                    /* xor t, bits-1: bsr -> clz */
        }
    }
    finish_result(e, t, d);
}

/* The comparison's condition code, signed/unsigned, by op offset from EQ in the IR's order:
 * EQ NE LT_S LT_U GT_S GT_U LE_S LE_U GE_S GE_U */
static const int CMP_CC[10] = { CC_E, CC_NE, CC_L, CC_B, CC_G, CC_A, CC_LE, CC_BE, CC_GE, CC_AE };

/* reg = the address of IR word w (ctx->cbase + 4 w): the code stays position independent. */
static void ir_address(emitter *e, int reg, uint32_t w)
{
    ctx_load(e, reg, offsetof(native_ctx, cbase));
    op_mem(e, true, 0x8D, 1, reg, reg, -1, (int32_t)(4 * w));
}

static void call_helper(emitter *e, size_t fn_off)                 /* call [r12 + fn_off] */
{
    op_mem(e, false, 0xFF, 1, 2, R12, -1, (int32_t)fn_off);
}

/* The end of a call out of the instance through a C helper (the slots already flushed, its
 * first arguments in place): frames_left and the trap as its last two arguments, the call, a
 * trap passed up, the slots read back. */
static void external_call(emitter *e, int frames_reg, int trap_reg, size_t fn_off)
{
    ctx_load(e, frames_reg, offsetof(native_ctx, frames_left));
    ctx_load(e, trap_reg, offsetof(native_ctx, trap));
    call_helper(e, fn_off);
    test_eax_propagate(e);
    reload_slots(e);
}

/* A call of interp_step(inst, fp, ip, trap) for the op at word w: its semantics stay the
 * interpreter's. */
static void call_step(emitter *e, uint32_t w)
{
    flush_slots(e);
    ctx_load(e, RDI, offsetof(native_ctx, inst));
    op_rr(e, true, 0x89, 1, RBX, RSI);                  /* mov rsi, rbx */
    ir_address(e, RDX, w);
    ctx_load(e, RCX, offsetof(native_ctx, trap));
    call_helper(e, offsetof(native_ctx, step_fn));
    test_eax_propagate(e);
    reload_slots(e);
}

/*
 * rax = the address slot a holds, zero-extended from 32 bits (even when rax or a register
 * already holds it: the reservation covers exactly what 32 + 32 bits can reach); returns the
 * displacement the access adds (the offset, or 0 when the offset was added here). No bounds
 * check: past the memory's size the reservation faults (memory.c, native_fault).
 */
static int32_t effective_address(emitter *e, uint32_t a, uint32_t off)
{
    int r = slot_reg(e, a);
    bool carried = a == e->carry;
    e->carry = NO_SLOT;
    if (r >= 0)
        op_rr(e, false, 0x8B, 1, RAX, r);                   /* mov eax, r32 */
    else if (carried)
        op_rr(e, false, 0x8B, 1, RAX, RAX);                 /* mov eax, eax */
    else
        op_mem(e, false, 0x8B, 1, RAX, RBX, -1, SLOT(a));
    if (off <= INT32_MAX)
        return (int32_t)off;                                /* [r13 + rax + off] */
    mov_imm64(e, RDX, off);
    op_rr(e, true, 0x01, 1, RDX, RAX);                      /* add rax, rdx */
    return 0;
}

typedef struct mem_form { uint32_t opcode; int nop; bool w; } mem_form;

static void emit_load(emitter *e, const uint32_t *ip, mem_form f)
{
    e->accesses_memory = true;
    int32_t disp = effective_address(e, ip[2], ip[3]);
    int r = slot_reg(e, ip[1]);
    int t = r >= 0 ? r : RCX;
    op_mem(e, f.w, f.opcode, f.nop, t, R13, RAX, disp);
    if (t == RCX)
        store_slot(e, RCX, ip[1]);
}

static void emit_store(emitter *e, const uint32_t *ip, mem_form f)
{
    e->accesses_memory = true;
    int v = slot_reg(e, ip[2]);
    bool value_in_rax = v < 0 && ip[2] == e->carry;
    if (value_in_rax)
        op_rr(e, true, 0x89, 1, RAX, RCX);                          /* mov rcx, rax */
    int32_t disp = effective_address(e, ip[1], ip[3]);
    if (v < 0) {
        if (!value_in_rax)
            load_slot(e, true, RCX, ip[2]);
        v = RCX;
    }
    op_mem(e, f.w, f.opcode, f.nop, v, R13, RAX, disp);
}

/* A wasm call of defined function `callee` with its frame at slot b: the interpreter's bounds
 * (value stack, then frames), the call, the frame given back. */
static void emit_local_call(emitter *e, uint32_t b, uint32_t frame_slots, bool indirect)
{
    op_mem(e, true, 0x8D, 1, RDI, RBX, -1, SLOT(b));            /* lea rdi, [rbx + 8 b] */
    if (!indirect) {
        op_mem(e, true, 0x8D, 1, RAX, RDI, -1, SLOT(frame_slots));
        op_mem(e, true, 0x3B, 1, RAX, R12, -1, offsetof(native_ctx, slots_end));   /* cmp rax, slots_end */
        jmp_stub(e, CC_A, PVF_TRAP_STACK_EXHAUSTED);
    }
    /* cmp qword [r12 + frames_left], 0; je stack exhausted; dec */
    rex(e, true, 0, 0, R12, false);
    put(e, 0x83);
    put(e, (uint8_t)(0x80 | 7 << 3 | (R12 & 7)));
    put(e, 0x24);
    put32(e, offsetof(native_ctx, frames_left));
    put(e, 0x00);
    jmp_stub(e, CC_E, PVF_TRAP_STACK_EXHAUSTED);
    op_mem(e, true, 0xFF, 1, 1, R12, -1, offsetof(native_ctx, frames_left));   /* dec */
}

static void emit_after_call(emitter *e)
{
    op_mem(e, true, 0xFF, 1, 0, R12, -1, offsetof(native_ctx, frames_left));   /* inc */
    test_eax_propagate(e);
}

/* height = (u32)(height + k) — k may be "negative" (subtraction) */
static void adjust_height(emitter *e, uint32_t k, bool add)
{
    ctx_load(e, RAX, offsetof(native_ctx, height));
    op_mem(e, false, 0x8B, 1, RCX, RAX, -1, 0);         /* mov ecx, [rax] */
    op_digit(e, false, 0x81, add ? 0 : 5, RCX);
    put32(e, k);                                        /* add/sub ecx, k */
    op_mem(e, true, 0x89, 1, RCX, RAX, -1, 0);          /* mov [rax], rcx */
}

/* op reg, [base + index * 2^scale + disp] */
static void op_mem_scaled(emitter *e, bool w, uint32_t opcode, int nop, int reg, int base, int index, int scale,
                          int32_t disp)
{
    op_mem(e, w, opcode, nop, reg, base, index, disp);
    if (!e->failed)
        e->buf[e->len - 5] |= (uint8_t)(scale << 6);               /* the SIB byte */
}

/*
 * call_indirect i j a b: inline when the callee is a function of this instance — the
 * interpreter's checks in its order (table bounds, a null element, the type, the value stack,
 * the frames), then a direct call; any other callee (a host function, another instance's)
 * goes through interp_call_indirect.
 */
static void emit_call_indirect(emitter *e, const pvf_code *code, uint32_t w)
{
    const uint32_t *ip = code->code + w;
    const pvf_functype *t = &code->types[ip[1]];
    for (uint32_t i = 0; i < t->nparams; i++)                      /* the callee reads its arguments there */
        slot_to_frame(e, ip[4] + i);
    load_first_rax(e, false, ip[3]);                                /* eax = the element index */
    ctx_load(e, RCX, offsetof(native_ctx, tables));
    op_mem(e, true, 0x8B, 1, RCX, RCX, -1, SLOT(ip[2]));            /* rcx = tables[j] */
    op_mem(e, false, 0x3B, 1, RAX, RCX, -1, offsetof(pvf_table, size));
    jmp_stub(e, CC_AE, PVF_TRAP_TABLE_OUT_OF_BOUNDS);
    op_mem(e, true, 0x8B, 1, RCX, RCX, -1, offsetof(pvf_table, elems));
    op_mem_scaled(e, true, 0x8B, 1, RCX, RCX, RAX, 3, 0);          /* rcx = elems[a] */
    op_rr(e, true, 0x85, 1, RCX, RCX);
    jmp_stub(e, CC_E, PVF_TRAP_UNINITIALIZED_ELEMENT);
    ctx_load(e, RDX, offsetof(native_ctx, inst));
    op_mem(e, true, 0x3B, 1, RDX, RCX, -1, offsetof(pvf_func, inst));
    size_t to_general = jump32(e, CC_NE);                           /* the general path, below */
    op_mem(e, false, 0x8B, 1, RAX, RCX, -1, offsetof(pvf_func, index));   /* eax = the callee */
    ctx_load(e, RDX, offsetof(native_ctx, funcs));
    op_mem_scaled(e, false, 0x81, 1, 7, RDX, RAX, 3, offsetof(func_info, canon));
    put32(e, code->type_canon[ip[1]]);                              /* cmp funcs[callee].canon, canon(i) */
    jmp_stub(e, CC_NE, PVF_TRAP_INDIRECT_CALL_TYPE);
    op_mem_scaled(e, false, 0x8B, 1, RDX, RDX, RAX, 3, offsetof(func_info, frame_slots));
    op_mem_scaled(e, true, 0x8D, 1, RDX, RBX, RDX, 3, SLOT(ip[4]));   /* rdx = fp + b + frame_slots */
    op_mem(e, true, 0x3B, 1, RDX, R12, -1, offsetof(native_ctx, slots_end));
    jmp_stub(e, CC_A, PVF_TRAP_STACK_EXHAUSTED);
    emit_local_call(e, ip[4], 0, true);
    ctx_load(e, RCX, offsetof(native_ctx, entries));
    op_mem_scaled(e, true, 0xFF, 1, 2, RCX, RAX, 3, 0);            /* call [entries + 8 callee] */
    op_mem(e, true, 0xFF, 1, 0, R12, -1, offsetof(native_ctx, frames_left));   /* inc */
    test_eax_propagate(e);
    for (uint32_t i = 0; i < t->nresults; i++)
        slot_from_frame(e, ip[4] + i);
    size_t to_done = jump32(e, -1);
    land32(e, to_general);
    /* another instance's function or a host function: interp_call_indirect(inst, callee, type,
     * slots, frames_left, trap) checks the type and makes the external call */
    flush_slots(e);
    op_rr(e, true, 0x89, 1, RCX, RSI);                              /* mov rsi, rcx (the callee) */
    ctx_load(e, RDI, offsetof(native_ctx, inst));
    mov_imm64(e, RDX, ip[1]);
    op_mem(e, true, 0x8D, 1, RCX, RBX, -1, SLOT(ip[4]));
    external_call(e, R8, R9, offsetof(native_ctx, indirect_fn));
    land32(e, to_done);
}

/* ------------------------------------------------------------------ one function */

static void emit_epilogue(emitter *e);

static bool emit_op(emitter *e, const pvf_code *code, uint32_t w)
{
    const uint32_t *ip = code->code + w;
    uint32_t op = ip[0];
    bool target = e->target[w - e->base];
    e->carry = target ? NO_SLOT : e->rax_slot;
    e->store_at = e->rax_store_at;
    e->flags_carry = target ? NO_SLOT : e->flags_slot;
    e->carry_cc = e->flags_cc;
    e->rax_slot = NO_SLOT;      /* set again by a store of rax that ends the op */
    e->rax_store_at = SIZE_MAX;
    e->flags_slot = NO_SLOT;
    switch (op) {
#define BIN(NAME, W, OP)                                                                      \
    case IR_##NAME: bin_op(e, W, OP, ip[1], ip[2], false, ip[3]); break;                        \
    case IR_##NAME##_K: bin_op(e, W, OP, ip[1], ip[2], true, W ? (ip[3] | (uint64_t)ip[4] << 32) : ip[3]); break;
    BIN(I32_ADD, false, OP_ADD) BIN(I32_SUB, false, OP_SUB) BIN(I32_AND, false, OP_AND)
    BIN(I32_OR, false, OP_OR) BIN(I32_XOR, false, OP_XOR) BIN(I32_MUL, false, OP_IMUL)
    BIN(I64_ADD, true, OP_ADD) BIN(I64_SUB, true, OP_SUB) BIN(I64_AND, true, OP_AND)
    BIN(I64_OR, true, OP_OR) BIN(I64_XOR, true, OP_XOR) BIN(I64_MUL, true, OP_IMUL)
#undef BIN
#define SHIFT(NAME, W, DIGIT)                                                                 \
    case IR_##NAME: shift_op(e, W, DIGIT, ip[1], ip[2], false, ip[3]); break;                  \
    case IR_##NAME##_K: shift_op(e, W, DIGIT, ip[1], ip[2], true, ip[3]); break;
    SHIFT(I32_SHL, false, 4) SHIFT(I32_SHR_S, false, 7) SHIFT(I32_SHR_U, false, 5)
    SHIFT(I32_ROTL, false, 0) SHIFT(I32_ROTR, false, 1)
    SHIFT(I64_SHL, true, 4) SHIFT(I64_SHR_S, true, 7) SHIFT(I64_SHR_U, true, 5)
    SHIFT(I64_ROTL, true, 0) SHIFT(I64_ROTR, true, 1)
#undef SHIFT
#define DIV(NAME, W, SIGNED, REM)                                                             \
    case IR_##NAME: div_op(e, W, SIGNED, REM, ip[1], ip[2], false, ip[3]); break;              \
    case IR_##NAME##_K: div_op(e, W, SIGNED, REM, ip[1], ip[2], true, W ? (ip[3] | (uint64_t)ip[4] << 32) : ip[3]); break;
    DIV(I32_DIV_S, false, true, false) DIV(I32_DIV_U, false, false, false)
    DIV(I32_REM_S, false, true, true) DIV(I32_REM_U, false, false, true)
    DIV(I64_DIV_S, true, true, false) DIV(I64_DIV_U, true, false, false)
    DIV(I64_REM_S, true, true, true) DIV(I64_REM_U, true, false, true)
#undef DIV
#define CMP(CMP_, INV)                                                                        \
    case IR_I32_##CMP_: case IR_I32_##CMP_##_K:                                                \
        compare(e, false, ip[2], op == IR_I32_##CMP_##_K, ip[3]);                              \
        setcc_store(e, CMP_CC[(IR_I32_##CMP_ - IR_I32_EQ) / 2], ip[1]);                        \
        break;                                                                                \
    case IR_I64_##CMP_: case IR_I64_##CMP_##_K:                                                \
        compare(e, true, ip[2], op == IR_I64_##CMP_##_K,                                       \
                op == IR_I64_##CMP_##_K ? (ip[3] | (uint64_t)ip[4] << 32) : ip[3]);            \
        setcc_store(e, CMP_CC[(IR_I64_##CMP_ - IR_I64_EQ) / 2], ip[1]);                        \
        break;
    IR_BR_CMPS(CMP)
#undef CMP
    case IR_I32_EQZ:
    case IR_I64_EQZ:
        test_slot(e, op == IR_I64_EQZ, ip[2]);
        setcc_store(e, CC_E, ip[1]);
        break;
    case IR_I32_CLZ: bitcount_op(e, false, 0, ip[1], ip[2]); break;
    case IR_I32_CTZ: bitcount_op(e, false, 1, ip[1], ip[2]); break;
    case IR_I32_POPCNT: bitcount_op(e, false, 2, ip[1], ip[2]); break;
    case IR_I64_CLZ: bitcount_op(e, true, 0, ip[1], ip[2]); break;
    case IR_I64_CTZ: bitcount_op(e, true, 1, ip[1], ip[2]); break;
    case IR_I64_POPCNT: bitcount_op(e, true, 2, ip[1], ip[2]); break;
    case IR_I32_WRAP_I64:
    case IR_I64_EXTEND_I32_U: {
        /* a 32-bit move truncates: never the carried rax, which holds an i64 for WRAP; and
         * always a move, even within one register (d == a) */
        int r = slot_reg(e, ip[1]), a = slot_reg(e, ip[2]);
        int t = r >= 0 ? r : RAX;
        if (a >= 0)
            op_rr(e, false, 0x8B, 1, t, a);
        else
            op_mem(e, false, 0x8B, 1, t, RBX, -1, SLOT(ip[2]));
        finish_result(e, t, ip[1]);
        break;
    }
    case IR_I64_EXTEND_I32_S:
    case IR_I64_EXTEND32_S:
    case IR_I32_EXTEND8_S:
    case IR_I32_EXTEND16_S:
    case IR_I64_EXTEND8_S:
    case IR_I64_EXTEND16_S: {
        bool w = op != IR_I32_EXTEND8_S && op != IR_I32_EXTEND16_S;
        uint32_t opc = op == IR_I32_EXTEND8_S || op == IR_I64_EXTEND8_S     ? 0x0FBE   /* movsx r, r/m8 */
                       : op == IR_I32_EXTEND16_S || op == IR_I64_EXTEND16_S ? 0x0FBF   /* movsx r, r/m16 */
                                                                            : 0x63;    /* movsxd */
        int r = slot_reg(e, ip[1]);
        int t = r >= 0 ? r : RAX;
        op_slot(e, w, opc, opc == 0x63 ? 1 : 2, t, ip[2]);
        finish_result(e, t, ip[1]);
        break;
    }
    case IR_COPY:
        if (slot_reg(e, ip[1]) >= 0) {
            load_slot(e, true, slot_reg(e, ip[1]), ip[2]);
        } else {
            load_first_rax(e, true, ip[2]);
            store_slot(e, RAX, ip[1]);
        }
        break;
    case IR_CONST32:
    case IR_CONST64: {
        uint64_t v = op == IR_CONST32 ? ip[2] : ip[2] | (uint64_t)ip[3] << 32;
        int r = slot_reg(e, ip[1]);
        if (r >= 0 && v == 0) {
            op_rr(e, false, 0x31, 1, r, r);                         /* xor r32, r32 */
        } else {
            mov_imm64(e, r >= 0 ? r : RAX, v);
            finish_result(e, r >= 0 ? r : RAX, ip[1]);
        }
        break;
    }
    case IR_SELECT:
        if (ip[4] == e->flags_carry) {      /* the condition's compare just set the flags */
            load_slot(e, true, RAX, ip[3]);
            op_slot(e, true, 0x0F40 | (uint32_t)e->carry_cc, 2, RAX, ip[2]);   /* cmovcc rax, a */
            store_slot(e, RAX, ip[1]);
            break;
        }
        load_slot(e, false, RCX, ip[4]);
        load_slot(e, true, RAX, ip[2]);
        op_rr(e, false, 0x85, 1, RCX, RCX);
        op_slot(e, true, 0x0F44, 2, RAX, ip[3]);                    /* cmovz rax, b */
        store_slot(e, RAX, ip[1]);
        break;
    case IR_GLOBAL_GET:
        ctx_load(e, RAX, offsetof(native_ctx, globals));
        op_mem(e, true, 0x8B, 1, RAX, RAX, -1, SLOT(ip[2]));
        op_mem(e, true, 0x8B, 1, RAX, RAX, -1, 0);
        store_slot(e, RAX, ip[1]);
        break;
    case IR_GLOBAL_SET:
        ctx_load(e, RAX, offsetof(native_ctx, globals));
        op_mem(e, true, 0x8B, 1, RAX, RAX, -1, SLOT(ip[2]));
        load_slot(e, true, RCX, ip[1]);
        op_mem(e, true, 0x89, 1, RCX, RAX, -1, 0);
        break;

#define LOAD(NAME, OPC, NOP, W) case IR_##NAME: emit_load(e, ip, (mem_form){ OPC, NOP, W }); break;
    LOAD(I32_LOAD, 0x8B, 1, false) LOAD(I64_LOAD, 0x8B, 1, true) LOAD(F32_LOAD, 0x8B, 1, false)
    LOAD(F64_LOAD, 0x8B, 1, true) LOAD(I32_LOAD8_S, 0x0FBE, 2, false) LOAD(I32_LOAD8_U, 0x0FB6, 2, false)
    LOAD(I32_LOAD16_S, 0x0FBF, 2, false) LOAD(I32_LOAD16_U, 0x0FB7, 2, false)
    LOAD(I64_LOAD8_S, 0x0FBE, 2, true) LOAD(I64_LOAD8_U, 0x0FB6, 2, false)
    LOAD(I64_LOAD16_S, 0x0FBF, 2, true) LOAD(I64_LOAD16_U, 0x0FB7, 2, false)
    LOAD(I64_LOAD32_S, 0x63, 1, true) LOAD(I64_LOAD32_U, 0x8B, 1, false)
#undef LOAD
#define STORE(NAME, OPC, NOP, W) case IR_##NAME: emit_store(e, ip, (mem_form){ OPC, NOP, W }); break;
    STORE(I32_STORE, 0x89, 1, false) STORE(I64_STORE, 0x89, 1, true) STORE(F32_STORE, 0x89, 1, false)
    STORE(F64_STORE, 0x89, 1, true) STORE(I32_STORE8, 0x88, 1, false) STORE(I32_STORE16, 0x660089, 3, false)
    STORE(I64_STORE8, 0x88, 1, false) STORE(I64_STORE16, 0x660089, 3, false) STORE(I64_STORE32, 0x89, 1, false)
#undef STORE

    case IR_BR:
        jmp_ir(e, -1, ip[1]);
        break;
    case IR_BR_IF:
    case IR_BR_UNLESS:
        if (ip[1] == e->flags_carry) {      /* the condition's compare just set the flags */
            jmp_ir(e, op == IR_BR_IF ? e->carry_cc : e->carry_cc ^ 1, ip[2]);
            break;
        }
        test_slot(e, false, ip[1]);
        jmp_ir(e, op == IR_BR_IF ? CC_NE : CC_E, ip[2]);
        break;
    case IR_BR_TABLE: {
        uint32_t n = ip[2];
        load_first_rax(e, false, ip[1]);
        mov_imm64(e, RCX, n);
        op_rr(e, false, 0x39, 1, RCX, RAX);                         /* cmp eax, ecx */
        op_rr(e, false, 0x0F43, 2, RAX, RCX);                       /* cmovae eax, ecx */
        put(e, 0x48);
        put(e, 0x8D);
        put(e, 0x0D);                                               /* lea rcx, [rip + table] */
        uint32_t lea_end = (uint32_t)e->len + 4;
        put32(e, 0);                                                /* patched below: the table follows the jmp */
        op_mem_scaled(e, true, 0x63, 1, RAX, RCX, RAX, 2, 0);      /* movsxd rax, [rcx + rax*4] */
        op_rr(e, true, 0x01, 1, RCX, RAX);                          /* add rax, rcx */
        put(e, 0xFF);
        put(e, 0xE0);                                               /* jmp rax */
        uint32_t table = (uint32_t)e->len;
        if (!e->failed)
            memcpy(e->buf + lea_end - 4, &(uint32_t){ table - lea_end }, 4);
        for (uint32_t i = 0; i <= n; i++)
            branch_fixup(e, ip[3 + i], true, table);
        break;
    }
#define BRCMP(CMP_, INV)                                                                      \
    case IR_BR_I32_##CMP_:                                                                    \
    case IR_BR_I32_##CMP_##_K:                                                                \
        compare(e, false, ip[1], op == IR_BR_I32_##CMP_##_K, ip[2]);                          \
        jmp_ir(e, CMP_CC[(IR_BR_I32_##CMP_ - IR_BR_I32_EQ) / 2], ip[3]);                      \
        break;
    IR_BR_CMPS(BRCMP)
#undef BRCMP
    case IR_RETURN1: {
        /* the result goes to the frame's slot 0 itself: the caller reads it there */
        int r = slot_reg(e, ip[1]);
        if (r < 0) {
            load_first_rax(e, true, ip[1]);
            r = RAX;
        }
        op_mem(e, true, 0x89, 1, r, RBX, -1, 0);
        op_rr(e, false, 0x31, 1, RAX, RAX);                         /* xor eax, eax */
        jmp_stub(e, -1, STUB_RETURN_EAX);
        break;
    }
    case IR_RETURN:
        for (uint32_t i = 0; i < e->nresults; i++)                  /* results are in fp[0..n) */
            slot_to_frame(e, i);
        op_rr(e, false, 0x31, 1, RAX, RAX);                         /* xor eax, eax */
        jmp_stub(e, -1, STUB_RETURN_EAX);
        break;
    case IR_UNREACHABLE:
        jmp_stub(e, -1, PVF_TRAP_UNREACHABLE);
        break;
    case IR_TRAP_MISSING:
        jmp_stub(e, -1, PVF_TRAP_MISSING_IMPORT);
        break;
    case IR_CALL_METERED:
        adjust_height(e, ip[3], true);
        op_mem(e, false, 0x3B, 1, RCX, R12, -1, offsetof(native_ctx, limit));  /* cmp ecx, limit */
        jmp_stub(e, CC_A, PVF_TRAP_UNREACHABLE);
        /* fall through */
    case IR_CALL: {
        /* the callee reads its arguments from its frame (slots b..) and leaves its results
         * there; it gives back every register it uses */
        const code_func *callee = &code->funcs[ip[1]];
        for (uint32_t i = 0; i < callee->nparams; i++)
            slot_to_frame(e, ip[2] + i);
        emit_local_call(e, ip[2], callee->frame_slots, false);
        put(e, 0xE8);
        add_fixup(e, FIX_CALL, ip[1], 0);
        emit_after_call(e);
        for (uint32_t i = 0; i < callee->nresults; i++)
            slot_from_frame(e, ip[2] + i);
        if (op == IR_CALL_METERED)
            adjust_height(e, ip[3], false);
        break;
    }
    case IR_CALL_IMPORT:
        flush_slots(e);
        ctx_load(e, RDI, offsetof(native_ctx, inst));
        mov_imm64(e, RSI, ip[1]);
        op_mem(e, true, 0x8D, 1, RDX, RBX, -1, SLOT(ip[2]));
        external_call(e, RCX, R8, offsetof(native_ctx, import_fn));
        break;
    case IR_CALL_INDIRECT:
        emit_call_indirect(e, code, w);
        break;
    default:
        /* everything else: the interpreter's own definition of the op */
        call_step(e, w);
        break;
    }
    return !e->failed;
}

/* Hand the slots of region `from` over to region `to`: what `from` wrote goes to the frame,
 * what `to` holds comes from it (unless it already sits in that register). Moves only: rax
 * and the flags pass through unchanged. */
static void emit_sync(emitter *e, const region_alloc *from, const region_alloc *to)
{
    for (uint32_t i = 0; i < from->nalloc; i++)
        if (from->written[i])
            op_mem(e, true, 0x89, 1, ALLOC_REGS[i], RBX, -1, SLOT(from->slot[i]));
    for (uint32_t i = 0; i < to->nalloc; i++)
        if (!(i < from->nalloc && from->slot[i] == to->slot[i]))
            op_mem(e, true, 0x8B, 1, ALLOC_REGS[i], RBX, -1, SLOT(to->slot[i]));
}

/* trap_frame(ctx->trap, this function), inline: eax (the trap) stays. */
static void record_frame(emitter *e)
{
    ctx_load(e, RDX, offsetof(native_ctx, trap));
    op_mem(e, false, 0x8B, 1, RCX, RDX, -1, offsetof(pvf_trap, nframes));      /* mov ecx, nframes */
    op_digit(e, false, 0x81, 7, RCX);
    put32(e, PVF_TRAP_FRAMES_MAX);                                              /* cmp ecx, MAX */
    size_t full = jump8(e, CC_AE);
    op_mem_scaled(e, false, 0xC7, 1, 0, RDX, RCX, 2, offsetof(pvf_trap, frames));
    put32(e, e->func);                                  /* mov dword [rdx + 4 rcx + frames], func */
    land(e, full);
    op_mem(e, false, 0xFF, 1, 0, RDX, -1, offsetof(pvf_trap, nframes));         /* inc nframes */
}

/* Make region r the current one: its slots, its registers. */
static void use_region(emitter *e, uint32_t r)
{
    for (uint32_t i = 0; i < e->ra->nalloc; i++)
        e->reg[e->ra->slot[i]] = -1;
    e->cur = r;
    e->ra = &e->regions[r];
    for (uint32_t i = 0; i < e->ra->nalloc; i++)
        e->reg[e->ra->slot[i]] = (int8_t)ALLOC_REGS[i];
}

/* Emit the stubs this function's code jumped to, and resolve those jumps. */
static void finish_function(emitter *e, size_t first_fix)
{
    for (size_t i = 0; i < e->nsyncs; i++) {    /* region-crossing branches: sync, jump on */
        sync_stub *st = &e->syncs[i];
        st->at = (uint32_t)e->len;
        emit_sync(e, &e->regions[st->from], &e->regions[st->to]);
        jump(e, -1, FIX_IR, st->target);
    }
    uint32_t stub_at[NSTUBS] = { 0 };
    bool used[NSTUBS] = { false };
    for (size_t i = first_fix; i < e->nfix; i++)
        if (e->fix[i].kind == FIX_STUB)
            used[e->fix[i].target] = true;
    used[PVF_TRAP_MEMORY_OUT_OF_BOUNDS] |= e->accesses_memory;    /* where native_fault sends a fault */
    for (uint32_t k = 0; k < NSTUBS; k++) {
        if (!used[k])
            continue;
        stub_at[k] = (uint32_t)e->len;
        if (k < STUB_RETURN_EAX) {
            put(e, 0xB8);
            put32(e, k);                                            /* mov eax, kind */
        }
        if (k != STUB_RETURN_EAX)
            record_frame(e);
        emit_epilogue(e);
    }
    e->fault_stub = used[PVF_TRAP_MEMORY_OUT_OF_BOUNDS] ? stub_at[PVF_TRAP_MEMORY_OUT_OF_BOUNDS] : NO_FAULT_STUB;
    if (e->failed)
        return;
    /* Branches, jump tables and stubs are this function's: resolve them now; only calls
     * (to functions perhaps not emitted yet) stay for the end. */
    size_t kept = first_fix;
    for (size_t i = first_fix; i < e->nfix; i++) {
        fixup *f = &e->fix[i];
        uint32_t v;
        if (f->kind == FIX_STUB)
            v = stub_at[f->target] - (f->pos + 4);
        else if (f->kind == FIX_IR)
            v = e->at[f->target - e->base] - (f->pos + 4);
        else if (f->kind == FIX_TABLE)
            v = e->at[f->target - e->base] - f->base;
        else if (f->kind == FIX_SYNC)
            v = e->syncs[f->target].at - (f->pos + 4);
        else if (f->kind == FIX_TABLE_SYNC)
            v = e->syncs[f->target].at - f->base;
        else {
            e->fix[kept++] = *f;
            continue;
        }
        memcpy(e->buf + f->pos, &v, 4);
    }
    e->nfix = kept;
}

/* The branch targets of the op at ip: their count, and *list pointing at them in the IR. */
static uint32_t branch_targets(const uint32_t *ip, const uint32_t **list)
{
    switch (ip[0]) {
    case IR_BR: *list = ip + 1; return 1;
    case IR_BR_IF: case IR_BR_UNLESS: *list = ip + 2; return 1;
    case IR_BR_TABLE: *list = ip + 3; return ip[2] + 1;
#define BRCMP_TARGET(cmp, inv) case IR_BR_I32_##cmp: case IR_BR_I32_##cmp##_K: *list = ip + 3; return 1;
    IR_BR_CMPS(BRCMP_TARGET)
#undef BRCMP_TARGET
    default: return 0;
    }
}

/*
 * Mark every IR word a branch of the function [entry, end) lands on, and count loop nesting:
 * a branch back to word t from an op ending at word n makes [t, n) one loop deeper.
 */
static void mark_targets(emitter *e, const pvf_code *code, uint32_t entry, uint32_t end)
{
    memset(e->depth, 0, (size_t)(end - entry + 1) * sizeof *e->depth);
    for (uint32_t w = entry; w < end;) {
        const uint32_t *ip = code->code + w;
        const uint32_t *list;
        uint32_t words = ir_op_words(ip), n = branch_targets(ip, &list);
        for (uint32_t i = 0; i < n; i++) {
            e->target[list[i] - entry] = 1;
            if (list[i] <= w) {
                e->depth[list[i] - entry]++;
                e->depth[w + words - entry]--;
            }
        }
        w += words;
    }
    int32_t depth = 0;
    for (uint32_t i = 0; i < end - entry; i++)
        e->depth[i] = depth += e->depth[i];
    /* regions: 0 outside loops, then one per outermost loop (a maximal run of ops inside loops) */
    e->nregions = 1;
    bool in_loop = false;
    for (uint32_t w = entry; w < end; w += ir_op_words(code->code + w)) {
        bool inside = e->depth[w - entry] > 0;
        if (inside && !in_loop)
            e->nregions++;
        in_loop = inside;
        e->region_of[w - entry] = inside ? (uint32_t)e->nregions - 1 : 0;
    }
}

/*
 * The slots the op's inline template reads or writes (into s[], at most 4); *writes: whether
 * s[0] is its result. -1: the op calls C code (interp_step, a host function, call_indirect's
 * checks), which reads the frame.
 */
static int template_slots(const uint32_t *ip, uint32_t s[4], bool *writes)
{
    uint32_t op = ip[0];
    *writes = false;
    switch (op) {
#define TS_BIN(NAME, wop) case IR_##NAME: s[2] = ip[3]; /* fall through */ case IR_##NAME##_K: \
        s[0] = ip[1]; s[1] = ip[2]; *writes = true; return op == IR_##NAME ? 3 : 2;
    IR_I32_BINOPS(TS_BIN) IR_I64_BINOPS(TS_BIN)
#undef TS_BIN
#define TS_BRCMP(cmp, inv) case IR_BR_I32_##cmp: s[1] = ip[2]; /* fall through */ case IR_BR_I32_##cmp##_K: \
        s[0] = ip[1]; return op == IR_BR_I32_##cmp ? 2 : 1;
    IR_BR_CMPS(TS_BRCMP)
#undef TS_BRCMP
#define TS_MEM(NAME, wop, bytes) case IR_##NAME:
    IR_STORES(TS_MEM)
        s[0] = ip[1];
        s[1] = ip[2];
        return 2;
    IR_LOADS(TS_MEM)
#undef TS_MEM
    case IR_COPY:
    case IR_I32_EQZ: case IR_I64_EQZ: case IR_I32_CLZ: case IR_I32_CTZ: case IR_I32_POPCNT:
    case IR_I64_CLZ: case IR_I64_CTZ: case IR_I64_POPCNT: case IR_I32_WRAP_I64:
    case IR_I64_EXTEND_I32_S: case IR_I64_EXTEND_I32_U: case IR_I32_EXTEND8_S: case IR_I32_EXTEND16_S:
    case IR_I64_EXTEND8_S: case IR_I64_EXTEND16_S: case IR_I64_EXTEND32_S:
        s[0] = ip[1];
        s[1] = ip[2];
        *writes = true;
        return 2;
    case IR_CONST32: case IR_CONST64: case IR_GLOBAL_GET:
        *writes = true;
        /* fall through */
    case IR_BR_IF: case IR_BR_UNLESS: case IR_BR_TABLE: case IR_RETURN1: case IR_GLOBAL_SET:
        s[0] = ip[1];
        return 1;
    case IR_SELECT:
        memcpy(s, ip + 1, 4 * sizeof *s);
        *writes = true;
        return 4;
    case IR_BR: case IR_RETURN: case IR_UNREACHABLE: case IR_TRAP_MISSING: case IR_CALL: case IR_CALL_METERED:
        return 0;
    default:
        return -1;
    }
}

/* A use inside `depth` loops counts 8^depth (capped): inner loops decide. */
static uint64_t use_weight(int32_t depth)
{
    return (uint64_t)1 << (3 * (depth < 0 ? 0 : depth > 10 ? 10 : depth));
}

/*
 * Choose the slots region r holds in registers: the most used ones in its ops [from, to)
 * (uses weighted by loop depth), as long as each is used more than a C helper call costs it
 * (written to the frame before, read back after: two moves per helper call).
 */
static void choose_slots(emitter *e, const pvf_code *code, uint32_t r, uint32_t from, uint32_t to)
{
    region_alloc *ra = &e->regions[r];
    *ra = (region_alloc){ 0 };
    uint64_t helper_cost = 0;
    size_t ntouched = 0;
    for (uint32_t w = from; w < to; w += ir_op_words(code->code + w)) {
        if (e->region_of[w - e->base] != r)
            continue;
        uint32_t sl[4];
        bool writes;
        int k = template_slots(code->code + w, sl, &writes);
        uint64_t weight = use_weight(e->depth[w - e->base]);
        if (k < 0) {
            helper_cost += 2 * weight;
            ra->helpers = true;
        }
        for (int i = 0; i < k; i++) {
            if (sl[i] >= e->nslots)
                continue;
            if (e->uses[sl[i]] == 0)
                e->touched[ntouched++] = sl[i];
            e->uses[sl[i]] += weight;
        }
    }
    while (ra->nalloc < NALLOC) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < ntouched; i++) {
            uint64_t u = e->uses[e->touched[i]];
            if (u > 1 && u > helper_cost && (best == SIZE_MAX || u > e->uses[e->touched[best]]))
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        ra->slot[ra->nalloc++] = e->touched[best];
        e->uses[e->touched[best]] = 0;      /* taken */
    }
    for (size_t i = 0; i < ntouched; i++)
        e->uses[e->touched[i]] = 0;
    for (uint32_t w = from; w < to; w += ir_op_words(code->code + w)) {   /* which the templates write */
        uint32_t sl[4];
        bool writes;
        if (e->region_of[w - e->base] != r || template_slots(code->code + w, sl, &writes) <= 0 || !writes)
            continue;
        for (uint32_t i = 0; i < ra->nalloc; i++)
            if (ra->slot[i] == sl[0])
                ra->written[i] = true;
    }
}

/* The register assignment of every region of the function [f->entry, end). */
static bool regalloc_function(emitter *e, const pvf_code *code, const code_func *f, uint32_t end)
{
    e->nslots = f->frame_slots;
    size_t n = e->nslots ? e->nslots : 1;
    if (!vec_reserve((void **)&e->reg, &e->reg_cap, n, sizeof *e->reg, 256) ||
        !vec_reserve((void **)&e->uses, &e->uses_cap, n, sizeof *e->uses, 256) ||
        !vec_reserve((void **)&e->touched, &e->touched_cap, n, sizeof *e->touched, 256) ||
        !vec_reserve((void **)&e->regions, &e->regions_cap, e->nregions, sizeof *e->regions, 16))
        return false;
    memset(e->reg, -1, n * sizeof *e->reg);
    memset(e->uses, 0, n * sizeof *e->uses);
    choose_slots(e, code, 0, f->entry, end);
    for (uint32_t i = 0; i < e->regions[0].nalloc; i++)     /* zeroed in the register only */
        if (e->regions[0].slot[i] >= f->nparams && e->regions[0].slot[i] < f->nparams + f->nlocals)
            e->regions[0].written[i] = true;
    for (uint32_t w = f->entry, r = 1; w < end && r < e->nregions;) {   /* loop regions: contiguous */
        if (e->region_of[w - e->base] != r) {
            w += ir_op_words(code->code + w);
            continue;
        }
        uint32_t start = w;
        while (w < end && e->region_of[w - e->base] == r)
            w += ir_op_words(code->code + w);
        choose_slots(e, code, r++, start, w);
    }
    /* Every register is callee-saved between wasm functions; a C helper saves only rbp, r15
     * and r14 of them, so a function that calls one saves all for its callers. */
    e->npush = 0;
    for (size_t r = 0; r < e->nregions; r++) {
        if (e->regions[r].helpers)
            e->npush = NALLOC;
        if (e->regions[r].nalloc > e->npush)
            e->npush = e->regions[r].nalloc;
    }
    e->nresults = f->nresults;
    e->nsyncs = 0;
    e->cur = 0;
    e->ra = &e->regions[0];
    for (uint32_t i = 0; i < e->ra->nalloc; i++)
        e->reg[e->ra->slot[i]] = (int8_t)ALLOC_REGS[i];
    return true;
}

/* push rbx and the registers the function uses (rsp stays 16-aligned at calls), rbx = fp; the
 * declared locals zeroed, region 0's slots loaded */
static void emit_prologue(emitter *e, const code_func *f)
{
    put(e, 0x53);                                                   /* push rbx */
    for (uint32_t i = 0; i < e->npush; i++) {
        rex(e, false, 0, 0, ALLOC_REGS[i], false);
        put(e, (uint8_t)(0x50 | (ALLOC_REGS[i] & 7)));              /* push reg */
    }
    if (e->npush % 2) {
        put(e, 0x48); put(e, 0x83); put(e, 0xEC); put(e, 0x08);    /* sub rsp, 8 */
    }
    op_rr(e, true, 0x89, 1, RDI, RBX);                              /* mov rbx, rdi */
    const region_alloc *ra = &e->regions[0];
    uint32_t in_frame = f->nlocals;                 /* locals region 0 keeps in registers: */
    for (uint32_t i = 0; i < ra->nalloc; i++)       /* zeroed there (and written back) */
        in_frame -= ra->slot[i] >= f->nparams && ra->slot[i] < f->nparams + f->nlocals;
    if (in_frame > 128) {
        op_rr(e, false, 0x31, 1, RAX, RAX);
        op_mem(e, true, 0x8D, 1, RDI, RBX, -1, SLOT(f->nparams));
        mov_imm64(e, RCX, f->nlocals);
        put(e, 0xF3);
        put(e, 0x48);
        put(e, 0xAB);                                               /* rep stosq */
    } else if (in_frame > 16) {
        put(e, 0x0F); put(e, 0x57); put(e, 0xC0);                   /* xorps xmm0, xmm0 */
        for (uint32_t i = 0; i < f->nlocals; i += 2) {
            if (i + 1 < f->nlocals)
                op_mem(e, false, 0x0F11, 2, 0, RBX, -1, SLOT(f->nparams + i));   /* movups [..], xmm0 */
            else
                op_mem(e, false, 0x660FD6, 4, 0, RBX, -1, SLOT(f->nparams + i)); /* movq [..], xmm0 */
        }
    } else if (in_frame) {
        op_rr(e, false, 0x31, 1, RAX, RAX);
        for (uint32_t i = 0; i < f->nlocals; i++)
            if (slot_reg(e, f->nparams + i) < 0)
                op_mem(e, true, 0x89, 1, RAX, RBX, -1, SLOT(f->nparams + i));
    }
    for (uint32_t i = 0; i < ra->nalloc; i++) {
        int r = ALLOC_REGS[i];
        if (ra->slot[i] < f->nparams)
            slot_from_frame(e, ra->slot[i]);
        else if (ra->slot[i] < f->nparams + f->nlocals)
            op_rr(e, false, 0x31, 1, r, r);                         /* xor r32, r32 */
    }
}

/* (rax already holds the result) everything the prologue pushed given back; ret */
static void emit_epilogue(emitter *e)
{
    if (e->npush % 2) {
        put(e, 0x48); put(e, 0x83); put(e, 0xC4); put(e, 0x08);    /* add rsp, 8 */
    }
    for (uint32_t i = e->npush; i-- > 0;) {
        rex(e, false, 0, 0, ALLOC_REGS[i], false);
        put(e, (uint8_t)(0x58 | (ALLOC_REGS[i] & 7)));              /* pop reg */
    }
    put(e, 0x5B);                                                   /* pop rbx */
    put(e, 0xC3);                                                   /* ret */
}

static bool emit_function(emitter *e, const pvf_code *code, const code_func *f, uint32_t end)
{
    size_t first_fix = e->nfix;
    e->func = (uint32_t)(f - code->funcs);
    e->accesses_memory = false;
    e->base = f->entry;
    e->span = end - f->entry;
    size_t cap = e->span_cap, rcap = e->span_cap;
    if (!vec_reserve((void **)&e->at, &cap, e->span ? e->span : 1, sizeof *e->at, 1024) ||
        !vec_reserve((void **)&e->region_of, &rcap, e->span ? e->span : 1, sizeof *e->region_of, 1024) ||
        !vec_reserve((void **)&e->depth, &e->depth_cap, (size_t)e->span + 1, sizeof *e->depth, 1024) ||
        !vec_reserve((void **)&e->target, &e->span_cap, e->span ? e->span : 1, 1, 1024)) {
        e->failed = true;
        return false;
    }
    memset(e->target, 0, e->span);
    mark_targets(e, code, f->entry, end);
    if (!regalloc_function(e, code, f, end)) {
        e->failed = true;
        return false;
    }
    e->rax_slot = NO_SLOT;
    e->rax_store_at = SIZE_MAX;
    e->flags_slot = NO_SLOT;
    emit_prologue(e, f);
    for (uint32_t w = f->entry; w < end && !e->failed;) {
        uint32_t r = e->region_of[w - e->base];
        if (r != e->cur) {                  /* falling into another region */
            emit_sync(e, e->ra, &e->regions[r]);
            use_region(e, r);
            e->rax_store_at = SIZE_MAX;
        }
        e->at[w - e->base] = (uint32_t)e->len;
        if (!emit_op(e, code, w))
            return false;
        w += ir_op_words(code->code + w);
    }
    finish_function(e, first_fix);
    return !e->failed;
}

/* ------------------------------------------------------------------ the whole code */

static int by_entry(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

/* The unmapped code of a prepare, as a runnable (mapped) one. */
static bool map_prepared(pvf_code *code, char *err, size_t errlen)
{
    native_code *n = code->native;
    native_code *m = native_code_map(code, n->mem, n->len, n->offsets, err, errlen);
    if (!m)
        return false;
    native_code_free(n);
    code->native = m;
    return true;
}

bool native_compile(pvf_code *code, bool runnable, char *err, size_t errlen)
{
    if (code->native)
        return !runnable || code->native->map_len || map_prepared(code, err, errlen);
    emitter e = { 0 };
    /* about 7 bytes of machine code per IR word: one allocation, no copying as it grows */
    e.cap = (size_t)code->ncode * 8 + 4096;
    e.buf = malloc(e.cap);
    if (!e.buf)
        e.cap = 0;
    uint32_t ndef = code->nfuncs - code->nfunc_imports;
    uint32_t *order = calloc(ndef ? ndef : 1, 2 * sizeof *order);  /* (entry, index) pairs */
    uint32_t *offset = calloc(code->nfuncs ? code->nfuncs : 1, 2 * sizeof *offset);
    native_code *n = calloc(1, sizeof *n);
    bool ok = order && offset && n;
    if (errlen)
        *err = 0;
    for (uint32_t i = 0; ok && i < ndef; i++) {
        order[2 * i] = code->funcs[code->nfunc_imports + i].entry;
        order[2 * i + 1] = code->nfunc_imports + i;
    }
    if (ok)
        qsort(order, ndef, 2 * sizeof *order, by_entry);
    for (uint32_t i = 0; ok && i < ndef; i++) {
        uint32_t fi = order[2 * i + 1];
        uint32_t end = i + 1 < ndef ? order[2 * (i + 1)] : code->ncode;
        while (e.len % 16)
            put(&e, 0xCC);                                          /* int3 padding */
        offset[fi] = (uint32_t)e.len;
        ok = emit_function(&e, code, &code->funcs[fi], end);
        offset[code->nfuncs + fi] = e.fault_stub;
    }
    for (size_t i = 0; ok && i < e.nfix; i++) {                     /* calls: every entry is known now */
        fixup *f = &e.fix[i];
        uint32_t v = offset[f->target] - (f->pos + 4);
        memcpy(e.buf + f->pos, &v, 4);
    }
    if (ok && runnable) {
        native_code *m = native_code_map(code, e.buf, e.len, offset, err, errlen);
        ok = m != NULL;
        if (ok) {
            free(n);
            n = m;
        }
    } else if (ok) {
        /* for the artifact only (prepare): the bytes as they are, never mapped executable */
        n->mem = e.buf;
        n->len = e.len;
        n->offsets = offset;
        e.buf = NULL;
        offset = NULL;
    }
    free(order);
    free(offset);
    free(e.at);
    free(e.target);
    free(e.depth);
    free(e.reg);
    free(e.uses);
    free(e.touched);
    free(e.regions);
    free(e.region_of);
    free(e.syncs);
    free(e.fix);
    free(e.buf);
    if (!ok) {
        free(n);
        if (!*err)
            snprintf(err, errlen, "native tier: out of memory compiling the code");
        return false;
    }
    code->native = n;
    return true;
}

bool native_artifact_too_big(const pvf_code *code)
{
    return (uint64_t)code->ncode * 4 + code->native->len > NATIVE_ARTIFACT_CODE_MAX;
}

/* n->by_start: the defined functions in the order of their code (the order they were emitted
 * in: by IR entry, which is index order for compile.c's code — then this is one pass) */
static int by_offset(const void *a, const void *b, void *arg)
{
    const uint32_t *offsets = arg;
    uint32_t x = offsets[*(const uint32_t *)a], y = offsets[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

static void sort_by_start(native_code *n)
{
    bool sorted = true;
    for (uint32_t i = n->nimports; i < n->nfuncs; i++) {
        n->by_start[i - n->nimports] = i;
        sorted = sorted && (i == n->nimports || n->offsets[i] > n->offsets[i - 1]);
    }
    if (!sorted)
        qsort_r(n->by_start, n->nfuncs - n->nimports, sizeof *n->by_start, by_offset, n->offsets);
}

bool native_offsets_valid(const pvf_code *code, size_t len, const uint32_t *offsets)
{
    for (uint32_t i = code->nfunc_imports; i < code->nfuncs; i++)
        if (offsets[i] >= len || (offsets[code->nfuncs + i] != NO_FAULT_STUB && offsets[code->nfuncs + i] >= len))
            return false;
    return true;
}

/*
 * Machine code of NATIVE_HUGE_CODE_MIN bytes or more is mapped in 2 MiB pages (transparent huge
 * pages, where the kernel has them enabled for madvise; else this changes nothing). Every job is
 * a fresh process, and every 4 KiB page of code a call runs costs it a TLB miss — on a
 * paravirtualised machine a shadow page-table fill of several microseconds: a Tick block's call
 * took 3.1 ms of a job's CPU with 4 KiB pages, 1.5 ms with 2 MiB ones (issue 14,
 * docs/BENCHMARKS.md). Fork copies a huge page's one entry, not 512. The cost: the rest of the
 * last 2 MiB page, once per loaded artifact, shared by the worker and its jobs. Smaller code
 * keeps 4 KiB pages (the adder's 120 KiB would waste most of a huge page).
 */
#define NATIVE_HUGE_CODE_MIN (512u << 10)
#define HUGE_PAGE_BYTES (2u << 20)

/* A writable mapping for *len bytes of code (at least 1), on a huge-page boundary when it is big;
 * *len becomes what was mapped. NULL when out of memory. */
static uint8_t *map_code(size_t *len)
{
    if (*len < NATIVE_HUGE_CODE_MIN) {
        void *m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        return m == MAP_FAILED ? NULL : m;
    }
    size_t want = (*len + HUGE_PAGE_BYTES - 1) & ~(size_t)(HUGE_PAGE_BYTES - 1);
    uint8_t *r = mmap(NULL, want + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)r + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1));
    if (a > r)
        munmap(r, (size_t)(a - r));
    munmap(a + want, (size_t)(r + HUGE_PAGE_BYTES - a));   /* the rest past the aligned span */
    (void)madvise(a, want, MADV_HUGEPAGE);      /* a hint: EINVAL without THP is fine */
    *len = want;
    return a;
}

native_code *native_code_map(const pvf_code *code, const uint8_t *bytes, size_t len, const uint32_t *offsets,
                             char *err, size_t errlen)
{
    /* popcnt is the one instruction the code uses beyond x86-64's baseline (x86-64-v2) */
    if (!__builtin_cpu_supports("popcnt"))
        return snprintf(err, errlen, "native tier: this CPU lacks popcnt (x86-64-v2); use --tier interp"), NULL;
    native_code *n = calloc(1, sizeof *n);
    if (!n)
        return snprintf(err, errlen, "native tier: out of memory"), NULL;
    n->len = len;
    n->map_len = len ? len : 1;
    n->nfuncs = code->nfuncs;
    n->nimports = code->nfunc_imports;
    n->offsets = calloc(code->nfuncs ? code->nfuncs : 1, 2 * sizeof *n->offsets);
    n->entries = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *n->entries);
    n->by_start = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *n->by_start);
    n->funcs = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *n->funcs);
    n->mem = map_code(&n->map_len);
    bool ok = n->offsets && n->entries && n->by_start && n->funcs && n->mem && native_offsets_valid(code, len, offsets);
    if (ok) {
        if (len)
            memcpy(n->mem, bytes, len);
        memcpy(n->offsets, offsets, 2 * (size_t)code->nfuncs * sizeof *offsets);
        sort_by_start(n);
        /* written, now never again: read + execute only (W^X) */
        ok = mprotect(n->mem, n->map_len, PROT_READ | PROT_EXEC) == 0;
    }
    for (uint32_t i = code->nfunc_imports; ok && i < code->nfuncs; i++) {
        n->entries[i] = n->mem + offsets[i];
        n->funcs[i] = (func_info){ code->type_canon[code->funcs[i].type_index], code->funcs[i].frame_slots };
    }
    if (!ok) {
        native_code_free(n);
        snprintf(err, errlen, "native tier: cannot map the machine code (bad entry offset, or out of memory)");
        return NULL;
    }
    return n;
}

const uint8_t *native_code_bytes(const native_code *n, size_t *len, const uint32_t **offsets)
{
    *len = n->len;
    *offsets = n->offsets;
    return n->mem;
}

void native_code_free(native_code *n)
{
    if (!n)
        return;
    if (n->mem && n->map_len)
        munmap(n->mem, n->map_len);
    else
        free(n->mem);               /* a prepare's unmapped bytes */
    free(n->offsets);
    free(n->entries);
    free(n->by_start);
    free(n->funcs);
    free(n);
}

/* ------------------------------------------------------------------ running */

/* native_enter(fn, fp, ctx, stack_top): pinned registers set, stack switched when stack_top is
 * not 0, fn(fp) called, everything callee-saved given back. */
pvf_trap_kind native_enter(void *fn, uint64_t *fp, native_ctx *ctx, uint8_t *stack_top);
__asm__(".text\n"
        ".globl native_enter\n"
        ".hidden native_enter\n"
        ".type native_enter, @function\n"
        "native_enter:\n"
        "  push %rbp\n"
        "  mov %rsp, %rbp\n"
        "  push %rbx\n"
        "  push %r12\n"
        "  push %r13\n"
        "  push %r14\n"
        "  push %r15\n"
        "  mov %rdx, %r12\n"
        "  mov 64(%rdx), %r13\n"            /* ctx->mbase */
        "  mov %rdi, %rax\n"
        "  mov %rsi, %rdi\n"
        "  test %rcx, %rcx\n"
        "  jz 1f\n"
        "  mov %rcx, %rsp\n"
        "1:\n"
        "  and $-16, %rsp\n"
        "  call *%rax\n"
        "  lea -40(%rbp), %rsp\n"
        "  pop %r15\n"
        "  pop %r14\n"
        "  pop %r13\n"
        "  pop %r12\n"
        "  pop %rbx\n"
        "  pop %rbp\n"
        "  ret\n"
        ".size native_enter, .-native_enter\n");

_Static_assert(offsetof(native_ctx, mbase) == 64, "native_enter reads ctx->mbase at 64");

static __thread uint8_t *native_stack __attribute__((tls_model("initial-exec")));    /* this thread's native stack (reserved on first use) */
/* The innermost native run on this thread (read by the fault handler: initial-exec TLS is a
 * plain load, safe in a signal handler). */
static __thread native_ctx *active __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ memory faults */

static struct sigaction previous_segv;      /* whoever handled SIGSEGV before us */
static pthread_once_t fault_handler_once = PTHREAD_ONCE_INIT;
static bool fault_handler_ok;
static __thread bool altstack_ready __attribute__((tls_model("initial-exec")));

/* The out-of-bounds stub of the function whose code holds `off` (binary search), or
 * NO_FAULT_STUB. Async-signal-safe: reads only. */
static uint32_t fault_stub_at(const native_code *n, uint32_t off)
{
    uint32_t lo = 0, hi = n->nfuncs - n->nimports;
    if (hi == 0 || off < n->offsets[n->by_start[0]])
        return NO_FAULT_STUB;
    while (hi - lo > 1) {                   /* the last function starting at or before off */
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->offsets[n->by_start[mid]] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return n->offsets[n->nfuncs + n->by_start[lo]];
}

/*
 * SIGSEGV: a load or store of the running native code past the memory's size touched the
 * PROT_NONE part of the reservation. Only a fault whose pc lies in the innermost run's machine
 * code and whose address lies in its memory's reservation is a wasm trap; the code address
 * finds the function (the trap table: every function's start and its out-of-bounds stub), and
 * the thread resumes at that stub — on the function's own stack frame, as the explicit jump
 * of a failed check would have — which returns the trap through every wasm frame, each
 * recording itself in the backtrace. Any other fault goes to the previous handler, or to the
 * default action (the process dies: a host bug, never a verdict).
 */
static void native_fault(int sig, siginfo_t *si, void *uctx)
{
    ucontext_t *uc = uctx;
    native_ctx *c = active;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], addr = (uintptr_t)si->si_addr;
    uint32_t stub = NO_FAULT_STUB;
    if (c && c->inst->memory) {
        uintptr_t code = (uintptr_t)c->code->mem, mem = (uintptr_t)c->inst->memory->base;
        if (pc - code < c->code->len && addr - mem < c->inst->memory->reserved)
            stub = fault_stub_at(c->code, (uint32_t)(pc - code));
    }
    if (stub != NO_FAULT_STUB) {
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)((uintptr_t)c->code->mem + stub);
        return;
    }
    if (previous_segv.sa_flags & SA_SIGINFO) {
        previous_segv.sa_sigaction(sig, si, uctx);
    } else if (previous_segv.sa_handler != SIG_DFL && previous_segv.sa_handler != SIG_IGN) {
        previous_segv.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);               /* returning re-runs the access: the default action */
    }
}

static void install_fault_handler(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = native_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    fault_handler_ok = sigaction(SIGSEGV, &sa, &previous_segv) == 0;
}

/* The handler (once per process) and an alternate signal stack (once per thread: the handler
 * must not run on a stack that might be the one that faulted). */
static bool fault_handling_ready(void)
{
    pthread_once(&fault_handler_once, install_fault_handler);
    if (!fault_handler_ok)
        return false;
    if (altstack_ready)
        return true;
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= NATIVE_ALTSTACK_BYTES)
        return altstack_ready = true;       /* the thread has one already */
    void *p = mmap(NULL, NATIVE_ALTSTACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    stack_t ss = { .ss_sp = p, .ss_size = NATIVE_ALTSTACK_BYTES, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(p, NATIVE_ALTSTACK_BYTES);
        return false;
    }
    return altstack_ready = true;
}

size_t native_stack_reserve_bytes(void)
{
    return NATIVE_STACK_BYTES;
}

bool native_thread_ready(void)
{
    return native_stack_ready() && fault_handling_ready();
}

bool native_stack_ready(void)
{
    if (native_stack)
        return true;
    void *s = mmap(NULL, NATIVE_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
    if (s == MAP_FAILED)
        return false;
    mprotect(s, 4096, PROT_NONE);           /* a guard page below */
    native_stack = s;
    return true;
}

pvf_trap_kind native_run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, uint64_t frames_left,
                         uint64_t *slots_end, pvf_trap *trap)
{
    const pvf_code *code = inst->code;
    const code_func *f = &code->funcs[fidx];
    if (fp + f->frame_slots > slots_end)
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    if (!native_stack_ready())
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    if (!fault_handling_ready())
        return trap_set(trap, PVF_TRAP_HOST);
    uint64_t unmetered = 0;
    const native_code *n = code->native;
    native_ctx ctx = {
        .inst = inst,
        .trap = trap,
        .height = code->metered ? inst->globals[code->stack_global] : &unmetered,
        .frames_left = frames_left,
        .slots_end = slots_end,
        .globals = inst->globals,
        .entries = n->entries,
        .tables = inst->tables,
        .funcs = n->funcs,
        .mbase = inst->memory ? inst->memory->base : NULL,
        .limit = code->stack_limit,
        .cbase = code->code,
        .step_fn = (void *)interp_step,
        .import_fn = (void *)interp_call_import,
        .indirect_fn = (void *)interp_call_indirect,
        .code = n,
        .outer = active,
    };
    trap->kind = PVF_TRAP_NONE;
    trap->nframes = 0;
    active = &ctx;
    pvf_trap_kind k = native_enter(n->entries[fidx], fp, &ctx, ctx.outer ? NULL : native_stack + NATIVE_STACK_BYTES);
    active = ctx.outer;
    if (k != PVF_TRAP_NONE && trap->kind != k)
        trap_set(trap, k);
    return k;
}

bool pvf_code_use_native(pvf_code *code, char *err, size_t errlen)
{
    return native_compile(code, true, err, errlen);
}

void pvf_code_use_interp(pvf_code *code)
{
    native_code_free(code->native);
    code->native = NULL;
}

#else /* not x86-64 Linux: the interpreter is the only tier */

bool native_compile(pvf_code *code, bool runnable, char *err, size_t errlen)
{
    (void)code, (void)runnable;
    snprintf(err, errlen, "the native tier needs x86-64 Linux");
    return false;
}

bool native_artifact_too_big(const pvf_code *code)
{
    (void)code;
    return false;
}

native_code *native_code_map(const pvf_code *code, const uint8_t *bytes, size_t len, const uint32_t *offsets,
                             char *err, size_t errlen)
{
    (void)code, (void)bytes, (void)len, (void)offsets;
    snprintf(err, errlen, "the native tier needs x86-64 Linux");
    return NULL;
}

bool native_offsets_valid(const pvf_code *code, size_t len, const uint32_t *offsets)
{
    (void)code, (void)len, (void)offsets;
    return true;
}

const uint8_t *native_code_bytes(const native_code *n, size_t *len, const uint32_t **offsets)
{
    (void)n;
    *len = 0;
    *offsets = NULL;
    return NULL;
}

void native_code_free(native_code *n)
{
    (void)n;
}

size_t native_stack_reserve_bytes(void)
{
    return 0;
}

bool native_stack_ready(void)
{
    return true;
}

bool native_thread_ready(void)
{
    return true;
}

pvf_trap_kind native_run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, uint64_t frames_left,
                         uint64_t *slots_end, pvf_trap *trap)
{
    (void)inst, (void)fidx, (void)fp, (void)frames_left, (void)slots_end;
    return trap_set(trap, PVF_TRAP_HOST);
}

bool pvf_code_use_native(pvf_code *code, char *err, size_t errlen)
{
    return native_compile(code, true, err, errlen);
}

void pvf_code_use_interp(pvf_code *code)
{
    (void)code;
}

#endif

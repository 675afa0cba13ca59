/*
 * native_x64.c — the native tier's x86-64 compiler and runner (see native.h).
 *
 * One pass over each function's IR: every op start gets its machine-code offset (branch
 * targets are IR word indices); branches, jump tables and trap exits are patched at the end of
 * the function, calls at the end of the code. Trap exits jump to per-function stubs that return
 * the trap kind; a nonzero kind returned by a call is passed up unchanged.
 */
#include "wasm/native.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/vec.h"
#include "wasm/code.h"
#include "wasm/ir.h"
#include "wasm/store.h"

#if defined(__x86_64__) && defined(__linux__)

#define NATIVE_STACK_BYTES (256u << 20)     /* the reference's native stack: 256 MiB */

/* ------------------------------------------------------------------ the run's context */

typedef struct native_ctx {
    pvf_instance *inst;         /* rdi of helper calls */
    pvf_trap *trap;
    uint64_t *height;           /* the stack limiter's global (a dummy when unmetered) */
    uint64_t frames_left;       /* wasm frames the interpreter's call stack could still take */
    uint64_t *slots_end;        /* end of the value stack */
    const uint64_t *msize;      /* &memory->size (or a zero) */
    uint64_t **globals;
    void *const *entries;       /* native entry of every function index (imports NULL) */
    uint8_t *mbase;
    uint64_t callee;            /* interp_call_indirect's local callee */
    uint32_t limit;             /* StackLogicalMax */
    const uint32_t *cbase;      /* the IR: helper calls name their op by its word index */
    void *step_fn, *import_fn, *indirect_fn;   /* the helpers: the code holds no absolute address */
} native_ctx;

struct native_code {
    uint8_t *mem;               /* read + exec */
    size_t len;                 /* bytes of code */
    size_t map_len;             /* bytes mapped (len, at least 1); 0: mem is a prepare's malloc'd bytes */
    uint32_t *offsets;          /* per function index: its entry's offset (imports 0) */
    void **entries;             /* per function index: mem + offset (imports NULL) */
};

/* ------------------------------------------------------------------ the emitter */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

typedef struct fixup {
    uint32_t pos;               /* of a rel32 (or a table entry) */
    uint32_t target;            /* IR word index, function index or stub */
    uint32_t base;              /* table entries: the table's start */
    uint8_t kind;
} fixup;

enum { FIX_IR, FIX_CALL, FIX_TABLE, FIX_STUB };

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
    size_t span_cap;
    uint32_t *at;
    uint8_t *target;
    uint32_t rax_slot;          /* the slot whose value rax holds (written through), or NO_SLOT */
    uint32_t carry;             /* rax_slot at the start of the op being emitted */
} emitter;

#define NO_SLOT UINT32_MAX

#define STUB_RETURN_EAX (PVF_TRAP_MISSING_IMPORT + 1)

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

/* op reg, [base + index + disp32] (index < 0: none) */
static void op_mem(emitter *e, bool w, uint32_t opcode, int nop, int reg, int base, int index, int32_t disp)
{
    if (nop == 3)
        put(e, (uint8_t)(opcode >> 16));           /* an operand-size prefix (0x66) comes before REX */
    rex(e, w, reg, index < 0 ? 0 : index, base, false);
    if (nop == 2)
        put(e, (uint8_t)(opcode >> 8));
    put(e, (uint8_t)opcode);
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

/* op dst, src (register forms: ModRM reg = src, rm = dst) */
static void op_rr(emitter *e, bool w, uint32_t opcode, int nop, int reg, int rm)
{
    rex(e, w, reg, 0, rm, false);
    if (nop >= 2)
        put(e, (uint8_t)(opcode >> 8));
    put(e, (uint8_t)opcode);
    put(e, (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7)));
}

#define SLOT(s) ((int32_t)(8 * (s)))

static void load_slot(emitter *e, bool w, int reg, uint32_t slot)   /* mov reg, [rbx + 8 slot] */
{
    op_mem(e, w, 0x8B, 1, reg, RBX, -1, SLOT(slot));
}

static void store_slot(emitter *e, int reg, uint32_t slot)          /* mov [rbx + 8 slot], reg (64) */
{
    op_mem(e, true, 0x89, 1, reg, RBX, -1, SLOT(slot));
    e->rax_slot = reg == RAX ? slot : NO_SLOT;
}

/*
 * The op's first operand into rax — nothing to emit when the previous op just stored that
 * slot from rax (its result, written through to the frame, so the frame stays the truth and
 * only the reload goes). Only an op's first instruction may use it: e->carry holds the previous
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

/* jmp (cc < 0) or jcc rel32 to `target`, a stub or an IR word (fixup kind). */
static void jump(emitter *e, int cc, uint8_t kind, uint32_t target)
{
    if (cc < 0) {
        put(e, 0xE9);
    } else {
        put(e, 0x0F);
        put(e, (uint8_t)(0x80 | cc));
    }
    add_fixup(e, kind, target, 0);
}

static void jmp_stub(emitter *e, int cc, uint32_t stub)             /* cc < 0: jmp */
{
    jump(e, cc, FIX_STUB, stub);
}

static void jmp_ir(emitter *e, int cc, uint32_t target)
{
    jump(e, cc, FIX_IR, target);
}

/* Condition codes. */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15 };

/* r14 = the memory's size now (after anything that can grow it). */
static void reload_msize(emitter *e)
{
    ctx_load(e, RAX, offsetof(native_ctx, msize));
    op_mem(e, true, 0x8B, 1, R14, RAX, -1, 0);
}

static void test_eax_propagate(emitter *e)
{
    op_rr(e, false, 0x85, 1, RAX, RAX);     /* test eax, eax */
    jmp_stub(e, CC_NE, STUB_RETURN_EAX);
}

/* ------------------------------------------------------------------ op templates */

/* ALU op with a memory source: add 03, or 0B, and 23, sub 2B, xor 33, cmp 3B; with imm32: 81 /digit */
typedef struct alu { uint8_t rm_op, digit; } alu;
static const alu ALU_ADD = { 0x03, 0 }, ALU_OR = { 0x0B, 1 }, ALU_AND = { 0x23, 4 }, ALU_SUB = { 0x2B, 5 },
                 ALU_XOR = { 0x33, 6 };

/* rax = a OP b (b a slot, or an immediate) */
static void alu_op(emitter *e, bool w, alu op, uint32_t a, bool imm, uint64_t b)
{
    load_first_rax(e, w, a);
    if (!imm) {
        op_mem(e, w, op.rm_op, 1, RAX, RBX, -1, SLOT(b));
    } else if (!w || (int64_t)b == (int64_t)(int32_t)b) {
        rex(e, w, 0, 0, RAX, false);
        put(e, 0x81);
        put(e, (uint8_t)(0xC0 | op.digit << 3));
        put32(e, (uint32_t)b);
    } else {
        mov_imm64(e, RCX, b);
        op_rr(e, w, (uint32_t)(op.rm_op - 2), 1, RCX, RAX);   /* the r/m, reg form: 01, 09, 21, 29, 31, 39 */
    }
}

static void setcc_store(emitter *e, int cc, uint32_t d)
{
    put(e, 0x0F);
    put(e, (uint8_t)(0x90 | cc));
    put(e, 0xC0);                           /* setcc al */
    put(e, 0x0F);
    put(e, 0xB6);
    put(e, 0xC0);                           /* movzx eax, al */
    store_slot(e, RAX, d);
}

/* shifts and rotates by rcx: D3 /digit (rol 0, ror 1, shl 4, shr 5, sar 7) */
static void shift_op(emitter *e, bool w, int digit, uint32_t a, bool imm, uint64_t b, uint32_t d)
{
    load_first_rax(e, w, a);
    if (imm) {
        rex(e, w, 0, 0, RAX, false);
        put(e, 0xC1);
        put(e, (uint8_t)(0xC0 | digit << 3));
        put(e, (uint8_t)(b & (w ? 63 : 31)));
    } else {
        load_slot(e, false, RCX, (uint32_t)b);
        rex(e, w, 0, 0, RAX, false);
        put(e, 0xD3);
        put(e, (uint8_t)(0xC0 | digit << 3));
    }
    store_slot(e, RAX, d);
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

/* A call of interp_step(inst, fp, ip, trap) for the op at word w: its semantics stay the
 * interpreter's. */
static void call_step(emitter *e, uint32_t w, bool may_grow)
{
    ctx_load(e, RDI, offsetof(native_ctx, inst));
    op_rr(e, true, 0x89, 1, RBX, RSI);                  /* mov rsi, rbx */
    ir_address(e, RDX, w);
    ctx_load(e, RCX, offsetof(native_ctx, trap));
    call_helper(e, offsetof(native_ctx, step_fn));
    test_eax_propagate(e);
    if (may_grow)
        reload_msize(e);
}

/* ea = (u32) fp[a] + off in rax, trapping unless ea + size <= memory size. Uses rax and rdx
 * only: a store's value may already wait in rcx. */
static void effective_address(emitter *e, uint32_t a, uint32_t off, uint32_t size)
{
    load_first_rax(e, false, a);
    if (off) {
        mov_imm64(e, RDX, off);
        op_rr(e, true, 0x01, 1, RDX, RAX);              /* add rax, rdx */
    }
    op_mem(e, true, 0x8D, 1, RDX, RAX, -1, (int32_t)size);   /* lea rdx, [rax + size] */
    op_rr(e, true, 0x39, 1, R14, RDX);                  /* cmp rdx, r14 */
    jmp_stub(e, CC_A, PVF_TRAP_MEMORY_OUT_OF_BOUNDS);
}

typedef struct mem_form { uint32_t opcode; int nop; bool w; } mem_form;

static void emit_load(emitter *e, const uint32_t *ip, mem_form f, uint32_t size)
{
    effective_address(e, ip[2], ip[3], size);
    op_mem(e, f.w, f.opcode, f.nop, RCX, R13, RAX, 0);
    store_slot(e, RCX, ip[1]);
}

static void emit_store(emitter *e, const uint32_t *ip, mem_form f, uint32_t size)
{
    bool value_in_rax = ip[2] == e->carry;
    if (value_in_rax)
        op_rr(e, true, 0x89, 1, RAX, RCX);                          /* mov rcx, rax */
    effective_address(e, ip[1], ip[3], size);
    if (!value_in_rax)
        load_slot(e, true, RCX, ip[2]);
    op_mem(e, f.w, f.opcode, f.nop, RCX, R13, RAX, 0);
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
    reload_msize(e);
}

/* height = (u32)(height + k) — k may be "negative" (subtraction) */
static void adjust_height(emitter *e, uint32_t k, bool add)
{
    ctx_load(e, RAX, offsetof(native_ctx, height));
    op_mem(e, false, 0x8B, 1, RCX, RAX, -1, 0);         /* mov ecx, [rax] */
    rex(e, false, 0, 0, RCX, false);
    put(e, 0x81);
    put(e, (uint8_t)(0xC0 | (add ? 0 : 5) << 3 | RCX));
    put32(e, k);                                        /* add/sub ecx, k */
    op_mem(e, true, 0x89, 1, RCX, RAX, -1, 0);          /* mov [rax], rcx */
}

/* ------------------------------------------------------------------ one function */

static bool emit_op(emitter *e, const pvf_code *code, uint32_t w)
{
    const uint32_t *ip = code->code + w;
    uint32_t op = ip[0];
    e->carry = e->target[w - e->base] ? NO_SLOT : e->rax_slot;
    e->rax_slot = NO_SLOT;      /* set again by a store of rax that ends the op */
    switch (op) {
#define BIN_ALU(NAME, W, OP)                                                                  \
    case IR_##NAME: alu_op(e, W, OP, ip[2], false, ip[3]); store_slot(e, RAX, ip[1]); break;   \
    case IR_##NAME##_K: alu_op(e, W, OP, ip[2], true, W ? (ip[3] | (uint64_t)ip[4] << 32) : ip[3]); \
        store_slot(e, RAX, ip[1]); break;
    BIN_ALU(I32_ADD, false, ALU_ADD) BIN_ALU(I32_SUB, false, ALU_SUB) BIN_ALU(I32_AND, false, ALU_AND)
    BIN_ALU(I32_OR, false, ALU_OR) BIN_ALU(I32_XOR, false, ALU_XOR)
    BIN_ALU(I64_ADD, true, ALU_ADD) BIN_ALU(I64_SUB, true, ALU_SUB) BIN_ALU(I64_AND, true, ALU_AND)
    BIN_ALU(I64_OR, true, ALU_OR) BIN_ALU(I64_XOR, true, ALU_XOR)
#undef BIN_ALU
#define BIN_SHIFT(NAME, W, DIGIT)                                                             \
    case IR_##NAME: shift_op(e, W, DIGIT, ip[2], false, ip[3], ip[1]); break;                  \
    case IR_##NAME##_K: shift_op(e, W, DIGIT, ip[2], true, ip[3], ip[1]); break;
    BIN_SHIFT(I32_SHL, false, 4) BIN_SHIFT(I32_SHR_S, false, 7) BIN_SHIFT(I32_SHR_U, false, 5)
    BIN_SHIFT(I32_ROTL, false, 0) BIN_SHIFT(I32_ROTR, false, 1)
    BIN_SHIFT(I64_SHL, true, 4) BIN_SHIFT(I64_SHR_S, true, 7) BIN_SHIFT(I64_SHR_U, true, 5)
    BIN_SHIFT(I64_ROTL, true, 0) BIN_SHIFT(I64_ROTR, true, 1)
#undef BIN_SHIFT
    case IR_I32_MUL:
    case IR_I64_MUL: {
        bool w = op == IR_I64_MUL;
        load_first_rax(e, w, ip[2]);
        op_mem(e, w, 0x0FAF, 2, RAX, RBX, -1, SLOT(ip[3]));        /* imul rax, [b] */
        store_slot(e, RAX, ip[1]);
        break;
    }
    case IR_I32_MUL_K:
    case IR_I64_MUL_K: {
        bool w = op == IR_I64_MUL_K;
        load_first_rax(e, w, ip[2]);
        mov_imm64(e, RCX, w ? (ip[3] | (uint64_t)ip[4] << 32) : ip[3]);
        op_rr(e, w, 0x0FAF, 2, RAX, RCX);                           /* imul rax, rcx */
        store_slot(e, RAX, ip[1]);
        break;
    }
    case IR_I32_EQZ:
    case IR_I64_EQZ:
        load_first_rax(e, op == IR_I64_EQZ, ip[2]);
        op_rr(e, op == IR_I64_EQZ, 0x85, 1, RAX, RAX);
        setcc_store(e, CC_E, ip[1]);
        break;
    case IR_I32_WRAP_I64:
    case IR_I64_EXTEND_I32_U:
        /* a 32-bit load truncates: never the carried rax, which holds an i64 for WRAP */
        load_slot(e, false, RAX, ip[2]);
        store_slot(e, RAX, ip[1]);
        break;
    case IR_I64_EXTEND_I32_S:
    case IR_I64_EXTEND32_S:
        op_mem(e, true, 0x63, 1, RAX, RBX, -1, SLOT(ip[2]));       /* movsxd rax, dword */
        store_slot(e, RAX, ip[1]);
        break;
    case IR_I32_EXTEND8_S:
    case IR_I32_EXTEND16_S:
    case IR_I64_EXTEND8_S:
    case IR_I64_EXTEND16_S: {
        bool w = op == IR_I64_EXTEND8_S || op == IR_I64_EXTEND16_S;
        bool byte = op == IR_I32_EXTEND8_S || op == IR_I64_EXTEND8_S;
        op_mem(e, w, byte ? 0x0FBE : 0x0FBF, 2, RAX, RBX, -1, SLOT(ip[2]));
        store_slot(e, RAX, ip[1]);
        break;
    }
    case IR_COPY:
        load_first_rax(e, true, ip[2]);
        store_slot(e, RAX, ip[1]);
        break;
    case IR_CONST32:
        mov_imm64(e, RAX, ip[2]);
        store_slot(e, RAX, ip[1]);
        break;
    case IR_CONST64:
        mov_imm64(e, RAX, ip[2] | (uint64_t)ip[3] << 32);
        store_slot(e, RAX, ip[1]);
        break;
    case IR_SELECT:
        load_slot(e, false, RCX, ip[4]);
        load_slot(e, true, RAX, ip[2]);
        op_rr(e, false, 0x85, 1, RCX, RCX);
        op_mem(e, true, 0x0F44, 2, RAX, RBX, -1, SLOT(ip[3]));     /* cmovz rax, [b] */
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

#define LOAD(NAME, OPC, NOP, W, SIZE) case IR_##NAME: emit_load(e, ip, (mem_form){ OPC, NOP, W }, SIZE); break;
    LOAD(I32_LOAD, 0x8B, 1, false, 4) LOAD(I64_LOAD, 0x8B, 1, true, 8) LOAD(F32_LOAD, 0x8B, 1, false, 4)
    LOAD(F64_LOAD, 0x8B, 1, true, 8) LOAD(I32_LOAD8_S, 0x0FBE, 2, false, 1) LOAD(I32_LOAD8_U, 0x0FB6, 2, false, 1)
    LOAD(I32_LOAD16_S, 0x0FBF, 2, false, 2) LOAD(I32_LOAD16_U, 0x0FB7, 2, false, 2)
    LOAD(I64_LOAD8_S, 0x0FBE, 2, true, 1) LOAD(I64_LOAD8_U, 0x0FB6, 2, false, 1)
    LOAD(I64_LOAD16_S, 0x0FBF, 2, true, 2) LOAD(I64_LOAD16_U, 0x0FB7, 2, false, 2)
    LOAD(I64_LOAD32_S, 0x63, 1, true, 4) LOAD(I64_LOAD32_U, 0x8B, 1, false, 4)
#undef LOAD
#define STORE(NAME, OPC, NOP, W, SIZE) case IR_##NAME: emit_store(e, ip, (mem_form){ OPC, NOP, W }, SIZE); break;
    STORE(I32_STORE, 0x89, 1, false, 4) STORE(I64_STORE, 0x89, 1, true, 8) STORE(F32_STORE, 0x89, 1, false, 4)
    STORE(F64_STORE, 0x89, 1, true, 8) STORE(I32_STORE8, 0x88, 1, false, 1) STORE(I32_STORE16, 0x660089, 3, false, 2)
    STORE(I64_STORE8, 0x88, 1, false, 1) STORE(I64_STORE16, 0x660089, 3, false, 2) STORE(I64_STORE32, 0x89, 1, false, 4)
#undef STORE

    case IR_BR:
        jmp_ir(e, -1, ip[1]);
        break;
    case IR_BR_IF:
    case IR_BR_UNLESS:
        load_first_rax(e, false, ip[1]);
        op_rr(e, false, 0x85, 1, RAX, RAX);
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
        op_mem(e, true, 0x63, 1, RAX, RCX, RAX, 0);                 /* movsxd rax, [rcx + rax*4] */
        if (!e->failed)
            e->buf[e->len - 5] |= 0x80;                             /* SIB scale 4 */
        op_rr(e, true, 0x01, 1, RCX, RAX);                          /* add rax, rcx */
        put(e, 0xFF);
        put(e, 0xE0);                                               /* jmp rax */
        uint32_t table = (uint32_t)e->len;
        if (!e->failed)
            memcpy(e->buf + lea_end - 4, &(uint32_t){ table - lea_end }, 4);
        for (uint32_t i = 0; i <= n; i++)
            add_fixup(e, FIX_TABLE, ip[3 + i], table);
        break;
    }
#define BRCMP(CMP, INV)                                                                       \
    case IR_BR_I32_##CMP:                                                                     \
    case IR_BR_I32_##CMP##_K:                                                                 \
        load_first_rax(e, false, ip[1]);                                                      \
        if (op == IR_BR_I32_##CMP) {                                                          \
            op_mem(e, false, 0x3B, 1, RAX, RBX, -1, SLOT(ip[2]));                             \
        } else {                                                                              \
            put(e, 0x81);                                                                     \
            put(e, 0xF8);                                                                     \
            put32(e, ip[2]);                                                                  \
        }                                                                                     \
        jmp_ir(e, CMP_CC[(IR_BR_I32_##CMP - IR_BR_I32_EQ) / 2], ip[3]);                       \
        break;
    IR_BR_CMPS(BRCMP)
#undef BRCMP
    case IR_RETURN1:
        load_first_rax(e, true, ip[1]);
        store_slot(e, RAX, 0);
        /* fall through */
    case IR_RETURN:
        op_rr(e, false, 0x31, 1, RAX, RAX);                         /* xor eax, eax */
        e->rax_slot = NO_SLOT;
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
    case IR_CALL:
        emit_local_call(e, ip[2], code->funcs[ip[1]].frame_slots, false);
        put(e, 0xE8);
        add_fixup(e, FIX_CALL, ip[1], 0);
        emit_after_call(e);
        if (op == IR_CALL_METERED)
            adjust_height(e, ip[3], false);
        break;
    case IR_CALL_IMPORT:
        ctx_load(e, RDI, offsetof(native_ctx, inst));
        mov_imm64(e, RSI, ip[1]);
        op_mem(e, true, 0x8D, 1, RDX, RBX, -1, SLOT(ip[2]));
        ctx_load(e, RCX, offsetof(native_ctx, frames_left));
        ctx_load(e, R8, offsetof(native_ctx, trap));
        call_helper(e, offsetof(native_ctx, import_fn));
        test_eax_propagate(e);
        reload_msize(e);
        break;
    case IR_CALL_INDIRECT:
        /* interp_call_indirect(inst, ip, fp, frames_left, slots_end, &callee, trap): the checks, an
         * external call made there, or NATIVE_LOCAL_CALL with the callee for a call from here */
        ctx_load(e, RDI, offsetof(native_ctx, inst));
        ir_address(e, RSI, w);
        op_rr(e, true, 0x89, 1, RBX, RDX);
        ctx_load(e, RCX, offsetof(native_ctx, frames_left));
        ctx_load(e, R8, offsetof(native_ctx, slots_end));
        op_mem(e, true, 0x8D, 1, R9, R12, -1, offsetof(native_ctx, callee));
        /* the 7th argument goes on the stack: keep rsp 16-aligned at the call */
        put(e, 0x48); put(e, 0x83); put(e, 0xEC); put(e, 0x08);    /* sub rsp, 8 */
        op_mem(e, true, 0xFF, 1, 6, R12, -1, offsetof(native_ctx, trap));   /* push [r12 + trap] */
        call_helper(e, offsetof(native_ctx, indirect_fn));
        put(e, 0x48); put(e, 0x83); put(e, 0xC4); put(e, 0x10);    /* add rsp, 16 */
        /* eax: 0 done (external), NATIVE_LOCAL_CALL, or a trap */
        put(e, 0x3D);
        put32(e, NATIVE_LOCAL_CALL);                                /* cmp eax, LOCAL */
        put(e, 0x0F);
        put(e, 0x85);                                               /* jne external_done */
        uint32_t jne = (uint32_t)e->len;
        put32(e, 0);
        emit_local_call(e, ip[4], 0, true);
        ctx_load(e, RAX, offsetof(native_ctx, entries));
        ctx_load(e, RCX, offsetof(native_ctx, callee));
        op_mem(e, true, 0xFF, 1, 2, RAX, RCX, 0);                   /* call [rax + rcx] (scaled below) */
        if (!e->failed)
            e->buf[e->len - 5] |= 0xC0;                             /* SIB scale 8 */
        op_mem(e, true, 0xFF, 1, 0, R12, -1, offsetof(native_ctx, frames_left));   /* inc */
        if (!e->failed)
            memcpy(e->buf + jne, &(uint32_t){ (uint32_t)e->len - (jne + 4) }, 4);
        test_eax_propagate(e);
        reload_msize(e);
        break;
    default:
        /* everything else: the interpreter's own definition of the op */
        call_step(e, w, op == IR_MEMORY_GROW);
        break;
    }
    return !e->failed;
}

/* Emit the stubs this function's code jumped to, and resolve those jumps. */
static void finish_function(emitter *e, size_t first_fix)
{
    uint32_t stub_at[STUB_RETURN_EAX + 1] = { 0 };
    bool used[STUB_RETURN_EAX + 1] = { false };
    for (size_t i = first_fix; i < e->nfix; i++)
        if (e->fix[i].kind == FIX_STUB)
            used[e->fix[i].target] = true;
    for (uint32_t k = 0; k <= STUB_RETURN_EAX; k++) {
        if (!used[k])
            continue;
        stub_at[k] = (uint32_t)e->len;
        if (k != STUB_RETURN_EAX) {
            put(e, 0xB8);
            put32(e, k);                                            /* mov eax, kind */
        }
        put(e, 0x5B);                                               /* pop rbx */
        put(e, 0xC3);                                               /* ret */
    }
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
        else {
            e->fix[kept++] = *f;
            continue;
        }
        memcpy(e->buf + f->pos, &v, 4);
    }
    e->nfix = kept;
}

/* Mark every IR word a branch of the function [entry, end) lands on. */
static void mark_targets(emitter *e, const pvf_code *code, uint32_t entry, uint32_t end)
{
    for (uint32_t w = entry; w < end;) {
        const uint32_t *ip = code->code + w;
        switch (ip[0]) {
        case IR_BR: e->target[ip[1] - entry] = 1; break;
        case IR_BR_IF: case IR_BR_UNLESS: e->target[ip[2] - entry] = 1; break;
        case IR_BR_TABLE:
            for (uint32_t i = 0; i <= ip[2]; i++)
                e->target[ip[3 + i] - entry] = 1;
            break;
#define MARK_BRCMP(cmp, inv) case IR_BR_I32_##cmp: case IR_BR_I32_##cmp##_K: e->target[ip[3] - entry] = 1; break;
        IR_BR_CMPS(MARK_BRCMP)
#undef MARK_BRCMP
        default: break;
        }
        w += ir_op_words(ip);
    }
}

static bool emit_function(emitter *e, const pvf_code *code, const code_func *f, uint32_t end)
{
    size_t first_fix = e->nfix;
    e->base = f->entry;
    e->span = end - f->entry;
    size_t cap = e->span_cap;
    if (!vec_reserve((void **)&e->at, &cap, e->span ? e->span : 1, sizeof *e->at, 1024) ||
        !vec_reserve((void **)&e->target, &e->span_cap, e->span ? e->span : 1, 1, 1024)) {
        e->failed = true;
        return false;
    }
    memset(e->target, 0, e->span);
    mark_targets(e, code, f->entry, end);
    e->rax_slot = NO_SLOT;
    put(e, 0x53);                                                   /* push rbx */
    op_rr(e, true, 0x89, 1, RDI, RBX);                              /* mov rbx, rdi */
    if (f->nlocals) {                                               /* zero the declared locals */
        op_rr(e, false, 0x31, 1, RAX, RAX);
        if (f->nlocals <= 16) {
            for (uint32_t i = 0; i < f->nlocals; i++)
                store_slot(e, RAX, f->nparams + i);
        } else {
            op_mem(e, true, 0x8D, 1, RDI, RBX, -1, SLOT(f->nparams));
            mov_imm64(e, RCX, f->nlocals);
            put(e, 0xF3);
            put(e, 0x48);
            put(e, 0xAB);                                           /* rep stosq */
        }
    }
    for (uint32_t w = f->entry; w < end && !e->failed;) {
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
    uint32_t *offset = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *offset);
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

native_code *native_code_map(const pvf_code *code, const uint8_t *bytes, size_t len, const uint32_t *offsets,
                             char *err, size_t errlen)
{
    native_code *n = calloc(1, sizeof *n);
    if (!n)
        return snprintf(err, errlen, "native tier: out of memory"), NULL;
    n->len = len;
    n->map_len = len ? len : 1;
    n->offsets = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *n->offsets);
    n->entries = calloc(code->nfuncs ? code->nfuncs : 1, sizeof *n->entries);
    void *mem = mmap(NULL, n->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    n->mem = mem == MAP_FAILED ? NULL : mem;
    bool ok = n->offsets && n->entries && n->mem;
    for (uint32_t i = code->nfunc_imports; ok && i < code->nfuncs; i++)
        ok = offsets[i] < len;
    if (ok) {
        if (len)
            memcpy(n->mem, bytes, len);
        memcpy(n->offsets, offsets, code->nfuncs * sizeof *offsets);
        /* written, now never again: read + execute only (W^X) */
        ok = mprotect(n->mem, n->map_len, PROT_READ | PROT_EXEC) == 0;
    }
    for (uint32_t i = code->nfunc_imports; ok && i < code->nfuncs; i++)
        n->entries[i] = n->mem + offsets[i];
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
    free(n);
}

/* ------------------------------------------------------------------ running */

/* native_enter(fn, fp, ctx, stack_top): pinned registers set, stack switched when stack_top is
 * not 0, fn(fp) called, everything callee-saved given back. */
pvf_trap_kind native_enter(void *fn, uint64_t *fp, native_ctx *ctx, uint8_t *stack_top);
__asm__(".text\n"
        ".globl native_enter\n"
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
        "  mov 40(%rdx), %rax\n"            /* ctx->msize */
        "  mov (%rax), %r14\n"
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
_Static_assert(offsetof(native_ctx, msize) == 40, "native_enter reads ctx->msize at 40");

static __thread uint8_t *native_stack;      /* this thread's native stack (reserved on first use) */
static __thread int native_nesting;         /* native runs active on this thread */

pvf_trap_kind native_run(pvf_instance *inst, uint32_t fidx, uint64_t *fp, uint64_t frames_left,
                         uint64_t *slots_end, pvf_trap *trap)
{
    const pvf_code *code = inst->code;
    const code_func *f = &code->funcs[fidx];
    if (fp + f->frame_slots > slots_end)
        return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
    if (!native_stack) {
        void *s = mmap(NULL, NATIVE_STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (s == MAP_FAILED)
            return trap_set(trap, PVF_TRAP_STACK_EXHAUSTED);
        mprotect(s, 4096, PROT_NONE);       /* a guard page below */
        native_stack = s;
    }
    static const uint64_t zero = 0;
    uint64_t unmetered = 0;
    native_ctx ctx = {
        .inst = inst,
        .trap = trap,
        .height = code->metered ? inst->globals[code->stack_global] : &unmetered,
        .frames_left = frames_left,
        .slots_end = slots_end,
        .msize = inst->memory ? &inst->memory->size : &zero,
        .globals = inst->globals,
        .entries = code->native->entries,
        .mbase = inst->memory ? inst->memory->base : NULL,
        .limit = code->stack_limit,
        .cbase = code->code,
        .step_fn = (void *)interp_step,
        .import_fn = (void *)interp_call_import,
        .indirect_fn = (void *)interp_call_indirect,
    };
    trap->kind = PVF_TRAP_NONE;
    native_nesting++;
    pvf_trap_kind k = native_enter(code->native->entries[fidx], fp, &ctx,
                                   native_nesting == 1 ? native_stack + NATIVE_STACK_BYTES : NULL);
    native_nesting--;
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

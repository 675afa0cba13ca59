/*
 * ir.h — the interpreter's instruction set (the code inside an artifact).
 *
 * The compiler (compile.c) turns the wasm stack machine into register-slot
 * code: every operand names a slot of the current frame, so the interpreter
 * keeps no operand stack pointer. Code is an array of 32-bit words: one
 * opcode word followed by its operand words. A frame is laid out as
 *
 *     fp[0 .. nparams)                    parameters
 *     fp[nparams .. nparams+nlocals)      declared locals (zeroed on entry)
 *     fp[S0 ..]                           operand-stack positions, S0 = nparams+nlocals
 *
 * and every slot holds one value as 64 bits (i32/f32 in the low half).
 * Branch targets are absolute word indices into the code array.
 *
 * Operand letters in the table below:
 *   d  destination slot     a, b, c  source slots     k  32-bit immediate
 *   K  64-bit immediate (two words, low first)        t  branch target
 *   o  memory offset        i  an index (function, global, type, segment...)
 *
 * The numeric ops follow the wasm instruction of the same name exactly
 * (traps, NaN rules); `_K` variants take their second operand as an
 * immediate; `_C` float variants canonicalise a NaN result (pvf profile,
 * wasm-engine-notes §5.5).
 */
#ifndef PVF_WASM_IR_H
#define PVF_WASM_IR_H

#include <stdint.h>

/* Binary integer ops: X(NAME, wasm opcode). Forms: NAME d a b, NAME_K d a k|K. */
#define IR_I32_BINOPS(X)                                                          \
    X(I32_ADD, 0x6A) X(I32_SUB, 0x6B) X(I32_MUL, 0x6C) X(I32_DIV_S, 0x6D)          \
    X(I32_DIV_U, 0x6E) X(I32_REM_S, 0x6F) X(I32_REM_U, 0x70) X(I32_AND, 0x71)      \
    X(I32_OR, 0x72) X(I32_XOR, 0x73) X(I32_SHL, 0x74) X(I32_SHR_S, 0x75)           \
    X(I32_SHR_U, 0x76) X(I32_ROTL, 0x77) X(I32_ROTR, 0x78)                         \
    X(I32_EQ, 0x46) X(I32_NE, 0x47) X(I32_LT_S, 0x48) X(I32_LT_U, 0x49)            \
    X(I32_GT_S, 0x4A) X(I32_GT_U, 0x4B) X(I32_LE_S, 0x4C) X(I32_LE_U, 0x4D)        \
    X(I32_GE_S, 0x4E) X(I32_GE_U, 0x4F)

#define IR_I64_BINOPS(X)                                                          \
    X(I64_ADD, 0x7C) X(I64_SUB, 0x7D) X(I64_MUL, 0x7E) X(I64_DIV_S, 0x7F)          \
    X(I64_DIV_U, 0x80) X(I64_REM_S, 0x81) X(I64_REM_U, 0x82) X(I64_AND, 0x83)      \
    X(I64_OR, 0x84) X(I64_XOR, 0x85) X(I64_SHL, 0x86) X(I64_SHR_S, 0x87)           \
    X(I64_SHR_U, 0x88) X(I64_ROTL, 0x89) X(I64_ROTR, 0x8A)                         \
    X(I64_EQ, 0x51) X(I64_NE, 0x52) X(I64_LT_S, 0x53) X(I64_LT_U, 0x54)            \
    X(I64_GT_S, 0x55) X(I64_GT_U, 0x56) X(I64_LE_S, 0x57) X(I64_LE_U, 0x58)        \
    X(I64_GE_S, 0x59) X(I64_GE_U, 0x5A)

/* Binary float ops (d a b). X(NAME, wasm opcode, canonicalised?) */
#define IR_F_BINOPS(X)                                                            \
    X(F32_ADD, 0x92, 1) X(F32_SUB, 0x93, 1) X(F32_MUL, 0x94, 1) X(F32_DIV, 0x95, 1) \
    X(F32_MIN, 0x96, 1) X(F32_MAX, 0x97, 1) X(F32_COPYSIGN, 0x98, 0)               \
    X(F64_ADD, 0xA0, 1) X(F64_SUB, 0xA1, 1) X(F64_MUL, 0xA2, 1) X(F64_DIV, 0xA3, 1) \
    X(F64_MIN, 0xA4, 1) X(F64_MAX, 0xA5, 1) X(F64_COPYSIGN, 0xA6, 0)               \
    X(F32_EQ, 0x5B, 0) X(F32_NE, 0x5C, 0) X(F32_LT, 0x5D, 0) X(F32_GT, 0x5E, 0)    \
    X(F32_LE, 0x5F, 0) X(F32_GE, 0x60, 0)                                          \
    X(F64_EQ, 0x61, 0) X(F64_NE, 0x62, 0) X(F64_LT, 0x63, 0) X(F64_GT, 0x64, 0)    \
    X(F64_LE, 0x65, 0) X(F64_GE, 0x66, 0)

/* Unary ops and conversions (d a). X(NAME, wasm opcode, canonicalised?) */
#define IR_UNOPS(X)                                                               \
    X(I32_EQZ, 0x45, 0) X(I64_EQZ, 0x50, 0)                                        \
    X(I32_CLZ, 0x67, 0) X(I32_CTZ, 0x68, 0) X(I32_POPCNT, 0x69, 0)                 \
    X(I64_CLZ, 0x79, 0) X(I64_CTZ, 0x7A, 0) X(I64_POPCNT, 0x7B, 0)                 \
    X(F32_ABS, 0x8B, 0) X(F32_NEG, 0x8C, 0) X(F32_CEIL, 0x8D, 1)                   \
    X(F32_FLOOR, 0x8E, 1) X(F32_TRUNC, 0x8F, 1) X(F32_NEAREST, 0x90, 1)            \
    X(F32_SQRT, 0x91, 1)                                                           \
    X(F64_ABS, 0x99, 0) X(F64_NEG, 0x9A, 0) X(F64_CEIL, 0x9B, 1)                   \
    X(F64_FLOOR, 0x9C, 1) X(F64_TRUNC, 0x9D, 1) X(F64_NEAREST, 0x9E, 1)            \
    X(F64_SQRT, 0x9F, 1)                                                           \
    X(I32_WRAP_I64, 0xA7, 0)                                                       \
    X(I32_TRUNC_F32_S, 0xA8, 0) X(I32_TRUNC_F32_U, 0xA9, 0)                        \
    X(I32_TRUNC_F64_S, 0xAA, 0) X(I32_TRUNC_F64_U, 0xAB, 0)                        \
    X(I64_EXTEND_I32_S, 0xAC, 0) X(I64_EXTEND_I32_U, 0xAD, 0)                      \
    X(I64_TRUNC_F32_S, 0xAE, 0) X(I64_TRUNC_F32_U, 0xAF, 0)                        \
    X(I64_TRUNC_F64_S, 0xB0, 0) X(I64_TRUNC_F64_U, 0xB1, 0)                        \
    X(F32_CONVERT_I32_S, 0xB2, 0) X(F32_CONVERT_I32_U, 0xB3, 0)                    \
    X(F32_CONVERT_I64_S, 0xB4, 0) X(F32_CONVERT_I64_U, 0xB5, 0)                    \
    X(F32_DEMOTE_F64, 0xB6, 1)                                                     \
    X(F64_CONVERT_I32_S, 0xB7, 0) X(F64_CONVERT_I32_U, 0xB8, 0)                    \
    X(F64_CONVERT_I64_S, 0xB9, 0) X(F64_CONVERT_I64_U, 0xBA, 0)                    \
    X(F64_PROMOTE_F32, 0xBB, 1)                                                    \
    X(I32_EXTEND8_S, 0xC0, 0) X(I32_EXTEND16_S, 0xC1, 0)                           \
    X(I64_EXTEND8_S, 0xC2, 0) X(I64_EXTEND16_S, 0xC3, 0) X(I64_EXTEND32_S, 0xC4, 0)

/* Saturating truncations (0xFC 0..7), d a. X(NAME, sub-opcode) */
#define IR_SAT_OPS(X)                                                             \
    X(I32_TRUNC_SAT_F32_S, 0) X(I32_TRUNC_SAT_F32_U, 1)                            \
    X(I32_TRUNC_SAT_F64_S, 2) X(I32_TRUNC_SAT_F64_U, 3)                            \
    X(I64_TRUNC_SAT_F32_S, 4) X(I64_TRUNC_SAT_F32_U, 5)                            \
    X(I64_TRUNC_SAT_F64_S, 6) X(I64_TRUNC_SAT_F64_U, 7)

/* Loads (d a o) and stores (a b o: address a, value b). X(NAME, wasm opcode, bytes) */
#define IR_LOADS(X)                                                               \
    X(I32_LOAD, 0x28, 4) X(I64_LOAD, 0x29, 8) X(F32_LOAD, 0x2A, 4) X(F64_LOAD, 0x2B, 8) \
    X(I32_LOAD8_S, 0x2C, 1) X(I32_LOAD8_U, 0x2D, 1) X(I32_LOAD16_S, 0x2E, 2)        \
    X(I32_LOAD16_U, 0x2F, 2) X(I64_LOAD8_S, 0x30, 1) X(I64_LOAD8_U, 0x31, 1)        \
    X(I64_LOAD16_S, 0x32, 2) X(I64_LOAD16_U, 0x33, 2) X(I64_LOAD32_S, 0x34, 4)      \
    X(I64_LOAD32_U, 0x35, 4)
#define IR_STORES(X)                                                              \
    X(I32_STORE, 0x36, 4) X(I64_STORE, 0x37, 8) X(F32_STORE, 0x38, 4)              \
    X(F64_STORE, 0x39, 8) X(I32_STORE8, 0x3A, 1) X(I32_STORE16, 0x3B, 2)           \
    X(I64_STORE8, 0x3C, 1) X(I64_STORE16, 0x3D, 2) X(I64_STORE32, 0x3E, 4)

/*
 * Compare-and-branch, fused from an i32 compare followed by br_if / if:
 * BR_I32_<CMP> a b t jumps to t if (a CMP b); the _K form compares with k.
 * X(CMP, the inverse CMP) — the inverse serves `if`, which branches when false.
 */
#define IR_BR_CMPS(X)                                                             \
    X(EQ, NE) X(NE, EQ) X(LT_S, GE_S) X(LT_U, GE_U) X(GT_S, LE_S) X(GT_U, LE_U)     \
    X(LE_S, GT_S) X(LE_U, GT_U) X(GE_S, LT_S) X(GE_U, LT_U)

/*
 * Every other op: X(NAME, "operands: what it does"), the operand words listed before the colon.
 * The interpreter loop in interp.c has one case per op, in this order.
 */
#define IR_OTHER_OPS(X)                                                           \
    X(UNREACHABLE, "trap: unreachable")                                        \
    X(TRAP_MISSING, "i: trap: call to missing import i")                        \
    X(BR, "t: jump to t")                                                      \
    X(BR_IF, "a t: jump to t if a (i32) != 0")                                  \
    X(BR_UNLESS, "a t: jump to t if a (i32) == 0")                              \
    X(BR_TABLE, "a n, then n+1 targets: jump to target[min(a, n)]")             \
    X(RETURN, "return; results are already in fp[0..]")                         \
    X(RETURN1, "a: fp[0] = a; return")                                          \
    X(CALL, "i b: call defined function i, its frame starting at slot b")       \
    X(CALL_METERED, "i b k: stack limiter: h += k; trap if h > limit; call; h -= k") \
    X(CALL_IMPORT, "i b: call imported function i (host or other instance)")    \
    X(CALL_INDIRECT, "i j a b: call table j entry a, expected type i, frame at b") \
    X(COPY, "d a: d = a")                                                      \
    X(CONST32, "d k: d = k (zero-extended)")                                    \
    X(CONST64, "d K: d = K")                                                   \
    X(SELECT, "d a b c: d = c ? a : b")                                         \
    X(GLOBAL_GET, "d i: d = global i")                                          \
    X(GLOBAL_SET, "a i: global i = a")                                          \
    X(MEMORY_SIZE, "d: d = memory size in pages")                               \
    X(MEMORY_GROW, "d a: d = memory.grow(a)")                                   \
    X(MEMORY_INIT, "i a b c: copy data segment i [b, b+c) to memory a")         \
    X(DATA_DROP, "i: drop data segment i")                                      \
    X(MEMORY_COPY, "a b c: memmove(memory a, memory b, c)")                     \
    X(MEMORY_FILL, "a b c: memset(memory a, b, c)")                             \
    X(TABLE_INIT, "j i a b c: copy elem segment i [b, b+c) to table j at a")    \
    X(ELEM_DROP, "i: drop elem segment i")                                      \
    X(TABLE_COPY, "j i a b c: copy table i [b, b+c) to table j at a")

enum ir_op {
#define X_BIN(name, wop) IR_##name, IR_##name##_K,
#define X_F(name, wop, canon) IR_##name, IR_##name##_C,
#define X_SAT(name, sub) IR_##name,
#define X_MEM(name, wop, bytes) IR_##name,
#define X_OTHER(name, doc) IR_##name,
#define X_BRCMP(cmp, inv) IR_BR_I32_##cmp, IR_BR_I32_##cmp##_K,
    IR_I32_BINOPS(X_BIN) IR_I64_BINOPS(X_BIN) IR_BR_CMPS(X_BRCMP)
    IR_F_BINOPS(X_F) IR_UNOPS(X_F) IR_SAT_OPS(X_SAT)
    IR_LOADS(X_MEM) IR_STORES(X_MEM) IR_OTHER_OPS(X_OTHER)
#undef X_BIN
#undef X_F
#undef X_SAT
#undef X_MEM
#undef X_OTHER
#undef X_BRCMP
    IR_OP_COUNT
};

/* The words op ip[0] takes, its operands included (the layouts above). */
static inline uint32_t ir_op_words(const uint32_t *ip)
{
    switch (ip[0]) {
#define W_BIN32(name, wop) case IR_##name: case IR_##name##_K: return 4;
#define W_BIN64(name, wop) case IR_##name: return 4; case IR_##name##_K: return 5;
#define W_F(name, wop, canon) case IR_##name: case IR_##name##_C:
#define W_SAT(name, sub) case IR_##name:
#define W_MEM(name, wop, bytes) case IR_##name:
#define W_BRCMP(cmp, inv) case IR_BR_I32_##cmp: case IR_BR_I32_##cmp##_K:
    IR_I32_BINOPS(W_BIN32)
    IR_I64_BINOPS(W_BIN64)
    IR_F_BINOPS(W_F) return 4;
    IR_UNOPS(W_F) IR_SAT_OPS(W_SAT) return 3;
    IR_LOADS(W_MEM) IR_STORES(W_MEM) IR_BR_CMPS(W_BRCMP) return 4;
#undef W_BIN32
#undef W_BIN64
#undef W_F
#undef W_SAT
#undef W_MEM
#undef W_BRCMP
    case IR_UNREACHABLE: case IR_RETURN: return 1;
    case IR_TRAP_MISSING: case IR_BR: case IR_RETURN1: case IR_MEMORY_SIZE: case IR_DATA_DROP:
    case IR_ELEM_DROP: return 2;
    case IR_BR_IF: case IR_BR_UNLESS: case IR_CALL: case IR_CALL_IMPORT: case IR_COPY: case IR_CONST32:
    case IR_GLOBAL_GET: case IR_GLOBAL_SET: case IR_MEMORY_GROW: return 3;
    case IR_BR_TABLE: return 4 + ip[2];
    case IR_CALL_METERED: case IR_CONST64: case IR_MEMORY_COPY: case IR_MEMORY_FILL: return 4;
    case IR_CALL_INDIRECT: case IR_SELECT: case IR_MEMORY_INIT: return 5;
    case IR_TABLE_INIT: case IR_TABLE_COPY: return 6;
    }
    return 1;
}

#endif

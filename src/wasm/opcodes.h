/*
 * opcodes.h — the one table of WebAssembly instructions (binary encoding):
 * for every opcode its name, the kind of its immediates, the feature that
 * brings it, and — for instructions whose operands are fixed — its stack
 * signature. The decoder, validator, stack-limiter analysis, compiler and
 * `pvf inspect` all read it (wasm_op_info, wasm_skip_immediates), so that no
 * walker can disagree with another on an opcode. Sources: the WebAssembly
 * core spec (1.1, "Instructions" binary format), the sign-extension,
 * non-trapping float-to-int, bulk-memory and reference-types proposals.
 *
 * WASM_OP_* are single-byte opcodes; WASM_FC_* the sub-opcodes after the
 * 0xFC prefix (a u32 LEB128).
 */
#ifndef PVF_WASM_OPCODES_H
#define PVF_WASM_OPCODES_H

#include <stdbool.h>
#include <stdint.h>

#include "wasm/reader.h"

/* The immediates that follow an opcode. */
typedef enum wasm_imm {
    IMM_NONE,
    IMM_INDEX,          /* u32: a label depth, or a function, local, global, table, segment index */
    IMM_BLOCK,          /* block type: s33 (0x40, a value type, or a type index) */
    IMM_BR_TABLE,       /* u32 count n, then n + 1 u32 label depths */
    IMM_CALL_INDIRECT,  /* u32 type index, u32 table index (MVP: one 0x00 byte) */
    IMM_MEMARG,         /* u32 alignment (log2), u32 offset */
    IMM_ZERO_BYTE,      /* a reserved 0x00 byte (the memory index) */
    IMM_I32,            /* s32 */
    IMM_I64,            /* s64 */
    IMM_F32,            /* 4 bytes */
    IMM_F64,            /* 8 bytes */
    IMM_SELECT_T,       /* u32 count, then that many value types */
    IMM_REF_TYPE,       /* one reference-type byte */
    IMM_INDEX_ZERO,     /* u32 index, then a reserved 0x00 byte (memory.init) */
    IMM_TWO_ZEROS,      /* two reserved 0x00 bytes (memory.copy) */
    IMM_TWO_INDICES,    /* two u32 indices (table.init, table.copy) */
    IMM_PREFIX,         /* 0xFC: a u32 sub-opcode, then its own immediates */
} wasm_imm;

/* The feature an instruction belongs to (wasm_features says which are enabled). */
typedef enum wasm_feature {
    MVP, SIGN_EXT, SAT_FLOAT, BULK_MEMORY, REF_TYPES,
} wasm_feature;

/*
 * A fixed stack signature: pops `npop` operands (pop0 the deeper, pop1 the
 * top; ANY_TYPE for drop), then pushes `npush` (0 or 1) values of type push.
 * SPECIAL: the effect depends on immediates, types or the control stack
 * (control flow, calls, locals, globals, select, tables, bulk memory).
 */
#define WASM_NO_SIG 0xFF
#define ANY_TYPE 0
typedef struct wasm_sig {
    uint8_t npop, pop0, pop1, npush, push;
} wasm_sig;

#define SPECIAL             { WASM_NO_SIG, 0, 0, 0, 0 }
#define SIG_NOTHING         { 0, 0, 0, 0, 0 }
#define SIG_UN(in, out)     { 1, WASM_##in, 0, 1, WASM_##out }
#define SIG_BIN(in, out)    { 2, WASM_##in, WASM_##in, 1, WASM_##out }
#define SIG_LOAD(t)         { 1, WASM_I32, 0, 1, WASM_##t }
#define SIG_STORE(t)        { 2, WASM_I32, WASM_##t, 0, 0 }
#define SIG_CONST(t)        { 0, 0, 0, 1, WASM_##t }
#define SIG_DROP            { 1, ANY_TYPE, 0, 0, 0 }

/* X(byte, NAME, "text", immediates, feature, signature) for every single-byte opcode. */
#define WASM_OPCODE_LIST(X) \
    X(0x00, UNREACHABLE, "unreachable", IMM_NONE, MVP, SPECIAL) \
    X(0x01, NOP, "nop", IMM_NONE, MVP, SIG_NOTHING) \
    X(0x02, BLOCK, "block", IMM_BLOCK, MVP, SPECIAL) \
    X(0x03, LOOP, "loop", IMM_BLOCK, MVP, SPECIAL) \
    X(0x04, IF, "if", IMM_BLOCK, MVP, SPECIAL) \
    X(0x05, ELSE, "else", IMM_NONE, MVP, SPECIAL) \
    X(0x0B, END, "end", IMM_NONE, MVP, SPECIAL) \
    X(0x0C, BR, "br", IMM_INDEX, MVP, SPECIAL) \
    X(0x0D, BR_IF, "br_if", IMM_INDEX, MVP, SPECIAL) \
    X(0x0E, BR_TABLE, "br_table", IMM_BR_TABLE, MVP, SPECIAL) \
    X(0x0F, RETURN, "return", IMM_NONE, MVP, SPECIAL) \
    X(0x10, CALL, "call", IMM_INDEX, MVP, SPECIAL) \
    X(0x11, CALL_INDIRECT, "call_indirect", IMM_CALL_INDIRECT, MVP, SPECIAL) \
    X(0x1A, DROP, "drop", IMM_NONE, MVP, SIG_DROP) \
    X(0x1B, SELECT, "select", IMM_NONE, MVP, SPECIAL) \
    X(0x1C, SELECT_T, "select_t", IMM_SELECT_T, REF_TYPES, SPECIAL) \
    X(0x20, LOCAL_GET, "local.get", IMM_INDEX, MVP, SPECIAL) \
    X(0x21, LOCAL_SET, "local.set", IMM_INDEX, MVP, SPECIAL) \
    X(0x22, LOCAL_TEE, "local.tee", IMM_INDEX, MVP, SPECIAL) \
    X(0x23, GLOBAL_GET, "global.get", IMM_INDEX, MVP, SPECIAL) \
    X(0x24, GLOBAL_SET, "global.set", IMM_INDEX, MVP, SPECIAL) \
    X(0x25, TABLE_GET, "table.get", IMM_INDEX, REF_TYPES, SPECIAL) \
    X(0x26, TABLE_SET, "table.set", IMM_INDEX, REF_TYPES, SPECIAL) \
    X(0x28, I32_LOAD, "i32.load", IMM_MEMARG, MVP, SIG_LOAD(I32)) \
    X(0x29, I64_LOAD, "i64.load", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x2A, F32_LOAD, "f32.load", IMM_MEMARG, MVP, SIG_LOAD(F32)) \
    X(0x2B, F64_LOAD, "f64.load", IMM_MEMARG, MVP, SIG_LOAD(F64)) \
    X(0x2C, I32_LOAD8_S, "i32.load8_s", IMM_MEMARG, MVP, SIG_LOAD(I32)) \
    X(0x2D, I32_LOAD8_U, "i32.load8_u", IMM_MEMARG, MVP, SIG_LOAD(I32)) \
    X(0x2E, I32_LOAD16_S, "i32.load16_s", IMM_MEMARG, MVP, SIG_LOAD(I32)) \
    X(0x2F, I32_LOAD16_U, "i32.load16_u", IMM_MEMARG, MVP, SIG_LOAD(I32)) \
    X(0x30, I64_LOAD8_S, "i64.load8_s", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x31, I64_LOAD8_U, "i64.load8_u", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x32, I64_LOAD16_S, "i64.load16_s", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x33, I64_LOAD16_U, "i64.load16_u", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x34, I64_LOAD32_S, "i64.load32_s", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x35, I64_LOAD32_U, "i64.load32_u", IMM_MEMARG, MVP, SIG_LOAD(I64)) \
    X(0x36, I32_STORE, "i32.store", IMM_MEMARG, MVP, SIG_STORE(I32)) \
    X(0x37, I64_STORE, "i64.store", IMM_MEMARG, MVP, SIG_STORE(I64)) \
    X(0x38, F32_STORE, "f32.store", IMM_MEMARG, MVP, SIG_STORE(F32)) \
    X(0x39, F64_STORE, "f64.store", IMM_MEMARG, MVP, SIG_STORE(F64)) \
    X(0x3A, I32_STORE8, "i32.store8", IMM_MEMARG, MVP, SIG_STORE(I32)) \
    X(0x3B, I32_STORE16, "i32.store16", IMM_MEMARG, MVP, SIG_STORE(I32)) \
    X(0x3C, I64_STORE8, "i64.store8", IMM_MEMARG, MVP, SIG_STORE(I64)) \
    X(0x3D, I64_STORE16, "i64.store16", IMM_MEMARG, MVP, SIG_STORE(I64)) \
    X(0x3E, I64_STORE32, "i64.store32", IMM_MEMARG, MVP, SIG_STORE(I64)) \
    X(0x3F, MEMORY_SIZE, "memory.size", IMM_ZERO_BYTE, MVP, SIG_CONST(I32)) \
    X(0x40, MEMORY_GROW, "memory.grow", IMM_ZERO_BYTE, MVP, SIG_UN(I32, I32)) \
    X(0x41, I32_CONST, "i32.const", IMM_I32, MVP, SIG_CONST(I32)) \
    X(0x42, I64_CONST, "i64.const", IMM_I64, MVP, SIG_CONST(I64)) \
    X(0x43, F32_CONST, "f32.const", IMM_F32, MVP, SIG_CONST(F32)) \
    X(0x44, F64_CONST, "f64.const", IMM_F64, MVP, SIG_CONST(F64)) \
    X(0x45, I32_EQZ, "i32.eqz", IMM_NONE, MVP, SIG_UN(I32, I32)) \
    X(0x46, I32_EQ, "i32.eq", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x47, I32_NE, "i32.ne", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x48, I32_LT_S, "i32.lt_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x49, I32_LT_U, "i32.lt_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4A, I32_GT_S, "i32.gt_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4B, I32_GT_U, "i32.gt_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4C, I32_LE_S, "i32.le_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4D, I32_LE_U, "i32.le_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4E, I32_GE_S, "i32.ge_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x4F, I32_GE_U, "i32.ge_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x50, I64_EQZ, "i64.eqz", IMM_NONE, MVP, SIG_UN(I64, I32)) \
    X(0x51, I64_EQ, "i64.eq", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x52, I64_NE, "i64.ne", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x53, I64_LT_S, "i64.lt_s", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x54, I64_LT_U, "i64.lt_u", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x55, I64_GT_S, "i64.gt_s", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x56, I64_GT_U, "i64.gt_u", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x57, I64_LE_S, "i64.le_s", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x58, I64_LE_U, "i64.le_u", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x59, I64_GE_S, "i64.ge_s", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x5A, I64_GE_U, "i64.ge_u", IMM_NONE, MVP, SIG_BIN(I64, I32)) \
    X(0x5B, F32_EQ, "f32.eq", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x5C, F32_NE, "f32.ne", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x5D, F32_LT, "f32.lt", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x5E, F32_GT, "f32.gt", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x5F, F32_LE, "f32.le", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x60, F32_GE, "f32.ge", IMM_NONE, MVP, SIG_BIN(F32, I32)) \
    X(0x61, F64_EQ, "f64.eq", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x62, F64_NE, "f64.ne", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x63, F64_LT, "f64.lt", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x64, F64_GT, "f64.gt", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x65, F64_LE, "f64.le", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x66, F64_GE, "f64.ge", IMM_NONE, MVP, SIG_BIN(F64, I32)) \
    X(0x67, I32_CLZ, "i32.clz", IMM_NONE, MVP, SIG_UN(I32, I32)) \
    X(0x68, I32_CTZ, "i32.ctz", IMM_NONE, MVP, SIG_UN(I32, I32)) \
    X(0x69, I32_POPCNT, "i32.popcnt", IMM_NONE, MVP, SIG_UN(I32, I32)) \
    X(0x6A, I32_ADD, "i32.add", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x6B, I32_SUB, "i32.sub", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x6C, I32_MUL, "i32.mul", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x6D, I32_DIV_S, "i32.div_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x6E, I32_DIV_U, "i32.div_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x6F, I32_REM_S, "i32.rem_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x70, I32_REM_U, "i32.rem_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x71, I32_AND, "i32.and", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x72, I32_OR, "i32.or", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x73, I32_XOR, "i32.xor", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x74, I32_SHL, "i32.shl", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x75, I32_SHR_S, "i32.shr_s", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x76, I32_SHR_U, "i32.shr_u", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x77, I32_ROTL, "i32.rotl", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x78, I32_ROTR, "i32.rotr", IMM_NONE, MVP, SIG_BIN(I32, I32)) \
    X(0x79, I64_CLZ, "i64.clz", IMM_NONE, MVP, SIG_UN(I64, I64)) \
    X(0x7A, I64_CTZ, "i64.ctz", IMM_NONE, MVP, SIG_UN(I64, I64)) \
    X(0x7B, I64_POPCNT, "i64.popcnt", IMM_NONE, MVP, SIG_UN(I64, I64)) \
    X(0x7C, I64_ADD, "i64.add", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x7D, I64_SUB, "i64.sub", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x7E, I64_MUL, "i64.mul", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x7F, I64_DIV_S, "i64.div_s", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x80, I64_DIV_U, "i64.div_u", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x81, I64_REM_S, "i64.rem_s", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x82, I64_REM_U, "i64.rem_u", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x83, I64_AND, "i64.and", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x84, I64_OR, "i64.or", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x85, I64_XOR, "i64.xor", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x86, I64_SHL, "i64.shl", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x87, I64_SHR_S, "i64.shr_s", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x88, I64_SHR_U, "i64.shr_u", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x89, I64_ROTL, "i64.rotl", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x8A, I64_ROTR, "i64.rotr", IMM_NONE, MVP, SIG_BIN(I64, I64)) \
    X(0x8B, F32_ABS, "f32.abs", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x8C, F32_NEG, "f32.neg", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x8D, F32_CEIL, "f32.ceil", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x8E, F32_FLOOR, "f32.floor", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x8F, F32_TRUNC, "f32.trunc", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x90, F32_NEAREST, "f32.nearest", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x91, F32_SQRT, "f32.sqrt", IMM_NONE, MVP, SIG_UN(F32, F32)) \
    X(0x92, F32_ADD, "f32.add", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x93, F32_SUB, "f32.sub", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x94, F32_MUL, "f32.mul", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x95, F32_DIV, "f32.div", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x96, F32_MIN, "f32.min", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x97, F32_MAX, "f32.max", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x98, F32_COPYSIGN, "f32.copysign", IMM_NONE, MVP, SIG_BIN(F32, F32)) \
    X(0x99, F64_ABS, "f64.abs", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9A, F64_NEG, "f64.neg", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9B, F64_CEIL, "f64.ceil", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9C, F64_FLOOR, "f64.floor", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9D, F64_TRUNC, "f64.trunc", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9E, F64_NEAREST, "f64.nearest", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0x9F, F64_SQRT, "f64.sqrt", IMM_NONE, MVP, SIG_UN(F64, F64)) \
    X(0xA0, F64_ADD, "f64.add", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA1, F64_SUB, "f64.sub", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA2, F64_MUL, "f64.mul", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA3, F64_DIV, "f64.div", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA4, F64_MIN, "f64.min", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA5, F64_MAX, "f64.max", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA6, F64_COPYSIGN, "f64.copysign", IMM_NONE, MVP, SIG_BIN(F64, F64)) \
    X(0xA7, I32_WRAP_I64, "i32.wrap_i64", IMM_NONE, MVP, SIG_UN(I64, I32)) \
    X(0xA8, I32_TRUNC_F32_S, "i32.trunc_f32_s", IMM_NONE, MVP, SIG_UN(F32, I32)) \
    X(0xA9, I32_TRUNC_F32_U, "i32.trunc_f32_u", IMM_NONE, MVP, SIG_UN(F32, I32)) \
    X(0xAA, I32_TRUNC_F64_S, "i32.trunc_f64_s", IMM_NONE, MVP, SIG_UN(F64, I32)) \
    X(0xAB, I32_TRUNC_F64_U, "i32.trunc_f64_u", IMM_NONE, MVP, SIG_UN(F64, I32)) \
    X(0xAC, I64_EXTEND_I32_S, "i64.extend_i32_s", IMM_NONE, MVP, SIG_UN(I32, I64)) \
    X(0xAD, I64_EXTEND_I32_U, "i64.extend_i32_u", IMM_NONE, MVP, SIG_UN(I32, I64)) \
    X(0xAE, I64_TRUNC_F32_S, "i64.trunc_f32_s", IMM_NONE, MVP, SIG_UN(F32, I64)) \
    X(0xAF, I64_TRUNC_F32_U, "i64.trunc_f32_u", IMM_NONE, MVP, SIG_UN(F32, I64)) \
    X(0xB0, I64_TRUNC_F64_S, "i64.trunc_f64_s", IMM_NONE, MVP, SIG_UN(F64, I64)) \
    X(0xB1, I64_TRUNC_F64_U, "i64.trunc_f64_u", IMM_NONE, MVP, SIG_UN(F64, I64)) \
    X(0xB2, F32_CONVERT_I32_S, "f32.convert_i32_s", IMM_NONE, MVP, SIG_UN(I32, F32)) \
    X(0xB3, F32_CONVERT_I32_U, "f32.convert_i32_u", IMM_NONE, MVP, SIG_UN(I32, F32)) \
    X(0xB4, F32_CONVERT_I64_S, "f32.convert_i64_s", IMM_NONE, MVP, SIG_UN(I64, F32)) \
    X(0xB5, F32_CONVERT_I64_U, "f32.convert_i64_u", IMM_NONE, MVP, SIG_UN(I64, F32)) \
    X(0xB6, F32_DEMOTE_F64, "f32.demote_f64", IMM_NONE, MVP, SIG_UN(F64, F32)) \
    X(0xB7, F64_CONVERT_I32_S, "f64.convert_i32_s", IMM_NONE, MVP, SIG_UN(I32, F64)) \
    X(0xB8, F64_CONVERT_I32_U, "f64.convert_i32_u", IMM_NONE, MVP, SIG_UN(I32, F64)) \
    X(0xB9, F64_CONVERT_I64_S, "f64.convert_i64_s", IMM_NONE, MVP, SIG_UN(I64, F64)) \
    X(0xBA, F64_CONVERT_I64_U, "f64.convert_i64_u", IMM_NONE, MVP, SIG_UN(I64, F64)) \
    X(0xBB, F64_PROMOTE_F32, "f64.promote_f32", IMM_NONE, MVP, SIG_UN(F32, F64)) \
    X(0xBC, I32_REINTERPRET_F32, "i32.reinterpret_f32", IMM_NONE, MVP, SIG_UN(F32, I32)) \
    X(0xBD, I64_REINTERPRET_F64, "i64.reinterpret_f64", IMM_NONE, MVP, SIG_UN(F64, I64)) \
    X(0xBE, F32_REINTERPRET_I32, "f32.reinterpret_i32", IMM_NONE, MVP, SIG_UN(I32, F32)) \
    X(0xBF, F64_REINTERPRET_I64, "f64.reinterpret_i64", IMM_NONE, MVP, SIG_UN(I64, F64)) \
    X(0xC0, I32_EXTEND8_S, "i32.extend8_s", IMM_NONE, SIGN_EXT, SIG_UN(I32, I32)) \
    X(0xC1, I32_EXTEND16_S, "i32.extend16_s", IMM_NONE, SIGN_EXT, SIG_UN(I32, I32)) \
    X(0xC2, I64_EXTEND8_S, "i64.extend8_s", IMM_NONE, SIGN_EXT, SIG_UN(I64, I64)) \
    X(0xC3, I64_EXTEND16_S, "i64.extend16_s", IMM_NONE, SIGN_EXT, SIG_UN(I64, I64)) \
    X(0xC4, I64_EXTEND32_S, "i64.extend32_s", IMM_NONE, SIGN_EXT, SIG_UN(I64, I64)) \
    X(0xD0, REF_NULL, "ref.null", IMM_REF_TYPE, REF_TYPES, SPECIAL) \
    X(0xD1, REF_IS_NULL, "ref.is_null", IMM_NONE, REF_TYPES, SPECIAL) \
    X(0xD2, REF_FUNC, "ref.func", IMM_INDEX, REF_TYPES, SPECIAL) \
    X(0xFC, PREFIX_FC, "prefix_fc", IMM_PREFIX, MVP, SPECIAL)

/* X(subop, NAME, "text", immediates, feature, signature) for the 0xFC-prefixed opcodes. */
#define WASM_FC_OPCODE_LIST(X) \
    X(0x00, I32_TRUNC_SAT_F32_S, "i32.trunc_sat_f32_s", IMM_NONE, SAT_FLOAT, SIG_UN(F32, I32)) \
    X(0x01, I32_TRUNC_SAT_F32_U, "i32.trunc_sat_f32_u", IMM_NONE, SAT_FLOAT, SIG_UN(F32, I32)) \
    X(0x02, I32_TRUNC_SAT_F64_S, "i32.trunc_sat_f64_s", IMM_NONE, SAT_FLOAT, SIG_UN(F64, I32)) \
    X(0x03, I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u", IMM_NONE, SAT_FLOAT, SIG_UN(F64, I32)) \
    X(0x04, I64_TRUNC_SAT_F32_S, "i64.trunc_sat_f32_s", IMM_NONE, SAT_FLOAT, SIG_UN(F32, I64)) \
    X(0x05, I64_TRUNC_SAT_F32_U, "i64.trunc_sat_f32_u", IMM_NONE, SAT_FLOAT, SIG_UN(F32, I64)) \
    X(0x06, I64_TRUNC_SAT_F64_S, "i64.trunc_sat_f64_s", IMM_NONE, SAT_FLOAT, SIG_UN(F64, I64)) \
    X(0x07, I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u", IMM_NONE, SAT_FLOAT, SIG_UN(F64, I64)) \
    X(0x08, MEMORY_INIT, "memory.init", IMM_INDEX_ZERO, BULK_MEMORY, SPECIAL) \
    X(0x09, DATA_DROP, "data.drop", IMM_INDEX, BULK_MEMORY, SPECIAL) \
    X(0x0A, MEMORY_COPY, "memory.copy", IMM_TWO_ZEROS, BULK_MEMORY, SPECIAL) \
    X(0x0B, MEMORY_FILL, "memory.fill", IMM_ZERO_BYTE, BULK_MEMORY, SPECIAL) \
    X(0x0C, TABLE_INIT, "table.init", IMM_TWO_INDICES, BULK_MEMORY, SPECIAL) \
    X(0x0D, ELEM_DROP, "elem.drop", IMM_INDEX, BULK_MEMORY, SPECIAL) \
    X(0x0E, TABLE_COPY, "table.copy", IMM_TWO_INDICES, BULK_MEMORY, SPECIAL) \
    X(0x0F, TABLE_GROW, "table.grow", IMM_INDEX, REF_TYPES, SPECIAL) \
    X(0x10, TABLE_SIZE, "table.size", IMM_INDEX, REF_TYPES, SPECIAL) \
    X(0x11, TABLE_FILL, "table.fill", IMM_INDEX, REF_TYPES, SPECIAL)

enum {
#define X(code, name, text, imm, feat, sig) WASM_OP_##name = code,
    WASM_OPCODE_LIST(X)
#undef X
};
enum {
#define X(code, name, text, imm, feat, sig) WASM_FC_##name = code,
    WASM_FC_OPCODE_LIST(X)
#undef X
};

typedef struct wasm_op_info {
    const char *name;       /* NULL: not an opcode */
    wasm_imm imm;
    wasm_feature feature;
    wasm_sig sig;
} wasm_op_info;

/* The entry of a single-byte opcode, or of an 0xFC sub-opcode; name NULL when unknown. */
extern const wasm_op_info WASM_OPS[256];
static inline const wasm_op_info *wasm_op_info_of(uint8_t byte)
{
    return &WASM_OPS[byte];
}
const wasm_op_info *wasm_fc_op_info_of(uint32_t subop);

/* The text name of an opcode ("i32.add"), or NULL for an unknown byte. */
const char *wasm_opcode_name(unsigned byte);
const char *wasm_fc_opcode_name(unsigned subop);

/*
 * Skip the immediates of `op` (the opcode byte already read; for 0xFC the
 * sub-opcode and its immediates). False at the end of input or for an
 * unknown opcode (reader error set). *fc_out, when given, receives the
 * sub-opcode of an 0xFC instruction.
 */
bool wasm_skip_immediates_of(struct wasm_reader *r, uint8_t op, uint32_t *fc_out);

/* Walkers call this for every instruction: the common cases (no immediate, a
 * one-byte index) inline. */
static inline bool wasm_skip_immediates(wasm_reader *r, uint8_t op, uint32_t *fc_out)
{
    wasm_imm imm = WASM_OPS[op].imm;
    if (imm == IMM_NONE && WASM_OPS[op].name)
        return true;
    if (imm == IMM_INDEX && r->p < r->end && *r->p < 0x80) {
        r->p++;
        return true;
    }
    return wasm_skip_immediates_of(r, op, fc_out);
}
/* The same for an 0xFC instruction whose sub-opcode has been read. */
bool wasm_skip_fc_immediates(struct wasm_reader *r, uint32_t subop);

/*
 * Read the one immediate of a kind that holds one value: IMM_INDEX (u32),
 * IMM_I32 (the bits, zero-extended), IMM_I64, IMM_F32 and IMM_F64 (the bits),
 * IMM_REF_TYPE (the type byte). False at the end of input or for another kind.
 */
bool wasm_read_imm_value(wasm_reader *r, wasm_imm imm, uint64_t *value);

/* The text name of a value type ("i32", "funcref"…), or NULL for an unknown code. */
const char *wasm_valtype_name(unsigned code);

#endif

/*
 * opcodes.h — WebAssembly instruction opcodes (binary encoding), generated once
 * from the spec's opcode table. WASM_OP_* are single-byte opcodes; WASM_FC_* are
 * the sub-opcodes after the 0xFC prefix (a u32 LEB128).
 */
#ifndef PVF_WASM_OPCODES_H
#define PVF_WASM_OPCODES_H

/* X(byte, NAME, "text") for every single-byte opcode. */
#define WASM_OPCODE_LIST(X) \
    X(0x00, UNREACHABLE, "unreachable") \
    X(0x01, NOP, "nop") \
    X(0x02, BLOCK, "block") \
    X(0x03, LOOP, "loop") \
    X(0x04, IF, "if") \
    X(0x05, ELSE, "else") \
    X(0x0B, END, "end") \
    X(0x0C, BR, "br") \
    X(0x0D, BR_IF, "br_if") \
    X(0x0E, BR_TABLE, "br_table") \
    X(0x0F, RETURN, "return") \
    X(0x10, CALL, "call") \
    X(0x11, CALL_INDIRECT, "call_indirect") \
    X(0x1A, DROP, "drop") \
    X(0x1B, SELECT, "select") \
    X(0x1C, SELECT_T, "select_t") \
    X(0x20, LOCAL_GET, "local.get") \
    X(0x21, LOCAL_SET, "local.set") \
    X(0x22, LOCAL_TEE, "local.tee") \
    X(0x23, GLOBAL_GET, "global.get") \
    X(0x24, GLOBAL_SET, "global.set") \
    X(0x28, I32_LOAD, "i32.load") \
    X(0x29, I64_LOAD, "i64.load") \
    X(0x2A, F32_LOAD, "f32.load") \
    X(0x2B, F64_LOAD, "f64.load") \
    X(0x2C, I32_LOAD8_S, "i32.load8_s") \
    X(0x2D, I32_LOAD8_U, "i32.load8_u") \
    X(0x2E, I32_LOAD16_S, "i32.load16_s") \
    X(0x2F, I32_LOAD16_U, "i32.load16_u") \
    X(0x30, I64_LOAD8_S, "i64.load8_s") \
    X(0x31, I64_LOAD8_U, "i64.load8_u") \
    X(0x32, I64_LOAD16_S, "i64.load16_s") \
    X(0x33, I64_LOAD16_U, "i64.load16_u") \
    X(0x34, I64_LOAD32_S, "i64.load32_s") \
    X(0x35, I64_LOAD32_U, "i64.load32_u") \
    X(0x36, I32_STORE, "i32.store") \
    X(0x37, I64_STORE, "i64.store") \
    X(0x38, F32_STORE, "f32.store") \
    X(0x39, F64_STORE, "f64.store") \
    X(0x3A, I32_STORE8, "i32.store8") \
    X(0x3B, I32_STORE16, "i32.store16") \
    X(0x3C, I64_STORE8, "i64.store8") \
    X(0x3D, I64_STORE16, "i64.store16") \
    X(0x3E, I64_STORE32, "i64.store32") \
    X(0x3F, MEMORY_SIZE, "memory.size") \
    X(0x40, MEMORY_GROW, "memory.grow") \
    X(0x41, I32_CONST, "i32.const") \
    X(0x42, I64_CONST, "i64.const") \
    X(0x43, F32_CONST, "f32.const") \
    X(0x44, F64_CONST, "f64.const") \
    X(0x45, I32_EQZ, "i32.eqz") \
    X(0x46, I32_EQ, "i32.eq") \
    X(0x47, I32_NE, "i32.ne") \
    X(0x48, I32_LT_S, "i32.lt_s") \
    X(0x49, I32_LT_U, "i32.lt_u") \
    X(0x4A, I32_GT_S, "i32.gt_s") \
    X(0x4B, I32_GT_U, "i32.gt_u") \
    X(0x4C, I32_LE_S, "i32.le_s") \
    X(0x4D, I32_LE_U, "i32.le_u") \
    X(0x4E, I32_GE_S, "i32.ge_s") \
    X(0x4F, I32_GE_U, "i32.ge_u") \
    X(0x50, I64_EQZ, "i64.eqz") \
    X(0x51, I64_EQ, "i64.eq") \
    X(0x52, I64_NE, "i64.ne") \
    X(0x53, I64_LT_S, "i64.lt_s") \
    X(0x54, I64_LT_U, "i64.lt_u") \
    X(0x55, I64_GT_S, "i64.gt_s") \
    X(0x56, I64_GT_U, "i64.gt_u") \
    X(0x57, I64_LE_S, "i64.le_s") \
    X(0x58, I64_LE_U, "i64.le_u") \
    X(0x59, I64_GE_S, "i64.ge_s") \
    X(0x5A, I64_GE_U, "i64.ge_u") \
    X(0x5B, F32_EQ, "f32.eq") \
    X(0x5C, F32_NE, "f32.ne") \
    X(0x5D, F32_LT, "f32.lt") \
    X(0x5E, F32_GT, "f32.gt") \
    X(0x5F, F32_LE, "f32.le") \
    X(0x60, F32_GE, "f32.ge") \
    X(0x61, F64_EQ, "f64.eq") \
    X(0x62, F64_NE, "f64.ne") \
    X(0x63, F64_LT, "f64.lt") \
    X(0x64, F64_GT, "f64.gt") \
    X(0x65, F64_LE, "f64.le") \
    X(0x66, F64_GE, "f64.ge") \
    X(0x67, I32_CLZ, "i32.clz") \
    X(0x68, I32_CTZ, "i32.ctz") \
    X(0x69, I32_POPCNT, "i32.popcnt") \
    X(0x6A, I32_ADD, "i32.add") \
    X(0x6B, I32_SUB, "i32.sub") \
    X(0x6C, I32_MUL, "i32.mul") \
    X(0x6D, I32_DIV_S, "i32.div_s") \
    X(0x6E, I32_DIV_U, "i32.div_u") \
    X(0x6F, I32_REM_S, "i32.rem_s") \
    X(0x70, I32_REM_U, "i32.rem_u") \
    X(0x71, I32_AND, "i32.and") \
    X(0x72, I32_OR, "i32.or") \
    X(0x73, I32_XOR, "i32.xor") \
    X(0x74, I32_SHL, "i32.shl") \
    X(0x75, I32_SHR_S, "i32.shr_s") \
    X(0x76, I32_SHR_U, "i32.shr_u") \
    X(0x77, I32_ROTL, "i32.rotl") \
    X(0x78, I32_ROTR, "i32.rotr") \
    X(0x79, I64_CLZ, "i64.clz") \
    X(0x7A, I64_CTZ, "i64.ctz") \
    X(0x7B, I64_POPCNT, "i64.popcnt") \
    X(0x7C, I64_ADD, "i64.add") \
    X(0x7D, I64_SUB, "i64.sub") \
    X(0x7E, I64_MUL, "i64.mul") \
    X(0x7F, I64_DIV_S, "i64.div_s") \
    X(0x80, I64_DIV_U, "i64.div_u") \
    X(0x81, I64_REM_S, "i64.rem_s") \
    X(0x82, I64_REM_U, "i64.rem_u") \
    X(0x83, I64_AND, "i64.and") \
    X(0x84, I64_OR, "i64.or") \
    X(0x85, I64_XOR, "i64.xor") \
    X(0x86, I64_SHL, "i64.shl") \
    X(0x87, I64_SHR_S, "i64.shr_s") \
    X(0x88, I64_SHR_U, "i64.shr_u") \
    X(0x89, I64_ROTL, "i64.rotl") \
    X(0x8A, I64_ROTR, "i64.rotr") \
    X(0x8B, F32_ABS, "f32.abs") \
    X(0x8C, F32_NEG, "f32.neg") \
    X(0x8D, F32_CEIL, "f32.ceil") \
    X(0x8E, F32_FLOOR, "f32.floor") \
    X(0x8F, F32_TRUNC, "f32.trunc") \
    X(0x90, F32_NEAREST, "f32.nearest") \
    X(0x91, F32_SQRT, "f32.sqrt") \
    X(0x92, F32_ADD, "f32.add") \
    X(0x93, F32_SUB, "f32.sub") \
    X(0x94, F32_MUL, "f32.mul") \
    X(0x95, F32_DIV, "f32.div") \
    X(0x96, F32_MIN, "f32.min") \
    X(0x97, F32_MAX, "f32.max") \
    X(0x98, F32_COPYSIGN, "f32.copysign") \
    X(0x99, F64_ABS, "f64.abs") \
    X(0x9A, F64_NEG, "f64.neg") \
    X(0x9B, F64_CEIL, "f64.ceil") \
    X(0x9C, F64_FLOOR, "f64.floor") \
    X(0x9D, F64_TRUNC, "f64.trunc") \
    X(0x9E, F64_NEAREST, "f64.nearest") \
    X(0x9F, F64_SQRT, "f64.sqrt") \
    X(0xA0, F64_ADD, "f64.add") \
    X(0xA1, F64_SUB, "f64.sub") \
    X(0xA2, F64_MUL, "f64.mul") \
    X(0xA3, F64_DIV, "f64.div") \
    X(0xA4, F64_MIN, "f64.min") \
    X(0xA5, F64_MAX, "f64.max") \
    X(0xA6, F64_COPYSIGN, "f64.copysign") \
    X(0xA7, I32_WRAP_I64, "i32.wrap_i64") \
    X(0xA8, I32_TRUNC_F32_S, "i32.trunc_f32_s") \
    X(0xA9, I32_TRUNC_F32_U, "i32.trunc_f32_u") \
    X(0xAA, I32_TRUNC_F64_S, "i32.trunc_f64_s") \
    X(0xAB, I32_TRUNC_F64_U, "i32.trunc_f64_u") \
    X(0xAC, I64_EXTEND_I32_S, "i64.extend_i32_s") \
    X(0xAD, I64_EXTEND_I32_U, "i64.extend_i32_u") \
    X(0xAE, I64_TRUNC_F32_S, "i64.trunc_f32_s") \
    X(0xAF, I64_TRUNC_F32_U, "i64.trunc_f32_u") \
    X(0xB0, I64_TRUNC_F64_S, "i64.trunc_f64_s") \
    X(0xB1, I64_TRUNC_F64_U, "i64.trunc_f64_u") \
    X(0xB2, F32_CONVERT_I32_S, "f32.convert_i32_s") \
    X(0xB3, F32_CONVERT_I32_U, "f32.convert_i32_u") \
    X(0xB4, F32_CONVERT_I64_S, "f32.convert_i64_s") \
    X(0xB5, F32_CONVERT_I64_U, "f32.convert_i64_u") \
    X(0xB6, F32_DEMOTE_F64, "f32.demote_f64") \
    X(0xB7, F64_CONVERT_I32_S, "f64.convert_i32_s") \
    X(0xB8, F64_CONVERT_I32_U, "f64.convert_i32_u") \
    X(0xB9, F64_CONVERT_I64_S, "f64.convert_i64_s") \
    X(0xBA, F64_CONVERT_I64_U, "f64.convert_i64_u") \
    X(0xBB, F64_PROMOTE_F32, "f64.promote_f32") \
    X(0xBC, I32_REINTERPRET_F32, "i32.reinterpret_f32") \
    X(0xBD, I64_REINTERPRET_F64, "i64.reinterpret_f64") \
    X(0xBE, F32_REINTERPRET_I32, "f32.reinterpret_i32") \
    X(0xBF, F64_REINTERPRET_I64, "f64.reinterpret_i64") \
    X(0xC0, I32_EXTEND8_S, "i32.extend8_s") \
    X(0xC1, I32_EXTEND16_S, "i32.extend16_s") \
    X(0xC2, I64_EXTEND8_S, "i64.extend8_s") \
    X(0xC3, I64_EXTEND16_S, "i64.extend16_s") \
    X(0xC4, I64_EXTEND32_S, "i64.extend32_s") \
    X(0xD0, REF_NULL, "ref.null") \
    X(0xD1, REF_IS_NULL, "ref.is_null") \
    X(0xD2, REF_FUNC, "ref.func") \
    X(0xFC, PREFIX_FC, "prefix_fc") \

/* X(subop, NAME, "text") for the 0xFC-prefixed opcodes. */
#define WASM_FC_OPCODE_LIST(X) \
    X(0x00, I32_TRUNC_SAT_F32_S, "i32.trunc_sat_f32_s") \
    X(0x01, I32_TRUNC_SAT_F32_U, "i32.trunc_sat_f32_u") \
    X(0x02, I32_TRUNC_SAT_F64_S, "i32.trunc_sat_f64_s") \
    X(0x03, I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u") \
    X(0x04, I64_TRUNC_SAT_F32_S, "i64.trunc_sat_f32_s") \
    X(0x05, I64_TRUNC_SAT_F32_U, "i64.trunc_sat_f32_u") \
    X(0x06, I64_TRUNC_SAT_F64_S, "i64.trunc_sat_f64_s") \
    X(0x07, I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u") \
    X(0x08, MEMORY_INIT, "memory.init") \
    X(0x09, DATA_DROP, "data.drop") \
    X(0x0A, MEMORY_COPY, "memory.copy") \
    X(0x0B, MEMORY_FILL, "memory.fill") \
    X(0x0C, TABLE_INIT, "table.init") \
    X(0x0D, ELEM_DROP, "elem.drop") \
    X(0x0E, TABLE_COPY, "table.copy") \

enum {
#define X(code, name, text) WASM_OP_##name = code,
    WASM_OPCODE_LIST(X)
#undef X
};
enum {
#define X(code, name, text) WASM_FC_##name = code,
    WASM_FC_OPCODE_LIST(X)
#undef X
};

/* The text name of an opcode ("i32.add"), or NULL for an unknown byte. */
const char *wasm_opcode_name(unsigned byte);
const char *wasm_fc_opcode_name(unsigned subop);

/* The text name of a value type ("i32", "funcref"…), or NULL for an unknown code. */
const char *wasm_valtype_name(unsigned code);

#endif

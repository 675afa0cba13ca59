/* opcodes.c — opcode names for error messages and `pvf inspect`. */
#include "wasm/opcodes.h"

#include <stddef.h>

#include "wasm/module.h"

const char *wasm_opcode_name(unsigned byte)
{
    switch (byte) {
#define X(code, name, text) case code: return text;
        WASM_OPCODE_LIST(X)
#undef X
    }
    return NULL;
}

const char *wasm_fc_opcode_name(unsigned subop)
{
    switch (subop) {
#define X(code, name, text) case code: return text;
        WASM_FC_OPCODE_LIST(X)
#undef X
    }
    return NULL;
}

const char *wasm_valtype_name(unsigned code)
{
    switch (code) {
    case WASM_I32: return "i32";
    case WASM_I64: return "i64";
    case WASM_F32: return "f32";
    case WASM_F64: return "f64";
    case WASM_FUNCREF: return "funcref";
    case WASM_EXTERNREF: return "externref";
    }
    return NULL;
}

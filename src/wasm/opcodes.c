/* opcodes.c — opcode names for error messages and `pvf inspect`. */
#include "wasm/opcodes.h"

#include <stddef.h>

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

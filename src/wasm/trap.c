/* trap.c — trap kinds and their texts (the spec suite's wording). */
#include <stdio.h>

#include "wasm/store.h"

const char *pvf_trap_kind_text(pvf_trap_kind kind)
{
    switch (kind) {
    case PVF_TRAP_NONE: return "no trap";
    case PVF_TRAP_UNREACHABLE: return "unreachable";
    case PVF_TRAP_MEMORY_OUT_OF_BOUNDS: return "out of bounds memory access";
    case PVF_TRAP_TABLE_OUT_OF_BOUNDS: return "undefined element";
    case PVF_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case PVF_TRAP_INDIRECT_CALL_TYPE: return "indirect call type mismatch";
    case PVF_TRAP_INTEGER_DIVIDE_BY_ZERO: return "integer divide by zero";
    case PVF_TRAP_INTEGER_OVERFLOW: return "integer overflow";
    case PVF_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case PVF_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case PVF_TRAP_HOST: return "host function trapped";
    case PVF_TRAP_MISSING_IMPORT: return "call to a missing function";
    }
    return "unknown trap";
}

pvf_trap_kind trap_set(pvf_trap *trap, pvf_trap_kind kind)
{
    if (trap) {
        trap->kind = kind;
        snprintf(trap->message, sizeof trap->message, "%s", pvf_trap_kind_text(kind));
    }
    return kind;
}

/* opcodes.c — the instruction table (opcodes.h) and immediate skipping from it. */
#include "wasm/opcodes.h"

#include <stddef.h>

#include "wasm/module.h"
#include "wasm/reader.h"

const wasm_op_info WASM_OPS[256] = {
#define X(code, NAME, text, imm, feat, sig) [code] = { text, imm, feat, sig },
    WASM_OPCODE_LIST(X)
#undef X
};

static const wasm_op_info FC_OPS[] = {
#define X(code, NAME, text, imm, feat, sig) [code] = { text, imm, feat, sig },
    WASM_FC_OPCODE_LIST(X)
#undef X
};

_Static_assert(sizeof FC_OPS / sizeof FC_OPS[0] == 0x12, "the 0xFC sub-opcodes are 0 to 17");

static const wasm_op_info UNKNOWN = { NULL, IMM_NONE, MVP, SPECIAL };

const wasm_op_info *wasm_fc_op_info_of(uint32_t subop)
{
    return subop < sizeof FC_OPS / sizeof FC_OPS[0] ? &FC_OPS[subop] : &UNKNOWN;
}

const char *wasm_opcode_name(unsigned byte)
{
    return byte < 256 ? WASM_OPS[byte].name : NULL;
}

const char *wasm_fc_opcode_name(unsigned subop)
{
    return wasm_fc_op_info_of(subop)->name;
}

/* Most u32 immediates are one byte: those are stepped over without a call. */
static bool skip_u32s(wasm_reader *r, uint64_t n)
{
    uint32_t v;
    for (uint64_t i = 0; i < n; i++) {
        if (r->p < r->end && *r->p < 0x80)
            r->p++;
        else if (!wasm_read_u32(r, &v))
            return false;
    }
    return true;
}

static bool skip_bytes(wasm_reader *r, size_t n)
{
    const uint8_t *b;
    return wasm_read_bytes(r, n, &b);
}

static bool skip_kind(wasm_reader *r, wasm_imm imm, uint32_t *fc_out)
{
    uint32_t n;
    int32_t s32;
    int64_t s64;
    switch (imm) {
    case IMM_NONE:          return true;
    case IMM_INDEX:         return skip_u32s(r, 1);
    case IMM_BLOCK:         return wasm_read_s33(r, &s64);
    case IMM_BR_TABLE:      return wasm_read_u32(r, &n) && skip_u32s(r, (uint64_t)n + 1);
    case IMM_CALL_INDIRECT: return skip_u32s(r, 2);
    case IMM_MEMARG:        return skip_u32s(r, 2);
    case IMM_ZERO_BYTE:     return skip_bytes(r, 1);
    case IMM_I32:           return wasm_read_s32(r, &s32);
    case IMM_I64:           return wasm_read_s64(r, &s64);
    case IMM_F32:           return skip_bytes(r, 4);
    case IMM_F64:           return skip_bytes(r, 8);
    case IMM_SELECT_T:      return wasm_read_u32(r, &n) && skip_bytes(r, n);
    case IMM_REF_TYPE:      return skip_bytes(r, 1);
    case IMM_INDEX_ZERO:    return skip_u32s(r, 1) && skip_bytes(r, 1);
    case IMM_TWO_ZEROS:     return skip_bytes(r, 2);
    case IMM_TWO_INDICES:   return skip_u32s(r, 2);
    case IMM_PREFIX: {
        uint32_t sub;
        if (!wasm_read_u32(r, &sub))
            return false;
        if (fc_out)
            *fc_out = sub;
        return wasm_skip_fc_immediates(r, sub);
    }
    }
    return false;
}

bool wasm_skip_fc_immediates(wasm_reader *r, uint32_t subop)
{
    const wasm_op_info *fi = wasm_fc_op_info_of(subop);
    if (!fi->name)
        return wasm_reader_fail(r, "unknown 0xFC sub-opcode %u", subop);
    return skip_kind(r, fi->imm, NULL);
}

bool wasm_skip_immediates_of(wasm_reader *r, uint8_t op, uint32_t *fc_out)
{
    const wasm_op_info *oi = wasm_op_info_of(op);
    if (!oi->name)
        return wasm_reader_fail(r, "unknown opcode 0x%02x", op);
    return skip_kind(r, oi->imm, fc_out);
}

bool wasm_read_imm_value(wasm_reader *r, wasm_imm imm, uint64_t *value)
{
    uint32_t u32;
    int32_t s32;
    int64_t s64;
    uint8_t b;
    bool ok;
    switch (imm) {
    case IMM_INDEX:    ok = wasm_read_u32(r, &u32); *value = u32; return ok;
    case IMM_I32:      ok = wasm_read_s32(r, &s32); *value = (uint32_t)s32; return ok;
    case IMM_I64:      ok = wasm_read_s64(r, &s64); *value = (uint64_t)s64; return ok;
    case IMM_F32:      ok = wasm_read_f32(r, &u32); *value = u32; return ok;
    case IMM_F64:      return wasm_read_f64(r, value);
    case IMM_REF_TYPE: ok = wasm_read_u8(r, &b); *value = b; return ok;
    default:           return wasm_reader_fail(r, "no single-value immediate");
    }
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

/*
 * wast_values.c — values in wast2json commands, and comparing results with them.
 *
 * wast2json writes every number as the unsigned decimal of its bit pattern,
 * in a string ({"type": "f32", "value": "1065353216"} is 1.0f), so results
 * compare bit for bit. The exceptions are the NaN patterns of the float
 * tests: "nan:canonical" (a quiet NaN whose payload is exactly the canonical
 * one, either sign) and "nan:arithmetic" (any NaN with the quiet bit set).
 */
#include "cli/wast.h"
#include "util/parse.h"

#include <stdio.h>
#include <string.h>

#define F32_SIGN 0x80000000u
#define F32_CANONICAL_NAN 0x7fc00000u
#define F64_SIGN 0x8000000000000000ull
#define F64_CANONICAL_NAN 0x7ff8000000000000ull

const char *wast_type_name(uint8_t type)
{
    switch (type) {
    case PVF_I32: return "i32";
    case PVF_I64: return "i64";
    case PVF_F32: return "f32";
    case PVF_F64: return "f64";
    case PVF_FUNCREF: return "funcref";
    case WAST_EXTERNREF: return "externref";
    case WAST_V128: return "v128";
    default: return "?";
    }
}

static bool type_from_name(const char *name, uint8_t *type)
{
    static const uint8_t types[] = { PVF_I32, PVF_I64, PVF_F32, PVF_F64, PVF_FUNCREF, WAST_EXTERNREF,
                                     WAST_V128 };
    for (size_t i = 0; i < sizeof types; i++) {
        if (!strcmp(name, wast_type_name(types[i]))) {
            *type = types[i];
            return true;
        }
    }
    return false;
}

static bool is_float(uint8_t type)
{
    return type == PVF_F32 || type == PVF_F64;
}

bool wast_value_parse(const json_value *jv, wast_value *out, char *err, size_t errlen)
{
    const char *type_name = json_get_string(jv, "type");
    if (!type_name) {
        snprintf(err, errlen, "value without a \"type\"");
        return false;
    }
    memset(out, 0, sizeof *out);
    if (!type_from_name(type_name, &out->type)) {
        snprintf(err, errlen, "unknown value type \"%s\"", type_name);
        return false;
    }
    if (out->type == WAST_V128) {
        out->kind = WAST_VALUE_UNSUPPORTED;   /* its "value" is an array of lanes */
        return true;
    }
    const char *text = json_get_string(jv, "value");
    if (!text) {
        snprintf(err, errlen, "%s value without a string \"value\"", type_name);
        return false;
    }
    if (is_float(out->type) && !strcmp(text, "nan:canonical")) {
        out->kind = WAST_VALUE_NAN_CANONICAL;
        return true;
    }
    if (is_float(out->type) && !strcmp(text, "nan:arithmetic")) {
        out->kind = WAST_VALUE_NAN_ARITHMETIC;
        return true;
    }
    if (out->type == WAST_EXTERNREF) {
        out->kind = WAST_VALUE_UNSUPPORTED;    /* the engine has no externref at all */
        return true;
    }
    if (out->type == PVF_FUNCREF) {
        /* A non-null funcref names a function of the test; only null can be written down. */
        out->kind = !strcmp(text, "null") ? WAST_VALUE_NULL_REF : WAST_VALUE_UNSUPPORTED;
        return true;
    }
    uint64_t max = out->type == PVF_I32 || out->type == PVF_F32 ? UINT32_MAX : UINT64_MAX;
    if (!parse_decimal(text, max, &out->bits)) {
        snprintf(err, errlen, "%s value \"%s\" is not an unsigned decimal that fits", type_name, text);
        return false;
    }
    out->kind = WAST_VALUE_BITS;
    return true;
}

static bool matches_nan(uint8_t type, wast_value_kind kind, uint64_t actual)
{
    if (type == PVF_F32) {
        if (actual >> 32)
            return false;
        uint32_t magnitude = (uint32_t)actual & ~F32_SIGN;
        if (kind == WAST_VALUE_NAN_CANONICAL)
            return magnitude == F32_CANONICAL_NAN;
        return (magnitude & F32_CANONICAL_NAN) == F32_CANONICAL_NAN;
    }
    uint64_t magnitude = actual & ~F64_SIGN;
    if (kind == WAST_VALUE_NAN_CANONICAL)
        return magnitude == F64_CANONICAL_NAN;
    return (magnitude & F64_CANONICAL_NAN) == F64_CANONICAL_NAN;
}

bool wast_value_matches(const wast_value *expected, uint64_t actual)
{
    switch (expected->kind) {
    case WAST_VALUE_BITS:
        return actual == expected->bits;   /* 32-bit values must come with the upper half zero */
    case WAST_VALUE_NAN_CANONICAL:
    case WAST_VALUE_NAN_ARITHMETIC:
        return matches_nan(expected->type, expected->kind, actual);
    case WAST_VALUE_NULL_REF:
        return actual == 0;
    default:
        return false;
    }
}

static double f32_value(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static double f64_value(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

void wast_slot_format(uint8_t type, uint64_t slot, char *buf, size_t size)
{
    switch (type) {
    case PVF_I32:
        if (slot >> 32)
            snprintf(buf, size, "i32 with garbage in the upper half: 0x%016llx", (unsigned long long)slot);
        else
            snprintf(buf, size, (int32_t)slot < 0 ? "i32 %u (%d)" : "i32 %u", (unsigned)slot,
                     (int)(int32_t)(uint32_t)slot);
        break;
    case PVF_I64:
        snprintf(buf, size, (int64_t)slot < 0 ? "i64 %llu (%lld)" : "i64 %llu", (unsigned long long)slot,
                 (long long)(int64_t)slot);
        break;
    case PVF_F32:
        if (slot >> 32)
            snprintf(buf, size, "f32 with garbage in the upper half: 0x%016llx", (unsigned long long)slot);
        else
            snprintf(buf, size, "f32 0x%08x (%.9g)", (unsigned)slot, f32_value((uint32_t)slot));
        break;
    case PVF_F64:
        snprintf(buf, size, "f64 0x%016llx (%.17g)", (unsigned long long)slot, f64_value(slot));
        break;
    default:
        snprintf(buf, size, "%s %s", wast_type_name(type), slot ? "non-null" : "null");
        break;
    }
}

void wast_value_format(const wast_value *v, char *buf, size_t size)
{
    switch (v->kind) {
    case WAST_VALUE_BITS:
        wast_slot_format(v->type, v->bits, buf, size);
        break;
    case WAST_VALUE_NAN_CANONICAL:
        snprintf(buf, size, "%s nan:canonical", wast_type_name(v->type));
        break;
    case WAST_VALUE_NAN_ARITHMETIC:
        snprintf(buf, size, "%s nan:arithmetic", wast_type_name(v->type));
        break;
    case WAST_VALUE_NULL_REF:
        snprintf(buf, size, "%s null", wast_type_name(v->type));
        break;
    default:
        snprintf(buf, size, "%s (unsupported)", wast_type_name(v->type));
        break;
    }
}

/* trap.c — trap kinds and their texts (the spec suite's wording). */
#include <stdio.h>
#include <string.h>

#include "wasm/code.h"
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

void trap_frame(pvf_trap *trap, uint32_t func)
{
    if (trap->nframes < PVF_TRAP_FRAMES_MAX)
        trap->frames[trap->nframes] = func;
    if (trap->nframes < UINT32_MAX)
        trap->nframes++;
}

uint32_t code_func_at(const pvf_code *code, uint32_t word)
{
    /* the defined function whose code starts last at or before `word` (a trap path only:
     * a scan, no ordering assumed) */
    uint32_t best = code->nfunc_imports;
    for (uint32_t i = code->nfunc_imports; i < code->nfuncs; i++)
        if (code->funcs[i].entry <= word && code->funcs[i].entry >= code->funcs[best].entry)
            best = i;
    return best;
}

/* A LEB128 u32 from [*p, end), or false. */
static bool read_leb(const uint8_t **p, const uint8_t *end, uint32_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 35 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *out = (uint32_t)v;
            return v <= UINT32_MAX;
        }
    }
    return false;
}

/* Function `func`'s name in the name section's function-names subsection (id 1), or NULL. */
static const uint8_t *func_name(const pvf_code *code, uint32_t func, uint32_t *len)
{
    for (uint32_t i = 0; i < code->ncustoms; i++) {
        if (strcmp(code->customs[i].name, "name"))
            continue;
        const uint8_t *p = code->customs[i].bytes, *end = p + code->customs[i].len;
        while (p < end) {
            uint8_t id = *p++;
            uint32_t size, count;
            if (!read_leb(&p, end, &size) || size > (size_t)(end - p))
                return NULL;
            const uint8_t *sub = p, *sub_end = p + size;
            p = sub_end;
            if (id != 1 || !read_leb(&sub, sub_end, &count))
                continue;
            for (uint32_t k = 0; k < count; k++) {
                uint32_t idx, n;
                if (!read_leb(&sub, sub_end, &idx) || !read_leb(&sub, sub_end, &n) || n > (size_t)(sub_end - sub))
                    return NULL;
                if (idx == func) {
                    *len = n;
                    return sub;
                }
                sub += n;
            }
        }
    }
    return NULL;
}

size_t pvf_trap_backtrace(const pvf_trap *trap, const pvf_code *code, char *buf, size_t size)
{
    size_t used = 0;
    uint32_t shown = trap->nframes < PVF_TRAP_FRAMES_MAX ? trap->nframes : PVF_TRAP_FRAMES_MAX;
    if (size)
        buf[0] = 0;
    for (uint32_t i = 0; i < shown; i++) {
        uint32_t len = 0;
        const uint8_t *name = code ? func_name(code, trap->frames[i], &len) : NULL;
        int n = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, "%s#%u f%u%s%.*s",
                         i ? ", " : "", i, trap->frames[i], name ? " " : "", name ? (int)(len > 80 ? 80 : len) : 0,
                         name ? (const char *)name : "");
        used += n > 0 ? (size_t)n : 0;
    }
    if (trap->nframes > shown) {
        int n = snprintf(used < size ? buf + used : NULL, used < size ? size - used : 0, ", ... (%u frames in all)",
                         trap->nframes);
        used += n > 0 ? (size_t)n : 0;
    }
    return used;
}

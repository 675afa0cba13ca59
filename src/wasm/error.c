/* error.c — filling and printing wasm_error values. */
#include "wasm/error.h"

#include <stdarg.h>
#include <stdio.h>

bool wasm_fail_at(wasm_error *err, size_t offset, const char *fmt, ...)
{
    if (!err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->offset = offset;
    err->has_offset = true;
    err->truncated = false;
    return false;
}

bool wasm_fail(wasm_error *err, const char *fmt, ...)
{
    if (!err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->offset = 0;
    err->has_offset = false;
    err->truncated = false;
    return false;
}

const char *wasm_error_text(const wasm_error *err, char *buf, size_t size)
{
    if (err->has_offset)
        snprintf(buf, size, "at offset 0x%zx: %s", err->offset, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
    return buf;
}

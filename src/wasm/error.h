/*
 * error.h — the error value every stage of the engine fills on failure.
 *
 * An error is a sentence naming the reason and, where it comes from the
 * input binary, the byte offset: "at offset 0x1f: integer too large".
 */
#ifndef PVF_WASM_ERROR_H
#define PVF_WASM_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#define WASM_ERROR_MAX 256

typedef struct wasm_error {
    char msg[WASM_ERROR_MAX];   /* the reason, without the offset */
    size_t offset;              /* byte offset in the input, valid when has_offset */
    bool has_offset;
    bool truncated;             /* the input ran out: msg is WASM_TRUNCATED_TEXT + detail */
} wasm_error;

/* How the reader starts the message of an input that ended early. */
#define WASM_TRUNCATED_TEXT "unexpected end"

/* Record an error at byte `offset` of the input. Returns false, for `return wasm_fail(...)`. */
bool wasm_fail_at(wasm_error *err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record an error that has no position in the input. Returns false. */
bool wasm_fail(wasm_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Format "at offset 0x%zx: reason" (or just the reason) into buf. */
const char *wasm_error_text(const wasm_error *err, char *buf, size_t size);

#endif

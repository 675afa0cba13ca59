/*
 * hostfn_misc.c — ext_misc_*: debug printing and runtime_version, which reads
 * the `runtime_version` section of a (maybe compressed) runtime blob given by
 * the runtime — parachains use it when a block upgrades their code.
 *
 * Printing goes to the runtime's log (hostfn_log_line), which the runtime never reads back: a
 * validation's outcome must not depend on where output would go. Its arguments are checked (a
 * bad pointer traps, as any host-function argument does).
 */
#include <stdlib.h>

#include "runtime/hostfn_abi.h"
#include "runtime/runtime_version.h"
#include "runtime/scale.h"

static int print_num(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)c;
    char num[24];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long)slots[0]);
    hostfn_log_line(ctx, "PRINT: ", (const uint8_t *)num, (size_t)n, false);
    return 0;
}

/* print_utf8 and print_hex: the span must lie in memory (the reference reads it). */
static int print_span(pvf_caller *c, void *ctx, uint64_t span, bool hex)
{
    uint32_t len;
    const uint8_t *bytes = hostfn_span(c, span, &len);
    if (!bytes)
        return 1;
    hostfn_log_line(ctx, hex ? "PRINT: 0x" : "PRINT: ", bytes, len, hex);
    return 0;
}

static int print_utf8(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return print_span(c, ctx, slots[0], false);
}

static int print_hex(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return print_span(c, ctx, slots[0], true);
}

/* Option<Vec<u8>>: None = 0x00; Some(v) = 0x01 + compact(len) + v. */
static int runtime_version(pvf_caller *c, void *ctx, uint64_t *slots)
{
    hostfn_env *env = ctx;
    uint32_t len;
    const uint8_t *blob = hostfn_span(c, slots[0], &len);
    if (!blob)
        return 1;
    uint8_t *enc = NULL, *opt;
    size_t enc_len = 0;
    char err[256];
    uint64_t span;
    if (!runtime_version_read(blob, len, &enc, &enc_len, err, sizeof err)) {
        static const uint8_t none = 0;
        if (!hostfn_return_span(c, env, &none, 1, &span))
            return 1;
        slots[0] = span;
        return 0;
    }
    scale_writer w;
    scale_writer_init(&w);
    scale_write_u8(&w, 1);
    scale_write_byte_vec(&w, enc, enc_len);
    free(enc);
    size_t n;
    if (!scale_writer_finish(&w, &opt, &n))
        return pvf_caller_trap(c, "runtime_version: out of memory");
    bool ok = hostfn_return_span(c, env, opt, (uint32_t)n, &span);
    free(opt);
    if (!ok)
        return 1;
    slots[0] = span;
    return 0;
}

const hostfn_fn_def hostfn_misc_fns[] = {
    { "ext_misc_print_num_version_1", "I:", print_num },
    { "ext_misc_print_utf8_version_1", "I:", print_utf8 },
    { "ext_misc_print_hex_version_1", "I:", print_hex },
    { "ext_misc_runtime_version_version_1", "I:I", runtime_version },
    { NULL, NULL, NULL },
};

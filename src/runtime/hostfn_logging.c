/*
 * hostfn_logging.c — ext_logging_*. Logging never changes a result or what the
 * runtime sees: messages are checked and discarded, and max_level is always
 * Off, whatever the host's configuration — as upstream's PVF host functions do
 * (polkadot/node/core/pvf/common/src/custom_host_functions.rs, 2026: `log`
 * a no-op, `max_level` Off unless an EnableLogging extension is registered,
 * which PVF execution never does). Bad pointers still trap, as any
 * host-function argument does.
 *
 * What the runtime logs is kept for the operator, never for the runtime: every line (with
 * ext_misc_print_*'s) goes into a bounded log that travels with the result (pvf_call_result.log,
 * pvf_execute_result.runtime_log); the host passes it to its log callback. Since max_level stays
 * Off, a runtime built with the log crate logs almost nothing but its panic: sp-io's panic
 * handler logs the panic's text at level Error, target "runtime", right before `unreachable`
 * (whatever max_level says), so the last such message also goes into the trap's reason — the
 * runtime's own words for why a block is invalid.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime/hostfn_abi.h"
#include "util/utf8.h"

/* sp-io's RuntimeInterfaceLogLevel, by value. */
static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };

static char printable(uint8_t b)
{
    return b >= 0x20 && b < 0x7f ? (char)b : '?';
}

/* Kept free at the end of the log for hostfn_log_text's count of the lines that did not fit. */
#define DROPPED_LINE_ROOM 48

void hostfn_log_line(hostfn_env *env, const char *prefix, const uint8_t *msg, size_t len, bool hex)
{
    size_t plen = strlen(prefix), room = sizeof env->log - DROPPED_LINE_ROOM - env->log_len;
    size_t need = len > sizeof env->log ? SIZE_MAX : plen + (hex ? 2 * len : len) + 1;   /* '\n' */
    if (need >= room) {     /* and the NUL */
        env->log_dropped++;
        return;
    }
    char *p = env->log + env->log_len;
    memcpy(p, prefix, plen);
    p += plen;
    for (size_t i = 0; i < len; i++) {
        if (hex) {
            *p++ = "0123456789abcdef"[msg[i] >> 4];
            *p++ = "0123456789abcdef"[msg[i] & 15];
        } else {
            *p++ = printable(msg[i]);
        }
    }
    *p++ = '\n';
    *p = 0;
    env->log_len += need;
}

void hostfn_log_text(const hostfn_env *env, char *out)
{
    memcpy(out, env->log, env->log_len);
    out[env->log_len] = 0;
    if (env->log_dropped)
        snprintf(out + env->log_len, PVF_RUNTIME_LOG_MAX - env->log_len, "(%u more lines did not fit)\n",
                 env->log_dropped);
}

/* The message as printable ASCII (anything else becomes '?'): it ends up in reports and JSON. */
static void keep_message(char *out, size_t cap, const uint8_t *msg, uint32_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = printable(msg[i]);
    out[n] = 0;
}

/*
 * The level arrives as an i32 whose low byte sp-io decodes as RuntimeInterfaceLogLevel
 * (0 error … 4 trace; anything else panics); the target must be UTF-8 ("Invalid utf8
 * data provided" otherwise), the message need not be. Checked in the reference's order.
 */
static int logging_log(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint8_t level = (uint8_t)slots[0];
    if (level > 4)
        return pvf_caller_trap(c, "ext_logging_log_version_1: invalid log level %u", level);
    uint32_t tlen, mlen;
    const uint8_t *target = hostfn_span(c, slots[1], &tlen);
    if (!target)
        return 1;
    if (!utf8_valid(target, tlen))
        return pvf_caller_trap(c, "Invalid utf8 data provided");
    const uint8_t *msg = hostfn_span(c, slots[2], &mlen);
    if (!msg)
        return 1;
    hostfn_env *env = ctx;
    if (level == 0 && tlen == 7 && !memcmp(target, "runtime", 7))
        keep_message(env->panic, sizeof env->panic, msg, mlen);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s %.*s: ", level_names[level], (int)(tlen < 64 ? tlen : 64), (const char *)target);
    hostfn_log_line(env, prefix, msg, mlen, false);
    return 0;
}

static int logging_max_level(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)c, (void)ctx;
    slots[0] = 0;   /* LevelFilter::Off (0 off … 5 trace) */
    return 0;
}

const hostfn_fn_def hostfn_logging_fns[] = {
    { "ext_logging_log_version_1", "iII:", logging_log },
    { "ext_logging_max_level_version_1", ":i", logging_max_level },
    { NULL, NULL, NULL },
};

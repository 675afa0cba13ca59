/*
 * hostfn_logging.c — ext_logging_*. Logging never changes a result or what the
 * runtime sees: messages are checked and discarded, and max_level is always
 * Off, whatever the host's configuration — as upstream's PVF host functions do
 * (polkadot/node/core/pvf/common/src/custom_host_functions.rs, 2026: `log`
 * a no-op, `max_level` Off unless an EnableLogging extension is registered,
 * which PVF execution never does). Bad pointers still trap, as any
 * host-function argument does.
 *
 * One message is kept: sp-io's panic handler logs the panic's text at level Error, target
 * "runtime", right before `unreachable` (whatever max_level says), so the last such message
 * goes into the trap's reason — the runtime's own words for why a block is invalid.
 */
#include <string.h>

#include "runtime/hostfn_abi.h"
#include "util/utf8.h"

/* The message as printable ASCII (anything else becomes '?'): it ends up in reports and JSON. */
static void keep_message(char *out, size_t cap, const uint8_t *msg, uint32_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? (char)msg[i] : '?';
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

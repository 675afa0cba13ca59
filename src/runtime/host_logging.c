/*
 * host_logging.c — ext_logging_*. Logging never changes a result: messages go
 * to the configured log (or nowhere), and max_level reports what is shown.
 * Bad pointers still trap, as any host-function argument does.
 */
#include "runtime/host_abi.h"
#include "util/utf8.h"

/*
 * The level arrives as an i32 whose low byte sp-io decodes as RuntimeInterfaceLogLevel
 * (0 error … 4 trace; anything else panics); the target must be UTF-8 ("Invalid utf8
 * data provided" otherwise), the message need not be. Checked in the reference's order.
 */
static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

static int logging_log(pvf_caller *c, void *ctx, uint64_t *slots)
{
    host_env *env = ctx;
    uint8_t level = (uint8_t)slots[0];
    if (level > 4)
        return pvf_caller_trap(c, "ext_logging_log_version_1: invalid log level %u", level);
    uint32_t tlen, mlen;
    const uint8_t *target = host_span(c, slots[1], &tlen);
    if (!target)
        return 1;
    if (!utf8_valid(target, tlen))
        return pvf_caller_trap(c, "Invalid utf8 data provided");
    const uint8_t *msg = host_span(c, slots[2], &mlen);
    if (!msg)
        return 1;
    if (env->log)
        fprintf(env->log, "[%s] %.*s: %.*s\n", level_names[level], (int)tlen, (const char *)target,
                (int)mlen, (const char *)msg);
    return 0;
}

static int logging_max_level(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)c;
    host_env *env = ctx;
    /* LevelFilter: 0 off … 5 trace. With no log attached nothing is shown: say Off. */
    slots[0] = env->log ? 3 : 0;
    return 0;
}

const host_fn_def host_logging_fns[] = {
    { "ext_logging_log_version_1", "iII:", logging_log },
    { "ext_logging_max_level_version_1", ":i", logging_max_level },
    { NULL, NULL, NULL },
};

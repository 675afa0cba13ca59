/*
 * host_logging.c — ext_logging_*. Logging never changes a result: messages go
 * to the configured log (or nowhere), and max_level reports what is shown.
 * Bad pointers still trap, as any host-function argument does.
 */
#include "runtime/host_abi.h"

/* log levels as sp-io encodes them: 1 error, 2 warn, 3 info, 4 debug, 5 trace */
static const char *const level_names[] = { "off", "error", "warn", "info", "debug", "trace" };

static int logging_log(pvf_caller *c, void *ctx, uint64_t *slots)
{
    host_env *env = ctx;
    uint32_t tlen, mlen;
    const uint8_t *target = host_span(c, slots[1], &tlen);
    const uint8_t *msg = target ? host_span(c, slots[2], &mlen) : NULL;
    if (!msg)
        return 1;
    uint32_t level = (uint32_t)slots[0];
    if (env->log)
        fprintf(env->log, "[%s] %.*s: %.*s\n", level <= 5 ? level_names[level] : "?", (int)tlen,
                (const char *)target, (int)mlen, (const char *)msg);
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

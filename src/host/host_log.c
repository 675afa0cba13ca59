/*
 * host_log.c — the host's own messages, to the program's log callback (pvf_host_config.log):
 * formatted here, once, as one line "pvf host: …"; nothing when the program gave no callback
 * or the level is above the one it asked for. The library never writes to stderr itself.
 */
#include "host/host_internal.h"

#include <stdarg.h>
#include <stdio.h>

void host_log(const pvf_host *h, pvf_log_level level, const char *fmt, ...)
{
    if (!h->cfg.log || level > h->cfg.log_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof line, "pvf host: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    h->cfg.log(h->cfg.log_user, level, line);
}

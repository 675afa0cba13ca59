/*
 * host_log.c — the host's own messages, to the program's log callback (pvf_host_config.log):
 * formatted here, once, as one line "pvf host: …"; nothing when the program gave no callback
 * or the level is above the one it asked for. The library never writes to stderr itself.
 */
#include "host/host_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* Errors and warnings of the runtime are the host's warnings; the rest (info, debug, trace,
 * prints) its info. */
static pvf_log_level runtime_line_level(const char *line)
{
    return !strncmp(line, "ERROR ", 6) || !strncmp(line, "WARN ", 5) ? PVF_LOG_WARNING : PVF_LOG_INFO;
}

void host_log_runtime(const pvf_host *h, const host_request *r, const char *log)
{
    for (const char *line = log; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        host_log(h, runtime_line_level(line),
                 "candidate %llu (%s, code 0x%02x%02x%02x%02x…, relay parent 0x%02x%02x%02x%02x…): runtime: %.*s",
                 (unsigned long long)r->id, host_kind_option(r->kind), r->aid.code_hash[0], r->aid.code_hash[1],
                 r->aid.code_hash[2], r->aid.code_hash[3], r->relay_parent[0], r->relay_parent[1], r->relay_parent[2],
                 r->relay_parent[3], (int)len, line);
        line += len + (nl != NULL);
    }
}

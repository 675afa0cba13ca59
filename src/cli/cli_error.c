/*
 * cli_error.c — a command's error, said once: on stderr as "pvf CMD: message", and with --json
 * also as {"outcome":"error","error":"message"} on stdout, so a program reading the JSON gets an
 * answer it can parse whatever went wrong (issue 15).
 */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"

int cli_fail(bool json, const char *cmd, int exit_status, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s%s: %s\n", strncmp(cmd, "pvfd", 4) ? "pvf " : "", cmd, msg);   /* pvfd is a program */
    if (json) {
        printf("{\"outcome\":\"error\",\"error\":");
        json_print_string(stdout, msg);
        printf("}\n");
    }
    return exit_status;
}

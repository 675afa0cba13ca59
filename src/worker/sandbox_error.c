/*
 * sandbox_error.c — how the sandbox layers report a failed step: one message
 * naming the step, the path and the errno, into the caller's buffer.
 */
#define _GNU_SOURCE
#include "worker/sandbox.h"
#include "util/errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool sandbox_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vset(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

const char *sandbox_errno_name(int e, char num[static 24])
{
    const char *name = strerrorname_np(e);
    if (name)
        return name;
    snprintf(num, 24, "errno %d", e);
    return num;
}

/* errmsg.c — error messages into caller buffers (see errmsg.h). */
#include "util/errmsg.h"

#include <stdio.h>

bool errmsg_vset(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
    return false;
}

bool errmsg_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vset(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

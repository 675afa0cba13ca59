/*
 * errmsg.h — formatting an error message into a caller's buffer (`char *err,
 * size_t errlen`, the convention of every layer). A NULL or empty buffer is
 * allowed: the message is dropped.
 */
#ifndef PVF_UTIL_ERRMSG_H
#define PVF_UTIL_ERRMSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Always false, for `return errmsg_set(err, errlen, ...)`. */
bool errmsg_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool errmsg_vset(char *err, size_t errlen, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif

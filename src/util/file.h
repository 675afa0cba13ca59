/* file.h — whole-file reading and writing. */
#ifndef PVF_UTIL_FILE_H
#define PVF_UTIL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read all of `path` into a malloc'd buffer. NULL on error, with errno set. */
uint8_t *file_read(const char *path, size_t *len);

/* Write `len` bytes to `path`: atomically (temp file + rename) for a plain or
 * missing file; through the path for anything else (a device such as
 * /dev/null, a FIFO, a symlink), which a rename would replace. */
bool file_write(const char *path, const uint8_t *bytes, size_t len);

/* A "Field:   N kB" line of a /proc/<pid>/status file (e.g. "VmRSS"), in KiB: read from fd
 * when fd >= 0 (kept open across a pivot_root), else from path. 0 when it can't be read. */
uint64_t proc_status_kib(int fd, const char *path, const char *field);

/* /proc/<pid>/stat read into buf; returns its fields after the command (which may hold spaces
 * and parentheses), from the state letter on, or NULL when there is no such process. */
const char *proc_stat_fields(long pid, char *buf, size_t size);

#endif

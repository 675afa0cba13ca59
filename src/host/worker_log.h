/*
 * worker_log.h — the workers' stderr, read by the host into its log (issue 13, finding 1).
 *
 * A worker's stderr is a pipe, never the host's terminal or log file itself: one host thread
 * reads every worker's pipe and writes each line to the log as
 *
 *     pvf execute worker 12345: <the line>
 *
 * with the worker's real pid (inside its own pid namespace it is pid 1), every byte outside
 * printable ASCII (but tab) shown as \xNN (no terminal escapes, no forged second line), lines
 * cut at WORKER_LOG_LINE_MAX bytes, and at most WORKER_LOG_BURST lines at once per worker,
 * refilled at WORKER_LOG_LINES_PER_S: beyond that lines are counted and dropped, and the count
 * is logged when the worker may speak again or its pipe closes. A hijacked worker can
 * neither forge the host's output nor fill its disk.
 *
 *   wlog *l = wlog_start(path, fn, user, err, sizeof err);   // NULL path: each line to fn
 *   wlog_add(l, read_fd, "execute", pid);                // the log owns read_fd now
 *   ...
 *   wlog_stop(l);     // reads every pipe to its end (workers already gone), then stops
 */
#ifndef PVF_HOST_WORKER_LOG_H
#define PVF_HOST_WORKER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pvf/host.h"

#define WORKER_LOG_LINE_MAX 1024
#define WORKER_LOG_BURST 200
#define WORKER_LOG_LINES_PER_S 20

typedef struct wlog wlog;

/* Append to `path` (created 0644); without one give each line to log_fn as a warning (a
 * program's log: pvf/host.h), or drop it when that is NULL too. NULL with err when the file or
 * the thread can't be had. */
wlog *wlog_start(const char *path, pvf_log_fn log_fn, void *log_user, char *err, size_t errlen);

/* Read fd (a pipe's read end) until its end, as the log of `kind` worker `pid`. Takes fd
 * whatever happens (closed on failure). */
void wlog_add(wlog *l, int fd, const char *kind, pid_t pid);

/* Drain every pipe whose writers are gone, stop the thread, close everything. Returns how many
 * lines the rate limit dropped in all. NULL is fine. */
unsigned long long wlog_stop(wlog *l);

#endif

/*
 * daemon_log.c — pvfd's log: one line per event, key=value pairs (what journald, Loki or a grep
 * read without a parser), to stderr or a file reopened on SIGHUP. Written under a lock: the
 * host's threads log through dlog_host while the event loop logs its own events.
 */
#define _GNU_SOURCE
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static char log_path[4096];
static dlog_level log_max = DLOG_INFO;

bool dlog_open(const char *path, dlog_level max, char *err, size_t errlen)
{
    log_max = max;
    if (!path)
        return true;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the log file %s: %s", path, strerror(errno));
        return false;
    }
    snprintf(log_path, sizeof log_path, "%s", path);
    log_fd = fd;
    return true;
}

void dlog_reopen(void)
{
    if (!log_path[0])
        return;
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        dlog(DLOG_ERROR, "log_reopen", "path=%s error=\"%s\"", log_path, strerror(errno));
        return;
    }
    pthread_mutex_lock(&log_lock);
    int old = log_fd;
    log_fd = fd;
    pthread_mutex_unlock(&log_lock);
    close(old);
    dlog(DLOG_INFO, "log_reopen", "path=%s", log_path);
}

const char *dlog_quote(const char *s, char *buf, size_t size)
{
    bool plain = *s != 0;
    for (const char *p = s; *p && plain; p++)
        plain = *p > ' ' && *p < 0x7f && *p != '"' && *p != '=' && *p != '\\';
    if (plain)
        return s;
    size_t n = 0;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < size; p++) {
        if (*p == '"' || *p == '\\')
            n += (size_t)snprintf(buf + n, size - n, "\\%c", *p);
        else if (*p < ' ' || *p == 0x7f)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    }
    buf[n++] = '"';
    buf[n] = 0;
    return buf;
}

static const char *level_name(dlog_level l)
{
    return l == DLOG_ERROR ? "error" : l == DLOG_WARNING ? "warning" : "info";
}

void dlog(dlog_level level, const char *event, const char *fmt, ...)
{
    if (level > log_max)
        return;
    char line[4096];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_name(level), event);
    if (fmt[0] && n < (int)sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
    }
    size_t len = strnlen(line, sizeof line - 2);
    line[len++] = '\n';
    pthread_mutex_lock(&log_lock);
    (void)!write(log_fd, line, len);
    pthread_mutex_unlock(&log_lock);
}

void dlog_host(void *user, pvf_log_level level, const char *message)
{
    (void)user;
    char q[3000];
    dlog(level == PVF_LOG_ERROR ? DLOG_ERROR : level == PVF_LOG_WARNING ? DLOG_WARNING : DLOG_INFO, "host", "msg=%s",
         dlog_quote(message, q, sizeof q));
}

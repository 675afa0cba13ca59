/*
 * daemon.h — pvfd, the PVF host as a service (issue 16): one libpvf host, driven for any number
 * of clients over a Unix socket (src/wire/daemon_protocol.h, docs/PROTOCOL.md "pvfd").
 *
 *   pvfd.c         the command line and config file (one option table), start, stop, signals
 *   daemon_log.c   structured log lines (key=value), reopened on SIGHUP
 *   listener.c     the socket: created with its mode and group, or handed over by systemd;
 *                  each peer's credentials checked (SO_PEERCRED)
 *   server.c       the event loop: connections, frames in and out, requests to the host and
 *                  their answers back, cancel, status, a graceful stop
 *   metrics_http.c GET /metrics on a loopback address (libmicrohttpd)
 */
#ifndef PVF_DAEMON_H
#define PVF_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pvf/host.h"

/* ---------------------------------------------------------------- log */

typedef enum dlog_level { DLOG_ERROR, DLOG_WARNING, DLOG_INFO } dlog_level;

/* Log to `path` (NULL: stderr, where systemd's journal takes it). False with why in err. */
bool dlog_open(const char *path, dlog_level max, char *err, size_t errlen);
/* SIGHUP: open the log file again (after logrotate moved it). */
void dlog_reopen(void);
/* One line: "ts=… level=… event=EVENT " then the key=value pairs fmt makes. */
void dlog(dlog_level level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A value for a key=value pair: quoted and escaped when it needs to be (into buf). */
const char *dlog_quote(const char *s, char *buf, size_t size);
/* The host's log callback: its lines as event=host. */
void dlog_host(void *user, pvf_log_level level, const char *message);

/* ---------------------------------------------------------------- listener */

typedef struct listener_config {
    const char *path;           /* the socket's path */
    unsigned mode;              /* its permissions (0660) */
    const char *group;          /* its group (NULL: the daemon's) */
    const uid_t *allow_uids;    /* peers allowed besides the daemon's own uid */
    size_t n_allow_uids;
    const gid_t *allow_gids;    /* peers whose group is one of these are allowed too */
    size_t n_allow_gids;
} listener_config;

/* The listening socket: systemd's (socket activation) or a new one at cfg->path; -1 with why. */
int listener_open(const listener_config *cfg, bool *activated, char *err, size_t errlen);
/* Whether the peer on fd may use pvfd; its credentials in *pid, *uid, *gid, why not in why. */
bool listener_peer_allowed(const listener_config *cfg, int fd, pid_t *pid, uid_t *uid, gid_t *gid, char *why,
                           size_t whylen);
/* Remove the socket file when pvfd made it. */
void listener_close(const listener_config *cfg, int fd, bool activated);

/* ---------------------------------------------------------------- server */

typedef struct server_config {
    pvf_host *host;
    int listen_fd;
    unsigned max_connections;
    unsigned execute_workers;           /* for status */
    uint64_t grace_ms;                  /* a stop waits this long for work in flight */
    const listener_config *listener;
} server_config;

/* Serve until SIGTERM or SIGINT (then stop gracefully); SIGHUP reopens the log. The signals
 * must be blocked in every thread before the host starts (pvfd.c does). 0, or 1 on a fatal
 * error. */
int server_run(const server_config *cfg);

/* ---------------------------------------------------------------- metrics */

struct metrics_http;
/* GET /metrics on addr ("127.0.0.1:9615", "[::1]:9615"): loopback only. NULL with why. */
struct metrics_http *metrics_http_start(const char *addr, pvf_host *h, char *err, size_t errlen);
void metrics_http_stop(struct metrics_http *m);

#endif

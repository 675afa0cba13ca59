/*
 * listener.c — pvfd's socket, bubblewrap-style: each step with its own error. A Unix stream
 * socket only (pvfd never listens on TCP); created at its path with its mode and group, or taken
 * from systemd (socket activation, sd_listen_fds). Each peer is checked by its kernel-given
 * credentials (SO_PEERCRED), not by anything it says: the daemon's own uid, a listed uid or a
 * peer whose group is listed.
 */
#define _GNU_SOURCE
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

/* A stale socket from a pvfd that died may be replaced; any other file at the path may not. */
static bool clear_stale_socket(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT || (snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno)), false);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket: refusing to replace it", path);
        return false;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    bool live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof a) == 0;
    if (probe >= 0)
        close(probe);
    if (live) {
        snprintf(err, errlen, "%s: another pvfd is listening there", path);
        return false;
    }
    return unlink(path) == 0 || (snprintf(err, errlen, "cannot remove the stale socket %s: %s", path,
                                          strerror(errno)), false);
}

static int activated_socket(char *err, size_t errlen)
{
    int n = sd_listen_fds(1);
    if (n <= 0)
        return -1;
    if (n > 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
        snprintf(err, errlen, "systemd passed %d sockets; pvfd takes one listening Unix stream socket", n);
        return -2;
    }
    return SD_LISTEN_FDS_START;
}

int listener_open(const listener_config *cfg, bool *activated, char *err, size_t errlen)
{
    int fd = activated_socket(err, errlen);
    *activated = fd >= 0;
    if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {  /* accept_all drains it */
        snprintf(err, errlen, "the socket systemd passed: fcntl: %s", strerror(errno));
        return -1;
    }
    if (fd >= 0 || fd == -2)
        return fd >= 0 ? fd : -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (!cfg->path || strlen(cfg->path) >= sizeof a.sun_path) {
        snprintf(err, errlen, "the socket path %s", cfg->path ? "is too long (108 bytes at most)" : "is missing");
        return -1;
    }
    snprintf(a.sun_path, sizeof a.sun_path, "%s", cfg->path);
    gid_t gid = (gid_t)-1;
    if (cfg->group) {
        struct group *g = getgrnam(cfg->group);
        if (!g) {
            snprintf(err, errlen, "no group named %s", cfg->group);
            return -1;
        }
        gid = g->gr_gid;
    }
    if (!clear_stale_socket(cfg->path, err, errlen))
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* the mode from the start: no moment where another user could connect */
    mode_t old = umask(0777 & ~cfg->mode);
    int bound = bind(fd, (struct sockaddr *)&a, sizeof a);
    umask(old);
    const char *step = bound != 0 ? "bind" : chmod(cfg->path, cfg->mode) != 0 ? "chmod"
                       : gid != (gid_t)-1 && chown(cfg->path, (uid_t)-1, gid) != 0 ? "chown"
                       : listen(fd, 128) != 0 ? "listen" : NULL;
    if (step) {
        snprintf(err, errlen, "%s %s: %s", step, cfg->path, strerror(errno));
        close(fd);
        if (bound == 0)
            unlink(cfg->path);
        return -1;
    }
    return fd;
}

bool listener_peer_allowed(const listener_config *cfg, int fd, pid_t *pid, uid_t *uid, gid_t *gid, char *why,
                           size_t whylen)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        snprintf(why, whylen, "SO_PEERCRED: %s", strerror(errno));
        return false;
    }
    *pid = cred.pid, *uid = cred.uid, *gid = cred.gid;
    if (cred.uid == geteuid())
        return true;
    for (size_t i = 0; i < cfg->n_allow_uids; i++)
        if (cred.uid == cfg->allow_uids[i])
            return true;
    for (size_t i = 0; i < cfg->n_allow_gids; i++)
        if (cred.gid == cfg->allow_gids[i])
            return true;
    snprintf(why, whylen, "uid %u (gid %u) is not allowed: not pvfd's uid, not in allow-uid or allow-gid",
             (unsigned)cred.uid, (unsigned)cred.gid);
    return false;
}

void listener_close(const listener_config *cfg, int fd, bool activated)
{
    if (fd >= 0)
        close(fd);
    if (!activated && cfg->path)
        unlink(cfg->path);
}

/*
 * worker_client.c — spawning one worker process and talking to it
 * (worker_client.h; reference-behaviour.md §1.7, §1.4/§1.5 per-job parts).
 *
 * Deadlines. Waiting for a response is a poll() on the socket and the
 * worker's pidfd up to the deadline; the frame itself is then read with
 * SO_RCVTIMEO set to the time left, so a worker stopped in the middle of a
 * frame cannot hang us either (each read is bounded by the time left; a
 * worker is our own binary, not an adversary dribbling bytes). Sends use
 * SO_SNDTIMEO the same way: a big request to a stopped worker times out.
 *
 * Deaths. When the connection breaks we look at the process: if it exited
 * on its own it "died" (and we say how: exit status or signal); if it is
 * still running after a short grace period we kill it, and a broken frame
 * from a live worker is "malformed". Either way it is reaped and its dir
 * removed before we return.
 *
 * Namespaces. A worker starts as pid 1 of a user and pid namespace of its own (clone3 with
 * CLONE_NEWUSER | CLONE_NEWPID, identity uid/gid maps written by the child itself before it
 * execs): it can see, and so signal, nothing but its own jobs, whatever its uid (issue 13,
 * finding 3: a root worker SIGKILLed a root process outside). When the kernel refuses (user
 * namespaces disabled), a plain fork; the worker then says so in its log.
 */
#define _GNU_SOURCE     /* accept4, pipe2, close_range, pidfd_open, sigabbrev_np */
#include "host/worker_client.h"
#include "host/worker_log.h"
#include "util/cputime.h"
#include "util/saturate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOCKET_NAME_ATTEMPTS 50     /* the reference's tmp-path retry count */
#define EXIT_GRACE_MS 1000          /* a worker whose socket closed should be gone by then */
#define BROKEN_FRAME_GRACE_MS 100   /* is a broken frame a death or garbage from a live worker? */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *kind_name(host_worker_kind kind)
{
    return kind == HOST_WORKER_EXECUTE ? "execute" : "prepare";
}

const char *wclient_spawn_status_name(wclient_spawn_status s)
{
    static const char *const names[] = {"Ok", "TmpPath", "Bind", "ProcessSpawn", "AcceptTimeout",
                                        "DiedBeforeConnecting", "Handshake", "VersionMismatch"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}


/* ================================================================ process bookkeeping */

static void describe_status(int status, char *buf, size_t size)
{
    if (WIFEXITED(status)) {
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(status));
        snprintf(buf, size, "killed by signal %d (SIG%s)", WTERMSIG(status), abbrev ? abbrev : "?");
    } else {
        snprintf(buf, size, "ended with wait status %#x", status);
    }
}

/* Wait up to timeout_ms for the worker to exit by itself; true (with
 * *status) when it did and is now reaped. */
static bool wait_exit(wclient *w, uint64_t timeout_ms, int *status)
{
    uint64_t deadline = sat_add_u64(monotonic_ms(), timeout_ms);
    for (;;) {
        pid_t r = waitpid(w->pid, status, WNOHANG);
        if (r == w->pid)
            return true;
        if (r < 0 && errno != EINTR)
            return false;   /* not our child any more: nothing to reap */
        uint64_t now = monotonic_ms();
        if (now >= deadline)
            return false;
        if (w->pidfd >= 0) {
            struct pollfd p = {w->pidfd, POLLIN, 0};
            (void)poll(&p, 1, (int)(deadline - now));
        } else {
            struct timespec pause = {0, 5 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}

/* Remove the worker dir and everything the worker left in it (it is flat:
 * tmp-artifact, artifact, a log). */
static void remove_worker_dir(wclient *w)
{
    if (!w->dir[0])
        return;
    DIR *d = opendir(w->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
                (void)unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    (void)rmdir(w->dir);
    w->dir[0] = '\0';
}

/* Everything but the process: fds, buffers, the dir. */
static void release(wclient *w)
{
    if (w->sock >= 0)
        close(w->sock);
    if (w->pidfd >= 0)
        close(w->pidfd);
    w->sock = w->pidfd = -1;
    free(w->resp);
    w->resp = NULL;
    remove_worker_dir(w);
    w->pid = -1;
}

/* SIGKILL (if still there) and reap; records how it ended in w->death. */
static void kill_and_reap(wclient *w)
{
    if (w->pid > 0) {
        int status = 0;
        pid_t r;
        (void)kill(w->pid, SIGKILL);
        while ((r = waitpid(w->pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (r == w->pid && !w->death[0])
            describe_status(status, w->death, sizeof w->death);
    }
    release(w);
}

void wclient_kill(wclient *w)
{
    kill_and_reap(w);
}

int wclient_close(wclient *w)
{
    int status = -1;
    if (w->pid <= 0) {
        release(w);
        return -1;
    }
    if (w->sock >= 0)
        close(w->sock);
    w->sock = -1;
    if (wait_exit(w, EXIT_GRACE_MS, &status)) {
        describe_status(status, w->death, sizeof w->death);
        w->pid = -1;
        release(w);
        return status;
    }
    kill_and_reap(w);
    return -1;
}

/*
 * The connection broke: decide whether the worker died on its own (reap it
 * and say how) or is alive and misbehaving (kill it). Returns DIED or
 * MALFORMED accordingly; the handle is dead afterwards.
 */
static wclient_status bury(wclient *w, uint64_t grace_ms, wclient_status if_alive, const char *what,
                             char *err, size_t errlen)
{
    int status;
    wclient_status st = if_alive;
    if (w->pid > 0 && wait_exit(w, grace_ms, &status)) {
        describe_status(status, w->death, sizeof w->death);
        w->pid = -1;
        st = WCLIENT_DIED;
    }
    kill_and_reap(w);
    if (st == WCLIENT_DIED)
        set_err(err, errlen, "%s worker died: %s (%s)", kind_name(w->kind), w->death, what);
    else
        set_err(err, errlen, "%s worker misbehaved and was killed: %s", kind_name(w->kind), what);
    return st;
}

static wclient_status hard_timeout(wclient *w, uint64_t timeout_ms, char *err, size_t errlen)
{
    kill_and_reap(w);
    set_err(err, errlen, "%s worker did not answer within %llu ms: killed", kind_name(w->kind),
            (unsigned long long)timeout_ms);
    return WCLIENT_HARD_TIMEOUT;
}

/* ================================================================ deadline I/O */

/* Bound each send/recv on the socket by what is left until deadline. */
static void set_socket_deadline(int sock, uint64_t deadline)
{
    uint64_t now = monotonic_ms();
    uint64_t left = deadline > now ? deadline - now : 1;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
    (void)setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

typedef enum wait_result { WAIT_READABLE, WAIT_EXITED, WAIT_TIMEOUT, WAIT_CANCELLED } wait_result;

/* Wait until the socket is readable, the process exits, the cancel fd fires
 * or the deadline. A readable socket wins over an exit, so a last response is
 * never lost; cancellation wins over everything. */
static wait_result wait_readable(const wclient *w, uint64_t deadline)
{
    for (;;) {
        uint64_t now = monotonic_ms();
        if (now >= deadline)
            return WAIT_TIMEOUT;
        struct pollfd p[3] = {{w->sock, POLLIN, 0}, {w->pidfd, POLLIN, 0}, {w->cancel_fd, POLLIN, 0}};
        uint64_t left = deadline - now;
        int r = poll(p, 3, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return WAIT_READABLE;   /* let the read report the problem */
        if (p[2].revents)
            return WAIT_CANCELLED;
        if (p[0].revents)
            return WAIT_READABLE;
        if (p[1].revents)
            return WAIT_EXITED;
    }
}

static wclient_status cancelled(wclient *w, char *err, size_t errlen)
{
    kill_and_reap(w);
    set_err(err, errlen, "%s worker killed: the request was cancelled (host shutting down)", kind_name(w->kind));
    return WCLIENT_DIED;
}

/* Send the writer's bytes as one frame before the deadline. */
static wclient_status send_request(wclient *w, scale_writer *sw, uint64_t deadline, uint64_t timeout_ms,
                                     char *err, size_t errlen)
{
    char why[256];
    set_socket_deadline(w->sock, deadline);
    if (proto_send(w->sock, sw, why, sizeof why))
        return WCLIENT_OK;
    if (monotonic_ms() >= deadline)
        return hard_timeout(w, timeout_ms, err, errlen);
    return bury(w, EXIT_GRACE_MS, WCLIENT_DIED, why, err, errlen);
}

/* Receive one response frame (into w->resp) before the deadline. */
static wclient_status recv_response(wclient *w, size_t max_len, uint64_t deadline, uint64_t timeout_ms,
                                      size_t *len, char *err, size_t errlen)
{
    char why[256];
    switch (wait_readable(w, deadline)) {
    case WAIT_TIMEOUT:
        return hard_timeout(w, timeout_ms, err, errlen);
    case WAIT_CANCELLED:
        return cancelled(w, err, errlen);
    case WAIT_EXITED:
        return bury(w, EXIT_GRACE_MS, WCLIENT_DIED, "process exited", err, errlen);
    case WAIT_READABLE:
        break;
    }
    set_socket_deadline(w->sock, deadline);
    frame_status fs = frame_recv(w->sock, max_len, &w->resp, len, why, sizeof why);
    if (fs == FRAME_OK)
        return WCLIENT_OK;
    if (fs == FRAME_CLOSED)
        return bury(w, EXIT_GRACE_MS, WCLIENT_DIED, why, err, errlen);
    if (monotonic_ms() >= deadline)
        return hard_timeout(w, timeout_ms, err, errlen);
    return bury(w, BROKEN_FRAME_GRACE_MS, WCLIENT_MALFORMED, why, err, errlen);
}

static wclient_status malformed(wclient *w, const char *what, const wasm_error *e, char *err, size_t errlen)
{
    kill_and_reap(w);
    set_err(err, errlen, "%s worker sent a malformed %s: %s", kind_name(w->kind), what, e->msg);
    return WCLIENT_MALFORMED;
}

/* ================================================================ requests */

static bool handle_alive(const wclient *w, char *err, size_t errlen)
{
    if (w->pid > 0 && w->sock >= 0)
        return true;
    set_err(err, errlen, "%s worker is not running", kind_name(w->kind));
    return false;
}

wclient_status wclient_prepare(wclient *w, const proto_pvf_prep_data *req, uint64_t wall_timeout_ms,
                                proto_prepare_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    free(w->resp);
    w->resp = NULL;
    if (!handle_alive(w, err, errlen))
        return WCLIENT_HOST_ERROR;
    if (req->maybe_compressed_code.len > PROTO_MAX_CODE_SIZE) {
        set_err(err, errlen, "code too large to send: %zu bytes, limit %u", req->maybe_compressed_code.len,
                PROTO_MAX_CODE_SIZE);
        return WCLIENT_HOST_ERROR;
    }
    uint64_t deadline = sat_add_u64(monotonic_ms(), wall_timeout_ms);
    scale_writer sw;
    scale_writer_init(&sw);
    proto_pvf_prep_data_write(&sw, req);
    wclient_status st = send_request(w, &sw, deadline, wall_timeout_ms, err, errlen);
    size_t len = 0;
    if (st == WCLIENT_OK)
        st = recv_response(w, PROTO_MAX_SMALL_MESSAGE, deadline, wall_timeout_ms, &len, err, errlen);
    if (st != WCLIENT_OK)
        return st;
    wasm_error e;
    if (!proto_prepare_result_decode(w->resp, len, out, &e)) {
        memset(out, 0, sizeof *out);
        return malformed(w, "prepare result", &e, err, errlen);
    }
    return WCLIENT_OK;
}

bool wclient_take_artifact(wclient *w, const char *dest, char *err, size_t errlen)
{
    char src[sizeof w->dir + 16];
    if (!w->dir[0]) {
        set_err(err, errlen, "rename tmp-artifact: the worker dir is gone");
        return false;
    }
    snprintf(src, sizeof src, "%s/tmp-artifact", w->dir);
    if (rename(src, dest) != 0) {
        set_err(err, errlen, "rename %s to %s: %s", src, dest, strerror(errno));
        return false;
    }
    return true;
}

/* <dir>/artifact as a hard link to the prepared artifact (the worker's sandbox
 * sees only its dir). A link to the same file, from the previous job, stays: the worker keeps
 * an artifact loaded while its file is unchanged — and a new link would change the file's
 * ctime, which the worker watches (issue 14). A link to another file is replaced. The link
 * pins the file, so its inode can't be reused for another artifact while it is there. */
static bool link_artifact(const wclient *w, const char *artifact_path, char *link_path, size_t size,
                          char *err, size_t errlen)
{
    snprintf(link_path, size, "%s/artifact", w->dir);
    struct stat want, have;
    if (stat(artifact_path, &want) == 0 && lstat(link_path, &have) == 0 && want.st_dev == have.st_dev &&
        want.st_ino == have.st_ino)
        return true;
    if (unlink(link_path) != 0 && errno != ENOENT) {
        set_err(err, errlen, "could not create link: remove old %s: %s", link_path, strerror(errno));
        return false;
    }
    if (link(artifact_path, link_path) != 0) {
        set_err(err, errlen, "could not create link: %s -> %s: %s", artifact_path, link_path, strerror(errno));
        return false;
    }
    return true;
}

/* The reference's rule: a job reported to have run longer than its budget
 * timed out, whatever it returned. */
static void enforce_exec_timeout(const proto_execute_request *req, proto_execute_result *out)
{
    if (!out->ok || proto_duration_to_ns(out->duration) <= proto_duration_to_ns(req->execution_timeout))
        return;
    proto_execute_result_free(out);
    memset(out, 0, sizeof *out);
    out->ok = false;
    out->error.kind = WORKER_ERR_JOB_TIMED_OUT;
}

wclient_status wclient_execute(wclient *w, const char *artifact_path, const proto_execute_request *req,
                                uint64_t wall_timeout_ms, proto_execute_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    free(w->resp);
    w->resp = NULL;
    if (!handle_alive(w, err, errlen))
        return WCLIENT_HOST_ERROR;
    if (req->pov.len > PROTO_MAX_POV_SIZE || req->pvd.parent_head.len > PROTO_MAX_HEAD_SIZE) {
        set_err(err, errlen, "execute request too large to send: PoV %zu bytes (limit %u), head %zu (limit %u)",
                req->pov.len, PROTO_MAX_POV_SIZE, req->pvd.parent_head.len, PROTO_MAX_HEAD_SIZE);
        return WCLIENT_HOST_ERROR;
    }
    char link_path[sizeof w->dir + 16];
    if (!link_artifact(w, artifact_path, link_path, sizeof link_path, err, errlen))
        return WCLIENT_HOST_ERROR;
    uint64_t deadline = sat_add_u64(monotonic_ms(), wall_timeout_ms);
    scale_writer sw;
    scale_writer_init(&sw);
    proto_execute_request_write(&sw, req);
    wclient_status st = send_request(w, &sw, deadline, wall_timeout_ms, err, errlen);
    size_t len = 0;
    if (st == WCLIENT_OK)
        st = recv_response(w, PROTO_MAX_EXECUTE_RESPONSE, deadline, wall_timeout_ms, &len, err, errlen);
    if (st != WCLIENT_OK)
        return st;      /* the dir, link included, is gone with the worker */
    /* The link stays for the next job (the reference clears the worker dir after each). */
    wasm_error e;
    if (!proto_execute_result_decode(w->resp, len, out, &e)) {
        memset(out, 0, sizeof *out);
        return malformed(w, "execute result", &e, err, errlen);
    }
    enforce_exec_timeout(req, out);
    return WCLIENT_OK;
}

/* ================================================================ spawning */

/* n random characters from [0-9A-Za-z] (the reference's socket names). */
static bool random_alnum(char *out, size_t n)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint8_t bytes[32];
    if (n > sizeof bytes || getrandom(bytes, n, 0) != (ssize_t)n)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[bytes[i] % 62];
    out[n] = '\0';
    return true;
}

/* Bind + listen on $TMPDIR/pvf-host-<kind>-<10 random>; fd, or -1 with err. */
static int listen_socket(host_worker_kind kind, struct sockaddr_un *addr, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    for (int attempt = 0; attempt < SOCKET_NAME_ATTEMPTS; attempt++) {
        char suffix[11];
        if (!random_alnum(suffix, 10)) {
            set_err(err, errlen, "cannot pick a socket name: getrandom: %s", strerror(errno));
            return -1;
        }
        memset(addr, 0, sizeof *addr);
        addr->sun_family = AF_UNIX;
        int n = snprintf(addr->sun_path, sizeof addr->sun_path, "%s/pvf-host-%s-%s", tmp, kind_name(kind), suffix);
        if (n < 0 || (size_t)n >= sizeof addr->sun_path) {
            set_err(err, errlen, "socket path under %s is too long for a Unix socket", tmp);
            return -1;
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            set_err(err, errlen, "socket: %s", strerror(errno));
            return -1;
        }
        if (bind(fd, (struct sockaddr *)addr, sizeof *addr) == 0) {
            if (listen(fd, 1) == 0)
                return fd;
            set_err(err, errlen, "listen on %s: %s", addr->sun_path, strerror(errno));
            close(fd);
            unlink(addr->sun_path);
            return -1;
        }
        int e = errno;
        close(fd);
        if (e != EADDRINUSE) {
            set_err(err, errlen, "bind %s: %s", addr->sun_path, strerror(e));
            return -1;
        }
    }
    set_err(err, errlen, "no free socket name in %s after %d attempts", tmp, SOCKET_NAME_ATTEMPTS);
    return -1;
}

/* An exec failure's errno goes back through the child's error pipe as is; an id-map failure's
 * with this bit set. */
#define ID_MAP_FAILED (1 << 20)

/* "ID ID 1\n" into buf: at most two 10-digit ids and 5 more bytes. No snprintf: the child of a
 * threaded process may only make async-signal-safe calls. */
static void format_identity_map(char buf[32], unsigned id)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    char *p = buf;
    for (int twice = 0; twice < 2; twice++) {
        for (int i = n - 1; i >= 0; i--)
            *p++ = digits[i];
        *p++ = ' ';
    }
    *p++ = '1';
    *p++ = '\n';
    *p = 0;
}

static int write_proc_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t want = (ssize_t)strlen(text), k = write(fd, text, (size_t)want);
    int e = k == want ? 0 : k < 0 ? errno : EIO;
    close(fd);
    return e;
}

/* In a child made with CLONE_NEWUSER: the identity maps of our uid and gid (what an
 * unprivileged process may write for itself; setgroups denied first, as the kernel requires
 * for the gid map). 0 or an errno. */
static int map_own_ids(uid_t uid, gid_t gid)
{
    char map[32];
    int e = write_proc_file("/proc/self/setgroups", "deny");
    if (e == 0) {
        format_identity_map(map, uid);
        e = write_proc_file("/proc/self/uid_map", map);
    }
    if (e == 0) {
        format_identity_map(map, gid);
        e = write_proc_file("/proc/self/gid_map", map);
    }
    return e;
}

/* In the child, between fork and execve: async-signal-safe calls only (the
 * host may have threads). On failure errno goes back through errfd. */
static void __attribute__((noreturn)) exec_child(const wclient_spawn_cfg *cfg, char *const argv[], int errfd,
                                                 int log_fd, bool own_userns, uid_t uid, gid_t gid)
{
    if (own_userns) {
        int e = map_own_ids(uid, gid);
        if (e != 0) {
            e |= ID_MAP_FAILED;
            (void)!write(errfd, &e, sizeof e);
            _exit(127);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);     /* ignored dispositions survive execve; don't pass ours on */
    /* A session of its own (issue 13, findings 1 and 2): no controlling terminal to inject
     * keystrokes into, and a process group without the host in it, so kill(0, …) from the
     * worker or one of its jobs can't reach the host. */
    (void)setsid();
    /* stdin and stdout on /dev/null: nothing a worker prints can pass for the host's output
     * (a forged verdict line); stderr a pipe the host's worker log reads (tagged, escaped,
     * rate-limited: worker_log.h), or /dev/null without one. */
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(log_fd >= 0 ? log_fd : fd, 2);
        if (fd > 2)
            close(fd);
    }
    /* Nothing of ours but 0–2 may reach the worker; errfd closes on exec too. */
    if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int i = 3; i < 1024; i++)
            if (i != errfd)
                (void)fcntl(i, F_SETFD, FD_CLOEXEC);
    }
    char *envp[] = {NULL};
    execve(cfg->binary, argv, envp);
    int e = errno;
    (void)!write(errfd, &e, sizeof e);
    _exit(127);
}

/* clone3 into a new user + pid namespace, fork semantics; a plain fork() when the kernel won't
 * make the namespaces (*own_ns false then). The pid, 0 in the child, -1 with errno. */
static pid_t clone_worker(bool *own_ns)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_NEWUSER | CLONE_NEWPID;
    ca.exit_signal = SIGCHLD;
    pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
    *own_ns = pid >= 0;
    if (pid >= 0 || (errno != EPERM && errno != EINVAL && errno != ENOSPC && errno != EUSERS && errno != ENOSYS))
        return pid;
    return fork();
}

/* clone + execve; 0 when the binary is running, else the execve errno (| ID_MAP_FAILED when
 * the child could not write its uid/gid maps). */
static int start_process(host_worker_kind kind, const wclient_spawn_cfg *cfg, const char *sock_path, const char *dir,
                         pid_t *pid)
{
    const char *argv[13];
    char memory_mb[24];
    int n = 0;
    argv[n++] = cfg->binary;
    argv[n++] = "--socket";
    argv[n++] = sock_path;
    argv[n++] = "--worker-dir";
    argv[n++] = dir;
    if (cfg->node_version) {
        argv[n++] = "--node-version";
        argv[n++] = cfg->node_version;
    }
    argv[n++] = "--tier";
    argv[n++] = cfg->native_tier ? "native" : "interp";
    if (cfg->job_memory_mb) {
        snprintf(memory_mb, sizeof memory_mb, "%llu", (unsigned long long)cfg->job_memory_mb);
        argv[n++] = "--job-memory-mb";
        argv[n++] = memory_mb;
    }
    argv[n] = NULL;
    int pipefd[2], logfd[2] = {-1, -1};
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return errno;
    if (cfg->log && pipe2(logfd, O_CLOEXEC) != 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return e;
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    bool own_ns;
    *pid = clone_worker(&own_ns);
    if (*pid < 0) {
        int e = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        if (logfd[0] >= 0) {
            close(logfd[0]);
            close(logfd[1]);
        }
        return e;
    }
    if (*pid == 0)
        exec_child(cfg, (char *const *)argv, pipefd[1], logfd[1], own_ns, uid, gid);
    close(pipefd[1]);
    if (logfd[0] >= 0) {
        close(logfd[1]);
        wlog_add(cfg->log, logfd[0], kind_name(kind), *pid);
    }
    int child_errno = 0;
    ssize_t k;
    while ((k = read(pipefd[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
        ;
    close(pipefd[0]);
    return k == (ssize_t)sizeof child_errno ? child_errno : 0;   /* EOF: execve succeeded */
}

/* Poll the listener and the child: the connection, or why there is none. */
static wclient_spawn_status accept_worker(wclient *w, int lfd, uint32_t timeout_ms, char *err, size_t errlen)
{
    uint64_t deadline = sat_add_u64(monotonic_ms(), timeout_ms);
    for (;;) {
        uint64_t now = monotonic_ms();
        if (now >= deadline) {
            set_err(err, errlen, "%s worker did not connect within %u ms", kind_name(w->kind), timeout_ms);
            return WCLIENT_SPAWN_ACCEPT_TIMEOUT;
        }
        /* Without a pidfd, look at the child every 10 ms instead. */
        uint64_t slice = deadline - now;
        if (w->pidfd < 0 && slice > 10)
            slice = 10;
        struct pollfd p[3] = {{lfd, POLLIN, 0}, {w->pidfd, POLLIN, 0}, {w->cancel_fd, POLLIN, 0}};
        int r = poll(p, 3, (int)slice);
        if (r < 0 && errno != EINTR) {
            set_err(err, errlen, "poll: %s", strerror(errno));
            return WCLIENT_SPAWN_BIND;
        }
        if (r > 0 && p[2].revents) {
            set_err(err, errlen, "%s worker spawn cancelled (host shutting down)", kind_name(w->kind));
            return WCLIENT_SPAWN_DIED;
        }
        if (r > 0 && p[0].revents) {
            w->sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (w->sock >= 0)
                return WCLIENT_SPAWN_OK;
            set_err(err, errlen, "accept: %s", strerror(errno));
            return WCLIENT_SPAWN_BIND;
        }
        int status;
        bool maybe_exited = w->pidfd < 0 || (r > 0 && p[1].revents);
        if (maybe_exited && wait_exit(w, 0, &status)) {
            describe_status(status, w->death, sizeof w->death);
            w->pid = -1;
            set_err(err, errlen, "%s worker %s before connecting", kind_name(w->kind), w->death);
            return WCLIENT_SPAWN_DIED;
        }
    }
}

/* Read one small handshake frame before the deadline; false with err. */
static bool recv_handshake_frame(wclient *w, uint64_t deadline, size_t *len, char *err, size_t errlen)
{
    char why[256];
    wait_result wr = wait_readable(w, deadline);
    if (wr == WAIT_TIMEOUT || wr == WAIT_CANCELLED) {
        set_err(err, errlen, wr == WAIT_TIMEOUT ? "handshake: no reply from the %s worker in time"
                                                : "handshake with the %s worker cancelled", kind_name(w->kind));
        return false;
    }
    set_socket_deadline(w->sock, deadline);
    if (frame_recv(w->sock, PROTO_MAX_SMALL_MESSAGE, &w->resp, len, why, sizeof why) == FRAME_OK)
        return true;
    set_err(err, errlen, "handshake: %s", why);
    return false;
}

static wclient_spawn_status version_handshake(wclient *w, const wclient_spawn_cfg *cfg, uint64_t deadline,
                                             char *err, size_t errlen)
{
    const char *node = cfg->node_version ? cfg->node_version : "";
    scale_writer sw;
    scale_writer_init(&sw);
    proto_version_handshake mine = {PROTO_VERSION, proto_str(node)};
    proto_version_handshake_write(&sw, &mine);
    char why[256];
    set_socket_deadline(w->sock, deadline);
    if (!proto_send(w->sock, &sw, why, sizeof why)) {
        set_err(err, errlen, "handshake: %s", why);
        return WCLIENT_SPAWN_HANDSHAKE;
    }
    size_t len;
    if (!recv_handshake_frame(w, deadline, &len, err, errlen))
        return WCLIENT_SPAWN_HANDSHAKE;
    proto_version_handshake theirs;
    wasm_error e;
    if (!proto_version_handshake_decode(w->resp, len, &theirs, &e)) {
        set_err(err, errlen, "handshake: bad version reply: %s", e.msg);
        return WCLIENT_SPAWN_HANDSHAKE;
    }
    if (theirs.protocol_version != PROTO_VERSION) {
        set_err(err, errlen, "protocol version mismatch: host %u, %s worker %u", PROTO_VERSION, kind_name(w->kind),
                theirs.protocol_version);
        return WCLIENT_SPAWN_VERSION_MISMATCH;
    }
    if (theirs.version.len != strlen(node) || memcmp(theirs.version.ptr, node, theirs.version.len) != 0) {
        set_err(err, errlen, "version mismatch: node %s, %s worker %.*s (%s)", node, kind_name(w->kind),
                (int)theirs.version.len, (const char *)theirs.version.ptr, cfg->binary);
        return WCLIENT_SPAWN_VERSION_MISMATCH;
    }
    return WCLIENT_SPAWN_OK;
}

/* WorkerHandshake, then (execute) Handshake{executor_params}. */
static wclient_spawn_status config_handshakes(wclient *w, const wclient_spawn_cfg *cfg, uint64_t deadline,
                                             char *err, size_t errlen)
{
    char why[256];
    scale_writer sw;
    scale_writer_init(&sw);
    proto_worker_handshake_write(&sw, &cfg->security);
    set_socket_deadline(w->sock, deadline);
    bool ok = proto_send(w->sock, &sw, why, sizeof why);
    if (ok && w->kind == HOST_WORKER_EXECUTE) {
        executor_params none;
        executor_params_init(&none);
        scale_writer_init(&sw);
        proto_exec_handshake_write(&sw, cfg->executor_params ? cfg->executor_params : &none);
        ok = proto_send(w->sock, &sw, why, sizeof why);
    }
    if (!ok) {
        set_err(err, errlen, "handshake: %s", why);
        return WCLIENT_SPAWN_HANDSHAKE;
    }
    return WCLIENT_SPAWN_OK;
}

/* The process is up and connected: all handshakes within the spawn timeout. */
static wclient_spawn_status handshakes(wclient *w, const wclient_spawn_cfg *cfg, uint32_t timeout_ms,
                                      char *err, size_t errlen)
{
    uint64_t deadline = sat_add_u64(monotonic_ms(), timeout_ms);
    wclient_spawn_status st = version_handshake(w, cfg, deadline, err, errlen);
    free(w->resp);
    w->resp = NULL;
    if (st == WCLIENT_SPAWN_OK)
        st = config_handshakes(w, cfg, deadline, err, errlen);
    return st;
}

/* A worker that failed a handshake: reap it (a version mismatch exits 3 by
 * itself) and say how it ended when it did. */
static void reap_failed(wclient *w, wclient_spawn_status *st, char *err, size_t errlen)
{
    int status;
    if (w->sock >= 0)
        close(w->sock);
    w->sock = -1;
    if (w->pid > 0 && wait_exit(w, *st == WCLIENT_SPAWN_VERSION_MISMATCH ? EXIT_GRACE_MS : 0, &status)) {
        w->pid = -1;
        describe_status(status, w->death, sizeof w->death);
        /* A worker that refused us before we saw its reply still means a mismatch. */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3 && *st == WCLIENT_SPAWN_HANDSHAKE) {
            *st = WCLIENT_SPAWN_VERSION_MISMATCH;
            size_t used = err ? strlen(err) : 0;
            if (err && used < errlen)
                snprintf(err + used, errlen - used, " (worker exited 3: version mismatch)");
        }
    }
    kill_and_reap(w);
}

wclient_spawn_status wclient_spawn(host_worker_kind kind, const wclient_spawn_cfg *cfg, wclient *out,
                                 char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->pid = -1;
    out->pidfd = -1;
    out->sock = -1;
    out->cancel_fd = cfg->cancel_fd > 0 ? cfg->cancel_fd : -1;
    uint32_t timeout_ms = cfg->spawn_timeout_ms ? cfg->spawn_timeout_ms : PVF_REF_SPAWN_TIMEOUT_MS;

    int n = snprintf(out->dir, sizeof out->dir, "%s/worker-dir-%s-XXXXXX", cfg->cache_dir, kind_name(kind));
    if (n < 0 || (size_t)n >= sizeof out->dir || !mkdtemp(out->dir)) {
        set_err(err, errlen, "cannot create a worker dir under %s: %s", cfg->cache_dir,
                n >= 0 && (size_t)n < sizeof out->dir ? strerror(errno) : "path too long");
        out->dir[0] = '\0';
        return WCLIENT_SPAWN_TMP_PATH;
    }
    struct sockaddr_un addr;
    int lfd = listen_socket(kind, &addr, err, errlen);
    if (lfd < 0) {
        release(out);
        return WCLIENT_SPAWN_BIND;
    }
    wclient_spawn_status st = WCLIENT_SPAWN_OK;
    int e = start_process(kind, cfg, addr.sun_path, out->dir, &out->pid);
    if (e & ID_MAP_FAILED) {
        set_err(err, errlen, "cannot start %s: writing its uid/gid map in its user namespace: %s", cfg->binary,
                strerror(e & ~ID_MAP_FAILED));
        st = WCLIENT_SPAWN_PROCESS;
    } else if (e != 0) {
        set_err(err, errlen, "cannot start %s: %s", cfg->binary, strerror(e));
        st = WCLIENT_SPAWN_PROCESS;
    } else {
        out->pidfd = pidfd_open(out->pid, 0);   /* -1 on old kernels: polling falls back to sleeps */
        if (out->pidfd >= 0)
            (void)fcntl(out->pidfd, F_SETFD, FD_CLOEXEC);
        st = accept_worker(out, lfd, timeout_ms, err, errlen);
    }
    close(lfd);
    (void)unlink(addr.sun_path);
    if (st == WCLIENT_SPAWN_OK)
        st = handshakes(out, cfg, timeout_ms, err, errlen);
    if (st != WCLIENT_SPAWN_OK)
        reap_failed(out, &st, err, errlen);
    return st;
}

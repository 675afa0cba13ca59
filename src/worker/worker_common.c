/*
 * worker_common.c — command line, connection and start-up handshakes shared
 * by the two workers (worker_common.h).
 */
#define _GNU_SOURCE
#include "worker/worker_common.h"
#include "util/cputime.h"
#include "util/parse.h"
#include "pvf/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *kind_name(worker_kind kind)
{
    return kind == WORKER_PREPARE ? "prepare-worker" : "execute-worker";
}

void worker_log(const worker_ctx *w, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pvf-%s[%d]: %s\n", kind_name(w->kind), (int)getpid(), line);
}

static void usage(worker_kind kind, FILE *out)
{
    fprintf(out,
            "usage: pvf-%s --socket PATH --worker-dir DIR [--node-version V] [--tier interp|native]\n"
            "                [--job-memory-mb N]\n"
            "       pvf-%s --check-landlock | --check-seccomp | --check-userns-pivot DIR | --check-job-clone\n"
            "       pvf-%s --job-allowlist | --version | --help\n"
            "\n"
            "A pvf %s process, started by the pvf host: it connects to the host's\n"
            "Unix socket PATH, enters its sandbox with DIR as its root, and runs every\n"
            "job in a one-off child. The check modes apply one sandbox layer and prove\n"
            "its effect (exit 0, one line on stdout) or say why not (exit 1, stderr).\n"
            "--job-allowlist prints the syscalls a job may make, one per line:\n"
            "name, argument check, reason, separated by tabs.\n"
            "Exit codes: 0 host closed the connection, 1 error, 2 usage,\n"
            "3 version mismatch with the host.\n",
            kind_name(kind), kind_name(kind), kind_name(kind), kind_name(kind));
}

pvf_tier worker_tier(const worker_ctx *w)
{
    if (!w->tier)
        return PVF_TIER_DEFAULT;
    return strcmp(w->tier, "native") ? PVF_TIER_INTERP : PVF_TIER_NATIVE;
}

/* Returns -1 to go on, else an exit code. */
static int parse_args(worker_ctx *w, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
            printf("%s\n", WORKER_VERSION);
            return WORKER_EXIT_OK;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(w->kind, stdout);
            return WORKER_EXIT_OK;
        }
        if (!strncmp(a, "--check-", 8))
            return worker_run_check(a, i + 1 < argc ? argv[i + 1] : NULL);
        if (!strcmp(a, "--job-allowlist"))
            return worker_print_job_allowlist();
        const char **slot = !strcmp(a, "--socket")       ? &w->socket_path
                           : !strcmp(a, "--worker-dir")   ? &w->worker_dir
                           : !strcmp(a, "--node-version") ? &w->node_version
                           : !strcmp(a, "--tier")         ? &w->tier
                                                          : NULL;
        if (!strcmp(a, "--job-memory-mb") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!parse_decimal(v, PVF_JOB_MEMORY_MB_MAX, &w->job_memory_mb) || w->job_memory_mb == 0) {
                worker_log(w, "--job-memory-mb takes 1 to %llu (MiB), not %s", (unsigned long long)PVF_JOB_MEMORY_MB_MAX, v);
                return WORKER_EXIT_USAGE;
            }
            continue;
        }
        if (!slot) {
            worker_log(w, "unknown argument: %s", a);
            usage(w->kind, stderr);
            return WORKER_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            worker_log(w, "%s needs a value", a);
            return WORKER_EXIT_USAGE;
        }
        *slot = argv[++i];
    }
    if (w->tier && strcmp(w->tier, "interp") && strcmp(w->tier, "native")) {
        worker_log(w, "--tier takes interp or native, not %s", w->tier);
        return WORKER_EXIT_USAGE;
    }
    if (!w->socket_path || !w->worker_dir) {
        worker_log(w, "--socket and --worker-dir are required");
        usage(w->kind, stderr);
        return WORKER_EXIT_USAGE;
    }
    return -1;
}

static bool worker_dir_readable(const worker_ctx *w)
{
    DIR *d = opendir(w->worker_dir);
    if (!d) {
        worker_log(w, "cannot read worker dir %s: %s", w->worker_dir, strerror(errno));
        return false;
    }
    closedir(d);
    return true;
}

/* Connect, retrying while the host's socket is not there yet or not listening. */
static int connect_host(const worker_ctx *w)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(w->socket_path) >= sizeof addr.sun_path) {
        worker_log(w, "socket path too long (%zu bytes, limit %zu): %s", strlen(w->socket_path),
                   sizeof addr.sun_path - 1, w->socket_path);
        return -1;
    }
    strcpy(addr.sun_path, w->socket_path);
    uint64_t deadline = monotonic_ms() + WORKER_CONNECT_TIMEOUT_MS;
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            worker_log(w, "socket: %s", strerror(errno));
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
            return fd;
        int e = errno;
        close(fd);
        bool retry = e == ENOENT || e == ECONNREFUSED || e == EAGAIN || e == EINTR;
        if (!retry || monotonic_ms() >= deadline) {
            worker_log(w, "cannot connect to %s: %s", w->socket_path, strerror(e));
            return -1;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Read one small frame and report any failure; false ⇒ exit WORKER_EXIT_ERROR. */
static bool recv_small(const worker_ctx *w, const char *what, uint8_t **p, size_t *n)
{
    char err[256];
    if (!frame_read(w->sock, PROTO_MAX_SMALL_MESSAGE, p, n, err, sizeof err)) {
        worker_log(w, "reading %s: %s", what, err);
        return false;
    }
    return true;
}

/* Step 4: returns -1 when the versions match, else the exit code. */
static int version_handshake(const worker_ctx *w)
{
    uint8_t *p;
    size_t n;
    if (!recv_small(w, "the version handshake", &p, &n))
        return WORKER_EXIT_ERROR;
    proto_version_handshake host;
    wasm_error e;
    bool decoded = proto_version_handshake_decode(p, n, &host, &e);

    /* Answer even on a mismatch, so the host can name both versions. */
    proto_version_handshake ours = {PROTO_VERSION, proto_str(WORKER_VERSION)};
    scale_writer sw;
    scale_writer_init(&sw);
    proto_version_handshake_write(&sw, &ours);
    char err[256];
    bool sent = proto_send(w->sock, &sw, err, sizeof err);

    int rc = -1;
    char text[WASM_ERROR_MAX + 64];
    if (!decoded) {
        worker_log(w, "bad version handshake: %s", wasm_error_text(&e, text, sizeof text));
        rc = WORKER_EXIT_ERROR;
    } else if (host.protocol_version != PROTO_VERSION) {
        worker_log(w, "protocol version mismatch: host %u, worker %u", host.protocol_version,
                   PROTO_VERSION);
        rc = WORKER_EXIT_VERSION_MISMATCH;
    } else if (host.version.len != strlen(WORKER_VERSION) ||
               memcmp(host.version.ptr, WORKER_VERSION, host.version.len) != 0) {
        worker_log(w, "version mismatch: node %.*s, worker %s", (int)host.version.len,
                   (const char *)host.version.ptr, WORKER_VERSION);
        rc = WORKER_EXIT_VERSION_MISMATCH;
    } else if (w->node_version && strcmp(w->node_version, WORKER_VERSION) != 0) {
        worker_log(w, "version mismatch: node %s (command line), worker %s", w->node_version,
                   WORKER_VERSION);
        rc = WORKER_EXIT_VERSION_MISMATCH;
    } else if (!sent) {
        worker_log(w, "sending the version handshake: %s", err);
        rc = WORKER_EXIT_ERROR;
    }
    free(p);
    return rc;
}

/* Step 5. */
static bool security_handshake(worker_ctx *w)
{
    uint8_t *p;
    size_t n;
    if (!recv_small(w, "WorkerHandshake", &p, &n))
        return false;
    wasm_error e;
    bool ok = proto_worker_handshake_decode(p, n, &w->security, &e);
    free(p);
    if (!ok) {
        char text[WASM_ERROR_MAX + 64];
        worker_log(w, "bad WorkerHandshake: %s", wasm_error_text(&e, text, sizeof text));
    }
    return ok;
}

int worker_start(worker_kind kind, int argc, char **argv, worker_ctx *w)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    w->sock = -1;
    int rc = parse_args(w, argc, argv);
    if (rc >= 0)
        return rc;
    if (!worker_dir_readable(w))
        return WORKER_EXIT_ERROR;
    w->sock = connect_host(w);
    if (w->sock < 0)
        return WORKER_EXIT_ERROR;
    unlink(w->socket_path);     /* the reference does; ENOENT (host unlinked first) is fine */
    rc = version_handshake(w);
    if (rc >= 0)
        return rc;
    if (!security_handshake(w))
        return WORKER_EXIT_ERROR;
    if (!worker_enter_sandbox(w))
        return WORKER_EXIT_ERROR;
    return -1;
}

bool worker_path(const worker_ctx *w, const char *name, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s", w->worker_dir, name);
    return n >= 0 && (size_t)n < size;
}

uint64_t worker_budget_ms(proto_duration d)
{
    uint64_t ns = proto_duration_to_ns(d);
    uint64_t ms = ns / 1000000u + (ns % 1000000u != 0);
    return ms ? ms : 1;
}

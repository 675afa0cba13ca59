/*
 * worker_client.h — the host's side of one worker process: spawn it, do
 * the handshakes, send it one request at a time and classify what comes back
 * (reference-behaviour.md §1.7, the per-job parts of §1.4/§1.5;
 * docs/PROTOCOL.md §3).
 *
 * These are blocking primitives for the host's event loop: no threads, no
 * signal handlers, and every call has a deadline, so a stopped or wedged
 * worker can never hang the caller for longer than it asked for.
 *
 *   wclient_spawn_cfg cfg = {.binary = "build/bin/pvf-prepare-worker",
 *                           .cache_dir = dir, .node_version = "0.4.0"};
 *   wclient w;
 *   if (wclient_spawn(HOST_WORKER_PREPARE, &cfg, &w, err, sizeof err) != WCLIENT_SPAWN_OK) ...
 *   proto_prepare_result r;
 *   if (wclient_prepare(&w, &req, 4 * cpu_ms, &r, err, sizeof err) == WCLIENT_OK && r.ok)
 *       wclient_take_artifact(&w, artifact_path, err, sizeof err);
 *   wclient_close(&w);              // or wclient_kill(&w)
 *
 * Process model. A worker is a child of the calling process, started with an
 * empty environment and only fds 0–2 (plus its socket end, which it
 * connects to itself). Its worker dir `<cache>/worker-dir-{prepare|execute}-XXXXXX`
 * is made here and removed (with whatever the worker left in it) when the
 * worker is killed or closed. The listening socket lives in $TMPDIR (or
 * /tmp) as `pvf-host-{prepare|execute}-<10 random alphanumerics>` only
 * until the worker connects.
 *
 * Whenever a call reports the worker gone (WCLIENT_DIED, _HARD_TIMEOUT,
 * _MALFORMED, or a failed spawn), the process has been killed if needed and
 * reaped, and the dir removed: the handle is dead (wclient_pid() == -1) and
 * only wclient_kill/wclient_close (no-ops then) may follow. No zombies, no fds
 * left behind.
 */
#ifndef PVF_HOST_WORKER_CLIENT_H
#define PVF_HOST_WORKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire/protocol.h"
#include "runtime/executor_params.h"

typedef enum host_worker_kind { HOST_WORKER_PREPARE = 0, HOST_WORKER_EXECUTE = 1 } host_worker_kind;

/* The spawn timeout, how long a fresh worker has to connect: PVF_REF_SPAWN_TIMEOUT_MS. */
#include "pvf/reference.h"

typedef struct wclient_spawn_cfg {
    const char *binary;             /* path of pvf-prepare-worker / pvf-execute-worker */
    const char *cache_dir;          /* the worker dir is made under it */
    const char *node_version;       /* sent in the version handshake and as --node-version */
    bool native_tier;               /* --tier native: prepare native artifacts, run them natively */
    proto_security_status security; /* WorkerHandshake */
    const executor_params *executor_params; /* execute only: Handshake{executor_params}; NULL ⇒ empty */
    uint32_t spawn_timeout_ms;      /* 0 ⇒ PVF_REF_SPAWN_TIMEOUT_MS; bounds accept and each handshake frame */
    struct wlog *log;               /* the worker's stderr goes to this log (worker_log.h); NULL ⇒ /dev/null */
    uint64_t job_memory_mb;         /* execute: --job-memory-mb (each job's memory limit); 0 ⇒ the worker's default */
    int cancel_fd;                  /* > 0: once readable (an eventfd the caller writes), every wait on this
                                     * worker ends at once and the worker is killed; 0 ⇒ none */
} wclient_spawn_cfg;

/* Why a spawn failed (the reference's SpawnErr, plus the version check). */
typedef enum wclient_spawn_status {
    WCLIENT_SPAWN_OK = 0,
    WCLIENT_SPAWN_TMP_PATH,          /* cannot make the worker dir */
    WCLIENT_SPAWN_BIND,              /* cannot create/bind/listen on the socket */
    WCLIENT_SPAWN_PROCESS,           /* fork or execve failed (e.g. no such binary) */
    WCLIENT_SPAWN_ACCEPT_TIMEOUT,    /* no connection within the spawn timeout */
    WCLIENT_SPAWN_DIED,              /* the worker exited before connecting */
    WCLIENT_SPAWN_HANDSHAKE,         /* a handshake frame failed (I/O, timeout, malformed) */
    WCLIENT_SPAWN_VERSION_MISMATCH,  /* the worker runs another protocol or version */
} wclient_spawn_status;

/* What happened to one request. */
typedef enum wclient_status {
    WCLIENT_OK = 0,       /* a response arrived and decoded; the worker lives on */
    WCLIENT_DIED,         /* EOF / reset / broken pipe / the process exited: reaped, err says how
                             * (prepare: the reference's IoErr; execute: AmbiguousWorkerDeath) */
    WCLIENT_HARD_TIMEOUT, /* the wall-clock deadline passed: killed and reaped (execute: HardTimeout;
                             * prepare: TimedOut) */
    WCLIENT_MALFORMED,    /* a bad frame or undecodable response: killed and reaped (treated as a
                             * communication error, like a death) */
    WCLIENT_HOST_ERROR,   /* nothing was sent: a host-side failure (e.g. CouldNotCreateLink,
                             * request too large); the worker is untouched and still usable */
} wclient_status;

typedef struct wclient {
    host_worker_kind kind;
    pid_t pid;              /* -1 once dead */
    int pidfd;              /* readable when the process exits; -1 if the kernel has no pidfds */
    int sock;               /* connected socket; -1 once dead */
    char dir[4096];         /* worker dir; "" once removed */
    uint8_t *resp;          /* the last response frame: decoded results point into it */
    char death[128];        /* how it died, once it has ("exited with status 1", "killed by signal 9") */
    int cancel_fd;          /* from wclient_spawn_cfg (-1: none); not owned */
} wclient;

const char *wclient_spawn_status_name(wclient_spawn_status s);   /* "AcceptTimeout" … */

/*
 * Start a worker and do all handshakes: version (a mismatch is
 * WCLIENT_SPAWN_VERSION_MISMATCH with err "version mismatch: node X, worker Y"
 * or naming both protocol versions), WorkerHandshake and, for execute,
 * Handshake{executor_params}. On failure nothing is left: the child is
 * killed and reaped, socket and dir removed, *out is dead.
 */
wclient_spawn_status wclient_spawn(host_worker_kind kind, const wclient_spawn_cfg *cfg, wclient *out,
                                 char *err, size_t errlen);

/*
 * Send PvfPrepData and wait up to wall_timeout_ms for the result. On
 * WCLIENT_OK, *out is the worker's Result (its strings point into the
 * handle's response buffer: valid until the next call on this handle); on
 * success the artifact is `<dir>/tmp-artifact`, to be moved with
 * wclient_take_artifact.
 */
wclient_status wclient_prepare(wclient *w, const proto_pvf_prep_data *req, uint64_t wall_timeout_ms,
                                proto_prepare_result *out, char *err, size_t errlen);

/* Rename `<dir>/tmp-artifact` to dest (same file system: the cache dir).
 * False with err (the reference's RenameTmpFile) otherwise. */
bool wclient_take_artifact(wclient *w, const char *dest, char *err, size_t errlen);

/*
 * Hard-link artifact_path to `<dir>/artifact` (replacing an old link; a
 * failure is WCLIENT_HOST_ERROR, "could not create link: …"), send the
 * request and wait up to wall_timeout_ms. On WCLIENT_OK, *out is decoded
 * (free with proto_execute_result_free; its byte strings point into the
 * handle's response buffer). As in the reference, an Ok response whose
 * duration exceeds req->execution_timeout is rewritten to
 * Err(WorkerError::JobTimedOut). The link is removed afterwards.
 */
wclient_status wclient_execute(wclient *w, const char *artifact_path, const proto_execute_request *req,
                                uint64_t wall_timeout_ms, proto_execute_result *out, char *err, size_t errlen);

/* SIGKILL, reap, remove the dir and free everything. Safe on a dead handle. */
void wclient_kill(wclient *w);
/* Close the connection (a worker exits 0 then), wait up to 1 s for it, kill
 * if it lingers; then as wclient_kill. Returns its exit status as waitpid
 * gives it, or -1 when it was already dead or had to be killed. */
int wclient_close(wclient *w);

static inline pid_t wclient_pid(const wclient *w) { return w->pid; }
/* The socket, for the caller's poll: readable = a response or the worker's death. */
static inline int wclient_fd(const wclient *w) { return w->sock; }
/* The pidfd (or -1), for the caller's poll: readable = the process exited. */
static inline int wclient_pidfd(const wclient *w) { return w->pidfd; }

#endif

/*
 * worker_common.h — what the prepare and execute workers share: the command
 * line, the connection to the host and the start-up handshakes
 * (reference-behaviour.md §2.1; docs/PROTOCOL.md §3).
 *
 *   worker_ctx w;
 *   int rc = worker_start(WORKER_PREPARE, argc, argv, &w);
 *   if (rc >= 0) return rc;          // --version, --help, usage or start-up failure
 *   ... loop on w.sock ...
 *
 * Start-up, in order:
 *   1. parse argv: --socket PATH --worker-dir DIR [--node-version V];
 *      --version prints WORKER_VERSION, --help the usage (both exit 0);
 *   2. the worker dir must be readable (the reference's read_dir check);
 *   3. connect to the host's Unix socket, retrying for up to
 *      WORKER_CONNECT_TIMEOUT_MS (the host's spawn timeout) while the socket
 *      is not there yet; then unlink the path, as the reference does;
 *   4. versioned handshake (pvf extension): read the host's
 *      VersionHandshake, always answer with ours (so the host can report
 *      "node X, worker Y"), then stop with WORKER_EXIT_VERSION_MISMATCH if
 *      the protocol version or the node version differ from ours (or from
 *      --node-version, when given);
 *   5. read WorkerHandshake{SecurityStatus}: which sandbox layers the host's
 *      startup checks found available, and whether secure mode is on;
 *   6. enter the sandbox (worker_sandbox.c): L0 hygiene, L1 pivot_root into
 *      the worker dir, L2 landlock, L3 seccomp — after this the worker dir is
 *      "/" and w->worker_dir says so.
 *
 * Check modes (security_checks.c), instead of all that:
 *   --check-landlock | --check-seccomp | --check-userns-pivot DIR | --check-job-clone
 * each applies one layer in a child and proves its effect; exit 0 and one
 * line on stdout when it works, exit 1 and the reason on stderr when not.
 *
 * Workers are single-threaded: unshare(CLONE_NEWUSER) and job_spawn (clone3)
 * rely on it.
 */
#ifndef PVF_WORKER_COMMON_H
#define PVF_WORKER_COMMON_H

#include "pvf/version.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"
#include "wire/protocol.h"

/* The worker's version; the host's node version must be this string. */
#define WORKER_VERSION PVF_VERSION

/* How long a worker keeps trying to connect (the host's spawn timeout). */
#define WORKER_CONNECT_TIMEOUT_MS 3000u

/*
 * Exit codes, documented for the host and the tests:
 *   0  the host closed the connection between requests (clean shutdown),
 *      or --version / --help;
 *   1  error: cannot connect, worker dir unreadable, a malformed, truncated
 *      or oversized frame, a broken connection, an I/O error;
 *   2  bad command line;
 *   3  version mismatch (protocol version or node/worker version), after
 *      our VersionHandshake reply was sent.
 */
#define WORKER_EXIT_OK 0
#define WORKER_EXIT_ERROR 1
#define WORKER_EXIT_USAGE 2
#define WORKER_EXIT_VERSION_MISMATCH 3

typedef enum worker_kind { WORKER_PREPARE = 0, WORKER_EXECUTE = 1 } worker_kind;

typedef struct worker_ctx {
    worker_kind kind;
    const char *socket_path;
    const char *worker_dir;
    const char *node_version;           /* from argv; NULL when not given */
    const char *tier;                   /* from argv: "interp" or "native"; NULL: PVF_TIER_DEFAULT */
    uint64_t job_memory_mb;             /* --job-memory-mb: an execute job's memory limit in MiB; 0: sized
                                         * from the heap maximum (execute_worker.c) */
    int sock;                           /* connected to the host */
    proto_security_status security;     /* from WorkerHandshake */
    bool in_own_userns;                 /* L1 applied: the worker dir is "/" */
    bool seccomp_on;                    /* L3 applied: jobs get the stricter L5 filter too */
    bool job_clone;                     /* L4: jobs get their own namespaces */
    bool shares_job_ns;                 /* the worker made SANDBOX_SHARED_JOB_NS for its jobs: each
                                         * job needs only a pid namespace of its own */
    uint64_t job_memory_bytes;          /* execute: each job's memory limit (execute_worker.c) */
} worker_ctx;

/* The engine tier of --tier (PVF_TIER_DEFAULT when not given). */
pvf_tier worker_tier(const worker_ctx *w);

struct job_limits;

/* Step 6 (worker_sandbox.c); false ⇒ exit WORKER_EXIT_ERROR (logged). */
bool worker_enter_sandbox(worker_ctx *w);
/* Zero *lim, then the job-side layers (L4–L6) that go with what the worker applied. */
void worker_job_limits(const worker_ctx *w, struct job_limits *lim);

/* A check mode (security_checks.c): returns the exit code. */
int worker_run_check(const char *mode, const char *dir);
/* --job-allowlist (security_checks.c): "name<TAB>argument check<TAB>why" per line; exit code. */
int worker_print_job_allowlist(void);

/* Steps 1–5 above. Returns -1 when the worker should run its loop, else the
 * exit code to return from main (the reason is already on stderr). */
int worker_start(worker_kind kind, int argc, char **argv, worker_ctx *w);

/* "<worker_dir>/<name>" into buf; false when it does not fit. */
bool worker_path(const worker_ctx *w, const char *name, char *buf, size_t size);

/* Log one line to stderr, prefixed with the worker's name and pid. */
void worker_log(const worker_ctx *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Duration → milliseconds for a job's CPU budget: rounded up, at least 1
 * (a zero budget would mean "no limit" to job_spawn). */
uint64_t worker_budget_ms(proto_duration d);

/* The two workers' main(): start-up, then the request loop until the host
 * closes the connection. Return the exit code. */
int prepare_worker_main(int argc, char **argv);     /* prepare_worker.c */
int execute_worker_main(int argc, char **argv);     /* execute_worker.c */

#endif

/*
 * test_sandbox_e2e.c — issue 5's "Done when" list end to end, through the
 * code a worker really runs: a forked child plays the worker (empty
 * environment, a worker_ctx with a private worker dir and one end of a
 * socketpair as its host connection, a SecurityStatus), calls
 * worker_enter_sandbox (L0–L3), then worker_job_limits + job_spawn +
 * job_wait (L4–L6) with a job body that tries a forbidden action, and sends
 * the job_outcome back on its socket — the only channel it keeps once its
 * "/" is the worker dir.
 *
 * Every forbidden action has a positive control: the same job body in a
 * worker child that did not enter the sandbox (job limits all zero)
 * succeeds. Expected errnos and signals are the kernel's documented
 * behaviour (pivot_root hides the old root: ENOENT; a read-only bind mount:
 * EROFS; landlock: EACCES; SECCOMP_RET_KILL_PROCESS: the whole process dies
 * with SIGSYS; a new network namespace has only a loopback that is down:
 * ENETUNREACH; pid 1 of a pid namespace ignores a signal it sends itself
 * without a handler).
 *
 * The machine's layers come from the host's own start-up checks
 * (pvf_security_check); a missing one is a SKIP line, or a failure when
 * PVF_REQUIRE_ALL_LAYERS=1 (CI). Run from the repo root (build/bin/...).
 */
#define _GNU_SOURCE /* clearenv, strerrorname_np, pipe2 */
#include "test.h"

#include "wire/protocol.h"
#include "pvf/host.h"
#include "worker/job.h"
#include "worker/sandbox.h"
#include "worker/worker_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define WORKER_BIN "build/bin/pvf-prepare-worker"
#define SECRET_VAR "PVF_E2E_SECRET"
/* Above any fd the worker or job opens itself (pipes take the lowest free number). */
#define LEAKED_FD 100
/* Nothing here should take long; a hung child is a failure, not a hung suite. */
#define REPORT_TIMEOUT_MS 20000

static const char *errname(int e)
{
    const char *n = e ? strerrorname_np(e) : "0";
    return n ? n : "?";
}

/* ------------------------------------------------------------ machine layers */

static bool require_all_layers(void)
{
    const char *v = getenv("PVF_REQUIRE_ALL_LAYERS");
    return v && strcmp(v, "1") == 0 && !test_landlock_capped();
}

static const char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* What the host's start-up checks find on this machine (run once). */
static const pvf_security_status *machine_layers(void)
{
    static pvf_security_status *st;     /* kept for the whole run */
    static int done;   /* 0 not yet, 1 ok, -1 failed */
    if (!done) {
        char err[512];
        st = pvf_security_check(WORKER_BIN, tmp_base(), err, sizeof err);
        done = st ? 1 : -1;
        if (done < 0)
            test_fail(__FILE__, __LINE__, "pvf_security_check: %s", err);
    }
    return st;
}

typedef enum { NEED_LANDLOCK = 1, NEED_SECCOMP = 2, NEED_PIVOT = 4, NEED_CLONE = 8, NEED_LANDLOCK_NET = 16 } need_bits;

/* True when every layer in `need` works here; else a SKIP line (or, under
 * PVF_REQUIRE_ALL_LAYERS=1, a failure) naming the first missing one. */
static bool need_layers(const char *test, unsigned need)
{
    const pvf_security_status *st = machine_layers();
    if (!st)
        return false;
    const struct { unsigned bit; const pvf_security_layer *l; const char *name; } layers[] = {
        {NEED_LANDLOCK, &st->landlock, "landlock"},
        {NEED_SECCOMP, &st->seccomp, "seccomp"},
        {NEED_PIVOT, &st->userns_pivot_root, "userns_pivot_root"},
        {NEED_CLONE, &st->job_clone, "job_clone"},
    };
    if ((need & NEED_LANDLOCK) && st->landlock.available && sandbox_landlock_abi() <= 0) {
        printf("  SKIP %s: landlock off (PVF_TEST_LANDLOCK_ABI)\n", test);
        return false;
    }
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        if (!(need & layers[i].bit) || layers[i].l->available)
            continue;
        if (require_all_layers())
            test_fail(__FILE__, __LINE__, "%s: %s unavailable (PVF_REQUIRE_ALL_LAYERS=1): %s", test,
                      layers[i].name, layers[i].l->detail);
        else
            printf("  SKIP %s: %s unavailable: %s\n", test, layers[i].name, layers[i].l->detail);
        return false;
    }
    if ((need & NEED_LANDLOCK_NET) && sandbox_landlock_abi() < 4) {
        if (require_all_layers())
            test_fail(__FILE__, __LINE__, "%s: landlock ABI %d < 4 (no TCP rights)", test, sandbox_landlock_abi());
        else
            printf("  SKIP %s: landlock ABI %d < 4 (no TCP rights)\n", test, sandbox_landlock_abi());
        return false;
    }
    return true;
}

static proto_security_status status_of(bool landlock, bool seccomp, bool pivot, bool clone)
{
    return (proto_security_status){
        .secure_validator_mode = true,
        .can_enable_landlock = landlock,
        .can_enable_seccomp = seccomp,
        .can_unshare_user_namespace_and_change_root = pivot,
        .can_do_secure_clone = clone,
    };
}

/* Every layer this machine has: landlock too unless the landlock matrix turned it off
 * (PVF_TEST_LANDLOCK_ABI=off); a capped ABI is what sandbox_landlock then applies. */
static proto_security_status all_layers(void)
{
    return status_of(sandbox_landlock_abi() > 0, true, true, true);
}

/* ------------------------------------------------------------ temp dirs */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A private worker dir holding a file `artifact`. */
static bool make_worker_dir(char *dir, size_t size)
{
    snprintf(dir, size, "%s/pvf-e2e-XXXXXX", tmp_base());
    if (!mkdtemp(dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp under %s: %s", tmp_base(), strerror(errno));
        return false;
    }
    char p[512];
    snprintf(p, sizeof p, "%s/artifact", dir);
    int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, "artifact", 8) != 8) {
        test_fail(__FILE__, __LINE__, "cannot write %s: %s", p, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    return true;
}

/* ------------------------------------------------------------ job bodies */

/* Every job answers with two int32: a return value and the errno after it. */
static void job_reply(int fd, int ret, int err)
{
    int32_t v[2] = {ret, err};
    char e[128];
    frame_write(fd, (const uint8_t *)v, sizeof v, e, sizeof e);
}

static void job_open_read(void *arg, int fd)
{
    errno = 0;
    int r = open((const char *)arg, O_RDONLY | O_CLOEXEC);
    job_reply(fd, r < 0 ? -1 : 0, errno);
}

static void job_create_file(void *arg, int fd)
{
    errno = 0;
    int r = open((const char *)arg, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    int e = errno;
    if (r >= 0)
        unlink((const char *)arg);
    job_reply(fd, r < 0 ? -1 : 0, e);
}

/* The worker's dir as the worker sees it ("/" once pivoted); set in the
 * worker child before its job starts, so the job inherits it. */
static char g_worker_dir[256];

static void job_read_artifact(void *arg, int fd)
{
    (void)arg;
    char p[300];
    snprintf(p, sizeof p, "%s/artifact", strcmp(g_worker_dir, "/") ? g_worker_dir : "");
    job_open_read(p, fd);
}

static void job_create_in_worker_dir(void *arg, int fd)
{
    (void)arg;
    char p[300];
    snprintf(p, sizeof p, "%s/created", strcmp(g_worker_dir, "/") ? g_worker_dir : "");
    job_create_file(p, fd);
}

static void job_socket(void *arg, int fd)
{
    (void)arg;
    errno = 0;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    job_reply(fd, s < 0 ? -1 : 0, errno);
}

static void *thread_socket(void *arg)
{
    int *out = arg;
    errno = 0;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    out[0] = s < 0 ? -1 : 0;
    out[1] = errno;
    return NULL;
}

/* socket() from a second thread: a KILL_PROCESS filter must end the whole job. */
static void job_socket_from_thread(void *arg, int fd)
{
    (void)arg;
    int res[2] = {-2, 0};
    pthread_t t;
    int e = pthread_create(&t, NULL, thread_socket, res);
    if (e != 0) {
        job_reply(fd, -3, e);
        return;
    }
    pthread_join(t, NULL);
    job_reply(fd, res[0], res[1]);
}

static void job_connect(void *arg, int fd)
{
    int port = *(const int *)arg;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        job_reply(fd, -2, errno);
        return;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    errno = 0;
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    job_reply(fd, r, errno);
    close(s);
}

/* ret: 1 when the secret is visible; err: how many variables there are. */
static void job_env(void *arg, int fd)
{
    (void)arg;
    int n = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    job_reply(fd, getenv(SECRET_VAR) != NULL, n);
}

static void job_fd_flags(void *arg, int fd)
{
    errno = 0;
    int r = fcntl(*(const int *)arg, F_GETFD);
    job_reply(fd, r < 0 ? -1 : 0, errno);
}

/* Its load step leaves a mark in the (prepare) worker dir; its run step sleeps, the way a job
 * under its allowlist can: a futex wait nobody wakes. */
static bool load_mark(void *arg, int fd)
{
    (void)arg, (void)fd;
    char p[300];
    snprintf(p, sizeof p, "%s/started", strcmp(g_worker_dir, "/") ? g_worker_dir : "");
    int m = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (m >= 0)
        close(m);
    return true;
}

static void job_sleep(void *arg, int fd)
{
    (void)arg;
    static uint32_t never_woken;
    struct timespec ts = {30, 0};
    syscall(SYS_futex, &never_woken, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    job_reply(fd, 0, 0);
}

/* Survives only where SIGSYS sent to itself is ignored (pid 1 of a pid namespace). */
static void job_raise_sigsys(void *arg, int fd)
{
    (void)arg;
    raise(SIGSYS);
    job_reply(fd, 1, 0);
}

#define RESERVATION (8ull << 30)
#define TOUCH_TOTAL (256u << 20)
#define TOUCH_CHUNK (1u << 20)

/* An 8 GiB PROT_NONE reservation (what a wasm memory needs; RLIMIT_AS would
 * refuse it), then 256 MiB touched page by page. */
static void job_eat_memory(void *arg, int fd)
{
    (void)arg;
    void *res = mmap(NULL, RESERVATION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED) {
        job_reply(fd, -1, errno);
        return;
    }
    for (size_t done = 0; done < TOUCH_TOTAL; done += TOUCH_CHUNK) {
        char *p = malloc(TOUCH_CHUNK);
        if (!p)
            job_exit_out_of_memory(fd, (const uint8_t *)"OOM!", 4);
        memset(p, 0xa5, TOUCH_CHUNK);
    }
    job_reply(fd, 0, 0);
}

/* ------------------------------------------------------------ the worker child */

typedef struct e2e_spec {
    worker_kind kind;
    bool sandbox;               /* clearenv + worker_enter_sandbox + worker_job_limits; else limits zero */
    bool keep_env;              /* with sandbox: skip clearenv (the environment test) */
    proto_security_status st;
    bool no_job_seccomp;        /* L3 in the worker but no L5 in the job */
    uint64_t mem_bytes;
    bool leak_fd;               /* the worker inherits a non-CLOEXEC fd LEAKED_FD */
    job_load_fn load;           /* the job's load step (before L5), or NULL */
    job_fn fn;
    void *arg;
} e2e_spec;

enum { STAGE_SPAWNED = 1, STAGE_DONE = 2, STAGE_FAILED = 3 };

/* One message on the worker's socket (SOCK_SEQPACKET: one message each). */
typedef struct e2e_report {
    int stage;
    int job_pid;
    int kind, exit_status, signal, method;
    bool seccomp_violation;
    size_t payload_len;
    uint8_t payload[16];
    char msg[160];
} e2e_report;

typedef struct e2e_run {
    char dir[256];
    pid_t worker;
    int sock;                   /* our end */
    int err_fd;                 /* the worker's stderr (and its job's) */
    char log[4096];
} e2e_run;

static void worker_send(int sock, const e2e_report *r)
{
    ssize_t k;
    while ((k = send(sock, r, sizeof *r, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
}

static _Noreturn void worker_child(const e2e_spec *s, const char *dir, int sock)
{
    e2e_report r;
    memset(&r, 0, sizeof r);
    if (s->sandbox && !s->keep_env)
        clearenv();
    worker_ctx w;
    memset(&w, 0, sizeof w);
    w.kind = s->kind;
    w.worker_dir = dir;
    w.sock = sock;
    w.security = s->st;
    job_limits lim;
    memset(&lim, 0, sizeof lim);
    if (s->sandbox) {
        if (!worker_enter_sandbox(&w)) {
            r.stage = STAGE_FAILED;
            snprintf(r.msg, sizeof r.msg, "worker_enter_sandbox failed");
            worker_send(sock, &r);
            _exit(0);
        }
        worker_job_limits(&w, &lim);
        if (s->no_job_seccomp)
            lim.job_seccomp = false;
    }
    snprintf(g_worker_dir, sizeof g_worker_dir, "%s", w.worker_dir);
    lim.mem_bytes = s->mem_bytes;
    lim.wall_ms = REPORT_TIMEOUT_MS / 2;
    job j;
    char err[160];
    if (!job_spawn(&(job_body){s->load, s->fn}, s->arg, &lim, &j, err, sizeof err)) {
        r.stage = STAGE_FAILED;
        snprintf(r.msg, sizeof r.msg, "job_spawn: %.140s", err);
        worker_send(sock, &r);
        _exit(0);
    }
    r.stage = STAGE_SPAWNED;
    r.job_pid = j.pid;
    worker_send(sock, &r);
    job_outcome o;
    job_wait(&j, &o);
    r.stage = STAGE_DONE;
    r.kind = o.kind;
    r.exit_status = o.exit_status;
    r.signal = o.signal;
    r.method = o.method;
    r.seccomp_violation = o.seccomp_violation;
    r.payload_len = o.payload_len;
    if (o.payload)
        memcpy(r.payload, o.payload, o.payload_len < sizeof r.payload ? o.payload_len : sizeof r.payload);
    snprintf(r.msg, sizeof r.msg, "%s", o.msg);
    job_outcome_free(&o);
    worker_send(sock, &r);
    _exit(0);
}

/* Fork the worker child. */
static bool e2e_start(const e2e_spec *s, e2e_run *run)
{
    memset(run, 0, sizeof *run);
    run->worker = -1;
    run->sock = run->err_fd = -1;
    if (!make_worker_dir(run->dir, sizeof run->dir))
        return false;
    int sv[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
        test_fail(__FILE__, __LINE__, "socketpair/pipe: %s", strerror(errno));
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    run->worker = fork();
    if (run->worker == 0) {
        close(sv[0]);
        close(ep[0]);
        dup2(ep[1], 2);
        if (s->leak_fd) {
            int fd = open("/dev/null", O_RDONLY);   /* no O_CLOEXEC: a leak on purpose */
            if (fd >= 0 && fd != LEAKED_FD) {
                dup2(fd, LEAKED_FD);
                close(fd);
            }
        }
        worker_child(s, run->dir, sv[1]);
    }
    close(sv[1]);
    close(ep[1]);
    run->sock = sv[0];
    run->err_fd = ep[0];
    (void)fcntl(run->err_fd, F_SETFL, O_NONBLOCK);
    if (run->worker < 0) {
        test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
        return false;
    }
    return true;
}

/* The next report, or false after REPORT_TIMEOUT_MS / a closed socket. */
static bool e2e_read(e2e_run *run, e2e_report *r)
{
    struct pollfd p = {.fd = run->sock, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, REPORT_TIMEOUT_MS)) < 0 && errno == EINTR) {
    }
    if (n <= 0)
        return false;
    ssize_t k = recv(run->sock, r, sizeof *r, 0);
    return k == (ssize_t)sizeof *r;
}

/* Reap the worker (killing it if still there), collect its log, remove its dir. */
static void e2e_finish(e2e_run *run)
{
    if (run->worker > 0) {
        struct pollfd p = {.fd = run->sock, .events = POLLIN};
        (void)poll(&p, 1, 2000);    /* it exits right after its last report */
        kill(run->worker, SIGKILL);
        while (waitpid(run->worker, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    if (run->err_fd >= 0) {
        size_t len = 0;
        ssize_t k;
        while (len < sizeof run->log - 1 && (k = read(run->err_fd, run->log + len, sizeof run->log - 1 - len)) > 0)
            len += (size_t)k;
        run->log[len] = 0;
        close(run->err_fd);
    }
    if (run->sock >= 0)
        close(run->sock);
    if (run->dir[0])
        remove_tree(run->dir);
}

/* Run one job in one worker child; false (a failed check) when no final report came. */
static bool e2e_run_job(const e2e_spec *s, e2e_report *out, int line)
{
    e2e_run run;
    memset(out, 0, sizeof *out);
    bool ok = e2e_start(s, &run);
    e2e_report r;
    while (ok && e2e_read(&run, &r)) {
        *out = r;
        if (r.stage != STAGE_SPAWNED)
            break;
    }
    e2e_finish(&run);
    if (out->stage != STAGE_DONE) {
        test_fail(__FILE__, line, "no job outcome (stage %d: %s); worker log:\n%s", out->stage, out->msg, run.log);
        return false;
    }
    return true;
}

static int32_t report_ret(const e2e_report *r)
{
    int32_t v[2] = {-100, 0};
    if (r->payload_len == sizeof v)
        memcpy(v, r->payload, sizeof v);
    return v[0];
}

static int32_t report_errno(const e2e_report *r)
{
    int32_t v[2] = {-100, 0};
    if (r->payload_len == sizeof v)
        memcpy(v, r->payload, sizeof v);
    return v[1];
}

/* The job ran to its reply: ret and errno as expected. */
static void expect_reply(int line, const e2e_report *r, int ret, int err, const char *what)
{
    if (r->kind != JOB_OK || report_ret(r) != ret || (err >= 0 && report_errno(r) != err))
        test_fail(__FILE__, line, "%s: job %s (%s), ret %d errno %s; want OK, ret %d errno %s", what,
                  job_outcome_name((job_outcome_kind)r->kind), r->msg, report_ret(r), errname(report_errno(r)), ret,
                  err >= 0 ? errname(err) : "any");
}

/* Killed by the seccomp filter, and the worker could tell (pid 1 of its namespace). */
static void expect_seccomp_kill(int line, const e2e_report *r, const char *what)
{
    bool ok = r->kind == JOB_DIED && r->signal == SIGSYS && r->seccomp_violation && r->msg[0] &&
              strstr(r->msg, "seccomp violation") && !strstr(r->msg, "possibly");
    if (!ok)
        test_fail(__FILE__, line, "%s: job %s signal %d violation %d \"%s\"; want killed by SIGSYS, a seccomp violation",
                  what, job_outcome_name((job_outcome_kind)r->kind), r->signal, r->seccomp_violation, r->msg);
}

static e2e_spec sandboxed(worker_kind kind, proto_security_status st, job_fn fn, void *arg)
{
    return (e2e_spec){.kind = kind, .sandbox = true, .st = st, .fn = fn, .arg = arg};
}

static e2e_spec unsandboxed(worker_kind kind, job_fn fn, void *arg)
{
    return (e2e_spec){.kind = kind, .sandbox = false, .fn = fn, .arg = arg};
}

/* ------------------------------------------------------------ 1. files */

/* What the tests below need: none of their protections depends on landlock, so they run in
 * every column of the landlock matrix, landlock off included (all_layers() adds it when there). */
#define ALL_LAYERS (NEED_SECCOMP | NEED_PIVOT | NEED_CLONE)

TEST(sandbox_e2e_no_files)
{
    if (!need_layers("sandbox_e2e_no_files", ALL_LAYERS))
        return;
    e2e_report r;
    /* Every layer: open is not on a job's allowlist, not even for its own worker dir. */
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_open_read, "/etc/passwd");
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "execute job: open /etc/passwd");
    s.fn = job_read_artifact;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "execute job: open /artifact");
    /* Issue 13, finding 4: a prepare job filled the disk from its (writable) worker dir. */
    s = sandboxed(WORKER_PREPARE, all_layers(), job_create_in_worker_dir, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "prepare job: create /created");

    /* The file-system layers on their own (no L5): the old root is gone, "/" is the worker dir,
     * read-only for execute. */
    s = sandboxed(WORKER_EXECUTE, all_layers(), job_open_read, "/etc/passwd");
    s.no_job_seccomp = true;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, ENOENT, "execute job without L5: open /etc/passwd");
    s.fn = job_read_artifact;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "execute job without L5: open /artifact (its own file)");
    s.fn = job_create_in_worker_dir;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, EROFS, "execute job without L5: create /created");
    s = sandboxed(WORKER_PREPARE, all_layers(), job_open_read, "/etc/passwd");
    s.no_job_seccomp = true;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, ENOENT, "prepare job without L5: open /etc/passwd");

    /* Positive control: no sandbox, the same bodies succeed. */
    s = unsandboxed(WORKER_EXECUTE, job_open_read, "/etc/passwd");
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: open /etc/passwd");
    s.fn = job_create_in_worker_dir;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: create in the worker dir");
}

/* Landlock alone (no pivot_root): the execute worker may only read beneath its dir. */
TEST(sandbox_e2e_no_files_landlock_only)
{
    if (!need_layers("sandbox_e2e_no_files_landlock_only", NEED_LANDLOCK))
        return;
    e2e_report r;
    e2e_spec s = sandboxed(WORKER_EXECUTE, status_of(true, false, false, false), job_open_read, "/etc/passwd");
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, EACCES, "landlock: open /etc/passwd");
    s.fn = job_create_in_worker_dir;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, EACCES, "landlock: create in the worker dir");
    s.fn = job_read_artifact;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "landlock: read the worker dir's artifact");
}

/* ------------------------------------------------------------ 2. sockets */

TEST(sandbox_e2e_no_socket)
{
    if (!need_layers("sandbox_e2e_no_socket", ALL_LAYERS))
        return;
    e2e_report r;
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_socket, NULL);
    if (e2e_run_job(&s, &r, __LINE__)) {
        CHECK_EQ_U64(r.method, JOB_METHOD_CLONE3);
        expect_seccomp_kill(__LINE__, &r, "socket() in a job");
    }
    /* L3 only (no L5, which forbids the clone a thread needs): the worker's
     * filter kills the whole job when a second thread calls socket(). */
    s = sandboxed(WORKER_PREPARE, all_layers(), job_socket_from_thread, NULL);
    s.no_job_seccomp = true;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "socket() from a job's second thread");

    /* Positive control. */
    s = unsandboxed(WORKER_EXECUTE, job_socket, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: socket()");
    s.fn = job_socket_from_thread;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: socket() from a second thread");
}

/* ------------------------------------------------------------ 3. network */

/* A listener on 127.0.0.1 (any port); -1 on failure. */
static int open_listener(int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        test_fail(__FILE__, __LINE__, "listener: %s", strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return s;
}

/* How many connections reached the listener (it is non-blocking). */
static int accept_all(int listener)
{
    int n = 0, c;
    while ((c = accept4(listener, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(c);
        n++;
    }
    return n;
}

static void expect_connect_refused(int line, const e2e_report *r, int listener, int want_errno, const char *what)
{
    int e = report_errno(r);
    bool errno_ok = want_errno ? e == want_errno : (e == ECONNREFUSED || e == ENETUNREACH || e == EACCES);
    if (r->kind != JOB_OK || report_ret(r) != -1 || !errno_ok)
        test_fail(__FILE__, line, "%s: job %s (%s), connect ret %d errno %s; want -1 %s", what,
                  job_outcome_name((job_outcome_kind)r->kind), r->msg, report_ret(r), errname(e),
                  want_errno ? errname(want_errno) : "ECONNREFUSED/ENETUNREACH/EACCES");
    if (accept_all(listener) != 0)
        test_fail(__FILE__, line, "%s: a connection reached the test's listener", what);
}

TEST(sandbox_e2e_no_network)
{
    if (!need_layers("sandbox_e2e_no_network", NEED_LANDLOCK | NEED_PIVOT | NEED_CLONE | NEED_LANDLOCK_NET))
        return;
    int port = 0, l = open_listener(&port);
    if (l < 0)
        return;
    e2e_report r;
    /* seccomp off (it would kill the job at socket()): the job's own network
     * namespace and landlock's TCP rule must stop it. */
    e2e_spec s = sandboxed(WORKER_EXECUTE, status_of(true, false, true, true), job_connect, &port);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_connect_refused(__LINE__, &r, l, 0, "every layer but seccomp");
    /* Each alone: landlock (ABI >= 4) denies the connect itself. */
    s.st = status_of(true, false, false, false);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_connect_refused(__LINE__, &r, l, EACCES, "landlock only");
    /* The job's network namespace has only a loopback that is down. */
    s.st = status_of(false, false, false, true);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_connect_refused(__LINE__, &r, l, ENETUNREACH, "job namespaces only");

    /* Positive control: the same job without a sandbox connects. */
    s = unsandboxed(WORKER_EXECUTE, job_connect, &port);
    if (e2e_run_job(&s, &r, __LINE__)) {
        expect_reply(__LINE__, &r, 0, 0, "control: connect");
        CHECK_EQ_U64(accept_all(l), 1);
    }
    close(l);
}

/* ------------------------------------------------------------ 4. environment */

/* The contents of /proc/<pid>/environ; -1 when it can't be read (errno). */
static ssize_t read_environ(pid_t pid, char *buf, size_t size)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/environ", (int)pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static bool environ_has(const char *buf, size_t len, const char *var)
{
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
        if (!strncmp(buf + i, var, strlen(var)) && buf[i + strlen(var)] == '=')
            return true;
    return false;
}

/* Positive control for reading /proc/<pid>/environ: a child exec'd with our
 * environment shows the secret. (/proc/self/environ would not: it is the
 * environment at our own exec, before setenv.) */
static void check_environ_control(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"sleep", "10", NULL};
        execve("/bin/sleep", argv, environ);
        _exit(127);
    }
    close(p[1]);
    char c;
    while (read(p[0], &c, 1) < 0 && errno == EINTR) {
    }   /* end of file: the exec happened (the pipe was close-on-exec) */
    close(p[0]);
    char buf[8192];
    ssize_t n = read_environ(pid, buf, sizeof buf);
    CHECK(n > 0 && environ_has(buf, (size_t)n, SECRET_VAR));
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

TEST(sandbox_e2e_no_environment)
{
    if (!need_layers("sandbox_e2e_no_environment", ALL_LAYERS))
        return;
    setenv(SECRET_VAR, "x", 1);
    e2e_report r;
    /* The sandboxed job of a worker that cleared its environment sees nothing. */
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_env, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "sandboxed job: secret visible / variable count");
    /* Positive control: without the sandbox the job sees it. */
    s = unsandboxed(WORKER_EXECUTE, job_env, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 1, -1, "control: the job sees the secret");

    /* A worker that kept its environment refuses to run in secure mode, and says why. */
    s = sandboxed(WORKER_EXECUTE, all_layers(), job_env, NULL);
    s.keep_env = true;
    e2e_run run;
    e2e_report rr;
    memset(&rr, 0, sizeof rr);
    if (e2e_start(&s, &run)) {
        if (!e2e_read(&run, &rr))
            rr.stage = 0;
        e2e_finish(&run);
        CHECK_EQ_U64(rr.stage, STAGE_FAILED);
        CHECK_STR_CONTAINS(run.log, "environment");
        CHECK_STR_CONTAINS(run.log, "secure mode");
    }
    /* In insecure mode it is a warning: the worker goes on. */
    s.st.secure_validator_mode = false;
    if (e2e_run_job(&s, &r, __LINE__))
        CHECK_EQ_U64(r.kind, JOB_OK);

    /* A real host spawns a real worker with an empty environment although ours has the secret. */
    check_environ_control();
    size_t len = 0;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    test_workdir wd;
    if (code && test_workdir_init(&wd, "pvf-e2e-host", false)) {
        pvf_host_config cfg;
        test_host_config(&cfg, wd.cache, wd.log);
        char err[512];
        pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
        if (!h)
            test_fail(__FILE__, __LINE__, "pvf_host_start (secure mode): %s", err);
        if (h) {
            OWNED_PRECHECK pvf_precheck_result *pr = NULL;
            test_precheck(&pr, h, code, len, NULL);
            CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);   /* the secure worker ran (an env would stop it) */
            int pid = pvf_host_prepare_worker_pid(h);
            CHECK(pid > 0);
            char buf[4096];
            errno = 0;
            ssize_t n = pid > 0 ? read_environ(pid, buf, sizeof buf) : -1;
            if (n >= 0)
                CHECK_EQ_U64(n, 0);     /* readable (root): empty */
            else
                CHECK(errno == EACCES || errno == EPERM);   /* not dumpable: unreadable to its own user */
            pvf_host_stop(h);
            if (pid > 0)
                CHECK(test_pid_gone(pid));
        }
        test_workdir_restore_tmpdir(&wd);
        remove_tree(wd.root);
    }
    free(code);
    unsetenv(SECRET_VAR);
}

/* ------------------------------------------------------------ 5. leaked fds */

/* What the engine needs in a job still works in the full sandbox: its load step makes a 16 MiB
 * memfd (the copy-on-write image of a memory's initial data) and maps it privately, its run
 * step writes to the mapping. RLIMIT_FSIZE 0 once made the ftruncate fail. */
static char *e2e_image;

static bool load_memfd_image(void *arg, int fd)
{
    (void)arg;
    errno = 0;
    int m = memfd_create("pvf-e2e-image", MFD_CLOEXEC);
    int ok = m >= 0 && ftruncate(m, 16 << 20) == 0;
    void *p = ok ? mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE, m, 0) : MAP_FAILED;
    if (p == MAP_FAILED) {
        job_reply(fd, -1, errno);
        return false;
    }
    e2e_image = p;
    return true;
}

static void job_write_image(void *arg, int fd)
{
    (void)arg;
    ((volatile char *)e2e_image)[(16 << 20) - 1] = 1;
    job_reply(fd, 0, 0);
}

/* Issue 13, finding 5: shared memory outside RLIMIT_DATA, made once the job's code runs. */
static void job_memfd_shared(void *arg, int fd)
{
    (void)arg;
    int m = memfd_create("pvf-e2e-escape", MFD_CLOEXEC);
    int ok = m >= 0 && ftruncate(m, 1 << 20) == 0;
    void *p = ok ? mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0) : MAP_FAILED;
    job_reply(fd, p == MAP_FAILED ? -1 : 0, p == MAP_FAILED ? errno : 0);
}

TEST(sandbox_e2e_engine_memfd_image_works)
{
    if (!need_layers("sandbox_e2e_engine_memfd_image_works", ALL_LAYERS))
        return;
    e2e_report r;
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_write_image, NULL);
    s.load = load_memfd_image;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "memfd image made in the load step, written in the run step");
    s = sandboxed(WORKER_EXECUTE, all_layers(), job_memfd_shared, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "memfd_create + MAP_SHARED in the run step");
    s = unsandboxed(WORKER_EXECUTE, job_memfd_shared, NULL);
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: memfd_create + MAP_SHARED without a sandbox");
}

/* How many fds the job holds (its load step counts them, before L5: fcntl is not allowed after). */
static bool load_count_fds(void *arg, int fd)
{
    (void)arg;
    int n = 0;
    for (int i = 0; i < 4096; i++)
        n += fcntl(i, F_GETFD) >= 0;
    job_reply(fd, n, 0);
    return false;
}

static bool load_fd_flags(void *arg, int fd)
{
    job_fd_flags(arg, fd);
    return false;
}

/* The run step of a job whose load step answers. */
static void job_not_reached(void *arg, int fd)
{
    (void)arg;
    job_reply(fd, -99, 0);
}

TEST(sandbox_e2e_no_leaked_fds)
{
    if (!need_layers("sandbox_e2e_no_leaked_fds", ALL_LAYERS))
        return;
    int fd = LEAKED_FD;
    e2e_report r;
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_not_reached, &fd);
    s.load = load_fd_flags;
    s.leak_fd = true;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, -1, EBADF, "sandboxed job: fcntl(leaked fd)");
    /* fds 0-2 (/dev/null) and the result pipe: not the worker's host connection, nor anything
     * else it keeps open. */
    s.load = load_count_fds;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 4, 0, "sandboxed job: open fds");
    /* Positive control: without hygiene the job has it. */
    s = unsandboxed(WORKER_EXECUTE, job_not_reached, &fd);
    s.load = load_fd_flags;
    s.leak_fd = true;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: fcntl(leaked fd)");
}

/* ------------------------------------------------------------ 6. worker death */

/* The children of every thread of pid, from /proc/<pid>/task/<tid>/children. */
static bool is_child_of(pid_t parent, pid_t child)
{
    char p[96], buf[512];
    snprintf(p, sizeof p, "/proc/%d/task/%d/children", (int)parent, (int)parent);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"))
        if (atoi(t) == child)
            return true;
    return false;
}

/* Gone, or a zombie waiting for whoever it was re-parented to. */
static bool pid_dead(pid_t pid)
{
    if (test_pid_gone(pid))
        return true;
    char p[64], buf[256];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

/* Start a prepare worker whose job marks its start and sleeps; the job's pid
 * (0 when it didn't start: a failed check). */
static pid_t start_sleeping_job(e2e_run *run, int line)
{
    e2e_spec s = sandboxed(WORKER_PREPARE, all_layers(), job_sleep, NULL);
    s.load = load_mark;
    if (!e2e_start(&s, run))
        return 0;
    e2e_report r;
    memset(&r, 0, sizeof r);
    if (!e2e_read(run, &r) || r.stage != STAGE_SPAWNED) {
        e2e_finish(run);
        test_fail(__FILE__, line, "no job started (stage %d %s): %s", r.stage, r.msg, run->log);
        return 0;
    }
    return r.job_pid;
}

/* SIGKILL the worker, reap it; true when its job is dead within 1 s (else it is killed here). */
static bool kill_worker_job_follows(e2e_run *run, pid_t job_pid)
{
    kill(run->worker, SIGKILL);
    while (waitpid(run->worker, NULL, 0) < 0 && errno == EINTR) {
    }
    run->worker = -1;
    uint64_t t0 = test_now_ms();
    while (!pid_dead(job_pid) && test_now_ms() - t0 < 1000)
        usleep(5000);
    bool dead = pid_dead(job_pid);
    if (!dead)
        kill(job_pid, SIGKILL);     /* re-parented to init, which reaps it */
    return dead;
}

TEST(sandbox_e2e_job_dies_with_worker)
{
    if (!need_layers("sandbox_e2e_job_dies_with_worker", ALL_LAYERS))
        return;
    e2e_run run;
    pid_t job_pid = start_sleeping_job(&run, __LINE__);
    if (!job_pid)
        return;
    /* Positive control: the job is the worker's live child, running its body. */
    char mark[300];
    snprintf(mark, sizeof mark, "%s/started", run.dir);
    uint64_t t0 = test_now_ms();
    while (access(mark, F_OK) != 0 && test_now_ms() - t0 < 5000)
        usleep(2000);
    CHECK(access(mark, F_OK) == 0);
    CHECK(is_child_of(run.worker, job_pid));
    CHECK(!pid_dead(job_pid));
    if (!kill_worker_job_follows(&run, job_pid))
        test_fail(__FILE__, __LINE__, "job %d still alive 1 s after its worker was killed", (int)job_pid);
    e2e_finish(&run);
}

/* The same, the worker killed right after job_spawn returned: the job may
 * not have set PR_SET_PDEATHSIG yet, and as pid 1 of its own namespace its
 * getppid() is 0 whether or not the worker is still there. */
TEST(sandbox_e2e_job_dies_with_worker_killed_at_spawn)
{
    if (!need_layers("sandbox_e2e_job_dies_with_worker_killed_at_spawn", ALL_LAYERS))
        return;
    int survivors = 0, runs = 0;
    for (int i = 0; i < 20; i++) {
        e2e_run run;
        pid_t job_pid = start_sleeping_job(&run, __LINE__);
        if (!job_pid)
            break;
        runs++;
        if (!kill_worker_job_follows(&run, job_pid))
            survivors++;
        e2e_finish(&run);
    }
    CHECK_EQ_U64(runs, 20);
    if (survivors)
        test_fail(__FILE__, __LINE__, "%d of %d jobs outlived their worker killed right after job_spawn", survivors,
                  runs);
}

/* ------------------------------------------------------------ 7. SIGSYS */

TEST(sandbox_e2e_sigsys_classification)
{
    if (!need_layers("sandbox_e2e_sigsys_classification", ALL_LAYERS))
        return;
    e2e_report r;
    /* pid 1 of its own namespace: a self-sent SIGSYS is ignored and the job goes on. */
    e2e_spec s = sandboxed(WORKER_EXECUTE, all_layers(), job_raise_sigsys, NULL);
    if (e2e_run_job(&s, &r, __LINE__)) {
        expect_reply(__LINE__, &r, 1, 0, "raise(SIGSYS) as pid 1");
        CHECK(!r.seccomp_violation);
        CHECK_EQ_U64(r.signal, 0);
    }
    /* ... while a real violation is told as one. */
    s.fn = job_socket;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_seccomp_kill(__LINE__, &r, "socket() as pid 1");

    /* Without L4 the same raise kills the job, and nobody can tell it from seccomp. */
    s = sandboxed(WORKER_EXECUTE, status_of(sandbox_landlock_abi() > 0, true, true, false), job_raise_sigsys, NULL);
    if (e2e_run_job(&s, &r, __LINE__)) {
        CHECK_EQ_U64(r.kind, JOB_DIED);
        CHECK_EQ_U64(r.signal, SIGSYS);
        CHECK(!r.seccomp_violation);
        CHECK_STR_CONTAINS(r.msg, "possibly");
    }
}

/* ------------------------------------------------------------ 8. memory */

TEST(sandbox_e2e_out_of_memory)
{
    if (!need_layers("sandbox_e2e_out_of_memory", ALL_LAYERS))
        return;
    e2e_report r;
    e2e_spec s = sandboxed(WORKER_PREPARE, all_layers(), job_eat_memory, NULL);
    s.mem_bytes = 64u << 20;
    if (e2e_run_job(&s, &r, __LINE__)) {
        if (test_under_asan()) {
            /* ASan's shadow memory is part of VmData and RLIMIT_DATA: the limit
             * means nothing there. The plain build checks it. */
        } else {
            if (r.kind != JOB_OUT_OF_MEMORY)
                test_fail(__FILE__, __LINE__, "job %s (%s), ret %d errno %s; want OutOfMemory",
                          job_outcome_name((job_outcome_kind)r.kind), r.msg, report_ret(&r),
                          errname(report_errno(&r)));
            CHECK_EQ_U64(r.exit_status, JOB_EXIT_OUT_OF_MEMORY);
            CHECK(r.payload_len == 4 && !memcmp(r.payload, "OOM!", 4));  /* so the 8 GiB mmap worked */
        }
    }
    /* Positive control: the same job without a limit touches all 256 MiB. */
    s.mem_bytes = 0;
    if (e2e_run_job(&s, &r, __LINE__))
        expect_reply(__LINE__, &r, 0, 0, "control: 256 MiB without a limit");
}

/* ------------------------------------------------------------ 9. startup checks */

static int child_failures;  /* in a forked child only */

#define CHILD_CHECK(cond)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "  %s:%d (child): CHECK(%s)\n", __FILE__, __LINE__, #cond);      \
            child_failures++;                                                                \
        }                                                                                    \
    } while (0)

/* Simulate a container: unshare fails EPERM, clone3 ENOSYS (so glibc's
 * pthread_create and fork fall back to clone, as they do there), and
 * landlock_create_ruleset EPERM when deny_landlock. */
static bool deny_like_a_container(bool deny_landlock)
{
    char err[256];
    int eperm[] = {SYS_unshare, SYS_landlock_create_ruleset};
    int enosys[] = {SYS_clone3};
    if (!sandbox_seccomp_errno(eperm, deny_landlock ? 2 : 1, EPERM, err, sizeof err) ||
        !sandbox_seccomp_errno(enosys, 1, ENOSYS, err, sizeof err)) {
        fprintf(stderr, "  (child) sandbox_seccomp_errno: %s\n", err);
        return false;
    }
    return true;
}

static pvf_host *start_host(const char *cache, bool secure, char *err, size_t errlen)
{
    pvf_host_config cfg;
    test_host_config(&cfg, cache, NULL);
    cfg.secure_validator_mode = secure;
    return pvf_host_start(&cfg, err, errlen);
}

static void checks_under_filter(const char *root, bool deny_landlock)
{
    if (!deny_like_a_container(deny_landlock)) {
        child_failures++;
        return;
    }
    char err[512];
    pvf_security_status *found = pvf_security_check(WORKER_BIN, root, err, sizeof err), st = { 0 };
    CHILD_CHECK(found != NULL);
    if (found)
        st = *found;
    pvf_security_status_free(found);
    CHILD_CHECK(!st.userns_pivot_root.available && st.userns_pivot_root.detail[0]);
    CHILD_CHECK(!st.job_clone.available && st.job_clone.detail[0]);
    CHILD_CHECK(st.seccomp.available);
    CHILD_CHECK(st.landlock.available == !deny_landlock);
    CHILD_CHECK(deny_landlock ? st.landlock.detail[0] != 0 : st.landlock_abi > 0);
    CHILD_CHECK(st.secure_mode_ok == !deny_landlock);
    char why[1024], cache[512];
    const char *refusal = pvf_security_refusal(&st, why, sizeof why);
    CHILD_CHECK(deny_landlock ? refusal && strstr(refusal, "neither landlock") : refusal == NULL);

    snprintf(cache, sizeof cache, "%s/cache", root);
    pvf_host *h = start_host(cache, true, err, sizeof err);
    if (deny_landlock) {
        CHILD_CHECK(h == NULL);
        CHILD_CHECK(strstr(err, "secure validator mode") && strstr(err, "landlock") && strstr(err, "pivot_root"));
        pvf_host_stop(h);
        /* The insecure option starts anyway. */
        h = start_host(cache, false, err, sizeof err);
        if (!h)
            fprintf(stderr, "  (child) insecure pvf_host_start: %s\n", err);
        CHILD_CHECK(h != NULL);
    } else {
        if (!h)
            fprintf(stderr, "  (child) secure pvf_host_start: %s\n", err);
        CHILD_CHECK(h != NULL);     /* landlock is enough without pivot_root */
    }
    pvf_host_stop(h);
}

static void run_checks_child(bool deny_landlock, int line)
{
    char root[256];
    snprintf(root, sizeof root, "%s/pvf-e2e-checks-XXXXXX", tmp_base());
    if (!mkdtemp(root)) {
        test_fail(__FILE__, line, "mkdtemp: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        child_failures = 0;
        checks_under_filter(root, deny_landlock);
        _exit(child_failures ? 1 : 0);
    }
    int status = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        test_fail(__FILE__, line, "checks under a filter denying unshare/clone3%s: child status %#x",
                  deny_landlock ? "/landlock" : "", (unsigned)status);
    remove_tree(root);
}

TEST(sandbox_e2e_checks_without_namespaces)
{
    if (!need_layers("sandbox_e2e_checks_without_namespaces", NEED_LANDLOCK | NEED_SECCOMP))
        return;
    /* Positive control: the unfiltered checks find L1 and L4. */
    if (need_layers("sandbox_e2e_checks_without_namespaces", NEED_PIVOT | NEED_CLONE)) {
        const pvf_security_status *st = machine_layers();
        CHECK(st->userns_pivot_root.available && st->job_clone.available && st->secure_mode_ok);
    }
    run_checks_child(false, __LINE__);
    run_checks_child(true, __LINE__);
}

/*
 * test_pvfd.c — pvfd end to end through the C client (pvf/client.h): a real pvfd process
 * ($BUILD/bin/pvfd) with its real workers, on a socket and cache of the test's own.
 *
 *   the adder chain exact, precheck Valid / Invalid, status and metrics;
 *   a halting PVF Invalid by timeout, a cancel;
 *   a corrupted artifact re-prepared (approval retries at once);
 *   1,000 executions in flight at once from 8 connections, every answer right;
 *   faults: a bad hello, a malformed and an oversized frame (that connection closed, the others
 *   unaffected), a client leaving mid-request, a disallowed uid (as root), pvfd SIGKILLed and
 *   restarted (its workers gone, the cache kept), an execute worker SIGKILLed under load.
 */
#define _GNU_SOURCE
#include "test.h"

#include "pvf/client.h"
#include "pvf/version.h"
#include "runtime/validation.h"
#include "wire/protocol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define ADDER "pvf/kagome__pvf_hex_adder.wasm"

typedef struct dfix {
    test_workdir w;
    char sock[160], log[160], config[160], bin[96];
    pid_t pid;
} dfix;

static const char *build_dir(void)
{
    const char *b = getenv("BUILD");
    return b && *b ? b : "build";
}

/* Start pvfd with the fixture's socket, cache and log (plus extra arguments, NULL-ended) and
 * wait until it answers a connection. */
static bool dfix_launch(dfix *f, const char *const *extra)
{
    char *argv[32];
    int n = 0;
    char bin[128];
    snprintf(bin, sizeof bin, "%s/bin/pvfd", build_dir());
    argv[n++] = bin;
    argv[n++] = "--socket", argv[n++] = f->sock;
    argv[n++] = "--cache-dir", argv[n++] = f->w.cache;
    argv[n++] = "--workers-path", argv[n++] = f->bin;
    argv[n++] = "--log-file", argv[n++] = f->log;
    argv[n++] = "--config", argv[n++] = f->config;      /* never the machine's /etc/pvfd.conf */
    for (int i = 0; extra && extra[i] && n < 30; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    f->pid = fork();
    if (f->pid == 0) {
        execv(bin, argv);
        _exit(127);
    }
    for (uint64_t until = test_now_ms() + 15000; f->pid > 0 && test_now_ms() < until; usleep(20000)) {
        char err[256];
        pvf_client *c = pvf_client_connect(f->sock, "probe", err, sizeof err);
        if (c) {
            pvf_client_close(c);
            return true;
        }
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
            f->pid = 0;
            break;
        }
    }
    test_fail(__FILE__, __LINE__, "pvfd did not start (log %s)", f->log);
    return false;
}

static bool dfix_init(dfix *f, const char *const *extra)
{
    memset(f, 0, sizeof *f);
    if (!test_workdir_init(&f->w, "pvfd", true))
        return false;
    snprintf(f->sock, sizeof f->sock, "%s/pvfd.sock", f->w.root);
    snprintf(f->log, sizeof f->log, "%s/pvfd.log", f->w.root);
    snprintf(f->config, sizeof f->config, "%s/pvfd.conf", f->w.root);
    FILE *conf = fopen(f->config, "w");
    if (conf)
        fputs("# the test's own: nothing here\n", conf), fclose(conf);
    snprintf(f->bin, sizeof f->bin, "%s/bin", build_dir());
    return dfix_launch(f, extra);
}

/* SIGTERM and wait (5 s, then SIGKILL); the exit status, -1 when it had to be killed. */
static int dfix_stop(dfix *f)
{
    if (f->pid <= 0)
        return 0;
    kill(f->pid, SIGTERM);
    int st = 0;
    for (uint64_t until = test_now_ms() + 15000; test_now_ms() < until; usleep(10000))
        if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
            f->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
    kill(f->pid, SIGKILL);
    waitpid(f->pid, &st, 0);
    f->pid = 0;
    return -1;
}

static void dfix_done(dfix *f)
{
    CHECK_EQ_U64(dfix_stop(f), 0);
    struct stat st;
    CHECK(stat(f->sock, &st) != 0);     /* the socket file went with it */
    unlink(f->log);
    unlink(f->config);
    test_workdir_finish(&f->w);
}

static pvf_client *connect_or_fail(dfix *f, const char *name)
{
    char err[256];
    pvf_client *c = pvf_client_connect(f->sock, name, err, sizeof err);
    if (!c)
        test_fail(__FILE__, __LINE__, "connect: %s", err);
    return c;
}

/* An adder block's request (pointing into *params) and its expected result. */
typedef struct block {
    uint8_t *params, *expected;
    size_t params_len, expected_len;
} block;

static bool block_load(int n, block *b)
{
    char rel[96];
    snprintf(rel, sizeof rel, "inputs/adder/%03d.params.scale", n);
    b->params = test_read_data(rel, &b->params_len);
    snprintf(rel, sizeof rel, "inputs/adder/%03d.expected_result.scale", n);
    b->expected = test_read_data(rel, &b->expected_len);
    return b->params && b->expected;
}

static void block_free(block *b)
{
    free(b->params);
    free(b->expected);
}

static void block_request(const block *b, const uint8_t *code, size_t code_len, pvf_exec_request_kind kind,
                          pvf_execute_request *rq)
{
    pvf_execute_request_init(rq);
    char err[256];
    CHECK(pvf_execute_request_set_params(rq, b->params, b->params_len, err, sizeof err));
    rq->code = code;
    rq->code_len = code_len;
    rq->kind = kind;
}

static bool result_is(const pvf_execute_result *r, const block *b)
{
    return r && r->verdict == PVF_VERDICT_VALID && r->result_len == b->expected_len &&
           !memcmp(r->result, b->expected, b->expected_len);
}

/* The adder, its block n and a pvfd (with extra arguments): false, with nothing left to free,
 * when any is missing. */
static bool adder_setup(dfix *f, uint8_t **code, size_t *len, block *b, int n, const char *const *extra)
{
    memset(b, 0, sizeof *b);
    *code = test_read_data(ADDER, len);
    if (*code && block_load(n, b) && dfix_init(f, extra))
        return true;
    free(*code);
    block_free(b);
    return false;
}

/* ---------------------------------------------------------------- the happy paths */

TEST(pvfd_adder_chain_precheck_status_metrics)
{
    size_t len;
    uint8_t *code = test_read_data(ADDER, &len);
    dfix f;
    if (!code || !dfix_init(&f, NULL)) {
        free(code);
        return;
    }
    pvf_client *c = connect_or_fail(&f, "test");
    char err[256];
    pvf_precheck_result *pr = c ? pvf_client_precheck(c, code, len, NULL, err, sizeof err) : NULL;
    CHECK(pr && pr->outcome == PVF_PRECHECK_VALID);
    pvf_precheck_result_free(pr);
    static const uint8_t garbage[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0xff};
    pr = c ? pvf_client_precheck(c, garbage, sizeof garbage, NULL, err, sizeof err) : NULL;
    CHECK(pr && pr->outcome == PVF_PRECHECK_INVALID && pr->message[0]);
    pvf_precheck_result_free(pr);
    int blocks = 0;
    for (int n = 0; c && n < 1000; n++) {
        block b = {0};
        char rel[64];
        snprintf(rel, sizeof rel, "%s/inputs/adder/%03d.params.scale", test_data_dir(), n);
        if (access(rel, R_OK) != 0 || !block_load(n, &b)) {
            block_free(&b);
            break;
        }
        pvf_execute_request rq;
        block_request(&b, code, len, PVF_KIND_BACKING, &rq);
        pvf_execute_result *r = pvf_client_execute(c, &rq, err, sizeof err);
        CHECK(result_is(r, &b));
        if (!result_is(r, &b))
            test_fail(__FILE__, __LINE__, "block %d: %s %s: %s %s", n, r ? pvf_verdict_name(r->verdict) : "-",
                      r ? r->reason : "", r ? r->message : "", err);
        CHECK(r && r->execute_ns > 0 && r->attempts == 1);
        pvf_execute_result_free(r);
        block_free(&b);
        blocks++;
    }
    CHECK(blocks >= 2);
    printf("  [pvfd] %d adder blocks validated through pvfd\n", blocks);
    pvf_daemon_status *st = c ? pvf_client_status(c, err, sizeof err) : NULL;
    CHECK(st && st->connections == 1 && st->in_flight == 0 && st->secure_mode && !strcmp(st->pvf_version, pvf_version()));
    pvf_client_status_free(st);
    char *metrics = c ? pvf_client_metrics(c, err, sizeof err) : NULL;
    CHECK_STR_CONTAINS(metrics, "polkadot_pvf_execute_enqueued");
    free(metrics);
    pvf_heads_up_item item = {.code = code, .code_len = len};
    CHECK(c && pvf_client_heads_up(c, &item, 1, err, sizeof err));
    static const uint8_t leaf[32] = {1}, ancestor[1][32] = {{2}};
    CHECK(c && pvf_client_update_active_leaves(c, leaf, ancestor, 1, NULL, 0, err, sizeof err));
    pvf_client_close(c);
    dfix_done(&f);
    free(code);
}

TEST(pvfd_halt_times_out_and_cancel)
{
    size_t len;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    block b = {0};
    dfix f;
    if (!halt || !block_load(0, &b) || !dfix_init(&f, NULL)) {
        free(halt), block_free(&b);
        return;
    }
    pvf_client *c = connect_or_fail(&f, "test");
    char err[256];
    pvf_execute_request rq;
    block_request(&b, halt, len, PVF_KIND_APPROVAL, &rq);
    rq.timeout_ms = 300;
    pvf_execute_result *r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
    CHECK(r && r->verdict == PVF_VERDICT_INVALID && !strcmp(r->reason, "HardTimeout"));
    pvf_execute_result_free(r);
    /* cancelled: answered at once, not after the 5 s the halt would take */
    rq.timeout_ms = 5000;
    uint64_t t0 = test_now_ms();
    uint64_t id = c ? pvf_client_submit_execute(c, &rq, err, sizeof err) : 0;
    CHECK(id > 0 && pvf_client_cancel(c, id, err, sizeof err));
    pvf_completion *done = c ? pvf_client_next(c, 3000, err, sizeof err) : NULL;
    CHECK(done && done->id == id && done->execute && done->execute->verdict == PVF_VERDICT_INTERNAL &&
          !strcmp(done->execute->reason, "Cancelled"));
    CHECK(test_now_ms() - t0 < 2000);
    pvf_completion_free(done);
    CHECK(c && !pvf_client_cancel(c, 9999, err, sizeof err));
    CHECK_STR_CONTAINS(err, "no request 9999");
    pvf_client_close(c);
    dfix_done(&f);
    free(halt);
    block_free(&b);
}

/* The adder's artifact: the largest one in the cache (the only one of its size there). */
static bool largest_artifact(const char *cache, char *path, size_t size)
{
    DIR *d = opendir(cache);
    off_t best = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[512];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", cache, e->d_name);
        if (strstr(e->d_name, ".pvf") && stat(p, &st) == 0 && st.st_size > best) {
            best = st.st_size;
            snprintf(path, size, "%s", p);
        }
    }
    if (d)
        closedir(d);
    return best > 0;
}

TEST(pvfd_corrupted_artifact_reprepared)
{
    size_t len;
    uint8_t *code = test_read_data(ADDER, &len);
    block b0 = {0}, b1 = {0};
    dfix f;
    if (!code || !block_load(0, &b0) || !block_load(1, &b1) || !dfix_init(&f, NULL)) {
        free(code), block_free(&b0), block_free(&b1);
        return;
    }
    pvf_client *c = connect_or_fail(&f, "test");
    char err[256], path[512];
    pvf_execute_request rq;
    block_request(&b0, code, len, PVF_KIND_BACKING, &rq);
    pvf_execute_result *r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
    CHECK(result_is(r, &b0));
    pvf_execute_result_free(r);
    CHECK(largest_artifact(f.w.cache, path, sizeof path));
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "corrupted", 9, 4096) == 9);
    if (fd >= 0)
        close(fd);
    block_request(&b1, code, len, PVF_KIND_APPROVAL, &rq);
    r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
    CHECK(result_is(r, &b1));
    CHECK(r && r->attempts == 2 && r->preparations == 1);
    pvf_execute_result_free(r);
    pvf_client_close(c);
    dfix_done(&f);
    free(code);
    block_free(&b0), block_free(&b1);
}

/* ---------------------------------------------------------------- load */

#define CONNECTIONS 8
#define PER_CONNECTION 125

typedef struct burst {
    dfix *f;
    const uint8_t *code;
    size_t code_len;
    const block *b;
    int valid, answered;
    char failure[600];
} burst;

static void *burst_run(void *arg)
{
    burst *u = arg;
    char err[256];
    pvf_client *c = pvf_client_connect(u->f->sock, "burst", err, sizeof err);
    if (!c) {
        snprintf(u->failure, sizeof u->failure, "connect: %s", err);
        return NULL;
    }
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    pvf_execute_request_set_params(&rq, u->b->params, u->b->params_len, err, sizeof err);
    rq.code = u->code;
    rq.code_len = u->code_len;
    for (int i = 0; i < PER_CONNECTION; i++)
        if (!pvf_client_submit_execute(c, &rq, err, sizeof err)) {
            snprintf(u->failure, sizeof u->failure, "submit %d: %s", i, err);
            break;
        }
    while (u->answered < PER_CONNECTION) {
        pvf_completion *done = pvf_client_next(c, 60000, err, sizeof err);
        if (!done) {
            snprintf(u->failure, sizeof u->failure, "after %d answers: %s", u->answered, err[0] ? err : "timeout");
            break;
        }
        u->answered++;
        u->valid += result_is(done->execute, u->b);
        if (!result_is(done->execute, u->b) && !u->failure[0] && done->execute)
            snprintf(u->failure, sizeof u->failure, "%s %s: %s", pvf_verdict_name(done->execute->verdict),
                     done->execute->reason, done->execute->message);
        pvf_completion_free(done);
    }
    pvf_client_close(c);
    return NULL;
}

TEST(pvfd_thousand_in_flight_from_eight_connections)
{
    size_t len;
    uint8_t *code;
    block b;
    dfix f;
    static const char *const extra[] = {"--execute-workers", "2", NULL};
    if (!adder_setup(&f, &code, &len, &b, 0, extra))
        return;
    burst u[CONNECTIONS];
    pthread_t t[CONNECTIONS];
    uint64_t t0 = test_now_ms();
    for (int i = 0; i < CONNECTIONS; i++) {
        u[i] = (burst){.f = &f, .code = code, .code_len = len, .b = &b};
        CHECK(pthread_create(&t[i], NULL, burst_run, &u[i]) == 0);
    }
    int valid = 0, answered = 0;
    for (int i = 0; i < CONNECTIONS; i++) {
        pthread_join(t[i], NULL);
        valid += u[i].valid;
        answered += u[i].answered;
        if (u[i].failure[0])
            test_fail(__FILE__, __LINE__, "connection %d: %s", i, u[i].failure);
    }
    CHECK_EQ_U64(answered, CONNECTIONS * PER_CONNECTION);
    CHECK_EQ_U64(valid, CONNECTIONS * PER_CONNECTION);
    printf("  [pvfd] %d validations from %d connections in %llu ms\n", answered, CONNECTIONS,
           (unsigned long long)(test_now_ms() - t0));
    dfix_done(&f);
    free(code);
    block_free(&b);
}

/* ---------------------------------------------------------------- faults */

static int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_frame(int fd, uint64_t announced, const void *p, size_t n)
{
    uint8_t hdr[FRAME_HEADER_SIZE];
    frame_header_encode(announced, hdr);
    CHECK(write(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr);
    CHECK(!n || write(fd, p, n) == (ssize_t)n);
}

/* Whether pvfd closed fd within 5 s (reading and dropping whatever it sent first). */
static bool closed_by_peer(int fd)
{
    uint8_t buf[4096];
    for (uint64_t until = test_now_ms() + 5000; test_now_ms() < until;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno == ECONNRESET))
                return true;
        }
    }
    return false;
}

static void hello(int fd)
{
    static const uint8_t h[] = {'p', 'v', 'f', 'd', 1, 0, 0, 0, 4 << 2, 'r', 'a', 'w', '!'};
    send_frame(fd, sizeof h, h, sizeof h);
}

TEST(pvfd_bad_frames_close_only_their_connection)
{
    dfix f;
    if (!dfix_init(&f, NULL))
        return;
    pvf_client *good = connect_or_fail(&f, "bystander");
    char err[256];
    /* a hello that is not one: refused and closed */
    int fd = raw_connect(f.sock);
    send_frame(fd, 5, "hello", 5);
    CHECK(closed_by_peer(fd));
    close(fd);
    /* a request that does not decode after a good hello */
    fd = raw_connect(f.sock);
    hello(fd);
    static const uint8_t bad[] = {1, 0, 0, 0, 0, 0, 0, 0, 99};   /* id 1, kind 99 */
    send_frame(fd, sizeof bad, bad, sizeof bad);
    CHECK(closed_by_peer(fd));
    close(fd);
    /* a frame announcing 1 GiB */
    fd = raw_connect(f.sock);
    hello(fd);
    send_frame(fd, 1ull << 30, NULL, 0);
    CHECK(closed_by_peer(fd));
    close(fd);
    /* a client leaving with a request in flight: pvfd carries on */
    size_t len;
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &len);
    pvf_client *leaver = connect_or_fail(&f, "leaver");
    if (halt && leaver) {
        pvf_execute_request rq;
        pvf_execute_request_init(&rq);
        rq.code = halt;
        rq.code_len = len;
        rq.timeout_ms = 500;
        CHECK(pvf_client_submit_execute(leaver, &rq, err, sizeof err) > 0);
    }
    pvf_client_close(leaver);
    free(halt);
    /* the bystander never noticed */
    pvf_daemon_status *st = good ? pvf_client_status(good, err, sizeof err) : NULL;
    CHECK(st && st->connections >= 1 && st->in_flight == 0);
    pvf_client_status_free(st);
    pvf_client_close(good);
    dfix_done(&f);
}

TEST(pvfd_refuses_a_disallowed_uid)
{
    if (geteuid() != 0) {
        printf("  SKIP pvfd_refuses_a_disallowed_uid: needs root to connect as another uid\n");
        return;
    }
    dfix f;
    static const char *const extra[] = {"--socket-mode", "0666", "--allow-uid", "65533", NULL};
    if (!dfix_init(&f, extra))
        return;
    chmod(f.w.root, 0755);
    for (int round = 0; round < 2; round++) {
        uid_t uid = round == 0 ? 65534 : 65533;     /* nobody: refused; 65533: listed */
        pid_t pid = fork();
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(uid) != 0)
                _exit(3);
            char err[256];
            pvf_client *c = pvf_client_connect(f.sock, "other uid", err, sizeof err);
            if (c) {
                pvf_client_close(c);
                _exit(0);
            }
            if (strstr(err, "refused") && strstr(err, "is not allowed"))
                _exit(1);
            fprintf(stderr, "  uid %u: %s\n", (unsigned)uid, err);
            _exit(2);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (round == 0 ? 1 : 0));
        if (!WIFEXITED(st) || WEXITSTATUS(st) != (round == 0 ? 1 : 0))
            test_fail(__FILE__, __LINE__, "uid %u: status %d (log %s)", (unsigned)uid, st, f.log);
    }
    dfix_done(&f);
}

/* The pids whose parent is ppid. */
static int children_of(pid_t ppid, pid_t *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *fp = fopen(path, "r");
        while (fp && fgets(line, sizeof line, fp))
            if (!strncmp(line, "PPid:", 5) && atoi(line + 5) == ppid)
                out[n++] = atoi(e->d_name);
        if (fp)
            fclose(fp);
    }
    if (d)
        closedir(d);
    return n;
}

TEST(pvfd_sigkill_and_restart_keep_the_cache)
{
    size_t len;
    uint8_t *code;
    block b;
    dfix f;
    if (!adder_setup(&f, &code, &len, &b, 0, NULL))
        return;
    pvf_client *c = connect_or_fail(&f, "test");
    char err[256];
    pvf_execute_request rq;
    block_request(&b, code, len, PVF_KIND_BACKING, &rq);
    pvf_execute_result *r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
    CHECK(result_is(r, &b) && r->preparations == 1);
    pvf_execute_result_free(r);
    pid_t kids[16];
    int n = children_of(f.pid, kids, 16);
    CHECK(n >= 2);      /* a prepare and an execute worker */
    kill(f.pid, SIGKILL);
    waitpid(f.pid, NULL, 0);
    f.pid = 0;
    r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
    CHECK(r == NULL && err[0]);     /* the client sees the connection go */
    pvf_client_close(c);
    for (int i = 0; i < n; i++) {
        uint64_t until = test_now_ms() + 5000;
        while (kill(kids[i], 0) == 0 && test_now_ms() < until)
            usleep(10000);
        if (kill(kids[i], 0) == 0)
            test_fail(__FILE__, __LINE__, "worker %d outlived its pvfd", (int)kids[i]);
    }
    /* a new pvfd on the same socket path and cache: the artifact is still prepared */
    if (dfix_launch(&f, NULL)) {
        c = connect_or_fail(&f, "test");
        r = c ? pvf_client_execute(c, &rq, err, sizeof err) : NULL;
        CHECK(result_is(r, &b));
        CHECK(r && r->preparations == 0);
        pvf_execute_result_free(r);
        pvf_client_close(c);
    }
    dfix_done(&f);
    free(code);
    block_free(&b);
}

TEST(pvfd_execute_worker_killed_under_load)
{
    size_t len;
    uint8_t *code;
    block b;
    dfix f;
    if (!adder_setup(&f, &code, &len, &b, 0, NULL))
        return;
    pvf_client *c = connect_or_fail(&f, "test");
    char err[256];
    pvf_execute_request rq;
    block_request(&b, code, len, PVF_KIND_APPROVAL, &rq);
    int sent = 0, answered = 0, valid = 0, killed = 0;
    for (; c && sent < 200; sent++)
        CHECK(pvf_client_submit_execute(c, &rq, err, sizeof err) > 0);
    while (c && answered < sent) {
        pvf_completion *done = pvf_client_next(c, 60000, err, sizeof err);
        if (!done) {
            char cmd[400];
            snprintf(cmd, sizeof cmd, "cp %s /tmp/pvfd-killed-under-load.log", f.log);
            test_fail(__FILE__, __LINE__, "after %d answers: %s (log kept: %d)", answered, err[0] ? err : "60 s without one",
                      system(cmd));
            break;
        }
        answered++;
        valid += result_is(done->execute, &b);
        if (!result_is(done->execute, &b) && done->execute)
            test_fail(__FILE__, __LINE__, "request %llu: %s %s: %s (attempts %u)", (unsigned long long)done->id,
                      pvf_verdict_name(done->execute->verdict), done->execute->reason, done->execute->message,
                      done->execute->attempts);
        pvf_completion_free(done);
        if (answered == 20) {       /* the execute workers, mid-burst */
            pid_t kids[16];
            int n = children_of(f.pid, kids, 16);
            for (int i = 0; i < n; i++) {
                char path[64], comm[64] = "";
                snprintf(path, sizeof path, "/proc/%d/comm", (int)kids[i]);
                FILE *fp = fopen(path, "r");
                if (fp && fgets(comm, sizeof comm, fp) && strstr(comm, "execute"))
                    killed += kill(kids[i], SIGKILL) == 0;
                if (fp)
                    fclose(fp);
            }
        }
    }
    CHECK(killed >= 1);
    CHECK_EQ_U64(answered, sent);
    CHECK_EQ_U64(valid, sent);      /* approval: a worker's death is retried */
    pvf_client_close(c);
    dfix_done(&f);
    free(code);
    block_free(&b);
}

/*
 * test_worker_log.c — src/host/worker_log.c: what a worker (or a hijacked one) writes to its
 * stderr reaches the host's log only tagged with its pid, escaped, cut and rate-limited
 * (issue 13, finding 1). The "worker" here is the test itself, writing into the pipe the way a
 * worker's fd 2 does.
 */
#define _GNU_SOURCE
#include "test.h"

#include "host/worker_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run `write_fn` against a fresh log with one source (pid 4242); the log file's text in buf. */
static bool run_log(void (*write_fn)(int fd), char *buf, size_t size, unsigned long long *dropped)
{
    char path[] = "/tmp/pvf-wlog-XXXXXX";
    int tmp = mkstemp(path);
    if (tmp < 0)
        return false;
    close(tmp);
    char err[256];
    wlog *l = wlog_start(path, NULL, NULL, err, sizeof err);
    int p[2];
    if (!l || pipe2(p, O_CLOEXEC) != 0) {
        test_fail(__FILE__, __LINE__, "wlog_start / pipe: %s", err);
        wlog_stop(l);
        unlink(path);
        return false;
    }
    wlog_add(l, p[0], "execute", 4242);
    write_fn(p[1]);
    close(p[1]);
    *dropped = wlog_stop(l);    /* reads the pipe to its end first */
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
    unlink(path);
    return true;
}

static void write_hostile(int fd)
{
    /* a terminal escape, a forged verdict on its own line, a carriage return, no final newline */
    static const char text[] = "\x1b[2Jcleared\n{\"outcome\":\"valid\"}\rX\nlast words";
    (void)!write(fd, text, sizeof text - 1);
}

TEST(worker_log_tags_and_escapes_every_line)
{
    char buf[4096];
    unsigned long long dropped;
    if (!run_log(write_hostile, buf, sizeof buf, &dropped))
        return;
    CHECK_STR_EQ(buf, "pvf execute worker 4242: \\x1b[2Jcleared\n"
                      "pvf execute worker 4242: {\"outcome\":\"valid\"}\\x0dX\n"
                      "pvf execute worker 4242: last words\n");
}

static void write_long_line(int fd)
{
    char line[3 * WORKER_LOG_LINE_MAX];
    memset(line, 'a', sizeof line);
    line[sizeof line - 1] = '\n';
    (void)!write(fd, line, sizeof line);
    (void)!write(fd, "next\n", 5);
}

TEST(worker_log_cuts_long_lines)
{
    static char buf[8 * WORKER_LOG_LINE_MAX];
    unsigned long long dropped;
    if (!run_log(write_long_line, buf, sizeof buf, &dropped))
        return;
    const char *cut = strstr(buf, " [line cut]\n");
    CHECK(cut != NULL);
    /* the tag, then exactly WORKER_LOG_LINE_MAX bytes of the line */
    CHECK_EQ_U64((uint64_t)(cut - buf), strlen("pvf execute worker 4242: ") + WORKER_LOG_LINE_MAX);
    CHECK_STR_CONTAINS(buf, "\npvf execute worker 4242: next\n");
}

/* Many more lines than the burst, at once (a pipe holds 64 KiB: written from a child). */
static void write_flood(int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 5 * WORKER_LOG_BURST; i++)
            dprintf(fd, "line %d\n", i);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

TEST(worker_log_rate_limits_a_flood)
{
    static char buf[64 * 1024];
    unsigned long long dropped;
    if (!run_log(write_flood, buf, sizeof buf, &dropped))
        return;
    int lines = 0;
    for (const char *p = buf; (p = strchr(p, '\n')); p++)
        lines++;
    /* the burst (a few more may have been refilled while it ran), then one notice of the rest */
    CHECK(lines >= WORKER_LOG_BURST && lines <= WORKER_LOG_BURST + 20);
    CHECK_STR_CONTAINS(buf, "pvf execute worker 4242: line 0\n");
    CHECK_STR_CONTAINS(buf, "lines dropped: more than 20 a second)");
    CHECK(dropped >= 4 * WORKER_LOG_BURST - 20);
}

/* Issue 15: without a log file the lines go to the program's log callback, as warnings, one call
 * per line with no newline; without either they go nowhere (the library never writes to stderr). */
TEST(worker_log_to_the_callback)
{
    test_log c = TEST_LOG_INIT(NULL);
    char err[256];
    wlog *l = wlog_start(NULL, test_log_keep, &c, err, sizeof err);
    int p[2];
    CHECK(l != NULL && pipe2(p, O_CLOEXEC) == 0);
    if (!l)
        return;
    wlog_add(l, p[0], "prepare", 77);
    write_hostile(p[1]);
    close(p[1]);
    wlog_stop(l);
    CHECK_EQ_U64(c.calls, 3);
    CHECK_EQ_U64(c.at_level[PVF_LOG_WARNING], 3);
    CHECK_STR_EQ(c.text, "pvf prepare worker 77: \\x1b[2Jcleared\n"
                         "pvf prepare worker 77: {\"outcome\":\"valid\"}\\x0dX\n"
                         "pvf prepare worker 77: last words\n");
}

TEST(worker_log_nowhere_writes_nothing)
{
    /* our stderr becomes a pipe for the while: nothing may arrive on it */
    int p[2], saved = dup(2);
    CHECK(saved >= 0 && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    if (saved < 0)
        return;
    dup2(p[1], 2);
    char err[256];
    wlog *l = wlog_start(NULL, NULL, NULL, err, sizeof err);
    int q[2];
    if (l && pipe2(q, O_CLOEXEC) == 0) {
        wlog_add(l, q[0], "execute", 5);
        write_hostile(q[1]);
        close(q[1]);
    }
    wlog_stop(l);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    char buf[64];
    ssize_t n = read(p[0], buf, sizeof buf);
    close(p[0]);
    CHECK(l != NULL);
    CHECK(n <= 0);
}

/*
 * test_sandbox_fs.c — tests of sandbox layers L0 (hygiene), L1 (pivot into
 * the worker dir), L4 (the job's namespaces) and L6 (the job's limits and
 * capabilities); sandbox.h, sandbox-notes §4.6.
 *
 * Every restricted action runs in a forked child (the test process itself is
 * never restricted); the child checks a specific errno or outcome, next to a
 * positive control showing the same action works without the layer, and
 * reports through its exit status (0 passed, 1 failed with a message on
 * stderr). A layer the machine lacks (no user namespaces) is a SKIP, or a
 * failure when PVF_REQUIRE_ALL_LAYERS=1 (CI).
 *
 * Facts recorded here for the lead: a job that is pid 1 of its own PID
 * namespace survives raise(SIGSYS) (sandbox_job_namespaces), and a write past
 * RLIMIT_FSIZE kills with SIGXFSZ unless the job ignores it
 * (sandbox_job_restrict_plain). The [sandbox] lines are medians of 200 runs.
 */
#define _GNU_SOURCE
#include "test.h"
#include "worker/sandbox.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_PASSED 0
#define CHILD_FAILED 1
#define BENCH_RUNS 200

static const char artifact_text[] = "pvf artifact bytes\n";

/* ------------------------------------------------------------ helpers */

/* A failed expectation inside a child: say which, with errno, and exit 1. */
#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            int e_ = errno;                                                            \
            fprintf(stderr, "  child %s:%d: EXPECT(%s) (errno: %s)\n", __FILE__, __LINE__, \
                    #cond, strerror(e_));                                              \
            _exit(CHILD_FAILED);                                                       \
        }                                                                              \
    } while (0)

/* A sandbox call inside a child that must succeed: print its message if not. */
#define EXPECT_OK(call, err)                                                           \
    do {                                                                               \
        if (!(call)) {                                                                 \
            fprintf(stderr, "  child %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, err); \
            _exit(CHILD_FAILED);                                                       \
        }                                                                              \
    } while (0)

static bool layers_required(void)
{
    const char *v = getenv("PVF_REQUIRE_ALL_LAYERS");
    return v && strcmp(v, "1") == 0;
}

static void layer_unavailable(const char *test, const char *why)
{
    if (layers_required())
        test_fail(__FILE__, __LINE__, "%s: layer unavailable and PVF_REQUIRE_ALL_LAYERS=1: %s", test, why);
    else
        fprintf(stderr, "  SKIP %s: %s\n", test, why);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_doubles);
    return v[n / 2];
}

/* Run fn in a forked child; returns its wait status (or -1 if fork failed). */
static int run_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn(arg));
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static void check_child_passed(int status, const char *what)
{
    if (status == -1)
        test_fail(__FILE__, __LINE__, "%s: fork/waitpid failed: %s", what, strerror(errno));
    else if (WIFSIGNALED(status))
        test_fail(__FILE__, __LINE__, "%s: child killed by signal %d", what, WTERMSIG(status));
    else if (WEXITSTATUS(status) != CHILD_PASSED)
        test_fail(__FILE__, __LINE__, "%s: child exited %d", what, WEXITSTATUS(status));
}

/* clone3 in fork mode (no new stack), as job.c does. */
static pid_t clone3_fork(uint64_t flags)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = flags;
    ca.exit_signal = SIGCHLD;
    return (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
}

/* A job: fn runs in a clone3 child with `flags`; its wait status, -1 on error. */
static int run_job(uint64_t flags, int (*fn)(void))
{
    fflush(NULL);
    pid_t pid = clone3_fork(flags);
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(fn());
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

/* Whether this process may create a user + mount namespace (the L1 layer);
 * the reason in why when not. Asked once, in a child. */
static bool userns_available(char *why, size_t whylen)
{
    static int known = -1;
    static int saved_errno;
    if (known < 0) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : errno);
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            known = 0;
            saved_errno = errno;
        } else {
            known = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            saved_errno = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
        }
    }
    if (!known)
        snprintf(why, whylen, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(saved_errno));
    return known;
}

/* A private temp dir under $TMPDIR (or /tmp) holding `artifact`. */
static bool make_worker_dir(char *dir, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/pvf-sandbox-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp %s: %s", dir, strerror(errno));
        return false;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/artifact", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(artifact_text, f) < 0 || fclose(f) != 0) {
        test_fail(__FILE__, __LINE__, "write %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Remove the (flat) temp dir and the files in it. */
static void remove_worker_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0)
        test_fail(__FILE__, __LINE__, "rmdir %s: %s", dir, strerror(errno));
}

/* The worker dir for the children below (set before each fork). */
static char worker_dir[256];

/* ------------------------------------------------------------ L1 pivot */

static int pivot_read_only_child(void *arg)
{
    (void)arg;
    char err[512];
    /* Controls: the host's files are visible and the dir is an ordinary one. */
    EXPECT(access("/etc/passwd", F_OK) == 0);

    /* The worker's order: L0 first. Not dumpable then, which makes the id
     * map files root's: the pivot must cope (EACCES for a plain user). */
    EXPECT_OK(sandbox_hygiene(getppid(), NULL, 0, err, sizeof err), err);
    EXPECT_OK(sandbox_pivot_into(worker_dir, true, err, sizeof err), err);
    EXPECT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);

    EXPECT(access("/etc/passwd", F_OK) == -1 && errno == ENOENT);
    int fd = open("/artifact", O_RDONLY | O_CLOEXEC);
    EXPECT(fd >= 0);
    char buf[64] = { 0 };
    EXPECT(read(fd, buf, sizeof buf - 1) == (ssize_t)strlen(artifact_text));
    EXPECT(strcmp(buf, artifact_text) == 0);
    close(fd);

    errno = 0;
    EXPECT(open("/newfile", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) == -1 && errno == EROFS);
    EXPECT(open("/artifact", O_WRONLY | O_CLOEXEC) == -1 && errno == EROFS);

    struct statvfs st;
    EXPECT(statvfs("/", &st) == 0);
    EXPECT(st.f_flag & ST_RDONLY);
    EXPECT(st.f_flag & ST_NOSUID);
    EXPECT(st.f_flag & ST_NODEV);
    EXPECT(st.f_flag & ST_NOEXEC);

    char cwd[64];
    EXPECT(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
    EXPECT(chdir("..") == 0);
    EXPECT(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
    EXPECT(chdir("/../..") == 0);
    EXPECT(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
    return CHILD_PASSED;
}

TEST(sandbox_pivot_read_only)
{
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_pivot_read_only", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    check_child_passed(run_child(pivot_read_only_child, NULL), "read-only pivot");
    /* The probe file of the read-only check must not have been left behind. */
    CHECK(test_count_entries(worker_dir, NULL) == 1);
    remove_worker_dir(worker_dir);
}

static int pivot_writable_child(void *arg)
{
    (void)arg;
    char err[512];
    EXPECT_OK(sandbox_pivot_into(worker_dir, false, err, sizeof err), err);

    EXPECT(access("/etc/passwd", F_OK) == -1 && errno == ENOENT);
    int fd = open("/newfile", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    EXPECT(fd >= 0);
    EXPECT(write(fd, "written inside\n", 15) == 15);
    EXPECT(close(fd) == 0);

    struct statvfs st;
    EXPECT(statvfs("/", &st) == 0);
    EXPECT(!(st.f_flag & ST_RDONLY));
    EXPECT(st.f_flag & ST_NOEXEC);
    return CHILD_PASSED;
}

TEST(sandbox_pivot_writable)
{
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_pivot_writable", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    check_child_passed(run_child(pivot_writable_child, NULL), "writable pivot");

    /* Seen from the host: the file is in the worker dir, owned by our uid
     * (the identity map). */
    char path[512];
    snprintf(path, sizeof path, "%s/newfile", worker_dir);
    size_t len = 0;
    uint8_t *data = test_read_file(path, &len);
    CHECK(data != NULL);
    CHECK(data && len == 15 && memcmp(data, "written inside\n", 15) == 0);
    free(data);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_U64(st.st_uid, getuid());
    CHECK_EQ_U64(st.st_gid, getgid());
    remove_worker_dir(worker_dir);
}

static void *block_on_pipe(void *arg)
{
    char c;
    (void)!read(*(int *)arg, &c, 1);
    return NULL;
}

static int count_threads(void)
{
    return test_count_entries("/proc/self/task", NULL);
}

static int pivot_threaded_child(void *arg)
{
    (void)arg;
    char err[512];
    int p[2];
    EXPECT(pipe(p) == 0);
    pthread_t t;
    EXPECT(pthread_create(&t, NULL, block_on_pipe, &p[0]) == 0);

    EXPECT(!sandbox_pivot_into(worker_dir, true, err, sizeof err));
    if (!strstr(err, "single-threaded")) {
        fprintf(stderr, "  child: unclear error for a threaded caller: %s\n", err);
        return CHILD_FAILED;
    }

    /* Control: once the thread is gone (the kernel's view, not just the join)
     * the same call works. */
    close(p[1]);
    EXPECT(pthread_join(t, NULL) == 0);
    for (int i = 0; i < 1000 && count_threads() != 1; i++)
        usleep(1000);
    EXPECT(count_threads() == 1);
    EXPECT_OK(sandbox_pivot_into(worker_dir, true, err, sizeof err), err);
    return CHILD_PASSED;
}

TEST(sandbox_pivot_threaded_caller)
{
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_pivot_threaded_caller", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    check_child_passed(run_child(pivot_threaded_child, NULL), "pivot from a threaded process");
    remove_worker_dir(worker_dir);
}

static int pivot_bench_child(void *arg)
{
    int fd = *(int *)arg;
    char err[512];
    double t0 = now_us();
    bool ok = sandbox_pivot_into(worker_dir, true, err, sizeof err);
    double us = ok ? now_us() - t0 : -1;
    if (!ok)
        fprintf(stderr, "  child: %s\n", err);
    return write(fd, &us, sizeof us) == sizeof us && ok ? CHILD_PASSED : CHILD_FAILED;
}

TEST(sandbox_pivot_bench)
{
    if (test_landlock_capped())
        return;     /* the landlock matrix measures nothing */
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_pivot_bench", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    int p[2];
    CHECK(pipe(p) == 0);
    static double us[BENCH_RUNS];
    int n = 0;
    for (int i = 0; i < BENCH_RUNS; i++) {
        int status = run_child(pivot_bench_child, &p[1]);
        double v;
        if (status != 0 || read(p[0], &v, sizeof v) != sizeof v) {
            check_child_passed(status, "pivot bench");
            break;
        }
        us[n++] = v;
    }
    close(p[0]);
    close(p[1]);
    CHECK(n == BENCH_RUNS);
    if (n == BENCH_RUNS)
        printf("[sandbox] sandbox_pivot_into read-only, fresh forked child: %.0f us (median of %d, uid %u)\n",
               median(us, n), n, (unsigned)getuid());
    remove_worker_dir(worker_dir);
}

/* ------------------------------------------------------------ L0 hygiene */

static int leaked_fd = -1;

static int hygiene_fds_child(void *arg)
{
    (void)arg;
    char err[512];
    int p[2];
    EXPECT(pipe(p) == 0);
    /* Leaked fds around and between the kept ones: 10, 12, 40 and the
     * parent's; kept: 11 (the pipe's write end) and 13 (its read end), given
     * out of order, one twice. */
    EXPECT(dup2(p[0], 10) == 10 && dup2(p[1], 11) == 11 && dup2(p[1], 12) == 12);
    EXPECT(dup2(p[0], 13) == 13 && dup2(p[1], 40) == 40);
    EXPECT(fcntl(leaked_fd, F_GETFD) >= 0 && fcntl(10, F_GETFD) >= 0);  /* control */

    int keep[] = { 13, 11, 11, 1 };
    EXPECT_OK(sandbox_hygiene(getppid(), keep, 4, err, sizeof err), err);

    EXPECT(fcntl(leaked_fd, F_GETFD) == -1 && errno == EBADF);
    EXPECT(fcntl(10, F_GETFD) == -1 && errno == EBADF);
    EXPECT(fcntl(12, F_GETFD) == -1 && errno == EBADF);
    EXPECT(fcntl(40, F_GETFD) == -1 && errno == EBADF);
    EXPECT(fcntl(p[0], F_GETFD) == -1 && errno == EBADF);
    char c = 0;
    EXPECT(write(11, "a", 1) == 1);
    EXPECT(read(13, &c, 1) == 1 && c == 'a');
    EXPECT(fcntl(2, F_GETFD) >= 0);  /* 0..2 are never closed */
    return CHILD_PASSED;
}

TEST(sandbox_hygiene_closes_fds)
{
    leaked_fd = open("/dev/null", O_RDONLY);  /* no O_CLOEXEC: a leak */
    CHECK(leaked_fd >= 3);
    check_child_passed(run_child(hygiene_fds_child, NULL), "hygiene fds");
    close(leaked_fd);
}

static int hygiene_flags_child(void *arg)
{
    (void)arg;
    char err[512];
    /* Controls: a fresh child is dumpable, may gain privileges, and (when
     * the hard limit allows) may dump core. */
    EXPECT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1);
    EXPECT(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
    struct rlimit rl;
    EXPECT(getrlimit(RLIMIT_CORE, &rl) == 0);
    bool core_control = rl.rlim_max > 0;
    if (core_control) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        EXPECT(setrlimit(RLIMIT_CORE, &rl) == 0);
    }

    EXPECT_OK(sandbox_hygiene(getppid(), NULL, 0, err, sizeof err), err);

    EXPECT(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
    EXPECT(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    EXPECT(getrlimit(RLIMIT_CORE, &rl) == 0);
    EXPECT(rl.rlim_cur == 0 && rl.rlim_max == 0);
    int sig = -1;
    EXPECT(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0 && sig == SIGKILL);
    return CHILD_PASSED;
}

static int hygiene_wrong_parent_child(void *arg)
{
    (void)arg;
    char err[512];
    /* Our own pid is never our parent: as if the parent had died before. */
    EXPECT(!sandbox_hygiene(getpid(), NULL, 0, err, sizeof err));
    if (!strstr(err, "getppid")) {
        fprintf(stderr, "  child: unexpected error: %s\n", err);
        return CHILD_FAILED;
    }
    return CHILD_PASSED;
}

TEST(sandbox_hygiene_process_flags)
{
    check_child_passed(run_child(hygiene_flags_child, NULL), "hygiene flags");
    check_child_passed(run_child(hygiene_wrong_parent_child, NULL), "hygiene with a wrong parent");
}

/* PDEATHSIG: a grandchild G1 applies hygiene, a grandchild G2 does not; the
 * middle process M is SIGKILLed. This child is a subreaper, so both
 * grandchildren become its children and it can wait for them. */
struct grandchild_report { int with_hygiene; pid_t pid; };

static void grandchild(int fd, bool with_hygiene)
{
    char err[512];
    if (with_hygiene && !sandbox_hygiene(getppid(), &fd, 1, err, sizeof err)) {
        fprintf(stderr, "  grandchild: %s\n", err);
        _exit(CHILD_FAILED);
    }
    struct grandchild_report r = { with_hygiene, getpid() };
    if (write(fd, &r, sizeof r) != sizeof r)
        _exit(CHILD_FAILED);
    for (;;)
        pause();
}

static int pdeathsig_child(void *arg)
{
    (void)arg;
    EXPECT(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    int p[2];
    EXPECT(pipe(p) == 0);
    pid_t middle = fork();
    EXPECT(middle >= 0);
    if (middle == 0) {
        if (fork() == 0)
            grandchild(p[1], true);
        if (fork() == 0)
            grandchild(p[1], false);
        for (;;)
            pause();
    }
    close(p[1]);
    pid_t with = -1, without = -1;
    for (int i = 0; i < 2; i++) {
        struct pollfd pfd = { p[0], POLLIN, 0 };
        struct grandchild_report r;
        if (poll(&pfd, 1, 5000) != 1 || read(p[0], &r, sizeof r) != sizeof r) {
            fprintf(stderr, "  child: no report from the grandchildren\n");
            kill(middle, SIGKILL);
            return CHILD_FAILED;
        }
        *(r.with_hygiene ? &with : &without) = r.pid;
    }
    EXPECT(kill(middle, SIGKILL) == 0);
    int status;
    EXPECT(waitpid(middle, &status, 0) == middle);

    /* G1 must be gone within 1 s, killed by SIGKILL. */
    double t0 = now_us();
    pid_t got = 0;
    while (got == 0 && now_us() - t0 < 1e6) {
        got = waitpid(with, &status, WNOHANG);
        if (got == 0)
            usleep(1000);
    }
    bool g1_ok = got == with && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    /* Control: G2, without hygiene, outlived its parent. */
    bool g2_alive = waitpid(without, &status, WNOHANG) == 0;
    kill(without, SIGKILL);
    waitpid(without, &status, 0);
    if (got == 0) {
        kill(with, SIGKILL);
        waitpid(with, &status, 0);
    }
    EXPECT(g1_ok);
    EXPECT(g2_alive);
    return CHILD_PASSED;
}

TEST(sandbox_hygiene_pdeathsig)
{
    check_child_passed(run_child(pdeathsig_child, NULL), "PDEATHSIG");
}

static int env_child(void *arg)
{
    (void)arg;
    EXPECT(setenv("FOO", "bar", 1) == 0);
    EXPECT(!sandbox_env_is_empty());
    EXPECT(clearenv() == 0);
    EXPECT(sandbox_env_is_empty());
    static char *no_vars[] = { NULL };
    environ = no_vars;  /* what execve with envp = {NULL} gives */
    EXPECT(sandbox_env_is_empty());
    EXPECT(setenv("FOO", "bar", 1) == 0);
    EXPECT(!sandbox_env_is_empty());
    return CHILD_PASSED;
}

TEST(sandbox_hygiene_env_is_empty)
{
    check_child_passed(run_child(env_child, NULL), "environment");
}

/* ------------------------------------------------------------ L4 job namespaces */

static uint16_t listener_port;
static key_t shm_key;

TEST(sandbox_job_clone_flags_values)
{
    uint64_t base = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP;
    CHECK_EQ_U64(sandbox_job_clone_flags(true, false), base);
    CHECK_EQ_U64(sandbox_job_clone_flags(false, false), base | CLONE_NEWUSER);
    CHECK_EQ_U64(sandbox_job_clone_flags(true, true), CLONE_NEWPID);
    CHECK_EQ_U64(sandbox_job_clone_flags(false, true), CLONE_NEWPID | CLONE_NEWUSER);
}

static int job_pid(void)
{
    return getpid() == 1 ? 0 : 1;
}

enum { CONNECTED = 10, NET_UNREACHABLE, CONN_REFUSED, CONNECT_OTHER,
       SHM_VISIBLE = 20, SHM_ABSENT, SHM_OTHER, JOB_SURVIVED_SIGSYS = 42 };

static int job_connect(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return CONNECT_OTHER;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(listener_port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
        return CONNECTED;
    return errno == ENETUNREACH ? NET_UNREACHABLE : errno == ECONNREFUSED ? CONN_REFUSED : CONNECT_OTHER;
}

static int job_shm(void)
{
    if (shmget(shm_key, 0, 0) >= 0)
        return SHM_VISIBLE;
    return errno == ENOENT ? SHM_ABSENT : SHM_OTHER;
}

static int job_raise_sigsys(void)
{
    raise(SIGSYS);
    return JOB_SURVIVED_SIGSYS;
}

static bool exited_with(int status, int code)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int job_namespaces_child(void *arg)
{
    (void)arg;
    char err[512];
    /* No core files from the control's SIGSYS. */
    EXPECT(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    EXPECT_OK(sandbox_pivot_into(worker_dir, true, err, sizeof err), err);
    uint64_t l4 = sandbox_job_clone_flags(true, false);

    EXPECT(exited_with(run_job(l4, job_pid), 0));
    EXPECT(exited_with(run_job(0, job_pid), 1));  /* control */

    int st = run_job(l4, job_connect);
    EXPECT(exited_with(st, NET_UNREACHABLE) || exited_with(st, CONN_REFUSED));
    EXPECT(exited_with(run_job(l4 & ~(uint64_t)CLONE_NEWNET, job_connect), CONNECTED));

    EXPECT(exited_with(run_job(l4, job_shm), SHM_ABSENT));
    EXPECT(exited_with(run_job(l4 & ~(uint64_t)CLONE_NEWIPC, job_shm), SHM_VISIBLE));

    /* pid 1 ignores a self-sent SIGSYS; without NEWPID it kills. */
    EXPECT(exited_with(run_job(l4, job_raise_sigsys), JOB_SURVIVED_SIGSYS));
    st = run_job(l4 & ~(uint64_t)CLONE_NEWPID, job_raise_sigsys);
    EXPECT(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
    return CHILD_PASSED;
}

/* Without L1 the flags must carry their own user namespace, so that an
 * unprivileged worker can use them too. */
static int job_without_pivot_child(void *arg)
{
    (void)arg;
    EXPECT(exited_with(run_job(sandbox_job_clone_flags(false, false), job_pid), 0));
    return CHILD_PASSED;
}

static int open_listener(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        test_fail(__FILE__, __LINE__, "listener on 127.0.0.1: %s", strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    listener_port = ntohs(a.sin_port);
    return s;
}

static int create_shm(void)
{
    for (int i = 0; i < 64; i++) {
        shm_key = (key_t)(0x50560000 + ((getpid() * 64 + i) & 0xffff));
        int id = shmget(shm_key, 4096, IPC_CREAT | IPC_EXCL | 0600);
        if (id >= 0)
            return id;
        if (errno != EEXIST)
            break;
    }
    test_fail(__FILE__, __LINE__, "shmget: %s", strerror(errno));
    return -1;
}

TEST(sandbox_job_namespaces)
{
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_job_namespaces", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    int listener = open_listener();
    int shm_id = create_shm();
    if (listener >= 0 && shm_id >= 0) {
        check_child_passed(run_child(job_namespaces_child, NULL), "job namespaces in a pivoted worker");
        check_child_passed(run_child(job_without_pivot_child, NULL), "job namespaces without L1");
    }
    if (shm_id >= 0)
        shmctl(shm_id, IPC_RMID, NULL);
    if (listener >= 0)
        close(listener);
    remove_worker_dir(worker_dir);
}

/* ------------------------------------------------------------ L6 job limits */

static bool has_cap(const struct __user_cap_data_struct *d, int cap, bool effective)
{
    uint32_t word = effective ? d[CAP_TO_INDEX(cap)].effective : d[CAP_TO_INDEX(cap)].permitted;
    return word & CAP_TO_MASK(cap);
}

static void read_caps(struct __user_cap_data_struct d[2])
{
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    memset(d, 0, 2 * sizeof d[0]);
    EXPECT(syscall(SYS_capget, &h, d) == 0);
}

static bool caps_all_zero(void)
{
    struct __user_cap_data_struct d[2];
    read_caps(d);
    for (int i = 0; i < 2; i++)
        if (d[i].effective || d[i].permitted || d[i].inheritable)
            return false;
    return true;
}

/* The number of capabilities still in the bounding set. */
static int bounding_set_count(void)
{
    int n = 0;
    for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        n += prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
    return n;
}

/* The file-size limit the tests restrict to. */
#define TEST_MAX_FILE 4096

/* Writing one byte at offset TEST_MAX_FILE of a new file at path (a sparse
 * file one byte past the limit): 0, or the errno. */
static int write_one_byte(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    int rc = pwrite(fd, "x", 1, TEST_MAX_FILE) == 1 ? 0 : errno;
    close(fd);
    return rc;
}

/* Inside the worker's user namespace (L1): everything drops, the bounding
 * set included. */
static int restrict_in_userns_child(void *arg)
{
    (void)arg;
    char err[512];
    EXPECT_OK(sandbox_pivot_into(worker_dir, false, err, sizeof err), err);
    EXPECT(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);

    /* Controls: "root" of our namespace, a file can be written. */
    struct __user_cap_data_struct d[2];
    read_caps(d);
    EXPECT(has_cap(d, CAP_SYS_ADMIN, true) && has_cap(d, CAP_SETPCAP, true));
    EXPECT(bounding_set_count() > 0);
    EXPECT(write_one_byte("/before") == 0);

    EXPECT_OK(sandbox_job_restrict(TEST_MAX_FILE, 16, err, sizeof err), err);

    EXPECT(write_one_byte("/after") == EFBIG);
    struct rlimit rl;
    EXPECT(getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur == TEST_MAX_FILE && rl.rlim_max == TEST_MAX_FILE);
    EXPECT(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= 16 && rl.rlim_max <= 16);
    int last = -1;
    for (int i = 0; i < 64; i++) {
        int fd = dup(2);
        if (fd < 0) {
            EXPECT(errno == EMFILE);
            break;
        }
        last = fd;
    }
    EXPECT(last >= 3 && last < 16);

    EXPECT(caps_all_zero());
    EXPECT(bounding_set_count() == 0);
    EXPECT(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SYS_ADMIN, 0, 0) == 0);
    /* With the capabilities gone, namespace operations fail again. */
    EXPECT(unshare(CLONE_NEWUTS) == -1 && errno == EPERM);
    return CHILD_PASSED;
}

TEST(sandbox_job_restrict_in_userns)
{
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_job_restrict_in_userns", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    check_child_passed(run_child(restrict_in_userns_child, NULL), "job restrict in a user namespace");
    remove_worker_dir(worker_dir);
}

/* A plain process, root or not, no namespace: restrict must succeed too. */
static int restrict_plain_child(void *arg)
{
    (void)arg;
    char err[512], before[300], after[300];
    snprintf(before, sizeof before, "%s/before", worker_dir);
    snprintf(after, sizeof after, "%s/after", worker_dir);
    EXPECT(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
    EXPECT(write_one_byte(before) == 0);  /* control */

    /* RLIMIT_NOFILE is never raised. */
    struct rlimit eight = { 8, 8 }, rl;
    EXPECT(setrlimit(RLIMIT_NOFILE, &eight) == 0);
    struct __user_cap_data_struct d[2];
    read_caps(d);
    bool could_drop_bounding = has_cap(d, CAP_SETPCAP, true);
    int bounding_before = bounding_set_count();

    EXPECT_OK(sandbox_job_restrict(TEST_MAX_FILE, 64, err, sizeof err), err);

    EXPECT(write_one_byte(after) == EFBIG);
    EXPECT(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 8 && rl.rlim_max == 8);
    EXPECT(caps_all_zero());
    /* Without CAP_SETPCAP (unprivileged) the bounding set stays as it was. */
    EXPECT(bounding_set_count() == (could_drop_bounding ? 0 : bounding_before));
    return CHILD_PASSED;
}

/* The default action of SIGXFSZ kills: a job that does not ignore it dies
 * with SIGXFSZ on its first write (a fact for the job's classification). */
static int restrict_sigxfsz_child(void *arg)
{
    (void)arg;
    char err[512], path[300];
    snprintf(path, sizeof path, "%s/killed", worker_dir);
    EXPECT(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    EXPECT_OK(sandbox_job_restrict(TEST_MAX_FILE, 0, err, sizeof err), err);
    write_one_byte(path);
    return CHILD_FAILED;
}

TEST(sandbox_job_restrict_plain)
{
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    check_child_passed(run_child(restrict_plain_child, NULL), "job restrict, plain process");
    int st = run_child(restrict_sigxfsz_child, NULL);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ);
    remove_worker_dir(worker_dir);
}

/* ------------------------------------------------------------ measurements */

static int job_exit(void)
{
    return 0;
}

/* Median µs of clone3(flags) + _exit + waitpid. */
static double job_spawn_us(uint64_t flags)
{
    static double us[BENCH_RUNS];
    for (int i = 0; i < BENCH_RUNS; i++) {
        double t0 = now_us();
        EXPECT(exited_with(run_job(flags, job_exit), 0));
        us[i] = now_us() - t0;
    }
    return median(us, BENCH_RUNS);
}

/* Where a timed job writes its µs (set before the jobs are cloned). */
static int bench_fd = -1;

static int restrict_once(void)
{
    char err[512];
    double t0 = now_us();
    if (!sandbox_job_restrict(TEST_MAX_FILE, 64, err, sizeof err)) {
        fprintf(stderr, "  job: %s\n", err);
        return CHILD_FAILED;
    }
    double us = now_us() - t0;
    return write(bench_fd, &us, sizeof us) == sizeof us ? CHILD_PASSED : CHILD_FAILED;
}

static int job_bench_child(void *arg)
{
    int fd = *(int *)arg;
    char err[512];
    EXPECT_OK(sandbox_pivot_into(worker_dir, true, err, sizeof err), err);
    double r[4];
    r[0] = job_spawn_us(0);
    r[1] = job_spawn_us(sandbox_job_clone_flags(true, false));
    /* the worker's share (issue 14): its own network/IPC/UTS/cgroup namespaces once, then each
     * job only a pid namespace */
    char err2[256];
    EXPECT_OK(sandbox_share_job_namespaces(err2, sizeof err2), err2);
    r[3] = job_spawn_us(sandbox_job_clone_flags(true, true));
    /* sandbox_job_restrict in fresh jobs of the pivoted worker (as job.c will
     * call it), timed inside the job and reported as its exit code. */
    static double us[BENCH_RUNS];
    int p[2];
    EXPECT(pipe(p) == 0);
    bench_fd = p[1];
    for (int i = 0; i < BENCH_RUNS; i++) {
        EXPECT(exited_with(run_job(0, restrict_once), 0));
        EXPECT(read(p[0], &us[i], sizeof us[i]) == sizeof us[i]);
    }
    r[2] = median(us, BENCH_RUNS);
    EXPECT(write(fd, r, sizeof r) == sizeof r);
    return CHILD_PASSED;
}

TEST(sandbox_job_bench)
{
    if (test_landlock_capped())
        return;     /* the landlock matrix measures nothing */
    char why[256];
    if (!userns_available(why, sizeof why)) {
        layer_unavailable("sandbox_job_bench", why);
        return;
    }
    if (!make_worker_dir(worker_dir, sizeof worker_dir))
        return;
    int p[2];
    CHECK(pipe(p) == 0);
    int st = run_child(job_bench_child, &p[1]);
    check_child_passed(st, "job bench");
    double r[4];
    if (st == 0 && read(p[0], r, sizeof r) == sizeof r) {
        unsigned uid = (unsigned)getuid();
        printf("[sandbox] job spawn clone3+exit+waitpid in a pivoted worker, no new namespaces: %.0f us (median of %d, uid %u)\n",
               r[0], BENCH_RUNS, uid);
        printf("[sandbox] job spawn clone3+exit+waitpid in a pivoted worker, L4 flags (PID|NET|IPC|UTS|NS|CGROUP): %.0f us (median of %d, uid %u)\n",
               r[1], BENCH_RUNS, uid);
        printf("[sandbox] job spawn clone3+exit+waitpid in a pivoted worker sharing its NET|IPC|UTS|CGROUP namespaces, L4 = PID: %.0f us (median of %d, uid %u)\n",
               r[3], BENCH_RUNS, uid);
        printf("[sandbox] sandbox_job_restrict in a fresh job of a pivoted worker: %.0f us (median of %d, uid %u)\n",
               r[2], BENCH_RUNS, uid);
    }
    close(p[0]);
    close(p[1]);
    remove_worker_dir(worker_dir);
}

/*
 * test_procs.c — what the tests of worker and job processes share: a private
 * work directory (with TMPDIR pointed into it, where sockets are made), and
 * checks that nothing is left behind (fds, directory entries, processes).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "test.h"
#include "pvf/host.h"
#include <unistd.h>
#include <string.h>

uint64_t test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int test_count_entries(const char *dir, const char *except)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!except || strcmp(e->d_name, except)))
            n++;
    closedir(d);
    return n;
}

int test_count_fds(void)
{
    return test_count_entries("/proc/self/fd", NULL);
}

bool test_pid_gone(long pid)
{
    return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

bool test_workdir_init(test_workdir *w, const char *prefix, bool make_cache)
{
    memset(w, 0, sizeof *w);
    snprintf(w->root, sizeof w->root, "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(w->root)) {
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        return false;
    }
    snprintf(w->tmp, sizeof w->tmp, "%s/tmp", w->root);
    snprintf(w->cache, sizeof w->cache, "%s/cache", w->root);
    snprintf(w->log, sizeof w->log, "%s/workers.log", w->root);
    mkdir(w->tmp, 0700);
    if (make_cache)
        mkdir(w->cache, 0700);
    const char *old = getenv("TMPDIR");
    w->old_tmpdir = old ? strdup(old) : NULL;
    setenv("TMPDIR", w->tmp, 1);
    return true;
}

void test_workdir_restore_tmpdir(test_workdir *w)
{
    if (w->old_tmpdir)
        setenv("TMPDIR", w->old_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(w->old_tmpdir);
    w->old_tmpdir = NULL;
}

/* Cache entries that are neither artifacts nor the manifest (worker dirs, temp files). */
static int count_cache_strays(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        size_t l = strlen(s);
        bool artifact = l > 4 && !strcmp(s + l - 4, ".pvf");
        if (strcmp(s, ".") && strcmp(s, "..") && strcmp(s, "pvf-manifest") && strcmp(s, "pvf-host.lock") && !artifact)
            n++;
    }
    closedir(d);
    return n;
}

static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

void test_workdir_finish(test_workdir *w)
{
    CHECK_EQ_U64(count_cache_strays(w->cache), 0);      /* no worker dir, no temp file */
    CHECK_EQ_U64(test_count_entries(w->tmp, NULL), 0);  /* no socket left */
    test_workdir_restore_tmpdir(w);
    remove_flat_dir(w->cache);
    rmdir(w->tmp);
    unlink(w->log);
    CHECK(rmdir(w->root) == 0);
}

/* The host's messages in these tests, on stderr: many tests break a worker on purpose, so each
 * line says it is expected (a failing CHECK is what fails a test, never this log). */
void test_host_log(void *user, pvf_log_level level, const char *message)
{
    (void)user;
    fprintf(stderr, "  expected in a fault test, host log [%s]: %s\n",
            level == PVF_LOG_ERROR ? "error" : level == PVF_LOG_WARNING ? "warning" : "info", message);
}

void test_host_config(pvf_host_config *cfg, const char *cache_dir, const char *log)
{
    pvf_host_config_init(cfg);
    cfg->log = test_host_log;   /* warnings and errors; not the security check lines (info) */
    cfg->cache_dir = cache_dir;
    cfg->prepare_worker_path = "build/bin/pvf-prepare-worker";
    cfg->execute_worker_path = "build/bin/pvf-execute-worker";
    cfg->worker_log_path = log;
}

void test_log_keep(void *user, pvf_log_level level, const char *message)
{
    test_log *k = user;
    if (k->only && !strstr(message, k->only))
        return;
    pthread_mutex_lock(&k->lock);
    size_t n = strlen(k->text);
    snprintf(k->text + n, sizeof k->text - n, "%s\n", message);
    if (level <= PVF_LOG_INFO)
        k->at_level[level]++;
    k->calls++;
    pthread_mutex_unlock(&k->lock);
}

void test_execute_free(pvf_execute_result **r)
{
    pvf_execute_result_free(*r);
    *r = NULL;
}

void test_precheck_free(pvf_precheck_result **r)
{
    pvf_precheck_result_free(*r);
    *r = NULL;
}

void test_execute(pvf_execute_result **r, pvf_host *h, const pvf_execute_request *rq)
{
    test_execute_free(r);
    *r = pvf_host_execute(h, rq);
    if (!*r)
        test_fail(__FILE__, __LINE__, "pvf_host_execute returned no result");
}

void test_precheck(pvf_precheck_result **r, pvf_host *h, const uint8_t *code, size_t len,
                   const struct executor_params *ep)
{
    test_precheck_free(r);
    *r = pvf_host_precheck(h, code, len, ep);
    if (!*r)
        test_fail(__FILE__, __LINE__, "pvf_host_precheck returned no result");
}

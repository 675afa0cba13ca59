/*
 * worker_paths.c — where the worker binaries are (pvf_find_workers, pvf/host.h).
 *
 * In order: the directory the caller names (--workers-path, pvf_host_config.workers_dir), the
 * running program's own directory (where `make` puts them next to build/bin/pvf), and the
 * directory `make install` puts them in (PVF_WORKERS_DIR, $(PREFIX)/lib/pvf, from the build's
 * generated pvf_paths.h). The first that holds both executables wins; when none does, the
 * error names every directory tried and why each failed.
 */
#include "pvf/host.h"
#include "pvf_paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PREPARE_WORKER "pvf-prepare-worker"
#define EXECUTE_WORKER "pvf-execute-worker"

/* The running program's directory; false when /proc can't say. */
static bool own_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        return false;
    *slash = 0;
    return true;
}

/* Both workers executable in dir: their paths; else why not, appended to why. */
static bool workers_in(const char *dir, char *prepare, char *execute, size_t size, char *why, size_t whylen)
{
    const char *names[2] = {PREPARE_WORKER, EXECUTE_WORKER};
    char *out[2] = {prepare, execute};
    for (int i = 0; i < 2; i++) {
        int n = snprintf(out[i], size, "%s/%s", dir, names[i]);
        size_t used = strlen(why);
        if (n < 0 || (size_t)n >= size) {
            snprintf(why + used, whylen - used, "%s%s: path too long", used ? "; " : "", dir);
            return false;
        }
        if (access(out[i], X_OK) != 0) {
            snprintf(why + used, whylen - used, "%s%s: %s", used ? "; " : "", out[i], strerror(errno));
            return false;
        }
    }
    return true;
}

bool pvf_find_workers(const char *dir, char *prepare_path, char *execute_path, size_t path_size, char *err,
                      size_t errlen)
{
    char own[4096], why[2048] = "";
    const char *dirs[3];
    int n = 0;
    if (dir && *dir)
        dirs[n++] = dir;
    if (own_dir(own, sizeof own))
        dirs[n++] = own;
    dirs[n++] = PVF_WORKERS_DIR;
    for (int i = 0; i < n; i++)
        if (workers_in(dirs[i], prepare_path, execute_path, path_size, why, sizeof why))
            return true;
    snprintf(err, errlen, "cannot find the worker binaries %s and %s (searched: %s)", PREPARE_WORKER,
             EXECUTE_WORKER, why);
    return false;
}

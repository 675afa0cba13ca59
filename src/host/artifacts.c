/*
 * artifacts.c — the artifact table: ids, the Preparing / Prepared /
 * FailedToProcess state machine, pruning, and the artifact files themselves
 * (names, atomic writes, checksums, startup cleanup). The manifest that
 * carries Prepared artifacts across restarts is in artifact_manifest.c.
 * See artifacts.h.
 */
#define _GNU_SOURCE /* nftw, FTW_PHYS */
#include "host/artifacts.h"
#include "host/artifacts_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/hashing.h"
#include "util/vec.h"

/* ---- ids ---- */

bool artifact_id_compute(const uint8_t *code, size_t code_len, const executor_params *ep,
                         artifact_id *out)
{
    hash_blake2_256(code, code_len, out->code_hash);
    return executor_params_prep_hash(ep, out->prep_hash);
}

bool artifact_id_equal(const artifact_id *a, const artifact_id *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* ---- small helpers shared with the manifest ---- */

void artifacts_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

char *artifacts_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void artifacts_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = 0;
}

/* Fill `out` with random bytes; getrandom may return short on signals. */
static bool random_bytes(uint8_t *out, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(out + got, len - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        got += (size_t)r;
    }
    return true;
}

/* ---- the table ---- */

artifact_entry *artifacts_lookup(artifacts *t, const artifact_id *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (artifact_id_equal(&t->entries[i]->id, id))
            return t->entries[i];
    return NULL;
}

size_t artifacts_count(const artifacts *t)
{
    return t->n;
}


artifact_entry *artifacts_insert_preparing(artifacts *t, const artifact_id *id)
{
    if (artifacts_lookup(t, id))
        return NULL;
    if (!vec_reserve((void **)&t->entries, &t->cap, t->n + 1, sizeof *t->entries, 16))
        return NULL;
    artifact_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->id = *id;
    e->state = ARTIFACT_PREPARING;
    t->entries[t->n++] = e;
    return e;
}

bool artifacts_add_waiter(artifact_entry *e, uint64_t request_id)
{
    if (e->state != ARTIFACT_PREPARING)
        return false;
    if (!vec_reserve((void **)&e->waiters, &e->cap_waiters, e->n_waiters + 1, sizeof *e->waiters, 4))
        return false;
    e->waiters[e->n_waiters++] = request_id;
    return true;
}

/* Forget the per-state data, keeping id and num_failures. */
static void clear_state_data(artifact_entry *e)
{
    free(e->waiters);
    e->waiters = NULL;
    e->n_waiters = e->cap_waiters = 0;
    free(e->path);
    e->path = NULL;
    free(e->error_msg);
    e->error_msg = NULL;
    memset(e->checksum, 0, sizeof e->checksum);
    e->size = 0;
    e->last_time_needed = 0;
    e->last_time_failed = 0;
    e->error_kind = 0;
    memset(&e->stats, 0, sizeof e->stats);
}

/* The Prepared set changed: rewrite the manifest, remembering a failure. */
static void prepared_set_changed(artifacts *t)
{
    t->manifest_dirty = true;
    artifacts_manifest_write(t, t->manifest_err, sizeof t->manifest_err);
}

bool artifacts_start_preparing(artifacts *t, artifact_entry *e, char **old_path)
{
    if (old_path)
        *old_path = NULL;
    if (e->state == ARTIFACT_PREPARING)
        return false;
    bool was_prepared = e->state == ARTIFACT_PREPARED;
    if (was_prepared) {
        if (old_path) {
            *old_path = e->path; /* hand over ownership */
            e->path = NULL;
        }
        /* The reference resets to Preparing{num_failures: 0} for a vanished file. */
        e->num_failures = 0;
    }
    clear_state_data(e);
    e->state = ARTIFACT_PREPARING;
    if (was_prepared)
        prepared_set_changed(t);
    return true;
}

bool artifacts_mark_prepared(artifacts *t, artifact_entry *e, const char *path,
                             const uint8_t checksum[32], uint64_t size,
                             const artifact_prepare_stats *stats, uint64_t now)
{
    if (e->state != ARTIFACT_PREPARING)
        return false;
    char *copy = strdup(path);
    if (!copy)
        return false;
    clear_state_data(e);
    e->state = ARTIFACT_PREPARED;
    e->path = copy;
    memcpy(e->checksum, checksum, 32);
    e->size = size;
    e->last_time_needed = now;
    if (stats)
        e->stats = *stats;
    prepared_set_changed(t);
    return true;
}

bool artifacts_mark_failed(artifacts *t, artifact_entry *e, int error_kind, const char *msg,
                           uint64_t now)
{
    (void)t;
    if (e->state != ARTIFACT_PREPARING)
        return false;
    char *copy = strdup(msg ? msg : "");
    if (!copy)
        return false;
    clear_state_data(e);
    e->state = ARTIFACT_FAILED_TO_PROCESS;
    e->error_kind = error_kind;
    e->error_msg = copy;
    e->last_time_failed = now;
    e->num_failures++;
    return true;
}

void artifacts_touch(artifact_entry *e, uint64_t now)
{
    if (e->state == ARTIFACT_PREPARED)
        e->last_time_needed = now;
}

bool artifacts_can_retry(const artifact_entry *e, bool deterministic, uint64_t now,
                         uint64_t cooldown_ms, uint32_t max_retries)
{
    if (e->state != ARTIFACT_FAILED_TO_PROCESS || deterministic)
        return false;
    bool cooled_down = now >= e->last_time_failed && now - e->last_time_failed >= cooldown_ms;
    return cooled_down && e->num_failures <= max_retries;
}

static void entry_free(artifact_entry *e)
{
    clear_state_data(e);
    free(e);
}

char *artifacts_remove(artifacts *t, artifact_entry *e)
{
    size_t i = 0;
    while (i < t->n && t->entries[i] != e)
        i++;
    if (i == t->n)
        return NULL;
    /* Keep insertion order (stable tie-breaks in pruning, stable manifests). */
    memmove(&t->entries[i], &t->entries[i + 1], (t->n - i - 1) * sizeof *t->entries);
    t->n--;
    bool was_prepared = e->state == ARTIFACT_PREPARED;
    char *path = e->path;
    e->path = NULL;
    entry_free(e);
    if (was_prepared)
        prepared_set_changed(t);
    return path;
}

/* ---- pruning ---- */

typedef struct prune_item {
    artifact_entry *e;
    size_t order;
} prune_item;

/* Least recently needed first; insertion order breaks ties. */
static int by_last_needed(const void *a, const void *b)
{
    const prune_item *x = a, *y = b;
    if (x->e->last_time_needed != y->e->last_time_needed)
        return x->e->last_time_needed < y->e->last_time_needed ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

bool artifacts_prune(artifacts *t, uint64_t now, uint64_t cache_limit, uint64_t min_stale_ms,
                     char ***paths_out, size_t *n_out)
{
    *paths_out = NULL;
    *n_out = 0;
    prune_item *items = malloc((t->n ? t->n : 1) * sizeof *items);
    char **paths = malloc((t->n ? t->n : 1) * sizeof *paths);
    if (!items || !paths) {
        free(items);
        free(paths);
        return false;
    }
    size_t n = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->entries[i]->state != ARTIFACT_PREPARED)
            continue;
        items[n] = (prune_item){ t->entries[i], n };
        total += t->entries[i]->size;
        n++;
    }
    qsort(items, n, sizeof *items, by_last_needed);
    size_t removed = 0;
    for (size_t i = 0; i < n && total > cache_limit; i++) {
        artifact_entry *e = items[i].e;
        /* A time in the future counts as recent, like the reference's
         * duration_since(..).unwrap_or(true). */
        bool used_recently = e->last_time_needed > now || now - e->last_time_needed < min_stale_ms;
        if (used_recently)
            break;
        total -= e->size;
        paths[removed++] = artifacts_remove(t, e);
    }
    free(items);
    if (removed == 0) {
        free(paths);
        return true;
    }
    *paths_out = paths;
    *n_out = removed;
    return true;
}

/* ---- files ---- */

char *artifacts_generate_path(const artifacts *t)
{
    uint8_t rnd[64];
    char name[2 + 128 + 4 + 1];
    if (!random_bytes(rnd, sizeof rnd))
        return NULL;
    name[0] = '0';
    name[1] = 'x';
    artifacts_hex(rnd, sizeof rnd, name + 2);
    memcpy(name + 130, ".pvf", 5);
    return artifacts_join(t->cache_dir, name);
}

bool artifacts_write_atomic(const char *path, const char *tmp, const uint8_t *bytes, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, bytes + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        off += (size_t)w;
    }
    /* fsync before rename: after a crash the name must never point at a
     * partially written file. */
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    return true;
fail:;
    int e = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = e;
    return false;
}

bool artifact_file_write(const char *path, const uint8_t *bytes, size_t len)
{
    /* The temp name ends in ".pvf" so that a leftover from a crash is swept
     * by the startup cleanup. */
    uint8_t rnd[16];
    char name[6 + 32 + 4 + 1];
    if (!random_bytes(rnd, sizeof rnd))
        return false;
    memcpy(name, ".tmp-", 5);
    artifacts_hex(rnd, sizeof rnd, name + 5);
    memcpy(name + 5 + 32, ".pvf", 5);
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    char *tmp = dir ? artifacts_join(slash == path ? "" : dir, name) : NULL;
    bool ok = tmp && artifacts_write_atomic(path, tmp, bytes, len);
    int e = errno;
    free(dir);
    free(tmp);
    errno = e;
    return ok;
}

bool artifact_file_checksum(const char *path, uint8_t out[32], uint64_t *size_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st = { 0 };
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;
        close(fd);
        errno = e;
        return false;
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *bytes = NULL;
    if (len > 0) {
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            errno = e;
            return false;
        }
        bytes = m;
    }
    hash_twox_256(bytes, len, out);
    if (len > 0)
        munmap((void *)bytes, len);
    close(fd);
    if (size_out)
        *size_out = len;
    return true;
}

artifact_check artifact_file_verify(const char *path, const uint8_t expected[32])
{
    uint8_t actual[32];
    if (!artifact_file_checksum(path, actual, NULL))
        return ARTIFACT_CHECK_IO_ERROR;
    return memcmp(actual, expected, 32) == 0 ? ARTIFACT_CHECK_OK : ARTIFACT_CHECK_MISMATCH;
}

/* ---- startup cleanup ---- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort, like the reference */
    return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Rust's Path::extension() == "pvf": a final ".pvf" that is not the whole
 * name (".pvf" alone is a dot file with no extension). */
static bool has_pvf_extension(const char *name)
{
    return strlen(name) > 4 && has_suffix(name, ".pvf");
}

static bool is_restored_file(const artifacts *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->entries[i]->path && strcmp(t->entries[i]->path, path) == 0)
            return true;
    return false;
}

/* Delete what a previous run left: worker-dir* directories, *.pvf files that
 * were not restored, wasmtime_* files (old scheme) and our own manifest temp.
 * Everything else stays. Returns how many were removed. */
static size_t cleanup_cache_dir(const artifacts *t)
{
    DIR *d = opendir(t->cache_dir);
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char *path = artifacts_join(t->cache_dir, name);
        struct stat st;
        if (!path || lstat(path, &st) != 0) {
            free(path);
            continue;
        }
        bool is_dir = S_ISDIR(st.st_mode);
        if (is_dir && strncmp(name, "worker-dir", 10) == 0) {
            nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
            removed++;
        } else if (!is_dir && ((has_pvf_extension(name) && !is_restored_file(t, path)) ||
                               strncmp(name, "wasmtime_", 9) == 0 ||
                               strcmp(name, ARTIFACTS_MANIFEST_NAME ".tmp") == 0)) {
            if (unlink(path) == 0)
                removed++;
        }
        free(path);
    }
    closedir(d);
    return removed;
}

static bool mkdir_all(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return false;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return false;
        }
        *s = '/';
    }
    bool ok = mkdir(p, 0755) == 0 || errno == EEXIST;
    free(p);
    struct stat st;
    if (!ok || stat(dir, &st) != 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;        /* not "File exists": a regular file stands where the cache should be */
        return false;
    }
    return true;
}

/*
 * One host per cache dir (issue 13, finding 7): a second host's start-up clean-up deleted the
 * first one's live worker dirs and both rewrote the manifest. An exclusive flock on a file in
 * the dir, held while the table is open; the kernel drops it when the process dies, so a crash
 * leaves nothing to clean up. The fd is close-on-exec: workers never hold it.
 */
static int lock_cache_dir(const char *dir, char *err, size_t errlen)
{
    char *path = artifacts_join(dir, ARTIFACTS_LOCK_NAME);
    int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
    if (fd < 0) {
        artifacts_set_err(err, errlen, "artifact cache: cannot open %s: %s", path ? path : dir, strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            artifacts_set_err(err, errlen, "artifact cache: %s is in use by another pvf host (%s is locked); "
                              "give each host its own cache dir", dir, path);
        else
            artifacts_set_err(err, errlen, "artifact cache: cannot lock %s: %s", path, strerror(e));
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

/* Engine version and target go into a whitespace-separated line format. */
static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            return false;
    return true;
}

artifacts *artifacts_open(const artifacts_config *cfg, uint64_t now,
                          artifacts_startup_report *report, char *err, size_t errlen)
{
    artifacts_startup_report dummy;
    if (!report)
        report = &dummy;
    memset(report, 0, sizeof *report);
    const char *target = cfg->target ? cfg->target : ARTIFACTS_DEFAULT_TARGET;
    if (!cfg->cache_dir || !*cfg->cache_dir) {
        artifacts_set_err(err, errlen, "artifact cache: no cache directory given");
        return NULL;
    }
    if (!is_token(cfg->engine_version) || !is_token(target)) {
        artifacts_set_err(err, errlen,
                          "artifact cache: engine version and target must be non-empty "
                          "printable strings without spaces");
        return NULL;
    }
    if (!mkdir_all(cfg->cache_dir)) {
        artifacts_set_err(err, errlen, "artifact cache: cannot create %s: %s", cfg->cache_dir,
                          strerror(errno));
        return NULL;
    }
    artifacts *t = calloc(1, sizeof *t);
    if (!t || !(t->cache_dir = strdup(cfg->cache_dir)) ||
        !(t->engine_version = strdup(cfg->engine_version)) || !(t->target = strdup(target))) {
        artifacts_close(t);
        artifacts_set_err(err, errlen, "artifact cache: out of memory");
        return NULL;
    }
    /* A cache dir given with a trailing slash would break path comparisons. */
    size_t len = strlen(t->cache_dir);
    while (len > 1 && t->cache_dir[len - 1] == '/')
        t->cache_dir[--len] = 0;
    if ((t->lock_fd = lock_cache_dir(t->cache_dir, err, errlen)) < 0) {
        artifacts_close(t);
        return NULL;
    }
    if (!artifacts_manifest_load(t, now, report, err, errlen)) {
        artifacts_close(t);
        return NULL;
    }
    report->removed_files = cleanup_cache_dir(t);
    /* Rewrite so that dropped entries disappear from the manifest too. */
    if (!artifacts_manifest_write(t, err, errlen)) {
        artifacts_close(t);
        return NULL;
    }
    return t;
}

void artifacts_close(artifacts *t)
{
    if (!t)
        return;
    if (t->lock_fd > 0)
        close(t->lock_fd);
    for (size_t i = 0; i < t->n; i++)
        entry_free(t->entries[i]);
    free(t->entries);
    free(t->cache_dir);
    free(t->engine_version);
    free(t->target);
    free(t);
}

bool artifacts_save_manifest(artifacts *t, char *err, size_t errlen)
{
    if (!artifacts_manifest_write(t, t->manifest_err, sizeof t->manifest_err)) {
        artifacts_set_err(err, errlen, "%s", t->manifest_err);
        return false;
    }
    return true;
}

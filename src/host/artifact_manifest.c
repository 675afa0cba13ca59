/*
 * artifact_manifest.c — persistence of Prepared artifacts across restarts
 * (beyond the reference, which forgets everything; see artifacts.h).
 *
 * `<cache>/pvf-manifest` is a text file, one artifact per line, written
 * atomically (temp + fsync + rename) whenever the Prepared set changes:
 *
 *   pvf-manifest 1
 *   <engine-version> <target> <code-hash> <prep-hash> <checksum> <size> <file-name>
 *
 * Hashes are 64 lowercase hex digits, size is decimal, the file name is the
 * generated `0x<128 hex>.pvf` inside the cache dir (anything else is refused,
 * so a hostile manifest cannot point outside the cache). Every artifact is
 * bound to the engine version and target that produced it: an upgrade of pvf
 * or a cache copied from another machine makes the entry stale, and its file
 * is then swept with the other unknown `*.pvf` files. A line that does not
 * parse is dropped on its own; the rest of the file still counts.
 */
#include "host/artifacts_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/file.h"

#define MANIFEST_HEADER "pvf-manifest 1"
#define MANIFEST_FIELDS 7
/* A line is ~380 bytes; anything much longer is not ours. */
#define MANIFEST_MAX_LINE 1024
#define MANIFEST_MAX_BYTES (64u << 20)

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool parse_hex32(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!*s || strlen(s) > 20)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The names artifacts_generate_path makes, and nothing else. */
static bool is_artifact_name(const char *name)
{
    if (strlen(name) != 134 || name[0] != '0' || name[1] != 'x' || strcmp(name + 130, ".pvf") != 0)
        return false;
    for (size_t i = 2; i < 130; i++)
        if (hex_digit(name[i]) < 0)
            return false;
    return true;
}

/* The file name of a path directly inside the cache dir, else NULL. */
static const char *name_in_cache(const artifacts *t, const char *path)
{
    size_t n = strlen(t->cache_dir);
    if (strncmp(path, t->cache_dir, n) != 0 || path[n] != '/')
        return NULL;
    return is_artifact_name(path + n + 1) ? path + n + 1 : NULL;
}

/* Split a line at single spaces into exactly MANIFEST_FIELDS fields. */
static bool split_fields(char *line, char *fields[MANIFEST_FIELDS])
{
    int n = 0;
    char *save = NULL;
    for (char *f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
        if (n == MANIFEST_FIELDS)
            return false;
        fields[n++] = f;
    }
    return n == MANIFEST_FIELDS;
}

typedef enum line_verdict { LINE_OK, LINE_BAD, LINE_VERSION, LINE_MISSING, LINE_CORRUPT } line_verdict;

/* Check one manifest line and, when it holds, restore it as Prepared. */
static line_verdict restore_line(artifacts *t, char *line, uint64_t now)
{
    char *f[MANIFEST_FIELDS];
    artifact_id id;
    uint8_t checksum[32];
    uint64_t size;
    if (strlen(line) > MANIFEST_MAX_LINE || !split_fields(line, f) || !parse_hex32(f[2], id.code_hash) ||
        !parse_hex32(f[3], id.prep_hash) || !parse_hex32(f[4], checksum) || !parse_u64(f[5], &size) ||
        !is_artifact_name(f[6]))
        return LINE_BAD;
    if (strcmp(f[0], t->engine_version) != 0 || strcmp(f[1], t->target) != 0)
        return LINE_VERSION;
    if (artifacts_lookup(t, &id))
        return LINE_BAD; /* a duplicate id: keep the first */
    char *path = artifacts_join(t->cache_dir, f[6]);
    if (!path)
        return LINE_BAD;
    struct stat st;
    line_verdict v = LINE_OK;
    uint8_t actual[32];
    uint64_t actual_size;
    /* lstat: a symlink planted in the cache is not an artifact we wrote. */
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        v = LINE_MISSING;
    else if (!artifact_file_checksum(path, actual, &actual_size))
        v = LINE_MISSING;
    else if (actual_size != size || memcmp(actual, checksum, 32) != 0)
        v = LINE_CORRUPT;
    if (v == LINE_OK) {
        artifact_entry *e = artifacts_insert_preparing(t, &id);
        if (!e) {
            v = LINE_BAD;
        } else {
            /* Straight to Prepared without the write-back of mark_prepared:
             * the manifest is rewritten once at the end of startup. */
            e->state = ARTIFACT_PREPARED;
            e->path = path;
            path = NULL;
            memcpy(e->checksum, checksum, 32);
            e->size = size;
            e->last_time_needed = now;
        }
    }
    free(path);
    return v;
}

bool artifacts_manifest_load(artifacts *t, uint64_t now, artifacts_startup_report *report,
                             char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    char *mpath = artifacts_join(t->cache_dir, ARTIFACTS_MANIFEST_NAME);
    if (!mpath)
        return false;
    size_t len = 0;
    uint8_t *bytes = file_read(mpath, &len);
    free(mpath);
    /* No manifest (first start) or an unreadable one: start empty; the
     * cleanup then sweeps all artifact files. */
    if (!bytes)
        return true;
    if (len > MANIFEST_MAX_BYTES || memchr(bytes, 0, len)) {
        free(bytes);
        return true;
    }
    char *text = realloc(bytes, len + 1);
    if (!text) {
        free(bytes);
        return true;
    }
    text[len] = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    if (!line || strcmp(line, MANIFEST_HEADER) != 0) {
        free(text);
        return true;
    }
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        switch (restore_line(t, line, now)) {
        case LINE_OK: report->loaded++; break;
        case LINE_BAD: report->dropped_bad++; break;
        case LINE_VERSION: report->dropped_version++; break;
        case LINE_MISSING: report->dropped_missing++; break;
        case LINE_CORRUPT: report->dropped_corrupt++; break;
        }
    }
    free(text);
    return true;
}

bool artifacts_manifest_write(artifacts *t, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        artifacts_set_err(err, errlen, "artifact manifest: out of memory");
        return false;
    }
    fprintf(f, "%s\n", MANIFEST_HEADER);
    for (size_t i = 0; i < t->n; i++) {
        const artifact_entry *e = t->entries[i];
        if (e->state != ARTIFACT_PREPARED)
            continue;
        /* Only files we named inside the cache dir can be found again. */
        const char *name = name_in_cache(t, e->path);
        if (!name)
            continue;
        char code[65], prep[65], sum[65];
        artifacts_hex(e->id.code_hash, 32, code);
        artifacts_hex(e->id.prep_hash, 32, prep);
        artifacts_hex(e->checksum, 32, sum);
        fprintf(f, "%s %s %s %s %s %llu %s\n", t->engine_version, t->target, code, prep, sum,
                (unsigned long long)e->size, name);
    }
    if (fclose(f) != 0) {
        free(buf);
        artifacts_set_err(err, errlen, "artifact manifest: out of memory");
        return false;
    }
    char *path = artifacts_join(t->cache_dir, ARTIFACTS_MANIFEST_NAME);
    char *tmp = artifacts_join(t->cache_dir, ARTIFACTS_MANIFEST_NAME ".tmp");
    bool ok = path && tmp && artifacts_write_atomic(path, tmp, (const uint8_t *)buf, len);
    if (!ok)
        artifacts_set_err(err, errlen, "artifact manifest: cannot write %s/%s: %s", t->cache_dir,
                          ARTIFACTS_MANIFEST_NAME, strerror(errno));
    t->manifest_dirty = !ok;
    free(path);
    free(tmp);
    free(buf);
    return ok;
}

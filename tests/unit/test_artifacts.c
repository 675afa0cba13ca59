/*
 * test_artifacts.c — the artifact table (src/host/artifacts.h): ids, the
 * Preparing / Prepared / FailedToProcess transitions, the reference's pruning
 * cases (reference-behaviour.md §1.6, §8.6), startup cleanup, and the
 * manifest that carries artifacts across a restart.
 */
#define _GNU_SOURCE /* nftw */
#include "test.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/artifacts.h"
#include "runtime/hashing.h"

/* ---- temp dirs ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static char *make_temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/pvf-artifacts-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void remove_tree(char *dir)
{
    if (dir)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static char *path_in(const char *dir, const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void touch_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

static artifacts *open_cache(const char *dir, const char *version, uint64_t now,
                             artifacts_startup_report *rep)
{
    char err[256] = "";
    artifacts_config cfg = { .cache_dir = dir, .engine_version = version, .target = NULL };
    artifacts *t = artifacts_open(&cfg, now, rep, err, sizeof err);
    if (!t)
        test_fail(__FILE__, __LINE__, "artifacts_open: %s", err);
    return t;
}

static artifact_id id_n(uint8_t n)
{
    artifact_id id;
    memset(&id, 0, sizeof id);
    id.code_hash[0] = n;
    id.prep_hash[31] = n;
    return id;
}

/* Insert id n as Prepared with the given size and time, no file behind it. */
static artifact_entry *add_prepared(artifacts *t, uint8_t n, uint64_t size, uint64_t when)
{
    artifact_id id = id_n(n);
    artifact_entry *e = artifacts_insert_preparing(t, &id);
    uint8_t sum[32] = { n };
    char path[64];
    snprintf(path, sizeof path, "/nonexistent/artifact-%u", n);
    if (e)
        artifacts_mark_prepared(t, e, path, sum, size, NULL, when);
    return e;
}

/* ---- ids ---- */

TEST(artifacts_id)
{
    /* blake2b-256("abc") from b2sum -l 256. */
    static const char *abc = "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
    uint8_t expected[32];
    CHECK(test_unhex(abc, 64, expected, 32));
    executor_params empty, other;
    executor_params_init(&empty);
    executor_params_init(&other);
    executor_param p;
    memset(&p, 0, sizeof p);
    p.kind = EXEC_PARAM_MAX_MEMORY_PAGES;
    p.value = 4096;
    CHECK(executor_params_push(&other, p));

    artifact_id a, b, c;
    CHECK(artifact_id_compute((const uint8_t *)"abc", 3, &empty, &a));
    CHECK(memcmp(a.code_hash, expected, 32) == 0);
    uint8_t prep[32];
    CHECK(executor_params_prep_hash(&empty, prep));
    CHECK(memcmp(a.prep_hash, prep, 32) == 0);
    CHECK(artifact_id_compute((const uint8_t *)"abc", 3, &empty, &b));
    CHECK(artifact_id_equal(&a, &b));
    /* Same code, params that affect preparation: another artifact. */
    CHECK(artifact_id_compute((const uint8_t *)"abc", 3, &other, &c));
    CHECK(memcmp(c.code_hash, a.code_hash, 32) == 0);
    CHECK(!artifact_id_equal(&a, &c));
    executor_params_free(&empty);
    executor_params_free(&other);
}

/* ---- state machine ---- */

TEST(artifacts_state_transitions)
{
    char *dir = make_temp_dir();
    CHECK(dir != NULL);
    artifacts *t = dir ? open_cache(dir, "pvf-test-1", 1000, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    artifact_id id = id_n(7), other = id_n(8);
    CHECK(artifacts_lookup(t, &id) == NULL);

    /* unknown → Preparing, coalescing waiters */
    artifact_entry *e = artifacts_insert_preparing(t, &id);
    CHECK(e != NULL && e->state == ARTIFACT_PREPARING);
    CHECK(artifacts_insert_preparing(t, &id) == NULL);
    CHECK(artifacts_add_waiter(e, 11) && artifacts_add_waiter(e, 12));
    for (uint64_t r = 100; r < 110; r++)
        CHECK(artifacts_add_waiter(e, r));
    CHECK_EQ_U64(e->n_waiters, 12);
    CHECK_EQ_U64(e->waiters[0], 11);
    CHECK_EQ_U64(e->waiters[11], 109);
    CHECK(artifacts_lookup(t, &id) == e);
    CHECK(artifacts_lookup(t, &other) == NULL);
    CHECK(!artifacts_start_preparing(t, e, NULL)); /* already preparing */

    /* Preparing → Prepared */
    uint8_t sum[32];
    memset(sum, 0xab, 32);
    artifact_prepare_stats stats = { .cpu_time_ns = 5000000, .peak_memory_bytes = 1 << 20 };
    CHECK(artifacts_mark_prepared(t, e, "/cache/a.pvf", sum, 4321, &stats, 2000));
    CHECK(e->state == ARTIFACT_PREPARED);
    CHECK(e->path && strcmp(e->path, "/cache/a.pvf") == 0);
    CHECK(memcmp(e->checksum, sum, 32) == 0);
    CHECK_EQ_U64(e->size, 4321);
    CHECK_EQ_U64(e->last_time_needed, 2000);
    CHECK_EQ_U64(e->stats.cpu_time_ns, 5000000);
    CHECK_EQ_U64(e->n_waiters, 0);
    CHECK(!artifacts_add_waiter(e, 1));
    CHECK(!artifacts_mark_prepared(t, e, "/x", sum, 1, NULL, 1));
    CHECK(!artifacts_mark_failed(t, e, 1, "x", 1));
    artifacts_touch(e, 2500);
    CHECK_EQ_U64(e->last_time_needed, 2500);

    /* Prepared whose file vanished → Preparing, failures reset, old path handed back */
    char *old = NULL;
    e->num_failures = 3;
    CHECK(artifacts_start_preparing(t, e, &old));
    CHECK(old && strcmp(old, "/cache/a.pvf") == 0);
    free(old);
    CHECK(e->state == ARTIFACT_PREPARING && e->path == NULL && e->num_failures == 0);

    /* Preparing → FailedToProcess, counting */
    CHECK(artifacts_add_waiter(e, 42));
    CHECK(artifacts_mark_failed(t, e, 9, "timed out", 3000));
    CHECK(e->state == ARTIFACT_FAILED_TO_PROCESS);
    CHECK_EQ_U64(e->num_failures, 1);
    CHECK_EQ_U64(e->last_time_failed, 3000);
    CHECK_EQ_U64(e->error_kind, 9);
    CHECK(e->error_msg && strcmp(e->error_msg, "timed out") == 0);
    CHECK_EQ_U64(e->n_waiters, 0);
    artifacts_touch(e, 9999); /* no effect outside Prepared */
    CHECK_EQ_U64(e->last_time_needed, 0);

    /* Retry rule: never for deterministic errors; after the cooldown;
     * num_failures <= 5 so six attempts in all. */
    CHECK(!artifacts_can_retry(e, true, 1000000, 200, 5));
    CHECK(!artifacts_can_retry(e, false, 3199, 200, 5));
    CHECK(artifacts_can_retry(e, false, 3200, 200, 5));
    CHECK(!artifacts_can_retry(e, false, 2000, 200, 5)); /* clock before failure */
    uint64_t now = 3000;
    for (int attempt = 2; attempt <= 6; attempt++) {
        CHECK(artifacts_can_retry(e, false, now + 200, 200, 5));
        CHECK(artifacts_start_preparing(t, e, &old));
        CHECK(old == NULL);
        CHECK_EQ_U64(e->num_failures, (uint64_t)attempt - 1); /* kept while retrying */
        now += 1000;
        CHECK(artifacts_mark_failed(t, e, 9, "timed out", now));
        CHECK_EQ_U64(e->num_failures, attempt);
    }
    CHECK(!artifacts_can_retry(e, false, now + 1000000, 200, 5));

    /* remove: failed entries have no path; prepared ones hand theirs back */
    CHECK(artifacts_remove(t, e) == NULL);
    CHECK(artifacts_lookup(t, &id) == NULL);
    artifact_entry *p = add_prepared(t, 8, 10, 1);
    CHECK(p != NULL);
    char *rp = artifacts_remove(t, p);
    CHECK(rp && strcmp(rp, "/nonexistent/artifact-8") == 0);
    free(rp);
    CHECK_EQ_U64(artifacts_count(t), 0);

    artifacts_close(t);
    remove_tree(dir);
}

/* ---- pruning ---- */

static void free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static bool paths_has(char **paths, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], path) == 0)
            return true;
    return false;
}

/* Reference test_pruned_by_cache_size and ..._because_of_stale_time: limit
 * 1500, three 1024-byte artifacts needed 5, 10 and 15 s ago. */
static void prune_case(uint64_t min_stale_ms, const bool expect_pruned[3])
{
    char *dir = make_temp_dir();
    artifacts *t = dir ? open_cache(dir, "v", 0, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    uint64_t now = 100000;
    add_prepared(t, 1, 1024, now - 5000);
    add_prepared(t, 2, 1024, now - 10000);
    add_prepared(t, 3, 1024, now - 15000);
    char **paths;
    size_t n;
    CHECK(artifacts_prune(t, now, 1500, min_stale_ms, &paths, &n));
    size_t expected = 0;
    for (uint8_t i = 1; i <= 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "/nonexistent/artifact-%u", i);
        artifact_id id = id_n(i);
        CHECK(paths_has(paths, n, path) == expect_pruned[i - 1]);
        CHECK((artifacts_lookup(t, &id) == NULL) == expect_pruned[i - 1]);
        expected += expect_pruned[i - 1];
    }
    CHECK_EQ_U64(n, expected);
    free_paths(paths, n);
    artifacts_close(t);
    remove_tree(dir);
}

TEST(artifacts_prune_reference_cases)
{
    prune_case(0, (const bool[3]){ false, true, true });
    /* stale 12 s: #3 goes; #2 (10 s) was used recently, which stops pruning
     * even though the cache is still over the limit. */
    prune_case(12000, (const bool[3]){ false, false, true });
    /* nothing is stale enough */
    prune_case(60000, (const bool[3]){ false, false, false });
}

TEST(artifacts_prune_limits)
{
    char *dir = make_temp_dir();
    artifacts *t = dir ? open_cache(dir, "v", 0, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    char **paths;
    size_t n;
    /* empty table */
    CHECK(artifacts_prune(t, 1000, 0, 0, &paths, &n));
    CHECK_EQ_U64(n, 0);
    /* host.rs `pruning`: limit 1024, two 1 KiB artifacts; #1 needed again
     * later, so #2 is swept; a second pulse sweeps nothing. */
    add_prepared(t, 1, 1024, 1000);
    add_prepared(t, 2, 1024, 1000);
    artifact_id id1 = id_n(1), id2 = id_n(2);
    artifacts_touch(artifacts_lookup(t, &id1), 2000);
    CHECK(artifacts_prune(t, 3000, 1024, 0, &paths, &n));
    CHECK_EQ_U64(n, 1);
    CHECK(n == 1 && strcmp(paths[0], "/nonexistent/artifact-2") == 0);
    free_paths(paths, n);
    CHECK(artifacts_lookup(t, &id2) == NULL && artifacts_lookup(t, &id1) != NULL);
    CHECK(artifacts_prune(t, 3000, 1024, 0, &paths, &n));
    CHECK_EQ_U64(n, 0);
    /* exactly at the limit is not over it */
    add_prepared(t, 3, 1000, 10);
    CHECK(artifacts_prune(t, 3000, 2024, 0, &paths, &n));
    CHECK_EQ_U64(n, 0);
    /* Preparing / failed entries have no size and are never pruned */
    artifact_id id4 = id_n(4), id5 = id_n(5);
    artifact_entry *e4 = artifacts_insert_preparing(t, &id4);
    artifact_entry *e5 = artifacts_insert_preparing(t, &id5);
    CHECK(e5 && artifacts_mark_failed(t, e5, 1, "x", 0));
    CHECK(artifacts_prune(t, 1u << 30, 0, 0, &paths, &n));
    CHECK_EQ_U64(n, 2);
    free_paths(paths, n);
    CHECK(artifacts_lookup(t, &id4) == e4 && artifacts_lookup(t, &id5) == e5);
    /* a last_time_needed in the future counts as recent */
    add_prepared(t, 6, 100, 5000);
    CHECK(artifacts_prune(t, 4000, 0, 0, &paths, &n));
    CHECK_EQ_U64(n, 0);
    artifacts_close(t);
    remove_tree(dir);
}

/* ---- files ---- */

TEST(artifacts_checksum_helper)
{
    char *dir = make_temp_dir();
    if (!dir) {
        CHECK(dir != NULL);
        return;
    }
    /* Empty file: the first word is XXH64("", seed 0) = 0xef46db3751d8e999, LE. */
    static const uint8_t xxh64_empty_le[8] = { 0x99, 0xe9, 0xd8, 0x51, 0x37, 0xdb, 0x46, 0xef };
    const char *empty = path_in(dir, "empty.pvf");
    CHECK(artifact_file_write(empty, NULL, 0));
    uint8_t sum[32];
    uint64_t size = 99;
    CHECK(artifact_file_checksum(empty, sum, &size));
    CHECK_EQ_U64(size, 0);
    CHECK(memcmp(sum, xxh64_empty_le, 8) == 0);

    uint8_t bytes[5000];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 31 + 7);
    char *p = strdup(path_in(dir, "a.pvf"));
    CHECK(artifact_file_write(p, bytes, sizeof bytes));
    uint8_t expected[32];
    hash_twox_256(bytes, sizeof bytes, expected);
    CHECK(artifact_file_checksum(p, sum, &size));
    CHECK_EQ_U64(size, sizeof bytes);
    CHECK(memcmp(sum, expected, 32) == 0);
    CHECK(artifact_file_verify(p, expected) == ARTIFACT_CHECK_OK);
    /* one flipped bit anywhere is detected */
    bytes[2500] ^= 1;
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 2500, SEEK_SET);
        fputc(bytes[2500], f);
        fclose(f);
    }
    CHECK(artifact_file_verify(p, expected) == ARTIFACT_CHECK_MISMATCH);
    unlink(p);
    CHECK(artifact_file_verify(p, expected) == ARTIFACT_CHECK_IO_ERROR);
    CHECK(artifact_file_verify(dir, expected) == ARTIFACT_CHECK_IO_ERROR);
    free(p);
    /* no temp files left behind by the atomic writes */
    CHECK(!exists(path_in(dir, "a.pvf")));
    remove_tree(dir);
}

TEST(artifacts_generated_paths)
{
    char *dir = make_temp_dir();
    artifacts *t = dir ? open_cache(dir, "v", 0, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    char *a = artifacts_generate_path(t), *b = artifacts_generate_path(t);
    CHECK(a && b && strcmp(a, b) != 0);
    if (a) {
        /* <cache>/0x + 128 hex + .pvf */
        size_t dl = strlen(dir);
        CHECK(strncmp(a, dir, dl) == 0 && a[dl] == '/');
        const char *name = a + dl + 1;
        CHECK_EQ_U64(strlen(name), 134);
        CHECK(name[0] == '0' && name[1] == 'x' && strcmp(name + 130, ".pvf") == 0);
        CHECK(strspn(name + 2, "0123456789abcdef") == 128);
    }
    free(a);
    free(b);
    artifacts_close(t);
    remove_tree(dir);
}

/* Reference cache_cleared_on_startup: which names go and which stay. */
TEST(artifacts_startup_cleanup)
{
    char *dir = make_temp_dir();
    if (!dir) {
        CHECK(dir != NULL);
        return;
    }
    char *cache = strdup(path_in(dir, "cache/nested"));
    /* creates missing parents */
    artifacts_startup_report rep;
    artifacts *t = open_cache(cache, "v", 0, &rep);
    CHECK(t != NULL);
    artifacts_close(t);
    CHECK_EQ_U64(rep.removed_files, 0);

    touch_file(path_in(cache, "abcd.pvfartifact"), "x");
    touch_file(path_in(cache, "polkadot_v1.2.3_prepare_worker"), "x");
    mkdir(path_in(cache, "worker-prepare-test"), 0755);
    touch_file(path_in(cache, "0xdeadbeef.pvf"), "x");
    touch_file(path_in(cache, ".tmp-0123.pvf"), "x");
    touch_file(path_in(cache, "wasmtime_1234"), "x");
    mkdir(path_in(cache, "worker-dir-prepare-abc"), 0755);
    mkdir(path_in(cache, "worker-dir-prepare-abc/sub"), 0755);
    touch_file(path_in(cache, "worker-dir-prepare-abc/sub/tmp-artifact"), "x");
    mkdir(path_in(cache, "worker-dir-execute-xyz"), 0755);
    t = open_cache(cache, "v", 0, &rep);
    CHECK(t != NULL);
    CHECK_EQ_U64(rep.removed_files, 5);
    CHECK_EQ_U64(rep.loaded, 0);
    CHECK(exists(path_in(cache, "abcd.pvfartifact")));
    CHECK(exists(path_in(cache, "polkadot_v1.2.3_prepare_worker")));
    CHECK(exists(path_in(cache, "worker-prepare-test")));
    CHECK(exists(path_in(cache, ARTIFACTS_MANIFEST_NAME)));
    CHECK(!exists(path_in(cache, "0xdeadbeef.pvf")));
    CHECK(!exists(path_in(cache, ".tmp-0123.pvf")));
    CHECK(!exists(path_in(cache, "wasmtime_1234")));
    CHECK(!exists(path_in(cache, "worker-dir-prepare-abc")));
    CHECK(!exists(path_in(cache, "worker-dir-execute-xyz")));
    artifacts_close(t);
    free(cache);
    remove_tree(dir);
}

/* ---- manifest across restarts ---- */

typedef struct saved_artifact {
    artifact_id id;
    char *path;
    uint8_t checksum[32];
    uint64_t size;
} saved_artifact;

/* Prepare an artifact file the way the host will: fresh name, atomic write,
 * checksum of the written bytes. */
static bool store_artifact(artifacts *t, uint8_t n, size_t len, saved_artifact *out)
{
    uint8_t *bytes = malloc(len);
    if (!bytes)
        return false;
    for (size_t i = 0; i < len; i++)
        bytes[i] = (uint8_t)(i ^ n);
    out->id = id_n(n);
    out->path = artifacts_generate_path(t);
    out->size = len;
    hash_twox_256(bytes, len, out->checksum);
    bool ok = out->path && artifact_file_write(out->path, bytes, len);
    free(bytes);
    artifact_entry *e = ok ? artifacts_insert_preparing(t, &out->id) : NULL;
    return e && artifacts_mark_prepared(t, e, out->path, out->checksum, len, NULL, 10);
}

static bool restored_as_saved(artifacts *t, const saved_artifact *s)
{
    artifact_entry *e = artifacts_lookup(t, &s->id);
    return e && e->state == ARTIFACT_PREPARED && strcmp(e->path, s->path) == 0 &&
           memcmp(e->checksum, s->checksum, 32) == 0 && e->size == s->size;
}

TEST(artifacts_manifest_restart)
{
    char *dir = make_temp_dir();
    artifacts *t = dir ? open_cache(dir, "pvf-1.0.0", 0, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    saved_artifact s[4];
    memset(s, 0, sizeof s);
    for (uint8_t i = 0; i < 4; i++)
        CHECK(store_artifact(t, (uint8_t)(i + 1), 1000u * (i + 1), &s[i]));
    /* one that never finished preparing and one that failed: not persisted */
    artifact_id pid = id_n(50), fid = id_n(51);
    artifacts_insert_preparing(t, &pid);
    artifact_entry *fe = artifacts_insert_preparing(t, &fid);
    if (fe)
        artifacts_mark_failed(t, fe, 1, "bad", 5);
    char err[256];
    CHECK(artifacts_save_manifest(t, err, sizeof err));
    artifacts_close(t);

    /* restart 1: everything Prepared comes back, with now as last-needed */
    artifacts_startup_report rep;
    t = open_cache(dir, "pvf-1.0.0", 777, &rep);
    if (!t) {
        remove_tree(dir);
        return;
    }
    CHECK_EQ_U64(rep.loaded, 4);
    CHECK_EQ_U64(rep.removed_files, 0);
    for (int i = 0; i < 4; i++) {
        CHECK(restored_as_saved(t, &s[i]));
        CHECK(exists(s[i].path));
    }
    CHECK_EQ_U64(artifacts_lookup(t, &s[0].id)->last_time_needed, 777);
    CHECK(artifacts_lookup(t, &pid) == NULL && artifacts_lookup(t, &fid) == NULL);
    CHECK_EQ_U64(artifacts_count(t), 4);

    /* removing one rewrites the manifest by itself */
    char *gone = artifacts_remove(t, artifacts_lookup(t, &s[3].id));
    CHECK(gone != NULL);
    free(gone);
    artifacts_close(t);

    /* damage: flip a byte of #1, delete #2's file */
    FILE *f = fopen(s[0].path, "r+b");
    CHECK(f != NULL);
    if (f) {
        int c = fgetc(f);
        fseek(f, 0, SEEK_SET);
        fputc(c ^ 0x80, f);
        fclose(f);
    }
    unlink(s[1].path);
    t = open_cache(dir, "pvf-1.0.0", 0, &rep);
    if (t) {
        CHECK_EQ_U64(rep.loaded, 1);
        CHECK_EQ_U64(rep.dropped_corrupt, 1);
        CHECK_EQ_U64(rep.dropped_missing, 1);
        CHECK(artifacts_lookup(t, &s[0].id) == NULL);
        CHECK(!exists(s[0].path)); /* corrupted file deleted */
        CHECK(artifacts_lookup(t, &s[1].id) == NULL);
        CHECK(restored_as_saved(t, &s[2]));
        /* #4 was removed from the manifest, so its file is just a stray *.pvf */
        CHECK(artifacts_lookup(t, &s[3].id) == NULL);
        CHECK(!exists(s[3].path));
        artifacts_close(t);
    }

    /* the survivor is still there for the same version ... */
    t = open_cache(dir, "pvf-1.0.0", 0, &rep);
    CHECK(t && rep.loaded == 1 && rep.dropped_corrupt == 0 && rep.dropped_missing == 0);
    artifacts_close(t);
    /* ... but a different engine version drops it and deletes the file */
    t = open_cache(dir, "pvf-1.0.1", 0, &rep);
    if (t) {
        CHECK_EQ_U64(rep.loaded, 0);
        CHECK_EQ_U64(rep.dropped_version, 1);
        CHECK(artifacts_lookup(t, &s[2].id) == NULL);
        CHECK(!exists(s[2].path));
        artifacts_close(t);
    }
    /* and going back does not resurrect it */
    t = open_cache(dir, "pvf-1.0.0", 0, &rep);
    CHECK(t && rep.loaded == 0 && rep.dropped_version == 0);
    artifacts_close(t);
    for (int i = 0; i < 4; i++)
        free(s[i].path);
    remove_tree(dir);
}

TEST(artifacts_manifest_foreign_target_and_garbage)
{
    char *dir = make_temp_dir();
    artifacts *t = dir ? open_cache(dir, "v1", 0, NULL) : NULL;
    if (!t) {
        remove_tree(dir);
        return;
    }
    saved_artifact s;
    memset(&s, 0, sizeof s);
    CHECK(store_artifact(t, 1, 64, &s));
    artifacts_close(t);

    /* Append hostile lines: bad hex, a name outside the cache, too few
     * fields, a duplicate id of the good entry, a symlink to a real file. */
    const char *mpath = path_in(dir, ARTIFACTS_MANIFEST_NAME);
    FILE *f = fopen(mpath, "a");
    CHECK(f != NULL);
    if (f) {
        char zeros[65];
        memset(zeros, '0', 64);
        zeros[64] = 0;
        const char *name = strrchr(s.path, '/') + 1;
        char code[65] = { 0 };
        for (int i = 0; i < 32; i++)
            snprintf(code + 2 * i, 3, "%02x", s.id.code_hash[i]);
        fprintf(f, "v1 x86_64-linux zz%s %s %s 1 %s\n", zeros + 2, zeros, zeros, name);
        fprintf(f, "v1 x86_64-linux %s %s %s 1 ../../etc/passwd\n", zeros, zeros, zeros);
        fprintf(f, "v1 x86_64-linux %s %s\n", zeros, zeros);
        fprintf(f, "garbage\n");
        fclose(f);
    }
    /* same version, other target: everything is foreign */
    artifacts_config cfg = { .cache_dir = dir, .engine_version = "v1", .target = "aarch64-linux" };
    artifacts_startup_report rep;
    char err[256];
    t = artifacts_open(&cfg, 0, &rep, err, sizeof err);
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_U64(rep.loaded, 0);
        CHECK_EQ_U64(rep.dropped_version, 1);
        CHECK_EQ_U64(rep.dropped_bad, 4);
        CHECK(!exists(s.path));
        artifacts_close(t);
    }
    /* a manifest with the wrong header is ignored entirely */
    touch_file(mpath, "not-a-manifest\n");
    t = open_cache(dir, "v1", 0, &rep);
    CHECK(t && rep.loaded == 0 && rep.dropped_bad == 0);
    artifacts_close(t);
    /* bad config values are refused with a message */
    artifacts_config bad = { .cache_dir = dir, .engine_version = "has space" };
    CHECK(artifacts_open(&bad, 0, NULL, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "engine version");
    free(s.path);
    remove_tree(dir);
}

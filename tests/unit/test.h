/*
 * test.h — a tiny unit-test framework.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_U64(a, b); }
 *
 * Tests register themselves (constructor attribute); tests/unit/main.c runs
 * them all (or those whose name contains argv[1]) and prints
 * "N passed, M failed". A test fails when any CHECK fails; it keeps running
 * so that one run shows every failing check.
 */
#ifndef PVF_TEST_H
#define PVF_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pvf/host.h"

typedef void (*test_fn)(void);
void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Where the shared test data is (PVF_TESTDATA, default ../shared/testdata). */
const char *test_data_dir(void);
/* Full path of a file under test_data_dir(); static buffer, NULL (and the test
 * is marked skipped, or failed in CI) when it does not exist. */
const char *test_data_path(const char *rel);
/* Read a whole file; malloc'd, NULL on error. */
uint8_t *test_read_file(const char *path, size_t *len);
/* Read a file under the test data (test_data_path); NULL when missing (skipped or failed). */
uint8_t *test_read_data(const char *rel, size_t *len);

/* The engine tier the tests that load code run it on: PVF_TIER_DEFAULT (the native tier on
 * x86-64), or the interpreter when their `_interp` twins set test_tier_interp. test_load_code
 * is pvf_code_load on that tier. */
extern bool test_tier_interp;
struct pvf_code;
struct pvf_code *test_load_code(const uint8_t *artifact, size_t len, char *err, size_t errlen);

/* A committed fixture module (a .wasm path) prepared for `profile` on `tier`, loaded and
 * instantiated without imports; false (and the test failed) when any step fails.
 * test_fixture_close frees what it holds. */
typedef struct test_fixture {
    struct pvf_code *code;
    struct pvf_store *store;
    struct pvf_instance *inst;
} test_fixture;
bool test_fixture_open(test_fixture *fx, const char *path, int profile, int tier);
void test_fixture_close(test_fixture *fx);

/* Whether this binary (and so the workers built beside it) runs under AddressSanitizer:
 * its allocator aborts instead of returning NULL past a memory limit, so tests of
 * memory limits can only check that the job failed, not that it reported OutOfMemory. */
bool test_under_asan(void);
/* PVF_TEST_LANDLOCK_ABI is set: landlock is capped on purpose (t-landlock-matrix.sh), so a
 * layer it lacks is a SKIP even under PVF_REQUIRE_ALL_LAYERS, and the cost tests don't run. */
bool test_landlock_capped(void);

/* test_procs.c: for tests of worker and job processes. */
uint64_t test_now_ms(void);                                 /* monotonic clock */
int test_count_fds(void);                                   /* open fds of this process */
int test_count_entries(const char *dir, const char *except); /* entries but . .. and except; -1 */
bool test_pid_gone(long pid);       /* reaped, not a zombie (kill(pid, 0) succeeds on zombies) */
/* A private /tmp/PREFIX-XXXXXX with tmp/ (TMPDIR points there: sockets), cache/ (made when
 * make_cache) and workers.log; test_workdir_restore_tmpdir puts TMPDIR back. */
typedef struct test_workdir {
    char root[64];
    char tmp[96];
    char cache[96];
    char log[128];
    char *old_tmpdir;
} test_workdir;
bool test_workdir_init(test_workdir *w, const char *prefix, bool make_cache);
void test_workdir_restore_tmpdir(test_workdir *w);
/* After a host test (workers already stopped): CHECK that the cache holds no worker dir or
 * temp file (artifacts and the manifest may stay) and that no socket is left in tmp; then
 * put TMPDIR back and remove the whole work dir. */
void test_workdir_finish(test_workdir *w);
/* A host configuration for tests: the defaults, the host's warnings and errors on stderr
 * marked as expected (test_host_log), the built workers, cache_dir and the workers' log under
 * the work dir (log NULL: to test_host_log too). */
void test_host_config(pvf_host_config *cfg, const char *cache_dir, const char *log);
void test_host_log(void *user, pvf_log_level level, const char *message);

/* test_procs.c: a log callback's messages as a test reads them: those containing `only` (NULL:
 * all), each followed by '\n', and how many arrived at each level. */
#include <pthread.h>
typedef struct test_log {
    pthread_mutex_t lock;
    const char *only;
    char text[4096];
    int at_level[PVF_LOG_INFO + 1];
    int calls;
} test_log;
#define TEST_LOG_INIT(filter) { .lock = PTHREAD_MUTEX_INITIALIZER, .only = (filter) }
void test_log_keep(void *user, pvf_log_level level, const char *message);

/* test_procs.c: the synchronous API's results as a test keeps them: into *r, the one there
 * before freed (so a test can ask again); declared OWNED_…, a result is freed when its variable
 * leaves scope, whichever way the test goes. A NULL result (no memory) fails the test. */
void test_execute(pvf_execute_result **r, pvf_host *h, const pvf_execute_request *rq);
void test_precheck(pvf_precheck_result **r, pvf_host *h, const uint8_t *code, size_t len,
                   const struct executor_params *ep);
void test_execute_free(pvf_execute_result **r);
void test_precheck_free(pvf_precheck_result **r);
#define OWNED_EXECUTE __attribute__((cleanup(test_execute_free)))
#define OWNED_PRECHECK __attribute__((cleanup(test_precheck_free)))

/* test_files.c: a JSON document (a failed check when unreadable or malformed; NULL then),
 * from a path relative to the repository root or (test_load_json) under the test data. */
struct json_value;
struct json_value *test_load_json_file(const char *path);
struct json_value *test_load_json(const char *rel);
/* Decode exactly `len` bytes of hex from s[0..slen); false on another length or a bad digit. */
#include <stdbool.h>
bool test_unhex(const char *s, size_t slen, uint8_t *out, size_t len);
/* Call fn for every data line of a TSV file (lines starting with '#' are comments);
 * returns the number of rows, -1 when the file can't be read. */
typedef void (*test_tsv_row_fn)(char **fields, size_t *lens, int n, int line_no);
int test_for_each_tsv_row(const char *path, test_tsv_row_fn fn);

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    __attribute__((constructor)) static void register_##name(void)        \
    {                                                                     \
        test_register(#name, test_##name);                                \
    }                                                                     \
    static void test_##name(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond))                                                      \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);            \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                \
    do {                                                                  \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
        if (a_ != b_)                                                     \
            test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                \
    do {                                                                  \
        const char *a_ = (a), *b_ = (b);                                  \
        if (strcmp(a_, b_))                                               \
            test_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"", a_, b_);     \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                   \
    do {                                                                  \
        const char *h_ = (hay), *n_ = (needle);                           \
        if (!h_ || !strstr(h_, n_))                                       \
            test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
    } while (0)

#endif

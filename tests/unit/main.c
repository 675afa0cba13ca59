/* main.c — runs the registered unit tests; see test.h. */
#include "test.h"
#include "worker/sandbox.h"

#include "pvf/engine.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MAX_TESTS 4096

static struct { const char *name; test_fn fn; } tests[MAX_TESTS];
static int ntests;
static int current_failures;
static int skipped_data;

void test_register(const char *name, test_fn fn)
{
    if (ntests < MAX_TESTS)
        tests[ntests++] = (typeof(tests[0])){ name, fn };
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failures++;
}

const char *test_data_dir(void)
{
    const char *d = getenv("PVF_TESTDATA");
    return d && *d ? d : "../shared/testdata";
}

const char *test_data_path(const char *rel)
{
    static char buf[4096];
    struct stat st;
    snprintf(buf, sizeof buf, "%s/%s", test_data_dir(), rel);
    if (stat(buf, &st) == 0)
        return buf;
    if (getenv("CI")) {
        test_fail(__FILE__, __LINE__, "test data missing: %s", buf);
    } else {
        fprintf(stderr, "  skipped: test data missing: %s\n", buf);
        skipped_data++;
    }
    return NULL;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

bool test_fixture_open(test_fixture *fx, const char *path, int profile, int tier)
{
    *fx = (test_fixture){ 0 };
    size_t n, len;
    uint8_t *wasm = test_read_file(path, &n), *artifact = NULL;
    pvf_engine_config cfg;
    pvf_engine_config_default(&cfg, (pvf_profile)profile);
    cfg.tier = (pvf_tier)tier;
    char err[256] = "cannot read the file";
    bool ok = wasm && pvf_prepare(wasm, n, &cfg, &artifact, &len, NULL, err, sizeof err) &&
              (fx->code = pvf_code_load(artifact, len, err, sizeof err)) && (fx->store = pvf_store_new()) &&
              (fx->inst = pvf_instantiate(fx->store, fx->code, NULL, false, NULL, err, sizeof err));
    if (!ok) {
        test_fail(__FILE__, __LINE__, "%s: %s", path, err);
        test_fixture_close(fx);
    }
    free(artifact);
    free(wasm);
    return ok;
}

void test_fixture_close(test_fixture *fx)
{
    pvf_store_free(fx->store);
    pvf_code_free(fx->code);
    *fx = (test_fixture){ 0 };
}

extern void __asan_init(void) __attribute__((weak));

bool test_tier_interp;

pvf_code *test_load_code(const uint8_t *artifact, size_t len, char *err, size_t errlen)
{
    pvf_code *code = pvf_code_load(artifact, len, err, errlen);
    if (code && test_tier_interp)
        pvf_code_use_interp(code);
    return code;
}

bool test_under_asan(void)
{
    return __asan_init != NULL;
}

/* Sandbox tests run code that must stay inside its namespaces; a test that
 * touched the real system (e.g. removed /dev/null) fails by name. */
static void check_system_intact(void)
{
    struct stat st;
    if (stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode))
        test_fail(__FILE__, __LINE__, "/dev/null is no longer a character device after this test");
}

bool test_landlock_capped(void)
{
    const char *v = getenv("PVF_TEST_LANDLOCK_ABI");
    return v && *v;
}

/* PVF_TEST_LANDLOCK_ABI=N (1–7) or off: the landlock matrix (tests/t-landlock-matrix.sh). */
static void cap_landlock(void)
{
    if (!test_landlock_capped())
        return;
    const char *v = getenv("PVF_TEST_LANDLOCK_ABI");
    int cap = strcmp(v, "off") ? atoi(v) : 0;
    if (cap < 0 || cap > 99 || (cap == 0 && strcmp(v, "off"))) {
        fprintf(stderr, "PVF_TEST_LANDLOCK_ABI must be an ABI number or off, not %s\n", v);
        exit(2);
    }
    sandbox_landlock_cap_abi(cap);
    printf("unit: landlock capped: %s (PVF_TEST_LANDLOCK_ABI)\n", cap ? v : "none at all");
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    cap_landlock();
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (filter && !strstr(tests[i].name, filter))
            continue;
        current_failures = 0;
        tests[i].fn();
        check_system_intact();
        if (current_failures) {
            fprintf(stderr, "FAIL %s\n", tests[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    if (skipped_data)
        printf("unit: %d checks skipped for missing test data\n", skipped_data);
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/*
 * test_alloc_failure.c — out of memory at every allocation of prepare, load,
 * instantiate and validate_block.
 *
 * This binary replaces malloc, calloc, realloc and free with wrappers around
 * glibc's own (__libc_malloc …) that, while armed, make the Nth allocation
 * fail and count what is allocated and freed. For N = 1, 2, … the real adder
 * PVF goes through pvf_runtime_prepare, pvf_code_load and
 * pvf_runtime_validate on a real block: each run must end with the right
 * result or a clean error that says "out of memory" (never a crash, never a
 * wrong result), and free everything it allocated. The loop ends at the
 * first N the whole path survives without meeting the failure.
 *
 * The host's request path gets the same treatment: every allocation the
 * caller's thread makes to submit an execution fails in turn, and the answer
 * must be the right verdict or Internal "out of memory", with nothing leaked
 * on the failed submissions.
 *
 * Not under AddressSanitizer, whose allocator is the one that must be there.
 */
#include "test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PVF_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PVF_UNDER_ASAN 1
#endif

#ifndef PVF_UNDER_ASAN
#include <dirent.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pvf/host.h"
#include "pvf/runtime.h"
#include "runtime/validation.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

/* Armed per thread: the host's and the workers' own threads allocate as they please. */
static _Thread_local bool armed;
static _Thread_local long countdown;    /* the allocation that fails when this reaches 0 */
static _Thread_local bool failed_one;   /* the failure was injected in this run */
static _Thread_local long allocated, freed;

/* Or armed for one other thread, named by its tid (the host thread). */
static atomic_long armed_tid;
static atomic_long tid_countdown;
static atomic_bool tid_failed_one;

static bool inject(void)
{
    if (atomic_load_explicit(&armed_tid, memory_order_relaxed) &&
        syscall(SYS_gettid) == atomic_load(&armed_tid)) {
        if (atomic_fetch_sub(&tid_countdown, 1) == 1) {
            atomic_store(&tid_failed_one, true);
            return true;
        }
        return false;
    }
    if (!armed || --countdown != 0)
        return false;
    failed_one = true;
    return true;
}

static void *counted(void *p)
{
    if (p && armed)
        allocated++;
    return p;
}

void *malloc(size_t n)
{
    return inject() ? NULL : counted(__libc_malloc(n));
}

void *calloc(size_t n, size_t size)
{
    return inject() ? NULL : counted(__libc_calloc(n, size));
}

void *realloc(void *p, size_t n)
{
    if (inject())
        return NULL;
    void *q = __libc_realloc(p, n);
    if (!p)
        return counted(q);
    if (q && n == 0 && armed)
        freed++;
    return q;
}

void free(void *p)
{
    if (p && armed)
        freed++;
    __libc_free(p);
}

static void arm(long n)
{
    allocated = freed = 0;
    failed_one = false;
    countdown = n;
    armed = true;
}

static bool is_oom(const char *msg)
{
    return strstr(msg, "out of memory") != NULL;
}

/* The adder PVF, its block 000 (decoded) and the result it must give, from the test data. */
typedef struct adder_block {
    uint8_t *code, *params, *expected;
    size_t code_len, params_len, expected_len;
    validation_params vp;
} adder_block;

static bool adder_block_load(adder_block *a)
{
    wasm_error e;
    a->code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &a->code_len);
    a->params = test_read_data("inputs/adder/000.params.scale", &a->params_len);
    a->expected = test_read_data("inputs/adder/000.expected_result.scale", &a->expected_len);
    return a->code && a->params && a->expected &&
           validation_params_decode_all(a->params, a->params_len, &a->vp, &e);
}

static void adder_block_free(adder_block *a)
{
    free(a->code);
    free(a->params);
    free(a->expected);
}

/* A backing execution of the block with `code` (views into a). */
static void adder_request(const adder_block *a, const uint8_t *code, size_t code_len, pvf_execute_request *rq)
{
    pvf_execute_request_init(rq);
    rq->code = code;
    rq->code_len = code_len;
    rq->parent_head = a->vp.parent_head.ptr;
    rq->parent_head_len = a->vp.parent_head.len;
    rq->relay_parent_number = a->vp.relay_parent_number;
    memcpy(rq->relay_parent_storage_root, a->vp.relay_parent_storage_root, 32);
    rq->max_pov_size = 5u << 20;
    rq->pov = a->vp.block_data.ptr;
    rq->pov_len = a->vp.block_data.len;
    rq->kind = PVF_KIND_BACKING;
}

/*
 * One run with the Nth allocation failing. Returns whether the failure was
 * met (false: the whole path ran without reaching the Nth allocation).
 */
static bool run_once(long n, const uint8_t *wasm, size_t wasm_len, const uint8_t *params,
                     size_t params_len, const uint8_t *expected, size_t expected_len)
{
    pvf_runtime_params p;
    pvf_runtime_params_default(&p);
    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    char err[512] = "";
    pvf_code *code = NULL;
    pvf_call_result r;
    memset(&r, 0, sizeof r);

    arm(n);
    bool prepared = pvf_runtime_prepare(wasm, wasm_len, &p, &artifact, &artifact_len, NULL, err, sizeof err);
    if (prepared)
        code = pvf_code_load(artifact, artifact_len, err, sizeof err);
    if (code)
        pvf_runtime_validate(code, params, params_len, &r);
    pvf_code_free(code);
    free(artifact);
    bool output_ok = r.outcome == PVF_OUTCOME_OK && r.output_len == expected_len &&
                     !memcmp(r.output, expected, expected_len);
    free(r.output);
    armed = false;

    bool met = failed_one;
    long a = allocated, f = freed;
    if (a != f)
        test_fail(__FILE__, __LINE__, "allocation %ld failed: %ld allocations, %ld frees", n, a, f);
    if (!met && !output_ok)
        test_fail(__FILE__, __LINE__, "no allocation failed, but the block did not validate: %s %s",
                  err, r.reason);
    if (met && !output_ok) {
        /* Failing is fine if it says why; a verdict (valid or invalid) never is. */
        bool ran = prepared && code;
        const char *why = ran ? r.reason : err;
        if ((ran && r.outcome != PVF_OUTCOME_ERROR) || !is_oom(why))
            test_fail(__FILE__, __LINE__, "allocation %ld failed: %s, \"%s\"", n,
                      ran ? (r.outcome == PVF_OUTCOME_OK ? "a wrong result" : "outcome invalid")
                          : "prepare or load failed", why);
    }
    return met;
}

TEST(alloc_failure_prepare_load_validate)
{
    adder_block a;
    if (adder_block_load(&a)) {
        long n = 1;
        while (n < 100000 && run_once(n, a.code, a.code_len, a.params, a.params_len, a.expected,
                                      a.expected_len))
            n++;
        CHECK(n > 10);          /* the path allocates; the loop really ran */
        CHECK(n < 100000);      /* and ended */
        printf("  [alloc_failure] %ld allocations, each failed once\n", n - 1);
    }
    adder_block_free(&a);
}
/* One synchronous execution through the host with the Nth allocation of this thread failing. */
static bool host_once(pvf_host *h, long n, const pvf_execute_request *rq, const uint8_t *expected,
                      size_t expected_len)
{
    pvf_execute_result *r = NULL;
    arm(n);
    test_execute(&r, h, rq);
    bool met = failed_one;
    char what[600] = "";
    if (r && r->verdict == PVF_VERDICT_VALID) {
        CHECK(r->result_len == expected_len && !memcmp(r->result, expected, expected_len));
    } else if (r && (!met || r->verdict != PVF_VERDICT_INTERNAL || !is_oom(r->message))) {
        snprintf(what, sizeof what, "%s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
    }
    test_execute_free(&r);      /* still armed: the result's own allocations count too */
    armed = false;
    if (what[0])
        test_fail(__FILE__, __LINE__, "allocation %ld of the submission failed: %s", n, what);
    else if (met && allocated != freed)
        test_fail(__FILE__, __LINE__, "a failed submission (allocation %ld) leaked: %ld allocations, %ld frees",
                  n, allocated, freed);
    return met;
}

TEST(alloc_failure_host_submission)
{
    adder_block a;
    test_workdir w;
    if (adder_block_load(&a) && test_workdir_init(&w, "pvf-allocfail", false)) {
        pvf_host_config cfg;
        test_host_config(&cfg, w.cache, w.log);
        char err[512];
        pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
        CHECK(h != NULL);
        if (h) {
            pvf_execute_request rq;
            adder_request(&a, a.code, a.code_len, &rq);
            long n = 1;
            while (n < 1000 && host_once(h, n, &rq, a.expected, a.expected_len))
                n++;
            CHECK(n > 1 && n < 1000);
            printf("  [alloc_failure] host submission: %ld allocations, each failed once\n", n - 1);
            pvf_host_stop(h);
        }
        test_workdir_finish(&w);
    }
    adder_block_free(&a);
}

/* The tid of this process's thread named `name` (the host names its thread "pvf-host"), or 0. */
static long thread_named(const char *name)
{
    long tid = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && !tid && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[320], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f) && !strncmp(comm, name, strlen(name)) &&
            (comm[strlen(name)] == '\n' || comm[strlen(name)] == 0))
            tid = strtol(e->d_name, NULL, 10);
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return tid;
}

/*
 * The host thread's side of the request path: the Nth allocation the host
 * thread makes after an execution is submitted fails. The request must still
 * be answered (no lost request, no crash): the right verdict, or Internal.
 */
TEST(alloc_failure_host_thread)
{
    adder_block a;
    test_workdir w;
    if (adder_block_load(&a) && test_workdir_init(&w, "pvf-allocfail-ht", false)) {
        pvf_host_config cfg;
        test_host_config(&cfg, w.cache, w.log);
        char err[512];
        pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
        CHECK(h != NULL);
        long host_tid = h ? thread_named("pvf-host") : 0;
        CHECK(host_tid > 0);
        if (h && host_tid > 0) {
            size_t code_len = a.code_len;
            uint8_t *variant = malloc(code_len + 8);
            pvf_execute_request rq;
            adder_request(&a, variant, code_len + 8, &rq);
            int fd = pvf_host_completion_fd(h);
            /* Each run its own code (the adder with a custom section naming the run): a failed
             * preparation is remembered for its artifact (the reference's cooldown), and every
             * run must start from a request the host has not seen. */
            CHECK(variant != NULL);
            long n = 1;
            for (; variant && n < 400; n++) {
                memcpy(variant, a.code, code_len);
                const uint8_t custom[8] = { 0x00, 0x06, 0x03, 'r', 'u', 'n', (uint8_t)n, (uint8_t)(n >> 8) };
                memcpy(variant + code_len, custom, sizeof custom);
                atomic_store(&tid_failed_one, false);
                atomic_store(&tid_countdown, n);
                atomic_store(&armed_tid, host_tid);
                uint64_t id = pvf_host_submit_execute(h, &rq, NULL, NULL);
                pvf_completion *c = NULL;
                struct pollfd p = { fd, POLLIN, 0 };
                while (id && !c && poll(&p, 1, 20000) > 0)
                    c = pvf_host_next_completion(h);
                bool answered = c != NULL;
                atomic_store(&armed_tid, 0);
                bool met = atomic_load(&tid_failed_one);
                if (!answered) {
                    test_fail(__FILE__, __LINE__, "host-thread allocation %ld failed: the request was "
                              "never answered", n);
                    break;
                }
                pvf_verdict v = c->execute->verdict;
                if (v == PVF_VERDICT_VALID)
                    CHECK(c->execute->result_len == a.expected_len &&
                          !memcmp(c->execute->result, a.expected, a.expected_len));
                else if (!met || v != PVF_VERDICT_INTERNAL)
                    test_fail(__FILE__, __LINE__, "host-thread allocation %ld failed: %s %s: %s", n,
                              pvf_verdict_name(v), c->execute->reason, c->execute->message);
                pvf_completion_free(c);
                if (!met)
                    break;
            }
            CHECK(n > 1 && n < 400);
            printf("  [alloc_failure] host thread: %ld allocations, each failed once\n", n - 1);
            free(variant);
            pvf_host_stop(h);
        }
        test_workdir_finish(&w);
    }
    adder_block_free(&a);
}
#endif

/*
 * test_host.c — the libpvf host (include/pvf/host.h) end to end with the
 * real worker binaries (build/bin/pvf-{prepare,execute}-worker, run from the
 * repo root) and their job processes: precheck, execution of the adder's
 * chain of blocks, the bad block, a PVF that never halts, and the artifact
 * lifecycle (deleted ⇒ re-prepared, corrupted ⇒ PossiblyInvalid then
 * re-prepared, kept across a restart); compressed-code and PoV bombs, the
 * prepare memory limit and timeout, and a prepare worker that can't spawn.
 *
 * Expected values: the adder's expected results were produced by V8 (not by
 * us); the verdict classes are the reference's (§1.5, §6). Every test runs
 * with a private TMPDIR and cache dir and checks afterwards that no worker
 * is left (the pids are gone, reaped), no socket and no worker dir.
 */
#define _GNU_SOURCE
#include "test.h"

#include "pvf/host.h"
#include "runtime/executor_params.h"
#include "runtime/validation.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

typedef struct hfix {
    test_workdir w;
    pvf_host *h;
    int prep_pids[8], exec_pids[8];
    int n_prep, n_exec;
} hfix;

static pvf_host *hfix_start(hfix *f)
{
    pvf_host_config cfg;
    test_host_config(&cfg, f->w.cache, f->w.log);
    cfg.execution_retry_delay_ms = 200;   /* the reference's test value */
    char err[512];
    pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
    if (!h)
        test_fail(__FILE__, __LINE__, "pvf_host_start: %s", err);
    return h;
}

static bool hfix_init(hfix *f)
{
    memset(f, 0, sizeof *f);
    if (!test_workdir_init(&f->w, "pvf-host", false))
        return false;
    f->h = hfix_start(f);
    return f->h != NULL;
}

/* hfix_init, and the kagome adder's code in *code (the caller frees it); false, with nothing
 * to free, when either is missing. */
static bool hfix_init_adder(hfix *f, uint8_t **code, size_t *len)
{
    *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", len);
    if (*code && hfix_init(f))
        return true;
    free(*code);
    *code = NULL;
    return false;
}

/* Remember the current workers' pids, to check later that they are gone. */
static void note_pids(hfix *f)
{
    int p = pvf_host_prepare_worker_pid(f->h), e = pvf_host_execute_worker_pid(f->h);
    if (p > 0 && f->n_prep < 8)
        f->prep_pids[f->n_prep++] = p;
    if (e > 0 && f->n_exec < 8)
        f->exec_pids[f->n_exec++] = e;
}

static void hfix_done(hfix *f)
{
    if (f->h) {
        note_pids(f);
        pvf_host_stop(f->h);
    }
    for (int i = 0; i < f->n_prep; i++)
        CHECK(test_pid_gone(f->prep_pids[i]));
    for (int i = 0; i < f->n_exec; i++)
        CHECK(test_pid_gone(f->exec_pids[i]));
    test_workdir_finish(&f->w);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0;
}

/* A request for code with an encoded ValidationParams (views into params). */
static bool make_request(const uint8_t *code, size_t code_len, const uint8_t *params, size_t params_len,
                         pvf_exec_request_kind kind, pvf_execute_request *rq)
{
    validation_params vp;
    wasm_error e;
    if (!validation_params_decode_all(params, params_len, &vp, &e)) {
        test_fail(__FILE__, __LINE__, "bad params file: %s", e.msg);
        return false;
    }
    pvf_execute_request_init(rq);
    rq->code = code;
    rq->code_len = code_len;
    rq->parent_head = vp.parent_head.ptr;
    rq->parent_head_len = vp.parent_head.len;
    rq->relay_parent_number = vp.relay_parent_number;
    memcpy(rq->relay_parent_storage_root, vp.relay_parent_storage_root, 32);
    rq->max_pov_size = 5u << 20;
    rq->pov = vp.block_data.ptr;
    rq->pov_len = vp.block_data.len;
    rq->kind = kind;
    return true;
}

/* Execute block `n` of the adder and compare with the V8-produced result. */
static void execute_adder_block(hfix *f, const uint8_t *code, size_t code_len, int n, pvf_exec_request_kind kind,
                                pvf_execute_result **out)
{
    char rel[96];
    size_t p_len = 0, x_len = 0;
    snprintf(rel, sizeof rel, "inputs/adder/%03d.params.scale", n);
    uint8_t *params = test_read_data(rel, &p_len);
    snprintf(rel, sizeof rel, "inputs/adder/%03d.expected_result.scale", n);
    uint8_t *expected = test_read_data(rel, &x_len);
    pvf_execute_request rq;
    test_execute_free(out);
    if (params && expected && make_request(code, code_len, params, p_len, kind, &rq)) {
        test_execute(out, f->h, &rq);
        const pvf_execute_result *r = *out;
        note_pids(f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        if (r->verdict != PVF_VERDICT_VALID)
            test_fail(__FILE__, __LINE__, "block %d: %s %s: %s", n, pvf_verdict_name(r->verdict), r->reason,
                      r->message);
        CHECK_EQ_U64(r->result_len, x_len);
        CHECK(r->result && r->result_len == x_len && !memcmp(r->result, expected, x_len));
    }
    free(params);
    free(expected);
}

TEST(pvfhost_precheck_adder_valid_and_cached)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, code, len, NULL);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    CHECK(!pr->cached);
    CHECK(pr->prepare_cpu_ns > 0);
    const char *path = pvf_host_artifact_path(f.h, code, len, NULL);
    CHECK(path != NULL);
    CHECK(file_exists(path));
    CHECK(path && strncmp(path, f.w.cache, strlen(f.w.cache)) == 0);

    /* Asked again: answered from the table, no preparation. */
    test_precheck(&pr, f.h, code, len, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    CHECK(pr->cached);

    /* A restart keeps it (the manifest binds it to this engine version). */
    note_pids(&f);
    pvf_host_stop(f.h);
    f.h = hfix_start(&f);
    if (f.h) {
        test_precheck(&pr, f.h, code, len, NULL);
        CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
        CHECK(pr->cached);
        CHECK_EQ_U64(pvf_host_prepare_worker_pid(f.h), (uint64_t)-1);   /* nothing spawned */
    }
    hfix_done(&f);
    free(code);
}

TEST(pvfhost_precheck_garbage_invalid_never_retried)
{
    static const uint8_t garbage[] = "this is not a wasm module at all";
    hfix f;
    if (!hfix_init(&f))
        return;
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, garbage, sizeof garbage, NULL);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_INVALID);
    CHECK(!pr->cached);
    CHECK(pr->reason[0] != 0);
    CHECK(pvf_host_artifact_path(f.h, garbage, sizeof garbage, NULL) == NULL);
    char first_reason[48];
    snprintf(first_reason, sizeof first_reason, "%s", pr->reason);
    /* The failure is remembered: same answer, no new preparation. */
    test_precheck(&pr, f.h, garbage, sizeof garbage, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_INVALID);
    CHECK(pr->cached);
    CHECK(!strcmp(pr->reason, first_reason));

    /* Execution of the same code: a deterministic preparation error. */
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    rq.code = garbage;
    rq.code_len = sizeof garbage;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    test_execute(&r, f.h, &rq);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_PREPARATION);
    CHECK_EQ_U64(r->attempts, 0);
    test_execute_free(&r);
    hfix_done(&f);
}

/* Issue 15: a request built from the SCALE a node has — the encoded ValidationParams, or the
 * encoded PersistedValidationData and PoV — validates the adder block as the hand-built one does;
 * bytes that do not decode are refused with why, and leave the request as it was. */
TEST(pvfhost_request_from_scale_bytes)
{
    size_t code_len, p_len, x_len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &code_len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    uint8_t *expected = test_read_data("inputs/adder/000.expected_result.scale", &x_len);
    validation_params vp;
    wasm_error e;
    hfix f;
    if (!code || !params || !expected || !validation_params_decode_all(params, p_len, &vp, &e) || !hfix_init(&f)) {
        free(code), free(params), free(expected);
        return;
    }
    /* the pieces as a node holds them, encoded independently of pvf's decoders */
    scale_writer w;
    scale_writer_init(&w);
    scale_write_byte_vec(&w, vp.parent_head.ptr, vp.parent_head.len);
    scale_write_u32(&w, vp.relay_parent_number);
    scale_write_raw(&w, vp.relay_parent_storage_root, 32);
    scale_write_u32(&w, 1234567);
    uint8_t *pvd, *pov;
    size_t pvd_len, pov_len;
    CHECK(scale_writer_finish(&w, &pvd, &pvd_len));
    scale_writer_init(&w);
    scale_write_byte_vec(&w, vp.block_data.ptr, vp.block_data.len);
    CHECK(scale_writer_finish(&w, &pov, &pov_len));

    pvf_execute_request from_params, from_pieces;
    pvf_execute_request_init(&from_params);
    pvf_execute_request_init(&from_pieces);
    char err[256];
    CHECK(pvf_execute_request_set_params(&from_params, params, p_len, err, sizeof err));
    CHECK(pvf_execute_request_set_pvd(&from_pieces, pvd, pvd_len, err, sizeof err));
    CHECK(pvf_execute_request_set_pov(&from_pieces, pov, pov_len, err, sizeof err));
    CHECK_EQ_U64(from_pieces.max_pov_size, 1234567);
    CHECK_EQ_U64(from_pieces.relay_parent_number, from_params.relay_parent_number);
    CHECK(from_pieces.pov_len == from_params.pov_len && !memcmp(from_pieces.pov, from_params.pov, vp.block_data.len));
    pvf_execute_request *both[] = { &from_params, &from_pieces };
    for (int i = 0; i < 2; i++) {
        both[i]->code = code;
        both[i]->code_len = code_len;
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        test_execute(&r, f.h, both[i]);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        CHECK(r->result_len == x_len && !memcmp(r->result, expected, x_len));
    }
    pvf_execute_request before = from_pieces;
    err[0] = 0;
    CHECK(!pvf_execute_request_set_pvd(&from_pieces, pvd, pvd_len - 1, err, sizeof err));
    CHECK_STR_CONTAINS(err, "PersistedValidationData do not decode");
    CHECK(!pvf_execute_request_set_pov(&from_pieces, params, p_len, err, sizeof err));  /* not a PoV alone */
    CHECK_STR_CONTAINS(err, "PoV does not decode");
    CHECK(!pvf_execute_request_set_params(&from_pieces, params, p_len - 1, err, sizeof err));
    CHECK_STR_CONTAINS(err, "ValidationParams do not decode");
    CHECK(before.parent_head == from_pieces.parent_head && before.pov == from_pieces.pov &&
          before.pov_len == from_pieces.pov_len && before.max_pov_size == from_pieces.max_pov_size &&
          before.relay_parent_number == from_pieces.relay_parent_number);     /* unchanged */
    hfix_done(&f);
    free(pvd), free(pov), free(code), free(params), free(expected);
}

/* A known host function imported with the wrong signature: prechecking pre-instantiates (links)
 * the artifact like the reference, so precheck fails with RuntimeConstruction — non-deterministic
 * in the reference (§6.1), hence Failed, not Invalid. Preparing for execution doesn't link; the
 * execution then fails to construct the runtime: PossiblyInvalid(RuntimeConstruction). */
TEST(pvfhost_precheck_links_the_host_functions)
{
    size_t len;
    uint8_t *code = test_read_file("tests/fixtures/engine/bad_import.wasm", &len);
    hfix f;
    if (!code || !hfix_init(&f)) {
        free(code);
        return;
    }
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, code, len, NULL);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "RuntimeConstruction"));
    CHECK_STR_CONTAINS(pr->message, "ext_hashing_blake2_256_version_1");
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    rq.code = code;
    rq.code_len = len;
    rq.kind = PVF_KIND_BACKING;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    test_execute(&r, f.h, &rq);
    note_pids(&f);
    /* The precheck failure is non-deterministic and the cooldown has not passed: no retry. */
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);
    CHECK_EQ_U64(r->attempts, 0);
    test_execute_free(&r);

    /* Other params (another artifact id): prepared for execution without linking, then the
     * execution can't construct the runtime, and the artifact is dropped. */
    executor_params ep;
    executor_params_init(&ep);
    executor_params_push(&ep, (executor_param){.kind = EXEC_PARAM_STACK_LOGICAL_MAX, .value = 65535});
    rq.executor_params = &ep;
    test_execute(&r, f.h, &rq);
    note_pids(&f);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
    CHECK(!strcmp(r->reason, "RuntimeConstruction"));
    CHECK_EQ_U64(r->attempts, 1);
    CHECK_EQ_U64(r->preparations, 1);
    CHECK(pvf_host_artifact_path(f.h, code, len, &ep) == NULL);
    test_execute_free(&r);
    executor_params_free(&ep);
    hfix_done(&f);
    free(code);
}

TEST(pvfhost_execute_adder_chain)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    int exec_pid = -1;
    validation_result prev;
    bool have_prev = false;
    for (int n = 0; n <= 4; n++) {
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        execute_adder_block(&f, code, len, n, PVF_KIND_BACKING, &r);
        CHECK_EQ_U64(r->attempts, 1);
        CHECK_EQ_U64(r->preparations, n == 0 ? 1 : 0);
        /* One execute worker serves the whole chain. */
        if (n == 0)
            exec_pid = pvf_host_execute_worker_pid(f.h);
        else
            CHECK_EQ_U64(pvf_host_execute_worker_pid(f.h), exec_pid);
        /* Chained: block n's parent head is block n-1's new head. */
        char rel[64];
        size_t p_len = 0;
        snprintf(rel, sizeof rel, "inputs/adder/%03d.params.scale", n);
        uint8_t *params = test_read_data(rel, &p_len);
        validation_params vp;
        wasm_error e;
        if (have_prev && params && validation_params_decode_all(params, p_len, &vp, &e))
            CHECK(vp.parent_head.len == prev.head_data.len &&
                  !memcmp(vp.parent_head.ptr, prev.head_data.ptr, prev.head_data.len));
        if (have_prev)
            validation_result_free(&prev);
        have_prev = false;
        static uint8_t keep[5][4096];
        if (r->result && r->result_len <= sizeof keep[n]) {
            memcpy(keep[n], r->result, r->result_len);
            have_prev = validation_result_decode_all(keep[n], r->result_len, &prev, &e);
        }
        free(params);
        test_execute_free(&r);
    }
    if (have_prev)
        validation_result_free(&prev);
    hfix_done(&f);
    free(code);
}

/* Issue 13, finding 6: a timeout of 2e13 ms wrapped in ms -> ns and budget x wall-clock factor
 * and made a valid block Invalid (HardTimeout) at once; now every product saturates. */
TEST(pvfhost_execute_huge_timeout_still_valid)
{
    size_t len, p_len = 0;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    hfix f;
    pvf_execute_request rq;
    if (code && params && hfix_init(&f)) {
        if (make_request(code, len, params, p_len, PVF_KIND_APPROVAL, &rq)) {
            OWNED_EXECUTE pvf_execute_result *r = NULL;
            rq.timeout_ms = 20000000000000ull;
            test_execute(&r, f.h, &rq);
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
            if (r->verdict != PVF_VERDICT_VALID)
                test_fail(__FILE__, __LINE__, "%s %s: %s", pvf_verdict_name(r->verdict), r->reason, r->message);
            test_execute_free(&r);
        }
        hfix_done(&f);
    }
    free(params);
    free(code);
}

/* Issue 13, finding 8: an oversized PoV was reported as Internal / CouldNotCreateLink. Over the
 * candidate's max_pov_size it is candidate-validation's ParamsTooLarge (Invalid); over what pvf's
 * wire carries (16 MiB), pvf's own limit (Internal), named. */
TEST(pvfhost_execute_oversized_pov_named)
{
    size_t len, p_len = 0;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    size_t big_len = (16u << 20) + 1;
    uint8_t *big = calloc(1, big_len);
    hfix f;
    pvf_execute_request rq;
    if (code && params && big && hfix_init(&f)) {
        if (make_request(code, len, params, p_len, PVF_KIND_BACKING, &rq)) {
            OWNED_EXECUTE pvf_execute_result *r = NULL;
            rq.pov = big;
            rq.pov_len = 5u << 20;              /* its encoding (+ 4 bytes of length) passes 5 MiB */
            test_execute(&r, f.h, &rq);
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
            CHECK_STR_CONTAINS(r->reason, "ParamsTooLarge");
            CHECK_STR_CONTAINS(r->message, "max_pov_size of 5242880");
            test_execute_free(&r);
            rq.pov_len = big_len;
            rq.max_pov_size = 64u << 20;
            test_execute(&r, f.h, &rq);
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);
            CHECK_STR_CONTAINS(r->reason, "ParamsTooLarge");
            CHECK_STR_CONTAINS(r->message, "pvf carries at most 16777216");
            test_execute_free(&r);
            CHECK_EQ_U64(pvf_host_execute_worker_pid(f.h), -1);     /* nothing was started for them */
        }
        hfix_done(&f);
    }
    free(big);
    free(params);
    free(code);
}

/* Issue 13, finding 7: a second host on a cache dir in use deleted the first one's worker dirs;
 * now it is refused, and says why. And finding 8: a regular file as the cache dir said "File
 * exists". */
TEST(pvfhost_one_host_per_cache_dir)
{
    hfix f;
    if (!hfix_init(&f))
        return;
    pvf_host_config cfg;
    test_host_config(&cfg, f.w.cache, f.w.log);
    char err[512] = "";
    pvf_host *second = pvf_host_start(&cfg, err, sizeof err);
    CHECK(second == NULL);
    CHECK_STR_CONTAINS(err, "is in use by another pvf host");
    if (second)
        pvf_host_stop(second);
    pvf_host_stop(f.h);             /* its lock goes with it: the next host may start */
    f.h = NULL;
    second = pvf_host_start(&cfg, err, sizeof err);
    CHECK(second != NULL);
    if (second)
        pvf_host_stop(second);
    char file[600];
    snprintf(file, sizeof file, "%s/not-a-dir", f.w.cache);
    FILE *fp = fopen(file, "w");
    if (fp)
        fclose(fp);
    cfg.cache_dir = file;
    CHECK(pvf_host_start(&cfg, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "Not a directory");
    unlink(file);
    hfix_done(&f);
}

/* Issue 13, findings 1 and 2: workers shared the host's session, process group, terminal and
 * stdout. Now each worker leads its own session, and its stdin/stdout are /dev/null. */
TEST(pvfhost_workers_in_their_own_session)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    execute_adder_block(&f, code, len, 0, PVF_KIND_BACKING, &r);
    test_execute_free(&r);
    int pids[2] = { pvf_host_prepare_worker_pid(f.h), pvf_host_execute_worker_pid(f.h) };
    for (int i = 0; i < 2; i++) {
        if (pids[i] <= 0)
            continue;
        CHECK_EQ_U64(getsid(pids[i]), pids[i]);         /* a session leader: its own session */
        CHECK(getsid(pids[i]) != getsid(0));
        CHECK_EQ_U64(getpgid(pids[i]), pids[i]);
        for (int fd = 0; fd <= 1; fd++) {
            char path[64], target[256] = "";
            snprintf(path, sizeof path, "/proc/%d/fd/%d", pids[i], fd);
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n < 0 && errno == EACCES)
                continue;                               /* a worker of another uid: can't look */
            target[n > 0 ? n : 0] = 0;
            CHECK_STR_EQ(target, "/dev/null");
        }
    }
    CHECK(pids[1] > 0);
    hfix_done(&f);
    free(code);
}

TEST(pvfhost_execute_bad_block_invalid)
{
    size_t len, p_len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/bad_state_mismatch.params.scale", &p_len);
    hfix f;
    if (!code || !params || !hfix_init(&f)) {
        free(code), free(params);
        return;
    }
    pvf_execute_request rq;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    if (make_request(code, len, params, p_len, PVF_KIND_APPROVAL, &rq)) {
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK(!strcmp(r->reason, "WorkerReportedInvalid"));
        CHECK_STR_CONTAINS(r->message, "unreachable");
        CHECK_STR_CONTAINS(r->message, "StateMismatch");         /* the runtime's panic message */
        CHECK_STR_CONTAINS(r->message, "wasm backtrace: #0 f");  /* and where it trapped */
        CHECK_EQ_U64(r->attempts, 1);    /* Invalid is final, even for approval */
        CHECK(r->result == NULL);
        test_execute_free(&r);
    }
    hfix_done(&f);
    free(code);
    free(params);
}

/* Execute fixture `path` on adder block 0's params through a host of `tier` (job_memory_mb 0:
 * the default limit); false when it could not be run at all. */
static bool execute_fixture_logged(const char *path, pvf_tier tier, uint64_t job_memory_mb, pvf_log_fn log,
                                   void *log_user, pvf_execute_result **r)
{
    size_t len, p_len;
    uint8_t *code = test_read_file(path, &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    test_workdir w;
    bool ran = false;
    if (code && params && test_workdir_init(&w, "pvf-host-fixture", false)) {
        pvf_host_config cfg;
        test_host_config(&cfg, w.cache, w.log);
        cfg.tier = tier;
        cfg.execute_job_memory_mb = job_memory_mb;
        if (log) {
            cfg.log = log;
            cfg.log_user = log_user;
            cfg.log_level = PVF_LOG_INFO;
        }
        char err[512];
        pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
        if (!h)
            test_fail(__FILE__, __LINE__, "pvf_host_start: %s", err);
        pvf_execute_request rq;
        if (h && make_request(code, len, params, p_len, PVF_KIND_APPROVAL, &rq)) {
            test_execute(r, h, &rq);
            ran = true;
        }
        pvf_host_stop(h);
        test_workdir_finish(&w);
    }
    CHECK(code != NULL);
    free(code);
    free(params);
    return ran;
}

static bool execute_fixture(const char *path, pvf_tier tier, uint64_t job_memory_mb, pvf_execute_result **r)
{
    return execute_fixture_logged(path, tier, job_memory_mb, NULL, NULL, r);
}

/* Issue 15: what the runtime logs and prints reaches the result and the host's log callback,
 * each line tagged with the candidate; logging changes no verdict (tests/fixtures/logs.wat). */
TEST(pvfhost_runtime_log_reaches_result_and_callback)
{
    static const char expected[] = "INFO pvf-test: hello\nPRINT: printed\nPRINT: 0xdead\nPRINT: 42\n"
                                   "ERROR runtime: panicked at 'boom'\n";
    static const pvf_tier tiers[] = { PVF_TIER_NATIVE, PVF_TIER_INTERP };
    for (size_t t = 0; t < 2; t++) {
        test_log k = TEST_LOG_INIT("runtime: ");
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        if (!execute_fixture_logged("tests/fixtures/logs.wasm", tiers[t], 0, test_log_keep, &k, &r))
            continue;
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK_STR_CONTAINS(r->message, "the runtime panicked: panicked at 'boom'");
        CHECK_STR_CONTAINS(r->message, "wasm backtrace: #0");
        CHECK(!strcmp(r->runtime_log, expected));
        if (strcmp(r->runtime_log, expected))
            test_fail(__FILE__, __LINE__, "runtime log on tier %zu: \"%s\"", t, r->runtime_log);
        /* one callback line per log line, tagged; the runtime's error a warning, the rest info */
        CHECK_EQ_U64(k.at_level[PVF_LOG_WARNING], 1);
        CHECK_EQ_U64(k.at_level[PVF_LOG_INFO], 4);
        CHECK_STR_CONTAINS(k.text, "candidate 1 (approval, code 0x");
        CHECK_STR_CONTAINS(k.text, "): runtime: PRINT: 0xdead\n");
        CHECK_STR_CONTAINS(k.text, "): runtime: ERROR runtime: panicked at 'boom'\n");
    }
    /* a Valid result carries an empty log, never NULL */
    OWNED_EXECUTE pvf_execute_result *v = NULL;
    const char *adder = test_data_path("pvf/kagome__pvf_hex_adder.wasm");
    if (adder && execute_fixture(adder, PVF_TIER_NATIVE, 0, &v)) {
        CHECK_EQ_U64(v->verdict, PVF_VERDICT_VALID);
        CHECK(v->runtime_log && !v->runtime_log[0]);
        CHECK(v->reason && !v->reason[0] && v->message && !v->message[0]);
    }
}

/* A guard-page fault in a sandboxed execute job (native tier) and the interpreter's bounds check
 * give the same verdict: the trap handler's syscalls (rt_sigaction, sigaltstack, rt_sigreturn)
 * and memory.grow's mprotect are on the job's allowlist. */
TEST(pvfhost_execute_out_of_bounds_invalid_on_both_tiers)
{
    static const pvf_tier tiers[] = { PVF_TIER_NATIVE, PVF_TIER_INTERP };
    for (size_t t = 0; t < 2; t++) {
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        if (!execute_fixture("tests/fixtures/oob.wasm", tiers[t], 0, &r))
            continue;
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK(!strcmp(r->reason, "WorkerReportedInvalid"));
        CHECK_STR_CONTAINS(r->message, "out of bounds memory access");
        test_execute_free(&r);
    }
}

/* Issue 13, finding 5: execute jobs have a memory limit, and it never fires on a PVF the
 * reference runs: the largest memory the default executor parameters allow, all of it touched,
 * fits (both tiers). A limit below what the engine needs is an out-of-memory job error — a
 * PossiblyInvalid, retried, never an Invalid verdict on the candidate. */
TEST(pvfhost_execute_job_memory_limit)
{
    static const pvf_tier tiers[] = { PVF_TIER_NATIVE, PVF_TIER_INTERP };
    for (size_t t = 0; t < 2; t++) {
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        if (!execute_fixture("tests/fixtures/grow_all.wasm", tiers[t], 0, &r))
            continue;
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        if (r->verdict != PVF_VERDICT_VALID)
            test_fail(__FILE__, __LINE__, "grow_all on tier %zu: %s: %s", t, r->reason, r->message);
        test_execute_free(&r);
    }
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    if (execute_fixture("tests/fixtures/grow_all.wasm", PVF_TIER_NATIVE, 64, &r)) {
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
        CHECK(!strcmp(r->reason, "JobError"));
        CHECK_STR_CONTAINS(r->message, "86 (out of memory)");
        test_execute_free(&r);
    }
    /* a limit over 1 TiB is refused at start */
    pvf_host_config cfg;
    test_host_config(&cfg, "/nonexistent-pvf-cache", NULL);
    cfg.execute_job_memory_mb = PVF_JOB_MEMORY_MB_MAX + 1;
    char err[256] = "";
    CHECK(pvf_host_start(&cfg, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "execute_job_memory_mb");
}

TEST(pvfhost_execute_halt_times_out_invalid)
{
    size_t len, p_len;
    uint8_t *code = test_read_file("tests/fixtures/halt.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    hfix f;
    if (!code || !params || !hfix_init(&f)) {
        CHECK(code != NULL);
        free(code), free(params);
        return;
    }
    pvf_execute_request rq;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    if (make_request(code, len, params, p_len, PVF_KIND_APPROVAL, &rq)) {
        rq.timeout_ms = 300;
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK(!strcmp(r->reason, "HardTimeout"));
        CHECK_EQ_U64(r->attempts, 1);    /* a timeout is never retried */
        test_execute_free(&r);
        /* The host carries on: the adder still validates afterwards. */
        size_t alen;
        uint8_t *adder = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &alen);
        if (adder) {
            execute_adder_block(&f, adder, alen, 0, PVF_KIND_BACKING, &r);
            test_execute_free(&r);
        }
        free(adder);
    }
    hfix_done(&f);
    free(code);
    free(params);
}

TEST(pvfhost_deleted_artifact_reprepared)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    execute_adder_block(&f, code, len, 0, PVF_KIND_BACKING, &r);
    CHECK_EQ_U64(r->preparations, 1);
    test_execute_free(&r);
    const char *path = pvf_host_artifact_path(f.h, code, len, NULL);
    CHECK(file_exists(path));
    char old[4096] = "";
    if (path) {
        snprintf(old, sizeof old, "%s", path);
        CHECK(unlink(old) == 0);
    }
    execute_adder_block(&f, code, len, 1, PVF_KIND_BACKING, &r);
    CHECK_EQ_U64(r->preparations, 1);    /* transparently prepared again */
    CHECK_EQ_U64(r->attempts, 1);
    test_execute_free(&r);
    path = pvf_host_artifact_path(f.h, code, len, NULL);
    CHECK(file_exists(path));
    CHECK(path && strcmp(path, old) != 0);  /* a fresh random name */
    hfix_done(&f);
    free(code);
}

/* Overwrite the middle of the artifact file: the size stays, the checksum breaks. */
static void corrupt_artifact(const char *path)
{
    FILE *fp = path ? fopen(path, "r+b") : NULL;
    CHECK(fp != NULL);
    if (!fp)
        return;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, size / 2, SEEK_SET);
    for (int i = 0; i < 16; i++)
        fputc(0xA5 ^ i, fp);
    fclose(fp);
}

TEST(pvfhost_corrupted_artifact_possibly_invalid_then_reprepared)
{
    size_t len, p_len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/001.params.scale", &p_len);
    hfix f;
    if (!code || !params || !hfix_init(&f)) {
        free(code), free(params);
        return;
    }
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    execute_adder_block(&f, code, len, 0, PVF_KIND_BACKING, &r);
    test_execute_free(&r);

    /* Backing: one attempt, PossiblyInvalid(CorruptedArtifact), artifact removed. */
    char old[4096] = "";
    const char *path = pvf_host_artifact_path(f.h, code, len, NULL);
    if (path)
        snprintf(old, sizeof old, "%s", path);
    corrupt_artifact(path);
    pvf_execute_request rq;
    if (make_request(code, len, params, p_len, PVF_KIND_BACKING, &rq)) {
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
        CHECK(!strcmp(r->reason, "CorruptedArtifact"));
        CHECK_EQ_U64(r->attempts, 1);
        test_execute_free(&r);
        CHECK(pvf_host_artifact_path(f.h, code, len, NULL) == NULL);
        CHECK(!file_exists(old));
    }
    /* The next request prepares it again and succeeds. */
    execute_adder_block(&f, code, len, 1, PVF_KIND_BACKING, &r);
    CHECK_EQ_U64(r->preparations, 1);
    test_execute_free(&r);

    /* Approval: the retry re-prepares at once and the same call is Valid. */
    corrupt_artifact(pvf_host_artifact_path(f.h, code, len, NULL));
    execute_adder_block(&f, code, len, 2, PVF_KIND_APPROVAL, &r);
    CHECK_EQ_U64(r->attempts, 2);
    CHECK_EQ_U64(r->preparations, 1);
    test_execute_free(&r);
    CHECK(file_exists(pvf_host_artifact_path(f.h, code, len, NULL)));

    /* The metrics saw both mismatches, the verdicts, and a host in secure mode. */
    static char text[65536];
    CHECK(pvf_host_metrics_render(f.h, text, sizeof text) < sizeof text);
    CHECK_STR_CONTAINS(text, "pvf_artifact_checksum_mismatches_total 2\n");
    CHECK_STR_CONTAINS(text, "pvf_execution_verdicts_total{verdict=\"PossiblyInvalid\"} 1\n");
    CHECK_STR_CONTAINS(text, "pvf_execution_verdicts_total{verdict=\"Valid\"} 3\n");
    CHECK_STR_CONTAINS(text, "pvf_sandbox_layer_available{layer=\"secure_mode\"} 1\n");
    hfix_done(&f);
    free(code);
    free(params);
}

/* Run a pvf command line; its first output line into out, exit status returned. */
static int run_cli(const char *cmd, char *out, size_t size)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(out, (int)size, p))
        out[0] = 0;
    char rest[256];
    while (fgets(rest, sizeof rest, p))
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(pvfhost_cli_precheck_and_validate)
{
    const char *code = test_data_path("pvf/kagome__pvf_hex_adder.wasm");
    char code_path[1024];
    if (!code)
        return;
    snprintf(code_path, sizeof code_path, "%s", code);
    const char *params = test_data_path("inputs/adder/002.params.scale");
    if (!params)
        return;
    char cmd[4096], out[8192];
    snprintf(cmd, sizeof cmd, "build/bin/pvf precheck --code '%s' --json 2>/dev/null", code_path);
    CHECK_EQ_U64(run_cli(cmd, out, sizeof out), 0);
    CHECK_STR_CONTAINS(out, "\"outcome\":\"valid\",\"via\":\"host\"");
    snprintf(cmd, sizeof cmd, "build/bin/pvf precheck --code tests/fixtures/halt.wat --json 2>/dev/null");
    CHECK_EQ_U64(run_cli(cmd, out, sizeof out), 1);
    CHECK_STR_CONTAINS(out, "\"outcome\":\"invalid\"");
    char metrics_path[128];
    snprintf(metrics_path, sizeof metrics_path, "/tmp/pvf-cli-metrics-%d.txt", (int)getpid());
    snprintf(cmd, sizeof cmd,
             "build/bin/pvf validate --code '%s' --params '%s' --kind approval --json --metrics %s 2>/dev/null",
             code_path, params, metrics_path);
    CHECK_EQ_U64(run_cli(cmd, out, sizeof out), 0);
    CHECK_STR_CONTAINS(out, "\"via\":\"host\",\"verdict\":\"Valid\"");
    size_t mlen = 0;
    char *metrics = (char *)test_read_file(metrics_path, &mlen);
    CHECK(metrics != NULL);
    if (metrics) {
        metrics = realloc(metrics, mlen + 1);
        metrics[mlen] = 0;
        CHECK_STR_CONTAINS(metrics, "pvf_execution_verdicts_total{verdict=\"Valid\"} 1\n");
        CHECK_STR_CONTAINS(metrics, "polkadot_pvf_exec_kind_selected{priority=\"approval\"} 1\n");
        free(metrics);
    }
    unlink(metrics_path);
    snprintf(cmd, sizeof cmd,
             "build/bin/pvf validate --code tests/fixtures/halt.wasm --params '%s' --exec-timeout-ms 200 --json 2>/dev/null",
             params);
    CHECK_EQ_U64(run_cli(cmd, out, sizeof out), 1);
    CHECK_STR_CONTAINS(out, "HardTimeout");
    CHECK_STR_CONTAINS(out, "\"cpu_ms\":null");       /* not a made-up 0.000 (issue 13, finding 8) */
    /* an absurd timeout is a usage error, not a number to multiply (issue 13, finding 6) */
    snprintf(cmd, sizeof cmd,
             "build/bin/pvf validate --code tests/fixtures/halt.wasm --params '%s' --exec-timeout-ms 20000000000000 2>&1",
             params);
    CHECK_EQ_U64(run_cli(cmd, out, sizeof out), 2);
    CHECK_STR_CONTAINS(out, "bad value for --exec-timeout-ms");
}

/* Entries of dir named pvf-cache-* (the CLI's temporary caches). */
static int count_temp_caches(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += !strncmp(e->d_name, "pvf-cache-", 10);
    closedir(d);
    return n;
}

static void remove_spawn_sockets(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!strncmp(e->d_name, "pvf-host-", 9))
            unlink(path);
    }
    if (d)
        closedir(d);
}

/* Issue 13, finding 8: `pvf validate` killed by SIGTERM left its temporary cache dir behind. Its
 * janitor removes it however pvf ends. */
TEST(pvfhost_cli_sigterm_leaves_no_temporary_cache)
{
    const char *params = test_data_path("inputs/adder/002.params.scale");
    test_workdir w;
    if (!params || !test_workdir_init(&w, "pvf-cli-term", false))
        return;
    char params_path[1024];
    snprintf(params_path, sizeof params_path, "%s", params);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("TMPDIR", w.tmp, 1);
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 1);
        dup2(nul, 2);
        execl("build/bin/pvf", "pvf", "validate", "--code", "tests/fixtures/halt.wasm", "--params", params_path,
              "--exec-timeout-ms", "60000", (char *)NULL);
        _exit(127);
    }
    /* wait until the halting block runs: the cache dir and a worker dir in it */
    bool running = false;
    for (int i = 0; i < 200 && !running && pid > 0; i++) {
        char cmd[1100];
        snprintf(cmd, sizeof cmd, "ls -d '%s'/pvf-cache-*/worker-dir-execute-* >/dev/null 2>&1", w.tmp);
        running = system(cmd) == 0;
        if (!running)
            nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
    }
    CHECK(running);
    if (pid > 0) {
        kill(pid, SIGTERM);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    }
    int left = -1;
    for (int i = 0; i < 100 && left != 0; i++) {     /* the janitor works once pvf and its workers are gone */
        left = count_temp_caches(w.tmp);
        if (left)
            nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
    }
    CHECK_EQ_U64(left, 0);
    /* A worker's spawn socket (TMPDIR/pvf-host-*, the reference's place) is left when the
     * SIGTERM comes between its bind and the worker's connect: not this test's subject. */
    remove_spawn_sockets(w.tmp);
    mkdir(w.cache, 0700);           /* test_workdir_finish looks into it; this test has none */
    test_workdir_finish(&w);
}

TEST(pvfhost_executor_params_specialise_workers)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    execute_adder_block(&f, code, len, 0, PVF_KIND_BACKING, &r);
    test_execute_free(&r);
    int first = pvf_host_execute_worker_pid(f.h);

    /* A timeout param changes the full hash (new worker) but not the prep hash (same artifact). */
    executor_params ep;
    executor_params_init(&ep);
    executor_params_push(&ep, (executor_param){EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_BACKING, 1500});
    size_t p_len = 0;
    uint8_t *params = test_read_data("inputs/adder/001.params.scale", &p_len);
    pvf_execute_request rq;
    if (params && make_request(code, len, params, p_len, PVF_KIND_BACKING, &rq)) {
        rq.executor_params = &ep;
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        CHECK_EQ_U64(r->preparations, 0);
        CHECK(pvf_host_execute_worker_pid(f.h) != first);
        CHECK(test_pid_gone(first));
        test_execute_free(&r);

        /* MaxMemoryPages is part of the prep hash: another artifact. */
        executor_params_push(&ep, (executor_param){EXEC_PARAM_MAX_MEMORY_PAGES, 0, 8192});
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
        CHECK_EQ_U64(r->preparations, 1);
        CHECK(pvf_host_artifact_path(f.h, code, len, &ep) != NULL);
        CHECK(pvf_host_artifact_path(f.h, code, len, NULL) != NULL);
        test_execute_free(&r);
    }
    executor_params_free(&ep);
    free(params);
    hfix_done(&f);
    free(code);
}

/* SIGKILL `pid` after delay_ms, from a child process; returns the child's pid. */
static pid_t kill_later(int pid, unsigned delay_ms)
{
    pid_t c = fork();
    if (c == 0) {
        usleep(delay_ms * 1000);
        kill(pid, SIGKILL);
        _exit(0);
    }
    return c;
}

/* The execute worker dies mid-job: backing gets PossiblyInvalid(AmbiguousWorkerDeath) at
 * once; approval retries once after the delay, on a fresh worker (§6.2). */
TEST(pvfhost_worker_death_retry_policy)
{
    size_t len, alen, p_len;
    uint8_t *code = test_read_file("tests/fixtures/halt.wasm", &len);
    uint8_t *adder = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &alen);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    hfix f;
    if (!code || !adder || !params || !hfix_init(&f)) {
        free(code), free(adder), free(params);
        return;
    }
    pvf_execute_request rq;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    for (int approval = 0; approval <= 1; approval++) {
        /* Start an execute worker (and prepare halt) first, so there is a pid to kill. */
        execute_adder_block(&f, adder, alen, 0, PVF_KIND_BACKING, &r);
        test_execute_free(&r);
        if (!make_request(code, len, params, p_len, approval ? PVF_KIND_APPROVAL : PVF_KIND_BACKING, &rq))
            break;
        rq.timeout_ms = 1000;
        OWNED_PRECHECK pvf_precheck_result *pr = NULL;
        test_precheck(&pr, f.h, code, len, NULL);
        int victim = pvf_host_execute_worker_pid(f.h);
        pid_t killer = kill_later(victim, 200);
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        waitpid(killer, NULL, 0);
        CHECK(test_pid_gone(victim));
        if (!approval) {
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_POSSIBLY_INVALID);
            CHECK(!strcmp(r->reason, "AmbiguousWorkerDeath"));
            CHECK_EQ_U64(r->attempts, 1);
        } else {
            /* The retry runs halt to its (shortened) timeout: Invalid. */
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
            CHECK(!strcmp(r->reason, "HardTimeout"));
            CHECK_EQ_U64(r->attempts, 2);
        }
        test_execute_free(&r);
    }
    hfix_done(&f);
    free(code);
    free(adder);
    free(params);
}

/* ================================================================ bombs, limits, spawn failures */

/* A host on the fixture's cache with one config field changed (after stopping the current one). */
typedef void (*hfix_tweak)(pvf_host_config *cfg, const void *arg);

static bool hfix_restart_with(hfix *f, hfix_tweak tweak, const void *arg)
{
    if (f->h) {
        note_pids(f);
        pvf_host_stop(f->h);
    }
    pvf_host_config cfg;
    test_host_config(&cfg, f->w.cache, f->w.log);
    cfg.execution_retry_delay_ms = 200;
    tweak(&cfg, arg);
    char err[512];
    f->h = pvf_host_start(&cfg, err, sizeof err);
    if (!f->h)
        test_fail(__FILE__, __LINE__, "pvf_host_start: %s", err);
    return f->h != NULL;
}

static void tweak_bomb_limit(pvf_host_config *cfg, const void *arg)
{
    cfg->validation_code_bomb_limit = *(const uint32_t *)arg;
}

static void tweak_prepare_path(pvf_host_config *cfg, const void *arg)
{
    cfg->prepare_worker_path = arg;
}

/* A compressed blob (reference-behaviour.md §4.3): the 8-byte magic, then a zstd frame of data. */
static uint8_t *make_blob(const uint8_t *data, size_t n, int level, size_t *out_len)
{
    static const uint8_t magic[8] = {0x52, 0xBC, 0x53, 0x76, 0x46, 0xDB, 0x8E, 0x05};
    size_t bound = ZSTD_compressBound(n);
    uint8_t *out = malloc(8 + bound);
    if (!out)
        return NULL;
    memcpy(out, magic, 8);
    size_t k = ZSTD_compress(out + 8, bound, data, n, level);
    if (ZSTD_isError(k)) {
        test_fail(__FILE__, __LINE__, "ZSTD_compress: %s", ZSTD_getErrorName(k));
        free(out);
        return NULL;
    }
    *out_len = 8 + k;
    return out;
}

/* A blob of n zero bytes: a few KiB that decompress to n. */
static uint8_t *make_zero_bomb(size_t n, size_t *out_len)
{
    uint8_t *zeros = calloc(1, n);
    uint8_t *blob = zeros ? make_blob(zeros, n, 3, out_len) : NULL;
    free(zeros);
    CHECK(blob != NULL);
    return blob;
}

/* §2.2 / §4.3: code decompressing to more than the bomb limit (30 MiB = 10 × MAX_CODE_SIZE) is
 * CouldNotDecompressCodeBlob, deterministic ⇒ precheck Invalid, execution Preparation (abstain). */
TEST(pvfhost_compressed_code_bomb_invalid)
{
    size_t len;
    uint8_t *bomb = make_zero_bomb((31u << 20), &len);
    hfix f;
    if (!bomb || !hfix_init(&f)) {
        free(bomb);
        return;
    }
    CHECK(len < 64 * 1024);     /* it really is a bomb: tiny on the wire */
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, bomb, len, NULL);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_INVALID);
    CHECK(!strcmp(pr->reason, "CouldNotDecompressCodeBlob"));
    CHECK_STR_CONTAINS(pr->message, "bomb");
    CHECK(pvf_host_artifact_path(f.h, bomb, len, NULL) == NULL);

    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    rq.code = bomb;
    rq.code_len = len;
    rq.kind = PVF_KIND_APPROVAL;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    test_execute(&r, f.h, &rq);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_PREPARATION);
    CHECK(!strcmp(r->reason, "CouldNotDecompressCodeBlob"));
    CHECK_EQ_U64(r->attempts, 0);
    CHECK_EQ_U64(r->preparations, 0);    /* deterministic: never prepared again */
    test_execute_free(&r);
    hfix_done(&f);
    free(bomb);
}

/* The limit's boundary with a configured limit: "more than limit" is a bomb, exactly limit is not;
 * compressed code that fits is decompressed, prepared and validates like the plain code. */
TEST(pvfhost_compressed_code_bomb_limit_boundary)
{
    size_t len, blen1, blen2;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *blob1 = code ? make_blob(code, len, 3, &blen1) : NULL;
    uint8_t *blob2 = code ? make_blob(code, len, 19, &blen2) : NULL;
    hfix f;
    if (!blob1 || !blob2 || !hfix_init(&f)) {
        free(code), free(blob1), free(blob2);
        return;
    }
    CHECK(blen1 != blen2 || memcmp(blob1, blob2, blen1) != 0);   /* two different code hashes */
    uint32_t limit = (uint32_t)len - 1;
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    if (hfix_restart_with(&f, tweak_bomb_limit, &limit)) {
        test_precheck(&pr, f.h, blob1, blen1, NULL);
        note_pids(&f);
        CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_INVALID);
        CHECK(!strcmp(pr->reason, "CouldNotDecompressCodeBlob"));
    }
    limit = (uint32_t)len;
    if (hfix_restart_with(&f, tweak_bomb_limit, &limit)) {
        test_precheck(&pr, f.h, blob2, blen2, NULL);
        note_pids(&f);
        CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        execute_adder_block(&f, blob2, blen2, 0, PVF_KIND_BACKING, &r);
        CHECK_EQ_U64(r->preparations, 0);
        test_execute_free(&r);
    }
    hfix_done(&f);
    free(code), free(blob1), free(blob2);
}

/* §2.8 / §6.1: a PoV decompressing to more than POV_BOMB_LIMIT (40 MiB) is
 * Invalid(PoVDecompressionFailure), final even for approval; so is a broken zstd frame.
 * A compressed PoV that fits validates like the plain one. */
TEST(pvfhost_pov_bomb_invalid)
{
    size_t len, p_len, x_len, bomb_len;
    uint8_t *code = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    uint8_t *expected = test_read_data("inputs/adder/000.expected_result.scale", &x_len);
    uint8_t *bomb = make_zero_bomb((40u << 20) + 1, &bomb_len);
    hfix f;
    if (!code || !params || !expected || !bomb || !hfix_init(&f)) {
        free(code), free(params), free(expected), free(bomb);
        return;
    }
    pvf_execute_request rq;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    if (make_request(code, len, params, p_len, PVF_KIND_APPROVAL, &rq)) {
        const uint8_t *plain_pov = rq.pov;
        size_t plain_len = rq.pov_len;
        rq.pov = bomb;
        rq.pov_len = bomb_len;
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK(!strcmp(r->reason, "PoVDecompressionFailure"));
        CHECK_EQ_U64(r->attempts, 1);
        CHECK(r->result == NULL);
        test_execute_free(&r);

        /* The magic followed by something that is not a zstd frame. */
        uint8_t broken[8 + 32];
        memcpy(broken, bomb, 8);
        memset(broken + 8, 0x5A, sizeof broken - 8);
        rq.pov = broken;
        rq.pov_len = sizeof broken;
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INVALID);
        CHECK(!strcmp(r->reason, "PoVDecompressionFailure"));
        test_execute_free(&r);

        size_t c_len;
        uint8_t *compressed = make_blob(plain_pov, plain_len, 3, &c_len);
        if (compressed) {
            rq.pov = compressed;
            rq.pov_len = c_len;
            rq.kind = PVF_KIND_BACKING;
            test_execute(&r, f.h, &rq);
            note_pids(&f);
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_VALID);
            CHECK(r->result && r->result_len == x_len && !memcmp(r->result, expected, x_len));
            test_execute_free(&r);
        }
        free(compressed);
    }
    hfix_done(&f);
    free(code), free(params), free(expected), free(bomb);
}

static executor_params one_param(executor_param p)
{
    executor_params ep;
    executor_params_init(&ep);
    CHECK(executor_params_push(&ep, p));
    return ep;
}

/* §2.2 / §4.2: PrecheckingMaxMemory limits every prepare job. Rococo prepares within the
 * smallest value the chain allows (256 MiB); a tiny limit is OutOfMemory, deterministic ⇒
 * precheck Invalid and execution Preparation. */
TEST(pvfhost_prepare_memory_limit)
{
    size_t len, p_len;
    uint8_t *code = test_read_data("pvf/smoldot__chainspec_rococo.wasm.zstdblob", &len);
    uint8_t *params = test_read_data("inputs/adder/000.params.scale", &p_len);
    hfix f;
    if (!code || !params || !hfix_init(&f)) {
        free(code), free(params);
        return;
    }
    executor_params ep = one_param((executor_param){EXEC_PARAM_PRECHECKING_MAX_MEMORY, 0, EXEC_PRECHECK_MEM_MAX_LO});
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, code, len, &ep);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    if (pr->outcome != PVF_PRECHECK_VALID)
        test_fail(__FILE__, __LINE__, "256 MiB: %s %s: %s", pvf_precheck_outcome_name(pr->outcome), pr->reason,
                  pr->message);
    executor_params_free(&ep);
    hfix_done(&f);

    /* A fresh cache: the limit is not part of the artifact id. Execution first (lenient
     * timeout, Compilation kind: the limit applies there too), then precheck. */
    if (!hfix_init(&f)) {
        free(code), free(params);
        return;
    }
    ep = one_param((executor_param){EXEC_PARAM_PRECHECKING_MAX_MEMORY, 0, 1u << 20});
    pvf_execute_request rq;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    if (make_request(code, len, params, p_len, PVF_KIND_BACKING, &rq)) {
        rq.executor_params = &ep;
        test_execute(&r, f.h, &rq);
        note_pids(&f);
        CHECK_EQ_U64(r->preparations, 1);
        CHECK_EQ_U64(r->attempts, 0);
        CHECK(r->verdict != PVF_VERDICT_VALID);
        if (!test_under_asan()) {
            CHECK_EQ_U64(r->verdict, PVF_VERDICT_PREPARATION);
            CHECK(!strcmp(r->reason, "OutOfMemory"));
        }
        test_execute_free(&r);
        test_precheck(&pr, f.h, code, len, &ep);
        CHECK(pr->cached);
        CHECK(pr->outcome != PVF_PRECHECK_VALID);
        if (!test_under_asan()) {
            CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_INVALID);
            CHECK(!strcmp(pr->reason, "OutOfMemory"));
        }
        CHECK(pvf_host_artifact_path(f.h, code, len, &ep) == NULL);
    }
    executor_params_free(&ep);
    hfix_done(&f);
    free(code), free(params);
}

/* §1.4 / §6.1–6.2: a precheck whose preparation runs out of time (PvfPrepTimeout(Precheck, 1 ms)
 * against rococo's ~250 ms) is TimedOut, non-deterministic ⇒ Failed (no vote); precheck never
 * retries; execution inside the 15 min cooldown answers Internal(NonDeterministicPrepareError). */
TEST(pvfhost_prepare_timeout_precheck_failed)
{
    size_t len;
    uint8_t *code = test_read_data("pvf/smoldot__chainspec_rococo.wasm.zstdblob", &len);
    hfix f;
    if (!code || !hfix_init(&f)) {
        free(code);
        return;
    }
    executor_params ep = one_param((executor_param){EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PRECHECK, 1});
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, code, len, &ep);
    note_pids(&f);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "TimedOut"));
    CHECK(!pr->cached);
    CHECK(pvf_host_artifact_path(f.h, code, len, &ep) == NULL);
    CHECK_EQ_U64(pvf_host_prepare_worker_pid(f.h), (uint64_t)-1);  /* retired (rip), §1.4 */

    test_precheck(&pr, f.h, code, len, &ep);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
    CHECK(!strcmp(pr->reason, "TimedOut"));
    CHECK(pr->cached);
    CHECK_EQ_U64(pvf_host_prepare_worker_pid(f.h), (uint64_t)-1);

    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    rq.code = code;
    rq.code_len = len;
    rq.kind = PVF_KIND_BACKING;
    OWNED_EXECUTE pvf_execute_result *r = NULL;
    test_execute(&r, f.h, &rq);
    CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);
    CHECK(!strcmp(r->reason, "NonDeterministicPrepareError"));
    CHECK_STR_CONTAINS(r->message, "TimedOut");
    CHECK_EQ_U64(r->preparations, 0);
    CHECK_EQ_U64(r->attempts, 0);
    test_execute_free(&r);
    executor_params_free(&ep);
    hfix_done(&f);
    free(code);
}

/* A prepare worker binary that does not exist: pvf_host_start refuses with an error naming it.
 * One that vanishes after the start: not the code's fault, so precheck is Failed (never
 * Invalid), answered at once (the execve error, not the 3 s spawn timeout), nothing
 * remembered, nothing left behind, and later requests are answered the same way. */
TEST(pvfhost_prepare_worker_spawn_failure_failed)
{
    size_t len;
    uint8_t *code;
    hfix f;
    if (!hfix_init_adder(&f, &code, &len))
        return;
    note_pids(&f);
    pvf_host_stop(f.h);
    f.h = NULL;
    pvf_host_config cfg;
    pvf_host_config_init(&cfg);
    cfg.log = test_host_log;
    cfg.cache_dir = f.w.cache;
    cfg.prepare_worker_path = "build/bin/pvf-no-such-prepare-worker";
    cfg.execute_worker_path = "build/bin/pvf-execute-worker";
    char err[512] = "";
    CHECK(pvf_host_start(&cfg, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "pvf-no-such-prepare-worker");

    /* A copy of the real binary that is deleted once the host runs. */
    char copy[600];
    snprintf(copy, sizeof copy, "%s/pvf-prepare-worker-copy", f.w.root);
    size_t blen;
    uint8_t *bin = test_read_file("build/bin/pvf-prepare-worker", &blen);
    FILE *out = bin ? fopen(copy, "wb") : NULL;
    CHECK(out && fwrite(bin, 1, blen, out) == blen);
    if (out)
        fclose(out);
    free(bin);
    chmod(copy, 0755);
    if (hfix_restart_with(&f, tweak_prepare_path, copy)) {
        unlink(copy);
        OWNED_PRECHECK pvf_precheck_result *pr = NULL;
        for (int i = 0; i < 2; i++) {
            uint64_t t0 = test_now_ms();
            test_precheck(&pr, f.h, code, len, NULL);
            uint64_t took = test_now_ms() - t0;
            CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_FAILED);
            CHECK(pr->reason[0] != 0);
            CHECK_STR_CONTAINS(pr->message, "pvf-prepare-worker-copy");
            CHECK(!pr->cached);      /* it tried to prepare: not an answer from the cache */
            CHECK(took < 1000);
            CHECK_EQ_U64(pvf_host_prepare_worker_pid(f.h), (uint64_t)-1);
            CHECK(pvf_host_artifact_path(f.h, code, len, NULL) == NULL);
        }
        pvf_execute_request rq;
        pvf_execute_request_init(&rq);
        rq.code = code;
        rq.code_len = len;
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        test_execute(&r, f.h, &rq);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);     /* abstain, never Invalid */
        CHECK_EQ_U64(r->attempts, 0);
        test_execute_free(&r);
    }
    unlink(copy);
    hfix_done(&f);
    free(code);
}

/* ================================================================ pruning */

typedef struct prune_cfg {
    uint64_t limit, min_stale_ms;
} prune_cfg;

static void tweak_pruning(pvf_host_config *cfg, const void *arg)
{
    const prune_cfg *p = arg;
    cfg->cleanup_pulse_ms = 50;
    cfg->artifact_cache_limit = p->limit;
    cfg->artifact_min_stale_ms = p->min_stale_ms;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Wait up to timeout_ms for the artifact of code to leave the table. */
static bool artifact_gone_within(hfix *f, const uint8_t *code, size_t len, uint64_t timeout_ms)
{
    uint64_t end = test_now_ms() + timeout_ms;
    while (pvf_host_artifact_path(f->h, code, len, NULL)) {
        if (test_now_ms() >= end)
            return false;
        usleep(10 * 1000);
    }
    return true;
}

/* §1.6 pruning on the cleanup pulse: with the cache over its limit, the least recently
 * needed artifact goes (file deleted) until the rest fits; artifacts needed less than the
 * minimum stale time ago are never pruned. The size is the artifact's own (the reference
 * measures the cache dir's inode: its §11). */
TEST(pvfhost_prunes_least_recently_needed_artifacts)
{
    size_t alen, hlen;
    uint8_t *adder = test_read_data("pvf/kagome__pvf_hex_adder.wasm", &alen);
    uint8_t *halt = test_read_file("tests/fixtures/halt.wasm", &hlen);
    hfix f;
    if (!adder || !halt || !hfix_init(&f)) {
        free(adder), free(halt);
        return;
    }
    /* Learn the sizes, on a host that never prunes. */
    OWNED_PRECHECK pvf_precheck_result *pr = NULL;
    test_precheck(&pr, f.h, adder, alen, NULL);
    CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
    uint64_t adder_size = file_size(pvf_host_artifact_path(f.h, adder, alen, NULL));
    CHECK(adder_size > 0);

    /* Over the limit, but everything was needed within the stale time: nothing goes. */
    prune_cfg fresh = {.limit = adder_size, .min_stale_ms = 3600 * 1000};
    if (hfix_restart_with(&f, tweak_pruning, &fresh)) {
        test_precheck(&pr, f.h, halt, hlen, NULL);
        CHECK_EQ_U64(pr->outcome, PVF_PRECHECK_VALID);
        usleep(300 * 1000);     /* several pulses */
        CHECK(pvf_host_artifact_path(f.h, adder, alen, NULL) != NULL);
        CHECK(pvf_host_artifact_path(f.h, halt, hlen, NULL) != NULL);
    }
    /* Stale allowed at once: the adder (needed longest ago) goes, halt fits and stays. */
    prune_cfg stale = {.limit = adder_size, .min_stale_ms = 0};
    if (hfix_restart_with(&f, tweak_pruning, &stale)) {
        char adder_path[4096] = "";
        const char *p = pvf_host_artifact_path(f.h, adder, alen, NULL);
        if (p)
            snprintf(adder_path, sizeof adder_path, "%s", p);
        test_precheck(&pr, f.h, halt, hlen, NULL);      /* halt: needed last */
        CHECK(artifact_gone_within(&f, adder, alen, 3000));
        CHECK(adder_path[0] && !file_exists(adder_path));
        CHECK(file_exists(pvf_host_artifact_path(f.h, halt, hlen, NULL)));
    }
    note_pids(&f);
    hfix_done(&f);
    free(adder);
    free(halt);
}

/* Issue 15: the host's messages reach the program's log callback with their level, filtered by
 * log_level; with no callback the library writes nothing to stderr. */
typedef struct host_log_capture {
    pthread_mutex_t mu;
    int warnings, infos, security_lines;
    char last_warning[512];
} host_log_capture;

static void capture_host_log(void *user, pvf_log_level level, const char *message)
{
    host_log_capture *c = user;
    pthread_mutex_lock(&c->mu);
    if (level == PVF_LOG_WARNING) {
        c->warnings++;
        snprintf(c->last_warning, sizeof c->last_warning, "%s", message);
    }
    c->infos += level == PVF_LOG_INFO;
    c->security_lines += strncmp(message, "pvf host: security: ", 20) == 0;
    pthread_mutex_unlock(&c->mu);
}

static void start_and_stop(test_workdir *w, pvf_log_fn fn, void *user, pvf_log_level level, bool no_sandbox)
{
    pvf_host_config cfg;
    test_host_config(&cfg, w->cache, w->log);
    cfg.log = fn;
    cfg.log_user = user;
    cfg.log_level = level;
    cfg.no_sandbox = no_sandbox;
    cfg.secure_validator_mode = !no_sandbox;
    char err[512];
    pvf_host *h = pvf_host_start(&cfg, err, sizeof err);
    if (!h)
        test_fail(__FILE__, __LINE__, "pvf_host_start: %s", err);
    pvf_host_stop(h);
}

TEST(pvfhost_log_callback_levels_and_silence)
{
    test_workdir w;
    if (!test_workdir_init(&w, "pvf-host-log", false))
        return;
    host_log_capture c = { .mu = PTHREAD_MUTEX_INITIALIZER };
    start_and_stop(&w, capture_host_log, &c, PVF_LOG_WARNING, true);
    CHECK_EQ_U64(c.warnings, 1);
    CHECK_STR_CONTAINS(c.last_warning, "pvf host: WARNING: running without any sandbox");
    CHECK_EQ_U64(c.infos, 0);

    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    start_and_stop(&w, capture_host_log, &c, PVF_LOG_ERROR, true);     /* warnings are above ERROR */
    CHECK_EQ_U64(c.warnings, 0);

    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    start_and_stop(&w, capture_host_log, &c, PVF_LOG_INFO, false);     /* the sandbox's start-up facts */
    CHECK_EQ_U64(c.security_lines, 4);

    /* no callback: not a byte on stderr */
    int p[2], saved = dup(2);
    CHECK(saved >= 0 && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    if (saved >= 0) {
        dup2(p[1], 2);
        start_and_stop(&w, NULL, NULL, PVF_LOG_INFO, true);
        dup2(saved, 2);
        close(saved);
        close(p[1]);
        char buf[256];
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        close(p[0]);
        buf[n > 0 ? n : 0] = 0;
        CHECK(n <= 0);
        if (n > 0)
            test_fail(__FILE__, __LINE__, "the host wrote to stderr without a log callback: %s", buf);
    }
    test_workdir_finish(&w);
}

/* Issue 15: the size-prefixed structs. A program built against another libpvf passes its own
 * sizeof: an older one (smaller) gets defaults for what it lacks, a newer one (bigger) is
 * refused only when it set a field this library does not know; size 0 (never initialised) is
 * refused with the fix in the message. */
TEST(pvfhost_abi_sized_structs)
{
    test_workdir w;
    if (!test_workdir_init(&w, "pvf-host-abi", false))
        return;
    char err[512];
    pvf_host_config cfg;
    test_host_config(&cfg, w.cache, w.log);

    pvf_host_config zero = cfg;
    zero.size = 0;
    CHECK(pvf_host_start(&zero, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "pvf_host_config.size is 0: initialise it with pvf_host_config_init");

    /* an older program, compiled before `log` existed: what lies past its size is not read */
    host_log_capture c = { .mu = PTHREAD_MUTEX_INITIALIZER };
    pvf_host_config older = cfg;
    older.size = offsetof(pvf_host_config, log);
    older.log = capture_host_log;
    older.log_user = &c;
    older.no_sandbox = true;                /* would log a warning, were it read */
    older.secure_validator_mode = false;
    pvf_host *h = pvf_host_start(&older, err, sizeof err);
    CHECK(h != NULL);
    pvf_host_stop(h);
    CHECK_EQ_U64(c.warnings, 0);

    /* a newer program: its extra bytes must be zero */
    struct { pvf_host_config cfg; uint64_t unknown_field; } newer;
    memset(&newer, 0, sizeof newer);
    pvf_host_config_init_sized(&newer.cfg, sizeof newer);
    CHECK_EQ_U64(newer.cfg.size, sizeof newer);
    newer.cfg.cache_dir = w.cache;
    newer.cfg.log = test_host_log;
    h = pvf_host_start(&newer.cfg, err, sizeof err);
    CHECK(h != NULL);
    pvf_host_stop(h);
    newer.unknown_field = 1;
    CHECK(pvf_host_start(&newer.cfg, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "fields this libpvf");

    /* a request never initialised: no verdict, the fix in the message */
    h = pvf_host_start(&cfg, err, sizeof err);
    if (h) {
        pvf_execute_request rq;
        memset(&rq, 0, sizeof rq);
        OWNED_EXECUTE pvf_execute_result *r = NULL;
        test_execute(&r, h, &rq);
        CHECK_EQ_U64(r->verdict, PVF_VERDICT_INTERNAL);
        CHECK_STR_CONTAINS(r->message, "initialise it with pvf_execute_request_init");
        CHECK_EQ_U64(pvf_host_submit_execute(h, &rq, NULL, NULL), 0);
        test_execute_free(&r);
        pvf_host_stop(h);
    }
    test_workdir_finish(&w);
}

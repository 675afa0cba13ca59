/*
 * prepare_worker.c — the prepare worker's loop (reference-behaviour.md §2.2).
 *
 * Per request: read PvfPrepData, run one prepare job (job.h) with the CPU
 * budget prep_timeout and, when PrecheckingMaxMemory is set, that memory
 * limit; write the artifact the job sends back to <worker-dir>/tmp-artifact
 * (the host renames it), and answer Result<PrepareWorkerSuccess, PrepareError>.
 *
 * The job body, and how its failures map to PrepareError:
 *   decompress with validation_code_bomb_limit   ⇒ CouldNotDecompressCodeBlob
 *   parse the Wasm binary (wasm_decode)          ⇒ Prevalidation
 *   prepare: validate, stack limiter, memory
 *   rewrite, compile (pvf_runtime_prepare)       ⇒ Preparation
 *   Prechecking only: load and link the artifact ⇒ RuntimeConstruction
 * This is the reference's split: its `prevalidate` only parses the module
 * (RuntimeBlob); validation happens inside Wasmtime's precompile, i.e. in
 * `prepare`. Both are deterministic, so the verdict is the same either way.
 * An allocation failure under the memory limit ("out of memory" in the
 * reason) becomes the OOM frame and exit (job_exit_out_of_memory).
 *
 * How the job ended (job_outcome) ⇒ PrepareError:
 *   OK + Ok frame          ⇒ success (unless writing tmp-artifact fails: IoErr)
 *   OK/UnexpectedExit + Err frame ⇒ that error
 *   OK + undecodable frame ⇒ JobError("…")
 *   TimedOut (CPU)         ⇒ TimedOut        WallTimeout ⇒ TimedOut
 *   Died (signal)          ⇒ JobDied{"received signal: SIGKILL", pid}
 *   UnexpectedExit         ⇒ JobError("unexpected exit status: N")
 *   OutOfMemory            ⇒ OutOfMemory     Error ⇒ JobError(msg)
 *   job_spawn failed       ⇒ Kernel(msg)
 */
#define _GNU_SOURCE
#include "worker/worker_common.h"
#include "worker/job.h"

#include "pvf/runtime.h"
#include "runtime/blob.h"
#include "runtime/hashing.h"
#include "wasm/module.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The reference's OOM_PAYLOAD: Err(PrepareError::OutOfMemory). */
static const uint8_t OOM_PAYLOAD[] = {0x01, 0x08};

typedef struct prepare_job_arg {
    const proto_pvf_prep_data *req;
    bool mem_limited;
    pvf_tier tier;              /* the artifact's tier (--tier) */
} prepare_job_arg;

/* ---------------------------------------------------------------- the job */

static void job_send(int fd, const proto_prepare_job_result *res)
{
    scale_writer sw;
    scale_writer_init(&sw);
    proto_prepare_job_result_write(&sw, res);
    proto_send(fd, &sw, NULL, 0);   /* a failed write shows as "no result" in the worker */
}

/*
 * An allocation failure is never a verdict on the code: under the memory
 * limit it is the reference's OutOfMemory; without one the reference's job
 * aborts (Rust's allocation-error handler), which the worker reports as
 * JobDied, a non-deterministic error: abort the same way.
 */
static void job_fail(const prepare_job_arg *a, int fd, proto_prepare_error_kind kind, const char *msg)
{
    if (strstr(msg, "out of memory")) {
        if (a->mem_limited)
            job_exit_out_of_memory(fd, OOM_PAYLOAD, sizeof OOM_PAYLOAD);
        abort();
    }
    proto_prepare_job_result res;
    memset(&res, 0, sizeof res);
    res.error.kind = kind;
    res.error.msg = proto_str(msg);
    job_send(fd, &res);
}

/* The reference's `prevalidate`: the module must parse. */
static bool prevalidate(const uint8_t *wasm, size_t len, bool bulk, char *err, size_t errlen)
{
    wasm_features f = WASM_FEATURES_PVF;
    f.bulk_memory = bulk;
    wasm_module m;
    wasm_error e;
    if (!wasm_decode(wasm, len, &f, &m, &e)) {
        wasm_error_text(&e, err, errlen);
        return false;
    }
    wasm_module_free(&m);
    return true;
}

static void runtime_params_of(const executor_params *ep, size_t wasm_len, pvf_tier tier, pvf_runtime_params *p)
{
    pvf_runtime_params_default(p);
    p->tier = tier;
    p->heap_max_pages = executor_params_heap_max_pages(ep);
    p->stack_logical_max = executor_params_stack_logical_max(ep);
    p->bulk_memory = executor_params_bulk_memory(ep);
    p->code_bomb_limit = wasm_len + 1;  /* already decompressed: a plain copy */
}

static void prepare_job(void *argp, int fd)
{
    const prepare_job_arg *a = argp;
    const proto_pvf_prep_data *req = a->req;

    char err[512];
    uint8_t *wasm;
    size_t wasm_len;
    if (!blob_decompress(req->maybe_compressed_code.ptr, req->maybe_compressed_code.len,
                         req->validation_code_bomb_limit, &wasm, &wasm_len, NULL, err, sizeof err)) {
        job_fail(a, fd, PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB, err);
        return;
    }
    pvf_runtime_params p;
    runtime_params_of(&req->executor_params, wasm_len, a->tier, &p);
    if (!prevalidate(wasm, wasm_len, p.bulk_memory, err, sizeof err)) {
        job_fail(a, fd, PREP_ERR_PREVALIDATION, err);
        return;
    }
    uint8_t *artifact;
    size_t artifact_len;
    if (!pvf_runtime_prepare(wasm, wasm_len, &p, &artifact, &artifact_len, NULL, err, sizeof err)) {
        job_fail(a, fd, PREP_ERR_PREPARATION, err);
        return;
    }
    if (req->prep_kind == PROTO_PREP_PRECHECKING) {
        /* The reference deserializes and pre-instantiates (links) the artifact. */
        pvf_code *code = pvf_code_inspect(artifact, artifact_len, err, sizeof err);
        if (!code || !pvf_runtime_check_linkable(code, err, sizeof err)) {
            pvf_code_free(code);
            job_fail(a, fd, PREP_ERR_RUNTIME_CONSTRUCTION, err);
            return;
        }
        pvf_code_free(code);
    }
    proto_prepare_job_result res;
    memset(&res, 0, sizeof res);
    res.ok = true;
    res.artifact = (scale_bytes){artifact, artifact_len};
    res.observed_wasm_code_len = (uint32_t)wasm_len;  /* ≤ the u32 bomb limit */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        res.memory_stats.has_max_rss = true;
        res.memory_stats.max_rss = ru.ru_maxrss;    /* KiB */
    }
    job_send(fd, &res);
    /* The process exits now: no need to free. */
}

/* ---------------------------------------------------------------- the worker side */

static void set_error(proto_prepare_result *r, proto_prepare_error_kind kind, const char *msg)
{
    memset(r, 0, sizeof *r);
    r->error.kind = kind;
    r->error.msg = proto_str(msg);
}

/* Write the artifact where the host expects it; false with msg on failure. */
static bool write_tmp_artifact(const worker_ctx *w, scale_bytes art, char *msg, size_t msglen)
{
    char path[4096];
    if (!worker_path(w, "tmp-artifact", path, sizeof path)) {
        snprintf(msg, msglen, "worker dir path too long");
        return false;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot create tmp-artifact: %s", strerror(errno));
        return false;
    }
    size_t done = 0;
    while (done < art.len) {
        ssize_t k = write(fd, art.ptr + done, art.len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            snprintf(msg, msglen, "cannot write tmp-artifact: %s", k < 0 ? strerror(errno) : "short write");
            close(fd);
            return false;
        }
        done += (size_t)k;
    }
    if (close(fd) != 0) {
        snprintf(msg, msglen, "cannot write tmp-artifact: %s", strerror(errno));
        return false;
    }
    return true;
}

/* A frame from the job: its error, or the success once the artifact is on disk. */
static void result_from_frame(const worker_ctx *w, const job_outcome *o, proto_prepare_result *r,
                              char *msg, size_t msglen)
{
    proto_prepare_job_result jr;
    wasm_error e;
    if (!proto_prepare_job_result_decode(o->payload, o->payload_len, &jr, &e)) {
        char text[WASM_ERROR_MAX + 64];
        snprintf(msg, msglen, "undecodable job result: %s", wasm_error_text(&e, text, sizeof text));
        set_error(r, PREP_ERR_JOB_ERROR, msg);
        return;
    }
    if (!jr.ok) {
        memset(r, 0, sizeof *r);
        r->error = jr.error;        /* views into o->payload, alive until sent */
        return;
    }
    if (o->kind != JOB_OK) {
        snprintf(msg, msglen, "unexpected exit status: %d", o->exit_status);
        set_error(r, PREP_ERR_JOB_ERROR, msg);
        return;
    }
    if (!write_tmp_artifact(w, jr.artifact, msg, msglen)) {
        set_error(r, PREP_ERR_IO_ERR, msg);
        return;
    }
    memset(r, 0, sizeof *r);
    r->ok = true;
    hash_twox_256(jr.artifact.ptr, jr.artifact.len, r->checksum);
    r->stats.cpu_time_elapsed = proto_duration_from_ns(o->cpu_ns);
    r->stats.memory_stats = jr.memory_stats;
    r->stats.observed_wasm_code_len = jr.observed_wasm_code_len;
}

static void classify(const worker_ctx *w, const job_outcome *o, proto_prepare_result *r,
                     char *msg, size_t msglen)
{
    switch (o->kind) {
    case JOB_OK:
        result_from_frame(w, o, r, msg, msglen);
        return;
    case JOB_UNEXPECTED_EXIT:
        if (o->payload) {
            result_from_frame(w, o, r, msg, msglen);
            return;
        }
        snprintf(msg, msglen, "unexpected exit status: %d", o->exit_status);
        set_error(r, PREP_ERR_JOB_ERROR, msg);
        return;
    case JOB_TIMED_OUT:
    case JOB_WALL_TIMEOUT:
        set_error(r, PREP_ERR_TIMED_OUT, "");
        return;
    case JOB_DIED:
        set_error(r, PREP_ERR_JOB_DIED, o->msg);
        r->error.job_pid = o->pid;
        return;
    case JOB_OUT_OF_MEMORY:
        set_error(r, PREP_ERR_OUT_OF_MEMORY, "");
        return;
    case JOB_ERROR:
    default:
        set_error(r, PREP_ERR_JOB_ERROR, o->msg);
        return;
    }
}

/* One request: returns false when the answer could not be sent. */
static bool handle_request(const worker_ctx *w, const proto_pvf_prep_data *req)
{
    prepare_job_arg arg = {req, false, worker_tier(w)};
    job_limits lim;
    worker_job_limits(w, &lim);
    lim.cpu_ms = worker_budget_ms(req->prep_timeout);
    lim.stall_ms = JOB_PREPARE_STALL_MS;
    lim.max_result = PROTO_MAX_PREPARE_JOB_RESPONSE;
    uint64_t mem;
    if (executor_params_prechecking_max_memory(&req->executor_params, &mem)) {
        lim.mem_bytes = mem ? mem : 1;
        arg.mem_limited = true;
    }

    proto_prepare_result r;
    char msg[512];
    job j;
    job_outcome o;
    memset(&o, 0, sizeof o);
    if (!job_spawn(&(job_body){NULL, prepare_job}, &arg, &lim, &j, msg, sizeof msg)) {
        set_error(&r, PREP_ERR_KERNEL, msg);
    } else {
        job_wait(&j, &o);
        classify(w, &o, &r, msg, sizeof msg);
    }
    if (!r.ok)
        worker_log(w, "prepare failed: %s%s%.*s", proto_prepare_error_name(r.error.kind),
                   r.error.msg.len ? ": " : "", (int)r.error.msg.len, (const char *)r.error.msg.ptr);

    scale_writer sw;
    scale_writer_init(&sw);
    proto_prepare_result_write(&sw, &r);
    char err[256];
    bool sent = proto_send(w->sock, &sw, err, sizeof err);
    if (!sent)
        worker_log(w, "sending the prepare result: %s", err);
    job_outcome_free(&o);
    return sent;
}

int prepare_worker_main(int argc, char **argv)
{
    worker_ctx w;
    int rc = worker_start(WORKER_PREPARE, argc, argv, &w);
    if (rc >= 0)
        return rc;
    for (;;) {
        uint8_t *p;
        size_t n;
        char err[256];
        frame_status st = frame_recv(w.sock, PROTO_MAX_PREPARE_REQUEST, &p, &n, err, sizeof err);
        if (st == FRAME_CLOSED)
            return WORKER_EXIT_OK;
        if (st != FRAME_OK) {
            worker_log(&w, "reading PvfPrepData: %s", err);
            return WORKER_EXIT_ERROR;
        }
        proto_pvf_prep_data req;
        wasm_error e;
        if (!proto_pvf_prep_data_decode(p, n, &req, &e)) {
            char text[WASM_ERROR_MAX + 64];
            worker_log(&w, "bad PvfPrepData: %s", wasm_error_text(&e, text, sizeof text));
            free(p);
            return WORKER_EXIT_ERROR;
        }
        bool sent = handle_request(&w, &req);
        proto_pvf_prep_data_free(&req);
        free(p);
        if (!sent)
            return WORKER_EXIT_ERROR;
    }
}

/*
 * execute_worker.c — the execute worker's loop (reference-behaviour.md §2.8).
 *
 * After the common start-up: read Handshake{ExecutorParams}. Per request:
 * read ExecuteRequest; unless <worker-dir>/artifact is the version already
 * loaded (loaded_code), read it and check its twox-256 against
 * artifact_checksum (mismatch ⇒ Ok(CorruptedArtifact), no job) and load it
 * (failure ⇒ Ok(RuntimeConstruction("execute: …")), no job);
 * decompress the PoV with the 40 MiB bomb limit (failure ⇒
 * Ok(PoVDecompressionFailure), no job), encode ValidationParams, hand them to
 * one execute job (job.h) with the CPU budget execution_timeout, and answer
 * Result<WorkerResponse, WorkerError>.
 *
 * The job is spawned ahead of its request (issue 14; job.h, a job with
 * input): after each answer the worker spawns the job for the next one, for
 * the code it has loaded, and only then collects the last job's exit. A job
 * made for another version of the code, or found dead when its request comes,
 * is replaced by a fresh one, so how it died decides nothing.
 *
 * The job body: its load step (before the job's allowlist) reserves the
 * engine's stacks (short of memory ⇒ exit 86); its run step instantiates,
 * reads the ValidationParams from its input pipe into the runtime's heap and
 * calls validate_block: OK ⇒ Ok(ValidationResult), INVALID ⇒
 * InvalidCandidate(reason), ERROR ⇒ RuntimeConstruction(reason). The job
 * writes Result<JobResponse, JobError> (always Ok: timeouts are the worker's
 * to detect) and its peak RSS (docs/PROTOCOL.md), and is killed there.
 *
 * How the job ended ⇒ the answer:
 *   OK + Ok(resp) frame     ⇒ Ok(WorkerResponse{resp, duration = job CPU, pov_size})
 *   OK + Err(TimedOut)      ⇒ Err(JobTimedOut);  OK + Err(e) ⇒ Err(JobError(e))
 *   TimedOut / WallTimeout  ⇒ Err(JobTimedOut)
 *   Died (signal)           ⇒ Err(JobDied{"received signal: SIGKILL", pid})
 *   UnexpectedExit(code)    ⇒ Err(JobError(UnexpectedExitStatus(code)))
 *   OutOfMemory             ⇒ Err(JobError(UnexpectedExitStatus(86))) (no limit is set)
 *   job_spawn failed        ⇒ Err(InternalError(Kernel(msg)))
 *   Error, or an undecodable frame ⇒ the worker exits (WORKER_EXIT_ERROR): the
 *     reference treats a bad pipe as an I/O error of the worker, which the
 *     host sees as a communication error (docs/PROTOCOL.md §2).
 * A bad frame from the host: answer Err(InternalError(HostCommunication))
 * if possible, then exit WORKER_EXIT_ERROR; an unreadable artifact file:
 * Err(InternalError(CouldNotOpenFile)), then exit.
 */
#define _GNU_SOURCE
#include "worker/worker_common.h"
#include "worker/job.h"

#include "pvf/runtime.h"
#include "runtime/blob.h"
#include "runtime/hashing.h"
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct execute_job_arg {
    const pvf_code *code;       /* loaded by the worker (loaded_code), inherited by the job */
} execute_job_arg;

/* ---------------------------------------------------------------- the job */

/* The response, with the job's peak RSS and what the runtime logged (log: a C string) in pvf's
 * trailer. */
static void job_send(int fd, const proto_job_response *resp, const char *log)
{
    proto_execute_job_result res;
    memset(&res, 0, sizeof res);
    res.ok = true;
    res.response = *resp;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0)
        res.max_rss_kib = (uint64_t)ru.ru_maxrss;   /* its own word, as a prepare job's: a metric only */
    res.runtime_log = (scale_bytes){(const uint8_t *)log, strlen(log)};
    scale_writer sw;
    scale_writer_init(&sw);
    proto_execute_job_result_write(&sw, &res);
    proto_send(fd, &sw, NULL, 0);   /* a failed write shows as "no result" in the worker */
}

static void job_reply_msg(int fd, proto_job_response_kind kind, const char *msg, const char *log)
{
    proto_job_response resp;
    memset(&resp, 0, sizeof resp);
    resp.kind = kind;
    resp.msg = proto_str(msg);
    job_send(fd, &resp, log);
}

/* The job's result pipe, for the engine's out-of-memory exit. */
static int job_result_fd = -1;

static void job_out_of_memory(void)
{
    job_exit_out_of_memory(job_result_fd, NULL, 0);
}

/* Before the job's allowlist. The code itself — machine code mapped, memory image built — and
 * the engine's stacks the job inherits from the worker (loaded_code, the worker's start); if
 * the worker could not reserve the stacks, the job does, against its memory limit. Short of
 * memory — here, or for a memory.grow later — the job is out of memory (exit 86), which is no
 * verdict on the candidate. */
static bool execute_job_load(void *argp, int fd)
{
    (void)argp;
    job_result_fd = fd;
    pvf_engine_on_out_of_memory(job_out_of_memory);
    if (!pvf_engine_reserve_stacks())
        job_exit_out_of_memory(fd, NULL, 0);
    return true;
}

/* Under the allowlist: instantiate while the worker waits for a request (job.h, a job with
 * input), then read the candidate's ValidationParams straight into the runtime's heap. */
static void execute_job(void *argp, int fd)
{
    const execute_job_arg *a = argp;
    char msg[sizeof ((pvf_call_result *)0)->reason + sizeof ((pvf_call_result *)0)->backtrace + 32];
    pvf_runtime_instance *ri = pvf_runtime_instantiate(a->code, "validate_block");
    uint64_t len;
    if (!job_input_length(&len))
        _exit(JOB_EXIT_SETUP_FAILED);   /* the worker gave this job up before its candidate */
    uint8_t *params = ri && len <= SIZE_MAX ? pvf_runtime_input(ri, (size_t)len) : NULL;
    if (params && !job_input_read(params, (size_t)len))
        _exit(JOB_EXIT_SETUP_FAILED);
    pvf_call_result out;
    pvf_runtime_validate_instance(ri, &out);
    if (out.outcome == PVF_OUTCOME_INVALID) {
        /* the trap, the runtime's panic message, and where in the wasm it happened — as the
         * reference's message carries wasmtime's "wasm backtrace" (issue 15) */
        if (out.backtrace[0])
            snprintf(msg, sizeof msg, "%s; wasm backtrace: %s", out.reason, out.backtrace);
        else
            snprintf(msg, sizeof msg, "%s", out.reason);
        job_reply_msg(fd, JOB_RESP_INVALID_CANDIDATE, msg, out.log);
        return;
    }
    if (out.outcome != PVF_OUTCOME_OK) {
        job_reply_msg(fd, JOB_RESP_RUNTIME_CONSTRUCTION, out.reason, out.log);
        return;
    }
    proto_job_response resp;
    memset(&resp, 0, sizeof resp);
    resp.kind = JOB_RESP_OK;
    wasm_error e;
    /* Lenient, like the reference (validation.h): trailing bytes are ignored. */
    if (!validation_result_decode(out.output, out.output_len, &resp.result, NULL, &e)) {
        char text[WASM_ERROR_MAX + 64];
        snprintf(msg, sizeof msg, "validation result decoding failed: %s",
                 wasm_error_text(&e, text, sizeof text));
        job_reply_msg(fd, JOB_RESP_INVALID_CANDIDATE, msg, out.log);
        return;
    }
    job_send(fd, &resp, out.log);
    /* The process exits now: no need to free. */
}

/* ---------------------------------------------------------------- the worker side */

/*
 * An execute job's memory limit (issue 13, finding 5): RLIMIT_DATA headroom over the worker's
 * own data. The reference sets none, so ours must never fire on a block it runs: the wasm
 * memory at the largest heap the executor params allow, as much again for the memory image and
 * the host functions' copies (trie roots, proofs, hashing), the engine's stack reservations
 * (RLIMIT_DATA counts them, touched or not) and 256 MiB for everything else — about 1.8 GiB
 * with the default heap (2080 pages); the worker reserves the stacks once and its jobs inherit
 * them, counted in the base then. Far below a machine, far above any valid block. Its
 * shared-memory escape (memfd + MAP_SHARED) is closed by the job's allowlist.
 * --job-memory-mb N (the host's execute_job_memory_mb) replaces the sum.
 */
#define JOB_MEMORY_SLACK (256ull << 20)

static uint64_t job_memory_limit(const worker_ctx *w, const executor_params *ep)
{
    if (w->job_memory_mb)
        return w->job_memory_mb << 20;
    uint64_t heap = (uint64_t)executor_params_heap_max_pages(ep) * PVF_WASM_PAGE_BYTES;
    return 2 * heap + pvf_engine_stack_reserve_bytes() + JOB_MEMORY_SLACK;
}

static bool send_result(const worker_ctx *w, const proto_execute_result *r)
{
    scale_writer sw;
    scale_writer_init(&sw);
    proto_execute_result_write(&sw, r);
    char err[256];
    if (!proto_send(w->sock, &sw, err, sizeof err)) {
        worker_log(w, "sending the execute result: %s", err);
        return false;
    }
    return true;
}

static bool send_internal(const worker_ctx *w, proto_internal_error_kind kind, const char *msg)
{
    proto_execute_result r;
    memset(&r, 0, sizeof r);
    r.error.kind = WORKER_ERR_INTERNAL;
    r.error.internal.kind = kind;
    r.error.internal.msg = proto_str(msg);
    worker_log(w, "internal error: %s: %s", proto_internal_error_name(kind), msg);
    return send_result(w, &r);
}

/* Ok(WorkerResponse{kind(msg), 0, 0}): an answer no job was needed for; msg may be NULL. */
static bool send_response_without_job(const worker_ctx *w, proto_job_response_kind kind, const char *msg)
{
    proto_execute_result r;
    memset(&r, 0, sizeof r);
    r.ok = true;
    r.job_response.kind = kind;
    if (msg)
        r.job_response.msg = proto_str(msg);
    return send_result(w, &r);
}

/*
 * Map the job's end to the answer. Returns false when the worker must exit
 * (a pipe it could not make sense of). *jr is decoded from o->payload and
 * must be freed by the caller (proto_execute_job_result_free).
 */
static bool classify(const worker_ctx *w, const job_outcome *o, uint32_t pov_size,
                     proto_execute_job_result *jr, proto_execute_result *r)
{
    memset(r, 0, sizeof *r);
    switch (o->kind) {
    case JOB_OK: {
        wasm_error e;
        if (!proto_execute_job_result_decode(o->payload, o->payload_len, jr, &e)) {
            char text[WASM_ERROR_MAX + 64];
            worker_log(w, "undecodable execute job result: %s", wasm_error_text(&e, text, sizeof text));
            return false;
        }
        if (jr->ok) {
            r->ok = true;
            r->job_response = jr->response;
            r->duration = proto_duration_from_ns(o->cpu_ns);
            r->pov_size = pov_size;
        } else if (jr->error.kind == JOB_ERR_TIMED_OUT) {
            r->error.kind = WORKER_ERR_JOB_TIMED_OUT;
        } else {
            r->error.kind = WORKER_ERR_JOB_ERROR;
            r->error.job_error = jr->error;
        }
        return true;
    }
    case JOB_TIMED_OUT:
    case JOB_WALL_TIMEOUT:
        r->error.kind = WORKER_ERR_JOB_TIMED_OUT;
        return true;
    case JOB_DIED:
        r->error.kind = WORKER_ERR_JOB_DIED;
        r->error.msg = proto_str(o->msg);
        r->error.job_pid = o->pid;
        return true;
    case JOB_UNEXPECTED_EXIT:
    case JOB_OUT_OF_MEMORY:
        r->error.kind = WORKER_ERR_JOB_ERROR;
        r->error.job_error.kind = JOB_ERR_UNEXPECTED_EXIT_STATUS;
        r->error.job_error.exit_status = o->exit_status;
        return true;
    case JOB_ERROR:
    default:
        worker_log(w, "execute job: %s", o->msg);
        return false;
    }
}

/* Encode ValidationParams from the request and the decompressed block data. */
static bool encode_params(const proto_execute_request *req, const uint8_t *block, size_t block_len,
                          uint8_t **out, size_t *out_len)
{
    validation_params vp;
    memset(&vp, 0, sizeof vp);
    vp.parent_head = req->pvd.parent_head;
    vp.block_data = (scale_bytes){block, block_len};
    vp.relay_parent_number = req->pvd.relay_parent_number;
    memcpy(vp.relay_parent_storage_root, req->pvd.relay_parent_storage_root, 32);
    scale_writer sw;
    scale_writer_init(&sw);
    validation_params_encode(&vp, &sw);
    return scale_writer_finish(&sw, out, out_len);
}

/* The job for the next request, spawned ahead of it (job.h, a job with input): it sets itself
 * up and instantiates `version` of the code while the worker waits. */
typedef struct next_job {
    job j;
    uint64_t version;           /* loaded_code.version it was spawned for; 0: none */
} next_job;

static bool spawn_next_job(const worker_ctx *w, const pvf_code *code, uint64_t version, next_job *nj, char *err,
                           size_t errlen)
{
    static const job_body body = {execute_job_load, execute_job};
    execute_job_arg arg = {code};       /* the child's copy of the stack holds it */
    job_limits lim;
    worker_job_limits(w, &lim);
    lim.keep_fd = pvf_code_image_fd(code);      /* the memory image every instance maps */
    lim.max_result = PROTO_MAX_EXECUTE_RESPONSE;
    lim.mem_bytes = w->job_memory_bytes;
    lim.takes_input = true;
    nj->version = 0;
    if (!job_spawn(&body, &arg, &lim, &nj->j, err, errlen))
        return false;
    nj->version = version;
    return true;
}

static void drop_next_job(next_job *nj)
{
    if (nj->version)
        job_kill(&nj->j);
    nj->version = 0;
}

/* One execution on the job spawned for it: the one made ahead, when it is for this version and
 * still waiting (one that died before its input is replaced by a fresh one, so its death decides
 * nothing), else a new one. After the answer, the next job is spawned, and only then this one's
 * exit collected. */
static bool run_job(const worker_ctx *w, const proto_execute_request *req, const pvf_code *code, uint64_t version,
                    const uint8_t *params, size_t params_len, uint32_t pov_size, next_job *nj)
{
    char msg[256];
    if (nj->version != version || !job_alive(&nj->j)) {
        drop_next_job(nj);
        if (!spawn_next_job(w, code, version, nj, msg, sizeof msg))
            return send_internal(w, INTERNAL_ERR_KERNEL, msg);
    }
    job j = nj->j;
    nj->version = 0;
    job_feed(&j, params, params_len, worker_budget_ms(req->execution_timeout), 0);
    job_outcome o;
    job_wait(&j, &o);
    proto_execute_job_result jr;
    memset(&jr, 0, sizeof jr);
    proto_execute_result r;
    bool ok = classify(w, &o, pov_size, &jr, &r);
    r.job_max_rss_kib = jr.max_rss_kib;
    r.runtime_log = jr.runtime_log;     /* borrowed from o, freed below */
    ok = ok && send_result(w, &r);
    proto_execute_job_result_free(&jr);
    job_outcome_free(&o);
    if (ok && !spawn_next_job(w, code, version, nj, msg, sizeof msg))
        worker_log(w, "spawning the next job ahead: %s (it will be tried again at the next request)", msg);
    job_reap(&j);     /* its teardown ran on the other core meanwhile */
    return ok;
}

/*
 * The artifact as the worker last loaded it (issue 14): read, checked against the request's
 * checksum, parsed, its machine code mapped and its memory image built once per artifact
 * version, in the worker; every job inherits the result. A version is the file's identity and
 * every time the kernel keeps of it (device, inode, size, mtime, ctime — ctime no one can set)
 * plus the checksum the host asks for: any change of the file, or another checksum, and the
 * worker reads and checks it again before the next job, as the reference does for every job.
 */
typedef struct loaded_code {
    pvf_code *code;
    struct stat st;
    uint8_t checksum[32];
    uint64_t version;           /* counts loads: names this one for the job spawned ahead */
} loaded_code;

static bool same_version(const loaded_code *c, const struct stat *st, const uint8_t checksum[32])
{
    return c->code && c->st.st_dev == st->st_dev && c->st.st_ino == st->st_ino && c->st.st_size == st->st_size &&
           c->st.st_mtim.tv_sec == st->st_mtim.tv_sec && c->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
           c->st.st_ctim.tv_sec == st->st_ctim.tv_sec && c->st.st_ctim.tv_nsec == st->st_ctim.tv_nsec &&
           memcmp(c->checksum, checksum, 32) == 0;
}

static void forget(loaded_code *c)
{
    uint64_t version = c->version;
    pvf_code_free(c->code);
    memset(c, 0, sizeof *c);
    c->version = version;
}

typedef enum load_status { LOAD_OK, LOAD_CORRUPTED, LOAD_FAILED, LOAD_NO_FILE } load_status;

/* Make c the artifact at path in the version `checksum` names. LOAD_FAILED: msg says why the
 * code can't be run (RuntimeConstruction); LOAD_NO_FILE: why the file can't be read. */
static load_status load_artifact(const worker_ctx *w, const char *path, const uint8_t checksum[32], loaded_code *c,
                                 char *msg, size_t msglen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        return LOAD_NO_FILE;
    }
    if (same_version(c, &st, checksum))
        return LOAD_OK;
    forget(c);
    size_t len;
    uint8_t *artifact = file_read(path, &len);
    if (!artifact) {
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        return LOAD_NO_FILE;
    }
    uint8_t sum[32];
    hash_twox_256(artifact, len, sum);
    if (memcmp(sum, checksum, 32) != 0) {
        free(artifact);
        return LOAD_CORRUPTED;
    }
    char err[512];
    bool native = worker_tier(w) == PVF_TIER_NATIVE;
    pvf_code *code = pvf_code_load(artifact, len, err, sizeof err);
    free(artifact);
    if (code && !native)
        pvf_code_use_interp(code);      /* an artifact of the native tier, run on the interpreter */
    if (!code || (native && !pvf_code_use_native(code, err, sizeof err))) {
        pvf_code_free(code);
        snprintf(msg, msglen, "execute: %s", err);
        return LOAD_FAILED;
    }
    pvf_code_build_image(code);
    *c = (loaded_code){code, st, {0}, c->version + 1};
    memcpy(c->checksum, checksum, 32);
    return LOAD_OK;
}

/* One request; false ⇒ the worker exits. */
static bool handle_request(const worker_ctx *w, const proto_execute_request *req, loaded_code *loaded,
                           next_job *nj)
{
    char path[4096];
    if (!worker_path(w, "artifact", path, sizeof path)) {
        send_internal(w, INTERNAL_ERR_COULD_NOT_OPEN_FILE, "worker dir path too long");
        return false;
    }
    char msg[4200];
    switch (load_artifact(w, path, req->artifact_checksum, loaded, msg, sizeof msg)) {
    case LOAD_OK:
        break;
    case LOAD_NO_FILE:
        send_internal(w, INTERNAL_ERR_COULD_NOT_OPEN_FILE, msg);
        return false;
    case LOAD_CORRUPTED:
        worker_log(w, "artifact checksum mismatch: CorruptedArtifact");
        return send_response_without_job(w, JOB_RESP_CORRUPTED_ARTIFACT, NULL);
    case LOAD_FAILED:
        worker_log(w, "%s", msg);
        return send_response_without_job(w, JOB_RESP_RUNTIME_CONSTRUCTION, msg);
    }

    uint8_t *block;
    size_t block_len;
    char err[256];
    if (!blob_decompress(req->pov.ptr, req->pov.len, PVF_REF_POV_BOMB_LIMIT, &block, &block_len, NULL,
                         err, sizeof err)) {
        worker_log(w, "PoV decompression failed: %s", err);
        return send_response_without_job(w, JOB_RESP_POV_DECOMPRESSION_FAILURE, NULL);
    }
    uint8_t *params;
    size_t params_len;
    bool ok;
    if (!encode_params(req, block, block_len, &params, &params_len))
        ok = send_internal(w, INTERNAL_ERR_KERNEL, "out of memory encoding ValidationParams");
    else {
        ok = run_job(w, req, loaded->code, loaded->version, params, params_len, (uint32_t)block_len, nj);
        free(params);
    }
    free(block);
    return ok;
}

/* Read one frame from the host; on a bad one, tell the host if we can. */
static frame_status recv_host(const worker_ctx *w, const char *what, size_t max, uint8_t **p, size_t *n)
{
    char err[256];
    frame_status st = frame_recv(w->sock, max, p, n, err, sizeof err);
    if (st == FRAME_ERROR) {
        char msg[320];
        snprintf(msg, sizeof msg, "reading %s: %s", what, err);
        send_internal(w, INTERNAL_ERR_HOST_COMMUNICATION, msg);
    }
    return st;
}

static void report_bad_message(const worker_ctx *w, const char *what, const wasm_error *e)
{
    char text[WASM_ERROR_MAX + 64], msg[WASM_ERROR_MAX + 128];
    snprintf(msg, sizeof msg, "bad %s: %s", what, wasm_error_text(e, text, sizeof text));
    send_internal(w, INTERNAL_ERR_HOST_COMMUNICATION, msg);
}

int execute_worker_main(int argc, char **argv)
{
    worker_ctx w;
    int rc = worker_start(WORKER_EXECUTE, argc, argv, &w);
    if (rc >= 0)
        return rc;

    uint8_t *p;
    size_t n;
    frame_status st = recv_host(&w, "Handshake", PROTO_MAX_SMALL_MESSAGE, &p, &n);
    if (st != FRAME_OK)
        return st == FRAME_CLOSED ? WORKER_EXIT_OK : WORKER_EXIT_ERROR;
    executor_params ep;
    wasm_error e;
    bool ok = proto_exec_handshake_decode(p, n, &ep, &e);
    free(p);
    if (!ok) {
        report_bad_message(&w, "Handshake", &e);
        return WORKER_EXIT_ERROR;
    }
    /* The interpreter needs no big native stack (the reference's 2 MiB +
     * StackNativeMax thread): the params only matter for the artifact,
     * which was prepared with them — and for the jobs' memory limit. */
    w.job_memory_bytes = job_memory_limit(&w, &ep);
    executor_params_free(&ep);
    pvf_runtime_init();         /* libsodium's setup (getrandom), once: every job inherits it */
    /* The engine's stacks and fault handler, once: every job inherits them (else each job
     * reserves its own in its load step). */
    if (!pvf_engine_reserve_stacks())
        worker_log(&w, "cannot reserve the engine's stacks: each job will try itself");

    loaded_code loaded;
    memset(&loaded, 0, sizeof loaded);
    next_job nj;
    memset(&nj, 0, sizeof nj);
    int rc_end;
    for (;;) {
        st = recv_host(&w, "ExecuteRequest", PROTO_MAX_EXECUTE_REQUEST, &p, &n);
        if (st != FRAME_OK) {
            rc_end = st == FRAME_CLOSED ? WORKER_EXIT_OK : WORKER_EXIT_ERROR;
            break;
        }
        proto_execute_request req;
        if (!proto_execute_request_decode(p, n, &req, &e)) {
            report_bad_message(&w, "ExecuteRequest", &e);
            free(p);
            rc_end = WORKER_EXIT_ERROR;
            break;
        }
        ok = handle_request(&w, &req, &loaded, &nj);
        free(p);
        if (!ok) {
            rc_end = WORKER_EXIT_ERROR;
            break;
        }
    }
    drop_next_job(&nj);
    forget(&loaded);
    return rc_end;
}

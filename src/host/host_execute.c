/*
 * host_execute.c — pvf_host_execute: make sure the artifact is prepared, run
 * the candidate through an execute worker specialised to the executor
 * params, classify the outcome into the ValidationError classes
 * (reference-behaviour.md §1.5 "Result handling", §6.1) and apply the
 * approval/dispute retry policy of candidate-validation (§6.2 step 4).
 */
#define _GNU_SOURCE
#include "host/host_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/validation.h"

#define HOST_MAX_POV_SIZE (10u << 20)   /* MAX_POV_SIZE, the default pvd.max_pov_size */

/* The retry budgets of §6.2: one retry per class. */
typedef enum retry_class {
    RETRY_NONE = 0,     /* final: Valid, Invalid, Preparation */
    RETRY_DEATH,        /* AmbiguousWorkerDeath, AmbiguousJobDeath */
    RETRY_JOB_ERROR,    /* JobError */
    RETRY_INTERNAL,     /* Internal */
    RETRY_ARTIFACT,     /* RuntimeConstruction, CorruptedArtifact: re-prepare, retry at once */
    RETRY_CLASS_COUNT,
} retry_class;

const char *pvf_verdict_name(pvf_verdict v)
{
    switch (v) {
    case PVF_VERDICT_VALID: return "Valid";
    case PVF_VERDICT_INVALID: return "Invalid";
    case PVF_VERDICT_POSSIBLY_INVALID: return "PossiblyInvalid";
    case PVF_VERDICT_PREPARATION: return "Preparation";
    case PVF_VERDICT_INTERNAL: return "Internal";
    case PVF_VERDICT_EXECUTION_DEADLINE: return "ExecutionDeadline";
    }
    return "?";
}

void pvf_execute_result_free(pvf_execute_result *r)
{
    free(r->result);
    r->result = NULL;
    r->result_len = 0;
}

static void set_verdict(pvf_execute_result *out, pvf_verdict v, const char *reason, const char *msg, size_t msg_len)
{
    pvf_execute_result_free(out);
    out->verdict = v;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
    snprintf(out->message, sizeof out->message, "%.*s", (int)msg_len, msg ? msg : "");
}

static void set_verdict_str(pvf_execute_result *out, pvf_verdict v, const char *reason, const char *msg)
{
    set_verdict(out, v, reason, msg, msg ? strlen(msg) : 0);
}

static bool ensure_execute_worker(pvf_host *h, const executor_params *ep, char *err, size_t errlen)
{
    uint8_t hash[32];
    if (!executor_params_hash(ep, hash)) {
        snprintf(err, errlen, "out of memory hashing the executor params");
        return false;
    }
    if (h->exec.pid > 0 && !memcmp(hash, h->exec_params_hash, 32))
        return true;
    /* Workers are specialised to the full params hash (§1.5): replace it. */
    worker_close(&h->exec);
    worker_spawn_cfg wc = {
        .binary = h->execute_path,
        .cache_dir = h->cache_dir,
        .node_version = h->node_version,
        .security = {.secure_validator_mode = h->cfg.secure_validator_mode},
        .executor_params = ep,
        .spawn_timeout_ms = h->cfg.spawn_timeout_ms,
        .log_path = h->log_path,
    };
    if (worker_spawn(HOST_WORKER_EXECUTE, &wc, &h->exec, err, errlen) != WORKER_SPAWN_OK)
        return false;
    memcpy(h->exec_params_hash, hash, 32);
    return true;
}

static bool encode_result(const validation_result *vr, pvf_execute_result *out)
{
    scale_writer sw;
    scale_writer_init(&sw);
    validation_result_encode(vr, &sw);
    return scale_writer_finish(&sw, &out->result, &out->result_len);
}

/* A response the worker survives (§1.5 table, "worker kept? yes"). */
static retry_class classify_job_response(pvf_host *h, artifact_entry *e, const proto_execute_result *r,
                                         pvf_execute_result *out)
{
    const proto_job_response *jr = &r->job_response;
    out->execute_ns = proto_duration_to_ns(r->duration);
    switch (jr->kind) {
    case JOB_RESP_OK:
        set_verdict_str(out, PVF_VERDICT_VALID, "", NULL);
        if (!encode_result(&jr->result, out)) {
            set_verdict_str(out, PVF_VERDICT_INTERNAL, "OutOfMemory", "could not encode the ValidationResult");
            return RETRY_INTERNAL;
        }
        return RETRY_NONE;
    case JOB_RESP_INVALID_CANDIDATE:
        set_verdict(out, PVF_VERDICT_INVALID, "WorkerReportedInvalid", (const char *)jr->msg.ptr, jr->msg.len);
        return RETRY_NONE;
    case JOB_RESP_POV_DECOMPRESSION_FAILURE:
        set_verdict_str(out, PVF_VERDICT_INVALID, "PoVDecompressionFailure", NULL);
        return RETRY_NONE;
    case JOB_RESP_RUNTIME_CONSTRUCTION:
        set_verdict(out, PVF_VERDICT_POSSIBLY_INVALID, "RuntimeConstruction", (const char *)jr->msg.ptr, jr->msg.len);
        host_remove_artifact(h, e);
        return RETRY_ARTIFACT;
    case JOB_RESP_CORRUPTED_ARTIFACT:
        set_verdict_str(out, PVF_VERDICT_POSSIBLY_INVALID, "CorruptedArtifact",
                        "the artifact's checksum did not match; it was removed");
        host_remove_artifact(h, e);
        return RETRY_ARTIFACT;
    }
    set_verdict_str(out, PVF_VERDICT_INTERNAL, "HostCommunication", "unknown job response");
    return RETRY_INTERNAL;
}

/* The worker reported an error: it is not kept (§1.5 table). */
static retry_class classify_worker_error(const proto_worker_error *we, pvf_execute_result *out)
{
    char msg[512];
    switch (we->kind) {
    case WORKER_ERR_JOB_TIMED_OUT:
        set_verdict_str(out, PVF_VERDICT_INVALID, "HardTimeout", "the job ran out of CPU time");
        return RETRY_NONE;
    case WORKER_ERR_JOB_DIED:
        snprintf(msg, sizeof msg, "job process %d: %.*s", (int)we->job_pid, (int)we->msg.len,
                 (const char *)we->msg.ptr);
        set_verdict_str(out, PVF_VERDICT_POSSIBLY_INVALID, "AmbiguousJobDeath", msg);
        return RETRY_DEATH;
    case WORKER_ERR_JOB_ERROR:
        snprintf(msg, sizeof msg, "%s: %.*s", proto_job_error_name(we->job_error.kind),
                 (int)we->job_error.msg.len, (const char *)we->job_error.msg.ptr);
        set_verdict_str(out, PVF_VERDICT_POSSIBLY_INVALID, "JobError", msg);
        return RETRY_JOB_ERROR;
    case WORKER_ERR_INTERNAL:
        set_verdict(out, PVF_VERDICT_INTERNAL, proto_internal_error_name(we->internal.kind),
                    (const char *)we->internal.msg.ptr, we->internal.msg.len);
        return RETRY_INTERNAL;
    }
    set_verdict_str(out, PVF_VERDICT_INTERNAL, "HostCommunication", "unknown worker error");
    return RETRY_INTERNAL;
}

/* One execution attempt with the prepared entry e. */
static retry_class execute_once(pvf_host *h, const pvf_execute_request *rq, const executor_params *ep,
                                artifact_entry *e, uint64_t timeout_ms, pvf_execute_result *out)
{
    char err[512] = "";
    if (!ensure_execute_worker(h, ep, err, sizeof err)) {
        set_verdict_str(out, PVF_VERDICT_INTERNAL, "CouldNotSpawnWorker", err);
        return RETRY_INTERNAL;
    }
    proto_execute_request x;
    memset(&x, 0, sizeof x);
    x.pvd.parent_head = (scale_bytes){rq->parent_head, rq->parent_head_len};
    x.pvd.relay_parent_number = rq->relay_parent_number;
    memcpy(x.pvd.relay_parent_storage_root, rq->relay_parent_storage_root, 32);
    x.pvd.max_pov_size = rq->max_pov_size ? rq->max_pov_size : HOST_MAX_POV_SIZE;
    x.pov = (scale_bytes){rq->pov, rq->pov_len};
    x.execution_timeout = proto_duration_from_ms(timeout_ms);
    memcpy(x.artifact_checksum, e->checksum, 32);
    proto_execute_result r;
    memset(&r, 0, sizeof r);
    worker_io_status st = worker_execute(&h->exec, e->path, &x, timeout_ms * h->cfg.wall_clock_factor, &r, err,
                                         sizeof err);
    retry_class rc;
    switch (st) {
    case WORKER_IO_OK:
        if (r.ok) {
            rc = classify_job_response(h, e, &r, out);
        } else {
            rc = classify_worker_error(&r.error, out);
            worker_kill(&h->exec);
        }
        proto_execute_result_free(&r);
        return rc;
    case WORKER_IO_HARD_TIMEOUT:
        set_verdict_str(out, PVF_VERDICT_INVALID, "HardTimeout", err);
        return RETRY_NONE;
    case WORKER_IO_HOST_ERROR:     /* the worker is untouched (e.g. CouldNotCreateLink) */
        set_verdict_str(out, PVF_VERDICT_INTERNAL, "CouldNotCreateLink", err);
        return RETRY_INTERNAL;
    case WORKER_IO_DIED:
    case WORKER_IO_MALFORMED:
    default:
        set_verdict_str(out, PVF_VERDICT_POSSIBLY_INVALID, "AmbiguousWorkerDeath", err);
        return RETRY_DEATH;
    }
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Prepare (or re-prepare); false with the verdict set when it failed. */
static artifact_entry *prepare_for_execution(pvf_host *h, const pvf_execute_request *rq, const executor_params *ep,
                                             bool as_precheck, pvf_execute_result *out)
{
    host_prepare_outcome po;
    artifact_entry *e = host_ensure_prepared(h, rq->code, rq->code_len, ep, as_precheck, &po);
    out->prepare_cpu_ns += po.cpu_ns;
    out->preparations += po.ran;
    if (e)
        return e;
    /* From<PrepareError> (§6.1): deterministic ⇒ Preparation, else Internal. */
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", proto_prepare_error_name(po.error_kind), po.message);
    if (po.deterministic)
        set_verdict_str(out, PVF_VERDICT_PREPARATION, proto_prepare_error_name(po.error_kind), po.message);
    else
        set_verdict_str(out, PVF_VERDICT_INTERNAL, "NonDeterministicPrepareError", msg);
    return NULL;
}

void pvf_host_execute(pvf_host *h, const pvf_execute_request *rq, pvf_execute_result *out)
{
    memset(out, 0, sizeof *out);
    const executor_params *ep = host_params_or_empty(rq->executor_params);
    bool may_retry = rq->kind == PVF_KIND_APPROVAL || rq->kind == PVF_KIND_DISPUTE;
    uint64_t timeout = rq->timeout_ms ? rq->timeout_ms
                                      : executor_params_exec_timeout_ms(ep, may_retry ? PVF_EXEC_APPROVAL
                                                                                      : PVF_EXEC_BACKING);
    uint64_t start = host_now_ms();
    bool used[RETRY_CLASS_COUNT] = {false};
    uint64_t budget = timeout;
    for (;;) {
        artifact_entry *e = prepare_for_execution(h, rq, ep, false, out);
        if (!e)
            return;
        out->attempts++;
        retry_class rc = execute_once(h, rq, ep, e, budget, out);
        if (!may_retry || rc == RETRY_NONE || used[rc])
            return;
        used[rc] = true;
        /* §6.2: stop when the retry delay no longer fits in the timeout. */
        uint64_t elapsed = host_now_ms() - start;
        if (elapsed + h->cfg.execution_retry_delay_ms > timeout)
            return;
        if (rc == RETRY_ARTIFACT) {
            /* The reference re-prepares through precheck_pvf, then retries at once. */
            pvf_execute_result keep = *out;
            out->result = NULL;
            if (!prepare_for_execution(h, rq, ep, true, out)) {
                /* Keep the execution verdict; the preparation failure is in the message. */
                char msg[600];
                snprintf(msg, sizeof msg, "re-preparation failed: %s", out->message);
                *out = keep;
                snprintf(out->message, sizeof out->message, "%.500s", msg);
                return;
            }
            keep.prepare_cpu_ns = out->prepare_cpu_ns;
            keep.preparations = out->preparations;
            *out = keep;
        } else {
            sleep_ms(h->cfg.execution_retry_delay_ms);
        }
        elapsed = host_now_ms() - start;
        budget = elapsed < timeout ? timeout - elapsed : 1;
    }
}

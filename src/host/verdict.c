/*
 * verdict.c — see verdict.h. The tables of §1.4 and §1.5 as code.
 */
#define _GNU_SOURCE
#include "host/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/validation.h"
#include "util/saturate.h"

/* ---------------------------------------------------------------- prepare */

void prepare_outcome_fail(prepare_outcome *out, proto_prepare_error_kind kind, const char *msg)
{
    out->ok = false;
    out->error_kind = kind;
    out->deterministic = proto_prepare_error_is_deterministic(kind);
    snprintf(out->message, sizeof out->message, "%.511s", msg ? msg : "");
}

static void prepare_success(const proto_prepare_result *r, uint64_t cpu_ms, prepare_outcome *out)
{
    out->cpu_ns = proto_duration_to_ns(r->stats.cpu_time_elapsed);
    if (out->cpu_ns > sat_mul_u64(cpu_ms, 1000000u)) {
        prepare_outcome_fail(out, PREP_ERR_TIMED_OUT, "preparation took longer than its CPU budget");
        out->rip = true;
        return;
    }
    out->ok = true;
    memcpy(out->checksum, r->checksum, 32);
    const proto_memory_stats *m = &r->stats.memory_stats;
    out->max_rss_kib = m->has_max_rss && m->max_rss > 0 ? (uint64_t)m->max_rss : 0;
    out->peak_tracked_kib = m->peak_tracked_alloc / 1024;
    out->peak_memory_bytes = out->max_rss_kib ? out->max_rss_kib * 1024 : m->peak_tracked_alloc;
}

void verdict_from_prepare(wclient_status st, const proto_prepare_result *r, uint64_t cpu_ms, const char *err,
                          prepare_outcome *out)
{
    char msg[600];
    memset(out, 0, sizeof *out);
    switch (st) {
    case WCLIENT_OK:
        if (r->ok) {
            prepare_success(r, cpu_ms, out);
            return;
        }
        snprintf(msg, sizeof msg, "%.*s", (int)r->error.msg.len, (const char *)r->error.msg.ptr);
        prepare_outcome_fail(out, r->error.kind, msg);
        /* The reference retires the worker after these. */
        out->rip = r->error.kind == PREP_ERR_TIMED_OUT || r->error.kind == PREP_ERR_JOB_DIED ||
                   r->error.kind == PREP_ERR_OUT_OF_MEMORY;
        return;
    case WCLIENT_HARD_TIMEOUT:
        snprintf(msg, sizeof msg, "prepare worker passed its wall-clock deadline: %s", err);
        prepare_outcome_fail(out, PREP_ERR_TIMED_OUT, msg);
        out->rip = true;
        return;
    case WCLIENT_HOST_ERROR:
        prepare_outcome_fail(out, PREP_ERR_CREATE_TMP_FILE, err);
        return;
    case WCLIENT_DIED:
    case WCLIENT_MALFORMED:
    default:
        snprintf(msg, sizeof msg, "prepare worker: %s", err);
        prepare_outcome_fail(out, PREP_ERR_IO_ERR, msg);
        out->rip = true;
        return;
    }
}

/* ---------------------------------------------------------------- execute */

void exec_outcome_free(exec_outcome *out)
{
    free(out->result);
    out->result = NULL;
    out->result_len = 0;
    free(out->runtime_log);
    out->runtime_log = NULL;
}

const char *exec_reason_name(exec_reason why)
{
    static const char *const names[] = {
#define EXEC_REASON_NAME(id, name) [EXEC_REASON_##id] = name,
        EXEC_REASONS(EXEC_REASON_NAME)
#undef EXEC_REASON_NAME
    };
    return (size_t)why < sizeof names / sizeof names[0] ? names[why] : "?";
}

void exec_outcome_set(exec_outcome *out, pvf_verdict v, exec_reason why, const char *kind_name,
                      const char *msg, size_t msg_len)
{
    exec_outcome_free(out);
    out->verdict = v;
    out->why = why;
    snprintf(out->reason, sizeof out->reason, "%s", kind_name ? kind_name : exec_reason_name(why));
    snprintf(out->message, sizeof out->message, "%.*s", (int)msg_len, msg ? msg : "");
}

static void set_str(exec_outcome *out, pvf_verdict v, exec_reason why, const char *msg)
{
    exec_outcome_set(out, v, why, NULL, msg, msg ? strlen(msg) : 0);
}

static bool encode_result(const validation_result *vr, exec_outcome *out)
{
    scale_writer sw;
    scale_writer_init(&sw);
    validation_result_encode(vr, &sw);
    return scale_writer_finish(&sw, &out->result, &out->result_len);
}

/* A response the worker survives (§1.5 table, "worker kept? yes"). */
static retry_class from_job_response(const proto_job_response *jr, exec_outcome *out)
{
    switch (jr->kind) {
    case JOB_RESP_OK:
        set_str(out, PVF_VERDICT_VALID, EXEC_REASON_NONE, NULL);
        if (!encode_result(&jr->result, out)) {
            set_str(out, PVF_VERDICT_INTERNAL, EXEC_REASON_OUT_OF_MEMORY, "could not encode the ValidationResult");
            return RETRY_INTERNAL;
        }
        return RETRY_NONE;
    case JOB_RESP_INVALID_CANDIDATE:
        exec_outcome_set(out, PVF_VERDICT_INVALID, EXEC_REASON_WORKER_REPORTED_INVALID, NULL,
                         (const char *)jr->msg.ptr, jr->msg.len);
        return RETRY_NONE;
    case JOB_RESP_POV_DECOMPRESSION_FAILURE:
        set_str(out, PVF_VERDICT_INVALID, EXEC_REASON_POV_DECOMPRESSION_FAILURE, NULL);
        return RETRY_NONE;
    case JOB_RESP_RUNTIME_CONSTRUCTION:
        exec_outcome_set(out, PVF_VERDICT_POSSIBLY_INVALID, EXEC_REASON_RUNTIME_CONSTRUCTION, NULL,
                         (const char *)jr->msg.ptr, jr->msg.len);
        return RETRY_ARTIFACT;
    case JOB_RESP_CORRUPTED_ARTIFACT:
        set_str(out, PVF_VERDICT_POSSIBLY_INVALID, EXEC_REASON_CORRUPTED_ARTIFACT,
                "the artifact's checksum did not match; it was removed");
        return RETRY_ARTIFACT;
    }
    set_str(out, PVF_VERDICT_INTERNAL, EXEC_REASON_HOST_COMMUNICATION, "unknown job response");
    return RETRY_INTERNAL;
}

/* The worker reported an error: it is not kept (§1.5 table). */
static retry_class from_worker_error(const proto_worker_error *we, exec_outcome *out)
{
    char msg[600];
    switch (we->kind) {
    case WORKER_ERR_JOB_TIMED_OUT:
        set_str(out, PVF_VERDICT_INVALID, EXEC_REASON_HARD_TIMEOUT, "the job ran out of CPU time");
        return RETRY_NONE;
    case WORKER_ERR_JOB_DIED:
        snprintf(msg, sizeof msg, "job process %d: %.*s", (int)we->job_pid, (int)we->msg.len,
                 (const char *)we->msg.ptr);
        set_str(out, PVF_VERDICT_POSSIBLY_INVALID, EXEC_REASON_AMBIGUOUS_JOB_DEATH, msg);
        return RETRY_DEATH;
    case WORKER_ERR_JOB_ERROR:
        if (we->job_error.kind == JOB_ERR_UNEXPECTED_EXIT_STATUS)
            snprintf(msg, sizeof msg, "%s: %d%s", proto_job_error_name(we->job_error.kind), we->job_error.exit_status,
                     we->job_error.exit_status == PROTO_JOB_EXIT_OUT_OF_MEMORY ? " (out of memory)" : "");
        else
            snprintf(msg, sizeof msg, "%s: %.*s", proto_job_error_name(we->job_error.kind),
                     (int)we->job_error.msg.len, (const char *)we->job_error.msg.ptr);
        set_str(out, PVF_VERDICT_POSSIBLY_INVALID, EXEC_REASON_JOB_ERROR, msg);
        return RETRY_JOB_ERROR;
    case WORKER_ERR_INTERNAL:
        exec_outcome_set(out, PVF_VERDICT_INTERNAL, EXEC_REASON_WORKER_INTERNAL,
                         proto_internal_error_name(we->internal.kind), (const char *)we->internal.msg.ptr,
                         we->internal.msg.len);
        return RETRY_INTERNAL;
    }
    set_str(out, PVF_VERDICT_INTERNAL, EXEC_REASON_HOST_COMMUNICATION, "unknown worker error");
    return RETRY_INTERNAL;
}

void verdict_from_execute(wclient_status st, const proto_execute_result *r, const char *err, exec_outcome *out)
{
    memset(out, 0, sizeof *out);
    switch (st) {
    case WCLIENT_OK:
        out->execute_ns = proto_duration_to_ns(r->duration);
        out->job_max_rss_kib = r->job_max_rss_kib;
        if (r->ok) {
            out->retry = from_job_response(&r->job_response, out);
            out->worker_kept = true;
        } else {
            out->retry = from_worker_error(&r->error, out);
        }
        if (r->runtime_log.len)     /* no memory for it: the verdict stands without the log */
            out->runtime_log = strndup((const char *)r->runtime_log.ptr, r->runtime_log.len);
        return;
    case WCLIENT_HARD_TIMEOUT:
        set_str(out, PVF_VERDICT_INVALID, EXEC_REASON_HARD_TIMEOUT, err);
        out->retry = RETRY_NONE;
        return;
    case WCLIENT_HOST_ERROR:     /* the worker is untouched (e.g. CouldNotCreateLink) */
        set_str(out, PVF_VERDICT_INTERNAL, EXEC_REASON_COULD_NOT_CREATE_LINK, err);
        out->retry = RETRY_INTERNAL;
        out->worker_kept = true;
        return;
    case WCLIENT_DIED:
    case WCLIENT_MALFORMED:
    default:
        set_str(out, PVF_VERDICT_POSSIBLY_INVALID, EXEC_REASON_AMBIGUOUS_WORKER_DEATH, err);
        out->retry = RETRY_DEATH;
        return;
    }
}

void exec_outcome_from_prepare(const prepare_outcome *po, exec_outcome *out)
{
    char msg[600];
    const char *name = proto_prepare_error_name(po->error_kind);
    if (po->deterministic) {
        exec_outcome_set(out, PVF_VERDICT_PREPARATION, EXEC_REASON_PREPARATION, name, po->message,
                         strlen(po->message));
    } else {
        snprintf(msg, sizeof msg, "%s: %s", name, po->message);
        set_str(out, PVF_VERDICT_INTERNAL, EXEC_REASON_NON_DETERMINISTIC_PREPARE_ERROR, msg);
    }
    out->retry = RETRY_NONE;
}

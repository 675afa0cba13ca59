/*
 * host_execute.c — execution on the host thread: execute jobs into the
 * execute queue, onto workers, and back as verdicts (reference-behaviour.md
 * §1.5 "Result handling", §6.1), with candidate-validation's retry policy
 * (§6.2 step 4): approval and dispute retry once per error class, after the
 * retry delay (at once after re-preparation for artifact errors) and only
 * while the delay still fits in the timeout; backing never retries.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"
#include "util/saturate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static exec_priority priority_of(pvf_exec_request_kind k)
{
    switch (k) {
    case PVF_KIND_DISPUTE: return EXEC_PRIORITY_DISPUTE;
    case PVF_KIND_APPROVAL: return EXEC_PRIORITY_APPROVAL;
    case PVF_KIND_BACKING_SYSTEM_PARA: return EXEC_PRIORITY_BACKING_SYSTEM_PARAS;
    case PVF_KIND_BACKING: break;
    }
    return EXEC_PRIORITY_BACKING;
}

static enum metrics_validity validity_of(pvf_verdict v)
{
    switch (v) {
    case PVF_VERDICT_VALID: return METRICS_VALID;
    case PVF_VERDICT_INVALID:
    case PVF_VERDICT_POSSIBLY_INVALID: return METRICS_INVALID;
    default: return METRICS_VALIDATION_FAILURE;
    }
}

/* The request ends with outcome o (taken over). */
static void finish(pvf_host *h, host_request *r, exec_outcome *o)
{
    pvf_execute_result *out = REQUEST_EXECUTE_RESULT(r);
    out->verdict = o->verdict;
    result_set_text(&out->reason, o->reason);
    result_set_text(&out->message, o->message);
    free((void *)out->result);
    out->result = o->result;
    out->result_len = o->result_len;
    if (o->execute_ns)
        out->execute_ns = o->execute_ns;
    o->result = NULL;
    o->result_len = 0;
    result_set_text(&out->runtime_log, o->runtime_log);
    host_log_runtime(h, r, o->runtime_log);
    metrics_validation_requests(h->metrics, validity_of(out->verdict));
    metrics_execution_verdict(h->metrics, (unsigned)out->verdict);
    /* The reference times validate_from_exhaustive around validate_candidate_exhaustive;
     * a request to the host is both. */
    double seconds = (double)(monotonic_ms() - r->submitted_ms) / 1000.0;
    metrics_validate_from_exhaustive(h->metrics, seconds);
    metrics_validate_candidate_exhaustive(h->metrics, seconds);
    host_complete(h, r);
}

void host_fail_request(pvf_host *h, host_request *r, pvf_verdict v, exec_reason why, const char *msg)
{
    if (r->type == PVF_REQUEST_PRECHECK) {
        prepare_outcome po = {0};
        prepare_outcome_fail(&po, PREP_ERR_IO_ERR, msg);
        host_complete_precheck(h, r, &po, false);
        return;
    }
    exec_outcome o;
    memset(&o, 0, sizeof o);
    exec_outcome_set(&o, v, why, NULL, msg, strlen(msg));
    finish(h, r, &o);
}

static void job_desc_of(const host_request *r, exec_job_desc *d)
{
    memset(d, 0, sizeof *d);
    d->id = r->id;
    d->artifact = r->aid;
    memcpy(d->params_hash, r->params_hash, 32);
    d->priority = priority_of(r->kind);
    memcpy(d->relay_parent, r->relay_parent, 32);
}

/*
 * Everything that refers to a request does so by its id — the queues, the slots, an artifact's
 * waiters — and finds nothing once it is answered: a queued execution is then skipped when its
 * turn comes (its worker freed at once), a pending retry or preparation for it is not made, and
 * a job already running finishes with nobody to tell.
 */
void host_cancel_request(pvf_host *h, uint64_t id)
{
    host_request *r = host_find_request(h, id);
    if (!r)
        return;     /* answered already */
    if (r->type == PVF_REQUEST_PRECHECK) {
        pvf_precheck_result *out = REQUEST_PRECHECK_RESULT(r);
        out->outcome = PVF_PRECHECK_FAILED;
        result_set_text(&out->reason, exec_reason_name(EXEC_REASON_CANCELLED));
        result_set_text(&out->message, "cancelled by the caller");
        host_complete(h, r);
        return;
    }
    host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_CANCELLED, "cancelled by the caller");
}

void host_enqueue_execution(pvf_host *h, host_request *r, artifact_entry *e)
{
    (void)e;
    exec_job_desc d;
    job_desc_of(r, &d);
    r->exec_enqueued_ms = monotonic_ms();
    if (!exec_queue_enqueue(h->eq, &d, r->exec_enqueued_ms)) {
        host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_OUT_OF_MEMORY, "could not queue the execution");
        return;
    }
    metrics_execute_enqueued(h->metrics);
}

void host_prepared_for_execution(pvf_host *h, host_request *r, const prepare_outcome *po)
{
    if (po->ok) {
        r->repreparing = false;
        host_enqueue_execution(h, r, NULL);
        return;
    }
    if (r->repreparing) {
        /* Keep the execution's verdict; the preparation failure goes into its message. */
        char msg[600];
        snprintf(msg, sizeof msg, "re-preparation failed: %s: %s", proto_prepare_error_name(po->error_kind),
                 po->message);
        snprintf(r->last.message, sizeof r->last.message, "%.500s", msg);
        finish(h, r, &r->last);
        return;
    }
    exec_outcome o;
    memset(&o, 0, sizeof o);
    exec_outcome_from_prepare(po, &o);
    finish(h, r, &o);
}

/* The execution budget of this attempt: the whole timeout first, what is left of it for a retry. */
static uint64_t attempt_budget(const host_request *r)
{
    if (REQUEST_EXECUTE_RESULT(r)->attempts == 0)
        return r->timeout_ms;
    uint64_t elapsed = monotonic_ms() - r->submitted_ms;
    return elapsed < r->timeout_ms ? r->timeout_ms - elapsed : 1;
}

void host_assign_execution(pvf_host *h, uint64_t worker, uint64_t job, uint64_t queued_ms)
{
    host_request *r = host_find_request(h, job);
    slot *s = host_find_slot(h, HOST_WORKER_EXECUTE, worker);
    artifact_entry *e = r ? artifacts_lookup(h->table, &r->aid) : NULL;
    if (!r || !s || !e || e->state != ARTIFACT_PREPARED) {
        /* Answered meanwhile, or its artifact was removed while it waited: free the
         * worker and (if it still waits) send the request back to its artifact. */
        exec_queue_job_finished(h->eq, worker, s != NULL, monotonic_ms());
        if (r)
            host_route_to_artifact(h, r, false);
        return;
    }
    metrics_exec_kind_selected(h->metrics, (enum metrics_exec_priority)priority_of(r->kind));
    metrics_execution_queued_time(h->metrics, (double)queued_ms / 1000.0);
    slot_execute_job sj;
    memset(&sj, 0, sizeof sj);
    sj.job = job;
    snprintf(sj.artifact_path, sizeof sj.artifact_path, "%s", e->path);
    proto_execute_request *x = &sj.req;
    x->pvd.parent_head = (scale_bytes){r->parent_head, r->parent_head_len};
    x->pvd.relay_parent_number = r->relay_parent_number;
    memcpy(x->pvd.relay_parent_storage_root, r->storage_root, 32);
    x->pvd.max_pov_size = r->max_pov_size;
    x->pov = (scale_bytes){r->pov, r->pov_len};
    uint64_t budget = attempt_budget(r);
    x->execution_timeout = proto_duration_from_ms(budget);
    memcpy(x->artifact_checksum, e->checksum, 32);
    sj.wall_ms = sat_mul_u64(budget, h->cfg.wall_clock_factor);
    REQUEST_EXECUTE_RESULT(r)->attempts++;
    slot_execute(s, &sj);
}

static retry_class retry_for(const pvf_host *h, const host_request *r, const exec_outcome *o)
{
    bool may_retry = r->kind == PVF_KIND_APPROVAL || r->kind == PVF_KIND_DISPUTE;
    if (!may_retry || o->retry == RETRY_NONE || r->retry_used[o->retry])
        return RETRY_NONE;
    /* §6.2: stop when the retry delay no longer fits in the timeout. */
    uint64_t elapsed = monotonic_ms() - r->submitted_ms;
    if (sat_add_u64(elapsed, h->cfg.execution_retry_delay_ms) > r->timeout_ms)
        return RETRY_NONE;
    return o->retry;
}

void host_execute_event(pvf_host *h, slot_event *ev)
{
    exec_queue_job_finished(h->eq, slot_id(ev->slot), !ev->gone, monotonic_ms());
    metrics_execute_finished(h->metrics);
    metrics_execution_time(h->metrics, (double)(ev->done_ms - ev->sent_ms) / 1000.0);
    if (ev->exec.job_max_rss_kib)
        metrics_execution_max_rss(h->metrics, ev->exec.job_max_rss_kib);
    host_request *r = host_find_request(h, ev->job);
    if (!r)
        return;
    exec_outcome *o = &ev->exec;
    REQUEST_EXECUTE_RESULT(r)->execute_ns = o->execute_ns;
    if (o->why == EXEC_REASON_CORRUPTED_ARTIFACT)
        metrics_checksum_mismatch(h->metrics);
    if (o->retry == RETRY_ARTIFACT)
        host_remove_artifact(h, &r->aid);
    retry_class rc = retry_for(h, r, o);
    if (rc == RETRY_NONE) {
        finish(h, r, o);
        return;
    }
    r->retry_used[rc] = true;
    exec_outcome_free(&r->last);
    r->last = *o;
    o->result = NULL;
    o->runtime_log = NULL;
    if (rc == RETRY_ARTIFACT) {
        /* The reference re-prepares through precheck_pvf, then retries at once. */
        r->repreparing = true;
        host_route_to_artifact(h, r, true);
    } else {
        r->retry_at_ms = sat_add_u64(monotonic_ms(), h->cfg.execution_retry_delay_ms);
    }
}

void host_run_due_retries(pvf_host *h, uint64_t now, uint64_t *next_wakeup)
{
    bool again = true;
    while (again) {
        again = false;
        for (host_request *r = h->requests; r; r = r->next) {
            if (!r->retry_at_ms)
                continue;
            if (r->retry_at_ms <= now) {
                r->retry_at_ms = 0;
                host_route_to_artifact(h, r, false);
                again = true;   /* the list may have changed */
                break;
            }
            if (r->retry_at_ms < *next_wakeup)
                *next_wakeup = r->retry_at_ms;
        }
    }
}

void host_execution_deadline(pvf_host *h, uint64_t job)
{
    host_request *r = host_find_request(h, job);
    if (r)
        host_fail_request(h, r, PVF_VERDICT_EXECUTION_DEADLINE, EXEC_REASON_EXECUTION_DEADLINE,
                            "the relay parent left the active leaves before the job could run");
}

void host_requeue_execution(pvf_host *h, uint64_t job)
{
    host_request *r = job ? host_find_request(h, job) : NULL;
    if (!r)
        return;
    if (REQUEST_EXECUTE_RESULT(r)->attempts)
        REQUEST_EXECUTE_RESULT(r)->attempts--;
    exec_job_desc d;
    job_desc_of(r, &d);
    if (!exec_queue_requeue_front(h->eq, &d, r->exec_enqueued_ms, monotonic_ms()))
        host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_OUT_OF_MEMORY, "could not queue the execution again");
}

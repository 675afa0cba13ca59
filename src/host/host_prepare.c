/*
 * host_prepare.c — artifacts and preparation on the host thread
 * (reference-behaviour.md §1.1 "Handling of requests", §1.3, §1.4, §1.6).
 *
 * Every request first goes to its artifact (host_route_to_artifact): a
 * Prepared artifact answers a precheck or sends the execution on; a missing
 * or failed one (where the retry rule allows) gets a prepare job; a
 * Preparing one just gains a waiter. When a prepare job ends, every waiter
 * is answered or sent on to execution, then the entry becomes Prepared or
 * FailedToProcess.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"
#include "util/saturate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void prep_job_free(prep_job *j)
{
    if (!j)
        return;
    free(j->code);
    free(j->dest);
    executor_params_free(&j->ep);
    free(j);
}

static prep_job *find_prep_job(pvf_host *h, uint64_t id)
{
    for (prep_job *j = h->prep_jobs; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

static void unlink_prep_job(pvf_host *h, prep_job *j)
{
    for (prep_job **p = &h->prep_jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            return;
        }
    }
}

static uint64_t prep_cpu_ms(const pvf_host *h, const executor_params *ep, bool precheck_timeout)
{
    uint64_t fixed = precheck_timeout ? h->cfg.precheck_prep_timeout_ms : h->cfg.lenient_prep_timeout_ms;
    return fixed ? fixed : executor_params_prep_timeout_ms(ep, precheck_timeout ? PVF_PREP_PRECHECK : PVF_PREP_PREPARE);
}

/* Queue job j (its code, params and aid set) for preparation. False: out of memory (j freed). */
static bool enqueue_job(pvf_host *h, prep_job *j, proto_prep_kind kind, bool precheck_timeout,
                        prepare_priority priority)
{
    j->id = atomic_fetch_add(&h->next_id, 1);
    j->kind = kind;
    j->cpu_ms = prep_cpu_ms(h, &j->ep, precheck_timeout);
    uint64_t existing;
    prepare_enqueue_result er = prepare_queue_enqueue(h->pq, j->id, &j->aid, priority, monotonic_ms(), &existing);
    if (er != PREPARE_ENQUEUED) {
        /* Coalesced can't happen (the entry was not Preparing); both end the same way. */
        prep_job_free(j);
        return er == PREPARE_COALESCED;
    }
    j->next = h->prep_jobs;
    h->prep_jobs = j;
    metrics_prepare_enqueued(h->metrics);
    return true;
}

static prep_job *job_for_request(const host_request *r)
{
    prep_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->aid = r->aid;
    j->code_len = r->code_len;
    j->code = malloc(r->code_len ? r->code_len : 1);
    if (!j->code || !executor_params_copy(&j->ep, &r->ep)) {
        prep_job_free(j);
        return NULL;
    }
    memcpy(j->code, r->code, r->code_len);
    return j;
}

static prepare_priority request_priority(const host_request *r, bool as_precheck)
{
    if (as_precheck)
        return PREPARE_PRIORITY_NORMAL;
    return r->kind == PVF_KIND_APPROVAL || r->kind == PVF_KIND_DISPUTE ? PREPARE_PRIORITY_CRITICAL
                                                                       : PREPARE_PRIORITY_NORMAL;
}

static prepare_outcome stored_failure(const artifact_entry *e)
{
    prepare_outcome po = {0};
    prepare_outcome_fail(&po, (proto_prepare_error_kind)e->error_kind, e->error_msg);
    return po;
}

void host_complete_precheck(pvf_host *h, host_request *r, const prepare_outcome *po, bool cached)
{
    pvf_precheck_result *out = REQUEST_PRECHECK_RESULT(r);
    out->cached = cached;
    if (po->ok) {
        out->outcome = PVF_PRECHECK_VALID;
    } else {
        /* §6.2: a deterministic error is Invalid, anything else Failed (no vote). */
        out->outcome = po->deterministic ? PVF_PRECHECK_INVALID : PVF_PRECHECK_FAILED;
        result_set_text(&out->reason, proto_prepare_error_name(po->error_kind));
        result_set_text(&out->message, po->message);
    }
    host_complete(h, r);
}

/* The entry failed and may not be retried now: answer with the stored error. */
static void answer_failed(pvf_host *h, host_request *r, const artifact_entry *e)
{
    prepare_outcome po = stored_failure(e);
    if (r->type == PVF_REQUEST_PRECHECK) {
        host_complete_precheck(h, r, &po, true);
    } else {
        host_prepared_for_execution(h, r, &po);
    }
}

void host_route_to_artifact(pvf_host *h, host_request *r, bool as_precheck)
{
    uint64_t now = monotonic_ms();
    artifact_entry *e = artifacts_lookup(h->table, &r->aid);
    char *old = NULL;
    struct stat st;
    if (e && e->state == ARTIFACT_PREPARING) {
        if (!artifacts_add_waiter(e, r->id))
            host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_OUT_OF_MEMORY, "could not wait for the preparation");
        return;
    }
    if (e && e->state == ARTIFACT_PREPARED) {
        if (stat(e->path, &st) == 0) {
            artifacts_touch(e, now);
            if (r->type == PVF_REQUEST_PRECHECK) {
                prepare_outcome ok = {.ok = true};
                host_complete_precheck(h, r, &ok, true);
            } else {
                host_enqueue_execution(h, r, e);
            }
            return;
        }
        /* The file vanished: prepare it again (§1.1, execute on Prepared). */
        artifacts_start_preparing(h->table, e, &old);
    } else if (e) {   /* FailedToProcess */
        bool det = proto_prepare_error_is_deterministic((proto_prepare_error_kind)e->error_kind);
        if (r->type == PVF_REQUEST_PRECHECK ||
            !artifacts_can_retry(e, det, now, h->cfg.prepare_failure_cooldown_ms, h->cfg.prepare_max_retries)) {
            answer_failed(h, r, e);
            return;
        }
        artifacts_start_preparing(h->table, e, &old);
    } else {
        e = artifacts_insert_preparing(h->table, &r->aid);
    }
    if (old) {
        unlink(old);
        free(old);
    }
    prep_job *j = e ? job_for_request(r) : NULL;
    bool precheck_kind = r->type == PVF_REQUEST_PRECHECK || as_precheck;
    if (!j || !artifacts_add_waiter(e, r->id) ||
        !enqueue_job(h, j, precheck_kind ? PROTO_PREP_PRECHECKING : PROTO_PREP_COMPILATION, precheck_kind,
                     request_priority(r, precheck_kind))) {
        if (e)
            free(artifacts_remove(h->table, e));
        host_fail_request(h, r, PVF_VERDICT_INTERNAL, EXEC_REASON_OUT_OF_MEMORY, "could not queue the preparation");
    }
}

void host_heads_up(pvf_host *h, prep_job *list)
{
    uint64_t now = monotonic_ms();
    for (prep_job *j = list, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        artifact_entry *e = artifacts_lookup(h->table, &j->aid);
        char *old = NULL;
        if (e && e->state == ARTIFACT_PREPARED) {
            artifacts_touch(e, now);
        } else if (e && e->state == ARTIFACT_FAILED_TO_PROCESS &&
                   artifacts_can_retry(e, proto_prepare_error_is_deterministic((proto_prepare_error_kind)e->error_kind),
                                       now, h->cfg.prepare_failure_cooldown_ms, h->cfg.prepare_max_retries) &&
                   artifacts_start_preparing(h->table, e, &old)) {
            free(old);
            /* §6.2 heads-up: Prechecking kind with the lenient timeout, Normal priority. */
            enqueue_job(h, j, PROTO_PREP_PRECHECKING, false, PREPARE_PRIORITY_NORMAL);
            continue;
        } else if (!e && artifacts_insert_preparing(h->table, &j->aid)) {
            enqueue_job(h, j, PROTO_PREP_PRECHECKING, false, PREPARE_PRIORITY_NORMAL);
            continue;
        }
        prep_job_free(j);
    }
}

void host_start_prepare_job(pvf_host *h, uint64_t worker, uint64_t job)
{
    slot *s = host_find_slot(h, HOST_WORKER_PREPARE, worker);
    prep_job *j = find_prep_job(h, job);
    if (!s || !j) {
        host_log(h, PVF_LOG_ERROR, "prepare job %llu for worker %llu: %s unknown", (unsigned long long)job,
                 (unsigned long long)worker, s ? "job" : "worker");
        return;
    }
    free(j->dest);
    j->dest = artifacts_generate_path(h->table);
    slot_prepare_job sj;
    memset(&sj, 0, sizeof sj);
    sj.job = job;
    snprintf(sj.dest, sizeof sj.dest, "%s", j->dest ? j->dest : "");
    sj.req.maybe_compressed_code = (scale_bytes){j->code, j->code_len};
    sj.req.validation_code_bomb_limit = h->cfg.validation_code_bomb_limit;
    memcpy(sj.req.code_hash, j->aid.code_hash, 32);
    sj.req.executor_params = j->ep;
    sj.req.prep_timeout = proto_duration_from_ms(j->cpu_ms);
    sj.req.prep_kind = j->kind;
    sj.cpu_ms = j->cpu_ms;
    sj.wall_ms = sat_mul_u64(j->cpu_ms, h->cfg.wall_clock_factor);
    slot_prepare(s, &sj);
}

static void record_prepare_metrics(pvf_host *h, const slot_event *ev)
{
    metrics_prepare_concluded(h->metrics);
    if (!ev->prep.ok)
        metrics_preparation_failure(h->metrics, (unsigned)ev->prep.error_kind);
    metrics_preparation_time(h->metrics, (double)(ev->done_ms - ev->sent_ms) / 1000.0);
    if (ev->prep.ok) {
        if (ev->prep.max_rss_kib)
            metrics_preparation_max_rss(h->metrics, ev->prep.max_rss_kib);
        metrics_preparation_peak_tracked_allocation(h->metrics, ev->prep.peak_tracked_kib);
    }
}

/* Move the entry to its final state; false when it can't be used (failed or out of memory). */
static bool conclude_entry(pvf_host *h, artifact_entry *e, const prep_job *j, const slot_event *ev,
                           prepare_outcome *po)
{
    uint64_t now = monotonic_ms();
    if (po->ok) {
        artifact_prepare_stats stats = {.cpu_time_ns = po->cpu_ns, .peak_memory_bytes = po->peak_memory_bytes};
        if (artifacts_mark_prepared(h->table, e, j->dest, po->checksum, ev->artifact_size, &stats, now))
            return true;
        prepare_outcome_fail(po, PREP_ERR_IO_ERR, "out of memory recording the artifact");
    }
    if (j->dest)
        unlink(j->dest);
    artifacts_mark_failed(h->table, e, (int)po->error_kind, po->message, now);
    return false;
}

void host_prepare_event(pvf_host *h, slot_event *ev)
{
    prepare_job_info info;
    prepare_queue_worker_concluded(h->pq, slot_id(ev->slot), ev->gone, monotonic_ms(), &info);
    record_prepare_metrics(h, ev);
    prep_job *j = find_prep_job(h, ev->job);
    if (!j)
        return;
    unlink_prep_job(h, j);
    artifact_entry *e = artifacts_lookup(h->table, &j->aid);
    if (!e || e->state != ARTIFACT_PREPARING) {
        if (ev->prep.ok && j->dest)
            unlink(j->dest);
        prep_job_free(j);
        return;
    }
    /* Take the waiters over (no copy: an allocation failure here would lose them). */
    size_t n = e->n_waiters;
    uint64_t *waiters = e->waiters;
    e->waiters = NULL;
    e->n_waiters = e->cap_waiters = 0;
    prepare_outcome po = ev->prep;
    conclude_entry(h, e, j, ev, &po);
    for (size_t i = 0; i < n; i++) {
        host_request *r = host_find_request(h, waiters[i]);
        if (!r)
            continue;
        if (r->type == PVF_REQUEST_PRECHECK) {
            REQUEST_PRECHECK_RESULT(r)->prepare_cpu_ns += po.cpu_ns;
            host_complete_precheck(h, r, &po, false);
        } else {
            REQUEST_EXECUTE_RESULT(r)->prepare_cpu_ns += po.cpu_ns;
            REQUEST_EXECUTE_RESULT(r)->preparations++;
            host_prepared_for_execution(h, r, &po);
        }
    }
    free(waiters);
    prep_job_free(j);
}

void host_remove_artifact(pvf_host *h, const artifact_id *aid)
{
    artifact_entry *e = artifacts_lookup(h->table, aid);
    if (!e || e->state != ARTIFACT_PREPARED)
        return;
    char *path = artifacts_remove(h->table, e);
    if (path) {
        unlink(path);
        free(path);
    }
}

void host_prune(pvf_host *h, uint64_t now)
{
    char **paths = NULL;
    size_t n = 0;
    if (!artifacts_prune(h->table, now, h->cfg.artifact_cache_limit, h->cfg.artifact_min_stale_ms, &paths, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    free(paths);
}

/*
 * host.c — the PVF host's lifecycle, its preparation step and precheck
 * (reference-behaviour.md §1.1, §1.4, §6.2 "Pre-check"). Execution and its
 * verdicts are in host_execute.c.
 *
 * This slice is synchronous (see include/pvf/host.h): a call drives the
 * artifact table and the workers itself. The table is the single source of
 * truth for what is prepared; a preparation that fails is remembered as
 * FailedToProcess with its PrepareError kind, so precheck can answer it
 * again without retrying and execute can apply the retry rule.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "worker/worker_common.h"

#define HOST_ENGINE_VERSION WORKER_VERSION

uint64_t host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pvf_host_config_init(pvf_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->execute_workers_max = 4;
    cfg->prepare_workers_soft_max = 1;
    cfg->prepare_workers_hard_max = 2;
    cfg->spawn_timeout_ms = WORKER_SPAWN_TIMEOUT_MS;
    cfg->wall_clock_factor = 4;
    cfg->execution_retry_delay_ms = 3000;
    cfg->prepare_failure_cooldown_ms = 15ull * 60 * 1000;
    cfg->prepare_max_retries = 5;
    cfg->validation_code_bomb_limit = 30u << 20;
}

/* A handle that holds no process, so worker_kill/worker_close are no-ops. */
static void handle_init_dead(worker_handle *w)
{
    memset(w, 0, sizeof *w);
    w->pid = -1;
    w->pidfd = -1;
    w->sock = -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void host_free(pvf_host *h)
{
    if (h->table)
        artifacts_close(h->table);
    free(h->cache_dir);
    free(h->prepare_path);
    free(h->execute_path);
    free(h->node_version);
    free(h->log_path);
    free(h);
}

pvf_host *pvf_host_start(const pvf_host_config *cfg, char *err, size_t errlen)
{
    if (!cfg->cache_dir || !cfg->prepare_worker_path || !cfg->execute_worker_path) {
        snprintf(err, errlen, "host config needs cache_dir, prepare_worker_path and execute_worker_path");
        return NULL;
    }
    pvf_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    h->cache_dir = strdup(cfg->cache_dir);
    h->prepare_path = strdup(cfg->prepare_worker_path);
    h->execute_path = strdup(cfg->execute_worker_path);
    h->node_version = strdup(cfg->node_version ? cfg->node_version : WORKER_VERSION);
    h->log_path = dup_or_null(cfg->worker_log_path);
    handle_init_dead(&h->prep);
    handle_init_dead(&h->exec);
    if (!h->cache_dir || !h->prepare_path || !h->execute_path || !h->node_version ||
        (cfg->worker_log_path && !h->log_path)) {
        snprintf(err, errlen, "out of memory");
        host_free(h);
        return NULL;
    }
    if (h->cfg.wall_clock_factor == 0)
        h->cfg.wall_clock_factor = 4;
    if (h->cfg.validation_code_bomb_limit == 0)
        h->cfg.validation_code_bomb_limit = 30u << 20;
    artifacts_config ac = {.cache_dir = h->cache_dir, .engine_version = HOST_ENGINE_VERSION, .target = NULL};
    char why[512];
    h->table = artifacts_open(&ac, host_now_ms(), NULL, why, sizeof why);
    if (!h->table) {
        snprintf(err, errlen, "cannot open the artifact cache %s: %s", h->cache_dir, why);
        host_free(h);
        return NULL;
    }
    return h;
}

void pvf_host_stop(pvf_host *h)
{
    if (!h)
        return;
    worker_close(&h->prep);
    worker_close(&h->exec);
    char why[256];
    if (!artifacts_save_manifest(h->table, why, sizeof why))
        fprintf(stderr, "pvf host: could not save the artifact manifest: %s\n", why);
    host_free(h);
}

int pvf_host_prepare_worker_pid(const pvf_host *h)
{
    return h->prep.pid;
}

int pvf_host_execute_worker_pid(const pvf_host *h)
{
    return h->exec.pid;
}

/* ---------------------------------------------------------------- preparation */

static void outcome_fail(host_prepare_outcome *out, proto_prepare_error_kind kind, const char *fmt, const char *arg)
{
    out->ok = false;
    out->error_kind = kind;
    out->deterministic = proto_prepare_error_is_deterministic(kind);
    snprintf(out->message, sizeof out->message, fmt, arg ? arg : "");
}

static bool ensure_prepare_worker(pvf_host *h, char *err, size_t errlen)
{
    if (h->prep.pid > 0)
        return true;
    worker_spawn_cfg wc = {
        .binary = h->prepare_path,
        .cache_dir = h->cache_dir,
        .node_version = h->node_version,
        .security = {.secure_validator_mode = h->cfg.secure_validator_mode},
        .spawn_timeout_ms = h->cfg.spawn_timeout_ms,
        .log_path = h->log_path,
    };
    worker_spawn_status st = worker_spawn(HOST_WORKER_PREPARE, &wc, &h->prep, err, errlen);
    return st == WORKER_SPAWN_OK;
}

static uint64_t prep_timeout_ms(const pvf_host *h, const executor_params *ep, bool for_precheck)
{
    uint64_t fixed = for_precheck ? h->cfg.precheck_prep_timeout_ms : h->cfg.lenient_prep_timeout_ms;
    if (fixed)
        return fixed;
    return executor_params_prep_timeout_ms(ep, for_precheck ? PVF_PREP_PRECHECK : PVF_PREP_PREPARE);
}

/* The worker said the artifact is ready: move it into the cache and record it. */
static bool store_artifact(pvf_host *h, artifact_entry *e, const proto_prepare_result *r,
                           host_prepare_outcome *out)
{
    char err[512];
    char *path = artifacts_generate_path(h->table);
    if (!path) {
        outcome_fail(out, PREP_ERR_RENAME_TMP_FILE, "could not name the artifact file%s", "");
        return false;
    }
    if (!worker_take_artifact(&h->prep, path, err, sizeof err)) {
        outcome_fail(out, PREP_ERR_RENAME_TMP_FILE, "%s", err);
        free(path);
        return false;
    }
    /* The artifact's own size (the reference measures the cache dir: §11). */
    struct stat st;
    uint64_t size = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    const proto_memory_stats *m = &r->stats.memory_stats;
    artifact_prepare_stats stats = {
        .cpu_time_ns = proto_duration_to_ns(r->stats.cpu_time_elapsed),
        .peak_memory_bytes = m->has_max_rss && m->max_rss > 0 ? (uint64_t)m->max_rss * 1024 : m->peak_tracked_alloc,
    };
    bool ok = artifacts_mark_prepared(h->table, e, path, r->checksum, size, &stats, host_now_ms());
    if (!ok) {
        unlink(path);
        outcome_fail(out, PREP_ERR_IO_ERR, "out of memory recording the artifact%s", "");
    }
    free(path);
    return ok;
}

/* Classify a finished prepare request (§1.4 steps 3–5) into *out. */
static void classify_prepare(pvf_host *h, worker_io_status st, const proto_prepare_result *r, uint64_t cpu_ms,
                             const char *err, host_prepare_outcome *out)
{
    char msg[512];
    switch (st) {
    case WORKER_IO_OK:
        if (r->ok) {
            out->cpu_ns = proto_duration_to_ns(r->stats.cpu_time_elapsed);
            if (out->cpu_ns > cpu_ms * 1000000ull)
                outcome_fail(out, PREP_ERR_TIMED_OUT, "preparation took longer than its CPU budget%s", "");
            else
                out->ok = true;
            return;
        }
        snprintf(msg, sizeof msg, "%.*s", (int)r->error.msg.len, (const char *)r->error.msg.ptr);
        outcome_fail(out, r->error.kind, "%s", msg);
        /* The reference retires the worker after these (rip). */
        if (r->error.kind == PREP_ERR_TIMED_OUT || r->error.kind == PREP_ERR_JOB_DIED ||
            r->error.kind == PREP_ERR_OUT_OF_MEMORY)
            worker_kill(&h->prep);
        return;
    case WORKER_IO_HARD_TIMEOUT:
        outcome_fail(out, PREP_ERR_TIMED_OUT, "prepare worker passed its wall-clock deadline: %s", err);
        return;
    case WORKER_IO_HOST_ERROR:
        outcome_fail(out, PREP_ERR_CREATE_TMP_FILE, "%s", err);
        return;
    case WORKER_IO_DIED:
    case WORKER_IO_MALFORMED:
    default:
        outcome_fail(out, PREP_ERR_IO_ERR, "prepare worker: %s", err);
        return;
    }
}

/* e is Preparing: run the prepare job and move e to Prepared or FailedToProcess. */
static artifact_entry *run_prepare(pvf_host *h, artifact_entry *e, const uint8_t *code, size_t code_len,
                                   const executor_params *ep, bool for_precheck, host_prepare_outcome *out)
{
    char err[512] = "";
    if (!ensure_prepare_worker(h, err, sizeof err)) {
        /* Not the code's fault: forget the entry so a later request tries again. */
        char *path = artifacts_remove(h->table, e);
        free(path);
        out->attempted = true;
        outcome_fail(out, PREP_ERR_IO_ERR, "could not spawn the prepare worker: %s", err);
        return NULL;
    }
    uint64_t cpu_ms = prep_timeout_ms(h, ep, for_precheck);
    proto_pvf_prep_data req;
    memset(&req, 0, sizeof req);
    req.maybe_compressed_code = (scale_bytes){code, code_len};
    req.validation_code_bomb_limit = h->cfg.validation_code_bomb_limit;
    memcpy(req.code_hash, e->id.code_hash, 32);
    req.executor_params = *ep;
    req.prep_timeout = proto_duration_from_ms(cpu_ms);
    req.prep_kind = for_precheck ? PROTO_PREP_PRECHECKING : PROTO_PREP_COMPILATION;
    proto_prepare_result r;
    memset(&r, 0, sizeof r);
    worker_io_status st = worker_prepare(&h->prep, &req, cpu_ms * h->cfg.wall_clock_factor, &r, err, sizeof err);
    out->ran = out->attempted = true;
    classify_prepare(h, st, &r, cpu_ms, err, out);
    if (out->ok && store_artifact(h, e, &r, out))
        return e;
    artifacts_mark_failed(h->table, e, (int)out->error_kind, out->message, host_now_ms());
    return NULL;
}

const executor_params *host_params_or_empty(const executor_params *ep)
{
    static const executor_params empty = {NULL, 0, 0};
    return ep ? ep : &empty;
}

artifact_entry *host_ensure_prepared(pvf_host *h, const uint8_t *code, size_t code_len,
                                     const executor_params *ep, bool for_precheck,
                                     host_prepare_outcome *out)
{
    memset(out, 0, sizeof *out);
    ep = host_params_or_empty(ep);
    artifact_id id;
    if (!artifact_id_compute(code, code_len, ep, &id)) {
        outcome_fail(out, PREP_ERR_IO_ERR, "out of memory hashing the executor params%s", "");
        return NULL;
    }
    uint64_t now = host_now_ms();
    artifact_entry *e = artifacts_lookup(h->table, &id);
    char *old = NULL;
    if (!e) {
        e = artifacts_insert_preparing(h->table, &id);
        if (!e) {
            outcome_fail(out, PREP_ERR_IO_ERR, "out of memory%s", "");
            return NULL;
        }
    } else if (e->state == ARTIFACT_PREPARED) {
        struct stat st;
        if (stat(e->path, &st) == 0) {
            artifacts_touch(e, now);
            out->ok = true;
            return e;
        }
        /* The file vanished: prepare it again (§1.1, execute on Prepared). */
        artifacts_start_preparing(h->table, e, &old);
        free(old);
    } else if (e->state == ARTIFACT_FAILED_TO_PROCESS) {
        proto_prepare_error_kind kind = (proto_prepare_error_kind)e->error_kind;
        bool det = proto_prepare_error_is_deterministic(kind);
        if (for_precheck || !artifacts_can_retry(e, det, now, h->cfg.prepare_failure_cooldown_ms,
                                                 h->cfg.prepare_max_retries)) {
            outcome_fail(out, kind, "%s", e->error_msg);
            return NULL;
        }
        artifacts_start_preparing(h->table, e, &old);
        free(old);
    }
    /* Preparing: a synchronous host never leaves one behind, but prepare it if so. */
    return run_prepare(h, e, code, code_len, ep, for_precheck, out);
}

void host_remove_artifact(pvf_host *h, artifact_entry *e)
{
    char *path = artifacts_remove(h->table, e);
    if (path) {
        unlink(path);
        free(path);
    }
}

const char *pvf_host_artifact_path(pvf_host *h, const uint8_t *code, size_t code_len,
                                   const struct executor_params *ep)
{
    artifact_id id;
    if (!artifact_id_compute(code, code_len, host_params_or_empty(ep), &id))
        return NULL;
    artifact_entry *e = artifacts_lookup(h->table, &id);
    if (!e || e->state != ARTIFACT_PREPARED)
        return NULL;
    snprintf(h->path_buf, sizeof h->path_buf, "%s", e->path);
    return h->path_buf;
}

/* ---------------------------------------------------------------- precheck */

void pvf_host_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                       const struct executor_params *ep, pvf_precheck_result *out)
{
    memset(out, 0, sizeof *out);
    host_prepare_outcome po;
    artifact_entry *e = host_ensure_prepared(h, code, code_len, ep, true, &po);
    out->prepare_cpu_ns = po.cpu_ns;
    out->cached = !po.attempted;
    if (e) {
        out->outcome = PVF_PRECHECK_VALID;
        return;
    }
    /* §6.2: a deterministic error is Invalid, anything else Failed (no vote). */
    out->outcome = po.deterministic ? PVF_PRECHECK_INVALID : PVF_PRECHECK_FAILED;
    snprintf(out->reason, sizeof out->reason, "%s", proto_prepare_error_name(po.error_kind));
    snprintf(out->message, sizeof out->message, "%s", po.message);
}

const char *pvf_precheck_outcome_name(pvf_precheck_outcome o)
{
    switch (o) {
    case PVF_PRECHECK_VALID: return "Valid";
    case PVF_PRECHECK_INVALID: return "Invalid";
    case PVF_PRECHECK_FAILED: return "Failed";
    }
    return "?";
}

/*
 * host.c — the PVF host's lifecycle and public API (include/pvf/host.h):
 * start and stop the host thread, turn submissions into inbox messages,
 * hand completions to callers, and the synchronous wrappers.
 *
 * Nothing here touches the artifact table or the queues except under
 * h->lock; the host thread (host_loop.c) owns them.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"
#include "host/security_hints.h"
#include "host/worker_log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pvf/version.h"
#include "util/saturate.h"

const executor_params *host_params_or_empty(const executor_params *ep)
{
    static const executor_params empty = {NULL, 0, 0};
    return ep ? ep : &empty;
}

/* The library's defaults, in a struct of this library's own size. */
static void config_defaults(pvf_host_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
    cfg->execute_workers_max = EXEC_QUEUE_MAX_WORKERS_DEFAULT;
    cfg->prepare_workers_soft_max = PREPARE_QUEUE_SOFT_CAP_DEFAULT;
    cfg->prepare_workers_hard_max = PREPARE_QUEUE_HARD_CAP_DEFAULT;
    cfg->spawn_timeout_ms = PVF_REF_SPAWN_TIMEOUT_MS;
    cfg->wall_clock_factor = PVF_REF_WALL_CLOCK_FACTOR;
    cfg->execution_retry_delay_ms = PVF_REF_EXECUTION_RETRY_DELAY_MS;
    cfg->prepare_failure_cooldown_ms = PVF_REF_PREPARE_FAILURE_COOLDOWN_MS;
    cfg->prepare_max_retries = PVF_REF_PREPARE_MAX_RETRIES;
    cfg->validation_code_bomb_limit = PVF_REF_CODE_BOMB_LIMIT;
    cfg->spawn_retry_ms = PVF_REF_SPAWN_RETRY_MS;
    cfg->max_keep_waiting_ms = EXEC_QUEUE_MAX_KEEP_WAITING_MS_DEFAULT;
    cfg->cleanup_pulse_ms = PVF_REF_CLEANUP_PULSE_MS;
    cfg->artifact_cache_limit = PVF_REF_ARTIFACT_CACHE_LIMIT;
    cfg->artifact_min_stale_ms = PVF_REF_ARTIFACT_MIN_STALE_MS;
    cfg->secure_validator_mode = true;
    cfg->tier = PVF_TIER_DEFAULT;
    cfg->log_level = PVF_LOG_WARNING;
}

/* Defaults into the caller's struct of `size` bytes (its prefix when it is older than this
 * library; zeros past our fields when it is newer). */
static void init_sized(void *dst, size_t size, const void *defaults, size_t full_size)
{
    if (size > full_size)
        memset(dst, 0, size);
    memcpy(dst, defaults, size < full_size ? size : full_size);
    if (size >= sizeof(size_t))
        *(size_t *)dst = size;
}

void pvf_host_config_init_sized(pvf_host_config *cfg, size_t size)
{
    pvf_host_config d;
    config_defaults(&d);
    init_sized(cfg, size, &d, sizeof d);
}

void pvf_execute_request_init_sized(pvf_execute_request *rq, size_t size)
{
    pvf_execute_request d;
    memset(&d, 0, sizeof d);
    init_sized(rq, size, &d, sizeof d);
}

/* ---------------------------------------------------------------- lifecycle */

static void host_free(pvf_host *h)
{
    if (h->table)
        artifacts_close(h->table);
    prepare_queue_free(h->pq);
    exec_queue_free(h->eq);
    metrics_free(h->metrics);
    mailbox_destroy(&h->inbox);
    mailbox_destroy(&h->events);
    mailbox_destroy(&h->completions);
    pthread_mutex_destroy(&h->lock);
    free(h->slots);
    free(h->cache_dir);
    free(h->prepare_path);
    free(h->execute_path);
    free(h->node_version);
    free(h->dump_dir);
    wlog_stop(h->worker_log);     /* the workers are gone: their pipes are at their ends */
    free(h);
}

static bool copy_config(pvf_host *h, const pvf_host_config *cfg)
{
    h->cfg = *cfg;
    h->cache_dir = strdup(cfg->cache_dir);
    h->prepare_path = strdup(cfg->prepare_worker_path);
    h->execute_path = strdup(cfg->execute_worker_path);
    h->cfg.prepare_worker_path = h->cfg.execute_worker_path = h->cfg.workers_dir = NULL;   /* the copies above */
    h->node_version = strdup(cfg->node_version ? cfg->node_version : PVF_VERSION);
    h->cfg.dump_dir = h->dump_dir = cfg->dump_dir ? strdup(cfg->dump_dir) : NULL;
    if (!h->cfg.wall_clock_factor)
        h->cfg.wall_clock_factor = PVF_REF_WALL_CLOCK_FACTOR;
    if (!h->cfg.validation_code_bomb_limit)
        h->cfg.validation_code_bomb_limit = PVF_REF_CODE_BOMB_LIMIT;
    if (!h->cfg.cleanup_pulse_ms)
        h->cfg.cleanup_pulse_ms = PVF_REF_CLEANUP_PULSE_MS;
    return h->cache_dir && h->prepare_path && h->execute_path && h->node_version;
}

static bool make_queues(pvf_host *h, char *err, size_t errlen)
{
    prepare_queue_config pc = {
        .soft_capacity = h->cfg.prepare_workers_soft_max ? h->cfg.prepare_workers_soft_max : 1,
        .hard_capacity = h->cfg.prepare_workers_hard_max,
        .spawn_retry_ms = h->cfg.spawn_retry_ms,
    };
    if (pc.hard_capacity < pc.soft_capacity)
        pc.hard_capacity = pc.soft_capacity;
    exec_queue_config ec = {
        .max_workers = h->cfg.execute_workers_max ? h->cfg.execute_workers_max : 1,
        .max_keep_waiting_ms = h->cfg.max_keep_waiting_ms,
        .spawn_retry_ms = h->cfg.spawn_retry_ms,
    };
    h->pq = prepare_queue_new(&pc);
    h->eq = exec_queue_new(&ec);
    h->metrics = h->cfg.disable_metrics ? NULL : metrics_new();
    if (!h->pq || !h->eq || (!h->cfg.disable_metrics && !h->metrics)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

static void log_layer(const pvf_host *h, const char *name, const pvf_security_layer *l)
{
    host_log(h, l->available ? PVF_LOG_INFO : PVF_LOG_WARNING, "security: %-17s %s: %s", name,
             l->available ? "available" : "UNAVAILABLE", l->detail);
}

/* "; likely cause (landlock): …" for each layer missing, the fix included (security_hints.h). */
static void likely_causes(const pvf_security_status *st, char *out, size_t size)
{
    security_facts f;
    security_facts_read(&f);
    const struct { const char *name; const pvf_security_layer *l; } layers[] = {
        {"landlock", &st->landlock}, {"seccomp", &st->seccomp}, {"userns_pivot_root", &st->userns_pivot_root},
    };
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        char hint[512];
        if (layers[i].l->available || n >= size)
            continue;
        n += (size_t)snprintf(out + n, size - n, "; likely cause (%s): %s", layers[i].name,
                              security_hint(&f, layers[i].name, layers[i].l->detail, hint, sizeof hint));
    }
}

/* Run the start-up checks, log one line per layer, apply the secure-mode
 * policy; the workers will apply exactly the layers that passed. */
static bool check_security(pvf_host *h, char *err, size_t errlen)
{
    pvf_security_status *st = &h->security;
    if (h->cfg.no_sandbox) {
        if (h->cfg.secure_validator_mode) {
            snprintf(err, errlen, "no_sandbox needs secure_validator_mode off");
            return false;
        }
        memset(&h->worker_security, 0, sizeof h->worker_security);
        host_log(h, PVF_LOG_WARNING, "WARNING: running without any sandbox (no_sandbox)");
        return true;
    }
    if (!security_check(h->prepare_path, h->cache_dir, st, err, errlen))
        return false;
    log_layer(h, "landlock", &st->landlock);
    log_layer(h, "seccomp", &st->seccomp);
    log_layer(h, "userns_pivot_root", &st->userns_pivot_root);
    log_layer(h, "job_clone", &st->job_clone);
    metrics_sandbox_layer(h->metrics, METRICS_LAYER_LANDLOCK, st->landlock.available);
    metrics_sandbox_layer(h->metrics, METRICS_LAYER_SECCOMP, st->seccomp.available);
    metrics_sandbox_layer(h->metrics, METRICS_LAYER_USERNS_PIVOT_ROOT, st->userns_pivot_root.available);
    metrics_sandbox_layer(h->metrics, METRICS_LAYER_JOB_CLONE, st->job_clone.available);
    metrics_sandbox_layer(h->metrics, METRICS_LAYER_SECURE_MODE, st->secure_mode_ok);
    h->worker_security = (proto_security_status){
        .secure_validator_mode = h->cfg.secure_validator_mode,
        .can_enable_landlock = st->landlock.available,
        .can_enable_seccomp = st->seccomp.available,
        .can_unshare_user_namespace_and_change_root = st->userns_pivot_root.available,
        .can_do_secure_clone = st->job_clone.available,
    };
    char why[600];
    if (!pvf_security_refusal(st, why, sizeof why))
        return true;
    char causes[1200];
    likely_causes(st, causes, sizeof causes);
    if (h->cfg.secure_validator_mode) {
        snprintf(err, errlen, "cannot start in secure validator mode: %s%s (the insecure option runs anyway)", why,
                 causes);
        return false;
    }
    host_log(h, PVF_LOG_WARNING, "WARNING: running without a secure sandbox: %s%s", why, causes);
    return true;
}

pvf_host *pvf_host_start(const pvf_host_config *given, char *err, size_t errlen)
{
    pvf_host_config known;
    config_defaults(&known);
    if (!api_take_sized(&known, sizeof known, given, given->size, "pvf_host_config", err, errlen))
        return NULL;
    const pvf_host_config *cfg = &known;
    if (!cfg->cache_dir) {
        snprintf(err, errlen, "host config needs cache_dir");
        return NULL;
    }
    if (!cfg->prepare_worker_path != !cfg->execute_worker_path) {
        snprintf(err, errlen, "host config: give both worker paths, or neither (then they are searched for)");
        return NULL;
    }
    char prepare[4200], execute[4200];
    if (!cfg->prepare_worker_path) {
        if (!pvf_find_workers(cfg->workers_dir, prepare, execute, sizeof prepare, err, errlen))
            return NULL;
        known.prepare_worker_path = prepare;
        known.execute_worker_path = execute;
    }
    if (cfg->execute_job_memory_mb > PVF_JOB_MEMORY_MB_MAX) {
        snprintf(err, errlen, "execute_job_memory_mb %llu is over the largest, %llu (1 TiB)",
                 (unsigned long long)cfg->execute_job_memory_mb, (unsigned long long)PVF_JOB_MEMORY_MB_MAX);
        return NULL;
    }
    const char *bins[2] = {cfg->prepare_worker_path, cfg->execute_worker_path};
    for (int i = 0; i < 2; i++) {
        if (access(bins[i], X_OK) != 0) {
            snprintf(err, errlen, "cannot run the %s worker %s: %s", i ? "execute" : "prepare", bins[i],
                     strerror(errno));
            return NULL;
        }
    }
    pvf_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->inbox.efd = h->events.efd = h->completions.efd = -1;
    h->ready_tail = &h->ready;
    atomic_init(&h->next_id, 1);
    atomic_init(&h->stopping, false);
    if (!copy_config(h, cfg)) {
        snprintf(err, errlen, "out of memory");
        host_free(h);
        return NULL;
    }
    h->worker_log = wlog_start(cfg->worker_log_path, cfg->log, cfg->log_user, err, errlen);
    if (!h->worker_log) {
        host_free(h);
        return NULL;
    }
    if (!mailbox_init(&h->inbox) || !mailbox_init(&h->events) || !mailbox_init(&h->completions)) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        host_free(h);
        return NULL;
    }
    if (!make_queues(h, err, errlen)) {
        host_free(h);
        return NULL;
    }
    artifacts_config ac = {.cache_dir = h->cache_dir, .engine_version = PVF_ENGINE_VERSION, .target = NULL};
    char why[512];
    h->table = artifacts_open(&ac, monotonic_ms(), NULL, why, sizeof why);
    if (!h->table) {
        snprintf(err, errlen, "cannot open the artifact cache %s: %s", h->cache_dir, why);
        host_free(h);
        return NULL;
    }
    if (!check_security(h, err, errlen)) {
        host_free(h);
        return NULL;
    }
    h->next_cleanup_ms = sat_add_u64(monotonic_ms(), h->cfg.cleanup_pulse_ms);
    int e = pthread_create(&h->thread, NULL, host_thread_main, h);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the host thread: %s", strerror(e));
        host_free(h);
        return NULL;
    }
    pthread_setname_np(h->thread, "pvf-host");     /* for top -H, gdb and the tests */
    return h;
}

/* Deliver whatever completions are still queued for pvf_host_next_completion (freeing them). */
static void drop_queued_completions(pvf_host *h)
{
    mailbox_node *n = mailbox_take_all(&h->completions);
    while (n) {
        completion_msg *m = (completion_msg *)n;
        n = n->next;
        pvf_completion_free(&m->c);   /* and m, whose c it is */
    }
}

void pvf_host_stop(pvf_host *h)
{
    if (!h)
        return;
    inbox_msg *m = calloc(1, sizeof *m);
    atomic_store(&h->stopping, true);
    if (m) {
        m->kind = INBOX_STOP;
        mailbox_push(&h->inbox, &m->node);
    } else {
        /* The thread also notices `stopping` after any wakeup; make one. */
        uint64_t one = 1;
        (void)!write(mailbox_fd(&h->inbox), &one, sizeof one);
    }
    pthread_join(h->thread, NULL);
    drop_queued_completions(h);
    char why[256];
    if (!artifacts_save_manifest(h->table, why, sizeof why))
        host_log(h, PVF_LOG_ERROR, "could not save the artifact manifest: %s", why);
    host_free(h);
}

/* ---------------------------------------------------------------- requests */

void host_request_free(host_request *r)
{
    if (!r)
        return;
    free(r->code);
    free(r->parent_head);
    free(r->pov);
    executor_params_free(&r->ep);
    exec_outcome_free(&r->last);
    if (r->reply)
        pvf_completion_free(&r->reply->c);
    free(r);
}

host_request *host_find_request(pvf_host *h, uint64_t id)
{
    for (host_request *r = h->requests; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n, bool *ok)
{
    if (!n)
        return NULL;
    uint8_t *c = malloc(n);
    if (!c)
        *ok = false;
    else
        memcpy(c, p, n);
    return c;
}

static host_request *new_request(pvf_host *h, pvf_request_type type, const uint8_t *code, size_t code_len,
                                 const executor_params *ep, pvf_completion_fn cb, void *user_data)
{
    host_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    bool ok = true;
    r->type = type;
    r->cb = cb;
    r->user_data = user_data;
    r->code = dup_bytes(code, code_len, &ok);
    r->code_len = code_len;
    r->reply = completion_new(type);
    ok = ok && r->reply;
    ok = ok && executor_params_copy(&r->ep, ep) && artifact_id_compute(code, code_len, &r->ep, &r->aid) &&
         executor_params_hash(&r->ep, r->params_hash);
    if (!ok) {
        host_request_free(r);
        return NULL;
    }
    r->id = atomic_fetch_add(&h->next_id, 1);
    r->submitted_ms = monotonic_ms();
    r->reply->c.id = r->id;
    r->reply->c.user_data = user_data;
    return r;
}

static uint64_t submit(pvf_host *h, host_request *r)
{
    inbox_msg *m = r ? calloc(1, sizeof *m) : NULL;
    if (!m || atomic_load(&h->stopping)) {
        free(m);
        host_request_free(r);
        return 0;
    }
    uint64_t id = r->id;
    m->kind = INBOX_REQUEST;
    m->request = r;
    mailbox_push(&h->inbox, &m->node);
    return id;
}

uint64_t pvf_host_submit_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                                  const struct executor_params *ep, pvf_completion_fn cb, void *user_data)
{
    return submit(h, new_request(h, PVF_REQUEST_PRECHECK, code, code_len, ep, cb, user_data));
}


/* pvf_host_submit_execute, saying why when it returns 0 (pvf_host_execute reports it). */
static uint64_t submit_execute(pvf_host *h, const pvf_execute_request *given, pvf_completion_fn cb, void *user_data,
                               char *why, size_t whylen)
{
    pvf_execute_request known;
    memset(&known, 0, sizeof known);
    if (!api_take_sized(&known, sizeof known, given, given->size, "pvf_execute_request", why, whylen))
        return 0;
    snprintf(why, whylen, "out of memory or the host is stopping");
    const pvf_execute_request *rq = &known;
    host_request *r = new_request(h, PVF_REQUEST_EXECUTE, rq->code, rq->code_len, rq->executor_params, cb,
                                  user_data);
    if (!r)
        return 0;
    bool ok = true;
    r->parent_head = dup_bytes(rq->parent_head, rq->parent_head_len, &ok);
    r->parent_head_len = rq->parent_head_len;
    r->pov = dup_bytes(rq->pov, rq->pov_len, &ok);
    r->pov_len = rq->pov_len;
    r->relay_parent_number = rq->relay_parent_number;
    r->max_pov_size = rq->max_pov_size ? rq->max_pov_size : PVF_REF_MAX_POV_SIZE;
    memcpy(r->storage_root, rq->relay_parent_storage_root, 32);
    memcpy(r->relay_parent, rq->relay_parent, 32);
    r->kind = rq->kind;
    bool approval = rq->kind == PVF_KIND_APPROVAL || rq->kind == PVF_KIND_DISPUTE;
    r->timeout_ms = rq->timeout_ms ? rq->timeout_ms
                                   : executor_params_exec_timeout_ms(&r->ep, approval ? PVF_EXEC_APPROVAL
                                                                                      : PVF_EXEC_BACKING);
    if (!ok) {
        host_request_free(r);
        return 0;
    }
    return submit(h, r);
}

uint64_t pvf_host_submit_execute(pvf_host *h, const pvf_execute_request *rq, pvf_completion_fn cb,
                                 void *user_data)
{
    char why[160];
    return submit_execute(h, rq, cb, user_data, why, sizeof why);
}

bool pvf_host_heads_up(pvf_host *h, const pvf_heads_up_item *pvfs, size_t n)
{
    inbox_msg *m = calloc(1, sizeof *m);
    if (!m)
        return false;
    m->kind = INBOX_HEADS_UP;
    prep_job **tail = &m->heads_up;
    for (size_t i = 0; i < n; i++) {
        prep_job *j = calloc(1, sizeof *j);
        bool ok = j != NULL;
        if (j) {
            *tail = j;
            tail = &j->next;
            j->code = dup_bytes(pvfs[i].code, pvfs[i].code_len, &ok);
            j->code_len = pvfs[i].code_len;
            ok = ok && executor_params_copy(&j->ep, pvfs[i].executor_params) &&
                 artifact_id_compute(j->code, j->code_len, &j->ep, &j->aid);
        }
        if (!ok) {
            for (prep_job *k = m->heads_up, *next; k; k = next) {
                next = k->next;
                prep_job_free(k);
            }
            free(m);
            return false;
        }
    }
    mailbox_push(&h->inbox, &m->node);
    return true;
}

bool pvf_host_cancel(pvf_host *h, uint64_t id)
{
    inbox_msg *m = calloc(1, sizeof *m);
    if (!m)
        return false;
    m->kind = INBOX_CANCEL;
    m->cancel = id;
    mailbox_push(&h->inbox, &m->node);
    return true;
}

bool pvf_host_update_active_leaves(pvf_host *h, const uint8_t activated[32], const uint8_t (*ancestors)[32],
                                   size_t n_ancestors, const uint8_t (*deactivated)[32], size_t n_deactivated)
{
    inbox_msg *m = calloc(1, sizeof *m);
    if (!m)
        return false;
    m->kind = INBOX_LEAVES;
    m->has_activated = activated != NULL;
    if (activated)
        memcpy(m->activated, activated, 32);
    bool ok = n_ancestors <= SIZE_MAX / 32 && n_deactivated <= SIZE_MAX / 32;
    size_t n_anc = activated && ok ? n_ancestors : 0;
    m->ancestors = (uint8_t(*)[32])dup_bytes(n_anc ? ancestors[0] : NULL, n_anc * 32, &ok);
    m->n_ancestors = n_anc;
    m->deactivated = (uint8_t(*)[32])dup_bytes(n_deactivated && ok ? deactivated[0] : NULL,
                                               ok ? n_deactivated * 32 : 0, &ok);
    m->n_deactivated = n_deactivated;
    if (!ok) {
        free(m->ancestors);
        free(m->deactivated);
        free(m);
        return false;
    }
    mailbox_push(&h->inbox, &m->node);
    return true;
}

/* ---------------------------------------------------------------- completions */

void host_complete(pvf_host *h, host_request *r)
{
    host_dump(h, r);
    for (host_request **p = &h->requests; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    completion_msg *m = r->reply;
    r->reply = NULL;
    m->cb = r->cb;
    m->node.next = NULL;
    *h->ready_tail = &m->node;
    h->ready_tail = &m->node.next;
    host_request_free(r);
}

int pvf_host_completion_fd(const pvf_host *h)
{
    return mailbox_fd(&h->completions);
}

pvf_completion *pvf_host_next_completion(pvf_host *h)
{
    /* Take one, put the rest back in order. */
    mailbox_node *all = mailbox_take_all(&h->completions);
    if (!all)
        return NULL;
    completion_msg *m = (completion_msg *)all;
    mailbox_node *rest = all->next;
    pthread_mutex_lock(&h->completions.lock);
    if (rest) {
        mailbox_node *last = rest;
        while (last->next)
            last = last->next;
        last->next = h->completions.head;
        if (!h->completions.head)
            h->completions.tail = last;
        h->completions.head = rest;
        uint64_t one = 1;
        (void)!write(h->completions.efd, &one, sizeof one);
    }
    pthread_mutex_unlock(&h->completions.lock);
    return &m->c;
}

/* ---------------------------------------------------------------- synchronous wrappers */

typedef struct sync_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    pvf_precheck_result *precheck;  /* taken from the completion */
    pvf_execute_result *execute;
} sync_wait;

static void sync_done(pvf_completion *c, void *user_data)
{
    sync_wait *w = user_data;
    pthread_mutex_lock(&w->lock);
    w->precheck = c->precheck;
    w->execute = c->execute;
    c->precheck = NULL;
    c->execute = NULL;
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void sync_init(sync_wait *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
}

static void sync_await(sync_wait *w)
{
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

/* The result of a request the host did not take: Internal / Failed, saying why. */
static completion_msg *refused(pvf_request_type type, const char *why)
{
    completion_msg *m = completion_new(type);
    if (!m)
        return NULL;
    if (type == PVF_REQUEST_PRECHECK) {
        m->c.precheck->outcome = PVF_PRECHECK_FAILED;
        result_set_text(&m->c.precheck->reason, "Internal");
        result_set_text(&m->c.precheck->message, why);
    } else {
        m->c.execute->verdict = PVF_VERDICT_INTERNAL;
        result_set_text(&m->c.execute->reason, "Internal");
        result_set_text(&m->c.execute->message, why);
    }
    return m;
}

pvf_precheck_result *pvf_host_precheck(pvf_host *h, const uint8_t *code, size_t code_len,
                                       const struct executor_params *ep)
{
    sync_wait w;
    sync_init(&w);
    if (!pvf_host_submit_precheck(h, code, code_len, ep, sync_done, &w)) {
        completion_msg *m = refused(PVF_REQUEST_PRECHECK, "out of memory or the host is stopping");
        sync_done(m ? &m->c : &(pvf_completion){0}, &w);
        pvf_completion_free(m ? &m->c : NULL);
    }
    sync_await(&w);
    return w.precheck;
}

pvf_execute_result *pvf_host_execute(pvf_host *h, const pvf_execute_request *req)
{
    sync_wait w;
    sync_init(&w);
    char why[160];
    if (!submit_execute(h, req, sync_done, &w, why, sizeof why)) {
        completion_msg *m = refused(PVF_REQUEST_EXECUTE, why);
        sync_done(m ? &m->c : &(pvf_completion){0}, &w);
        pvf_completion_free(m ? &m->c : NULL);
    }
    sync_await(&w);
    return w.execute;
}

/* ---------------------------------------------------------------- introspection */

const char *pvf_host_artifact_path(pvf_host *h, const uint8_t *code, size_t code_len,
                                   const struct executor_params *ep)
{
    artifact_id id;
    if (!artifact_id_compute(code, code_len, host_params_or_empty(ep), &id))
        return NULL;
    const char *ans = NULL;
    pthread_mutex_lock(&h->lock);
    artifact_entry *e = artifacts_lookup(h->table, &id);
    if (e && e->state == ARTIFACT_PREPARED) {
        snprintf(h->path_buf, sizeof h->path_buf, "%s", e->path);
        ans = h->path_buf;
    }
    pthread_mutex_unlock(&h->lock);
    return ans;
}

size_t pvf_host_worker_pids(const pvf_host *h, int kind, int *pids, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock((pthread_mutex_t *)&h->lock);
    for (size_t i = 0; i < h->n_slots; i++) {
        int pid = slot_pid(h->slots[i]);
        if ((int)slot_kind(h->slots[i]) == kind && pid > 0 && n < max)
            pids[n++] = pid;
    }
    pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
    return n;
}

int pvf_host_prepare_worker_pid(const pvf_host *h)
{
    int pid;
    return pvf_host_worker_pids(h, HOST_WORKER_PREPARE, &pid, 1) ? pid : -1;
}

int pvf_host_execute_worker_pid(const pvf_host *h)
{
    int pid;
    return pvf_host_worker_pids(h, HOST_WORKER_EXECUTE, &pid, 1) ? pid : -1;
}

const pvf_security_status *pvf_host_security(const pvf_host *h)
{
    return &h->security;
}

size_t pvf_host_metrics_render(const pvf_host *h, char *buf, size_t cap)
{
    return metrics_render(h->metrics, buf, cap);
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

const char *host_kind_option(pvf_exec_request_kind k)
{
    switch (k) {
    case PVF_KIND_APPROVAL: return "approval";
    case PVF_KIND_DISPUTE: return "dispute";
    default: return "backing";
    }
}

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


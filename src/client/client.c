/*
 * client.c — pvf/client.h: a node's connection to pvfd. Requests are framed SCALE
 * (src/wire/daemon_protocol.h) written whole on a blocking socket; answers are read one frame at
 * a time, turned into the host's own result objects (src/host/results.h) and handed out in the
 * order they come, except that a synchronous call takes its own answer first and leaves the
 * others queued.
 */
#define _GNU_SOURCE
#include "pvf/client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/results.h"
#include "runtime/executor_params.h"
#include "util/errmsg.h"
#include "util/vec.h"
#include "wire/daemon_protocol.h"
#include "wire/protocol.h"

/* A work request sent and not yet answered: its id and whether it is a precheck. */
typedef struct sent {
    uint64_t id;
    pvf_request_type type;
} sent;

struct pvf_client {
    int fd;
    uint64_t last_id;
    sent *sent;
    size_t n_sent, cap_sent;
    completion_msg *queue, *queue_tail;     /* answers read, not yet handed out */
};

/* ---------------------------------------------------------------- frames */

static bool send_writer(pvf_client *c, scale_writer *w, char *err, size_t errlen)
{
    return proto_send(c->fd, w, err, errlen);
}

/* One frame, waiting up to timeout_ms (-1: forever). 1: *p holds it; 0: none in time; -1: broken. */
static int read_frame(pvf_client *c, int timeout_ms, uint8_t **p, size_t *n, char *err, size_t errlen)
{
    struct pollfd pfd = {c->fd, POLLIN, 0};
    int ready;
    do
        ready = poll(&pfd, 1, timeout_ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0)
        return errmsg_set(err, errlen, "%s", ""), 0;
    if (ready < 0)
        return errmsg_set(err, errlen, "poll: %s", strerror(errno)), -1;
    frame_status st = frame_recv(c->fd, PVFD_MAX_RESPONSE, p, n, err, errlen);
    if (st == FRAME_CLOSED)
        errmsg_set(err, errlen, "pvfd closed the connection");
    return st == FRAME_OK ? 1 : -1;
}

/* ---------------------------------------------------------------- answers */

static bool remember(pvf_client *c, uint64_t id, pvf_request_type type)
{
    if (!vec_reserve((void **)&c->sent, &c->cap_sent, c->n_sent + 1, sizeof *c->sent, 16))
        return false;
    c->sent[c->n_sent++] = (sent){id, type};
    return true;
}

/* The request an answer is for, forgotten now; false when this client sent none with that id. */
static bool forget(pvf_client *c, uint64_t id, pvf_request_type *type)
{
    for (size_t i = 0; i < c->n_sent; i++) {
        if (c->sent[i].id == id) {
            *type = c->sent[i].type;
            c->sent[i] = c->sent[--c->n_sent];
            return true;
        }
    }
    return false;
}

/* The answer as the host would have given it: a verdict, or Internal (Failed) with why. */
static completion_msg *to_completion(const pvfd_response *r, pvf_request_type type)
{
    completion_msg *m = completion_new(type);
    if (!m)
        return NULL;
    m->c.id = r->id;
    bool verdict = r->kind == (type == PVF_REQUEST_PRECHECK ? PVFD_RESP_PRECHECK : PVFD_RESP_EXECUTE);
    const char *reason = r->kind == PVFD_RESP_CANCELLED ? "Cancelled" : "Error";
    if (type == PVF_REQUEST_PRECHECK) {
        pvf_precheck_result *x = m->c.precheck;
        x->outcome = verdict ? (pvf_precheck_outcome)r->outcome : PVF_PRECHECK_FAILED;
        result_set_text_n(&x->reason, verdict ? (const char *)r->reason.ptr : reason, verdict ? r->reason.len : strlen(reason));
        result_set_text_n(&x->message, (const char *)r->message.ptr, r->message.len);
        x->prepare_cpu_ns = r->prepare_cpu_ns;
        x->cached = r->cached;
        return m;
    }
    pvf_execute_result *x = m->c.execute;
    x->verdict = verdict ? (pvf_verdict)r->outcome : PVF_VERDICT_INTERNAL;
    result_set_text_n(&x->reason, verdict ? (const char *)r->reason.ptr : reason, verdict ? r->reason.len : strlen(reason));
    result_set_text_n(&x->message, (const char *)r->message.ptr, r->message.len);
    result_set_text_n(&x->runtime_log, (const char *)r->runtime_log.ptr, r->runtime_log.len);
    if (r->result.len) {
        uint8_t *copy = malloc(r->result.len);
        if (!copy) {
            pvf_completion_free(&m->c);
            return NULL;
        }
        memcpy(copy, r->result.ptr, r->result.len);
        x->result = copy;
        x->result_len = r->result.len;
    }
    x->prepare_cpu_ns = r->prepare_cpu_ns;
    x->execute_ns = r->execute_ns;
    x->attempts = r->attempts;
    x->preparations = r->preparations;
    return m;
}

static void enqueue(pvf_client *c, completion_msg *m)
{
    m->node.next = NULL;
    if (c->queue_tail)
        c->queue_tail->node.next = &m->node;
    else
        c->queue = m;
    c->queue_tail = m;
}

static completion_msg *dequeue(pvf_client *c, uint64_t id)
{
    completion_msg *prev = NULL;
    for (completion_msg *m = c->queue; m; prev = m, m = (completion_msg *)m->node.next) {
        if (id && m->c.id != id)
            continue;
        if (prev)
            prev->node.next = m->node.next;
        else
            c->queue = (completion_msg *)m->node.next;
        if (c->queue_tail == m)
            c->queue_tail = prev;
        return m;
    }
    return NULL;
}

/*
 * Read answers until the one for `id` (0: any work answer) comes. A work answer becomes a
 * completion (returned when it is the one asked for, queued otherwise); the answer to a control
 * request (want_control) is decoded into *r, its frame in *frame for the caller to free. 1: got
 * it; 0: not within timeout_ms; -1: the connection broke or pvfd said something unreadable.
 */
static int read_until(pvf_client *c, uint64_t id, int timeout_ms, completion_msg **got, pvfd_response *r,
                      uint8_t **frame, char *err, size_t errlen)
{
    for (;;) {
        uint8_t *p;
        size_t n;
        int rc = read_frame(c, timeout_ms, &p, &n, err, errlen);
        if (rc <= 0)
            return rc;
        pvfd_response resp;
        wasm_error e = {0};
        if (!pvfd_response_decode(p, n, &resp, &e)) {
            free(p);
            errmsg_set(err, errlen, "pvfd sent an answer that does not decode: %s", e.msg);
            return -1;
        }
        pvf_request_type type;
        if (!forget(c, resp.id, &type)) {   /* a control request's answer */
            if (frame && resp.id == id) {
                *r = resp;
                *frame = p;
                return 1;
            }
            free(p);
            continue;   /* an answer for nobody (a control request already given up): dropped */
        }
        completion_msg *m = to_completion(&resp, type);
        free(p);
        if (!m) {
            errmsg_set(err, errlen, "out of memory");
            return -1;
        }
        if (!frame && (id == 0 || m->c.id == id)) {
            *got = m;
            return 1;
        }
        enqueue(c, m);
    }
}

/* ---------------------------------------------------------------- connecting */

static bool greet(pvf_client *c, const char *name, char *err, size_t errlen)
{
    pvfd_hello h = {.version = PVFD_PROTOCOL_VERSION, .client = proto_str(name ? name : "libpvf client")};
    memcpy(h.magic, PVFD_MAGIC, 4);
    scale_writer w;
    scale_writer_init(&w);
    pvfd_hello_write(&w, &h);
    char send_err[256] = "";
    /* a pvfd that refuses this peer says why and closes before reading the hello: its answer may
     * be waiting even when sending the hello failed */
    bool sent = send_writer(c, &w, send_err, sizeof send_err);
    uint8_t *p;
    size_t n;
    if (read_frame(c, sent ? 10000 : 1000, &p, &n, err, errlen) <= 0) {
        if (!sent)
            errmsg_set(err, errlen, "%s", send_err);
        else if (!err[0])
            errmsg_set(err, errlen, "pvfd did not answer the hello within 10 s");
        return false;
    }
    pvfd_welcome wel;
    wasm_error e = {0};
    bool ok = pvfd_welcome_decode(p, n, &wel, &e);
    if (!ok)
        errmsg_set(err, errlen, "not a pvfd welcome: %s", e.msg);
    else if (wel.refused)
        errmsg_set(err, errlen, "pvfd refused: %.*s", (int)wel.reason.len, (const char *)wel.reason.ptr);
    else if (wel.version != PVFD_PROTOCOL_VERSION)
        errmsg_set(err, errlen, "pvfd speaks protocol %u, this libpvf %u", wel.version, PVFD_PROTOCOL_VERSION);
    free(p);
    return ok && !wel.refused && wel.version == PVFD_PROTOCOL_VERSION;
}

pvf_client *pvf_client_connect(const char *socket_path, const char *client_name, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (!socket_path || strlen(socket_path) >= sizeof a.sun_path) {
        errmsg_set(err, errlen, "the socket path is %s", socket_path ? "too long" : "missing");
        return NULL;
    }
    snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_path);
    pvf_client *c = calloc(1, sizeof *c);
    if (!c) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        errmsg_set(err, errlen, "cannot connect to pvfd at %s: %s", socket_path, strerror(errno));
        pvf_client_close(c);
        return NULL;
    }
    if (!greet(c, client_name, err, errlen)) {
        pvf_client_close(c);
        return NULL;
    }
    return c;
}

void pvf_client_close(pvf_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    completion_msg *m;
    while ((m = dequeue(c, 0)))
        pvf_completion_free(&m->c);
    free(c->sent);
    free(c);
}

int pvf_client_fd(const pvf_client *c)
{
    return c->fd;
}

/* ---------------------------------------------------------------- work */

/* The executor params as SCALE (none: empty). */
static bool encode_params(const pvf_executor_params *ep, uint8_t **bytes, size_t *len)
{
    *bytes = NULL;
    *len = 0;
    if (!ep)
        return true;
    scale_writer w;
    scale_writer_init(&w);
    executor_params_encode(ep, &w);
    return scale_writer_finish(&w, bytes, len);
}

static uint64_t submit(pvf_client *c, pvfd_request *q, pvf_request_type type, char *err, size_t errlen)
{
    q->id = ++c->last_id;
    if (!remember(c, q->id, type)) {
        errmsg_set(err, errlen, "out of memory");
        return 0;
    }
    scale_writer w;
    scale_writer_init(&w);
    pvfd_request_write(&w, q);
    if (send_writer(c, &w, err, errlen))
        return q->id;
    pvf_request_type t;
    forget(c, q->id, &t);
    return 0;
}

uint64_t pvf_client_submit_execute(pvf_client *c, const pvf_execute_request *given, char *err, size_t errlen)
{
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    if (!api_take_sized(&rq, sizeof rq, given, given->size, "pvf_execute_request", err, errlen))
        return 0;
    uint8_t *ep;
    size_t ep_len;
    if (!encode_params(rq.executor_params, &ep, &ep_len)) {
        errmsg_set(err, errlen, "out of memory");
        return 0;
    }
    pvfd_request q = {.kind = PVFD_REQ_EXECUTE};
    pvfd_execute *x = &q.execute;
    x->code = (scale_bytes){rq.code, rq.code_len};
    x->executor_params = (scale_bytes){ep, ep_len};
    x->parent_head = (scale_bytes){rq.parent_head, rq.parent_head_len};
    x->relay_parent_number = rq.relay_parent_number;
    memcpy(x->relay_parent_storage_root, rq.relay_parent_storage_root, 32);
    x->max_pov_size = rq.max_pov_size;
    x->pov = (scale_bytes){rq.pov, rq.pov_len};
    x->kind = (uint8_t)rq.kind;
    x->timeout_ms = rq.timeout_ms;
    memcpy(x->relay_parent, rq.relay_parent, 32);
    uint64_t id = submit(c, &q, PVF_REQUEST_EXECUTE, err, errlen);
    free(ep);
    return id;
}

uint64_t pvf_client_submit_precheck(pvf_client *c, const uint8_t *code, size_t code_len, const pvf_executor_params *ep,
                                    char *err, size_t errlen)
{
    uint8_t *epb;
    size_t ep_len;
    if (!encode_params(ep, &epb, &ep_len)) {
        errmsg_set(err, errlen, "out of memory");
        return 0;
    }
    pvfd_request q = {.kind = PVFD_REQ_PRECHECK, .code = {code, code_len}, .executor_params = {epb, ep_len}};
    uint64_t id = submit(c, &q, PVF_REQUEST_PRECHECK, err, errlen);
    free(epb);
    return id;
}

pvf_completion *pvf_client_next(pvf_client *c, int timeout_ms, char *err, size_t errlen)
{
    errmsg_set(err, errlen, "%s", "");
    completion_msg *m = dequeue(c, 0);
    if (!m && read_until(c, 0, timeout_ms, &m, NULL, NULL, err, errlen) <= 0)
        return NULL;
    return &m->c;
}

/* The answer to `id`, waited for as long as it takes. */
static completion_msg *wait_answer(pvf_client *c, uint64_t id, char *err, size_t errlen)
{
    completion_msg *m = dequeue(c, id);
    if (!m && read_until(c, id, -1, &m, NULL, NULL, err, errlen) <= 0)
        return NULL;
    return m;
}

pvf_execute_result *pvf_client_execute(pvf_client *c, const pvf_execute_request *rq, char *err, size_t errlen)
{
    uint64_t id = pvf_client_submit_execute(c, rq, err, errlen);
    completion_msg *m = id ? wait_answer(c, id, err, errlen) : NULL;
    if (!m)
        return NULL;
    pvf_execute_result *r = m->c.execute;
    m->c.execute = NULL;
    pvf_completion_free(&m->c);
    return r;
}

pvf_precheck_result *pvf_client_precheck(pvf_client *c, const uint8_t *code, size_t code_len,
                                         const pvf_executor_params *ep, char *err, size_t errlen)
{
    uint64_t id = pvf_client_submit_precheck(c, code, code_len, ep, err, errlen);
    completion_msg *m = id ? wait_answer(c, id, err, errlen) : NULL;
    if (!m)
        return NULL;
    pvf_precheck_result *r = m->c.precheck;
    m->c.precheck = NULL;
    pvf_completion_free(&m->c);
    return r;
}

/* ---------------------------------------------------------------- control */

/* Send a control request and read its answer into *r (its frame in *frame, to free). */
static bool control(pvf_client *c, pvfd_request *q, pvfd_response *r, uint8_t **frame, char *err, size_t errlen)
{
    q->id = ++c->last_id;
    scale_writer w;
    scale_writer_init(&w);
    pvfd_request_write(&w, q);
    if (!send_writer(c, &w, err, errlen) || read_until(c, q->id, -1, NULL, r, frame, err, errlen) <= 0)
        return false;
    if (r->kind == PVFD_RESP_ERROR) {
        errmsg_set(err, errlen, "pvfd: %.*s", (int)r->message.len, (const char *)r->message.ptr);
        free(*frame);
        return false;
    }
    return true;
}

static bool control_done(pvf_client *c, pvfd_request *q, char *err, size_t errlen)
{
    pvfd_response r;
    uint8_t *frame;
    if (!control(c, q, &r, &frame, err, errlen))
        return false;
    free(frame);
    return true;
}

bool pvf_client_cancel(pvf_client *c, uint64_t id, char *err, size_t errlen)
{
    pvfd_request q = {.kind = PVFD_REQ_CANCEL, .target = id};
    return control_done(c, &q, err, errlen);
}

bool pvf_client_heads_up(pvf_client *c, const pvf_heads_up_item *pvfs, size_t n, char *err, size_t errlen)
{
    if (n > UINT32_MAX)
        return errmsg_set(err, errlen, "too many PVFs");
    /* the items as the request carries them: (code, executor params) pairs */
    scale_writer items;
    scale_writer_init(&items);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t *ep;
        size_t ep_len;
        ok = encode_params(pvfs[i].executor_params, &ep, &ep_len);
        scale_write_byte_vec(&items, pvfs[i].code, pvfs[i].code_len);
        scale_write_byte_vec(&items, ep, ep_len);
        free(ep);
    }
    uint8_t *bytes;
    size_t len;
    if (!ok)
        scale_writer_free(&items);
    if (!ok || !scale_writer_finish(&items, &bytes, &len))     /* finish frees what it fails */
        return errmsg_set(err, errlen, "out of memory");
    pvfd_request q = {.kind = PVFD_REQ_HEADS_UP, .n_items = (uint32_t)n, .items = bytes, .items_len = len};
    ok = control_done(c, &q, err, errlen);
    free(bytes);
    return ok;
}

bool pvf_client_update_active_leaves(pvf_client *c, const uint8_t activated[32], const uint8_t (*ancestors)[32],
                                     size_t n_ancestors, const uint8_t (*deactivated)[32], size_t n_deactivated,
                                     char *err, size_t errlen)
{
    if (n_ancestors > UINT32_MAX || n_deactivated > UINT32_MAX) {
        errmsg_set(err, errlen, "too many hashes");
        return false;
    }
    pvfd_request q = {.kind = PVFD_REQ_ACTIVE_LEAVES, .has_activated = activated != NULL,
                      .ancestors = (const uint8_t *)ancestors, .n_ancestors = (uint32_t)n_ancestors,
                      .deactivated = (const uint8_t *)deactivated, .n_deactivated = (uint32_t)n_deactivated};
    if (activated)
        memcpy(q.activated, activated, 32);
    return control_done(c, &q, err, errlen);
}

pvf_daemon_status *pvf_client_status(pvf_client *c, char *err, size_t errlen)
{
    pvfd_request q = {.kind = PVFD_REQ_STATUS};
    pvfd_response r;
    uint8_t *frame;
    if (!control(c, &q, &r, &frame, err, errlen))
        return NULL;
    pvf_daemon_status *st = calloc(1, sizeof *st + r.pvf_version.len + 1);
    if (st) {
        char *v = (char *)(st + 1);
        memcpy(v, r.pvf_version.ptr, r.pvf_version.len);
        st->pvf_version = v;
        st->connections = r.connections;
        st->in_flight = r.in_flight;
        st->execute_workers = r.execute_workers;
        st->uptime_ms = r.uptime_ms;
        st->secure_mode = r.secure_mode;
    } else {
        errmsg_set(err, errlen, "out of memory");
    }
    free(frame);
    return st;
}

void pvf_client_status_free(pvf_daemon_status *st)
{
    free(st);
}

char *pvf_client_metrics(pvf_client *c, char *err, size_t errlen)
{
    pvfd_request q = {.kind = PVFD_REQ_METRICS};
    pvfd_response r;
    uint8_t *frame;
    if (!control(c, &q, &r, &frame, err, errlen))
        return NULL;
    char *text = malloc(r.message.len + 1);
    if (text) {
        memcpy(text, r.message.ptr, r.message.len);
        text[r.message.len] = 0;
    } else {
        errmsg_set(err, errlen, "out of memory");
    }
    free(frame);
    return text;
}

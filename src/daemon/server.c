/*
 * server.c — pvfd's event loop: one thread, one poll over the signals, the host's completion fd,
 * the listening socket and every connection. Frames are read and written without blocking, so a
 * slow or stuck client holds up nobody; a frame that is malformed or too large closes that
 * connection only. Requests go to the libpvf host (pvf_host_submit_*, copied there), answers
 * come back through pvf_host_next_completion and go to the connection that asked, with the id it
 * gave. A cancelled request, and every request of a connection that goes away, is cancelled in
 * the host too (pvf_host_cancel: queued work never runs); a cancel is answered at once.
 */
#define _GNU_SOURCE
#include "daemon/daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvf/version.h"
#include "util/cputime.h"
#include "util/vec.h"
#include "wire/daemon_protocol.h"
#include "wire/protocol.h"

/* Requests one connection may have in flight; more are answered with an error. */
#define CONN_MAX_IN_FLIGHT 8192u
/* Answers one connection may leave unread before pvfd stops reading its requests. */
#define CONN_MAX_UNSENT (256u << 20)

typedef struct outbuf {
    struct outbuf *next;
    size_t len, off;
    uint8_t data[];
} outbuf;

typedef struct conn {
    int fd;
    uint64_t serial;                /* never reused: answers find their connection by it */
    pid_t pid;
    uid_t uid;
    gid_t gid;
    bool greeted;                   /* Hello read and answered */
    bool closing;                   /* close once the output is written */
    uint8_t hdr[FRAME_HEADER_SIZE];
    size_t hdr_got;
    uint8_t *in;                    /* the frame being read (after its header) */
    size_t in_len, in_got;
    outbuf *out, *out_tail;
    size_t unsent;
    unsigned in_flight;
    char client[64];
} conn;

/* A request the host is working on. */
typedef struct pending {
    uint64_t host_id;
    uint64_t conn_serial;           /* 0: nobody waits (the client left, or cancelled it) */
    uint64_t client_id;
    uint64_t started_ms;
} pending;

typedef struct server {
    const server_config *cfg;
    conn **conns;
    size_t n_conns;
    pending *pend;
    size_t n_pend, cap_pend;
    uint64_t next_serial;
    int sfd;
    bool stopping;
    uint64_t stop_deadline_ms, started_ms;
} server;

/* ---------------------------------------------------------------- output */

static void conn_queue(conn *c, scale_writer *w)
{
    uint8_t *bytes;
    size_t len;
    if (!scale_writer_finish(w, &bytes, &len)) {
        dlog(DLOG_ERROR, "out_of_memory", "conn=%llu what=answer", (unsigned long long)c->serial);
        c->closing = true;
        return;
    }
    outbuf *o = malloc(sizeof *o + FRAME_HEADER_SIZE + len);
    if (!o) {
        free(bytes);
        dlog(DLOG_ERROR, "out_of_memory", "conn=%llu what=answer", (unsigned long long)c->serial);
        c->closing = true;
        return;
    }
    frame_header_encode(len, o->data);
    memcpy(o->data + FRAME_HEADER_SIZE, bytes, len);
    free(bytes);
    o->len = FRAME_HEADER_SIZE + len;
    o->off = 0;
    o->next = NULL;
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out = o;
    c->out_tail = o;
    c->unsent += o->len;
}

/* Write what the socket takes now; false when the connection is broken. */
static bool conn_flush(conn *c)
{
    while (c->out) {
        outbuf *o = c->out;
        ssize_t n = send(c->fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        o->off += (size_t)n;
        c->unsent -= (size_t)n;
        if (o->off < o->len)
            return true;
        c->out = o->next;
        if (!c->out)
            c->out_tail = NULL;
        free(o);
    }
    return true;
}

static void respond(conn *c, const pvfd_response *r)
{
    scale_writer w;
    scale_writer_init(&w);
    pvfd_response_write(&w, r);
    conn_queue(c, &w);
}

static void respond_text(conn *c, uint64_t id, pvfd_response_kind kind, const char *text)
{
    pvfd_response r = {.id = id, .kind = kind, .message = proto_str(text)};
    respond(c, &r);
}

/* ---------------------------------------------------------------- connections */

static conn *find_conn(server *s, uint64_t serial)
{
    for (size_t i = 0; i < s->n_conns; i++)
        if (s->conns[i]->serial == serial)
            return s->conns[i];
    return NULL;
}

static size_t in_flight_total(const server *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_pend; i++)
        n += s->pend[i].conn_serial != 0;
    return n;
}

static void conn_free(conn *c)
{
    close(c->fd);
    free(c->in);
    while (c->out) {
        outbuf *o = c->out;
        c->out = o->next;
        free(o);
    }
    free(c);
}

static void conn_drop(server *s, size_t i, const char *why)
{
    conn *c = s->conns[i];
    unsigned orphaned = 0;
    for (size_t k = 0; k < s->n_pend; k++) {
        if (s->pend[k].conn_serial == c->serial) {
            s->pend[k].conn_serial = 0;
            pvf_host_cancel(s->cfg->host, s->pend[k].host_id);   /* nobody waits for it any more */
            orphaned++;
        }
    }
    char q[600];
    dlog(orphaned ? DLOG_WARNING : DLOG_INFO, "disconnect", "conn=%llu pid=%d client=%s in_flight=%u reason=%s",
         (unsigned long long)c->serial, (int)c->pid, dlog_quote(c->client[0] ? c->client : "-", q, 80), orphaned,
         dlog_quote(why, q + 100, sizeof q - 100));
    conn_free(c);
    s->conns[i] = s->conns[--s->n_conns];
}

/* ---------------------------------------------------------------- requests */

static bool add_pending(server *s, conn *c, uint64_t host_id, uint64_t client_id)
{
    if (!vec_reserve((void **)&s->pend, &s->cap_pend, s->n_pend + 1, sizeof *s->pend, 64))
        return false;
    s->pend[s->n_pend++] = (pending){host_id, c->serial, client_id, monotonic_ms()};
    c->in_flight++;
    return true;
}

/* Executor params from their SCALE bytes (none when empty); false with the error answered. */
static bool decode_params(conn *c, uint64_t id, scale_bytes b, pvf_executor_params **ep)
{
    *ep = NULL;
    if (!b.len)
        return true;
    char why[300];
    *ep = pvf_executor_params_decode(b.ptr, b.len, why, sizeof why);
    if (!*ep)
        respond_text(c, id, PVFD_RESP_ERROR, why);
    return *ep != NULL;
}

static void submitted(server *s, conn *c, uint64_t client_id, uint64_t host_id)
{
    if (host_id && add_pending(s, c, host_id, client_id))
        return;
    respond_text(c, client_id, PVFD_RESP_ERROR,
                 host_id ? "out of memory in pvfd" : "the host did not take the request (out of memory or stopping)");
}

static void do_execute(server *s, conn *c, const pvfd_request *q)
{
    const pvfd_execute *x = &q->execute;
    pvf_executor_params *ep;
    if (!decode_params(c, q->id, x->executor_params, &ep))
        return;
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    rq.code = x->code.ptr;
    rq.code_len = x->code.len;
    rq.executor_params = ep;
    rq.parent_head = x->parent_head.ptr;
    rq.parent_head_len = x->parent_head.len;
    rq.relay_parent_number = x->relay_parent_number;
    memcpy(rq.relay_parent_storage_root, x->relay_parent_storage_root, 32);
    rq.max_pov_size = x->max_pov_size;
    rq.pov = x->pov.ptr;
    rq.pov_len = x->pov.len;
    rq.kind = (pvf_exec_request_kind)x->kind;
    memcpy(rq.relay_parent, x->relay_parent, 32);
    rq.timeout_ms = x->timeout_ms;
    uint64_t id = pvf_host_submit_execute(s->cfg->host, &rq, NULL, NULL);   /* copies everything */
    pvf_executor_params_free(ep);
    submitted(s, c, q->id, id);
}

static void do_precheck(server *s, conn *c, const pvfd_request *q)
{
    pvf_executor_params *ep;
    if (!decode_params(c, q->id, q->executor_params, &ep))
        return;
    uint64_t id = pvf_host_submit_precheck(s->cfg->host, q->code.ptr, q->code.len, ep, NULL, NULL);
    pvf_executor_params_free(ep);
    submitted(s, c, q->id, id);
}

static void do_heads_up(server *s, conn *c, const pvfd_request *q)
{
    pvf_heads_up_item *items = calloc(q->n_items ? q->n_items : 1, sizeof *items);
    pvf_executor_params **eps = calloc(q->n_items ? q->n_items : 1, sizeof *eps);
    bool ok = items && eps;
    uint32_t n = 0;
    for (; ok && n < q->n_items; n++) {
        scale_bytes code, ep;
        pvfd_heads_up_item(q, n, &code, &ep);
        items[n].code = code.ptr;
        items[n].code_len = code.len;
        ok = decode_params(c, q->id, ep, &eps[n]);
        items[n].executor_params = eps[n];
        if (!ok)
            break;      /* answered */
    }
    if (ok && pvf_host_heads_up(s->cfg->host, items, q->n_items))
        respond_text(c, q->id, PVFD_RESP_DONE, "");
    else if (ok || !items || !eps)
        respond_text(c, q->id, PVFD_RESP_ERROR, "out of memory");
    for (uint32_t i = 0; eps && i < q->n_items; i++)
        pvf_executor_params_free(eps[i]);
    free(items);
    free(eps);
}

static void do_active_leaves(server *s, conn *c, const pvfd_request *q)
{
    bool ok = pvf_host_update_active_leaves(s->cfg->host, q->has_activated ? q->activated : NULL,
                                            (const uint8_t(*)[32])q->ancestors, q->n_ancestors,
                                            (const uint8_t(*)[32])q->deactivated, q->n_deactivated);
    respond_text(c, q->id, ok ? PVFD_RESP_DONE : PVFD_RESP_ERROR, ok ? "" : "out of memory");
}

static void do_cancel(server *s, conn *c, const pvfd_request *q)
{
    for (size_t i = 0; i < s->n_pend; i++) {
        pending *p = &s->pend[i];
        if (p->conn_serial == c->serial && p->client_id == q->target) {
            p->conn_serial = 0;     /* its verdict, if the host reached one first, goes nowhere */
            c->in_flight--;
            pvf_host_cancel(s->cfg->host, p->host_id);
            respond_text(c, q->target, PVFD_RESP_CANCELLED, "cancelled by the client");
            respond_text(c, q->id, PVFD_RESP_DONE, "");
            return;
        }
    }
    char why[96];
    snprintf(why, sizeof why, "no request %llu of this connection is in flight", (unsigned long long)q->target);
    respond_text(c, q->id, PVFD_RESP_ERROR, why);
}

static void do_status(server *s, conn *c, const pvfd_request *q)
{
    const pvf_security_status *sec = pvf_host_security(s->cfg->host);
    pvfd_response r = {
        .id = q->id,
        .kind = PVFD_RESP_STATUS,
        .pvf_version = proto_str(pvf_version()),
        .connections = (uint32_t)s->n_conns,
        .in_flight = (uint32_t)in_flight_total(s),
        .execute_workers = s->cfg->execute_workers,
        .uptime_ms = monotonic_ms() - s->started_ms,
        .secure_mode = sec && sec->secure_mode_ok,
    };
    respond(c, &r);
}

static void do_metrics(server *s, conn *c, const pvfd_request *q)
{
    size_t n = pvf_host_metrics_render(s->cfg->host, NULL, 0) + 4096;
    char *text = malloc(n);
    if (!text) {
        respond_text(c, q->id, PVFD_RESP_ERROR, "out of memory");
        return;
    }
    pvf_host_metrics_render(s->cfg->host, text, n);
    respond_text(c, q->id, PVFD_RESP_METRICS, text);
    free(text);
}

static void dispatch(server *s, conn *c, const pvfd_request *q)
{
    bool work = q->kind == PVFD_REQ_EXECUTE || q->kind == PVFD_REQ_PRECHECK;
    if (work && s->stopping) {
        respond_text(c, q->id, PVFD_RESP_ERROR, "pvfd is stopping");
        return;
    }
    if (work && c->in_flight >= CONN_MAX_IN_FLIGHT) {
        respond_text(c, q->id, PVFD_RESP_ERROR, "too many requests in flight on this connection");
        return;
    }
    switch (q->kind) {
    case PVFD_REQ_PRECHECK: do_precheck(s, c, q); return;
    case PVFD_REQ_EXECUTE: do_execute(s, c, q); return;
    case PVFD_REQ_HEADS_UP: do_heads_up(s, c, q); return;
    case PVFD_REQ_ACTIVE_LEAVES: do_active_leaves(s, c, q); return;
    case PVFD_REQ_CANCEL: do_cancel(s, c, q); return;
    case PVFD_REQ_STATUS: do_status(s, c, q); return;
    case PVFD_REQ_METRICS: do_metrics(s, c, q); return;
    }
}

/* The Hello: the client's name, and the protocol version both must speak. */
static void greet(conn *c, const uint8_t *p, size_t n)
{
    pvfd_hello h;
    wasm_error e = {0};
    pvfd_welcome w = {.version = PVFD_PROTOCOL_VERSION, .pvf_version = proto_str(pvf_version()),
                      .engine_version = proto_str(PVF_ENGINE_VERSION)};
    char why[320] = "";
    if (!pvfd_hello_decode(p, n, &h, &e))
        snprintf(why, sizeof why, "not a pvfd Hello: %s", e.msg);
    else if (memcmp(h.magic, PVFD_MAGIC, 4))
        snprintf(why, sizeof why, "not a pvfd Hello: the magic is not \"pvfd\"");
    else if (h.version != PVFD_PROTOCOL_VERSION)
        snprintf(why, sizeof why, "protocol version %u; this pvfd speaks %u", h.version, PVFD_PROTOCOL_VERSION);
    if (why[0]) {
        w = (pvfd_welcome){.refused = true, .reason = proto_str(why)};
        c->closing = true;
    } else {
        snprintf(c->client, sizeof c->client, "%.*s", (int)(h.client.len < 60 ? h.client.len : 60),
                 (const char *)h.client.ptr);
        c->greeted = true;
    }
    char q[128], q2[400];
    dlog(why[0] ? DLOG_WARNING : DLOG_INFO, why[0] ? "refused" : "hello", "conn=%llu pid=%d uid=%u client=%s%s%s",
         (unsigned long long)c->serial, (int)c->pid, (unsigned)c->uid, dlog_quote(c->client[0] ? c->client : "-", q, sizeof q),
         why[0] ? " reason=" : "", why[0] ? dlog_quote(why, q2, sizeof q2) : "");
    scale_writer sw;
    scale_writer_init(&sw);
    pvfd_welcome_write(&sw, &w);
    conn_queue(c, &sw);
}

/* A whole frame from c: its Hello, or a request. False: close the connection (logged). */
static bool on_frame(server *s, conn *c, const uint8_t *p, size_t n)
{
    if (!c->greeted) {
        greet(c, p, n);
        return true;
    }
    pvfd_request q;
    wasm_error e = {0};
    if (!pvfd_request_decode(p, n, &q, &e)) {
        char m[300];
        dlog(DLOG_WARNING, "malformed", "conn=%llu pid=%d bytes=%zu error=%s", (unsigned long long)c->serial, (int)c->pid,
             n, dlog_quote(e.msg, m, sizeof m));
        return false;
    }
    dispatch(s, c, &q);
    return true;
}

/* Read what there is; false when the connection should go (why in *why). */
static bool conn_read(server *s, conn *c, const char **why)
{
    for (;;) {
        if (c->unsent > CONN_MAX_UNSENT)
            return true;    /* it reads nothing of ours: read nothing of its until it does */
        bool in_header = c->hdr_got < FRAME_HEADER_SIZE;
        uint8_t *dst = in_header ? c->hdr + c->hdr_got : c->in + c->in_got;
        size_t want = in_header ? FRAME_HEADER_SIZE - c->hdr_got : c->in_len - c->in_got;
        ssize_t got = want ? recv(c->fd, dst, want, MSG_DONTWAIT) : 0;
        if (want && got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return true;
            *why = strerror(errno);
            return false;
        }
        if (want && got == 0) {
            *why = c->hdr_got || c->in_got ? "closed in the middle of a frame" : "closed";
            return false;
        }
        if (in_header) {
            c->hdr_got += (size_t)got;
            if (c->hdr_got < FRAME_HEADER_SIZE)
                continue;
            uint64_t len = frame_header_decode(c->hdr);
            if (len > PVFD_MAX_REQUEST) {
                dlog(DLOG_WARNING, "oversized", "conn=%llu pid=%d bytes=%llu limit=%u", (unsigned long long)c->serial,
                     (int)c->pid, (unsigned long long)len, PVFD_MAX_REQUEST);
                *why = "frame too large";
                return false;
            }
            c->in_len = (size_t)len;
            c->in_got = 0;
            c->in = malloc(c->in_len ? c->in_len : 1);
            if (!c->in) {
                *why = "out of memory for a frame";
                return false;
            }
        } else {
            c->in_got += (size_t)got;
        }
        if (c->in_got == c->in_len) {
            bool ok = on_frame(s, c, c->in, c->in_len);
            free(c->in);
            c->in = NULL;
            c->hdr_got = c->in_len = c->in_got = 0;
            if (!ok) {
                *why = "malformed frame";
                return false;
            }
            if (c->closing)
                return true;
        }
    }
}

/* ---------------------------------------------------------------- accepting */

static void refuse(int fd, const char *why)
{
    pvfd_welcome w = {.refused = true, .reason = proto_str(why)};
    scale_writer sw;
    scale_writer_init(&sw);
    pvfd_welcome_write(&sw, &w);
    uint8_t *b;
    size_t n;
    if (scale_writer_finish(&sw, &b, &n)) {
        uint8_t hdr[FRAME_HEADER_SIZE];
        frame_header_encode(n, hdr);
        (void)!send(fd, hdr, sizeof hdr, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)!send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        free(b);
    }
    close(fd);
}

static void accept_all(server *s)
{
    for (;;) {
        int fd = accept4(s->cfg->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                dlog(DLOG_ERROR, "accept", "error=\"%s\"", strerror(errno));
            return;
        }
        pid_t pid = 0;
        uid_t uid = 0;
        gid_t gid = 0;
        char why[200];
        if (!listener_peer_allowed(s->cfg->listener, fd, &pid, &uid, &gid, why, sizeof why)) {
            char q[256];
            dlog(DLOG_WARNING, "refused", "pid=%d uid=%u gid=%u reason=%s", (int)pid, (unsigned)uid, (unsigned)gid,
                 dlog_quote(why, q, sizeof q));
            refuse(fd, why);
            continue;
        }
        conn *c = s->n_conns < s->cfg->max_connections ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            dlog(DLOG_WARNING, "refused", "pid=%d uid=%u reason=\"too many connections (%u)\"", (int)pid, (unsigned)uid,
                 s->cfg->max_connections);
            refuse(fd, "too many connections");
            continue;
        }
        *c = (conn){.fd = fd, .serial = ++s->next_serial, .pid = pid, .uid = uid, .gid = gid};
        s->conns[s->n_conns++] = c;
        dlog(DLOG_INFO, "connect", "conn=%llu pid=%d uid=%u gid=%u", (unsigned long long)c->serial, (int)pid,
             (unsigned)uid, (unsigned)gid);
    }
}

/* ---------------------------------------------------------------- answers */

static void answer(server *s, const pending *p, const pvf_completion *done)
{
    conn *c = p->conn_serial ? find_conn(s, p->conn_serial) : NULL;
    if (!c)
        return;
    c->in_flight--;
    uint64_t wall_ns = (monotonic_ms() - p->started_ms) * 1000000ull;
    pvfd_response r = {.id = p->client_id, .wall_ns = wall_ns};
    if (done->type == PVF_REQUEST_PRECHECK && done->precheck) {
        const pvf_precheck_result *x = done->precheck;
        r.kind = PVFD_RESP_PRECHECK;
        r.outcome = (uint8_t)x->outcome;
        r.reason = proto_str(x->reason);
        r.message = proto_str(x->message);
        r.prepare_cpu_ns = x->prepare_cpu_ns;
        r.cached = x->cached;
    } else if (done->execute) {
        const pvf_execute_result *x = done->execute;
        r.kind = PVFD_RESP_EXECUTE;
        r.outcome = (uint8_t)x->verdict;
        r.reason = proto_str(x->reason);
        r.message = proto_str(x->message);
        r.prepare_cpu_ns = x->prepare_cpu_ns;
        r.result = (scale_bytes){x->result, x->result_len};
        r.execute_ns = x->execute_ns;
        r.attempts = x->attempts;
        r.preparations = x->preparations;
        r.runtime_log = proto_str(x->runtime_log);
    } else {
        respond_text(c, p->client_id, PVFD_RESP_ERROR, "the host gave no result");
        return;
    }
    respond(c, &r);
}

static void take_completions(server *s)
{
    pvf_completion *done;
    while ((done = pvf_host_next_completion(s->cfg->host))) {
        for (size_t i = 0; i < s->n_pend; i++) {
            if (s->pend[i].host_id == done->id) {
                answer(s, &s->pend[i], done);
                s->pend[i] = s->pend[--s->n_pend];
                break;
            }
        }
        pvf_completion_free(done);
    }
}

/* ---------------------------------------------------------------- stopping */

static void begin_stop(server *s, const char *signal_name)
{
    if (s->stopping)
        return;
    s->stopping = true;
    s->stop_deadline_ms = monotonic_ms() + s->cfg->grace_ms;
    dlog(DLOG_INFO, "stopping", "signal=%s in_flight=%zu grace_ms=%llu", signal_name, in_flight_total(s),
         (unsigned long long)s->cfg->grace_ms);
}

/* What is still in flight at the end of the grace period is answered "cancelled", and every
 * connection gets what is queued for it (a second at the most). */
static void finish_stop(server *s)
{
    for (size_t i = 0; i < s->n_pend; i++) {
        conn *c = s->pend[i].conn_serial ? find_conn(s, s->pend[i].conn_serial) : NULL;
        if (c)
            respond_text(c, s->pend[i].client_id, PVFD_RESP_CANCELLED, "pvfd stopped before the verdict");
    }
    uint64_t until = monotonic_ms() + 1000;
    for (size_t i = 0; i < s->n_conns; i++) {
        conn *c = s->conns[i];
        while (c->out && monotonic_ms() < until) {
            struct pollfd p = {c->fd, POLLOUT, 0};
            if (poll(&p, 1, 100) < 0 || !conn_flush(c))
                break;
        }
    }
}

static void on_signals(server *s)
{
    struct signalfd_siginfo si;
    while (read(s->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP)
            dlog_reopen();
        else
            begin_stop(s, si.ssi_signo == SIGTERM ? "TERM" : "INT");
    }
}

/* ---------------------------------------------------------------- the loop */

enum { FD_SIGNALS, FD_COMPLETIONS, FD_LISTEN, FD_FIRST_CONN };

static int poll_timeout(const server *s)
{
    if (!s->stopping)
        return -1;
    uint64_t now = monotonic_ms();
    return now >= s->stop_deadline_ms ? 0 : (int)(s->stop_deadline_ms - now < 1000 ? s->stop_deadline_ms - now : 1000);
}

static void serve_connections(server *s, struct pollfd *fds, size_t n)
{
    /* from the last: conn_drop moves the last connection into the dropped one's place */
    for (size_t k = n; k-- > 0;) {
        conn *c = s->conns[k];
        short ev = fds[FD_FIRST_CONN + k].revents;
        const char *why = NULL;
        bool ok = true;
        if (ev & (POLLIN | POLLHUP | POLLERR))
            ok = conn_read(s, c, &why);
        if (ok && !conn_flush(c))
            ok = false, why = "write failed";
        if (ok && c->closing && !c->out)
            ok = false, why = "closed by pvfd";
        if (!ok)
            conn_drop(s, k, why ? why : "closed");
    }
}

int server_run(const server_config *cfg)
{
    server s = {.cfg = cfg, .started_ms = monotonic_ms()};
    s.conns = calloc(cfg->max_connections ? cfg->max_connections : 1, sizeof *s.conns);
    struct pollfd *fds = calloc(FD_FIRST_CONN + cfg->max_connections, sizeof *fds);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    s.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (!s.conns || !fds || s.sfd < 0) {
        dlog(DLOG_ERROR, "start", "error=\"cannot set up the event loop: %s\"", strerror(errno));
        free(s.conns), free(fds);
        return 1;
    }
    for (;;) {
        if (s.stopping && (in_flight_total(&s) == 0 || monotonic_ms() >= s.stop_deadline_ms))
            break;
        fds[FD_SIGNALS] = (struct pollfd){s.sfd, POLLIN, 0};
        fds[FD_COMPLETIONS] = (struct pollfd){pvf_host_completion_fd(cfg->host), POLLIN, 0};
        fds[FD_LISTEN] = (struct pollfd){s.stopping ? -1 : cfg->listen_fd, POLLIN, 0};
        size_t n = s.n_conns;
        for (size_t k = 0; k < n; k++) {
            conn *c = s.conns[k];
            short want = (c->closing || c->unsent > CONN_MAX_UNSENT ? 0 : POLLIN) | (c->out ? POLLOUT : 0);
            fds[FD_FIRST_CONN + k] = (struct pollfd){c->fd, want, 0};
        }
        if (poll(fds, FD_FIRST_CONN + n, poll_timeout(&s)) < 0 && errno != EINTR) {
            dlog(DLOG_ERROR, "poll", "error=\"%s\"", strerror(errno));
            break;
        }
        if (fds[FD_SIGNALS].revents)
            on_signals(&s);
        if (fds[FD_COMPLETIONS].revents)
            take_completions(&s);
        serve_connections(&s, fds, n);
        if (fds[FD_LISTEN].revents)
            accept_all(&s);
    }
    take_completions(&s);
    finish_stop(&s);
    for (size_t i = 0; i < s.n_conns; i++)
        conn_free(s.conns[i]);
    dlog(DLOG_INFO, "stopped", "unanswered=%zu", in_flight_total(&s));
    free(s.conns);
    free(s.pend);
    free(fds);
    close(s.sfd);
    return 0;
}

/*
 * worker_log.c — one thread that reads every worker's stderr pipe into the host's log
 * (worker_log.h): tagged with the worker's real pid, escaped, cut, rate-limited per worker.
 *
 * The thread owns the sources; wlog_add hands a new pipe over through a pending list and
 * an eventfd that wakes the thread's poll. A source ends at its pipe's end (its worker and that
 * worker's jobs are gone), after its last partial line and the count of what was dropped.
 */
#define _GNU_SOURCE
#include "host/worker_log.h"
#include "util/cputime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct source {
    int fd;
    char tag[48];                       /* "pvf execute worker 12345" */
    char line[WORKER_LOG_LINE_MAX];
    size_t len;
    bool cut;                           /* the current line went past WORKER_LOG_LINE_MAX */
    double tokens;                      /* lines it may still write now */
    uint64_t refilled_ms;
    unsigned long long dropped;         /* since the last notice */
} source;

struct wlog {
    int out_fd;                         /* the log file; -1: lines go to log_fn (or nowhere) */
    bool own_out;
    pvf_log_fn log_fn;
    void *log_user;
    int wake_fd;
    pthread_t thread;
    pthread_mutex_t mu;
    source **pending;                   /* added, not yet taken by the thread */
    size_t npending, cap;
    bool stopping;
    unsigned long long dropped_total;   /* the thread's; read once it has ended */
};

/* One write of the whole line, so lines of different workers never interleave. */
static void emit(wlog *l, const source *s, const char *text, size_t len, const char *suffix)
{
    char out[sizeof s->tag + 4 * WORKER_LOG_LINE_MAX + 64];
    size_t n = (size_t)snprintf(out, sizeof out, "%s: ", s->tag);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c >= 0x20 && c < 0x7f) || c == '\t')
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, sizeof out - n, "\\x%02x", c);
    }
    n += (size_t)snprintf(out + n, sizeof out - n, "%s", suffix);
    if (l->out_fd < 0) {
        if (l->log_fn)
            l->log_fn(l->log_user, PVF_LOG_WARNING, out);
        return;
    }
    out[n++] = '\n';
    for (size_t done = 0; done < n;) {
        ssize_t k = write(l->out_fd, out + done, n - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;     /* a log we can't write to: nothing better to do than go on */
        done += (size_t)k;
    }
}

static void note_dropped(wlog *l, source *s)
{
    if (!s->dropped)
        return;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "(%llu lines dropped: more than %d a second)", s->dropped,
                     WORKER_LOG_LINES_PER_S);
    emit(l, s, msg, (size_t)n, "");
    s->dropped = 0;
}

/* A complete line: written if the worker's bucket has a token, else counted. */
static void finish_line(wlog *l, source *s)
{
    uint64_t now = monotonic_ms();
    s->tokens += (double)(now - s->refilled_ms) * WORKER_LOG_LINES_PER_S / 1000.0;
    if (s->tokens > WORKER_LOG_BURST)
        s->tokens = WORKER_LOG_BURST;
    s->refilled_ms = now;
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
        note_dropped(l, s);
        emit(l, s, s->line, s->len, s->cut ? " [line cut]" : "");
    } else {
        s->dropped++;
        l->dropped_total++;
    }
    s->len = 0;
    s->cut = false;
}

static void take_bytes(wlog *l, source *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            finish_line(l, s);
        else if (s->len < sizeof s->line)
            s->line[s->len++] = p[i];
        else
            s->cut = true;
    }
}

typedef enum read_status { READ_SOME, READ_NOTHING_YET, READ_END } read_status;

/* Read what there is; READ_END at the pipe's end (or an error): the source is done. */
static read_status read_source(wlog *l, source *s)
{
    char buf[4096];
    ssize_t k = read(s->fd, buf, sizeof buf);
    if (k < 0 && (errno == EINTR || errno == EAGAIN))
        return READ_NOTHING_YET;
    if (k <= 0)
        return READ_END;
    take_bytes(l, s, buf, (size_t)k);
    return READ_SOME;
}

static void end_source(wlog *l, source *s)
{
    if (s->len || s->cut)
        finish_line(l, s);
    note_dropped(l, s);
    close(s->fd);
    free(s);
}

/* Move the pending sources to the thread's own list; true when the log is stopping. */
static bool take_pending(wlog *l, source ***mine, size_t *n, size_t *cap)
{
    uint64_t v;
    (void)!read(l->wake_fd, &v, sizeof v);
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->npending; i++) {
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 8;
            source **grown = realloc(*mine, c * sizeof *grown);
            if (!grown) {
                end_source(l, l->pending[i]);
                continue;
            }
            *mine = grown;
            *cap = c;
        }
        (*mine)[(*n)++] = l->pending[i];
    }
    l->npending = 0;
    bool stopping = l->stopping;
    pthread_mutex_unlock(&l->mu);
    return stopping;
}

static void *log_main(void *arg)
{
    wlog *l = arg;
    source **src = NULL;
    size_t n = 0, cap = 0;
    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    bool stopping = false;
    while (!stopping) {
        if (pcap < n + 1) {
            struct pollfd *grown = realloc(pfd, (n + 1) * sizeof *grown);
            if (!grown) {
                nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
                continue;
            }
            pfd = grown;
            pcap = n + 1;
        }
        pfd[0] = (struct pollfd){ .fd = l->wake_fd, .events = POLLIN };
        for (size_t i = 0; i < n; i++)
            pfd[i + 1] = (struct pollfd){ .fd = src[i]->fd, .events = POLLIN };
        if (poll(pfd, n + 1, -1) < 0 && errno != EINTR)
            break;
        for (size_t i = n; i-- > 0;) {
            if (!pfd[i + 1].revents || read_source(l, src[i]) != READ_END)
                continue;
            end_source(l, src[i]);
            src[i] = src[--n];
        }
        if (pfd[0].revents)
            stopping = take_pending(l, &src, &n, &cap);
    }
    /* Stopping: the workers are gone; read what their pipes still hold, without blocking. */
    for (size_t i = 0; i < n; i++) {
        (void)fcntl(src[i]->fd, F_SETFL, O_NONBLOCK);
        while (read_source(l, src[i]) == READ_SOME) {
        }
        end_source(l, src[i]);
    }
    free(src);
    free(pfd);
    return NULL;
}

wlog *wlog_start(const char *path, pvf_log_fn log_fn, void *log_user, char *err, size_t errlen)
{
    wlog *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->out_fd = path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    l->own_out = path != NULL;
    l->log_fn = log_fn;
    l->log_user = log_user;
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&l->mu, NULL);
    if ((path && l->out_fd < 0) || l->wake_fd < 0) {
        snprintf(err, errlen, "%s: %s", path && l->out_fd < 0 ? path : "eventfd", strerror(errno));
        wlog_stop(l);
        return NULL;
    }
    int e = pthread_create(&l->thread, NULL, log_main, l);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the worker log thread: %s", strerror(e));
        l->thread = 0;
        wlog_stop(l);
        return NULL;
    }
    return l;
}

static void wake(wlog *l)
{
    uint64_t one = 1;
    (void)!write(l->wake_fd, &one, sizeof one);
}

void wlog_add(wlog *l, int fd, const char *kind, pid_t pid)
{
    source *s = calloc(1, sizeof *s);
    pthread_mutex_lock(&l->mu);
    bool ok = s && !l->stopping;
    if (ok && l->npending == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 8;
        source **grown = realloc(l->pending, c * sizeof *grown);
        ok = grown != NULL;
        if (ok) {
            l->pending = grown;
            l->cap = c;
        }
    }
    if (ok) {
        s->fd = fd;
        snprintf(s->tag, sizeof s->tag, "pvf %s worker %d", kind, (int)pid);
        s->tokens = WORKER_LOG_BURST;
        s->refilled_ms = monotonic_ms();
        l->pending[l->npending++] = s;
    }
    pthread_mutex_unlock(&l->mu);
    if (ok) {
        wake(l);
    } else {
        free(s);
        close(fd);      /* the worker's writes then fail (EPIPE): its log is lost, it is not stopped */
    }
}

unsigned long long wlog_stop(wlog *l)
{
    if (!l)
        return 0;
    if (l->thread) {
        pthread_mutex_lock(&l->mu);
        l->stopping = true;
        pthread_mutex_unlock(&l->mu);
        wake(l);
        pthread_join(l->thread, NULL);
    }
    for (size_t i = 0; i < l->npending; i++) {
        close(l->pending[i]->fd);
        free(l->pending[i]);
    }
    free(l->pending);
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    if (l->own_out && l->out_fd >= 0)
        close(l->out_fd);
    pthread_mutex_destroy(&l->mu);
    unsigned long long dropped = l->dropped_total;
    free(l);
    return dropped;
}

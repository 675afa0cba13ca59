/*
 * metrics_http.c — GET /metrics in the Prometheus text format, what polkadot's nodes serve on
 * their own prometheus port, for the host's metrics (src/host/metrics.h). libmicrohttpd parses
 * HTTP on its own thread; the metrics are atomic cells, rendered as they stand. Loopback only:
 * the numbers say what a validator is doing, which is not for every network to see.
 */
#include "daemon/daemon.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_http {
    struct MHD_Daemon *d;
    pvf_host *host;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len, bool owned)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)version, (void)upload, (void)upload_size, (void)state;
    struct metrics_http *m = cls;
    static char not_found[] = "not found: pvfd serves GET /metrics\n";
    static char bad_method[] = "only GET\n";
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method, strlen(bad_method), false);
    if (strcmp(url, "/metrics"))
        return reply(c, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), false);
    size_t n = pvf_host_metrics_render(m->host, NULL, 0);
    char *text = malloc(n + 4096);     /* room for what arrives between the two renders */
    if (!text)
        return MHD_NO;
    n = pvf_host_metrics_render(m->host, text, n + 4096);
    return reply(c, MHD_HTTP_OK, text, strlen(text), true);
}

/* "127.0.0.1:9615" or "[::1]:9615" into a loopback address; false with why. */
static bool parse_loopback(const char *addr, struct sockaddr_storage *ss, bool *v6, char *err, size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    char host[64];
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    if (!colon || port < 1 || port > 65535 || hlen == 0 || hlen >= sizeof host) {
        snprintf(err, errlen, "metrics address '%s': expected HOST:PORT, e.g. 127.0.0.1:9615", addr);
        return false;
    }
    memcpy(host, addr, hlen);
    host[hlen] = 0;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    *v6 = host[0] == '[';
    if (*v6 && host[hlen - 1] == ']') {
        host[hlen - 1] = 0;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 && IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
            return true;
    } else if (!*v6) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1 && (ntohl(a4->sin_addr.s_addr) >> 24) == 127)
            return true;
    }
    snprintf(err, errlen, "metrics address '%s': only a loopback address (127.0.0.0/8 or [::1])", addr);
    return false;
}

struct metrics_http *metrics_http_start(const char *addr, pvf_host *h, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    bool v6;
    if (!parse_loopback(addr, &ss, &v6, err, errlen))
        return NULL;
    struct metrics_http *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->host = h;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | (v6 ? MHD_USE_IPv6 : 0);
    m->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!m->d) {
        snprintf(err, errlen, "cannot serve metrics on %s (in use, or no such address)", addr);
        free(m);
        return NULL;
    }
    return m;
}

void metrics_http_stop(struct metrics_http *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d);
    free(m);
}

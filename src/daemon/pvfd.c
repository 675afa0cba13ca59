/*
 * pvfd.c — `pvfd [options]`: the PVF host as a service (daemon.h). Options come from one table
 * (the CLI's cli_options, so --help and the man page come from it too), first from the config
 * file (`name = value` lines, the option names without "--"), then from the command line, which
 * wins. Then, each step with its own error: the log, the signals (blocked in every thread, read
 * by the event loop), the socket, the host, the metrics server; READY=1 to systemd; serve; stop.
 */
#define _GNU_SOURCE
#include "daemon/daemon.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pvf/version.h"
#include "util/file.h"
#include "util/parse.h"

#define DEFAULT_CONFIG "/etc/pvfd.conf"

static const cli_opt options[] = {
    { "--socket", NULL, "PATH", "the Unix socket clients connect to (default /run/pvfd/pvfd.sock; ignored when "
      "systemd passes one)", false },
    { "--cache-dir", NULL, "DIR", "the artifact cache, kept across restarts (default /var/lib/pvfd)", false },
    { "--config", NULL, "FILE", "read options from FILE first: `name = value` lines, the option names without "
      "\"--\", flags as true/false (default " DEFAULT_CONFIG " when it exists)", false },
    { "--socket-mode", NULL, "MODE", "the socket's permissions, octal (default 0660)", false },
    { "--socket-group", NULL, "GROUP", "the socket's group (default pvfd's)", false },
    { "--allow-uid", NULL, "UID,...", "peers with these uids may connect, besides pvfd's own uid", false },
    { "--allow-gid", NULL, "GID,...", "peers whose group is one of these may connect", false },
    { "--metrics-listen", NULL, "ADDR", "serve GET /metrics (Prometheus text) on this loopback address, e.g. "
      "127.0.0.1:9615", false },
    { "--workers-path", NULL, "DIR", "where to look first for pvf-prepare-worker and pvf-execute-worker", false },
    { "--execute-workers", NULL, "N", "execute workers at most, 1 to 64 (default 4)", false },
    { "--insecure", NULL, NULL, "start even when a sandbox layer is unavailable (the reference's "
      "--insecure-validator-i-know-what-i-do)", false },
    { "--tier", NULL, "interp|native", "the engine tier execute jobs run code on (default native on x86-64)", false },
    { "--max-connections", NULL, "N", "clients connected at once, 1 to 4096 (default 256)", false },
    { "--grace-ms", NULL, "N", "on SIGTERM, how long work in flight may take to finish before it is answered "
      "\"cancelled\" (default 10000)", false },
    { "--log-file", NULL, "FILE", "log there instead of stderr (reopened on SIGHUP)", false },
    { "--log-level", NULL, "error|warning|info", "the least important events logged (default info)", false },
    { NULL, NULL, NULL, NULL, false },
};

static const cli_spec pvfd_spec = {
    .name = "pvfd",
    .standalone = true,
    .summary = "the PVF host as a service",
    .description = "Serve the PVF host to nodes in any language over a Unix socket: prechecks, validations, "
                   "heads-up, active-leaves updates, cancels, status and metrics, many requests in flight per "
                   "connection, with the workers, job processes, sandbox, queues, retries and artifact cache of "
                   "libpvf (docs/PROTOCOL.md \"pvfd\"). Only peers with an allowed uid or gid may connect "
                   "(SO_PEERCRED); pvfd never listens on TCP.\n\n"
                   "SIGTERM or SIGINT stop it gracefully: no new work, work in flight answered or, after "
                   "--grace-ms, cancelled. SIGHUP reopens the log file. Under systemd it takes the socket "
                   "systemd passes (socket activation) and says READY=1 once it serves.",
    .options = options,
    .exit_status = "0 stopped by a signal; 1 a fatal error while serving; 2 a bad option or config, or a start "
                   "that failed (the socket, the cache, the sandbox in secure mode).",
};

/* ---------------------------------------------------------------- the config file */

/* One argument of the config file, kept until pvfd exits. */
static char *keep(char ***owned, int *n_owned, const char *prefix, const char *s, size_t len)
{
    char *a = malloc(strlen(prefix) + len + 1);
    char **grown = a ? realloc(*owned, (size_t)(*n_owned + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(a);
        return NULL;
    }
    sprintf(a, "%s%.*s", prefix, (int)len, s);
    *owned = grown;
    (*owned)[(*n_owned)++] = a;
    return a;
}

static size_t trimmed_len(const char *s, size_t len)
{
    while (len && strchr(" \t\r", s[len - 1]))
        len--;
    return len;
}

/* The config file as arguments appended to *owned: "--name", "value" (a true flag: "--name"; a
 * false one: nothing). False with why in err. */
static bool config_args(const char *path, char ***owned, int *n_owned, char *err, size_t errlen)
{
    size_t len;
    char *t = (char *)file_read(path, &len);
    if (!t) {
        snprintf(err, errlen, "cannot read the config %s: %s", path, strerror(errno));
        return false;
    }
    bool ok = true;
    int line_no = 0;
    err[0] = 0;
    for (size_t at = 0; ok && at < len;) {
        const char *line = t + at;
        size_t line_len = strcspn(line, "\n");
        if (at + line_len > len)
            line_len = len - at;
        at += line_len + 1;
        line_no++;
        size_t skip = strspn(line, " \t\r");
        line += skip;
        line_len = line_len > skip ? trimmed_len(line, line_len - skip) : 0;
        if (!line_len || *line == '#')
            continue;
        const char *eq = memchr(line, '=', line_len);
        if (!eq) {
            snprintf(err, errlen, "%s line %d: expected name = value", path, line_no);
            ok = false;
            break;
        }
        size_t name_len = trimmed_len(line, (size_t)(eq - line));
        const char *value = eq + 1 + strspn(eq + 1, " \t");
        size_t value_len = (size_t)(line + line_len - value);
        char *name = keep(owned, n_owned, "--", line, name_len);
        const cli_opt *o = NULL;
        for (const cli_opt *p = options; name && p->name; p++)
            if (!strcmp(p->name, name))
                o = p;
        if (!name)
            snprintf(err, errlen, "out of memory");
        else if (!o || !strcmp(name, "--config"))
            snprintf(err, errlen, "%s line %d: unknown option '%s'", path, line_no, name + 2);
        else if (!o->value && !(value_len == 4 && !memcmp(value, "true", 4)) &&
                 !(value_len == 5 && !memcmp(value, "false", 5)))
            snprintf(err, errlen, "%s line %d: %s is true or false", path, line_no, name + 2);
        else if (o->value && !keep(owned, n_owned, "", value, value_len))
            snprintf(err, errlen, "out of memory");
        else if (!o->value && value_len == 5)
            free((*owned)[--*n_owned]);     /* false: as if not there */
        if (err[0])
            ok = false;
    }
    free(t);
    return ok;
}

/* ---------------------------------------------------------------- options */

typedef struct pvfd_options {
    listener_config listener;
    uid_t uids[64];
    gid_t gids[64];
    const char *cache_dir, *metrics_listen, *workers_path, *log_file;
    unsigned execute_workers, max_connections;
    uint64_t grace_ms;
    bool insecure;
    pvf_tier tier;
    dlog_level log_level;
} pvfd_options;

/* "1000,1001": ids into out; false on anything else. */
static bool parse_ids(const char *s, unsigned *out, size_t max, size_t *n)
{
    *n = 0;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        char num[24];
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        uint64_t v;
        if (len == 0 || len >= sizeof num || *n == max)
            return false;
        memcpy(num, s, len);
        num[len] = 0;
        if (!parse_decimal(num, UINT32_MAX - 1, &v))
            return false;
        out[(*n)++] = (unsigned)v;
        s = comma ? comma + 1 : NULL;
    }
    return true;
}

static int bad(const char *name, const char *value, const char *what)
{
    return cli_fail(false, "pvfd", EXIT_USAGE, "bad value for %s: '%s' (%s)", name, value, what);
}

/* The parsed options into *o: -1 when fine, else the exit status (reported). */
static int read_options(const cli_args *a, pvfd_options *o)
{
    memset(o, 0, sizeof *o);
    o->listener.path = cli_get(a, "--socket") ? cli_get(a, "--socket") : "/run/pvfd/pvfd.sock";
    o->listener.group = cli_get(a, "--socket-group");
    o->cache_dir = cli_get(a, "--cache-dir") ? cli_get(a, "--cache-dir") : "/var/lib/pvfd";
    o->metrics_listen = cli_get(a, "--metrics-listen");
    o->workers_path = cli_get(a, "--workers-path");
    o->log_file = cli_get(a, "--log-file");
    o->insecure = cli_has(a, "--insecure");
    o->tier = PVF_TIER_DEFAULT;
    o->log_level = DLOG_INFO;
    const char *v;
    o->listener.mode = 0660;
    if ((v = cli_get(a, "--socket-mode"))) {
        char *end;
        unsigned long m = strtoul(v, &end, 8);
        if (!*v || *end || m > 0777)
            return bad("--socket-mode", v, "octal permissions, e.g. 0660");
        o->listener.mode = (unsigned)m;
    }
    size_t k;
    if (!parse_ids(cli_get(a, "--allow-uid"), (unsigned *)o->uids, 64, &k))
        return bad("--allow-uid", cli_get(a, "--allow-uid"), "uids separated by commas, 64 at most");
    o->listener.allow_uids = o->uids, o->listener.n_allow_uids = k;
    if (!parse_ids(cli_get(a, "--allow-gid"), (unsigned *)o->gids, 64, &k))
        return bad("--allow-gid", cli_get(a, "--allow-gid"), "gids separated by commas, 64 at most");
    o->listener.allow_gids = o->gids, o->listener.n_allow_gids = k;
    uint64_t workers = 4, connections = 256;
    o->grace_ms = 10000;
    if (!cli_read_number(a, "--execute-workers", 1, 64, "a count from 1 to 64", &workers) ||
        !cli_read_number(a, "--max-connections", 1, 4096, "a count from 1 to 4096", &connections) ||
        !cli_read_number(a, "--grace-ms", 0, 24ull * 3600 * 1000, "milliseconds, at most a day", &o->grace_ms))
        return EXIT_USAGE;
    o->execute_workers = (unsigned)workers;
    o->max_connections = (unsigned)connections;
    if ((v = cli_get(a, "--tier"))) {
        if (strcmp(v, "interp") && strcmp(v, "native"))
            return bad("--tier", v, "interp or native");
        o->tier = !strcmp(v, "native") ? PVF_TIER_NATIVE : PVF_TIER_INTERP;
    }
    if ((v = cli_get(a, "--log-level"))) {
        if (strcmp(v, "error") && strcmp(v, "warning") && strcmp(v, "info"))
            return bad("--log-level", v, "error, warning or info");
        o->log_level = v[0] == 'e' ? DLOG_ERROR : v[0] == 'w' ? DLOG_WARNING : DLOG_INFO;
    }
    return -1;
}

/* The config file's arguments, then the command line's (--name=value split): argv for
 * cli_parse, in *all; the config's strings in *owned. -1 when fine, else the exit status. */
static int gather_args(int argc, char **argv, char ***all, int *n_all, char ***owned, int *n_owned)
{
    const char *config = NULL;
    bool explicit = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[i + 1], explicit = true;
        else if (!strncmp(argv[i], "--config=", 9))
            config = argv[i] + 9, explicit = true;
    }
    if (!explicit && access(DEFAULT_CONFIG, F_OK) == 0)
        config = DEFAULT_CONFIG;
    char err[512];
    if (config && !config_args(config, owned, n_owned, err, sizeof err))
        return cli_fail(false, "pvfd", EXIT_USAGE, "%s", err);
    *all = calloc((size_t)(2 * argc + *n_owned + 1), sizeof **all);
    if (!*all)
        return cli_fail(false, "pvfd", EXIT_ERROR, "out of memory");
    int k = 0;
    (*all)[k++] = argv[0];
    for (int i = 0; i < *n_owned; i++)
        (*all)[k++] = (*owned)[i];
    for (int i = 1; i < argc; i++) {
        char *eq = !strncmp(argv[i], "--", 2) ? strchr(argv[i], '=') : NULL;
        if (eq)
            *eq = 0;
        (*all)[k++] = argv[i];
        if (eq)
            (*all)[k++] = eq + 1;
    }
    *n_all = k;
    return -1;
}

/* ---------------------------------------------------------------- start and stop */

static pvf_host *start_host(const pvfd_options *o, char *err, size_t errlen)
{
    pvf_host_config cfg;
    pvf_host_config_init(&cfg);
    cfg.cache_dir = o->cache_dir;
    cfg.workers_dir = o->workers_path;
    cfg.log = dlog_host;
    cfg.log_level = PVF_LOG_INFO;
    cfg.secure_validator_mode = !o->insecure;
    cfg.execute_workers_max = o->execute_workers;
    cfg.tier = o->tier;
    return pvf_host_start(&cfg, err, errlen);
}

static int serve(const pvfd_options *o)
{
    char err[1024];
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);     /* before any thread: every one inherits it */
    signal(SIGPIPE, SIG_IGN);
    bool activated;
    int fd = listener_open(&o->listener, &activated, err, sizeof err);
    if (fd < 0) {
        dlog(DLOG_ERROR, "start", "step=socket error=\"%s\"", err);
        return EXIT_ERROR;
    }
    pvf_host *h = start_host(o, err, sizeof err);
    if (!h) {
        char q[1100];
        dlog(DLOG_ERROR, "start", "step=host error=%s", dlog_quote(err, q, sizeof q));
        listener_close(&o->listener, fd, activated);
        return EXIT_ERROR;
    }
    struct metrics_http *m = NULL;
    if (o->metrics_listen && !(m = metrics_http_start(o->metrics_listen, h, err, sizeof err))) {
        dlog(DLOG_ERROR, "start", "step=metrics error=\"%s\"", err);
        pvf_host_stop(h);
        listener_close(&o->listener, fd, activated);
        return EXIT_ERROR;
    }
    dlog(DLOG_INFO, "ready", "pid=%d socket=%s activated=%s cache=%s metrics=%s version=%s", (int)getpid(),
         activated ? "(systemd's)" : o->listener.path, activated ? "true" : "false", o->cache_dir, o->metrics_listen ? o->metrics_listen : "none",
         pvf_version());
    sd_notify(0, "READY=1");
    server_config sc = {.host = h, .listen_fd = fd, .max_connections = o->max_connections,
                        .execute_workers = o->execute_workers, .grace_ms = o->grace_ms, .listener = &o->listener};
    int rc = server_run(&sc);
    sd_notify(0, "STOPPING=1");
    metrics_http_stop(m);
    pvf_host_stop(h);
    listener_close(&o->listener, fd, activated);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--man")) {    /* pvfd(8)'s options, for the build */
        cli_man(&pvfd_spec, stdout);
        return EXIT_OK;
    }
    char **all = NULL, **owned = NULL;
    int n_all = 0, n_owned = 0;
    int rc = gather_args(argc, argv, &all, &n_all, &owned, &n_owned);
    cli_args a;
    pvfd_options o;
    if (rc < 0)
        rc = cli_parse(&pvfd_spec, n_all, all, &a);
    if (rc < 0)
        rc = read_options(&a, &o);
    char err[512];
    if (rc < 0 && !dlog_open(o.log_file, o.log_level, err, sizeof err))
        rc = cli_fail(false, "pvfd", EXIT_ERROR, "%s", err);
    if (rc < 0)
        rc = serve(&o);
    for (int i = 0; i < n_owned; i++)
        free(owned[i]);
    free(owned);
    free(all);
    return rc;
}

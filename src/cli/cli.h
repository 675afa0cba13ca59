/*
 * cli.h — the `pvf` command: one file per subcommand (cmd_*.c), dispatched by main.c.
 *
 * Exit codes (documented in README.md):
 *   0  success (wast: nothing failed; prepare: code accepted)
 *   1  the input was rejected / a test failed / the candidate is invalid
 *   2  usage error, unreadable file, or an internal error
 */
#ifndef PVF_CLI_H
#define PVF_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cli/cli_options.h"
#include "util/json.h"

/* Exit codes (README.md, "Exit status"); 2 covers both of the last two. */
enum cli_exit {
    EXIT_OK = 0,
    EXIT_REJECTED = 1,  /* the input was rejected, a test failed, the candidate is invalid */
    EXIT_USAGE = 2,     /* bad arguments */
    EXIT_ERROR = 2,     /* an unreadable file, a failed write, an internal error: no verdict */
};

/* What a run of a candidate or an export came to, for display and the exit code. */
typedef enum cli_outcome { CLI_OUTCOME_VALID, CLI_OUTCOME_INVALID, CLI_OUTCOME_ERROR } cli_outcome;

static inline const char *cli_outcome_name(cli_outcome o)
{
    return o == CLI_OUTCOME_VALID ? "valid" : o == CLI_OUTCOME_INVALID ? "invalid" : "error";
}

static inline int cli_outcome_exit(cli_outcome o)
{
    return o == CLI_OUTCOME_VALID ? EXIT_OK : o == CLI_OUTCOME_INVALID ? EXIT_REJECTED : EXIT_ERROR;
}

/* One file per command: its option table (cli_spec, which main.c lists) and what it does with
 * the parsed line. */
#define CLI_COMMAND(id)                 \
    extern const cli_spec cmd_##id##_spec; \
    int cmd_##id(const cli_args *a)
CLI_COMMAND(wast);
CLI_COMMAND(prepare);
CLI_COMMAND(bench);
CLI_COMMAND(inspect);
CLI_COMMAND(validate);
CLI_COMMAND(precheck);
CLI_COMMAND(bench_host);
CLI_COMMAND(check_security);
CLI_COMMAND(build_block);
CLI_COMMAND(call);
CLI_COMMAND(version);

/* cli_error.c: print "pvf CMD: message" on stderr, and with json also {"outcome":"error",
 * "error":message} on stdout; returns exit_status (EXIT_USAGE or EXIT_ERROR). */
int cli_fail(bool json, const char *cmd, int exit_status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* cli_host.c: the options that run a command through the libpvf host (cli_host_options:
 * --cache-dir, --workers-path, --prep-timeout-ms, --exec-timeout-ms, --kind, --execute-workers,
 * --job-memory-mb, --insecure, --no-sandbox, --metrics, --dump-dir, --executor-params,
 * --in-process, --via), and the host they start. */
struct pvf_host;
typedef struct cli_host_opts {
    const char *cache_dir;          /* NULL: a temporary dir, removed by cli_host_stop */
    const char *workers_path;       /* --workers-path: searched first (pvf_find_workers) */
    uint64_t prep_timeout_ms, exec_timeout_ms;     /* 0: the executor params' defaults */
    int kind;                       /* pvf_exec_request_kind; backing by default */
    unsigned execute_workers;       /* 0: the host's default (4) */
    uint64_t job_memory_mb;         /* --job-memory-mb: an execute job's memory limit; 0: the host's default */
    bool insecure;                  /* --insecure: start without a secure sandbox (warnings only) */
    bool no_sandbox;                /* --no-sandbox: no layer at all (implies --insecure; benchmarks) */
    const char *metrics_path;       /* --metrics FILE: the host's Prometheus text, written at the end */
    const char *dump_dir;           /* --dump-dir DIR: every verdict but Valid written there (replayable) */
    const char *executor_params_path;   /* --executor-params FILE: SCALE ExecutorParams (a dump's) */
    const char *daemon;             /* --daemon SOCKET: a running pvfd does the work */
    struct executor_params *ep;     /* decoded by cli_host_start; freed by cli_host_stop */
    bool in_process;
    char prepare_path[4200], execute_path[4200], temp_cache[256];
} cli_host_opts;
extern const cli_opt cli_host_options[];
/* The host options of a parsed line into *o: -1 when fine, else the exit status (reported). */
int cli_host_read(const cli_args *a, cli_host_opts *o);
struct pvf_host *cli_host_start(cli_host_opts *o, char *err, size_t errlen);
/* Remove dir and everything in it (a temporary cache); true when it is gone. */
bool cli_remove_tree(const char *dir);
/* Only the worker paths and the (temporary) cache dir of cli_host_start. */
bool cli_host_paths(cli_host_opts *o, char *err, size_t errlen);
void cli_host_stop(struct pvf_host *h, cli_host_opts *o);
/* --executor-params FILE into o->ep (freed by cli_host_stop); true without the option. */
bool cli_host_load_executor_params(cli_host_opts *o, char *err, size_t errlen);

/* bench_pvfd.c: `pvf bench-host --pvfd`, a pvfd of the benchmark's own with `workers` execute
 * workers (the same workers path and cache as o), and the measurements through it. */
struct pvf_client;
struct pvf_execute_request;
typedef struct bench_pvfd {
    int pid;
    char dir[256], sock[300];
    struct pvf_client *client;
} bench_pvfd;
bool bench_pvfd_start(bench_pvfd *d, const cli_host_opts *o, unsigned workers, char *err, size_t errlen);
void bench_pvfd_stop(bench_pvfd *d);
/* n sequential validations (after 3 warm-ups): their wall times in samples. */
bool bench_pvfd_latency(bench_pvfd *d, const struct pvf_execute_request *rq, double *samples, size_t n);
/* m at once on the one connection: the wall time until the last answer, ms; -1 on a failure. */
double bench_pvfd_burst(bench_pvfd *d, const struct pvf_execute_request *rq, size_t m);

/* runtime_code.c: read and prepare a runtime with the PVF defaults; NULL with err set. */
struct pvf_code;
struct pvf_code *cli_load_runtime(const char *path, char *err, size_t errlen);
/* A pvf_outcome (an int here: cli.h does not include the runtime API) as a cli_outcome. */
cli_outcome runtime_outcome(int outcome);

/* main.c: `--tier native` (anywhere on the command line) runs in-process code on the native
 * tier; cli_apply_tier compiles a loaded code for it (a no-op for the interpreter). */
extern bool cli_native_tier;
bool cli_apply_tier(struct pvf_code *code, char *err, size_t errlen);
/* --profile pvf|full (the option named so in the command's table) into *profile (a pvf_profile,
 * as an int), or `fallback` without it; false (reported) for another name. */
bool cli_read_profile(const cli_args *a, int fallback, int *profile);
/* The tier as an engine setting (pvf_tier, as an int: cli.h does not include the engine API). */
int cli_tier(void);

#endif

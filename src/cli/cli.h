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

int cmd_wast(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* cli_error.c: print "pvf CMD: message" on stderr, and with json also {"outcome":"error",
 * "error":message} on stdout; returns exit_status (EXIT_USAGE or EXIT_ERROR). */
int cli_fail(bool json, const char *cmd, int exit_status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int cmd_precheck(int argc, char **argv);
int cmd_bench_host(int argc, char **argv);
int cmd_check_security(int argc, char **argv);
int cmd_build_block(int argc, char **argv);

/* cmd_precheck.c: the options that run a command through the libpvf host
 * (--cache-dir, --workers-path, --prep-timeout-ms, --exec-timeout-ms, --kind,
 * --execute-workers, --insecure, --no-sandbox, --metrics FILE, --in-process, --via host|in-process). */
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
    struct executor_params *ep;     /* decoded by cli_host_start; freed by cli_host_stop */
    bool in_process, via_set;
    char prepare_path[4200], execute_path[4200], temp_cache[256];
} cli_host_opts;
/* 1: argv[*i] (and its value, *i advanced) was a host option; 0: not one; -1: bad value (reported). */
int cli_host_option(int argc, char **argv, int *i, cli_host_opts *o);
struct pvf_host *cli_host_start(cli_host_opts *o, char *err, size_t errlen);
/* Only the worker paths and the (temporary) cache dir of cli_host_start. */
bool cli_host_paths(cli_host_opts *o, char *err, size_t errlen);
void cli_host_stop(struct pvf_host *h, cli_host_opts *o);

/* runtime_code.c: read and prepare a runtime with the PVF defaults; NULL with err set. */
struct pvf_code;
struct pvf_code *cli_load_runtime(const char *path, char *err, size_t errlen);
/* A pvf_outcome (an int here: cli.h does not include the runtime API) as a cli_outcome. */
cli_outcome runtime_outcome(int outcome);

/* main.c: `--tier native` (anywhere on the command line) runs in-process code on the native
 * tier; cli_apply_tier compiles a loaded code for it (a no-op for the interpreter). */
extern bool cli_native_tier;
bool cli_apply_tier(struct pvf_code *code, char *err, size_t errlen);
/* The tier as an engine setting (pvf_tier, as an int: cli.h does not include the engine API). */
int cli_tier(void);

#endif

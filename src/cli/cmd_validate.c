/*
 * cmd_validate.c — `pvf validate --code FILE --params FILE [--json] [host options]`
 *
 * Runs validate_block on SCALE-encoded ValidationParams. By default through
 * the libpvf host (prepare and execute workers, one job process each; the
 * host options are in cli_host.c): exit 0 Valid, 1 Invalid or
 * PossiblyInvalid (both vote invalid, §6.2), 2 Preparation / Internal
 * (abstain) or a usage error. `--in-process` runs it directly here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cputime.h"
#include "pvf/client.h"
#include "pvf/host.h"
#include "pvf/runtime.h"
#include "runtime/validation.h"
#include "util/file.h"
#include "util/hex.h"

static const cli_opt options[] = {
    { "--code", NULL, "FILE", "the PVF: wasm or a compressed code blob", true },
    { "--params", NULL, "FILE", "the candidate's SCALE-encoded ValidationParams (parent head, PoV, relay parent "
      "number and storage root)", true },
    { "--json", NULL, NULL, "one JSON object on stdout (errors too): outcome, verdict, reason, message, "
      "the decoded result, runtime_log, CPU and wall times", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_validate_spec = {
    .name = "validate",
    .summary = "run validate_block of a PVF on ValidationParams",
    .description = "Validate a candidate as a validator does: prepare the PVF if needed, run its validate_block "
                   "on the ValidationParams in an execute worker's job process, and give the reference host's "
                   "verdict: Valid (the ValidationResult is printed), Invalid or PossiblyInvalid (with the "
                   "trap, the runtime's panic message and a wasm backtrace), Preparation or Internal (no vote). "
                   "What the runtime logged is printed after the verdict.\n\n"
                   "--in-process runs validate_block in this process instead, without the host.",
    .options = options,
    .shared = cli_host_options,
    .shared_title = "host options",
    .exit_status = "0 valid; 1 invalid or possibly invalid; 2 no verdict (preparation, internal), a usage "
                   "error or an unreadable file.",
};

static void print_result_json(const uint8_t *p, size_t n)
{
    validation_result res;
    wasm_error err = { 0 };
    if (validation_result_decode(p, n, &res, NULL, &err)) {
        printf(",\"result\":");
        validation_result_write_json(&res, stdout);
        validation_result_free(&res);
    }
    printf(",\"result_scale\":\"");
    hex_print(stdout, p, n);
    printf("\"");
}

/* What the runtime logged: "runtime log:" and its lines, indented; nothing when it logged nothing. */
static void print_log_text(const char *log)
{
    if (!log[0])
        return;
    printf("runtime log:\n");
    for (const char *line = log; *line;) {
        size_t len = strcspn(line, "\n");
        printf("  %.*s\n", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

static void print_json(const pvf_call_result *r)
{
    printf("{\"outcome\":\"%s\"", cli_outcome_name(runtime_outcome(r->outcome)));
    if (r->outcome == PVF_OUTCOME_OK) {
        print_result_json(r->output, r->output_len);
    } else {
        printf(",\"reason\":");
        json_print_string(stdout, r->reason);
    }
    printf(",\"runtime_log\":");
    json_print_string(stdout, r->log);
    printf(",\"cpu_ms\":%.3f}\n", r->cpu_ms);
}

static void print_result_text(const uint8_t *p, size_t n)
{
    validation_result res;
    wasm_error err = { 0 };
    if (validation_result_decode(p, n, &res, NULL, &err)) {
        printf("  head_data                    ");
        hex_print(stdout, res.head_data.ptr, res.head_data.len);
        printf("\n  new_validation_code          %s\n", res.has_new_validation_code ? "yes" : "none");
        printf("  upward_messages              %zu\n", res.n_upward_messages);
        printf("  horizontal_messages          %zu\n", res.n_horizontal_messages);
        printf("  processed_downward_messages  %u\n", res.processed_downward_messages);
        printf("  hrmp_watermark               %u\n", res.hrmp_watermark);
        validation_result_free(&res);
    }
}

static void print_text(const pvf_call_result *r)
{
    if (r->outcome == PVF_OUTCOME_OK) {
        printf("valid (%.3f ms CPU)\n", r->cpu_ms);
        print_result_text(r->output, r->output_len);
    } else {
        printf("%s: %s\n", cli_outcome_name(runtime_outcome(r->outcome)), r->reason);
    }
    print_log_text(r->log);
}

/* "valid" / "invalid" / "error", as the in-process path names its outcomes. */
/* Invalid and PossiblyInvalid both say no to the candidate; the other verdicts abstain. */
static cli_outcome host_outcome(pvf_verdict v)
{
    return v == PVF_VERDICT_VALID ? CLI_OUTCOME_VALID
           : v == PVF_VERDICT_INVALID || v == PVF_VERDICT_POSSIBLY_INVALID ? CLI_OUTCOME_INVALID
                                                                          : CLI_OUTCOME_ERROR;
}

/* wall_ms: the whole call through the host, preparation and queueing included. */
static void print_host(const pvf_execute_result *r, double wall_ms, const char *via, bool json)
{
    if (!json) {
        if (r->verdict == PVF_VERDICT_VALID) {
            printf("valid (execute %.3f ms CPU, prepare %.3f ms CPU, %.3f ms wall, via %s)\n", r->execute_ns / 1e6,
                   r->prepare_cpu_ns / 1e6, wall_ms, via);
            print_result_text(r->result, r->result_len);
        } else {
            printf("%s: %s(%s): %s\n", cli_outcome_name(host_outcome(r->verdict)), pvf_verdict_name(r->verdict), r->reason,
                   r->message);
        }
        print_log_text(r->runtime_log);
        return;
    }
    printf("{\"outcome\":\"%s\",\"via\":\"%s\",\"verdict\":\"%s\"", cli_outcome_name(host_outcome(r->verdict)), via,
           pvf_verdict_name(r->verdict));
    if (r->verdict == PVF_VERDICT_VALID) {
        print_result_json(r->result, r->result_len);
    } else {
        printf(",\"reason\":");
        json_print_string(stdout, r->reason);
        printf(",\"message\":");
        json_print_string(stdout, r->message);
    }
    printf(",\"runtime_log\":");
    json_print_string(stdout, r->runtime_log);
    /* a timeout or a dead job reports no CPU time: null, not a misleading 0 (issue 13, finding 8) */
    if (r->execute_ns)
        printf(",\"cpu_ms\":%.3f", r->execute_ns / 1e6);
    else
        printf(",\"cpu_ms\":null");
    printf(",\"prepare_cpu_ms\":%.3f,\"wall_ms\":%.3f,\"attempts\":%u}\n", r->prepare_cpu_ns / 1e6, wall_ms,
           r->attempts);
}

/* A host of our own does it (the executor params of --executor-params). NULL with why. */
static pvf_execute_result *execute_via_host(cli_host_opts *o, pvf_execute_request *rq, double *wall_ms, char *err,
                                            size_t errlen)
{
    pvf_host *h = cli_host_start(o, err, errlen);
    if (!h)
        return NULL;
    rq->executor_params = o->ep;
    double t0 = walltime_ms();
    pvf_execute_result *r = pvf_host_execute(h, rq);
    *wall_ms = walltime_ms() - t0;
    cli_host_stop(h, o);
    if (!r)
        snprintf(err, errlen, "out of memory");
    return r;
}

/* The pvfd at --daemon does it. NULL with why. */
static pvf_execute_result *execute_via_daemon(cli_host_opts *o, pvf_execute_request *rq, double *wall_ms, char *err,
                                              size_t errlen)
{
    pvf_client *c = pvf_client_connect(o->daemon, "pvf validate", err, errlen);
    pvf_execute_result *r = NULL;
    if (c && cli_host_load_executor_params(o, err, errlen)) {
        rq->executor_params = o->ep;
        double t0 = walltime_ms();
        r = pvf_client_execute(c, rq, err, errlen);
        *wall_ms = walltime_ms() - t0;
    }
    pvf_client_close(c);
    cli_host_stop(NULL, o);
    return r;
}

static int validate_via_host(const char *code_path, const uint8_t *params, size_t params_len, cli_host_opts *o,
                             bool json)
{
    /* only the public API from here: what a node would do with the bytes it has */
    pvf_execute_request rq;
    pvf_execute_request_init(&rq);
    char err[1024];
    if (!pvf_execute_request_set_params(&rq, params, params_len, err, sizeof err))
        return cli_fail(json, "validate", EXIT_ERROR, "bad ValidationParams: %s", err);
    size_t code_len;
    uint8_t *code = file_read(code_path, &code_len);
    if (!code)
        return cli_fail(json, "validate", EXIT_ERROR, "cannot read %s: %s", code_path, strerror(errno));
    rq.code = code;
    rq.code_len = code_len;
    rq.kind = (pvf_exec_request_kind)o->kind;
    rq.timeout_ms = o->exec_timeout_ms;
    double wall = 0;     /* the call, without starting and stopping a host */
    pvf_execute_result *r = o->daemon ? execute_via_daemon(o, &rq, &wall, err, sizeof err)
                                      : execute_via_host(o, &rq, &wall, err, sizeof err);
    free(code);
    if (!r)
        return cli_fail(json, "validate", EXIT_ERROR, "%s", err);
    print_host(r, wall, o->daemon ? "pvfd" : "host", json);
    int rc = cli_outcome_exit(host_outcome(r->verdict));
    pvf_execute_result_free(r);
    return rc;
}

int cmd_validate(const cli_args *a)
{
    const char *code_path = cli_get(a, "--code"), *params_path = cli_get(a, "--params");
    bool json = a->json;
    cli_host_opts o;
    int rc = cli_host_read(a, &o);
    if (rc >= 0)
        return rc;
    size_t params_len;
    uint8_t *params = file_read(params_path, &params_len);
    if (!params)
        return cli_fail(json, "validate", EXIT_ERROR, "cannot read %s: %s", params_path, strerror(errno));
    if (!o.in_process) {
        rc = validate_via_host(code_path, params, params_len, &o, json);
        free(params);
        return rc;
    }
    pvf_call_result r = { 0 };
    char err[1024];
    pvf_code *code = cli_load_runtime(code_path, err, sizeof err);
    if (!code) {
        r.outcome = PVF_OUTCOME_ERROR;
        snprintf(r.reason, sizeof r.reason, "%.500s", err);
    } else {
        pvf_runtime_validate(code, params, params_len, &r);
    }
    if (json)
        print_json(&r);
    else
        print_text(&r);
    free(r.output);
    free(params);
    pvf_code_free(code);
    return cli_outcome_exit(runtime_outcome(r.outcome));
}

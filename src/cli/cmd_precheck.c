/*
 * cmd_precheck.c — `pvf precheck --code FILE [--json] [host options]`: pre-check a PVF as a
 * validator does before voting on new code (reference-behaviour.md §6.2 "Pre-check"): through
 * the libpvf host by default, a prepare worker running the preparation in a job process with
 * the precheck timeout; `--in-process` prepares it in this process instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/client.h"
#include "pvf/host.h"
#include "pvf/runtime.h"
#include "util/file.h"

static const cli_opt options[] = {
    { "--code", NULL, "FILE", "the PVF: wasm or a compressed code blob", true },
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_precheck_spec = {
    .name = "precheck",
    .summary = "precheck a PVF through the host (prepare worker + job process)",
    .description = "Pre-check a PVF as a validator does before voting on new code: a prepare worker prepares it "
                   "in a job process under the precheck timeout. Valid: the artifact is ready; Invalid: a "
                   "deterministic preparation error (the code is bad); Failed: anything else, no vote.",
    .options = options,
    .shared = cli_host_options,
    .shared_title = "host options",
    .exit_status = "0 valid; 1 invalid; 2 failed (no vote), a usage error or an unreadable file.",
};

static int precheck_in_process(const char *code_path, bool json)
{
    char err[1024];
    pvf_code *code = cli_load_runtime(code_path, err, sizeof err);
    if (json) {
        printf("{\"outcome\":\"%s\",\"via\":\"in-process\"", code ? "valid" : "invalid");
        if (!code) {
            printf(",\"reason\":");
            json_print_string(stdout, err);
        }
        printf("}\n");
    } else if (code) {
        printf("valid\n");
    } else {
        printf("invalid: %s\n", err);
    }
    pvf_code_free(code);
    return code ? 0 : EXIT_REJECTED;
}

static void print_precheck(const pvf_precheck_result *r, const char *via, bool json)
{
    const char *name = r->outcome == PVF_PRECHECK_VALID ? "valid"
                       : r->outcome == PVF_PRECHECK_INVALID ? "invalid" : "failed";
    if (!json) {
        if (r->outcome == PVF_PRECHECK_VALID)
            printf("valid (prepare %.3f ms CPU%s)\n", r->prepare_cpu_ns / 1e6, r->cached ? ", cached" : "");
        else
            printf("%s: %s: %s\n", name, r->reason, r->message);
        return;
    }
    printf("{\"outcome\":\"%s\",\"via\":\"%s\",\"verdict\":\"%s\"", name, via, pvf_precheck_outcome_name(r->outcome));
    if (r->outcome != PVF_PRECHECK_VALID) {
        printf(",\"reason\":");
        json_print_string(stdout, r->reason);
        printf(",\"message\":");
        json_print_string(stdout, r->message);
    }
    printf(",\"prepare_cpu_ms\":%.3f,\"cached\":%s}\n", r->prepare_cpu_ns / 1e6, r->cached ? "true" : "false");
}

/* A host of our own prechecks it. NULL with why. */
static pvf_precheck_result *precheck_via_host(cli_host_opts *o, const uint8_t *code, size_t len, char *err,
                                              size_t errlen)
{
    pvf_host *h = cli_host_start(o, err, errlen);
    if (!h)
        return NULL;
    pvf_precheck_result *r = pvf_host_precheck(h, code, len, o->ep);
    cli_host_stop(h, o);
    if (!r)
        snprintf(err, errlen, "out of memory");
    return r;
}

/* The pvfd at --daemon prechecks it. NULL with why. */
static pvf_precheck_result *precheck_via_daemon(cli_host_opts *o, const uint8_t *code, size_t len, char *err,
                                                size_t errlen)
{
    pvf_client *c = pvf_client_connect(o->daemon, "pvf precheck", err, errlen);
    pvf_precheck_result *r = NULL;
    if (c && cli_host_load_executor_params(o, err, errlen))
        r = pvf_client_precheck(c, code, len, o->ep, err, errlen);
    pvf_client_close(c);
    cli_host_stop(NULL, o);
    return r;
}

int cmd_precheck(const cli_args *a)
{
    const char *code_path = cli_get(a, "--code");
    bool json = a->json;
    cli_host_opts o;
    int rc = cli_host_read(a, &o);
    if (rc >= 0)
        return rc;
    if (o.in_process)
        return precheck_in_process(code_path, json);
    size_t len;
    uint8_t *code = file_read(code_path, &len);
    if (!code)
        return cli_fail(json, "precheck", EXIT_ERROR, "cannot read %s: %s", code_path, strerror(errno));
    char err[1024];
    pvf_precheck_result *r = o.daemon ? precheck_via_daemon(&o, code, len, err, sizeof err)
                                      : precheck_via_host(&o, code, len, err, sizeof err);
    free(code);
    if (!r)
        return cli_fail(json, "precheck", EXIT_ERROR, "%s", err);
    print_precheck(r, o.daemon ? "pvfd" : "host", json);
    rc = r->outcome == PVF_PRECHECK_VALID ? EXIT_OK : r->outcome == PVF_PRECHECK_INVALID ? EXIT_REJECTED : EXIT_ERROR;
    pvf_precheck_result_free(r);
    return rc;
}

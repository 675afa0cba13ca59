/*
 * cmd_validate.c — `pvf validate --code FILE --params FILE [--json]`
 *
 * Runs validate_block on SCALE-encoded ValidationParams (in-process for now;
 * the host issue routes it through workers). Exit 0 valid, 1 invalid, 2 error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/runtime.h"
#include "runtime/validation.h"
#include "util/file.h"
#include "util/hex.h"

static int usage(void)
{
    fprintf(stderr, "usage: pvf validate --code FILE --params FILE [--json]\n");
    return EXIT_USAGE;
}

static void print_json(const pvf_call_result *r)
{
    printf("{\"outcome\":\"%s\"", cli_outcome_name(r->outcome));
    if (r->outcome == PVF_OUTCOME_OK) {
        validation_result res;
        wasm_error err = { 0 };
        if (validation_result_decode(r->output, r->output_len, &res, NULL, &err)) {
            printf(",\"result\":");
            validation_result_write_json(&res, stdout);
            validation_result_free(&res);
        }
        printf(",\"result_scale\":\"");
        hex_print(stdout, r->output, r->output_len);
        printf("\"");
    } else {
        printf(",\"reason\":");
        json_print_string(stdout, r->reason);
    }
    printf(",\"cpu_ms\":%.3f}\n", r->cpu_ms);
}

static void print_text(const pvf_call_result *r)
{
    if (r->outcome == PVF_OUTCOME_OK) {
        printf("valid (%.3f ms CPU)\n", r->cpu_ms);
        validation_result res;
        wasm_error err = { 0 };
        if (validation_result_decode(r->output, r->output_len, &res, NULL, &err)) {
            printf("  head_data                    ");
            hex_print(stdout, res.head_data.ptr, res.head_data.len);
            printf("\n  new_validation_code          %s\n", res.has_new_validation_code ? "yes" : "none");
            printf("  upward_messages              %zu\n", res.n_upward_messages);
            printf("  horizontal_messages          %zu\n", res.n_horizontal_messages);
            printf("  processed_downward_messages  %u\n", res.processed_downward_messages);
            printf("  hrmp_watermark               %u\n", res.hrmp_watermark);
            validation_result_free(&res);
        }
    } else {
        printf("%s: %s\n", cli_outcome_name(r->outcome), r->reason);
    }
}

int cmd_validate(int argc, char **argv)
{
    const char *code_path = NULL, *params_path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--code") && i + 1 < argc) code_path = argv[++i];
        else if (!strcmp(argv[i], "--params") && i + 1 < argc) params_path = argv[++i];
        else if (!strcmp(argv[i], "--json")) json = true;
        else if (!strcmp(argv[i], "--help")) { usage(); return 0; }
        else return usage();
    }
    if (!code_path || !params_path)
        return usage();
    size_t params_len;
    uint8_t *params = file_read(params_path, &params_len);
    if (!params) {
        fprintf(stderr, "pvf validate: cannot read %s: %s\n", params_path, strerror(errno));
        return EXIT_USAGE;
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
    return r.outcome == PVF_OUTCOME_OK ? 0 : r.outcome == PVF_OUTCOME_INVALID ? EXIT_REJECTED : EXIT_USAGE;
}

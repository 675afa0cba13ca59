/*
 * cmd_call.c — `pvf call --code FILE --export NAME [--input FILE | --input-hex 0x…] [--json]`
 *
 * Calls any export of a Substrate runtime with the PVF host functions on a
 * fresh instance and prints the output bytes as hex (how Core_version and
 * Metadata_metadata of a real runtime are run). Exit 0 when the call
 * returned, 1 when it trapped, 2 on usage errors or when the code cannot run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/runtime.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/parse.h"

static const cli_opt options[] = {
    { "--code", NULL, "FILE", "the runtime: wasm or a compressed code blob", true },
    { "--export", NULL, "NAME", "the export to call (Core_version, Metadata_metadata, validate_block…)", true },
    { "--input", NULL, "FILE", "the call's input bytes (default none)", false },
    { "--input-hex", NULL, "0x...", "the call's input bytes as hex", false },
    { "--repeat", NULL, "N", "call N times (1 to 1000000), each on a fresh instance; all must give the same "
      "outcome and bytes; cpu_ms is the fastest, first_cpu_ms the first", false },
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_call_spec = {
    .name = "call",
    .summary = "call any export of a runtime with the PVF host functions",
    .description = "Call an export of a Substrate runtime with the PVF host functions on a fresh instance, in "
                   "this process, and print the output bytes as hex: how Core_version or Metadata_metadata of a "
                   "real runtime are run.",
    .options = options,
    .exit_status = "0 the call returned; 1 it trapped; 2 a usage error or code that cannot run.",
};

static void print_result(const pvf_call_result *r, double first_ms, bool json)
{
    if (json) {
        if (r->outcome == PVF_OUTCOME_OK) {
            printf("{\"ok\":true,\"output\":\"");
            hex_print(stdout, r->output, r->output_len);
            printf("\",\"cpu_ms\":%.3f,\"first_cpu_ms\":%.3f}\n", r->cpu_ms, first_ms);
        } else {
            printf("{\"ok\":false,\"outcome\":\"%s\",\"error\":", cli_outcome_name(runtime_outcome(r->outcome)));
            json_print_string(stdout, r->reason);
            printf(",\"backtrace\":");
            json_print_string(stdout, r->backtrace);
            printf(",\"cpu_ms\":%.3f}\n", r->cpu_ms);
        }
        return;
    }
    if (r->outcome == PVF_OUTCOME_OK) {
        hex_print(stdout, r->output, r->output_len);
        printf("\n");
        fprintf(stderr, "(%zu bytes, %.3f ms CPU)\n", r->output_len, r->cpu_ms);
    } else {
        fprintf(stderr, "pvf call: %s: %s\n", r->outcome == PVF_OUTCOME_INVALID ? "trapped" : "error", r->reason);
        if (r->backtrace[0])
            fprintf(stderr, "  wasm backtrace: %s\n", r->backtrace);
    }
}

int cmd_call(const cli_args *a)
{
    const char *code_path = cli_get(a, "--code"), *export = cli_get(a, "--export");
    const char *input_path = cli_get(a, "--input"), *input_hex = cli_get(a, "--input-hex");
    const char *repeat_text = cli_get(a, "--repeat");
    bool json = a->json;
    uint64_t repeat = 1;
    if (repeat_text && (!parse_decimal(repeat_text, 1000000, &repeat) || repeat == 0))
        return cli_fail(json, "call", EXIT_USAGE, "--repeat: expected a count from 1 to 1000000, got '%s'",
                        repeat_text);
    if (input_path && input_hex)
        return cli_fail(json, "call", EXIT_USAGE, "--input and --input-hex: one or the other");
    uint8_t *input = NULL;
    size_t input_len = 0;
    if (input_path && !(input = file_read(input_path, &input_len)))
        return cli_fail(json, "call", EXIT_ERROR, "cannot read %s: %s", input_path, strerror(errno));
    if (input_hex && !hex_decode(input_hex, &input, &input_len))
        return cli_fail(json, "call", EXIT_USAGE, "--input-hex: not a hex string");
    char err[1024];
    pvf_code *code = cli_load_runtime(code_path, err, sizeof err);
    if (!code) {
        if (json) {
            printf("{\"ok\":false,\"outcome\":\"error\",\"error\":");
            json_print_string(stdout, err);
            printf("}\n");
        } else {
            fprintf(stderr, "pvf call: %s\n", err);
        }
        free(input);
        return EXIT_ERROR;
    }
    pvf_call_result r;
    pvf_runtime_call(code, export, input, input_len, &r);
    double first_ms = r.cpu_ms;
    for (uint64_t i = 1; i < repeat; i++) {     /* the same call on fresh instances: the fastest counts */
        pvf_call_result again;
        pvf_runtime_call(code, export, input, input_len, &again);
        bool same = again.outcome == r.outcome && again.output_len == r.output_len &&
                    (r.output_len == 0 || memcmp(again.output, r.output, r.output_len) == 0) &&
                    !strcmp(again.reason, r.reason);
        if (again.cpu_ms < r.cpu_ms)
            r.cpu_ms = again.cpu_ms;
        free(again.output);
        if (!same) {
            fprintf(stderr, "pvf call: call %llu gave another outcome or other bytes than the first\n",
                    (unsigned long long)i + 1);
            free(r.output);
            free(input);
            pvf_code_free(code);
            return EXIT_ERROR;
        }
    }
    print_result(&r, first_ms, json);
    free(r.output);
    free(input);
    pvf_code_free(code);
    return cli_outcome_exit(runtime_outcome(r.outcome));
}

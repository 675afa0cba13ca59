/*
 * cmd_prepare.c — `pvf prepare FILE [-o ARTIFACT] [--json] [--profile pvf|full]
 *                 [--bulk-memory] [--stack-limit N]`
 *
 * The prepare step of the PVF host, by hand: decompress the code blob (with
 * the code bomb limit), then decode, set up the memory (pvf profile: the
 * reference's PVF heap, as the prepare worker does), validate, instrument and
 * compile it with pvf_prepare(), and optionally write the artifact. Prints
 * the sizes, the number of functions and stack-limiter thunks, the CPU time
 * of the prepare step (this thread only, as the reference measures a job)
 * and the command's peak resident memory.
 *
 * Exit: 0 accepted, 1 rejected ("rejected: reason"), 2 usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "pvf/engine.h"
#include "pvf/runtime.h"
#include "runtime/blob.h"
#include "util/cputime.h"
#include "util/file.h"
#include "util/parse.h"

typedef struct prepare_options {
    const char *path;
    const char *output;
    bool json;
    pvf_engine_config cfg;
} prepare_options;

typedef struct prepare_result {
    size_t input_size;
    bool compressed;
    size_t wasm_size;
    pvf_prepare_stats stats;
    double cpu_ms;
} prepare_result;

static const cli_opt options[] = {
    { "-o", NULL, "ARTIFACT", "write the artifact there", false },
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { "--profile", NULL, "pvf|full", "pvf (the default): MVP and mutable globals, the reference's heap and the "
      "stack limiter, as the prepare worker does; full: every supported proposal, no stack limiter", false },
    { "--bulk-memory", NULL, NULL, "pvf profile: the WasmExtBulkMemory executor parameter", false },
    { "--stack-limit", NULL, "N", "pvf profile: the deterministic stack limit (default: the reference's logical "
      "stack maximum)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_prepare_spec = {
    .name = "prepare",
    .summary = "prepare wasm (or a compressed code blob) into an artifact",
    .operands = "FILE",
    .min_operands = 1,
    .max_operands = 1,
    .description = "Prepare a wasm module or a compressed code blob into an artifact, as the prepare worker "
                   "does, in this process: decompress (with the code bomb limit), decode, set up the memory, "
                   "validate, instrument and compile; print the sizes, the functions and stack-limiter thunks, "
                   "the CPU time and the peak resident memory.",
    .options = options,
    .exit_status = "0 accepted; 1 rejected (the reason printed); 2 a usage error or an unreadable or unwritable "
                   "file.",
};

/* The options of a parsed line into *o: -1 when fine, else the exit status (reported). */
static int read_options(const cli_args *a, prepare_options *o)
{
    o->path = a->operands[0];
    o->output = cli_get(a, "-o");
    o->json = a->json;
    int profile;
    if (!cli_read_profile(a, PVF_PROFILE_PVF, &profile))
        return EXIT_USAGE;
    uint32_t stack_limit = 0;
    const char *limit = cli_get(a, "--stack-limit");
    if (limit && !parse_count_u32(limit, &stack_limit))
        return cli_fail(o->json, "prepare", EXIT_USAGE, "--stack-limit needs a count from 1 to %u, not '%s'",
                        UINT32_MAX, limit);
    pvf_engine_config_default(&o->cfg, (pvf_profile)profile);
    o->cfg.tier = (pvf_tier)cli_tier();
    if (profile == PVF_PROFILE_PVF)
        o->cfg.heap_max_pages = PVF_REF_HEAP_MAX_PAGES;
    if (cli_has(a, "--bulk-memory"))
        o->cfg.bulk_memory = true;
    if (limit)
        o->cfg.stack_logical_max = stack_limit;
    return -1;
}

static int report_rejected(const prepare_options *o, const char *reason)
{
    if (o->json) {
        printf("{\"ok\":false,\"error\":");
        json_print_string(stdout, reason);
        printf("}\n");
    } else {
        printf("rejected: %s\n", reason);
    }
    return EXIT_REJECTED;
}

/* Peak resident memory of this process so far, in KiB (0 when unknown). */
static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static void report_accepted(const prepare_options *o, const prepare_result *r)
{
    if (o->json) {
        printf("{\"ok\":true,\"compressed\":%s,\"input_size\":%zu,\"wasm_size\":%zu,"
               "\"artifact_size\":%zu,\"functions\":%u,\"thunks\":%u,\"cpu_ms\":%.3f,"
               "\"peak_rss_kib\":%ld}\n",
               r->compressed ? "true" : "false", r->input_size, r->wasm_size,
               r->stats.artifact_size, r->stats.functions, r->stats.thunks, r->cpu_ms,
               peak_rss_kib());
        return;
    }
    printf("input:      %s, %zu bytes%s\n", o->path, r->input_size,
           r->compressed ? " (compressed blob)" : "");
    printf("wasm:       %zu bytes\n", r->wasm_size);
    printf("artifact:   %zu bytes%s%s\n", r->stats.artifact_size, o->output ? " -> " : "",
           o->output ? o->output : "");
    printf("functions:  %u (+ %u stack-limiter thunks)\n", r->stats.functions, r->stats.thunks);
    if (r->cpu_ms > 0)
        printf("prepare:    %.1f ms CPU, %.1f MB/s of wasm\n", r->cpu_ms,
               (double)r->wasm_size / 1e6 / (r->cpu_ms / 1e3));
    else
        printf("prepare:    %.1f ms CPU\n", r->cpu_ms);
    printf("memory:     %.1f MiB peak resident\n", peak_rss_kib() / 1024.0);
}

int cmd_prepare(const cli_args *a)
{
    prepare_options o = { 0 };
    int code = read_options(a, &o);
    if (code >= 0)
        return code;

    prepare_result r = { 0 };
    uint8_t *input = file_read(o.path, &r.input_size);
    if (!input)
        return cli_fail(o.json, "prepare", EXIT_ERROR, "cannot read %s: %s", o.path, strerror(errno));
    uint8_t *wasm;
    char reason[512];
    bool ok = blob_decompress(input, r.input_size, PVF_REF_CODE_BOMB_LIMIT, &wasm, &r.wasm_size,
                              &r.compressed, reason, sizeof reason);
    free(input);
    if (!ok)
        return report_rejected(&o, reason);

    uint8_t *artifact = NULL;
    size_t artifact_len = 0;
    double t0 = cputime_thread_ms();
    ok = pvf_prepare(wasm, r.wasm_size, &o.cfg, &artifact, &artifact_len, &r.stats, reason,
                     sizeof reason);
    r.cpu_ms = cputime_thread_ms() - t0;
    free(wasm);
    if (!ok)
        return report_rejected(&o, reason);
    r.stats.artifact_size = artifact_len;

    code = 0;
    if (o.output && !file_write(o.output, artifact, artifact_len)) {
        fprintf(stderr, "pvf prepare: cannot write %s: %s\n", o.output, strerror(errno));
        code = EXIT_ERROR;
    } else {
        report_accepted(&o, &r);
    }
    free(artifact);
    return code;
}

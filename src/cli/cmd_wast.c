/*
 * cmd_wast.c — `pvf wast FILE.json... [--profile full|pvf] [--verbose]`.
 *
 * Runs WebAssembly spec tests converted by wabt's wast2json: each .json file
 * is a list of commands over .wasm files beside it (see wast.h for the
 * pieces). Every file gets a fresh store, so files cannot affect each other.
 *
 * Output: one line per file, "FILE: P passed, F failed, S skipped"; with
 * --verbose, before it, a line for every failed command (and for skips and
 * remarks) with the line of the .wast it came from. Last line:
 * "N passed, M failed, K skipped". Exit 0 when nothing failed, 1 when
 * something did, 2 for a usage error or a file that cannot be read.
 *
 * A file that is not valid JSON, or has no command list, counts as one
 * failure of that file and the run goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/wast.h"
#include "util/file.h"

typedef struct counts {
    unsigned long passed, failed, skipped;
} counts;

typedef struct options {
    pvf_engine_config cfg;
    bool verbose;
} options;

static const cli_opt wast_options[] = {
    { "--profile", NULL, "full|pvf", "full: MVP and the merged proposals, no stack limiter (the default); pvf: "
      "what Polkadot accepts (MVP, the stack limiter, NaN canonicalisation)", false },
    { "--verbose", "-v", NULL, "show every failed command (and skips and remarks)", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_wast_spec = {
    .name = "wast",
    .summary = "run wast2json spec-test command files",
    .operands = "FILE.json...",
    .min_operands = 1,
    .max_operands = -1,
    .description = "Run WebAssembly spec-test command files written by wast2json (the .wasm files they name must "
                   "be beside them) and print how many commands passed, failed and were skipped.",
    .options = wast_options,
    .exit_status = "0 nothing failed; 1 something failed; 2 a usage error or an unreadable file.",
};

static const char *outcome_label(wast_outcome o)
{
    return o == WAST_FAIL ? "FAIL" : o == WAST_SKIP ? "skip" : "note";
}

/* The folder of `path` ("." when it has none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static void count(counts *c, wast_outcome o)
{
    if (o == WAST_PASS)
        c->passed++;
    else if (o == WAST_FAIL)
        c->failed++;
    else
        c->skipped++;
}

static void run_commands(const char *path, const json_value *commands, const options *opt, counts *c)
{
    char *dir = dir_of(path);
    wast_session s;
    char err[256];
    if (!dir || !wast_session_init(&s, &opt->cfg, dir, err, sizeof err)) {
        printf("%s: %s\n", path, dir ? err : "out of memory");
        c->failed++;
        if (dir)
            wast_session_free(&s);
        free(dir);
        return;
    }
    for (size_t i = 0; i < json_array_len(commands); i++) {
        const json_value *cmd = json_array_at(commands, i);
        wast_result r;
        wast_run_command(&s, cmd, &r);
        count(c, r.outcome);
        if (opt->verbose && (r.outcome != WAST_PASS || r.msg[0])) {
            uint64_t line = 0;
            const char *type = json_get_string(cmd, "type");
            json_number_u64(json_get(cmd, "line"), &line);
            printf("  %s:%llu: %s %s: %s\n", path, (unsigned long long)line, outcome_label(r.outcome),
                   type ? type : "?", r.msg);
        }
    }
    wast_session_free(&s);
    free(dir);
}

/* Run one .json file, adding to *total. False if it could not be read. */
static bool run_file(const char *path, const options *opt, counts *total)
{
    size_t len = 0;
    uint8_t *text = file_read(path, &len);
    counts c = { 0 };
    if (!text) {
        fprintf(stderr, "pvf wast: cannot read %s: %s\n", path, strerror(errno));
        total->failed++;
        return false;
    }
    char err[256];
    json_value *doc = json_parse((const char *)text, len, err, sizeof err);
    const json_value *commands = json_get(doc, "commands");
    if (!doc) {
        printf("  %s: FAIL malformed JSON: %s\n", path, err);
        c.failed++;
    } else if (json_type_of(commands) != JSON_ARRAY) {
        printf("  %s: FAIL no \"commands\" array\n", path);
        c.failed++;
    } else {
        run_commands(path, commands, opt, &c);
    }
    printf("%s: %lu passed, %lu failed, %lu skipped\n", path, c.passed, c.failed, c.skipped);
    fflush(stdout);
    total->passed += c.passed;
    total->failed += c.failed;
    total->skipped += c.skipped;
    json_free(doc);
    free(text);
    return true;
}

int cmd_wast(const cli_args *a)
{
    options opt = { .verbose = cli_has(a, "--verbose") };
    int profile;
    if (!cli_read_profile(a, PVF_PROFILE_FULL, &profile))
        return EXIT_USAGE;
    pvf_engine_config_default(&opt.cfg, (pvf_profile)profile);
    opt.cfg.tier = (pvf_tier)cli_tier();
    char **files = a->operands;
    int nfiles = a->n_operands;
    counts total = { 0 };
    bool io_ok = true;
    for (int i = 0; i < nfiles; i++)
        io_ok &= run_file(files[i], &opt, &total);
    printf("%lu passed, %lu failed, %lu skipped\n", total.passed, total.failed, total.skipped);
    if (!io_ok)
        return EXIT_ERROR;
    return total.failed ? EXIT_REJECTED : 0;
}

/* main.c — `pvf SUBCOMMAND ...`: finds the subcommand and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/engine.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "wast", cmd_wast, "run wast2json spec-test command files" },
    { "prepare", cmd_prepare, "prepare wasm (or a compressed code blob) into an artifact" },
    { "bench", cmd_bench, "run a benchmark module (sightglass or CoreMark style)" },
    { "inspect", cmd_inspect, "describe a wasm module or code blob" },
    { "validate", cmd_validate, "run validate_block of a PVF on ValidationParams" },
    { "precheck", cmd_precheck, "precheck a PVF through the host (prepare worker + job process)" },
    { "bench-host", cmd_bench_host, "end-to-end host numbers: validation latency, throughput per worker count" },
    { "check-security", cmd_check_security, "run the sandbox start-up checks; which layers work here" },
    { "build-block", cmd_build_block, "author real parachain blocks from a chain spec: ValidationParams to validate" },
    { "call", cmd_call, "call any export of a runtime with the PVF host functions" },
    { "version", cmd_version, "the release, engine and protocol versions, compiler, tiers (also --version)" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: pvf COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'pvf COMMAND --help' for a command's options. See README.md.\n");
}

bool cli_native_tier = PVF_TIER_DEFAULT == PVF_TIER_NATIVE;

/* `--tier interp|native` may stand anywhere after the command: it says which engine tier runs
 * the code (PVF_TIER_DEFAULT: native on x86-64 Linux), in this process and in the host's execute
 * workers. Taken out of argv. */
static bool take_tier(int *argc, char **argv)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--tier"))
            continue;
        if (i + 1 >= *argc || (strcmp(argv[i + 1], "interp") && strcmp(argv[i + 1], "native"))) {
            fprintf(stderr, "pvf: --tier takes interp or native\n");
            return false;
        }
        cli_native_tier = !strcmp(argv[i + 1], "native");
        memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof *argv);
        *argc -= 2;
        argv[*argc] = NULL;
        i--;
    }
    return true;
}

int cli_tier(void)
{
    return cli_native_tier ? PVF_TIER_NATIVE : PVF_TIER_INTERP;
}

bool cli_apply_tier(pvf_code *code, char *err, size_t errlen)
{
    if (cli_native_tier)
        return pvf_code_use_native(code, err, errlen);
    pvf_code_use_interp(code);
    return true;
}

/* `--name=value` is `--name value` for every command: split in place into a new argv (the
 * strings stay argv's, the '=' becomes the name's end). NULL when out of memory. */
static char **split_equals(int *argc, char **argv)
{
    int n = *argc;
    for (int i = 1; i < *argc; i++)
        n += !strncmp(argv[i], "--", 2) && strchr(argv[i], '=') != NULL;
    char **out = calloc((size_t)n + 1, sizeof *out);
    if (!out)
        return NULL;
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        char *eq = i > 0 && !strncmp(argv[i], "--", 2) ? strchr(argv[i], '=') : NULL;
        out[k++] = argv[i];
        if (eq) {
            *eq = 0;
            out[k++] = eq + 1;
        }
    }
    *argc = k;
    return out;
}

static int run(int argc, char **argv)
{
    if (!take_tier(&argc, argv))
        return EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pvf: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    char **args = split_equals(&argc, argv);
    if (!args) {
        fprintf(stderr, "pvf: out of memory\n");
        return EXIT_ERROR;
    }
    int rc = run(argc, args);
    free(args);
    return rc;
}

/* main.c — `pvf SUBCOMMAND ...`: finds the subcommand and runs it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

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
};

static void usage(FILE *out)
{
    fprintf(out, "usage: pvf COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'pvf COMMAND --help' for a command's options. See README.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pvf: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}

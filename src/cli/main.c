/* main.c — `pvf SUBCOMMAND ...`: finds the subcommand and runs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pvf/engine.h"

/* Every command, in the order `pvf --help` and the man page list them. */
static const struct {
    const cli_spec *spec;
    int (*run)(const cli_args *a);
} commands[] = {
    { &cmd_validate_spec, cmd_validate },
    { &cmd_precheck_spec, cmd_precheck },
    { &cmd_prepare_spec, cmd_prepare },
    { &cmd_inspect_spec, cmd_inspect },
    { &cmd_call_spec, cmd_call },
    { &cmd_check_security_spec, cmd_check_security },
    { &cmd_build_block_spec, cmd_build_block },
    { &cmd_wast_spec, cmd_wast },
    { &cmd_bench_spec, cmd_bench },
    { &cmd_bench_host_spec, cmd_bench_host },
    { &cmd_version_spec, cmd_version },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: pvf COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-15s %s\n", commands[i].spec->name, commands[i].spec->summary);
    fprintf(out, "\nRun 'pvf COMMAND --help' for a command's options; 'pvf help --man' writes the COMMANDS\n"
                 "section of pvf(1). See README.md.\n");
}

/* `pvf help --man`: every command's section of pvf(1), the host options and the global ones, in
 * roff (the build puts them into man/pvf.1.in). */
static int man_sections(void)
{
    printf(".SH COMMANDS\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        cli_man(commands[i].spec, stdout);
    cli_man_group("host options", cli_host_options, stdout);
    cli_man_globals(stdout);
    return EXIT_OK;
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

bool cli_read_profile(const cli_args *a, int fallback, int *profile)
{
    const char *p = cli_get(a, "--profile");
    *profile = !p ? fallback : !strcmp(p, "pvf") ? PVF_PROFILE_PVF : !strcmp(p, "full") ? PVF_PROFILE_FULL : -1;
    if (*profile < 0)
        cli_fail(a->json, a->spec->name, EXIT_USAGE, "unknown profile '%s' (pvf or full)", p);
    return *profile >= 0;
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
    if (!strcmp(argv[1], "help") && argc == 3 && !strcmp(argv[2], "--man"))
        return man_sections();
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        argv[1] = "version";
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].spec->name))
            continue;
        cli_args a;
        int rc = cli_parse(commands[i].spec, argc - 1, argv + 1, &a);
        return rc >= 0 ? rc : commands[i].run(&a);
    }
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

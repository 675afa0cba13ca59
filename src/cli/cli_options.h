/*
 * cli_options.h — each command's options as one table (cli_spec), from which come its parsing,
 * its `--help` and its part of the pvf(1) man page (`pvf help --man`, built into man/pvf.1).
 *
 * Parsing here is syntax only: which options there are, which take a value, which are required,
 * how many operands. An unknown option, a missing value or a missing required option is named in
 * the error; `--name=value` is `--name value` (main.c splits it); `--help` anywhere prints the
 * help. With `--json` anywhere on the line, errors are JSON on stdout too (cli_fail). What a value
 * means (a number, a profile name) is the command's to check, with cli_fail.
 */
#ifndef PVF_CLI_OPTIONS_H
#define PVF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_opt {
    const char *name;       /* "--code", or a short one "-o" */
    const char *alias;      /* another spelling ("-v" for "--verbose"), or NULL */
    const char *value;      /* what its value is ("FILE"); NULL: a flag */
    const char *help;       /* one sentence */
    bool required;
} cli_opt;

typedef struct cli_spec {
    const char *name;           /* "validate" */
    const char *summary;        /* one line, for `pvf --help` */
    const char *operands;       /* "FILE", "FILE.json...", or NULL */
    int min_operands, max_operands;     /* max -1: any number */
    const char *description;    /* what it does; paragraphs separated by "\n\n" */
    const cli_opt *options;     /* its own, ended by {NULL} */
    const cli_opt *shared;      /* a group it shares (the host options), or NULL */
    const char *shared_title;   /* the group's heading ("host options") */
    const char *exit_status;    /* "0: valid; 1: …; 2: …" */
    bool standalone;            /* a program of its own (pvfd), not a `pvf` command: no --tier */
} cli_spec;

/* "pvf validate", or a standalone program's own name. */
const char *cli_program(const cli_spec *spec);

#define CLI_OPTIONS_MAX 40

/* A parsed command line. */
typedef struct cli_args {
    const cli_spec *spec;
    const char *value[CLI_OPTIONS_MAX];     /* by option (own, then shared); a given flag: "" */
    char **operands;
    int n_operands;
    bool json;                              /* --json is one of its options and was given */
} cli_args;

/* Parse argv[1..argc) (argv[0] is the command's name) into *a. -1 when the command should run;
 * otherwise its exit status: 0 after --help, EXIT_USAGE after an error (reported). */
int cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *a);
/* An option's value (a flag's: "" when given), NULL when it was not given. `name` must be one of
 * the spec's options. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_has(const cli_args *a, const char *name);
/* A number in [min, max] from --name's value into *out (left as it is without the option); false,
 * reported as "bad value for NAME: 'V' (what)", when it is not one. */
bool cli_read_number(const cli_args *a, const char *name, uint64_t min, uint64_t max, const char *what,
                     uint64_t *out);

/* The command's --help: usage, description, options, exit status. */
void cli_help(const cli_spec *spec, FILE *out);
/* Its section of pvf(1), in roff (a shared group is referred to, not repeated). */
void cli_man(const cli_spec *spec, FILE *out);
/* A shared group as a section of its own (title upper-cased), and the options every command
 * takes (--tier, --help). */
void cli_man_group(const char *title, const cli_opt *opts, FILE *out);
void cli_man_globals(FILE *out);

#endif

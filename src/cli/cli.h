/*
 * cli.h — the `pvf` command: one file per subcommand (cmd_*.c), dispatched by main.c.
 *
 * Exit codes (documented in README.md):
 *   0  success (wast: nothing failed; prepare: code accepted)
 *   1  the input was rejected / a test failed / the candidate is invalid
 *   2  usage error, unreadable file, or an internal error
 */
#ifndef PVF_CLI_H
#define PVF_CLI_H

#include <stdio.h>

#define EXIT_REJECTED 1
#define EXIT_USAGE 2

int cmd_wast(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/* Print `s` as a JSON string literal (quotes and escapes included). */
void json_print_string(FILE *out, const char *s);

#endif

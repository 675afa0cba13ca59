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
int cmd_validate(int argc, char **argv);
int cmd_call(int argc, char **argv);

/* runtime_code.c: read and prepare a runtime with the PVF defaults; NULL with err set. */
struct pvf_code;
struct pvf_code *cli_load_runtime(const char *path, char *err, size_t errlen);
/* "valid", "invalid" or "error" for a pvf_outcome. */
const char *cli_outcome_name(int outcome);

/* Print `s` as a JSON string literal (quotes and escapes included). */
void json_print_string(FILE *out, const char *s);

#endif

/*
 * cmd_check_security.c — `pvf check-security [--json]`: run the workers'
 * start-up security checks (what a host does in pvf_host_start) and print
 * every sandbox layer as available or unavailable, with the reason.
 * Exit 0 only when secure validator mode could start, 1 when it could not,
 * 2 when the checks could not be run.
 */
#define _GNU_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvf/host.h"

static void usage(void)
{
    printf("usage: pvf check-security [--json] [--workers-path DIR] [--cache-dir DIR]\n"
           "  Runs pvf-prepare-worker's check modes (landlock, seccomp, user namespace +\n"
           "  pivot_root, job namespaces), each proving its effect, and prints each layer.\n"
           "  Exit 0 when secure validator mode could start, 1 when not, 2 on errors.\n");
}

static void print_layer_json(const char *name, const pvf_security_layer *l, int abi, bool last)
{
    printf("\"%s\":{\"available\":%s", name, l->available ? "true" : "false");
    if (abi >= 0)
        printf(",\"abi\":%d", abi);
    printf(",\"%s\":", l->available ? "detail" : "reason");
    json_print_string(stdout, l->detail);
    printf("}%s", last ? "" : ",");
}

static void print_layer_text(const char *name, const pvf_security_layer *l)
{
    printf("%-18s %-12s %s\n", name, l->available ? "available" : "unavailable", l->detail);
}

int cmd_check_security(int argc, char **argv)
{
    bool json = false;
    cli_host_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else {
            int k = cli_host_option(argc, argv, &i, &o);
            if (k == 1)
                continue;
            if (k == 0)
                fprintf(stderr, "pvf check-security: unknown option '%s'\n", argv[i]);
            usage();
            return EXIT_USAGE;
        }
    }
    char err[512];
    if (!cli_host_paths(&o, err, sizeof err)) {
        fprintf(stderr, "pvf check-security: %s\n", err);
        return EXIT_ERROR;
    }
    pvf_security_status st;
    const char *dir = o.cache_dir ? o.cache_dir : o.temp_cache;
    bool ran = pvf_security_check(o.prepare_path, dir, &st, err, sizeof err);
    cli_host_stop(NULL, &o);
    if (!ran) {
        fprintf(stderr, "pvf check-security: %s\n", err);
        return EXIT_ERROR;
    }
    char why[600];
    const char *refusal = pvf_security_refusal(&st, why, sizeof why);
    if (json) {
        printf("{");
        print_layer_json("landlock", &st.landlock, st.landlock_abi, false);
        print_layer_json("seccomp", &st.seccomp, -1, false);
        print_layer_json("userns_pivot_root", &st.userns_pivot_root, -1, false);
        print_layer_json("job_clone", &st.job_clone, -1, true);
        printf(",\"secure_mode_ok\":%s", st.secure_mode_ok ? "true" : "false");
        if (refusal) {
            printf(",\"refusal\":");
            json_print_string(stdout, refusal);
        }
        printf("}\n");
    } else {
        print_layer_text("landlock", &st.landlock);
        print_layer_text("seccomp", &st.seccomp);
        print_layer_text("userns_pivot_root", &st.userns_pivot_root);
        print_layer_text("job_clone", &st.job_clone);
        if (refusal)
            printf("secure mode: cannot start: %s\n", refusal);
        else
            printf("secure mode: can start\n");
    }
    return st.secure_mode_ok ? 0 : EXIT_REJECTED;
}

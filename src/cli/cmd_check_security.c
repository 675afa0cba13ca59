/*
 * cmd_check_security.c — `pvf check-security [--json]`: run the workers'
 * start-up security checks (what a host does in pvf_host_start) and print
 * every sandbox layer as available or unavailable, with the reason.
 * Under each unavailable layer, its likely cause on this machine and the fix
 * (pvf_security_hint). Exit 0 only when secure validator mode could start, 1
 * when it could not (a kernel or policy limitation), 2 when the checks could
 * not be run at all (a missing or unrunnable worker binary).
 */
#define _GNU_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "pvf/host.h"

static const cli_opt options[] = {
    { "--json", NULL, NULL, "one JSON object on stdout (errors too)", false },
    { "--allowlist", NULL, NULL, "print the job's syscall allowlist as a Markdown table, with the reason for "
      "each syscall (docs/ARCHITECTURE.md holds it), and run no check", false },
    { "--workers-path", NULL, "DIR", "where to look first for the worker binaries (as for validate)", false },
    { "--cache-dir", NULL, "DIR", "where the pivot_root check makes its temporary directory", false },
    { NULL, NULL, NULL, NULL, false },
};

const cli_spec cmd_check_security_spec = {
    .name = "check-security",
    .summary = "run the sandbox start-up checks; which layers work here",
    .description = "Run the worker's start-up security checks, as a host does when it starts: landlock, seccomp, "
                   "a user namespace with pivot_root, the job's own namespaces, each applied in a process of "
                   "its own and its effect proved. Every layer is printed as available or not, with the reason "
                   "and, when unavailable, its likely cause on this machine and the fix (an old kernel, "
                   "AppArmor's unprivileged-userns restriction, a container's seccomp profile, a sysctl), "
                   "then the syscalls a job may make.",
    .options = options,
    .exit_status = "0 secure validator mode could start; 1 it could not (a kernel or policy limitation); 2 the "
                   "checks could not be run (a missing or unrunnable worker binary) or a usage error.",
};

/* The job allowlist as the prepare worker applies it (`--job-allowlist`: name, argument check,
 * reason, tab-separated lines), read into buf. False with err when the worker can't say. */
static bool read_job_allowlist(const char *worker, char *buf, size_t size, char *err, size_t errlen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return snprintf(err, errlen, "pipe: %s", strerror(errno)), false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        execl(worker, worker, "--job-allowlist", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t len = 0;
    ssize_t k;
    while (pid > 0 && len < size - 1 && ((k = read(p[0], buf + len, size - 1 - len)) > 0 || (k < 0 && errno == EINTR)))
        len += k > 0 ? (size_t)k : 0;
    buf[len] = 0;
    close(p[0]);
    int status = -1;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0 || len == size - 1)
        return snprintf(err, errlen, "%.400s --job-allowlist failed", worker), false;
    return true;
}

/* Each line "name\targs\twhy" of the allowlist, split in place; false at the end. */
static bool next_call(char **cursor, char **name, char **args, char **why)
{
    char *line = *cursor;
    if (!*line)
        return false;
    char *end = strchr(line, '\n');
    *cursor = end ? end + 1 : line + strlen(line);
    if (end)
        *end = 0;
    *name = line;
    *args = strchr(line, '\t');
    *why = *args ? strchr(*args + 1, '\t') : NULL;
    if (!*args || !*why)
        return false;
    *(*args)++ = 0;
    *(*why)++ = 0;
    return true;
}

static void print_allowlist(char *list, bool markdown, bool json)
{
    char *name, *args, *why;
    if (markdown)
        printf("| syscall | arguments | why a job needs it |\n|---|---|---|\n");
    else if (json)
        printf(",\"job_allowlist\":[");
    else
        printf("%-18s %-12s", "job allowlist", "");
    for (int i = 0; next_call(&list, &name, &args, &why); i++) {
        if (markdown) {
            printf("| `%s` | %s | %s |\n", name, args, why);
        } else if (json) {
            printf("%s{\"syscall\":", i ? "," : "");
            json_print_string(stdout, name);
            printf(",\"arguments\":");
            json_print_string(stdout, args);
            printf("}");
        } else {
            bool any = !strcmp(args, "any");
            printf("%s%s%s%s%s", i ? ", " : "", name, any ? "" : " (", any ? "" : args, any ? "" : ")");
        }
    }
    printf(json ? "]" : markdown ? "" : "\n");
}

static void print_layer_json(const char *name, const pvf_security_layer *l, int abi, bool last)
{
    printf("\"%s\":{\"available\":%s", name, l->available ? "true" : "false");
    if (abi >= 0)
        printf(",\"abi\":%d", abi);
    printf(",\"%s\":", l->available ? "detail" : "reason");
    json_print_string(stdout, l->detail);
    if (!l->available) {
        char hint[512];
        printf(",\"hint\":");
        json_print_string(stdout, pvf_security_hint(name, l, hint, sizeof hint));
    }
    printf("}%s", last ? "" : ",");
}

static void print_layer_text(const char *name, const pvf_security_layer *l)
{
    printf("%-18s %-12s %s\n", name, l->available ? "available" : "unavailable", l->detail);
    char hint[512];
    if (!l->available)
        printf("%-18s likely cause: %s\n", "", pvf_security_hint(name, l, hint, sizeof hint));
}

int cmd_check_security(const cli_args *a)
{
    bool json = a->json, allowlist_only = cli_has(a, "--allowlist");
    cli_host_opts o;
    memset(&o, 0, sizeof o);
    o.workers_path = cli_get(a, "--workers-path");
    o.cache_dir = cli_get(a, "--cache-dir");
    char err[512];
    if (!cli_host_paths(&o, err, sizeof err))
        return cli_fail(json, "check-security", EXIT_ERROR, "%s", err);
    char list[8192];
    if (!read_job_allowlist(o.prepare_path, list, sizeof list, err, sizeof err)) {
        cli_host_stop(NULL, &o);
        return cli_fail(json, "check-security", EXIT_ERROR, "%s", err);
    }
    if (allowlist_only) {
        cli_host_stop(NULL, &o);
        print_allowlist(list, true, false);
        return 0;
    }
    const char *dir = o.cache_dir ? o.cache_dir : o.temp_cache;
    pvf_security_status *found = pvf_security_check(o.prepare_path, dir, err, sizeof err);
    cli_host_stop(NULL, &o);
    if (!found)
        return cli_fail(json, "check-security", EXIT_ERROR, "%s", err);
    pvf_security_status st = *found;   /* read here only: this program's copy of the fields it knows */
    pvf_security_status_free(found);
    char why[600];
    const char *refusal = pvf_security_refusal(&st, why, sizeof why);
    if (json) {
        printf("{");
        print_layer_json("landlock", &st.landlock, st.landlock_abi, false);
        print_layer_json("seccomp", &st.seccomp, -1, false);
        print_layer_json("userns_pivot_root", &st.userns_pivot_root, -1, false);
        print_layer_json("job_clone", &st.job_clone, -1, true);
        print_allowlist(list, false, true);
        printf(",\"secure_mode_ok\":%s", st.secure_mode_ok ? "true" : "false");
        if (refusal) {
            printf(",\"refusal\":");
            json_print_string(stdout, refusal);
        }
        printf("}\n");
    } else {
        print_layer_text("landlock", &st.landlock);
        print_layer_text("seccomp", &st.seccomp);
        print_allowlist(list, false, false);
        print_layer_text("userns_pivot_root", &st.userns_pivot_root);
        print_layer_text("job_clone", &st.job_clone);
        if (refusal)
            printf("secure mode: cannot start: %s\n", refusal);
        else
            printf("secure mode: can start\n");
    }
    return st.secure_mode_ok ? 0 : EXIT_REJECTED;
}

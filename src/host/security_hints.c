/*
 * security_hints.c — the likely cause of a missing sandbox layer, and its fix
 * (security_hints.h). First match wins, most specific first.
 */
#include "host/security_hints.h"
#include "pvf/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static long read_number(const char *path, long absent)
{
    FILE *f = fopen(path, "r");
    long v = absent;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = absent;
        fclose(f);
    }
    return v;
}

void security_facts_read(security_facts *f)
{
    memset(f, 0, sizeof *f);
    struct utsname u;
    if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &f->kernel_major, &f->kernel_minor) != 2)
        f->kernel_major = f->kernel_minor = 0;
    FILE *lsm = fopen("/sys/kernel/security/lsm", "r");
    if (lsm) {
        if (!fgets(f->lsm, sizeof f->lsm, lsm))
            f->lsm[0] = 0;
        f->lsm[strcspn(f->lsm, "\n")] = 0;
        fclose(lsm);
    }
    f->apparmor_restrict_userns = (int)read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", -1);
    f->unprivileged_userns_clone = (int)read_number("/proc/sys/kernel/unprivileged_userns_clone", -1);
    f->max_user_namespaces = read_number("/proc/sys/user/max_user_namespaces", -1);
    FILE *st = fopen("/proc/self/status", "r");
    char line[256];
    while (st && fgets(line, sizeof line, st))
        if (sscanf(line, "Seccomp: %d", &f->seccomp_mode) == 1)
            break;
    if (st)
        fclose(st);
    f->container = access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0;
    f->root = geteuid() == 0;
}

static bool kernel_before(const security_facts *f, int major, int minor)
{
    return f->kernel_major && (f->kernel_major < major || (f->kernel_major == major && f->kernel_minor < minor));
}

/* A container's seccomp profile: this process is filtered already, or runs in a container. */
static bool container_profile(const security_facts *f)
{
    return f->seccomp_mode == 2 || f->container;
}

static const char *landlock_hint(const security_facts *f)
{
    if (kernel_before(f, 5, 13))
        return "the kernel predates landlock (Linux 5.13): upgrade it; until then user namespace + pivot_root "
               "stands in for it";
    if (f->lsm[0] && !strstr(f->lsm, "landlock"))
        return "landlock is not an active LSM: add it to the lsm= boot parameter (the kernel's list is in "
               "/sys/kernel/security/lsm) and reboot";
    if (container_profile(f))
        return "a container's seccomp profile may forbid the landlock syscalls (Docker's before 24.0 does): run "
               "the container with a profile that allows landlock_create_ruleset, landlock_add_rule and "
               "landlock_restrict_self, or --security-opt seccomp=unconfined";
    return "the kernel refused it (see the reason): a kernel built without CONFIG_SECURITY_LANDLOCK, or an LSM "
           "policy that forbids it";
}

static const char *seccomp_hint(const security_facts *f, const char *detail)
{
    if (strstr(detail, "EINVAL") || strstr(detail, "ENOSYS"))
        return "the kernel lacks seccomp filters (CONFIG_SECCOMP_FILTER): use a distribution kernel";
    if (container_profile(f))
        return "a container's seccomp profile may forbid seccomp() or prctl(PR_SET_NO_NEW_PRIVS): run the container "
               "with --security-opt seccomp=unconfined or a profile that allows them";
    return "the kernel refused it (see the reason)";
}

static const char *userns_hint(const security_facts *f)
{
    if (f->apparmor_restrict_userns == 1 && !f->root)
        return "AppArmor forbids unprivileged user namespaces (Ubuntu 23.10 and later): "
               "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for the pvf "
               "worker binaries that allows userns";
    if (f->unprivileged_userns_clone == 0 && !f->root)
        return "unprivileged user namespaces are off (Debian 10 and older): sysctl -w kernel.unprivileged_userns_clone=1";
    if (f->max_user_namespaces == 0)
        return "user namespaces are limited to none: sysctl -w user.max_user_namespaces=15000";
    if (container_profile(f))
        return "a container's seccomp profile may forbid user namespaces (Docker's default does): run the container "
               "with --security-opt seccomp=unconfined, or pvf outside it";
    return "the kernel refused it (see the reason): a kernel without CONFIG_USER_NS, or an LSM policy against "
           "user namespaces";
}

const char *security_hint(const security_facts *f, const char *layer, const char *detail, char *buf, size_t size)
{
    const char *hint;
    if (!strcmp(layer, "landlock"))
        hint = landlock_hint(f);
    else if (!strcmp(layer, "seccomp"))
        hint = seccomp_hint(f, detail ? detail : "");
    else
        hint = userns_hint(f);
    snprintf(buf, size, "%s", hint);
    return buf;
}

const char *pvf_security_hint(const char *layer, const pvf_security_layer *l, char *buf, size_t size)
{
    security_facts f;
    security_facts_read(&f);
    return security_hint(&f, layer, l->detail, buf, size);
}

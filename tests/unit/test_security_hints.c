/*
 * test_security_hints.c — the likely cause named for a missing sandbox layer (issue 15), from
 * made-up machine facts: each rule, and the order in which the rules are tried.
 */
#include "test.h"

#include "host/security_hints.h"

static security_facts debian12(void)
{
    security_facts f;
    memset(&f, 0, sizeof f);
    f.kernel_major = 6;
    f.kernel_minor = 1;
    snprintf(f.lsm, sizeof f.lsm, "lockdown,capability,landlock,yama,apparmor");
    f.apparmor_restrict_userns = -1;
    f.unprivileged_userns_clone = 1;
    f.max_user_namespaces = 63000;
    return f;
}

static const char *hint(const security_facts *f, const char *layer, const char *detail)
{
    static char buf[512];
    return security_hint(f, layer, detail, buf, sizeof buf);
}

TEST(security_hints_landlock)
{
    security_facts f = debian12();
    f.kernel_major = 5, f.kernel_minor = 10;
    CHECK_STR_CONTAINS(hint(&f, "landlock", "ENOSYS"), "predates landlock (Linux 5.13)");
    f = debian12();
    snprintf(f.lsm, sizeof f.lsm, "capability,yama,apparmor");
    CHECK_STR_CONTAINS(hint(&f, "landlock", "EOPNOTSUPP"), "lsm= boot parameter");
    f = debian12();
    f.seccomp_mode = 2;
    CHECK_STR_CONTAINS(hint(&f, "landlock", "EPERM"), "container's seccomp profile");
    f = debian12();
    CHECK_STR_CONTAINS(hint(&f, "landlock", "EPERM"), "CONFIG_SECURITY_LANDLOCK");
}

TEST(security_hints_seccomp)
{
    security_facts f = debian12();
    CHECK_STR_CONTAINS(hint(&f, "seccomp", "seccomp(SECCOMP_SET_MODE_FILTER): EINVAL"), "CONFIG_SECCOMP_FILTER");
    f.container = true;
    CHECK_STR_CONTAINS(hint(&f, "seccomp", "EACCES"), "--security-opt seccomp=unconfined");
}

TEST(security_hints_user_namespaces)
{
    security_facts f = debian12();
    f.apparmor_restrict_userns = 1;
    CHECK_STR_CONTAINS(hint(&f, "userns_pivot_root", "EPERM"), "kernel.apparmor_restrict_unprivileged_userns=0");
    f.root = true;          /* AppArmor's restriction is for the unprivileged: not the cause as root */
    CHECK(strstr(hint(&f, "userns_pivot_root", "EPERM"), "apparmor") == NULL);
    f = debian12();
    f.unprivileged_userns_clone = 0;
    CHECK_STR_CONTAINS(hint(&f, "job_clone", "EPERM"), "kernel.unprivileged_userns_clone=1");
    f = debian12();
    f.max_user_namespaces = 0;
    CHECK_STR_CONTAINS(hint(&f, "userns_pivot_root", "ENOSPC"), "user.max_user_namespaces");
    f = debian12();
    f.container = true;
    CHECK_STR_CONTAINS(hint(&f, "userns_pivot_root", "EPERM"), "Docker's default does");
    f = debian12();
    CHECK_STR_CONTAINS(hint(&f, "userns_pivot_root", "EPERM"), "CONFIG_USER_NS");
}

/* The facts of this machine read without error: a kernel version at least. */
TEST(security_hints_facts_of_this_machine)
{
    security_facts f;
    security_facts_read(&f);
    CHECK(f.kernel_major >= 3);
    CHECK(f.seccomp_mode >= 0 && f.seccomp_mode <= 2);
}

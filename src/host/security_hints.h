/*
 * security_hints.h — why a sandbox layer is likely unavailable on this machine and how to fix
 * it (issue 15), for `pvf check-security` and the host's secure-mode refusal, as the
 * reference's secure-validator-mode message names the likely cause. The facts are read once
 * (security_facts_read) and the hint is a pure function of them, so tests give made-up facts.
 */
#ifndef PVF_HOST_SECURITY_HINTS_H
#define PVF_HOST_SECURITY_HINTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct security_facts {
    int kernel_major, kernel_minor;     /* uname's release; 0.0 when unreadable */
    char lsm[256];                      /* /sys/kernel/security/lsm, "" when unreadable */
    int apparmor_restrict_userns;       /* kernel.apparmor_restrict_unprivileged_userns; -1: absent */
    int unprivileged_userns_clone;      /* kernel.unprivileged_userns_clone (Debian ≤ 10); -1: absent */
    long max_user_namespaces;           /* user.max_user_namespaces; -1: absent */
    int seccomp_mode;                   /* this process's, /proc/self/status: 2 = already filtered */
    bool container;                     /* /.dockerenv or /run/.containerenv */
    bool root;                          /* euid 0 */
} security_facts;

void security_facts_read(security_facts *f);

/* The likely cause and fix of `layer` ("landlock", "seccomp", "userns_pivot_root",
 * "job_clone") being unavailable, in buf; detail is the check's own reason. */
const char *security_hint(const security_facts *f, const char *layer, const char *detail, char *buf, size_t size);

#endif

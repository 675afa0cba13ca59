/*
 * sandbox_landlock.c — layer L2: restrict the worker (and every job it
 * spawns) with landlock.
 *
 *   - file system: every right of landlock ABI 1 is handled; the only
 *     exception is `access` beneath the worker dir (read for execute
 *     workers, read + create/write/remove regular files for prepare
 *     workers, nothing in check mode);
 *   - network (ABI >= 4): TCP bind and connect handled, no port allowed;
 *   - scope (ABI >= 6): abstract Unix sockets and signals confined to the
 *     sandbox domain.
 *
 * Why the FS rights are pinned to ABI 1 (SANDBOX_LANDLOCK_FS_ABI): the
 * validators of one network run different kernels, and they must agree on
 * whether a candidate is valid. Handling the rights of newer ABIs would make
 * the same job behave differently depending on the kernel (TRUNCATE, ABI 3,
 * would make truncate() fail on 6.2+ but work on 5.19; REFER and IOCTL_DEV
 * change rename/link and ioctl results). ABI 1 means the same thing on every
 * kernel that has landlock, which is what the reference does too. Network and
 * scope rights are added where the kernel has them because they only deny
 * things an honest job never does (the job has its own network namespace,
 * and L3 kills socket()/connect() anyway), so they cannot split a vote.
 *
 * Raw syscalls and our own definitions (landlock_compat.h): Debian 12's
 * kernel headers are older than the kernels we run on. Because we ask the
 * kernel for exactly the rights it reported (ABI query first), a successful
 * landlock_restrict_self() means the ruleset is fully enforced; any failure
 * is reported with the step and errno.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include "worker/sandbox.h"
#include "worker/landlock_compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "step: EACCES", or "step(path): EACCES" when there is a path. */
static bool fail_errno(char *err, size_t errlen, const char *step, const char *path, int e)
{
    char num[24];
    if (path)
        snprintf(err, errlen, "%s(%s): %s", step, path, sandbox_errno_name(e, num));
    else
        snprintf(err, errlen, "%s: %s", step, sandbox_errno_name(e, num));
    return false;
}

/* sandbox_landlock_cap_abi: -1 no cap, 0 no landlock, N at most ABI N. */
static int abi_cap = -1;

void sandbox_landlock_cap_abi(int cap)
{
    abi_cap = cap;
}

int sandbox_landlock_abi(void)
{
    if (abi_cap == 0)
        return -EOPNOTSUPP;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi <= 0)
        return -errno;
    return abi_cap > 0 && abi > abi_cap ? abi_cap : (int)abi;
}

/* The struct size the running ABI understands (see landlock_compat.h). */
static size_t ruleset_attr_size(int abi)
{
    if (abi >= LL_ABI_SCOPE)
        return 24;
    if (abi >= LL_ABI_NET)
        return 16;
    return 8;
}

static struct ll_ruleset_attr ruleset_for_abi(int abi)
{
    struct ll_ruleset_attr attr = { .handled_access_fs = LL_ACCESS_FS_ABI1 };
    if (abi >= LL_ABI_NET)
        attr.handled_access_net = LL_ACCESS_NET_BIND_TCP | LL_ACCESS_NET_CONNECT_TCP;
    if (abi >= LL_ABI_SCOPE)
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
    return attr;
}

/* The rights allowed beneath the worker dir; all are ABI-1 rights. */
static uint64_t exception_rights(sandbox_fs_access access)
{
    const uint64_t read = LL_ACCESS_FS_READ_FILE | LL_ACCESS_FS_READ_DIR;
    switch (access) {
    case SANDBOX_FS_READ:
        return read;
    case SANDBOX_FS_WRITE:
        return read | LL_ACCESS_FS_WRITE_FILE | LL_ACCESS_FS_MAKE_REG | LL_ACCESS_FS_REMOVE_FILE;
    case SANDBOX_FS_NONE:
        break;
    }
    return 0;
}

static const char *abi_hint(int e)
{
    switch (e) {
    case EOPNOTSUPP: return " (landlock built in but disabled at boot)";
    case ENOSYS:     return " (kernel built without landlock)";
    default:         return "";
    }
}

/* Allow `rights` beneath `dir` in the ruleset `ruleset_fd`. */
static bool add_dir_exception(int ruleset_fd, const char *dir, uint64_t rights, char *err, size_t errlen)
{
    int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return fail_errno(err, errlen, "open", dir, errno);
    struct ll_path_beneath_attr rule = { .allowed_access = rights, .parent_fd = dir_fd };
    long rc = syscall(SYS_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &rule, 0);
    int e = errno;
    close(dir_fd);
    if (rc != 0)
        return fail_errno(err, errlen, "landlock_add_rule", dir, e);
    return true;
}

/* Fill the ruleset and enforce it on this process. */
static bool enforce(int ruleset_fd, sandbox_fs_access access, const char *dir, char *err, size_t errlen)
{
    uint64_t rights = exception_rights(access);
    if (rights && !add_dir_exception(ruleset_fd, dir, rights, err, errlen))
        return false;
    /* Without NO_NEW_PRIVS an unprivileged process gets EPERM here. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail_errno(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS)", NULL, errno);
    if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) != 0)
        return fail_errno(err, errlen, "landlock_restrict_self", NULL, errno);
    return true;
}

bool sandbox_landlock(sandbox_fs_access access, const char *dir, int *abi_out, char *err, size_t errlen)
{
    if (access != SANDBOX_FS_NONE && (!dir || !*dir)) {
        snprintf(err, errlen, "landlock: no directory given for the exception");
        return false;
    }
    int abi = sandbox_landlock_abi();
    if (abi < 0) {
        char num[24];
        snprintf(err, errlen, "landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION): %s%s",
                 sandbox_errno_name(-abi, num), abi_hint(-abi));
        return false;
    }
    struct ll_ruleset_attr attr = ruleset_for_abi(abi);
    int ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, ruleset_attr_size(abi), 0);
    if (ruleset_fd < 0)
        return fail_errno(err, errlen, "landlock_create_ruleset", NULL, errno);
    bool ok = enforce(ruleset_fd, access, dir, err, errlen);
    close(ruleset_fd);
    if (ok && abi_out)
        *abi_out = abi;
    return ok;
}

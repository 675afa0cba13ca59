/*
 * sandbox_pivot.c — layer L1 of the sandbox: the worker's view of the file
 * system is its own directory and nothing else (sandbox.h; sandbox-notes
 * §4.2 "Worker init" step 4, §3.1, §3.4).
 *
 * A linear list of steps, each one syscall with its own error message:
 *   1. unshare(CLONE_NEWUSER | CLONE_NEWNS)
 *   2. "deny" to /proc/self/setgroups, then identity uid/gid maps (dumpable
 *      for the moment it takes, when L0 already made us not dumpable)
 *   3. every mount private, so nothing below propagates back to the host
 *   4. bind the worker dir onto itself, then remount the bind read-only (for
 *      execute), nosuid, nodev, noexec
 *   5. pivot_root(".", ".") inside it and detach the old root
 *   6. check that "/" is the worker dir and ".." cannot leave it
 *   7. for read_only, prove it: creating a file must fail with EROFS
 *
 * The identity maps (the reference writes none) keep our uid inside, which
 * allows nested user namespaces (the job's clone) and file creation; the
 * separate remount fixes the reference's bug where MS_RDONLY, given together
 * with MS_BIND, is silently ignored.
 */
#define _GNU_SOURCE  /* unshare, CLONE_NEW* */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Write all of text to a /proc file in one write(), as the kernel requires
 * for the id maps. */
static bool write_proc_file(const char *path, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return sandbox_fail(err, errlen, "open %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    if (n < 0)
        return sandbox_fail(err, errlen, "write \"%s\" to %s: %s", text, path, strerror(saved));
    if ((size_t)n != len)
        return sandbox_fail(err, errlen, "write \"%s\" to %s: short write (%zd of %zu bytes)", text, path, n, len);
    return true;
}

/* "deny" to setgroups, then the identity maps. An unprivileged process may
 * write gid_map only after giving up setgroups(2) — otherwise it could drop
 * a supplementary group that a file's permissions deny access to. */
static bool write_id_maps(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    char map[64];
    if (!write_proc_file("/proc/self/setgroups", "deny", err, errlen))
        return false;
    snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
    if (!write_proc_file("/proc/self/uid_map", map, err, errlen))
        return false;
    snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
    return write_proc_file("/proc/self/gid_map", map, err, errlen);
}

/*
 * The maps of a process that is not dumpable (L0 made it so) belong to the
 * init namespace's root, so an unprivileged process could not open them
 * (EACCES). Be dumpable just for these writes, at start-up before any
 * untrusted code, and go back to not dumpable whatever happened.
 */
static bool write_id_maps_dumpable(uid_t uid, gid_t gid, char *err, size_t errlen)
{
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (dumpable < 0)
        return sandbox_fail(err, errlen, "prctl(PR_GET_DUMPABLE): %s", strerror(errno));
    if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_SET_DUMPABLE, 1) for the id maps: %s", strerror(errno));
    bool ok = write_id_maps(uid, gid, err, errlen);
    if (dumpable == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return sandbox_fail(err, errlen, "prctl(PR_SET_DUMPABLE, 0) after the id maps: %s", strerror(errno));
    return ok;
}

/*
 * The flags of the remount. Inside a user namespace the flags of mounts
 * inherited from the parent namespace are locked: a remount that would clear
 * read-only, nosuid, nodev or noexec, or change the atime mode, fails with
 * EPERM. So carry over what the bind mount already has (read it back with
 * statvfs) and never choose an atime mode of our own: the reference's
 * MS_NOATIME is exactly what fails (sandbox-notes §3.1).
 */
static unsigned long remount_flags(const struct statvfs *st, bool read_only)
{
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (read_only || (st->f_flag & ST_RDONLY))
        flags |= MS_RDONLY;
    if (st->f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (st->f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (st->f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    return flags;
}

/* The old root must really be gone: "/" is the cwd and ".." stays there. */
static bool check_confined(char *err, size_t errlen)
{
    char cwd[16];
    if (!getcwd(cwd, sizeof cwd))
        return sandbox_fail(err, errlen, "getcwd after pivot_root: %s", strerror(errno));
    if (strcmp(cwd, "/") != 0)
        return sandbox_fail(err, errlen, "getcwd after pivot_root is \"%s\", not \"/\"", cwd);
    if (chdir("..") != 0)
        return sandbox_fail(err, errlen, "chdir(\"..\") after pivot_root: %s", strerror(errno));
    if (!getcwd(cwd, sizeof cwd))
        return sandbox_fail(err, errlen, "getcwd after chdir(\"..\"): %s", strerror(errno));
    if (strcmp(cwd, "/") != 0)
        return sandbox_fail(err, errlen, "chdir(\"..\") left the new root: getcwd is \"%s\"", cwd);
    return true;
}

/* A read-only root proves itself: creating a file must fail with EROFS. */
static bool check_read_only(char *err, size_t errlen)
{
    static const char probe[] = "/.pvf-rw-probe";
    int fd = open(probe, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        return sandbox_fail(err, errlen, "read-only remount: creating %s succeeded, the root is writable", probe);
    }
    if (errno != EROFS)
        return sandbox_fail(err, errlen, "read-only remount: creating %s failed with %s, expected EROFS",
                    probe, strerror(errno));
    return true;
}

bool sandbox_pivot_into(const char *dir, bool read_only, char *err, size_t errlen)
{
    /* Our ids as seen from the parent namespace: after unshare they read as
     * the overflow id until the maps are written. */
    uid_t uid = getuid();
    gid_t gid = getgid();

    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        if (errno == EINVAL)
            return sandbox_fail(err, errlen, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s "
                        "(the caller must be single-threaded: a process with more than one thread "
                        "cannot enter a new user namespace)", strerror(errno));
        return sandbox_fail(err, errlen, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", strerror(errno));
    }

    if (!write_id_maps_dumpable(uid, gid, err, errlen))
        return false;

    /* Our mount changes must not propagate to the host's namespace, and
     * pivot_root refuses a shared root. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return sandbox_fail(err, errlen, "mount(\"/\", MS_REC|MS_PRIVATE): %s", strerror(errno));

    /* pivot_root needs the new root to be a mount point. */
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) != 0)
        return sandbox_fail(err, errlen, "bind mount %s onto itself: %s", dir, strerror(errno));

    /* MS_RDONLY and friends take effect only on a remount of the bind. */
    struct statvfs st;
    if (statvfs(dir, &st) != 0)
        return sandbox_fail(err, errlen, "statvfs %s: %s", dir, strerror(errno));
    unsigned long flags = remount_flags(&st, read_only);
    if (mount(NULL, dir, NULL, flags, NULL) != 0)
        return sandbox_fail(err, errlen, "remount %s (%s nosuid,nodev,noexec, flags 0x%lx): %s", dir,
                    (flags & MS_RDONLY) ? "ro" : "rw", flags, strerror(errno));

    /* pivot_root(".", ".") stacks the old root on top of the new one at "/";
     * detaching "." then removes it, with no need for a directory to put the
     * old root in (pivot_root(2), as runc and LXC do). */
    if (chdir(dir) != 0)
        return sandbox_fail(err, errlen, "chdir %s: %s", dir, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") != 0)
        return sandbox_fail(err, errlen, "pivot_root(\".\", \".\") in %s: %s", dir, strerror(errno));
    if (umount2(".", MNT_DETACH) != 0)
        return sandbox_fail(err, errlen, "umount2(\".\", MNT_DETACH) of the old root: %s", strerror(errno));
    if (chdir("/") != 0)
        return sandbox_fail(err, errlen, "chdir(\"/\") after pivot_root: %s", strerror(errno));

    if (!check_confined(err, errlen))
        return false;
    if (read_only && !check_read_only(err, errlen))
        return false;
    return true;
}

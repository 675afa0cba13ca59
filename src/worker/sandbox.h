/*
 * sandbox.h — the sandbox layers of the workers and their job processes
 * (sandbox-notes.md §4.1–§4.3; reference-behaviour.md §1.8, §2.1–§2.6).
 *
 *   L0 hygiene      sandbox_hygiene.c   empty environment, no core files, not
 *                                       dumpable, die with the parent, no new
 *                                       privileges, no inherited fds
 *   L1 file system  sandbox_pivot.c     user + mount namespace with identity
 *                                       uid/gid maps, the worker dir bind-mounted
 *                                       (re-mounted read-only for execute), pivot_root
 *   L2 landlock     sandbox_landlock.c  FS rights pinned to ABI 1, with exactly the
 *                                       worker's exceptions; TCP (ABI ≥ 4) and
 *                                       scope (ABI ≥ 6) where the kernel has them
 *   L3 seccomp      sandbox_seccomp.c   hand-written BPF denylist, applied last:
 *                                       sockets, io_uring, ptrace, exec,
 *                                       namespaces, mounts, group kills… kill the
 *                                       process; arch and x32 checks
 *   L4 job clone    sandbox_job.c       each job is pid 1 of new pid/net/ipc/uts/
 *                                       mount/cgroup namespaces (job.c does the
 *                                       clone3; fork fallback recorded)
 *   L5 job seccomp  sandbox_seccomp.c   an allowlist inside the job: memory on
 *                                       its own private mappings, the result pipe,
 *                                       clocks, futex, signals to itself, exit
 *   L6 job limits   sandbox_job.c       rlimits (data, CPU backstop, file size 0,
 *                                       few fds), every capability dropped
 *
 * A worker applies L0–L3 once at start-up, in that order (namespaces and
 * pivot_root must come before landlock; seccomp last, after the host
 * connection exists); every job inherits them and adds L4–L6. Each function
 * does one layer, returns false with a specific message (the failing step
 * and errno) and leaves the process usable for a clean exit.
 */
#ifndef PVF_WORKER_SANDBOX_H
#define PVF_WORKER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- L0 */

/* True when the process has no environment variable at all. */
bool sandbox_env_is_empty(void);

/*
 * PR_SET_PDEATHSIG(SIGKILL) (then check the parent is still `parent`, when
 * parent > 0), PR_SET_DUMPABLE 0, RLIMIT_CORE 0, PR_SET_NO_NEW_PRIVS, and
 * close every fd >= 3 except those in keep[0..n_keep).
 */
bool sandbox_hygiene(int parent, const int *keep, size_t n_keep, char *err, size_t errlen);

/* ---------------------------------------------------------------- L1 */

/*
 * unshare(CLONE_NEWUSER | CLONE_NEWNS) in a single-threaded process; write
 * "deny" to setgroups and identity maps ("U U 1", "G G 1"); make every mount
 * private; bind-mount dir onto itself and remount it nosuid/nodev/noexec
 * (and read-only when read_only — checked by a write that must fail with
 * EROFS); pivot_root into it and detach the old root. Afterwards "/" is the
 * worker dir and getcwd() is "/".
 */
bool sandbox_pivot_into(const char *dir, bool read_only, char *err, size_t errlen);

/* ---------------------------------------------------------------- L2 */

/* The FS rights pinned for determinism (reference: ABI 1). */
#define SANDBOX_LANDLOCK_FS_ABI 1

/* The kernel's landlock ABI version (> 0), or -errno (EOPNOTSUPP: built in but
 * disabled; ENOSYS: not built). */
int sandbox_landlock_abi(void);

/* Tests only (tests/t-landlock-matrix.sh): behave as on a kernel whose landlock is at most ABI
 * `cap`, or has none (0) — so the sandbox suite proves what holds on Debian 12's kernel (ABI 2)
 * and without landlock. -1: no cap (the default; nothing else calls it). */
void sandbox_landlock_cap_abi(int cap);

typedef enum sandbox_fs_access {
    SANDBOX_FS_NONE,        /* no exception at all (check mode) */
    SANDBOX_FS_READ,        /* execute worker: read files beneath `dir` */
    SANDBOX_FS_WRITE,       /* prepare worker: create, write, remove files beneath `dir` */
} sandbox_fs_access;

/*
 * Restrict the process (and its future children) with landlock: every FS
 * right of SANDBOX_LANDLOCK_FS_ABI handled, `access` allowed beneath dir
 * (ignored for SANDBOX_FS_NONE); TCP bind/connect handled with no port
 * allowed when the ABI is >= 4; abstract Unix sockets and signals scoped when
 * the ABI is >= 6. Requires NO_NEW_PRIVS (set here). *abi_out (may be NULL)
 * gets the ABI used. Fails when the ruleset isn't fully enforced.
 */
bool sandbox_landlock(sandbox_fs_access access, const char *dir, int *abi_out, char *err, size_t errlen);

/* ---------------------------------------------------------------- L3, L5 */

/* The worker's denylist (L3): arch check (anything but x86-64 is killed), the
 * x32 bit killed, socket/socketpair/connect/io_uring_setup/_enter/_register/
 * ptrace/process_vm_readv/process_vm_writev, execve/execveat, unshare/setns,
 * the mount calls (old and new API), pivot_root, chroot, bpf, perf_event_open,
 * userfaultfd, the key calls, kexec, modules, reboot, swapon/off ⇒
 * SECCOMP_RET_KILL_PROCESS, and kill() of a process group or of everything
 * (pid <= 0) too; everything else allowed. Sets NO_NEW_PRIVS. */
bool sandbox_seccomp_worker(char *err, size_t errlen);

/* The job's allowlist (L5), on top of L3: the syscalls of sandbox_job_allowlist(), with their
 * argument checks; anything else ⇒ KILL_PROCESS. result_fd is the job's result pipe (the only
 * fd it may write), input_fd its input pipe (the only fd it may read; -1: none), the caller's
 * pid the only one it may signal. Last before the job body: a job can't open files, make fds,
 * map shared or executable memory, or start threads after it. */
bool sandbox_seccomp_job(int result_fd, int input_fd, char *err, size_t errlen);

/* What an allowed call's arguments must be. */
typedef enum sandbox_arg_check {
    SANDBOX_ANY_ARGS,
    SANDBOX_RESULT_FD,          /* args[0] is the result fd */
    SANDBOX_INPUT_FD,           /* args[0] is the input fd */
    SANDBOX_SELF,               /* args[0] is the job's own pid (tgkill) */
    SANDBOX_PRIVATE_NOT_EXEC,   /* mmap: no MAP_SHARED bit in the flags, no PROT_EXEC */
    SANDBOX_NOT_EXEC,           /* mprotect: no PROT_EXEC */
} sandbox_arg_check;

typedef struct sandbox_allowed_call {
    int nr;
    const char *name;
    sandbox_arg_check check;
    const char *why;            /* what in a job needs it */
} sandbox_allowed_call;

/* The job's allowlist, one entry per syscall (docs/ARCHITECTURE.md lists it; pvf
 * check-security reports its size). */
const sandbox_allowed_call *sandbox_job_allowlist(size_t *n);

/* For tests and check modes: a filter where the given syscalls fail with
 * `errnum` (e.g. EPERM for unshare/clone3, to simulate a container). */
bool sandbox_seccomp_errno(const int *syscalls, size_t n, int errnum, char *err, size_t errlen);

/* ---------------------------------------------------------------- L4, L6 */

/* The namespaces a worker makes once, for itself and every job it runs: network (empty, its
 * loopback down), IPC, UTS, cgroup. Its host connection, made before, keeps working. */
#define SANDBOX_SHARED_JOB_NS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

/* In the worker, after L1 (it needs CAP_SYS_ADMIN in its own user namespace) and before L3
 * (which denies unshare): unshare(SANDBOX_SHARED_JOB_NS). */
bool sandbox_share_job_namespaces(char *err, size_t errlen);

/* The job's clone3 flags: CLONE_NEWPID when the worker shares its own namespaces with its jobs
 * (worker_shares_ns), else CLONE_NEWPID | NEWNET | NEWIPC | NEWUTS | NEWNS | NEWCGROUP; plus
 * CLONE_NEWUSER when the worker is not in its own user namespace (in_own_userns false). */
uint64_t sandbox_job_clone_flags(bool in_own_userns, bool worker_shares_ns);

/* The largest file a job may write: a wasm memory's initial image (at most
 * 65536 pages of 64 KiB) lives in a memfd, which RLIMIT_FSIZE also limits.
 * Real files a job can't write at all (read-only root, landlock). */
#define SANDBOX_JOB_MAX_FILE_BYTES (1ull << 32)

/* setrlimit that never raises: soft and hard at most the given values and at most what they
 * were (an unprivileged process may not raise a hard limit anyway). Usually one syscall. */
bool sandbox_lower_rlimit(int resource, const char *name, uint64_t soft, uint64_t hard, char *err, size_t errlen);

/* In the worker (issue 14): empty its capability bounding set once, which its jobs inherit, so
 * sandbox_job_restrict need not (it only limits what an execve could gain; the worker keeps its
 * effective capabilities for its jobs' namespaces). */
bool sandbox_drop_bounding_set(char *err, size_t errlen);

/* In the job, before untrusted code: RLIMIT_FSIZE max_file_bytes,
 * RLIMIT_NOFILE max_fds (0 ⇒ leave it), then drop every capability (bounding
 * set, then effective/permitted/inheritable, ambient cleared). */
bool sandbox_job_restrict(uint64_t max_file_bytes, unsigned max_fds, char *err, size_t errlen);

/* ---------------------------------------------------------------- shared by the layer files */

/* snprintf the message into err (when there is room) and return false. */
bool sandbox_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "EACCES", or "errno N" (in num) for a number glibc has no name for. */
const char *sandbox_errno_name(int e, char num[static 24]);

#endif

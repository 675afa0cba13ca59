/*
 * sandbox_seccomp.c — layers L3 (the worker's syscall denylist) and L5 (the
 * job's stricter one), as hand-written classic BPF.
 *
 * Every filter has the same shape (build_denylist):
 *
 *      ld   arch
 *      jeq  AUDIT_ARCH_X86_64 ? next : kill     anything but x86-64 is killed
 *      ld   nr
 *      jge  __X32_SYSCALL_BIT ? kill : next     x32 calls are killed
 *      jeq  nr_0 ? deny : next                  one compare per denied call
 *      …
 *      ret  ALLOW                               default: allowed
 *      ret  deny                                KILL_PROCESS, or ERRNO|errnum
 *
 * The arch check matters even on an x86-64-only build: an i386 `int $0x80`
 * or an x32 call reaches the same filter with other syscall numbers, so a
 * denylist that only compares numbers could be bypassed that way.
 *
 * KILL_PROCESS and not KILL_THREAD: a thread-only kill leaves the rest of
 * the process running, and the death is not seen by the parent as SIGSYS.
 * The filter is installed with TSYNC so it covers every thread there is.
 * No libseccomp: the program is small, and we keep the dependency list short.
 */
#define _GNU_SOURCE /* strerrorname_np */
#include "worker/sandbox.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000u     /* __X32_SYSCALL_BIT of asm/unistd.h */

/* A JEQ's jump offset is 8 bits; keep well inside it. */
#define MAX_DENIED 128
#define HEAD_LEN   5                    /* the arch and x32 checks */
#define MAX_INSNS  (HEAD_LEN + MAX_DENIED + 2)

/* L3: the worker may not open sockets (it already has its host connection),
 * submit io_uring work (a syscall path that bypasses seccomp), or trace or
 * read other processes. */
static const int worker_denied[] = {
    SYS_socket, SYS_socketpair, SYS_connect,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
};

/* L5: a job computes and writes its result; it never needs a new process,
 * exec, namespaces, mounts, kernel objects or kernel-wide operations. */
static const int job_denied[] = {
    SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_execve, SYS_execveat,
    SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
    SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
    SYS_keyctl, SYS_add_key, SYS_request_key, SYS_ptrace,
    SYS_kexec_load, SYS_kexec_file_load,
    SYS_init_module, SYS_finit_module, SYS_delete_module,
    SYS_reboot, SYS_swapon, SYS_swapoff,
    /* the new mount API does what mount/pivot_root do */
    SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
    /* memfd_create stays allowed: the engine's copy-on-write memory image is a memfd */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct bpf_program_buf {
    struct sock_filter insns[MAX_INSNS];
    unsigned short len;
} bpf_program_buf;

static void emit(bpf_program_buf *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    p->insns[p->len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/* Every program's start: anything but x86-64 is killed, then the syscall number is loaded. */
static void start_program(bpf_program_buf *p)
{
    p->len = 0;
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
}

/* The program of the file comment; n <= MAX_DENIED, numbers non-negative. */
static void build_denylist(bpf_program_buf *p, const int *nrs, size_t n, uint32_t deny)
{
    start_program(p);
    emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    /* The deny return sits after the n compares and the allow return:
     * from compare i it is n - i instructions ahead. */
    for (size_t i = 0; i < n; i++)
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, (uint32_t)nrs[i]);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    emit(p, BPF_RET | BPF_K, 0, 0, deny);
}

static bool fail_errno(char *err, size_t errlen, const char *step, int e)
{
    char num[24];
    snprintf(err, errlen, "%s: %s", step, sandbox_errno_name(e, num));
    return false;
}

static bool install(const bpf_program_buf *p, char *err, size_t errlen)
{
    struct sock_fprog prog = { .len = p->len, .filter = (struct sock_filter *)p->insns };
    /* Without NO_NEW_PRIVS an unprivileged process gets EACCES. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail_errno(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
    if (rc < 0)
        return fail_errno(err, errlen, "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)", errno);
    if (rc > 0) {
        /* TSYNC reports the thread that could not take the filter. */
        snprintf(err, errlen, "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread %ld cannot be synchronised", rc);
        return false;
    }
    return true;
}

static bool install_denylist(const int *nrs, size_t n, uint32_t deny, char *err, size_t errlen)
{
    if (n > MAX_DENIED) {
        snprintf(err, errlen, "seccomp: %zu syscalls denied, at most %d", n, MAX_DENIED);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (nrs[i] < 0) {
            snprintf(err, errlen, "seccomp: syscall number %d (entry %zu) is negative", nrs[i], i);
            return false;
        }
    }
    bpf_program_buf p;
    build_denylist(&p, nrs, n, deny);
    return install(&p, err, errlen);
}

bool sandbox_seccomp_worker(char *err, size_t errlen)
{
    return install_denylist(worker_denied, COUNT(worker_denied), SECCOMP_RET_KILL_PROCESS, err, errlen);
}

/*
 * L5, second filter (stacked on the denylist): a job may signal only itself (issue 13,
 * finding 2). kill, tkill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo pass only when their
 * first argument — the target pid, tid or tgid, a 32-bit int the kernel takes from the low half
 * — is the job's own pid (1 in its pid namespace; its real pid after a fork fallback), so
 * kill(0, …) to the process group, kill(-1, …) and any other pid kill the job; raise() and
 * abort() still work. pidfd_send_signal is killed outright: a job has no pidfd of its own use.
 *
 *      ld   arch;  jeq X86_64 ? next : kill
 *      ld   nr;    jeq kill|tkill|tgkill|rt_sigqueueinfo|rt_tgsigqueueinfo ? check : next
 *                  jeq pidfd_send_signal ? kill : next
 *      ret  ALLOW
 * check: ld args[0] (low half);  jeq self ? allow : kill
 */
static void build_signal_self(bpf_program_buf *p, uint32_t self)
{
    static const int checked[] = { SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo };
    const uint8_t n = (uint8_t)COUNT(checked);
    start_program(p);
    /* compare i jumps over the rest (n - 1 - i), the pidfd compare and the allow: to check */
    for (uint8_t i = 0; i < n; i++)
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - 1 - i + 2), 0, (uint32_t)checked[i]);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 4, 0, SYS_pidfd_send_signal);   /* over allow, ld, jeq, allow */
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, args[0]));   /* x86-64: low half */
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, self);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

bool sandbox_seccomp_job(char *err, size_t errlen)
{
    if (!install_denylist(job_denied, COUNT(job_denied), SECCOMP_RET_KILL_PROCESS, err, errlen))
        return false;
    bpf_program_buf p;
    build_signal_self(&p, (uint32_t)getpid());
    return install(&p, err, errlen);
}

bool sandbox_seccomp_errno(const int *syscalls, size_t n, int errnum, char *err, size_t errlen)
{
    /* The errno travels in the 16-bit SECCOMP_RET_DATA; the kernel caps it
     * at MAX_ERRNO (4095) anyway. */
    if (errnum <= 0 || errnum > 4095) {
        snprintf(err, errlen, "seccomp: errno %d out of range 1..4095", errnum);
        return false;
    }
    return install_denylist(syscalls, n, SECCOMP_RET_ERRNO | (uint32_t)errnum, err, errlen);
}

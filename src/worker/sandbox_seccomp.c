/*
 * sandbox_seccomp.c — layers L3 (the worker's syscall denylist) and L5 (the
 * job's allowlist), as hand-written classic BPF.
 *
 * The worker's filter is a denylist (build_denylist):
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
 * The job's is an allowlist with the same head and a few argument checks
 * (build_allowlist): default kill.
 *
 * The arch check matters even on an x86-64-only build: an i386 `int $0x80`
 * or an x32 call reaches the same filter with other syscall numbers, so a
 * filter that only compares numbers could be bypassed that way.
 *
 * KILL_PROCESS and not KILL_THREAD: a thread-only kill leaves the rest of
 * the process running, and the death is not seen by the parent as SIGSYS.
 * The filter is installed with TSYNC so it covers every thread there is.
 * No libseccomp: the programs are small, and we keep the dependency list short.
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
#include <sys/mman.h>
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
    /* Issue 13, finding 9: its namespaces and mounts are made before this filter (L1), and a
     * worker never execs — a hijacked one could have run a binary from a memfd. (clone3 can
     * still make namespaces, seccomp can't read its flags; but the worker already holds every
     * capability of its own user namespace and must make a job's namespaces: nothing new.) */
    SYS_execve, SYS_execveat, SYS_unshare, SYS_setns,
    SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot,
    SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
    /* kernel-wide operations and kernel objects nothing of pvf uses */
    SYS_bpf, SYS_perf_event_open, SYS_userfaultfd, SYS_keyctl, SYS_add_key, SYS_request_key,
    SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
    SYS_reboot, SYS_swapon, SYS_swapoff,
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

/* NO_NEW_PRIVS is set for good and inherited: once set here, a job forked later needn't again. */
static bool no_new_privs_set;

static bool install(const bpf_program_buf *p, char *err, size_t errlen)
{
    struct sock_fprog prog = { .len = p->len, .filter = (struct sock_filter *)p->insns };
    /* Without NO_NEW_PRIVS an unprivileged process gets EACCES. */
    if (!no_new_privs_set && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail_errno(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
    no_new_privs_set = true;
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

/*
 * L3, second program: a worker signals its jobs by pid and itself (abort), never a process group
 * or every process it may (kill with a pid <= 0): that form killed pvf from a job before
 * setsid (finding 2), and kill(-1, …) reaches every process of the uid when the worker has no
 * pid namespace of its own (finding 3).
 *
 *      ld arch; jeq X86_64 ? : kill;  ld nr;  jeq kill ? : allow
 *      ld args[0] (low half, an int);  jeq 0 ? kill :;  jset 0x80000000 ? kill : allow
 */
static void build_no_group_kill(bpf_program_buf *p)
{
    start_program(p);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SYS_kill);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, args[0]));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 0);
    emit(p, BPF_JMP | BPF_JSET | BPF_K, 1, 0, 0x80000000u);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
}

bool sandbox_seccomp_worker(char *err, size_t errlen)
{
    if (!install_denylist(worker_denied, COUNT(worker_denied), SECCOMP_RET_KILL_PROCESS, err, errlen))
        return false;
    bpf_program_buf p;
    build_no_group_kill(&p);
    return install(&p, err, errlen);
}

/*
 * L5: the job's allowlist (issue 13). A job body computes in memory it maps itself and writes
 * one result frame; what it needs once its load step is done (job.h) is below, measured with
 * strace on every runtime of the test data on both tiers (tests/gen/job_syscalls.sh) and kept
 * to what a body can't do without. Any other syscall — open, ioctl, socket, clone,
 * memfd_create, … — kills the process. Some calls are allowed only with certain arguments
 * (sandbox_arg_check).
 */
#define CALL(name, check, why) { SYS_##name, #name, check, why }
static const sandbox_allowed_call job_allowed[] = {
    CALL(exit_group, SANDBOX_ANY_ARGS, "the end of every job"),
    CALL(write, SANDBOX_RESULT_FD, "an out-of-memory frame, written without allocating; every other fd a job "
                                   "holds is /dev/null or the memory image's memfd, whose growth RLIMIT_DATA "
                                   "would not count"),
    CALL(read, SANDBOX_INPUT_FD, "an execute job's candidate (ValidationParams), read after it has "
                                 "instantiated the code (issue 14)"),
    CALL(writev, SANDBOX_RESULT_FD, "the result frame, its length and bytes in one call"),
    CALL(sendmsg, SANDBOX_RESULT_FD, "the frame writer tries sendmsg(MSG_NOSIGNAL) first (ENOTSOCK on a pipe)"),
    CALL(mmap, SANDBOX_PRIVATE_NOT_EXEC, "malloc, wasm memories, stacks; shared memory escapes RLIMIT_DATA "
                                         "(finding 5), machine code is mapped before the filter"),
    CALL(mprotect, SANDBOX_NOT_EXEC, "memory.grow, guard pages"),
    CALL(munmap, SANDBOX_ANY_ARGS, "free(), the end of an instance"),
    CALL(mremap, SANDBOX_ANY_ARGS, "realloc() of large blocks"),
    CALL(brk, SANDBOX_ANY_ARGS, "malloc's heap"),
    CALL(madvise, SANDBOX_ANY_ARGS, "free() giving pages back"),
    CALL(rt_sigaction, SANDBOX_ANY_ARGS, "the native tier's guard-page SIGSEGV handler, set at the first run"),
    CALL(sigaltstack, SANDBOX_ANY_ARGS, "the stack that handler runs on (a wasm stack overflow leaves none)"),
    CALL(rt_sigreturn, SANDBOX_ANY_ARGS, "the return from that handler to the trap stub"),
    CALL(rt_sigprocmask, SANDBOX_ANY_ARGS, "abort(): an engine bug ends as SIGABRT, not as a seccomp kill"),
    CALL(tgkill, SANDBOX_SELF, "raise(), abort(); kill(0, ...) reached pvf's process group (finding 2), "
                               "kill and tkill are not needed"),
    CALL(getpid, SANDBOX_ANY_ARGS, "raise(), abort()"),
    CALL(gettid, SANDBOX_ANY_ARGS, "raise(), abort()"),
    CALL(futex, SANDBOX_ANY_ARGS, "glibc's once-only initialisation and locks"),
    CALL(clock_gettime, SANDBOX_ANY_ARGS, "a call's CPU time (CLOCK_THREAD_CPUTIME_ID has no vDSO path)"),
    CALL(getrusage, SANDBOX_ANY_ARGS, "a prepare job reports its peak RSS"),
    CALL(sysinfo, SANDBOX_ANY_ARGS, "glibc's qsort asks how much memory there is"),
};
#undef CALL

const sandbox_allowed_call *sandbox_job_allowlist(size_t *n)
{
    *n = COUNT(job_allowed);
    return job_allowed;
}

/* The allowlist program's jump targets: placed once, jumped to from before (classic BPF jumps
 * only forward, by at most 255 instructions); jumps are patched when the program is done. */
typedef enum label { TO_ALLOW, TO_KILL, TO_MMAP, TO_PROT, TO_FD, TO_INPUT, TO_SELF, LABEL_COUNT } label;
#define FALL_THROUGH (-1)

typedef struct allowlist_builder {
    bpf_program_buf p;
    unsigned short at[LABEL_COUNT];
    struct { unsigned short insn; bool on_true; label to; } fixups[MAX_INSNS];
    unsigned nfixups;
} allowlist_builder;

/* A conditional jump: true to `on_true`, false to `on_false` (a label, or FALL_THROUGH). */
static void jump_to(allowlist_builder *b, uint16_t op, uint32_t k, int on_true, int on_false)
{
    unsigned short insn = b->p.len;
    emit(&b->p, BPF_JMP | op | BPF_K, 0, 0, k);
    if (on_true != FALL_THROUGH)
        b->fixups[b->nfixups++] = (typeof(b->fixups[0])){ insn, true, (label)on_true };
    if (on_false != FALL_THROUGH)
        b->fixups[b->nfixups++] = (typeof(b->fixups[0])){ insn, false, (label)on_false };
}

static void place(allowlist_builder *b, label l)
{
    b->at[l] = b->p.len;
}

/* Load the low half of args[i]: the four checked arguments are ints or flags the kernel takes
 * from it (x86-64 is little-endian, so it comes first). */
static void load_arg_low(bpf_program_buf *p, int i)
{
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, args[i]));
}

static bool patch_jumps(allowlist_builder *b)
{
    for (unsigned i = 0; i < b->nfixups; i++) {
        unsigned short insn = b->fixups[i].insn, to = b->at[b->fixups[i].to];
        if (to <= insn || to - insn - 1 > 255)
            return false;
        uint8_t off = (uint8_t)(to - insn - 1);
        if (b->fixups[i].on_true)
            b->p.insns[insn].jt = off;
        else
            b->p.insns[insn].jf = off;
    }
    return true;
}

/*
 *        ld  arch;  jeq X86_64 ? : kill;  ld nr;  jge X32_BIT ? kill :
 *        jeq nr_i ? allow or its check :          one per job_allowed entry
 *        ret KILL
 * mmap:  ld args[3] (flags);  jset MAP_SHARED ? kill :     (MAP_SHARED_VALIDATE has the bit)
 * prot:  ld args[2] (prot);   jset PROT_EXEC ? kill : allow
 * fd:    ld args[0];          jeq result_fd ? allow : kill
 * input: ld args[0];          jeq input_fd ? allow : kill      (no input: ~0, no fd)
 * self:  ld args[0];          jeq self ? allow : kill
 * allow: ret ALLOW
 * kill:  ret KILL
 */
static bool build_allowlist(allowlist_builder *b, uint32_t result_fd, uint32_t input_fd, uint32_t self)
{
    static const label check_label[] = {
        [SANDBOX_ANY_ARGS] = TO_ALLOW, [SANDBOX_RESULT_FD] = TO_FD, [SANDBOX_INPUT_FD] = TO_INPUT,
        [SANDBOX_SELF] = TO_SELF,
        [SANDBOX_PRIVATE_NOT_EXEC] = TO_MMAP, [SANDBOX_NOT_EXEC] = TO_PROT,
    };
    /* head 5, a compare per entry and a kill, 5 checks of 2-3 insns, 2 returns */
    _Static_assert(5 + COUNT(job_allowed) + 1 + 13 + 2 <= MAX_INSNS, "the job allowlist outgrew MAX_INSNS");
    bpf_program_buf *p = &b->p;
    b->nfixups = 0;
    start_program(p);
    jump_to(b, BPF_JGE, X32_SYSCALL_BIT, TO_KILL, FALL_THROUGH);
    for (size_t i = 0; i < COUNT(job_allowed); i++)
        jump_to(b, BPF_JEQ, (uint32_t)job_allowed[i].nr, check_label[job_allowed[i].check], FALL_THROUGH);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);

    place(b, TO_MMAP);
    load_arg_low(p, 3);
    jump_to(b, BPF_JSET, MAP_SHARED, TO_KILL, FALL_THROUGH);
    place(b, TO_PROT);
    load_arg_low(p, 2);
    jump_to(b, BPF_JSET, PROT_EXEC, TO_KILL, TO_ALLOW);
    place(b, TO_FD);
    load_arg_low(p, 0);
    jump_to(b, BPF_JEQ, result_fd, TO_ALLOW, TO_KILL);
    place(b, TO_INPUT);
    load_arg_low(p, 0);
    jump_to(b, BPF_JEQ, input_fd, TO_ALLOW, TO_KILL);
    place(b, TO_SELF);
    load_arg_low(p, 0);
    jump_to(b, BPF_JEQ, self, TO_ALLOW, TO_KILL);
    place(b, TO_ALLOW);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
    place(b, TO_KILL);
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    return patch_jumps(b);
}

bool sandbox_seccomp_job(int result_fd, int input_fd, char *err, size_t errlen)
{
    if (result_fd < 0)
        return sandbox_fail(err, errlen, "seccomp: the job's result fd %d is not an fd", result_fd);
    allowlist_builder b;
    if (!build_allowlist(&b, (uint32_t)result_fd, input_fd >= 0 ? (uint32_t)input_fd : ~0u, (uint32_t)getpid()))
        return sandbox_fail(err, errlen, "seccomp: the job's allowlist program is too long for BPF jumps");
    return install(&b.p, err, errlen);
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

/*
 * landlock_compat.h — our own landlock definitions, independent of the
 * installed <linux/landlock.h>.
 *
 * Debian 12 ships the 6.1 kernel headers, which know the ruleset attribute
 * only up to handled_access_fs and the FS rights only up to REFER (ABI 2).
 * The running kernel is usually newer (ABI 7 on the CI machine), so we carry
 * the ABI 1–6 constants and structures ourselves, under our own names so that
 * they can never clash with a newer system header. The values are the
 * kernel's UAPI (include/uapi/linux/landlock.h) and never change.
 *
 * The syscall numbers are in <sys/syscall.h> (SYS_landlock_*), since 5.13.
 */
#ifndef PVF_WORKER_LANDLOCK_COMPAT_H
#define PVF_WORKER_LANDLOCK_COMPAT_H

#include <stdint.h>

/*
 * The ruleset attribute as of ABI 6. A kernel accepts any prefix of it that
 * holds the fields it knows; bytes past those must be zero (E2BIG
 * otherwise). We pass exactly the size that matches the running ABI
 * (8 bytes for ABI < 4, 16 for 4–5, 24 for >= 6), as the kernel's
 * samples/landlock/sandboxer.c does, so that the call says what it means
 * on every kernel.
 */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;     /* ABI 1 */
    uint64_t handled_access_net;    /* ABI 4 */
    uint64_t scoped;                /* ABI 6 */
};

/* landlock_add_rule(LL_RULE_PATH_BENEATH, …): packed in the UAPI (12 bytes). */
struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

/* landlock_create_ruleset flags */
#define LL_CREATE_RULESET_VERSION   (1U << 0)

/* landlock_add_rule rule types */
#define LL_RULE_PATH_BENEATH        1
#define LL_RULE_NET_PORT            2   /* ABI 4; unused: we allow no port */

/* File-system rights. ABI 1: bits 0–12. */
#define LL_ACCESS_FS_EXECUTE        (1ULL << 0)
#define LL_ACCESS_FS_WRITE_FILE     (1ULL << 1)
#define LL_ACCESS_FS_READ_FILE      (1ULL << 2)
#define LL_ACCESS_FS_READ_DIR       (1ULL << 3)
#define LL_ACCESS_FS_REMOVE_DIR     (1ULL << 4)
#define LL_ACCESS_FS_REMOVE_FILE    (1ULL << 5)
#define LL_ACCESS_FS_MAKE_CHAR      (1ULL << 6)
#define LL_ACCESS_FS_MAKE_DIR       (1ULL << 7)
#define LL_ACCESS_FS_MAKE_REG       (1ULL << 8)
#define LL_ACCESS_FS_MAKE_SOCK      (1ULL << 9)
#define LL_ACCESS_FS_MAKE_FIFO      (1ULL << 10)
#define LL_ACCESS_FS_MAKE_BLOCK     (1ULL << 11)
#define LL_ACCESS_FS_MAKE_SYM       (1ULL << 12)
/* Later ABIs (not handled by us: FS rights are pinned to ABI 1). */
#define LL_ACCESS_FS_REFER          (1ULL << 13)    /* ABI 2 */
#define LL_ACCESS_FS_TRUNCATE       (1ULL << 14)    /* ABI 3 */
#define LL_ACCESS_FS_IOCTL_DEV      (1ULL << 15)    /* ABI 5 */

/* Every FS right of ABI 1. */
#define LL_ACCESS_FS_ABI1 \
    (LL_ACCESS_FS_EXECUTE | LL_ACCESS_FS_WRITE_FILE | LL_ACCESS_FS_READ_FILE | \
     LL_ACCESS_FS_READ_DIR | LL_ACCESS_FS_REMOVE_DIR | LL_ACCESS_FS_REMOVE_FILE | \
     LL_ACCESS_FS_MAKE_CHAR | LL_ACCESS_FS_MAKE_DIR | LL_ACCESS_FS_MAKE_REG | \
     LL_ACCESS_FS_MAKE_SOCK | LL_ACCESS_FS_MAKE_FIFO | LL_ACCESS_FS_MAKE_BLOCK | \
     LL_ACCESS_FS_MAKE_SYM)

/* Network rights, ABI 4. */
#define LL_ACCESS_NET_BIND_TCP      (1ULL << 0)
#define LL_ACCESS_NET_CONNECT_TCP   (1ULL << 1)

/* Scopes, ABI 6. */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL             (1ULL << 1)

/* The first ABI with handled_access_net, and with scoped. */
#define LL_ABI_NET      4
#define LL_ABI_SCOPE    6

#endif

/*
 * mailbox.h — a multi-producer, single-consumer queue of messages with a
 * file descriptor to poll: how callers' requests and worker threads' events
 * reach the host thread (include/pvf/host.h "Threading model").
 *
 * Messages embed a mailbox_node as their first member. Producers push from
 * any thread; the consumer polls mailbox_fd() (readable while messages
 * wait) and takes everything at once in FIFO order.
 */
#ifndef PVF_HOST_MAILBOX_H
#define PVF_HOST_MAILBOX_H

#include <pthread.h>
#include <stdbool.h>

typedef struct mailbox_node {
    struct mailbox_node *next;
} mailbox_node;

typedef struct mailbox {
    pthread_mutex_t lock;
    mailbox_node *head, *tail;
    int efd;            /* eventfd: non-zero while messages wait */
} mailbox;

/* False (errno set) when no eventfd can be made. */
bool mailbox_init(mailbox *mb);
/* Frees nothing: take the messages first. */
void mailbox_destroy(mailbox *mb);
void mailbox_push(mailbox *mb, mailbox_node *n);
/* Every waiting message, oldest first (NULL when none); clears the fd. */
mailbox_node *mailbox_take_all(mailbox *mb);
static inline int mailbox_fd(const mailbox *mb) { return mb->efd; }

#endif

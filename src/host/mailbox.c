/*
 * mailbox.c — see mailbox.h. A mutex-protected singly linked list plus an
 * eventfd that mirrors "the list is not empty" for poll().
 */
#define _GNU_SOURCE
#include "host/mailbox.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

bool mailbox_init(mailbox *mb)
{
    mb->head = mb->tail = NULL;
    mb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (mb->efd < 0)
        return false;
    pthread_mutex_init(&mb->lock, NULL);
    return true;
}

void mailbox_destroy(mailbox *mb)
{
    if (mb->efd >= 0) {
        close(mb->efd);
        pthread_mutex_destroy(&mb->lock);
    }
    mb->efd = -1;
}

void mailbox_push(mailbox *mb, mailbox_node *n)
{
    n->next = NULL;
    pthread_mutex_lock(&mb->lock);
    if (mb->tail)
        mb->tail->next = n;
    else
        mb->head = n;
    mb->tail = n;
    uint64_t one = 1;
    /* Can only fail when the counter would overflow: it is drained long before. */
    (void)!write(mb->efd, &one, sizeof one);
    pthread_mutex_unlock(&mb->lock);
}

mailbox_node *mailbox_take_all(mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    mailbox_node *all = mb->head;
    mb->head = mb->tail = NULL;
    uint64_t count;
    (void)!read(mb->efd, &count, sizeof count);
    pthread_mutex_unlock(&mb->lock);
    return all;
}

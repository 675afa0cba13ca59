/*
 * frame.c — length-prefixed frames over a socket or a pipe.
 *
 * A frame is the payload length as 8 little-endian bytes (the reference's
 * native usize on 64-bit Linux), then the payload. Reading is all or nothing:
 * a frame that ends early is "truncated", a length over the caller's limit is
 * refused before anything is allocated, and end of file before the first
 * byte is a clean close, which callers treat differently from an error.
 */
#include "wire/protocol.h"
#include "util/errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* One gathered write: sendmsg() with MSG_NOSIGNAL on sockets so a vanished peer is an EPIPE
 * error instead of a process-killing SIGPIPE, writev() on anything else. */
static ssize_t write_some(int fd, struct iovec *iov, int n, bool *is_socket)
{
    if (*is_socket) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
        ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (k >= 0 || errno != ENOTSOCK)
            return k;
        *is_socket = false;
    }
    return writev(fd, iov, n);
}

/*
 * The header and the payload in one call when the fd takes them: a reader woken by the header
 * alone would run — and on a busy core preempt the writer — only to block again on the payload
 * (issue 14: a worker's answer waited a millisecond between its two halves).
 */
bool frame_write(int fd, const uint8_t *p, size_t n, char *err, size_t errlen)
{
    uint8_t header[FRAME_HEADER_SIZE];
    frame_header_encode(n, header);
    struct iovec iov[2] = { { header, sizeof header }, { (void *)p, n } };
    int first = 0, count = n ? 2 : 1;
    bool is_socket = true;
    while (first < count) {
        ssize_t k = write_some(fd, iov + first, count - first, &is_socket);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            errmsg_set(err, errlen, "frame write failed: %s", k < 0 ? strerror(errno) : "wrote 0 bytes");
            return false;
        }
        size_t done = (size_t)k;
        while (first < count && done >= iov[first].iov_len)
            done -= iov[first++].iov_len;
        if (first < count) {
            iov[first].iov_base = (uint8_t *)iov[first].iov_base + done;
            iov[first].iov_len -= done;
        }
    }
    return true;
}

/* Read up to n bytes, stopping early only at end of file; *got says how many.
 * False on a read error. */
static bool read_full(int fd, uint8_t *p, size_t n, size_t *got, char *err, size_t errlen)
{
    *got = 0;
    while (*got < n) {
        ssize_t k = read(fd, p + *got, n - *got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            errmsg_set(err, errlen, "frame read failed: %s", strerror(errno));
            return false;
        }
        if (k == 0)
            break;
        *got += (size_t)k;
    }
    return true;
}

static frame_status read_length(int fd, uint64_t *len, char *err, size_t errlen)
{
    uint8_t header[FRAME_HEADER_SIZE];
    size_t got;
    if (!read_full(fd, header, sizeof header, &got, err, errlen))
        return FRAME_ERROR;
    if (got == 0) {
        errmsg_set(err, errlen, "connection closed");
        return FRAME_CLOSED;
    }
    if (got < sizeof header) {
        errmsg_set(err, errlen, "truncated frame: got %zu of %d length bytes", got, FRAME_HEADER_SIZE);
        return FRAME_ERROR;
    }
    *len = frame_header_decode(header);
    return FRAME_OK;
}

frame_status frame_recv(int fd, size_t max_len, uint8_t **p, size_t *n, char *err, size_t errlen)
{
    *p = NULL;
    *n = 0;
    uint64_t len;
    frame_status st = read_length(fd, &len, err, errlen);
    if (st != FRAME_OK)
        return st;
    if (len > max_len) {
        errmsg_set(err, errlen, "frame too large: %llu bytes, limit %zu", (unsigned long long)len,
                max_len);
        return FRAME_ERROR;
    }
    uint8_t *buf = malloc(len ? (size_t)len : 1);
    if (!buf) {
        errmsg_set(err, errlen, "out of memory for a frame of %llu bytes", (unsigned long long)len);
        return FRAME_ERROR;
    }
    size_t got;
    if (!read_full(fd, buf, (size_t)len, &got, err, errlen)) {
        free(buf);
        return FRAME_ERROR;
    }
    if (got < len) {
        errmsg_set(err, errlen, "truncated frame: got %zu of %llu bytes", got, (unsigned long long)len);
        free(buf);
        return FRAME_ERROR;
    }
    *p = buf;
    *n = (size_t)len;
    return FRAME_OK;
}

bool frame_read(int fd, size_t max_len, uint8_t **p, size_t *n, char *err, size_t errlen)
{
    return frame_recv(fd, max_len, p, n, err, errlen) == FRAME_OK;
}

bool proto_send(int fd, scale_writer *w, char *err, size_t errlen)
{
    uint8_t *bytes;
    size_t len;
    if (!scale_writer_finish(w, &bytes, &len)) {
        errmsg_set(err, errlen, "out of memory encoding a message");
        return false;
    }
    bool ok = frame_write(fd, bytes, len, err, errlen);
    free(bytes);
    return ok;
}

/* file.c — whole-file reading and writing (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t *file_read(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    bool stat_ok = fstat(fd, &st) == 0;
    if (!stat_ok || !S_ISREG(st.st_mode)) {     /* not a file of bytes: a directory, a device */
        int e = !stat_ok ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        close(fd);
        errno = e;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    int e = errno;
    close(fd);
    errno = e;
    if (buf)
        *len = n;
    return buf;
}

static bool write_all(int fd, const uint8_t *bytes, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, bytes + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        off += (size_t)w;
    }
    return true;
}

/* Into something that isn't a plain file (/dev/null, a FIFO, a symlink):
 * write through it; renaming over it would replace the device or the link. */
static bool write_in_place(const char *path, const uint8_t *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write_all(fd, bytes, len);
    int e = errno;
    if (close(fd) != 0 && ok)
        return false;
    errno = e;
    return ok;
}

bool file_write(const char *path, const uint8_t *bytes, size_t len)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(path, bytes, len);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    if (!write_all(fd, bytes, len)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return false;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return false;
    }
    return true;
}

uint64_t proc_status_kib(int fd, const char *path, const char *field)
{
    char buf[4096];
    ssize_t n;
    if (fd >= 0) {
        n = pread(fd, buf, sizeof buf - 1, 0);
    } else {
        int own = open(path, O_RDONLY | O_CLOEXEC);
        n = own >= 0 ? read(own, buf, sizeof buf - 1) : -1;
        if (own >= 0)
            close(own);
    }
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char key[40];
    snprintf(key, sizeof key, "\n%s:", field);
    const char *line = strstr(buf, key);
    unsigned long long kib = 0;
    if (!line || sscanf(line + strlen(key), " %llu kB", &kib) != 1)
        return 0;
    return (uint64_t)kib;
}

const char *proc_stat_fields(long pid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f || size < 2) {
        if (f)
            fclose(f);
        return NULL;
    }
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p + 2 : NULL;
}

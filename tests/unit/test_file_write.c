/*
 * test_file_write.c — util/file.c's file_write: atomic for plain files, and
 * never replacing what isn't one (`pvf prepare -o /dev/null` once renamed a
 * regular file over /dev/null).
 */
#define _GNU_SOURCE
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

static const uint8_t bytes[] = "artifact bytes";

TEST(file_write_plain_file_is_replaced_atomically)
{
    char dir[] = "/tmp/pvf-fw-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/out", dir);
    CHECK(file_write(path, (const uint8_t *)"old", 3));
    CHECK(file_write(path, bytes, sizeof bytes));
    size_t len = 0;
    uint8_t *back = file_read(path, &len);
    CHECK(back && len == sizeof bytes && !memcmp(back, bytes, len));
    free(back);
    unlink(path);
    CHECK(rmdir(dir) == 0);     /* no temp file left behind */
}

TEST(file_write_keeps_dev_null_a_device)
{
    CHECK(file_write("/dev/null", bytes, sizeof bytes));
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}

TEST(file_write_through_a_symlink_keeps_the_link)
{
    char dir[] = "/tmp/pvf-fw-XXXXXX";
    if (!mkdtemp(dir))
        return;
    char target[128], link[128];
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    CHECK(file_write(target, (const uint8_t *)"old", 3));
    CHECK(symlink("target", link) == 0);
    CHECK(file_write(link, bytes, sizeof bytes));
    struct stat st;
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    size_t len = 0;
    uint8_t *back = file_read(target, &len);
    CHECK(back && len == sizeof bytes && !memcmp(back, bytes, len));
    free(back);
    unlink(link);
    unlink(target);
    CHECK(rmdir(dir) == 0);
}

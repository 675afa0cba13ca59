/*
 * artifacts_internal.h — the artifact table's private layout, shared only by
 * artifacts.c (table, files) and artifact_manifest.c (persistence).
 */
#ifndef PVF_HOST_ARTIFACTS_INTERNAL_H
#define PVF_HOST_ARTIFACTS_INTERNAL_H

#include "host/artifacts.h"

struct artifacts {
    char *cache_dir; /* no trailing slash */
    char *engine_version;
    char *target;
    /* Pointers, so an entry's address survives growth of the array. */
    artifact_entry **entries;
    size_t n, cap;
    bool manifest_dirty;   /* the last manifest write failed or is pending */
    int lock_fd;           /* holds the cache dir's flock (0: not taken yet) */
    char manifest_err[256];
};

void artifacts_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *artifacts_join(const char *dir, const char *name); /* malloc'd "dir/name" */
void artifacts_hex(const uint8_t *bytes, size_t len, char *out); /* 2*len+1 chars */
/* Write bytes to tmp, fsync, rename to path. */
bool artifacts_write_atomic(const char *path, const char *tmp, const uint8_t *bytes, size_t len);

/* artifact_manifest.c */
bool artifacts_manifest_load(artifacts *t, uint64_t now, artifacts_startup_report *report,
                             char *err, size_t errlen);
bool artifacts_manifest_write(artifacts *t, char *err, size_t errlen);

#endif

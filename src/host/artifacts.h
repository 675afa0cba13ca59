/*
 * artifacts.h — the host's table of prepared artifacts and the files behind
 * them (reference-behaviour.md §1.1 state machine, §1.6 artifacts on disk).
 *
 * An artifact is identified by the BLAKE2b-256 of the code exactly as given
 * (possibly compressed) plus the executor params' prep hash. Each id is in
 * one of three states:
 *
 *   Preparing        a prepare job is queued or running; `waiters` lists the
 *                    opaque request ids to answer when it ends.
 *   Prepared         the artifact file exists: path, twox-256 checksum, size,
 *                    last time it was needed, prepare stats.
 *   FailedToProcess  the last preparation failed: error kind + message,
 *                    number of failures, time of the last failure.
 *
 * The table is single-threaded on purpose: the host event loop owns it and is
 * the only caller, so there is no locking. Times are monotonic milliseconds
 * passed in by the caller, which lets tests control the clock.
 *
 * Beyond the reference (which starts every run with an empty table): the
 * table writes a manifest, `<cache>/pvf-manifest`, binding each Prepared
 * artifact file to pvf's engine version, the target, its id (which contains
 * the prep hash), size and checksum. At startup entries whose engine
 * version/target differ, whose file is missing or whose checksum no longer
 * matches are dropped and their files deleted; the rest come back Prepared.
 * The manifest is rewritten atomically whenever the set of Prepared
 * artifacts changes.
 */
#ifndef PVF_HOST_ARTIFACTS_H
#define PVF_HOST_ARTIFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/executor_params.h"

#define ARTIFACTS_MANIFEST_NAME "pvf-manifest"
#define ARTIFACTS_LOCK_NAME "pvf-host.lock"     /* flock'd by the host that uses the dir */
#define ARTIFACTS_DEFAULT_TARGET "x86_64-linux"
/* Pruning defaults: PVF_REF_ARTIFACT_CACHE_LIMIT, PVF_REF_ARTIFACT_MIN_STALE_MS (pvf/reference.h). */
#include "pvf/reference.h"

typedef struct artifact_id {
    uint8_t code_hash[32]; /* blake2b-256 of the code blob as given */
    uint8_t prep_hash[32]; /* executor_params_prep_hash */
} artifact_id;

/* The id of `code` prepared under `ep`. False only when hashing the params
 * fails (out of memory). */
bool artifact_id_compute(const uint8_t *code, size_t code_len, const executor_params *ep,
                         artifact_id *out);
bool artifact_id_equal(const artifact_id *a, const artifact_id *b);

typedef enum artifact_state {
    ARTIFACT_PREPARING,
    ARTIFACT_PREPARED,
    ARTIFACT_FAILED_TO_PROCESS,
} artifact_state;

/* What the prepare worker measured; opaque to the table. */
typedef struct artifact_prepare_stats {
    uint64_t cpu_time_ns;
    uint64_t peak_memory_bytes;
} artifact_prepare_stats;

typedef struct artifact_entry {
    artifact_id id;
    artifact_state state;
    /* Preparing */
    uint64_t *waiters;
    size_t n_waiters, cap_waiters;
    /* Failures so far; kept while Preparing again after a retry (§1.1). */
    uint32_t num_failures;
    /* Prepared */
    char *path;
    uint8_t checksum[32];
    uint64_t size;
    uint64_t last_time_needed;
    artifact_prepare_stats stats;
    /* FailedToProcess */
    uint64_t last_time_failed;
    int error_kind; /* the host's PrepareError discriminant; opaque here */
    char *error_msg;
} artifact_entry;

typedef struct artifacts_config {
    const char *cache_dir;
    const char *engine_version; /* pvf's version; printable, no whitespace */
    const char *target;         /* NULL: ARTIFACTS_DEFAULT_TARGET */
} artifacts_config;

/* What startup did, for logs and tests. */
typedef struct artifacts_startup_report {
    size_t loaded;          /* manifest entries restored as Prepared */
    size_t dropped_version; /* engine version or target differed */
    size_t dropped_missing; /* file gone */
    size_t dropped_corrupt; /* checksum or size mismatch */
    size_t dropped_bad;     /* malformed manifest lines */
    size_t removed_files;   /* stale files/dirs deleted by the cleanup */
} artifacts_startup_report;

typedef struct artifacts artifacts;

/*
 * Create the cache dir if needed, restore the manifest (see top), then delete
 * every `worker-dir*` directory, every `*.pvf` file not restored and every
 * `wasmtime_*` file; everything else is left alone. NULL on failure with a
 * message in err. `report` may be NULL.
 */
artifacts *artifacts_open(const artifacts_config *cfg, uint64_t now,
                          artifacts_startup_report *report, char *err, size_t errlen);
void artifacts_close(artifacts *t);

/* Lookup; the pointer stays valid until that id is removed or the table closed. */
artifact_entry *artifacts_lookup(artifacts *t, const artifact_id *id);
size_t artifacts_count(const artifacts *t);

/* Unknown → Preparing with no waiters. NULL when the id is already present
 * (use artifacts_start_preparing) or out of memory. */
artifact_entry *artifacts_insert_preparing(artifacts *t, const artifact_id *id);
/* Add a waiting request id to a Preparing entry (coalescing). */
bool artifacts_add_waiter(artifact_entry *e, uint64_t request_id);
/* Prepared (file vanished) or FailedToProcess (retry) → Preparing.
 * A Prepared entry's path is returned (malloc'd; the caller deletes the file
 * if it still exists) and the failure count restarts at 0 as in the reference;
 * a failed entry keeps num_failures. */
bool artifacts_start_preparing(artifacts *t, artifact_entry *e, char **old_path);

/* Preparing → Prepared. Takes a copy of path. The waiters are cleared; read
 * them before calling. */
bool artifacts_mark_prepared(artifacts *t, artifact_entry *e, const char *path,
                             const uint8_t checksum[32], uint64_t size,
                             const artifact_prepare_stats *stats, uint64_t now);
/* Preparing → FailedToProcess, num_failures + 1. */
bool artifacts_mark_failed(artifacts *t, artifact_entry *e, int error_kind, const char *msg,
                           uint64_t now);
/* last_time_needed = now (Prepared only). */
void artifacts_touch(artifact_entry *e, uint64_t now);
/* The reference's retry rule for non-deterministic failures:
 * now >= last_failed + cooldown && num_failures <= max_retries. */
bool artifacts_can_retry(const artifact_entry *e, bool deterministic, uint64_t now,
                         uint64_t cooldown_ms, uint32_t max_retries);

/* Remove an entry in any state; returns its file path (malloc'd, the caller
 * deletes the file) or NULL when it had none. Invalidates e. */
char *artifacts_remove(artifacts *t, artifact_entry *e);

/*
 * The reference's pruning: sum the sizes of Prepared entries; while the total
 * exceeds cache_limit take the least recently needed one; stop at the first
 * one needed less than min_stale_ms ago; otherwise remove it. The removed
 * paths (malloc'd) are returned in *paths_out (malloc'd array, *n_out of
 * them; the caller frees both and deletes the files). False: out of memory.
 */
bool artifacts_prune(artifacts *t, uint64_t now, uint64_t cache_limit, uint64_t min_stale_ms,
                     char ***paths_out, size_t *n_out);

/* Write the manifest now (it is also written after every change of the
 * Prepared set; a failure there is remembered and reported here). */
bool artifacts_save_manifest(artifacts *t, char *err, size_t errlen);

/* ---- files ---- */

/* A fresh `<cache>/0x<128 hex digits>.pvf` path from getrandom (malloc'd). */
char *artifacts_generate_path(const artifacts *t);
/* Write bytes to path atomically: a `.tmp-…pvf` temp in the same directory,
 * fsync, rename. Errno is set on failure. */
bool artifact_file_write(const char *path, const uint8_t *bytes, size_t len);
/* twox-256 of a file's bytes; size in *size_out when non-NULL. */
bool artifact_file_checksum(const char *path, uint8_t out[32], uint64_t *size_out);

typedef enum artifact_check {
    ARTIFACT_CHECK_OK,
    ARTIFACT_CHECK_MISMATCH,
    ARTIFACT_CHECK_IO_ERROR, /* missing or unreadable; errno set */
} artifact_check;
artifact_check artifact_file_verify(const char *path, const uint8_t expected[32]);

#endif

/*
 * protocol.h — the wire protocol between the host, its workers and their job
 * processes: frames (frame.c) and the SCALE messages inside them (protocol.c).
 * docs/PROTOCOL.md is the full description; this header is the C view of it.
 *
 * A frame is an 8-byte little-endian payload length followed by that many
 * bytes of SCALE. Every message kind has a documented maximum size, passed to
 * frame_read, so a hostile or broken peer can never make us allocate more.
 *
 * Messages are decoded strictly: the whole frame must be one value (trailing
 * bytes are an error), bools are 0/1, enum indices must be known, strings must
 * be UTF-8 (Rust's String refuses anything else) and Duration nanos < 10^9.
 * Decoded values are views: their byte strings point into the frame, which
 * must outlive them. The only allocations are executor params and the message
 * arrays of a ValidationResult; each message that can own some has a *_free.
 *
 * Layouts follow the reference (reference-behaviour.md §3.3, Linux field
 * set) so the enums keep the reference's explicit indices. One pvf extension:
 * the versioned handshake (proto_version_handshake), exchanged first.
 */
#ifndef PVF_HOST_PROTOCOL_H
#define PVF_HOST_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/executor_params.h"
#include "runtime/scale.h"
#include "runtime/validation.h"
#include "wasm/error.h"

/* ================================================================ framing */

#define FRAME_HEADER_SIZE 8

/* The frame header: the payload length as a u64, little-endian (the reference's framing). */
static inline void frame_header_encode(uint64_t len, uint8_t header[FRAME_HEADER_SIZE])
{
    for (int i = 0; i < FRAME_HEADER_SIZE; i++)
        header[i] = (uint8_t)(len >> (8 * i));
}

static inline uint64_t frame_header_decode(const uint8_t header[FRAME_HEADER_SIZE])
{
    uint64_t len = 0;
    for (int i = 0; i < FRAME_HEADER_SIZE; i++)
        len |= (uint64_t)header[i] << (8 * i);
    return len;
}

/*
 * Maximum payload sizes, per message kind (docs/PROTOCOL.md, "Size limits").
 * The code and PoV limits are what the host refuses to send; the others bound
 * what the message can legitimately hold, with ample room.
 */
#define PROTO_MAX_CODE_SIZE (64u << 20)             /* maybe-compressed code in PvfPrepData */
#define PROTO_MAX_POV_SIZE (16u << 20)              /* compressed PoV in ExecuteRequest */
#define PROTO_MAX_HEAD_SIZE (1u << 20)              /* parent_head in ExecuteRequest */
#define PROTO_MAX_SMALL_MESSAGE (1u << 20)          /* handshakes, prepare results, errors */
#define PROTO_MAX_PREPARE_REQUEST (PROTO_MAX_CODE_SIZE + (64u << 10))
#define PROTO_MAX_EXECUTE_REQUEST (PROTO_MAX_POV_SIZE + PROTO_MAX_HEAD_SIZE + (64u << 10))
#define PROTO_MAX_EXECUTE_RESPONSE (256u << 20)     /* a ValidationResult: bounded by Wasm memory */
#define PROTO_MAX_PREPARE_JOB_RESPONSE (512u << 20) /* job → worker pipe: carries the artifact */

/* Write one frame; retries on EINTR and short writes. A socket peer that has
 * gone away is an error ("broken pipe"), never a SIGPIPE. */
bool frame_write(int fd, const uint8_t *p, size_t n, char *err, size_t errlen);

typedef enum frame_status {
    FRAME_OK = 0,       /* *p (malloc'd, the caller frees; non-NULL) holds *n bytes */
    FRAME_CLOSED,       /* end of file before the first byte: the peer closed cleanly */
    FRAME_ERROR,        /* read error, truncated frame, frame too large, out of memory */
} frame_status;

/*
 * Read one frame of at most max_len payload bytes. Errors:
 *   "connection closed" (FRAME_CLOSED)
 *   "truncated frame: got X of 8 length bytes" / "truncated frame: got X of Y bytes"
 *   "frame too large: N bytes, limit M" — checked before allocating
 * On anything but FRAME_OK, *p is NULL and *n is 0.
 */
frame_status frame_recv(int fd, size_t max_len, uint8_t **p, size_t *n, char *err, size_t errlen);
/* frame_recv == FRAME_OK; a clean close is a failure with err "connection closed". */
bool frame_read(int fd, size_t max_len, uint8_t **p, size_t *n, char *err, size_t errlen);

/* Finish the writer (freeing its buffer) and send its bytes as one frame. */
bool proto_send(int fd, scale_writer *w, char *err, size_t errlen);

/* ================================================================ pieces */

typedef struct proto_duration {
    uint64_t secs;
    uint32_t nanos;     /* < 1 000 000 000 */
} proto_duration;

proto_duration proto_duration_from_ns(uint64_t ns);
proto_duration proto_duration_from_ms(uint64_t ms);
uint64_t proto_duration_to_ns(proto_duration d);   /* saturates at UINT64_MAX */

/* A byte view of a NUL-terminated C string (NULL ⇒ empty). */
scale_bytes proto_str(const char *s);

/* ================================================================ handshakes */

/*
 * pvf extension, the first frame in each direction: the host sends its node
 * version, the worker answers with its own. Either side that sees another
 * magic, another protocol version or another version string stops
 * (docs/PROTOCOL.md, "Versioned handshake").
 */
#define PROTO_MAGIC "PVFW"
#define PROTO_VERSION 1u

typedef struct proto_version_handshake {
    uint32_t protocol_version;
    scale_bytes version;        /* node version (host → worker) or worker version */
} proto_version_handshake;

void proto_version_handshake_write(scale_writer *w, const proto_version_handshake *m);
bool proto_version_handshake_decode(const uint8_t *in, size_t len, proto_version_handshake *m,
                                    wasm_error *err);

/* WorkerHandshake{security_status: SecurityStatus} — five bools. */
typedef struct proto_security_status {
    bool secure_validator_mode;
    bool can_enable_landlock;
    bool can_enable_seccomp;
    bool can_unshare_user_namespace_and_change_root;
    bool can_do_secure_clone;
} proto_security_status;

void proto_worker_handshake_write(scale_writer *w, const proto_security_status *m);
bool proto_worker_handshake_decode(const uint8_t *in, size_t len, proto_security_status *m,
                                   wasm_error *err);

/* Execute worker: Handshake{executor_params}. Decoding allocates: free with executor_params_free. */
void proto_exec_handshake_write(scale_writer *w, const executor_params *ep);
bool proto_exec_handshake_decode(const uint8_t *in, size_t len, executor_params *ep,
                                 wasm_error *err);

/* ================================================================ prepare */

typedef enum proto_prep_kind { PROTO_PREP_COMPILATION = 0, PROTO_PREP_PRECHECKING = 1 } proto_prep_kind;

typedef struct proto_pvf_prep_data {
    scale_bytes maybe_compressed_code;
    uint32_t validation_code_bomb_limit;
    uint8_t code_hash[32];
    executor_params executor_params;    /* decode allocates: proto_pvf_prep_data_free */
    proto_duration prep_timeout;
    proto_prep_kind prep_kind;
} proto_pvf_prep_data;

void proto_pvf_prep_data_write(scale_writer *w, const proto_pvf_prep_data *m);
bool proto_pvf_prep_data_decode(const uint8_t *in, size_t len, proto_pvf_prep_data *m,
                                wasm_error *err);
void proto_pvf_prep_data_free(proto_pvf_prep_data *m);

/* PrepareError; the values are the codec indices. */
typedef enum proto_prepare_error_kind {
    PREP_ERR_PREVALIDATION = 0,             /* msg */
    PREP_ERR_PREPARATION = 1,               /* msg */
    PREP_ERR_RUNTIME_CONSTRUCTION = 2,      /* msg */
    PREP_ERR_JOB_ERROR = 3,                 /* msg */
    PREP_ERR_TIMED_OUT = 4,
    PREP_ERR_IO_ERR = 5,                    /* msg */
    PREP_ERR_CREATE_TMP_FILE = 6,           /* msg */
    PREP_ERR_RENAME_TMP_FILE = 7,           /* msg (err), src, dest */
    PREP_ERR_OUT_OF_MEMORY = 8,
    PREP_ERR_CLEAR_WORKER_DIR = 9,          /* msg */
    PREP_ERR_JOB_DIED = 10,                 /* msg (err), job_pid */
    PREP_ERR_KERNEL = 11,                   /* msg */
    PREP_ERR_COULD_NOT_DECOMPRESS_CODE_BLOB = 12,   /* msg */
} proto_prepare_error_kind;
#define PREP_ERR_COUNT 13

typedef struct proto_prepare_error {
    proto_prepare_error_kind kind;
    scale_bytes msg;
    bool has_src, has_dest;
    scale_bytes src, dest;
    int32_t job_pid;
} proto_prepare_error;

const char *proto_prepare_error_name(proto_prepare_error_kind kind);   /* "TimedOut"; "?" if unknown */
/* §6.1: Prevalidation, Preparation, JobError, OutOfMemory, CouldNotDecompressCodeBlob. */
bool proto_prepare_error_is_deterministic(proto_prepare_error_kind kind);

/* MemoryStats, Linux layout: Option<{resident, allocated}>, Option<i64 max_rss KiB>, u64. */
typedef struct proto_memory_stats {
    bool has_tracker;
    uint64_t resident, allocated;
    bool has_max_rss;
    int64_t max_rss;
    uint64_t peak_tracked_alloc;
} proto_memory_stats;

typedef struct proto_prepare_stats {
    proto_duration cpu_time_elapsed;
    proto_memory_stats memory_stats;
    uint32_t observed_wasm_code_len;
} proto_prepare_stats;

/* Worker → host: Result<PrepareWorkerSuccess{checksum, stats}, PrepareError>. */
typedef struct proto_prepare_result {
    bool ok;
    uint8_t checksum[32];           /* ok */
    proto_prepare_stats stats;      /* ok */
    proto_prepare_error error;      /* !ok */
} proto_prepare_result;

void proto_prepare_result_write(scale_writer *w, const proto_prepare_result *m);
bool proto_prepare_result_decode(const uint8_t *in, size_t len, proto_prepare_result *m,
                                 wasm_error *err);

/* Job → prepare worker (pipe): Result<JobResponse{artifact, memory_stats,
 * observed_wasm_code_len}, PrepareError>. */
typedef struct proto_prepare_job_result {
    bool ok;
    scale_bytes artifact;
    proto_memory_stats memory_stats;
    uint32_t observed_wasm_code_len;
    proto_prepare_error error;
} proto_prepare_job_result;

void proto_prepare_job_result_write(scale_writer *w, const proto_prepare_job_result *m);
bool proto_prepare_job_result_decode(const uint8_t *in, size_t len, proto_prepare_job_result *m,
                                     wasm_error *err);

/* ================================================================ execute */

typedef persisted_validation_data proto_pvd;     /* runtime/validation.h */

typedef struct proto_execute_request {
    proto_pvd pvd;
    scale_bytes pov;                /* PoV{block_data}, possibly compressed */
    proto_duration execution_timeout;
    uint8_t artifact_checksum[32];
} proto_execute_request;

void proto_execute_request_write(scale_writer *w, const proto_execute_request *m);
bool proto_execute_request_decode(const uint8_t *in, size_t len, proto_execute_request *m,
                                  wasm_error *err);

typedef enum proto_job_response_kind {
    JOB_RESP_OK = 0,                        /* result */
    JOB_RESP_RUNTIME_CONSTRUCTION = 1,      /* msg */
    JOB_RESP_INVALID_CANDIDATE = 2,         /* msg */
    JOB_RESP_POV_DECOMPRESSION_FAILURE = 3,
    JOB_RESP_CORRUPTED_ARTIFACT = 4,
} proto_job_response_kind;
#define JOB_RESP_COUNT 5

typedef struct proto_job_response {
    proto_job_response_kind kind;
    validation_result result;       /* JOB_RESP_OK; decode allocates its arrays */
    scale_bytes msg;
} proto_job_response;

/* A job's exit code when it ran out of memory (worker/job.h: job_exit_out_of_memory); an execute
 * job's shows as JobError(UnexpectedExitStatus(86)). */
#define PROTO_JOB_EXIT_OUT_OF_MEMORY 86

typedef enum proto_job_error_kind {
    JOB_ERR_TIMED_OUT = 0,
    JOB_ERR_PANIC = 1,                      /* msg */
    JOB_ERR_KERNEL = 2,                     /* msg */
    JOB_ERR_COULD_NOT_SPAWN_THREAD = 3,     /* msg */
    JOB_ERR_CPU_TIME_MONITOR_THREAD = 4,    /* msg */
    JOB_ERR_UNEXPECTED_EXIT_STATUS = 5,     /* exit_status (PROTO_JOB_EXIT_OUT_OF_MEMORY: out of memory) */
} proto_job_error_kind;
#define JOB_ERR_COUNT 6

typedef struct proto_job_error {
    proto_job_error_kind kind;
    scale_bytes msg;
    int32_t exit_status;
} proto_job_error;

typedef enum proto_internal_error_kind {
    INTERNAL_ERR_HOST_COMMUNICATION = 0,            /* msg */
    INTERNAL_ERR_COULD_NOT_CREATE_LINK = 1,         /* msg */
    INTERNAL_ERR_COULD_NOT_OPEN_FILE = 2,           /* msg */
    INTERNAL_ERR_COULD_NOT_CREATE_PIPE = 3,         /* msg */
    INTERNAL_ERR_COULD_NOT_CLEAR_WORKER_DIR = 4,    /* msg (err), path */
    INTERNAL_ERR_KERNEL = 5,                        /* msg */
    INTERNAL_ERR_NON_DETERMINISTIC_PREPARE = 6,     /* prepare_error */
} proto_internal_error_kind;
#define INTERNAL_ERR_COUNT 7

typedef struct proto_internal_error {
    proto_internal_error_kind kind;
    scale_bytes msg;
    bool has_path;
    scale_bytes path;
    proto_prepare_error prepare_error;
} proto_internal_error;

typedef enum proto_worker_error_kind {
    WORKER_ERR_JOB_TIMED_OUT = 0,
    WORKER_ERR_JOB_DIED = 1,            /* msg (err), job_pid */
    WORKER_ERR_JOB_ERROR = 2,           /* job_error */
    WORKER_ERR_INTERNAL = 3,            /* internal */
} proto_worker_error_kind;
#define WORKER_ERR_COUNT 4

typedef struct proto_worker_error {
    proto_worker_error_kind kind;
    scale_bytes msg;
    int32_t job_pid;
    proto_job_error job_error;
    proto_internal_error internal;
} proto_worker_error;

/* Worker → host: Result<WorkerResponse{job_response, duration, pov_size}, WorkerError>. */
typedef struct proto_execute_result {
    bool ok;
    proto_job_response job_response;    /* ok */
    proto_duration duration;            /* ok */
    uint32_t pov_size;                  /* ok */
    proto_worker_error error;           /* !ok */
    uint64_t job_max_rss_kib;           /* pvf's trailer: the job's peak resident memory (ru_maxrss,
                                         * KiB); 0 and absent from the bytes when no job ran */
    scale_bytes runtime_log;            /* pvf's trailer, after it: what the runtime logged
                                         * (pvf_call_result.log); borrowed from the decoded bytes */
} proto_execute_result;

void proto_execute_result_write(scale_writer *w, const proto_execute_result *m);
bool proto_execute_result_decode(const uint8_t *in, size_t len, proto_execute_result *m,
                                 wasm_error *err);
void proto_execute_result_free(proto_execute_result *m);

/* Job → execute worker (pipe): Result<JobResponse, JobError>. */
typedef struct proto_execute_job_result {
    bool ok;
    proto_job_response response;
    proto_job_error error;
    uint64_t max_rss_kib;       /* pvf's trailer: the job's own peak resident memory (getrusage, KiB,
                                 * as the reference's prepare job reports its own); 0: absent */
    scale_bytes runtime_log;    /* pvf's trailer, after it: what the runtime logged; borrowed */
} proto_execute_job_result;

void proto_execute_job_result_write(scale_writer *w, const proto_execute_job_result *m);
bool proto_execute_job_result_decode(const uint8_t *in, size_t len, proto_execute_job_result *m,
                                     wasm_error *err);
void proto_execute_job_result_free(proto_execute_job_result *m);

/* Variant names for logs ("CorruptedArtifact"); "?" for an unknown value. */
const char *proto_job_response_name(proto_job_response_kind kind);
const char *proto_job_error_name(proto_job_error_kind kind);
const char *proto_internal_error_name(proto_internal_error_kind kind);
const char *proto_worker_error_name(proto_worker_error_kind kind);

#endif

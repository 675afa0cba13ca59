/*
 * daemon_protocol.h — what a node and pvfd say to each other over pvfd's Unix socket
 * (docs/PROTOCOL.md, "pvfd"): the same 8-byte length framing as the workers' (frame.c), one
 * SCALE value per frame, decoded strictly (a frame is exactly one value). Shared by the daemon
 * (src/daemon/) and the C client (src/client/); the Go client (clients/go/) speaks it too.
 *
 *   client → pvfd   Hello, then Requests {id, body}, any number in flight
 *   pvfd → client   Welcome or Refused, then one Response {id, body} per request, in any order
 *
 * Decoded values are views into the frame they came from, as in protocol.h.
 */
#ifndef PVF_WIRE_DAEMON_PROTOCOL_H
#define PVF_WIRE_DAEMON_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/scale.h"
#include "wasm/error.h"
#include "wire/protocol.h"

#define PVFD_MAGIC "pvfd"
#define PVFD_PROTOCOL_VERSION 1u
/* The largest frame each side accepts, from the workers' own bounds (protocol.h): a request
 * carries code, a PoV and a parent head as the host takes them; an answer a ValidationResult as
 * the execute worker may send it, or the metrics. */
#define PVFD_MAX_REQUEST (PROTO_MAX_CODE_SIZE + PROTO_MAX_POV_SIZE + PROTO_MAX_HEAD_SIZE + (64u << 10))
#define PVFD_MAX_RESPONSE (PROTO_MAX_EXECUTE_RESPONSE + (64u << 10))

/* ---------------------------------------------------------------- handshake */

typedef struct pvfd_hello {             /* client → pvfd, the first frame */
    uint8_t magic[4];                   /* "pvfd" */
    uint32_t version;                   /* PVFD_PROTOCOL_VERSION */
    scale_bytes client;                 /* who is asking, for the daemon's log */
} pvfd_hello;

typedef struct pvfd_welcome {           /* pvfd → client, the answer */
    bool refused;                       /* then only reason is set */
    uint32_t version;
    scale_bytes pvf_version, engine_version;
    scale_bytes reason;
} pvfd_welcome;

void pvfd_hello_write(scale_writer *w, const pvfd_hello *m);
bool pvfd_hello_decode(const uint8_t *in, size_t len, pvfd_hello *m, wasm_error *err);
void pvfd_welcome_write(scale_writer *w, const pvfd_welcome *m);
bool pvfd_welcome_decode(const uint8_t *in, size_t len, pvfd_welcome *m, wasm_error *err);

/* ---------------------------------------------------------------- requests */

typedef enum pvfd_request_kind {
    PVFD_REQ_PRECHECK = 0,
    PVFD_REQ_EXECUTE = 1,
    PVFD_REQ_HEADS_UP = 2,
    PVFD_REQ_ACTIVE_LEAVES = 3,
    PVFD_REQ_CANCEL = 4,
    PVFD_REQ_STATUS = 5,
    PVFD_REQ_METRICS = 6,
} pvfd_request_kind;
#define PVFD_REQ_COUNT 7

/* An execution, field for field pvf_execute_request (pvf/host.h). */
typedef struct pvfd_execute {
    scale_bytes code, executor_params;  /* executor_params: SCALE ExecutorParams, empty: none */
    scale_bytes parent_head;
    uint32_t relay_parent_number;
    uint8_t relay_parent_storage_root[32];
    uint32_t max_pov_size;
    scale_bytes pov;                    /* the block data as it came, possibly compressed */
    uint8_t kind;                       /* pvf_exec_request_kind */
    uint64_t timeout_ms;                /* 0: the executor params' */
    uint8_t relay_parent[32];
} pvfd_execute;

typedef struct pvfd_request {
    uint64_t id;                        /* the client's; answered with the same id */
    pvfd_request_kind kind;
    /* PRECHECK: code, executor_params; EXECUTE: execute */
    scale_bytes code, executor_params;
    pvfd_execute execute;
    /* HEADS_UP: n pairs (code, executor_params) at `items` (raw SCALE: each a byte vector; read
     * with pvfd_heads_up_item, written as they are) */
    uint32_t n_items;
    const uint8_t *items;
    size_t items_len;
    /* ACTIVE_LEAVES */
    bool has_activated;
    uint8_t activated[32];
    const uint8_t *ancestors, *deactivated;     /* n × 32 bytes each */
    uint32_t n_ancestors, n_deactivated;
    /* CANCEL */
    uint64_t target;
} pvfd_request;

void pvfd_request_write(scale_writer *w, const pvfd_request *m);
bool pvfd_request_decode(const uint8_t *in, size_t len, pvfd_request *m, wasm_error *err);
/* The i-th heads-up item of a decoded request (i < n_items); false when out of range. */
bool pvfd_heads_up_item(const pvfd_request *m, uint32_t i, scale_bytes *code, scale_bytes *executor_params);

/* ---------------------------------------------------------------- responses */

typedef enum pvfd_response_kind {
    PVFD_RESP_PRECHECK = 0,
    PVFD_RESP_EXECUTE = 1,
    PVFD_RESP_DONE = 2,                 /* heads-up, active leaves, cancel: taken */
    PVFD_RESP_CANCELLED = 3,            /* the request was cancelled (reason) */
    PVFD_RESP_STATUS = 4,
    PVFD_RESP_METRICS = 5,
    PVFD_RESP_ERROR = 6,                /* the request could not be taken (message) */
} pvfd_response_kind;
#define PVFD_RESP_COUNT 7

typedef struct pvfd_response {
    uint64_t id;
    pvfd_response_kind kind;
    /* PRECHECK and EXECUTE */
    uint8_t outcome;                    /* pvf_precheck_outcome / pvf_verdict */
    scale_bytes reason, message;        /* also CANCELLED's and ERROR's reason / message */
    uint64_t prepare_cpu_ns, wall_ns;
    bool cached;                        /* PRECHECK */
    scale_bytes result, runtime_log;    /* EXECUTE */
    uint64_t execute_ns;
    uint32_t attempts, preparations;
    /* STATUS */
    scale_bytes pvf_version;
    uint32_t connections, in_flight, execute_workers;
    uint64_t uptime_ms;
    bool secure_mode;
    /* METRICS: the Prometheus text in message */
} pvfd_response;

void pvfd_response_write(scale_writer *w, const pvfd_response *m);
bool pvfd_response_decode(const uint8_t *in, size_t len, pvfd_response *m, wasm_error *err);

#endif

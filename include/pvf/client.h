/*
 * pvf/client.h — a node's side of pvfd (the PVF host as a service, docs/PROTOCOL.md "pvfd"):
 * the same requests and results as pvf/host.h, sent over pvfd's Unix socket instead of run in
 * this process. Answers are the host's objects (pvf_completion, pvf_execute_result,
 * pvf_precheck_result), freed the same way.
 *
 *   pvf_client *c = pvf_client_connect("/run/pvfd/pvfd.sock", "my-node", err, sizeof err);
 *   pvf_execute_result *r = pvf_client_execute(c, &rq, err, sizeof err);   // r->verdict …
 *   pvf_execute_result_free(r);
 *   pvf_client_close(c);
 *
 * Many requests may be in flight: pvf_client_submit_* send one and return its id at once,
 * pvf_client_next waits for the next answer (pvf_client_fd is readable when one may be there).
 * The synchronous calls keep answers to other requests for pvf_client_next. A request pvfd did
 * not take, or cancelled, or could not finish before it stopped, is answered like an internal
 * error of the host: verdict Internal (precheck: Failed), reason "Error" or "Cancelled", the
 * message saying why. One client is used by one thread at a time.
 */
#ifndef PVF_CLIENT_H
#define PVF_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/api.h"
#include "pvf/host.h"

PVF_BEGIN_DECLS

typedef struct pvf_client pvf_client;

/* Connect and greet pvfd (client_name, may be NULL, appears in pvfd's log). NULL with why in err:
 * no pvfd at the path, a peer pvfd refused (its reason), another protocol version. */
PVF_API pvf_client *pvf_client_connect(const char *socket_path, const char *client_name, char *err, size_t errlen);
PVF_API void pvf_client_close(pvf_client *c);      /* NULL is a no-op */
/* The socket, for an event loop: readable when an answer may be waiting. */
PVF_API int pvf_client_fd(const pvf_client *c);

/* Send a request; its id (> 0), or 0 with why in err (the connection is broken). */
PVF_API uint64_t pvf_client_submit_execute(pvf_client *c, const pvf_execute_request *rq, char *err, size_t errlen);
PVF_API uint64_t pvf_client_submit_precheck(pvf_client *c, const uint8_t *code, size_t code_len,
                                            const pvf_executor_params *ep, char *err, size_t errlen);
/* The next answer, waiting up to timeout_ms (-1: as long as it takes): free it with
 * pvf_completion_free. NULL when none came in time (err "") or the connection broke (err says). */
PVF_API pvf_completion *pvf_client_next(pvf_client *c, int timeout_ms, char *err, size_t errlen);

/* Submit and wait for that answer. NULL only when the connection broke (err says why). */
PVF_API pvf_execute_result *pvf_client_execute(pvf_client *c, const pvf_execute_request *rq, char *err,
                                               size_t errlen);
PVF_API pvf_precheck_result *pvf_client_precheck(pvf_client *c, const uint8_t *code, size_t code_len,
                                                 const pvf_executor_params *ep, char *err, size_t errlen);
/* Cancel a request in flight: it is answered at once with reason "Cancelled" (through
 * pvf_client_next) and its verdict, when the host reaches one, dropped. False with why in err
 * (no such request in flight, or a broken connection). */
PVF_API bool pvf_client_cancel(pvf_client *c, uint64_t id, char *err, size_t errlen);
/* pvf_host_heads_up and pvf_host_update_active_leaves, through pvfd. False with why in err. */
PVF_API bool pvf_client_heads_up(pvf_client *c, const pvf_heads_up_item *pvfs, size_t n, char *err, size_t errlen);
PVF_API bool pvf_client_update_active_leaves(pvf_client *c, const uint8_t activated[32],
                                             const uint8_t (*ancestors)[32], size_t n_ancestors,
                                             const uint8_t (*deactivated)[32], size_t n_deactivated, char *err,
                                             size_t errlen);

/* What pvfd says of itself; made by the library (fields may be appended), freed with
 * pvf_client_status_free. */
typedef struct pvf_daemon_status {
    const char *pvf_version;        /* pvfd's release */
    unsigned connections;           /* clients connected now */
    unsigned in_flight;             /* requests being worked on for them */
    unsigned execute_workers;       /* the most execute workers */
    uint64_t uptime_ms;
    bool secure_mode;               /* the sandbox secure validator mode needs is on */
} pvf_daemon_status;
PVF_API pvf_daemon_status *pvf_client_status(pvf_client *c, char *err, size_t errlen);
PVF_API void pvf_client_status_free(pvf_daemon_status *st);
/* The host's metrics in the Prometheus text format (malloc'd: free()); NULL with why in err. */
PVF_API char *pvf_client_metrics(pvf_client *c, char *err, size_t errlen);

PVF_END_DECLS

#endif

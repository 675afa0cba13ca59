/*
 * host_internal.h — what host.c (lifecycle, preparation, precheck) and
 * host_execute.c (execution, verdicts, retries) share: the host record and
 * the preparation step both of them drive.
 */
#ifndef PVF_HOST_HOST_INTERNAL_H
#define PVF_HOST_HOST_INTERNAL_H

#include "pvf/host.h"

#include "host/artifacts.h"
#include "host/worker_interface.h"
#include "runtime/executor_params.h"

struct pvf_host {
    pvf_host_config cfg;            /* strings point at the copies below */
    char *cache_dir, *prepare_path, *execute_path, *node_version, *log_path;
    artifacts *table;
    worker_handle prep;             /* pid -1 when there is none */
    worker_handle exec;
    uint8_t exec_params_hash[32];   /* what exec was spawned for */
    char path_buf[4096];            /* pvf_host_artifact_path's answer */
};

uint64_t host_now_ms(void);

/* How a preparation ended, as the table stores it (the error kind is the
 * PrepareError discriminant). */
typedef struct host_prepare_outcome {
    bool ok;
    proto_prepare_error_kind error_kind;
    char message[512];
    bool deterministic;
    uint64_t cpu_ns;        /* when a preparation ran */
    bool ran;               /* a prepare job ran in this call */
    bool attempted;         /* this call tried to prepare (even if no worker could be spawned) */
} host_prepare_outcome;

/*
 * Make sure `code` under `ep` is Prepared and return its entry (NULL when it
 * is not). `for_precheck`: precheck kind and timeout, and a failed entry is
 * answered as is; otherwise the lenient timeout, Compilation kind, and a
 * failed entry is retried when the retry rule allows it. A Prepared entry
 * whose file vanished is prepared again.
 */
artifact_entry *host_ensure_prepared(pvf_host *h, const uint8_t *code, size_t code_len,
                                     const executor_params *ep, bool for_precheck,
                                     host_prepare_outcome *out);

/* ep, or the empty list when NULL. */
const executor_params *host_params_or_empty(const executor_params *ep);

/* Drop an entry and delete its file (after CorruptedArtifact / RuntimeConstruction). */
void host_remove_artifact(pvf_host *h, artifact_entry *e);

#endif

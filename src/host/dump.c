/*
 * dump.c — what a verdict other than Valid was given for, kept for an operator or a dispute
 * (pvf_host_config.dump_dir, `--dump-dir`; issue 15): one directory per request,
 *
 *   DUMP_DIR/<ms since the epoch>-<code hash, 8 bytes>-<request id>/
 *     code                    the code as it was given (wasm or a compressed blob)
 *     params.scale            the candidate's ValidationParams (an execution)
 *     executor_params.scale   the ExecutorParams it ran under
 *     verdict.json            request, kind, verdict, reason, message, the code hash, timeout,
 *                             attempts
 *     runtime.log             what the runtime logged in the last attempt, when it logged
 *     README                  the one `pvf validate` (or `pvf precheck`) command that replays it
 *
 * Written on the host thread when the request completes: a dump that can't be written is a
 * warning in the host's log, never a change of the verdict.
 */
#define _GNU_SOURCE
#include "host/host_internal.h"
#include "runtime/executor_params.h"
#include "runtime/validation.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool write_encoded(const char *dir, const char *name, scale_writer *sw)
{
    uint8_t *bytes;
    size_t len;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!scale_writer_finish(sw, &bytes, &len))
        return false;
    bool ok = file_write(path, bytes, len);
    free(bytes);
    return ok;
}

static bool write_params(const char *dir, const host_request *r)
{
    validation_params vp = {
        .parent_head = {r->parent_head, r->parent_head_len},
        .block_data = {r->pov, r->pov_len},
        .relay_parent_number = r->relay_parent_number,
    };
    memcpy(vp.relay_parent_storage_root, r->storage_root, 32);
    scale_writer sw;
    scale_writer_init(&sw);
    validation_params_encode(&vp, &sw);
    return write_encoded(dir, "params.scale", &sw);
}

static bool write_verdict(const char *dir, const host_request *r, const char *code_hash)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/verdict.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool exec = r->type == PVF_REQUEST_EXECUTE;
    const char *verdict = exec ? pvf_verdict_name(REQUEST_EXECUTE_RESULT(r)->verdict)
                               : pvf_precheck_outcome_name(REQUEST_PRECHECK_RESULT(r)->outcome);
    fprintf(f, "{\"request\":\"%s\",\"verdict\":", exec ? "execute" : "precheck");
    json_print_string(f, verdict);
    fprintf(f, ",\"reason\":");
    json_print_string(f, exec ? REQUEST_EXECUTE_RESULT(r)->reason : REQUEST_PRECHECK_RESULT(r)->reason);
    fprintf(f, ",\"message\":");
    json_print_string(f, exec ? REQUEST_EXECUTE_RESULT(r)->message : REQUEST_PRECHECK_RESULT(r)->message);
    fprintf(f, ",\"code_hash\":\"0x%s\"", code_hash);
    if (exec)
        fprintf(f, ",\"kind\":\"%s\",\"timeout_ms\":%llu,\"attempts\":%u", host_kind_option(r->kind),
                (unsigned long long)r->timeout_ms, REQUEST_EXECUTE_RESULT(r)->attempts);
    fprintf(f, "}\n");
    return fclose(f) == 0;
}

static bool write_readme(const char *dir, const host_request *r)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/README", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    if (r->type == PVF_REQUEST_EXECUTE)
        fprintf(f, "Replay (in this directory): pvf validate --code code --params params.scale "
                   "--executor-params executor_params.scale --kind %s --exec-timeout-ms %llu\n",
                host_kind_option(r->kind), (unsigned long long)r->timeout_ms);
    else
        fprintf(f, "Replay (in this directory): pvf precheck --code code --executor-params executor_params.scale\n");
    return fclose(f) == 0;
}

static bool write_runtime_log(const char *dir, const host_request *r)
{
    const char *log = r->type == PVF_REQUEST_EXECUTE ? REQUEST_EXECUTE_RESULT(r)->runtime_log : "";
    if (!log[0])
        return true;
    char path[4200];
    snprintf(path, sizeof path, "%s/runtime.log", dir);
    return file_write(path, (const uint8_t *)log, strlen(log));
}

static bool write_executor_params(const char *dir, const host_request *r)
{
    scale_writer sw;
    scale_writer_init(&sw);
    executor_params_encode(&r->ep, &sw);
    return write_encoded(dir, "executor_params.scale", &sw);
}

void host_dump(pvf_host *h, const host_request *r)
{
    bool exec = r->type == PVF_REQUEST_EXECUTE;
    if (!h->cfg.dump_dir || (exec ? REQUEST_EXECUTE_RESULT(r)->verdict == PVF_VERDICT_VALID
                                  : REQUEST_PRECHECK_RESULT(r)->outcome == PVF_PRECHECK_VALID))
        return;
    char hash[65], dir[4096];
    for (int i = 0; i < 32; i++)
        snprintf(hash + 2 * i, 3, "%02x", r->aid.code_hash[i]);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(dir, sizeof dir, "%s/%lld%03ld-%.16s-%llu", h->cfg.dump_dir, (long long)now.tv_sec,
             now.tv_nsec / 1000000, hash, (unsigned long long)r->id);
    char code_path[4200];
    snprintf(code_path, sizeof code_path, "%s/code", dir);
    bool ok = (mkdir(h->cfg.dump_dir, 0755) == 0 || errno == EEXIST) && mkdir(dir, 0755) == 0 &&
              file_write(code_path, r->code, r->code_len) && (!exec || write_params(dir, r)) &&
              write_executor_params(dir, r) && write_verdict(dir, r, hash) && write_runtime_log(dir, r) && write_readme(dir, r);
    if (!ok)
        host_log(h, PVF_LOG_WARNING, "cannot write the dump %s: %s", dir, strerror(errno));
}

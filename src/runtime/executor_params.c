/* executor_params.c — ExecutorParams codec, checks, hashes, human form (see executor_params.h). */
#include "runtime/executor_params.h"
#include "util/errmsg.h"
#include "util/vec.h"

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ list */

void executor_params_init(executor_params *ep)
{
    memset(ep, 0, sizeof *ep);
}

void executor_params_free(executor_params *ep)
{
    free(ep->items);
    executor_params_init(ep);
}

bool executor_params_push(executor_params *ep, executor_param p)
{
    if (!vec_reserve((void **)&ep->items, &ep->cap, ep->count + 1, sizeof *ep->items, 8))
        return false;
    ep->items[ep->count++] = p;
    return true;
}

bool executor_params_copy(executor_params *dst, const executor_params *src)
{
    executor_params_init(dst);
    for (size_t i = 0; src && i < src->count; i++)
        if (!executor_params_push(dst, src->items[i]))
            return false;
    return true;
}

/* The reference's name of a param: timeouts are named by their kind, as in check_consistency. */
static const char *param_ident(const executor_param *p)
{
    switch (p->kind) {
    case EXEC_PARAM_MAX_MEMORY_PAGES: return "MaxMemoryPages";
    case EXEC_PARAM_STACK_LOGICAL_MAX: return "StackLogicalMax";
    case EXEC_PARAM_STACK_NATIVE_MAX: return "StackNativeMax";
    case EXEC_PARAM_PRECHECKING_MAX_MEMORY: return "PrecheckingMaxMemory";
    case EXEC_PARAM_PVF_PREP_TIMEOUT:
        return p->timeout_kind == PVF_PREP_PRECHECK ? "PvfPrepKind::Precheck" : "PvfPrepKind::Prepare";
    case EXEC_PARAM_PVF_EXEC_TIMEOUT:
        return p->timeout_kind == PVF_EXEC_BACKING ? "PvfExecKind::Backing" : "PvfExecKind::Approval";
    case EXEC_PARAM_WASM_EXT_BULK_MEMORY: return "WasmExtBulkMemory";
    }
    return "?";
}

/* ----------------------------------------------------------------- SCALE */

static bool read_param(scale_reader *r, executor_param *p)
{
    size_t at = scale_offset(r);
    uint8_t index;
    uint32_t v32;
    if (!scale_read_variant(r, &index))
        return false;
    memset(p, 0, sizeof *p);
    p->kind = (executor_param_kind)index;
    switch (index) {
    case EXEC_PARAM_MAX_MEMORY_PAGES:
    case EXEC_PARAM_STACK_LOGICAL_MAX:
    case EXEC_PARAM_STACK_NATIVE_MAX:
        if (!scale_read_u32(r, &v32))
            return false;
        p->value = v32;
        return true;
    case EXEC_PARAM_PRECHECKING_MAX_MEMORY:
        return scale_read_u64(r, &p->value);
    case EXEC_PARAM_PVF_PREP_TIMEOUT:
    case EXEC_PARAM_PVF_EXEC_TIMEOUT:
        if (!scale_read_variant(r, &p->timeout_kind))
            return false;
        if (p->timeout_kind > 1)
            return scale_fail_at(r, scale_offset(r) - 1, "invalid %s: variant %u",
                                 index == EXEC_PARAM_PVF_PREP_TIMEOUT ? "PvfPrepKind" : "PvfExecKind",
                                 p->timeout_kind);
        return scale_read_u64(r, &p->value);
    case EXEC_PARAM_WASM_EXT_BULK_MEMORY:
        return true;
    default:
        return scale_fail_at(r, at, "invalid ExecutorParam: variant %u", index);
    }
}

static bool decode(const uint8_t *in, size_t len, executor_params *ep, size_t *consumed, bool whole,
                   wasm_error *err)
{
    scale_reader r;
    uint32_t n;
    scale_reader_init(&r, in, len, err);
    executor_params_init(ep);
    /* the smallest param (WasmExtBulkMemory) is one byte */
    if (!scale_read_vec_len(&r, 1, UINT32_MAX, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        executor_param p;
        if (!read_param(&r, &p))
            goto fail;
        if (!executor_params_push(ep, p)) {
            scale_fail(&r, "out of memory for %u executor params", n);
            goto fail;
        }
    }
    if (whole && !scale_expect_end(&r))
        goto fail;
    if (consumed)
        *consumed = scale_offset(&r);
    return true;
fail:
    executor_params_free(ep);
    return false;
}

bool executor_params_decode(const uint8_t *in, size_t len, executor_params *ep, size_t *consumed,
                            wasm_error *err)
{
    return decode(in, len, ep, consumed, false, err);
}

bool executor_params_decode_all(const uint8_t *in, size_t len, executor_params *ep,
                                wasm_error *err)
{
    return decode(in, len, ep, NULL, true, err);
}

void executor_param_encode(const executor_param *p, scale_writer *w)
{
    scale_write_u8(w, (uint8_t)p->kind);
    switch (p->kind) {
    case EXEC_PARAM_MAX_MEMORY_PAGES:
    case EXEC_PARAM_STACK_LOGICAL_MAX:
    case EXEC_PARAM_STACK_NATIVE_MAX:
        scale_write_u32(w, (uint32_t)p->value);
        break;
    case EXEC_PARAM_PRECHECKING_MAX_MEMORY:
        scale_write_u64(w, p->value);
        break;
    case EXEC_PARAM_PVF_PREP_TIMEOUT:
    case EXEC_PARAM_PVF_EXEC_TIMEOUT:
        scale_write_u8(w, p->timeout_kind);
        scale_write_u64(w, p->value);
        break;
    case EXEC_PARAM_WASM_EXT_BULK_MEMORY:
        break;
    }
}

void executor_params_encode(const executor_params *ep, scale_writer *w)
{
    scale_write_compact(w, ep->count);
    for (size_t i = 0; i < ep->count; i++)
        executor_param_encode(&ep->items[i], w);
}

/* ---------------------------------------------------------------- hashes */

static bool blake2b_256(const uint8_t *bytes, size_t len, uint8_t out[32])
{
    return crypto_generichash(out, 32, bytes, len, NULL, 0) == 0;
}

bool executor_params_hash(const executor_params *ep, uint8_t out[32])
{
    scale_writer w;
    uint8_t *bytes;
    size_t len;
    scale_writer_init(&w);
    executor_params_encode(ep, &w);
    if (!scale_writer_finish(&w, &bytes, &len))
        return false;
    bool ok = blake2b_256(bytes, len, out);
    free(bytes);
    return ok;
}

/* Params that change the prepared artifact (the reference's prep_hash whitelist). */
static bool affects_artifact(executor_param_kind kind)
{
    return kind == EXEC_PARAM_MAX_MEMORY_PAGES || kind == EXEC_PARAM_STACK_LOGICAL_MAX ||
           kind == EXEC_PARAM_WASM_EXT_BULK_MEMORY;
}

bool executor_params_prep_hash(const executor_params *ep, uint8_t out[32])
{
    scale_writer w;
    uint8_t *bytes;
    size_t len;
    scale_writer_init(&w);
    scale_write_raw(&w, "prep", 4);
    for (size_t i = 0; i < ep->count; i++)
        if (affects_artifact(ep->items[i].kind))
            executor_param_encode(&ep->items[i], &w);
    if (!scale_writer_finish(&w, &bytes, &len))
        return false;
    bool ok = blake2b_256(bytes, len, out);
    free(bytes);
    return ok;
}

/* ----------------------------------------------------------- consistency */

static executor_params_check_result report(executor_params_check_result res, char *msg,
                                           size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static executor_params_check_result report(executor_params_check_result res, char *msg,
                                           size_t msglen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vset(msg, msglen, fmt, ap);
    va_end(ap);
    return res;
}

/* The first earlier param with the same ident (timeouts: same kind too), or NULL. */
static const executor_param *earlier_same(const executor_params *ep, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ep->items[j].kind == ep->items[i].kind &&
            ep->items[j].timeout_kind == ep->items[i].timeout_kind)
            return &ep->items[j];
    return NULL;
}

/* The value of the (unique, once checked) param of this kind, or `dflt`. */
static uint64_t value_or(const executor_params *ep, executor_param_kind kind, uint8_t timeout_kind,
                         uint64_t dflt)
{
    for (size_t i = 0; i < ep->count; i++)
        if (ep->items[i].kind == kind && ep->items[i].timeout_kind == timeout_kind)
            return ep->items[i].value;
    return dflt;
}

static executor_params_check_result check_range(const executor_param *p, char *msg, size_t msglen)
{
    uint64_t v = p->value, lo, hi;
    switch (p->kind) {
    case EXEC_PARAM_MAX_MEMORY_PAGES: lo = 1, hi = EXEC_MEMORY_PAGES_MAX; break;
    case EXEC_PARAM_STACK_LOGICAL_MAX: lo = EXEC_LOGICAL_MAX_LO, hi = EXEC_LOGICAL_MAX_HI; break;
    case EXEC_PARAM_PRECHECKING_MAX_MEMORY:
        lo = EXEC_PRECHECK_MEM_MAX_LO, hi = EXEC_PRECHECK_MEM_MAX_HI;
        break;
    default: return EXEC_PARAMS_OK;     /* the others have no limits */
    }
    if (v < lo || v > hi)
        return report(EXEC_PARAMS_OUTSIDE_LIMIT, msg, msglen,
                      "executor parameter %s outside its limits: %" PRIu64 " not in %" PRIu64
                      "..=%" PRIu64, param_ident(p), v, lo, hi);
    return EXEC_PARAMS_OK;
}

executor_params_check_result executor_params_check(const executor_params *ep, char *msg,
                                                   size_t msglen)
{
    for (size_t i = 0; i < ep->count; i++) {
        const executor_param *p = &ep->items[i];
        if (earlier_same(ep, i))
            return report(EXEC_PARAMS_DUPLICATED, msg, msglen, "duplicated executor parameter %s",
                          param_ident(p));
        executor_params_check_result res = check_range(p, msg, msglen);
        if (res != EXEC_PARAMS_OK)
            return res;
    }

    uint64_t logical = value_or(ep, EXEC_PARAM_STACK_LOGICAL_MAX, 0, PVF_REF_LOGICAL_STACK_MAX);
    uint64_t native = value_or(ep, EXEC_PARAM_STACK_NATIVE_MAX, 0, PVF_REF_NATIVE_STACK_MAX);
    if (native < 128 * logical)
        return report(EXEC_PARAMS_INCOMPATIBLE, msg, msglen,
                      "incompatible executor parameters StackLogicalMax and StackNativeMax: "
                      "native %" PRIu64 " < 128 * logical %" PRIu64, native, logical);

    uint64_t precheck = value_or(ep, EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PRECHECK,
                                 PVF_REF_PRECHECK_PREP_TIMEOUT_MS);
    uint64_t prepare = value_or(ep, EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PREPARE,
                                PVF_REF_LENIENT_PREP_TIMEOUT_MS);
    if (precheck >= prepare)
        return report(EXEC_PARAMS_INCOMPATIBLE, msg, msglen,
                      "incompatible executor parameters PvfPrepKind::Precheck and "
                      "PvfPrepKind::Prepare: precheck %" PRIu64 " ms >= prepare %" PRIu64 " ms",
                      precheck, prepare);

    uint64_t backing = value_or(ep, EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_BACKING,
                                PVF_REF_BACKING_EXEC_TIMEOUT_MS);
    uint64_t approval = value_or(ep, EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_APPROVAL,
                                 PVF_REF_APPROVAL_EXEC_TIMEOUT_MS);
    if (backing >= approval)
        return report(EXEC_PARAMS_INCOMPATIBLE, msg, msglen,
                      "incompatible executor parameters PvfExecKind::Backing and "
                      "PvfExecKind::Approval: backing %" PRIu64 " ms >= approval %" PRIu64 " ms",
                      backing, approval);

    return report(EXEC_PARAMS_OK, msg, msglen, "consistent");
}

/* --------------------------------------------------------------- getters */

/* The last param of this kind (params_to_wasmtime_semantics overrides in order), or NULL. */
static const executor_param *last_of(const executor_params *ep, executor_param_kind kind)
{
    for (size_t i = ep->count; i-- > 0;)
        if (ep->items[i].kind == kind)
            return &ep->items[i];
    return NULL;
}

uint32_t executor_params_heap_max_pages(const executor_params *ep)
{
    const executor_param *p = last_of(ep, EXEC_PARAM_MAX_MEMORY_PAGES);
    if (!p)
        return PVF_REF_HEAP_MAX_PAGES;
    uint64_t pages = p->value + PVF_REF_HEAP_PAGES_ESTIMATE;     /* saturating_add on u32 */
    return pages > UINT32_MAX ? UINT32_MAX : (uint32_t)pages;
}

uint32_t executor_params_stack_logical_max(const executor_params *ep)
{
    const executor_param *p = last_of(ep, EXEC_PARAM_STACK_LOGICAL_MAX);
    return p ? (uint32_t)p->value : PVF_REF_LOGICAL_STACK_MAX;
}

uint32_t executor_params_stack_native_max(const executor_params *ep)
{
    const executor_param *p = last_of(ep, EXEC_PARAM_STACK_NATIVE_MAX);
    return p ? (uint32_t)p->value : PVF_REF_NATIVE_STACK_MAX;
}

bool executor_params_bulk_memory(const executor_params *ep)
{
    return last_of(ep, EXEC_PARAM_WASM_EXT_BULK_MEMORY) != NULL;
}

bool executor_params_prechecking_max_memory(const executor_params *ep, uint64_t *bytes)
{
    for (size_t i = 0; i < ep->count; i++)
        if (ep->items[i].kind == EXEC_PARAM_PRECHECKING_MAX_MEMORY) {
            *bytes = ep->items[i].value;
            return true;
        }
    return false;
}

uint64_t executor_params_prep_timeout_ms(const executor_params *ep, pvf_prep_kind kind)
{
    return value_or(ep, EXEC_PARAM_PVF_PREP_TIMEOUT, (uint8_t)kind,
                    kind == PVF_PREP_PRECHECK ? PVF_REF_PRECHECK_PREP_TIMEOUT_MS
                                              : PVF_REF_LENIENT_PREP_TIMEOUT_MS);
}

uint64_t executor_params_exec_timeout_ms(const executor_params *ep, pvf_exec_kind kind)
{
    return value_or(ep, EXEC_PARAM_PVF_EXEC_TIMEOUT, (uint8_t)kind,
                    kind == PVF_EXEC_BACKING ? PVF_REF_BACKING_EXEC_TIMEOUT_MS
                                             : PVF_REF_APPROVAL_EXEC_TIMEOUT_MS);
}

/* ------------------------------------------------------------ human form */

/* The names of the human form, with each param's kind, sub-kind and value range. */
static const struct human_name {
    const char *name;
    executor_param_kind kind;
    uint8_t timeout_kind;
    uint64_t max;           /* 0: takes no value */
} human_names[] = {
    {"MaxMemoryPages", EXEC_PARAM_MAX_MEMORY_PAGES, 0, UINT32_MAX},
    {"StackLogicalMax", EXEC_PARAM_STACK_LOGICAL_MAX, 0, UINT32_MAX},
    {"StackNativeMax", EXEC_PARAM_STACK_NATIVE_MAX, 0, UINT32_MAX},
    {"PrecheckingMaxMemory", EXEC_PARAM_PRECHECKING_MAX_MEMORY, 0, UINT64_MAX},
    {"PvfPrepTimeout.Precheck", EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PRECHECK, UINT64_MAX},
    {"PvfPrepTimeout.Prepare", EXEC_PARAM_PVF_PREP_TIMEOUT, PVF_PREP_PREPARE, UINT64_MAX},
    {"PvfExecTimeout.Backing", EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_BACKING, UINT64_MAX},
    {"PvfExecTimeout.Approval", EXEC_PARAM_PVF_EXEC_TIMEOUT, PVF_EXEC_APPROVAL, UINT64_MAX},
    {"WasmExtBulkMemory", EXEC_PARAM_WASM_EXT_BULK_MEMORY, 0, 0},
};
#define N_HUMAN_NAMES (sizeof human_names / sizeof human_names[0])

static const struct human_name *find_name(const char *name, size_t len)
{
    for (size_t i = 0; i < N_HUMAN_NAMES; i++)
        if (strlen(human_names[i].name) == len && memcmp(human_names[i].name, name, len) == 0)
            return &human_names[i];
    return NULL;
}

static const struct human_name *name_of(const executor_param *p)
{
    for (size_t i = 0; i < N_HUMAN_NAMES; i++)
        if (human_names[i].kind == p->kind && human_names[i].timeout_kind == p->timeout_kind)
            return &human_names[i];
    return NULL;
}

/* A decimal integer of exactly `len` characters, at most `max`. */
static bool parse_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* One "Name" or "Name=value" item at column `col` (1-based, for messages). */
static bool parse_item(const char *item, size_t len, size_t col, executor_params *ep, char *msg,
                       size_t msglen)
{
    const char *eq = memchr(item, '=', len);
    const char *name = item, *value = NULL;
    size_t name_len = eq ? (size_t)(eq - item) : len, value_len = 0;
    trim(&name, &name_len);
    if (eq) {
        value = eq + 1;
        value_len = (size_t)(item + len - value);
        trim(&value, &value_len);
    }
    const struct human_name *h = find_name(name, name_len);
    if (!h) {
        snprintf(msg, msglen,
                 "column %zu: unknown executor parameter \"%.*s\" (known: MaxMemoryPages, "
                 "StackLogicalMax, StackNativeMax, PrecheckingMaxMemory, PvfPrepTimeout.Precheck, "
                 "PvfPrepTimeout.Prepare, PvfExecTimeout.Backing, PvfExecTimeout.Approval, "
                 "WasmExtBulkMemory)", col, (int)name_len, name);
        return false;
    }
    executor_param p = {.kind = h->kind, .timeout_kind = h->timeout_kind, .value = 0};
    if (h->max == 0 && eq) {
        snprintf(msg, msglen, "column %zu: %s takes no value", col, h->name);
        return false;
    }
    if (h->max != 0 && !eq) {
        snprintf(msg, msglen, "column %zu: %s needs a value: %s=N", col, h->name, h->name);
        return false;
    }
    if (h->max != 0 && !parse_decimal(value, value_len, h->max, &p.value)) {
        snprintf(msg, msglen, "column %zu: invalid value \"%.*s\" for %s: expected a decimal "
                 "integer in 0..=%" PRIu64, col, (int)value_len, value, h->name, h->max);
        return false;
    }
    if (!executor_params_push(ep, p)) {
        snprintf(msg, msglen, "out of memory");
        return false;
    }
    return true;
}

bool executor_params_parse(const char *text, executor_params *ep, char *msg, size_t msglen)
{
    executor_params_init(ep);
    const char *s = text;
    size_t all = strlen(text);
    trim(&s, &all);
    if (all == 0)
        return true;
    for (const char *item = text;;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        if (!parse_item(item, len, (size_t)(item - text) + 1, ep, msg, msglen)) {
            executor_params_free(ep);
            return false;
        }
        if (!comma)
            return true;
        item = comma + 1;
    }
}

size_t executor_params_format(const executor_params *ep, char *buf, size_t size)
{
    size_t n = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < ep->count; i++) {
        const executor_param *p = &ep->items[i];
        const struct human_name *h = name_of(p);
        const char *sep = i ? "," : "";
        char item[64];
        if (!h)
            snprintf(item, sizeof item, "%s?%d", sep, (int)p->kind);
        else if (h->max == 0)
            snprintf(item, sizeof item, "%s%s", sep, h->name);
        else
            snprintf(item, sizeof item, "%s%s=%" PRIu64, sep, h->name, p->value);
        size_t len = strlen(item);
        if (n < size)
            snprintf(buf + n, size - n, "%s", item);
        n += len;
    }
    return n;
}

/*
 * metrics.c — the PVF host's metrics registry and its Prometheus text rendering.
 *
 * A static table describes every metric family (name, help, type, optional label with
 * its fixed set of values, bucket bounds); the registry is just an array of atomic cells
 * indexed by (family, label value). Counters use cell 0 of a series; a histogram keeps
 * one non-cumulative count per bucket plus an overflow count, and renders them
 * cumulatively, so `le="+Inf"` and `_count` are the same number by construction.
 *
 * Names, help texts and buckets are the reference's (see metrics.h), so dashboards
 * written for the reference work unchanged.
 */
#include "host/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOUNDS 15     /* the longest bucket list of the reference */
#define MAX_SERIES 13     /* the most label values of one family (PrepareError's 13) */

enum family_type { COUNTER, GAUGE, HISTOGRAM };

struct family {
    const char *name;
    const char *help;
    enum family_type type;
    const char *label;                  /* NULL: a single unlabelled series */
    const char *const *label_values;
    size_t series;                      /* 1 when unlabelled */
    const double *bounds;               /* histograms only, strictly increasing */
    size_t nbounds;
};

/* ---- bucket lists (reference-behaviour.md §7) ---- */

/* Synchronised upstream with the 60 s precheck and 360 s lenient prepare timeouts. */
static const double preparation_time_bounds[] = {
    0.1, 0.5, 1, 2, 3, 10, 20, 30, 60, 120, 240, 360, 480,
};
/* Synchronised upstream with the 2 s backing and 12 s approval execution timeouts. */
static const double execution_time_bounds[] = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12,
};
static const double execution_queued_time_bounds[] = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 12, 24, 48,
};
/* exponential_buckets(8192, 2, 10), KiB. */
static const double memory_kib_bounds[] = {
    8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304,
};
/* exponential_buckets(16384, 2, 10), bytes. */
static const double size_bytes_bounds[] = {
    16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608,
};
/* The Prometheus clients' DEFAULT_BUCKETS, used by the reference's timers without buckets. */
static const double default_bounds[] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* ---- label values, in enum order ---- */

static const char *const flavor_values[] = { "prepare", "execute" };
static const char *const compressed_values[] = { "true", "false" };
static const char *const priority_values[] = {
    "dispute", "approval", "backing_system_paras", "backing",
};
static const char *const validity_values[] = { "valid", "invalid", "validation failure" };
/* pvf's own families (beyond the reference: its §11 "Observability"). */
static const char *const prepare_error_values[] = {   /* PrepareError, in codec-index order */
    "Prevalidation", "Preparation", "RuntimeConstruction", "JobError", "TimedOut", "IoErr",
    "CreateTmpFile", "RenameTmpFile", "OutOfMemory", "ClearWorkerDir", "JobDied", "Kernel",
    "CouldNotDecompressCodeBlob",
};
static const char *const verdict_values[] = {         /* pvf_verdict order */
    "Valid", "Invalid", "PossiblyInvalid", "Preparation", "Internal", "ExecutionDeadline",
};
static const char *const layer_values[] = {           /* enum metrics_sandbox_layer order */
    "landlock", "seccomp", "userns_pivot_root", "job_clone", "secure_mode",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define PLAIN_COUNTER(nm, hp) { nm, hp, COUNTER, NULL, NULL, 1, NULL, 0 }
#define LABELLED_COUNTER(nm, hp, lb, vals) { nm, hp, COUNTER, lb, vals, N(vals), NULL, 0 }
#define LABELLED_GAUGE(nm, hp, lb, vals) { nm, hp, GAUGE, lb, vals, N(vals), NULL, 0 }
#define PLAIN_HISTOGRAM(nm, hp, bnds) { nm, hp, HISTOGRAM, NULL, NULL, 1, bnds, N(bnds) }
#define LABELLED_HISTOGRAM(nm, hp, lb, vals, bnds) { nm, hp, HISTOGRAM, lb, vals, N(vals), bnds, N(bnds) }

enum family_id {
    F_WORKER_SPAWNING, F_WORKER_SPAWNED, F_WORKER_RETIRED,
    F_PREPARE_ENQUEUED, F_PREPARE_CONCLUDED, F_EXECUTE_ENQUEUED, F_EXECUTE_FINISHED,
    F_PREPARATION_TIME, F_EXECUTION_TIME, F_EXECUTION_QUEUED_TIME,
    F_PREPARATION_MAX_RSS,
    F_PREPARATION_PEAK_TRACKED_ALLOCATION,
    F_POV_SIZE, F_CODE_SIZE,
    F_EXEC_KIND_SELECTED,
    F_VALIDATION_REQUESTS, F_VALIDATE_FROM_EXHAUSTIVE, F_VALIDATE_CANDIDATE_EXHAUSTIVE,
    F_PREPARATION_FAILURES, F_EXECUTION_VERDICTS, F_CHECKSUM_MISMATCHES, F_SANDBOX_LAYER,
    F_WORKER_RSS, F_EXECUTION_MAX_RSS,
    F_COUNT
};

static const struct family families[F_COUNT] = {
    [F_WORKER_SPAWNING] = LABELLED_COUNTER("polkadot_pvf_worker_spawning",
        "The total number of workers began to spawn", "flavor", flavor_values),
    [F_WORKER_SPAWNED] = LABELLED_COUNTER("polkadot_pvf_worker_spawned",
        "The total number of workers spawned successfully", "flavor", flavor_values),
    [F_WORKER_RETIRED] = LABELLED_COUNTER("polkadot_pvf_worker_retired",
        "The total number of workers retired, either killed by the host or died on duty",
        "flavor", flavor_values),
    [F_PREPARE_ENQUEUED] = PLAIN_COUNTER("polkadot_pvf_prepare_enqueued",
        "The total number of jobs enqueued into the preparation pipeline"),
    [F_PREPARE_CONCLUDED] = PLAIN_COUNTER("polkadot_pvf_prepare_concluded",
        "The total number of jobs concluded in the preparation pipeline"),
    [F_EXECUTE_ENQUEUED] = PLAIN_COUNTER("polkadot_pvf_execute_enqueued",
        "The total number of jobs enqueued into the execution pipeline"),
    [F_EXECUTE_FINISHED] = PLAIN_COUNTER("polkadot_pvf_execute_finished",
        "The total number of jobs done in the execution pipeline"),
    [F_PREPARATION_TIME] = PLAIN_HISTOGRAM("polkadot_pvf_preparation_time",
        "Time spent in preparing PVF artifacts in seconds", preparation_time_bounds),
    [F_EXECUTION_TIME] = PLAIN_HISTOGRAM("polkadot_pvf_execution_time",
        "Time spent in executing PVFs", execution_time_bounds),
    [F_EXECUTION_QUEUED_TIME] = PLAIN_HISTOGRAM("polkadot_pvf_execution_queued_time",
        "Time spent in queue waiting for PVFs execution job to be assigned",
        execution_queued_time_bounds),
    [F_PREPARATION_MAX_RSS] = PLAIN_HISTOGRAM("polkadot_pvf_preparation_max_rss",
        "ru_maxrss (maximum resident set size) observed for preparation (in kilobytes)",
        memory_kib_bounds),
    [F_PREPARATION_PEAK_TRACKED_ALLOCATION] = PLAIN_HISTOGRAM(
        "polkadot_pvf_preparation_peak_tracked_allocation",
        "peak allocation observed for preparation (in kilobytes)", memory_kib_bounds),
    [F_POV_SIZE] = LABELLED_HISTOGRAM("polkadot_parachain_candidate_validation_pov_size",
        "The compressed and decompressed size of the proof of validity of a candidate",
        "compressed", compressed_values, size_bytes_bounds),
    [F_CODE_SIZE] = PLAIN_HISTOGRAM("polkadot_parachain_candidate_validation_code_size",
        "The size of the decompressed WASM validation blob used for checking a candidate",
        size_bytes_bounds),
    [F_EXEC_KIND_SELECTED] = LABELLED_COUNTER("polkadot_pvf_exec_kind_selected",
        "The total number of selected execute kinds", "priority", priority_values),
    [F_VALIDATION_REQUESTS] = LABELLED_COUNTER("polkadot_parachain_validation_requests_total",
        "Number of validation requests served.", "validity", validity_values),
    [F_VALIDATE_FROM_EXHAUSTIVE] = PLAIN_HISTOGRAM(
        "polkadot_parachain_candidate_validation_validate_from_exhaustive",
        "Time spent within `candidate_validation::validate_from_exhaustive`", default_bounds),
    [F_VALIDATE_CANDIDATE_EXHAUSTIVE] = PLAIN_HISTOGRAM(
        "polkadot_parachain_candidate_validation_validate_candidate_exhaustive",
        "Time spent within `candidate_validation::validate_candidate_exhaustive`",
        default_bounds),
    [F_PREPARATION_FAILURES] = LABELLED_COUNTER("pvf_preparation_failures_total",
        "Preparations that failed, by PrepareError", "error", prepare_error_values),
    [F_EXECUTION_VERDICTS] = LABELLED_COUNTER("pvf_execution_verdicts_total",
        "Execution requests answered, by verdict class", "verdict", verdict_values),
    [F_CHECKSUM_MISMATCHES] = PLAIN_COUNTER("pvf_artifact_checksum_mismatches_total",
        "Executions refused because the artifact's checksum did not match (CorruptedArtifact)"),
    [F_SANDBOX_LAYER] = LABELLED_GAUGE("pvf_sandbox_layer_available",
        "1 when the start-up check found the sandbox layer working (secure_mode: secure mode could start)",
        "layer", layer_values),
    [F_WORKER_RSS] = LABELLED_HISTOGRAM("pvf_worker_rss",
        "Resident memory of a worker after each of its jobs (VmRSS, in kilobytes)", "flavor", flavor_values,
        memory_kib_bounds),
    [F_EXECUTION_MAX_RSS] = PLAIN_HISTOGRAM("pvf_execution_max_rss",
        "ru_maxrss (maximum resident set size) observed for an execute job (in kilobytes)", memory_kib_bounds),
};

/* One series: a counter's value in counts[0]; a histogram's per-bucket counts in
 * counts[0..nbounds) and the overflow (above the last bound, or NaN) in counts[nbounds]. */
struct series {
    _Atomic uint64_t counts[MAX_BOUNDS + 1];
    _Atomic double sum;
};

struct metrics {
    struct series series[F_COUNT][MAX_SERIES];
};

metrics *metrics_new(void)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    for (size_t f = 0; f < F_COUNT; f++)
        for (size_t s = 0; s < MAX_SERIES; s++)
            atomic_init(&m->series[f][s].sum, 0.0);
    return m;
}

void metrics_free(metrics *m)
{
    free(m);
}

/* ---- recording ---- */

static void set_gauge(metrics *m, enum family_id f, size_t label, uint64_t v)
{
    if (!m || label >= families[f].series)
        return;
    atomic_store_explicit(&m->series[f][label].counts[0], v, memory_order_relaxed);
}

static void count(metrics *m, enum family_id f, size_t label)
{
    if (!m || label >= families[f].series)
        return;
    atomic_fetch_add_explicit(&m->series[f][label].counts[0], 1, memory_order_relaxed);
}

/* Index of the first bucket whose upper bound (inclusive, Prometheus' `le`) holds v. */
static size_t bucket_of(const struct family *fam, double v)
{
    size_t i = 0;
    while (i < fam->nbounds && !(v <= fam->bounds[i]))
        i++;
    return i;
}

static void add_to_sum(_Atomic double *sum, double v)
{
    double old = atomic_load_explicit(sum, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(sum, &old, old + v,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static void observe(metrics *m, enum family_id f, size_t label, double v)
{
    if (!m || label >= families[f].series)
        return;
    struct series *s = &m->series[f][label];
    atomic_fetch_add_explicit(&s->counts[bucket_of(&families[f], v)], 1, memory_order_relaxed);
    add_to_sum(&s->sum, v);
}

void metrics_worker_spawning(metrics *m, enum metrics_worker_flavor flavor) { count(m, F_WORKER_SPAWNING, flavor); }
void metrics_worker_spawned(metrics *m, enum metrics_worker_flavor flavor) { count(m, F_WORKER_SPAWNED, flavor); }
void metrics_worker_retired(metrics *m, enum metrics_worker_flavor flavor) { count(m, F_WORKER_RETIRED, flavor); }
void metrics_worker_rss(metrics *m, enum metrics_worker_flavor flavor, uint64_t kib)
{
    observe(m, F_WORKER_RSS, flavor, (double)kib);
}
void metrics_execution_max_rss(metrics *m, uint64_t kib) { observe(m, F_EXECUTION_MAX_RSS, 0, (double)kib); }

void metrics_prepare_enqueued(metrics *m) { count(m, F_PREPARE_ENQUEUED, 0); }
void metrics_prepare_concluded(metrics *m) { count(m, F_PREPARE_CONCLUDED, 0); }
void metrics_execute_enqueued(metrics *m) { count(m, F_EXECUTE_ENQUEUED, 0); }
void metrics_execute_finished(metrics *m) { count(m, F_EXECUTE_FINISHED, 0); }

void metrics_preparation_time(metrics *m, double seconds) { observe(m, F_PREPARATION_TIME, 0, seconds); }
void metrics_execution_time(metrics *m, double seconds) { observe(m, F_EXECUTION_TIME, 0, seconds); }
void metrics_execution_queued_time(metrics *m, double seconds) { observe(m, F_EXECUTION_QUEUED_TIME, 0, seconds); }

void metrics_preparation_max_rss(metrics *m, uint64_t kib) { observe(m, F_PREPARATION_MAX_RSS, 0, (double)kib); }
void metrics_preparation_peak_tracked_allocation(metrics *m, uint64_t kib)
{
    observe(m, F_PREPARATION_PEAK_TRACKED_ALLOCATION, 0, (double)kib);
}

/* Label values are listed "true" first, so compressed maps to series 0. */
void metrics_pov_size(metrics *m, uint64_t bytes, bool compressed)
{
    observe(m, F_POV_SIZE, compressed ? 0 : 1, (double)bytes);
}
void metrics_code_size(metrics *m, uint64_t bytes) { observe(m, F_CODE_SIZE, 0, (double)bytes); }

void metrics_exec_kind_selected(metrics *m, enum metrics_exec_priority priority) { count(m, F_EXEC_KIND_SELECTED, priority); }

void metrics_validation_requests(metrics *m, enum metrics_validity validity) { count(m, F_VALIDATION_REQUESTS, validity); }
void metrics_validate_from_exhaustive(metrics *m, double seconds) { observe(m, F_VALIDATE_FROM_EXHAUSTIVE, 0, seconds); }
void metrics_validate_candidate_exhaustive(metrics *m, double seconds)
{
    observe(m, F_VALIDATE_CANDIDATE_EXHAUSTIVE, 0, seconds);
}

void metrics_preparation_failure(metrics *m, unsigned prepare_error) { count(m, F_PREPARATION_FAILURES, prepare_error); }
void metrics_execution_verdict(metrics *m, unsigned verdict) { count(m, F_EXECUTION_VERDICTS, verdict); }
void metrics_checksum_mismatch(metrics *m) { count(m, F_CHECKSUM_MISMATCHES, 0); }
void metrics_sandbox_layer(metrics *m, enum metrics_sandbox_layer layer, bool available)
{
    set_gauge(m, F_SANDBOX_LAYER, layer, available);
}

/* ---- rendering ---- */

/* An snprintf-style sink: keeps counting past the end so the caller learns the size. */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
};

static void put_bytes(struct sink *o, const char *s, size_t n)
{
    if (o->len < o->cap) {
        size_t room = o->cap - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void put(struct sink *o, const char *s) { put_bytes(o, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static void putf(struct sink *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)   /* every caller formats a number: always fits in tmp */
        put_bytes(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Shortest decimal that reads back as the same double (0.1 → "0.1", not
 * "0.10000000000000001"), and the spellings Prometheus expects for the specials. */
static void put_double(struct sink *o, double v)
{
    if (isnan(v)) { put(o, "NaN"); return; }
    if (isinf(v)) { put(o, v > 0 ? "+Inf" : "-Inf"); return; }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    put(o, tmp);
}

/* HELP text: backslash and newline are the only characters to escape. */
static void put_help(struct sink *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') put(o, "\\\\");
        else if (*s == '\n') put(o, "\\n");
        else put_bytes(o, s, 1);
    }
}

static void put_label_value(struct sink *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') put(o, "\\\\");
        else if (*s == '"') put(o, "\\\"");
        else if (*s == '\n') put(o, "\\n");
        else put_bytes(o, s, 1);
    }
}

size_t metrics_escape_label_value(const char *value, char *out, size_t cap)
{
    struct sink o = { out, cap ? cap - 1 : 0, 0 };
    put_label_value(&o, value);
    if (cap)
        out[o.len < cap - 1 ? o.len : cap - 1] = '\0';
    return o.len;
}

/* `{label="value"` — left open so a histogram can append `,le="…"`; NULL label: nothing. */
static void open_labels(struct sink *o, const struct family *fam, size_t s)
{
    if (!fam->label)
        return;
    put(o, "{");
    put(o, fam->label);
    put(o, "=\"");
    put_label_value(o, fam->label_values[s]);
    put(o, "\"");
}

static void put_plain_labels(struct sink *o, const struct family *fam, size_t s)
{
    open_labels(o, fam, s);
    if (fam->label)
        put(o, "}");
}

static void render_counter(struct sink *o, const struct family *fam, const struct series *sr, size_t s)
{
    put(o, fam->name);
    put_plain_labels(o, fam, s);
    putf(o, " %llu\n", (unsigned long long)atomic_load_explicit(&sr->counts[0], memory_order_relaxed));
}

static void render_bucket(struct sink *o, const struct family *fam, size_t s, const double *le,
                          uint64_t cumulative)
{
    put(o, fam->name);
    put(o, "_bucket");
    open_labels(o, fam, s);
    put(o, fam->label ? ",le=\"" : "{le=\"");
    if (le)
        put_double(o, *le);
    else
        put(o, "+Inf");
    putf(o, "\"} %llu\n", (unsigned long long)cumulative);
}

static void render_histogram(struct sink *o, const struct family *fam, const struct series *sr, size_t s)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= fam->nbounds; i++) {
        cumulative += atomic_load_explicit(&sr->counts[i], memory_order_relaxed);
        render_bucket(o, fam, s, i < fam->nbounds ? &fam->bounds[i] : NULL, cumulative);
    }
    put(o, fam->name);
    put(o, "_sum");
    put_plain_labels(o, fam, s);
    put(o, " ");
    put_double(o, atomic_load_explicit(&sr->sum, memory_order_relaxed));
    put(o, "\n");
    put(o, fam->name);
    put(o, "_count");
    put_plain_labels(o, fam, s);
    putf(o, " %llu\n", (unsigned long long)cumulative);
}

static void render_family(struct sink *o, const metrics *m, enum family_id f)
{
    const struct family *fam = &families[f];
    put(o, "# HELP ");
    put(o, fam->name);
    put(o, " ");
    put_help(o, fam->help);
    put(o, "\n# TYPE ");
    put(o, fam->name);
    put(o, fam->type == COUNTER ? " counter\n" : fam->type == GAUGE ? " gauge\n" : " histogram\n");
    for (size_t s = 0; s < fam->series; s++) {
        if (fam->type != HISTOGRAM)
            render_counter(o, fam, &m->series[f][s], s);
        else
            render_histogram(o, fam, &m->series[f][s], s);
    }
}

size_t metrics_render(const metrics *m, char *buf, size_t cap)
{
    struct sink o = { buf, cap ? cap - 1 : 0, 0 };
    if (m)
        for (int f = 0; f < F_COUNT; f++)
            render_family(&o, m, (enum family_id)f);
    if (cap)
        buf[o.len < cap - 1 ? o.len : cap - 1] = '\0';
    return o.len;
}

bool metrics_write(const metrics *m, FILE *f)
{
    /* Observations may land between sizing and rendering, so leave slack and retry. */
    size_t cap = metrics_render(m, NULL, 0) + 4096;
    for (int attempt = 0; attempt < 8; attempt++) {
        char *buf = malloc(cap);
        if (!buf)
            return false;
        size_t n = metrics_render(m, buf, cap);
        if (n < cap) {
            bool ok = fwrite(buf, 1, n, f) == n;
            free(buf);
            return ok;
        }
        free(buf);
        cap = n + 4096;
    }
    return false;
}

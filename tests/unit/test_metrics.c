/*
 * test_metrics.c — the host's Prometheus metrics (src/host/metrics.c).
 *
 * Expected names, help texts and bucket lists are written out by hand from
 * reference-behaviour.md §7 and polkadot-sdk's pvf/src/metrics.rs; the exposition
 * checker below follows the Prometheus text format 0.0.4 grammar.
 */
#include "test.h"

#include "host/metrics.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* Render into a malloc'd string (NULL-safe for CHECK_STR_CONTAINS). */
static char *render(const metrics *m)
{
    size_t n = metrics_render(m, NULL, 0);
    char *buf = malloc(n + 1);
    if (buf && metrics_render(m, buf, n + 1) != n)
        buf[0] = '\0';
    return buf;
}

static bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && memcmp(p, line, len) == 0)
            return true;
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

#define CHECK_LINE(text, line)                                              \
    do {                                                                    \
        if (!has_line((text), (line)))                                      \
            test_fail(__FILE__, __LINE__, "missing line: %s", (line));      \
    } while (0)

/* ---- a small checker for the text exposition format ---- */

static bool is_name_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == ':'; }
static bool is_name_char(char c) { return is_name_start(c) || isdigit((unsigned char)c); }

/* Metric name at p; returns the end, NULL when there is none. */
static const char *parse_name(const char *p)
{
    if (!is_name_start(*p))
        return NULL;
    while (is_name_char(*p))
        p++;
    return p;
}

/* A quoted label value with only \\, \" and \n escapes; returns the end after the quote. */
static const char *parse_label_value(const char *p, const char *end)
{
    if (p >= end || *p++ != '"')
        return NULL;
    while (p < end && *p != '"') {
        if (*p == '\\') {
            if (p + 1 >= end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
                return NULL;
            p++;
        }
        p++;
    }
    return p < end ? p + 1 : NULL;
}

static bool parse_value(const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    if ((n == 4 && (!memcmp(p, "+Inf", 4) || !memcmp(p, "-Inf", 4))) || (n == 3 && !memcmp(p, "NaN", 3)))
        return true;
    if (n == 0 || n >= 64)
        return false;
    char tmp[64];
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *stop;
    strtod(tmp, &stop);
    return *stop == '\0';
}

/* A sample line: name[{l="v",…}] value. The name must belong to the current TYPE. */
static bool parse_sample(const char *p, const char *end, const char *family, bool histogram)
{
    const char *ne = parse_name(p);
    if (!ne)
        return false;
    size_t flen = strlen(family), nlen = (size_t)(ne - p);
    if (nlen < flen || memcmp(p, family, flen) != 0)
        return false;
    const char *suffix = p + flen;
    size_t slen = nlen - flen;
    if (histogram ? !((slen == 7 && !memcmp(suffix, "_bucket", 7)) || (slen == 4 && !memcmp(suffix, "_sum", 4)) ||
                      (slen == 6 && !memcmp(suffix, "_count", 6)))
                  : slen != 0)
        return false;
    p = ne;
    if (*p == '{') {
        p++;
        for (;;) {
            const char *le = parse_name(p);
            if (!le || le >= end || *le != '=')
                return false;
            p = parse_label_value(le + 1, end);
            if (!p || p >= end)
                return false;
            if (*p == '}') { p++; break; }
            if (*p++ != ',')
                return false;
        }
    }
    if (p >= end || *p++ != ' ')
        return false;
    return parse_value(p, end);
}

/* Checks every line; returns the number of sample lines, -1 on the first bad line. */
static int check_exposition(const char *text, int *families)
{
    char family[256] = "";
    bool histogram = false;
    int samples = 0;
    *families = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        if (!end)
            return -1;   /* the format ends every line, the last one too */
        if (!strncmp(p, "# HELP ", 7)) {
            const char *ne = parse_name(p + 7);
            if (!ne || ne >= end || *ne != ' ')
                return -1;
        } else if (!strncmp(p, "# TYPE ", 7)) {
            const char *ne = parse_name(p + 7);
            if (!ne || *ne != ' ' || (size_t)(ne - p - 7) >= sizeof family)
                return -1;
            memcpy(family, p + 7, (size_t)(ne - p - 7));
            family[ne - p - 7] = '\0';
            size_t tl = (size_t)(end - ne - 1);
            histogram = tl == 9 && !memcmp(ne + 1, "histogram", 9);
            if (!histogram && !(tl == 7 && !memcmp(ne + 1, "counter", 7)) && !(tl == 5 && !memcmp(ne + 1, "gauge", 5)))
                return -1;
            (*families)++;
        } else {
            if (!family[0] || !parse_sample(p, end, family, histogram))
                return -1;
            samples++;
        }
        p = end + 1;
    }
    return samples;
}

/* ---- tests ---- */

/* Sample lines of a registry, counted from the reference: counters 3×2 + 4 + 4 + 3 = 17;
 * histograms (bounds + 1 + sum + count): 16 + 18 + 18 + 2×13 + 2×13 + 13 + 2×14 = 145
 * (the reference's jemalloc max_resident / max_allocated are not exported);
 * pvf's own: 13 PrepareErrors + 6 verdicts + 1 + 5 layers + pvf_worker_rss 2×13
 * + pvf_execution_max_rss 13 = 64. */
#define EMPTY_REGISTRY_SAMPLES 226

TEST(metrics_empty_registry_lists_every_metric)
{
    metrics *m = metrics_new();
    CHECK(m != NULL);
    char *t = render(m);
    int families = 0;
    CHECK_EQ_U64(check_exposition(t, &families), EMPTY_REGISTRY_SAMPLES);
    CHECK_EQ_U64(families, 24);

    static const char *const names[] = {
        "polkadot_pvf_worker_spawning", "polkadot_pvf_worker_spawned", "polkadot_pvf_worker_retired",
        "polkadot_pvf_prepare_enqueued", "polkadot_pvf_prepare_concluded",
        "polkadot_pvf_execute_enqueued", "polkadot_pvf_execute_finished",
        "polkadot_pvf_preparation_time", "polkadot_pvf_execution_time",
        "polkadot_pvf_execution_queued_time", "polkadot_pvf_preparation_max_rss",
        "polkadot_pvf_preparation_peak_tracked_allocation",
        "polkadot_parachain_candidate_validation_pov_size",
        "polkadot_parachain_candidate_validation_code_size", "polkadot_pvf_exec_kind_selected",
        "polkadot_parachain_validation_requests_total",
        "polkadot_parachain_candidate_validation_validate_from_exhaustive",
        "polkadot_parachain_candidate_validation_validate_candidate_exhaustive",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[160];
        snprintf(line, sizeof line, "# TYPE %s %s", names[i],
                 strstr(names[i], "time") || strstr(names[i], "size") || strstr(names[i], "max_") ||
                 strstr(names[i], "peak") || strstr(names[i], "exhaustive") ? "histogram" : "counter");
        CHECK_LINE(t, line);
    }
    CHECK_LINE(t, "# HELP polkadot_pvf_preparation_time Time spent in preparing PVF artifacts in seconds");
    CHECK_LINE(t, "polkadot_pvf_worker_spawning{flavor=\"prepare\"} 0");
    CHECK_LINE(t, "polkadot_pvf_worker_retired{flavor=\"execute\"} 0");
    CHECK_LINE(t, "polkadot_pvf_prepare_enqueued 0");
    CHECK_LINE(t, "polkadot_pvf_exec_kind_selected{priority=\"backing_system_paras\"} 0");
    CHECK_LINE(t, "polkadot_parachain_validation_requests_total{validity=\"validation failure\"} 0");

    /* The exact preparation-time block, buckets from the reference. */
    CHECK_STR_CONTAINS(t,
        "# TYPE polkadot_pvf_preparation_time histogram\n"
        "polkadot_pvf_preparation_time_bucket{le=\"0.1\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"0.5\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"1\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"2\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"3\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"10\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"20\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"30\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"60\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"120\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"240\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"360\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"480\"} 0\n"
        "polkadot_pvf_preparation_time_bucket{le=\"+Inf\"} 0\n"
        "polkadot_pvf_preparation_time_sum 0\n"
        "polkadot_pvf_preparation_time_count 0\n");
    /* The other bucket lists, checked by their first and last bound. */
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.01\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.025\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"12\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_queued_time_bucket{le=\"48\"} 0");
    CHECK_LINE(t, "polkadot_pvf_preparation_max_rss_bucket{le=\"8192\"} 0");
    CHECK_LINE(t, "polkadot_pvf_preparation_max_rss_bucket{le=\"4194304\"} 0");
    CHECK(!has_line(t, "polkadot_pvf_preparation_max_rss_bucket{le=\"8388608\"} 0"));
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_bucket{compressed=\"true\",le=\"16384\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_bucket{compressed=\"false\",le=\"8388608\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_sum{compressed=\"false\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_code_size_bucket{le=\"8388608\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_validate_from_exhaustive_bucket{le=\"0.005\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_validate_from_exhaustive_bucket{le=\"2.5\"} 0");
    free(t);
    metrics_free(m);
}

TEST(metrics_histogram_buckets_are_cumulative)
{
    metrics *m = metrics_new();
    metrics_preparation_time(m, 0.4);    /* first bucket that holds it: le=0.5 */
    char *t = render(m);
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"0.1\"} 0");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"0.5\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"1\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"480\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"+Inf\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_sum 0.4");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_count 1");
    free(t);

    metrics_preparation_time(m, 0.5);    /* le is inclusive: still the 0.5 bucket */
    metrics_preparation_time(m, 1000);   /* above every bound: only +Inf */
    metrics_preparation_time(m, 0.1);
    t = render(m);
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"0.1\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"0.5\"} 3");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"480\"} 3");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_bucket{le=\"+Inf\"} 4");
    CHECK_LINE(t, "polkadot_pvf_preparation_time_count 4");
    /* 0.4 + 0.5 + 1000 + 0.1 in double arithmetic, printed shortest-round-trip. */
    char want[128];
    double sum = 0.4;
    sum += 0.5;
    sum += 1000;
    sum += 0.1;
    snprintf(want, sizeof want, "polkadot_pvf_preparation_time_sum %.17g", sum);
    if (!has_line(t, want)) {
        snprintf(want, sizeof want, "polkadot_pvf_preparation_time_sum %.15g", sum);
        CHECK(strtod(want + strlen("polkadot_pvf_preparation_time_sum "), NULL) == sum);
        CHECK_LINE(t, want);
    }
    int families;
    CHECK_EQ_U64(check_exposition(t, &families), EMPTY_REGISTRY_SAMPLES);
    free(t);
    metrics_free(m);
}

TEST(metrics_labelled_series_and_sizes)
{
    metrics *m = metrics_new();
    metrics_worker_spawning(m, METRICS_WORKER_PREPARE);
    metrics_worker_spawned(m, METRICS_WORKER_PREPARE);
    metrics_worker_spawned(m, METRICS_WORKER_PREPARE);
    metrics_worker_retired(m, METRICS_WORKER_EXECUTE);
    metrics_exec_kind_selected(m, METRICS_EXEC_BACKING);
    metrics_exec_kind_selected(m, METRICS_EXEC_DISPUTE);
    metrics_exec_kind_selected(m, METRICS_EXEC_DISPUTE);
    metrics_validation_requests(m, METRICS_INVALID);
    metrics_execute_enqueued(m);
    metrics_execute_finished(m);
    metrics_pov_size(m, 20000, true);     /* 16384 < 20000 <= 32768 */
    metrics_pov_size(m, 16384, false);    /* exactly the first bound */
    metrics_code_size(m, 100000000);      /* a 100 MB blob: above every bound */
    metrics_preparation_max_rss(m, metrics_bytes_to_kib(10 * 1024 * 1024 + 1023));   /* 10240 KiB */
    metrics_execution_time(m, 0.025);
    metrics_execution_queued_time(m, 0.011);
    char *t = render(m);
    CHECK_LINE(t, "polkadot_pvf_worker_spawning{flavor=\"prepare\"} 1");
    CHECK_LINE(t, "polkadot_pvf_worker_spawning{flavor=\"execute\"} 0");
    CHECK_LINE(t, "polkadot_pvf_worker_spawned{flavor=\"prepare\"} 2");
    CHECK_LINE(t, "polkadot_pvf_worker_retired{flavor=\"execute\"} 1");
    CHECK_LINE(t, "polkadot_pvf_exec_kind_selected{priority=\"dispute\"} 2");
    CHECK_LINE(t, "polkadot_pvf_exec_kind_selected{priority=\"approval\"} 0");
    CHECK_LINE(t, "polkadot_pvf_exec_kind_selected{priority=\"backing\"} 1");
    CHECK_LINE(t, "polkadot_parachain_validation_requests_total{validity=\"invalid\"} 1");
    CHECK_LINE(t, "polkadot_parachain_validation_requests_total{validity=\"valid\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execute_enqueued 1");
    CHECK_LINE(t, "polkadot_pvf_execute_finished 1");
    CHECK_LINE(t, "polkadot_pvf_prepare_concluded 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_bucket{compressed=\"true\",le=\"16384\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_bucket{compressed=\"true\",le=\"32768\"} 1");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_sum{compressed=\"true\"} 20000");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_bucket{compressed=\"false\",le=\"16384\"} 1");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_pov_size_count{compressed=\"false\"} 1");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_code_size_bucket{le=\"8388608\"} 0");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_code_size_bucket{le=\"+Inf\"} 1");
    CHECK_LINE(t, "polkadot_parachain_candidate_validation_code_size_sum 100000000");
    CHECK_LINE(t, "polkadot_pvf_preparation_max_rss_bucket{le=\"8192\"} 0");
    CHECK_LINE(t, "polkadot_pvf_preparation_max_rss_bucket{le=\"16384\"} 1");
    CHECK_LINE(t, "polkadot_pvf_preparation_max_rss_sum 10240");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.01\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.025\"} 1");
    CHECK_LINE(t, "polkadot_pvf_execution_time_sum 0.025");
    CHECK_LINE(t, "polkadot_pvf_execution_queued_time_bucket{le=\"0.01\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_queued_time_bucket{le=\"0.025\"} 1");
    int families;
    CHECK_EQ_U64(check_exposition(t, &families), EMPTY_REGISTRY_SAMPLES);
    free(t);
    metrics_free(m);
}

TEST(metrics_label_escaping)
{
    char out[64];
    CHECK_EQ_U64(metrics_escape_label_value("a\\b\"c\nd", out, sizeof out), 10);
    CHECK(strcmp(out, "a\\\\b\\\"c\\nd") == 0);
    CHECK_EQ_U64(metrics_escape_label_value("plain", out, sizeof out), 5);
    CHECK(strcmp(out, "plain") == 0);
    /* Truncation is snprintf-like: full length returned, output NUL-terminated. */
    CHECK_EQ_U64(metrics_escape_label_value("\"\"\"", out, 4), 6);
    CHECK(strcmp(out, "\\\"\\") == 0);
    /* The escaped form passes the checker's label grammar inside a sample line. */
    char line[128];
    metrics_escape_label_value("x\\y\"z\n", out, sizeof out);
    snprintf(line, sizeof line, "# TYPE t counter\nt{l=\"%s\"} 1\n", out);
    int families;
    CHECK_EQ_U64(check_exposition(line, &families), 1);
    /* …and the raw value does not. */
    snprintf(line, sizeof line, "# TYPE t counter\nt{l=\"x\"y\"} 1\n");
    CHECK(check_exposition(line, &families) == -1);
}

TEST(metrics_checker_rejects_bad_lines)
{
    int families;
    CHECK(check_exposition("# TYPE a counter\na 1\n", &families) == 1);
    CHECK(check_exposition("# TYPE a counter\na 1", &families) == -1);           /* no final newline */
    CHECK(check_exposition("a 1\n", &families) == -1);                          /* sample before TYPE */
    CHECK(check_exposition("# TYPE a counter\nb 1\n", &families) == -1);        /* other family */
    CHECK(check_exposition("# TYPE a counter\na one\n", &families) == -1);      /* not a number */
    CHECK(check_exposition("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\n", &families) == 1);
    CHECK(check_exposition("# TYPE a histogram\na_total 1\n", &families) == -1);
    CHECK(check_exposition("# TYPE a counter\na{l=\"\\x\"} 1\n", &families) == -1); /* bad escape */
}

TEST(metrics_render_truncates_like_snprintf)
{
    metrics *m = metrics_new();
    size_t full = metrics_render(m, NULL, 0);
    CHECK(full > 1000);
    char small[32];
    memset(small, 'x', sizeof small);
    CHECK_EQ_U64(metrics_render(m, small, sizeof small), full);
    CHECK_EQ_U64(strlen(small), sizeof small - 1);
    CHECK(strncmp(small, "# HELP polkadot_pvf_worker_spaw", 31) == 0);
    /* NULL registry: nothing rendered, and recording into it is a no-op. */
    metrics_prepare_enqueued(NULL);
    metrics_preparation_time(NULL, 1);
    CHECK_EQ_U64(metrics_render(NULL, small, sizeof small), 0);
    CHECK(small[0] == '\0');
    /* The FILE variant writes the same text. */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        CHECK(metrics_write(m, f));
        CHECK_EQ_U64((uint64_t)ftell(f), full);
        fclose(f);
    }
    metrics_free(m);
}

struct hammer_arg { metrics *m; int n; };

static void *hammer(void *p)
{
    struct hammer_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        metrics_execute_finished(a->m);
        metrics_execution_time(a->m, 0.5);
    }
    return NULL;
}

TEST(metrics_concurrent_recording_loses_nothing)
{
    metrics *m = metrics_new();
    struct hammer_arg a = { m, 100000 };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, &a);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    char *t = render(m);
    CHECK_LINE(t, "polkadot_pvf_execute_finished 400000");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.25\"} 0");
    CHECK_LINE(t, "polkadot_pvf_execution_time_bucket{le=\"0.5\"} 400000");
    CHECK_LINE(t, "polkadot_pvf_execution_time_count 400000");
    CHECK_LINE(t, "polkadot_pvf_execution_time_sum 200000");   /* 0.5 sums exactly */
    free(t);
    metrics_free(m);
}

/* pvf's own families: labelled counters and the sandbox gauge, every series present at 0. */
TEST(metrics_pvf_families)
{
    metrics *m = metrics_new();
    CHECK(m != NULL);
    char *t = render(m);
    CHECK_STR_CONTAINS(t, "# TYPE pvf_sandbox_layer_available gauge\n");
    CHECK_STR_CONTAINS(t, "pvf_preparation_failures_total{error=\"CouldNotDecompressCodeBlob\"} 0\n");
    CHECK_STR_CONTAINS(t, "pvf_execution_verdicts_total{verdict=\"ExecutionDeadline\"} 0\n");
    free(t);
    metrics_preparation_failure(m, 4);          /* TimedOut */
    metrics_preparation_failure(m, 4);
    metrics_preparation_failure(m, 13);         /* out of range: ignored */
    metrics_execution_verdict(m, 2);            /* PossiblyInvalid */
    metrics_checksum_mismatch(m);
    metrics_sandbox_layer(m, METRICS_LAYER_SECCOMP, true);
    metrics_sandbox_layer(m, METRICS_LAYER_LANDLOCK, true);
    metrics_sandbox_layer(m, METRICS_LAYER_LANDLOCK, false);   /* a gauge: set, not added */
    metrics_worker_rss(m, METRICS_WORKER_EXECUTE, 50000);       /* KiB: the 8192 × 2^3 bucket */
    t = render(m);
    CHECK_STR_CONTAINS(t, "pvf_worker_rss_bucket{flavor=\"execute\",le=\"65536\"} 1\n");
    CHECK_STR_CONTAINS(t, "pvf_worker_rss_bucket{flavor=\"execute\",le=\"32768\"} 0\n");
    CHECK_STR_CONTAINS(t, "pvf_worker_rss_sum{flavor=\"execute\"} 50000\n");
    CHECK_STR_CONTAINS(t, "pvf_worker_rss_count{flavor=\"prepare\"} 0\n");
    CHECK_STR_CONTAINS(t, "pvf_preparation_failures_total{error=\"TimedOut\"} 2\n");
    CHECK_STR_CONTAINS(t, "pvf_execution_verdicts_total{verdict=\"PossiblyInvalid\"} 1\n");
    CHECK_STR_CONTAINS(t, "pvf_artifact_checksum_mismatches_total 1\n");
    CHECK_STR_CONTAINS(t, "pvf_sandbox_layer_available{layer=\"seccomp\"} 1\n");
    CHECK_STR_CONTAINS(t, "pvf_sandbox_layer_available{layer=\"landlock\"} 0\n");
    int families = 0;
    CHECK_EQ_U64(check_exposition(t, &families), EMPTY_REGISTRY_SAMPLES);
    free(t);
    metrics_free(m);
}

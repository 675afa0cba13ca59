/*
 * test_merlin.c — STROBE-128 and Merlin transcripts (src/runtime/merlin.c).
 *
 * The two published Merlin vectors (merlin's `equivalence_simple` and the 32-round "complex"
 * transcript, as printed by gtank/merlin and curve25519-voi), then tests/data/merlin_vectors.tsv:
 * small programs of transcript / STROBE operations with the outputs of @scure/sr25519's
 * independent implementation (tests/gen/node/merlin_vectors.js describes the format).
 */
#include "test.h"

#include <stdlib.h>

#include "runtime/merlin.h"


/* Calls fn(fields, lens, nfields, line_no) for every data line of a TSV file; returns the
 * number of data lines, -1 when the file cannot be read. */


static void check_hex(const uint8_t *got, size_t len, const char *want_hex)
{
    uint8_t want[64];
    CHECK(len <= sizeof want);
    CHECK(test_unhex(want_hex, strlen(want_hex), want, len));
    CHECK(memcmp(got, want, len) == 0);
}

TEST(merlin_published_simple_vector)
{
    merlin_transcript t;
    merlin_init(&t, "test protocol");
    merlin_append_message(&t, "some label", (const uint8_t *)"some data", 9);
    uint8_t c[32];
    merlin_challenge_bytes(&t, "challenge", c, sizeof c);
    check_hex(c, 32, "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615");
}

TEST(merlin_published_complex_vector)
{
    merlin_transcript t;
    merlin_init(&t, "test protocol");
    merlin_append_message(&t, "step1", (const uint8_t *)"some data", 9);
    uint8_t data[1024], c[32];
    memset(data, 99, sizeof data);
    for (int i = 0; i < 32; i++) {
        merlin_challenge_bytes(&t, "challenge", c, sizeof c);
        merlin_append_message(&t, "bigdata", data, sizeof data);
        merlin_append_message(&t, "challengedata", c, sizeof c);
    }
    check_hex(c, 32, "a8c933f54fae76e3f9bea93648c1308e7dfa2152dd51674ff3ca438351cf003c");
}

/* A transcript is a value: a copy continues independently (schnorrkel clones the signing
 * context for every message). */
TEST(merlin_copy_forks_the_transcript)
{
    merlin_transcript a, b;
    merlin_init(&a, "fork");
    merlin_append_message(&a, "common", (const uint8_t *)"x", 1);
    b = a;
    uint8_t ca[16], cb[16];
    merlin_append_message(&a, "m", (const uint8_t *)"1", 1);
    merlin_append_message(&b, "m", (const uint8_t *)"1", 1);
    merlin_challenge_bytes(&a, "c", ca, sizeof ca);
    merlin_challenge_bytes(&b, "c", cb, sizeof cb);
    CHECK(memcmp(ca, cb, sizeof ca) == 0);
    merlin_append_message(&a, "m", (const uint8_t *)"2", 1);
    merlin_append_message(&b, "m", (const uint8_t *)"3", 1);
    merlin_challenge_bytes(&a, "c", ca, sizeof ca);
    merlin_challenge_bytes(&b, "c", cb, sizeof cb);
    CHECK(memcmp(ca, cb, sizeof ca) != 0);
}

/* ---- the generated programs ------------------------------------------------------------- */

static struct {
    merlin_transcript t;
    strobe128 s;
    char name[128];
    int cases, outputs;
} run;

/* Decode a hex field into a fresh buffer (NUL-terminated, so labels can be used as strings). */
static uint8_t *field_bytes(const char *f, size_t l, size_t *len, int line_no)
{
    *len = l / 2;
    uint8_t *b = malloc(*len + 1);
    if (!test_unhex(f, l, b, *len)) {
        test_fail(__FILE__, __LINE__, "merlin_vectors.tsv line %d: bad hex", line_no);
        free(b);
        return NULL;
    }
    b[*len] = 0;
    return b;
}

static void compare_output(const uint8_t *got, size_t len, const char *f, size_t l, int line_no)
{
    uint8_t *want = malloc(len + 1);
    if (!test_unhex(f, l, want, len) || memcmp(got, want, len) != 0)
        test_fail(__FILE__, __LINE__, "case %s, line %d: output differs", run.name, line_no);
    run.outputs++;
    free(want);
}

static void program_row(char **f, size_t *l, int n, int line_no)
{
#define IS(op) (l[0] == strlen(op) && memcmp(f[0], op, l[0]) == 0)
    size_t a_len = 0;
    uint8_t *a = NULL;
    if (IS("case") && n == 2) {
        snprintf(run.name, sizeof run.name, "%.*s", (int)l[1], f[1]);
        run.cases++;
        return;
    }
    if (IS("prf") && n == 4) {
        /* The first field is a length here, not hex. */
        size_t len = strtoul(f[1], NULL, 10);
        uint8_t *out = malloc(len + 1);
        strobe128_prf(&run.s, out, len, f[2][0] == '1');
        compare_output(out, len, f[3], l[3], line_no);
        free(out);
        return;
    }
    if (n < 2 || !(a = field_bytes(f[1], l[1], &a_len, line_no)))
        goto bad;
    if (IS("merlin") && n == 2) {
        merlin_init(&run.t, (const char *)a);
    } else if (IS("strobe") && n == 2) {
        strobe128_init(&run.s, a, a_len);
    } else if (IS("append") && n == 3) {
        size_t m_len;
        uint8_t *m = field_bytes(f[2], l[2], &m_len, line_no);
        if (m)
            merlin_append_message(&run.t, (const char *)a, m, m_len);
        free(m);
    } else if (IS("u64") && n == 3) {
        merlin_append_u64(&run.t, (const char *)a, strtoull(f[2], NULL, 10));
    } else if (IS("challenge") && n == 4) {
        size_t len = strtoul(f[2], NULL, 10);
        uint8_t *out = malloc(len + 1);
        merlin_challenge_bytes(&run.t, (const char *)a, out, len);
        compare_output(out, len, f[3], l[3], line_no);
        free(out);
    } else if ((IS("meta_ad") || IS("ad") || IS("key")) && n == 3) {
        bool more = f[2][0] == '1';
        if (IS("meta_ad"))
            strobe128_meta_ad(&run.s, a, a_len, more);
        else if (IS("ad"))
            strobe128_ad(&run.s, a, a_len, more);
        else
            strobe128_key(&run.s, a, a_len, more);
    } else {
        goto bad;
    }
    free(a);
    return;
bad:
    free(a);
    test_fail(__FILE__, __LINE__, "merlin_vectors.tsv line %d: unknown operation", line_no);
#undef IS
}

TEST(merlin_and_strobe_generated_vectors)
{
    memset(&run, 0, sizeof run);
    int rows = test_for_each_tsv_row("tests/data/merlin_vectors.tsv", program_row);
    CHECK(rows > 100);
    CHECK(run.cases >= 30);
    CHECK(run.outputs >= 50);
}

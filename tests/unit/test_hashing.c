/*
 * test_hashing.c — the ext_hashing_* digests and the Keccak-f[1600]
 * permutation against tests/data/hash_vectors.json, which
 * tests/gen/node/hash_vectors.js wrote with @polkadot/util-crypto (its JS
 * and WASM implementations agreeing), plus a few published answers.
 * hashing_speed prints MB/s of keccak-256 and blake2-256.
 */
#include "test.h"

#include <stdlib.h>
#include <time.h>

#include "runtime/hashing.h"
#include "runtime/keccak.h"
#include "util/hex.h"
#include "util/json.h"

#define HASH_VECTORS "tests/data/hash_vectors.json"

static const char *const HASH_NAMES[] = {
    "keccak_256", "keccak_512", "sha2_256", "blake2_128",
    "blake2_256", "twox_64",    "twox_128", "twox_256",
};


/* Compare a digest with the hex string `want`; on mismatch say which. */
static bool check_digest(const char *what, size_t index, const uint8_t *got, size_t got_len,
                         const char *want)
{
    uint8_t *bytes;
    size_t len;
    if (!want || !hex_decode(want, &bytes, &len)) {
        test_fail(__FILE__, __LINE__, "vector %zu: %s missing or not hex", index, what);
        return false;
    }
    bool ok = len == got_len && memcmp(bytes, got, len) == 0;
    if (!ok) {
        char hex[2 * 200 + 1];
        for (size_t i = 0; i < got_len && i < 200; i++)
            sprintf(hex + 2 * i, "%02x", got[i]);
        test_fail(__FILE__, __LINE__, "vector %zu: %s = 0x%s, expected %s", index, what, hex, want);
    }
    free(bytes);
    return ok;
}

/* The message of one vector: "msg" in hex, the 100000-byte pattern, or a
 * prefix of the corpus. Sets *owned when the caller must free it. */
static const uint8_t *vector_message(const json_value *v, const uint8_t *corpus, size_t corpus_len,
                                     size_t *len, uint8_t **owned)
{
    uint64_t n = 0;
    json_number_u64(json_get(v, "len"), &n);
    *owned = NULL;
    *len = (size_t)n;
    const char *msg = json_get_string(v, "msg");
    const char *name = json_get_string(v, "name");
    if (msg) {
        size_t got;
        if (!hex_decode(msg, owned, &got) || got != n)
            return NULL;
        return *owned;
    }
    if (name && strcmp(name, "pattern_100000") == 0) {
        *owned = malloc(n);
        for (size_t i = 0; i < n; i++)
            (*owned)[i] = (uint8_t)((i * 7 + (i >> 8)) & 0xff);
        return *owned;
    }
    return n <= corpus_len ? corpus : NULL;
}

TEST(hashing_vectors)
{
    json_value *doc = test_load_json_file(HASH_VECTORS);
    if (!doc)
        return;
    uint8_t *corpus;
    size_t corpus_len;
    CHECK(hex_decode(json_get_string(doc, "corpus"), &corpus, &corpus_len));
    const json_value *vectors = json_get(doc, "vectors");
    CHECK(json_array_len(vectors) >= 300);

    size_t checked = 0;
    for (size_t i = 0; i < json_array_len(vectors); i++) {
        const json_value *v = json_array_at(vectors, i);
        size_t len;
        uint8_t *owned;
        const uint8_t *msg = vector_message(v, corpus, corpus_len, &len, &owned);
        if (!msg) {
            test_fail(__FILE__, __LINE__, "vector %zu: bad message", i);
            continue;
        }
        for (size_t h = 0; h < sizeof HASH_NAMES / sizeof HASH_NAMES[0]; h++) {
            size_t out_len = 0;
            hash_fn fn = hash_by_name(HASH_NAMES[h], &out_len);
            CHECK(fn != NULL);
            if (!fn)
                continue;
            uint8_t out[64];
            fn(msg, len, out);
            check_digest(HASH_NAMES[h], i, out, out_len, json_get_string(v, HASH_NAMES[h]));
            checked++;
        }
        free(owned);
    }
    CHECK(checked == json_array_len(vectors) * 8);
    printf("  %zu digests checked\n", checked);
    free(corpus);
    json_free(doc);
}

TEST(hashing_keccak_f1600_vectors)
{
    json_value *doc = test_load_json_file(HASH_VECTORS);
    if (!doc)
        return;
    const json_value *perms = json_get(doc, "keccak_f1600");
    CHECK(json_array_len(perms) == 3);
    for (size_t i = 0; i < json_array_len(perms); i++) {
        const json_value *p = json_array_at(perms, i);
        uint8_t *in;
        size_t len;
        if (!hex_decode(json_get_string(p, "in"), &in, &len) || len != KECCAK_STATE_BYTES) {
            test_fail(__FILE__, __LINE__, "permutation %zu: bad input", i);
            continue;
        }
        /* The lane form and the byte form must both give the expected state. */
        uint8_t bytes[KECCAK_STATE_BYTES];
        memcpy(bytes, in, sizeof bytes);
        keccak_f1600_bytes(bytes);
        check_digest("keccak_f1600_bytes", i, bytes, sizeof bytes, json_get_string(p, "out"));

        uint64_t lanes[KECCAK_LANES];
        for (int l = 0; l < KECCAK_LANES; l++) {
            lanes[l] = 0;
            for (int b = 0; b < 8; b++)
                lanes[l] |= (uint64_t)in[8 * l + b] << (8 * b);
        }
        keccak_f1600(lanes);
        for (int l = 0; l < KECCAK_LANES; l++)
            for (int b = 0; b < 8; b++)
                bytes[8 * l + b] = (uint8_t)(lanes[l] >> (8 * b));
        check_digest("keccak_f1600", i, bytes, sizeof bytes, json_get_string(p, "out"));
        free(in);
    }
    json_free(doc);
}

/* Published values, independent of the generated file. */
TEST(hashing_known_answers)
{
    uint8_t out[64];
    /* Keccak-f[1600] of the zero state: first lane of the Keccak team's
     * KeccakF-1600-IntermediateValues.txt. */
    uint64_t st[KECCAK_LANES] = { 0 };
    keccak_f1600(st);
    CHECK_EQ_U64(st[0], 0xF1258F7940E1DDE7ULL);
    CHECK_EQ_U64(st[1], 0x84D5CCF933C0478AULL);

    /* Ethereum's empty-input Keccak-256 (not SHA3-256's a7ffc6f8...). */
    hash_keccak_256(NULL, 0, out);
    check_digest("keccak_256('')", 0, out, 32,
                 "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    /* Substrate storage prefixes: twox_128("System"), twox_128("Account"). */
    hash_twox_128((const uint8_t *)"System", 6, out);
    check_digest("twox_128('System')", 0, out, 16, "26aa394eea5630e07c48ae0c9558cef7");
    hash_twox_128((const uint8_t *)"Account", 7, out);
    check_digest("twox_128('Account')", 0, out, 16, "b99d880ec681799c0cf30e8886371da9");
    /* FIPS 180-2 example. */
    hash_sha2_256((const uint8_t *)"abc", 3, out);
    check_digest("sha2_256('abc')", 0, out, 32,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    size_t n;
    CHECK(hash_by_name("blake2_512", &n) == NULL);
    CHECK(hash_by_name("twox_256", &n) == hash_twox_256 && n == 32);
}

/* CPU time of this thread, so that other load on the machine does not
 * count against the hash. */
static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Throughput of one hash over a 16 MiB buffer, best of three runs. */
static double megabytes_per_second(hash_fn fn, const uint8_t *buf, size_t len)
{
    double best = 0;
    uint8_t out[64];
    for (int run = 0; run < 3; run++) {
        double t0 = seconds_now();
        fn(buf, len, out);
        double dt = seconds_now() - t0;
        double mbs = (double)len / 1e6 / (dt > 0 ? dt : 1e-9);
        if (mbs > best)
            best = mbs;
    }
    return best;
}

TEST(hashing_speed)
{
    size_t len = 16u << 20;
    uint8_t *buf = malloc(len);
    CHECK(buf != NULL);
    if (!buf)
        return;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    printf("  keccak_256 %.0f MB/s, blake2_256 %.0f MB/s, sha2_256 %.0f MB/s, twox_128 %.0f MB/s\n",
           megabytes_per_second(hash_keccak_256, buf, len),
           megabytes_per_second(hash_blake2_256, buf, len),
           megabytes_per_second(hash_sha2_256, buf, len),
           megabytes_per_second(hash_twox_128, buf, len));
    free(buf);
}

/*
 * test_blob.c — maybe-compressed blobs (src/runtime/blob.c).
 *
 * Compressed inputs are made here with libzstd's own compressor, or taken
 * from the real code blobs of testdata/pvf/; the expected behaviour is the
 * one of sp-maybe-compressed-blob (reference-behaviour.md §4.3).
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "runtime/blob.h"

/* BLOB_MAGIC followed by zstd(level 3) of `data`; malloc'd. */
static uint8_t *make_blob(const uint8_t *data, size_t len, size_t *blob_len)
{
    size_t bound = ZSTD_compressBound(len);
    uint8_t *blob = malloc(BLOB_MAGIC_LEN + bound);
    memcpy(blob, BLOB_MAGIC, BLOB_MAGIC_LEN);
    size_t n = ZSTD_compress(blob + BLOB_MAGIC_LEN, bound, data, len, 3);
    if (ZSTD_isError(n)) {
        free(blob);
        return NULL;
    }
    *blob_len = BLOB_MAGIC_LEN + n;
    return blob;
}

static void expect_error(const uint8_t *in, size_t len, size_t limit, const char *msg, int line)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256] = "";
    bool compressed = false;
    if (blob_decompress(in, len, limit, &out, &out_len, &compressed, err, sizeof err)) {
        test_fail(__FILE__, line, "accepted (%zu bytes), expected \"%s\"", out_len, msg);
        free(out);
    } else if (!strstr(err, msg)) {
        test_fail(__FILE__, line, "error \"%s\" does not contain \"%s\"", err, msg);
    }
    if (!compressed)
        test_fail(__FILE__, line, "input with the magic not reported as compressed");
}

#define EXPECT_ERROR(in, len, limit, msg) expect_error(in, len, limit, msg, __LINE__)

TEST(blob_plain_bytes_pass_through)
{
    static const uint8_t wasm[] = { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    uint8_t *out = NULL;
    size_t out_len = 0;
    bool compressed = true;
    char err[256];
    CHECK(blob_decompress(wasm, sizeof wasm, 4, &out, &out_len, &compressed, err, sizeof err));
    CHECK(!compressed);
    CHECK(out != NULL && out != wasm && out_len == sizeof wasm && !memcmp(out, wasm, sizeof wasm));
    free(out);
    /* Plain input is never subject to the limit (only decompression is). */
    CHECK(!blob_is_compressed(wasm, sizeof wasm));
    /* Shorter than the magic, even a prefix of it: plain. */
    CHECK(blob_decompress(BLOB_MAGIC, 7, 100, &out, &out_len, &compressed, err, sizeof err));
    CHECK(!compressed && out_len == 7);
    free(out);
    CHECK(blob_decompress(wasm, 0, 100, &out, &out_len, &compressed, err, sizeof err));
    CHECK(!compressed && out_len == 0 && out != NULL);
    free(out);
}

TEST(blob_real_runtime_decompresses)
{
    const char *path = test_data_path("pvf/cumulus__chainspec_tick_100_403c45.wasm.zstdblob");
    if (!path)
        return;
    size_t len;
    uint8_t *blob = test_read_file(path, &len);
    CHECK(blob != NULL && blob_is_compressed(blob, len));
    if (!blob)
        return;
    uint8_t *out = NULL;
    size_t out_len = 0;
    bool compressed = false;
    char err[256];
    CHECK(blob_decompress(blob, len, PVF_REF_CODE_BOMB_LIMIT, &out, &out_len, &compressed, err,
                          sizeof err));
    CHECK(compressed);
    /* 1326291 bytes: the size `zstd -d` gives (tests/data/decode_expectations.tsv). */
    CHECK_EQ_U64(out_len, 1326291);
    CHECK(out && !memcmp(out, "\0asm\1\0\0\0", 8));

    /* The limit is inclusive: exactly the size passes, one byte less is a bomb. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    CHECK(blob_decompress(blob, len, out_len, &again, &again_len, NULL, err, sizeof err));
    CHECK(again_len == out_len && again && !memcmp(again, out, out_len));
    free(again);
    EXPECT_ERROR(blob, len, out_len - 1, "possible compression bomb: decompressed size exceeds 1326290 bytes");

    /* Cut the frame short: invalid, not a bomb and not a partial result. */
    EXPECT_ERROR(blob, len / 2, PVF_REF_CODE_BOMB_LIMIT, "invalid compressed blob");
    EXPECT_ERROR(blob, len - 1, PVF_REF_CODE_BOMB_LIMIT, "invalid compressed blob");
    free(out);
    free(blob);
}

TEST(blob_bomb_is_refused)
{
    /* 31 MiB of zeros compress to a few KB and exceed the 30 MiB code limit. */
    size_t big = 31u << 20, blob_len;
    uint8_t *zeros = calloc(big, 1);
    uint8_t *blob = make_blob(zeros, big, &blob_len);
    CHECK(blob != NULL && blob_len < 64 * 1024);
    if (!blob) {
        free(zeros);
        return;
    }
    EXPECT_ERROR(blob, blob_len, PVF_REF_CODE_BOMB_LIMIT,
                 "possible compression bomb: decompressed size exceeds 31457280 bytes");
    /* Under the PoV limit (40 MiB) the same blob is fine. */
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256];
    CHECK(blob_decompress(blob, blob_len, PVF_REF_POV_BOMB_LIMIT, &out, &out_len, NULL, err, sizeof err));
    CHECK_EQ_U64(out_len, big);
    CHECK(out && out[0] == 0 && out[big - 1] == 0);
    free(out);
    free(blob);
    free(zeros);
}

TEST(blob_invalid_streams)
{
    static const uint8_t hello[] = "hello, world";
    uint8_t garbage[BLOB_MAGIC_LEN + sizeof hello];
    memcpy(garbage, BLOB_MAGIC, BLOB_MAGIC_LEN);
    memcpy(garbage + BLOB_MAGIC_LEN, hello, sizeof hello);
    EXPECT_ERROR(garbage, sizeof garbage, 1000, "invalid compressed blob");
    /* The magic alone: an empty stream is an incomplete frame (as the zstd crate's reader says). */
    EXPECT_ERROR(BLOB_MAGIC, BLOB_MAGIC_LEN, 1000, "invalid compressed blob");

    /* A good frame followed by junk. */
    size_t blob_len;
    uint8_t *blob = make_blob(hello, sizeof hello, &blob_len);
    uint8_t *junk = malloc(blob_len + 4);
    memcpy(junk, blob, blob_len);
    memcpy(junk + blob_len, "junk", 4);
    EXPECT_ERROR(junk, blob_len + 4, 1000, "invalid compressed blob");

    /* Two frames back to back decode to both payloads, as a zstd stream does. */
    uint8_t *twice = malloc(2 * blob_len - BLOB_MAGIC_LEN);
    memcpy(twice, blob, blob_len);
    memcpy(twice + blob_len, blob + BLOB_MAGIC_LEN, blob_len - BLOB_MAGIC_LEN);
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256];
    CHECK(blob_decompress(twice, 2 * blob_len - BLOB_MAGIC_LEN, 1000, &out, &out_len, NULL, err,
                          sizeof err));
    CHECK(out_len == 2 * sizeof hello && !memcmp(out, hello, sizeof hello) &&
          !memcmp(out + sizeof hello, hello, sizeof hello));
    free(out);
    /* ... and the limit counts the total. */
    EXPECT_ERROR(twice, 2 * blob_len - BLOB_MAGIC_LEN, 2 * sizeof hello - 1, "possible compression bomb");
    free(twice);
    free(junk);
    free(blob);
}

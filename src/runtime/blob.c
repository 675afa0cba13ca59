/*
 * blob.c — maybe-compressed blobs (see blob.h), decompressed with libzstd.
 *
 * Behaviour follows sp-maybe-compressed-blob: the payload after the magic is
 * read as a zstd stream (several frames are allowed, as the zstd crate's
 * reader allows them) into a buffer that may hold `limit + 1` bytes at most.
 * Filling that extra byte means the blob decompresses to more than the
 * limit, which is refused before any more work is done; any zstd error,
 * including a stream that ends inside a frame, makes the blob invalid.
 */
#include "runtime/blob.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

const uint8_t BLOB_MAGIC[BLOB_MAGIC_LEN] = { 0x52, 0xBC, 0x53, 0x76, 0x46, 0xDB, 0x8E, 0x05 };

bool blob_is_compressed(const uint8_t *in, size_t len)
{
    return len >= BLOB_MAGIC_LEN && memcmp(in, BLOB_MAGIC, BLOB_MAGIC_LEN) == 0;
}

static bool copy_plain(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
                       size_t errlen)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        snprintf(err, errlen, "out of memory copying a %zu-byte blob", len);
        return false;
    }
    if (len)
        memcpy(copy, in, len);
    *out = copy;
    *out_len = len;
    return true;
}

/*
 * First guess at the output size: the size the frame header declares when
 * it has one (plus the byte that detects overflow), else a few times the
 * input. Never more than limit + 1.
 */
static size_t initial_capacity(const uint8_t *src, size_t n, size_t limit)
{
    unsigned long long declared = ZSTD_getFrameContentSize(src, n);
    size_t guess;
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared < limit)
        guess = (size_t)declared + 1;
    else
        guess = n < (1u << 20) ? (1u << 20) : n * 4;
    return guess < limit + 1 ? guess : limit + 1;
}

static bool fail_invalid(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "invalid compressed blob: %s", why);
    return false;
}

/* Double the output buffer, up to limit + 1 bytes. */
static bool grow_output(ZSTD_outBuffer *ob, size_t limit)
{
    size_t cap = ob->size * 2 < limit + 1 ? ob->size * 2 : limit + 1;
    void *grown = realloc(ob->dst, cap);
    if (!grown)
        return false;
    ob->dst = grown;
    ob->size = cap;
    return true;
}

static bool zstd_bounded(const uint8_t *src, size_t n, size_t limit, uint8_t **out, size_t *out_len,
                         char *err, size_t errlen)
{
    if (limit > SIZE_MAX / 2)
        limit = SIZE_MAX / 2;       /* keeps limit + 1 and the doubling below from overflowing */
    ZSTD_DStream *ds = ZSTD_createDStream();
    size_t cap = initial_capacity(src, n, limit);
    uint8_t *buf = malloc(cap);
    if (!ds || !buf) {
        ZSTD_freeDStream(ds);
        free(buf);
        snprintf(err, errlen, "out of memory decompressing a blob");
        return false;
    }
    ZSTD_initDStream(ds);
    ZSTD_inBuffer in = { src, n, 0 };
    ZSTD_outBuffer ob = { buf, cap, 0 };
    bool ok = false;
    for (;;) {
        if (ob.pos == ob.size && !grow_output(&ob, limit)) {
            snprintf(err, errlen, "out of memory decompressing a blob");
            break;
        }
        size_t ret = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(ret)) {
            fail_invalid(err, errlen, ZSTD_getErrorName(ret));
            break;
        }
        if (ob.pos > limit) {
            /* The buffer never holds more than limit + 1 bytes: we stop at the first extra one. */
            snprintf(err, errlen, "possible compression bomb: decompressed size exceeds %zu bytes",
                     limit);
            break;
        }
        if (ret == 0 && in.pos == in.size) {
            ok = true;      /* every frame decoded and flushed */
            break;
        }
        if (in.pos == in.size && ob.pos < ob.size) {
            /* Room to write and nothing left to read, yet the frame is not done. */
            fail_invalid(err, errlen, "truncated zstd frame (the input ends inside a frame)");
            break;
        }
    }
    ZSTD_freeDStream(ds);
    if (!ok) {
        free(ob.dst);
        return false;
    }
    *out = ob.dst;
    *out_len = ob.pos;
    if (ob.size - ob.pos > 4096) {
        uint8_t *shrunk = realloc(ob.dst, ob.pos ? ob.pos : 1);
        if (shrunk)
            *out = shrunk;
    }
    return true;
}

bool blob_decompress(const uint8_t *in, size_t len, size_t limit, uint8_t **out, size_t *out_len,
                     bool *was_compressed, char *err, size_t errlen)
{
    bool compressed = blob_is_compressed(in, len);
    if (was_compressed)
        *was_compressed = compressed;
    if (!compressed)
        return copy_plain(in, len, out, out_len, err, errlen);
    return zstd_bounded(in + BLOB_MAGIC_LEN, len - BLOB_MAGIC_LEN, limit, out, out_len, err, errlen);
}

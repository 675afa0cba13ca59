/*
 * blob.h — Substrate's "maybe compressed" blob (sp-maybe-compressed-blob).
 *
 * Runtime code and PoVs travel either as plain bytes or as the 8-byte magic
 * 52 BC 53 76 46 DB 8E 05 followed by one zstd stream. Decompression stops
 * one byte past a limit, so that a small blob cannot make us allocate without
 * bound: more than `limit` bytes is a "possible compression bomb".
 */
#ifndef PVF_RUNTIME_BLOB_H
#define PVF_RUNTIME_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOB_MAGIC_LEN 8
extern const uint8_t BLOB_MAGIC[BLOB_MAGIC_LEN];

/* Bomb limits: PVF_REF_CODE_BOMB_LIMIT, PVF_REF_POV_BOMB_LIMIT (pvf/reference.h). */
#include "pvf/reference.h"

/* True when `in` starts with the compressed-blob magic. */
bool blob_is_compressed(const uint8_t *in, size_t len);

/*
 * Decompress `in` if it carries the magic, else copy it. On success *out is
 * a malloc'd buffer in both cases (the caller frees it), *out_len its size,
 * and *was_compressed (may be NULL) says which case it was. On failure
 * returns false and writes the reason to err: "possible compression bomb:
 * decompressed size exceeds N bytes" or "invalid compressed blob: ...".
 */
bool blob_decompress(const uint8_t *in, size_t len, size_t limit, uint8_t **out, size_t *out_len,
                     bool *was_compressed, char *err, size_t errlen);

#endif

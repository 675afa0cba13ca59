/*
 * runtime_version.c — read a RuntimeVersion from a code blob's custom sections
 * (runtime_version.h has the steps), and decode one for tests and the CLI.
 *
 * The SCALE encoding of an api, ([u8; 8], u32), is the same 12 bytes as a
 * `runtime_apis` entry, so both lists are kept as views of 12-byte records
 * into the bytes they came from: nothing is copied until the final encoding.
 */
#include "runtime/runtime_version.h"

#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/blob.h"
#include "runtime/scale.h"
#include "wasm/module.h"
#include "util/errmsg.h"

#define API_RECORD_SIZE 12      /* sp_api::RUNTIME_API_INFO_SIZE */

/* blake2b-64 of the bytes "Core" (tests check it against libsodium). */
const uint8_t RUNTIME_API_CORE_ID[8] = { 0xdf, 0x6a, 0xcb, 0x68, 0x99, 0x07, 0x60, 0x9b };

/* A list of apis: `count` 12-byte records at `bytes`. */
typedef struct api_list {
    const uint8_t *bytes;
    uint32_t count;
} api_list;

/* The fields of a RuntimeVersion, names as views into the input. */
typedef struct version_fields {
    scale_bytes spec_name, impl_name;
    uint32_t authoring_version, spec_version, impl_version;
    api_list apis;
    uint32_t transaction_version;
    uint8_t system_version;
} version_fields;


static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* sp_version::core_version_from_apis: the version of the first api with the Core id. */
static bool core_version_from_apis(api_list apis, uint32_t *version)
{
    for (uint32_t i = 0; i < apis.count; i++) {
        const uint8_t *rec = apis.bytes + (size_t)i * API_RECORD_SIZE;
        if (memcmp(rec, RUNTIME_API_CORE_ID, 8) == 0) {
            *version = le32(rec + 8);
            return true;
        }
    }
    return false;
}


/* A Rust String: compact length, then UTF-8 bytes. */
static bool read_string(scale_reader *r, scale_bytes *out, const char *what)
{
    size_t at = scale_offset(r);
    if (!scale_read_byte_vec(r, out))
        return false;
    if (!utf8_valid(out->ptr, out->len))
        return scale_fail_at(r, at, "%s is not valid UTF-8", what);
    return true;
}

static bool read_apis(scale_reader *r, api_list *out)
{
    if (!scale_read_vec_len(r, API_RECORD_SIZE, UINT32_MAX, &out->count))
        return false;
    return scale_read_fixed(r, (size_t)out->count * API_RECORD_SIZE, &out->bytes);
}

/*
 * RuntimeVersion::decode_with_version_hint: `hint` (when has_hint) is the Core
 * api version that decides which trailing fields exist; without it, the Core
 * version listed in the decoded apis decides.
 */
static bool decode_with_hint(scale_reader *r, bool has_hint, uint32_t hint, version_fields *f)
{
    if (!read_string(r, &f->spec_name, "spec_name") || !read_string(r, &f->impl_name, "impl_name") ||
        !scale_read_u32(r, &f->authoring_version) || !scale_read_u32(r, &f->spec_version) ||
        !scale_read_u32(r, &f->impl_version) || !read_apis(r, &f->apis))
        return false;
    uint32_t core = hint;
    bool known = has_hint || core_version_from_apis(f->apis, &core);
    f->transaction_version = 1;
    f->system_version = 0;
    if (known && core >= 3 && !scale_read_u32(r, &f->transaction_version))
        return false;
    if (known && core >= 4 && !scale_read_u8(r, &f->system_version))
        return false;
    return true;
}

/* sc_executor's decode_runtime_apis: whole 12-byte records, nothing left over. */
static bool parse_runtime_apis(const wasm_custom_section *cs, api_list *out, char *err, size_t errlen)
{
    if (cs->len % API_RECORD_SIZE != 0)
        return errmsg_set(err, errlen, "runtime_apis section: a clipped runtime api info declaration "
                    "(%u bytes is not a multiple of %d)", cs->len, API_RECORD_SIZE);
    out->bytes = cs->bytes;
    out->count = cs->len / API_RECORD_SIZE;
    return true;
}

/* The current SCALE layout of a RuntimeVersion (Core ≥ 4). */
static bool encode_version(const version_fields *f, uint8_t **out, size_t *out_len)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_byte_vec(&w, f->spec_name.ptr, f->spec_name.len);
    scale_write_byte_vec(&w, f->impl_name.ptr, f->impl_name.len);
    scale_write_u32(&w, f->authoring_version);
    scale_write_u32(&w, f->spec_version);
    scale_write_u32(&w, f->impl_version);
    scale_write_compact(&w, f->apis.count);
    scale_write_raw(&w, f->apis.bytes, (size_t)f->apis.count * API_RECORD_SIZE);
    scale_write_u32(&w, f->transaction_version);
    scale_write_u8(&w, f->system_version);
    return scale_writer_finish(&w, out, out_len);
}

/* Steps 3–6 on a parsed module. */
static bool version_from_module(const wasm_module *m, uint8_t **encoded, size_t *encoded_len,
                                char *err, size_t errlen)
{
    const wasm_custom_section *vs = wasm_find_custom(m, "runtime_version");
    if (!vs)
        return errmsg_set(err, errlen, "runtime version section is not found");

    api_list section_apis = { NULL, 0 };
    bool has_section_apis = false;
    const wasm_custom_section *as = wasm_find_custom(m, "runtime_apis");
    if (as) {
        if (!parse_runtime_apis(as, &section_apis, err, errlen))
            return false;
        has_section_apis = true;
    }
    uint32_t hint = 0;
    bool has_hint = has_section_apis && core_version_from_apis(section_apis, &hint);

    wasm_error werr = { 0 };
    scale_reader r;
    scale_reader_init(&r, vs->bytes, vs->len, &werr);
    version_fields f;
    if (!decode_with_hint(&r, has_hint, hint, &f)) {
        char why[WASM_ERROR_MAX + 64];
        return errmsg_set(err, errlen, "failed to decode version section: %s",
                    wasm_error_text(&werr, why, sizeof why));
    }
    if (has_section_apis)
        f.apis = section_apis;
    if (!encode_version(&f, encoded, encoded_len))
        return errmsg_set(err, errlen, "out of memory encoding the runtime version");
    return true;
}

bool runtime_version_read(const uint8_t *blob, size_t len, uint8_t **encoded, size_t *encoded_len,
                          char *err, size_t errlen)
{
    uint8_t *code = NULL;
    size_t code_len = 0;
    char why[512];
    if (!blob_decompress(blob, len, PVF_REF_CODE_BLOB_BOMB_LIMIT, &code, &code_len, NULL, why, sizeof why))
        return errmsg_set(err, errlen, "failed to read the runtime blob: %s", why);

    wasm_module m;
    wasm_error werr = { 0 };
    bool ok;
    if (!wasm_decode(code, code_len, &WASM_FEATURES_PVF, &m, &werr)) {
        char text[WASM_ERROR_MAX + 64];
        ok = errmsg_set(err, errlen, "failed to read the runtime blob: cannot deserialize module: %s",
                  wasm_error_text(&werr, text, sizeof text));
    } else {
        ok = version_from_module(&m, encoded, encoded_len, err, errlen);
        wasm_module_free(&m);
    }
    free(code);
    return ok;
}

/* Keep at most RUNTIME_VERSION_NAME_MAX - 1 bytes of a name, NUL-terminated. */
static void copy_name(char *dst, const scale_bytes *src)
{
    size_t n = src->len < RUNTIME_VERSION_NAME_MAX - 1 ? src->len : RUNTIME_VERSION_NAME_MAX - 1;
    memcpy(dst, src->ptr, n);
    dst[n] = '\0';
}

bool runtime_version_decode(const uint8_t *enc, size_t len, runtime_version_info *out, char *err,
                            size_t errlen)
{
    wasm_error werr = { 0 };
    scale_reader r;
    scale_reader_init(&r, enc, len, &werr);
    version_fields f;
    if (!decode_with_hint(&r, false, 0, &f)) {
        char why[WASM_ERROR_MAX + 64];
        return errmsg_set(err, errlen, "invalid RuntimeVersion: %s", wasm_error_text(&werr, why, sizeof why));
    }
    memset(out, 0, sizeof *out);
    copy_name(out->spec_name, &f.spec_name);
    copy_name(out->impl_name, &f.impl_name);
    out->spec_name_len = (uint32_t)f.spec_name.len;
    out->impl_name_len = (uint32_t)f.impl_name.len;
    out->authoring_version = f.authoring_version;
    out->spec_version = f.spec_version;
    out->impl_version = f.impl_version;
    out->transaction_version = f.transaction_version;
    out->system_version = f.system_version;
    out->has_core_version = core_version_from_apis(f.apis, &out->core_version);
    out->napis = f.apis.count;
    for (uint32_t i = 0; i < f.apis.count && i < RUNTIME_VERSION_APIS_MAX; i++) {
        const uint8_t *rec = f.apis.bytes + (size_t)i * API_RECORD_SIZE;
        memcpy(out->apis[i].id, rec, 8);
        out->apis[i].version = le32(rec + 8);
    }
    return true;
}

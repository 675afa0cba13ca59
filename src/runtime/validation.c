/* validation.c — ValidationParams / ValidationResult codec and JSON (see validation.h). */
#include "runtime/validation.h"

#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ ValidationParams */

static bool read_params(scale_reader *r, validation_params *out)
{
    const uint8_t *root;
    if (!scale_read_byte_vec(r, &out->parent_head) || !scale_read_byte_vec(r, &out->block_data) ||
        !scale_read_u32(r, &out->relay_parent_number) || !scale_read_fixed(r, 32, &root))
        return false;
    memcpy(out->relay_parent_storage_root, root, 32);
    return true;
}

bool validation_params_decode(const uint8_t *in, size_t len, validation_params *out,
                              size_t *consumed, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(out, 0, sizeof *out);
    if (!read_params(&r, out))
        return false;
    if (consumed)
        *consumed = scale_offset(&r);
    return true;
}

bool validation_params_decode_all(const uint8_t *in, size_t len, validation_params *out,
                                  wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(out, 0, sizeof *out);
    return read_params(&r, out) && scale_expect_end(&r);
}

void validation_params_encode(const validation_params *p, scale_writer *w)
{
    scale_write_byte_vec(w, p->parent_head.ptr, p->parent_head.len);
    scale_write_byte_vec(w, p->block_data.ptr, p->block_data.len);
    scale_write_u32(w, p->relay_parent_number);
    scale_write_raw(w, p->relay_parent_storage_root, 32);
}

/* ------------------------------------------------------ PersistedValidationData */

bool pvd_read(scale_reader *r, persisted_validation_data *out)
{
    const uint8_t *root;
    if (!scale_read_byte_vec(r, &out->parent_head) || !scale_read_u32(r, &out->relay_parent_number) ||
        !scale_read_fixed(r, 32, &root) || !scale_read_u32(r, &out->max_pov_size))
        return false;
    memcpy(out->relay_parent_storage_root, root, 32);
    return true;
}

void pvd_write(scale_writer *w, const persisted_validation_data *p)
{
    scale_write_byte_vec(w, p->parent_head.ptr, p->parent_head.len);
    scale_write_u32(w, p->relay_parent_number);
    scale_write_raw(w, p->relay_parent_storage_root, 32);
    scale_write_u32(w, p->max_pov_size);
}

bool pvd_decode_all(const uint8_t *in, size_t len, persisted_validation_data *out, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(out, 0, sizeof *out);
    return pvd_read(&r, out) && scale_expect_end(&r);
}

/* ------------------------------------------------------ ValidationResult */

static bool read_upward_messages(scale_reader *r, validation_result *out)
{
    uint32_t n;
    /* each message is at least its one-byte compact length */
    if (!scale_read_vec_len(r, 1, PVF_REF_MAX_UPWARD_MESSAGES, &n))
        return false;
    if (n == 0)
        return true;
    out->upward_messages = calloc(n, sizeof *out->upward_messages);
    if (!out->upward_messages)
        return scale_fail(r, "out of memory for %u upward messages", n);
    out->n_upward_messages = n;
    for (uint32_t i = 0; i < n; i++)
        if (!scale_read_byte_vec(r, &out->upward_messages[i]))
            return false;
    return true;
}

static bool read_horizontal_messages(scale_reader *r, validation_result *out)
{
    uint32_t n;
    /* recipient (4 bytes) + at least one byte of data length */
    if (!scale_read_vec_len(r, 5, PVF_REF_MAX_HORIZONTAL_MESSAGES, &n))
        return false;
    if (n == 0)
        return true;
    out->horizontal_messages = calloc(n, sizeof *out->horizontal_messages);
    if (!out->horizontal_messages)
        return scale_fail(r, "out of memory for %u horizontal messages", n);
    out->n_horizontal_messages = n;
    for (uint32_t i = 0; i < n; i++) {
        hrmp_message *m = &out->horizontal_messages[i];
        if (!scale_read_u32(r, &m->recipient) || !scale_read_byte_vec(r, &m->data))
            return false;
    }
    return true;
}

static bool read_result(scale_reader *r, validation_result *out)
{
    if (!scale_read_byte_vec(r, &out->head_data) ||
        !scale_read_option(r, &out->has_new_validation_code))
        return false;
    if (out->has_new_validation_code && !scale_read_byte_vec(r, &out->new_validation_code))
        return false;
    return read_upward_messages(r, out) && read_horizontal_messages(r, out) &&
           scale_read_u32(r, &out->processed_downward_messages) &&
           scale_read_u32(r, &out->hrmp_watermark);
}

static bool decode_result(const uint8_t *in, size_t len, validation_result *out,
                          size_t *consumed, bool whole, wasm_error *err)
{
    scale_reader r;
    scale_reader_init(&r, in, len, err);
    memset(out, 0, sizeof *out);
    if (!read_result(&r, out) || (whole && !scale_expect_end(&r))) {
        validation_result_free(out);
        return false;
    }
    if (consumed)
        *consumed = scale_offset(&r);
    return true;
}

bool validation_result_decode(const uint8_t *in, size_t len, validation_result *out,
                              size_t *consumed, wasm_error *err)
{
    return decode_result(in, len, out, consumed, false, err);
}

bool validation_result_decode_all(const uint8_t *in, size_t len, validation_result *out,
                                  wasm_error *err)
{
    return decode_result(in, len, out, NULL, true, err);
}

void validation_result_encode(const validation_result *res, scale_writer *w)
{
    scale_write_byte_vec(w, res->head_data.ptr, res->head_data.len);
    scale_write_u8(w, res->has_new_validation_code ? 1 : 0);
    if (res->has_new_validation_code)
        scale_write_byte_vec(w, res->new_validation_code.ptr, res->new_validation_code.len);
    scale_write_compact(w, res->n_upward_messages);
    for (size_t i = 0; i < res->n_upward_messages; i++)
        scale_write_byte_vec(w, res->upward_messages[i].ptr, res->upward_messages[i].len);
    scale_write_compact(w, res->n_horizontal_messages);
    for (size_t i = 0; i < res->n_horizontal_messages; i++) {
        const hrmp_message *m = &res->horizontal_messages[i];
        scale_write_u32(w, m->recipient);
        scale_write_byte_vec(w, m->data.ptr, m->data.len);
    }
    scale_write_u32(w, res->processed_downward_messages);
    scale_write_u32(w, res->hrmp_watermark);
}

void validation_result_free(validation_result *res)
{
    free(res->upward_messages);
    free(res->horizontal_messages);
    memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------------ JSON */

static void write_hex_string(FILE *out, scale_bytes b)
{
    fputc('"', out);
    hex_print(out, b.ptr, b.len);
    fputc('"', out);
}

bool validation_result_write_json(const validation_result *res, FILE *out)
{
    fputs("{\"head_data\":", out);
    write_hex_string(out, res->head_data);
    fputs(",\"new_validation_code\":", out);
    if (res->has_new_validation_code)
        write_hex_string(out, res->new_validation_code);
    else
        fputs("null", out);
    fputs(",\"upward_messages\":[", out);
    for (size_t i = 0; i < res->n_upward_messages; i++) {
        if (i)
            fputc(',', out);
        write_hex_string(out, res->upward_messages[i]);
    }
    fputs("],\"horizontal_messages\":[", out);
    for (size_t i = 0; i < res->n_horizontal_messages; i++) {
        const hrmp_message *m = &res->horizontal_messages[i];
        fprintf(out, "%s{\"recipient\":%u,\"data\":", i ? "," : "", m->recipient);
        write_hex_string(out, m->data);
        fputc('}', out);
    }
    fprintf(out, "],\"processed_downward_messages\":%u,\"hrmp_watermark\":%u}",
            res->processed_downward_messages, res->hrmp_watermark);
    return !ferror(out);
}

char *validation_result_to_json(const validation_result *res)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    bool ok = validation_result_write_json(res, f);
    if (fclose(f) != 0 || !ok) {
        free(text);
        return NULL;
    }
    return text;
}

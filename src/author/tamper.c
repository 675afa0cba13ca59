/* tamper.c — deliberately invalid candidates (see tamper.h). */
#include "author/tamper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/scale.h"
#include "runtime/validation.h"

static const char *const NAMES[TAMPER_KINDS] = { "proof-node", "parent-head", "extrinsic", "relay-root" };

const char *tamper_kind_name(tamper_kind k)
{
    return k < TAMPER_KINDS ? NAMES[k] : "?";
}

bool tamper_kind_parse(const char *name, tamper_kind *out)
{
    for (int k = 0; k < TAMPER_KINDS; k++)
        if (!strcmp(name, NAMES[k])) {
            *out = (tamper_kind)k;
            return true;
        }
    return false;
}

/* Skip a header's digest items (kind, then per kind: Vec; engine id + Vec; nothing). */
static bool skip_header(scale_reader *r)
{
    const uint8_t *p;
    uint32_t number, items;
    if (!scale_read_fixed(r, 32, &p) || !scale_read_compact_u32(r, &number) || !scale_read_fixed(r, 64, &p) ||
        !scale_read_compact_u32(r, &items))
        return false;
    for (uint32_t i = 0; i < items; i++) {
        uint8_t kind;
        scale_bytes v;
        if (!scale_read_u8(r, &kind))
            return false;
        if ((kind == 4 || kind == 5 || kind == 6) && !scale_read_fixed(r, 4, &p))
            return false;
        if (kind != 8 && !scale_read_byte_vec(r, &v))
            return false;
    }
    return true;
}

/* block_data = header ++ Vec<extrinsic> ++ proof (Vec<Vec<u8>>): the offsets of each part. */
typedef struct pov_layout {
    size_t exts_at, first_ext_end, proof_at;
    uint32_t nexts, nnodes;
} pov_layout;

static bool read_layout(const uint8_t *pov, size_t len, pov_layout *l)
{
    scale_reader r;
    scale_bytes v;
    scale_reader_init(&r, pov, len, NULL);
    if (!skip_header(&r))
        return false;
    l->exts_at = scale_offset(&r);
    if (!scale_read_compact_u32(&r, &l->nexts))
        return false;
    l->first_ext_end = 0;
    for (uint32_t i = 0; i < l->nexts; i++) {
        if (!scale_read_byte_vec(&r, &v))
            return false;
        if (i == 0)
            l->first_ext_end = scale_offset(&r);
    }
    l->proof_at = scale_offset(&r);
    return scale_read_compact_u32(&r, &l->nnodes);
}

/* The proof without node `drop`. */
static bool drop_node(const uint8_t *proof, size_t len, uint32_t drop, scale_writer *w)
{
    scale_reader r;
    uint32_t n;
    scale_reader_init(&r, proof, len, NULL);
    if (!scale_read_compact_u32(&r, &n) || drop >= n)
        return false;
    scale_write_compact(w, n - 1);
    for (uint32_t i = 0; i < n; i++) {
        scale_bytes node;
        if (!scale_read_byte_vec(&r, &node))
            return false;
        if (i != drop)
            scale_write_byte_vec(w, node.ptr, node.len);
    }
    return true;
}

bool tamper_params(const uint8_t *params, size_t len, tamper_kind k, uint8_t **out, size_t *out_len, char *err,
                   size_t errlen)
{
    validation_params vp;
    wasm_error e = { 0 };
    if (!validation_params_decode_all(params, len, &vp, &e)) {
        snprintf(err, errlen, "the params do not decode as ValidationParams");
        return false;
    }
    pov_layout l;
    if (!read_layout(vp.block_data.ptr, vp.block_data.len, &l) || l.nnodes == 0 || l.nexts == 0 ||
        vp.parent_head.len == 0) {
        snprintf(err, errlen, "the block data is not a ParachainBlockData with extrinsics and a proof");
        return false;
    }
    uint8_t *pov = malloc(vp.block_data.len), *head = malloc(vp.parent_head.len);
    if (!pov || !head) {
        free(pov);
        free(head);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(pov, vp.block_data.ptr, vp.block_data.len);
    memcpy(head, vp.parent_head.ptr, vp.parent_head.len);
    validation_params t = vp;
    t.parent_head.ptr = head;
    t.block_data.ptr = pov;
    scale_writer proof;
    scale_writer_init(&proof);
    bool ok = true;
    switch (k) {
    case TAMPER_PROOF_NODE:
        ok = drop_node(pov + l.proof_at, vp.block_data.len - l.proof_at, l.nnodes / 2, &proof);
        if (ok) {
            /* block_data = everything before the proof ++ the shorter proof */
            memmove(pov + l.proof_at, proof.buf, proof.len);
            t.block_data.len = l.proof_at + proof.len;
        }
        break;
    case TAMPER_PARENT_HEAD:
        head[0] ^= 1;
        break;
    case TAMPER_EXTRINSIC:
        pov[l.first_ext_end - 1] ^= 2;
        break;
    case TAMPER_RELAY_ROOT:
        t.relay_parent_storage_root[0] ^= 1;
        break;
    default:
        ok = false;
    }
    if (ok) {
        scale_writer w;
        scale_writer_init(&w);
        validation_params_encode(&t, &w);
        ok = scale_writer_finish(&w, out, out_len);
    }
    if (!ok)
        snprintf(err, errlen, "cannot break %s", tamper_kind_name(k));
    scale_writer_free(&proof);
    free(pov);
    free(head);
    return ok;
}

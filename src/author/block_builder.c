/* block_builder.c — authoring cumulus blocks offline (see block_builder.h). */
#include "author/block_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "author/aura.h"
#include "author/chainspec.h"
#include "author/externalities.h"
#include "author/header.h"
#include "author/hostfn_storage.h"
#include "author/parachain_inherent.h"
#include "pvf/runtime.h"
#include "runtime/hashing.h"
#include "runtime/hostfn.h"
#include "runtime/runtime_version.h"
#include "runtime/scale.h"
#include "util/errmsg.h"

/* The relay chain's block time, for chains without Aura's slot duration. */
#define RELAY_BLOCK_MS 6000
/* A day: far above any chain's slot, far below what could overflow a u64 timestamp. */
#define MAX_SLOT_DURATION_MS 86400000ull

/* blake2b-64 ids of the runtime apis the builder looks for. */
static const uint8_t API_AURA[8] = { 0xdd, 0x71, 0x8d, 0x5c, 0xc5, 0x32, 0x62, 0xd4 };

/*
 * ParachainBlockData's storage_proof: a CompactProof since cumulus d935b81 (June 2021), a
 * plain StorageProof (the set of nodes) before — Westend Asset Hub's genesis runtime is of
 * that time. The runtime's validate_block decides: the first block is checked in both forms.
 */
typedef enum proof_format { PROOF_UNKNOWN, PROOF_COMPACT, PROOF_PLAIN } proof_format;

struct block_builder {
    block_builder_options opts;
    chainspec spec;
    pvf_code *code;
    runtime_version_info version;
    trie_layout layout;
    externalities ext;
    uint32_t para_id;
    bool aura;
    aura_key key;
    uint64_t slot_duration_ms;
    uint8_t *parent_head;           /* the encoded parent header */
    size_t parent_head_len;
    uint32_t number;                /* the parent's number */
    uint32_t relay_parent_number;   /* of the next block */
    uint64_t timestamp_ms;          /* of the next block */
    proof_format format;            /* found with the first block */
};

void block_builder_options_default(block_builder_options *o)
{
    *o = (block_builder_options){
        .relay_parent_number = 1000,
        .timestamp_ms = 1700000000000ull,
    };
}

void built_block_free(built_block *b)
{
    free(b->params);
    free(b->head);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ runtime calls */

/* Call `name` with the authoring host functions; the output in *out (free it). */
static bool author_call(block_builder *b, const char *name, const uint8_t *in, size_t in_len, uint8_t **out,
                        size_t *out_len, double *cpu_ms, char *err, size_t errlen)
{
    pvf_call_result r;
    runtime_call_with(b->code, name, in, in_len, author_storage_fns, &b->ext, &r);
    if (cpu_ms)
        *cpu_ms += r.cpu_ms;
    if (r.outcome != PVF_OUTCOME_OK) {
        free(r.output);
        return errmsg_set(err, errlen, "%s: %s", name, r.reason);
    }
    *out = r.output;
    *out_len = r.output_len;
    return true;
}

/* ------------------------------------------------------------------ set-up */

/* ParachainInfo::ParachainId from the state (the runtime builds its relay-chain keys from it;
 * it can differ from the chain spec's para_id: Glutton's says 1500, its state 2005). */
static uint32_t state_para_id(const chainspec *cs)
{
    uint8_t key[32];
    storage_item_key("ParachainInfo", "ParachainId", key);
    const trie_entry *e = author_state_find(&cs->state, key, 32);
    if (e && e->value.len == 4)
        return (uint32_t)e->value.ptr[0] | (uint32_t)e->value.ptr[1] << 8 | (uint32_t)e->value.ptr[2] << 16 |
               (uint32_t)e->value.ptr[3] << 24;
    return cs->para_id;
}

static bool load_runtime(block_builder *b, char *err, size_t errlen)
{
    static const uint8_t code_key[] = ":code";
    const trie_entry *code = author_state_find(&b->spec.state, code_key, 5);
    if (!code)
        return errmsg_set(err, errlen, "the genesis state has no :code");
    pvf_runtime_params p;
    pvf_runtime_params_default(&p);
    uint8_t *artifact;
    size_t artifact_len;
    char why[512];
    if (!pvf_runtime_prepare(code->value.ptr, code->value.len, &p, &artifact, &artifact_len, NULL, why, sizeof why))
        return errmsg_set(err, errlen, "the chain spec's :code is rejected: %s", why);
    b->code = pvf_code_load(artifact, artifact_len, why, sizeof why);
    free(artifact);
    if (!b->code)
        return errmsg_set(err, errlen, "the chain spec's :code: %s", why);
    pvf_code_build_image(b->code);      /* one instance per runtime call */
    return true;
}

static bool read_version(block_builder *b, char *err, size_t errlen)
{
    uint8_t *out = NULL;
    size_t len = 0;
    if (!author_call(b, "Core_version", NULL, 0, &out, &len, NULL, err, errlen))
        return false;
    char why[256];
    bool ok = runtime_version_decode(out, len, &b->version, why, sizeof why);
    free(out);
    if (!ok)
        return errmsg_set(err, errlen, "Core_version: %s", why);
    /* RuntimeVersion's state_version (system_version) exists from Core 4 on; before, V0. */
    b->layout = b->version.has_core_version && b->version.core_version >= 4 && b->version.system_version >= 1
                    ? TRIE_LAYOUT_V1 : TRIE_LAYOUT_V0;
    for (uint32_t i = 0; i < b->version.napis && i < RUNTIME_VERSION_APIS_MAX; i++)
        if (!memcmp(b->version.apis[i].id, API_AURA, 8))
            b->aura = true;
    return true;
}

/* The parent state's changes from genesis: the builder's Aura key, Glutton's settings. */
static bool adjust_state(block_builder *b, char *err, size_t errlen)
{
    author_state *st = &b->spec.state;
    if (b->aura && !aura_install_key(st, &b->key, err, errlen))
        return false;
    if ((b->opts.glutton_compute_set && !author_state_set_u32(st, "Glutton", "Compute", b->opts.glutton_compute)) ||
        (b->opts.glutton_storage_set && !author_state_set_u32(st, "Glutton", "Storage", b->opts.glutton_storage)))
        return errmsg_set(err, errlen, "out of memory");
    return true;
}

/* The genesis header: no parent, the state's root, the empty extrinsics root, no digest. */
static bool genesis_head(block_builder *b, char *err, size_t errlen)
{
    static const uint8_t zero[32], empty_node = 0;
    uint8_t root[32], ext_root[32];
    state_trie_root(b->ext.trie, root);
    hash_blake2_256(&empty_node, 1, ext_root);
    scale_writer w;
    scale_writer_init(&w);
    scale_write_raw(&w, zero, 32);
    scale_write_compact(&w, 0);
    scale_write_raw(&w, root, 32);
    scale_write_raw(&w, ext_root, 32);
    scale_write_compact(&w, 0);
    if (!scale_writer_finish(&w, &b->parent_head, &b->parent_head_len))
        return errmsg_set(err, errlen, "out of memory");
    return true;
}

static bool read_slot_duration(block_builder *b, char *err, size_t errlen)
{
    b->slot_duration_ms = RELAY_BLOCK_MS;
    if (!b->aura)
        return true;
    uint8_t *out = NULL;
    size_t len = 0;
    if (!author_call(b, "AuraApi_slot_duration", NULL, 0, &out, &len, NULL, err, errlen))
        return false;
    uint64_t ms = 0;
    for (size_t i = 0; i < 8 && i < len; i++)
        ms |= (uint64_t)out[i] << (8 * i);
    free(out);
    /* Bounded so that timestamps (first + blocks × duration) can't overflow. */
    if (len < 8 || ms == 0 || ms > MAX_SLOT_DURATION_MS)
        return errmsg_set(err, errlen, "AuraApi_slot_duration: %llu ms is not a slot duration (1 … %llu)",
                    (unsigned long long)ms, (unsigned long long)MAX_SLOT_DURATION_MS);
    b->slot_duration_ms = ms;
    return true;
}

block_builder *block_builder_new(const block_builder_options *o, char *err, size_t errlen)
{
    block_builder *b = calloc(1, sizeof *b);
    if (!b)
        return errmsg_set(err, errlen, "out of memory"), NULL;
    b->opts = *o;
    bool ok = chainspec_load(o->chainspec, &b->spec, err, errlen) && load_runtime(b, err, errlen) &&
              read_version(b, err, errlen);
    if (ok) {
        b->para_id = state_para_id(&b->spec);
        if (b->aura)
            aura_key_dev(&b->key);
        ok = adjust_state(b, err, errlen) && ext_init(&b->ext, &b->spec.state, b->layout, err, errlen) &&
             read_slot_duration(b, err, errlen) && genesis_head(b, err, errlen);
    }
    if (!ok) {
        block_builder_free(b);
        return NULL;
    }
    ext_start_transaction(&b->ext);     /* whatever the set-up calls wrote is dropped */
    ext_rollback_transaction(&b->ext);
    state_trie_clear_records(b->ext.trie);
    b->relay_parent_number = o->relay_parent_number;
    b->timestamp_ms = o->timestamp_ms - o->timestamp_ms % b->slot_duration_ms;
    return b;
}

void block_builder_free(block_builder *b)
{
    if (!b)
        return;
    pvf_code_free(b->code);
    ext_free(&b->ext);
    chainspec_free(&b->spec);
    free(b->parent_head);
    free(b);
}

void block_builder_describe(const block_builder *b, block_builder_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->chain, sizeof out->chain, "%s", b->spec.name);
    snprintf(out->spec_name, sizeof out->spec_name, "%s", b->version.spec_name);
    out->spec_version = b->version.spec_version;
    out->para_id = b->para_id;
    out->state_version = b->layout == TRIE_LAYOUT_V1;
    out->aura = b->aura;
    out->slot_duration_ms = b->slot_duration_ms;
}

void block_builder_code(const block_builder *b, const uint8_t **code, size_t *len)
{
    static const uint8_t code_key[] = ":code";
    const trie_entry *e = author_state_find(&b->ext.parent, code_key, 5);
    *code = e ? e->value.ptr : NULL;
    *len = e ? e->value.len : 0;
}

/* ------------------------------------------------------------------ one block */

/* InherentData: BTreeMap<[u8; 8], Vec<u8>>, sorted by identifier. */
static bool inherent_data(block_builder *b, uint8_t **out, size_t *out_len, uint8_t relay_root[32], char *err,
                          size_t errlen)
{
    uint8_t *para;
    size_t para_len;
    parachain_inherent_input in = {
        .para_id = b->para_id,
        .parent_head = b->parent_head,
        .parent_head_len = b->parent_head_len,
        .relay_parent_number = b->relay_parent_number,
        .relay_slot = b->timestamp_ms / RELAY_BLOCK_MS,
    };
    if (!parachain_inherent_build(&in, &para, &para_len, relay_root, err, errlen))
        return false;
    scale_writer w;
    scale_writer_init(&w);
    scale_write_compact(&w, 2);
    scale_write_raw(&w, "sysi1337", 8);
    scale_write_byte_vec(&w, para, para_len);
    scale_write_raw(&w, "timstap0", 8);
    scale_write_compact(&w, 8);
    scale_write_u64(&w, b->timestamp_ms);
    free(para);
    if (!scale_writer_finish(&w, out, out_len))
        return errmsg_set(err, errlen, "out of memory");
    return true;
}

/* The header Core_initialize_block starts from. */
static bool new_header(block_builder *b, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    uint8_t parent_hash[32];
    hash_blake2_256(b->parent_head, b->parent_head_len, parent_hash);
    scale_writer w;
    scale_writer_init(&w);
    uint32_t items = 0;
    if (b->aura) {
        uint8_t slot[8];
        uint64_t s = b->timestamp_ms / b->slot_duration_ms;
        for (int i = 0; i < 8; i++)
            slot[i] = (uint8_t)(s >> (8 * i));
        digest_item_write(&w, DIGEST_PRE_RUNTIME, "aura", slot, 8);
        items++;
    }
    uint8_t *digest;
    size_t digest_len;
    if (!scale_writer_finish(&w, &digest, &digest_len))
        return errmsg_set(err, errlen, "out of memory");
    bool ok = header_encode_new(parent_hash, b->number + 1, digest, digest_len, items, out, out_len);
    free(digest);
    return ok ? true : errmsg_set(err, errlen, "out of memory");
}

/* Apply every extrinsic of the SCALE Vec<Extrinsic> `exts`; each must succeed. */
static bool apply_all(block_builder *b, const uint8_t *exts, size_t len, uint32_t *count, double *ms, char *err,
                      size_t errlen)
{
    scale_reader r;
    scale_reader_init(&r, exts, len, NULL);
    if (!scale_read_compact_u32(&r, count))
        return errmsg_set(err, errlen, "BlockBuilder_inherent_extrinsics: output is not a Vec");
    for (uint32_t i = 0; i < *count; i++) {
        size_t at = scale_offset(&r);
        scale_bytes x;
        if (!scale_read_byte_vec(&r, &x))
            return errmsg_set(err, errlen, "BlockBuilder_inherent_extrinsics: extrinsic %u does not decode", i);
        uint8_t *res;
        size_t res_len;
        if (!author_call(b, "BlockBuilder_apply_extrinsic", exts + at, scale_offset(&r) - at, &res, &res_len, ms,
                         err, errlen))
            return false;
        unsigned r0 = res_len > 0 ? res[0] : 0xff, r1 = res_len > 1 ? res[1] : 0xff;
        free(res);
        if (r0 != 0 || r1 != 0)     /* Ok(Ok(())) */
            return errmsg_set(err, errlen, "BlockBuilder_apply_extrinsic: inherent %u failed (result 0x%02x%02x…)", i, r0,
                        r1);
    }
    if (scale_left(&r))
        return errmsg_set(err, errlen, "BlockBuilder_inherent_extrinsics: bytes after the extrinsics");
    return true;
}

/* check_inherents on the parent state (validate_block runs it so): its reads join the proof. */
static bool check_inherents(block_builder *b, const uint8_t *block, size_t block_len, const uint8_t *inherents,
                            size_t inherents_len, double *ms, char *err, size_t errlen)
{
    uint8_t *in = malloc(block_len + inherents_len), *out = NULL;
    size_t out_len = 0;
    if (!in)
        return errmsg_set(err, errlen, "out of memory");
    memcpy(in, block, block_len);
    memcpy(in + block_len, inherents, inherents_len);
    overlay saved = b->ext.top;
    b->ext.top = (overlay){ 0 };
    bool ok = author_call(b, "BlockBuilder_check_inherents", in, block_len + inherents_len, &out, &out_len, ms, err,
                          errlen);
    overlay_free(&b->ext.top);
    b->ext.top = saved;
    free(in);
    if (ok && (out_len < 1 || out[0] != 1))
        ok = errmsg_set(err, errlen, "BlockBuilder_check_inherents: the runtime does not accept the block's inherents");
    free(out);
    return ok;
}

typedef struct block_parts {
    uint8_t *header, *sealed, *inherents, *exts, *proof;
    size_t header_len, sealed_len, inherents_len, exts_len, proof_len;
} block_parts;

static void parts_free(block_parts *p)
{
    free(p->header);
    free(p->sealed);
    free(p->inherents);
    free(p->exts);
    free(p->proof);
}

/* Core_initialize_block … finalize_block; p->header is the unsealed header. */
static bool execute(block_builder *b, block_parts *p, uint8_t relay_root[32], built_block *out, char *err,
                    size_t errlen)
{
    uint8_t *h, *unit;
    size_t h_len, unit_len;
    if (!new_header(b, &h, &h_len, err, errlen))
        return false;
    bool ok = author_call(b, "Core_initialize_block", h, h_len, &unit, &unit_len, &out->author_ms, err, errlen);
    free(h);
    if (!ok)
        return false;
    free(unit);
    if (!inherent_data(b, &p->inherents, &p->inherents_len, relay_root, err, errlen))
        return false;
    ext_start_transaction(&b->ext);
    ok = author_call(b, "BlockBuilder_inherent_extrinsics", p->inherents, p->inherents_len, &p->exts, &p->exts_len,
                     &out->author_ms, err, errlen);
    ext_rollback_transaction(&b->ext);
    return ok && apply_all(b, p->exts, p->exts_len, &out->extrinsics, &out->author_ms, err, errlen) &&
           author_call(b, "BlockBuilder_finalize_block", NULL, 0, &p->header, &p->header_len, &out->author_ms, err,
                       errlen);
}

/* The sealed header: Aura's seal signs the hash of the header without it. */
static bool seal(block_builder *b, block_parts *p, char *err, size_t errlen)
{
    if (!b->aura) {
        p->sealed = malloc(p->header_len);
        if (!p->sealed)
            return errmsg_set(err, errlen, "out of memory");
        memcpy(p->sealed, p->header, p->header_len);
        p->sealed_len = p->header_len;
        return true;
    }
    uint8_t pre_hash[32], sig[64];
    hash_blake2_256(p->header, p->header_len, pre_hash);
    if (!aura_sign(&b->key, pre_hash, sig))
        return errmsg_set(err, errlen, "sealing failed");
    if (!header_append_digest(p->header, p->header_len, DIGEST_SEAL, "aura", sig, 64, &p->sealed, &p->sealed_len))
        return errmsg_set(err, errlen, "BlockBuilder_finalize_block: the header does not decode");
    return true;
}

/* ParachainBlockData { block: (header, extrinsics), storage_proof } → ValidationParams. */
static bool package(block_builder *b, block_parts *p, proof_format format, const uint8_t relay_root[32],
                    built_block *out, char *err, size_t errlen)
{
    free(p->proof);
    free(out->params);
    p->proof = out->params = NULL;
    bool ok = format == PROOF_PLAIN
                  ? state_trie_recorded_proof(b->ext.trie, &p->proof, &p->proof_len, &out->proof_nodes)
                  : state_trie_compact_proof(b->ext.trie, &p->proof, &p->proof_len, &out->proof_nodes);
    if (!ok)
        return errmsg_set(err, errlen, "out of memory");
    scale_writer pov;
    scale_writer_init(&pov);
    scale_write_raw(&pov, p->sealed, p->sealed_len);
    scale_write_raw(&pov, p->exts, p->exts_len);
    scale_write_raw(&pov, p->proof, p->proof_len);
    uint8_t *block_data;
    size_t block_data_len;
    if (!scale_writer_finish(&pov, &block_data, &block_data_len))
        return errmsg_set(err, errlen, "out of memory");
    scale_writer w;
    scale_writer_init(&w);
    scale_write_byte_vec(&w, b->parent_head, b->parent_head_len);
    scale_write_byte_vec(&w, block_data, block_data_len);
    scale_write_u32(&w, b->relay_parent_number);
    scale_write_raw(&w, relay_root, 32);
    free(block_data);
    out->pov_size = block_data_len;
    out->proof_size = p->proof_len;
    if (!scale_writer_finish(&w, &out->params, &out->params_len))
        return errmsg_set(err, errlen, "out of memory");
    return true;
}

/* Run validate_block (the PVF host functions, in this process) on the block: does the
 * runtime accept it, with the expected head? */
static bool runtime_accepts(block_builder *b, const block_parts *p, built_block *out, char *why, size_t whylen)
{
    pvf_call_result r;
    pvf_runtime_validate(b->code, out->params, out->params_len, &r);
    out->check_ms = r.cpu_ms;
    bool ok = r.outcome == PVF_OUTCOME_OK;
    if (!ok) {
        snprintf(why, whylen, "%s", r.reason);
    } else {
        /* ValidationResult starts with head_data: Vec<u8> */
        scale_reader rd;
        scale_bytes head;
        scale_reader_init(&rd, r.output, r.output_len, NULL);
        ok = scale_read_byte_vec(&rd, &head) && head.len == p->sealed_len && !memcmp(head.ptr, p->sealed, head.len);
        if (!ok)
            snprintf(why, whylen, "validate_block returned another head than the block's header");
    }
    free(r.output);
    return ok;
}

/* Package the block; the first one in each proof format until the runtime accepts one. */
static bool package_checked(block_builder *b, block_parts *p, const uint8_t relay_root[32], built_block *out,
                            char *err, size_t errlen)
{
    char why[600];
    if (b->format != PROOF_UNKNOWN) {
        if (!package(b, p, b->format, relay_root, out, err, errlen))
            return false;
        if (b->opts.check_every_block && !runtime_accepts(b, p, out, why, sizeof why))
            return errmsg_set(err, errlen, "the runtime's validate_block rejects the block: %s", why);
        return true;
    }
    if (!package(b, p, PROOF_COMPACT, relay_root, out, err, errlen))
        return false;
    if (runtime_accepts(b, p, out, why, sizeof why)) {
        b->format = PROOF_COMPACT;
        return true;
    }
    char plain_why[600];
    if (!package(b, p, PROOF_PLAIN, relay_root, out, err, errlen))
        return false;
    if (runtime_accepts(b, p, out, plain_why, sizeof plain_why)) {
        b->format = PROOF_PLAIN;
        return true;
    }
    return errmsg_set(err, errlen, "the runtime's validate_block rejects the block: %s", why);
}

/* The block's hash and expected head: the sealed header. */
static bool set_head(const block_parts *p, built_block *out, char *err, size_t errlen)
{
    out->head = malloc(p->sealed_len);
    if (!out->head)
        return errmsg_set(err, errlen, "out of memory");
    memcpy(out->head, p->sealed, p->sealed_len);
    out->head_len = p->sealed_len;
    hash_blake2_256(p->sealed, p->sealed_len, out->hash);
    return true;
}

/* The block's state root must be what the builder's own trie computes from the changes. */
static bool check_state_root(block_builder *b, const block_parts *p, uint8_t root[32], char *err, size_t errlen)
{
    header_view v;
    if (!header_view_decode(p->header, p->header_len, &v))
        return errmsg_set(err, errlen, "BlockBuilder_finalize_block: the header does not decode");
    if (!ext_root(&b->ext, b->layout, root))
        return errmsg_set(err, errlen, "out of memory");
    if (memcmp(root, v.state_root, 32))
        return errmsg_set(err, errlen, "the block's state root differs from the root of the builder's post-state "
                                 "(a host-function or trie bug)");
    return true;
}

bool block_builder_next(block_builder *b, built_block *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    block_parts p = { 0 };
    uint8_t relay_root[32], root[32];
    bool ok = execute(b, &p, relay_root, out, err, errlen) && check_state_root(b, &p, root, err, errlen) &&
              seal(b, &p, err, errlen);
    if (ok) {
        /* The block as validate_block checks its inherents: sealed header ++ extrinsics. */
        size_t blen = p.sealed_len + p.exts_len;
        uint8_t *block = malloc(blen);
        ok = block != NULL;
        if (ok) {
            memcpy(block, p.sealed, p.sealed_len);
            memcpy(block + p.sealed_len, p.exts, p.exts_len);
            ok = check_inherents(b, block, blen, p.inherents, p.inherents_len, &out->author_ms, err, errlen);
        }
        free(block);
    }
    ok = ok && package_checked(b, &p, relay_root, out, err, errlen) && set_head(&p, out, err, errlen) &&
         ext_finish_block(&b->ext, root, err, errlen);
    if (ok) {
        out->number = b->number + 1;
        out->proof_format = b->format == PROOF_PLAIN ? "plain" : "compact";
        out->relay_parent_number = b->relay_parent_number;
        free(b->parent_head);
        b->parent_head = p.sealed;
        b->parent_head_len = p.sealed_len;
        p.sealed = NULL;
        b->number++;
        b->relay_parent_number++;
        b->timestamp_ms += b->slot_duration_ms;
    } else {
        built_block_free(out);
    }
    parts_free(&p);
    return ok;
}

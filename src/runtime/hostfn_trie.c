/*
 * hostfn_trie.c — ext_trie_*: trie roots of key/value lists and compact-proof
 * verification (trie.h), with BLAKE2b-256 or Keccak-256. Version 1 of each
 * function uses LayoutV0; version 2 takes the state version (0 = V0, 1 = V1;
 * anything else fails to decode, so the host function panics). Arguments that
 * do not decode as SCALE make the host function panic too, as in the reference.
 */
#include <stdlib.h>

#include "runtime/hostfn_abi.h"
#include "runtime/keccak.h"
#include "runtime/trie.h"

/* The state version arrives as an i32 that sp-runtime-interface truncates to u8 before
 * decoding it, so only the low byte counts. */
static bool layout_of(pvf_caller *c, uint64_t version, trie_layout *out)
{
    uint8_t v = (uint8_t)version;
    if (v > 1) {
        pvf_caller_trap(c, "trie: invalid state version %u", v);
        return false;
    }
    *out = v == 0 ? TRIE_LAYOUT_V0 : TRIE_LAYOUT_V1;
    return true;
}

/* Decode Vec<Vec<u8>> (ordered root values, proof nodes) into a malloc'd array of views. */
static scale_bytes *decode_byte_vecs(pvf_caller *c, const uint8_t *in, uint32_t len, uint32_t *n)
{
    scale_reader r;
    wasm_error err = { 0 };
    scale_reader_init(&r, in, len, &err);
    if (!scale_read_vec_len(&r, 1, UINT32_MAX, n)) {
        pvf_caller_trap(c, "trie: cannot decode the argument: %s", err.msg);
        return NULL;
    }
    scale_bytes *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
    if (!v) {
        pvf_caller_trap(c, "trie: out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < *n; i++) {
        if (!scale_read_byte_vec(&r, &v[i])) {
            pvf_caller_trap(c, "trie: cannot decode the argument: %s", err.msg);
            free(v);
            return NULL;
        }
    }
    return v;
}

/* Decode Vec<(Vec<u8>, Vec<u8>)>. */
static trie_entry *decode_entries(pvf_caller *c, const uint8_t *in, uint32_t len, uint32_t *n)
{
    scale_reader r;
    wasm_error err = { 0 };
    scale_reader_init(&r, in, len, &err);
    if (!scale_read_vec_len(&r, 2, UINT32_MAX, n)) {
        pvf_caller_trap(c, "trie: cannot decode the argument: %s", err.msg);
        return NULL;
    }
    trie_entry *e = malloc((size_t)(*n ? *n : 1) * sizeof *e);
    if (!e) {
        pvf_caller_trap(c, "trie: out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < *n; i++) {
        if (!scale_read_byte_vec(&r, &e[i].key) || !scale_read_byte_vec(&r, &e[i].value)) {
            pvf_caller_trap(c, "trie: cannot decode the argument: %s", err.msg);
            free(e);
            return NULL;
        }
    }
    return e;
}

static int return_root(pvf_caller *c, hostfn_env *env, uint64_t *slots, bool ok, const uint8_t root[32])
{
    if (!ok)
        return pvf_caller_trap(c, "trie: out of memory");
    uint32_t ptr = hostfn_alloc_copy(c, env, root, 32);
    if (!ptr)
        return 1;
    slots[0] = ptr;
    return 0;
}

static int root(pvf_caller *c, hostfn_env *env, uint64_t *slots, trie_hash_fn hash, trie_layout layout)
{
    uint32_t len, n;
    const uint8_t *in = hostfn_span(c, slots[0], &len);
    trie_entry *e = in ? decode_entries(c, in, len, &n) : NULL;
    if (!e)
        return 1;
    uint8_t out[32];
    bool ok = trie_root(hash, layout, e, n, out);
    free(e);
    return return_root(c, env, slots, ok, out);
}

static int ordered_root(pvf_caller *c, hostfn_env *env, uint64_t *slots, trie_hash_fn hash, trie_layout layout)
{
    uint32_t len, n;
    const uint8_t *in = hostfn_span(c, slots[0], &len);
    scale_bytes *v = in ? decode_byte_vecs(c, in, len, &n) : NULL;
    if (!v)
        return 1;
    uint8_t out[32];
    bool ok = trie_ordered_root(hash, layout, v, n, out);
    free(v);
    return return_root(c, env, slots, ok, out);
}

/* (root ptr, proof span, key span, value span) -> bool */
static int verify_proof(pvf_caller *c, uint64_t *slots, trie_hash_fn hash, trie_layout layout)
{
    uint32_t plen, klen, vlen, n;
    const uint8_t *root_hash = hostfn_ptr(c, (uint32_t)slots[0], 32);
    const uint8_t *proof = root_hash ? hostfn_span(c, slots[1], &plen) : NULL;
    const uint8_t *key = proof ? hostfn_span(c, slots[2], &klen) : NULL;
    const uint8_t *value = key ? hostfn_span(c, slots[3], &vlen) : NULL;
    scale_bytes *nodes = value ? decode_byte_vecs(c, proof, plen, &n) : NULL;
    if (!nodes)
        return 1;
    trie_proof_result res = trie_verify_proof(hash, layout, root_hash, nodes, n, key, klen, value, vlen);
    free(nodes);
    if (res == TRIE_PROOF_NOMEM)
        return pvf_caller_trap(c, "trie: out of memory");
    slots[0] = res == TRIE_PROOF_OK;
    return 0;
}

/* Each host function: hasher × layout source (fixed V0, or the version argument). */
#define TRIE_FNS(hname, hash)                                                                   \
    static int hname##_root_v1(pvf_caller *c, void *ctx, uint64_t *slots)                       \
    {                                                                                           \
        return root(c, ctx, slots, hash, TRIE_LAYOUT_V0);                                       \
    }                                                                                           \
    static int hname##_root_v2(pvf_caller *c, void *ctx, uint64_t *slots)                       \
    {                                                                                           \
        trie_layout l;                                                                          \
        return layout_of(c, slots[1], &l) ? root(c, ctx, slots, hash, l) : 1;                   \
    }                                                                                           \
    static int hname##_ordered_root_v1(pvf_caller *c, void *ctx, uint64_t *slots)               \
    {                                                                                           \
        return ordered_root(c, ctx, slots, hash, TRIE_LAYOUT_V0);                               \
    }                                                                                           \
    static int hname##_ordered_root_v2(pvf_caller *c, void *ctx, uint64_t *slots)               \
    {                                                                                           \
        trie_layout l;                                                                          \
        return layout_of(c, slots[1], &l) ? ordered_root(c, ctx, slots, hash, l) : 1;           \
    }                                                                                           \
    static int hname##_verify_proof_v1(pvf_caller *c, void *ctx, uint64_t *slots)               \
    {                                                                                           \
        (void)ctx;                                                                              \
        return verify_proof(c, slots, hash, TRIE_LAYOUT_V0);                                    \
    }                                                                                           \
    static int hname##_verify_proof_v2(pvf_caller *c, void *ctx, uint64_t *slots)               \
    {                                                                                           \
        (void)ctx;                                                                              \
        trie_layout l;                                                                          \
        return layout_of(c, slots[4], &l) ? verify_proof(c, slots, hash, l) : 1;                \
    }

TRIE_FNS(blake2, trie_blake2_256)
TRIE_FNS(keccak, keccak_256)

#define TRIE_DEFS(hname, prefix)                                                                \
    { "ext_trie_" prefix "_root_version_1", "I:i", hname##_root_v1 },                          \
    { "ext_trie_" prefix "_root_version_2", "Ii:i", hname##_root_v2 },                         \
    { "ext_trie_" prefix "_ordered_root_version_1", "I:i", hname##_ordered_root_v1 },          \
    { "ext_trie_" prefix "_ordered_root_version_2", "Ii:i", hname##_ordered_root_v2 },         \
    { "ext_trie_" prefix "_verify_proof_version_1", "iIII:i", hname##_verify_proof_v1 },       \
    { "ext_trie_" prefix "_verify_proof_version_2", "iIIIi:i", hname##_verify_proof_v2 },

const hostfn_fn_def hostfn_trie_fns[] = {
    TRIE_DEFS(blake2, "blake2_256")
    TRIE_DEFS(keccak, "keccak_256")
    { NULL, NULL, NULL },
};

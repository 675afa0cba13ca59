/*
 * hostfn_storage.c — the storage host functions a runtime needs while a block is authored
 * (sp-io's `storage`, `default_child_storage`, `offchain_index`), over the externalities in
 * hostfn_env.user. They exist only here: the PVF set (src/runtime/) has none, so in a
 * validation any call to them traps, as in the reference (cumulus's validate_block brings its
 * own storage inside the wasm).
 *
 * Conventions are sp-io's (hostfn_abi.h): keys and values arrive as spans; Option<Vec<u8>>,
 * Option<u32> and KillStorageResult are returned SCALE-encoded in the runtime's heap, a
 * Vec<u8> (the roots) as its raw bytes.
 */
#include "author/hostfn_storage.h"

#include <stdlib.h>
#include <string.h>

#include "author/externalities.h"
#include "runtime/scale.h"

static externalities *ext_of(void *ctx)
{
    return ((hostfn_env *)ctx)->user;
}

static int oom(pvf_caller *c)
{
    return pvf_caller_trap(c, "block builder: out of memory");
}

/* Return SCALE bytes built in w as a span. */
static int return_writer(pvf_caller *c, void *ctx, scale_writer *w, uint64_t *slots)
{
    uint8_t *bytes;
    size_t len;
    if (!scale_writer_finish(w, &bytes, &len))
        return oom(c);
    uint64_t span;
    bool ok = hostfn_return_span(c, ctx, bytes, (uint32_t)len, &span);
    free(bytes);
    if (!ok)
        return 1;
    slots[0] = span;
    return 0;
}

/* Option<Vec<u8>> */
static int return_option_bytes(pvf_caller *c, void *ctx, bool some, const uint8_t *v, size_t len, uint64_t *slots)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_u8(&w, some);
    if (some)
        scale_write_byte_vec(&w, v, len);
    return return_writer(c, ctx, &w, slots);
}

/* ext_storage_read / ext_default_child_storage_read: copy from `offset` into value_out,
 * return Option<u32> = the bytes left from offset on (not the bytes copied). */
static int read_into(pvf_caller *c, void *ctx, bool found, const uint8_t *v, size_t vlen, uint64_t out_span,
                     uint32_t offset, uint64_t *slots)
{
    uint32_t out_len;
    uint8_t *out = (uint8_t *)hostfn_span(c, out_span, &out_len);
    if (!out)
        return 1;
    scale_writer w;
    scale_writer_init(&w);
    scale_write_u8(&w, found);
    if (found) {
        size_t from = offset < vlen ? offset : vlen, left = vlen - from;
        memcpy(out, v + from, left < out_len ? left : out_len);
        scale_write_u32(&w, (uint32_t)left);
    }
    return return_writer(c, ctx, &w, slots);
}

/* KillStorageResult: AllRemoved(u32) = 0, SomeRemaining(u32) = 1. */
static int return_kill_result(pvf_caller *c, void *ctx, bool all, uint32_t n, uint64_t *slots)
{
    scale_writer w;
    scale_writer_init(&w);
    scale_write_u8(&w, all ? 0 : 1);
    scale_write_u32(&w, n);
    return return_writer(c, ctx, &w, slots);
}

/* An Option<u32> limit given as a span. */
static bool read_limit(pvf_caller *c, uint64_t span, bool *has, uint32_t *limit)
{
    uint32_t len;
    const uint8_t *p = hostfn_span(c, span, &len);
    if (!p)
        return false;
    scale_reader r;
    scale_reader_init(&r, p, len, NULL);
    if (!scale_read_option(&r, has) || (*has && !scale_read_u32(&r, limit))) {
        pvf_caller_trap(c, "clear_prefix: the limit does not decode as Option<u32>");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ ext_storage_* */

static int storage_get(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen), *v = NULL;
    size_t vlen = 0;
    if (!key)
        return 1;
    bool found = ext_get(ext_of(ctx), key, klen, &v, &vlen);
    return return_option_bytes(c, ctx, found, v, vlen, slots);
}

static int storage_read(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen), *v = NULL;
    size_t vlen = 0;
    if (!key)
        return 1;
    bool found = ext_get(ext_of(ctx), key, klen, &v, &vlen);
    return read_into(c, ctx, found, v, vlen, slots[1], (uint32_t)slots[2], slots);
}

static int storage_set(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen, vlen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen);
    const uint8_t *val = key ? hostfn_span(c, slots[1], &vlen) : NULL;
    if (!val)
        return 1;
    return ext_set(ext_of(ctx), key, klen, val, vlen) ? 0 : oom(c);
}

static int storage_clear(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen);
    if (!key)
        return 1;
    return ext_clear(ext_of(ctx), key, klen) ? 0 : oom(c);
}

static int storage_exists(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen);
    if (!key)
        return 1;
    slots[0] = ext_exists(ext_of(ctx), key, klen);
    return 0;
}

static int storage_next_key(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen), *next = NULL;
    size_t nlen = 0;
    if (!key)
        return 1;
    bool found = ext_next_key(ext_of(ctx), key, klen, &next, &nlen);
    return return_option_bytes(c, ctx, found, next, nlen, slots);
}

static int storage_clear_prefix_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t plen, loops;
    bool all;
    const uint8_t *prefix = hostfn_span(c, slots[0], &plen);
    if (!prefix)
        return 1;
    return ext_clear_prefix(ext_of(ctx), prefix, plen, false, 0, &loops, &all) ? 0 : oom(c);
}

static int storage_clear_prefix_v2(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t plen, limit = 0, loops;
    bool has, all;
    const uint8_t *prefix = hostfn_span(c, slots[0], &plen);
    if (!prefix || !read_limit(c, slots[1], &has, &limit))
        return 1;
    if (!ext_clear_prefix(ext_of(ctx), prefix, plen, has, limit, &loops, &all))
        return oom(c);
    return return_kill_result(c, ctx, all, loops, slots);
}

static int storage_append(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t klen, ilen;
    const uint8_t *key = hostfn_span(c, slots[0], &klen);
    const uint8_t *item = key ? hostfn_span(c, slots[1], &ilen) : NULL;
    if (!item)
        return 1;
    return ext_append(ext_of(ctx), key, klen, item, ilen) ? 0 : oom(c);
}

/* A Vec<u8> result crosses as its raw bytes (sp-runtime-interface passes Vec<u8> as a fat
 * pointer, not SCALE-encoded): the 32 bytes of a root. */
static int return_raw(pvf_caller *c, void *ctx, const uint8_t *bytes, uint32_t len, uint64_t *slots)
{
    uint64_t span;
    if (!hostfn_return_span(c, ctx, bytes, len, &span))
        return 1;
    slots[0] = span;
    return 0;
}

static int return_root(pvf_caller *c, void *ctx, trie_layout layout, uint64_t *slots)
{
    uint8_t root[32];
    if (!ext_root(ext_of(ctx), layout, root))
        return pvf_caller_trap(c, "block builder: cannot compute the storage root (out of memory)");
    return return_raw(c, ctx, root, 32, slots);
}

static bool state_version(pvf_caller *c, uint32_t v, trie_layout *out)
{
    if (v > 1) {
        pvf_caller_trap(c, "storage root: unknown state version %u", v);
        return false;
    }
    *out = v ? TRIE_LAYOUT_V1 : TRIE_LAYOUT_V0;
    return true;
}

static int storage_root_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return return_root(c, ctx, TRIE_LAYOUT_V0, slots);
}

static int storage_root_v2(pvf_caller *c, void *ctx, uint64_t *slots)
{
    trie_layout l;
    return state_version(c, (uint32_t)slots[0], &l) ? return_root(c, ctx, l, slots) : 1;
}

/* Changes tries are gone: always None. */
static int storage_changes_root(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t len;
    if (!hostfn_span(c, slots[0], &len))
        return 1;
    return return_option_bytes(c, ctx, false, NULL, 0, slots);
}

static int storage_start_transaction(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)c, (void)slots;
    ext_start_transaction(ext_of(ctx));
    return 0;
}

static int storage_commit_transaction(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)slots;
    return ext_commit_transaction(ext_of(ctx)) ? 0 : pvf_caller_trap(c, "No open transaction that can be committed.");
}

static int storage_rollback_transaction(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)slots;
    return ext_rollback_transaction(ext_of(ctx)) ? 0 : pvf_caller_trap(c, "No open transaction that can be rolled back.");
}

/* ------------------------------------------------------------------ default child storage */

/* The storage key and one more span. */
static bool child_args(pvf_caller *c, uint64_t *slots, const uint8_t **sk, uint32_t *sklen, const uint8_t **key,
                       uint32_t *klen)
{
    *sk = hostfn_span(c, slots[0], sklen);
    *key = *sk ? hostfn_span(c, slots[1], klen) : NULL;
    return *key != NULL;
}

static int child_get(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key, *v = NULL;
    uint32_t sklen, klen;
    size_t vlen = 0;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen))
        return 1;
    bool found = ext_child_get(ext_of(ctx), sk, sklen, key, klen, &v, &vlen);
    return return_option_bytes(c, ctx, found, v, vlen, slots);
}

static int child_read(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key, *v = NULL;
    uint32_t sklen, klen;
    size_t vlen = 0;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen))
        return 1;
    bool found = ext_child_get(ext_of(ctx), sk, sklen, key, klen, &v, &vlen);
    return read_into(c, ctx, found, v, vlen, slots[2], (uint32_t)slots[3], slots);
}

static int child_set(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key, *val;
    uint32_t sklen, klen, vlen;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen) || !(val = hostfn_span(c, slots[2], &vlen)))
        return 1;
    return ext_child_set(ext_of(ctx), sk, sklen, key, klen, val, vlen) ? 0 : oom(c);
}

static int child_clear(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key;
    uint32_t sklen, klen;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen))
        return 1;
    return ext_child_set(ext_of(ctx), sk, sklen, key, klen, NULL, 0) ? 0 : oom(c);
}

static int child_exists(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key, *v;
    uint32_t sklen, klen;
    size_t vlen;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen))
        return 1;
    slots[0] = ext_child_get(ext_of(ctx), sk, sklen, key, klen, &v, &vlen);
    return 0;
}

static int child_next_key(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *key, *next = NULL;
    uint32_t sklen, klen;
    size_t nlen = 0;
    if (!child_args(c, slots, &sk, &sklen, &key, &klen))
        return 1;
    bool found = ext_child_next_key(ext_of(ctx), sk, sklen, key, klen, &next, &nlen);
    return return_option_bytes(c, ctx, found, next, nlen, slots);
}

static int child_clear_prefix_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *prefix;
    uint32_t sklen, plen, removed;
    if (!child_args(c, slots, &sk, &sklen, &prefix, &plen))
        return 1;
    return ext_child_clear_prefix(ext_of(ctx), sk, sklen, prefix, plen, &removed) ? 0 : oom(c);
}

/* A child trie holds only this block's changes, so a limit never leaves keys behind
 * among the parent's (it has none). */
static int child_clear_prefix_v2(pvf_caller *c, void *ctx, uint64_t *slots)
{
    const uint8_t *sk, *prefix;
    uint32_t sklen, plen, removed, limit;
    bool has;
    if (!child_args(c, slots, &sk, &sklen, &prefix, &plen) || !read_limit(c, slots[2], &has, &limit))
        return 1;
    if (!ext_child_clear_prefix(ext_of(ctx), sk, sklen, prefix, plen, &removed))
        return oom(c);
    return return_kill_result(c, ctx, true, 0, slots);
}

static int child_kill_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t sklen, removed;
    const uint8_t *sk = hostfn_span(c, slots[0], &sklen);
    if (!sk)
        return 1;
    return ext_child_clear_prefix(ext_of(ctx), sk, sklen, NULL, 0, &removed) ? 0 : oom(c);
}

static int child_kill_v2(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t sklen, removed, limit;
    bool has;
    const uint8_t *sk = hostfn_span(c, slots[0], &sklen);
    if (!sk || !read_limit(c, slots[1], &has, &limit))
        return 1;
    if (!ext_child_clear_prefix(ext_of(ctx), sk, sklen, NULL, 0, &removed))
        return oom(c);
    slots[0] = 1;       /* bool: everything removed */
    return 0;
}

static int child_kill_v3(pvf_caller *c, void *ctx, uint64_t *slots)
{
    uint32_t sklen, removed, limit;
    bool has;
    const uint8_t *sk = hostfn_span(c, slots[0], &sklen);
    if (!sk || !read_limit(c, slots[1], &has, &limit))
        return 1;
    if (!ext_child_clear_prefix(ext_of(ctx), sk, sklen, NULL, 0, &removed))
        return oom(c);
    return return_kill_result(c, ctx, true, 0, slots);
}

static int child_root_at(pvf_caller *c, void *ctx, uint64_t *slots, trie_layout layout)
{
    uint32_t sklen;
    const uint8_t *sk = hostfn_span(c, slots[0], &sklen);
    if (!sk)
        return 1;
    uint8_t root[32];
    bool empty;
    if (!ext_child_root(ext_of(ctx), sk, sklen, layout, root, &empty))
        return oom(c);
    return return_raw(c, ctx, root, 32, slots);
}

static int child_root_v1(pvf_caller *c, void *ctx, uint64_t *slots)
{
    return child_root_at(c, ctx, slots, TRIE_LAYOUT_V0);
}

static int child_root_v2(pvf_caller *c, void *ctx, uint64_t *slots)
{
    trie_layout l;
    return state_version(c, (uint32_t)slots[1], &l) ? child_root_at(c, ctx, slots, l) : 1;
}

/* ------------------------------------------------------------------ offchain index */

/* The offchain database is the node's business: nothing to record in a block. */
static int offchain_index_set(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)ctx;
    uint32_t a, b;
    return hostfn_span(c, slots[0], &a) && hostfn_span(c, slots[1], &b) ? 0 : 1;
}

static int offchain_index_clear(pvf_caller *c, void *ctx, uint64_t *slots)
{
    (void)ctx;
    uint32_t a;
    return hostfn_span(c, slots[0], &a) ? 0 : 1;
}

const hostfn_fn_def author_storage_fns[] = {
    { "ext_storage_get_version_1", "I:I", storage_get },
    { "ext_storage_read_version_1", "IIi:I", storage_read },
    { "ext_storage_set_version_1", "II:", storage_set },
    { "ext_storage_clear_version_1", "I:", storage_clear },
    { "ext_storage_exists_version_1", "I:i", storage_exists },
    { "ext_storage_next_key_version_1", "I:I", storage_next_key },
    { "ext_storage_clear_prefix_version_1", "I:", storage_clear_prefix_v1 },
    { "ext_storage_clear_prefix_version_2", "II:I", storage_clear_prefix_v2 },
    { "ext_storage_append_version_1", "II:", storage_append },
    { "ext_storage_root_version_1", ":I", storage_root_v1 },
    { "ext_storage_root_version_2", "i:I", storage_root_v2 },
    { "ext_storage_changes_root_version_1", "I:I", storage_changes_root },
    { "ext_storage_start_transaction_version_1", ":", storage_start_transaction },
    { "ext_storage_commit_transaction_version_1", ":", storage_commit_transaction },
    { "ext_storage_rollback_transaction_version_1", ":", storage_rollback_transaction },
    { "ext_default_child_storage_get_version_1", "II:I", child_get },
    { "ext_default_child_storage_read_version_1", "IIIi:I", child_read },
    { "ext_default_child_storage_set_version_1", "III:", child_set },
    { "ext_default_child_storage_clear_version_1", "II:", child_clear },
    { "ext_default_child_storage_exists_version_1", "II:i", child_exists },
    { "ext_default_child_storage_next_key_version_1", "II:I", child_next_key },
    { "ext_default_child_storage_clear_prefix_version_1", "II:", child_clear_prefix_v1 },
    { "ext_default_child_storage_clear_prefix_version_2", "III:I", child_clear_prefix_v2 },
    { "ext_default_child_storage_storage_kill_version_1", "I:", child_kill_v1 },
    { "ext_default_child_storage_storage_kill_version_2", "II:i", child_kill_v2 },
    { "ext_default_child_storage_storage_kill_version_3", "II:I", child_kill_v3 },
    { "ext_default_child_storage_root_version_1", "I:I", child_root_v1 },
    { "ext_default_child_storage_root_version_2", "Ii:I", child_root_v2 },
    { "ext_offchain_index_set_version_1", "II:", offchain_index_set },
    { "ext_offchain_index_clear_version_1", "I:", offchain_index_clear },
    { NULL, NULL, NULL },
};

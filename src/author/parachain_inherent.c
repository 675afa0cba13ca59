/*
 * parachain_inherent.c — ParachainInherentData and the relay-chain state proof (see
 * parachain_inherent.h).
 *
 * The relay state: one entry per key parachain-system reads (polkadot-primitives'
 * well_known_keys), with the values of a relay chain that has no messages, channels or
 * upgrades pending for the parachain. Keys of every era are present at once — a runtime
 * reads those of its own era and ignores the rest — and values that grew over the eras are
 * written in their longest form (read_entry decodes with Decode::decode, which ignores the
 * bytes after what it needs, as a real relay chain's longer HostConfiguration needs too).
 */
#include "author/parachain_inherent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "author/state.h"
#include "author/state_trie.h"
#include "runtime/hashing.h"
#include "runtime/scale.h"

/* The relay chain's PoV limit (polkadot-primitives MAX_POV_SIZE) as PersistedValidationData carries it. */
#define RELAY_MAX_POV_SIZE (5u * 1024 * 1024)

/* AbridgedHostConfiguration, in field order (polkadot-primitives v2 … v5), with values of a
 * Kusama-like relay chain. async_backing_params (the last two) came with v5. */
static const uint32_t HOST_CONFIGURATION[] = {
    3 * 1024 * 1024,    /* max_code_size */
    20 * 1024,          /* max_head_data_size */
    174762,             /* max_upward_queue_count */
    1048576,            /* max_upward_queue_size */
    65531,              /* max_upward_message_size */
    16,                 /* max_upward_message_num_per_candidate */
    10,                 /* hrmp_max_message_num_per_candidate */
    14400,              /* validation_upgrade_cooldown */
    600,                /* validation_upgrade_delay */
    0,                  /* async_backing_params.max_candidate_depth */
    0,                  /* async_backing_params.allowed_ancestry_len */
};

/* A Twox64Concat map key: prefix ++ twox64(para LE) ++ para LE (44 bytes). */
static void para_map_key(const char *pallet, const char *item, uint32_t para, uint8_t out[44])
{
    uint8_t le[4] = { (uint8_t)para, (uint8_t)(para >> 8), (uint8_t)(para >> 16), (uint8_t)(para >> 24) };
    storage_item_key(pallet, item, out);
    hash_twox_64(le, 4, out + 32);
    memcpy(out + 40, le, 4);
}

static bool put(author_state *st, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    return author_state_set(st, key, klen, val, vlen);
}

static bool relay_state(const parachain_inherent_input *in, author_state *st)
{
    uint8_t key[44], val[64];
    bool ok = true;
    /* ACTIVE_CONFIG: required */
    storage_item_key("Configuration", "ActiveConfig", key);
    for (size_t i = 0; i < sizeof HOST_CONFIGURATION / sizeof HOST_CONFIGURATION[0]; i++)
        for (int b = 0; b < 4; b++)
            val[4 * i + (size_t)b] = (uint8_t)(HOST_CONFIGURATION[i] >> (8 * b));
    ok = ok && put(st, key, 32, val, sizeof HOST_CONFIGURATION);
    /* CURRENT_SLOT (BABE), read by later eras' consensus hooks: u64 */
    storage_item_key("Babe", "CurrentSlot", key);
    for (int b = 0; b < 8; b++)
        val[b] = (uint8_t)(in->relay_slot >> (8 * b));
    ok = ok && put(st, key, 32, val, 8);
    /* dmq_mqc_head: the empty queue's head, the zero hash */
    para_map_key("Dmp", "DownwardMessageQueueHeads", in->para_id, key);
    memset(val, 0, 32);
    ok = ok && put(st, key, 44, val, 32);
    /* relay_dispatch_queue_size (Ump, until 2023): (count u32, size u32) = (0, 0) */
    para_map_key("Ump", "RelayDispatchQueueSize", in->para_id, key);
    memset(val, 0, 8);
    ok = ok && put(st, key, 44, val, 8);
    /* hrmp ingress / egress channel indexes: empty Vec<ParaId> */
    val[0] = 0;
    para_map_key("Hrmp", "HrmpIngressChannelsIndex", in->para_id, key);
    ok = ok && put(st, key, 44, val, 1);
    para_map_key("Hrmp", "HrmpEgressChannelsIndex", in->para_id, key);
    ok = ok && put(st, key, 44, val, 1);
    return ok;
}

bool parachain_inherent_build(const parachain_inherent_input *in, uint8_t **out, size_t *out_len,
                              uint8_t relay_root[32], char *err, size_t errlen)
{
    author_state st = { 0 };
    uint8_t *proof = NULL;
    size_t proof_len = 0;
    state_trie *t = NULL;
    bool ok = relay_state(in, &st);
    if (ok && (t = state_trie_new(st.entries, st.n, TRIE_LAYOUT_V0, err, errlen)) != NULL) {
        state_trie_root(t, relay_root);
        ok = state_trie_full_proof(t, &proof, &proof_len);
    } else {
        ok = false;
    }
    state_trie_free(t);
    author_state_free(&st);
    if (!ok) {
        free(proof);
        snprintf(err, errlen, "cannot build the relay-chain state proof (out of memory)");
        return false;
    }
    scale_writer w;
    scale_writer_init(&w);
    scale_write_byte_vec(&w, in->parent_head, in->parent_head_len);
    scale_write_u32(&w, in->relay_parent_number);
    scale_write_raw(&w, relay_root, 32);
    scale_write_u32(&w, RELAY_MAX_POV_SIZE);
    scale_write_raw(&w, proof, proof_len);      /* StorageProof: Vec<Vec<u8>> */
    scale_write_compact(&w, 0);                 /* downward_messages */
    scale_write_compact(&w, 0);                 /* horizontal_messages */
    free(proof);
    if (!scale_writer_finish(&w, out, out_len)) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

/*
 * block_builder.h — authoring parachain blocks offline, the way a cumulus collator does,
 * on top of a chain spec's genesis state: each block on the previous one's post-state.
 *
 *   block_builder *b = block_builder_new(&opts, err, sizeof err);
 *   built_block blk;
 *   while (...) { if (!block_builder_next(b, &blk, err, sizeof err)) ...; use blk; built_block_free(&blk); }
 *   block_builder_free(b);
 *
 * For each block (the collator's flow, sc-block-builder + cumulus-client-collator):
 *   Core_initialize_block(header: parent hash, number, digest [Aura: PreRuntime slot])
 *   BlockBuilder_inherent_extrinsics(inherent data)            in a rolled-back transaction
 *   BlockBuilder_apply_extrinsic(each)                          must return Ok(Ok(()))
 *   BlockBuilder_finalize_block()                               the header
 *   [Aura: seal = sr25519 signature of the header's hash by the block's author]
 *   BlockBuilder_check_inherents(block, inherent data)          on the parent state, for its reads
 *   validate_block(the ValidationParams)                         the first block (and with
 *                                                                check_every_block each): the
 *                                                                runtime must accept it
 * with the runtime's storage over the parent state (externalities.h), every trie node read
 * recorded; the recorded nodes become the block's compact proof.
 *
 * The parent state may differ from the chain spec's genesis (the parent head commits to it):
 * Aura chains get the builder's own key as their only authority (Aura and AuraExt), and
 * Glutton's Compute and Storage can be set.
 */
#ifndef PVF_AUTHOR_BLOCK_BUILDER_H
#define PVF_AUTHOR_BLOCK_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Blocks one builder authors at most: relay parent numbers and timestamps stay far from overflow. */
#define BLOCK_BUILDER_MAX_BLOCKS 100000

typedef struct block_builder_options {
    const char *chainspec;          /* path of a raw chain spec */
    uint32_t relay_parent_number;   /* of the first block; +1 per block */
    uint64_t timestamp_ms;          /* of the first block (Aura chains: rounded to the slot) */
    bool glutton_compute_set, glutton_storage_set;
    uint32_t glutton_compute, glutton_storage;  /* Perbill parts (1e9 = 100 %) */
    bool check_every_block;         /* run validate_block on every block (always on the first) */
} block_builder_options;

void block_builder_options_default(block_builder_options *o);

typedef struct built_block {
    uint32_t number;
    uint8_t hash[32];               /* blake2_256 of the sealed header */
    uint32_t extrinsics;
    uint8_t *params;                /* the ValidationParams a validator receives (malloc'd) */
    size_t params_len;
    uint8_t *head;                  /* the expected new head: the encoded sealed header */
    size_t head_len;
    size_t pov_size;                /* the ParachainBlockData (block_data) */
    size_t proof_size, proof_nodes; /* its compact proof */
    uint32_t relay_parent_number;
    double author_ms;               /* CPU time of the runtime calls */
    double check_ms;                /* CPU time of the builder's own validate_block, when run */
    const char *proof_format;       /* "compact" (CompactProof) or "plain" (StorageProof) */
} built_block;

void built_block_free(built_block *b);

typedef struct block_builder block_builder;

block_builder *block_builder_new(const block_builder_options *o, char *err, size_t errlen);
bool block_builder_next(block_builder *b, built_block *out, char *err, size_t errlen);
void block_builder_free(block_builder *b);

/* What the builder found in the chain spec and runtime, for reports. */
typedef struct block_builder_info {
    char chain[128];
    char spec_name[64];
    uint32_t spec_version;
    uint32_t para_id;
    int state_version;
    bool aura;
    uint64_t slot_duration_ms;
} block_builder_info;

void block_builder_describe(const block_builder *b, block_builder_info *out);

/* The validation code: the parent state's :code, as stored (maybe compressed). */
void block_builder_code(const block_builder *b, const uint8_t **code, size_t *len);

#endif

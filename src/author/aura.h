/*
 * aura.h — Aura for the block builder: the builder's own authority key, installed as the
 * chain's only authority, and the seal it signs.
 *
 * With one authority, every slot's author (slot % authorities) is that key. The state the
 * builder starts from gets it in Aura::Authorities and, where the chain has it,
 * AuraExt::Authorities (cumulus's aura-ext checks seals against those). Seals are sr25519
 * signatures of the hash of the header without the seal (sc-consensus-aura; cumulus
 * aura-ext's BlockExecutor verifies them in validate_block).
 */
#ifndef PVF_AUTHOR_AURA_H
#define PVF_AUTHOR_AURA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "author/state.h"

typedef struct aura_key {
    uint8_t secret[32];
    uint8_t pub[32];
} aura_key;

/* The builder's fixed key (derived from a constant seed, so blocks are reproducible). */
void aura_key_dev(aura_key *k);

/* Make k the only authority in `st`. False with err when the state has no Aura authorities. */
bool aura_install_key(author_state *st, const aura_key *k, char *err, size_t errlen);

/* sr25519 signature of the pre-seal header hash. */
bool aura_sign(const aura_key *k, const uint8_t pre_hash[32], uint8_t sig[64]);

#endif

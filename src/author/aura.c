/* aura.c — the builder's Aura authority and seals (see aura.h). */
#include "author/aura.h"

#include <stdio.h>
#include <string.h>

#include "runtime/hashing.h"
#include "runtime/sr25519.h"

void aura_key_dev(aura_key *k)
{
    uint8_t seed[32];
    static const char label[] = "pvf build-block authority";
    hash_blake2_256((const uint8_t *)label, sizeof label - 1, seed);
    sr25519_keypair_from_seed(seed, k->secret, k->pub);
}

bool aura_install_key(author_state *st, const aura_key *k, char *err, size_t errlen)
{
    uint8_t value[33], aura[32], ext[32];
    value[0] = 0x04;        /* Vec of one: compact(1) */
    memcpy(value + 1, k->pub, 32);
    storage_item_key("Aura", "Authorities", aura);
    storage_item_key("AuraExt", "Authorities", ext);
    if (!author_state_find(st, aura, 32)) {
        snprintf(err, errlen, "the runtime has the Aura api but the state has no Aura::Authorities");
        return false;
    }
    if (!author_state_set(st, aura, 32, value, sizeof value) ||
        (author_state_find(st, ext, 32) && !author_state_set(st, ext, 32, value, sizeof value))) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool aura_sign(const aura_key *k, const uint8_t pre_hash[32], uint8_t sig[64])
{
    return sr25519_sign(k->secret, k->pub, pre_hash, 32, sig);
}

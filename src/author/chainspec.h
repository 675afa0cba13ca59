/*
 * chainspec.h — a Substrate chain spec's raw genesis state (the JSON `genesis.raw`), the
 * parachain id and the relay chain's name.
 *
 *   chainspec cs;
 *   if (!chainspec_load("glutton.json", &cs, err, sizeof err)) ...
 *   cs.state: every key of genesis.raw.top, sorted; cs.para_id; cs.name
 *   chainspec_free(&cs);
 *
 * Only raw chain specs carry a state (a "genesis.runtime" spec needs the runtime's genesis
 * builder first: refused). Default child tries in the genesis state (`childrenDefault`) are
 * refused too: the block builder keeps child tries for one block only (externalities.h).
 */
#ifndef PVF_AUTHOR_CHAINSPEC_H
#define PVF_AUTHOR_CHAINSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "author/state.h"

typedef struct chainspec {
    char name[128];
    char id[64];
    char relay_chain[64];
    uint32_t para_id;
    author_state state;         /* genesis.raw.top, sorted by key */
} chainspec;

bool chainspec_load(const char *path, chainspec *out, char *err, size_t errlen);
void chainspec_free(chainspec *cs);

#endif

/*
 * parachain_inherent.h — cumulus's ParachainInherentData (inherent identifier "sysi1337")
 * and the relay-chain state it proves.
 *
 *   ParachainInherentData {
 *       validation_data: PersistedValidationData { parent_head: Vec<u8>, relay_parent_number: u32,
 *                                                  relay_parent_storage_root: [u8; 32], max_pov_size: u32 },
 *       relay_chain_state: StorageProof (Vec<Vec<u8>>, sorted trie nodes),
 *       downward_messages: Vec<InboundDownwardMessage>,              (none)
 *       horizontal_messages: BTreeMap<ParaId, Vec<InboundHrmpMessage>>,  (none)
 *   }
 *
 * The relay chain's state is a trie built here holding every key parachain-system's
 * RelayChainStateProof reads (relay_state_snapshot.rs, at each era the test data covers:
 * the table in parachain_inherent.c); its root is the relay parent's storage root.
 */
#ifndef PVF_AUTHOR_PARACHAIN_INHERENT_H
#define PVF_AUTHOR_PARACHAIN_INHERENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct parachain_inherent_input {
    uint32_t para_id;
    const uint8_t *parent_head;
    size_t parent_head_len;
    uint32_t relay_parent_number;
    uint64_t relay_slot;            /* BABE's current slot at the relay parent */
} parachain_inherent_input;

/* The encoded ParachainInherentData (malloc'd) and the relay parent's storage root. */
bool parachain_inherent_build(const parachain_inherent_input *in, uint8_t **out, size_t *out_len,
                              uint8_t relay_root[32], char *err, size_t errlen);

#endif

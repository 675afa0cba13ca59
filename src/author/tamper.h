/*
 * tamper.h — deliberately invalid candidates: a valid block's ValidationParams with one
 * thing broken, for testing that a validator votes Invalid (and with what reason).
 *
 *   proof-node   the PoV's storage proof without one node (the middle one)
 *   parent-head  the parent head with one byte changed (it no longer hashes to the
 *                block's parent hash)
 *   extrinsic    the first extrinsic with bit 1 of its last byte flipped (an
 *                inherent whose last field changes: the block's extrinsics root no longer
 *                matches, or the extrinsic no longer decodes)
 *   relay-root   the relay parent's storage root with one byte changed (the relay-chain
 *                state proof in the inherent no longer matches it)
 */
#ifndef PVF_AUTHOR_TAMPER_H
#define PVF_AUTHOR_TAMPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tamper_kind {
    TAMPER_PROOF_NODE,
    TAMPER_PARENT_HEAD,
    TAMPER_EXTRINSIC,
    TAMPER_RELAY_ROOT,
    TAMPER_KINDS
} tamper_kind;

const char *tamper_kind_name(tamper_kind k);
bool tamper_kind_parse(const char *name, tamper_kind *out);

/* The params with `k` broken (malloc'd). False with err when the params do not decode. */
bool tamper_params(const uint8_t *params, size_t len, tamper_kind k, uint8_t **out, size_t *out_len, char *err,
                   size_t errlen);

#endif

/*
 * features.c — the two feature profiles of the engine (see module.h).
 *
 * `pvf` is what Polkadot accepts on chain: Wasm MVP plus mutable-global
 * import/export (which needs no flag: the MVP decoder already reads the
 * mutability byte of imported globals). Bulk memory is switched on per
 * executor parameter by copying this value and setting `bulk_memory`.
 * `full` is what the spec test suite of December 2020 expects.
 */
#include "wasm/module.h"

const wasm_features WASM_FEATURES_PVF = {
    .sign_ext = false,
    .sat_float = false,
    .multi_value = false,
    .bulk_memory = false,
};

const wasm_features WASM_FEATURES_FULL = {
    .sign_ext = true,
    .sat_float = true,
    .multi_value = true,
    .bulk_memory = true,
};

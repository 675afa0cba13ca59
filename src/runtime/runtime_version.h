/*
 * runtime_version.h — a runtime's version, read from its code without running it.
 *
 * What `ext_misc_runtime_version_version_1` returns for a code blob (the
 * reference's PVF `ReadRuntimeVersion` → sc_executor::read_embedded_version):
 *
 *   1. uncompress the maybe-compressed blob, bomb limit 50 MiB (CODE_BLOB_BOMB_LIMIT);
 *   2. parse the wasm module;
 *   3. the first custom section `runtime_version` holds a SCALE RuntimeVersion
 *      (absent ⇒ "runtime version section is not found");
 *   4. the first custom section `runtime_apis`, if any, is a raw concatenation of
 *      12-byte entries, [u8; 8] api id + u32 LE version; the version of the `Core`
 *      api among them (id blake2b-64("Core")) is the layout hint for step 3:
 *        Core < 3 (or unknown)   …, apis                    transaction_version = 1
 *        Core = 3                …, apis, transaction_version
 *        Core ≥ 4                …, apis, transaction_version, system_version (u8)
 *      Without a runtime_apis section the hint comes from the apis inside the
 *      version section itself (normally empty, so the short layout);
 *   5. the apis of the result are those of runtime_apis (when present);
 *   6. re-encode with the current (Core ≥ 4) layout:
 *        spec_name: str, impl_name: str, authoring_version: u32, spec_version: u32,
 *        impl_version: u32, apis: Vec<([u8; 8], u32)>, transaction_version: u32,
 *        system_version: u8.
 *
 * Strings must be UTF-8 (Rust `String` decoding). Bytes after the decoded
 * version are ignored, as parity-scale-codec's `decode` does.
 */
#ifndef PVF_RUNTIME_RUNTIME_VERSION_H
#define PVF_RUNTIME_RUNTIME_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/reference.h"     /* PVF_REF_CODE_BLOB_BOMB_LIMIT: ReadRuntimeVersion's bomb limit */

/* blake2b-64("Core"): the id of the Core runtime api. */
extern const uint8_t RUNTIME_API_CORE_ID[8];

/*
 * The runtime_version answer for `blob` (maybe compressed): on success *encoded
 * is a malloc'd SCALE RuntimeVersion (the caller frees it). On failure returns
 * false with the reason in err.
 */
bool runtime_version_read(const uint8_t *blob, size_t len, uint8_t **encoded, size_t *encoded_len,
                          char *err, size_t errlen);

typedef struct runtime_api {
    uint8_t id[8];
    uint32_t version;
} runtime_api;

#define RUNTIME_VERSION_NAME_MAX 64     /* bytes kept of each name, NUL included */
#define RUNTIME_VERSION_APIS_MAX 128    /* apis kept; napis counts them all */

/* A decoded RuntimeVersion, for tests and the CLI. */
typedef struct runtime_version_info {
    char spec_name[RUNTIME_VERSION_NAME_MAX];   /* NUL-terminated; longer names are cut */
    char impl_name[RUNTIME_VERSION_NAME_MAX];
    uint32_t spec_name_len, impl_name_len;      /* the full lengths */
    uint32_t authoring_version, spec_version, impl_version, transaction_version;
    uint8_t system_version;
    bool has_core_version;                      /* the apis list Core */
    uint32_t core_version;                      /* its version, when listed */
    uint32_t napis;
    runtime_api apis[RUNTIME_VERSION_APIS_MAX]; /* the first min(napis, APIS_MAX) */
} runtime_version_info;

/*
 * Decode a SCALE RuntimeVersion the way `RuntimeVersion::decode` does: the
 * layout follows the Core api version found in its own apis (see above).
 * This reads both `Core_version` outputs and runtime_version_read's encoding.
 */
bool runtime_version_decode(const uint8_t *enc, size_t len, runtime_version_info *out, char *err,
                            size_t errlen);

#endif

/*
 * hostfn.h — the PVF host-function set and how a runtime links to it.
 *
 * The set is the reference's (misc, crypto, hashing, allocator, logging,
 * trie: reference-behaviour.md §5.5). Every import must be a function of
 * module `env`. An import the set does not have is linked as a stub that
 * traps with "call to a missing function env:NAME" when called (Wasmtime's
 * allow_missing_func_imports); an import whose name is known but whose
 * signature differs is a link error.
 */
#ifndef PVF_RUNTIME_HOSTFN_H
#define PVF_RUNTIME_HOSTFN_H

#include "pvf/runtime.h"
#include "runtime/hostfn_abi.h"

/* The definition of host function `name` in `extra` (if given) or the PVF set, or NULL. */
const hostfn_fn_def *hostfn_find(const hostfn_fn_def *extra, const char *name);

/*
 * Build the import list of `code` in `store` (malloc'd array, one entry per
 * import; free() it). Missing functions are left NULL for the engine's stubs.
 * `extra` (NULL for the PVF set) adds functions and takes precedence: the block
 * builder's storage functions (src/author/) — never a validation's.
 */
bool hostfn_link(pvf_store *store, const pvf_code *code, hostfn_env *env, const hostfn_fn_def *extra,
                 pvf_extern **imports, char *err, size_t errlen);

/*
 * pvf_runtime_call with an extra host-function table (see hostfn_link) and a pointer the
 * extra functions find in hostfn_env.user.
 */
/* pvf_runtime_instantiate with an extra host-function table and its pointer, as above. */
pvf_runtime_instance *runtime_instantiate_with(const pvf_code *code, const char *name, const hostfn_fn_def *extra,
                                               void *user);

void runtime_call_with(const pvf_code *code, const char *name, const uint8_t *input, size_t input_len,
                       const hostfn_fn_def *extra, void *user, pvf_call_result *out);

#endif

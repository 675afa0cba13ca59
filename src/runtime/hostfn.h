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

#include "runtime/hostfn_abi.h"

/* The definition of host function `name`, or NULL. */
const hostfn_fn_def *hostfn_find(const char *name);

/*
 * Build the import list of `code` in `store` (malloc'd array, one entry per
 * import; free() it). Missing functions are left NULL for the engine's stubs.
 */
bool hostfn_link(pvf_store *store, const pvf_code *code, hostfn_env *env, pvf_extern **imports,
               char *err, size_t errlen);

#endif

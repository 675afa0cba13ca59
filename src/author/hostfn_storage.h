/*
 * hostfn_storage.h — the block builder's extra host functions: storage, default child
 * storage and offchain indexing over the externalities (externalities.h) that a call passes
 * as hostfn_env.user (runtime_call_with in runtime/hostfn.h).
 */
#ifndef PVF_AUTHOR_HOSTFN_STORAGE_H
#define PVF_AUTHOR_HOSTFN_STORAGE_H

#include "runtime/hostfn.h"

extern const hostfn_fn_def author_storage_fns[];

#endif

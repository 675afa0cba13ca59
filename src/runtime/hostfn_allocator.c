/*
 * hostfn_allocator.c — ext_allocator_*: the runtime's heap, served by the
 * freeing-bump allocator (allocator.c). Failures panic in the reference
 * ("Failed to allocate memory"), which makes the candidate invalid.
 */
#include "runtime/hostfn_abi.h"

static int allocator_malloc(pvf_caller *c, void *ctx, uint64_t *slots)
{
    hostfn_env *env = ctx;
    char err[256];
    uint32_t ptr = 0;
    pvf_memory *mem = pvf_caller_memory_object(c);
    if (!mem || !fb_malloc(&env->alloc, mem, (uint32_t)slots[0], &ptr, err, sizeof err))
        return pvf_caller_trap(c, "Failed to allocate memory: %s", mem ? err : "no memory");
    slots[0] = ptr;
    return 0;
}

static int allocator_free(pvf_caller *c, void *ctx, uint64_t *slots)
{
    hostfn_env *env = ctx;
    char err[256];
    pvf_memory *mem = pvf_caller_memory_object(c);
    if (!mem || !fb_free(&env->alloc, mem, (uint32_t)slots[0], err, sizeof err))
        return pvf_caller_trap(c, "Failed to deallocate memory: %s", mem ? err : "no memory");
    return 0;
}

const hostfn_fn_def hostfn_allocator_fns[] = {
    { "ext_allocator_malloc_version_1", "i:i", allocator_malloc },
    { "ext_allocator_free_version_1", "i:", allocator_free },
    { NULL, NULL, NULL },
};

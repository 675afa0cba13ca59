/* hostfn_abi.c — moving bytes between host functions and the runtime's memory (see hostfn_abi.h). */
#include "runtime/hostfn_abi.h"

#include <string.h>

uint8_t *hostfn_ptr(pvf_caller *c, uint32_t ptr, uint32_t len)
{
    uint64_t size;
    uint8_t *mem = pvf_caller_memory(c, &size);
    if (!mem || (uint64_t)ptr + len > size) {
        pvf_caller_trap(c, "host function: memory access out of bounds (%u bytes at %u)", len, ptr);
        return NULL;
    }
    return mem + ptr;
}

const uint8_t *hostfn_span(pvf_caller *c, uint64_t span, uint32_t *len)
{
    *len = (uint32_t)(span >> 32);
    return hostfn_ptr(c, (uint32_t)span, *len);
}

uint32_t hostfn_alloc_copy(pvf_caller *c, hostfn_env *env, const void *bytes, uint32_t len)
{
    char err[256];
    uint32_t ptr = 0;
    pvf_memory *mem = pvf_caller_memory_object(c);
    if (!mem || !env->alloc_ready || !fb_malloc(&env->alloc, mem, len, &ptr, err, sizeof err)) {
        pvf_caller_trap(c, "Failed to allocate memory: %s", mem && env->alloc_ready ? err : "no heap");
        return 0;
    }
    if (len)
        memcpy(pvf_memory_data(mem) + ptr, bytes, len);
    return ptr;
}

bool hostfn_return_span(pvf_caller *c, hostfn_env *env, const void *bytes, uint32_t len, uint64_t *span)
{
    uint32_t ptr = hostfn_alloc_copy(c, env, bytes, len);
    if (!ptr)
        return false;
    *span = (uint64_t)ptr | (uint64_t)len << 32;
    return true;
}

/*
 * memory.c — linear memory: one address-space reservation per memory.
 *
 * 8 GiB and a guard are reserved PROT_NONE with MAP_NORESERVE at creation — every address
 * a wasm access can form (a 32-bit address + a 32-bit offset + up to 8 bytes) lies inside,
 * so the native tier's loads and stores need no bounds check: past the current size the
 * reservation faults, and native_x64.c turns that fault into the out-of-bounds trap. Growing
 * only changes protection, so the base
 * never moves and growth cannot fail for lack of host memory at a point the
 * reference would succeed: `memory.grow` fails (returns -1) exactly when the
 * new size would pass the module's maximum. An mprotect failure inside the
 * reservation is a host fault, not a wasm result, so it aborts the process
 * (the worker reports a crash, never a verdict).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "wasm/store.h"

#define RESERVATION_BYTES (((size_t)8 << 30) + PVF_WASM_PAGE_BYTES)  /* 2^32 + 2^32 + 8 bytes, rounded up */

bool memory_init(pvf_memory *mem, uint32_t min_pages, uint32_t max_pages)
{
    if (max_pages > WASM_MAX_PAGES)
        max_pages = WASM_MAX_PAGES;
    mem->reserved = RESERVATION_BYTES;
    void *p = mmap(NULL, mem->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    mem->base = p;
    mem->pages = 0;
    mem->size = 0;
    mem->max_pages = max_pages;
    return pvf_memory_grow(mem, min_pages) == 0;
}

void memory_release(pvf_memory *mem)
{
    if (mem->base)
        munmap(mem->base, mem->reserved);
    mem->base = NULL;
}

static pvf_out_of_memory_fn out_of_memory;

void pvf_engine_on_out_of_memory(pvf_out_of_memory_fn fn)
{
    out_of_memory = fn;
}

int64_t pvf_memory_grow(pvf_memory *mem, uint32_t pages)
{
    uint32_t old = mem->pages;
    if ((uint64_t)old + pages > mem->max_pages)
        return -1;
    if (pages == 0)
        return old;
    if (mprotect(mem->base + (size_t)old * PVF_WASM_PAGE_BYTES, (size_t)pages * PVF_WASM_PAGE_BYTES,
                 PROT_READ | PROT_WRITE) != 0) {
        /* Not -1: that would be the module's own failure, and differ between machines. */
        if (out_of_memory)
            out_of_memory();
        fprintf(stderr, "pvf: mprotect failed inside a memory reservation\n");
        abort();
    }
    mem->pages = old + pages;
    mem->size = (uint64_t)mem->pages * PVF_WASM_PAGE_BYTES;
    return old;
}

uint8_t *pvf_memory_data(pvf_memory *mem)
{
    return mem->base;
}

uint64_t pvf_memory_size(const pvf_memory *mem)
{
    return mem->size;
}

pvf_limits pvf_memory_limits(const pvf_memory *mem)
{
    return (pvf_limits){ mem->pages, mem->max_pages, mem->has_max };
}

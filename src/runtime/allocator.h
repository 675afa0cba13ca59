/*
 * allocator.h — Substrate's freeing-bump heap allocator (sc-allocator's
 * FreeingBumpHeapAllocator, on-chain configuration), bit-exact.
 *
 * The runtime's `ext_allocator_malloc/free` host functions and the call
 * convention (the input buffer is the first allocation) use it, so every
 * address it hands out, every growth of the wasm memory and every failure is
 * part of what a validator agrees on. reference-behaviour.md §5.6.
 *
 * Layout in wasm memory: the heap starts at align8(__heap_base). Every block
 * is an 8-byte header followed by a power-of-two payload of 8 B .. 32 MiB
 * ("order" 0 .. 22). The header is a little-endian u64 at ptr - 8:
 *   occupied:  bit 32 set,   low 32 bits = order
 *   free:      bit 32 clear, low 32 bits = header address of the next free
 *              block of the same order, or FB_NIL
 * Free blocks of one order form a LIFO list whose head lives here (host
 * side); new blocks come from a bump pointer that grows the memory (doubling,
 * capped by the memory's maximum) when it runs past its end. Memory is never
 * given back and never moves between orders.
 *
 * The headers live in memory the wasm code can write, so everything read
 * from them is checked; a hostile runtime gets an error, never UB. Any error
 * poisons the allocator: every later call fails too.
 */
#ifndef PVF_RUNTIME_ALLOCATOR_H
#define PVF_RUNTIME_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvf/engine.h"

#define FB_ORDERS 23                            /* 2^3 .. 2^25 bytes */
#define FB_MIN_ALLOCATION 8u
#define FB_MAX_ALLOCATION (32u * 1024u * 1024u) /* sp_core::MAX_POSSIBLE_ALLOCATION */
#define FB_HEADER_SIZE 8u
#define FB_NIL 0xFFFFFFFFu                      /* end of a free list */
#define FB_PAGE_SIZE 65536u
#define FB_WASM_MAX_PAGES 65536u                /* the maximum when the memory has none */

/* The variants of sc_allocator::Error. */
typedef enum fb_error {
    FB_OK = 0,
    FB_TOO_LARGE,       /* RequestedAllocationTooLarge */
    FB_OUT_OF_SPACE,    /* AllocatorOutOfSpace */
    FB_MEMORY_SHRUNK,   /* MemoryShrinked */
    FB_OTHER,           /* Other(&'static str): corrupted headers, bad pointers, poisoned */
} fb_error;

/* sc_allocator::AllocationStats. Counters wrap at 32 bits as the reference's
 * release build does; the sum is u128 upstream, 64 bits here (2^39 maximal
 * allocations would be needed to tell the difference). */
typedef struct fb_stats {
    uint32_t bytes_allocated;       /* live blocks, headers included */
    uint32_t bytes_allocated_peak;
    uint64_t bytes_allocated_sum;   /* every allocation ever made */
    uint32_t address_space_used;    /* bumper - heap base, as of the last allocation */
} fb_stats;

typedef struct fb_allocator {
    uint32_t original_heap_base;    /* align8(__heap_base) */
    uint32_t bumper;                /* next fresh header address */
    uint32_t free_lists[FB_ORDERS]; /* header address of each list's head, or FB_NIL */
    bool poisoned;
    fb_error last_error;            /* kind of the last failure (FB_OK if none) */
    const char *poison_cause;       /* message of the error that poisoned it */
    uint64_t last_observed_memory_size;
    fb_stats stats;
} fb_allocator;

/* A fresh allocator for a heap starting at `heap_base` (the __heap_base global). */
void fb_init(fb_allocator *a, uint32_t heap_base);

/*
 * Allocate `size` bytes in `mem` (growing it if needed); *ptr receives the
 * address of the payload. On failure returns false, sets a->last_error, and
 * writes the reference's message to err ("Allocator ran out of space",
 * "Requested allocation size is too large", "Shrinking of the underlying
 * memory is observed", "Other: ...") followed by details.
 */
bool fb_malloc(fb_allocator *a, pvf_memory *mem, uint32_t size, uint32_t *ptr, char *err,
               size_t errlen);

/* Free the block whose payload is at `ptr`. Failures as for fb_malloc. */
bool fb_free(fb_allocator *a, pvf_memory *mem, uint32_t ptr, char *err, size_t errlen);

fb_stats fb_get_stats(const fb_allocator *a);

/* The order serving `size` bytes (sizes below 8 count as 8); false when
 * size > FB_MAX_ALLOCATION. */
bool fb_order_from_size(uint32_t size, uint32_t *order);

/* Payload size of an order: 8 << order. */
uint32_t fb_order_size(uint32_t order);

#endif

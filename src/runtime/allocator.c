/*
 * allocator.c — the freeing-bump heap allocator (see allocator.h).
 *
 * This follows substrate/client/allocator/src/freeing_bump.rs step by step,
 * including the order of its checks, because which error comes first and
 * what state is left behind are observable: the upstream code poisons itself
 * on any error, after possibly having changed a free list (deallocation's
 * byte-count underflow), and we do the same. Arithmetic on the bumper and
 * the statistics is 32-bit and wraps as in the reference's release build;
 * comparisons against the memory size are done in 64 bits as upstream does.
 */
#include "runtime/allocator.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OCCUPIED_BIT ((uint64_t)1 << 32)

/* Display texts of sc_allocator::Error, indexed by fb_error. */
static const char *const error_text[] = {
    [FB_OK] = "no error",
    [FB_TOO_LARGE] = "Requested allocation size is too large",
    [FB_OUT_OF_SPACE] = "Allocator ran out of space",
    [FB_MEMORY_SHRUNK] = "Shrinking of the underlying memory is observed",
    [FB_OTHER] = "Other",
};

/*
 * Record a failure: poison the allocator and write "<reference message>;
 * <details>" to err. `other` is the message of an Error::Other, NULL for
 * the other variants.
 */
__attribute__((format(printf, 6, 7)))
static bool fail(fb_allocator *a, fb_error kind, const char *other, char *err, size_t errlen,
                 const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);

    a->poisoned = true;
    a->last_error = kind;
    a->poison_cause = other ? other : error_text[kind];
    if (err && errlen) {
        if (other)
            snprintf(err, errlen, "Other: %s; %s", other, detail);
        else
            snprintf(err, errlen, "%s; %s", error_text[kind], detail);
    }
    return false;
}

/* Every call on a poisoned allocator fails, without touching anything. */
static bool fail_poisoned(fb_allocator *a, char *err, size_t errlen)
{
    a->last_error = FB_OTHER;
    if (err && errlen)
        snprintf(err, errlen, "Other: the allocator has been poisoned; by an earlier error: %s",
                 a->poison_cause ? a->poison_cause : "unknown");
    return false;
}

void fb_init(fb_allocator *a, uint32_t heap_base)
{
    memset(a, 0, sizeof *a);
    /* Rounded up to 8 in 32 bits: a base in the last 7 bytes of the address
     * space wraps to 0, as upstream's u32 arithmetic does. */
    a->original_heap_base = (uint32_t)(((uint64_t)heap_base + 7) & ~(uint64_t)7);
    a->bumper = a->original_heap_base;
    for (int i = 0; i < FB_ORDERS; i++)
        a->free_lists[i] = FB_NIL;
    a->last_error = FB_OK;
}

fb_stats fb_get_stats(const fb_allocator *a)
{
    return a->stats;
}

uint32_t fb_order_size(uint32_t order)
{
    return FB_MIN_ALLOCATION << order;
}

bool fb_order_from_size(uint32_t size, uint32_t *order)
{
    if (size > FB_MAX_ALLOCATION)
        return false;
    if (size < FB_MIN_ALLOCATION)
        size = FB_MIN_ALLOCATION;
    /* Smallest order whose block holds `size`: log2 of the next power of two, minus 3. */
    uint32_t o = 0;
    while (fb_order_size(o) < size)
        o++;
    *order = o;
    return true;
}

/* ---- headers in wasm memory --------------------------------------------------------------- */

/* Read the u64 header at `at`; false when it is not wholly inside the memory. */
static bool read_u64(pvf_memory *mem, uint32_t at, uint64_t *value)
{
    if ((uint64_t)at + 8 > pvf_memory_size(mem))
        return false;
    const uint8_t *p = pvf_memory_data(mem) + at;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    *value = v;
    return true;
}

static bool write_u64(pvf_memory *mem, uint32_t at, uint64_t value)
{
    if ((uint64_t)at + 8 > pvf_memory_size(mem))
        return false;
    uint8_t *p = pvf_memory_data(mem) + at;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(value >> (8 * i));
    return true;
}

/* ---- allocation --------------------------------------------------------------------------- */

/* The memory may grow behind our back (memory.grow in wasm) but never shrink. */
static bool observe_memory_size(fb_allocator *a, pvf_memory *mem, char *err, size_t errlen)
{
    uint64_t size = pvf_memory_size(mem);
    if (size < a->last_observed_memory_size)
        return fail(a, FB_MEMORY_SHRUNK, NULL, err, errlen,
                    "memory is %llu bytes, was %llu bytes", (unsigned long long)size,
                    (unsigned long long)a->last_observed_memory_size);
    a->last_observed_memory_size = size;
    return true;
}

/*
 * Take the head of a non-empty free list. The head was written by wasm-
 * writable memory, so it is checked to lie inside the memory with its whole
 * block before its header is trusted.
 */
static bool pop_free_list(fb_allocator *a, pvf_memory *mem, uint32_t order, uint32_t *header,
                          char *err, size_t errlen)
{
    uint32_t head = a->free_lists[order];
    uint64_t mem_size = pvf_memory_size(mem);
    if ((uint64_t)head + fb_order_size(order) + FB_HEADER_SIZE > mem_size)
        return fail(a, FB_OTHER, "Invalid header pointer detected", err, errlen,
                    "free list of order %u starts at 0x%08x, its %u-byte block passes the end "
                    "of the %llu-byte memory",
                    order, head, fb_order_size(order), (unsigned long long)mem_size);
    uint64_t raw = 0;
    if (!read_u64(mem, head, &raw))
        return fail(a, FB_OTHER, "read out of heap bounds", err, errlen, "header at 0x%08x", head);
    if (raw & OCCUPIED_BIT) {
        /* Upstream decodes the header first, so a bad order is reported as such. */
        if ((uint32_t)raw >= FB_ORDERS)
            return fail(a, FB_OTHER, "invalid order", err, errlen,
                        "header at 0x%08x holds order %u", head, (uint32_t)raw);
        return fail(a, FB_OTHER, "free list points to a occupied header", err, errlen,
                    "header at 0x%08x, order %u", head, order);
    }
    a->free_lists[order] = (uint32_t)raw;
    *header = head;
    return true;
}

/*
 * Grow the memory so that it holds `required` bytes: to twice its size, or
 * to its maximum if that is less, or to what is required if that is more.
 */
static bool grow_memory(fb_allocator *a, pvf_memory *mem, uint64_t required, char *err,
                        size_t errlen)
{
    uint64_t required_pages = (required + FB_PAGE_SIZE - 1) / FB_PAGE_SIZE;
    pvf_limits lim = pvf_memory_limits(mem);
    uint32_t current = lim.min;
    uint32_t max = lim.has_max ? lim.max : FB_WASM_MAX_PAGES;
    if (current >= max)
        return fail(a, FB_OUT_OF_SPACE, NULL, err, errlen,
                    "memory is at its maximum of %u pages, %llu bytes are needed", max,
                    (unsigned long long)required);
    if (required_pages > max)
        return fail(a, FB_OUT_OF_SPACE, NULL, err, errlen,
                    "%llu pages are needed, the maximum is %u pages",
                    (unsigned long long)required_pages, max);
    uint64_t next = (uint64_t)current * 2;
    if (next > max)
        next = max;
    if (next < required_pages)
        next = required_pages;
    if (pvf_memory_grow(mem, (uint32_t)(next - current)) < 0)
        return fail(a, FB_OUT_OF_SPACE, NULL, err, errlen,
                    "growing the memory from %u to %llu pages failed", current,
                    (unsigned long long)next);
    return true;
}

/* Take `size` fresh bytes at the bumper, growing the memory when they pass its end. */
static bool bump(fb_allocator *a, pvf_memory *mem, uint32_t size, uint32_t *header, char *err,
                 size_t errlen)
{
    uint64_t required = (uint64_t)a->bumper + size;
    if (required > pvf_memory_size(mem) && !grow_memory(a, mem, required, err, errlen))
        return false;
    *header = a->bumper;
    a->bumper += size;  /* wraps at 2^32 like upstream's u32 (only a 4 GiB memory gets there) */
    return true;
}

bool fb_malloc(fb_allocator *a, pvf_memory *mem, uint32_t size, uint32_t *ptr, char *err,
               size_t errlen)
{
    if (a->poisoned)
        return fail_poisoned(a, err, errlen);
    if (!mem)
        return fail(a, FB_OTHER, "no linear memory", err, errlen, "the instance has no memory");
    if (!observe_memory_size(a, mem, err, errlen))
        return false;
    uint32_t order = 0;
    if (!fb_order_from_size(size, &order))
        return fail(a, FB_TOO_LARGE, NULL, err, errlen, "%u bytes requested, the maximum is %u",
                    size, FB_MAX_ALLOCATION);
    uint32_t block = fb_order_size(order) + FB_HEADER_SIZE;
    uint32_t header = 0;
    if (a->free_lists[order] != FB_NIL) {
        if (!pop_free_list(a, mem, order, &header, err, errlen))
            return false;
    } else if (!bump(a, mem, block, &header, err, errlen)) {
        return false;
    }
    if (!write_u64(mem, header, OCCUPIED_BIT | order))
        return fail(a, FB_OTHER, "write out of heap bounds", err, errlen, "header at 0x%08x",
                    header);

    a->stats.bytes_allocated += block;
    a->stats.bytes_allocated_sum += block;
    if (a->stats.bytes_allocated > a->stats.bytes_allocated_peak)
        a->stats.bytes_allocated_peak = a->stats.bytes_allocated;
    a->stats.address_space_used = a->bumper - a->original_heap_base;
    a->last_error = FB_OK;
    *ptr = header + FB_HEADER_SIZE;
    return true;
}

bool fb_free(fb_allocator *a, pvf_memory *mem, uint32_t ptr, char *err, size_t errlen)
{
    if (a->poisoned)
        return fail_poisoned(a, err, errlen);
    if (!mem)
        return fail(a, FB_OTHER, "no linear memory", err, errlen, "the instance has no memory");
    if (!observe_memory_size(a, mem, err, errlen))
        return false;
    if (ptr < FB_HEADER_SIZE)
        return fail(a, FB_OTHER, "Invalid pointer for deallocation", err, errlen,
                    "pointer 0x%08x has no room for a header", ptr);
    uint32_t header = ptr - FB_HEADER_SIZE;
    uint64_t raw = 0;
    if (!read_u64(mem, header, &raw))
        return fail(a, FB_OTHER, "read out of heap bounds", err, errlen,
                    "header of pointer 0x%08x passes the end of the %llu-byte memory", ptr,
                    (unsigned long long)pvf_memory_size(mem));
    if (!(raw & OCCUPIED_BIT))
        return fail(a, FB_OTHER, "the allocation points to an empty header", err, errlen,
                    "pointer 0x%08x is not allocated", ptr);
    uint32_t order = (uint32_t)raw;
    if (order >= FB_ORDERS)
        return fail(a, FB_OTHER, "invalid order", err, errlen,
                    "header of pointer 0x%08x holds order %u", ptr, order);

    /* Push on the order's list: the block's header becomes Free(previous head). */
    uint32_t prev = a->free_lists[order];
    a->free_lists[order] = header;
    write_u64(mem, header, prev);  /* cannot fail: the same 8 bytes were just read */

    uint32_t block = fb_order_size(order) + FB_HEADER_SIZE;
    if (a->stats.bytes_allocated < block)
        return fail(a, FB_OTHER, "underflow of the currently allocated bytes count", err, errlen,
                    "freeing %u bytes with %u allocated", block, a->stats.bytes_allocated);
    a->stats.bytes_allocated -= block;
    a->last_error = FB_OK;
    return true;
}

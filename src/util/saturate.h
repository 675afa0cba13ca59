/*
 * saturate.h — arithmetic on sizes and times that stops at UINT64_MAX instead of wrapping.
 *
 * A timeout or budget comes from outside (a node's request, the chain's executor parameters,
 * a command line); multiplied into nanoseconds or by the wall-clock factor it must never wrap
 * into a tiny number — that would time out a valid candidate at once (issue 13, finding 6).
 * A saturated value means "longer than anything will run".
 */
#ifndef PVF_UTIL_SATURATE_H
#define PVF_UTIL_SATURATE_H

#include <stdint.h>

static inline uint64_t sat_add_u64(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t sat_mul_u64(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

#endif

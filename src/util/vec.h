/*
 * vec.h — growing an array of `elem`-byte items held as (items, cap): the
 * one doubling-realloc every growable array of the project uses.
 */
#ifndef PVF_UTIL_VEC_H
#define PVF_UTIL_VEC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Make *items hold at least `need` items: capacity doubles from `first` (or
 * from *cap) until it does. False, leaving *items and *cap as they were, on
 * out of memory or when the size would overflow.
 */
bool vec_reserve(void **items, size_t *cap, size_t need, size_t elem, size_t first);

#endif

/*
 * big_alloc.h — large buffers (compiled code, artifacts) that are filled once.
 *
 * Faulting in megabytes of fresh memory 4 KiB at a time costs more than
 * writing it (a third of prepare time on a 3.5 MB runtime). Buffers of a few
 * MiB or more are therefore 2 MiB-aligned and marked for transparent huge
 * pages. The result is ordinary malloc memory: free() and realloc() work.
 */
#ifndef PVF_UTIL_BIG_ALLOC_H
#define PVF_UTIL_BIG_ALLOC_H

#include <stddef.h>

void *big_alloc(size_t size);

#endif

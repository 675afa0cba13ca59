/* big_alloc.c — see big_alloc.h. */
#include "util/big_alloc.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *big_alloc(size_t size)
{
    if (size < 2 * HUGE_PAGE)
        return malloc(size ? size : 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0)
        return NULL;
    madvise(p, size & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);   /* a hint: failure changes nothing */
    return p;
}

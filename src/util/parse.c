/* parse.c — strict number parsing (see parse.h). */
#include "util/parse.h"

bool parse_decimal(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool parse_count_u32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (!parse_decimal(s, UINT32_MAX, &v) || v == 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* utf8.c — strict UTF-8 validation (see utf8.h; the Unicode 3.9 table of well-formed sequences). */
#include "util/utf8.h"

size_t utf8_sequence_length(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    else
        return 0;                   /* continuation byte, C0/C1 overlong lead, F5..FF */
    if (c == 0xE0)
        lo = 0xA0;                  /* overlong below U+0800 */
    else if (c == 0xED)
        hi = 0x9F;                  /* surrogates */
    else if (c == 0xF0)
        lo = 0x90;                  /* overlong below U+10000 */
    else if (c == 0xF4)
        hi = 0x8F;                  /* above U+10FFFF */
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

size_t utf8_invalid_at(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_sequence_length(s + i, len - i);
        if (!k)
            return i;
        i += k;
    }
    return len;
}

/* hex.c — hex encoding and decoding (see hex.h). */
#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool hex_decode(const char *text, uint8_t **out, size_t *out_len)
{
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text += 2;
    size_t n = strlen(text);
    if (n % 2)
        return false;
    uint8_t *b = malloc(n / 2 ? n / 2 : 1);
    if (!b)
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return false;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *out_len = n / 2;
    return true;
}

bool hex_print(FILE *f, const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char chunk[512];
    size_t n = 0;
    if (fputs("0x", f) == EOF)
        return false;
    for (size_t i = 0; i < len; i++) {
        chunk[n++] = digits[bytes[i] >> 4];
        chunk[n++] = digits[bytes[i] & 15];
        if (n == sizeof chunk) {
            if (fwrite(chunk, 1, n, f) != n)
                return false;
            n = 0;
        }
    }
    return fwrite(chunk, 1, n, f) == n;
}

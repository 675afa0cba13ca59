/* test_files.c — reading the tests' data files: JSON documents, TSV rows, hex fields. */
#include <stdlib.h>

#include "test.h"
#include "util/json.h"

uint8_t *test_read_data(const char *rel, size_t *len)
{
    const char *path = test_data_path(rel);
    return path ? test_read_file(path, len) : NULL;
}

json_value *test_load_json_file(const char *path)
{
    size_t len = 0;
    char *text = (char *)test_read_file(path, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "cannot read %s (tests run from the repository root)", path);
        return NULL;
    }
    char err[128];
    json_value *doc = json_parse(text, len, err, sizeof err);
    if (!doc)
        test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    free(text);
    return doc;
}

json_value *test_load_json(const char *rel)
{
    const char *path = test_data_path(rel);
    return path ? test_load_json_file(path) : NULL;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool test_unhex(const char *s, size_t slen, uint8_t *out, size_t len)
{
    if (slen != 2 * len)
        return false;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* Split `line` in place at tabs; returns the number of fields (at most max). */
static int split_tabs(char *line, char **fields, size_t *lens, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *tab = strchr(p, '\t');
        fields[n] = p;
        lens[n] = tab ? (size_t)(tab - p) : strlen(p);
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    return n;
}

int test_for_each_tsv_row(const char *path, test_tsv_row_fn fn)
{
    size_t len;
    char *text = (char *)test_read_file(path, &len);
    if (!text)
        return -1;
    char *buf = malloc(len + 1);
    memcpy(buf, text, len);
    buf[len] = 0;
    free(text);
    int rows = 0, line_no = 0;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        line_no++;
        if (line[0] == '#' || line[0] == 0)
            continue;
        char *fields[8];
        size_t lens[8];
        int n = split_tabs(line, fields, lens, 8);
        fn(fields, lens, n, line_no);
        rows++;
    }
    free(buf);
    return rows;
}

/* chainspec.c — reading a raw chain spec's genesis state (see chainspec.h). */
#include "author/chainspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "author/overlay.h"
#include "util/file.h"
#include "util/hex.h"
#include "util/json.h"

static void copy_string(char *out, size_t cap, const char *s)
{
    snprintf(out, cap, "%s", s ? s : "");
}

static int entry_cmp(const void *a, const void *b)
{
    const trie_entry *x = a, *y = b;
    return overlay_key_cmp(x->key.ptr, x->key.len, y->key.ptr, y->key.len);
}

/* genesis.raw.top: "0x<key>": "0x<value>" */
static bool read_top(const json_value *top, author_state *st, char *err, size_t errlen)
{
    size_t n = json_object_len(top);
    st->entries = calloc(n ? n : 1, sizeof *st->entries);
    if (!st->entries)
        return snprintf(err, errlen, "out of memory"), false;
    st->cap = n;
    for (size_t i = 0; i < n; i++) {
        size_t klen;
        const char *khex = json_object_key(top, i, &klen);
        const char *vhex = json_string(json_object_value(top, i), NULL);
        uint8_t *k = NULL, *v = NULL;
        size_t kl, vl;
        if (!vhex || !hex_decode(khex, &k, &kl) || !hex_decode(vhex, &v, &vl)) {
            free(k);
            snprintf(err, errlen, "genesis.raw.top entry %zu (%.40s): key and value must be hex strings", i, khex);
            return false;
        }
        st->entries[st->n++] = (trie_entry){ { k, kl }, { v, vl } };
    }
    qsort(st->entries, st->n, sizeof *st->entries, entry_cmp);
    for (size_t i = 1; i < st->n; i++)
        if (!entry_cmp(&st->entries[i - 1], &st->entries[i]))
            return snprintf(err, errlen, "genesis.raw.top has a key twice (0x... in different spellings)"), false;
    return true;
}

bool chainspec_load(const char *path, chainspec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = (char *)file_read(path, &len);
    if (!text)
        return snprintf(err, errlen, "%s: cannot read the chain spec", path), false;
    char jerr[160];
    json_value *doc = json_parse(text, len, jerr, sizeof jerr);
    free(text);
    if (!doc)
        return snprintf(err, errlen, "%s: not JSON: %s", path, jerr), false;
    bool ok = false;
    const json_value *genesis = json_get(doc, "genesis");
    const json_value *raw = json_get(genesis, "raw");
    const json_value *top = json_get(raw, "top");
    const json_value *children = json_get(raw, "childrenDefault");
    const json_value *para = json_get(doc, "para_id") ? json_get(doc, "para_id") : json_get(doc, "paraId");
    uint64_t para_id;
    if (json_type_of(top) != JSON_OBJECT)
        snprintf(err, errlen, "%s: no genesis.raw.top (only raw chain specs carry a state; "
                              "build one with `<node> build-spec --raw`)", path);
    else if (json_object_len(children) != 0)
        snprintf(err, errlen, "%s: genesis.raw.childrenDefault is not empty: child tries in the parent state "
                              "are not supported", path);
    else if (!json_number_u64(para, &para_id) || para_id > UINT32_MAX)
        snprintf(err, errlen, "%s: no para_id (a parachain's chain spec names its parachain id)", path);
    else if (read_top(top, &out->state, err, errlen))
        ok = true;
    if (ok) {
        out->para_id = (uint32_t)para_id;
        copy_string(out->name, sizeof out->name, json_get_string(doc, "name"));
        copy_string(out->id, sizeof out->id, json_get_string(doc, "id"));
        const char *relay = json_get_string(doc, "relay_chain");
        copy_string(out->relay_chain, sizeof out->relay_chain, relay ? relay : json_get_string(doc, "relayChain"));
    } else {
        author_state_free(&out->state);
    }
    json_free(doc);
    return ok;
}

void chainspec_free(chainspec *cs)
{
    author_state_free(&cs->state);
}

/*
 * test_state_trie.c — the authoring state: the in-memory trie's roots against trie_root()
 * (which tests/data/trie_vectors.json checks against smoldot and Substrate), before and after
 * random edits, in both layouts; the overlay's transactions; the externalities' next_key,
 * clear_prefix and append.
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "author/externalities.h"
#include "author/overlay.h"
#include "author/state_trie.h"

/* xorshift: reproducible inputs */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Keys from a small alphabet so that they share prefixes (branches, values on branches). */
static void random_key(uint8_t *k, size_t *len)
{
    static const uint8_t alphabet[] = { 0x00, 0x01, 0x10, 0x11, 0xab, 0xff };
    *len = 1 + rnd() % 5;
    for (size_t i = 0; i < *len; i++)
        k[i] = alphabet[rnd() % sizeof alphabet];
}

static int entry_cmp(const void *a, const void *b)
{
    const trie_entry *x = a, *y = b;
    return overlay_key_cmp(x->key.ptr, x->key.len, y->key.ptr, y->key.len);
}

typedef struct kv_set {
    uint8_t keys[64][8];
    uint8_t vals[64][80];
    trie_entry e[64];
    size_t n;
} kv_set;

/* A random sorted, unique entry set; values 0..79 bytes (some hashed under V1). */
static void random_set(kv_set *s, size_t want)
{
    s->n = 0;
    while (s->n < want) {
        size_t len;
        random_key(s->keys[s->n], &len);
        bool dup = false;
        for (size_t i = 0; i < s->n; i++)
            dup |= s->e[i].key.len == len && !memcmp(s->e[i].key.ptr, s->keys[s->n], len);
        if (dup)
            continue;
        size_t vlen = rnd() % 80;
        for (size_t i = 0; i < vlen; i++)
            s->vals[s->n][i] = (uint8_t)rnd();
        s->e[s->n] = (trie_entry){ { s->keys[s->n], len }, { s->vals[s->n], vlen } };
        s->n++;
    }
    qsort(s->e, s->n, sizeof s->e[0], entry_cmp);
}

TEST(state_trie_root_matches_trie_root)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int layout = 0; layout < 2; layout++)
        for (int round = 0; round < 200; round++) {
            kv_set s;
            random_set(&s, 1 + rnd() % 40);
            char err[128];
            state_trie *t = state_trie_new(s.e, s.n, (trie_layout)layout, err, sizeof err);
            CHECK(t != NULL);
            uint8_t a[32], b[32];
            state_trie_root(t, a);
            CHECK(trie_root(trie_blake2_256, (trie_layout)layout, s.e, s.n, b));
            CHECK(!memcmp(a, b, 32));
            state_trie_free(t);
        }
}

TEST(state_trie_delta_root_matches_rebuilt_root)
{
    rng_state = 0x1234567;
    for (int layout = 0; layout < 2; layout++)
        for (int round = 0; round < 300; round++) {
            kv_set s, c;
            random_set(&s, 1 + rnd() % 30);
            random_set(&c, 1 + rnd() % 12);
            char err[128];
            state_trie *t = state_trie_new(s.e, s.n, (trie_layout)layout, err, sizeof err);
            CHECK(t != NULL);
            /* Changes: c's keys; about a third remove (present or not). */
            state_change ch[64];
            trie_entry after[128];
            size_t na = 0;
            for (size_t i = 0; i < c.n; i++) {
                bool rm = rnd() % 3 == 0;
                ch[i] = (state_change){ c.e[i].key, rm ? NULL : c.e[i].value.ptr, rm ? 0 : c.e[i].value.len };
            }
            /* The expected state: s with ch applied (trie_root takes the last value of a key). */
            for (size_t i = 0; i < s.n; i++) {
                bool removed = false;
                for (size_t j = 0; j < c.n; j++)
                    removed |= !ch[j].value && !entry_cmp(&s.e[i], &c.e[j]);
                if (!removed)
                    after[na++] = s.e[i];
            }
            for (size_t j = 0; j < c.n; j++)
                if (ch[j].value)
                    after[na++] = (trie_entry){ c.e[j].key, { ch[j].value, ch[j].value_len } };
            uint8_t got[32], want[32];
            CHECK(state_trie_delta_root(t, ch, c.n, (trie_layout)layout, got));
            CHECK(trie_root(trie_blake2_256, (trie_layout)layout, after, na, want));
            CHECK(!memcmp(got, want, 32));
            /* The parent trie is unchanged by the edit. */
            uint8_t r1[32], r2[32];
            state_trie_root(t, r1);
            CHECK(trie_root(trie_blake2_256, (trie_layout)layout, s.e, s.n, r2));
            CHECK(!memcmp(r1, r2, 32));
            state_trie_free(t);
        }
}

TEST(state_trie_rejects_unsorted_entries)
{
    trie_entry e[2] = { { { (const uint8_t *)"b", 1 }, { (const uint8_t *)"1", 1 } },
                        { { (const uint8_t *)"a", 1 }, { (const uint8_t *)"2", 1 } } };
    char err[128];
    CHECK(state_trie_new(e, 2, TRIE_LAYOUT_V0, err, sizeof err) == NULL);
    CHECK_STR_CONTAINS(err, "not sorted");
}

static bool has(const overlay *o, const char *k, const char *v)
{
    const overlay_entry *e = overlay_find(o, (const uint8_t *)k, strlen(k));
    if (!v)
        return e == NULL;
    return e && e->value && e->value_len == strlen(v) && !memcmp(e->value, v, e->value_len);
}

static bool set_str(overlay *o, const char *k, const char *v)
{
    return overlay_set(o, (const uint8_t *)k, strlen(k), (const uint8_t *)v, v ? strlen(v) : 0);
}
#define SET set_str

TEST(overlay_transactions_nest)
{
    overlay o = { 0 };
    CHECK(SET(&o, "a", "1"));
    overlay_start(&o);
    CHECK(SET(&o, "a", "2"));
    CHECK(SET(&o, "b", "x"));
    overlay_start(&o);
    CHECK(SET(&o, "a", "3"));
    CHECK(SET(&o, "c", "y"));
    CHECK(overlay_commit(&o));          /* inner: its changes join the outer transaction */
    CHECK(has(&o, "a", "3") && has(&o, "c", "y"));
    CHECK(overlay_rollback(&o));        /* outer: everything since its start goes */
    CHECK(has(&o, "a", "1"));
    CHECK(has(&o, "b", NULL) && has(&o, "c", NULL));
    CHECK(!overlay_rollback(&o));       /* none open */
    CHECK(!overlay_commit(&o));
    overlay_start(&o);
    CHECK(SET(&o, "a", NULL));          /* a removal is an entry too */
    CHECK(overlay_commit(&o));
    const overlay_entry *e = overlay_find(&o, (const uint8_t *)"a", 1);
    CHECK(e && !e->value);
    overlay_free(&o);
}

static author_state make_state(const char *const *kv, size_t n)
{
    author_state s = { calloc(n, sizeof(trie_entry)), n, n };
    for (size_t i = 0; i < n; i++) {
        s.entries[i].key = (scale_bytes){ (const uint8_t *)strdup(kv[2 * i]), strlen(kv[2 * i]) };
        s.entries[i].value = (scale_bytes){ (const uint8_t *)strdup(kv[2 * i + 1]), strlen(kv[2 * i + 1]) };
    }
    return s;
}

TEST(externalities_next_key_skips_removed_and_sees_new)
{
    static const char *const kv[] = { "a", "1", "b", "2", "d", "4" };
    author_state s = make_state(kv, 3);
    externalities x;
    char err[128];
    CHECK(ext_init(&x, &s, TRIE_LAYOUT_V0, err, sizeof err));
    CHECK(ext_clear(&x, (const uint8_t *)"b", 1));
    CHECK(ext_set(&x, (const uint8_t *)"c", 1, (const uint8_t *)"3", 1));
    const uint8_t *k;
    size_t kl;
    CHECK(ext_next_key(&x, (const uint8_t *)"a", 1, &k, &kl) && kl == 1 && k[0] == 'c');
    CHECK(ext_next_key(&x, (const uint8_t *)"c", 1, &k, &kl) && kl == 1 && k[0] == 'd');
    CHECK(!ext_next_key(&x, (const uint8_t *)"d", 1, &k, &kl));
    /* clear_prefix with a limit counts the parent's keys only */
    uint32_t loops;
    bool all;
    CHECK(ext_clear_prefix(&x, (const uint8_t *)"", 0, true, 1, &loops, &all));
    CHECK(loops == 1 && !all);
    /* append: a Vec of one item grows; a non-Vec value is replaced */
    CHECK(ext_set(&x, (const uint8_t *)"v", 1, (const uint8_t *)"\x04\x07", 2));
    CHECK(ext_append(&x, (const uint8_t *)"v", 1, (const uint8_t *)"\x09", 1));
    const uint8_t *v;
    size_t vl;
    CHECK(ext_get(&x, (const uint8_t *)"v", 1, &v, &vl) && vl == 3 && !memcmp(v, "\x08\x07\x09", 3));
    uint8_t root[32];
    CHECK(ext_root(&x, TRIE_LAYOUT_V0, root));
    CHECK(ext_finish_block(&x, root, err, sizeof err));
    ext_free(&x);
}

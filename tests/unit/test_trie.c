/*
 * test_trie.c — the Substrate trie: roots, ordered roots, compact-proof verification.
 *
 * The expected values are in tests/data/trie_vectors.json, written by
 * tests/gen/node/trie_vectors.js: smoldot's calculate_state_root and host functions, the
 * w3f Polkadot Host conformance fixtures (produced by Substrate), smoldot's own unit-test
 * constants, and compact proofs checked against smoldot's roots (each vector names its
 * source). The hand-written tests below pin the node codec on bytes worked out from
 * sp-trie's node_header.rs / node_codec.rs, and check that hostile proofs are rejected
 * without a crash (run under `make asan` too).
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/keccak.h"
#include "runtime/trie.h"
#include "runtime/trie_codec.h"
#include "util/hex.h"
#include "util/json.h"

#define VECTORS "tests/data/trie_vectors.json"

/* ------------------------------------------------------------------ helpers */

static json_value *load_vectors(void)
{
    size_t len;
    char *text = (char *)test_read_file(VECTORS, &len);
    if (!text) {
        test_fail(__FILE__, __LINE__, "%s missing (run from the repo root)", VECTORS);
        return NULL;
    }
    char err[128];
    json_value *doc = json_parse(text, len, err, sizeof err);
    free(text);
    if (!doc)
        test_fail(__FILE__, __LINE__, "%s: %s", VECTORS, err);
    return doc;
}

/* Hex strings decoded into one arena so that a case frees in one go. */
typedef struct arena {
    uint8_t **bufs;
    size_t n, cap;
} arena;

static scale_bytes arena_hex(arena *a, const json_value *s)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    const char *text = json_string(s, NULL);
    if (!text || !hex_decode(text, &bytes, &len)) {
        test_fail(__FILE__, __LINE__, "bad hex in %s", VECTORS);
        return (scale_bytes){ (const uint8_t *)"", 0 };
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 64;
        a->bufs = realloc(a->bufs, a->cap * sizeof *a->bufs);
    }
    a->bufs[a->n++] = bytes;
    return (scale_bytes){ bytes, len };
}

static void arena_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->bufs[i]);
    free(a->bufs);
    *a = (arena){ 0 };
}

static bool hex_equals(const uint8_t got[32], const json_value *want)
{
    uint8_t *w = NULL;
    size_t len = 0;
    const char *text = json_string(want, NULL);
    bool eq = text && hex_decode(text, &w, &len) && len == 32 && !memcmp(w, got, 32);
    free(w);
    return eq;
}

static void print_hex(const char *label, const uint8_t *b, size_t n)
{
    fprintf(stderr, "    %s 0x", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02x", b[i]);
    fputc('\n', stderr);
}

static const struct {
    const char *field;
    trie_hash_fn hash;
    trie_layout layout;
} FLAVOURS[] = {
    { "blake2_v0", trie_blake2_256, TRIE_LAYOUT_V0 },
    { "blake2_v1", trie_blake2_256, TRIE_LAYOUT_V1 },
    { "keccak_v0", keccak_256, TRIE_LAYOUT_V0 },
    { "keccak_v1", keccak_256, TRIE_LAYOUT_V1 },
};

/* ------------------------------------------------------------------ vectors */

TEST(trie_root_vectors)
{
    json_value *doc = load_vectors();
    const json_value *cases = json_get(doc, "roots");
    size_t checked = 0;
    CHECK(json_array_len(cases) >= 60);
    for (size_t i = 0; i < json_array_len(cases); i++) {
        const json_value *c = json_array_at(cases, i);
        const json_value *entries = json_get(c, "entries");
        size_t n = json_array_len(entries);
        arena a = { 0 };
        trie_entry *e = calloc(n ? n : 1, sizeof *e);
        for (size_t j = 0; j < n; j++) {
            const json_value *kv = json_array_at(entries, j);
            e[j].key = arena_hex(&a, json_array_at(kv, 0));
            e[j].value = arena_hex(&a, json_array_at(kv, 1));
        }
        for (size_t f = 0; f < sizeof FLAVOURS / sizeof FLAVOURS[0]; f++) {
            uint8_t root[32];
            CHECK(trie_root(FLAVOURS[f].hash, FLAVOURS[f].layout, e, n, root));
            if (!hex_equals(root, json_get(c, FLAVOURS[f].field))) {
                test_fail(__FILE__, __LINE__, "root \"%s\" %s: want %s", json_get_string(c, "name"),
                          FLAVOURS[f].field, json_get_string(c, FLAVOURS[f].field));
                print_hex("got", root, 32);
            }
            checked++;
        }
        free(e);
        arena_free(&a);
    }
    fprintf(stderr, "  %zu roots checked\n", checked);
    json_free(doc);
}

TEST(trie_ordered_root_vectors)
{
    json_value *doc = load_vectors();
    const json_value *cases = json_get(doc, "ordered_roots");
    size_t checked = 0;
    CHECK(json_array_len(cases) >= 18);
    for (size_t i = 0; i < json_array_len(cases); i++) {
        const json_value *c = json_array_at(cases, i);
        const json_value *values = json_get(c, "values");
        size_t n = json_array_len(values);
        arena a = { 0 };
        scale_bytes *v = calloc(n ? n : 1, sizeof *v);
        for (size_t j = 0; j < n; j++)
            v[j] = arena_hex(&a, json_array_at(values, j));
        for (size_t f = 0; f < sizeof FLAVOURS / sizeof FLAVOURS[0]; f++) {
            uint8_t root[32];
            CHECK(trie_ordered_root(FLAVOURS[f].hash, FLAVOURS[f].layout, v, n, root));
            if (!hex_equals(root, json_get(c, FLAVOURS[f].field))) {
                test_fail(__FILE__, __LINE__, "ordered root \"%s\" %s: want %s",
                          json_get_string(c, "name"), FLAVOURS[f].field,
                          json_get_string(c, FLAVOURS[f].field));
                print_hex("got", root, 32);
            }
            checked++;
        }
        free(v);
        arena_free(&a);
    }
    fprintf(stderr, "  %zu ordered roots checked\n", checked);
    json_free(doc);
}

/* One proof vector, decoded. */
typedef struct proof_case {
    arena a;
    const char *name, *trie;
    trie_hash_fn hash;
    trie_layout layout;
    scale_bytes root, key, value;
    scale_bytes *nodes;
    size_t n;
    bool expect;
} proof_case;

static bool load_proof(const json_value *c, proof_case *p)
{
    memset(p, 0, sizeof *p);
    const char *hasher = json_get_string(c, "hasher");
    uint64_t layout = 0;
    p->name = json_get_string(c, "name");
    p->trie = json_get_string(c, "trie");
    p->hash = hasher && !strcmp(hasher, "keccak") ? keccak_256 : trie_blake2_256;
    json_number_u64(json_get(c, "layout"), &layout);
    p->layout = layout ? TRIE_LAYOUT_V1 : TRIE_LAYOUT_V0;
    p->root = arena_hex(&p->a, json_get(c, "root"));
    p->key = arena_hex(&p->a, json_get(c, "key"));
    p->value = arena_hex(&p->a, json_get(c, "value"));
    p->expect = json_bool(json_get(c, "expect"));
    const json_value *nodes = json_get(c, "proof");
    p->n = json_array_len(nodes);
    p->nodes = calloc(p->n ? p->n : 1, sizeof *p->nodes);
    for (size_t j = 0; j < p->n; j++)
        p->nodes[j] = arena_hex(&p->a, json_array_at(nodes, j));
    return p->root.len == 32;
}

static void free_proof(proof_case *p)
{
    free(p->nodes);
    arena_free(&p->a);
}

static trie_proof_result verify(const proof_case *p, const scale_bytes *nodes, size_t n)
{
    return trie_verify_proof(p->hash, p->layout, p->root.ptr, nodes, n, p->key.ptr, p->key.len,
                             p->value.ptr, p->value.len);
}

TEST(trie_proof_vectors)
{
    json_value *doc = load_vectors();
    const json_value *cases = json_get(doc, "proofs");
    size_t valid = 0, invalid = 0;
    CHECK(json_array_len(cases) >= 900);
    for (size_t i = 0; i < json_array_len(cases); i++) {
        proof_case p;
        CHECK(load_proof(json_array_at(cases, i), &p));
        trie_proof_result r = verify(&p, p.nodes, p.n);
        if ((r == TRIE_PROOF_OK) != p.expect)
            test_fail(__FILE__, __LINE__, "proof #%zu \"%s\" (trie \"%s\", %s V%d): want %s, got %s", i,
                      p.name, p.trie, p.hash == keccak_256 ? "keccak" : "blake2", (int)p.layout,
                      p.expect ? "valid" : "invalid", trie_proof_result_name(r));
        CHECK(r != TRIE_PROOF_NOMEM);
        p.expect ? valid++ : invalid++;
        free_proof(&p);
    }
    fprintf(stderr, "  %zu valid and %zu invalid proofs checked\n", valid, invalid);
    json_free(doc);
}

/*
 * Every valid proof of the vectors, attacked: each node cut short at every length (a
 * valid proof has no trailing bytes, so every cut breaks it), each byte of each node
 * flipped, nodes dropped or repeated. No crash, nothing allocated left behind (ASan),
 * and the cuts and drops never verify.
 */
TEST(trie_proof_mutations)
{
    json_value *doc = load_vectors();
    const json_value *cases = json_get(doc, "proofs");
    size_t tried = 0, accepted_flips = 0;
    for (size_t i = 0; i < json_array_len(cases); i++) {
        proof_case p;
        load_proof(json_array_at(cases, i), &p);
        if (!p.expect || strcmp(p.name, "valid") || p.hash == keccak_256) {
            free_proof(&p);
            continue;
        }
        scale_bytes *m = calloc(p.n + 1, sizeof *m);
        for (size_t j = 0; j < p.n; j++) {
            uint8_t *copy = malloc(p.nodes[j].len + 1);
            memcpy(m, p.nodes, p.n * sizeof *m);
            for (size_t cut = 0; cut < p.nodes[j].len; cut++) {
                m[j].len = cut;
                CHECK(verify(&p, m, p.n) != TRIE_PROOF_OK);
                tried++;
            }
            memcpy(copy, p.nodes[j].ptr, p.nodes[j].len);
            m[j] = (scale_bytes){ copy, p.nodes[j].len };
            for (size_t at = 0; at < p.nodes[j].len; at++) {
                for (unsigned bit = 0; bit < 8; bit += 3) {
                    copy[at] ^= (uint8_t)(1u << bit);
                    accepted_flips += verify(&p, m, p.n) == TRIE_PROOF_OK;
                    copy[at] ^= (uint8_t)(1u << bit);
                    tried++;
                }
            }
            free(copy);
            /* Node j dropped. */
            memcpy(m, p.nodes, j * sizeof *m);
            memcpy(m + j, p.nodes + j + 1, (p.n - j - 1) * sizeof *m);
            CHECK(verify(&p, m, p.n - 1) != TRIE_PROOF_OK);
            /* Node j twice. */
            memcpy(m, p.nodes, (j + 1) * sizeof *m);
            memcpy(m + j + 1, p.nodes + j, (p.n - j) * sizeof *m);
            CHECK(verify(&p, m, p.n + 1) != TRIE_PROOF_OK);
            tried += 2;
        }
        free(m);
        free_proof(&p);
    }
    /* A flipped bit changes a hash input, so it must not verify... except where the flip
     * lands in bytes the verifier replaces (the omitted value's place) — there are none of
     * those in a compact proof, so no flip may pass. */
    CHECK_EQ_U64(accepted_flips, 0);
    CHECK(tried > 10000);
    fprintf(stderr, "  %zu mutated proofs rejected\n", tried);
    json_free(doc);
}

/* ------------------------------------------------------------------ codec, by hand */

static size_t encode_header(trie_header_kind kind, size_t nibbles, uint8_t out[8])
{
    scale_writer w;
    scale_writer_init(&w);
    trie_write_header(&w, kind, nibbles);
    size_t n = w.len;
    memcpy(out, w.buf, n < 8 ? n : 8);
    scale_writer_free(&w);
    return n;
}

/* node_header.rs size_and_prefix_iterator: the first byte holds up to max-1, then 255s. */
TEST(trie_header_lengths)
{
    uint8_t b[8];
    CHECK(encode_header(TRIE_HDR_LEAF, 0, b) == 1 && b[0] == 0x40);
    CHECK(encode_header(TRIE_HDR_LEAF, 62, b) == 1 && b[0] == 0x7e);
    CHECK(encode_header(TRIE_HDR_LEAF, 63, b) == 2 && b[0] == 0x7f && b[1] == 0x00);
    CHECK(encode_header(TRIE_HDR_LEAF, 64, b) == 2 && b[0] == 0x7f && b[1] == 0x01);
    CHECK(encode_header(TRIE_HDR_LEAF, 62 + 255, b) == 2 && b[1] == 254);
    CHECK(encode_header(TRIE_HDR_LEAF, 62 + 256, b) == 3 && b[1] == 255 && b[2] == 0);
    CHECK(encode_header(TRIE_HDR_BRANCH_NO_VALUE, 5, b) == 1 && b[0] == 0x85);
    CHECK(encode_header(TRIE_HDR_BRANCH_WITH_VALUE, 1, b) == 1 && b[0] == 0xc1);
    CHECK(encode_header(TRIE_HDR_HASHED_LEAF, 30, b) == 1 && b[0] == 0x3e);
    CHECK(encode_header(TRIE_HDR_HASHED_LEAF, 31, b) == 2 && b[0] == 0x3f && b[1] == 0x00);
    CHECK(encode_header(TRIE_HDR_HASHED_BRANCH, 14, b) == 1 && b[0] == 0x1e);
    CHECK(encode_header(TRIE_HDR_HASHED_BRANCH, 15, b) == 2 && b[0] == 0x1f && b[1] == 0x00);

    /* And back: every length decodes to itself, for each kind. */
    for (size_t nib = 0; nib < 700; nib++) {
        scale_writer w;
        scale_writer_init(&w);
        uint8_t key[400] = { 0 };
        trie_write_header(&w, TRIE_HDR_LEAF, nib);
        trie_write_partial(&w, key, 0, nib);
        scale_write_byte_vec(&w, (const uint8_t *)"v", 1);
        trie_node n;
        CHECK(trie_node_decode(w.buf, w.len, &n));
        CHECK(n.kind == TRIE_NODE_LEAF && n.nibbles == nib && n.value.len == 1);
        scale_writer_free(&w);
    }
}

static bool decodes(const char *hex, trie_node *n)
{
    uint8_t *b = NULL;
    size_t len = 0;
    static uint8_t keep[256];
    if (!hex_decode(hex, &b, &len) || len > sizeof keep) {
        free(b);
        return false;
    }
    memcpy(keep, b, len);
    free(b);
    return trie_node_decode(keep, len, n);
}

TEST(trie_node_decoding)
{
    trie_node n;
    CHECK(decodes("00", &n) && n.kind == TRIE_NODE_EMPTY);
    CHECK(decodes("0099", &n) && n.kind == TRIE_NODE_EMPTY);   /* trailing bytes ignored */
    /* Leaf, 3 nibbles "abc" (padded 0a bc), value "xy". */
    CHECK(decodes("430abc087879", &n) && n.kind == TRIE_NODE_LEAF && n.nibbles == 3 &&
          trie_partial_nibble(&n, 0) == 0xa && trie_partial_nibble(&n, 2) == 0xc && n.value.len == 2);
    CHECK(!decodes("43abbc087879", &n));   /* padding nibble not zero */
    CHECK(!decodes("430abc08787", &n));    /* odd hex: no */
    CHECK(!decodes("430abc0878", &n));     /* value cut short */
    CHECK(!decodes("430abc0100", &n));     /* compact 0 in two bytes: non-canonical */
    CHECK(decodes("430abc00ff", &n));      /* empty value, trailing byte ignored */
    CHECK(!decodes("40", &n));             /* sp-trie wants a byte after the header */
    /* Hashed leaf: 2 nibbles, a 32-byte hash. */
    CHECK(decodes("22ab" "1111111111111111111111111111111111111111111111111111111111111111", &n) &&
          n.kind == TRIE_NODE_LEAF && n.value_kind == TRIE_VALUE_HASHED && n.value.len == 32);
    CHECK(!decodes("22ab" "11111111111111111111111111111111111111111111111111111111111111", &n));
    /* Branch, no partial, children 0 (inline "400401") and 15 (hash). */
    CHECK(decodes("800180" "0c400401"
                  "80" "2222222222222222222222222222222222222222222222222222222222222222", &n) &&
          n.kind == TRIE_NODE_BRANCH && n.value_kind == TRIE_VALUE_NONE && n.bitmap == 0x8001 &&
          n.children[0].len == 3 && n.children[15].len == 32);
    CHECK(!decodes("800000", &n));         /* bitmap without a child */
    CHECK(!decodes("800100", &n));         /* child 0's reference missing */
    CHECK(decodes("80010000", &n) && n.children[0].len == 0);   /* an empty reference is fine */
    /* Branch with value, hashed-value branch. */
    CHECK(decodes("c00100" "0461" "00", &n) && n.value_kind == TRIE_VALUE_INLINE && n.children[0].len == 0);
    CHECK(decodes("100100" "3333333333333333333333333333333333333333333333333333333333333333" "00", &n) &&
          n.kind == TRIE_NODE_BRANCH && n.value_kind == TRIE_VALUE_HASHED);
    for (unsigned h = 0x01; h <= 0x0f; h++) {   /* "Unallowed encoding" */
        char hex[16];
        snprintf(hex, sizeof hex, "%02x0100000000", h);
        CHECK(!decodes(hex, &n));
    }
    CHECK(!decodes("", &n));
    CHECK(!decodes("7f", &n));             /* length continues past the end */
    CHECK(!decodes("7fff", &n));
}

/* ------------------------------------------------------------------ roots, properties */

TEST(trie_empty_roots)
{
    uint8_t root[32];
    static const uint8_t blake2_empty[32] = {   /* blake2b-256(0x00), Substrate's EMPTY root */
        0x03, 0x17, 0x0a, 0x2e, 0x75, 0x97, 0xb7, 0xb7, 0xe3, 0xd8, 0x4c, 0x05, 0x39, 0x1d, 0x13, 0x9a,
        0x62, 0xb1, 0x57, 0xe7, 0x87, 0x86, 0xd8, 0xc0, 0x82, 0xf2, 0x9d, 0xcf, 0x4c, 0x11, 0x13, 0x14,
    };
    static const uint8_t keccak_empty[32] = {   /* keccak-256(0x00) */
        0xbc, 0x36, 0x78, 0x9e, 0x7a, 0x1e, 0x28, 0x14, 0x36, 0x46, 0x42, 0x29, 0x82, 0x8f, 0x81, 0x7d,
        0x66, 0x12, 0xf7, 0xb4, 0x77, 0xd6, 0x65, 0x91, 0xff, 0x96, 0xa9, 0xe0, 0x64, 0xbc, 0xc9, 0x8a,
    };
    CHECK(trie_root(trie_blake2_256, TRIE_LAYOUT_V0, NULL, 0, root) && !memcmp(root, blake2_empty, 32));
    CHECK(trie_root(trie_blake2_256, TRIE_LAYOUT_V1, NULL, 0, root) && !memcmp(root, blake2_empty, 32));
    CHECK(trie_ordered_root(trie_blake2_256, TRIE_LAYOUT_V0, NULL, 0, root) && !memcmp(root, blake2_empty, 32));
    CHECK(trie_root(keccak_256, TRIE_LAYOUT_V1, NULL, 0, root) && !memcmp(root, keccak_empty, 32));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* The root does not depend on the order of the entries; a repeated key keeps its last value. */
TEST(trie_root_order_and_duplicates)
{
    enum { N = 200 };
    static uint8_t keys[N][6], vals[N][40];
    trie_entry e[N], shuffled[N];
    for (int i = 0; i < N; i++) {
        size_t klen = rng() % 6, vlen = rng() % 40;
        for (size_t j = 0; j < klen; j++)
            keys[i][j] = (uint8_t)(rng() % 3);   /* many shared prefixes and repeats */
        for (size_t j = 0; j < vlen; j++)
            vals[i][j] = (uint8_t)rng();
        e[i] = (trie_entry){ { keys[i], klen }, { vals[i], vlen } };
    }
    /* Reference: the entries with repeats removed, keeping the last of each key. */
    trie_entry uniq[N];
    size_t m = 0;
    for (int i = 0; i < N; i++) {
        bool later = false;
        for (int j = i + 1; j < N && !later; j++)
            later = e[j].key.len == e[i].key.len && !memcmp(e[j].key.ptr, e[i].key.ptr, e[i].key.len);
        if (!later)
            uniq[m++] = e[i];
    }
    CHECK(m < N);   /* the small alphabet does repeat keys */
    for (int round = 0; round < 4; round++) {
        uint8_t want[32], got[32];
        memcpy(shuffled, uniq, m * sizeof *uniq);
        for (size_t i = m; i > 1; i--) {
            size_t j = rng() % i;
            trie_entry t = shuffled[i - 1];
            shuffled[i - 1] = shuffled[j];
            shuffled[j] = t;
        }
        trie_layout layout = round & 1 ? TRIE_LAYOUT_V1 : TRIE_LAYOUT_V0;
        CHECK(trie_root(trie_blake2_256, layout, uniq, m, want));
        CHECK(trie_root(trie_blake2_256, layout, shuffled, m, got));
        CHECK(!memcmp(want, got, 32));
        CHECK(trie_root(trie_blake2_256, layout, e, N, got));
        CHECK(!memcmp(want, got, 32));
    }
}

/* A chain of keys that are prefixes of each other is as deep as it is long: no recursion. */
TEST(trie_root_deep_chain)
{
    enum { N = 8000 };
    uint8_t *key = malloc(N);
    trie_entry *e = malloc(N * sizeof *e);
    memset(key, 0xab, N);
    for (size_t i = 0; i < N; i++)
        e[i] = (trie_entry){ { key, i }, { key, i % 50 } };
    uint8_t a[32], b[32];
    CHECK(trie_root(trie_blake2_256, TRIE_LAYOUT_V1, e, N, a));
    /* Reversed input, same trie. */
    for (size_t i = 0; i < N / 2; i++) {
        trie_entry t = e[i];
        e[i] = e[N - 1 - i];
        e[N - 1 - i] = t;
    }
    CHECK(trie_root(trie_blake2_256, TRIE_LAYOUT_V1, e, N, b));
    CHECK(!memcmp(a, b, 32));
    free(e);
    free(key);
}

/* A 4000-byte key (a leaf whose partial key is 8000 nibbles, a multi-byte header) and
 * sizes in headers and lengths that run past the end of the node. */
TEST(trie_proof_hostile_sizes)
{
    uint8_t root[32], key[4000];
    memset(key, 0x5c, sizeof key);
    trie_entry e = { { key, sizeof key }, { (const uint8_t *)"v", 1 } };
    CHECK(trie_root(trie_blake2_256, TRIE_LAYOUT_V0, &e, 1, root));
    /* The compact proof of a one-leaf trie: the leaf with its value omitted. */
    scale_writer w;
    scale_writer_init(&w);
    trie_write_header(&w, TRIE_HDR_LEAF, 8000);
    trie_write_partial(&w, key, 0, 8000);
    scale_write_u8(&w, 0x00);
    scale_bytes node = { w.buf, w.len };
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &node, 1, key, sizeof key,
                            (const uint8_t *)"v", 1) == TRIE_PROOF_OK);
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &node, 1, key, sizeof key,
                            (const uint8_t *)"w", 1) == TRIE_PROOF_ROOT_MISMATCH);
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &node, 1, key, sizeof key - 1,
                            (const uint8_t *)"v", 1) == TRIE_PROOF_VALUE_MISMATCH);
    scale_writer_free(&w);

    /* A partial key longer than the node, a value of 2^30 bytes, a child of 2^22 bytes. */
    static const uint8_t huge_partial[] = { 0x7f, 255, 255, 255, 255, 255, 255, 255, 0 };
    static const uint8_t huge_value[] = { 0x40, 0x03, 0x00, 0x00, 0x00, 0x40 };
    static const uint8_t huge_child[] = { 0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01 };
    scale_bytes n1 = { huge_partial, sizeof huge_partial }, n2 = { huge_value, sizeof huge_value },
                n3 = { huge_child, sizeof huge_child };
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &n1, 1, key, 1, key, 1) ==
          TRIE_PROOF_DECODE_ERROR);
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &n2, 1, NULL, 0, key, 1) ==
          TRIE_PROOF_DECODE_ERROR);
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, &n3, 1, key, 1, key, 1) ==
          TRIE_PROOF_DECODE_ERROR);
    CHECK(trie_verify_proof(trie_blake2_256, TRIE_LAYOUT_V0, root, NULL, 0, key, 1, key, 1) ==
          TRIE_PROOF_INCOMPLETE);
}

/* Random bytes as proof nodes: never OK, never a crash. */
TEST(trie_proof_random_garbage)
{
    uint8_t root[32] = { 0 }, buf[4][64], key[8];
    for (int round = 0; round < 20000; round++) {
        scale_bytes nodes[4];
        size_t n = 1 + rng() % 4;
        for (size_t i = 0; i < n; i++) {
            size_t len = rng() % 64;
            for (size_t j = 0; j < len; j++)
                buf[i][j] = (uint8_t)rng();
            if (len && round % 3 == 0)   /* a plausible header byte now and then */
                buf[i][0] = (uint8_t)(0x40 + rng() % 0xc0);
            nodes[i] = (scale_bytes){ buf[i], len };
        }
        for (size_t j = 0; j < sizeof key; j++)
            key[j] = (uint8_t)rng();
        trie_proof_result r = trie_verify_proof(round & 1 ? keccak_256 : trie_blake2_256,
                                                round & 2 ? TRIE_LAYOUT_V1 : TRIE_LAYOUT_V0, root, nodes, n,
                                                key, rng() % 9, key, rng() % 9);
        CHECK(r != TRIE_PROOF_OK && r != TRIE_PROOF_NOMEM);
    }
}

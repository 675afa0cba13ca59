/*
 * trie_proof.c — verifying a compact trie proof for one key and value, as trie-db's
 * proof::verify_proof does for the single item (key, Some(value)) the host functions pass
 * (see trie.h for the proof format).
 *
 * Two passes over the key's path:
 *   1. down: from the first proof node, match the key against each node; a child on the
 *      path is either inline in its parent or, when its reference is empty, the next
 *      proof node. The walk ends at the node that holds the key — a leaf whose value was
 *      omitted (empty) or a branch without a value — or fails.
 *   2. up: rebuild each node of the path from the bottom: the last one gets the value
 *      (hashed if the layout says so), each other one the reference of the rebuilt node
 *      below it (the rebuilt bytes if that child was inline — at most 32 of them — else
 *      their hash). The hash of the rebuilt first node must be the root, and every proof
 *      node must have been used.
 * Path entries only record where their node's bytes are; nodes are decoded again on the
 * way up rather than kept, so that a long path costs little memory.
 */
#include "runtime/trie.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/trie_codec.h"
#include "util/vec.h"

const char *trie_proof_result_name(trie_proof_result r)
{
    switch (r) {
    case TRIE_PROOF_OK: return "ok";
    case TRIE_PROOF_DECODE_ERROR: return "a proof node does not decode";
    case TRIE_PROOF_INCOMPLETE: return "the proof is incomplete: a node is missing";
    case TRIE_PROOF_EXTRANEOUS_NODE: return "the proof has nodes left over";
    case TRIE_PROOF_EXTRANEOUS_VALUE: return "the proof holds the value it should omit";
    case TRIE_PROOF_EXTRANEOUS_HASH_REFERENCE: return "a child on the path is a hash reference, not omitted";
    case TRIE_PROOF_INVALID_CHILD_REFERENCE: return "a child reference is longer than 32 bytes";
    case TRIE_PROOF_VALUE_MISMATCH: return "the proof says the key has no value";
    case TRIE_PROOF_ROOT_MISMATCH: return "the rebuilt root does not match";
    case TRIE_PROOF_NOMEM: return "out of memory";
    }
    return "?";
}

/* One node on the key's path. */
typedef struct step {
    const uint8_t *data;    /* the node's bytes: a proof node, or inline in its parent */
    size_t len;
    size_t prefix;          /* key nibbles above this node */
    bool is_inline;
    unsigned child;         /* the child on the path (not for the last step) */
} step;

typedef struct key_view {
    const uint8_t *bytes;
    size_t nibbles;
} key_view;

/* Does the node's partial key follow the key at nibble `at`? */
static bool key_has_partial(const key_view *k, size_t at, const trie_node *n)
{
    if (n->nibbles > k->nibbles || at > k->nibbles - n->nibbles)
        return false;
    for (size_t i = 0; i < n->nibbles; i++)
        if (trie_nibble_at(k->bytes, at + i) != trie_partial_nibble(n, i))
            return false;
    return true;
}

/* What a node says about the key (trie-db's match_key_to_node). */
typedef enum { AT_KEY, GO_CHILD, NOT_FOUND, NOT_OMITTED } match_kind;

static match_kind match_key(const key_view *k, size_t prefix, const trie_node *n, unsigned *child)
{
    if (n->kind == TRIE_NODE_EMPTY || !key_has_partial(k, prefix, n))
        return NOT_FOUND;
    size_t end = prefix + n->nibbles;
    if (n->kind == TRIE_NODE_LEAF) {
        if (k->nibbles != end)
            return NOT_FOUND;
        /* The value must have been omitted: an empty inline value, not a hashed one. */
        return n->value_kind == TRIE_VALUE_INLINE && n->value.len == 0 ? AT_KEY : NOT_OMITTED;
    }
    if (k->nibbles == end)
        return n->value_kind == TRIE_VALUE_NONE ? AT_KEY : NOT_OMITTED;
    *child = trie_nibble_at(k->bytes, end);
    return n->bitmap >> *child & 1 ? GO_CHILD : NOT_FOUND;
}

/* Child references other than the one on the path are copied as they are: at most 32 bytes. */
static bool children_fit(const trie_node *n)
{
    for (unsigned i = 0; i < TRIE_CHILDREN; i++)
        if ((n->bitmap >> i & 1) && n->children[i].len > TRIE_HASH_LEN)
            return false;
    return true;
}

typedef struct walk {
    step *steps;
    size_t n, cap;
} walk;

static bool push_step(walk *w, step s)
{
    if (!vec_reserve((void **)&w->steps, &w->cap, w->n + 1, sizeof *w->steps, 16))
        return false;
    w->steps[w->n++] = s;
    return true;
}

/* Pass 1: the path from nodes[0] to the node holding the key; *used = proof nodes taken. */
static trie_proof_result walk_down(walk *w, const key_view *k, const scale_bytes *nodes, size_t n,
                                   size_t *used)
{
    if (n == 0)
        return TRIE_PROOF_INCOMPLETE;
    step s = { nodes[0].ptr, nodes[0].len, 0, false, 0 };
    *used = 1;
    for (;;) {
        trie_node node;
        if (!trie_node_decode(s.data, s.len, &node))
            return TRIE_PROOF_DECODE_ERROR;
        switch (match_key(k, s.prefix, &node, &s.child)) {
        case NOT_FOUND:
            return TRIE_PROOF_VALUE_MISMATCH;
        case NOT_OMITTED:
            return TRIE_PROOF_EXTRANEOUS_VALUE;
        case AT_KEY:
            return push_step(w, s) ? TRIE_PROOF_OK : TRIE_PROOF_NOMEM;
        case GO_CHILD:
            break;
        }
        if (!push_step(w, s))
            return TRIE_PROOF_NOMEM;
        scale_bytes c = node.children[s.child];
        step next = { c.ptr, c.len, s.prefix + node.nibbles + 1, true, 0 };
        if (c.len == TRIE_HASH_LEN)
            return TRIE_PROOF_EXTRANEOUS_HASH_REFERENCE;
        if (c.len == 0) {   /* omitted: the next proof node */
            if (*used == n)
                return TRIE_PROOF_INCOMPLETE;
            next.data = nodes[*used].ptr;
            next.len = nodes[*used].len;
            next.is_inline = false;
            ++*used;
        }
        s = next;
    }
}

/* The reference to a rebuilt node: its bytes (inline) or its hash. */
typedef struct child_ref {
    uint8_t bytes[TRIE_HASH_LEN];
    size_t len;
} child_ref;

/* Pass 2: rebuild the path bottom-up; *top = the reference to the rebuilt first node. */
static trie_proof_result rebuild(const walk *w, trie_hash_fn hash, trie_layout layout,
                                 const uint8_t *value, size_t value_len, child_ref *top)
{
    scale_writer enc;
    scale_writer_init(&enc);
    uint8_t value_hash[32];
    bool hashed = layout == TRIE_LAYOUT_V1 && value_len >= TRIE_VALUE_NODE_THRESHOLD;
    if (hashed)
        hash(value, value_len, value_hash);

    child_ref below = { { 0 }, 0 };
    trie_proof_result r = TRIE_PROOF_OK;
    for (size_t i = w->n; i-- > 0 && r == TRIE_PROOF_OK;) {
        const step *s = &w->steps[i];
        trie_node node;
        if (!trie_node_decode(s->data, s->len, &node)) {   /* decoded once already */
            r = TRIE_PROOF_DECODE_ERROR;
            break;
        }
        if (i + 1 == w->n) {   /* the node that holds the key gets the value */
            node.value_kind = hashed ? TRIE_VALUE_HASHED : TRIE_VALUE_INLINE;
            node.value = hashed ? (scale_bytes){ value_hash, 32 } : (scale_bytes){ value, value_len };
        } else {
            node.children[s->child] = (scale_bytes){ below.bytes, below.len };
        }
        if (!children_fit(&node)) {
            r = TRIE_PROOF_INVALID_CHILD_REFERENCE;
            break;
        }
        enc.len = 0;
        trie_node_encode(&enc, &node);
        if (enc.failed) {
            r = TRIE_PROOF_NOMEM;
        } else if (!s->is_inline) {
            hash(enc.buf, enc.len, below.bytes);
            below.len = TRIE_HASH_LEN;
        } else if (enc.len > TRIE_HASH_LEN) {
            r = TRIE_PROOF_INVALID_CHILD_REFERENCE;
        } else {
            memcpy(below.bytes, enc.buf, enc.len);
            below.len = enc.len;
        }
    }
    scale_writer_free(&enc);
    *top = below;
    return r;
}

trie_proof_result trie_verify_proof(trie_hash_fn hash, trie_layout layout, const uint8_t root[32],
                                    const scale_bytes *nodes, size_t n, const uint8_t *key,
                                    size_t key_len, const uint8_t *value, size_t value_len)
{
    key_view k = { key, 2 * key_len };
    walk w = { NULL, 0, 0 };
    size_t used = 0;
    child_ref top;
    trie_proof_result r = walk_down(&w, &k, nodes, n, &used);
    if (r == TRIE_PROOF_OK)
        r = rebuild(&w, hash, layout, value, value_len, &top);
    if (r == TRIE_PROOF_OK && used < n)
        r = TRIE_PROOF_EXTRANEOUS_NODE;
    if (r == TRIE_PROOF_OK && memcmp(top.bytes, root, 32) != 0)
        r = TRIE_PROOF_ROOT_MISMATCH;
    free(w.steps);
    return r;
}

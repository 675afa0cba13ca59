/*
 * merlin.c — STROBE-128 (the subset Merlin uses) and Merlin transcripts.
 *
 * Follows the STROBE v1.0.2 specification at security level 128 (rate
 * R = 166 bytes) restricted to the operations meta-AD, AD, PRF and KEY, with
 * no transport (T) flag — exactly the subset of the merlin crate's
 * `strobe.rs`. The Keccak state is kept as 25 little-endian lanes; bytes are
 * addressed through state_byte()/set_state_byte() so the code does not depend
 * on the host's byte order.
 *
 * Merlin on top of it (merlin crate, `transcript.rs`):
 *   new(label):              STROBE init("Merlin v1.0"); append_message("dom-sep", label)
 *   append_message(l, m):    meta-AD(l); meta-AD(LE32(len m), more); AD(m)
 *   challenge_bytes(l, out): meta-AD(l); meta-AD(LE32(len out), more); PRF(out)
 */
#include "runtime/merlin.h"

#include <string.h>

#include "runtime/keccak.h"

enum {
    STROBE_R = 166,
    FLAG_I = 1 << 0,
    FLAG_A = 1 << 1,
    FLAG_C = 1 << 2,
    FLAG_T = 1 << 3,
    FLAG_M = 1 << 4,
    FLAG_K = 1 << 5,
};

static uint8_t state_byte(const strobe128 *s, unsigned i)
{
    return (uint8_t)(s->st[i / 8] >> (8 * (i % 8)));
}

static void xor_state_byte(strobe128 *s, unsigned i, uint8_t b)
{
    s->st[i / 8] ^= (uint64_t)b << (8 * (i % 8));
}

static void set_state_byte(strobe128 *s, unsigned i, uint8_t b)
{
    s->st[i / 8] &= ~((uint64_t)0xFF << (8 * (i % 8)));
    s->st[i / 8] |= (uint64_t)b << (8 * (i % 8));
}

/* Pad the current block (STROBE's cSHAKE-style padding) and permute. */
static void run_f(strobe128 *s)
{
    xor_state_byte(s, s->pos, s->pos_begin);
    xor_state_byte(s, s->pos + 1u, 0x04);
    xor_state_byte(s, STROBE_R + 1u, 0x80);
    keccak_f1600(s->st);
    s->pos = 0;
    s->pos_begin = 0;
}

static void advance(strobe128 *s)
{
    if (++s->pos == STROBE_R)
        run_f(s);
}

static void absorb(strobe128 *s, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        xor_state_byte(s, s->pos, data[i]);
        advance(s);
    }
}

static void overwrite(strobe128 *s, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        set_state_byte(s, s->pos, data[i]);
        advance(s);
    }
}

static void squeeze(strobe128 *s, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[i] = state_byte(s, s->pos);
        set_state_byte(s, s->pos, 0);
        advance(s);
    }
}

/* Start an operation: absorb the previous start and the flags; operations
 * that key or produce output (C or K flag) begin on a fresh block. A
 * continued operation (`more`) keeps the flags it started with: every caller
 * in this file continues with the same flags, as the merlin crate asserts. */
static void begin_op(strobe128 *s, uint8_t flags, bool more)
{
    if (more)
        return;
    uint8_t frame[2] = { s->pos_begin, flags };
    s->pos_begin = (uint8_t)(s->pos + 1);
    s->cur_flags = flags;
    absorb(s, frame, sizeof frame);
    if ((flags & (FLAG_C | FLAG_K)) && s->pos != 0)
        run_f(s);
}

void strobe128_init(strobe128 *s, const uint8_t *protocol_label, size_t len)
{
    static const uint8_t head[18] = { 1, STROBE_R + 2, 1, 0, 1, 96,
                                      'S', 'T', 'R', 'O', 'B', 'E', 'v', '1', '.', '0', '.', '2' };
    memset(s, 0, sizeof *s);
    for (unsigned i = 0; i < sizeof head; i++)
        set_state_byte(s, i, head[i]);
    keccak_f1600(s->st);
    strobe128_meta_ad(s, protocol_label, len, false);
}

void strobe128_meta_ad(strobe128 *s, const uint8_t *data, size_t len, bool more)
{
    begin_op(s, FLAG_M | FLAG_A, more);
    absorb(s, data, len);
}

void strobe128_ad(strobe128 *s, const uint8_t *data, size_t len, bool more)
{
    begin_op(s, FLAG_A, more);
    absorb(s, data, len);
}

void strobe128_prf(strobe128 *s, uint8_t *out, size_t len, bool more)
{
    begin_op(s, FLAG_I | FLAG_A | FLAG_C, more);
    squeeze(s, out, len);
}

void strobe128_key(strobe128 *s, const uint8_t *data, size_t len, bool more)
{
    begin_op(s, FLAG_A | FLAG_C, more);
    overwrite(s, data, len);
}

/* ---- Merlin ---------------------------------------------------------------- */

static void le32(uint8_t out[4], size_t x)
{
    /* Merlin frames every length as a u32; spans here come from 32-bit wasm
     * memory, so they always fit. */
    uint32_t v = (uint32_t)x;
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static void meta_label_and_len(merlin_transcript *t, const char *label, size_t len)
{
    uint8_t framed_len[4];
    le32(framed_len, len);
    strobe128_meta_ad(&t->strobe, (const uint8_t *)label, strlen(label), false);
    strobe128_meta_ad(&t->strobe, framed_len, sizeof framed_len, true);
}

void merlin_init(merlin_transcript *t, const char *label)
{
    static const char protocol[] = "Merlin v1.0";
    strobe128_init(&t->strobe, (const uint8_t *)protocol, sizeof protocol - 1);
    merlin_append_message(t, "dom-sep", (const uint8_t *)label, strlen(label));
}

void merlin_append_message(merlin_transcript *t, const char *label, const uint8_t *msg,
                           size_t len)
{
    meta_label_and_len(t, label, len);
    strobe128_ad(&t->strobe, msg, len, false);
}

void merlin_append_u64(merlin_transcript *t, const char *label, uint64_t x)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(x >> (8 * i));
    merlin_append_message(t, label, le, sizeof le);
}

void merlin_challenge_bytes(merlin_transcript *t, const char *label, uint8_t *out, size_t len)
{
    meta_label_and_len(t, label, len);
    strobe128_prf(&t->strobe, out, len, false);
}

/*
 * merlin.h — Merlin transcripts (merlin.cool), as schnorrkel uses them.
 *
 * A Merlin transcript is STROBE-128 (a duplex sponge over Keccak-f[1600],
 * rate 166 bytes) started with the protocol label "Merlin v1.0". Only the
 * operations Merlin needs exist here: meta-AD, AD, PRF and KEY.
 *
 *   merlin_transcript t;
 *   merlin_init(&t, "test protocol");
 *   merlin_append_message(&t, "some label", data, len);
 *   merlin_challenge_bytes(&t, "challenge", out, 32);
 *
 * Labels are C strings (they are always compile-time constants in the
 * protocols we run; "" is a valid, empty label). Messages are byte spans.
 * A transcript is a plain value: copying the struct forks it.
 */
#ifndef PVF_RUNTIME_MERLIN_H
#define PVF_RUNTIME_MERLIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* STROBE-128 state: the Keccak lanes plus the duplex position. */
typedef struct strobe128 {
    uint64_t st[25];
    uint8_t pos;        /* next byte of the rate to use */
    uint8_t pos_begin;  /* where the current operation began (+1), 0 after a permutation */
    uint8_t cur_flags;  /* flags of the current operation */
} strobe128;

void strobe128_init(strobe128 *s, const uint8_t *protocol_label, size_t len);
/* The four operations; `more` continues the previous operation with the same flags. */
void strobe128_meta_ad(strobe128 *s, const uint8_t *data, size_t len, bool more);
void strobe128_ad(strobe128 *s, const uint8_t *data, size_t len, bool more);
void strobe128_prf(strobe128 *s, uint8_t *out, size_t len, bool more);
void strobe128_key(strobe128 *s, const uint8_t *data, size_t len, bool more);

typedef struct merlin_transcript {
    strobe128 strobe;
} merlin_transcript;

/* Transcript::new(label). */
void merlin_init(merlin_transcript *t, const char *label);
/* Transcript::append_message(label, msg); msg may be NULL when len is 0.
 * Merlin frames lengths as u32: len must not exceed UINT32_MAX (checked by
 * the caller; every caller here passes far smaller spans). */
void merlin_append_message(merlin_transcript *t, const char *label, const uint8_t *msg,
                           size_t len);
/* Transcript::append_u64(label, x): the 8-byte little-endian encoding of x. */
void merlin_append_u64(merlin_transcript *t, const char *label, uint64_t x);
/* Transcript::challenge_bytes(label, out[0..len]). */
void merlin_challenge_bytes(merlin_transcript *t, const char *label, uint8_t *out, size_t len);

#endif

/*
 * ed25519.c — Ed25519 verification under ZIP 215 (ed25519-zebra), see ed25519.h.
 *
 * Three layers, bottom up:
 *   1. GF(2^255-19) in radix 2^51 (five 64-bit limbs, 128-bit products).
 *      Elements are kept "weakly reduced" (limbs a little above 2^51 at
 *      most); fe_tobytes() gives the canonical encoding, which is also how
 *      elements are compared.
 *   2. The twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 in extended
 *      coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, with the complete
 *      addition and doubling formulas of Hisil–Wong–Carter–Dawson (2008);
 *      additions take the second point in "cached" form (Y+X, Y-X, Z, 2dT).
 *   3. Verification: decode A and R the way curve25519-dalek's
 *      CompressedEdwardsY::decompress does (what ed25519-zebra uses), compute
 *      [k](-A) + [s]B with a width-5 NAF double scalar multiplication,
 *      subtract R, multiply by the cofactor 8 and test for the identity.
 *
 * Nothing here is constant time: every input is public.
 * SHA-512 and the reduction of the 512-bit hash mod ℓ come from libsodium.
 */
#include "runtime/ed25519.h"

#include <sodium.h>
#include <string.h>

/* ---- 1. Field arithmetic mod p = 2^255 - 19 ---------------------------------- */

typedef uint64_t fe[5];
typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

/* d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4), limbs computed offline. */
static const fe FE_D = { 0x34dca135978a3ULL, 0x1a8283b156ebdULL, 0x5e7a26001c029ULL,
                         0x739c663a03cbbULL, 0x52036cee2b6ffULL };
static const fe FE_D2 = { 0x69b9426b2f159ULL, 0x35050762add7aULL, 0x3cf44c0038052ULL,
                          0x6738cc7407977ULL, 0x2406d9dc56dffULL };
static const fe FE_SQRTM1 = { 0x61b274a0ea0b0ULL, 0x0d5a5fc8f189dULL, 0x7ef5e9cbd0c60ULL,
                              0x78595a6804c9eULL, 0x2b8324804fc1dULL };

static void fe_copy(fe h, const fe f)
{
    memcpy(h, f, sizeof(fe));
}

static void fe_set_small(fe h, uint64_t v)
{
    h[0] = v;
    h[1] = h[2] = h[3] = h[4] = 0;
}

/* Carry every limb into the next; the carry out of the top limb wraps
 * around multiplied by 19 (2^255 ≡ 19). */
static void fe_carry(fe h)
{
    uint64_t c;
    c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
    c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
    c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
    c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
    c = h[4] >> 51; h[4] &= MASK51; h[0] += 19 * c;
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 5; i++)
        h[i] = f[i] + g[i];
    fe_carry(h);
}

/* f - g computed as f + 4p - g, so no limb goes negative for weakly
 * reduced inputs (limbs below 2^53). */
static void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = f[0] + 0x1FFFFFFFFFFFB4ULL - g[0];
    for (int i = 1; i < 5; i++)
        h[i] = f[i] + 0x1FFFFFFFFFFFFCULL - g[i];
    fe_carry(h);
}

static void fe_neg(fe h, const fe f)
{
    fe zero;
    fe_set_small(zero, 0);
    fe_sub(h, zero, f);
}

/* Carry the 128-bit column sums r[0..4] into h: every limb below 2^51 except
 * h[1], which stays below 2^51 + 2^11 — weakly reduced, as fe_mul's and
 * fe_sub's bounds allow. (Forced inline: it is most of a multiplication's
 * tail, and a call passing five 128-bit values costs as much again.) */
__attribute__((always_inline)) static inline void fe_carry_wide(fe h, u128 r0, u128 r1,
                                                              u128 r2, u128 r3, u128 r4)
{
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    h[0] = ((uint64_t)r0 & MASK51) + 19 * (uint64_t)(r4 >> 51);
    h[1] = ((uint64_t)r1 & MASK51) + (h[0] >> 51);
    h[0] &= MASK51;
    h[2] = (uint64_t)r2 & MASK51;
    h[3] = (uint64_t)r3 & MASK51;
    h[4] = (uint64_t)r4 & MASK51;
}

/* Limb products: column k collects f_i g_j with i + j = k, plus 19 times
 * those with i + j = k + 5 (2^255 ≡ 19). Every function here returns limbs
 * below 2^52; for such inputs the columns stay below 2^112 and the wrapped
 * carry 19 (r4 >> 51) below 2^62. */
static void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t g1_19 = 19 * g[1], g2_19 = 19 * g[2], g3_19 = 19 * g[3], g4_19 = 19 * g[4];
    u128 r0 = (u128)f[0] * g[0] + (u128)f[1] * g4_19 + (u128)f[2] * g3_19 +
              (u128)f[3] * g2_19 + (u128)f[4] * g1_19;
    u128 r1 = (u128)f[0] * g[1] + (u128)f[1] * g[0] + (u128)f[2] * g4_19 +
              (u128)f[3] * g3_19 + (u128)f[4] * g2_19;
    u128 r2 = (u128)f[0] * g[2] + (u128)f[1] * g[1] + (u128)f[2] * g[0] +
              (u128)f[3] * g4_19 + (u128)f[4] * g3_19;
    u128 r3 = (u128)f[0] * g[3] + (u128)f[1] * g[2] + (u128)f[2] * g[1] +
              (u128)f[3] * g[0] + (u128)f[4] * g4_19;
    u128 r4 = (u128)f[0] * g[4] + (u128)f[1] * g[3] + (u128)f[2] * g[2] +
              (u128)f[3] * g[1] + (u128)f[4] * g[0];
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* fe_mul(h, f, f) with the symmetric products counted once. */
static void fe_sq(fe h, const fe f)
{
    uint64_t f0_2 = 2 * f[0], f1_2 = 2 * f[1];
    uint64_t f3_19 = 19 * f[3], f3_38 = 38 * f[3], f4_19 = 19 * f[4], f4_38 = 38 * f[4];
    u128 r0 = (u128)f[0] * f[0] + (u128)f[1] * f4_38 + (u128)f[2] * f3_38;
    u128 r1 = (u128)f0_2 * f[1] + (u128)f[2] * f4_38 + (u128)f[3] * f3_19;
    u128 r2 = (u128)f0_2 * f[2] + (u128)f[1] * f[1] + (u128)f[3] * f4_38;
    u128 r3 = (u128)f0_2 * f[3] + (u128)f1_2 * f[2] + (u128)f[4] * f4_19;
    u128 r4 = (u128)f0_2 * f[4] + (u128)f1_2 * f[3] + (u128)f[2] * f[2];
    fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n) */
static void fe_sqn(fe h, const fe f, int n)
{
    fe_sq(h, f);
    while (--n > 0)
        fe_sq(h, h);
}

/* Little-endian 255-bit load; bit 255 (the sign of x in point encodings) is
 * ignored and values in [p, 2^255) are kept as they are — they stand for
 * value - p, which is how dalek's FieldElement::from_bytes reads them. */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = 0;
        for (int j = 7; j >= 0; j--)
            w[i] = (w[i] << 8) | s[8 * i + j];
    }
    h[0] = w[0] & MASK51;
    h[1] = ((w[0] >> 51) | (w[1] << 13)) & MASK51;
    h[2] = ((w[1] >> 38) | (w[2] << 26)) & MASK51;
    h[3] = ((w[2] >> 25) | (w[3] << 39)) & MASK51;
    h[4] = (w[3] >> 12) & MASK51;
}

/* Canonical little-endian encoding (fully reduced mod p). */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    fe t;
    fe_copy(t, f);
    fe_carry(t);
    fe_carry(t);
    /* Now t < 2^255 + 38 < 2p: subtract p once if t >= p, i.e. if t + 19
     * carries into bit 255. */
    uint64_t q = (t[0] + 19) >> 51;
    q = (t[1] + q) >> 51;
    q = (t[2] + q) >> 51;
    q = (t[3] + q) >> 51;
    q = (t[4] + q) >> 51;
    t[0] += 19 * q;
    t[1] += t[0] >> 51; t[0] &= MASK51;
    t[2] += t[1] >> 51; t[1] &= MASK51;
    t[3] += t[2] >> 51; t[2] &= MASK51;
    t[4] += t[3] >> 51; t[3] &= MASK51;
    t[4] &= MASK51;
    uint64_t w[4] = {
        t[0] | (t[1] << 51),
        (t[1] >> 13) | (t[2] << 38),
        (t[2] >> 26) | (t[3] << 25),
        (t[3] >> 39) | (t[4] << 12),
    };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static bool fe_equal(const fe f, const fe g)
{
    uint8_t a[32], b[32];
    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return memcmp(a, b, 32) == 0;
}

static bool fe_is_zero(const fe f)
{
    static const uint8_t zero[32];
    uint8_t a[32];
    fe_tobytes(a, f);
    return memcmp(a, zero, 32) == 0;
}

/* "Negative" = odd canonical representative (RFC 8032's sign of x). */
static bool fe_is_negative(const fe f)
{
    uint8_t a[32];
    fe_tobytes(a, f);
    return a[0] & 1;
}

/* h = z^((p-5)/8) = z^(2^252 - 3), the exponent of the square-root trick. */
static void fe_pow22523(fe h, const fe z)
{
    fe t0, t1, t2;
    fe_sq(t0, z);                /* z^2 */
    fe_sqn(t1, t0, 2);           /* z^8 */
    fe_mul(t1, z, t1);           /* z^9 */
    fe_mul(t0, t0, t1);          /* z^11 */
    fe_sq(t0, t0);               /* z^22 */
    fe_mul(t0, t1, t0);          /* z^(2^5 - 1) */
    fe_sqn(t1, t0, 5);
    fe_mul(t0, t1, t0);          /* z^(2^10 - 1) */
    fe_sqn(t1, t0, 10);
    fe_mul(t1, t1, t0);          /* z^(2^20 - 1) */
    fe_sqn(t2, t1, 20);
    fe_mul(t1, t2, t1);          /* z^(2^40 - 1) */
    fe_sqn(t1, t1, 10);
    fe_mul(t0, t1, t0);          /* z^(2^50 - 1) */
    fe_sqn(t1, t0, 50);
    fe_mul(t1, t1, t0);          /* z^(2^100 - 1) */
    fe_sqn(t2, t1, 100);
    fe_mul(t1, t2, t1);          /* z^(2^200 - 1) */
    fe_sqn(t1, t1, 50);
    fe_mul(t0, t1, t0);          /* z^(2^250 - 1) */
    fe_sqn(t0, t0, 2);           /* z^(2^252 - 4) */
    fe_mul(h, t0, z);            /* z^(2^252 - 3) */
}

/* r = the non-negative square root of u/v when u/v is a square (returns
 * true), as curve25519-dalek's sqrt_ratio_i. */
static bool fe_sqrt_ratio(fe r, const fe u, const fe v)
{
    fe v3, v7, t, check, neg_u, neg_u_i;
    fe_sq(v3, v);
    fe_mul(v3, v3, v);           /* v^3 */
    fe_sq(v7, v3);
    fe_mul(v7, v7, v);           /* v^7 */
    fe_mul(t, u, v7);
    fe_pow22523(t, t);           /* (u v^7)^((p-5)/8) */
    fe_mul(t, t, v3);
    fe_mul(r, t, u);             /* candidate: u v^3 (u v^7)^((p-5)/8) */

    fe_sq(check, r);
    fe_mul(check, check, v);     /* v r^2 */
    fe_neg(neg_u, u);
    fe_mul(neg_u_i, neg_u, FE_SQRTM1);
    bool correct = fe_equal(check, u);
    bool flipped = fe_equal(check, neg_u);
    bool flipped_i = fe_equal(check, neg_u_i);
    if (flipped || flipped_i)
        fe_mul(r, r, FE_SQRTM1);
    if (fe_is_negative(r))
        fe_neg(r, r);
    return correct || flipped;
}

/* ---- 2. Curve points --------------------------------------------------------- */

typedef struct ge {
    fe X, Y, Z, T;
} ge;

typedef struct ge_cached {
    fe YplusX, YminusX, Z, T2d;
} ge_cached;

/* B: y = 4/5, x even; limbs computed offline. */
static const ge GE_BASE = {
    { 0x62d608f25d51aULL, 0x412a4b4f6592aULL, 0x75b7171a4b31dULL, 0x1ff60527118feULL,
      0x216936d3cd6e5ULL },
    { 0x6666666666658ULL, 0x4ccccccccccccULL, 0x1999999999999ULL, 0x3333333333333ULL,
      0x6666666666666ULL },
    { 1, 0, 0, 0, 0 },
    { 0x68ab3a5b7dda3ULL, 0x00eea2a5eadbbULL, 0x2af8df483c27eULL, 0x332b375274732ULL,
      0x67875f0fd78b7ULL },
};

static void ge_identity(ge *p)
{
    fe_set_small(p->X, 0);
    fe_set_small(p->Y, 1);
    fe_set_small(p->Z, 1);
    fe_set_small(p->T, 0);
}

static bool ge_is_identity(const ge *p)
{
    return fe_is_zero(p->X) && fe_equal(p->Y, p->Z);
}

static void ge_neg(ge *r, const ge *p)
{
    fe_neg(r->X, p->X);
    fe_copy(r->Y, p->Y);
    fe_copy(r->Z, p->Z);
    fe_neg(r->T, p->T);
}

static void ge_to_cached(ge_cached *c, const ge *p)
{
    fe_add(c->YplusX, p->Y, p->X);
    fe_sub(c->YminusX, p->Y, p->X);
    fe_copy(c->Z, p->Z);
    fe_mul(c->T2d, p->T, FE_D2);
}

/* r = p + q (r may alias p). `negate_q` computes p - q instead. */
static void ge_add_cached(ge *r, const ge *p, const ge_cached *q, bool negate_q)
{
    fe a, b, c, d, e, f, g, h, t;
    fe_sub(t, p->Y, p->X);
    fe_mul(a, t, negate_q ? q->YplusX : q->YminusX);
    fe_add(t, p->Y, p->X);
    fe_mul(b, t, negate_q ? q->YminusX : q->YplusX);
    fe_mul(c, p->T, q->T2d);
    fe_mul(d, p->Z, q->Z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_add(h, b, a);
    if (negate_q) {
        fe_add(f, d, c);
        fe_sub(g, d, c);
    } else {
        fe_sub(f, d, c);
        fe_add(g, d, c);
    }
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->Z, f, g);
    fe_mul(r->T, e, h);
}

/* r = 2p (r may alias p). The input's T is not used; the output's T is only
 * computed when `with_t` (additions need it, a following doubling does not). */
static void ge_double(ge *r, const ge *p, bool with_t)
{
    fe a, b, c, e, f, g, h, t;
    fe_sq(a, p->X);
    fe_sq(b, p->Y);
    fe_sq(c, p->Z);
    fe_add(c, c, c);
    fe_add(h, a, b);
    fe_add(t, p->X, p->Y);
    fe_sq(t, t);
    fe_sub(e, t, h);             /* 2XY */
    fe_sub(g, b, a);
    fe_sub(f, c, g);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->Z, f, g);
    if (with_t)
        fe_mul(r->T, e, h);
}

/* Decode like curve25519-dalek's CompressedEdwardsY::decompress: y is the
 * low 255 bits taken mod p, x = sqrt((y^2 - 1) / (d y^2 + 1)) must exist,
 * and the top bit selects -x. For x = 0 the top bit is accepted either way
 * (-0 = 0), which RFC 8032 would refuse but ZIP 215 requires. */
static bool ge_decode(ge *p, const uint8_t enc[32])
{
    fe u, v, yy, one;
    fe_frombytes(p->Y, enc);
    fe_set_small(p->Z, 1);
    fe_set_small(one, 1);
    fe_sq(yy, p->Y);
    fe_sub(u, yy, one);
    fe_mul(v, yy, FE_D);
    fe_add(v, v, one);
    if (!fe_sqrt_ratio(p->X, u, v))
        return false;
    if (enc[31] >> 7)
        fe_neg(p->X, p->X);
    fe_mul(p->T, p->X, p->Y);
    return true;
}

/* ---- 3. Scalars and verification ---------------------------------------------- */

/* ℓ = 2^252 + 27742317777372353535851937790883648493, little endian. */
static const uint8_t ELL[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

static bool scalar_is_canonical(const uint8_t s[32])
{
    for (int i = 31; i >= 0; i--) {
        if (s[i] != ELL[i])
            return s[i] < ELL[i];
    }
    return false;                /* s == ℓ */
}

/* Width-5 non-adjacent form: a = Σ naf[i] 2^i with every nonzero digit odd,
 * in [-15, 15], and followed by at least four zeros. Returns the number of
 * digits (at most 254 for a < 2^253). Textbook recoding: while a > 0, take
 * the digit a mods 32 when a is odd, subtract it, halve. */
static int scalar_naf5(int8_t naf[256], const uint8_t a[32])
{
    uint64_t k[5] = { 0 };
    for (int i = 0; i < 32; i++)
        k[i / 8] |= (uint64_t)a[i] << (8 * (i % 8));
    memset(naf, 0, 256);
    int len = 0;
    while ((k[0] | k[1] | k[2] | k[3] | k[4]) && len < 256) {
        if (k[0] & 1) {
            int digit = (int)(k[0] & 31);
            if (digit > 15)
                digit -= 32;
            naf[len] = (int8_t)digit;
            /* k -= digit, a multi-word subtraction or addition of a small value */
            uint64_t borrow_or_carry = (uint64_t)(digit > 0 ? digit : -digit);
            for (int w = 0; w < 5 && borrow_or_carry; w++) {
                uint64_t before = k[w];
                if (digit > 0) {
                    k[w] = before - borrow_or_carry;
                    borrow_or_carry = k[w] > before;
                } else {
                    k[w] = before + borrow_or_carry;
                    borrow_or_carry = k[w] < before;
                }
            }
        }
        for (int w = 0; w < 4; w++)
            k[w] = (k[w] >> 1) | (k[w + 1] << 63);
        k[4] >>= 1;
        len++;
    }
    return len;
}

/* table[i] = (2i+1) P for i = 0..7: the odd multiples a NAF5 digit can select. */
static void build_odd_multiples(ge_cached table[8], const ge *p)
{
    ge twice, multiple = *p;
    ge_cached twice_cached;
    ge_double(&twice, p, true);
    ge_to_cached(&twice_cached, &twice);
    ge_to_cached(&table[0], p);
    for (int i = 1; i < 8; i++) {
        ge_add_cached(&multiple, &multiple, &twice_cached, false);
        ge_to_cached(&table[i], &multiple);
    }
}

static void add_naf_digit(ge *r, const ge_cached table[8], int8_t digit)
{
    if (digit > 0)
        ge_add_cached(r, r, &table[digit / 2], false);
    else if (digit < 0)
        ge_add_cached(r, r, &table[-digit / 2], true);
}

/* r = a P + b B (variable time): one shared chain of doublings from the top
 * digit down, adding table entries where either NAF has a digit. */
static void double_scalar_mul_base(ge *r, const uint8_t a[32], const ge *p, const uint8_t b[32])
{
    int8_t na[256], nb[256];
    ge_cached tp[8], tb[8];
    int top = scalar_naf5(na, a);
    int len_b = scalar_naf5(nb, b);
    if (len_b > top)
        top = len_b;
    build_odd_multiples(tp, p);
    build_odd_multiples(tb, &GE_BASE);
    ge_identity(r);
    for (int i = top - 1; i >= 0; i--) {
        bool adds = na[i] || nb[i];
        ge_double(r, r, adds || i == 0);
        add_naf_digit(r, tp, na[i]);
        add_naf_digit(r, tb, nb[i]);
    }
}

bool ed25519_point_decodes(const uint8_t enc[32])
{
    ge p;
    return ge_decode(&p, enc);
}

bool ed25519_verify(const uint8_t sig[ED25519_SIGNATURE_LEN], const uint8_t *msg, size_t msg_len,
                    const uint8_t pub[ED25519_PUBLIC_KEY_LEN])
{
    const uint8_t *r_bytes = sig, *s_bytes = sig + 32;
    if (!scalar_is_canonical(s_bytes))
        return false;
    ge a, r;
    if (!ge_decode(&a, pub) || !ge_decode(&r, r_bytes))
        return false;

    /* k = SHA-512(R || A || M) mod ℓ, over the bytes as given. */
    uint8_t hash[64], k[32];
    crypto_hash_sha512_state h;
    crypto_hash_sha512_init(&h);
    crypto_hash_sha512_update(&h, r_bytes, 32);
    crypto_hash_sha512_update(&h, pub, 32);
    if (msg_len)
        crypto_hash_sha512_update(&h, msg, msg_len);
    crypto_hash_sha512_final(&h, hash);
    crypto_core_ed25519_scalar_reduce(k, hash);

    /* [8]([s]B - [k]A - R) == identity */
    ge minus_a, check;
    ge_cached r_cached;
    ge_neg(&minus_a, &a);
    double_scalar_mul_base(&check, k, &minus_a, s_bytes);
    ge_to_cached(&r_cached, &r);
    ge_add_cached(&check, &check, &r_cached, true);
    for (int i = 0; i < 3; i++)
        ge_double(&check, &check, false);
    return ge_is_identity(&check);
}

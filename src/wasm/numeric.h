/*
 * numeric.h — wasm numeric semantics that C leaves undefined or gets wrong.
 *
 * Floats travel as bit patterns in 64-bit slots (f32 in the low half).
 * min/max follow wasm (NaN if either operand is NaN, -0 < +0), nearest
 * rounds half to even, float→int conversions check range first (trapping
 * variants report which trap; saturating variants clamp), and NaN results
 * can be canonicalised (pvf profile, wasm-engine-notes §5.5). The engine is
 * built with -ffp-contract=off, so no FMA contraction changes results.
 */
#ifndef PVF_WASM_NUMERIC_H
#define PVF_WASM_NUMERIC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CANON_NAN32 0x7FC00000u
#define CANON_NAN64 0x7FF8000000000000ull

static inline float f32_of(uint64_t slot)
{
    uint32_t b = (uint32_t)slot;
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static inline double f64_of(uint64_t slot)
{
    double d;
    memcpy(&d, &slot, 8);
    return d;
}

static inline uint64_t bits_f32(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static inline uint64_t bits_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static inline uint64_t canon_f32(float f)
{
    return f != f ? CANON_NAN32 : bits_f32(f);
}

static inline uint64_t canon_f64(double d)
{
    return d != d ? CANON_NAN64 : bits_f64(d);
}

/* wasm min/max: NaN propagates (as a quiet NaN), and -0 is smaller than +0. */
static inline float wasm_fminf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return f32_of(bits_f32(a) | bits_f32(b));   /* -0 wins */
    return a < b ? a : b;
}

static inline float wasm_fmaxf(float a, float b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return f32_of(bits_f32(a) & bits_f32(b));   /* +0 wins */
    return a > b ? a : b;
}

static inline double wasm_fmin(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return f64_of(bits_f64(a) | bits_f64(b));
    return a < b ? a : b;
}

static inline double wasm_fmax(double a, double b)
{
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return f64_of(bits_f64(a) & bits_f64(b));
    return a > b ? a : b;
}

/*
 * Rounding functions. A NaN operand must come back quiet (an "arithmetic
 * NaN"); libm may return a signalling NaN unchanged, so quiet it with a + a.
 * nearest rounds half to even: nearbyint does so in the default rounding
 * mode, which wasm code can't change.
 */
#define QUIET_NAN_OR(a, expr) ((a) != (a) ? (a) + (a) : (expr))
static inline float wasm_ceilf(float a) { return QUIET_NAN_OR(a, ceilf(a)); }
static inline float wasm_floorf(float a) { return QUIET_NAN_OR(a, floorf(a)); }
static inline float wasm_truncf(float a) { return QUIET_NAN_OR(a, truncf(a)); }
static inline float wasm_nearestf(float a) { return QUIET_NAN_OR(a, nearbyintf(a)); }
static inline double wasm_ceil(double a) { return QUIET_NAN_OR(a, ceil(a)); }
static inline double wasm_floor(double a) { return QUIET_NAN_OR(a, floor(a)); }
static inline double wasm_trunc(double a) { return QUIET_NAN_OR(a, trunc(a)); }
static inline double wasm_nearest(double a) { return QUIET_NAN_OR(a, nearbyint(a)); }

static inline uint64_t copysign32_bits(uint64_t a, uint64_t b)
{
    return ((uint32_t)a & 0x7FFFFFFFu) | ((uint32_t)b & 0x80000000u);
}

static inline uint64_t copysign64_bits(uint64_t a, uint64_t b)
{
    return (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull);
}

/*
 * Float → int range checks, done in double (exact for every f32 and for the
 * bounds used): a value converts when it lies strictly inside (lo, hi) where
 * lo/hi are the first values whose truncation no longer fits.
 */
enum { CONV_OK, CONV_NAN, CONV_OVERFLOW };

static inline int conv_check(double x, double lo, double hi)
{
    if (x != x)
        return CONV_NAN;
    return (x > lo && x < hi) ? CONV_OK : CONV_OVERFLOW;
}

#define I32_S_LO -2147483649.0
#define I32_S_HI 2147483648.0
#define I32_U_LO -1.0
#define I32_U_HI 4294967296.0
#define I64_S_LO -9223372036854777856.0   /* next double below -2^63 */
#define I64_S_HI 9223372036854775808.0
#define I64_U_LO -1.0
#define I64_U_HI 18446744073709551616.0

static inline int32_t sat_i32_s(double x)
{
    if (x != x) return 0;
    if (x <= I32_S_LO) return INT32_MIN;
    if (x >= I32_S_HI) return INT32_MAX;
    return (int32_t)x;
}

static inline uint32_t sat_i32_u(double x)
{
    if (x != x || x <= I32_U_LO) return 0;
    if (x >= I32_U_HI) return UINT32_MAX;
    return (uint32_t)x;
}

static inline int64_t sat_i64_s(double x)
{
    if (x != x) return 0;
    if (x <= I64_S_LO) return INT64_MIN;
    if (x >= I64_S_HI) return INT64_MAX;
    return (int64_t)x;
}

static inline uint64_t sat_i64_u(double x)
{
    if (x != x || x <= I64_U_LO) return 0;
    if (x >= I64_U_HI) return UINT64_MAX;
    return (uint64_t)x;
}

static inline uint32_t rotl32(uint32_t a, uint32_t b)
{
    b &= 31;
    return b ? (a << b) | (a >> (32 - b)) : a;
}

static inline uint32_t rotr32(uint32_t a, uint32_t b)
{
    b &= 31;
    return b ? (a >> b) | (a << (32 - b)) : a;
}

static inline uint64_t rotl64(uint64_t a, uint64_t b)
{
    b &= 63;
    return b ? (a << b) | (a >> (64 - b)) : a;
}

static inline uint64_t rotr64(uint64_t a, uint64_t b)
{
    b &= 63;
    return b ? (a >> b) | (a << (64 - b)) : a;
}

#endif

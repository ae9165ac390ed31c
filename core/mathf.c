/* core/mathf.c - exp, log, tanh, sigmoid, erf in float (see mathf.h).
 *
 * Every step is an IEEE operation with one rounding (+, -, *, /, fmaf) on
 * float, and the file is built with -ffp-contract=off like every other, so the
 * steps below are exactly what runs, on any compiler and CPU. Polynomials are
 * evaluated by Horner's rule with fmaf; their coefficients are Chebyshev fits
 * (mpmath.chebyfit, 40 digits, rounded to float) or Taylor coefficients, as
 * each function says. */
#include "core/mathf.h"
#include "core/mathf_f64.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static inline uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 2^k for -126 <= k <= 127, exactly. */
static inline float pow2i(int k) { return float_of((uint32_t)(k + 127) << 23); }

/* |x| with the sign of s (bit operations, no rounding). */
static inline float with_sign_of(float x, float s)
{
    return float_of((bits_of(x) & 0x7fffffffu) | (bits_of(s) & 0x80000000u));
}

/* ln 2 = LN2_HI + LN2_LO: LN2_HI is ln 2 rounded to float, LN2_LO the rest. */
static const float LN2_HI = 0x1.62e430p-1f, LN2_LO = -0x1.05c610p-29f;
static const float LOG2E = 0x1.715476p+0f;

/* exp(x) = 2^k e^r, k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2]
 * (two fmaf with the split ln 2, so r is accurate to its last bit);
 * e^r = 1 + r + r^2/2! + ... + r^7/7! (Taylor, truncation error < 8e-9
 * relative); 2^k is put into the exponent field, in two steps when the result
 * is subnormal so that it is rounded once. */
float sg_expf(float x)
{
    if (x != x) return x + x;                       /* NaN */
    if (x > 0x1.62e42ep+6f) return INFINITY;        /* > 88.7228317: overflow */
    if (x < -0x1.9fe368p+6f) return 0.0f;           /* < -103.97208: below half the least subnormal */
    const float magic = 0x1.8p23f;                  /* adding it rounds to an integer */
    const float kf = (x * LOG2E + magic) - magic;
    float r = fmaf(-kf, LN2_HI, x);
    r = fmaf(-kf, LN2_LO, r);
    float p = 0x1.a01a02p-13f;                      /* 1/7! */
    p = fmaf(p, r, 0x1.6c16c2p-10f);                /* 1/6! */
    p = fmaf(p, r, 0x1.111112p-7f);                 /* 1/5! */
    p = fmaf(p, r, 0x1.555556p-5f);                 /* 1/4! */
    p = fmaf(p, r, 0x1.555556p-3f);                 /* 1/3! */
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    const int k = (int)kf;
    if (k > 127) return p * pow2i(127) * 2.0f;       /* p < 1 here: still finite */
    if (k < -126) return p * pow2i(k + 126) * pow2i(-126);   /* exact, then one rounding */
    return p * pow2i(k);
}

/* log(x) = e ln 2 + log(1 + f), x = 2^e (1 + f), 1 + f in [sqrt(1/2), sqrt(2));
 * with s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - hfsq + s (hfsq + R),
 * hfsq = f^2 / 2, R = 2 s^2/3 + 2 s^4/5 + ... + 2 s^10/11 (Taylor, |s| < 0.172,
 * truncation error < 2e-11). e ln 2 is e * LN2_HI (exact: 12 trailing zero
 * bits) + e * LN2_LO, added last and first as in fdlibm. */
float sg_logf(float x)
{
    static const float LOG_LN2_HI = 0x1.62e300p-1f, LOG_LN2_LO = 0x1.2fefa2p-17f;
    if (x != x) return x + x;
    if (x == 0.0f) return -INFINITY;
    if (x < 0.0f) return NAN;
    if (x == INFINITY) return x;
    int e = 0;
    uint32_t u = bits_of(x);
    if (u < 0x00800000u) {                           /* subnormal: scale into the normals */
        u = bits_of(x * 0x1p23f);
        e = -23;
    }
    e += (int)(u >> 23) - 127;
    float m = float_of((u & 0x007fffffu) | 0x3f800000u);   /* [1, 2) */
    if (m > 0x1.6a09e6p+0f) {                        /* > sqrt(2): use m/2, e+1 */
        m *= 0.5f;
        e++;
    }
    const float f = m - 1.0f;                        /* exact */
    const float s = f / (2.0f + f), z = s * s;
    float R = 0x1.745d18p-3f;                        /* 2/11 */
    R = fmaf(R, z, 0x1.c71c72p-3f);                  /* 2/9 */
    R = fmaf(R, z, 0x1.24924ap-2f);                  /* 2/7 */
    R = fmaf(R, z, 0x1.99999ap-2f);                  /* 2/5 */
    R = fmaf(R, z, 0x1.555556p-1f);                  /* 2/3 */
    R = R * z;
    const float hfsq = 0.5f * f * f, dk = (float)e;
    return dk * LOG_LN2_HI - ((hfsq - fmaf(s, hfsq + R, dk * LOG_LN2_LO)) - f);
}

/* tanh(x): for |x| < 0.55, x + x u Q(u) with u = x^2 and 1 + u Q(u) the
 * Chebyshev fit of tanh(x)/x on u in [0, 0.3025] (error < 3e-11); above,
 * 1 - 2 / (e^(2|x|) + 1), which saturates to 1 without overflow trouble. */
float sg_tanhf(float x)
{
    if (x != x) return x + x;
    const float ax = fabsf(x);
    if (ax < 0x1p-13f) return x;                     /* x^3/3 is below half an ulp; keeps -0 */
    if (ax < 0.55f) {
        const float u = x * x;
        float q = 0.0023824581876397133f;
        q = fmaf(q, u, -0.00840092170983553f);
        q = fmaf(q, u, 0.02177794836461544f);
        q = fmaf(q, u, -0.05395877733826637f);
        q = fmaf(q, u, 0.13333286345005035f);
        q = fmaf(q, u, -0.3333333134651184f);
        return fmaf(x * u, q, x);
    }
    const float t = 1.0f - 2.0f / (sg_expf(2.0f * ax) + 1.0f);
    return with_sign_of(t, x);
}

/* 1 / (1 + e^-x) for x >= 0; e^x / (1 + e^x) below, so that a very negative x
 * gives its tiny (even subnormal) value instead of 1 / inf. */
float sg_sigmoidf(float x)
{
    if (x >= 0.0f) return 1.0f / (1.0f + sg_expf(-x));
    const float e = sg_expf(x);                      /* NaN falls through here */
    return e / (1.0f + e);
}

/* erf(x):
 *   |x| < 1:       x + x (P(x^2) - 1), P the Chebyshev fit of erf(x)/x on x^2
 *                  in [0, 1] (degree 7, error < 4e-11), its constant term the
 *                  exact 2/sqrt(pi);
 *   1 <= |x| < 4:  1 - e^(-x^2) Q(|x| - c), Q the Chebyshev fit of
 *                  erfc(x) e^(x^2) on [1, 2.5] (c = 1.75) or [2.5, 4] (c = 3.25),
 *                  degree 10, relative error < 1e-9;
 *   |x| >= 4:      +-1 (1 - erf(4) < 2^-25).
 * Used by GELU: x/2 (1 + erf(x / sqrt 2)). */
float sg_erff(float x)
{
    if (x != x) return x + x;
    const float ax = fabsf(x);
    if (ax < 1.0f) {
        const float u = x * x;
        float p = -9.667044650996104e-06f;
        p = fmaf(p, u, 0.00011265958892181516f);
        p = fmaf(p, u, -0.0008484080317430198f);
        p = fmaf(p, u, 0.005221031606197357f);
        p = fmaf(p, u, -0.026865430176258087f);
        p = fmaf(p, u, 0.11283782124519348f);
        p = fmaf(p, u, -0.37612637877464294f);
        p = fmaf(p, u, 0.12837916612625122f);   /* 2/sqrt(pi) - 1 */
        return fmaf(x, p, x);
    }
    if (ax >= 4.0f) return with_sign_of(1.0f, x);
    static const float lo[11] = {
        1.146466820500791e-05f, -3.8651956856483594e-05f, 0.0001087118944269605f,
        -0.00034071074333041906f, 0.0010394018609076738f, -0.0030216770246624947f,
        0.00840429961681366f, -0.022259924560785294f, 0.05576363205909729f,
        -0.1309763491153717f, 0.284972220659256f};
    static const float hi[11] = {
        1.6785496370630426e-07f, -7.507289865316125e-07f, 3.0320018140628235e-06f,
        -1.2972954209544696e-05f, 5.4422100220108405e-05f, -0.00022239041572902352f,
        0.0008860044181346893f, -0.0034354703966528177f, 0.012937290593981743f,
        -0.04719940200448036f, 0.1663353443145752f};
    const bool low = ax < 2.5f;
    const float *c = low ? lo : hi, t = ax - (low ? 1.75f : 3.25f);
    float q = c[0];
    for (int i = 1; i < 11; i++) q = fmaf(q, t, c[i]);
    const float erfc = sg_expf(-(ax * ax)) * q;
    return with_sign_of(1.0f - erfc, x);
}

/* ---- double precision: the losses' log-sum-exp, the LR schedules, Box-Muller ---- */

/* 2^k for -1022 <= k <= 1023, exactly. */
static inline double pow2i_d(int k) { return sgm_double_of((uint64_t)(k + 1023) << 52); }

/* exp(x) = 2^k e^r as in sg_expf: k = round(x / ln 2), r = x - k ln 2 with the
 * split ln 2 of fdlibm (LN2_HI has 11 trailing zero bits), |r| <= ln2/2;
 * e^r by its Taylor polynomial to r^13/13! (truncation < 5e-18 relative). */
double sg_exp_f64(double x)
{
    static const double LN2_HI_D = 0x1.62e42feep-1, LN2_LO_D = 0x1.a39ef35793c76p-33;
    static const double LOG2E_D = 0x1.71547652b82fep+0;
    if (x != x) return x + x;
    if (x > 0x1.62e42fefa39efp+9) return INFINITY;   /* > 709.78: overflow */
    if (x < -0x1.74910d52d3052p+9) return 0.0;       /* < -745.13: below half the least subnormal */
    const double magic = 0x1.8p52;
    const double kd = (x * LOG2E_D + magic) - magic;
    double r = fma(-kd, LN2_HI_D, x);
    r = fma(-kd, LN2_LO_D, r);
    double p = 1.0 / 6227020800.0;                   /* 1/13! */
    static const double c[12] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                                 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0,
                                 1.0 / 6.0, 0.5, 1.0};
    for (int i = 0; i < 12; i++) p = fma(p, r, c[i]);
    p = fma(p, r, 1.0);
    const int k = (int)kd;
    if (k > 1023) return p * pow2i_d(1023) * 2.0;
    if (k < -1022) return p * pow2i_d(k + 54) * pow2i_d(-54);
    return p * pow2i_d(k);
}

/* log, cos(pi t) and sin(pi t) in double: core/mathf_f64.h (inline, so that
 * the normal-sampling kernels compile the same text with their ISA's flags). */
double sg_log_f64(double x) { return sgm_log_f64(x); }

/* log(1 + x): exactly x where 1 + x rounds to 1, else log(u) * x / (u - 1)
 * with u = 1 + x, which cancels the rounding of u (Goldberg's method). */
double sg_log1p_f64(double x)
{
    const double u = 1.0 + x;
    if (u == 1.0) return x;
    return sg_log_f64(u) * (x / (u - 1.0));
}

double sg_cospi_f64(double t) { return sgm_cospi_f64(t); }

double sg_sinpi_f64(double t) { return sgm_sinpi_f64(t); }

/* cos x and sin x in float through cos(pi t) and sin(pi t) in double,
 * t = x / pi (one rounding in double, 2^-53 relative), the double result
 * rounded once more to float. Meant for angles of moderate size (the
 * synthetic images' geometry): the error of t grows with |x|. */
float sg_cosf(float x) { return (float)sg_cospi_f64((double)x * 0x1.45f306dc9c883p-2); }

float sg_sinf(float x) { return (float)sg_sinpi_f64((double)x * 0x1.45f306dc9c883p-2); }

double sg_powi(double base, uint64_t n)
{
    double result = 1.0, b = base;
    for (; n; n >>= 1) {
        if (n & 1) result *= b;
        b *= b;
    }
    return result;
}

/* core/mathf_f64.h - the double-precision log, cos(pi t) and sin(pi t) of
 * core/mathf.c as inline functions: mathf.c's sg_log_f64, sg_cospi_f64 and
 * sg_sinpi_f64 are these, and the normal-sampling kernels
 * (core/kernels/rng_body.h) compile the same text with their ISA's flags,
 * where fma() is one instruction instead of a call into libm; fma is
 * correctly rounded either way, so every copy gives the same bits. The
 * accuracy is stated in core/mathf.h. */
#ifndef SG_MATHF_F64_H
#define SG_MATHF_F64_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t sgm_bits_of_d(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double sgm_double_of(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* log(x) as sg_logf, in double: log(1 + f) = f - hfsq + s (hfsq + R) with
 * R = 2 s^2/3 + ... + 2 s^20/21 (Taylor, |s| < 0.172, truncation < 1e-18). */
static inline double sgm_log_f64(double x)
{
    static const double LN2_HI_D = 6.93147180369123816490e-01, LN2_LO_D = 1.90821492927058770002e-10;
    if (x != x) return x + x;
    if (x == 0.0) return -INFINITY;
    if (x < 0.0) return NAN;
    if (x == INFINITY) return x;
    int e = 0;
    uint64_t u = sgm_bits_of_d(x);
    if (u < 0x0010000000000000ull) {                 /* subnormal */
        u = sgm_bits_of_d(x * 0x1p54);
        e = -54;
    }
    e += (int)(u >> 52) - 1023;
    double m = sgm_double_of((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m > 0x1.6a09e667f3bcdp+0) {
        m *= 0.5;
        e++;
    }
    const double f = m - 1.0, s = f / (2.0 + f), z = s * s;
    double R = 2.0 / 21;
    for (int n = 19; n >= 3; n -= 2) R = fma(R, z, 2.0 / n);
    R = R * z;
    const double hfsq = 0.5 * f * f, dk = (double)e;
    return dk * LN2_HI_D - ((hfsq - fma(s, hfsq + R, dk * LN2_LO_D)) - f);
}

/* cos(pi t) and sin(pi t) for t in [0, 1/4], x = pi t carried to twice the
 * double precision (x + x_lo: an error of x alone would reach the result
 * almost in full); Taylor series to x^16/16! (cos) and x^17/17! (sin), which
 * leave < 3e-17. */
#define SGM_PI_D 0x1.921fb54442d18p+1
#define SGM_PI_LO 0x1.1a62633145c07p-53

static inline double sgm_cos_pi_reduced(double t)
{
    const double x = SGM_PI_D * t, x2 = x * x, x_lo = fma(SGM_PI_D, t, -x) + SGM_PI_LO * t;
    static const double c[7] = {-1.0 / 87178291200.0, 1.0 / 479001600.0, -1.0 / 3628800.0,
                                1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5};
    double p = 1.0 / 20922789888000.0;               /* 1/16! */
    for (int i = 0; i < 7; i++) p = fma(p, x2, c[i]);
    return 1.0 + fma(p, x2, -(x * x_lo));            /* cos(x + x_lo) = cos x - x_lo sin x */
}

static inline double sgm_sin_pi_reduced(double t)
{
    const double x = SGM_PI_D * t, x2 = x * x, x_lo = fma(SGM_PI_D, t, -x) + SGM_PI_LO * t;
    static const double c[7] = {-1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                                1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0};
    double p = 1.0 / 355687428096000.0;              /* 1/17! */
    for (int i = 0; i < 7; i++) p = fma(p, x2, c[i]);
    return x + fma(x * x2, p, x_lo);
}

/* cos(pi t): t is reduced exactly (mod 2, then by the symmetries of cos and
 * sin) to [0, 1/4] for cos or sin of pi t. */
static inline double sgm_cospi_f64(double t)
{
    if (!(t - t == 0.0)) return NAN;                 /* inf or NaN */
    t = fmod(fabs(t), 2.0);                          /* exact */
    if (t > 1.0) t = 2.0 - t;                        /* cos(pi t) = cos(pi (2 - t)), exact */
    double sign = 1.0;
    if (t > 0.5) {                                   /* cos(pi t) = -cos(pi (1 - t)) */
        t = 1.0 - t;
        sign = -1.0;
    }
    return sign * (t <= 0.25 ? sgm_cos_pi_reduced(t) : sgm_sin_pi_reduced(0.5 - t));
}

/* sin(pi t), reduced the same way: odd, period 2, sin(pi t) = sin(pi (1 - t)). */
static inline double sgm_sinpi_f64(double t)
{
    if (!(t - t == 0.0)) return NAN;
    double sign = t < 0 ? -1.0 : 1.0;
    t = fmod(fabs(t), 2.0);
    if (t > 1.0) {                                   /* sin(pi t) = -sin(pi (t - 1)), exact */
        t = t - 1.0;
        sign = -sign;
    }
    if (t > 0.5) t = 1.0 - t;                        /* exact */
    return sign * (t <= 0.25 ? sgm_sin_pi_reduced(t) : sgm_cos_pi_reduced(0.5 - t));
}

#endif

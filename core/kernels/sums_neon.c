/* core/kernels/sums_neon.c - the canonical reductions with AArch64 Advanced
 * SIMD (NEON), bit for bit the scalar twin (sums_scalar.c).
 *
 * The 16 lanes of doubles live in eight q registers of 2 doubles: v[0] =
 * lanes 0-1, v[1] = 2-3, ..., v[7] = 14-15; each block of 16 floats is
 * widened 4 at a time (exactly: vcvt_f64_f32 and vcvt_high_f64_f32) and its
 * terms added lane-wise. The tree: lanes l += l + 8 is v[q] += v[q + 4]
 * (q < 4); l += l + 4 is v[0] += v[2], v[1] += v[3]; l += l + 2 is
 * v[0] += v[1]; l += l + 1 adds the second double to the first. The tail is
 * the scalar loop. Products and differences are separate mul and sub (never
 * FMLA): the same roundings as the scalar terms. */
#include <arm_neon.h>

#include "core/kernels/kernels.h"

/* The terms of 4 consecutive elements as two pairs of doubles (lo, hi). */
static inline void term4(sg_sums_op op, const float *x, const float *y, float64x2_t center, float32x4_t cf,
                         float64x2_t *lo, float64x2_t *hi)
{
    const float32x4_t xf = vld1q_f32(x);
    float64x2_t xl = vcvt_f64_f32(vget_low_f32(xf)), xh = vcvt_high_f64_f32(xf);
    switch (op) {
    case SG_SUMS_PLAIN: break;
    case SG_SUMS_SQ_DEV:
        xl = vsubq_f64(xl, center), xh = vsubq_f64(xh, center);
        xl = vmulq_f64(xl, xl), xh = vmulq_f64(xh, xh);
        break;
    case SG_SUMS_DOT: {
        const float32x4_t yf = vld1q_f32(y);
        xl = vmulq_f64(xl, vcvt_f64_f32(vget_low_f32(yf))), xh = vmulq_f64(xh, vcvt_high_f64_f32(yf));
        break;
    }
    case SG_SUMS_DOT_DEV: {
        const float32x4_t yf = vld1q_f32(y), d = vsubq_f32(xf, cf);
        xl = vmulq_f64(vcvt_f64_f32(vget_low_f32(yf)), vcvt_f64_f32(vget_low_f32(d)));
        xh = vmulq_f64(vcvt_high_f64_f32(yf), vcvt_high_f64_f32(d));
        break;
    }
    }
    *lo = xl, *hi = xh;
}

double sg_k_sums_neon(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    const float64x2_t c = vdupq_n_f64(center);
    const float32x4_t cf = vdupq_n_f32((float)center);
    float64x2_t v[8];
    for (int q = 0; q < 8; q++) v[q] = vdupq_n_f64(0.0);
    const int64_t n16 = n - n % 16;
    const float *yb = y ? y : x;   /* read only by the two dot products, which have y */
    for (int64_t i = 0; i < n16; i += 16)
        for (int q = 0; q < 4; q++) {
            float64x2_t lo, hi;
            term4(op, x + i + 4 * q, yb + i + 4 * q, c, cf, &lo, &hi);
            v[2 * q] = vaddq_f64(v[2 * q], lo), v[2 * q + 1] = vaddq_f64(v[2 * q + 1], hi);
        }
    for (int q = 0; q < 4; q++) v[q] = vaddq_f64(v[q], v[q + 4]);     /* l += l + 8 */
    v[0] = vaddq_f64(v[0], v[2]), v[1] = vaddq_f64(v[1], v[3]);        /* l += l + 4 */
    v[0] = vaddq_f64(v[0], v[1]);                                       /* l += l + 2 */
    double acc = vgetq_lane_f64(v[0], 0) + vgetq_lane_f64(v[0], 1);    /* l += l + 1 */
    const float cfs = (float)center;
    for (int64_t i = n16; i < n; i++) {
        switch (op) {
        case SG_SUMS_PLAIN: acc += (double)x[i]; break;
        case SG_SUMS_SQ_DEV: acc += ((double)x[i] - center) * ((double)x[i] - center); break;
        case SG_SUMS_DOT: acc += (double)x[i] * (double)y[i]; break;
        case SG_SUMS_DOT_DEV: acc += (double)y[i] * (double)(x[i] - cfs); break;
        }
    }
    return acc;
}

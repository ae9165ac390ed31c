/* core/kernels/mathf_simd_norm.h - sg_expf of core/mathf.c on a vector, bit
 * for bit (include after norm_vec.h). It mirrors core/mathf.c exactly: the
 * same constants, the same steps, each one IEEE operation per lane:
 *   kf = (x * LOG2E + 0x1.8p23) - 0x1.8p23        (mul, add, sub: no fma)
 *   r = fmaf(-kf, LN2_HI, x);  r = fmaf(-kf, LN2_LO, r)
 *   p = Horner with fmaf from 1/7! down to 1, 1
 *   k = (int)kf;  p * 2^k, or p * 2^127 * 2 (k > 127), or p * 2^(k+126) * 2^-126 (k < -126)
 * The three scalings are one form, (p * A) * B, with B = 1 in the common case
 * (a product by 1 is exact). Then the scalar's early returns, as selects:
 * x < -0x1.9fe368p+6 gives 0, x > 0x1.62e42ep+6 gives inf, NaN gives x + x.
 * tests/test_kernels_norm.c compares it with sg_expf by memcmp over a sweep
 * of floats (every exponent, NaN, inf, the thresholds).
 * (A helper writing SIMD mathf for exp/tanh/erf in parallel may provide the
 * same function; the two are to be folded into one.) */
#ifndef SG_KERNELS_MATHF_SIMD_NORM_H
#define SG_KERNELS_MATHF_SIMD_NORM_H

#include <math.h>

static inline vf nv_expf(vf x)
{
    const vf magic = vf_set1(0x1.8p23f);
    const vf kf = vf_sub(vf_add(vf_mul(x, vf_set1(0x1.715476p+0f)), magic), magic);
    const vf nk = vf_neg(kf);                   /* -kf: a sign flip, as the scalar */
    vf r = vf_fma(nk, vf_set1(0x1.62e430p-1f), x);
    r = vf_fma(nk, vf_set1(-0x1.05c610p-29f), r);
    vf p = vf_set1(0x1.a01a02p-13f);
    p = vf_fma(p, r, vf_set1(0x1.6c16c2p-10f));
    p = vf_fma(p, r, vf_set1(0x1.111112p-7f));
    p = vf_fma(p, r, vf_set1(0x1.555556p-5f));
    p = vf_fma(p, r, vf_set1(0x1.555556p-3f));
    p = vf_fma(p, r, vf_set1(0.5f));
    p = vf_fma(p, r, vf_set1(1.0f));
    p = vf_fma(p, r, vf_set1(1.0f));
    /* kA, kB: the exponents of A and B, integer-valued floats (exact). */
    const vf big = vf_set1(127.0f), small = vf_set1(-126.0f);
    vf ka = vf_sel_gt(kf, big, big, kf);
    ka = vf_sel_lt(kf, small, vf_add(kf, vf_set1(126.0f)), ka);
    vf kb = vf_sel_gt(kf, big, vf_set1(1.0f), vf_set1(0.0f));
    kb = vf_sel_lt(kf, small, small, kb);
    vf y = vf_mul(vf_mul(p, vf_pow2i(ka)), vf_pow2i(kb));
    y = vf_sel_lt(x, vf_set1(-0x1.9fe368p+6f), vf_set1(0.0f), y);
    y = vf_sel_gt(x, vf_set1(0x1.62e42ep+6f), vf_set1(INFINITY), y);
    return vf_sel_nan(x, vf_add(x, x), y);
}

#endif

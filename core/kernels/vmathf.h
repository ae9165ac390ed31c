/* core/kernels/vmathf.h - core/mathf.c's sg_expf, sg_tanhf, sg_sigmoidf and
 * sg_erff lane-wise over the vector primitives of simd_<isa>.h, bit for bit
 * the scalar functions for every float (NaN where they give NaN).
 *
 * Each is the scalar function's steps, in the same order, on every lane: the
 * same range reduction, the same polynomial by Horner's rule with fused
 * multiply-adds where the scalar code calls fmaf (and separate roundings where
 * it does not). Where the scalar code branches (NaN, overflow, the ranges of
 * tanh and erf), every lane computes every branch and a per-lane select keeps
 * the one the scalar code would have taken; the branches it skips cannot
 * disturb the kept one. The 2^k scaling of exp is one product (p 2^k1) 2^k2
 * with (k1, k2) = (k, 0) in range, (127, 1) above and (k + 126, -126) below,
 * the scalar's three cases at once (2^0 = 1 changes no bits).
 * Include after simd_<isa>.h; tests/test_kernels_ew.c sweeps millions of
 * floats through both with memcmp. */
#ifndef SG_VMATHF_H
#define SG_VMATHF_H

#include <math.h>

#ifndef SGV_ISA
#error "include core/kernels/simd_<isa>.h first"
#endif

/* sg_expf */
static inline sgv sgv_expf(sgv x)
{
    const sgv magic = sgv_set1(0x1.8p23f);
    const sgv kf = sgv_sub(sgv_add(sgv_mul(x, sgv_set1(0x1.715476p+0f)), magic), magic);
    sgv r = sgv_fma(sgv_neg(kf), sgv_set1(0x1.62e430p-1f), x);
    r = sgv_fma(sgv_neg(kf), sgv_set1(-0x1.05c610p-29f), r);
    sgv p = sgv_set1(0x1.a01a02p-13f);
    p = sgv_fma(p, r, sgv_set1(0x1.6c16c2p-10f));
    p = sgv_fma(p, r, sgv_set1(0x1.111112p-7f));
    p = sgv_fma(p, r, sgv_set1(0x1.555556p-5f));
    p = sgv_fma(p, r, sgv_set1(0x1.555556p-3f));
    p = sgv_fma(p, r, sgv_set1(0.5f));
    p = sgv_fma(p, r, sgv_set1(1.0f));
    p = sgv_fma(p, r, sgv_set1(1.0f));
    const sgv_mask above = sgv_gt(kf, sgv_set1(127.0f)), below = sgv_lt(kf, sgv_set1(-126.0f));
    const sgv k1 = sgv_sel(above, sgv_set1(127.0f), sgv_sel(below, sgv_add(kf, sgv_set1(126.0f)), kf));
    const sgv k2 = sgv_sel(above, sgv_set1(1.0f), sgv_sel(below, sgv_set1(-126.0f), sgv_set1(0.0f)));
    sgv y = sgv_mul(sgv_mul(p, sgv_pow2i(k1)), sgv_pow2i(k2));
    y = sgv_sel(sgv_lt(x, sgv_set1(-0x1.9fe368p+6f)), sgv_set1(0.0f), y);
    y = sgv_sel(sgv_gt(x, sgv_set1(0x1.62e42ep+6f)), sgv_set1(INFINITY), y);
    return sgv_sel(sgv_isnan(x), sgv_add(x, x), y);
}

/* sg_tanhf */
static inline sgv sgv_tanhf(sgv x)
{
    const sgv ax = sgv_abs(x), one = sgv_set1(1.0f);
    const sgv u = sgv_mul(x, x);
    sgv q = sgv_set1(0.0023824581876397133f);
    q = sgv_fma(q, u, sgv_set1(-0.00840092170983553f));
    q = sgv_fma(q, u, sgv_set1(0.02177794836461544f));
    q = sgv_fma(q, u, sgv_set1(-0.05395877733826637f));
    q = sgv_fma(q, u, sgv_set1(0.13333286345005035f));
    q = sgv_fma(q, u, sgv_set1(-0.3333333134651184f));
    const sgv small = sgv_fma(sgv_mul(x, u), q, x);
    const sgv e = sgv_expf(sgv_mul(sgv_set1(2.0f), ax));
    const sgv t = sgv_sub(one, sgv_div(sgv_set1(2.0f), sgv_add(e, one)));
    sgv y = sgv_sel(sgv_lt(ax, sgv_set1(0.55f)), small, sgv_copysign(t, x));
    y = sgv_sel(sgv_lt(ax, sgv_set1(0x1p-13f)), x, y);
    return sgv_sel(sgv_isnan(x), sgv_add(x, x), y);
}

/* sg_sigmoidf: x >= 0: 1 / (1 + e^-x); else (NaN too) e / (1 + e), e = e^x.
 * One exp per lane: of -x or x, then the numerator 1 or e. */
static inline sgv sgv_sigmoidf(sgv x)
{
    const sgv_mask nonneg = sgv_ge(x, sgv_set1(0.0f));
    const sgv one = sgv_set1(1.0f);
    const sgv e = sgv_expf(sgv_sel(nonneg, sgv_neg(x), x));
    return sgv_div(sgv_sel(nonneg, one, e), sgv_add(one, e));
}

/* sg_erff */
static inline sgv sgv_erff(sgv x)
{
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
    const sgv ax = sgv_abs(x), one = sgv_set1(1.0f);
    /* |x| < 1 */
    const sgv u = sgv_mul(x, x);
    sgv p = sgv_set1(-9.667044650996104e-06f);
    p = sgv_fma(p, u, sgv_set1(0.00011265958892181516f));
    p = sgv_fma(p, u, sgv_set1(-0.0008484080317430198f));
    p = sgv_fma(p, u, sgv_set1(0.005221031606197357f));
    p = sgv_fma(p, u, sgv_set1(-0.026865430176258087f));
    p = sgv_fma(p, u, sgv_set1(0.11283782124519348f));
    p = sgv_fma(p, u, sgv_set1(-0.37612637877464294f));
    p = sgv_fma(p, u, sgv_set1(0.12837916612625122f));
    const sgv small = sgv_fma(x, p, x);
    /* 1 <= |x| < 4: the coefficients of [1, 2.5) or [2.5, 4) per lane */
    const sgv_mask low = sgv_lt(ax, sgv_set1(2.5f));
    const sgv t = sgv_sub(ax, sgv_sel(low, sgv_set1(1.75f), sgv_set1(3.25f)));
    sgv q = sgv_sel(low, sgv_set1(lo[0]), sgv_set1(hi[0]));
    for (int i = 1; i < 11; i++) q = sgv_fma(q, t, sgv_sel(low, sgv_set1(lo[i]), sgv_set1(hi[i])));
    const sgv erfc = sgv_mul(sgv_expf(sgv_neg(sgv_mul(ax, ax))), q);
    const sgv mid = sgv_copysign(sgv_sub(one, erfc), x);
    sgv y = sgv_sel(sgv_ge(ax, sgv_set1(4.0f)), sgv_copysign(one, x), mid);
    y = sgv_sel(sgv_lt(ax, one), small, y);
    return sgv_sel(sgv_isnan(x), sgv_add(x, x), y);
}

#endif

/* core/kernels/pool_simd.h - the SIMD twins of the pooling families, written
 * once over norm_vec.h and compiled per ISA by pool_avx2.c, pool_avx512.c and
 * pool_neon.c; bit for bit the scalar twins of pool_scalar.c.
 *
 * - max pooling, 2 x 2 / stride 2: VL outputs of a row at once, the four
 *   taps deinterleaved from two rows and taken in the scalar's order (v > max
 *   or NaN: the value and its int32 index move together); the row's last
 *   OW % VL outputs the same way through copies of their inputs; every other
 *   geometry runs the scalar code;
 * - global average forward: each plane's canonical sum inside the plane
 *   (nv_row_sum: 16 at a time into the lanes, the tree, the tail);
 * - global average backward: dx += dy[p] / HW, VL values at a time;
 * - max pooling backward, 2 x 2 / stride 2 / inside (disjoint windows: each
 *   dx element gets at most one addition, so the order cannot matter): VL
 *   outputs at once, each of the four taps of a window takes dy where the
 *   argmax is its index (an addition only there, so -0 stays -0); other
 *   geometries run the scalar twin (overlapping windows: a scatter whose
 *   additions into one element must stay in output order);
 * - average pooling backward, stride 1: per output row, the interior outputs
 *   VL at a time. Windows overlap, so an element gets several additions,
 *   which must come in increasing (oh, ow): for one row of the window, the
 *   kw taps are added last tap first, because tap k of output ow lands where
 *   tap k - 1 of output ow + 1 does (so a lower tap means a later output);
 *   vector blocks and the scalar edges run in increasing ow. Other strides
 *   run the scalar twin. */
#include <math.h>
#include <string.h>

#include "core/kernels/kernels.h"

#define SG_PK_CAT2_(a, b) sg_k_##a##_##b
#define SG_PK_CAT_(a, b) SG_PK_CAT2_(a, b)
#define SG_PK(name) SG_PK_CAT_(name, SG_NK_ISA)

/* VL outputs of a 2 x 2 row: the 2 VL inputs of the window's two rows at a
 * and b, the first at element index `at` of the plane (rows W apart). */
static inline void max_2x2_vec(const float *a, const float *b, int32_t at, int32_t W, vf *m, vi *best)
{
    vf a0, a1, b0, b1;
    vf_load_even_odd(a, &a0, &a1);
    vf_load_even_odd(b, &b0, &b1);
    const vi i0 = vi_iota(at, 2);
    *m = vf_set1(-INFINITY);
    *best = i0;
    nv_take(a0, i0, m, best);
    nv_take(a1, vi_addc(i0, 1), m, best);
    nv_take(b0, vi_addc(i0, W), m, best);
    nv_take(b1, vi_addc(i0, W + 1), m, best);
}

void SG_PK(pool_max_forward)(const sg_pool_geom *g, const float *xp, float *yp, int32_t *ip)
{
    if (!sg_pool_is_2x2(g) || g->H * g->W > INT32_MAX) {
        sg_k_pool_max_forward_scalar(g, xp, yp, ip);
        return;
    }
    const int64_t W = g->W, OW = g->OW;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        int64_t ow = 0;
        for (; ow + VL <= OW; ow += VL) {
            const int64_t at = 2 * oh * W + 2 * ow;
            vf m;
            vi best;
            max_2x2_vec(xp + at, xp + at + W, (int32_t)at, (int32_t)W, &m, &best);
            vf_store(yp + oh * OW + ow, m);
            if (ip) vi_store(ip + oh * OW + ow, best);
        }
        if (ow < OW) {
            /* the last n < VL outputs: their 2n inputs of each row copied into
             * vectors (the lanes past them hold zeros and are not stored) */
            const int64_t n = OW - ow, at = 2 * oh * W + 2 * ow;
            float ra[2 * VL] = {0}, rb[2 * VL] = {0}, ym[VL];
            int32_t yi[VL];
            memcpy(ra, xp + at, sizeof(float) * (size_t)(2 * n));
            memcpy(rb, xp + at + W, sizeof(float) * (size_t)(2 * n));
            vf m;
            vi best;
            max_2x2_vec(ra, rb, (int32_t)at, (int32_t)W, &m, &best);
            vf_store(ym, m);
            vi_store(yi, best);
            memcpy(yp + oh * OW + ow, ym, sizeof(float) * (size_t)n);
            if (ip) memcpy(ip + oh * OW + ow, yi, sizeof(int32_t) * (size_t)n);
        }
    }
}

void SG_PK(pool_gap_forward)(const float *x, float *y, int64_t HW, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) y[p] = (float)(nv_row_sum(x + p * HW, NULL, HW) / (double)HW);
}

void SG_PK(pool_gap_backward)(const float *dy, float *dx, int64_t HW, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        const float d = dy[p] / (float)HW;
        const vf vd_ = vf_set1(d);
        float *o = dx + p * HW;
        int64_t i = 0;
        for (; i + VL <= HW; i += VL) vf_store(o + i, vf_add(vf_load(o + i), vd_));
        for (; i < HW; i++) o[i] += d;
    }
}

/* Average pooling forward: per output row, the outputs whose window lies
 * inside the columns ([ow_lo, ow_hi): same width kw, same divisor) VL at a
 * time, lane j = output ow + j, the taps added in the scalar's (h, w) order;
 * the edge outputs through the scalar row. */
void SG_PK(pool_avg_forward)(const sg_pool_geom *g, const float *xp, float *yp)
{
    const int64_t W = g->W, OW = g->OW, sw = g->sw;
    /* interior columns: b0 = ow*sw - pw >= 0 and b0 + kw <= W */
    int64_t ow_lo = (g->pw + sw - 1) / sw, ow_hi = W - g->kw + g->pw >= 0 ? (W - g->kw + g->pw) / sw + 1 : 0;
    if (ow_hi > OW) ow_hi = OW;
    if (ow_lo > ow_hi || sw * VL > INT32_MAX) ow_lo = ow_hi = 0;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        int64_t h0, h1, w0, w1, v0 = 0, v1 = 0;   /* [v0, v1): the outputs done in vectors */
        float div;
        if (ow_lo < ow_hi && sg_pool_avg_window(g, oh, ow_lo, &h0, &h1, &w0, &w1, &div)) {
            const vf vdiv = vf_set1(div);
            int64_t ow = ow_lo;
            for (; ow + VL <= ow_hi; ow += VL) {
                const int64_t c0 = ow * sw - g->pw;
                vf sum = vf_set1(0.0f);
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t k = 0; k < g->kw; k++) {
                        const float *p = xp + h * W + c0 + k;
                        sum = vf_add(sum, sw == 1 ? vf_load(p) : vf_load_strided(p, sw));
                    }
                vf_store(yp + oh * OW + ow, vf_div(sum, vdiv));
            }
            v0 = ow_lo, v1 = ow;
        }
        sg_pool_avg_row(g, xp, yp, oh, 0, v0);
        sg_pool_avg_row(g, xp, yp, oh, v1, OW);
    }
}

void SG_PK(pool_max_backward)(const sg_pool_geom *g, const float *dy, const int32_t *argmax, float *dxp)
{
    if (!sg_pool_is_2x2(g) || g->H * g->W > INT32_MAX) {
        sg_k_pool_max_backward_scalar(g, dy, argmax, dxp);
        return;
    }
    const int64_t W = g->W, OW = g->OW;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        int64_t ow = 0;
        for (; ow + VL <= OW; ow += VL) {
            const int64_t q = oh * OW + ow, at = 2 * oh * W + 2 * ow;
            const vi am = vi_load(argmax + q), i0 = vi_iota((int32_t)at, 2);
            const vf d = vf_load(dy + q);
            for (int r = 0; r < 2; r++) {   /* the window's two rows */
                float *p = dxp + at + r * W;
                vf even, odd;
                vf_load_even_odd(p, &even, &odd);
                even = vf_add_where_eq(even, d, am, vi_addc(i0, (int32_t)(r * W)));
                odd = vf_add_where_eq(odd, d, am, vi_addc(i0, (int32_t)(r * W + 1)));
                vf_store_even_odd(p, even, odd);
            }
        }
        for (; ow < OW; ow++) {
            const int32_t i = argmax[oh * OW + ow];
            if (i >= 0) dxp[i] += dy[oh * OW + ow];
        }
    }
}

void SG_PK(pool_avg_backward)(const sg_pool_geom *g, const float *dyp, float *dxp)
{
    if (g->sw != 1) {
        sg_k_pool_avg_backward_scalar(g, dyp, dxp);
        return;
    }
    const int64_t W = g->W, OW = g->OW, kw = g->kw;
    /* interior columns: b0 = ow - pw >= 0 and b0 + kw <= W (same width kw, same divisor) */
    int64_t ow_lo = g->pw, ow_hi = W - kw + g->pw >= 0 ? W - kw + g->pw + 1 : 0;
    if (ow_hi > OW) ow_hi = OW;
    if (ow_lo > ow_hi) ow_lo = ow_hi = 0;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        int64_t h0, h1, w0, w1, ow = 0;   /* outputs before ow are done */
        float div;
        if (ow_lo < ow_hi && sg_pool_avg_window(g, oh, ow_lo, &h0, &h1, &w0, &w1, &div)) {
            sg_pool_avg_backward_row(g, dyp, dxp, oh, 0, ow_lo);
            const vf vdiv = vf_set1(div);
            for (ow = ow_lo; ow + VL <= ow_hi; ow += VL) {
                const vf d = vf_div(vf_load(dyp + oh * OW + ow), vdiv);
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t k = kw - 1; k >= 0; k--) {   /* last tap first: increasing outputs per element */
                        float *p = dxp + h * W + ow - g->pw + k;
                        vf_store(p, vf_add(vf_load(p), d));
                    }
            }
        }
        sg_pool_avg_backward_row(g, dyp, dxp, oh, ow, OW);
    }
}

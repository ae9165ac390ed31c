/* core/kernels/depthwise_scalar.c - the reference depthwise convolution of one
 * plane (kernels.h states the contract): forward, the input gradient and the
 * weight gradient.
 *
 * Order of operations. Forward, for every output element y[oh][ow]:
 *   y = accumulate ? y + bias : bias
 *   for kh = 0 .. KH-1, for kw = 0 .. KW-1, when the tap's input lies inside x:
 *       y = y + w[kh][kw] * x[oh*sh - pt + kh*dh][ow*sw - pl + kw*dw]   (product rounded, then the sum)
 * Input gradient, for every dx element, in this order:
 *   for oh = 0 .. OH-1, kh = 0 .. KH-1, kw = 0 .. KW-1 whose tap lands on it:
 *       dx = dx + w[kh][kw] * dy[oh][ow]
 * No fused multiply-add (two roundings each, as the loops below), so a twin
 * may vectorise over ow (or over dx columns) in any width, masking the taps
 * that fall outside, and give the same bits. Each tap walks an output row
 * over the positions whose input lies inside the row (tap_range), so there
 * is no per-pixel bounds test. */
#include "core/kernels/kernels.h"
#include "core/sum.h"

void sg_dw_tap_range(int64_t off, int64_t stride, int64_t in_size, int64_t out_size, int64_t *lo,
                     int64_t *hi)
{
    int64_t l = off < 0 ? (-off + stride - 1) / stride : 0;
    int64_t h = in_size - 1 - off < 0 ? 0 : (in_size - 1 - off) / stride + 1;
    if (h > out_size) h = out_size;
    *lo = l < h ? l : h;
    *hi = h;
}

void sg_k_dw_forward_scalar(const sg_dw_geom *g, const float *x, const float *w, float bias,
                            bool accumulate, float *y)
{
    for (int64_t oh = 0; oh < g->OH; oh++) {
        float *yrow = y + oh * g->OW;
        if (accumulate)
            for (int64_t ow = 0; ow < g->OW; ow++) yrow[ow] += bias;
        else
            for (int64_t ow = 0; ow < g->OW; ow++) yrow[ow] = bias;
        for (int64_t kh = 0; kh < g->KH; kh++) {
            int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
            if (ih < 0 || ih >= g->H) continue;
            const float *xrow = x + ih * g->W;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                int64_t off = kw * g->dil_w - g->pad_left, lo, hi;
                sg_dw_tap_range(off, g->stride_w, g->W, g->OW, &lo, &hi);
                float wv = w[kh * g->KW + kw];
                if (g->stride_w == 1)
                    for (int64_t ow = lo; ow < hi; ow++) yrow[ow] += wv * xrow[ow + off];
                else
                    for (int64_t ow = lo; ow < hi; ow++) yrow[ow] += wv * xrow[ow * g->stride_w + off];
            }
        }
    }
}

void sg_k_dw_backward_data_scalar(const sg_dw_geom *g, const float *dy, const float *w, float *dx)
{
    for (int64_t oh = 0; oh < g->OH; oh++)
        for (int64_t kh = 0; kh < g->KH; kh++) {
            int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
            if (ih < 0 || ih >= g->H) continue;
            float *dxrow = dx + ih * g->W;
            const float *dyrow = dy + oh * g->OW;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                int64_t off = kw * g->dil_w - g->pad_left, lo, hi;
                sg_dw_tap_range(off, g->stride_w, g->W, g->OW, &lo, &hi);
                float wv = w[kh * g->KW + kw];
                if (g->stride_w == 1)
                    for (int64_t ow = lo; ow < hi; ow++) dxrow[ow + off] += wv * dyrow[ow];
                else
                    for (int64_t ow = lo; ow < hi; ow++) dxrow[ow * g->stride_w + off] += wv * dyrow[ow];
            }
        }
}

/* The weight gradient: kernels.h states the order. Each tap's sum runs over
 * images, then rows, in double; a stride-1 row is the canonical dot (through
 * the table's `sums`, identical on every ISA), any other row its exact
 * products one by one. No SIMD twin: a vector over ow would reorder the
 * stride-2 sum, and the stride-1 rows already run the SIMD dot. */
enum { MAX_TAPS = 64 };

void sg_k_dw_backward_weight_scalar(const sg_dw_geom *g, int64_t N, const float *x, int64_t x_img,
                                    const float *dy, int64_t dy_img, float *dw)
{
    /* Every tap's sum is its own chain (images, then rows, in order), so the
     * taps can take turns row by row: their chains of additions overlap
     * instead of running one after the other. Bit for bit the same sums. */
    const int64_t taps = g->KH * g->KW;
    double acc[MAX_TAPS];
    int64_t off[MAX_TAPS], lo[MAX_TAPS], hi[MAX_TAPS];
    const bool together = taps <= MAX_TAPS;
    for (int64_t t0 = 0; t0 < taps; t0 += together ? taps : 1) {   /* all taps at once, or one at a time */
        const int64_t t1 = together ? taps : t0 + 1;
        for (int64_t t = t0; t < t1; t++) {
            const int64_t i = t - t0;
            acc[i] = 0.0;
            off[i] = (t % g->KW) * g->dil_w - g->pad_left;
            sg_dw_tap_range(off[i], g->stride_w, g->W, g->OW, &lo[i], &hi[i]);
        }
        for (int64_t n = 0; n < N; n++) {
            const float *xp = x + n * x_img, *dyp = dy + n * dy_img;
            for (int64_t oh = 0; oh < g->OH; oh++) {
                const float *dyrow = dyp + oh * g->OW;
                for (int64_t t = t0; t < t1; t++) {
                    const int64_t i = t - t0;
                    const int64_t ih = oh * g->stride_h - g->pad_top + (t / g->KW) * g->dil_h;
                    if (ih < 0 || ih >= g->H) continue;
                    const float *xrow = xp + ih * g->W;
                    if (g->stride_w == 1)
                        acc[i] += sg_dot_f32(dyrow + lo[i], xrow + lo[i] + off[i], hi[i] - lo[i]);
                    else
                        for (int64_t ow = lo[i]; ow < hi[i]; ow++)
                            acc[i] += (double)dyrow[ow] * xrow[ow * g->stride_w + off[i]];
                }
            }
        }
        for (int64_t t = t0; t < t1; t++) dw[t] += (float)acc[t - t0];
    }
}

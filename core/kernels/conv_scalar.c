/* core/kernels/conv_scalar.c - the scalar twins of im2col and col2im
 * (kernels.h states the contract; conv_walk.h has the loops every twin
 * shares). layers/conv_kernels.c calls them per chunk of rows or channels
 * from its threads.
 *
 * Order of operations: im2col only copies (and writes +0.0f for padding), so
 * its bits cannot depend on the order. col2im adds: for each input channel c
 * in increasing c, its taps t = kh*KW + kw in increasing t, the chunk's
 * columns j in increasing j (segment by segment, output row by output row),
 *     dx[n, c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw] += col[c*KH*KW + t][j - j0]
 * one rounding each. Within one segment (one tap, one output row) the
 * elements added are distinct (stride >= 1), so a twin may add a segment's
 * elements in any grouping, VL at a time, and give the same bits; what it must
 * keep is the order of segments and taps.
 *
 * conv_s1 (direct convolution at stride 1): each output element is one chain
 * of fmaf over (c, kh, kw) in increasing order from +0.0f, then the bias is
 * added (one rounding), then, accumulating, the result is added to y (one
 * more): kernels.h states it, the loops below are it. conv_s1_dw: each
 * weight's chain of fmaf over the chunk's positions in increasing order from
 * +0.0f, then one addition into dw. conv_s1_dx: per pixel, per tap in order
 * whose output position is in the output and the chunk, the chain of fmaf
 * over the output channels from +0.0f, then one addition into dx. */
#include <math.h>

#include "core/kernels/conv_walk.h"

static void copy_row(float *out, const float *xrow, int64_t base, int64_t sw, int64_t a, int64_t b, int64_t end)
{
    for (int64_t q = 0; q < a; q++) out[q] = 0.0f;
    for (int64_t q = a; q < b; q++) out[q] = xrow[base + q * sw];
    for (int64_t q = b; q < end; q++) out[q] = 0.0f;
}

static void add_row(float *xrow, int64_t base, const float *in, int64_t sw, int64_t a, int64_t b)
{
    for (int64_t q = a; q < b; q++) xrow[base + q * sw] += in[q];
}

void sg_k_im2col_scalar(const sg_dw_geom *g, const float *x, int64_t img_stride, int64_t j0, int64_t ncols,
                        int64_t r0, int64_t r1, float *col)
{
    sg_cw_im2col(g, x, img_stride, j0, ncols, r0, r1, col, copy_row);
}

void sg_k_col2im_scalar(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0, int64_t c1,
                        float *dx, int64_t img_stride)
{
    sg_cw_col2im(g, col, j0, ncols, c0, c1, dx, img_stride, add_row);
}

void sg_k_conv_s1_scalar(const sg_conv_s1_geom *g, const float *xp, const float *w, const float *bias,
                         bool accumulate, int64_t o0, int64_t o1, float *y)
{
    const int64_t plane = g->HP * g->WP, taps = g->C * g->KH * g->KW;
    for (int64_t o = o0; o < o1; o++) {
        const float b = bias ? bias[o] : 0.0f;
        for (int64_t oh = 0; oh < g->OH; oh++)
            for (int64_t ow = 0; ow < g->OW; ow++) {
                float acc = 0.0f;
                const float *wt = w + o * taps;
                for (int64_t c = 0; c < g->C; c++)
                    for (int64_t kh = 0; kh < g->KH; kh++) {
                        const float *xr = xp + c * plane + (oh + kh * g->dil_h) * g->WP + ow;
                        for (int64_t kw = 0; kw < g->KW; kw++) acc = fmaf(*wt++, xr[kw * g->dil_w], acc);
                    }
                float *yo = y + (o * g->OH + oh) * g->OW + ow;
                const float v = acc + b;
                *yo = accumulate ? *yo + v : v;
            }
    }
}

void sg_k_conv_s1_dw_scalar(const sg_conv_s1_geom *g, const float *xp, int64_t img_floats, const float *dyT,
                            int64_t ldo, int64_t j0, int64_t nj, int64_t o0, int64_t o1, int64_t t0, int64_t t1,
                            float *dw)
{
    const int64_t plane = g->HP * g->WP, P = g->OH * g->OW, taps = g->C * g->KH * g->KW;
    for (int64_t o = o0; o < o1; o++)
        for (int64_t t = t0; t < t1; t++) {
            const int64_t c = t / (g->KH * g->KW), kh = (t / g->KW) % g->KH, kw = t % g->KW;
            const float *xt = xp + c * plane + kh * g->dil_h * g->WP + kw * g->dil_w;
            float acc = 0.0f;
            for (int64_t jj = 0; jj < nj; jj++) {
                const int64_t j = j0 + jj, p = j % P;
                acc = fmaf(dyT[jj * ldo + o], xt[j / P * img_floats + p / g->OW * g->WP + p % g->OW], acc);
            }
            dw[o * taps + t] += acc;
        }
}

void sg_k_conv_s1_dx_scalar(const sg_conv_s1_dx_geom *g, const float *dyq, const float *w, int64_t jlo,
                            int64_t jhi, int64_t c0, int64_t c1, float *dx)
{
    const int64_t TQ = (g->KH - 1) * g->dil_h, LQ = (g->KW - 1) * g->dil_w;
    const int64_t WQ = g->OW + 2 * LQ, plane = (g->OH + 2 * TQ) * WQ, KK = g->KH * g->KW;
    for (int64_t c = c0; c < c1; c++)
        for (int64_t ih = 0; ih < g->H; ih++)
            for (int64_t iw = 0; iw < g->W; iw++) {
                float *px = dx + (c * g->H + ih) * g->W + iw;
                for (int64_t kh = 0; kh < g->KH; kh++)
                    for (int64_t kw = 0; kw < g->KW; kw++) {
                        const int64_t oh = ih + g->pad_top - kh * g->dil_h, ow = iw + g->pad_left - kw * g->dil_w;
                        const int64_t j = oh * g->OW + ow;
                        if (oh < 0 || oh >= g->OH || ow < 0 || ow >= g->OW || j < jlo || j >= jhi) continue;
                        const float *dy = dyq + (oh + TQ) * WQ + ow + LQ;
                        const float *wt = w + c * KK + kh * g->KW + kw;
                        float d = 0.0f;
                        for (int64_t o = 0; o < g->O; o++) d = fmaf(wt[o * g->C * KK], dy[o * plane], d);
                        *px = *px + d;
                    }
            }
}

/* core/kernels/pool_scalar.c - the scalar twins of the pooling families, one
 * plane at a time (kernels.h states each contract); layers/pool.c calls them
 * per (image, channel) plane through the table.
 *
 * Max pooling scans each window in (h, w) order and takes an element when it
 * beats the running maximum or is NaN, so the maximum and its index (the
 * first of equal maxima, the last NaN) are fixed by that order; a twin keeps
 * the scan order per output and vectorises across outputs. The 2 x 2, stride
 * 2, unpadded case with every window inside the plane has its own loop (the
 * same scan, without the bookkeeping). Global average pooling sums a plane in
 * the canonical shape of core/sum.h (the sums family's PLAIN: 16 double
 * lanes, the tree, the tail), then divides by HW in double.
 * The backward kernels add into dx: max pooling's dx[argmax] += dy in
 * increasing output index, average pooling's d = dy / divisor over each
 * window in increasing (oh, ow) - overlapping windows make that the order of
 * the additions into one dx element, which a twin keeps (pool_simd.h). */
#include <math.h>

#include "core/kernels/kernels.h"

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static inline void max_take(const float *xp, int64_t at, float *maxval, int64_t *best)
{
    const float v = xp[at];
    const bool take = v > *maxval || v != v;   /* written as selects: no branch to mispredict */
    *maxval = take ? v : *maxval;
    *best = take ? at : *best;
}

bool sg_pool_is_2x2(const sg_pool_geom *g)
{
    return g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->ph == 0 && g->pw == 0 && g->dh == 1 &&
           g->dw == 1 && 2 * g->OH <= g->H && 2 * g->OW <= g->W;
}

/* Outputs [ow0, ow1) of row oh of the 2 x 2 case. */
void sg_pool_max_2x2_row(const sg_pool_geom *g, const float *xp, float *yp, int32_t *ip, int64_t oh, int64_t ow0,
                         int64_t ow1)
{
    for (int64_t ow = ow0; ow < ow1; ow++) {
        int64_t at = 2 * oh * g->W + 2 * ow, best = at;
        float maxval = -INFINITY;
        max_take(xp, at, &maxval, &best);
        max_take(xp, at + 1, &maxval, &best);
        max_take(xp, at + g->W, &maxval, &best);
        max_take(xp, at + g->W + 1, &maxval, &best);
        yp[oh * g->OW + ow] = maxval;
        if (ip) ip[oh * g->OW + ow] = (int32_t)best;
    }
}

void sg_k_pool_max_forward_scalar(const sg_pool_geom *g, const float *xp, float *yp, int32_t *ip)
{
    if (sg_pool_is_2x2(g)) {
        for (int64_t oh = 0; oh < g->OH; oh++) sg_pool_max_2x2_row(g, xp, yp, ip, oh, 0, g->OW);
        return;
    }
    for (int64_t oh = 0; oh < g->OH; oh++) {
        int64_t h0 = oh * g->sh - g->ph, h1 = min64(h0 + (g->kh - 1) * g->dh + 1, g->H);
        while (h0 < 0) h0 += g->dh;
        for (int64_t ow = 0; ow < g->OW; ow++) {
            int64_t w0 = ow * g->sw - g->pw, w1 = min64(w0 + (g->kw - 1) * g->dw + 1, g->W);
            while (w0 < 0) w0 += g->dw;
            int64_t best = h0 < h1 && w0 < w1 ? h0 * g->W + w0 : -1;
            float maxval = -INFINITY;
            for (int64_t h = h0; h < h1; h += g->dh)
                for (int64_t w = w0; w < w1; w += g->dw) max_take(xp, h * g->W + w, &maxval, &best);
            yp[oh * g->OW + ow] = maxval;
            if (ip) ip[oh * g->OW + ow] = (int32_t)best;
        }
    }
}

void sg_k_pool_max_backward_scalar(const sg_pool_geom *g, const float *dy, const int32_t *argmax, float *dxp)
{
    const int64_t P = g->OH * g->OW;
    for (int64_t q = 0; q < P; q++) {
        const int32_t i = argmax[q];
        if (i >= 0) dxp[i] += dy[q];
    }
}

void sg_k_pool_gap_forward_scalar(const float *x, float *y, int64_t HW, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        const double sum = sg_k_sums_scalar(SG_SUMS_PLAIN, x + p * HW, NULL, 0.0, HW);   /* canonical */
        y[p] = (float)(sum / (double)HW);
    }
}

void sg_k_pool_gap_backward_scalar(const float *dy, float *dx, int64_t HW, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        const float d = dy[p] / (float)HW;
        for (int64_t i = 0; i < HW; i++) dx[p * HW + i] += d;
    }
}

bool sg_pool_avg_window(const sg_pool_geom *g, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1, int64_t *w0,
                        int64_t *w1, float *divisor)
{
    int64_t a0 = oh * g->sh - g->ph, a1 = min64(a0 + g->kh, g->H + g->ph);
    int64_t b0 = ow * g->sw - g->pw, b1 = min64(b0 + g->kw, g->W + g->pw);
    int64_t padded = (a1 - a0) * (b1 - b0);
    *h0 = max64(a0, 0), *h1 = min64(a1, g->H);
    *w0 = max64(b0, 0), *w1 = min64(b1, g->W);
    if (*h0 >= *h1 || *w0 >= *w1) return false;
    *divisor = (float)(g->count_include_pad ? padded : (*h1 - *h0) * (*w1 - *w0));
    return true;
}

/* Outputs [ow0, ow1) of row oh (the SIMD twins' edges). */
void sg_pool_avg_row(const sg_pool_geom *g, const float *xp, float *yp, int64_t oh, int64_t ow0, int64_t ow1)
{
    for (int64_t ow = ow0; ow < ow1; ow++) {
        int64_t h0, h1, w0, w1;
        float div, sum = 0.0f;
        if (!sg_pool_avg_window(g, oh, ow, &h0, &h1, &w0, &w1, &div)) {
            yp[oh * g->OW + ow] = 0.0f;
            continue;
        }
        for (int64_t h = h0; h < h1; h++)
            for (int64_t w = w0; w < w1; w++) sum += xp[h * g->W + w];
        yp[oh * g->OW + ow] = sum / div;
    }
}

void sg_k_pool_avg_forward_scalar(const sg_pool_geom *g, const float *xp, float *yp)
{
    for (int64_t oh = 0; oh < g->OH; oh++) sg_pool_avg_row(g, xp, yp, oh, 0, g->OW);
}

/* Outputs [ow0, ow1) of row oh (the SIMD twins' edges). */
void sg_pool_avg_backward_row(const sg_pool_geom *g, const float *dyp, float *dxp, int64_t oh, int64_t ow0,
                              int64_t ow1)
{
    for (int64_t ow = ow0; ow < ow1; ow++) {
        int64_t h0, h1, w0, w1;
        float div;
        if (!sg_pool_avg_window(g, oh, ow, &h0, &h1, &w0, &w1, &div)) continue;
        float d = dyp[oh * g->OW + ow] / div;
        for (int64_t h = h0; h < h1; h++)
            for (int64_t w = w0; w < w1; w++) dxp[h * g->W + w] += d;
    }
}

void sg_k_pool_avg_backward_scalar(const sg_pool_geom *g, const float *dyp, float *dxp)
{
    for (int64_t oh = 0; oh < g->OH; oh++) sg_pool_avg_backward_row(g, dyp, dxp, oh, 0, g->OW);
}

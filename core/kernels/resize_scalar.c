/* core/kernels/resize_scalar.c - the scalar twins of nearest and bilinear
 * resizing (kernels.h states each element's operations; layers/upsample.c
 * builds the tables and calls these per range of planes from its threads).
 *
 * Order of operations. Forward: each output element on its own (a copy, or
 * the bilinear expression with its four products and three sums rounded
 * apart in the order written), so a twin may compute any outputs together.
 * Backward: the gradient of several outputs lands on one input (nearest when
 * upsampling; bilinear always, as neighbouring outputs share columns), so the
 * additions run per plane in increasing output row i, then column j; bilinear
 * adds its four terms in the order (h0, w0), (h0, w1), (h1, w0), (h1, w1). A
 * twin must keep that order per input element. */
#include "core/kernels/kernels.h"

void sg_k_up_nearest_forward_scalar(const sg_resize_geom *g, const float *x, float *y, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * g->H * g->W;
        float *yp = y + p * g->OH * g->OW;
        for (int64_t i = 0; i < g->OH; i++)
            for (int64_t j = 0; j < g->OW; j++) yp[i * g->OW + j] = xp[g->h0[i] * g->W + g->w0[j]];
    }
}

void sg_k_up_nearest_backward_scalar(const sg_resize_geom *g, const float *dy, float *dx, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        float *dxp = dx + p * g->H * g->W;
        const float *dyp = dy + p * g->OH * g->OW;
        for (int64_t i = 0; i < g->OH; i++)
            for (int64_t j = 0; j < g->OW; j++) dxp[g->h0[i] * g->W + g->w0[j]] += dyp[i * g->OW + j];
    }
}

void sg_k_up_bilinear_forward_scalar(const sg_resize_geom *g, const float *x, float *y, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * g->H * g->W;
        float *yp = y + p * g->OH * g->OW;
        for (int64_t i = 0; i < g->OH; i++) {
            const float *r0 = xp + g->h0[i] * g->W, *r1 = xp + g->h1[i] * g->W;
            for (int64_t j = 0; j < g->OW; j++) {
                const int64_t a = g->w0[j], b = g->w1[j];
                yp[i * g->OW + j] = g->lh0[i] * (g->lw0[j] * r0[a] + g->lw1[j] * r0[b]) +
                                    g->lh1[i] * (g->lw0[j] * r1[a] + g->lw1[j] * r1[b]);
            }
        }
    }
}

void sg_k_up_bilinear_backward_scalar(const sg_resize_geom *g, const float *dy, float *dx, int64_t planes)
{
    for (int64_t p = 0; p < planes; p++) {
        float *dxp = dx + p * g->H * g->W;
        const float *dyp = dy + p * g->OH * g->OW;
        for (int64_t i = 0; i < g->OH; i++) {
            float *r0 = dxp + g->h0[i] * g->W, *r1 = dxp + g->h1[i] * g->W;
            for (int64_t j = 0; j < g->OW; j++) {
                const float d = dyp[i * g->OW + j];
                const int64_t a = g->w0[j], b = g->w1[j];
                r0[a] += g->lh0[i] * g->lw0[j] * d;
                r0[b] += g->lh0[i] * g->lw1[j] * d;
                r1[a] += g->lh1[i] * g->lw0[j] * d;
                r1[b] += g->lh1[i] * g->lw1[j] * d;
            }
        }
    }
}

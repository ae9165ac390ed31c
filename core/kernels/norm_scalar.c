/* core/kernels/norm_scalar.c - the scalar twins of the normalisation and
 * softmax families (kernels.h states each contract; norm_elem.h spells one
 * element). They define the bits: layers/norm.c and layers/activation.c call
 * them through the table, and norm_simd.h's twins give the same bits.
 *
 * Reductions. LayerNorm's backward sums use the canonical shape of core/sum.h
 * (SG_CANONICAL_SUM: 16 lanes of doubles, the tree 8-4-2-1, the tail in
 * order). softmax keeps its historical order: the maximum in increasing d
 * (order-free but for NaN and signed zeros, which do not change a result) and
 * the sums of exp and of dy * y in double, one after the other in increasing
 * d per line, so a twin vectorises across lines (or computes the exps of a
 * row in vectors and adds them in order), never inside one sum. */
#include <math.h>

#include "core/kernels/norm_elem.h"
#include "core/mathf.h"
#include "core/sum.h"

void sg_k_bn_forward_scalar(const float *x, float *y, int64_t n, float mean, float invstd, float w, float b,
                            sg_bn_act act)
{
    for (int64_t i = 0; i < n; i++) y[i] = sg_bn_act_elem(sg_bn_forward_elem(x[i], mean, invstd, w, b), act);
}

void sg_k_bn_backward_dx_scalar(const float *x, const float *dy, float *dx, int64_t n, float mean, float invstd,
                                float scale, float mean_dy, float mean_dy_xhat)
{
    for (int64_t i = 0; i < n; i++)
        dx[i] += sg_bn_backward_dx_elem(x[i], dy[i], mean, invstd, scale, mean_dy, mean_dy_xhat);
}

void sg_k_bn_backward_sums_scalar(const float *x, const float *dy, int64_t n, float mean, double sums[2])
{
    sums[0] = sg_k_sums_scalar(SG_SUMS_PLAIN, dy, NULL, 0.0, n);
    sums[1] = sg_k_sums_scalar(SG_SUMS_DOT_DEV, x, dy, (double)mean, n);
}

void sg_k_ln_forward_scalar(const float *x, const float *w, const float *b, float *y, int64_t D, float mean,
                            float invstd)
{
    for (int64_t j = 0; j < D; j++)
        y[j] = sg_ln_forward_elem(x[j], w ? w[j] : 1.0f, b ? b[j] : 0.0f, mean, invstd);
}

void sg_k_ln_backward_sums_scalar(const float *x, const float *dy, const float *w, int64_t D, float mean,
                                  float invstd, double sums[2])
{
    SG_CANONICAL_SUM(sums[0], D, j, (double)(dy[j] * (w ? w[j] : 1.0f)));
    SG_CANONICAL_SUM(sums[1], D, j, (double)(dy[j] * (w ? w[j] : 1.0f)) * ((x[j] - mean) * invstd));
}

void sg_k_ln_backward_dx_scalar(const float *x, const float *dy, const float *w, float *dx, int64_t D, float mean,
                                float invstd, float mean_g, float mean_g_xhat)
{
    for (int64_t j = 0; j < D; j++)
        dx[j] += sg_ln_backward_dx_elem(x[j], dy[j] * (w ? w[j] : 1.0f), mean, invstd, mean_g, mean_g_xhat);
}

void sg_k_ln_backward_affine_scalar(const float *x, const float *dy, int64_t n, float mean, float invstd,
                                    double *sw, double *sb)
{
    for (int64_t j = 0; j < n; j++) {
        sw[j] += (double)dy[j] * ((x[j] - mean) * invstd);
        sb[j] += dy[j];
    }
}

void sg_k_softmax_forward_scalar(const float *x, float *y, int64_t D, int64_t s, int64_t w, bool log)
{
    float m[SG_SOFTMAX_LINES];
    double sum[SG_SOFTMAX_LINES];
    for (int64_t k = 0; k < w; k++) {
        m[k] = x[k];
        sum[k] = 0;
    }
    for (int64_t d = 1; d < D; d++)
        for (int64_t k = 0; k < w; k++) m[k] = x[d * s + k] > m[k] ? x[d * s + k] : m[k];
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++) {
            const float e = sg_expf(x[d * s + k] - m[k]);
            if (!log) y[d * s + k] = e;
            sum[k] += e;
        }
    if (log) {
        float lse[SG_SOFTMAX_LINES];
        for (int64_t k = 0; k < w; k++) lse[k] = sg_logf((float)sum[k]);
        for (int64_t d = 0; d < D; d++)
            for (int64_t k = 0; k < w; k++) y[d * s + k] = (x[d * s + k] - m[k]) - lse[k];
    } else {
        float inv[SG_SOFTMAX_LINES];
        for (int64_t k = 0; k < w; k++) inv[k] = (float)(1.0 / sum[k]);
        for (int64_t d = 0; d < D; d++)
            for (int64_t k = 0; k < w; k++) y[d * s + k] *= inv[k];
    }
}

void sg_k_softmax_backward_scalar(const float *y, const float *dy, float *dx, int64_t D, int64_t s, int64_t w,
                                  bool log)
{
    double acc[SG_SOFTMAX_LINES];
    float a[SG_SOFTMAX_LINES];
    for (int64_t k = 0; k < w; k++) acc[k] = 0;
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++) acc[k] += log ? dy[d * s + k] : (double)dy[d * s + k] * y[d * s + k];
    for (int64_t k = 0; k < w; k++) a[k] = (float)acc[k];
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++) {
            const int64_t i = d * s + k;
            dx[i] += log ? dy[i] - sg_expf(y[i]) * a[k] : y[i] * (dy[i] - a[k]);
        }
}

void sg_k_attn_softmax_forward_scalar(float *row, int64_t S)
{
    float mx = -INFINITY;
    for (int64_t s = 0; s < S; s++) mx = row[s] > mx ? row[s] : mx;
    for (int64_t s = 0; s < S; s++) row[s] = sg_expf(row[s] - mx);
    const float inv = (float)(1.0 / sg_k_sums_scalar(SG_SUMS_PLAIN, row, NULL, 0.0, S));   /* canonical */
    for (int64_t s = 0; s < S; s++) row[s] *= inv;
}

void sg_k_attn_softmax_backward_scalar(const float *p, float *d, int64_t S)
{
    float dot = 0.0f;
    for (int64_t s = 0; s < S; s++) dot += d[s] * p[s];
    for (int64_t s = 0; s < S; s++) d[s] = p[s] * (d[s] - dot);
}

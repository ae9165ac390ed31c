/* core/kernels/norm_scalar.c - the scalar twins of the normalisation and
 * softmax families (kernels.h states each contract; norm_elem.h spells one
 * element). They define the bits: layers/norm.c and layers/activation.c call
 * them through the table, and norm_simd.h's twins give the same bits.
 *
 * Reductions. Every sum here has the canonical shape of core/sum.h
 * (SG_CANONICAL_SUM: 16 lanes of doubles, the tree 8-4-2-1, the tail in
 * order): LayerNorm's backward sums, softmax's sum of exps and of dy * y per
 * line (a contiguous row or a strided line alike, so a line gives the same
 * bits however the caller groups it), attention's dot. softmax's maximum runs
 * in increasing d (order-free but for NaN and signed zeros, which do not
 * change a result). */
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
    for (int64_t k = 0; k < w; k++) {   /* one line at a time: x[d * s + k], d = 0 .. D-1 */
        float m = x[k];
        for (int64_t d = 1; d < D; d++) m = x[d * s + k] > m ? x[d * s + k] : m;
        for (int64_t d = 0; d < D; d++) y[d * s + k] = sg_expf(x[d * s + k] - m);   /* y holds e */
        double sum;
        SG_CANONICAL_SUM(sum, D, d, (double)y[d * s + k]);
        if (log) {
            const float lse = sg_logf((float)sum);
            for (int64_t d = 0; d < D; d++) y[d * s + k] = (x[d * s + k] - m) - lse;
        } else {
            const float inv = (float)(1.0 / sum);
            for (int64_t d = 0; d < D; d++) y[d * s + k] *= inv;
        }
    }
}

void sg_k_softmax_backward_scalar(const float *y, const float *dy, float *dx, int64_t D, int64_t s, int64_t w,
                                  bool log)
{
    for (int64_t k = 0; k < w; k++) {
        double acc;
        if (log)
            SG_CANONICAL_SUM(acc, D, d, (double)dy[d * s + k]);
        else
            SG_CANONICAL_SUM(acc, D, d, (double)dy[d * s + k] * (double)y[d * s + k]);
        const float a = (float)acc;
        for (int64_t d = 0; d < D; d++) {
            const int64_t i = d * s + k;
            dx[i] += log ? dy[i] - sg_expf(y[i]) * a : y[i] * (dy[i] - a);
        }
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
    const float dot = (float)sg_k_sums_scalar(SG_SUMS_DOT, d, p, 0.0, S);   /* canonical, products in double */
    for (int64_t s = 0; s < S; s++) d[s] = p[s] * (d[s] - dot);
}

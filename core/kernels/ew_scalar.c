/* core/kernels/ew_scalar.c - the scalar twins of the binary elementwise ops
 * and the pointwise activations: they define the bits (kernels.h; the
 * formulas, derivatives and torch references are in layers/elementwise.c and
 * layers/activation.c). Each element is independent; the SIMD twins
 * (ew_simd.h) do each element's operations below, in the same order, per lane. */
#include <math.h>

#include "core/kernels/kernels.h"
#include "core/mathf.h"
#include "core/rng_normal.h"

/* y[i] = EXPR(A, B), A = a[i * sa], B = b[i * sb]; the contiguous case gets
 * its own loop so that it vectorises (the same operations either way). */
#define BINARY_LOOP(EXPR)                                               \
    do {                                                                \
        if (sa && sb) {                                                 \
            for (int64_t i = 0; i < n; i++) {                           \
                const float A = a[i], B = b[i];                         \
                y[i] = (EXPR);                                          \
            }                                                           \
        } else {                                                        \
            for (int64_t i = 0; i < n; i++) {                           \
                const float A = a[i * sa], B = b[i * sb];               \
                y[i] = (EXPR);                                          \
            }                                                           \
        }                                                               \
    } while (0)

void sg_k_ew_binary_scalar(sg_ew_op op, const float *a, int64_t sa, const float *b, int64_t sb, float *y,
                           int64_t n)
{
    switch (op) {
    case SG_EW_ADD: BINARY_LOOP(A + B); break;
    case SG_EW_SUB: BINARY_LOOP(A - B); break;
    case SG_EW_MUL: BINARY_LOOP(A * B); break;
    case SG_EW_DIV: BINARY_LOOP(A / B); break;
    }
}

/* dst[i] += EXPR, O = o[i * so] */
#define GRAD_LOOP(EXPR)                                                 \
    do {                                                                \
        if (so) {                                                       \
            for (int64_t i = 0; i < n; i++) {                           \
                const float O = o[i];                                   \
                dst[i] += (EXPR);                                       \
            }                                                           \
        } else {                                                        \
            const float O = o[0];                                       \
            for (int64_t i = 0; i < n; i++) dst[i] += (EXPR);           \
        }                                                               \
    } while (0)

void sg_k_ew_grad_scalar(sg_ew_grad_op op, const float *dy, const float *y, const float *o, int64_t so,
                         float *dst, int64_t n)
{
    switch (op) {
    case SG_EW_GRAD_TIMES: GRAD_LOOP(dy[i] * O); break;
    case SG_EW_GRAD_OVER: GRAD_LOOP(dy[i] / O); break;
    case SG_EW_GRAD_DIV_DENOM: GRAD_LOOP(-dy[i] * (y[i] / O)); break;
    }
}

void sg_k_act_forward_scalar(sg_act_kind kind, float p0, float p1, const float *x, float *y, int64_t n)
{
    switch (kind) {
    case SG_ACT_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case SG_ACT_HARDTANH:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] < p0 ? p0 : x[i] > p1 ? p1 : x[i];
        break;
    case SG_ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] * p0;
        break;
    case SG_ACT_GELU:
        for (int64_t i = 0; i < n; i++) y[i] = x[i] * 0.5f * (1.0f + sg_erff(x[i] * SG_GELU_SQRT1_2));
        break;
    case SG_ACT_GELU_TANH:
        for (int64_t i = 0; i < n; i++) {
            const float inner = SG_GELU_TANH_BETA * (x[i] + SG_GELU_TANH_KAPPA * x[i] * x[i] * x[i]);
            y[i] = 0.5f * x[i] * (1.0f + sg_tanhf(inner));
        }
        break;
    case SG_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = sg_sigmoidf(x[i]);
        break;
    case SG_ACT_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = sg_tanhf(x[i]);
        break;
    }
}

void sg_k_act_backward_scalar(sg_act_kind kind, float p0, float p1, const float *x, const float *y,
                              const float *dy, float *dx, int64_t n)
{
    switch (kind) {
    /* Branch-free selects (both sides read, `&` not `&&`) so the compiler
     * vectorises them: a branch per element on a random sign mispredicts. */
    case SG_ACT_RELU:
        for (int64_t i = 0; i < n; i++) {
            const float d = dy[i];
            dx[i] += x[i] > 0 ? d : 0.0f;
        }
        break;
    case SG_ACT_HARDTANH:
        for (int64_t i = 0; i < n; i++) {
            const float d = dy[i];
            const bool in = (x[i] > p0) & (x[i] < p1);
            dx[i] += in ? d : 0.0f;
        }
        break;
    case SG_ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) dx[i] += x[i] > 0 ? dy[i] : dy[i] * p0;
        break;
    case SG_ACT_GELU:
        for (int64_t i = 0; i < n; i++) {
            const float cdf = 0.5f * (1.0f + sg_erff(x[i] * SG_GELU_SQRT1_2));
            const float pdf = SG_GELU_PDF * sg_expf(-0.5f * x[i] * x[i]);
            dx[i] += dy[i] * (cdf + x[i] * pdf);
        }
        break;
    case SG_ACT_GELU_TANH:
        for (int64_t i = 0; i < n; i++) {
            const float x2 = x[i] * x[i];
            const float t = sg_tanhf(SG_GELU_TANH_BETA * (x[i] + SG_GELU_TANH_KAPPA * x2 * x[i]));
            const float left = 0.5f * (1.0f + t);
            const float right = 0.5f * x[i] * (1.0f - t * t) * SG_GELU_TANH_BETA *
                                (1.0f + 3.0f * SG_GELU_TANH_KAPPA * x2);
            dx[i] += dy[i] * (left + right);
        }
        break;
    case SG_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i]) * y[i];
        break;
    case SG_ACT_TANH:
        for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
        break;
    }
}

/* core/rng_normal.h's text, compiled without ISA flags (fma() is libm's). */
void sg_k_rng_normal_scalar(sg_rng_key key, uint64_t first, float *out, int64_t n, float mean, float std)
{
    sg_rng_normal_fill_blocks(key, first, out, n, mean, std);
}

void sg_k_mathf_scalar(sg_mathf_op op, const float *x, float *y, int64_t n)
{
    switch (op) {
    case SG_MATHF_EXP: for (int64_t i = 0; i < n; i++) y[i] = sg_expf(x[i]); break;
    case SG_MATHF_TANH: for (int64_t i = 0; i < n; i++) y[i] = sg_tanhf(x[i]); break;
    case SG_MATHF_SIGMOID: for (int64_t i = 0; i < n; i++) y[i] = sg_sigmoidf(x[i]); break;
    case SG_MATHF_ERF: for (int64_t i = 0; i < n; i++) y[i] = sg_erff(x[i]); break;
    }
}

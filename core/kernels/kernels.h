/* core/kernels/kernels.h - the kernel dispatch table.
 *
 * A kernel is a pure function on raw pointers and explicit sizes; it knows
 * nothing of tensors, tapes or threads. Each has a scalar reference
 * (sg_k_<op>_scalar, portable C, compiled without ISA flags) and may have SIMD
 * twins (sg_k_<op>_avx2, _avx512, _neon) in files of their own, compiled with
 * their own flags. The table is filled once at start-up from the CPU features
 * (or SG_ISA); entries an ISA lacks fall back to the scalar reference.
 * Porting to a new CPU = an entry in core/isa.h, its kernel files and their
 * lines in table.c (see docs/PORTING.md). */
#ifndef SG_KERNELS_H
#define SG_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "core/error.h"
#include "core/rng.h"

/* C[M x N] = alpha * op(A) * op(B) + beta * C, all row-major.
 * op(A) is M x K: A itself (lda >= K) or, if transA, the transpose of a
 * K x M matrix (lda >= M). Likewise op(B) is K x N. beta == 0 overwrites C
 * without reading it (NaN or garbage in C does not matter).
 * The bits are defined by the scalar twin, and every twin gives them for all
 * four transpose cases: each C element is
 *     acc = 0;  for k = 0 .. K-1: acc = fmaf(a(i,k), b(k,j), acc)
 *     C = beta == 0 ? alpha * acc : fmaf(beta, C, alpha * acc)
 * one fused rounding per product, k increasing, never split across lanes.
 * So the result does not depend on the vector width, nor on how callers tile
 * M and N (threads), nor on k-blocking. */
typedef void (*sg_sgemm_fn)(bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B,
                            int64_t ldb, float beta, float *C, int64_t ldc);

/* The canonical reductions of core/sum.h (sums_scalar.c states each term):
 * sum over i of x[i], (x[i] - center)^2, x[i] * y[i], or y[i] * (x[i] - center),
 * in double, 16 lanes + pairwise tree + tail. */
typedef enum sg_sums_op { SG_SUMS_PLAIN, SG_SUMS_SQ_DEV, SG_SUMS_DOT, SG_SUMS_DOT_DEV } sg_sums_op;
typedef double (*sg_sums_fn)(sg_sums_op op, const float *x, const float *y, double center, int64_t n);

/* Depthwise convolution of one plane: one input channel x [H, W] and its
 * KH x KW filter w to one output channel y [OH, OW] (layers/conv_kernels.c
 * calls it per (image, channel)). Forward: y = bias (or y + bias when
 * accumulating), then each tap in (kh, kw) order adds w * x, the product and
 * the sum rounded apart (no fma); taps outside x add nothing. Input gradient:
 * dx += w * dy over (oh, kh, kw) in that order. depthwise_scalar.c states it
 * element by element; twins vectorise over a row and give the same bits. */
typedef struct sg_dw_geom {
    int64_t H, W, OH, OW, KH, KW;
    int64_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
} sg_dw_geom;
typedef void (*sg_dw_forward_fn)(const sg_dw_geom *g, const float *x, const float *w, float bias,
                                 bool accumulate, float *y);
typedef void (*sg_dw_backward_data_fn)(const sg_dw_geom *g, const float *dy, const float *w,
                                       float *dx);
/* Depthwise weight gradient of one output channel over a batch (layers/conv_kernels.c
 * calls it per channel): x is the channel's input plane [H, W] of image 0 and
 * dy its output-gradient plane [OH, OW], images x_img and dy_img floats apart.
 * For each tap (kh, kw) in order:
 *     acc = 0.0 (double);  for n = 0 .. N-1, for oh = 0 .. OH-1 whose input row lies in x:
 *         row terms dy[n][oh][ow] * x[n][ih][ow*sw + off], ow in sg_dw_tap_range's [lo, hi):
 *         stride_w == 1: acc += the canonical dot of the row (core/sum.h sg_dot_f32,
 *                        the `sums` family, whose twins all give the same double)
 *         otherwise:     acc += (double)dy * x, one exact double product at a time, ow increasing
 *     dw[kh * KW + kw] += (float)acc
 * depthwise_scalar.c is the reference; a twin must keep this order. */
typedef void (*sg_dw_backward_weight_fn)(const sg_dw_geom *g, int64_t N, const float *x, int64_t x_img,
                                         const float *dy, int64_t dy_img, float *dw);
/* The output positions [lo, hi) of a row whose input ow*stride + off lies in [0, in_size). */
void sg_dw_tap_range(int64_t off, int64_t stride, int64_t in_size, int64_t out_size, int64_t *lo,
                     int64_t *hi);
/* CALL(k) with k the constant equal to nb (1 .. 7, else 8): the depthwise
 * twins' way to run a chunk of nb vectors through a copy of their row loops
 * compiled for exactly that many (depthwise_avx2.c, depthwise_avx512.c). */
#define SG_DW_SWITCH_NB(nb, CALL)                                                             \
    switch (nb) {                                                                             \
    case 1: CALL(1); break;                                                                   \
    case 2: CALL(2); break;                                                                   \
    case 3: CALL(3); break;                                                                   \
    case 4: CALL(4); break;                                                                   \
    case 5: CALL(5); break;                                                                   \
    case 6: CALL(6); break;                                                                   \
    case 7: CALL(7); break;                                                                   \
    default: CALL(8); break;                                                                  \
    }

/* ---- elementwise families: optimiser updates, binary ops, activations ----
 * (core/kernels/optim_scalar.c, ew_scalar.c state each element's operations;
 * the SIMD twins vectorise across elements, lane i doing element i's
 * operations in the same order, and hand the last n % width elements to the
 * scalar twin. No reduction, so no order question beyond one element's.) */

/* SGD, per element (optim/optim.c has the torch reference):
 *     d = g;  if (weight_decay != 0) d = d + weight_decay * p
 *     with a buffer: b = first ? d : buf * momentum + one_minus_dampening * d;  buf = b
 *                    d = nesterov ? d + momentum * b : b
 *     p = p + neg_lr * d
 * each product and sum rounded apart (no fma). buf NULL: no momentum. */
typedef struct sg_sgd_hp {
    float neg_lr, weight_decay, momentum, one_minus_dampening;
    bool nesterov, first;
} sg_sgd_hp;
typedef void (*sg_sgd_fn)(const sg_sgd_hp *h, float *p, const float *g, float *buf, int64_t n);

/* Adam / AdamW / AMSGrad, per element:
 *     if (decoupled) p = p * decay_scale
 *     if (l2 != 0) g = g + l2 * p
 *     m = m * beta1 + one_minus_beta1 * g
 *     v = v * beta2 + (one_minus_beta2 * g) * g;  store m, v
 *     vmax != NULL: v = vmax > v ? vmax : v;  vmax = v
 *     p = p + (neg_step_size * m) / (sqrtf(v) / bias2_sqrt + eps)
 * every operation rounded apart (no fma), sqrtf and / correctly rounded. The
 * bias corrections (bias2_sqrt, neg_step_size) are scalars of the step. */
typedef struct sg_adam_hp {
    float decay_scale, l2;
    bool decoupled;
    float beta1, one_minus_beta1, beta2, one_minus_beta2;
    float bias2_sqrt, eps, neg_step_size;
} sg_adam_hp;
typedef void (*sg_adam_fn)(const sg_adam_hp *h, float *p, const float *g, float *m, float *v,
                           float *vmax, int64_t n);

/* y[i] = a[i * sa] op b[i * sb], sa and sb 0 (a broadcast value) or 1; y may be a. */
typedef enum sg_ew_op { SG_EW_ADD, SG_EW_SUB, SG_EW_MUL, SG_EW_DIV } sg_ew_op;
typedef void (*sg_ew_binary_fn)(sg_ew_op op, const float *a, int64_t sa, const float *b, int64_t sb,
                                float *y, int64_t n);

/* The elementwise gradient terms of mul and div (layers/elementwise.c), added
 * into dst, O = o[i * so] (so 0: a broadcast value, or 1):
 *     TIMES       dst[i] += dy[i] * O                (mul: dL/da = dy * b, dL/db = dy * a)
 *     OVER        dst[i] += dy[i] / O                (div: dL/da = dy / b)
 *     DIV_DENOM   dst[i] += -dy[i] * (y[i] / O)      (div: dL/db = -dy * (a / b) / b), y = a / b
 * y is read only by DIV_DENOM. */
typedef enum sg_ew_grad_op { SG_EW_GRAD_TIMES, SG_EW_GRAD_OVER, SG_EW_GRAD_DIV_DENOM } sg_ew_grad_op;
typedef void (*sg_ew_grad_fn)(sg_ew_grad_op op, const float *dy, const float *y, const float *o,
                              int64_t so, float *dst, int64_t n);

/* Pointwise activations (layers/activation.c has the formulas and the torch
 * references). p0, p1: hardtanh's lo and hi; leaky_relu's slope in p0.
 * Forward y = f(x) (y may be x); backward dx += dy * f'(x), reading x (relu,
 * hardtanh, leaky_relu, gelu, gelu_tanh) or y (sigmoid, tanh). gelu, gelu_tanh,
 * sigmoid and tanh call core/mathf.c's functions; the SIMD twins run the same
 * steps lane-wise (core/kernels/vmathf.h). */
typedef enum sg_act_kind {
    SG_ACT_RELU, SG_ACT_HARDTANH, SG_ACT_LEAKY_RELU, SG_ACT_GELU, SG_ACT_GELU_TANH, SG_ACT_SIGMOID,
    SG_ACT_TANH
} sg_act_kind;
enum { SG_ACT_KIND_COUNT = SG_ACT_TANH + 1 };
#define SG_GELU_SQRT1_2 0.70710678118654752440f      /* 1/sqrt(2) */
#define SG_GELU_PDF 0.39894228040143267794f          /* 1/sqrt(2 pi) */
#define SG_GELU_TANH_BETA 0.79788456080286535588f    /* sqrt(2/pi) */
#define SG_GELU_TANH_KAPPA 0.044715f
typedef void (*sg_act_forward_fn)(sg_act_kind kind, float p0, float p1, const float *x, float *y,
                                  int64_t n);
typedef void (*sg_act_backward_fn)(sg_act_kind kind, float p0, float p1, const float *x,
                                   const float *y, const float *dy, float *dx, int64_t n);

/* y[i] = f(x[i]) for core/mathf.h's sg_expf, sg_tanhf, sg_sigmoidf, sg_erff
 * (y may be x): the scalar twin calls them, the SIMD twins are vmathf.h's. */
typedef enum sg_mathf_op { SG_MATHF_EXP, SG_MATHF_TANH, SG_MATHF_SIGMOID, SG_MATHF_ERF } sg_mathf_op;
enum { SG_MATHF_OP_COUNT = SG_MATHF_ERF + 1 };
typedef void (*sg_mathf_fn)(sg_mathf_op op, const float *x, float *y, int64_t n);
/* out[i] = mean + std * sg_rng_normal(key, first + i) for i < n (core/rng_normal.h:
 * Box-Muller in double on Philox blocks; every twin compiles that one text). */
typedef void (*sg_rng_normal_fn)(sg_rng_key key, uint64_t first, float *out, int64_t n, float mean, float std);

#define SG_KERNEL_FAMILIES_EW(X)                                                    \
    X(sgd, sg_sgd_fn) X(adam, sg_adam_fn) X(ew_binary, sg_ew_binary_fn)             \
    X(ew_grad, sg_ew_grad_fn)                                                       \
    X(act_forward, sg_act_forward_fn) X(act_backward, sg_act_backward_fn)           \
    X(mathf, sg_mathf_fn) X(rng_normal, sg_rng_normal_fn)

/* Declares sg_k_<family>_<isa> for the elementwise families. */
#define SG_EW_KERNELS_DECLARE(isa)                                                              \
    void sg_k_sgd_##isa(const sg_sgd_hp *h, float *p, const float *g, float *buf, int64_t n);   \
    void sg_k_adam_##isa(const sg_adam_hp *h, float *p, const float *g, float *m, float *v,     \
                         float *vmax, int64_t n);                                               \
    void sg_k_ew_binary_##isa(sg_ew_op op, const float *a, int64_t sa, const float *b,           \
                              int64_t sb, float *y, int64_t n);                                 \
    void sg_k_ew_grad_##isa(sg_ew_grad_op op, const float *dy, const float *y, const float *o,   \
                            int64_t so, float *dst, int64_t n);                                 \
    void sg_k_act_forward_##isa(sg_act_kind kind, float p0, float p1, const float *x, float *y, \
                                int64_t n);                                                     \
    void sg_k_act_backward_##isa(sg_act_kind kind, float p0, float p1, const float *x,          \
                                 const float *y, const float *dy, float *dx, int64_t n);        \
    void sg_k_mathf_##isa(sg_mathf_op op, const float *x, float *y, int64_t n);                 \
    void sg_k_rng_normal_##isa(sg_rng_key key, uint64_t first, float *out, int64_t n, float mean, float std);
SG_EW_KERNELS_DECLARE(scalar)
#if defined(__x86_64__) || defined(__i386__)
SG_EW_KERNELS_DECLARE(avx2)
SG_EW_KERNELS_DECLARE(avx512)
#endif
#if defined(__aarch64__)
SG_EW_KERNELS_DECLARE(neon)
#endif
/* ---- end of the elementwise families ---- */
/* ---- normalisation and softmax (core/kernels/norm_scalar.c states every
 * element's order of operations; norm_simd.h writes the SIMD twins once for
 * AVX2, AVX-512 and NEON). Elementwise parts vectorise across elements with
 * the same operations per element (no fma where the scalar has none);
 * reductions keep the canonical 16-lane shape of core/sum.h or, for softmax,
 * the scalar's order along the line. ---- */
/* An activation fused into the BatchNorm forward: y = act(bn(x)), act as
 * layers/activation.c's relu (y > 0 ? y : 0) or relu6 (hardtanh(y, 0, 6)). */
typedef enum sg_bn_act { SG_BN_ACT_NONE, SG_BN_ACT_RELU, SG_BN_ACT_RELU6 } sg_bn_act;
/* BatchNorm forward of n values of one channel: y = act((x - mean) * invstd * w + b). */
typedef void sg_bn_forward_k(const float *x, float *y, int64_t n, float mean, float invstd, float w,
                                 float b, sg_bn_act act);
typedef sg_bn_forward_k *sg_bn_forward_fn;
/* BatchNorm input gradient of n values of one channel, accumulated:
 * dx += scale * (dy - mean_dy - ((x - mean) * invstd) * mean_dy_xhat). */
typedef void sg_bn_backward_dx_k(const float *x, const float *dy, float *dx, int64_t n, float mean,
                                     float invstd, float scale, float mean_dy, float mean_dy_xhat);
typedef sg_bn_backward_dx_k *sg_bn_backward_dx_fn;
/* BatchNorm backward sums of n values of one channel, both the canonical
 * reductions of core/sum.h (sums_scalar.c's SG_SUMS_PLAIN and SG_SUMS_DOT_DEV) in one pass:
 * sums[0] = sum (double)dy,  sums[1] = sum (double)dy * (double)(x - mean). */
typedef void sg_bn_backward_sums_k(const float *x, const float *dy, int64_t n, float mean, double sums[2]);
typedef sg_bn_backward_sums_k *sg_bn_backward_sums_fn;
/* LayerNorm forward of one row of D: y = ((x - mean) * invstd) * w + b (w, b NULL: 1, 0). */
typedef void sg_ln_forward_k(const float *x, const float *w, const float *b, float *y, int64_t D,
                                 float mean, float invstd);
typedef sg_ln_forward_k *sg_ln_forward_fn;
/* LayerNorm backward sums of one row, both canonical (core/sum.h), g = dy * w in float:
 * sums[0] = sum (double)g,  sums[1] = sum (double)g * (double)((x - mean) * invstd). */
typedef void sg_ln_backward_sums_k(const float *x, const float *dy, const float *w, int64_t D, float mean,
                                       float invstd, double sums[2]);
typedef sg_ln_backward_sums_k *sg_ln_backward_sums_fn;
/* LayerNorm input gradient of one row, accumulated:
 * dx += invstd * (dy * w - mean_g - ((x - mean) * invstd) * mean_g_xhat). */
typedef void sg_ln_backward_dx_k(const float *x, const float *dy, const float *w, float *dx, int64_t D,
                                     float mean, float invstd, float mean_g, float mean_g_xhat);
typedef sg_ln_backward_dx_k *sg_ln_backward_dx_fn;
/* LayerNorm weight/bias gradients: one row's n columns added to per-column sums in double:
 * sw[j] += (double)dy[j] * (double)((x[j] - mean) * invstd),  sb[j] += (double)dy[j]. */
typedef void sg_ln_backward_affine_k(const float *x, const float *dy, int64_t n, float mean, float invstd,
                                         double *sw, double *sb);
typedef sg_ln_backward_affine_k *sg_ln_backward_affine_fn;
/* softmax / log_softmax of w <= SG_SOFTMAX_LINES neighbouring lines of D values,
 * value d of line k at x[d * stride + k] (stride >= w; w = 1 and stride = 1: a row).
 * Per line: m = x[0], then m = x[d] > m ? x[d] : m in increasing d;
 * e = sg_expf(x - m), sum = the canonical sum of (double)e over d (core/sum.h);
 * softmax y = e * (float)(1.0 / sum); log_softmax y = (x - m) - sg_logf((float)sum).
 * y may serve as scratch for e (x and y must not overlap). */
enum { SG_SOFTMAX_LINES = 64 };
typedef void sg_softmax_forward_k(const float *x, float *y, int64_t D, int64_t stride, int64_t w, bool log);
typedef sg_softmax_forward_k *sg_softmax_forward_fn;
/* Their gradient, accumulated: a = (float)(the canonical sum over d of
 * log ? (double)dy : (double)dy * (double)y); dx += log ? dy - sg_expf(y) * a : y * (dy - a). */
typedef void sg_softmax_backward_k(const float *y, const float *dy, float *dx, int64_t D, int64_t stride,
                                       int64_t w, bool log);
typedef sg_softmax_backward_k *sg_softmax_backward_fn;
/* Attention's softmax of one row of S scores, in place (layers/attention.c):
 * mx = -inf, then mx = row[s] > mx ? row[s] : mx (NaN skipped); row = sg_expf(row - mx);
 * row *= (float)(1.0 / the canonical sum of the row (core/sum.h)). */
typedef void sg_attn_softmax_forward_k(float *row, int64_t S);
typedef sg_attn_softmax_forward_k *sg_attn_softmax_forward_fn;
/* Its gradient in place: dot = (float)(the canonical sum of (double)d[s] * (double)p[s]),
 * the sums family's DOT; then d[s] = p[s] * (d[s] - dot). */
typedef void sg_attn_softmax_backward_k(const float *p, float *d, int64_t S);
typedef sg_attn_softmax_backward_k *sg_attn_softmax_backward_fn;
#define SG_KERNEL_FAMILIES_NORM(X)                                                            \
    X(bn_forward, sg_bn_forward_fn) X(bn_backward_dx, sg_bn_backward_dx_fn)                  \
    X(bn_backward_sums, sg_bn_backward_sums_fn)                                              \
    X(ln_forward, sg_ln_forward_fn) X(ln_backward_sums, sg_ln_backward_sums_fn)              \
    X(ln_backward_dx, sg_ln_backward_dx_fn) X(ln_backward_affine, sg_ln_backward_affine_fn)  \
    X(softmax_forward, sg_softmax_forward_fn) X(softmax_backward, sg_softmax_backward_fn)    \
    X(attn_softmax_forward, sg_attn_softmax_forward_fn)                                      \
    X(attn_softmax_backward, sg_attn_softmax_backward_fn)
/* ---- pooling of one plane (core/kernels/pool_scalar.c states the order;
 * pool_simd.h the twins). ---- */
typedef struct sg_pool_geom {
    int64_t H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw;
    bool count_include_pad;   /* average pooling's divisor */
} sg_pool_geom;
/* Max pooling forward of one plane: per output, maxval = -inf, best = the
 * window's first in-plane index (-1 if none), then over the window in (h, w)
 * order: if (v > maxval || v != v) maxval = v, best = its index (a NaN wins,
 * as in torch). argmax may be NULL. */
typedef void sg_pool_max_forward_k(const sg_pool_geom *g, const float *x, float *y, int32_t *argmax);
typedef sg_pool_max_forward_k *sg_pool_max_forward_fn;
/* Its gradient: dx[argmax[q]] += dy[q] in increasing q (argmax -1: nothing). */
typedef void sg_pool_max_backward_k(const sg_pool_geom *g, const float *dy, const int32_t *argmax, float *dx);
typedef sg_pool_max_backward_k *sg_pool_max_backward_fn;
/* Global average pooling of `planes` planes of HW values: y[p] = (float)(s / (double)HW),
 * s = the plane's canonical sum (core/sum.h; the sums family's PLAIN). */
typedef void sg_pool_gap_forward_k(const float *x, float *y, int64_t HW, int64_t planes);
typedef sg_pool_gap_forward_k *sg_pool_gap_forward_fn;
/* Its gradient: dx[p][i] += dy[p] / (float)HW. */
typedef void sg_pool_gap_backward_k(const float *dy, float *dx, int64_t HW, int64_t planes);
typedef sg_pool_gap_backward_k *sg_pool_gap_backward_fn;
/* The 2 x 2 / stride 2 / unpadded / inside case of max pooling, and its
 * scalar row (outputs [ow0, ow1) of row oh): the twins' tails. */
bool sg_pool_is_2x2(const sg_pool_geom *g);
void sg_pool_max_2x2_row(const sg_pool_geom *g, const float *xp, float *yp, int32_t *ip, int64_t oh, int64_t ow0,
                         int64_t ow1);
/* Average pooling of one plane (dilation 1). The window of output (oh, ow) spans
 * rows [a0, a1) = [oh*sh - ph, min(a0 + kh, H + ph)) and likewise columns, clipped
 * to the plane as [h0, h1) x [w0, w1); divisor = (float)(count_include_pad ?
 * (a1 - a0) * (b1 - b0) : (h1 - h0) * (w1 - w0)). Forward: an empty window gives
 * 0, else sum = 0.0f, sum += x in (h, w) order in float, y = sum / divisor.
 * Backward: in (oh, ow) order, d = dy / divisor, dx += d over the window in (h, w)
 * order. sg_pool_avg_window gives the window (false: empty). */
bool sg_pool_avg_window(const sg_pool_geom *g, int64_t oh, int64_t ow, int64_t *h0, int64_t *h1, int64_t *w0,
                        int64_t *w1, float *divisor);
void sg_pool_avg_row(const sg_pool_geom *g, const float *xp, float *yp, int64_t oh, int64_t ow0, int64_t ow1);
/* The backward of outputs [ow0, ow1) of row oh, in increasing ow (the twins' edges). */
void sg_pool_avg_backward_row(const sg_pool_geom *g, const float *dyp, float *dxp, int64_t oh, int64_t ow0,
                              int64_t ow1);
typedef void sg_pool_avg_forward_k(const sg_pool_geom *g, const float *x, float *y);
typedef sg_pool_avg_forward_k *sg_pool_avg_forward_fn;
typedef void sg_pool_avg_backward_k(const sg_pool_geom *g, const float *dy, float *dx);
typedef sg_pool_avg_backward_k *sg_pool_avg_backward_fn;
#define SG_KERNEL_FAMILIES_POOL(X)                                                            \
    X(pool_max_forward, sg_pool_max_forward_fn) X(pool_max_backward, sg_pool_max_backward_fn) \
    X(pool_gap_forward, sg_pool_gap_forward_fn) X(pool_gap_backward, sg_pool_gap_backward_fn) \
    X(pool_avg_forward, sg_pool_avg_forward_fn) X(pool_avg_backward, sg_pool_avg_backward_fn)
/* Declares sg_k_<family>_<isa> for every family above. */
#define SG_K_NORM_DECLARE(isa) SG_KERNEL_FAMILIES_NORM(SG_K_NORM_DECL1_##isa) SG_KERNEL_FAMILIES_POOL(SG_K_NORM_DECL1_##isa)
#define SG_K_NORM_DECL1_scalar(family, fn_type) sg_##family##_k sg_k_##family##_scalar;
#define SG_K_NORM_DECL1_avx2(family, fn_type) sg_##family##_k sg_k_##family##_avx2;
#define SG_K_NORM_DECL1_avx512(family, fn_type) sg_##family##_k sg_k_##family##_avx512;
#define SG_K_NORM_DECL1_neon(family, fn_type) sg_##family##_k sg_k_##family##_neon;
SG_K_NORM_DECLARE(scalar)
#if defined(__x86_64__) || defined(__i386__)
SG_K_NORM_DECLARE(avx2)
SG_K_NORM_DECLARE(avx512)
#endif
#if defined(__aarch64__)
SG_K_NORM_DECLARE(neon)
#endif

/* ---- data pipeline families (data/: the resize filter, JPEG IDCT, colour
 * conversion and upsampling, PNG unfiltering, CRC-32). The scalar twins live
 * next to the reference they copy (data/resize.c, jpeg_idct.c, jpeg_color.c
 * with jpeg_upsample.h, png.c, crc.c) and state the order of operations; the
 * SIMD twins are core/kernels/data_simd.h over data_vec.h (resize, PNG) and
 * data/jpeg_avx2.c (JPEG, SSE2 code), bit for bit the scalar;
 * data/kernel_compare.c compares them. ---- */
/* A resize filter table (data/resize.c): output sample x reads count[x] input
 * samples from first[x] on, with weights weight[x * ksize + j]. */
typedef struct sg_resize_taps {
    const double *weight;
    const int *first, *count;
    int64_t ksize;
} sg_resize_taps;
/* The horizontal pass over `lines` rows: row r of in starts at in + r * in_line,
 * of out at out + r * out_line; per output sample x:
 *     sum = 0.0;  for j = 0 .. count[x]-1: sum += (double)in[first[x] + j] * weight[x][j]
 *     out[x] = (float)sum
 * the product and the sum rounded apart (no fma), j increasing. */
typedef void sg_resize_h_k(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in,
                           int64_t in_line, float *out, int64_t out_line);
typedef sg_resize_h_k *sg_resize_h_fn;
/* The vertical pass over `lines` neighbouring columns: input sample j of
 * column c at in[j * in_step + c], output sample x at out[x * out_step + c];
 * per sample the same sum as the horizontal pass. */
typedef void sg_resize_v_k(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in,
                           int64_t in_step, float *out, int64_t out_step);
typedef sg_resize_v_k *sg_resize_v_fn;
/* PNG unfiltering of one scanline of n bytes in place (PNG spec section 9.2):
 * type 0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth, given the unfiltered row above
 * (zeros for the first row; never overlapping cur) and bpp in {1, 2, 3, 4, 6, 8}
 * bytes per pixel (any other value is taken as 8). Byte arithmetic modulo 256. */
typedef void sg_png_unfilter_k(unsigned type, uint8_t *cur, const uint8_t *prev, size_t n, unsigned bpp);
typedef sg_png_unfilter_k *sg_png_unfilter_fn;
/* CRC-32 of p[0..n) continuing crc (0 to start): data/crc.h's sg_crc32. */
typedef uint32_t sg_crc32_k(uint32_t crc, const uint8_t *p, size_t n);
typedef sg_crc32_k *sg_crc32_fn;
/* One 8 x 8 JPEG block: dequantise coef with quant (natural order), libjpeg's
 * integer "islow" IDCT, level shift, clamp, into out (row stride `stride`);
 * last_zigzag as data/jpeg_internal.h's sg_jpeg_idct_block. */
typedef void sg_jpeg_idct_k(const int16_t coef[64], const uint16_t quant[64], int last_zigzag, uint8_t *out,
                            ptrdiff_t stride);
typedef sg_jpeg_idct_k *sg_jpeg_idct_fn;
/* YCbCr -> RGB of one row of `width` pixels with data/jpeg_color.c's
 * fixed-point tables (16 fraction bits, libjpeg's). */
typedef struct sg_ycc_tables {
    int cr_to_r[256], cb_to_b[256];
    int32_t cr_to_g[256], cb_to_g[256];
} sg_ycc_tables;
typedef void sg_jpeg_ycc_rgb_k(const sg_ycc_tables *t, const uint8_t *y, const uint8_t *cb, const uint8_t *cr,
                               uint8_t *rgb, int width);
typedef sg_jpeg_ycc_rgb_k *sg_jpeg_ycc_rgb_fn;
/* JPEG "fancy" 2:1 chroma upsampling of one row (data/jpeg_color.c states the
 * formulas; all integer, libjpeg-turbo's):
 *   SG_JPEG_UP_H2    n > 2 samples of near -> 2n: (3 near + neighbour + {1, 2}) >> 2
 *   SG_JPEG_UP_V2    n samples: out = (3 near + far + bias) >> 2, bias 1 or 2
 *   SG_JPEG_UP_H2V2  n > 2 columns -> 2n: col = 3 near + far, then
 *                    (3 col + neighbour col + {8, 7}) >> 4
 * the edge samples standing in for their missing neighbours. */
typedef enum sg_jpeg_up_kind { SG_JPEG_UP_H2, SG_JPEG_UP_V2, SG_JPEG_UP_H2V2 } sg_jpeg_up_kind;
typedef void sg_jpeg_upsample_k(sg_jpeg_up_kind kind, const uint8_t *near, const uint8_t *far, int n, int bias,
                                uint8_t *out);
typedef sg_jpeg_upsample_k *sg_jpeg_upsample_fn;
#define SG_KERNEL_FAMILIES_DATA(X)                                                            \
    X(resize_h, sg_resize_h_fn) X(resize_v, sg_resize_v_fn) X(png_unfilter, sg_png_unfilter_fn) \
    X(crc32, sg_crc32_fn) X(jpeg_idct, sg_jpeg_idct_fn) X(jpeg_ycc_rgb, sg_jpeg_ycc_rgb_fn)     \
    X(jpeg_upsample, sg_jpeg_upsample_fn)
SG_KERNEL_FAMILIES_DATA(SG_K_NORM_DECL1_scalar)
#if defined(__x86_64__) || defined(__i386__)
sg_resize_h_k sg_k_resize_h_avx2;
sg_resize_v_k sg_k_resize_v_avx2, sg_k_resize_v_avx512;
sg_png_unfilter_k sg_k_png_unfilter_avx2, sg_k_png_unfilter_avx512;
sg_jpeg_idct_k sg_k_jpeg_idct_avx2;
sg_jpeg_ycc_rgb_k sg_k_jpeg_ycc_rgb_avx2;
sg_jpeg_upsample_k sg_k_jpeg_upsample_avx2;
#endif
#if defined(__aarch64__)
sg_resize_h_k sg_k_resize_h_neon;
sg_resize_v_k sg_k_resize_v_neon;
sg_png_unfilter_k sg_k_png_unfilter_neon;
#endif
/* ---- end of the data pipeline families ---- */
/* ---- data movement of convolution and resizing, and the reductions along
 * axes (core/kernels/conv_scalar.c, resize_scalar.c and reduce_scalar.c state
 * the order; conv_simd.h, resize_simd.h, reduce_simd.h write the twins once
 * over norm_vec.h; conv_compare.c compares them). ---- */
/* im2col of a chunk of the column matrix of one convolution group. The plane
 * geometry is sg_dw_geom's; the matrix has K = Cg*KH*KW rows (r = (c*KH + kh)*KW
 * + kw) and one column per output position j = n*OH*OW + oh*OW + ow; the chunk
 * holds columns [j0, j0 + ncols) (ld = ncols), x points at the group's first
 * channel of image 0 and images are img_stride floats apart. Rows [r0, r1):
 *     col[r][j - j0] = x[n, c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]   (+0.0f outside)
 * Pure copies: every twin gives the same bits (NaN payloads too). */
typedef void sg_im2col_k(const sg_dw_geom *g, const float *x, int64_t img_stride, int64_t j0, int64_t ncols,
                         int64_t r0, int64_t r1, float *col);
typedef sg_im2col_k *sg_im2col_fn;
/* col2im, the adjoint, for input channels [c0, c1) of the group: per channel,
 * its KH*KW rows in increasing r, each row's columns in increasing j:
 *     dx[n, c, ih, iw] += col[r][j - j0]   (one rounding per addition)
 * for the same index pairs as im2col (pairs outside x add nothing). */
typedef void sg_col2im_k(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0,
                         int64_t c1, float *dx, int64_t img_stride);
typedef sg_col2im_k *sg_col2im_fn;
/* Direct convolution at stride 1 of one image (layers/conv_kernels.c calls it
 * per image and range of output channels, where it replaces im2col + sgemm).
 * xp [C][HP][WP] is the image's input (one group's C channels) with its
 * padding written out as +0.0f: HP = OH + (KH-1)*dh rows, WP = OW + (KW-1)*dw
 * columns, and SG_CONV_S1_SLACK readable floats after the last plane (a
 * twin may read them; it never uses what it reads there). w [O][C][KH][KW] at
 * output channel 0, bias [O] or NULL, y [O][OH][OW] at output channel 0; the
 * output channels [o0, o1), each element:
 *     acc = 0;  for c, kh, kw increasing: acc = fmaf(w[o][c][kh][kw], xp[c][oh + kh*dh][ow + kw*dw], acc)
 *     v = acc + (bias ? bias[o] : 0.0f);   y = accumulate ? y + v : v
 * which is the element of im2col + sgemm (k = (c, kh, kw), the padding's
 * zeros included) + the bias pass, bit for bit: both paths give the same
 * bits, and the twins vectorise over ow, never over the chain. */
typedef struct sg_conv_s1_geom {
    int64_t C, HP, WP, OH, OW, KH, KW, dil_h, dil_w;
} sg_conv_s1_geom;
#define SG_CONV_S1_SLACK 64
typedef void sg_conv_s1_k(const sg_conv_s1_geom *g, const float *xp, const float *w, const float *bias,
                          bool accumulate, int64_t o0, int64_t o1, float *y);
typedef sg_conv_s1_k *sg_conv_s1_fn;
/* The weight gradient of a stride-1 convolution over one chunk of output
 * positions (layers/conv_kernels.c cuts the chunks as for im2col + sgemm).
 * xp: the padded input of conv_s1 (g) for the images the chunk spans, image
 * i at xp + i * img_floats (C planes each, SG_CONV_S1_SLACK after the last);
 * dyT [nj][ldo]: the chunk's output gradient, position-major (ldo a multiple
 * of 16, lanes past the group's channels +0.0f); the chunk's positions are
 * j = j0 .. j0 + nj - 1 counted from image 0 of xp (j = i*OH*OW + oh*OW + ow).
 * For o in [o0, o1) (o1 - o0 <= 16, o0 a multiple of 16) and taps t = (c*KH
 * + kh)*KW + kw in [t0, t1), dw [..][C*KH*KW]:
 *     acc = 0;  for j increasing: acc = fmaf(dyT[j - j0][o], xp[i][c][oh + kh*dh][ow + kw*dw], acc)
 *     dw[o][t] = dw[o][t] + acc                                    (one rounding)
 * the element of sgemm(dy, col^T, beta = 1) over the chunk, bit for bit; the
 * twins put output channels in lanes, never positions. */
typedef void sg_conv_s1_dw_k(const sg_conv_s1_geom *g, const float *xp, int64_t img_floats, const float *dyT,
                             int64_t ldo, int64_t j0, int64_t nj, int64_t o0, int64_t o1, int64_t t0, int64_t t1,
                             float *dw);
typedef sg_conv_s1_dw_k *sg_conv_s1_dw_fn;
/* The input gradient of a stride-1 convolution of one image (one group) over
 * one chunk of its output positions [jlo, jhi) (j = oh*OW + ow; the chunks of
 * the general path). dyq [O][HQ][WQ]: the image's output gradient with
 * TQ = (KH-1)*dh rows and LQ = (KW-1)*dw columns of padding on each side
 * (HQ = OH + 2 TQ, WQ = OW + 2 LQ) plus SG_CONV_S1_SLACK floats after the
 * last plane, values there never used; w [O][C][KH][KW]; dx [C][H][W]. For
 * the input channels [c0, c1), each pixel (ih, iw), each tap (kh, kw) in
 * increasing order whose output position oh = ih + pt - kh*dh,
 * ow = iw + pl - kw*dw lies in the output and in the chunk:
 *     d = 0;  for o increasing: d = fmaf(w[o][c][kh][kw], dy[o][oh][ow], d)
 *     dx[c][ih][iw] = dx[c][ih][iw] + d                        (one rounding)
 * and nothing for the other taps: the additions of sgemm(w^T, dy) + col2im
 * for that chunk, in their order, bit for bit. */
typedef struct sg_conv_s1_dx_geom {
    int64_t C, O, H, W, OH, OW, KH, KW, dil_h, dil_w, pad_top, pad_left;
} sg_conv_s1_dx_geom;
typedef void sg_conv_s1_dx_k(const sg_conv_s1_dx_geom *g, const float *dyq, const float *w, int64_t jlo,
                             int64_t jhi, int64_t c0, int64_t c1, float *dx);
typedef sg_conv_s1_dx_k *sg_conv_s1_dx_fn;
#define SG_KERNEL_FAMILIES_CONV(X)                                                                        \
    X(im2col, sg_im2col_fn) X(col2im, sg_col2im_fn) X(conv_s1, sg_conv_s1_fn) X(conv_s1_dw, sg_conv_s1_dw_fn) \
    X(conv_s1_dx, sg_conv_s1_dx_fn)
/* Nearest and bilinear resizing of `planes` planes [H, W] -> [OH, OW]
 * (layers/upsample.c builds the tables with PyTorch's index arithmetic):
 * output row i reads source rows h0[i] and h1[i] with weights lh0[i], lh1[i],
 * output column j source columns w0[j], w1[j] with lw0[j], lw1[j]; nearest
 * reads h0 and w0 only (the weights may be NULL). Per output element:
 *     nearest forward   y[i][j] = x[h0[i]][w0[j]]
 *     bilinear forward  y[i][j] = lh0[i] * (lw0[j] * x[h0][w0] + lw1[j] * x[h0][w1])
 *                               + lh1[i] * (lw0[j] * x[h1][w0] + lw1[j] * x[h1][w1])
 *                       (each product and sum rounded apart, in this order)
 * Backward, dx += in (i, j) increasing order per plane:
 *     nearest           dx[h0[i]][w0[j]] += dy[i][j]
 *     bilinear          dx[h0][w0] += (lh0[i] * lw0[j]) * dy[i][j], then [h0][w1] with lh0 * lw1,
 *                       [h1][w0] with lh1 * lw0, [h1][w1] with lh1 * lw1 */
typedef struct sg_resize_geom {
    int64_t H, W, OH, OW;
    const int64_t *h0, *h1, *w0, *w1;
    const float *lh0, *lh1, *lw0, *lw1;
} sg_resize_geom;
typedef void sg_resize_forward_k(const sg_resize_geom *g, const float *x, float *y, int64_t planes);
typedef void sg_resize_backward_k(const sg_resize_geom *g, const float *dy, float *dx, int64_t planes);
typedef sg_resize_forward_k sg_up_nearest_forward_k, sg_up_bilinear_forward_k;
typedef sg_resize_backward_k sg_up_nearest_backward_k, sg_up_bilinear_backward_k;
typedef sg_resize_forward_k *sg_resize_forward_fn;
typedef sg_resize_backward_k *sg_resize_backward_fn;
#define SG_KERNEL_FAMILIES_RESIZE(X)                                                              \
    X(up_nearest_forward, sg_resize_forward_fn) X(up_nearest_backward, sg_resize_backward_fn)    \
    X(up_bilinear_forward, sg_resize_forward_fn) X(up_bilinear_backward, sg_resize_backward_fn)
/* Reductions along axes (layers/reduce.c collapses the axes and walks them;
 * core/kernels/reduce_scalar.c states the order). A walk is the positions of
 * an odometer over n dims (row-major: the last dim fastest; n = 0: one
 * position, offset 0); each position is an offset sum idx[d] * stride[d]. */
enum { SG_REDUCE_WALK_DIMS = 8 };
typedef struct sg_reduce_walk {
    int n;
    int64_t size[SG_REDUCE_WALK_DIMS], stride[SG_REDUCE_WALK_DIMS];
} sg_reduce_walk;
/* Column sums: acc[i] += (double)base[off + i] for i < w, the walk's positions in order. */
typedef void sg_reduce_sum_cols_k(const sg_reduce_walk *red, const float *base, int64_t w, double *acc);
typedef sg_reduce_sum_cols_k *sg_reduce_sum_cols_fn;
/* The maximum of runs of len contiguous values, one run at each walk position
 * (len >= 1, at least one position): scanning runs in walk order and each run
 * in increasing index, v beats the best when v > best or v is NaN and the best
 * is not, so *best is the first maximum (or the first NaN) and *at its offset
 * from base (off + i). */
typedef void sg_reduce_max_runs_k(const sg_reduce_walk *red, const float *base, int64_t len, float *best,
                                  int64_t *at);
typedef sg_reduce_max_runs_k *sg_reduce_max_runs_fn;
/* The same per column i < w over the walk: best[i], at[i] (offset from base, off + i). */
typedef void sg_reduce_max_cols_k(const sg_reduce_walk *red, const float *base, int64_t w, float *best,
                                  int64_t *at);
typedef sg_reduce_max_cols_k *sg_reduce_max_cols_fn;
/* The sum's gradient, a broadcast: dx[i] += scale * dy[i * sdy], sdy 0 or 1
 * (the product rounded, then the sum). */
typedef void sg_reduce_sum_backward_k(float *dx, const float *dy, int64_t sdy, float scale, int64_t n);
typedef sg_reduce_sum_backward_k *sg_reduce_sum_backward_fn;
/* The maximum's gradient: dx[at[j]] += dy[j] in increasing j. */
typedef void sg_reduce_max_backward_k(float *dx, const float *dy, const int64_t *at, int64_t n);
typedef sg_reduce_max_backward_k *sg_reduce_max_backward_fn;
#define SG_KERNEL_FAMILIES_REDUCE(X)                                                                    \
    X(reduce_sum_cols, sg_reduce_sum_cols_fn) X(reduce_max_runs, sg_reduce_max_runs_fn)                \
    X(reduce_max_cols, sg_reduce_max_cols_fn) X(reduce_sum_backward, sg_reduce_sum_backward_fn)        \
    X(reduce_max_backward, sg_reduce_max_backward_fn)
#define SG_K_GRID_DECLARE(isa)                                                                         \
    SG_KERNEL_FAMILIES_CONV(SG_K_NORM_DECL1_##isa) SG_KERNEL_FAMILIES_RESIZE(SG_K_NORM_DECL1_##isa)    \
    SG_KERNEL_FAMILIES_REDUCE(SG_K_NORM_DECL1_##isa)
SG_K_GRID_DECLARE(scalar)
#if defined(__x86_64__) || defined(__i386__)
SG_K_GRID_DECLARE(avx2)
SG_K_GRID_DECLARE(avx512)
#endif
#if defined(__aarch64__)
SG_K_GRID_DECLARE(neon)
#endif

/* The kernel families behind the table: X(family, function type). Each has a
 * scalar twin sg_k_<family>_scalar; table.c lists the SIMD ones. */
#define SG_KERNEL_FAMILIES(X)                                                 \
    X(sgemm, sg_sgemm_fn) X(sums, sg_sums_fn) X(dw_forward, sg_dw_forward_fn) \
    X(dw_backward_data, sg_dw_backward_data_fn)                               \
    X(dw_backward_weight, sg_dw_backward_weight_fn)                           \
    SG_KERNEL_FAMILIES_EW(X) SG_KERNEL_FAMILIES_NORM(X) SG_KERNEL_FAMILIES_POOL(X)        \
    SG_KERNEL_FAMILIES_CONV(X) SG_KERNEL_FAMILIES_RESIZE(X) SG_KERNEL_FAMILIES_REDUCE(X)  \
    SG_KERNEL_FAMILIES_DATA(X)

enum {
#define SG_KERNEL_ENUM_(family, fn_type) SG_KERNEL_##family,
    SG_KERNEL_FAMILIES(SG_KERNEL_ENUM_)
#undef SG_KERNEL_ENUM_
    SG_KERNEL_FAMILY_COUNT
};

/* One ISA's kernels: per family, the function and the ISA it was written for
 * (an ISA without a kernel of its own runs its fallback's, core/isa.h). */
typedef struct sg_kernel_table {
    sg_isa isa;
#define SG_KERNEL_FIELD_(family, fn_type) fn_type family; sg_isa family##_isa;
    SG_KERNEL_FAMILIES(SG_KERNEL_FIELD_)
#undef SG_KERNEL_FIELD_
} sg_kernel_table;

/* The table in use (selected on first use from SG_ISA or the CPU). */
const sg_kernel_table *sg_kernels(void);
/* Use the kernels of `isa`; SG_ERR_UNSUPPORTED if this machine cannot run them. */
sg_err sg_kernels_select(sg_isa isa);
/* The table an ISA would give (for tests comparing SIMD with scalar);
 * NULL if the machine cannot run it. */
const sg_kernel_table *sg_kernels_for(sg_isa isa);
/* "sgemm" for SG_KERNEL_sgemm; "?" out of range. */
const char *sg_kernel_family_name(int family);
/* The ISA whose implementation of `family` the table runs. */
sg_isa sg_kernel_family_isa(const sg_kernel_table *t, int family);

void sg_k_sgemm_scalar(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc);
double sg_k_sums_scalar(sg_sums_op op, const float *x, const float *y, double center, int64_t n);
void sg_k_dw_forward_scalar(const sg_dw_geom *g, const float *x, const float *w, float bias,
                            bool accumulate, float *y);
void sg_k_dw_backward_data_scalar(const sg_dw_geom *g, const float *dy, const float *w, float *dx);
void sg_k_dw_backward_weight_scalar(const sg_dw_geom *g, int64_t N, const float *x, int64_t x_img,
                                    const float *dy, int64_t dy_img, float *dw);

#if defined(__x86_64__) || defined(__i386__)
/* AVX2 + FMA (core/kernels/sgemm_avx2.c); only called when the CPU and OS have them. */
void sg_k_sgemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc);
/* AVX-512F (core/kernels/sgemm_avx512.c); likewise. */
void sg_k_sgemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc);
double sg_k_sums_avx2(sg_sums_op op, const float *x, const float *y, double center, int64_t n);
double sg_k_sums_avx512(sg_sums_op op, const float *x, const float *y, double center, int64_t n);
/* Depthwise planes with AVX2 and AVX-512F (core/kernels/depthwise_avx2.c, _avx512.c). */
void sg_k_dw_forward_avx2(const sg_dw_geom *g, const float *x, const float *w, float bias,
                          bool accumulate, float *y);
void sg_k_dw_backward_data_avx2(const sg_dw_geom *g, const float *dy, const float *w, float *dx);
void sg_k_dw_forward_avx512(const sg_dw_geom *g, const float *x, const float *w, float bias,
                            bool accumulate, float *y);
void sg_k_dw_backward_data_avx512(const sg_dw_geom *g, const float *dy, const float *w, float *dx);
#endif
#if defined(__aarch64__)
/* AArch64 Advanced SIMD (core/kernels/sgemm_neon.c, sums_neon.c); only called
 * when getauxval(AT_HWCAP) has HWCAP_ASIMD (core/cpu.c). */
void sg_k_sgemm_neon(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc);
double sg_k_sums_neon(sg_sums_op op, const float *x, const float *y, double center, int64_t n);
#endif

#endif

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
#include <stdint.h>

#include "core/cpu.h"
#include "core/error.h"

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
/* The output positions [lo, hi) of a row whose input ow*stride + off lies in [0, in_size). */
void sg_dw_tap_range(int64_t off, int64_t stride, int64_t in_size, int64_t out_size, int64_t *lo,
                     int64_t *hi);

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

#define SG_KERNEL_FAMILIES_EW(X)                                                    \
    X(sgd, sg_sgd_fn) X(adam, sg_adam_fn) X(ew_binary, sg_ew_binary_fn)             \
    X(ew_grad, sg_ew_grad_fn)                                                       \
    X(act_forward, sg_act_forward_fn) X(act_backward, sg_act_backward_fn)           \
    X(mathf, sg_mathf_fn)

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
    void sg_k_mathf_##isa(sg_mathf_op op, const float *x, float *y, int64_t n);
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
 * e = sg_expf(x - m), sum += e in double in increasing d;
 * softmax y = e * (float)(1.0 / sum); log_softmax y = (x - m) - sg_logf((float)sum). */
enum { SG_SOFTMAX_LINES = 64 };
typedef void sg_softmax_forward_k(const float *x, float *y, int64_t D, int64_t stride, int64_t w, bool log);
typedef sg_softmax_forward_k *sg_softmax_forward_fn;
/* Their gradient, accumulated: a = (float)(sum over d in increasing d, in double, of
 * log ? dy : (double)dy * y); dx += log ? dy - sg_expf(y) * a : y * (dy - a). */
typedef void sg_softmax_backward_k(const float *y, const float *dy, float *dx, int64_t D, int64_t stride,
                                       int64_t w, bool log);
typedef sg_softmax_backward_k *sg_softmax_backward_fn;
/* Attention's softmax of one row of S scores, in place (layers/attention.c):
 * mx = -inf, then mx = row[s] > mx ? row[s] : mx (NaN skipped); row = sg_expf(row - mx);
 * row *= (float)(1.0 / the canonical sum of the row (core/sum.h)). */
typedef void sg_attn_softmax_forward_k(float *row, int64_t S);
typedef sg_attn_softmax_forward_k *sg_attn_softmax_forward_fn;
/* Its gradient in place: dot = 0.0f, dot += d[s] * p[s] in float in increasing s;
 * then d[s] = p[s] * (d[s] - dot). */
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
 * s = the plane's values added in double one by one in increasing index. */
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

/* The kernel families behind the table: X(family, function type). Each has a
 * scalar twin sg_k_<family>_scalar; table.c lists the SIMD ones. */
#define SG_KERNEL_FAMILIES(X)                                                 \
    X(sgemm, sg_sgemm_fn) X(sums, sg_sums_fn) X(dw_forward, sg_dw_forward_fn) \
    X(dw_backward_data, sg_dw_backward_data_fn)                               \
    SG_KERNEL_FAMILIES_EW(X) SG_KERNEL_FAMILIES_NORM(X) SG_KERNEL_FAMILIES_POOL(X)

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

/* core/kernels/ew_simd.h - the binary elementwise ops, the pointwise
 * activations and the vector math family written once over the vector
 * primitives of simd_<isa>.h; ew_avx2.c, ew_avx512.c and ew_neon.c include
 * their ISA's primitives and then this file, which defines
 * sg_k_{ew_binary,ew_grad,act_forward,act_backward,mathf}_<isa>.
 *
 * Lane l does element i + l's operations as the scalar twin (ew_scalar.c)
 * writes them, in the same order: a * b * c is (a * b) * c, no fma where the
 * scalar code has none, the math functions of vmathf.h (bit for bit
 * core/mathf.c), `c ? a : b` as a per-lane select of both sides. The kind is
 * chosen once per call; the last n % SGV_W elements go to the scalar twin. */
#ifndef SGV_ISA
#error "include core/kernels/simd_<isa>.h first"
#endif

#include "core/kernels/kernels.h"
#include "core/kernels/vmathf.h"
#include "core/rng_normal.h"

#define SGV_CAT2_(a, b) a##_##b
#define SGV_CAT_(a, b) SGV_CAT2_(a, b)
#define SGV_FN(name) SGV_CAT_(name, SGV_ISA)

/* for each whole vector at i: BODY */
#define SGV_LOOP(BODY)                              \
    for (; i + SGV_W <= n; i += SGV_W) {            \
        BODY                                        \
    }

void SGV_FN(sg_k_ew_binary)(sg_ew_op op, const float *a, int64_t sa, const float *b, int64_t sb, float *y,
                            int64_t n)
{
    int64_t i = 0;
    if (n >= SGV_W) {
        const sgv a0 = sgv_set1(a[0]), b0 = sgv_set1(b[0]);
#define BINARY_(VOP)                                               \
    SGV_LOOP(const sgv A = sa ? sgv_load(a + i) : a0;              \
             const sgv B = sb ? sgv_load(b + i) : b0;              \
             sgv_store(y + i, VOP(A, B));)
        switch (op) {
        case SG_EW_ADD: BINARY_(sgv_add); break;
        case SG_EW_SUB: BINARY_(sgv_sub); break;
        case SG_EW_MUL: BINARY_(sgv_mul); break;
        case SG_EW_DIV: BINARY_(sgv_div); break;
        }
#undef BINARY_
    }
    if (i < n) sg_k_ew_binary_scalar(op, a + i * sa, sa, b + i * sb, sb, y + i, n - i);
}

void SGV_FN(sg_k_ew_grad)(sg_ew_grad_op op, const float *dy, const float *y, const float *o, int64_t so,
                          float *dst, int64_t n)
{
    int64_t i = 0;
    if (n >= SGV_W) {
        const sgv o0 = sgv_set1(o[0]);
#define GRAD_(TERM)                                                \
    SGV_LOOP(const sgv O = so ? sgv_load(o + i) : o0;              \
             const sgv g = sgv_load(dy + i);                       \
             sgv_store(dst + i, sgv_add(sgv_load(dst + i), TERM));)
        switch (op) {
        case SG_EW_GRAD_TIMES: GRAD_(sgv_mul(g, O)); break;
        case SG_EW_GRAD_OVER: GRAD_(sgv_div(g, O)); break;
        case SG_EW_GRAD_DIV_DENOM: GRAD_(sgv_mul(sgv_neg(g), sgv_div(sgv_load(y + i), O))); break;
        }
#undef GRAD_
    }
    if (i < n)
        sg_k_ew_grad_scalar(op, dy + i, y ? y + i : NULL, o + i * so, so, dst + i, n - i);
}

void SGV_FN(sg_k_act_forward)(sg_act_kind kind, float p0, float p1, const float *x, float *y, int64_t n)
{
    const sgv zero = sgv_set1(0.0f), one = sgv_set1(1.0f), half = sgv_set1(0.5f), lo = sgv_set1(p0),
              hi = sgv_set1(p1);
    int64_t i = 0;
    switch (kind) {
    case SG_ACT_RELU:
        SGV_LOOP(const sgv v = sgv_load(x + i); sgv_store(y + i, sgv_sel0(sgv_gt(v, zero), v));)
        break;
    case SG_ACT_HARDTANH:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 sgv_store(y + i, sgv_sel(sgv_lt(v, lo), lo, sgv_sel(sgv_gt(v, hi), hi, v)));)
        break;
    case SG_ACT_LEAKY_RELU:
        SGV_LOOP(const sgv v = sgv_load(x + i); sgv_store(y + i, sgv_sel(sgv_gt(v, zero), v, sgv_mul(v, lo)));)
        break;
    case SG_ACT_GELU:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 const sgv erf = sgv_erff(sgv_mul(v, sgv_set1(SG_GELU_SQRT1_2)));
                 sgv_store(y + i, sgv_mul(sgv_mul(v, half), sgv_add(one, erf)));)
        break;
    case SG_ACT_GELU_TANH:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 const sgv cube = sgv_mul(sgv_mul(sgv_mul(sgv_set1(SG_GELU_TANH_KAPPA), v), v), v);
                 const sgv inner = sgv_mul(sgv_set1(SG_GELU_TANH_BETA), sgv_add(v, cube));
                 sgv_store(y + i, sgv_mul(sgv_mul(half, v), sgv_add(one, sgv_tanhf(inner))));)
        break;
    case SG_ACT_SIGMOID:
        SGV_LOOP(sgv_store(y + i, sgv_sigmoidf(sgv_load(x + i)));)
        break;
    case SG_ACT_TANH:
        SGV_LOOP(sgv_store(y + i, sgv_tanhf(sgv_load(x + i)));)
        break;
    }
    if (i < n) sg_k_act_forward_scalar(kind, p0, p1, x + i, y + i, n - i);
}

void SGV_FN(sg_k_act_backward)(sg_act_kind kind, float p0, float p1, const float *x, const float *y,
                               const float *dy, float *dx, int64_t n)
{
    const sgv zero = sgv_set1(0.0f), one = sgv_set1(1.0f), half = sgv_set1(0.5f), lo = sgv_set1(p0),
              hi = sgv_set1(p1);
    int64_t i = 0;
    switch (kind) {
    case SG_ACT_RELU:
        SGV_LOOP(const sgv d = sgv_sel0(sgv_gt(sgv_load(x + i), zero), sgv_load(dy + i));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_HARDTANH:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 const sgv d = sgv_sel0(sgv_and(sgv_gt(v, lo), sgv_lt(v, hi)), sgv_load(dy + i));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_LEAKY_RELU:
        SGV_LOOP(const sgv g = sgv_load(dy + i);
                 const sgv d = sgv_sel(sgv_gt(sgv_load(x + i), zero), g, sgv_mul(g, lo));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_GELU:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 const sgv cdf = sgv_mul(half, sgv_add(one, sgv_erff(sgv_mul(v, sgv_set1(SG_GELU_SQRT1_2)))));
                 const sgv pdf = sgv_mul(sgv_set1(SG_GELU_PDF), sgv_expf(sgv_mul(sgv_mul(sgv_set1(-0.5f), v), v)));
                 const sgv d = sgv_mul(sgv_load(dy + i), sgv_add(cdf, sgv_mul(v, pdf)));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_GELU_TANH:
        SGV_LOOP(const sgv v = sgv_load(x + i);
                 const sgv x2 = sgv_mul(v, v);
                 const sgv cube = sgv_mul(sgv_mul(sgv_set1(SG_GELU_TANH_KAPPA), x2), v);
                 const sgv t = sgv_tanhf(sgv_mul(sgv_set1(SG_GELU_TANH_BETA), sgv_add(v, cube)));
                 const sgv left = sgv_mul(half, sgv_add(one, t));
                 const sgv slope = sgv_add(one, sgv_mul(sgv_set1(3.0f * SG_GELU_TANH_KAPPA), x2));
                 const sgv right = sgv_mul(
                     sgv_mul(sgv_mul(sgv_mul(half, v), sgv_sub(one, sgv_mul(t, t))), sgv_set1(SG_GELU_TANH_BETA)),
                     slope);
                 const sgv d = sgv_mul(sgv_load(dy + i), sgv_add(left, right));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_SIGMOID:
        SGV_LOOP(const sgv yv = sgv_load(y + i);
                 const sgv d = sgv_mul(sgv_mul(sgv_load(dy + i), sgv_sub(one, yv)), yv);
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    case SG_ACT_TANH:
        SGV_LOOP(const sgv yv = sgv_load(y + i);
                 const sgv d = sgv_mul(sgv_load(dy + i), sgv_sub(one, sgv_mul(yv, yv)));
                 sgv_store(dx + i, sgv_add(sgv_load(dx + i), d));)
        break;
    }
    if (i < n) sg_k_act_backward_scalar(kind, p0, p1, x ? x + i : NULL, y ? y + i : NULL, dy + i, dx + i, n - i);
}

void SGV_FN(sg_k_mathf)(sg_mathf_op op, const float *x, float *y, int64_t n)
{
    int64_t i = 0;
    switch (op) {
    case SG_MATHF_EXP: SGV_LOOP(sgv_store(y + i, sgv_expf(sgv_load(x + i)));) break;
    case SG_MATHF_TANH: SGV_LOOP(sgv_store(y + i, sgv_tanhf(sgv_load(x + i)));) break;
    case SG_MATHF_SIGMOID: SGV_LOOP(sgv_store(y + i, sgv_sigmoidf(sgv_load(x + i)));) break;
    case SG_MATHF_ERF: SGV_LOOP(sgv_store(y + i, sgv_erff(sgv_load(x + i)));) break;
    }
    if (i < n) sg_k_mathf_scalar(op, x + i, y + i, n - i);
}

/* Normal sampling: core/rng_normal.h's text, compiled with this ISA's flags
 * (fma() inline); the scalar twin compiles the same text. */
void SGV_FN(sg_k_rng_normal)(sg_rng_key key, uint64_t first, float *out, int64_t n, float mean, float std)
{
    sg_rng_normal_fill_blocks(key, first, out, n, mean, std);
}

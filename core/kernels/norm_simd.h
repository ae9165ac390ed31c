/* core/kernels/norm_simd.h - the SIMD twins of the normalisation and softmax
 * families, written once over norm_vec.h and compiled per ISA by
 * norm_avx2.c, norm_avx512.c and norm_neon.c (each defines SG_NV_<ISA> and
 * SG_NK_ISA, then includes this file). The scalar twins (norm_scalar.c)
 * define the bits; here:
 *
 * - elementwise parts run VL elements at a time with the same operations per
 *   element in the same order (no fma: the scalar has none), and the last
 *   n % VL elements through the very same norm_elem.h functions;
 * - LayerNorm's backward sums keep the canonical 16 lanes of core/sum.h in
 *   32 / VL double registers (nv_acc_tree: the tree 8-4-2-1), the tail in order;
 * - LayerNorm's affine gradients add in double lanes across columns (each
 *   column's sum is its own, in row order: the caller walks the rows);
 * - softmax vectorises across neighbouring lines (each lane one line, its
 *   max in the scalar's order, its canonical sums lane after lane:
 *   nv_lines_sum), or, on a single contiguous row, everything inside the
 *   row: the max (order-free: see norm_scalar.c), the exps with their
 *   canonical sum in the same pass (nv_exp_sum_row), the final scaling;
 *   exp is sgv_expf (vmathf.h, over the simd_<isa>.h primitives the
 *   including file brings in; sgv is the same vector type as vf), the bits of
 *   sg_expf. Line blocks narrower than VL run the scalar twin. */
#include <math.h>

#include "core/kernels/vmathf.h"
#include "core/kernels/norm_elem.h"
#include "core/mathf.h"

#define SG_NK_CAT2_(a, b) sg_k_##a##_##b
#define SG_NK_CAT_(a, b) SG_NK_CAT2_(a, b)
#define SG_NK(name) SG_NK_CAT_(name, SG_NK_ISA)

static inline vf nv_act(vf t, sg_bn_act act)
{
    const vf zero = vf_set1(0.0f), six = vf_set1(6.0f);
    if (act == SG_BN_ACT_RELU) return vf_sel_gt(t, zero, t, zero);
    if (act == SG_BN_ACT_RELU6) return vf_sel_lt(t, zero, zero, vf_sel_gt(t, six, six, t));
    return t;
}

void SG_NK(bn_forward)(const float *x, float *y, int64_t n, float mean, float invstd, float w, float b,
                       sg_bn_act act)
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd), vw = vf_set1(w), vb = vf_set1(b);
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        vf_store(y + i, nv_act(vf_add(vf_mul(vf_mul(vf_sub(vf_load(x + i), vm), vs), vw), vb), act));
    for (; i < n; i++) y[i] = sg_bn_act_elem(sg_bn_forward_elem(x[i], mean, invstd, w, b), act);
}

void SG_NK(bn_backward_dx)(const float *x, const float *dy, float *dx, int64_t n, float mean, float invstd,
                           float scale, float mean_dy, float mean_dy_xhat)
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd), vc = vf_set1(scale), vmd = vf_set1(mean_dy),
             vmx = vf_set1(mean_dy_xhat);
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        const vf xhat = vf_mul(vf_sub(vf_load(x + i), vm), vs);
        const vf t = vf_mul(vc, vf_sub(vf_sub(vf_load(dy + i), vmd), vf_mul(xhat, vmx)));
        vf_store(dx + i, vf_add(vf_load(dx + i), t));
    }
    for (; i < n; i++) dx[i] += sg_bn_backward_dx_elem(x[i], dy[i], mean, invstd, scale, mean_dy, mean_dy_xhat);
}

void SG_NK(bn_backward_sums)(const float *x, const float *dy, int64_t n, float mean, double sums[2])
{
    const vf vm = vf_set1(mean);
    vd a0[SG_NV_NACC], a1[SG_NV_NACC];
    for (int q = 0; q < SG_NV_NACC; q++) a0[q] = a1[q] = vd_zero();
    const int64_t n16 = n - n % 16;
    for (int64_t i = 0; i < n16; i += 16)
        for (int q = 0; q < 16 / VL; q++) {
            const vf d = vf_load(dy + i + q * VL), xm = vf_sub(vf_load(x + i + q * VL), vm);
            a0[2 * q] = vd_add(a0[2 * q], vd_lo(d));
            a0[2 * q + 1] = vd_add(a0[2 * q + 1], vd_hi(d));
            a1[2 * q] = vd_add(a1[2 * q], vd_mul(vd_lo(d), vd_lo(xm)));
            a1[2 * q + 1] = vd_add(a1[2 * q + 1], vd_mul(vd_hi(d), vd_hi(xm)));
        }
    double s0 = nv_acc_tree(a0), s1 = nv_acc_tree(a1);
    for (int64_t i = n16; i < n; i++) s0 += (double)dy[i];
    for (int64_t i = n16; i < n; i++) s1 += (double)dy[i] * (double)(x[i] - mean);
    sums[0] = s0, sums[1] = s1;
}

void SG_NK(ln_forward)(const float *x, const float *w, const float *b, float *y, int64_t D, float mean,
                       float invstd)
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd), one = vf_set1(1.0f), zero = vf_set1(0.0f);
    int64_t j = 0;
    for (; j + VL <= D; j += VL) {
        const vf xhat = vf_mul(vf_sub(vf_load(x + j), vm), vs);
        vf_store(y + j, vf_add(vf_mul(xhat, w ? vf_load(w + j) : one), b ? vf_load(b + j) : zero));
    }
    for (; j < D; j++) y[j] = sg_ln_forward_elem(x[j], w ? w[j] : 1.0f, b ? b[j] : 0.0f, mean, invstd);
}

void SG_NK(ln_backward_sums)(const float *x, const float *dy, const float *w, int64_t D, float mean, float invstd,
                             double sums[2])
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd), one = vf_set1(1.0f);
    vd a0[SG_NV_NACC], a1[SG_NV_NACC];
    for (int q = 0; q < SG_NV_NACC; q++) a0[q] = a1[q] = vd_zero();
    const int64_t n16 = D - D % 16;
    for (int64_t i = 0; i < n16; i += 16)
        for (int q = 0; q < 16 / VL; q++) {
            const int64_t j = i + q * VL;
            const vf g = vf_mul(vf_load(dy + j), w ? vf_load(w + j) : one);
            const vf xhat = vf_mul(vf_sub(vf_load(x + j), vm), vs);
            a0[2 * q] = vd_add(a0[2 * q], vd_lo(g));
            a0[2 * q + 1] = vd_add(a0[2 * q + 1], vd_hi(g));
            a1[2 * q] = vd_add(a1[2 * q], vd_mul(vd_lo(g), vd_lo(xhat)));
            a1[2 * q + 1] = vd_add(a1[2 * q + 1], vd_mul(vd_hi(g), vd_hi(xhat)));
        }
    double s0 = nv_acc_tree(a0), s1 = nv_acc_tree(a1);
    for (int64_t j = n16; j < D; j++) s0 += (double)(dy[j] * (w ? w[j] : 1.0f));
    for (int64_t j = n16; j < D; j++) s1 += (double)(dy[j] * (w ? w[j] : 1.0f)) * ((x[j] - mean) * invstd);
    sums[0] = s0, sums[1] = s1;
}

void SG_NK(ln_backward_dx)(const float *x, const float *dy, const float *w, float *dx, int64_t D, float mean,
                           float invstd, float mean_g, float mean_g_xhat)
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd), vmg = vf_set1(mean_g), vmx = vf_set1(mean_g_xhat),
             one = vf_set1(1.0f);
    int64_t j = 0;
    for (; j + VL <= D; j += VL) {
        const vf g = vf_mul(vf_load(dy + j), w ? vf_load(w + j) : one);
        const vf xhat = vf_mul(vf_sub(vf_load(x + j), vm), vs);
        const vf t = vf_mul(vs, vf_sub(vf_sub(g, vmg), vf_mul(xhat, vmx)));
        vf_store(dx + j, vf_add(vf_load(dx + j), t));
    }
    for (; j < D; j++)
        dx[j] += sg_ln_backward_dx_elem(x[j], dy[j] * (w ? w[j] : 1.0f), mean, invstd, mean_g, mean_g_xhat);
}

void SG_NK(ln_backward_affine)(const float *x, const float *dy, int64_t n, float mean, float invstd, double *sw,
                               double *sb)
{
    const vf vm = vf_set1(mean), vs = vf_set1(invstd);
    int64_t j = 0;
    for (; j + VL <= n; j += VL) {
        const vf d = vf_load(dy + j), xhat = vf_mul(vf_sub(vf_load(x + j), vm), vs);
        vd_store(sw + j, vd_add(vd_load(sw + j), vd_mul(vd_lo(d), vd_lo(xhat))));
        vd_store(sw + j + VL / 2, vd_add(vd_load(sw + j + VL / 2), vd_mul(vd_hi(d), vd_hi(xhat))));
        vd_store(sb + j, vd_add(vd_load(sb + j), vd_lo(d)));
        vd_store(sb + j + VL / 2, vd_add(vd_load(sb + j + VL / 2), vd_hi(d)));
    }
    for (; j < n; j++) {
        sw[j] += (double)dy[j] * ((x[j] - mean) * invstd);
        sb[j] += dy[j];
    }
}

/* The largest lane of a vector of maxima (no NaN lanes: the selects skip
 * NaN), folded as a tree (order-free, and log2 VL steps deep, not VL). */
static inline float nv_fold_max(vf v)
{
    float l[VL];
    vf_store(l, v);
    for (int h = VL / 2; h > 0; h /= 2)
        for (int k = 0; k < h; k++) l[k] = l[k + h] > l[k] ? l[k + h] : l[k];
    return l[0];
}

/* The maximum of a row as the scalar's m = x[d] > m ? x[d] : m: the first
 * element if it is NaN, else the largest non-NaN value (a tie of +0 and -0
 * may come out either way; x - m, and so every result, is the same). */
static float nv_row_max(const float *x, int64_t D)
{
    if (x[0] != x[0]) return x[0];
    vf m4[4];   /* four independent chains (the maximum is order-free), then folded */
    for (int q = 0; q < 4; q++) m4[q] = vf_set1(-INFINITY);
    int64_t i = 0;
    for (; i + 4 * VL <= D; i += 4 * VL)
        for (int q = 0; q < 4; q++) {
            const vf v = vf_load(x + i + q * VL);
            m4[q] = vf_sel_gt(v, m4[q], v, m4[q]);
        }
    vf vm = vf_sel_gt(m4[1], m4[0], m4[1], m4[0]);
    vm = vf_sel_gt(m4[2], vm, m4[2], vm);
    vm = vf_sel_gt(m4[3], vm, m4[3], vm);
    for (; i + VL <= D; i += VL) {
        const vf v = vf_load(x + i);
        vm = vf_sel_gt(v, vm, v, vm);
    }
    float m = nv_fold_max(vm);
    for (; i < D; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* e = sg_expf(x[i] - m) over a contiguous row, stored in y unless y is NULL
 * (y may be x), and the canonical sum of the e's, in one pass. */
static inline double nv_exp_sum_row(const float *x, float *y, int64_t n, float m)
{
    const vf vm = vf_set1(m);
    vd acc[SG_NV_NACC];
    for (int q = 0; q < SG_NV_NACC; q++) acc[q] = vd_zero();
    const int64_t n16 = n - n % 16;
    int64_t i = 0;
    for (; i + 32 <= n16; i += 32) {   /* two blocks per step: more exps in flight */
        vf t[32 / VL];
        for (int q = 0; q < 32 / VL; q++) t[q] = sgv_expf(vf_sub(vf_load(x + i + q * VL), vm));
        if (y)
            for (int q = 0; q < 32 / VL; q++) vf_store(y + i + q * VL, t[q]);
        nv_acc_block(acc, t);
        nv_acc_block(acc, t + 16 / VL);
    }
    for (; i < n16; i += 16) {
        vf t[16 / VL];
        for (int q = 0; q < 16 / VL; q++) t[q] = sgv_expf(vf_sub(vf_load(x + i + q * VL), vm));
        if (y)
            for (int q = 0; q < 16 / VL; q++) vf_store(y + i + q * VL, t[q]);
        nv_acc_block(acc, t);
    }
    double sum = nv_acc_tree(acc);
    for (; i < n; i++) {
        const float e = sg_expf(x[i] - m);
        if (y) y[i] = e;
        sum += (double)e;
    }
    return sum;
}

void SG_NK(softmax_forward)(const float *x, float *y, int64_t D, int64_t s, int64_t w, bool log)
{
    if (w == 1 && s == 1) {   /* one contiguous row */
        const float m = nv_row_max(x, D);
        const vf vm = vf_set1(m);
        const double sum = nv_exp_sum_row(x, log ? NULL : y, D, m);
        int64_t i = 0;
        if (log) {
            const float lse = sg_logf((float)sum);
            const vf vl = vf_set1(lse);
            for (; i + VL <= D; i += VL) vf_store(y + i, vf_sub(vf_sub(vf_load(x + i), vm), vl));
            for (; i < D; i++) y[i] = (x[i] - m) - lse;
        } else {
            const float inv = (float)(1.0 / sum);
            const vf vi = vf_set1(inv);
            for (; i + VL <= D; i += VL) vf_store(y + i, vf_mul(vf_load(y + i), vi));
            for (; i < D; i++) y[i] *= inv;
        }
        return;
    }
    int64_t k0 = 0;
    for (; k0 + VL <= w; k0 += VL) {   /* VL lines, one per lane, each in the scalar's order */
        const float *xb = x + k0;
        float *yb = y + k0;
        vf vm = vf_load(xb);
        for (int64_t d = 1; d < D; d++) {
            const vf v = vf_load(xb + d * s);
            vm = vf_sel_gt(v, vm, v, vm);
        }
        for (int64_t d = 0; d < D; d++) vf_store(yb + d * s, sgv_expf(vf_sub(vf_load(xb + d * s), vm)));
        double sum[VL];
        float f[VL];
        nv_lines_sum(yb, NULL, D, s, sum);
        if (log) {
            for (int k = 0; k < VL; k++) f[k] = sg_logf((float)sum[k]);
            const vf vl = vf_load(f);
            for (int64_t d = 0; d < D; d++)
                vf_store(yb + d * s, vf_sub(vf_sub(vf_load(xb + d * s), vm), vl));
        } else {
            for (int k = 0; k < VL; k++) f[k] = (float)(1.0 / sum[k]);
            const vf vi = vf_load(f);
            for (int64_t d = 0; d < D; d++) vf_store(yb + d * s, vf_mul(vf_load(yb + d * s), vi));
        }
    }
    if (k0 < w) sg_k_softmax_forward_scalar(x + k0, y + k0, D, s, w - k0, log);
}

void SG_NK(softmax_backward)(const float *y, const float *dy, float *dx, int64_t D, int64_t s, int64_t w, bool log)
{
    if (w == 1 && s == 1) {   /* one contiguous row */
        const float a = (float)nv_row_sum(dy, log ? NULL : y, D);
        const vf va = vf_set1(a);
        int64_t d = 0;
        if (log) {
            for (; d + VL <= D; d += VL)
                vf_store(dx + d, vf_add(vf_load(dx + d),
                                        vf_sub(vf_load(dy + d), vf_mul(sgv_expf(vf_load(y + d)), va))));
            for (; d < D; d++) dx[d] += dy[d] - sg_expf(y[d]) * a;
        } else {
            for (; d + VL <= D; d += VL)
                vf_store(dx + d, vf_add(vf_load(dx + d), vf_mul(vf_load(y + d), vf_sub(vf_load(dy + d), va))));
            for (; d < D; d++) dx[d] += y[d] * (dy[d] - a);
        }
        return;
    }
    int64_t k0 = 0;
    for (; k0 + VL <= w; k0 += VL) {
        const float *yb = y + k0, *db = dy + k0;
        float *xb = dx + k0;
        double acc[VL];
        float f[VL];
        nv_lines_sum(db, log ? NULL : yb, D, s, acc);
        for (int k = 0; k < VL; k++) f[k] = (float)acc[k];
        const vf va = vf_load(f);
        for (int64_t d = 0; d < D; d++) {
            const vf g = vf_load(db + d * s), v = vf_load(yb + d * s);
            const vf t = log ? vf_sub(g, vf_mul(sgv_expf(v), va)) : vf_mul(v, vf_sub(g, va));
            vf_store(xb + d * s, vf_add(vf_load(xb + d * s), t));
        }
    }
    if (k0 < w) sg_k_softmax_backward_scalar(y + k0, dy + k0, dx + k0, D, s, w - k0, log);
}

void SG_NK(attn_softmax_forward)(float *row, int64_t S)
{
    vf vm = vf_set1(-INFINITY);
    int64_t s = 0;
    for (; s + VL <= S; s += VL) {
        const vf v = vf_load(row + s);
        vm = vf_sel_gt(v, vm, v, vm);
    }
    float mx = nv_fold_max(vm);
    for (; s < S; s++) mx = row[s] > mx ? row[s] : mx;
    const float inv = (float)(1.0 / nv_exp_sum_row(row, row, S, mx));   /* exp in place, canonical sum */
    const vf vi = vf_set1(inv);
    for (s = 0; s + VL <= S; s += VL) vf_store(row + s, vf_mul(vf_load(row + s), vi));
    for (; s < S; s++) row[s] *= inv;
}

void SG_NK(attn_softmax_backward)(const float *p, float *d, int64_t S)
{
    const float dot = (float)nv_row_sum(d, p, S);   /* canonical, products in double */
    const vf vdot = vf_set1(dot);
    int64_t s = 0;
    for (; s + VL <= S; s += VL) vf_store(d + s, vf_mul(vf_load(p + s), vf_sub(vf_load(d + s), vdot)));
    for (; s < S; s++) d[s] = p[s] * (d[s] - dot);
}

/* core/kernels/reduce_simd.h - the SIMD twins of the reductions along axes,
 * written once over norm_vec.h and compiled per ISA by reduce_avx2.c,
 * reduce_avx512.c and reduce_neon.c; bit for bit the scalar twins of
 * reduce_scalar.c (the walk is reduce_walk.h's, shared with them).
 *
 * - column sums: VL columns at once, widened to two vd halves and added to
 *   acc in the scalar's walk order (the same double additions per column);
 * - maximum of runs: per run, lane l folds the elements l, l + VL, ... with
 *   the scalar's "beats" (nv_take_first), the lanes' candidates are then
 *   picked as the scalar fold would (the NaN of smallest index, else the
 *   smallest index among those equal to the largest), the run's tail and the
 *   runs after one another by the scalar rule; indices as int32 (longer
 *   runs go to the scalar twin);
 * - maximum of columns: VL columns at once, the same fold per lane (offsets
 *   as int32: walks reaching past INT32_MAX go to the scalar twin);
 * - the sum's gradient: dx += scale * dy, VL at a time;
 * - the maximum's gradient has no twin (a scatter). */
#include <stdint.h>

#include "core/kernels/reduce_walk.h"

#define SG_RDK_CAT2_(a, b) sg_k_##a##_##b
#define SG_RDK_CAT_(a, b) SG_RDK_CAT2_(a, b)
#define SG_RDK(name) SG_RDK_CAT_(name, SG_NK_ISA)

void SG_RDK(reduce_sum_cols)(const sg_reduce_walk *red, const float *base, int64_t w, double *acc)
{
    sg_rw_cursor c;
    sg_rw_begin(red, &c);
    do {
        const float *row = base + c.off;
        int64_t i = 0;
        for (; i + VL <= w; i += VL) {
            const vf v = vf_load(row + i);
            vd_store(acc + i, vd_add(vd_load(acc + i), vd_lo(v)));
            vd_store(acc + i + VL / 2, vd_add(vd_load(acc + i + VL / 2), vd_hi(v)));
        }
        for (; i < w; i++) acc[i] += row[i];
    } while (sg_rw_next(red, &c));
}

/* The first maximum (first NaN) of x[0 .. n), n >= VL, as the scalar fold: value and index. */
static void max_run(const float *x, int64_t n, float *best, int64_t *at)
{
    vf m = vf_load(x);
    vi bi = vi_iota(0, 1);
    int64_t i = VL;
    for (; i + VL <= n; i += VL) nv_take_first(vf_load(x + i), vi_iota((int32_t)i, 1), &m, &bi);
    float lv[VL];
    int32_t li[VL];
    vf_store(lv, m);
    vi_store(li, bi);
    int k = -1;   /* the lane of the first NaN, else of the first of the largest */
    for (int l = 0; l < VL; l++)
        if (isnan(lv[l]) && (k < 0 || li[l] < li[k])) k = l;
    if (k < 0) {
        k = 0;
        for (int l = 1; l < VL; l++)
            if (lv[l] > lv[k] || (lv[l] == lv[k] && li[l] < li[k])) k = l;
    }
    float b = lv[k];
    int64_t a = li[k];
    for (; i < n; i++)
        if (sg_rw_beats(x[i], b)) b = x[i], a = i;
    *best = b, *at = a;
}

void SG_RDK(reduce_max_runs)(const sg_reduce_walk *red, const float *base, int64_t len, float *best, int64_t *at)
{
    if (len < VL || len > INT32_MAX - 2 * VL) {
        sg_k_reduce_max_runs_scalar(red, base, len, best, at);
        return;
    }
    float b = 0.0f;
    int64_t a = -1;
    sg_rw_cursor c;
    sg_rw_begin(red, &c);
    do {
        float rb;
        int64_t ra;
        max_run(base + c.off, len, &rb, &ra);
        if (a < 0 || sg_rw_beats(rb, b)) b = rb, a = c.off + ra;
    } while (sg_rw_next(red, &c));
    *best = b, *at = a;
}

void SG_RDK(reduce_max_cols)(const sg_reduce_walk *red, const float *base, int64_t w, float *best, int64_t *at)
{
    if (sg_rw_max_offset(red) > INT32_MAX - w) {
        sg_k_reduce_max_cols_scalar(red, base, w, best, at);
        return;
    }
    int64_t i = 0;
    for (; i + VL <= w; i += VL) {
        vf m = vf_load(base + i);
        vi bo = vi_iota(0, 0);   /* the offset of each lane's best */
        sg_rw_cursor c;
        sg_rw_begin(red, &c);
        do {
            nv_take_first(vf_load(base + c.off + i), vi_iota((int32_t)c.off, 0), &m, &bo);
        } while (sg_rw_next(red, &c));
        int32_t lo[VL];
        vf_store(best + i, m);
        vi_store(lo, bo);
        for (int l = 0; l < VL; l++) at[i + l] = (int64_t)lo[l] + i + l;
    }
    if (i < w) {   /* the last columns: the scalar twin on them */
        sg_k_reduce_max_cols_scalar(red, base + i, w - i, best + i, at + i);
        for (int64_t k = i; k < w; k++) at[k] += i;
    }
}

void SG_RDK(reduce_sum_backward)(float *dx, const float *dy, int64_t sdy, float scale, int64_t n)
{
    int64_t i = 0;
    if (sdy) {
        const vf s = vf_set1(scale);
        for (; i + VL <= n; i += VL) vf_store(dx + i, vf_add(vf_load(dx + i), vf_mul(s, vf_load(dy + i))));
    } else {
        const float v = scale * dy[0];
        const vf vv = vf_set1(v);
        for (; i + VL <= n; i += VL) vf_store(dx + i, vf_add(vf_load(dx + i), vv));
    }
    for (; i < n; i++) dx[i] += scale * dy[i * sdy];
}

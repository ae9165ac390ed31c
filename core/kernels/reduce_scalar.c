/* core/kernels/reduce_scalar.c - the scalar twins of the reductions along
 * axes (kernels.h states each contract; layers/reduce.c collapses the axes,
 * walks the kept positions from its threads and calls these).
 *
 * Order of operations. Column sums: per column, the walk's positions in
 * order, each value widened to double and added (one rounding each); columns
 * are independent, so a twin computes VL of them at once. (Sums along a
 * contiguous run are core/sum.h's canonical sum, the "sums" family.)
 * Maximum: a fold with "beats" (v > best, or v NaN and best not) in walk
 * order, then increasing index within a run; its result is the first maximum
 * (first NaN), which a twin may find lane by lane and then pick, among the
 * lanes' candidates, the one of smallest index among the NaNs or else among
 * those equal to the largest: the same element. Gradients: the sum's is
 * elementwise (product, then sum); the maximum's adds dy into distinct
 * elements in increasing j (one addition each, so any order gives the same
 * bits; it stays scalar: a scatter). */
#include "core/kernels/reduce_walk.h"

void sg_k_reduce_sum_cols_scalar(const sg_reduce_walk *red, const float *base, int64_t w, double *acc)
{
    sg_rw_cursor c;
    sg_rw_begin(red, &c);
    do {
        for (int64_t i = 0; i < w; i++) acc[i] += base[c.off + i];
    } while (sg_rw_next(red, &c));
}

void sg_k_reduce_max_runs_scalar(const sg_reduce_walk *red, const float *base, int64_t len, float *best,
                                 int64_t *at)
{
    float b = base[0];
    int64_t a = 0;
    sg_rw_cursor c;
    sg_rw_begin(red, &c);
    do {
        for (int64_t i = 0; i < len; i++)
            if (sg_rw_beats(base[c.off + i], b)) {
                b = base[c.off + i];
                a = c.off + i;
            }
    } while (sg_rw_next(red, &c));
    *best = b, *at = a;
}

void sg_k_reduce_max_cols_scalar(const sg_reduce_walk *red, const float *base, int64_t w, float *best, int64_t *at)
{
    for (int64_t i = 0; i < w; i++) best[i] = base[i], at[i] = i;
    sg_rw_cursor c;
    sg_rw_begin(red, &c);
    do {
        for (int64_t i = 0; i < w; i++)
            if (sg_rw_beats(base[c.off + i], best[i])) {
                best[i] = base[c.off + i];
                at[i] = c.off + i;
            }
    } while (sg_rw_next(red, &c));
}

void sg_k_reduce_sum_backward_scalar(float *dx, const float *dy, int64_t sdy, float scale, int64_t n)
{
    for (int64_t i = 0; i < n; i++) dx[i] += scale * dy[i * sdy];
}

void sg_k_reduce_max_backward_scalar(float *dx, const float *dy, const int64_t *at, int64_t n)
{
    for (int64_t j = 0; j < n; j++) dx[at[j]] += dy[j];
}

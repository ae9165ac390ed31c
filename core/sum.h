/* core/sum.h - the canonical reduction: sums and dot products of rows,
 * accumulated in double, in one fixed shape whatever the vector width.
 *
 * Every reduction in steelgrad (BatchNorm and LayerNorm statistics, bias
 * gradients, weight gradients of depthwise convolutions, loss means, gradient
 * norms, ...) runs through these helpers, so they define its bits:
 *
 *   lane[l] = sum of term(i) over i = l, l + 16, l + 32, ... in increasing i,
 *             for the whole blocks of 16 (i < n16 = n - n % 16);
 *   the 16 lanes are combined by a fixed pairwise tree
 *             lane[l] += lane[l + 8] (l < 8), then + 4 (l < 4), + 2, + 1;
 *   then the tail i = n16 .. n - 1 is added to lane[0] one by one, in order.
 *
 * A SIMD version keeps the 16 lanes in registers (four ymm of doubles, two
 * zmm, eight NEON q) and gives the same bits: the shape fixes every addition.
 * The float reductions below run through the kernel table (family "sums":
 * core/kernels/sums_scalar.c, sums_avx2.c, sums_avx512.c).
 * The order is fixed by n alone, so the result is the same on every run and
 * every thread count (callers split work between threads by rows, never inside
 * one). Independent lanes also let the CPU overlap the chains of additions. */
#ifndef SG_SUM_H
#define SG_SUM_H

#include <stdint.h>

enum { SG_SUM_LANES = 16 };

/* The canonical reduction of any term: `out` = sum over IDX = 0 .. n-1 of
 * TERM (a double expression of IDX), in the shape above. For the reductions
 * the functions below do not cover (e.g. LayerNorm's sum of dy * w * xhat),
 * so every reduction in the library has the one shape:
 *     double s;  SG_CANONICAL_SUM(s, D, j, (double)dy[j] * w[j]);  */
#define SG_CANONICAL_SUM(out, n, IDX, TERM)                                        \
    do {                                                                           \
        double sg_lane_[SG_SUM_LANES] = {0};                                       \
        const int64_t sg_n_ = (n), sg_n16_ = sg_n_ - sg_n_ % SG_SUM_LANES;         \
        for (int64_t sg_i_ = 0; sg_i_ < sg_n16_; sg_i_ += SG_SUM_LANES)            \
            for (int sg_l_ = 0; sg_l_ < SG_SUM_LANES; sg_l_++) {                   \
                const int64_t IDX = sg_i_ + sg_l_;                                 \
                sg_lane_[sg_l_] += (TERM);                                         \
            }                                                                      \
        for (int sg_h_ = SG_SUM_LANES / 2; sg_h_ > 0; sg_h_ /= 2)                  \
            for (int sg_l_ = 0; sg_l_ < sg_h_; sg_l_++) sg_lane_[sg_l_] += sg_lane_[sg_l_ + sg_h_]; \
        double sg_acc_ = sg_lane_[0];                                              \
        for (int64_t IDX = sg_n16_; IDX < sg_n_; IDX++) sg_acc_ += (TERM);         \
        (out) = sg_acc_;                                                           \
    } while (0)

/* sum x[i] */
double sg_sum_f32(const float *x, int64_t n);
/* sum x[i] (doubles, e.g. per-position losses) */
double sg_sum_f64(const double *x, int64_t n);
/* sum (x[i] - mean)^2, the difference taken in double */
double sg_sum_sq_dev_f32(const float *x, int64_t n, double mean);
/* sum a[i] * b[i], products in double */
double sg_dot_f32(const float *a, const float *b, int64_t n);
/* sum a[i] * (x[i] - center), the difference taken in float */
double sg_dot_centered_f32(const float *a, const float *x, float center, int64_t n);

#endif

/* core/sum.c - lane-wise float sums in double (see sum.h). */
#include "core/sum.h"

/* Lanes 0 .. SG_SUM_LANES - 1 added in order, then the tail element by element. */
#define LANE_REDUCE(TERM)                                                      \
    double lane[SG_SUM_LANES] = {0};                                           \
    int64_t i = 0;                                                             \
    for (; i + SG_SUM_LANES <= n; i += SG_SUM_LANES)                           \
        for (int l = 0; l < SG_SUM_LANES; l++) {                               \
            const int64_t k = i + l;                                           \
            lane[l] += (TERM);                                                 \
        }                                                                      \
    double acc = 0.0;                                                          \
    for (int l = 0; l < SG_SUM_LANES; l++) acc += lane[l];                     \
    for (; i < n; i++) {                                                       \
        const int64_t k = i;                                                   \
        acc += (TERM);                                                         \
    }                                                                          \
    return acc

double sg_sum_f32(const float *x, int64_t n) { LANE_REDUCE((double)x[k]); }

double sg_sum_sq_dev_f32(const float *x, int64_t n, double mean)
{
    LANE_REDUCE(((double)x[k] - mean) * ((double)x[k] - mean));
}

double sg_dot_f32(const float *a, const float *b, int64_t n)
{
    LANE_REDUCE((double)a[k] * (double)b[k]);
}

double sg_dot_centered_f32(const float *a, const float *x, float center, int64_t n)
{
    LANE_REDUCE((double)a[k] * (double)(x[k] - center));
}

/* core/sum.c - the canonical reduction (see sum.h for the shape it fixes).
 * Built with -ffp-contract=off like everything else: each product below is
 * rounded to double before it is added, exactly as written. */
#include "core/sum.h"

/* TERM is evaluated with k = the element's index. */
#define CANONICAL_REDUCE(TERM)                                                 \
    double lane[SG_SUM_LANES] = {0};                                           \
    int64_t i = 0;                                                             \
    for (; i + SG_SUM_LANES <= n; i += SG_SUM_LANES)                           \
        for (int l = 0; l < SG_SUM_LANES; l++) {                               \
            const int64_t k = i + l;                                           \
            lane[l] += (TERM);                                                 \
        }                                                                      \
    for (int half = SG_SUM_LANES / 2; half > 0; half /= 2)                     \
        for (int l = 0; l < half; l++) lane[l] += lane[l + half];              \
    double acc = lane[0];                                                      \
    for (; i < n; i++) {                                                       \
        const int64_t k = i;                                                   \
        acc += (TERM);                                                         \
    }                                                                          \
    return acc

double sg_sum_f32(const float *x, int64_t n) { CANONICAL_REDUCE((double)x[k]); }

double sg_sum_f64(const double *x, int64_t n) { CANONICAL_REDUCE(x[k]); }

double sg_sum_sq_dev_f32(const float *x, int64_t n, double mean)
{
    CANONICAL_REDUCE(((double)x[k] - mean) * ((double)x[k] - mean));
}

double sg_dot_f32(const float *a, const float *b, int64_t n)
{
    CANONICAL_REDUCE((double)a[k] * (double)b[k]);
}

double sg_dot_centered_f32(const float *a, const float *x, float center, int64_t n)
{
    CANONICAL_REDUCE((double)a[k] * (double)(x[k] - center));
}

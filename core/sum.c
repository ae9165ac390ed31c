/* core/sum.c - the canonical reduction (see sum.h for the shape it fixes).
 * Built with -ffp-contract=off like everything else: each product below is
 * rounded to double before it is added, exactly as written. */
#include "core/sum.h"

#define CANONICAL_REDUCE(TERM)                                                 \
    double acc;                                                                \
    SG_CANONICAL_SUM(acc, n, k, (TERM));                                       \
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

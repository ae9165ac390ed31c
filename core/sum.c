/* core/sum.c - the canonical reduction (see sum.h for the shape it fixes).
 * Built with -ffp-contract=off like everything else: each product is rounded
 * to double before it is added, exactly as written. */
#include "core/sum.h"

#include "core/kernels/kernels.h"

/* The float reductions run through the kernel table (sums_scalar.c is the
 * twin that defines them; SIMD twins give the same bits). */
double sg_sum_f32(const float *x, int64_t n) { return sg_kernels()->sums(SG_SUMS_PLAIN, x, NULL, 0, n); }

double sg_sum_f64(const double *x, int64_t n)
{
    double acc;
    SG_CANONICAL_SUM(acc, n, k, x[k]);
    return acc;
}

double sg_sum_sq_dev_f32(const float *x, int64_t n, double mean)
{
    return sg_kernels()->sums(SG_SUMS_SQ_DEV, x, NULL, mean, n);
}

/* Under 16 terms the canonical shape is only its tail (the exact products
 * added to 0.0 in order): done here, without the table's call (the depthwise
 * weight gradient dots rows of 7 by the million). The same bits. */
double sg_dot_f32(const float *a, const float *b, int64_t n)
{
    if (n >= SG_SUM_LANES) return sg_kernels()->sums(SG_SUMS_DOT, a, b, 0, n);
    double d = 0.0;
    for (int64_t i = 0; i < n; i++) d += (double)a[i] * (double)b[i];
    return d;
}

double sg_dot_centered_f32(const float *a, const float *x, float center, int64_t n)
{
    return sg_kernels()->sums(SG_SUMS_DOT_DEV, x, a, (double)center, n);
}

/* core/kernels/sums_scalar.c - the canonical reductions of core/sum.h, the
 * scalar twin: 16 lanes of doubles over whole blocks of 16 (element i in lane
 * i % 16), the pairwise tree 8-4-2-1, then the tail in order (SG_CANONICAL_SUM
 * spells it out). Each term is formed exactly as written below, rounded to
 * double where it is not exact:
 *   SG_SUMS_PLAIN     (double)x[i]
 *   SG_SUMS_SQ_DEV    ((double)x[i] - center)^2          (difference, square: two roundings)
 *   SG_SUMS_DOT       (double)x[i] * (double)y[i]        (exact: 24 + 24 bits)
 *   SG_SUMS_DOT_DEV   (double)y[i] * (double)(x[i] - (float)center)   (difference in float) */
#include "core/kernels/kernels.h"
#include "core/sum.h"

double sg_k_sums_scalar(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    double s = 0;
    const float cf = (float)center;
    switch (op) {
    case SG_SUMS_PLAIN: SG_CANONICAL_SUM(s, n, i, (double)x[i]); break;
    case SG_SUMS_SQ_DEV: SG_CANONICAL_SUM(s, n, i, ((double)x[i] - center) * ((double)x[i] - center)); break;
    case SG_SUMS_DOT: SG_CANONICAL_SUM(s, n, i, (double)x[i] * (double)y[i]); break;
    case SG_SUMS_DOT_DEV: SG_CANONICAL_SUM(s, n, i, (double)y[i] * (double)(x[i] - cf)); break;
    }
    return s;
}

/* core/kernels/sums_avx2.c - the canonical reductions with AVX2 (compiled
 * with ISA_FLAGS_avx2), bit for bit the scalar twin (sums_scalar.c).
 *
 * The 16 lanes live in four ymm of 4 doubles: v0 = lanes 0-3, v1 = 4-7,
 * v2 = 8-11, v3 = 12-15; each block of 16 floats is widened 4 at a time
 * (exactly) and its terms added lane-wise. The tree: lanes l += l + 8 is
 * v0 += v2, v1 += v3; l += l + 4 is v0 += v1; l += l + 2 adds the high half of
 * v0 to its low half; l += l + 1 the second double to the first. The tail is
 * the scalar loop. Products and differences are separate mul and sub (no
 * fma): the same roundings as the scalar terms. */
#include <immintrin.h>

#include "core/kernels/kernels.h"

/* Lanes 4q .. 4q+3 of block i as doubles: the term of each element. */
static inline __m256d term4(sg_sums_op op, const float *x, const float *y, __m256d center, __m128 cf)
{
    const __m256d xv = _mm256_cvtps_pd(_mm_loadu_ps(x));
    switch (op) {
    case SG_SUMS_PLAIN: return xv;
    case SG_SUMS_SQ_DEV: {
        const __m256d d = _mm256_sub_pd(xv, center);
        return _mm256_mul_pd(d, d);
    }
    case SG_SUMS_DOT: return _mm256_mul_pd(xv, _mm256_cvtps_pd(_mm_loadu_ps(y)));
    case SG_SUMS_DOT_DEV:
        return _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(y)), _mm256_cvtps_pd(_mm_sub_ps(_mm_loadu_ps(x), cf)));
    }
    return xv;
}

double sg_k_sums_avx2(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    const __m256d c = _mm256_set1_pd(center);
    const __m128 cf = _mm_set1_ps((float)center);
    __m256d v0 = _mm256_setzero_pd(), v1 = v0, v2 = v0, v3 = v0;
    const int64_t n16 = n - n % 16;
    const float *yb = y ? y : x;   /* read only by the two dot products, which have y */
    for (int64_t i = 0; i < n16; i += 16) {
        v0 = _mm256_add_pd(v0, term4(op, x + i, yb + i, c, cf));
        v1 = _mm256_add_pd(v1, term4(op, x + i + 4, yb + i + 4, c, cf));
        v2 = _mm256_add_pd(v2, term4(op, x + i + 8, yb + i + 8, c, cf));
        v3 = _mm256_add_pd(v3, term4(op, x + i + 12, yb + i + 12, c, cf));
    }
    v0 = _mm256_add_pd(v0, v2), v1 = _mm256_add_pd(v1, v3);                   /* l += l + 8 */
    v0 = _mm256_add_pd(v0, v1);                                                 /* l += l + 4 */
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v0), _mm256_extractf128_pd(v0, 1));   /* + 2 */
    double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));           /* l += l + 1 */
    const float cfs = (float)center;
    for (int64_t i = n16; i < n; i++) {
        switch (op) {
        case SG_SUMS_PLAIN: acc += (double)x[i]; break;
        case SG_SUMS_SQ_DEV: acc += ((double)x[i] - center) * ((double)x[i] - center); break;
        case SG_SUMS_DOT: acc += (double)x[i] * (double)y[i]; break;
        case SG_SUMS_DOT_DEV: acc += (double)y[i] * (double)(x[i] - cfs); break;
        }
    }
    return acc;
}

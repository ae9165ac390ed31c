/* core/kernels/sums_avx512.c - the canonical reductions with AVX-512F
 * (compiled with ISA_FLAGS_avx512), bit for bit the scalar twin
 * (sums_scalar.c).
 *
 * The 16 lanes live in two zmm of 8 doubles: v0 = lanes 0-7, v1 = 8-15; each
 * block of 16 floats is widened 8 at a time (exactly). The tree: l += l + 8 is
 * v0 += v1; l += l + 4 adds the high 256 bits of v0 to the low; l += l + 2 and
 * l += l + 1 as in sums_avx2.c. The tail is the scalar loop. Products and
 * differences are separate mul and sub (no fma), as the scalar terms. */
#include <immintrin.h>

#include "core/kernels/kernels.h"

static inline __m512d term8(sg_sums_op op, const float *x, const float *y, __m512d center, __m256 cf)
{
    const __m512d xv = _mm512_cvtps_pd(_mm256_loadu_ps(x));
    switch (op) {
    case SG_SUMS_PLAIN: return xv;
    case SG_SUMS_SQ_DEV: {
        const __m512d d = _mm512_sub_pd(xv, center);
        return _mm512_mul_pd(d, d);
    }
    case SG_SUMS_DOT: return _mm512_mul_pd(xv, _mm512_cvtps_pd(_mm256_loadu_ps(y)));
    case SG_SUMS_DOT_DEV:
        return _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(y)),
                             _mm512_cvtps_pd(_mm256_sub_ps(_mm256_loadu_ps(x), cf)));
    }
    return xv;
}

double sg_k_sums_avx512(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    const __m512d c = _mm512_set1_pd(center);
    const __m256 cf = _mm256_set1_ps((float)center);
    __m512d v0 = _mm512_setzero_pd(), v1 = v0;
    const int64_t n16 = n - n % 16;
    const float *yb = y ? y : x;   /* read only by the two dot products, which have y */
    for (int64_t i = 0; i < n16; i += 16) {
        v0 = _mm512_add_pd(v0, term8(op, x + i, yb + i, c, cf));
        v1 = _mm512_add_pd(v1, term8(op, x + i + 8, yb + i + 8, c, cf));
    }
    v0 = _mm512_add_pd(v0, v1);                                                          /* l += l + 8 */
    __m256d q = _mm256_add_pd(_mm512_castpd512_pd256(v0), _mm512_extractf64x4_pd(v0, 1)); /* + 4 */
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));      /* + 2 */
    double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));                    /* + 1 */
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

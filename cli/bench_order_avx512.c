/* cli/bench_order_avx512.c - the free-order variants of `steelgrad bench
 * order` (cli/bench_order.c), for AVX-512F (compiled with ISA_FLAGS_avx512 by
 * its name). They exist only in this bench, never in the library: each is
 * the canonical kernel's computation with the order of additions left to
 * speed, the way a framework without a determinism contract writes it.
 *
 *   free sums, double: the canonical terms (widened to double, differences and
 *     products rounded apart, as sums_avx512.c), added into 8 zmm of doubles
 *     (64 chains: i goes to chain i % 64) with no fixed tree: the compiler's
 *     _mm512_reduce_add_pd at the end, the tail added in any order. Only the
 *     order differs from the canonical kernel.
 *   free sums, float: the terms in float (x; (x - c)^2 by an fma; x * y by an
 *     fma) into 4 zmm of floats (64 chains), reduced by _mm512_reduce_add_ps:
 *     order and precision free, what most frameworks do.
 *   free softmax row: the canonical row's steps (vector max, e = exp(x - m)
 *     by vmathf.h's sgv_expf, the same bits as sg_expf, y = e * (1 / sum)),
 *     but the sum of the exps in 4 zmm accumulators of doubles (double) or
 *     floats (float) reduced in any order, instead of the canonical 16 lanes
 *     and tree.
 * Built without AVX-512 (another target), sg_bench_free_available() is false
 * and the functions are not called. */
#include <stdbool.h>
#include <stdint.h>

#include "core/kernels/kernels.h"
#include "core/mathf.h"

bool sg_bench_free_available(void);
double sg_bench_free_sums(bool in_double, sg_sums_op op, const float *x, const float *y, double center, int64_t n);
void sg_bench_free_softmax_row(bool in_double, const float *x, float *y, int64_t D);

#if defined(__AVX512F__)
#include "core/kernels/simd_avx512.h"
#include "core/kernels/vmathf.h"

bool sg_bench_free_available(void) { return true; }

static inline __m512d term_d(sg_sums_op op, const float *x, const float *y, __m512d c)
{
    const __m512d xv = _mm512_cvtps_pd(_mm256_loadu_ps(x));
    if (op == SG_SUMS_SQ_DEV) {
        const __m512d d = _mm512_sub_pd(xv, c);
        return _mm512_mul_pd(d, d);
    }
    if (op == SG_SUMS_DOT) return _mm512_mul_pd(xv, _mm512_cvtps_pd(_mm256_loadu_ps(y)));
    return xv;
}

static inline double free_sums_d(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    const __m512d c = _mm512_set1_pd(center);
    __m512d a[8];
    for (int k = 0; k < 8; k++) a[k] = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int k = 0; k < 8; k++) a[k] = _mm512_add_pd(a[k], term_d(op, x + i + 8 * k, y + i + 8 * k, c));
    for (; i + 8 <= n; i += 8) a[0] = _mm512_add_pd(a[0], term_d(op, x + i, y + i, c));
    for (int k = 1; k < 8; k++) a[0] = _mm512_add_pd(a[0], a[k]);
    double s = _mm512_reduce_add_pd(a[0]);
    for (; i < n; i++) {
        const double t = op == SG_SUMS_SQ_DEV ? ((double)x[i] - center) * ((double)x[i] - center)
                         : op == SG_SUMS_DOT  ? (double)x[i] * (double)y[i]
                                              : (double)x[i];
        s += t;
    }
    return s;
}

static inline double free_sums_f(sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    const __m512 c = _mm512_set1_ps((float)center);
    __m512 a[4];
    for (int k = 0; k < 4; k++) a[k] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int k = 0; k < 4; k++) {
            const __m512 v = _mm512_loadu_ps(x + i + 16 * k);
            if (op == SG_SUMS_SQ_DEV) {
                const __m512 d = _mm512_sub_ps(v, c);
                a[k] = _mm512_fmadd_ps(d, d, a[k]);
            } else if (op == SG_SUMS_DOT) {
                a[k] = _mm512_fmadd_ps(v, _mm512_loadu_ps(y + i + 16 * k), a[k]);
            } else {
                a[k] = _mm512_add_ps(a[k], v);
            }
        }
    a[0] = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3]));
    float s = _mm512_reduce_add_ps(a[0]);
    const float cf = (float)center;
    for (; i < n; i++) {
        const float t = op == SG_SUMS_SQ_DEV ? (x[i] - cf) * (x[i] - cf) : op == SG_SUMS_DOT ? x[i] * y[i] : x[i];
        s += t;
    }
    return s;
}

double sg_bench_free_sums(bool in_double, sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    /* one specialised loop per op (the op is a constant inside each call) */
    switch (op) {
    case SG_SUMS_SQ_DEV:
        return in_double ? free_sums_d(SG_SUMS_SQ_DEV, x, y, center, n) : free_sums_f(SG_SUMS_SQ_DEV, x, y, center, n);
    case SG_SUMS_DOT:
        return in_double ? free_sums_d(SG_SUMS_DOT, x, y, center, n) : free_sums_f(SG_SUMS_DOT, x, y, center, n);
    default:
        return in_double ? free_sums_d(SG_SUMS_PLAIN, x, y, center, n) : free_sums_f(SG_SUMS_PLAIN, x, y, center, n);
    }
}

void sg_bench_free_softmax_row(bool in_double, const float *x, float *y, int64_t D)
{
    /* the maximum (order-free, as the canonical kernel's) */
    int64_t i = 0;
    __m512 vm = _mm512_set1_ps(-INFINITY);
    for (; i + 16 <= D; i += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(x + i));
    float m = _mm512_reduce_max_ps(vm);
    for (; i < D; i++) m = x[i] > m ? x[i] : m;
    /* the exps, and their sum in any order */
    const __m512 mv = _mm512_set1_ps(m);
    __m512d ad[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
    __m512 af[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (i = 0; i + 32 <= D; i += 32) {
        const __m512 e0 = sgv_expf(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv));
        const __m512 e1 = sgv_expf(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), mv));
        _mm512_storeu_ps(y + i, e0);
        _mm512_storeu_ps(y + i + 16, e1);
        if (in_double) {
            ad[0] = _mm512_add_pd(ad[0], _mm512_cvtps_pd(_mm512_castps512_ps256(e0)));
            ad[1] = _mm512_add_pd(ad[1], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e0), 1))));
            ad[2] = _mm512_add_pd(ad[2], _mm512_cvtps_pd(_mm512_castps512_ps256(e1)));
            ad[3] = _mm512_add_pd(ad[3], _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e1), 1))));
        } else {
            af[0] = _mm512_add_ps(af[0], e0);
            af[1] = _mm512_add_ps(af[1], e1);
        }
    }
    double sum = in_double ? _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(ad[0], ad[1]), _mm512_add_pd(ad[2], ad[3])))
                           : (double)_mm512_reduce_add_ps(_mm512_add_ps(af[0], af[1]));
    for (; i < D; i++) {
        y[i] = sg_expf(x[i] - m);
        sum += y[i];
    }
    const float r = (float)(1.0 / sum);
    const __m512 rv = _mm512_set1_ps(r);
    for (i = 0; i + 16 <= D; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), rv));
    for (; i < D; i++) y[i] *= r;
}

#else

bool sg_bench_free_available(void) { return false; }

double sg_bench_free_sums(bool in_double, sg_sums_op op, const float *x, const float *y, double center, int64_t n)
{
    (void)in_double, (void)op, (void)x, (void)y, (void)center, (void)n;
    return 0;
}

void sg_bench_free_softmax_row(bool in_double, const float *x, float *y, int64_t D)
{
    (void)in_double, (void)x, (void)y, (void)D;
}

#endif

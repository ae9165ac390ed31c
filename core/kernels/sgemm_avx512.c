/* core/kernels/sgemm_avx512.c - SGEMM with AVX-512F (compiled with the
 * ISA_FLAGS_avx512 of the Makefile).
 *
 * Bit for bit the scalar twin (sgemm_scalar.c states the order): every C
 * element starts at 0, takes one fused multiply-add per k in increasing k
 * (_mm512_fmadd_ps, one IEEE fma per lane), and ends as alpha * acc, or
 * fma(beta, C, alpha * acc) when beta != 0. Lanes hold different columns j,
 * never different k, so the vector width does not enter the result.
 * Column tails use masked loads and stores instead of scalar code: the lanes
 * past N compute on zeros and are never stored, the others do exactly what a
 * full vector does.
 * op(B) = B: a 4 x 32 block of C lives in eight zmm accumulators; each k
 * broadcasts a(i,k) and multiplies a row of B. op(B) = B^T: panels of 16
 * columns of op(B) are transposed into a buffer so the same loop applies, the
 * running sums of up to 32 rows waiting as floats between k panels (a float
 * store rounds nothing). op(A) = A^T only changes the strides of a(i,k). */
#include <immintrin.h>
#include <string.h>

#include "core/kernels/kernels.h"

/* Mask of the first n (<= 16) lanes. */
static inline __mmask16 first_lanes(int64_t n) { return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1); }

/* C[j..] = alpha * acc (beta == 0: C not read) or fma(beta, C, alpha * acc), masked. */
static inline void store16(float *c, __m512 acc, __m512 valpha, float beta, __mmask16 m)
{
    __m512 v = _mm512_mul_ps(valpha, acc);
    if (beta != 0.0f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m, c), v);
    _mm512_mask_storeu_ps(c, m, v);
}

enum { BT_MB = 32, BT_KC = 256 };

/* op(B) = B^T (see the file comment); a(i,k) = A[i * a_row + k * a_col]. */
static void sgemm_bt(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t a_row,
                     int64_t a_col, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    float panel[BT_KC][16];
    float acc[BT_MB][16];
    const __m512 valpha = _mm512_set1_ps(alpha);
    for (int64_t j0 = 0; j0 < N; j0 += 16) {
        const int64_t nr = N - j0 < 16 ? N - j0 : 16;
        const __mmask16 m = first_lanes(nr);
        for (int64_t i0 = 0; i0 < M; i0 += BT_MB) {
            const int64_t mb = M - i0 < BT_MB ? M - i0 : BT_MB;
            memset(acc, 0, sizeof acc);
            for (int64_t k0 = 0; k0 < K; k0 += BT_KC) {
                const int64_t kc = K - k0 < BT_KC ? K - k0 : BT_KC;
                for (int64_t q = 0; q < 16; q++) {
                    const float *b = B + (j0 + q) * ldb + k0;
                    if (q < nr)
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = b[k];
                    else
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = 0.0f;
                }
                for (int64_t r = 0; r < mb; r++) {
                    const float *a = A + (i0 + r) * a_row + k0 * a_col;
                    __m512 c0 = _mm512_loadu_ps(acc[r]);
                    for (int64_t k = 0; k < kc; k++)
                        c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[k * a_col]), _mm512_loadu_ps(panel[k]), c0);
                    _mm512_storeu_ps(acc[r], c0);
                }
            }
            for (int64_t r = 0; r < mb; r++)
                store16(C + (i0 + r) * ldc + j0, _mm512_loadu_ps(acc[r]), valpha, beta, m);
        }
    }
}

void sg_k_sgemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc)
{
    const int64_t a_row = transA ? 1 : lda, a_col = transA ? lda : 1;
    if (transB) {
        sgemm_bt(M, N, K, alpha, A, a_row, a_col, B, ldb, beta, C, ldc);
        return;
    }
    const __m512 valpha = _mm512_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + i * a_row;
        for (int64_t j = 0; j < N; j += 32) {
            /* Two vectors of columns, either or both possibly partial. */
            const __mmask16 m0 = first_lanes(N - j), m1 = N - j > 16 ? first_lanes(N - j - 16) : 0;
            __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
            __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
            __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
            __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
            for (int64_t k = 0; k < K; k++) {
                const float *b = B + k * ldb + j;
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
                const float *a = a0 + k * a_col;
                __m512 x = _mm512_set1_ps(a[0]);
                c00 = _mm512_fmadd_ps(x, b0, c00), c01 = _mm512_fmadd_ps(x, b1, c01);
                x = _mm512_set1_ps(a[a_row]);
                c10 = _mm512_fmadd_ps(x, b0, c10), c11 = _mm512_fmadd_ps(x, b1, c11);
                x = _mm512_set1_ps(a[2 * a_row]);
                c20 = _mm512_fmadd_ps(x, b0, c20), c21 = _mm512_fmadd_ps(x, b1, c21);
                x = _mm512_set1_ps(a[3 * a_row]);
                c30 = _mm512_fmadd_ps(x, b0, c30), c31 = _mm512_fmadd_ps(x, b1, c31);
            }
            float *c = C + i * ldc + j;
            store16(c, c00, valpha, beta, m0), store16(c + 16, c01, valpha, beta, m1);
            store16(c + ldc, c10, valpha, beta, m0), store16(c + ldc + 16, c11, valpha, beta, m1);
            store16(c + 2 * ldc, c20, valpha, beta, m0), store16(c + 2 * ldc + 16, c21, valpha, beta, m1);
            store16(c + 3 * ldc, c30, valpha, beta, m0), store16(c + 3 * ldc + 16, c31, valpha, beta, m1);
        }
    }
    for (; i < M; i++) {
        const float *a0 = A + i * a_row;
        for (int64_t j = 0; j < N; j += 16) {
            const __mmask16 m = first_lanes(N - j);
            __m512 acc = _mm512_setzero_ps();
            for (int64_t k = 0; k < K; k++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(a0[k * a_col]), _mm512_maskz_loadu_ps(m, B + k * ldb + j), acc);
            store16(C + i * ldc + j, acc, valpha, beta, m);
        }
    }
}

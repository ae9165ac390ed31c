/* core/kernels/sgemm_avx2.c - SGEMM with AVX2 + FMA (compiled with -mavx2 -mfma).
 *
 * Bit for bit the scalar twin (sgemm_scalar.c states the order): every C
 * element starts at 0, takes one fused multiply-add per k in increasing k
 * (_mm256_fmadd_ps in the vector lanes, fmaf in the leftover rows and columns:
 * the same IEEE operation), and ends as alpha * acc, or
 * fma(beta, C, alpha * acc) when beta != 0. The lanes of a vector hold
 * different columns j, never different k, so the vector width does not enter
 * the result.
 * op(B) = B: a 4 x 16 block of C lives in eight ymm accumulators; each k
 * broadcasts a(i,k) and multiplies a row of B. op(B) = B^T: panels of B are
 * transposed so the same loop applies (sgemm_bt). op(A) = A^T only changes
 * the strides a(i,k) is read with. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "core/kernels/kernels.h"

/* C[i][j] = alpha * acc + beta * C[i][j] (beta == 0: C not read). */
static inline void store8(float *c, __m256 acc, __m256 alpha, float beta)
{
    __m256 v = _mm256_mul_ps(alpha, acc);
    if (beta != 0.0f) v = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(c), v);
    _mm256_storeu_ps(c, v);
}

static inline float store1(float c, float acc, float alpha, float beta)
{
    float v = alpha * acc;
    return beta != 0.0f ? fmaf(beta, c, v) : v;
}

/* op(B) = B^T: op(B)[k][j] = B[j][k] is contiguous along k, not along j. A
 * panel of 16 columns x KC values of k is transposed into panel[k][0..15]
 * (columns past N are zero and never stored), then each row of op(A) runs the
 * same broadcast-and-fma loop as the op(B) = B case. The running sums of a
 * block of MB rows wait in acc[][] as floats between k panels: storing a float
 * does not round, so the order is still the scalar twin's, one fused
 * multiply-add per k in increasing k. Handles op(A) = A and A^T alike. */
enum { NT_MB = 32, NT_KC = 256, NT_NR = 16 };

static void sgemm_bt(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t a_row,
                     int64_t a_col, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    float panel[NT_KC][NT_NR];
    float acc[NT_MB][NT_NR];
    for (int64_t j0 = 0; j0 < N; j0 += NT_NR) {
        const int64_t nr = N - j0 < NT_NR ? N - j0 : NT_NR;
        for (int64_t i0 = 0; i0 < M; i0 += NT_MB) {
            const int64_t mb = M - i0 < NT_MB ? M - i0 : NT_MB;
            memset(acc, 0, sizeof acc);
            for (int64_t k0 = 0; k0 < K; k0 += NT_KC) {
                const int64_t kc = K - k0 < NT_KC ? K - k0 : NT_KC;
                for (int64_t q = 0; q < NT_NR; q++) {
                    const float *b = B + (j0 + q) * ldb + k0;
                    if (q < nr)
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = b[k];
                    else
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = 0.0f;
                }
                for (int64_t r = 0; r < mb; r++) {
                    const float *a = A + (i0 + r) * a_row + k0 * a_col;
                    __m256 c0 = _mm256_loadu_ps(acc[r]), c1 = _mm256_loadu_ps(acc[r] + 8);
                    for (int64_t k = 0; k < kc; k++) {
                        const __m256 x = _mm256_broadcast_ss(a + k * a_col);
                        c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel[k]), c0);
                        c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel[k] + 8), c1);
                    }
                    _mm256_storeu_ps(acc[r], c0), _mm256_storeu_ps(acc[r] + 8, c1);
                }
            }
            for (int64_t r = 0; r < mb; r++)
                for (int64_t q = 0; q < nr; q++) {
                    float *c = C + (i0 + r) * ldc + j0 + q;
                    *c = store1(*c, acc[r][q], alpha, beta);
                }
        }
    }
}

void sg_k_sgemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc)
{
    /* a(i, k) = A[i * a_row + k * a_col] for either layout of A. */
    const int64_t a_row = transA ? 1 : lda, a_col = transA ? lda : 1;
    if (transB) {
        sgemm_bt(M, N, K, alpha, A, a_row, a_col, B, ldb, beta, C, ldc);
        return;
    }
    const __m256 valpha = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + i * a_row;
        int64_t j = 0;
        for (; j + 16 <= N; j += 16) {
            __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
            __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
            __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
            __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
            for (int64_t k = 0; k < K; k++) {
                const float *b = B + k * ldb + j;
                __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
                const float *a = a0 + k * a_col;
                __m256 x = _mm256_broadcast_ss(a);
                c00 = _mm256_fmadd_ps(x, b0, c00), c01 = _mm256_fmadd_ps(x, b1, c01);
                x = _mm256_broadcast_ss(a + a_row);
                c10 = _mm256_fmadd_ps(x, b0, c10), c11 = _mm256_fmadd_ps(x, b1, c11);
                x = _mm256_broadcast_ss(a + 2 * a_row);
                c20 = _mm256_fmadd_ps(x, b0, c20), c21 = _mm256_fmadd_ps(x, b1, c21);
                x = _mm256_broadcast_ss(a + 3 * a_row);
                c30 = _mm256_fmadd_ps(x, b0, c30), c31 = _mm256_fmadd_ps(x, b1, c31);
            }
            float *c = C + i * ldc + j;
            store8(c, c00, valpha, beta), store8(c + 8, c01, valpha, beta);
            store8(c + ldc, c10, valpha, beta), store8(c + ldc + 8, c11, valpha, beta);
            store8(c + 2 * ldc, c20, valpha, beta), store8(c + 2 * ldc + 8, c21, valpha, beta);
            store8(c + 3 * ldc, c30, valpha, beta), store8(c + 3 * ldc + 8, c31, valpha, beta);
        }
        for (; j < N; j++)
            for (int64_t r = 0; r < 4; r++) {
                float acc = 0.0f;
                for (int64_t k = 0; k < K; k++) acc = fmaf(a0[r * a_row + k * a_col], B[k * ldb + j], acc);
                C[(i + r) * ldc + j] = store1(C[(i + r) * ldc + j], acc, alpha, beta);
            }
    }
    for (; i < M; i++) {
        const float *a0 = A + i * a_row;
        int64_t j = 0;
        for (; j + 8 <= N; j += 8) {
            __m256 acc = _mm256_setzero_ps();
            for (int64_t k = 0; k < K; k++)
                acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * a_col), _mm256_loadu_ps(B + k * ldb + j), acc);
            store8(C + i * ldc + j, acc, valpha, beta);
        }
        for (; j < N; j++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) acc = fmaf(a0[k * a_col], B[k * ldb + j], acc);
            C[i * ldc + j] = store1(C[i * ldc + j], acc, alpha, beta);
        }
    }
}

/* core/kernels/sgemm_avx2.c - SGEMM with AVX2 + FMA (compiled with -mavx2 -mfma).
 *
 * The contract is the scalar reference's (kernels.h). For op(B) = B (rows of
 * B contiguous), a 4 x 16 block of C is held in eight ymm accumulators and
 * each k adds a(i,k) * B[k][j..j+15] with one fused multiply-add per element;
 * rows and columns left over use the same fused operation (fmaf), so every
 * element of C gets the same arithmetic wherever it sits in a tile and the
 * result is independent of tiling and threads. op(B) = B^T is left to the
 * scalar reference for now. */
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

void sg_k_sgemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc)
{
    if (transB) {
        sg_k_sgemm_scalar(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    /* a(i, k) for either layout of A. */
    const int64_t a_row = transA ? 1 : lda, a_col = transA ? lda : 1;
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

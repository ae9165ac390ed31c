/* core/kernels/sgemm_avx2.c - SGEMM with AVX2 + FMA (compiled with -mavx2 -mfma).
 *
 * The contract is the scalar reference's (kernels.h). For op(B) = B (rows of
 * B contiguous), a 4 x 16 block of C is held in eight ymm accumulators and
 * each k adds a(i,k) * B[k][j..j+15] with one fused multiply-add per element;
 * rows and columns left over use the same fused operation (fmaf), so every
 * element of C gets the same arithmetic wherever it sits in a tile and the
 * result is independent of tiling and threads.
 * For op(B) = B^T (rows of B are the columns of op(B), contiguous along k)
 * each element is a dot product: 8 lanes of fused multiply-adds over whole
 * chunks of 8 k, the lanes summed in a fixed order, then the k tail with
 * fmaf. A 2 x 4 block of C shares its loads; leftover elements run the same
 * procedure one at a time. op(A) = A^T with op(B) = B^T (rare) uses the
 * scalar reference. */
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

/* Sum of the 8 lanes in a fixed order. */
static inline float hsum8(__m256 v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
    return _mm_cvtss_f32(x);
}

/* The k tail of one dot product, after the vector part summed to s. */
static inline float dot_tail(const float *a, const float *b, int64_t k0, int64_t K, float s)
{
    for (int64_t k = k0; k < K; k++) s = fmaf(a[k], b[k], s);
    return s;
}

static float dot1(const float *a, const float *b, int64_t K)
{
    int64_t K8 = K & ~(int64_t)7;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t k = 0; k < K8; k += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), acc);
    return dot_tail(a, b, K8, K, hsum8(acc));
}

/* C = alpha A B^T + beta C with A rows (M x K) and B rows (N x K) contiguous. */
static void sgemm_nt(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                     const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    int64_t K8 = K & ~(int64_t)7, i = 0;
    for (; i + 2 <= M; i += 2) {
        const float *a0 = A + i * lda, *a1 = a0 + lda;
        int64_t j = 0;
        for (; j + 4 <= N; j += 4) {
            const float *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c02 = _mm256_setzero_ps(),
                   c03 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(),
                   c12 = _mm256_setzero_ps(), c13 = _mm256_setzero_ps();
            for (int64_t k = 0; k < K8; k += 8) {
                __m256 x0 = _mm256_loadu_ps(a0 + k), x1 = _mm256_loadu_ps(a1 + k);
                __m256 y = _mm256_loadu_ps(b0 + k);
                c00 = _mm256_fmadd_ps(x0, y, c00), c10 = _mm256_fmadd_ps(x1, y, c10);
                y = _mm256_loadu_ps(b1 + k);
                c01 = _mm256_fmadd_ps(x0, y, c01), c11 = _mm256_fmadd_ps(x1, y, c11);
                y = _mm256_loadu_ps(b2 + k);
                c02 = _mm256_fmadd_ps(x0, y, c02), c12 = _mm256_fmadd_ps(x1, y, c12);
                y = _mm256_loadu_ps(b3 + k);
                c03 = _mm256_fmadd_ps(x0, y, c03), c13 = _mm256_fmadd_ps(x1, y, c13);
            }
            const __m256 acc[2][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}};
            const float *rows_a[2] = {a0, a1}, *rows_b[4] = {b0, b1, b2, b3};
            for (int r = 0; r < 2; r++)
                for (int q = 0; q < 4; q++) {
                    float s = dot_tail(rows_a[r], rows_b[q], K8, K, hsum8(acc[r][q]));
                    float *c = C + (i + r) * ldc + j + q;
                    *c = store1(*c, s, alpha, beta);
                }
        }
        for (; j < N; j++)
            for (int r = 0; r < 2; r++) {
                float *c = C + (i + r) * ldc + j;
                *c = store1(*c, dot1(r ? a1 : a0, B + j * ldb, K), alpha, beta);
            }
    }
    for (; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            float *c = C + i * ldc + j;
            *c = store1(*c, dot1(A + i * lda, B + j * ldb, K), alpha, beta);
        }
}

void sg_k_sgemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc)
{
    if (transB) {
        if (transA) sg_k_sgemm_scalar(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        else sgemm_nt(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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

/* core/kernels/sgemm_scalar.c - the reference SGEMM in portable C.
 *
 * C = alpha * op(A) op(B) + beta * C (row-major). Loop orders are chosen so
 * the innermost loop walks contiguous memory (the compiler may vectorise it
 * with the baseline ISA), and every C[i][j] sums its K products in increasing
 * k, with one rounding per product-add, whatever M/N tiling the caller uses. */
#include "core/kernels/kernels.h"

#include <string.h>

/* Accumulate into a zeroed row buffer, then apply alpha/beta once. */
static void finish_row(float *c, const float *acc, int64_t N, float alpha, float beta)
{
    if (beta == 0.0f)
        for (int64_t j = 0; j < N; j++) c[j] = alpha * acc[j];
    else
        for (int64_t j = 0; j < N; j++) c[j] = alpha * acc[j] + beta * c[j];
}

void sg_k_sgemm_scalar(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc)
{
    enum { NB = 512 };  /* columns per row chunk: keeps acc[] on the stack */
    float acc[NB];
    for (int64_t j0 = 0; j0 < N; j0 += NB) {
        int64_t nb = N - j0 < NB ? N - j0 : NB;
        for (int64_t i = 0; i < M; i++) {
            memset(acc, 0, (size_t)nb * sizeof(float));
            if (!transB) {
                /* acc[j] += a(i,k) * B[k][j]: rows of B are contiguous. */
                for (int64_t k = 0; k < K; k++) {
                    float a = transA ? A[k * lda + i] : A[i * lda + k];
                    const float *b = B + k * ldb + j0;
                    for (int64_t j = 0; j < nb; j++) acc[j] += a * b[j];
                }
            } else {
                /* acc[j] = sum_k a(i,k) * B[j][k]: a dot product per column. */
                for (int64_t j = 0; j < nb; j++) {
                    const float *b = B + (j0 + j) * ldb;
                    float s = 0.0f;
                    if (transA)
                        for (int64_t k = 0; k < K; k++) s += A[k * lda + i] * b[k];
                    else
                        for (int64_t k = 0; k < K; k++) s += A[i * lda + k] * b[k];
                    acc[j] = s;
                }
            }
            finish_row(C + i * ldc + j0, acc, nb, alpha, beta);
        }
    }
}

/* core/kernels/sgemm_scalar.c - the reference SGEMM in portable C: it defines
 * the bits every SIMD twin must give (kernels.h states the contract).
 *
 * Order of operations, for every element C[i][j]:
 *   acc = 0
 *   for k = 0, 1, ..., K-1:  acc = fmaf(a(i,k), b(k,j), acc)   one rounding each
 *   C[i][j] = beta == 0 ? alpha * acc                          (C not read)
 *                       : fmaf(beta, C[i][j], alpha * acc)
 * Nothing else is rounded, so tiling M and N (core/gemm.c, threads) or
 * blocking k (storing acc as float between blocks) cannot change a bit.
 * Loop orders are chosen so the innermost loop walks contiguous memory. */
#include "core/kernels/kernels.h"

#include <math.h>
#include <string.h>

/* Apply alpha and beta to a row of finished sums, as stated above. */
static void finish_row(float *c, const float *acc, int64_t N, float alpha, float beta)
{
    if (beta == 0.0f)
        for (int64_t j = 0; j < N; j++) c[j] = alpha * acc[j];
    else
        for (int64_t j = 0; j < N; j++) c[j] = fmaf(beta, c[j], alpha * acc[j]);
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
                /* acc[j] = fmaf(a(i,k), B[k][j], acc[j]): rows of B are contiguous. */
                for (int64_t k = 0; k < K; k++) {
                    float a = transA ? A[k * lda + i] : A[i * lda + k];
                    const float *b = B + k * ldb + j0;
                    for (int64_t j = 0; j < nb; j++) acc[j] = fmaf(a, b[j], acc[j]);
                }
            } else {
                /* op(B)[k][j] = B[j][k]: one sequential fused dot product per column. */
                for (int64_t j = 0; j < nb; j++) {
                    const float *b = B + (j0 + j) * ldb;
                    float s = 0.0f;
                    if (transA)
                        for (int64_t k = 0; k < K; k++) s = fmaf(A[k * lda + i], b[k], s);
                    else
                        for (int64_t k = 0; k < K; k++) s = fmaf(A[i * lda + k], b[k], s);
                    acc[j] = s;
                }
            }
            finish_row(C + i * ldc + j0, acc, nb, alpha, beta);
        }
    }
}

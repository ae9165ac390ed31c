/* core/gemm.h - matrix multiply on the thread pool.
 *
 * sg_gemm cuts C into fixed tiles (the cut depends only on M, N and K) and runs
 * the active SGEMM kernel on each tile in parallel; since every C element is
 * summed over k in the same order in any tile, the result is bit-identical on
 * 1 or N threads. Same arguments as sg_sgemm_fn (core/kernels/kernels.h). */
#ifndef SG_GEMM_H
#define SG_GEMM_H

#include <stdbool.h>
#include <stdint.h>

void sg_gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
             int64_t ldc);

#endif

/* core/gemm.c - tiled, threaded driver over the SGEMM kernel. */
#include "core/gemm.h"

#include "core/kernels/kernels.h"
#include "core/pool.h"

enum { TILE_M = 32, TILE_N = 256, MIN_PARALLEL_FLOPS = 1 << 18 };

typedef struct {
    bool ta, tb;
    int64_t M, N, K, tiles_n;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int64_t lda, ldb, ldc;
    sg_sgemm_fn kernel;
} gemm_job;

static void gemm_tiles(void *arg, int64_t begin, int64_t end)
{
    const gemm_job *j = arg;
    for (int64_t t = begin; t < end; t++) {
        int64_t i0 = (t / j->tiles_n) * TILE_M, n0 = (t % j->tiles_n) * TILE_N;
        int64_t mb = j->M - i0 < TILE_M ? j->M - i0 : TILE_M;
        int64_t nb = j->N - n0 < TILE_N ? j->N - n0 : TILE_N;
        const float *a = j->ta ? j->A + i0 : j->A + i0 * j->lda;
        const float *b = j->tb ? j->B + n0 * j->ldb : j->B + n0;
        j->kernel(j->ta, j->tb, mb, nb, j->K, j->alpha, a, j->lda, b, j->ldb, j->beta,
                  j->C + i0 * j->ldc + n0, j->ldc);
    }
}

void sg_gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
             int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    gemm_job j = {transA, transB, M, N, K, (N + TILE_N - 1) / TILE_N, alpha, beta, A, B, C,
                  lda, ldb, ldc, sg_kernels()->sgemm};
    int64_t tiles = ((M + TILE_M - 1) / TILE_M) * j.tiles_n;
    if ((double)M * N * K < MIN_PARALLEL_FLOPS) {
        gemm_tiles(&j, 0, tiles);
        return;
    }
    sg_parallel_for(tiles, 1, gemm_tiles, &j);
}

/* core/gemm.c - threaded driver over the SGEMM kernel.
 *
 * C is cut into at most 8 tiles whose sizes depend only on M, N and K (never
 * on the thread count); each tile is one call of the active kernel, which
 * packs and blocks on its own (core/kernels/sgemm_packed.c). Every C element
 * is the same chain of fused multiply-adds in increasing k whatever tile it
 * falls in, so 1 or N threads give the same bits. The cut minimises the
 * packing the tiles repeat (each tile packs its rows of op(A) and its columns
 * of op(B)): tiles_n * M + tiles_m * N. */
#include "core/gemm.h"

#include "core/kernels/kernels.h"
#include "core/pool.h"

/* Tiles are multiples of these (whole register tiles of every kernel: 6, 8,
 * 12 rows; 16, 32 columns) and no smaller than one of them. */
enum { ROUND_M = 24, ROUND_N = 32, MAX_TILES = 8 };
/* Below this many multiply-adds per tile, a split costs more than it gains. */
#define MACS_PER_TILE (1 << 20)

typedef struct {
    bool ta, tb;
    int64_t M, N, K, tm, tn, tiles_n;
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
        int64_t i0 = (t / j->tiles_n) * j->tm, n0 = (t % j->tiles_n) * j->tn;
        int64_t mb = j->M - i0 < j->tm ? j->M - i0 : j->tm;
        int64_t nb = j->N - n0 < j->tn ? j->N - n0 : j->tn;
        const float *a = j->ta ? j->A + i0 : j->A + i0 * j->lda;
        const float *b = j->tb ? j->B + n0 * j->ldb : j->B + n0;
        j->kernel(j->ta, j->tb, mb, nb, j->K, j->alpha, a, j->lda, b, j->ldb, j->beta,
                  j->C + i0 * j->ldc + n0, j->ldc);
    }
}

static int64_t round_up(int64_t v, int64_t r) { return (v + r - 1) / r * r; }

/* The tile size (tm x tn) for M x N x K: a power-of-two number of tiles, up
 * to MAX_TILES and at most one per MACS_PER_TILE, shared between M and N. */
static void choose_tiles(int64_t M, int64_t N, int64_t K, int64_t *tm, int64_t *tn)
{
    double macs = (double)M * (double)N * (double)(K > 0 ? K : 1);
    int64_t target = 1;
    while (target < MAX_TILES && macs >= (double)MACS_PER_TILE * (double)(target * 2)) target *= 2;
    *tm = M, *tn = N;
    double best = -1;
    for (int64_t split_m = 1; split_m <= target; split_m *= 2) {
        const int64_t split_n = target / split_m;
        const int64_t cm = round_up((M + split_m - 1) / split_m, ROUND_M);
        const int64_t cn = round_up((N + split_n - 1) / split_n, ROUND_N);
        if ((split_m > 1 && cm >= M) || (split_n > 1 && cn >= N)) continue;   /* cannot split */
        const double cost = (double)split_n * (double)M + (double)split_m * (double)N;
        if (best < 0 || cost < best) best = cost, *tm = split_m > 1 ? cm : M, *tn = split_n > 1 ? cn : N;
    }
}

void sg_gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
             int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    int64_t tm, tn;
    choose_tiles(M, N, K, &tm, &tn);
    gemm_job j = {transA, transB, M, N, K, tm, tn, (N + tn - 1) / tn, alpha, beta, A, B, C,
                  lda, ldb, ldc, sg_kernels()->sgemm};
    int64_t tiles = ((M + tm - 1) / tm) * j.tiles_n;
    if (tiles == 1) {
        gemm_tiles(&j, 0, 1);
        return;
    }
    sg_parallel_for(tiles, 1, gemm_tiles, &j);
}

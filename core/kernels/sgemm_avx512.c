/* core/kernels/sgemm_avx512.c - SGEMM with AVX-512F (compiled with the
 * ISA_FLAGS_avx512 of the Makefile): a 12 x 32 microkernel under the packed,
 * cache-blocked driver of sgemm_packed.c (8 x 32 for up to 128 rows when
 * 8-row tiles waste fewer padded rows).
 *
 * Bit for bit the scalar twin (sgemm_scalar.c states the order): the 12 x 32
 * block of running sums lives in 24 zmm registers; each k broadcasts a(i,k)
 * of the packed A panel and multiplies a row of the packed B panel with one
 * _mm512_fmadd_ps (an IEEE fma per lane). Lanes hold different columns j,
 * never different k, so the vector width does not enter the result. The sums
 * start at 0 (first k block) or at the floats the previous k block stored,
 * and end as alpha * acc, or fma(beta, C, alpha * acc) when beta != 0. */
#include <immintrin.h>

#include "core/kernels/kernels.h"
#include "core/kernels/sgemm_packed.h"

enum { MR = 12, NR = 32 };   /* MR: the larger of the two row tiles (12 and 8) */

/* The tile's running sums, k steps of broadcast a(i,k) times a row of b. A
 * is read as a(i,k) = A[i * rsa + k * csa]: packed or A^T (rsa = 1) or A as
 * stored (csa = 1, rows rsa apart); always_inline makes one copy of each. */
static inline __attribute__((always_inline)) void tile_avx512(int64_t kc, const float *A, int64_t rsa,
                                                          int64_t csa, const float *B, int64_t rsb,
                                                          bool a_rows, int mr, __m512 c[MR][2])
{
    for (int64_t k = 0; k < kc; k++, A += csa, B += rsb) {
        const __m512 b0 = _mm512_loadu_ps(B), b1 = _mm512_loadu_ps(B + 16);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            const __m512 a = _mm512_set1_ps(a_rows ? A[i * rsa] : A[i]);
            c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
        }
    }
}

/* The microkernel for a tile of mr (12 or 8, a constant once inlined) x 32. */
static inline __attribute__((always_inline)) void micro_tile(int mr, int64_t kc, const float *A,
                                                           int64_t rsa, int64_t csa, const float *B,
                                                           int64_t rsb, float *W, int64_t ldw,
                                                           bool first, bool last, float alpha,
                                                           float beta, float *C, int64_t ldc)
{
    __m512 c[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        if (first) {
            c[i][0] = _mm512_setzero_ps();
            c[i][1] = _mm512_setzero_ps();
        } else {
            c[i][0] = _mm512_loadu_ps(W + i * ldw);
            c[i][1] = _mm512_loadu_ps(W + i * ldw + 16);
        }
    }
    if (rsa == 1)
        tile_avx512(kc, A, 1, csa, B, rsb, false, mr, c);
    else
        tile_avx512(kc, A, rsa, csa, B, rsb, true, mr, c);
    if (!last) {
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            _mm512_storeu_ps(W + i * ldw, c[i][0]);
            _mm512_storeu_ps(W + i * ldw + 16, c[i][1]);
        }
        return;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            _mm512_storeu_ps(C + i * ldc, _mm512_mul_ps(va, c[i][0]));
            _mm512_storeu_ps(C + i * ldc + 16, _mm512_mul_ps(va, c[i][1]));
        }
    } else {
        const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            float *ci = C + i * ldc;
            _mm512_storeu_ps(ci, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), _mm512_mul_ps(va, c[i][0])));
            _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), _mm512_mul_ps(va, c[i][1])));
        }
    }
}

static void micro_12x32(int64_t kc, const float *A, int64_t rsa, int64_t csa, const float *B,
                        int64_t rsb, float *W, int64_t ldw, bool first, bool last, float alpha,
                        float beta, float *C, int64_t ldc)
{
    micro_tile(12, kc, A, rsa, csa, B, rsb, W, ldw, first, last, alpha, beta, C, ldc);
}

static void micro_8x32(int64_t kc, const float *A, int64_t rsa, int64_t csa, const float *B,
                       int64_t rsb, float *W, int64_t ldw, bool first, bool last, float alpha,
                       float beta, float *C, int64_t ldc)
{
    micro_tile(8, kc, A, rsa, csa, B, rsb, W, ldw, first, last, alpha, beta, C, ldc);
}

static const sg_sgemm_micro micro12 = {micro_12x32, 12, NR, sg_sgemm_pack_bt_avx2};
static const sg_sgemm_micro micro8 = {micro_8x32, 8, NR, sg_sgemm_pack_bt_avx2};

void sg_k_sgemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc)
{
    /* Up to 128 rows, 8-row tiles when they waste fewer padded rows (64 rows:
     * 8 tiles of 8 instead of 6 of 12, the last one a third full). The tile
     * changes no bit. */
    const bool rows8 = M <= 128 && (M + 7) / 8 * 8 < (M + 11) / 12 * 12;
    sg_sgemm_packed(rows8 ? &micro8 : &micro12, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta,
                    C, ldc);
}

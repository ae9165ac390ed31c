/* core/kernels/sgemm_avx512.c - SGEMM with AVX-512F (compiled with the
 * ISA_FLAGS_avx512 of the Makefile): a 12 x 32 microkernel under the packed,
 * cache-blocked driver of sgemm_packed.c.
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

enum { MR = 12, NR = 32 };

/* The tile's running sums, k steps of broadcast a(i,k) times a row of b. A
 * is read as a(i,k) = A[i * rsa + k * csa]: packed or A^T (rsa = 1) or A as
 * stored (csa = 1, rows rsa apart); always_inline makes one copy of each. */
static inline __attribute__((always_inline)) void tile_avx512(int64_t kc, const float *A, int64_t rsa,
                                                          int64_t csa, const float *B, int64_t rsb,
                                                          bool a_rows, __m512 c[MR][2])
{
    for (int64_t k = 0; k < kc; k++, A += csa, B += rsb) {
        const __m512 b0 = _mm512_loadu_ps(B), b1 = _mm512_loadu_ps(B + 16);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            const __m512 a = _mm512_set1_ps(a_rows ? A[i * rsa] : A[i]);
            c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
        }
    }
}

static void micro_12x32(int64_t kc, const float *A, int64_t rsa, int64_t csa, const float *B,
                        int64_t rsb, float *W, int64_t ldw, bool first, bool last, float alpha,
                        float beta, float *C, int64_t ldc)
{
    __m512 c[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
        if (first) {
            c[i][0] = _mm512_setzero_ps();
            c[i][1] = _mm512_setzero_ps();
        } else {
            c[i][0] = _mm512_loadu_ps(W + i * ldw);
            c[i][1] = _mm512_loadu_ps(W + i * ldw + 16);
        }
    }
    if (rsa == 1)
        tile_avx512(kc, A, 1, csa, B, rsb, false, c);
    else
        tile_avx512(kc, A, rsa, csa, B, rsb, true, c);
    if (!last) {
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(W + i * ldw, c[i][0]);
            _mm512_storeu_ps(W + i * ldw + 16, c[i][1]);
        }
        return;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(C + i * ldc, _mm512_mul_ps(va, c[i][0]));
            _mm512_storeu_ps(C + i * ldc + 16, _mm512_mul_ps(va, c[i][1]));
        }
    } else {
        const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
        for (int i = 0; i < MR; i++) {
            float *ci = C + i * ldc;
            _mm512_storeu_ps(ci, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), _mm512_mul_ps(va, c[i][0])));
            _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), _mm512_mul_ps(va, c[i][1])));
        }
    }
}

static const sg_sgemm_micro micro = {micro_12x32, MR, NR, sg_sgemm_pack_bt_avx2};

void sg_k_sgemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                       const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc)
{
    sg_sgemm_packed(&micro, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

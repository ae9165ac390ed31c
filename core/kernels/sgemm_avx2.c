/* core/kernels/sgemm_avx2.c - SGEMM with AVX2 + FMA (compiled with -mavx2
 * -mfma): a 6 x 16 microkernel under the packed, cache-blocked driver of
 * sgemm_packed.c.
 *
 * Bit for bit the scalar twin (sgemm_scalar.c states the order): the 6 x 16
 * block of running sums lives in 12 ymm registers; each k broadcasts a(i,k)
 * of the packed A panel and multiplies a row of the packed B panel with one
 * _mm256_fmadd_ps (an IEEE fma per lane, the same operation as fmaf). Lanes
 * hold different columns j, never different k, so the vector width does not
 * enter the result. The sums start at 0 (first k block) or at the floats the
 * previous k block stored, and end as alpha * acc, or fma(beta, C, alpha * acc)
 * when beta != 0. */
#include <immintrin.h>

#include "core/kernels/kernels.h"
#include "core/kernels/sgemm_packed.h"

enum { MR = 6, NR = 16 };

/* The tile's running sums, k steps of broadcast a(i,k) times a row of b. A
 * is read as a(i,k) = A[i * rsa + k * csa]: packed or A^T (rsa = 1) or A as
 * stored (csa = 1, rows rsa apart); always_inline makes one copy of each. */
static inline __attribute__((always_inline)) void tile_avx2(int64_t kc, const float *A, int64_t rsa,
                                                          int64_t csa, const float *B, int64_t rsb,
                                                          bool a_rows, __m256 c[MR][2])
{
    for (int64_t k = 0; k < kc; k++, A += csa, B += rsb) {
        const __m256 b0 = _mm256_loadu_ps(B), b1 = _mm256_loadu_ps(B + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            const __m256 a = _mm256_set1_ps(a_rows ? A[i * rsa] : A[i]);
            c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
        }
    }
}

static void micro_6x16(int64_t kc, const float *A, int64_t rsa, int64_t csa, const float *B,
                        int64_t rsb, float *W, int64_t ldw, bool first, bool last, float alpha,
                        float beta, float *C, int64_t ldc)
{
    __m256 c[MR][2];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        if (first) {
            c[i][0] = _mm256_setzero_ps();
            c[i][1] = _mm256_setzero_ps();
        } else {
            c[i][0] = _mm256_loadu_ps(W + i * ldw);
            c[i][1] = _mm256_loadu_ps(W + i * ldw + 8);
        }
    }
    if (rsa == 1)
        tile_avx2(kc, A, 1, csa, B, rsb, false, c);
    else
        tile_avx2(kc, A, rsa, csa, B, rsb, true, c);
    if (!last) {
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            _mm256_storeu_ps(W + i * ldw, c[i][0]);
            _mm256_storeu_ps(W + i * ldw + 8, c[i][1]);
        }
        return;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            _mm256_storeu_ps(C + i * ldc, _mm256_mul_ps(va, c[i][0]));
            _mm256_storeu_ps(C + i * ldc + 8, _mm256_mul_ps(va, c[i][1]));
        }
    } else {
        const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            float *ci = C + i * ldc;
            _mm256_storeu_ps(ci, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), _mm256_mul_ps(va, c[i][0])));
            _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), _mm256_mul_ps(va, c[i][1])));
        }
    }
}

/* Bp[k * nr + j] = B[j * ldb + k] (sgemm_packed.h): 8 x 8 blocks transposed
 * in registers (unpack, shuffle, permute: copies only), then 4 x 4 blocks,
 * the edges one by one. Also packs op(A) = A (rows as the columns). */
void sg_sgemm_pack_bt_avx2(int nr, int64_t K, int64_t cols, const float *B, int64_t ldb, float *Bp)
{
    const int64_t c8 = cols / 8 * 8, k8 = K / 8 * 8;
    for (int64_t j0 = 0; j0 < c8; j0 += 8) {
        const float *b = B + j0 * ldb;
        for (int64_t k0 = 0; k0 < k8; k0 += 8) {
            __m256 r[8], t[8], u[8];
            for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(b + j * ldb + k0);
            for (int j = 0; j < 8; j += 2) {
                t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
                t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
            }
            for (int j = 0; j < 8; j += 4) {
                u[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
                u[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
                u[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
                u[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
            }
            float *d = Bp + k0 * nr + j0;
            for (int k = 0; k < 4; k++) {
                _mm256_storeu_ps(d + k * nr, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
                _mm256_storeu_ps(d + (k + 4) * nr, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
            }
        }
        for (int64_t j = 0; j < 8; j++)
            for (int64_t k = k8; k < K; k++) Bp[k * nr + j0 + j] = b[j * ldb + k];
    }
    int64_t c4 = c8;
    if (cols - c8 >= 4) {   /* four more columns: 4 x 4 transposes */
        const float *b = B + c8 * ldb;
        const int64_t k4 = K / 4 * 4;
        for (int64_t k0 = 0; k0 < k4; k0 += 4) {
            __m128 r0 = _mm_loadu_ps(b + k0), r1 = _mm_loadu_ps(b + ldb + k0);
            __m128 r2 = _mm_loadu_ps(b + 2 * ldb + k0), r3 = _mm_loadu_ps(b + 3 * ldb + k0);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = Bp + k0 * nr + c8;
            _mm_storeu_ps(d, r0), _mm_storeu_ps(d + nr, r1);
            _mm_storeu_ps(d + 2 * nr, r2), _mm_storeu_ps(d + 3 * nr, r3);
        }
        for (int64_t j = 0; j < 4; j++)
            for (int64_t k = k4; k < K; k++) Bp[k * nr + c8 + j] = b[j * ldb + k];
        c4 = c8 + 4;
    }
    for (int64_t j = c4; j < cols; j++)
        for (int64_t k = 0; k < K; k++) Bp[k * nr + j] = B[j * ldb + k];
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = cols; j < nr; j++) Bp[k * nr + j] = 0.0f;
}

static const sg_sgemm_micro micro = {micro_6x16, MR, NR, sg_sgemm_pack_bt_avx2};

void sg_k_sgemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc)
{
    sg_sgemm_packed(&micro, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

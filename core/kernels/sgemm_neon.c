/* core/kernels/sgemm_neon.c - SGEMM with AArch64 Advanced SIMD (NEON; no
 * extra flags: ASIMD is baseline on aarch64, ISA_FLAGS_neon is empty).
 *
 * Bit for bit the scalar twin (sgemm_scalar.c states the order): every C
 * element starts at 0, takes one fused multiply-add per k in increasing k
 * (vfmaq_n_f32 = FMLA in the vector lanes, fmaf in the leftover columns: the
 * same IEEE operation, one rounding), and ends as alpha * acc (vmulq_n_f32),
 * or fma(beta, C, alpha * acc) (vfmaq_n_f32) when beta != 0. The lanes of a q
 * register hold different columns j, never different k, so the vector width
 * does not enter the result.
 * op(B) = B: a 4 x 16 block of C lives in sixteen q accumulators; each k
 * multiplies a row of B (four q) by a(i,k) of four rows. Then 4 x 4 blocks,
 * single rows, and fmaf for the last N % 4 columns. op(B) = B^T: panels of 16
 * columns x NT_KC values of k are transposed on the stack so the same loop
 * applies (sgemm_bt); the running sums wait as floats between k panels, which
 * rounds nothing. op(A) = A^T only changes the strides a(i,k) is read with. */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "core/kernels/kernels.h"

/* c[0..3] = alpha * acc, or fma(beta, c, alpha * acc) (beta == 0: c not read). */
static inline void store4(float *c, float32x4_t acc, float alpha, float beta)
{
    float32x4_t v = vmulq_n_f32(acc, alpha);
    if (beta != 0.0f) v = vfmaq_n_f32(v, vld1q_f32(c), beta);
    vst1q_f32(c, v);
}

static inline float store1(float c, float acc, float alpha, float beta)
{
    const float v = alpha * acc;
    return beta != 0.0f ? fmaf(beta, c, v) : v;
}

/* Rows i0 .. i0+R-1 (R <= 4) of op(A) times columns j .. j+4Q-1 (Q <= 4) of
 * op(B), whose row k is b + k * ldb; acc holds the running sums on entry and
 * on return (zero for a fresh element). R and Q are constants at every call,
 * so the loops unroll and the accumulators stay in registers. */
static inline void tile(int R, int Q, int64_t K, const float *a, int64_t a_row, int64_t a_col,
                        const float *b, int64_t ldb, float32x4_t acc[4][4])
{
    for (int64_t k = 0; k < K; k++) {
        const float *bk = b + k * ldb;
        float32x4_t bv[4];
        for (int q = 0; q < Q; q++) bv[q] = vld1q_f32(bk + 4 * q);
        for (int r = 0; r < R; r++) {
            const float x = a[r * a_row + k * a_col];
            for (int q = 0; q < Q; q++) acc[r][q] = vfmaq_n_f32(acc[r][q], bv[q], x);
        }
    }
}

/* C block of R rows x 4Q columns from zero sums: op(B) row-major (B itself). */
static inline void block(int R, int Q, int64_t K, const float *a, int64_t a_row, int64_t a_col,
                         const float *b, int64_t ldb, float alpha, float beta, float *c, int64_t ldc)
{
    float32x4_t acc[4][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++) acc[r][q] = vdupq_n_f32(0.0f);
    tile(R, Q, K, a, a_row, a_col, b, ldb, acc);
    for (int r = 0; r < R; r++)
        for (int q = 0; q < Q; q++) store4(c + r * ldc + 4 * q, acc[r][q], alpha, beta);
}

/* op(B) = B^T: op(B)[k][j] = B[j][k] is contiguous along k. A panel of 16
 * columns x NT_KC values of k is transposed into panel[k][0..15] (columns
 * past N are zero and never stored); the sums of NT_MB rows wait in acc[][]
 * as floats between k panels. Handles op(A) = A and A^T alike. */
enum { NT_MB = 32, NT_KC = 256, NT_NR = 16 };

static void sgemm_bt(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t a_row,
                     int64_t a_col, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    float panel[NT_KC][NT_NR];
    float acc[NT_MB][NT_NR];
    for (int64_t j0 = 0; j0 < N; j0 += NT_NR) {
        const int64_t nr = N - j0 < NT_NR ? N - j0 : NT_NR;
        for (int64_t i0 = 0; i0 < M; i0 += NT_MB) {
            const int64_t mb = M - i0 < NT_MB ? M - i0 : NT_MB;
            memset(acc, 0, sizeof acc);
            for (int64_t k0 = 0; k0 < K; k0 += NT_KC) {
                const int64_t kc = K - k0 < NT_KC ? K - k0 : NT_KC;
                for (int64_t q = 0; q < NT_NR; q++) {
                    const float *b = B + (j0 + q) * ldb + k0;
                    if (q < nr)
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = b[k];
                    else
                        for (int64_t k = 0; k < kc; k++) panel[k][q] = 0.0f;
                }
                int64_t r = 0;
                for (; r + 4 <= mb; r += 4) {
                    float32x4_t v[4][4];
                    for (int rr = 0; rr < 4; rr++)
                        for (int q = 0; q < 4; q++) v[rr][q] = vld1q_f32(acc[r + rr] + 4 * q);
                    tile(4, 4, kc, A + (i0 + r) * a_row + k0 * a_col, a_row, a_col, &panel[0][0], NT_NR, v);
                    for (int rr = 0; rr < 4; rr++)
                        for (int q = 0; q < 4; q++) vst1q_f32(acc[r + rr] + 4 * q, v[rr][q]);
                }
                for (; r < mb; r++) {
                    float32x4_t v[4][4];
                    for (int q = 0; q < 4; q++) v[0][q] = vld1q_f32(acc[r] + 4 * q);
                    tile(1, 4, kc, A + (i0 + r) * a_row + k0 * a_col, a_row, a_col, &panel[0][0], NT_NR, v);
                    for (int q = 0; q < 4; q++) vst1q_f32(acc[r] + 4 * q, v[0][q]);
                }
            }
            for (int64_t r = 0; r < mb; r++)
                for (int64_t q = 0; q < nr; q++) {
                    float *c = C + (i0 + r) * ldc + j0 + q;
                    *c = store1(*c, acc[r][q], alpha, beta);
                }
        }
    }
}

/* Rows i .. i+R-1, every column: 16-wide blocks, then 4-wide, then fmaf. */
static inline void rows(int R, int64_t N, int64_t K, const float *a, int64_t a_row, int64_t a_col,
                        const float *B, int64_t ldb, float alpha, float beta, float *c, int64_t ldc)
{
    int64_t j = 0;
    for (; j + 16 <= N; j += 16) block(R, 4, K, a, a_row, a_col, B + j, ldb, alpha, beta, c + j, ldc);
    for (; j + 4 <= N; j += 4) block(R, 1, K, a, a_row, a_col, B + j, ldb, alpha, beta, c + j, ldc);
    for (; j < N; j++)
        for (int r = 0; r < R; r++) {
            float s = 0.0f;
            for (int64_t k = 0; k < K; k++) s = fmaf(a[r * a_row + k * a_col], B[k * ldb + j], s);
            c[r * ldc + j] = store1(c[r * ldc + j], s, alpha, beta);
        }
}

void sg_k_sgemm_neon(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc)
{
    /* a(i, k) = A[i * a_row + k * a_col] for either layout of A. */
    const int64_t a_row = transA ? 1 : lda, a_col = transA ? lda : 1;
    if (transB) {
        sgemm_bt(M, N, K, alpha, A, a_row, a_col, B, ldb, beta, C, ldc);
        return;
    }
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) rows(4, N, K, A + i * a_row, a_row, a_col, B, ldb, alpha, beta, C + i * ldc, ldc);
    for (; i < M; i++) rows(1, N, K, A + i * a_row, a_row, a_col, B, ldb, alpha, beta, C + i * ldc, ldc);
}

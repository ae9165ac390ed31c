/* core/kernels/sgemm_packed.h - the packed, cache-blocked SGEMM driver and the
 * microkernel contract its SIMD twins are written to.
 *
 * sg_sgemm_packed() computes exactly what sg_sgemm_fn states (kernels.h) for
 * every transpose case; an ISA only supplies a microkernel for one full
 * MR x NR register tile. The driver (portable C, no float arithmetic of its
 * own: it only copies) packs op(A) into MR-row panels and op(B) into NR-column
 * panels (zero padded), blocks k by KC, M by MC and N by NC from the CPU's
 * cache sizes, and runs the microkernel on every tile; partial tiles at the
 * edges go through a small MR x NR buffer on the stack.
 *
 * The microkernel contract, for i < MR, j < NR, with
 *     a(i, k) = A[i * rsa + k * csa]   (rsa == 1: a packed panel, csa = MR, or
 *                                       A^T read in place; csa == 1: A as stored)
 *     b(k, j) = B[k * rsb + j]         (a packed panel, rsb = NR, or B in place)
 * computes
 *     acc = first ? 0 : W[i * ldw + j]
 *     for k = 0 .. kc-1:  acc = fma(a(i,k), b(k,j), acc)     (one rounding each)
 *     last ? C[i * ldc + j] = beta == 0 ? alpha * acc : fma(beta, C[i * ldc + j], alpha * acc)
 *          : W[i * ldw + j] = acc                            (a float store rounds nothing)
 * W is where the running sum waits between k blocks: C itself when beta == 0
 * (C is not read then), else a per-thread buffer. So every element is the one
 * chain of the scalar twin, whatever MR, NR, KC, MC, NC are. W and C may be the
 * same memory; with first && last W is not touched, with beta == 0 C is not read.
 * The driver packs a matrix only where the reuse pays: op(A) when a row block
 * meets many column panels, op(B) when it is transposed or meets many row
 * panels; a partial panel (past M or N) is always packed, zero padded, so the
 * microkernel never reads outside the matrices.
 *
 * Memory: three per-thread buffers (packed A block, packed B slab, the running
 * sums for beta != 0) that grow once to the largest size asked for and are then
 * reused: no allocation per call after the first calls of a given size. If
 * growing fails, the call runs the scalar twin (same bits, slower). */
#ifndef SG_SGEMM_PACKED_H
#define SG_SGEMM_PACKED_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*sg_sgemm_micro_fn)(int64_t kc, const float *A, int64_t rsa, int64_t csa,
                                  const float *B, int64_t rsb, float *W, int64_t ldw, bool first,
                                  bool last, float alpha, float beta, float *C, int64_t ldc);

/* Optional: pack `cols` (<= nr) columns of op(B) = B^T, K rows, into one panel:
 * Bp[k * nr + j] = B[j * ldb + k] for j < cols, 0 for cols <= j < nr. A copy
 * (no arithmetic), so any ISA's version gives the same panel. */
typedef void (*sg_sgemm_pack_bt_fn)(int nr, int64_t K, int64_t cols, const float *B, int64_t ldb,
                                    float *Bp);

/* One microkernel and its register tile (MR <= 16, NR <= 64); pack_bt may be
 * NULL (the driver's portable loops then pack B^T and A). The driver also uses
 * pack_bt for row-major op(A) = A: a(i, k) = A[i * lda + k] is the same
 * transpose with the rows as columns (nr = MR). */
typedef struct sg_sgemm_micro {
    sg_sgemm_micro_fn fn;
    int mr, nr;
    sg_sgemm_pack_bt_fn pack_bt;
} sg_sgemm_micro;

#if defined(__x86_64__) || defined(__i386__)
/* The B^T packer with 8 x 8 AVX transposes (sgemm_avx2.c; AVX2 and AVX-512 use it). */
void sg_sgemm_pack_bt_avx2(int nr, int64_t K, int64_t cols, const float *B, int64_t ldb, float *Bp);
#endif

/* The sg_sgemm_fn of kernels.h, through the microkernel `uk`. */
void sg_sgemm_packed(const sg_sgemm_micro *uk, bool transA, bool transB, int64_t M, int64_t N,
                     int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc);

/* Block sizes the driver uses for a register tile of mr x nr: the k block,
 * the rows of op(A) per block, and the floats of the packed B slab (K x NC). */
void sg_sgemm_blocking(int mr, int nr, int64_t *kc, int64_t *mc, int64_t *slab_floats);

#endif

/* core/kernels/sgemm_packed.c - the packed, cache-blocked SGEMM driver
 * (sgemm_packed.h states the contract). Portable C: it packs, loops and copies;
 * all arithmetic happens in the ISA's microkernel.
 *
 * Loop order, for one call:
 *   for each slab of NC columns of op(B):      pack all K rows of it (once)
 *     for each block of MC rows of op(A):
 *       for each block of KC values of k:      pack MC x KC of op(A)
 *         for each NR panel, each MR panel:    microkernel (first/last k block)
 * Packing is skipped where it would not be repaid (few panels meet the other
 * matrix): then the microkernel reads A or B in place, and only a partial
 * panel at the edge is packed.
 * The running sums wait in C (beta == 0) or in a per-thread MC x NC buffer
 * between k blocks. Block sizes come from the CPU's caches (sysconf, with
 * defaults for 32 KiB L1, 1 MiB L2, 8 MiB L3 when it does not say):
 * KC x NR of B fills the L1, MC x KC of A half the L2, the slab a share of
 * the L3 (measured on a Zen 4: KC 256 beat 128, 192 and 384 for 32 columns).
 * None of them changes a bit of the result. */
#include "core/kernels/sgemm_packed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kernels/kernels.h"

/* ---- cache sizes -------------------------------------------------------- */

static long cache_l1 = 32 << 10, cache_l2 = 1 << 20, cache_l3 = 8 << 20;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void read_cache_sizes(void)
{
    long v;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    v = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    if (v >= (16 << 10) && v <= (1 << 20)) cache_l1 = v;
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (v >= (128 << 10) && v <= (64 << 20)) cache_l2 = v;
#endif
#ifdef _SC_LEVEL3_CACHE_SIZE
    v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (v >= (1 << 20) && v <= (1L << 30)) cache_l3 = v;
#endif
    (void)v;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

void sg_sgemm_blocking(int mr, int nr, int64_t *kc, int64_t *mc, int64_t *slab_floats)
{
    pthread_once(&cache_once, read_cache_sizes);
    /* B's micro-panel (KC x NR) fills the L1 (A's micro-panels stream through
     * it from the L2), multiple of 16: 256 for 32 columns and 32 KiB. */
    int64_t k = clamp64(cache_l1 / (nr * 4) / 16 * 16, 128, 512);
    /* A's block (MC x KC) in half the L2, whole MR panels, at most 20 of them. */
    int64_t m = clamp64(cache_l2 / 2 / (k * 4) / mr * mr, mr, 20 * (int64_t)mr);
    *kc = k;
    *mc = m;
    /* The packed B slab (K x NC): a quarter of the L3, at least 256 KiB. */
    *slab_floats = clamp64(cache_l3 / 4, 256 << 10, 8 << 20) / 4;
}

/* ---- per-thread buffers that grow once ---------------------------------- */

enum { BUF_A, BUF_B, BUF_W, BUF_COUNT };
typedef struct {
    float *p[BUF_COUNT];
    size_t cap[BUF_COUNT];   /* floats */
} scratch;

static _Thread_local scratch tls_scratch;
static pthread_key_t scratch_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* A worker thread that exits (sg_set_threads joins them) frees its buffers. */
static void scratch_free(void *arg)
{
    scratch *s = arg;
    for (int i = 0; i < BUF_COUNT; i++) free(s->p[i]), s->p[i] = NULL, s->cap[i] = 0;
}

static void make_key(void) { (void)pthread_key_create(&scratch_key, scratch_free); }

/* The buffer `which` with room for n floats (64-byte aligned), or NULL. */
static float *scratch_get(int which, size_t n)
{
    scratch *s = &tls_scratch;
    if (s->cap[which] >= n) return s->p[which];
    pthread_once(&key_once, make_key);
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes);
    if (!p) return NULL;
    free(s->p[which]);
    s->p[which] = p;
    s->cap[which] = bytes / sizeof(float);
    (void)pthread_setspecific(scratch_key, s);
    return p;
}

/* ---- packing ------------------------------------------------------------ */

/* op(A) rows [i0, i0+mc) x k [k0, k0+kc) into MR-row panels, panel p at
 * Ap + p * MR * kc, a(i, k) at [k * MR + i]; rows past mc are zero.
 * a(i, k) = A[i * a_row + k * a_col]. */
static void pack_a(const sg_sgemm_micro *uk, int64_t mc, int64_t kc, const float *A, int64_t a_row,
                   int64_t a_col, float *Ap)
{
    const int mr = uk->mr;
    for (int64_t i0 = 0; i0 < mc; i0 += mr, Ap += (int64_t)mr * kc) {
        const int64_t rows = mc - i0 < mr ? mc - i0 : mr;
        const float *a = A + i0 * a_row;
        if (a_col == 1 && uk->pack_bt) {   /* the transposing packer, rows as its columns */
            uk->pack_bt(mr, kc, rows, a, a_row, Ap);
            continue;
        }
        if (a_col == 1) {   /* op(A) = A: each row is contiguous along k */
            for (int64_t i = 0; i < rows; i++) {
                const float *ai = a + i * a_row;
                for (int64_t k = 0; k < kc; k++) Ap[k * mr + i] = ai[k];
            }
        } else {            /* op(A) = A^T: a column of A is contiguous along i */
            for (int64_t k = 0; k < kc; k++) {
                const float *ak = a + k * a_col;
                for (int64_t i = 0; i < rows; i++) Ap[k * mr + i] = ak[i];
            }
        }
        if (rows < mr)
            for (int64_t k = 0; k < kc; k++)
                for (int64_t i = rows; i < mr; i++) Ap[k * mr + i] = 0.0f;
    }
}

/* op(B) rows k [0, K) x columns [0, nc) into NR-column panels, panel p at
 * Bp + p * NR * K, b(k, j) at [k * NR + j]; columns past nc are zero.
 * b(k, j) = B[k * b_row + j * b_col]. */
static void pack_b(const sg_sgemm_micro *uk, int64_t K, int64_t nc, const float *B, int64_t b_row,
                   int64_t b_col, float *Bp)
{
    const int nr = uk->nr;
    for (int64_t j0 = 0; j0 < nc; j0 += nr, Bp += (int64_t)nr * K) {
        const int64_t cols = nc - j0 < nr ? nc - j0 : nr;
        const float *b = B + j0 * b_col;
        if (b_col != 1 && uk->pack_bt) {
            uk->pack_bt(nr, K, cols, b, b_col, Bp);
        } else if (b_col == 1) {   /* op(B) = B: rows contiguous along j */
            for (int64_t k = 0; k < K; k++) {
                const float *bk = b + k * b_row;
                float *d = Bp + k * nr;
                for (int64_t j = 0; j < cols; j++) d[j] = bk[j];
                for (int64_t j = cols; j < nr; j++) d[j] = 0.0f;
            }
        } else {            /* op(B) = B^T: a row of B is contiguous along k */
            for (int64_t j = 0; j < cols; j++) {
                const float *bj = b + j * b_col;
                for (int64_t k = 0; k < K; k++) Bp[k * nr + j] = bj[k];
            }
            for (int64_t k = 0; k < K; k++)
                for (int64_t j = cols; j < nr; j++) Bp[k * nr + j] = 0.0f;
        }
    }
}

/* ---- the driver --------------------------------------------------------- */

/* A partial tile (mr x nr of the MR x NR the microkernel computes): run it on
 * stack copies of W and C, then copy back the mr x nr that exist. */
static void edge_tile(const sg_sgemm_micro *uk, int64_t mr, int64_t nr, int64_t kc,
                      const float *Ap, int64_t rsa, int64_t csa, const float *Bp, int64_t rsb,
                      float *W, int64_t ldw, bool first, bool last, float alpha, float beta,
                      float *C, int64_t ldc)
{
    float tw[16 * 64], tc[16 * 64];
    const int64_t NR = uk->nr;
    memset(tw, 0, sizeof(float) * (size_t)(uk->mr * NR));
    memset(tc, 0, sizeof(float) * (size_t)(uk->mr * NR));
    if (!first)
        for (int64_t i = 0; i < mr; i++) memcpy(tw + i * NR, W + i * ldw, sizeof(float) * (size_t)nr);
    if (last && beta != 0.0f)
        for (int64_t i = 0; i < mr; i++) memcpy(tc + i * NR, C + i * ldc, sizeof(float) * (size_t)nr);
    uk->fn(kc, Ap, rsa, csa, Bp, rsb, tw, NR, first, last, alpha, beta, tc, NR);
    if (last)
        for (int64_t i = 0; i < mr; i++) memcpy(C + i * ldc, tc + i * NR, sizeof(float) * (size_t)nr);
    else
        for (int64_t i = 0; i < mr; i++) memcpy(W + i * ldw, tw + i * NR, sizeof(float) * (size_t)nr);
}

/* Pack op(A) when a row block meets more column panels than this (else read
 * A in place), op(B) when it meets more row panels than this (or is B^T). */
enum { PACK_A_MIN_PANELS = 4, PACK_B_MIN_PANELS = 2 };

void sg_sgemm_packed(const sg_sgemm_micro *uk, bool transA, bool transB, int64_t M, int64_t N,
                     int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    const int64_t MR = uk->mr, NR = uk->nr;
    int64_t KC, MC, slab;
    sg_sgemm_blocking(uk->mr, uk->nr, &KC, &MC, &slab);
    /* Columns per slab: the K x NC packed slab within its budget, whole panels. */
    const int64_t Kp = K > 0 ? K : 1;
    int64_t NC = slab / Kp / NR * NR;
    if (NC < NR) NC = NR;
    const int64_t n_pad = (N + NR - 1) / NR * NR;
    if (NC > n_pad) NC = n_pad;
    const int64_t m_pad = (M < MC ? (M + MR - 1) / MR * MR : MC);
    const int64_t kc_max = K < KC ? K : KC;
    const bool carry_w = beta != 0.0f && K > KC;   /* running sums need a buffer */
    const bool pack_all_a = N > PACK_A_MIN_PANELS * NR;
    const bool pack_all_b = transB || M > PACK_B_MIN_PANELS * MR;

    float *Apack = scratch_get(BUF_A, (size_t)((pack_all_a ? m_pad : MR) * (kc_max > 0 ? kc_max : 1)));
    float *Bpack = scratch_get(BUF_B, (size_t)((pack_all_b ? NC : NR) * Kp));
    float *Wbuf = carry_w ? scratch_get(BUF_W, (size_t)(m_pad * NC)) : NULL;
    if (!Apack || !Bpack || (carry_w && !Wbuf)) {
        sg_k_sgemm_scalar(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const int64_t a_row = transA ? 1 : lda, a_col = transA ? lda : 1;
    const int64_t b_row = transB ? 1 : ldb, b_col = transB ? ldb : 1;

    for (int64_t jc = 0; jc < N; jc += NC) {
        const int64_t nc = N - jc < NC ? N - jc : NC;
        const int64_t nc_full = nc / NR * NR;   /* columns in whole panels */
        if (pack_all_b)
            pack_b(uk, K, nc, B + jc * b_col, b_row, b_col, Bpack);
        else if (nc_full < nc)                  /* only the partial panel */
            pack_b(uk, K, nc - nc_full, B + (jc + nc_full) * b_col, b_row, b_col, Bpack);
        for (int64_t ic = 0; ic < M; ic += MC) {
            const int64_t mc = M - ic < MC ? M - ic : MC;
            const int64_t mc_full = mc / MR * MR;
            float *Cb = C + ic * ldc + jc;
            float *W = carry_w ? Wbuf : Cb;
            const int64_t ldw = carry_w ? NC : ldc;
            for (int64_t pc = 0; pc < K || pc == 0; pc += KC) {
                const int64_t kc = K - pc < KC ? K - pc : KC;
                const bool first = pc == 0, last = pc + kc >= K;
                const float *Ab = A + ic * a_row + pc * a_col;
                if (pack_all_a)
                    pack_a(uk, mc, kc, Ab, a_row, a_col, Apack);
                else if (mc_full < mc)
                    pack_a(uk, mc - mc_full, kc, Ab + mc_full * a_row, a_row, a_col, Apack);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *Bp;
                    int64_t rsb = NR;
                    if (pack_all_b) Bp = Bpack + jr * Kp + pc * NR;
                    else if (nr < NR) Bp = Bpack + pc * NR;
                    else Bp = B + pc * ldb + jc + jr, rsb = ldb;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = mc - ir < MR ? mc - ir : MR;
                        const float *Ap;
                        int64_t rsa = 1, csa = MR;
                        if (pack_all_a) Ap = Apack + ir * kc;
                        else if (mr < MR) Ap = Apack;
                        else Ap = Ab + ir * a_row, rsa = a_row, csa = a_col;
                        float *Wt = W + ir * ldw + jr, *Ct = Cb + ir * ldc + jr;
                        if (mr == MR && nr == NR)
                            uk->fn(kc, Ap, rsa, csa, Bp, rsb, Wt, ldw, first, last, alpha, beta, Ct, ldc);
                        else
                            edge_tile(uk, mr, nr, kc, Ap, rsa, csa, Bp, rsb, Wt, ldw, first, last,
                                      alpha, beta, Ct, ldc);
                    }
                }
                if (K == 0) break;
            }
        }
    }
}

/* tests/test_kernels.c - every SIMD kernel against its scalar twin, bit for bit.
 *
 * The scalar twin defines the result (core/kernels/kernels.h); a port is right
 * when memcmp says so for every shape, not when a tolerance is met. Shapes
 * cover 1, small primes and every tail of every tile the kernels use (6 x 16
 * and 12 x 32 register tiles, k blocks of 256 and 512), leading dimensions
 * wider than the matrix, several alpha and beta, and beta == 0 over a C full
 * of NaN (the contract says beta == 0 never reads C). Larger shapes cross the
 * packed driver's row blocks, column slabs and k blocks (the running sums
 * carried in C or in the per-thread buffer), and the threaded driver
 * (core/gemm.c) gives the scalar twin's bits on 1 and 2 threads. ISAs the machine cannot
 * run are skipped with a message. The canonical reduction of core/sum.h is
 * checked against its longhand definition. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/gemm.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/sum.h"
#include "tests/testutil.h"

/* The first element where two results differ (bitwise), or -1. */
static int64_t first_difference(const float *x, const float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(x + i, y + i, sizeof(float)) != 0) return i;
    return -1;
}

START_TEST(every_isa_sgemm_is_bit_identical_to_scalar_for_every_tail)
{
    static const int Ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 37};
    static const int Ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 23, 31, 32, 33, 47};
    static const int Ks[] = {0, 1, 2, 7, 8, 9, 29, 256, 257, 520};
    static const float alphas[] = {1.0f, -0.5f, 2.5f};
    static const float betas[] = {0.0f, 1.0f, -0.75f, 0.3f};
    enum { MAXD = 37 + 2, MAXN = 47 + 2, MAXK = 520 + 2 };
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    float *A = malloc(sizeof(float) * MAXK * MAXD), *B = malloc(sizeof(float) * MAXK * MAXN);
    float *C0 = malloc(sizeof(float) * MAXD * MAXN), *R = malloc(sizeof(float) * MAXD * MAXN),
          *C = malloc(sizeof(float) * MAXD * MAXN);
    sg_test_fill_normal(A, MAXK * MAXD, 8, 1);
    sg_test_fill_normal(B, MAXK * MAXN, 9, 1);
    sg_test_fill_normal(C0, MAXD * MAXN, 10, 1);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name((sg_isa)isa));
            continue;
        }
        if (isa == SG_ISA_SCALAR) continue;
        int64_t calls = 0;
        for (size_t mi = 0; mi < sizeof Ms / sizeof *Ms; mi++)
            for (size_t ni = 0; ni < sizeof Ns / sizeof *Ns; ni++)
                for (size_t ki = 0; ki < sizeof Ks / sizeof *Ks; ki++)
                    for (int tr = 0; tr < 4; tr++) {
                        const int M = Ms[mi], N = Ns[ni], K = Ks[ki];
                        const bool ta = tr & 1, tb = tr & 2;
                        const size_t v = mi + ni + ki + (size_t)tr;   /* rotates the rest */
                        const int pad = (int)(v % 3);                 /* leading dims: +0..2 */
                        const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
                        const float alpha = alphas[v % 3], beta = betas[(v / 3 + mi) % 4];
                        memcpy(R, C0, sizeof(float) * MAXD * MAXN);
                        if (beta == 0.0f)   /* must never be read */
                            for (int64_t i = 0; i < MAXD * MAXN; i++) R[i] = NAN;
                        memcpy(C, R, sizeof(float) * MAXD * MAXN);
                        ref->sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
                        t->sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
                        const int64_t d = first_difference(R, C, M * ldc);
                        ck_assert_msg(d < 0,
                                      "%s sgemm transA=%d transB=%d M=%d N=%d K=%d lda=%ld ldb=%ld ldc=%ld "
                                      "alpha=%g beta=%g: C[%ld][%ld] is %a (%.9g), scalar twin %a (%.9g)",
                                      sg_isa_name((sg_isa)isa), ta, tb, M, N, K, (long)lda, (long)ldb,
                                      (long)ldc, alpha, beta, (long)(d / ldc), (long)(d % ldc), C[d],
                                      C[d], R[d], R[d]);
                        calls++;
                    }
        printf("isa %s: sgemm bit-identical to scalar in %ld calls\n", sg_isa_name((sg_isa)isa),
               (long)calls);
    }
    free(A); free(B); free(C0); free(R); free(C);
}
END_TEST

/* Shapes that cross the packed driver's blocks: more rows than one row block
 * (at most 240), more k than two k blocks, a B slab wider than its budget
 * (2^21 floats by default: 3 x 2100 x 1100), every transpose case, padded
 * leading dimensions, beta = 0 over NaN and beta != 0 (sums carried in the
 * per-thread buffer). */
START_TEST(every_isa_sgemm_matches_scalar_across_cache_blocks)
{
    static const int shapes[][3] = {{241, 45, 600}, {250, 70, 1030}, {3, 2100, 1100}, {30, 530, 65}};
    static const float betas[] = {0.0f, 0.5f};
    enum { PAD = 3 };
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        const size_t na = (size_t)(M + PAD) * (K + PAD), nb = (size_t)(K + PAD) * (N + PAD),
                     nc = (size_t)M * (N + PAD);
        float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
        float *C0 = malloc(sizeof(float) * nc), *R = malloc(sizeof(float) * nc), *C = malloc(sizeof(float) * nc);
        sg_test_fill_normal(A, (int64_t)na, 11 + s, 1);
        sg_test_fill_normal(B, (int64_t)nb, 12 + s, 1);
        sg_test_fill_normal(C0, (int64_t)nc, 13 + s, 1);
        for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
            const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
            if (!t) continue;
            for (int tr = 0; tr < 4; tr++)
                for (int bi = 0; bi < 2; bi++) {
                    const bool ta = tr & 1, tb = tr & 2;
                    const int64_t lda = (ta ? M : K) + PAD, ldb = (tb ? K : N) + PAD, ldc = N + PAD;
                    const float alpha = bi ? -1.5f : 1.0f, beta = betas[bi];
                    for (size_t i = 0; i < nc; i++) R[i] = beta == 0.0f ? NAN : C0[i];
                    memcpy(C, R, sizeof(float) * nc);
                    ref->sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
                    t->sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
                    const int64_t d = first_difference(R, C, M * ldc);
                    ck_assert_msg(d < 0, "%s sgemm transA=%d transB=%d M=%d N=%d K=%d beta=%g: C[%ld][%ld] is %a, "
                                  "scalar twin %a", sg_isa_name((sg_isa)isa), ta, tb, M, N, K, beta,
                                  (long)(d / ldc), (long)(d % ldc), C[d], R[d]);
                }
        }
        free(A), free(B), free(C0), free(R), free(C);
    }
}
END_TEST

/* The threaded driver sg_gemm cuts C into tiles and runs them on the pool:
 * on 1 and 2 threads, with every table, the scalar twin's bits. */
START_TEST(threaded_gemm_gives_the_scalar_bits_on_1_and_2_threads)
{
    enum { M = 203, N = 301, K = 97 };   /* 5.9M multiply-adds: 4 tiles */
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *R = malloc(sizeof(float) * M * N), *C = malloc(sizeof(float) * M * N);
    sg_test_fill_normal(A, M * K, 21, 1);
    sg_test_fill_normal(B, K * N, 22, 1);
    const sg_isa active = sg_kernels()->isa;
    const int threads = sg_threads();
    for (int tr = 0; tr < 4; tr++) {
        const bool ta = tr & 1, tb = tr & 2;
        const int64_t lda = ta ? M : K, ldb = tb ? K : N;
        sg_test_fill_normal(R, M * N, 23, 1);
        sg_kernels_for(SG_ISA_SCALAR)->sgemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1.0f, R, N);
        for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
            if (!sg_kernels_for((sg_isa)isa)) continue;
            ck_assert_int_eq(sg_kernels_select((sg_isa)isa), SG_OK);
            for (int nt = 1; nt <= 2; nt++) {
                ck_assert_int_eq(sg_set_threads(nt), SG_OK);
                sg_test_fill_normal(C, M * N, 23, 1);
                sg_gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1.0f, C, N);
                const int64_t d = first_difference(R, C, M * N);
                ck_assert_msg(d < 0, "%s sg_gemm transA=%d transB=%d on %d threads: C[%ld] is %a, scalar twin %a",
                              sg_isa_name((sg_isa)isa), ta, tb, nt, (long)d, C[d], R[d]);
            }
        }
    }
    sg_kernels_select(active);
    sg_set_threads(threads);
    free(A), free(B), free(R), free(C);
}
END_TEST

/* The depthwise plane kernels against the scalar twin, bit for bit: 3 x 3 and
 * 5 x 5 (and 1 x 7, 7 x 1), strides 1 and 2, padding 0..3, dilation 1 and 2,
 * widths around every tail of a 16-lane row (1, 7, 15, 16, 17, 33, 56),
 * 112, and 129 and 300 (chunks of 8 vectors and a partial one after), bias
 * with and without accumulating, dx accumulated onto old values. */
START_TEST(every_isa_depthwise_planes_are_bit_identical_to_scalar)
{
    static const int sizes[][2] = {{1, 1},   {5, 7},   {9, 15},  {16, 16}, {17, 17},
                                   {8, 33},  {56, 56}, {12, 112}, {3, 129}, {2, 300}};   /* 129, 300: several chunks */
    static const int kernels[][2] = {{3, 3}, {5, 5}, {1, 7}, {7, 1}};
    enum { MAXP = 112 * 112 + 64 };
    float *x = malloc(sizeof(float) * MAXP), *y0 = malloc(sizeof(float) * MAXP);
    float *R = malloc(sizeof(float) * MAXP), *C = malloc(sizeof(float) * MAXP), w[64];
    sg_test_fill_normal(x, MAXP, 31, 1);
    sg_test_fill_normal(y0, MAXP, 32, 1);
    sg_test_fill_normal(w, 64, 33, 1);
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    int64_t calls = 0;
    for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
            for (size_t ki = 0; ki < sizeof kernels / sizeof *kernels; ki++)
                for (int v = 0; v < 16; v++) {
                    const int64_t sh = 1 + (v & 1), sw = 1 + ((v >> 1) & 1), dil = 1 + (v >> 3);
                    const int64_t pad = (v >> 2) & 3;
                    sg_dw_geom g = {sizes[si][0], sizes[si][1], 0, 0, kernels[ki][0], kernels[ki][1],
                                    sh, sw, dil, dil, pad, pad};
                    g.OH = (g.H + 2 * pad - dil * (g.KH - 1) - 1) / sh + 1;
                    g.OW = (g.W + 2 * pad - dil * (g.KW - 1) - 1) / sw + 1;
                    if (g.OH < 1 || g.OW < 1) continue;
                    const float bias = v & 4 ? 0.0f : -0.375f;
                    const bool accumulate = v & 2;
                    memcpy(R, y0, sizeof(float) * MAXP), memcpy(C, y0, sizeof(float) * MAXP);
                    ref->dw_forward(&g, x, w, bias, accumulate, R);
                    t->dw_forward(&g, x, w, bias, accumulate, C);
                    int64_t d = first_difference(R, C, MAXP);
                    ck_assert_msg(d < 0, "%s dw_forward H=%ld W=%ld K=%ldx%ld stride=%ldx%ld pad=%ld dil=%ld: "
                                  "y[%ld] is %a, scalar twin %a", sg_isa_name((sg_isa)isa), (long)g.H,
                                  (long)g.W, (long)g.KH, (long)g.KW, (long)sh, (long)sw, (long)pad, (long)dil,
                                  (long)d, C[d], R[d]);
                    memcpy(R, y0, sizeof(float) * MAXP), memcpy(C, y0, sizeof(float) * MAXP);
                    ref->dw_backward_data(&g, x, w, R);
                    t->dw_backward_data(&g, x, w, C);
                    d = first_difference(R, C, MAXP);
                    ck_assert_msg(d < 0, "%s dw_backward_data H=%ld W=%ld K=%ldx%ld stride=%ldx%ld pad=%ld dil=%ld: "
                                  "dx[%ld] is %a, scalar twin %a", sg_isa_name((sg_isa)isa), (long)g.H,
                                  (long)g.W, (long)g.KH, (long)g.KW, (long)sh, (long)sw, (long)pad, (long)dil,
                                  (long)d, C[d], R[d]);
                    calls += 2;
                }
    }
    printf("depthwise planes bit-identical to scalar in %ld calls\n", (long)calls);
    free(x), free(y0), free(R), free(C);
}
END_TEST

/* The depthwise weight gradient, recomputed here in the order kernels.h states
 * (images, then rows; a stride-1 row as the canonical dot of the scalar sums,
 * other rows product by product in double), must equal every ISA's table bit
 * for bit; and a 3 x 3 image with a 3 x 3 kernel, pad 1, is checked by hand. */
static void dw_weight_reference(const sg_dw_geom *g, int64_t N, const float *x, int64_t x_img, const float *dy,
                                int64_t dy_img, float *dw)
{
    for (int64_t kh = 0; kh < g->KH; kh++)
        for (int64_t kw = 0; kw < g->KW; kw++) {
            double acc = 0.0;
            for (int64_t n = 0; n < N; n++)
                for (int64_t oh = 0; oh < g->OH; oh++) {
                    const int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
                    if (ih < 0 || ih >= g->H) continue;
                    /* the row's ow whose input column lies inside x, found by testing each */
                    int64_t lo = -1, hi = -1;
                    for (int64_t ow = 0; ow < g->OW; ow++) {
                        const int64_t iw = ow * g->stride_w - g->pad_left + kw * g->dil_w;
                        if (iw >= 0 && iw < g->W) {
                            if (lo < 0) lo = ow;
                            hi = ow + 1;
                        }
                    }
                    if (lo < 0) continue;
                    const float *xr = x + n * x_img + ih * g->W, *dr = dy + n * dy_img + oh * g->OW;
                    const int64_t off = kw * g->dil_w - g->pad_left;
                    if (g->stride_w == 1)
                        acc += sg_k_sums_scalar(SG_SUMS_DOT, dr + lo, xr + lo + off, 0.0, hi - lo);
                    else
                        for (int64_t ow = lo; ow < hi; ow++) acc += (double)dr[ow] * xr[ow * g->stride_w + off];
                }
            dw[kh * g->KW + kw] += (float)acc;
        }
}

START_TEST(depthwise_weight_gradient_follows_its_stated_order_on_every_isa)
{
    /* by hand: one image, x = 1..9 (3 x 3), dy = 1 everywhere, 3 x 3 taps, pad 1:
     * the centre tap sees every pixel (45), a corner tap the 2 x 2 block away from it */
    {
        float x[9], dy[9], dw[9] = {0};
        for (int i = 0; i < 9; i++) x[i] = (float)(i + 1), dy[i] = 1.0f;
        const sg_dw_geom g = {3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1};
        sg_kernels_for(SG_ISA_SCALAR)->dw_backward_weight(&g, 1, x, 9, dy, 9, dw);
        const float want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
        for (int i = 0; i < 9; i++) ck_assert_msg(dw[i] == want[i], "dw[%d] = %g, by hand %g", i, dw[i], want[i]);
    }
    enum { N = 3, MAXP = 48 * 48 };   /* room for any plane below (the largest, input or output, is 1260) */
    float *x = malloc(sizeof(float) * N * MAXP), *dy = malloc(sizeof(float) * N * MAXP);
    sg_test_fill_normal(x, N * MAXP, 41, 1);
    sg_test_fill_normal(dy, N * MAXP, 42, 1);
    int64_t calls = 0;
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (int v = 0; v < 48; v++) {
            const int64_t K = v % 3 == 0 ? 3 : v % 3 == 1 ? 5 : 1, s = 1 + (v / 3) % 2, dil = 1 + (v / 6) % 2;
            const int64_t pad = (v / 12) % 4, H = 5 + v % 7 * 5, W = 7 + v * 13 % 35;
            sg_dw_geom g = {H, W, 0, 0, K, K, s, s, dil, dil, pad, pad};
            g.OH = (H + 2 * pad - dil * (K - 1) - 1) / s + 1;
            g.OW = (W + 2 * pad - dil * (K - 1) - 1) / s + 1;
            if (g.OH < 1 || g.OW < 1) continue;
            float got[25], want[25];
            sg_test_fill_normal(got, 25, 43 + v, 1);
            memcpy(want, got, sizeof got);
            t->dw_backward_weight(&g, N, x, MAXP, dy, MAXP, got);
            dw_weight_reference(&g, N, x, MAXP, dy, MAXP, want);
            const int64_t d = first_difference(want, got, K * K);
            ck_assert_msg(d < 0, "%s dw_backward_weight H=%ld W=%ld K=%ld stride=%ld pad=%ld dil=%ld: dw[%ld] is %a, "
                          "the stated order gives %a", sg_isa_name((sg_isa)isa), (long)H, (long)W, (long)K, (long)s,
                          (long)pad, (long)dil, (long)d, got[d], want[d]);
            calls++;
        }
    }
    printf("depthwise weight gradient in its stated order in %ld calls\n", (long)calls);
    free(x), free(dy);
}
END_TEST

/* beta == 0 must overwrite C, whatever it held (NaN, inf), on every ISA. */
START_TEST(sgemm_beta_zero_ignores_nan_in_c_on_every_isa)
{
    enum { M = 5, N = 19, K = 3 };
    float A[M * K], B[K * N], C[M * N];
    sg_test_fill_normal(A, M * K, 1, 1);
    sg_test_fill_normal(B, K * N, 2, 1);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (int tr = 0; tr < 4; tr++) {
            const bool ta = tr & 1, tb = tr & 2;
            for (int i = 0; i < M * N; i++) C[i] = i % 2 ? NAN : INFINITY;
            t->sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C, N);
            for (int i = 0; i < M * N; i++)
                ck_assert_msg(isfinite(C[i]), "%s transA=%d transB=%d: C[%d] = %g after beta = 0",
                              sg_isa_name((sg_isa)isa), ta, tb, i, C[i]);
        }
    }
}
END_TEST

/* The canonical reduction (core/sum.h), written out longhand: 16 lanes, the
 * pairwise tree 8-4-2-1, then the tail. Every length 0..100 must match it
 * bit for bit, so a SIMD port of sg_sum_* has one target. */
static double canonical_sum_longhand(const double *t, int64_t n)
{
    double lane[16] = {0};
    int64_t n16 = n - n % 16;
    for (int64_t i = 0; i < n16; i++) lane[i % 16] += t[i];
    for (int l = 0; l < 8; l++) lane[l] += lane[l + 8];
    for (int l = 0; l < 4; l++) lane[l] += lane[l + 4];
    for (int l = 0; l < 2; l++) lane[l] += lane[l + 2];
    double acc = lane[0] + lane[1];
    for (int64_t i = n16; i < n; i++) acc += t[i];
    return acc;
}

START_TEST(sums_follow_the_canonical_shape_bit_for_bit)
{
    enum { N = 100 };
    float a[N], b[N];
    double t[N];
    sg_test_fill_normal(a, N, 3, 1e3f);
    sg_test_fill_normal(b, N, 4, 1.0f);
    for (int64_t n = 0; n <= N; n++) {
        for (int64_t i = 0; i < n; i++) t[i] = (double)a[i];
        double want = canonical_sum_longhand(t, n), got = sg_sum_f32(a, n);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "sum n=%ld: %a, want %a", (long)n, got, want);
        got = sg_sum_f64(t, n);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "sum f64 n=%ld: %a, want %a", (long)n, got, want);
        for (int64_t i = 0; i < n; i++) t[i] = (double)a[i] * (double)b[i];
        want = canonical_sum_longhand(t, n), got = sg_dot_f32(a, b, n);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "dot n=%ld: %a, want %a", (long)n, got, want);
        for (int64_t i = 0; i < n; i++) t[i] = ((double)a[i] - 0.5) * ((double)a[i] - 0.5);
        want = canonical_sum_longhand(t, n), got = sg_sum_sq_dev_f32(a, n, 0.5);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "sum sq n=%ld: %a, want %a", (long)n, got, want);
        for (int64_t i = 0; i < n; i++) t[i] = (double)b[i] * (double)(a[i] - 0.25f);
        want = canonical_sum_longhand(t, n), got = sg_dot_centered_f32(b, a, 0.25f, n);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "dot centered n=%ld: %a, want %a", (long)n, got, want);
    }
}
END_TEST

/* Every table's canonical reductions against the scalar twin, bit for bit:
 * every length 0..100 and a few long ones, unaligned starts, all four terms. */
START_TEST(every_isa_sums_are_bit_identical_to_scalar)
{
    enum { N = 5000 };
    static const int64_t longs[] = {255, 256, 257, 1000, 4099};
    float *x = malloc(sizeof(float) * (N + 8)), *y = malloc(sizeof(float) * (N + 8));
    sg_test_fill_normal(x, N + 8, 5, 100.0f);
    sg_test_fill_normal(y, N + 8, 6, 1.0f);
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    static const char *ops[] = {"plain", "sq_dev", "dot", "dot_dev"};
    for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (int op = 0; op < 4; op++)
            for (int64_t k = 0; k <= 100 + 5; k++) {
                const int64_t n = k <= 100 ? k : longs[k - 101];
                const int64_t off = k % 7;   /* unaligned starts */
                const double center = op % 2 ? 3.25 : 0.0;
                double want = ref->sums((sg_sums_op)op, x + off, y + off, center, n);
                double got = t->sums((sg_sums_op)op, x + off, y + off, center, n);
                ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "%s sums %s n=%ld: %a, scalar twin %a",
                              sg_isa_name((sg_isa)isa), ops[op], (long)n, got, want);
            }
        printf("isa %s: sums bit-identical to scalar\n", sg_isa_name((sg_isa)isa));
    }
    free(x), free(y);
}
END_TEST

/* The ISA registry (core/isa.h): names round-trip, fallbacks are earlier
 * entries the machine can run whenever it runs the ISA, and every family of
 * every table runs an implementation of the ISA itself or of its fallbacks. */
START_TEST(isa_registry_is_consistent)
{
    char names[128];
    sg_isa_names_joined("|", names, sizeof names);
    ck_assert_msg(strncmp(names, "scalar|", 7) == 0, "registry: %s", names);
    for (int i = 0; i < SG_ISA_COUNT; i++) {
        sg_isa parsed;
        ck_assert_int_eq(sg_isa_parse(sg_isa_name((sg_isa)i), &parsed), SG_OK);
        ck_assert_int_eq((int)parsed, i);
        ck_assert(strcmp(sg_isa_description((sg_isa)i), "?") != 0);
        sg_isa fb = sg_isa_fallback((sg_isa)i);
        ck_assert(i == SG_ISA_SCALAR ? fb == SG_ISA_SCALAR : (int)fb < i);
        const sg_kernel_table *t = sg_kernels_for((sg_isa)i);
        if (!t) continue;
        ck_assert_msg(sg_isa_supported(fb), "%s runs but its fallback %s does not", sg_isa_name((sg_isa)i),
                      sg_isa_name(fb));
        ck_assert_int_eq((int)t->isa, i);
        for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++) {
            sg_isa impl = sg_kernel_family_isa(t, k), chain = (sg_isa)i;
            while (chain != impl && chain != SG_ISA_SCALAR) chain = sg_isa_fallback(chain);
            ck_assert_msg(chain == impl, "%s: %s runs the %s kernel, not in its fallback chain",
                          sg_isa_name((sg_isa)i), sg_kernel_family_name(k), sg_isa_name(impl));
        }
    }
    ck_assert_str_eq(sg_isa_name(SG_ISA_COUNT), "?");
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    SG_ADD_TEST(s, every_isa_sgemm_is_bit_identical_to_scalar_for_every_tail, 120);
    SG_ADD_TEST(s, sgemm_beta_zero_ignores_nan_in_c_on_every_isa, 10);
    SG_ADD_TEST(s, every_isa_sgemm_matches_scalar_across_cache_blocks, 120);
    SG_ADD_TEST(s, threaded_gemm_gives_the_scalar_bits_on_1_and_2_threads, 60);
    SG_ADD_TEST(s, every_isa_depthwise_planes_are_bit_identical_to_scalar, 60);
    SG_ADD_TEST(s, depthwise_weight_gradient_follows_its_stated_order_on_every_isa, 60);
    SG_ADD_TEST(s, sums_follow_the_canonical_shape_bit_for_bit, 10);
    SG_ADD_TEST(s, isa_registry_is_consistent, 10);
    SG_ADD_TEST(s, every_isa_sums_are_bit_identical_to_scalar, 30);
    return s;
}

SG_TEST_MAIN(kernels_suite)

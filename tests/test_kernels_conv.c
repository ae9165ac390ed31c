/* tests/test_kernels_conv.c - the data-movement kernel families of
 * convolution and resizing (im2col, col2im: core/kernels/conv_*.c; nearest
 * and bilinear upsampling: resize_*.c) and the reductions along axes
 * (reduce_*.c): every SIMD twin the machine can run
 * against the scalar twin, bit for bit, and every table against
 * hand-computed columns and values and im2col/col2im's adjoint property.
 *
 * The twin cases are core/kernels/conv_compare.c's full set (the one
 * `steelgrad info --compare` runs a quick subset of): input widths 1, 2, 3, 5,
 * 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 47, 64, 65 (every tail of 4, 8 and 16
 * lanes, primes), kernels 1x1 to 7x7 and 1x3, 3x1, strides 1, 2, 3, padding
 * 0..3, dilation 1 and 2, chunks of columns cut inside output rows, row and
 * channel ranges starting past 0, pointers 1..3 floats past an aligned start,
 * NaN and infinities in the values; resizing 1:1, 2x, fractional up and
 * down, with and without corner alignment; reductions over walks of 0..2
 * dims, widths and run lengths 1..1000 with every tail, NaN and tied maxima
 * (-0 beside +0). ISAs the machine cannot run are skipped with a message. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/kernels/conv_compare.h"
#include "core/kernels/kernels.h"
#include "tests/testutil.h"

START_TEST(every_isa_conv_family_is_bit_identical_to_scalar)
{
#define FAMILY_(family, fn_type) SG_KERNEL_##family,
    static const int families[] = {
        SG_KERNEL_FAMILIES_CONV(FAMILY_)
        SG_KERNEL_FAMILIES_RESIZE(FAMILY_)
        SG_KERNEL_FAMILIES_REDUCE(FAMILY_)};
#undef FAMILY_
    sg_test_every_isa_matches_scalar("conv families", sg_k_conv_compare, families,
                                     (int)(sizeof families / sizeof families[0]));
}
END_TEST

/* The comparison catches a difference: col2im that adds one ulp to its last element. */
static void col2im_off_by_one_ulp(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0,
                                  int64_t c1, float *dx, int64_t img_stride)
{
    sg_k_col2im_scalar(g, col, j0, ncols, c0, c1, dx, img_stride);
    float *last = dx + (j0 + ncols - 1) / (g->OH * g->OW) * img_stride + c1 * g->H * g->W - 1;
    *last = nextafterf(*last, INFINITY);
}

START_TEST(conv_compare_reports_a_one_ulp_difference)
{
    sg_kernel_table bad = *sg_kernels_for(SG_ISA_SCALAR);
    bad.col2im = col2im_off_by_one_ulp;
    const int differ = sg_k_conv_compare(SG_KERNEL_col2im, &bad, sg_kernels_for(SG_ISA_SCALAR), 1, NULL);
    ck_assert_int_gt(differ, 0);
}
END_TEST

/* ...and a maximum that keeps the last of equal maxima (>= for >): the
 * cases have ties, so the index differs somewhere. */
static void max_cols_last_tie(const sg_reduce_walk *red, const float *base, int64_t w, float *best, int64_t *at)
{
    sg_k_reduce_max_cols_scalar(red, base, w, best, at);
    int64_t off = 0;
    for (int d = 0; d < red->n; d++) off += (red->size[d] - 1) * red->stride[d];
    for (int64_t i = 0; i < w; i++)   /* the last position wins a tie */
        if (base[off + i] == best[i] && !isnan(best[i])) at[i] = off + i;
}

START_TEST(conv_compare_reports_a_maximum_that_takes_the_last_tie)
{
    sg_kernel_table bad = *sg_kernels_for(SG_ISA_SCALAR);
    bad.reduce_max_cols = max_cols_last_tie;
    const int differ = sg_k_conv_compare(SG_KERNEL_reduce_max_cols, &bad, sg_kernels_for(SG_ISA_SCALAR), 1, NULL);
    ck_assert_int_gt(differ, 0);
}
END_TEST

/* x = 1..12 on one 3 x 4 plane, a 3 x 3 kernel, padding 1: hand-written rows
 * of the column matrix (stride 1, then stride 2). */
START_TEST(im2col_gives_the_hand_computed_columns)
{
    float x[12], col[9 * 12];
    for (int i = 0; i < 12; i++) x[i] = (float)(i + 1);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        const sg_dw_geom g1 = {3, 4, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1};
        t->im2col(&g1, x, 12, 0, 12, 0, 9, col);
        /* tap (0, 0): x[oh - 1][ow - 1] */
        const float tap00[12] = {0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7};
        /* tap (1, 1): x itself; tap (2, 2): x[oh + 1][ow + 1] */
        const float tap22[12] = {6, 7, 8, 0, 10, 11, 12, 0, 0, 0, 0, 0};
        for (int j = 0; j < 12; j++) {
            ck_assert_msg(col[0 * 12 + j] == tap00[j], "%s tap (0,0) column %d: expected %g, found %g",
                          sg_isa_name((sg_isa)isa), j, (double)tap00[j], (double)col[j]);
            ck_assert_msg(col[4 * 12 + j] == x[j], "%s tap (1,1) column %d: expected %g, found %g",
                          sg_isa_name((sg_isa)isa), j, (double)x[j], (double)col[4 * 12 + j]);
            ck_assert_msg(col[8 * 12 + j] == tap22[j], "%s tap (2,2) column %d: expected %g, found %g",
                          sg_isa_name((sg_isa)isa), j, (double)tap22[j], (double)col[8 * 12 + j]);
        }
        /* stride 2: outputs 2 x 2, tap (1, 2) reads x[2 oh][2 ow + 1] */
        const sg_dw_geom g2 = {3, 4, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1};
        t->im2col(&g2, x, 12, 0, 4, 0, 9, col);
        const float tap12[4] = {2, 4, 10, 12};
        for (int j = 0; j < 4; j++)
            ck_assert_msg(col[5 * 4 + j] == tap12[j], "%s stride 2 tap (1,2) column %d: expected %g, found %g",
                          sg_isa_name((sg_isa)isa), j, (double)tap12[j], (double)col[5 * 4 + j]);
    }
}
END_TEST

/* col2im is im2col's adjoint: <im2col(x), c> = <x, col2im(c)> exactly for
 * small integers (every product and sum exact in float), here with stride 2,
 * dilation 2 and uneven padding over two images and two channels. */
START_TEST(col2im_is_the_adjoint_of_im2col)
{
    enum { N = 2, C = 2, H = 7, W = 9 };
    const sg_dw_geom g = {H, W, 3, 5, 3, 3, 2, 2, 2, 2, 1, 2};
    const int64_t K = C * 9, cols = N * 3 * 5, img = C * H * W;
    float x[N * C * H * W], c[2 * 9 * N * 3 * 5], xc[2 * 9 * N * 3 * 5], dx[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++) x[i] = (float)(i % 7 - 3);
    for (int64_t i = 0; i < K * cols; i++) c[i] = (float)(i % 5 - 2);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        memset(dx, 0, sizeof dx);
        t->im2col(&g, x, img, 0, cols, 0, K, xc);
        t->col2im(&g, c, 0, cols, 0, C, dx, img);
        double lhs = 0, rhs = 0;
        for (int64_t i = 0; i < K * cols; i++) lhs += (double)xc[i] * c[i];
        for (int i = 0; i < N * C * H * W; i++) rhs += (double)x[i] * dx[i];
        ck_assert_msg(lhs == rhs && lhs != 0, "%s: <im2col(x), c> = %g, <x, col2im(c)> = %g",
                      sg_isa_name((sg_isa)isa), lhs, rhs);
    }
}
END_TEST

/* Nearest 2x of [[1, 2], [3, 4]] repeats each value in a 2 x 2 block, and
 * its gradient of ones gives 4 per input; bilinear between 4 and 8 with
 * weights t = 0, 0.25, ..., 1 gives 4 + 4t (exact). 40 columns, so the
 * vector paths run too. */
START_TEST(resize_kernels_give_hand_computed_values)
{
    enum { W = 20, OW = 40 };
    int64_t w0[OW], w1[OW], hz[1] = {0};
    float x[2 * W], y[4 * OW], dx[2 * W], ones[4 * OW], lw0[OW], lw1[OW], one[1] = {1.0f}, zero[1] = {0.0f};
    for (int j = 0; j < OW; j++) w0[j] = j / 2, w1[j] = 1, lw1[j] = (float)(j % 5) * 0.25f, lw0[j] = 1.0f - lw1[j];
    for (int i = 0; i < 2 * W; i++) x[i] = (float)(i + 1);
    for (int i = 0; i < 4 * OW; i++) ones[i] = 1.0f;
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        /* nearest: [2, W] -> [4, OW], rows 0 0 1 1 */
        const int64_t rows[4] = {0, 0, 1, 1};
        const sg_resize_geom gn = {2, W, 4, OW, rows, rows, w0, w0, NULL, NULL, NULL, NULL};
        t->up_nearest_forward(&gn, x, y, 1);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < OW; j++)
                ck_assert_msg(y[i * OW + j] == x[(i / 2) * W + j / 2], "%s nearest y[%d][%d]: expected %g, found %g",
                              sg_isa_name((sg_isa)isa), i, j, (double)x[(i / 2) * W + j / 2], (double)y[i * OW + j]);
        memset(dx, 0, sizeof dx);
        t->up_nearest_backward(&gn, ones, dx, 1);
        for (int i = 0; i < 2 * W; i++)
            ck_assert_msg(dx[i] == 4.0f, "%s nearest dx[%d]: expected 4, found %g", sg_isa_name((sg_isa)isa), i,
                          (double)dx[i]);
        /* bilinear: one row [4, 8] -> OW columns between them */
        const float xb[2] = {4.0f, 8.0f};
        int64_t wz[OW];
        for (int j = 0; j < OW; j++) wz[j] = 0;
        const sg_resize_geom gb = {1, 2, 1, OW, hz, hz, wz, w1, one, zero, lw0, lw1};
        t->up_bilinear_forward(&gb, xb, y, 1);
        for (int j = 0; j < OW; j++)
            ck_assert_msg(y[j] == 4.0f + 4.0f * lw1[j], "%s bilinear y[%d]: expected %g, found %g",
                          sg_isa_name((sg_isa)isa), j, 4.0 + 4.0 * lw1[j], (double)y[j]);
    }
}
END_TEST

static Suite *kernels_conv_suite(void)
{
    Suite *s = suite_create("kernels_conv");
    SG_ADD_TEST(s, every_isa_conv_family_is_bit_identical_to_scalar, 120);
    SG_ADD_TEST(s, conv_compare_reports_a_one_ulp_difference, 30);
    SG_ADD_TEST(s, conv_compare_reports_a_maximum_that_takes_the_last_tie, 30);
    SG_ADD_TEST(s, im2col_gives_the_hand_computed_columns, 30);
    SG_ADD_TEST(s, col2im_is_the_adjoint_of_im2col, 30);
    SG_ADD_TEST(s, resize_kernels_give_hand_computed_values, 30);
    return s;
}

SG_TEST_MAIN(kernels_conv_suite)

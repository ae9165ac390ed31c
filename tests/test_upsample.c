/* tests/test_upsample.c - nearest and bilinear resizing: which source pixels
 * are read (PyTorch's index rules), ramps stay ramps, gradients against
 * finite differences, thread-count independence, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/upsample.h"
#include "tests/testutil.h"

/* A [1, 1, 1, W] row holding 0, 1, ..., W-1: a resized row shows the source
 * coordinate each output pixel was taken from. */
static sg_tensor *ramp(sg_graph *g, int64_t W)
{
    const int64_t s[4] = {1, 1, 1, W};
    sg_tensor *x = sg_graph_tensor(g, 4, s);
    for (int64_t i = 0; i < W; i++) x->data[i] = (float)i;
    return x;
}

START_TEST(upsample_nearest2d_reads_floor_of_dst_times_in_over_out)
{
    sg_graph *g = sg_graph_new();
    /* 5 -> 7: floor(d * 5/7) = 0 0 1 2 2 3 4 */
    sg_tensor *y = sg_upsample_nearest2d(g, ramp(g, 5), 1, 7);
    const float up[7] = {0, 0, 1, 2, 2, 3, 4};
    SG_ASSERT_CLOSE("nearest 5 -> 7", up, y->data, 7, 0, 0);
    /* 8 -> 3: floor(d * 8/3) = 0 2 5 */
    y = sg_upsample_nearest2d(g, ramp(g, 8), 1, 3);
    const float down[3] = {0, 2, 5};
    SG_ASSERT_CLOSE("nearest 8 -> 3", down, y->data, 3, 0, 0);
    /* scale_factor 1.5 on 5: out floor(7.5) = 7, src = floor(d / 1.5) = 0 0 1 2 2 3 4 */
    y = sg_upsample_nearest2d_scale(g, ramp(g, 5), 1.0, 1.5);
    ck_assert_int_eq(y->shape[3], 7);
    SG_ASSERT_CLOSE("nearest scale 1.5", up, y->data, 7, 0, 0);
    /* scale_factor 1.7 on 4: out floor(6.8) = 6 and src = floor(d / 1.7) =
     * 0 0 1 1 2 2, where the size-based rule (4/6) would read 0 0 1 2 2 3. */
    y = sg_upsample_nearest2d_scale(g, ramp(g, 4), 1.0, 1.7);
    ck_assert_int_eq(y->shape[3], 6);
    const float s17[6] = {0, 0, 1, 1, 2, 2};
    SG_ASSERT_CLOSE("nearest scale 1.7", s17, y->data, 6, 0, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(upsample_bilinear2d_maps_corners_or_pixel_areas)
{
    sg_graph *g = sg_graph_new();
    /* align_corners: src = d * (4 - 1) / (7 - 1) = d / 2, and a ramp stays a ramp. */
    sg_tensor *y = sg_upsample_bilinear2d(g, ramp(g, 4), 1, 7, true);
    const float ac[7] = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3};
    SG_ASSERT_CLOSE("bilinear align_corners 4 -> 7", ac, y->data, 7, 1e-6, 0);
    /* half-pixel: src = (d + 0.5) * 4/8 - 0.5, clamped below at 0 and reading
     * the last pixel twice at the right edge. */
    y = sg_upsample_bilinear2d(g, ramp(g, 4), 1, 8, false);
    const float hp[8] = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
    SG_ASSERT_CLOSE("bilinear half-pixel 4 -> 8", hp, y->data, 8, 1e-6, 0);
    /* out == in is the identity in both conventions; out == 1 with
     * align_corners reads pixel 0. */
    y = sg_upsample_bilinear2d(g, ramp(g, 5), 1, 5, false);
    const float id[5] = {0, 1, 2, 3, 4};
    SG_ASSERT_CLOSE("bilinear identity", id, y->data, 5, 0, 0);
    y = sg_upsample_bilinear2d(g, ramp(g, 5), 1, 1, true);
    ck_assert_float_eq(y->data[0], 0.0f);
    sg_graph_free(g);
}
END_TEST

typedef struct {
    const char *name;
    bool bilinear, align_corners;
    int64_t N, C, H, W, out_h, out_w;
    double scale_h, scale_w;     /* > 0: use the scale-factor entry point */
} up_case;

static sg_tensor *build_up(sg_graph *g, sg_tensor **in, void *ctx)
{
    const up_case *k = ctx;
    if (k->scale_h > 0)
        return k->bilinear ? sg_upsample_bilinear2d_scale(g, in[0], k->scale_h, k->scale_w, k->align_corners)
                           : sg_upsample_nearest2d_scale(g, in[0], k->scale_h, k->scale_w);
    return k->bilinear ? sg_upsample_bilinear2d(g, in[0], k->out_h, k->out_w, k->align_corners)
                       : sg_upsample_nearest2d(g, in[0], k->out_h, k->out_w);
}

static const up_case cases[] = {
    {"nearest 2x", false, false, 2, 2, 3, 4, 6, 8, 0, 0},
    {"nearest 5x4 -> 7x9", false, false, 1, 2, 5, 4, 7, 9, 0, 0},
    {"nearest down 7x8 -> 3x5", false, false, 1, 2, 7, 8, 3, 5, 0, 0},
    {"nearest scale 1.5", false, false, 1, 2, 5, 4, 0, 0, 1.5, 1.5},
    {"nearest scale (1.7, 1.3)", false, false, 1, 2, 4, 5, 0, 0, 1.7, 1.3},
    {"bilinear 4x5 -> 7x9", true, false, 2, 2, 4, 5, 7, 9, 0, 0},
    {"bilinear 4x5 -> 7x9 align_corners", true, true, 2, 2, 4, 5, 7, 9, 0, 0},
    {"bilinear 2x", true, false, 1, 2, 4, 5, 8, 10, 0, 0},
    {"bilinear down 7x8 -> 3x5", true, false, 1, 2, 7, 8, 3, 5, 0, 0},
    {"bilinear down align_corners", true, true, 1, 2, 7, 8, 3, 5, 0, 0},
    {"bilinear scale (1.5, 2.5)", true, false, 1, 2, 5, 4, 0, 0, 1.5, 2.5},
    {"bilinear scale 2 align_corners", true, true, 1, 2, 3, 4, 0, 0, 2.0, 2.0},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

START_TEST(upsample_backward_matches_finite_differences)
{
    for (int c = 0; c < N_CASES; c++) {
        const up_case *k = &cases[c];
        int64_t n = k->N * k->C * k->H * k->W;
        float *x = malloc((size_t)n * sizeof *x);
        sg_test_fill_normal(x, n, 7, 1.0f);
        sg_test_input in = {4, {k->N, k->C, k->H, k->W}, x, true};
        /* Both modes are linear in x: a large step is exact. */
        sg_test_gradcheck_opts o = {.eps = 1e-2f, .atol = 1e-3, .rtol = 1e-3, .max_checks = 200,
                                    .training = true};
        sg_test_gradcheck(k->name, build_up, (void *)k, 1, &in, &o);
        free(x);
    }
}
END_TEST

START_TEST(upsample_is_bit_identical_on_1_and_2_threads)
{
    const up_case ks[] = {
        {"nearest", false, false, 4, 16, 16, 16, 40, 40, 0, 0},
        {"bilinear", true, false, 4, 16, 16, 16, 40, 40, 0, 0},
    };
    for (int c = 0; c < 2; c++) {
        const int64_t xs[4] = {ks[c].N, ks[c].C, ks[c].H, ks[c].W};
        sg_test_expect_same_on_1_and_2_threads(ks[c].name, build_up, (void *)&ks[c], 4, xs, 3);
    }
}
END_TEST

START_TEST(upsample_rejects_bad_shapes_and_sizes)
{
    const int64_t x3[3] = {1, 4, 4}, x4[4] = {1, 1, 4, 4};
    sg_graph *g = sg_graph_new();
    ck_assert_ptr_null(sg_upsample_nearest2d(g, sg_graph_zeros(g, 3, x3), 8, 8));
    sg_test_expect_error(g, SG_ERR_SHAPE, "upsample_nearest2d: input [1, 4, 4] must be 4-D");
    sg_graph_free(g);

    g = sg_graph_new();
    ck_assert_ptr_null(sg_upsample_bilinear2d(g, sg_graph_zeros(g, 4, x4), 0, 8, false));
    sg_test_expect_error(g, SG_ERR_INVALID, "output size 0 x 8");
    sg_graph_free(g);

    g = sg_graph_new();
    ck_assert_ptr_null(sg_upsample_bilinear2d_scale(g, sg_graph_zeros(g, 4, x4), -2.0, 2.0, true));
    sg_test_expect_error(g, SG_ERR_INVALID, "scale factors (-2, 2)");
    sg_graph_free(g);

    g = sg_graph_new();
    ck_assert_ptr_null(sg_upsample_nearest2d_scale(g, sg_graph_zeros(g, 4, x4), 0.1, 1.0));
    sg_test_expect_error(g, SG_ERR_INVALID, "output size 0 x 4");
    sg_graph_free(g);
}
END_TEST

static Suite *upsample_suite(void)
{
    Suite *s = suite_create("upsample");
    SG_ADD_TEST(s, upsample_nearest2d_reads_floor_of_dst_times_in_over_out, 10);
    SG_ADD_TEST(s, upsample_bilinear2d_maps_corners_or_pixel_areas, 10);
    SG_ADD_TEST(s, upsample_backward_matches_finite_differences, 60);
    SG_ADD_TEST(s, upsample_is_bit_identical_on_1_and_2_threads, 60);
    SG_ADD_TEST(s, upsample_rejects_bad_shapes_and_sizes, 10);
    return s;
}

SG_TEST_MAIN(upsample_suite)

/* tests/test_transform.c - transforms and augmentation (data/transform.h).
 *
 * Golden files in tests/data/transform/ (made by tests/golden/gen_transform.py)
 * hold the outputs of the reference each transform copies: PIL and
 * torchvision for resizing, crops and colour, numpy.pad for padding, and a
 * numpy transcription of Keras apply_affine_transform + scipy's
 * affine_transform (checked bit for bit against scipy when the file was made)
 * for the affine warp. Float paths must agree within 1e-5 (most agree to a
 * few 1e-8), integer and index-only paths exactly. Every comparison prints its
 * max abs diff. The random side is checked for being a pure function of the
 * key: same key, same result on 1 and 2 threads; another key, another result. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "core/pool.h"
#include "data/transform.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* ------------------------------------------------------------- helpers */

/* A C x H x W golden array as an image (a 2-D array is one channel). */
static sg_fimage as_fimage(sg_npy *a)
{
    ck_assert(a->ndim == 2 || a->ndim == 3);
    if (a->ndim == 2) return sg_fimage_view(1, (int)a->shape[0], (int)a->shape[1], a->data);
    return sg_fimage_view((int)a->shape[0], (int)a->shape[1], (int)a->shape[2], a->data);
}

/* A new zeroed image of that shape (free with free(img.data)). */
static sg_fimage new_fimage(int c, int h, int w)
{
    float *d = calloc(sg_fimage_numel(c, h, w), sizeof(float));
    ck_assert_ptr_nonnull(d);
    return sg_fimage_view(c, h, w, d);
}

static void expect_close(const char *what, const sg_fimage *expected, const sg_fimage *found,
                         double atol)
{
    ck_assert_msg(expected->c == found->c && expected->h == found->h && expected->w == found->w,
                  "%s: shape %d x %d x %d, expected %d x %d x %d", what, found->c, found->h, found->w,
                  expected->c, expected->h, expected->w);
    SG_ASSERT_CLOSE(what, expected->data, found->data,
                    (int64_t)sg_fimage_numel(found->c, found->h, found->w), atol, 0);
}

static void expect_ok(sg_err err)
{
    ck_assert_msg(err == SG_OK, "unexpected error: %s", sg_error_message());
}

static void expect_error(sg_err got, sg_err want, const char *needle)
{
    ck_assert_msg(got == want, "got error %s, expected %s (%s)", sg_err_name(got), sg_err_name(want),
                  sg_error_message());
    ck_assert_msg(strstr(sg_error_message(), needle), "message '%s' lacks '%s'", sg_error_message(),
                  needle);
}

/* ------------------------------------------------------------- conversion */

START_TEST(from_image_matches_torchvision_to_tensor_and_round_trips)
{
    sg_npy u8 = sg_test_transform_npy("u8_rgb"), ref = sg_test_transform_npy("u8_rgb_to_tensor");
    int H = (int)u8.shape[0], W = (int)u8.shape[1];
    sg_image img;
    expect_ok(sg_image_alloc(&img, W, H, 3, 8, NULL, "test"));
    for (int i = 0; i < H * W * 3; i++) ((uint8_t *)img.pixels)[i] = (uint8_t)u8.data[i];
    sg_fimage f = new_fimage(3, H, W);
    expect_ok(sg_fimage_from_image(&img, &f));
    sg_fimage want = as_fimage(&ref);
    expect_close("to_tensor (exact)", &want, &f, 0.0);

    sg_image back;
    expect_ok(sg_fimage_to_image(&f, 8, &back));
    ck_assert_int_eq(memcmp(back.pixels, img.pixels, sg_image_bytes(&img)), 0);
    sg_image_free(&back);

    /* 16 bits: every sample survives the trip too. */
    sg_image img16;
    expect_ok(sg_image_alloc(&img16, 5, 4, 2, 16, NULL, "test"));
    for (int i = 0; i < 40; i++) ((uint16_t *)img16.pixels)[i] = (uint16_t)(i * 1663 + 7);
    sg_fimage f16 = new_fimage(2, 4, 5);
    expect_ok(sg_fimage_from_image(&img16, &f16));
    ck_assert_float_eq(f16.data[1 * 20 + 0], (float)(1 * 1663 + 7) / 65535.0f); /* planar */
    expect_ok(sg_fimage_to_image(&f16, 16, &back));
    ck_assert_int_eq(memcmp(back.pixels, img16.pixels, sg_image_bytes(&img16)), 0);
    sg_image_free(&back);

    sg_fimage wrong = sg_fimage_view(3, H, W + 1, f.data);
    expect_error(sg_fimage_from_image(&img, &wrong), SG_ERR_SHAPE, "fimage_from_image");
    free(f.data);
    free(f16.data);
    sg_image_free(&img);
    sg_image_free(&img16);
    sg_npy_free(&u8);
    sg_npy_free(&ref);
}
END_TEST

/* ------------------------------------------------------------- resize */

static const struct {
    const char *file;
    sg_resize_mode mode;
    double atol;
} resize_refs[] = {
    /* PIL's float arithmetic is reproduced operation for operation (observed
     * difference: 0); torch's kernels round differently in the last bit. */
    {"pil_nearest", SG_RESIZE_NEAREST, 0.0},
    {"pil_bilinear", SG_RESIZE_BILINEAR_AA, 1e-7},
    {"pil_box", SG_RESIZE_AREA, 1e-7},
    {"tv_nearest", SG_RESIZE_NEAREST_TORCH, 0.0},
    {"tv_bilinear", SG_RESIZE_BILINEAR, 1e-5},
    {"tv_bilinear_aa", SG_RESIZE_BILINEAR_AA, 1e-5},
};

static void resize_case(const char *input, int oh, int ow)
{
    sg_npy in_a = sg_test_transform_npy(input);
    sg_fimage in = as_fimage(&in_a);
    sg_fimage out = new_fimage(in.c, oh, ow);
    for (size_t r = 0; r < sizeof resize_refs / sizeof resize_refs[0]; r++) {
        char name[128];
        snprintf(name, sizeof name, "resize_%s_%s_%dx%d", resize_refs[r].file,
                 strcmp(input, "resize_in") == 0 ? "in" : "in2", oh, ow);
        sg_npy ref = sg_test_transform_npy(name);
        sg_fimage want = as_fimage(&ref);
        expect_ok(sg_fimage_resize(&in, &out, resize_refs[r].mode, NULL));
        expect_close(name, &want, &out, resize_refs[r].atol);
        sg_npy_free(&ref);
    }
    free(out.data);
    sg_npy_free(&in_a);
}

START_TEST(resize_matches_pil_and_torchvision)
{
    /* 23 x 17 to odd sizes: shrink, enlarge, both at once, very narrow. */
    resize_case("resize_in", 11, 7);
    resize_case("resize_in", 31, 40);
    resize_case("resize_in", 9, 29);
    resize_case("resize_in", 23, 5);
    /* 24 x 16 by integer factors (area = plain block means). */
    resize_case("resize_in2", 12, 8);
    resize_case("resize_in2", 6, 4);
    resize_case("resize_in2", 48, 32);
}
END_TEST

START_TEST(resize_with_caller_scratch_equals_own_and_checks_shapes)
{
    sg_npy in_a = sg_test_transform_npy("resize_in");
    sg_fimage in = as_fimage(&in_a);
    for (int mode = SG_RESIZE_NEAREST; mode <= SG_RESIZE_AREA; mode++) {
        sg_fimage a = new_fimage(3, 10, 21), b = new_fimage(3, 10, 21);
        size_t bytes = sg_resize_scratch_bytes(3, in.h, in.w, 10, 21, (sg_resize_mode)mode);
        ck_assert_uint_gt(bytes, 0);
        void *scratch = malloc(bytes);
        expect_ok(sg_fimage_resize(&in, &a, (sg_resize_mode)mode, NULL));
        expect_ok(sg_fimage_resize(&in, &b, (sg_resize_mode)mode, scratch));
        ck_assert_int_eq(memcmp(a.data, b.data, 3 * 10 * 21 * sizeof(float)), 0);
        /* Same size is the identity in every mode. */
        sg_fimage same = new_fimage(3, in.h, in.w);
        expect_ok(sg_fimage_resize(&in, &same, (sg_resize_mode)mode, NULL));
        expect_close("resize to the same size", &in, &same, 0.0);
        free(same.data);
        free(scratch);
        free(a.data);
        free(b.data);
    }
    sg_fimage wrong = new_fimage(2, 5, 5);
    expect_error(sg_fimage_resize(&in, &wrong, SG_RESIZE_BILINEAR, NULL), SG_ERR_SHAPE, "resize");
    expect_error(sg_fimage_resize(&in, &in, SG_RESIZE_BILINEAR, NULL), SG_ERR_INVALID, "share");
    free(wrong.data);
    sg_npy_free(&in_a);

    int h, w;
    expect_ok(sg_resize_shorter_side(23, 17, 10, &h, &w)); /* torchvision: (13, 10) */
    ck_assert(h == 13 && w == 10);
    expect_ok(sg_resize_shorter_side(200, 300, 64, &h, &w));
    ck_assert(h == 64 && w == 96);
    expect_error(sg_resize_shorter_side(0, 3, 2, &h, &w), SG_ERR_INVALID, "resize");
}
END_TEST

START_TEST(resize_known_answers_at_the_extremes)
{
    /* One pixel to many: every mode repeats it. Many to one: AREA is the mean,
     * BILINEAR_AA the triangle-weighted mean, NEAREST the centre pixel. */
    float one = 0.375f, big[12];
    sg_fimage dot = sg_fimage_view(1, 1, 1, &one), up = sg_fimage_view(1, 3, 4, big);
    for (int mode = SG_RESIZE_NEAREST; mode <= SG_RESIZE_AREA; mode++) {
        expect_ok(sg_fimage_resize(&dot, &up, (sg_resize_mode)mode, NULL));
        for (int i = 0; i < 12; i++) ck_assert_float_eq(big[i], 0.375f);
    }
    float px[35], out;
    double mean = 0;
    for (int i = 0; i < 35; i++) mean += px[i] = (float)(i % 7) + 10.0f * (float)(i / 7);
    mean /= 35;
    sg_fimage in = sg_fimage_view(1, 5, 7, px), o = sg_fimage_view(1, 1, 1, &out);
    expect_ok(sg_fimage_resize(&in, &o, SG_RESIZE_AREA, NULL));
    ck_assert_msg(fabs(out - mean) < 1e-5, "area 5x7 -> 1x1: %g, mean %g", out, mean);
    expect_ok(sg_fimage_resize(&in, &o, SG_RESIZE_BILINEAR_AA, NULL));
    ck_assert_msg(fabs(out - mean) < 1e-5, "antialiased 5x7 -> 1x1: %g, expected %g (symmetric "
                  "weights about the centre of a linear ramp)", out, mean);
    expect_ok(sg_fimage_resize(&in, &o, SG_RESIZE_NEAREST, NULL));
    ck_assert_float_eq(out, px[2 * 7 + 3]);
    expect_ok(sg_fimage_resize(&in, &o, SG_RESIZE_NEAREST_TORCH, NULL)); /* floor(0 * s) = 0 */
    ck_assert_float_eq(out, px[0]);
}
END_TEST

/* ------------------------------------------------------------- crop, pad, flip */

START_TEST(center_crop_matches_torchvision)
{
    sg_npy in_a = sg_test_transform_npy("crop_in");
    sg_fimage in = as_fimage(&in_a); /* 2 x 9 x 12 */
    static const int sizes[][2] = {{5, 6}, {4, 7}, {9, 12}, {12, 15}, {13, 14}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "center_crop_%dx%d", sizes[k][0], sizes[k][1]);
        sg_npy ref = sg_test_transform_npy(name);
        sg_fimage want = as_fimage(&ref), out = new_fimage(2, sizes[k][0], sizes[k][1]);
        expect_ok(sg_fimage_center_crop(&in, &out));
        expect_close(name, &want, &out, 0.0);
        free(out.data);
        sg_npy_free(&ref);
    }
    /* A window hanging over the top-left corner: the outside is the fill value. */
    sg_fimage win = new_fimage(2, 4, 5);
    expect_ok(sg_fimage_crop(&in, -2, -3, -7.0f, &win));
    for (int c = 0; c < 2; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++) {
                float want = y < 2 || x < 3 ? -7.0f : in.data[(c * 9 + y - 2) * 12 + x - 3];
                ck_assert_float_eq(win.data[(c * 4 + y) * 5 + x], want);
            }
    expect_ok(sg_fimage_crop(&in, 100, -100, 1.0f, &win)); /* entirely outside */
    for (int i = 0; i < 40; i++) ck_assert_float_eq(win.data[i], 1.0f);
    free(win.data);
    /* The centred square of 9 x 12 is the 9 x 9 window at column round(3 / 2) = 2. */
    sg_fimage sq = new_fimage(2, 9, 9), ref_sq = new_fimage(2, 9, 9);
    expect_ok(sg_fimage_center_square(&in, &sq));
    expect_ok(sg_fimage_crop(&in, 0, 2, 0.0f, &ref_sq));
    expect_close("center_square", &ref_sq, &sq, 0.0);
    free(sq.data);
    free(ref_sq.data);
    sg_npy_free(&in_a);
}
END_TEST

START_TEST(pad_matches_numpy_in_every_mode)
{
    sg_npy in_a = sg_test_transform_npy("crop_in");
    sg_fimage in = as_fimage(&in_a);
    static const struct { const char *name; sg_border border; } modes[] = {
        {"pad_constant", SG_BORDER_CONSTANT}, {"pad_edge", SG_BORDER_EDGE},
        {"pad_symmetric", SG_BORDER_SYMMETRIC}, {"pad_reflect", SG_BORDER_REFLECT101},
        {"pad_wrap", SG_BORDER_WRAP},
    };
    sg_fimage out = new_fimage(2, 9 + 5, 12 + 5);
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        sg_npy ref = sg_test_transform_npy(modes[k].name);
        sg_fimage want = as_fimage(&ref);
        expect_ok(sg_fimage_pad(&in, 2, 3, 4, 1, modes[k].border, 0.25f, &out));
        expect_close(modes[k].name, &want, &out, 0.0);
        sg_npy_free(&ref);
    }
    expect_error(sg_fimage_pad(&in, 2, 2, 4, 1, SG_BORDER_EDGE, 0, &out), SG_ERR_SHAPE, "pad");
    expect_error(sg_fimage_pad(&in, -1, 3, 4, 1, SG_BORDER_EDGE, 0, &out), SG_ERR_INVALID, "pad");
    free(out.data);

    /* Pads larger than the image keep reflecting: [0 1 2] symmetric by 5 on the left. */
    float line[3] = {0, 1, 2}, wide[8];
    sg_fimage l = sg_fimage_view(1, 1, 3, line), o = sg_fimage_view(1, 1, 8, wide);
    expect_ok(sg_fimage_pad(&l, 0, 0, 5, 0, SG_BORDER_SYMMETRIC, 0, &o));
    static const float want_sym[8] = {1, 2, 2, 1, 0, 0, 1, 2};
    SG_ASSERT_CLOSE("symmetric beyond the image", want_sym, wide, 8, 0, 0);
    expect_ok(sg_fimage_pad(&l, 0, 0, 5, 0, SG_BORDER_REFLECT101, 0, &o));
    static const float want_r101[8] = {1, 0, 1, 2, 1, 0, 1, 2};
    SG_ASSERT_CLOSE("reflect101 beyond the image", want_r101, wide, 8, 0, 0);
    sg_npy_free(&in_a);
}
END_TEST

START_TEST(flips_mirror_and_twice_is_identity)
{
    sg_npy in_a = sg_test_transform_npy("crop_in");
    sg_fimage in = as_fimage(&in_a);
    size_t n = sg_fimage_numel(in.c, in.h, in.w);
    sg_fimage f = new_fimage(in.c, in.h, in.w);
    for (int which = SG_FLIP_HORIZONTAL; which <= SG_FLIP_VERTICAL; which++) {
        memcpy(f.data, in.data, n * sizeof(float));
        sg_fimage_flip(&f, (sg_flip)which);
        for (int c = 0; c < in.c; c++)
            for (int y = 0; y < in.h; y++)
                for (int x = 0; x < in.w; x++) {
                    int sy = which == SG_FLIP_VERTICAL ? in.h - 1 - y : y;
                    int sx = which == SG_FLIP_HORIZONTAL ? in.w - 1 - x : x;
                    ck_assert_float_eq(f.data[(c * in.h + y) * in.w + x],
                                       in.data[(c * in.h + sy) * in.w + sx]);
                }
        sg_fimage_flip(&f, (sg_flip)which);
        expect_close("flip twice", &in, &f, 0.0);
    }
    free(f.data);
    sg_npy_free(&in_a);
}
END_TEST

START_TEST(random_crop_is_a_function_of_the_key_and_covers_every_offset)
{
    sg_fimage in = new_fimage(1, 10, 12), out = new_fimage(1, 7, 8);
    for (int i = 0; i < 120; i++) in.data[i] = (float)i;
    bool seen_top[4] = {0}, seen_left[5] = {0};
    for (uint64_t step = 0; step < 200; step++) {
        sg_rng_key key = {7, SG_RNG_AUGMENT, step};
        int top, left, top2, left2;
        expect_ok(sg_fimage_random_crop(&in, key, &out, &top, &left));
        ck_assert(top >= 0 && top <= 3 && left >= 0 && left <= 4);
        ck_assert_float_eq(out.data[0], (float)(top * 12 + left));
        ck_assert_float_eq(out.data[7 * 8 - 1], (float)((top + 6) * 12 + left + 7));
        expect_ok(sg_fimage_random_crop(&in, key, &out, &top2, &left2));
        ck_assert(top == top2 && left == left2);
        seen_top[top] = seen_left[left] = true;
    }
    for (int i = 0; i < 4; i++) ck_assert_msg(seen_top[i], "top offset %d never drawn", i);
    for (int i = 0; i < 5; i++) ck_assert_msg(seen_left[i], "left offset %d never drawn", i);
    sg_fimage big = new_fimage(1, 11, 8);
    expect_error(sg_fimage_random_crop(&in, (sg_rng_key){1, SG_RNG_AUGMENT, 0}, &big, NULL, NULL),
                 SG_ERR_SHAPE, "random_crop");
    free(big.data);
    free(in.data);
    free(out.data);
}
END_TEST

/* ------------------------------------------------------------- tiles */

START_TEST(tiles_cut_2048_into_16_of_512_row_major)
{
    const int S = 2048, T = 512;
    sg_fimage in = new_fimage(1, S, S), tile = new_fimage(1, T, T);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) in.data[(size_t)y * S + x] = (float)(y * 4096 + x);
    int rows, cols;
    expect_ok(sg_tile_grid(S, S, T, &rows, &cols));
    ck_assert(rows == 4 && cols == 4);
    for (int k = 0; k < 16; k++) {
        expect_ok(sg_fimage_tile(&in, k, &tile));
        int ty = k / 4, tx = k % 4;
        ck_assert_float_eq(tile.data[0], (float)(ty * T * 4096 + tx * T));
        ck_assert_float_eq(tile.data[(size_t)T * T - 1], (float)((ty * T + T - 1) * 4096 + tx * T + T - 1));
        ck_assert_float_eq(tile.data[(size_t)100 * T + 200], (float)((ty * T + 100) * 4096 + tx * T + 200));
    }
    expect_error(sg_fimage_tile(&in, 16, &tile), SG_ERR_INVALID, "tile");
    free(in.data);
    free(tile.data);

    /* 1100 x 1030 holds 2 x 2 tiles of 512, centre-cropped: origin (38, 3). */
    int top, left;
    expect_ok(sg_tile_origin(1100, 1030, 512, 0, &top, &left));
    ck_assert(top == 38 && left == 3);
    expect_ok(sg_tile_origin(1100, 1030, 512, 3, &top, &left));
    ck_assert(top == 38 + 512 && left == 3 + 512);
    expect_error(sg_tile_grid(300, 600, 512, &rows, &cols), SG_ERR_SHAPE, "tile");

    /* The same window of an 8-bit image, e.g. to write tiles as files. */
    sg_image img, piece;
    expect_ok(sg_image_alloc(&img, 9, 7, 2, 8, NULL, "test"));
    for (int i = 0; i < 9 * 7 * 2; i++) ((uint8_t *)img.pixels)[i] = (uint8_t)i;
    expect_ok(sg_image_alloc(&piece, 3, 3, 2, 8, NULL, "test"));
    expect_ok(sg_image_crop(&img, 2, 4, &piece));
    ck_assert_int_eq(((uint8_t *)piece.pixels)[0], (2 * 9 + 4) * 2);
    ck_assert_int_eq(((uint8_t *)piece.pixels)[17], ((4 * 9 + 6) * 2) + 1);
    expect_error(sg_image_crop(&img, 5, 4, &piece), SG_ERR_SHAPE, "image_crop");
    sg_image_free(&img);
    sg_image_free(&piece);
}
END_TEST

/* ------------------------------------------------------------- colour */

START_TEST(colour_ops_match_torchvision)
{
    sg_npy rgb_a = sg_test_transform_npy("colour_rgb");
    sg_npy gray_a = sg_test_transform_npy("colour_gray");
    sg_fimage rgb = as_fimage(&rgb_a), gray = as_fimage(&gray_a);
    sg_fimage work = new_fimage(3, rgb.h, rgb.w), g = new_fimage(1, rgb.h, rgb.w);
    size_t n = sg_fimage_numel(3, rgb.h, rgb.w);
    static const struct { const char *file; int op; float factor; bool use_gray; } cases[] = {
        {"brightness_1.25_rgb", 0, 1.25f, false}, {"contrast_0.625_rgb", 1, 0.625f, false},
        {"contrast_1.75_rgb", 1, 1.75f, false}, {"contrast_1.75_gray", 1, 1.75f, true},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sg_npy ref = sg_test_transform_npy(cases[k].file);
        sg_fimage want = as_fimage(&ref);
        sg_fimage *img = cases[k].use_gray ? &g : &work;
        memcpy(img->data, (cases[k].use_gray ? gray : rgb).data,
               sg_fimage_numel(img->c, img->h, img->w) * sizeof(float));
        expect_ok(cases[k].op == 0 ? sg_fimage_adjust_brightness(img, cases[k].factor)
                                   : sg_fimage_adjust_contrast(img, cases[k].factor));
        expect_close(cases[k].file, &want, img, 1e-6);
        sg_npy_free(&ref);
    }
    sg_npy ref = sg_test_transform_npy("gray_of_rgb");
    sg_fimage want = as_fimage(&ref);
    expect_ok(sg_fimage_rgb_to_gray(&rgb, &g));
    expect_close("rgb_to_grayscale", &want, &g, 1e-7);
    sg_npy_free(&ref);

    expect_ok(sg_fimage_gray_to_rgb(&gray, &work));
    for (int c = 0; c < 3; c++)
        SG_ASSERT_CLOSE("gray_to_rgb plane", gray.data, work.data + (size_t)c * rgb.h * rgb.w,
                        (int64_t)rgb.h * rgb.w, 0, 0);

    ref = sg_test_transform_npy("normalize_imagenet");
    want = as_fimage(&ref);
    memcpy(work.data, rgb.data, n * sizeof(float));
    expect_ok(sg_fimage_normalize_preset(&work, SG_NORM_IMAGENET));
    expect_close("normalize imagenet", &want, &work, 1e-6);
    sg_npy_free(&ref);

    memcpy(work.data, rgb.data, n * sizeof(float));
    expect_ok(sg_fimage_normalize_preset(&work, SG_NORM_SYMMETRIC));
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(work.data[i], (rgb.data[i] - 0.5f) / 0.5f);
    expect_error(sg_fimage_normalize_preset(&g, SG_NORM_IMAGENET), SG_ERR_SHAPE, "gray to RGB");
    sg_norm_preset p;
    expect_ok(sg_norm_preset_from_name("imagenet", &p));
    ck_assert_int_eq(p, SG_NORM_IMAGENET);
    expect_error(sg_norm_preset_from_name("z-score", &p), SG_ERR_INVALID, "z-score");
    free(work.data);
    free(g.data);
    sg_npy_free(&rgb_a);
    sg_npy_free(&gray_a);
}
END_TEST

START_TEST(uint8_gray_matches_pil_convert_L_exactly)
{
    static const char *const inputs[][2] = {{"u8_rgb", "u8_rgb_to_L"}, {"u8_rgba", "u8_rgba_to_L"}};
    for (int k = 0; k < 2; k++) {
        sg_npy a = sg_test_transform_npy(inputs[k][0]), ref = sg_test_transform_npy(inputs[k][1]);
        int H = (int)a.shape[0], W = (int)a.shape[1], C = (int)a.shape[2];
        sg_image img, gray, rgb;
        expect_ok(sg_image_alloc(&img, W, H, C, 8, NULL, "test"));
        for (int i = 0; i < H * W * C; i++) ((uint8_t *)img.pixels)[i] = (uint8_t)a.data[i];
        expect_ok(sg_image_to_gray(&img, &gray));
        ck_assert(gray.channels == 1 && gray.width == W && gray.height == H);
        float *found = malloc((size_t)H * W * sizeof(float));
        for (int i = 0; i < H * W; i++) found[i] = ((uint8_t *)gray.pixels)[i];
        SG_ASSERT_CLOSE(inputs[k][1], ref.data, found, (int64_t)H * W, 0, 0);
        /* Back to RGB: the gray value three times. */
        expect_ok(sg_image_to_rgb(&gray, &rgb));
        for (int i = 0; i < H * W * 3; i++)
            ck_assert_int_eq(((uint8_t *)rgb.pixels)[i], ((uint8_t *)gray.pixels)[i / 3]);
        free(found);
        sg_image_free(&img);
        sg_image_free(&gray);
        sg_image_free(&rgb);
        sg_npy_free(&a);
        sg_npy_free(&ref);
    }
}
END_TEST

/* ------------------------------------------------------------- affine */

START_TEST(affine_matches_keras_reference_in_every_fill_mode)
{
    sg_npy rgb_a = sg_test_transform_npy("affine_rgb");
    sg_npy gray_a = sg_test_transform_npy("affine_gray");
    sg_npy params = sg_test_transform_npy("affine_params");
    sg_npy mats = sg_test_transform_npy("affine_matrices");
    sg_fimage rgb = as_fimage(&rgb_a), gray = as_fimage(&gray_a);
    int cases = (int)params.shape[0];
    ck_assert_int_eq(params.shape[1], 8);
    double worst = 0;
    for (int k = 0; k < cases; k++) {
        const float *p = params.data + k * 8;
        sg_border mode = (sg_border)(int)p[6];
        for (int which = 0; which < 2; which++) {
            const sg_fimage *in = which == 0 ? &rgb : &gray;
            char name[64];
            snprintf(name, sizeof name, "affine_%02d_%s", k, which == 0 ? "rgb" : "gray");
            sg_npy ref = sg_test_transform_npy(name);
            sg_fimage want = as_fimage(&ref), out = new_fimage(in->c, in->h, in->w);
            sg_affine m;
            ck_assert(sg_affine_keras(p[0], p[1], p[2], p[3], p[4], p[5], in->h, in->w, &m));
            if (which == 0)
                for (int e = 0; e < 6; e++)
                    ck_assert_msg(fabs(m.m[e / 3][e % 3] - mats.data[k * 6 + e]) <=
                                      1e-6 * (1 + fabs(m.m[e / 3][e % 3])),
                                  "case %d matrix entry %d: %.9g, Keras %.9g", k, e, m.m[e / 3][e % 3],
                                  mats.data[k * 6 + e]);
            char what[256];
            snprintf(what, sizeof what, "%s (theta %g shift %g,%g shear %g zoom %g,%g %s)", name, p[0],
                     p[1], p[2], p[3], p[4], p[5], sg_border_name(mode));
            expect_ok(sg_fimage_warp_affine(in, &m, mode, p[7], &out));
            expect_close(what, &want, &out, 1e-6);
            for (size_t i = 0; i < sg_fimage_numel(out.c, out.h, out.w); i++)
                worst = fmax(worst, fabs(out.data[i] - want.data[i]));
            free(out.data);
            sg_npy_free(&ref);
        }
    }
    printf("affine: %d cases x 2 images, worst abs diff vs Keras/scipy %.3g\n", cases, worst);
    sg_npy_free(&rgb_a);
    sg_npy_free(&gray_a);
    sg_npy_free(&params);
    sg_npy_free(&mats);
}
END_TEST

START_TEST(rotation_by_0_is_identity_and_by_90_permutes_pixels)
{
    sg_fimage in = new_fimage(2, 5, 5), out = new_fimage(2, 5, 5);
    sg_test_fill_uniform(in.data, 50, 3, 0, 1);
    expect_ok(sg_fimage_rotate(&in, 0.0, SG_BORDER_EDGE, 0, &out));
    expect_close("rotate by 0", &in, &out, 0.0);
    /* The identity matrix through the sampler is exact too. */
    sg_affine id = {{{1, 0, 0}, {0, 1, 0}}};
    for (int mode = SG_BORDER_CONSTANT; mode <= SG_BORDER_WRAP; mode++) {
        expect_ok(sg_fimage_warp_affine(&in, &id, (sg_border)mode, 0.5f, &out));
        expect_close("identity warp", &in, &out, 0.0);
    }
    /* 90 degrees about Keras' centre o = 5/2 + 0.5 = 3: out[r][c] = in[6 - c][r]
     * (cos 90 is 6e-17, not 0, hence a tolerance). Columns 0 and 1 fall outside. */
    expect_ok(sg_fimage_rotate(&in, 90.0, SG_BORDER_CONSTANT, -1.0f, &out));
    for (int ch = 0; ch < 2; ch++)
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 5; c++) {
                float got = out.data[(ch * 5 + r) * 5 + c];
                float want = 6 - c <= 4 ? in.data[(ch * 5 + 6 - c) * 5 + r] : -1.0f;
                ck_assert_msg(fabsf(got - want) <= 1e-6f, "rot90 [%d][%d][%d]: %g, expected %g", ch, r,
                              c, got, want);
            }
    free(in.data);
    free(out.data);

    sg_border b;
    expect_ok(sg_border_from_keras("nearest", &b));
    ck_assert_int_eq(b, SG_BORDER_EDGE);
    expect_ok(sg_border_from_keras("reflect", &b));
    ck_assert_int_eq(b, SG_BORDER_SYMMETRIC);
    expect_error(sg_border_from_keras("mirrored", &b), SG_ERR_INVALID, "mirrored");
}
END_TEST

/* ------------------------------------------------------------- augmentation */

static sg_augment_opts busy_opts(void)
{
    sg_augment_opts o = sg_augment_opts_default();
    o.rotation_range = 20;
    o.width_shift_range = 0.1f;
    o.height_shift_range = 3; /* pixels */
    o.shear_range = 10;
    o.zoom_range[0] = 0.8f;
    o.zoom_range[1] = 1.2f;
    o.horizontal_flip = o.vertical_flip = true;
    o.brightness_range[0] = 0.7f;
    o.brightness_range[1] = 1.3f;
    o.fill_mode = SG_BORDER_SYMMETRIC;
    return o;
}

START_TEST(augment_draws_stay_in_range_and_each_option_has_its_own_word)
{
    sg_augment_opts o = busy_opts();
    int flips_h = 0, flips_v = 0;
    for (uint64_t step = 0; step < 400; step++) {
        sg_rng_key key = {42, SG_RNG_AUGMENT, step};
        sg_augment_params p, q;
        expect_ok(sg_augment_draw(&o, key, 40, 30, &p));
        ck_assert(fabs(p.theta) <= 20 && fabs(p.shear) <= 10);
        ck_assert(fabs(p.tx) <= 3 && fabs(p.ty) <= 0.1 * 30);
        ck_assert(p.zx >= 0.8 - 1e-6 && p.zx <= 1.2 + 1e-6 && p.zy >= 0.8 - 1e-6 && p.zy <= 1.2 + 1e-6);
        ck_assert(p.zx != p.zy);
        ck_assert(p.brightness >= 0.7f && p.brightness <= 1.3f && p.contrast == 1.0f);
        flips_h += p.flip_horizontal;
        flips_v += p.flip_vertical;
        /* Switching rotation off leaves every other draw as it was. */
        sg_augment_opts no_rot = o;
        no_rot.rotation_range = 0;
        expect_ok(sg_augment_draw(&no_rot, key, 40, 30, &q));
        ck_assert(q.theta == 0 && q.tx == p.tx && q.ty == p.ty && q.zx == p.zx && q.zy == p.zy &&
                  q.shear == p.shear && q.brightness == p.brightness &&
                  q.flip_horizontal == p.flip_horizontal);
    }
    printf("augment: %d / 400 horizontal flips, %d / 400 vertical\n", flips_h, flips_v);
    ck_assert(flips_h > 150 && flips_h < 250 && flips_v > 150 && flips_v < 250);

    sg_augment_params p;
    sg_augment_opts bad = o;
    bad.zoom_range[0] = 1.5f;
    bad.zoom_range[1] = 0.5f;
    expect_error(sg_augment_draw(&bad, (sg_rng_key){1, SG_RNG_AUGMENT, 0}, 8, 8, &p), SG_ERR_INVALID,
                 "zoom_range");
    bad = o;
    bad.rotation_range = -5;
    expect_error(sg_augment_draw(&bad, (sg_rng_key){1, SG_RNG_AUGMENT, 0}, 8, 8, &p), SG_ERR_INVALID,
                 "rotation_range");
}
END_TEST

START_TEST(augment_apply_is_warp_then_flips_then_brightness)
{
    sg_npy rgb_a = sg_test_transform_npy("affine_rgb");
    sg_fimage in = as_fimage(&rgb_a);
    size_t n = sg_fimage_numel(in.c, in.h, in.w);
    sg_augment_opts o = busy_opts();
    sg_fimage got = new_fimage(in.c, in.h, in.w), want = new_fimage(in.c, in.h, in.w);
    void *scratch = malloc(sg_augment_scratch_bytes(in.c, in.h, in.w));
    for (uint64_t step = 0; step < 12; step++) {
        sg_rng_key key = {5, SG_RNG_AUGMENT, step};
        sg_augment_params p;
        expect_ok(sg_augment_draw(&o, key, in.h, in.w, &p));
        expect_ok(sg_augment_apply(&o, key, &in, &got, NULL));
        sg_affine m;
        sg_affine_keras(p.theta, p.tx, p.ty, p.shear, p.zx, p.zy, in.h, in.w, &m);
        expect_ok(sg_fimage_warp_affine(&in, &m, o.fill_mode, o.cval, &want));
        if (p.flip_horizontal) sg_fimage_flip(&want, SG_FLIP_HORIZONTAL);
        if (p.flip_vertical) sg_fimage_flip(&want, SG_FLIP_VERTICAL);
        expect_ok(sg_fimage_adjust_brightness(&want, p.brightness));
        ck_assert_int_eq(memcmp(got.data, want.data, n * sizeof(float)), 0);
        /* In place, with scratch: the same numbers. */
        memcpy(want.data, in.data, n * sizeof(float));
        expect_ok(sg_augment_apply(&o, key, &want, &want, scratch));
        ck_assert_int_eq(memcmp(got.data, want.data, n * sizeof(float)), 0);
    }
    memcpy(want.data, in.data, n * sizeof(float));
    expect_error(sg_augment_apply(&o, (sg_rng_key){5, SG_RNG_AUGMENT, 0}, &want, &want, NULL),
                 SG_ERR_INVALID, "scratch");
    /* Everything off: a copy. */
    sg_augment_opts off = sg_augment_opts_default();
    expect_ok(sg_augment_apply(&off, (sg_rng_key){5, SG_RNG_AUGMENT, 3}, &in, &got, NULL));
    expect_close("augment with everything off", &in, &got, 0.0);
    free(scratch);
    free(got.data);
    free(want.data);
    sg_npy_free(&rgb_a);
}
END_TEST

/* A batch augmented by the pool: sample i uses step = epoch * N + i. */
typedef struct batch_ctx {
    const sg_augment_opts *opts;
    const sg_fimage *in;
    float *out;
    uint64_t seed, epoch;
    int n;
} batch_ctx;

static void augment_range(void *ctx, int64_t begin, int64_t end)
{
    batch_ctx *b = ctx;
    size_t numel = sg_fimage_numel(b->in->c, b->in->h, b->in->w);
    for (int64_t i = begin; i < end; i++) {
        sg_fimage out = sg_fimage_view(b->in->c, b->in->h, b->in->w, b->out + (size_t)i * numel);
        sg_rng_key key = {b->seed, SG_RNG_AUGMENT, b->epoch * (uint64_t)b->n + (uint64_t)i};
        if (sg_augment_apply(b->opts, key, b->in, &out, NULL) != SG_OK) out.data[0] = NAN;
    }
}

static float *augment_batch(const sg_augment_opts *o, const sg_fimage *in, int n, uint64_t seed,
                            uint64_t epoch, int threads)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    float *out = malloc((size_t)n * sg_fimage_numel(in->c, in->h, in->w) * sizeof(float));
    batch_ctx ctx = {o, in, out, seed, epoch, n};
    sg_parallel_for(n, 1, augment_range, &ctx);
    return out;
}

START_TEST(augment_is_identical_on_1_and_2_threads_and_differs_by_key)
{
    sg_npy rgb_a = sg_test_transform_npy("affine_rgb");
    sg_fimage in = as_fimage(&rgb_a);
    sg_augment_opts o = busy_opts();
    const int N = 16;
    size_t numel = sg_fimage_numel(in.c, in.h, in.w);
    int before = sg_threads();
    float *one = augment_batch(&o, &in, N, 9, 0, 1);
    float *two = augment_batch(&o, &in, N, 9, 0, 2);
    float *next_epoch = augment_batch(&o, &in, N, 9, 1, 2);
    float *other_seed = augment_batch(&o, &in, N, 10, 0, 2);
    sg_set_threads(before);
    ck_assert_msg(memcmp(one, two, N * numel * sizeof(float)) == 0,
                  "augmented batch differs between 1 and 2 threads");
    for (int i = 0; i < N; i++) {
        ck_assert(!isnan(one[i * numel]));
        ck_assert_msg(memcmp(one + i * numel, next_epoch + i * numel, numel * sizeof(float)) != 0,
                      "sample %d: same transform in epochs 0 and 1", i);
        ck_assert_msg(memcmp(one + i * numel, other_seed + i * numel, numel * sizeof(float)) != 0,
                      "sample %d: same transform for seeds 9 and 10", i);
        if (i > 0)
            ck_assert_msg(memcmp(one, one + i * numel, numel * sizeof(float)) != 0,
                          "samples 0 and %d got the same transform", i);
    }
    free(one);
    free(two);
    free(next_epoch);
    free(other_seed);
    sg_npy_free(&rgb_a);
}
END_TEST

static Suite *transform_suite(void)
{
    Suite *s = suite_create("transform");
    SG_ADD_TEST(s, from_image_matches_torchvision_to_tensor_and_round_trips, 10);
    SG_ADD_TEST(s, resize_matches_pil_and_torchvision, 10);
    SG_ADD_TEST(s, resize_with_caller_scratch_equals_own_and_checks_shapes, 10);
    SG_ADD_TEST(s, resize_known_answers_at_the_extremes, 10);
    SG_ADD_TEST(s, center_crop_matches_torchvision, 10);
    SG_ADD_TEST(s, pad_matches_numpy_in_every_mode, 10);
    SG_ADD_TEST(s, flips_mirror_and_twice_is_identity, 10);
    SG_ADD_TEST(s, random_crop_is_a_function_of_the_key_and_covers_every_offset, 10);
    SG_ADD_TEST(s, tiles_cut_2048_into_16_of_512_row_major, 20);
    SG_ADD_TEST(s, colour_ops_match_torchvision, 10);
    SG_ADD_TEST(s, uint8_gray_matches_pil_convert_L_exactly, 10);
    SG_ADD_TEST(s, affine_matches_keras_reference_in_every_fill_mode, 10);
    SG_ADD_TEST(s, rotation_by_0_is_identity_and_by_90_permutes_pixels, 10);
    SG_ADD_TEST(s, augment_draws_stay_in_range_and_each_option_has_its_own_word, 10);
    SG_ADD_TEST(s, augment_apply_is_warp_then_flips_then_brightness, 10);
    SG_ADD_TEST(s, augment_is_identical_on_1_and_2_threads_and_differs_by_key, 20);
    return s;
}

SG_TEST_MAIN(transform_suite)

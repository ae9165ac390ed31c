/* tests/test_clahe.c - CLAHE against OpenCV (data/clahe.c).
 *
 * tests/data/transform/clahe_*_{in,out}.npy were made by
 * tests/golden/gen_transform.py with Debian's python3-opencv (4.6):
 * cv2.createCLAHE(clipLimit, tileGridSize).apply(img) on gray images of sizes
 * that do and do not divide by the grid (including a 5 x 3 image on an 8 x 8
 * grid, where the reflected padding is larger than the image, and a 16 x 17
 * one where only the height divides), with and without clipping, 8 and 16
 * bits; colour via cvtColor(RGB2YCrCb) -> CLAHE on Y -> cvtColor(YCrCb2RGB).
 * Every output pixel must be identical. When the NEU surface-defect images
 * are present (../shared/data or $SG_DATA_DIR), a second test equalises a
 * sample of them and compares with checksums of OpenCV's output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "data/transform.h"
#include "tests/codec_corpus.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* An H x W (x C) golden array as an sg_image of `depth` bits. */
static sg_image image_from(const sg_npy *a, int depth)
{
    int H = (int)a->shape[0], W = (int)a->shape[1], C = a->ndim == 3 ? (int)a->shape[2] : 1;
    sg_image img;
    ck_assert(sg_image_alloc(&img, W, H, C, depth, NULL, "test") == SG_OK);
    for (int64_t i = 0; i < a->numel; i++) {
        if (depth == 16) ((uint16_t *)img.pixels)[i] = (uint16_t)a->data[i];
        else ((uint8_t *)img.pixels)[i] = (uint8_t)a->data[i];
    }
    return img;
}

static unsigned sample(const sg_image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : ((const uint8_t *)img->pixels)[i];
}

/* Count differing samples and the largest difference; print both. */
static int compare(const char *what, const sg_image *want, const sg_image *got)
{
    size_t n = (size_t)want->width * want->height * want->channels;
    int bad = 0, worst = 0;
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)sample(want, i) - (int)sample(got, i));
        if (d) {
            if (!bad) first = i;
            bad++;
        }
        if (d > worst) worst = d;
    }
    printf("%s: %zu samples, %d differ, max abs diff %d\n", what, n, bad, worst);
    if (bad)
        printf("%s: first difference at sample %zu: OpenCV %u, ours %u\n", what, first,
               sample(want, first), sample(got, first));
    return bad;
}

/* Run the golden case <name> with these options; returns differing samples. */
static int run_case(const char *name, int depth, double clip, int tiles_x, int tiles_y)
{
    char in_name[128], out_name[128];
    snprintf(in_name, sizeof in_name, "clahe_%s_in", name);
    snprintf(out_name, sizeof out_name, "clahe_%s_out", name);
    sg_npy in_a = sg_test_transform_npy(in_name), want_a = sg_test_transform_npy(out_name);
    sg_image in = image_from(&in_a, depth), want = image_from(&want_a, depth), out;
    ck_assert(sg_image_alloc(&out, in.width, in.height, in.channels, depth, NULL, "test") == SG_OK);
    sg_clahe_opts o = {clip, tiles_x, tiles_y};
    ck_assert_msg(sg_clahe_apply(&in, &o, &out, NULL) == SG_OK, "%s", sg_error_message());
    int bad = compare(name, &want, &out);
    sg_image_free(&in);
    sg_image_free(&want);
    sg_image_free(&out);
    sg_npy_free(&in_a);
    sg_npy_free(&want_a);
    return bad;
}

START_TEST(clahe_gray_u8_matches_opencv_exactly)
{
    static const struct { const char *name; double clip; int tx, ty; } cases[] = {
        {"u8_64x64_c2_t8x8", 2.0, 8, 8},     {"u8_23x17_c2_t4x4", 2.0, 4, 4},
        {"u8_37x53_c40_t8x8", 40.0, 8, 8},   {"u8_17x40_c3_t8x8", 3.0, 8, 8},
        {"u8_16x17_c2_t8x8", 2.0, 8, 8},     {"u8_5x3_c1_t8x8", 1.0, 8, 8},
        {"u8_48x32_c0_t4x4", 0.0, 4, 4},     {"u8_100x120_c4_t5x3", 4.0, 5, 3},
        {"u8_61x47_c1.5_t7x6", 1.5, 7, 6},
    };
    int bad = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        bad += run_case(cases[k].name, 8, cases[k].clip, cases[k].tx, cases[k].ty);
    ck_assert_msg(bad == 0, "%d samples differ from OpenCV", bad);
}
END_TEST

START_TEST(clahe_gray_u16_matches_opencv_exactly)
{
    ck_assert_int_eq(run_case("u16_29x31_c2_t4x4", 16, 2.0, 4, 4), 0);
}
END_TEST

START_TEST(clahe_rgb_through_ycrcb_matches_opencv_exactly)
{
    ck_assert_int_eq(run_case("rgb_u8_23x29", 8, 2.0, 4, 4), 0);
    ck_assert_int_eq(run_case("rgb_u16_19x21", 16, 2.0, 4, 4), 0);
}
END_TEST

START_TEST(clahe_copies_alpha_and_works_in_place_with_caller_scratch)
{
    /* RGBA: the RGB part equals the RGB result, alpha is untouched. */
    sg_npy in_a = sg_test_transform_npy("clahe_rgb_u8_23x29_in");
    sg_npy want_a = sg_test_transform_npy("clahe_rgb_u8_23x29_out");
    sg_image rgb = image_from(&in_a, 8), want = image_from(&want_a, 8), rgba;
    ck_assert(sg_image_alloc(&rgba, rgb.width, rgb.height, 4, 8, NULL, "test") == SG_OK);
    size_t n = (size_t)rgb.width * rgb.height;
    for (size_t p = 0; p < n; p++) {
        for (int c = 0; c < 3; c++) ((uint8_t *)rgba.pixels)[p * 4 + c] = ((uint8_t *)rgb.pixels)[p * 3 + c];
        ((uint8_t *)rgba.pixels)[p * 4 + 3] = (uint8_t)(p * 7);
    }
    sg_clahe_opts o = {2.0, 4, 4};
    size_t bytes = sg_clahe_scratch_bytes(rgba.width, rgba.height, 4, 8, &o);
    ck_assert_uint_gt(bytes, 0);
    void *scratch = malloc(bytes);
    ck_assert_msg(sg_clahe_apply(&rgba, &o, &rgba, scratch) == SG_OK, "%s", sg_error_message());
    for (size_t p = 0; p < n; p++) {
        for (int c = 0; c < 3; c++)
            ck_assert_int_eq(((uint8_t *)rgba.pixels)[p * 4 + c], ((uint8_t *)want.pixels)[p * 3 + c]);
        ck_assert_int_eq(((uint8_t *)rgba.pixels)[p * 4 + 3], (uint8_t)(p * 7));
    }
    free(scratch);
    sg_image_free(&rgb);
    sg_image_free(&want);
    sg_image_free(&rgba);
    sg_npy_free(&in_a);
    sg_npy_free(&want_a);

    /* Gray + alpha: the gray equals the gray result. */
    sg_npy g_a = sg_test_transform_npy("clahe_u8_23x17_c2_t4x4_in");
    sg_npy gw_a = sg_test_transform_npy("clahe_u8_23x17_c2_t4x4_out");
    sg_image g = image_from(&g_a, 8), gw = image_from(&gw_a, 8), ga;
    ck_assert(sg_image_alloc(&ga, g.width, g.height, 2, 8, NULL, "test") == SG_OK);
    n = (size_t)g.width * g.height;
    for (size_t p = 0; p < n; p++) {
        ((uint8_t *)ga.pixels)[p * 2] = ((uint8_t *)g.pixels)[p];
        ((uint8_t *)ga.pixels)[p * 2 + 1] = 200;
    }
    o = (sg_clahe_opts){2.0, 4, 4};
    ck_assert(sg_clahe_apply(&ga, &o, &ga, NULL) == SG_OK);
    for (size_t p = 0; p < n; p++) {
        ck_assert_int_eq(((uint8_t *)ga.pixels)[p * 2], ((uint8_t *)gw.pixels)[p]);
        ck_assert_int_eq(((uint8_t *)ga.pixels)[p * 2 + 1], 200);
    }
    sg_image_free(&g);
    sg_image_free(&gw);
    sg_image_free(&ga);
    sg_npy_free(&g_a);
    sg_npy_free(&gw_a);
}
END_TEST

START_TEST(clahe_rejects_bad_options_with_a_message)
{
    sg_image img, out;
    ck_assert(sg_image_alloc(&img, 8, 8, 1, 8, NULL, "test") == SG_OK);
    ck_assert(sg_image_alloc(&out, 8, 8, 1, 8, NULL, "test") == SG_OK);
    sg_clahe_opts o = {2.0, 0, 8};
    ck_assert_int_eq(sg_clahe_apply(&img, &o, &out, NULL), SG_ERR_INVALID);
    ck_assert(strstr(sg_error_message(), "tile grid"));
    o = (sg_clahe_opts){1e300, 8, 8};
    ck_assert_int_eq(sg_clahe_apply(&img, &o, &out, NULL), SG_ERR_INVALID);
    ck_assert(strstr(sg_error_message(), "clip limit"));
    sg_image small;
    ck_assert(sg_image_alloc(&small, 4, 8, 1, 8, NULL, "test") == SG_OK);
    o = sg_clahe_opts_default();
    ck_assert_int_eq(sg_clahe_apply(&img, &o, &small, NULL), SG_ERR_SHAPE);
    /* A flat image stays flat (and the LUT maps its one level consistently). */
    memset(img.pixels, 77, 64);
    ck_assert(sg_clahe_apply(&img, &o, &out, NULL) == SG_OK);
    for (int i = 1; i < 64; i++) ck_assert_int_eq(((uint8_t *)out.pixels)[i], ((uint8_t *)out.pixels)[0]);
    sg_image_free(&img);
    sg_image_free(&out);
    sg_image_free(&small);
}
END_TEST

/* ------------------------------------------------------------- real images */

/* The NEU-CLS folder, or NULL when the data set is not on this machine. */
static const char *neu_dir(char *buf, size_t size)
{
    const char *root = getenv("SG_DATA_DIR");
    snprintf(buf, size, "%s/neu-cls", root && *root ? root : "../shared/data");
    FILE *f;
    char probe[600];
    snprintf(probe, sizeof probe, "%s/crazing/Cr_1.bmp", buf);
    if (!(f = fopen(probe, "rb"))) return NULL;
    fclose(f);
    return buf;
}

START_TEST(clahe_of_neu_images_matches_opencv_checksums)
{
    char dir[512];
    if (!neu_dir(dir, sizeof dir)) {
        printf("SKIP clahe_of_neu_images_matches_opencv_checksums: no NEU-CLS images at %s "
               "(set SG_DATA_DIR)\n", dir);
        return;
    }
    char path[600];
    snprintf(path, sizeof path, "%s/clahe_neu.txt", sg_test_transform_dir());
    FILE *m = fopen(path, "r");
    ck_assert_msg(m != NULL, "cannot open %s", path);
    static const sg_clahe_opts settings[3] = {{2.0, 8, 8}, {40.0, 8, 8}, {2.0, 7, 7}};
    char line[512];
    int images = 0, bad = 0;
    while (fgets(line, sizeof line, m)) {
        char rel[256];
        unsigned long long want[3];
        if (line[0] == '#' ||
            sscanf(line, "%255s %llx %llx %llx", rel, &want[0], &want[1], &want[2]) != 4)
            continue;
        char file[800];
        snprintf(file, sizeof file, "%s/%s", dir, rel);
        sg_image img, gray, out;
        ck_assert_msg(sg_image_read(file, NULL, &img) == SG_OK, "%s", sg_error_message());
        if (img.channels != 1) { /* a gray palette may decode as RGB with R = G = B */
            ck_assert(sg_image_to_gray(&img, &gray) == SG_OK);
            sg_image_free(&img);
            img = gray;
        }
        ck_assert(sg_image_alloc(&out, img.width, img.height, 1, 8, NULL, "test") == SG_OK);
        for (int k = 0; k < 3; k++) {
            ck_assert_msg(sg_clahe_apply(&img, &settings[k], &out, NULL) == SG_OK, "%s",
                          sg_error_message());
            uint64_t h = sg_test_fnv1a64(out.pixels, sg_image_bytes(&out));
            if (h != want[k]) {
                printf("%s, clip %g tiles %dx%d: checksum %016llx, OpenCV %016llx\n", rel,
                       settings[k].clip_limit, settings[k].tiles_x, settings[k].tiles_y,
                       (unsigned long long)h, want[k]);
                bad++;
            }
        }
        sg_image_free(&img);
        sg_image_free(&out);
        images++;
    }
    fclose(m);
    printf("NEU-CLS: %d images x 3 settings, %d CLAHE outputs differ from OpenCV\n", images, bad);
    ck_assert_int_gt(images, 0);
    ck_assert_int_eq(bad, 0);
}
END_TEST

static Suite *clahe_suite(void)
{
    Suite *s = suite_create("clahe");
    SG_ADD_TEST(s, clahe_gray_u8_matches_opencv_exactly, 10);
    SG_ADD_TEST(s, clahe_gray_u16_matches_opencv_exactly, 10);
    SG_ADD_TEST(s, clahe_rgb_through_ycrcb_matches_opencv_exactly, 10);
    SG_ADD_TEST(s, clahe_copies_alpha_and_works_in_place_with_caller_scratch, 10);
    SG_ADD_TEST(s, clahe_rejects_bad_options_with_a_message, 10);
    SG_ADD_TEST(s, clahe_of_neu_images_matches_opencv_checksums, 30);
    return s;
}

SG_TEST_MAIN(clahe_suite)

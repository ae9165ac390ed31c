/* tests/test_kernels_data.c - the data pipeline kernel families (the resize
 * filter's horizontal and vertical passes, PNG unfiltering, CRC-32, the JPEG
 * IDCT and YCbCr -> RGB): every SIMD twin the machine can run against the
 * scalar twin, bit for bit, and the decoders' and resize's results through
 * the table.
 *
 * The twin cases are data/kernel_compare.c's full set (the one `steelgrad
 * info --compare` runs a quick subset of): resize passes with the real
 * BILINEAR_AA and AREA tables for 18 x 18 (in, out) sizes from 1 to 200
 * (every scale up and down among them), row/column counts with every tail of
 * 4, 8 and 16 lanes, odd strides and misaligned pointers, inputs with NaN,
 * +-inf, -0 and subnormals; PNG filter types 0-4 with 1, 2, 3, 4, 6 and 8
 * bytes per pixel (8- and 16-bit samples, 1-4 channels) over every row length
 * 0..97 and long ones; CRC-32 over every length 0..70 and long ones at 8
 * offsets; 3500 JPEG blocks from valid to corrupt; colour rows of every width
 * 0..99 and long ones. ISAs the machine cannot run are skipped with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/kernels/kernels.h"
#include "core/rng.h"
#include "data/crc.h"
#include "data/kernel_compare.h"
#include "data/transform.h"
#include "tests/testutil.h"

START_TEST(every_isa_data_family_is_bit_identical_to_scalar)
{
#define FAMILY_(family, fn_type) SG_KERNEL_##family,
    static const int families[] = {
        SG_KERNEL_FAMILIES_DATA(FAMILY_)};
#undef FAMILY_
    sg_test_every_isa_matches_scalar("data families", sg_data_kernel_compare, families,
                                     (int)(sizeof families / sizeof families[0]));
}
END_TEST

/* The comparison catches a difference: a table whose resize_v moves one
 * output by one ulp, and one whose png_unfilter flips a byte. */
static void resize_v_off_by_one_ulp(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in,
                                    int64_t in_step, float *out, int64_t out_step)
{
    sg_k_resize_v_scalar(t, out_len, lines, in, in_step, out, out_step);
    if (lines > 5 && out_len > 1) out[out_step + 5] = nextafterf(out[out_step + 5], INFINITY);
}
static void png_unfilter_flips_a_byte(unsigned type, uint8_t *cur, const uint8_t *prev, size_t n, unsigned bpp)
{
    sg_k_png_unfilter_scalar(type, cur, prev, n, bpp);
    if (n > 40) cur[n - 1] ^= 1;
}

START_TEST(data_compare_reports_a_difference)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    sg_kernel_table bad = *ref;
    bad.resize_v = resize_v_off_by_one_ulp;
    bad.png_unfilter = png_unfilter_flips_a_byte;
    ck_assert_int_gt(sg_data_kernel_compare(SG_KERNEL_resize_v, &bad, ref, 1, NULL), 0);
    ck_assert_int_gt(sg_data_kernel_compare(SG_KERNEL_png_unfilter, &bad, ref, 1, NULL), 0);
    ck_assert_int_eq(sg_data_kernel_compare(SG_KERNEL_resize_h, &bad, ref, 1, NULL), 0);
}
END_TEST

/* CRC-32 of "123456789" is 0xCBF43926 (the check value of the CRC catalogue
 * for CRC-32/ISO-HDLC), under every table, whole and in pieces. */
START_TEST(crc32_gives_the_check_value_under_every_isa)
{
    const uint8_t msg[] = "123456789";
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        ck_assert_uint_eq(t->crc32(0, msg, 9), 0xCBF43926u);
        ck_assert_uint_eq(t->crc32(t->crc32(0, msg, 4), msg + 4, 5), 0xCBF43926u);
        ck_assert_uint_eq(t->crc32(0, msg, 0), 0u);
    }
    ck_assert_uint_eq(sg_crc32(0, msg, 9), 0xCBF43926u);
}
END_TEST

/* PNG Up by hand: each byte plus the byte above, modulo 256, for row lengths
 * across the vector widths; Sub by hand on a 3-byte-per-pixel row. */
START_TEST(png_up_and_sub_add_modulo_256_under_every_isa)
{
    uint8_t cur[300], prev[300];
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (size_t n = 0; n < 300; n += 7) {
            for (size_t i = 0; i < n; i++) cur[i] = (uint8_t)(i * 37), prev[i] = (uint8_t)(200 + i * 3);
            t->png_unfilter(2, cur, prev, n, 4);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(cur[i] == (uint8_t)((i * 37 + 200 + i * 3) % 256), "%s Up n=%zu byte %zu: %u",
                              sg_isa_name((sg_isa)isa), n, i, cur[i]);
        }
        uint8_t row[9] = {10, 20, 30, 250, 1, 2, 7, 7, 7};
        const uint8_t want[9] = {10, 20, 30, 4, 21, 32, 11, 28, 39};
        t->png_unfilter(1, row, prev, 9, 3);
        ck_assert_mem_eq(row, want, 9);
    }
}
END_TEST

/* sg_fimage_resize end to end under every ISA's table: the same bits as
 * under the scalar table, for 1-4 channels and sizes shrinking and growing
 * on each axis (both passes, and each pass alone). */
START_TEST(resize_is_bit_identical_under_every_isa)
{
    static const int sizes[][4] = {
        {37, 53, 16, 19}, {16, 16, 37, 61}, {5, 64, 9, 13}, {100, 7, 33, 7}, {8, 40, 8, 17},
        {1, 33, 3, 1},    {64, 64, 31, 32}, {19, 3, 200, 5}, {23, 29, 23, 29}, {10, 150, 17, 150},
    };
    const sg_isa best = sg_isa_best();
    float *x = malloc(4 * 200 * 200 * sizeof(float)), *ya = malloc(4 * 200 * 200 * sizeof(float)),
          *yb = malloc(4 * 200 * 200 * sizeof(float));
    ck_assert(x && ya && yb);
    int checked = 0;
    for (int isa = 1; isa < SG_ISA_COUNT; isa++) {
        if (!sg_kernels_for((sg_isa)isa)) continue;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
            for (int c = 1; c <= 4; c++)
                for (int mode = SG_RESIZE_BILINEAR_AA; mode <= SG_RESIZE_AREA; mode++) {
                    const int ih = sizes[si][0], iw = sizes[si][1], oh = sizes[si][2], ow = sizes[si][3];
                    sg_rng_fill_normal((sg_rng_key){3, SG_RNG_TEST, si * 8 + (uint64_t)c}, x, (int64_t)c * ih * iw,
                                       0.5f, 2.0f);
                    sg_fimage in = {c, ih, iw, x}, oa = {c, oh, ow, ya}, ob = {c, oh, ow, yb};
                    ck_assert_int_eq(sg_kernels_select(SG_ISA_SCALAR), SG_OK);
                    ck_assert_int_eq(sg_fimage_resize(&in, &oa, (sg_resize_mode)mode, NULL), SG_OK);
                    ck_assert_int_eq(sg_kernels_select((sg_isa)isa), SG_OK);
                    ck_assert_int_eq(sg_fimage_resize(&in, &ob, (sg_resize_mode)mode, NULL), SG_OK);
                    for (int i = 0; i < c * oh * ow; i++)
                        ck_assert_msg(memcmp(ya + i, yb + i, sizeof(float)) == 0,
                                      "%s: resize %dx%dx%d -> %dx%d mode %d: [%d] scalar %a, %a", sg_isa_name((sg_isa)isa),
                                      c, ih, iw, oh, ow, mode, i, (double)ya[i], (double)yb[i]);
                    checked++;
                }
    }
    ck_assert_int_eq(sg_kernels_select(best), SG_OK);
    printf("resize: %d (isa, image, mode) cases bit-identical to scalar\n", checked);
    free(x), free(ya), free(yb);
}
END_TEST

static Suite *kernels_data_suite(void)
{
    Suite *s = suite_create("kernels_data");
    SG_ADD_TEST(s, every_isa_data_family_is_bit_identical_to_scalar, 120);
    SG_ADD_TEST(s, data_compare_reports_a_difference, 30);
    SG_ADD_TEST(s, crc32_gives_the_check_value_under_every_isa, 30);
    SG_ADD_TEST(s, png_up_and_sub_add_modulo_256_under_every_isa, 30);
    SG_ADD_TEST(s, resize_is_bit_identical_under_every_isa, 120);
    return s;
}

SG_TEST_MAIN(kernels_data_suite)

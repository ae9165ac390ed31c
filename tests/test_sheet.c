/* tests/test_sheet.c - the contact sheet (data/sheet.h), its bitmap font
 * (data/font.h) and `steelgrad data sheet`.
 *
 * What a user relies on: class names are drawn, any non-ASCII character as
 * one '?'; the sheet's size follows the documented layout; each cell holds
 * the class's images spread through it (at the images' own size, exactly
 * their pixels); the command writes a PNG, refuses to overwrite one of its
 * inputs (exit 2) and names a data set it cannot read (exit 1). The binary is
 * $SG_BIN, else build/steelgrad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/font.h"
#include "data/image.h"
#include "data/sheet.h"
#include "data/synth.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* Draw text into a fresh 40 x 9 white canvas. */
static void draw(const char *text, uint8_t *canvas)
{
    memset(canvas, 255, 40 * 9);
    sg_font_draw(canvas, 40, 9, 1, 1, text, 0);
}

START_TEST(font_draws_ascii_and_one_question_mark_per_other_character)
{
    ck_assert_int_eq(sg_font_text_width(""), 0);
    ck_assert_int_eq(sg_font_text_width("a"), SG_FONT_WIDTH);
    ck_assert_int_eq(sg_font_text_width("abc"), 2 * SG_FONT_ADVANCE + SG_FONT_WIDTH);
    /* "é" (2 bytes), "€" (3 bytes) and a control character are one '?' each. */
    ck_assert_int_eq(sg_font_text_width("r\xc3\xa9" "a\xe2\x82\xac\t"), sg_font_text_width("r?a??"));
    uint8_t a[40 * 9], b[40 * 9];
    draw("r\xc3\xa9" "a\xe2\x82\xac", a);
    draw("r?a?", b);
    ck_assert_msg(memcmp(a, b, sizeof a) == 0, "non-ASCII characters do not draw as '?'");
    /* 'I' is a full-height bar in column 2 with serifs; a space draws nothing. */
    draw("I ", a);
    int ink = 0;
    for (int i = 0; i < 40 * 9; i++) ink += a[i] == 0;
    ck_assert_int_eq(ink, 7 + 4);
    for (int row = 0; row < SG_FONT_HEIGHT; row++) ck_assert_int_eq(a[(1 + row) * 40 + 1 + 2], 0);
    /* Clipped, never written outside the canvas. */
    uint8_t small[3 * 3];
    memset(small, 255, sizeof small);
    sg_font_draw(small, 3, 3, -2, -3, "WWW", 0);
}
END_TEST

/* A small synthetic data set on disk: per_class images of 32 px, two classes. */
static const char *write_set(int per_class)
{
    const char *dir = sg_test_tmpdir();
    sg_synth_opts o = sg_synth_defaults();
    o.size = 32;
    o.classes = (1u << SG_SYNTH_CRAZING) | (1u << SG_SYNTH_SCRATCHES);
    char *set = sg_test_path(dir, "set");
    ck_assert_msg(sg_synth_write(set, &o, per_class, 5) == SG_OK, "%s", sg_error_message());
    return dir;
}

START_TEST(sheet_follows_the_layout_and_holds_the_images_spread_through_each_class)
{
    const char *dir = write_set(6);
    sg_dataset ds;
    ck_assert_msg(sg_dataset_open(sg_test_path(dir, "set/images"), false, NULL, &ds) == SG_OK, "%s",
                  sg_error_message());
    ck_assert_int_eq(ds.n_classes, 2);
    sg_image sheet;
    ck_assert_msg(sg_sheet_render(&ds, 3, 32, &sheet) == SG_OK, "%s", sg_error_message());
    /* 4 + 3 * 32 + 2 * 2 + 4 wide; per class a 10-pixel label and a 32-pixel row,
     * 4 between rows, 4 around. */
    ck_assert_int_eq(sheet.width, 4 + 3 * 32 + 2 * 2 + 4);
    ck_assert_int_eq(sheet.height, 4 + 2 * (10 + 32) + 4 + 4);
    ck_assert_int_eq(sheet.channels, 1);
    /* Cell k of class c is sample floor(k * 6 / 3) = 2k of the class, at its
     * own size: exactly its pixels. */
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 3; k++) {
            int seen = -1, index = -1;
            for (int i = 0; i < ds.n_samples && index < 0; i++)
                if (ds.samples[i].label == c && ++seen == 2 * k) index = i;
            sg_image img;
            ck_assert_msg(sg_image_read(ds.samples[index].path, NULL, &img) == SG_OK, "%s", sg_error_message());
            int x0 = 4 + k * 34, y0 = 4 + c * 46 + 10, diff = 0;
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    diff += ((uint8_t *)sheet.pixels)[(y0 + y) * sheet.width + x0 + x] !=
                            ((uint8_t *)img.pixels)[y * 32 + x];
            ck_assert_msg(diff == 0, "class %d cell %d: %d pixels differ from %s", c, k, diff,
                          ds.samples[index].path);
            sg_image_free(&img);
        }
    /* The label line has ink; the gap between cells is white. */
    int ink = 0;
    for (int y = 4; y < 14; y++)
        for (int x = 4; x < 60; x++) ink += ((uint8_t *)sheet.pixels)[y * sheet.width + x] == 0;
    ck_assert_int_gt(ink, 20);
    ck_assert_int_eq(((uint8_t *)sheet.pixels)[20 * sheet.width + 4 + 32], 255);
    sg_image_free(&sheet);
    /* Out-of-range arguments are errors. */
    sg_test_expect_code(sg_sheet_render(&ds, 0, 32, &sheet), SG_ERR_INVALID, "per class", NULL);
    sg_test_expect_code(sg_sheet_render(&ds, 2, 8, &sheet), SG_ERR_INVALID, "cell size 8", NULL);
    sg_dataset_free(&ds);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(data_sheet_command_writes_a_png_and_refuses_to_overwrite_an_input)
{
    const char *dir = write_set(2);
    char set[512], out[512], png[512], args[2048];
    snprintf(set, sizeof set, "%s", sg_test_path(dir, "set"));
    snprintf(out, sizeof out, "%s", sg_test_path(dir, "out.txt"));
    snprintf(png, sizeof png, "%s", sg_test_path(dir, "sheet.png"));
    /* A VOC set (what synth writes) with 4 per class asked, 2 there: blank cells. */
    snprintf(args, sizeof args, "data sheet %s -o %s --per-class 4 --size 40", set, png);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "wrote");
    sg_image img;
    ck_assert_msg(sg_image_read(png, NULL, &img) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(img.width, 4 + 4 * 40 + 3 * 2 + 4);
    ck_assert_int_eq(img.height, 4 + 2 * (10 + 40) + 4 + 4);
    ck_assert_int_eq(img.channels, 1);
    sg_image_free(&img);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp"), 0);
    /* The output may not be one of the images read: usage error, nothing written. */
    snprintf(args, sizeof args, "data sheet %s -o %s/images/crazing/crazing_0.png", set, set);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "refusing to write");
    /* No --out, a bad size: usage errors; a missing data set: exit 1 naming it. */
    snprintf(args, sizeof args, "data sheet %s", set);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    snprintf(args, sizeof args, "data sheet %s -o %s --size 8", set, png);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--size");
    snprintf(args, sizeof args, "data sheet %s/nowhere -o %s", dir, png);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "nowhere");
    ck_assert_int_eq(sg_test_run_cli(NULL, "help data sheet", out), 0);
    sg_test_expect_file_contains(out, "usage: steelgrad data sheet");
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *sheet_suite(void)
{
    Suite *s = suite_create("sheet");
    SG_ADD_TEST(s, font_draws_ascii_and_one_question_mark_per_other_character, 10);
    SG_ADD_TEST(s, sheet_follows_the_layout_and_holds_the_images_spread_through_each_class, 30);
    SG_ADD_TEST(s, data_sheet_command_writes_a_png_and_refuses_to_overwrite_an_input, 60);
    return s;
}

SG_TEST_MAIN(sheet_suite)

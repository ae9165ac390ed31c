/* tests/test_overlay.c - colormaps (matplotlib's bytes), alpha overlays and
 * grids, written as PNG and read back pixel by pixel. */
#include <stdio.h>
#include <string.h>

#include "data/image.h"
#include "interp/overlay.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static void expect_rgb(const char *what, const uint8_t *got, int r, int g, int b)
{
    printf("%s: expected (%d, %d, %d), found (%d, %d, %d)\n", what, r, g, b, got[0], got[1], got[2]);
    ck_assert_msg(got[0] == r && got[1] == g && got[2] == b, "%s differs", what);
}

START_TEST(colormaps_give_matplotlibs_bytes)
{
    /* matplotlib.colormaps[name](v, bytes=True) */
    uint8_t c[3];
    sg_colormap_rgb(SG_COLORMAP_JET, 0.5f, c);
    expect_rgb("jet(0.5)", c, 124, 255, 121);
    sg_colormap_rgb(SG_COLORMAP_JET, 0.0f, c);
    expect_rgb("jet(0)", c, 0, 0, 127);
    sg_colormap_rgb(SG_COLORMAP_INFERNO, 0.25f, c);
    expect_rgb("inferno(0.25)", c, 87, 15, 109);
    sg_colormap_rgb(SG_COLORMAP_VIRIDIS, 0.999f, c);
    expect_rgb("viridis(0.999)", c, 253, 231, 36);
    sg_colormap_rgb(SG_COLORMAP_VIRIDIS, 7.0f, c);
    expect_rgb("viridis(7) clamps to viridis(1)", c, 253, 231, 36);
    ck_assert_int_eq(sg_colormap_from_name("inferno"), SG_COLORMAP_INFERNO);
    ck_assert_int_eq(sg_colormap_from_name("hot"), -1);
}
END_TEST

START_TEST(overlay_and_grid_written_as_png_have_the_expected_pixels)
{
    /* a 2x2 gray image 0.5 everywhere, the map 1 at (x 1, y 0), 0 elsewhere */
    const float image[4] = {0.5f, 0.5f, 0.5f, 0.5f}, map[4] = {0, 1, 0, 0};
    sg_image ov, plain, tiles[2], grid;
    ck_assert_int_eq(sg_overlay_rgb(image, 1, 2, 2, map, SG_COLORMAP_JET, 0.5f, &ov), SG_OK);
    ck_assert_int_eq(sg_image_from_chw(image, 1, 2, 2, &plain), SG_OK);
    tiles[0] = plain;
    tiles[1] = ov;
    ck_assert_int_eq(sg_overlay_grid(tiles, 2, 2, 1, &grid), SG_OK);
    ck_assert_int_eq(grid.width, 1 + 2 * 3);
    ck_assert_int_eq(grid.height, 1 + 3);
    const char *dir = sg_test_tmpdir();
    const char *path = sg_test_path(dir, "grid.png");
    ck_assert_int_eq(sg_png_write(path, &grid), SG_OK);
    sg_image back;
    ck_assert_msg(sg_image_read(path, NULL, &back) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(back.channels, 3);
    const uint8_t *px = back.pixels;
#define AT(x, y) (px + 3 * ((y) * back.width + (x)))
    expect_rgb("padding", AT(0, 0), 128, 128, 128);
    expect_rgb("plain image", AT(1, 1), 128, 128, 128);       /* round(127.5) */
    /* 0.5 * 0.5 + 0.5 * jet(1) = (127, 0, 0) / 255 -> (127, 64, 64) */
    expect_rgb("overlay, map 1", AT(5, 1), 127, 64, 64);
    /* 0.5 * 0.5 + 0.5 * jet(0) = (0, 0, 127) / 255 -> (64, 64, 127) */
    expect_rgb("overlay, map 0", AT(4, 1), 64, 64, 127);
    expect_rgb("padding between", AT(3, 1), 128, 128, 128);
    sg_image_free(&back);
    sg_image_free(&grid);
    sg_image_free(&ov);
    sg_image_free(&plain);
    sg_test_expect_code(sg_overlay_rgb(image, 2, 2, 2, map, SG_COLORMAP_JET, 0.5f, &ov),
                        SG_ERR_INVALID, "channels", "1 or 3");
    sg_test_expect_code(sg_overlay_rgb(image, 1, 2, 2, map, SG_COLORMAP_JET, 1.5f, &ov),
                        SG_ERR_INVALID, "alpha", "0..1");
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *overlay_suite(void)
{
    Suite *s = suite_create("overlay");
    SG_ADD_TEST(s, colormaps_give_matplotlibs_bytes, 10);
    SG_ADD_TEST(s, overlay_and_grid_written_as_png_have_the_expected_pixels, 10);
    return s;
}

SG_TEST_MAIN(overlay_suite)

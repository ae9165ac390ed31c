/* tests/test_bmp.c - the BMP decoder and writer (data/bmp.c).
 *
 * The golden corpus tests/data/bmp/ (tests/golden/gen_bmp_pnm.py, Pillow 9.4)
 * covers every header size, bit depth, palette kind, bitfield layout, row
 * order and RLE escape; here each file must decode to exactly Pillow's pixels.
 * A few hand-built files show the rules one at a time. */
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/rng.h"
#include "data/image.h"
#include "tests/codec_corpus.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define CORPUS "tests/data/bmp"
static const char *const BMP_SUFFIXES[] = {".bmp", NULL};

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> 8 * k);
}

/* An 8-bit BMP with a BITMAPINFOHEADER, `ncolors` palette entries (B, G, R, 0)
 * and `pixels` (already padded rows, or an RLE stream). Returns the length. */
static size_t make_bmp8(uint8_t *buf, int w, int h, uint32_t compression, const uint8_t (*rgb)[3],
                        int ncolors, const uint8_t *pixels, size_t npixels)
{
    size_t off = 14 + 40 + 4 * (size_t)ncolors;
    memset(buf, 0, off);
    buf[0] = 'B', buf[1] = 'M';
    put32(buf + 2, (uint32_t)(off + npixels));
    put32(buf + 10, (uint32_t)off);
    put32(buf + 14, 40);
    put32(buf + 18, (uint32_t)w);
    put32(buf + 22, (uint32_t)h);
    put16(buf + 26, 1);
    put16(buf + 28, 8);
    put32(buf + 30, compression);
    put32(buf + 46, (uint32_t)ncolors);
    for (int i = 0; i < ncolors; i++) {
        buf[54 + 4 * i] = rgb[i][2];
        buf[55 + 4 * i] = rgb[i][1];
        buf[56 + 4 * i] = rgb[i][0];
    }
    memcpy(buf + off, pixels, npixels);
    return off + npixels;
}

START_TEST(bmp_corpus_decodes_exactly_like_pillow)
{
    int n = sg_test_check_corpus(CORPUS, BMP_SUFFIXES, sg_bmp_decode);
    /* 57 images and 9 refused files when this was written. */
    ck_assert_msg(n >= 66, "only %d files in %s: was the corpus generated?", n, CORPUS);
}
END_TEST

START_TEST(bmp_rle8_escapes_leave_skipped_pixels_at_index_0)
{
    /* 5 x 3, bottom-up, palette 0 = (9,9,9) and k = (10k, 10k, 10k): gray, so
     * one channel. File row 0 is the bottom row of the picture.
     *   03 01        3 x index 1             row 0: 1 1 1 . .
     *   00 00        end of line (x 3, 4 stay index 0)
     *   00 02 01 01  delta: 1 right, 1 up -> row 2, x 1
     *   00 03 02 03 04 00   absolute 2 3 4 (+ pad)   row 2: . 2 3 4 .
     *   00 01        end of bitmap: row 1 and the rest stay index 0 */
    static const uint8_t rle[] = {3, 1, 0, 0, 0, 2, 1, 1, 0, 3, 2, 3, 4, 0, 0, 1};
    uint8_t pal[5][3] = {{9, 9, 9}, {10, 10, 10}, {20, 20, 20}, {30, 30, 30}, {40, 40, 40}};
    uint8_t file[256];
    size_t len = make_bmp8(file, 5, 3, 1, (const uint8_t(*)[3])pal, 5, rle, sizeof rle);
    sg_image img;
    ck_assert_msg(sg_bmp_decode(file, len, "rle.bmp", NULL, &img) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(img.channels, 1);
    static const uint8_t want[15] = {9, 20, 30, 40, 9, /* top = file row 2 */
                                     9, 9, 9, 9, 9,    /* skipped by the delta */
                                     10, 10, 10, 9, 9};
    const uint8_t *px = img.pixels;
    for (int i = 0; i < 15; i++)
        ck_assert_msg(px[i] == want[i], "pixel (%d, %d): expected %d, found %d", i / 5, i % 5,
                      want[i], px[i]);
    sg_image_free(&img);
}
END_TEST

START_TEST(bmp_palette_with_one_colour_entry_decodes_to_rgb)
{
    /* 2 x 1 pixels: indices 0 and 1. All-gray palette -> 1 channel holding the
     * entries; make entry 1 slightly blue and the image becomes RGB. */
    uint8_t pal[2][3] = {{7, 7, 7}, {50, 50, 50}};
    const uint8_t row[4] = {0, 1, 0, 0};
    uint8_t file[128];
    for (int colour = 0; colour < 2; colour++) {
        pal[1][2] = (uint8_t)(50 + colour);
        size_t len = make_bmp8(file, 2, 1, 0, (const uint8_t(*)[3])pal, 2, row, 4);
        sg_image img;
        ck_assert(sg_bmp_decode(file, len, "pal.bmp", NULL, &img) == SG_OK);
        const uint8_t *px = img.pixels;
        if (!colour) {
            ck_assert_int_eq(img.channels, 1);
            ck_assert_int_eq(px[0], 7);
            ck_assert_int_eq(px[1], 50);
        } else {
            ck_assert_int_eq(img.channels, 3);
            const uint8_t want[6] = {7, 7, 7, 50, 50, 51};
            ck_assert_msg(memcmp(px, want, 6) == 0, "RGB pixels differ");
        }
        sg_image_free(&img);
    }
}
END_TEST

START_TEST(bmp_pixel_limit_refuses_before_allocating)
{
    size_t len;
    unsigned char *data = sg_test_read_bytes(CORPUS "/pil_rgb24_13x7.bmp", &len);
    sg_image img;
    sg_image_limits lim = {13 * 7 - 1};
    sg_test_expect_code(sg_bmp_decode(data, len, "small.bmp", &lim, &img), SG_ERR_LIMIT,
                        "small.bmp", "exceeds the limit");
    ck_assert(img.pixels == NULL);
    lim.max_pixels = 13 * 7;
    ck_assert(sg_bmp_decode(data, len, "small.bmp", &lim, &img) == SG_OK);
    sg_image_free(&img);
    free(data);

    /* An RLE bomb: 60000 x 60000 from a 4-byte stream, refused under the
     * default limit without touching 3.6 GB. */
    static const uint8_t rle[] = {0, 0, 0, 1};
    uint8_t pal[1][3] = {{0, 0, 0}};
    uint8_t file[128];
    len = make_bmp8(file, 60000, 60000, 1, (const uint8_t(*)[3])pal, 1, rle, sizeof rle);
    sg_test_expect_code(sg_bmp_decode(file, len, "bomb.bmp", NULL, &img), SG_ERR_LIMIT,
                        "bomb.bmp", "3600000000 pixels");
}
END_TEST

START_TEST(bmp_truncated_and_bit_flipped_files_fail_cleanly)
{
    int n, ok = 0, err = 0;
    char **names = sg_test_list_dir(CORPUS, BMP_SUFFIXES, &n);
    for (int i = 0; i < n; i++) {
        const char *path = sg_test_path(CORPUS, names[i]);
        size_t len;
        unsigned char *data = sg_test_read_bytes(path, &len);
        int file_ok = 0, file_err = 0;
        sg_test_hammer_decoder(sg_bmp_decode, data, len, path, len, 300, 1000 + (uint64_t)i,
                               &file_ok, &file_err);
        /* Known answer for the uncompressed files Pillow wrote (40-byte
         * headers): every cut fails except those that only lose the last
         * row's padding, which no reader needs. */
        if (strncmp(names[i], "pil_", 4) == 0) {
            uint32_t offbits = data[10] | data[11] << 8 | (uint32_t)data[12] << 16;
            uint32_t w = data[18] | data[19] << 8, h = data[22] | data[23] << 8, bits = data[28];
            uint32_t row = (w * bits + 7) / 8, stride = (row + 3) / 4 * 4;
            int padding = (int)(len - (offbits + stride * (h - 1) + row));
            int cut_ok = 0, cut_err = 0;
            sg_test_hammer_decoder(sg_bmp_decode, data, len, path, len, 0, 0, &cut_ok, &cut_err);
            ck_assert_msg(cut_ok == padding && cut_err == (int)len - padding,
                          "%s: %d of %zu truncated copies decoded, expected %d", path, cut_ok,
                          len, padding);
        }
        ok += file_ok;
        err += file_err;
        free(data);
    }
    sg_test_free_names(names, n);
    printf("bmp hammer: %d files, %d decodes ok, %d clean errors\n", n, ok, err);
    ck_assert_int_gt(err, 0);
}
END_TEST

/* A random image of the given shape, samples from the Philox stream. */
static sg_image random_image(int w, int h, int c, uint64_t seed)
{
    sg_image img;
    ck_assert(sg_image_alloc(&img, w, h, c, 8, NULL, "test") == SG_OK);
    uint8_t *px = img.pixels;
    for (size_t i = 0; i < sg_image_bytes(&img); i++)
        px[i] = (uint8_t)sg_rng_u32((sg_rng_key){seed, SG_RNG_TEST, 0}, i);
    return img;
}

START_TEST(bmp_write_then_decode_round_trips_gray_rgb_rgba)
{
    const char *dir = sg_test_tmpdir();
    const int shapes[][2] = {{13, 7}, {1, 1}, {17, 13}, {4, 2}};
    for (int c = 1; c <= 4; c++) {
        if (c == 2) continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            sg_image img = random_image(shapes[s][0], shapes[s][1], c, 10 * (uint64_t)c + s);
            const char *path = sg_test_path(dir, "round.bmp");
            ck_assert_msg(sg_bmp_write(path, &img) == SG_OK, "%s", sg_error_message());
            size_t len;
            unsigned char *data = sg_test_read_bytes(path, &len);
            /* The header says what we meant: 8/24/32 bits; RGBA as V4 BI_BITFIELDS. */
            uint32_t info = data[14] | data[15] << 8, bits = data[28], comp = data[30];
            ck_assert_uint_eq(bits, 8u * (uint32_t)c);
            ck_assert_uint_eq(info, c == 4 ? 108u : 40u);
            ck_assert_uint_eq(comp, c == 4 ? 3u : 0u);
            uint64_t stride = ((uint64_t)shapes[s][0] * 8 * c + 31) / 32 * 4;
            ck_assert_uint_eq(len, 14 + info + (c == 1 ? 1024 : 0) + stride * (uint64_t)shapes[s][1]);
            sg_image back;
            ck_assert_msg(sg_bmp_decode(data, len, path, NULL, &back) == SG_OK, "%s",
                          sg_error_message());
            ck_assert_int_eq(back.width, img.width);
            ck_assert_int_eq(back.height, img.height);
            ck_assert_int_eq(back.channels, c);
            ck_assert_msg(memcmp(back.pixels, img.pixels, sg_image_bytes(&img)) == 0,
                          "%d x %d x %d: pixels differ after the round trip", img.width,
                          img.height, c);
            sg_image_free(&back);
            sg_image_free(&img);
            free(data);
            ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
        }
    }
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(bmp_write_refuses_what_it_cannot_store)
{
    const char *dir = sg_test_tmpdir();
    const char *path = sg_test_path(dir, "x.bmp");
    sg_image la = random_image(3, 2, 2, 1);
    sg_test_expect_code(sg_bmp_write(path, &la), SG_ERR_UNSUPPORTED, "x.bmp", "2 channels");
    sg_image_free(&la);
    sg_image deep;
    ck_assert(sg_image_alloc(&deep, 3, 2, 1, 16, NULL, "test") == SG_OK);
    sg_test_expect_code(sg_bmp_write(path, &deep), SG_ERR_UNSUPPORTED, "x.bmp", "16 bits");
    sg_image_free(&deep);
    ck_assert(!sg_test_file_exists(path));
    sg_image rgb = random_image(3, 2, 3, 2);
    sg_test_expect_code(sg_bmp_write("/nonexistent-dir/x.bmp", &rgb), SG_ERR_IO,
                        "/nonexistent-dir/x.bmp", NULL);
    sg_image_free(&rgb);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *bmp_suite(void)
{
    Suite *s = suite_create("bmp");
    SG_ADD_TEST(s, bmp_corpus_decodes_exactly_like_pillow, 30);
    SG_ADD_TEST(s, bmp_rle8_escapes_leave_skipped_pixels_at_index_0, 10);
    SG_ADD_TEST(s, bmp_palette_with_one_colour_entry_decodes_to_rgb, 10);
    SG_ADD_TEST(s, bmp_pixel_limit_refuses_before_allocating, 10);
    SG_ADD_TEST(s, bmp_truncated_and_bit_flipped_files_fail_cleanly, 120);
    SG_ADD_TEST(s, bmp_write_then_decode_round_trips_gray_rgb_rgba, 30);
    SG_ADD_TEST(s, bmp_write_refuses_what_it_cannot_store, 10);
    return s;
}

SG_TEST_MAIN(bmp_suite)

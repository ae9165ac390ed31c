/* tests/test_pnm.c - the PBM/PGM/PPM decoder (data/pnm.c).
 *
 * The golden corpus tests/data/pnm/ (tests/golden/gen_bmp_pnm.py, Pillow 9.4)
 * covers P1-P6, every maxval regime (1, < 255, 255, 256..65534, 65535),
 * samples above maxval, comments and whitespace; each file must decode to
 * exactly Pillow's pixels. The hand-made cases below show the rules. */
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "tests/codec_corpus.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define CORPUS "tests/data/pnm"
static const char *const PNM_SUFFIXES[] = {".pbm", ".pgm", ".ppm", ".pnm", ".pam", NULL};

/* Decode a string literal (its length without the final NUL). */
#define DECODE(lit, img) sg_pnm_decode((const uint8_t *)(lit), sizeof(lit) - 1, "t.pnm", NULL, (img))

START_TEST(pnm_corpus_decodes_exactly_like_pillow)
{
    int n = sg_test_check_corpus(CORPUS, PNM_SUFFIXES, sg_pnm_decode);
    /* 26 images and 10 refused files when this was written. */
    ck_assert_msg(n >= 36, "only %d files in %s: was the corpus generated?", n, CORPUS);
}
END_TEST

START_TEST(pnm_maxval_rescales_with_round_half_even_like_pillow)
{
    /* maxval 10: v * 25.5, ties to even: 25.5 -> 26, 76.5 -> 76, 127.5 -> 128,
     * 178.5 -> 178, 229.5 -> 230 (Pillow 9.4 gives exactly these). */
    sg_image img;
    ck_assert(DECODE("P5 5 1 10\n\1\3\5\7\11", &img) == SG_OK);
    const uint8_t want8[5] = {26, 76, 128, 178, 230};
    ck_assert_int_eq(img.depth, 8);
    ck_assert_msg(memcmp(img.pixels, want8, 5) == 0, "8-bit rescale differs");
    sg_image_free(&img);

    /* maxval > 255: 16 bits, round(v / 1000 * 65535): 1 -> 66, 2 -> 131, 999 -> 65469. */
    ck_assert(DECODE("P2 3 1 1000\n1 2 999\n", &img) == SG_OK);
    const uint16_t want16[3] = {66, 131, 65469};
    ck_assert_int_eq(img.depth, 16);
    ck_assert_msg(memcmp(img.pixels, want16, sizeof want16) == 0, "16-bit rescale differs");
    sg_image_free(&img);

    /* A binary sample above maxval clamps to the top (100 -> 255 here). */
    ck_assert(DECODE("P5 2 1 100\n\x64\xff", &img) == SG_OK);
    ck_assert_int_eq(((uint8_t *)img.pixels)[0], 255);
    ck_assert_int_eq(((uint8_t *)img.pixels)[1], 255);
    sg_image_free(&img);
}
END_TEST

START_TEST(pnm_comment_inside_a_number_is_skipped)
{
    /* Netpbm: a comment may split a token. "2#c\n55" is maxval 255. */
    sg_image img;
    ck_assert_msg(DECODE("P5 3 1 2#c\n55\n\1\2\3", &img) == SG_OK, "%s", sg_error_message());
    const uint8_t want[3] = {1, 2, 3};
    ck_assert_msg(memcmp(img.pixels, want, 3) == 0, "pixels differ");
    sg_image_free(&img);
    /* P1 needs no separators, and black (1) is 0. */
    ck_assert(DECODE("P1 4 1\n1#x\n001", &img) == SG_OK);
    const uint8_t bw[4] = {0, 255, 255, 0};
    ck_assert_msg(memcmp(img.pixels, bw, 4) == 0, "P1 pixels differ");
    sg_image_free(&img);
}
END_TEST

START_TEST(pnm_malformed_headers_name_the_file_and_the_field)
{
    sg_image img;
    sg_test_expect_code(DECODE("P5 +3 1 255\n\1\2\3", &img), SG_ERR_FORMAT, "t.pnm", "width");
    sg_test_expect_code(DECODE("P2 2 1 255\n1 1_0\n", &img), SG_ERR_FORMAT, "t.pnm", "sample");
    sg_test_expect_code(DECODE("P6 1 1", &img), SG_ERR_FORMAT, "t.pnm", "maxval");
    sg_test_expect_code(DECODE("P6 0 1 255\n", &img), SG_ERR_FORMAT, "t.pnm", "0 x 1");
    sg_test_expect_code(DECODE("P2 3 1 255\n1 2\n", &img), SG_ERR_FORMAT, "t.pnm",
                        "after 2 of 3 samples");
    sg_test_expect_code(DECODE("P6x 1 1 255\n", &img), SG_ERR_FORMAT, "t.pnm", "not a PNM");
    ck_assert(img.pixels == NULL);
}
END_TEST

START_TEST(pnm_pixel_limit_refuses_before_allocating)
{
    sg_image img;
    sg_image_limits lim = {3};
    sg_test_expect_code(sg_pnm_decode((const uint8_t *)"P5 2 2 255\n\1\2\3\4", 15, "big.pgm", &lim,
                                      &img), SG_ERR_LIMIT, "big.pgm", "exceeds the limit");
    ck_assert(img.pixels == NULL);
    lim.max_pixels = 4;
    ck_assert(sg_pnm_decode((const uint8_t *)"P5 2 2 255\n\1\2\3\4", 15, "big.pgm", &lim, &img) ==
              SG_OK);
    sg_image_free(&img);
    /* A header claiming 100000^2 pixels with no data is refused as cut off
     * before anything is allocated, even under a generous limit. */
    lim.max_pixels = (int64_t)1 << 40;
    sg_test_expect_code(DECODE("P2 100000 100000 255\n1 2 3\n", &img), SG_ERR_FORMAT, "t.pnm",
                        "cut off");
}
END_TEST

START_TEST(pnm_truncated_and_bit_flipped_files_fail_cleanly)
{
    int n, ok = 0, err = 0;
    char **names = sg_test_list_dir(CORPUS, PNM_SUFFIXES, &n);
    for (int i = 0; i < n; i++) {
        const char *path = sg_test_path(CORPUS, names[i]);
        size_t len;
        unsigned char *data = sg_test_read_bytes(path, &len);
        sg_test_hammer_decoder(sg_pnm_decode, data, len, path, len, 300, 2000 + (uint64_t)i, &ok,
                               &err);
        /* Known answer: a binary file written by Pillow, cut anywhere, misses samples. */
        if (strncmp(names[i], "pil_", 4) == 0) {
            int cut_ok = 0, cut_err = 0;
            sg_test_hammer_decoder(sg_pnm_decode, data, len, path, len, 0, 0, &cut_ok, &cut_err);
            ck_assert_msg(cut_ok == 0 && cut_err == (int)len,
                          "%s: %d of %zu truncated copies decoded", path, cut_ok, len);
        }
        free(data);
    }
    sg_test_free_names(names, n);
    printf("pnm hammer: %d files, %d decodes ok, %d clean errors\n", n, ok, err);
    ck_assert_int_gt(err, 0);
}
END_TEST

static Suite *pnm_suite(void)
{
    Suite *s = suite_create("pnm");
    SG_ADD_TEST(s, pnm_corpus_decodes_exactly_like_pillow, 30);
    SG_ADD_TEST(s, pnm_maxval_rescales_with_round_half_even_like_pillow, 10);
    SG_ADD_TEST(s, pnm_comment_inside_a_number_is_skipped, 10);
    SG_ADD_TEST(s, pnm_malformed_headers_name_the_file_and_the_field, 10);
    SG_ADD_TEST(s, pnm_pixel_limit_refuses_before_allocating, 10);
    SG_ADD_TEST(s, pnm_truncated_and_bit_flipped_files_fail_cleanly, 120);
    return s;
}

SG_TEST_MAIN(pnm_suite)

/* tests/test_neu_det.c - all 1,800 NEU-DET JPEGs decode to Pillow's pixels.
 *
 * tests/data/neu_det_pixels.fnv (tests/golden/gen_jpeg.py --neu) holds, for
 * every image, "name.jpg H W C fnv", fnv being the 64-bit FNV-1a hash of the
 * H x W x C bytes Pillow 9.4 decodes (libjpeg-turbo 2.1), row by row. We
 * decode bit-exactly, so every hash must match. (FNV-1a: offset basis
 * 0xcbf29ce484222325, for each byte: h ^= byte, h *= 0x100000001b3; a
 * checksum against accidents, not an adversary.) The images are 200 x 200
 * 4:2:0 YCbCr JPEGs of gray steel, so they come out as 3-channel RGB.
 * The data is looked for in $SG_DATA_DIR/neu-det/images or
 * ../shared/data/neu-det/images (relative to the repository root); without
 * it the test prints why it skips and passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "tests/codec_corpus.h"
#include "tests/testutil.h"

#define SUMS "tests/data/neu_det_pixels.fnv"
enum { NEU_DET_FILES = 1800 };

START_TEST(fnv1a64_matches_the_published_test_vectors)
{
    /* the reference values of the FNV authors' test suite */
    ck_assert_uint_eq(sg_test_fnv1a64((const uint8_t *)"", 0), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(sg_test_fnv1a64((const uint8_t *)"a", 1), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(sg_test_fnv1a64((const uint8_t *)"foobar", 6), 0x85944171f73967e8ull);
}
END_TEST

START_TEST(neu_det_jpegs_decode_to_pillows_pixels)
{
    char dir[1024];
    if (!sg_test_data_dir("neu-det/images", dir, sizeof dir)) {
        printf("SKIP neu_det_jpegs_decode_to_pillows_pixels: no NEU-DET images at %s "
               "(set SG_DATA_DIR to the folder holding neu-det/)\n", dir);
        return;
    }
    int checked;
    int wrong = sg_test_check_pixel_sums(SUMS, dir, sg_jpeg_decode, &checked);
    printf("NEU-DET: %d of %d JPEGs decode bit-exactly like Pillow\n", checked - wrong, checked);
    ck_assert_msg(checked == NEU_DET_FILES, "%s lists %d files, expected %d", SUMS, checked,
                  NEU_DET_FILES);
    ck_assert_msg(wrong == 0, "%d NEU-DET images differ from Pillow's pixels", wrong);
}
END_TEST

static Suite *neu_det_suite(void)
{
    Suite *s = suite_create("neu_det");
    SG_ADD_TEST(s, fnv1a64_matches_the_published_test_vectors, 10);
    SG_ADD_TEST(s, neu_det_jpegs_decode_to_pillows_pixels, 60);
    return s;
}

SG_TEST_MAIN(neu_det_suite)

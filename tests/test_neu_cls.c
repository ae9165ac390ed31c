/* tests/test_neu_cls.c - all 1,800 NEU-CLS bitmaps decode to Pillow's pixels.
 *
 * tests/data/neu_cls_pixels.fnv (tests/golden/gen_bmp_pnm.py --neu) holds, for
 * every file, "class/name.bmp H W C fnv", fnv being the 64-bit FNV-1a hash of
 * the H x W x C bytes Pillow 9.4 decodes, row by row: the same checksum as
 * tests/test_neu_det.c (offset basis 0xcbf29ce484222325; for each byte:
 * h ^= byte, h *= 0x100000001b3; a guard against accidents, not an adversary).
 * The data is looked for in $SG_DATA_DIR/neu-cls or ../shared/data/neu-cls
 * (relative to the repository root); without it the test prints why it skips
 * and passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "tests/codec_corpus.h"
#include "tests/testutil.h"

#define SUMS "tests/data/neu_cls_pixels.fnv"
enum { NEU_CLS_FILES = 1800 };

START_TEST(neu_cls_bitmaps_decode_to_pillows_pixels)
{
    char dir[1024];
    if (!sg_test_data_dir("neu-cls", dir, sizeof dir)) {
        printf("SKIP neu_cls_bitmaps_decode_to_pillows_pixels: no NEU-CLS data at %s "
               "(set SG_DATA_DIR to the folder holding neu-cls/)\n", dir);
        return;
    }
    int checked;
    int wrong = sg_test_check_pixel_sums(SUMS, dir, sg_bmp_decode, &checked);
    printf("NEU-CLS: %d files decoded, %d identical to Pillow, %d differ\n", checked,
           checked - wrong, wrong);
    ck_assert_msg(checked == NEU_CLS_FILES, "%s lists %d files, expected %d", SUMS, checked,
                  NEU_CLS_FILES);
    ck_assert_msg(wrong == 0, "%d of %d NEU-CLS files decode differently from Pillow", wrong,
                  checked);
}
END_TEST

static Suite *neu_cls_suite(void)
{
    Suite *s = suite_create("neu_cls");
    SG_ADD_TEST(s, neu_cls_bitmaps_decode_to_pillows_pixels, 60);
    return s;
}

SG_TEST_MAIN(neu_cls_suite)

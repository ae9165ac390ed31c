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
#include <sys/stat.h>

#include "core/fileio.h"
#include "data/image.h"
#include "tests/testutil.h"

#define SUMS "tests/data/neu_cls_pixels.fnv"
enum { NEU_CLS_FILES = 1800 };

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* $SG_DATA_DIR/neu-cls, else ../shared/data/neu-cls, into dir; true if it is a directory. */
static bool neu_cls_dir(char *dir, size_t size)
{
    const char *root = getenv("SG_DATA_DIR");
    snprintf(dir, size, "%s/neu-cls", root && *root ? root : "../shared/data");
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

START_TEST(neu_cls_bitmaps_decode_to_pillows_pixels)
{
    char dir[1024];
    if (!neu_cls_dir(dir, sizeof dir)) {
        printf("SKIP neu_cls_bitmaps_decode_to_pillows_pixels: no NEU-CLS data at %s "
               "(set SG_DATA_DIR to the folder holding neu-cls/)\n", dir);
        return;
    }
    FILE *f = fopen(SUMS, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", SUMS);
    char line[512];
    int checked = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char rel[256];
        int h, w, c;
        unsigned long long want;
        ck_assert_msg(sscanf(line, "%255s %d %d %d %llx", rel, &h, &w, &c, &want) == 5,
                      "%s: malformed line: %s", SUMS, line);
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        char *data;
        size_t len;
        ck_assert_msg(sg_file_read_all(path, (size_t)1 << 26, &data, &len) == SG_OK, "%s",
                      sg_error_message());
        sg_image img;
        sg_err err = sg_bmp_decode((const uint8_t *)data, len, path, NULL, &img);
        free(data);
        ck_assert_msg(err == SG_OK, "%s", sg_error_message());
        uint64_t found = fnv1a64(img.pixels, sg_image_bytes(&img));
        if (img.height != h || img.width != w || img.channels != c || img.depth != 8 ||
            found != want) {
            if (wrong < 10)
                printf("%s: expected %d x %d x %d %016llx, decoded %d x %d x %d (%d bits) %016llx\n",
                       rel, h, w, c, want, img.height, img.width, img.channels, img.depth,
                       (unsigned long long)found);
            wrong++;
        }
        checked++;
        sg_image_free(&img);
    }
    fclose(f);
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

/* tests/test_png.c - the PNG decoder against Pillow, the writer by round trip
 * and file size, and both against corrupt input.
 *
 * The corpus (tests/data/png, made by tests/golden/gen_png.py) covers every
 * colour type x bit depth, Adam7, every filter type, stored/fixed/dynamic
 * deflate blocks, split and empty IDATs, palettes with tRNS, ancillary
 * chunks, and corrupt files with the error class they must give. manifest.txt
 * lists the cases (its format is in the generator's docstring). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/npy.h"
#include "core/rng.h"
#include "data/crc.h"
#include "data/image.h"
#include "data/png.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static const char *corpus_dir(void)
{
    const char *d = getenv("SG_PNG_DATA_DIR");
    return d && *d ? d : "tests/data/png";
}

typedef sg_test_manifest_line manifest_line;

/* The corpus manifest's lines of one kind. */
static int read_manifest(const char *kind, manifest_line *lines, int max)
{
    return sg_test_read_manifest(corpus_dir(), kind, lines, max);
}

static uint8_t *read_case(const char *name, const char *ext, size_t *len, char *path_out)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s%s", corpus_dir(), name, ext);
    if (path_out) strcpy(path_out, path);
    return sg_test_read_bytes(path, len);
}

static double sample_at(const sg_image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : ((const uint8_t *)img->pixels)[i];
}

/* Compare img (shifted right by `shift` bits) with an H x W x C .npy. */
static void expect_pixels(const char *what, const sg_image *img, const char *npy_path, int shift)
{
    sg_npy a;
    ck_assert_msg(sg_npy_read(npy_path, &a) == SG_OK, "%s: %s", npy_path, sg_error_message());
    ck_assert_msg(a.ndim == 3 && a.shape[0] == img->height && a.shape[1] == img->width &&
                      a.shape[2] == img->channels,
                  "%s: decoded %d x %d x %d, Pillow has %lld x %lld x %lld", what, img->height,
                  img->width, img->channels, (long long)a.shape[0], (long long)a.shape[1],
                  (long long)(a.ndim == 3 ? a.shape[2] : 0));
    size_t n = sg_image_bytes(img) / (img->depth / 8), bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if ((double)((long)sample_at(img, i) >> shift) != a.data[i] && bad++ == 0) first = i;
    ck_assert_msg(bad == 0, "%s: %zu of %zu samples differ; first at %zu: ours %ld, Pillow %g", what,
                  bad, n, first, (long)sample_at(img, first) >> shift, (double)a.data[first]);
    sg_npy_free(&a);
}

START_TEST(png_decode_matches_pillow_on_corpus)
{
    static manifest_line ok[400];
    int n = read_manifest("ok", ok, 400);
    size_t samples = 0;
    for (int k = 0; k < n; k++) {
        size_t len;
        char path[512], npy[512];
        uint8_t *data = read_case(ok[k].name, ".png", &len, path);
        sg_image img;
        sg_err err = sg_png_decode(data, len, path, NULL, &img);
        ck_assert_msg(err == SG_OK, "%s: %s", path, sg_error_message());
        int channels = atoi(ok[k].a), depth = atoi(ok[k].b);
        bool hi8 = strcmp(ok[k].c, "hi8") == 0;
        ck_assert_msg(img.channels == channels && img.depth == (hi8 ? 16 : depth),
                      "%s: %d channels %d bits, expected %d channels %d bits", path, img.channels,
                      img.depth, channels, hi8 ? 16 : depth);
        snprintf(npy, sizeof npy, "%s/%s.npy", corpus_dir(), ok[k].name);
        expect_pixels(path, &img, npy, hi8 ? 8 : 0);
        if (hi8) {   /* Pillow keeps 8 bits; the generator's own 16-bit samples check the rest */
            snprintf(npy, sizeof npy, "%s/%s.u16.npy", corpus_dir(), ok[k].name);
            expect_pixels(path, &img, npy, 0);
        }
        samples += sg_image_bytes(&img) / (img.depth / 8);
        sg_image_free(&img);
        free(data);
    }
    printf("png corpus: %d files, %zu samples, all equal to Pillow's (max abs diff 0)\n", n, samples);
}
END_TEST

START_TEST(png_corrupt_files_fail_with_expected_class)
{
    static manifest_line bad[100];
    int n = read_manifest("error", bad, 100);
    for (int k = 0; k < n; k++) {
        size_t len;
        char path[512];
        uint8_t *data = read_case(bad[k].name, ".png", &len, path);
        sg_image img;
        sg_err want = strcmp(bad[k].a, "limit") == 0         ? SG_ERR_LIMIT
                      : strcmp(bad[k].a, "unsupported") == 0 ? SG_ERR_UNSUPPORTED
                                                              : SG_ERR_FORMAT;
        sg_err got = sg_png_decode(data, len, path, NULL, &img);
        printf("  %-28s -> %s: %s\n", bad[k].name, sg_err_name(got), sg_error_message());
        sg_test_expect_code(got, want, path, NULL);
        ck_assert_ptr_null(img.pixels);
        free(data);
    }
}
END_TEST

START_TEST(png_pixel_limit_is_checked_from_ihdr)
{
    size_t len;
    char path[512];
    uint8_t *data = read_case("rgb8_plain_17x13", ".png", &len, path);
    sg_image img;
    sg_image_limits lim = {.max_pixels = 17 * 13 - 1};
    sg_test_expect_code(sg_png_decode(data, len, path, &lim, &img), SG_ERR_LIMIT, path, "221 pixels");
    lim.max_pixels = 17 * 13;
    ck_assert_int_eq(sg_png_decode(data, len, path, &lim, &img), SG_OK);
    sg_image_free(&img);
    /* An IHDR (with a valid CRC) claiming 20000 x 10000 pixels, under the
     * default limit, over a few hundred bytes of IDAT: refused before the
     * 600 MB are allocated, since DEFLATE cannot expand more than 1032:1. */
    data[16] = 0, data[17] = 0, data[18] = 0x4E, data[19] = 0x20;   /* width 20000 */
    data[20] = 0, data[21] = 0, data[22] = 0x27, data[23] = 0x10;   /* height 10000 */
    uint32_t crc = sg_crc32(0, data + 12, 17);
    for (int i = 0; i < 4; i++) data[29 + i] = (uint8_t)(crc >> (24 - 8 * i));
    sg_test_expect_code(sg_png_decode(data, len, path, NULL, &img), SG_ERR_FORMAT, path, "cannot hold");
    ck_assert_ptr_null(img.pixels);
    free(data);
}
END_TEST

/* A deterministic test image: smooth ramps plus noise, so every filter wins somewhere. */
static void fill_test_image(sg_image *img, uint64_t seed)
{
    size_t n = sg_image_bytes(img) / (img->depth / 8);
    sg_rng_key key = {seed, SG_RNG_TEST, 0};
    int top = img->depth == 16 ? 65535 : 255;
    for (size_t i = 0; i < n; i++) {
        size_t px = i / img->channels, x = px % img->width, y = px / img->width;
        long v = (long)((x * 37 + y * 11 + (i % img->channels) * 60) * (top / 255)) % (top + 1);
        if (sg_rng_u32(key, i) % 4 == 0) v = sg_rng_u32(key, i + n) % (top + 1);
        if (img->depth == 16) ((uint16_t *)img->pixels)[i] = (uint16_t)v;
        else ((uint8_t *)img->pixels)[i] = (uint8_t)v;
    }
}

START_TEST(png_write_round_trips_every_channel_count_and_depth)
{
    const char *dir = sg_test_tmpdir();
    static const int sizes[][2] = {{1, 1}, {3, 5}, {17, 13}, {64, 33}, {1, 40}};
    int files = 0;
    for (int c = 1; c <= 4; c++)
        for (int depth = 8; depth <= 16; depth += 8)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                sg_image img, back;
                ck_assert_int_eq(sg_image_alloc(&img, sizes[s][0], sizes[s][1], c, depth, NULL, "t"), SG_OK);
                fill_test_image(&img, 1000 + c * 100 + depth * 10 + s);
                char name[64];
                snprintf(name, sizeof name, "rt_c%d_d%d_%dx%d.png", c, depth, sizes[s][0], sizes[s][1]);
                const char *path = sg_test_path(dir, name);
                ck_assert_msg(sg_png_write(path, &img) == SG_OK, "%s", sg_error_message());
                sg_err err = sg_image_read(path, NULL, &back);
                ck_assert_msg(err == SG_OK, "%s: %s", path, sg_error_message());
                ck_assert_msg(back.width == img.width && back.height == img.height &&
                                  back.channels == c && back.depth == depth,
                              "%s: read back %d x %d x %d at %d bits", path, back.width, back.height,
                              back.channels, back.depth);
                ck_assert_msg(memcmp(back.pixels, img.pixels, sg_image_bytes(&img)) == 0,
                              "%s: pixels differ after write + read", path);
                /* Every compression level decodes to the same pixels. */
                for (int level = 0; level <= 9; level += 3) {
                    uint8_t *buf;
                    size_t len;
                    ck_assert_int_eq(sg_png_encode(&img, level, &buf, &len), SG_OK);
                    sg_image again;
                    ck_assert_msg(sg_png_decode(buf, len, name, NULL, &again) == SG_OK, "%s level %d: %s",
                                  name, level, sg_error_message());
                    ck_assert_msg(memcmp(again.pixels, img.pixels, sg_image_bytes(&img)) == 0,
                                  "%s level %d: pixels differ", name, level);
                    sg_image_free(&again);
                    free(buf);
                }
                sg_image_free(&img);
                sg_image_free(&back);
                files++;
            }
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_test_remove_tree(dir);
    printf("png round trip: %d images x 5 levels identical after write + decode\n", files);
}
END_TEST

START_TEST(png_writer_is_within_1_3x_of_pillow_size)
{
    static manifest_line sz[20];
    int n = read_manifest("size", sz, 20);
    const char *dir = sg_test_tmpdir();
    for (int k = 0; k < n; k++) {
        char npy[512];
        snprintf(npy, sizeof npy, "%s/%s.npy", corpus_dir(), sz[k].name);
        sg_npy a;
        ck_assert_msg(sg_npy_read(npy, &a) == SG_OK, "%s: %s", npy, sg_error_message());
        sg_image img;
        ck_assert_int_eq(sg_image_alloc(&img, (int)a.shape[1], (int)a.shape[0], (int)a.shape[2], 8, NULL, npy),
                         SG_OK);
        for (int64_t i = 0; i < a.numel; i++) ((uint8_t *)img.pixels)[i] = (uint8_t)a.data[i];
        const char *path = sg_test_path(dir, "size.png");
        ck_assert_int_eq(sg_png_write(path, &img), SG_OK);
        size_t ours;
        free(sg_test_read_bytes(path, &ours));
        long pil = atol(sz[k].a);
        double ratio = (double)ours / (double)pil;
        printf("png size %-16s %dx%dx%d: ours %zu bytes, Pillow (zlib 6) %ld bytes, ratio %.3f\n",
               sz[k].name, img.width, img.height, img.channels, ours, pil, ratio);
        ck_assert_msg(ratio <= 1.3, "%s: our PNG is %.3f x Pillow's size (limit 1.3)", sz[k].name, ratio);
        sg_image back;
        ck_assert_int_eq(sg_image_read(path, NULL, &back), SG_OK);
        ck_assert_int_eq(memcmp(back.pixels, img.pixels, sg_image_bytes(&img)), 0);
        sg_image_free(&back);
        sg_image_free(&img);
        sg_npy_free(&a);
    }
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(png_writer_rejects_images_it_cannot_store)
{
    sg_image img = {3, 3, 5, 8, NULL};
    uint8_t px[45] = {0};
    img.pixels = px;
    sg_test_expect_code(sg_png_write("/tmp/never.png", &img), SG_ERR_INVALID, "/tmp/never.png", "5 channels");
    img.channels = 3;
    img.depth = 12;
    sg_test_expect_code(sg_png_write("/tmp/never.png", &img), SG_ERR_INVALID, "12 bits", NULL);
}
END_TEST

/* Decode a damaged copy; it must succeed or fail with a message naming the file. */
static int decode_damaged(const uint8_t *data, size_t len, const char *name)
{
    sg_image img;
    sg_err err = sg_png_decode(data, len, name, NULL, &img);
    if (err == SG_OK) {
        ck_assert_ptr_nonnull(img.pixels);
        sg_image_free(&img);
        return 0;
    }
    ck_assert_msg(err == SG_ERR_FORMAT || err == SG_ERR_UNSUPPORTED || err == SG_ERR_LIMIT,
                  "%s: unexpected error class %s: %s", name, sg_err_name(err), sg_error_message());
    ck_assert_msg(strstr(sg_error_message(), name) != NULL, "message \"%s\" does not name %s",
                  sg_error_message(), name);
    ck_assert_ptr_null(img.pixels);
    return 1;
}

/* Offset just past the IEND chunk: every shorter prefix must fail. */
static size_t iend_end(const uint8_t *d, size_t len)
{
    for (size_t i = len >= 8 ? len - 8 : 0; i-- > 8;)
        if (memcmp(d + i, "IEND", 4) == 0) return i + 8;
    return len;
}

START_TEST(png_truncation_at_every_length_fails_cleanly)
{
    static manifest_line ok[400];
    int n = read_manifest("ok", ok, 400);
    long tries = 0;
    for (int k = 0; k < n; k++) {
        size_t len;
        char path[512];
        uint8_t *data = read_case(ok[k].name, ".png", &len, path);
        size_t must_fail_below = iend_end(data, len);
        size_t step = len <= 4096 ? 1 : len / 2000;   /* every length of small files */
        for (size_t cut = 0; cut < len; cut += step) {
            uint8_t *copy = malloc(cut ? cut : 1);   /* exact-size copy: ASan sees any over-read */
            memcpy(copy, data, cut);
            int failed = decode_damaged(copy, cut, path);
            ck_assert_msg(failed || cut >= must_fail_below, "%s cut to %zu of %zu bytes decoded", path,
                          cut, len);
            free(copy);
            tries++;
        }
        free(data);
    }
    printf("png truncation: %ld truncated files, all clean errors\n", tries);
}
END_TEST

/* Recompute the CRC of every chunk, so damage reaches inflate and the filters. */
static void fix_crcs(uint8_t *d, size_t len)
{
    for (size_t pos = 8; len - pos >= 12;) {
        uint32_t clen = (uint32_t)d[pos] << 24 | (uint32_t)d[pos + 1] << 16 | (uint32_t)d[pos + 2] << 8 |
                        d[pos + 3];
        if (clen > len - pos - 12) break;
        uint32_t crc = sg_crc32(0, d + pos + 4, 4 + (size_t)clen);
        for (int i = 0; i < 4; i++) d[pos + 8 + clen + i] = (uint8_t)(crc >> (24 - 8 * i));
        pos += 12 + (size_t)clen;
    }
}

START_TEST(png_random_bit_flips_fail_cleanly_or_decode)
{
    static manifest_line ok[400];
    int n = read_manifest("ok", ok, 400);
    long tries = 0, failures = 0;
    for (int k = 0; k < n; k++) {
        size_t len;
        char path[512];
        uint8_t *data = read_case(ok[k].name, ".png", &len, path);
        uint8_t *copy = malloc(len);
        for (int t = 0; t < 300; t++) {
            sg_rng_key key = {(uint64_t)k, SG_RNG_TEST, (uint64_t)t};
            memcpy(copy, data, len);
            int flips = 1 + (int)sg_rng_below(key, 0, 3);
            for (int f = 0; f < flips; f++) {
                size_t at = sg_rng_below(key, 1 + 2 * f, (uint32_t)len);
                copy[at] ^= (uint8_t)(1u << sg_rng_below(key, 2 + 2 * f, 8));
            }
            if (t % 2) fix_crcs(copy, len);   /* half with CRCs made right again */
            failures += decode_damaged(copy, len, path);
            tries++;
        }
        free(copy);
        free(data);
    }
    printf("png bit flips: %ld damaged files, %ld clean errors, %ld still decode\n", tries, failures,
           tries - failures);
}
END_TEST

static Suite *png_suite(void)
{
    Suite *s = suite_create("png");
    SG_ADD_TEST(s, png_decode_matches_pillow_on_corpus, 30);
    SG_ADD_TEST(s, png_corrupt_files_fail_with_expected_class, 30);
    SG_ADD_TEST(s, png_pixel_limit_is_checked_from_ihdr, 30);
    SG_ADD_TEST(s, png_write_round_trips_every_channel_count_and_depth, 60);
    SG_ADD_TEST(s, png_writer_is_within_1_3x_of_pillow_size, 30);
    SG_ADD_TEST(s, png_writer_rejects_images_it_cannot_store, 30);
    SG_ADD_TEST(s, png_truncation_at_every_length_fails_cleanly, 120);
    SG_ADD_TEST(s, png_random_bit_flips_fail_cleanly_or_decode, 120);
    return s;
}

SG_TEST_MAIN(png_suite)

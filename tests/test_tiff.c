/* tests/test_tiff.c - the TIFF decoder against tifffile (and Pillow), and
 * against malformed input.
 *
 * The corpus (tests/data/tiff, made by tests/golden/gen_tiff.py) covers both
 * byte orders, strips and tiles with partial edges, no compression,
 * PackBits, LZW and Deflate (8 and 32946) with and without the horizontal
 * predictor, 8/16-bit gray (BlackIsZero and WhiteIsZero), gray + alpha, RGB,
 * RGBA and multi-page files; and malformed or unsupported files with the
 * error class and a piece of the message they must give. manifest.txt lists
 * the cases (its format is in the generator's docstring). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/npy.h"
#include "core/rng.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "data/scan.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static const char *corpus_dir(void)
{
    const char *d = getenv("SG_TIFF_DATA_DIR");
    return d && *d ? d : "tests/data/tiff";
}

typedef sg_test_manifest_line manifest_line;

/* The corpus manifest's lines of one kind. */
static int read_manifest(const char *kind, manifest_line *lines, int max)
{
    return sg_test_read_manifest(corpus_dir(), kind, lines, max);
}

static char *case_path(const char *name, const char *ext)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s%s", corpus_dir(), name, ext);
    return path;
}

static long sample_at(const sg_image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : ((const uint8_t *)img->pixels)[i];
}

/* Compare every sample of img with an H x W x C .npy; returns the count. */
static size_t expect_pixels(const char *what, const sg_image *img, const char *npy_path)
{
    sg_npy a;
    ck_assert_msg(sg_npy_read(npy_path, &a) == SG_OK, "%s: %s", npy_path, sg_error_message());
    ck_assert_msg(a.ndim == 3 && a.shape[0] == img->height && a.shape[1] == img->width &&
                      a.shape[2] == img->channels,
                  "%s: decoded %d x %d x %d, tifffile has %lld x %lld x %lld", what, img->height,
                  img->width, img->channels, (long long)a.shape[0], (long long)a.shape[1],
                  (long long)(a.ndim == 3 ? a.shape[2] : 0));
    size_t n = sg_image_bytes(img) / (size_t)(img->depth / 8), bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if ((double)sample_at(img, i) != a.data[i] && bad++ == 0) first = i;
    ck_assert_msg(bad == 0, "%s: %zu of %zu samples differ; first at %zu: ours %ld, expected %g", what,
                  bad, n, first, sample_at(img, first), (double)a.data[first]);
    sg_npy_free(&a);
    return n;
}

START_TEST(tiff_decode_matches_tifffile_on_every_variant)
{
    static manifest_line ok[300];
    int n = read_manifest("ok", ok, 300), multi = 0;
    size_t samples = 0;
    for (int k = 0; k < n; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s", case_path(ok[k].name, ".tif"));
        sg_image img;
        sg_err err = sg_image_read(path, NULL, &img);   /* through the format dispatch */
        ck_assert_msg(err == SG_OK, "%s: %s", path, sg_error_message());
        int channels = atoi(ok[k].a), depth = atoi(ok[k].b), pages = atoi(ok[k].c);
        ck_assert_msg(img.channels == channels && img.depth == depth,
                      "%s: %d channels %d bits, expected %d channels %d bits", path, img.channels,
                      img.depth, channels, depth);
        /* A multi-page file warns, naming the count; a single page does not. */
        if (pages > 1) {
            char want[64];
            snprintf(want, sizeof want, "%d pages", pages);
            ck_assert_msg(strstr(sg_image_warning(), want) && strstr(sg_image_warning(), path),
                          "%s: warning '%s', expected one naming the file and '%s'", path,
                          sg_image_warning(), want);
            multi++;
        } else {
            ck_assert_msg(sg_image_warning()[0] == '\0', "%s: unexpected warning '%s'", path,
                          sg_image_warning());
        }
        samples += expect_pixels(path, &img, case_path(ok[k].name, ".npy"));
        sg_image_free(&img);
    }
    ck_assert_int_ge(n, 150);
    printf("tiff corpus: %d files (%d multi-page), %zu samples, all exactly equal (max abs diff 0)\n",
           n, multi, samples);
}
END_TEST

START_TEST(tiff_malformed_and_unsupported_files_fail_with_class_and_message)
{
    static manifest_line bad[100];
    int n = read_manifest("error", bad, 100);
    for (int k = 0; k < n; k++) {
        size_t len;
        char path[512];
        snprintf(path, sizeof path, "%s", case_path(bad[k].name, ".tif"));
        uint8_t *data = sg_test_read_bytes(path, &len);
        sg_image img;
        sg_err want = strcmp(bad[k].a, "limit") == 0         ? SG_ERR_LIMIT
                      : strcmp(bad[k].a, "unsupported") == 0 ? SG_ERR_UNSUPPORTED
                                                              : SG_ERR_FORMAT;
        /* The needle is the rest of the line after the class (it may hold spaces). */
        char needle[256] = "";
        FILE *f = fopen(case_path("manifest", ".txt"), "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            char kind[16], name[96], cls[32];
            int used = 0;
            if (sscanf(line, "%15s %95s %31s %n", kind, name, cls, &used) >= 3 && strcmp(kind, "error") == 0 &&
                strcmp(name, bad[k].name) == 0) {
                snprintf(needle, sizeof needle, "%s", line + used);
                needle[strcspn(needle, "\n")] = '\0';
            }
        }
        if (f) fclose(f);
        sg_err got = sg_image_decode(data, len, path, NULL, &img);
        printf("  %-26s -> %s: %s\n", bad[k].name, sg_err_name(got), sg_error_message());
        sg_test_expect_code(got, want, path, needle[0] ? needle : NULL);
        ck_assert_ptr_null(img.pixels);
        /* The decoder itself, not only through the dispatch. */
        ck_assert_int_eq(sg_tiff_decode(data, len, path, NULL, &img), got);
        ck_assert_ptr_null(img.pixels);
        free(data);
    }
    ck_assert_int_ge(n, 20);
}
END_TEST

START_TEST(tiff_pixel_limit_is_checked_before_decoding)
{
    size_t len;
    const char *path = case_path("rgb8_lzw_le_strips", ".tif");
    uint8_t *data = sg_test_read_bytes(path, &len);
    sg_image img;
    sg_image_limits lim = {.max_pixels = 13 * 7 - 1};
    sg_test_expect_code(sg_tiff_decode(data, len, path, &lim, &img), SG_ERR_LIMIT, path, "limit");
    ck_assert_ptr_null(img.pixels);
    lim.max_pixels = 13 * 7;
    ck_assert_msg(sg_tiff_decode(data, len, path, &lim, &img) == SG_OK, "%s", sg_error_message());
    sg_image_free(&img);
    free(data);
}
END_TEST

START_TEST(tiff_is_sniffed_probed_and_counted_as_an_image_name)
{
    size_t len;
    const char *path = case_path("rgb16_deflate32946_be_tiles", ".tif");
    uint8_t *data = sg_test_read_bytes(path, &len);
    ck_assert_int_eq(sg_image_sniff(data, len), SG_IMAGE_TIFF);
    ck_assert_str_eq(sg_image_format_name(SG_IMAGE_TIFF), "tiff");
    sg_file_info info = {0};
    ck_assert_msg(sg_image_probe(data, len, path, &info) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(info.width, 21);
    ck_assert_int_eq(info.height, 18);
    ck_assert_int_eq(info.bits_per_pixel, 48);
    free(data);
    ck_assert(sg_is_image_name("scan.tif") && sg_is_image_name("scan.TIFF") && sg_is_image_name("a.Tif"));
    ck_assert(!sg_is_image_name("scan.tiffx") && !sg_is_image_name(".tif"));
}
END_TEST

/* Decode a damaged buffer: it must fail cleanly or give a whole image. */
static int decode_damaged(const uint8_t *data, size_t len, const char *path)
{
    sg_image img;
    sg_err err = sg_tiff_decode(data, len, path, NULL, &img);
    if (err == SG_OK) {
        ck_assert_ptr_nonnull(img.pixels);
        sg_image_free(&img);
        return 0;
    }
    ck_assert_ptr_null(img.pixels);
    ck_assert_msg(strstr(sg_error_message(), path) != NULL, "message does not name the file: %s",
                  sg_error_message());
    return 1;
}

static const char *const damage_cases[] = {
    "gray8_lzw_le_strips", "rgb16_lzw_pred_be_tiles", "ga8_packbits_be_tiles",
    "gray16_deflate8_pred_le_strips", "rgba8_raw_le_strips", "gray8_three_pages",
    "gray8_lzw_table_full",
};

START_TEST(tiff_truncation_at_every_length_fails_cleanly)
{
    long failures = 0, tries = 0;
    for (size_t c = 0; c < sizeof damage_cases / sizeof damage_cases[0]; c++) {
        size_t len;
        const char *path = case_path(damage_cases[c], ".tif");
        uint8_t *data = sg_test_read_bytes(path, &len);
        for (size_t cut = 0; cut < len; cut += len > 2000 ? 7 : 1) {
            uint8_t *copy = malloc(cut ? cut : 1);   /* exactly cut bytes: ASan sees overreads */
            memcpy(copy, data, cut);
            failures += decode_damaged(copy, cut, path);
            tries++;
            free(copy);
        }
        free(data);
    }
    printf("tiff truncations: %ld cut files, %ld clean errors\n", tries, failures);
}
END_TEST

START_TEST(tiff_random_byte_changes_fail_cleanly_or_decode)
{
    long failures = 0, tries = 0;
    for (size_t c = 0; c < sizeof damage_cases / sizeof damage_cases[0]; c++) {
        size_t len;
        const char *path = case_path(damage_cases[c], ".tif");
        uint8_t *data = sg_test_read_bytes(path, &len);
        uint8_t *copy = malloc(len);
        for (int t = 0; t < 300; t++) {
            sg_rng_key key = {(uint64_t)c, SG_RNG_TEST, (uint64_t)t};
            memcpy(copy, data, len);
            int changes = 1 + (int)sg_rng_below(key, 0, 4);
            for (int f = 0; f < changes; f++) {
                /* Half the changes in the header and IFD, where they matter most. */
                uint32_t span = t % 2 && len > 400 ? 400 : (uint32_t)len;
                size_t at = sg_rng_below(key, 1 + 2 * f, span);
                copy[at] = (uint8_t)sg_rng_below(key, 2 + 2 * f, 256);
            }
            failures += decode_damaged(copy, len, path);
            tries++;
        }
        free(copy);
        free(data);
    }
    printf("tiff random changes: %ld damaged files, %ld clean errors, %ld still decode\n", tries, failures,
           tries - failures);
}
END_TEST

/* Run `steelgrad image decode IN -o OUT [--keep-depth]` and read OUT back. */
static sg_npy decode_cli(const char *in, bool keep_depth, const char *log_needle)
{
    const char *dir = sg_test_tmpdir();
    char args[1200], npy[600], log[600];
    snprintf(npy, sizeof npy, "%s/out.npy", dir);
    snprintf(log, sizeof log, "%s/decode.log", dir);
    remove(npy);
    snprintf(args, sizeof args, "image decode %s -o %s%s", in, npy, keep_depth ? " --keep-depth" : "");
    int rc = sg_test_run_cli(NULL, args, log);
    ck_assert_msg(rc == 0, "steelgrad %s: exit %d: %s", args, rc, sg_test_slurp(log));
    if (log_needle) sg_test_expect_file_contains(log, log_needle);
    sg_npy a;
    ck_assert_msg(sg_npy_read(npy, &a) == SG_OK, "%s", sg_error_message());
    return a;
}

/* Every value of a equals want[i] (optionally scaled to 8 bits). */
static void expect_npy(const char *what, const sg_npy *a, const char *want_path, bool to8)
{
    sg_npy want;
    ck_assert_msg(sg_npy_read(want_path, &want) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(a->numel, want.numel);
    for (int64_t i = 0; i < a->numel; i++) {
        double w = to8 ? (double)(((uint32_t)want.data[i] * 255u + 32767u) / 65535u) : want.data[i];
        ck_assert_msg(a->data[i] == w, "%s: sample %lld is %g, expected %g", what, (long long)i,
                      (double)a->data[i], w);
    }
    sg_npy_free(&want);
}

START_TEST(image_decode_keep_depth_writes_uint16_and_scales_to_uint8_by_default)
{
    static const struct { const char *file, *want; } cases[] = {
        {"tests/data/tiff/gray16_lzw_pred_be_tiles.tif", "tests/data/tiff/gray16_lzw_pred_be_tiles.npy"},
        {"tests/data/tiff/rgba16_deflate32946_le_strips.tif", "tests/data/tiff/rgba16_deflate32946_le_strips.npy"},
        {"tests/data/png/filter0_rgba16.png", "tests/data/png/filter0_rgba16.u16.npy"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sg_npy a = decode_cli(cases[k].file, true, "(uint16)");
        ck_assert_msg(a.dtype == SG_DTYPE_U16, "%s --keep-depth: dtype %d, expected uint16", cases[k].file,
                      (int)a.dtype);
        expect_npy(cases[k].file, &a, cases[k].want, false);
        sg_npy_free(&a);
        a = decode_cli(cases[k].file, false, "(uint8)");   /* the default: v * 255 / 65535, rounded */
        ck_assert_int_eq(a.dtype, SG_DTYPE_U8);
        expect_npy(cases[k].file, &a, cases[k].want, true);
        sg_npy_free(&a);
    }
    /* An 8-bit image stays uint8 with --keep-depth; a multi-page file warns. */
    sg_npy a = decode_cli("tests/data/tiff/gray8_three_pages.tif", true, "3 pages: only the first");
    ck_assert_int_eq(a.dtype, SG_DTYPE_U8);
    expect_npy("gray8_three_pages", &a, "tests/data/tiff/gray8_three_pages.npy", false);
    sg_npy_free(&a);
}
END_TEST

/* A class-folder data set of 16-bit TIFFs (and one 8-bit .tiff) is read,
 * inspected, split and loaded like any other: the paths `train` takes. */
START_TEST(tiff_class_folders_are_inspected_split_and_loaded)
{
    const char *dir = sg_test_tmpdir();
    char root[600], path[700], log[600], args[1500];
    snprintf(root, sizeof root, "%s/tiffset", dir);
    static const struct { const char *cls, *name, *src; } files[] = {
        {"crazing", "a.tif", "gray16_lzw_le_strips"}, {"crazing", "b.TIF", "gray16_deflate8_pred_le_strips"},
        {"crazing", "c.tif", "gray16_packbits_le_strips"}, {"patches", "d.tif", "gray16_raw_le_strips"},
        {"patches", "e.tiff", "gray8_lzw_pred_le_strips"}, {"patches", "f.tif", "gray16_lzw_pred_le_strips"},
    };
    enum { N = sizeof files / sizeof files[0] };
    for (int k = 0; k < N; k++) {
        snprintf(path, sizeof path, "%s/%s", root, files[k].cls);
        ck_assert_int_eq(sg_mkdir_p(path), SG_OK);
        size_t len;
        uint8_t *data = sg_test_read_bytes(case_path(files[k].src, ".tif"), &len);
        snprintf(path, sizeof path, "%s/%s/%s", root, files[k].cls, files[k].name);
        sg_test_write_bytes(path, data, len);
        free(data);
    }
    sg_dataset ds;
    ck_assert_msg(sg_dataset_from_folders(root, NULL, &ds) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(ds.n_samples, N);
    ck_assert_int_eq(ds.skipped.count, 0);

    /* The loader, 16 bits kept: every sample equals the corpus / 65535. */
    const char *paths[N];
    int32_t labels[N];
    for (int i = 0; i < N; i++) paths[i] = ds.samples[i].path, labels[i] = ds.samples[i].label;
    sg_loader *l = NULL;
    sg_loader_opts o = {.batch_size = N, .channels = 1, .height = 7, .width = 13, .workers = -1,
                        .keep_depth = true};
    ck_assert_msg(sg_loader_new(paths, labels, N, &o, &l) == SG_OK, "%s", sg_error_message());
    sg_batch b;
    bool has;
    ck_assert_int_eq(sg_loader_start_epoch(l, 0), SG_OK);
    ck_assert_msg(sg_loader_next(l, &b, &has) == SG_OK && has && b.n == N, "%s", sg_error_message());
    for (int i = 0; i < N; i++) {
        const char *base = strrchr(ds.samples[b.indices[i]].path, '/') + 1;
        int k = 0;
        while (strcmp(files[k].name, base) != 0) k++;
        sg_npy want;
        ck_assert_int_eq(sg_npy_read(case_path(files[k].src, ".npy"), &want), SG_OK);
        float top = strstr(files[k].src, "16") ? 65535.0f : 255.0f;
        for (int p = 0; p < 7 * 13; p++)
            ck_assert_msg(b.images[i * 7 * 13 + p] == want.data[p] / top, "%s pixel %d: %g, expected %g",
                          base, p, (double)b.images[i * 7 * 13 + p], (double)(want.data[p] / top));
        sg_npy_free(&want);
    }
    sg_loader_free(l);
    sg_dataset_free(&ds);

    /* data inspect names the format and the 16-bit layout; data split takes them all. */
    snprintf(log, sizeof log, "%s/inspect.log", dir);
    snprintf(args, sizeof args, "data inspect %s", root);
    int rc = sg_test_run_cli(NULL, args, log);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, sg_test_slurp(log));
    sg_test_expect_file_contains(log, "formats: tiff 6");
    sg_test_expect_file_contains(log, "13x7 16-bit: 5");
    sg_test_expect_file_contains(log, "gray 16-bit 5");
    snprintf(args, sizeof args, "data split %s -o %s/split.csv --ratios 50,0,50", root, dir);
    rc = sg_test_run_cli(NULL, args, log);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", args, rc, sg_test_slurp(log));
    snprintf(path, sizeof path, "%s/split.csv", dir);
    char *csv = sg_test_slurp(path);
    for (int k = 0; k < N; k++) ck_assert_msg(strstr(csv, files[k].name), "%s lacks %s:\n%s", path, files[k].name, csv);
    free(csv);
    sg_test_remove_tree(root);
}
END_TEST

static Suite *tiff_suite(void)
{
    Suite *s = suite_create("tiff");
    SG_ADD_TEST(s, tiff_decode_matches_tifffile_on_every_variant, 60);
    SG_ADD_TEST(s, tiff_malformed_and_unsupported_files_fail_with_class_and_message, 30);
    SG_ADD_TEST(s, tiff_pixel_limit_is_checked_before_decoding, 30);
    SG_ADD_TEST(s, tiff_is_sniffed_probed_and_counted_as_an_image_name, 30);
    SG_ADD_TEST(s, tiff_truncation_at_every_length_fails_cleanly, 120);
    SG_ADD_TEST(s, tiff_random_byte_changes_fail_cleanly_or_decode, 120);
    SG_ADD_TEST(s, image_decode_keep_depth_writes_uint16_and_scales_to_uint8_by_default, 60);
    SG_ADD_TEST(s, tiff_class_folders_are_inspected_split_and_loaded, 60);
    return s;
}

SG_TEST_MAIN(tiff_suite)

/* tests/test_loader.c - the batch loader: coverage of every sample once per
 * epoch, exact pixels, thread-count independence, errors naming the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "data/image.h"
#include "data/loader.h"
#include "tests/testutil.h"

enum { N_FILES = 10, SIDE = 6 };

static char dir[64];
static char *paths[N_FILES];
static int32_t labels[N_FILES];

/* Pixel (x, y) of file k: a pattern that differs per file. */
static uint8_t pixel(int k, int x, int y) { return (uint8_t)(k * 20 + x * 3 + y * 7); }

/* Write N_FILES binary PGM files of SIDE x SIDE (P5, maxval 255). */
static void make_files(void)
{
    strcpy(dir, "/tmp/sg_test_loader_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (int k = 0; k < N_FILES; k++) {
        char header[32];
        int hl = snprintf(header, sizeof header, "P5\n%d %d\n255\n", SIDE, SIDE);
        uint8_t buf[64 + SIDE * SIDE];
        memcpy(buf, header, (size_t)hl);
        for (int y = 0; y < SIDE; y++)
            for (int x = 0; x < SIDE; x++) buf[hl + y * SIDE + x] = pixel(k, x, y);
        paths[k] = malloc(128);
        snprintf(paths[k], 128, "%s/img_%d.pgm", dir, k);
        ck_assert_int_eq(sg_file_write_atomic(paths[k], buf, (size_t)hl + SIDE * SIDE), SG_OK);
        labels[k] = k % 3;
    }
}

static void remove_files(void)
{
    for (int k = 0; k < N_FILES; k++) {
        unlink(paths[k]);
        free(paths[k]);
    }
    rmdir(dir);
}

static sg_loader *make_loader(sg_loader_opts o)
{
    sg_loader *l = NULL;
    sg_err err = sg_loader_new((const char *const *)paths, labels, N_FILES, &o, &l);
    ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    return l;
}

START_TEST(every_sample_once_per_epoch_with_exact_pixels)
{
    make_files();
    sg_loader *l = make_loader((sg_loader_opts){.batch_size = 4, .height = SIDE, .width = SIDE,
                                                .shuffle = true, .seed = 3});
    ck_assert_int_eq(sg_loader_batches_per_epoch(l), 3);
    for (int epoch = 0; epoch < 2; epoch++) {
        int seen[N_FILES] = {0}, batches = 0;
        ck_assert_int_eq(sg_loader_start_epoch(l, epoch), SG_OK);
        sg_batch b;
        bool has;
        while (sg_loader_next(l, &b, &has) == SG_OK && has) {
            ck_assert_int_eq(b.index, batches);
            ck_assert_int_eq(b.n, batches < 2 ? 4 : 2);
            for (int i = 0; i < b.n; i++) {
                int k = (int)b.indices[i];
                seen[k]++;
                ck_assert_int_eq(b.labels[i], labels[k]);
                for (int y = 0; y < SIDE; y++)
                    for (int x = 0; x < SIDE; x++)
                        ck_assert_float_eq(b.images[i * SIDE * SIDE + y * SIDE + x],
                                           pixel(k, x, y) / 255.0f);
            }
            batches++;
        }
        ck_assert_int_eq(batches, 3);
        for (int k = 0; k < N_FILES; k++) ck_assert_int_eq(seen[k], 1);
    }
    sg_loader_free(l);
    remove_files();
}
END_TEST

/* All batches of two epochs, concatenated (images then labels). */
static float *run_epochs(sg_loader_opts o, size_t *count)
{
    sg_loader *l = make_loader(o);
    size_t per = (size_t)o.channels * o.height * o.width, cap = 2 * N_FILES * (per + 1), n = 0;
    float *all = malloc(cap * sizeof *all);
    for (int epoch = 0; epoch < 2; epoch++) {
        ck_assert_int_eq(sg_loader_start_epoch(l, epoch), SG_OK);
        sg_batch b;
        bool has;
        sg_err err;
        while ((err = sg_loader_next(l, &b, &has)) == SG_OK && has) {
            memcpy(all + n, b.images, (size_t)b.n * per * sizeof(float));
            n += (size_t)b.n * per;
            for (int i = 0; i < b.n; i++) all[n++] = (float)b.indices[i];
        }
        ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    }
    sg_loader_free(l);
    *count = n;
    return all;
}

START_TEST(augmented_batches_do_not_depend_on_worker_count)
{
    make_files();
    sg_augment_opts aug = sg_augment_opts_default();
    aug.rotation_range = 30;
    aug.width_shift_range = 0.2f;
    aug.zoom_range[0] = 0.8f;
    aug.zoom_range[1] = 1.2f;
    aug.horizontal_flip = true;
    aug.brightness_range[0] = 0.6f;
    aug.brightness_range[1] = 1.4f;
    const float mean[3] = {0.5f, 0.4f, 0.3f}, std[3] = {0.2f, 0.25f, 0.3f};
    sg_loader_opts o = {.batch_size = 3, .channels = 3, .height = 9, .width = 7, .shuffle = true,
                        .seed = 11, .augment = &aug, .mean = mean, .std = std};
    size_t n0, n1, n2;
    o.workers = -1;
    float *sync = run_epochs(o, &n0);
    o.workers = 1;
    float *one = run_epochs(o, &n1);
    o.workers = 3;
    o.prefetch = 4;
    float *three = run_epochs(o, &n2);
    ck_assert_uint_eq(n0, n1);
    ck_assert_uint_eq(n0, n2);
    ck_assert_int_eq(memcmp(sync, one, n0 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(sync, three, n0 * sizeof(float)), 0);
    /* Gray files become 3 equal channels before normalisation, so channel 1
     * of any sample is (gray - 0.4) / 0.25 where channel 0 is (gray - 0.5) / 0.2. */
    size_t per = 3 * 9 * 7;
    for (size_t i = 0; i < 9 * 7; i++) {
        float g0 = sync[i] * 0.2f + 0.5f, g1 = sync[per / 3 + i] * 0.25f + 0.4f;
        ck_assert_msg(fabsf(g0 - g1) < 1e-5f, "channels differ at %zu: %g vs %g", i, g0, g1);
    }
    /* The two epochs differ (new order and new augmentation draws). */
    ck_assert_int_ne(memcmp(sync, sync + n0 / 2, n0 / 2 * sizeof(float)), 0);
    free(sync);
    free(one);
    free(three);
    remove_files();
}
END_TEST

/* Each (epoch, position) draws its augmentation from its own key,
 * (seed, SG_RNG_AUGMENT, epoch * n + position) as loader.h documents: the
 * sample equals sg_augment_apply with that key, recomputed here, and the
 * image at position 1 of epoch 0 is not augmented like position 0 of epoch 1
 * (keys that add epoch and position would make them collide). */
START_TEST(augmentation_keys_are_unique_per_epoch_and_position)
{
    make_files();
    sg_augment_opts aug = sg_augment_opts_default();
    aug.rotation_range = 40;
    aug.zoom_range[0] = 0.7f;
    aug.zoom_range[1] = 1.3f;
    aug.brightness_range[0] = 0.5f;
    aug.brightness_range[1] = 1.5f;
    sg_loader *l = make_loader((sg_loader_opts){.batch_size = 2, .height = SIDE, .width = SIDE, .seed = 5,
                                                .augment = &aug});
    float a[SIDE * SIDE], b[SIDE * SIDE], src[SIDE * SIDE], want[SIDE * SIDE];
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) src[y * SIDE + x] = pixel(4, x, y) / 255.0f;
    const int64_t cases[][2] = {{0, 0}, {0, 1}, {1, 0}, {2, 7}, {3, 9}};
    for (int c = 0; c < 5; c++) {
        const int64_t e = cases[c][0], pos = cases[c][1];
        ck_assert_int_eq(sg_loader_sample(l, e, pos, 4, a), SG_OK);
        sg_fimage in = sg_fimage_view(1, SIDE, SIDE, src), out = sg_fimage_view(1, SIDE, SIDE, want);
        sg_rng_key key = {5, SG_RNG_AUGMENT, (uint64_t)(e * N_FILES + pos)};
        ck_assert_int_eq(sg_augment_apply(&aug, key, &in, &out, NULL), SG_OK);
        ck_assert_msg(memcmp(a, want, sizeof a) == 0, "epoch %lld position %lld: not the documented key",
                      (long long)e, (long long)pos);
    }
    ck_assert_int_eq(sg_loader_sample(l, 0, 1, 4, a), SG_OK);
    ck_assert_int_eq(sg_loader_sample(l, 1, 0, 4, b), SG_OK);
    ck_assert_msg(memcmp(a, b, sizeof a) != 0, "epoch 0 position 1 and epoch 1 position 0 share a draw");
    sg_loader_free(l);
    remove_files();
}
END_TEST

START_TEST(resized_sample_equals_direct_resize)
{
    make_files();
    sg_loader *l = make_loader((sg_loader_opts){.batch_size = 2, .height = 4, .width = 5,
                                                .resize = SG_RESIZE_BILINEAR});
    float got[4 * 5], src[SIDE * SIDE], want[4 * 5];
    ck_assert_int_eq(sg_loader_sample(l, 0, 0, 7, got), SG_OK);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) src[y * SIDE + x] = pixel(7, x, y) / 255.0f;
    sg_fimage in = sg_fimage_view(1, SIDE, SIDE, src), out = sg_fimage_view(1, 4, 5, want);
    ck_assert_int_eq(sg_fimage_resize(&in, &out, SG_RESIZE_BILINEAR, NULL), SG_OK);
    SG_ASSERT_CLOSE("loader resize", want, got, 20, 0, 0);
    sg_loader_free(l);
    remove_files();
}
END_TEST

START_TEST(a_corrupt_file_fails_the_batch_with_its_name)
{
    make_files();
    ck_assert_int_eq(sg_file_write_atomic(paths[4], "P5\n6 6\n255\n\x01\x02", 13), SG_OK);
    sg_loader *l = make_loader((sg_loader_opts){.batch_size = 5, .height = SIDE, .width = SIDE});
    ck_assert_int_eq(sg_loader_start_epoch(l, 0), SG_OK);
    sg_batch b;
    bool has;
    sg_err err = sg_loader_next(l, &b, &has);
    ck_assert_int_ne(err, SG_OK);
    ck_assert(!has);
    ck_assert_msg(strstr(sg_error_message(), "img_4.pgm") != NULL, "message: %s", sg_error_message());
    sg_loader_free(l);
    sg_loader_opts bad = {.batch_size = 0, .height = 0, .width = 3};
    sg_loader *none = NULL;
    ck_assert_int_eq(sg_loader_new((const char *const *)paths, labels, N_FILES, &bad, &none), SG_ERR_INVALID);
    ck_assert_ptr_null(none);
    remove_files();
}
END_TEST

/* A 256 x 256 16-bit gray PNG holding every value 0..65535 once, plus a
 * 16-bit RGB TIFF of the corpus: with keep_depth a sample reaches the batch
 * as v / 65535 exactly; by default it is first reduced to 8 bits,
 * (v * 255 + 32767) / 65535, then / 255. */
START_TEST(sixteen_bit_images_keep_depth_or_scale_to_8_bits)
{
    char tmp[] = "/tmp/sg_test_loader16_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    char png[96];
    snprintf(png, sizeof png, "%s/ramp16.png", tmp);
    enum { S = 256 };
    uint16_t *ramp = malloc(S * S * sizeof *ramp);
    for (int i = 0; i < S * S; i++) ramp[i] = (uint16_t)i;
    sg_image img = {.width = S, .height = S, .channels = 1, .depth = 16, .pixels = ramp};
    ck_assert_msg(sg_png_write(png, &img) == SG_OK, "%s", sg_error_message());
    const char *tif = "tests/data/tiff/rgb16_lzw_pred_le_strips.tif";   /* 13 x 7, 16-bit RGB */
    sg_image want_tif;
    ck_assert_msg(sg_image_read(tif, NULL, &want_tif) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(want_tif.depth, 16);
    for (int keep = 0; keep < 2; keep++) {
        /* The PNG, gray. */
        const char *p1[1] = {png};
        int32_t lab[1] = {0};
        sg_loader *l = NULL;
        sg_loader_opts o = {.batch_size = 1, .channels = 1, .height = S, .width = S, .workers = -1,
                            .keep_depth = keep};
        ck_assert_msg(sg_loader_new(p1, lab, 1, &o, &l) == SG_OK, "%s", sg_error_message());
        sg_batch b;
        bool has;
        ck_assert_int_eq(sg_loader_start_epoch(l, 0), SG_OK);
        ck_assert_msg(sg_loader_next(l, &b, &has) == SG_OK && has, "%s", sg_error_message());
        for (uint32_t v = 0; v < S * S; v++) {
            float want = keep ? (float)v / 65535.0f : (float)((v * 255u + 32767u) / 65535u) / 255.0f;
            ck_assert_msg(b.images[v] == want, "keep_depth %d: value %u reaches the batch as %.9g, "
                          "expected %.9g", keep, v, (double)b.images[v], (double)want);
        }
        sg_loader_free(l);
        /* The TIFF, RGB: planar C x H x W. */
        const char *p2[1] = {tif};
        o = (sg_loader_opts){.batch_size = 1, .channels = 3, .height = 7, .width = 13, .workers = -1,
                             .keep_depth = keep};
        ck_assert_msg(sg_loader_new(p2, lab, 1, &o, &l) == SG_OK, "%s", sg_error_message());
        ck_assert_int_eq(sg_loader_start_epoch(l, 0), SG_OK);
        ck_assert_msg(sg_loader_next(l, &b, &has) == SG_OK && has, "%s", sg_error_message());
        const uint16_t *px = want_tif.pixels;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 7 * 13; i++) {
                uint32_t v = px[i * 3 + c];
                float want = keep ? (float)v / 65535.0f : (float)((v * 255u + 32767u) / 65535u) / 255.0f;
                ck_assert_msg(b.images[c * 7 * 13 + i] == want, "%s keep_depth %d: channel %d pixel %d "
                              "is %.9g, expected %.9g", tif, keep, c, i, (double)b.images[c * 7 * 13 + i],
                              (double)want);
            }
        sg_loader_free(l);
    }
    sg_image_free(&want_tif);
    free(ramp);
    unlink(png);
    rmdir(tmp);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("loader");
    SG_ADD_TEST(s, every_sample_once_per_epoch_with_exact_pixels, 30);
    SG_ADD_TEST(s, augmented_batches_do_not_depend_on_worker_count, 30);
    SG_ADD_TEST(s, augmentation_keys_are_unique_per_epoch_and_position, 30);
    SG_ADD_TEST(s, resized_sample_equals_direct_resize, 30);
    SG_ADD_TEST(s, a_corrupt_file_fails_the_batch_with_its_name, 30);
    SG_ADD_TEST(s, sixteen_bit_images_keep_depth_or_scale_to_8_bits, 30);
    return s;
}

SG_TEST_MAIN(loader_suite)

/* tests/test_loader_order.c - the order in which the loader serves samples.
 *
 * data/loader.h documents it: with shuffle on, epoch e visits the samples in
 * the order sg_rng_permutation((seed, SG_RNG_SHUFFLE, e), N); with shuffle off,
 * in file order. Augmentation is off here, so a batch is fully determined by
 * the order: a loader that reuses one permutation for every epoch (keying it
 * by the seed alone, or by epoch 0) would still pass every coverage test; only
 * comparing against the documented permutation of each epoch catches it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/loader.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

enum { N_FILES = 23, SIDE = 3, EPOCHS = 4, BATCH = 5 };

static const char *dir;
static char *paths[N_FILES];
static int32_t labels[N_FILES];

/* File k is a SIDE x SIDE gray PGM whose first pixel is k (so each image
 * names its file) and label k % 4. */
static void make_files(void)
{
    dir = sg_test_tmpdir();
    for (int k = 0; k < N_FILES; k++) {
        uint8_t buf[64];
        int hl = snprintf((char *)buf, sizeof buf, "P5\n%d %d\n255\n", SIDE, SIDE);
        for (int i = 0; i < SIDE * SIDE; i++) buf[hl + i] = (uint8_t)(i == 0 ? k : 200 + i);
        char name[32];
        snprintf(name, sizeof name, "img_%02d.pgm", k);
        paths[k] = strdup(sg_test_path(dir, name));
        sg_test_write_bytes(paths[k], buf, (size_t)hl + SIDE * SIDE);
        labels[k] = k % 4;
    }
}

static void remove_files(void)
{
    for (int k = 0; k < N_FILES; k++) free(paths[k]);
    sg_test_remove_tree(dir);
}

/* The files of epoch `epoch` in the order the loader serves them, checked
 * against the images and labels of each batch. */
static void served_order(sg_loader *l, int64_t epoch, int64_t order[N_FILES])
{
    ck_assert_int_eq(sg_loader_start_epoch(l, epoch), SG_OK);
    sg_batch b;
    bool has;
    int64_t n = 0;
    sg_err err;
    while ((err = sg_loader_next(l, &b, &has)) == SG_OK && has) {
        for (int i = 0; i < b.n; i++) {
            int64_t k = b.indices[i];
            ck_assert_int_lt(n, N_FILES);
            ck_assert_int_eq(b.labels[i], labels[k]);
            /* The image is file k's: its first pixel is k / 255. */
            ck_assert_float_eq(b.images[i * SIDE * SIDE], (float)k / 255.0f);
            order[n++] = k;
        }
    }
    ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(n, N_FILES);
}

static sg_loader *make_loader(bool shuffle, uint64_t seed, int workers)
{
    sg_loader_opts o = {.batch_size = BATCH, .channels = 1, .height = SIDE, .width = SIDE,
                        .shuffle = shuffle, .seed = seed, .workers = workers};
    sg_loader *l = NULL;
    ck_assert_msg(sg_loader_new((const char *const *)paths, labels, N_FILES, &o, &l) == SG_OK, "%s",
                  sg_error_message());
    return l;
}

static void print_order(const char *what, const int64_t *o)
{
    printf("%s:", what);
    for (int i = 0; i < N_FILES; i++) printf(" %lld", (long long)o[i]);
    printf("\n");
}

/* Each epoch's order is the permutation keyed by (seed, SG_RNG_SHUFFLE,
 * epoch), with background workers and without; consecutive epochs differ. */
START_TEST(shuffled_epoch_order_is_the_permutation_keyed_by_seed_and_epoch)
{
    make_files();
    const uint64_t seed = 31;
    for (int workers = -1; workers <= 2; workers += 3) {     /* -1: none; 2: two threads */
        sg_loader *l = make_loader(true, seed, workers);
        int64_t prev[N_FILES];
        for (int64_t epoch = 0; epoch < EPOCHS; epoch++) {
            int64_t got[N_FILES], want[N_FILES];
            served_order(l, epoch, got);
            sg_rng_permutation((sg_rng_key){seed, SG_RNG_SHUFFLE, (uint64_t)epoch}, want, N_FILES);
            if (memcmp(got, want, sizeof got) != 0) {
                print_order("served  ", got);
                print_order("expected", want);
            }
            ck_assert_msg(memcmp(got, want, sizeof got) == 0,
                          "workers %d, epoch %lld: served order is not the permutation keyed by "
                          "(seed %llu, SG_RNG_SHUFFLE, epoch)", workers, (long long)epoch,
                          (unsigned long long)seed);
            if (epoch > 0)
                ck_assert_msg(memcmp(got, prev, sizeof got) != 0,
                              "epochs %lld and %lld have the same order", (long long)epoch - 1,
                              (long long)epoch);
            memcpy(prev, got, sizeof prev);
        }
        /* Starting at a later epoch (a resume) gives that epoch's order. */
        int64_t again[N_FILES], want[N_FILES];
        served_order(l, 2, again);
        sg_rng_permutation((sg_rng_key){seed, SG_RNG_SHUFFLE, 2}, want, N_FILES);
        ck_assert(memcmp(again, want, sizeof again) == 0);
        sg_loader_free(l);
    }
    remove_files();
}
END_TEST

/* Another seed gives other orders; shuffle off gives file order every epoch. */
START_TEST(seed_changes_the_order_and_no_shuffle_keeps_file_order)
{
    make_files();
    sg_loader *a = make_loader(true, 31, 1), *b = make_loader(true, 32, 1);
    int64_t oa[N_FILES], ob[N_FILES];
    served_order(a, 0, oa);
    served_order(b, 0, ob);
    ck_assert_msg(memcmp(oa, ob, sizeof oa) != 0, "seeds 31 and 32 give the same epoch-0 order");
    sg_loader_free(a);
    sg_loader_free(b);
    sg_loader *plain = make_loader(false, 31, 1);
    for (int64_t epoch = 0; epoch < 2; epoch++) {
        int64_t o[N_FILES];
        served_order(plain, epoch, o);
        for (int i = 0; i < N_FILES; i++) ck_assert_int_eq(o[i], i);
    }
    sg_loader_free(plain);
    remove_files();
}
END_TEST

static Suite *loader_order_suite(void)
{
    Suite *s = suite_create("loader_order");
    SG_ADD_TEST(s, shuffled_epoch_order_is_the_permutation_keyed_by_seed_and_epoch, 30);
    SG_ADD_TEST(s, seed_changes_the_order_and_no_shuffle_keeps_file_order, 30);
    return s;
}

SG_TEST_MAIN(loader_order_suite)

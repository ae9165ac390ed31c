/* tests/test_train_engine.c - the training engine through its library API:
 * a small CNN learns a tiny class-folder set written by the test, every run
 * file is there, a resumed run is bit-identical to an uninterrupted one (and
 * to a run on another thread count), corrupt images are skipped and named,
 * bad data sets and a NaN loss are clear errors, freezing counts layers as
 * documented, and recipes / config.json carry every option. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/json.h"
#include "core/pool.h"
#include "core/checkpoint.h"
#include "core/safetensors.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "layers/loss.h"
#include "data/synth.h"
#include "train/checkpoint.h"
#include "train/train.h"
#include "models/zoo.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

enum { SIZE = 32 };

/* Counting allocations (glibc, not under a sanitizer, which owns malloc):
 * the executable's malloc family forwards to glibc's and counts calls while
 * `counting` is set, so a test can check that training steps allocate
 * nothing (DESIGN: no malloc in the training loop). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SG_NO_MALLOC_COUNT 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SG_NO_MALLOC_COUNT 1
#endif
#if defined(__GLIBC__) && !defined(SG_NO_MALLOC_COUNT)
#include <stdatomic.h>
#define SG_MALLOC_COUNT 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
static atomic_bool counting;
static atomic_long allocations;
void *malloc(size_t n)
{
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    if (atomic_load(&counting)) atomic_fetch_add(&allocations, 1);
    return __libc_realloc(p, n);
}
#endif

/* Class folders named `names` under dir, `per_class` synthetic steel images
 * each (class c painted as synth class `kinds[c]`), 32x32 gray PNG. */
static void write_set(const char *dir, const char *const *names, const int *kinds, int n_classes,
                      int per_class, uint64_t seed)
{
    sg_synth_opts so = sg_synth_defaults();
    so.size = SIZE;
    uint8_t gray[SIZE * SIZE];
    for (int c = 0; c < n_classes; c++) {
        char folder[512];
        snprintf(folder, sizeof folder, "%s/%s", dir, names[c]);
        ck_assert_int_eq(sg_mkdir_p(folder), SG_OK);
        for (int i = 0; i < per_class; i++) {
            ck_assert_int_eq(sg_synth_sample(&so, seed, (uint64_t)i, kinds[c], gray, NULL, NULL, 0, NULL), SG_OK);
            sg_image img = {SIZE, SIZE, 1, 8, gray};
            char path[600];
            snprintf(path, sizeof path, "%s/img_%03d.png", folder, i);
            ck_assert_int_eq(sg_png_write(path, &img), SG_OK);
        }
    }
}

/* Three classes; the names have a space and non-ASCII letters. */
static const char *const NAMES[3] = {"crazing", "rolled in scale", "\u00e9cailles"};
static const int KINDS[3] = {SG_SYNTH_CRAZING, SG_SYNTH_PATCHES, SG_SYNTH_SCRATCHES};

static sg_train_config tiny_config(const char *data, int64_t epochs)
{
    sg_train_config cfg;
    sg_train_config_defaults(&cfg);
    cfg.data = data;
    cfg.model = "cnn";
    cfg.size = SIZE;
    cfg.epochs = epochs;
    cfg.batch = 8;
    cfg.lr = 0.01;
    cfg.hflip = true;
    return cfg;
}

static double json_number_at(const char *path, const char *key)
{
    char *text = sg_test_slurp(path);
    sg_json *j;
    ck_assert_int_eq(sg_json_parse(text, strlen(text), path, &j), SG_OK);
    double v = sg_json_number(sg_json_get(j, key), NAN);
    sg_json_free(j);
    free(text);
    return v;
}

static int count_lines(const char *path)
{
    char *text = sg_test_slurp(path);
    int n = 0;
    for (char *p = text; *p; p++) n += *p == '\n';
    free(text);
    return n;
}

START_TEST(engine_learns_a_tiny_class_folder_and_writes_every_run_file)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_set(data, NAMES, KINDS, 3, 30, 7);
    /* One RGB image of another size in a class: converted and resized. */
    uint8_t rgb[40 * 48 * 3];
    for (int i = 0; i < 40 * 48 * 3; i++) rgb[i] = (uint8_t)(i * 7);
    sg_image img = {48, 40, 3, 8, rgb};
    ck_assert_int_eq(sg_png_write(sg_test_path(data, "crazing/rgb_other_size.png"), &img), SG_OK);
    sg_train_config cfg = tiny_config(data, 12);
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
    printf("tiny set: test accuracy %.3f, val accuracy %.3f, macro F1 %.3f, ROC-AUC %.3f\n",
           res.test_accuracy, res.val_accuracy, res.test_macro_f1, res.test_roc_auc);
    ck_assert_msg(res.test_accuracy >= 0.7, "test accuracy %.3f < 0.7 (chance 0.33)", res.test_accuracy);
    ck_assert_int_eq(res.epochs_run, 12);
    ck_assert_int_eq(res.skipped, 0);
    static const char *const files[] = {"config.json", "split.csv", "log.jsonl", "metrics.json",
                                        "last.safetensors", "best.safetensors"};
    for (int i = 0; i < 6; i++) ck_assert_msg(sg_test_file_exists(sg_test_path(run, files[i])), "%s missing", files[i]);
    ck_assert_int_eq(count_lines(sg_test_path(run, "log.jsonl")), 12);
    ck_assert_int_eq(sg_test_count_names(run, ".tmp."), 0);
    /* 91 images, 70/15/15 per class: 21+4+5, and 21+4+6 for crazing's 31. */
    ck_assert_double_eq(json_number_at(sg_test_path(run, "metrics.json"), "train_images"), 63);
    ck_assert_double_eq(json_number_at(sg_test_path(run, "metrics.json"), "test_images"), 16);
    ck_assert_double_eq(json_number_at(sg_test_path(run, "metrics.json"), "test_accuracy"), res.test_accuracy);
    /* split.csv names every image once with its class. */
    sg_test_expect_file_contains(sg_test_path(run, "split.csv"), "rolled in scale");
    ck_assert_int_eq(count_lines(sg_test_path(run, "split.csv")), 92);
    /* The checkpoint opens for inference with the class names. */
    sg_run_model rm;
    ck_assert_int_eq(sg_run_model_open(sg_test_path(run, "best.safetensors"), &rm), SG_OK);
    ck_assert_int_eq(rm.classes, 3);
    /* Byte order: 'c' < 'r' < 0xc3. */
    ck_assert_str_eq(rm.class_names[0], "crazing");
    ck_assert_str_eq(rm.class_names[1], "rolled in scale");
    ck_assert_str_eq(rm.class_names[2], "\u00e9cailles");
    sg_run_model_close(&rm);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Copy a file. */
static void copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *bytes = sg_test_read_bytes(from, &n);
    sg_test_write_bytes(to, bytes, n);
    free(bytes);
}

typedef struct saver {
    const char *run, *keep_dir;
    int64_t at_epoch;
} saver;

/* Keep a copy of the run directory's files as they are after epoch `at_epoch`. */
static void keep_after_epoch(void *ctx, const sg_train_event *e)
{
    saver *s = ctx;
    if (e->kind != SG_TRAIN_EPOCH || e->epoch != s->at_epoch) return;
    static const char *const files[] = {"config.json", "log.jsonl", "last.safetensors", "best.safetensors",
                                        "split.csv"};
    for (int i = 0; i < 5; i++) copy_file(sg_test_path(s->run, files[i]), sg_test_path(s->keep_dir, files[i]));
}

static bool same_file(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *x = sg_test_read_bytes(a, &na), *y = sg_test_read_bytes(b, &nb);
    bool same = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

START_TEST(a_resumed_run_is_bit_identical_to_an_uninterrupted_one_on_any_thread_count)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], full[256], cut[256], one[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(full, sizeof full, "%s/full", tmp);
    snprintf(cut, sizeof cut, "%s/cut", tmp);
    snprintf(one, sizeof one, "%s/one", tmp);
    write_set(data, NAMES, KINDS, 3, 12, 3);
    ck_assert_int_eq(sg_mkdir_p(cut), SG_OK);
    sg_train_config cfg = tiny_config(data, 4);
    cfg.rotation = 10;   /* augmentation that draws from the RNG */
    saver s = {full, cut, 2};
    sg_train_run_opts ro = {.on_event = keep_after_epoch, .ctx = &s};
    sg_train_result res;
    ck_assert_int_eq(sg_set_threads(2), SG_OK);
    ck_assert_int_eq(sg_train_run(&cfg, full, &ro, &res), SG_OK);
    /* `cut` holds the run as a kill after epoch 2 leaves it; resume it from its config.json. */
    sg_train_config resumed;
    ck_assert_int_eq(sg_train_config_load(&resumed, cut), SG_OK);
    ck_assert_int_eq(resumed.epochs, 4);
    ck_assert(resumed.rotation == 10);
    sg_train_run_opts rr = {.resume = true};
    ck_assert_int_eq(sg_train_run(&resumed, cut, &rr, &res), SG_OK);
    ck_assert_msg(same_file(sg_test_path(full, "last.safetensors"), sg_test_path(cut, "last.safetensors")),
                  "last.safetensors of the resumed run differs from the uninterrupted run's");
    ck_assert_msg(same_file(sg_test_path(full, "best.safetensors"), sg_test_path(cut, "best.safetensors")),
                  "best.safetensors differs after the resume");
    ck_assert_int_eq(count_lines(sg_test_path(cut, "log.jsonl")), 4);
    sg_train_config_free(&resumed);
    /* One thread gives the same bytes as two. */
    ck_assert_int_eq(sg_set_threads(1), SG_OK);
    ck_assert_int_eq(sg_train_run(&cfg, one, NULL, &res), SG_OK);
    ck_assert_int_eq(sg_set_threads(2), SG_OK);
    ck_assert_msg(same_file(sg_test_path(full, "last.safetensors"), sg_test_path(one, "last.safetensors")),
                  "1 and 2 threads give different weights");
    sg_test_remove_tree(tmp);
}
END_TEST

/* Keep copies of the run after two different epochs. */
typedef struct two_savers {
    saver a, b;
} two_savers;

static void keep_twice(void *ctx, const sg_train_event *e)
{
    two_savers *t = ctx;
    keep_after_epoch(&t->a, e);
    keep_after_epoch(&t->b, e);
}

/* Phase 1 trains the classifier on a frozen base; phase 2 unfreezes with a
 * fresh optimiser. Resuming at the phase boundary and inside phase 2 gives
 * the uninterrupted run's bytes. */
START_TEST(two_phase_fine_tuning_freezes_then_unfreezes_and_resumes_exactly)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], full[256], cut2[256], cut3[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(full, sizeof full, "%s/full", tmp);
    snprintf(cut2, sizeof cut2, "%s/cut2", tmp);
    snprintf(cut3, sizeof cut3, "%s/cut3", tmp);
    write_set(data, NAMES, KINDS, 3, 10, 5);
    ck_assert_int_eq(sg_mkdir_p(cut2), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(cut3), SG_OK);
    sg_train_config cfg = tiny_config(data, 2);
    cfg.freeze = "features.";
    cfg.phase2_epochs = 2;
    cfg.phase2_lr = 0.002;
    cfg.phase2_train_last = 3;
    two_savers ts = {{full, cut2, 2}, {full, cut3, 3}};
    sg_train_run_opts ro = {.on_event = keep_twice, .ctx = &ts};
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, full, &ro, &res), SG_OK);
    ck_assert_int_eq(res.epochs_run, 4);
    /* Phase 1 left the base as initialised; phase 2 moved its last layers only. */
    sg_model init;
    sg_model_options mo = sg_model_options_defaults(3);
    mo.image_size = SIZE;
    ck_assert_int_eq(sg_model_build(&init, "cnn", &mo, (uint64_t)cfg.seed), SG_OK);
    sg_safetensors after1, after4;
    ck_assert_int_eq(sg_safetensors_read(sg_test_path(cut2, "last.safetensors"), &after1), SG_OK);
    ck_assert_int_eq(sg_safetensors_read(sg_test_path(full, "last.safetensors"), &after4), SG_OK);
    const sg_param *w0 = sg_params_find(init.params, "features.0.weight");
    ck_assert_int_eq(memcmp(sg_safetensors_find(&after1, "features.0.weight")->data, w0->t.data,
                            (size_t)w0->t.numel * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(sg_safetensors_find(&after4, "features.0.weight")->data, w0->t.data,
                            (size_t)w0->t.numel * sizeof(float)), 0);
    const sg_param *w12 = sg_params_find(init.params, "features.12.weight");
    ck_assert_int_eq(memcmp(sg_safetensors_find(&after1, "features.12.weight")->data, w12->t.data,
                            (size_t)w12->t.numel * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(sg_safetensors_find(&after4, "features.12.weight")->data, w12->t.data,
                            (size_t)w12->t.numel * sizeof(float)), 0);
    sg_safetensors_free(&after1);
    sg_safetensors_free(&after4);
    sg_model_free(&init);
    const char *cuts[2] = {cut2, cut3};
    for (int c = 0; c < 2; c++) {
        sg_train_config resumed;
        ck_assert_int_eq(sg_train_config_load(&resumed, cuts[c]), SG_OK);
        sg_train_run_opts rr = {.resume = true};
        ck_assert_int_eq(sg_train_run(&resumed, cuts[c], &rr, &res), SG_OK);
        ck_assert_msg(same_file(sg_test_path(full, "last.safetensors"), sg_test_path(cuts[c], "last.safetensors")),
                      "resumed after epoch %d of a two-phase run: weights differ", c + 2);
        sg_train_config_free(&resumed);
    }
    sg_test_remove_tree(tmp);
}
END_TEST

/* Every tensor of two safetensors files holds the same bytes (metadata aside). */
static void expect_same_tensors(const char *a, const char *b)
{
    sg_safetensors fa, fb;
    ck_assert_int_eq(sg_safetensors_read(a, &fa), SG_OK);
    ck_assert_int_eq(sg_safetensors_read(b, &fb), SG_OK);
    ck_assert_int_eq(fa.count, fb.count);
    for (int i = 0; i < fa.count; i++) {
        const sg_st_tensor *t = sg_safetensors_find(&fb, fa.tensors[i].name);
        ck_assert_msg(t && t->numel == fa.tensors[i].numel, "%s: tensor %s missing", b, fa.tensors[i].name);
        ck_assert_msg(memcmp(t->data, fa.tensors[i].data, (size_t)t->numel * sizeof(float)) == 0,
                      "tensor %s differs between %s and %s", t->name, a, b);
    }
    sg_safetensors_free(&fa);
    sg_safetensors_free(&fb);
}

/* A run's split.csv, given back as --manifest, reproduces the run: same
 * parts, same order, same weights. */
START_TEST(a_run_from_its_own_split_manifest_gives_the_same_weights)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256], again[256], manifest[300];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    snprintf(again, sizeof again, "%s/again", tmp);
    write_set(data, NAMES, KINDS, 3, 10, 9);
    sg_train_config cfg = tiny_config(data, 2);
    sg_train_result a, b;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &a), SG_OK);
    snprintf(manifest, sizeof manifest, "%s/split.csv", run);
    cfg.data = NULL;
    cfg.manifest = manifest;
    ck_assert_int_eq(sg_train_run(&cfg, again, NULL, &b), SG_OK);
    ck_assert_double_eq(a.test_accuracy, b.test_accuracy);
    expect_same_tensors(sg_test_path(run, "last.safetensors"), sg_test_path(again, "last.safetensors"));
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(a_truncated_checkpoint_is_a_clear_error_and_stays_untouched)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_set(data, NAMES, KINDS, 2, 8, 3);
    sg_train_config cfg = tiny_config(data, 1);
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
    const char *last = sg_test_path(run, "last.safetensors");
    size_t n;
    unsigned char *bytes = sg_test_read_bytes(last, &n);
    sg_test_write_bytes(last, bytes, n / 2);
    sg_train_config again;
    ck_assert_int_eq(sg_train_config_load(&again, run), SG_OK);
    again.epochs = 2;
    sg_train_run_opts rr = {.resume = true};
    sg_err err = sg_train_run(&again, run, &rr, &res);
    ck_assert_int_ne(err, SG_OK);
    printf("truncated checkpoint: %s\n", sg_error_message());
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "last.safetensors"));
    size_t n2;
    unsigned char *after = sg_test_read_bytes(last, &n2);
    ck_assert_uint_eq(n2, n / 2);
    ck_assert_int_eq(memcmp(after, bytes, n2), 0);
    free(bytes);
    free(after);
    sg_train_config_free(&again);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(a_corrupt_image_is_skipped_and_named_and_strict_stops_at_it)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256], strict_run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    snprintf(strict_run, sizeof strict_run, "%s/strict", tmp);
    write_set(data, NAMES, KINDS, 2, 8, 3);
    sg_test_write_bytes(sg_test_path(data, "crazing/broken.png"), "\x89PNG\r\n\x1a\n\0\0", 10);
    /* Byte copies of one image land in the same part. */
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "crazing/copy_%d.png", k);
        copy_file(sg_test_path(data, "crazing/img_000.png"), sg_test_path(data, name));
    }
    sg_train_config cfg = tiny_config(data, 1);
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
    ck_assert_int_eq(res.skipped, 1);
    sg_test_expect_file_contains(sg_test_path(run, "metrics.json"), "broken.png");
    sg_dataset split;
    ck_assert_int_eq(sg_manifest_read(sg_test_path(run, "split.csv"), NULL, 0, &split), SG_OK);
    int part = -1, copies = 0;
    for (int i = 0; i < split.n_samples; i++) {
        const char *name = split.samples[i].name;
        if (strstr(name, "crazing/img_000.png")) part = split.samples[i].split;
        if (strstr(name, "broken.png")) ck_assert_int_eq(split.samples[i].split, SG_SPLIT_NONE);
    }
    for (int i = 0; i < split.n_samples; i++)
        if (strstr(split.samples[i].name, "copy_")) {
            ck_assert_int_eq(split.samples[i].split, part);
            copies++;
        }
    ck_assert_int_eq(copies, 4);
    sg_dataset_free(&split);
    cfg.strict = true;
    ck_assert_int_ne(sg_train_run(&cfg, strict_run, NULL, &res), SG_OK);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "broken.png"));
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "--strict"));
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(one_class_and_empty_class_folders_are_clear_errors)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_set(data, NAMES, KINDS, 1, 6, 3);
    sg_train_config cfg = tiny_config(data, 1);
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_ERR_INVALID);
    printf("one class: %s\n", sg_error_message());
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "only one class ('crazing')"));
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(data, "empty class")), SG_OK);
    ck_assert_int_ne(sg_train_run(&cfg, run, NULL, &res), SG_OK);
    printf("empty class: %s\n", sg_error_message());
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "empty class"));
    cfg.model = "resnet9000";
    sg_test_remove_tree(sg_test_path(data, "empty class"));
    write_set(data, NAMES + 1, KINDS + 1, 1, 6, 3);
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "unknown model 'resnet9000'"));
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(a_nan_loss_stops_at_once_with_epoch_step_and_lr)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256], weights[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    snprintf(weights, sizeof weights, "%s/nan.safetensors", tmp);
    write_set(data, NAMES, KINDS, 2, 8, 3);
    /* Initial weights with a NaN classifier bias: the first loss is NaN. */
    float bias[2] = {NAN, 0};
    int64_t shape[1] = {2};
    sg_st_entry e = {"classifier.bias", 1, shape, bias};
    ck_assert_int_eq(sg_safetensors_write(weights, &e, 1, NULL, 0), SG_OK);
    sg_train_config cfg = tiny_config(data, 2);
    cfg.weights = weights;
    cfg.schedule = "constant";
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_ERR_INVALID);
    ck_assert_str_eq(sg_error_message(), "loss became NaN at epoch 1, step 1 (lr 0.01); try a lower --lr");
    ck_assert(!sg_test_file_exists(sg_test_path(run, "last.safetensors")));
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(early_stopping_ends_the_run_after_patience_epochs_without_a_better_val_loss)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_set(data, NAMES, KINDS, 2, 8, 3);
    sg_train_config cfg = tiny_config(data, 6);
    cfg.patience = 1;
    cfg.min_delta = 1e6;     /* no epoch after the first counts as better */
    cfg.class_weights = "balanced";
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
    ck_assert(res.stopped_early);
    ck_assert_int_eq(res.epochs_run, 2);
    ck_assert_int_eq(count_lines(sg_test_path(run, "log.jsonl")), 2);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(freezing_by_prefix_and_all_but_the_last_n_layers)
{
    sg_model m;
    sg_model_options mo = sg_model_options_defaults(3);
    mo.image_size = SIZE;
    ck_assert_int_eq(sg_model_build(&m, "cnn", &mo, 1), SG_OK);
    /* cnn's layers with parameters: features.{0,1,4,5,8,9,12,13}, classifier. */
    int frozen;
    ck_assert_int_eq(sg_train_freeze(m.params, "", 2, &frozen), SG_OK);
    ck_assert_int_eq(frozen, 14);   /* 7 layers x (weight, bias) */
    ck_assert(sg_params_find(m.params, "features.12.weight")->frozen);
    ck_assert(!sg_params_find(m.params, "features.13.weight")->frozen);
    ck_assert(!sg_params_find(m.params, "classifier.bias")->frozen);
    sg_model_free(&m);
    ck_assert_int_eq(sg_model_build(&m, "cnn", &mo, 1), SG_OK);
    ck_assert_int_eq(sg_train_freeze(m.params, "features.0., features.1.", 0, &frozen), SG_OK);
    ck_assert_int_eq(frozen, 4);
    ck_assert(sg_params_find(m.params, "features.1.weight")->frozen);
    ck_assert(!sg_params_find(m.params, "features.12.weight")->frozen);
    ck_assert_int_eq(sg_train_freeze(m.params, "backbone.", 0, &frozen), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "'backbone.'"));
    sg_model_free(&m);
}
END_TEST

START_TEST(initial_weights_load_by_name_and_an_rgb_first_conv_is_summed_for_gray)
{
    const char *tmp = sg_test_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/rgb.safetensors", tmp);
    sg_model rgb, gray;
    sg_model_options mo = sg_model_options_defaults(5);   /* another class count */
    mo.image_size = SIZE;
    mo.in_channels = 3;
    ck_assert_int_eq(sg_model_build(&rgb, "cnn", &mo, 1), SG_OK);
    ck_assert_int_eq(sg_params_save(rgb.params, path, NULL, 0), SG_OK);
    mo.classes = 3;
    mo.in_channels = 1;
    ck_assert_int_eq(sg_model_build(&gray, "cnn", &mo, 2), SG_OK);
    int loaded, skipped;
    ck_assert_int_eq(sg_train_load_weights(gray.params, path, &loaded, &skipped), SG_OK);
    ck_assert_int_eq(skipped, 2);   /* the 5-class classifier's weight and bias */
    ck_assert_int_eq(loaded, 28);
    const sg_param *w3 = sg_params_find(rgb.params, "features.0.weight"), *w1 = sg_params_find(gray.params, "features.0.weight");
    for (int o = 0; o < 8; o++)
        for (int k = 0; k < 9; k++) {
            float want = w3->t.data[(o * 3 + 0) * 9 + k] + w3->t.data[(o * 3 + 1) * 9 + k] + w3->t.data[(o * 3 + 2) * 9 + k];
            ck_assert_float_eq(w1->t.data[o * 9 + k], want);
        }
    ck_assert_float_eq(sg_params_find(gray.params, "features.12.bias")->t.data[3],
                       sg_params_find(rgb.params, "features.12.bias")->t.data[3]);
    sg_model_free(&rgb);
    sg_model_free(&gray);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(recipes_and_config_json_carry_every_option_and_name_bad_lines)
{
    const char *tmp = sg_test_tmpdir();
    const char *recipe = sg_test_path(tmp, "r.conf");
    const char *text = "# a recipe\nmodel = cnn\nlr = 0.02   # peak\nepochs=3\nhflip = true\nweight_decay = 1e-4\n";
    sg_test_write_bytes(recipe, text, strlen(text));
    sg_train_config cfg;
    sg_train_config_defaults(&cfg);
    ck_assert_int_eq(sg_train_config_read_recipe(&cfg, recipe), SG_OK);
    ck_assert_str_eq(cfg.model, "cnn");
    ck_assert(cfg.lr == 0.02 && cfg.epochs == 3 && cfg.hflip && cfg.weight_decay == 1e-4);
    /* config.json round trip. */
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_train_config_write_json(&cfg, &w);
    sg_json_writer_end_object(&w);
    size_t len;
    const char *js = sg_json_writer_finish(&w, &len);
    sg_json *j;
    ck_assert_int_eq(sg_json_parse(js, len, "config", &j), SG_OK);
    sg_train_config back;
    sg_train_config_defaults(&back);
    ck_assert_int_eq(sg_train_config_from_json(&back, j, "config"), SG_OK);
    ck_assert(back.lr == 0.02 && back.epochs == 3 && back.hflip && back.data == NULL);
    ck_assert_str_eq(back.model, "cnn");
    sg_json_free(j);
    sg_json_writer_free(&w);
    sg_train_config_free(&back);
    /* Errors name the file, the line and the option. */
    const char *bad = "model = cnn\nlr = -1\n";
    sg_test_write_bytes(recipe, bad, strlen(bad));
    ck_assert_int_eq(sg_train_config_read_recipe(&cfg, recipe), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "r.conf:2: lr: expected a finite number > 0"));
    const char *unknown = "learning_rate = 0.1\n";
    sg_test_write_bytes(recipe, unknown, strlen(unknown));
    ck_assert_int_eq(sg_train_config_read_recipe(&cfg, recipe), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "r.conf:1: unknown option 'learning_rate'"));
    sg_train_config_free(&cfg);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Every recipe in examples/ reads and passes the option checks (the models
 * they name are checked when a run builds them). */
START_TEST(every_recipe_in_examples_reads_and_checks)
{
    sg_dir_listing l;
    ck_assert_int_eq(sg_dir_list("examples", &l), SG_OK);
    int recipes = 0;
    for (int i = 0; i < l.n_files; i++) {
        const char *name = l.files[i];
        size_t n = strlen(name);
        if (n < 5 || strcmp(name + n - 5, ".conf") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "examples/%s", name);
        sg_train_config cfg;
        sg_train_config_defaults(&cfg);
        ck_assert_msg(sg_train_config_read_recipe(&cfg, path) == SG_OK, "%s", sg_error_message());
        cfg.data = "somewhere";
        ck_assert_msg(sg_train_config_check(&cfg) == SG_OK, "%s: %s", path, sg_error_message());
        ck_assert_ptr_nonnull(cfg.model);
        sg_train_config_free(&cfg);
        recipes++;
    }
    sg_dir_listing_free(&l);
    ck_assert_int_ge(recipes, 9);
}
END_TEST

/* The lr of each epoch's last step, as log.jsonl records it, follows the
 * configured schedule (closed forms in optim/schedule.h). */
START_TEST(lr_schedules_exponential_and_step_drive_the_optimiser)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    write_set(data, NAMES, KINDS, 2, 6, 3);
    const char *kinds[2] = {"exponential", "step"};
    for (int k = 0; k < 2; k++) {
        snprintf(run, sizeof run, "%s/run_%s", tmp, kinds[k]);
        sg_train_config cfg = tiny_config(data, 4);
        cfg.schedule = kinds[k];
        cfg.gamma = 0.5;
        cfg.step_size = 2;
        sg_train_result res;
        ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
        char *text = sg_test_slurp(sg_test_path(run, "log.jsonl"));
        int e = 0;
        for (char *line = text, *next; line && *line; line = next, e++) {
            next = strchr(line, '\n');
            if (next) *next++ = '\0';
            sg_json *j;
            ck_assert_int_eq(sg_json_parse(line, strlen(line), "log", &j), SG_OK);
            double want = k == 0 ? 0.01 * pow(0.5, e) : 0.01 * pow(0.5, e / 2);
            double got = sg_json_number(sg_json_get(j, "lr"), -1);
            ck_assert_msg(fabs(got - want) <= 1e-9 * want, "%s epoch %d: lr %.10g, expected %.10g", kinds[k],
                          e + 1, got, want);
            sg_json_free(j);
        }
        ck_assert_int_eq(e, 4);
        free(text);
    }
    sg_test_remove_tree(tmp);
}
END_TEST

#ifdef SG_MALLOC_COUNT
/* Count allocations between consecutive steps of the same epoch, from the
 * second epoch on (the first sizes the arena, the caches and the optimiser
 * state). */
typedef struct malloc_watch {
    long during_steps;
    int steps_watched;
} malloc_watch;

static void watch_steps(void *ctx, const sg_train_event *e)
{
    malloc_watch *w = ctx;
    if (e->kind != SG_TRAIN_STEP) {
        atomic_store(&counting, false);
        return;
    }
    if (atomic_load(&counting)) {
        w->during_steps += atomic_load(&allocations);
        w->steps_watched++;
    }
    atomic_store(&allocations, 0);
    /* Watch the next step if it is in the same epoch. */
    atomic_store(&counting, e->epoch >= 2 && e->batch < e->batches);
}
#endif

START_TEST(training_steps_after_the_first_epoch_allocate_nothing)
{
#ifdef SG_MALLOC_COUNT
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_set(data, NAMES, KINDS, 2, 16, 3);
    sg_train_config cfg = tiny_config(data, 3);
    cfg.rotation = 15;                  /* the augmentation path too */
    cfg.class_weights = "balanced";
    cfg.l2 = 1e-4;
    cfg.clip_norm = 5;
    malloc_watch w = {0};
    sg_train_run_opts ro = {.on_event = watch_steps, .ctx = &w};
    sg_train_result res;
    ck_assert_int_eq(sg_train_run(&cfg, run, &ro, &res), SG_OK);
    atomic_store(&counting, false);
    printf("allocations during %d watched training steps: %ld\n", w.steps_watched, w.during_steps);
    ck_assert_int_ge(w.steps_watched, 4);
    ck_assert_int_eq(w.during_steps, 0);
    /* The same in shards (shard_step, docs/DISTRIBUTED.md). */
    cfg.shards = 3;
    w = (malloc_watch){0};
    snprintf(run, sizeof run, "%s/run3", tmp);
    ck_assert_int_eq(sg_train_run(&cfg, run, &ro, &res), SG_OK);
    atomic_store(&counting, false);
    printf("allocations during %d watched training steps in 3 shards: %ld\n", w.steps_watched, w.during_steps);
    ck_assert_int_ge(w.steps_watched, 4);
    ck_assert_int_eq(w.during_steps, 0);
    sg_test_remove_tree(tmp);
#else
    printf("SKIP training_steps_after_the_first_epoch_allocate_nothing: needs glibc without a sanitizer\n");
#endif
}
END_TEST


/* --shards S (docs/DISTRIBUTED.md), rebuilt by hand for one SGD step on one
 * batch of 16 images cut in 2 shards: each shard runs forward and backward
 * alone from the step's starting weights and running statistics, its mean
 * loss seeded with n_k / n; the gradient is shard 0's plus shard 1's (in that
 * order), BatchNorm's running statistics the mean of the two shards'
 * updates. Exact bits, and not what one whole-batch step gives. */
START_TEST(shards_run_alone_and_batchnorm_running_statistics_are_their_mean)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256], whole[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    snprintf(whole, sizeof whole, "%s/whole", tmp);
    write_set(data, NAMES, KINDS, 2, 8, 5);
    sg_train_config cfg = tiny_config(data, 1);
    cfg.hflip = false;
    cfg.batch = 16;
    cfg.ratios = "100,0,0";
    cfg.optimizer = "sgd";
    cfg.momentum = 0;
    cfg.schedule = "constant";
    cfg.shards = 2;
    sg_train_run_opts ro = {0};
    sg_train_result res;
    ck_assert_msg(sg_train_run(&cfg, run, &ro, &res) == SG_OK, "%s", sg_error_message());
    cfg.shards = 1;
    ck_assert_msg(sg_train_run(&cfg, whole, &ro, &res) == SG_OK, "%s", sg_error_message());

    /* The batch: the engine's training loader over the class folders. */
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(data, NULL, &ds), SG_OK);
    ck_assert_int_eq(ds.n_samples, 16);
    const char *paths[16];
    int32_t labels[16];
    for (int i = 0; i < 16; i++) paths[i] = ds.samples[i].path, labels[i] = ds.samples[i].label;
    sg_loader_opts lo = {.batch_size = 16, .channels = 1, .height = SIZE, .width = SIZE,
                         .resize = SG_RESIZE_BILINEAR_AA, .shuffle = true, .seed = (uint64_t)cfg.seed,
                         .workers = -1};
    sg_norm_values(cfg.norm, 1, &lo.mean, &lo.std);
    sg_loader *l = NULL;
    ck_assert_int_eq(sg_loader_new(paths, labels, 16, &lo, &l), SG_OK);
    ck_assert_int_eq(sg_loader_start_epoch(l, 0), SG_OK);
    sg_batch b;
    bool has;
    ck_assert_int_eq(sg_loader_next(l, &b, &has), SG_OK);
    ck_assert(has && b.n == 16);

    sg_model m;
    sg_model_options mo = sg_train_model_options(&cfg, 2);
    ck_assert_int_eq(sg_model_build(&m, cfg.model, &mo, (uint64_t)cfg.seed), SG_OK);
    sg_params *ps = m.params;
    int64_t total = 0;
    for (int i = 0; i < ps->count; i++) total += ps->items[i]->t.numel;
    float *start = malloc((size_t)total * sizeof *start), *grad[2], *stat[2];
    for (int k = 0; k < 2; k++) {
        grad[k] = malloc((size_t)total * sizeof *grad[k]);
        stat[k] = malloc((size_t)total * sizeof *stat[k]);
    }
    for (int i = 0, o = 0; i < ps->count; o += (int)ps->items[i]->t.numel, i++)
        memcpy(start + o, ps->items[i]->t.data, (size_t)ps->items[i]->t.numel * sizeof(float));
    sg_graph *g = sg_graph_new();
    sg_ce_opts ce = SG_CE_DEFAULTS;
    for (int k = 0; k < 2; k++) {
        for (int i = 0, o = 0; i < ps->count; o += (int)ps->items[i]->t.numel, i++)
            memcpy(ps->items[i]->t.data, start + o, (size_t)ps->items[i]->t.numel * sizeof(float));
        sg_graph_reset(g);
        sg_graph_set_seed(g, (uint64_t)cfg.seed, (uint64_t)k);
        sg_params_zero_grad(ps);
        int64_t shape[4] = {8, 1, SIZE, SIZE};
        sg_tensor *x = sg_graph_view(g, b.images + k * 8 * SIZE * SIZE, 4, shape);
        sg_tensor *loss = sg_cross_entropy(g, sg_model_forward(g, &m, x), b.labels + k * 8, &ce);
        ck_assert_ptr_nonnull(loss);
        const float half = 0.5f;
        ck_assert_int_eq(sg_graph_backward_from(g, loss, &half), SG_OK);
        for (int i = 0, o = 0; i < ps->count; o += (int)ps->items[i]->t.numel, i++) {
            const sg_param *p = ps->items[i];
            memcpy(stat[k] + o, p->t.data, (size_t)p->t.numel * sizeof(float));
            if (p->t.grad) memcpy(grad[k] + o, p->t.grad, (size_t)p->t.numel * sizeof(float));
        }
    }
    sg_safetensors sharded, one;
    ck_assert_int_eq(sg_safetensors_read(sg_test_path(run, "last.safetensors"), &sharded), SG_OK);
    ck_assert_int_eq(sg_safetensors_read(sg_test_path(whole, "last.safetensors"), &one), SG_OK);
    int buffers = 0, weights = 0, running = 0, buffers_unlike_whole = 0;
    const float neg_lr = (float)-cfg.lr;
    for (int i = 0, o = 0; i < ps->count; o += (int)ps->items[i]->t.numel, i++) {
        const sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(&sharded, p->name), *u = sg_safetensors_find(&one, p->name);
        ck_assert_msg(t && u && t->numel == p->t.numel, "%s missing from last.safetensors", p->name);
        bool unlike = false;
        for (int64_t e = 0; e < p->t.numel; e++) {
            float want = p->buffer ? (stat[0][o + e] + stat[1][o + e]) / 2.0f
                                   : start[o + e] + neg_lr * (grad[0][o + e] + grad[1][o + e]);
            ck_assert_msg(memcmp(&want, &t->data[e], sizeof want) == 0, "%s[%lld]: %.9g, expected %.9g",
                          p->name, (long long)e, (double)t->data[e], (double)want);
            unlike |= p->buffer && t->data[e] != u->data[e];
        }
        buffers += p->buffer;
        weights += !p->buffer;
        running += p->buffer && strstr(p->name, "running_") != NULL;
        buffers_unlike_whole += unlike;
    }
    printf("shards: %d weight tensors and %d buffers as rebuilt by hand; %d running statistics differ "
           "from a whole-batch step\n", weights, buffers, buffers_unlike_whole);
    /* 4 BatchNorms: running mean and var differ from a whole-batch step's;
     * num_batches_tracked, the mean of S equal counts, does not. */
    ck_assert_int_eq(running, 8);
    ck_assert_int_eq(buffers_unlike_whole, running);
    sg_safetensors_free(&sharded);
    sg_safetensors_free(&one);
    sg_graph_free(g);
    sg_model_free(&m);
    sg_loader_free(l);
    sg_dataset_free(&ds);
    free(start);
    for (int k = 0; k < 2; k++) free(grad[k]), free(stat[k]);
    sg_test_remove_tree(tmp);
}
END_TEST

/* --folds K --fold I: val is fold I of a stratified k-fold split, the
 * other folds train, nothing is held out as test; the K val parts cover
 * every image once. */
START_TEST(k_fold_cross_validation_trains_on_the_other_folds)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    write_set(data, NAMES, KINDS, 2, 10, 3);
    int64_t val_total = 0;
    for (int f = 0; f < 5; f++) {
        snprintf(run, sizeof run, "%s/fold%d", tmp, f);
        sg_train_config cfg = tiny_config(data, 1);
        cfg.folds = 5;
        cfg.fold = f;
        sg_train_result res;
        ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
        ck_assert(isnan(res.test_accuracy));
        ck_assert(!isnan(res.val_accuracy));
        const char *m = sg_test_path(run, "metrics.json");
        ck_assert_double_eq(json_number_at(m, "train_images"), 16);
        ck_assert_double_eq(json_number_at(m, "test_images"), 0);
        val_total += (int64_t)json_number_at(m, "val_images");
    }
    ck_assert_int_eq(val_total, 20);
    sg_train_config bad = tiny_config(data, 1);
    bad.folds = 5;
    bad.fold = 5;
    ck_assert_int_eq(sg_train_config_check(&bad), SG_ERR_INVALID);
    sg_test_remove_tree(tmp);
}
END_TEST

/* The train loss of log.jsonl's line `epoch` (from 1). */
static double logged_train_loss(const char *log, int epoch)
{
    char *text = sg_test_slurp(log);
    double loss = NAN;
    int e = 1;
    for (char *line = text, *next; line && *line; line = next, e++) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (e != epoch) continue;
        sg_json *j;
        ck_assert_int_eq(sg_json_parse(line, strlen(line), log, &j), SG_OK);
        loss = sg_json_number(sg_json_get(j, "train_loss"), NAN);
        sg_json_free(j);
    }
    free(text);
    return loss;
}

/* Each optimiser of optim/ is wired in: SGD with momentum, Adam with L2 in
 * the gradient, AdamW with decoupled decay lower the train loss. */
START_TEST(sgd_adam_and_adamw_each_lower_the_train_loss)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    write_set(data, NAMES, KINDS, 3, 10, 4);
    const char *opts[3] = {"sgd", "adam", "adamw"};
    for (int o = 0; o < 3; o++) {
        snprintf(run, sizeof run, "%s/run_%s", tmp, opts[o]);
        sg_train_config cfg = tiny_config(data, 5);
        cfg.optimizer = opts[o];
        cfg.lr = o == 0 ? 0.02 : 0.01;
        cfg.weight_decay = 1e-3;
        cfg.hflip = false;
        sg_train_result res;
        ck_assert_int_eq(sg_train_run(&cfg, run, NULL, &res), SG_OK);
        double first = logged_train_loss(sg_test_path(run, "log.jsonl"), 1);
        double last = logged_train_loss(sg_test_path(run, "log.jsonl"), 5);
        printf("%s: train loss %.4f after epoch 1, %.4f after epoch 5\n", opts[o], first, last);
        ck_assert_msg(last < first, "%s: train loss went from %g to %g", opts[o], first, last);
        sg_test_expect_file_contains(sg_test_path(run, "config.json"), opts[o]);
    }
    sg_test_remove_tree(tmp);
}
END_TEST

/* Every recipe shipped in examples/ reads, passes the option checks, and
 * builds its model and head for six classes (the papers' NEU-CLS): a recipe
 * that names a model or head the zoo lacks fails here, not in a user's run. */
START_TEST(every_shipped_recipe_builds_its_model)
{
    DIR *d = opendir("examples");
    ck_assert_msg(d != NULL, "no examples/ folder (tests run from the repository root)");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "examples/%s", e->d_name);
        sg_train_config cfg;
        sg_train_config_defaults(&cfg);
        cfg.data = "unused";
        ck_assert_msg(sg_train_config_read_recipe(&cfg, path) == SG_OK, "%s: %s", path, sg_error_message());
        ck_assert_msg(sg_train_config_check(&cfg) == SG_OK, "%s: %s", path, sg_error_message());
        sg_model_options o = sg_train_model_options(&cfg, 6);
        sg_model m;
        ck_assert_msg(sg_model_build(&m, cfg.model, &o, 1) == SG_OK, "%s: model '%s': %s", path, cfg.model,
                      sg_error_message());
        sg_model_free(&m);
        sg_train_config_free(&cfg);
        n++;
    }
    closedir(d);
    ck_assert_msg(n >= 8, "only %d recipes in examples/", n);
}
END_TEST

/* A folder of 16-bit images trains end to end with keep_depth: vertical
 * against horizontal stripes, 30000 +- 8000 of 65535 (a per-image offset
 * keeps every file distinct), reach the network as v / 65535 (the loader's
 * exactness is test_tiff's and test_loader's) and are told apart. */
static void write_16bit_set(const char *dir)
{
    static uint16_t pixels[16 * 16];
    const char *names[2] = {"vertical", "horizontal"};
    for (int c = 0; c < 2; c++) {
        char folder[512];
        snprintf(folder, sizeof folder, "%s/%s", dir, names[c]);
        ck_assert_int_eq(sg_mkdir_p(folder), SG_OK);
        for (int i = 0; i < 20; i++) {
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++) {
                    int along = (c == 0 ? x : y) + i % 4;
                    pixels[y * 16 + x] = (uint16_t)(30000 + ((along / 2) % 2 ? 8000 : -8000) + 37 * i);
                }
            sg_image img = {16, 16, 1, 16, (uint8_t *)pixels};
            char path[600];
            snprintf(path, sizeof path, "%s/img_%02d.png", folder, i);
            ck_assert_msg(sg_png_write(path, &img) == SG_OK, "%s", sg_error_message());
        }
    }
}

START_TEST(a_folder_of_16_bit_images_trains_with_keep_depth)
{
    const char *tmp = sg_test_tmpdir();
    char data[256], run[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    write_16bit_set(data);
    sg_train_config cfg = tiny_config(data, 30);
    cfg.size = 16;
    cfg.hflip = false;
    cfg.ratios = "60,0,40";
    cfg.keep_depth = true;
    sg_train_result res;
    ck_assert_msg(sg_train_run(&cfg, run, NULL, &res) == SG_OK, "%s", sg_error_message());
    printf("16-bit stripes with keep_depth: test accuracy %.3f\n", res.test_accuracy);
    ck_assert_msg(res.test_accuracy >= 0.9, "test accuracy %g, expected >= 0.9", res.test_accuracy);
    sg_test_expect_file_contains(sg_test_path(run, "config.json"), "keep");
    sg_test_remove_tree(tmp);
}
END_TEST

static Suite *train_engine_suite(void)
{
    Suite *s = suite_create("train_engine");
    SG_ADD_TEST(s, engine_learns_a_tiny_class_folder_and_writes_every_run_file, 120);
    SG_ADD_TEST(s, a_resumed_run_is_bit_identical_to_an_uninterrupted_one_on_any_thread_count, 120);
    SG_ADD_TEST(s, two_phase_fine_tuning_freezes_then_unfreezes_and_resumes_exactly, 120);
    SG_ADD_TEST(s, a_run_from_its_own_split_manifest_gives_the_same_weights, 60);
    SG_ADD_TEST(s, a_truncated_checkpoint_is_a_clear_error_and_stays_untouched, 60);
    SG_ADD_TEST(s, a_corrupt_image_is_skipped_and_named_and_strict_stops_at_it, 60);
    SG_ADD_TEST(s, one_class_and_empty_class_folders_are_clear_errors, 60);
    SG_ADD_TEST(s, a_nan_loss_stops_at_once_with_epoch_step_and_lr, 60);
    SG_ADD_TEST(s, early_stopping_ends_the_run_after_patience_epochs_without_a_better_val_loss, 60);
    SG_ADD_TEST(s, freezing_by_prefix_and_all_but_the_last_n_layers, 30);
    SG_ADD_TEST(s, initial_weights_load_by_name_and_an_rgb_first_conv_is_summed_for_gray, 30);
    SG_ADD_TEST(s, recipes_and_config_json_carry_every_option_and_name_bad_lines, 30);
    SG_ADD_TEST(s, every_recipe_in_examples_reads_and_checks, 30);
    SG_ADD_TEST(s, lr_schedules_exponential_and_step_drive_the_optimiser, 60);
    SG_ADD_TEST(s, training_steps_after_the_first_epoch_allocate_nothing, 60);
    SG_ADD_TEST(s, shards_run_alone_and_batchnorm_running_statistics_are_their_mean, 60);
    SG_ADD_TEST(s, k_fold_cross_validation_trains_on_the_other_folds, 60);
    SG_ADD_TEST(s, sgd_adam_and_adamw_each_lower_the_train_loss, 60);
    SG_ADD_TEST(s, every_shipped_recipe_builds_its_model, 120);
    SG_ADD_TEST(s, a_folder_of_16_bit_images_trains_with_keep_depth, 120);
    return s;
}

SG_TEST_MAIN(train_engine_suite)

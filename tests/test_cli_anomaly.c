/* tests/test_cli_anomaly.c - `steelgrad anomaly train|score` as a user runs them. */
#define _XOPEN_SOURCE 700  /* realpath() */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "data/image.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static int run(const char *dir, const char *fmt, const char *a)
{
    char args[2048];
    snprintf(args, sizeof args, fmt, a, a, a, a);
    return sg_test_run_cli(NULL, args, sg_test_path(dir, "out.txt"));
}

/* Train cae003 on synthetic "patches", score the three classes with each
 * score: valid JSON, 24 images, metrics in [0, 1], counts that add up, and
 * the same bytes twice (deterministic). */
START_TEST(anomaly_train_then_every_score)
{
    const char *dir = sg_test_tmpdir();
    ck_assert_int_eq(run(dir, "synth --out %s/s --per-class 8 --size 32 --classes patches,scratches,inclusion", dir), 0);
    int rc = run(dir, "anomaly train --data %s/s/images --healthy patches -o %s/run --size 32 --epochs 3 --batch 4", dir);
    ck_assert_msg(rc == 0, "anomaly train: exit %d\n%s", rc, sg_test_slurp(sg_test_path(dir, "out.txt")));
    const char *scores[4] = {"spc", "p99", "ssim", "pcagmm"};
    for (int s = 0; s < 4; s++) {
        char args[1024];
        snprintf(args, sizeof args, "anomaly score --run %s/run --data %s/s/images --score %s%s", dir, dir,
                 scores[s], s == 1 ? " --clahe" : "");
        ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "a.json")), 0);
        ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "b.json")), 0);
        char *a = sg_test_slurp(sg_test_path(dir, "a.json")), *b = sg_test_slurp(sg_test_path(dir, "b.json"));
        ck_assert_str_eq(a, b);
        /* The JSON object, then (stderr) the warning that the healthy images were also trained on. */
        ck_assert_ptr_nonnull(strstr(a, "images of"));
        char *end = strrchr(a, '}');
        ck_assert(a[0] == '{' && end);
        sg_json *j = NULL;
        ck_assert_msg(sg_json_parse(a, (size_t)(end + 1 - a), scores[s], &j) == SG_OK, "%s: %s", scores[s],
                      sg_error_message());
        double auroc = sg_json_number(sg_json_get(j, "auroc"), -1), acc = sg_json_number(sg_json_get(j, "accuracy"), -1);
        int64_t n = 0, tp = 0, fp = 0, tn = 0, fn = 0;
        sg_json_int64(sg_json_get(j, "images"), &n);
        sg_json_int64(sg_json_get(j, "tp"), &tp);
        sg_json_int64(sg_json_get(j, "fp"), &fp);
        sg_json_int64(sg_json_get(j, "tn"), &tn);
        sg_json_int64(sg_json_get(j, "fn"), &fn);
        printf("%s: AUROC %.3f accuracy %.3f (24 images, 8 healthy)\n", scores[s], auroc, acc);
        ck_assert_int_eq(n, 24);
        ck_assert_int_eq(tp + fp + tn + fn, 24);
        ck_assert_int_eq(tp + fn, 16);
        ck_assert(auroc >= 0 && auroc <= 1 && fabs(acc - (double)(tp + tn) / 24) < 1e-12);
        ck_assert_int_eq(sg_json_count(sg_json_get(j, "per_image")), 24);
        sg_json_free(j);
        free(a);
        free(b);
    }
    /* Reconstruction-error pictures: 24 PNGs of 96 x 32 (input | reconstruction | error). */
    ck_assert_int_eq(run(dir, "anomaly score --run %s/run --data %s/s/images --maps %s/maps", dir), 0);
    ck_assert_int_eq(sg_test_count_names(sg_test_path(dir, "maps"), ".png"), 24);
    ck_assert(sg_test_file_exists(sg_test_path(dir, "maps/00000_inclusion_0.png")));
    sg_image pic;
    ck_assert_int_eq(sg_image_read(sg_test_path(dir, "maps/00000_inclusion_0.png"), NULL, &pic), SG_OK);
    ck_assert(pic.width == 96 && pic.height == 32 && pic.channels == 1);
    sg_image_free(&pic);
    /* The SSIM-L1 hybrid as the training loss. */
    ck_assert_int_eq(run(dir, "anomaly train --data %s/s/images --healthy patches -o %s/run2 --size 32 --epochs 1 "
                              "--loss ssim-l1", dir), 0);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "\"final_loss\"");
    /* A run trained from inside the folder with a relative --data is scored
     * from another working directory: the run lists absolute paths. */
    char bin[4096], cmd[8192];
    ck_assert_ptr_nonnull(realpath(sg_test_bin(), bin));
    snprintf(cmd, sizeof cmd, "cd %s && %s anomaly train --data s/images --healthy patches -o rel --size 32 "
                              "--epochs 1 > rel.txt 2>&1", dir, bin);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "cd / && %s anomaly score --run %s/rel --data %s/s/images > %s/relscore.txt 2>&1", bin,
             dir, dir, dir);
    int st = system(cmd);
    ck_assert_msg(st == 0, "score from / of a run trained with a relative --data: %s",
                  sg_test_slurp(sg_test_path(dir, "relscore.txt")));
    sg_test_expect_file_contains(sg_test_path(dir, "relscore.txt"), "warning: 8 images of");
    /* Bad input: an unknown healthy class, an unknown score, a missing run. */
    ck_assert_int_eq(run(dir, "anomaly train --data %s/s/images --healthy good -o %s/r2 --size 32", dir), 2);
    ck_assert_int_eq(run(dir, "anomaly score --run %s/run --data %s/s/images --score mean", dir), 2);
    ck_assert_int_eq(run(dir, "anomaly score --run %s/nope --data %s/s/images", dir), 1);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *cli_anomaly_suite(void)
{
    Suite *s = suite_create("cli_anomaly");
    SG_ADD_TEST(s, anomaly_train_then_every_score, 120);
    return s;
}

SG_TEST_MAIN(cli_anomaly_suite)

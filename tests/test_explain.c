/* tests/test_explain.c - `steelgrad explain` end to end: a cnn trained for a
 * few seconds on a small synthetic set, its heatmaps drawn (files, JSON,
 * maps in [0, 1]) and judged (--evaluate gives sane figures), and the usage
 * errors (an unknown layer lists the layers; an output that is an input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/npy.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static char dir[256];

/* The synthetic set and a checkpoint, made once per test (each test forks). */
static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", sg_test_tmpdir());
    char args[1024];
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 60 --size 64", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "synth.log")), 0);
    snprintf(args, sizeof args,
             "train --data %s/synth/images --model cnn --epochs 6 --lr 0.003 --quiet --out %s/run", dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "train.log")), 0);
}

static void teardown(void) { sg_test_remove_tree(dir); }

/* The value of "key": in a JSON line of `text` (the first one holding it). */
static double json_number(const char *text, const char *line_needle, const char *key)
{
    const char *line = strstr(text, line_needle);
    ck_assert_msg(line, "no line with %s in:\n%s", line_needle, text);
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(line, k);
    ck_assert_msg(p, "no %s in %s", key, line);
    return strtod(p + strlen(k), NULL);
}

START_TEST(explain_writes_an_overlay_a_map_and_a_json_line_per_image)
{
    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/explain.out", dir);
    snprintf(args, sizeof args,
             "explain --weights %s/run/best.safetensors --method gradcam++ --colormap viridis "
             "%s/synth/images/scratches/scratches_1.png %s/synth/images/inclusion/inclusion_2.png -o %s/maps",
             dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    printf("%s", text);
    ck_assert_msg(strstr(text, "\"file\":\"") && strstr(text, "scratches_1.png\""), "no JSON line for scratches_1");
    ck_assert_msg(strstr(text, "\"method\":\"gradcam++\"") && strstr(text, "\"layer\":\"features.15\""),
                  "method and default layer expected in the JSON");
    double p = json_number(text, "scratches_1", "probability");
    ck_assert_msg(p > 0 && p <= 1, "probability %g outside (0, 1]", p);
    free(text);
    ck_assert(sg_test_file_exists(sg_test_path(dir, "maps/scratches_1.png")));
    ck_assert(sg_test_file_exists(sg_test_path(dir, "maps/inclusion_2.png")));
    sg_npy map;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "maps/inclusion_2.npy"), &map), SG_OK);
    ck_assert_msg(map.ndim == 2 && map.shape[0] == 64 && map.shape[1] == 64, "map: expected 64 x 64");
    float lo = 1, hi = 0;
    for (int64_t i = 0; i < map.numel; i++) lo = fminf(lo, map.data[i]), hi = fmaxf(hi, map.data[i]);
    printf("map range [%g, %g]\n", lo, hi);
    ck_assert_msg(lo >= 0 && lo < 1e-6 && hi > 0.999 && hi <= 1, "map range [%g, %g]: expected [0, 1]", lo, hi);
    sg_npy_free(&map);
    ck_assert_int_eq(sg_test_count_names(sg_test_path(dir, "maps"), ".tmp."), 0);
}
END_TEST

START_TEST(explain_reads_a_normalised_npy_and_plain_weights)
{
    /* --input: 2 images of zeros; --model/--classes: the checkpoint read as
     * plain weights (its optimiser tensors are ignored). */
    float zeros[2 * 64 * 64] = {0};
    int64_t shape[4] = {2, 1, 64, 64};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "x.npy"), 4, shape, zeros), SG_OK);
    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/npy.out", dir);
    snprintf(args, sizeof args,
             "explain --weights %s/run/best.safetensors --model cnn --classes 7 --input %s/x.npy "
             "--class 3 --layer features.11 -o %s/m2", dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    printf("%s", text);
    ck_assert_msg(strstr(text, "\"class\":\"3\"") && strstr(text, "x.npy[1]"), "two JSON lines, class 3");
    free(text);
    ck_assert(sg_test_file_exists(sg_test_path(dir, "m2/input_1.npy")));
}
END_TEST

START_TEST(explain_refuses_an_unknown_layer_and_an_output_that_is_an_input)
{
    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/bad.out", dir);
    snprintf(args, sizeof args,
             "explain --weights %s/run/best.safetensors %s/synth/images/crazing/crazing_0.png --layer layer4 -o %s/m3",
             dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "no layer 'layer4'; layers: features.0, features.1");
    /* the overlay of crazing_0.png into its own folder would replace it */
    snprintf(args, sizeof args,
             "explain --weights %s/run/best.safetensors %s/synth/images/crazing/crazing_0.png -o %s/synth/images/crazing",
             dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "crazing_0.png");
    snprintf(args, sizeof args, "explain --weights %s/run/best.safetensors %s/synth/images/crazing/crazing_0.png -o %s/run/best.safetensors",
             dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    /* two images of the same name would share DIR/<name>.png */
    snprintf(args, sizeof args, "explain --weights %s/run/best.safetensors %s/synth/images/crazing/crazing_0.png "
             "%s/synth/masks/crazing_0.png -o %s/m4", dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "two images are named 'crazing_0'");
}
END_TEST

START_TEST(explain_evaluate_scores_each_method_on_boxes_and_masks)
{
    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/eval.out", dir);
    snprintf(args, sizeof args, "explain --evaluate --weights %s/run/best.safetensors --data %s/synth", dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    printf("%s", text);
    /* 6 defect classes x 60 images have boxes and masks ("good" has none) */
    for (int m = 0; m < 2; m++) {
        const char *needle = m ? "\"method\":\"gradcam++\"" : "\"method\":\"gradcam\"";
        double images = json_number(text, needle, "images"), masks = json_number(text, needle, "mask_images");
        double pg = json_number(text, needle, "pointing_game"), en = json_number(text, needle, "energy_in_boxes");
        double auc = json_number(text, needle, "pixel_auroc");
        ck_assert_msg(images == 360 && masks == 360, "%s: expected 360 images with boxes and masks, found %g, %g",
                      needle, images, masks);
        /* chance: the boxes cover 0.39 of a defect image on average (this set), so
         * a uniform map puts 0.39 of its energy in them and a random peak lands
         * in them 0.39 of the time; a random map has pixel AUROC 0.5. The run is
         * deterministic (measured: pointing 0.54 / 0.52, energy 0.49 / 0.47,
         * AUROC 0.68 / 0.69 for gradcam / gradcam++). */
        ck_assert_msg(pg > 0.45 && pg <= 1, "%s: pointing game %g, expected > 0.45", needle, pg);
        ck_assert_msg(en > 0.42 && en <= 1, "%s: energy in boxes %g, expected > 0.42", needle, en);
        ck_assert_msg(auc > 0.6 && auc <= 1, "%s: pixel AUROC %g, expected > 0.6", needle, auc);
    }
    free(text);
}
END_TEST

static Suite *explain_suite(void)
{
    Suite *s = suite_create("explain");
    TCase *tc = tcase_create("explain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, explain_writes_an_overlay_a_map_and_a_json_line_per_image);
    tcase_add_test(tc, explain_reads_a_normalised_npy_and_plain_weights);
    tcase_add_test(tc, explain_refuses_an_unknown_layer_and_an_output_that_is_an_input);
    tcase_add_test(tc, explain_evaluate_scores_each_method_on_boxes_and_masks);
    suite_add_tcase(s, tc);
    return s;
}

SG_TEST_MAIN(explain_suite)

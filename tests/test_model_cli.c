/* tests/test_model_cli.c - `steelgrad model list|summary` and `steelgrad forward`
 * as a user runs them: parameter counts from the summary's JSON line, the
 * forward's logits against torchvision's (the golden files of test_models.c)
 * and against the library, and the exit codes of bad invocations.
 * The binary is $SG_BIN (set by `make test`), else build/steelgrad. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/json.h"
#include "core/npy.h"
#include "models/zoo.h"
#include "tests/modelrule.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* The last line of a file, parsed as JSON (the caller frees it). */
static sg_json *last_json_line(const char *path)
{
    char *text = sg_test_slurp(path);
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n') text[--len] = '\0';
    char *line = strrchr(text, '\n');
    line = line ? line + 1 : text;
    sg_json *j = NULL;
    ck_assert_msg(sg_json_parse(line, strlen(line), path, &j) == SG_OK,
                  "the last line of %s is not JSON: '%s'", path, line);
    free(text);
    return j;
}

static double json_number(const sg_json *j, const char *key)
{
    const sg_json *v = sg_json_get(j, key);
    ck_assert_msg(v && v->type == SG_JSON_NUMBER, "no number '%s' in the summary's JSON", key);
    return v->number;
}

START_TEST(model_list_names_every_model_and_head)
{
    const char *dir = sg_test_tmpdir();
    const char *out = sg_test_path(dir, "out.txt");
    ck_assert_int_eq(sg_test_run_cli(NULL, "model list", out), 0);
    for (int i = 0; i < sg_model_count(); i++) sg_test_expect_file_contains(out, sg_model_def_at(i)->name);
    sg_test_expect_file_contains(out, "gap256, gap512, alt001");
    ck_assert_int_eq(sg_test_run_cli(NULL, "model", out), 2);
    ck_assert_int_eq(sg_test_run_cli(NULL, "model frob", out), 2);
    sg_test_expect_file_contains(out, "unknown subcommand 'frob'");
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(model_summary_reports_the_reference_parameter_counts)
{
    /* torchvision / timm counts; small --size where the count does not depend on it. */
    static const struct { const char *args, *model; long long params; int tensors; } cases[] = {
        {"model summary resnet50", "resnet50", 25557032, 320},
        {"model summary resnet50 --classes 6 --channels 1 --size 64", "resnet50",
         25557032LL - 2049000 - 64 * 2 * 49 + 6 * 2048 + 6, 320},
        {"model summary resnetv2_50 --size 64", "resnetv2_50", 25549352, 300},
        {"model summary inceptionv3 --size 75 --aux-logits", "inceptionv3", 27161264, 580},
        {"model summary inceptionv3 --size 75", "inceptionv3", 23834568, 566},
        {"model summary mobilenetv2 --size 64", "mobilenetv2", 3504872, 314},
        {"model summary resnet50 --classes 6 --head gap512 --size 64", "resnet50",
         23508032LL + 2048 * 512 + 512 + 512 * 6 + 6, 322},
    };
    const char *dir = sg_test_tmpdir();
    const char *out = sg_test_path(dir, "out.txt");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(sg_test_run_cli(NULL, cases[i].args, out) == 0, "'%s' failed:\n%s",
                      cases[i].args, sg_test_slurp(out));
        sg_json *j = last_json_line(out);
        const sg_json *model = sg_json_get(j, "model");
        ck_assert_msg(model && model->type == SG_JSON_STRING && !strcmp(model->string, cases[i].model),
                      "%s: \"model\" is not \"%s\"", cases[i].args, cases[i].model);
        long long params = (long long)json_number(j, "params");
        int tensors = (int)json_number(j, "tensors");
        printf("%-60s params %lld (expected %lld), tensors %d (%d)\n", cases[i].args, params,
               cases[i].params, tensors, cases[i].tensors);
        ck_assert_msg(params == cases[i].params && tensors == cases[i].tensors,
                      "%s: %lld parameters in %d tensors, expected %lld in %d", cases[i].args,
                      params, tensors, cases[i].params, cases[i].tensors);
        sg_json_free(j);
    }
    /* The table names layers with their output shapes. */
    ck_assert_int_eq(sg_test_run_cli(NULL, "model summary resnet18 --size 64", out), 0);
    sg_test_expect_file_contains(out, "layer4.1.bn2");
    sg_test_expect_file_contains(out, "[1, 512, 2, 2]");
    sg_test_expect_file_contains(out, "fc                ");
    /* Errors: an unknown model is a usage error naming the list, a bad size a failure. */
    ck_assert_int_eq(sg_test_run_cli(NULL, "model summary resnet51", out), 2);
    sg_test_expect_file_contains(out, "resnetv2_50");
    ck_assert_int_eq(sg_test_run_cli(NULL, "model summary inceptionv3 --size 64", out), 1);
    sg_test_expect_file_contains(out, "expected >= 75");
    ck_assert_int_eq(sg_test_run_cli(NULL, "model summary resnet18 --classes 1", out), 2);
    sg_test_expect_file_contains(out, "--classes");
    ck_assert_int_eq(sg_test_run_cli(NULL, "model summary resnet18 --head gap9", out), 1);
    sg_test_expect_file_contains(out, "gap9");
    sg_test_remove_tree(dir);
}
END_TEST

/* Write the rule's weights of `model` (classes, 3 channels) and its input
 * [n, channels, size, size] into dir; returns the model (caller frees). */
static sg_model write_rule_files(const char *dir, const char *model, int classes, int channels,
                                 int n, int size)
{
    sg_model_options o = sg_model_options_defaults(classes);
    o.in_channels = channels;
    o.image_size = size;
    sg_model m;
    ck_assert_msg(sg_model_build(&m, model, &o, 1) == SG_OK, "%s", sg_error_message());
    sg_test_model_rule(m.params);
    char k[16];
    snprintf(k, sizeof k, "%d", classes);
    const char *meta[] = {"classes", k};
    ck_assert_int_eq(sg_params_save(m.params, sg_test_path(dir, "w.safetensors"), meta, 1), SG_OK);
    int64_t shape[4] = {n, channels, size, size};
    float *x = malloc((size_t)(n * channels * size * size) * sizeof *x);
    sg_test_model_rule_input(x, n * channels * size * size);
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "x.npy"), 4, shape, x), SG_OK);
    free(x);
    return m;
}

START_TEST(forward_writes_torchvision_logits_for_resnet18)
{
    /* The golden case of test_models.c (rule weights, rule input 2x3x64x64),
     * through the command line, batches of 1 image. */
    const char *dir = sg_test_tmpdir();
    sg_model m = write_rule_files(dir, "resnet18", 10, 3, 2, 64);
    sg_model_free(&m);
    char args[1024];
    snprintf(args, sizeof args, "forward --model resnet18 --weights %s --input %s --output %s --batch 1",
             sg_test_path(dir, "w.safetensors"), sg_test_path(dir, "x.npy"),
             sg_test_path(dir, "y.npy"));
    const char *out = sg_test_path(dir, "out.txt");
    ck_assert_msg(sg_test_run_cli(NULL, args, out) == 0, "%s", sg_test_slurp(out));
    sg_npy y, ref;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "y.npy"), &y), SG_OK);
    char golden[512];
    snprintf(golden, sizeof golden, "%s/models_resnet18_logits.npy", sg_test_golden_dir());
    ck_assert_int_eq(sg_npy_read(golden, &ref), SG_OK);
    ck_assert_int_eq(y.ndim, 2);
    ck_assert_int_eq(y.shape[0], 2);
    ck_assert_int_eq(y.shape[1], 10);
    double scale = 0;
    for (int i = 0; i < 20; i++) scale = fmax(scale, fabs(ref.data[i]));
    SG_ASSERT_CLOSE("steelgrad forward resnet18 vs torchvision", ref.data, y.data, 20,
                    1e-4 * scale, 0);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_npy_free(&y);
    sg_npy_free(&ref);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(forward_sums_an_rgb_stem_for_gray_input_and_matches_the_library)
{
    /* cnn002 with RGB weights, run on a gray batch: the CLI sums the stem, and
     * its logits equal the library's gray model loaded the same way. */
    const char *dir = sg_test_tmpdir();
    sg_model rgb = write_rule_files(dir, "cnn002", 4, 3, 3, 32);
    sg_model_free(&rgb);
    int64_t shape[4] = {3, 1, 32, 32};
    float x[3 * 32 * 32];
    sg_test_model_rule_input(x, 3 * 32 * 32);
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "gray.npy"), 4, shape, x), SG_OK);
    char args[1024];
    snprintf(args, sizeof args, "forward --model cnn002 --weights %s --input %s --output %s",
             sg_test_path(dir, "w.safetensors"), sg_test_path(dir, "gray.npy"),
             sg_test_path(dir, "y.npy"));
    const char *out = sg_test_path(dir, "out.txt");
    ck_assert_msg(sg_test_run_cli(NULL, args, out) == 0, "%s", sg_test_slurp(out));
    sg_test_expect_file_contains(out, "features.0.weight summed");

    sg_model_options o = sg_model_options_defaults(4);
    o.in_channels = 1;
    o.image_size = 32;
    sg_model m;
    ck_assert_int_eq(sg_model_build(&m, "cnn002", &o, 5), SG_OK);
    ck_assert_int_eq(sg_model_load_weights(&m, sg_test_path(dir, "w.safetensors"), true, NULL), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *y = sg_model_forward(g, &m, sg_graph_view(g, x, 4, shape));
    ck_assert_ptr_nonnull(y);
    sg_npy cli;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "y.npy"), &cli), SG_OK);
    ck_assert_int_eq(cli.numel, 12);
    SG_ASSERT_CLOSE("forward CLI vs library (gray cnn002)", y->data, cli.data, 12, 0, 0);
    sg_npy_free(&cli);
    sg_graph_free(g);
    sg_model_free(&m);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(forward_refuses_bad_invocations_with_a_clear_line)
{
    const char *dir = sg_test_tmpdir();
    sg_model m = write_rule_files(dir, "cnn", 3, 1, 2, 32);
    sg_model_free(&m);
    char w[256], x[256], bad[256], y[256], args[1024];
    snprintf(w, sizeof w, "%s", sg_test_path(dir, "w.safetensors"));
    snprintf(x, sizeof x, "%s", sg_test_path(dir, "x.npy"));
    snprintf(y, sizeof y, "%s", sg_test_path(dir, "y.npy"));
    snprintf(bad, sizeof bad, "%s", sg_test_path(dir, "bad.npy"));
    ck_assert_int_eq(sg_npy_write_f32(bad, 2, (int64_t[]){2, 3}, (float[]){1, 2, 3, 4, 5, 6}), SG_OK);
    const char *out = sg_test_path(dir, "out.txt");
    static const struct { const char *fmt; int code; const char *needle; } cases[] = {
        {"forward --weights %s --input %s --output %s", 2, "--model is required"},
        {"forward --model resnet51 --weights %s --input %s --output %s", 2, "unknown model 'resnet51'"},
        {"forward --model cnn --weights %s --input %s --output %s --classes 1", 2, "--classes"},
        {"forward --model resnet18 --weights %s --input %s --output %s", 1, "missing"},
        {"forward --model cnn --weights %s --input %s --output %s --classes 5", 1, "classifier.weight"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, cases[i].fmt, w, x, y);
        int code = sg_test_run_cli(NULL, args, out);
        ck_assert_msg(code == cases[i].code, "'%s': exit %d, expected %d", args, code, cases[i].code);
        sg_test_expect_file_contains(out, cases[i].needle);
    }
    snprintf(args, sizeof args, "forward --model cnn --weights %s --input %s --output %s", w, bad, y);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "N x C x H x W");
    snprintf(args, sizeof args, "forward --model cnn --weights %s --input %s --output %s", w, x, x);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "it is an input of this command");
    ck_assert(!sg_test_file_exists(y));
    /* And the good call, classes from the file's metadata. */
    snprintf(args, sizeof args, "forward --model cnn --weights %s --input %s --output %s", w, x, y);
    ck_assert_msg(sg_test_run_cli(NULL, args, out) == 0, "%s", sg_test_slurp(out));
    sg_test_expect_file_contains(out, "2 x 3 logits");
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *model_cli_suite(void)
{
    Suite *s = suite_create("model_cli");
    SG_ADD_TEST(s, model_list_names_every_model_and_head, 30);
    SG_ADD_TEST(s, model_summary_reports_the_reference_parameter_counts, 120);
    SG_ADD_TEST(s, forward_writes_torchvision_logits_for_resnet18, 60);
    SG_ADD_TEST(s, forward_sums_an_rgb_stem_for_gray_input_and_matches_the_library, 60);
    SG_ADD_TEST(s, forward_refuses_bad_invocations_with_a_clear_line, 60);
    return s;
}

SG_TEST_MAIN(model_cli_suite)

/* tests/test_cli_svm.c - `steelgrad features` and `steelgrad svm train|predict|eval`
 * as a user runs them: files in, files out, errors that name the cause. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/json.h"
#include "core/npy.h"
#include "optim/svm.h"
#include "train/checkpoint.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* The golden 3-class set (tests/golden/gen_svm.py) as X.npy and y.npy (int32) in dir. */
static void write_tri(const char *dir, sg_safetensors *f)
{
    sg_test_golden_read("svm", f);
    const sg_st_tensor *x = sg_test_golden_need(f, "tri.x"), *y = sg_test_golden_need(f, "tri.y");
    int32_t labels[90];
    for (int i = 0; i < 90; i++) labels[i] = (int32_t)y->data[i];
    int64_t yshape[1] = {90};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "X.npy"), 2, x->shape, x->data), SG_OK);
    ck_assert_int_eq(sg_npy_write_i32(sg_test_path(dir, "y.npy"), 1, yshape, labels), SG_OK);
}

static int run(const char *dir, const char *fmt, const char *a)
{
    char args[2048];
    snprintf(args, sizeof args, fmt, a, a, a, a);
    return sg_test_run_cli(NULL, args, sg_test_path(dir, "out.txt"));
}

START_TEST(svm_train_predict_eval_match_sklearn_through_files)
{
    const char *dir = sg_test_tmpdir();
    sg_safetensors f;
    write_tri(dir, &f);
    int rc = run(dir, "svm train --features %s/X.npy --labels %s/y.npy --loss hinge --tol 1e-10 --max-iter 1000000 "
                      "--classes a,b,c -o %s/svm.safetensors", dir);
    ck_assert_msg(rc == 0, "svm train: exit %d:\n%s", rc, sg_test_slurp(sg_test_path(dir, "out.txt")));
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "\"converged\": true");
    rc = run(dir, "svm predict --svm %s/svm.safetensors --features %s/X.npy -o %s/scores.npy", dir);
    ck_assert_int_eq(rc, 0);
    sg_npy s;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "scores.npy"), &s), SG_OK);
    ck_assert(s.ndim == 2 && s.shape[0] == 90 && s.shape[1] == 3);
    /* The file stores float32 weights: 1e-4 instead of the library's 1e-5. */
    SG_ASSERT_CLOSE("svm predict scores vs sklearn decision_function",
                    sg_test_golden_need(&f, "tri_hinge.decision")->data, s.data, 270, 1e-4, 0);
    const sg_st_tensor *pred = sg_test_golden_need(&f, "tri_hinge.predict"), *y = sg_test_golden_need(&f, "tri.y");
    int correct = 0;
    for (int i = 0; i < 90; i++) correct += (int)pred->data[i] == (int)y->data[i];
    rc = run(dir, "svm eval --svm %s/svm.safetensors --features %s/X.npy --labels %s/y.npy", dir);
    ck_assert_int_eq(rc, 0);
    char *text = sg_test_slurp(sg_test_path(dir, "out.txt"));
    sg_json *j = NULL;
    ck_assert_msg(sg_json_parse(text, strlen(text), "svm eval", &j) == SG_OK, "%s", text);
    double acc = sg_json_number(sg_json_get(j, "accuracy"), -1);
    printf("svm eval accuracy: expected %.6f (sklearn's predictions), found %.6f\n", correct / 90.0, acc);
    ck_assert(fabs(acc - correct / 90.0) < 1e-12);
    ck_assert_ptr_nonnull(strstr(text, "\"class\": \"b\""));
    sg_json_free(j);
    free(text);
    sg_npy_free(&s);
    sg_safetensors_free(&f);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(svm_refuses_mismatched_features_nan_and_output_over_input)
{
    const char *dir = sg_test_tmpdir();
    sg_safetensors f;
    write_tri(dir, &f);
    ck_assert_int_eq(run(dir, "svm train --features %s/X.npy --labels %s/y.npy -o %s/svm.safetensors", dir), 0);
    float x5[10] = {0};
    int64_t shape[2] = {2, 5};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "X5.npy"), 2, shape, x5), SG_OK);
    ck_assert_int_eq(run(dir, "svm predict --svm %s/svm.safetensors --features %s/X5.npy -o %s/s.npy", dir), 1);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "has 5 features per row, but");
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "was trained on 4");
    /* NaN in row 2, column 1. */
    float xn[360];
    memcpy(xn, sg_test_golden_need(&f, "tri.x")->data, sizeof xn);
    xn[2 * 4 + 1] = NAN;
    int64_t s90[2] = {90, 4};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "Xn.npy"), 2, s90, xn), SG_OK);
    ck_assert_int_eq(run(dir, "svm train --features %s/Xn.npy --labels %s/y.npy -o %s/n.safetensors", dir), 1);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "row 2, column 1 is NaN");
    ck_assert_int_eq(run(dir, "svm train --features %s/X.npy --labels %s/y.npy -o %s/X.npy", dir), 2);
    ck_assert_int_eq(run(dir, "svm train --features %s/X.npy --labels %s/y.npy --loss l1 -o %s/q.safetensors", dir), 2);
    ck_assert_int_eq(run(dir, "svm train --features %s/X.npy --labels %s/y.npy --classes a,b -o %s/q.safetensors", dir), 2);
    sg_safetensors_free(&f);
    sg_test_remove_tree(dir);
}
END_TEST

/* A tiny checkpoint, then its features: N x D float32 in class order, int32
 * labels; a list of images gives the same rows; --standardize centres them;
 * the SVM on them runs. */
START_TEST(features_of_a_checkpoint_feed_the_svm)
{
    const char *dir = sg_test_tmpdir();
    ck_assert_int_eq(run(dir, "synth --out %s/s --per-class 4 --size 32 --classes crazing,patches", dir), 0);
    ck_assert_int_eq(run(dir, "train --quiet --data %s/s/images --model cnn --size 32 --epochs 1 --ratios 100,0,0 "
                              "--out %s/r", dir), 0);
    int rc = run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/X.npy --labels %s/y.npy", dir);
    ck_assert_msg(rc == 0, "features: exit %d:\n%s", rc, sg_test_slurp(sg_test_path(dir, "out.txt")));
    sg_npy X, y, X1, Xs;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "X.npy"), &X), SG_OK);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "y.npy"), &y), SG_OK);
    ck_assert_int_eq(y.dtype, SG_DTYPE_I32);
    ck_assert(X.ndim == 2 && X.shape[0] == 8 && X.shape[1] > 1);
    const int64_t D = X.shape[1];
    for (int i = 0; i < 8; i++) ck_assert_int_eq((int)y.data[i], i < 4 ? 0 : 1);
    char args[2048];
    snprintf(args, sizeof args, "features --weights %s/r/best.safetensors %s/s/images/patches/patches_0.png "
             "%s/s/images/crazing/crazing_0.png -o %s/X1.npy", dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "out.txt")), 0);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "X1.npy"), &X1), SG_OK);
    SG_ASSERT_CLOSE("features of patches_0 given alone vs in the folder", X.data + 4 * D, X1.data, D, 0, 0);
    SG_ASSERT_CLOSE("features of crazing_0 given alone vs in the folder", X.data, X1.data + D, D, 0, 0);
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/Xs.npy --standardize",
                         dir), 0);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "Xs.npy"), &Xs), SG_OK);
    for (int64_t c = 0; c < D; c++) {
        double m = 0;
        for (int i = 0; i < 8; i++) m += Xs.data[i * D + c];
        ck_assert_msg(fabs(m / 8) < 1e-5, "column %lld mean after --standardize: expected 0, found %g", (long long)c,
                      m / 8);
    }
    ck_assert_int_eq(run(dir, "svm train --features %s/Xs.npy --labels %s/y.npy -o %s/svm.safetensors", dir), 0);
    /* Labels of loose images are unknown. */
    snprintf(args, sizeof args, "features --weights %s/r/best.safetensors %s/s/images/patches/patches_0.png "
             "-o %s/X2.npy --labels %s/y2.npy", dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "out.txt")), 2);
    /* --layer: the cnn's last pool (features.15) is the backbone's map, so the
     * same rows; block 2's ReLU (features.6) has 16 channels; a name the model
     * does not mark is a usage error that lists the layers. */
    sg_npy Xl, X6;
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/Xl.npy "
                              "--layer features.15", dir), 0);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "Xl.npy"), &Xl), SG_OK);
    ck_assert(Xl.ndim == 2 && Xl.shape[0] == 8 && Xl.shape[1] == D);
    SG_ASSERT_CLOSE("--layer features.15 vs the default features", X.data, Xl.data, 8 * D, 0, 0);
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/X6.npy "
                              "--layer features.6", dir), 0);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "X6.npy"), &X6), SG_OK);
    ck_assert_msg(X6.ndim == 2 && X6.shape[0] == 8 && X6.shape[1] == 16, "features.6: %lld x %lld, expected 8 x 16",
                  (long long)X6.shape[0], (long long)X6.shape[1]);
    for (int64_t i = 0; i < 8 * 16; i++) ck_assert_msg(X6.data[i] >= 0, "a ReLU's mean is never negative");
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/Xn.npy "
                              "--layer layer4", dir), 2);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "no layer 'layer4'; layers: features.0");
    sg_npy_free(&Xl);
    sg_npy_free(&X6);
    sg_npy_free(&X);
    sg_npy_free(&y);
    sg_npy_free(&X1);
    sg_npy_free(&Xs);
    sg_test_remove_tree(dir);
}
END_TEST

/* Weights without steelgrad's metadata (a torchvision file, say): the
 * checkpoint's own parameters saved bare give, with --model, --classes,
 * --size and --channels naming what the metadata held, the checkpoint's
 * features to the bit and the data's folder order as labels; a file that
 * lacks the model's parameters fails naming them; the options go together. */
START_TEST(features_of_reference_weights_with_model_and_classes)
{
    const char *dir = sg_test_tmpdir();
    ck_assert_int_eq(run(dir, "synth --out %s/s --per-class 3 --size 32 --classes crazing,patches,scratches", dir), 0);
    ck_assert_int_eq(run(dir, "train --data %s/s/images --model cnn --size 32 --channels 1 --norm unit "
                              "--epochs 1 --ratios 100,0,0 --out %s/r", dir), 0);
    /* parts the ratios left empty are named, not given NaN figures */
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "no test part; no val part; 1 epochs;");
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --data %s/s/images -o %s/X.npy", dir), 0);
    sg_run_model rm;
    ck_assert_int_eq(sg_run_model_open(sg_test_path(dir, "r/best.safetensors"), &rm), SG_OK);
    ck_assert_int_eq(sg_params_save(rm.model.params, sg_test_path(dir, "bare.safetensors"), NULL, 0), SG_OK);
    sg_run_model_close(&rm);
    int rc = run(dir, "features --weights %s/bare.safetensors --model cnn --classes 3 --size 32 --channels 1 "
                      "--data %s/s/images -o %s/Xr.npy --labels %s/yr.npy", dir);
    ck_assert_msg(rc == 0, "features --model: exit %d:\n%s", rc, sg_test_slurp(sg_test_path(dir, "out.txt")));
    sg_npy X, Xr, yr;
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "X.npy"), &X), SG_OK);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "Xr.npy"), &Xr), SG_OK);
    ck_assert_int_eq(sg_npy_read(sg_test_path(dir, "yr.npy"), &yr), SG_OK);
    ck_assert(Xr.ndim == 2 && Xr.shape[0] == 9 && Xr.shape[1] == X.shape[1]);
    SG_ASSERT_CLOSE("features of the bare weights vs the checkpoint's", X.data, Xr.data, X.numel, 0, 0);
    for (int i = 0; i < 9; i++) ck_assert_int_eq((int)yr.data[i], i / 3);
    /* a file without the model's parameters; the options' rules */
    ck_assert_int_eq(run(dir, "features --weights %s/bare.safetensors --model resnet18 --classes 3 --data %s/s/images "
                              "-o %s/Xb.npy", dir), 1);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "bare.safetensors: ");
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "parameters of resnet18 missing (conv1.weight");
    ck_assert_int_eq(run(dir, "features --weights %s/bare.safetensors --model cnn --data %s/s/images -o %s/Xb.npy", dir),
                     2);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "--model and --classes go together");
    ck_assert_int_eq(run(dir, "features --weights %s/r/best.safetensors --size 64 --data %s/s/images -o %s/Xb.npy", dir),
                     2);
    ck_assert_int_eq(run(dir, "features --weights %s/bare.safetensors --model nosuch --classes 3 --data %s/s/images "
                              "-o %s/Xb.npy", dir), 2);
    sg_test_expect_file_contains(sg_test_path(dir, "out.txt"), "--model: unknown model 'nosuch'");
    ck_assert_int_eq(run(dir, "features --weights %s/bare.safetensors --model cnn --classes 3 --channels 2 "
                              "--data %s/s/images -o %s/Xb.npy", dir), 2);
    ck_assert(access(sg_test_path(dir, "Xb.npy"), F_OK) != 0);
    sg_npy_free(&X);
    sg_npy_free(&Xr);
    sg_npy_free(&yr);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *cli_svm_suite(void)
{
    Suite *s = suite_create("cli_svm");
    SG_ADD_TEST(s, svm_train_predict_eval_match_sklearn_through_files, 60);
    SG_ADD_TEST(s, svm_refuses_mismatched_features_nan_and_output_over_input, 60);
    SG_ADD_TEST(s, features_of_a_checkpoint_feed_the_svm, 120);
    SG_ADD_TEST(s, features_of_reference_weights_with_model_and_classes, 120);
    return s;
}

SG_TEST_MAIN(cli_svm_suite)

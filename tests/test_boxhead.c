/* tests/test_boxhead.c - paper 002's localisation heads (models/boxhead.h):
 * targets from VOC boxes, the loss against a hand computation, learning on
 * fixed features, and detections scored by VOC mAP. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/init.h"
#include "models/boxhead.h"
#include "tests/modelrule.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

START_TEST(targets_sort_normalise_and_pad)
{
    sg_params ps = {0};
    sg_box_head h;
    ck_assert_int_eq(sg_box_head_init(&h, &ps, 8, 6, 3, 1), SG_OK);
    ck_assert_int_eq(sg_box_head_slot_classes(&h), 7);
    /* two VOC boxes (1-based inclusive) on a 200 x 100 image, the right one first */
    const sg_box boxes[2] = {{.xmin = 101, .ymin = 11, .xmax = 200, .ymax = 60, .label = 4},
                             {.xmin = 1, .ymin = 1, .xmax = 50, .ymax = 100, .label = 2}};
    int32_t labels[3];
    float t[12];
    ck_assert_int_eq(sg_box_head_targets(&h, boxes, 2, 200, 100, labels, t), 0);
    ck_assert_int_eq(labels[0], 2);
    ck_assert_int_eq(labels[1], 4);
    ck_assert_int_eq(labels[2], 6);      /* "no defect" */
    const float want[12] = {0, 0.25f, 0, 1, 0.5f, 1, 0.1f, 0.6f, 0, 0, 0, 0};
    for (int i = 0; i < 12; i++) ck_assert_float_eq_tol(t[i], want[i], 1e-7f);
    sg_params_free(&ps);
}
END_TEST

START_TEST(loss_is_cross_entropy_plus_box_mse)
{
    sg_params ps = {0};
    sg_box_head h;
    ck_assert_int_eq(sg_box_head_init(&h, &ps, 3, 2, 2, 1), SG_OK);   /* K = 3 per slot */
    sg_graph *g = sg_graph_new();
    const float feat[6] = {0.5f, -1, 2, 1, 0, -0.5f};
    sg_tensor *f = sg_graph_tensor_from(g, 2, (int64_t[]){2, 3}, feat);
    sg_tensor *boxes;
    sg_tensor *logits = sg_box_head_forward(g, &h, f, &boxes);
    ck_assert(logits && boxes);
    ck_assert_int_eq(logits->shape[1], 2);
    ck_assert_int_eq(logits->shape[2], 3);
    const int32_t labels[4] = {0, 2, 1, 2};
    float tb[16];
    for (int i = 0; i < 16; i++) tb[i] = (float)(i % 5) / 5.0f;
    sg_tensor *target = sg_graph_tensor_from(g, 3, (int64_t[]){2, 2, 4}, tb);
    sg_tensor *loss = sg_box_head_loss(g, &h, logits, boxes, labels, target);
    ck_assert_ptr_nonnull(loss);
    /* by hand, in double */
    double ce = 0, mse = 0;
    for (int r = 0; r < 4; r++) {
        const float *z = logits->data + 3 * r;
        double m = fmax(z[0], fmax(z[1], z[2])), s = 0;
        for (int k = 0; k < 3; k++) s += exp(z[k] - m);
        ce += -(z[labels[r]] - m - log(s)) / 4;
    }
    for (int i = 0; i < 16; i++) mse += pow((double)boxes->data[i] - tb[i], 2) / 16;
    printf("  loss %.7f, by hand CE %.7f + MSE %.7f\n", loss->data[0], ce, mse);
    ck_assert_double_eq_tol(loss->data[0], ce + mse, 1e-6);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

START_TEST(heads_learn_fixed_features_and_reach_map_1)
{
    /* 8 images, 16 pseudo-random features each; image i has class i % 3 in slot 0
     * and a box that depends on i; slot 1 is padding. Plain gradient descent
     * on the two heads, then every detection is right: mAP 1. */
    enum { N = 8, F = 16, C = 3, S = 2 };
    sg_params ps = {0};
    sg_box_head h;
    ck_assert_int_eq(sg_box_head_init(&h, &ps, F, C, S, 7), SG_OK);
    float feat[N * F], tb[N * S * 4] = {0};
    int32_t labels[N * S];
    sg_det_box gt[N];
    sg_test_model_rule_named("feat", feat, N * F);   /* values in [-1, 1) */
    for (int i = 0; i < N; i++) {
        float x0 = 0.1f + 0.05f * i, y0 = 0.2f;
        float *t = tb + i * S * 4;
        t[0] = x0, t[1] = x0 + 0.4f, t[2] = y0, t[3] = y0 + 0.5f;
        labels[i * S] = i % C;
        labels[i * S + 1] = C;
        gt[i] = (sg_det_box){.image = i, .label = i % C, .xmin = x0, .xmax = x0 + 0.4f,
                             .ymin = y0, .ymax = y0 + 0.5f};
    }
    sg_graph *g = sg_graph_new();
    float first = 0, last = 0;
    for (int step = 0; step < 2000; step++) {
        sg_graph_reset(g);
        sg_params_zero_grad(&ps);
        sg_tensor *boxes, *f = sg_graph_tensor_from(g, 2, (int64_t[]){N, F}, feat);
        sg_tensor *logits = sg_box_head_forward(g, &h, f, &boxes);
        sg_tensor *t = sg_graph_tensor_from(g, 3, (int64_t[]){N, S, 4}, tb);
        sg_tensor *loss = sg_box_head_loss(g, &h, logits, boxes, labels, t);
        ck_assert_int_eq(sg_graph_backward(g, loss), SG_OK);
        if (step == 0) first = loss->data[0];
        last = loss->data[0];
        for (int k = 0; k < ps.count; k++)
            for (int64_t j = 0; j < ps.items[k]->t.numel; j++)
                ps.items[k]->t.data[j] -= 0.5f * ps.items[k]->t.grad[j];
    }
    sg_graph_reset(g);
    sg_tensor *boxes, *f = sg_graph_tensor_from(g, 2, (int64_t[]){N, F}, feat);
    sg_tensor *logits = sg_box_head_forward(g, &h, f, &boxes);
    sg_det_box det[N * S];
    int nd = 0;
    for (int i = 0; i < N; i++)
        nd += sg_box_head_detections(&h, i, logits->data + i * S * (C + 1), boxes->data + i * S * 4,
                                     det + nd);
    double map_all, map_11;
    ck_assert_int_eq(sg_voc_map(gt, N, det, nd, C, 0.5, false, &map_all, &map_11, NULL, NULL), SG_OK);
    printf("  loss %.4f -> %.4f after 2000 steps; %d detections, mAP@0.5 %.3f (11-point %.3f)\n",
           first, last, nd, map_all, map_11);
    ck_assert(last < 0.1f * first);
    ck_assert_int_eq(nd, N);
    ck_assert_double_eq_tol(map_all, 1.0, 1e-12);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

START_TEST(detect_command_trains_on_a_voc_set_and_writes_its_metrics)
{
    const char *dir = sg_test_tmpdir();
    char args[1024];
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 10 --size 32", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "synth.log")), 0);
    snprintf(args, sizeof args, "detect --data %s/synth --model cnn --size 32 --epochs 2 --slots 3 "
             "--batch 8 --quiet -o %s/det", dir, dir);
    const char *log = sg_test_path(dir, "detect.log");
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 0);
    sg_test_expect_file_contains(log, "\"test_map50\":");
    const char *metrics = sg_test_path(dir, "det/metrics.json");
    sg_test_expect_file_contains(metrics, "\"train_images\":48,\"test_images\":12");
    sg_test_expect_file_contains(metrics, "\"test_map50_11pt\":");
    ck_assert(sg_test_file_exists(sg_test_path(dir, "det/weights.safetensors")));
    /* a class-folder tree is not a VOC set: usage */
    snprintf(args, sizeof args, "detect --data %s/synth/images --model cnn -o %s/det2", dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 2);
    sg_test_expect_file_contains(log, "expected a VOC set");
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *boxhead_suite(void)
{
    Suite *s = suite_create("boxhead");
    SG_ADD_TEST(s, targets_sort_normalise_and_pad, 10);
    SG_ADD_TEST(s, loss_is_cross_entropy_plus_box_mse, 10);
    SG_ADD_TEST(s, heads_learn_fixed_features_and_reach_map_1, 30);
    SG_ADD_TEST(s, detect_command_trains_on_a_voc_set_and_writes_its_metrics, 120);
    return s;
}

SG_TEST_MAIN(boxhead_suite)

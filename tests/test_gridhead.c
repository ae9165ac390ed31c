/* tests/test_gridhead.c - the dense detection head (models/gridhead.h) and
 * NMS (interp/detection.h): target assignment on hand-made boxes (a centre
 * on a cell edge, two boxes in one cell), the loss against a hand
 * computation, decoding of a hand-made output, NMS keeping the higher score,
 * and the head learning fixed features to mAP 1. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/gridhead.h"
#include "optim/optim.h"
#include "tests/testutil.h"

START_TEST(a_centre_on_a_cell_edge_goes_to_the_cell_right_of_and_below_it)
{
    enum { H = 4, W = 4, HW = H * W };
    float obj[HW], box[4 * HW], mask[4 * HW];
    int32_t cls[HW];
    /* centre (0.5, 0.25): exactly on the edge between columns 1 | 2 and rows 0 | 1 */
    const sg_det_box b[2] = {{.label = 3, .xmin = 0.375f, .xmax = 0.625f, .ymin = 0.125f, .ymax = 0.375f},
                             /* centre on the image's right and bottom border: the last cell */
                             {.label = 1, .xmin = 0.5f, .xmax = 1.5f, .ymin = 0.75f, .ymax = 1.25f}};
    ck_assert_int_eq(sg_grid_head_assign(H, W, b, 2, obj, cls, box, mask), 2);
    int cell = 1 * W + 2;
    ck_assert_float_eq(obj[cell], 1.0f);
    ck_assert_int_eq(cls[cell], 3);
    ck_assert_float_eq_tol(box[cell], 0.0f, 1e-6f);             /* cx W - j = 2 - 2 */
    ck_assert_float_eq_tol(box[HW + cell], 0.0f, 1e-6f);        /* cy H - i = 1 - 1 */
    ck_assert_float_eq_tol(box[2 * HW + cell], logf(0.25f), 1e-6f);
    ck_assert_float_eq_tol(box[3 * HW + cell], logf(0.25f), 1e-6f);
    int last = HW - 1;
    ck_assert_int_eq(cls[last], 1);
    ck_assert_float_eq_tol(box[last], 1.0f, 1e-6f);             /* cx W = 4, j clamped to 3 */
    ck_assert_float_eq_tol(box[HW + last], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(box[2 * HW + last], 0.0f, 1e-6f);    /* log 1 */
    int positives = 0;
    for (int c = 0; c < HW; c++) {
        positives += obj[c] == 1.0f;
        for (int v = 0; v < 4; v++) ck_assert_float_eq(mask[v * HW + c], obj[c]);
        if (obj[c] == 0.0f) {
            ck_assert_int_eq(cls[c], SG_GRID_IGNORE);
            for (int v = 0; v < 4; v++) ck_assert_float_eq(box[v * HW + c], 0.0f);
        }
    }
    ck_assert_int_eq(positives, 2);
}
END_TEST

START_TEST(two_boxes_in_one_cell_the_larger_keeps_it)
{
    enum { H = 2, W = 2, HW = H * W };
    float obj[HW], box[4 * HW], mask[4 * HW];
    int32_t cls[HW];
    /* both centres in cell (0, 0); the second is larger, then a third smaller one */
    const sg_det_box b[3] = {{.label = 0, .xmin = 0.1f, .xmax = 0.2f, .ymin = 0.1f, .ymax = 0.2f},
                             {.label = 2, .xmin = 0.0f, .xmax = 0.4f, .ymin = 0.0f, .ymax = 0.4f},
                             {.label = 1, .xmin = 0.2f, .xmax = 0.3f, .ymin = 0.2f, .ymax = 0.3f}};
    ck_assert_int_eq(sg_grid_head_assign(H, W, b, 3, obj, cls, box, mask), 1);
    ck_assert_int_eq(cls[0], 2);
    ck_assert_float_eq_tol(box[0], 0.4f, 1e-6f);
    ck_assert_float_eq_tol(box[2 * HW], logf(0.4f), 1e-6f);
    ck_assert_int_eq(cls[1], SG_GRID_IGNORE);
}
END_TEST

START_TEST(nms_keeps_the_higher_score_per_image_and_class)
{
    sg_det_box d[5] = {
        {.image = 0, .label = 1, .score = 0.6f, .xmin = 0.1f, .xmax = 0.5f, .ymin = 0.1f, .ymax = 0.5f},
        {.image = 0, .label = 1, .score = 0.9f, .xmin = 0.12f, .xmax = 0.5f, .ymin = 0.1f, .ymax = 0.5f},
        /* same place, another class: kept */
        {.image = 0, .label = 2, .score = 0.3f, .xmin = 0.1f, .xmax = 0.5f, .ymin = 0.1f, .ymax = 0.5f},
        /* same class, another image: kept */
        {.image = 1, .label = 1, .score = 0.5f, .xmin = 0.1f, .xmax = 0.5f, .ymin = 0.1f, .ymax = 0.5f},
        /* same class and image, IoU 0.2 / 0.6 = 1/3 <= 0.5 with the kept one: kept */
        {.image = 0, .label = 1, .score = 0.8f, .xmin = 0.3f, .xmax = 0.7f, .ymin = 0.1f, .ymax = 0.5f},
    };
    ck_assert_int_eq(sg_det_nms(d, 5, 0.5, false), 4);
    const float want[4] = {0.9f, 0.8f, 0.5f, 0.3f};
    for (int i = 0; i < 4; i++) ck_assert_float_eq(d[i].score, want[i]);
    ck_assert_float_eq(d[0].xmin, 0.12f);
    ck_assert_int_eq(d[2].image, 1);
    ck_assert_int_eq(d[3].label, 2);
    ck_assert_int_eq(sg_det_nms(d, 0, 0.5, false), 0);
}
END_TEST

static float logit(double p) { return (float)log(p / (1 - p)); }

START_TEST(decode_makes_boxes_from_cells_and_suppresses_duplicates)
{
    enum { C = 2, H = 2, W = 4, HW = H * W, CH = 5 + C };
    float out[CH * HW];
    for (int i = 0; i < CH * HW; i++) out[i] = 0.0f;
    for (int c = 0; c < HW; c++) out[c] = -10.0f;   /* objectness ~ 0 */
    /* cell (1, 2): objectness 0.8, class 1 with p = 0.75, centre (0.5, 0.25) in the
     * cell, width 0.5, height 0.25 */
    int cell = 1 * W + 2;
    out[cell] = logit(0.8);
    out[(1 + 0) * HW + cell] = 0.0f;
    out[(1 + 1) * HW + cell] = (float)log(3.0);
    out[(1 + C) * HW + cell] = 0.0f;
    out[(2 + C) * HW + cell] = logit(0.25);
    out[(3 + C) * HW + cell] = (float)log(0.5);
    out[(4 + C) * HW + cell] = (float)log(0.25);
    /* its neighbour (1, 3) sees a box of the same size further right */
    int nb = cell + 1;
    out[nb] = logit(0.7);
    out[(1 + 1) * HW + nb] = (float)log(3.0);
    out[(1 + C) * HW + nb] = logit(0.4375);   /* centre x (3 + 0.4375) / 4: x 0.609 .. 1 (clamped) */
    out[(2 + C) * HW + nb] = logit(0.25);
    out[(3 + C) * HW + nb] = (float)log(0.5);
    out[(4 + C) * HW + nb] = (float)log(0.25);
    sg_det_box d[HW];
    /* without NMS (threshold 1.01 never suppresses): two boxes */
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.5f, 1.01, d), 2);
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.5f, 0.5, d), 2);   /* IoU 0.425: both */
    /* centre x (3 + 0.05) / 4: x 0.5125 .. 1, IoU 0.3625 / 0.625 = 0.58 > 0.5: suppressed */
    out[(1 + C) * HW + nb] = logit(0.05);
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.5f, 0.5, d), 1);
    ck_assert_int_eq(d[0].image, 7);
    ck_assert_int_eq(d[0].label, 1);
    ck_assert_float_eq_tol(d[0].score, 0.8f * 0.75f, 1e-6f);
    /* centre x = (2 + 0.5) / 4 = 0.625, y = (1 + 0.25) / 2 = 0.625 */
    ck_assert_float_eq_tol(d[0].xmin, 0.375f, 1e-6f);
    ck_assert_float_eq_tol(d[0].xmax, 0.875f, 1e-6f);
    ck_assert_float_eq_tol(d[0].ymin, 0.5f, 1e-6f);
    ck_assert_float_eq_tol(d[0].ymax, 0.75f, 1e-6f);
    /* a higher threshold drops it */
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.61f, 0.5, d), 0);
}
END_TEST

START_TEST(loss_is_bce_plus_ce_plus_l1_over_the_positives)
{
    enum { C = 3, H = 2, W = 2, HW = H * W, F = 2, N = 2 };
    sg_params ps = {0};
    sg_grid_head h;
    ck_assert_int_eq(sg_grid_head_init(&h, &ps, F, C, 4, 3), SG_OK);
    ck_assert_int_eq(sg_grid_head_channels(&h), 8);
    sg_graph *g = sg_graph_new();
    float feat[N * F * HW];
    for (int i = 0; i < N * F * HW; i++) feat[i] = sinf(0.7f * (float)i);
    sg_tensor *out = sg_grid_head_forward(g, &h, sg_graph_tensor_from(g, 4, (int64_t[]){N, F, H, W}, feat));
    ck_assert_ptr_nonnull(out);
    float obj[N * HW], box[N * 4 * HW], mask[N * 4 * HW];
    int32_t cls[N * HW];
    const sg_det_box b0[1] = {{.label = 2, .xmin = 0.1f, .xmax = 0.4f, .ymin = 0.6f, .ymax = 0.9f}};
    const sg_det_box b1[2] = {{.label = 0, .xmin = 0.5f, .xmax = 1.0f, .ymin = 0.0f, .ymax = 0.5f},
                              {.label = 1, .xmin = 0.0f, .xmax = 0.2f, .ymin = 0.0f, .ymax = 0.2f}};
    int P = sg_grid_head_assign(H, W, b0, 1, obj, cls, box, mask);
    P += sg_grid_head_assign(H, W, b1, 2, obj + HW, cls + HW, box + 4 * HW, mask + 4 * HW);
    ck_assert_int_eq(P, 3);
    sg_tensor *loss = sg_grid_head_loss(g, &h, out, obj, cls, box, mask, P);
    ck_assert_ptr_nonnull(loss);
    double bce = 0, ce = 0, l1 = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < HW; c++) {
            const float *o = out->data + (size_t)n * 8 * HW + c;
            double z = o[0], y = obj[n * HW + c];
            bce += fmax(z, 0) - z * y + log1p(exp(-fabs(z)));
            if (y == 0) continue;
            double m = -INFINITY, s = 0;
            for (int k = 0; k < C; k++) m = fmax(m, o[(1 + k) * HW]);
            for (int k = 0; k < C; k++) s += exp(o[(1 + k) * HW] - m);
            ce += -(o[(1 + cls[n * HW + c]) * HW] - m - log(s));
            const float *t = box + (size_t)n * 4 * HW + c;
            l1 += fabs(1 / (1 + exp(-o[(1 + C) * HW])) - t[0]) + fabs(1 / (1 + exp(-o[(2 + C) * HW])) - t[HW]) +
                  fabs(o[(3 + C) * HW] - t[2 * HW]) + fabs(o[(4 + C) * HW] - t[3 * HW]);
        }
    double want = (bce + ce + SG_GRID_BOX_WEIGHT * l1) / P;
    printf("  loss %.7f, by hand (BCE %.5f + CE %.5f + L1 %.5f) / %d = %.7f\n", loss->data[0], bce, ce, l1, P,
           want);
    ck_assert_double_eq_tol(loss->data[0], want, 1e-5);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

START_TEST(head_learns_fixed_features_to_map_1)
{
    /* 4 images, 2 x 2 grid, one box each in a different cell; the features are
     * a one-hot of the image (constant over the map) so the head can tell them
     * apart. Adam on the head alone; then decode + VOC mAP. */
    enum { C = 2, H = 2, W = 2, HW = H * W, N = 4, F = 4 };
    sg_params ps = {0};
    sg_grid_head h;
    ck_assert_int_eq(sg_grid_head_init(&h, &ps, F, C, 16, 5), SG_OK);
    float feat[N * F * HW] = {0};
    for (int n = 0; n < N; n++)
        for (int c = 0; c < HW; c++) feat[(n * F + n) * HW + c] = 1.0f;
    sg_det_box gt[N];
    float obj[N * HW], box[N * 4 * HW], mask[N * 4 * HW];
    int32_t cls[N * HW];
    int P = 0;
    for (int n = 0; n < N; n++) {
        float x = 0.5f * (float)(n % 2), y = 0.5f * (float)(n / 2);
        gt[n] = (sg_det_box){.image = n, .label = n % C, .xmin = x + 0.05f, .xmax = x + 0.4f,
                             .ymin = y + 0.1f, .ymax = y + 0.35f};
        P += sg_grid_head_assign(H, W, &gt[n], 1, obj + n * HW, cls + n * HW, box + n * 4 * HW,
                                 mask + n * 4 * HW);
    }
    sg_adam_opts ao = sg_adam_defaults();
    ao.lr = 0.02;
    sg_optimizer *opt = sg_adam_new(&ao);
    sg_graph *g = sg_graph_new();
    float first = 0, last = 0;
    for (int step = 0; step < 400; step++) {
        sg_graph_reset(g);
        sg_params_zero_grad(&ps);
        sg_tensor *out = sg_grid_head_forward(g, &h, sg_graph_tensor_from(g, 4, (int64_t[]){N, F, H, W}, feat));
        sg_tensor *loss = sg_grid_head_loss(g, &h, out, obj, cls, box, mask, P);
        ck_assert_ptr_nonnull(loss);
        if (step == 0) first = loss->data[0];
        last = loss->data[0];
        ck_assert_int_eq(sg_graph_backward(g, loss), SG_OK);
        ck_assert_int_eq(sg_optimizer_step(opt, &ps), SG_OK);
    }
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *out = sg_grid_head_forward(g, &h, sg_graph_tensor_from(g, 4, (int64_t[]){N, F, H, W}, feat));
    sg_det_box det[N * HW];
    int nd = 0;
    for (int n = 0; n < N; n++)
        nd += sg_grid_head_decode(C, out->data + n * (5 + C) * HW, H, W, n, 0.05f, 0.5, det + nd);
    double map_all, map_11;
    ck_assert_int_eq(sg_voc_map(gt, N, det, nd, C, 0.5, false, &map_all, &map_11, NULL, NULL), SG_OK);
    double iou = 0;
    for (int i = 0; i < nd; i++)
        if (det[i].score > 0.5f) iou += sg_box_iou(&det[i], &gt[det[i].image], false) / N;
    printf("  loss %.4f -> %.4f after 400 steps; %d detections, mAP@0.5 %.3f, mean IoU of the sure ones %.3f\n",
           first, last, nd, map_all, iou);
    ck_assert(last < 0.05f * first);
    ck_assert_double_eq_tol(map_all, 1.0, 1e-12);
    ck_assert(iou > 0.95);
    sg_optimizer_free(opt);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

static Suite *gridhead_suite(void)
{
    Suite *s = suite_create("gridhead");
    SG_ADD_TEST(s, a_centre_on_a_cell_edge_goes_to_the_cell_right_of_and_below_it, 10);
    SG_ADD_TEST(s, two_boxes_in_one_cell_the_larger_keeps_it, 10);
    SG_ADD_TEST(s, nms_keeps_the_higher_score_per_image_and_class, 10);
    SG_ADD_TEST(s, decode_makes_boxes_from_cells_and_suppresses_duplicates, 10);
    SG_ADD_TEST(s, loss_is_bce_plus_ce_plus_l1_over_the_positives, 10);
    SG_ADD_TEST(s, head_learns_fixed_features_to_map_1, 60);
    return s;
}

SG_TEST_MAIN(gridhead_suite)

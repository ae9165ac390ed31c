/* tests/test_gridhead.c - the dense detection head (models/gridhead.h) and
 * NMS (interp/detection.h): target assignment on hand-made boxes (a centre
 * on a cell edge, two boxes in one cell), the loss against a hand
 * computation, decoding of a hand-made output, NMS keeping the higher score,
 * the head learning fixed features to mAP 1; `steelgrad detect --head grid`
 * and `steelgrad detect predict` (the drawn outline where the JSON says). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/json.h"
#include "data/image.h"
#include "models/gridhead.h"
#include "optim/optim.h"
#include "tests/testfiles.h"
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
    ck_assert_int_eq(sg_grid_head_assign(H, W, b, 2, false, obj, cls, box, mask), 2);
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
    ck_assert_int_eq(sg_grid_head_assign(H, W, b, 3, false, obj, cls, box, mask), 1);
    ck_assert_int_eq(cls[0], 2);
    ck_assert_float_eq_tol(box[0], 0.4f, 1e-6f);
    ck_assert_float_eq_tol(box[2 * HW], logf(0.4f), 1e-6f);
    ck_assert_int_eq(cls[1], SG_GRID_IGNORE);
}
END_TEST

START_TEST(with_neighbours_a_box_also_claims_the_nearer_cell_across_each_axis)
{
    enum { H = 4, W = 4, HW = H * W };
    float obj[HW], box[4 * HW], mask[4 * HW];
    int32_t cls[HW];
    /* A: centre (2.0, 1.0) in cells, on the edges: centre cell (1, 2), neighbours
     * (1, 1) (left: cx - j = 0 < 0.5) and (0, 2) (above). B: a small box whose
     * centre cell is (1, 1): a centre cell is never a neighbour's. C: centre in
     * the last column's right half: its right neighbour is outside, only the one
     * below (cy in the lower half of row 2). B claims its lower neighbour (2, 1)
     * (cy - i = 0.5: the lower half) but not its right one, A's centre cell. */
    const sg_det_box b[3] = {{.label = 3, .xmin = 0.25f, .xmax = 0.75f, .ymin = 0.0f, .ymax = 0.5f},
                             {.label = 1, .xmin = 0.35f, .xmax = 0.4f, .ymin = 0.35f, .ymax = 0.4f},
                             {.label = 0, .xmin = 0.9f, .xmax = 1.0f, .ymin = 0.65f, .ymax = 0.75f}};
    ck_assert_int_eq(sg_grid_head_assign(H, W, b, 3, true, obj, cls, box, mask), 6);
    int a = 1 * W + 2, left = 1 * W + 1, up = 0 * W + 2, c = 2 * W + 3, below = 3 * W + 3;
    ck_assert_int_eq(cls[a], 3);
    ck_assert_int_eq(cls[up], 3);
    ck_assert_float_eq_tol(box[up], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(box[HW + up], 1.0f, 1e-6f);      /* cy H - i = 1 - 0 */
    ck_assert_int_eq(cls[left], 1);                          /* B's centre cell */
    ck_assert_int_eq(cls[2 * W + 1], 1);
    ck_assert_float_eq_tol(box[left], 0.5f, 1e-6f);
    ck_assert_int_eq(cls[c], 0);
    ck_assert_int_eq(cls[below], 0);
    ck_assert_float_eq_tol(box[HW + below], 2.8f - 3.0f, 1e-5f);   /* cy H = 2.8, row 3 */
    int positives = 0;
    for (int k = 0; k < HW; k++) positives += obj[k] == 1.0f;
    ck_assert_int_eq(positives, 6);
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
    out[(2 + C) * HW + cell] = logit(0.375);   /* 2 sigmoid - 0.5 = 0.25 */
    out[(3 + C) * HW + cell] = (float)log(0.5);
    out[(4 + C) * HW + cell] = (float)log(0.25);
    /* its neighbour (1, 3) sees a box of the same size further right */
    int nb = cell + 1;
    out[nb] = logit(0.7);
    out[(1 + 1) * HW + nb] = (float)log(3.0);
    out[(1 + C) * HW + nb] = logit(0.46875);   /* centre x (3 + 0.4375) / 4: x 0.609 .. 1 (clamped) */
    out[(2 + C) * HW + nb] = logit(0.375);
    out[(3 + C) * HW + nb] = (float)log(0.5);
    out[(4 + C) * HW + nb] = (float)log(0.25);
    sg_det_box d[HW];
    /* without NMS (threshold 1.01 never suppresses): two boxes */
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.5f, 1.01, d), 2);
    ck_assert_int_eq(sg_grid_head_decode(C, out, H, W, 7, 0.5f, 0.5, d), 2);   /* IoU 0.425: both */
    /* centre x (3 + 0.05) / 4: x 0.5125 .. 1, IoU 0.3625 / 0.625 = 0.58 > 0.5: suppressed */
    out[(1 + C) * HW + nb] = logit(0.275);
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
    int P = sg_grid_head_assign(H, W, b0, 1, true, obj, cls, box, mask);
    P += sg_grid_head_assign(H, W, b1, 2, true, obj + HW, cls + HW, box + 4 * HW, mask + 4 * HW);
    ck_assert_int_ge(P, 3);
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
            l1 += fabs(2 / (1 + exp(-o[(1 + C) * HW])) - 0.5 - t[0]) + fabs(2 / (1 + exp(-o[(2 + C) * HW])) - 0.5 - t[HW]) +
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
        P += sg_grid_head_assign(H, W, &gt[n], 1, true, obj + n * HW, cls + n * HW, box + n * 4 * HW,
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
    ck_assert(iou > 0.9);
    sg_optimizer_free(opt);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST


/* The JSON line of `detect predict` for one image out of its log (stdout and
 * stderr together): the first line starting with '{'. */
static sg_json *first_json_line(const char *log_path)
{
    char *text = sg_test_slurp(log_path);
    char *line = text[0] == '{' ? text : strstr(text, "\n{");
    ck_assert_msg(line, "no JSON line in:\n%s", text);
    if (*line == '\n') line++;
    char *end = strchr(line, '\n');
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(line, end ? (size_t)(end - line) : strlen(line), log_path, &j), SG_OK);
    free(text);
    return j;
}

static int64_t int_of(const sg_json *o, const char *key)
{
    int64_t v = -1;
    ck_assert_msg(sg_json_int64(sg_json_get(o, key), &v), "no integer '%s'", key);
    return v;
}

/* Every outline pixel of box b in the PNG has colour #rrggbb. */
static void expect_outline(const sg_image *img, const sg_json *b)
{
    int x0 = (int)int_of(b, "xmin"), y0 = (int)int_of(b, "ymin"), x1 = (int)int_of(b, "xmax"),
        y1 = (int)int_of(b, "ymax");
    unsigned r, g, bl;
    ck_assert_int_eq(sscanf(sg_json_string(sg_json_get(b, "color"), ""), "#%02x%02x%02x", &r, &g, &bl), 3);
    ck_assert(0 <= x0 && x0 <= x1 && x1 < img->width && 0 <= y0 && y0 <= y1 && y1 < img->height);
    const uint8_t *p = img->pixels;
    int n = 0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            if (x != x0 && x != x1 && y != y0 && y != y1) continue;
            const uint8_t *q = p + ((size_t)y * img->width + x) * 3;
            ck_assert_msg(q[0] == r && q[1] == g && q[2] == bl, "pixel (%d, %d) is %d,%d,%d, the box's colour %s",
                          x, y, q[0], q[1], q[2], sg_json_string(sg_json_get(b, "color"), ""));
            n++;
        }
    printf("  box (%d, %d)-(%d, %d) %s: %d outline pixels in its colour\n", x0, y0, x1, y1,
           sg_json_string(sg_json_get(b, "class"), ""), n);
}

START_TEST(detect_grid_trains_and_predict_draws_the_boxes_it_prints)
{
    const char *dir = sg_test_tmpdir();
    char args[4096], img_path[1024], png_path[1024];
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 10 --size 32", dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "synth.log")), 0);
    snprintf(args, sizeof args, "detect --data %s/synth --model cnn --size 32 --epochs 2 --head grid --hflip --schedule cosine "
             "--batch 8 --quiet -o %s/grid", dir, dir);
    const char *log = sg_test_path(dir, "detect.log");
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 0);
    sg_test_expect_file_contains(log, "\"test_detections\":");
    sg_test_expect_file_contains(sg_test_path(dir, "grid/metrics.json"), "\"head\":\"grid\",\"grid\":[2,2]");
    /* metrics.json is JSON: its per-class APs parse, one per class, each in [0, 1] or null. */
    char *mj = sg_test_slurp(sg_test_path(dir, "grid/metrics.json"));
    sg_json *m = NULL;
    ck_assert_msg(sg_json_parse(mj, strlen(mj), "metrics.json", &m) == SG_OK, "%s", sg_error_message());
    const sg_json *ap = sg_json_get(m, "test_ap50");
    ck_assert_int_eq(sg_json_count(ap), 7);
    double map = sg_json_number(sg_json_get(m, "test_map50"), -1);
    ck_assert(map >= 0 && map <= 1);
    sg_json_free(m);
    free(mj);
    /* threshold 0: every cell that survives NMS is drawn */
    snprintf(img_path, sizeof img_path, "%s/synth/images/scratches/scratches_3.png", dir);
    snprintf(args, sizeof args, "detect predict --weights %s/grid/weights.safetensors --threshold 0 -o %s/pred %s",
             dir, dir, img_path);
    log = sg_test_path(dir, "predict.log");
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 0);
    sg_json *j = first_json_line(log);
    snprintf(png_path, sizeof png_path, "%s/pred/0_scratches_3.png", dir);
    ck_assert_str_eq(sg_json_string(sg_json_get(j, "png"), ""), png_path);
    sg_image img;
    ck_assert_int_eq(sg_image_read(png_path, NULL, &img), SG_OK);
    ck_assert_int_eq(img.channels, 3);
    ck_assert_int_eq(int_of(j, "width"), img.width);
    ck_assert_int_eq(int_of(j, "height"), img.height);
    const sg_json *boxes = sg_json_get(j, "boxes");
    ck_assert_int_ge(sg_json_count(boxes), 1);
    /* the best box is drawn last: its whole outline is there */
    expect_outline(&img, sg_json_at(boxes, 0));
    for (int k = 1; k < sg_json_count(boxes); k++)   /* highest score first */
        ck_assert(sg_json_number(sg_json_get(sg_json_at(boxes, k), "score"), 2) <=
                  sg_json_number(sg_json_get(sg_json_at(boxes, k - 1), "score"), -1));
    sg_image_free(&img);
    sg_json_free(j);

    /* paper 002's slot heads predict too (the metadata rebuilds them, a wider backbone too) */
    snprintf(args, sizeof args, "detect --data %s/synth --model cnn --width-mult 2 --size 32 --epochs 1 --slots 3 --batch 8 --quiet "
             "-o %s/slots", dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, sg_test_path(dir, "slots.log")), 0);
    snprintf(args, sizeof args, "detect predict --weights %s/slots/weights.safetensors --threshold 0 -o %s/pred2 %s",
             dir, dir, img_path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 0);
    j = first_json_line(log);
    snprintf(png_path, sizeof png_path, "%s/pred2/0_scratches_3.png", dir);
    ck_assert_int_eq(sg_image_read(png_path, NULL, &img), SG_OK);
    boxes = sg_json_get(j, "boxes");
    if (sg_json_count(boxes) > 0) expect_outline(&img, sg_json_at(boxes, 0));
    sg_image_free(&img);
    sg_json_free(j);

    /* bad input: one line naming the file, exit 1; a missing option, exit 2 */
    snprintf(args, sizeof args, "detect predict --weights %s/none.safetensors -o %s/p3 %s", dir, dir, img_path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 1);
    sg_test_expect_file_contains(log, "none.safetensors");
    char *text = sg_test_slurp(log);
    ck_assert_msg(strchr(text, '\n') == text + strlen(text) - 1, "more than one line:\n%s", text);
    free(text);
    sg_params ps = {0};
    ck_assert_ptr_nonnull(sg_params_add(&ps, "w", 1, (int64_t[]){2}));
    char other[1024];
    snprintf(other, sizeof other, "%s/other.safetensors", dir);
    ck_assert_int_eq(sg_params_save(&ps, other, NULL, 0), SG_OK);
    sg_params_free(&ps);
    snprintf(args, sizeof args, "detect predict --weights %s -o %s/p3 %s", other, dir, img_path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 1);
    sg_test_expect_file_contains(log, "other.safetensors: not a checkpoint of `steelgrad detect`");
    snprintf(args, sizeof args, "detect predict --weights %s/grid/weights.safetensors -o %s/p4 %s/missing.png %s", dir,
             dir, dir, img_path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 1);   /* the readable one is still done */
    sg_test_expect_file_contains(log, "missing.png");
    ck_assert(sg_test_file_exists(sg_test_path(dir, "p4/1_scratches_3.png")));
    snprintf(args, sizeof args, "detect predict -o %s/p5 %s", dir, img_path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, log), 2);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *gridhead_suite(void)
{
    Suite *s = suite_create("gridhead");
    SG_ADD_TEST(s, a_centre_on_a_cell_edge_goes_to_the_cell_right_of_and_below_it, 10);
    SG_ADD_TEST(s, two_boxes_in_one_cell_the_larger_keeps_it, 10);
    SG_ADD_TEST(s, with_neighbours_a_box_also_claims_the_nearer_cell_across_each_axis, 10);
    SG_ADD_TEST(s, nms_keeps_the_higher_score_per_image_and_class, 10);
    SG_ADD_TEST(s, decode_makes_boxes_from_cells_and_suppresses_duplicates, 10);
    SG_ADD_TEST(s, loss_is_bce_plus_ce_plus_l1_over_the_positives, 10);
    SG_ADD_TEST(s, head_learns_fixed_features_to_map_1, 60);
    SG_ADD_TEST(s, detect_grid_trains_and_predict_draws_the_boxes_it_prints, 120);
    return s;
}

SG_TEST_MAIN(gridhead_suite)

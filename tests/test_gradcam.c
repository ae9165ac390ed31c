/* tests/test_gradcam.c - named layers (graph taps) and Grad-CAM / Grad-CAM++
 * against pytorch-grad-cam (tests/golden/gen_gradcam.py: the same weights by
 * the rule of tests/modelrule.h, the same input, maps within 1e-4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/npy.h"
#include "interp/gradcam.h"
#include "layers/reduce.h"
#include "models/zoo.h"
#include "tests/modelrule.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

enum { SIZE = 64, CLASSES = 10 };

static sg_model build(const char *name, int channels, int size)
{
    sg_model_options o = sg_model_options_defaults(CLASSES);
    o.in_channels = channels;
    o.image_size = size;
    sg_model m;
    ck_assert_msg(sg_model_build(&m, name, &o, 1) == SG_OK, "%s: %s", name, sg_error_message());
    return m;
}

START_TEST(tap_returns_the_named_module_output_and_its_gradient)
{
    /* cnn features.3 is block 0 after its max pool: [1, 8, 32, 32]; its
     * gradient is kept (retain) and the forward's logits do not change. */
    sg_model m = build("cnn", 1, SIZE);
    sg_test_model_rule(m.params);
    float x[SIZE * SIZE];
    sg_test_model_rule_input(x, SIZE * SIZE);
    int64_t shape[4] = {1, 1, SIZE, SIZE};
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_tensor *in = sg_graph_tensor_from(g, 4, shape, x);
    sg_tensor *plain = sg_model_forward(g, &m, in);
    float want[CLASSES];
    memcpy(want, plain->data, sizeof want);
    sg_graph_reset(g);
    sg_tensor *a = NULL, *b = NULL;
    ck_assert_int_eq(sg_graph_set_tap(g, "features.3", &a, true), SG_OK);
    ck_assert_int_eq(sg_graph_set_tap(g, "features.15", &b, false), SG_OK);
    in = sg_graph_tensor_from(g, 4, shape, x);
    sg_tensor *y = sg_model_forward(g, &m, in);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(a->ndim == 4 && a->shape[1] == 8 && a->shape[2] == 32 && a->shape[3] == 32,
                  "features.3: expected [1, 8, 32, 32]");
    ck_assert_msg(b->shape[1] == 64 && b->shape[2] == 4, "features.15: expected [1, 64, 4, 4]");
    SG_ASSERT_CLOSE("logits with taps", want, y->data, CLASSES, 0, 0);
    ck_assert_int_eq(sg_graph_backward(g, sg_sum_all(g, y)), SG_OK);
    ck_assert_ptr_nonnull(a->grad);
    double s = 0;
    for (int64_t i = 0; i < a->numel; i++) s += fabs(a->grad[i]);
    printf("features.3 grad L1 %g\n", s);
    ck_assert_msg(s > 0, "features.3: its gradient is all zero");
    sg_graph_free(g);
    sg_model_free(&m);
}
END_TEST

START_TEST(every_model_lists_its_reference_layer_names)
{
    static const struct { const char *model; int size; const char *names[4]; } CASES[] = {
        {"cnn", 64, {"features.0", "features.14", "features.15", "classifier"}},
        {"cnn002", 64, {"features.0", "features.11", NULL}},
        {"resnet18", 32, {"conv1", "layer1.0", "layer4", "fc"}},
        {"mobilenetv2", 32, {"features.0", "features.17", "features.18", NULL}},
        {"resnetv2_50", 32, {"stem.conv", "stages.0.blocks.2", "stages.3", "norm"}},
        {"inceptionv3", 75, {"Conv2d_1a_3x3", "maxpool2", "Mixed_6e", "Mixed_7c"}},
    };
    char list[8192];
    sg_graph *g = sg_graph_new();
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        sg_model m = build(CASES[c].model, 3, CASES[c].size);
        ck_assert_int_eq(sg_model_layers(&m, g, list, sizeof list), SG_OK);
        printf("%s: %s\n", CASES[c].model, list);
        for (int k = 0; k < 4 && CASES[c].names[k]; k++)
            ck_assert_int_eq(sg_model_check_layer(&m, g, CASES[c].names[k]), SG_OK);
        ck_assert_int_eq(sg_model_check_layer(&m, g, m.def->default_layer), SG_OK);
        sg_test_expect_code(sg_model_check_layer(&m, g, "layer9"), SG_ERR_INVALID, "no layer 'layer9'",
                            CASES[c].names[0]);
        /* a prefix of a name is not a name */
        sg_test_expect_code(sg_model_check_layer(&m, g, "feature"), SG_ERR_INVALID, "no layer", "");
        sg_model_free(&m);
    }
    sg_graph_free(g);
}
END_TEST

/* Each line of gradcam_<model>.txt against the stacked maps of the .npy. */
static void golden_maps(const char *model, int channels)
{
    char path[512];
    snprintf(path, sizeof path, "%s/gradcam_%s.npy", sg_test_golden_dir(), model);
    sg_npy ref;
    ck_assert_msg(sg_npy_read(path, &ref) == SG_OK, "%s", sg_error_message());
    snprintf(path, sizeof path, "%s/gradcam_%s.txt", sg_test_golden_dir(), model);
    char *text = sg_test_slurp(path);
    ck_assert_ptr_nonnull(text);
    sg_model m = build(model, channels, SIZE);
    sg_test_model_rule(m.params);
    float *x = malloc((size_t)channels * SIZE * SIZE * sizeof *x);
    float map[SIZE * SIZE];
    sg_test_model_rule_input(x, (int64_t)channels * SIZE * SIZE);
    sg_graph *g = sg_graph_new();
    char *line = text;
    for (int c = 0; c < ref.shape[0]; c++) {
        char layer[64], method[16];
        int target, explained, predicted;
        ck_assert_int_eq(sscanf(line, "%63s %15s %d %d %d", layer, method, &target, &explained,
                                &predicted), 5);
        line = strchr(line, '\n') + 1;
        sg_cam_result r;
        sg_err err = sg_gradcam(g, &m, x, channels, SIZE, SIZE, sg_cam_method_from_name(method),
                                target, layer, map, &r);
        ck_assert_msg(err == SG_OK, "%s", sg_error_message());
        char what[128];
        snprintf(what, sizeof what, "%s %s %s class %d", model, layer, method, explained);
        ck_assert_int_eq(r.target, explained);
        ck_assert_int_eq(r.predicted, predicted);
        SG_ASSERT_CLOSE(what, ref.data + (int64_t)c * SIZE * SIZE, map, SIZE * SIZE, 1e-4, 0);
    }
    sg_graph_free(g);
    free(x);
    free(text);
    sg_npy_free(&ref);
    sg_model_free(&m);
}

START_TEST(resnet18_gradcam_matches_pytorch_grad_cam) { golden_maps("resnet18", 3); }
END_TEST

START_TEST(cnn_gradcam_matches_pytorch_grad_cam) { golden_maps("cnn", 1); }
END_TEST

START_TEST(gradcam_refuses_an_unknown_layer_listing_the_layers)
{
    sg_model m = build("cnn", 1, SIZE);
    float x[SIZE * SIZE] = {0}, map[SIZE * SIZE];
    sg_graph *g = sg_graph_new();
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, -1, "layer4", map, NULL),
                        SG_ERR_INVALID, "no layer 'layer4'", "features.15");
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, -1, "classifier", map, NULL),
                        SG_ERR_SHAPE, "classifier", "feature map");
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, CLASSES, NULL, map, NULL),
                        SG_ERR_INVALID, "class 10", "0..9");
    /* the default layer works, and the parameters get no gradient */
    ck_assert_int_eq(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM_PP, -1, NULL, map, NULL), SG_OK);
    for (int i = 0; i < m.params->count; i++) {
        const sg_param *p = m.params->items[i];
        ck_assert_msg(p->buffer || p->t.requires_grad, "%s: requires_grad not restored", p->name);
    }
    sg_graph_free(g);
    sg_model_free(&m);
}
END_TEST

/* Several target layers: the map is norm(mean over layers of
 * resize(norm(relu(sum_k w_k A_k)))), as pytorch-grad-cam's
 * aggregate_multi_layers, rebuilt here from the tapped activations and
 * gradients of one forward and one backward (the resize and norm steps are
 * checked against cv2 and pytorch-grad-cam above). */
START_TEST(gradcam_of_several_layers_is_the_mean_of_their_scaled_maps)
{
    sg_model m = build("cnn", 1, SIZE);
    sg_test_model_rule(m.params);
    float x[SIZE * SIZE], map[SIZE * SIZE], single[SIZE * SIZE], want[SIZE * SIZE] = {0};
    sg_test_model_rule_input(x, SIZE * SIZE);
    const char *names[2] = {"features.10", "features.14"};
    const int target = 3;
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_tensor *A[2] = {NULL, NULL};
    for (int l = 0; l < 2; l++) ck_assert_int_eq(sg_graph_set_tap(g, names[l], &A[l], true), SG_OK);
    sg_tensor *in = sg_graph_tensor_from(g, 4, (int64_t[]){1, 1, SIZE, SIZE}, x);
    sg_tensor *logits = sg_model_forward(g, &m, in);
    ck_assert_ptr_nonnull(logits);
    float seed[CLASSES] = {0};
    seed[target] = 1.0f;
    ck_assert_int_eq(sg_graph_backward_from(g, logits, seed), SG_OK);
    for (int l = 0; l < 2; l++) {
        int64_t K = A[l]->shape[1], h = A[l]->shape[2], w = A[l]->shape[3], n = h * w;
        float *cam = calloc((size_t)n, sizeof *cam), up[SIZE * SIZE];
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++) {
                double wk = 0;
                for (int64_t j = 0; j < n; j++) wk += A[l]->grad[k * n + j];
                s += wk / (double)n * A[l]->data[k * n + i];
            }
            cam[i] = s > 0 ? (float)s : 0.0f;
        }
        sg_cam_normalize(cam, n);
        sg_cam_resize_bilinear(cam, (int)h, (int)w, up, SIZE, SIZE);
        for (int i = 0; i < SIZE * SIZE; i++) want[i] += up[i] / 2.0f;
        free(cam);
    }
    sg_cam_normalize(want, SIZE * SIZE);
    sg_graph_clear_taps(g);
    sg_graph_reset(g);
    sg_cam_result r;
    ck_assert_msg(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, target, "features.10,features.14",
                             map, &r) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(r.layer_h, SIZE / 4);   /* the first layer's grid (block 2 ReLU) */
    SG_ASSERT_CLOSE("features.10,features.14", want, map, SIZE * SIZE, 1e-6, 0);
    /* one layer named twice is that layer alone, to the bit */
    ck_assert_int_eq(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, target, "features.14", single, NULL), SG_OK);
    ck_assert_int_eq(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, target, "features.14,features.14", map,
                                NULL), SG_OK);
    ck_assert_msg(memcmp(single, map, sizeof map) == 0, "features.14 twice differs from features.14");
    /* and the two-layer map is neither single map */
    ck_assert_msg(memcmp(single, want, sizeof want) != 0, "the second layer changed nothing");
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, -1, "features.14,layer4", map, NULL),
                        SG_ERR_INVALID, "no layer 'layer4'", NULL);
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, -1, "features.14,", map, NULL),
                        SG_ERR_INVALID, "1 to 4 names", NULL);
    sg_test_expect_code(sg_gradcam(g, &m, x, 1, SIZE, SIZE, SG_CAM_GRADCAM, -1,
                                   "features.2,features.6,features.10,features.14,features.15", map, NULL),
                        SG_ERR_INVALID, "1 to 4 names", NULL);
    sg_graph_free(g);
    sg_model_free(&m);
}
END_TEST

START_TEST(resize_matches_cv2_linear_on_a_known_grid)
{
    /* cv2.resize(np.float32([[0, 1], [2, 3]]), (4, 4)) */
    const float src[4] = {0, 1, 2, 3};
    const float want[16] = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f,
                            1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
    float got[16];
    sg_cam_resize_bilinear(src, 2, 2, got, 4, 4);
    SG_ASSERT_CLOSE("2x2 -> 4x4", want, got, 16, 1e-7, 0);
}
END_TEST

static Suite *gradcam_suite(void)
{
    Suite *s = suite_create("gradcam");
    SG_ADD_TEST(s, tap_returns_the_named_module_output_and_its_gradient, 30);
    SG_ADD_TEST(s, every_model_lists_its_reference_layer_names, 60);
    SG_ADD_TEST(s, resnet18_gradcam_matches_pytorch_grad_cam, 60);
    SG_ADD_TEST(s, cnn_gradcam_matches_pytorch_grad_cam, 30);
    SG_ADD_TEST(s, gradcam_refuses_an_unknown_layer_listing_the_layers, 30);
    SG_ADD_TEST(s, gradcam_of_several_layers_is_the_mean_of_their_scaled_maps, 30);
    SG_ADD_TEST(s, resize_matches_cv2_linear_on_a_known_grid, 10);
    return s;
}

SG_TEST_MAIN(gradcam_suite)

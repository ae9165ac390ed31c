/* tests/test_models.c - the model zoo (models/zoo.h) against torchvision and
 * timm: parameter counts, parameter names and shapes, eval-mode logits, the
 * papers' heads, and loading an RGB checkpoint into a gray model.
 *
 * Golden files come from tests/golden/gen_models.py: for each model the
 * reference's state_dict names and shapes (models_<name>_keys.txt) and its
 * eval-mode logits (models_<name>_logits.npy) with every parameter and buffer
 * set by a rule both sides compute (tests/modelrule.h; the script's docstring
 * states it too), on an input [2, C, S, S] made by the same rule. Tolerance: 1e-4
 * of the largest |logit| (torch's own float32 logits are within ~1e-5 of that
 * scale of its float64 ones, which are the reference); the largest difference
 * is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/npy.h"
#include "layers/conv.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "models/heads.h"
#include "models/zoo.h"
#include "tests/modelrule.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define LOGIT_TOL 1e-4   /* per unit of max |expected logit| */

/* The rule's weights and input (tests/modelrule.h). */
static void models_rule(sg_model *m) { sg_test_model_rule(m->params); }
static void rule_input(float *x, int64_t n) { sg_test_model_rule_input(x, n); }

static const char *golden_file(const char *name, const char *suffix)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/models_%s_%s", sg_test_golden_dir(), name, suffix);
    return path;
}

static sg_model build(const char *name, sg_model_options o)
{
    sg_model m;
    sg_err err = sg_model_build(&m, name, &o, 1);
    ck_assert_msg(err == SG_OK, "building %s: %s", name, sg_error_message());
    return m;
}

/* Every line "<name> <d0>x<d1>..." of the keys file is a parameter of m with
 * that shape, and m has no other. */
static void expect_reference_names(sg_model *m, const char *golden)
{
    char *text = sg_test_slurp(golden_file(golden, "keys.txt"));
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        char *space = strchr(line, ' ');
        ck_assert_ptr_nonnull(space);
        *space = '\0';
        sg_param *p = sg_params_find(m->params, line);
        ck_assert_msg(p != NULL, "%s: the reference has '%s', the model does not", golden, line);
        char shape[96] = "", *at = shape;
        for (int d = 0; d < p->t.ndim; d++)
            at += snprintf(at, sizeof shape - (size_t)(at - shape), d ? "x%lld" : "%lld",
                           (long long)p->t.shape[d]);
        if (p->t.ndim == 0) strcpy(shape, "scalar");
        ck_assert_msg(!strcmp(shape, space + 1), "%s: '%s' is %s in the reference, %s here",
                      golden, line, space + 1, shape);
    }
    ck_assert_msg(lines == m->params->count, "%s: the reference has %d tensors, the model %d",
                  golden, lines, m->params->count);
    free(text);
}

/* The golden comparison: names, rule weights, eval forward, logits. */
static void expect_reference_logits(const char *golden, const char *model,
                                    sg_model_options o, int size)
{
    sg_model m = build(model, o);
    expect_reference_names(&m, golden);
    models_rule(&m);
    sg_npy ref;
    ck_assert_msg(sg_npy_read(golden_file(golden, "logits.npy"), &ref) == SG_OK, "%s",
                  sg_error_message());
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, m.opts.in_channels, size, size});
    rule_input(x->data, x->numel);
    sg_tensor *y = sg_model_forward(g, &m, x);
    ck_assert_msg(y != NULL, "%s: %s", golden, sg_graph_error_message(g));
    ck_assert_int_eq(y->ndim, 2);
    ck_assert_int_eq(y->shape[0], ref.shape[0]);
    ck_assert_int_eq(y->shape[1], ref.shape[1]);
    double scale = 0, worst = 0;
    for (int64_t i = 0; i < ref.numel; i++) scale = fmax(scale, fabs(ref.data[i]));
    for (int64_t i = 0; i < ref.numel; i++) worst = fmax(worst, fabs(ref.data[i] - y->data[i]));
    printf("%-16s logits vs reference: max |diff| %.3g, max |logit| %.4g, relative %.2g (tolerance %g)\n",
           golden, worst, scale, worst / scale, LOGIT_TOL);
    ck_assert_msg(scale > 0 && worst <= LOGIT_TOL * scale,
                  "%s: max |diff| %g, expected <= %g (= %g x max |logit| %g)", golden, worst,
                  LOGIT_TOL * scale, LOGIT_TOL, scale);
    sg_graph_free(g);
    sg_npy_free(&ref);
    sg_model_free(&m);
}

static sg_model_options opts_k(int classes) { return sg_model_options_defaults(classes); }

START_TEST(resnet50_logits_match_torchvision)
{
    expect_reference_logits("resnet50", "resnet50", opts_k(10), 64);
}
END_TEST

START_TEST(resnet18_logits_match_torchvision)
{
    expect_reference_logits("resnet18", "resnet18", opts_k(10), 64);
}
END_TEST

START_TEST(resnetv2_50_logits_match_timm)
{
    expect_reference_logits("resnetv2_50", "resnetv2_50", opts_k(10), 64);
}
END_TEST

START_TEST(inceptionv3_logits_match_torchvision)
{
    sg_model_options o = opts_k(10);
    o.aux_logits = true;   /* its parameters exist; eval mode does not run it */
    expect_reference_logits("inceptionv3", "inceptionv3", o, 75);
}
END_TEST

START_TEST(mobilenetv2_logits_match_torchvision)
{
    expect_reference_logits("mobilenetv2", "mobilenetv2", opts_k(10), 64);
}
END_TEST

START_TEST(heads_logits_match_pytorch)
{
    static const struct { const char *golden, *model, *head; int size; } cases[] = {
        {"resnet18_gap256", "resnet18", "gap256", 64},
        {"resnet18_alt001", "resnet18", "alt001", 96},
        {"resnet50_gap512", "resnet50", "gap512", 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_model_options o = opts_k(10);
        o.head = cases[i].head;
        expect_reference_logits(cases[i].golden, cases[i].model, o, cases[i].size);
    }
}
END_TEST

START_TEST(cnn002_logits_match_pytorch)
{
    sg_model_options o = opts_k(10);
    o.image_size = 64;
    expect_reference_logits("cnn002", "cnn002", o, 64);
}
END_TEST

/* ---- backward: train-mode (or eval-mode) gradients ---------------------- */

/* models_<golden>_train.safetensors: the logits of the rule's model on the
 * rule's input in train mode (metadata "train" 1; 0 = eval mode), gradients
 * "grad.<param>" of sum(logits * dy) with dy the rule's "dy", and running
 * statistics "after.<buffer>" after that forward. Tolerance: 1e-4 of each
 * tensor's largest |value| (torch float32 is within 2e-5 of it; see
 * gen_models.py's TRAIN). */
static void expect_reference_gradients(const char *golden, const char *model)
{
    char file[64];
    snprintf(file, sizeof file, "models_%s_train", golden);
    sg_safetensors io;
    sg_test_golden_read(file, &io);
    int size = atoi(sg_safetensors_meta(&io, "size"));
    bool train = atoi(sg_safetensors_meta(&io, "train")) != 0;
    sg_model_options o = opts_k(atoi(sg_safetensors_meta(&io, "classes")));
    o.dropout = 0.0f;
    sg_model m = build(model, o);
    models_rule(&m);
    sg_params_zero_grad(m.params);
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, train);
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, 3, size, size});
    rule_input(x->data, x->numel);
    sg_tensor *y = sg_model_forward(g, &m, x);
    ck_assert_msg(y != NULL, "%s: %s", golden, sg_graph_error_message(g));
    float dy[64];
    ck_assert_int_le(y->numel, 64);
    sg_test_model_rule_named("dy", dy, y->numel);
    int checked = 0;
    char what[160];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
        for (int i = 0; i < io.count; i++) {
            const sg_st_tensor *t = &io.tensors[i];
            const float *found = NULL;
            if (pass == 0 && !strcmp(t->name, "logits")) {
                found = y->data;
            } else if (pass == 0 && !strncmp(t->name, "after.", 6)) {
                sg_param *p = sg_params_find(m.params, t->name + 6);
                ck_assert_msg(p != NULL, "%s: no buffer %s", golden, t->name + 6);
                found = p->t.data;
            } else if (pass == 1 && !strncmp(t->name, "grad.", 5)) {
                sg_param *p = sg_params_find(m.params, t->name + 5);
                ck_assert_msg(p != NULL && p->t.grad, "%s: no gradient of %s", golden, t->name + 5);
                ck_assert_int_eq(p->t.numel, t->numel);
                found = p->t.grad;
            }
            if (!found) continue;
            double scale = 0;
            for (int64_t k = 0; k < t->numel; k++) scale = fmax(scale, fabs(t->data[k]));
            snprintf(what, sizeof what, "%s %s %s (max |value| %.3g)", golden,
                     train ? "train" : "eval", t->name, scale);
            SG_ASSERT_CLOSE(what, t->data, found, t->numel, 1e-4 * scale, 1e-4);
            checked++;
        }
    }
    ck_assert_int_ge(checked, 6);
    sg_graph_free(g);
    sg_model_free(&m);
    sg_safetensors_free(&io);
}

START_TEST(resnet18_train_mode_logits_gradients_and_running_stats_match_torchvision)
{
    expect_reference_gradients("resnet18", "resnet18");
}
END_TEST

START_TEST(resnetv2_50_train_mode_logits_gradients_and_running_stats_match_timm)
{
    expect_reference_gradients("resnetv2_50", "resnetv2_50");
}
END_TEST

START_TEST(inceptionv3_gradients_match_torchvision)
{
    expect_reference_gradients("inceptionv3", "inceptionv3");
}
END_TEST

/* ---- parameter counts ---------------------------------------------------- */

START_TEST(parameter_counts_match_the_references)
{
    /* torchvision / timm: sum(p.numel() for p in model.parameters()) and
     * len(model.state_dict()), printed by the generator's versions. */
    static const struct {
        const char *model;
        int classes;
        bool aux;
        long long params;
        int tensors;
    } cases[] = {
        /* (resnet34/101/152 and resnetv2_101 share this code; their counts,
         * 21797672, 44549160, 60192808 and 44541480, were checked once: a
         * build of 60 M weights costs seconds the suite does not need.) */
        {"resnet18", 1000, false, 11689512, 122},   {"resnet50", 1000, false, 25557032, 320},
        {"resnetv2_50", 1000, false, 25549352, 300}, {"inceptionv3", 1000, true, 27161264, 580},
        {"mobilenetv2", 1000, false, 3504872, 314},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_model_options o = opts_k(cases[i].classes);
        o.aux_logits = cases[i].aux;
        sg_model m = build(cases[i].model, o);
        long long got = (long long)sg_params_count(m.params);
        printf("%s (%d classes%s): %lld parameters, %d tensors (reference %lld, %d)\n",
               cases[i].model, cases[i].classes, cases[i].aux ? ", aux" : "", got,
               m.params->count, cases[i].params, cases[i].tensors);
        ck_assert_msg(got == cases[i].params && m.params->count == cases[i].tensors,
                      "%s, %d classes: %lld parameters in %d tensors, expected %lld in %d",
                      cases[i].model, cases[i].classes, got, m.params->count, cases[i].params,
                      cases[i].tensors);
        if (cases[i].aux) {
            /* Without the aux head: torchvision's 23,834,568 in 566 tensors. */
            int64_t aux = 0;
            int aux_tensors = 0;
            for (int k = 0; k < m.params->count; k++)
                if (!strncmp(m.params->items[k]->name, "AuxLogits.", 10)) {
                    aux += m.params->items[k]->buffer ? 0 : m.params->items[k]->t.numel;
                    aux_tensors++;
                }
            printf("%s without AuxLogits: %lld parameters, %d tensors (reference 23834568, 566)\n",
                   cases[i].model, got - (long long)aux, m.params->count - aux_tensors);
            ck_assert_int_eq(got - aux, 23834568);
            ck_assert_int_eq(m.params->count - aux_tensors, 566);
        }
        sg_model_free(&m);
    }
    /* aux_logits off builds none of it. */
    sg_model_options o = opts_k(6);
    sg_model m = build("inceptionv3", o);
    ck_assert_int_eq(sg_params_count(m.params), 21797862);   /* torchvision, 6 classes */
    ck_assert_ptr_null(sg_params_find(m.params, "AuxLogits.fc.weight"));
    sg_model_free(&m);
}
END_TEST

START_TEST(heads_replace_the_classifier_on_every_backbone)
{
    /* params(backbone + head) = params(reference) - its classifier + the head:
     * gap256 adds C*256 + 256 + 256*K + K, alt001 C*64 + 64 + 64*K + K. */
    static const struct { const char *model, *head; int size; long long params; } cases[] = {
        {"resnet50", "gap256", 64, 23508032LL + 2048 * 256 + 256 + 256 * 6 + 6},
        {"resnet18", "gap512", 64, 11176512LL + 512 * 512 + 512 + 512 * 6 + 6},
        {"resnet18", "alt001", 96, 11176512LL + 512 * 64 + 64 + 64 * 6 + 6},
        {"resnetv2_50", "gap256", 64, 23500352LL + 2048 * 256 + 256 + 256 * 6 + 6},
        {"inceptionv3", "gap256", 75, 21785568LL + 2048 * 256 + 256 + 256 * 6 + 6},
        {"mobilenetv2", "gap256", 64, 2223872LL + 1280 * 256 + 256 + 256 * 6 + 6},
        {"cnn", "gap256", 64, 24624LL + 64 * 256 + 256 + 256 * 6 + 6},
        {"cnn002", "gap512", 64, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_model_options o = opts_k(6);
        o.head = cases[i].head;
        o.image_size = cases[i].size;
        sg_model m = build(cases[i].model, o);
        ck_assert_ptr_nonnull(sg_params_find(m.params, "head.fc1.weight"));
        ck_assert_ptr_nonnull(sg_params_find(m.params, "head.fc2.bias"));
        long long got = (long long)sg_params_count(m.params);
        if (cases[i].params)
            ck_assert_msg(got == cases[i].params, "%s + %s: %lld parameters, expected %lld",
                          cases[i].model, cases[i].head, got, cases[i].params);
        /* A training-mode forward and backward on a small batch. */
        sg_graph *g = sg_graph_new();
        sg_graph_set_seed(g, 3, 0);
        sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, m.opts.in_channels, cases[i].size,
                                                         cases[i].size});
        sg_test_fill_normal(x->data, x->numel, 4, 1.0f);
        sg_params_zero_grad(m.params);
        sg_tensor *y = sg_model_forward(g, &m, x);
        ck_assert_msg(y != NULL, "%s + %s: %s", cases[i].model, cases[i].head,
                      sg_graph_error_message(g));
        ck_assert_int_eq(y->shape[0], 2);
        ck_assert_int_eq(y->shape[1], 6);
        float dy[12];
        for (int k = 0; k < 12; k++) dy[k] = (float)(k % 3) - 1.0f;
        ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
        const sg_param *w = sg_params_find(m.params, "head.fc1.weight");
        double norm = 0;
        for (int64_t k = 0; k < w->t.numel; k++) norm += fabs(w->t.grad[k]);
        printf("%s + %s: %lld parameters, |d head.fc1.weight| %.3g\n", cases[i].model,
               cases[i].head, got, norm);
        ck_assert_msg(norm > 0, "%s + %s: no gradient reaches head.fc1", cases[i].model,
                      cases[i].head);
        sg_graph_free(g);
        sg_model_free(&m);
    }
    /* alt001 on a 2x2 feature map (64 px into ResNet): a clear shape error. */
    sg_model_options small = opts_k(6);
    small.head = "alt001";
    sg_model r18 = build("resnet18", small);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 4, (int64_t[]){1, 3, 64, 64});
    ck_assert_ptr_null(sg_model_forward(g, &r18, x));
    sg_test_expect_error(g, SG_ERR_SHAPE, "at least 96 pixels");
    sg_graph_free(g);
    sg_model_free(&r18);
    sg_model m;
    sg_model_options o = opts_k(6);
    o.head = "gap1024";
    sg_test_expect_code(sg_model_build(&m, "resnet18", &o, 1), SG_ERR_INVALID, "gap1024", "alt001");
}
END_TEST

/* ---- loading weights ------------------------------------------------------ */

START_TEST(cnn_width_multiplier_scales_every_block)
{
    /* Widths 8-16-32-64 x 2 = 16-32-64-128 on gray input, 6 classes: per block
     * conv (cin*cout*9 + cout) + BN (2 cout), then the linear 128*6 + 6. */
    static const int w[] = {16, 32, 64, 128};
    long long expect = 0;
    int cin = 1;
    for (int i = 0; i < 4; i++) {
        expect += (long long)cin * w[i] * 9 + w[i] + 2 * w[i];
        cin = w[i];
    }
    expect += 128 * 6 + 6;
    sg_model_options o = opts_k(6);
    o.width_mult = 2;
    sg_model m = build("cnn", o);
    ck_assert_int_eq((long long)sg_params_count(m.params), expect);
    sg_param *p = sg_params_find(m.params, "features.12.weight");
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->t.shape[0], 128);
    sg_model_free(&m);
    /* 8 x 0.1 = 0.8 rounds to 1; no block gets fewer than one channel. */
    o.width_mult = 0.1;
    m = build("cnn", o);
    p = sg_params_find(m.params, "features.0.weight");
    ck_assert_int_eq(p->t.shape[0], 1);
    sg_model_free(&m);
}
END_TEST

START_TEST(cnn_reflect_padding_keeps_a_constant_image_constant_at_the_border)
{
    /* Zero padding makes the border of a flat image an edge; reflect padding
     * (torch's padding_mode='reflect') does not: the first conv's map of a
     * constant image is constant, and in the interior both modes agree. The
     * two models share their weights (same seed). */
    enum { S = 32 };
    sg_model_options o = opts_k(3);
    o.in_channels = 1;
    o.image_size = S;
    sg_model zeros = build("cnn", o);
    o.padding = "reflect";
    sg_model reflect = build("cnn", o);
    float maps[2][8 * S * S];
    sg_model *ms[2] = {&zeros, &reflect};
    for (int k = 0; k < 2; k++) {
        sg_graph *g = sg_graph_new();
        sg_graph_set_training(g, false);
        sg_tensor *a = NULL;
        sg_graph_set_tap(g, "features.0", &a, false);
        sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){1, 1, S, S});
        for (int i = 0; i < S * S; i++) x->data[i] = 0.75f;
        ck_assert_ptr_nonnull(sg_model_forward(g, ms[k], x));
        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(a->numel, 8 * S * S);
        memcpy(maps[k], a->data, sizeof maps[k]);
        sg_graph_free(g);
    }
    int border_differs = 0;
    for (int c = 0; c < 8; c++)
        for (int i = 0; i < S; i++)
            for (int j = 0; j < S; j++) {
                float z = maps[0][(c * S + i) * S + j], r = maps[1][(c * S + i) * S + j];
                float r00 = maps[1][c * S * S];
                ck_assert_msg(r == r00, "reflect, channel %d (%d, %d): %g, expected %g as at (0, 0)", c,
                              i, j, (double)r, (double)r00);
                bool border = i == 0 || j == 0 || i == S - 1 || j == S - 1;
                if (!border)
                    ck_assert_msg(z == r, "channel %d (%d, %d): zeros %g, reflect %g", c, i, j, (double)z,
                                  (double)r);
                else border_differs += z != r;
            }
    ck_assert_int_gt(border_differs, 8 * (4 * S - 4) / 2);   /* the zero border is an edge */
    sg_model_free(&zeros);
    sg_model_free(&reflect);
    /* Other models pad with zeros only; an unknown mode names the choices. */
    sg_model m;
    o.padding = "reflect";
    sg_test_expect_code(sg_model_build(&m, "resnet18", &o, 1), SG_ERR_INVALID, "only for cnn", NULL);
    o.padding = "mirror";
    sg_test_expect_code(sg_model_build(&m, "cnn", &o, 1), SG_ERR_INVALID, "zeros, reflect or replicate", NULL);
}
END_TEST

START_TEST(rgb_checkpoint_loads_into_a_gray_model_by_summing_the_stem)
{
    const char *dir = sg_test_tmpdir();
    const char *path = sg_test_path(dir, "rgb.safetensors");
    sg_model rgb = build("resnet18", opts_k(5));
    models_rule(&rgb);
    ck_assert_int_eq(sg_params_save(rgb.params, path, NULL, 0), SG_OK);
    sg_model_options o = opts_k(5);
    o.in_channels = 1;
    sg_model gray = build("resnet18", o);
    /* Strict loading without the stem rule would be a shape error. */
    sg_model_load_report r;
    ck_assert_msg(sg_model_load_weights(&gray, path, true, &r) == SG_OK, "%s", sg_error_message());
    ck_assert(r.stem_summed);
    ck_assert_int_eq(r.loaded, gray.params->count);
    ck_assert_int_eq(r.missing + r.unexpected + r.mismatched, 0);
    /* A gray image x gives what the RGB model gives for (x, x, x). */
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *x1 = sg_graph_tensor(g, 4, (int64_t[]){2, 1, 40, 40});
    sg_tensor *x3 = sg_graph_tensor(g, 4, (int64_t[]){2, 3, 40, 40});
    rule_input(x1->data, x1->numel);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
            memcpy(x3->data + (n * 3 + c) * 1600, x1->data + n * 1600, 1600 * sizeof(float));
    sg_tensor *y1 = sg_model_forward(g, &gray, x1), *y3 = sg_model_forward(g, &rgb, x3);
    ck_assert_ptr_nonnull(y1);
    ck_assert_ptr_nonnull(y3);
    double scale = 0;
    for (int i = 0; i < 10; i++) scale = fmax(scale, fabs(y3->data[i]));
    SG_ASSERT_CLOSE("gray model vs RGB model on (x, x, x)", y3->data, y1->data, 10, 1e-5 * scale, 1e-5);
    sg_graph_free(g);
    sg_model_free(&gray);

    /* ImageNet-style transfer: another class count. Strict fails naming fc;
     * not strict loads everything else and reports fc as mismatched. */
    sg_model six = build("resnet18", opts_k(6));
    float before = sg_params_find(six.params, "conv1.weight")->t.data[0];
    sg_test_expect_code(sg_model_load_weights(&six, path, true, NULL), SG_ERR_SHAPE, "fc.weight",
                        "rgb.safetensors");
    ck_assert_msg(sg_params_find(six.params, "conv1.weight")->t.data[0] == before,
                  "a failed strict load changed conv1.weight");
    ck_assert_int_eq(sg_model_load_weights(&six, path, false, &r), SG_OK);
    ck_assert_int_eq(r.mismatched, 2);
    ck_assert_int_eq(r.loaded, six.params->count - 2);
    ck_assert_msg(strstr(r.mismatched_names, "fc.weight") && strstr(r.mismatched_names, "fc.bias"),
                  "mismatched: %s", r.mismatched_names);
    sg_model_free(&six);

    /* A head: the file's fc is unexpected, the head's tensors missing. */
    o = opts_k(6);
    o.head = "gap256";
    sg_model headed = build("resnet18", o);
    sg_test_expect_code(sg_model_load_weights(&headed, path, true, NULL), SG_ERR_FORMAT,
                        "head.fc1.weight", NULL);
    ck_assert_int_eq(sg_model_load_weights(&headed, path, false, &r), SG_OK);
    ck_assert_int_eq(r.missing, 4);
    ck_assert_int_eq(r.unexpected, 2);
    ck_assert_msg(strstr(r.unexpected_names, "fc.weight") != NULL, "unexpected: %s",
                  r.unexpected_names);
    sg_model_free(&headed);
    sg_model_free(&rgb);
    sg_test_remove_tree(dir);
}
END_TEST

/* ---- options ------------------------------------------------------------- */

START_TEST(bad_options_are_errors_naming_the_field)
{
    static const struct { const char *model; int classes, channels, size; double width;
                          const char *needle; } cases[] = {
        {"resnet51", 6, 0, 0, 0, "models: cnn"},
        {"resnet50", 1, 0, 0, 0, "classes"},
        {"resnet50", 6, 0, 0, 0.5, "width"},
        {"inceptionv3", 6, 0, 64, 0, "image_size 64, expected >= 75"},
        {"cnn002", 6, 0, 100, 0, "multiple of 16"},
        {"mobilenetv2", 6, 0, 0, -1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_model m;
        sg_model_options o = opts_k(cases[i].classes);
        o.in_channels = cases[i].channels;
        o.image_size = cases[i].size;
        o.width_mult = cases[i].width;
        sg_err err = sg_model_build(&m, cases[i].model, &o, 1);
        if (!cases[i].needle) {   /* width <= 0 means "the default" */
            ck_assert_int_eq(err, SG_OK);
            sg_model_free(&m);
            continue;
        }
        sg_test_expect_code(err, SG_ERR_INVALID, cases[i].needle, NULL);
        ck_assert_ptr_null(m.params);
    }
}
END_TEST

START_TEST(every_model_runs_a_small_gray_batch_forward_and_backward)
{
    for (int i = 0; i < sg_model_count(); i++) {
        const sg_model_def *def = sg_model_def_at(i);
        if (strstr(def->name, "34") || strstr(def->name, "101") || strstr(def->name, "152"))
            continue;   /* the code of resnet18/50 and resnetv2_50, only slower to build */
        if ((!strncmp(def->name, "cct", 3) && strcmp(def->name, "cct000_small")) ||
            !strncmp(def->name, "vit_", 4))
            continue;   /* the code of cct000_small; ViT zero-initialises heads.head as
                           torchvision does, so no gradient reaches its stem at init
                           (tests/test_transformers.c checks its gradients) */
        sg_model_options o = opts_k(3);
        o.in_channels = 1;
        o.image_size = def->min_size > 64 ? def->min_size : 64;
        sg_model m = build(def->name, o);
        sg_graph *g = sg_graph_new();
        sg_graph_set_seed(g, 1, 0);
        sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, 1, o.image_size, o.image_size});
        sg_test_fill_normal(x->data, x->numel, 9, 1.0f);
        sg_params_zero_grad(m.params);
        sg_tensor *y = sg_model_forward(g, &m, x);
        ck_assert_msg(y != NULL, "%s: %s", def->name, sg_graph_error_message(g));
        ck_assert_int_eq(y->shape[0], 2);
        ck_assert_int_eq(y->shape[1], 3);
        float dy[6] = {1, -1, 0.5f, -0.5f, 0.25f, 2};
        ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
        const sg_param *stem = sg_params_find(m.params, def->stem_weight);
        ck_assert_msg(stem != NULL, "%s: no stem weight '%s'", def->name, def->stem_weight);
        ck_assert_int_eq(stem->t.shape[1], 1);
        double norm = 0;
        for (int64_t k = 0; k < stem->t.numel; k++) norm += fabs(stem->t.grad[k]);
        printf("%s: gray %dx%d forward and backward, |d %s| %.3g, %lld parameters\n", def->name,
               o.image_size, o.image_size, def->stem_weight, norm,
               (long long)sg_params_count(m.params));
        ck_assert_msg(norm > 0 && isfinite(norm), "%s: stem gradient %g", def->name, norm);
        sg_graph_free(g);
        sg_model_free(&m);
    }
}
END_TEST

/* ---- the rectangular convolutions InceptionV3 needs ------------------------ */

static sg_tensor *conv_1x7(sg_graph *g, sg_tensor **in, void *ctx)
{
    const sg_conv2d_opts *o = ctx;
    return sg_conv2d(g, in[0], in[1], in[2], o);
}

START_TEST(conv2d_1x7_and_7x1_kernels_with_per_axis_padding_match_finite_differences)
{
    /* InceptionC's branch7x7_2 (1x7, padding (0, 3)) and _3 (7x1, (3, 0)). */
    for (int vertical = 0; vertical < 2; vertical++) {
        int kh = vertical ? 7 : 1, kw = vertical ? 1 : 7;
        sg_conv2d_opts o = sg_conv2d_opts_make(1, 0, 1, 1);
        o.pad_top = o.pad_bottom = vertical ? 3 : 0;
        o.pad_left = o.pad_right = vertical ? 0 : 3;
        float x[2 * 3 * 6 * 5], w[4 * 3 * 7], b[4];
        sg_test_fill_normal(x, 180, 1, 1.0f);
        sg_test_fill_normal(w, 84, 2, 0.3f);
        sg_test_fill_normal(b, 4, 3, 0.3f);
        sg_test_input in[3] = {{4, {2, 3, 6, 5}, x, true}, {4, {4, 3, kh, kw}, w, true},
                               {1, {4}, b, true}};
        sg_test_gradcheck(vertical ? "conv2d 7x1 pad (3, 0)" : "conv2d 1x7 pad (0, 3)", conv_1x7,
                          &o, 3, in, NULL);
        /* "same" output size, as Inception needs for the concat. */
        int64_t OH, OW;
        ck_assert(sg_conv2d_out_size(6, 5, kh, kw, &o, &OH, &OW));
        ck_assert_int_eq(OH, 6);
        ck_assert_int_eq(OW, 5);
    }
}
END_TEST

static sg_tensor *avg_pool_3x3_s1_p1(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    sg_pool2d_opts o = sg_pool2d_opts_make(3, 1, 1);   /* count_include_pad = true */
    return sg_avg_pool2d(g, in[0], &o);
}

static sg_tensor *max_pool_3x3_s2(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    sg_pool2d_opts o = sg_pool2d_opts_make(3, 2, 0);
    return sg_max_pool2d(g, in[0], &o);
}

static sg_tensor *concat_channels(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    return sg_concat(g, 3, in, 1);
}

START_TEST(inception_pools_and_concat_match_finite_differences)
{
    float x[2 * 3 * 7 * 7], a[2 * 2 * 5 * 5], b[2 * 3 * 5 * 5], c[2 * 1 * 5 * 5];
    sg_test_fill_normal(x, 294, 11, 1.0f);
    sg_test_input in[1] = {{4, {2, 3, 7, 7}, x, true}};
    sg_test_gradcheck("avg_pool2d 3x3/1 pad 1 counting the padding", avg_pool_3x3_s1_p1, NULL, 1,
                      in, NULL);
    sg_test_gradcheck("max_pool2d 3x3/2", max_pool_3x3_s2, NULL, 1, in, NULL);
    sg_test_fill_normal(a, 100, 12, 1.0f);
    sg_test_fill_normal(b, 150, 13, 1.0f);
    sg_test_fill_normal(c, 50, 14, 1.0f);
    sg_test_input parts[3] = {{4, {2, 2, 5, 5}, a, true}, {4, {2, 3, 5, 5}, b, true},
                              {4, {2, 1, 5, 5}, c, true}};
    sg_test_gradcheck("concat along channels", concat_channels, NULL, 3, parts, NULL);
}
END_TEST

static Suite *models_suite(void)
{
    Suite *s = suite_create("models");
    SG_ADD_TEST(s, parameter_counts_match_the_references, 60);
    SG_ADD_TEST(s, resnet50_logits_match_torchvision, 60);
    SG_ADD_TEST(s, resnet18_logits_match_torchvision, 60);
    SG_ADD_TEST(s, resnetv2_50_logits_match_timm, 60);
    SG_ADD_TEST(s, inceptionv3_logits_match_torchvision, 60);
    SG_ADD_TEST(s, mobilenetv2_logits_match_torchvision, 60);
    SG_ADD_TEST(s, heads_logits_match_pytorch, 60);
    SG_ADD_TEST(s, resnet18_train_mode_logits_gradients_and_running_stats_match_torchvision, 60);
    SG_ADD_TEST(s, resnetv2_50_train_mode_logits_gradients_and_running_stats_match_timm, 60);
    SG_ADD_TEST(s, inceptionv3_gradients_match_torchvision, 60);
    SG_ADD_TEST(s, cnn002_logits_match_pytorch, 60);
    SG_ADD_TEST(s, heads_replace_the_classifier_on_every_backbone, 120);
    SG_ADD_TEST(s, cnn_width_multiplier_scales_every_block, 30);
    SG_ADD_TEST(s, cnn_reflect_padding_keeps_a_constant_image_constant_at_the_border, 30);
    SG_ADD_TEST(s, rgb_checkpoint_loads_into_a_gray_model_by_summing_the_stem, 60);
    SG_ADD_TEST(s, bad_options_are_errors_naming_the_field, 30);
    SG_ADD_TEST(s, every_model_runs_a_small_gray_batch_forward_and_backward, 120);
    SG_ADD_TEST(s, conv2d_1x7_and_7x1_kernels_with_per_axis_padding_match_finite_differences, 30);
    SG_ADD_TEST(s, inception_pools_and_concat_match_finite_differences, 30);
    return s;
}

SG_TEST_MAIN(models_suite)

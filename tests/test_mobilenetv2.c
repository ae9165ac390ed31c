/* tests/test_mobilenetv2.c - MobileNetV2 against torchvision 0.14 (files written
 * by tests/golden/gen_mobilenetv2.py).
 *
 * mobilenetv2_weights.safetensors is a torchvision state dict (width 0.25,
 * 5 classes); it must load strictly by name - every torchvision key is one of
 * our parameters and the other way round. With it we compare the eval-mode
 * logits, and in train mode (dropout p = 0) the logits, the gradients of
 * sum(logits * dy) for x and several parameters, and the BN running
 * statistics updated by that forward. The parameter counts of other widths
 * come from the file's metadata (torchvision's own counts).
 *
 * Tolerances: eval logits and running statistics 1e-4 relative / 1e-5
 * absolute, as the single-op golden tests. Train-mode outputs and gradients
 * are sums over a whole batch through 52 BatchNorm layers that normalise with
 * batch statistics: an element near zero carries the rounding of the large
 * terms that cancelled in it, so its error scales with the tensor, not with
 * itself. They get 1e-4 relative plus an absolute 1e-4 of the tensor's
 * largest |value| (torch's own float32 results are within 1e-5 of that scale
 * of its float64 ones; gen_mobilenetv2.py checks it). The largest
 * differences are printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/pool.h"
#include "core/safetensors.h"
#include "layers/init.h"
#include "models/mobilenetv2.h"
#include "tests/testutil.h"

#define ATOL 1e-5
#define RTOL 1e-4
#define SCALE_TOL 1e-4   /* train mode: absolute tolerance per unit of max |expected| */

static void golden_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s.safetensors", sg_test_golden_dir(), name);
}

/* SG_ASSERT_CLOSE with atol = ATOL + SCALE_TOL * max |expected| (see the top). */
static void assert_close_to_scale(const char *what, const float *expected, const float *found,
                                  int64_t n)
{
    double scale = 0;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(expected[i]));
    double atol = ATOL + SCALE_TOL * scale;
    printf("%s: max |expected| %.4g, atol %.3g\n", what, scale, atol);
    SG_ASSERT_CLOSE(what, expected, found, n, atol, RTOL);
}

static sg_param *need_param(sg_mobilenetv2 *m, const char *name)
{
    sg_param *p = sg_params_find(&m->params, name);
    ck_assert_msg(p != NULL, "the model has no parameter '%s'", name);
    return p;
}

/* The golden model (torchvision's weights loaded strictly) with `dropout`. */
static void load_golden_model(sg_mobilenetv2 *m, const sg_safetensors *io, float dropout)
{
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(atoi(sg_safetensors_meta(io, "classes")));
    cfg.width_mult = strtod(sg_safetensors_meta(io, "width_mult"), NULL);
    cfg.dropout = dropout;
    ck_assert_int_eq(sg_mobilenetv2_init(m, &cfg, 1), SG_OK);
    char path[512];
    golden_path(path, sizeof path, "mobilenetv2_weights");
    ck_assert_msg(sg_params_load(&m->params, path, true) == SG_OK, "%s", sg_error_message());
}

static sg_tensor *input(sg_graph *g, const sg_safetensors *io)
{
    const sg_st_tensor *x = sg_test_golden_need(io, "x");
    sg_tensor *t = sg_graph_tensor_from(g, x->ndim, x->shape, x->data);
    ck_assert_ptr_nonnull(t);
    return t;
}

START_TEST(mobilenetv2_eval_logits_match_torchvision)
{
    sg_safetensors io;
    sg_test_golden_read("mobilenetv2_io", &io);
    sg_mobilenetv2 m;
    load_golden_model(&m, &io, 0.2f);   /* torchvision's dropout: eval mode skips it */
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *y = sg_mobilenetv2_forward(g, &m, input(g, &io));
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    const sg_st_tensor *ref = sg_test_golden_need(&io, "logits_eval");
    ck_assert_int_eq(y->ndim, 2);
    ck_assert_int_eq(y->shape[0], ref->shape[0]);
    ck_assert_int_eq(y->shape[1], ref->shape[1]);
    SG_ASSERT_CLOSE("mobilenetv2 eval logits", ref->data, y->data, ref->numel, ATOL, RTOL);
    sg_graph_free(g);
    sg_mobilenetv2_free(&m);
    sg_safetensors_free(&io);
}
END_TEST

START_TEST(mobilenetv2_train_mode_logits_gradients_and_running_stats_match_torchvision)
{
    sg_safetensors io;
    sg_test_golden_read("mobilenetv2_io", &io);
    sg_mobilenetv2 m;
    load_golden_model(&m, &io, 0.0f);   /* the generator sets p = 0 for this part */
    sg_params_zero_grad(&m.params);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = input(g, &io);
    x->requires_grad = true;
    sg_tensor *y = sg_mobilenetv2_forward(g, &m, x);
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    const sg_st_tensor *ref = sg_test_golden_need(&io, "logits_train");
    ck_assert_int_eq(y->numel, ref->numel);
    assert_close_to_scale("mobilenetv2 train logits", ref->data, y->data, ref->numel);

    ck_assert_int_eq(sg_graph_backward_from(g, y, sg_test_golden_need(&io, "dy")->data), SG_OK);
    ref = sg_test_golden_need(&io, "grad.x");
    ck_assert_int_eq(x->numel, ref->numel);
    assert_close_to_scale("mobilenetv2 d/dx", ref->data, x->grad, ref->numel);

    /* Every "grad.<param>" and "after_train.<buffer>" of the file. */
    int grads = 0, buffers = 0;
    char what[256];
    for (int i = 0; i < io.count; i++) {
        const sg_st_tensor *t = &io.tensors[i];
        bool grad = !strncmp(t->name, "grad.", 5) && strcmp(t->name, "grad.x");
        bool after = !strncmp(t->name, "after_train.", 12);
        if (!grad && !after) continue;
        sg_param *p = need_param(&m, strchr(t->name, '.') + 1);
        ck_assert_int_eq(p->t.numel, t->numel);
        snprintf(what, sizeof what, "mobilenetv2 %s", t->name);
        if (grad)
            assert_close_to_scale(what, t->data, p->t.grad, t->numel);
        else
            SG_ASSERT_CLOSE(what, t->data, p->t.data, t->numel, ATOL, RTOL);
        grads += grad, buffers += after;
    }
    ck_assert_int_ge(grads, 6);
    ck_assert_int_ge(buffers, 6);
    sg_graph_free(g);
    sg_mobilenetv2_free(&m);
    sg_safetensors_free(&io);
}
END_TEST

START_TEST(mobilenetv2_parameter_counts_match_torchvision_for_every_width)
{
    sg_safetensors io;
    sg_test_golden_read("mobilenetv2_io", &io);
    int checked = 0;
    for (int i = 0; i < io.meta_count; i++) {
        double w;
        int classes;
        if (sscanf(io.meta_keys[i], "params_w%lf_c%d", &w, &classes) != 2) continue;
        long long want = atoll(io.meta_values[i]);
        char key[64];
        snprintf(key, sizeof key, "keys_w%g_c%d", w, classes);
        const char *keys = sg_safetensors_meta(&io, key);
        ck_assert_msg(keys != NULL, "no metadata '%s'", key);
        sg_mobilenetv2 m;
        sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(classes);
        cfg.width_mult = w;
        ck_assert_int_eq(sg_mobilenetv2_init(&m, &cfg, 3), SG_OK);
        long long got = (long long)sg_params_count(&m.params);
        printf("mobilenet_v2(width_mult=%g, num_classes=%d): %lld parameters (torchvision %lld), "
               "%d state_dict entries (torchvision %s)\n",
               w, classes, got, want, m.params.count, keys);
        ck_assert_msg(got == want, "width %g, %d classes: %lld parameters, torchvision has %lld",
                      w, classes, got, want);
        ck_assert_int_eq(m.params.count, atoi(keys));
        sg_mobilenetv2_free(&m);
        checked++;
    }
    ck_assert_int_ge(checked, 5);
    /* The paper's network as torchvision reports it (MobileNet_V2_Weights meta). */
    ck_assert_str_eq(sg_safetensors_meta(&io, "params_w1_c1000"), "3504872");
    sg_safetensors_free(&io);
}
END_TEST

START_TEST(make_divisible_rounds_like_torchvision)
{
    /* (v, expected) from torchvision's _make_divisible(v, 8). */
    static const struct { double v; int want; } cases[] = {
        {32 * 0.25, 8}, {16 * 0.25, 8}, {32 * 0.35, 16}, {24 * 0.35, 8}, {96 * 0.35, 32},
        {160 * 0.35, 56}, {16 * 0.75, 16}, {1280 * 1.3, 1664}, {1, 8}, {11.9, 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(sg_make_divisible(cases[i].v, 8) == cases[i].want,
                      "_make_divisible(%g, 8): expected %d, found %d", cases[i].v, cases[i].want,
                      sg_make_divisible(cases[i].v, 8));
}
END_TEST

/* All parameter values of m, concatenated (malloc'd). */
static float *all_values(const sg_mobilenetv2 *m, int64_t *n)
{
    *n = 0;
    for (int i = 0; i < m->params.count; i++) *n += m->params.items[i]->t.numel;
    float *v = malloc((size_t)*n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    int64_t at = 0;
    for (int i = 0; i < m->params.count; i++) {
        const sg_tensor *t = &m->params.items[i]->t;
        memcpy(v + at, t->data, (size_t)t->numel * sizeof *v);
        at += t->numel;
    }
    return v;
}

/* Mean and standard deviation of a parameter's values. */
static void moments(const sg_param *p, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < p->t.numel; i++) s += p->t.data[i];
    *mean = s / (double)p->t.numel;
    for (int64_t i = 0; i < p->t.numel; i++) s2 += (p->t.data[i] - *mean) * (p->t.data[i] - *mean);
    *std = sqrt(s2 / (double)p->t.numel);
}

START_TEST(mobilenetv2_init_is_reproducible_and_follows_torchvision_init)
{
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(6);
    int before = sg_threads();
    sg_mobilenetv2 a, b, c;
    ck_assert_int_eq(sg_set_threads(1), SG_OK);
    ck_assert_int_eq(sg_mobilenetv2_init(&a, &cfg, 7), SG_OK);
    ck_assert_int_eq(sg_set_threads(2), SG_OK);
    ck_assert_int_eq(sg_mobilenetv2_init(&b, &cfg, 7), SG_OK);
    ck_assert_int_eq(sg_mobilenetv2_init(&c, &cfg, 8), SG_OK);
    sg_set_threads(before);
    int64_t na, nb, nc;
    float *va = all_values(&a, &na), *vb = all_values(&b, &nb), *vc = all_values(&c, &nc);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(va, vb, (size_t)na * sizeof *va) == 0,
                  "seed 7 gives different weights on 1 and 2 threads");
    ck_assert_msg(memcmp(va, vc, (size_t)na * sizeof *va) != 0, "seeds 7 and 8 give the same weights");

    /* kaiming_normal_(mode="fan_out"): std sqrt(2 / (out * k * k)), groups ignored. */
    static const struct { const char *name; int64_t fan_out; double tol; } convs[] = {
        {"features.18.0.weight", 1280, 0.01},          /* 409,600 values */
        {"features.0.0.weight", 32 * 9, 0.15},         /* 864 values */
        {"features.15.conv.1.0.weight", 960 * 9, 0.1}, /* depthwise, 8,640 values */
    };
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        sg_param *p = need_param(&a, convs[i].name);
        int64_t fan_out;
        sg_init_fans(p, NULL, &fan_out);
        ck_assert_int_eq(fan_out, convs[i].fan_out);
        double mean, std, want = sqrt(2.0 / (double)fan_out);
        moments(p, &mean, &std);
        printf("%s: mean %.3g, std %.5f (kaiming fan_out %.5f)\n", convs[i].name, mean, std, want);
        ck_assert_msg(fabs(std / want - 1) < convs[i].tol && fabs(mean) < 3 * want / sqrt((double)p->t.numel),
                      "%s: mean %g std %g, expected 0 and %g", convs[i].name, mean, std, want);
    }
    double mean, std;
    moments(need_param(&a, "classifier.1.weight"), &mean, &std);
    ck_assert_msg(fabs(std / 0.01 - 1) < 0.05, "classifier std %g, expected 0.01", std);
    static const struct { const char *name; float value; } constants[] = {
        {"classifier.1.bias", 0}, {"features.5.conv.1.1.weight", 1}, {"features.5.conv.1.1.bias", 0},
        {"features.5.conv.1.1.running_mean", 0}, {"features.5.conv.1.1.running_var", 1},
        {"features.5.conv.1.1.num_batches_tracked", 0},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        sg_param *p = need_param(&a, constants[i].name);
        for (int64_t k = 0; k < p->t.numel; k++)
            ck_assert_msg(p->t.data[k] == constants[i].value, "%s[%lld] = %g, expected %g",
                          constants[i].name, (long long)k, p->t.data[k], constants[i].value);
    }
    ck_assert_msg(need_param(&a, "features.0.0.weight")->t.ndim == 4 &&
                  !sg_params_find(&a.params, "features.0.0.bias"),
                  "convolutions before BatchNorm have no bias");
    free(va), free(vb), free(vc);
    sg_mobilenetv2_free(&a), sg_mobilenetv2_free(&b), sg_mobilenetv2_free(&c);
}
END_TEST

START_TEST(mobilenetv2_takes_gray_input_and_rejects_bad_configs)
{
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(4);
    cfg.in_channels = 1;
    cfg.width_mult = 0.25;
    sg_mobilenetv2 m;
    ck_assert_int_eq(sg_mobilenetv2_init(&m, &cfg, 1), SG_OK);
    const sg_tensor *w = &need_param(&m, "features.0.0.weight")->t;
    ck_assert_int_eq(w->shape[1], 1);
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, 1, 0);
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, 1, 40, 40});
    sg_test_fill_normal(x->data, x->numel, 5, 1.0f);
    sg_tensor *y = sg_mobilenetv2_forward(g, &m, x);   /* train mode: dropout 0.2 is on */
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    ck_assert_int_eq(y->ndim, 2);
    ck_assert_int_eq(y->shape[0], 2);
    ck_assert_int_eq(y->shape[1], 4);
    sg_graph_free(g);
    sg_mobilenetv2_free(&m);

    static const sg_mobilenetv2_config bad[] = {
        {.in_channels = 0, .classes = 4, .width_mult = 1, .dropout = 0},
        {.in_channels = 3, .classes = -1, .width_mult = 1, .dropout = 0},
        {.in_channels = 3, .classes = 4, .width_mult = 0, .dropout = 0},
        {.in_channels = 3, .classes = 4, .width_mult = 1, .dropout = 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(sg_mobilenetv2_init(&m, &bad[i], 1), SG_ERR_INVALID);
        ck_assert_msg(strstr(sg_error_message(), "mobilenetv2") != NULL, "message: %s",
                      sg_error_message());
        sg_mobilenetv2_free(&m);
    }
}
END_TEST

static Suite *mobilenetv2_suite(void)
{
    Suite *s = suite_create("mobilenetv2");
    SG_ADD_TEST(s, mobilenetv2_eval_logits_match_torchvision, 60);
    SG_ADD_TEST(s, mobilenetv2_train_mode_logits_gradients_and_running_stats_match_torchvision, 60);
    SG_ADD_TEST(s, mobilenetv2_parameter_counts_match_torchvision_for_every_width, 60);
    SG_ADD_TEST(s, make_divisible_rounds_like_torchvision, 10);
    SG_ADD_TEST(s, mobilenetv2_init_is_reproducible_and_follows_torchvision_init, 60);
    SG_ADD_TEST(s, mobilenetv2_takes_gray_input_and_rejects_bad_configs, 30);
    return s;
}

SG_TEST_MAIN(mobilenetv2_suite)

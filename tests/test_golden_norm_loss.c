/* tests/test_golden_norm_loss.c - BatchNorm, LayerNorm and the losses against
 * PyTorch 1.13 (files written by tests/golden/gen_norm_loss.py): forward
 * output, every input gradient and the updated running statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"
#include "layers/loss.h"
#include "layers/norm.h"
#include "tests/testutil.h"

#define ATOL 1e-5
#define RTOL 1e-4

static sg_safetensors load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", sg_test_golden_dir(), name);
    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(path, &f) == SG_OK, "%s: %s", path, sg_error_message());
    return f;
}

static const sg_st_tensor *get(const sg_safetensors *f, const char *name)
{
    const sg_st_tensor *t = sg_safetensors_find(f, name);
    ck_assert_msg(t != NULL, "golden tensor '%s' missing", name);
    return t;
}

static double meta(const sg_safetensors *f, const char *key)
{
    const char *v = sg_safetensors_meta(f, key);
    ck_assert_msg(v != NULL, "golden metadata '%s' missing", key);
    return atof(v);
}

/* A graph leaf holding a copy of golden tensor `name`. */
static sg_tensor *leaf(sg_graph *g, const sg_safetensors *f, const char *name, bool grad)
{
    const sg_st_tensor *t = get(f, name);
    sg_tensor *x = sg_graph_tensor_from(g, t->ndim, t->shape, t->data);
    ck_assert_ptr_nonnull(x);
    x->requires_grad = grad;
    return x;
}

/* Compare `found` (n floats) with golden tensor `name`; the label names the case. */
static void expect_close(const sg_safetensors *f, const char *label, const char *name, const float *found,
                         int64_t n)
{
    const sg_st_tensor *t = get(f, name);
    ck_assert_msg(t->numel == n, "%s %s: %lld values, golden has %lld", label, name, (long long)n,
                  (long long)t->numel);
    char what[160];
    snprintf(what, sizeof what, "%s %s", label, name);
    SG_ASSERT_CLOSE(what, t->data, found, n, ATOL, RTOL);
}

/* ---- BatchNorm ---------------------------------------------------------- */

static void golden_batchnorm(const char *name)
{
    sg_safetensors f = load(name);
    bool training = meta(&f, "training") != 0, affine = meta(&f, "affine") != 0;
    float momentum = (float)meta(&f, "momentum"), eps = (float)meta(&f, "eps");
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, training);
    sg_tensor *x = leaf(g, &f, "x", true);
    sg_tensor *w = affine ? leaf(g, &f, "weight", true) : NULL;
    sg_tensor *b = affine ? leaf(g, &f, "bias", true) : NULL;
    sg_tensor *rm = leaf(g, &f, "running_mean", false), *rv = leaf(g, &f, "running_var", false);
    sg_tensor *y = x->ndim == 4 ? sg_batchnorm2d(g, x, w, b, rm, rv, momentum, eps)
                                : sg_batchnorm1d(g, x, w, b, rm, rv, momentum, eps);
    ck_assert_msg(y != NULL, "%s: %s", name, sg_graph_error_message(g));
    ck_assert_int_eq(sg_graph_backward_from(g, y, get(&f, "dy")->data), SG_OK);
    expect_close(&f, name, "y", y->data, y->numel);
    expect_close(&f, name, "dx", x->grad, x->numel);
    if (affine) {
        expect_close(&f, name, "dweight", w->grad, w->numel);
        expect_close(&f, name, "dbias", b->grad, b->numel);
    }
    expect_close(&f, name, "running_mean_out", rm->data, rm->numel);
    expect_close(&f, name, "running_var_out", rv->data, rv->numel);
    sg_graph_free(g);
    sg_safetensors_free(&f);
}

START_TEST(batchnorm2d_matches_torch_in_train_and_eval_mode)
{
    golden_batchnorm("norm_bn2d_train");
    golden_batchnorm("norm_bn2d_eval");
    golden_batchnorm("norm_bn2d_train_keras_noaffine");
}
END_TEST

START_TEST(batchnorm1d_matches_torch_on_nc_and_ncl)
{
    golden_batchnorm("norm_bn1d_nc");
    golden_batchnorm("norm_bn1d_ncl");
    golden_batchnorm("norm_bn1d_ncl_eval");
}
END_TEST

/* ---- LayerNorm ---------------------------------------------------------- */

static void golden_layernorm(const char *name)
{
    sg_safetensors f = load(name);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = leaf(g, &f, "x", true), *w = leaf(g, &f, "weight", true), *b = leaf(g, &f, "bias", true);
    sg_tensor *y = sg_layernorm(g, x, (int)meta(&f, "n_norm_dims"), w, b, (float)meta(&f, "eps"));
    ck_assert_msg(y != NULL, "%s: %s", name, sg_graph_error_message(g));
    ck_assert_int_eq(sg_graph_backward_from(g, y, get(&f, "dy")->data), SG_OK);
    expect_close(&f, name, "y", y->data, y->numel);
    expect_close(&f, name, "dx", x->grad, x->numel);
    expect_close(&f, name, "dweight", w->grad, w->numel);
    expect_close(&f, name, "dbias", b->grad, b->numel);
    sg_graph_free(g);
    sg_safetensors_free(&f);
}

START_TEST(layernorm_matches_torch_over_one_and_two_trailing_dims)
{
    golden_layernorm("norm_ln_1");
    golden_layernorm("norm_ln_2");
}
END_TEST

/* ---- losses ------------------------------------------------------------- */

static const char *reductions[3] = {"mean", "sum", "none"};

/* A variant "<options>_<reduction>": options name what is switched on. */
static sg_ce_opts variant_opts(const sg_safetensors *f, const char *variant, int r)
{
    sg_ce_opts o = SG_CE_DEFAULTS;
    if (strstr(variant, "weighted")) o.class_weights = get(f, "class_weights")->data;
    if (strstr(variant, "smooth")) o.label_smoothing = 0.1f;
    o.reduction = (sg_reduction)r;
    return o;
}

/* Cross-entropy or NLL with class indices, for each option set and reduction. */
static void golden_class_loss(const char *name, bool nll, const char *const *options, int n_options)
{
    sg_safetensors f = load(name);
    const sg_st_tensor *tf = get(&f, "target");
    int32_t *targets = malloc((size_t)tf->numel * sizeof *targets);
    for (int64_t i = 0; i < tf->numel; i++) targets[i] = (int32_t)lrintf(tf->data[i]);
    for (int v = 0; v < n_options; v++)
        for (int r = 0; r < 3; r++) {
            char variant[96], key[128];
            snprintf(variant, sizeof variant, "%s_%s", options[v], reductions[r]);
            sg_ce_opts o = variant_opts(&f, variant, r);
            sg_graph *g = sg_graph_new();
            sg_tensor *z = leaf(g, &f, "input", true);
            sg_tensor *loss = nll ? sg_nll_loss(g, z, targets, &o) : sg_cross_entropy(g, z, targets, &o);
            ck_assert_msg(loss != NULL, "%s %s: %s", name, variant, sg_graph_error_message(g));
            snprintf(key, sizeof key, "%s.dy", variant);
            ck_assert_int_eq(sg_graph_backward_from(g, loss, get(&f, key)->data), SG_OK);
            snprintf(key, sizeof key, "%s.loss", variant);
            /* goldutil stores torch's 0-dim scalars as [1]; ours are 0-dim */
            ck_assert_int_eq(loss->ndim, r == SG_REDUCE_NONE ? get(&f, key)->ndim : 0);
            expect_close(&f, name, key, loss->data, loss->numel);
            snprintf(key, sizeof key, "%s.dinput", variant);
            expect_close(&f, name, key, z->grad, z->numel);
            sg_graph_free(g);
        }
    free(targets);
    sg_safetensors_free(&f);
}

START_TEST(cross_entropy_matches_torch_with_weights_and_label_smoothing)
{
    const char *opts[4] = {"plain", "weighted", "smooth", "weighted_smooth"};
    golden_class_loss("loss_ce", false, opts, 4);
}
END_TEST

START_TEST(cross_entropy_matches_torch_with_ignore_index_and_per_pixel_classes)
{
    const char *opts[2] = {"plain", "weighted_smooth"};
    golden_class_loss("loss_ce_ignore", false, opts, 2);
    golden_class_loss("loss_ce_spatial", false, opts + 1, 1);
}
END_TEST

START_TEST(nll_loss_matches_torch_with_weights_and_ignore_index)
{
    const char *opts[2] = {"plain", "weighted"};
    golden_class_loss("loss_nll", true, opts, 2);
}
END_TEST

/* Backward from the stored upstream gradient "<variant>.dy", then compare the
 * loss and the gradients of both inputs with "<variant>.loss/.dinput/.dtarget". */
static void expect_loss_and_grads(const sg_safetensors *f, const char *file, const char *variant,
                                  sg_graph *g, sg_tensor *loss, sg_tensor *input, sg_tensor *target)
{
    char key[128];
    ck_assert_msg(loss != NULL, "%s: %s", variant, sg_graph_error_message(g));
    snprintf(key, sizeof key, "%s.dy", variant);
    ck_assert_int_eq(sg_graph_backward_from(g, loss, get(f, key)->data), SG_OK);
    snprintf(key, sizeof key, "%s.loss", variant);
    expect_close(f, file, key, loss->data, loss->numel);
    snprintf(key, sizeof key, "%s.dinput", variant);
    expect_close(f, file, key, input->grad, input->numel);
    snprintf(key, sizeof key, "%s.dtarget", variant);
    expect_close(f, file, key, target->grad, target->numel);
}

START_TEST(soft_cross_entropy_matches_torch_for_logits_and_targets)
{
    sg_safetensors f = load("loss_ce_soft");
    const char *options[2] = {"plain", "weighted_smooth"};
    for (int v = 0; v < 2; v++)
        for (int r = 0; r < 3; r++) {
            char variant[96];
            snprintf(variant, sizeof variant, "%s_%s", options[v], reductions[r]);
            sg_ce_opts o = variant_opts(&f, variant, r);
            sg_graph *g = sg_graph_new();
            sg_tensor *z = leaf(g, &f, "input", true), *p = leaf(g, &f, "target", true);
            sg_tensor *loss = sg_cross_entropy_soft(g, z, p, &o);
            expect_loss_and_grads(&f, "loss_ce_soft", variant, g, loss, z, p);
            sg_graph_free(g);
        }
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(pointwise_losses_match_torch_for_both_inputs)
{
    sg_safetensors f = load("loss_pointwise");
    const char *names[6] = {"mse", "l1", "smooth_l1_beta1", "smooth_l1_beta05", "bce", "bce_pos_weight"};
    for (int v = 0; v < 6; v++)
        for (int r = 0; r < 3; r++) {
            char variant[96];
            snprintf(variant, sizeof variant, "%s_%s", names[v], reductions[r]);
            sg_graph *g = sg_graph_new();
            bool bce = strncmp(names[v], "bce", 3) == 0;
            sg_tensor *x = leaf(g, &f, "input", true), *t = leaf(g, &f, bce ? "probs" : "target", true);
            sg_reduction red = (sg_reduction)r;
            sg_tensor *loss = v == 0   ? sg_mse_loss(g, x, t, red)
                              : v == 1 ? sg_l1_loss(g, x, t, red)
                              : v == 2 ? sg_smooth_l1_loss(g, x, t, 1.0f, red)
                              : v == 3 ? sg_smooth_l1_loss(g, x, t, 0.5f, red)
                              : sg_bce_with_logits(g, x, t, v == 5 ? get(&f, "pos_weight")->data : NULL, red);
            expect_loss_and_grads(&f, "loss_pointwise", variant, g, loss, x, t);
            sg_graph_free(g);
        }
    sg_safetensors_free(&f);
}
END_TEST

static Suite *golden_norm_loss_suite(void)
{
    Suite *s = suite_create("golden_norm_loss");
    SG_ADD_TEST(s, batchnorm2d_matches_torch_in_train_and_eval_mode, 10);
    SG_ADD_TEST(s, batchnorm1d_matches_torch_on_nc_and_ncl, 10);
    SG_ADD_TEST(s, layernorm_matches_torch_over_one_and_two_trailing_dims, 10);
    SG_ADD_TEST(s, cross_entropy_matches_torch_with_weights_and_label_smoothing, 10);
    SG_ADD_TEST(s, cross_entropy_matches_torch_with_ignore_index_and_per_pixel_classes, 10);
    SG_ADD_TEST(s, nll_loss_matches_torch_with_weights_and_ignore_index, 10);
    SG_ADD_TEST(s, soft_cross_entropy_matches_torch_for_logits_and_targets, 10);
    SG_ADD_TEST(s, pointwise_losses_match_torch_for_both_inputs, 10);
    return s;
}

SG_TEST_MAIN(golden_norm_loss_suite)

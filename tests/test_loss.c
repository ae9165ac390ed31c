/* tests/test_loss.c - losses: gradients of every input, values worked by hand,
 * reductions, thread independence, bad targets and shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/loss.h"
#include "tests/testutil.h"

/* ---- class losses --------------------------------------------------------- */

typedef struct class_case {
    int kind;  /* 0 cross_entropy, 1 nll, 2 soft */
    const int32_t *targets;
    sg_ce_opts opts;
} class_case;

static sg_tensor *build_class(sg_graph *g, sg_tensor **in, void *ctx)
{
    class_case *c = ctx;
    switch (c->kind) {
    case 0: return sg_cross_entropy(g, in[0], c->targets, &c->opts);
    case 1: return sg_nll_loss(g, in[0], c->targets, &c->opts);
    default: return sg_cross_entropy_soft(g, in[0], in[1], &c->opts);
    }
}

static const float class_weights[5] = {0.5f, 2.0f, 1.0f, 1.5f, 0.25f};
static const int32_t class_targets[6] = {1, 0, 4, -100, 2, 4};

static void class_gradcheck(const char *name, int kind, const sg_ce_opts *opts, int ndim,
                            const int64_t *shape)
{
    class_case c = {kind, class_targets, *opts};
    int64_t n = sg_shape_numel(ndim, shape);
    float *z = malloc((size_t)n * 4), *t = malloc((size_t)n * 4);
    sg_test_fill_normal(z, n, 31, 2.0f);
    sg_test_fill_uniform(t, n, 32, 0.0f, 1.0f);
    sg_test_input in[2] = {{ndim, {0}, z, true}, {ndim, {0}, t, true}};
    memcpy(in[0].shape, shape, (size_t)ndim * sizeof *shape);
    memcpy(in[1].shape, shape, (size_t)ndim * sizeof *shape);
    sg_test_gradcheck_opts o = {.atol = 1e-3, .training = true};
    sg_test_gradcheck(name, build_class, &c, kind == 2 ? 2 : 1, in, &o);
    free(z);
    free(t);
}

START_TEST(cross_entropy_backward_matches_finite_differences)
{
    int64_t nk[2] = {6, 5}, nkhw[4] = {2, 5, 1, 3};
    sg_ce_opts o = SG_CE_DEFAULTS;
    class_gradcheck("cross_entropy", 0, &o, 2, nk);
    o.class_weights = class_weights;
    class_gradcheck("cross_entropy weighted", 0, &o, 2, nk);
    o.label_smoothing = 0.1f;
    class_gradcheck("cross_entropy weighted smoothed", 0, &o, 2, nk);
    o.class_weights = NULL;
    class_gradcheck("cross_entropy smoothed", 0, &o, 2, nk);
    o.reduction = SG_REDUCE_SUM;
    class_gradcheck("cross_entropy smoothed sum", 0, &o, 2, nk);
    o.reduction = SG_REDUCE_NONE;
    class_gradcheck("cross_entropy smoothed none", 0, &o, 2, nk);
    o = SG_CE_DEFAULTS;
    o.class_weights = class_weights;
    o.label_smoothing = 0.2f;
    class_gradcheck("cross_entropy [N, K, H, W]", 0, &o, 4, nkhw);
}
END_TEST

START_TEST(nll_loss_backward_matches_finite_differences)
{
    int64_t nk[2] = {6, 5};
    sg_ce_opts o = SG_CE_DEFAULTS;
    class_gradcheck("nll_loss", 1, &o, 2, nk);
    o.class_weights = class_weights;
    class_gradcheck("nll_loss weighted", 1, &o, 2, nk);
    o.reduction = SG_REDUCE_NONE;
    class_gradcheck("nll_loss weighted none", 1, &o, 2, nk);
}
END_TEST

START_TEST(soft_cross_entropy_backward_matches_finite_differences_for_logits_and_targets)
{
    int64_t nk[2] = {4, 5};
    sg_ce_opts o = SG_CE_DEFAULTS;
    class_gradcheck("cross_entropy_soft", 2, &o, 2, nk);
    o.class_weights = class_weights;
    o.label_smoothing = 0.1f;
    class_gradcheck("cross_entropy_soft weighted smoothed", 2, &o, 2, nk);
    o.reduction = SG_REDUCE_SUM;
    class_gradcheck("cross_entropy_soft sum", 2, &o, 2, nk);
}
END_TEST

/* One sample, logits {1, 2, 3}, target 2: loss = log(e + e^2 + e^3) - 3. */
START_TEST(cross_entropy_values_match_hand_computation)
{
    sg_graph *g = sg_graph_new();
    float z[6] = {1, 2, 3, 0, 0, 0};
    int64_t shape[2] = {2, 3};
    int32_t y[2] = {2, 0};
    double l0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0, l1 = log(3.0);
    sg_tensor *zt = sg_graph_view(g, z, 2, shape);
    sg_tensor *mean = sg_cross_entropy(g, zt, y, NULL);
    ck_assert_ptr_nonnull(mean);
    ck_assert_int_eq(mean->ndim, 0);
    ck_assert_double_eq_tol(mean->data[0], (l0 + l1) / 2, 1e-6);

    /* weights {1, 1, 3}: mean = (3 l0 + 1 l1) / (3 + 1) */
    const float w[3] = {1, 1, 3};
    sg_ce_opts o = SG_CE_DEFAULTS;
    o.class_weights = w;
    sg_tensor *wmean = sg_cross_entropy(g, zt, y, &o);
    ck_assert_double_eq_tol(wmean->data[0], (3 * l0 + l1) / 4, 1e-6);

    /* smoothing 0.3, no weights: (1 - e) nll + e / K * sum_k -logp_k */
    o = SG_CE_DEFAULTS;
    o.label_smoothing = 0.3f;
    o.reduction = SG_REDUCE_NONE;
    sg_tensor *none = sg_cross_entropy(g, zt, y, &o);
    double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
    double s0 = 0.7 * l0 + 0.1 * ((lse - 1) + (lse - 2) + (lse - 3));
    double s1 = 0.7 * l1 + 0.3 * log(3.0);
    ck_assert_int_eq(none->ndim, 1);
    ck_assert_int_eq(none->shape[0], 2);
    ck_assert_double_eq_tol(none->data[0], s0, 1e-6);
    ck_assert_double_eq_tol(none->data[1], s1, 1e-6);

    /* ignore_index: the ignored sample adds nothing to the sum nor to the count */
    int32_t y_ign[2] = {2, -100};
    sg_tensor *ign = sg_cross_entropy(g, zt, y_ign, NULL);
    ck_assert_double_eq_tol(ign->data[0], l0, 1e-6);
    /* all ignored: 0 / 0 = nan, as torch */
    int32_t y_all[2] = {-100, -100};
    sg_tensor *all = sg_cross_entropy(g, zt, y_all, NULL);
    ck_assert(isnan(all->data[0]));
    sg_graph_free(g);
}
END_TEST

START_TEST(cross_entropy_is_stable_for_huge_logits)
{
    sg_graph *g = sg_graph_new();
    float z[3] = {1000.0f, -1000.0f, 0.0f};
    int64_t shape[2] = {1, 3};
    int32_t y[1] = {1};
    sg_tensor *zt = sg_graph_view(g, z, 2, shape);
    zt->requires_grad = true;
    sg_tensor *l = sg_cross_entropy(g, zt, y, NULL);
    ck_assert_ptr_nonnull(l);
    ck_assert_double_eq_tol(l->data[0], 2000.0, 1e-3);
    ck_assert_int_eq(sg_graph_backward(g, l), SG_OK);
    ck_assert_float_eq_tol(zt->grad[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(zt->grad[1], -1.0f, 1e-6f);
    ck_assert_float_eq_tol(zt->grad[2], 0.0f, 1e-6f);
    sg_graph_free(g);
}
END_TEST

START_TEST(class_losses_reject_bad_targets_shapes_and_options)
{
    sg_graph *g = sg_graph_new();
    float z[12] = {0};
    int64_t s2[2] = {2, 3}, s1[1] = {6}, s23b[2] = {3, 2};
    int32_t bad[2] = {0, 3};
    ck_assert_ptr_null(sg_cross_entropy(g, sg_graph_view(g, z, 2, s2), bad, NULL));
    sg_test_expect_error(g, SG_ERR_INVALID, "cross_entropy: target[1] = 3 is not a class in [0, 3)");
    sg_graph_reset(g);

    int32_t ok[2] = {0, 1};
    ck_assert_ptr_null(sg_cross_entropy(g, sg_graph_view(g, z, 1, s1), ok, NULL));
    sg_test_expect_error(g, SG_ERR_SHAPE, "cross_entropy: input [6], expected [N, K]");
    sg_graph_reset(g);

    sg_ce_opts o = SG_CE_DEFAULTS;
    o.label_smoothing = 0.1f;
    ck_assert_ptr_null(sg_nll_loss(g, sg_graph_view(g, z, 2, s2), ok, &o));
    sg_test_expect_error(g, SG_ERR_INVALID, "nll_loss: label_smoothing 0.1");
    sg_graph_reset(g);

    o.label_smoothing = 1.5f;
    ck_assert_ptr_null(sg_cross_entropy(g, sg_graph_view(g, z, 2, s2), ok, &o));
    sg_test_expect_error(g, SG_ERR_INVALID, "label_smoothing 1.5");
    sg_graph_reset(g);

    o = SG_CE_DEFAULTS;
    o.reduction = (sg_reduction)7;
    ck_assert_ptr_null(sg_cross_entropy(g, sg_graph_view(g, z, 2, s2), ok, &o));
    sg_test_expect_error(g, SG_ERR_INVALID, "reduction 7");
    sg_graph_reset(g);

    ck_assert_ptr_null(sg_cross_entropy_soft(g, sg_graph_view(g, z, 2, s2), sg_graph_view(g, z, 2, s23b), NULL));
    sg_test_expect_error(g, SG_ERR_SHAPE, "cross_entropy_soft: input [2, 3] and target probabilities [3, 2]");
    sg_graph_reset(g);

    ck_assert_ptr_null(sg_cross_entropy(g, sg_graph_view(g, z, 2, s2), NULL, NULL));
    sg_test_expect_error(g, SG_ERR_INVALID, "targets are NULL");
    sg_graph_free(g);
}
END_TEST

/* ---- pointwise losses ----------------------------------------------------- */

typedef struct point_case {
    int kind;  /* 0 mse, 1 l1, 2 smooth l1, 3 bce */
    float beta;
    const float *pos_weight;
    sg_reduction reduction;
} point_case;

static sg_tensor *build_point(sg_graph *g, sg_tensor **in, void *ctx)
{
    point_case *c = ctx;
    switch (c->kind) {
    case 0: return sg_mse_loss(g, in[0], in[1], c->reduction);
    case 1: return sg_l1_loss(g, in[0], in[1], c->reduction);
    case 2: return sg_smooth_l1_loss(g, in[0], in[1], c->beta, c->reduction);
    default: return sg_bce_with_logits(g, in[0], in[1], c->pos_weight, c->reduction);
    }
}

/* x, t of shape [4, 6]; differences kept away from 0 and from +-beta (the kinks). */
static void point_gradcheck(const char *name, point_case c)
{
    float x[24], t[24];
    sg_test_fill_normal(x, 24, 41, 2.0f);
    for (int i = 0; i < 24; i++) {
        if (c.kind == 3) {
            t[i] = (float)((i * 7) % 11) / 10.0f;  /* targets in [0, 1] */
            continue;
        }
        float d = 0.1f + 0.15f * (float)(i % 7);   /* |d| in [0.1, 1.0], never beta = 0.5 +- 0.05 */
        if (fabsf(fabsf(d) - c.beta) < 0.05f) d += 0.1f;
        t[i] = x[i] - (i % 2 ? d : -d);
    }
    sg_test_input in[2] = {{2, {4, 6}, x, true}, {2, {4, 6}, t, true}};
    sg_test_gradcheck_opts o = {.atol = 1e-3, .training = true};
    sg_test_gradcheck(name, build_point, &c, 2, in, &o);
}

START_TEST(pointwise_losses_backward_match_finite_differences_for_both_inputs)
{
    static const float pos_weight[6] = {1.0f, 2.0f, 3.0f, 0.5f, 1.5f, 4.0f};
    point_gradcheck("mse mean", (point_case){0, 0, NULL, SG_REDUCE_MEAN});
    point_gradcheck("mse none", (point_case){0, 0, NULL, SG_REDUCE_NONE});
    point_gradcheck("l1 mean", (point_case){1, 0, NULL, SG_REDUCE_MEAN});
    point_gradcheck("l1 sum", (point_case){1, 0, NULL, SG_REDUCE_SUM});
    point_gradcheck("smooth_l1 beta 0.5", (point_case){2, 0.5f, NULL, SG_REDUCE_MEAN});
    point_gradcheck("smooth_l1 beta 0.5 none", (point_case){2, 0.5f, NULL, SG_REDUCE_NONE});
    point_gradcheck("bce_with_logits", (point_case){3, 0, NULL, SG_REDUCE_MEAN});
    point_gradcheck("bce_with_logits pos_weight", (point_case){3, 0, pos_weight, SG_REDUCE_MEAN});
    point_gradcheck("bce_with_logits pos_weight sum", (point_case){3, 0, pos_weight, SG_REDUCE_SUM});
    point_gradcheck("bce_with_logits pos_weight none", (point_case){3, 0, pos_weight, SG_REDUCE_NONE});
}
END_TEST

START_TEST(pointwise_loss_values_match_hand_computation)
{
    sg_graph *g = sg_graph_new();
    float x[4] = {0.0f, 1.0f, 3.0f, -2.0f}, t[4] = {0.5f, 1.0f, 0.0f, 0.0f};
    int64_t n = 4;
    sg_tensor *xt = sg_graph_view(g, x, 1, &n), *tt = sg_graph_view(g, t, 1, &n);
    /* d = {-0.5, 0, 3, -2} */
    ck_assert_double_eq_tol(sg_mse_loss(g, xt, tt, SG_REDUCE_MEAN)->data[0], (0.25 + 9 + 4) / 4, 1e-6);
    ck_assert_double_eq_tol(sg_l1_loss(g, xt, tt, SG_REDUCE_SUM)->data[0], 5.5, 1e-6);
    /* beta 1: 0.5 * 0.25 + 0 + (3 - 0.5) + (2 - 0.5) */
    ck_assert_double_eq_tol(sg_smooth_l1_loss(g, xt, tt, 1.0f, SG_REDUCE_SUM)->data[0], 4.125, 1e-6);
    /* beta 0 is L1 */
    ck_assert_double_eq_tol(sg_smooth_l1_loss(g, xt, tt, 0.0f, SG_REDUCE_SUM)->data[0], 5.5, 1e-6);
    /* bce: -[t log s(x) + (1 - t) log(1 - s(x))] */
    sg_tensor *b = sg_bce_with_logits(g, xt, tt, NULL, SG_REDUCE_NONE);
    for (int i = 0; i < 4; i++) {
        double s = 1 / (1 + exp(-(double)x[i]));
        ck_assert_double_eq_tol(b->data[i], -(t[i] * log(s) + (1 - t[i]) * log(1 - s)), 1e-6);
    }
    /* stable far out: x = +-100 */
    float xf[2] = {100.0f, -100.0f}, tf[2] = {0.0f, 1.0f};
    int64_t two = 2;
    sg_tensor *far = sg_bce_with_logits(g, sg_graph_view(g, xf, 1, &two), sg_graph_view(g, tf, 1, &two),
                                        NULL, SG_REDUCE_NONE);
    ck_assert_double_eq_tol(far->data[0], 100.0, 1e-4);
    ck_assert_double_eq_tol(far->data[1], 100.0, 1e-4);
    sg_graph_free(g);
}
END_TEST

START_TEST(pointwise_losses_reject_mismatched_shapes_and_bad_beta)
{
    sg_graph *g = sg_graph_new();
    float a[6] = {0};
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2};
    ck_assert_ptr_null(sg_mse_loss(g, sg_graph_view(g, a, 2, s23), sg_graph_view(g, a, 2, s32), SG_REDUCE_MEAN));
    sg_test_expect_error(g, SG_ERR_SHAPE, "mse_loss: input [2, 3] and target [3, 2]");
    sg_graph_reset(g);
    ck_assert_ptr_null(sg_smooth_l1_loss(g, sg_graph_view(g, a, 2, s23), sg_graph_view(g, a, 2, s23), -1.0f,
                                         SG_REDUCE_MEAN));
    sg_test_expect_error(g, SG_ERR_INVALID, "smooth_l1_loss: beta -1");
    sg_graph_reset(g);
    ck_assert_ptr_null(sg_bce_with_logits(g, sg_graph_view(g, a, 2, s23), NULL, NULL, SG_REDUCE_MEAN));
    sg_test_expect_error(g, SG_ERR_INVALID, "bce_with_logits: input 1 is NULL");
    sg_graph_free(g);
}
END_TEST

/* Reductions over many elements (several work chunks) give the same bits on 1 and 2 threads. */
static void loss_run(int threads, float *vals, float *grads, int64_t n, int64_t K)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    float *x = malloc((size_t)n * 4), *t = malloc((size_t)n * 4);
    int32_t *y = malloc((size_t)(n / K) * sizeof *y);
    sg_test_fill_normal(x, n, 51, 3.0f);
    sg_test_fill_uniform(t, n, 52, 0.0f, 1.0f);
    for (int64_t i = 0; i < n / K; i++) y[i] = (int32_t)((i * 13) % K);
    sg_graph *g = sg_graph_new();
    int64_t shape[2] = {n / K, K};
    sg_tensor *xt = sg_graph_view(g, x, 2, shape), *tt = sg_graph_view(g, t, 2, shape);
    xt->requires_grad = true;
    sg_ce_opts o = SG_CE_DEFAULTS;
    o.label_smoothing = 0.1f;
    sg_tensor *l[3] = {sg_mse_loss(g, xt, tt, SG_REDUCE_MEAN), sg_bce_with_logits(g, xt, tt, NULL, SG_REDUCE_SUM),
                       sg_cross_entropy(g, xt, y, &o)};
    for (int i = 0; i < 3; i++) {
        ck_assert_ptr_nonnull(l[i]);
        vals[i] = l[i]->data[0];
    }
    ck_assert_int_eq(sg_graph_backward(g, l[2]), SG_OK);
    memcpy(grads, xt->grad, (size_t)n * 4);
    sg_graph_free(g);
    free(x);
    free(t);
    free(y);
}

START_TEST(loss_reductions_are_bit_identical_on_one_and_two_threads)
{
    const int64_t K = 10, n = 100000;
    float v1[3], v2[3], *g1 = malloc((size_t)n * 4), *g2 = malloc((size_t)n * 4);
    int before = sg_threads();
    loss_run(1, v1, g1, n, K);
    loss_run(2, v2, g2, n, K);
    sg_set_threads(before);
    ck_assert_int_eq(memcmp(v1, v2, sizeof v1), 0);
    ck_assert_int_eq(memcmp(g1, g2, (size_t)n * 4), 0);
    free(g1);
    free(g2);
}
END_TEST

static Suite *loss_suite(void)
{
    Suite *s = suite_create("loss");
    SG_ADD_TEST(s, cross_entropy_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, nll_loss_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, soft_cross_entropy_backward_matches_finite_differences_for_logits_and_targets, 30);
    SG_ADD_TEST(s, cross_entropy_values_match_hand_computation, 10);
    SG_ADD_TEST(s, cross_entropy_is_stable_for_huge_logits, 10);
    SG_ADD_TEST(s, class_losses_reject_bad_targets_shapes_and_options, 10);
    SG_ADD_TEST(s, pointwise_losses_backward_match_finite_differences_for_both_inputs, 30);
    SG_ADD_TEST(s, pointwise_loss_values_match_hand_computation, 10);
    SG_ADD_TEST(s, pointwise_losses_reject_mismatched_shapes_and_bad_beta, 10);
    SG_ADD_TEST(s, loss_reductions_are_bit_identical_on_one_and_two_threads, 30);
    return s;
}

SG_TEST_MAIN(loss_suite)

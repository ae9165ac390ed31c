/* tests/test_norm.c - BatchNorm (1d, 2d) and LayerNorm: gradients, running
 * statistics, eval mode, thread independence, shape errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/norm.h"
#include "tests/testutil.h"

/* ---- BatchNorm ---------------------------------------------------------- */

/* Builds batchnorm from in[0] = x, in[1] = weight, in[2] = bias (when given);
 * running stats are caller buffers (updated by training-mode forwards). */
typedef struct bn_case {
    int dims;             /* 1 or 2 */
    bool affine;
    float running_mean[8], running_var[8];
    int64_t C;
} bn_case;

static sg_tensor *build_bn(sg_graph *g, sg_tensor **in, void *ctx)
{
    bn_case *c = ctx;
    sg_tensor *rm = sg_graph_view(g, c->running_mean, 1, &c->C);
    sg_tensor *rv = sg_graph_view(g, c->running_var, 1, &c->C);
    sg_tensor *w = c->affine ? in[1] : NULL, *b = c->affine ? in[2] : NULL;
    return c->dims == 2 ? sg_batchnorm2d(g, in[0], w, b, rm, rv, SG_BN_MOMENTUM, SG_BN_EPS)
                        : sg_batchnorm1d(g, in[0], w, b, rm, rv, SG_BN_MOMENTUM, SG_BN_EPS);
}

static void bn_gradcheck(const char *name, int dims, int ndim, const int64_t *shape, bool affine,
                         bool training)
{
    bn_case c = {.dims = dims, .affine = affine, .C = shape[1]};
    for (int i = 0; i < 8; i++) {
        c.running_mean[i] = 0.1f * (float)i - 0.2f;
        c.running_var[i] = 0.5f + 0.25f * (float)i;
    }
    int64_t n = sg_shape_numel(ndim, shape);
    float *x = malloc((size_t)n * sizeof *x), w[8], b[8];
    sg_test_fill_normal(x, n, 1, 1.5f);
    for (int64_t i = 0; i < n; i++) x[i] += 0.5f;
    sg_test_fill_uniform(w, c.C, 2, 0.5f, 1.5f);
    sg_test_fill_normal(b, c.C, 3, 0.5f);
    sg_test_input inputs[3] = {{ndim, {0}, x, true}, {1, {c.C}, w, true}, {1, {c.C}, b, true}};
    memcpy(inputs[0].shape, shape, (size_t)ndim * sizeof *shape);
    sg_test_gradcheck_opts o = {.training = training, .max_checks = 48};
    sg_test_gradcheck(name, build_bn, &c, affine ? 3 : 1, inputs, &o);
    free(x);
}

START_TEST(batchnorm2d_train_backward_matches_finite_differences)
{
    int64_t shape[4] = {3, 4, 3, 2};
    bn_gradcheck("batchnorm2d train", 2, 4, shape, true, true);
}
END_TEST

START_TEST(batchnorm2d_eval_backward_matches_finite_differences)
{
    int64_t shape[4] = {2, 3, 2, 3};
    bn_gradcheck("batchnorm2d eval", 2, 4, shape, true, false);
}
END_TEST

START_TEST(batchnorm2d_without_affine_backward_matches_finite_differences)
{
    int64_t shape[4] = {2, 3, 3, 3};
    bn_gradcheck("batchnorm2d no affine", 2, 4, shape, false, true);
}
END_TEST

START_TEST(batchnorm1d_backward_matches_finite_differences_on_nc_and_ncl)
{
    int64_t nc[2] = {6, 5}, ncl[3] = {3, 4, 5};
    bn_gradcheck("batchnorm1d [N, C]", 1, 2, nc, true, true);
    bn_gradcheck("batchnorm1d [N, C, L]", 1, 3, ncl, true, true);
    bn_gradcheck("batchnorm1d [N, C] eval", 1, 2, nc, true, false);
}
END_TEST

/* x for channel 0 = {1, 2, 3, 6}, channel 1 = {0, 0, 4, 4} in a [2, 2, 1, 2]
 * layout: mean 3 and 2, biased var 3.5 and 4, unbiased 14/3 and 16/3. */
static float bn_small_x[8] = {1, 2, 0, 0, 3, 6, 4, 4};

START_TEST(batchnorm2d_train_normalises_with_biased_variance_and_updates_unbiased_running_var)
{
    sg_graph *g = sg_graph_new();
    int64_t shape[4] = {2, 2, 1, 2}, C = 2;
    float rm[2] = {1.0f, -1.0f}, rv[2] = {2.0f, 0.5f}, w[2] = {2.0f, 1.0f}, b[2] = {0.5f, 0.0f};
    sg_tensor *x = sg_graph_view(g, bn_small_x, 4, shape);
    sg_tensor *y = sg_batchnorm2d(g, x, sg_graph_view(g, w, 1, &C), sg_graph_view(g, b, 1, &C),
                                  sg_graph_view(g, rm, 1, &C), sg_graph_view(g, rv, 1, &C), 0.1f, 1e-5f);
    ck_assert_ptr_nonnull(y);
    float expect[8];
    const float mean[2] = {3, 2}, var[2] = {3.5f, 4};
    for (int i = 0; i < 8; i++) {
        int c = (i / 2) % 2;
        expect[i] = (float)((bn_small_x[i] - mean[c]) / sqrt(var[c] + 1e-5) * w[c] + b[c]);
    }
    SG_ASSERT_CLOSE("batchnorm2d output", expect, y->data, 8, 1e-6, 1e-6);
    float rm_expect[2] = {0.9f * 1.0f + 0.1f * 3.0f, 0.9f * -1.0f + 0.1f * 2.0f};
    float rv_expect[2] = {0.9f * 2.0f + 0.1f * 14.0f / 3.0f, 0.9f * 0.5f + 0.1f * 16.0f / 3.0f};
    SG_ASSERT_CLOSE("running_mean", rm_expect, rm, 2, 1e-6, 1e-6);
    SG_ASSERT_CLOSE("running_var (unbiased)", rv_expect, rv, 2, 1e-6, 1e-6);
    sg_graph_free(g);
}
END_TEST

START_TEST(batchnorm2d_updates_running_stats_in_no_grad_training_but_not_in_eval)
{
    sg_graph *g = sg_graph_new();
    int64_t shape[4] = {2, 2, 1, 2}, C = 2;
    float rm[2] = {0, 0}, rv[2] = {1, 1};
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *x = sg_graph_view(g, bn_small_x, 4, shape);
    sg_tensor *rmt = sg_graph_view(g, rm, 1, &C), *rvt = sg_graph_view(g, rv, 1, &C);
    ck_assert_ptr_nonnull(sg_batchnorm2d(g, x, NULL, NULL, rmt, rvt, 0.5f, 1e-5f));
    ck_assert_float_eq_tol(rm[0], 1.5f, 1e-6f);
    ck_assert_float_eq_tol(rv[1], 0.5f + 0.5f * 16.0f / 3.0f, 1e-6f);
    ck_assert_int_eq(sg_graph_tape_length(g), 0);

    float rm_before[2] = {rm[0], rm[1]}, rv_before[2] = {rv[0], rv[1]};
    sg_graph_set_training(g, false);
    sg_tensor *y = sg_batchnorm2d(g, x, NULL, NULL, rmt, rvt, 0.5f, 1e-5f);
    ck_assert_ptr_nonnull(y);
    SG_ASSERT_CLOSE("eval leaves running_mean", rm_before, rm, 2, 0, 0);
    SG_ASSERT_CLOSE("eval leaves running_var", rv_before, rv, 2, 0, 0);
    /* eval normalises with the running statistics */
    float expect[8];
    for (int i = 0; i < 8; i++) {
        int c = (i / 2) % 2;
        expect[i] = (float)((bn_small_x[i] - rm[c]) / sqrt(rv[c] + 1e-5));
    }
    SG_ASSERT_CLOSE("eval output", expect, y->data, 8, 1e-6, 1e-6);
    sg_graph_free(g);
}
END_TEST

START_TEST(batchnorm_without_running_stats_uses_batch_statistics_in_eval)
{
    sg_graph *g = sg_graph_new();
    int64_t shape[4] = {2, 2, 1, 2};
    sg_tensor *x = sg_graph_view(g, bn_small_x, 4, shape);
    sg_tensor *y_train = sg_batchnorm2d(g, x, NULL, NULL, NULL, NULL, 0.1f, 1e-5f);
    sg_graph_set_training(g, false);
    sg_tensor *y_eval = sg_batchnorm2d(g, x, NULL, NULL, NULL, NULL, 0.1f, 1e-5f);
    ck_assert_ptr_nonnull(y_train);
    ck_assert_ptr_nonnull(y_eval);
    SG_ASSERT_CLOSE("track_running_stats=False eval == train", y_train->data, y_eval->data, 8, 0, 0);
    sg_graph_free(g);
}
END_TEST

/* Forward + backward of BN2d and LayerNorm on SG_THREADS=1 and 2 must agree bit for bit. */
static void norm_run(int threads, float *out, float *grads, int64_t n, int64_t C)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    int64_t shape[4] = {4, C, 24, 24}, ln_shape[1] = {24};
    float *x = malloc((size_t)n * sizeof *x), *dy = malloc((size_t)n * sizeof *dy);
    float *w = calloc((size_t)C, sizeof *w), *b = calloc((size_t)C, sizeof *b);
    float *rm = calloc((size_t)C, sizeof *rm), *rv = calloc((size_t)C, sizeof *rv), lw[24], lb[24];
    sg_test_fill_normal(x, n, 5, 2.0f);
    sg_test_fill_normal(dy, n, 6, 1.0f);
    sg_test_fill_normal(w, C, 7, 1.0f);
    sg_test_fill_normal(lw, 24, 8, 1.0f);
    sg_test_fill_normal(lb, 24, 9, 1.0f);
    sg_graph *g = sg_graph_new();
    sg_tensor *xt = sg_graph_view(g, x, 4, shape);
    sg_tensor *wt = sg_graph_view(g, w, 1, &C), *bt = sg_graph_view(g, b, 1, &C);
    sg_tensor *lwt = sg_graph_view(g, lw, 1, ln_shape), *lbt = sg_graph_view(g, lb, 1, ln_shape);
    xt->requires_grad = wt->requires_grad = bt->requires_grad = true;
    lwt->requires_grad = lbt->requires_grad = true;
    sg_tensor *y = sg_batchnorm2d(g, xt, wt, bt, sg_graph_view(g, rm, 1, &C), sg_graph_view(g, rv, 1, &C),
                                  0.1f, 1e-5f);
    y = sg_layernorm(g, y, 1, lwt, lbt, 1e-5f);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    memcpy(out, y->data, (size_t)n * sizeof *out);
    memcpy(grads, xt->grad, (size_t)n * sizeof *grads);
    memcpy(grads + n, wt->grad, (size_t)C * sizeof *grads);
    memcpy(grads + n + C, lwt->grad, 24 * sizeof *grads);
    memcpy(grads + n + C + 24, rv, (size_t)C * sizeof *grads);
    sg_graph_free(g);
    free(x);
    free(dy);
    free(w);
    free(b);
    free(rm);
    free(rv);
}

START_TEST(norms_are_bit_identical_on_one_and_two_threads)
{
    const int64_t C = 70, n = 4 * C * 24 * 24, ng = n + C + 24 + C;
    float *o1 = malloc((size_t)n * 4), *o2 = malloc((size_t)n * 4);
    float *g1 = malloc((size_t)ng * 4), *g2 = malloc((size_t)ng * 4);
    int before = sg_threads();
    norm_run(1, o1, g1, n, C);
    norm_run(2, o2, g2, n, C);
    sg_set_threads(before);
    ck_assert_int_eq(memcmp(o1, o2, (size_t)n * 4), 0);
    ck_assert_int_eq(memcmp(g1, g2, (size_t)ng * 4), 0);
    free(o1);
    free(o2);
    free(g1);
    free(g2);
}
END_TEST

START_TEST(batchnorm_rejects_bad_shapes_and_options)
{
    sg_graph *g = sg_graph_new();
    float data[64] = {0};
    int64_t s3[3] = {2, 4, 8}, s4[4] = {2, 4, 2, 2}, one[4] = {1, 4, 1, 1}, c3 = 3, c4 = 4;
    sg_tensor *x3 = sg_graph_view(g, data, 3, s3);
    ck_assert_ptr_null(sg_batchnorm2d(g, x3, NULL, NULL, NULL, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "batchnorm2d: input [2, 4, 8]");
    sg_graph_reset(g);

    sg_tensor *x4 = sg_graph_view(g, data, 4, s4), *w3 = sg_graph_view(g, data, 1, &c3);
    ck_assert_ptr_null(sg_batchnorm2d(g, x4, w3, NULL, NULL, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "weight has shape [3], expected [4]");
    sg_graph_reset(g);

    x4 = sg_graph_view(g, data, 4, s4);
    sg_tensor *r4 = sg_graph_view(g, data, 1, &c4);
    ck_assert_ptr_null(sg_batchnorm2d(g, x4, NULL, NULL, r4, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_INVALID, "both");
    sg_graph_reset(g);

    x4 = sg_graph_view(g, data, 4, s4);
    ck_assert_ptr_null(sg_batchnorm2d(g, x4, NULL, NULL, NULL, NULL, 1.5f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_INVALID, "momentum");
    sg_graph_reset(g);

    sg_tensor *x1 = sg_graph_view(g, data, 4, one);
    ck_assert_ptr_null(sg_batchnorm2d(g, x1, NULL, NULL, NULL, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "one value per channel");
    sg_graph_reset(g);

    x4 = sg_graph_view(g, data, 4, s4);
    ck_assert_ptr_null(sg_batchnorm1d(g, x4, NULL, NULL, NULL, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "batchnorm1d: input [2, 4, 2, 2], expected [N, C] or [N, C, L]");
    sg_graph_reset(g);

    /* a NULL input (an earlier failure) gives NULL, no crash */
    ck_assert_ptr_null(sg_batchnorm2d(g, NULL, NULL, NULL, NULL, NULL, 0.1f, 1e-5f));
    sg_test_expect_error(g, SG_ERR_INVALID, "batchnorm2d: input 0 is NULL");
    sg_graph_free(g);
}
END_TEST

/* ---- LayerNorm ---------------------------------------------------------- */

typedef struct ln_case {
    int n_norm_dims;
    bool affine;
} ln_case;

static sg_tensor *build_ln(sg_graph *g, sg_tensor **in, void *ctx)
{
    ln_case *c = ctx;
    return sg_layernorm(g, in[0], c->n_norm_dims, c->affine ? in[1] : NULL, c->affine ? in[2] : NULL,
                        SG_LN_EPS);
}

static void ln_gradcheck(const char *name, int ndim, const int64_t *shape, int n_norm_dims, bool affine)
{
    ln_case c = {n_norm_dims, affine};
    int64_t n = sg_shape_numel(ndim, shape), D = 1;
    for (int i = ndim - n_norm_dims; i < ndim; i++) D *= shape[i];
    float *x = malloc((size_t)n * sizeof *x), *w = malloc((size_t)D * 4), *b = malloc((size_t)D * 4);
    sg_test_fill_normal(x, n, 11, 1.0f);
    sg_test_fill_uniform(w, D, 12, 0.5f, 1.5f);
    sg_test_fill_normal(b, D, 13, 0.5f);
    sg_test_input inputs[3] = {{ndim, {0}, x, true}, {n_norm_dims, {0}, w, true}, {n_norm_dims, {0}, b, true}};
    memcpy(inputs[0].shape, shape, (size_t)ndim * sizeof *shape);
    memcpy(inputs[1].shape, shape + ndim - n_norm_dims, (size_t)n_norm_dims * sizeof *shape);
    memcpy(inputs[2].shape, shape + ndim - n_norm_dims, (size_t)n_norm_dims * sizeof *shape);
    sg_test_gradcheck_opts o = {.training = true, .max_checks = 48};
    sg_test_gradcheck(name, build_ln, &c, affine ? 3 : 1, inputs, &o);
    free(x);
    free(w);
    free(b);
}

START_TEST(layernorm_backward_matches_finite_differences_over_one_and_two_dims)
{
    int64_t s3[3] = {2, 3, 5};
    ln_gradcheck("layernorm last dim", 3, s3, 1, true);
    ln_gradcheck("layernorm last two dims", 3, s3, 2, true);
    ln_gradcheck("layernorm no affine", 3, s3, 1, false);
}
END_TEST

START_TEST(layernorm_rows_have_zero_mean_and_unit_biased_variance)
{
    sg_graph *g = sg_graph_new();
    int64_t shape[2] = {3, 100};
    float x[300];
    sg_test_fill_normal(x, 300, 21, 3.0f);
    sg_tensor *y = sg_layernorm(g, sg_graph_view(g, x, 2, shape), 1, NULL, NULL, 0.0f);
    ck_assert_ptr_nonnull(y);
    for (int r = 0; r < 3; r++) {
        double m = 0, v = 0;
        for (int j = 0; j < 100; j++) m += y->data[r * 100 + j];
        m /= 100;
        for (int j = 0; j < 100; j++) v += (y->data[r * 100 + j] - m) * (y->data[r * 100 + j] - m);
        v /= 100;
        ck_assert_double_eq_tol(m, 0.0, 1e-6);
        ck_assert_double_eq_tol(v, 1.0, 1e-5);
    }
    sg_graph_free(g);
}
END_TEST

/* dw and db of a LayerNorm wider than one column block (64) on 1 thread, where
 * the pool hands the whole column range to one call: the same bits as on 2
 * threads, and db = the column sums of dy (a regression: the block's stack
 * arrays were once indexed by the whole range). */
static void ln_wide_grads(int threads, float *dw, float *db, const float *x, const float *dy)
{
    enum { R = 5, D = 200 };
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, true);
    const int64_t shape[2] = {R, D}, dshape[1] = {D};
    float w[D], b[D];
    for (int j = 0; j < D; j++) w[j] = 1.0f + 0.01f * (float)j, b[j] = 0.0f;
    sg_tensor *xt = sg_graph_view(g, (float *)x, 2, shape), *wt = sg_graph_view(g, w, 1, dshape),
              *bt = sg_graph_view(g, b, 1, dshape);
    sg_graph_retain_grad(g, wt), sg_graph_retain_grad(g, bt);
    sg_tensor *y = sg_layernorm(g, xt, 1, wt, bt, 1e-5f);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    memcpy(dw, wt->grad, sizeof(float) * D);
    memcpy(db, bt->grad, sizeof(float) * D);
    sg_graph_free(g);
}

START_TEST(layernorm_weight_grads_wider_than_a_column_block_on_one_thread)
{
    enum { R = 5, D = 200 };
    static float x[R * D], dy[R * D], dw1[D], db1[D], dw2[D], db2[D];
    sg_test_fill_normal(x, R * D, 31, 1.0f);
    sg_test_fill_normal(dy, R * D, 32, 1.0f);
    const int saved = sg_threads();
    ln_wide_grads(1, dw1, db1, x, dy);
    ln_wide_grads(2, dw2, db2, x, dy);
    sg_set_threads(saved);
    ck_assert(memcmp(dw1, dw2, sizeof dw1) == 0);
    ck_assert(memcmp(db1, db2, sizeof db1) == 0);
    for (int j = 0; j < D; j++) {
        double s = 0;
        for (int r = 0; r < R; r++) s += dy[r * D + j];
        ck_assert_float_eq(db1[j], (float)s);
    }
}
END_TEST

START_TEST(layernorm_rejects_bad_shapes)
{
    sg_graph *g = sg_graph_new();
    float data[64] = {0};
    int64_t s[3] = {2, 3, 4}, w_bad[1] = {3}, w2[2] = {3, 4};
    sg_tensor *x = sg_graph_view(g, data, 3, s);
    ck_assert_ptr_null(sg_layernorm(g, x, 4, NULL, NULL, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "last 4 dims of input [2, 3, 4]");
    sg_graph_reset(g);

    x = sg_graph_view(g, data, 3, s);
    ck_assert_ptr_null(sg_layernorm(g, x, 1, sg_graph_view(g, data, 1, w_bad), NULL, 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "layernorm: weight has shape [3], expected the last 1 dims of input [2, 3, 4]");
    sg_graph_reset(g);

    x = sg_graph_view(g, data, 3, s);
    ck_assert_ptr_null(sg_layernorm(g, x, 1, NULL, sg_graph_view(g, data, 2, w2), 1e-5f));
    sg_test_expect_error(g, SG_ERR_SHAPE, "bias has shape [3, 4]");
    sg_graph_reset(g);

    x = sg_graph_view(g, data, 3, s);
    ck_assert_ptr_nonnull(sg_layernorm(g, x, 2, sg_graph_view(g, data, 2, w2), NULL, 1e-5f));
    sg_graph_free(g);
}
END_TEST

static Suite *norm_suite(void)
{
    Suite *s = suite_create("norm");
    SG_ADD_TEST(s, batchnorm2d_train_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, batchnorm2d_eval_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, batchnorm2d_without_affine_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, batchnorm1d_backward_matches_finite_differences_on_nc_and_ncl, 30);
    SG_ADD_TEST(s, batchnorm2d_train_normalises_with_biased_variance_and_updates_unbiased_running_var, 10);
    SG_ADD_TEST(s, batchnorm2d_updates_running_stats_in_no_grad_training_but_not_in_eval, 10);
    SG_ADD_TEST(s, batchnorm_without_running_stats_uses_batch_statistics_in_eval, 10);
    SG_ADD_TEST(s, norms_are_bit_identical_on_one_and_two_threads, 30);
    SG_ADD_TEST(s, batchnorm_rejects_bad_shapes_and_options, 10);
    SG_ADD_TEST(s, layernorm_backward_matches_finite_differences_over_one_and_two_dims, 30);
    SG_ADD_TEST(s, layernorm_rows_have_zero_mean_and_unit_biased_variance, 10);
    SG_ADD_TEST(s, layernorm_rejects_bad_shapes, 10);
    SG_ADD_TEST(s, layernorm_weight_grads_wider_than_a_column_block_on_one_thread, 10);
    return s;
}

SG_TEST_MAIN(norm_suite)

/* tests/test_dropout.c - inverted dropout: keep rate, scale, reproducibility,
 * thread independence, gradient, eval identity, bad p. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/dropout.h"
#include "tests/testutil.h"

/* y = dropout(x) for x = 1 + i / n (never 0, so y == 0 exactly marks a dropped element). */
static float *run_dropout(uint64_t seed, uint64_t step, int calls_before, float p, int64_t n)
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, seed, step);
    for (int i = 0; i < calls_before; i++) sg_graph_next_random_id(g);
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    for (int64_t i = 0; i < n; i++) x[i] = 1.0f + (float)i / (float)n;
    sg_tensor *out = sg_dropout(g, sg_graph_view(g, x, 1, &n), p);
    ck_assert_msg(out != NULL, "%s", sg_graph_error_message(g));
    memcpy(y, out->data, (size_t)n * sizeof *y);
    sg_graph_free(g);
    free(x);
    return y;
}

START_TEST(dropout_keeps_one_minus_p_and_scales_kept_values)
{
    const int64_t n = 1 << 20;
    const float ps[3] = {0.1f, 0.5f, 0.8f};
    for (int k = 0; k < 3; k++) {
        float p = ps[k];
        float *y = run_dropout(42, 3, 0, p, n);
        int64_t kept = 0;
        for (int64_t i = 0; i < n; i++) {
            float x = 1.0f + (float)i / (float)n;
            if (y[i] != 0.0f) {
                kept++;
                ck_assert_float_eq_tol(y[i], x / (1.0f - p), 1e-6f * x / (1.0f - p));
            }
        }
        double rate = (double)kept / (double)n;
        /* binomial std of the rate: sqrt(p (1 - p) / n) <= 5e-4; allow 5 std */
        double tol = 5.0 * sqrt(p * (1.0 - p) / (double)n);
        printf("dropout p=%.1f: keep rate %.5f, expected %.5f +- %.5f\n", (double)p, rate, 1.0 - p, tol);
        ck_assert_double_le(fabs(rate - (1.0 - p)), tol);
        free(y);
    }
}
END_TEST

START_TEST(dropout_mask_is_reproducible_and_changes_with_step_and_call)
{
    const int64_t n = 4099; /* not a multiple of 4: the last Philox block is partial */
    float *a = run_dropout(7, 11, 0, 0.5f, n), *b = run_dropout(7, 11, 0, 0.5f, n);
    float *other_step = run_dropout(7, 12, 0, 0.5f, n), *other_call = run_dropout(7, 11, 1, 0.5f, n);
    float *other_seed = run_dropout(8, 11, 0, 0.5f, n);
    ck_assert_int_eq(memcmp(a, b, (size_t)n * sizeof *a), 0);
    int64_t diff_step = 0, diff_call = 0, diff_seed = 0;
    for (int64_t i = 0; i < n; i++) {
        diff_step += (a[i] == 0) != (other_step[i] == 0);
        diff_call += (a[i] == 0) != (other_call[i] == 0);
        diff_seed += (a[i] == 0) != (other_seed[i] == 0);
    }
    /* independent masks with p = 0.5 disagree on about half of the elements */
    printf("mask differences: step %lld, call %lld, seed %lld of %lld\n", (long long)diff_step,
           (long long)diff_call, (long long)diff_seed, (long long)n);
    ck_assert_int_gt(diff_step, n / 3);
    ck_assert_int_gt(diff_call, n / 3);
    ck_assert_int_gt(diff_seed, n / 3);
    /* and the mask is the documented function of (seed, step, call, index) */
    for (int64_t i = 0; i < n; i++)
        ck_assert_int_eq(a[i] != 0.0f, sg_dropout_keep(7, 11, 0, i, 0.5f));
    free(a);
    free(b);
    free(other_step);
    free(other_call);
    free(other_seed);
}
END_TEST

START_TEST(dropout_mask_is_the_same_on_one_and_two_threads)
{
    const int64_t n = 100003;
    int before = sg_threads();
    sg_set_threads(1);
    float *a = run_dropout(3, 5, 2, 0.3f, n);
    sg_set_threads(2);
    float *b = run_dropout(3, 5, 2, 0.3f, n);
    sg_set_threads(before);
    ck_assert_int_eq(memcmp(a, b, (size_t)n * sizeof *a), 0);
    free(a);
    free(b);
}
END_TEST

/* dL/dx = dy * mask / (1 - p): compare with the forward's own mask. */
START_TEST(dropout_gradient_is_mask_times_scale)
{
    const int64_t n = 5000;
    const float p = 0.25f;
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, 99, 1);
    float *x = malloc((size_t)n * 4), *dy = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) x[i] = 1.0f + (float)i / (float)n;
    sg_test_fill_normal(dy, n, 4, 1.0f);
    sg_tensor *xt = sg_graph_view(g, x, 1, &n);
    xt->requires_grad = true;
    sg_tensor *y = sg_dropout(g, xt, p);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    float *expect = malloc((size_t)n * 4);
    for (int64_t i = 0; i < n; i++) expect[i] = y->data[i] != 0.0f ? dy[i] * (1.0f / (1.0f - p)) : 0.0f;
    SG_ASSERT_CLOSE("dropout dx", expect, xt->grad, n, 0, 0);
    sg_graph_free(g);
    free(x);
    free(dy);
    free(expect);
}
END_TEST

static sg_tensor *build_dropout(sg_graph *g, sg_tensor **in, void *ctx)
{
    return sg_dropout(g, in[0], *(float *)ctx);
}

START_TEST(dropout_backward_matches_finite_differences)
{
    float x[60], p = 0.4f;
    sg_test_fill_normal(x, 60, 5, 1.0f);
    sg_test_input in = {2, {6, 10}, x, true};
    sg_test_gradcheck("dropout", build_dropout, &p, 1, &in, NULL);
}
END_TEST

START_TEST(dropout_is_identity_in_eval_mode_and_for_p_zero)
{
    sg_graph *g = sg_graph_new();
    float x[16];
    int64_t n = 16;
    sg_test_fill_normal(x, n, 6, 1.0f);
    sg_tensor *xt = sg_graph_view(g, x, 1, &n);
    ck_assert_ptr_eq(sg_dropout(g, xt, 0.0f), xt);
    sg_graph_set_training(g, false);
    ck_assert_ptr_eq(sg_dropout(g, xt, 0.9f), xt);
    ck_assert_int_eq(sg_graph_tape_length(g), 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(dropout_mask_from_any_start_matches_sg_dropout)
{
    /* sg_dropout of 1000 values at call 2 of step 7, then sg_dropout_mask over
     * windows starting at offsets 0..9 (not only multiples of four) and longer
     * than one batch of Philox blocks */
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, 11, 7);
    sg_tensor *x = sg_graph_tensor(g, 1, (int64_t[]){1000});
    sg_test_fill_normal(x->data, x->numel, 4, 1.0f);
    sg_dropout(g, x, 0.5f);
    sg_dropout(g, x, 0.5f);
    sg_tensor *y = sg_dropout(g, x, 0.3f);
    ck_assert_ptr_nonnull(y);
    int kept = 0;
    for (int64_t start = 0; start < 10; start++) {
        uint8_t keep[1000];
        const int64_t n = 1000 - start - 7 * (start % 3);
        sg_dropout_mask(11, 7, 2, start, n, 0.3f, keep);
        for (int64_t i = 0; i < n; i++) {
            const float want = y->data[start + i], got = keep[i] ? x->data[start + i] * (1.0f / (1.0f - 0.3f)) : 0.0f;
            ck_assert_msg(memcmp(&got, &want, sizeof got) == 0 && keep[i] == sg_dropout_keep(11, 7, 2, start + i, 0.3f),
                          "start %lld element %lld: mask %d gives %a, sg_dropout %a", (long long)start,
                          (long long)i, keep[i], (double)got, (double)want);
            kept += keep[i];
        }
    }
    ck_assert(kept > 0);
    /* the mask's integer threshold against sg_dropout_keep's float compare,
     * for p on and off multiples of 2^-24 */
    const float ps[] = {0.0f, 1e-9f, 0.1f, 0.5f, 0.75f, 0.999f, 1.0f - 0x1p-24f, 0x1p-24f * 3};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        uint8_t keep[4096];
        sg_dropout_mask(3, 1, 5, 17, 4096, ps[k], keep);
        for (int64_t i = 0; i < 4096; i++)
            ck_assert_msg(keep[i] == sg_dropout_keep(3, 1, 5, 17 + i, ps[k]), "p %a element %lld: mask %d",
                          (double)ps[k], (long long)i, keep[i]);
    }
    sg_graph_free(g);
}
END_TEST

START_TEST(dropout_rejects_p_outside_zero_one)
{
    const float bad[4] = {1.0f, -0.1f, 1.5f, NAN};
    for (int k = 0; k < 4; k++) {
        sg_graph *g = sg_graph_new();
        float x[4] = {1, 2, 3, 4};
        int64_t n = 4;
        /* checked in eval mode too: a bad configuration fails early */
        sg_graph_set_training(g, k % 2 == 0);
        ck_assert_ptr_null(sg_dropout(g, sg_graph_view(g, x, 1, &n), bad[k]));
        sg_test_expect_error(g, SG_ERR_INVALID, "expected 0 <= p < 1");
        sg_graph_free(g);
    }
}
END_TEST

static Suite *dropout_suite(void)
{
    Suite *s = suite_create("dropout");
    SG_ADD_TEST(s, dropout_keeps_one_minus_p_and_scales_kept_values, 30);
    SG_ADD_TEST(s, dropout_mask_is_reproducible_and_changes_with_step_and_call, 10);
    SG_ADD_TEST(s, dropout_mask_is_the_same_on_one_and_two_threads, 10);
    SG_ADD_TEST(s, dropout_gradient_is_mask_times_scale, 10);
    SG_ADD_TEST(s, dropout_backward_matches_finite_differences, 10);
    SG_ADD_TEST(s, dropout_is_identity_in_eval_mode_and_for_p_zero, 10);
    SG_ADD_TEST(s, dropout_rejects_p_outside_zero_one, 10);
    SG_ADD_TEST(s, dropout_mask_from_any_start_matches_sg_dropout, 10);
    return s;
}

SG_TEST_MAIN(dropout_suite)

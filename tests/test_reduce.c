/* tests/test_reduce.c - sum, mean and max over axes.
 *
 * Forward values are compared with a naive reference that walks the input in
 * row-major order and adds each element into its output in double: the same
 * order the library promises, so sums must agree bit for bit. Gradients are
 * checked against finite differences; the tie rule of max, empty reductions,
 * axis errors and thread-count independence have tests of their own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/elementwise.h"
#include "layers/reduce.h"
#include "tests/testutil.h"

typedef sg_tensor *(*reduce_fn)(sg_graph *, sg_tensor *, int, const int *, bool);

typedef struct axes_case {
    int n;
    int axes[4];
} axes_case;

static const axes_case AXES[] = {
    {1, {0}},    {1, {1}},    {1, {3}},     {1, {-1}},       {2, {0, 2}},    {2, {1, 3}},
    {2, {0, 1}}, {2, {2, 3}}, {2, {0, 3}},  {2, {1, 2}},     {3, {0, 2, 3}}, {2, {-3, -1}},
    {4, {3, 1, 0, 2}},        {0, {0}},
};
#define N_AXES (int)(sizeof AXES / sizeof AXES[0])

static const int64_t X_SHAPE[4] = {3, 4, 5, 6};

/* Reference: out index of every input element; sum/mean in double, max first-wins. */
static void reference(char op, const float *x, const axes_case *a, bool keepdim, float *out,
                      int64_t *out_n, int *out_ndim, int64_t *out_shape)
{
    bool red[4] = {a->n == 0, a->n == 0, a->n == 0, a->n == 0};
    for (int i = 0; i < a->n; i++) red[a->axes[i] < 0 ? a->axes[i] + 4 : a->axes[i]] = true;
    int64_t n_out = 1, count = 1;
    *out_ndim = 0;
    for (int d = 0; d < 4; d++) {
        if (!red[d]) n_out *= X_SHAPE[d];
        else count *= X_SHAPE[d];
        if (!red[d] || keepdim) out_shape[(*out_ndim)++] = red[d] ? 1 : X_SHAPE[d];
    }
    double acc[360];
    bool seen[360] = {false};
    for (int64_t j = 0; j < n_out; j++) acc[j] = 0;
    int64_t i = 0;
    for (int64_t i0 = 0; i0 < 3; i0++)
        for (int64_t i1 = 0; i1 < 4; i1++)
            for (int64_t i2 = 0; i2 < 5; i2++)
                for (int64_t i3 = 0; i3 < 6; i3++, i++) {
                    const int64_t c[4] = {i0, i1, i2, i3};
                    int64_t j = 0;
                    for (int d = 0; d < 4; d++)
                        if (!red[d]) j = j * X_SHAPE[d] + c[d];
                    if (op == 'M') {
                        if (!seen[j] || x[i] > acc[j]) acc[j] = x[i];
                        seen[j] = true;
                    } else {
                        acc[j] += x[i];
                    }
                }
    for (int64_t j = 0; j < n_out; j++)
        out[j] = op == 'm' ? (float)(acc[j] * (1.0 / (double)count)) : (float)acc[j];
    *out_n = n_out;
}

static void check_forward(char op, reduce_fn fn)
{
    for (int k = 0; k < N_AXES; k++)
        for (int keep = 0; keep < 2; keep++) {
            sg_graph *g = sg_graph_new();
            sg_tensor *x = sg_graph_tensor(g, 4, X_SHAPE);
            sg_test_fill_normal(x->data, x->numel, 5 + k, 1.0f);
            sg_tensor *y = fn(g, x, AXES[k].n, AXES[k].axes, keep);
            ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
            float want[360];
            int64_t n, shape[4];
            int ndim;
            reference(op, x->data, &AXES[k], keep, want, &n, &ndim, shape);
            ck_assert_int_eq(y->ndim, ndim);
            for (int d = 0; d < ndim; d++) ck_assert_int_eq(y->shape[d], shape[d]);
            ck_assert_int_eq(y->numel, n);
            char what[64];
            snprintf(what, sizeof what, "%c over case %d keepdim %d", op, k, keep);
            SG_ASSERT_CLOSE(what, want, y->data, n, 0, 0);   /* same order: exact */
            sg_graph_free(g);
        }
}

START_TEST(sum_matches_row_major_double_reference_exactly) { check_forward('s', sg_sum); }
END_TEST
START_TEST(mean_matches_row_major_double_reference_exactly) { check_forward('m', sg_mean); }
END_TEST
START_TEST(max_matches_reference_exactly) { check_forward('M', sg_max); }
END_TEST

START_TEST(reducing_every_axis_gives_a_scalar)
{
    sg_graph *g = sg_graph_new();
    float v[6] = {1, 2, 3, 4, 5, 6};
    sg_tensor *x = sg_graph_tensor_from(g, 2, (int64_t[]){2, 3}, v);
    sg_tensor *s = sg_sum_all(g, x), *m = sg_mean_all(g, x);
    ck_assert_int_eq(s->ndim, 0);
    ck_assert_int_eq(m->ndim, 0);
    ck_assert_float_eq(s->data[0], 21.0f);
    ck_assert_float_eq(m->data[0], 3.5f);
    sg_tensor *k = sg_max(g, x, 0, NULL, true);
    ck_assert_int_eq(k->ndim, 2);
    ck_assert_int_eq(k->shape[0], 1);
    ck_assert_int_eq(k->shape[1], 1);
    ck_assert_float_eq(k->data[0], 6.0f);
    /* a 0-dim input reduces to itself; axis 0 / -1 are accepted as in torch */
    sg_tensor *z = sg_sum(g, s, 1, (int[]){-1}, false);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(z->ndim, 0);
    ck_assert_float_eq(z->data[0], 21.0f);
    sg_graph_free(g);
}
END_TEST

typedef struct reduce_ctx {
    reduce_fn fn;
    const axes_case *a;
    bool keepdim;
} reduce_ctx;

static sg_tensor *build_reduce(sg_graph *g, sg_tensor **in, void *ctx)
{
    const reduce_ctx *c = ctx;
    return c->fn(g, in[0], c->a->n, c->a->axes, c->keepdim);
}

static void gradcheck_all(const char *name, reduce_fn fn)
{
    /* distinct values 0.01 apart (10 eps), shuffled: no near-ties for max */
    float x[360];
    for (int i = 0; i < 360; i++) x[i] = 0.01f * (float)((i * 37) % 360) - 1.8f;
    for (int k = 0; k < N_AXES; k++) {
        sg_test_input in[1] = {{4, {3, 4, 5, 6}, x, true}};
        reduce_ctx c = {fn, &AXES[k], k % 2 == 0};
        char what[64];
        snprintf(what, sizeof what, "%s, axes case %d", name, k);
        sg_test_gradcheck(what, build_reduce, &c, 1, in, &(sg_test_gradcheck_opts){.max_checks = 40});
    }
}

START_TEST(sum_backward_matches_finite_differences) { gradcheck_all("sum", sg_sum); }
END_TEST
START_TEST(mean_backward_matches_finite_differences) { gradcheck_all("mean", sg_mean); }
END_TEST
START_TEST(max_backward_matches_finite_differences) { gradcheck_all("max", sg_max); }
END_TEST

/* x feeds sum, mean and max; each backward must ADD into x's gradient. */
static sg_tensor *build_fan_out(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    const int axes[2] = {0, 2};
    sg_tensor *y = sg_add(g, sg_sum(g, in[0], 1, (int[]){1}, true), sg_mean_all(g, in[0]));
    return sg_add(g, y, sg_max(g, in[0], 2, axes, true));
}

START_TEST(fan_out_gradients_accumulate)
{
    float x[360];
    for (int i = 0; i < 360; i++) x[i] = 0.01f * (float)((i * 37) % 360) - 1.8f;
    sg_test_input in[1] = {{4, {3, 4, 5, 6}, x, true}};
    sg_test_gradcheck("sum + mean + max of one x", build_fan_out, NULL, 1, in, NULL);
}
END_TEST

START_TEST(max_gradient_goes_to_the_first_of_tied_maxima)
{
    sg_graph *g = sg_graph_new();
    float v[8] = {1, 3, 3, 2, /* second row: ties in column direction */ 3, 0, 3, 2};
    sg_tensor *x = sg_graph_tensor_from(g, 2, (int64_t[]){2, 4}, v);
    x->requires_grad = true;
    sg_tensor *y = sg_max(g, x, 1, (int[]){1}, false);   /* per row */
    ck_assert_float_eq(y->data[0], 3.0f);
    ck_assert_float_eq(y->data[1], 3.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, (float[]){10, 20}), SG_OK);
    const float want_rows[8] = {0, 10, 0, 0, 20, 0, 0, 0};
    SG_ASSERT_CLOSE("max over rows, ties", want_rows, x->grad, 8, 0, 0);
    sg_graph_reset(g);

    x = sg_graph_tensor_from(g, 2, (int64_t[]){2, 4}, v);
    x->requires_grad = true;
    y = sg_max(g, x, 1, (int[]){0}, false);              /* per column */
    ck_assert_int_eq(sg_graph_backward_from(g, y, (float[]){1, 2, 3, 4}), SG_OK);
    const float want_cols[8] = {0, 2, 3, 4, 1, 0, 0, 0};
    SG_ASSERT_CLOSE("max over columns, ties", want_cols, x->grad, 8, 0, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(max_propagates_nan)
{
    sg_graph *g = sg_graph_new();
    float v[4] = {1, NAN, 5, 2};
    sg_tensor *x = sg_graph_tensor_from(g, 1, (int64_t[]){4}, v);
    ck_assert(isnan(sg_max(g, x, 0, NULL, false)->data[0]));
    sg_graph_free(g);
}
END_TEST

START_TEST(empty_reductions_follow_torch)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 2, (int64_t[]){0, 3});
    sg_tensor *s = sg_sum(g, x, 1, (int[]){0}, false);
    ck_assert_int_eq(s->ndim, 1);
    ck_assert_int_eq(s->shape[0], 3);
    for (int i = 0; i < 3; i++) ck_assert_float_eq(s->data[i], 0.0f);
    sg_tensor *m = sg_mean(g, x, 1, (int[]){0}, false);
    for (int i = 0; i < 3; i++) ck_assert(isnan(m->data[i]));
    sg_tensor *e = sg_sum(g, x, 1, (int[]){1}, true);      /* nothing to produce */
    ck_assert_int_eq(e->numel, 0);
    ck_assert_ptr_null(sg_max(g, x, 1, (int[]){0}, false));
    sg_test_expect_error(g, SG_ERR_SHAPE, "max: reducing an empty extent of input [0, 3]");
    sg_graph_free(g);
}
END_TEST

START_TEST(bad_axes_fail_naming_the_op_axis_and_shape)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_sum(g, x, 1, (int[]){3}, false));
    sg_test_expect_error(g, SG_ERR_SHAPE,
                         "sum: axis 3 is out of range for input [2, 3, 4] (expected -3..2)");
    sg_graph_free(g);

    g = sg_graph_new();
    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_mean(g, x, 2, (int[]){0, -4}, false));
    sg_test_expect_error(g, SG_ERR_SHAPE, "mean: axis -4 is out of range");
    sg_graph_free(g);

    g = sg_graph_new();
    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_max(g, x, 2, (int[]){1, -2}, true));
    sg_test_expect_error(g, SG_ERR_INVALID, "max: axis 1 appears twice");
    sg_graph_free(g);

    g = sg_graph_new();
    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_sum(g, x, 1, NULL, false));
    sg_test_expect_error(g, SG_ERR_INVALID, "sum: 1 axes given");
    ck_assert_ptr_null(sg_sum_all(g, x));               /* sticky */
    sg_graph_free(g);
}
END_TEST

START_TEST(sum_to_reduces_missing_leading_and_size_one_dims)
{
    /* dst [3, 1] += 0.5 * sum of src [2, 3, 4] over dims 0 and 2 */
    float src[24], dst[3] = {1, 1, 1};
    for (int i = 0; i < 24; i++) src[i] = (float)i;
    sg_reduce_sum_to(dst, 2, (int64_t[]){3, 1}, src, 3, (int64_t[]){2, 3, 4}, 0.5);
    float want[3];
    for (int c = 0; c < 3; c++) {
        double s = 0;
        for (int n = 0; n < 2; n++)
            for (int w = 0; w < 4; w++) s += src[n * 12 + c * 4 + w];
        want[c] = 1.0f + (float)(0.5 * s);
    }
    SG_ASSERT_CLOSE("sum_to [3,1] from [2,3,4]", want, dst, 3, 0, 0);
}
END_TEST

/* A whole-tensor sum (cut into pieces), a column sum (blocks of kept outputs),
 * a row sum, and the backward of the column mean, on 1 or 2 threads. */
static void run_big(int threads, float out[4], float *col, float *row, float *dx)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, 2, (int64_t[]){3000, 700});
    sg_test_fill_normal(x->data, x->numel, 9, 1.0f);
    x->requires_grad = true;
    sg_tensor *all = sg_sum_all(g, x), *mean = sg_mean_all(g, x);
    sg_tensor *c = sg_mean(g, x, 1, (int[]){0}, false), *r = sg_sum(g, x, 1, (int[]){1}, false);
    out[0] = all->data[0];
    out[1] = mean->data[0];
    memcpy(col, c->data, 700 * sizeof(float));
    memcpy(row, r->data, 3000 * sizeof(float));
    float *seed = malloc(700 * sizeof(float));
    sg_test_fill_normal(seed, 700, 10, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, c, seed), SG_OK);
    memcpy(dx, x->grad, (size_t)x->numel * sizeof(float));
    double ref = 0;
    for (int64_t i = 0; i < x->numel; i++) ref += x->data[i];
    out[2] = (float)ref;
    free(seed);
    sg_graph_free(g);
}

START_TEST(sums_are_bit_identical_on_1_and_2_threads)
{
    const int64_t n = 3000 * 700;
    float o1[4], o2[4];
    float *c1 = malloc(700 * 4), *c2 = malloc(700 * 4), *r1 = malloc(3000 * 4), *r2 = malloc(3000 * 4);
    float *d1 = malloc(n * 4), *d2 = malloc(n * 4);
    int before = sg_threads();
    run_big(1, o1, c1, r1, d1);
    run_big(2, o2, c2, r2, d2);
    sg_set_threads(before);
    ck_assert_msg(memcmp(o1, o2, 2 * sizeof(float)) == 0,
                  "sum_all / mean_all differ: %.9g %.9g vs %.9g %.9g", o1[0], o1[1], o2[0], o2[1]);
    ck_assert_msg(memcmp(c1, c2, 700 * 4) == 0, "column means differ between 1 and 2 threads");
    ck_assert_msg(memcmp(r1, r2, 3000 * 4) == 0, "row sums differ between 1 and 2 threads");
    ck_assert_msg(memcmp(d1, d2, n * 4) == 0, "mean backward differs between 1 and 2 threads");
    /* the pieces of the whole-tensor sum lose nothing against one double sum */
    SG_ASSERT_CLOSE("sum_all vs sequential double sum", &o1[2], &o1[0], 1, 1e-3, 1e-6);
    free(c1);
    free(c2);
    free(r1);
    free(r2);
    free(d1);
    free(d2);
}
END_TEST

static Suite *reduce_suite(void)
{
    Suite *s = suite_create("reduce");
    SG_ADD_TEST(s, sum_matches_row_major_double_reference_exactly, 10);
    SG_ADD_TEST(s, mean_matches_row_major_double_reference_exactly, 10);
    SG_ADD_TEST(s, max_matches_reference_exactly, 10);
    SG_ADD_TEST(s, reducing_every_axis_gives_a_scalar, 10);
    SG_ADD_TEST(s, sum_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, mean_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, max_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, fan_out_gradients_accumulate, 10);
    SG_ADD_TEST(s, max_gradient_goes_to_the_first_of_tied_maxima, 10);
    SG_ADD_TEST(s, max_propagates_nan, 10);
    SG_ADD_TEST(s, empty_reductions_follow_torch, 10);
    SG_ADD_TEST(s, bad_axes_fail_naming_the_op_axis_and_shape, 10);
    SG_ADD_TEST(s, sum_to_reduces_missing_leading_and_size_one_dims, 10);
    SG_ADD_TEST(s, sums_are_bit_identical_on_1_and_2_threads, 30);
    return s;
}

SG_TEST_MAIN(reduce_suite)

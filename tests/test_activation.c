/* tests/test_activation.c - pointwise activations, softmax and log_softmax.
 *
 * Forward values against the formulas evaluated in double; gradients against
 * finite differences (data kept away from the kinks of relu and hardtanh);
 * the gradient at the kinks, softmax's numerical stability, dim errors and
 * thread-count independence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/activation.h"
#include "layers/elementwise.h"
#include "tests/testutil.h"

typedef struct act_case {
    const char *name;
    sg_tensor *(*fn)(sg_graph *, sg_tensor *);
    int kind;                  /* 0: fn, 1: leaky_relu(a), 2: hardtanh(a, b) */
    float a, b;
    double (*ref)(double x, double a, double b);
    float kinks[2];            /* test data stays >= 0.05 away from these */
    int n_kinks;
} act_case;

static double r_relu(double x, double a, double b) { (void)a, (void)b; return x > 0 ? x : 0; }
static double r_hardtanh(double x, double a, double b) { return x < a ? a : x > b ? b : x; }
static double r_leaky(double x, double a, double b) { (void)b; return x > 0 ? x : a * x; }
static double r_gelu(double x, double a, double b)
{
    (void)a, (void)b;
    return 0.5 * x * (1 + erf(x / sqrt(2.0)));
}
static double r_gelu_tanh(double x, double a, double b)
{
    (void)a, (void)b;
    return 0.5 * x * (1 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}
static double r_sigmoid(double x, double a, double b) { (void)a, (void)b; return 1 / (1 + exp(-x)); }
static double r_tanh(double x, double a, double b) { (void)a, (void)b; return tanh(x); }

static const act_case ACTS[] = {
    {"relu", sg_relu, 0, 0, 0, r_relu, {0}, 1},
    {"relu6", sg_relu6, 2, 0, 6, r_hardtanh, {0, 6}, 2},
    {"hardtanh(-0.5, 1.5)", NULL, 2, -0.5f, 1.5f, r_hardtanh, {-0.5f, 1.5f}, 2},
    {"leaky_relu(0.1)", NULL, 1, 0.1f, 0, r_leaky, {0}, 1},
    {"gelu", sg_gelu, 0, 0, 0, r_gelu, {0}, 0},
    {"gelu_tanh", sg_gelu_tanh, 0, 0, 0, r_gelu_tanh, {0}, 0},
    {"sigmoid", sg_sigmoid, 0, 0, 0, r_sigmoid, {0}, 0},
    {"tanh", sg_tanh, 0, 0, 0, r_tanh, {0}, 0},
};
#define N_ACTS (int)(sizeof ACTS / sizeof ACTS[0])

static sg_tensor *build_act(sg_graph *g, sg_tensor **in, void *ctx)
{
    const act_case *c = ctx;
    if (c->kind == 1) return sg_leaky_relu(g, in[0], c->a);
    if (c->kind == 2) return c->fn ? c->fn(g, in[0]) : sg_hardtanh(g, in[0], c->a, c->b);
    return c->fn(g, in[0]);
}

/* Uniform in [-r, r], nudged >= 0.05 away from the case's kinks. */
static void fill_case(const act_case *c, float *x, int64_t n, uint64_t seed, float r)
{
    sg_test_fill_uniform(x, n, seed, -r, r);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < c->n_kinks; k++)
            if (fabsf(x[i] - c->kinks[k]) < 0.05f)
                x[i] = c->kinks[k] + (x[i] < c->kinks[k] ? -0.1f : 0.1f);
}

START_TEST(activations_match_their_formulas_in_double)
{
    for (int k = 0; k < N_ACTS; k++) {
        const act_case *c = &ACTS[k];
        sg_graph *g = sg_graph_new();
        sg_tensor *x = sg_graph_tensor(g, 2, (int64_t[]){10, 20});
        fill_case(c, x->data, x->numel, 50 + k, 8.0f);
        sg_tensor *in[1] = {x};
        sg_tensor *y = build_act(g, in, (void *)c);
        ck_assert_ptr_nonnull(y);
        float want[200];
        for (int i = 0; i < 200; i++) want[i] = (float)c->ref(x->data[i], c->a, c->b);
        SG_ASSERT_CLOSE(c->name, want, y->data, 200, 1e-7, 1e-6);
        sg_graph_free(g);
    }
}
END_TEST

START_TEST(activation_backward_matches_finite_differences)
{
    for (int k = 0; k < N_ACTS; k++) {
        const act_case *c = &ACTS[k];
        float x[120];
        fill_case(c, x, 120, 60 + k, c->n_kinks == 2 ? 8.0f : 4.0f);   /* reach relu6's 6 */
        sg_test_input in[1] = {{4, {2, 3, 4, 5}, x, true}};
        sg_test_gradcheck(c->name, build_act, (void *)c, 1, in,
                          &(sg_test_gradcheck_opts){.max_checks = 120});
    }
}
END_TEST

/* x feeds every activation and both softmaxes; their sum is the output. Each
 * backward must ADD into x's gradient, or the check fails. */
static sg_tensor *build_fan_out(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    sg_tensor *y = sg_softmax(g, in[0], 1);
    y = sg_add(g, y, sg_log_softmax(g, in[0], 0));
    for (int k = 0; k < N_ACTS; k++) y = sg_add(g, y, build_act(g, in, (void *)&ACTS[k]));
    return y;
}

START_TEST(fan_out_gradients_accumulate)
{
    float x[24];
    sg_test_fill_uniform(x, 24, 99, 0.1f, 5.5f);   /* away from every kink */
    sg_test_input in[1] = {{2, {4, 6}, x, true}};
    sg_test_gradcheck("sum of all activations of one x", build_fan_out, NULL, 1, in, NULL);
}
END_TEST

START_TEST(gradient_at_the_kinks_is_zero_as_in_torch)
{
    sg_graph *g = sg_graph_new();
    float v[5] = {-1, 0, 3, 6, 7}, seed[5] = {1, 1, 1, 1, 1};
    sg_tensor *x = sg_graph_tensor_from(g, 1, (int64_t[]){5}, v);
    x->requires_grad = true;
    ck_assert_int_eq(sg_graph_backward_from(g, sg_relu(g, x), seed), SG_OK);
    const float want_relu[5] = {0, 0, 1, 1, 1};
    SG_ASSERT_CLOSE("relu' at -1, 0, 3, 6, 7", want_relu, x->grad, 5, 0, 0);
    sg_graph_reset(g);
    x = sg_graph_tensor_from(g, 1, (int64_t[]){5}, v);
    x->requires_grad = true;
    sg_tensor *y = sg_relu6(g, x);
    const float want_y[5] = {0, 0, 3, 6, 6};
    SG_ASSERT_CLOSE("relu6 at -1, 0, 3, 6, 7", want_y, y->data, 5, 0, 0);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    const float want_relu6[5] = {0, 0, 1, 0, 0};
    SG_ASSERT_CLOSE("relu6' at -1, 0, 3, 6, 7", want_relu6, x->grad, 5, 0, 0);
    sg_graph_free(g);
}
END_TEST

/* relu_inplace / relu6_inplace overwrite x and read their mask from y: the
 * values and gradients must equal sg_relu / sg_relu6 bit for bit, kinks,
 * signed zero and NaN included. */
START_TEST(inplace_relu_and_relu6_match_the_copying_ones_bit_for_bit)
{
    enum { N = 64 };
    float v[N], seed[N];
    sg_test_fill_uniform(v, N, 7, -8.0f, 8.0f);
    v[0] = 0.0f, v[1] = -0.0f, v[2] = 6.0f, v[3] = NAN, v[4] = -1e-30f, v[5] = 6.0000005f;
    sg_test_fill_uniform(seed, N, 8, -1.0f, 1.0f);
    sg_tensor *(*copying[2])(sg_graph *, sg_tensor *) = {sg_relu, sg_relu6};
    sg_tensor *(*inplace[2])(sg_graph *, sg_tensor *) = {sg_relu_inplace, sg_relu6_inplace};
    for (int f = 0; f < 2; f++) {
        sg_graph *ga = sg_graph_new(), *gb = sg_graph_new();
        sg_tensor *a = sg_graph_tensor_from(ga, 1, (int64_t[]){N}, v);
        sg_tensor *b = sg_graph_tensor_from(gb, 1, (int64_t[]){N}, v);
        a->requires_grad = b->requires_grad = true;
        sg_tensor *ya = copying[f](ga, a), *yb = inplace[f](gb, b);
        ck_assert_ptr_eq(yb->data, b->data);   /* really in place */
        ck_assert_int_eq(sg_graph_backward_from(ga, ya, seed), SG_OK);
        ck_assert_int_eq(sg_graph_backward_from(gb, yb, seed), SG_OK);
        ck_assert_mem_eq(ya->data, yb->data, sizeof v);
        ck_assert_mem_eq(a->grad, b->grad, sizeof v);
        sg_graph_free(ga);
        sg_graph_free(gb);
    }
}
END_TEST

START_TEST(bad_hardtanh_bounds_fail)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 1, (int64_t[]){3});
    ck_assert_ptr_null(sg_hardtanh(g, x, 2.0f, 1.0f));
    sg_test_expect_error(g, SG_ERR_INVALID, "hardtanh: lo 2 must not be above hi 1");
    sg_graph_free(g);
}
END_TEST

/* ---- softmax -------------------------------------------------------------------- */

typedef struct softmax_case {
    int ndim;
    int64_t shape[4];
    int dim;
    bool log;
} softmax_case;

static const softmax_case SOFTMAX[] = {
    {4, {2, 3, 4, 5}, 1, false}, {4, {2, 3, 4, 5}, -1, false}, {4, {2, 3, 4, 5}, 0, false},
    {2, {4, 7}, -1, false},      {4, {2, 3, 9, 9}, 1, false},  {1, {6}, 0, false},
    {4, {2, 3, 4, 5}, 1, true},  {4, {2, 3, 4, 5}, -1, true},  {4, {2, 3, 4, 5}, -4, true},
    {2, {4, 7}, 1, true},        {4, {2, 3, 9, 9}, -3, true},  {1, {6}, -1, true},
};
#define N_SOFTMAX (int)(sizeof SOFTMAX / sizeof SOFTMAX[0])

static sg_tensor *build_softmax(sg_graph *g, sg_tensor **in, void *ctx)
{
    const softmax_case *c = ctx;
    return c->log ? sg_log_softmax(g, in[0], c->dim) : sg_softmax(g, in[0], c->dim);
}

/* Reference along dim in double. */
static void softmax_reference(const softmax_case *c, const float *x, float *y)
{
    int d = c->dim < 0 ? c->dim + c->ndim : c->dim;
    int64_t outer = 1, D = c->shape[d], inner = 1;
    for (int i = 0; i < d; i++) outer *= c->shape[i];
    for (int i = d + 1; i < c->ndim; i++) inner *= c->shape[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < inner; k++) {
            const float *xl = x + o * D * inner + k;
            float *yl = y + o * D * inner + k;
            double m = -INFINITY, s = 0;
            for (int64_t j = 0; j < D; j++) m = fmax(m, xl[j * inner]);
            for (int64_t j = 0; j < D; j++) s += exp(xl[j * inner] - m);
            for (int64_t j = 0; j < D; j++)
                yl[j * inner] = (float)(c->log ? xl[j * inner] - m - log(s)
                                               : exp(xl[j * inner] - m) / s);
        }
}

START_TEST(softmax_matches_reference_along_any_dim)
{
    for (int k = 0; k < N_SOFTMAX; k++) {
        const softmax_case *c = &SOFTMAX[k];
        sg_graph *g = sg_graph_new();
        sg_tensor *x = sg_graph_tensor(g, c->ndim, c->shape);
        sg_test_fill_normal(x->data, x->numel, 70 + k, 3.0f);
        sg_tensor *in[1] = {x};
        sg_tensor *y = build_softmax(g, in, (void *)c);
        ck_assert_ptr_nonnull(y);
        float *want = malloc((size_t)x->numel * sizeof(float));
        softmax_reference(c, x->data, want);
        char what[64];
        snprintf(what, sizeof what, "%s case %d (dim %d)", c->log ? "log_softmax" : "softmax", k,
                 c->dim);
        SG_ASSERT_CLOSE(what, want, y->data, x->numel, 1e-6, 1e-5);
        free(want);
        sg_graph_free(g);
    }
}
END_TEST

START_TEST(softmax_backward_matches_finite_differences)
{
    for (int k = 0; k < N_SOFTMAX; k++) {
        const softmax_case *c = &SOFTMAX[k];
        sg_test_input in[1] = {{c->ndim, {0}, NULL, true}};
        memcpy(in[0].shape, c->shape, sizeof c->shape);
        int64_t n = 1;
        for (int i = 0; i < c->ndim; i++) n *= c->shape[i];
        in[0].data = malloc((size_t)n * sizeof(float));
        sg_test_fill_normal(in[0].data, n, 80 + k, 2.0f);
        char what[64];
        snprintf(what, sizeof what, "%s case %d (dim %d)", c->log ? "log_softmax" : "softmax", k,
                 c->dim);
        sg_test_gradcheck(what, build_softmax, (void *)c, 1, in, NULL);
        free(in[0].data);
    }
}
END_TEST

START_TEST(softmax_is_stable_for_large_and_infinite_inputs)
{
    sg_graph *g = sg_graph_new();
    float v[4] = {1000, 1001, -INFINITY, 999};
    sg_tensor *x = sg_graph_tensor_from(g, 1, (int64_t[]){4}, v);
    sg_tensor *y = sg_softmax(g, x, 0), *ly = sg_log_softmax(g, x, 0);
    double s = exp(-1.0) + 1 + exp(-2.0);
    const float want[4] = {(float)(exp(-1.0) / s), (float)(1 / s), 0, (float)(exp(-2.0) / s)};
    const float want_log[4] = {(float)(-1 - log(s)), (float)-log(s), -INFINITY, (float)(-2 - log(s))};
    SG_ASSERT_CLOSE("softmax of [1000, 1001, -inf, 999]", want, y->data, 4, 1e-7, 1e-6);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            ck_assert_msg(fabsf(ly->data[i] - want_log[i]) < 1e-5f,
                          "log_softmax[%d] = %g, expected %g", i, ly->data[i], want_log[i]);
    ck_assert(isinf(ly->data[2]) && ly->data[2] < 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(softmax_dim_out_of_range_fails_naming_the_shape)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 4, (int64_t[]){2, 3, 4, 5});
    ck_assert_ptr_null(sg_softmax(g, x, 4));
    sg_test_expect_error(g, SG_ERR_SHAPE,
                         "softmax: dim 4 is out of range for input [2, 3, 4, 5] (expected -4..3)");
    sg_graph_free(g);
    g = sg_graph_new();
    x = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
    ck_assert_ptr_null(sg_log_softmax(g, x, -3));
    sg_test_expect_error(g, SG_ERR_SHAPE, "log_softmax: dim -3 is out of range for input [2, 3]");
    sg_graph_free(g);
}
END_TEST

/* softmax over the channels of a feature map and gelu, forward and backward. */
static void run_big(int threads, float *out)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){4, 32, 24, 24});
    sg_test_fill_normal(x->data, x->numel, 90, 2.0f);
    x->requires_grad = true;
    sg_tensor *y = sg_log_softmax(g, sg_gelu(g, sg_softmax(g, x, 1)), -1);
    ck_assert_ptr_nonnull(y);
    float *seed = malloc((size_t)y->numel * sizeof(float));
    sg_test_fill_normal(seed, y->numel, 91, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    memcpy(out, y->data, (size_t)y->numel * sizeof(float));
    memcpy(out + y->numel, x->grad, (size_t)x->numel * sizeof(float));
    free(seed);
    sg_graph_free(g);
}

START_TEST(results_are_bit_identical_on_1_and_2_threads)
{
    const int64_t n = 2 * 4 * 32 * 24 * 24;
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    int before = sg_threads();
    run_big(1, a);
    run_big(2, b);
    sg_set_threads(before);
    ck_assert_msg(memcmp(a, b, n * sizeof(float)) == 0, "results differ between 1 and 2 threads");
    free(a);
    free(b);
}
END_TEST

static Suite *activation_suite(void)
{
    Suite *s = suite_create("activation");
    SG_ADD_TEST(s, activations_match_their_formulas_in_double, 10);
    SG_ADD_TEST(s, activation_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, fan_out_gradients_accumulate, 10);
    SG_ADD_TEST(s, gradient_at_the_kinks_is_zero_as_in_torch, 10);
    SG_ADD_TEST(s, inplace_relu_and_relu6_match_the_copying_ones_bit_for_bit, 10);
    SG_ADD_TEST(s, bad_hardtanh_bounds_fail, 10);
    SG_ADD_TEST(s, softmax_matches_reference_along_any_dim, 10);
    SG_ADD_TEST(s, softmax_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, softmax_is_stable_for_large_and_infinite_inputs, 10);
    SG_ADD_TEST(s, softmax_dim_out_of_range_fails_naming_the_shape, 10);
    SG_ADD_TEST(s, results_are_bit_identical_on_1_and_2_threads, 30);
    return s;
}

SG_TEST_MAIN(activation_suite)

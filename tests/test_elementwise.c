/* tests/test_elementwise.c - add/sub/mul/div with broadcasting, scalar and unary ops.
 *
 * Forward values are compared bit for bit with a naive reference that maps
 * every output coordinate back to each input (the textbook broadcasting rule);
 * gradients are checked against finite differences for every broadcasting
 * pattern; shape errors must name the op and both shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/elementwise.h"
#include "tests/testutil.h"

typedef sg_tensor *(*binary_fn)(sg_graph *, sg_tensor *, sg_tensor *);

typedef struct shape_pair {
    const char *what;
    int na, nb;
    int64_t a[4], b[4];
} shape_pair;

/* The broadcasting patterns every binary op is tested on. */
static const shape_pair PAIRS[] = {
    {"same shape", 3, 3, {2, 3, 4}, {2, 3, 4}},
    {"per-channel [N,C,H,W] op [1,C,1,1]", 4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}},
    {"[3,1,5] op [4,1]", 3, 2, {3, 1, 5}, {4, 1}},
    {"tensor op 0-dim scalar", 2, 0, {2, 3}, {0}},
    {"0-dim scalar op tensor", 0, 2, {0}, {2, 3}},
    {"[4] op [3,1,4] (missing leading dims)", 1, 3, {4}, {3, 1, 4}},
    {"[2,1,3,1] op [1,4,1,5] (both broadcast twice)", 4, 4, {2, 1, 3, 1}, {1, 4, 1, 5}},
    {"[5,2] op [5,1] (short rows)", 2, 2, {5, 2}, {5, 1}},
    {"[1,1] op [1] (one element)", 2, 1, {1, 1}, {1}},
};
#define N_PAIRS (int)(sizeof PAIRS / sizeof PAIRS[0])

static int64_t numel(int n, const int64_t *s)
{
    int64_t k = 1;
    for (int i = 0; i < n; i++) k *= s[i];
    return k;
}

/* Element of input (nin dims) read by output coordinate idx (nout dims). */
static int64_t ref_offset(int nout, const int64_t *idx, int nin, const int64_t *in)
{
    int64_t off = 0;
    for (int d = 0; d < nin; d++) {
        int64_t c = in[d] == 1 ? 0 : idx[nout - nin + d];
        off = off * in[d] + c;
    }
    return off;
}

static float ref_apply(char op, float a, float b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return a / b;
    }
}

static void check_forward(char op, binary_fn fn, const shape_pair *p)
{
    sg_graph *g = sg_graph_new();
    int64_t na = numel(p->na, p->a), nb = numel(p->nb, p->b);
    sg_tensor *a = sg_graph_tensor(g, p->na, p->a), *b = sg_graph_tensor(g, p->nb, p->b);
    sg_test_fill_normal(a->data, na, 1, 1.0f);
    sg_test_fill_uniform(b->data, nb, 2, 0.5f, 2.0f);
    sg_tensor *y = fn(g, a, b);
    ck_assert_msg(y != NULL, "%c on %s: %s", op, p->what, sg_graph_error_message(g));
    int nout = p->na > p->nb ? p->na : p->nb;
    ck_assert_int_eq(y->ndim, nout);
    int64_t idx[SG_MAX_DIMS] = {0};
    for (int64_t i = 0; i < y->numel; i++) {
        int64_t r = i;
        for (int d = nout - 1; d >= 0; d--) {
            idx[d] = r % y->shape[d];
            r /= y->shape[d];
        }
        float want = ref_apply(op, a->data[ref_offset(nout, idx, p->na, p->a)],
                               b->data[ref_offset(nout, idx, p->nb, p->b)]);
        ck_assert_msg(y->data[i] == want, "%c on %s: y[%lld] = %.9g, expected %.9g", op, p->what,
                      (long long)i, y->data[i], want);
    }
    sg_graph_free(g);
}

START_TEST(binary_forward_matches_naive_broadcasting_bit_for_bit)
{
    for (int i = 0; i < N_PAIRS; i++) {
        check_forward('+', sg_add, &PAIRS[i]);
        check_forward('-', sg_sub, &PAIRS[i]);
        check_forward('*', sg_mul, &PAIRS[i]);
        check_forward('/', sg_div, &PAIRS[i]);
    }
}
END_TEST

START_TEST(broadcast_output_shapes_follow_pytorch)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *a = sg_graph_zeros(g, 3, (int64_t[]){3, 1, 5});
    sg_tensor *b = sg_graph_zeros(g, 2, (int64_t[]){4, 1});
    sg_tensor *y = sg_add(g, a, b);
    ck_assert_int_eq(y->ndim, 3);
    ck_assert_int_eq(y->shape[0], 3);
    ck_assert_int_eq(y->shape[1], 4);
    ck_assert_int_eq(y->shape[2], 5);
    sg_tensor *s = sg_graph_zeros(g, 0, NULL);
    sg_tensor *t = sg_mul(g, s, s);
    ck_assert_int_eq(t->ndim, 0);
    ck_assert_int_eq(t->numel, 1);
    /* an empty dim broadcasts like any other: [0, 3] * [3] is [0, 3], and the
     * gradient of the [3] input is an empty sum, 0 */
    sg_tensor *e = sg_graph_zeros(g, 2, (int64_t[]){0, 3});
    sg_tensor *c = sg_graph_tensor_from(g, 1, (int64_t[]){3}, (float[]){1, 2, 3});
    c->requires_grad = true;
    sg_tensor *z = sg_mul(g, e, c);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(z->shape[0], 0);
    ck_assert_int_eq(z->shape[1], 3);
    ck_assert_int_eq(sg_graph_backward_from(g, z, (float[]){0}), SG_OK);
    const float zero[3] = {0, 0, 0};
    SG_ASSERT_CLOSE("gradient through an empty output", zero, c->grad, 3, 0, 0);
    sg_graph_free(g);
}
END_TEST

typedef struct binary_ctx {
    binary_fn fn;
} binary_ctx;

static sg_tensor *build_binary(sg_graph *g, sg_tensor **in, void *ctx)
{
    return ((binary_ctx *)ctx)->fn(g, in[0], in[1]);
}

static void gradcheck_binary(const char *name, binary_fn fn, bool positive_b)
{
    for (int i = 0; i < N_PAIRS; i++) {
        const shape_pair *p = &PAIRS[i];
        sg_test_input in[2] = {{p->na, {0}, NULL, true}, {p->nb, {0}, NULL, true}};
        memcpy(in[0].shape, p->a, sizeof p->a);
        memcpy(in[1].shape, p->b, sizeof p->b);
        int64_t na = numel(p->na, p->a), nb = numel(p->nb, p->b);
        in[0].data = malloc((size_t)na * sizeof(float));
        in[1].data = malloc((size_t)nb * sizeof(float));
        sg_test_fill_normal(in[0].data, na, 10 + i, 1.0f);
        if (positive_b)
            sg_test_fill_uniform(in[1].data, nb, 20 + i, 0.5f, 2.0f);
        else
            sg_test_fill_normal(in[1].data, nb, 20 + i, 1.0f);
        char what[128];
        snprintf(what, sizeof what, "%s, %s", name, p->what);
        binary_ctx c = {fn};
        sg_test_gradcheck(what, build_binary, &c, 2, in, NULL);
        free(in[0].data);
        free(in[1].data);
    }
}

START_TEST(add_backward_matches_finite_differences) { gradcheck_binary("add", sg_add, false); }
END_TEST
START_TEST(sub_backward_matches_finite_differences) { gradcheck_binary("sub", sg_sub, false); }
END_TEST
START_TEST(mul_backward_matches_finite_differences) { gradcheck_binary("mul", sg_mul, false); }
END_TEST
START_TEST(div_backward_matches_finite_differences) { gradcheck_binary("div", sg_div, true); }
END_TEST

START_TEST(gradient_of_a_broadcast_input_is_summed_over_broadcast_dims)
{
    /* y = a + b with a [2, 3], b [3]: each b[j] feeds 2 outputs, so with
     * dL/dy = 1 everywhere dL/db[j] = 2; with dL/dy[i][j] = i*3 + j it is
     * j + (3 + j). For mul, dL/db[j] = sum_i dy[i][j] a[i][j]. */
    sg_graph *g = sg_graph_new();
    float av[6] = {1, 2, 3, 4, 5, 6}, bv[3] = {10, 20, 30}, seed[6] = {0, 1, 2, 3, 4, 5};
    sg_tensor *a = sg_graph_tensor_from(g, 2, (int64_t[]){2, 3}, av);
    sg_tensor *b = sg_graph_tensor_from(g, 1, (int64_t[]){3}, bv);
    a->requires_grad = b->requires_grad = true;
    sg_tensor *y = sg_add(g, a, b);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    const float want_b[3] = {3, 5, 7};
    SG_ASSERT_CLOSE("add: d/db", want_b, b->grad, 3, 0, 0);
    SG_ASSERT_CLOSE("add: d/da", seed, a->grad, 6, 0, 0);
    sg_graph_reset(g);

    a = sg_graph_tensor_from(g, 2, (int64_t[]){2, 3}, av);
    b = sg_graph_tensor_from(g, 1, (int64_t[]){3}, bv);
    a->requires_grad = b->requires_grad = true;
    y = sg_mul(g, a, b);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    const float want_mb[3] = {0 * 1 + 3 * 4, 1 * 2 + 4 * 5, 2 * 3 + 5 * 6};
    const float want_ma[6] = {0, 20, 60, 30, 80, 150};
    SG_ASSERT_CLOSE("mul: d/db", want_mb, b->grad, 3, 0, 0);
    SG_ASSERT_CLOSE("mul: d/da", want_ma, a->grad, 6, 0, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(same_tensor_on_both_sides_accumulates_both_gradients)
{
    /* y = x * x: dy/dx = 2x, reached through both inputs of one node. */
    sg_graph *g = sg_graph_new();
    float xv[4] = {1, -2, 3, 0.5f}, seed[4] = {1, 1, 1, 1};
    sg_tensor *x = sg_graph_tensor_from(g, 1, (int64_t[]){4}, xv);
    x->requires_grad = true;
    sg_tensor *y = sg_mul(g, x, x);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    const float want[4] = {2, -4, 6, 1};
    SG_ASSERT_CLOSE("d(x*x)/dx", want, x->grad, 4, 0, 0);
    sg_graph_free(g);
}
END_TEST

/* add_inplace writes a + b over a (b broadcast): values and both gradients
 * equal sg_add's bit for bit; an `a` that would have to grow is refused. */
START_TEST(add_inplace_matches_add_bit_for_bit_and_refuses_to_grow_a)
{
    enum { N = 2 * 3 * 4 };
    float va[N], vb[4], seed[N];
    sg_test_fill_uniform(va, N, 11, -3.0f, 3.0f);
    sg_test_fill_uniform(vb, 4, 12, -3.0f, 3.0f);
    sg_test_fill_uniform(seed, N, 13, -1.0f, 1.0f);
    sg_tensor *y[2], *a[2], *b[2];
    sg_graph *g[2] = {sg_graph_new(), sg_graph_new()};
    for (int k = 0; k < 2; k++) {
        a[k] = sg_graph_tensor_from(g[k], 3, (int64_t[]){2, 3, 4}, va);
        b[k] = sg_graph_tensor_from(g[k], 1, (int64_t[]){4}, vb);
        a[k]->requires_grad = b[k]->requires_grad = true;
        y[k] = k ? sg_add_inplace(g[k], a[k], b[k]) : sg_add(g[k], a[k], b[k]);
        ck_assert_ptr_nonnull(y[k]);
        ck_assert_int_eq(sg_graph_backward_from(g[k], y[k], seed), SG_OK);
    }
    ck_assert_ptr_eq(y[1]->data, a[1]->data);   /* really in place */
    ck_assert_mem_eq(y[0]->data, y[1]->data, sizeof va);
    ck_assert_mem_eq(a[0]->grad, a[1]->grad, sizeof va);
    ck_assert_mem_eq(b[0]->grad, b[1]->grad, sizeof vb);
    ck_assert_ptr_null(sg_add_inplace(g[0], b[0], a[0]));
    sg_test_expect_error(g[0], SG_ERR_SHAPE, "must have the shape of the first input");
    sg_graph_free(g[0]);
    sg_graph_free(g[1]);
}
END_TEST

START_TEST(mismatched_shapes_fail_naming_the_op_and_both_shapes)
{
    static const struct { binary_fn fn; const char *op; } ops[] = {
        {sg_add, "add"}, {sg_sub, "sub"}, {sg_mul, "mul"}, {sg_div, "div"}};
    for (int i = 0; i < 4; i++) {
        sg_graph *g = sg_graph_new();
        sg_tensor *a = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
        sg_tensor *b = sg_graph_zeros(g, 1, (int64_t[]){4});
        ck_assert_ptr_null(ops[i].fn(g, a, b));
        sg_test_expect_error(g, SG_ERR_SHAPE, ops[i].op);
        sg_test_expect_error(g, SG_ERR_SHAPE, "[2, 3] and [4]");
        /* sticky: later ops return NULL without computing */
        ck_assert_ptr_null(sg_add(g, a, a));
        sg_graph_free(g);
    }
    sg_graph *g = sg_graph_new();
    sg_tensor *a = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    sg_tensor *b = sg_graph_zeros(g, 3, (int64_t[]){2, 2, 1});
    ck_assert_ptr_null(sg_mul(g, a, b));
    sg_test_expect_error(g, SG_ERR_SHAPE, "mul: shapes [2, 3, 4] and [2, 2, 1]");
    sg_graph_free(g);
    g = sg_graph_new();
    ck_assert_ptr_null(sg_add(g, NULL, a = sg_graph_zeros(g, 1, (int64_t[]){2})));
    sg_test_expect_error(g, SG_ERR_INVALID, "add: input 0 is NULL");
    sg_graph_free(g);
}
END_TEST

/* ---- scalar and unary ops ------------------------------------------------------- */

typedef struct unary_case {
    const char *name;
    sg_tensor *(*fn)(sg_graph *, sg_tensor *);
    sg_tensor *(*fn_s)(sg_graph *, sg_tensor *, float);
    float s;
    double (*ref)(double x, double s);
    float lo, hi;          /* test data range; |x| >= 0.2 where the op has a kink at 0 */
    bool avoid_zero;
} unary_case;

static double r_add(double x, double s) { return x + s; }
static double r_mul(double x, double s) { return x * s; }
static double r_neg(double x, double s) { (void)s; return -x; }
static double r_square(double x, double s) { (void)s; return x * x; }
static double r_sqrt(double x, double s) { (void)s; return sqrt(x); }
static double r_exp(double x, double s) { (void)s; return exp(x); }
static double r_log(double x, double s) { (void)s; return log(x); }
static double r_abs(double x, double s) { (void)s; return fabs(x); }

static const unary_case UNARY[] = {
    {"add_scalar", NULL, sg_add_scalar, -0.25f, r_add, -2, 2, false},
    {"mul_scalar", NULL, sg_mul_scalar, 1.75f, r_mul, -2, 2, false},
    {"neg", sg_neg, NULL, 0, r_neg, -2, 2, false},
    {"square", sg_square, NULL, 0, r_square, -2, 2, false},
    {"sqrt", sg_sqrt, NULL, 0, r_sqrt, 0.2f, 4, false},
    {"exp", sg_exp, NULL, 0, r_exp, -2, 2, false},
    {"log", sg_log, NULL, 0, r_log, 0.2f, 4, false},
    {"abs", sg_abs, NULL, 0, r_abs, -2, 2, true},
};
#define N_UNARY (int)(sizeof UNARY / sizeof UNARY[0])

static sg_tensor *build_unary(sg_graph *g, sg_tensor **in, void *ctx)
{
    const unary_case *c = ctx;
    return c->fn ? c->fn(g, in[0]) : c->fn_s(g, in[0], c->s);
}

static void fill_case(const unary_case *c, float *x, int64_t n, uint64_t seed)
{
    sg_test_fill_uniform(x, n, seed, c->lo, c->hi);
    if (c->avoid_zero)
        for (int64_t i = 0; i < n; i++)
            if (fabsf(x[i]) < 0.2f) x[i] = x[i] < 0 ? -0.2f - x[i] : 0.2f + x[i];
}

START_TEST(unary_forward_matches_libm_in_double)
{
    for (int k = 0; k < N_UNARY; k++) {
        const unary_case *c = &UNARY[k];
        sg_graph *g = sg_graph_new();
        sg_tensor *x = sg_graph_tensor(g, 2, (int64_t[]){7, 9});
        fill_case(c, x->data, x->numel, 30 + k);
        sg_tensor *in[1] = {x};
        sg_tensor *y = build_unary(g, in, (void *)c);
        ck_assert_ptr_nonnull(y);
        float want[63];
        for (int i = 0; i < 63; i++) want[i] = (float)c->ref(x->data[i], c->s);
        SG_ASSERT_CLOSE(c->name, want, y->data, 63, 0, 2e-7);
        sg_graph_free(g);
    }
}
END_TEST

START_TEST(unary_backward_matches_finite_differences)
{
    for (int k = 0; k < N_UNARY; k++) {
        const unary_case *c = &UNARY[k];
        float x[60];
        fill_case(c, x, 60, 40 + k);
        sg_test_input in[1] = {{3, {3, 4, 5}, x, true}};
        sg_test_gradcheck(c->name, build_unary, (void *)c, 1, in, NULL);
    }
}
END_TEST

/* x (positive) feeds every unary op; each backward must ADD into x's gradient. */
static sg_tensor *build_fan_out(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    sg_tensor *y = build_unary(g, in, (void *)&UNARY[0]);
    for (int k = 1; k < N_UNARY; k++) y = sg_add(g, y, build_unary(g, in, (void *)&UNARY[k]));
    return y;
}

START_TEST(fan_out_gradients_accumulate)
{
    float x[24];
    sg_test_fill_uniform(x, 24, 98, 0.3f, 2.0f);
    sg_test_input in[1] = {{2, {4, 6}, x, true}};
    sg_test_gradcheck("sum of all unary ops of one x", build_fan_out, NULL, 1, in, NULL);
}
END_TEST

START_TEST(abs_gradient_at_zero_is_zero)
{
    sg_graph *g = sg_graph_new();
    float xv[3] = {-1, 0, 2}, seed[3] = {1, 1, 1};
    sg_tensor *x = sg_graph_tensor_from(g, 1, (int64_t[]){3}, xv);
    x->requires_grad = true;
    ck_assert_int_eq(sg_graph_backward_from(g, sg_abs(g, x), seed), SG_OK);
    const float want[3] = {-1, 0, 1};
    SG_ASSERT_CLOSE("d|x|/dx", want, x->grad, 3, 0, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(no_grad_mode_records_nothing)
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *a = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
    a->requires_grad = true;
    sg_tensor *y = sg_exp(g, sg_mul(g, a, sg_add_scalar(g, a, 1.0f)));
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(sg_graph_tape_length(g), 0);
    ck_assert_int_eq(y->data[0], 1.0f);
    sg_graph_free(g);
}
END_TEST

/* ---- determinism ------------------------------------------------------------------ */

/* Forward and all gradients of a * b + c / d with per-channel and scalar
 * broadcasting on a tensor big enough to be split over threads. */
static void run_big(int threads, float *out, float *grads)
{
    ck_assert_int_eq(sg_set_threads(threads), SG_OK);
    sg_graph *g = sg_graph_new();
    int64_t sx[4] = {4, 16, 24, 24}, sc[4] = {1, 16, 1, 1};
    sg_tensor *a = sg_graph_tensor(g, 4, sx), *b = sg_graph_tensor(g, 4, sc);
    sg_tensor *c = sg_graph_tensor(g, 4, sx), *d = sg_graph_tensor(g, 0, NULL);
    sg_test_fill_normal(a->data, a->numel, 1, 1.0f);
    sg_test_fill_normal(b->data, b->numel, 2, 1.0f);
    sg_test_fill_normal(c->data, c->numel, 3, 1.0f);
    d->data[0] = 1.7f;
    a->requires_grad = b->requires_grad = c->requires_grad = d->requires_grad = true;
    sg_tensor *y = sg_add(g, sg_mul(g, a, b), sg_div(g, c, d));
    ck_assert_ptr_nonnull(y);
    float *seed = malloc((size_t)y->numel * sizeof *seed);
    sg_test_fill_normal(seed, y->numel, 4, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    memcpy(out, y->data, (size_t)y->numel * sizeof(float));
    memcpy(grads, a->grad, (size_t)a->numel * sizeof(float));
    memcpy(grads + a->numel, b->grad, 16 * sizeof(float));
    memcpy(grads + a->numel + 16, d->grad, sizeof(float));
    free(seed);
    sg_graph_free(g);
}

START_TEST(results_are_bit_identical_on_1_and_2_threads)
{
    const int64_t n = 4 * 16 * 24 * 24, ng = n + 17;
    float *y1 = malloc(n * sizeof(float)), *y2 = malloc(n * sizeof(float));
    float *g1 = malloc(ng * sizeof(float)), *g2 = malloc(ng * sizeof(float));
    int before = sg_threads();
    run_big(1, y1, g1);
    run_big(2, y2, g2);
    sg_set_threads(before);
    ck_assert_msg(memcmp(y1, y2, n * sizeof(float)) == 0, "forward differs between 1 and 2 threads");
    ck_assert_msg(memcmp(g1, g2, ng * sizeof(float)) == 0, "gradients differ between 1 and 2 threads");
    free(y1);
    free(y2);
    free(g1);
    free(g2);
}
END_TEST

static Suite *elementwise_suite(void)
{
    Suite *s = suite_create("elementwise");
    SG_ADD_TEST(s, binary_forward_matches_naive_broadcasting_bit_for_bit, 20);
    SG_ADD_TEST(s, broadcast_output_shapes_follow_pytorch, 10);
    SG_ADD_TEST(s, add_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, sub_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, mul_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, div_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, gradient_of_a_broadcast_input_is_summed_over_broadcast_dims, 10);
    SG_ADD_TEST(s, same_tensor_on_both_sides_accumulates_both_gradients, 10);
    SG_ADD_TEST(s, add_inplace_matches_add_bit_for_bit_and_refuses_to_grow_a, 10);
    SG_ADD_TEST(s, mismatched_shapes_fail_naming_the_op_and_both_shapes, 10);
    SG_ADD_TEST(s, unary_forward_matches_libm_in_double, 10);
    SG_ADD_TEST(s, unary_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, fan_out_gradients_accumulate, 10);
    SG_ADD_TEST(s, abs_gradient_at_zero_is_zero, 10);
    SG_ADD_TEST(s, no_grad_mode_records_nothing, 10);
    SG_ADD_TEST(s, results_are_bit_identical_on_1_and_2_threads, 30);
    return s;
}

SG_TEST_MAIN(elementwise_suite)

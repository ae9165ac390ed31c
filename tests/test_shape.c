/* tests/test_shape.c - reshape, flatten, permute, transpose, concat, slice
 * and pad: small worked examples, gradients against finite differences,
 * determinism of pad's backward, shape errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/shape.h"
#include "tests/testutil.h"

/* One op under test with its options. */
typedef enum { RESHAPE, FLATTEN, PERMUTE, TRANSPOSE, CONCAT, SLICE, PAD } shape_op;
typedef struct shape_case {
    shape_op op;
    int ndim;                /* reshape target ndim / n_pads / concat inputs */
    int64_t v[8];            /* reshape shape, pads, slice (start, end, step) */
    int a, b;                /* dims: flatten start/end, transpose d0/d1, concat/slice dim */
    int perm[SG_MAX_DIMS];
    sg_pad_mode mode;
    float value;
} shape_case;

static sg_tensor *build_shape(sg_graph *g, sg_tensor **in, void *ctx)
{
    const shape_case *c = ctx;
    switch (c->op) {
    case RESHAPE: return sg_reshape(g, in[0], c->ndim, c->v);
    case FLATTEN: return sg_flatten(g, in[0], c->a, c->b);
    case PERMUTE: return sg_permute(g, in[0], c->perm);
    case TRANSPOSE: return sg_transpose(g, in[0], c->a, c->b);
    case CONCAT: return sg_concat(g, c->ndim, in, c->a);
    case SLICE: return sg_slice(g, in[0], c->a, c->v[0], c->v[1], c->v[2]);
    case PAD: return sg_pad(g, in[0], c->ndim, c->v, c->mode, c->value);
    }
    return NULL;
}

static sg_test_input input(int ndim, const int64_t *shape, uint64_t seed)
{
    sg_test_input t = {.ndim = ndim, .needs_grad = true};
    memcpy(t.shape, shape, (size_t)ndim * sizeof *shape);
    int64_t n = sg_shape_numel(ndim, shape);
    t.data = malloc((size_t)n * sizeof(float));
    sg_test_fill_normal(t.data, n, seed, 1.0f);
    return t;
}

static void gradcheck1(const char *name, shape_case c, int ndim, const int64_t *shape)
{
    sg_test_input in = input(ndim, shape, 3);
    sg_test_gradcheck(name, build_shape, &c, 1, &in, NULL);
    free(in.data);
}

START_TEST(reshape_flatten_permute_transpose_backward_match_finite_differences)
{
    const int64_t s234[3] = {2, 3, 4}, s2345[4] = {2, 3, 4, 5};
    gradcheck1("reshape", (shape_case){.op = RESHAPE, .ndim = 2, .v = {4, -1}}, 3, s234);
    gradcheck1("flatten", (shape_case){.op = FLATTEN, .a = 1, .b = -2}, 4, s2345);
    gradcheck1("permute", (shape_case){.op = PERMUTE, .perm = {0, -2, 3, 1}}, 4, s2345);
    gradcheck1("transpose", (shape_case){.op = TRANSPOSE, .a = 0, .b = -1}, 3, s234);
}
END_TEST

START_TEST(slice_backward_matches_finite_differences)
{
    const int64_t s[3] = {3, 7, 2};
    gradcheck1("slice negative", (shape_case){.op = SLICE, .a = 1, .v = {-5, -1, 2}}, 3, s);
    gradcheck1("slice clamp", (shape_case){.op = SLICE, .a = 0, .v = {-10, 2, 1}}, 3, s);
    gradcheck1("slice to end", (shape_case){.op = SLICE, .a = -1, .v = {1, SG_SLICE_END, 1}}, 3, s);
}
END_TEST

START_TEST(concat_backward_matches_finite_differences)
{
    sg_test_input in[3] = {input(3, (int64_t[]){2, 3, 4}, 1), input(3, (int64_t[]){2, 1, 4}, 2),
                           input(3, (int64_t[]){2, 2, 4}, 3)};
    shape_case c = {.op = CONCAT, .ndim = 3, .a = 1};
    sg_test_gradcheck("concat dim 1", build_shape, &c, 3, in, NULL);
    in[1].needs_grad = false;   /* an input without gradient is skipped */
    sg_test_gradcheck("concat, middle input frozen", build_shape, &c, 3, in, NULL);
    for (int i = 0; i < 3; i++) free(in[i].data);
    sg_test_input last[2] = {input(2, (int64_t[]){3, 2}, 4), input(2, (int64_t[]){3, 5}, 5)};
    c = (shape_case){.op = CONCAT, .ndim = 2, .a = -1};
    sg_test_gradcheck("concat dim -1", build_shape, &c, 2, last, NULL);
    free(last[0].data);
    free(last[1].data);
}
END_TEST

START_TEST(pad_backward_matches_finite_differences_in_every_mode)
{
    const int64_t s[4] = {2, 2, 4, 5};
    gradcheck1("pad constant", (shape_case){.op = PAD, .ndim = 4, .v = {1, 2, 0, 1}, .mode = SG_PAD_CONSTANT, .value = 0.5f}, 4, s);
    gradcheck1("pad crop", (shape_case){.op = PAD, .ndim = 4, .v = {-1, 1, 2, -1}, .mode = SG_PAD_CONSTANT}, 4, s);
    gradcheck1("pad reflect", (shape_case){.op = PAD, .ndim = 4, .v = {2, 1, 3, 1}, .mode = SG_PAD_REFLECT}, 4, s);
    gradcheck1("pad replicate", (shape_case){.op = PAD, .ndim = 4, .v = {2, 3, 1, 4}, .mode = SG_PAD_REPLICATE}, 4, s);
    gradcheck1("pad circular", (shape_case){.op = PAD, .ndim = 4, .v = {1, 2, 2, 1}, .mode = SG_PAD_CIRCULAR}, 4, s);
    /* every dim padded: one block walked by one thread */
    gradcheck1("pad replicate all dims", (shape_case){.op = PAD, .ndim = 8, .v = {1, 1, 2, 0, 0, 1, 1, 0}, .mode = SG_PAD_REPLICATE}, 4, s);
}
END_TEST

/* y = op(x) for x = 1, 2, ..., n, as a 1-D tensor. */
static sg_tensor *on_range(sg_graph *g, int64_t n, shape_case c)
{
    sg_tensor *x = sg_graph_tensor(g, 1, &n);
    for (int64_t i = 0; i < n; i++) x->data[i] = (float)(i + 1);
    sg_tensor *in[1] = {x};
    return build_shape(g, in, &c);
}

static void expect_values(const char *what, const sg_tensor *y, int n, const float *want)
{
    ck_assert_msg(y != NULL, "%s: op failed", what);
    ck_assert_int_eq(y->numel, n);
    SG_ASSERT_CLOSE(what, want, y->data, n, 0, 0);
}

START_TEST(pad_modes_give_the_torch_examples)
{
    sg_graph *g = sg_graph_new();
    /* x = [1, 2, 3] padded (2, 2) */
    expect_values("reflect", on_range(g, 3, (shape_case){.op = PAD, .ndim = 2, .v = {2, 2}, .mode = SG_PAD_REFLECT}),
                  7, (float[]){3, 2, 1, 2, 3, 2, 1});
    expect_values("replicate", on_range(g, 3, (shape_case){.op = PAD, .ndim = 2, .v = {2, 2}, .mode = SG_PAD_REPLICATE}),
                  7, (float[]){1, 1, 1, 2, 3, 3, 3});
    expect_values("circular", on_range(g, 3, (shape_case){.op = PAD, .ndim = 2, .v = {2, 1}, .mode = SG_PAD_CIRCULAR}),
                  6, (float[]){2, 3, 1, 2, 3, 1});
    expect_values("constant", on_range(g, 3, (shape_case){.op = PAD, .ndim = 2, .v = {1, 2}, .mode = SG_PAD_CONSTANT, .value = -1}),
                  6, (float[]){-1, 1, 2, 3, -1, -1});
    expect_values("crop", on_range(g, 5, (shape_case){.op = PAD, .ndim = 2, .v = {-1, -2}, .mode = SG_PAD_CONSTANT}),
                  2, (float[]){2, 3});
    expect_values("no pads", on_range(g, 3, (shape_case){.op = PAD, .ndim = 0, .mode = SG_PAD_REFLECT}),
                  3, (float[]){1, 2, 3});
    sg_graph_free(g);
}
END_TEST

START_TEST(slice_follows_python_semantics)
{
    sg_graph *g = sg_graph_new();
    /* x = [1 .. 10] */
    expect_values("x[-3:]", on_range(g, 10, (shape_case){.op = SLICE, .v = {-3, SG_SLICE_END, 1}}), 3, (float[]){8, 9, 10});
    expect_values("x[1:8:3]", on_range(g, 10, (shape_case){.op = SLICE, .v = {1, 8, 3}}), 3, (float[]){2, 5, 8});
    expect_values("x[-100:2]", on_range(g, 10, (shape_case){.op = SLICE, .v = {-100, 2, 1}}), 2, (float[]){1, 2});
    expect_values("x[8:100:5]", on_range(g, 10, (shape_case){.op = SLICE, .v = {8, 100, 5}}), 1, (float[]){9});
    sg_tensor *empty = on_range(g, 10, (shape_case){.op = SLICE, .v = {5, 2, 1}});
    ck_assert_ptr_nonnull(empty);
    ck_assert_int_eq(empty->numel, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(reshape_and_flatten_are_views_that_route_gradients)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 4, (int64_t[]){2, 3, 4, 5});
    x->requires_grad = true;
    sg_tensor *y = sg_flatten(g, x, 1, -1);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->ndim, 2);
    ck_assert_int_eq(y->shape[1], 60);
    ck_assert_ptr_eq(y->data, x->data);   /* no copy */
    sg_tensor *z = sg_reshape(g, y, 3, (int64_t[]){-1, 6, 10});
    ck_assert_int_eq(z->shape[0], 2);
    ck_assert_ptr_eq(z->data, x->data);
    float seed[120];
    for (int i = 0; i < 120; i++) seed[i] = (float)i;
    ck_assert_int_eq(sg_graph_backward_from(g, z, seed), SG_OK);
    SG_ASSERT_CLOSE("dx", seed, x->grad, 120, 0, 0);
    sg_graph_free(g);
}
END_TEST

START_TEST(concat_of_more_inputs_than_a_node_holds_routes_every_gradient)
{
    enum { N = 19 };   /* > SG_NODE_MAX_INPUTS: joined as a tree of nodes */
    sg_graph *g = sg_graph_new();
    sg_tensor *in[N];
    for (int k = 0; k < N; k++) {
        int64_t shape[2] = {2, 1 + k % 3};
        in[k] = sg_graph_tensor(g, 2, shape);
        for (int64_t i = 0; i < in[k]->numel; i++) in[k]->data[i] = (float)(100 * k + i);
        in[k]->requires_grad = k % 2 == 0;
    }
    sg_tensor *y = sg_concat(g, N, in, 1);
    ck_assert_ptr_nonnull(y);
    int64_t width = y->shape[1];
    float *seed = malloc((size_t)y->numel * sizeof(float));
    for (int64_t i = 0; i < y->numel; i++) seed[i] = (float)i;
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    int64_t col = 0;
    for (int k = 0; k < N; k++) {
        int64_t w = in[k]->shape[1];
        for (int64_t r = 0; r < 2; r++)
            for (int64_t j = 0; j < w; j++) {
                ck_assert_float_eq(y->data[r * width + col + j], in[k]->data[r * w + j]);
                if (in[k]->requires_grad)
                    ck_assert_float_eq(in[k]->grad[r * w + j], seed[r * width + col + j]);
            }
        col += w;
    }
    ck_assert_int_eq(col, width);
    free(seed);
    sg_graph_free(g);
}
END_TEST

/* Gradient of a replicate pad (many outputs per input) on 1 or 2 threads. */
static float *pad_grad(void)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){4, 8, 30, 30});
    sg_test_fill_normal(x->data, x->numel, 1, 1.0f);
    x->requires_grad = true;
    sg_tensor *y = sg_pad(g, x, 4, (int64_t[]){5, 7, 3, 9}, SG_PAD_REPLICATE, 0);
    float *seed = malloc((size_t)y->numel * sizeof(float));
    sg_test_fill_normal(seed, y->numel, 2, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    float *dx = malloc((size_t)x->numel * sizeof(float));
    memcpy(dx, x->grad, (size_t)x->numel * sizeof(float));
    free(seed);
    sg_graph_free(g);
    return dx;
}

START_TEST(pad_backward_is_bit_identical_on_1_and_2_threads)
{
    sg_set_threads(1);
    float *a = pad_grad();
    sg_set_threads(2);
    float *b = pad_grad();
    ck_assert(memcmp(a, b, 4 * 8 * 30 * 30 * sizeof(float)) == 0);
    free(a);
    free(b);
}
END_TEST

START_TEST(shape_errors_name_the_op_and_shapes)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *c[2] = {sg_graph_zeros(g, 2, (int64_t[]){2, 3}), sg_graph_zeros(g, 2, (int64_t[]){2, 4})};
    ck_assert_ptr_null(sg_concat(g, 2, c, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "concat: input 1 [2, 4] does not fit input 0 [2, 3] along dim 0");
    sg_graph_reset(g);

    sg_tensor *x = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
    ck_assert_ptr_null(sg_reshape(g, x, 2, (int64_t[]){4, -1}));
    sg_test_expect_error(g, SG_ERR_SHAPE, "reshape: cannot view [2, 3] (6 elements) as [4, -1]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
    ck_assert_ptr_null(sg_reshape(g, x, 2, (int64_t[]){-1, -1}));
    sg_test_expect_error(g, SG_ERR_SHAPE, "only one -1");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_permute(g, x, (int[]){0, 2, 2}));
    sg_test_expect_error(g, SG_ERR_SHAPE, "permute: (0, 2, 2) is not a permutation of the 3 dims of [2, 3, 4]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_transpose(g, x, 0, 3));
    sg_test_expect_error(g, SG_ERR_SHAPE, "transpose: dims 0 and 3 do not fit input [2, 3, 4]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    ck_assert_ptr_null(sg_flatten(g, x, 2, 1));
    sg_test_expect_error(g, SG_ERR_SHAPE, "flatten: dims 2..1 do not fit input [2, 3, 4]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 2, (int64_t[]){3, 7});
    ck_assert_ptr_null(sg_slice(g, x, 1, 0, 5, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "slice: dim 1 with step 0 does not fit input [3, 7]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 4, (int64_t[]){1, 1, 3, 3});
    ck_assert_ptr_null(sg_pad(g, x, 4, (int64_t[]){1, 1, 3, 0}, SG_PAD_REFLECT, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "pad: reflect padding (3, 0) of dim 2 must be smaller than the size 3 in input [1, 1, 3, 3]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 2, (int64_t[]){3, 3});
    ck_assert_ptr_null(sg_pad(g, x, 3, (int64_t[]){1, 1, 1}, SG_PAD_CONSTANT, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "pad: 3 pad values for input [3, 3]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 2, (int64_t[]){3, 3});
    ck_assert_ptr_null(sg_pad(g, x, 2, (int64_t[]){-1, 0}, SG_PAD_REPLICATE, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "must not be negative");
    sg_graph_free(g);
}
END_TEST

static Suite *shape_suite(void)
{
    Suite *s = suite_create("shape");
    SG_ADD_TEST(s, reshape_flatten_permute_transpose_backward_match_finite_differences, 30);
    SG_ADD_TEST(s, slice_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, concat_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, pad_backward_matches_finite_differences_in_every_mode, 30);
    SG_ADD_TEST(s, pad_modes_give_the_torch_examples, 10);
    SG_ADD_TEST(s, slice_follows_python_semantics, 10);
    SG_ADD_TEST(s, reshape_and_flatten_are_views_that_route_gradients, 10);
    SG_ADD_TEST(s, concat_of_more_inputs_than_a_node_holds_routes_every_gradient, 10);
    SG_ADD_TEST(s, pad_backward_is_bit_identical_on_1_and_2_threads, 30);
    SG_ADD_TEST(s, shape_errors_name_the_op_and_shapes, 10);
    return s;
}

SG_TEST_MAIN(shape_suite)

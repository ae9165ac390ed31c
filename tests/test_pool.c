/* tests/test_pool.c - max, average, adaptive and global pooling: PyTorch's
 * output-size rule, window contents at the borders, tie-breaking, gradients
 * against finite differences, thread-count independence, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/pool.h"
#include "tests/testutil.h"

START_TEST(pool2d_output_size_follows_pytorch_ceil_rule)
{
    /* Expected values printed by torch 1.13 F.max_pool2d on an n x n input. */
    static const struct { int n, k, s, p, d, ceil, out; } t[] = {
        {8, 3, 2, 0, 1, 1, 4}, {8, 3, 2, 1, 1, 1, 5}, {7, 3, 2, 1, 1, 1, 4},
        {6, 2, 2, 1, 1, 1, 4}, {5, 2, 2, 1, 1, 1, 3}, /* last window would start in the padding */
        {9, 3, 3, 1, 1, 1, 4}, {10, 3, 2, 1, 2, 1, 5}, {112, 3, 2, 1, 1, 0, 56},
        {7, 3, 2, 0, 1, 0, 3}, {4, 2, 3, 1, 1, 1, 2}, {5, 3, 3, 1, 1, 1, 2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        sg_pool2d_opts o = sg_pool2d_opts_make(t[i].k, t[i].s, t[i].p);
        o.dil_h = o.dil_w = t[i].d;
        o.ceil_mode = t[i].ceil;
        int64_t oh, ow;
        ck_assert(sg_pool2d_out_size(t[i].n, t[i].n, &o, &oh, &ow));
        ck_assert_msg(oh == t[i].out && ow == t[i].out,
                      "n %d k %d s %d p %d d %d ceil %d: expected %d, got %lld", t[i].n, t[i].k,
                      t[i].s, t[i].p, t[i].d, t[i].ceil, t[i].out, (long long)oh);
    }
}
END_TEST

START_TEST(max_pool2d_padding_never_wins_and_first_maximum_wins_ties)
{
    /* All-negative input: padded windows must still return an input value. */
    const int64_t xs[4] = {1, 1, 3, 3};
    float x[9] = {-5, -4, -3, -2, -1, -6, -7, -8, -9};
    sg_graph *g = sg_graph_new();
    sg_tensor *tx = sg_graph_tensor_from(g, 4, xs, x);
    tx->requires_grad = true;
    sg_pool2d_opts o = sg_pool2d_opts_make(2, 1, 1);  /* 4 x 4 output */
    sg_tensor *y = sg_max_pool2d(g, tx, &o);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->shape[2], 4);
    ck_assert_float_eq(y->data[0], -5.0f);   /* window = {pad, pad, pad, x00} */
    ck_assert_float_eq(y->data[5], -1.0f);   /* rows 0-1, cols 0-1: max(-5, -4, -2, -1) */
    ck_assert_float_eq(y->data[15], -9.0f);
    sg_graph_free(g);

    /* Ties: the first maximum in row-major window order gets the gradient. */
    float z[4] = {1, 1, 1, 1};
    const int64_t zs[4] = {1, 1, 2, 2};
    g = sg_graph_new();
    tx = sg_graph_tensor_from(g, 4, zs, z);
    tx->requires_grad = true;
    o = sg_pool2d_opts_make(2, 2, 0);
    y = sg_max_pool2d(g, tx, &o);
    float one = 1.0f;
    ck_assert_int_eq(sg_graph_backward_from(g, y, &one), SG_OK);
    ck_assert_float_eq(tx->grad[0], 1.0f);
    ck_assert_float_eq(tx->grad[1] + tx->grad[2] + tx->grad[3], 0.0f);
    sg_graph_free(g);

    /* NaN propagates (torch.max_pool2d returns NaN for a window holding one). */
    z[2] = NAN;
    g = sg_graph_new();
    y = sg_max_pool2d(g, sg_graph_tensor_from(g, 4, zs, z), &o);
    ck_assert(isnan(y->data[0]));
    sg_graph_free(g);
}
END_TEST

START_TEST(avg_pool2d_count_include_pad_changes_only_the_border_divisor)
{
    const int64_t xs[4] = {1, 1, 4, 4};
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = 1.0f;
    sg_pool2d_opts o = sg_pool2d_opts_make(3, 2, 1);
    for (int inc = 0; inc < 2; inc++) {
        o.count_include_pad = inc;
        sg_graph *g = sg_graph_new();
        sg_tensor *y = sg_avg_pool2d(g, sg_graph_tensor_from(g, 4, xs, x), &o);
        ck_assert_ptr_nonnull(y);
        ck_assert_int_eq(y->shape[2], 2);
        /* Corner window covers 2 x 2 real pixels of 3 x 3. */
        ck_assert_float_eq_tol(y->data[0], inc ? 4.0f / 9.0f : 1.0f, 1e-7f);
        /* Window (1, 1) covers rows/cols 1..3: all real. */
        ck_assert_float_eq_tol(y->data[3], 1.0f, 1e-7f);
        sg_graph_free(g);
    }
}
END_TEST

START_TEST(adaptive_avg_pool2d_uses_overlapping_floor_ceil_bins)
{
    /* 7 -> 3: rows [0, 3), [2, 5), [4, 7) (bins overlap at 2 and 4). */
    const int64_t xs[4] = {1, 1, 7, 1};
    float x[7] = {0, 1, 2, 3, 4, 5, 6};
    sg_graph *g = sg_graph_new();
    sg_tensor *y = sg_adaptive_avg_pool2d(g, sg_graph_tensor_from(g, 4, xs, x), 3, 1);
    ck_assert_ptr_nonnull(y);
    ck_assert_float_eq_tol(y->data[0], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(y->data[1], 3.0f, 1e-6f);
    ck_assert_float_eq_tol(y->data[2], 5.0f, 1e-6f);
    sg_graph_free(g);
}
END_TEST

/* ---- gradient checks ------------------------------------------------------ */

typedef enum { OP_MAX, OP_AVG, OP_ADAPTIVE, OP_GLOBAL } pool_op;

typedef struct {
    const char *name;
    pool_op op;
    int64_t N, C, H, W;
    sg_pool2d_opts o;
    int64_t out_h, out_w;      /* adaptive */
} pool_case;

static sg_tensor *build_pool(sg_graph *g, sg_tensor **in, void *ctx)
{
    const pool_case *k = ctx;
    switch (k->op) {
    case OP_MAX: return sg_max_pool2d(g, in[0], &k->o);
    case OP_AVG: return sg_avg_pool2d(g, in[0], &k->o);
    case OP_ADAPTIVE: return sg_adaptive_avg_pool2d(g, in[0], k->out_h, k->out_w);
    default: return sg_global_avg_pool2d(g, in[0]);
    }
}

/* opts: kernel (h, w), stride (h, w), pad (h, w), dilation (h, w), ceil, count_include_pad */
static const pool_case cases[] = {
    {"max k3 s2 p1", OP_MAX, 2, 2, 7, 8, {3, 3, 2, 2, 1, 1, 1, 1, false, true}, 0, 0},
    {"max k2 s2", OP_MAX, 2, 3, 6, 6, {2, 2, 0, 0, 0, 0, 1, 1, false, true}, 0, 0},
    {"max ceil", OP_MAX, 1, 2, 8, 7, {3, 3, 2, 2, 0, 0, 1, 1, true, true}, 0, 0},
    {"max ceil pad", OP_MAX, 1, 2, 5, 6, {2, 2, 2, 2, 1, 1, 1, 1, true, true}, 0, 0},
    {"max dilation 2", OP_MAX, 1, 2, 9, 9, {3, 3, 2, 2, 1, 1, 2, 2, false, true}, 0, 0},
    {"max 2x3 stride (1, 2)", OP_MAX, 1, 2, 5, 7, {2, 3, 1, 2, 1, 1, 1, 1, false, true}, 0, 0},
    {"avg k3 s2 p1", OP_AVG, 2, 2, 7, 8, {3, 3, 2, 2, 1, 1, 1, 1, false, true}, 0, 0},
    {"avg k3 s2 p1 exclude pad", OP_AVG, 2, 2, 7, 8, {3, 3, 2, 2, 1, 1, 1, 1, false, false}, 0, 0},
    {"avg ceil", OP_AVG, 1, 2, 8, 8, {3, 3, 2, 2, 1, 1, 1, 1, true, true}, 0, 0},
    {"avg ceil exclude pad", OP_AVG, 1, 2, 8, 8, {3, 3, 2, 2, 1, 1, 1, 1, true, false}, 0, 0},
    {"avg 2x3 stride default", OP_AVG, 1, 2, 6, 7, {2, 3, 0, 0, 0, 1, 1, 1, false, true}, 0, 0},
    {"adaptive 7 -> 3", OP_ADAPTIVE, 2, 2, 7, 7, {0}, 3, 3},
    {"adaptive 5x7 -> 3x4", OP_ADAPTIVE, 1, 2, 5, 7, {0}, 3, 4},
    {"adaptive 3x5 -> 4x2", OP_ADAPTIVE, 1, 2, 3, 5, {0}, 4, 2},
    {"global", OP_GLOBAL, 2, 3, 5, 6, {0}, 0, 0},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

START_TEST(pool_backward_matches_finite_differences)
{
    for (int c = 0; c < N_CASES; c++) {
        const pool_case *k = &cases[c];
        int64_t n = k->N * k->C * k->H * k->W;
        float *x = malloc((size_t)n * sizeof *x);
        /* Distinct values 0.05 apart (a shuffled ramp): a +-1e-2 nudge never
         * changes which element is the maximum, and every pool is linear
         * between such changes, so a large step is exact. */
        int64_t *perm = malloc((size_t)n * sizeof *perm);
        sg_rng_permutation((sg_rng_key){5, SG_RNG_TEST, (uint64_t)c}, perm, n);
        for (int64_t i = 0; i < n; i++) x[i] = 0.05f * (float)perm[i] - 1.0f;
        sg_test_input in = {4, {k->N, k->C, k->H, k->W}, x, true};
        sg_test_gradcheck_opts o = {.eps = 1e-2f, .atol = 1e-3, .rtol = 1e-3, .max_checks = 200,
                                    .training = true};
        sg_test_gradcheck(k->name, build_pool, (void *)k, 1, &in, &o);
        free(x);
        free(perm);
    }
}
END_TEST

START_TEST(pool_is_bit_identical_on_1_and_2_threads)
{
    const pool_case ks[] = {
        {"max", OP_MAX, 8, 16, 32, 32, {3, 3, 2, 2, 1, 1, 1, 1, false, true}, 0, 0},
        {"avg", OP_AVG, 8, 16, 32, 32, {3, 3, 2, 2, 1, 1, 1, 1, true, false}, 0, 0},
        {"adaptive", OP_ADAPTIVE, 8, 16, 30, 30, {0}, 7, 7},
        {"global", OP_GLOBAL, 8, 16, 30, 30, {0}, 0, 0},
    };
    for (int c = 0; c < 4; c++) {
        const int64_t xs[4] = {ks[c].N, ks[c].C, ks[c].H, ks[c].W};
        sg_test_expect_same_on_1_and_2_threads(ks[c].name, build_pool, (void *)&ks[c], 4, xs, 9);
    }
}
END_TEST

START_TEST(pool_rejects_bad_shapes_and_options)
{
    const int64_t x3[3] = {1, 4, 4}, x4[4] = {1, 1, 4, 4};
    sg_pool2d_opts pad_big = sg_pool2d_opts_make(2, 2, 2), k0 = sg_pool2d_opts_make(0, 1, 0);
    sg_pool2d_opts too_big = sg_pool2d_opts_make(5, 1, 0), dil = sg_pool2d_opts_make(2, 2, 0);
    dil.dil_h = 2;
    sg_graph *g;

#define EXPECT_FAIL(call, xshape, xnd, code, needle)              \
    do {                                                          \
        g = sg_graph_new();                                       \
        sg_tensor *x = sg_graph_zeros(g, (xnd), (xshape));        \
        ck_assert_ptr_null(call);                                 \
        sg_test_expect_error(g, (code), (needle));                \
        sg_graph_free(g);                                         \
    } while (0)

    EXPECT_FAIL(sg_max_pool2d(g, x, &dil), x3, 3, SG_ERR_SHAPE, "max_pool2d: input [1, 4, 4] must be 4-D");
    EXPECT_FAIL(sg_max_pool2d(g, x, &pad_big), x4, 4, SG_ERR_INVALID, "at most half the kernel");
    EXPECT_FAIL(sg_avg_pool2d(g, x, &k0), x4, 4, SG_ERR_INVALID, "must be >= 1");
    EXPECT_FAIL(sg_max_pool2d(g, x, &too_big), x4, 4, SG_ERR_INVALID, "too small");
    EXPECT_FAIL(sg_avg_pool2d(g, x, &dil), x4, 4, SG_ERR_INVALID, "dilation");
    EXPECT_FAIL(sg_adaptive_avg_pool2d(g, x, 0, 2), x4, 4, SG_ERR_INVALID, "must be >= 1");
    EXPECT_FAIL(sg_adaptive_avg_pool2d(g, x, 2, 2), x3, 3, SG_ERR_SHAPE, "4-D");
    EXPECT_FAIL(sg_global_avg_pool2d(g, x), x3, 3, SG_ERR_SHAPE, "global_avg_pool2d");
#undef EXPECT_FAIL
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    SG_ADD_TEST(s, pool2d_output_size_follows_pytorch_ceil_rule, 10);
    SG_ADD_TEST(s, max_pool2d_padding_never_wins_and_first_maximum_wins_ties, 10);
    SG_ADD_TEST(s, avg_pool2d_count_include_pad_changes_only_the_border_divisor, 10);
    SG_ADD_TEST(s, adaptive_avg_pool2d_uses_overlapping_floor_ceil_bins, 10);
    SG_ADD_TEST(s, pool_backward_matches_finite_differences, 60);
    SG_ADD_TEST(s, pool_is_bit_identical_on_1_and_2_threads, 60);
    SG_ADD_TEST(s, pool_rejects_bad_shapes_and_options, 10);
    return s;
}

SG_TEST_MAIN(pool_suite)

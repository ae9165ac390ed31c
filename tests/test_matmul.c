/* tests/test_matmul.c - matmul, bmm (broadcast batch dims), transposed
 * operands and linear: values against a naive loop, gradients against finite
 * differences, bit-identical results on 1 and 2 threads, shape errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/matmul.h"
#include "tests/testutil.h"

typedef struct mm_opts {
    bool ta, tb;
    int which;   /* 0 matmul, 1 bmm, 2 matmul_t, 3 linear */
} mm_opts;

static sg_tensor *build_mm(sg_graph *g, sg_tensor **in, void *ctx)
{
    const mm_opts *o = ctx;
    switch (o->which) {
    case 0: return sg_matmul(g, in[0], in[1]);
    case 1: return sg_bmm(g, in[0], in[1]);
    case 2: return sg_matmul_t(g, in[0], in[1], o->ta, o->tb);
    default: return sg_linear(g, in[0], in[1], o->ta ? in[2] : NULL);   /* ta: with bias */
    }
}

/* Fill a test input of the given shape with normal data. */
static sg_test_input input(int ndim, const int64_t *shape, uint64_t seed)
{
    sg_test_input t = {.ndim = ndim, .needs_grad = true};
    memcpy(t.shape, shape, (size_t)ndim * sizeof *shape);
    int64_t n = sg_shape_numel(ndim, shape);
    t.data = malloc((size_t)n * sizeof(float));
    sg_test_fill_normal(t.data, n, seed, 1.0f);
    return t;
}

static void gradcheck2(const char *name, mm_opts o, int na, const int64_t *sa, int nb, const int64_t *sb)
{
    sg_test_input in[2] = {input(na, sa, 1), input(nb, sb, 2)};
    sg_test_gradcheck(name, build_mm, &o, 2, in, NULL);
    free(in[0].data);
    free(in[1].data);
}

START_TEST(matmul_2d_backward_matches_finite_differences)
{
    gradcheck2("matmul", (mm_opts){false, false, 0}, 2, (int64_t[]){3, 4}, 2, (int64_t[]){4, 5});
}
END_TEST

START_TEST(bmm_backward_matches_finite_differences)
{
    gradcheck2("bmm same batch", (mm_opts){false, false, 1}, 3, (int64_t[]){2, 3, 4}, 3, (int64_t[]){2, 4, 5});
    /* [B, T, D] x [D, E]: folded into one product */
    gradcheck2("bmm b broadcast", (mm_opts){false, false, 1}, 3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){4, 5});
    /* a broadcast over b's batch; size-1 dims on both sides */
    gradcheck2("bmm a broadcast", (mm_opts){false, false, 1}, 2, (int64_t[]){3, 4}, 3, (int64_t[]){2, 4, 5});
    gradcheck2("bmm both broadcast", (mm_opts){false, false, 1}, 4, (int64_t[]){2, 1, 3, 4}, 4,
               (int64_t[]){1, 3, 4, 2});
}
END_TEST

START_TEST(matmul_t_backward_matches_finite_differences_for_every_transpose)
{
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* op(a) [3, 4], op(b) [4, 5]; a broadcast over b's batch of 2 */
            int64_t sa[2] = {ta ? 4 : 3, ta ? 3 : 4};
            int64_t sb[3] = {2, tb ? 5 : 4, tb ? 4 : 5};
            char name[64];
            snprintf(name, sizeof name, "matmul_t ta=%d tb=%d", ta, tb);
            gradcheck2(name, (mm_opts){ta, tb, 2}, 2, sa, 3, sb);
            /* and b broadcast over a's batch (the folded path when !ta) */
            int64_t sa3[3] = {2, sa[0], sa[1]}, sb2[2] = {sb[1], sb[2]};
            gradcheck2(name, (mm_opts){ta, tb, 2}, 3, sa3, 2, sb2);
        }
}
END_TEST

START_TEST(linear_backward_matches_finite_differences)
{
    sg_test_input in[3] = {input(3, (int64_t[]){2, 3, 5}, 1), input(2, (int64_t[]){4, 5}, 2),
                           input(1, (int64_t[]){4}, 3)};
    sg_test_gradcheck("linear with bias", build_mm, &(mm_opts){true, false, 3}, 3, in, NULL);
    sg_test_gradcheck("linear without bias", build_mm, &(mm_opts){false, false, 3}, 2, in, NULL);
    for (int i = 0; i < 3; i++) free(in[i].data);
}
END_TEST

/* C = op(A) op(B) for every batch, by the definition, in double. */
static void naive_bmm(const float *A, const float *B, float *C, int64_t batch, int64_t a_batch,
                      int64_t b_batch, int64_t M, int64_t N, int64_t K, bool ta, bool tb)
{
    for (int64_t o = 0; o < batch; o++) {
        const float *a = A + (o % a_batch) * M * K, *b = B + (o % b_batch) * K * N;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)(ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
                C[(o * M + i) * N + j] = (float)s;
            }
    }
}

START_TEST(matmul_t_forward_matches_naive_loops)
{
    const int64_t M = 37, N = 300, K = 70, batch = 3;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int bcast = 0; bcast < 3; bcast++) {   /* none, a broadcast, b broadcast */
                int64_t ab = bcast == 1 ? 1 : batch, bb = bcast == 2 ? 1 : batch;
                sg_graph *g = sg_graph_new();
                int64_t sa[3] = {ab, ta ? K : M, ta ? M : K}, sb[3] = {bb, tb ? N : K, tb ? K : N};
                sg_tensor *a = sg_graph_tensor(g, 3, sa), *b = sg_graph_tensor(g, 3, sb);
                sg_test_fill_normal(a->data, a->numel, 5, 1.0f);
                sg_test_fill_normal(b->data, b->numel, 6, 1.0f);
                sg_tensor *c = sg_matmul_t(g, a, b, ta, tb);
                ck_assert_ptr_nonnull(c);
                ck_assert_int_eq(c->ndim, 3);
                ck_assert_int_eq(c->shape[0], batch);
                ck_assert_int_eq(c->shape[1], M);
                ck_assert_int_eq(c->shape[2], N);
                float *want = malloc((size_t)c->numel * sizeof(float));
                naive_bmm(a->data, b->data, want, batch, ab, bb, M, N, K, ta, tb);
                SG_ASSERT_CLOSE("matmul_t vs naive", want, c->data, c->numel, 1e-4, 1e-4);
                free(want);
                sg_graph_free(g);
            }
}
END_TEST

/* Forward output and all gradients of a bmm whose operands are both broadcast. */
static void run_bmm(float **out, float **da, float **db)
{
    sg_graph *g = sg_graph_new();
    int64_t sa[4] = {3, 1, 40, 33}, sb[4] = {1, 4, 33, 50};
    sg_tensor *a = sg_graph_tensor(g, 4, sa), *b = sg_graph_tensor(g, 4, sb);
    sg_test_fill_normal(a->data, a->numel, 7, 1.0f);
    sg_test_fill_normal(b->data, b->numel, 8, 1.0f);
    a->requires_grad = b->requires_grad = true;
    sg_tensor *c = sg_matmul_t(g, a, b, false, false);
    ck_assert_ptr_nonnull(c);
    float *seed = malloc((size_t)c->numel * sizeof(float));
    sg_test_fill_normal(seed, c->numel, 9, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, c, seed), SG_OK);
    *out = malloc((size_t)c->numel * sizeof(float));
    *da = malloc((size_t)a->numel * sizeof(float));
    *db = malloc((size_t)b->numel * sizeof(float));
    memcpy(*out, c->data, (size_t)c->numel * sizeof(float));
    memcpy(*da, a->grad, (size_t)a->numel * sizeof(float));
    memcpy(*db, b->grad, (size_t)b->numel * sizeof(float));
    free(seed);
    sg_graph_free(g);
}

START_TEST(bmm_is_bit_identical_on_1_and_2_threads)
{
    float *o1, *a1, *b1, *o2, *a2, *b2;
    sg_set_threads(1);
    run_bmm(&o1, &a1, &b1);
    sg_set_threads(2);
    run_bmm(&o2, &a2, &b2);
    ck_assert(memcmp(o1, o2, 3 * 4 * 40 * 50 * sizeof(float)) == 0);
    ck_assert(memcmp(a1, a2, 3 * 40 * 33 * sizeof(float)) == 0);
    ck_assert(memcmp(b1, b2, 4 * 33 * 50 * sizeof(float)) == 0);
    free(o1); free(a1); free(b1); free(o2); free(a2); free(b2);
}
END_TEST

START_TEST(matmul_shape_errors_name_the_op_and_shapes)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *a = sg_graph_zeros(g, 2, (int64_t[]){2, 3}), *b = sg_graph_zeros(g, 2, (int64_t[]){4, 5});
    ck_assert_ptr_null(sg_matmul(g, a, b));
    sg_test_expect_error(g, SG_ERR_SHAPE, "matmul: cannot multiply a [2, 3] by b [4, 5]: inner dimensions 3 and 4 differ");
    sg_graph_reset(g);

    a = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    b = sg_graph_zeros(g, 3, (int64_t[]){3, 4, 5});
    ck_assert_ptr_null(sg_bmm(g, a, b));
    sg_test_expect_error(g, SG_ERR_SHAPE, "bmm: batch dims of a [2, 3, 4] and b [3, 4, 5] do not broadcast");
    sg_graph_reset(g);

    a = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 4});
    b = sg_graph_zeros(g, 2, (int64_t[]){4, 5});
    ck_assert_ptr_null(sg_matmul(g, a, b));
    sg_test_expect_error(g, SG_ERR_SHAPE, "both must be 2-D");
    sg_graph_reset(g);

    a = sg_graph_zeros(g, 1, (int64_t[]){4});
    ck_assert_ptr_null(sg_bmm(g, a, a));
    sg_test_expect_error(g, SG_ERR_SHAPE, "at least 2 dims");
    sg_graph_reset(g);

    sg_tensor *x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 5}), *w = sg_graph_zeros(g, 2, (int64_t[]){4, 6});
    ck_assert_ptr_null(sg_linear(g, x, w, NULL));
    sg_test_expect_error(g, SG_ERR_SHAPE, "linear: input [2, 3, 5] and weight [4, 6]");
    sg_graph_reset(g);

    x = sg_graph_zeros(g, 2, (int64_t[]){3, 5});
    w = sg_graph_zeros(g, 2, (int64_t[]){4, 5});
    sg_tensor *bias = sg_graph_zeros(g, 1, (int64_t[]){5});
    ck_assert_ptr_null(sg_linear(g, x, w, bias));
    sg_test_expect_error(g, SG_ERR_SHAPE, "linear: bias [5] does not fit weight [4, 5]");
    sg_graph_free(g);
}
END_TEST

START_TEST(linear_adds_bias_to_every_row)
{
    sg_graph *g = sg_graph_new();
    /* x = [[1, 2], [3, 4]], w = [[1, 0], [1, 1], [0, 2]], b = [10, 20, 30] */
    sg_tensor *x = sg_graph_tensor_from(g, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4});
    sg_tensor *w = sg_graph_tensor_from(g, 2, (int64_t[]){3, 2}, (float[]){1, 0, 1, 1, 0, 2});
    sg_tensor *b = sg_graph_tensor_from(g, 1, (int64_t[]){3}, (float[]){10, 20, 30});
    sg_tensor *y = sg_linear(g, x, w, b);
    ck_assert_ptr_nonnull(y);
    const float want[6] = {11, 23, 34, 13, 27, 38};
    SG_ASSERT_CLOSE("linear", want, y->data, 6, 0, 0);
    sg_graph_free(g);
}
END_TEST

static Suite *matmul_suite(void)
{
    Suite *s = suite_create("matmul");
    SG_ADD_TEST(s, matmul_2d_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, bmm_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, matmul_t_backward_matches_finite_differences_for_every_transpose, 30);
    SG_ADD_TEST(s, linear_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, matmul_t_forward_matches_naive_loops, 30);
    SG_ADD_TEST(s, bmm_is_bit_identical_on_1_and_2_threads, 30);
    SG_ADD_TEST(s, matmul_shape_errors_name_the_op_and_shapes, 10);
    SG_ADD_TEST(s, linear_adds_bias_to_every_row, 10);
    return s;
}

SG_TEST_MAIN(matmul_suite)

/* tests/test_core.c - the runtime: arena, tape, params, pool, RNG, CPU, GEMM. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cpu.h"
#include "core/gemm.h"
#include "core/graph.h"
#include "core/kernels/kernels.h"
#include "core/param.h"
#include "core/pool.h"
#include "core/rng.h"
#include "core/sum.h"
#include "tests/testutil.h"

/* The lane sums against plain long-double loops for every length 0..70
 * (whole lane blocks and every tail), and exactly on integers. */
START_TEST(lane_sums_match_plain_loops_for_every_tail)
{
    float a[70], b[70];
    sg_test_fill_normal(a, 70, 1, 3.0f);
    sg_test_fill_normal(b, 70, 2, 1.0f);
    for (int64_t n = 0; n <= 70; n++) {
        long double s = 0, sq = 0, dot = 0, cdot = 0, mean = 0.25L;
        for (int64_t i = 0; i < n; i++) {
            s += a[i];
            sq += (a[i] - mean) * (a[i] - mean);
            dot += (long double)a[i] * b[i];
            cdot += (long double)b[i] * (a[i] - 0.5f);
        }
        ck_assert_double_eq_tol(sg_sum_f32(a, n), (double)s, 1e-12);
        ck_assert_double_eq_tol(sg_sum_sq_dev_f32(a, n, 0.25), (double)sq, 1e-11);
        ck_assert_double_eq_tol(sg_dot_f32(a, b, n), (double)dot, 1e-12);
        ck_assert_double_eq_tol(sg_dot_centered_f32(b, a, 0.5f, n), (double)cdot, 1e-12);
    }
    float ints[1000];
    for (int i = 0; i < 1000; i++) ints[i] = (float)(i % 17 - 8);
    double want = 0, want_sq = 0;
    for (int i = 0; i < 1000; i++) {
        want += ints[i];
        want_sq += ints[i] * ints[i];
    }
    ck_assert(sg_sum_f32(ints, 1000) == want);
    ck_assert(sg_dot_f32(ints, ints, 1000) == want_sq);
}
END_TEST

START_TEST(arena_consolidates_to_high_water_mark_and_stops_growing)
{
    sg_arena *a = sg_arena_new(1024);
    ck_assert_ptr_nonnull(a);
    /* First "step": many allocations overflow the first block. */
    for (int i = 0; i < 100; i++) {
        float *p = sg_arena_alloc(a, 1000 * sizeof(float));
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq((uintptr_t)p % 64, 0);
        p[999] = 1.0f;
    }
    size_t peak = sg_arena_peak(a);
    ck_assert_uint_ge(peak, 100 * 4000);
    sg_arena_reset(a);
    size_t cap = sg_arena_capacity(a);
    ck_assert_uint_ge(cap, peak);
    /* Second step of the same shape fits in the one consolidated block. */
    for (int i = 0; i < 100; i++) ck_assert_ptr_nonnull(sg_arena_alloc(a, 1000 * sizeof(float)));
    ck_assert_uint_eq(sg_arena_capacity(a), cap);
    ck_assert_uint_eq(sg_arena_peak(a), peak);
    sg_arena_free(a);
}
END_TEST

START_TEST(arena_scratch_release_returns_to_mark)
{
    sg_arena *a = sg_arena_new(4096);
    sg_arena_alloc(a, 100);
    size_t before = sg_arena_used(a);
    sg_arena_mark m = sg_arena_get_mark(a);
    sg_arena_alloc(a, 1000);
    sg_arena_alloc(a, 100000); /* overflows into a new chunk */
    sg_arena_release(a, m);
    ck_assert_uint_eq(sg_arena_used(a), before);
    sg_arena_free(a);
}
END_TEST

/* A tiny op defined in the test: y = x * x, to exercise the tape alone. */
static void square_backward(sg_graph *g, sg_node *n)
{
    float *dx = sg_node_grad(g, n, 0);
    if (!dx) return;
    for (int64_t i = 0; i < n->out->numel; i++) dx[i] += 2.0f * n->in[0]->data[i] * n->out->grad[i];
}

static sg_tensor *square(sg_graph *g, sg_tensor *x)
{
    if (!sg_graph_inputs_ok(g, "square", 1, &x)) return NULL;
    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    if (!y) return NULL;
    for (int64_t i = 0; i < x->numel; i++) y->data[i] = x->data[i] * x->data[i];
    sg_graph_record(g, "square", y, 1, &x, square_backward, 0);
    return y;
}

/* z = x*x + x*x via two nodes sharing x: fan-out must accumulate. */
static void add_backward(sg_graph *g, sg_node *n)
{
    for (int k = 0; k < 2; k++) {
        float *d = sg_node_grad(g, n, k);
        if (d)
            for (int64_t i = 0; i < n->out->numel; i++) d[i] += n->out->grad[i];
    }
}

static sg_tensor *add(sg_graph *g, sg_tensor *a, sg_tensor *b)
{
    sg_tensor *in[2] = {a, b};
    if (!sg_graph_inputs_ok(g, "add", 2, in)) return NULL;
    sg_tensor *y = sg_graph_tensor(g, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) y->data[i] = a->data[i] + b->data[i];
    sg_graph_record(g, "add", y, 2, in, add_backward, 0);
    return y;
}

START_TEST(tape_accumulates_fan_out_and_retains_intermediate_grad)
{
    sg_params ps = {0};
    sg_param *p = sg_params_add(&ps, "x", 1, (int64_t[]){3});
    ck_assert_ptr_nonnull(p);
    p->t.data[0] = 1; p->t.data[1] = -2; p->t.data[2] = 3;
    sg_graph *g = sg_graph_new();
    sg_tensor *s = square(g, &p->t);
    sg_graph_retain_grad(g, s);
    sg_tensor *z = add(g, s, square(g, &p->t));
    ck_assert_int_eq(sg_graph_tape_length(g), 3);
    float seed[3] = {1, 1, 1};
    ck_assert_int_eq(sg_graph_backward_from(g, z, seed), SG_OK);
    for (int i = 0; i < 3; i++) {
        ck_assert_float_eq(p->t.grad[i], 4.0f * p->t.data[i]);  /* d(2x^2) = 4x */
        ck_assert_float_eq(s->grad[i], 1.0f);                   /* retained */
    }
    /* A second backward over the same tape: intermediates restart from zero,
     * parameters keep accumulating (PyTorch retain_graph semantics). */
    ck_assert_int_eq(sg_graph_backward_from(g, z, seed), SG_OK);
    ck_assert_float_eq(p->t.grad[1], 2 * 4.0f * -2.0f);
    ck_assert_float_eq(s->grad[1], 1.0f);
    sg_graph_reset(g);
    sg_params_zero_grad(&ps);
    ck_assert_float_eq(p->t.grad[0], 0.0f);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

/* A chain y1 = x^2, y_{k+1} = y_k + x: every intermediate gradient is dead once
 * its producer has run, so backward gives it back and the next one reuses it.
 * The backward pass then needs a few gradient blocks, not one per activation,
 * and the intermediates' gradients are gone (NULL) afterwards. */
START_TEST(backward_gives_back_dead_intermediate_gradients)
{
    enum { N = 4096, LINKS = 20 };
    sg_params ps = {0};
    sg_param *p = sg_params_add(&ps, "x", 1, (int64_t[]){N});
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < N; i++) p->t.data[i] = (float)(i % 7) - 3.0f;
    sg_graph *g = sg_graph_new();
    sg_tensor *ys[LINKS + 1];
    ys[0] = square(g, &p->t);
    for (int k = 0; k < LINKS; k++) ys[k + 1] = add(g, ys[k], &p->t);
    ck_assert_ptr_nonnull(ys[LINKS]);
    const size_t forward = sg_arena_used(sg_graph_arena(g)), block = N * sizeof(float);
    float *seed = calloc(N, sizeof *seed);
    for (int i = 0; i < N; i++) seed[i] = 1;
    ck_assert_int_eq(sg_graph_backward_from(g, ys[LINKS], seed), SG_OK);
    const size_t backward = sg_graph_peak_bytes(g) - forward;
    if (backward > 3 * block)
        ck_abort_msg("backward took %zu bytes above the forward's %zu; expected at most 3 "
                     "gradient blocks of %zu (one per link would be %zu)", backward, forward,
                     block, (size_t)(LINKS + 1) * block);
    for (int i = 0; i < N; i++)
        ck_assert_float_eq(p->t.grad[i], 2.0f * p->t.data[i] + LINKS);
    for (int k = 0; k < LINKS; k++) ck_assert_ptr_null(ys[k]->grad);
    ck_assert_ptr_nonnull(ys[LINKS]->grad);   /* the root's gradient stays */
    free(seed);
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

START_TEST(no_grad_mode_records_nothing_and_frozen_params_get_no_grad)
{
    sg_params ps = {0};
    sg_param *p = sg_params_add(&ps, "w", 1, (int64_t[]){2});
    p->t.data[0] = 2; p->t.data[1] = 3;
    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_tensor *y = square(g, &p->t);
    ck_assert_int_eq(sg_graph_tape_length(g), 0);
    ck_assert(!y->requires_grad);
    sg_graph_set_grad_enabled(g, true);
    sg_param_set_frozen(p, true);
    y = square(g, &p->t);
    ck_assert_int_eq(sg_graph_tape_length(g), 0);
    ck_assert_int_ne(sg_graph_backward(g, y), SG_OK); /* nothing requires grad */
    sg_graph_free(g);
    sg_params_free(&ps);
}
END_TEST

START_TEST(errors_are_sticky_and_null_inputs_propagate)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 1, (int64_t[]){4});
    ck_assert_ptr_null(add(g, x, NULL));
    sg_test_expect_error(g, SG_ERR_INVALID, "add: input 1 is NULL");
    ck_assert_ptr_null(square(g, x)); /* sticky */
    ck_assert_int_ne(sg_graph_backward(g, x), SG_OK);
    sg_graph_reset(g);
    ck_assert_int_eq(sg_graph_error(g), SG_OK);
    ck_assert_ptr_nonnull(square(g, sg_graph_zeros(g, 1, (int64_t[]){4})));
    sg_graph_free(g);
}
END_TEST

START_TEST(backward_rejects_non_scalar_loss)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_zeros(g, 2, (int64_t[]){2, 3});
    x->requires_grad = true;
    sg_tensor *y = square(g, x);
    ck_assert_int_eq(sg_graph_backward(g, y), SG_ERR_SHAPE);
    sg_test_expect_error(g, SG_ERR_SHAPE, "[2, 3]");
    sg_graph_free(g);
}
END_TEST

START_TEST(params_reject_duplicate_names_and_count_values)
{
    sg_params ps = {0};
    ck_assert_ptr_nonnull(sg_params_add(&ps, "conv.weight", 4, (int64_t[]){8, 3, 3, 3}));
    ck_assert_ptr_nonnull(sg_params_add_buffer(&ps, "bn.running_mean", 1, (int64_t[]){8}));
    ck_assert_ptr_null(sg_params_add(&ps, "conv.weight", 1, (int64_t[]){1}));
    ck_assert_int_eq(sg_params_count(&ps), 8 * 27);
    ck_assert_ptr_nonnull(sg_params_find(&ps, "bn.running_mean"));
    sg_params_free(&ps);
}
END_TEST

/* Philox4x32-10 known-answer test from the Random123 distribution
 * (kat_vectors: counter = 0, key = 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8). */
START_TEST(philox_matches_random123_known_answer)
{
    uint32_t w[4];
    sg_rng_block((sg_rng_key){0, 0, 0}, 0, w);
    ck_assert_uint_eq(w[0], 0x6627e8d5u);
    ck_assert_uint_eq(w[1], 0xe169c58du);
    ck_assert_uint_eq(w[2], 0xbc57ac4cu);
    ck_assert_uint_eq(w[3], 0x9b00dbd8u);
}
END_TEST

START_TEST(rng_is_keyed_and_has_right_moments)
{
    enum { N = 200000 };
    float *x = malloc(N * sizeof *x);
    sg_rng_fill_normal((sg_rng_key){42, SG_RNG_INIT, 3}, x, N, 0.0f, 1.0f);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) m += x[i];
    m /= N;
    for (int i = 0; i < N; i++) v += (x[i] - m) * (x[i] - m);
    v /= N;
    ck_assert_msg(fabs(m) < 0.01 && fabs(v - 1) < 0.02, "mean %g var %g", m, v);
    ck_assert_float_eq(sg_rng_uniform((sg_rng_key){42, SG_RNG_INIT, 3}, 17),
                       sg_rng_uniform((sg_rng_key){42, SG_RNG_INIT, 3}, 17));
    ck_assert_float_ne(sg_rng_uniform((sg_rng_key){42, SG_RNG_INIT, 3}, 17),
                       sg_rng_uniform((sg_rng_key){42, SG_RNG_DROPOUT, 3}, 17));
    int64_t perm[100];
    int seen[100] = {0};
    sg_rng_permutation((sg_rng_key){1, SG_RNG_SHUFFLE, 0}, perm, 100);
    for (int i = 0; i < 100; i++) seen[perm[i]]++;
    for (int i = 0; i < 100; i++) ck_assert_int_eq(seen[i], 1);
    free(x);
}
END_TEST

static void naive_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A,
                       const float *B, float beta, float *C)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
            C[i * N + j] = (float)(alpha * s + beta * C[i * N + j]);
        }
}

START_TEST(gemm_matches_naive_for_all_transposes)
{
    int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 70, 17}, {64, 600, 40}, {130, 9, 257}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int t = 0; t < 4; t++) {
            int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
            bool ta = t & 1, tb = t & 2;
            float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
            float *C = malloc(sizeof(float) * M * N), *R = malloc(sizeof(float) * M * N);
            sg_test_fill_normal(A, M * K, 1 + s, 1);
            sg_test_fill_normal(B, K * N, 2 + s, 1);
            sg_test_fill_normal(C, M * N, 3 + s, 1);
            memcpy(R, C, sizeof(float) * M * N);
            sg_gemm(ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 2.0f, C, N);
            naive_gemm(ta, tb, M, N, K, 0.5f, A, B, 2.0f, R);
            char what[64];
            snprintf(what, sizeof what, "sgemm %dx%dx%d ta=%d tb=%d", M, N, K, ta, tb);
            SG_ASSERT_CLOSE(what, R, C, M * N, 1e-4 * sqrt(K), 1e-5);
            free(A); free(B); free(C); free(R);
        }
}
END_TEST

START_TEST(gemm_is_bit_identical_on_one_and_two_threads)
{
    int M = 150, N = 700, K = 90;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    sg_test_fill_normal(A, M * K, 5, 1);
    sg_test_fill_normal(B, K * N, 6, 1);
    ck_assert_int_eq(sg_set_threads(1), SG_OK);
    sg_gemm(false, false, M, N, K, 1, A, K, B, N, 0, C1, N);
    ck_assert_int_eq(sg_set_threads(2), SG_OK);
    ck_assert_int_eq(sg_threads(), 2);
    sg_gemm(false, false, M, N, K, 1, A, K, B, N, 0, C2, N);
    ck_assert_int_eq(memcmp(C1, C2, sizeof(float) * M * N), 0);
    free(A); free(B); free(C1); free(C2);
}
END_TEST

/* Every SIMD table the machine can run must agree with the scalar reference. */
START_TEST(every_available_isa_sgemm_matches_scalar)
{
    const sg_kernel_table *ref = sg_kernels_for(SG_ISA_SCALAR);
    int M = 37, N = 45, K = 29;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C = malloc(sizeof(float) * M * N), *R = malloc(sizeof(float) * M * N);
    sg_test_fill_normal(A, M * K, 8, 1);
    sg_test_fill_normal(B, K * N, 9, 1);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) {
            printf("isa %s: not available on this machine, skipped\n", sg_isa_name((sg_isa)isa));
            continue;
        }
        for (int tr = 0; tr < 4; tr++) {
            bool ta = tr & 1, tb = tr & 2;
            /* The same buffers read as A (M x K) or A^T (K x M), B (K x N) or B^T (N x K). */
            ref->sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, R, N);
            t->sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N);
            char what[64];
            snprintf(what, sizeof what, "%s transA=%d transB=%d", sg_isa_name((sg_isa)isa), ta, tb);
            SG_ASSERT_CLOSE(what, R, C, M * N, 0, 0);   /* bit for bit (kernels.h) */
        }
    }
    free(A); free(B); free(C); free(R);
}
END_TEST

static void count_range(void *ctx, int64_t begin, int64_t end)
{
    int *hits = ctx;
    for (int64_t i = begin; i < end; i++) __atomic_add_fetch(&hits[i], 1, __ATOMIC_RELAXED);
}

START_TEST(parallel_for_visits_each_index_once)
{
    enum { N = 10007 };
    int *hits = calloc(N, sizeof *hits);
    for (int threads = 1; threads <= 3; threads++) {
        sg_set_threads(threads);
        memset(hits, 0, N * sizeof *hits);
        sg_parallel_for(N, 97, count_range, hits);
        for (int i = 0; i < N; i++) ck_assert_int_eq(hits[i], 1);
    }
    ck_assert_int_eq(sg_parallel_chunks(N, 97), (N + 96) / 97);
    ck_assert_int_ne(sg_set_threads(0), SG_OK);
    free(hits);
}
END_TEST

START_TEST(isa_names_parse_and_unknown_is_rejected)
{
    sg_isa isa;
    ck_assert_int_eq(sg_isa_parse("avx2", &isa), SG_OK);
    ck_assert_int_eq(isa, SG_ISA_AVX2);
    ck_assert_int_eq(sg_isa_parse("sse9", &isa), SG_ERR_INVALID);
    ck_assert(sg_isa_supported(SG_ISA_SCALAR));
    ck_assert(sg_isa_supported(sg_isa_best()));
#if defined(__x86_64__)
    /* Forcing an ISA the machine lacks must fail, never SIGILL later. */
    if (!sg_isa_supported(SG_ISA_NEON)) ck_assert_int_eq(sg_kernels_select(SG_ISA_NEON), SG_ERR_UNSUPPORTED);
#endif
    ck_assert_int_eq(sg_kernels_select(SG_ISA_SCALAR), SG_OK);
    ck_assert_int_eq(sg_kernels()->isa, SG_ISA_SCALAR);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    SG_ADD_TEST(s, arena_consolidates_to_high_water_mark_and_stops_growing, 10);
    SG_ADD_TEST(s, arena_scratch_release_returns_to_mark, 10);
    SG_ADD_TEST(s, tape_accumulates_fan_out_and_retains_intermediate_grad, 10);
    SG_ADD_TEST(s, backward_gives_back_dead_intermediate_gradients, 10);
    SG_ADD_TEST(s, no_grad_mode_records_nothing_and_frozen_params_get_no_grad, 10);
    SG_ADD_TEST(s, errors_are_sticky_and_null_inputs_propagate, 10);
    SG_ADD_TEST(s, backward_rejects_non_scalar_loss, 10);
    SG_ADD_TEST(s, params_reject_duplicate_names_and_count_values, 10);
    SG_ADD_TEST(s, philox_matches_random123_known_answer, 10);
    SG_ADD_TEST(s, rng_is_keyed_and_has_right_moments, 10);
    SG_ADD_TEST(s, lane_sums_match_plain_loops_for_every_tail, 10);
    SG_ADD_TEST(s, gemm_matches_naive_for_all_transposes, 30);
    SG_ADD_TEST(s, gemm_is_bit_identical_on_one_and_two_threads, 30);
    SG_ADD_TEST(s, every_available_isa_sgemm_matches_scalar, 10);
    SG_ADD_TEST(s, parallel_for_visits_each_index_once, 10);
    SG_ADD_TEST(s, isa_names_parse_and_unknown_is_rejected, 10);
    return s;
}

SG_TEST_MAIN(core_suite)

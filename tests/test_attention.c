/* tests/test_attention.c - scaled dot-product attention and multi-head
 * attention: gradients of every input against finite differences, the
 * properties of the probabilities (rows sum to 1, causal rows), bit-identical
 * results on 1 and 2 threads, shape errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/matmul.h"
#include "layers/transformer.h"
#include "tests/testutil.h"

typedef struct attn_case {
    bool causal, has_mask, mha, self_attn, biases;
    float scale;
    int heads;
} attn_case;

/* SDPA: in = q, k, v[, mask]. MHA: in = x_q, x_kv, in_w, in_b, out_w, out_b[, mask];
 * self-attention passes x_q as x_kv (its gradient then sums both uses). */
static sg_tensor *build_attn(sg_graph *g, sg_tensor **in, void *ctx)
{
    const attn_case *c = ctx;
    if (!c->mha)
        return sg_scaled_dot_product_attention(g, in[0], in[1], in[2], c->has_mask ? in[3] : NULL,
                                               c->causal, c->scale);
    return sg_multihead_attention(g, in[0], c->self_attn ? in[0] : in[1], in[2],
                                  c->biases ? in[3] : NULL, in[4], c->biases ? in[5] : NULL,
                                  c->heads, c->has_mask ? in[6] : NULL, c->causal, NULL);
}

static sg_test_input input(int ndim, const int64_t *shape, uint64_t seed, float std)
{
    sg_test_input t = {.ndim = ndim, .needs_grad = true};
    memcpy(t.shape, shape, (size_t)ndim * sizeof *shape);
    int64_t n = sg_shape_numel(ndim, shape);
    t.data = malloc((size_t)n * sizeof(float));
    sg_test_fill_normal(t.data, n, seed, std);
    return t;
}

static void sdpa_gradcheck(const char *name, attn_case c, int mask_ndim, const int64_t *mask_shape)
{
    sg_test_input in[4] = {input(4, (int64_t[]){2, 2, 3, 4}, 1, 1.0f),
                           input(4, (int64_t[]){2, 2, 5, 4}, 2, 1.0f),
                           input(4, (int64_t[]){2, 2, 5, 3}, 3, 1.0f)};
    int n = 3;
    if (c.has_mask) in[n++] = input(mask_ndim, mask_shape, 4, 1.0f);
    sg_test_gradcheck(name, build_attn, &c, n, in, NULL);
    for (int i = 0; i < n; i++) free(in[i].data);
}

START_TEST(sdpa_backward_matches_finite_differences)
{
    sdpa_gradcheck("sdpa", (attn_case){0}, 0, NULL);
    sdpa_gradcheck("sdpa causal", (attn_case){.causal = true}, 0, NULL);
    sdpa_gradcheck("sdpa scale 0.3", (attn_case){.scale = 0.3f}, 0, NULL);
}
END_TEST

START_TEST(sdpa_mask_gradient_matches_finite_differences)
{
    /* masks broadcast over heads, over batch and heads, over everything but S */
    sdpa_gradcheck("sdpa mask [B,1,T,S]", (attn_case){.has_mask = true}, 4, (int64_t[]){2, 1, 3, 5});
    sdpa_gradcheck("sdpa mask [T,S] causal", (attn_case){.has_mask = true, .causal = true}, 2, (int64_t[]){3, 5});
    sdpa_gradcheck("sdpa mask [B,1,1,S]", (attn_case){.has_mask = true}, 4, (int64_t[]){2, 1, 1, 5});
    sdpa_gradcheck("sdpa mask [B,H,T,S]", (attn_case){.has_mask = true}, 4, (int64_t[]){2, 2, 3, 5});
}
END_TEST

static void mha_gradcheck(const char *name, attn_case c, int mask_ndim, const int64_t *mask_shape)
{
    const int64_t E = 8;
    sg_test_input in[7] = {input(3, (int64_t[]){2, 3, E}, 1, 1.0f),
                           input(3, (int64_t[]){2, c.self_attn ? 3 : 4, E}, 2, 1.0f),
                           input(2, (int64_t[]){3 * E, E}, 3, 0.4f),
                           input(1, (int64_t[]){3 * E}, 4, 0.5f),
                           input(2, (int64_t[]){E, E}, 5, 0.4f),
                           input(1, (int64_t[]){E}, 6, 0.5f)};
    in[1].needs_grad = !c.self_attn;   /* unused: x_q serves as x_kv */
    in[3].needs_grad = in[5].needs_grad = c.biases;
    int n = 6;
    if (c.has_mask) in[n++] = input(mask_ndim, mask_shape, 7, 1.0f);
    sg_test_gradcheck(name, build_attn, &c, n, in, NULL);
    for (int i = 0; i < n; i++) free(in[i].data);
}

START_TEST(multihead_attention_backward_matches_finite_differences)
{
    mha_gradcheck("mha cross, mask [T,S]", (attn_case){.mha = true, .biases = true, .heads = 2, .has_mask = true}, 2,
                  (int64_t[]){3, 4});
    mha_gradcheck("mha self causal", (attn_case){.mha = true, .self_attn = true, .biases = true, .heads = 4, .causal = true},
                  0, NULL);
    mha_gradcheck("mha no biases, torch mask [B*H,T,S]", (attn_case){.mha = true, .heads = 2, .has_mask = true}, 3,
                  (int64_t[]){4, 3, 4});
}
END_TEST

START_TEST(sdpa_probabilities_sum_to_one_and_causal_rows_ignore_the_future)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *q = sg_graph_tensor(g, 3, (int64_t[]){2, 4, 3}), *k = sg_graph_tensor(g, 3, (int64_t[]){2, 6, 3});
    sg_tensor *v = sg_graph_tensor(g, 3, (int64_t[]){2, 6, 2});
    sg_test_fill_normal(q->data, q->numel, 1, 1.0f);
    sg_test_fill_normal(k->data, k->numel, 2, 1.0f);
    sg_test_fill_normal(v->data, v->numel, 3, 1.0f);
    sg_tensor *P = NULL;
    sg_tensor *o = sg_scaled_dot_product_attention_probs(g, q, k, v, NULL, true, 0, &P);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(P);
    ck_assert_int_eq(P->shape[2], 6);
    for (int64_t b = 0; b < 2; b++)
        for (int64_t t = 0; t < 4; t++) {
            const float *row = P->data + (b * 4 + t) * 6;
            double sum = 0;
            for (int64_t s = 0; s < 6; s++) {
                sum += row[s];
                if (s > t) ck_assert_float_eq(row[s], 0.0f);
            }
            ck_assert_double_eq_tol(sum, 1.0, 1e-6);
        }
    /* row 0 attends only to key 0: its output is v[0] */
    for (int64_t b = 0; b < 2; b++)
        for (int64_t d = 0; d < 2; d++)
            ck_assert_float_eq_tol(o->data[b * 4 * 2 + d], v->data[b * 6 * 2 + d], 1e-6);
    sg_graph_free(g);
}
END_TEST

/* MHA output, its weights and all gradients, on the current thread count. */
static void run_mha(float *out[9])
{
    const int64_t B = 3, T = 17, S = 29, E = 32;
    sg_graph *g = sg_graph_new();
    sg_tensor *t[7] = {sg_graph_tensor(g, 3, (int64_t[]){B, T, E}), sg_graph_tensor(g, 3, (int64_t[]){B, S, E}),
                       sg_graph_tensor(g, 2, (int64_t[]){3 * E, E}), sg_graph_tensor(g, 1, (int64_t[]){3 * E}),
                       sg_graph_tensor(g, 2, (int64_t[]){E, E}), sg_graph_tensor(g, 1, (int64_t[]){E}),
                       sg_graph_tensor(g, 2, (int64_t[]){T, S})};
    for (int i = 0; i < 7; i++) {
        sg_test_fill_normal(t[i]->data, t[i]->numel, 10 + (uint64_t)i, 0.3f);
        t[i]->requires_grad = true;
    }
    sg_tensor *w = NULL;
    sg_tensor *y = sg_multihead_attention(g, t[0], t[1], t[2], t[3], t[4], t[5], 4, t[6], false, &w);
    ck_assert_ptr_nonnull(y);
    ck_assert_ptr_nonnull(w);
    float *seed = malloc((size_t)y->numel * sizeof(float));
    sg_test_fill_normal(seed, y->numel, 99, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    free(seed);
    sg_tensor *all[9] = {y, w, t[0], t[1], t[2], t[3], t[4], t[5], t[6]};
    for (int i = 0; i < 9; i++) {
        const float *src = i < 2 ? all[i]->data : all[i]->grad;
        int64_t n = all[i]->numel;
        out[i] = malloc((size_t)(n + 1) * sizeof(float));
        memcpy(out[i], src, (size_t)n * sizeof(float));
        out[i][n] = (float)n;   /* remember the size for the comparison */
    }
    sg_graph_free(g);
}

START_TEST(multihead_attention_is_bit_identical_on_1_and_2_threads)
{
    float *a[9], *b[9];
    sg_set_threads(1);
    run_mha(a);
    sg_set_threads(2);
    run_mha(b);
    const int64_t n[9] = {3 * 17 * 32, 3 * 17 * 29, 3 * 17 * 32, 3 * 29 * 32, 96 * 32, 96, 32 * 32, 32, 17 * 29};
    for (int i = 0; i < 9; i++) {
        ck_assert_msg(memcmp(a[i], b[i], (size_t)(n[i] + 1) * sizeof(float)) == 0,
                      "tensor %d differs between 1 and 2 threads", i);
        free(a[i]);
        free(b[i]);
    }
}
END_TEST

START_TEST(attention_shape_errors_name_the_op_and_shapes)
{
    sg_graph *g = sg_graph_new();
    sg_tensor *q = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 3, 4}), *k = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 5, 6});
    sg_tensor *v = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 5, 3});
    ck_assert_ptr_null(sg_scaled_dot_product_attention(g, q, k, v, NULL, false, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "scaled_dot_product_attention: q [2, 2, 3, 4], k [2, 2, 5, 6], v [2, 2, 5, 3]");
    sg_graph_reset(g);

    q = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 3, 4});
    k = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 5, 4});
    v = sg_graph_zeros(g, 4, (int64_t[]){2, 2, 5, 3});
    sg_tensor *mask = sg_graph_zeros(g, 2, (int64_t[]){3, 4});
    ck_assert_ptr_null(sg_scaled_dot_product_attention(g, q, k, v, mask, false, 0));
    sg_test_expect_error(g, SG_ERR_SHAPE, "mask [3, 4] does not broadcast to the scores [2, 2, 3, 5]");
    sg_graph_reset(g);

    sg_tensor *x = sg_graph_zeros(g, 3, (int64_t[]){2, 3, 6});
    sg_tensor *w_in = sg_graph_zeros(g, 2, (int64_t[]){18, 6}), *w_out = sg_graph_zeros(g, 2, (int64_t[]){6, 6});
    ck_assert_ptr_null(sg_multihead_attention(g, x, x, w_in, NULL, w_out, NULL, 4, NULL, false, NULL));
    sg_test_expect_error(g, SG_ERR_SHAPE, "multihead_attention: x_q [2, 3, 6], x_kv [2, 3, 6], in_proj_weight [18, 6]");
    sg_graph_free(g);
}
END_TEST

/* ---- sg_attention_dropout: the unfused chain's bits, one T x S kept ---- */

typedef struct drop_case {
    int64_t B, H, T, S, Dh, Dv;
    float p;
    bool training;
} drop_case;

/* dropout(x0) first (so the attention's dropout is not call 0), then the
 * attention - fused (sg_attention_dropout) or the chain of ops - then a
 * dropout of its output; backward from a fixed seed. Returns malloc'd copies of
 * the output, P and the gradients of q, k, v, x0. */
static void run_drop(const drop_case *c, bool fused, float *out[6], int64_t n[6])
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, c->training);
    sg_graph_set_seed(g, 77, 5);
    int64_t qs[4] = {c->B, c->H, c->T, c->Dh}, ks[4] = {c->B, c->H, c->S, c->Dh},
            vs[4] = {c->B, c->H, c->S, c->Dv};
    sg_tensor *x0 = sg_graph_tensor(g, 4, qs), *q = sg_graph_tensor(g, 4, qs);
    sg_tensor *k = sg_graph_tensor(g, 4, ks), *v = sg_graph_tensor(g, 4, vs);
    sg_tensor *leaf[4] = {q, k, v, x0};
    for (int i = 0; i < 4; i++) {
        sg_test_fill_normal(leaf[i]->data, leaf[i]->numel, 40 + (uint64_t)i, 1.5f);
        leaf[i]->requires_grad = true;
    }
    q = sg_add(g, q, sg_dropout(g, x0, 0.5f));
    const float scale = 1.0f / sqrtf((float)c->Dh);
    sg_tensor *o, *P = NULL;
    if (fused) {
        o = sg_attention_dropout(g, q, k, v, scale, c->p, &P);
    } else {
        P = sg_softmax(g, sg_mul_scalar(g, sg_matmul_t(g, q, k, false, true), scale), -1);
        o = sg_bmm(g, sg_dropout(g, P, c->p), v);
    }
    o = sg_dropout(g, o, 0.25f);
    ck_assert_msg(o && P, "%s", sg_graph_error_message(g));
    float *seed = malloc((size_t)o->numel * sizeof(float));
    sg_test_fill_normal(seed, o->numel, 3, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, o, seed), SG_OK);
    free(seed);
    const sg_tensor *src[6] = {o, P, leaf[0], leaf[1], leaf[2], leaf[3]};
    for (int i = 0; i < 6; i++) {
        n[i] = src[i]->numel;
        out[i] = malloc((size_t)n[i] * sizeof(float));
        memcpy(out[i], i < 2 ? src[i]->data : src[i]->grad, (size_t)n[i] * sizeof(float));
    }
    sg_graph_free(g);
}

START_TEST(attention_dropout_equals_the_unfused_chain_bit_for_bit)
{
    /* T and S multiples of no register tile (6, 8, 12 rows; 16, 32 columns) */
    const drop_case cases[] = {
        {1, 1, 37, 37, 8, 8, 0.1f, true},     /* one head */
        {2, 3, 37, 29, 12, 7, 0.3f, true},    /* several heads, S != T, Dv != Dh */
        {1, 4, 67, 67, 16, 16, 0.1f, true},
        {2, 2, 19, 19, 5, 5, 0.0f, true},     /* without dropout */
        {2, 2, 19, 19, 5, 5, 0.4f, false},    /* eval: dropout is the identity */
        {1, 1, 1, 3, 2, 2, 0.5f, true},
    };
    static const char *what[6] = {"output", "probabilities", "dq", "dk", "dv", "dx0"};
    for (int t = 1; t <= 2; t++) {
        sg_set_threads(t);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            float *a[6], *b[6];
            int64_t na[6], nb[6];
            run_drop(&cases[i], true, a, na);
            run_drop(&cases[i], false, b, nb);
            for (int j = 0; j < 6; j++) {
                ck_assert_int_eq(na[j], nb[j]);
                int64_t bad = -1;
                for (int64_t e = 0; e < na[j] && bad < 0; e++)
                    if (memcmp(&a[j][e], &b[j][e], sizeof(float))) bad = e;
                ck_assert_msg(bad < 0, "case %zu, %d threads: %s element %lld: fused %a, chain %a",
                              i, t, what[j], (long long)bad, bad < 0 ? 0.0 : (double)a[j][bad],
                              bad < 0 ? 0.0 : (double)b[j][bad]);
                free(a[j]);
                free(b[j]);
            }
        }
    }
    sg_set_threads(2);
}
END_TEST

static sg_tensor *build_attn_dropout(sg_graph *g, sg_tensor **in, void *ctx)
{
    const float *p = ctx;
    sg_graph_set_seed(g, 9, 1);
    return sg_attention_dropout(g, in[0], in[1], in[2], 0.4f, *p, NULL);
}

START_TEST(attention_dropout_backward_matches_finite_differences)
{
    const float ps[2] = {0.0f, 0.3f};   /* the mask is a function of (seed, step, call): fixed */
    for (int i = 0; i < 2; i++) {
        sg_test_input in[3] = {input(4, (int64_t[]){2, 2, 3, 4}, 1, 1.0f),
                               input(4, (int64_t[]){2, 2, 5, 4}, 2, 1.0f),
                               input(4, (int64_t[]){2, 2, 5, 3}, 3, 1.0f)};
        sg_test_gradcheck(i ? "attention_dropout p 0.3" : "attention_dropout p 0", build_attn_dropout,
                          (void *)&ps[i], 3, in, NULL);
        for (int j = 0; j < 3; j++) free(in[j].data);
    }
}
END_TEST

/* Bytes the arena peaks at over one CCT encoder block's forward + backward in
 * training mode (attention dropout on), x [B, T, E]. */
static size_t cct_block_peak(int64_t B, int64_t T, int E, int H, int hidden)
{
    sg_params ps = {0};
    sg_encoder_block blk;
    const sg_encoder_names names = {"n1.%d", "n2.%d", "qkv.%d", NULL, "proj.%d", "projb.%d", "fc1.%d", "fc2.%d"};
    const sg_encoder_config cfg = {.kind = SG_BLOCK_CCT, .dim = E, .heads = H, .hidden = hidden,
                                   .eps = 1e-5f, .dropout = 0.1f, .attn_dropout = 0.1f, .drop_path = 0.1f};
    ck_assert_int_eq(sg_encoder_block_init(&blk, &ps, &names, 0, &cfg, 1), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_tensor *x = sg_graph_tensor(g, 3, (int64_t[]){B, T, E});
    sg_test_fill_normal(x->data, x->numel, 5, 1.0f);
    x->requires_grad = true;
    sg_tensor *y = sg_encoder_block_forward(g, &blk, x, NULL);
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    float *seed = malloc((size_t)y->numel * sizeof(float));
    sg_test_fill_normal(seed, y->numel, 6, 1.0f);
    ck_assert_int_eq(sg_graph_backward_from(g, y, seed), SG_OK);
    free(seed);
    size_t peak = sg_graph_peak_bytes(g);
    sg_graph_free(g);
    sg_params_free(&ps);
    return peak;
}

START_TEST(cct_block_training_keeps_one_t_by_t_matrix_per_head)
{
    /* T x T terms dominate: one T x T per head is B H T^2 = 2 * 4 * 320^2
     * floats (3.3 MB), every [B, T, hidden] tensor 10240 floats (41 KB). */
    const int64_t B = 2, T = 320;
    const int E = 8, H = 4, hidden = 16;
    for (int threads = 1; threads <= 2; threads++) {
        sg_set_threads(threads);
        const int64_t chunks = threads < B * H ? threads : B * H;
        const size_t f = sizeof(float);
        const size_t tt = (size_t)(B * H * T * T) * f;              /* one T x T per head */
        /* the op's work: a T x T matrix, a row and T x T mask bytes per chunk */
        const size_t scratch = (size_t)(chunks * (T * T + T)) * f + (size_t)(chunks * T * T);
        const size_t linear = (size_t)(32 * B * T * hidden) * f;    /* 32 [B, T, hidden] tensors */
        const size_t bound = tt + scratch + linear;
        /* the bound leaves no room for a second T x T per head */
        ck_assert(bound < 2 * tt);
        size_t peak = cct_block_peak(B, T, E, H, hidden);
        printf("cct block B %lld T %lld E %d H %d, %d threads: arena peak %zu bytes, bound %zu "
               "(one T x T per head %zu)\n", (long long)B, (long long)T, E, H, threads, peak, bound, tt);
        ck_assert_msg(peak <= bound, "%d threads: arena peak %zu bytes > bound %zu", threads, peak, bound);
    }
    sg_set_threads(2);
}
END_TEST

static Suite *attention_suite(void)
{
    Suite *s = suite_create("attention");
    SG_ADD_TEST(s, sdpa_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, sdpa_mask_gradient_matches_finite_differences, 30);
    SG_ADD_TEST(s, multihead_attention_backward_matches_finite_differences, 60);
    SG_ADD_TEST(s, sdpa_probabilities_sum_to_one_and_causal_rows_ignore_the_future, 10);
    SG_ADD_TEST(s, multihead_attention_is_bit_identical_on_1_and_2_threads, 30);
    SG_ADD_TEST(s, attention_shape_errors_name_the_op_and_shapes, 10);
    SG_ADD_TEST(s, attention_dropout_equals_the_unfused_chain_bit_for_bit, 60);
    SG_ADD_TEST(s, attention_dropout_backward_matches_finite_differences, 30);
    SG_ADD_TEST(s, cct_block_training_keeps_one_t_by_t_matrix_per_head, 60);
    return s;
}

SG_TEST_MAIN(attention_suite)

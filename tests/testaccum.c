/* tests/testaccum.c - the gradient-accumulation check (see testaccum.h). */
#include "tests/testaccum.h"

#include <stdlib.h>
#include <string.h>

#include "core/param.h"

/* Multiples of 1/8 in [-1, 1], keyed by seed: products and sums of these are
 * exact in float32 for any reasonable size, so the order of additions in a
 * kernel cannot change a single bit. */
static void fill_dyadic(float *x, int64_t n, uint64_t seed)
{
    sg_rng_key key = {seed, SG_RNG_TEST, 20};
    for (int64_t i = 0; i < n; i++) x[i] = (float)((int)sg_rng_below(key, (uint64_t)i, 17) - 8) / 8.0f;
}

/* The known pattern a gradient holds before the pass: also dyadic, never 0. */
static float prefill_value(int k, int64_t i) { return (float)(1 + (i * 7 + k * 3) % 13) / 4.0f; }

/* One pass on a fresh graph: forward, backward from the fixed upstream gradient. */
static void run_pass(const char *name, sg_test_build_fn build, void *ctx, int n, sg_param **ps,
                     bool training)
{
    sg_graph *g = sg_graph_new();
    ck_assert_ptr_nonnull(g);
    sg_graph_set_training(g, training);
    sg_graph_set_seed(g, 1234, 0);
    sg_tensor *in[SG_NODE_MAX_INPUTS];
    for (int k = 0; k < n; k++) in[k] = &ps[k]->t;
    sg_tensor *out = build(g, in, ctx);
    ck_assert_msg(out != NULL, "%s: forward failed: %s", name, sg_graph_error_message(g));
    float *dy = malloc((size_t)out->numel * sizeof *dy);
    ck_assert_ptr_nonnull(dy);
    fill_dyadic(dy, out->numel, 4242);
    ck_assert_msg(sg_graph_backward_from(g, out, dy) == SG_OK, "%s: backward failed: %s", name,
                  sg_graph_error_message(g));
    free(dy);
    sg_graph_free(g);
}

/* Fail naming the first element where found != expected (bit for bit). */
static void expect_bits(const char *name, const char *what, int k, const float *expected,
                        const float *found, int64_t numel)
{
    for (int64_t i = 0; i < numel; i++)
        ck_assert_msg(memcmp(&expected[i], &found[i], sizeof(float)) == 0,
                      "%s: input %d, %s: element %lld expected %.9g found %.9g (bit-exact)", name,
                      k, what, (long long)i, expected[i], found[i]);
}

void sg_test_expect_accumulates(const char *name, sg_test_build_fn build, void *ctx, int n,
                                const sg_test_input *inputs, bool training)
{
    ck_assert_int_le(n, SG_NODE_MAX_INPUTS);
    sg_params store = {0};
    sg_param *ps[SG_NODE_MAX_INPUTS];
    float *once[SG_NODE_MAX_INPUTS] = {0};
    for (int k = 0; k < n; k++) {
        char pname[32];
        snprintf(pname, sizeof pname, "input%d", k);
        ps[k] = sg_params_add(&store, pname, inputs[k].ndim, inputs[k].shape);
        ck_assert_msg(ps[k] != NULL, "%s: %s", name, sg_error_message());
        if (inputs[k].data)
            memcpy(ps[k]->t.data, inputs[k].data, (size_t)ps[k]->t.numel * sizeof(float));
        else
            fill_dyadic(ps[k]->t.data, ps[k]->t.numel, 100 + (uint64_t)k);
        if (!inputs[k].needs_grad) sg_param_set_frozen(ps[k], true);
    }

    /* Pass 1 from zero: the reference gradient g. */
    sg_params_zero_grad(&store);
    run_pass(name, build, ctx, n, ps, training);
    for (int k = 0; k < n; k++) {
        int64_t numel = ps[k]->t.numel;
        once[k] = malloc((size_t)numel * sizeof(float));
        ck_assert_ptr_nonnull(once[k]);
        memcpy(once[k], ps[k]->t.grad, (size_t)numel * sizeof(float));
        bool any = false;
        for (int64_t i = 0; i < numel; i++) any |= once[k][i] != 0.0f;
        if (inputs[k].needs_grad)
            ck_assert_msg(any, "%s: input %d got an all-zero gradient: the check would be vacuous",
                          name, k);
        else
            ck_assert_msg(!any, "%s: input %d needs no gradient but received one", name, k);
    }

    /* Pass 2 without zeroing: exactly 2 g. */
    run_pass(name, build, ctx, n, ps, training);
    for (int k = 0; k < n; k++) {
        if (!inputs[k].needs_grad) continue;
        int64_t numel = ps[k]->t.numel;
        float *want = malloc((size_t)numel * sizeof(float));
        for (int64_t i = 0; i < numel; i++) want[i] = once[k][i] + once[k][i];
        expect_bits(name, "second backward without zeroing (want 2 x one pass)", k, want,
                    ps[k]->t.grad, numel);
        free(want);
    }

    /* One pass onto a pre-filled gradient: exactly prefill + g. */
    for (int k = 0; k < n; k++)
        if (inputs[k].needs_grad)
            for (int64_t i = 0; i < ps[k]->t.numel; i++) ps[k]->t.grad[i] = prefill_value(k, i);
    run_pass(name, build, ctx, n, ps, training);
    for (int k = 0; k < n; k++) {
        if (!inputs[k].needs_grad) continue;
        int64_t numel = ps[k]->t.numel;
        float *want = malloc((size_t)numel * sizeof(float));
        for (int64_t i = 0; i < numel; i++) want[i] = prefill_value(k, i) + once[k][i];
        expect_bits(name, "backward onto a pre-filled gradient (want prefill + one pass)", k,
                    want, ps[k]->t.grad, numel);
        free(want);
    }
    printf("%s: %d inputs accumulate bit-exactly (2 x g, prefill + g)\n", name, n);
    for (int k = 0; k < n; k++) free(once[k]);
    sg_params_free(&store);
}

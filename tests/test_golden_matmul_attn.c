/* tests/test_golden_matmul_attn.c - matmul, linear, the shape ops, scaled
 * dot-product attention and multi-head attention against PyTorch.
 *
 * tests/golden/gen_matmul_attn.py stored, for each case "<case>.<name>", the
 * inputs, the output "y", an upstream gradient "dy" and the gradients
 * "d<input>" of sum(y * dy) computed by torch in float64 from float32 inputs.
 * Here each case runs forward, then backward from dy, and every tensor is
 * compared at rtol 1e-4 (atol 1e-5): the largest differences are printed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/safetensors.h"
#include "layers/attention.h"
#include "layers/matmul.h"
#include "layers/shape.h"
#include "tests/testutil.h"

#define ATOL 1e-5
#define RTOL 1e-4

/* What a case computes from its inputs (in the order listed by the case). */
typedef enum {
    OP_MATMUL, OP_BMM, OP_MATMUL_TT, OP_LINEAR, OP_RESHAPE, OP_FLATTEN, OP_PERMUTE, OP_TRANSPOSE,
    OP_CONCAT, OP_SLICE, OP_PAD, OP_SDPA, OP_MHA
} golden_op;

typedef struct golden_case {
    const char *file, *name;
    golden_op op;
    const char *inputs[7];     /* NULL-terminated */
    int64_t v[4];              /* reshape shape / pads / slice (start, end, step) */
    int n_v, a, b;             /* count of v; dims */
    int heads;
    int perm[4];
    sg_pad_mode mode;
    float value, scale;
    bool causal;
} golden_case;

static const golden_case CASES[] = {
    {.file = "mm_matmul", .name = "mm", .op = OP_MATMUL, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "bmm", .op = OP_BMM, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "bmm_bcast_b", .op = OP_BMM, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "bmm_bcast_a", .op = OP_BMM, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "bmm_bcast_both", .op = OP_BMM, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "matmul_tt", .op = OP_MATMUL_TT, .inputs = {"a", "b"}},
    {.file = "mm_matmul", .name = "linear", .op = OP_LINEAR, .inputs = {"x", "w", "b"}},
    {.file = "mm_matmul", .name = "linear_nobias", .op = OP_LINEAR, .inputs = {"x", "w"}},
    {.file = "mm_shape", .name = "reshape", .op = OP_RESHAPE, .inputs = {"x"}, .v = {4, -1}, .n_v = 2},
    {.file = "mm_shape", .name = "flatten", .op = OP_FLATTEN, .inputs = {"x"}, .a = 1, .b = 2},
    {.file = "mm_shape", .name = "permute", .op = OP_PERMUTE, .inputs = {"x"}, .perm = {0, 2, 3, 1}},
    {.file = "mm_shape", .name = "transpose", .op = OP_TRANSPOSE, .inputs = {"x"}, .b = -1},
    {.file = "mm_shape", .name = "concat", .op = OP_CONCAT, .inputs = {"a", "b", "c"}, .a = 1},
    {.file = "mm_shape", .name = "concat_last", .op = OP_CONCAT, .inputs = {"a", "b"}, .a = -1},
    {.file = "mm_shape", .name = "slice_neg", .op = OP_SLICE, .inputs = {"x"}, .v = {-5, -1, 2}, .n_v = 3, .a = 1},
    {.file = "mm_shape", .name = "slice_clamp", .op = OP_SLICE, .inputs = {"x"}, .v = {-10, 3, 1}, .n_v = 3},
    {.file = "mm_shape", .name = "pad_constant", .op = OP_PAD, .inputs = {"x"}, .v = {1, 2, 0, 1}, .n_v = 4, .mode = SG_PAD_CONSTANT, .value = 0.5f},
    {.file = "mm_shape", .name = "pad_crop", .op = OP_PAD, .inputs = {"x"}, .v = {-1, 1, 2, -1}, .n_v = 4, .mode = SG_PAD_CONSTANT},
    {.file = "mm_shape", .name = "pad_reflect", .op = OP_PAD, .inputs = {"x"}, .v = {2, 1, 3, 1}, .n_v = 4, .mode = SG_PAD_REFLECT},
    {.file = "mm_shape", .name = "pad_reflect1d", .op = OP_PAD, .inputs = {"x"}, .v = {3, 2}, .n_v = 2, .mode = SG_PAD_REFLECT},
    {.file = "mm_shape", .name = "pad_replicate", .op = OP_PAD, .inputs = {"x"}, .v = {2, 3, 1, 4}, .n_v = 4, .mode = SG_PAD_REPLICATE},
    {.file = "mm_shape", .name = "pad_circular", .op = OP_PAD, .inputs = {"x"}, .v = {1, 2, 2, 1}, .n_v = 4, .mode = SG_PAD_CIRCULAR},
    {.file = "attn_sdpa", .name = "plain", .op = OP_SDPA, .inputs = {"q", "k", "v"}},
    {.file = "attn_sdpa", .name = "causal", .op = OP_SDPA, .inputs = {"q", "k", "v"}, .causal = true},
    {.file = "attn_sdpa", .name = "mask", .op = OP_SDPA, .inputs = {"q", "k", "v", "mask"}},
    {.file = "attn_sdpa", .name = "mask_causal_scale", .op = OP_SDPA, .inputs = {"q", "k", "v", "mask"}, .causal = true, .scale = 0.3f},
    {.file = "attn_mha", .name = "cross", .op = OP_MHA, .heads = 2,
     .inputs = {"x_q", "x_kv", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias", "mask"}},
    /* torch was given the -inf upper triangle; ours is the causal flag */
    {.file = "attn_mha", .name = "self_causal", .op = OP_MHA, .heads = 4, .causal = true,
     .inputs = {"x_q", "x_q", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}},
    /* the same case through torch's explicit mask */
    {.file = "attn_mha", .name = "self_causal", .op = OP_MHA, .heads = 4,
     .inputs = {"x_q", "x_q", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias", "mask"}},
};

static sg_tensor *run_case(sg_graph *g, const golden_case *c, sg_tensor **in, int n, sg_tensor **weights)
{
    switch (c->op) {
    case OP_MATMUL: return sg_matmul(g, in[0], in[1]);
    case OP_BMM: return sg_bmm(g, in[0], in[1]);
    case OP_MATMUL_TT: return sg_matmul_t(g, in[0], in[1], true, true);
    case OP_LINEAR: return sg_linear(g, in[0], in[1], n > 2 ? in[2] : NULL);
    case OP_RESHAPE: return sg_reshape(g, in[0], c->n_v, c->v);
    case OP_FLATTEN: return sg_flatten(g, in[0], c->a, c->b);
    case OP_PERMUTE: return sg_permute(g, in[0], c->perm);
    case OP_TRANSPOSE: return sg_transpose(g, in[0], c->a, c->b);
    case OP_CONCAT: return sg_concat(g, n, in, c->a);
    case OP_SLICE: return sg_slice(g, in[0], c->a, c->v[0], c->v[1], c->v[2]);
    case OP_PAD: return sg_pad(g, in[0], c->n_v, c->v, c->mode, c->value);
    case OP_SDPA:
        return sg_scaled_dot_product_attention(g, in[0], in[1], in[2], n > 3 ? in[3] : NULL, c->causal, c->scale);
    case OP_MHA:
        return sg_multihead_attention(g, in[0], in[1], in[2], in[3], in[4], in[5], c->heads, n > 6 ? in[6] : NULL,
                                      c->causal, weights);
    }
    return NULL;
}

static const sg_st_tensor *need(const sg_safetensors *f, const golden_case *c, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", c->name, name);
    const sg_st_tensor *t = sg_safetensors_find(f, key);
    ck_assert_msg(t != NULL, "%s.safetensors has no tensor %s", c->file, key);
    return t;
}

static void compare(const sg_safetensors *f, const golden_case *c, const char *name, const sg_tensor *found)
{
    const sg_st_tensor *want = need(f, c, name);
    ck_assert_msg(found != NULL, "%s.%s: nothing computed", c->name, name);
    ck_assert_int_eq(want->numel, found->numel);
    for (int d = 0; d < want->ndim; d++) ck_assert_int_eq(want->shape[d], found->shape[d]);
    char what[160];
    snprintf(what, sizeof what, "%s %s.%s", c->file, c->name, name);
    SG_ASSERT_CLOSE(what, want->data, found->data, want->numel, ATOL, RTOL);
}

static void run_golden(const golden_case *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.safetensors", sg_test_golden_dir(), c->file);
    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(path, &f) == SG_OK, "%s", sg_error_message());
    sg_graph *g = sg_graph_new();
    sg_tensor *in[7];
    int n = 0;
    for (; n < 7 && c->inputs[n]; n++) {
        /* a name repeated (self-attention) is the same tensor */
        in[n] = NULL;
        for (int k = 0; k < n; k++)
            if (strcmp(c->inputs[k], c->inputs[n]) == 0) in[n] = in[k];
        if (in[n]) continue;
        const sg_st_tensor *t = need(&f, c, c->inputs[n]);
        in[n] = sg_graph_tensor_from(g, t->ndim, t->shape, t->data);
        /* torch's MultiheadAttention gives its attn_mask no gradient */
        in[n]->requires_grad = !(c->op == OP_MHA && strcmp(c->inputs[n], "mask") == 0);
    }
    sg_tensor *weights = NULL;
    sg_tensor *y = run_case(g, c, in, n, c->op == OP_MHA ? &weights : NULL);
    ck_assert_msg(y != NULL, "%s: %s", c->name, sg_graph_error_message(g));
    compare(&f, c, "y", y);
    if (weights) compare(&f, c, "weights", weights);
    const sg_st_tensor *dy = need(&f, c, "dy");
    ck_assert_int_eq(dy->numel, y->numel);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy->data), SG_OK);
    for (int k = 0; k < n; k++) {
        bool repeated = false;
        for (int j = 0; j < k; j++) repeated |= in[j] == in[k];
        if (repeated || !in[k]->requires_grad) continue;
        char dname[64];
        snprintf(dname, sizeof dname, "d%s", c->inputs[k]);
        sg_tensor grad = *in[k];
        grad.data = in[k]->grad;
        compare(&f, c, dname, &grad);
    }
    sg_graph_free(g);
    sg_safetensors_free(&f);
}

START_TEST(ops_match_pytorch_outputs_and_gradients)
{
    run_golden(&CASES[_i]);
}
END_TEST

static Suite *golden_matmul_attn_suite(void)
{
    Suite *s = suite_create("golden_matmul_attn");
    TCase *tc = tcase_create("ops_match_pytorch_outputs_and_gradients");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, ops_match_pytorch_outputs_and_gradients, 0, (int)(sizeof CASES / sizeof CASES[0]));
    suite_add_tcase(s, tc);
    return s;
}

SG_TEST_MAIN(golden_matmul_attn_suite)

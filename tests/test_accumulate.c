/* tests/test_accumulate.c - every op with inputs that receive gradients ADDS
 * into them: two backward passes without zeroing give exactly twice one pass,
 * and a gradient pre-filled with a known value keeps it (prefill + computed).
 *
 * Gradient accumulation over micro-batches relies on this, and so does every
 * fan-out (residuals, shared weights, Grad-CAM). A single-pass gradient check
 * starts from zero, where `dw = ...` and `dw += ...` agree: only these tests see
 * the difference. Each convolution strategy of layers/conv_kernels.c (im2col,
 * chunked im2col, 1x1 GEMM, depthwise loops, grouped) has its own case, in
 * conv2d and in conv_transpose2d (which runs the same three products with the
 * roles swapped). steelgrad has no embedding op; the gathers it has (slice,
 * concat, pad, nearest upsampling, max pooling's argmax scatter) are here.
 * The check itself is sg_test_expect_accumulates (tests/testaccum.h); each
 * table row below is one op and one geometry. */
#include <math.h>
#include <string.h>

#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/conv.h"
#include "layers/conv_kernels.h"
#include "layers/elementwise.h"
#include "layers/loss.h"
#include "layers/matmul.h"
#include "layers/norm.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "layers/upsample.h"
#include "tests/testaccum.h"

/* An input of the op: shape, and whether it needs a gradient (data: dyadic fill). */
#define IN(grad, ...)                                                                      \
    {                                                                                      \
        .ndim = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),                 \
        .shape = {__VA_ARGS__}, .data = NULL, .needs_grad = (grad)                         \
    }

/* ------------------------------------------------------------ conv2d */

typedef struct {
    const char *name;
    sg_conv2d_opts opt;
    int n;                      /* 2: x, w; 3: x, w, b */
    sg_test_input in[3];
} conv_case;

static sg_tensor *build_conv2d(sg_graph *g, sg_tensor **in, void *ctx)
{
    const conv_case *c = ctx;
    return sg_conv2d(g, in[0], in[1], c->n > 2 ? in[2] : NULL, &c->opt);
}

static const conv_case conv_cases[] = {
    {"conv2d im2col 3x3 pad 1", {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(true, 2, 3, 7, 6), IN(true, 4, 3, 3, 3), IN(true, 4)}},
    {"conv2d im2col stride 2 dilation 2 3x2", {2, 2, 2, 2, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(true, 2, 4, 9, 8), IN(true, 6, 4, 3, 2), IN(true, 6)}},
    {"conv2d im2col Keras SAME stride 2", {2, 2, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_SAME}, 2,
     {IN(true, 1, 3, 8, 7), IN(true, 4, 3, 3, 3)}},
    {"conv2d im2col grouped (3 groups)", {1, 1, 1, 1, 3, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(true, 2, 6, 6, 5), IN(true, 9, 2, 3, 3), IN(true, 9)}},
    {"conv2d 1x1 pointwise GEMM", {1, 1, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(true, 3, 6, 5, 4), IN(true, 5, 6, 1, 1), IN(true, 5)}},
    {"conv2d 1x1 pointwise grouped", {1, 1, 1, 1, 2, 0, 0, 0, 0, SG_CONV_PAD_EXPLICIT}, 2,
     {IN(true, 2, 6, 5, 4), IN(true, 4, 3, 1, 1)}},
    {"conv2d 1x1 stride 2 (im2col)", {2, 2, 1, 1, 1, 0, 0, 0, 0, SG_CONV_PAD_EXPLICIT}, 2,
     {IN(true, 2, 4, 6, 6), IN(true, 3, 4, 1, 1)}},
    {"conv2d depthwise 3x3 stride 2 pad 1", {2, 2, 1, 1, 4, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(true, 2, 4, 7, 7), IN(true, 4, 1, 3, 3), IN(true, 4)}},
    {"conv2d depthwise multiplier 2 stride 1", {1, 1, 1, 1, 3, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 2,
     {IN(true, 3, 3, 6, 5), IN(true, 6, 1, 3, 3)}},
    {"conv2d weight only (frozen input)", {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
     {IN(false, 2, 3, 5, 5), IN(true, 4, 3, 3, 3), IN(true, 4)}},
    {"conv2d input only (frozen weight)", {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 2,
     {IN(true, 2, 3, 5, 5), IN(false, 4, 3, 3, 3)}},
};

START_TEST(conv2d_backward_accumulates_on_every_path)
{
    const conv_case *c = &conv_cases[_i];
    sg_test_expect_accumulates(c->name, build_conv2d, (void *)c, c->n, c->in, true);
}
END_TEST

/* The im2col path cut into several chunks of output columns: the weight
 * gradient is summed chunk by chunk into dw, so a rewrite that starts the
 * first chunk from zero (beta = 0) is caught only with two chunks or more. */
START_TEST(conv2d_chunked_im2col_backward_accumulates)
{
    conv_case c = {"conv2d chunked im2col (256 channels, 2 chunks)",
                   {1, 1, 1, 1, 1, 1, 1, 1, 1, SG_CONV_PAD_EXPLICIT}, 3,
                   {IN(true, 1, 256, 32, 32), IN(true, 8, 256, 3, 3), IN(true, 8)}};
    int64_t K = 256 * 3 * 3, Og = 8, columns = 1 * 32 * 32;
    ck_assert_msg(columns > SG_CONV_SCRATCH_FLOATS / (K + Og),
                  "the case must span more than one chunk: %lld columns, %lld per chunk",
                  (long long)columns, (long long)(SG_CONV_SCRATCH_FLOATS / (K + Og)));
    sg_test_expect_accumulates(c.name, build_conv2d, &c, c.n, c.in, true);
}
END_TEST

/* --------------------------------------------------- conv_transpose2d */

typedef struct {
    const char *name;
    sg_conv_transpose2d_opts opt;
    int n;
    sg_test_input in[3];
} convt_case;

static sg_tensor *build_conv_transpose2d(sg_graph *g, sg_tensor **in, void *ctx)
{
    const convt_case *c = ctx;
    return sg_conv_transpose2d(g, in[0], in[1], c->n > 2 ? in[2] : NULL, &c->opt);
}

static const convt_case convt_cases[] = {
    {"conv_transpose2d stride 2 pad 1 output_padding 1", {2, 2, 1, 1, 1, 1, 1, 1, 1}, 3,
     {IN(true, 2, 4, 5, 5), IN(true, 4, 3, 3, 3), IN(true, 3)}},
    {"conv_transpose2d grouped dilated", {1, 1, 1, 1, 0, 0, 2, 2, 2}, 3,
     {IN(true, 2, 4, 5, 4), IN(true, 4, 2, 3, 3), IN(true, 4)}},
    {"conv_transpose2d 1x1 (pointwise GEMM)", {1, 1, 0, 0, 0, 0, 1, 1, 1}, 2,
     {IN(true, 2, 5, 4, 3), IN(true, 5, 3, 1, 1)}},
    {"conv_transpose2d depthwise", {2, 2, 0, 0, 0, 0, 1, 1, 3}, 3,
     {IN(true, 2, 3, 4, 4), IN(true, 3, 1, 3, 3), IN(true, 3)}},
};

START_TEST(conv_transpose2d_backward_accumulates_on_every_path)
{
    const convt_case *c = &convt_cases[_i];
    sg_test_expect_accumulates(c->name, build_conv_transpose2d, (void *)c, c->n, c->in, true);
}
END_TEST

/* --------------------------------------------------- matmul and linear */

typedef struct {
    const char *name;
    int kind;                   /* 0 linear, 1 matmul, 2 bmm, 3 matmul_t */
    bool ta, tb;
    int n;
    sg_test_input in[3];
} matmul_case;

static sg_tensor *build_matmul(sg_graph *g, sg_tensor **in, void *ctx)
{
    const matmul_case *c = ctx;
    switch (c->kind) {
    case 0: return sg_linear(g, in[0], in[1], c->n > 2 ? in[2] : NULL);
    case 1: return sg_matmul(g, in[0], in[1]);
    case 2: return sg_bmm(g, in[0], in[1]);
    default: return sg_matmul_t(g, in[0], in[1], c->ta, c->tb);
    }
}

static const matmul_case matmul_cases[] = {
    {"linear 2-D with bias", 0, false, false, 3, {IN(true, 3, 5), IN(true, 4, 5), IN(true, 4)}},
    {"linear 3-D without bias", 0, false, false, 2, {IN(true, 2, 3, 5), IN(true, 4, 5)}},
    {"matmul", 1, false, false, 2, {IN(true, 3, 4), IN(true, 4, 5)}},
    {"bmm with a broadcast right operand", 2, false, false, 2, {IN(true, 3, 2, 4), IN(true, 4, 5)}},
    {"bmm batched both", 2, false, false, 2, {IN(true, 2, 3, 4), IN(true, 2, 4, 2)}},
    {"matmul_t a b^T", 3, false, true, 2, {IN(true, 2, 3, 4), IN(true, 2, 5, 4)}},
    {"matmul_t a^T b", 3, true, false, 2, {IN(true, 2, 4, 3), IN(true, 2, 4, 5)}},
};

START_TEST(matmul_and_linear_backward_accumulate)
{
    const matmul_case *c = &matmul_cases[_i];
    sg_test_expect_accumulates(c->name, build_matmul, (void *)c, c->n, c->in, true);
}
END_TEST

/* ------------------------------------------------------------- norms */

typedef struct {
    const char *name;
    int kind;                   /* 0 BN2d train, 1 BN1d train, 2 BN2d eval, 3 LN */
    int n_norm_dims;
    int n;
    sg_test_input in[5];
} norm_case;

static float running_var[4] = {0.5f, 1.25f, 2.0f, 0.75f};

static sg_tensor *build_norm(sg_graph *g, sg_tensor **in, void *ctx)
{
    const norm_case *c = ctx;
    switch (c->kind) {
    case 0: return sg_batchnorm2d(g, in[0], in[1], in[2], NULL, NULL, SG_BN_MOMENTUM, SG_BN_EPS);
    case 1: return sg_batchnorm1d(g, in[0], in[1], in[2], NULL, NULL, SG_BN_MOMENTUM, SG_BN_EPS);
    case 2: return sg_batchnorm2d(g, in[0], in[1], in[2], in[3], in[4], SG_BN_MOMENTUM, SG_BN_EPS);
    default: return sg_layernorm(g, in[0], c->n_norm_dims, c->n > 1 ? in[1] : NULL,
                                 c->n > 2 ? in[2] : NULL, SG_LN_EPS);
    }
}

static const norm_case norm_cases[] = {
    {"batchnorm2d training", 0, 0, 3, {IN(true, 4, 3, 3, 3), IN(true, 3), IN(true, 3)}},
    {"batchnorm1d training [N, C, L]", 1, 0, 3, {IN(true, 5, 4, 3), IN(true, 4), IN(true, 4)}},
    {"batchnorm2d eval (running statistics)", 2, 0, 5,
     {IN(true, 3, 4, 2, 3), IN(true, 4), IN(true, 4), IN(false, 4),
      {.ndim = 1, .shape = {4}, .data = running_var, .needs_grad = false}}},
    {"layernorm over the last dim", 3, 1, 3, {IN(true, 3, 4, 5), IN(true, 5), IN(true, 5)}},
    {"layernorm over the last two dims", 3, 2, 3, {IN(true, 2, 3, 4), IN(true, 3, 4), IN(true, 3, 4)}},
};

START_TEST(norm_backward_accumulates)
{
    const norm_case *c = &norm_cases[_i];
    /* Eval-mode BN reads its running statistics; the others use the batch. */
    sg_test_expect_accumulates(c->name, build_norm, (void *)c, c->n, c->in, c->kind != 2);
}
END_TEST

/* --------------------------------------------------------- attention */

typedef struct {
    const char *name;
    int kind;                   /* 0 SDPA, 1 SDPA causal, 2 multi-head attention */
    int n;
    sg_test_input in[6];
} attention_case;

static sg_tensor *build_attention(sg_graph *g, sg_tensor **in, void *ctx)
{
    const attention_case *c = ctx;
    if (c->kind == 2)
        return sg_multihead_attention(g, in[0], in[1], in[2], in[3], in[4], in[5], 2, NULL, false,
                                      NULL);
    return sg_scaled_dot_product_attention(g, in[0], in[1], in[2], c->n > 3 ? in[3] : NULL,
                                           c->kind == 1, 0.0f);
}

static const attention_case attention_cases[] = {
    {"sdpa q k v", 0, 3, {IN(true, 2, 3, 4), IN(true, 2, 5, 4), IN(true, 2, 5, 6)}},
    {"sdpa causal", 1, 3, {IN(true, 2, 4, 4), IN(true, 2, 4, 4), IN(true, 2, 4, 3)}},
    {"sdpa with a full-size mask that needs a gradient", 0, 4,
     {IN(true, 2, 3, 4), IN(true, 2, 5, 4), IN(true, 2, 5, 6), IN(true, 2, 3, 5)}},
    /* x_kv feeds both the key and the value projection: its gradient is a
     * fan-out of two terms added one after the other, exact only up to the
     * rounding of that order, so only x_q and the weights are checked here. */
    {"multi-head attention (2 heads)", 2, 6,
     {IN(true, 2, 3, 8), IN(false, 2, 4, 8), IN(true, 24, 8), IN(true, 24), IN(true, 8, 8),
      IN(true, 8)}},
};

START_TEST(attention_backward_accumulates)
{
    const attention_case *c = &attention_cases[_i];
    sg_test_expect_accumulates(c->name, build_attention, (void *)c, c->n, c->in, true);
}
END_TEST

/* ---------------------------------- pooling, gathers and the rest */

typedef struct {
    const char *name;
    int kind;
    int n;
    sg_test_input in[2];
} misc_case;

static sg_tensor *build_misc(sg_graph *g, sg_tensor **in, void *ctx)
{
    const misc_case *c = ctx;
    sg_pool2d_opts p = sg_pool2d_opts_make(3, 2, 1);
    /* Average pooling adds dy / count into each pixel once per window that
     * holds it: counts of 1, 2 and 4 keep those terms exact (dyadic), so even
     * overlapping windows sum to the same bits in any order. */
    sg_pool2d_opts avg_overlapping = sg_pool2d_opts_make(2, 1, 1);
    avg_overlapping.count_include_pad = false;
    sg_pool2d_opts avg_ceil = sg_pool2d_opts_make(2, 2, 0);
    avg_ceil.ceil_mode = true;
    avg_ceil.count_include_pad = false;
    switch (c->kind) {
    case 0: return sg_max_pool2d(g, in[0], &p);
    case 1: return sg_avg_pool2d(g, in[0], &avg_ceil);
    case 12: return sg_avg_pool2d(g, in[0], &avg_overlapping);
    case 2: return sg_adaptive_avg_pool2d(g, in[0], 2, 2);   /* 7 x 4: rows [0, 4), [3, 7) */
    case 3: return sg_global_avg_pool2d(g, in[0]);
    case 4: return sg_slice(g, in[0], 1, 1, 5, 2);
    case 5: return sg_upsample_nearest2d(g, in[0], 7, 5);
    case 6: {
        const int64_t pads[4] = {2, 1, 1, 2};
        return sg_pad(g, in[0], 4, pads, SG_PAD_REFLECT, 0.0f);
    }
    case 7: return sg_concat(g, 2, in, 1);
    case 8: return sg_mul(g, in[0], in[1]);     /* in[1] broadcasts: its gradient is a sum */
    case 9: return sg_gelu(g, in[0]);
    case 10: return sg_softmax(g, in[0], -1);
    case 13: return sg_relu(g, in[0]);
    case 14: return sg_leaky_relu(g, in[0], 0.125f);
    case 15: return sg_sigmoid(g, in[0]);
    case 16: return sg_tanh(g, in[0]);
    case 17: return sg_log_softmax(g, in[0], -1);
    default: {
        static const int32_t targets[3] = {1, 0, 4};
        sg_ce_opts o = SG_CE_DEFAULTS;
        return sg_cross_entropy(g, in[0], targets, &o);
    }
    }
}

static const misc_case misc_cases[] = {
    {"max_pool2d 3x3 stride 2 pad 1", 0, 1, {IN(true, 2, 3, 7, 6)}},
    {"avg_pool2d 2x2 stride 2 ceil_mode (partial windows)", 1, 1, {IN(true, 2, 3, 7, 5)}},
    {"avg_pool2d 2x2 stride 1 pad 1 overlapping, padding excluded", 12, 1, {IN(true, 2, 3, 5, 4)}},
    {"adaptive_avg_pool2d with overlapping bins", 2, 1, {IN(true, 2, 3, 7, 4)}},
    {"global_avg_pool2d", 3, 1, {IN(true, 2, 3, 4, 5)}},
    {"slice with step 2", 4, 1, {IN(true, 2, 6, 3)}},
    {"upsample_nearest2d", 5, 1, {IN(true, 1, 2, 3, 4)}},
    {"pad reflect", 6, 1, {IN(true, 1, 2, 4, 5)}},
    {"concat", 7, 2, {IN(true, 2, 3, 4), IN(true, 2, 2, 4)}},
    {"mul with broadcasting", 8, 2, {IN(true, 2, 3, 4), IN(true, 3, 1)}},
    {"gelu", 9, 1, {IN(true, 3, 7)}},
    {"softmax", 10, 1, {IN(true, 3, 7)}},
    {"relu", 13, 1, {IN(true, 3, 7)}},
    {"leaky_relu", 14, 1, {IN(true, 3, 7)}},
    {"sigmoid", 15, 1, {IN(true, 3, 7)}},
    {"tanh", 16, 1, {IN(true, 3, 7)}},
    {"log_softmax", 17, 1, {IN(true, 3, 7)}},
    {"cross_entropy", 11, 1, {IN(true, 3, 5)}},
};

START_TEST(pooling_gathers_and_elementwise_backward_accumulate)
{
    const misc_case *c = &misc_cases[_i];
    sg_test_expect_accumulates(c->name, build_misc, (void *)c, c->n, c->in, true);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void add_loop(Suite *s, const char *name, const TTest *fn, int n, int timeout)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, timeout);
    tcase_add_loop_test(tc, fn, 0, n);
    suite_add_tcase(s, tc);
}

static Suite *accumulate_suite(void)
{
    Suite *s = suite_create("accumulate");
    add_loop(s, "conv2d_backward_accumulates_on_every_path",
             conv2d_backward_accumulates_on_every_path, COUNT(conv_cases), 30);
    SG_ADD_TEST(s, conv2d_chunked_im2col_backward_accumulates, 60);
    add_loop(s, "conv_transpose2d_backward_accumulates_on_every_path",
             conv_transpose2d_backward_accumulates_on_every_path, COUNT(convt_cases), 30);
    add_loop(s, "matmul_and_linear_backward_accumulate", matmul_and_linear_backward_accumulate,
             COUNT(matmul_cases), 30);
    add_loop(s, "norm_backward_accumulates", norm_backward_accumulates, COUNT(norm_cases), 30);
    add_loop(s, "attention_backward_accumulates", attention_backward_accumulates,
             COUNT(attention_cases), 30);
    add_loop(s, "pooling_gathers_and_elementwise_backward_accumulate",
             pooling_gathers_and_elementwise_backward_accumulate, COUNT(misc_cases), 30);
    return s;
}

SG_TEST_MAIN(accumulate_suite)

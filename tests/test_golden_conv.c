/* tests/test_golden_conv.c - conv2d, conv_transpose2d, pooling and upsampling
 * against PyTorch 1.13 (files written by tests/golden/gen_conv.py).
 *
 * Each file holds x (and w, b), the upstream gradient dy, torch's output y and
 * the gradients dx (dw, db) of sum(y * dy); the options are in the metadata.
 * We run the same op, backward from dy, and compare everything at 1e-4
 * relative / 1e-5 absolute, printing the largest differences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"
#include "layers/conv.h"
#include "layers/pool.h"
#include "layers/upsample.h"
#include "tests/testutil.h"

#define ATOL 1e-5
#define RTOL 1e-4

static const char *const cases[] = {
    "plain", "stride2_pad1", "dilation2", "groups2", "depthwise", "depthwise_mult2_stride2",
    "pointwise", "same_s2_even", "same_s2_odd", "same_s2_k4", "depthwise_same_s2",
    "transpose_s2_op1", "transpose_groups2", "transpose_dil2",
    "maxpool_k3s2p1", "maxpool_k2s2", "maxpool_ceil", "maxpool_ceil_pad", "maxpool_dil2",
    "avgpool_k3s2p1", "avgpool_k3s2p1_nopad", "avgpool_ceil", "avgpool_ceil_nopad",
    "avgpool_k2s2", "adaptive_7to3", "adaptive_5x7to3x4", "adaptive_3x5to4x2", "global",
    "nearest_2x", "nearest_odd", "nearest_down", "nearest_scale", "bilinear_odd",
    "bilinear_odd_ac", "bilinear_2x", "bilinear_down", "bilinear_down_ac", "bilinear_scale",
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int meta_int(const sg_safetensors *f, const char *key, int def)
{
    const char *v = sg_safetensors_meta(f, key);
    return v ? atoi(v) : def;
}

static double meta_double(const sg_safetensors *f, const char *key)
{
    const char *v = sg_safetensors_meta(f, key);
    return v ? strtod(v, NULL) : 0.0;
}

/* A leaf tensor holding a copy of a file tensor, or NULL if absent. */
static sg_tensor *leaf(sg_graph *g, const sg_safetensors *f, const char *name)
{
    const sg_st_tensor *t = sg_safetensors_find(f, name);
    if (!t) return NULL;
    sg_tensor *x = sg_graph_tensor_from(g, t->ndim, t->shape, t->data);
    ck_assert_ptr_nonnull(x);
    x->requires_grad = true;
    return x;
}

static const sg_st_tensor *need(const sg_safetensors *f, const char *name, const char *file)
{
    const sg_st_tensor *t = sg_safetensors_find(f, name);
    ck_assert_msg(t != NULL, "%s: no tensor '%s'", file, name);
    return t;
}

/* The op named in the metadata, with its options. */
static sg_tensor *run_op(sg_graph *g, const sg_safetensors *f, const char *op, sg_tensor *x,
                         sg_tensor *w, sg_tensor *b)
{
    if (!strcmp(op, "conv2d")) {
        sg_conv2d_opts o = sg_conv2d_opts_make(meta_int(f, "stride", 1), 0,
                                               meta_int(f, "dilation", 1), meta_int(f, "groups", 1));
        if (!strcmp(sg_safetensors_meta(f, "padding"), "same")) {
            o.padding = SG_CONV_PAD_SAME;   /* our own SAME rule must find the same pads */
        } else {
            o.pad_top = meta_int(f, "pad_top", 0), o.pad_bottom = meta_int(f, "pad_bottom", 0);
            o.pad_left = meta_int(f, "pad_left", 0), o.pad_right = meta_int(f, "pad_right", 0);
        }
        return sg_conv2d(g, x, w, b, &o);
    }
    if (!strcmp(op, "conv_transpose2d")) {
        sg_conv_transpose2d_opts o = sg_conv_transpose2d_opts_make(
            meta_int(f, "stride", 1), meta_int(f, "padding", 0), meta_int(f, "output_padding", 0),
            meta_int(f, "dilation", 1), meta_int(f, "groups", 1));
        return sg_conv_transpose2d(g, x, w, b, &o);
    }
    if (!strcmp(op, "max_pool2d") || !strcmp(op, "avg_pool2d")) {
        sg_pool2d_opts o = sg_pool2d_opts_make(meta_int(f, "kernel", 1), meta_int(f, "stride", 0),
                                               meta_int(f, "padding", 0));
        o.dil_h = o.dil_w = meta_int(f, "dilation", 1);
        o.ceil_mode = meta_int(f, "ceil_mode", 0);
        o.count_include_pad = meta_int(f, "count_include_pad", 1);
        return op[0] == 'm' ? sg_max_pool2d(g, x, &o) : sg_avg_pool2d(g, x, &o);
    }
    if (!strcmp(op, "adaptive_avg_pool2d"))
        return sg_adaptive_avg_pool2d(g, x, meta_int(f, "out_h", 0), meta_int(f, "out_w", 0));
    if (!strcmp(op, "global_avg_pool2d")) return sg_global_avg_pool2d(g, x);
    bool bilinear = !strcmp(op, "upsample_bilinear2d");
    if (bilinear || !strcmp(op, "upsample_nearest2d")) {
        bool ac = meta_int(f, "align_corners", 0);
        if (sg_safetensors_meta(f, "scale_h")) {
            double sh = meta_double(f, "scale_h"), sw = meta_double(f, "scale_w");
            return bilinear ? sg_upsample_bilinear2d_scale(g, x, sh, sw, ac)
                            : sg_upsample_nearest2d_scale(g, x, sh, sw);
        }
        int oh = meta_int(f, "out_h", 0), ow = meta_int(f, "out_w", 0);
        return bilinear ? sg_upsample_bilinear2d(g, x, oh, ow, ac)
                        : sg_upsample_nearest2d(g, x, oh, ow);
    }
    ck_abort_msg("unknown op '%s' in golden file", op);
    return NULL;
}

static void check_case(const char *name)
{
    char path[512], what[160];
    snprintf(path, sizeof path, "%s/conv_%s.safetensors", sg_test_golden_dir(), name);
    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(path, &f) == SG_OK, "%s: %s", path, sg_error_message());
    const char *op = sg_safetensors_meta(&f, "op");
    ck_assert_msg(op != NULL, "%s: no 'op' in metadata", path);

    sg_graph *g = sg_graph_new();
    sg_tensor *x = leaf(g, &f, "x"), *w = leaf(g, &f, "w"), *b = leaf(g, &f, "b");
    sg_tensor *y = run_op(g, &f, op, x, w, b);
    ck_assert_msg(y != NULL, "%s: %s", name, sg_graph_error_message(g));

    const sg_st_tensor *ty = need(&f, "y", path), *tdy = need(&f, "dy", path);
    ck_assert_int_eq(y->ndim, ty->ndim);
    for (int d = 0; d < ty->ndim; d++) ck_assert_int_eq(y->shape[d], ty->shape[d]);
    snprintf(what, sizeof what, "%s %s forward", name, op);
    SG_ASSERT_CLOSE(what, ty->data, y->data, ty->numel, ATOL, RTOL);

    ck_assert_int_eq(sg_graph_backward_from(g, y, tdy->data), SG_OK);
    struct { sg_tensor *t; const char *grad; } grads[] = {{x, "dx"}, {w, "dw"}, {b, "db"}};
    for (int i = 0; i < 3; i++) {
        if (!grads[i].t) continue;
        const sg_st_tensor *ref = need(&f, grads[i].grad, path);
        ck_assert_int_eq(ref->numel, grads[i].t->numel);
        snprintf(what, sizeof what, "%s %s %s", name, op, grads[i].grad);
        SG_ASSERT_CLOSE(what, ref->data, grads[i].t->grad, ref->numel, ATOL, RTOL);
    }
    sg_graph_free(g);
    sg_safetensors_free(&f);
}

START_TEST(golden_conv_pool_upsample_match_pytorch)
{
    check_case(cases[_i]);
}
END_TEST

static Suite *golden_conv_suite(void)
{
    Suite *s = suite_create("golden_conv");
    TCase *tc = tcase_create("golden_conv_pool_upsample_match_pytorch");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, golden_conv_pool_upsample_match_pytorch, 0, N_CASES);
    suite_add_tcase(s, tc);
    return s;
}

SG_TEST_MAIN(golden_conv_suite)

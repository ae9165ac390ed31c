/* layers/conv_transpose.c - conv_transpose2d, the adjoint of conv2d.
 *
 * A transposed convolution from x [N, C, H, W] to y [N, O, OH, OW] with
 * weight w [C, O/groups, KH, KW] is exactly the backward-data map of the
 * ordinary convolution that goes the other way, from [N, O, OH, OW] to
 * [N, C, H, W] with the same w read as [C, O/groups, KH, KW]:
 *   y[n, o, i*s - p + kh*d, j*s - p + kw*d] += x[n, c, i, j] * w[c, o', kh, kw]
 * for every input pixel (i, j) and tap (kh, kw), dropping targets outside y.
 * So, with "conv" that reverse convolution (sg_conv_geom below):
 *   forward:       y      = b + conv^T(x)             (GEMM + col2im)
 *   dL/dx          = conv(dy)                          (im2col + GEMM: a conv2d forward)
 *   dL/dw[c,o',kh,kw] = sum dy[n, o, i*s - p + kh*d, ...] * x[n, c, i, j]
 *                   (the weight gradient of conv with input dy and output grad x)
 *   dL/db[o]       = sum_{n, i, j} dy[n, o, i, j]
 * Output size (torch.nn.ConvTranspose2d):
 *   OH = (H - 1)*stride - 2*pad + dil*(KH - 1) + output_padding + 1;
 * output_padding only adds rows/columns at the bottom/right (they receive
 * contributions only through the dilated taps that reach them, plus the bias). */
#include <stdio.h>
#include <string.h>

#include "layers/conv.h"
#include "layers/conv_kernels.h"

sg_conv_transpose2d_opts sg_conv_transpose2d_opts_make(int stride, int padding,
                                                       int output_padding, int dilation,
                                                       int groups)
{
    sg_conv_transpose2d_opts o = {stride, stride, padding, padding, output_padding,
                                  output_padding, dilation, dilation, groups};
    return o;
}

static int64_t or_one(int v) { return v == 0 ? 1 : v; }

static void conv_transpose2d_backward(sg_graph *g, sg_node *node)
{
    const sg_conv_geom *G = node->ctx;   /* the reverse conv: input = y, output = x */
    float *dx = sg_node_grad(g, node, 0);
    float *dw = sg_node_grad(g, node, 1);
    float *db = node->n_in > 2 ? sg_node_grad(g, node, 2) : NULL;
    if (sg_graph_error(g)) return;
    const float *dy = node->out->grad;
    sg_arena *arena = sg_graph_arena(g);
    sg_err err = SG_OK;
    if (db) sg_conv_channel_sum_raw(G->N, G->C, G->H * G->W, dy, db);
    if (dw) err = sg_conv_backward_weight_raw(arena, G, dy, node->in[0]->data, dw);
    if (dx && !err) err = sg_conv_forward_raw(arena, G, dy, node->in[1]->data, NULL, dx, true);
    if (err) sg_graph_fail(g, err, "conv_transpose2d backward: out of memory for im2col scratch");
}

sg_tensor *sg_conv_transpose2d(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b,
                               const sg_conv_transpose2d_opts *opt)
{
    sg_tensor *in[3] = {x, w, b};
    if (!sg_graph_inputs_ok(g, "conv_transpose2d", 2, in)) return NULL;
    char xs[96], ws[96], bs[96];
    sg_shape_str(x, xs, sizeof xs);
    sg_shape_str(w, ws, sizeof ws);
    if (x->ndim != 4 || w->ndim != 4) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv_transpose2d: input %s and weight %s must both be 4-D "
                      "(x [N, C, H, W], w [C, O/groups, KH, KW])", xs, ws);
        return NULL;
    }
    sg_conv_transpose2d_opts o = opt ? *opt : (sg_conv_transpose2d_opts){0};
    const int64_t sh = or_one(o.stride_h), sw = or_one(o.stride_w);
    const int64_t dh = or_one(o.dil_h), dw = or_one(o.dil_w), groups = or_one(o.groups);
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || groups < 1 || o.pad_h < 0 || o.pad_w < 0 ||
        o.out_pad_h < 0 || o.out_pad_w < 0) {
        sg_graph_fail(g, SG_ERR_INVALID,
                      "conv_transpose2d: stride (%d, %d), dilation (%d, %d), groups %d "
                      "must be >= 1 and padding (%d, %d), output_padding (%d, %d) >= 0",
                      o.stride_h, o.stride_w, o.dil_h, o.dil_w, o.groups, o.pad_h,
                      o.pad_w, o.out_pad_h, o.out_pad_w);
        return NULL;
    }
    if ((o.out_pad_h >= sh && o.out_pad_h >= dh) || (o.out_pad_w >= sw && o.out_pad_w >= dw)) {
        sg_graph_fail(g, SG_ERR_INVALID,
                      "conv_transpose2d: output_padding (%d, %d) must be smaller than "
                      "either stride (%lld, %lld) or dilation (%lld, %lld)",
                      o.out_pad_h, o.out_pad_w, (long long)sh, (long long)sw,
                      (long long)dh, (long long)dw);
        return NULL;
    }
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    if (w->shape[0] != C) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv_transpose2d: input %s has %lld channels but weight %s has "
                      "%lld in dim 0 (layout [C_in, C_out/groups, KH, KW])", xs,
                      (long long)C, ws, (long long)w->shape[0]);
        return NULL;
    }
    if (C % groups) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv_transpose2d: groups %lld must divide the channels of input %s",
                      (long long)groups, xs);
        return NULL;
    }
    const int64_t O = w->shape[1] * groups, KH = w->shape[2], KW = w->shape[3];
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv_transpose2d: bias %s should be [%lld] for weight %s and "
                      "groups %lld", sg_shape_str(b, bs, sizeof bs), (long long)O, ws,
                      (long long)groups);
        return NULL;
    }
    const int64_t OH = (H - 1) * sh - 2 * o.pad_h + dh * (KH - 1) + o.out_pad_h + 1;
    const int64_t OW = (W - 1) * sw - 2 * o.pad_w + dw * (KW - 1) + o.out_pad_w + 1;
    if (OH < 1 || OW < 1 || KH < 1 || KW < 1 || O < 1) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv_transpose2d: input %s, weight %s, stride (%lld, %lld), "
                      "padding (%d, %d) give an empty output %lld x %lld", xs, ws,
                      (long long)sh, (long long)sw, o.pad_h, o.pad_w, (long long)OH,
                      (long long)OW);
        return NULL;
    }

    /* The reverse convolution: from y's shape to x's shape. */
    sg_conv_geom G = {
        .N = N, .C = O, .H = OH, .W = OW, .O = C, .OH = H, .OW = W, .KH = KH, .KW = KW,
        .stride_h = sh, .stride_w = sw, .dil_h = dh, .dil_w = dw,
        .pad_top = o.pad_h, .pad_left = o.pad_w, .groups = groups,
    };
    const int64_t shape[4] = {N, O, OH, OW};
    sg_tensor *y = sg_graph_tensor(g, 4, shape);
    if (!y) return NULL;
    for (int64_t n = 0; n < N && !sg_graph_dry(g); n++)
        for (int64_t c = 0; c < O; c++) {
            float *p = y->data + (n * O + c) * OH * OW, v = b ? b->data[c] : 0.0f;
            for (int64_t i = 0; i < OH * OW; i++) p[i] = v;
        }
    if (!sg_graph_dry(g) &&
        sg_conv_backward_data_raw(sg_graph_arena(g), &G, x->data, w->data, y->data) != SG_OK) {
        sg_graph_fail(g, SG_ERR_NOMEM,
                      "conv_transpose2d: out of memory for col2im scratch");
        return NULL;
    }
    sg_node *node = sg_graph_record(g, "conv_transpose2d", y, b ? 3 : 2, in,
                                    conv_transpose2d_backward, sizeof G);
    if (node) memcpy(node->ctx, &G, sizeof G);
    return sg_graph_error(g) ? NULL : y;
}

/* layers/conv.c - conv2d: options, shape rules, forward and backward.
 *
 * The arithmetic (im2col + GEMM, the depthwise and 1x1 shortcuts) lives in
 * layers/conv_kernels.c; this file decides the geometry and wires the op
 * into the tape. The transposed convolution is in layers/conv_transpose.c. */
#include "layers/conv.h"

#include <stdio.h>
#include <string.h>

#include "layers/conv_kernels.h"

sg_conv2d_opts sg_conv2d_opts_make(int stride, int padding, int dilation, int groups)
{
    sg_conv2d_opts o = {stride, stride, dilation, dilation, groups,
                        padding, padding, padding, padding, SG_CONV_PAD_EXPLICIT};
    return o;
}

sg_conv2d_opts sg_conv2d_opts_same(int stride, int dilation, int groups)
{
    sg_conv2d_opts o = sg_conv2d_opts_make(stride, 0, dilation, groups);
    o.padding = SG_CONV_PAD_SAME;
    return o;
}

/* The options with defaults filled in and SAME padding resolved. */
typedef struct {
    int64_t sh, sw, dh, dw, groups, pt, pb, pl, pr;
} conv_resolved;

static int64_t or_one(int v) { return v == 0 ? 1 : v; }

/* Keras "SAME" along one axis: out = ceil(in / s); the total padding needed
 * for the last window to fit, split with the extra one after (bottom/right). */
static void same_padding(int64_t in, int64_t k, int64_t s, int64_t d, int64_t *before,
                         int64_t *after)
{
    int64_t out = (in + s - 1) / s;
    int64_t total = (out - 1) * s + (k - 1) * d + 1 - in;
    if (total < 0) total = 0;
    *before = total / 2;
    *after = total - *before;
}

/* Fill r from opt; false with a message in why[] if an option is invalid. */
static bool resolve_opts(const sg_conv2d_opts *opt, int64_t H, int64_t W, int64_t KH,
                         int64_t KW, conv_resolved *r, char *why, size_t why_size)
{
    sg_conv2d_opts o = opt ? *opt : (sg_conv2d_opts){0};
    r->sh = or_one(o.stride_h), r->sw = or_one(o.stride_w);
    r->dh = or_one(o.dil_h), r->dw = or_one(o.dil_w);
    r->groups = or_one(o.groups);
    if (r->sh < 1 || r->sw < 1 || r->dh < 1 || r->dw < 1 || r->groups < 1) {
        snprintf(why, why_size, "stride (%d, %d), dilation (%d, %d) and groups %d must be >= 1",
                 o.stride_h, o.stride_w, o.dil_h, o.dil_w, o.groups);
        return false;
    }
    if (o.padding == SG_CONV_PAD_SAME) {
        same_padding(H, KH, r->sh, r->dh, &r->pt, &r->pb);
        same_padding(W, KW, r->sw, r->dw, &r->pl, &r->pr);
    } else if (o.padding == SG_CONV_PAD_EXPLICIT) {
        if (o.pad_top < 0 || o.pad_bottom < 0 || o.pad_left < 0 || o.pad_right < 0) {
            snprintf(why, why_size, "padding (top %d, bottom %d, left %d, right %d) must be >= 0",
                     o.pad_top, o.pad_bottom, o.pad_left, o.pad_right);
            return false;
        }
        r->pt = o.pad_top, r->pb = o.pad_bottom, r->pl = o.pad_left, r->pr = o.pad_right;
    } else {
        snprintf(why, why_size, "unknown padding mode %d", (int)o.padding);
        return false;
    }
    return true;
}

/* Output extent along one axis; <= 0 when the dilated kernel does not fit. */
static int64_t conv_out(int64_t in, int64_t pad, int64_t k, int64_t s, int64_t d)
{
    int64_t span = in + pad - d * (k - 1) - 1;
    return span < 0 ? 0 : span / s + 1;
}

bool sg_conv2d_out_size(int64_t H, int64_t W, int64_t KH, int64_t KW, const sg_conv2d_opts *opt,
                        int64_t *OH, int64_t *OW)
{
    conv_resolved r;
    char why[160];
    if (H < 1 || W < 1 || KH < 1 || KW < 1 || !resolve_opts(opt, H, W, KH, KW, &r, why, sizeof why))
        return false;
    *OH = conv_out(H, r.pt + r.pb, KH, r.sh, r.dh);
    *OW = conv_out(W, r.pl + r.pr, KW, r.sw, r.dw);
    return *OH > 0 && *OW > 0;
}

/* Forward: y = conv(x, w) + b (see layers/conv.h for the formula).
 * Backward, term by term, with dy = dL/dy:
 *   dL/db[o]          = sum_{n, i, j} dy[n, o, i, j]
 *   dL/dw[o, c, kh, kw] = sum_{n, i, j} dy[n, o, i, j] * xpad[n, c', i*sh + kh*dh, j*sw + kw*dw]
 *                       (= dY * col^T per group, summed over images 0, 1, 2, ... in order)
 *   dL/dx             = the adjoint of the forward map applied to dy
 *                       (= col2im(w^T * dY): every x pixel collects w * dy from each
 *                        window that read it; padding positions are dropped). */
static void conv2d_backward(sg_graph *g, sg_node *node)
{
    const sg_conv_geom *G = node->ctx;
    float *dx = sg_node_grad(g, node, 0);
    float *dw = sg_node_grad(g, node, 1);
    float *db = node->n_in > 2 ? sg_node_grad(g, node, 2) : NULL;
    if (sg_graph_error(g)) return;
    const float *dy = node->out->grad;
    sg_arena *arena = sg_graph_arena(g);
    sg_err err = SG_OK;
    if (db) sg_conv_channel_sum_raw(G->N, G->O, G->OH * G->OW, dy, db);
    if (dw) err = sg_conv_backward_weight_raw(arena, G, node->in[0]->data, dy, dw);
    if (dx && !err) err = sg_conv_backward_data_raw(arena, G, dy, node->in[1]->data, dx);
    if (err) sg_graph_fail(g, err, "conv2d backward: out of memory for im2col scratch");
}

sg_tensor *sg_conv2d(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b,
                     const sg_conv2d_opts *opt)
{
    sg_tensor *in[3] = {x, w, b};
    if (!sg_graph_inputs_ok(g, "conv2d", 2, in)) return NULL;
    char xs[96], ws[96], bs[96], why[160];
    sg_shape_str(x, xs, sizeof xs);
    sg_shape_str(w, ws, sizeof ws);
    if (x->ndim != 4 || w->ndim != 4) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv2d: input %s and weight %s must both be 4-D "
                      "(x [N, C, H, W], w [O, C/groups, KH, KW])", xs, ws);
        return NULL;
    }
    conv_resolved r;
    if (!resolve_opts(opt, x->shape[2], x->shape[3], w->shape[2], w->shape[3], &r, why,
                      sizeof why)) {
        sg_graph_fail(g, SG_ERR_INVALID, "conv2d: %s", why);
        return NULL;
    }
    const int64_t N = x->shape[0], C = x->shape[1], O = w->shape[0];
    if (C % r.groups || O % r.groups) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv2d: groups %lld must divide the input channels of %s and the "
                      "output channels of weight %s", (long long)r.groups, xs, ws);
        return NULL;
    }
    if (w->shape[1] != C / r.groups) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv2d: input %s has %lld channels, so weight %s should have "
                      "%lld (= C / groups %lld) in dim 1", xs, (long long)C, ws,
                      (long long)(C / r.groups), (long long)r.groups);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != O)) {
        sg_graph_fail(g, SG_ERR_SHAPE, "conv2d: bias %s should be [%lld] for weight %s",
                      sg_shape_str(b, bs, sizeof bs), (long long)O, ws);
        return NULL;
    }
    sg_conv_geom G = {
        .N = N, .C = C, .H = x->shape[2], .W = x->shape[3], .O = O,
        .KH = w->shape[2], .KW = w->shape[3],
        .stride_h = r.sh, .stride_w = r.sw, .dil_h = r.dh, .dil_w = r.dw,
        .pad_top = r.pt, .pad_left = r.pl, .groups = r.groups,
    };
    G.OH = conv_out(G.H, r.pt + r.pb, G.KH, r.sh, r.dh);
    G.OW = conv_out(G.W, r.pl + r.pr, G.KW, r.sw, r.dw);
    if (G.OH < 1 || G.OW < 1 || G.KH < 1 || G.KW < 1) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "conv2d: kernel of weight %s (dilation %lld x %lld) does not fit "
                      "input %s padded by (%lld, %lld, %lld, %lld): empty output", ws,
                      (long long)r.dh, (long long)r.dw, xs, (long long)r.pt,
                      (long long)r.pb, (long long)r.pl, (long long)r.pr);
        return NULL;
    }

    const int64_t shape[4] = {N, O, G.OH, G.OW};
    sg_tensor *y = sg_graph_tensor(g, 4, shape);
    if (!y) return NULL;
    if (!sg_graph_dry(g) && sg_conv_forward_raw(sg_graph_arena(g), &G, x->data, w->data,
                                                b ? b->data : NULL, y->data, false) != SG_OK) {
        sg_graph_fail(g, SG_ERR_NOMEM, "conv2d: out of memory for im2col scratch");
        return NULL;
    }
    sg_node *node = sg_graph_record(g, "conv2d", y, b ? 3 : 2, in, conv2d_backward, sizeof G);
    if (node) memcpy(node->ctx, &G, sizeof G);
    return sg_graph_error(g) ? NULL : y;
}

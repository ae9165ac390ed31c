/* layers/upsample.c - nearest and bilinear resizing, forward and backward.
 *
 * Both ops are separable: a row table (source rows and weights for every
 * output row) and a column table are computed once per call, in float with
 * PyTorch's exact expressions (the index arithmetic decides which pixel is
 * read, so "almost the same" formula would pick different pixels at some
 * sizes). The work is then parallel over (n, c) planes; each gradient plane
 * is written by one thread in a fixed order. */
#include "layers/upsample.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"

enum { PARALLEL_GRAIN_WORK = 1 << 15 };

typedef struct {
    int64_t N, C, H, W, OH, OW;
    /* Output row i reads rows h0[i] (weight lh0[i]) and h1[i] (weight lh1[i]);
     * nearest uses h0 only. Likewise for columns. Arena memory. */
    int64_t *h0, *h1, *w0, *w1;
    float *lh0, *lh1, *lw0, *lw1;
} resize_plan;

typedef struct {
    const resize_plan *R;
    const float *x, *dy;
    float *y, *dx;
} resize_job;

static int64_t plane_grain(const resize_plan *R)
{
    int64_t work = R->OH * R->OW + 1;
    return PARALLEL_GRAIN_WORK / work > 0 ? PARALLEL_GRAIN_WORK / work : 1;
}

/* PyTorch's compute_scales_value: the user's scale factor, inverted, when
 * given (> 0); otherwise in/out, both as float. */
static float scale_value(double scale_factor, int64_t in, int64_t out)
{
    return scale_factor > 0.0 ? (float)(1.0 / scale_factor) : (float)in / (float)out;
}

/* ---------------------------------------------------------------------------
 * Nearest (PyTorch mode='nearest'):
 *   y[n, c, i, j] = x[n, c, src(i, H, OH), src(j, W, OW)],
 *   src(d, in, out) = min(floor(d * scale), in - 1), scale = in/out (or 1/scale_factor),
 * with PyTorch's two exact shortcuts (out == in: src = d; out == 2*in: src = d/2).
 *   dL/dx[n, c, h, w] = sum of dy over the outputs that copied (h, w).
 * https://pytorch.org/docs/stable/generated/torch.nn.functional.interpolate.html
 * ------------------------------------------------------------------------- */

static int64_t nearest_src(int64_t d, int64_t in, int64_t out, double scale_factor)
{
    if (out == in) return d;
    if (out == 2 * in) return d >> 1;
    float scale = scale_value(scale_factor, in, out);
    int64_t s = (int64_t)floorf((float)d * scale);
    return s < in - 1 ? s : in - 1;
}

/* ---------------------------------------------------------------------------
 * Bilinear (PyTorch mode='bilinear'):
 *   real(d) = align_corners ? d * (in-1)/(out-1)              (0 if out == 1)
 *                           : max((d + 0.5) * scale - 0.5, 0)  (scale = in/out or 1/scale_factor)
 *   i0 = floor(real), i1 = min(i0 + 1, in - 1), l1 = real - i0, l0 = 1 - l1
 *   y[i, j] = lh0 * (lw0 * x[h0, w0] + lw1 * x[h0, w1]) + lh1 * (lw0 * x[h1, w0] + lw1 * x[h1, w1])
 * The clamp at 0 makes the first half-pixel copy the border (no reflection).
 * Backward spreads dy back with the same four weights:
 *   dx[h0, w0] += lh0*lw0*dy, dx[h0, w1] += lh0*lw1*dy, dx[h1, w0] += lh1*lw0*dy, dx[h1, w1] += lh1*lw1*dy.
 * ------------------------------------------------------------------------- */

static void linear_table(int64_t in, int64_t out, bool align_corners, double scale_factor,
                         int64_t *i0, int64_t *i1, float *l0, float *l1)
{
    float scale = align_corners ? (out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f)
                                : scale_value(scale_factor, in, out);
    for (int64_t d = 0; d < out; d++) {
        float real;
        if (align_corners) {
            real = scale * (float)d;
        } else {
            /* PyTorch evaluates scale * (d + 0.5) - 0.5 in double, then rounds. */
            real = (float)((double)scale * ((double)d + 0.5) - 0.5);
            if (real < 0.0f) real = 0.0f;
        }
        int64_t a = (int64_t)real;
        if (a > in - 1) a = in - 1;
        float lambda = real - (float)a;
        lambda = lambda < 0.0f ? 0.0f : lambda > 1.0f ? 1.0f : lambda;
        i0[d] = a;
        i1[d] = a + (a < in - 1 ? 1 : 0);
        l1[d] = lambda;
        l0[d] = 1.0f - lambda;
    }
}

/* ---------------------------------------------------------------------------
 * The planes through the table's resize kernels (core/kernels/resize_scalar.c
 * states the order; a range of planes per thread, each gradient plane added
 * by one thread).
 * ------------------------------------------------------------------------- */

static sg_resize_geom plan_geom(const resize_plan *R)
{
    return (sg_resize_geom){R->H, R->W, R->OH, R->OW, R->h0, R->h1, R->w0, R->w1,
                            R->lh0, R->lh1, R->lw0, R->lw1};
}

static void forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const resize_job *J = arg;
    const resize_plan *R = J->R;
    const sg_resize_geom g = plan_geom(R);
    const sg_kernel_table *k = sg_kernels();
    (R->lh0 ? k->up_bilinear_forward : k->up_nearest_forward)(&g, J->x + p0 * R->H * R->W,
                                                                J->y + p0 * R->OH * R->OW, p1 - p0);
}

static void backward_planes(void *arg, int64_t p0, int64_t p1)
{
    const resize_job *J = arg;
    const resize_plan *R = J->R;
    const sg_resize_geom g = plan_geom(R);
    const sg_kernel_table *k = sg_kernels();
    (R->lh0 ? k->up_bilinear_backward : k->up_nearest_backward)(&g, J->dy + p0 * R->OH * R->OW,
                                                                  J->dx + p0 * R->H * R->W, p1 - p0);
}

/* ---------------------------------------------------------------------------
 * The ops.
 * ------------------------------------------------------------------------- */

static void upsample_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const resize_plan *R = node->ctx;
    resize_job J = {.R = R, .dy = node->out->grad, .dx = dx};
    sg_parallel_for(R->N * R->C, plane_grain(R), backward_planes, &J);
}

/* Check x and the size, build the tables, run the forward, record. */
static sg_tensor *resize(sg_graph *g, const char *op, sg_tensor *x, int64_t out_h, int64_t out_w,
                         bool bilinear, bool align_corners, double scale_h, double scale_w)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    char xs[96];
    if (x->ndim != 4 || x->shape[2] < 1 || x->shape[3] < 1) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s must be 4-D [N, C, H, W] with H, W >= 1",
                      op, sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    if (out_h < 1 || out_w < 1) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: output size %lld x %lld for input %s must be >= 1",
                      op, (long long)out_h, (long long)out_w, sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    resize_plan R = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3],
                     .OH = out_h, .OW = out_w};
    /* The tables live in the arena until the step ends (the backward reads them). */
    R.h0 = sg_graph_alloc(g, (size_t)(2 * (out_h + out_w)) * sizeof(int64_t));
    if (bilinear) R.lh0 = sg_graph_alloc(g, (size_t)(2 * (out_h + out_w)) * sizeof(float));
    if (!R.h0 || (bilinear && !R.lh0)) return NULL;
    R.h1 = R.h0 + out_h, R.w0 = R.h1 + out_h, R.w1 = R.w0 + out_w;
    if (bilinear) {
        R.lh1 = R.lh0 + out_h, R.lw0 = R.lh1 + out_h, R.lw1 = R.lw0 + out_w;
        linear_table(R.H, out_h, align_corners, scale_h, R.h0, R.h1, R.lh0, R.lh1);
        linear_table(R.W, out_w, align_corners, scale_w, R.w0, R.w1, R.lw0, R.lw1);
    } else {
        for (int64_t i = 0; i < out_h; i++) R.h0[i] = nearest_src(i, R.H, out_h, scale_h);
        for (int64_t j = 0; j < out_w; j++) R.w0[j] = nearest_src(j, R.W, out_w, scale_w);
    }
    const int64_t shape[4] = {R.N, R.C, out_h, out_w};
    sg_tensor *y = sg_graph_tensor(g, 4, shape);
    if (!y) return NULL;
    resize_job J = {.R = &R, .x = x->data, .y = y->data};
    if (!sg_graph_dry(g))
        sg_parallel_for(R.N * R.C, plane_grain(&R), forward_planes, &J);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, upsample_backward, sizeof R);
    if (node) memcpy(node->ctx, &R, sizeof R);
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_upsample_nearest2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w)
{
    return resize(g, "upsample_nearest2d", x, out_h, out_w, false, false, 0.0, 0.0);
}

sg_tensor *sg_upsample_bilinear2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w,
                                  bool align_corners)
{
    return resize(g, "upsample_bilinear2d", x, out_h, out_w, true, align_corners, 0.0, 0.0);
}

/* out = floor(in * scale) in double, as PyTorch's upsample output size. */
static bool scaled_size(sg_graph *g, const char *op, sg_tensor *x, double scale_h, double scale_w,
                        int64_t *out_h, int64_t *out_w)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return false;
    if (!(scale_h > 0.0) || !(scale_w > 0.0) || x->ndim != 4) {
        char xs[96];
        sg_graph_fail(g, x->ndim != 4 ? SG_ERR_SHAPE : SG_ERR_INVALID,
                      "%s: input %s must be 4-D and scale factors (%g, %g) positive", op,
                      sg_shape_str(x, xs, sizeof xs), scale_h, scale_w);
        return false;
    }
    *out_h = (int64_t)floor((double)x->shape[2] * scale_h);
    *out_w = (int64_t)floor((double)x->shape[3] * scale_w);
    return true;
}

sg_tensor *sg_upsample_nearest2d_scale(sg_graph *g, sg_tensor *x, double scale_h, double scale_w)
{
    int64_t oh, ow;
    if (!scaled_size(g, "upsample_nearest2d", x, scale_h, scale_w, &oh, &ow)) return NULL;
    return resize(g, "upsample_nearest2d", x, oh, ow, false, false, scale_h, scale_w);
}

sg_tensor *sg_upsample_bilinear2d_scale(sg_graph *g, sg_tensor *x, double scale_h,
                                        double scale_w, bool align_corners)
{
    int64_t oh, ow;
    if (!scaled_size(g, "upsample_bilinear2d", x, scale_h, scale_w, &oh, &ow)) return NULL;
    return resize(g, "upsample_bilinear2d", x, oh, ow, true, align_corners, scale_h, scale_w);
}

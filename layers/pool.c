/* layers/pool.c - max, average, adaptive average and global average pooling.
 *
 * All four work plane by plane (one (n, c) image channel at a time), so the
 * forward and the backward are parallel over planes: each gradient element
 * is written by the one thread that owns its plane, in a fixed order, and the
 * results do not depend on the thread count. */
#include "layers/pool.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"

enum { PARALLEL_GRAIN_WORK = 1 << 15 };

static int64_t grain_for(int64_t work_per_plane)
{
    int64_t g = PARALLEL_GRAIN_WORK / (work_per_plane > 0 ? work_per_plane : 1);
    return g > 0 ? g : 1;
}


sg_pool2d_opts sg_pool2d_opts_make(int kernel, int stride, int padding)
{
    sg_pool2d_opts o = {kernel, kernel, stride, stride, padding, padding, 1, 1, false, true};
    return o;
}

/* Sizes of one pooling, options resolved. */
typedef struct {
    int64_t N, C, H, W, OH, OW;
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
    bool count_include_pad;
} pool_geom;

/* PyTorch's pooling_output_shape: floor (or ceil) of the window count, and in
 * ceil mode the last window must start inside the input or the left padding
 * (a window starting in the right padding would see only padding). */
static int64_t pool_out(int64_t in, int64_t k, int64_t pad, int64_t s, int64_t d, bool ceil_mode)
{
    int64_t num = in + 2 * pad - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    if (num < 0) return 0;
    int64_t out = num / s + 1;
    if (ceil_mode && (out - 1) * s >= in + pad) out--;
    return out;
}

/* Resolve opt for input [.., H, W]; false with a message in why[]. */
static bool resolve(const sg_pool2d_opts *opt, int64_t H, int64_t W, pool_geom *G, char *why,
                    size_t why_size)
{
    sg_pool2d_opts o = opt ? *opt : (sg_pool2d_opts){0};
    G->kh = o.kernel_h, G->kw = o.kernel_w;
    G->sh = o.stride_h ? o.stride_h : o.kernel_h, G->sw = o.stride_w ? o.stride_w : o.kernel_w;
    G->dh = o.dil_h ? o.dil_h : 1, G->dw = o.dil_w ? o.dil_w : 1;
    G->ph = o.pad_h, G->pw = o.pad_w;
    G->count_include_pad = o.count_include_pad;
    if (G->kh < 1 || G->kw < 1 || G->sh < 1 || G->sw < 1 || G->dh < 1 || G->dw < 1) {
        snprintf(why, why_size,
                 "kernel (%d, %d), stride (%d, %d) and dilation (%d, %d) must be >= 1",
                 o.kernel_h, o.kernel_w, o.stride_h, o.stride_w, o.dil_h, o.dil_w);
        return false;
    }
    if (G->ph < 0 || G->pw < 0 || G->ph > G->kh / 2 || G->pw > G->kw / 2) {
        snprintf(why, why_size, "padding (%d, %d) must be >= 0 and at most half the kernel (%d, %d)",
                 o.pad_h, o.pad_w, o.kernel_h, o.kernel_w);
        return false;
    }
    G->H = H, G->W = W;
    G->OH = pool_out(H, G->kh, G->ph, G->sh, G->dh, o.ceil_mode);
    G->OW = pool_out(W, G->kw, G->pw, G->sw, G->dw, o.ceil_mode);
    if (G->OH < 1 || G->OW < 1) {
        snprintf(why, why_size, "output size %lld x %lld is too small",
                 (long long)G->OH, (long long)G->OW);
        return false;
    }
    return true;
}

bool sg_pool2d_out_size(int64_t H, int64_t W, const sg_pool2d_opts *opt, int64_t *OH,
                        int64_t *OW)
{
    pool_geom G;
    char why[160];
    if (H < 1 || W < 1 || !resolve(opt, H, W, &G, why, sizeof why)) return false;
    *OH = G.OH, *OW = G.OW;
    return true;
}

/* Shared checks and output allocation for the windowed pools. */
static sg_tensor *pool_begin(sg_graph *g, const char *op, sg_tensor *x, const sg_pool2d_opts *opt,
                             pool_geom *G)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    char xs[96], why[160];
    if (x->ndim != 4) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s must be 4-D [N, C, H, W]", op,
                      sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    if (!resolve(opt, x->shape[2], x->shape[3], G, why, sizeof why)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: input %s: %s", op, sg_shape_str(x, xs, sizeof xs), why);
        return NULL;
    }
    G->N = x->shape[0], G->C = x->shape[1];
    const int64_t shape[4] = {G->N, G->C, G->OH, G->OW};
    return sg_graph_tensor(g, 4, shape);
}

/* ---------------------------------------------------------------------------
 * Max pooling (torch.nn.MaxPool2d,
 * https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html):
 *   y[n, c, i, j] = max over kh, kw of xpad[n, c, i*sh - ph + kh*dh, j*sw - pw + kw*dw]
 * with padding = -inf (it can never win). The first maximum in row-major
 * window order wins a tie and a NaN always wins (it propagates), as in
 * PyTorch. The winner's index (h*W + w within the plane) is saved, and
 *   dL/dx[n, c, h, w] = sum of dy over the outputs whose winner is (h, w).
 * ------------------------------------------------------------------------- */

typedef struct {
    pool_geom G;
    int32_t argmax[];        /* one per output element; saved only when recorded */
} max_pool_ctx;

typedef struct {
    const pool_geom *G;
    const float *x, *dy;
    float *y, *dx;
    int32_t *argmax;         /* NULL in no-grad mode */
} pool_job;

/* One plane's geometry for the pooling kernels (core/kernels/pool_scalar.c). */
static sg_pool_geom plane_geom(const pool_geom *G)
{
    return (sg_pool_geom){G->H,  G->W,  G->OH, G->OW, G->kh, G->kw, G->sh,
                          G->sw, G->ph, G->pw, G->dh, G->dw, G->count_include_pad};
}

/* Each window scanned in (h, w) order; an element becomes the maximum if it
 * beats the current one or is NaN (torch's rule: a NaN anywhere in the window
 * wins). The kernel states it; its twins vectorise the 2 x 2 case. */
static void max_pool_forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    const sg_pool_geom pg = plane_geom(G);
    const sg_pool_max_forward_fn fwd = sg_kernels()->pool_max_forward;
    for (int64_t pl = p0; pl < p1; pl++)
        fwd(&pg, J->x + pl * G->H * G->W, J->y + pl * G->OH * G->OW,
            J->argmax ? J->argmax + pl * G->OH * G->OW : NULL);
}

static void max_pool_backward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    const int64_t P = G->OH * G->OW;
    const sg_pool_geom pg = plane_geom(G);
    const sg_pool_max_backward_fn bwd = sg_kernels()->pool_max_backward;   /* dx[argmax] += dy */
    for (int64_t pl = p0; pl < p1; pl++) bwd(&pg, J->dy + pl * P, J->argmax + pl * P, J->dx + pl * G->H * G->W);
}

static void max_pool2d_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    max_pool_ctx *ctx = node->ctx;
    pool_job J = {.G = &ctx->G, .dy = node->out->grad, .dx = dx, .argmax = ctx->argmax};
    sg_parallel_for(ctx->G.N * ctx->G.C, grain_for(ctx->G.OH * ctx->G.OW),
                    max_pool_backward_planes, &J);
}

sg_tensor *sg_max_pool2d(sg_graph *g, sg_tensor *x, const sg_pool2d_opts *opt)
{
    pool_geom G;
    sg_tensor *y = pool_begin(g, "max_pool2d", x, opt, &G);
    if (!y) return NULL;
    if (G.H * G.W > INT32_MAX) {
        sg_graph_fail(g, SG_ERR_UNSUPPORTED, "max_pool2d: planes of %lld x %lld exceed int32 indices",
                      (long long)G.H, (long long)G.W);
        return NULL;
    }
    /* Record first: the node's context is where the forward writes the argmax. */
    sg_node *node = sg_graph_record(g, "max_pool2d", y, 1, &x, max_pool2d_backward,
                                    sizeof(max_pool_ctx) + (size_t)y->numel * sizeof(int32_t));
    if (sg_graph_error(g)) return NULL;
    max_pool_ctx *ctx = node ? node->ctx : NULL;
    if (ctx) ctx->G = G;
    pool_job J = {.G = &G, .x = x->data, .y = y->data, .argmax = ctx ? ctx->argmax : NULL};
    if (!sg_graph_dry(g))
        sg_parallel_for(G.N * G.C, grain_for(G.OH * G.OW * G.kh * G.kw), max_pool_forward_planes, &J);
    return y;
}

/* ---------------------------------------------------------------------------
 * Average pooling (torch.nn.AvgPool2d,
 * https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html):
 *   y[n, c, i, j] = (1 / D) * sum over the window clipped to the input of x
 * The window spans rows [i*sh - ph, min(i*sh - ph + kh, H + ph)) (and likewise
 * columns); D is its size including padding when count_include_pad (but not
 * the part past the right padding that ceil_mode may add), else the number
 * of real input pixels in it. Backward: every pixel of the clipped window
 * receives dy / D.
 * ------------------------------------------------------------------------- */

/* The clipped windows, their divisors and the (h, w) order of the sums are
 * the kernels' (core/kernels/pool_scalar.c). */
static void avg_pool_forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    const sg_pool_geom pg = plane_geom(G);
    const sg_pool_avg_forward_fn fwd = sg_kernels()->pool_avg_forward;
    for (int64_t pl = p0; pl < p1; pl++) fwd(&pg, J->x + pl * G->H * G->W, J->y + pl * G->OH * G->OW);
}

static void avg_pool_backward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    const sg_pool_geom pg = plane_geom(G);
    const sg_pool_avg_backward_fn bwd = sg_kernels()->pool_avg_backward;
    for (int64_t pl = p0; pl < p1; pl++) bwd(&pg, J->dy + pl * G->OH * G->OW, J->dx + pl * G->H * G->W);
}

static void avg_pool2d_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const pool_geom *G = node->ctx;
    pool_job J = {.G = G, .dy = node->out->grad, .dx = dx};
    sg_parallel_for(G->N * G->C, grain_for(G->OH * G->OW * G->kh * G->kw),
                    avg_pool_backward_planes, &J);
}

sg_tensor *sg_avg_pool2d(sg_graph *g, sg_tensor *x, const sg_pool2d_opts *opt)
{
    pool_geom G;
    sg_tensor *y = pool_begin(g, "avg_pool2d", x, opt, &G);
    if (!y) return NULL;
    if (G.dh != 1 || G.dw != 1) {
        sg_graph_fail(g, SG_ERR_INVALID, "avg_pool2d: dilation (%lld, %lld) is not supported "
                      "(PyTorch's AvgPool2d has none)", (long long)G.dh, (long long)G.dw);
        return NULL;
    }
    pool_job J = {.G = &G, .x = x->data, .y = y->data};
    if (!sg_graph_dry(g))
        sg_parallel_for(G.N * G.C, grain_for(G.OH * G.OW * G.kh * G.kw), avg_pool_forward_planes, &J);
    sg_node *node = sg_graph_record(g, "avg_pool2d", y, 1, &x, avg_pool2d_backward, sizeof G);
    if (node) memcpy(node->ctx, &G, sizeof G);
    return sg_graph_error(g) ? NULL : y;
}

/* ---------------------------------------------------------------------------
 * Adaptive average pooling (torch.nn.AdaptiveAvgPool2d,
 * https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html):
 * output row i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)) (and
 * likewise columns); bins may overlap when H is not a multiple of OH (7 -> 3:
 * rows 0-2, 2-4, 4-6). y = sum / kh / kw (PyTorch's order of division);
 * backward gives every pixel of the bin dy / kh / kw.
 * Global average pooling is the 1 x 1 case: the mean of each plane.
 * ------------------------------------------------------------------------- */

static int64_t bin_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
static int64_t bin_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

static void adaptive_forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    for (int64_t pl = p0; pl < p1; pl++) {
        const float *xp = J->x + pl * G->H * G->W;
        float *yp = J->y + pl * G->OH * G->OW;
        for (int64_t oh = 0; oh < G->OH; oh++) {
            int64_t h0 = bin_start(oh, G->H, G->OH), h1 = bin_end(oh, G->H, G->OH);
            for (int64_t ow = 0; ow < G->OW; ow++) {
                int64_t w0 = bin_start(ow, G->W, G->OW), w1 = bin_end(ow, G->W, G->OW);
                float sum = 0.0f;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) sum += xp[h * G->W + w];
                yp[oh * G->OW + ow] = sum / (float)(h1 - h0) / (float)(w1 - w0);
            }
        }
    }
}

static void adaptive_backward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const pool_geom *G = J->G;
    for (int64_t pl = p0; pl < p1; pl++) {
        float *dxp = J->dx + pl * G->H * G->W;
        const float *dyp = J->dy + pl * G->OH * G->OW;
        for (int64_t oh = 0; oh < G->OH; oh++) {
            int64_t h0 = bin_start(oh, G->H, G->OH), h1 = bin_end(oh, G->H, G->OH);
            for (int64_t ow = 0; ow < G->OW; ow++) {
                int64_t w0 = bin_start(ow, G->W, G->OW), w1 = bin_end(ow, G->W, G->OW);
                float d = dyp[oh * G->OW + ow] / (float)(h1 - h0) / (float)(w1 - w0);
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) dxp[h * G->W + w] += d;
            }
        }
    }
}

static void adaptive_avg_pool2d_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const pool_geom *G = node->ctx;
    pool_job J = {.G = G, .dy = node->out->grad, .dx = dx};
    sg_parallel_for(G->N * G->C, grain_for(G->H * G->W + G->OH * G->OW),
                    adaptive_backward_planes, &J);
}

sg_tensor *sg_adaptive_avg_pool2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w)
{
    if (!sg_graph_inputs_ok(g, "adaptive_avg_pool2d", 1, &x)) return NULL;
    char xs[96];
    if (x->ndim != 4) {
        sg_graph_fail(g, SG_ERR_SHAPE, "adaptive_avg_pool2d: input %s must be 4-D [N, C, H, W]",
                      sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    if (out_h < 1 || out_w < 1 || x->shape[2] < 1 || x->shape[3] < 1) {
        sg_graph_fail(g, SG_ERR_INVALID,
                      "adaptive_avg_pool2d: output size %lld x %lld for input %s: both must be >= 1",
                      (long long)out_h, (long long)out_w, sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    pool_geom G = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3],
                   .OH = out_h, .OW = out_w};
    const int64_t shape[4] = {G.N, G.C, G.OH, G.OW};
    sg_tensor *y = sg_graph_tensor(g, 4, shape);
    if (!y) return NULL;
    pool_job J = {.G = &G, .x = x->data, .y = y->data};
    if (!sg_graph_dry(g))
        sg_parallel_for(G.N * G.C, grain_for(G.H * G.W + G.OH * G.OW), adaptive_forward_planes, &J);
    sg_node *node = sg_graph_record(g, "adaptive_avg_pool2d", y, 1, &x,
                                    adaptive_avg_pool2d_backward, sizeof G);
    if (node) memcpy(node->ctx, &G, sizeof G);
    return sg_graph_error(g) ? NULL : y;
}

/* Global: y = mean of the plane, summed in double (large planes lose nothing);
 * dL/dx = dy / (H*W) everywhere. */
static void global_forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const int64_t HW = J->G->H * J->G->W;
    sg_kernels()->pool_gap_forward(J->x + p0 * HW, J->y + p0, HW, p1 - p0);   /* canonical sum per plane */
}

static void global_backward_planes(void *arg, int64_t p0, int64_t p1)
{
    const pool_job *J = arg;
    const int64_t HW = J->G->H * J->G->W;
    sg_kernels()->pool_gap_backward(J->dy + p0, J->dx + p0 * HW, HW, p1 - p0);   /* dx += dy / HW */
}

static void global_avg_pool2d_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const pool_geom *G = node->ctx;
    pool_job J = {.G = G, .dy = node->out->grad, .dx = dx};
    sg_parallel_for(G->N * G->C, grain_for(G->H * G->W), global_backward_planes, &J);
}

sg_tensor *sg_global_avg_pool2d(sg_graph *g, sg_tensor *x)
{
    if (!sg_graph_inputs_ok(g, "global_avg_pool2d", 1, &x)) return NULL;
    char xs[96];
    if (x->ndim != 4 || x->shape[2] < 1 || x->shape[3] < 1) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "global_avg_pool2d: input %s must be 4-D [N, C, H, W] with H, W >= 1",
                      sg_shape_str(x, xs, sizeof xs));
        return NULL;
    }
    pool_geom G = {.N = x->shape[0], .C = x->shape[1], .H = x->shape[2], .W = x->shape[3],
                   .OH = 1, .OW = 1};
    const int64_t shape[4] = {G.N, G.C, 1, 1};
    sg_tensor *y = sg_graph_tensor(g, 4, shape);
    if (!y) return NULL;
    pool_job J = {.G = &G, .x = x->data, .y = y->data};
    if (!sg_graph_dry(g))
        sg_parallel_for(G.N * G.C, grain_for(G.H * G.W), global_forward_planes, &J);
    sg_node *node = sg_graph_record(g, "global_avg_pool2d", y, 1, &x, global_avg_pool2d_backward,
                                    sizeof G);
    if (node) memcpy(node->ctx, &G, sizeof G);
    return sg_graph_error(g) ? NULL : y;
}

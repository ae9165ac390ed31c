/* layers/activation.c - relu, relu6/hardtanh, leaky_relu, gelu (erf and tanh),
 * sigmoid, tanh, softmax and log_softmax.
 *
 * The pointwise activations share one forward and one backward loop, switched
 * on the kind; each element is independent, so the range is split over
 * threads in fixed chunks. softmax works on "lines": the D values along `dim`,
 * spaced `inner` floats apart (inner = product of the dims after `dim`).
 * Neighbouring lines are processed together in blocks so that softmax over the
 * channels of an NCHW tensor still reads memory contiguously. */
#include "layers/activation.h"

#include <math.h>

#include "core/kernels/kernels.h"
#include "core/mathf.h"
#include "core/pool.h"

#define GRAIN 16384   /* elements per parallel chunk */
#define LINES 64      /* neighbouring softmax lines handled together */

/* ---- pointwise activations ------------------------------------------------------- */

typedef struct act_ctx {
    sg_act_kind kind;
    float p0, p1;          /* hardtanh: lo, hi; leaky_relu: negative slope */
    bool inplace;          /* y overwrote x: the backward reads its mask from y */
} act_ctx;

typedef struct act_job {
    act_ctx a;
    const float *x, *y, *dy;
    float *out;            /* forward: y; backward: dx (accumulated) */
} act_job;

/* The loops are the kernel families act_forward and act_backward
 * (core/kernels/ew_scalar.c writes each element's operations; the SIMD twins
 * give the same bits); each chunk of elements is one kernel call. */
static void act_forward_range(void *ctx, int64_t i0, int64_t i1)
{
    const act_job *J = ctx;
    sg_kernels()->act_forward(J->a.kind, J->a.p0, J->a.p1, J->x + i0, J->out + i0, i1 - i0);
}

static void act_backward_range(void *ctx, int64_t i0, int64_t i1)
{
    const act_job *J = ctx;
    sg_kernels()->act_backward(J->a.kind, J->a.p0, J->a.p1, J->x + i0, J->y + i0, J->dy + i0, J->out + i0,
                               i1 - i0);
}

/* y = f(x) elementwise; dL/dx = dy * f'(x):
 *   relu         max(x, 0)                    f' = [x > 0]
 *   hardtanh     clamp(x, lo, hi)             f' = [lo < x < hi]   (relu6: lo 0, hi 6)
 *   leaky_relu   x > 0 ? x : a x              f' = x > 0 ? 1 : a
 *   gelu         x Phi(x) = x/2 (1 + erf(x/sqrt2))
 *                                             f' = Phi(x) + x phi(x), phi(x) = e^(-x^2/2)/sqrt(2 pi)
 *   gelu_tanh    x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
 *                                             f' = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) du/dx,
 *                                             du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 *   sigmoid      1 / (1 + e^-x)               f' = y (1 - y)
 *   tanh         tanh x                       f' = 1 - y^2
 * At the kinks (relu at 0, hardtanh at lo and hi) the gradient is 0, as in torch.
 * Matches torch.nn.functional.relu, relu6, hardtanh, leaky_relu, gelu, torch.sigmoid, tanh
 * (https://pytorch.org/docs/stable/generated/torch.nn.functional.gelu.html and siblings). */
static void act_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const act_ctx *a = node->ctx;
    /* In place, x is gone; relu and hardtanh read the same mask from y
     * ([x > 0] = [y > 0], [lo < x < hi] = [lo < y < hi], NaN included). */
    act_job J = {*a, a->inplace ? node->out->data : node->in[0]->data, node->out->data,
                 node->out->grad, dx};
    sg_parallel_for(node->out->numel, GRAIN, act_backward_range, &J);
}

static sg_tensor *activation(sg_graph *g, const char *op, sg_tensor *x, act_ctx a)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    sg_tensor *y = a.inplace ? sg_graph_view(g, x->data, x->ndim, x->shape)
                             : sg_graph_tensor(g, x->ndim, x->shape);
    if (!y) return NULL;
    act_job J = {a, x->data, NULL, NULL, y->data};
    sg_parallel_for(x->numel, GRAIN, act_forward_range, &J);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, act_backward, sizeof(act_ctx));
    if (node) *(act_ctx *)node->ctx = a;
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_relu(sg_graph *g, sg_tensor *x)
{
    return activation(g, "relu", x, (act_ctx){SG_ACT_RELU, 0, 0, false});
}

sg_tensor *sg_relu6(sg_graph *g, sg_tensor *x)
{
    return activation(g, "relu6", x, (act_ctx){SG_ACT_HARDTANH, 0.0f, 6.0f, false});
}

sg_tensor *sg_relu_inplace(sg_graph *g, sg_tensor *x)
{
    return activation(g, "relu_", x, (act_ctx){SG_ACT_RELU, 0, 0, true});
}

sg_tensor *sg_relu6_inplace(sg_graph *g, sg_tensor *x)
{
    return activation(g, "relu6_", x, (act_ctx){SG_ACT_HARDTANH, 0.0f, 6.0f, true});
}

sg_tensor *sg_hardtanh(sg_graph *g, sg_tensor *x, float lo, float hi)
{
    if (!(lo <= hi)) {
        if (sg_graph_error(g) == SG_OK)
            sg_graph_fail(g, SG_ERR_INVALID, "hardtanh: lo %g must not be above hi %g", lo, hi);
        return NULL;
    }
    return activation(g, "hardtanh", x, (act_ctx){SG_ACT_HARDTANH, lo, hi, false});
}

sg_tensor *sg_leaky_relu(sg_graph *g, sg_tensor *x, float negative_slope)
{
    return activation(g, "leaky_relu", x, (act_ctx){SG_ACT_LEAKY_RELU, negative_slope, 0, false});
}

sg_tensor *sg_gelu(sg_graph *g, sg_tensor *x)
{
    return activation(g, "gelu", x, (act_ctx){SG_ACT_GELU, 0, 0, false});
}

sg_tensor *sg_gelu_tanh(sg_graph *g, sg_tensor *x)
{
    return activation(g, "gelu_tanh", x, (act_ctx){SG_ACT_GELU_TANH, 0, 0, false});
}

sg_tensor *sg_sigmoid(sg_graph *g, sg_tensor *x)
{
    return activation(g, "sigmoid", x, (act_ctx){SG_ACT_SIGMOID, 0, 0, false});
}

sg_tensor *sg_tanh(sg_graph *g, sg_tensor *x)
{
    return activation(g, "tanh", x, (act_ctx){SG_ACT_TANH, 0, 0, false});
}

/* ---- softmax and log_softmax ----------------------------------------------------- */

typedef struct softmax_ctx {
    bool log;
    int dim;                       /* normalised: 0 .. ndim-1 */
} softmax_ctx;

typedef struct softmax_job {
    bool log;
    int64_t D, inner, blocks;      /* line length, spacing, blocks of LINES per outer index */
    const float *x, *y, *dy;
    float *out;                    /* forward: y; backward: dx (accumulated) */
} softmax_job;

/* Forward on w <= LINES neighbouring lines starting at x (values d*inner + k). */
static void softmax_lines(const softmax_job *J, const float *x, float *y, int64_t w)
{
    const int64_t D = J->D, s = J->inner;
    float m[LINES];
    double sum[LINES];
    for (int64_t k = 0; k < w; k++) {
        m[k] = x[k];
        sum[k] = 0;
    }
    for (int64_t d = 1; d < D; d++)
        for (int64_t k = 0; k < w; k++) m[k] = x[d * s + k] > m[k] ? x[d * s + k] : m[k];
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++) {
            const float e = sg_expf(x[d * s + k] - m[k]);
            if (!J->log) y[d * s + k] = e;
            sum[k] += e;
        }
    if (J->log) {
        float lse[LINES];
        for (int64_t k = 0; k < w; k++) lse[k] = sg_logf((float)sum[k]);
        for (int64_t d = 0; d < D; d++)
            for (int64_t k = 0; k < w; k++) y[d * s + k] = (x[d * s + k] - m[k]) - lse[k];
    } else {
        float inv[LINES];
        for (int64_t k = 0; k < w; k++) inv[k] = (float)(1.0 / sum[k]);
        for (int64_t d = 0; d < D; d++)
            for (int64_t k = 0; k < w; k++) y[d * s + k] *= inv[k];
    }
}

/* Backward on w neighbouring lines (see sg_softmax for the formulas). */
static void softmax_grad_lines(const softmax_job *J, const float *y, const float *dy, float *dx,
                               int64_t w)
{
    const int64_t D = J->D, s = J->inner;
    double acc[LINES];
    float a[LINES];
    for (int64_t k = 0; k < w; k++) acc[k] = 0;
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++)
            acc[k] += J->log ? dy[d * s + k] : (double)dy[d * s + k] * y[d * s + k];
    for (int64_t k = 0; k < w; k++) a[k] = (float)acc[k];
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < w; k++) {
            const int64_t i = d * s + k;
            dx[i] += J->log ? dy[i] - sg_expf(y[i]) * a[k] : y[i] * (dy[i] - a[k]);
        }
}

static void softmax_range(void *ctx, int64_t u0, int64_t u1, bool backward)
{
    const softmax_job *J = ctx;
    for (int64_t u = u0; u < u1; u++) {
        const int64_t o = u / J->blocks, k0 = (u % J->blocks) * LINES;
        const int64_t w = J->inner - k0 < LINES ? J->inner - k0 : LINES;
        const int64_t base = o * J->D * J->inner + k0;
        if (backward)
            softmax_grad_lines(J, J->y + base, J->dy + base, J->out + base, w);
        else
            softmax_lines(J, J->x + base, J->out + base, w);
    }
}
static void softmax_forward_range(void *ctx, int64_t u0, int64_t u1)
{
    softmax_range(ctx, u0, u1, false);
}
static void softmax_backward_range(void *ctx, int64_t u0, int64_t u1)
{
    softmax_range(ctx, u0, u1, true);
}

/* Split x's shape around dim into outer x D x inner; the units of work. */
static void softmax_layout(const sg_tensor *x, int dim, softmax_job *J, int64_t *units, int64_t *grain)
{
    int64_t outer = 1;
    J->D = x->ndim ? x->shape[dim] : 1;
    J->inner = 1;
    for (int d = 0; d < dim; d++) outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) J->inner *= x->shape[d];
    J->blocks = (J->inner + LINES - 1) / LINES;
    *units = J->D && J->inner ? outer * J->blocks : 0;
    int64_t per_unit = J->D * (J->inner < LINES ? J->inner : LINES);
    *grain = per_unit > 0 && per_unit < GRAIN ? GRAIN / per_unit : 1;
}

/* softmax:      y_i = exp(x_i - m) / sum_j exp(x_j - m),  m = max_j x_j (for stability)
 *               dL/dx_i = y_i (dy_i - sum_j dy_j y_j)
 * log_softmax:  y_i = (x_i - m) - log sum_j exp(x_j - m)
 *               dL/dx_i = dy_i - softmax_i * sum_j dy_j,  softmax_i = exp(y_i)
 * Sums along the line are accumulated in double, in order.
 * Matches torch.softmax / torch.log_softmax
 * (https://pytorch.org/docs/stable/generated/torch.nn.functional.softmax.html,
 *  https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html). */
static void softmax_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const softmax_ctx *c = node->ctx;
    softmax_job J = {.log = c->log, .y = node->out->data, .dy = node->out->grad, .out = dx};
    int64_t units, grain;
    softmax_layout(node->out, c->dim, &J, &units, &grain);
    sg_parallel_for(units, grain, softmax_backward_range, &J);
}

static sg_tensor *softmax(sg_graph *g, const char *op, sg_tensor *x, int dim, bool log)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    int lim = x->ndim > 0 ? x->ndim : 1, d = dim < 0 ? dim + lim : dim;
    if (d < 0 || d >= lim) {
        char s[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: dim %d is out of range for input %s (expected %d..%d)",
                      op, dim, sg_shape_str(x, s, sizeof s), -lim, lim - 1);
        return NULL;
    }
    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    if (!y) return NULL;
    softmax_job J = {.log = log, .x = x->data, .out = y->data};
    int64_t units, grain;
    softmax_layout(x, d, &J, &units, &grain);
    sg_parallel_for(units, grain, softmax_forward_range, &J);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, softmax_backward, sizeof(softmax_ctx));
    if (node) *(softmax_ctx *)node->ctx = (softmax_ctx){log, d};
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_softmax(sg_graph *g, sg_tensor *x, int dim)
{
    return softmax(g, "softmax", x, dim, false);
}

sg_tensor *sg_log_softmax(sg_graph *g, sg_tensor *x, int dim)
{
    return softmax(g, "log_softmax", x, dim, true);
}

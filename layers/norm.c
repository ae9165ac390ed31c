/* layers/norm.c - BatchNorm (1d, 2d) and LayerNorm: shape rules, forward, backward.
 *
 * Both normalise a group of values to zero mean and unit variance, then apply
 * a learned affine map. They differ in the group:
 *   BatchNorm: per channel c, over the batch and the spatial positions
 *              (N * H * W values), statistics shared by all samples;
 *   LayerNorm: per sample (per row of the leading dims), over the trailing
 *              normalised dims (D values), statistics of that sample only.
 *
 * Every sum runs in double and in a fixed order (one worker owns a channel, a
 * row, or a block of columns), so results are bit-identical on 1 or N threads. */
#include "layers/norm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/sum.h"

/* ------------------------------------------------------------------------ */
/* BatchNorm                                                                  */
/* ------------------------------------------------------------------------ */

/* x is viewed as [N, C, S] with S = H * W (2d), L (1d on [N, C, L]) or 1. */
typedef struct bn_ctx {
    int64_t N, C, S;
    float *mean, *invstd;  /* [C]: the statistics the forward normalised with */
    bool batch_stats;      /* true: batch statistics (their gradient flows) */
} bn_ctx;

/* Work shared by the forward's per-channel loop. */
typedef struct bn_fwd {
    bn_ctx s;
    const float *x, *w, *b;
    float *y, *running_mean, *running_var;
    float momentum, eps;
} bn_fwd;

/* Forward, one channel at a time.
 * Training:  mean = sum(x) / M,  var = sum((x - mean)^2) / M   (M = N * S, biased)
 *            running_mean = (1 - m) * running_mean + m * mean
 *            running_var  = (1 - m) * running_var  + m * var * M / (M - 1)   (unbiased)
 * Eval:      mean, var = running_mean, running_var.
 * Then       y = (x - mean) * invstd * w + b,  invstd = 1 / sqrt(var + eps). */
static void bn_forward_channels(void *arg, int64_t c0, int64_t c1)
{
    bn_fwd *f = arg;
    const int64_t N = f->s.N, C = f->s.C, S = f->s.S;
    const double M = (double)(N * S);
    for (int64_t c = c0; c < c1; c++) {
        double mean, var;
        if (f->s.batch_stats) {
            double sum = 0;
            for (int64_t n = 0; n < N; n++) sum += sg_sum_f32(f->x + (n * C + c) * S, S);
            mean = sum / M;
            double sq = 0;
            for (int64_t n = 0; n < N; n++) sq += sg_sum_sq_dev_f32(f->x + (n * C + c) * S, S, mean);
            var = sq / M;
            if (f->running_mean) {
                double m = f->momentum;
                f->running_mean[c] = (float)((1.0 - m) * f->running_mean[c] + m * mean);
                f->running_var[c] = (float)((1.0 - m) * f->running_var[c] + m * var * M / (M - 1.0));
            }
        } else {
            mean = f->running_mean[c];
            var = f->running_var[c];
        }
        float invstd = (float)(1.0 / sqrt(var + (double)f->eps));
        f->s.mean[c] = (float)mean;
        f->s.invstd[c] = invstd;
        float w = f->w ? f->w[c] : 1.0f, b = f->b ? f->b[c] : 0.0f;
        float meanf = (float)mean;
        /* y = (x - mean) * invstd * w + b per element (core/kernels/norm_scalar.c) */
        const sg_bn_forward_fn fwd = sg_kernels()->bn_forward;
        for (int64_t n = 0; n < N; n++)
            fwd(f->x + (n * C + c) * S, f->y + (n * C + c) * S, S, meanf, invstd, w, b, SG_BN_ACT_NONE);
    }
}

typedef struct bn_bwd {
    const bn_ctx *s;
    const float *x, *w, *dy;
    float *dx, *dw, *db;
} bn_bwd;

/* Backward, one channel at a time; xhat = (x - mean) * invstd.
 *   dL/db = sum(dy)            dL/dw = sum(dy * xhat)
 * Eval (statistics are constants): dL/dx = dy * w * invstd.
 * Training (mean and var depend on every x of the channel):
 *   dL/dx = w * invstd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M)
 * the two subtracted terms are the gradient flowing through mean and var. */
static void bn_backward_channels(void *arg, int64_t c0, int64_t c1)
{
    bn_bwd *k = arg;
    const int64_t N = k->s->N, C = k->s->C, S = k->s->S;
    const double M = (double)(N * S);
    for (int64_t c = c0; c < c1; c++) {
        const float mean = k->s->mean[c], invstd = k->s->invstd[c];
        double sum_dy = 0, sum_dy_xm = 0;
        const sg_bn_backward_sums_fn sums = sg_kernels()->bn_backward_sums;
        for (int64_t n = 0; n < N; n++) {
            /* sum(dy) and sum(dy * (x - mean)) of the plane, canonical, in one pass */
            double s[2];
            sums(k->x + (n * C + c) * S, k->dy + (n * C + c) * S, S, mean, s);
            sum_dy += s[0];
            sum_dy_xm += s[1];
        }
        const double sum_dy_xhat = sum_dy_xm * invstd;
        if (k->dw) k->dw[c] += (float)sum_dy_xhat;
        if (k->db) k->db[c] += (float)sum_dy;
        if (!k->dx) continue;
        const float scale = (k->w ? k->w[c] : 1.0f) * invstd;
        const float mean_dy = k->s->batch_stats ? (float)(sum_dy / M) : 0.0f;
        const float mean_dy_xhat = k->s->batch_stats ? (float)(sum_dy_xhat / M) : 0.0f;
        /* dx += scale * (dy - mean_dy - xhat * mean_dy_xhat) per element (core/kernels/norm_scalar.c) */
        const sg_bn_backward_dx_fn bwd = sg_kernels()->bn_backward_dx;
        for (int64_t n = 0; n < N; n++)
            bwd(k->x + (n * C + c) * S, k->dy + (n * C + c) * S, k->dx + (n * C + c) * S, S, mean, invstd,
                scale, mean_dy, mean_dy_xhat);
    }
}

/* Channels per work chunk: about 64k values per chunk, depending only on sizes. */
static int64_t bn_grain(int64_t per_channel)
{
    int64_t g = 65536 / (per_channel > 0 ? per_channel : 1);
    return g < 1 ? 1 : g;
}

static void bn_backward(sg_graph *g, sg_node *node)
{
    bn_bwd k = {
        .s = node->ctx,
        .x = node->in[0]->data,
        .w = node->in[1] ? node->in[1]->data : NULL,
        .dy = node->out->grad,
        .dx = sg_node_grad(g, node, 0),
        .dw = sg_node_grad(g, node, 1),
        .db = sg_node_grad(g, node, 2),
    };
    if (sg_graph_error(g) || (!k.dx && !k.dw && !k.db)) return;
    sg_parallel_for(k.s->C, bn_grain(k.s->N * k.s->S), bn_backward_channels, &k);
}

/* A per-channel vector (weight, bias, running stat) must be [C]. */
static bool bn_check_vector(sg_graph *g, const char *op, const char *what, const sg_tensor *v,
                            const sg_tensor *x, int64_t C)
{
    if (!v || (v->ndim == 1 && v->shape[0] == C)) return true;
    char sv[96], sx[96];
    sg_graph_fail(g, SG_ERR_SHAPE, "%s: %s has shape %s, expected [%lld] (the channels of input %s)",
                  op, what, sg_shape_str(v, sv, sizeof sv), (long long)C,
                  sg_shape_str(x, sx, sizeof sx));
    return false;
}

/* Shared by batchnorm1d and batchnorm2d once x is known to be [N, C, S]. */
static sg_tensor *batchnorm(sg_graph *g, const char *op, sg_tensor *x, int64_t N, int64_t C,
                            int64_t S, sg_tensor *weight, sg_tensor *bias, sg_tensor *running_mean,
                            sg_tensor *running_var, float momentum, float eps)
{
    if (!bn_check_vector(g, op, "weight", weight, x, C) || !bn_check_vector(g, op, "bias", bias, x, C) ||
        !bn_check_vector(g, op, "running_mean", running_mean, x, C) ||
        !bn_check_vector(g, op, "running_var", running_var, x, C))
        return NULL;
    if (!running_mean != !running_var) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: running_mean and running_var must both be given or both be NULL", op);
        return NULL;
    }
    if (!(momentum >= 0.0f && momentum <= 1.0f) || !(eps >= 0.0f) || isinf(eps)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: momentum %g must be in [0, 1] and eps %g finite and >= 0",
                      op, (double)momentum, (double)eps);
        return NULL;
    }
    bool batch_stats = sg_graph_training(g) || !running_mean;
    if (batch_stats && N * S < 2) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s has one value per channel; batch statistics "
                      "need more than one (as in PyTorch)", op, sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    float *stats = sg_graph_alloc(g, (size_t)(2 * C) * sizeof(float));
    if (!y || !stats) return NULL;

    bn_fwd f = {
        .s = {.N = N, .C = C, .S = S, .mean = stats, .invstd = stats + C, .batch_stats = batch_stats},
        .x = x->data,
        .w = weight ? weight->data : NULL,
        .b = bias ? bias->data : NULL,
        .y = y->data,
        /* read in eval mode, updated in training mode */
        .running_mean = running_mean ? running_mean->data : NULL,
        .running_var = running_var ? running_var->data : NULL,
        .momentum = momentum,
        .eps = eps,
    };
    if (!sg_graph_dry(g)) sg_parallel_for(C, bn_grain(N * S), bn_forward_channels, &f);

    sg_tensor *in[3] = {x, weight, bias};
    sg_node *node = sg_graph_record(g, op, y, 3, in, bn_backward, sizeof(bn_ctx));
    if (node) *(bn_ctx *)node->ctx = f.s;
    return sg_graph_error(g) ? NULL : y;
}

/* BatchNorm2d (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html). */
sg_tensor *sg_batchnorm2d(sg_graph *g, sg_tensor *x, sg_tensor *weight, sg_tensor *bias,
                          sg_tensor *running_mean, sg_tensor *running_var, float momentum,
                          float eps)
{
    if (!sg_graph_inputs_ok(g, "batchnorm2d", 1, &x)) return NULL;
    if (x->ndim != 4) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "batchnorm2d: input %s, expected 4 dims [N, C, H, W]",
                      sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    return batchnorm(g, "batchnorm2d", x, x->shape[0], x->shape[1], x->shape[2] * x->shape[3],
                     weight, bias, running_mean, running_var, momentum, eps);
}

/* BatchNorm1d (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html). */
sg_tensor *sg_batchnorm1d(sg_graph *g, sg_tensor *x, sg_tensor *weight, sg_tensor *bias,
                          sg_tensor *running_mean, sg_tensor *running_var, float momentum,
                          float eps)
{
    if (!sg_graph_inputs_ok(g, "batchnorm1d", 1, &x)) return NULL;
    if (x->ndim != 2 && x->ndim != 3) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "batchnorm1d: input %s, expected [N, C] or [N, C, L]",
                      sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    return batchnorm(g, "batchnorm1d", x, x->shape[0], x->shape[1], x->ndim == 3 ? x->shape[2] : 1,
                     weight, bias, running_mean, running_var, momentum, eps);
}

/* ------------------------------------------------------------------------ */
/* LayerNorm                                                                  */
/* ------------------------------------------------------------------------ */

/* x is viewed as [R, D]: R rows (the leading dims), D normalised values each. */
typedef struct ln_ctx {
    int64_t R, D;
    float *mean, *invstd;  /* [R] */
} ln_ctx;

typedef struct ln_work {
    ln_ctx s;
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw, *db;
    float eps;
} ln_work;

/* Forward, one row at a time:
 *   mean = sum(x) / D,  var = sum((x - mean)^2) / D   (biased, as PyTorch)
 *   y = (x - mean) / sqrt(var + eps) * w + b          (w, b per position j) */
static void ln_forward_rows(void *arg, int64_t r0, int64_t r1)
{
    ln_work *k = arg;
    const int64_t D = k->s.D;
    for (int64_t r = r0; r < r1; r++) {
        const float *xr = k->x + r * D;
        float *yr = k->y + r * D;
        double mean = sg_sum_f32(xr, D) / (double)D;
        double sq = sg_sum_sq_dev_f32(xr, D, mean);
        float invstd = (float)(1.0 / sqrt(sq / (double)D + (double)k->eps));
        float meanf = (float)mean;
        k->s.mean[r] = meanf;
        k->s.invstd[r] = invstd;
        sg_kernels()->ln_forward(xr, k->w, k->b, yr, D, meanf, invstd);   /* xhat * w + b */
    }
}

/* dL/dx, one row at a time. With g = dy * w (the gradient reaching xhat):
 *   dL/dx = invstd * (g - sum(g) / D - xhat * sum(g * xhat) / D)
 * (the two subtracted terms flow through the row's mean and variance). */
static void ln_backward_rows(void *arg, int64_t r0, int64_t r1)
{
    ln_work *k = arg;
    const int64_t D = k->s.D;
    for (int64_t r = r0; r < r1; r++) {
        const float *xr = k->x + r * D, *dyr = k->dy + r * D;
        float *dxr = k->dx + r * D;
        const float mean = k->s.mean[r], invstd = k->s.invstd[r];
        /* Both sums in the canonical shape of core/sum.h, in one pass (core/kernels/norm_scalar.c). */
        const sg_kernel_table *t = sg_kernels();
        double sums[2];
        t->ln_backward_sums(xr, dyr, k->w, D, mean, invstd, sums);
        const float mean_g = (float)(sums[0] / (double)D), mean_g_xhat = (float)(sums[1] / (double)D);
        t->ln_backward_dx(xr, dyr, k->w, dxr, D, mean, invstd, mean_g, mean_g_xhat);
    }
}

/* dL/dw[j] = sum over rows of dy * xhat, dL/db[j] = sum over rows of dy.
 * One worker owns a block of columns and walks the rows in order. */
#define LN_COLS 64
static void ln_backward_columns(void *arg, int64_t c0, int64_t c1)
{
    ln_work *k = arg;
    const int64_t D = k->s.D;
    /* sw[j] += dy * xhat, sb[j] += dy in double, row after row (core/kernels/norm_scalar.c).
     * [c0, c1) may be wider than LN_COLS (one thread runs the whole range in one call):
     * blocks of LN_COLS, each column's sum its own, so the blocking changes nothing. */
    const sg_ln_backward_affine_fn affine = sg_kernels()->ln_backward_affine;
    for (int64_t j0 = c0; j0 < c1; j0 += LN_COLS) {
        const int64_t n = c1 - j0 < LN_COLS ? c1 - j0 : LN_COLS;
        double sw[LN_COLS] = {0}, sb[LN_COLS] = {0};
        for (int64_t r = 0; r < k->s.R; r++)
            affine(k->x + r * D + j0, k->dy + r * D + j0, n, k->s.mean[r], k->s.invstd[r], sw, sb);
        for (int64_t j = 0; j < n; j++) {
            if (k->dw) k->dw[j0 + j] += (float)sw[j];
            if (k->db) k->db[j0 + j] += (float)sb[j];
        }
    }
}

static int64_t ln_row_grain(int64_t D)
{
    int64_t g = 16384 / (D > 0 ? D : 1);
    return g < 1 ? 1 : g;
}

static void ln_backward(sg_graph *g, sg_node *node)
{
    ln_work k = {
        .s = *(ln_ctx *)node->ctx,
        .x = node->in[0]->data,
        .w = node->in[1] ? node->in[1]->data : NULL,
        .dy = node->out->grad,
        .dx = sg_node_grad(g, node, 0),
        .dw = sg_node_grad(g, node, 1),
        .db = sg_node_grad(g, node, 2),
    };
    if (sg_graph_error(g)) return;
    if (k.dx) sg_parallel_for(k.s.R, ln_row_grain(k.s.D), ln_backward_rows, &k);
    if (k.dw || k.db) sg_parallel_for(k.s.D, LN_COLS, ln_backward_columns, &k);
}

/* weight/bias must have exactly the normalised trailing shape of x. */
static bool ln_check_affine(sg_graph *g, const char *what, const sg_tensor *v, const sg_tensor *x,
                            int n_norm_dims)
{
    if (!v) return true;
    bool ok = v->ndim == n_norm_dims;
    for (int i = 0; ok && i < n_norm_dims; i++) ok = v->shape[i] == x->shape[x->ndim - n_norm_dims + i];
    if (ok) return true;
    char sv[96], sx[96];
    sg_graph_fail(g, SG_ERR_SHAPE, "layernorm: %s has shape %s, expected the last %d dims of input %s",
                  what, sg_shape_str(v, sv, sizeof sv), n_norm_dims, sg_shape_str(x, sx, sizeof sx));
    return false;
}

/* LayerNorm (https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html). */
sg_tensor *sg_layernorm(sg_graph *g, sg_tensor *x, int n_norm_dims, sg_tensor *weight,
                        sg_tensor *bias, float eps)
{
    if (!sg_graph_inputs_ok(g, "layernorm", 1, &x)) return NULL;
    if (n_norm_dims < 1 || n_norm_dims > x->ndim) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "layernorm: cannot normalise over the last %d dims of input %s",
                      n_norm_dims, sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    if (!ln_check_affine(g, "weight", weight, x, n_norm_dims) ||
        !ln_check_affine(g, "bias", bias, x, n_norm_dims))
        return NULL;
    if (!(eps >= 0.0f) || isinf(eps)) {
        sg_graph_fail(g, SG_ERR_INVALID, "layernorm: eps %g must be finite and >= 0", (double)eps);
        return NULL;
    }
    int64_t D = 1;
    for (int i = x->ndim - n_norm_dims; i < x->ndim; i++) D *= x->shape[i];
    int64_t R = D ? x->numel / D : 0;

    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    float *stats = sg_graph_alloc(g, (size_t)(2 * R + 1) * sizeof(float));
    if (!y || !stats) return NULL;
    ln_work k = {
        .s = {.R = R, .D = D, .mean = stats, .invstd = stats + R},
        .x = x->data,
        .w = weight ? weight->data : NULL,
        .b = bias ? bias->data : NULL,
        .y = y->data,
        .eps = eps,
    };
    if (D > 0 && !sg_graph_dry(g)) sg_parallel_for(R, ln_row_grain(D), ln_forward_rows, &k);

    sg_tensor *in[3] = {x, weight, bias};
    sg_node *node = sg_graph_record(g, "layernorm", y, 3, in, ln_backward, sizeof(ln_ctx));
    if (node) *(ln_ctx *)node->ctx = k.s;
    return sg_graph_error(g) ? NULL : y;
}

/* layers/loss.c - classification and regression losses.
 *
 * Two families:
 *   class losses   (cross-entropy with class indices or probabilities, NLL):
 *                  one loss per position (sample, or sample x pixel), each
 *                  from the K scores of that position;
 *   pointwise      (MSE, L1, smooth L1, BCE with logits): one loss per element
 *                  of two same-shaped tensors.
 * Per-position/per-element losses are computed in parallel; the reduction
 * adds them in index order in double, so it is the same on any thread count.
 * Everything a backward needs beyond the input tensors (class indices,
 * weights) is copied into the node's context: the caller's arrays may go. */
#include "layers/loss.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mathf.h"
#include "core/pool.h"
#include "core/sum.h"

/* The output: a scalar for mean/sum, or `none_ndim`/`none_shape` for none. */
static sg_tensor *loss_output(sg_graph *g, sg_reduction r, int none_ndim, const int64_t *none_shape)
{
    static const int64_t scalar_shape[1] = {1};
    return r == SG_REDUCE_NONE ? sg_graph_tensor(g, none_ndim, none_shape)
                               : sg_graph_tensor(g, 0, scalar_shape);
}

static bool check_reduction(sg_graph *g, const char *op, sg_reduction r)
{
    if (r == SG_REDUCE_MEAN || r == SG_REDUCE_SUM || r == SG_REDUCE_NONE) return true;
    sg_graph_fail(g, SG_ERR_INVALID, "%s: reduction %d, expected mean, sum or none", op, (int)r);
    return false;
}

/* The upstream gradient reaching item i: dL/dout scaled by the reduction. */
static inline float upstream(const float *dy, sg_reduction r, double inv_denom, int64_t i)
{
    return r == SG_REDUCE_NONE ? dy[i] : (float)(dy[0] * inv_denom);
}

/* ------------------------------------------------------------------------ */
/* Class losses                                                               */
/* ------------------------------------------------------------------------ */

/* Scores are [N, K, S] (S = product of the dims after K, 1 for [N, K]);
 * position p = n * S + s has its K scores at z[n*K*S + k*S + s], k = 0..K-1.
 *
 * With weights w_k (1 if none), smoothing e and target y of a position:
 *   logp_k  = z_k - logsumexp(z)        (cross-entropy; NLL takes z as logp)
 *   loss    = (1 - e) * w_y * (-logp_y) + e / K * sum_k w_k * (-logp_k)
 *   weight  = w_y   (0 and loss 0 when y == ignore_index)
 * mean = sum(loss) / sum(weight), exactly torch's cross_entropy: its NLL term
 * and its smoothing term are both divided by the sum of the targets' weights.
 * With probability targets t (soft):
 *   t'      = (1 - e) * t + e / K
 *   loss    = sum_k w_k * t'_k * (-logp_k),   mean = sum(loss) / positions.
 *
 * Gradients (c = upstream gradient of the position's loss, p_k = exp(logp_k)):
 *   CE hard:  dz_j = c * ((1 - e) * w_y * (p_j - [j == y]) + e / K * (sum_k w_k * p_j - w_j))
 *   NLL:      dlogp_j = -c * (1 - e) * w_y * [j == y]
 *   CE soft:  dz_j = c * (sum_k w_k t'_k * p_j - w_j * t'_j),  dt_j = -c * (1 - e) * w_j * logp_j */
typedef enum class_kind { CLASS_CE, CLASS_NLL, CLASS_CE_SOFT } class_kind;

typedef struct class_ctx {
    class_kind kind;
    int64_t N, K, S;
    float smoothing;
    int ignore_index;
    sg_reduction reduction;
    double inv_denom;        /* 1 / the mean's denominator (1 for sum) */
    const int32_t *targets;  /* [N * S] (hard kinds) */
    const float *weights;    /* [K] or NULL */
    const float *probs;      /* [N, K, S] target probabilities (soft) */
} class_ctx;

/* logsumexp over the K scores of a position (stride S), in double; like
 * every sum over the K classes below, in the canonical shape (core/sum.h). */
static double position_lse(const float *z, int64_t K, int64_t S)
{
    float m = z[0];
    for (int64_t k = 1; k < K; k++) m = z[k * S] > m ? z[k * S] : m;
    double sum;
    SG_CANONICAL_SUM(sum, K, k, sg_exp_f64((double)z[k * S] - m));
    return m + sg_log_f64(sum);
}

/* The weight of class k (1 without class weights). */
static inline double class_weight(const class_ctx *c, int64_t k)
{
    return c->weights ? c->weights[k] : 1.0;
}

/* Loss and weight of position p (z and t point at its first score). */
static double position_loss(const class_ctx *c, const float *z, const float *t, int64_t p,
                            double *weight)
{
    const int64_t K = c->K, S = c->S;
    const double e = c->smoothing, lse = c->kind == CLASS_NLL ? 0.0 : position_lse(z, K, S);
    double loss;
    if (c->kind == CLASS_CE_SOFT) {
        SG_CANONICAL_SUM(loss, K, k, -(class_weight(c, k) * ((1.0 - e) * t[k * S] + e / (double)K) * (z[k * S] - lse)));
        *weight = 1.0;
        return loss;
    }
    int32_t y = c->targets[p];
    if (y == c->ignore_index) {
        *weight = 0.0;
        return 0.0;
    }
    double wy = class_weight(c, y);
    loss = (1.0 - e) * wy * -(z[y * S] - lse);
    if (e > 0) {
        double smooth;
        SG_CANONICAL_SUM(smooth, K, k, -(class_weight(c, k) * (z[k * S] - lse)));
        loss += e / (double)K * smooth;
    }
    *weight = wy;
    return loss;
}

typedef struct class_work {
    const class_ctx *c;
    const float *z, *dy;
    double *loss, *weight;   /* forward: [N * S] each */
    float *dz, *dt;          /* backward */
} class_work;

static void class_forward_positions(void *arg, int64_t p0, int64_t p1)
{
    class_work *k = arg;
    const class_ctx *c = k->c;
    for (int64_t p = p0; p < p1; p++) {
        int64_t off = (p / c->S) * c->K * c->S + p % c->S;
        k->loss[p] = position_loss(c, k->z + off, c->probs ? c->probs + off : NULL, p, &k->weight[p]);
    }
}

static void class_backward_positions(void *arg, int64_t p0, int64_t p1)
{
    class_work *k = arg;
    const class_ctx *c = k->c;
    const int64_t K = c->K, S = c->S;
    const double e = c->smoothing;
    for (int64_t p = p0; p < p1; p++) {
        int64_t off = (p / S) * K * S + p % S;
        const float *z = k->z + off;
        float *dz = k->dz ? k->dz + off : NULL;
        double g = upstream(k->dy, c->reduction, c->inv_denom, p);
        if (c->kind == CLASS_CE_SOFT) {
            const float *t = c->probs + off;
            double lse = position_lse(z, K, S), wt_sum;
            SG_CANONICAL_SUM(wt_sum, K, j, class_weight(c, j) * ((1.0 - e) * t[j * S] + e / (double)K));
            for (int64_t j = 0; j < K; j++) {
                double wj = class_weight(c, j);
                double logp = z[j * S] - lse;
                if (dz) dz[j * S] += (float)(g * (wt_sum * sg_exp_f64(logp) - wj * ((1.0 - e) * t[j * S] + e / (double)K)));
                if (k->dt) k->dt[off + j * S] += (float)(-g * (1.0 - e) * wj * logp);
            }
            continue;
        }
        int32_t y = c->targets[p];
        if (y == c->ignore_index || !dz) continue;
        double wy = class_weight(c, y);
        if (c->kind == CLASS_NLL) {
            dz[y * S] += (float)(-g * wy);
            continue;
        }
        double lse = position_lse(z, K, S), w_sum = 0;
        if (e > 0) SG_CANONICAL_SUM(w_sum, K, j, class_weight(c, j));
        for (int64_t j = 0; j < K; j++) {
            double pj = sg_exp_f64(z[j * S] - lse);
            double d = (1.0 - e) * wy * (pj - (j == y));
            if (e > 0) d += e / (double)K * (w_sum * pj - class_weight(c, j));
            dz[j * S] += (float)(g * d);
        }
    }
}

static void class_backward(sg_graph *g, sg_node *node)
{
    class_work k = {
        .c = node->ctx,
        .z = node->in[0]->data,
        .dy = node->out->grad,
        .dz = sg_node_grad(g, node, 0),
        .dt = node->n_in > 1 ? sg_node_grad(g, node, 1) : NULL,
    };
    if (sg_graph_error(g) || (!k.dz && !k.dt)) return;
    int64_t grain = 8192 / k.c->K;
    sg_parallel_for(k.c->N * k.c->S, grain < 1 ? 1 : grain, class_backward_positions, &k);
}

/* Shared by the three class losses: checks, forward, reduction, record. */
static sg_tensor *class_loss(sg_graph *g, const char *op, class_kind kind, sg_tensor *z,
                             const int32_t *targets, sg_tensor *probs, const sg_ce_opts *opt)
{
    const sg_ce_opts o = opt ? *opt : SG_CE_DEFAULTS;
    sg_tensor *in[2] = {z, probs};
    if (!sg_graph_inputs_ok(g, op, kind == CLASS_CE_SOFT ? 2 : 1, in)) return NULL;
    char sz[96], st[96];
    if (z->ndim < 2 || z->shape[1] < 1) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s, expected [N, K] or [N, K, d1, ...] with K >= 1",
                      op, sg_shape_str(z, sz, sizeof sz));
        return NULL;
    }
    if (kind == CLASS_CE_SOFT && !sg_tensor_same_shape(z, probs)) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s and target probabilities %s must have the same shape",
                      op, sg_shape_str(z, sz, sizeof sz), sg_shape_str(probs, st, sizeof st));
        return NULL;
    }
    if (kind != CLASS_CE_SOFT && !targets) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: targets are NULL", op);
        return NULL;
    }
    if (!check_reduction(g, op, o.reduction)) return NULL;
    if (!(o.label_smoothing >= 0.0f && o.label_smoothing <= 1.0f) ||
        (kind == CLASS_NLL && o.label_smoothing != 0.0f)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: label_smoothing %g, expected %s", op,
                      (double)o.label_smoothing, kind == CLASS_NLL ? "0 (NLL has none)" : "a value in [0, 1]");
        return NULL;
    }
    const int64_t N = z->shape[0], K = z->shape[1];
    int64_t S = 1;
    for (int i = 2; i < z->ndim; i++) S *= z->shape[i];
    const int64_t P = N * S;
    if (kind != CLASS_CE_SOFT)
        for (int64_t p = 0; p < P; p++)
            if (targets[p] != o.ignore_index && (targets[p] < 0 || targets[p] >= K)) {
                sg_graph_fail(g, SG_ERR_INVALID, "%s: target[%lld] = %d is not a class in [0, %lld) "
                              "nor ignore_index %d (input %s)", op, (long long)p, (int)targets[p],
                              (long long)K, o.ignore_index, sg_shape_str(z, sz, sizeof sz));
                return NULL;
            }

    /* Output: a scalar, or [N, d1, ...] for reduction none. */
    int64_t none_shape[SG_MAX_DIMS];
    none_shape[0] = N;
    for (int i = 2; i < z->ndim; i++) none_shape[i - 1] = z->shape[i];
    sg_tensor *out = loss_output(g, o.reduction, z->ndim - 1, none_shape);
    if (!out) return NULL;

    class_ctx c = {
        .kind = kind, .N = N, .K = K, .S = S,
        .smoothing = o.label_smoothing, .ignore_index = o.ignore_index, .reduction = o.reduction,
        .targets = targets, .weights = o.class_weights, .probs = probs ? probs->data : NULL,
    };
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    double *loss = sg_graph_alloc(g, (size_t)(2 * P + 1) * sizeof(double));
    if (!loss) return NULL;
    class_work k = {.c = &c, .z = z->data, .loss = loss, .weight = loss + P};
    int64_t grain = 8192 / K;
    sg_parallel_for(P, grain < 1 ? 1 : grain, class_forward_positions, &k);
    /* The canonical reduction (core/sum.h) of the per-position losses and weights. */
    const double total = sg_sum_f64(loss, P), denom = sg_sum_f64(k.weight, P);
    if (o.reduction == SG_REDUCE_NONE)
        for (int64_t p = 0; p < P; p++) out->data[p] = (float)loss[p];
    sg_graph_scratch_release(g, mark);
    /* torch: a mean over nothing (all targets ignored) is 0/0 = nan. */
    c.inv_denom = o.reduction == SG_REDUCE_MEAN ? 1.0 / denom : 1.0;
    if (o.reduction != SG_REDUCE_NONE) out->data[0] = (float)(o.reduction == SG_REDUCE_MEAN ? total / denom : total);

    size_t tbytes = kind == CLASS_CE_SOFT ? 0 : (size_t)P * sizeof(int32_t);
    size_t wbytes = o.class_weights ? (size_t)K * sizeof(float) : 0;
    size_t cbytes = (sizeof c + 63) & ~(size_t)63;
    sg_node *node = sg_graph_record(g, op, out, kind == CLASS_CE_SOFT ? 2 : 1, in, class_backward,
                                    cbytes + tbytes + wbytes);
    if (node) {
        char *mem = node->ctx;
        if (tbytes) c.targets = memcpy(mem + cbytes, targets, tbytes);
        if (wbytes) c.weights = memcpy(mem + cbytes + tbytes, o.class_weights, wbytes);
        *(class_ctx *)node->ctx = c;
    }
    return sg_graph_error(g) ? NULL : out;
}

/* Cross-entropy (https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html). */
sg_tensor *sg_cross_entropy(sg_graph *g, sg_tensor *logits, const int32_t *targets,
                            const sg_ce_opts *opt)
{
    return class_loss(g, "cross_entropy", CLASS_CE, logits, targets, NULL, opt);
}

/* NLL (https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html). */
sg_tensor *sg_nll_loss(sg_graph *g, sg_tensor *log_probs, const int32_t *targets,
                       const sg_ce_opts *opt)
{
    return class_loss(g, "nll_loss", CLASS_NLL, log_probs, targets, NULL, opt);
}

/* Cross-entropy with class probabilities (same PyTorch page, "probabilities" targets). */
sg_tensor *sg_cross_entropy_soft(sg_graph *g, sg_tensor *logits, sg_tensor *target_probs,
                                 const sg_ce_opts *opt)
{
    return class_loss(g, "cross_entropy_soft", CLASS_CE_SOFT, logits, NULL, target_probs, opt);
}

/* ------------------------------------------------------------------------ */
/* Pointwise losses                                                           */
/* ------------------------------------------------------------------------ */

/* With d = x - t (x the prediction or logit, t the target):
 *   MSE:        loss = d^2                          dx = 2d            dt = -dx
 *   L1:         loss = |d|                          dx = sign(d)       dt = -dx   (sign(0) = 0)
 *   smooth L1:  loss = 0.5 d^2 / beta  if |d| < beta,   dx = d / beta
 *                      |d| - 0.5 beta  otherwise,       dx = sign(d)   dt = -dx
 *   BCE with logits, with pos_weight w and softplus(u) = log(1 + e^u):
 *               loss = w t softplus(-x) + (1 - t) softplus(x)
 *                    = -[w t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]
 *               dx = (w t + 1 - t) sigmoid(x) - w t
 *               dt = w softplus(-x) - softplus(x)
 *   softplus is evaluated as max(u, 0) + log1p(exp(-|u|)), finite for any x. */
typedef enum point_kind { POINT_MSE, POINT_L1, POINT_SMOOTH_L1, POINT_BCE } point_kind;

typedef struct point_ctx {
    point_kind kind;
    float beta;
    const float *pos_weight;  /* [C] along the last dim, or NULL */
    int64_t C;
    sg_reduction reduction;
    double inv_denom;
} point_ctx;

static inline double softplus(double u) { return (u > 0 ? u : 0) + sg_log1p_f64(sg_exp_f64(-fabs(u))); }

/* Loss of one element, and (if dx_out) its derivative w.r.t. x and t. */
static inline double point_loss(const point_ctx *c, int64_t i, double x, double t, double *dx_out,
                                double *dt_out)
{
    double d = x - t, loss, dx, dt;
    switch (c->kind) {
    case POINT_MSE:
        loss = d * d;
        dx = 2 * d;
        dt = -dx;
        break;
    case POINT_L1:
        loss = fabs(d);
        dx = (d > 0) - (d < 0);
        dt = -dx;
        break;
    case POINT_SMOOTH_L1:
        if (fabs(d) < c->beta) {
            loss = 0.5 * d * d / c->beta;
            dx = d / c->beta;
        } else {
            loss = fabs(d) - 0.5 * c->beta;
            dx = (d > 0) - (d < 0);
        }
        dt = -dx;
        break;
    default: { /* POINT_BCE */
        double w = c->pos_weight ? c->pos_weight[i % c->C] : 1.0;
        double sp_pos = softplus(x), sp_neg = softplus(-x);
        loss = w * t * sp_neg + (1 - t) * sp_pos;
        dx = (w * t + 1 - t) / (1 + sg_exp_f64(-x)) - w * t;
        dt = w * sp_neg - sp_pos;
        break;
    }
    }
    if (dx_out) *dx_out = dx;
    if (dt_out) *dt_out = dt;
    return loss;
}

#define POINT_GRAIN 8192

typedef struct point_work {
    const point_ctx *c;
    const float *x, *t, *dy;
    float *out;       /* per element (none) */
    double *loss;     /* per element, summed in the canonical order (core/sum.h) */
    float *dx, *dt;
} point_work;

static void point_forward_chunk(void *arg, int64_t i0, int64_t i1)
{
    point_work *k = arg;
    for (int64_t i = i0; i < i1; i++) {
        double l = point_loss(k->c, i, k->x[i], k->t[i], NULL, NULL);
        if (k->out) k->out[i] = (float)l;
        k->loss[i] = l;
    }
}

static void point_backward_chunk(void *arg, int64_t i0, int64_t i1)
{
    point_work *k = arg;
    for (int64_t i = i0; i < i1; i++) {
        double dx, dt, g = upstream(k->dy, k->c->reduction, k->c->inv_denom, i);
        point_loss(k->c, i, k->x[i], k->t[i], &dx, &dt);
        if (k->dx) k->dx[i] += (float)(g * dx);
        if (k->dt) k->dt[i] += (float)(g * dt);
    }
}

static void point_backward(sg_graph *g, sg_node *node)
{
    point_work k = {
        .c = node->ctx,
        .x = node->in[0]->data,
        .t = node->in[1]->data,
        .dy = node->out->grad,
        .dx = sg_node_grad(g, node, 0),
        .dt = sg_node_grad(g, node, 1),
    };
    if (sg_graph_error(g) || (!k.dx && !k.dt)) return;
    sg_parallel_for(node->in[0]->numel, POINT_GRAIN, point_backward_chunk, &k);
}

static sg_tensor *point_loss_op(sg_graph *g, const char *op, point_kind kind, sg_tensor *x,
                                sg_tensor *t, float beta, const float *pos_weight, sg_reduction r)
{
    sg_tensor *in[2] = {x, t};
    if (!sg_graph_inputs_ok(g, op, 2, in)) return NULL;
    if (!sg_tensor_same_shape(x, t)) {
        char sx[96], st[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: input %s and target %s must have the same shape", op,
                      sg_shape_str(x, sx, sizeof sx), sg_shape_str(t, st, sizeof st));
        return NULL;
    }
    if (!check_reduction(g, op, r)) return NULL;
    if (!(beta >= 0.0f) || isinf(beta)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: beta %g, expected a finite value >= 0", op, (double)beta);
        return NULL;
    }
    sg_tensor *out = loss_output(g, r, x->ndim, x->shape);
    if (!out) return NULL;
    /* smooth L1 with beta 0 is L1 (as in PyTorch). */
    point_ctx c = {
        .kind = kind == POINT_SMOOTH_L1 && beta == 0.0f ? POINT_L1 : kind,
        .beta = beta,
        .pos_weight = pos_weight,
        .C = x->ndim ? x->shape[x->ndim - 1] : 1,
        .reduction = r,
    };
    int64_t n = x->numel;
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    double *loss = sg_graph_alloc(g, (size_t)(n + 1) * sizeof(double));
    if (!loss) return NULL;
    point_work k = {.c = &c, .x = x->data, .t = t->data, .loss = loss,
                    .out = r == SG_REDUCE_NONE ? out->data : NULL};
    sg_parallel_for(n, POINT_GRAIN, point_forward_chunk, &k);
    const double total = sg_sum_f64(loss, n);
    sg_graph_scratch_release(g, mark);
    /* torch: the mean of an empty tensor is nan. */
    c.inv_denom = r == SG_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
    if (r != SG_REDUCE_NONE) out->data[0] = (float)(total * c.inv_denom);

    size_t wbytes = pos_weight ? (size_t)c.C * sizeof(float) : 0;
    size_t cbytes = (sizeof c + 63) & ~(size_t)63;
    sg_node *node = sg_graph_record(g, op, out, 2, in, point_backward, cbytes + wbytes);
    if (node) {
        if (wbytes) c.pos_weight = memcpy((char *)node->ctx + cbytes, pos_weight, wbytes);
        *(point_ctx *)node->ctx = c;
    }
    return sg_graph_error(g) ? NULL : out;
}

/* MSE (https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html). */
sg_tensor *sg_mse_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, sg_reduction reduction)
{
    return point_loss_op(g, "mse_loss", POINT_MSE, pred, target, 0.0f, NULL, reduction);
}

/* L1 (https://pytorch.org/docs/stable/generated/torch.nn.L1Loss.html). */
sg_tensor *sg_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, sg_reduction reduction)
{
    return point_loss_op(g, "l1_loss", POINT_L1, pred, target, 0.0f, NULL, reduction);
}

/* Smooth L1 (https://pytorch.org/docs/stable/generated/torch.nn.SmoothL1Loss.html). */
sg_tensor *sg_smooth_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, float beta,
                             sg_reduction reduction)
{
    return point_loss_op(g, "smooth_l1_loss", POINT_SMOOTH_L1, pred, target, beta, NULL, reduction);
}

/* BCE with logits (https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html). */
sg_tensor *sg_bce_with_logits(sg_graph *g, sg_tensor *logits, sg_tensor *targets,
                              const float *pos_weight, sg_reduction reduction)
{
    return point_loss_op(g, "bce_with_logits", POINT_BCE, logits, targets, 0.0f, pos_weight, reduction);
}

/* optim/gradient.c - L2 penalty and gradient-norm clipping (see gradient.h).
 *
 * The sums run in double over the parameters in store order, each parameter's
 * values in the canonical order of core/sum.h: a fixed order, so the same on
 * any thread count and ISA, and at a few flops per weight once a step they
 * cost little next to forward and backward. */
#include "optim/gradient.h"

#include <math.h>
#include <stddef.h>

#include "core/sum.h"

static bool trainable(const sg_param *p) { return !p->buffer && !p->frozen && p->t.grad; }

static bool l2_chosen(const sg_param *p, sg_l2_select select, sg_param_pred_fn pred, void *ctx)
{
    switch (select) {
    case SG_L2_KERNELS: return p->t.ndim >= 2;
    case SG_L2_DECAYED: return !p->no_decay;
    case SG_L2_ALL: return true;
    default: return pred(p, ctx);
    }
}

/* penalty = lambda * sum_i w_i^2;  d penalty / d w_i = 2 * lambda * w_i. */
sg_err sg_l2_penalty(sg_params *ps, float lambda, sg_l2_select select, sg_param_pred_fn pred,
                     void *ctx, double *penalty)
{
    if (penalty) *penalty = 0;
    if (!(lambda >= 0) || !isfinite(lambda))
        return sg_error_set(SG_ERR_INVALID, "l2 penalty: lambda must be a finite value >= 0, got %g",
                            (double)lambda);
    if ((unsigned)select > SG_L2_PREDICATE || (select == SG_L2_PREDICATE && !pred))
        return sg_error_set(SG_ERR_INVALID, "l2 penalty: bad selection %d (or predicate missing)",
                            (int)select);
    double sum = 0;
    float two_lambda = 2.0f * lambda;
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!trainable(p) || !l2_chosen(p, select, pred, ctx)) continue;
        const float *w = p->t.data;
        float *g = p->t.grad;
        sum += sg_dot_f32(w, w, p->t.numel);   /* canonical order, core/sum.h */
        for (int64_t k = 0; k < p->t.numel; k++) g[k] += two_lambda * w[k];
    }
    if (penalty) *penalty = (double)lambda * sum;
    return SG_OK;
}

/* total = ||concat(g)||_2; when max_norm / (total + 1e-6) < 1, g *= that ratio
 * (torch clamps the coefficient at 1.0 and always multiplies: the same numbers). */
sg_err sg_clip_grad_norm(sg_params *ps, float max_norm, double *total_norm)
{
    if (total_norm) *total_norm = 0;
    if (!(max_norm >= 0))
        return sg_error_set(SG_ERR_INVALID, "clip grad norm: max_norm must be >= 0, got %g",
                            (double)max_norm);
    double sumsq = 0;
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        if (!trainable(p)) continue;
        sumsq += sg_dot_f32(p->t.grad, p->t.grad, p->t.numel);   /* canonical order, core/sum.h */
    }
    double total = sqrt(sumsq);
    if (total_norm) *total_norm = total;
    if (!isfinite(total)) return SG_OK;
    /* torch computes the norm and the coefficient as float32 tensors. */
    float coef = (float)max_norm / ((float)total + 1e-6f);
    if (!(coef < 1.0f)) return SG_OK;
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!trainable(p)) continue;
        for (int64_t k = 0; k < p->t.numel; k++) p->t.grad[k] *= coef;
    }
    return SG_OK;
}

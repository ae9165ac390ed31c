/* optim/gradient.h - what a training step does to the gradients between
 * backward and the optimiser: add an L2 penalty, clip their global norm.
 *
 * Both act on the trainable parameters of a store (not buffers, not frozen,
 * with a gradient array), walk them in store order and sum in double, so the
 * result does not depend on the thread count. */
#ifndef SG_GRADIENT_H
#define SG_GRADIENT_H

#include <stdbool.h>

#include "core/error.h"
#include "core/param.h"

/* Which parameters an L2 penalty covers. */
typedef enum sg_l2_select {
    SG_L2_KERNELS,    /* weights of ndim >= 2 (conv and linear kernels): Keras kernel_regularizer */
    SG_L2_DECAYED,    /* every parameter not flagged no_decay */
    SG_L2_ALL,        /* every trainable parameter */
    SG_L2_PREDICATE,  /* those for which pred(param, ctx) is true */
} sg_l2_select;

typedef bool (*sg_param_pred_fn)(const sg_param *p, void *ctx);

/* Keras' l2(lambda) regulariser (https://keras.io/api/layers/regularizers/):
 * penalty = lambda * sum(w^2) over the chosen weights, and dL/dw += 2*lambda*w
 * on each. Call after backward, before clipping and the step; add *penalty
 * (may be NULL) to the logged loss. Frozen weights are constants here: no
 * gradient and no share of the penalty. SG_ERR_INVALID for lambda < 0 / NaN
 * or a missing predicate. (Note Keras' l2 has no factor 1/2: PyTorch's
 * weight_decay=wd equals l2(wd/2).) */
sg_err sg_l2_penalty(sg_params *ps, float lambda, sg_l2_select select, sg_param_pred_fn pred,
                     void *ctx, double *penalty);

/* torch.nn.utils.clip_grad_norm_(params, max_norm), norm_type 2
 * (https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html):
 * total = sqrt(sum of g^2 over every gradient, as one concatenated vector);
 * coef = max_norm / (total + 1e-6); if coef < 1 every gradient is scaled by coef.
 * *total_norm (may be NULL) gets the norm before clipping. A non-finite total
 * leaves the gradients as they are (torch would scale them by NaN) so the
 * caller can skip the step. SG_ERR_INVALID for max_norm < 0 / NaN. */
sg_err sg_clip_grad_norm(sg_params *ps, float max_norm, double *total_norm);

#endif

/* layers/loss.h - loss functions with PyTorch semantics.
 *
 * Each loss returns a scalar tensor (ndim 0) for SG_REDUCE_MEAN and
 * SG_REDUCE_SUM, or the per-sample / per-element losses for SG_REDUCE_NONE.
 * Reductions add in a fixed order in double, so the value does not depend on
 * the number of threads. Errors (shapes, bad targets, bad options) return
 * NULL with a graph error naming the loss. */
#ifndef SG_LOSS_H
#define SG_LOSS_H

#include <stdint.h>

#include "core/graph.h"

typedef enum sg_reduction {
    SG_REDUCE_MEAN = 0,  /* PyTorch's default */
    SG_REDUCE_SUM,
    SG_REDUCE_NONE
} sg_reduction;

/* Options of the class-index losses (cross-entropy, NLL). NULL = the PyTorch
 * defaults, SG_CE_DEFAULTS. Start from SG_CE_DEFAULTS when changing a field:
 * a zero-initialised struct would make class 0 the ignored index. */
typedef struct sg_ce_opts {
    const float *class_weights;  /* K weights (copied), or NULL for all 1 */
    float label_smoothing;       /* in [0, 1]; cross-entropy only */
    int ignore_index;            /* targets equal to it add nothing (PyTorch: -100) */
    sg_reduction reduction;
} sg_ce_opts;
#define SG_CE_DEFAULTS ((sg_ce_opts){NULL, 0.0f, -100, SG_REDUCE_MEAN})

/* Cross-entropy of logits [N, K] (or [N, K, d1, ...]) against class indices
 * targets[N] (or [N * d1 * ...], row-major), as torch.nn.functional.cross_entropy:
 * the mean divides by the sum of the targets' class weights; label smoothing
 * mixes in the uniform distribution, weighted the same way. */
sg_tensor *sg_cross_entropy(sg_graph *g, sg_tensor *logits, const int32_t *targets,
                            const sg_ce_opts *opt);

/* Negative log-likelihood of log-probabilities [N, K] (or [N, K, d1, ...]), as
 * torch.nn.functional.nll_loss; opt->label_smoothing must be 0. */
sg_tensor *sg_nll_loss(sg_graph *g, sg_tensor *log_probs, const int32_t *targets,
                       const sg_ce_opts *opt);

/* Cross-entropy against target probabilities shaped like the logits (soft or
 * one-hot labels; Keras categorical_crossentropy(from_logits=True)), as
 * torch's cross_entropy with probability targets: the mean divides by the
 * number of samples. ignore_index is not used. Gradients reach both inputs. */
sg_tensor *sg_cross_entropy_soft(sg_graph *g, sg_tensor *logits, sg_tensor *target_probs,
                                 const sg_ce_opts *opt);

/* (pred - target)^2, torch.nn.functional.mse_loss. Same shapes; gradients reach both. */
sg_tensor *sg_mse_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, sg_reduction reduction);

/* |pred - target|, torch.nn.functional.l1_loss. Same shapes; gradients reach both. */
sg_tensor *sg_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, sg_reduction reduction);

/* Smooth L1 (torch.nn.functional.smooth_l1_loss): 0.5 d^2 / beta where |d| < beta,
 * |d| - 0.5 beta elsewhere (beta >= 0; beta 0 is L1). PyTorch default beta = 1. */
sg_tensor *sg_smooth_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target, float beta,
                             sg_reduction reduction);

/* Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits),
 * in the stable softplus form. pos_weight: one weight per entry of the last
 * dimension (copied), or NULL. Targets in [0, 1], same shape; gradients reach both. */
sg_tensor *sg_bce_with_logits(sg_graph *g, sg_tensor *logits, sg_tensor *targets,
                              const float *pos_weight, sg_reduction reduction);

#endif

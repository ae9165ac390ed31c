/* layers/norm.h - batch normalisation and layer normalisation.
 *
 * Numerics follow PyTorch, so imported weights give the same answer:
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 * with the BIASED variance of the batch when normalising in training mode and
 * the UNBIASED one (n / (n - 1)) when updating the running variance.
 *
 * BatchNorm defaults (PyTorch): momentum 0.1, eps 1e-5. Keras/TensorFlow
 * models use momentum 0.99 in Keras terms, which is 0.01 in PyTorch terms
 * (running = (1 - m) * running + m * batch), and eps 1e-3: pass
 * SG_BN_KERAS_MOMENTUM and SG_BN_KERAS_EPS for those presets. PyTorch's
 * momentum=None (a cumulative average) is not offered. */
#ifndef SG_NORM_H
#define SG_NORM_H

#include "core/graph.h"

#define SG_BN_MOMENTUM 0.1f        /* PyTorch default */
#define SG_BN_EPS 1e-5f            /* PyTorch default */
#define SG_BN_KERAS_MOMENTUM 0.01f /* Keras momentum=0.99 in PyTorch terms */
#define SG_BN_KERAS_EPS 1e-3f      /* Keras default epsilon */
#define SG_LN_EPS 1e-5f            /* PyTorch LayerNorm default (Keras/ViT often use 1e-6) */

/* BatchNorm2d over x [N, C, H, W] (torch.nn.BatchNorm2d). weight, bias: [C] or
 * NULL (1 and 0). running_mean, running_var: [C] buffers (pass &param->t), or
 * both NULL to always normalise with batch statistics (track_running_stats=False).
 * Training mode (sg_graph_training): batch statistics, and the running stats
 * are updated in place even in no-grad mode (as PyTorch does); eval mode: the
 * running stats. Returns NULL with a graph error on bad shapes or options. */
sg_tensor *sg_batchnorm2d(sg_graph *g, sg_tensor *x, sg_tensor *weight, sg_tensor *bias,
                          sg_tensor *running_mean, sg_tensor *running_var, float momentum,
                          float eps);

/* BatchNorm1d over x [N, C] or [N, C, L] (torch.nn.BatchNorm1d); otherwise as
 * sg_batchnorm2d. */
sg_tensor *sg_batchnorm1d(sg_graph *g, sg_tensor *x, sg_tensor *weight, sg_tensor *bias,
                          sg_tensor *running_mean, sg_tensor *running_var, float momentum,
                          float eps);

/* LayerNorm over the last `n_norm_dims` dimensions of x (torch.nn.LayerNorm
 * with normalized_shape = those dims). weight, bias: shaped like those
 * trailing dims, or NULL. Returns NULL with a graph error on bad shapes. */
sg_tensor *sg_layernorm(sg_graph *g, sg_tensor *x, int n_norm_dims, sg_tensor *weight,
                        sg_tensor *bias, float eps);

#endif

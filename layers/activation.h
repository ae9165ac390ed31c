/* layers/activation.h - pointwise activations and (log-)softmax.
 *
 * Every op keeps the input's shape. softmax and log_softmax take a dim that
 * may be negative (counted from the end, as in PyTorch); a dim out of range
 * returns NULL with a graph error naming the op, the dim and the shape. */
#ifndef SG_ACTIVATION_H
#define SG_ACTIVATION_H

#include "core/graph.h"

/* max(x, 0) (torch.nn.functional.relu). */
sg_tensor *sg_relu(sg_graph *g, sg_tensor *x);
/* min(max(x, 0), 6) (torch.nn.functional.relu6). */
sg_tensor *sg_relu6(sg_graph *g, sg_tensor *x);
/* min(max(x, lo), hi) (torch.nn.functional.hardtanh); error if lo > hi. */
sg_tensor *sg_hardtanh(sg_graph *g, sg_tensor *x, float lo, float hi);
/* The same two, in place (torch's inplace=True): the result is a new tensor
 * header over x's memory, and x's values are overwritten. The backward reads
 * its mask from the result, so gradients are bit-identical to sg_relu /
 * sg_relu6. Only for an x that nothing else reads afterwards, neither forward
 * nor backward (e.g. a BatchNorm output: BatchNorm's backward reads its input,
 * not its output); it saves one activation-sized buffer per call. */
sg_tensor *sg_relu_inplace(sg_graph *g, sg_tensor *x);
sg_tensor *sg_relu6_inplace(sg_graph *g, sg_tensor *x);
/* x if x > 0 else negative_slope * x (torch.nn.functional.leaky_relu). */
sg_tensor *sg_leaky_relu(sg_graph *g, sg_tensor *x, float negative_slope);
/* x * Phi(x), the exact (erf) GELU (torch.nn.functional.gelu, approximate='none'). */
sg_tensor *sg_gelu(sg_graph *g, sg_tensor *x);
/* The tanh approximation of GELU (torch.nn.functional.gelu, approximate='tanh'). */
sg_tensor *sg_gelu_tanh(sg_graph *g, sg_tensor *x);
/* 1 / (1 + e^-x) (torch.sigmoid). */
sg_tensor *sg_sigmoid(sg_graph *g, sg_tensor *x);
/* tanh(x) (torch.tanh). */
sg_tensor *sg_tanh(sg_graph *g, sg_tensor *x);
/* exp(x) / sum(exp(x)) along dim (torch.softmax). */
sg_tensor *sg_softmax(sg_graph *g, sg_tensor *x, int dim);
/* x - log(sum(exp(x))) along dim (torch.log_softmax). */
sg_tensor *sg_log_softmax(sg_graph *g, sg_tensor *x, int dim);

#endif

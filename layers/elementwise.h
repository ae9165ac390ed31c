/* layers/elementwise.h - elementwise arithmetic with NumPy/PyTorch broadcasting.
 *
 * Binary ops broadcast (layers/broadcast.h): shapes are right-aligned and a
 * size-1 or missing dim is repeated. The gradient of a broadcast input is the
 * sum of the output gradient over the repeated dims (layers/reduce.h:
 * double accumulator, fixed order), so results are the same on any number of
 * threads. Every op returns NULL and sets the graph error (naming the op and
 * both shapes) when the shapes do not broadcast. */
#ifndef SG_ELEMENTWISE_H
#define SG_ELEMENTWISE_H

#include "core/graph.h"

/* a + b, broadcast (torch.add). */
sg_tensor *sg_add(sg_graph *g, sg_tensor *a, sg_tensor *b);
/* a + b written over a (torch's a += b; b may broadcast to a's shape, a may
 * not grow): the result is a new tensor header over a's memory. Values and
 * gradients equal sg_add's. Only for an `a` that nothing reads afterwards,
 * neither forward nor backward (e.g. a BatchNorm or conv output before a
 * residual sum): it saves one activation-sized buffer per call. */
sg_tensor *sg_add_inplace(sg_graph *g, sg_tensor *a, sg_tensor *b);
/* a - b, broadcast (torch.sub). */
sg_tensor *sg_sub(sg_graph *g, sg_tensor *a, sg_tensor *b);
/* a * b, broadcast (torch.mul). */
sg_tensor *sg_mul(sg_graph *g, sg_tensor *a, sg_tensor *b);
/* a / b, broadcast (torch.div, true division). */
sg_tensor *sg_div(sg_graph *g, sg_tensor *a, sg_tensor *b);

/* x + s (subtract with s = -c). */
sg_tensor *sg_add_scalar(sg_graph *g, sg_tensor *x, float s);
/* x * s (divide with s = 1 / c). */
sg_tensor *sg_mul_scalar(sg_graph *g, sg_tensor *x, float s);
/* -x. */
sg_tensor *sg_neg(sg_graph *g, sg_tensor *x);
/* x * x (torch.square). */
sg_tensor *sg_square(sg_graph *g, sg_tensor *x);
/* sqrt(x) (torch.sqrt; NaN for x < 0). */
sg_tensor *sg_sqrt(sg_graph *g, sg_tensor *x);
/* exp(x) (torch.exp). */
sg_tensor *sg_exp(sg_graph *g, sg_tensor *x);
/* natural log(x) (torch.log; -inf at 0, NaN below). */
sg_tensor *sg_log(sg_graph *g, sg_tensor *x);
/* |x| (torch.abs; the gradient at 0 is 0). */
sg_tensor *sg_abs(sg_graph *g, sg_tensor *x);

#endif

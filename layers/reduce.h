/* layers/reduce.h - reductions over a set of axes: sum, mean, max.
 *
 * Axes follow PyTorch: negative axes count from the end, n_axes = 0 means every
 * axis, keepdim keeps the reduced axes as size 1. Reducing every axis without
 * keepdim gives a scalar (ndim 0).
 *
 * Determinism: every output element is summed by one thread, in the row-major
 * order of the input, in a double accumulator (the sum of a whole tensor is
 * cut into at most 64 pieces fixed by its size, summed the same way, and the
 * pieces added in order). So results are bit-identical for any thread count. */
#ifndef SG_REDUCE_H
#define SG_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"

/* Sum over axes (torch.sum(x, dim, keepdim)). NULL + graph error on a bad axis. */
sg_tensor *sg_sum(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim);
/* Mean over axes (torch.mean(x, dim, keepdim)); an empty reduction gives NaN. */
sg_tensor *sg_mean(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim);
/* Max over axes (torch.amax values); the gradient goes to the FIRST maximal
 * element in row-major order (as torch.max(x, dim) does), not split among ties. */
sg_tensor *sg_max(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim);
/* Sum of every element: a scalar (ndim 0). */
sg_tensor *sg_sum_all(sg_graph *g, sg_tensor *x);
/* Mean of every element: a scalar (ndim 0). */
sg_tensor *sg_mean_all(sg_graph *g, sg_tensor *x);

/* Kernel (no graph): dst += scale * (sum of src over the axes where dst has
 * extent 1 and src does not). dst_shape is right-aligned against src_shape
 * (dst_ndim <= src_ndim; missing leading dims are reduced); every other
 * extent must equal src's. This is also the backward of broadcasting. */
void sg_reduce_sum_to(float *dst, int dst_ndim, const int64_t *dst_shape, const float *src,
                      int src_ndim, const int64_t *src_shape, double scale);

#endif

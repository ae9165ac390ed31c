/* layers/broadcast.h - NumPy/PyTorch broadcasting: the shape rule and the
 * strided walk that binary elementwise ops (and the backward of reductions)
 * use to read a smaller input as if it had the output's shape.
 *
 * The rule (https://pytorch.org/docs/stable/notes/broadcasting.html): shapes
 * are aligned on the right; the missing leading dims count as 1; in every dim
 * the two extents are equal or one of them is 1, and the output takes the
 * larger. A size-1 (or missing) dim of an input is "broadcast": the input's
 * stride there is 0.
 *
 * A plan collapses the output's dims into as few groups as possible (adjacent
 * dims where both inputs are broadcast or both are not, with size-1 dims
 * dropped), so the common cases become short loops with unit or zero stride:
 *   same shape                 -> one group,      strides (1, 1)
 *   [N,C,H,W] op [1,C,1,1]     -> [N, C, H*W],    b strides (0, 1, 0)
 *   x op scalar                -> one group,      strides (1, 0)
 * The output is walked as `rows` rows of `len` contiguous elements; in a row
 * each input advances by its inner stride, 0 or 1. */
#ifndef SG_BROADCAST_H
#define SG_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tensor.h"

typedef struct sg_bcast_plan {
    int ndim;                          /* collapsed dims (>= 1) */
    int64_t shape[SG_MAX_DIMS];        /* collapsed output extents */
    int64_t stride[2][SG_MAX_DIMS];    /* element strides of inputs 0 and 1; 0 = broadcast */
    int64_t len;                       /* shape[ndim-1]: the length of one row */
    int64_t rows;                      /* numel / len (0 for an empty output) */
    int64_t inner[2];                  /* stride[k][ndim-1]: 0 or 1 */
} sg_bcast_plan;

/* A position in the walk: the row's coordinates and both inputs' offsets. */
typedef struct sg_bcast_cursor {
    int64_t idx[SG_MAX_DIMS];
    int64_t off[2];
} sg_bcast_cursor;

/* The broadcast of shapes a (na dims) and b (nb dims) into out (*nout dims).
 * Returns false when some dim has two different extents, neither 1. */
bool sg_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *nout,
                        int64_t *out);

/* Plan the walk over an output of shape out (ndim dims) for inputs of shapes
 * a and b that broadcast to it (checked by the caller). */
void sg_bcast_plan_init(sg_bcast_plan *p, int ndim, const int64_t *out, int na, const int64_t *a,
                        int nb, const int64_t *b);

/* Put the cursor at the start of row `row` (0 <= row < rows). */
void sg_bcast_seek(const sg_bcast_plan *p, sg_bcast_cursor *c, int64_t row);
/* Advance the cursor by one row. */
void sg_bcast_next(const sg_bcast_plan *p, sg_bcast_cursor *c);

/* Grain (in rows) for sg_parallel_for: about 16k output elements per chunk.
 * Depends only on the sizes, so results never depend on the thread count. */
int64_t sg_bcast_row_grain(const sg_bcast_plan *p);

/* dst[i] += scale * src[broadcast(i)] for every i of dst (shape dst_shape,
 * dst_ndim dims); src must broadcast to dst_shape. The backward of a sum or a
 * mean: every output gradient flows back to each element it summed. Threaded,
 * each element computed on its own. */
void sg_broadcast_add(float *dst, int dst_ndim, const int64_t *dst_shape, const float *src,
                      int src_ndim, const int64_t *src_shape, float scale);

#endif

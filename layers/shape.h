/* layers/shape.h - ops that move values around without arithmetic:
 * reshape, flatten, permute, transpose, concat, slice, pad.
 *
 * reshape and flatten return a view: the output shares the input's data (no
 * copy) but is a tensor of its own on the tape, whose backward adds its
 * gradient into the input's. Do not write into a view's data. The other ops
 * copy into a new arena tensor. Every op fails (NULL + graph error naming the
 * op and the shapes) before computing anything when the shapes do not fit. */
#ifndef SG_SHAPE_H
#define SG_SHAPE_H

#include <stdint.h>

#include "core/graph.h"

/* "To the end of the dimension" for sg_slice's end (Python's x[a:]). */
#define SG_SLICE_END INT64_MAX

/* x with a new shape of the same numel; one entry may be -1 (inferred) (torch.reshape). View. */
sg_tensor *sg_reshape(sg_graph *g, sg_tensor *x, int ndim, const int64_t *shape);

/* Merge dims start_dim..end_dim (negative counts from the end) into one (torch.flatten). View. */
sg_tensor *sg_flatten(sg_graph *g, sg_tensor *x, int start_dim, int end_dim);

/* y.shape[i] = x.shape[perm[i]]; perm is a permutation of 0..ndim-1, negatives allowed (torch.permute). */
sg_tensor *sg_permute(sg_graph *g, sg_tensor *x, const int *perm);

/* Swap dims d0 and d1 (negative counts from the end) (torch.transpose). */
sg_tensor *sg_transpose(sg_graph *g, sg_tensor *x, int d0, int d1);

/* Join n >= 1 tensors along dim; all other dims must match (torch.cat). */
sg_tensor *sg_concat(sg_graph *g, int n, sg_tensor *const *inputs, int dim);

/* x[..., start:end:step, ...] on dim with Python slice semantics: negative start/end
 * count from the end, out-of-range ones clamp, step >= 1; may be empty. */
sg_tensor *sg_slice(sg_graph *g, sg_tensor *x, int dim, int64_t start, int64_t end, int64_t step);

typedef enum sg_pad_mode {
    SG_PAD_CONSTANT,   /* fill with a value; negative pads crop */
    SG_PAD_REFLECT,    /* mirror without repeating the edge: pad < size */
    SG_PAD_REPLICATE,  /* repeat the edge value */
    SG_PAD_CIRCULAR    /* wrap around: pad <= size */
} sg_pad_mode;

/* torch.nn.functional.pad: pads = (left, right) of the last dim, then (top, bottom)
 * of the one before, ...; n_pads is even and <= 2 * ndim. value is for SG_PAD_CONSTANT. */
sg_tensor *sg_pad(sg_graph *g, sg_tensor *x, int n_pads, const int64_t *pads, sg_pad_mode mode,
                  float value);

#endif

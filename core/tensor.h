/* core/tensor.h - the tensor: a float32, row-major, contiguous view.
 *
 * A tensor never owns its memory. Its `data` (and `grad`) point into one of:
 *   - a parameter store (core/param.h): weights, their gradients, long-lived;
 *   - a graph's step arena (core/graph.h): activations, reset every step;
 *   - the caller's own buffer (sg_tensor_view).
 * Images and feature maps are NCHW, the layout of PyTorch checkpoints. */
#ifndef SG_TENSOR_H
#define SG_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_MAX_DIMS 6

typedef struct sg_tensor {
    float *data;                  /* numel floats */
    float *grad;                  /* numel floats, or NULL until backward reaches it */
    int64_t shape[SG_MAX_DIMS];   /* shape[0..ndim-1]; unused entries are 1 */
    int ndim;                     /* 0 (a scalar) .. SG_MAX_DIMS */
    int64_t numel;                /* product of the shape (1 for a scalar) */
    bool requires_grad;           /* backward computes a gradient for it */
    bool retain_grad;             /* asked for by the user (Grad-CAM): keep and expose grad */
    bool is_param;                /* data/grad belong to a parameter store */
    const char *name;             /* optional, for messages; not owned */
} sg_tensor;

/* Product of shape[0..ndim-1]; -1 if a dimension is negative or it overflows. */
int64_t sg_shape_numel(int ndim, const int64_t *shape);

/* Fill `t` as a view of `data` with the given shape (no allocation, no grad).
 * Returns false if ndim is out of range or the shape is invalid. */
bool sg_tensor_view(sg_tensor *t, float *data, int ndim, const int64_t *shape);

/* Write "[2, 3, 4]" into buf (always terminated); returns buf. */
char *sg_shape_str(const sg_tensor *t, char *buf, size_t size);

/* Same ndim and same extents. */
bool sg_tensor_same_shape(const sg_tensor *a, const sg_tensor *b);

/* Dimension i, with Python-style negative indices (-1 = last); 1 if out of range. */
int64_t sg_tensor_dim(const sg_tensor *t, int i);

#endif

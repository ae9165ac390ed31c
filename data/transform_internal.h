/* data/transform_internal.h - helpers shared by the transform files
 * (transform.c, resize.c, color.c, affine.c, augment.c, clahe.c); not API. */
#ifndef SG_TRANSFORM_INTERNAL_H
#define SG_TRANSFORM_INTERNAL_H

#include <stddef.h>

#include "core/kernels/kernels.h"
#include "data/transform.h"

/* SG_ERR_INVALID / SG_ERR_SHAPE unless img is non-NULL with data and
 * 1 <= c, h, w and c*h*w fits in memory; `op` and `role` ("input",
 * "output") name it in the message. */
sg_err sg_fimage_check(const char *op, const char *role, const sg_fimage *img);

/* Index of the sample that stands for position i (any integer) of a line of
 * n >= 1 samples under `border`, or -1 for SG_BORDER_CONSTANT outside. The
 * extensions are periodic: symmetric 2n, reflect101 2n - 2, wrap n. */
int sg_border_index(int i, int n, sg_border border);

/* Working memory: `scratch` when the caller gave it, else a malloc of
 * `bytes` remembered in *owned (free(*owned) afterwards; NULL if none).
 * Returns NULL (with SG_ERR_NOMEM set) when the allocation fails. */
void *sg_scratch_take(void *scratch, size_t bytes, void **owned, const char *op);

/* Round a byte count up to a multiple of 64, so pieces carved one after the
 * other from one scratch block stay aligned for doubles and vectors. */
static inline size_t sg_scratch_align(size_t bytes)
{
    return (bytes + 63) & ~(size_t)63;
}

/* The filter table of the antialiased resize (BILINEAR_AA, AREA) for in ->
 * out samples, as the kernel families resize_h / resize_v take it, carved
 * from `mem` of sg_resize_taps_bytes(in, out, mode) bytes (64-byte aligned);
 * for data/kernel_compare.c and the tests. */
size_t sg_resize_taps_bytes(int in, int out, sg_resize_mode mode);
sg_resize_taps sg_resize_taps_make(int in, int out, sg_resize_mode mode, void *mem);

#endif

/* core/kernels/reduce_walk.h - the odometer over a sg_reduce_walk's positions
 * and the maximum's "beats" rule, shared by reduce_scalar.c and reduce_simd.h
 * so every twin visits the positions in the same order. */
#ifndef SG_KERNELS_REDUCE_WALK_H
#define SG_KERNELS_REDUCE_WALK_H

#include <math.h>

#include "core/kernels/kernels.h"

typedef struct sg_rw_cursor {
    int64_t idx[SG_REDUCE_WALK_DIMS];
    int64_t off, left;   /* the current position's offset; positions left, this one included */
} sg_rw_cursor;

static inline void sg_rw_begin(const sg_reduce_walk *r, sg_rw_cursor *c)
{
    c->off = 0, c->left = 1;
    for (int d = 0; d < r->n; d++) c->idx[d] = 0, c->left *= r->size[d];
}

/* Step to the next position; false when there is none. */
static inline bool sg_rw_next(const sg_reduce_walk *r, sg_rw_cursor *c)
{
    if (--c->left <= 0) return false;
    for (int d = r->n - 1; d >= 0; d--) {
        c->off += r->stride[d];
        if (++c->idx[d] < r->size[d]) break;
        c->off -= r->stride[d] * r->size[d];
        c->idx[d] = 0;
    }
    return true;
}

/* The largest offset of the walk. */
static inline int64_t sg_rw_max_offset(const sg_reduce_walk *r)
{
    int64_t m = 0;
    for (int d = 0; d < r->n; d++) m += (r->size[d] - 1) * r->stride[d];
    return m;
}

/* "v is a new maximum": larger, or the first NaN (max propagates NaN like torch). */
static inline bool sg_rw_beats(float v, float best) { return v > best || (isnan(v) && !isnan(best)); }

#endif

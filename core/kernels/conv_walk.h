/* core/kernels/conv_walk.h - the loops of im2col and col2im around their row
 * operations, shared by the scalar twin (conv_scalar.c) and the SIMD twins
 * (conv_simd.h), so every twin visits the same (row, column) pairs in the
 * same order and differs only in how one output-row segment is copied or
 * added. Included by those files only. */
#ifndef SG_KERNELS_CONV_WALK_H
#define SG_KERNELS_CONV_WALK_H

#include "core/kernels/kernels.h"

static inline int64_t sg_cw_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t sg_cw_max(int64_t a, int64_t b) { return a > b ? a : b; }

/* Walks the columns [j0, j0 + ncols) in segments that stay inside one output
 * row: image n, output row oh, columns ow0 .. ow0 + len - 1, which sit at
 * offset `done` of the chunk. */
typedef struct sg_cw_segments {
    int64_t OH, OW, ncols;
    int64_t n, oh, ow0, len, done;
} sg_cw_segments;

static inline void sg_cw_begin(sg_cw_segments *s, const sg_dw_geom *g, int64_t j0, int64_t ncols)
{
    const int64_t P = g->OH * g->OW;
    s->OH = g->OH, s->OW = g->OW, s->ncols = ncols;
    s->n = j0 / P, s->oh = (j0 % P) / g->OW, s->ow0 = (j0 % P) % g->OW;
    s->len = -1, s->done = 0;
}

static inline bool sg_cw_next(sg_cw_segments *s)
{
    if (s->len >= 0) {   /* step past the previous segment */
        s->done += s->len;
        s->ow0 = 0;
        if (++s->oh == s->OH) {
            s->oh = 0;
            s->n++;
        }
    }
    if (s->done >= s->ncols) return false;
    s->len = sg_cw_min(s->OW - s->ow0, s->ncols - s->done);
    return true;
}

/* One im2col segment: out[q] for q in [0, end): +0.0f for q < a and q >= b,
 * xrow[base + q * sw] for a <= q < b (only those are read: base may be < 0). */
typedef void sg_cw_copy_fn(float *out, const float *xrow, int64_t base, int64_t sw, int64_t a, int64_t b,
                           int64_t end);
/* One col2im segment: xrow[base + q * sw] += in[q] for q in [a, b), in increasing q. */
typedef void sg_cw_add_fn(float *xrow, int64_t base, const float *in, int64_t sw, int64_t a, int64_t b);

static inline void sg_cw_im2col(const sg_dw_geom *g, const float *x, int64_t img_stride, int64_t j0, int64_t ncols,
                                int64_t r0, int64_t r1, float *col, sg_cw_copy_fn *copy)
{
    const int64_t KK = g->KH * g->KW, HW = g->H * g->W;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t c = r / KK, kh = (r % KK) / g->KW, kw = r % g->KW;
        const int64_t off_w = kw * g->dil_w - g->pad_left;
        int64_t lo, hi;
        sg_dw_tap_range(off_w, g->stride_w, g->W, g->OW, &lo, &hi);
        sg_cw_segments s;
        for (sg_cw_begin(&s, g, j0, ncols); sg_cw_next(&s);) {
            float *out = col + r * ncols + s.done;   /* out[ow - ow0], ow in the segment */
            const int64_t ih = s.oh * g->stride_h - g->pad_top + kh * g->dil_h, end = s.len;
            int64_t a = sg_cw_max(lo - s.ow0, 0), b = sg_cw_min(hi - s.ow0, end);
            if (ih < 0 || ih >= g->H || a > b) a = b = end;   /* the whole segment is padding */
            const float *xrow = a < b ? x + s.n * img_stride + c * HW + ih * g->W : x;
            copy(out, xrow, s.ow0 * g->stride_w + off_w, g->stride_w, a, b, end);
        }
    }
}

static inline void sg_cw_col2im(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0,
                                int64_t c1, float *dx, int64_t img_stride, sg_cw_add_fn *add)
{
    const int64_t KK = g->KH * g->KW, HW = g->H * g->W;
    for (int64_t c = c0; c < c1; c++)
        for (int64_t t = 0; t < KK; t++) {
            const int64_t kh = t / g->KW, kw = t % g->KW;
            const int64_t off_w = kw * g->dil_w - g->pad_left;
            int64_t lo, hi;
            sg_dw_tap_range(off_w, g->stride_w, g->W, g->OW, &lo, &hi);
            sg_cw_segments s;
            for (sg_cw_begin(&s, g, j0, ncols); sg_cw_next(&s);) {
                const int64_t ih = s.oh * g->stride_h - g->pad_top + kh * g->dil_h;
                if (ih < 0 || ih >= g->H) continue;
                const int64_t a = sg_cw_max(lo - s.ow0, 0), b = sg_cw_min(hi - s.ow0, s.len);
                if (a >= b) continue;
                const float *in = col + (c * KK + t) * ncols + s.done;
                add(dx + s.n * img_stride + c * HW + ih * g->W, s.ow0 * g->stride_w + off_w, in, g->stride_w, a, b);
            }
        }
}

#endif

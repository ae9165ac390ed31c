/* layers/conv_kernels.h - the convolution machinery shared by conv2d and
 * conv_transpose2d (not a public API; models call layers/conv.h).
 *
 * Everything here works on raw pointers and the sizes of one convolution,
 * gathered in an sg_conv_geom:
 *
 *   y[n, o, oh, ow] = sum_{c in group(o), kh, kw}
 *                     w[o, c - c0(o), kh, kw] * x[n, c, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw]
 *
 * (zero where the x index falls outside the image). The three products of
 * this one linear map are all that conv2d and conv_transpose2d need:
 *
 *   forward        y  = conv(x, w)               (conv2d forward; conv_transpose2d dx)
 *   backward data  dx += conv^T(dy, w)           (conv2d dx;     conv_transpose2d forward)
 *   backward weight dw += d conv(x, w)/dw . dy   (conv2d dw;     conv_transpose2d dw)
 *
 * The strategies, chosen from the sizes (and, for the direct forward, whether
 * the kernel table has a SIMD twin of it):
 *   - depthwise (one input channel per group: groups == C): direct loops over
 *     image rows, no scratch;
 *   - pointwise (1x1, stride 1, no padding): x[n] already is the [C, H*W]
 *     matrix, so one GEMM per image and group, no im2col;
 *   - direct forward at stride 1: each image's input copied once with its
 *     padding written out (a bounded chunk of images), then the table's conv_s1
 *     kernel per (image, group, block of output channels): the bits of the
 *     general path, without the column matrix (sg_conv_set_direct below);
 *   - direct weight gradient at stride 1: the general path's chunks of
 *     positions, each chunk's images padded and its dy laid out position-
 *     major, then the table's conv_s1_dw per (16 output channels, 24 taps):
 *     the same bits again;
 *   - direct input gradient at stride 1: the general path's chunks again,
 *     each chunk's dy padded, then the table's conv_s1_dx per (image, group,
 *     16 input channels), adding the chunk's taps in col2im's order;
 *   - general: im2col of a bounded chunk of output columns (the columns of all
 *     images laid end to end: j = n*OH*OW + oh*OW + ow) into scratch, then GEMM.
 * Scratch is taken from the caller's arena and given back before returning.
 * Every output element is produced by one thread in a fixed order and every
 * reduction (dw, db) runs in a fixed order (image 0, 1, 2, ...), so results are
 * bit-identical on 1 or N threads. */
#ifndef SG_CONV_KERNELS_H
#define SG_CONV_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

typedef struct sg_conv_geom {
    int64_t N, C, H, W;                 /* input x [N, C, H, W] */
    int64_t O, OH, OW;                  /* output y [N, O, OH, OW] */
    int64_t KH, KW;                     /* weight w [O, C / groups, KH, KW] */
    int64_t stride_h, stride_w, dil_h, dil_w;
    int64_t pad_top, pad_left;          /* bottom/right padding only shapes OH, OW */
    int64_t groups;
} sg_conv_geom;

/* Floats of scratch the general path may take at once (the bound of the shared
 * workspace: im2col chunk + packed output/gradient chunk). */
#define SG_CONV_SCRATCH_FLOATS ((int64_t)1 << 21)

/* Which path the forward and the gradients of a stride-1 convolution take
 * (1x1 ones without padding stay on their GEMM): SG_CONV_DIRECT_AUTO, the
 * default, runs the table's conv_s1, conv_s1_dw and conv_s1_dx kernels where
 * the ISA has a SIMD twin of them and the shape is one they are faster on
 * (a group with at most 64 output channels and 64 x 9 taps, C/groups x KH x
 * KW, and output rows at least 12 wide for the forward; 64 and 32 x 9 for
 * the weight gradient; 32 and 32 x 9 with input rows at least 12 wide for
 * the input gradient), else im2col + sgemm (+ col2im); _NEVER always the
 * latter; _ALWAYS the direct kernels for every such shape, even through
 * their scalar twins. The paths give the same bits
 * (core/kernels/kernels.h), which tests check with this switch. Process-wide:
 * set it while no convolution runs. */
typedef enum { SG_CONV_DIRECT_AUTO, SG_CONV_DIRECT_NEVER, SG_CONV_DIRECT_ALWAYS } sg_conv_direct_mode;
void sg_conv_set_direct(sg_conv_direct_mode mode);

/* y = conv(x, w) + b (b [O] or NULL); with accumulate, y += conv(x, w) + b.
 * SG_ERR_NOMEM if the scratch arena cannot grow. */
sg_err sg_conv_forward_raw(sg_arena *scratch, const sg_conv_geom *G, const float *x,
                           const float *w, const float *b, float *y, bool accumulate);
/* dx += conv^T(dy, w): the gradient of conv(x, w) with respect to x. */
sg_err sg_conv_backward_data_raw(sg_arena *scratch, const sg_conv_geom *G, const float *dy,
                                 const float *w, float *dx);
/* dw += the gradient of conv(x, w) with respect to w for upstream dy. */
sg_err sg_conv_backward_weight_raw(sg_arena *scratch, const sg_conv_geom *G, const float *x,
                                   const float *dy, float *dw);
/* dst[c] += sum over n and the P positions of src[n, c, :] (a bias gradient),
 * summed in double in a fixed order. */
void sg_conv_channel_sum_raw(int64_t N, int64_t C, int64_t P, const float *src, float *dst);

#endif

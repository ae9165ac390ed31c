/* layers/conv.h - 2-D convolution (plain, strided, dilated, grouped, depthwise,
 * Keras "SAME") and transposed convolution, on NCHW tensors.
 *
 * Convolution is cross-correlation, as in PyTorch:
 *   y[n, o, i, j] = b[o] + sum_{c, kh, kw} w[o, c, kh, kw] * xpad[n, g*C/G + c, i*sh + kh*dh, j*sw + kw*dw]
 * (torch.nn.Conv2d, https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html),
 * where xpad is x with pad_top/bottom/left/right zero rows and columns.
 *
 * Padding: PyTorch's padding=p pads p on every side (sg_conv2d_opts_make).
 * Keras/TensorFlow "SAME" (sg_conv2d_opts_same) gives out = ceil(in / stride)
 * and pads total = max((out - 1)*stride + (k - 1)*dil + 1 - in, 0) with
 * top = total / 2 and the odd extra row/column at the BOTTOM/RIGHT. With
 * stride 2 this is asymmetric and cannot be expressed by PyTorch's Conv2d
 * padding argument (PyTorch's padding='same' only allows stride 1): it is
 * F.pad(x, (left, right, top, bottom)) followed by an unpadded convolution. */
#ifndef SG_CONV_H
#define SG_CONV_H

#include "core/graph.h"

typedef enum sg_conv_pad_mode {
    SG_CONV_PAD_EXPLICIT = 0,   /* use pad_top, pad_bottom, pad_left, pad_right */
    SG_CONV_PAD_SAME            /* Keras/TensorFlow "SAME", computed from the input size */
} sg_conv_pad_mode;

/* Options of sg_conv2d. Zero stride, dilation or groups mean 1, so a zeroed
 * struct is a stride-1, unpadded, ungrouped convolution. */
typedef struct sg_conv2d_opts {
    int stride_h, stride_w;
    int dil_h, dil_w;
    int groups;                 /* C and O must both divide by it; groups == C is depthwise */
    int pad_top, pad_bottom, pad_left, pad_right;   /* SG_CONV_PAD_EXPLICIT only */
    sg_conv_pad_mode padding;
} sg_conv2d_opts;

/* PyTorch-style options: the same stride, dilation and padding p on all sides. */
sg_conv2d_opts sg_conv2d_opts_make(int stride, int padding, int dilation, int groups);
/* Keras "SAME" padding with the given stride, dilation and groups. */
sg_conv2d_opts sg_conv2d_opts_same(int stride, int dilation, int groups);

/* y [N, O, OH, OW] = conv2d(x [N, C, H, W], w [O, C/groups, KH, KW]) + b [O]
 * (b may be NULL); OH = (H + pad_top + pad_bottom - dil_h*(KH-1) - 1) / stride_h + 1.
 * opt NULL = defaults. NULL + graph error on bad shapes or options. */
sg_tensor *sg_conv2d(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b,
                     const sg_conv2d_opts *opt);

/* Output height/width sg_conv2d would give for input [.., H, W] and kernel
 * KH x KW (also resolves SAME); false if the options are invalid or the output
 * would be empty. */
bool sg_conv2d_out_size(int64_t H, int64_t W, int64_t KH, int64_t KW, const sg_conv2d_opts *opt,
                        int64_t *OH, int64_t *OW);

/* Options of sg_conv_transpose2d (torch.nn.ConvTranspose2d). Zero stride,
 * dilation or groups mean 1. output_padding adds rows/columns at the bottom/
 * right and must be smaller than the stride or the dilation (as PyTorch). */
typedef struct sg_conv_transpose2d_opts {
    int stride_h, stride_w;
    int pad_h, pad_w;
    int out_pad_h, out_pad_w;
    int dil_h, dil_w;
    int groups;
} sg_conv_transpose2d_opts;

/* PyTorch-style options with equal values along both axes. */
sg_conv_transpose2d_opts sg_conv_transpose2d_opts_make(int stride, int padding,
                                                       int output_padding, int dilation,
                                                       int groups);

/* Transposed convolution (the adjoint of conv2d; "deconvolution"):
 * y [N, O, OH, OW] from x [N, C, H, W], w [C, O/groups, KH, KW] (PyTorch layout),
 * b [O] or NULL, with OH = (H-1)*stride_h - 2*pad_h + dil_h*(KH-1) + out_pad_h + 1.
 * Matches torch.nn.ConvTranspose2d
 * (https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html).
 * opt NULL = defaults. NULL + graph error on bad shapes or options. */
sg_tensor *sg_conv_transpose2d(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b,
                               const sg_conv_transpose2d_opts *opt);

#endif

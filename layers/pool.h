/* layers/pool.h - 2-D pooling on NCHW tensors: max, average, adaptive average,
 * global average. Semantics (output size, ceil_mode, padding, tie-breaking)
 * are PyTorch's, so imported models pool exactly as they were trained. */
#ifndef SG_POOL2D_H
#define SG_POOL2D_H

#include <stdbool.h>

#include "core/graph.h"

/* Options of sg_max_pool2d / sg_avg_pool2d. A zero stride means "= kernel"
 * (PyTorch's default stride=None); zero dilation means 1. Padding must be at
 * most half the kernel, as PyTorch requires. count_include_pad is used by
 * average pooling only (PyTorch's default is true: use sg_pool2d_opts_make). */
typedef struct sg_pool2d_opts {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_h, pad_w;
    int dil_h, dil_w;           /* max pooling only */
    bool ceil_mode;
    bool count_include_pad;     /* average pooling only */
} sg_pool2d_opts;

/* PyTorch defaults for a square window: stride (0 = kernel), padding,
 * dilation 1, ceil_mode false, count_include_pad true. */
sg_pool2d_opts sg_pool2d_opts_make(int kernel, int stride, int padding);

/* Output height/width of pooling [.., H, W] with these options (PyTorch's
 * pooling_output_shape); false if the options are invalid or the output empty. */
bool sg_pool2d_out_size(int64_t H, int64_t W, const sg_pool2d_opts *opt, int64_t *OH,
                        int64_t *OW);

/* y [N, C, OH, OW] = the max over each (dilated) window of x [N, C, H, W]
 * (torch.nn.MaxPool2d); padding counts as -inf. NULL + graph error on bad input. */
sg_tensor *sg_max_pool2d(sg_graph *g, sg_tensor *x, const sg_pool2d_opts *opt);

/* y = the mean over each window of x (torch.nn.AvgPool2d). NULL + graph error. */
sg_tensor *sg_avg_pool2d(sg_graph *g, sg_tensor *x, const sg_pool2d_opts *opt);

/* y [N, C, out_h, out_w]: the mean over bins [floor(i*H/out_h), ceil((i+1)*H/out_h))
 * (torch.nn.AdaptiveAvgPool2d). NULL + graph error on bad input. */
sg_tensor *sg_adaptive_avg_pool2d(sg_graph *g, sg_tensor *x, int64_t out_h, int64_t out_w);

/* y [N, C, 1, 1] = the mean of each channel plane of x [N, C, H, W]. */
sg_tensor *sg_global_avg_pool2d(sg_graph *g, sg_tensor *x);

#endif

/* layers/layers.h - parameterised layers: an op plus the parameters it owns.
 *
 * A layer struct holds pointers to its parameters in a store (core/param.h),
 * created by *_init under the reference framework's names ("<prefix>.weight",
 * "<prefix>.bias", "<prefix>.running_mean", ...), so a torchvision or timm
 * state dict saved as safetensors loads into it by name. *_forward calls the
 * op on a graph; it never allocates outside the step arena.
 * Initialisation follows PyTorch's defaults (layers/init.h). */
#ifndef SG_LAYERS_H
#define SG_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/conv.h"
#include "layers/shape.h"

typedef struct sg_conv2d_layer {
    sg_param *weight;            /* [out, in / groups, kh, kw] */
    sg_param *bias;              /* [out] or NULL */
    sg_conv2d_opts opt;
    /* torch.nn.Conv2d's padding_mode: SG_PAD_CONSTANT (0, the init's) is
     * 'zeros'; SG_PAD_REFLECT / SG_PAD_REPLICATE / SG_PAD_CIRCULAR pad x with
     * opt's explicit pads in that mode (sg_pad) and convolve unpadded. Set it
     * after init; SAME padding takes only zeros. */
    sg_pad_mode padding_mode;
} sg_conv2d_layer;

/* PyTorch-style Conv2d(in, out, k, stride, padding, dilation 1, groups, bias). */
sg_err sg_conv2d_layer_init(sg_conv2d_layer *l, sg_params *ps, const char *prefix, int in,
                            int out, int k, const sg_conv2d_opts *opt, bool bias, uint64_t seed);
/* The same with a kh x kw kernel (InceptionV3's 1x7 and 7x1): weight
 * [out, in / groups, kh, kw]; give the padding per side in opt. */
sg_err sg_conv2d_layer_init_rect(sg_conv2d_layer *l, sg_params *ps, const char *prefix, int in,
                                 int out, int kh, int kw, const sg_conv2d_opts *opt, bool bias,
                                 uint64_t seed);
/* conv2d(x) with the layer's padding mode; NULL + graph error on a bad shape. */
sg_tensor *sg_conv2d_layer_forward(sg_graph *g, const sg_conv2d_layer *l, sg_tensor *x);

typedef struct sg_linear_layer {
    sg_param *weight;            /* [out, in] */
    sg_param *bias;              /* [out] or NULL */
} sg_linear_layer;

sg_err sg_linear_layer_init(sg_linear_layer *l, sg_params *ps, const char *prefix, int in,
                            int out, bool bias, uint64_t seed);
sg_tensor *sg_linear_layer_forward(sg_graph *g, const sg_linear_layer *l, sg_tensor *x);

typedef struct sg_batchnorm_layer {
    sg_param *weight, *bias;             /* [C], gamma = 1 and beta = 0 at init */
    sg_param *running_mean, *running_var; /* buffers, 0 and 1 at init */
    sg_param *num_batches_tracked;       /* buffer [] (torch keeps it as int64) */
    float momentum, eps;                 /* PyTorch: 0.1, 1e-5 */
} sg_batchnorm_layer;

/* BatchNorm2d / BatchNorm1d(C) with PyTorch's defaults (momentum 0.1, eps 1e-5). */
sg_err sg_batchnorm_layer_init(sg_batchnorm_layer *l, sg_params *ps, const char *prefix, int C);
/* Uses sg_batchnorm2d for 4-D input, sg_batchnorm1d otherwise; counts batches in training. */
sg_tensor *sg_batchnorm_layer_forward(sg_graph *g, const sg_batchnorm_layer *l, sg_tensor *x);

#endif

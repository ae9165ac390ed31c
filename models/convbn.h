/* models/convbn.h - the conv -> BatchNorm unit most reference CNNs repeat,
 * and a printf-style helper for the parameter names they are built under.
 *
 * The convolution has no bias (BatchNorm follows) and a kh x kw kernel with
 * its own padding per axis: ResNet's 3x3 and InceptionV3's 1x7 / 7x1 are one
 * call. Initialisation is the caller's (each reference has its own rule). */
#ifndef SG_MODEL_CONVBN_H
#define SG_MODEL_CONVBN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

typedef struct sg_conv_bn {
    sg_conv2d_layer conv;
    sg_batchnorm_layer bn;
} sg_conv_bn;

/* The geometry of a conv: kernel kh x kw, stride, padding pad_h rows top and
 * bottom and pad_w columns left and right (PyTorch's padding=(pad_h, pad_w)). */
typedef struct sg_conv_shape {
    int kh, kw, stride, pad_h, pad_w;
} sg_conv_shape;

/* A square k x k conv with PyTorch's padding p. */
sg_conv_shape sg_conv_square(int k, int stride, int pad);

/* Conv "<conv_name>" (in -> out, no bias) and BatchNorm "<bn_name>" (eps
 * 1e-5; set l->bn.eps for other references). SG_ERR_INVALID on bad sizes. */
sg_err sg_conv_bn_init(sg_conv_bn *l, sg_params *ps, const char *conv_name, const char *bn_name,
                       int in, int out, sg_conv_shape s, uint64_t seed);
/* bn(conv(x)), then ReLU when relu. */
sg_tensor *sg_conv_bn_forward(sg_graph *g, const sg_conv_bn *l, sg_tensor *x, bool relu);

/* printf into buf[SG_PARAM_NAME_MAX]; returns buf. Names are short by
 * construction (an assert guards that). */
const char *sg_model_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* torchvision's ResNet/MobileNet rule for every conv weight of ps:
 * kaiming_normal_(mode="fan_out", nonlinearity="relu"). */
void sg_init_convs_kaiming_fan_out(sg_params *ps, uint64_t seed);

#endif

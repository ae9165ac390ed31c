/* models/mobilenetv2.h - MobileNetV2 (Sandler et al. 2018), as torchvision builds it.
 *
 * torchvision.models.mobilenet_v2 layer for layer
 * (https://pytorch.org/vision/stable/models/mobilenetv2.html, torchvision 0.14):
 *
 *   features.0      conv 3x3 stride 2 -> 32 channels, BN, ReLU6
 *   features.1..17  inverted residual blocks, (t, c, n, s) = (1,16,1,1) (6,24,2,2)
 *                   (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1):
 *                   n blocks of c output channels, the first with stride s. A block
 *                   is [1x1 conv -> t*in channels, BN, ReLU6] (only when t != 1),
 *                   3x3 depthwise conv (stride s), BN, ReLU6, 1x1 conv -> c, BN
 *                   (no activation: the "linear bottleneck"), plus x itself when
 *                   the stride is 1 and in == out channels.
 *   features.18     conv 1x1 -> 1280 channels, BN, ReLU6
 *   global average pool, classifier.0 Dropout(p), classifier.1 Linear(1280, classes)
 *
 * Channel counts are c * width_mult rounded by torchvision's _make_divisible
 * (to the nearest multiple of 8, at least 8, never more than 10% below); the
 * last conv keeps 1280 unless width_mult > 1. Convolutions have no bias
 * (BatchNorm follows), BN is PyTorch's (eps 1e-5, momentum 0.1).
 *
 * Parameter names are torchvision's state_dict keys ("features.0.0.weight",
 * "features.0.1.running_mean", "features.2.conv.1.0.weight",
 * "classifier.1.bias", ...), so a torchvision checkpoint saved as
 * safetensors loads with sg_params_load (core/checkpoint.h). One extension:
 * in_channels may be 1 for gray images (torchvision's stem takes 3). */
#ifndef SG_MODEL_MOBILENETV2_H
#define SG_MODEL_MOBILENETV2_H

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

/* Inverted residual blocks of the network (features.1 .. features.17). */
enum { SG_MOBILENETV2_BLOCKS = 17 };

typedef struct sg_mobilenetv2_config {
    int in_channels;              /* 3 for RGB (torchvision), 1 for gray */
    int classes;
    double width_mult;            /* channel multiplier, 1.0 = the paper's network; a
                                     double, so channels round exactly as in Python */
    float dropout;                /* classifier.0's p in [0, 1); torchvision: 0.2 */
} sg_mobilenetv2_config;

/* conv (no bias) -> BatchNorm: torchvision's Conv2dNormActivation without the
 * activation, which forward adds (or not). */
typedef struct sg_mobilenetv2_conv_bn {
    sg_conv2d_layer conv;
    sg_batchnorm_layer bn;
} sg_mobilenetv2_conv_bn;

typedef struct sg_mobilenetv2_block {
    bool expand;                  /* t != 1: `expansion` exists */
    bool residual;                /* stride 1 and in == out: y = x + block(x) */
    sg_mobilenetv2_conv_bn expansion;  /* 1x1 in -> t*in, ReLU6 */
    sg_mobilenetv2_conv_bn depthwise;  /* 3x3 groups = t*in, ReLU6 */
    sg_mobilenetv2_conv_bn projection; /* 1x1 t*in -> out, no activation */
} sg_mobilenetv2_block;

typedef struct sg_mobilenetv2 {
    sg_mobilenetv2_config cfg;
    sg_params params;             /* owns every weight and buffer */
    sg_mobilenetv2_conv_bn stem;  /* features.0 */
    sg_mobilenetv2_block blocks[SG_MOBILENETV2_BLOCKS];
    sg_mobilenetv2_conv_bn head;  /* features.18 */
    sg_linear_layer classifier;   /* classifier.1 */
    int last_channels;            /* 1280 * max(1, width_mult), rounded */
} sg_mobilenetv2;

/* torchvision's defaults: 3 input channels, width 1.0, dropout 0.2. */
sg_mobilenetv2_config sg_mobilenetv2_defaults(int classes);

/* torchvision's _make_divisible(v, divisor): v rounded to the nearest multiple
 * of divisor, at least divisor, bumped up one step if that lost more than 10%. */
int sg_make_divisible(double v, int divisor);

/* Build and initialise with torchvision's init keyed by `seed` (classes 0:
 * no classifier, the backbone of a zoo head): convolutions
 * kaiming_normal_(mode="fan_out"), BN weight 1 and bias 0, linear weight
 * N(0, 0.01) and bias 0. SG_ERR_INVALID (naming the field) for in_channels
 * < 1, classes < 0, width_mult <= 0 or dropout outside [0, 1). */
sg_err sg_mobilenetv2_init(sg_mobilenetv2 *m, const sg_mobilenetv2_config *cfg, uint64_t seed);
/* Logits [N, classes] for images [N, in_channels, H, W] (any H, W >= 1; 224
 * for ImageNet weights). NULL + graph error on a bad input shape. */
sg_tensor *sg_mobilenetv2_forward(sg_graph *g, sg_mobilenetv2 *m, sg_tensor *x);
/* The output of features.18 [N, last_channels, H/32, W/32] (before the pool). */
sg_tensor *sg_mobilenetv2_features(sg_graph *g, sg_mobilenetv2 *m, sg_tensor *x);
void sg_mobilenetv2_free(sg_mobilenetv2 *m);

#endif

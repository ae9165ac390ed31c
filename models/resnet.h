/* models/resnet.h - ResNet v1 (He et al. 2015) as torchvision builds it:
 * resnet18, resnet34, resnet50, resnet101, resnet152.
 *
 * torchvision.models.resnet (https://pytorch.org/vision/stable/models/resnet.html),
 * layer for layer:
 *
 *   conv1 7x7 stride 2 pad 3 -> 64, bn1, ReLU, maxpool 3x3 stride 2 pad 1
 *   layer1..layer4: n blocks each (18: 2 2 2 2; 34 and 50: 3 4 6 3; 101: 3 4 23 3;
 *                   152: 3 8 36 3) of width 64, 128, 256, 512; the first block of
 *                   layer2..4 has stride 2
 *     BasicBlock (18, 34):  conv1 3x3 (stride) bn1 ReLU, conv2 3x3 bn2, + x, ReLU
 *     Bottleneck (50+):     conv1 1x1 bn1 ReLU, conv2 3x3 (stride: "ResNet v1.5")
 *                           bn2 ReLU, conv3 1x1 -> 4 x width bn3, + x, ReLU
 *     the shortcut is "downsample" = conv 1x1 (stride) ("downsample.0") and BN
 *     ("downsample.1") when the stride or the channel count changes
 *   global average pool, fc Linear(512 x expansion, classes)
 *
 * Convolutions have no bias; BatchNorm is PyTorch's (eps 1e-5, momentum 0.1).
 * Init as torchvision: every conv kaiming_normal_(fan_out, relu), BN weight 1
 * and bias 0 (zero_init_residual=False), fc PyTorch's Linear default.
 * Parameter names are torchvision's state_dict keys ("conv1.weight",
 * "layer1.0.downsample.1.running_var", "fc.bias", ...): a torchvision
 * checkpoint saved as safetensors loads by name. Extensions: in_channels 1
 * (gray; torchvision's stem takes 3), and classes 0 = no fc (the backbone of
 * a zoo head, sg_resnet_features). resnet50 with 1000 classes has 25,557,032
 * parameters. */
#ifndef SG_MODEL_RESNET_H
#define SG_MODEL_RESNET_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"
#include "models/convbn.h"

enum { SG_RESNET_MAX_BLOCKS = 3 + 8 + 36 + 3 };

typedef struct sg_resnet_config {
    int depth;                    /* 18, 34, 50, 101 or 152 */
    int in_channels;              /* 3 for RGB (torchvision), 1 for gray */
    int classes;                  /* 0 = no fc: features only */
} sg_resnet_config;

typedef struct sg_resnet_block {
    bool bottleneck;              /* conv3/bn3 exist */
    bool has_downsample;
    int stage, index;             /* layer<stage>.<index>: its module path */
    sg_conv_bn c1, c2, c3;        /* conv1/bn1, conv2/bn2, conv3/bn3 */
    sg_conv_bn downsample;        /* downsample.0 / downsample.1 */
} sg_resnet_block;

typedef struct sg_resnet {
    sg_resnet_config cfg;
    sg_params params;             /* owns every weight and buffer */
    sg_conv_bn stem;              /* conv1 / bn1 */
    sg_resnet_block blocks[SG_RESNET_MAX_BLOCKS];
    int n_blocks;
    int feature_channels;         /* 512 x expansion: 512 or 2048 */
    sg_linear_layer fc;           /* absent when classes == 0 */
} sg_resnet;

/* Build and initialise as torchvision does, keyed by seed. SG_ERR_INVALID
 * naming the field for an unknown depth, in_channels < 1 or classes < 0. */
sg_err sg_resnet_init(sg_resnet *m, const sg_resnet_config *cfg, uint64_t seed);
/* The last feature map [N, feature_channels, H/32, W/32] of images
 * [N, in_channels, H, W]. NULL + graph error on a bad shape. */
sg_tensor *sg_resnet_features(sg_graph *g, sg_resnet *m, sg_tensor *x);
/* Logits [N, classes]: features, global average pool, fc. */
sg_tensor *sg_resnet_forward(sg_graph *g, sg_resnet *m, sg_tensor *x);
void sg_resnet_free(sg_resnet *m);

#endif

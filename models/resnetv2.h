/* models/resnetv2.h - pre-activation ResNet (He et al. 2016, "ResNet V2") as
 * timm builds resnetv2_50 and resnetv2_101.
 *
 * timm.models.resnetv2.ResNetV2 (timm 1.0, https://github.com/huggingface/pytorch-image-models),
 * module for module:
 *
 *   stem.conv 7x7 stride 2 pad 3 -> 64 (no norm: blocks pre-activate),
 *   stem.pool max 3x3 stride 2 pad 1
 *   stages.0..3: 3 4 6 3 (50) or 3 4 23 3 (101) PreActBottleneck blocks of
 *   width 64, 128, 256, 512 (out = 4 x width), the first block of stages 1..3
 *   with stride 2 (on conv2):
 *       p = norm1(x)                      BatchNorm + ReLU (timm BatchNormAct2d)
 *       shortcut = downsample.conv(p)     1x1 (stride), first block only; its
 *                  or x                   norm is Identity in the pre-act layout
 *       y = conv1(p)                      1x1 -> width
 *       y = conv2(norm2(y))               3x3 (stride), pad 1
 *       y = conv3(norm3(y))               1x1 -> 4 x width
 *       return y + shortcut
 *   norm: BatchNorm + ReLU on the last stage's output (2048 channels)
 *   head: global average pool, head.fc = Conv2d 1x1 (2048 -> classes, bias),
 *   flatten (timm's ClassifierHead with use_conv=True; drop_rate 0)
 *
 * BatchNorm is PyTorch's (eps 1e-5, momentum 0.1). Init as timm's
 * _init_weights: convs kaiming_normal_(fan_out, relu), head.fc N(0, 0.01) and
 * bias 0, BN weight 1 and bias 0, and zero_init_last: every block's conv3 is
 * zero, so each block starts as the identity. Parameter names are timm's
 * state_dict keys ("stem.conv.weight", "stages.1.blocks.0.downsample.conv.weight",
 * "stages.0.blocks.2.norm3.running_var", "norm.bias", "head.fc.weight"
 * [classes, 2048, 1, 1]). resnetv2_50 with 1000 classes has 25,549,352
 * parameters. Extensions: in_channels 1, classes 0 = no head.fc. */
#ifndef SG_MODEL_RESNETV2_H
#define SG_MODEL_RESNETV2_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

enum { SG_RESNETV2_MAX_BLOCKS = 3 + 4 + 23 + 3 };

typedef struct sg_resnetv2_config {
    int depth;                    /* 50 or 101 */
    int in_channels;              /* 3 for RGB (timm), 1 for gray */
    int classes;                  /* 0 = no head.fc: features only */
} sg_resnetv2_config;

typedef struct sg_resnetv2_block {
    bool has_downsample;
    int stage, index;             /* stages.<stage>.blocks.<index>: its module path */
    sg_batchnorm_layer norm1, norm2, norm3;
    sg_conv2d_layer conv1, conv2, conv3, downsample;
} sg_resnetv2_block;

typedef struct sg_resnetv2 {
    sg_resnetv2_config cfg;
    sg_params params;             /* owns every weight and buffer */
    sg_conv2d_layer stem;         /* stem.conv */
    sg_resnetv2_block blocks[SG_RESNETV2_MAX_BLOCKS];
    int n_blocks;
    sg_batchnorm_layer norm;      /* the final pre-activation, 2048 channels */
    sg_conv2d_layer fc;           /* head.fc (1x1 conv with bias); absent when classes == 0 */
} sg_resnetv2;

enum { SG_RESNETV2_FEATURES = 2048 };

/* Build and initialise as timm does, keyed by seed. SG_ERR_INVALID naming the
 * field for a depth other than 50/101, in_channels < 1 or classes < 0. */
sg_err sg_resnetv2_init(sg_resnetv2 *m, const sg_resnetv2_config *cfg, uint64_t seed);
/* timm's forward_features: ReLU(norm(stages(stem(x)))), [N, 2048, H/32, W/32]. */
sg_tensor *sg_resnetv2_features(sg_graph *g, sg_resnetv2 *m, sg_tensor *x);
/* Logits [N, classes]. */
sg_tensor *sg_resnetv2_forward(sg_graph *g, sg_resnetv2 *m, sg_tensor *x);
void sg_resnetv2_free(sg_resnetv2 *m);

#endif

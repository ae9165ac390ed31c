/* models/inceptionv3.h - Inception v3 (Szegedy et al. 2015) as torchvision builds it.
 *
 * torchvision.models.inception_v3 (https://pytorch.org/vision/stable/models/inception.html),
 * module for module; every conv is a BasicConv2d = conv (no bias) "<name>.conv",
 * BatchNorm "<name>.bn" with eps 0.001, ReLU:
 *
 *   Conv2d_1a_3x3 (32, stride 2), Conv2d_2a_3x3 (32), Conv2d_2b_3x3 (64, pad 1),
 *   maxpool 3x3/2, Conv2d_3b_1x1 (80), Conv2d_4a_3x3 (192), maxpool 3x3/2,
 *   Mixed_5b, 5c, 5d   InceptionA (pool features 32, 64, 64)   -> 256, 288, 288
 *   Mixed_6a           InceptionB (grid reduction)             -> 768
 *   Mixed_6b .. 6e     InceptionC (c7 = 128, 160, 160, 192): factorised 1x7 / 7x1
 *   [AuxLogits         avg pool 5x5/3, conv0 1x1 128, conv1 5x5 768, global
 *                      average pool, fc Linear(768, classes); training only]
 *   Mixed_7a           InceptionD (grid reduction)             -> 1280
 *   Mixed_7b, 7c       InceptionE (1x3 / 3x1 forks)            -> 2048
 *   global average pool, dropout (p 0.5), fc Linear(2048, classes)
 * The pool branches of A, C and E average 3x3 windows with stride 1 and pad 1,
 * counting the padding (F.avg_pool2d's count_include_pad=True); the branches of
 * a module are concatenated along the channels in torchvision's order.
 *
 * Input: torchvision's transform_input=False (the default when weights are not
 * given): the image goes in as the caller normalised it. ImageNet weights were
 * trained with transform_input=True semantics, i.e. on images normalised to
 * [-1, 1] per channel; a user loading them normalises with mean 0.5 and std
 * 0.5 instead of ImageNet's mean/std. Inputs need at least 75x75; the aux
 * head, run only in training mode, at least 299x299 (its 5x5 conv needs the
 * 17x17 Mixed_6e map that 299 gives), as in torchvision.
 *
 * Init as torchvision: every conv and linear weight trunc_normal_(std 0.1,
 * a=-2, b=2) (AuxLogits.conv1: std 0.01, AuxLogits.fc: 0.001), linear biases
 * PyTorch's default, BN weight 1 and bias 0. Parameter names are
 * torchvision's state_dict keys ("Conv2d_1a_3x3.conv.weight",
 * "Mixed_6b.branch7x7_2.bn.running_var", "AuxLogits.fc.bias", "fc.weight").
 * 1000 classes: 27,161,264 parameters with the aux head, 23,834,568 without.
 * Extensions: in_channels 1, classes 0 = no fc (a zoo head's backbone). */
#ifndef SG_MODEL_INCEPTIONV3_H
#define SG_MODEL_INCEPTIONV3_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"
#include "models/convbn.h"

enum { SG_INCEPTION_STEM = 5, SG_INCEPTION_MODULES = 11 };

typedef struct sg_inceptionv3_config {
    int in_channels;              /* 3 for RGB (torchvision), 1 for gray */
    int classes;                  /* 0 = no fc: features only */
    bool aux_logits;              /* build AuxLogits */
    float dropout;                /* before fc; torchvision 0.5 */
} sg_inceptionv3_config;

/* One branch of a module: an optional pool, a chain of BasicConv2d, and an
 * optional fork of two convs on the chain's output, concatenated (InceptionE). */
typedef struct sg_inception_branch {
    int pool;                     /* 0 none, 1 avg 3x3/1 pad 1, 2 max 3x3/2 */
    sg_conv_bn chain[5];
    int n_chain;
    sg_conv_bn fork[2];
    bool has_fork;
} sg_inception_branch;

typedef struct sg_inception_module {
    sg_inception_branch branch[4];
    int n_branches;
    int out_channels;
} sg_inception_module;

typedef struct sg_inceptionv3 {
    sg_inceptionv3_config cfg;
    sg_params params;             /* owns every weight and buffer */
    sg_conv_bn stem[SG_INCEPTION_STEM];
    sg_inception_module mixed[SG_INCEPTION_MODULES];
    sg_conv_bn aux_conv0, aux_conv1;
    sg_linear_layer aux_fc;       /* present with aux_logits and classes > 0 */
    sg_linear_layer fc;           /* absent when classes == 0 */
} sg_inceptionv3;

enum { SG_INCEPTION_FEATURES = 2048 };

/* torchvision's defaults: 3 channels, aux head on, dropout 0.5. */
sg_inceptionv3_config sg_inceptionv3_defaults(int classes);
/* Build and initialise as torchvision does, keyed by seed. SG_ERR_INVALID
 * naming the field for in_channels < 1, classes < 0, dropout outside [0, 1). */
sg_err sg_inceptionv3_init(sg_inceptionv3 *m, const sg_inceptionv3_config *cfg, uint64_t seed);
/* Mixed_7c's output [N, 2048, h, w]. */
sg_tensor *sg_inceptionv3_features(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x);
/* Logits [N, classes]; when aux is not NULL it receives the AuxLogits output
 * in training mode with the aux head built (as torchvision, which returns it
 * only then), else NULL. */
sg_tensor *sg_inceptionv3_forward_aux(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x,
                                      sg_tensor **aux);
/* Logits [N, classes] only (the aux head is not run). */
sg_tensor *sg_inceptionv3_forward(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x);
void sg_inceptionv3_free(sg_inceptionv3 *m);

#endif

/* models/cnn.h - a plain convolutional classifier.
 *
 * n_blocks x [conv3x3(pad 1, zeros or reflect) -> BatchNorm -> ReLU -> maxpool 2x2], then
 * flatten (or a global average or max pool) -> linear(classes). It is the demo's model and the "custom CNN" of
 * paper 002 in its smallest form. Parameter names follow an nn.Sequential:
 * "features.<4 i>" conv, "features.<4 i + 1>" batchnorm, "classifier" linear,
 * so the same network written in PyTorch exports a state dict that loads here. */
#ifndef SG_MODEL_CNN_H
#define SG_MODEL_CNN_H

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

enum { SG_CNN_MAX_BLOCKS = 6 };

/* What feeds the classifier. A global pool makes the head position-invariant
 * and far smaller; max answers "is the feature anywhere", so a defect a few
 * pixels wide is not averaged away over the whole image. */
typedef enum sg_cnn_head {
    SG_CNN_FLATTEN = 0,           /* flatten the last feature map */
    SG_CNN_GLOBAL_AVG,            /* global average pool */
    SG_CNN_GLOBAL_MAX,            /* global max pool */
} sg_cnn_head;

typedef struct sg_cnn_config {
    int in_channels;              /* 1 for grayscale, 3 for RGB */
    int image_size;               /* square input side; must divide by 2^n_blocks */
    int classes;                  /* >= 2, or 0 = no classifier (a zoo head's backbone) */
    int n_blocks;                 /* 1 .. SG_CNN_MAX_BLOCKS */
    int widths[SG_CNN_MAX_BLOCKS];/* output channels of each block */
    sg_cnn_head head;             /* default SG_CNN_FLATTEN */
    /* The convolutions' padding_mode (layers/layers.h): SG_PAD_CONSTANT
     * (default) is torch's 'zeros'; SG_PAD_REFLECT mirrors the image into its
     * 1-pixel border, so the border is no edge (docs/EXPLAIN.md). */
    sg_pad_mode padding;
} sg_cnn_config;

typedef struct sg_cnn {
    sg_cnn_config cfg;
    sg_params params;             /* owns every weight and buffer */
    sg_conv2d_layer conv[SG_CNN_MAX_BLOCKS];
    sg_batchnorm_layer bn[SG_CNN_MAX_BLOCKS];
    sg_linear_layer classifier;
} sg_cnn;

/* Build and initialise (PyTorch default init keyed by `seed`). */
sg_err sg_cnn_init(sg_cnn *m, const sg_cnn_config *cfg, uint64_t seed);
/* Logits [N, classes] for images [N, in_channels, size, size]. */
sg_tensor *sg_cnn_forward(sg_graph *g, sg_cnn *m, sg_tensor *x);
/* The last block's output [N, widths[n_blocks-1], size >> n_blocks, ...]. */
sg_tensor *sg_cnn_features(sg_graph *g, sg_cnn *m, sg_tensor *x);
void sg_cnn_free(sg_cnn *m);

#endif

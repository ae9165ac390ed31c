/* models/cnn002.h - the custom CNN classifier of paper 002 (steel defects of
 * NEU-DET + GC10-DET, 11 classes).
 *
 * The paper says only: "several convolution layers followed by a flatten layer
 * and fully connected dense layers; the final dense layer employed a SoftMax
 * activation with 11 nodes" (its Figure 3 is not in the text). Where it is
 * silent we chose the classic Keras layout such a model has:
 *
 *   4 x [conv 3x3 pad 1 (bias) -> ReLU -> max pool 2x2], 32, 64, 128, 128 channels
 *   flatten -> Dense 512 ReLU -> Dropout 0.5 -> Dense K
 *
 * with no BatchNorm (the paper names none). The softmax is the loss's
 * (cross-entropy on logits). The flatten makes the first dense layer depend on
 * the input size: image_size must divide by 16 (default 128: 8 x 8 x 128 =
 * 8192 inputs, 4.2 M weights in that layer, 4.5 M in all with 11 classes).
 *
 * Parameter names are those of the same network written as a PyTorch
 * nn.Sequential pair: "features.<i>" for the convs at i = 0, 3, 6, 9 (ReLU and
 * pool in between), "classifier.0" (Dense 512) and "classifier.3" (Dense K),
 * with PyTorch's default init keyed by the seed. */
#ifndef SG_MODEL_CNN002_H
#define SG_MODEL_CNN002_H

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

enum { SG_CNN002_BLOCKS = 4, SG_CNN002_HIDDEN = 512 };

typedef struct sg_cnn002_config {
    int in_channels;              /* 1 gray, 3 RGB */
    int image_size;               /* square side, divisible by 16 */
    int classes;                  /* 0 = no classifier (a zoo head's backbone) */
    float dropout;                /* between the dense layers; 0.5 */
} sg_cnn002_config;

typedef struct sg_cnn002 {
    sg_cnn002_config cfg;
    sg_params params;
    sg_conv2d_layer conv[SG_CNN002_BLOCKS];
    sg_linear_layer fc1, fc2;     /* classifier.0, classifier.3 */
} sg_cnn002;

/* Channels of the four conv blocks: 32, 64, 128, 128. */
extern const int sg_cnn002_widths[SG_CNN002_BLOCKS];

/* SG_ERR_INVALID naming the field for in_channels < 1, classes 1 or < 0, a
 * size not divisible by 16, dropout outside [0, 1). */
sg_err sg_cnn002_init(sg_cnn002 *m, const sg_cnn002_config *cfg, uint64_t seed);
/* The last block's output [N, 128, size/16, size/16]. */
sg_tensor *sg_cnn002_features(sg_graph *g, sg_cnn002 *m, sg_tensor *x);
/* Logits [N, classes]; the input must be [N, in_channels, size, size]. */
sg_tensor *sg_cnn002_forward(sg_graph *g, sg_cnn002 *m, sg_tensor *x);
void sg_cnn002_free(sg_cnn002 *m);

#endif

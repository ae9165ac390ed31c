/* models/heads.h - classification heads of the papers, for any backbone.
 *
 * A head maps a backbone's last feature map [N, C, H, W] to logits [N, K]:
 *
 *   gap256  GAP -> Dense 256 ReLU -> Dropout -> Dense K        (paper 001, 3.3)
 *   gap512  GAP -> Dense 512 ReLU -> Dropout -> Dense K        (paper 004)
 *   alt001  MaxPool 3x3 -> Dense 64 ReLU -> Dropout -> GAP -> Dense K
 *                                                              (paper 001, 3.4)
 *
 * The papers build them in Keras; here the layers are PyTorch's. Dropout p is
 * 0.5 unless the model options give one (004 does not state its p; 0.5 as in
 * 001). The softmax of the papers is part of the loss (cross-entropy on
 * logits). alt001's max pool is Keras' MaxPooling2D((3, 3)): stride 3, no
 * padding, so the feature map must be at least 3x3 (a stride-32 backbone needs
 * inputs of at least 96 pixels); its Dense 64 acts on every position (Keras
 * applies Dense to the last axis of a 4-D tensor), i.e. on the channel vector
 * of each pixel.
 *
 * Parameter names: "head.fc1.weight" [hidden, C], "head.fc1.bias",
 * "head.fc2.weight" [K, hidden], "head.fc2.bias" (Linear layout), initialised
 * with PyTorch's Linear default keyed by the seed. */
#ifndef SG_MODEL_HEADS_H
#define SG_MODEL_HEADS_H

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

typedef enum sg_head_kind { SG_HEAD_GAP256, SG_HEAD_GAP512, SG_HEAD_ALT001 } sg_head_kind;

typedef struct sg_head {
    sg_head_kind kind;
    float dropout;
    sg_linear_layer fc1, fc2;
} sg_head;

/* "gap256, gap512, alt001": the names sg_head_init accepts. */
const char *sg_head_names(void);
/* Head `name` on `channels` input channels with `classes` outputs, its
 * parameters added to ps; dropout < 0 = 0.5. SG_ERR_INVALID naming the head
 * list for an unknown name. */
sg_err sg_head_init(sg_head *h, sg_params *ps, const char *name, int channels, int classes,
                    float dropout, uint64_t seed);
/* Logits [N, classes] from features [N, channels, H, W]. */
sg_tensor *sg_head_forward(sg_graph *g, const sg_head *h, sg_tensor *features);

#endif

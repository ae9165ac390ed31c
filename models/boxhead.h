/* models/boxhead.h - paper 002's localisation heads, on any backbone's
 * features.
 *
 *   single-defect (slots = 1): class logits [N, C] (softmax) and one box
 *       [N, 1, 4]; loss = cross-entropy + MSE of the box.
 *   multi-defect (slots = S > 1): S slots, each with logits over C + 1 classes
 *       (class C = "no defect", the padding class) [N, S, C + 1] and a box
 *       [N, S, 4]; padding slots have the padding class and a zero box;
 *       loss = cross-entropy averaged over the N x S slots + MSE over every box
 *       value (padding included, as the paper's zero-padded targets).
 * Boxes are (xmin, xmax, ymin, ymax) divided by the image's width / height
 * (the paper's order), linear outputs. The heads are two Linear layers on
 * the flattened features ("det.cls", "det.box"), PyTorch's default init.
 *
 * Targets from VOC boxes (sg_box_head_targets): the image's boxes sorted by
 * (xmin, ymin) (a fixed slot order, the paper gives none), the first S kept.
 * Predictions to detections (sg_box_head_detections) for VOC mAP
 * (interp/detection.h): each slot whose most probable class is a real one
 * gives one detection with that class and its probability as the score
 * (single-defect: always one). */
#ifndef SG_MODEL_BOXHEAD_H
#define SG_MODEL_BOXHEAD_H

#include <stdint.h>

#include "core/graph.h"
#include "core/param.h"
#include "data/dataset.h"
#include "interp/detection.h"
#include "layers/layers.h"

typedef struct sg_box_head {
    int features, classes, slots; /* classes: the real ones (C) */
    sg_linear_layer cls, box;     /* det.cls [S * K, F] (K = C, or C + 1 if S > 1), det.box [S * 4, F] */
} sg_box_head;

/* Logit columns per slot: C for one slot, C + 1 (with "no defect") otherwise. */
int sg_box_head_slot_classes(const sg_box_head *h);

sg_err sg_box_head_init(sg_box_head *h, sg_params *ps, int features, int classes, int slots,
                        uint64_t seed);
/* features [N, ...] (flattened from dim 1) -> logits [N, S, K]; *boxes [N, S, 4]. */
sg_tensor *sg_box_head_forward(sg_graph *g, const sg_box_head *h, sg_tensor *features,
                               sg_tensor **boxes);
/* CE(logits, labels [N * S]) + MSE(boxes, target_boxes [N, S, 4]): a scalar. */
sg_tensor *sg_box_head_loss(sg_graph *g, const sg_box_head *h, sg_tensor *logits,
                            sg_tensor *boxes, const int32_t *labels, sg_tensor *target_boxes);

/* One image's targets: labels [S] and boxes [S * 4] from its VOC boxes (pixel
 * coordinates, 1-based inclusive: xmin - 1 .. xmax over the width). Returns
 * the number of boxes that did not fit in the slots (dropped). */
int sg_box_head_targets(const sg_box_head *h, const sg_box *boxes, int n_boxes, int width,
                        int height, int32_t *labels, float *target);

/* Detections of image `image` from its logits [S * K] and boxes [S * 4] into
 * out (room for S); returns how many. Boxes as continuous coordinates in
 * [0, 1] (x from xmin, xmax; y from ymin, ymax). */
int sg_box_head_detections(const sg_box_head *h, int image, const float *logits,
                           const float *boxes, sg_det_box *out);

#endif

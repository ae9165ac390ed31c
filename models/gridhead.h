/* models/gridhead.h - a dense detection head on any backbone's feature map
 * (`steelgrad detect --head grid`): one prediction per cell, YOLOv1-style.
 *
 * Layers: "det.grid.conv" 3x3 conv (pad 1) F -> hidden, ReLU, then
 * "det.grid.out" 1x1 conv hidden -> 5 + C. Output [N, 5 + C, H, W], H x W the
 * backbone's map (cnn002 / cnn at 128 px: 8 x 8, stride 16). Per cell the
 * channels are:
 *   0          objectness logit (its bias starts at log(0.02 / 0.98): few
 *              cells hold an object, so the first steps do not spend
 *              themselves pushing every cell down)
 *   1 .. C     class logits (softmax)
 *   C+1, C+2   centre offset from the cell's corner, x then y, in cells:
 *              2 sigmoid(t) - 0.5 in (-0.5, 1.5) (YOLOv5's, so that a
 *              neighbour cell can reach a centre just across its edge)
 *   C+3, C+4   log of the box width and height over the image's (exp(t))
 *
 * Targets (sg_grid_head_assign): a box belongs to the cell holding its centre
 * (cx, cy) = ((xmin + xmax) / 2, (ymin + ymax) / 2), column
 * j = min(floor(cx W), W - 1), row i = min(floor(cy H), H - 1); a centre on a
 * cell edge goes to the cell right of / below the edge. When two boxes share
 * a cell the larger (area) keeps it (equal areas: the first given); the
 * other is not learned there. With `neighbours` (what `detect --head grid`
 * uses, YOLOv5's rule) a box also claims, in a second pass, the nearer
 * neighbour cell across each axis (left or right of the centre cell, as cx
 * lies in its left or right half; above or below likewise) when that cell is
 * inside the grid and no box's centre cell: up to 3 positives per box, so
 * more cells learn to fire. Box target of a cell (i, j): (cx W - j,
 * cy H - i, log w, log h), w and h at least 1e-3.
 *
 * Loss (sg_grid_head_loss), with P = max(1, positive cells of the batch):
 *   ( sum over all cells BCE(objectness, 1 if positive else 0)
 *   + sum over positive cells CE(class logits, class)
 *   + 1.0 x sum over positive cells of the L1 distance of the 4 box values ) / P
 * (FCOS's normalisation by the positives; the three weights are 1).
 *
 * Decoding (sg_grid_head_decode): score = sigmoid(objectness) x the largest
 * class probability, that class; cells with score >= threshold give a box
 * (clamped to [0, 1]), then per-class NMS (IoU > nms_iou suppressed,
 * interp/detection.h sg_det_nms). Boxes are in continuous [0, 1]
 * coordinates over the image's width and height. */
#ifndef SG_MODEL_GRIDHEAD_H
#define SG_MODEL_GRIDHEAD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "core/param.h"
#include "interp/detection.h"
#include "layers/layers.h"

enum { SG_GRID_IGNORE = -100, SG_GRID_HIDDEN = 128 };
#define SG_GRID_BOX_WEIGHT 1.0f

typedef struct sg_grid_head {
    int in_channels, hidden, classes;
    sg_conv2d_layer conv, out;
} sg_grid_head;

/* Channels of the output: 5 + classes. */
int sg_grid_head_channels(const sg_grid_head *h);

sg_err sg_grid_head_init(sg_grid_head *h, sg_params *ps, int in_channels, int classes, int hidden,
                         uint64_t seed);
/* features [N, F, H, W] -> [N, 5 + C, H, W]. */
sg_tensor *sg_grid_head_forward(sg_graph *g, const sg_grid_head *h, sg_tensor *features);

/* One image's targets on an H x W grid from its boxes (normalised, only
 * xmin..ymax and label read): obj [H * W] (0 / 1), cls [H * W] (class, or
 * SG_GRID_IGNORE), box [4 * H * W] and mask [4 * H * W] channel-major (box
 * values and 1 at positive cells, 0 elsewhere). Returns the positive cells. */
int sg_grid_head_assign(int H, int W, const sg_det_box *boxes, int n_boxes, bool neighbours, float *obj,
                        int32_t *cls, float *box, float *mask);

/* The loss above of out [N, 5 + C, H, W] against the batch's targets (the
 * per-image arrays of sg_grid_head_assign one after the other) and their
 * positive count. A scalar. */
sg_tensor *sg_grid_head_loss(sg_graph *g, const sg_grid_head *h, sg_tensor *out, const float *obj,
                             const int32_t *cls, const float *box, const float *mask, int positives);

/* Detections of one image from its output [(5 + C) * H * W] into dets (room
 * for H * W), labelled `image`; returns how many after NMS, -1 on OOM. */
int sg_grid_head_decode(int classes, const float *out, int H, int W, int image, float threshold,
                        double nms_iou, sg_det_box *dets);

#endif

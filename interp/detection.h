/* interp/detection.h - detection metrics as the PASCAL VOC devkit computes
 * them: IoU, per-class average precision (all-point and 11-point), mAP.
 *
 * The devkit's rule (VOCevaldet.m of VOC2012; py-faster-rcnn's voc_eval.py is
 * a line-for-line port): the detections of a class, over all images, sorted
 * by confidence (highest first; equal scores keep their input order, a
 * stable sort). Each is matched to the ground-truth box of the same image and
 * class with the largest IoU; IoU > threshold (0.5) and that box not yet
 * taken: a true positive (the box is taken); the box already taken or IoU <=
 * threshold: a false positive; a "difficult" box matched: neither. recall =
 * TP / (non-difficult boxes), precision = TP / (TP + FP) along the list.
 *   all-point AP (VOC2010+): the area under the precision envelope
 *     (precision made monotone from the right), summed where recall changes;
 *   11-point AP (VOC2007): mean over t = 0, 0.1, .., 1 of the largest precision
 *     at recall >= t (0 when none).
 * Boxes: pixel_inclusive (VOC's 1-based inclusive pixels) measures widths as
 * xmax - xmin + 1, as the devkit; otherwise as continuous coordinates
 * (normalised boxes). A class with no non-difficult box has no AP (NaN) and is
 * left out of the mean. */
#ifndef SG_INTERP_DETECTION_H
#define SG_INTERP_DETECTION_H

#include <stdbool.h>

#include "core/error.h"

typedef struct sg_det_box {
    int image;                    /* which image the box belongs to */
    int label;                    /* class index */
    float score;                  /* detections: confidence; ground truth: unused */
    bool difficult;               /* ground truth: VOC's <difficult> */
    float xmin, ymin, xmax, ymax;
} sg_det_box;

/* IoU of two boxes (0 when disjoint). */
double sg_box_iou(const sg_det_box *a, const sg_det_box *b, bool pixel_inclusive);

/* AP of class `label`: all-point into *ap_all, 11-point into *ap_11 (either
 * may be NULL); NaN when the class has no non-difficult box. SG_ERR_NOMEM. */
sg_err sg_voc_ap(const sg_det_box *gt, int n_gt, const sg_det_box *det, int n_det, int label,
                 double iou_threshold, bool pixel_inclusive, double *ap_all, double *ap_11);

/* mAP over classes 0..n_classes-1 (the mean of the defined APs; NaN if none);
 * per_class_all / per_class_11 [n_classes] may be NULL. */
sg_err sg_voc_map(const sg_det_box *gt, int n_gt, const sg_det_box *det, int n_det,
                  int n_classes, double iou_threshold, bool pixel_inclusive, double *map_all,
                  double *map_11, double *per_class_all, double *per_class_11);

/* Non-maximum suppression, per image and class: the detections sorted by
 * score (highest first; equal scores keep their input order), then each one
 * kept unless a kept detection of the same image and class overlaps it with
 * IoU > iou_threshold. The kept ones are moved to the front of det in that
 * order; returns how many. SG_ERR_NOMEM gives -1 (message set). */
int sg_det_nms(sg_det_box *det, int n_det, double iou_threshold, bool pixel_inclusive);

#endif

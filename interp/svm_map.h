/* interp/svm_map.h - SVM-weight heatmaps (paper 000): where in the image the
 * linear SVM on pooled backbone features finds its evidence.
 *
 * With F [D, h, w] the backbone's last feature map of one image and the SVM
 * trained on its global average pool, the decision for class k is
 *     d_k = w_k . mean_p F[:, p] + b_k = sum_p (w_k . F[:, p]) / (h w) + b_k,
 * so position p contributes c_p = (w_k . F[:, p]) / (h w) (for two classes,
 * class 1 uses the SVM's w and class 0 its negative). The heatmap is
 * max(c, 0) / max_p c_p (0 everywhere when no position is positive, as
 * Grad-CAM's ReLU and normalisation), upsampled bilinearly
 * (align_corners=False) to the input size. The SVM must have been trained on
 * raw pooled features (not `features --standardize`, whose scaling is not
 * stored). */
#ifndef SG_INTERP_SVM_MAP_H
#define SG_INTERP_SVM_MAP_H

#include "core/error.h"
#include "core/graph.h"
#include "models/zoo.h"
#include "optim/svm.h"

/* image [C x S x S] as the model takes it (normalised like training);
 * map [S x S] in [0, 1]; contributions [h x w] (may be NULL, *h and *w set
 * when not NULL) the raw c_p. Errors: a feature size other than the SVM's
 * (naming both), a class outside the SVM's. */
sg_err sg_svm_weight_map(sg_graph *g, sg_model *m, const sg_svm *svm, const float *image, int channels, int size,
                         int class_k, float *map, float *contributions, int *h, int *w);

#endif

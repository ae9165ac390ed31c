/* interp/gradcam.h - class activation maps from gradients: Grad-CAM and
 * Grad-CAM++ on any named layer of any zoo model.
 *
 * One eval-mode forward (BatchNorm running statistics, no dropout) with a tap
 * on the layer (core/graph.h), one backward of the target logit, then, with
 * A the layer's output [1, K, h, w] and G = d logit[target] / d A:
 *
 *   Grad-CAM    w_k = mean_ij G_kij                         (Selvaraju et al. 2017)
 *   Grad-CAM++  a_kij = G^2 / (2 G^2 + (sum_ij A_kij) G^3 + 1e-6), 0 where G = 0
 *               w_k = sum_ij relu(G_kij) a_kij              (Chattopadhay et al. 2018, eq. 19)
 *   cam_ij  = relu(sum_k w_k A_kij)
 *   map     = norm(resize(norm(cam)))  with norm(c) = (c - min c) / (1e-7 + max(c - min c))
 *
 * exactly as pytorch-grad-cam 1.5 (PyPI `grad-cam`) computes them: its
 * ClassifierOutputTarget (the raw logit, not the softmax), its
 * scale_cam_image (min/max with 1e-7), cv2.resize INTER_LINEAR to the input
 * size (half-pixel centres, edge clamp, no antialiasing: the same as
 * PyTorch's bilinear with align_corners=False when enlarging), and the second
 * scale_cam_image of aggregate_multi_layers. The sums run in double; the
 * reference's float32 numpy differs by ~1e-6 (tests/test_gradcam.c checks
 * 1e-4 against it). A map that is 0 everywhere (no positive evidence) stays 0.
 *
 * Only the tapped layer and what follows it record a tape: the weights'
 * gradients are not computed (the model's parameters are left as they were,
 * gradients included). */
#ifndef SG_INTERP_GRADCAM_H
#define SG_INTERP_GRADCAM_H

#include "core/error.h"
#include "core/graph.h"
#include "models/zoo.h"

typedef enum sg_cam_method { SG_CAM_GRADCAM = 0, SG_CAM_GRADCAM_PP = 1 } sg_cam_method;

/* Several layers at once ("features.11,features.14"): at most this many, each
 * name shorter than SG_CAM_LAYER_NAME. */
enum { SG_CAM_MAX_LAYERS = 4, SG_CAM_LAYER_NAME = 64 };

/* "gradcam" / "gradcam++" -> method; -1 for another name. */
int sg_cam_method_from_name(const char *name);
const char *sg_cam_method_name(sg_cam_method method);

typedef struct sg_cam_result {
    int target;                   /* the class explained */
    int predicted;                /* argmax of the logits */
    float probability;            /* softmax probability of `target` */
    int peak_x, peak_y;           /* the map's maximum (first in row-major order) */
    int layer_h, layer_w;         /* the layer's spatial size before upsampling */
} sg_cam_result;

/* The map [H * W] of x [1, C, H, W] (C, H, W: the model's input) for class
 * `target` (< 0: the predicted class) on `layer` (NULL or "": the model's
 * default_layer). `layer` may name several layers separated by commas, as
 * pytorch-grad-cam's target_layers list: one forward and one backward, each
 * layer's cam normalised and resized to H x W, their mean normalised
 * (aggregate_multi_layers); res->layer_h/w are then the first layer's.
 * g is reset before and after (its taps cleared). Errors:
 * SG_ERR_INVALID "<model>: no layer 'x'; layers: ..." for an unknown layer,
 * a target outside [0, classes), a layer that is not a [1, K, h, w] map;
 * the forward's error for a bad input shape. res may be NULL. */
sg_err sg_gradcam(sg_graph *g, sg_model *m, const float *x, int C, int H, int W,
                  sg_cam_method method, int target, const char *layer, float *map,
                  sg_cam_result *res);

/* Bilinear resize of src [sh, sw] to dst [dh, dw] as cv2.resize INTER_LINEAR
 * on float32: source coordinate (d + 0.5) * s / d - 0.5, clamped to the edge. */
void sg_cam_resize_bilinear(const float *src, int sh, int sw, float *dst, int dh, int dw);

/* pytorch-grad-cam's scale_cam_image on n values: x - min, / (1e-7 + max). */
void sg_cam_normalize(float *v, int64_t n);

#endif

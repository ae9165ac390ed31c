/* interp/attention.h - what a transformer attended to, as a map over the
 * input image: attention rollout and CCT's sequence-pool weights.
 *
 * One eval-mode, no-grad forward that records every encoder block's
 * attention averaged over its heads, A_l [T, T] (rows: queries, sum 1), and
 * for CCT the sequence-pool weights w [T] (models/zoo.h, sg_model.attention).
 *
 *   rollout (Abnar & Zuidema 2020, "Quantifying attention flow in
 *   transformers"; as jacobgil/vit-explain with head fusion "mean" and no
 *   discarding):  B_l = (A_l + I) / 2 with rows renormalised to sum 1,
 *                 R = B_L ... B_2 B_1 (R[i, j]: how much output token i
 *                 draws from input token j through the residual paths);
 *     ViT: the class token's row R[0, 1:] over the patches;
 *     CCT: w R (its output is the w-weighted average of the tokens).
 *   pool (CCT only): w itself, the weight sequence pooling gives each token.
 *
 * The token grid (g x g) is then scaled as Grad-CAM's map is
 * (interp/gradcam.h): normalised, resized bilinearly to the input size,
 * normalised again to [0, 1]. Both maps are class-agnostic: `target` only
 * selects the class whose probability is reported. */
#ifndef SG_INTERP_ATTENTION_H
#define SG_INTERP_ATTENTION_H

#include "core/error.h"
#include "core/graph.h"
#include "interp/gradcam.h"
#include "models/zoo.h"

typedef enum sg_attn_method { SG_ATTN_ROLLOUT = 0, SG_ATTN_POOL = 1 } sg_attn_method;

/* Attention rollout of L matrices A [L, T, T] into R [T, T] (R = identity for
 * L = 0). Exposed for tests and for callers with their own maps. */
void sg_attention_rollout(const float *A, int L, int T, double *R);

/* The map [H * W] of x [1, C, H, W] (the model's input). SG_ERR_INVALID for
 * a model that is not a transformer, SG_ATTN_POOL on a model without
 * sequence pooling (ViT), a target outside [0, classes); the forward's error
 * otherwise. g is reset before and after. res may be NULL (layer_h/w: the
 * token grid). */
sg_err sg_attention_map(sg_graph *g, sg_model *m, const float *x, int C, int H, int W,
                        sg_attn_method method, int target, float *map, sg_cam_result *res);

#endif

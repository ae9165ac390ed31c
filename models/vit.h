/* models/vit.h - the Vision Transformer (Dosovitskiy et al. 2021) as
 * torchvision builds it (torchvision.models.VisionTransformer, 0.14+):
 *
 *   conv_proj                      Conv2d(in, dim, patch, stride patch), bias
 *   tokens                         [N, dim, h, w] -> [N, h*w, dim]
 *   class_token                    [1, 1, dim], prepended
 *   encoder.pos_embedding          [1, 1 + h*w, dim], added; encoder.dropout
 *   encoder.layers.encoder_layer_<i>
 *                                  pre-norm block (layers/transformer.h,
 *                                  SG_BLOCK_PRE_NORM): ln_1, self_attention
 *                                  (nn.MultiheadAttention: in_proj_weight,
 *                                  in_proj_bias, out_proj), ln_2, mlp.0, mlp.3
 *   encoder.ln                     LayerNorm (eps 1e-6, as every LN here)
 *   heads.head                     Linear(dim, classes) on the class token
 *
 * Parameter names are torchvision's state_dict keys; vit_b_16 with 1000
 * classes has 86,567,656 parameters. A checkpoint saved at another image size
 * loads through sg_model_load_weights, which resizes encoder.pos_embedding
 * (layers/transformer.h, sg_pos_embed_resize). Initialisation as torchvision:
 * conv_proj trunc_normal std sqrt(1 / fan_in), zero bias; class token 0;
 * position embedding N(0, 0.02); attention as nn.MultiheadAttention; MLP
 * xavier_uniform weights and N(0, 1e-6) biases; head zero. */
#ifndef SG_MODEL_VIT_H
#define SG_MODEL_VIT_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"
#include "layers/transformer.h"

enum { SG_VIT_MAX_LAYERS = 32 };

typedef struct sg_vit_config {
    int in_channels, image_size, patch;
    int classes;                  /* 0 = no head (a zoo head's backbone) */
    int layers, heads, dim, mlp_dim;
    float dropout, attn_dropout, drop_path;   /* torchvision: 0, 0, (none) 0 */
} sg_vit_config;

typedef struct sg_vit {
    sg_vit_config cfg;
    sg_params params;
    sg_conv2d_layer conv_proj;
    int grid;                     /* patches per side */
    sg_param *class_token, *pos;  /* [1, 1, dim], [1, 1 + grid^2, dim] */
    sg_encoder_block blocks[SG_VIT_MAX_LAYERS];
    sg_layernorm_layer ln;
    sg_linear_layer head;
    sg_tensor **attention;        /* as sg_cct.attention: [N, 1 + T, 1 + T] per block */
} sg_vit;

/* "vit_b_16", "vit_b_32", "vit_l_16", "vit_s_16", "vit_ti_16" into *cfg
 * (in_channels 3, the preset's default size); false for an unknown name. */
bool sg_vit_preset(const char *name, sg_vit_config *cfg);

/* SG_ERR_INVALID naming the field for bad sizes (the patch must divide the image size). */
sg_err sg_vit_init(sg_vit *m, const sg_vit_config *cfg, uint64_t seed);
/* The patch tokens after encoder.ln as a map [N, dim, grid, grid]. */
sg_tensor *sg_vit_features(sg_graph *g, sg_vit *m, sg_tensor *x);
/* Logits [N, classes] for [N, in_channels, image_size, image_size]. */
sg_tensor *sg_vit_forward(sg_graph *g, sg_vit *m, sg_tensor *x);
void sg_vit_free(sg_vit *m);

#endif

/* models/cct.h - the Compact Convolutional Transformer (Hassani et al. 2021),
 * as PyPI vit-pytorch builds it (vit_pytorch.cct.CCT, version 1.26):
 *
 *   tokenizer.conv_layers.<i>   n_conv x [conv k x k (stride, padding, no bias),
 *                               ReLU, max pool 3 stride 2 padding 1]; widths
 *                               in -> 64 -> ... -> 64 -> dim (in_planes 64)
 *   tokens                      [N, dim, h, w] -> [N, h*w, dim]
 *   classifier.positional_emb   [1, T, dim]: sinusoidal (vit-pytorch's default;
 *                               a non-trainable tensor that is in its state_dict,
 *                               a buffer here) or learnable (trunc_normal std 0.2)
 *   classifier.blocks.<i>       cct.TransformerEncoderLayer: pre_norm, self_attn.qkv
 *                               (no bias), self_attn.proj, linear1, norm1, linear2
 *                               (layers/transformer.h, SG_BLOCK_CCT); stochastic
 *                               depth rising linearly 0 .. drop_path over the blocks
 *   classifier.norm             LayerNorm
 *   classifier.attention_pool   sequence pooling: w = softmax_T(x a^T + b), pooled = w x
 *   classifier.fc               Linear(dim, classes)
 *
 * Parameter names are its state_dict keys, so `save_file(model.state_dict())`
 * of a vit-pytorch CCT loads here. Initialisation as the reference: convs
 * kaiming_normal (fan_in), linears trunc_normal std 0.02 and zero bias,
 * LayerNorm 1 and 0. */
#ifndef SG_MODEL_CCT_H
#define SG_MODEL_CCT_H

#include <stdbool.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"
#include "layers/transformer.h"

enum { SG_CCT_MAX_CONVS = 8, SG_CCT_MAX_LAYERS = 24 };

typedef struct sg_cct_config {
    int in_channels, image_size;
    int classes;                  /* 0 = no sequence pool and fc (a zoo head's backbone) */
    int dim, n_conv, kernel, stride, padding;
    int layers, heads;
    double mlp_ratio;             /* hidden = int(dim * mlp_ratio) */
    bool learnable_pos;           /* false: sinusoidal */
    float dropout, attn_dropout, drop_path;   /* vit-pytorch CCT: 0, 0.1, 0.1 */
} sg_cct_config;

typedef struct sg_cct {
    sg_cct_config cfg;
    sg_params params;
    sg_conv2d_layer conv[SG_CCT_MAX_CONVS];
    int grid;                     /* tokens per side after the tokenizer; T = grid^2 */
    sg_param *pos;                /* classifier.positional_emb [1, T, dim] */
    sg_encoder_block blocks[SG_CCT_MAX_LAYERS];
    sg_layernorm_layer norm;
    sg_linear_layer pool, fc;     /* attention_pool [1, dim], fc [classes, dim] */
    /* Set by the caller before a forward (else NULL): receives each block's
     * head-averaged attention [N, T, T] / the sequence-pool weights [N, T]. */
    sg_tensor **attention;
    sg_tensor **pool_weights;
} sg_cct;

/* A named preset ("cct_7_3x1_32", "cct000_small", ...; sg_cct_preset_names)
 * into *cfg (in_channels 3, classes and image size left to the caller; the
 * image size is the preset's default). false for an unknown name. */
bool sg_cct_preset(const char *name, sg_cct_config *cfg);
/* Tokens per side the tokenizer makes of a side of `size` pixels; 0 if none. */
int sg_cct_grid(const sg_cct_config *cfg, int size);

/* SG_ERR_INVALID naming the field for bad sizes (heads must divide dim, the
 * tokenizer must leave at least one token). */
sg_err sg_cct_init(sg_cct *m, const sg_cct_config *cfg, uint64_t seed);
/* The encoder's normalised tokens as a map [N, dim, grid, grid]. */
sg_tensor *sg_cct_features(sg_graph *g, sg_cct *m, sg_tensor *x);
/* Logits [N, classes] for [N, in_channels, image_size, image_size]. */
sg_tensor *sg_cct_forward(sg_graph *g, sg_cct *m, sg_tensor *x);
void sg_cct_free(sg_cct *m);

#endif

/* layers/transformer.h - the parts of a vision transformer: layer norm with
 * parameters, multi-head self-attention, the encoder block (attention + GELU
 * MLP, dropout, stochastic depth), and position embeddings (sinusoidal,
 * learnable, resized to another input size).
 *
 * Everything is built from ops that already have a backward (linear, layer
 * norm, scaled dot-product attention, GELU, dropout, elementwise), so the tape
 * records every step. Two references use these blocks with different names:
 * vit-pytorch's CCT (models/cct.h) and torchvision's ViT (models/vit.h); the
 * names are given at init. */
#ifndef SG_TRANSFORMER_H
#define SG_TRANSFORMER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

/* torch.nn.LayerNorm(D, eps): "<prefix>.weight" = 1, "<prefix>.bias" = 0. */
typedef struct sg_layernorm_layer {
    sg_param *weight, *bias;      /* [D] */
    float eps;
} sg_layernorm_layer;

sg_err sg_layernorm_layer_init(sg_layernorm_layer *l, sg_params *ps, const char *prefix, int D,
                               float eps);
/* LayerNorm over the last dim of x [..., D]. */
sg_tensor *sg_layernorm_layer_forward(sg_graph *g, const sg_layernorm_layer *l, sg_tensor *x);

/* Multi-head self-attention on x [B, T, E]:
 *   q, k, v = the three E-wide thirds of x W_qkv^T (+ b_qkv)
 *   per head h (Dh = E / heads): P_h = softmax(q_h k_h^T / sqrt(Dh)), o_h = dropout(P_h) v_h
 *   y = concat_h(o_h) W_proj^T + b_proj
 * vit-pytorch's cct.Attention (qkv without bias, proj with) and
 * torch.nn.MultiheadAttention (in_proj_weight / in_proj_bias, out_proj) are
 * both this computation. */
typedef struct sg_mhsa_layer {
    sg_param *qkv_weight;         /* [3E, E], rows q, k, v */
    sg_param *qkv_bias;           /* [3E] or NULL */
    sg_param *proj_weight;        /* [E, E] */
    sg_param *proj_bias;          /* [E] or NULL */
    int heads;
    float attn_dropout;           /* on the probabilities, training only */
} sg_mhsa_layer;

/* Parameters under the four given names (a NULL bias name: no bias), E wide.
 * Initialised as torch.nn.MultiheadAttention does (xavier_uniform in-projection,
 * zero biases, out-projection PyTorch's Linear default); callers with another
 * rule re-initialise. SG_ERR_INVALID unless heads divides E. */
sg_err sg_mhsa_layer_init(sg_mhsa_layer *l, sg_params *ps, const char *qkv_weight,
                          const char *qkv_bias, const char *proj_weight, const char *proj_bias,
                          int E, int heads, float attn_dropout, uint64_t seed);
/* y [B, T, E]. attn: NULL, or receives the probabilities averaged over the
 * heads [B, T, T] (no gradient), for attention maps. In training mode with
 * attn_dropout > 0 the attention is sg_attention_dropout (layers/attention.h:
 * the bits of the unfused matmul, scale, softmax, dropout, matmul, keeping one
 * T x T matrix per head); otherwise it is the fused scaled dot-product
 * attention. */
sg_tensor *sg_mhsa_forward(sg_graph *g, const sg_mhsa_layer *l, sg_tensor *x, sg_tensor **attn);

/* Where the block normalises:
 *   SG_BLOCK_PRE_NORM (ViT, timm, torchvision):
 *       x = x + drop_path(dropout(attn(norm1(x))))
 *       x = x + drop_path(mlp(norm2(x)))
 *   SG_BLOCK_CCT (vit-pytorch cct.TransformerEncoderLayer):
 *       x = x + drop_path(attn(pre_norm(x)));  x = norm1(x)
 *       x = x + drop_path(mlp(x))
 *     (the second residual starts from the NORMALISED x, as the reference does)
 * with mlp(x) = dropout(fc2(dropout(gelu(fc1(x))))). */
typedef enum sg_block_kind { SG_BLOCK_PRE_NORM, SG_BLOCK_CCT } sg_block_kind;

typedef struct sg_encoder_block {
    sg_block_kind kind;
    sg_layernorm_layer norm1, norm2;   /* CCT: pre_norm, norm1 */
    sg_mhsa_layer attn;
    sg_linear_layer fc1, fc2;          /* E -> hidden -> E */
    float dropout;                     /* after the attention, GELU and fc2 */
    float drop_path;                   /* stochastic depth: a sample's branch is dropped */
} sg_encoder_block;

/* The parameter names of one block, printf formats with one %d (the block
 * index) each; the qkv and proj names are full names (".weight" included). */
typedef struct sg_encoder_names {
    const char *norm1, *norm2, *qkv_weight, *qkv_bias, *proj_weight, *proj_bias, *fc1, *fc2;
} sg_encoder_names;

typedef struct sg_encoder_config {
    sg_block_kind kind;
    int dim, heads, hidden;            /* E, heads, MLP width */
    float eps;                         /* LayerNorm eps */
    float dropout, attn_dropout, drop_path;
} sg_encoder_config;

sg_err sg_encoder_block_init(sg_encoder_block *b, sg_params *ps, const sg_encoder_names *names,
                             int index, const sg_encoder_config *cfg, uint64_t seed);
/* x [B, T, E] -> [B, T, E]; attn as sg_mhsa_forward. */
sg_tensor *sg_encoder_block_forward(sg_graph *g, const sg_encoder_block *b, sg_tensor *x,
                                    sg_tensor **attn);

/* Stochastic depth (DropPath, Huang et al. 2016, as timm and vit-pytorch):
 * in training mode each sample of x [B, ...] is zeroed with probability p
 * and kept ones scaled by 1 / (1 - p); the identity in eval mode or p == 0.
 * The mask comes from the dropout stream (layers/dropout.h), one draw per
 * sample, so it is the same on any thread count. */
sg_tensor *sg_drop_path(sg_graph *g, sg_tensor *x, float p);

/* vit-pytorch cct.sinusoidal_embedding(T, D) into pe [T, D]:
 * angle(t, i) = t / 10000^(2 floor(i / 2) / D) (double, rounded to float),
 * pe = sin(angle) for even i, cos(angle) for odd i. */
void sg_sinusoidal_embedding(float *pe, int T, int D);

/* Resize a learnable position embedding to another token grid: src
 * [prefix + sh * sw, D] (prefix tokens, e.g. ViT's class token, first and
 * kept as they are) -> dst [prefix + dh * dw, D], the grid part resized
 * bilinearly as F.interpolate(mode="bilinear", align_corners=False) would on
 * [1, D, sh, sw]. This is how a checkpoint trained at one image size loads
 * into a model built for another. */
void sg_pos_embed_resize(const float *src, int prefix, int sh, int sw, int D, float *dst, int dh,
                         int dw);

#endif

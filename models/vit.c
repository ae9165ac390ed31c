/* models/vit.c - the Vision Transformer as torchvision builds it (see vit.h). */
#include "models/vit.h"

#include <math.h>
#include <string.h>

#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/init.h"
#include "layers/shape.h"
#include "models/convbn.h"

enum { LN_EPS_DIV = 1000000 };   /* torchvision: LayerNorm(eps=1e-6) */

/* torchvision's vit_b_16 / vit_b_32 / vit_l_16, and the DeiT paper's tiny and
 * small widths (Touvron et al. 2021: dim 192 / 384, 3 / 6 heads, 12 layers)
 * at 128 pixels, small enough to train on two cores. */
static const struct {
    const char *name;
    int size, patch, layers, heads, dim, mlp_dim;
} PRESETS[] = {
    {"vit_b_16", 224, 16, 12, 12, 768, 3072},
    {"vit_b_32", 224, 32, 12, 12, 768, 3072},
    {"vit_l_16", 224, 16, 24, 16, 1024, 4096},
    {"vit_s_16", 128, 16, 12, 6, 384, 1536},
    {"vit_ti_16", 128, 16, 12, 3, 192, 768},
};

bool sg_vit_preset(const char *name, sg_vit_config *cfg)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (name && strcmp(PRESETS[i].name, name) == 0) {
            *cfg = (sg_vit_config){.in_channels = 3, .image_size = PRESETS[i].size,
                                   .patch = PRESETS[i].patch, .layers = PRESETS[i].layers,
                                   .heads = PRESETS[i].heads, .dim = PRESETS[i].dim,
                                   .mlp_dim = PRESETS[i].mlp_dim};
            return true;
        }
    return false;
}

static const sg_encoder_names VIT_NAMES = {
    .norm1 = "encoder.layers.encoder_layer_%d.ln_1", .norm2 = "encoder.layers.encoder_layer_%d.ln_2",
    .qkv_weight = "encoder.layers.encoder_layer_%d.self_attention.in_proj_weight",
    .qkv_bias = "encoder.layers.encoder_layer_%d.self_attention.in_proj_bias",
    .proj_weight = "encoder.layers.encoder_layer_%d.self_attention.out_proj.weight",
    .proj_bias = "encoder.layers.encoder_layer_%d.self_attention.out_proj.bias",
    .fc1 = "encoder.layers.encoder_layer_%d.mlp.0", .fc2 = "encoder.layers.encoder_layer_%d.mlp.3"};

sg_err sg_vit_init(sg_vit *m, const sg_vit_config *c, uint64_t seed)
{
    *m = (sg_vit){.cfg = *c};
    if (c->in_channels < 1 || c->classes < 0 || c->classes == 1 || c->patch < 1 ||
        c->image_size < c->patch || c->image_size % c->patch || c->layers < 1 ||
        c->layers > SG_VIT_MAX_LAYERS || c->heads < 1 || c->dim % c->heads || c->mlp_dim < 1)
        return sg_error_set(SG_ERR_INVALID,
                            "vit: in_channels %d, image_size %d, patch %d, classes %d, %d layers, "
                            "%d heads, dim %d, mlp %d: expected the patch to divide the image size, "
                            "classes 0 or >= 2, 1..%d layers, heads dividing dim",
                            c->in_channels, c->image_size, c->patch, c->classes, c->layers,
                            c->heads, c->dim, c->mlp_dim, SG_VIT_MAX_LAYERS);
    m->grid = c->image_size / c->patch;
    sg_conv2d_opts opt = sg_conv2d_opts_make(c->patch, 0, 1, 1);
    sg_err err = sg_conv2d_layer_init(&m->conv_proj, &m->params, "conv_proj", c->in_channels,
                                      c->dim, c->patch, &opt, true, seed);
    if (err == SG_OK) {
        m->class_token = sg_params_add(&m->params, "class_token", 3, (int64_t[]){1, 1, c->dim});
        m->pos = m->class_token ? sg_params_add(&m->params, "encoder.pos_embedding", 3,
                                                (int64_t[]){1, 1 + m->grid * m->grid, c->dim})
                                : NULL;
        if (!m->pos) err = SG_ERR_INVALID;
    }
    float eps = 1.0f / LN_EPS_DIV;
    for (int i = 0; i < c->layers && err == SG_OK; i++) {
        sg_encoder_config ec = {.kind = SG_BLOCK_PRE_NORM, .dim = c->dim, .heads = c->heads,
                                .hidden = c->mlp_dim, .eps = eps, .dropout = c->dropout,
                                .attn_dropout = c->attn_dropout, .drop_path = c->drop_path};
        err = sg_encoder_block_init(&m->blocks[i], &m->params, &VIT_NAMES, i, &ec, seed);
    }
    if (err == SG_OK) err = sg_layernorm_layer_init(&m->ln, &m->params, "encoder.ln", c->dim, eps);
    if (err == SG_OK && c->classes > 0)
        err = sg_linear_layer_init(&m->head, &m->params, "heads.head", c->dim, c->classes, true, seed);
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    /* torchvision's initialisation (VisionTransformer.__init__, MLPBlock). */
    int64_t fan_in = (int64_t)c->in_channels * c->patch * c->patch;
    sg_init_trunc_normal(m->conv_proj.weight, seed, sqrtf(1.0f / (float)fan_in), -2.0f, 2.0f);
    sg_init_constant(m->conv_proj.bias, 0.0f);
    sg_init_normal(m->pos, seed, 0.0f, 0.02f);
    m->class_token->no_decay = m->pos->no_decay = true;
    for (int i = 0; i < c->layers; i++) {
        sg_encoder_block *b = &m->blocks[i];
        sg_init_glorot_uniform(b->fc1.weight, seed, c->dim, c->mlp_dim);
        sg_init_glorot_uniform(b->fc2.weight, seed, c->mlp_dim, c->dim);
        sg_init_normal(b->fc1.bias, seed, 0.0f, 1e-6f);
        sg_init_normal(b->fc2.bias, seed, 0.0f, 1e-6f);
    }
    if (m->head.weight) {
        sg_init_constant(m->head.weight, 0.0f);
        sg_init_constant(m->head.bias, 0.0f);
    }
    return SG_OK;
}

/* The encoder's output [N, 1 + T, dim] after encoder.ln. Marks conv_proj,
 * encoder.layers.encoder_layer_<i>, encoder.ln. */
static sg_tensor *encode(sg_graph *g, sg_vit *m, sg_tensor *x)
{
    const sg_vit_config *c = &m->cfg;
    if (x && (x->ndim != 4 || x->shape[1] != c->in_channels || x->shape[2] != c->image_size ||
              x->shape[3] != c->image_size)) {
        char s[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "vit: input %s, expected [N, %d, %d, %d] (the size the "
                      "model was built for)", sg_shape_str(x, s, sizeof s), c->in_channels,
                      c->image_size, c->image_size);
        return NULL;
    }
    x = sg_graph_mark(g, "conv_proj", sg_conv2d_layer_forward(g, &m->conv_proj, x));
    if (!x) return NULL;
    int64_t N = x->shape[0];
    x = sg_transpose(g, sg_flatten(g, x, 2, 3), 1, 2);        /* [N, T, dim] */
    /* The class token repeated over the batch: cls + zeros [N, 1, dim]. */
    sg_tensor *cls = sg_add(g, &m->class_token->t, sg_graph_zeros(g, 3, (int64_t[]){N, 1, c->dim}));
    sg_tensor *parts[2] = {cls, x};
    x = sg_dropout(g, sg_add(g, sg_concat(g, 2, parts, 1), &m->pos->t), c->dropout);
    for (int i = 0; i < c->layers; i++)
        x = sg_graph_markf(g, sg_encoder_block_forward(g, &m->blocks[i], x,
                                                       m->attention ? &m->attention[i] : NULL),
                           "encoder.layers.encoder_layer_%d", i);
    return sg_graph_mark(g, "encoder.ln", sg_layernorm_layer_forward(g, &m->ln, x));
}

sg_tensor *sg_vit_features(sg_graph *g, sg_vit *m, sg_tensor *x)
{
    x = encode(g, m, x);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], m->cfg.dim, m->grid, m->grid};
    return sg_reshape(g, sg_transpose(g, sg_slice(g, x, 1, 1, SG_SLICE_END, 1), 1, 2), 4, shape);
}

sg_tensor *sg_vit_forward(sg_graph *g, sg_vit *m, sg_tensor *x)
{
    if (!m->head.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "vit: built without a head (classes 0): use the features");
        return NULL;
    }
    x = encode(g, m, x);
    if (!x) return NULL;
    x = sg_reshape(g, sg_slice(g, x, 1, 0, 1, 1), 2, (int64_t[]){x->shape[0], m->cfg.dim});
    return sg_graph_mark(g, "heads.head", sg_linear_layer_forward(g, &m->head, x));
}

void sg_vit_free(sg_vit *m) { sg_params_free(&m->params); }

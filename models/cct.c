/* models/cct.c - the Compact Convolutional Transformer (see cct.h). */
#include "models/cct.h"

#include <string.h>

#include "layers/activation.h"
#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/init.h"
#include "layers/matmul.h"
#include "layers/norm.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "models/convbn.h"

enum { IN_PLANES = 64 };   /* vit-pytorch Tokenizer's in_planes: the width between convs */

/* The presets. cct_<layers>_<kernel>x<convs>_<size> are the CCT paper's
 * (Hassani et al. 2021, table 1 and its appendix): dim 128 / 256 / 384 with
 * heads 2 / 4 / 6 and MLP ratio 1 / 2 / 3 for 2-4 / 6-8 / 14-16 layers, as
 * vit-pytorch's cct_2 .. cct_16 helpers; a 3x3 kernel has stride 1 and padding
 * 1, a 7x7 one stride 2 and padding 3 (the helpers' rule); learnable position
 * embeddings as the paper's (non "_sine") models.
 * cct000_* are paper 000's small / medium / large (docs/MODELS.md says how
 * they were read from the paper): 3x3 tokenizer convs, sinusoidal position
 * embeddings (vit-pytorch's default, which the paper used). */
static const struct {
    const char *name;
    int size, dim, n_conv, kernel, layers, heads;
    double mlp_ratio;
    bool learnable;
} PRESETS[] = {
    {"cct_2_3x2_32", 32, 128, 2, 3, 2, 2, 1, true},
    {"cct_4_3x2_32", 32, 128, 2, 3, 4, 2, 1, true},
    {"cct_6_3x1_32", 32, 256, 1, 3, 6, 4, 2, true},
    {"cct_7_3x1_32", 32, 256, 1, 3, 7, 4, 2, true},
    {"cct_7_7x2_224", 224, 256, 2, 7, 7, 4, 2, true},
    {"cct_14_7x2_224", 224, 384, 2, 7, 14, 6, 3, true},
    {"cct000_small", 128, 64, 2, 3, 4, 4, 1, false},
    {"cct000_medium", 128, 256, 4, 3, 8, 8, 1, false},
    {"cct000_large", 128, 768, 4, 3, 12, 12, 3, false},
};

bool sg_cct_preset(const char *name, sg_cct_config *cfg)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (name && strcmp(PRESETS[i].name, name) == 0) {
            int k = PRESETS[i].kernel;
            *cfg = (sg_cct_config){.in_channels = 3, .image_size = PRESETS[i].size,
                                   .dim = PRESETS[i].dim, .n_conv = PRESETS[i].n_conv,
                                   .kernel = k, .stride = k / 2 - 1 > 1 ? k / 2 - 1 : 1,
                                   .padding = k / 2 > 1 ? k / 2 : 1, .layers = PRESETS[i].layers,
                                   .heads = PRESETS[i].heads, .mlp_ratio = PRESETS[i].mlp_ratio,
                                   .learnable_pos = PRESETS[i].learnable, .dropout = 0.0f,
                                   .attn_dropout = 0.1f, .drop_path = 0.1f};
            return true;
        }
    return false;
}

int sg_cct_grid(const sg_cct_config *c, int size)
{
    for (int i = 0; i < c->n_conv && size > 0; i++) {
        size = size + 2 * c->padding < c->kernel ? 0 : (size + 2 * c->padding - c->kernel) / c->stride + 1;
        size = size > 0 ? (size + 2 - 3) / 2 + 1 : 0;   /* max pool 3, stride 2, padding 1 */
    }
    return size > 0 ? size : 0;
}

static const sg_encoder_names CCT_NAMES = {
    .norm1 = "classifier.blocks.%d.pre_norm", .norm2 = "classifier.blocks.%d.norm1",
    .qkv_weight = "classifier.blocks.%d.self_attn.qkv.weight", .qkv_bias = NULL,
    .proj_weight = "classifier.blocks.%d.self_attn.proj.weight",
    .proj_bias = "classifier.blocks.%d.self_attn.proj.bias",
    .fc1 = "classifier.blocks.%d.linear1", .fc2 = "classifier.blocks.%d.linear2"};

/* vit-pytorch's init: TransformerClassifier.init_weight on every Linear
 * (trunc_normal std 0.02, bias 0) and LayerNorm (1, 0); Tokenizer.init_weight
 * kaiming_normal_ (fan_in, gain sqrt 2) on every conv. */
static void init_like_reference(sg_cct *m, uint64_t seed)
{
    for (int i = 0; i < m->params.count; i++) {
        sg_param *p = m->params.items[i];
        if (p->buffer || p == m->pos) continue;
        const char *leaf = strrchr(p->name, '.') + 1;
        int64_t fan_in;
        sg_init_fans(p, &fan_in, NULL);
        if (p->t.ndim == 4)
            sg_init_kaiming_normal(p, seed, fan_in);
        else if (p->t.ndim == 2)
            sg_init_trunc_normal(p, seed, 0.02f, -2.0f, 2.0f);
        else if (strcmp(leaf, "bias") == 0)
            sg_init_constant(p, 0.0f);
    }
    if (m->cfg.learnable_pos) sg_init_trunc_normal(m->pos, seed, 0.2f, -2.0f, 2.0f);
}

sg_err sg_cct_init(sg_cct *m, const sg_cct_config *c, uint64_t seed)
{
    *m = (sg_cct){.cfg = *c};
    int grid = sg_cct_grid(c, c->image_size);
    if (c->in_channels < 1 || c->classes < 0 || c->classes == 1 || c->dim < 1 || c->n_conv < 1 ||
        c->n_conv > SG_CCT_MAX_CONVS || c->layers < 1 || c->layers > SG_CCT_MAX_LAYERS ||
        c->heads < 1 || c->dim % c->heads || c->mlp_ratio <= 0 || c->kernel < 1 || c->stride < 1 ||
        c->padding < 0 || grid < 1)
        return sg_error_set(SG_ERR_INVALID,
                            "cct: in_channels %d, image_size %d, classes %d, dim %d, %d convs "
                            "%dx%d stride %d, %d layers, %d heads: expected classes 0 or >= 2, 1..%d "
                            "convs leaving at least one token, 1..%d layers, heads dividing dim",
                            c->in_channels, c->image_size, c->classes, c->dim, c->n_conv, c->kernel,
                            c->kernel, c->stride, c->layers, c->heads, SG_CCT_MAX_CONVS,
                            SG_CCT_MAX_LAYERS);
    m->grid = grid;
    sg_conv2d_opts opt = sg_conv2d_opts_make(c->stride, c->padding, 1, 1);
    char name[SG_PARAM_NAME_MAX];
    sg_err err = SG_OK;
    for (int i = 0, in = c->in_channels; i < c->n_conv && err == SG_OK; i++) {
        int out = i + 1 == c->n_conv ? c->dim : IN_PLANES;
        err = sg_conv2d_layer_init(&m->conv[i], &m->params,
                                   sg_model_name(name, "tokenizer.conv_layers.%d.0", i), in, out,
                                   c->kernel, &opt, false, seed);
        in = out;
    }
    if (err == SG_OK && c->classes > 0)
        err = sg_linear_layer_init(&m->pool, &m->params, "classifier.attention_pool", c->dim, 1,
                                   true, seed);
    if (err == SG_OK) {
        int64_t shape[3] = {1, (int64_t)grid * grid, c->dim};
        m->pos = c->learnable_pos ? sg_params_add(&m->params, "classifier.positional_emb", 3, shape)
                                  : sg_params_add_buffer(&m->params, "classifier.positional_emb", 3, shape);
        if (!m->pos) err = SG_ERR_INVALID;
        else if (!c->learnable_pos) sg_sinusoidal_embedding(m->pos->t.data, grid * grid, c->dim);
        else m->pos->no_decay = true;
    }
    for (int i = 0; i < c->layers && err == SG_OK; i++) {
        /* torch.linspace(0, drop_path, layers)[i] */
        float dpr = c->layers > 1 ? c->drop_path * (float)i / (float)(c->layers - 1) : 0.0f;
        sg_encoder_config ec = {.kind = SG_BLOCK_CCT, .dim = c->dim, .heads = c->heads,
                                .hidden = (int)(c->dim * c->mlp_ratio), .eps = SG_LN_EPS,
                                .dropout = c->dropout, .attn_dropout = c->attn_dropout,
                                .drop_path = dpr};
        err = sg_encoder_block_init(&m->blocks[i], &m->params, &CCT_NAMES, i, &ec, seed);
    }
    if (err == SG_OK)
        err = sg_layernorm_layer_init(&m->norm, &m->params, "classifier.norm", c->dim, SG_LN_EPS);
    if (err == SG_OK && c->classes > 0)
        err = sg_linear_layer_init(&m->fc, &m->params, "classifier.fc", c->dim, c->classes, true, seed);
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    init_like_reference(m, seed);
    return SG_OK;
}

/* Tokenizer and encoder: normalised tokens [N, T, dim]. Marks
 * tokenizer.conv_layers.<i>.0 (conv), tokenizer.conv_layers.<i> (after the
 * pool), tokenizer (the last map, [N, dim, grid, grid]), classifier.blocks.<i>,
 * classifier.norm. */
static sg_tensor *encode(sg_graph *g, sg_cct *m, sg_tensor *x)
{
    const sg_cct_config *c = &m->cfg;
    if (x && (x->ndim != 4 || x->shape[1] != c->in_channels || x->shape[2] != c->image_size ||
              x->shape[3] != c->image_size)) {
        char s[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "cct: input %s, expected [N, %d, %d, %d] (the size the "
                      "model was built for)", sg_shape_str(x, s, sizeof s), c->in_channels,
                      c->image_size, c->image_size);
        return NULL;
    }
    sg_pool2d_opts pool = sg_pool2d_opts_make(3, 2, 1);
    for (int i = 0; i < c->n_conv; i++) {
        x = sg_graph_markf(g, sg_conv2d_layer_forward(g, &m->conv[i], x), "tokenizer.conv_layers.%d.0", i);
        x = sg_graph_markf(g, sg_max_pool2d(g, sg_relu_inplace(g, x), &pool), "tokenizer.conv_layers.%d", i);
    }
    x = sg_graph_mark(g, "tokenizer", x);
    if (!x) return NULL;
    x = sg_transpose(g, sg_flatten(g, x, 2, 3), 1, 2);        /* b c h w -> b (h w) c */
    x = sg_dropout(g, sg_add(g, x, &m->pos->t), c->dropout);
    for (int i = 0; i < c->layers; i++)
        x = sg_graph_markf(g, sg_encoder_block_forward(g, &m->blocks[i], x,
                                                       m->attention ? &m->attention[i] : NULL),
                           "classifier.blocks.%d", i);
    return sg_graph_mark(g, "classifier.norm", sg_layernorm_layer_forward(g, &m->norm, x));
}

sg_tensor *sg_cct_features(sg_graph *g, sg_cct *m, sg_tensor *x)
{
    x = encode(g, m, x);
    if (!x) return NULL;
    int64_t shape[4] = {x->shape[0], m->cfg.dim, m->grid, m->grid};
    return sg_reshape(g, sg_transpose(g, x, 1, 2), 4, shape);
}

sg_tensor *sg_cct_forward(sg_graph *g, sg_cct *m, sg_tensor *x)
{
    if (!m->fc.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "cct: built without a classifier (classes 0): use the features");
        return NULL;
    }
    x = encode(g, m, x);
    if (!x) return NULL;
    /* Sequence pooling: w = softmax over tokens of attention_pool(x), pooled = w x. */
    int64_t N = x->shape[0], T = x->shape[1];
    sg_tensor *w = sg_softmax(g, sg_reshape(g, sg_linear_layer_forward(g, &m->pool, x), 2,
                                            (int64_t[]){N, T}), 1);
    if (w && m->pool_weights) *m->pool_weights = w;
    sg_tensor *pooled = sg_bmm(g, sg_reshape(g, w, 3, (int64_t[]){N, 1, T}), x);
    pooled = sg_reshape(g, pooled, 2, (int64_t[]){N, m->cfg.dim});
    return sg_graph_mark(g, "classifier.fc", sg_linear_layer_forward(g, &m->fc, pooled));
}

void sg_cct_free(sg_cct *m) { sg_params_free(&m->params); }

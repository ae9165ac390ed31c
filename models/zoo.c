/* models/zoo.c - the table of reference models (see zoo.h). */
#include "models/zoo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"
#include "layers/transformer.h"
#include "models/cct.h"
#include "models/cnn.h"
#include "models/cnn002.h"
#include "models/heads.h"
#include "models/inceptionv3.h"
#include "models/mobilenetv2.h"
#include "models/resnet.h"
#include "models/resnetv2.h"
#include "models/vit.h"

sg_model_options sg_model_options_defaults(int classes)
{
    return (sg_model_options){.classes = classes, .dropout = -1.0f};
}

/* A head replaces the reference classifier: the backbone is then built
 * without it. */
static bool has_head(const sg_model_options *o) { return o->head && *o->head; }

/* opts.padding as a pad mode: false for a name that is not zeros, reflect or
 * replicate. */
static bool padding_mode(const sg_model_options *o, sg_pad_mode *mode)
{
    const char *p = o->padding;
    *mode = SG_PAD_CONSTANT;
    if (!p || !*p || strcmp(p, "zeros") == 0) return true;
    if (strcmp(p, "reflect") == 0) *mode = SG_PAD_REFLECT;
    else if (strcmp(p, "replicate") == 0) *mode = SG_PAD_REPLICATE;
    else return false;
    return true;
}

/* Allocate the architecture's struct: one helper so every builder frees the
 * same way on failure. */
static void *impl_new(sg_model *m, size_t bytes)
{
    m->impl = calloc(1, bytes);
    if (!m->impl) sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the model", m->def->name);
    return m->impl;
}

static void impl_drop(sg_model *m)
{
    free(m->impl);
    m->impl = NULL;
}

/* Each architecture's forward, features and destroy, as zoo functions. */
#define SG_ZOO_ADAPTER(arch, type)                                                      \
    static sg_tensor *arch##_forward(sg_graph *g, sg_model *m, sg_tensor *x)             \
    {                                                                                   \
        return sg_##arch##_forward(g, (type *)m->impl, x);                              \
    }                                                                                   \
    static sg_tensor *arch##_features(sg_graph *g, sg_model *m, sg_tensor *x)            \
    {                                                                                   \
        return sg_##arch##_features(g, (type *)m->impl, x);                             \
    }                                                                                   \
    static void arch##_destroy(sg_model *m)                                             \
    {                                                                                   \
        if (m->impl) sg_##arch##_free((type *)m->impl);                                 \
        impl_drop(m);                                                                   \
    }

SG_ZOO_ADAPTER(cnn, sg_cnn)
SG_ZOO_ADAPTER(cnn002, sg_cnn002)
SG_ZOO_ADAPTER(mobilenetv2, sg_mobilenetv2)
SG_ZOO_ADAPTER(resnet, sg_resnet)
SG_ZOO_ADAPTER(resnetv2, sg_resnetv2)
SG_ZOO_ADAPTER(inceptionv3, sg_inceptionv3)

/* The transformers hand the model's attention outputs to their struct. */
#define SG_ZOO_TRANSFORMER_ADAPTER(arch, type)                                          \
    static void arch##_pass(sg_model *m);                                               \
    static sg_tensor *arch##_forward(sg_graph *g, sg_model *m, sg_tensor *x)             \
    {                                                                                   \
        arch##_pass(m);                                                                 \
        return sg_##arch##_forward(g, (type *)m->impl, x);                              \
    }                                                                                   \
    static sg_tensor *arch##_features(sg_graph *g, sg_model *m, sg_tensor *x)            \
    {                                                                                   \
        arch##_pass(m);                                                                 \
        return sg_##arch##_features(g, (type *)m->impl, x);                             \
    }                                                                                   \
    static void arch##_destroy(sg_model *m)                                             \
    {                                                                                   \
        if (m->impl) sg_##arch##_free((type *)m->impl);                                 \
        impl_drop(m);                                                                   \
    }

SG_ZOO_TRANSFORMER_ADAPTER(cct, sg_cct)
SG_ZOO_TRANSFORMER_ADAPTER(vit, sg_vit)

static void cct_pass(sg_model *m)
{
    sg_cct *net = m->impl;
    net->attention = m->attention;
    net->pool_weights = m->pool_weights;
}

static void vit_pass(sg_model *m) { ((sg_vit *)m->impl)->attention = m->attention; }

/* After a successful init: point m at the architecture (its params live in impl). */
#define SG_ZOO_FINISH(m, arch, net, channels)                                           \
    do {                                                                                \
        (m)->params = &(net)->params;                                                   \
        (m)->forward = arch##_forward;                                                  \
        (m)->features = arch##_features;                                                \
        (m)->feature_channels = (channels);                                             \
        (m)->destroy = arch##_destroy;                                                  \
    } while (0)

/* SG_ERR_INVALID unless the width multiplier is unset or 1 (no such option). */
static sg_err no_width(const sg_model *m, const sg_model_options *o)
{
    if (o->width_mult > 0 && o->width_mult != 1.0)
        return sg_error_set(SG_ERR_INVALID, "%s: no width multiplier (got %g)", m->def->name,
                            o->width_mult);
    return SG_OK;
}

/* The failure path of every builder: the architecture freed its params. */
static sg_err build_failed(sg_model *m, sg_err err)
{
    impl_drop(m);
    return err;
}

/* --- cnn: the demo's plain CNN ------------------------------------------ */

/* The demo CNN's widths 8-16-32-64 times the multiplier, rounded to the
 * nearest integer (at least 1): --width-mult 2 gives 16-32-64-128. */
static sg_err cnn_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_cnn *c = impl_new(m, sizeof *c);
    if (!c) return SG_ERR_NOMEM;
    sg_cnn_config cfg = {.in_channels = o->in_channels, .image_size = o->image_size,
                         .classes = has_head(o) ? 0 : o->classes, .n_blocks = 4,
                         .widths = {8, 16, 32, 64}, .head = SG_CNN_GLOBAL_MAX};
    padding_mode(o, &cfg.padding);   /* checked by sg_model_build */
    const double wm = o->width_mult > 0 ? o->width_mult : 1.0;
    for (int i = 0; i < cfg.n_blocks; i++) {
        const double w = floor(cfg.widths[i] * wm + 0.5);
        cfg.widths[i] = w < 1 ? 1 : (int)w;
    }
    sg_err err = sg_cnn_init(c, &cfg, seed);
    if (err != SG_OK) {
        sg_cnn_free(c);
        return build_failed(m, err);
    }
    SG_ZOO_FINISH(m, cnn, c, cfg.widths[cfg.n_blocks - 1]);
    return SG_OK;
}

/* --- cnn002: paper 002's custom CNN -------------------------------------- */

static sg_err cnn002_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_cnn002 *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_cnn002_config cfg = {.in_channels = o->in_channels, .image_size = o->image_size,
                            .classes = has_head(o) ? 0 : o->classes,
                            .dropout = o->dropout >= 0 ? o->dropout : 0.5f};
    err = sg_cnn002_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, cnn002, net, sg_cnn002_widths[SG_CNN002_BLOCKS - 1]);
    return SG_OK;
}

/* --- MobileNetV2 ---------------------------------------------------------- */

static sg_err mobilenetv2_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_mobilenetv2 *net = impl_new(m, sizeof *net);
    if (!net) return SG_ERR_NOMEM;
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(has_head(o) ? 0 : o->classes);
    cfg.in_channels = o->in_channels;
    if (o->width_mult > 0) cfg.width_mult = o->width_mult;
    if (o->dropout >= 0) cfg.dropout = o->dropout;
    sg_err err = sg_mobilenetv2_init(net, &cfg, seed);
    if (err != SG_OK) {
        sg_mobilenetv2_free(net);
        return build_failed(m, err);
    }
    SG_ZOO_FINISH(m, mobilenetv2, net, net->last_channels);
    return SG_OK;
}

/* --- ResNet v1 (resnet18 .. resnet152: the depth is the name's number) ---- */

static sg_err resnet_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_resnet *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_resnet_config cfg = {.depth = atoi(m->def->name + strlen("resnet")),
                            .in_channels = o->in_channels, .classes = has_head(o) ? 0 : o->classes};
    err = sg_resnet_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, resnet, net, net->feature_channels);
    return SG_OK;
}

/* --- ResNet v2, pre-activation (resnetv2_50, resnetv2_101) --------------- */

static sg_err resnetv2_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_resnetv2 *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_resnetv2_config cfg = {.depth = atoi(m->def->name + strlen("resnetv2_")),
                              .in_channels = o->in_channels,
                              .classes = has_head(o) ? 0 : o->classes};
    err = sg_resnetv2_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, resnetv2, net, SG_RESNETV2_FEATURES);
    return SG_OK;
}

/* --- Inception v3 --------------------------------------------------------- */

static sg_err inceptionv3_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_inceptionv3 *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_inceptionv3_config cfg = sg_inceptionv3_defaults(has_head(o) ? 0 : o->classes);
    cfg.in_channels = o->in_channels;
    cfg.aux_logits = o->aux_logits && !has_head(o);   /* a head replaces both classifiers */
    if (o->dropout >= 0) cfg.dropout = o->dropout;
    err = sg_inceptionv3_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, inceptionv3, net, SG_INCEPTION_FEATURES);
    return SG_OK;
}

/* --- CCT (vit-pytorch) and ViT (torchvision): the name is the preset ------ */

static sg_err cct_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_cct *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_cct_config cfg;
    sg_cct_preset(m->def->name, &cfg);
    cfg.in_channels = o->in_channels;
    cfg.image_size = o->image_size;
    cfg.classes = has_head(o) ? 0 : o->classes;
    if (o->dropout >= 0) cfg.dropout = o->dropout;
    err = sg_cct_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, cct, net, cfg.dim);
    m->attention_layers = cfg.layers;
    m->attention_grid = net->grid;
    return SG_OK;
}

static sg_err vit_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    sg_err err = no_width(m, o);
    sg_vit *net = err == SG_OK ? impl_new(m, sizeof *net) : NULL;
    if (!net) return err != SG_OK ? err : SG_ERR_NOMEM;
    sg_vit_config cfg;
    sg_vit_preset(m->def->name, &cfg);
    cfg.in_channels = o->in_channels;
    cfg.image_size = o->image_size;
    cfg.classes = has_head(o) ? 0 : o->classes;
    if (o->dropout >= 0) cfg.dropout = o->dropout;
    err = sg_vit_init(net, &cfg, seed);
    if (err != SG_OK) return build_failed(m, err);
    SG_ZOO_FINISH(m, vit, net, cfg.dim);
    m->attention_layers = cfg.layers;
    m->attention_grid = net->grid;
    m->attention_prefix = 1;
    return SG_OK;
}

#define CCT_ROW(nm, size, text)                                                         \
    {.name = nm, .summary = text, .default_channels = 3, .default_size = size,           \
     .build = cct_build, .stem_weight = "tokenizer.conv_layers.0.0.weight", .min_size = 1, \
     .default_layer = "tokenizer", .pos_embed = "classifier.positional_emb", .pos_prefix = 0}
#define VIT_ROW(nm, size, text)                                                         \
    {.name = nm, .summary = text, .default_channels = 3, .default_size = size,           \
     .build = vit_build, .stem_weight = "conv_proj.weight", .min_size = 1,                \
     .default_layer = "conv_proj", .pos_embed = "encoder.pos_embedding", .pos_prefix = 1}

/* --- the table ------------------------------------------------------------ */

static const sg_model_def models[] = {
    {.name = "cnn",
     .summary = "the demo's plain CNN: 4 x (conv3x3-BN-ReLU-maxpool) 8-16-32-64, global max pool, linear (widths x --width-mult)",
     .default_channels = 1, .default_size = 64, .build = cnn_build, .stem_weight = "features.0.weight",
     .min_size = 16, .default_layer = "features.15"},
    {.name = "mobilenetv2",
     .summary = "MobileNetV2 as torchvision builds it (width multiplier, dropout 0.2)",
     .default_channels = 3, .default_size = 224, .build = mobilenetv2_build,
     .stem_weight = "features.0.0.weight", .min_size = 1, .default_layer = "features.18"},
    {.name = "resnet18", .summary = "ResNet-18 as torchvision builds it (basic blocks 2-2-2-2)",
     .default_channels = 3, .default_size = 224, .build = resnet_build,
     .stem_weight = "conv1.weight", .min_size = 1, .default_layer = "layer4"},
    {.name = "resnet34", .summary = "ResNet-34 as torchvision builds it (basic blocks 3-4-6-3)",
     .default_channels = 3, .default_size = 224, .build = resnet_build,
     .stem_weight = "conv1.weight", .min_size = 1, .default_layer = "layer4"},
    {.name = "resnet50", .summary = "ResNet-50 as torchvision builds it (bottlenecks 3-4-6-3, v1.5)",
     .default_channels = 3, .default_size = 224, .build = resnet_build,
     .stem_weight = "conv1.weight", .min_size = 1, .default_layer = "layer4"},
    {.name = "resnet101", .summary = "ResNet-101 as torchvision builds it (bottlenecks 3-4-23-3)",
     .default_channels = 3, .default_size = 224, .build = resnet_build,
     .stem_weight = "conv1.weight", .min_size = 1, .default_layer = "layer4"},
    {.name = "resnet152", .summary = "ResNet-152 as torchvision builds it (bottlenecks 3-8-36-3)",
     .default_channels = 3, .default_size = 224, .build = resnet_build,
     .stem_weight = "conv1.weight", .min_size = 1, .default_layer = "layer4"},
    {.name = "resnetv2_50",
     .summary = "ResNet-50 v2 (pre-activation) as timm's resnetv2_50 (paper 001's ResNet50V2)",
     .default_channels = 3, .default_size = 224, .build = resnetv2_build,
     .stem_weight = "stem.conv.weight", .min_size = 1, .default_layer = "stages.3"},
    {.name = "resnetv2_101", .summary = "ResNet-101 v2 (pre-activation) as timm's resnetv2_101",
     .default_channels = 3, .default_size = 224, .build = resnetv2_build,
     .stem_weight = "stem.conv.weight", .min_size = 1, .default_layer = "stages.3"},
    {.name = "inceptionv3",
     .summary = "Inception v3 as torchvision builds it (aux head with aux_logits; >= 75 px)",
     .default_channels = 3, .default_size = 299, .build = inceptionv3_build,
     .stem_weight = "Conv2d_1a_3x3.conv.weight", .min_size = 75, .default_layer = "Mixed_7c"},
    {.name = "cnn002",
     .summary = "paper 002's custom CNN: 4 x (conv3x3-ReLU-maxpool) 32-64-128-128, flatten, "
                "dense 512, dropout, dense",
     .default_channels = 1, .default_size = 128, .build = cnn002_build,
     .stem_weight = "features.0.weight", .min_size = 16, .default_layer = "features.11"},
    CCT_ROW("cct_2_3x2_32", 32, "CCT-2/3x2 (vit-pytorch CCT): 2 x conv3x3 tokenizer, 2 layers, dim 128"),
    CCT_ROW("cct_4_3x2_32", 32, "CCT-4/3x2 (vit-pytorch CCT): 2 x conv3x3 tokenizer, 4 layers, dim 128"),
    CCT_ROW("cct_6_3x1_32", 32, "CCT-6/3x1 (vit-pytorch CCT): 1 x conv3x3 tokenizer, 6 layers, dim 256"),
    CCT_ROW("cct_7_3x1_32", 32, "CCT-7/3x1 (vit-pytorch CCT): 1 x conv3x3 tokenizer, 7 layers, dim 256"),
    CCT_ROW("cct_7_7x2_224", 224, "CCT-7/7x2 (vit-pytorch CCT): 2 x conv7x7 tokenizer, 7 layers, dim 256"),
    CCT_ROW("cct_14_7x2_224", 224, "CCT-14/7x2 (vit-pytorch CCT): 2 x conv7x7 tokenizer, 14 layers, dim 384"),
    CCT_ROW("cct000_small", 128, "paper 000's small CCT: 2 convs, 4 layers, 4 heads, dim 64"),
    CCT_ROW("cct000_medium", 128, "paper 000's medium CCT: 4 convs, 8 layers, 8 heads, dim 256"),
    CCT_ROW("cct000_large", 128, "paper 000's large CCT: 4 convs, 12 layers, 12 heads, dim 768"),
    VIT_ROW("vit_b_16", 224, "ViT-B/16 as torchvision builds it (12 layers, dim 768)"),
    VIT_ROW("vit_b_32", 224, "ViT-B/32 as torchvision builds it (12 layers, dim 768)"),
    VIT_ROW("vit_l_16", 224, "ViT-L/16 as torchvision builds it (24 layers, dim 1024)"),
    VIT_ROW("vit_s_16", 128, "ViT-S/16 (DeiT-S widths) in torchvision's layout: 12 layers, dim 384"),
    VIT_ROW("vit_ti_16", 128, "ViT-Ti/16 (DeiT-Ti widths) in torchvision's layout: 12 layers, dim 192"),
};
enum { N_MODELS = sizeof models / sizeof models[0] };

int sg_model_count(void) { return N_MODELS; }

const sg_model_def *sg_model_def_at(int i) { return i >= 0 && i < N_MODELS ? &models[i] : NULL; }

const sg_model_def *sg_model_find(const char *name)
{
    for (int i = 0; i < N_MODELS; i++)
        if (name && strcmp(models[i].name, name) == 0) return &models[i];
    return NULL;
}

const char *sg_model_head_names(void) { return sg_head_names(); }

/* forward with a head: the head on the backbone's features. */
static sg_tensor *head_forward(sg_graph *g, sg_model *m, sg_tensor *x)
{
    return sg_head_forward(g, m->head, m->features(g, m, x));
}

sg_err sg_model_build(sg_model *m, const char *name, const sg_model_options *o, uint64_t seed)
{
    *m = (sg_model){0};
    const sg_model_def *def = sg_model_find(name);
    if (!def) {
        char list[1024] = "";
        for (int i = 0; i < N_MODELS; i++) {
            if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, models[i].name, sizeof list - strlen(list) - 1);
        }
        return sg_error_set(SG_ERR_INVALID, "unknown model '%s' (models: %s)", name ? name : "",
                            list);
    }
    if (o->classes < 2)
        return sg_error_set(SG_ERR_INVALID, "%s: classes must be >= 2, got %d", def->name, o->classes);
    if (o->in_channels < 0 || o->image_size < 0)
        return sg_error_set(SG_ERR_INVALID, "%s: in_channels %d, image_size %d must be >= 0 "
                            "(0 = the model's default)", def->name, o->in_channels, o->image_size);
    sg_pad_mode pad;
    if (!padding_mode(o, &pad))
        return sg_error_set(SG_ERR_INVALID, "%s: padding '%s', expected zeros, reflect or replicate",
                            def->name, o->padding);
    if (pad != SG_PAD_CONSTANT && def->build != cnn_build)
        return sg_error_set(SG_ERR_INVALID, "%s: padding '%s' is only for cnn (the others pad "
                            "with zeros)", def->name, o->padding);
    m->def = def;
    m->opts = *o;
    if (m->opts.in_channels <= 0) m->opts.in_channels = def->default_channels;
    if (m->opts.image_size <= 0) m->opts.image_size = def->default_size;
    if (m->opts.image_size < def->min_size) {
        sg_err err = sg_error_set(SG_ERR_INVALID, "%s: image_size %d, expected >= %d", def->name,
                                  m->opts.image_size, def->min_size);
        *m = (sg_model){0};
        return err;
    }
    sg_err err = def->build(m, &m->opts, seed);
    if (err != SG_OK) {
        *m = (sg_model){0};
        return err;
    }
    if (has_head(&m->opts)) {
        m->head = calloc(1, sizeof *m->head);
        err = m->head ? sg_head_init(m->head, m->params, m->opts.head, m->feature_channels,
                                     m->opts.classes, m->opts.dropout, seed)
                      : sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the head", def->name);
        if (err != SG_OK) {
            sg_model_free(m);
            return err;
        }
        m->forward = head_forward;
    }
    return SG_OK;
}

/* A no-grad eval forward runs as a dry run, then for real with dead
 * activations freed (core/graph.h, inference memory). */
sg_tensor *sg_model_forward(sg_graph *g, sg_model *m, sg_tensor *x)
{
    if (!sg_graph_plan_begin(g)) return m->forward(g, m, x);
    sg_tensor *y = m->forward(g, m, x);
    for (int i = 0; m->attention && i < m->attention_layers; i++)
        sg_graph_plan_keep(g, m->attention[i]);
    if (m->pool_weights) sg_graph_plan_keep(g, *m->pool_weights);
    if (!sg_graph_plan_run(g, y)) return NULL;
    y = m->forward(g, m, x);
    sg_graph_plan_end(g);
    return sg_graph_error(g) ? NULL : y;
}

void sg_model_free(sg_model *m)
{
    if (m->destroy) m->destroy(m);
    free(m->head);
    *m = (sg_model){0};
}

/* --- named layers ---------------------------------------------------------- */

sg_err sg_model_layers(sg_model *m, sg_graph *g, char *buf, size_t cap)
{
    int64_t side = m->opts.image_size;
    int64_t shape[4] = {1, m->opts.in_channels, side, side};
    sg_graph_reset(g);
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_graph_list_marks(g, buf, cap);
    sg_tensor *x = sg_graph_zeros(g, 4, shape);
    sg_tensor *y = x ? sg_model_forward(g, m, x) : NULL;
    sg_graph_list_marks(g, NULL, 0);
    sg_err err = y ? SG_OK : sg_graph_error(g);
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    return err;
}

sg_err sg_model_check_layer(sg_model *m, sg_graph *g, const char *layer)
{
    enum { CAP = 8192 };
    char *list = malloc(CAP);
    if (!list) return sg_error_set(SG_ERR_NOMEM, "out of memory: layer list");
    sg_err err = sg_model_layers(m, g, list, CAP);
    if (err == SG_OK) {
        /* the list is "a, b, c": look for ", name," with both ends padded */
        size_t n = strlen(layer ? layer : "");
        bool found = false;
        for (const char *p = list; n && (p = strstr(p, layer)) != NULL; p += n)
            if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) found = true;
        if (!found)
            err = sg_error_set(SG_ERR_INVALID, "%s: no layer '%s'; layers: %s", m->def->name,
                               layer ? layer : "", list);
    }
    free(list);
    return err;
}

/* --- loading a checkpoint by name ---------------------------------------- */

/* Append name to a comma-separated list of bounded size ("..." once full). */
static void list_add(char *list, size_t size, const char *name)
{
    size_t len = strlen(list);
    if (len >= 3 && strcmp(list + len - 3, "...") == 0) return;
    size_t need = strlen(name) + (len ? 2 : 0);
    if (len + need + 4 >= size) {
        strncat(list, len ? ", ..." : "...", size - len - 1);
        return;
    }
    if (len) strcat(list, ", ");
    strcat(list, name);
}

/* The side of a square grid of n tokens, or 0. */
static int64_t grid_side(int64_t n)
{
    int64_t s = 1;
    while (s * s < n) s++;
    return n > 0 && s * s == n ? s : 0;
}

/* The file's tensor t fits parameter p as is (0), summed over input channels
 * into a gray stem (1), resized as a position embedding of another grid (2),
 * or not at all (-1). */
static int fit(const sg_model *m, const sg_param *p, const sg_st_tensor *t)
{
    bool same = t->ndim == p->t.ndim;
    for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->t.shape[d];
    if (same) return 0;
    int64_t P = m->def->pos_prefix;
    if (m->def->pos_embed && strcmp(p->name, m->def->pos_embed) == 0 && t->ndim == 3 &&
        p->t.ndim == 3 && t->shape[0] == 1 && t->shape[2] == p->t.shape[2] &&
        grid_side(t->shape[1] - P) && grid_side(p->t.shape[1] - P))
        return 2;
    bool stem = m->def->stem_weight && strcmp(p->name, m->def->stem_weight) == 0 &&
                p->t.ndim == 4 && t->ndim == 4 && p->t.shape[1] == 1 && t->shape[1] > 1 &&
                t->shape[0] == p->t.shape[0] && t->shape[2] == p->t.shape[2] &&
                t->shape[3] == p->t.shape[3];
    return stem ? 1 : -1;
}

sg_err sg_model_load_weights(sg_model *m, const char *path, bool strict,
                             sg_model_load_report *report)
{
    sg_model_load_report r = {0};
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    const sg_params *ps = m->params;
    char first_shape[256] = "";
    /* Pass 1: classify every name; nothing is written yet. */
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(&f, p->name);
        if (!t) {
            r.missing++;
            list_add(r.missing_names, sizeof r.missing_names, p->name);
        } else if (fit(m, p, t) < 0) {
            char a[64], b[64];
            sg_tensor ft = {.ndim = t->ndim};
            memcpy(ft.shape, t->shape, sizeof ft.shape);
            if (!r.mismatched)
                snprintf(first_shape, sizeof first_shape, "%s: the model has %s, the file %s",
                         p->name, sg_shape_str(&p->t, a, sizeof a), sg_shape_str(&ft, b, sizeof b));
            r.mismatched++;
            list_add(r.mismatched_names, sizeof r.mismatched_names, p->name);
        }
    }
    for (int i = 0; i < f.count; i++)
        if (!sg_params_find(ps, f.tensors[i].name)) {
            r.unexpected++;
            list_add(r.unexpected_names, sizeof r.unexpected_names, f.tensors[i].name);
        }
    if (strict && r.mismatched)
        err = sg_error_set(SG_ERR_SHAPE, "%s: %s", path, first_shape);
    else if (strict && r.missing)
        err = sg_error_set(SG_ERR_FORMAT, "%s: %d parameters of %s are missing (%s)", path,
                           r.missing, m->def->name, r.missing_names);
    else if (strict && r.unexpected)
        err = sg_error_set(SG_ERR_FORMAT, "%s: %d tensors are not parameters of %s (%s)", path,
                           r.unexpected, m->def->name, r.unexpected_names);
    /* Pass 2: copy (or sum the stem over its input channels). */
    for (int i = 0; i < ps->count && err == SG_OK; i++) {
        sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(&f, p->name);
        int how = t ? fit(m, p, t) : -1;
        if (how < 0) continue;
        if (how == 0) {
            memcpy(p->t.data, t->data, (size_t)t->numel * sizeof(float));
        } else if (how == 2) {
            int P = m->def->pos_prefix, from = (int)grid_side(t->shape[1] - P),
                to = (int)grid_side(p->t.shape[1] - P);
            sg_pos_embed_resize(t->data, P, from, from, (int)t->shape[2], p->t.data, to, to);
            r.pos_resized = true;
        } else {
            /* w_gray[o, 0, i, j] = sum_c w[o, c, i, j], c in increasing order. */
            int64_t O = t->shape[0], C = t->shape[1], K = t->shape[2] * t->shape[3];
            for (int64_t o = 0; o < O; o++)
                for (int64_t k = 0; k < K; k++) {
                    float s = 0.0f;
                    for (int64_t c = 0; c < C; c++) s += t->data[(o * C + c) * K + k];
                    p->t.data[o * K + k] = s;
                }
            r.stem_summed = true;
        }
        r.loaded++;
    }
    sg_safetensors_free(&f);
    if (report) *report = r;
    return err;
}

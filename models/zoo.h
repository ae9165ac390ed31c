/* models/zoo.h - every reference model behind one interface, built by name.
 *
 * A model is its parameters (reference names, so a user's checkpoint loads
 * with sg_params_load), a forward function that maps images
 * [N, in_channels, H, W] to logits [N, classes], and the options it was built
 * with. The training engine, `steelgrad model`, `forward`, `train`, `eval`,
 * `predict` and interp/ see models only through this header; adding a model
 * is one file in models/ and one row in the table of zoo.c.
 *
 * Options left at zero take the model's reference default (sg_model_def:
 * default_channels, default_size; dropout < 0 means the reference's p).
 *
 * The models: cnn, cnn002 (paper 002), mobilenetv2, resnet18/34/50/101/152
 * (torchvision), resnetv2_50/101 (timm), inceptionv3 (torchvision), the CCT
 * presets cct_* and cct000_* (vit-pytorch), vit_* (torchvision); `steelgrad
 * model list` prints them. A head (opts.head: gap256, gap512, alt001; see
 * models/heads.h) replaces any model's reference classifier: the backbone is
 * then built without it and the head's parameters are "head.fc1.*" and
 * "head.fc2.*". */
#ifndef SG_MODEL_ZOO_H
#define SG_MODEL_ZOO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"
#include "core/param.h"

typedef struct sg_model_options {
    int classes;                  /* K >= 2 (required) */
    int in_channels;              /* 1 gray, 3 RGB; 0 = the model's default */
    int image_size;               /* square input side; 0 = the model's default */
    double width_mult;            /* where the reference has one; 0 = 1.0 */
    float dropout;                /* classifier dropout p; < 0 = the reference's */
    const char *head;             /* NULL or "" = the reference classifier; else a
                                     head name of sg_model_head_names() */
    const char *padding;          /* the convolutions' padding_mode as torch names it:
                                     NULL, "" or "zeros" (every model), "reflect" or
                                     "replicate" (cnn only) */
    bool aux_logits;              /* InceptionV3's auxiliary classifier (torchvision
                                     builds it by default; here only when asked: its
                                     parameters exist, forward never runs it) */
} sg_model_options;

/* Defaults: every field "reference default", dropout -1. */
sg_model_options sg_model_options_defaults(int classes);

typedef struct sg_model sg_model;

typedef struct sg_model_def {
    const char *name;             /* "resnet50", as `--model` takes it */
    const char *summary;          /* one line for `steelgrad model list` */
    int default_channels, default_size;
    /* Fill m->params, m->impl, m->forward, m->destroy from the options
     * (already defaulted); seed keys the initialisation. */
    sg_err (*build)(sg_model *m, const sg_model_options *o, uint64_t seed);
    /* The first convolution's weight ("conv1.weight"): sg_model_load_weights
     * sums it over the input channels to load an RGB checkpoint into a gray
     * model. */
    const char *stem_weight;
    /* Minimum input side for the default options (InceptionV3: 75). */
    int min_size;
    /* The layer Grad-CAM and features read by default: the module path of
     * the backbone's last convolutional block ("layer4", "features.18"). */
    const char *default_layer;
    /* Transformers: the learnable position embedding [1, prefix + g*g, D]
     * that sg_model_load_weights resizes from a checkpoint of another image
     * size (layers/transformer.h), and its prefix tokens (ViT's class token). */
    const char *pos_embed;
    int pos_prefix;
} sg_model_def;

struct sg_model {
    const sg_model_def *def;
    sg_model_options opts;        /* as built, defaults resolved */
    sg_params *params;            /* every weight and buffer (owned by impl) */
    void *impl;                   /* the architecture's own struct (heap) */
    /* Logits [N, classes]; NULL + graph error on a bad input shape. */
    sg_tensor *(*forward)(sg_graph *g, sg_model *m, sg_tensor *x);
    void (*destroy)(sg_model *m); /* frees impl and its parameters */
    /* The backbone's last feature map [N, feature_channels, h, w] (before the
     * reference classifier's pooling); every model has one. With a head
     * (opts.head), forward = the head on these features, and the reference
     * classifier is not built. */
    sg_tensor *(*features)(sg_graph *g, sg_model *m, sg_tensor *x);
    int feature_channels;
    struct sg_head *head;         /* NULL = the reference classifier (owned) */
    /* Transformers (cct*, vit*): attention_layers encoder blocks over a grid
     * of attention_grid^2 tokens after attention_prefix extra ones (ViT's
     * class token); 0 for CNNs. When `attention` (attention_layers pointers)
     * or `pool_weights` is set, each forward stores there every block's
     * head-averaged attention [N, T, T] and CCT's sequence-pool weights
     * [N, T] (graph tensors, valid until the graph is reset; interp/attention.h). */
    int attention_layers, attention_grid, attention_prefix;
    sg_tensor **attention;
    sg_tensor **pool_weights;
};

int sg_model_count(void);
const sg_model_def *sg_model_def_at(int i);
/* NULL if no model has that name. */
const sg_model_def *sg_model_find(const char *name);

/* Build model `name`: SG_ERR_INVALID naming the model list for an unknown
 * name, naming the option for a bad one; SG_ERR_NOMEM on OOM. On failure *m
 * holds nothing to free. */
sg_err sg_model_build(sg_model *m, const char *name, const sg_model_options *o, uint64_t seed);
sg_tensor *sg_model_forward(sg_graph *g, sg_model *m, sg_tensor *x);
void sg_model_free(sg_model *m);

/* Named layers. Every model marks the intermediate tensors of its forward
 * under the reference implementation's module paths (core/graph.h,
 * sg_graph_mark): ResNet conv1, bn1, relu, maxpool, layer1..layer4 and
 * layer<s>.<i>, avgpool, fc; MobileNetV2 features.0..features.18; InceptionV3
 * Conv2d_*, maxpool1/2, Mixed_*; ResNetV2 stem.conv, stem, stages.<s>[.blocks.<i>],
 * norm; cnn features.0..features.<4 blocks - 1> (conv, BN, ReLU, pool of each
 * block), classifier; cnn002 features.0..11. To read one, set a tap on the
 * graph (sg_graph_set_tap(g, "layer4", &t, retain_grad)) and run the forward.
 * sg_model_layers writes every marked name of m into buf, ", "-separated (one
 * no-grad forward of a zero image at the model's size; the graph is reset);
 * SG_ERR_NOMEM / the forward's error otherwise. */
sg_err sg_model_layers(sg_model *m, sg_graph *g, char *buf, size_t cap);
/* SG_OK if the forward of m marks `layer`; else SG_ERR_INVALID with the
 * message "<model>: no layer '<layer>'; layers: ...". */
sg_err sg_model_check_layer(sg_model *m, sg_graph *g, const char *layer);

/* "gap256, gap512, alt001": the values of sg_model_options.head (models/heads.h). */
const char *sg_model_head_names(void);

/* What sg_model_load_weights did: counts, and the first few names of each
 * kind (comma-separated, "..." when cut). */
typedef struct sg_model_load_report {
    int loaded;                   /* parameters set from the file */
    int missing;                  /* parameters the file lacks (left as they were) */
    int unexpected;               /* tensors of the file the model does not have */
    int mismatched;               /* same name, other shape (skipped unless strict) */
    bool stem_summed;             /* the RGB first conv was summed into a gray one */
    bool pos_resized;             /* the position embedding was resized to this grid */
    char missing_names[256], unexpected_names[256], mismatched_names[256];
} sg_model_load_report;

/* Load a safetensors checkpoint into m by parameter name. When the model
 * takes 1 channel and the file's stem_weight has C > 1 input channels (an RGB
 * checkpoint on gray images), its weights are summed over those channels: a
 * gray image fed as R = G = B gives the same output. strict: any missing,
 * unexpected or mismatched name is an error (SG_ERR_FORMAT / SG_ERR_SHAPE
 * naming the first); not strict: they are skipped and reported (fine-tuning
 * ImageNet weights with another class count or a head). On error no
 * parameter is changed. report may be NULL. */
sg_err sg_model_load_weights(sg_model *m, const char *path, bool strict,
                             sg_model_load_report *report);

#endif

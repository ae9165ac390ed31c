/* models/zoo.c - the table of reference models (see zoo.h). */
#include "models/zoo.h"

#include <stdlib.h>
#include <string.h>

#include "models/cnn.h"
#include "models/mobilenetv2.h"

sg_model_options sg_model_options_defaults(int classes)
{
    return (sg_model_options){.classes = classes, .dropout = -1.0f};
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

/* --- cnn: the demo's plain CNN ------------------------------------------ */

static sg_tensor *cnn_forward(sg_graph *g, sg_model *m, sg_tensor *x)
{
    return sg_cnn_forward(g, m->impl, x);
}

static void cnn_destroy(sg_model *m)
{
    if (m->impl) sg_cnn_free(m->impl);
    impl_drop(m);
}

static sg_err cnn_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    if (o->head && *o->head)
        return sg_error_set(SG_ERR_INVALID, "cnn: no head '%s' (the plain CNN has its own)", o->head);
    sg_cnn *c = impl_new(m, sizeof *c);
    if (!c) return SG_ERR_NOMEM;
    sg_cnn_config cfg = {.in_channels = o->in_channels, .image_size = o->image_size,
                         .classes = o->classes, .n_blocks = 4, .widths = {8, 16, 32, 64},
                         .head = SG_CNN_GLOBAL_MAX};
    sg_err err = sg_cnn_init(c, &cfg, seed);
    if (err != SG_OK) {
        sg_cnn_free(c);
        impl_drop(m);
        return err;
    }
    m->params = &c->params;
    m->forward = cnn_forward;
    m->destroy = cnn_destroy;
    return SG_OK;
}

/* --- MobileNetV2 ---------------------------------------------------------- */

static sg_tensor *mobilenetv2_forward(sg_graph *g, sg_model *m, sg_tensor *x)
{
    return sg_mobilenetv2_forward(g, m->impl, x);
}

static void mobilenetv2_destroy(sg_model *m)
{
    if (m->impl) sg_mobilenetv2_free(m->impl);
    impl_drop(m);
}

static sg_err mobilenetv2_build(sg_model *m, const sg_model_options *o, uint64_t seed)
{
    if (o->head && *o->head)
        return sg_error_set(SG_ERR_INVALID, "mobilenetv2: head '%s' is not available yet", o->head);
    sg_mobilenetv2 *net = impl_new(m, sizeof *net);
    if (!net) return SG_ERR_NOMEM;
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(o->classes);
    cfg.in_channels = o->in_channels;
    if (o->width_mult > 0) cfg.width_mult = o->width_mult;
    if (o->dropout >= 0) cfg.dropout = o->dropout;
    sg_err err = sg_mobilenetv2_init(net, &cfg, seed);
    if (err != SG_OK) {
        sg_mobilenetv2_free(net);
        impl_drop(m);
        return err;
    }
    m->params = &net->params;
    m->forward = mobilenetv2_forward;
    m->destroy = mobilenetv2_destroy;
    return SG_OK;
}

/* --- the table ------------------------------------------------------------ */

static const sg_model_def models[] = {
    {"cnn", "the demo's plain CNN: 4 x (conv3x3-BN-ReLU-maxpool) 8-16-32-64, global max pool, linear",
     1, 64, cnn_build},
    {"mobilenetv2", "MobileNetV2 as torchvision builds it (width multiplier, dropout 0.2)", 3, 224,
     mobilenetv2_build},
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

sg_err sg_model_build(sg_model *m, const char *name, const sg_model_options *o, uint64_t seed)
{
    *m = (sg_model){0};
    const sg_model_def *def = sg_model_find(name);
    if (!def) {
        char list[512] = "";
        for (int i = 0; i < N_MODELS; i++) {
            if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, models[i].name, sizeof list - strlen(list) - 1);
        }
        return sg_error_set(SG_ERR_INVALID, "unknown model '%s' (models: %s)", name ? name : "",
                            list);
    }
    if (o->classes < 2)
        return sg_error_set(SG_ERR_INVALID, "%s: classes must be >= 2, got %d", def->name, o->classes);
    m->def = def;
    m->opts = *o;
    if (m->opts.in_channels <= 0) m->opts.in_channels = def->default_channels;
    if (m->opts.image_size <= 0) m->opts.image_size = def->default_size;
    sg_err err = def->build(m, &m->opts, seed);
    if (err != SG_OK) *m = (sg_model){0};
    return err;
}

sg_tensor *sg_model_forward(sg_graph *g, sg_model *m, sg_tensor *x) { return m->forward(g, m, x); }

void sg_model_free(sg_model *m)
{
    if (m->destroy) m->destroy(m);
    *m = (sg_model){0};
}

/* models/cnn002.c - the custom CNN of paper 002 (see cnn002.h). */
#include "models/cnn002.h"

#include "layers/activation.h"
#include "layers/dropout.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "models/convbn.h"

const int sg_cnn002_widths[SG_CNN002_BLOCKS] = {32, 64, 128, 128};

sg_err sg_cnn002_init(sg_cnn002 *m, const sg_cnn002_config *cfg, uint64_t seed)
{
    *m = (sg_cnn002){.cfg = *cfg};
    int side = cfg->image_size >> SG_CNN002_BLOCKS;
    if (cfg->in_channels < 1 || cfg->classes < 0 || cfg->classes == 1 || cfg->image_size < 16 ||
        cfg->image_size % 16 || !(cfg->dropout >= 0 && cfg->dropout < 1))
        return sg_error_set(SG_ERR_INVALID,
                            "cnn002: in_channels %d, classes %d, image_size %d, dropout %g: "
                            "expected in_channels >= 1, classes 0 or >= 2, image_size a multiple "
                            "of 16, dropout in [0, 1)",
                            cfg->in_channels, cfg->classes, cfg->image_size, (double)cfg->dropout);
    sg_conv2d_opts same = sg_conv2d_opts_make(1, 1, 1, 1);
    int in = cfg->in_channels;
    sg_err err = SG_OK;
    char name[SG_PARAM_NAME_MAX];
    for (int i = 0; i < SG_CNN002_BLOCKS && err == SG_OK; i++) {
        err = sg_conv2d_layer_init(&m->conv[i], &m->params, sg_model_name(name, "features.%d", 3 * i),
                                   in, sg_cnn002_widths[i], 3, &same, true, seed);
        in = sg_cnn002_widths[i];
    }
    if (err == SG_OK && cfg->classes > 0)
        err = sg_linear_layer_init(&m->fc1, &m->params, "classifier.0", in * side * side,
                                   SG_CNN002_HIDDEN, true, seed);
    if (err == SG_OK && cfg->classes > 0)
        err = sg_linear_layer_init(&m->fc2, &m->params, "classifier.3", SG_CNN002_HIDDEN,
                                   cfg->classes, true, seed);
    if (err != SG_OK) sg_params_free(&m->params);
    return err;
}

sg_tensor *sg_cnn002_features(sg_graph *g, sg_cnn002 *m, sg_tensor *x)
{
    sg_pool2d_opts pool = sg_pool2d_opts_make(2, 2, 0);
    /* Marks the nn.Sequential's paths: features.<3i> conv, <3i+1> ReLU
     * (in place: the conv's backward does not read its output), <3i+2> max
     * pool (core/graph.h taps). */
    for (int i = 0; i < SG_CNN002_BLOCKS; i++) {
        x = sg_graph_markf(g, sg_conv2d_layer_forward(g, &m->conv[i], x), "features.%d", 3 * i);
        x = sg_graph_markf(g, sg_relu_inplace(g, x), "features.%d", 3 * i + 1);
        x = sg_graph_markf(g, sg_max_pool2d(g, x, &pool), "features.%d", 3 * i + 2);
    }
    return x;
}

sg_tensor *sg_cnn002_forward(sg_graph *g, sg_cnn002 *m, sg_tensor *x)
{
    if (!m->fc1.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "cnn002: built without a classifier (classes 0)");
        return NULL;
    }
    x = sg_flatten(g, sg_cnn002_features(g, m, x), 1, -1);
    x = sg_dropout(g, sg_relu(g, sg_linear_layer_forward(g, &m->fc1, x)), m->cfg.dropout);
    return sg_linear_layer_forward(g, &m->fc2, x);
}

void sg_cnn002_free(sg_cnn002 *m) { sg_params_free(&m->params); }

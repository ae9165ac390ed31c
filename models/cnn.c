/* models/cnn.c - the plain CNN classifier (see cnn.h). */
#include "models/cnn.h"

#include <stdio.h>

#include "layers/activation.h"
#include "layers/pool.h"
#include "layers/shape.h"

sg_err sg_cnn_init(sg_cnn *m, const sg_cnn_config *cfg, uint64_t seed)
{
    *m = (sg_cnn){.cfg = *cfg};
    if (cfg->n_blocks < 1 || cfg->n_blocks > SG_CNN_MAX_BLOCKS || cfg->in_channels < 1 ||
        (cfg->classes < 2 && cfg->classes != 0) || cfg->image_size < 1 || cfg->image_size % (1 << cfg->n_blocks) ||
        cfg->head < SG_CNN_FLATTEN || cfg->head > SG_CNN_GLOBAL_MAX ||
        cfg->padding < SG_PAD_CONSTANT || cfg->padding > SG_PAD_CIRCULAR)
        return sg_error_set(SG_ERR_INVALID,
                            "cnn: %d blocks, %d input channels, %d classes, size %d, head %d, "
                            "padding %d: the size must divide by 2^blocks, blocks in 1..%d, classes "
                            "0 or >= 2, a known head and padding mode", cfg->n_blocks,
                            cfg->in_channels, cfg->classes, cfg->image_size, (int)cfg->head,
                            (int)cfg->padding, SG_CNN_MAX_BLOCKS);
    int in = cfg->in_channels;
    sg_conv2d_opts same = sg_conv2d_opts_make(1, 1, 1, 1);
    for (int i = 0; i < cfg->n_blocks; i++) {
        char name[32];
        snprintf(name, sizeof name, "features.%d", 4 * i);
        sg_err err = sg_conv2d_layer_init(&m->conv[i], &m->params, name, in, cfg->widths[i], 3,
                                          &same, true, seed);
        if (err != SG_OK) return err;
        m->conv[i].padding_mode = cfg->padding;
        snprintf(name, sizeof name, "features.%d", 4 * i + 1);
        err = sg_batchnorm_layer_init(&m->bn[i], &m->params, name, cfg->widths[i]);
        if (err != SG_OK) return err;
        in = cfg->widths[i];
    }
    if (cfg->classes == 0) return SG_OK;
    int side = cfg->head == SG_CNN_FLATTEN ? cfg->image_size >> cfg->n_blocks : 1;
    return sg_linear_layer_init(&m->classifier, &m->params, "classifier", in * side * side,
                                cfg->classes, true, seed);
}

sg_tensor *sg_cnn_features(sg_graph *g, sg_cnn *m, sg_tensor *x)
{
    sg_pool2d_opts pool = sg_pool2d_opts_make(2, 2, 0);
    /* Marks the nn.Sequential's paths: features.<4i> conv, <4i+1> BN,
     * <4i+2> ReLU, <4i+3> max pool (core/graph.h taps). */
    for (int i = 0; i < m->cfg.n_blocks; i++) {
        x = sg_graph_markf(g, sg_conv2d_layer_forward(g, &m->conv[i], x), "features.%d", 4 * i);
        x = sg_graph_markf(g, sg_batchnorm_layer_forward(g, &m->bn[i], x), "features.%d", 4 * i + 1);
        /* In place, as torch's ReLU(inplace=True): BN reads its input in
         * backward, not x; a tap on features.<4i+1> then sees the ReLU'd
         * values, as a torch hook on the BN would. */
        x = sg_graph_markf(g, sg_relu_inplace(g, x), "features.%d", 4 * i + 2);
        x = sg_graph_markf(g, sg_max_pool2d(g, x, &pool), "features.%d", 4 * i + 3);
    }
    return x;
}

sg_tensor *sg_cnn_forward(sg_graph *g, sg_cnn *m, sg_tensor *x)
{
    if (!m->classifier.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "cnn: built without a classifier (classes 0)");
        return NULL;
    }
    x = sg_cnn_features(g, m, x);
    if (m->cfg.head == SG_CNN_GLOBAL_AVG) {
        x = sg_global_avg_pool2d(g, x);
    } else if (m->cfg.head == SG_CNN_GLOBAL_MAX) {
        int side = m->cfg.image_size >> m->cfg.n_blocks;
        sg_pool2d_opts all = sg_pool2d_opts_make(side, side, 0);
        x = sg_max_pool2d(g, x, &all);
    }
    x = sg_flatten(g, x, 1, -1);
    return sg_graph_mark(g, "classifier", sg_linear_layer_forward(g, &m->classifier, x));
}

void sg_cnn_free(sg_cnn *m) { sg_params_free(&m->params); }

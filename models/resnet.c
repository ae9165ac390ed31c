/* models/resnet.c - ResNet v1 as torchvision builds it (see resnet.h). */
#include "models/resnet.h"

#include "layers/activation.h"
#include "layers/elementwise.h"
#include "layers/pool.h"
#include "layers/shape.h"

/* Blocks per stage, and whether the block is a bottleneck, for each depth. */
static const struct { int depth, blocks[4]; bool bottleneck; } DEPTHS[] = {
    {18, {2, 2, 2, 2}, false}, {34, {3, 4, 6, 3}, false}, {50, {3, 4, 6, 3}, true},
    {101, {3, 4, 23, 3}, true}, {152, {3, 8, 36, 3}, true},
};
enum { STEM_CHANNELS = 64 };

/* layer<stage>.<index>: in -> out channels (planes x expansion), stride on
 * the 3x3 conv; names conv1..3 / bn1..3 / downsample.0 / .1. */
static sg_err block_init(sg_resnet_block *b, sg_params *ps, int stage, int index, int in,
                         int planes, int stride, bool bottleneck, uint64_t seed)
{
    char cn[SG_PARAM_NAME_MAX], bn[SG_PARAM_NAME_MAX];
    const char *fmt_conv = "layer%d.%d.conv%d", *fmt_bn = "layer%d.%d.bn%d";
    int out = bottleneck ? 4 * planes : planes;
    b->bottleneck = bottleneck;
    b->stage = stage;
    b->index = index;
    b->has_downsample = stride != 1 || in != out;
    sg_err err;
    if (bottleneck) {
        err = sg_conv_bn_init(&b->c1, ps, sg_model_name(cn, fmt_conv, stage, index, 1),
                              sg_model_name(bn, fmt_bn, stage, index, 1), in, planes,
                              sg_conv_square(1, 1, 0), seed);
        if (err == SG_OK)
            err = sg_conv_bn_init(&b->c2, ps, sg_model_name(cn, fmt_conv, stage, index, 2),
                                  sg_model_name(bn, fmt_bn, stage, index, 2), planes, planes,
                                  sg_conv_square(3, stride, 1), seed);
        if (err == SG_OK)
            err = sg_conv_bn_init(&b->c3, ps, sg_model_name(cn, fmt_conv, stage, index, 3),
                                  sg_model_name(bn, fmt_bn, stage, index, 3), planes, out,
                                  sg_conv_square(1, 1, 0), seed);
    } else {
        err = sg_conv_bn_init(&b->c1, ps, sg_model_name(cn, fmt_conv, stage, index, 1),
                              sg_model_name(bn, fmt_bn, stage, index, 1), in, planes,
                              sg_conv_square(3, stride, 1), seed);
        if (err == SG_OK)
            err = sg_conv_bn_init(&b->c2, ps, sg_model_name(cn, fmt_conv, stage, index, 2),
                                  sg_model_name(bn, fmt_bn, stage, index, 2), planes, planes,
                                  sg_conv_square(3, 1, 1), seed);
    }
    if (err == SG_OK && b->has_downsample)
        err = sg_conv_bn_init(&b->downsample, ps,
                              sg_model_name(cn, "layer%d.%d.downsample.0", stage, index),
                              sg_model_name(bn, "layer%d.%d.downsample.1", stage, index), in,
                              out, sg_conv_square(1, stride, 0), seed);
    return err;
}

sg_err sg_resnet_init(sg_resnet *m, const sg_resnet_config *cfg, uint64_t seed)
{
    *m = (sg_resnet){.cfg = *cfg};
    int d = -1;
    for (int i = 0; i < (int)(sizeof DEPTHS / sizeof DEPTHS[0]); i++)
        if (DEPTHS[i].depth == cfg->depth) d = i;
    if (d < 0 || cfg->in_channels < 1 || cfg->classes < 0)
        return sg_error_set(SG_ERR_INVALID,
                            "resnet: depth %d, in_channels %d, classes %d: expected depth 18, 34, "
                            "50, 101 or 152, in_channels >= 1, classes >= 0",
                            cfg->depth, cfg->in_channels, cfg->classes);
    bool bottleneck = DEPTHS[d].bottleneck;
    sg_err err = sg_conv_bn_init(&m->stem, &m->params, "conv1", "bn1", cfg->in_channels,
                                 STEM_CHANNELS, sg_conv_square(7, 2, 3), seed);
    int in = STEM_CHANNELS;
    for (int s = 0; s < 4 && err == SG_OK; s++) {
        int planes = STEM_CHANNELS << s;
        for (int i = 0; i < DEPTHS[d].blocks[s] && err == SG_OK; i++) {
            int stride = s > 0 && i == 0 ? 2 : 1;
            err = block_init(&m->blocks[m->n_blocks++], &m->params, s + 1, i, in, planes, stride,
                             bottleneck, seed);
            in = bottleneck ? 4 * planes : planes;
        }
    }
    m->feature_channels = in;
    if (err == SG_OK && cfg->classes > 0)
        err = sg_linear_layer_init(&m->fc, &m->params, "fc", in, cfg->classes, true, seed);
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    sg_init_convs_kaiming_fan_out(&m->params, seed);
    return SG_OK;
}

static sg_tensor *block_forward(sg_graph *g, const sg_resnet_block *b, sg_tensor *x)
{
    sg_tensor *y = sg_conv_bn_forward(g, &b->c1, x, true);
    y = sg_conv_bn_forward(g, &b->c2, y, b->bottleneck);
    if (b->bottleneck) y = sg_conv_bn_forward(g, &b->c3, y, false);
    sg_tensor *shortcut = b->has_downsample ? sg_conv_bn_forward(g, &b->downsample, x, false) : x;
    return sg_relu_inplace(g, sg_add_inplace(g, y, shortcut));   /* y is BN's output; add reads no values in backward */
}

/* Marks torchvision's module paths (core/graph.h taps): conv1, bn1, relu,
 * maxpool, layer<s>.<i> for each block and layer<s> for each stage. */
sg_tensor *sg_resnet_features(sg_graph *g, sg_resnet *m, sg_tensor *x)
{
    sg_pool2d_opts pool = sg_pool2d_opts_make(3, 2, 1);
    x = sg_graph_mark(g, "conv1", sg_conv2d_layer_forward(g, &m->stem.conv, x));
    x = sg_graph_mark(g, "bn1", sg_batchnorm_layer_forward(g, &m->stem.bn, x));
    x = sg_graph_mark(g, "relu", sg_relu_inplace(g, x));
    x = sg_graph_mark(g, "maxpool", sg_max_pool2d(g, x, &pool));
    for (int i = 0; i < m->n_blocks; i++) {
        const sg_resnet_block *b = &m->blocks[i];
        x = sg_graph_markf(g, block_forward(g, b, x), "layer%d.%d", b->stage, b->index);
        if (i + 1 == m->n_blocks || m->blocks[i + 1].stage != b->stage)
            sg_graph_markf(g, x, "layer%d", b->stage);
    }
    return x;
}

sg_tensor *sg_resnet_forward(sg_graph *g, sg_resnet *m, sg_tensor *x)
{
    if (!m->fc.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "resnet: built without fc (classes 0): use the features");
        return NULL;
    }
    /* torchvision: avgpool (adaptive to 1x1), flatten(x, 1), fc. */
    x = sg_graph_mark(g, "avgpool", sg_global_avg_pool2d(g, sg_resnet_features(g, m, x)));
    return sg_graph_mark(g, "fc", sg_linear_layer_forward(g, &m->fc, sg_flatten(g, x, 1, -1)));
}

void sg_resnet_free(sg_resnet *m) { sg_params_free(&m->params); }

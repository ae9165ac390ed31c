/* models/resnetv2.c - pre-activation ResNet as timm builds it (see resnetv2.h). */
#include "models/resnetv2.h"

#include "layers/activation.h"
#include "layers/elementwise.h"
#include "layers/init.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "models/convbn.h"

static const struct { int depth, blocks[4]; } DEPTHS[] = {{50, {3, 4, 6, 3}}, {101, {3, 4, 23, 3}}};
enum { STEM_CHANNELS = 64 };

/* A conv without bias, k x k with padding (k - 1) / 2 (timm's create_conv2d
 * with padding '' gives ((stride - 1) + (k - 1)) / 2: the same for k = 1, 3, 7). */
static sg_err conv_init(sg_conv2d_layer *l, sg_params *ps, const char *name, int in, int out,
                        int k, int stride, uint64_t seed)
{
    sg_conv2d_opts opt = sg_conv2d_opts_make(stride, ((stride - 1) + (k - 1)) / 2, 1, 1);
    return sg_conv2d_layer_init(l, ps, name, in, out, k, &opt, false, seed);
}

/* stages.<stage>.blocks.<index>: in -> 4 x width channels. */
static sg_err block_init(sg_resnetv2_block *b, sg_params *ps, int stage, int index, int in,
                         int width, int stride, uint64_t seed)
{
    char name[SG_PARAM_NAME_MAX];
    const char *p = "stages.%d.blocks.%d.%s";
    int out = 4 * width;
    b->has_downsample = index == 0;
    b->stage = stage;
    b->index = index;
    sg_err err = SG_OK;
    if (b->has_downsample)
        err = conv_init(&b->downsample, ps, sg_model_name(name, p, stage, index, "downsample.conv"),
                        in, out, 1, stride, seed);
    if (err == SG_OK)
        err = sg_batchnorm_layer_init(&b->norm1, ps, sg_model_name(name, p, stage, index, "norm1"), in);
    if (err == SG_OK)
        err = conv_init(&b->conv1, ps, sg_model_name(name, p, stage, index, "conv1"), in, width, 1,
                        1, seed);
    if (err == SG_OK)
        err = sg_batchnorm_layer_init(&b->norm2, ps, sg_model_name(name, p, stage, index, "norm2"),
                                      width);
    if (err == SG_OK)
        err = conv_init(&b->conv2, ps, sg_model_name(name, p, stage, index, "conv2"), width, width,
                        3, stride, seed);
    if (err == SG_OK)
        err = sg_batchnorm_layer_init(&b->norm3, ps, sg_model_name(name, p, stage, index, "norm3"),
                                      width);
    if (err == SG_OK)
        err = conv_init(&b->conv3, ps, sg_model_name(name, p, stage, index, "conv3"), width, out, 1,
                        1, seed);
    return err;
}

sg_err sg_resnetv2_init(sg_resnetv2 *m, const sg_resnetv2_config *cfg, uint64_t seed)
{
    *m = (sg_resnetv2){.cfg = *cfg};
    int d = -1;
    for (int i = 0; i < (int)(sizeof DEPTHS / sizeof DEPTHS[0]); i++)
        if (DEPTHS[i].depth == cfg->depth) d = i;
    if (d < 0 || cfg->in_channels < 1 || cfg->classes < 0)
        return sg_error_set(SG_ERR_INVALID,
                            "resnetv2: depth %d, in_channels %d, classes %d: expected depth 50 or "
                            "101, in_channels >= 1, classes >= 0",
                            cfg->depth, cfg->in_channels, cfg->classes);
    sg_err err = conv_init(&m->stem, &m->params, "stem.conv", cfg->in_channels, STEM_CHANNELS, 7,
                           2, seed);
    int in = STEM_CHANNELS;
    for (int s = 0; s < 4 && err == SG_OK; s++)
        for (int i = 0; i < DEPTHS[d].blocks[s] && err == SG_OK; i++) {
            int width = STEM_CHANNELS << s;
            err = block_init(&m->blocks[m->n_blocks++], &m->params, s, i, in, width,
                             s > 0 && i == 0 ? 2 : 1, seed);
            in = 4 * width;
        }
    if (err == SG_OK) err = sg_batchnorm_layer_init(&m->norm, &m->params, "norm", in);
    if (err == SG_OK && cfg->classes > 0) {
        sg_conv2d_opts opt = sg_conv2d_opts_make(1, 0, 1, 1);
        err = sg_conv2d_layer_init(&m->fc, &m->params, "head.fc", in, cfg->classes, 1, &opt, true,
                                   seed);
    }
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    /* timm's _init_weights: convs kaiming fan_out, then head.fc N(0, 0.01)
     * with zero bias, and zero_init_last zeroes every conv3. */
    sg_init_convs_kaiming_fan_out(&m->params, seed);
    if (m->fc.weight) {
        sg_init_normal(m->fc.weight, seed, 0.0f, 0.01f);
        sg_init_constant(m->fc.bias, 0.0f);
    }
    for (int i = 0; i < m->n_blocks; i++) sg_init_constant(m->blocks[i].conv3.weight, 0.0f);
    return SG_OK;
}

static sg_tensor *block_forward(sg_graph *g, const sg_resnetv2_block *b, sg_tensor *x)
{
    sg_tensor *p = sg_relu_inplace(g, sg_batchnorm_layer_forward(g, &b->norm1, x));
    sg_tensor *shortcut = b->has_downsample ? sg_conv2d_layer_forward(g, &b->downsample, p) : x;
    sg_tensor *y = sg_conv2d_layer_forward(g, &b->conv1, p);
    y = sg_conv2d_layer_forward(g, &b->conv2, sg_relu_inplace(g, sg_batchnorm_layer_forward(g, &b->norm2, y)));
    y = sg_conv2d_layer_forward(g, &b->conv3, sg_relu_inplace(g, sg_batchnorm_layer_forward(g, &b->norm3, y)));
    return sg_add_inplace(g, y, shortcut);   /* y (conv output) is read by no backward */
}

sg_tensor *sg_resnetv2_features(sg_graph *g, sg_resnetv2 *m, sg_tensor *x)
{
    sg_pool2d_opts pool = sg_pool2d_opts_make(3, 2, 1);
    /* Marks timm's paths: stem.conv, stem.pool (= stem), stages.<s>.blocks.<i>,
     * stages.<s>, norm (BatchNormAct2d: BN + ReLU, the ReLU in place) (core/graph.h taps). */
    x = sg_graph_mark(g, "stem.conv", sg_conv2d_layer_forward(g, &m->stem, x));
    x = sg_graph_mark(g, "stem", sg_graph_mark(g, "stem.pool", sg_max_pool2d(g, x, &pool)));
    for (int i = 0; i < m->n_blocks; i++) {
        const sg_resnetv2_block *b = &m->blocks[i];
        x = sg_graph_markf(g, block_forward(g, b, x), "stages.%d.blocks.%d", b->stage, b->index);
        if (i + 1 == m->n_blocks || m->blocks[i + 1].stage != b->stage)
            sg_graph_markf(g, x, "stages.%d", b->stage);
    }
    return sg_graph_mark(g, "norm", sg_relu_inplace(g, sg_batchnorm_layer_forward(g, &m->norm, x)));
}

sg_tensor *sg_resnetv2_forward(sg_graph *g, sg_resnetv2 *m, sg_tensor *x)
{
    if (!m->fc.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "resnetv2: built without head.fc (classes 0)");
        return NULL;
    }
    x = sg_global_avg_pool2d(g, sg_resnetv2_features(g, m, x));
    return sg_flatten(g, sg_conv2d_layer_forward(g, &m->fc, x), 1, -1);
}

void sg_resnetv2_free(sg_resnetv2 *m) { sg_params_free(&m->params); }

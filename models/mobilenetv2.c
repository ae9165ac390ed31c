/* models/mobilenetv2.c - MobileNetV2 as torchvision builds it (see mobilenetv2.h). */
#include "models/mobilenetv2.h"

#include <assert.h>
#include <stdio.h>

#include "layers/activation.h"
#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/init.h"
#include "layers/pool.h"
#include "layers/shape.h"

/* torchvision's inverted_residual_setting: expansion t, channels c, repeats n,
 * stride s of the first repeat. */
static const struct { int t, c, n, s; } SETTING[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};
enum { N_STAGES = (int)(sizeof SETTING / sizeof SETTING[0]) };
enum { STEM_CHANNELS = 32, LAST_CHANNELS = 1280, ROUND_NEAREST = 8 };

sg_mobilenetv2_config sg_mobilenetv2_defaults(int classes)
{
    return (sg_mobilenetv2_config){.in_channels = 3, .classes = classes, .width_mult = 1.0,
                                   .dropout = 0.2f};
}

/* new_v = max(divisor, int(v + divisor / 2) // divisor * divisor), then + divisor
 * if new_v < 0.9 v: Python's arithmetic in double (v > 0, so int() is floor). */
int sg_make_divisible(double v, int divisor)
{
    int new_v = (int)(v + divisor / 2.0) / divisor * divisor;
    if (new_v < divisor) new_v = divisor;
    if (new_v < 0.9 * v) new_v += divisor;
    return new_v;
}

/* "<prefix>.<index>" into buf (our names are short: at most "features.17.conv.3.1"). */
static const char *child(char *buf, size_t size, const char *prefix, int index)
{
    int n = snprintf(buf, size, "%s.%d", prefix, index);
    assert(n > 0 && (size_t)n < size);
    (void)n;
    return buf;
}

/* Conv (k x k, padding (k-1)/2, no bias) named conv_name, BatchNorm named
 * bn_name, with torchvision's init: kaiming_normal_(fan_out) for the conv,
 * (the BN layer starts at weight 1, bias 0 already). */
static sg_err conv_bn_init(sg_mobilenetv2_conv_bn *l, sg_params *ps, const char *conv_name,
                           const char *bn_name, int in, int out, int k, int stride, int groups,
                           uint64_t seed)
{
    sg_conv2d_opts opt = sg_conv2d_opts_make(stride, (k - 1) / 2, 1, groups);
    sg_err err = sg_conv2d_layer_init(&l->conv, ps, conv_name, in, out, k, &opt, false, seed);
    if (err != SG_OK) return err;
    int64_t fan_out;
    sg_init_fans(l->conv.weight, NULL, &fan_out);
    sg_init_kaiming_normal(l->conv.weight, seed, fan_out);
    return sg_batchnorm_layer_init(&l->bn, ps, bn_name, out);
}

/* Conv2dNormActivation "<prefix>": conv "<prefix>.0", BN "<prefix>.1". */
static sg_err conv_bn_act_init(sg_mobilenetv2_conv_bn *l, sg_params *ps, const char *prefix,
                               int in, int out, int k, int stride, int groups, uint64_t seed)
{
    char conv_name[64], bn_name[64];
    return conv_bn_init(l, ps, child(conv_name, sizeof conv_name, prefix, 0),
                        child(bn_name, sizeof bn_name, prefix, 1), in, out, k, stride, groups,
                        seed);
}

/* InvertedResidual "features.<index>": its Sequential "conv" holds
 *   t != 1: 0 = expansion (Conv2dNormActivation), 1 = depthwise, 2 = projection conv, 3 = its BN
 *   t == 1: 0 = depthwise, 1 = projection conv, 2 = its BN. */
static sg_err block_init(sg_mobilenetv2_block *b, sg_params *ps, int index, int in, int out,
                         int stride, int t, uint64_t seed)
{
    char seq[48], a[64], c[64];
    snprintf(seq, sizeof seq, "features.%d.conv", index);
    int hidden = in * t;   /* int(round(inp * expand_ratio)) with integer t */
    b->expand = t != 1;
    b->residual = stride == 1 && in == out;
    int at = 0;
    sg_err err = SG_OK;
    if (b->expand)
        err = conv_bn_act_init(&b->expansion, ps, child(a, sizeof a, seq, at++), in, hidden, 1, 1,
                               1, seed);
    if (err == SG_OK)
        err = conv_bn_act_init(&b->depthwise, ps, child(a, sizeof a, seq, at++), hidden, hidden,
                               3, stride, hidden, seed);
    if (err == SG_OK)
        err = conv_bn_init(&b->projection, ps, child(a, sizeof a, seq, at),
                           child(c, sizeof c, seq, at + 1), hidden, out, 1, 1, 1, seed);
    return err;
}

sg_err sg_mobilenetv2_init(sg_mobilenetv2 *m, const sg_mobilenetv2_config *cfg, uint64_t seed)
{
    *m = (sg_mobilenetv2){.cfg = *cfg};
    if (cfg->in_channels < 1 || cfg->classes < 0 || !(cfg->width_mult > 0) ||
        !(cfg->dropout >= 0 && cfg->dropout < 1))
        return sg_error_set(SG_ERR_INVALID,
                            "mobilenetv2: in_channels %d, classes %d, width_mult %g, dropout %g: "
                            "expected in_channels >= 1, classes >= 0, width_mult > 0, dropout in "
                            "[0, 1)",
                            cfg->in_channels, cfg->classes, cfg->width_mult, (double)cfg->dropout);
    double w = cfg->width_mult;
    int in = sg_make_divisible(STEM_CHANNELS * w, ROUND_NEAREST);
    m->last_channels = sg_make_divisible(LAST_CHANNELS * (w > 1.0 ? w : 1.0), ROUND_NEAREST);
    sg_err err = conv_bn_act_init(&m->stem, &m->params, "features.0", cfg->in_channels, in, 3, 2,
                                  1, seed);
    int index = 1;
    for (int s = 0; s < N_STAGES && err == SG_OK; s++) {
        int out = sg_make_divisible(SETTING[s].c * w, ROUND_NEAREST);
        for (int i = 0; i < SETTING[s].n && err == SG_OK; i++, index++) {
            err = block_init(&m->blocks[index - 1], &m->params, index, in, out,
                             i == 0 ? SETTING[s].s : 1, SETTING[s].t, seed);
            in = out;
        }
    }
    if (err == SG_OK)
        err = conv_bn_act_init(&m->head, &m->params, "features.18", in, m->last_channels, 1, 1, 1,
                               seed);
    if (err == SG_OK && cfg->classes > 0)
        err = sg_linear_layer_init(&m->classifier, &m->params, "classifier.1", m->last_channels,
                                   cfg->classes, true, seed);
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    if (cfg->classes > 0) {
        sg_init_normal(m->classifier.weight, seed, 0.0f, 0.01f);
        sg_init_constant(m->classifier.bias, 0.0f);
    }
    return SG_OK;
}

static sg_tensor *conv_bn_forward(sg_graph *g, const sg_mobilenetv2_conv_bn *l, sg_tensor *x,
                                  bool relu6)
{
    x = sg_batchnorm_layer_forward(g, &l->bn, sg_conv2d_layer_forward(g, &l->conv, x));
    return relu6 ? sg_relu6_inplace(g, x) : x;   /* BN reads its input in backward, not x */
}

static sg_tensor *block_forward(sg_graph *g, const sg_mobilenetv2_block *b, sg_tensor *x)
{
    sg_tensor *y = b->expand ? conv_bn_forward(g, &b->expansion, x, true) : x;
    y = conv_bn_forward(g, &b->depthwise, y, true);
    y = conv_bn_forward(g, &b->projection, y, false);
    return b->residual ? sg_add_inplace(g, y, x) : y;   /* y (BN output) is read by no backward */
}

sg_tensor *sg_mobilenetv2_features(sg_graph *g, sg_mobilenetv2 *m, sg_tensor *x)
{
    /* Marks torchvision's paths features.0 .. features.18 (core/graph.h taps). */
    x = sg_graph_mark(g, "features.0", conv_bn_forward(g, &m->stem, x, true));
    for (int i = 0; i < SG_MOBILENETV2_BLOCKS; i++)
        x = sg_graph_markf(g, block_forward(g, &m->blocks[i], x), "features.%d", i + 1);
    x = sg_graph_mark(g, "features.18", conv_bn_forward(g, &m->head, x, true));
    return sg_graph_mark(g, "features", x);
}

sg_tensor *sg_mobilenetv2_forward(sg_graph *g, sg_mobilenetv2 *m, sg_tensor *x)
{
    if (!m->classifier.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "mobilenetv2: built without a classifier (classes 0)");
        return NULL;
    }
    x = sg_mobilenetv2_features(g, m, x);
    /* torchvision: adaptive_avg_pool2d(x, (1, 1)), flatten(x, 1), classifier. */
    x = sg_flatten(g, sg_global_avg_pool2d(g, x), 1, -1);
    x = sg_dropout(g, x, m->cfg.dropout);
    return sg_linear_layer_forward(g, &m->classifier, x);
}

void sg_mobilenetv2_free(sg_mobilenetv2 *m) { sg_params_free(&m->params); }

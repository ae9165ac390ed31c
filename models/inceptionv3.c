/* models/inceptionv3.c - Inception v3 as torchvision builds it (see inceptionv3.h).
 *
 * The five module types are data: each is a list of branches, each branch an
 * optional pool, a chain of BasicConv2d and an optional two-conv fork. One
 * builder and one forward serve them all. */
#include "models/inceptionv3.h"

#include <string.h>

#include "layers/activation.h"
#include "layers/dropout.h"
#include "layers/init.h"
#include "layers/pool.h"
#include "layers/shape.h"

#define BN_EPS 0.001f
enum { POOL_NONE, POOL_AVG, POOL_MAX };
enum { PARAM = -1 };              /* channels given by the module (pool features, c7) */

typedef struct conv_spec {
    const char *name;
    int out, kh, kw, stride, ph, pw;
} conv_spec;

typedef struct branch_spec {
    int pool;
    conv_spec chain[5];
    conv_spec fork[2];            /* fork[0].name NULL: no fork */
} branch_spec;

#define C1(name, out) {name, out, 1, 1, 1, 0, 0}
#define C3(name, out, stride, pad) {name, out, 3, 3, stride, pad, pad}

/* InceptionA(in, pool_features). */
static const branch_spec TYPE_A[] = {
    {POOL_NONE, {C1("branch1x1", 64)}, {{0}}},
    {POOL_NONE, {C1("branch5x5_1", 48), {"branch5x5_2", 64, 5, 5, 1, 2, 2}}, {{0}}},
    {POOL_NONE, {C1("branch3x3dbl_1", 64), C3("branch3x3dbl_2", 96, 1, 1),
                 C3("branch3x3dbl_3", 96, 1, 1)}, {{0}}},
    {POOL_AVG, {C1("branch_pool", PARAM)}, {{0}}},
};
/* InceptionB(in): grid reduction 35 -> 17. */
static const branch_spec TYPE_B[] = {
    {POOL_NONE, {C3("branch3x3", 384, 2, 0)}, {{0}}},
    {POOL_NONE, {C1("branch3x3dbl_1", 64), C3("branch3x3dbl_2", 96, 1, 1),
                 C3("branch3x3dbl_3", 96, 2, 0)}, {{0}}},
    {POOL_MAX, {{0}}, {{0}}},
};
/* InceptionC(in, channels_7x7): 7x7 factorised into 1x7 and 7x1. */
#define C17(name, out) {name, out, 1, 7, 1, 0, 3}
#define C71(name, out) {name, out, 7, 1, 1, 3, 0}
static const branch_spec TYPE_C[] = {
    {POOL_NONE, {C1("branch1x1", 192)}, {{0}}},
    {POOL_NONE, {C1("branch7x7_1", PARAM), C17("branch7x7_2", PARAM), C71("branch7x7_3", 192)},
     {{0}}},
    {POOL_NONE, {C1("branch7x7dbl_1", PARAM), C71("branch7x7dbl_2", PARAM),
                 C17("branch7x7dbl_3", PARAM), C71("branch7x7dbl_4", PARAM),
                 C17("branch7x7dbl_5", 192)}, {{0}}},
    {POOL_AVG, {C1("branch_pool", 192)}, {{0}}},
};
/* InceptionD(in): grid reduction 17 -> 8. */
static const branch_spec TYPE_D[] = {
    {POOL_NONE, {C1("branch3x3_1", 192), C3("branch3x3_2", 320, 2, 0)}, {{0}}},
    {POOL_NONE, {C1("branch7x7x3_1", 192), C17("branch7x7x3_2", 192), C71("branch7x7x3_3", 192),
                 C3("branch7x7x3_4", 192, 2, 0)}, {{0}}},
    {POOL_MAX, {{0}}, {{0}}},
};
/* InceptionE(in): 3x3 forked into 1x3 and 3x1. */
#define C13(name) {name, 384, 1, 3, 1, 0, 1}
#define C31(name) {name, 384, 3, 1, 1, 1, 0}
static const branch_spec TYPE_E[] = {
    {POOL_NONE, {C1("branch1x1", 320)}, {{0}}},
    {POOL_NONE, {C1("branch3x3_1", 384)}, {C13("branch3x3_2a"), C31("branch3x3_2b")}},
    {POOL_NONE, {C1("branch3x3dbl_1", 448), C3("branch3x3dbl_2", 384, 1, 1)},
     {C13("branch3x3dbl_3a"), C31("branch3x3dbl_3b")}},
    {POOL_AVG, {C1("branch_pool", 192)}, {{0}}},
};

static const struct {
    const char *name;
    const branch_spec *type;
    int n_branches, param;
} MODULES[SG_INCEPTION_MODULES] = {
    {"Mixed_5b", TYPE_A, 4, 32}, {"Mixed_5c", TYPE_A, 4, 64}, {"Mixed_5d", TYPE_A, 4, 64},
    {"Mixed_6a", TYPE_B, 3, 0},  {"Mixed_6b", TYPE_C, 4, 128}, {"Mixed_6c", TYPE_C, 4, 160},
    {"Mixed_6d", TYPE_C, 4, 160}, {"Mixed_6e", TYPE_C, 4, 192}, {"Mixed_7a", TYPE_D, 3, 0},
    {"Mixed_7b", TYPE_E, 4, 0},  {"Mixed_7c", TYPE_E, 4, 0},
};
enum { AUX_AFTER = 7 };           /* AuxLogits reads Mixed_6e's output */

static const conv_spec STEM[SG_INCEPTION_STEM] = {
    C3("Conv2d_1a_3x3", 32, 2, 0), C3("Conv2d_2a_3x3", 32, 1, 0), C3("Conv2d_2b_3x3", 64, 1, 1),
    C1("Conv2d_3b_1x1", 80), C3("Conv2d_4a_3x3", 192, 1, 0),
};

sg_inceptionv3_config sg_inceptionv3_defaults(int classes)
{
    return (sg_inceptionv3_config){.in_channels = 3, .classes = classes, .aux_logits = true,
                                   .dropout = 0.5f};
}

/* BasicConv2d "<prefix>.<spec name>" (prefix may be empty): conv + BN eps 0.001. */
static sg_err basic_conv_init(sg_conv_bn *l, sg_params *ps, const char *prefix,
                              const conv_spec *s, int in, int param, uint64_t seed)
{
    char conv[SG_PARAM_NAME_MAX], bn[SG_PARAM_NAME_MAX];
    const char *dot = *prefix ? "." : "";
    sg_conv_shape shape = {.kh = s->kh, .kw = s->kw, .stride = s->stride, .pad_h = s->ph,
                           .pad_w = s->pw};
    sg_err err = sg_conv_bn_init(l, ps, sg_model_name(conv, "%s%s%s.conv", prefix, dot, s->name),
                                 sg_model_name(bn, "%s%s%s.bn", prefix, dot, s->name), in,
                                 s->out == PARAM ? param : s->out, shape, seed);
    l->bn.eps = BN_EPS;
    return err;
}

static sg_err module_init(sg_inception_module *mod, sg_params *ps, int index, int in,
                          uint64_t seed)
{
    const char *prefix = MODULES[index].name;
    int param = MODULES[index].param;
    mod->n_branches = MODULES[index].n_branches;
    mod->out_channels = 0;
    sg_err err = SG_OK;
    for (int b = 0; b < mod->n_branches && err == SG_OK; b++) {
        const branch_spec *spec = &MODULES[index].type[b];
        sg_inception_branch *br = &mod->branch[b];
        br->pool = spec->pool;
        int c = in;
        for (int k = 0; k < 5 && spec->chain[k].name && err == SG_OK; k++) {
            err = basic_conv_init(&br->chain[k], ps, prefix, &spec->chain[k], c, param, seed);
            c = br->chain[k].conv.weight ? (int)br->chain[k].conv.weight->t.shape[0] : c;
            br->n_chain = k + 1;
        }
        br->has_fork = spec->fork[0].name != NULL;
        if (br->has_fork && err == SG_OK) {
            err = basic_conv_init(&br->fork[0], ps, prefix, &spec->fork[0], c, param, seed);
            if (err == SG_OK)
                err = basic_conv_init(&br->fork[1], ps, prefix, &spec->fork[1], c, param, seed);
            c = spec->fork[0].out + spec->fork[1].out;
        }
        mod->out_channels += c;
    }
    return err;
}

/* torchvision: trunc_normal_(std, a=-2, b=2) on every conv and linear weight. */
static void init_weights(sg_inceptionv3 *m, uint64_t seed)
{
    for (int i = 0; i < m->params.count; i++) {
        sg_param *p = m->params.items[i];
        if (p->buffer || p->t.ndim < 2) continue;
        float std = 0.1f;
        if (strcmp(p->name, "AuxLogits.conv1.conv.weight") == 0) std = 0.01f;
        if (strcmp(p->name, "AuxLogits.fc.weight") == 0) std = 0.001f;
        sg_init_trunc_normal(p, seed, std, -2.0f, 2.0f);
    }
}

sg_err sg_inceptionv3_init(sg_inceptionv3 *m, const sg_inceptionv3_config *cfg, uint64_t seed)
{
    *m = (sg_inceptionv3){.cfg = *cfg};
    if (cfg->in_channels < 1 || cfg->classes < 0 || !(cfg->dropout >= 0 && cfg->dropout < 1))
        return sg_error_set(SG_ERR_INVALID,
                            "inceptionv3: in_channels %d, classes %d, dropout %g: expected "
                            "in_channels >= 1, classes >= 0, dropout in [0, 1)",
                            cfg->in_channels, cfg->classes, (double)cfg->dropout);
    sg_err err = SG_OK;
    int c = cfg->in_channels;
    for (int i = 0; i < SG_INCEPTION_STEM && err == SG_OK; i++) {
        err = basic_conv_init(&m->stem[i], &m->params, "", &STEM[i], c, 0, seed);
        c = STEM[i].out;
    }
    for (int i = 0; i < SG_INCEPTION_MODULES && err == SG_OK; i++) {
        err = module_init(&m->mixed[i], &m->params, i, c, seed);
        c = m->mixed[i].out_channels;
        if (i == AUX_AFTER && cfg->aux_logits && err == SG_OK) {
            /* InceptionAux(768, classes): conv0 1x1 128, conv1 5x5 768, fc. */
            static const conv_spec conv0 = C1("conv0", 128), conv1 = {"conv1", 768, 5, 5, 1, 0, 0};
            err = basic_conv_init(&m->aux_conv0, &m->params, "AuxLogits", &conv0, c, 0, seed);
            if (err == SG_OK)
                err = basic_conv_init(&m->aux_conv1, &m->params, "AuxLogits", &conv1, 128, 0, seed);
            if (err == SG_OK && cfg->classes > 0)
                err = sg_linear_layer_init(&m->aux_fc, &m->params, "AuxLogits.fc", 768,
                                           cfg->classes, true, seed);
        }
    }
    if (err == SG_OK && cfg->classes > 0)
        err = sg_linear_layer_init(&m->fc, &m->params, "fc", c, cfg->classes, true, seed);
    if (err != SG_OK) {
        sg_params_free(&m->params);
        return err;
    }
    init_weights(m, seed);
    return SG_OK;
}

static sg_tensor *branch_forward(sg_graph *g, const sg_inception_branch *br, sg_tensor *x)
{
    if (br->pool == POOL_AVG) {
        sg_pool2d_opts o = sg_pool2d_opts_make(3, 1, 1);   /* count_include_pad = true */
        x = sg_avg_pool2d(g, x, &o);
    } else if (br->pool == POOL_MAX) {
        sg_pool2d_opts o = sg_pool2d_opts_make(3, 2, 0);
        x = sg_max_pool2d(g, x, &o);
    }
    for (int k = 0; k < br->n_chain; k++) x = sg_conv_bn_forward(g, &br->chain[k], x, true);
    if (!br->has_fork) return x;
    sg_tensor *parts[2] = {sg_conv_bn_forward(g, &br->fork[0], x, true),
                           sg_conv_bn_forward(g, &br->fork[1], x, true)};
    return sg_concat(g, 2, parts, 1);
}

static sg_tensor *module_forward(sg_graph *g, const sg_inception_module *mod, sg_tensor *x)
{
    sg_tensor *parts[4];
    for (int b = 0; b < mod->n_branches; b++) parts[b] = branch_forward(g, &mod->branch[b], x);
    return sg_concat(g, mod->n_branches, parts, 1);
}

static sg_tensor *aux_forward(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x)
{
    sg_pool2d_opts o = sg_pool2d_opts_make(5, 3, 0);
    x = sg_conv_bn_forward(g, &m->aux_conv0, sg_avg_pool2d(g, x, &o), true);
    x = sg_conv_bn_forward(g, &m->aux_conv1, x, true);
    x = sg_flatten(g, sg_global_avg_pool2d(g, x), 1, -1);
    return sg_linear_layer_forward(g, &m->aux_fc, x);
}

/* Everything up to Mixed_7c; *aux gets the aux logits when asked and run. */
static sg_tensor *features(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x, sg_tensor **aux)
{
    sg_pool2d_opts pool = sg_pool2d_opts_make(3, 2, 0);
    /* Marks torchvision's paths: Conv2d_*, maxpool1, maxpool2, Mixed_*
     * (core/graph.h taps). */
    for (int i = 0; i < SG_INCEPTION_STEM; i++) {
        x = sg_graph_mark(g, STEM[i].name, sg_conv_bn_forward(g, &m->stem[i], x, true));
        if (i == 2 || i == 4)                                  /* maxpool1, maxpool2 */
            x = sg_graph_mark(g, i == 2 ? "maxpool1" : "maxpool2", sg_max_pool2d(g, x, &pool));
    }
    for (int i = 0; i < SG_INCEPTION_MODULES; i++) {
        x = sg_graph_mark(g, MODULES[i].name, module_forward(g, &m->mixed[i], x));
        if (i == AUX_AFTER && aux && m->aux_fc.weight && sg_graph_training(g))
            *aux = aux_forward(g, m, x);
    }
    return x;
}

sg_tensor *sg_inceptionv3_features(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x)
{
    return features(g, m, x, NULL);
}

sg_tensor *sg_inceptionv3_forward_aux(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x,
                                      sg_tensor **aux)
{
    if (aux) *aux = NULL;
    if (!m->fc.weight) {
        sg_graph_fail(g, SG_ERR_INVALID, "inceptionv3: built without fc (classes 0)");
        return NULL;
    }
    /* torchvision: avgpool (adaptive 1x1), dropout, flatten, fc. */
    x = sg_global_avg_pool2d(g, features(g, m, x, aux));
    x = sg_flatten(g, sg_dropout(g, x, m->cfg.dropout), 1, -1);
    return sg_linear_layer_forward(g, &m->fc, x);
}

sg_tensor *sg_inceptionv3_forward(sg_graph *g, sg_inceptionv3 *m, sg_tensor *x)
{
    return sg_inceptionv3_forward_aux(g, m, x, NULL);
}

void sg_inceptionv3_free(sg_inceptionv3 *m) { sg_params_free(&m->params); }

/* layers/layers.c - parameterised layers (see layers.h). */
#include "layers/layers.h"

#include <stdio.h>

#include "layers/init.h"
#include "layers/matmul.h"
#include "layers/norm.h"

/* "<prefix>.<leaf>" into buf; error if it does not fit. */
static sg_err join(char *buf, size_t size, const char *prefix, const char *leaf)
{
    int n = snprintf(buf, size, "%s%s%s", prefix, *prefix ? "." : "", leaf);
    if (n < 0 || (size_t)n >= size)
        return sg_error_set(SG_ERR_INVALID, "parameter name '%s.%s' is too long", prefix, leaf);
    return SG_OK;
}

static sg_param *add(sg_params *ps, const char *prefix, const char *leaf, int ndim,
                     const int64_t *shape, bool buffer)
{
    char name[SG_PARAM_NAME_MAX];
    if (join(name, sizeof name, prefix, leaf) != SG_OK) return NULL;
    return buffer ? sg_params_add_buffer(ps, name, ndim, shape) : sg_params_add(ps, name, ndim, shape);
}

sg_err sg_conv2d_layer_init(sg_conv2d_layer *l, sg_params *ps, const char *prefix, int in,
                            int out, int k, const sg_conv2d_opts *opt, bool bias, uint64_t seed)
{
    return sg_conv2d_layer_init_rect(l, ps, prefix, in, out, k, k, opt, bias, seed);
}

sg_err sg_conv2d_layer_init_rect(sg_conv2d_layer *l, sg_params *ps, const char *prefix, int in,
                                 int out, int kh, int kw, const sg_conv2d_opts *opt, bool bias,
                                 uint64_t seed)
{
    int groups = opt && opt->groups > 0 ? opt->groups : 1;
    if (in <= 0 || out <= 0 || kh <= 0 || kw <= 0 || in % groups || out % groups)
        return sg_error_set(SG_ERR_INVALID,
                            "%s: conv2d(in %d, out %d, kernel %dx%d, groups %d) is not valid",
                            prefix, in, out, kh, kw, groups);
    *l = (sg_conv2d_layer){0};
    if (opt) l->opt = *opt;
    l->weight = add(ps, prefix, "weight", 4, (int64_t[]){out, in / groups, kh, kw}, false);
    if (!l->weight) return SG_ERR_INVALID;
    int64_t fan_in = (int64_t)(in / groups) * kh * kw;
    sg_init_torch_default(l->weight, seed, fan_in);
    if (bias) {
        l->bias = add(ps, prefix, "bias", 1, (int64_t[]){out}, false);
        if (!l->bias) return SG_ERR_INVALID;
        sg_init_torch_default(l->bias, seed, fan_in);
        l->bias->no_decay = true;
    }
    return SG_OK;
}

/* padding_mode as torch.nn.Conv2d._conv_forward: zeros pad inside the
 * convolution; any other mode is F.pad(x, (left, right, top, bottom), mode)
 * followed by the same convolution with padding 0. The gradient of the pad
 * (layers/shape.c) sums what a mirrored or repeated pixel receives back into
 * the pixel it copies. */
sg_tensor *sg_conv2d_layer_forward(sg_graph *g, const sg_conv2d_layer *l, sg_tensor *x)
{
    sg_tensor *w = &l->weight->t, *b = l->bias ? &l->bias->t : NULL;
    if (l->padding_mode == SG_PAD_CONSTANT) return sg_conv2d(g, x, w, b, &l->opt);
    if (l->opt.padding != SG_CONV_PAD_EXPLICIT) {
        sg_graph_fail(g, SG_ERR_INVALID, "conv2d layer: padding mode %d needs explicit pads, not SAME",
                      (int)l->padding_mode);
        return NULL;
    }
    const int64_t pads[4] = {l->opt.pad_left, l->opt.pad_right, l->opt.pad_top, l->opt.pad_bottom};
    sg_conv2d_opts unpadded = l->opt;
    unpadded.pad_left = unpadded.pad_right = unpadded.pad_top = unpadded.pad_bottom = 0;
    sg_tensor *xp = sg_pad(g, x, 4, pads, l->padding_mode, 0.0f);
    return xp ? sg_conv2d(g, xp, w, b, &unpadded) : NULL;
}

sg_err sg_linear_layer_init(sg_linear_layer *l, sg_params *ps, const char *prefix, int in,
                            int out, bool bias, uint64_t seed)
{
    if (in <= 0 || out <= 0)
        return sg_error_set(SG_ERR_INVALID, "%s: linear(in %d, out %d) is not valid", prefix, in, out);
    *l = (sg_linear_layer){0};
    l->weight = add(ps, prefix, "weight", 2, (int64_t[]){out, in}, false);
    if (!l->weight) return SG_ERR_INVALID;
    sg_init_torch_default(l->weight, seed, in);
    if (bias) {
        l->bias = add(ps, prefix, "bias", 1, (int64_t[]){out}, false);
        if (!l->bias) return SG_ERR_INVALID;
        sg_init_torch_default(l->bias, seed, in);
        l->bias->no_decay = true;
    }
    return SG_OK;
}

sg_tensor *sg_linear_layer_forward(sg_graph *g, const sg_linear_layer *l, sg_tensor *x)
{
    return sg_linear(g, x, &l->weight->t, l->bias ? &l->bias->t : NULL);
}

sg_err sg_batchnorm_layer_init(sg_batchnorm_layer *l, sg_params *ps, const char *prefix, int C)
{
    if (C <= 0) return sg_error_set(SG_ERR_INVALID, "%s: batchnorm of %d channels", prefix, C);
    *l = (sg_batchnorm_layer){.momentum = 0.1f, .eps = 1e-5f};
    int64_t shape[1] = {C};
    l->weight = add(ps, prefix, "weight", 1, shape, false);
    l->bias = add(ps, prefix, "bias", 1, shape, false);
    l->running_mean = add(ps, prefix, "running_mean", 1, shape, true);
    l->running_var = add(ps, prefix, "running_var", 1, shape, true);
    l->num_batches_tracked = add(ps, prefix, "num_batches_tracked", 0, NULL, true);
    if (!l->weight || !l->bias || !l->running_mean || !l->running_var || !l->num_batches_tracked)
        return SG_ERR_INVALID;
    sg_init_constant(l->weight, 1.0f);
    sg_init_constant(l->running_var, 1.0f);
    l->weight->no_decay = l->bias->no_decay = true;
    return SG_OK;
}

sg_tensor *sg_batchnorm_layer_forward(sg_graph *g, const sg_batchnorm_layer *l, sg_tensor *x)
{
    if (!x) return NULL;
    sg_tensor *(*op)(sg_graph *, sg_tensor *, sg_tensor *, sg_tensor *, sg_tensor *, sg_tensor *,
                     float, float) = x->ndim == 4 ? sg_batchnorm2d : sg_batchnorm1d;
    sg_tensor *y = op(g, x, &l->weight->t, &l->bias->t, &l->running_mean->t, &l->running_var->t,
                      l->momentum, l->eps);
    if (y && sg_graph_training(g)) l->num_batches_tracked->t.data[0] += 1.0f;
    return y;
}

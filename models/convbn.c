/* models/convbn.c - the conv -> BatchNorm unit (see convbn.h). */
#include "models/convbn.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "layers/activation.h"
#include "layers/init.h"

sg_conv_shape sg_conv_square(int k, int stride, int pad)
{
    return (sg_conv_shape){.kh = k, .kw = k, .stride = stride, .pad_h = pad, .pad_w = pad};
}

sg_err sg_conv_bn_init(sg_conv_bn *l, sg_params *ps, const char *conv_name, const char *bn_name,
                       int in, int out, sg_conv_shape s, uint64_t seed)
{
    sg_conv2d_opts opt = sg_conv2d_opts_make(s.stride, 0, 1, 1);
    opt.pad_top = opt.pad_bottom = s.pad_h;
    opt.pad_left = opt.pad_right = s.pad_w;
    sg_err err = sg_conv2d_layer_init_rect(&l->conv, ps, conv_name, in, out, s.kh, s.kw, &opt,
                                           false, seed);
    return err != SG_OK ? err : sg_batchnorm_layer_init(&l->bn, ps, bn_name, out);
}

sg_tensor *sg_conv_bn_forward(sg_graph *g, const sg_conv_bn *l, sg_tensor *x, bool relu)
{
    x = sg_batchnorm_layer_forward(g, &l->bn, sg_conv2d_layer_forward(g, &l->conv, x));
    return relu ? sg_relu_inplace(g, x) : x;   /* BN reads its input in backward, not x */
}

const char *sg_model_name(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, SG_PARAM_NAME_MAX, fmt, ap);
    va_end(ap);
    assert(n > 0 && n < SG_PARAM_NAME_MAX);
    (void)n;
    return buf;
}

void sg_init_convs_kaiming_fan_out(sg_params *ps, uint64_t seed)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (p->buffer || p->t.ndim != 4) continue;
        int64_t fan_out;
        sg_init_fans(p, NULL, &fan_out);
        sg_init_kaiming_normal(p, seed, fan_out);
    }
}

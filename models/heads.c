/* models/heads.c - the papers' classification heads (see heads.h). */
#include "models/heads.h"

#include <string.h>

#include "layers/activation.h"
#include "layers/dropout.h"
#include "layers/pool.h"
#include "layers/shape.h"

static const struct { const char *name; sg_head_kind kind; int hidden; } HEADS[] = {
    {"gap256", SG_HEAD_GAP256, 256}, {"gap512", SG_HEAD_GAP512, 512}, {"alt001", SG_HEAD_ALT001, 64},
};
enum { N_HEADS = sizeof HEADS / sizeof HEADS[0] };

const char *sg_head_names(void) { return "gap256, gap512, alt001"; }

sg_err sg_head_init(sg_head *h, sg_params *ps, const char *name, int channels, int classes,
                    float dropout, uint64_t seed)
{
    *h = (sg_head){.dropout = dropout < 0 ? 0.5f : dropout};
    int k = -1;
    for (int i = 0; i < N_HEADS; i++)
        if (name && strcmp(name, HEADS[i].name) == 0) k = i;
    if (k < 0)
        return sg_error_set(SG_ERR_INVALID, "head: unknown head '%s' (heads: %s)",
                            name ? name : "", sg_head_names());
    if (!(h->dropout < 1))
        return sg_error_set(SG_ERR_INVALID, "head %s: dropout %g, expected [0, 1)", name,
                            (double)h->dropout);
    h->kind = HEADS[k].kind;
    sg_err err = sg_linear_layer_init(&h->fc1, ps, "head.fc1", channels, HEADS[k].hidden, true, seed);
    return err != SG_OK ? err
                        : sg_linear_layer_init(&h->fc2, ps, "head.fc2", HEADS[k].hidden, classes,
                                               true, seed);
}

sg_tensor *sg_head_forward(sg_graph *g, const sg_head *h, sg_tensor *x)
{
    if (x && h->kind == SG_HEAD_ALT001 && x->ndim == 4 && (x->shape[2] < 3 || x->shape[3] < 3)) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "head alt001: feature map %lldx%lld is smaller than its 3x3 max pool (a "
                      "stride-32 backbone needs inputs of at least 96 pixels)",
                      (long long)x->shape[2], (long long)x->shape[3]);
        return NULL;
    }
    if (h->kind == SG_HEAD_ALT001) {
        /* MaxPool 3x3 stride 3; Dense on each pixel's channels: NCHW -> NHWC,
         * linear on the last axis, back to NCHW for the global average. */
        sg_pool2d_opts pool = sg_pool2d_opts_make(3, 3, 0);
        x = sg_permute(g, sg_max_pool2d(g, x, &pool), (const int[]){0, 2, 3, 1});
        x = sg_dropout(g, sg_relu(g, sg_linear_layer_forward(g, &h->fc1, x)), h->dropout);
        x = sg_global_avg_pool2d(g, sg_permute(g, x, (const int[]){0, 3, 1, 2}));
        return sg_linear_layer_forward(g, &h->fc2, sg_flatten(g, x, 1, -1));
    }
    x = sg_flatten(g, sg_global_avg_pool2d(g, x), 1, -1);
    x = sg_dropout(g, sg_relu(g, sg_linear_layer_forward(g, &h->fc1, x)), h->dropout);
    return sg_linear_layer_forward(g, &h->fc2, x);
}

/* models/gridhead.c - the dense, per-cell detection head (see gridhead.h). */
#include "models/gridhead.h"

#include <math.h>
#include <string.h>

#include "layers/activation.h"
#include "layers/elementwise.h"
#include "layers/loss.h"
#include "layers/shape.h"

int sg_grid_head_channels(const sg_grid_head *h) { return 5 + h->classes; }

sg_err sg_grid_head_init(sg_grid_head *h, sg_params *ps, int in_channels, int classes, int hidden,
                         uint64_t seed)
{
    if (in_channels < 1 || classes < 1 || hidden < 1)
        return sg_error_set(SG_ERR_INVALID, "grid head: %d feature channels, %d classes, %d hidden: "
                            "expected each >= 1", in_channels, classes, hidden);
    *h = (sg_grid_head){.in_channels = in_channels, .hidden = hidden, .classes = classes};
    sg_conv2d_opts c3 = sg_conv2d_opts_make(1, 1, 1, 1), c1 = sg_conv2d_opts_make(1, 0, 1, 1);
    sg_err err = sg_conv2d_layer_init(&h->conv, ps, "det.grid.conv", in_channels, hidden, 3, &c3, true, seed);
    if (err == SG_OK)
        err = sg_conv2d_layer_init(&h->out, ps, "det.grid.out", hidden, sg_grid_head_channels(h), 1, &c1, true,
                                   seed);
    if (err == SG_OK) h->out.bias->t.data[0] = logf(0.02f / 0.98f);
    return err;
}

sg_tensor *sg_grid_head_forward(sg_graph *g, const sg_grid_head *h, sg_tensor *features)
{
    if (!features) return NULL;
    sg_tensor *x = sg_relu(g, sg_conv2d_layer_forward(g, &h->conv, features));
    return x ? sg_conv2d_layer_forward(g, &h->out, x) : NULL;
}

/* Give `cell` (row i, column j) to box d unless a larger box of the same
 * pass holds it; `mark` is obj's value for this pass (1 centre cells, 2
 * neighbours until the end). Returns 1 if the cell was empty. */
static int claim(int HW, int W, int i, int j, const sg_det_box *d, float cx, float cy, float lw, float lh,
                 float mark, float *obj, int32_t *cls, float *box, float *mask)
{
    int cell = i * W + j;
    if (obj[cell] != 0 && obj[cell] != mark) return 0;   /* a centre cell is never a neighbour's */
    /* the larger box keeps the cell (areas compared as log w + log h) */
    if (obj[cell] > 0 && box[2 * HW + cell] + box[3 * HW + cell] >= lw + lh) return 0;
    int fresh = obj[cell] == 0;
    obj[cell] = mark;
    cls[cell] = d->label;
    box[cell] = cx - (float)j;
    box[HW + cell] = cy - (float)i;
    box[2 * HW + cell] = lw;
    box[3 * HW + cell] = lh;
    for (int v = 0; v < 4; v++) mask[v * HW + cell] = 1.0f;
    return fresh;
}

int sg_grid_head_assign(int H, int W, const sg_det_box *boxes, int n_boxes, bool neighbours, float *obj,
                        int32_t *cls, float *box, float *mask)
{
    int HW = H * W, n = 0;
    for (int c = 0; c < HW; c++) {
        obj[c] = 0.0f;
        cls[c] = SG_GRID_IGNORE;
    }
    memset(box, 0, (size_t)4 * HW * sizeof *box);
    memset(mask, 0, (size_t)4 * HW * sizeof *mask);
    for (int pass = 0; pass < (neighbours ? 2 : 1); pass++)
        for (int b = 0; b < n_boxes; b++) {
            const sg_det_box *d = &boxes[b];
            float w = fmaxf(d->xmax - d->xmin, 1e-3f), hh = fmaxf(d->ymax - d->ymin, 1e-3f);
            float cx = 0.5f * (d->xmin + d->xmax) * (float)W, cy = 0.5f * (d->ymin + d->ymax) * (float)H;
            int j = (int)floorf(cx), i = (int)floorf(cy);
            j = j < 0 ? 0 : j >= W ? W - 1 : j;
            i = i < 0 ? 0 : i >= H ? H - 1 : i;
            if (pass == 0) {
                n += claim(HW, W, i, j, d, cx, cy, logf(w), logf(hh), 1.0f, obj, cls, box, mask);
                continue;
            }
            /* the nearer neighbour across each axis, when inside the grid */
            int jn = cx - (float)j < 0.5f ? j - 1 : j + 1, in = cy - (float)i < 0.5f ? i - 1 : i + 1;
            if (jn >= 0 && jn < W) n += claim(HW, W, i, jn, d, cx, cy, logf(w), logf(hh), 2.0f, obj, cls, box, mask);
            if (in >= 0 && in < H) n += claim(HW, W, in, j, d, cx, cy, logf(w), logf(hh), 2.0f, obj, cls, box, mask);
        }
    for (int c = 0; c < HW; c++) obj[c] = obj[c] != 0 ? 1.0f : 0.0f;
    return n;
}

sg_tensor *sg_grid_head_loss(sg_graph *g, const sg_grid_head *h, sg_tensor *out, const float *obj,
                             const int32_t *cls, const float *box, const float *mask, int positives)
{
    if (!out) return NULL;
    int64_t N = out->shape[0], H = out->shape[2], W = out->shape[3];
    int C = h->classes;
    sg_tensor *obj_t = sg_graph_tensor_from(g, 4, (int64_t[]){N, 1, H, W}, obj);
    sg_tensor *box_t = sg_graph_tensor_from(g, 4, (int64_t[]){N, 4, H, W}, box);
    sg_tensor *mask_t = sg_graph_tensor_from(g, 4, (int64_t[]){N, 4, H, W}, mask);
    if (!obj_t || !box_t || !mask_t) return NULL;
    sg_tensor *l_obj = sg_bce_with_logits(g, sg_slice(g, out, 1, 0, 1, 1), obj_t, NULL, SG_REDUCE_SUM);
    sg_ce_opts ce = SG_CE_DEFAULTS;
    ce.ignore_index = SG_GRID_IGNORE;
    ce.reduction = SG_REDUCE_SUM;
    sg_tensor *l_cls = sg_cross_entropy(g, sg_slice(g, out, 1, 1, 1 + C, 1), cls, &ce);
    /* centre offsets 2 sigmoid(t) - 0.5, in (-0.5, 1.5) */
    sg_tensor *xy = sg_sigmoid(g, sg_slice(g, out, 1, 1 + C, 3 + C, 1));
    sg_tensor *parts[2] = {sg_add_scalar(g, sg_mul_scalar(g, xy, 2.0f), -0.5f), sg_slice(g, out, 1, 3 + C, 5 + C, 1)};
    sg_tensor *pred = parts[0] && parts[1] ? sg_concat(g, 2, parts, 1) : NULL;
    sg_tensor *l_box = pred ? sg_l1_loss(g, sg_mul(g, pred, mask_t), box_t, SG_REDUCE_SUM) : NULL;
    if (!l_obj || !l_cls || !l_box) return NULL;
    sg_tensor *sum = sg_add(g, sg_add(g, l_obj, l_cls), sg_mul_scalar(g, l_box, SG_GRID_BOX_WEIGHT));
    return sg_mul_scalar(g, sum, 1.0f / (float)(positives > 1 ? positives : 1));
}

static float clamp01(float v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

int sg_grid_head_decode(int classes, const float *out, int H, int W, int image, float threshold,
                        double nms_iou, sg_det_box *dets)
{
    int HW = H * W, n = 0;
    for (int cell = 0; cell < HW; cell++) {
        int i = cell / W, j = cell % W;
        const float *z = out + HW + cell;   /* class k at z[k * HW] */
        int best = 0;
        for (int k = 1; k < classes; k++) best = z[(size_t)k * HW] > z[(size_t)best * HW] ? k : best;
        double sum = 0.0;
        for (int k = 0; k < classes; k++) sum += exp((double)z[(size_t)k * HW] - z[(size_t)best * HW]);
        double objness = 1.0 / (1.0 + exp(-(double)out[cell]));
        float score = (float)(objness / sum);
        if (score < threshold) continue;
        const float *t = out + (size_t)(1 + classes) * HW + cell;
        float cx = ((float)j + 2.0f / (1.0f + expf(-t[0])) - 0.5f) / (float)W;
        float cy = ((float)i + 2.0f / (1.0f + expf(-t[HW])) - 0.5f) / (float)H;
        float w = expf(fminf(t[2 * HW], 4.0f)), h = expf(fminf(t[3 * HW], 4.0f));
        dets[n++] = (sg_det_box){.image = image, .label = best, .score = score,
                                 .xmin = clamp01(cx - 0.5f * w), .xmax = clamp01(cx + 0.5f * w),
                                 .ymin = clamp01(cy - 0.5f * h), .ymax = clamp01(cy + 0.5f * h)};
    }
    return sg_det_nms(dets, n, nms_iou, false);
}

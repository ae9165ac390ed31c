/* models/boxhead.c - paper 002's localisation heads (see boxhead.h). */
#include "models/boxhead.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers/elementwise.h"
#include "layers/loss.h"
#include "layers/shape.h"

int sg_box_head_slot_classes(const sg_box_head *h) { return h->slots > 1 ? h->classes + 1 : h->classes; }

sg_err sg_box_head_init(sg_box_head *h, sg_params *ps, int features, int classes, int slots,
                        uint64_t seed)
{
    if (features < 1 || classes < 1 || slots < 1 || (slots == 1 && classes < 2))
        return sg_error_set(SG_ERR_INVALID, "box head: %d features, %d classes, %d slots: expected "
                            "features >= 1, slots >= 1, classes >= 2 (>= 1 with several slots)",
                            features, classes, slots);
    *h = (sg_box_head){.features = features, .classes = classes, .slots = slots};
    sg_err err = sg_linear_layer_init(&h->cls, ps, "det.cls", features,
                                      slots * sg_box_head_slot_classes(h), true, seed);
    return err != SG_OK ? err : sg_linear_layer_init(&h->box, ps, "det.box", features, slots * 4, true, seed);
}

sg_tensor *sg_box_head_forward(sg_graph *g, const sg_box_head *h, sg_tensor *features,
                               sg_tensor **boxes)
{
    *boxes = NULL;
    sg_tensor *f = sg_flatten(g, features, 1, -1);
    if (!f) return NULL;
    int64_t N = f->shape[0];
    sg_tensor *logits = sg_reshape(g, sg_linear_layer_forward(g, &h->cls, f), 3,
                                   (int64_t[]){N, h->slots, sg_box_head_slot_classes(h)});
    *boxes = sg_reshape(g, sg_linear_layer_forward(g, &h->box, f), 3, (int64_t[]){N, h->slots, 4});
    return *boxes ? logits : NULL;
}

sg_tensor *sg_box_head_loss(sg_graph *g, const sg_box_head *h, sg_tensor *logits,
                            sg_tensor *boxes, const int32_t *labels, sg_tensor *target_boxes)
{
    if (!logits || !boxes) return NULL;
    int64_t rows = logits->shape[0] * h->slots;
    sg_tensor *flat = sg_reshape(g, logits, 2, (int64_t[]){rows, sg_box_head_slot_classes(h)});
    sg_tensor *ce = sg_cross_entropy(g, flat, labels, NULL);
    return sg_add(g, ce, sg_mse_loss(g, boxes, target_boxes, SG_REDUCE_MEAN));
}

static int by_position(const void *pa, const void *pb)
{
    const sg_box *a = pa, *b = pb;
    if (a->xmin != b->xmin) return a->xmin < b->xmin ? -1 : 1;
    return (a->ymin > b->ymin) - (a->ymin < b->ymin);
}

int sg_box_head_targets(const sg_box_head *h, const sg_box *boxes, int n_boxes, int width,
                        int height, int32_t *labels, float *target)
{
    sg_box sorted[64];
    int n = n_boxes < 64 ? n_boxes : 64;
    memcpy(sorted, boxes, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, by_position);
    for (int s = 0; s < h->slots; s++) {
        float *t = target + 4 * s;
        if (s < n) {
            labels[s] = sorted[s].label;
            t[0] = (sorted[s].xmin - 1) / (float)width;
            t[1] = sorted[s].xmax / (float)width;
            t[2] = (sorted[s].ymin - 1) / (float)height;
            t[3] = sorted[s].ymax / (float)height;
        } else {
            labels[s] = h->classes;            /* "no defect" */
            t[0] = t[1] = t[2] = t[3] = 0.0f;
        }
    }
    return n_boxes > h->slots ? n_boxes - h->slots : 0;
}

int sg_box_head_detections(const sg_box_head *h, int image, const float *logits,
                           const float *boxes, sg_det_box *out)
{
    int K = sg_box_head_slot_classes(h), n = 0;
    for (int s = 0; s < h->slots; s++) {
        const float *z = logits + (int64_t)s * K;
        int best = 0;
        for (int k = 1; k < K; k++) best = z[k] > z[best] ? k : best;
        if (best >= h->classes) continue;      /* the padding class */
        double sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - z[best]);
        const float *b = boxes + 4 * s;
        out[n++] = (sg_det_box){.image = image, .label = best, .score = (float)(1.0 / sum),
                                .xmin = fminf(b[0], b[1]), .xmax = fmaxf(b[0], b[1]),
                                .ymin = fminf(b[2], b[3]), .ymax = fmaxf(b[2], b[3])};
    }
    return n;
}

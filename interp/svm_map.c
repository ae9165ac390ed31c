/* interp/svm_map.c - SVM-weight heatmaps (see svm_map.h). */
#include "interp/svm_map.h"

#include <stdlib.h>
#include <string.h>

#include "layers/upsample.h"

sg_err sg_svm_weight_map(sg_graph *g, sg_model *m, const sg_svm *svm, const float *image, int channels, int size,
                         int class_k, float *map, float *contributions, int *h_out, int *w_out)
{
    if (class_k < 0 || class_k >= svm->classes)
        return sg_error_set(SG_ERR_INVALID, "svm map: class %d is not one of the SVM's 0..%d", class_k,
                            svm->classes - 1);
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_graph_reset(g);
    int64_t shape[4] = {1, channels, size, size};
    sg_tensor *x = sg_graph_view(g, (float *)image, 4, shape);
    sg_tensor *f = x ? m->features(g, m, x) : NULL;
    sg_err err = SG_OK;
    if (!f) {
        err = sg_graph_error(g);
    } else if (f->ndim != 4 || f->shape[1] != svm->dim) {
        err = sg_error_set(SG_ERR_SHAPE, "svm map: the backbone gives %lld features per position, the SVM was "
                           "trained on %lld", (long long)f->shape[1], (long long)svm->dim);
    }
    if (err == SG_OK) {
        const int64_t D = svm->dim, h = f->shape[2], w = f->shape[3], hw = h * w;
        /* Two classes: one weight vector, class 1 = +w, class 0 = -w. */
        const double *wk = svm->w + (svm->problems == 1 ? 0 : (int64_t)class_k * D);
        const double sign = svm->problems == 1 && class_k == 0 ? -1.0 : 1.0;
        int64_t cshape[4] = {1, 1, h, w};
        sg_tensor *c = sg_graph_tensor(g, 4, cshape);
        if (!c) {
            err = sg_graph_error(g);
        } else {
            double peak = 0.0;
            for (int64_t p = 0; p < hw; p++) {
                double s = 0.0;
                for (int64_t d = 0; d < D; d++) s += wk[d] * (double)f->data[d * hw + p];
                s *= sign / (double)hw;
                if (contributions) contributions[p] = (float)s;
                c->data[p] = (float)(s > 0.0 ? s : 0.0);
                if (s > peak) peak = s;
            }
            for (int64_t p = 0; p < hw; p++) c->data[p] = peak > 0.0 ? (float)(c->data[p] / peak) : 0.0f;
            if (h_out) *h_out = (int)h;
            if (w_out) *w_out = (int)w;
            sg_tensor *up = sg_upsample_bilinear2d(g, c, size, size, false);
            if (!up) err = sg_graph_error(g);
            else
                for (int64_t i = 0; i < (int64_t)size * size; i++)
                    map[i] = up->data[i] < 0.0f ? 0.0f : (up->data[i] > 1.0f ? 1.0f : up->data[i]);
        }
    }
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    return err;
}

/* interp/attention.c - attention rollout and sequence-pool maps (see attention.h). */
#include "interp/attention.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sg_attention_rollout(const float *A, int L, int T, double *R)
{
    size_t TT = (size_t)T * T;
    double *B = malloc(TT * sizeof *B), *next = malloc(TT * sizeof *next);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) R[(size_t)i * T + j] = i == j;
    if (!B || !next) {
        free(B);
        free(next);
        return;
    }
    for (int l = 0; l < L; l++) {
        const float *a = A + (size_t)l * TT;
        for (int i = 0; i < T; i++) {
            double row = 0.0;
            for (int j = 0; j < T; j++) {
                double v = 0.5 * a[(size_t)i * T + j] + (i == j ? 0.5 : 0.0);
                B[(size_t)i * T + j] = v;
                row += v;
            }
            for (int j = 0; j < T; j++) B[(size_t)i * T + j] /= row;
        }
        /* next = B R, summed over k in increasing order */
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                double s = 0.0;
                for (int k = 0; k < T; k++) s += B[(size_t)i * T + k] * R[(size_t)k * T + j];
                next[(size_t)i * T + j] = s;
            }
        memcpy(R, next, TT * sizeof *R);
    }
    free(B);
    free(next);
}

sg_err sg_attention_map(sg_graph *g, sg_model *m, const float *x, int C, int H, int W,
                        sg_attn_method method, int target, float *map, sg_cam_result *res)
{
    const int K = m->opts.classes, L = m->attention_layers, P = m->attention_prefix;
    const int grid = m->attention_grid, n = grid * grid, T = P + n;
    if (L <= 0)
        return sg_error_set(SG_ERR_INVALID, "%s: attention maps need a transformer (cct*, vit_*)",
                            m->def->name);
    if (method == SG_ATTN_POOL && P != 0)
        return sg_error_set(SG_ERR_INVALID, "%s: no sequence pooling (CCT only); use the rollout",
                            m->def->name);
    if (target >= K)
        return sg_error_set(SG_ERR_INVALID, "%s: class %d, expected 0..%d", m->def->name, target,
                            K - 1);
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_tensor **att = calloc((size_t)L, sizeof *att), *pool = NULL;
    float *A = NULL, *cam = malloc((size_t)n * sizeof *cam);
    double *R = NULL;
    sg_err err = SG_OK;
    if (!att || !cam) {
        err = sg_error_set(SG_ERR_NOMEM, "attention: out of memory");
        goto done;
    }
    m->attention = att;
    m->pool_weights = P == 0 ? &pool : NULL;
    sg_tensor *in = sg_graph_tensor_from(g, 4, (int64_t[]){1, C, H, W}, x);
    sg_tensor *logits = in ? sg_model_forward(g, m, in) : NULL;
    m->attention = NULL;
    m->pool_weights = NULL;
    if (!logits) {
        err = sg_graph_error(g);
        goto done;
    }
    const float *w = NULL;
    if (P == 0) {
        if (!pool) {
            err = sg_error_set(SG_ERR_INVALID, "%s: the forward gave no sequence-pool weights "
                               "(built with a head?)", m->def->name);
            goto done;
        }
        w = pool->data;
    }
    if (method == SG_ATTN_POOL) {
        memcpy(cam, w, (size_t)n * sizeof *cam);
    } else {
        A = malloc((size_t)L * T * T * sizeof *A);
        R = malloc((size_t)T * T * sizeof *R);
        if (!A || !R) {
            err = sg_error_set(SG_ERR_NOMEM, "attention: out of memory");
            goto done;
        }
        for (int l = 0; l < L; l++) {
            if (!att[l] || att[l]->numel != (int64_t)T * T) {
                err = sg_error_set(SG_ERR_SHAPE, "%s: block %d gave no [1, %d, %d] attention",
                                   m->def->name, l, T, T);
                goto done;
            }
            memcpy(A + (size_t)l * T * T, att[l]->data, (size_t)T * T * sizeof *A);
        }
        sg_attention_rollout(A, L, T, R);
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            if (P) s = R[P + j];                              /* row 0, the class token */
            else
                for (int i = 0; i < T; i++) s += (double)w[i] * R[(size_t)i * T + j];
            cam[j] = (float)s;
        }
    }
    /* Probabilities and the predicted class, as Grad-CAM reports them. */
    const float *z = logits->data;
    int pred = 0;
    for (int k = 1; k < K; k++) pred = z[k] > z[pred] ? k : pred;
    if (target < 0) target = pred;
    double zsum = 0.0;
    for (int k = 0; k < K; k++) zsum += exp((double)z[k] - z[pred]);
    float prob = (float)(exp((double)z[target] - z[pred]) / zsum);
    sg_cam_normalize(cam, n);
    sg_cam_resize_bilinear(cam, grid, grid, map, H, W);
    sg_cam_normalize(map, (int64_t)H * W);
    if (res) {
        int64_t peak = 0;
        for (int64_t i = 1; i < (int64_t)H * W; i++) peak = map[i] > map[peak] ? i : peak;
        *res = (sg_cam_result){.target = target, .predicted = pred, .probability = prob,
                               .peak_x = (int)(peak % W), .peak_y = (int)(peak / W),
                               .layer_h = grid, .layer_w = grid};
    }
done:
    free(att);
    free(A);
    free(R);
    free(cam);
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    return err;
}

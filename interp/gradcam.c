/* interp/gradcam.c - Grad-CAM and Grad-CAM++ (see gradcam.h). */
#include "interp/gradcam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const METHOD_NAMES[] = {"gradcam", "gradcam++"};

int sg_cam_method_from_name(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (name && strcmp(name, METHOD_NAMES[i]) == 0) return i;
    return -1;
}

const char *sg_cam_method_name(sg_cam_method method)
{
    return method == SG_CAM_GRADCAM_PP ? METHOD_NAMES[1] : METHOD_NAMES[0];
}

void sg_cam_normalize(float *v, int64_t n)
{
    if (n <= 0) return;
    float lo = v[0];
    for (int64_t i = 1; i < n; i++) lo = v[i] < lo ? v[i] : lo;
    float hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        v[i] -= lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    float d = 1e-7f + hi;
    for (int64_t i = 0; i < n; i++) v[i] /= d;
}

/* One axis of cv2's INTER_LINEAR: source index and weight of destination d. */
static void linear_coord(int d, int s, int dn, int *i0, float *f)
{
    double scale = (double)s / dn;
    float fx = (float)((d + 0.5) * scale - 0.5);
    int sx = (int)floorf(fx);
    fx -= (float)sx;
    if (sx < 0) fx = 0.0f, sx = 0;
    if (sx >= s - 1) fx = 0.0f, sx = s - 1;
    *i0 = sx;
    *f = fx;
}

void sg_cam_resize_bilinear(const float *src, int sh, int sw, float *dst, int dh, int dw)
{
    for (int y = 0; y < dh; y++) {
        int y0;
        float fy;
        linear_coord(y, sh, dh, &y0, &fy);
        int y1 = y0 + 1 < sh ? y0 + 1 : y0;
        for (int x = 0; x < dw; x++) {
            int x0;
            float fx;
            linear_coord(x, sw, dw, &x0, &fx);
            int x1 = x0 + 1 < sw ? x0 + 1 : x0;
            float top = src[y0 * sw + x0] * (1 - fx) + src[y0 * sw + x1] * fx;
            float bottom = src[y1 * sw + x0] * (1 - fx) + src[y1 * sw + x1] * fx;
            dst[y * dw + x] = top * (1 - fy) + bottom * fy;
        }
    }
}

/* The channel weights w[K] from activations A and gradients G [K, n]. */
static void cam_weights(sg_cam_method method, const float *A, const float *G, int64_t K,
                        int64_t n, double *w)
{
    for (int64_t k = 0; k < K; k++) {
        const float *a = A + k * n, *gr = G + k * n;
        double s = 0.0;
        if (method == SG_CAM_GRADCAM) {
            for (int64_t i = 0; i < n; i++) s += gr[i];
            w[k] = s / (double)n;
            continue;
        }
        double sum_a = 0.0;
        for (int64_t i = 0; i < n; i++) sum_a += a[i];
        for (int64_t i = 0; i < n; i++) {
            double g1 = gr[i], g2 = g1 * g1, g3 = g2 * g1;
            if (g1 <= 0.0) continue;          /* relu(G) = 0, or a = 0 where G = 0 */
            s += g1 * (g2 / (2.0 * g2 + sum_a * g3 + 1e-6));
        }
        w[k] = s;
    }
}

/* Let only the tapped layer and what follows it record: parameters stop
 * requiring grad for the call and get their flag back after. */
static void params_require_grad(sg_params *ps, bool on)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        p->t.requires_grad = on && !p->frozen && !p->buffer;
    }
}

/* "a,b,c" -> up to SG_CAM_MAX_LAYERS names in buf; false if empty parts or too many. */
static bool split_layers(const char *layer, char buf[][SG_CAM_LAYER_NAME], int *n)
{
    *n = 0;
    for (const char *p = layer;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0 || len >= SG_CAM_LAYER_NAME || *n == SG_CAM_MAX_LAYERS) return false;
        memcpy(buf[*n], p, len);
        buf[(*n)++][len] = '\0';
        if (!end) return true;
        p = end + 1;
    }
}

/* One layer's cam [h * w] = relu(sum_k w_k A_k), from A and its gradient. */
static void layer_cam(sg_cam_method method, const sg_tensor *A, double *w, float *cam)
{
    int64_t Kc = A->shape[1], n = A->shape[2] * A->shape[3];
    if (!A->grad) {
        /* the logit does not depend on the layer: every gradient is 0 */
        memset(cam, 0, (size_t)n * sizeof *cam);
        return;
    }
    cam_weights(method, A->data, A->grad, Kc, n, w);
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t k = 0; k < Kc; k++) s += w[k] * A->data[k * n + i];
        cam[i] = s > 0.0 ? (float)s : 0.0f;
    }
}

sg_err sg_gradcam(sg_graph *g, sg_model *m, const float *x, int C, int H, int W,
                  sg_cam_method method, int target, const char *layer, float *map,
                  sg_cam_result *res)
{
    if (!layer || !*layer) layer = m->def->default_layer;
    if (!layer) return sg_error_set(SG_ERR_INVALID, "%s: no default layer: name one", m->def->name);
    char names[SG_CAM_MAX_LAYERS][SG_CAM_LAYER_NAME];
    int L;
    if (!split_layers(layer, names, &L))
        return sg_error_set(SG_ERR_INVALID, "%s: layers '%s': expected 1 to %d names separated by "
                            "commas", m->def->name, layer, SG_CAM_MAX_LAYERS);
    const int K = m->opts.classes;
    if (target >= K)
        return sg_error_set(SG_ERR_INVALID, "%s: class %d, expected 0..%d", m->def->name, target,
                            K - 1);
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_reset(g);
    sg_graph_clear_taps(g);
    sg_graph_set_grad_enabled(g, true);
    sg_graph_set_training(g, false);
    params_require_grad(m->params, false);
    sg_tensor *A[SG_CAM_MAX_LAYERS] = {NULL};
    sg_err err = SG_OK;
    for (int l = 0; l < L && err == SG_OK; l++) err = sg_graph_set_tap(g, names[l], &A[l], true);
    int64_t shape[4] = {1, C, H, W};
    sg_tensor *in = err == SG_OK ? sg_graph_tensor_from(g, 4, shape, x) : NULL;
    sg_tensor *logits = in ? sg_model_forward(g, m, in) : NULL;
    float *seed = NULL, *cam = NULL, *up = NULL;
    double *w = NULL, *sum = NULL;
    if (err != SG_OK) goto done;
    if (!logits) {
        err = sg_graph_error(g);
        goto done;
    }
    int64_t most_channels = 0, most_cells = 0;
    for (int l = 0; l < L; l++) {
        if (!A[l]) {
            sg_graph_reset(g);
            sg_graph_clear_taps(g);
            err = sg_model_check_layer(m, g, names[l]);
            if (err == SG_OK) err = sg_error_set(SG_ERR_INVALID, "%s: layer '%s' was not reached",
                                                 m->def->name, names[l]);
            goto done;
        }
        if (A[l]->ndim != 4 || A[l]->shape[0] != 1) {
            char s[64];
            err = sg_error_set(SG_ERR_SHAPE, "%s: layer '%s' is %s, expected a feature map [1, K, h, w]",
                               m->def->name, names[l], sg_shape_str(A[l], s, sizeof s));
            goto done;
        }
        if (A[l]->shape[1] > most_channels) most_channels = A[l]->shape[1];
        if (A[l]->shape[2] * A[l]->shape[3] > most_cells) most_cells = A[l]->shape[2] * A[l]->shape[3];
    }
    /* Softmax probabilities and the predicted class. */
    const float *z = logits->data;
    int pred = 0;
    for (int k = 1; k < K; k++) pred = z[k] > z[pred] ? k : pred;
    if (target < 0) target = pred;
    double zsum = 0.0;
    for (int k = 0; k < K; k++) zsum += exp((double)z[k] - z[pred]);
    float prob = (float)(exp((double)z[target] - z[pred]) / zsum);
    /* d logit[target]: a one-hot seed. */
    const int64_t HW = (int64_t)H * W;
    seed = calloc((size_t)K, sizeof *seed);
    w = malloc((size_t)most_channels * sizeof *w);
    cam = malloc((size_t)most_cells * sizeof *cam);
    up = L > 1 ? malloc((size_t)HW * sizeof *up) : NULL;
    sum = L > 1 ? calloc((size_t)HW, sizeof *sum) : NULL;
    if (!seed || !w || !cam || (L > 1 && (!up || !sum))) {
        err = sg_error_set(SG_ERR_NOMEM, "gradcam: out of memory");
        goto done;
    }
    seed[target] = 1.0f;
    if ((err = sg_graph_backward_from(g, logits, seed)) != SG_OK) goto done;
    /* pytorch-grad-cam with several target layers: each layer's cam scaled
     * (normalised, resized to the input), the mean over the layers
     * (aggregate_multi_layers; the scaled cams are >= 0 already), scaled
     * again. One layer: norm(resize(norm(cam))). */
    for (int l = 0; l < L; l++) {
        int h = (int)A[l]->shape[2], wd = (int)A[l]->shape[3];
        layer_cam(method, A[l], w, cam);
        sg_cam_normalize(cam, (int64_t)h * wd);
        sg_cam_resize_bilinear(cam, h, wd, L > 1 ? up : map, H, W);
        for (int64_t i = 0; L > 1 && i < HW; i++) sum[i] += up[i];
    }
    for (int64_t i = 0; L > 1 && i < HW; i++) map[i] = (float)(sum[i] / L);
    sg_cam_normalize(map, HW);
    if (res) {
        int64_t peak = 0;
        for (int64_t i = 1; i < HW; i++) peak = map[i] > map[peak] ? i : peak;
        *res = (sg_cam_result){.target = target, .predicted = pred, .probability = prob,
                               .peak_x = (int)(peak % W), .peak_y = (int)(peak / W),
                               .layer_h = (int)A[0]->shape[2], .layer_w = (int)A[0]->shape[3]};
    }
done:
    free(seed);
    free(w);
    free(cam);
    free(up);
    free(sum);
    sg_graph_reset(g);
    sg_graph_clear_taps(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    params_require_grad(m->params, true);
    return err;
}

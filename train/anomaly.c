/* train/anomaly.c - autoencoder training and inference (see anomaly.h). */
#include "train/anomaly.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/image.h"
#include "data/transform.h"
#include "layers/elementwise.h"
#include "layers/loss.h"
#include "layers/pool.h"
#include "layers/reduce.h"
#include "optim/optim.h"

int64_t sg_cae_latent_dim(const sg_cae *m)
{
    return m->kind == SG_CAE003 ? 32LL * (m->size / 8) * (m->size / 8) : 256;
}

static sg_err load_one(const char *path, int size, bool clahe, float *out)
{
    sg_image img = {0}, gray = {0}, eq = {0};
    sg_err err = sg_image_read(path, NULL, &img);
    if (err == SG_OK) err = sg_image_to_gray(&img, &gray);
    sg_image *src = &gray;
    void *scratch = NULL, *rscratch = NULL;
    float *full = NULL;
    if (err == SG_OK && clahe) {
        /* Paper 003: CLAHE on 8 x 8 tiles; clip limit 2 (OpenCV's usual choice, not its default 40). */
        sg_clahe_opts co = sg_clahe_opts_default();
        co.clip_limit = 2.0;
        scratch = malloc(sg_clahe_scratch_bytes(gray.width, gray.height, 1, gray.depth, &co));
        eq = gray;
        eq.pixels = malloc((size_t)gray.width * gray.height * (gray.depth == 16 ? 2 : 1));
        if (!scratch || !eq.pixels) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        else err = sg_clahe_apply(&gray, &co, &eq, scratch);
        src = &eq;
    }
    if (err == SG_OK) {
        full = malloc((size_t)src->width * src->height * sizeof *full);
        sg_fimage in = sg_fimage_view(1, src->height, src->width, full);
        sg_fimage o = sg_fimage_view(1, size, size, out);
        rscratch = malloc(sg_resize_scratch_bytes(1, src->height, src->width, size, size, SG_RESIZE_BILINEAR_AA) + 1);
        if (!full || !rscratch) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        if (err == SG_OK) err = sg_fimage_from_image(src, &in);
        if (err == SG_OK) err = sg_fimage_resize(&in, &o, SG_RESIZE_BILINEAR_AA, rscratch);
    }
    free(full);
    free(rscratch);
    free(scratch);
    if (clahe) free(eq.pixels);
    sg_image_free(&gray);
    sg_image_free(&img);
    return err;
}

typedef struct load_ctx {
    const char *const *paths;
    int size;
    bool clahe;
    float *out;
    sg_err *errs;
    char (*messages)[384];
} load_ctx;

static void load_range(void *arg, int64_t i0, int64_t i1)
{
    load_ctx *c = arg;
    for (int64_t i = i0; i < i1; i++) {
        c->errs[i] = load_one(c->paths[i], c->size, c->clahe, c->out + i * c->size * c->size);
        if (c->errs[i] != SG_OK) snprintf(c->messages[i], sizeof c->messages[i], "%s", sg_error_message());
    }
}

sg_err sg_anomaly_load_images(const char *const *paths, int64_t n, int size, bool clahe, float *out)
{
    sg_err *errs = calloc((size_t)n + 1, sizeof *errs);
    char (*messages)[384] = calloc((size_t)n + 1, sizeof *messages);
    if (!errs || !messages) {
        free(errs);
        free(messages);
        return sg_error_set(SG_ERR_NOMEM, "out of memory for %lld images", (long long)n);
    }
    load_ctx c = {paths, size, clahe, out, errs, messages};
    sg_parallel_for(n, 4, load_range, &c);
    sg_err err = SG_OK;
    for (int64_t i = 0; i < n && err == SG_OK; i++)
        if (errs[i] != SG_OK) err = sg_error_set(errs[i], "%s", messages[i]);
    free(errs);
    free(messages);
    return err;
}

sg_tensor *sg_anomaly_ssim_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target)
{
    const float C1 = 0.01f * 0.01f, C2 = 0.03f * 0.03f, cov_norm = 49.0f / 48.0f, alpha = 0.84f;
    sg_pool2d_opts win = sg_pool2d_opts_make(7, 1, 0);
    sg_tensor *mx = sg_avg_pool2d(g, pred, &win), *my = sg_avg_pool2d(g, target, &win);
    sg_tensor *mxx = sg_square(g, mx), *myy = sg_square(g, my), *mxy = sg_mul(g, mx, my);
    /* sample (co)variances over each window: (E[ab] - E[a]E[b]) * 49/48 */
    sg_tensor *vx = sg_mul_scalar(g, sg_sub(g, sg_avg_pool2d(g, sg_square(g, pred), &win), mxx), cov_norm);
    sg_tensor *vy = sg_mul_scalar(g, sg_sub(g, sg_avg_pool2d(g, sg_square(g, target), &win), myy), cov_norm);
    sg_tensor *cxy = sg_mul_scalar(g, sg_sub(g, sg_avg_pool2d(g, sg_mul(g, pred, target), &win), mxy), cov_norm);
    sg_tensor *num = sg_mul(g, sg_add_scalar(g, sg_mul_scalar(g, mxy, 2.0f), C1),
                            sg_add_scalar(g, sg_mul_scalar(g, cxy, 2.0f), C2));
    sg_tensor *den = sg_mul(g, sg_add_scalar(g, sg_add(g, mxx, myy), C1), sg_add_scalar(g, sg_add(g, vx, vy), C2));
    sg_tensor *ssim = sg_mean_all(g, sg_div(g, num, den));
    sg_tensor *l1 = sg_mean_all(g, sg_abs(g, sg_sub(g, pred, target)));
    /* alpha (1 - ssim) / 2 + (1 - alpha) l1 */
    return sg_add(g, sg_add_scalar(g, sg_mul_scalar(g, ssim, -alpha / 2.0f), alpha / 2.0f),
                  sg_mul_scalar(g, l1, 1.0f - alpha));
}

sg_err sg_anomaly_train(sg_cae *m, const float *images, int64_t n, const sg_anomaly_train_opts *o,
                        double *final_loss)
{
    if (n < 1 || o->epochs < 1 || o->batch < 1 || !(o->lr > 0))
        return sg_error_set(SG_ERR_INVALID, "anomaly train: need images, epochs >= 1, batch >= 1, lr > 0");
    const int64_t S = m->size, px = S * S;
    sg_adam_opts ao = {.lr = o->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    sg_optimizer *opt = sg_adam_new(&ao);
    sg_graph *g = sg_graph_new();
    int64_t *order = malloc((size_t)n * sizeof *order);
    float *batch = malloc((size_t)(o->batch * px) * sizeof *batch);
    sg_err err = SG_OK;
    if (!opt || !g || !order || !batch) err = sg_error_set(SG_ERR_NOMEM, "anomaly train: out of memory");
    int64_t step = 0;
    for (int e = 0; e < o->epochs && err == SG_OK; e++) {
        sg_rng_permutation((sg_rng_key){.seed = o->seed, .purpose = SG_RNG_SHUFFLE, .step = (uint64_t)e}, order, n);
        double sum = 0.0;
        for (int64_t b0 = 0; b0 < n && err == SG_OK; b0 += o->batch) {
            const int64_t bn = n - b0 < o->batch ? n - b0 : o->batch;
            for (int64_t i = 0; i < bn; i++) memcpy(batch + i * px, images + order[b0 + i] * px, (size_t)px * sizeof *batch);
            sg_graph_reset(g);
            sg_graph_set_seed(g, o->seed, (uint64_t)step);
            sg_params_zero_grad(&m->params);
            int64_t shape[4] = {bn, 1, S, S};
            sg_tensor *x = sg_graph_view(g, batch, 4, shape);
            sg_tensor *z = sg_cae_encode(g, m, x), *r = sg_cae_decode(g, m, z);
            sg_tensor *loss = o->loss == SG_ANOMALY_SSIM_L1 ? sg_anomaly_ssim_l1_loss(g, r, x)
                                                            : sg_mse_loss(g, r, x, SG_REDUCE_MEAN);
            if (o->latent_l2 > 0)   /* + lambda mean(z^2): paper 000's regulariser on the features */
                loss = sg_add(g, loss, sg_mul_scalar(g, sg_mean_all(g, sg_mul(g, z, z)), (float)o->latent_l2));
            if (!loss) {
                err = sg_graph_error(g);
                break;
            }
            if (!isfinite(loss->data[0])) {
                err = sg_error_set(SG_ERR_INVALID, "anomaly train: loss became NaN at epoch %d; try a lower --lr", e + 1);
                break;
            }
            if ((err = sg_graph_backward(g, loss)) != SG_OK) break;
            if ((err = sg_optimizer_step(opt, &m->params)) != SG_OK) break;
            sum += (double)loss->data[0] * (double)bn;
            step++;
        }
        if (err == SG_OK) {
            *final_loss = sum / (double)n;
            if (o->on_epoch) o->on_epoch(e + 1, *final_loss, o->ctx);
        }
    }
    free(order);
    free(batch);
    if (g) sg_graph_free(g);
    if (opt) sg_optimizer_free(opt);
    return err;
}

sg_err sg_anomaly_reconstruct(sg_cae *m, const float *images, int64_t n, float *recon, float *latent)
{
    const int64_t S = m->size, px = S * S, L = sg_cae_latent_dim(m);
    enum { BATCH = 16 };
    sg_graph *g = sg_graph_new();
    if (!g) return sg_error_set(SG_ERR_NOMEM, "out of memory");
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_err err = SG_OK;
    for (int64_t b0 = 0; b0 < n && err == SG_OK; b0 += BATCH) {
        const int64_t bn = n - b0 < BATCH ? n - b0 : BATCH;
        sg_graph_reset(g);
        int64_t shape[4] = {bn, 1, S, S};
        sg_tensor *x = sg_graph_view(g, (float *)images + b0 * px, 4, shape);
        sg_tensor *z = sg_cae_encode(g, m, x);
        sg_tensor *r = sg_cae_decode(g, m, z);
        if (!r) {
            err = sg_graph_error(g);
            break;
        }
        memcpy(recon + b0 * px, r->data, (size_t)(bn * px) * sizeof *recon);
        if (latent) memcpy(latent + b0 * L, z->data, (size_t)(bn * L) * sizeof *latent);
    }
    sg_graph_free(g);
    return err;
}

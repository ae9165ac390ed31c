/* train/eval.c - evaluation and prediction with a trained checkpoint (see eval.h). */
#include "train/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/pool.h"
#include "data/csv.h"
#include "data/hash.h"
#include "data/image.h"
#include "data/split.h"
#include "data/transform.h"
#include "layers/activation.h"
#include "layers/loss.h"

typedef struct check_ctx {
    const char *const *paths;
    bool *bad;
    sg_image_message *messages;
    uint8_t *digests;
} check_ctx;

static void check_range(void *arg, int64_t i0, int64_t i1)
{
    check_ctx *c = arg;
    for (int64_t i = i0; i < i1; i++) {
        sg_image img;
        c->bad[i] = sg_image_read(c->paths[i], NULL, &img) != SG_OK;
        if (c->bad[i]) snprintf(c->messages[i], sizeof c->messages[i], "%s", sg_error_message());
        else sg_image_free(&img);
        uint8_t *d = c->digests ? c->digests + i * SG_SHA256_BYTES : NULL;
        if (d && sg_hash_file(c->paths[i], d) != SG_OK)
            sg_sha256_bytes(c->paths[i], strlen(c->paths[i]), d);
    }
}

void sg_images_check(const char *const *paths, int64_t n, bool *bad, sg_image_message *messages,
                     uint8_t *digests)
{
    check_ctx c = {paths, bad, messages, digests};
    sg_parallel_for(n, 8, check_range, &c);
}

int sg_tta_views(const char *tta) { return tta && strcmp(tta, "flips") == 0 ? 4 : 1; }

/* View `view` of the images x [planes, H, W] into y: 0 = as they are,
 * 1 = mirrored left-right, 2 = top-bottom, 3 = both. */
static void flip_view(const float *x, float *y, int64_t planes, int64_t H, int64_t W, int view)
{
    for (int64_t p = 0; p < planes; p++)
        for (int64_t i = 0; i < H; i++) {
            const float *src = x + (p * H + (view & 2 ? H - 1 - i : i)) * W;
            float *dst = y + (p * H + i) * W;
            if (view & 1)
                for (int64_t j = 0; j < W; j++) dst[j] = src[W - 1 - j];
            else
                memcpy(dst, src, (size_t)W * sizeof *dst);
        }
}

sg_err sg_forward_probs(sg_graph *g, sg_model *m, float *x, int64_t n, int C, int S, int K, int views,
                        float *probs)
{
    const int64_t shape[4] = {n, C, S, S};
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_err err = SG_OK;
    for (int v = 0; v < views && err == SG_OK; v++) {
        sg_graph_reset(g);
        sg_tensor *in = v == 0 ? sg_graph_view(g, x, 4, shape) : sg_graph_tensor(g, 4, shape);
        if (v > 0 && in) flip_view(x, in->data, n * C, S, S, v);
        sg_tensor *logits = in ? sg_model_forward(g, m, in) : NULL;
        sg_tensor *prob = logits ? sg_softmax(g, logits, 1) : NULL;
        if (!prob) err = sg_graph_error(g);
        else if (v == 0) memcpy(probs, prob->data, (size_t)(n * K) * sizeof *probs);
        else
            for (int64_t i = 0; i < n * K; i++) probs[i] += prob->data[i];
    }
    if (err == SG_OK && views > 1)
        for (int64_t i = 0; i < n * K; i++) probs[i] *= 1.0f / (float)views;
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    return err;
}

sg_err sg_evaluate_loader(sg_graph *g, sg_model *m, sg_loader *l, int K, int channels, int size,
                          float *probs, int32_t *truth, int32_t *pred, double *loss, int64_t *n)
{
    return sg_evaluate_loader_tta(g, m, l, K, channels, size, 1, probs, truth, pred, loss, n);
}

sg_err sg_evaluate_loader_tta(sg_graph *g, sg_model *m, sg_loader *l, int K, int channels, int size,
                              int views, float *probs, int32_t *truth, int32_t *pred, double *loss,
                              int64_t *n)
{
    *n = 0;
    *loss = 0;
    sg_err err = sg_loader_start_epoch(l, 0);
    if (err != SG_OK) return err;
    bool grad = sg_graph_grad_enabled(g), training = sg_graph_training(g);
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    double loss_sum = 0;
    int64_t seen = 0;
    for (;;) {
        sg_batch b;
        bool has;
        if ((err = sg_loader_next(l, &b, &has)) != SG_OK || !has) break;
        float *p = probs + seen * K;
        if (views > 1) {
            /* The loss of the averaged probabilities: -log p(true class). */
            if ((err = sg_forward_probs(g, m, b.images, b.n, channels, size, K, views, p)) != SG_OK) break;
            for (int i = 0; i < b.n; i++) {
                double pt = p[(int64_t)i * K + b.labels[i]];
                loss_sum -= log(pt > 1e-30 ? pt : 1e-30);
            }
        } else {
            sg_graph_reset(g);
            int64_t shape[4] = {b.n, channels, size, size};
            sg_tensor *x = sg_graph_view(g, b.images, 4, shape);
            sg_tensor *logits = sg_model_forward(g, m, x);
            sg_tensor *ce = sg_cross_entropy(g, logits, b.labels, NULL);
            sg_tensor *prob = sg_softmax(g, logits, 1);
            if (!ce || !prob) {
                err = sg_graph_error(g);
                break;
            }
            loss_sum += (double)ce->data[0] * b.n;
            memcpy(p, prob->data, (size_t)(b.n * K) * sizeof(float));
        }
        for (int i = 0; i < b.n; i++) {
            truth[seen + i] = b.labels[i];
            pred[seen + i] = sg_argmax(p + (int64_t)i * K, K);
        }
        seen += b.n;
    }
    sg_graph_reset(g);
    sg_graph_set_grad_enabled(g, grad);
    sg_graph_set_training(g, training);
    *n = seen;
    *loss = seen ? loss_sum / (double)seen : 0;
    return err;
}

sg_loader_opts sg_run_model_loader_opts(const sg_run_model *rm, int batch)
{
    sg_loader_opts lo = {.batch_size = batch, .channels = rm->model.opts.in_channels,
                         .height = rm->model.opts.image_size, .width = rm->model.opts.image_size,
                         .resize = SG_RESIZE_BILINEAR_AA, .seed = (uint64_t)rm->cfg.seed, .workers = -1,
                         .keep_depth = rm->cfg.keep_depth};
    sg_norm_values(rm->cfg.norm, lo.channels, &lo.mean, &lo.std);
    return lo;
}

sg_err sg_eval_run(sg_run_model *rm, const char *data_dir, const char *manifest, const char *split,
                   bool strict, sg_eval_result *out)
{
    return sg_eval_run_predictions(rm, data_dir, manifest, split, strict, NULL, out);
}

sg_err sg_eval_run_predictions(sg_run_model *rm, const char *data_dir, const char *manifest, const char *split,
                               bool strict, const char *predictions, sg_eval_result *out)
{
    memset(out, 0, sizeof *out);
    const int K = rm->classes;
    sg_dataset ds;
    const char *source = data_dir ? data_dir : manifest;
    sg_err err = data_dir ? sg_dataset_from_folders(data_dir, NULL, &ds) : sg_manifest_read(manifest, NULL, 0, &ds);
    if (err != SG_OK) return err;
    int want_split = SG_SPLIT_NONE;
    if (split && *split && (want_split = sg_split_from_name(split)) <= 0) {
        sg_dataset_free(&ds);
        return sg_error_set(SG_ERR_INVALID, "--split: expected train, val or test, got '%s'", split);
    }
    /* The data set's labels in the checkpoint's numbering. */
    int *map = calloc((size_t)ds.n_classes + 1, sizeof *map);
    const char **paths = calloc((size_t)ds.n_samples + 1, sizeof *paths);
    int32_t *labels = calloc((size_t)ds.n_samples + 1, sizeof *labels);
    bool *bad = calloc((size_t)ds.n_samples + 1, sizeof *bad);
    sg_image_message *messages = calloc((size_t)ds.n_samples + 1, sizeof *messages);
    sg_loader *l = NULL;
    sg_graph *g = NULL;
    float *probs = NULL;
    int32_t *truth = NULL, *pred = NULL;
    void *scratch = NULL;
    if (!map || !paths || !labels || !bad || !messages) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", source);
        goto done;
    }
    for (int c = 0; c < ds.n_classes; c++) {
        map[c] = -1;
        for (int k = 0; k < K; k++)
            if (strcmp(ds.class_names[c], rm->class_names[k]) == 0) map[c] = k;
        if (map[c] < 0) {
            char list[1024] = "";
            for (int k = 0; k < K; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", rm->class_names[k]);
            err = sg_error_set(SG_ERR_INVALID, "%s: class '%s' is not one the checkpoint knows (%s)", source,
                               ds.class_names[c], list);
            goto done;
        }
    }
    int64_t n = 0;
    for (int i = 0; i < ds.n_samples; i++) {
        const sg_sample *s = &ds.samples[i];
        if (s->label < 0 || (want_split != SG_SPLIT_NONE && s->split != want_split)) continue;
        paths[n] = s->path;
        labels[n++] = map[s->label];
    }
    for (int i = 0; i < ds.skipped.count; i++)
        if ((err = sg_notes_add(&out->skipped, "%s", ds.skipped.items[i])) != SG_OK) goto done;
    sg_images_check(paths, n, bad, messages, NULL);
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        if (bad[i]) {
            if (strict) {
                err = sg_error_set(SG_ERR_FORMAT, "%s (--strict: stopping at a corrupt image)", messages[i]);
                goto done;
            }
            if ((err = sg_notes_add(&out->skipped, "%s", messages[i])) != SG_OK) goto done;
            continue;
        }
        paths[kept] = paths[i];
        labels[kept++] = labels[i];
    }
    if (kept == 0) {
        err = sg_error_set(SG_ERR_INVALID, "%s: no images to evaluate%s%s", source,
                           want_split ? " in split " : "", want_split ? split : "");
        goto done;
    }
    sg_loader_opts lo = sg_run_model_loader_opts(rm, 32);
    out->confusion = calloc((size_t)K * (size_t)K, sizeof *out->confusion);
    out->per_class = calloc((size_t)K, sizeof *out->per_class);
    probs = malloc((size_t)(kept * K) * sizeof *probs);
    truth = malloc((size_t)kept * sizeof *truth);
    pred = malloc((size_t)kept * sizeof *pred);
    scratch = malloc(sg_roc_auc_scratch_bytes(kept));
    g = sg_graph_new();
    if (!out->confusion || !out->per_class || !probs || !truth || !pred || !scratch || !g) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", source);
        goto done;
    }
    if ((err = sg_loader_new(paths, labels, kept, &lo, &l)) != SG_OK) goto done;
    double loss;
    int64_t seen;
    if ((err = sg_evaluate_loader_tta(g, &rm->model, l, K, lo.channels, lo.height, sg_tta_views(rm->cfg.tta),
                                      probs, truth, pred, &loss, &seen)) != SG_OK ||
        (err = sg_confusion_add(out->confusion, K, truth, pred, seen)) != SG_OK)
        goto done;
    sg_metrics_from_confusion(out->confusion, K, out->per_class, &out->metrics);
    out->metrics.loss = loss;
    double *auc = malloc((size_t)K * sizeof *auc);
    if (!auc) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", source);
        goto done;
    }
    err = sg_roc_auc_ovr(probs, truth, seen, K, scratch, auc, &out->metrics.roc_auc);
    for (int k = 0; err == SG_OK && k < K; k++) out->per_class[k].roc_auc = auc[k];
    free(auc);
    if (err == SG_OK && predictions) {
        /* The inputs it must not overwrite: the images, the manifest, the weights. */
        paths[seen] = manifest;
        err = sg_predictions_write(predictions, paths, want_split ? split : "", truth, probs, seen, K,
                                   (const char *const *)rm->class_names, paths, (int)seen + 1);
    }
done:
    if (l) sg_loader_free(l);
    if (g) sg_graph_free(g);
    free(map);
    free(paths);
    free(labels);
    free(bad);
    free(messages);
    free(probs);
    free(truth);
    free(pred);
    free(scratch);
    sg_dataset_free(&ds);
    if (err != SG_OK) sg_eval_result_free(out);
    return err;
}

void sg_eval_result_free(sg_eval_result *r)
{
    free(r->confusion);
    free(r->per_class);
    sg_notes_free(&r->skipped);
    r->confusion = NULL;
    r->per_class = NULL;
}

sg_err sg_predict_file(sg_run_model *rm, sg_graph *g, const char *path, float *probs)
{
    sg_loader_opts lo = sg_run_model_loader_opts(rm, 1);
    int32_t label = 0;
    sg_loader *l;
    sg_err err = sg_loader_new(&path, &label, 1, &lo, &l);
    if (err != SG_OK) return err;
    int32_t truth, pred;
    double loss;
    int64_t n;
    err = sg_evaluate_loader_tta(g, &rm->model, l, rm->classes, lo.channels, lo.height,
                                 sg_tta_views(rm->cfg.tta), probs, &truth, &pred, &loss, &n);
    sg_loader_free(l);
    return err;
}

sg_err sg_run_model_input(const sg_run_model *rm, const sg_image *img, const char *name, float *x, float *raw)
{
    sg_loader_opts lo = sg_run_model_loader_opts(rm, 1);
    const int C = lo.channels, S = lo.height;
    sg_image a = *img, b = {0}, c = {0};
    sg_err err = SG_OK;
    if (a.depth == 16 && !lo.keep_depth) {
        if ((err = sg_image_to_8bit(&a, &b)) != SG_OK) goto done;
        a = b;
    }
    if (a.channels != C) {
        err = C == 1 ? sg_image_to_gray(&a, &c) : sg_image_to_rgb(&a, &c);
        if (err != SG_OK) goto done;
        a = c;
    }
    float *full = malloc(sg_fimage_numel(C, a.height, a.width) * sizeof *full);
    if (!full) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %d x %d image", name, a.width, a.height);
        goto done;
    }
    sg_fimage src = sg_fimage_view(C, a.height, a.width, full), dst = sg_fimage_view(C, S, S, x);
    err = sg_fimage_from_image(&a, &src);
    if (err == SG_OK && (a.height != S || a.width != S)) err = sg_fimage_resize(&src, &dst, lo.resize, NULL);
    else if (err == SG_OK) memcpy(x, full, sg_fimage_numel(C, S, S) * sizeof *x);
    free(full);
    if (err != SG_OK) {
        err = sg_error_set(err, "%s: %s", name, sg_error_message());
        goto done;
    }
    const int64_t HW = (int64_t)S * S;
    if (raw) memcpy(raw, x, (size_t)(C * HW) * sizeof *raw);
    if (lo.mean && lo.std)
        for (int ch = 0; ch < C; ch++) {
            /* The loader's arithmetic: (v - mean) * (1 / std). */
            float inv = 1.0f / lo.std[ch], *p = x + ch * HW;
            for (int64_t i = 0; i < HW; i++) p[i] = (p[i] - lo.mean[ch]) * inv;
        }
done:
    sg_image_free(&b);
    sg_image_free(&c);
    return err;
}

sg_err sg_predict_image(sg_run_model *rm, sg_graph *g, const sg_image *img, const char *name, float *x,
                        float *probs)
{
    sg_err err = sg_run_model_input(rm, img, name, x, NULL);
    if (err != SG_OK) return err;
    return sg_forward_probs(g, &rm->model, x, 1, rm->model.opts.in_channels, rm->model.opts.image_size,
                            rm->classes, sg_tta_views(rm->cfg.tta), probs);
}

/* ---- predictions.csv -------------------------------------------------------------- */

sg_err sg_predictions_write(const char *path, const char *const *files, const char *split,
                            const int32_t *truth, const float *probs, int64_t n, int K,
                            const char *const *class_names, const char *const *inputs, int n_inputs)
{
    sg_err err = sg_output_check(path, inputs, n_inputs);
    if (err != SG_OK) return err;
    sg_atomic_file af;
    if ((err = sg_atomic_open(&af, path)) != SG_OK) return err;
    static const char *const head[] = {"file", "split", "true", "predicted"};
    for (int c = 0; err == SG_OK && c < 4; c++) err = sg_csv_write_field(&af, head[c], false);
    for (int k = 0; err == SG_OK && k < K; k++) err = sg_csv_write_field(&af, class_names[k], k == K - 1);
    for (int64_t i = 0; err == SG_OK && i < n; i++) {
        const float *row = probs + i * K;
        if (truth[i] < 0 || truth[i] >= K) {
            err = sg_error_set(SG_ERR_INVALID, "%s: label %d of %s is outside 0..%d", path, truth[i], files[i], K - 1);
            break;
        }
        err = sg_csv_write_field(&af, files[i], false);
        if (err == SG_OK) err = sg_csv_write_field(&af, split ? split : "", false);
        if (err == SG_OK) err = sg_csv_write_field(&af, class_names[truth[i]], false);
        if (err == SG_OK) err = sg_csv_write_field(&af, class_names[sg_argmax(row, K)], false);
        for (int k = 0; err == SG_OK && k < K; k++) {
            char v[32];
            snprintf(v, sizeof v, "%.9g", (double)row[k]);
            err = sg_csv_write_field(&af, v, k == K - 1);
        }
    }
    if (err != SG_OK) {
        sg_atomic_abort(&af);
        return err;
    }
    return sg_atomic_commit(&af);
}

void sg_predictions_free(sg_predictions *p)
{
    for (int k = 0; p->class_names && k < p->K; k++) free(p->class_names[k]);
    for (int64_t i = 0; p->files && i < p->n; i++) free(p->files[i]);
    free(p->class_names);
    free(p->files);
    free(p->truth);
    free(p->pred);
    free(p->probs);
    free(p->split);
    memset(p, 0, sizeof *p);
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int class_index(const sg_predictions *p, const char *name)
{
    for (int k = 0; k < p->K; k++)
        if (strcmp(p->class_names[k], name) == 0) return k;
    return -1;
}

sg_err sg_predictions_read(const char *path, sg_predictions *out)
{
    memset(out, 0, sizeof *out);
    sg_csv csv;
    sg_err err = sg_csv_read(path, &csv);
    if (err != SG_OK) return err;
    int width = csv.n_rows ? sg_csv_row_length(&csv, 0) : 0;
    if (width < 5 || strcmp(sg_csv_field(&csv, 0, 0), "file") != 0 || strcmp(sg_csv_field(&csv, 0, 3), "predicted") != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: line 1: expected the header file,split,true,predicted,<classes...>", path);
        goto fail;
    }
    out->K = width - 4;
    out->n = csv.n_rows - 1;
    const int64_t n = out->n, K = out->K;
    out->class_names = calloc((size_t)K, sizeof *out->class_names);
    out->files = calloc((size_t)n + 1, sizeof *out->files);
    out->truth = malloc(((size_t)n + 1) * sizeof *out->truth);
    out->pred = malloc(((size_t)n + 1) * sizeof *out->pred);
    out->probs = malloc(((size_t)(n * K) + 1) * sizeof *out->probs);
    out->split = dup_string(n ? sg_csv_field(&csv, 1, 1) ? sg_csv_field(&csv, 1, 1) : "" : "");
    if (!out->class_names || !out->files || !out->truth || !out->pred || !out->probs || !out->split) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (int k = 0; k < K; k++)
        if (!(out->class_names[k] = dup_string(sg_csv_field(&csv, 0, 4 + k)))) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
    for (int64_t i = 0; i < n; i++) {
        int r = (int)i + 1, line = csv.row_line[r];
        if (sg_csv_row_length(&csv, r) != width) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: %d fields, expected %d as in the header", path, line,
                               sg_csv_row_length(&csv, r), width);
            goto fail;
        }
        out->truth[i] = class_index(out, sg_csv_field(&csv, r, 2));
        out->pred[i] = class_index(out, sg_csv_field(&csv, r, 3));
        if (out->truth[i] < 0 || out->pred[i] < 0) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: class '%s' is not one of the header's", path, line,
                               sg_csv_field(&csv, r, out->truth[i] < 0 ? 2 : 3));
            goto fail;
        }
        for (int k = 0; k < K; k++) {
            const char *f = sg_csv_field(&csv, r, 4 + k);
            char *end;
            float v = strtof(f, &end);
            if (end == f || *end) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: probability of '%s' is '%s', not a number", path, line,
                                   out->class_names[k], f);
                goto fail;
            }
            out->probs[i * K + k] = v;
        }
        if (!(out->files[i] = dup_string(sg_csv_field(&csv, r, 0)))) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
    }
    sg_csv_free(&csv);
    return SG_OK;
fail:
    sg_csv_free(&csv);
    sg_predictions_free(out);
    return err;
}

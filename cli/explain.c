/* cli/explain.c - `steelgrad explain`: heatmaps of what a classifier looked
 * at, drawn (overlay PNG + raw .npy + a JSON line per image) or judged
 * against boxes and masks (--evaluate).
 *
 * The methods are a table: a name and a function that maps one preprocessed
 * image to an H x W map in [0, 1]: Grad-CAM and Grad-CAM++ (interp/gradcam.h),
 * SVM-weight maps (interp/svm_map.h, with --svm) and the autoencoder's
 * reconstruction error (with --autoencoder). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "interp/attention.h"
#include "interp/gradcam.h"
#include "interp/heatmap_eval.h"
#include "interp/overlay.h"
#include "interp/svm_map.h"
#include "models/cae.h"
#include "optim/svm.h"
#include "train/anomaly.h"
#include "train/checkpoint.h"
#include "train/eval.h"

static const sg_cli_command explain_cmd = {
    "explain",
    "steelgrad explain --weights W [--model NAME --classes N] [--method M]\n"
    "                  (IMAGE... | --input x.npy) -o|--out DIR [--layer NAME] [--class K]\n"
    "                  [--svm SVM.safetensors] [--autoencoder RUN] [--grid FILE.png]\n"
    "                  [--colormap jet|viridis|inferno] [--alpha A]\n"
    "steelgrad explain --evaluate --weights W --data DIR [--method M] [--layer NAME]",
    "Heatmaps of the evidence for a class. For each image (preprocessed as in training: the\n"
    "checkpoint names its model, classes and normalisation) writes DIR/<image>.png (the map in\n"
    "colours over the image), DIR/<image>.npy (the raw map, H x W float32 in [0, 1], at the\n"
    "model's input size) and prints one JSON line: file, method, layer, class, probability,\n"
    "predicted class, and the map's peak {x, y} in the model's input pixels.\n"
    "--method: gradcam (default) or gradcam++ (pytorch-grad-cam's definitions); for the\n"
    "transformers (cct*, vit_*) also attention (attention rollout) and attention-pool (CCT's\n"
    "sequence-pool weights), which ignore --layer. --layer: a\n"
    "module path of the reference implementation (layer4, features.18, Mixed_7c; default the\n"
    "backbone's last block); an unknown one lists the model's layers. Up to 4 layers separated\n"
    "by commas (features.11,features.14) give the mean of their normalised maps, as\n"
    "pytorch-grad-cam's list of target layers. --class: the class index\n"
    "to explain (default: the predicted one).\n"
    "--method svm: the SVM-weight map of paper 000: with --svm S (from `svm train` on the pooled\n"
    "features of `steelgrad features --weights W`, not standardised), each position of the\n"
    "backbone's last map scored by the SVM's weights (w_k . F[:, p] / hw), ReLU, divided by its\n"
    "maximum, upsampled bilinearly; the class is the SVM's (default its argmax) and the JSON\n"
    "gives its decision value instead of a probability.\n"
    "--method recon: the reconstruction error of --autoencoder RUN (steelgrad anomaly train): the\n"
    "image as the run reads it (gray, its size, CLAHE if it was trained so), |x - AE(x)| divided by\n"
    "its maximum, resized bilinearly to the model's input; the class and probability are the\n"
    "classifier's. Not with --input.\n"
    "--grid: also writes FILE.png, every image (as the model sees it) beside its overlay.\n"
    "--model/--classes: for weights without\n"
    "steelgrad's metadata (e.g. a torchvision state dict as safetensors; then 3-channel models\n"
    "get ImageNet normalisation, 1-channel ones none). --input: an already-normalised\n"
    "N x C x H x W array instead of image files (maps named input_<i>; the overlay is drawn on\n"
    "each image scaled to [0, 1]).\n"
    "--evaluate: scores every method (or --method) on a data set with VOC boxes (NEU-DET, or\n"
    "`steelgrad synth`'s set, whose masks/ are used too), explaining each image's true class\n"
    "(svm and recon are scored when --svm / --autoencoder are given):\n"
    "pointing game (the peak inside a box of that class), share of the map's energy inside\n"
    "those boxes, and pixel AUROC against the masks (pooled over the images with boxes); one\n"
    "JSON line per method."};

/* --- the method table ----------------------------------------------------- */

typedef struct explain_ctx {
    sg_graph *g;
    sg_model *m;
    const char *layer;
    int C, S;
    const sg_svm *svm;            /* --svm, or NULL */
    sg_cae *cae;                  /* --autoencoder, or NULL */
    bool cae_clahe;               /* the autoencoder's run was trained on CLAHE images */
    const char *path;             /* the current image file (recon reads it), NULL for --input */
} explain_ctx;

typedef struct explain_method {
    const char *name;
    /* map [S * S] of x [C, S, S] for class target (< 0: the predicted one). */
    sg_err (*run)(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *res);
    /* Whether the method can run with this context (its extra input given). */
    bool (*ready)(const explain_ctx *c);
} explain_method;

static sg_err run_gradcam(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *r)
{
    return sg_gradcam(c->g, c->m, x, c->C, c->S, c->S, SG_CAM_GRADCAM, target, c->layer, map, r);
}

static sg_err run_gradcam_pp(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *r)
{
    return sg_gradcam(c->g, c->m, x, c->C, c->S, c->S, SG_CAM_GRADCAM_PP, target, c->layer, map, r);
}

/* Transformers only (interp/attention.h): --layer does not apply. */
static sg_err run_attention(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *r)
{
    return sg_attention_map(c->g, c->m, x, c->C, c->S, c->S, SG_ATTN_ROLLOUT, target, map, r);
}

static sg_err run_attention_pool(explain_ctx *c, const float *x, int target, float *map,
                                 sg_cam_result *r)
{
    return sg_attention_map(c->g, c->m, x, c->C, c->S, c->S, SG_ATTN_POOL, target, map, r);
}

/* The peak of map into r (first maximum, as sg_gradcam's). */
static void set_peak(const explain_ctx *c, const float *map, sg_cam_result *r)
{
    int64_t p = sg_heatmap_peak(map, c->S, c->S);
    r->peak_x = (int)(p % c->S);
    r->peak_y = (int)(p / c->S);
}

/* SVM-weight map. r->probability is the SVM's decision value of the class. */
static sg_err run_svm(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *r)
{
    const sg_svm *svm = c->svm;
    float *contrib = malloc((size_t)c->S * c->S * sizeof *contrib);
    if (!contrib) return sg_error_set(SG_ERR_NOMEM, "out of memory");
    double best = -INFINITY, chosen = 0.0;
    int predicted = 0, h = 0, w = 0;
    sg_err err = SG_OK;
    /* The decision of class k is the sum of its contributions plus its bias
     * (only needed for the predicted class or the JSON line). */
    for (int k = 0; (target < 0 || r) && k < svm->classes && err == SG_OK; k++) {
        if ((err = sg_svm_weight_map(c->g, c->m, svm, x, c->C, c->S, k, map, contrib, &h, &w)) != SG_OK) break;
        double d = svm->problems == 1 ? (k == 1 ? svm->b[0] : -svm->b[0]) : svm->b[k];
        for (int64_t p = 0; p < (int64_t)h * w; p++) d += contrib[p];
        if (d > best) best = d, predicted = k;
        if (k == target) chosen = d;
    }
    if (target < 0) target = predicted, chosen = best;
    if (err == SG_OK) err = sg_svm_weight_map(c->g, c->m, svm, x, c->C, c->S, target, map, NULL, NULL, NULL);
    free(contrib);
    if (err == SG_OK && r) {
        *r = (sg_cam_result){.target = target, .predicted = predicted, .probability = (float)chosen,
                             .layer_h = h, .layer_w = w};
        set_peak(c, map, r);
    }
    return err;
}

/* The classifier's softmax on x: the predicted class and the probability of
 * target (< 0: of the predicted one) into r. */
static sg_err classify(explain_ctx *c, const float *x, int target, sg_cam_result *r)
{
    bool grad = sg_graph_grad_enabled(c->g), training = sg_graph_training(c->g);
    sg_graph_set_grad_enabled(c->g, false);
    sg_graph_set_training(c->g, false);
    sg_graph_reset(c->g);
    int64_t shape[4] = {1, c->C, c->S, c->S};
    sg_tensor *xv = sg_graph_view(c->g, (float *)x, 4, shape);
    sg_tensor *logits = xv ? sg_model_forward(c->g, c->m, xv) : NULL;
    sg_err err = logits ? SG_OK : sg_graph_error(c->g);
    if (err == SG_OK) {
        const int64_t K = logits->shape[logits->ndim - 1];
        int pred = 0;
        double mx = logits->data[0], z = 0.0;
        for (int64_t k = 1; k < K; k++)
            if (logits->data[k] > mx) mx = logits->data[k], pred = (int)k;
        for (int64_t k = 0; k < K; k++) z += exp((double)logits->data[k] - mx);
        r->predicted = pred;
        r->target = target < 0 ? pred : target;
        r->probability = r->target < K ? (float)(exp((double)logits->data[r->target] - mx) / z) : NAN;
    }
    sg_graph_reset(c->g);
    sg_graph_set_grad_enabled(c->g, grad);
    sg_graph_set_training(c->g, training);
    return err;
}

/* Reconstruction error of the image file c->path, in the model's input grid. */
static sg_err run_recon(explain_ctx *c, const float *x, int target, float *map, sg_cam_result *r)
{
    if (!c->path) return sg_error_set(SG_ERR_INVALID, "--method recon reads image files, not --input");
    const int Sa = c->cae->size;
    const int64_t n = (int64_t)Sa * Sa;
    float *xa = malloc((size_t)n * sizeof *xa), *ra = malloc((size_t)n * sizeof *ra);
    sg_err err = xa && ra ? SG_OK : sg_error_set(SG_ERR_NOMEM, "out of memory");
    if (err == SG_OK) err = sg_anomaly_load_images(&c->path, 1, Sa, c->cae_clahe, xa);
    if (err == SG_OK) err = sg_anomaly_reconstruct(c->cae, xa, 1, ra, NULL);
    if (err == SG_OK) {
        double peak = 0.0;
        for (int64_t i = 0; i < n; i++) {
            xa[i] = fabsf(xa[i] - ra[i]);
            /* Not fmax(): Debian's aarch64 gcc 12 dies vectorising that (see interp/anomaly.c). */
            if (xa[i] > peak) peak = xa[i];
        }
        for (int64_t i = 0; i < n; i++) xa[i] = peak > 0.0 ? (float)(xa[i] / peak) : 0.0f;
        if (Sa == c->S) memcpy(map, xa, (size_t)n * sizeof *map);
        else sg_cam_resize_bilinear(xa, Sa, Sa, map, c->S, c->S);
        for (int64_t i = 0; i < (int64_t)c->S * c->S; i++) map[i] = map[i] < 0.0f ? 0.0f : (map[i] > 1.0f ? 1.0f : map[i]);
    }
    free(xa);
    free(ra);
    if (err == SG_OK && r) {
        *r = (sg_cam_result){.layer_h = Sa, .layer_w = Sa};
        err = classify(c, x, target, r);
        set_peak(c, map, r);
    }
    return err;
}

static bool always(const explain_ctx *c) { (void)c; return true; }
static bool have_svm(const explain_ctx *c) { return c->svm != NULL; }
static bool have_cae(const explain_ctx *c) { return c->cae != NULL; }
/* The attention maps exist for the transformers only, attention-pool for CCT only. */
/* Every name of a comma-separated --layer is a layer of m (the error names
 * the first unknown one and lists the layers). */
static bool layers_known(sg_model *m, sg_graph *g, const char *layers)
{
    char name[SG_CAM_LAYER_NAME];
    for (const char *p = layers;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, p, len);
        name[len] = '\0';
        if (sg_model_check_layer(m, g, name) != SG_OK) return false;
        if (!end) return true;
        p = end + 1;
    }
}

static bool have_attention(const explain_ctx *c) { return c->m->attention_layers > 0; }
static bool have_attention_pool(const explain_ctx *c)
{
    return c->m->attention_layers > 0 && !c->m->attention_prefix;
}

static const explain_method METHODS[] = {
    {"gradcam", run_gradcam, always},
    {"gradcam++", run_gradcam_pp, always},
    {"svm", run_svm, have_svm},
    {"recon", run_recon, have_cae},
    {"attention", run_attention, have_attention},
    {"attention-pool", run_attention_pool, have_attention_pool},
};
enum { N_METHODS = sizeof METHODS / sizeof METHODS[0] };

static const explain_method *find_method(const char *name)
{
    for (int i = 0; i < N_METHODS; i++)
        if (strcmp(METHODS[i].name, name) == 0) return &METHODS[i];
    return NULL;
}

/* --- the model and its input pipeline ------------------------------------ */

typedef struct explain_model {
    sg_run_model rm;              /* a checkpoint, or reference weights with --model/--classes */
    char **names;                 /* rm's class names ("0".."K-1" for reference weights) */
    int K;
    sg_loader_opts lo;            /* preprocessing of one image */
} explain_model;

static sg_model *em_model(explain_model *e) { return &e->rm.model; }

static void em_close(explain_model *e) { sg_run_model_close(&e->rm); }

static int em_open(explain_model *e, const char *weights, const char *model, int64_t classes,
                   int64_t size)
{
    memset(e, 0, sizeof *e);
    sg_err err = model ? sg_run_model_reference(weights, model, (int)classes, 0, (int)size, &e->rm)
                       : sg_run_model_open(weights, &e->rm);
    if (err != SG_OK) return sg_cli_fail_err("explain", model ? err : SG_ERR_FORMAT);
    e->names = e->rm.class_names;
    e->K = e->rm.classes;
    e->lo = sg_run_model_loader_opts(&e->rm, 1);
    return SG_EXIT_OK;
}

/* x (normalised) and raw ([0, 1], for the overlay) [C, S, S] of one file. */
static sg_err load_image(const explain_model *e, const char *path, float *x, float *raw)
{
    int32_t label = 0;
    sg_loader *l;
    sg_loader_opts lo = e->lo;
    sg_err err = sg_loader_new(&path, &label, 1, &lo, &l);
    if (err == SG_OK) {
        err = sg_loader_sample(l, 0, 0, 0, x);
        sg_loader_free(l);
    }
    lo.mean = lo.std = NULL;
    if (err == SG_OK && (err = sg_loader_new(&path, &label, 1, &lo, &l)) == SG_OK) {
        err = sg_loader_sample(l, 0, 0, 0, raw);
        sg_loader_free(l);
    }
    return err;
}

/* --- drawing: one image ----------------------------------------------------- */

typedef struct draw_opts {
    const char *out, *colormap_name;
    sg_colormap cmap;
    float alpha;
    int64_t target;
    sg_image *tiles;              /* --grid: image, overlay, image, overlay, ... (or NULL) */
    int n_tiles;
} draw_opts;

/* The SVM's name of its class k ("0", "1", ... when it has none). */
static const char *svm_class_name(const explain_ctx *c, int k)
{
    static char buf[16];
    if (c->svm->class_names) return c->svm->class_names[k];
    snprintf(buf, sizeof buf, "%d", k);
    return buf;
}

/* "dir/a b.png" -> "a b" into buf. */
static void stem_of(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, cap, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
}

static int explain_one(explain_ctx *c, const explain_method *meth, explain_model *e,
                       draw_opts *d, const char *file, const char *stem, const float *x,
                       const float *raw, const char *const *inputs, int n_inputs)
{
    int64_t HW = (int64_t)c->S * c->S;
    float *map = malloc((size_t)HW * sizeof *map);
    if (!map) return sg_cli_fail("explain", "out of memory");
    sg_cam_result r;
    sg_err err = meth->run(c, x, (int)d->target, map, &r);
    if (err != SG_OK) {
        free(map);
        /* a bad layer or class is the user's: usage */
        return err == SG_ERR_INVALID ? sg_cli_usage("explain", "%s", sg_error_message())
                                     : sg_cli_fail("explain", "%s: %s", file, sg_error_message());
    }
    char png[4096], npy[4096];
    snprintf(png, sizeof png, "%s/%s.png", d->out, stem);
    snprintf(npy, sizeof npy, "%s/%s.npy", d->out, stem);
    if (sg_output_check(png, inputs, n_inputs) != SG_OK || sg_output_check(npy, inputs, n_inputs) != SG_OK) {
        free(map);
        return sg_cli_usage("explain", "--out: %s", sg_error_message());
    }
    sg_image ov = {0};
    int64_t shape[2] = {c->S, c->S};
    err = sg_overlay_rgb(raw, c->C, c->S, c->S, map, d->cmap, d->alpha, &ov);
    if (err == SG_OK) err = sg_png_write(png, &ov);
    if (err == SG_OK) err = sg_npy_write_f32(npy, 2, shape, map);
    if (err == SG_OK && d->tiles && (err = sg_image_from_chw(raw, c->C, c->S, c->S, &d->tiles[d->n_tiles])) == SG_OK) {
        d->tiles[d->n_tiles + 1] = ov;   /* the grid keeps the overlay */
        d->n_tiles += 2;
        ov = (sg_image){0};
    }
    sg_image_free(&ov);
    free(map);
    if (err != SG_OK) return sg_cli_fail_err("explain", err);
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "file", file);
    sg_json_writer_kv_string(&w, "method", meth->name);
    bool svm = meth->run == run_svm, recon = meth->run == run_recon;
    /* svm: the backbone's last map; recon: the image itself */
    sg_json_writer_kv_string(&w, "layer", recon ? "input" : c->layer && *c->layer && !svm ? c->layer
                                                                                          : c->m->def->default_layer);
    sg_json_writer_kv_string(&w, "class", svm ? svm_class_name(c, r.target) : e->names[r.target]);
    sg_json_writer_key(&w, "class_index");
    sg_json_writer_int64(&w, r.target);
    sg_json_writer_key(&w, svm ? "decision" : "probability");
    sg_json_writer_float(&w, r.probability);
    sg_json_writer_kv_string(&w, "predicted", svm ? svm_class_name(c, r.predicted) : e->names[r.predicted]);
    sg_json_writer_key(&w, "peak");
    sg_json_writer_begin_object(&w);
    sg_json_writer_key(&w, "x");
    sg_json_writer_int64(&w, r.peak_x);
    sg_json_writer_key(&w, "y");
    sg_json_writer_int64(&w, r.peak_y);
    sg_json_writer_end_object(&w);
    sg_json_writer_kv_string(&w, "map", npy);
    sg_json_writer_kv_string(&w, "overlay", png);
    sg_json_writer_end_object(&w);
    const char *text = sg_json_writer_finish(&w, NULL);
    if (text) printf("%s\n", text);
    fflush(stdout);
    sg_json_writer_free(&w);
    return SG_EXIT_OK;
}

/* --- judging: --evaluate ---------------------------------------------------- */

typedef struct eval_sums {
    int pointing_images, hits, energy_images, mask_images;
    double energy;
    float *scores;                /* pooled pixels of the mask images */
    bool *positive;
    int64_t n_pixels;
} eval_sums;

/* The mask of sample `path` (DIR/masks/<stem>.png), sampled at the centres of
 * the S x S map's pixels, into pos; false if there is none. */
static bool read_mask(const char *root, const char *path, int S, bool *pos)
{
    char stem[1024], mpath[4096];
    stem_of(path, stem, sizeof stem);
    snprintf(mpath, sizeof mpath, "%s/masks/%s.png", root, stem);
    sg_image mask;
    if (sg_image_read(mpath, NULL, &mask) != SG_OK) return false;
    bool ok = mask.depth == 8;
    const uint8_t *px = mask.pixels;
    for (int y = 0; ok && y < S; y++)
        for (int x = 0; x < S; x++) {
            int mx = (int)((x + 0.5) * mask.width / S), my = (int)((y + 0.5) * mask.height / S);
            pos[y * S + x] = px[((size_t)my * mask.width + mx) * mask.channels] > 127;
        }
    sg_image_free(&mask);
    return ok;
}

/* The SVM's index of the class named `name`; for an SVM without names (or
 * svm train's default names 0, 1, ...), the classifier's index k (the labels
 * of `features --labels` are in its order); -1 if none. */
static int svm_class_of(const explain_ctx *c, const char *name, int k)
{
    bool numbered = true;
    for (int j = 0; c->svm->class_names && j < c->svm->classes; j++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", j);
        if (strcmp(c->svm->class_names[j], name) == 0) return j;
        numbered = numbered && strcmp(c->svm->class_names[j], buf) == 0;
    }
    return numbered && k < c->svm->classes ? k : -1;
}

static int evaluate(explain_ctx *c, explain_model *e, const char *data, const char *method)
{
    sg_dataset ds;
    const char *kind;
    if (sg_dataset_open(data, true, &kind, &ds) != SG_OK) return sg_cli_fail_err("explain", SG_ERR_FORMAT);
    int64_t HW = (int64_t)c->S * c->S;
    int rc = SG_EXIT_OK;
    float *x = malloc((size_t)(c->C * HW) * sizeof *x), *raw = malloc((size_t)(c->C * HW) * sizeof *raw);
    float *map = malloc((size_t)HW * sizeof *map);
    sg_heat_box *boxes = NULL;
    eval_sums sums[N_METHODS];
    memset(sums, 0, sizeof sums);
    int n_with_boxes = 0;
    for (int i = 0; i < ds.n_samples; i++) n_with_boxes += ds.samples[i].n_boxes > 0;
    for (int mi = 0; mi < N_METHODS; mi++) {
        sums[mi].scores = malloc((size_t)(n_with_boxes * HW + 1) * sizeof(float));
        sums[mi].positive = malloc((size_t)(n_with_boxes * HW + 1) * sizeof(bool));
        if (!sums[mi].scores || !sums[mi].positive) rc = sg_cli_fail("explain", "out of memory");
    }
    if (!x || !raw || !map) rc = sg_cli_fail("explain", "out of memory");
    for (int i = 0; i < ds.n_samples && rc == SG_EXIT_OK; i++) {
        const sg_sample *s = &ds.samples[i];
        if (s->n_boxes == 0 || s->label < 0) continue;
        int target = -1;
        for (int k = 0; k < e->K; k++)
            if (strcmp(e->names[k], ds.class_names[s->label]) == 0) target = k;
        if (target < 0) {
            rc = sg_cli_fail("explain", "%s: class '%s' is not one of the checkpoint's", s->name,
                             ds.class_names[s->label]);
            break;
        }
        sg_image img;
        if (sg_image_read(s->path, NULL, &img) != SG_OK || load_image(e, s->path, x, raw) != SG_OK) {
            fprintf(stderr, "steelgrad explain: skipping %s: %s\n", s->name, sg_error_message());
            continue;
        }
        /* VOC boxes are 1-based inclusive pixels: [xmin - 1, xmax] continuous */
        double sx = (double)c->S / img.width, sy = (double)c->S / img.height;
        sg_image_free(&img);
        free(boxes);
        boxes = malloc((size_t)s->n_boxes * sizeof *boxes);
        int nb = 0;
        for (int b = 0; boxes && b < s->n_boxes; b++)
            if (s->boxes[b].label == s->label)
                boxes[nb++] = (sg_heat_box){(float)((s->boxes[b].xmin - 1) * sx), (float)((s->boxes[b].ymin - 1) * sy),
                                            (float)(s->boxes[b].xmax * sx), (float)(s->boxes[b].ymax * sy)};
        if (nb == 0) continue;
        c->path = s->path;
        for (int mi = 0; mi < N_METHODS; mi++) {
            if (method ? strcmp(method, METHODS[mi].name) != 0 : !METHODS[mi].ready(c)) continue;
            eval_sums *u = &sums[mi];
            int t = target;
            if (METHODS[mi].run == run_svm && (t = svm_class_of(c, e->names[target], target)) < 0) {
                rc = sg_cli_fail("explain", "%s: class '%s' is not one of the SVM's", s->name, e->names[target]);
                break;
            }
            sg_err err = METHODS[mi].run(c, x, t, map, NULL);
            if (err != SG_OK) {
                rc = err == SG_ERR_INVALID ? sg_cli_usage("explain", "%s", sg_error_message())
                                           : sg_cli_fail("explain", "%s: %s", s->name, sg_error_message());
                break;
            }
            u->pointing_images++;
            u->hits += sg_heatmap_pointing_hit(map, c->S, c->S, boxes, nb);
            double en = sg_heatmap_energy_in_boxes(map, c->S, c->S, boxes, nb);
            if (!isnan(en)) {
                u->energy += en;
                u->energy_images++;
            }
            if (read_mask(ds.root ? ds.root : data, s->path, c->S, u->positive + u->n_pixels)) {
                memcpy(u->scores + u->n_pixels, map, (size_t)HW * sizeof *map);
                u->n_pixels += HW;
                u->mask_images++;
            }
        }
    }
    for (int mi = 0; mi < N_METHODS && rc == SG_EXIT_OK; mi++) {
        if (method ? strcmp(method, METHODS[mi].name) != 0 : !METHODS[mi].ready(c)) continue;
        eval_sums *u = &sums[mi];
        double auroc = NAN;
        if (sg_heatmap_pixel_auroc(u->scores, u->positive, u->n_pixels, &auroc) != SG_OK) {
            rc = sg_cli_fail_err("explain", SG_ERR_NOMEM);
            break;
        }
        sg_json_writer w;
        sg_json_writer_init(&w, false);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "method", METHODS[mi].name);
        sg_json_writer_kv_string(&w, "layer", METHODS[mi].run == run_recon ? "input"
                                              : c->layer && *c->layer && METHODS[mi].run != run_svm
                                                  ? c->layer : c->m->def->default_layer);
        sg_json_writer_kv_string(&w, "data", data);
        sg_json_writer_key(&w, "images");
        sg_json_writer_int64(&w, u->pointing_images);
        sg_json_writer_key(&w, "pointing_game");
        sg_json_writer_number(&w, u->pointing_images ? (double)u->hits / u->pointing_images : NAN);
        sg_json_writer_key(&w, "energy_in_boxes");
        sg_json_writer_number(&w, u->energy_images ? u->energy / u->energy_images : NAN);
        sg_json_writer_key(&w, "mask_images");
        sg_json_writer_int64(&w, u->mask_images);
        sg_json_writer_key(&w, "pixel_auroc");
        sg_json_writer_number(&w, auroc);
        sg_json_writer_end_object(&w);
        const char *text = sg_json_writer_finish(&w, NULL);
        if (text) printf("%s\n", text);
        sg_json_writer_free(&w);
    }
    for (int mi = 0; mi < N_METHODS; mi++) {
        free(sums[mi].scores);
        free(sums[mi].positive);
    }
    free(boxes);
    free(x);
    free(raw);
    free(map);
    sg_dataset_free(&ds);
    return rc;
}

/* --- the command ---------------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two images with the same stem would write the same DIR/<stem>.png: name the
 * first such stem into dup (NUL if none). */
static sg_err duplicate_stem(char **images, int n, char *dup, size_t cap)
{
    dup[0] = '\0';
    char **stems = calloc((size_t)n + 1, sizeof *stems);
    if (!stems) return sg_error_set(SG_ERR_NOMEM, "out of memory");
    sg_err err = SG_OK;
    for (int i = 0; i < n && err == SG_OK; i++) {
        char buf[1024];
        stem_of(images[i], buf, sizeof buf);
        if (!(stems[i] = strdup(buf))) err = sg_error_set(SG_ERR_NOMEM, "out of memory");
    }
    if (err == SG_OK) {
        qsort(stems, (size_t)n, sizeof *stems, compare_strings);
        for (int i = 1; i < n && !dup[0]; i++)
            if (strcmp(stems[i - 1], stems[i]) == 0) snprintf(dup, cap, "%s", stems[i]);
    }
    for (int i = 0; i < n; i++) free(stems[i]);
    free(stems);
    return err;
}

enum { MAX_IMAGES = 100000 };

/* The autoencoder of an `anomaly train` run folder (RUN/cae.safetensors). */
static sg_err load_autoencoder(const char *run, sg_cae *cae, bool *clahe)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cae.safetensors", run);
    sg_safetensors hdr;
    sg_err err = sg_safetensors_read_header(path, &hdr);
    if (err != SG_OK) return err;
    const char *format = sg_safetensors_meta(&hdr, "format"), *model = sg_safetensors_meta(&hdr, "model");
    const char *size = sg_safetensors_meta(&hdr, "size"), *cl = sg_safetensors_meta(&hdr, "clahe");
    if (!format || strcmp(format, "steelgrad-cae-1") || !model || !size)
        err = sg_error_set(SG_ERR_FORMAT, "%s: not an autoencoder run (metadata format, model, size expected)", path);
    else if ((err = sg_cae_init(cae, model, 1, atoi(size), 0)) == SG_OK &&
             (err = sg_params_load(&cae->params, path, true)) != SG_OK)
        sg_cae_free(cae);
    *clahe = cl && strcmp(cl, "true") == 0;
    sg_safetensors_free(&hdr);
    return err;
}

int cmd_explain(int argc, char **argv)
{
    char *weights = NULL, *model = NULL, *method = NULL, *out = NULL, *layer = NULL, *input = NULL;
    char *colormap = NULL, *data = NULL, *svm_path = NULL, *ae_run = NULL, *grid = NULL;
    int64_t classes = 0, target = -1;
    double alpha = 0.5;
    bool evaluate_flag = false, done;
    char **images = malloc(MAX_IMAGES * sizeof *images);
    int n_images = 0;
    if (!images) return sg_cli_fail("explain", "out of memory");
    const sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .help = "checkpoint (steelgrad train) or reference weights, .safetensors"},
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .help = "model name, for weights without steelgrad metadata"},
        {.name = "classes", .type = SG_OPT_INT, .dest = &classes, .help = "outputs K, with --model", .min = 2, .max = 100000},
        {.name = "method", .type = SG_OPT_STRING, .dest = &method, .help = "gradcam (default), gradcam++, svm or recon"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "DIR",
         .help = "folder for <image>.png and <image>.npy (created)"},
        {.name = "layer", .type = SG_OPT_STRING, .dest = &layer, .help = "module path (default: the backbone's last block)"},
        {.name = "class", .type = SG_OPT_INT, .dest = &target, .help = "class index to explain (default: the predicted one)",
         .min = 0, .max = 100000},
        {.name = "input", .type = SG_OPT_STRING, .dest = &input, .help = "normalised N x C x H x W array, .npy, instead of images"},
        {.name = "colormap", .type = SG_OPT_STRING, .dest = &colormap, .help = "jet (default), viridis or inferno"},
        {.name = "alpha", .type = SG_OPT_FLOAT, .dest = &alpha, .help = "weight of the colours over the image (default 0.5)",
         .min = 0, .max = 1},
        {.name = "evaluate", .type = SG_OPT_FLAG, .dest = &evaluate_flag, .help = "score the methods on --data's boxes and masks"},
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .help = "with --evaluate: a VOC data set (NEU-DET, steelgrad synth)"},
        {.name = "svm", .type = SG_OPT_STRING, .dest = &svm_path, .arg = "SVM.safetensors",
         .help = "for --method svm: a linear SVM (steelgrad svm train) on this model's pooled features"},
        {.name = "autoencoder", .type = SG_OPT_STRING, .dest = &ae_run, .arg = "RUN",
         .help = "for --method recon: a run folder of steelgrad anomaly train"},
        {.name = "grid", .type = SG_OPT_STRING, .dest = &grid, .arg = "FILE.png",
         .help = "also one PNG of every image beside its overlay, 4 pairs a row"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&explain_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], images,
                          MAX_IMAGES, &n_images, &done);
    if (done) goto out;
    rc = SG_EXIT_USAGE;
    if (!weights) {
        fprintf(stderr, "steelgrad explain: --weights W is required (see --help)\n");
        goto out;
    }
    if ((model != NULL) != (classes != 0)) {
        sg_cli_usage("explain", "--model and --classes go together (weights without steelgrad metadata)");
        goto out;
    }
    if (model && !sg_model_find(model)) {
        sg_cli_usage("explain", "--model: unknown model '%s' (steelgrad model list)", model);
        goto out;
    }
    if (method && !find_method(method)) {
        sg_cli_usage("explain", "--method: expected gradcam, gradcam++, svm, recon, attention or attention-pool, got '%s'", method);
        goto out;
    }
    bool want_svm = method && !strcmp(method, "svm"), want_recon = method && !strcmp(method, "recon");
    if (want_svm != (svm_path != NULL) && !(evaluate_flag && !method)) {
        sg_cli_usage("explain", "--method svm and --svm SVM.safetensors go together");
        goto out;
    }
    if (want_recon != (ae_run != NULL) && !(evaluate_flag && !method)) {
        sg_cli_usage("explain", "--method recon and --autoencoder RUN go together");
        goto out;
    }
    if ((want_svm && layer) || (want_recon && (layer || input))) {
        sg_cli_usage("explain", "--method %s takes no %s", method, layer ? "--layer" : "--input (it reads image files)");
        goto out;
    }
    draw_opts d = {.out = out, .colormap_name = colormap, .cmap = SG_COLORMAP_JET,
                   .alpha = (float)alpha, .target = target};
    if (colormap) {
        int cm = sg_colormap_from_name(colormap);
        if (cm < 0) {
            sg_cli_usage("explain", "--colormap: expected %s, got '%s'", sg_colormap_names(), colormap);
            goto out;
        }
        d.cmap = (sg_colormap)cm;
    }
    if (evaluate_flag) {
        if (!data || n_images || input || out || target >= 0 || grid) {
            sg_cli_usage("explain", "--evaluate takes --data DIR, and no IMAGE, --input, --out, --class or --grid");
            goto out;
        }
    } else if (data || !out || (n_images == 0) == (input == NULL)) {
        sg_cli_usage("explain", "give IMAGE... or --input x.npy, and --out DIR (--data is for --evaluate)");
        goto out;
    }
    char dup[1024];
    if (n_images > 1 && duplicate_stem(images, n_images, dup, sizeof dup) != SG_OK) {
        rc = sg_cli_fail_err("explain", SG_ERR_NOMEM);
        goto out;
    }
    if (n_images > 1 && dup[0]) {
        sg_cli_usage("explain", "two images are named '%s': their maps would share %s/%s.png", dup, out, dup);
        goto out;
    }
    /* An output folder that is an input file is refused. */
    const char **inputs = calloc((size_t)n_images + 4, sizeof *inputs);
    if (!inputs) {
        rc = sg_cli_fail("explain", "out of memory");
        goto out;
    }
    int n_inputs = 0;
    for (int i = 0; i < n_images; i++) inputs[n_inputs++] = images[i];
    inputs[n_inputs++] = weights;
    if (input) inputs[n_inputs++] = input;
    if (svm_path) inputs[n_inputs++] = svm_path;
    if ((out && sg_output_check(out, inputs, n_inputs) != SG_OK) ||
        (grid && sg_output_check(grid, inputs, n_inputs) != SG_OK)) {
        sg_cli_usage("explain", "--out: %s", sg_error_message());
        free(inputs);
        goto out;
    }
    sg_npy xs = {0};
    if (input && sg_npy_read(input, &xs) != SG_OK) {
        rc = sg_cli_fail_err("explain", SG_ERR_FORMAT);
        free(inputs);
        goto out;
    }
    if (input && (xs.ndim != 4 || xs.numel == 0 || xs.shape[2] != xs.shape[3])) {
        rc = sg_cli_fail("explain", "%s: expected a non-empty N x C x S x S array", input);
        sg_npy_free(&xs);
        free(inputs);
        goto out;
    }
    explain_model e;
    rc = em_open(&e, weights, model, classes, input ? xs.shape[2] : 0);
    if (rc != SG_EXIT_OK) {
        sg_npy_free(&xs);
        free(inputs);
        goto out;
    }
    sg_model *m = em_model(&e);
    explain_ctx c = {.g = sg_graph_new(), .m = m, .layer = layer, .C = m->opts.in_channels,
                     .S = m->opts.image_size};
    sg_svm svm = {0};
    sg_cae cae = {0};
    bool have_svm_file = false, have_cae_file = false;
    if (svm_path && sg_svm_load(svm_path, &svm) == SG_OK) {
        have_svm_file = true;
        c.svm = &svm;
    }
    if (ae_run && load_autoencoder(ae_run, &cae, &c.cae_clahe) == SG_OK) {
        have_cae_file = true;
        c.cae = &cae;
    }
    if ((svm_path && !have_svm_file) || (ae_run && !have_cae_file))
        rc = sg_cli_fail_err("explain", SG_ERR_FORMAT);
    else if (c.svm && svm.dim != m->feature_channels)
        rc = sg_cli_fail("explain", "%s: the SVM takes %lld features, the backbone of %s gives %lld per position",
                         svm_path, (long long)svm.dim, m->def->name, (long long)m->feature_channels);
    else if (want_svm && target >= svm.classes)
        rc = sg_cli_usage("explain", "--class %lld: the SVM has classes 0..%d", (long long)target, svm.classes - 1);
    else if (!want_svm && target >= e.K) rc = sg_cli_usage("explain", "--class %lld: the model has classes 0..%d",
                                         (long long)target, e.K - 1);
    else if (input && (xs.shape[1] != c.C || xs.shape[2] != c.S))
        rc = sg_cli_fail("explain", "%s: images %lld x %lld x %lld, the model takes %d x %d x %d", input,
                         (long long)xs.shape[1], (long long)xs.shape[2], (long long)xs.shape[3], c.C, c.S, c.S);
    else if (!c.g)
        rc = sg_cli_fail("explain", "out of memory");
    else if (layer && *layer && !layers_known(m, c.g, layer))
        rc = sg_cli_usage("explain", "--layer: %s", sg_error_message());
    else if (evaluate_flag)
        rc = evaluate(&c, &e, data, method);
    else if (sg_mkdir_p(out) != SG_OK)
        rc = sg_cli_fail_err("explain", SG_ERR_IO);
    else {
        const explain_method *meth = method ? find_method(method) : &METHODS[0];
        int64_t per = (int64_t)c.C * c.S * c.S;
        float *x = malloc((size_t)per * sizeof *x), *raw = malloc((size_t)per * sizeof *raw);
        int64_t n = input ? xs.shape[0] : n_images;
        int failed = 0;
        if (grid && !(d.tiles = calloc((size_t)(2 * n), sizeof *d.tiles))) rc = sg_cli_fail("explain", "out of memory");
        for (int64_t i = 0; i < n && x && raw; i++) {
            char stem[1024], name[1100];
            if (input) {
                memcpy(x, xs.data + i * per, (size_t)per * sizeof *x);
                /* the overlay's background: each image scaled to [0, 1] */
                float lo = x[0], hi = x[0];
                for (int64_t k = 1; k < per; k++) lo = x[k] < lo ? x[k] : lo, hi = x[k] > hi ? x[k] : hi;
                for (int64_t k = 0; k < per; k++) raw[k] = hi > lo ? (x[k] - lo) / (hi - lo) : 0.0f;
                snprintf(stem, sizeof stem, "input_%lld", (long long)i);
                snprintf(name, sizeof name, "%s[%lld]", input, (long long)i);
            } else {
                stem_of(images[i], stem, sizeof stem);
                snprintf(name, sizeof name, "%s", images[i]);
                c.path = images[i];
                if (load_image(&e, images[i], x, raw) != SG_OK) {
                    fprintf(stderr, "steelgrad explain: %s\n", sg_error_message());
                    failed = 1;
                    continue;
                }
            }
            int r = explain_one(&c, meth, &e, &d, name, stem, x, raw, inputs, n_inputs);
            if (r == SG_EXIT_USAGE) {
                rc = r;
                break;
            }
            if (r != SG_EXIT_OK) failed = 1;
        }
        if (!x || !raw) rc = sg_cli_fail("explain", "out of memory");
        if (rc == SG_EXIT_OK && d.n_tiles) {
            sg_image sheet = {0};
            sg_err gerr = sg_overlay_grid(d.tiles, d.n_tiles, d.n_tiles < 8 ? d.n_tiles : 8, 2, &sheet);
            if (gerr == SG_OK) gerr = sg_png_write(grid, &sheet);
            sg_image_free(&sheet);
            if (gerr != SG_OK) rc = sg_cli_fail_err("explain", gerr);
        }
        for (int t = 0; t < d.n_tiles; t++) sg_image_free(&d.tiles[t]);
        free(d.tiles);
        if (rc == SG_EXIT_OK && failed) rc = SG_EXIT_FAIL;
        free(x);
        free(raw);
    }
    if (c.g) sg_graph_free(c.g);
    if (have_svm_file) sg_svm_free(&svm);
    if (have_cae_file) sg_cae_free(&cae);
    em_close(&e);
    sg_npy_free(&xs);
    free(inputs);
out:
    free(images);
    return rc;
}

/* cli/features.c - `steelgrad features`: the pooled backbone features of
 * images with a trained checkpoint, for a linear SVM (paper 000: ResNet-50
 * without its classifier, global average pool -> 2048 numbers per image). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "core/graph.h"
#include "core/npy.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "train/checkpoint.h"
#include "train/eval.h"

static const sg_cli_command features_cmd = {
    "features",
    "steelgrad features --weights W (--data DIR | IMAGE...) -o|--output X.npy [--labels Y.npy]\n"
    "                   [--standardize] [--layer NAME] [--model NAME --classes K [--size S]\n"
    "                   [--channels 1|3]]",
    "Run the images through the checkpoint's backbone (the model, its input size, channels and\n"
    "normalisation come from the checkpoint's metadata, as in `predict`) and write the global\n"
    "average pool of its last feature map: X.npy is N x D float32 (D = the backbone's channels,\n"
    "2048 for resnet50), one row per image, in folder order (classes in the checkpoint's order,\n"
    "files sorted) or in the order given. --labels writes the class index of each row as int32\n"
    "(the checkpoint's class order; needs --data). --standardize scales every column to mean 0\n"
    "and standard deviation 1 over these images (a constant column becomes 0). A corrupt image\n"
    "stops the command, naming the file. Weights without steelgrad's metadata (torchvision's\n"
    "ResNet-50 ImageNet weights saved as safetensors, for paper 000's SVM) need --model and\n"
    "--classes (the file's classifier outputs); the input is then --size (default: the model's)\n"
    "with ImageNet normalisation, or gray with --channels 1 (the RGB stem summed), and --labels\n"
    "follows the data's folder order."};

enum { MAX_IMAGES = 100000, FEATURE_BATCH = 16 };

/* With --layer, the features are that named layer's output (core/graph.h
 * taps, the names of sg_model_layers), taken from a whole eval-mode forward
 * and average-pooled over space like the backbone's map; a 2-d output (a
 * linear layer) is taken as it is. */

/* D of --layer: one no-grad forward of a zero image at the model's input;
 * SG_ERR_INVALID listing the model's layers for a name it does not mark. */
static sg_err layer_dim(sg_run_model *rm, const char *layer, int64_t *D)
{
    sg_graph *g = sg_graph_new();
    if (!g) return sg_error_set(SG_ERR_NOMEM, "features: out of memory");
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    int64_t shape[4] = {1, rm->model.opts.in_channels, rm->model.opts.image_size, rm->model.opts.image_size};
    sg_tensor *x = sg_graph_zeros(g, 4, shape), *t = NULL;
    sg_err err = sg_graph_set_tap(g, layer, &t, false);
    if (err == SG_OK && (!x || !sg_model_forward(g, &rm->model, x))) err = sg_graph_error(g);
    /* Not marked by the forward: the zoo's check names the layers there are. */
    if (err == SG_OK && !t) err = sg_model_check_layer(&rm->model, g, layer);
    if (err == SG_OK && !t) err = sg_error_set(SG_ERR_INVALID, "features: layer '%s' was not reached", layer);
    if (err == SG_OK && t->ndim != 4 && t->ndim != 2)
        err = sg_error_set(SG_ERR_SHAPE, "features: layer '%s' gives a %d-d tensor; expected N x C x H x W "
                           "or N x D", layer, t->ndim);
    if (err == SG_OK) *D = t->shape[1];
    sg_graph_free(g);
    return err;
}

/* Paths and labels of --data DIR, mapped to the checkpoint's class order
 * (reference weights, whose classes are not the data's: the folder order). */
static sg_err data_images(const sg_run_model *rm, bool reference, const char *dir, sg_dataset *ds,
                          const char ***paths, int32_t **labels, int64_t *n)
{
    sg_err err = sg_dataset_from_folders(dir, NULL, ds);
    if (err != SG_OK) return err;
    *paths = calloc((size_t)ds->n_samples + 1, sizeof **paths);
    *labels = calloc((size_t)ds->n_samples + 1, sizeof **labels);
    if (!*paths || !*labels) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", dir);
    *n = 0;
    if (reference) {
        for (int c = 0; c < ds->n_classes; c++)
            for (int i = 0; i < ds->n_samples; i++)
                if (ds->samples[i].label == c) {
                    (*paths)[*n] = ds->samples[i].path;
                    (*labels)[(*n)++] = c;
                }
        return *n ? SG_OK : sg_error_set(SG_ERR_INVALID, "%s: no images", dir);
    }
    /* Checkpoint class order first, files in the data set's order within a class. */
    for (int k = 0; k < rm->classes; k++)
        for (int i = 0; i < ds->n_samples; i++) {
            const sg_sample *s = &ds->samples[i];
            if (s->label < 0 || strcmp(ds->class_names[s->label], rm->class_names[k]) != 0) continue;
            (*paths)[*n] = s->path;
            (*labels)[(*n)++] = k;
        }
    for (int c = 0; c < ds->n_classes; c++) {
        bool known = false;
        for (int k = 0; k < rm->classes; k++) known |= strcmp(ds->class_names[c], rm->class_names[k]) == 0;
        if (!known)
            return sg_error_set(SG_ERR_INVALID, "%s: class '%s' is not one the checkpoint knows", dir,
                                ds->class_names[c]);
    }
    if (*n == 0) return sg_error_set(SG_ERR_INVALID, "%s: no images", dir);
    return SG_OK;
}

/* X [n x D] = the spatial mean of the backbone's last feature map per image. */
static sg_err extract(sg_run_model *rm, const char *layer, const char *const *paths, int64_t n, float *X,
                      int64_t D)
{
    sg_tensor *tapped = NULL;
    sg_loader_opts lo = sg_run_model_loader_opts(rm, FEATURE_BATCH);
    sg_loader *l = NULL;
    int32_t *zeros = calloc((size_t)n, sizeof *zeros);
    sg_graph *g = sg_graph_new();
    sg_err err = !zeros || !g ? sg_error_set(SG_ERR_NOMEM, "features: out of memory")
                              : sg_loader_new(paths, zeros, n, &lo, &l);
    if (err == SG_OK) err = sg_loader_start_epoch(l, 0);
    if (err == SG_OK) {
        sg_graph_set_grad_enabled(g, false);
        sg_graph_set_training(g, false);
        if (layer) err = sg_graph_set_tap(g, layer, &tapped, false);
    }
    while (err == SG_OK) {
        sg_batch b;
        bool has;
        if ((err = sg_loader_next(l, &b, &has)) != SG_OK || !has) break;
        sg_graph_reset(g);
        int64_t shape[4] = {b.n, lo.channels, lo.height, lo.width};
        sg_tensor *x = sg_graph_view(g, b.images, 4, shape);
        sg_tensor *f = NULL;
        if (x && layer) f = sg_model_forward(g, &rm->model, x) ? tapped : NULL;
        else if (x) f = rm->model.features(g, &rm->model, x);
        if (!f) {
            err = sg_graph_error(g);
            break;
        }
        if ((f->ndim != 4 && !(layer && f->ndim == 2)) || f->shape[0] != b.n || f->shape[1] != D) {
            err = sg_error_set(SG_ERR_SHAPE, "features: the backbone gave a %d-d map with %lld channels, "
                               "expected N x %lld x H x W", f->ndim, (long long)f->shape[1], (long long)D);
            break;
        }
        const int64_t hw = f->ndim == 4 ? f->shape[2] * f->shape[3] : 1;
        for (int i = 0; i < b.n; i++)
            for (int64_t c = 0; c < D; c++) {
                const float *p = f->data + ((int64_t)i * D + c) * hw;
                double s = 0.0;
                for (int64_t j = 0; j < hw; j++) s += p[j];
                X[b.indices[i] * D + c] = (float)(s / (double)hw);
            }
    }
    if (l) sg_loader_free(l);
    if (g) sg_graph_free(g);
    free(zeros);
    return err;
}

/* Column-wise (x - mean) / std over the rows, std the population one (as
 * scikit-learn's StandardScaler); a constant column becomes 0. */
static void standardize(float *X, int64_t n, int64_t D)
{
    for (int64_t c = 0; c < D; c++) {
        double mean = 0.0, var = 0.0;
        for (int64_t i = 0; i < n; i++) mean += X[i * D + c];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++) var += (X[i * D + c] - mean) * (X[i * D + c] - mean);
        double sd = sqrt(var / (double)n);
        if (sd == 0.0) sd = 1.0;
        for (int64_t i = 0; i < n; i++) X[i * D + c] = (float)((X[i * D + c] - mean) / sd);
    }
}

int cmd_features(int argc, char **argv)
{
    const char *weights = NULL, *data = NULL, *output = NULL, *labels_out = NULL, *layer = NULL, *model = NULL;
    int64_t classes = 0, size = 0, channels = 0;
    bool standard = false, done;
    char **images = malloc(MAX_IMAGES * sizeof *images);
    int n_images = 0;
    if (!images) return sg_cli_fail("features", "out of memory");
    sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .arg = "W",
         .help = "checkpoint from steelgrad train, or reference weights with --model (required)"},
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .arg = "DIR",
         .help = "a folder per class (instead of IMAGE...)"},
        {.name = "output", .type = SG_OPT_STRING, .dest = &output, .short_name = 'o', .arg = "X.npy",
         .help = "N x D float32 features to write (required)"},
        {.name = "labels", .type = SG_OPT_STRING, .dest = &labels_out, .arg = "Y.npy",
         .help = "also write the N class indices as int32 (with --data)"},
        {.name = "standardize", .type = SG_OPT_FLAG, .dest = &standard,
         .help = "every column to mean 0, standard deviation 1 over these images"},
        {.name = "layer", .type = SG_OPT_STRING, .dest = &layer, .arg = "NAME",
         .help = "features of this named layer (a PyTorch module path, e.g. layer3; steelgrad "
                 "explain lists them for a bad name), average-pooled over space; default: the "
                 "backbone's last map"},
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .arg = "NAME",
         .help = "zoo model of weights without steelgrad metadata (steelgrad model list)"},
        {.name = "classes", .type = SG_OPT_INT, .dest = &classes, .arg = "K", .min = 2, .max = 100000,
         .help = "outputs of those weights' classifier (1000 for ImageNet), with --model"},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .arg = "S", .min = 8, .max = 4096,
         .help = "input side, with --model (default: the model's, 224 for resnet50)"},
        {.name = "channels", .type = SG_OPT_INT, .dest = &channels, .arg = "C", .min = 1, .max = 3,
         .help = "1 (gray, the RGB stem summed) or 3, with --model (default 3)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&features_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], images, MAX_IMAGES,
                          &n_images, &done);
    sg_run_model rm;
    bool open = false;
    sg_dataset ds;
    bool have_ds = false;
    const char **paths = NULL;
    int32_t *labels = NULL;
    float *X = NULL;
    if (done) goto out;
    if (!weights || !output || (!data) == (n_images == 0)) {
        rc = sg_cli_usage("features", "--weights, --output and either --data DIR or IMAGE... are required");
        goto out;
    }
    if ((model != NULL) != (classes != 0) || (!model && (size || channels))) {
        rc = sg_cli_usage("features", "--model and --classes go together (weights without steelgrad metadata); "
                                      "--size and --channels need them");
        goto out;
    }
    if (model && !sg_model_find(model)) {
        rc = sg_cli_usage("features", "--model: unknown model '%s' (steelgrad model list)", model);
        goto out;
    }
    if (channels == 2) {
        rc = sg_cli_usage("features", "--channels: expected 1 or 3, got 2");
        goto out;
    }
    if (labels_out && !data) {
        rc = sg_cli_usage("features", "--labels needs --data DIR (the class of a loose IMAGE is not known)");
        goto out;
    }
    const char *inputs[3] = {weights, data, labels_out};
    if (sg_output_check(output, inputs, 3) != SG_OK ||
        (labels_out && sg_output_check(labels_out, inputs, 2) != SG_OK) ||
        (labels_out && strcmp(labels_out, output) == 0)) {
        rc = sg_cli_usage("features", "%s", labels_out && strcmp(labels_out, output) == 0
                                                ? "--labels and --output are the same file"
                                                : sg_error_message());
        goto out;
    }
    for (int i = 0; i < n_images; i++) {
        const char *one[1] = {images[i]};
        if (sg_output_check(output, one, 1) != SG_OK ||
            (labels_out && sg_output_check(labels_out, one, 1) != SG_OK)) {
            rc = sg_cli_usage("features", "%s", sg_error_message());
            goto out;
        }
    }
    sg_err err = model ? sg_run_model_reference(weights, model, (int)classes, (int)channels, (int)size, &rm)
                       : sg_run_model_open(weights, &rm);
    if (err != SG_OK) {
        rc = sg_cli_fail_err("features", err);
        goto out;
    }
    open = true;
    int64_t n = n_images;
    if (data) {
        have_ds = true;
        err = data_images(&rm, model != NULL, data, &ds, &paths, &labels, &n);
    } else {
        paths = (const char **)images;
    }
    int64_t D = rm.model.feature_channels;
    if (err == SG_OK && layer && (err = layer_dim(&rm, layer, &D)) == SG_ERR_INVALID) {
        rc = sg_cli_usage("features", "--layer: %s", sg_error_message());
        goto out;
    }
    bool *bad = err == SG_OK ? calloc((size_t)n, sizeof *bad) : NULL;
    sg_image_message *messages = err == SG_OK ? calloc((size_t)n, sizeof *messages) : NULL;
    if (err == SG_OK && (!bad || !messages)) err = sg_error_set(SG_ERR_NOMEM, "features: out of memory");
    if (err == SG_OK) {
        sg_images_check(paths, n, bad, messages, NULL);
        for (int64_t i = 0; i < n && err == SG_OK; i++)
            if (bad[i]) err = sg_error_set(SG_ERR_FORMAT, "%s", messages[i]);
    }
    free(bad);
    free(messages);
    if (err == SG_OK && !(X = malloc((size_t)(n * D) * sizeof *X)))
        err = sg_error_set(SG_ERR_NOMEM, "features: out of memory for %lld x %lld", (long long)n, (long long)D);
    if (err == SG_OK) err = extract(&rm, layer, paths, n, X, D);
    if (err == SG_OK && standard) standardize(X, n, D);
    int64_t xshape[2] = {n, D}, yshape[1] = {n};
    if (err == SG_OK) err = sg_npy_write_f32(output, 2, xshape, X);
    if (err == SG_OK && labels_out) err = sg_npy_write_i32(labels_out, 1, yshape, labels);
    if (err != SG_OK) {
        rc = sg_cli_fail_err("features", err);
        goto out;
    }
    printf("{\"features\": \"%s\", \"images\": %lld, \"dim\": %lld, \"model\": \"%s\", \"standardized\": %s%s%s%s}\n",
           output, (long long)n, (long long)D, rm.model.def ? rm.model.def->name : "?", standard ? "true" : "false",
           labels_out ? ", \"labels\": \"" : "", labels_out ? labels_out : "", labels_out ? "\"" : "");
    rc = SG_EXIT_OK;
out:
    free(X);
    free(labels);
    if (paths != (const char **)images) free(paths);
    if (have_ds) sg_dataset_free(&ds);
    if (open) sg_run_model_close(&rm);
    free(images);
    return rc;
}

/* bench/bench_loader.c - does the batch loader keep up with training?
 *
 * Trains MobileNetV2 (6 classes, width 1.0, torchvision's layout) on batches of
 * 32 images, 3 x 224 x 224, ImageNet mean/std, random horizontal and vertical
 * flips, from the loader with 1 worker thread, and measures per batch:
 *   data_ms_per_batch   time the training loop waits inside sg_loader_next
 *                       (the loader works while the model trains, so this is
 *                       what data loading really costs the step)
 *   step_ms_per_batch   forward + cross-entropy + backward + Adam step
 *   loader_ms_per_batch the loader alone, the next epoch pulled without
 *                       training (what one worker needs to build a batch)
 * First a warm epoch: every image is decoded into the loader's cache and two
 * training steps size the arena and the Adam state; then `--batches` batches
 * are measured (images cached, no malloc in the loop).
 *
 * Data: the class folders at --data DIR, else $SG_DATA_DIR/neu-cls, else
 * ../shared/data/neu-cls (as the tests look for NEU-CLS); without them,
 * synthetic steel images (data/synth.h, 6 NEU-like classes, 200 x 200) are
 * written once to $TMPDIR/steelgrad-bench-synth-<n> and reused. --images N
 * takes N images spread evenly over the data set (default 256).
 *
 * If /usr/bin/python3 and bench/bench_mobilenetv2_torch.py are there, PyTorch
 * times the same training step on the same thread count in the same run and
 * a last line gives our step time over torch's. JSON lines; never pass/fail.
 *
 *   build/bench/bench_loader [--data DIR] [--images 256] [--batches 8] [--no-torch]
 * Threads: SG_THREADS (default: online cores). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cpu.h"
#include "core/init.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data/synth.h"
#include "layers/loss.h"
#include "models/mobilenetv2.h"
#include "optim/optim.h"

enum { BATCH = 32, SIZE = 224, CHANNELS = 3, CLASSES = 6, WORKERS = 1 };
static const float IMAGENET_MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float IMAGENET_STD[3] = {0.229f, 0.224f, 0.225f};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_loader: %s: %s\n", what, sg_error_message());
    return 1;
}

/* The class-folder root to read into *root: --data, NEU-CLS, or synthetic
 * images written for `images` samples. *kind names which. */
static sg_err find_data(const char *flag, int images, char *root, size_t size, const char **kind)
{
    const char *env = getenv("SG_DATA_DIR");
    if (flag) {
        snprintf(root, size, "%s", flag);
        *kind = "given";
        return SG_OK;
    }
    snprintf(root, size, "%s/neu-cls", env && *env ? env : "../shared/data");
    *kind = "neu-cls";
    if (is_dir(root)) return SG_OK;
    const char *tmp = getenv("TMPDIR");
    int per_class = (images + CLASSES - 1) / CLASSES;
    char out[1024];
    snprintf(out, sizeof out, "%s/steelgrad-bench-synth-%d", tmp && *tmp ? tmp : "/tmp",
             per_class * CLASSES);
    *kind = "synthetic";
    if (snprintf(root, size, "%s/images", out) >= (int)size)
        return sg_error_set(SG_ERR_INVALID, "temporary directory name '%s' is too long", out);
    if (is_dir(root)) return SG_OK;                 /* written by an earlier run */
    sg_synth_opts o = sg_synth_defaults();
    o.classes = (1u << CLASSES) - 1;                /* the six defect classes, no "good" */
    return sg_synth_write(out, &o, per_class, 1);
}

/* The model, its optimiser and graph, and the time spent in training steps. */
typedef struct trainer {
    sg_mobilenetv2 model;
    sg_optimizer *opt;
    sg_graph *g;
    uint64_t step;
    double step_seconds;
    int steps;
} trainer;

static sg_err train_step(trainer *t, const sg_batch *b)
{
    double t0 = now();
    sg_graph_reset(t->g);
    sg_graph_set_seed(t->g, 1, t->step++);
    sg_params_zero_grad(&t->model.params);
    sg_tensor *x = sg_graph_view(t->g, b->images, 4, (int64_t[]){b->n, CHANNELS, SIZE, SIZE});
    sg_tensor *loss = sg_cross_entropy(t->g, sg_mobilenetv2_forward(t->g, &t->model, x),
                                       b->labels, NULL);
    if (!loss) return sg_graph_error(t->g);   /* the message is in sg_error_message() */
    sg_err err = sg_graph_backward(t->g, loss);
    if (err == SG_OK) err = sg_optimizer_step(t->opt, &t->model.params);
    t->step_seconds += now() - t0;
    t->steps++;
    return err;
}

/* One epoch of the loader, at most max_batches batches, training on the
 * first train_batches of them (t may be NULL for none). *wait = seconds
 * inside sg_loader_next, *n = batches taken. */
static sg_err run_epoch(sg_loader *l, int64_t epoch, int max_batches, trainer *t,
                        int train_batches, double *wait, int *n)
{
    sg_err err = sg_loader_start_epoch(l, epoch);
    *wait = 0, *n = 0;
    while (err == SG_OK && *n < max_batches) {
        sg_batch b;
        bool has;
        double t0 = now();
        err = sg_loader_next(l, &b, &has);
        *wait += now() - t0;
        if (err != SG_OK || !has) break;
        if (t && *n < train_batches) err = train_step(t, &b);
        (*n)++;
    }
    return err;
}

/* Run the torch script; echo its line; return its step ms (0 if none). */
static double torch_step_ms(int threads, int classes, int steps)
{
    const char *script = "bench/bench_mobilenetv2_torch.py", *python = "/usr/bin/python3";
    struct stat st;
    if (stat(script, &st) != 0 || stat(python, &st) != 0) {
        printf("{\"bench\":\"mobilenetv2_step\",\"impl\":\"torch\",\"skipped\":\"no %s or %s\"}\n",
               python, script);
        return 0;
    }
    char cmd[512], line[1024];
    snprintf(cmd, sizeof cmd, "%s %s %d %d %d %d %d", python, script, threads, BATCH, SIZE,
             classes, steps);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    double ms = 0;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        const char *at = strstr(line, "\"step_ms_per_batch\": ");
        if (at) ms = atof(at + strlen("\"step_ms_per_batch\": "));
    }
    pclose(p);
    return ms;
}

int main(int argc, char **argv)
{
    const char *data_flag = NULL;
    int images = 256, batches = 8;
    bool torch = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) data_flag = argv[++i];
        else if (!strcmp(argv[i], "--images") && i + 1 < argc) images = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) batches = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch")) torch = false;
        else {
            fprintf(stderr, "usage: %s [--data DIR] [--images N] [--batches N] [--no-torch]\n",
                    argv[0]);
            return 2;
        }
    }
    if (images < BATCH || batches < 1) {
        fprintf(stderr, "bench_loader: --images must be >= %d and --batches >= 1\n", BATCH);
        return 2;
    }
    if (sg_init() != SG_OK) return fail("sg_init");

    char root[1024];
    const char *kind;
    sg_dataset ds;
    if (find_data(data_flag, images, root, sizeof root, &kind) != SG_OK) return fail(root);
    if (sg_dataset_from_folders(root, NULL, &ds) != SG_OK) return fail(root);
    if (ds.n_samples < images) images = ds.n_samples;
    /* `images` samples spread evenly over the (class-sorted) data set. */
    const char **paths = malloc(sizeof *paths * (size_t)images);
    int32_t *labels = malloc(sizeof *labels * (size_t)images);
    if (!paths || !labels) return 1;
    for (int i = 0; i < images; i++) {
        const sg_sample *s = &ds.samples[(int64_t)i * ds.n_samples / images];
        paths[i] = s->path;
        labels[i] = s->label;
    }

    sg_augment_opts flips = sg_augment_opts_default();
    flips.horizontal_flip = flips.vertical_flip = true;
    sg_loader_opts lo = {.batch_size = BATCH, .channels = CHANNELS, .height = SIZE, .width = SIZE,
                         .shuffle = true, .drop_last = true, .seed = 1, .augment = &flips,
                         .mean = IMAGENET_MEAN, .std = IMAGENET_STD, .workers = WORKERS};
    sg_loader *loader;
    if (sg_loader_new(paths, labels, images, &lo, &loader) != SG_OK) return fail("loader");

    trainer t = {.opt = sg_adam_new(NULL), .g = sg_graph_new()};
    sg_mobilenetv2_config cfg = sg_mobilenetv2_defaults(ds.n_classes);
    if (!t.opt || !t.g || sg_mobilenetv2_init(&t.model, &cfg, 1) != SG_OK) return fail("model");

    /* Warm epoch: decode everything into the cache; two steps: the first grows
     * the arena to its high-water mark, the second first touches the block
     * it was merged into (page faults), later steps reuse it as it is. */
    double wait;
    int n;
    int64_t per_epoch = sg_loader_batches_per_epoch(loader);
    double t0 = now();
    if (run_epoch(loader, 0, (int)per_epoch, &t, 2, &wait, &n) != SG_OK) return fail("warm epoch");
    double warm = now() - t0;
    /* Measured: training on each batch, then the loader alone. */
    int64_t epoch = 1;
    double data = 0;
    int measured = 0;
    t.step_seconds = 0, t.steps = 0;
    while (measured < batches) {
        if (run_epoch(loader, epoch++, batches - measured, &t, batches, &wait, &n) != SG_OK)
            return fail("epoch");
        data += wait, measured += n;
    }
    double loader_only = 0;
    int loader_batches = 0;
    while (loader_batches < batches) {
        if (run_epoch(loader, epoch++, batches - loader_batches, NULL, 0, &wait, &n) != SG_OK)
            return fail("loader epoch");
        loader_only += wait, loader_batches += n;
    }

    const sg_cpu_features *cpu = sg_cpu();
    double data_ms = data / measured * 1e3, step_ms = t.step_seconds / t.steps * 1e3;
    printf("{\"bench\":\"loader_vs_step\",\"model\":\"mobilenetv2\",\"classes\":%d,"
           "\"data\":\"%s\",\"dir\":\"%s\",\"images\":%d,\"batch\":%d,\"size\":%d,\"channels\":%d,"
           "\"augment\":\"hflip+vflip\",\"workers\":%d,\"threads\":%d,\"batches\":%d,"
           "\"warm_epoch_s\":%.2f,\"data_ms_per_batch\":%.2f,\"step_ms_per_batch\":%.1f,"
           "\"ratio\":%.5f,\"loader_ms_per_batch\":%.1f,\"peak_arena_mb\":%.0f,"
           "\"isa\":\"%s\",\"cpu\":\"%s\"}\n",
           ds.n_classes, kind, root, images, BATCH, SIZE, CHANNELS, WORKERS, sg_threads(), measured,
           warm, data_ms, step_ms, data_ms / step_ms, loader_only / loader_batches * 1e3,
           sg_graph_peak_bytes(t.g) / 1048576.0, sg_isa_name(sg_kernels()->isa),
           cpu->brand[0] ? cpu->brand : cpu->vendor);
    if (torch) {
        double torch_ms = torch_step_ms(sg_threads(), ds.n_classes, batches);
        if (torch_ms > 0)
            printf("{\"bench\":\"mobilenetv2_step\",\"ratio\":\"steelgrad step ms / torch step ms\","
                   "\"threads\":%d,\"steelgrad_ms\":%.1f,\"torch_ms\":%.1f,\"value\":%.3f}\n",
                   sg_threads(), step_ms, torch_ms, step_ms / torch_ms);
    }
    sg_graph_free(t.g);
    sg_optimizer_free(t.opt);
    sg_mobilenetv2_free(&t.model);
    sg_loader_free(loader);
    free(paths), free(labels);
    sg_dataset_free(&ds);
    return 0;
}

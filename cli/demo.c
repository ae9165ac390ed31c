/* cli/demo.c - `steelgrad demo`: the main job on built-in data.
 *
 * Generates a labelled image task in memory - by default the synthetic steel
 * defects of data/synth.h, or the toy task of data/toy.h -, trains the plain
 * CNN (models/cnn.h) with Adam and cross-entropy, evaluates it on held-out
 * images, and writes DIR/final.safetensors and DIR/metrics.json. With the same
 * seed the final weights are bit-identical on any SG_THREADS.
 * docs/TOUR.md follows one call of train_step() below down to the kernels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/graph.h"
#include "core/json.h"
#include "core/mathf.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/synth.h"
#include "data/toy.h"
#include "layers/loss.h"
#include "models/cnn.h"
#include "optim/optim.h"

static const sg_cli_command demo_cmd = {
    "demo",
    "steelgrad demo [--task synth|toy] [--seed N] [-o|--out DIR] [--epochs N] [--train N] [--test N]\n"
    "               [--batch N] [--lr X] [--log FILE.jsonl]",
    "Generate images, train a small CNN on them, evaluate it on held-out images and write\n"
    "DIR/final.safetensors and DIR/metrics.json (with the confusion matrix). Needs no data\n"
    "and no network. Tasks:\n"
    "  synth  (default) the synthetic steel-defect set of `steelgrad synth`: six NEU-like\n"
    "         defect classes and good steel, 64x64 gray; 4 x (conv-BN-ReLU-maxpool) with\n"
    "         widths 8-16-32-64, global max pool, linear; random flips while training\n"
    "  toy    four easy classes (clean, horizontal scratch, vertical scratch, spot), 32x32;\n"
    "         2 x (conv-BN-ReLU-maxpool), flatten, linear"};

/* A generated task: images are a pure function of (seed, index). */
typedef struct demo_task {
    const char *name;
    int classes, size, n_blocks, widths[4];
    sg_cnn_head head;
    bool flips;             /* random horizontal and vertical flips while training */
    const char *const *class_names;
    void (*image)(uint64_t seed, uint64_t index, int size, float *pixels, int32_t *label);
    int64_t train_n, test_n, epochs;    /* defaults of --train, --test, --epochs */
    double lr;                          /* default of --lr */
} demo_task;

static void toy_image(uint64_t seed, uint64_t index, int size, float *pixels, int32_t *label)
{
    sg_toy_image(seed, index, size, pixels);
    *label = sg_toy_label(index);
}

/* Synthetic steel (data/synth.h): class = index mod 7, sample = index / 7. */
enum { SYNTH_SIZE = 64 };
static void synth_image(uint64_t seed, uint64_t index, int size, float *pixels, int32_t *label)
{
    uint8_t gray[SYNTH_SIZE * SYNTH_SIZE];
    sg_synth_opts so = sg_synth_defaults();
    so.size = SYNTH_SIZE;
    *label = (int32_t)(index % SG_SYNTH_CLASSES);
    /* Cannot fail for a valid size and class; a zero image would show in the accuracy. */
    if (sg_synth_sample(&so, seed, index / SG_SYNTH_CLASSES, *label, gray, NULL, NULL, 0, NULL) != SG_OK)
        memset(gray, 0, sizeof gray);
    for (int i = 0; i < size * size; i++) pixels[i] = gray[i] / 255.0f;
}

/* The first task is the default. */
static const demo_task tasks[] = {
    {"synth", SG_SYNTH_CLASSES, SYNTH_SIZE, 4, {8, 16, 32, 64}, SG_CNN_GLOBAL_MAX, true,
     sg_synth_class_names, synth_image, 2800, 700, 6, 8e-3},
    {"toy", SG_TOY_CLASSES, 32, 2, {8, 16}, SG_CNN_FLATTEN, false, sg_toy_class_names, toy_image,
     2048, 512, 3, 4e-3},
};

typedef struct demo_opts {
    int64_t seed, epochs, train_n, test_n, batch, size;
    double lr;
    const char *out, *log, *task_name;
    const demo_task *task;
} demo_opts;

/* Every image of the run, generated once: [train_n + test_n, size, size]
 * floats in [0, 1] and their labels. Image i is a pure function of (seed, i),
 * so the threads may build them in any order. */
typedef struct demo_images {
    const demo_opts *o;
    float *pixels;
    int32_t *labels;
} demo_images;

static void generate_range(void *arg, int64_t i0, int64_t i1)
{
    demo_images *d = arg;
    int64_t pixels = d->o->size * d->o->size;
    for (int64_t i = i0; i < i1; i++)
        d->o->task->image((uint64_t)d->o->seed, (uint64_t)i, (int)d->o->size,
                          d->pixels + i * pixels, &d->labels[i]);
}

/* Images order[first .. first + n) into x [n, 1, size, size] and y [n].
 * With `flip_key`, each image is mirrored left-right and/or top-bottom by two
 * bits drawn for (key, image index): the same flips on any thread count. */
static void fill_batch(const demo_images *d, const int64_t *order, int64_t first, int64_t n,
                       const sg_rng_key *flip_key, float *x, int32_t *y)
{
    const int64_t size = d->o->size, pixels = size * size;
    for (int64_t i = 0; i < n; i++) {
        const int64_t k = order[first + i];
        const float *src = d->pixels + k * pixels;
        float *dst = x + i * pixels;
        y[i] = d->labels[k];
        uint32_t bits = flip_key ? sg_rng_u32(*flip_key, (uint64_t)k) : 0;
        for (int64_t r = 0; r < size; r++) {
            const float *row = src + ((bits & 2) ? size - 1 - r : r) * size;
            float *out = dst + r * size;
            if (bits & 1)
                for (int64_t c = 0; c < size; c++) out[c] = row[size - 1 - c];
            else
                memcpy(out, row, (size_t)size * sizeof *out);
        }
    }
}

/* Correct argmax predictions in the batch; with `confusion` ([K, K], row =
 * true class, column = predicted), also counts each (true, predicted) pair. */
static int count_correct(const sg_tensor *logits, const int32_t *y, int64_t *confusion)
{
    int64_t N = logits->shape[0], K = logits->shape[1];
    int correct = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t best = 0;
        for (int64_t k = 1; k < K; k++)
            if (logits->data[i * K + k] > logits->data[i * K + best]) best = k;
        correct += best == y[i];
        if (confusion) confusion[y[i] * K + best]++;
    }
    return correct;
}

/* Divergence: a loss that is not finite, or above DIVERGED_FACTOR times the
 * first step's loss (cross-entropy of a fresh model is about log K; with too
 * high a learning rate, batch norm keeps the loss finite but huge, ~1e30). */
#define DIVERGED_FACTOR 1000.0

/* One training step: forward onto the tape, loss, backward, optimiser update.
 * The graph is reset first, which hands the previous step's activations back
 * to the arena (no malloc once the first step has sized it). A loss above
 * loss_limit (or NaN) is left in *step_loss with no update made: the caller
 * stops and says so. */
static sg_err train_step(sg_graph *g, sg_cnn *model, sg_optimizer *opt, float *images,
                         const int32_t *labels, int64_t n, uint64_t seed, uint64_t step,
                         double loss_limit, double *loss_sum, int *correct, float *step_loss)
{
    sg_graph_reset(g);
    sg_graph_set_seed(g, seed, step);
    sg_params_zero_grad(&model->params);
    int64_t shape[4] = {n, 1, model->cfg.image_size, model->cfg.image_size};
    sg_tensor *x = sg_graph_view(g, images, 4, shape);
    sg_tensor *logits = sg_cnn_forward(g, model, x);
    sg_tensor *loss = sg_cross_entropy(g, logits, labels, NULL);
    if (!loss) return sg_graph_error(g);
    *step_loss = loss->data[0];
    if (!(*step_loss <= loss_limit)) return SG_OK;  /* NaN too */
    sg_err err = sg_graph_backward(g, loss);
    if (err != SG_OK) return err;
    err = sg_optimizer_step(opt, &model->params);
    if (err != SG_OK) return err;
    *loss_sum += loss->data[0] * (double)n;
    *correct += count_correct(logits, labels, NULL);
    return SG_OK;
}

/* Loss, accuracy and confusion matrix on images order[first .. first + n) in
 * eval mode, without a tape. */
static sg_err evaluate(sg_graph *g, sg_cnn *model, const demo_images *d, const int64_t *order,
                       int64_t first, int64_t n, float *x, int32_t *y, double *loss_mean,
                       double *accuracy, int64_t *confusion)
{
    const int64_t batch = d->o->batch, size = d->o->size;
    double loss_sum = 0;
    int correct = 0;
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    for (int64_t b = 0; b < n; b += batch) {
        int64_t nb = n - b < batch ? n - b : batch;
        fill_batch(d, order, first + b, nb, NULL, x, y);
        sg_graph_reset(g);
        sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){nb, 1, size, size});
        sg_tensor *logits = sg_cnn_forward(g, model, in);
        sg_tensor *loss = sg_cross_entropy(g, logits, y, NULL);
        if (!loss) break;
        loss_sum += loss->data[0] * (double)nb;
        correct += count_correct(logits, y, confusion);
    }
    sg_graph_set_grad_enabled(g, true);
    sg_graph_set_training(g, true);
    *loss_mean = loss_sum / (double)n;
    *accuracy = (double)correct / (double)n;
    return sg_graph_error(g);
}

static sg_err write_metrics(const char *path, const demo_opts *o, const sg_cnn *model,
                            double test_loss, double test_acc, double train_acc,
                            const int64_t *confusion, size_t peak_bytes, double seconds)
{
    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "task", o->task->name);
    sg_json_writer_kv_string(&w, "model", "cnn");
    sg_json_writer_kv_number(&w, "accuracy", test_acc);
    sg_json_writer_kv_number(&w, "loss", test_loss);
    sg_json_writer_kv_number(&w, "train_accuracy", train_acc);
    sg_json_writer_kv_int64(&w, "test_images", o->test_n);
    sg_json_writer_kv_int64(&w, "train_images", o->train_n);
    sg_json_writer_kv_int64(&w, "epochs", o->epochs);
    sg_json_writer_kv_int64(&w, "seed", o->seed);
    sg_json_writer_kv_int64(&w, "params", sg_params_count(&model->params));
    sg_json_writer_kv_int64(&w, "peak_arena_bytes", (int64_t)peak_bytes);
    sg_json_writer_kv_int64(&w, "threads", sg_threads());
    sg_json_writer_kv_number(&w, "seconds", seconds);
    sg_json_writer_key(&w, "classes");
    sg_json_writer_begin_array(&w);
    for (int k = 0; k < o->task->classes; k++) sg_json_writer_string(&w, o->task->class_names[k]);
    sg_json_writer_end_array(&w);
    /* Held-out confusion matrix: row = true class, column = predicted. */
    sg_json_writer_key(&w, "confusion");
    sg_json_writer_begin_array(&w);
    for (int r = 0; r < o->task->classes; r++) {
        sg_json_writer_begin_array(&w);
        for (int c = 0; c < o->task->classes; c++)
            sg_json_writer_int64(&w, confusion[r * o->task->classes + c]);
        sg_json_writer_end_array(&w);
    }
    sg_json_writer_end_array(&w);
    sg_json_writer_end_object(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    sg_err err = text ? sg_file_write_atomic(path, text, len) : SG_ERR_NOMEM;
    sg_json_writer_free(&w);
    return err;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_demo(int argc, char **argv)
{
    /* -1: the task's default. */
    demo_opts o = {.seed = 42, .epochs = -1, .train_n = -1, .test_n = -1, .batch = 32, .lr = -1,
                   .out = "runs/demo", .log = NULL, .task_name = tasks[0].name};
    bool done;
    sg_cli_opt opts[] = {
        {.name = "task", .type = SG_OPT_STRING, .dest = &o.task_name, .arg = "NAME", .help = "synth (default) or toy"},
        {.name = "seed", .type = SG_OPT_INT, .dest = &o.seed, .min = 0, .max = SG_CLI_NO_MAX,
         .help = "random seed for data, init, flips and shuffling (default 42)"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &o.out, .short_name = 'o', .arg = "DIR",
         .help = "output directory (default runs/demo)"},
        {.name = "epochs", .type = SG_OPT_INT, .dest = &o.epochs, .min = 1, .max = 100000,
         .help = "passes over the training images (synth 6, toy 3)"},
        {.name = "train", .type = SG_OPT_INT, .dest = &o.train_n, .min = 1, .max = 1000000,
         .help = "training images (synth 2800, toy 2048)"},
        {.name = "test", .type = SG_OPT_INT, .dest = &o.test_n, .min = 1, .max = 1000000,
         .help = "held-out images (synth 700, toy 512)"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &o.batch, .min = 1, .max = 4096, .help = "batch size (default 32)"},
        {.name = "lr", .type = SG_OPT_FLOAT, .dest = &o.lr, .min = 0, .above_min = true,
         .help = "peak Adam learning rate, cosine-annealed to 0 (synth 0.008, toy 0.004)"},
        {.name = "log", .type = SG_OPT_STRING, .dest = &o.log, .arg = "FILE.jsonl",
         .help = "append one JSON object per epoch to this file"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&demo_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0,
                          NULL, &done);
    if (done) return rc;
    for (size_t t = 0; t < sizeof tasks / sizeof tasks[0]; t++)
        if (strcmp(o.task_name, tasks[t].name) == 0) o.task = &tasks[t];
    if (!o.task) return sg_cli_usage("demo", "--task: expected synth or toy, got '%s'", o.task_name);
    /* The ranges above refuse -1, so -1 still means "not given". */
    if (o.epochs == -1) o.epochs = o.task->epochs;
    if (o.train_n == -1) o.train_n = o.task->train_n;
    if (o.test_n == -1) o.test_n = o.task->test_n;
    if (o.lr == -1) o.lr = o.task->lr;
    o.size = o.task->size;
    sg_err err = sg_mkdir_p(o.out);
    if (err != SG_OK) return sg_cli_fail_err("demo", err);

    sg_cnn model;
    sg_cnn_config cfg = {.in_channels = 1, .image_size = (int)o.size, .classes = o.task->classes,
                         .n_blocks = o.task->n_blocks, .head = o.task->head};
    for (int i = 0; i < o.task->n_blocks; i++) cfg.widths[i] = o.task->widths[i];
    if ((err = sg_cnn_init(&model, &cfg, (uint64_t)o.seed)) != SG_OK) {
        rc = sg_cli_fail_err("demo", err);
        sg_cnn_free(&model);
        return rc;
    }
    sg_adam_opts adam = sg_adam_defaults();
    adam.lr = o.lr;
    sg_optimizer *opt = sg_adam_new(&adam);
    sg_graph *g = sg_graph_new();
    int64_t pixels = o.size * o.size;
    float *x = malloc((size_t)(o.batch * pixels) * sizeof *x);
    int32_t *y = malloc((size_t)o.batch * sizeof *y);
    int64_t *order = malloc((size_t)(o.train_n + o.test_n) * sizeof *order);
    int64_t *confusion = calloc((size_t)(o.task->classes * o.task->classes), sizeof *confusion);
    demo_images data = {.o = &o,
                        .pixels = malloc((size_t)((o.train_n + o.test_n) * pixels) * sizeof(float)),
                        .labels = malloc((size_t)(o.train_n + o.test_n) * sizeof(int32_t))};
    FILE *log = o.log ? fopen(o.log, "a") : NULL;
    if (!opt || !g || !x || !y || !order || !confusion || !data.pixels || !data.labels ||
        (o.log && !log)) {
        rc = o.log && !log ? sg_cli_fail("demo", "cannot open log file %s", o.log)
                           : sg_cli_fail("demo", "out of memory");
        goto cleanup;
    }
    printf("demo: task %s, %lld training and %lld held-out images %lldx%lld, %d classes, CNN with "
           "%lld parameters, %d threads\n", o.task->name, (long long)o.train_n, (long long)o.test_n,
           (long long)o.size, (long long)o.size, o.task->classes,
           (long long)sg_params_count(&model.params), sg_threads());

    double t0 = seconds_now(), train_acc = 0, first_loss = 0;
    /* Training images are task indices [0, train_n); held-out ones
     * [train_n, train_n + test_n). */
    sg_parallel_for(o.train_n + o.test_n, 16, generate_range, &data);
    uint64_t step = 0, total_steps = (uint64_t)(o.epochs * ((o.train_n + o.batch - 1) / o.batch));
    for (int64_t epoch = 0; epoch < o.epochs; epoch++) {
        /* The epoch's order and flips depend only on (seed, epoch). */
        const sg_rng_key flip_key = {(uint64_t)o.seed, SG_RNG_AUGMENT, (uint64_t)epoch};
        sg_rng_permutation((sg_rng_key){(uint64_t)o.seed, SG_RNG_SHUFFLE, (uint64_t)epoch},
                           order, o.train_n);
        double loss_sum = 0;
        int correct = 0;
        for (int64_t b = 0; b < o.train_n; b += o.batch) {
            int64_t nb = o.train_n - b < o.batch ? o.train_n - b : o.batch;
            fill_batch(&data, order, b, nb, o.task->flips ? &flip_key : NULL, x, y);
            sg_optimizer_set_lr(opt, o.lr * 0.5 * (1.0 + sg_cospi_f64((double)step / (double)total_steps)));
            float step_loss = 0;
            double limit = step == 0 ? INFINITY : DIVERGED_FACTOR * fmax(first_loss, 1.0);
            err = train_step(g, &model, opt, x, y, nb, (uint64_t)o.seed, step++, limit, &loss_sum, &correct,
                             &step_loss);
            if (err != SG_OK) {
                rc = sg_cli_fail_err("demo", err);
                goto cleanup;
            }
            if (step == 1) first_loss = step_loss;
            if (!(step_loss <= limit)) {
                char what[96];
                if (isfinite(step_loss))
                    snprintf(what, sizeof what, "%g (over %g x the first step's %g)", step_loss, DIVERGED_FACTOR,
                             first_loss);
                else snprintf(what, sizeof what, "%s", isnan(step_loss) ? "NaN" : "inf");
                rc = sg_cli_fail("demo", "loss became %s at epoch %lld, step %lld (lr %g); try a lower --lr", what,
                                 (long long)epoch + 1, (long long)(b / o.batch) + 1, o.lr);
                goto cleanup;
            }
        }
        train_acc = (double)correct / (double)o.train_n;
        printf("epoch %lld: train loss %.4f, train accuracy %.4f\n", (long long)epoch + 1,
               loss_sum / (double)o.train_n, train_acc);
        if (log) {
            fprintf(log, "{\"epoch\":%lld,\"train_loss\":%.6f,\"train_accuracy\":%.6f}\n",
                    (long long)epoch + 1, loss_sum / (double)o.train_n, train_acc);
            fflush(log);
        }
    }

    for (int64_t i = 0; i < o.test_n; i++) order[i] = o.train_n + i;
    double test_loss, test_acc;
    if ((err = evaluate(g, &model, &data, order, 0, o.test_n, x, y, &test_loss, &test_acc,
                        confusion)) != SG_OK) {
        rc = sg_cli_fail_err("demo", err);
        goto cleanup;
    }
    if (!isfinite(test_loss)) {
        rc = sg_cli_fail("demo", "loss became %s on the held-out images after epoch %lld (lr %g); try a lower --lr",
                         isnan(test_loss) ? "NaN" : "inf", (long long)o.epochs, o.lr);
        goto cleanup;
    }
    double seconds = seconds_now() - t0;
    size_t peak = sg_graph_peak_bytes(g);
    printf("held-out: loss %.4f, accuracy %.4f (%lld images); %.1f s; peak arena %zu bytes\n",
           test_loss, test_acc, (long long)o.test_n, seconds, peak);
    /* Recall per class: the diagonal over the row of the confusion matrix. */
    int width = 5;
    for (int k = 0; k < o.task->classes; k++)
        if (sg_cli_display_width(o.task->class_names[k]) > width) width = sg_cli_display_width(o.task->class_names[k]);
    char cell[128];
    printf("held-out accuracy per class (recall):\n  %s  recall  images\n", sg_cli_pad(cell, sizeof cell, "class", width));
    for (int k = 0; k < o.task->classes; k++) {
        int64_t row = 0;
        for (int c = 0; c < o.task->classes; c++) row += confusion[k * o.task->classes + c];
        printf("  %s  %6.3f  %6lld\n", sg_cli_pad(cell, sizeof cell, o.task->class_names[k], width),
               row ? (double)confusion[k * o.task->classes + k] / (double)row : 0.0, (long long)row);
    }

    char path[4096], seed_text[32], classes[512] = "";
    snprintf(seed_text, sizeof seed_text, "%lld", (long long)o.seed);
    for (int k = 0; k < o.task->classes; k++)
        snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s%s", k ? "," : "",
                 o.task->class_names[k]);
    const char *meta[] = {"model", "cnn", "task", o.task->name, "classes", classes, "seed", seed_text};
    snprintf(path, sizeof path, "%s/final.safetensors", o.out);
    if ((err = sg_params_save(&model.params, path, meta, 4)) != SG_OK) {
        rc = sg_cli_fail_err("demo", err);
        goto cleanup;
    }
    printf("wrote %s\n", path);
    snprintf(path, sizeof path, "%s/metrics.json", o.out);
    if ((err = write_metrics(path, &o, &model, test_loss, test_acc, train_acc, confusion, peak,
                             seconds)) != SG_OK) {
        rc = sg_cli_fail_err("demo", err);
        goto cleanup;
    }
    printf("wrote %s\n", path);
    rc = SG_EXIT_OK;

cleanup:
    if (log) fclose(log);
    free(x);
    free(y);
    free(order);
    free(confusion);
    free(data.pixels);
    free(data.labels);
    sg_graph_free(g);
    sg_optimizer_free(opt);
    sg_cnn_free(&model);
    return rc;
}

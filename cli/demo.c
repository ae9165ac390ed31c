/* cli/demo.c - `steelgrad demo`: the main job on built-in data.
 *
 * Generates the toy image task (data/toy.h), trains the plain CNN
 * (models/cnn.h) with Adam and cross-entropy, evaluates it on held-out
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
#include "core/pool.h"
#include "core/rng.h"
#include "data/synth.h"
#include "data/toy.h"
#include "layers/loss.h"
#include "models/cnn.h"
#include "optim/optim.h"

static const sg_cli_command demo_cmd = {
    "demo", "steelgrad demo [--seed N] [--out DIR] [--epochs N] [--log FILE.jsonl]",
    "Train a small CNN (conv-BN-ReLU-pool x2 + linear) on generated images of four classes\n"
    "(clean, horizontal scratch, vertical scratch, spot), evaluate it on held-out images and\n"
    "write DIR/final.safetensors and DIR/metrics.json. Needs no data and no network."};

/* A generated task: images are a pure function of (seed, index). */
typedef struct demo_task {
    const char *name;
    int classes, size, n_blocks, widths[3];
    bool global_pool;
    const char *const *class_names;
    void (*image)(uint64_t seed, uint64_t index, int size, float *pixels, int32_t *label);
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
        for (int i = 0; i < size * size; i++) gray[i] = 0;
    for (int i = 0; i < size * size; i++) pixels[i] = gray[i] / 255.0f;
}

static const demo_task tasks[] = {
    {"toy", SG_TOY_CLASSES, 32, 2, {8, 16}, false, sg_toy_class_names, toy_image},
    {"synth", SG_SYNTH_CLASSES, SYNTH_SIZE, 3, {8, 16, 32}, true, sg_synth_class_names, synth_image},
};

typedef struct demo_opts {
    int64_t seed, epochs, train_n, test_n, batch, size;
    double lr;
    const char *out, *log, *task_name;
    const demo_task *task;
} demo_opts;

/* Images order[first .. first + n) of the task into x [n, 1, size, size] and y [n]. */
static void fill_batch(const demo_opts *o, const int64_t *order, int64_t first, int64_t n,
                       float *x, int32_t *y)
{
    int64_t pixels = o->size * o->size;
    for (int64_t i = 0; i < n; i++)
        o->task->image((uint64_t)o->seed, (uint64_t)order[first + i], (int)o->size,
                       x + i * pixels, &y[i]);
}

static int count_correct(const sg_tensor *logits, const int32_t *y)
{
    int64_t N = logits->shape[0], K = logits->shape[1];
    int correct = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t best = 0;
        for (int64_t k = 1; k < K; k++)
            if (logits->data[i * K + k] > logits->data[i * K + best]) best = k;
        correct += best == y[i];
    }
    return correct;
}

/* One training step: forward onto the tape, loss, backward, optimiser update.
 * The graph is reset first, which hands the previous step's activations back
 * to the arena (no malloc once the first step has sized it). */
static sg_err train_step(sg_graph *g, sg_cnn *model, sg_optimizer *opt, float *images,
                         const int32_t *labels, int64_t n, uint64_t seed, uint64_t step,
                         double *loss_sum, int *correct)
{
    sg_graph_reset(g);
    sg_graph_set_seed(g, seed, step);
    sg_params_zero_grad(&model->params);
    int64_t shape[4] = {n, 1, model->cfg.image_size, model->cfg.image_size};
    sg_tensor *x = sg_graph_view(g, images, 4, shape);
    sg_tensor *logits = sg_cnn_forward(g, model, x);
    sg_tensor *loss = sg_cross_entropy(g, logits, labels, NULL);
    if (!loss) return sg_graph_error(g);
    sg_err err = sg_graph_backward(g, loss);
    if (err != SG_OK) return err;
    err = sg_optimizer_step(opt, &model->params);
    if (err != SG_OK) return err;
    *loss_sum += loss->data[0] * (double)n;
    *correct += count_correct(logits, labels);
    return SG_OK;
}

/* Loss and accuracy on images [first, first + n) in eval mode, without a tape. */
static sg_err evaluate(sg_graph *g, sg_cnn *model, const demo_opts *o, const int64_t *order,
                       int64_t first, int64_t n, float *x, int32_t *y, double *loss_mean,
                       double *accuracy)
{
    double loss_sum = 0;
    int correct = 0;
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    for (int64_t b = 0; b < n; b += o->batch) {
        int64_t nb = n - b < o->batch ? n - b : o->batch;
        fill_batch(o, order, first + b, nb, x, y);
        sg_graph_reset(g);
        sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){nb, 1, o->size, o->size});
        sg_tensor *logits = sg_cnn_forward(g, model, in);
        sg_tensor *loss = sg_cross_entropy(g, logits, y, NULL);
        if (!loss) break;
        loss_sum += loss->data[0] * (double)nb;
        correct += count_correct(logits, y);
    }
    sg_graph_set_grad_enabled(g, true);
    sg_graph_set_training(g, true);
    *loss_mean = loss_sum / (double)n;
    *accuracy = (double)correct / (double)n;
    return sg_graph_error(g);
}

static sg_err write_metrics(const char *path, const demo_opts *o, const sg_cnn *model,
                            double test_loss, double test_acc, double train_acc,
                            size_t peak_bytes, double seconds)
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
    demo_opts o = {.seed = 42, .epochs = 3, .train_n = 2048, .test_n = 512, .batch = 32,
                   .lr = 4e-3, .out = "runs/demo", .log = NULL, .task_name = "toy"};
    bool done;
    sg_cli_opt opts[] = {
        {"seed", SG_OPT_INT, &o.seed, "random seed for data, init and shuffling (default 42)"},
        {"out", SG_OPT_STRING, &o.out, "output directory (default runs/demo)"},
        {"epochs", SG_OPT_INT, &o.epochs, "passes over the training images (default 3)"},
        {"train", SG_OPT_INT, &o.train_n, "training images (default 2048)"},
        {"test", SG_OPT_INT, &o.test_n, "held-out images (default 512)"},
        {"batch", SG_OPT_INT, &o.batch, "batch size (default 32)"},
        {"lr", SG_OPT_FLOAT, &o.lr, "peak Adam learning rate, cosine-annealed to 0 (default 0.004)"},
        {"log", SG_OPT_STRING, &o.log, "append one JSON object per epoch to this file"},
        {"task", SG_OPT_STRING, &o.task_name, "toy (4 classes, 32x32, default) or synth (7 synthetic steel classes, 64x64)"},
    };
    int rc = sg_cli_parse(&demo_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0,
                          NULL, &done);
    if (done) return rc;
    if (o.seed < 0 || o.epochs < 1 || o.train_n < 1 || o.test_n < 1 || o.batch < 1 || o.lr <= 0 ||
        o.train_n > 1000000 || o.test_n > 1000000 || o.batch > 4096)
    {
        sg_cli_fail("demo", "--seed >= 0, --epochs/--train/--test/--batch >= 1 (train/test "
                            "<= 1e6, batch <= 4096) and --lr > 0 are required");
        return SG_EXIT_USAGE;
    }
    for (size_t t = 0; t < sizeof tasks / sizeof tasks[0]; t++)
        if (strcmp(o.task_name, tasks[t].name) == 0) o.task = &tasks[t];
    if (!o.task) {
        fprintf(stderr, "steelgrad demo: unknown --task '%s' (toy or synth)\n", o.task_name);
        return SG_EXIT_USAGE;
    }
    o.size = o.task->size;
    sg_err err = sg_mkdir_p(o.out);
    if (err != SG_OK) return sg_cli_fail_err("demo", err);

    sg_cnn model;
    sg_cnn_config cfg = {.in_channels = 1, .image_size = (int)o.size, .classes = o.task->classes,
                         .n_blocks = o.task->n_blocks, .global_pool = o.task->global_pool};
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
    FILE *log = o.log ? fopen(o.log, "a") : NULL;
    if (!opt || !g || !x || !y || !order || (o.log && !log)) {
        rc = o.log && !log ? sg_cli_fail("demo", "cannot open log file %s", o.log)
                           : sg_cli_fail("demo", "out of memory");
        goto cleanup;
    }
    printf("demo: task %s, %lld training and %lld held-out images %lldx%lld, %d classes, CNN with "
           "%lld parameters, %d threads\n", o.task->name, (long long)o.train_n, (long long)o.test_n,
           (long long)o.size, (long long)o.size, o.task->classes,
           (long long)sg_params_count(&model.params), sg_threads());

    double t0 = seconds_now(), train_acc = 0;
    uint64_t step = 0, total_steps = (uint64_t)(o.epochs * ((o.train_n + o.batch - 1) / o.batch));
    for (int64_t epoch = 0; epoch < o.epochs; epoch++) {
        /* The epoch's order depends only on (seed, epoch). Training images are
         * toy indices [0, train_n); held-out ones [train_n, train_n + test_n). */
        sg_rng_permutation((sg_rng_key){(uint64_t)o.seed, SG_RNG_SHUFFLE, (uint64_t)epoch},
                           order, o.train_n);
        double loss_sum = 0;
        int correct = 0;
        for (int64_t b = 0; b < o.train_n; b += o.batch) {
            int64_t nb = o.train_n - b < o.batch ? o.train_n - b : o.batch;
            fill_batch(&o, order, b, nb, x, y);
            sg_optimizer_set_lr(opt, o.lr * 0.5 * (1.0 + cos(3.141592653589793 * (double)step / (double)total_steps)));
            err = train_step(g, &model, opt, x, y, nb, (uint64_t)o.seed, step++, &loss_sum, &correct);
            if (err != SG_OK) {
                rc = sg_cli_fail_err("demo", err);
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
    if ((err = evaluate(g, &model, &o, order, 0, o.test_n, x, y, &test_loss, &test_acc)) != SG_OK) {
        rc = sg_cli_fail_err("demo", err);
        goto cleanup;
    }
    double seconds = seconds_now() - t0;
    size_t peak = sg_graph_peak_bytes(g);
    printf("held-out: loss %.4f, accuracy %.4f (%lld images); %.1f s; peak arena %zu bytes\n",
           test_loss, test_acc, (long long)o.test_n, seconds, peak);

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
    if ((err = write_metrics(path, &o, &model, test_loss, test_acc, train_acc, peak, seconds)) != SG_OK) {
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
    sg_graph_free(g);
    sg_optimizer_free(opt);
    sg_cnn_free(&model);
    return rc;
}

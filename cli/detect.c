/* cli/detect.c - `steelgrad detect`: paper 002's localisation heads trained on
 * a VOC data set (NEU-DET, or `steelgrad synth`'s) on any zoo backbone, scored
 * by VOC mAP.
 *
 * The backbone's feature map (models/zoo.h, features) is flattened into the
 * single-defect (--slots 1) or multi-defect (--slots S) head of
 * models/boxhead.h; loss = cross-entropy + box MSE; Adam. The split is by image
 * number: images whose name's last number is a multiple of 5 are the test set
 * (20 %), so an image and its NEU-CLS twin (same class and number) always fall
 * on the same side of any split made by this rule. After every epoch one JSON
 * line: train loss, and on the test set slot accuracy, box MSE and MAE, mean
 * IoU of the true boxes' slots, VOC mAP@0.5 all-point and 11-point
 * (interp/detection.h). OUT/weights.safetensors (backbone + "det.*") and
 * OUT/metrics.json hold the last epoch's.
 *
 * --head grid replaces paper 002's heads by the dense per-cell head of
 * models/gridhead.h on the backbone's feature map (objectness, class, box per
 * cell; decoded with a score threshold of 0.01 and per-class NMS at IoU 0.5
 * for the mAP); its epoch lines have the loss, the detections and the mAP.
 * --hflip mirrors each training image left-right with probability 1/2 (keyed
 * by seed, epoch, step and position in the batch) and its boxes with it.
 *
 * The checkpoint's metadata rebuilds the model for `detect predict`
 * (cli/detect_predict.c): "format" = "steelgrad-detect-1", "model" (zoo
 * name), "head" (slots | grid), "slots", "hidden" (grid), "classes" (JSON
 * array of the class names), "size", "channels", "seed", "width_mult". */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/graph.h"
#include "core/json.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "interp/detection.h"
#include "models/boxhead.h"
#include "models/gridhead.h"
#include "models/zoo.h"
#include "optim/optim.h"
#include "optim/schedule.h"

static const sg_cli_command detect_cmd = {
    "detect",
    "steelgrad detect --data DIR --model NAME -o|--out DIR [--head slots|grid] [--slots S] [--size S]\n"
    "                 [--channels C] [--width-mult X] [--epochs N] [--batch B] [--lr X] [--seed N] [--hflip]\n"
    "                 [--schedule constant|cosine] [--quiet]",
    "Train paper 002's localisation heads on a VOC data set (DIR/images, DIR/annotations:\n"
    "NEU-DET, or `steelgrad synth`'s) with any zoo model's features as the backbone, from\n"
    "scratch. --slots 1 (default): single-defect, a class and one box per image; --slots S:\n"
    "multi-defect, S slots of class-or-\"no defect\" and box, padded with zeros. Boxes are\n"
    "(xmin, xmax, ymin, ymax) over the image size. Test set: images whose number is a\n"
    "multiple of 5. Prints one JSON line per epoch (train loss; test slot accuracy, box MSE\n"
    "and MAE, mean IoU, VOC mAP@0.5 all-point and 11-point) and writes\n"
    "OUT/weights.safetensors (with what `detect predict` needs to rebuild the model) and\n"
    "OUT/metrics.json. --head grid: instead of paper 002's heads, a dense head on the\n"
    "backbone's feature map: per cell objectness, class and box (centre offset, log size),\n"
    "trained on the cell holding each box's centre (BCE + CE + L1), decoded with per-class\n"
    "NMS (IoU 0.5); its lines have the loss, the detections and the mAP. --hflip mirrors\n"
    "half the training images (and their boxes) left-right. --schedule cosine anneals the\n"
    "learning rate to 0 over the run's steps (torch CosineAnnealingLR per step).\n"
    "steelgrad detect predict --help: draw a trained model's boxes on images."};

/* The last number in a file name ("crazing_25.jpg" -> 25); -1 if none. */
static long number_of(const char *name)
{
    long v = -1;
    for (const char *p = name; *p; p++)
        if (isdigit((unsigned char)*p) && (p == name || !isdigit((unsigned char)p[-1])))
            v = strtol(p, NULL, 10);
    return v;
}

typedef struct split {
    int n;
    const char **paths;
    int32_t *labels;              /* loader labels: unused */
    int *sample;                  /* index into the data set */
    int *width, *height;          /* original image size */
} split;

typedef struct detect_ctx {
    sg_model m;
    sg_box_head head;
    sg_grid_head grid;
    bool use_grid;                /* --head grid */
    sg_params head_params, all;   /* all: both stores' parameters, not owned */
    sg_graph *g;
    const sg_dataset *ds;
    int S, K, C, size, channels;
    int GH, GW;                   /* grid: the feature map's size */
    int32_t *labels;              /* slots: [batch * S]; grid: [batch * GH * GW] */
    float *targets;               /* slots: [batch * S * 4] */
    float *obj, *box, *mask;      /* grid: [batch * GH * GW], [batch * 4 * GH * GW] x 2 */
    bool *flip;                   /* [batch]: mirror this sample */
    int positives;                /* grid: positive cells of the batch */
} detect_ctx;

enum { MAX_BOXES = 64, SG_DETECT_MAX_CLASSES = 64 };

static sg_tensor *heads_of(detect_ctx *c, sg_tensor *x, sg_tensor **boxes)
{
    sg_tensor *f = c->m.features(c->g, &c->m, x);
    if (c->use_grid) {
        *boxes = NULL;
        return sg_grid_head_forward(c->g, &c->grid, f);
    }
    return f ? sg_box_head_forward(c->g, &c->head, f, boxes) : NULL;
}

/* splitmix64: the flip coin of (seed, epoch, step, position in the batch). */
static bool coin(uint64_t seed, int64_t epoch, int64_t step, int i)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull ^ ((uint64_t)epoch << 40) ^ ((uint64_t)step << 12) ^ (uint64_t)i;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return ((z ^ (z >> 31)) >> 63) != 0;
}

/* Mirror the flagged images of the batch left-right, in place. */
static void flip_images(const detect_ctx *c, sg_batch *b)
{
    int S = c->size;
    for (int i = 0; i < b->n; i++) {
        if (!c->flip[i]) continue;
        for (int r = 0; r < c->channels * S; r++) {
            float *row = b->images + ((size_t)i * c->channels * S + r) * S;
            for (int x = 0; x < S / 2; x++) {
                float t = row[x];
                row[x] = row[S - 1 - x];
                row[S - 1 - x] = t;
            }
        }
    }
}

/* Targets of the batch's samples into c->labels / c->targets (slots) or the
 * grid's arrays; flipped samples get mirrored boxes. */
static void batch_targets(detect_ctx *c, const split *s, const sg_batch *b)
{
    int HW = c->GH * c->GW;
    c->positives = 0;
    for (int i = 0; i < b->n; i++) {
        int k = (int)b->indices[i];
        const sg_sample *smp = &c->ds->samples[s->sample[k]];
        int n = smp->n_boxes < MAX_BOXES ? smp->n_boxes : MAX_BOXES;
        float W = (float)s->width[k], H = (float)s->height[k];
        sg_box px[MAX_BOXES];
        sg_det_box nb[MAX_BOXES];
        for (int q = 0; q < n; q++) {
            const sg_box *o = &smp->boxes[q];
            /* mirrored: 1-based inclusive pixels, x -> W + 1 - x */
            float x0 = c->flip[i] ? W + 1 - o->xmax : o->xmin, x1 = c->flip[i] ? W + 1 - o->xmin : o->xmax;
            px[q] = *o;
            px[q].xmin = x0;
            px[q].xmax = x1;
            memset(&nb[q], 0, sizeof nb[q]);
            nb[q].label = o->label;
            nb[q].xmin = (x0 - 1) / W;
            nb[q].xmax = x1 / W;
            nb[q].ymin = (o->ymin - 1) / H;
            nb[q].ymax = o->ymax / H;
        }
        if (c->use_grid)
            c->positives += sg_grid_head_assign(c->GH, c->GW, nb, n, true, c->obj + (size_t)i * HW,
                                                c->labels + (size_t)i * HW, c->box + (size_t)i * 4 * HW,
                                                c->mask + (size_t)i * 4 * HW);
        else
            sg_box_head_targets(&c->head, px, n, s->width[k], s->height[k], c->labels + i * c->S,
                                c->targets + (size_t)i * c->S * 4);
    }
}

typedef struct test_metrics {
    double accuracy, mse, mae, iou, map_all, map_11;
    int detections;
    double ap[SG_DETECT_MAX_CLASSES];   /* per class, all-point (the first 64 classes) */
} test_metrics;

static sg_err evaluate(detect_ctx *c, const split *s, sg_loader *l, sg_det_box *gt, int n_gt,
                       sg_det_box *det, test_metrics *out)
{
    sg_graph_set_training(c->g, false);
    sg_graph_set_grad_enabled(c->g, false);
    sg_err err = sg_loader_start_epoch(l, 0);
    int nd = 0, right = 0, slots = 0, iou_n = 0;
    double se = 0, ae = 0, iou = 0;
    bool has = true;
    sg_batch b;
    while (err == SG_OK && (err = sg_loader_next(l, &b, &has)) == SG_OK && has) {
        sg_graph_reset(c->g);
        memset(c->flip, 0, (size_t)b.n * sizeof *c->flip);
        if (!c->use_grid) batch_targets(c, s, &b);
        sg_tensor *x = sg_graph_view(c->g, b.images, 4, (int64_t[]){b.n, c->channels, c->size, c->size});
        sg_tensor *boxes, *logits = x ? heads_of(c, x, &boxes) : NULL;
        if (!logits) {
            err = sg_error_set(SG_ERR_INVALID, "%s", sg_graph_error_message(c->g));
            break;
        }
        if (c->use_grid) {
            size_t per = (size_t)sg_grid_head_channels(&c->grid) * c->GH * c->GW;
            for (int i = 0; i < b.n && err == SG_OK; i++) {
                int k = sg_grid_head_decode(c->C, logits->data + i * per, c->GH, c->GW, (int)b.indices[i],
                                            0.01f, 0.5, det + nd);
                if (k < 0) err = SG_ERR_NOMEM;
                else nd += k;
            }
            continue;
        }
        for (int i = 0; i < b.n; i++) {
            const float *z = logits->data + (size_t)i * c->S * c->K, *bx = boxes->data + (size_t)i * c->S * 4;
            nd += sg_box_head_detections(&c->head, (int)b.indices[i], z, bx, det + nd);
            for (int q = 0; q < c->S; q++) {
                int best = 0;
                for (int k = 1; k < c->K; k++) best = z[q * c->K + k] > z[q * c->K + best] ? k : best;
                int want = c->labels[i * c->S + q];
                right += best == want;
                slots++;
                const float *t = c->targets + ((size_t)i * c->S + q) * 4, *p = bx + q * 4;
                for (int v = 0; v < 4; v++) {
                    se += (p[v] - t[v]) * (p[v] - t[v]);
                    ae += fabs(p[v] - t[v]);
                }
                if (want < c->C) {
                    sg_det_box pb = {.xmin = fminf(p[0], p[1]), .xmax = fmaxf(p[0], p[1]),
                                     .ymin = fminf(p[2], p[3]), .ymax = fmaxf(p[2], p[3])};
                    sg_det_box tb = {.xmin = t[0], .xmax = t[1], .ymin = t[2], .ymax = t[3]};
                    iou += sg_box_iou(&pb, &tb, false);
                    iou_n++;
                }
            }
        }
    }
    sg_graph_reset(c->g);
    sg_graph_set_grad_enabled(c->g, true);
    if (err != SG_OK) return err;
    *out = (test_metrics){.accuracy = slots ? (double)right / slots : NAN,
                          .mse = slots ? se / (4.0 * slots) : NAN, .mae = slots ? ae / (4.0 * slots) : NAN,
                          .iou = iou_n ? iou / iou_n : NAN, .detections = nd};
    double *ap = c->C <= SG_DETECT_MAX_CLASSES ? out->ap : NULL;
    return sg_voc_map(gt, n_gt, det, nd, c->C, 0.5, false, &out->map_all, &out->map_11, ap, NULL);
}

/* OUT/weights.safetensors: every parameter, and in the metadata what
 * `detect predict` needs to rebuild the model (see the top of this file). */
static sg_err save_weights(const detect_ctx *c, const char *path, uint64_t seed)
{
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    for (int k = 0; k < c->C; k++) sg_json_writer_string(&w, c->ds->class_names[k]);
    sg_json_writer_end_array(&w);
    const char *classes = sg_json_writer_finish(&w, NULL);
    char slots[32], hidden[32], size[32], channels[32], seed_text[32], width[32];
    snprintf(slots, sizeof slots, "%d", c->S);
    snprintf(hidden, sizeof hidden, "%d", c->use_grid ? c->grid.hidden : 0);
    snprintf(size, sizeof size, "%d", c->size);
    snprintf(channels, sizeof channels, "%d", c->channels);
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
    snprintf(width, sizeof width, "%.17g", c->m.opts.width_mult);
    const char *meta[] = {
        "format", SG_DETECT_FORMAT,
        "model", c->m.def->name,
        "head", c->use_grid ? "grid" : "slots",
        "slots", slots,
        "hidden", hidden,
        "classes", classes ? classes : "[]",
        "size", size,
        "channels", channels,
        "seed", seed_text,
        "width_mult", width,
    };
    sg_err err = classes ? sg_params_save(&c->all, path, meta, (int)(sizeof meta / sizeof meta[0] / 2))
                         : sg_error_set(SG_ERR_NOMEM, "detect: out of memory");
    sg_json_writer_free(&w);
    return err;
}

static int run(detect_ctx *c, split *tr, split *te, int64_t epochs, int64_t batch, double lr,
               bool cosine, uint64_t seed, bool hflip, const char *out, bool quiet)
{
    int rc = SG_EXIT_OK;
    sg_loader *ltr = NULL, *lte = NULL;
    sg_loader_opts lo = {.batch_size = (int)batch, .channels = c->channels, .height = c->size,
                         .width = c->size, .shuffle = true, .seed = seed};
    sg_err err = sg_loader_new(tr->paths, tr->labels, tr->n, &lo, &ltr);
    lo.shuffle = false;
    if (err == SG_OK) err = sg_loader_new(te->paths, te->labels, te->n, &lo, &lte);
    /* ground truth of the test set, in [0, 1] coordinates */
    int n_gt = 0;
    for (int k = 0; k < te->n; k++) n_gt += c->ds->samples[te->sample[k]].n_boxes;
    sg_det_box *gt = malloc(((size_t)n_gt + 1) * sizeof *gt);
    int per_image = c->use_grid ? c->GH * c->GW : c->S;
    sg_det_box *det = malloc(((size_t)te->n * per_image + 1) * sizeof *det);
    if (err == SG_OK && (!gt || !det)) err = sg_error_set(SG_ERR_NOMEM, "detect: out of memory");
    n_gt = 0;
    for (int k = 0; gt && k < te->n; k++) {
        const sg_sample *smp = &c->ds->samples[te->sample[k]];
        for (int q = 0; q < smp->n_boxes; q++) {
            const sg_box *bx = &smp->boxes[q];
            gt[n_gt++] = (sg_det_box){.image = k, .label = bx->label, .difficult = bx->difficult,
                                      .xmin = (bx->xmin - 1) / te->width[k], .xmax = bx->xmax / te->width[k],
                                      .ymin = (bx->ymin - 1) / te->height[k], .ymax = bx->ymax / te->height[k]};
        }
    }
    sg_optimizer *opt = NULL;
    if (err == SG_OK) {
        sg_adam_opts ao = sg_adam_defaults();
        ao.lr = lr;
        opt = sg_adam_new(&ao);
        if (!opt) err = SG_ERR_INVALID;
    }
    test_metrics tm = {0};
    double train_loss = NAN;
    for (int64_t e = 0; e < epochs && err == SG_OK; e++) {
        sg_graph_set_training(c->g, true);
        err = sg_loader_start_epoch(ltr, e);
        double sum = 0;
        int steps = 0;
        bool has = true;
        sg_batch b;
        while (err == SG_OK && (err = sg_loader_next(ltr, &b, &has)) == SG_OK && has) {
            sg_graph_reset(c->g);
            sg_graph_set_seed(c->g, seed, (uint64_t)(e * 100000 + steps));
            sg_params_zero_grad(&c->all);
            if (cosine) {
                int64_t per_epoch = (tr->n + batch - 1) / batch;
                sg_optimizer_set_lr(opt, sg_lr_warmup_cosine(lr, 0.0, 1.0, 0, epochs * per_epoch,
                                                             e * per_epoch + steps));
            }
            for (int i = 0; i < b.n; i++) c->flip[i] = hflip && coin(seed, e, steps, i);
            flip_images(c, &b);
            batch_targets(c, tr, &b);
            sg_tensor *x = sg_graph_view(c->g, b.images, 4, (int64_t[]){b.n, c->channels, c->size, c->size});
            sg_tensor *boxes, *logits = x ? heads_of(c, x, &boxes) : NULL, *loss = NULL;
            if (c->use_grid) {
                loss = sg_grid_head_loss(c->g, &c->grid, logits, c->obj, c->labels, c->box, c->mask,
                                         c->positives);
            } else {
                sg_tensor *t = logits ? sg_graph_tensor_from(c->g, 3, (int64_t[]){b.n, c->S, 4}, c->targets) : NULL;
                loss = t ? sg_box_head_loss(c->g, &c->head, logits, boxes, c->labels, t) : NULL;
            }
            if (!loss) {
                err = sg_error_set(SG_ERR_INVALID, "%s", sg_graph_error_message(c->g));
                break;
            }
            if ((err = sg_graph_backward(c->g, loss)) != SG_OK) break;
            if ((err = sg_optimizer_step(opt, &c->all)) != SG_OK) break;
            sum += loss->data[0];
            steps++;
        }
        if (err != SG_OK) break;
        train_loss = steps ? sum / steps : NAN;
        if ((err = evaluate(c, te, lte, gt, n_gt, det, &tm)) != SG_OK) break;
        if ((!quiet || e + 1 == epochs) && c->use_grid)
            printf("{\"epoch\":%lld,\"train_loss\":%.6g,\"test_detections\":%d,\"test_map50\":%.6g,"
                   "\"test_map50_11pt\":%.6g}\n", (long long)e + 1, train_loss, tm.detections, tm.map_all, tm.map_11);
        else if (!quiet || e + 1 == epochs)
            printf("{\"epoch\":%lld,\"train_loss\":%.6g,\"test_slot_accuracy\":%.6g,\"test_box_mse\":%.6g,"
                   "\"test_box_mae\":%.6g,\"test_mean_iou\":%.6g,\"test_map50\":%.6g,\"test_map50_11pt\":%.6g}\n",
                   (long long)e + 1, train_loss, tm.accuracy, tm.mse, tm.mae, tm.iou, tm.map_all, tm.map_11);
        fflush(stdout);
    }
    if (err == SG_OK) {
        char path[4096];
        snprintf(path, sizeof path, "%s/weights.safetensors", out);
        err = save_weights(c, path, seed);
        sg_json_writer w;
        sg_json_writer_init(&w, false);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "model", c->m.def->name);
        if (c->use_grid) {
            sg_json_writer_kv_string(&w, "head", "grid");
            sg_json_writer_key(&w, "grid");
            sg_json_writer_begin_array(&w);
            sg_json_writer_int64(&w, c->GH);
            sg_json_writer_int64(&w, c->GW);
            sg_json_writer_end_array(&w);
        } else {
            sg_json_writer_kv_int64(&w, "slots", c->S);
        }
        sg_json_writer_kv_int64(&w, "classes", c->C);
        sg_json_writer_kv_int64(&w, "size", c->size);
        sg_json_writer_kv_int64(&w, "epochs", epochs);
        sg_json_writer_kv_int64(&w, "train_images", tr->n);
        sg_json_writer_kv_int64(&w, "test_images", te->n);
        sg_json_writer_kv_number(&w, "train_loss", train_loss);
        if (c->use_grid) {
            sg_json_writer_kv_int64(&w, "test_detections", tm.detections);
        } else {
            sg_json_writer_kv_number(&w, "test_slot_accuracy", tm.accuracy);
            sg_json_writer_kv_number(&w, "test_box_mse", tm.mse);
            sg_json_writer_kv_number(&w, "test_box_mae", tm.mae);
            sg_json_writer_kv_number(&w, "test_mean_iou", tm.iou);
        }
        sg_json_writer_kv_number(&w, "test_map50", tm.map_all);
        sg_json_writer_kv_number(&w, "test_map50_11pt", tm.map_11);
        if (c->use_grid) {
            /* The AP of each class (null: no box of it in the test set). */
            sg_json_writer_key(&w, "test_ap50");
            sg_json_writer_begin_object(&w);
            for (int k = 0; k < c->C && k < SG_DETECT_MAX_CLASSES; k++)
                sg_json_writer_kv_number(&w, c->ds->class_names[k], tm.ap[k]);
            sg_json_writer_end_object(&w);
        }
        sg_json_writer_end_object(&w);
        size_t n;
        const char *json = sg_json_writer_finish(&w, &n);
        snprintf(path, sizeof path, "%s/metrics.json", out);
        if (err == SG_OK && !json) err = SG_ERR_NOMEM;
        if (err == SG_OK) err = sg_file_write_atomic(path, json, n);
        sg_json_writer_free(&w);
    }
    if (err != SG_OK) rc = sg_cli_fail("detect", "%s", sg_error_message());
    sg_optimizer_free(opt);
    sg_loader_free(ltr);
    sg_loader_free(lte);
    free(gt);
    free(det);
    return rc;
}

static void split_free(split *s)
{
    free(s->paths);
    free(s->labels);
    free(s->sample);
    free(s->width);
    free(s->height);
}

static sg_err split_alloc(split *s, int n)
{
    s->paths = calloc((size_t)n + 1, sizeof *s->paths);
    s->labels = calloc((size_t)n + 1, sizeof *s->labels);
    s->sample = calloc((size_t)n + 1, sizeof *s->sample);
    s->width = calloc((size_t)n + 1, sizeof *s->width);
    s->height = calloc((size_t)n + 1, sizeof *s->height);
    return s->paths && s->labels && s->sample && s->width && s->height
               ? SG_OK : sg_error_set(SG_ERR_NOMEM, "detect: out of memory");
}

int cmd_detect(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "predict") == 0) return cmd_detect_predict(argc - 1, argv + 1);
    char *data = NULL, *model = NULL, *out = NULL, *head = "slots", *schedule = "constant";
    int64_t slots = 1, size = 128, channels = 1, epochs = 10, batch = 32, seed = 1;
    double lr = 1e-3, width_mult = 0;
    bool quiet = false, hflip = false;
    const sg_cli_opt opts[] = {
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .help = "VOC data set: DIR/images, DIR/annotations"},
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .help = "backbone (steelgrad model list)"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o',
         .help = "output folder (weights.safetensors, metrics.json)"},
        {.name = "slots", .type = SG_OPT_INT, .dest = &slots,
         .help = "1: single-defect (default); S > 1: multi-defect with S slots", .min = 1, .max = 64},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .help = "input side (default 128)",
         .min = 16, .max = 1024},
        {.name = "channels", .type = SG_OPT_INT, .dest = &channels, .help = "1 (default) or 3",
         .min = 1, .max = 3},
        {.name = "epochs", .type = SG_OPT_INT, .dest = &epochs, .help = "default 10", .min = 1, .max = 100000},
        {.name = "batch", .type = SG_OPT_INT, .dest = &batch, .help = "default 32", .min = 1, .max = 4096},
        {.name = "lr", .type = SG_OPT_FLOAT, .dest = &lr, .help = "Adam learning rate (default 1e-3)",
         .min = 0, .max = 10, .above_min = true},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .help = "initialisation and shuffling (default 1)",
         .min = 0, .max = 1000000000},
        {.name = "quiet", .type = SG_OPT_FLAG, .dest = &quiet, .help = "only the last epoch's line"},
        {.name = "head", .type = SG_OPT_STRING, .dest = &head, .arg = "slots|grid",
         .help = "slots: paper 002's heads (default); grid: the dense per-cell head"},
        {.name = "hflip", .type = SG_OPT_FLAG, .dest = &hflip,
         .help = "mirror half the training images and their boxes left-right"},
        {.name = "schedule", .type = SG_OPT_STRING, .dest = &schedule, .arg = "constant|cosine",
         .help = "learning rate: constant (default) or cosine annealing to 0"},
        {.name = "width-mult", .type = SG_OPT_FLOAT, .dest = &width_mult,
         .help = "backbone width multiplier (models that have one; default 1)", .min = 0, .max = 4},
        sg_cli_threads_opt,
    };
    bool done;
    int rc = sg_cli_parse(&detect_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    const char *missing = !data ? "--data" : !model ? "--model" : !out ? "--out" : NULL;
    if (missing) return sg_cli_usage("detect", "%s is required (see --help)", missing);
    if (!sg_model_find(model)) return sg_cli_usage("detect", "--model: unknown model '%s' (steelgrad model list)", model);
    if (channels == 2) return sg_cli_usage("detect", "--channels: expected 1 or 3, got 2");
    if (strcmp(head, "slots") != 0 && strcmp(head, "grid") != 0)
        return sg_cli_usage("detect", "--head: expected slots or grid, got '%s'", head);
    bool use_grid = strcmp(head, "grid") == 0;
    if (strcmp(schedule, "constant") != 0 && strcmp(schedule, "cosine") != 0)
        return sg_cli_usage("detect", "--schedule: expected constant or cosine, got '%s'", schedule);
    sg_dataset ds;
    const char *kind;
    if (sg_dataset_open(data, true, &kind, &ds) != SG_OK) return sg_cli_fail("detect", "%s", sg_error_message());
    if (strcmp(kind, "VOC annotations") != 0) {
        sg_dataset_free(&ds);
        return sg_cli_usage("detect", "--data: %s is %s, expected a VOC set (images/, annotations/)", data, kind);
    }
    detect_ctx c = {.ds = &ds, .S = (int)slots, .C = ds.n_classes, .size = (int)size,
                    .channels = (int)channels, .use_grid = use_grid, .GH = 1, .GW = 1};
    split tr = {0}, te = {0};
    sg_err err = split_alloc(&tr, ds.n_samples);
    if (err == SG_OK) err = split_alloc(&te, ds.n_samples);
    for (int i = 0; i < ds.n_samples && err == SG_OK; i++) {
        const sg_sample *smp = &ds.samples[i];
        if (smp->n_boxes == 0) continue;
        sg_image img;
        if (sg_image_read(smp->path, NULL, &img) != SG_OK) {
            fprintf(stderr, "steelgrad detect: skipping %s: %s\n", smp->name, sg_error_message());
            continue;
        }
        split *s = number_of(smp->name) % 5 == 0 ? &te : &tr;
        s->paths[s->n] = smp->path;
        s->sample[s->n] = i;
        s->width[s->n] = img.width;
        s->height[s->n] = img.height;
        s->n++;
        sg_image_free(&img);
    }
    if (err == SG_OK && (tr.n == 0 || te.n == 0))
        err = sg_error_set(SG_ERR_FORMAT, "%s: %d training and %d test images with boxes; need both",
                           data, tr.n, te.n);
    sg_model_options o = sg_model_options_defaults(ds.n_classes >= 2 ? ds.n_classes : 2);
    o.in_channels = (int)channels;
    o.image_size = (int)size;
    o.width_mult = width_mult;
    if (err == SG_OK) err = sg_model_build(&c.m, model, &o, (uint64_t)seed);
    c.g = err == SG_OK ? sg_graph_new() : NULL;
    if (err == SG_OK && !c.g) err = sg_error_set(SG_ERR_NOMEM, "detect: out of memory");
    /* The flattened feature size: one probe forward of a zero image. */
    int64_t F = 0;
    if (err == SG_OK) {
        sg_graph_set_grad_enabled(c.g, false);
        sg_graph_set_training(c.g, false);
        sg_tensor *x = sg_graph_zeros(c.g, 4, (int64_t[]){1, channels, size, size});
        sg_tensor *f = x ? c.m.features(c.g, &c.m, x) : NULL;
        if (!f) err = sg_error_set(SG_ERR_INVALID, "%s", sg_graph_error_message(c.g));
        else if (use_grid && f->ndim != 4)
            err = sg_error_set(SG_ERR_INVALID, "--head grid: %s's features are not a feature map [N, C, H, W]",
                               model);
        else if (use_grid) {
            F = f->shape[1];
            c.GH = (int)f->shape[2];
            c.GW = (int)f->shape[3];
        } else {
            F = f->numel;
        }
        sg_graph_reset(c.g);
        sg_graph_set_grad_enabled(c.g, true);
    }
    if (err == SG_OK && use_grid)
        err = sg_grid_head_init(&c.grid, &c.head_params, (int)F, c.C, SG_GRID_HIDDEN, (uint64_t)seed);
    else if (err == SG_OK)
        err = sg_box_head_init(&c.head, &c.head_params, (int)F, c.C, c.S, (uint64_t)seed);
    c.K = err == SG_OK && !use_grid ? sg_box_head_slot_classes(&c.head) : 0;
    if (err == SG_OK) {
        int n = c.m.params->count + c.head_params.count;
        c.all.items = malloc((size_t)n * sizeof *c.all.items);
        size_t cells = (size_t)c.GH * c.GW, rows = use_grid ? cells : (size_t)c.S;
        c.labels = malloc((size_t)batch * rows * sizeof *c.labels);
        c.targets = malloc((size_t)batch * c.S * 4 * sizeof *c.targets);
        c.obj = malloc((size_t)batch * cells * sizeof *c.obj);
        c.box = malloc((size_t)batch * 4 * cells * sizeof *c.box);
        c.mask = malloc((size_t)batch * 4 * cells * sizeof *c.mask);
        c.flip = calloc((size_t)batch, sizeof *c.flip);
        if (!c.all.items || !c.labels || !c.targets || !c.obj || !c.box || !c.mask || !c.flip)
            err = sg_error_set(SG_ERR_NOMEM, "detect: out of memory");
        for (int i = 0; c.all.items && i < c.m.params->count; i++) c.all.items[c.all.count++] = c.m.params->items[i];
        for (int i = 0; c.all.items && i < c.head_params.count; i++) c.all.items[c.all.count++] = c.head_params.items[i];
        c.all.cap = c.all.count;
    }
    if (err == SG_OK) err = sg_mkdir_p(out);
    if (err == SG_OK) {
        if (!quiet) {
            if (use_grid)
                fprintf(stderr, "steelgrad detect: %s + grid head (%d x %d cells, %d classes): %d train, %d test images\n",
                        model, c.GH, c.GW, c.C, tr.n, te.n);
            else
                fprintf(stderr, "steelgrad detect: %s + %s head (%d slot%s, %d classes): %d train, %d test images\n",
                        model, c.S > 1 ? "multi-defect" : "single-defect", c.S, c.S > 1 ? "s" : "", c.C,
                        tr.n, te.n);
        }
        rc = run(&c, &tr, &te, epochs, batch, lr, strcmp(schedule, "cosine") == 0, (uint64_t)seed, hflip, out,
                 quiet);
    } else {
        rc = sg_cli_fail("detect", "%s", sg_error_message());
    }
    free(c.all.items);
    free(c.labels);
    free(c.targets);
    free(c.obj);
    free(c.box);
    free(c.mask);
    free(c.flip);
    sg_params_free(&c.head_params);
    if (c.m.def) sg_model_free(&c.m);
    sg_graph_free(c.g);
    split_free(&tr);
    split_free(&te);
    sg_dataset_free(&ds);
    return rc;
}

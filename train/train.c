/* train/train.c - the training engine (see train.h).
 *
 * One run, top to bottom:
 *   prepare_data    data set, decode check (skip or stop), split, index lists
 *   prepare_model   model by name, initial weights, freezing, optimiser,
 *                   schedule, class weights, loaders, evaluation buffers
 *   resume          weights, optimiser state and position from last.safetensors
 *   the epoch loop  train_step per batch (no malloc: the graph arena is reset
 *                   per step, loader buffers are fixed), evaluate on val,
 *                   early stopping, best/last checkpoints, a log line
 *   finish          best weights, val and test metrics -> metrics.json */
#include "train/train.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/graph.h"
#include "core/json.h"
#include "core/pool.h"
#include "data/csv.h"
#include "data/hash.h"
#include "data/image.h"
#include "data/loader.h"
#include "data/split.h"
#include "layers/loss.h"
#include "optim/early_stop.h"
#include "optim/gradient.h"
#include "optim/optim.h"
#include "optim/schedule.h"
#include "train/checkpoint.h"
#include "train/dist.h"
#include "train/eval.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One part of the split: the files and labels a loader gets. */
typedef struct part {
    int64_t n;
    const char **paths;
    int32_t *labels;
    sg_loader *loader;
} part;

typedef struct run {
    const sg_train_config *cfg;
    const char *dir;
    sg_train_run_opts ro;
    char path[4][4096];          /* config, last, best, log */
    sg_dataset ds;
    int K;
    bool *bad;                   /* per sample: failed to decode */
    sg_notes skipped;
    part parts[4];               /* indexed by SG_SPLIT_* */
    sg_model model;
    sg_optimizer *opt;
    sg_graph *g;
    sg_lr_schedule sched, sched2;   /* phase 1, phase 2 */
    float *class_weights;
    sg_ce_opts ce;
    sg_early_stop es;
    /* evaluation buffers, sized for the largest part */
    float *probs;
    int32_t *truth, *pred;
    int64_t *confusion;
    sg_class_metrics *per_class;
    void *auc_scratch;
    double *auc;
    int channels, size;
    /* Data parallelism (see shard_step): S shards per batch, this rank's
     * S / ranks of them. */
    int shards, ranks, rank;
    int64_t flat_max;            /* gradient and buffer values of the model */
    float *slots;                /* [S / ranks][flat_max]: this rank's shard results */
    int n_buckets;               /* buffers for this many buckets in flight */
    int64_t seg_max;             /* floats per segment of a whole bucket */
    float *send, *recv;          /* per bucket: the alltoall's out, in */
    float *own, *gathered;       /* per bucket: the sums of this rank's segment; of every segment */
    sg_dist_request *req_a, *req_g; /* per bucket: its alltoall, its allgather */
    int *first_use;              /* per parameter: smallest tape index using it (-1: none seen) */
    int *ready;                  /* per bucket: the tape index after whose backward it is final */
    int *order;                  /* buckets in the order their alltoall was started */
    int n_posted, n_summed;      /* of `order`: alltoalls started; of those, summed and gathering */
    int64_t step_n, step_V;      /* the batch size and value count of the step in flight */
    sg_err hook_err;
    float *buffers0;             /* buffer values at the start of the step */
    double *stats, *all_stats;   /* (loss, correct) of this rank's shards, of all */
} run;

enum { P_CONFIG, P_LAST, P_BEST, P_LOG };

static void note(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(run *r, const char *fmt, ...)
{
    if (!r->ro.on_event) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sg_train_event e = {.kind = SG_TRAIN_NOTE, .note = line};
    r->ro.on_event(r->ro.ctx, &e);
}

/* ------------------------------------------------------------------ data */

static sg_err prepare_data(run *r, bool write_split)
{
    const sg_train_config *cfg = r->cfg;
    sg_err err;
    const char *source = cfg->data && *cfg->data ? cfg->data : cfg->manifest;
    if (cfg->data && *cfg->data) err = sg_dataset_from_folders(cfg->data, NULL, &r->ds);
    else err = sg_manifest_read(cfg->manifest, NULL, 0, &r->ds);
    if (err != SG_OK) return err;
    r->K = r->ds.n_classes;
    if (r->K < 2)
        return sg_error_set(SG_ERR_INVALID, "%s: only one class ('%s'); a classifier needs at "
                            "least 2 classes", source, r->K ? r->ds.class_names[0] : "");
    for (int i = 0; i < r->ds.skipped.count; i++) {
        if ((err = sg_notes_add(&r->skipped, "%s", r->ds.skipped.items[i])) != SG_OK) return err;
        note(r, "warning: skipped %s", r->ds.skipped.items[i]);
    }
    /* Decode every image once (and hash its bytes) before anything else. */
    int64_t n = r->ds.n_samples;
    r->bad = calloc((size_t)n + 1, sizeof *r->bad);
    const char **all = calloc((size_t)n + 1, sizeof *all);
    sg_image_message *messages = calloc((size_t)n + 1, sizeof *messages);
    uint8_t *digests = malloc(((size_t)n + 1) * SG_SHA256_BYTES);
    int64_t *first = malloc(((size_t)n + 1) * sizeof *first);
    if (!r->bad || !all || !messages || !digests || !first) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", source);
        goto checked;
    }
    for (int64_t i = 0; i < n; i++) all[i] = r->ds.samples[i].path;
    sg_images_check(all, n, r->bad, messages, digests);
    /* The split (unless the manifest has one) comes before skipping, so a
     * corrupt file does not move the others; byte-identical files are kept
     * in one part, as `steelgrad data split` does, so a copy never leaks
     * from train into test. */
    bool has_split = false;
    for (int i = 0; i < r->ds.n_samples; i++) has_split |= r->ds.samples[i].split != SG_SPLIT_NONE;
    if (!has_split) {
        sg_split_ratios ratios;
        int64_t copies = sg_hash_groups(digests, n, first);
        if (copies < 0) {
            err = SG_ERR_NOMEM;
            goto checked;
        }
        if (copies > 0) note(r, "%lld files are byte copies of others: each goes to its original's part",
                             (long long)copies);
        uint64_t split_seed = (uint64_t)(cfg->split_seed >= 0 ? cfg->split_seed : cfg->seed);
        if ((err = sg_split_merge_groups(&r->ds, first)) != SG_OK) goto checked;
        if (cfg->folds > 1) err = sg_split_kfold(&r->ds, (int)cfg->folds, (int)cfg->fold, split_seed);
        else if ((err = sg_split_parse_ratios(cfg->ratios, &ratios)) == SG_OK)
            err = sg_split_stratified(&r->ds, &ratios, split_seed);
        if (err != SG_OK) goto checked;
    }
    for (int64_t i = 0; i < n && err == SG_OK; i++) {
        if (!r->bad[i]) continue;
        if (cfg->strict) {
            err = sg_error_set(SG_ERR_FORMAT, "%s (--strict: stopping at a corrupt image)", messages[i]);
            break;
        }
        err = sg_notes_add(&r->skipped, "%s", messages[i]);
        note(r, "warning: skipped %s", messages[i]);
        r->ds.samples[i].split = SG_SPLIT_NONE;   /* listed in split.csv without a part */
    }
checked:
    free(all);
    free(messages);
    free(digests);
    free(first);
    if (err != SG_OK) return err;
    /* The index lists of each part. */
    for (int s = SG_SPLIT_TRAIN; s <= SG_SPLIT_TEST; s++) {
        part *p = &r->parts[s];
        p->paths = calloc((size_t)n + 1, sizeof *p->paths);
        p->labels = calloc((size_t)n + 1, sizeof *p->labels);
        if (!p->paths || !p->labels) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", source);
        for (int64_t i = 0; i < n; i++) {
            const sg_sample *smp = &r->ds.samples[i];
            if (smp->split != s || r->bad[i] || smp->label < 0) continue;
            p->paths[p->n] = smp->path;
            p->labels[p->n++] = smp->label;
        }
    }
    if (r->parts[SG_SPLIT_TRAIN].n == 0)
        return sg_error_set(SG_ERR_INVALID, "%s: no training images (split %s)", source, cfg->ratios);
    if (r->parts[SG_SPLIT_VAL].n == 0)
        note(r, "warning: no validation images: best.safetensors is the last epoch, early stopping is off");
    if (write_split) {
        char path[4200];
        snprintf(path, sizeof path, "%s/split.csv", r->dir);
        if ((err = sg_manifest_write(path, &r->ds, false)) != SG_OK) return err;
    }
    return SG_OK;
}

/* ------------------------------------------------------------------ model */

static sg_err make_loader(run *r, int split, bool train)
{
    const sg_train_config *cfg = r->cfg;
    part *p = &r->parts[split];
    if (p->n == 0) return SG_OK;
    sg_augment_opts aug = sg_augment_opts_default();
    aug.horizontal_flip = cfg->hflip;
    aug.vertical_flip = cfg->vflip;
    aug.rotation_range = (float)cfg->rotation;
    aug.width_shift_range = aug.height_shift_range = (float)cfg->shift;
    aug.shear_range = (float)cfg->shear;
    if (cfg->zoom > 0) aug.zoom_range[0] = 1.0f - (float)cfg->zoom, aug.zoom_range[1] = 1.0f + (float)cfg->zoom;
    if (cfg->brightness > 0)
        aug.brightness_range[0] = 1.0f - (float)cfg->brightness, aug.brightness_range[1] = 1.0f + (float)cfg->brightness;
    if (cfg->contrast > 0)
        aug.contrast_range[0] = 1.0f - (float)cfg->contrast, aug.contrast_range[1] = 1.0f + (float)cfg->contrast;
    bool any_aug = cfg->hflip || cfg->vflip || cfg->rotation > 0 || cfg->shift > 0 || cfg->shear > 0 || cfg->zoom > 0 ||
                   cfg->brightness > 0 || cfg->contrast > 0;
    sg_loader_opts lo = {.batch_size = (int)cfg->batch, .channels = r->channels, .height = r->size,
                         .width = r->size, .resize = SG_RESIZE_BILINEAR_AA, .shuffle = train,
                         .seed = (uint64_t)cfg->seed, .augment = train && any_aug ? &aug : NULL,
                         .workers = train ? (int)cfg->workers : -1, .no_cache = cfg->no_cache,
                         .keep_depth = cfg->keep_depth};
    if (train && cfg->workers == 0) lo.workers = -1;
    /* Under MPI a rank builds only its shards' images (shard_step). */
    if (train && r->ranks > 1) lo.part = r->rank, lo.parts = r->ranks;
    sg_norm_values(cfg->norm, r->channels, &lo.mean, &lo.std);
    return sg_loader_new(p->paths, p->labels, p->n, &lo, &p->loader);
}

static sg_err prepare_model(run *r)
{
    const sg_train_config *cfg = r->cfg;
    sg_model_options mo = sg_train_model_options(cfg, r->K);
    sg_err err = sg_model_build(&r->model, cfg->model, &mo, (uint64_t)cfg->seed);
    if (err != SG_OK) return err;
    r->channels = r->model.opts.in_channels;
    r->size = r->model.opts.image_size;
    if (cfg->weights && *cfg->weights) {
        int loaded, skipped;
        if ((err = sg_train_load_weights(r->model.params, cfg->weights, &loaded, &skipped)) != SG_OK)
            return err;
        note(r, "%s: loaded %d tensors, %d left out (other name or shape)", cfg->weights, loaded, skipped);
    }
    int frozen = 0;
    if ((err = sg_train_freeze(r->model.params, cfg->freeze, cfg->train_last, &frozen)) != SG_OK) return err;
    if (frozen) note(r, "%d parameter tensors frozen", frozen);

    if (strcmp(cfg->optimizer, "sgd") == 0) {
        sg_sgd_opts so = {.lr = cfg->lr, .momentum = cfg->momentum, .weight_decay = cfg->weight_decay};
        r->opt = sg_sgd_new(&so);
    } else {
        bool w = strcmp(cfg->optimizer, "adamw") == 0;
        sg_adam_opts ao = w ? sg_adamw_defaults() : sg_adam_defaults();
        ao.lr = cfg->lr;
        ao.weight_decay = cfg->weight_decay;
        r->opt = w ? sg_adamw_new(&ao) : sg_adam_new(&ao);
    }
    if (!r->opt) return SG_ERR_INVALID;
    if (!(r->g = sg_graph_new())) return sg_error_set(SG_ERR_NOMEM, "out of memory for the graph");
    sg_graph_set_seed(r->g, (uint64_t)cfg->seed, 0);

    if ((err = make_loader(r, SG_SPLIT_TRAIN, true)) != SG_OK ||
        (err = make_loader(r, SG_SPLIT_VAL, false)) != SG_OK ||
        (err = make_loader(r, SG_SPLIT_TEST, false)) != SG_OK)
        return err;
    int64_t per_epoch = sg_loader_batches_per_epoch(r->parts[SG_SPLIT_TRAIN].loader);
    r->sched = (sg_lr_schedule){.base_lr = cfg->lr, .gamma = cfg->gamma, .step_size = cfg->step_size,
                                .min_lr = cfg->min_lr, .warmup_start_factor = 1.0 / 3.0,
                                .warmup_steps = cfg->warmup_epochs * per_epoch,
                                .total_steps = cfg->epochs * per_epoch};
    if (strcmp(cfg->schedule, "cosine") == 0) r->sched.kind = SG_LR_WARMUP_COSINE;
    else if (strcmp(cfg->schedule, "exponential") == 0) r->sched.kind = SG_LR_EXPONENTIAL;
    else if (strcmp(cfg->schedule, "step") == 0) r->sched.kind = SG_LR_STEP;
    else r->sched.kind = SG_LR_CONSTANT;
    if ((err = sg_lr_schedule_check(&r->sched)) != SG_OK) return err;
    r->sched2 = r->sched;
    r->sched2.base_lr = cfg->phase2_lr > 0 ? cfg->phase2_lr : cfg->lr / 10;
    r->sched2.warmup_steps = 0;
    r->sched2.total_steps = cfg->phase2_epochs * per_epoch;
    if (cfg->phase2_epochs > 0 && (err = sg_lr_schedule_check(&r->sched2)) != SG_OK) return err;

    r->ce = SG_CE_DEFAULTS;
    r->ce.label_smoothing = (float)cfg->label_smoothing;
    if (strcmp(cfg->class_weights, "balanced") == 0) {
        int64_t *counts = calloc((size_t)r->K, sizeof *counts);
        double *w = calloc((size_t)r->K, sizeof *w);
        r->class_weights = calloc((size_t)r->K, sizeof *r->class_weights);
        if (!counts || !w || !r->class_weights) err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        const part *t = &r->parts[SG_SPLIT_TRAIN];
        for (int64_t i = 0; err == SG_OK && i < t->n; i++) counts[t->labels[i]]++;
        if (err == SG_OK && (err = sg_class_weights_balanced(counts, r->K, w)) != SG_OK)
            err = sg_error_set(err, "--class-weights balanced: %s", sg_error_message());
        for (int k = 0; err == SG_OK && k < r->K; k++) r->class_weights[k] = (float)w[k];
        free(counts);
        free(w);
        if (err != SG_OK) return err;
        r->ce.class_weights = r->class_weights;
    }
    sg_early_stop_opts eo = {.mode = SG_MONITOR_MIN, .min_delta = cfg->min_delta,
                             .patience = (int)cfg->patience};
    if ((err = sg_early_stop_init(&r->es, &eo)) != SG_OK) return err;

    int64_t most = r->parts[SG_SPLIT_VAL].n > r->parts[SG_SPLIT_TEST].n ? r->parts[SG_SPLIT_VAL].n
                                                                          : r->parts[SG_SPLIT_TEST].n;
    most = most > 0 ? most : 1;
    r->probs = malloc((size_t)(most * r->K) * sizeof *r->probs);
    r->truth = malloc((size_t)most * sizeof *r->truth);
    r->pred = malloc((size_t)most * sizeof *r->pred);
    r->confusion = malloc((size_t)r->K * (size_t)r->K * sizeof *r->confusion);
    r->per_class = malloc((size_t)r->K * sizeof *r->per_class);
    r->auc_scratch = malloc(sg_roc_auc_scratch_bytes(most));
    r->auc = malloc((size_t)r->K * sizeof *r->auc);
    if (!r->auc || !r->probs || !r->truth || !r->pred || !r->confusion || !r->per_class || !r->auc_scratch)
        return sg_error_set(SG_ERR_NOMEM, "out of memory for the evaluation buffers");
    return SG_OK;
}

/* ------------------------------------------------------------ evaluation */

/* Metrics of the current weights on one part (eval mode, no tape; the
 * run's buffers). */
static sg_err evaluate(run *r, int split, sg_metrics *m)
{
    part *p = &r->parts[split];
    memset(r->confusion, 0, (size_t)r->K * (size_t)r->K * sizeof *r->confusion);
    double loss = NAN;
    int64_t seen = 0;
    sg_err err = SG_OK;
    if (p->n > 0 &&
        ((err = sg_evaluate_loader_tta(r->g, &r->model, p->loader, r->K, r->channels, r->size,
                                       sg_tta_views(r->cfg->tta), r->probs, r->truth, r->pred, &loss,
                                       &seen)) != SG_OK ||
         (err = sg_confusion_add(r->confusion, r->K, r->truth, r->pred, seen)) != SG_OK))
        return err;
    sg_metrics_from_confusion(r->confusion, r->K, r->per_class, m);
    m->loss = loss;
    if (seen == 0) return SG_OK;
    if ((err = sg_roc_auc_ovr(r->probs, r->truth, seen, r->K, r->auc_scratch, r->auc, &m->roc_auc)) != SG_OK)
        return err;
    for (int k = 0; k < r->K; k++) r->per_class[k].roc_auc = r->auc[k];
    return SG_OK;
}

/* ------------------------------------------------------------- training */

/* The learning rate of optimiser step `step` (counted over the run) in
 * `epoch`: phase 2 restarts its schedule at its first epoch and step. */
static double lr_at(const run *r, int64_t epoch, int64_t step, int64_t per_epoch)
{
    int64_t e1 = r->cfg->epochs;
    if (r->cfg->phase2_epochs > 0 && epoch >= e1)
        return sg_lr_schedule_at(&r->sched2, epoch - e1, step - e1 * per_epoch);
    return sg_lr_schedule_at(&r->sched, epoch, step);
}

/* Enter phase 2: unfreeze, keep the last phase2_train_last layers trainable;
 * `fresh` (at its first epoch, not when resuming inside it): drop the
 * optimiser state and restart early stopping. */
static sg_err enter_phase2(run *r, bool fresh)
{
    sg_params *ps = r->model.params;
    for (int i = 0; i < ps->count; i++)
        if (!ps->items[i]->buffer) sg_param_set_frozen(ps->items[i], false);
    int frozen = 0;
    sg_err err = sg_train_freeze(ps, "", r->cfg->phase2_train_last, &frozen);
    if (err != SG_OK || !fresh) return err;
    sg_optimizer_state_reset(ps);
    sg_optimizer_set_steps(r->opt, 0);
    sg_early_stop_opts eo = r->es.opts;
    sg_early_stop_free(&r->es);
    if ((err = sg_early_stop_init(&r->es, &eo)) != SG_OK) return err;
    note(r, "phase 2: %d parameter tensors frozen, learning rate %g", frozen, r->sched2.base_lr);
    return SG_OK;
}

/* ------------------------------------------------- data parallelism
 *
 * With S = shards > 1 (or under MPI) a step cuts the batch of n images into
 * S shards, shard k = images [k n / S, (k + 1) n / S). Each shard runs its
 * own forward and backward - BatchNorm normalises with the shard's
 * statistics (per-shard, "ghost" batches: PyTorch DDP without SyncBN), the
 * loss is the shard's mean seeded with n_k / n, dropout is keyed by step
 * S + k - from the parameters and buffers as they were at the start of the
 * step. Then, for every value of the model (the gradient of each trainable
 * parameter and each buffer, in parameter order), the S shard results are
 * added in shard order 0, 1, .., S - 1 (empty shards left out); a buffer
 * (BatchNorm running statistic) becomes that sum divided by the number of
 * shards, i.e. the running statistic updated once with the mean of the
 * shard statistics.
 *
 * Under MPI, rank q computes shards [q S / P, (q + 1) S / P). The values
 * go in buckets of BUCKET floats, each cut into P segments; rank q owns
 * segment q: an alltoall brings it every shard's piece of segment q, it
 * adds them in shard order, and an allgather hands every rank every
 * segment's sums (a reduce-scatter and an allgather, like a ring
 * allreduce: 2 (P - 1) / P of the values in and out per rank, but with the
 * order of the additions fixed). A shard's values depend only on the
 * shard's images, the step-start weights and (seed, step, k); values sent
 * are exact copies; each sum is made by one rank in shard order, fixed by S
 * alone: so the weights are the same bits for every number of ranks P that
 * divides S, one process included (`--shards S` without mpirun). */

enum { BUCKET = 1 << 20 };       /* floats per shard per collective (4 MiB) */

static bool flat_member(const sg_param *p)
{
    return p->buffer || (!p->frozen && p->t.grad);
}

static int64_t flat_size(const sg_params *ps)
{
    int64_t n = 0;
    for (int i = 0; i < ps->count; i++)
        if (flat_member(ps->items[i])) n += ps->items[i]->t.numel;
    return n;
}

/* The shard's values: gradients of trainable parameters, buffers' values. */
static void flatten(const sg_params *ps, float *out)
{
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        if (!flat_member(p)) continue;
        memcpy(out, p->buffer ? p->t.data : p->t.grad, (size_t)p->t.numel * sizeof *out);
        out += p->t.numel;
    }
}

/* Values [o, o + m) of the flat layout into out[o ..]. */
static void flatten_range(const sg_params *ps, int64_t o, int64_t m, float *out)
{
    int64_t at = 0;
    for (int i = 0; i < ps->count && at < o + m; i++) {
        const sg_param *p = ps->items[i];
        if (!flat_member(p)) continue;
        const int64_t lo = o > at ? o : at, hi = o + m < at + p->t.numel ? o + m : at + p->t.numel;
        if (lo < hi)
            memcpy(out + lo, (p->buffer ? p->t.data : p->t.grad) + (lo - at), (size_t)(hi - lo) * sizeof *out);
        at += p->t.numel;
    }
}

/* The sums back into the model: gradients as they are, buffers / count. */
static void unflatten(sg_params *ps, const float *in, int count)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!flat_member(p)) continue;
        if (p->buffer)
            for (int64_t k = 0; k < p->t.numel; k++) p->t.data[k] = in[k] / (float)count;
        else
            memcpy(p->t.grad, in, (size_t)p->t.numel * sizeof *in);
        in += p->t.numel;
    }
}

static void buffers_copy(sg_params *ps, float *saved, bool save)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!p->buffer) continue;
        size_t bytes = (size_t)p->t.numel * sizeof *saved;
        if (save) memcpy(saved, p->t.data, bytes);
        else memcpy(p->t.data, saved, bytes);
        saved += p->t.numel;
    }
}

/* A digest of every parameter and buffer (FNV-1a over their bytes): ranks
 * compare it to prove they hold the same model. */
static uint64_t params_digest(const sg_params *ps)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < ps->count; i++) {
        const unsigned char *b = (const unsigned char *)ps->items[i]->t.data;
        size_t n = (size_t)ps->items[i]->t.numel * sizeof(float);
        for (size_t k = 0; k < n; k++) h = (h ^ b[k]) * 1099511628211ull;
    }
    return h;
}

static sg_err prepare_shards(run *r)
{
    r->ranks = sg_dist_size();
    r->rank = sg_dist_rank();
    r->shards = (int)(r->cfg->shards > 0 ? r->cfg->shards : r->ranks);
    if (r->shards % r->ranks != 0)
        return sg_error_set(SG_ERR_INVALID, "--shards %d is not a multiple of the %d MPI ranks (use --shards %d, "
                            "or a multiple of it, or run on a number of ranks that divides %d)",
                            r->shards, r->ranks, r->ranks, r->shards);
    if (r->shards > r->cfg->batch)
        return sg_error_set(SG_ERR_INVALID, "--batch %lld is smaller than the %d shards (one per MPI rank at least)",
                            (long long)r->cfg->batch, r->shards);
    if (r->shards == 1) return SG_OK;
    const int64_t local = r->shards / r->ranks;
    const sg_params *ps = r->model.params;
    r->flat_max = 0;
    int64_t nbuf = 0;
    for (int i = 0; i < ps->count; i++) {
        r->flat_max += ps->items[i]->t.numel;
        if (ps->items[i]->buffer) nbuf += ps->items[i]->t.numel;
    }
    r->slots = malloc((size_t)(local * r->flat_max + 1) * sizeof *r->slots);
    const int64_t P = r->ranks, seg = (BUCKET + P - 1) / P;
    /* Under MPI every bucket may be in flight at once (overlap); one
     * process needs one bucket's buffers. */
    const int nb = P > 1 ? (int)((r->flat_max + BUCKET - 1) / BUCKET) : 1;
    r->n_buckets = nb > 0 ? nb : 1;
    r->seg_max = seg;
    r->send = calloc((size_t)(r->n_buckets * local * P * seg), sizeof *r->send);
    r->recv = malloc((size_t)(r->n_buckets * r->shards * seg) * sizeof *r->recv);
    r->own = malloc((size_t)(r->n_buckets * seg) * sizeof *r->own);
    r->gathered = malloc((size_t)(r->n_buckets * P * seg) * sizeof *r->gathered);
    r->req_a = calloc((size_t)r->n_buckets, sizeof *r->req_a);
    r->req_g = calloc((size_t)r->n_buckets, sizeof *r->req_g);
    r->ready = malloc((size_t)r->n_buckets * sizeof *r->ready);
    r->order = malloc((size_t)r->n_buckets * sizeof *r->order);
    r->first_use = malloc((size_t)(ps->count + 1) * sizeof *r->first_use);
    if (!r->req_a || !r->req_g || !r->ready || !r->order || !r->first_use)
        return sg_error_set(SG_ERR_NOMEM, "out of memory for %d buckets", r->n_buckets);
    r->buffers0 = malloc((size_t)(nbuf + 1) * sizeof *r->buffers0);
    r->stats = malloc((size_t)(2 * local) * sizeof *r->stats);
    r->all_stats = malloc((size_t)(2 * r->shards) * sizeof *r->all_stats);
    if (!r->slots || !r->send || !r->recv || !r->own || !r->gathered || !r->buffers0 || !r->stats || !r->all_stats)
        return sg_error_set(SG_ERR_NOMEM, "out of memory for %d shards of %lld values", r->shards,
                            (long long)r->flat_max);
    return SG_OK;
}

static int64_t bucket_size(const run *r, int bk)
{
    const int64_t o = (int64_t)bk * BUCKET;
    return r->step_V - o < BUCKET ? r->step_V - o : BUCKET;
}

static bool shard_empty(const run *r, int k)
{
    return (k + 1) * r->step_n / r->shards == k * r->step_n / r->shards;
}

static bool posted(const run *r, int bk)
{
    for (int q = 0; q < r->n_posted; q++)
        if (r->order[q] == bk) return true;
    return false;
}

/* Bucket bk of every local shard's values into buffer set `at`, cut into P
 * segments by owner ([owner][local shard][segment]), and its alltoall. */
static sg_err post_alltoall(run *r, int bk, int at)
{
    const int P = r->ranks, local = r->shards / P;
    const int64_t o = (int64_t)bk * BUCKET, m = bucket_size(r, bk), seg = (m + P - 1) / P;
    float *send = r->send + (int64_t)at * local * P * r->seg_max;
    for (int d = 0; d < P; d++)
        for (int j = 0; j < local; j++) {
            const int64_t from = d * seg, count = m - from < seg ? (m - from > 0 ? m - from : 0) : seg;
            memcpy(send + (d * local + j) * seg, r->slots + j * r->flat_max + o + from,
                   (size_t)count * sizeof *send);
        }
    return sg_dist_ialltoall_f32(send, local * seg, r->recv + (int64_t)at * r->shards * r->seg_max, &r->req_a[at]);
}

/* This rank's segment of bucket bk: the shards' pieces added in shard order
 * (the one order of the additions, whatever P), then the allgather. */
static sg_err sum_and_gather(run *r, int bk, int at)
{
    const int64_t seg = (bucket_size(r, bk) + r->ranks - 1) / r->ranks;
    const float *recv = r->recv + (int64_t)at * r->shards * r->seg_max;
    float *own = r->own + (int64_t)at * r->seg_max;
    bool first = true;
    for (int k = 0; k < r->shards; k++) {
        if (shard_empty(r, k)) continue;
        const float *v = recv + k * seg;
        if (first)
            memcpy(own, v, (size_t)seg * sizeof *own);
        else
            for (int64_t i = 0; i < seg; i++) own[i] += v[i];
        first = false;
    }
    return sg_dist_iallgather_f32(own, seg, r->gathered + (int64_t)at * r->ranks * r->seg_max, &r->req_g[at]);
}

/* The gathered sums of bucket bk into this rank's first slot. */
static void copy_sums(run *r, int bk, int at)
{
    memcpy(r->slots + (int64_t)bk * BUCKET, r->gathered + (int64_t)at * r->ranks * r->seg_max,
           (size_t)bucket_size(r, bk) * sizeof *r->slots);
}

/* Overlap (MPI only): after the last local shard's forward, the tape index
 * after whose backward each bucket is final: the smallest index of a node
 * that takes one of its parameters as an input (buffers are final already;
 * a parameter no node takes waits for the end of the backward). */
static void find_ready(run *r)
{
    const sg_params *ps = r->model.params;
    const int T = sg_graph_tape_length(r->g);
    for (int p = 0; p < ps->count; p++) r->first_use[p] = ps->items[p]->buffer ? T : -1;
    for (int t = 0; t < T; t++) {
        const sg_node *nd = sg_graph_tape_node(r->g, t);
        for (int k = 0; k < nd->n_in; k++) {
            const sg_tensor *x = nd->in[k];
            if (!x || !x->is_param) continue;
            for (int p = 0; p < ps->count; p++)
                if (&ps->items[p]->t == x && !ps->items[p]->buffer) {
                    if (r->first_use[p] < 0 || t < r->first_use[p]) r->first_use[p] = t;
                    break;
                }
        }
    }
    for (int bk = 0; bk < r->n_buckets; bk++) r->ready[bk] = T;
    int64_t at = 0;
    for (int p = 0; p < ps->count; p++) {
        if (!flat_member(ps->items[p])) continue;
        const int64_t end = at + ps->items[p]->t.numel;
        for (int64_t bk = at / BUCKET; bk * BUCKET < end && bk < r->n_buckets; bk++)
            if (r->first_use[p] < r->ready[bk]) r->ready[bk] = r->first_use[p];
        at = end;
    }
}

/* Called after each node's backward of the last local shard: start the
 * alltoall of every bucket that has become final (in decreasing bucket
 * order at each call: the same order on every rank, as the tape is), and
 * sum and gather those whose alltoall is done, in the order they started.
 * The alltoalls and the allgathers travel on two communicators, each in one
 * order on every rank (train/dist.c). */
static void backward_hook(void *ctx, int index)
{
    run *r = ctx;
    if (r->hook_err != SG_OK) return;
    const int local = r->shards / r->ranks;
    for (int bk = r->n_buckets - 1; bk >= 0; bk--) {
        if ((int64_t)bk * BUCKET >= r->step_V || r->ready[bk] < index || posted(r, bk)) continue;
        flatten_range(r->model.params, (int64_t)bk * BUCKET, bucket_size(r, bk),
                      r->slots + (local - 1) * r->flat_max);
        if ((r->hook_err = post_alltoall(r, bk, bk)) != SG_OK) return;
        r->order[r->n_posted++] = bk;
    }
    while (r->n_summed < r->n_posted) {
        const int bk = r->order[r->n_summed];
        bool done;
        if ((r->hook_err = sg_dist_test(&r->req_a[bk], &done)) != SG_OK || !done) return;
        if ((r->hook_err = sum_and_gather(r, bk, bk)) != SG_OK) return;
        r->n_summed++;
    }
}

/* One step's forward and backward in shards (see above): on return the
 * gradients and buffers are the shard-order sums, *loss_sum the batch's
 * sum of losses (shard mean loss x shard size, in shard order), *correct its
 * right answers. Every rank returns the same values, errors included.
 * Under MPI the buckets of the last local shard start their reduction as
 * soon as the backward has made them final (backward_hook): the sums are
 * the same, only earlier. */
static sg_err shard_step(run *r, const sg_batch *b, int64_t epoch, int64_t step, double lr, double *loss_sum,
                         int64_t *correct)
{
    const int S = r->shards, local = S / r->ranks;
    sg_params *ps = r->model.params;
    const int64_t n = b->n, chw = (int64_t)r->channels * r->size * r->size;
    sg_err err;
    r->step_n = n;
    r->step_V = flat_size(ps);
    r->n_posted = r->n_summed = 0;
    r->hook_err = SG_OK;
    const bool overlap = r->ranks > 1;
    buffers_copy(ps, r->buffers0, true);
    for (int j = 0; j < local; j++) {
        const int k = r->rank * local + j;
        const int64_t lo = k * n / S, hi = (k + 1) * n / S;
        r->stats[2 * j] = r->stats[2 * j + 1] = 0;
        if (hi == lo) continue;
        if (j > 0) buffers_copy(ps, r->buffers0, false);
        sg_graph_reset(r->g);
        sg_graph_set_seed(r->g, (uint64_t)r->cfg->seed, (uint64_t)(step * S + k));
        sg_params_zero_grad(ps);
        int64_t shape[4] = {hi - lo, r->channels, r->size, r->size};
        sg_tensor *x = sg_graph_view(r->g, b->images + lo * chw, 4, shape);
        sg_tensor *logits = sg_model_forward(r->g, &r->model, x);
        sg_tensor *loss = sg_cross_entropy(r->g, logits, b->labels + lo, &r->ce);
        if (!loss) return sg_graph_error(r->g);
        const float seed = (float)((double)(hi - lo) / (double)n);
        const bool last = j == local - 1;
        if (overlap && last) {
            find_ready(r);
            sg_graph_set_backward_hook(r->g, backward_hook, r);
        }
        err = sg_graph_backward_from(r->g, loss, &seed);
        sg_graph_set_backward_hook(r->g, NULL, NULL);
        if (err != SG_OK) return err;
        if (r->hook_err != SG_OK) return r->hook_err;
        if (!(overlap && last)) flatten(ps, r->slots + j * r->flat_max);
        int64_t right = 0;
        for (int64_t i = lo; i < hi; i++)
            right += sg_argmax(logits->data + (i - lo) * r->K, r->K) == b->labels[i];
        r->stats[2 * j] = loss->data[0];
        r->stats[2 * j + 1] = (double)right;
    }
    /* The sums, bucket by bucket, into this rank's first slot. */
    if (!overlap) {
        for (int bk = 0; (int64_t)bk * BUCKET < r->step_V; bk++) {
            if ((err = post_alltoall(r, bk, 0)) != SG_OK || (err = sum_and_gather(r, bk, 0)) != SG_OK) return err;
            copy_sums(r, bk, 0);
        }
    } else {
        /* What the backward left (e.g. the last local shard was empty): in
         * decreasing bucket order, as the hook does. */
        for (int bk = r->n_buckets - 1; bk >= 0; bk--)
            if ((int64_t)bk * BUCKET < r->step_V && !posted(r, bk)) {
                flatten_range(ps, (int64_t)bk * BUCKET, bucket_size(r, bk), r->slots + (local - 1) * r->flat_max);
                if ((err = post_alltoall(r, bk, bk)) != SG_OK) return err;
                r->order[r->n_posted++] = bk;
            }
        for (; r->n_summed < r->n_posted; r->n_summed++) {
            const int bk = r->order[r->n_summed];
            if ((err = sg_dist_wait(&r->req_a[bk])) != SG_OK || (err = sum_and_gather(r, bk, bk)) != SG_OK)
                return err;
        }
        for (int q = 0; q < r->n_posted; q++) {
            const int bk = r->order[q];
            if ((err = sg_dist_wait(&r->req_g[bk])) != SG_OK) return err;
            copy_sums(r, bk, bk);
        }
    }
    if ((err = sg_dist_allgather_f64(r->stats, 2 * local, r->all_stats)) != SG_OK) return err;
    *loss_sum = 0;
    *correct = 0;
    int filled = 0;
    for (int k = 0; k < S; k++) {
        const int64_t nk = (k + 1) * n / S - k * n / S;
        if (nk == 0) continue;
        if (!isfinite(r->all_stats[2 * k]))
            return sg_error_set(SG_ERR_INVALID, "loss became NaN at epoch %lld, step %lld (lr %g); try a lower --lr",
                                (long long)epoch + 1, (long long)step + 1, lr);
        *loss_sum += r->all_stats[2 * k] * (double)nk;
        *correct += (int64_t)r->all_stats[2 * k + 1];
        filled++;
    }
    unflatten(ps, r->slots, filled);
    return SG_OK;
}

static sg_err train_epoch(run *r, int64_t epoch, int64_t *step, double *loss_mean, double *accuracy)
{
    const sg_train_config *cfg = r->cfg;
    part *p = &r->parts[SG_SPLIT_TRAIN];
    sg_err err = sg_loader_start_epoch(p->loader, epoch);
    if (err != SG_OK) return err;
    double loss_sum = 0, t0 = seconds_now();
    int64_t seen = 0, correct = 0, batches = sg_loader_batches_per_epoch(p->loader);
    for (;;) {
        sg_batch b;
        bool has;
        if ((err = sg_loader_next(p->loader, &b, &has)) != SG_OK) return err;
        if (!has) break;
        double lr = lr_at(r, epoch, *step, batches);
        sg_optimizer_set_lr(r->opt, lr);
        if (r->shards > 1) {
            double batch_loss = 0, penalty = 0;
            int64_t right = 0;
            if ((err = shard_step(r, &b, epoch, *step, lr, &batch_loss, &right)) != SG_OK) return err;
            if (cfg->l2 > 0 &&
                (err = sg_l2_penalty(r->model.params, (float)cfg->l2, SG_L2_KERNELS, NULL, NULL, &penalty)) != SG_OK)
                return err;
            if (cfg->clip_norm > 0 && (err = sg_clip_grad_norm(r->model.params, (float)cfg->clip_norm, NULL)) != SG_OK)
                return err;
            if ((err = sg_optimizer_step(r->opt, r->model.params)) != SG_OK) return err;
            loss_sum += batch_loss + penalty * b.n;
            correct += right;
            goto stepped;
        }
        sg_graph_reset(r->g);
        sg_graph_set_seed(r->g, (uint64_t)cfg->seed, (uint64_t)*step);
        sg_params_zero_grad(r->model.params);
        int64_t shape[4] = {b.n, r->channels, r->size, r->size};
        sg_tensor *x = sg_graph_view(r->g, b.images, 4, shape);
        sg_tensor *logits = sg_model_forward(r->g, &r->model, x);
        sg_tensor *loss = sg_cross_entropy(r->g, logits, b.labels, &r->ce);
        if (!loss) return sg_graph_error(r->g);
        if (!isfinite(loss->data[0]))
            return sg_error_set(SG_ERR_INVALID, "loss became NaN at epoch %lld, step %lld (lr %g); try a lower --lr",
                                (long long)epoch + 1, (long long)*step + 1, lr);
        if ((err = sg_graph_backward(r->g, loss)) != SG_OK) return err;
        double penalty = 0;
        if (cfg->l2 > 0 &&
            (err = sg_l2_penalty(r->model.params, (float)cfg->l2, SG_L2_KERNELS, NULL, NULL, &penalty)) != SG_OK)
            return err;
        if (cfg->clip_norm > 0 && (err = sg_clip_grad_norm(r->model.params, (float)cfg->clip_norm, NULL)) != SG_OK)
            return err;
        if ((err = sg_optimizer_step(r->opt, r->model.params)) != SG_OK) return err;
        loss_sum += ((double)loss->data[0] + penalty) * b.n;
        for (int i = 0; i < b.n; i++)
            correct += sg_argmax(logits->data + (int64_t)i * r->K, r->K) == b.labels[i];
    stepped:
        seen += b.n;
        ++*step;
        if (r->ro.on_event) {
            sg_train_event e = {.kind = SG_TRAIN_STEP, .epoch = epoch + 1,
                                .epochs = cfg->epochs + cfg->phase2_epochs,
                                .batch = b.index + 1, .batches = batches, .images_done = seen,
                                .train_images = p->n, .loss = loss_sum / (double)seen, .lr = lr,
                                .epoch_seconds = seconds_now() - t0};
            r->ro.on_event(r->ro.ctx, &e);
        }
    }
    *loss_mean = loss_sum / (double)seen;
    *accuracy = (double)correct / (double)seen;
    return SG_OK;
}

static bool params_finite(const sg_params *ps)
{
    for (int i = 0; i < ps->count; i++) {
        const sg_tensor *t = &ps->items[i]->t;
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(t->data[k])) return false;
    }
    return true;
}

/* Keep the log lines of epochs <= `epochs` (a killed run may have written
 * one more, or half of one); *elapsed = the "elapsed" of the last kept line. */
static sg_err trim_log(const char *path, int64_t epochs, double *elapsed)
{
    *elapsed = 0;
    char *text;
    size_t len;
    if (access(path, F_OK) != 0) return SG_OK;
    sg_err err = sg_file_read_all(path, (size_t)1 << 30, &text, &len);
    if (err != SG_OK) return err;
    char *out = malloc(len + 1);
    size_t out_len = 0;
    if (!out) {
        free(text);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    }
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        size_t n = next ? (size_t)(next - line) : strlen(line);
        if (next) next++;
        else break;                            /* a line without '\n' was cut short */
        sg_json *j = NULL;
        int64_t e;
        if (sg_json_parse(line, n, path, &j) == SG_OK && sg_json_int64(sg_json_get(j, "epoch"), &e) &&
            e <= epochs) {
            memcpy(out + out_len, line, n + 1);
            out_len += n + 1;
            *elapsed = sg_json_number(sg_json_get(j, "elapsed"), *elapsed);
        }
        sg_json_free(j);
    }
    err = sg_file_write_atomic(path, out, out_len);
    free(out);
    free(text);
    return err;
}

/* Remove temporary files a killed run left ("<name>.tmp.<pid>..."). */
static void remove_stale_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            remove(path);
        }
    closedir(d);
}

static sg_err write_config(run *r)
{
    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_train_config_write_json(r->cfg, &w);
    sg_json_writer_end_object(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    sg_err err = text ? sg_file_write_atomic(r->path[P_CONFIG], text, len) : SG_ERR_NOMEM;
    sg_json_writer_free(&w);
    return err;
}

sg_err sg_train_config_load(sg_train_config *cfg, const char *run_dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", run_dir);
    sg_train_config_defaults(cfg);
    char *text;
    size_t len;
    sg_err err = sg_file_read_all(path, 1 << 20, &text, &len);
    if (err != SG_OK) return sg_error_set(err, "%s (is %s a run directory?)", sg_error_message(), run_dir);
    sg_json *j = NULL;
    err = sg_json_parse(text, len, path, &j);
    if (err == SG_OK) err = sg_train_config_from_json(cfg, j, path);
    sg_json_free(j);
    free(text);
    return err;
}

static sg_err write_metrics(run *r, const sg_metrics *val, const sg_metrics *test, const sg_run_state *st,
                            int64_t epochs_run, bool stopped, double seconds)
{
    const char *const *names = (const char *const *)r->ds.class_names;
    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "model", r->model.def->name);
    sg_json_writer_kv_number(&w, "test_accuracy", test->accuracy);
    sg_json_writer_kv_number(&w, "val_accuracy", val->accuracy);
    sg_json_writer_kv_number(&w, "test_macro_f1", test->macro_f1);
    sg_json_writer_kv_number(&w, "test_roc_auc", test->roc_auc);
    sg_json_writer_key(&w, "classes");
    sg_json_writer_begin_array(&w);
    for (int k = 0; k < r->K; k++) sg_json_writer_string(&w, names[k]);
    sg_json_writer_end_array(&w);
    sg_json_writer_key(&w, "test");
    sg_json_writer_begin_object(&w);
    sg_metrics_write_json(&w, test, names);
    sg_json_writer_end_object(&w);
    sg_json_writer_key(&w, "val");
    sg_json_writer_begin_object(&w);
    sg_metrics_write_json(&w, val, names);
    sg_json_writer_end_object(&w);
    sg_json_writer_kv_int64(&w, "train_images", r->parts[SG_SPLIT_TRAIN].n);
    sg_json_writer_kv_int64(&w, "val_images", r->parts[SG_SPLIT_VAL].n);
    sg_json_writer_kv_int64(&w, "test_images", r->parts[SG_SPLIT_TEST].n);
    sg_json_writer_kv_int64(&w, "epochs", epochs_run);
    sg_json_writer_kv_int64(&w, "best_epoch", st->best_epoch);
    sg_json_writer_kv_bool(&w, "stopped_early", stopped);
    sg_json_writer_kv_int64(&w, "params", sg_params_count(r->model.params));
    sg_json_writer_kv_int64(&w, "peak_arena_bytes", (int64_t)sg_graph_peak_bytes(r->g));
    sg_json_writer_kv_int64(&w, "threads", sg_threads());
    sg_json_writer_kv_int64(&w, "seed", r->cfg->seed);
    sg_json_writer_kv_number(&w, "seconds", seconds);
    sg_json_writer_key(&w, "skipped");
    sg_json_writer_begin_array(&w);
    for (int i = 0; i < r->skipped.count; i++) sg_json_writer_string(&w, r->skipped.items[i]);
    sg_json_writer_end_array(&w);
    sg_json_writer_end_object(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.json", r->dir);
    sg_err err = text ? sg_file_write_atomic(path, text, len) : SG_ERR_NOMEM;
    sg_json_writer_free(&w);
    return err;
}

static void run_free(run *r)
{
    for (int s = 0; s < 4; s++) {
        if (r->parts[s].loader) sg_loader_free(r->parts[s].loader);
        free(r->parts[s].paths);
        free(r->parts[s].labels);
    }
    /* The graph first: resetting it touches the parameters it last saw. */
    if (r->g) sg_graph_free(r->g);
    sg_model_free(&r->model);
    if (r->opt) sg_optimizer_free(r->opt);
    sg_early_stop_free(&r->es);
    sg_dataset_free(&r->ds);
    sg_notes_free(&r->skipped);
    free(r->bad);
    free(r->class_weights);
    free(r->probs);
    free(r->truth);
    free(r->pred);
    free(r->confusion);
    free(r->per_class);
    free(r->auc_scratch);
    free(r->auc);
    free(r->slots);
    free(r->send);
    free(r->recv);
    free(r->own);
    free(r->gathered);
    free(r->req_a);
    free(r->req_g);
    free(r->ready);
    free(r->order);
    free(r->first_use);
    free(r->buffers0);
    free(r->stats);
    free(r->all_stats);
}

sg_err sg_train_run(const sg_train_config *cfg, const char *run_dir, const sg_train_run_opts *opts,
                    sg_train_result *result)
{
    /* The number of shards is resolved here and kept in config.json, so a
     * resume gives the same bits on any number of ranks. */
    sg_train_config resolved = *cfg;
    if (resolved.shards == 0) resolved.shards = sg_dist_size();
    cfg = &resolved;
    run r = {.cfg = cfg, .dir = run_dir, .rank = sg_dist_rank(), .ranks = sg_dist_size()};
    if (opts) r.ro = *opts;
    /* Only rank 0 writes files and reports. */
    const bool writer = r.rank == 0;
    if (!writer) r.ro.on_event = NULL;
    *result = (sg_train_result){.test_accuracy = NAN, .val_accuracy = NAN, .test_macro_f1 = NAN,
                                .test_roc_auc = NAN};
    const double t0 = seconds_now();
    sg_err err = sg_train_config_check(cfg);
    if (err != SG_OK) return err;
    static const char *const names[4] = {"config.json", "last.safetensors", "best.safetensors", "log.jsonl"};
    for (int i = 0; i < 4; i++) {
        if ((size_t)snprintf(r.path[i], sizeof r.path[i], "%s/%s", run_dir, names[i]) >= sizeof r.path[i])
            return sg_error_set(SG_ERR_INVALID, "%s: path too long", run_dir);
    }
    if (writer && (err = sg_mkdir_p(run_dir)) != SG_OK) return err;
    bool resume = r.ro.resume;
    if (writer) remove_stale_temporaries(run_dir);
    if (!resume && writer) {
        /* A fresh run in a used directory (--force): no old checkpoint may
         * be taken for this run's by a later --resume. */
        for (int i = P_LAST; i <= P_LOG; i++) remove(r.path[i]);
        char metrics[4200];
        snprintf(metrics, sizeof metrics, "%s/metrics.json", run_dir);
        remove(metrics);
        snprintf(metrics, sizeof metrics, "%s/predictions.csv", run_dir);
        remove(metrics);
        if ((err = write_config(&r)) != SG_OK) return err;
    }

    sg_run_state st = {.best_val_accuracy = NAN, .best_val_loss = NAN};
    double elapsed_before = 0;
    FILE *log = NULL;
    if ((err = prepare_data(&r, !resume && writer)) != SG_OK || (err = prepare_model(&r)) != SG_OK ||
        (err = prepare_shards(&r)) != SG_OK)
        goto done;
    if (resume && access(r.path[P_LAST], F_OK) == 0) {
        if ((err = sg_run_checkpoint_restore(r.path[P_LAST], &r.model, r.opt, &st)) != SG_OK) goto done;
        if (st.early_stop[0] && (err = sg_early_stop_state_parse(&r.es, st.early_stop)) != SG_OK) {
            err = sg_error_set(err, "%s: %s", r.path[P_LAST], sg_error_message());
            goto done;
        }
        note(&r, "resuming %s after epoch %lld (step %lld)", run_dir, (long long)st.epoch, (long long)st.step);
    } else if (resume) {
        note(&r, "%s has no last.safetensors yet: starting from epoch 1", run_dir);
    }
    if ((err = sg_dist_check_same(params_digest(r.model.params) ^ (uint64_t)st.epoch,
                                  "the starting model (with --resume: is RUN on a filesystem every rank sees?)")) !=
        SG_OK)
        goto done;
    if (writer && (err = trim_log(r.path[P_LOG], st.epoch, &elapsed_before)) != SG_OK) goto done;
    if (writer && !(log = fopen(r.path[P_LOG], "a"))) {
        err = sg_error_set(SG_ERR_IO, "cannot open '%s' for appending", r.path[P_LOG]);
        goto done;
    }
    if (r.ro.on_event) {
        sg_train_event e = {.kind = SG_TRAIN_START, .epoch = st.epoch, .epochs = cfg->epochs + cfg->phase2_epochs,
                            .batches = sg_loader_batches_per_epoch(r.parts[SG_SPLIT_TRAIN].loader),
                            .train_images = r.parts[SG_SPLIT_TRAIN].n, .val_images = r.parts[SG_SPLIT_VAL].n,
                            .test_images = r.parts[SG_SPLIT_TEST].n, .classes = r.K,
                            .params = sg_params_count(r.model.params)};
        r.ro.on_event(r.ro.ctx, &e);
    }

    const char *const *class_names = (const char *const *)r.ds.class_names;
    const bool two_phases = cfg->phase2_epochs > 0;
    const int64_t total = cfg->epochs + cfg->phase2_epochs;
    int64_t epoch = st.epoch;
    bool stop = r.es.stopped_epoch > 0;
    if (two_phases && stop && epoch < cfg->epochs) {
        epoch = cfg->epochs;                 /* phase 1 had stopped early */
        stop = false;
    }
    if (two_phases && epoch > cfg->epochs && (err = enter_phase2(&r, false)) != SG_OK) goto done;
    bool has_val = r.parts[SG_SPLIT_VAL].n > 0;
    for (; epoch < total && !stop; epoch++) {
        if (two_phases && epoch == cfg->epochs && (err = enter_phase2(&r, true)) != SG_OK) goto done;
        double epoch_t0 = seconds_now(), train_loss = 0, train_acc = 0;
        if ((err = train_epoch(&r, epoch, &st.step, &train_loss, &train_acc)) != SG_OK) goto done;
        sg_metrics val;
        if ((err = evaluate(&r, SG_SPLIT_VAL, &val)) != SG_OK) goto done;
        if (has_val && cfg->patience > 0 &&
            (err = sg_early_stop_update(&r.es, val.loss, (int)epoch, r.model.params, &stop)) != SG_OK)
            goto done;
        sg_early_stop_state_format(&r.es, st.early_stop, sizeof st.early_stop);
        bool improved = !has_val || st.best_epoch == 0 || val.accuracy > st.best_val_accuracy ||
                        (val.accuracy == st.best_val_accuracy && val.loss < st.best_val_loss);
        st.epoch = epoch + 1;
        /* A NaN gradient in the epoch's last step leaves NaN weights behind a
         * finite loss: never checkpoint them. */
        if (!params_finite(r.model.params) || (has_val && !isfinite(val.loss))) {
            err = sg_error_set(SG_ERR_INVALID, "loss became NaN at epoch %lld, step %lld (lr %g); try a lower --lr",
                               (long long)epoch + 1, (long long)st.step, sg_optimizer_lr(r.opt));
            goto done;
        }
        if (r.ranks > 1 && (err = sg_dist_check_same(params_digest(r.model.params), "the weights")) != SG_OK) {
            err = sg_error_set(err, "%s after epoch %lld", sg_error_message(), (long long)epoch + 1);
            goto done;
        }
        if (improved) {
            st.best_epoch = epoch + 1;
            st.best_val_accuracy = val.accuracy;
            st.best_val_loss = val.loss;
            if (writer && (err = sg_run_checkpoint_save(r.path[P_BEST], &r.model, NULL, class_names, r.K, cfg, &st)) != SG_OK)
                goto done;
        }
        if (writer && (err = sg_run_checkpoint_save(r.path[P_LAST], &r.model, r.opt, class_names, r.K, cfg, &st)) != SG_OK)
            goto done;
        double now = seconds_now();
        if (log) fprintf(log, "{\"epoch\":%lld,\"step\":%lld,\"lr\":%.9g,\"train_loss\":%.9g,\"train_accuracy\":%.9g,"
                     "\"val_loss\":%.9g,\"val_accuracy\":%.9g,\"val_macro_f1\":%.9g,\"best\":%s,"
                     "\"seconds\":%.3f,\"elapsed\":%.3f}\n",
                (long long)epoch + 1, (long long)st.step, sg_optimizer_lr(r.opt), train_loss, train_acc,
                has_val ? val.loss : 0.0, has_val ? val.accuracy : 0.0, has_val ? val.macro_f1 : 0.0,
                improved ? "true" : "false", now - epoch_t0, elapsed_before + now - t0);
        if (log) fflush(log);
        if (r.ro.on_event) {
            sg_train_event e = {.kind = SG_TRAIN_EPOCH, .epoch = epoch + 1, .epochs = total,
                                .train_images = r.parts[SG_SPLIT_TRAIN].n, .loss = train_loss,
                                .lr = sg_optimizer_lr(r.opt), .epoch_seconds = now - epoch_t0,
                                .train_accuracy = train_acc, .val_loss = val.loss,
                                .val_accuracy = val.accuracy, .val_macro_f1 = val.macro_f1,
                                .improved = improved, .stopping = stop};
            r.ro.on_event(r.ro.ctx, &e);
        }
        if (stop && two_phases && epoch < cfg->epochs) {
            stop = false;                    /* phase 1 ends here; phase 2 follows */
            epoch = cfg->epochs - 1;
        }
    }
    result->stopped_early = r.es.stopped_epoch > 0;
    result->epochs_run = st.epoch;
    /* The final metrics are rank 0's to compute and write (best.safetensors
     * may not even be on the other ranks' filesystems). */
    if (!writer) goto done;

    /* The best weights (they are the last ones when there is no val set). */
    if (access(r.path[P_BEST], F_OK) == 0 &&
        (err = sg_run_checkpoint_restore(r.path[P_BEST], &r.model, NULL, NULL)) != SG_OK)
        goto done;
    sg_metrics val, test;
    sg_class_metrics *val_pc = malloc((size_t)r.K * sizeof *val_pc);
    int64_t *val_conf = malloc((size_t)r.K * (size_t)r.K * sizeof *val_conf);
    if (!val_pc || !val_conf) err = sg_error_set(SG_ERR_NOMEM, "out of memory");
    if (err == SG_OK) err = evaluate(&r, SG_SPLIT_VAL, &val);
    if (err == SG_OK) {
        memcpy(val_pc, r.per_class, (size_t)r.K * sizeof *val_pc);
        memcpy(val_conf, r.confusion, (size_t)r.K * (size_t)r.K * sizeof *val_conf);
        val.per_class = val_pc;
        val.confusion = val_conf;
        err = evaluate(&r, SG_SPLIT_TEST, &test);
    }
    /* RUN/predictions.csv: every test image (val when there is no test
     * split: the buffers still hold val's, as evaluate() left an empty part's
     * alone). */
    if (err == SG_OK && writer) {
        int which = r.parts[SG_SPLIT_TEST].n > 0 ? SG_SPLIT_TEST : SG_SPLIT_VAL;
        const part *p = &r.parts[which];
        int64_t seen = which == SG_SPLIT_TEST ? test.n : val.n;
        char path[4200];
        snprintf(path, sizeof path, "%s/predictions.csv", run_dir);
        if (seen > 0)
            err = sg_predictions_write(path, p->paths, sg_split_name(which), r.truth, r.probs, seen, r.K,
                                       class_names, p->paths, (int)p->n);
    }
    result->seconds = elapsed_before + seconds_now() - t0;
    if (err == SG_OK && writer)
        err = write_metrics(&r, &val, &test, &st, st.epoch, result->stopped_early, result->seconds);
    if (err == SG_OK) {
        result->test_accuracy = test.accuracy;
        result->val_accuracy = val.accuracy;
        result->test_macro_f1 = test.macro_f1;
        result->test_roc_auc = test.roc_auc;
        result->skipped = r.skipped.count;
    }
    free(val_pc);
    free(val_conf);
done:
    if (log) fclose(log);
    run_free(&r);
    return err;
}

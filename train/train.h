/* train/train.h - the training engine: a data set, a model by name, an
 * optimiser and a schedule in; a run directory out.
 *
 *   RUN/config.json       every option (train/config.h): --resume reads it
 *   RUN/split.csv         the manifest of the split used (path,label,split)
 *   RUN/last.safetensors  after every epoch: weights, buffers, optimiser state
 *                         and, in the metadata, the position (epoch, step),
 *                         the early-stopping counters, the best value so far,
 *                         the model, its options and the class names
 *   RUN/best.safetensors  the epoch with the best val accuracy (ties: lower
 *                         val loss), same layout
 *   RUN/log.jsonl         one JSON object per finished epoch
 *   RUN/metrics.json      test and val metrics of the best weights
 *
 * Every file is written to a temporary file, flushed and renamed, so a kill
 * at any moment leaves the previous good version. A resumed run restarts at
 * the epoch after the last checkpoint and is bit-identical to an
 * uninterrupted one: the epoch order, augmentation and dropout are pure
 * functions of (seed, epoch, position, step) (core/rng.h), the learning rate
 * a pure function of (epoch, step), and everything else that changes is in
 * the checkpoint. The checkpoint's bytes do not depend on the run directory,
 * the time or the thread count, so two runs can be compared with cmp.
 *
 * Data: a class-folder tree (split by sg_split_stratified with the seed and
 * ratios of the config), or a CSV manifest whose split column is used as is
 * (rows without a split are left out; a manifest without any split is split
 * like a folder; with `folds` K > 1, fold `fold` of a stratified k-fold
 * split is val and the rest trains, with no test part; byte-identical
 * files always share a part, as in
 * `steelgrad data split`). Every image is decoded once before training; one
 * that fails is skipped with a note naming it (or, with `strict`, stops the
 * run).
 *
 * Freezing. `freeze` lists parameter-name prefixes ("features.0,features.1.").
 * `train_last N` freezes every layer but the last N, counting as Keras counts
 * model.layers[-N:] but over the layers that have parameters: a layer is
 * the parameter-name prefix before the last '.', in model order
 * ("features.3" owns features.3.weight and .bias; a BatchNorm is one layer
 * with its running statistics). Activations, pooling and additions have no
 * parameters and are not counted here, unlike Keras, so N counts conv,
 * BatchNorm and dense layers only. A frozen BatchNorm still updates its
 * running statistics in training mode (PyTorch's behaviour, not Keras').
 *
 * Two-phase fine-tuning (papers 001 and 004, Keras' recipe: fit the new head
 * on a frozen base, then unfreeze and fit again with a lower rate): with
 * `phase2_epochs` > 0, epochs [0, epochs) are phase 1 with the freezing
 * above, and epochs [epochs, epochs + phase2_epochs) are phase 2: every
 * layer unfrozen but for `phase2_train_last` (0 = all trainable), the
 * optimiser's state dropped (a Keras recompile), the schedule restarted at
 * `phase2_lr` over phase 2's steps, early stopping restarted. Early stopping
 * in phase 1 ends phase 1. Resuming works in either phase. */
#ifndef SG_TRAIN_H
#define SG_TRAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "interp/metrics.h"
#include "models/zoo.h"
#include "train/config.h"

/* What the engine reports while it runs (the CLI draws bars from it). */
typedef enum sg_train_event_kind {
    SG_TRAIN_START,        /* data and model ready: sizes are set */
    SG_TRAIN_STEP,         /* after each optimiser step */
    SG_TRAIN_EPOCH,        /* after each epoch's validation and checkpoint */
    SG_TRAIN_NOTE,         /* a warning line in `note` (a skipped file, a resumed run) */
} sg_train_event_kind;

typedef struct sg_train_event {
    sg_train_event_kind kind;
    const char *note;
    int64_t epoch, epochs;           /* epoch counts from 1 in events */
    int64_t batch, batches;          /* within the epoch, from 1 */
    int64_t images_done;             /* training images seen in this epoch */
    int64_t train_images, val_images, test_images;
    int classes;
    int64_t params;
    double loss;                     /* running mean train loss of the epoch */
    double lr;
    double epoch_seconds;            /* since the epoch began */
    /* SG_TRAIN_EPOCH */
    double train_accuracy, val_loss, val_accuracy, val_macro_f1;
    bool improved, stopping;
} sg_train_event;

typedef void (*sg_train_event_fn)(void *ctx, const sg_train_event *e);

typedef struct sg_train_run_opts {
    bool resume;                     /* continue RUN from last.safetensors */
    sg_train_event_fn on_event;      /* may be NULL */
    void *ctx;
} sg_train_run_opts;

/* What a finished run reached (also in RUN/metrics.json). */
typedef struct sg_train_result {
    double test_accuracy, val_accuracy, test_macro_f1, test_roc_auc;  /* NaN if no images */
    int64_t epochs_run;              /* epochs trained, in total */
    bool stopped_early;
    int skipped;                     /* files left out */
    double seconds;
} sg_train_result;

/* Train (or, with opts->resume, continue) the run in `run_dir` with `cfg`
 * (for a resume, the caller loads cfg from RUN/config.json:
 * sg_train_config_load). Errors are values with one-line messages naming
 * the file or option; a non-finite loss stops at once with
 * "loss became NaN at epoch E, step S (lr X); try a lower --lr", leaving the
 * last good checkpoint in place. */
sg_err sg_train_run(const sg_train_config *cfg, const char *run_dir, const sg_train_run_opts *opts,
                    sg_train_result *result);

/* Read RUN/config.json into cfg (defaults first). */
sg_err sg_train_config_load(sg_train_config *cfg, const char *run_dir);

/* Freeze the parameters of m whose names start with one of the comma-
 * separated prefixes, and / or all but the last `train_last` layers (see
 * above). *frozen (may be NULL) = the number of frozen parameters.
 * SG_ERR_INVALID for a prefix that matches nothing. */
sg_err sg_train_freeze(sg_params *ps, const char *prefixes, int64_t train_last, int *frozen);

/* Load initial weights by name: every tensor of the file whose name and
 * shape match a parameter is copied; the rest are counted (e.g. a 1000-class
 * ImageNet classifier on a 6-class model). An RGB first convolution loaded
 * into a gray model is summed over its input channels. *loaded / *skipped
 * may be NULL. SG_ERR_INVALID if nothing matched. */
sg_err sg_train_load_weights(sg_params *ps, const char *path, int *loaded, int *skipped);

#endif

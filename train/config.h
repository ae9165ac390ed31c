/* train/config.h - every option of a training run, in one table.
 *
 * One struct holds the options; one table describes each (name, type, range,
 * help). The same table serves the command line (`steelgrad train --lr 0.01`:
 * cli/train.c makes its option list from it), recipes (key=value files,
 * `lr = 0.01`), the run's config.json (so `--resume RUN` needs no flags) and
 * the checkpoint's metadata. Adding an option is one field and one row.
 *
 * Strings set from a recipe or config.json are owned by the config (freed by
 * sg_train_config_free); strings set elsewhere (argv) are borrowed. */
#ifndef SG_TRAIN_CONFIG_H
#define SG_TRAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/json.h"
#include "models/zoo.h"

typedef struct sg_train_config {
    /* data */
    const char *data;            /* class-folder tree, or NULL */
    const char *manifest;        /* CSV path,label,split, or NULL */
    const char *ratios;          /* train,val,test split of a folder: "70,15,15" */
    int64_t seed;                /* split, init, shuffling, augmentation, dropout */
    int64_t split_seed;          /* the split's own seed; -1 = seed */
    int64_t folds, fold;         /* folds > 1: k-fold cross-validation, fold `fold` is val, no test */
    bool strict;                 /* a corrupt image stops the run instead of being skipped */
    /* model */
    const char *model;           /* a name of models/zoo.h */
    int64_t size, channels;      /* input side and channels; 0 = the model's default */
    double width_mult;           /* 0 = the reference's */
    double dropout;              /* < 0 = the reference's */
    const char *head;            /* "" = the reference classifier */
    const char *padding;         /* the convolutions' padding mode: zeros, reflect, replicate */
    const char *weights;         /* initial weights (safetensors), loaded by name; "" = none */
    /* optimisation */
    int64_t epochs, batch;
    const char *optimizer;       /* adam, adamw, sgd */
    double lr, momentum, weight_decay, l2, clip_norm, label_smoothing;
    const char *schedule;        /* cosine, exponential, step, constant */
    double gamma, min_lr;
    int64_t step_size, warmup_epochs;
    int64_t patience;            /* early stopping on val loss; 0 = off */
    double min_delta;
    const char *class_weights;   /* "none" or "balanced" */
    const char *freeze;          /* comma-separated parameter-name prefixes to freeze */
    int64_t train_last;          /* > 0: freeze all but the last N layers (see train.h) */
    int64_t phase2_epochs;       /* > 0: a fine-tuning phase after `epochs` (see train.h) */
    double phase2_lr;            /* its peak learning rate; 0 = lr / 10 */
    int64_t phase2_train_last;   /* trainable layers in phase 2; 0 = all */
    /* input pipeline */
    const char *norm;            /* unit, symmetric, imagenet */
    bool hflip, vflip;
    double rotation, shift, shear, zoom, brightness, contrast;
    int64_t workers;             /* loader threads */
    bool no_cache;               /* decode every epoch instead of keeping images in RAM */
    bool keep_depth;             /* 16-bit images reach the network as v / 65535 (loader.h) */
    const char *tta;             /* test-time augmentation of val/test/eval/predict: none, flips */
    /* data parallelism (train/dist.h, docs/DISTRIBUTED.md) */
    int64_t shards;              /* > 1: each batch in S shards, gradients summed in shard order;
                                    0 = as many as MPI ranks (1 without MPI) */

    /* strings this config owns */
    char **owned;
    int n_owned, cap_owned;
} sg_train_config;

typedef enum sg_train_opt_type { SG_TOPT_STRING, SG_TOPT_INT, SG_TOPT_FLOAT, SG_TOPT_BOOL } sg_train_opt_type;

/* One option: the field at `offset` of sg_train_config. Ranges as in
 * cli/cli.h: [min, max] (or (min, max] with above_min); min == max == 0 is
 * any value, max <= min means no upper bound. */
typedef struct sg_train_opt {
    const char *name;
    sg_train_opt_type type;
    size_t offset;
    const char *help;
    double min, max;
    bool above_min;
} sg_train_opt;

int sg_train_opt_count(void);
const sg_train_opt *sg_train_opt_at(int i);
const sg_train_opt *sg_train_opt_find(const char *name);
/* The address of option o's field in cfg. */
void *sg_train_opt_field(sg_train_config *cfg, const sg_train_opt *o);

/* The defaults: 70/15/15 seed 42, Adam lr 1e-3 cosine, 10 epochs, batch 32,
 * channels and size of the model, no augmentation. */
void sg_train_config_defaults(sg_train_config *cfg);
void sg_train_config_free(sg_train_config *cfg);

/* Set option `name` from text (strict numbers, "true/false/1/0/yes/no" for
 * booleans). `where` ("recipe.conf:3") starts the error message.
 * SG_ERR_INVALID naming the option and the accepted values. */
sg_err sg_train_config_set(sg_train_config *cfg, const char *name, const char *value,
                           const char *where);
/* Read a recipe: lines "key = value", '#' comments, blank lines. Errors name
 * the file and line. */
sg_err sg_train_config_read_recipe(sg_train_config *cfg, const char *path);

/* Every option as members of the open object w (strings, numbers, booleans). */
void sg_train_config_write_json(const sg_train_config *cfg, sg_json_writer *w);
/* Set the options named in the object j (config.json); unknown keys are an
 * error naming `source`. */
sg_err sg_train_config_from_json(sg_train_config *cfg, const sg_json *j, const char *source);

/* Whole-config checks (one of data/manifest, a model, known names of the
 * optimizer, schedule, class weights, norm, padding). SG_ERR_INVALID naming the option. */
sg_err sg_train_config_check(const sg_train_config *cfg);

/* The zoo options of cfg's model for `classes` classes (channels, size,
 * width multiplier, dropout, head, padding; zeros are the model's defaults). */
sg_model_options sg_train_model_options(const sg_train_config *cfg, int classes);

#endif

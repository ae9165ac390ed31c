/* train/checkpoint.h - run checkpoints: weights + optimiser state + position.
 *
 * A run checkpoint is a .safetensors file any toolchain can read:
 *   tensors   every parameter and buffer under its reference name, then the
 *             optimiser's state ("<param>.__adam_m", ... see optim/optim.h)
 *   metadata  "format" = "steelgrad-run-1", "model" (zoo name),
 *             "model_options" (JSON), "classes" (JSON array of the class
 *             names, in label order), "config" (JSON: every training option),
 *             "epoch" (epochs completed), "step" (optimiser steps taken),
 *             "early_stop" (its counters), "best" (JSON: best epoch, val
 *             accuracy and loss), "rng" (how the random streams are keyed).
 * Nothing in it depends on the run directory, the clock or the thread count.
 * `eval`, `predict` and `--resume` need nothing else. */
#ifndef SG_TRAIN_CHECKPOINT_H
#define SG_TRAIN_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/safetensors.h"
#include "models/zoo.h"
#include "optim/optim.h"
#include "train/config.h"

/* The position of a run, saved with its weights. */
typedef struct sg_run_state {
    int64_t epoch;               /* epochs completed */
    int64_t step;                /* optimiser steps taken */
    char early_stop[160];        /* sg_early_stop_state_format, or "" */
    int64_t best_epoch;          /* 0 = none yet (epochs count from 1 here) */
    double best_val_accuracy, best_val_loss;
} sg_run_state;

/* Write the checkpoint atomically (temporary file, fsync, rename). opt may
 * be NULL (weights only). */
sg_err sg_run_checkpoint_save(const char *path, const sg_model *m, const sg_optimizer *opt,
                              const char *const *class_names, int n_classes,
                              const sg_train_config *cfg, const sg_run_state *state);

/* Put the checkpoint's weights (every parameter must be present with its
 * shape), optimiser state (if opt) and position (if state) back. Errors name
 * the file; nothing is changed on error. */
sg_err sg_run_checkpoint_restore(const char *path, sg_model *m, sg_optimizer *opt,
                                 sg_run_state *state);

/* A checkpoint opened for inference: the model rebuilt from its metadata,
 * weights loaded, the class names and the training options (for the input
 * pipeline: channels, size, normalisation). */
typedef struct sg_run_model {
    sg_model model;
    sg_train_config cfg;
    int classes;
    char **class_names;
} sg_run_model;

sg_err sg_run_model_open(const char *path, sg_run_model *out);
/* Reference weights without steelgrad's metadata (torchvision's ResNet-50
 * saved as safetensors, say): the zoo model `model` built for `classes`
 * outputs, `channels` (0: the model's default; 1 with an RGB file sums its
 * stem, as sg_model_load_weights does) and `size` (0: the default), every
 * parameter loaded (a missing or reshaped one is an error naming it), the
 * classes named "0", "1", ..., the input normalised as ImageNet's for 3
 * channels, unit for 1. Closed with sg_run_model_close. */
sg_err sg_run_model_reference(const char *path, const char *model, int classes, int channels, int size,
                              sg_run_model *out);
void sg_run_model_close(sg_run_model *rm);

/* The mean and std of a normalisation name (unit: NULL, NULL). */
void sg_norm_values(const char *norm, int channels, const float **mean, const float **std);

#endif

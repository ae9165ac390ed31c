/* optim/schedule.h - learning-rate schedules.
 *
 * The fixed schedules are pure functions of the epoch (or the optimiser step):
 * a resumed run asks for lr(epoch, step) and gets what the uninterrupted run
 * had, with no scheduler state to save. Each is the closed form of a PyTorch
 * scheduler (PyTorch steps them recursively; the two agree to double rounding,
 * which tests/golden/gen_optim.py checks to 1e-12):
 *
 *   step decay   lr(e) = base * gamma^floor(e / step_size)       torch StepLR
 *   exponential  lr(e) = base * gamma^e                          torch ExponentialLR;
 *                = Keras ExponentialDecay(decay_steps = steps per epoch, staircase=True)
 *   warm-up + cosine, over optimiser steps s, W warm-up steps, T total steps:
 *     s <  W      lr = base * (f + (1 - f) * s / W)               torch LinearLR(start_factor=f, total_iters=W)
 *     W <= s < T  lr = min + (base - min) * (1 + cos(pi * (s - W) / (T - W))) / 2
 *                                                                 torch CosineAnnealingLR(T_max=T-W, eta_min=min)
 *     s >= T      lr = min       (torch's cosine would climb again; we hold the floor)
 *   the two chained exactly as torch SequentialLR([linear, cosine], milestones=[W]):
 *   the warm-up's last value is base*(f + (1-f)*(W-1)/W); base itself comes at s = W.
 *
 * Reduce-on-plateau depends on the metrics seen, so it is a small struct
 * (plain data: save its fields, or the text of sg_plateau_state_format). */
#ifndef SG_SCHEDULE_H
#define SG_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Step decay: base * gamma^(epoch / step_size) (integer division). */
double sg_lr_step_decay(double base_lr, int64_t epoch, int64_t step_size, double gamma);
/* Exponential decay per epoch: base * gamma^epoch. */
double sg_lr_exponential(double base_lr, int64_t epoch, double gamma);
/* Linear warm-up from warmup_start_factor*base over warmup_steps, then cosine
 * to min_lr at total_steps (formula above). */
double sg_lr_warmup_cosine(double base_lr, double min_lr, double warmup_start_factor,
                           int64_t warmup_steps, int64_t total_steps, int64_t step);

typedef enum sg_lr_schedule_kind {
    SG_LR_CONSTANT,
    SG_LR_STEP,            /* per epoch: step_size, gamma */
    SG_LR_EXPONENTIAL,     /* per epoch: gamma */
    SG_LR_WARMUP_COSINE,   /* per optimiser step: min_lr, warmup_start_factor, warmup_steps, total_steps */
} sg_lr_schedule_kind;

/* A schedule as a config holds it. */
typedef struct sg_lr_schedule {
    sg_lr_schedule_kind kind;
    double base_lr;
    int64_t step_size;
    double gamma;
    double min_lr;
    double warmup_start_factor;
    int64_t warmup_steps, total_steps;
} sg_lr_schedule;

/* SG_ERR_INVALID naming the field if a value is out of range. */
sg_err sg_lr_schedule_check(const sg_lr_schedule *s);
/* The lr for the optimiser step `step` (counted from 0 over the run) in epoch `epoch`. */
double sg_lr_schedule_at(const sg_lr_schedule *s, int64_t epoch, int64_t step);

/* --- reduce on plateau ----------------------------------------------------- */

typedef enum sg_monitor_mode {
    SG_MONITOR_MIN,   /* lower is better (a loss) */
    SG_MONITOR_MAX,   /* higher is better (an accuracy) */
} sg_monitor_mode;

typedef struct sg_plateau_opts {
    sg_monitor_mode mode;
    double factor;        /* new lr = lr * factor, < 1 */
    int patience;         /* bad epochs tolerated before a cut */
    double threshold;     /* what counts as better (see threshold_abs) */
    bool threshold_abs;   /* false = 'rel': better than best*(1 -/+ threshold); true = 'abs': best -/+ threshold */
    int cooldown;         /* epochs after a cut during which bad epochs are not counted */
    double min_lr;        /* the lr never goes below this */
    double eps;           /* a cut smaller than eps is skipped */
} sg_plateau_opts;

/* torch.optim.lr_scheduler.ReduceLROnPlateau
 * (https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html),
 * step(metric) per epoch:
 *     better = metric < best*(1-threshold)  [min, rel]   metric < best - threshold  [min, abs]
 *              metric > best*(1+threshold)  [max, rel]   metric > best + threshold  [max, abs]
 *     better ? (best = metric, bad = 0) : bad++
 *     if cooldown_left > 0: cooldown_left--, bad = 0
 *     if bad > patience: new = max(lr*factor, min_lr); if lr - new > eps: lr = new;
 *                        cooldown_left = cooldown; bad = 0
 * A NaN metric is never better (a bad epoch). best starts at +inf (min) / -inf (max). */
typedef struct sg_plateau {
    sg_plateau_opts opts;
    double lr;
    double best;
    int num_bad_epochs;
    int cooldown_counter;
    int64_t last_epoch;   /* epochs seen */
} sg_plateau;

/* torch's defaults: min, factor 0.1, patience 10, threshold 1e-4 rel,
 * cooldown 0, min_lr 0, eps 1e-8. */
sg_plateau_opts sg_plateau_defaults(void);
/* Start with learning rate `lr`; SG_ERR_INVALID for factor >= 1 and the like. */
sg_err sg_plateau_init(sg_plateau *p, const sg_plateau_opts *opts, double lr);
/* Feed one epoch's metric; returns the learning rate for the next epoch. */
double sg_plateau_step(sg_plateau *p, double metric);
/* The mutable fields as one line of text, exact ("%.17g"); returns snprintf's count. */
int sg_plateau_state_format(const sg_plateau *p, char *buf, size_t size);
/* Read back a line from sg_plateau_state_format (opts stay as initialised). */
sg_err sg_plateau_state_parse(sg_plateau *p, const char *text);

#endif

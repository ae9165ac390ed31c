/* optim/early_stop.h - stop training when a monitored metric stops improving.
 *
 * Keras' EarlyStopping callback (https://keras.io/api/callbacks/early_stopping/,
 * Keras 3 rules), called once per epoch with the monitored value:
 *     if epoch < start_from_epoch: nothing happens
 *     first call with restore_best_weights: keep a copy of the weights (best_epoch = epoch)
 *     wait += 1
 *     improved = value - min_delta > best  (max)   or   value + min_delta < best  (min)
 *     if improved: best = value, best_epoch = epoch, keep a copy of the weights,
 *                  wait = 0 (if there is a baseline, only when value also improves on it);
 *                  no stop
 *     else if wait >= patience and epoch > 0: stop (stopped_epoch = epoch)
 * best starts at +inf (min) / -inf (max); a NaN value never improves.
 * "The weights" are every value of the store - trainable, frozen and buffers
 * (BatchNorm running statistics), as Keras' get_weights(). Keras 3 puts them
 * back at the end of training whether or not it stopped early; here the caller
 * does that with sg_early_stop_restore() when its loop ends. */
#ifndef SG_EARLY_STOP_H
#define SG_EARLY_STOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/param.h"
#include "optim/schedule.h"   /* sg_monitor_mode */

typedef struct sg_early_stop_opts {
    sg_monitor_mode mode;
    double min_delta;           /* its absolute value is used, as Keras */
    int patience;               /* epochs without improvement before stopping */
    bool restore_best_weights;  /* keep a copy of the best epoch's weights */
    bool use_baseline;          /* Keras baseline: wait resets only when beaten too */
    double baseline;
    int start_from_epoch;       /* epochs before this are ignored (warm-up) */
} sg_early_stop_opts;

typedef struct sg_early_stop {
    sg_early_stop_opts opts;
    double best;
    int wait;
    int best_epoch;
    int stopped_epoch;          /* 0 until it stops (Keras' convention) */
    float *best_weights;        /* every value of the store, in store order; owned */
    int64_t best_numel;         /* floats in best_weights */
    int best_count;             /* parameters the copy was taken from */
} sg_early_stop;

/* Set up (no allocation yet); SG_ERR_INVALID for a bad mode or patience < 0. */
sg_err sg_early_stop_init(sg_early_stop *es, const sg_early_stop_opts *opts);
/* End of epoch `epoch` (from 0) with the monitored value; *stop says whether to
 * stop now. Copies the weights of `ps` when they are the best so far (the copy
 * buffer is allocated on the first call, once). SG_ERR_NOMEM, or SG_ERR_SHAPE
 * if the store no longer has the size the first copy had. */
sg_err sg_early_stop_update(sg_early_stop *es, double value, int epoch, const sg_params *ps,
                            bool *stop);
/* Copy the kept best weights back into `ps`; SG_ERR_INVALID if none were kept
 * (restore_best_weights off or no update yet), SG_ERR_SHAPE for another store. */
sg_err sg_early_stop_restore(const sg_early_stop *es, sg_params *ps);
/* Take the current values of `ps` as the kept best weights (what an improving
 * update does; a resumed run calls it with its best checkpoint loaded). */
sg_err sg_early_stop_keep(sg_early_stop *es, const sg_params *ps);
/* The counters as one line of text, exact ("%.17g"); returns snprintf's count. */
int sg_early_stop_state_format(const sg_early_stop *es, char *buf, size_t size);
/* Read back a line from sg_early_stop_state_format. */
sg_err sg_early_stop_state_parse(sg_early_stop *es, const char *text);
void sg_early_stop_free(sg_early_stop *es);

#endif

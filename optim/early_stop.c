/* optim/early_stop.c - Keras-style early stopping (rules in early_stop.h). */
#include "optim/early_stop.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sg_err sg_early_stop_init(sg_early_stop *es, const sg_early_stop_opts *opts)
{
    *es = (sg_early_stop){0};
    if (!opts) return sg_error_set(SG_ERR_INVALID, "early stopping: options missing");
    if (opts->mode != SG_MONITOR_MIN && opts->mode != SG_MONITOR_MAX)
        return sg_error_set(SG_ERR_INVALID, "early stopping: unknown mode %d", (int)opts->mode);
    if (opts->patience < 0 || !isfinite(opts->min_delta))
        return sg_error_set(SG_ERR_INVALID,
                            "early stopping: patience must be >= 0 and min_delta finite, got %d and %g",
                            opts->patience, opts->min_delta);
    es->opts = *opts;
    es->opts.min_delta = fabs(opts->min_delta);
    es->best = opts->mode == SG_MONITOR_MIN ? INFINITY : -INFINITY;
    return SG_OK;
}

static int64_t store_numel(const sg_params *ps)
{
    int64_t n = 0;
    for (int i = 0; i < ps->count; i++) n += ps->items[i]->t.numel;
    return n;
}

/* The copy must come from (or go to) a store of the size of the first one. */
static sg_err check_store(const sg_early_stop *es, const sg_params *ps, const char *what)
{
    int64_t n = store_numel(ps);
    if (ps->count == es->best_count && n == es->best_numel) return SG_OK;
    return sg_error_set(SG_ERR_SHAPE,
                        "early stopping %s: parameter store has %d tensors / %lld values, "
                        "the kept weights %d / %lld",
                        what, ps->count, (long long)n, es->best_count, (long long)es->best_numel);
}

sg_err sg_early_stop_keep(sg_early_stop *es, const sg_params *ps)
{
    if (!es->best_weights) {
        int64_t n = store_numel(ps);
        es->best_weights = malloc((size_t)(n ? n : 1) * sizeof(float));
        if (!es->best_weights)
            return sg_error_set(SG_ERR_NOMEM, "early stopping: out of memory for %lld weights",
                                (long long)n);
        es->best_numel = n;
        es->best_count = ps->count;
    }
    sg_err e = check_store(es, ps, "keep");
    if (e != SG_OK) return e;
    float *dst = es->best_weights;
    for (int i = 0; i < ps->count; i++) {
        const sg_tensor *t = &ps->items[i]->t;
        memcpy(dst, t->data, (size_t)t->numel * sizeof(float));
        dst += t->numel;
    }
    return SG_OK;
}

sg_err sg_early_stop_restore(const sg_early_stop *es, sg_params *ps)
{
    if (!es->best_weights)
        return sg_error_set(SG_ERR_INVALID, "early stopping: no best weights kept to restore "
                                            "(restore_best_weights off, or no epoch seen)");
    sg_err e = check_store(es, ps, "restore");
    if (e != SG_OK) return e;
    const float *src = es->best_weights;
    for (int i = 0; i < ps->count; i++) {
        sg_tensor *t = &ps->items[i]->t;
        memcpy(t->data, src, (size_t)t->numel * sizeof(float));
        src += t->numel;
    }
    return SG_OK;
}

/* Keras' _is_improvement: monitor_op(value - min_delta, reference), with
 * min_delta negated in min mode. */
static bool improves(const sg_early_stop *es, double value, double reference)
{
    if (es->opts.mode == SG_MONITOR_MIN) return value + es->opts.min_delta < reference;
    return value - es->opts.min_delta > reference;
}

sg_err sg_early_stop_update(sg_early_stop *es, double value, int epoch, const sg_params *ps,
                            bool *stop)
{
    *stop = false;
    if (epoch < es->opts.start_from_epoch) return SG_OK;
    bool restore = es->opts.restore_best_weights;
    sg_err e = SG_OK;
    if (restore && !es->best_weights) {   /* the weights so far are the best ones */
        if ((e = sg_early_stop_keep(es, ps)) != SG_OK) return e;
        es->best_epoch = epoch;
    }
    es->wait++;
    if (improves(es, value, es->best)) {
        es->best = value;
        es->best_epoch = epoch;
        if (restore && (e = sg_early_stop_keep(es, ps)) != SG_OK) return e;
        if (!es->opts.use_baseline || improves(es, value, es->opts.baseline)) es->wait = 0;
        return SG_OK;
    }
    if (es->wait >= es->opts.patience && epoch > 0) {
        es->stopped_epoch = epoch;
        *stop = true;
    }
    return SG_OK;
}

int sg_early_stop_state_format(const sg_early_stop *es, char *buf, size_t size)
{
    return snprintf(buf, size, "best=%.17g wait=%d best_epoch=%d stopped_epoch=%d", es->best,
                    es->wait, es->best_epoch, es->stopped_epoch);
}

sg_err sg_early_stop_state_parse(sg_early_stop *es, const char *text)
{
    double best;
    int wait, best_epoch, stopped_epoch;
    if (!text || sscanf(text, "best=%lf wait=%d best_epoch=%d stopped_epoch=%d", &best, &wait,
                        &best_epoch, &stopped_epoch) != 4 || wait < 0)
        return sg_error_set(SG_ERR_FORMAT,
                            "early stopping state: expected 'best=.. wait=.. best_epoch=.. "
                            "stopped_epoch=..', got '%.80s'", text ? text : "(null)");
    es->best = best;
    es->wait = wait;
    es->best_epoch = best_epoch;
    es->stopped_epoch = stopped_epoch;
    return SG_OK;
}

void sg_early_stop_free(sg_early_stop *es)
{
    free(es->best_weights);
    es->best_weights = NULL;
    es->best_numel = 0;
    es->best_count = 0;
}

/* optim/schedule.c - learning-rate schedules (formulas and references in schedule.h). */
#include "optim/schedule.h"

#include <math.h>
#include <stdio.h>

#include "core/mathf.h"


double sg_lr_step_decay(double base_lr, int64_t epoch, int64_t step_size, double gamma)
{
    if (epoch < 0) epoch = 0;
    if (step_size < 1) step_size = 1;
    return base_lr * sg_powi(gamma, (uint64_t)(epoch / step_size));
}

double sg_lr_exponential(double base_lr, int64_t epoch, double gamma)
{
    if (epoch < 0) epoch = 0;
    return base_lr * sg_powi(gamma, (uint64_t)epoch);
}

double sg_lr_warmup_cosine(double base_lr, double min_lr, double warmup_start_factor,
                           int64_t warmup_steps, int64_t total_steps, int64_t step)
{
    if (step < 0) step = 0;
    if (step < warmup_steps) {
        double f = warmup_start_factor;
        return base_lr * (f + (1.0 - f) * (double)step / (double)warmup_steps);
    }
    if (step >= total_steps) return min_lr;
    double t = (double)(step - warmup_steps), T = (double)(total_steps - warmup_steps);
    return min_lr + (base_lr - min_lr) * (1.0 + sg_cospi_f64(t / T)) / 2.0;
}

sg_err sg_lr_schedule_check(const sg_lr_schedule *s)
{
    if (!(s->base_lr >= 0) || !isfinite(s->base_lr))
        return sg_error_set(SG_ERR_INVALID, "lr schedule: base_lr must be finite and >= 0, got %g",
                            s->base_lr);
    switch (s->kind) {
    case SG_LR_CONSTANT:
        return SG_OK;
    case SG_LR_STEP:
    case SG_LR_EXPONENTIAL:
        if (s->kind == SG_LR_STEP && s->step_size < 1)
            return sg_error_set(SG_ERR_INVALID, "lr schedule step: step_size must be >= 1, got %lld",
                                (long long)s->step_size);
        if (!(s->gamma > 0) || !isfinite(s->gamma))
            return sg_error_set(SG_ERR_INVALID, "lr schedule: gamma must be finite and > 0, got %g",
                                s->gamma);
        return SG_OK;
    case SG_LR_WARMUP_COSINE:
        if (!(s->min_lr >= 0) || !(s->min_lr <= s->base_lr))
            return sg_error_set(SG_ERR_INVALID,
                                "lr schedule cosine: min_lr must be in [0, base_lr %g], got %g",
                                s->base_lr, s->min_lr);
        if (!(s->warmup_start_factor >= 0 && s->warmup_start_factor <= 1))
            return sg_error_set(SG_ERR_INVALID,
                                "lr schedule cosine: warmup_start_factor must be in [0, 1], got %g",
                                s->warmup_start_factor);
        if (s->warmup_steps < 0 || s->total_steps <= s->warmup_steps)
            return sg_error_set(SG_ERR_INVALID,
                                "lr schedule cosine: need 0 <= warmup_steps < total_steps, got %lld and %lld",
                                (long long)s->warmup_steps, (long long)s->total_steps);
        return SG_OK;
    }
    return sg_error_set(SG_ERR_INVALID, "lr schedule: unknown kind %d", (int)s->kind);
}

double sg_lr_schedule_at(const sg_lr_schedule *s, int64_t epoch, int64_t step)
{
    switch (s->kind) {
    case SG_LR_STEP: return sg_lr_step_decay(s->base_lr, epoch, s->step_size, s->gamma);
    case SG_LR_EXPONENTIAL: return sg_lr_exponential(s->base_lr, epoch, s->gamma);
    case SG_LR_WARMUP_COSINE:
        return sg_lr_warmup_cosine(s->base_lr, s->min_lr, s->warmup_start_factor, s->warmup_steps,
                                   s->total_steps, step);
    default: return s->base_lr;
    }
}

/* ---------------------------------------------------------- on plateau */

sg_plateau_opts sg_plateau_defaults(void)
{
    return (sg_plateau_opts){.mode = SG_MONITOR_MIN, .factor = 0.1, .patience = 10,
                             .threshold = 1e-4, .threshold_abs = false, .cooldown = 0,
                             .min_lr = 0.0, .eps = 1e-8};
}

sg_err sg_plateau_init(sg_plateau *p, const sg_plateau_opts *opts, double lr)
{
    sg_plateau_opts o = opts ? *opts : sg_plateau_defaults();
    if (!(o.factor >= 0 && o.factor < 1))
        return sg_error_set(SG_ERR_INVALID, "reduce on plateau: factor must be in [0, 1), got %g", o.factor);
    if (o.mode != SG_MONITOR_MIN && o.mode != SG_MONITOR_MAX)
        return sg_error_set(SG_ERR_INVALID, "reduce on plateau: unknown mode %d", (int)o.mode);
    if (o.patience < 0 || o.cooldown < 0 || !(o.threshold >= 0) || !(o.min_lr >= 0) || !(o.eps >= 0))
        return sg_error_set(SG_ERR_INVALID,
                            "reduce on plateau: patience %d, cooldown %d, threshold %g, min_lr %g, "
                            "eps %g must all be >= 0",
                            o.patience, o.cooldown, o.threshold, o.min_lr, o.eps);
    *p = (sg_plateau){
        .opts = o, .lr = lr, .best = o.mode == SG_MONITOR_MIN ? INFINITY : -INFINITY,
    };
    return SG_OK;
}

static bool plateau_better(const sg_plateau_opts *o, double a, double best)
{
    if (o->mode == SG_MONITOR_MIN)
        return o->threshold_abs ? a < best - o->threshold : a < best * (1.0 - o->threshold);
    return o->threshold_abs ? a > best + o->threshold : a > best * (o->threshold + 1.0);
}

double sg_plateau_step(sg_plateau *p, double metric)
{
    const sg_plateau_opts *o = &p->opts;
    p->last_epoch++;
    if (plateau_better(o, metric, p->best)) {
        p->best = metric;
        p->num_bad_epochs = 0;
    } else {
        p->num_bad_epochs++;
    }
    if (p->cooldown_counter > 0) {
        p->cooldown_counter--;
        p->num_bad_epochs = 0;   /* bad epochs during cooldown do not count */
    }
    if (p->num_bad_epochs > o->patience) {
        double new_lr = fmax(p->lr * o->factor, o->min_lr);
        if (p->lr - new_lr > o->eps) p->lr = new_lr;
        p->cooldown_counter = o->cooldown;
        p->num_bad_epochs = 0;
    }
    return p->lr;
}

int sg_plateau_state_format(const sg_plateau *p, char *buf, size_t size)
{
    return snprintf(buf, size, "lr=%.17g best=%.17g bad=%d cooldown=%d epoch=%lld", p->lr, p->best,
                    p->num_bad_epochs, p->cooldown_counter, (long long)p->last_epoch);
}

sg_err sg_plateau_state_parse(sg_plateau *p, const char *text)
{
    double lr, best;
    int bad, cooldown;
    long long epoch;
    if (!text || sscanf(text, "lr=%lf best=%lf bad=%d cooldown=%d epoch=%lld", &lr, &best, &bad,
                        &cooldown, &epoch) != 5 || bad < 0 || cooldown < 0 || epoch < 0)
        return sg_error_set(SG_ERR_FORMAT,
                            "reduce on plateau state: expected 'lr=.. best=.. bad=.. cooldown=.. "
                            "epoch=..', got '%.80s'", text ? text : "(null)");
    p->lr = lr;
    p->best = best;
    p->num_bad_epochs = bad;
    p->cooldown_counter = cooldown;
    p->last_epoch = epoch;
    return SG_OK;
}

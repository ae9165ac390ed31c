/* optim/optim.c - SGD, Adam and AdamW (see optim.h).
 *
 * Each update is an elementwise loop over one parameter, written in the same
 * float32 operations, in the same order, as torch 1.13's _single_tensor_sgd /
 * _single_tensor_adam / _single_tensor_adamw (torch/optim/{sgd,adam,adamw}.py):
 * hyper-parameters that torch passes to a tensor op as a Python scalar are
 * rounded to float, those it combines in Python (bias corrections, step size)
 * stay double until that point. Elements are independent, so the loops are cut
 * across threads in any way and the result is bit-identical on 1 or N threads.
 * The per-element loops are the kernel families `sgd` and `adam`
 * (core/kernels/optim_scalar.c defines the bits; its AVX2, AVX-512 and NEON
 * twins give the same ones); this file keeps the options, the state slots and
 * the per-step scalars (bias corrections by sg_powi, once per step). */
#include "optim/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/mathf.h"
#include "core/pool.h"

/* Slot 0 of every parameter carries SLOT_EXTRA floats after its numel values:
 * [numel] = the parameter's step count, [numel + 1] = the family tag. */
#define SLOT_EXTRA 2
#define TAG_SGD 1.0f
#define TAG_ADAM 2.0f   /* Adam and AdamW share the state layout, as in torch */

/* Elements per chunk of the update loops: big enough that a chunk is worth a
 * thread hand-off, and a function of nothing but the size. */
#define UPDATE_GRAIN 16384

struct sg_optimizer {
    sg_optimizer_kind kind;
    double lr;
    sg_sgd_opts sgd;
    sg_adam_opts adam;
    int64_t steps;
};

/* ---------------------------------------------------------------- options */

sg_adam_opts sg_adam_defaults(void)
{
    return (sg_adam_opts){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                          .weight_decay = 0.0, .amsgrad = false};
}

sg_adam_opts sg_adamw_defaults(void)
{
    sg_adam_opts o = sg_adam_defaults();
    o.weight_decay = 1e-2;
    return o;
}

/* A finite value >= 0 (NaN and inf refused), or an error naming the option. */
static bool check_nonneg(const char *who, const char *what, double x)
{
    if (x >= 0 && isfinite(x)) return true;
    sg_error_set(SG_ERR_INVALID, "%s: %s must be a finite value >= 0, got %g", who, what, x);
    return false;
}

static sg_optimizer *optimizer_new(sg_optimizer_kind kind)
{
    sg_optimizer *o = calloc(1, sizeof *o);
    if (!o) sg_error_set(SG_ERR_NOMEM, "out of memory for an optimizer");
    else o->kind = kind;
    return o;
}

sg_optimizer *sg_sgd_new(const sg_sgd_opts *opts)
{
    if (!opts) {
        sg_error_set(SG_ERR_INVALID, "sgd: options missing (lr has no default)");
        return NULL;
    }
    if (!check_nonneg("sgd", "lr", opts->lr) || !check_nonneg("sgd", "momentum", opts->momentum) ||
        !check_nonneg("sgd", "weight_decay", opts->weight_decay))
        return NULL;
    if (!isfinite(opts->dampening)) {
        sg_error_set(SG_ERR_INVALID, "sgd: dampening must be finite, got %g", opts->dampening);
        return NULL;
    }
    if (opts->nesterov && (opts->momentum <= 0 || opts->dampening != 0)) {
        sg_error_set(SG_ERR_INVALID,
                     "sgd: nesterov needs momentum > 0 and dampening 0, got momentum %g dampening %g",
                     opts->momentum, opts->dampening);
        return NULL;
    }
    sg_optimizer *o = optimizer_new(SG_OPTIMIZER_SGD);
    if (o) {
        o->sgd = *opts;
        o->lr = opts->lr;
    }
    return o;
}

static sg_optimizer *adam_new(sg_optimizer_kind kind, const sg_adam_opts *opts)
{
    const char *who = kind == SG_OPTIMIZER_ADAM ? "adam" : "adamw";
    sg_adam_opts a = opts ? *opts : (kind == SG_OPTIMIZER_ADAM ? sg_adam_defaults() : sg_adamw_defaults());
    if (!check_nonneg(who, "lr", a.lr) || !check_nonneg(who, "eps", a.eps) ||
        !check_nonneg(who, "weight_decay", a.weight_decay))
        return NULL;
    if (!(a.beta1 >= 0 && a.beta1 < 1) || !(a.beta2 >= 0 && a.beta2 < 1)) {
        sg_error_set(SG_ERR_INVALID, "%s: betas must be in [0, 1), got (%g, %g)", who, a.beta1, a.beta2);
        return NULL;
    }
    sg_optimizer *o = optimizer_new(kind);
    if (o) {
        o->adam = a;
        o->lr = a.lr;
    }
    return o;
}

sg_optimizer *sg_adam_new(const sg_adam_opts *opts) { return adam_new(SG_OPTIMIZER_ADAM, opts); }
sg_optimizer *sg_adamw_new(const sg_adam_opts *opts) { return adam_new(SG_OPTIMIZER_ADAMW, opts); }

void sg_optimizer_free(sg_optimizer *opt) { free(opt); }

sg_optimizer_kind sg_optimizer_kind_of(const sg_optimizer *opt) { return opt->kind; }

const char *sg_optimizer_name(const sg_optimizer *opt)
{
    switch (opt->kind) {
    case SG_OPTIMIZER_SGD: return "sgd";
    case SG_OPTIMIZER_ADAM: return "adam";
    default: return "adamw";
    }
}

void sg_optimizer_set_lr(sg_optimizer *opt, double lr) { opt->lr = lr; }
double sg_optimizer_lr(const sg_optimizer *opt) { return opt->lr; }
int64_t sg_optimizer_steps(const sg_optimizer *opt) { return opt->steps; }
void sg_optimizer_set_steps(sg_optimizer *opt, int64_t steps) { opt->steps = steps; }

/* ------------------------------------------------------------ state slots */

static bool trainable(const sg_param *p) { return !p->buffer && !p->frozen && p->t.grad; }

static float family_tag(const sg_optimizer *o) { return o->kind == SG_OPTIMIZER_SGD ? TAG_SGD : TAG_ADAM; }

/* Slots this optimiser's configuration uses per parameter. */
static int slots_used(const sg_optimizer *o)
{
    if (o->kind == SG_OPTIMIZER_SGD) return o->sgd.momentum != 0 ? 1 : 0;
    return o->adam.amsgrad ? 3 : 2;
}

static const char *slot_suffix(const sg_optimizer *o, int k)
{
    static const char *const adam[] = {"__adam_m", "__adam_v", "__adam_vmax"};
    return o->kind == SG_OPTIMIZER_SGD ? "__sgd_momentum" : adam[k];
}

static const char *step_suffix(const sg_optimizer *o)
{
    return o->kind == SG_OPTIMIZER_SGD ? "__sgd_step" : "__adam_step";
}

/* numel (+ extra) zeroed floats, 64-byte aligned; zero is a fresh state. */
static float *slot_alloc(int64_t numel, int extra)
{
    size_t bytes = ((size_t)(numel + extra) * sizeof(float) + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    float *s = aligned_alloc(64, bytes);
    if (s) memset(s, 0, bytes);
    return s;
}

/* Allocate the slots `p` still lacks for this optimiser (slot 0 gets its tag). */
static sg_err slots_ensure(const sg_optimizer *o, sg_param *p)
{
    int64_t n = p->t.numel;
    for (int k = 0; k < slots_used(o); k++) {
        if (p->state[k]) continue;
        p->state[k] = slot_alloc(n, k == 0 ? SLOT_EXTRA : 0);
        if (!p->state[k])
            return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the state of '%s' (%lld values)",
                                sg_optimizer_name(o), p->name, (long long)n);
        if (k == 0) p->state[0][n + 1] = family_tag(o);
    }
    return SG_OK;
}

static sg_err check_family(const sg_optimizer *o, const sg_param *p)
{
    if (!p->state[0] || slots_used(o) == 0) return SG_OK;
    float tag = p->state[0][p->t.numel + 1];
    if (tag == family_tag(o)) return SG_OK;
    return sg_error_set(SG_ERR_INVALID,
                        "%s: parameter '%s' holds state of another optimizer (%s); "
                        "call sg_optimizer_state_reset() first",
                        sg_optimizer_name(o), p->name, tag == TAG_SGD ? "sgd" : "adam/adamw");
}

void sg_optimizer_state_reset(sg_params *ps)
{
    for (int i = 0; i < ps->count; i++)
        for (int k = 0; k < SG_PARAM_STATE_MAX; k++) {
            free(ps->items[i]->state[k]);
            ps->items[i]->state[k] = NULL;
        }
}

/* --------------------------------------------------------------------- SGD */

/* torch.optim.SGD, per element (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html):
 *     d   = g + weight_decay * p                        (L2 folded into the gradient)
 *     buf = d                                           on this parameter's first step
 *     buf = momentum * buf + (1 - dampening) * d        afterwards
 *     d   = d + momentum * buf   (nesterov)   or   d = buf
 *     p   = p - lr * d
 * With momentum 0 there is no buffer and the update is p -= lr * d. */
typedef struct sgd_job {
    float *p, *buf;
    const float *g;
    sg_sgd_hp h;
} sgd_job;

/* The update is the kernel family `sgd` (core/kernels/optim_scalar.c and its
 * SIMD twins, the same bits); each chunk of elements is one kernel call. */
static void sgd_range(void *ctx, int64_t begin, int64_t end)
{
    const sgd_job *j = ctx;
    sg_kernels()->sgd(&j->h, j->p + begin, j->g + begin, j->buf ? j->buf + begin : NULL, end - begin);
}

static void sgd_update(const sg_optimizer *o, sg_param *p)
{
    const sg_sgd_opts *s = &o->sgd;
    int64_t n = p->t.numel;
    sgd_job j = {
        .p = p->t.data, .g = p->t.grad, .buf = s->momentum != 0 ? p->state[0] : NULL,
        .h = {
            .neg_lr = (float)-o->lr,
            .weight_decay = p->no_decay ? 0.0f : (float)s->weight_decay,
            .momentum = (float)s->momentum,
            .one_minus_dampening = (float)(1.0 - s->dampening),
            .nesterov = s->nesterov,
        },
    };
    if (j.buf) {
        j.h.first = j.buf[n] == 0;    /* momentum updates so far */
        j.buf[n] += 1.0f;
    }
    sg_parallel_for(n, UPDATE_GRAIN, sgd_range, &j);
}

/* ------------------------------------------------------------ Adam, AdamW */

/* torch.optim.Adam / AdamW, per element, with t = this parameter's step count
 * (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html, .../AdamW.html):
 *     AdamW:  p = p * (1 - lr * weight_decay)           (decoupled decay, first)
 *     Adam:   g = g + weight_decay * p                  (L2 folded into the gradient)
 *     m = beta1 * m + (1 - beta1) * g
 *     v = beta2 * v + (1 - beta2) * g * g
 *     vmax = max(vmax, v), and v below means vmax       (amsgrad)
 *     p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * i.e. p -= lr * m_hat / (sqrt(v_hat) + eps) with eps added after the square
 * root of the bias-corrected v, exactly as torch groups it. */
typedef struct adam_job {
    float *p, *m, *v, *vmax;
    const float *g;
    sg_adam_hp h;   /* AdamW: decay_scale = 1 - lr*wd, l2 = 0; Adam: l2 = wd */
} adam_job;

/* The kernel family `adam` (core/kernels/optim_scalar.c and its twins). */
static void adam_range(void *ctx, int64_t begin, int64_t end)
{
    const adam_job *j = ctx;
    sg_kernels()->adam(&j->h, j->p + begin, j->g + begin, j->m + begin, j->v + begin,
                       j->vmax ? j->vmax + begin : NULL, end - begin);
}

static void adam_update(const sg_optimizer *o, sg_param *p)
{
    const sg_adam_opts *a = &o->adam;
    int64_t n = p->t.numel;
    bool decoupled = o->kind == SG_OPTIMIZER_ADAMW;
    double wd = p->no_decay ? 0.0 : a->weight_decay;
    float *step = &p->state[0][n];
    *step += 1.0f;                            /* torch: step_t += 1 (float32) */
    double t = *step;
    /* beta^t by repeated squaring (core/mathf.h): the same bits with any libm. */
    double bias1 = 1.0 - sg_powi(a->beta1, (uint64_t)t), bias2 = 1.0 - sg_powi(a->beta2, (uint64_t)t);
    double step_size = o->lr / bias1;
    adam_job j = {
        .p = p->t.data, .g = p->t.grad,
        .m = p->state[0], .v = p->state[1], .vmax = a->amsgrad ? p->state[2] : NULL,
        .h = {
            .decoupled = decoupled,
            .decay_scale = (float)(1.0 - o->lr * wd),
            .l2 = decoupled ? 0.0f : (float)wd,
            .beta1 = (float)a->beta1, .one_minus_beta1 = (float)(1.0 - a->beta1),
            .beta2 = (float)a->beta2, .one_minus_beta2 = (float)(1.0 - a->beta2),
            .bias2_sqrt = (float)sqrt(bias2), .eps = (float)a->eps,
            .neg_step_size = (float)-step_size,
        },
    };
    sg_parallel_for(n, UPDATE_GRAIN, adam_range, &j);
}

/* -------------------------------------------------------------------- step */

sg_err sg_optimizer_step(sg_optimizer *opt, sg_params *ps)
{
    if (!opt || !ps) return sg_error_set(SG_ERR_INVALID, "optimizer step: NULL optimizer or params");
    if (!(opt->lr >= 0) || !isfinite(opt->lr))
        return sg_error_set(SG_ERR_INVALID, "%s: lr must be a finite value >= 0, got %g",
                            sg_optimizer_name(opt), opt->lr);
    /* First every check and allocation, so a failure leaves every parameter as it was. */
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!trainable(p)) continue;
        sg_err e = check_family(opt, p);
        if (e == SG_OK) e = slots_ensure(opt, p);
        if (e != SG_OK) return e;
    }
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (!trainable(p)) continue;
        if (opt->kind == SG_OPTIMIZER_SGD) sgd_update(opt, p);
        else adam_update(opt, p);
    }
    opt->steps++;
    return SG_OK;
}

/* ------------------------------------------------------ checkpoint state */

/* Entry k of a parameter: slots 0..nslots-1, then the step count. */
static void fill_entry(const sg_optimizer *o, const sg_param *p, int k, int nslots,
                       sg_optimizer_state_entry *e)
{
    memset(e, 0, sizeof *e);
    if (k < nslots) {
        snprintf(e->name, sizeof e->name, "%s.%s", p->name, slot_suffix(o, k));
        e->ndim = p->t.ndim;
        memcpy(e->shape, p->t.shape, sizeof e->shape);
        e->numel = p->t.numel;
        e->data = p->state[k];
    } else {
        snprintf(e->name, sizeof e->name, "%s.%s", p->name, step_suffix(o));
        e->ndim = 0;
        for (int d = 0; d < SG_MAX_DIMS; d++) e->shape[d] = 1;
        e->numel = 1;
        e->data = p->state[0] + p->t.numel;
    }
}

/* Slots `p` holds for this optimiser (0 = no state of ours). */
static int slots_held(const sg_optimizer *o, const sg_param *p)
{
    if (p->buffer || slots_used(o) == 0 || !p->state[0] ||
        p->state[0][p->t.numel + 1] != family_tag(o))
        return 0;
    if (o->kind == SG_OPTIMIZER_SGD) return 1;
    return p->state[2] ? 3 : 2;
}

int sg_optimizer_state_entries(const sg_optimizer *opt, const sg_params *ps,
                               sg_optimizer_state_entry *out, int cap)
{
    int count = 0;
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        int nslots = slots_held(opt, p);
        if (nslots == 0) continue;
        for (int k = 0; k <= nslots; k++, count++)
            if (count < cap) fill_entry(opt, p, k, nslots, &out[count]);
    }
    return count;
}

sg_err sg_optimizer_state_load(sg_optimizer *opt, sg_params *ps,
                               sg_optimizer_state_lookup_fn lookup, void *ctx)
{
    int nslots = slots_used(opt);
    if (nslots == 0) return SG_OK;   /* plain SGD keeps no state */
    sg_optimizer_state_entry e;

    /* Pass 1: every parameter has all of its tensors, of the right size, or none. */
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        if (p->buffer) continue;
        int found = 0;
        const char *missing = NULL, *present = NULL;
        for (int k = 0; k <= nslots; k++) {
            fill_entry(opt, p, k, nslots, &e);
            int64_t numel = -1;
            if (lookup(ctx, e.name, &numel)) {
                if (numel != e.numel)
                    return sg_error_set(SG_ERR_SHAPE,
                                        "optimizer state '%s': %lld values, expected %lld",
                                        e.name, (long long)numel, (long long)e.numel);
                found++;
                present = k < nslots ? slot_suffix(opt, k) : step_suffix(opt);
            } else if (!missing) {
                missing = k < nslots ? slot_suffix(opt, k) : step_suffix(opt);
            }
        }
        if (found && found != nslots + 1)
            return sg_error_set(SG_ERR_FORMAT,
                                "optimizer state of '%s' is incomplete: has %s but not %s",
                                p->name, present, missing);
        sg_err err = found ? check_family(opt, p) : SG_OK;
        if (err != SG_OK) return err;
    }
    /* Pass 2: allocate what is missing (zero = fresh state, so a failure here changes nothing). */
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (p->buffer) continue;
        fill_entry(opt, p, 0, nslots, &e);
        int64_t numel;
        sg_err err;
        if (lookup(ctx, e.name, &numel) && (err = slots_ensure(opt, p)) != SG_OK) return err;
    }
    /* Pass 3: copy, or forget the state of parameters the file has none for. */
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (p->buffer) continue;
        fill_entry(opt, p, 0, nslots, &e);
        int64_t numel;
        if (!lookup(ctx, e.name, &numel)) {
            for (int k = 0; k < SG_PARAM_STATE_MAX; k++) {
                free(p->state[k]);
                p->state[k] = NULL;
            }
            continue;
        }
        for (int k = 0; k <= nslots; k++) {
            fill_entry(opt, p, k, nslots, &e);
            const float *src = lookup(ctx, e.name, &numel);
            memcpy(e.data, src, (size_t)e.numel * sizeof(float));
        }
    }
    return SG_OK;
}

static const float *safetensors_lookup(void *ctx, const char *name, int64_t *numel)
{
    const sg_st_tensor *t = sg_safetensors_find(ctx, name);
    if (!t || !t->data) return NULL;
    *numel = t->numel;
    return t->data;
}

sg_err sg_optimizer_state_load_safetensors(sg_optimizer *opt, sg_params *ps,
                                           const sg_safetensors *file)
{
    return sg_optimizer_state_load(opt, ps, safetensors_lookup, (void *)file);
}

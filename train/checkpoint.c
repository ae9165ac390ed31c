/* train/checkpoint.c - run checkpoints (see checkpoint.h). */
#include "train/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

#define RUN_FORMAT "steelgrad-run-1"

/* Compact JSON text of what `fill` writes, malloc'd; NULL on OOM. */
static char *json_text(void (*fill)(sg_json_writer *w, const void *ctx), const void *ctx)
{
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    fill(&w, ctx);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    char *copy = text ? strdup(text) : NULL;
    sg_json_writer_free(&w);
    return copy;
}

typedef struct names_ctx {
    const char *const *names;
    int n;
} names_ctx;

static void fill_names(sg_json_writer *w, const void *ctx)
{
    const names_ctx *c = ctx;
    sg_json_writer_begin_array(w);
    for (int i = 0; i < c->n; i++) sg_json_writer_string(w, c->names[i]);
    sg_json_writer_end_array(w);
}

static void fill_config(sg_json_writer *w, const void *ctx)
{
    sg_json_writer_begin_object(w);
    sg_train_config_write_json(ctx, w);
    sg_json_writer_end_object(w);
}

static void fill_model_options(sg_json_writer *w, const void *ctx)
{
    const sg_model_options *o = ctx;
    sg_json_writer_begin_object(w);
    sg_json_writer_kv_int64(w, "classes", o->classes);
    sg_json_writer_kv_int64(w, "in_channels", o->in_channels);
    sg_json_writer_kv_int64(w, "image_size", o->image_size);
    sg_json_writer_kv_number(w, "width_mult", o->width_mult);
    sg_json_writer_kv_number(w, "dropout", o->dropout);
    sg_json_writer_kv_string(w, "head", o->head ? o->head : "");
    sg_json_writer_kv_string(w, "padding", o->padding && *o->padding ? o->padding : "zeros");
    sg_json_writer_end_object(w);
}

static void fill_best(sg_json_writer *w, const void *ctx)
{
    const sg_run_state *s = ctx;
    sg_json_writer_begin_object(w);
    sg_json_writer_kv_int64(w, "epoch", s->best_epoch);
    sg_json_writer_kv_number(w, "val_accuracy", s->best_val_accuracy);
    sg_json_writer_kv_number(w, "val_loss", s->best_val_loss);
    sg_json_writer_end_object(w);
}

sg_err sg_run_checkpoint_save(const char *path, const sg_model *m, const sg_optimizer *opt,
                              const char *const *class_names, int n_classes,
                              const sg_train_config *cfg, const sg_run_state *state)
{
    const sg_params *ps = m->params;
    int n_state = opt ? sg_optimizer_state_entries(opt, ps, NULL, 0) : 0;
    int count = ps->count + n_state;
    sg_st_entry *entries = calloc((size_t)count, sizeof *entries);
    sg_optimizer_state_entry *st = n_state ? calloc((size_t)n_state, sizeof *st) : NULL;
    char *classes = json_text(fill_names, &(names_ctx){class_names, n_classes});
    char *config = json_text(fill_config, cfg);
    char *model_opts = json_text(fill_model_options, &m->opts);
    char *best = json_text(fill_best, state);
    sg_err err = SG_OK;
    if (!entries || (n_state && !st) || !classes || !config || !model_opts || !best) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the checkpoint", path);
        goto done;
    }
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        entries[i] = (sg_st_entry){p->name, p->t.ndim, p->t.shape, p->t.data};
    }
    if (n_state) sg_optimizer_state_entries(opt, ps, st, n_state);
    for (int i = 0; i < n_state; i++)
        entries[ps->count + i] = (sg_st_entry){st[i].name, st[i].ndim, st[i].shape, st[i].data};
    char epoch[32], step[32];
    snprintf(epoch, sizeof epoch, "%lld", (long long)state->epoch);
    snprintf(step, sizeof step, "%lld", (long long)state->step);
    const char *meta[] = {
        "format", RUN_FORMAT,
        "model", m->def->name,
        "model_options", model_opts,
        "classes", classes,
        "config", config,
        "epoch", epoch,
        "step", step,
        "early_stop", state->early_stop,
        "best", best,
        "optimizer", opt ? sg_optimizer_name(opt) : "",
        "rng", "philox4x32-10 keyed (seed, purpose, step, index): shuffle step = epoch, "
               "augment step = epoch * N + position, dropout step = optimiser step",
    };
    err = sg_safetensors_write(path, entries, count, meta, (int)(sizeof meta / sizeof meta[0] / 2));
done:
    free(entries);
    free(st);
    free(classes);
    free(config);
    free(model_opts);
    free(best);
    return err;
}

/* Check that every parameter of ps is in f with its shape; copy if `copy`. */
static sg_err check_or_copy_params(sg_params *ps, const sg_safetensors *f, const char *path, bool copy)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(f, p->name);
        if (!t)
            return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%s' is missing (not a checkpoint of this model?)",
                                path, p->name);
        bool same = t->ndim == p->t.ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->t.shape[d];
        if (!same)
            return sg_error_set(SG_ERR_SHAPE, "%s: tensor '%s' has %lld values, the model expects %lld",
                                path, p->name, (long long)t->numel, (long long)p->t.numel);
        if (copy) memcpy(p->t.data, t->data, (size_t)t->numel * sizeof(float));
    }
    return SG_OK;
}

static sg_err meta_int(const sg_safetensors *f, const char *path, const char *key, int64_t *out)
{
    const char *v = sg_safetensors_meta(f, key);
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || end == v || *end || n < 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: metadata '%s' is missing or not a count", path, key);
    *out = n;
    return SG_OK;
}

sg_err sg_run_checkpoint_restore(const char *path, sg_model *m, sg_optimizer *opt,
                                 sg_run_state *state)
{
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    sg_run_state s = {0};
    const char *fmt = sg_safetensors_meta(&f, "format");
    if (!fmt || strcmp(fmt, RUN_FORMAT) != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not a steelgrad run checkpoint (metadata format '%s')",
                           path, fmt ? fmt : "");
        goto done;
    }
    if ((err = check_or_copy_params(m->params, &f, path, false)) != SG_OK) goto done;
    if (state) {
        if ((err = meta_int(&f, path, "epoch", &s.epoch)) != SG_OK ||
            (err = meta_int(&f, path, "step", &s.step)) != SG_OK)
            goto done;
        const char *es = sg_safetensors_meta(&f, "early_stop");
        snprintf(s.early_stop, sizeof s.early_stop, "%s", es ? es : "");
        const char *best = sg_safetensors_meta(&f, "best");
        sg_json *j = NULL;
        if (!best || sg_json_parse(best, strlen(best), path, &j) != SG_OK) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: metadata 'best' is missing or not JSON", path);
            goto done;
        }
        sg_json_int64(sg_json_get(j, "epoch"), &s.best_epoch);
        /* null (NaN when written) reads back as NaN. */
        s.best_val_accuracy = sg_json_number(sg_json_get(j, "val_accuracy"), 0.0 / 0.0);
        s.best_val_loss = sg_json_number(sg_json_get(j, "val_loss"), 0.0 / 0.0);
        sg_json_free(j);
    }
    if (opt && (err = sg_optimizer_state_load_safetensors(opt, m->params, &f)) != SG_OK) {
        err = sg_error_set(err, "%s: %s", path, sg_error_message());
        goto done;
    }
    check_or_copy_params(m->params, &f, path, true);
    if (opt) sg_optimizer_set_steps(opt, s.step);
    if (state) *state = s;
done:
    sg_safetensors_free(&f);
    return err;
}

void sg_norm_values(const char *norm, int channels, const float **mean, const float **std)
{
    static const float half[3] = {0.5f, 0.5f, 0.5f};
    static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f}, imagenet_std[3] = {0.229f, 0.224f, 0.225f};
    (void)channels;
    *mean = *std = NULL;
    if (norm && strcmp(norm, "symmetric") == 0) *mean = half, *std = half;
    else if (norm && strcmp(norm, "imagenet") == 0) *mean = imagenet_mean, *std = imagenet_std;
}

sg_err sg_run_model_open(const char *path, sg_run_model *out)
{
    memset(out, 0, sizeof *out);
    sg_train_config_defaults(&out->cfg);
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    sg_json *classes = NULL, *config = NULL;
    const char *model = sg_safetensors_meta(&f, "model");
    const char *ct = sg_safetensors_meta(&f, "classes"), *cf = sg_safetensors_meta(&f, "config");
    if (!model || !ct || !cf) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: no 'model', 'classes' or 'config' in the metadata "
                           "(not written by steelgrad train)", path);
        goto done;
    }
    if ((err = sg_json_parse(ct, strlen(ct), path, &classes)) != SG_OK ||
        (err = sg_json_parse(cf, strlen(cf), path, &config)) != SG_OK ||
        (err = sg_train_config_from_json(&out->cfg, config, path)) != SG_OK)
        goto done;
    int K = sg_json_count(classes);
    if (classes->type != SG_JSON_ARRAY || K < 2) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: metadata 'classes' is not a list of 2 or more names", path);
        goto done;
    }
    out->class_names = calloc((size_t)K, sizeof *out->class_names);
    if (!out->class_names) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    out->classes = K;
    for (int k = 0; k < K; k++) {
        const char *name = sg_json_string(sg_json_at(classes, k), NULL);
        if (!name || !(out->class_names[k] = strdup(name))) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: class %d of the metadata is not a string", path, k);
            goto done;
        }
    }
    sg_model_options mo = sg_train_model_options(&out->cfg, K);
    if ((err = sg_model_build(&out->model, model, &mo, (uint64_t)out->cfg.seed)) != SG_OK) {
        err = sg_error_set(err, "%s: %s", path, sg_error_message());
        goto done;
    }
    if ((err = check_or_copy_params(out->model.params, &f, path, false)) != SG_OK) goto done;
    check_or_copy_params(out->model.params, &f, path, true);
done:
    sg_json_free(classes);
    sg_json_free(config);
    sg_safetensors_free(&f);
    if (err != SG_OK) sg_run_model_close(out);
    return err;
}

sg_err sg_run_model_reference(const char *path, const char *model, int classes, int channels, int size,
                              sg_run_model *out)
{
    memset(out, 0, sizeof *out);
    sg_train_config_defaults(&out->cfg);
    sg_model_options o = sg_model_options_defaults(classes);
    o.in_channels = channels;
    o.image_size = size;
    sg_err err = sg_model_build(&out->model, model, &o, 0);
    if (err != SG_OK) return sg_error_set(err, "%s: %s", path, sg_error_message());
    out->cfg.norm = out->model.opts.in_channels == 3 ? "imagenet" : "unit";
    out->class_names = calloc((size_t)classes, sizeof *out->class_names);
    if (!out->class_names) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    for (int k = 0; err == SG_OK && k < classes; k++, out->classes++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k);
        if (!(out->class_names[k] = strdup(name))) err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    }
    sg_model_load_report r;
    if (err == SG_OK) err = sg_model_load_weights(&out->model, path, false, &r);
    if (err == SG_OK && (r.missing || r.mismatched))
        err = sg_error_set(SG_ERR_FORMAT, "%s: %d parameters of %s missing (%s), %d of another shape (%s)", path,
                           r.missing, model, r.missing_names, r.mismatched, r.mismatched_names);
    if (err != SG_OK) sg_run_model_close(out);
    return err;
}

void sg_run_model_close(sg_run_model *rm)
{
    sg_model_free(&rm->model);
    for (int k = 0; k < rm->classes; k++) free(rm->class_names[k]);
    free(rm->class_names);
    sg_train_config_free(&rm->cfg);
    rm->class_names = NULL;
    rm->classes = 0;
}

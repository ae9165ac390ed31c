/* train/config.c - the option table of a training run (see config.h). */
#include "train/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/split.h"

#define F(field) offsetof(sg_train_config, field)

static const sg_train_opt options[] = {
    {.name = "data", .type = SG_TOPT_STRING, .offset = F(data), .help = "class-folder tree: DIR/<class>/<image>"},
    {.name = "manifest", .type = SG_TOPT_STRING, .offset = F(manifest), .help = "CSV with path,label[,split] (paths relative to the CSV)"},
    {.name = "ratios", .type = SG_TOPT_STRING, .offset = F(ratios), .help = "train,val,test split of --data (default 70,15,15)"},
    {.name = "seed", .type = SG_TOPT_INT, .offset = F(seed), .help = "seed of split, init, shuffling, augmentation (default 42)", .min = 0, .max = 9.0e15},
    {.name = "split-seed", .type = SG_TOPT_INT, .offset = F(split_seed), .help = "seed of the split alone (default -1: --seed), to vary training on a fixed split", .min = -1, .max = 9.0e15},
    {.name = "folds", .type = SG_TOPT_INT, .offset = F(folds), .help = "k-fold cross-validation of --data: K folds (0 = the ratios split)", .min = 0, .max = 1000},
    {.name = "fold", .type = SG_TOPT_INT, .offset = F(fold), .help = "with --folds K: the fold used as val, 0..K-1 (the rest trains; no test part)", .min = 0, .max = 999},
    {.name = "strict", .type = SG_TOPT_BOOL, .offset = F(strict), .help = "stop at a corrupt image instead of skipping it"},
    {.name = "model", .type = SG_TOPT_STRING, .offset = F(model), .help = "model name (steelgrad model list)"},
    {.name = "size", .type = SG_TOPT_INT, .offset = F(size), .help = "input side in pixels (default: the model's)", .min = 0, .max = 4096},
    {.name = "channels", .type = SG_TOPT_INT, .offset = F(channels), .help = "1 (gray) or 3 (RGB); default: the model's", .min = 0, .max = 3},
    {.name = "width-mult", .type = SG_TOPT_FLOAT, .offset = F(width_mult), .help = "width multiplier (models that have one)", .min = 0, .max = 4},
    {.name = "dropout", .type = SG_TOPT_FLOAT, .offset = F(dropout), .help = "classifier dropout p (default: the model's)", .min = -1, .max = 0.99},
    {.name = "head", .type = SG_TOPT_STRING, .offset = F(head), .help = "classifier head name (default: the reference's)"},
    {.name = "padding", .type = SG_TOPT_STRING, .offset = F(padding), .help = "the convolutions' padding: zeros (default), reflect or replicate (cnn only; torch's padding_mode)"},
    {.name = "weights", .type = SG_TOPT_STRING, .offset = F(weights), .help = "initial weights (.safetensors), loaded by name"},
    {.name = "epochs", .type = SG_TOPT_INT, .offset = F(epochs), .help = "passes over the training images (default 10)", .min = 1, .max = 100000},
    {.name = "batch", .type = SG_TOPT_INT, .offset = F(batch), .help = "batch size (default 32)", .min = 1, .max = 4096},
    {.name = "optimizer", .type = SG_TOPT_STRING, .offset = F(optimizer), .help = "adam (default), adamw or sgd"},
    {.name = "lr", .type = SG_TOPT_FLOAT, .offset = F(lr), .help = "peak learning rate (default 0.001)", .min = 0, .max = 10, .above_min = true},
    {.name = "momentum", .type = SG_TOPT_FLOAT, .offset = F(momentum), .help = "SGD momentum (default 0.9)", .min = 0, .max = 0.999999},
    {.name = "weight-decay", .type = SG_TOPT_FLOAT, .offset = F(weight_decay), .help = "weight decay (AdamW: decoupled; Adam, SGD: L2 in the gradient)", .min = 0, .max = 1},
    {.name = "l2", .type = SG_TOPT_FLOAT, .offset = F(l2), .help = "Keras l2(lambda) on conv and linear kernels", .min = 0, .max = 1},
    {.name = "clip-norm", .type = SG_TOPT_FLOAT, .offset = F(clip_norm), .help = "clip the global gradient norm (0 = off)", .min = 0, .max = 1e6},
    {.name = "label-smoothing", .type = SG_TOPT_FLOAT, .offset = F(label_smoothing), .help = "cross-entropy label smoothing", .min = 0, .max = 1},
    {.name = "schedule", .type = SG_TOPT_STRING, .offset = F(schedule), .help = "cosine (default, per step), exponential, step or constant"},
    {.name = "gamma", .type = SG_TOPT_FLOAT, .offset = F(gamma), .help = "decay factor of the exponential / step schedules (default 0.9)", .min = 0, .max = 1, .above_min = true},
    {.name = "min-lr", .type = SG_TOPT_FLOAT, .offset = F(min_lr), .help = "floor of the cosine schedule (default 0)", .min = 0, .max = 10},
    {.name = "step-size", .type = SG_TOPT_INT, .offset = F(step_size), .help = "epochs between cuts of the step schedule (default 10)", .min = 1, .max = 100000},
    {.name = "warmup-epochs", .type = SG_TOPT_INT, .offset = F(warmup_epochs), .help = "linear warm-up before the cosine (default 0)", .min = 0, .max = 100000},
    {.name = "patience", .type = SG_TOPT_INT, .offset = F(patience), .help = "stop after N epochs without a better val loss (0 = off)", .min = 0, .max = 100000},
    {.name = "min-delta", .type = SG_TOPT_FLOAT, .offset = F(min_delta), .help = "smallest val loss change that counts as better", .min = 0, .max = 1e6},
    {.name = "class-weights", .type = SG_TOPT_STRING, .offset = F(class_weights), .help = "none (default) or balanced"},
    {.name = "freeze", .type = SG_TOPT_STRING, .offset = F(freeze), .help = "comma-separated parameter-name prefixes to freeze"},
    {.name = "train-last", .type = SG_TOPT_INT, .offset = F(train_last), .help = "freeze all but the last N layers (0 = train all)", .min = 0, .max = 100000},
    {.name = "phase2-epochs", .type = SG_TOPT_INT, .offset = F(phase2_epochs), .help = "epochs of a second, fine-tuning phase: layers unfrozen, fresh optimiser (0 = none)", .min = 0, .max = 100000},
    {.name = "phase2-lr", .type = SG_TOPT_FLOAT, .offset = F(phase2_lr), .help = "peak learning rate of phase 2 (default lr / 10)", .min = 0, .max = 10},
    {.name = "phase2-train-last", .type = SG_TOPT_INT, .offset = F(phase2_train_last), .help = "layers trained in phase 2, the last N (0 = all)", .min = 0, .max = 100000},
    {.name = "norm", .type = SG_TOPT_STRING, .offset = F(norm), .help = "input normalisation: unit (default), symmetric or imagenet"},
    {.name = "hflip", .type = SG_TOPT_BOOL, .offset = F(hflip), .help = "random horizontal flips"},
    {.name = "vflip", .type = SG_TOPT_BOOL, .offset = F(vflip), .help = "random vertical flips"},
    {.name = "rotation", .type = SG_TOPT_FLOAT, .offset = F(rotation), .help = "random rotation range in degrees", .min = 0, .max = 180},
    {.name = "shift", .type = SG_TOPT_FLOAT, .offset = F(shift), .help = "random shift range (fraction of the side)", .min = 0, .max = 1},
    {.name = "shear", .type = SG_TOPT_FLOAT, .offset = F(shear), .help = "random shear range in degrees (Keras shear_range)", .min = 0, .max = 89},
    {.name = "zoom", .type = SG_TOPT_FLOAT, .offset = F(zoom), .help = "random zoom range z: factors in [1-z, 1+z]", .min = 0, .max = 0.99},
    {.name = "brightness", .type = SG_TOPT_FLOAT, .offset = F(brightness), .help = "random brightness range b: factors in [1-b, 1+b]", .min = 0, .max = 0.99},
    {.name = "contrast", .type = SG_TOPT_FLOAT, .offset = F(contrast), .help = "random contrast range c: factors in [1-c, 1+c]", .min = 0, .max = 0.99},
    {.name = "workers", .type = SG_TOPT_INT, .offset = F(workers), .help = "background loader threads (default 1)", .min = 0, .max = 64},
    {.name = "no-cache", .type = SG_TOPT_BOOL, .offset = F(no_cache), .help = "decode images every epoch instead of keeping them in RAM"},
    {.name = "tta", .type = SG_TOPT_STRING, .offset = F(tta), .help = "test-time augmentation of val, test, eval and predict: none (default) or flips (the mean of the 4 mirror images' probabilities)"},
    {.name = "keep-depth", .type = SG_TOPT_BOOL, .offset = F(keep_depth), .help = "16-bit images (PNG, PNM, TIFF) keep their 16 bits: v / 65535 instead of 8-bit first"},
    {.name = "shards", .type = SG_TOPT_INT, .offset = F(shards), .help = "cut each batch into S shards with their own BatchNorm statistics, gradients summed in shard order: the same bits on any number of MPI ranks dividing S (0 = one per rank; docs/DISTRIBUTED.md)", .min = 0, .max = 4096},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

int sg_train_opt_count(void) { return N_OPTIONS; }
const sg_train_opt *sg_train_opt_at(int i) { return i >= 0 && i < N_OPTIONS ? &options[i] : NULL; }

const sg_train_opt *sg_train_opt_find(const char *name)
{
    for (int i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, name) == 0) return &options[i];
    /* Recipes may spell dashes as underscores (weight_decay). */
    char alt[64];
    snprintf(alt, sizeof alt, "%s", name);
    for (char *p = alt; *p; p++)
        if (*p == '_') *p = '-';
    for (int i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, alt) == 0) return &options[i];
    return NULL;
}

void *sg_train_opt_field(sg_train_config *cfg, const sg_train_opt *o) { return (char *)cfg + o->offset; }

void sg_train_config_defaults(sg_train_config *cfg)
{
    *cfg = (sg_train_config){
        .ratios = "70,15,15", .seed = 42, .split_seed = -1, .model = NULL, .dropout = -1, .head = "", .padding = "zeros", .weights = "",
        .epochs = 10, .batch = 32, .optimizer = "adam", .lr = 1e-3, .momentum = 0.9,
        .schedule = "cosine", .gamma = 0.9, .step_size = 10, .class_weights = "none",
        .freeze = "", .norm = "unit", .workers = 1, .tta = "none"};
}

void sg_train_config_free(sg_train_config *cfg)
{
    for (int i = 0; i < cfg->n_owned; i++) free(cfg->owned[i]);
    free(cfg->owned);
    cfg->owned = NULL;
    cfg->n_owned = cfg->cap_owned = 0;
}

static sg_err own_string(sg_train_config *cfg, const char *s, const char **dest)
{
    if (cfg->n_owned == cfg->cap_owned) {
        int cap = cfg->cap_owned ? 2 * cfg->cap_owned : 16;
        char **p = realloc(cfg->owned, (size_t)cap * sizeof *p);
        if (!p) return sg_error_set(SG_ERR_NOMEM, "config: out of memory");
        cfg->owned = p;
        cfg->cap_owned = cap;
    }
    char *copy = strdup(s);
    if (!copy) return sg_error_set(SG_ERR_NOMEM, "config: out of memory");
    cfg->owned[cfg->n_owned++] = copy;
    *dest = copy;
    return SG_OK;
}

static void describe_range(const sg_train_opt *o, char *buf, size_t cap)
{
    const char *what = o->type == SG_TOPT_INT ? "an integer" : "a finite number";
    bool ranged = o->min != 0 || o->max != 0;
    if (!ranged) snprintf(buf, cap, "%s", what);
    else if (o->max <= o->min) snprintf(buf, cap, "%s %s %g", what, o->above_min ? ">" : ">=", o->min);
    else if (o->above_min) snprintf(buf, cap, "%s > %g and <= %g", what, o->min, o->max);
    else snprintf(buf, cap, "%s in [%g, %g]", what, o->min, o->max);
}

static bool in_range(const sg_train_opt *o, double v)
{
    if (o->min == 0 && o->max == 0) return true;
    return (o->above_min ? v > o->min : v >= o->min) && (o->max <= o->min || v <= o->max);
}

sg_err sg_train_config_set(sg_train_config *cfg, const char *name, const char *value,
                           const char *where)
{
    const sg_train_opt *o = sg_train_opt_find(name);
    if (!o) return sg_error_set(SG_ERR_INVALID, "%s: unknown option '%s'", where, name);
    void *dest = sg_train_opt_field(cfg, o);
    char *end;
    errno = 0;
    switch (o->type) {
    case SG_TOPT_STRING:
        return own_string(cfg, value, (const char **)dest);
    case SG_TOPT_BOOL: {
        static const char *const yes[] = {"true", "1", "yes", "on"}, *const no[] = {"false", "0", "no", "off"};
        for (int i = 0; i < 4; i++) {
            if (strcmp(value, yes[i]) == 0) return *(bool *)dest = true, SG_OK;
            if (strcmp(value, no[i]) == 0) return *(bool *)dest = false, SG_OK;
        }
        return sg_error_set(SG_ERR_INVALID, "%s: %s: expected true or false, got '%s'", where, o->name, value);
    }
    case SG_TOPT_INT: {
        long long n = strtoll(value, &end, 10);
        if (!errno && end != value && !*end && !isspace((unsigned char)value[0]) && in_range(o, (double)n)) {
            *(int64_t *)dest = n;
            return SG_OK;
        }
        break;
    }
    case SG_TOPT_FLOAT: {
        double v = strtod(value, &end);
        if (!errno && end != value && !*end && !isspace((unsigned char)value[0]) && isfinite(v) && in_range(o, v)) {
            *(double *)dest = v;
            return SG_OK;
        }
        break;
    }
    }
    char want[96];
    describe_range(o, want, sizeof want);
    return sg_error_set(SG_ERR_INVALID, "%s: %s: expected %s, got '%s'", where, o->name, want, value);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

sg_err sg_train_config_read_recipe(sg_train_config *cfg, const char *path)
{
    char *text;
    size_t len;
    sg_err err = sg_file_read_all(path, 1 << 20, &text, &len);
    if (err != SG_OK) return err;
    int line_no = 0;
    for (char *line = text, *next; line && err == SG_OK; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        line_no++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (!*s) continue;
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, line_no);
        char *eq = strchr(s, '=');
        if (!eq) {
            err = sg_error_set(SG_ERR_INVALID, "%s: expected 'key = value', found '%s'", where, s);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        err = sg_train_config_set(cfg, key, value, where);
    }
    free(text);
    return err;
}

void sg_train_config_write_json(const sg_train_config *cfg, sg_json_writer *w)
{
    for (int i = 0; i < N_OPTIONS; i++) {
        const sg_train_opt *o = &options[i];
        const void *p = (const char *)cfg + o->offset;
        switch (o->type) {
        case SG_TOPT_STRING: {
            const char *s = *(const char *const *)p;
            if (s) sg_json_writer_kv_string(w, o->name, s);
            else {
                sg_json_writer_key(w, o->name);
                sg_json_writer_null(w);
            }
            break;
        }
        case SG_TOPT_INT: sg_json_writer_kv_int64(w, o->name, *(const int64_t *)p); break;
        case SG_TOPT_FLOAT: sg_json_writer_kv_number(w, o->name, *(const double *)p); break;
        case SG_TOPT_BOOL: sg_json_writer_kv_bool(w, o->name, *(const bool *)p); break;
        }
    }
}

sg_err sg_train_config_from_json(sg_train_config *cfg, const sg_json *j, const char *source)
{
    if (!j || j->type != SG_JSON_OBJECT)
        return sg_error_set(SG_ERR_FORMAT, "%s: expected a JSON object of options", source);
    for (int i = 0; i < j->count; i++) {
        const char *key = j->keys[i];
        const sg_json *v = j->items[i];
        const sg_train_opt *o = sg_train_opt_find(key);
        if (!o) return sg_error_set(SG_ERR_FORMAT, "%s: unknown option '%s'", source, key);
        void *dest = sg_train_opt_field(cfg, o);
        bool ok = false;
        switch (o->type) {
        case SG_TOPT_STRING:
            if (v->type == SG_JSON_NULL) {
                *(const char **)dest = NULL;
                ok = true;
            } else if (v->type == SG_JSON_STRING) {
                sg_err err = own_string(cfg, v->string, (const char **)dest);
                if (err != SG_OK) return err;
                ok = true;
            }
            break;
        case SG_TOPT_INT: ok = sg_json_int64(v, (int64_t *)dest) && in_range(o, (double)*(int64_t *)dest); break;
        case SG_TOPT_FLOAT:
            ok = v->type == SG_JSON_NUMBER && in_range(o, v->number);
            if (ok) *(double *)dest = v->number;
            break;
        case SG_TOPT_BOOL:
            ok = v->type == SG_JSON_BOOL;
            if (ok) *(bool *)dest = v->boolean;
            break;
        }
        if (!ok) return sg_error_set(SG_ERR_FORMAT, "%s: option '%s' has a bad value", source, key);
    }
    return SG_OK;
}

static bool one_of(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (s && strcmp(s, *names) == 0) return true;
    return false;
}

sg_err sg_train_config_check(const sg_train_config *c)
{
    bool has_data = c->data && *c->data, has_manifest = c->manifest && *c->manifest;
    if (has_data == has_manifest)
        return sg_error_set(SG_ERR_INVALID, "give exactly one of --data DIR or --manifest CSV");
    if (!c->model || !*c->model) return sg_error_set(SG_ERR_INVALID, "--model is required (steelgrad model list)");
    if (!one_of(c->optimizer, (const char *const[]){"adam", "adamw", "sgd", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--optimizer: expected adam, adamw or sgd, got '%s'", c->optimizer);
    if (!one_of(c->schedule, (const char *const[]){"cosine", "exponential", "step", "constant", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--schedule: expected cosine, exponential, step or constant, got '%s'",
                            c->schedule);
    if (!one_of(c->tta, (const char *const[]){"none", "flips", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--tta: expected none or flips, got '%s'", c->tta);
    if (!one_of(c->class_weights, (const char *const[]){"none", "balanced", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--class-weights: expected none or balanced, got '%s'", c->class_weights);
    if (c->shards > c->batch)
        return sg_error_set(SG_ERR_INVALID, "--shards %lld: more shards than the %lld images of a batch (--batch)",
                            (long long)c->shards, (long long)c->batch);
    if (!one_of(c->padding, (const char *const[]){"zeros", "reflect", "replicate", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--padding: expected zeros, reflect or replicate, got '%s'", c->padding);
    if (!one_of(c->norm, (const char *const[]){"unit", "symmetric", "imagenet", NULL}))
        return sg_error_set(SG_ERR_INVALID, "--norm: expected unit, symmetric or imagenet, got '%s'", c->norm);
    sg_split_ratios ratios;
    if (!c->ratios || sg_split_parse_ratios(c->ratios, &ratios) != SG_OK)
        return sg_error_set(SG_ERR_INVALID, "--ratios: %s", c->ratios ? sg_error_message() : "missing");
    if (c->folds == 1 || (c->folds > 1 && c->fold >= c->folds))
        return sg_error_set(SG_ERR_INVALID, "--folds K needs K >= 2 and --fold in 0..K-1, got %lld and %lld",
                            (long long)c->folds, (long long)c->fold);
    if (c->channels == 2) return sg_error_set(SG_ERR_INVALID, "--channels: expected 1 or 3, got 2");
    if (strcmp(c->norm, "imagenet") == 0 && c->channels == 1)
        return sg_error_set(SG_ERR_INVALID, "--norm imagenet needs 3 channels (--channels 3)");
    return SG_OK;
}

sg_model_options sg_train_model_options(const sg_train_config *cfg, int classes)
{
    sg_model_options o = sg_model_options_defaults(classes);
    o.in_channels = (int)cfg->channels;
    o.image_size = (int)cfg->size;
    o.width_mult = cfg->width_mult;
    o.dropout = cfg->dropout < 0 ? -1.0f : (float)cfg->dropout;
    o.head = cfg->head && *cfg->head ? cfg->head : NULL;
    o.padding = cfg->padding;
    return o;
}

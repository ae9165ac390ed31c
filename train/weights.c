/* train/weights.c - what happens to a model's parameters before training:
 * initial weights loaded by name, freezing by prefix or by layer count
 * (see train.h for the rules). */
#include <string.h>

#include "core/safetensors.h"
#include "train/train.h"

static bool has_prefix(const char *name, const char *prefix, size_t len)
{
    return strncmp(name, prefix, len) == 0;
}

/* Length of the layer part of a parameter name (before the last '.'). */
static size_t layer_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

sg_err sg_train_freeze(sg_params *ps, const char *prefixes, int64_t train_last, int *frozen)
{
    int count = 0;
    for (const char *p = prefixes; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if (len) {
            int hits = 0;
            for (int i = 0; i < ps->count; i++)
                if (has_prefix(ps->items[i]->name, p, len)) {
                    sg_param_set_frozen(ps->items[i], true);
                    hits++;
                }
            if (!hits)
                return sg_error_set(SG_ERR_INVALID, "--freeze: no parameter name starts with '%.*s'",
                                    (int)len, p);
        }
        if (!end) break;
        p = end + 1;
    }
    if (train_last > 0) {
        /* Walk the layers from the last one; the first train_last stay trainable. */
        int64_t layers = 0;
        const char *prev = NULL;
        size_t prev_len = 0;
        for (int i = ps->count - 1; i >= 0; i--) {
            const char *name = ps->items[i]->name;
            size_t len = layer_len(name);
            if (!prev || len != prev_len || strncmp(name, prev, len) != 0) layers++;
            prev = name;
            prev_len = len;
            if (layers > train_last) sg_param_set_frozen(ps->items[i], true);
        }
    }
    for (int i = 0; i < ps->count; i++) count += ps->items[i]->frozen && !ps->items[i]->buffer;
    if (frozen) *frozen = count;
    return SG_OK;
}

sg_err sg_train_load_weights(sg_params *ps, const char *path, int *loaded, int *skipped)
{
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    int n_loaded = 0, n_skipped = 0;
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(&f, p->name);
        if (!t) continue;
        bool same = t->ndim == p->t.ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->t.shape[d];
        if (same) {
            memcpy(p->t.data, t->data, (size_t)t->numel * sizeof(float));
            n_loaded++;
        } else if (t->ndim == 4 && p->t.ndim == 4 && t->shape[1] == 3 && p->t.shape[1] == 1 &&
                   t->shape[0] == p->t.shape[0] && t->shape[2] == p->t.shape[2] &&
                   t->shape[3] == p->t.shape[3]) {
            /* RGB first convolution on gray input: sum the weights over channels. */
            int64_t O = t->shape[0], HW = t->shape[2] * t->shape[3];
            for (int64_t o = 0; o < O; o++)
                for (int64_t k = 0; k < HW; k++)
                    p->t.data[o * HW + k] = t->data[(o * 3 + 0) * HW + k] +
                                            t->data[(o * 3 + 1) * HW + k] + t->data[(o * 3 + 2) * HW + k];
            n_loaded++;
        }
    }
    n_skipped = f.count - n_loaded;
    sg_safetensors_free(&f);
    if (loaded) *loaded = n_loaded;
    if (skipped) *skipped = n_skipped;
    if (!n_loaded)
        return sg_error_set(SG_ERR_INVALID, "%s: no tensor matches a parameter of the model by name and shape", path);
    return SG_OK;
}

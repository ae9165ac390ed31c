/* core/checkpoint.c - parameter store <-> safetensors (see checkpoint.h).
 *
 * Loading checks every name and shape first and copies only when all fit,
 * so a wrong checkpoint leaves the model exactly as it was - like
 * torch.nn.Module.load_state_dict(strict=...), whose semantics it follows
 * (https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.load_state_dict). */
#include "core/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/safetensors.h"

sg_err sg_params_save(const sg_params *ps, const char *path, const char *const *meta_kv,
                      int meta_count)
{
    sg_st_entry *entries = malloc(sizeof *entries * (size_t)(ps->count ? ps->count : 1));
    if (!entries) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < ps->count; i++) {
        const sg_param *p = ps->items[i];
        entries[i] = (sg_st_entry){p->name, p->t.ndim, p->t.shape, p->t.data};
    }
    sg_err err = sg_safetensors_write(path, entries, ps->count, meta_kv, meta_count);
    free(entries);
    return err;
}

/* "[2, 3]" of a shape, for messages. */
static void shape_text(int ndim, const int64_t *shape, char *buf, size_t size)
{
    sg_tensor t;
    if (sg_tensor_view(&t, NULL, ndim, shape)) sg_shape_str(&t, buf, size);
    else snprintf(buf, size, "(invalid)");
}

sg_err sg_params_load_with_report(sg_params *ps, const char *path, bool strict,
                                  sg_params_load_report *report)
{
    sg_params_load_report r = {0};
    if (report) *report = r;
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    const sg_st_tensor **src = calloc((size_t)(ps->count ? ps->count : 1), sizeof *src);
    if (!src) {
        sg_safetensors_free(&f);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    }
    /* Pass 1: match and check, change nothing. */
    for (int i = 0; i < ps->count && err == SG_OK; i++) {
        const sg_param *p = ps->items[i];
        const sg_st_tensor *t = sg_safetensors_find(&f, p->name);
        if (!t) {
            r.missing++;
            if (strict)
                err = sg_error_set(SG_ERR_FORMAT, "%s: parameter '%s' is missing from the file", path,
                                   p->name);
            continue;
        }
        bool same = t->ndim == p->t.ndim;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->t.shape[d];
        if (!same) {
            char want[96], found[96];
            shape_text(p->t.ndim, p->t.shape, want, sizeof want);
            shape_text(t->ndim, t->shape, found, sizeof found);
            err = sg_error_set(SG_ERR_SHAPE, "%s: tensor '%s' has shape %s in the file, but the model's is %s",
                               path, p->name, found, want);
        }
        src[i] = t;
    }
    for (int k = 0; k < f.count && err == SG_OK; k++) {
        if (sg_params_find(ps, f.tensors[k].name)) continue;
        r.unexpected++;
        if (strict)
            err = sg_error_set(SG_ERR_FORMAT, "%s: tensor '%s' is not a parameter of the model", path,
                               f.tensors[k].name);
    }
    /* Pass 2: copy. */
    if (err == SG_OK) {
        for (int i = 0; i < ps->count; i++) {
            if (!src[i]) continue;
            memcpy(ps->items[i]->t.data, src[i]->data, (size_t)src[i]->numel * sizeof(float));
            r.loaded++;
        }
        if (report) *report = r;
    }
    free(src);
    sg_safetensors_free(&f);
    return err;
}

sg_err sg_params_load(sg_params *ps, const char *path, bool strict)
{
    return sg_params_load_with_report(ps, path, strict, NULL);
}

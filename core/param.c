/* core/param.c - the parameter store (see param.h). */
#include "core/param.h"

#include <stdlib.h>
#include <string.h>

static float *alloc_floats(int64_t n)
{
    size_t bytes = ((size_t)(n ? n : 1) * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static sg_param *add(sg_params *ps, const char *name, int ndim, const int64_t *shape, bool buffer)
{
    if (!name || strlen(name) >= SG_PARAM_NAME_MAX) {
        sg_error_set(SG_ERR_INVALID, "parameter name missing or longer than %d bytes",
                     SG_PARAM_NAME_MAX - 1);
        return NULL;
    }
    if (sg_params_find(ps, name)) {
        sg_error_set(SG_ERR_INVALID, "parameter '%s' defined twice", name);
        return NULL;
    }
    sg_param *p = calloc(1, sizeof *p);
    if (!p || !sg_tensor_view(&p->t, NULL, ndim, shape)) {
        free(p);
        sg_error_set(p ? SG_ERR_SHAPE : SG_ERR_NOMEM, "parameter '%s': bad shape or no memory", name);
        return NULL;
    }
    p->t.data = alloc_floats(p->t.numel);
    p->t.grad = buffer ? NULL : alloc_floats(p->t.numel);
    if (ps->count == ps->cap) {
        int cap = ps->cap ? ps->cap * 2 : 32;
        sg_param **items = realloc(ps->items, (size_t)cap * sizeof *items);
        if (items) {
            ps->items = items;
            ps->cap = cap;
        }
    }
    if (!p->t.data || (!buffer && !p->t.grad) || ps->count == ps->cap) {
        free(p->t.data);
        free(p->t.grad);
        free(p);
        sg_error_set(SG_ERR_NOMEM, "out of memory for parameter '%s'", name);
        return NULL;
    }
    strcpy(p->name, name);
    p->t.name = p->name;
    p->t.is_param = true;
    p->t.requires_grad = !buffer;
    p->buffer = buffer;
    p->no_decay = buffer;
    ps->items[ps->count++] = p;
    return p;
}

sg_param *sg_params_add(sg_params *ps, const char *name, int ndim, const int64_t *shape)
{
    return add(ps, name, ndim, shape, false);
}

sg_param *sg_params_add_buffer(sg_params *ps, const char *name, int ndim, const int64_t *shape)
{
    return add(ps, name, ndim, shape, true);
}

sg_param *sg_params_find(const sg_params *ps, const char *name)
{
    for (int i = 0; i < ps->count; i++)
        if (strcmp(ps->items[i]->name, name) == 0) return ps->items[i];
    return NULL;
}

void sg_param_set_frozen(sg_param *p, bool frozen)
{
    p->frozen = frozen;
    p->t.requires_grad = !frozen && !p->buffer;
}

void sg_params_zero_grad(sg_params *ps)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        if (p->t.grad) memset(p->t.grad, 0, (size_t)p->t.numel * sizeof(float));
    }
}

int64_t sg_params_count(const sg_params *ps)
{
    int64_t n = 0;
    for (int i = 0; i < ps->count; i++)
        if (!ps->items[i]->buffer) n += ps->items[i]->t.numel;
    return n;
}

void sg_params_free(sg_params *ps)
{
    for (int i = 0; i < ps->count; i++) {
        sg_param *p = ps->items[i];
        free(p->t.data);
        free(p->t.grad);
        for (int k = 0; k < SG_PARAM_STATE_MAX; k++) free(p->state[k]);
        free(p);
    }
    free(ps->items);
    *ps = (sg_params){0};
}

/* core/tensor.c - shape helpers for tensor views. */
#include "core/tensor.h"

#include <stdio.h>

int64_t sg_shape_numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        if (shape[i] != 0 && n > INT64_MAX / shape[i]) return -1;
        n *= shape[i];
    }
    return n;
}

bool sg_tensor_view(sg_tensor *t, float *data, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > SG_MAX_DIMS) return false;
    int64_t n = sg_shape_numel(ndim, shape);
    if (n < 0) return false;
    *t = (sg_tensor){0};
    for (int i = 0; i < SG_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->ndim = ndim;
    t->numel = n;
    t->data = data;
    return true;
}

char *sg_shape_str(const sg_tensor *t, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    if (!t) {
        snprintf(buf, size, "(null)");
        return buf;
    }
    used += (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < t->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %lld" : "%lld",
                                 (long long)t->shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

bool sg_tensor_same_shape(const sg_tensor *a, const sg_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}

int64_t sg_tensor_dim(const sg_tensor *t, int i)
{
    if (i < 0) i += t->ndim;
    if (i < 0 || i >= t->ndim) return 1;
    return t->shape[i];
}

/* core/param.h - the parameter store: weights that outlive a step.
 *
 * A parameter is a tensor whose value and gradient are owned by its store,
 * plus a name (the reference framework's name, e.g. "layer1.0.conv1.weight",
 * so checkpoints load as is), a frozen flag and optimiser state. Ops take
 * &param->t like any tensor. Gradients accumulate across a step and are zeroed
 * once per step with sg_params_zero_grad(). */
#ifndef SG_PARAM_H
#define SG_PARAM_H

#include <stdbool.h>

#include "core/error.h"
#include "core/tensor.h"

#define SG_PARAM_NAME_MAX 128
#define SG_PARAM_STATE_MAX 3

typedef struct sg_param {
    sg_tensor t;                       /* t.data = value, t.grad = gradient */
    char name[SG_PARAM_NAME_MAX];
    bool frozen;                       /* no gradient, the optimiser skips it */
    bool no_decay;                     /* weight decay / L2 skips it (e.g. BN, biases) */
    bool buffer;                       /* not trained at all (BN running stats) */
    float *state[SG_PARAM_STATE_MAX];  /* optimiser slots (momentum, Adam m and v), owned */
} sg_param;

typedef struct sg_params {
    sg_param **items;
    int count, cap;
} sg_params;

/* Add a zero-filled parameter with its zeroed gradient; NULL + sg_error on OOM,
 * duplicate name or bad shape. `buffer` = a non-trainable tensor saved with
 * the weights (BatchNorm running mean/var). */
sg_param *sg_params_add(sg_params *ps, const char *name, int ndim, const int64_t *shape);
sg_param *sg_params_add_buffer(sg_params *ps, const char *name, int ndim, const int64_t *shape);
sg_param *sg_params_find(const sg_params *ps, const char *name);
void sg_param_set_frozen(sg_param *p, bool frozen);
/* Zero every gradient (once per step, before the forward pass). */
void sg_params_zero_grad(sg_params *ps);
/* Number of trainable values (buffers excluded), as torch's sum(p.numel()). */
int64_t sg_params_count(const sg_params *ps);
void sg_params_free(sg_params *ps);

#endif

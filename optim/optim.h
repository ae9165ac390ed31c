/* optim/optim.h - the optimisers: SGD (momentum, dampening, Nesterov), Adam, AdamW.
 *
 * An optimiser updates the trainable parameters of an sg_params store from the
 * gradients that backward accumulated in them:
 *
 *     sg_params_zero_grad(&ps);  forward;  backward;
 *     [sg_l2_penalty, sg_clip_grad_norm  (optim/gradient.h)]
 *     sg_optimizer_set_lr(opt, schedule(epoch, step));
 *     sg_optimizer_step(opt, &ps);
 *
 * The update rules are PyTorch's, operation for operation in float32, so a
 * model trained here follows the same trajectory as with torch.optim:
 *   SGD   https://pytorch.org/docs/stable/generated/torch.optim.SGD.html
 *   Adam  https://pytorch.org/docs/stable/generated/torch.optim.Adam.html
 *   AdamW https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
 *
 * Which parameters move: every one that is neither a buffer nor frozen and has
 * a gradient array (PyTorch skips parameters whose .grad is None, which is what
 * a frozen parameter has). A parameter flagged no_decay gets no weight decay:
 * PyTorch applies a group's weight_decay to every parameter of the group, so
 * our flag is the equivalent of putting that parameter in a second group with
 * weight_decay=0 (the usual recipe for biases and norm layers).
 *
 * State lives in the parameters' own slots (sg_param.state[], freed with the
 * store), allocated on the first step that touches a parameter - the only
 * allocation; a step never allocates again. Per parameter, like torch:
 *   SGD (momentum != 0)  state[0] = momentum buffer
 *   Adam / AdamW         state[0] = m (exp_avg), state[1] = v (exp_avg_sq),
 *                        state[2] = max v (amsgrad only)
 * Slot 0 carries two floats after its numel values: the parameter's own step
 * count (torch's state['step'], a float32 tensor in torch too - a parameter
 * unfrozen later starts its bias correction at 1, as in torch) and a tag of the
 * optimiser family that made the state (state made by SGD is refused by Adam).
 * For a checkpoint, sg_optimizer_state_entries() names every state tensor
 * ("<param>.__adam_m", "<param>.__adam_v", "<param>.__adam_vmax",
 * "<param>.__adam_step", "<param>.__sgd_momentum", "<param>.__sgd_step") and
 * sg_optimizer_state_load() puts them back, so --resume continues exactly. */
#ifndef SG_OPTIM_H
#define SG_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/param.h"
#include "core/safetensors.h"

/* Hyper-parameters are doubles, as Python floats are in torch; each is rounded
 * to float32 where torch's kernels round it (a tensor op with a scalar). */
typedef struct sg_sgd_opts {
    double lr;            /* required, >= 0 */
    double momentum;      /* 0 = plain SGD */
    double dampening;     /* buf = momentum*buf + (1-dampening)*g after the first step */
    double weight_decay;  /* L2 folded into the gradient: g += weight_decay * p */
    bool nesterov;        /* needs momentum > 0 and dampening == 0 (as torch) */
} sg_sgd_opts;

/* Start from sg_adam_defaults() / sg_adamw_defaults() and change fields: a
 * zeroed struct means betas (0, 0) and eps 0, which are legal but not Adam. */
typedef struct sg_adam_opts {
    double lr;            /* default 1e-3 */
    double beta1, beta2;  /* default 0.9, 0.999; each in [0, 1) */
    double eps;           /* default 1e-8, added after the square root */
    double weight_decay;  /* Adam: g += wd*p (L2).  AdamW: p *= 1 - lr*wd (decoupled) */
    bool amsgrad;         /* normalise by the running maximum of v */
} sg_adam_opts;

typedef enum sg_optimizer_kind {
    SG_OPTIMIZER_SGD,
    SG_OPTIMIZER_ADAM,
    SG_OPTIMIZER_ADAMW,
} sg_optimizer_kind;

typedef struct sg_optimizer sg_optimizer;

/* torch.optim.Adam's defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0). */
sg_adam_opts sg_adam_defaults(void);
/* torch.optim.AdamW's defaults (as Adam, but weight_decay 1e-2). */
sg_adam_opts sg_adamw_defaults(void);

/* New optimisers; NULL + sg_error (SG_ERR_INVALID naming the option) on a bad
 * value, as torch's constructors raise. sg_sgd_new needs opts (lr has no
 * default); the Adam ones take NULL for the defaults above. */
sg_optimizer *sg_sgd_new(const sg_sgd_opts *opts);
sg_optimizer *sg_adam_new(const sg_adam_opts *opts);
sg_optimizer *sg_adamw_new(const sg_adam_opts *opts);
void sg_optimizer_free(sg_optimizer *opt);

/* One update of every trainable parameter of `ps`. Missing state slots are
 * allocated first, so on SG_ERR_NOMEM nothing has moved; SG_ERR_INVALID if a
 * parameter holds another optimiser family's state (sg_optimizer_state_reset). */
sg_err sg_optimizer_step(sg_optimizer *opt, sg_params *ps);

sg_optimizer_kind sg_optimizer_kind_of(const sg_optimizer *opt);
/* "sgd", "adam" or "adamw". */
const char *sg_optimizer_name(const sg_optimizer *opt);
/* The learning rate used by the next step (a schedule sets it before each step). */
void sg_optimizer_set_lr(sg_optimizer *opt, double lr);
double sg_optimizer_lr(const sg_optimizer *opt);
/* Steps taken so far (set it when resuming a run). */
int64_t sg_optimizer_steps(const sg_optimizer *opt);
void sg_optimizer_set_steps(sg_optimizer *opt, int64_t steps);

/* --- state for checkpoints ------------------------------------------------ */

#define SG_OPTIM_STATE_NAME_MAX (SG_PARAM_NAME_MAX + 24)

/* One named state tensor; `data` points into the parameter's slot. */
typedef struct sg_optimizer_state_entry {
    char name[SG_OPTIM_STATE_NAME_MAX];   /* "<param>.__adam_m", ... */
    int ndim;                             /* the parameter's shape; 0 for a step count */
    int64_t shape[SG_MAX_DIMS];
    int64_t numel;
    float *data;
} sg_optimizer_state_entry;

/* The state tensors this optimiser holds in `ps` (parameters that have state,
 * frozen ones included), in parameter order. Fills at most `cap` entries and
 * returns how many there are (cap 0 counts them). */
int sg_optimizer_state_entries(const sg_optimizer *opt, const sg_params *ps,
                               sg_optimizer_state_entry *out, int cap);

/* Where a loader finds a named tensor: its data and numel, or NULL if absent. */
typedef const float *(*sg_optimizer_state_lookup_fn)(void *ctx, const char *name,
                                                     int64_t *numel);

/* Restore state saved from sg_optimizer_state_entries(). For each non-buffer
 * parameter either all of its state tensors are found (they are copied into
 * its slots) or none (the parameter starts fresh, as in torch). Errors, with
 * nothing changed: SG_ERR_FORMAT for a partial set, SG_ERR_SHAPE for a wrong
 * size, SG_ERR_NOMEM. */
sg_err sg_optimizer_state_load(sg_optimizer *opt, sg_params *ps,
                               sg_optimizer_state_lookup_fn lookup, void *ctx);
/* The same, looking the names up in a file read with sg_safetensors_read()
 * (e.g. a checkpoint that holds the parameters and the entries above). */
sg_err sg_optimizer_state_load_safetensors(sg_optimizer *opt, sg_params *ps,
                                           const sg_safetensors *file);

/* Free every parameter's optimiser state (before switching optimiser). */
void sg_optimizer_state_reset(sg_params *ps);

#endif

/* core/graph.h - define-by-run autodiff: one tape per step.
 *
 * Calling an op on a graph (sg_conv2d(g, x, w, b, ...)) checks the shapes,
 * computes the output at once into the graph's arena and - unless the graph is
 * in no-grad mode or no input needs a gradient - appends a node to the tape:
 * the inputs, the output, a small context of saved values, and the backward
 * function. sg_graph_backward(g, loss) walks the tape in reverse; every
 * backward ACCUMULATES (+=) into the gradients of its inputs, so fan-out
 * (residuals, shared weights, Grad-CAM hooks) is right by construction.
 *
 * Errors are sticky: the first failing op records its message on the graph
 * and returns NULL; every later op given a NULL input also returns NULL
 * without computing. Model code can chain calls and check once at the end:
 *     sg_tensor *y = sg_relu(g, sg_conv2d(g, x, w, b, &opt));
 *     if (!y) return sg_graph_error(g);   // message in sg_error_message()
 *
 * sg_graph_reset() ends the step: the tape and all activations are dropped and
 * the arena keeps its memory for the next step (no malloc in the loop). */
#ifndef SG_GRAPH_H
#define SG_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/tensor.h"

#define SG_NODE_MAX_INPUTS 8

typedef struct sg_graph sg_graph;
typedef struct sg_node sg_node;

/* Accumulate the gradient of node->out into the gradients of node->in[].
 * Use sg_node_grad(node, i) to get (and lazily create) input i's gradient;
 * it returns NULL when input i needs no gradient. */
typedef void (*sg_backward_fn)(sg_graph *g, sg_node *node);

struct sg_node {
    const char *op;                       /* "conv2d", ... for messages and the tour */
    sg_backward_fn backward;
    sg_tensor *out;
    sg_tensor *in[SG_NODE_MAX_INPUTS];
    int n_in;
    void *ctx;                            /* op-specific saved values (arena memory) */
};

/* A new graph with grad enabled and training mode on. NULL on OOM. */
sg_graph *sg_graph_new(void);
void sg_graph_free(sg_graph *g);

/* End of step: drop the tape, the activations and the sticky error. */
void sg_graph_reset(sg_graph *g);

/* No-grad mode: ops compute outputs only, record nothing, save nothing. */
void sg_graph_set_grad_enabled(sg_graph *g, bool enabled);
bool sg_graph_grad_enabled(const sg_graph *g);

/* Training mode (BatchNorm uses batch statistics, dropout drops). */
void sg_graph_set_training(sg_graph *g, bool training);
bool sg_graph_training(const sg_graph *g);

/* Step counter and seed, used to key random ops (dropout) so that they do not
 * depend on scheduling: key = (seed, purpose, step, per-call counter). */
void sg_graph_set_seed(sg_graph *g, uint64_t seed, uint64_t step);
uint64_t sg_graph_seed(const sg_graph *g);
uint64_t sg_graph_step(const sg_graph *g);
/* A fresh id for a random op within the step (0, 1, 2, ... in call order). */
uint64_t sg_graph_next_random_id(sg_graph *g);

/* The sticky error (SG_OK if none). Its message is in sg_graph_error_message(). */
sg_err sg_graph_error(const sg_graph *g);
const char *sg_graph_error_message(const sg_graph *g);
/* Record an error on the graph (first one wins) and on the thread; returns code. */
sg_err sg_graph_fail(sg_graph *g, sg_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For op implementations: false (and nothing computed) if the graph already
 * failed or any of the n inputs is NULL; the first NULL input is reported. */
bool sg_graph_inputs_ok(sg_graph *g, const char *op, int n, sg_tensor *const *in);

/* A new tensor in the arena (data uninitialised / zeroed); NULL + error on OOM. */
sg_tensor *sg_graph_tensor(sg_graph *g, int ndim, const int64_t *shape);
sg_tensor *sg_graph_zeros(sg_graph *g, int ndim, const int64_t *shape);
/* A new arena tensor holding a copy of `data`. */
sg_tensor *sg_graph_tensor_from(sg_graph *g, int ndim, const int64_t *shape, const float *data);
/* A leaf tensor that views caller memory (e.g. an input batch). */
sg_tensor *sg_graph_view(sg_graph *g, float *data, int ndim, const int64_t *shape);
/* Arena memory for an op (zeroed); NULL + error on OOM. Lives until reset. */
void *sg_graph_alloc(sg_graph *g, size_t bytes);
/* Scratch that an op gives back before returning. */
sg_arena_mark sg_graph_scratch_mark(sg_graph *g);
void sg_graph_scratch_release(sg_graph *g, sg_arena_mark mark);
sg_arena *sg_graph_arena(sg_graph *g);

/* Append a node if grad is enabled and some input requires grad; then marks
 * out->requires_grad and returns the node, with `ctx_bytes` of zeroed context.
 * Returns NULL when nothing needs recording (the op then saves nothing) or on
 * OOM (then sg_graph_error() is set: ops must check it). */
sg_node *sg_graph_record(sg_graph *g, const char *op, sg_tensor *out, int n_in,
                         sg_tensor *const *in, sg_backward_fn backward, size_t ctx_bytes);

/* The gradient buffer of node input i, or NULL if that input does not require
 * grad. sg_graph_backward creates (zeroed) the gradients of a node's inputs
 * before calling its backward, so this never allocates there and a backward
 * may take and release scratch freely. */
float *sg_node_grad(sg_graph *g, sg_node *node, int i);
/* The gradient buffer of any tensor, created zeroed in the arena if missing. */
float *sg_graph_grad_of(sg_graph *g, sg_tensor *t);

/* Make `t` require grad and keep its gradient readable in t->grad after
 * backward (Grad-CAM reads the gradient of a feature map this way). Call it
 * before the ops that consume t. */
void sg_graph_retain_grad(sg_graph *g, sg_tensor *t);

/* Named intermediate tensors ("taps"). Models call sg_graph_mark(g, name, x)
 * at every module boundary they own, with the reference implementation's
 * module path as the name ("layer4" of torchvision's ResNet, "features.18" of
 * its MobileNetV2, "Mixed_7c" of InceptionV3), so a layer name copied from a
 * PyTorch notebook works here. A caller that wants one of them sets a tap
 * before the forward:
 *     sg_tensor *a = NULL;
 *     sg_graph_set_tap(g, "layer4", &a, true);   // true: also retain its grad
 *     logits = sg_model_forward(g, m, x);          // a now points at layer4's output
 * The tap holds until sg_graph_clear_taps (sg_graph_reset keeps it; *out is
 * set again by each forward). A mark with no tap set costs one test, so the
 * models mark unconditionally. With several marks of the same name, the last
 * one wins (as a PyTorch forward hook that overwrites). At most
 * SG_GRAPH_MAX_TAPS taps; SG_ERR_INVALID beyond. */
enum { SG_GRAPH_MAX_TAPS = 8 };
sg_err sg_graph_set_tap(sg_graph *g, const char *name, sg_tensor **out, bool retain_grad);
void sg_graph_clear_taps(sg_graph *g);
/* Record x under `name` for a matching tap; returns x (so it chains). With
 * retain_grad, x's gradient is kept (sg_graph_retain_grad). */
sg_tensor *sg_graph_mark(sg_graph *g, const char *name, sg_tensor *x);
/* The same with a printf-style name ("layer%d.%d"); formats only when a tap
 * or a listing is active. */
sg_tensor *sg_graph_markf(sg_graph *g, sg_tensor *x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* While `buf` is set, every mark appends its name to it, ", "-separated and
 * cut with "..." at cap (listing a model's layers: one forward); NULL stops. */
void sg_graph_list_marks(sg_graph *g, char *buf, size_t cap);

/* Backward from a scalar (numel 1) loss: seeds d loss = 1 and walks the tape
 * in reverse. May be called once per step.
 * Memory: once a node's backward has run, the gradient of its output is dead
 * (every consumer came later on the tape) and is given back for reuse by the
 * gradients still to come, so afterwards an intermediate tensor's grad is
 * NULL. Kept: the root's, the parameters', leaves' (e.g. an input that
 * requires grad) and those asked for with sg_graph_retain_grad. */
sg_err sg_graph_backward(sg_graph *g, sg_tensor *loss);
/* Backward from any tensor with an explicit seed gradient (out->numel floats). */
sg_err sg_graph_backward_from(sg_graph *g, sg_tensor *out, const float *seed);

/* Called after each node's backward in sg_graph_backward(_from) with the
 * node's tape index (decreasing). A parameter's gradient is final once the
 * node of the smallest index that takes it as an input has run: the
 * data-parallel engine (train/train.c) sends such gradients while the
 * backward goes on. fn NULL: none (the default). */
typedef void (*sg_backward_hook)(void *ctx, int tape_index);
void sg_graph_set_backward_hook(sg_graph *g, sg_backward_hook fn, void *ctx);

/* Inference memory: a no-grad forward keeps only live activations.
 * Define-by-run code does not say when a tensor is dead, so a planned forward
 * runs twice (sg_model_forward does it for every model):
 *     if (sg_graph_plan_begin(g)) {          // eval mode, no grad: a dry run
 *         y = forward(g, x);                 // ops allocate, compute nothing
 *         sg_graph_plan_run(g, y);           // count every tensor's uses
 *         y = forward(g, x);                 // the real run frees dead tensors
 *         sg_graph_plan_end(g);
 *     }
 * In the real run each arena tensor made by the forward is freed once its last
 * use (an sg_graph_inputs_ok or sg_graph_record naming it) has come, and its
 * bytes are reused by later tensors (best fit from a free list, no malloc
 * once the arena has grown). Kept alive until reset: the output, tapped
 * tensors (sg_graph_set_tap) and those named by sg_graph_plan_keep in the dry
 * run. The arithmetic is the same; only sg_graph_peak_bytes() drops (to about
 * the largest set of live activations instead of their sum).
 * Ops: in the dry run (sg_graph_dry) an op checks shapes, allocates its
 * outputs and records exactly as in the real run, but skips its compute; an
 * op that reads a tensor directly after calling other ops names it again
 * with sg_graph_inputs_ok. A run that does not repeat the dry run's
 * allocations and uses fails with a graph error, never reads freed memory. */
/* On by default; false runs no-grad forwards without a plan (tests compare). */
void sg_graph_set_free_dead(sg_graph *g, bool on);
bool sg_graph_free_dead(const sg_graph *g);
/* Starts a dry run and returns true when the graph is in no-grad eval mode,
 * free_dead is on and no plan is active; else false (run the forward once). */
bool sg_graph_plan_begin(sg_graph *g);
/* In the dry run: keep t alive after the forward (e.g. attention maps). */
void sg_graph_plan_keep(sg_graph *g, const sg_tensor *t);
/* Ends the dry run (out is kept) and starts the real run; false when the dry
 * run failed (the graph error says why; the plan is off). */
bool sg_graph_plan_run(sg_graph *g, const sg_tensor *out);
/* Ends the real run. */
void sg_graph_plan_end(sg_graph *g);
/* True during a dry run: ops compute nothing. */
bool sg_graph_dry(const sg_graph *g);

/* Bookkeeping for `steelgrad info`, benches and the tour. */
int sg_graph_tape_length(const sg_graph *g);
const sg_node *sg_graph_tape_node(const sg_graph *g, int i);
size_t sg_graph_peak_bytes(const sg_graph *g);

#endif

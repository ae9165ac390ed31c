/* core/graph.c - the tape: recording, backward in reverse, step reset. */
#include "core/graph.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"

/* A gradient block given back during backward, waiting for reuse. */
typedef struct free_block {
    unsigned char *p;
    size_t bytes;            /* a multiple of the arena alignment */
} free_block;

/* The memory plan of a no-grad forward (sg_graph_plan_begin): one entry per
 * arena tensor the forward creates, in creation order. */
typedef struct plan_store {
    unsigned char *p;        /* data (dry run: a 64-byte stand-in), NULL once dead */
    size_t bytes;            /* the tensor's bytes (the run checks them against the dry run) */
    int uses;                /* dry run: uses counted; run: uses still to come */
    bool keep;               /* the output, a tap, sg_graph_plan_keep: never freed */
} plan_store;

enum { PLAN_OFF, PLAN_DRY, PLAN_RUN };

struct sg_graph {
    sg_arena *arena;
    free_block *free_grads;  /* sorted by address, neighbours merged; malloc'd
                                like the tape: grows in the first step, then stays */
    int free_len, free_cap;
    sg_node **tape;          /* malloc'd; grows to the longest step, then stays */
    int tape_len, tape_cap;
    sg_tensor **retained;    /* tensors asked for with sg_graph_retain_grad */
    int retained_len, retained_cap;
    bool grad_enabled;
    bool training;
    sg_backward_hook hook;   /* after each node's backward (sg_graph_set_backward_hook) */
    void *hook_ctx;
    uint64_t seed, step, random_id;
    sg_err err;
    char err_msg[1024];
    /* Taps (sg_graph_set_tap): names are copied; n_taps == 0 makes marks free. */
    struct {
        char name[96];
        sg_tensor **out;
        bool retain_grad;
    } taps[SG_GRAPH_MAX_TAPS];
    int n_taps;
    char *mark_list;          /* sg_graph_list_marks: caller's buffer, or NULL */
    size_t mark_list_cap;
    /* Inference memory plan (see graph.h). All arrays are malloc'd and grow to
     * the largest forward, then stay: no malloc per forward afterwards. */
    bool free_dead;           /* sg_graph_set_free_dead (default true) */
    int plan;                 /* PLAN_OFF, PLAN_DRY, PLAN_RUN */
    plan_store *store;        /* per tensor of the forward */
    int store_len, store_cap, run_len;
    int *live;                /* ids of stores whose data is alive, for lookups */
    int live_len, live_cap;
    int *seq;                 /* dry run: the store id (-1 none) of every use, in order */
    int seq_len, seq_cap, seq_at;
    int *pending;             /* ids whose last use has come: freed at the next event */
    int pending_len, pending_cap;
    sg_arena_mark plan_mark;  /* arena fill level before the dry run */
    uint64_t plan_random_id;  /* random_id before the dry run */
};

sg_graph *sg_graph_new(void)
{
    sg_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->arena = sg_arena_new(1 << 20);
    if (!g->arena) {
        free(g);
        return NULL;
    }
    g->grad_enabled = true;
    g->training = true;
    g->free_dead = true;
    return g;
}

void sg_graph_free(sg_graph *g)
{
    if (!g) return;
    sg_graph_reset(g);
    sg_arena_free(g->arena);
    free(g->tape);
    free(g->free_grads);
    free(g->retained);
    free(g->store);
    free(g->live);
    free(g->seq);
    free(g->pending);
    free(g);
}

/* Tensors created outside the arena (parameters are skipped: their grad is
 * theirs) may have been given an arena gradient; forget it before the arena
 * memory is reused. */
static void forget_arena_grad(sg_tensor *t)
{
    if (t && !t->is_param) t->grad = NULL;
}

void sg_graph_reset(sg_graph *g)
{
    for (int i = 0; i < g->tape_len; i++) {
        sg_node *n = g->tape[i];
        for (int k = 0; k < n->n_in; k++) forget_arena_grad(n->in[k]);
        forget_arena_grad(n->out);
    }
    for (int i = 0; i < g->retained_len; i++) forget_arena_grad(g->retained[i]);
    g->tape_len = 0;
    g->free_len = 0;
    g->retained_len = 0;
    g->plan = PLAN_OFF;
    g->live_len = g->pending_len = 0;
    g->random_id = 0;
    g->err = SG_OK;
    g->err_msg[0] = '\0';
    sg_arena_reset(g->arena);
}

void sg_graph_set_grad_enabled(sg_graph *g, bool enabled) { g->grad_enabled = enabled; }
bool sg_graph_grad_enabled(const sg_graph *g) { return g->grad_enabled; }
void sg_graph_set_training(sg_graph *g, bool training) { g->training = training; }

void sg_graph_set_backward_hook(sg_graph *g, sg_backward_hook fn, void *ctx)
{
    g->hook = fn;
    g->hook_ctx = ctx;
}
bool sg_graph_training(const sg_graph *g) { return g->training; }

void sg_graph_set_seed(sg_graph *g, uint64_t seed, uint64_t step)
{
    g->seed = seed;
    g->step = step;
    g->random_id = 0;
}
uint64_t sg_graph_seed(const sg_graph *g) { return g->seed; }
uint64_t sg_graph_step(const sg_graph *g) { return g->step; }
uint64_t sg_graph_next_random_id(sg_graph *g) { return g->random_id++; }

sg_err sg_graph_error(const sg_graph *g) { return g->err; }
const char *sg_graph_error_message(const sg_graph *g) { return g->err_msg; }

sg_err sg_graph_fail(sg_graph *g, sg_err code, const char *fmt, ...)
{
    if (g->err == SG_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->err_msg, sizeof g->err_msg, fmt, ap);
        va_end(ap);
        g->err = code;
    }
    sg_error_set(g->err, "%s", g->err_msg);
    return g->err;
}


/* --- inference memory plan -------------------------------------------------
 * A no-grad forward runs twice (sg_graph_plan_begin): a dry run whose ops
 * allocate their outputs (a 64-byte stand-in each) and compute nothing, which
 * numbers the tensors in creation order and counts the uses of each (every
 * sg_graph_inputs_ok and sg_graph_record names what an op reads); then the
 * real run, where each tensor's data is freed once its last use has come
 * (at the next use event: the op that used it has finished by then) and its
 * bytes go to the free list that gradients use in backward (best fit, merged
 * neighbours, the top given back to the arena). Each use of the run is
 * checked against the dry run's, so a forward that does not repeat itself
 * fails loudly instead of reading freed memory. */

enum { DRY_BYTES = 64 };

#define PLAN_PUSH(g, arr, len, cap, value)                                              \
    do {                                                                                \
        if ((len) == (cap)) {                                                           \
            int cap_ = (cap) ? 2 * (cap) : 64;                                          \
            void *p_ = realloc((arr), (size_t)cap_ * sizeof *(arr));                    \
            if (!p_) {                                                                  \
                sg_graph_fail((g), SG_ERR_NOMEM, "out of memory: inference memory plan"); \
                break;                                                                  \
            }                                                                           \
            (arr) = p_;                                                                 \
            (cap) = cap_;                                                               \
        }                                                                               \
        (arr)[(len)++] = (value);                                                       \
    } while (0)

static size_t store_span(const sg_graph *g, const plan_store *s)
{
    return g->plan == PLAN_DRY ? DRY_BYTES : sg_arena_round(s->bytes);
}

/* The store whose live data holds `data`, or -1 (a parameter, caller memory,
 * a tensor made before the plan began). */
static int plan_find(const sg_graph *g, const float *data)
{
    uintptr_t a = (uintptr_t)data;
    for (int i = g->live_len - 1; i >= 0; i--) {
        const plan_store *s = &g->store[g->live[i]];
        if (a >= (uintptr_t)s->p && a < (uintptr_t)s->p + store_span(g, s)) return g->live[i];
    }
    return -1;
}

static void live_remove(sg_graph *g, int id)
{
    for (int i = 0; i < g->live_len; i++)
        if (g->live[i] == id) {
            g->live[i] = g->live[--g->live_len];
            return;
        }
}

static float *hole_alloc(sg_graph *g, size_t bytes, bool zero);
static void hole_release(sg_graph *g, void *block, size_t bytes);

static void plan_flush(sg_graph *g)
{
    for (int i = 0; i < g->pending_len; i++) {
        plan_store *s = &g->store[g->pending[i]];
        if (!s->p) continue;   /* already given back by a scratch release */
        hole_release(g, s->p, s->bytes);
        s->p = NULL;
        live_remove(g, g->pending[i]);
    }
    g->pending_len = 0;
}

static void plan_diverged(sg_graph *g, const char *what)
{
    sg_graph_fail(g, SG_ERR_INVALID, "inference memory plan: the forward did not repeat its dry "
                  "run (%s); sg_graph_set_free_dead(g, false) runs it without the plan", what);
}

/* An op reads t. */
static void plan_use(sg_graph *g, const sg_tensor *t)
{
    if (!t || g->err != SG_OK) return;
    int id = plan_find(g, t->data);
    if (g->plan == PLAN_DRY) {
        PLAN_PUSH(g, g->seq, g->seq_len, g->seq_cap, id);
        if (id >= 0) g->store[id].uses++;
        return;
    }
    if (g->seq_at >= g->seq_len || g->seq[g->seq_at] != id) {
        plan_diverged(g, "an op read another tensor");
        return;
    }
    g->seq_at++;
    if (id >= 0 && --g->store[id].uses == 0 && !g->store[id].keep)
        PLAN_PUSH(g, g->pending, g->pending_len, g->pending_cap, id);
}

/* An op starts (inputs_ok) or records (after its compute): the tensors whose
 * last use has come are dead now, then its uses are counted. */
static void plan_event(sg_graph *g, int n, sg_tensor *const *in)
{
    if (g->plan == PLAN_RUN) plan_flush(g);
    for (int i = 0; i < n; i++) plan_use(g, in[i]);
}

/* A new tensor's data during a plan: a stand-in in the dry run, a free block
 * or the arena top in the run. */
static float *plan_alloc(sg_graph *g, size_t bytes, bool zero)
{
    if (g->plan == PLAN_DRY) {
        unsigned char *p = sg_arena_alloc(g->arena, DRY_BYTES);
        if (!p) return NULL;
        plan_store s = {p, bytes, 0, false};
        int id = g->store_len;
        PLAN_PUSH(g, g->store, g->store_len, g->store_cap, s);
        PLAN_PUSH(g, g->live, g->live_len, g->live_cap, id);
        return (float *)(void *)p;
    }
    int id = g->run_len;
    if (id >= g->store_len || g->store[id].bytes != bytes) {
        plan_diverged(g, "another tensor was created");
        return NULL;
    }
    float *p = hole_alloc(g, bytes, zero);
    if (!p) return NULL;
    g->run_len++;
    g->store[id].p = (unsigned char *)p;
    PLAN_PUSH(g, g->live, g->live_len, g->live_cap, id);
    if (g->store[id].uses == 0 && !g->store[id].keep)
        PLAN_PUSH(g, g->pending, g->pending_len, g->pending_cap, id);
    return p;
}

void sg_graph_set_free_dead(sg_graph *g, bool on) { g->free_dead = on; }
bool sg_graph_free_dead(const sg_graph *g) { return g->free_dead; }
bool sg_graph_dry(const sg_graph *g) { return g->plan == PLAN_DRY; }

bool sg_graph_plan_begin(sg_graph *g)
{
    if (!g->free_dead || g->grad_enabled || g->training || g->plan != PLAN_OFF || g->err != SG_OK)
        return false;
    g->plan = PLAN_DRY;
    g->plan_mark = sg_arena_get_mark(g->arena);
    g->plan_random_id = g->random_id;
    g->store_len = g->live_len = g->seq_len = g->pending_len = 0;
    return true;
}

void sg_graph_plan_keep(sg_graph *g, const sg_tensor *t)
{
    if (g->plan != PLAN_DRY || !t) return;
    int id = plan_find(g, t->data);
    if (id >= 0) g->store[id].keep = true;
}

bool sg_graph_plan_run(sg_graph *g, const sg_tensor *out)
{
    if (g->plan != PLAN_DRY) return false;
    sg_graph_plan_keep(g, out);
    /* Drop the dry run's headers and stand-ins; random ops see the same ids again. */
    sg_arena_release(g->arena, g->plan_mark);
    g->random_id = g->plan_random_id;
    if (g->err != SG_OK) {
        g->plan = PLAN_OFF;
        return false;
    }
    for (int i = 0; i < g->store_len; i++) g->store[i].p = NULL;
    g->live_len = g->pending_len = g->run_len = g->seq_at = 0;
    g->plan = PLAN_RUN;
    return true;
}

void sg_graph_plan_end(sg_graph *g)
{
    if (g->plan == PLAN_RUN) {
        plan_flush(g);
        if (g->err == SG_OK && (g->run_len != g->store_len || g->seq_at != g->seq_len))
            plan_diverged(g, "it stopped early");
    }
    g->plan = PLAN_OFF;
    g->live_len = g->pending_len = 0;
}

/* After a scratch release: stores and free blocks above the new fill level
 * are gone with the scratch. */
static void plan_scratch_released(sg_graph *g)
{
    for (int i = g->live_len - 1; i >= 0; i--) {
        plan_store *s = &g->store[g->live[i]];
        if (sg_arena_held_bytes(g->arena, s->p, 1) == 0) {
            s->p = NULL;
            g->live[i] = g->live[--g->live_len];
        }
    }
    int k = 0;
    for (int i = 0; i < g->free_len; i++) {
        free_block b = g->free_grads[i];
        b.bytes = sg_arena_held_bytes(g->arena, b.p, b.bytes);
        if (b.bytes) g->free_grads[k++] = b;
    }
    g->free_len = k;
}

bool sg_graph_inputs_ok(sg_graph *g, const char *op, int n, sg_tensor *const *in)
{
    if (g->err != SG_OK) return false;
    for (int i = 0; i < n; i++)
        if (!in[i]) {
            sg_graph_fail(g, SG_ERR_INVALID, "%s: input %d is NULL", op, i);
            return false;
        }
    if (g->plan != PLAN_OFF) plan_event(g, n, in);
    return g->err == SG_OK;
}

void *sg_graph_alloc(sg_graph *g, size_t bytes)
{
    void *p = sg_arena_calloc(g->arena, bytes);
    if (!p) sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: step arena could not grow by %zu bytes", bytes);
    return p;
}

sg_arena_mark sg_graph_scratch_mark(sg_graph *g) { return sg_arena_get_mark(g->arena); }
void sg_graph_scratch_release(sg_graph *g, sg_arena_mark mark)
{
    sg_arena_release(g->arena, mark);
    if (g->plan != PLAN_OFF) plan_scratch_released(g);
}
sg_arena *sg_graph_arena(sg_graph *g) { return g->arena; }

static sg_tensor *new_tensor(sg_graph *g, int ndim, const int64_t *shape, bool zero)
{
    if (g->err != SG_OK) return NULL;
    int64_t n = ndim >= 0 && ndim <= SG_MAX_DIMS ? sg_shape_numel(ndim, shape) : -1;
    if (n < 0) {
        sg_graph_fail(g, SG_ERR_SHAPE, "tensor: invalid shape (ndim %d)", ndim);
        return NULL;
    }
    sg_tensor *t = sg_arena_alloc(g->arena, sizeof *t);
    size_t bytes = (size_t)n * sizeof(float);
    float *data = !t                    ? NULL
                  : g->plan != PLAN_OFF ? plan_alloc(g, bytes, zero)
                  : (zero ? sg_arena_calloc : sg_arena_alloc)(g->arena, bytes);
    if (!data) {
        if (g->err != SG_OK) return NULL;
        sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: tensor of %lld floats", (long long)n);
        return NULL;
    }
    sg_tensor_view(t, data, ndim, shape);
    return t;
}

sg_tensor *sg_graph_tensor(sg_graph *g, int ndim, const int64_t *shape)
{
    return new_tensor(g, ndim, shape, false);
}

sg_tensor *sg_graph_zeros(sg_graph *g, int ndim, const int64_t *shape)
{
    return new_tensor(g, ndim, shape, true);
}

sg_tensor *sg_graph_tensor_from(sg_graph *g, int ndim, const int64_t *shape, const float *data)
{
    sg_tensor *t = new_tensor(g, ndim, shape, false);
    if (t && t->numel && g->plan != PLAN_DRY) memcpy(t->data, data, (size_t)t->numel * sizeof(float));
    return t;
}

sg_tensor *sg_graph_view(sg_graph *g, float *data, int ndim, const int64_t *shape)
{
    if (g->err != SG_OK) return NULL;
    sg_tensor *t = sg_arena_alloc(g->arena, sizeof *t);
    if (!t) {
        sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: tensor header");
        return NULL;
    }
    if (!sg_tensor_view(t, data, ndim, shape)) {
        sg_graph_fail(g, SG_ERR_SHAPE, "view: invalid shape (ndim %d)", ndim);
        return NULL;
    }
    return t;
}

sg_node *sg_graph_record(sg_graph *g, const char *op, sg_tensor *out, int n_in,
                         sg_tensor *const *in, sg_backward_fn backward, size_t ctx_bytes)
{
    if (g->plan != PLAN_OFF && g->err == SG_OK) plan_event(g, n_in, in);
    if (g->err != SG_OK || !g->grad_enabled) return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++) any |= in[i] && in[i]->requires_grad;
    if (!any) return NULL;
    if (n_in > SG_NODE_MAX_INPUTS) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: %d inputs, at most %d can be recorded", op, n_in,
                      SG_NODE_MAX_INPUTS);
        return NULL;
    }
    if (g->tape_len == g->tape_cap) {
        int cap = g->tape_cap ? g->tape_cap * 2 : 256;
        sg_node **tape = realloc(g->tape, (size_t)cap * sizeof *tape);
        if (!tape) {
            sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: tape of %d nodes", cap);
            return NULL;
        }
        g->tape = tape;
        g->tape_cap = cap;
    }
    sg_node *node = sg_graph_alloc(g, sizeof *node);
    void *ctx = ctx_bytes ? sg_graph_alloc(g, ctx_bytes) : NULL;
    if (!node || (ctx_bytes && !ctx)) return NULL;
    node->op = op;
    node->backward = backward;
    node->out = out;
    node->n_in = n_in;
    for (int i = 0; i < n_in; i++) node->in[i] = in[i];
    node->ctx = ctx;
    out->requires_grad = true;
    g->tape[g->tape_len++] = node;
    return node;
}

/* Gradient memory during backward. An intermediate's gradient is dead once
 * the node that produced it has run its backward (every consumer comes later
 * on the tape, so it has already accumulated into it); backward gives it back
 * here and later gradients reuse it. Free blocks are kept sorted by address
 * with neighbours merged; a request takes the smallest block that fits (best
 * fit) and splits it; a block that ends at the arena's fill level goes back to
 * the arena itself. Gradients of the walk are roughly a moving frontier, so
 * the backward pass needs a few gradient-sized blocks instead of one per
 * activation. */
static float *hole_alloc(sg_graph *g, size_t bytes, bool zero)
{
    size_t need = sg_arena_round(bytes);
    int best = -1;
    for (int i = 0; i < g->free_len; i++)
        if (g->free_grads[i].bytes >= need &&
            (best < 0 || g->free_grads[i].bytes < g->free_grads[best].bytes))
            best = i;
    if (best < 0) {
        float *q = sg_arena_alloc(g->arena, bytes);
        if (q && zero) sg_parallel_zero(q, (int64_t)(bytes / sizeof(float)));
        return q;
    }
    free_block *b = &g->free_grads[best];
    float *p = (float *)(void *)b->p;
    b->p += need;
    b->bytes -= need;
    if (b->bytes == 0) {
        memmove(b, b + 1, (size_t)(g->free_len - best - 1) * sizeof *b);
        g->free_len--;
    }
    if (zero) sg_parallel_zero(p, (int64_t)(bytes / sizeof(float)));
    return p;
}

static void hole_release(sg_graph *g, void *block, size_t bytes)
{
    unsigned char *p = block;
    size_t n = sg_arena_round(bytes);
    int k = 0;
    while (k < g->free_len && (uintptr_t)g->free_grads[k].p < (uintptr_t)p) k++;
    bool join_prev = k > 0 && g->free_grads[k - 1].p + g->free_grads[k - 1].bytes == p;
    bool join_next = k < g->free_len && p + n == g->free_grads[k].p;
    free_block *b;
    if (join_prev) {
        b = &g->free_grads[k - 1];
        b->bytes += n;
        if (join_next) {
            b->bytes += g->free_grads[k].bytes;
            memmove(&g->free_grads[k], &g->free_grads[k + 1],
                    (size_t)(g->free_len - k - 1) * sizeof *b);
            g->free_len--;
        }
    } else if (join_next) {
        b = &g->free_grads[k];
        b->p = p;
        b->bytes += n;
    } else {
        if (g->free_len == g->free_cap) {
            int cap = g->free_cap ? g->free_cap * 2 : 64;
            free_block *f = realloc(g->free_grads, (size_t)cap * sizeof *f);
            if (!f) return;   /* the block stays unused until reset: correct, just bigger */
            g->free_grads = f;
            g->free_cap = cap;
        }
        memmove(&g->free_grads[k + 1], &g->free_grads[k], (size_t)(g->free_len - k) * sizeof *b);
        g->free_len++;
        b = &g->free_grads[k];
        b->p = p;
        b->bytes = n;
    }
    if (sg_arena_give_back_top(g->arena, b->p, b->bytes)) {
        int i = (int)(b - g->free_grads);
        memmove(b, b + 1, (size_t)(g->free_len - i - 1) * sizeof *b);
        g->free_len--;
    }
}

static size_t grad_bytes(const sg_tensor *t)
{
    return (size_t)(t->numel ? t->numel : 1) * sizeof(float);
}

float *sg_graph_grad_of(sg_graph *g, sg_tensor *t)
{
    if (!t->grad) {
        t->grad = hole_alloc(g, grad_bytes(t), true);
        if (!t->grad) sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: gradient of %lld floats",
                                    (long long)t->numel);
    }
    return t->grad;
}

float *sg_node_grad(sg_graph *g, sg_node *node, int i)
{
    sg_tensor *t = node->in[i];
    if (!t || !t->requires_grad) return NULL;
    return sg_graph_grad_of(g, t);
}

void sg_graph_retain_grad(sg_graph *g, sg_tensor *t)
{
    if (!t || g->err != SG_OK) return;
    t->requires_grad = true;
    t->retain_grad = true;
    if (g->retained_len == g->retained_cap) {
        int cap = g->retained_cap ? g->retained_cap * 2 : 16;
        sg_tensor **r = realloc(g->retained, (size_t)cap * sizeof *r);
        if (!r) {
            sg_graph_fail(g, SG_ERR_NOMEM, "out of memory: retain_grad list");
            return;
        }
        g->retained = r;
        g->retained_cap = cap;
    }
    g->retained[g->retained_len++] = t;
}

static void zero_if_not_param(sg_tensor *t)
{
    if (t && !t->is_param && t->grad) memset(t->grad, 0, (size_t)t->numel * sizeof(float));
}

sg_err sg_graph_backward_from(sg_graph *g, sg_tensor *out, const float *seed)
{
    if (g->err != SG_OK) return g->err;
    if (!out) return sg_graph_fail(g, SG_ERR_INVALID, "backward: output is NULL");
    if (!out->requires_grad)
        return sg_graph_fail(g, SG_ERR_INVALID,
                             "backward: the output does not depend on anything that requires grad");
    /* A second backward over the same tape (retain_graph in PyTorch terms)
     * starts intermediate gradients from zero; parameters keep accumulating. */
    for (int i = 0; i < g->tape_len; i++) {
        sg_node *n = g->tape[i];
        for (int k = 0; k < n->n_in; k++) zero_if_not_param(n->in[k]);
        zero_if_not_param(n->out);
    }
    float *d = sg_graph_grad_of(g, out);
    if (!d) return g->err;
    for (int64_t i = 0; i < out->numel; i++) d[i] += seed[i];
    for (int i = g->tape_len - 1; i >= 0 && g->err == SG_OK; i--) {
        sg_node *n = g->tape[i];
        if (!n->out->grad) continue;
        /* Create the input gradients before the op's backward runs, so a
         * backward that takes and releases arena scratch never frees them. */
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] && n->in[k]->requires_grad && !sg_graph_grad_of(g, n->in[k])) return g->err;
        n->backward(g, n);
        if (g->hook) g->hook(g->hook_ctx, i);     /* data parallelism: train/train.c */
        /* n produced n->out, so every consumer of it has run: its gradient is
         * dead unless someone reads it afterwards (the root, a parameter, a
         * tensor asked for with sg_graph_retain_grad). */
        sg_tensor *o = n->out;
        if (o != out && !o->is_param && !o->retain_grad && o->grad) {
            hole_release(g, o->grad, grad_bytes(o));
            o->grad = NULL;
        }
    }
    return g->err;
}

sg_err sg_graph_backward(sg_graph *g, sg_tensor *loss)
{
    if (g->err != SG_OK) return g->err;
    if (!loss) return sg_graph_fail(g, SG_ERR_INVALID, "backward: loss is NULL");
    if (loss->numel != 1) {
        char s[96];
        return sg_graph_fail(g, SG_ERR_SHAPE, "backward: loss must have one element, got shape %s",
                             sg_shape_str(loss, s, sizeof s));
    }
    const float one = 1.0f;
    return sg_graph_backward_from(g, loss, &one);
}

int sg_graph_tape_length(const sg_graph *g) { return g->tape_len; }
const sg_node *sg_graph_tape_node(const sg_graph *g, int i) { return g->tape[i]; }
size_t sg_graph_peak_bytes(const sg_graph *g) { return sg_arena_peak(g->arena); }

/* --- taps: named intermediate tensors ------------------------------------ */

sg_err sg_graph_set_tap(sg_graph *g, const char *name, sg_tensor **out, bool retain_grad)
{
    if (!name || !out || strlen(name) >= sizeof g->taps[0].name)
        return sg_error_set(SG_ERR_INVALID, "tap: a name of 1..%zu characters and an output "
                            "pointer are required", sizeof g->taps[0].name - 1);
    if (g->n_taps == SG_GRAPH_MAX_TAPS)
        return sg_error_set(SG_ERR_INVALID, "tap '%s': at most %d taps per graph", name,
                            SG_GRAPH_MAX_TAPS);
    strcpy(g->taps[g->n_taps].name, name);
    g->taps[g->n_taps].out = out;
    g->taps[g->n_taps].retain_grad = retain_grad;
    g->n_taps++;
    *out = NULL;
    return SG_OK;
}

void sg_graph_clear_taps(sg_graph *g) { g->n_taps = 0; }

void sg_graph_list_marks(sg_graph *g, char *buf, size_t cap)
{
    g->mark_list = cap ? buf : NULL;
    g->mark_list_cap = cap;
    if (g->mark_list) buf[0] = '\0';
}

static void mark_list_add(sg_graph *g, const char *name)
{
    char *l = g->mark_list;
    size_t len = strlen(l), cap = g->mark_list_cap;
    if (len >= 3 && strcmp(l + len - 3, "...") == 0) return;
    if (len + strlen(name) + 2 + 5 >= cap) {
        snprintf(l + len, cap - len, "%s...", len ? ", " : "");
        return;
    }
    snprintf(l + len, cap - len, "%s%s", len ? ", " : "", name);
}

sg_tensor *sg_graph_mark(sg_graph *g, const char *name, sg_tensor *x)
{
    if (g->n_taps == 0 && !g->mark_list) return x;
    if (g->mark_list && g->plan != PLAN_DRY) mark_list_add(g, name);
    for (int i = 0; i < g->n_taps; i++)
        if (strcmp(g->taps[i].name, name) == 0) {
            *g->taps[i].out = x;
            sg_graph_plan_keep(g, x);   /* a tapped tensor outlives the forward */
            if (x && g->taps[i].retain_grad && g->grad_enabled) sg_graph_retain_grad(g, x);
        }
    return x;
}

sg_tensor *sg_graph_markf(sg_graph *g, sg_tensor *x, const char *fmt, ...)
{
    if (g->n_taps == 0 && !g->mark_list) return x;
    char name[sizeof g->taps[0].name];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return sg_graph_mark(g, name, x);
}

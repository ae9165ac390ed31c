/* layers/dropout.c - inverted dropout.
 *
 * Training:  y = x * m / (1 - p),  m ~ Bernoulli(1 - p) per element
 * Eval:      y = x
 * The 1 / (1 - p) scale keeps E[y] = x, so eval needs no rescaling.
 * dL/dx = dL/dy * m / (1 - p): the same mask, the same scale.
 * Matches torch.nn.functional.dropout
 * (https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html) in
 * distribution; the mask itself comes from our own generator.
 *
 * The mask: element i of the c-th dropout call of a step is kept when
 *     uniform(key = (seed, SG_RNG_DROPOUT, step), index = c * 2^40 + i) >= p.
 * It depends on nothing else (not on threads, not on scheduling), so the
 * backward recomputes it instead of storing it: no memory per element. */
#include "layers/dropout.h"

#include <math.h>
#include <stdio.h>

#include "core/pool.h"
#include "core/rng.h"

#define DROPOUT_CALL_SHIFT 40   /* elements per call index: 2^40 */
#define DROPOUT_GRAIN 16384     /* elements per work chunk (a multiple of 4) */
#define DROPOUT_BLOCKS 64       /* Philox blocks drawn at once (4 words each) */

typedef struct dropout_ctx {
    sg_rng_key key;
    uint64_t call;
    float p, scale;
} dropout_ctx;

/* A word's uniform draw (sg_rng_uniform: (float)(word >> 8) * 2^-24) is >= p
 * exactly when (word >> 8) >= keep_threshold(p): the draw is m * 2^-24 exactly
 * for the integer m = word >> 8, and p * 2^24 is exact, so the comparison is
 * m >= ceil(p * 2^24) (an integer compare that vectorises). */
static uint32_t keep_threshold(float p) { return (uint32_t)ceilf(p * 16777216.0f); }

bool sg_dropout_keep(uint64_t seed, uint64_t step, uint64_t call, int64_t index, float p)
{
    sg_rng_key key = {seed, SG_RNG_DROPOUT, step};
    return sg_rng_uniform(key, (call << DROPOUT_CALL_SHIFT) + (uint64_t)index) >= p;
}

typedef struct dropout_work {
    const dropout_ctx *c;
    const float *in;    /* x (forward) or dy (backward) */
    float *out;         /* y (written) or dx (accumulated) */
    bool accumulate;
} dropout_work;

/* out[i] (+)= in[i] * mask[i] * scale over [i0, i1) (i0 a multiple of 4).
 * Philox block b gives the words of elements 4b .. 4b+3, exactly as
 * sg_rng_uniform would; DROPOUT_BLOCKS of them are drawn at once. */
static void dropout_apply(void *arg, int64_t i0, int64_t i1)
{
    dropout_work *k = arg;
    const dropout_ctx *c = k->c;
    const uint64_t base = c->call << DROPOUT_CALL_SHIFT;
    const uint32_t threshold = keep_threshold(c->p);
    uint32_t w[4 * DROPOUT_BLOCKS];
    for (int64_t b0 = i0; b0 < i1; b0 += 4 * DROPOUT_BLOCKS) {
        const int64_t blocks = (i1 - b0 + 3) / 4, nb = blocks < DROPOUT_BLOCKS ? blocks : DROPOUT_BLOCKS;
        const int64_t n = i1 - b0 < 4 * nb ? i1 - b0 : 4 * nb;
        sg_rng_blocks(c->key, (base + (uint64_t)b0) >> 2, nb, w);
        const float *in = k->in + b0;
        float *out = k->out + b0;
        if (k->accumulate)
            for (int64_t j = 0; j < n; j++) out[j] += (w[j] >> 8) >= threshold ? in[j] * c->scale : 0.0f;
        else
            for (int64_t j = 0; j < n; j++) out[j] = (w[j] >> 8) >= threshold ? in[j] * c->scale : 0.0f;
    }
}

void sg_dropout_mask(uint64_t seed, uint64_t step, uint64_t call, int64_t index0, int64_t n, float p,
                     uint8_t *keep)
{
    const sg_rng_key key = {seed, SG_RNG_DROPOUT, step};
    const uint64_t first = (call << DROPOUT_CALL_SHIFT) + (uint64_t)index0;
    const uint32_t threshold = keep_threshold(p);
    uint32_t w[4 * DROPOUT_BLOCKS];
    for (int64_t i = 0; i < n;) {
        const uint64_t e = first + (uint64_t)i;   /* block e / 4 holds the words of e - e % 4 .. that + 3 */
        const int64_t skip = (int64_t)(e & 3), blocks = (skip + (n - i) + 3) / 4;
        const int64_t nb = blocks < DROPOUT_BLOCKS ? blocks : DROPOUT_BLOCKS;
        const int64_t m = 4 * nb - skip < n - i ? 4 * nb - skip : n - i;
        sg_rng_blocks(key, e >> 2, nb, w);
        for (int64_t j = 0; j < m; j++) keep[i + j] = (w[skip + j] >> 8) >= threshold;
        i += m;
    }
}

static void dropout_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    dropout_work k = {node->ctx, node->out->grad, dx, true};
    sg_parallel_for(node->out->numel, DROPOUT_GRAIN, dropout_apply, &k);
}

sg_tensor *sg_dropout(sg_graph *g, sg_tensor *x, float p)
{
    if (!sg_graph_inputs_ok(g, "dropout", 1, &x)) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        sg_graph_fail(g, SG_ERR_INVALID, "dropout: probability p = %g, expected 0 <= p < 1", (double)p);
        return NULL;
    }
    if (!sg_graph_training(g) || p == 0.0f) return x;
    if (x->numel >= ((int64_t)1 << DROPOUT_CALL_SHIFT)) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_LIMIT, "dropout: input %s has more than 2^%d elements",
                      sg_shape_str(x, sx, sizeof sx), DROPOUT_CALL_SHIFT);
        return NULL;
    }
    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    if (!y) return NULL;
    dropout_ctx c = {
        .key = {sg_graph_seed(g), SG_RNG_DROPOUT, sg_graph_step(g)},
        .call = sg_graph_next_random_id(g),
        .p = p,
        .scale = 1.0f / (1.0f - p),
    };
    dropout_work k = {&c, x->data, y->data, false};
    if (!sg_graph_dry(g)) sg_parallel_for(x->numel, DROPOUT_GRAIN, dropout_apply, &k);

    sg_node *node = sg_graph_record(g, "dropout", y, 1, &x, dropout_backward, sizeof c);
    if (node) *(dropout_ctx *)node->ctx = c;
    return sg_graph_error(g) ? NULL : y;
}

/* layers/reduce.c - sum, mean and max over a set of axes.
 *
 * One kernel walks every reduction. The input's dims are collapsed into
 * groups of adjacent dims that are all kept or all reduced (size-1 dims
 * dropped), e.g. a per-channel sum of [N, C, H, W] over (0, 2, 3) becomes
 * groups [N | C | H*W] = [reduced | kept | reduced]. Then:
 *   - the last group is reduced: each output element is one unit of work,
 *     reading runs of contiguous input (sum over a row, per-channel sums);
 *   - the last group is kept: a unit is a block of up to 256 neighbouring
 *     output elements, accumulated together while walking the reduced
 *     positions (column sums such as the bias gradient of a linear layer).
 * Either way each output element is accumulated by one thread, in double, in
 * a fixed order: contiguous runs in the canonical order of core/sum.h (16
 * lanes and a pairwise tree, the shape a SIMD twin reproduces), the runs and
 * the reduced positions of kept columns in the row-major order of the input.
 * So the result depends neither on the threads nor on the vector width.
 * The loops over a unit are the table's reduction kernels
 * (core/kernels/reduce_scalar.c states their order): reduce_max_runs,
 * reduce_sum_cols, reduce_max_cols, and for the gradients reduce_sum_backward
 * (through sg_broadcast_add) and reduce_max_backward. */
#include "layers/reduce.h"

#include <string.h>

#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/sum.h"
#include "layers/broadcast.h"

#define BLOCK 256                 /* output elements per unit when the last group is kept */
#define WORK_PER_CHUNK 32768      /* input elements read per parallel chunk, roughly */
#define PIECE_MIN 65536           /* a whole-tensor sum is cut in pieces of at least this */
#define PIECES_MAX 64

typedef enum reduce_kind { REDUCE_SUM, REDUCE_MAX } reduce_kind;

typedef struct reduce_plan {
    int m;                                   /* collapsed groups */
    int64_t size[SG_MAX_DIMS];
    int64_t stride[SG_MAX_DIMS];             /* input element stride of each group */
    bool reduced[SG_MAX_DIMS];
    int64_t n_dst, n_red;                    /* output elements; input elements per output */
} reduce_plan;

static void plan_init(reduce_plan *p, int ndim, const int64_t *shape, const bool *reduced)
{
    int64_t stride[SG_MAX_DIMS], s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= shape[d];
    }
    int m = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == 1) continue;
        if (m > 0 && p->reduced[m - 1] == reduced[d]) {
            p->size[m - 1] *= shape[d];
        } else {
            p->size[m] = shape[d];
            p->reduced[m] = reduced[d];
            m++;
        }
        p->stride[m - 1] = stride[d];        /* the innermost dim's stride */
    }
    if (m == 0) {                            /* a single element, kept */
        p->size[0] = 1;
        p->stride[0] = 1;
        p->reduced[0] = false;
        m = 1;
    }
    p->m = m;
    p->n_dst = p->n_red = 1;
    for (int i = 0; i < m; i++) *(p->reduced[i] ? &p->n_red : &p->n_dst) *= p->size[i];
}

/* An odometer over some of the groups: off is the input offset of the current position. */
typedef struct odometer {
    int n;
    int64_t size[SG_MAX_DIMS], stride[SG_MAX_DIMS], idx[SG_MAX_DIMS];
    int64_t off;
} odometer;

/* Groups [0, end) with reduced == want. */
static void odometer_init(odometer *o, const reduce_plan *p, int end, bool want)
{
    o->n = 0;
    o->off = 0;
    for (int i = 0; i < end; i++)
        if (p->reduced[i] == want) {
            o->size[o->n] = p->size[i];
            o->stride[o->n] = p->stride[i];
            o->idx[o->n] = 0;
            o->n++;
        }
}

static void odometer_next(odometer *o)
{
    for (int d = o->n - 1; d >= 0; d--) {
        o->off += o->stride[d];
        if (++o->idx[d] < o->size[d]) return;
        o->off -= o->stride[d] * o->size[d];
        o->idx[d] = 0;
    }
}

/* Input offset of the kept position number j (row-major over the odometer's groups). */
static int64_t odometer_offset_of(const odometer *o, int64_t j)
{
    int64_t off = 0;
    for (int d = o->n - 1; d >= 0; d--) {
        off += (j % o->size[d]) * o->stride[d];
        j /= o->size[d];
    }
    return off;
}

typedef struct reduce_job {
    const reduce_plan *p;
    reduce_kind kind;
    const float *src;
    float *dst;            /* SUM: dst += scale * sum;  MAX: dst = max */
    int64_t *argmax;       /* MAX: input offset of the first maximum (may be NULL) */
    double scale;
    int64_t blocks;        /* last group kept: blocks of BLOCK per kept row */
    double *pieces;        /* whole-tensor sum: one partial sum per piece */
    int64_t piece;
} reduce_job;

/* The kernels' view of an odometer's groups (core/kernels/kernels.h: sg_reduce_walk). */
static sg_reduce_walk walk_of(const odometer *o)
{
    sg_reduce_walk w = {.n = o->n};
    for (int d = 0; d < o->n; d++) w.size[d] = o->size[d], w.stride[d] = o->stride[d];
    return w;
}
_Static_assert(SG_MAX_DIMS <= SG_REDUCE_WALK_DIMS, "a walk holds every group");

/* Units are output elements; the last group is reduced and contiguous. */
static void reduce_last_reduced(void *ctx, int64_t j0, int64_t j1)
{
    const reduce_job *J = ctx;
    const reduce_plan *p = J->p;
    const int64_t len = p->size[p->m - 1], outer = p->n_red / len;
    odometer kept, red;
    odometer_init(&kept, p, p->m, false);
    odometer_init(&red, p, p->m - 1, true);
    const sg_reduce_walk walk = walk_of(&red);
    for (int64_t j = j0; j < j1; j++) {
        const float *base = J->src + odometer_offset_of(&kept, j);
        if (J->kind == REDUCE_SUM) {
            odometer_init(&red, p, p->m - 1, true);
            double acc = 0;
            /* each contiguous run in the canonical order of core/sum.h */
            for (int64_t q = 0; q < outer; q++, odometer_next(&red)) acc += sg_sum_f32(base + red.off, len);
            J->dst[j] += (float)(acc * J->scale);
        } else {
            /* the first maximum over the runs in order: the table's reduce_max_runs */
            int64_t at;
            sg_kernels()->reduce_max_runs(&walk, base, len, &J->dst[j], &at);
            if (J->argmax) J->argmax[j] = (base - J->src) + at;
        }
    }
}

/* Units are blocks of up to BLOCK neighbouring outputs; the last group is kept. */
static void reduce_last_kept(void *ctx, int64_t u0, int64_t u1)
{
    const reduce_job *J = ctx;
    const reduce_plan *p = J->p;
    const int64_t len = p->size[p->m - 1];
    odometer kept, red;
    odometer_init(&kept, p, p->m - 1, false);
    odometer_init(&red, p, p->m, true);
    const sg_reduce_walk walk = walk_of(&red);
    const sg_kernel_table *k = sg_kernels();
    for (int64_t u = u0; u < u1; u++) {
        const int64_t row = u / J->blocks, i0 = (u % J->blocks) * BLOCK;
        const int64_t w = len - i0 < BLOCK ? len - i0 : BLOCK;
        const float *base = J->src + odometer_offset_of(&kept, row) + i0;
        float *dst = J->dst + row * len + i0;
        if (J->kind == REDUCE_SUM) {
            /* per column, the reduced positions in order, in double: the table's reduce_sum_cols */
            double acc[BLOCK] = {0};
            k->reduce_sum_cols(&walk, base, w, acc);
            for (int64_t i = 0; i < w; i++) dst[i] += (float)(acc[i] * J->scale);
        } else {
            int64_t at[BLOCK];
            k->reduce_max_cols(&walk, base, w, dst, at);
            if (J->argmax)
                for (int64_t i = 0; i < w; i++) J->argmax[row * len + i0 + i] = (base - J->src) + at[i];
        }
    }
}

/* A whole-tensor sum: piece k covers [k*piece, (k+1)*piece). */
static void reduce_pieces(void *ctx, int64_t k0, int64_t k1)
{
    const reduce_job *J = ctx;
    for (int64_t k = k0; k < k1; k++) {
        int64_t b = k * J->piece, e = b + J->piece < J->p->n_red ? b + J->piece : J->p->n_red;
        J->pieces[k] = sg_sum_f32(J->src + b, e - b);   /* the canonical order, core/sum.h */
    }
}

static int64_t grain_for(int64_t work_per_unit)
{
    int64_t g = work_per_unit > 0 ? WORK_PER_CHUNK / work_per_unit : WORK_PER_CHUNK;
    return g > 0 ? g : 1;
}

/* Run a planned reduction. MAX needs p->n_red >= 1. */
static void reduce_run(const reduce_plan *p, reduce_kind kind, const float *src, float *dst,
                       int64_t *argmax, double scale)
{
    reduce_job J = {.p = p, .kind = kind, .src = src, .dst = dst, .argmax = argmax, .scale = scale};
    if (p->n_dst == 0) return;
    if (p->n_red == 0) {    /* an empty sum is 0 (and an empty mean 0 * inf = NaN, as in torch) */
        for (int64_t j = 0; j < p->n_dst; j++) dst[j] += (float)(0.0 * scale);
        return;
    }
    if (kind == REDUCE_SUM && p->n_dst == 1 && p->n_red > PIECE_MIN) {
        /* Everything reduced into one value: cut into pieces fixed by the size. */
        double pieces[PIECES_MAX];
        int64_t piece = (p->n_red + PIECES_MAX - 1) / PIECES_MAX;
        J.piece = piece > PIECE_MIN ? piece : PIECE_MIN;
        J.pieces = pieces;
        int64_t n = sg_parallel_chunks(p->n_red, J.piece);
        sg_parallel_for(n, 1, reduce_pieces, &J);
        double acc = 0;
        for (int64_t k = 0; k < n; k++) acc += pieces[k];
        dst[0] += (float)(acc * scale);
        return;
    }
    if (p->reduced[p->m - 1]) {
        sg_parallel_for(p->n_dst, grain_for(p->n_red), reduce_last_reduced, &J);
    } else {
        const int64_t len = p->size[p->m - 1];
        J.blocks = (len + BLOCK - 1) / BLOCK;
        int64_t units = p->n_dst / len * J.blocks;
        const int64_t width = len < BLOCK ? len : BLOCK;
        sg_parallel_for(units, grain_for(p->n_red * width), reduce_last_kept, &J);
    }
}

void sg_reduce_sum_to(float *dst, int dst_ndim, const int64_t *dst_shape, const float *src,
                      int src_ndim, const int64_t *src_shape, double scale)
{
    bool reduced[SG_MAX_DIMS];
    for (int d = 0; d < src_ndim; d++) {
        int k = d - (src_ndim - dst_ndim);
        int64_t e = k >= 0 ? dst_shape[k] : 1;
        reduced[d] = e == 1 && src_shape[d] != 1;
    }
    reduce_plan p;
    plan_init(&p, src_ndim, src_shape, reduced);
    reduce_run(&p, REDUCE_SUM, src, dst, NULL, scale);
}

/* ---- the ops ---------------------------------------------------------------- */

/* Saved for backward: the output's shape with the reduced axes kept as 1. */
typedef struct reduce_ctx {
    int64_t keep_shape[SG_MAX_DIMS];
    double scale;             /* sum: 1, mean: 1 / count */
    int64_t n;                /* max: output elements */
    int64_t argmax[];         /* max: input offset of each output's maximum */
} reduce_ctx;

/* Check the axes and fill reduced[] and the output shapes. */
static bool reduce_shapes(sg_graph *g, const char *op, const sg_tensor *x, int n_axes,
                          const int *axes, bool keepdim, bool *reduced, int64_t *keep_shape,
                          int *out_ndim, int64_t *out_shape)
{
    char s[96];
    int nd = x->ndim;
    if (n_axes < 0 || n_axes > SG_MAX_DIMS || (n_axes > 0 && !axes)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: %d axes given (axes %s), expected 0..%d", op,
                      n_axes, axes ? "set" : "NULL", SG_MAX_DIMS);
        return false;
    }
    for (int d = 0; d < SG_MAX_DIMS; d++) reduced[d] = n_axes == 0 && d < nd;
    for (int i = 0; i < n_axes; i++) {
        /* like PyTorch, a scalar accepts axis 0 or -1 (and reduces nothing) */
        int lim = nd > 0 ? nd : 1, a = axes[i] < 0 ? axes[i] + lim : axes[i];
        if (a < 0 || a >= lim) {
            sg_graph_fail(g, SG_ERR_SHAPE,
                          "%s: axis %d is out of range for input %s (expected %d..%d)", op, axes[i],
                          sg_shape_str(x, s, sizeof s), -lim, lim - 1);
            return false;
        }
        if (nd == 0) continue;
        if (reduced[a]) {
            sg_graph_fail(g, SG_ERR_INVALID, "%s: axis %d appears twice in the axes of %s", op, a,
                          sg_shape_str(x, s, sizeof s));
            return false;
        }
        reduced[a] = true;
    }
    *out_ndim = 0;
    for (int d = 0; d < nd; d++) {
        keep_shape[d] = reduced[d] ? 1 : x->shape[d];
        if (keepdim || !reduced[d]) out_shape[(*out_ndim)++] = keep_shape[d];
    }
    return true;
}

/* y = sum_{reduced axes} x   (mean: scaled by 1/count).
 * dL/dx[i] = dL/dy[j(i)] * scale, where j(i) is the output element x[i] was
 * summed into: the upstream gradient broadcast back over the reduced axes.
 * Matches torch.sum / torch.mean
 * (https://pytorch.org/docs/stable/generated/torch.sum.html,
 *  https://pytorch.org/docs/stable/generated/torch.mean.html). */
static void sum_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const reduce_ctx *c = node->ctx;
    const sg_tensor *x = node->in[0];
    sg_broadcast_add(dx, x->ndim, x->shape, node->out->grad, x->ndim, c->keep_shape,
                     (float)c->scale);
}

static sg_tensor *sum_or_mean(sg_graph *g, const char *op, sg_tensor *x, int n_axes,
                              const int *axes, bool keepdim, bool mean)
{
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    bool reduced[SG_MAX_DIMS];
    int64_t keep_shape[SG_MAX_DIMS], out_shape[SG_MAX_DIMS];
    int out_ndim;
    if (!reduce_shapes(g, op, x, n_axes, axes, keepdim, reduced, keep_shape, &out_ndim, out_shape))
        return NULL;
    sg_tensor *y = sg_graph_zeros(g, out_ndim, out_shape);
    if (!y) return NULL;
    reduce_plan p;
    plan_init(&p, x->ndim, x->shape, reduced);
    double scale = mean ? 1.0 / (double)p.n_red : 1.0;
    if (!sg_graph_dry(g)) reduce_run(&p, REDUCE_SUM, x->data, y->data, NULL, scale);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, sum_backward, sizeof(reduce_ctx));
    if (node) {
        reduce_ctx *c = node->ctx;
        memcpy(c->keep_shape, keep_shape, sizeof keep_shape);
        c->scale = scale;
    }
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_sum(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return sum_or_mean(g, "sum", x, n_axes, axes, keepdim, false);
}

sg_tensor *sg_mean(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return sum_or_mean(g, "mean", x, n_axes, axes, keepdim, true);
}

sg_tensor *sg_sum_all(sg_graph *g, sg_tensor *x) { return sg_sum(g, x, 0, NULL, false); }
sg_tensor *sg_mean_all(sg_graph *g, sg_tensor *x) { return sg_mean(g, x, 0, NULL, false); }

/* y = max_{reduced axes} x.
 * dL/dx[i] = dL/dy[j] if i is the FIRST maximal element (row-major order of x)
 * of output j, else 0. This is the gradient of torch.max(x, dim) (values,
 * indices), which routes it to the one returned index; torch.amax instead
 * splits it evenly among tied maxima - the two agree whenever there is no tie.
 * NaN propagates: a NaN is the maximum (the first NaN gets the gradient).
 * Values match torch.amax (https://pytorch.org/docs/stable/generated/torch.amax.html). */
static void max_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const reduce_ctx *c = node->ctx;
    sg_kernels()->reduce_max_backward(dx, node->out->grad, c->argmax, c->n);
}

sg_tensor *sg_max(sg_graph *g, sg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    if (!sg_graph_inputs_ok(g, "max", 1, &x)) return NULL;
    bool reduced[SG_MAX_DIMS];
    int64_t keep_shape[SG_MAX_DIMS], out_shape[SG_MAX_DIMS];
    int out_ndim;
    if (!reduce_shapes(g, "max", x, n_axes, axes, keepdim, reduced, keep_shape, &out_ndim,
                       out_shape))
        return NULL;
    reduce_plan p;
    plan_init(&p, x->ndim, x->shape, reduced);
    if (p.n_red == 0) {
        char s[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "max: reducing an empty extent of input %s has no maximum",
                      sg_shape_str(x, s, sizeof s));
        return NULL;
    }
    sg_tensor *y = sg_graph_tensor(g, out_ndim, out_shape);
    if (!y) return NULL;
    /* Record first so the argmax is written straight into the node's context. */
    sg_node *node = sg_graph_record(g, "max", y, 1, &x, max_backward,
                                    sizeof(reduce_ctx) + (size_t)y->numel * sizeof(int64_t));
    if (sg_graph_error(g)) return NULL;
    int64_t *argmax = NULL;
    if (node) {
        reduce_ctx *c = node->ctx;
        c->n = y->numel;
        argmax = c->argmax;
    }
    if (!sg_graph_dry(g)) reduce_run(&p, REDUCE_MAX, x->data, y->data, argmax, 1.0);
    return y;
}

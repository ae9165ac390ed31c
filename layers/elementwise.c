/* layers/elementwise.c - add, sub, mul, div with broadcasting; scalar and
 * unary arithmetic (add/mul by a scalar, square, sqrt, exp, log, abs).
 *
 * Forward: the output is walked row by row with the collapsed broadcast plan
 * of layers/broadcast.h; every output element is computed on its own, so the
 * rows can be split over threads freely.
 *
 * Backward of a binary op, for each input k:
 *   - if input k has the output's shape, its gradient is elementwise;
 *   - if it was broadcast, the elementwise term (dy * b, dy / b, ...) is
 *     written to a scratch tensor of the output's shape and summed over the
 *     broadcast dims into the gradient (sg_reduce_sum_to: double accumulator,
 *     row-major order); add and sub sum dy itself, with no scratch. */
#include "layers/elementwise.h"

#include <math.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/mathf.h"
#include "core/pool.h"
#include "layers/broadcast.h"
#include "layers/reduce.h"

#define GRAIN 16384   /* elements per parallel chunk */

/* ---- binary ops ----------------------------------------------------------------- */

typedef enum binary_kind { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV } binary_kind;
static const char *const binary_name[] = {"add", "sub", "mul", "div"};

typedef struct binary_job {
    const sg_bcast_plan *p;
    binary_kind kind;
    const float *a, *b;
    float *y;
} binary_job;

/* Each row is one call of the kernel family ew_binary (core/kernels/ew_scalar.c
 * and its SIMD twins, the same bits): y[i] = a[i * inner0] op b[i * inner1]. */
static const sg_ew_op binary_op[] = {SG_EW_ADD, SG_EW_SUB, SG_EW_MUL, SG_EW_DIV};

static void binary_rows(void *ctx, int64_t r0, int64_t r1)
{
    const binary_job *J = ctx;
    const sg_bcast_plan *p = J->p;
    const int64_t len = p->len, ia = p->inner[0], ib = p->inner[1];
    const sg_ew_binary_fn kernel = sg_kernels()->ew_binary;
    sg_bcast_cursor c;
    sg_bcast_seek(p, &c, r0);
    for (int64_t r = r0; r < r1; r++, sg_bcast_next(p, &c))
        kernel(binary_op[J->kind], J->a + c.off[0], ia, J->b + c.off[1], ib, J->y + r * len, len);
}

/* The elementwise gradient terms of mul and div (O = the operand below, y = a / b):
 * the kernel family ew_grad (core/kernels/kernels.h states each term), one call per row. */
typedef struct grad_job {
    const sg_bcast_plan *p;
    sg_ew_grad_op kind;
    int operand;            /* which input (0: a, 1: b) is the operand O */
    float *dst;             /* output-shaped: the gradient itself, or scratch */
    const float *dy, *y, *o;
} grad_job;

static void grad_rows(void *ctx, int64_t r0, int64_t r1)
{
    const grad_job *J = ctx;
    const sg_bcast_plan *p = J->p;
    const int64_t len = p->len, io = p->inner[J->operand];
    const sg_ew_grad_fn kernel = sg_kernels()->ew_grad;
    sg_bcast_cursor c;
    sg_bcast_seek(p, &c, r0);
    for (int64_t r = r0; r < r1; r++, sg_bcast_next(p, &c))
        kernel(J->kind, J->dy + r * len, J->y + r * len, J->o + c.off[J->operand], io, J->dst + r * len, len);
}

/* y = a op b with broadcasting. The gradient, term by term:
 *   add: dL/da = dy,        dL/db = dy
 *   sub: dL/da = dy,        dL/db = -dy
 *   mul: dL/da = dy * b,    dL/db = dy * a
 *   div: dL/da = dy / b,    dL/db = -dy * a / b^2   (computed as -dy * ((a / b) / b), as torch does)
 * each then summed over the dims along which that input was broadcast.
 * Matches torch.add / sub / mul / div
 * (https://pytorch.org/docs/stable/generated/torch.add.html,
 *  https://pytorch.org/docs/stable/notes/broadcasting.html). */
static void binary_backward(sg_graph *g, sg_node *node)
{
    const binary_kind kind = *(const binary_kind *)node->ctx;
    const sg_tensor *out = node->out;
    float *grad[2] = {sg_node_grad(g, node, 0), sg_node_grad(g, node, 1)};
    if (sg_graph_error(g) || out->numel == 0) return;   /* an empty output passes nothing back */
    sg_bcast_plan p;
    sg_bcast_plan_init(&p, out->ndim, out->shape, node->in[0]->ndim, node->in[0]->shape,
                       node->in[1]->ndim, node->in[1]->shape);
    for (int k = 0; k < 2; k++) {
        if (!grad[k]) continue;
        const sg_tensor *in = node->in[k];
        const bool broadcast = in->numel != out->numel;
        if (kind == BINARY_ADD || kind == BINARY_SUB) {
            const float sign = kind == BINARY_SUB && k == 1 ? -1.0f : 1.0f;
            if (broadcast)
                sg_reduce_sum_to(grad[k], in->ndim, in->shape, out->grad, out->ndim, out->shape, sign);
            else
                sg_broadcast_add(grad[k], out->ndim, out->shape, out->grad, out->ndim, out->shape,
                                 sign);
            continue;
        }
        grad_job J = {
            .p = &p,
            .kind = kind == BINARY_MUL ? SG_EW_GRAD_TIMES : k == 0 ? SG_EW_GRAD_OVER : SG_EW_GRAD_DIV_DENOM,
            .operand = kind == BINARY_MUL ? 1 - k : 1,
            .dst = grad[k],
            .dy = out->grad,
            .y = out->data,
            .o = node->in[kind == BINARY_MUL ? 1 - k : 1]->data,
        };
        if (!broadcast) {
            sg_parallel_for(p.rows, sg_bcast_row_grain(&p), grad_rows, &J);
            continue;
        }
        sg_arena_mark mark = sg_graph_scratch_mark(g);
        J.dst = sg_graph_alloc(g, (size_t)out->numel * sizeof(float));   /* zeroed */
        if (!J.dst) return;
        sg_parallel_for(p.rows, sg_bcast_row_grain(&p), grad_rows, &J);
        sg_reduce_sum_to(grad[k], in->ndim, in->shape, J.dst, out->ndim, out->shape, 1.0);
        sg_graph_scratch_release(g, mark);
    }
}

/* inplace: y overwrites a (a must already have y's shape); only for add and
 * sub, whose backward reads no values. */
static sg_tensor *binary(sg_graph *g, binary_kind kind, sg_tensor *a, sg_tensor *b, bool inplace)
{
    const char *op = binary_name[kind];
    sg_tensor *in[2] = {a, b};
    if (!sg_graph_inputs_ok(g, op, 2, in)) return NULL;
    int ndim;
    int64_t shape[SG_MAX_DIMS];
    if (!sg_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &ndim, shape)) {
        char sa[96], sb[96];
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "%s: shapes %s and %s do not broadcast (right-aligned dims must be equal or 1)",
                      op, sg_shape_str(a, sa, sizeof sa), sg_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    if (inplace && (ndim != a->ndim || memcmp(shape, a->shape, (size_t)ndim * sizeof *shape))) {
        char sa[96], sb[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "%s_inplace: the result (%s broadcast with %s) must have "
                      "the shape of the first input, which it overwrites", op,
                      sg_shape_str(a, sa, sizeof sa), sg_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    sg_tensor *y = inplace ? sg_graph_view(g, a->data, ndim, shape) : sg_graph_tensor(g, ndim, shape);
    if (!y) return NULL;
    sg_bcast_plan p;
    sg_bcast_plan_init(&p, ndim, shape, a->ndim, a->shape, b->ndim, b->shape);
    binary_job J = {&p, kind, a->data, b->data, y->data};
    sg_parallel_for(p.rows, sg_bcast_row_grain(&p), binary_rows, &J);
    sg_node *node = sg_graph_record(g, op, y, 2, in, binary_backward, sizeof(binary_kind));
    if (node) *(binary_kind *)node->ctx = kind;
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_add(sg_graph *g, sg_tensor *a, sg_tensor *b) { return binary(g, BINARY_ADD, a, b, false); }
sg_tensor *sg_sub(sg_graph *g, sg_tensor *a, sg_tensor *b) { return binary(g, BINARY_SUB, a, b, false); }
sg_tensor *sg_mul(sg_graph *g, sg_tensor *a, sg_tensor *b) { return binary(g, BINARY_MUL, a, b, false); }
sg_tensor *sg_div(sg_graph *g, sg_tensor *a, sg_tensor *b) { return binary(g, BINARY_DIV, a, b, false); }
sg_tensor *sg_add_inplace(sg_graph *g, sg_tensor *a, sg_tensor *b)
{
    return binary(g, BINARY_ADD, a, b, true);
}

/* ---- unary ops ------------------------------------------------------------------ */

typedef enum unary_kind {
    UNARY_ADD_SCALAR, UNARY_MUL_SCALAR, UNARY_SQUARE, UNARY_SQRT, UNARY_EXP, UNARY_LOG, UNARY_ABS
} unary_kind;
static const char *const unary_name[] = {"add_scalar", "mul_scalar", "square", "sqrt",
                                         "exp", "log", "abs"};

typedef struct unary_ctx {
    unary_kind kind;
    float s;               /* the scalar of add_scalar / mul_scalar */
} unary_ctx;

typedef struct unary_job {
    unary_ctx op;
    const float *x, *y, *dy;
    float *out;            /* forward: y; backward: dx (accumulated) */
} unary_job;

static void unary_forward_range(void *ctx, int64_t i0, int64_t i1)
{
    const unary_job *J = ctx;
    const float *x = J->x, s = J->op.s;
    float *y = J->out;
    switch (J->op.kind) {
    case UNARY_ADD_SCALAR: for (int64_t i = i0; i < i1; i++) y[i] = x[i] + s; break;
    case UNARY_MUL_SCALAR: for (int64_t i = i0; i < i1; i++) y[i] = x[i] * s; break;
    case UNARY_SQUARE: for (int64_t i = i0; i < i1; i++) y[i] = x[i] * x[i]; break;
    case UNARY_SQRT: for (int64_t i = i0; i < i1; i++) y[i] = sqrtf(x[i]); break;
    case UNARY_EXP: sg_kernels()->mathf(SG_MATHF_EXP, x + i0, y + i0, i1 - i0); break;
    case UNARY_LOG: for (int64_t i = i0; i < i1; i++) y[i] = sg_logf(x[i]); break;
    case UNARY_ABS: for (int64_t i = i0; i < i1; i++) y[i] = fabsf(x[i]); break;
    }
}

static void unary_backward_range(void *ctx, int64_t i0, int64_t i1)
{
    const unary_job *J = ctx;
    const float *x = J->x, *y = J->y, *dy = J->dy, s = J->op.s;
    float *dx = J->out;
    switch (J->op.kind) {
    case UNARY_ADD_SCALAR: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i]; break;
    case UNARY_MUL_SCALAR: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] * s; break;
    case UNARY_SQUARE: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] * (2.0f * x[i]); break;
    case UNARY_SQRT: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] / (2.0f * y[i]); break;
    case UNARY_EXP: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] * y[i]; break;
    case UNARY_LOG: for (int64_t i = i0; i < i1; i++) dx[i] += dy[i] / x[i]; break;
    case UNARY_ABS:
        for (int64_t i = i0; i < i1; i++)
            dx[i] += x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0.0f;
        break;
    }
}

/* y = f(x) elementwise. The gradient dL/dx = dy * f'(x):
 *   add_scalar  x + s      f' = 1
 *   mul_scalar  x * s      f' = s
 *   square      x^2        f' = 2x
 *   sqrt        sqrt(x)    f' = 1 / (2 y)
 *   exp         e^x        f' = y
 *   log         ln x       f' = 1 / x
 *   abs         |x|        f' = sign(x), 0 at x = 0 (as torch: grad * x.sgn())
 * Matches torch.add/mul with a Python scalar, torch.square, sqrt, exp, log, abs
 * (https://pytorch.org/docs/stable/generated/torch.abs.html and siblings). */
static void unary_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    unary_job J = {*(const unary_ctx *)node->ctx, node->in[0]->data, node->out->data,
                   node->out->grad, dx};
    sg_parallel_for(node->out->numel, GRAIN, unary_backward_range, &J);
}

static sg_tensor *unary(sg_graph *g, unary_kind kind, sg_tensor *x, float s)
{
    const char *op = unary_name[kind];
    if (!sg_graph_inputs_ok(g, op, 1, &x)) return NULL;
    sg_tensor *y = sg_graph_tensor(g, x->ndim, x->shape);
    if (!y) return NULL;
    unary_job J = {{kind, s}, x->data, NULL, NULL, y->data};
    sg_parallel_for(x->numel, GRAIN, unary_forward_range, &J);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, unary_backward, sizeof(unary_ctx));
    if (node) *(unary_ctx *)node->ctx = J.op;
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_add_scalar(sg_graph *g, sg_tensor *x, float s)
{
    return unary(g, UNARY_ADD_SCALAR, x, s);
}
sg_tensor *sg_mul_scalar(sg_graph *g, sg_tensor *x, float s)
{
    return unary(g, UNARY_MUL_SCALAR, x, s);
}
sg_tensor *sg_neg(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_MUL_SCALAR, x, -1.0f); }
sg_tensor *sg_square(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_SQUARE, x, 0.0f); }
sg_tensor *sg_sqrt(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_SQRT, x, 0.0f); }
sg_tensor *sg_exp(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_EXP, x, 0.0f); }
sg_tensor *sg_log(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_LOG, x, 0.0f); }
sg_tensor *sg_abs(sg_graph *g, sg_tensor *x) { return unary(g, UNARY_ABS, x, 0.0f); }

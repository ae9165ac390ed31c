/* layers/matmul.c - matrix products (2-D, batched with broadcasting,
 * transposed operands) and the fully connected layer, on sg_gemm.
 *
 * One op, "matmul", serves sg_matmul, sg_bmm and sg_matmul_t: C = op(A) op(B)
 * per batch matrix, where op(X) is X or X^T. For one matrix with C [M, N]:
 *
 *     C[i][j]  = sum_k op(A)[i][k] op(B)[k][j]
 *     d op(A)  = dC op(B)^T      (M x K)   -- dC[i][j] reaches every op(A)[i][k]
 *     d op(B)  = op(A)^T dC      (K x N)      with weight op(B)[k][j], and so on
 *
 * and when op(A) = A^T the gradient of A is the transpose of d op(A).
 * A batch matrix of an operand that is broadcast (a missing or size-1 batch
 * dim) is used by several output matrices; its gradient is the sum of their
 * contributions, added one output matrix after the other in increasing batch
 * order by the single thread that owns that operand matrix: bit-identical on
 * 1 or N threads. Matches torch.matmul
 * (https://pytorch.org/docs/stable/generated/torch.matmul.html) for inputs of
 * two or more dims. */
#include "layers/matmul.h"

#include <string.h>

#include "core/gemm.h"
#include "core/pool.h"

/* The batch layout of one product, worked out once by the shape rule and kept
 * in the node for backward. Matrix counts and strides are in whole matrices. */
typedef struct mm_plan {
    bool ta, tb;
    int64_t M, N, K;
    int64_t batch;                       /* output matrices */
    int bdim;                            /* output batch dims */
    int64_t out_batch[SG_MAX_DIMS];      /* their sizes */
    int64_t a_stride[SG_MAX_DIMS];       /* a's matrix index = sum coord * a_stride (0: broadcast) */
    int64_t b_stride[SG_MAX_DIMS];
    int64_t a_count, b_count;            /* matrices stored in a and in b */
} mm_plan;

/* Index of the a (which = 0) or b (which = 1) matrix used by output matrix o. */
static int64_t operand_matrix(const mm_plan *p, int which, int64_t o)
{
    const int64_t *stride = which ? p->b_stride : p->a_stride;
    int64_t idx = 0;
    for (int d = p->bdim - 1; d >= 0; d--) {
        int64_t c = o % p->out_batch[d];
        o /= p->out_batch[d];
        idx += c * stride[d];
    }
    return idx;
}

/* Shape rule. Fills the plan and the output shape, or fails naming both shapes. */
static bool mm_shape(sg_graph *g, const char *op, const sg_tensor *a, const sg_tensor *b, bool ta,
                     bool tb, mm_plan *p, int *out_ndim, int64_t *out_shape)
{
    char sa[96], sb[96];
    sg_shape_str(a, sa, sizeof sa);
    sg_shape_str(b, sb, sizeof sb);
    if (a->ndim < 2 || b->ndim < 2) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: a %s and b %s: both inputs need at least 2 dims", op,
                      sa, sb);
        return false;
    }
    int na = a->ndim, nb = b->ndim;
    memset(p, 0, sizeof *p);
    p->ta = ta;
    p->tb = tb;
    p->M = ta ? a->shape[na - 1] : a->shape[na - 2];
    int64_t ka = ta ? a->shape[na - 2] : a->shape[na - 1];
    int64_t kb = tb ? b->shape[nb - 1] : b->shape[nb - 2];
    p->N = tb ? b->shape[nb - 2] : b->shape[nb - 1];
    p->K = ka;
    if (ka != kb) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "%s: cannot multiply a %s%s by b %s%s: inner dimensions %lld and %lld differ",
                      op, sa, ta ? " (transposed)" : "", sb, tb ? " (transposed)" : "",
                      (long long)ka, (long long)kb);
        return false;
    }
    int bda = na - 2, bdb = nb - 2;
    p->bdim = bda > bdb ? bda : bdb;
    /* Right-align the batch dims; a missing dim counts as size 1. */
    int64_t sa_m = 1, sb_m = 1;   /* running contiguous strides, from the innermost batch dim */
    p->batch = 1;
    for (int d = p->bdim - 1; d >= 0; d--) {
        int ia = d - (p->bdim - bda), ib = d - (p->bdim - bdb);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            sg_graph_fail(g, SG_ERR_SHAPE,
                          "%s: batch dims of a %s and b %s do not broadcast (%lld vs %lld at batch "
                          "dim %d)",
                          op, sa, sb, (long long)da, (long long)db, d);
            return false;
        }
        p->out_batch[d] = da > db ? da : db;
        p->a_stride[d] = da == 1 ? 0 : sa_m;
        p->b_stride[d] = db == 1 ? 0 : sb_m;
        sa_m *= da;
        sb_m *= db;
        p->batch *= p->out_batch[d];
        out_shape[d] = p->out_batch[d];
    }
    p->a_count = sa_m;
    p->b_count = sb_m;
    out_shape[p->bdim] = p->M;
    out_shape[p->bdim + 1] = p->N;
    *out_ndim = p->bdim + 2;
    /* [B, T, D] x [D, E]: one b matrix and a full stack of a matrices stored
     * one after the other is a single [B*T, D] x [D, E] product. */
    if (p->batch > 1 && p->b_count == 1 && p->a_count == p->batch && !ta) {
        p->M *= p->batch;
        p->batch = p->a_count = 1;
        p->bdim = 0;
    }
    return true;
}

typedef struct mm_job {
    const mm_plan *p;
    const float *A, *B, *dC;
    float *C, *dA, *dB;
} mm_job;

/* Leading dimensions as stored: a is [M, K] or (ta) [K, M]; b is [K, N] or (tb) [N, K]. */
static int64_t lda_of(const mm_plan *p) { return p->ta ? p->M : p->K; }
static int64_t ldb_of(const mm_plan *p) { return p->tb ? p->K : p->N; }

static void mm_forward_range(void *arg, int64_t begin, int64_t end)
{
    const mm_job *j = arg;
    const mm_plan *p = j->p;
    for (int64_t o = begin; o < end; o++) {
        const float *A = j->A + operand_matrix(p, 0, o) * p->M * p->K;
        const float *B = j->B + operand_matrix(p, 1, o) * p->K * p->N;
        sg_gemm(p->ta, p->tb, p->M, p->N, p->K, 1.0f, A, lda_of(p), B, ldb_of(p), 0.0f,
                j->C + o * p->M * p->N, p->N);
    }
}

/* dA for the a matrices [begin, end): each sums its output matrices in order. */
static void mm_grad_a_range(void *arg, int64_t begin, int64_t end)
{
    const mm_job *j = arg;
    const mm_plan *p = j->p;
    for (int64_t ia = begin; ia < end; ia++) {
        float *dA = j->dA + ia * p->M * p->K;
        for (int64_t o = 0; o < p->batch; o++) {
            if (operand_matrix(p, 0, o) != ia) continue;
            const float *B = j->B + operand_matrix(p, 1, o) * p->K * p->N;
            const float *dC = j->dC + o * p->M * p->N;
            if (!p->ta) /* dA [M, K] += dC op(B)^T */
                sg_gemm(false, !p->tb, p->M, p->K, p->N, 1.0f, dC, p->N, B, ldb_of(p), 1.0f, dA,
                        p->K);
            else        /* dA [K, M] += op(B) dC^T */
                sg_gemm(p->tb, true, p->K, p->M, p->N, 1.0f, B, ldb_of(p), dC, p->N, 1.0f, dA,
                        p->M);
        }
    }
}

static void mm_grad_b_range(void *arg, int64_t begin, int64_t end)
{
    const mm_job *j = arg;
    const mm_plan *p = j->p;
    for (int64_t ib = begin; ib < end; ib++) {
        float *dB = j->dB + ib * p->K * p->N;
        for (int64_t o = 0; o < p->batch; o++) {
            if (operand_matrix(p, 1, o) != ib) continue;
            const float *A = j->A + operand_matrix(p, 0, o) * p->M * p->K;
            const float *dC = j->dC + o * p->M * p->N;
            if (!p->tb) /* dB [K, N] += op(A)^T dC */
                sg_gemm(!p->ta, false, p->K, p->N, p->M, 1.0f, A, lda_of(p), dC, p->N, 1.0f, dB,
                        p->N);
            else        /* dB [N, K] += dC^T op(A) */
                sg_gemm(true, p->ta, p->N, p->K, p->M, 1.0f, dC, p->N, A, lda_of(p), 1.0f, dB,
                        p->K);
        }
    }
}

static void matmul_backward(sg_graph *g, sg_node *node)
{
    const mm_plan *p = node->ctx;
    float *dA = sg_node_grad(g, node, 0), *dB = sg_node_grad(g, node, 1);
    mm_job j = {p, node->in[0]->data, node->in[1]->data, node->out->grad, NULL, dA, dB};
    if (dA) sg_parallel_for(p->a_count, 1, mm_grad_a_range, &j);
    if (dB) sg_parallel_for(p->b_count, 1, mm_grad_b_range, &j);
}

static sg_tensor *matmul_op(sg_graph *g, const char *op, sg_tensor *a, sg_tensor *b, bool ta,
                            bool tb)
{
    sg_tensor *in[2] = {a, b};
    if (!sg_graph_inputs_ok(g, op, 2, in)) return NULL;
    mm_plan plan;
    int ndim;
    int64_t shape[SG_MAX_DIMS + 2];
    if (!mm_shape(g, op, a, b, ta, tb, &plan, &ndim, shape)) return NULL;
    sg_tensor *c = sg_graph_tensor(g, ndim, shape);
    if (!c) return NULL;
    if (c->numel > 0 && !sg_graph_dry(g)) {
        if (plan.K == 0) {
            memset(c->data, 0, (size_t)c->numel * sizeof(float));
        } else {
            mm_job j = {&plan, a->data, b->data, NULL, c->data, NULL, NULL};
            sg_parallel_for(plan.batch, 1, mm_forward_range, &j);
        }
    }
    sg_node *node = sg_graph_record(g, op, c, 2, in, matmul_backward, sizeof plan);
    if (node) *(mm_plan *)node->ctx = plan;
    return sg_graph_error(g) ? NULL : c;
}

sg_tensor *sg_matmul(sg_graph *g, sg_tensor *a, sg_tensor *b)
{
    if (a && b && (a->ndim != 2 || b->ndim != 2) && sg_graph_error(g) == SG_OK) {
        char sa[96], sb[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "matmul: a %s and b %s: both must be 2-D (use sg_bmm)",
                      sg_shape_str(a, sa, sizeof sa), sg_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    return matmul_op(g, "matmul", a, b, false, false);
}

sg_tensor *sg_bmm(sg_graph *g, sg_tensor *a, sg_tensor *b)
{
    return matmul_op(g, "bmm", a, b, false, false);
}

sg_tensor *sg_matmul_t(sg_graph *g, sg_tensor *a, sg_tensor *b, bool trans_a, bool trans_b)
{
    return matmul_op(g, "matmul_t", a, b, trans_a, trans_b);
}

/* ---------------------------------------------------------------- linear --
 * y = x w^T + b, with x viewed as R = numel / in rows of `in` features,
 * w [out, in] and b [out] (torch.nn.functional.linear,
 * https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html).
 *     dx [R, in]   += dy [R, out] w [out, in]
 *     dw [out, in] += dy^T x        (each element sums the R rows in order)
 *     db [out]     += sum over rows r of dy[r][:], rows added in increasing r
 * Every dw and db element is reduced by one thread in a fixed order. */

typedef struct linear_ctx {
    int64_t rows, in, out;
} linear_ctx;

typedef struct bias_job {
    const float *dy;
    float *db;
    int64_t rows, out;
} bias_job;

/* Column sums for columns [begin, end): rows added in increasing order. */
static void bias_grad_range(void *arg, int64_t begin, int64_t end)
{
    const bias_job *j = arg;
    for (int64_t r = 0; r < j->rows; r++) {
        const float *row = j->dy + r * j->out;
        for (int64_t c = begin; c < end; c++) j->db[c] += row[c];
    }
}

static void linear_backward(sg_graph *g, sg_node *node)
{
    const linear_ctx *c = node->ctx;
    const float *dy = node->out->grad, *x = node->in[0]->data, *w = node->in[1]->data;
    float *dx = sg_node_grad(g, node, 0);
    float *dw = sg_node_grad(g, node, 1);
    float *db = node->n_in > 2 ? sg_node_grad(g, node, 2) : NULL;
    if (c->rows == 0) return;
    if (dx) sg_gemm(false, false, c->rows, c->in, c->out, 1.0f, dy, c->out, w, c->in, 1.0f, dx, c->in);
    if (dw) sg_gemm(true, false, c->out, c->in, c->rows, 1.0f, dy, c->out, x, c->in, 1.0f, dw, c->in);
    if (db) {
        bias_job j = {dy, db, c->rows, c->out};
        sg_parallel_for(c->out, 64, bias_grad_range, &j);
    }
}

sg_tensor *sg_linear(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b)
{
    sg_tensor *in[3] = {x, w, b};
    if (!sg_graph_inputs_ok(g, "linear", 2, in)) return NULL;
    char sx[96], sw[96], sb[96];
    sg_shape_str(x, sx, sizeof sx);
    sg_shape_str(w, sw, sizeof sw);
    if (x->ndim < 1 || w->ndim != 2 || x->shape[x->ndim - 1] != w->shape[1]) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "linear: input %s and weight %s: expected input [..., in] and weight "
                      "[out, in] with the same in",
                      sx, sw);
        return NULL;
    }
    int64_t nin = w->shape[1], nout = w->shape[0];
    if (b && !(b->ndim == 1 && b->shape[0] == nout)) {
        sg_graph_fail(g, SG_ERR_SHAPE, "linear: bias %s does not fit weight %s: expected [%lld]",
                      sg_shape_str(b, sb, sizeof sb), sw, (long long)nout);
        return NULL;
    }
    int64_t shape[SG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = nout;
    sg_tensor *y = sg_graph_tensor(g, x->ndim, shape);
    if (!y) return NULL;
    int64_t rows = nin ? x->numel / nin : sg_shape_numel(x->ndim - 1, x->shape);
    if (rows > 0 && nout > 0 && !sg_graph_dry(g)) {
        if (b) /* start every row from the bias, then add x w^T */
            for (int64_t r = 0; r < rows; r++)
                memcpy(y->data + r * nout, b->data, (size_t)nout * sizeof(float));
        if (nin > 0)
            sg_gemm(false, true, rows, nout, nin, 1.0f, x->data, nin, w->data, nin, b ? 1.0f : 0.0f,
                    y->data, nout);
        else if (!b)
            memset(y->data, 0, (size_t)y->numel * sizeof(float));
    }
    sg_node *node = sg_graph_record(g, "linear", y, b ? 3 : 2, in, linear_backward, sizeof(linear_ctx));
    if (node) *(linear_ctx *)node->ctx = (linear_ctx){rows, nin, nout};
    return sg_graph_error(g) ? NULL : y;
}

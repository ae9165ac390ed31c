/* layers/attention.c - scaled dot-product attention (fused) and multi-head
 * attention.
 *
 * Scaled dot-product attention, for every batch/head matrix (one "bh"):
 *     S  = q k^T * scale + mask        [T, S]   (causal: S[t][s] = -inf for s > t)
 *     P  = softmax(S) along each row   [T, S]
 *     O  = P v                         [T, Dv]
 * Matches torch.nn.functional.scaled_dot_product_attention with dropout 0
 * (https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html;
 * is_causal keeps the lower-left triangle tril(ones(T, S)), as torch does).
 * A row whose every score is -inf gives NaN, as in torch.
 *
 * Backward, from dO [T, Dv] and the P saved by forward:
 *     dv += P^T dO                               (O = P v)
 *     dP  = dO v^T
 *     dS  = P * (dP - rowsum(dP * P))            (softmax: dS_ts = P_ts (dP_ts - sum_u dP_tu P_tu))
 *     dq += dS k * scale,  dk += dS^T q * scale  (S = q k^T * scale)
 *     dmask += dS, summed over the dims the mask is broadcast along
 * Each bh is computed start to end by one thread (sg_parallel_for over bh),
 * and the mask gradient is summed afterwards in increasing bh order: results
 * are bit-identical on 1 or N threads. */
#include "layers/attention.h"

#include <math.h>
#include <string.h>

#include "core/gemm.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "layers/dropout.h"
#include "layers/matmul.h"
#include "layers/shape.h"

typedef struct sdpa_ctx {
    int64_t batch, T, S, Dh, Dv;   /* batch = product of the leading dims */
    float scale;
    bool causal;
    float *P;                      /* [batch, T, S] softmax probabilities */
    int bdim;                      /* leading dims */
    int64_t bshape[SG_MAX_DIMS];
    int64_t mstride[SG_MAX_DIMS];  /* mask strides over (leading dims, T, S); 0 = broadcast */
    const float *mask;             /* NULL when there is none */
} sdpa_ctx;

/* Offset of mask element (bh, 0, 0). */
static int64_t mask_base(const sdpa_ctx *c, int64_t bh)
{
    int64_t off = 0;
    for (int d = c->bdim - 1; d >= 0; d--) {
        off += (bh % c->bshape[d]) * c->mstride[d];
        bh /= c->bshape[d];
    }
    return off;
}

typedef struct sdpa_job {
    const sdpa_ctx *c;
    const float *q, *k, *v, *dO;
    float *O, *dq, *dk, *dv, *dS;
} sdpa_job;

static void sdpa_forward_range(void *arg, int64_t begin, int64_t end)
{
    const sdpa_job *j = arg;
    const sdpa_ctx *c = j->c;
    int64_t T = c->T, S = c->S, Dh = c->Dh, Dv = c->Dv;
    int64_t mt = c->mstride[c->bdim], ms = c->mstride[c->bdim + 1];
    for (int64_t bh = begin; bh < end; bh++) {
        const float *q = j->q + bh * T * Dh, *k = j->k + bh * S * Dh, *v = j->v + bh * S * Dv;
        float *P = c->P + bh * T * S;
        sg_gemm(false, true, T, S, Dh, c->scale, q, Dh, k, Dh, 0.0f, P, S);   /* q k^T * scale */
        const float *mask = c->mask ? c->mask + mask_base(c, bh) : NULL;
        for (int64_t t = 0; t < T; t++) {
            float *row = P + t * S;
            if (mask)
                for (int64_t s = 0; s < S; s++) row[s] += mask[t * mt + s * ms];
            if (c->causal)
                for (int64_t s = t + 1; s < S; s++) row[s] = -INFINITY;
            /* exp(row - max) / its canonical sum (core/kernels/norm_scalar.c) */
            sg_kernels()->attn_softmax_forward(row, S);
        }
        sg_gemm(false, false, T, Dv, S, 1.0f, P, S, v, Dv, 0.0f, j->O + bh * T * Dv, Dv);   /* P v */
    }
}

static void sdpa_backward_range(void *arg, int64_t begin, int64_t end)
{
    const sdpa_job *j = arg;
    const sdpa_ctx *c = j->c;
    int64_t T = c->T, S = c->S, Dh = c->Dh, Dv = c->Dv;
    for (int64_t bh = begin; bh < end; bh++) {
        const float *q = j->q + bh * T * Dh, *k = j->k + bh * S * Dh, *v = j->v + bh * S * Dv;
        const float *P = c->P + bh * T * S, *dO = j->dO + bh * T * Dv;
        float *dS = j->dS + bh * T * S;
        if (j->dv) sg_gemm(true, false, S, Dv, T, 1.0f, P, S, dO, Dv, 1.0f, j->dv + bh * S * Dv, Dv);
        if (!j->dq && !j->dk && !j->dS) continue;
        sg_gemm(false, true, T, S, Dv, 1.0f, dO, Dv, v, Dv, 0.0f, dS, S);   /* dP = dO v^T */
        /* dS = P * (dP - rowsum(dP * P)), row by row (core/kernels/norm_scalar.c) */
        const sg_attn_softmax_backward_fn sm_bwd = sg_kernels()->attn_softmax_backward;
        for (int64_t t = 0; t < T; t++) sm_bwd(P + t * S, dS + t * S, S);
        if (j->dq) sg_gemm(false, false, T, Dh, S, c->scale, dS, S, k, Dh, 1.0f, j->dq + bh * T * Dh, Dh);
        if (j->dk) sg_gemm(true, false, S, Dh, T, c->scale, dS, S, q, Dh, 1.0f, j->dk + bh * S * Dh, Dh);
    }
}

static void sdpa_backward(sg_graph *g, sg_node *node)
{
    const sdpa_ctx *c = node->ctx;
    float *dq = sg_node_grad(g, node, 0), *dk = sg_node_grad(g, node, 1), *dv = sg_node_grad(g, node, 2);
    float *dmask = node->n_in > 3 ? sg_node_grad(g, node, 3) : NULL;
    if (sg_graph_error(g)) return;
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    float *dS = NULL;
    if (dq || dk || dmask) {
        dS = sg_graph_alloc(g, (size_t)(c->batch * c->T * c->S + 1) * sizeof(float));
        if (!dS) return;
    }
    sdpa_job j = {c, node->in[0]->data, node->in[1]->data, node->in[2]->data, node->out->grad,
                  NULL, dq, dk, dv, dS};
    sg_parallel_for(c->batch, 1, sdpa_backward_range, &j);
    if (dmask) {
        /* dmask = dS summed over broadcast dims, in increasing (bh, t, s) order. */
        int64_t mt = c->mstride[c->bdim], ms = c->mstride[c->bdim + 1];
        for (int64_t bh = 0; bh < c->batch; bh++) {
            float *m = dmask + mask_base(c, bh);
            const float *d = dS + bh * c->T * c->S;
            for (int64_t t = 0; t < c->T; t++)
                for (int64_t s = 0; s < c->S; s++) m[t * mt + s * ms] += d[t * c->S + s];
        }
    }
    sg_graph_scratch_release(g, mark);
}

/* Shape rule: fills c (sizes, mask strides) or fails naming the shapes. */
static bool sdpa_shape(sg_graph *g, const sg_tensor *q, const sg_tensor *k, const sg_tensor *v,
                       const sg_tensor *mask, sdpa_ctx *c)
{
    char sq[96], sk[96], sv[96], sm[96];
    sg_shape_str(q, sq, sizeof sq);
    sg_shape_str(k, sk, sizeof sk);
    sg_shape_str(v, sv, sizeof sv);
    int n = q->ndim;
    bool ok = n >= 2 && k->ndim == n && v->ndim == n;
    for (int d = 0; ok && d < n - 2; d++) ok = k->shape[d] == q->shape[d] && v->shape[d] == q->shape[d];
    ok = ok && k->shape[n - 1] == q->shape[n - 1] && v->shape[n - 2] == k->shape[n - 2];
    ok = ok && q->shape[n - 1] > 0 && k->shape[n - 2] > 0;
    if (!ok) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "scaled_dot_product_attention: q %s, k %s, v %s: expected q [..., T, Dh], "
                      "k [..., S, Dh], v [..., S, Dv] with the same leading dims and S, Dh >= 1",
                      sq, sk, sv);
        return false;
    }
    c->bdim = n - 2;
    c->batch = 1;
    for (int d = 0; d < n - 2; d++) {
        c->bshape[d] = q->shape[d];
        c->batch *= q->shape[d];
    }
    c->T = q->shape[n - 2];
    c->S = k->shape[n - 2];
    c->Dh = q->shape[n - 1];
    c->Dv = v->shape[n - 1];
    memset(c->mstride, 0, sizeof c->mstride);
    if (!mask) return true;
    /* The mask lines up with (leading dims, T, S) from the right; each of its
     * dims is 1 (broadcast) or the full size. */
    int64_t full[SG_MAX_DIMS];
    memcpy(full, q->shape, sizeof full);
    full[n - 1] = c->S;
    ok = mask->ndim <= n;
    int64_t stride = 1;
    for (int d = mask->ndim - 1; ok && d >= 0; d--) {
        int fd = d + (n - mask->ndim);
        if (mask->shape[d] == full[fd]) c->mstride[fd] = full[fd] == 1 ? 0 : stride;
        else ok = mask->shape[d] == 1;
        stride *= mask->shape[d];
    }
    if (!ok) {
        char want[96];
        sg_tensor t;
        sg_tensor_view(&t, NULL, n, full);
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "scaled_dot_product_attention: mask %s does not broadcast to the scores %s "
                      "(q %s, k %s)",
                      sg_shape_str(mask, sm, sizeof sm), sg_shape_str(&t, want, sizeof want), sq, sk);
        return false;
    }
    return true;
}

sg_tensor *sg_scaled_dot_product_attention_probs(sg_graph *g, sg_tensor *q, sg_tensor *k,
                                                 sg_tensor *v, sg_tensor *mask, bool causal,
                                                 float scale, sg_tensor **probs)
{
    const char *op = "scaled_dot_product_attention";
    sg_tensor *in[4] = {q, k, v, mask};
    if (probs) *probs = NULL;
    if (!sg_graph_inputs_ok(g, op, 3, in)) return NULL;
    sdpa_ctx c = {0};
    if (!sdpa_shape(g, q, k, v, mask, &c)) return NULL;
    c.scale = scale != 0.0f ? scale : 1.0f / sqrtf((float)c.Dh);
    c.causal = causal;
    c.mask = mask ? mask->data : NULL;
    int n_in = mask ? 4 : 3;

    int64_t oshape[SG_MAX_DIMS];
    memcpy(oshape, q->shape, sizeof oshape);
    oshape[q->ndim - 1] = c.Dv;
    sg_tensor *out = sg_graph_tensor(g, q->ndim, oshape);
    if (!out) return NULL;
    /* P is kept (saved for backward, or handed out) or is scratch. */
    bool keep = probs != NULL;
    for (int i = 0; i < n_in && sg_graph_grad_enabled(g); i++) keep |= in[i]->requires_grad;
    int64_t pshape[SG_MAX_DIMS];
    memcpy(pshape, q->shape, sizeof pshape);
    pshape[q->ndim - 1] = c.S;
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    sg_tensor *P = sg_graph_tensor(g, q->ndim, pshape);
    if (!P) return NULL;
    c.P = P->data;
    if (!sg_graph_dry(g) && (out->numel > 0 || c.T > 0)) {
        sdpa_job j = {&c, q->data, k->data, v->data, NULL, out->data, NULL, NULL, NULL, NULL};
        sg_parallel_for(c.batch, 1, sdpa_forward_range, &j);
    }
    if (!keep) {
        sg_graph_scratch_release(g, mark);
        return sg_graph_error(g) ? NULL : out;
    }
    if (probs) *probs = P;
    sg_node *node = sg_graph_record(g, op, out, n_in, in, sdpa_backward, sizeof c);
    if (node) *(sdpa_ctx *)node->ctx = c;
    return sg_graph_error(g) ? NULL : out;
}

sg_tensor *sg_scaled_dot_product_attention(sg_graph *g, sg_tensor *q, sg_tensor *k, sg_tensor *v,
                                           sg_tensor *mask, bool causal, float scale)
{
    return sg_scaled_dot_product_attention_probs(g, q, k, v, mask, causal, scale, NULL);
}

/* ------------------------------------------- training attention with dropout --
 * The self-attention of layers/transformer.c in training mode, with dropout p
 * on the probabilities, for q [..., T, Dh], k [..., S, Dh], v [..., S, Dv]
 * (one "bh" = one matrix of the leading dims):
 *     S  = (q k^T) * scale       the product rounded, then scaled (two roundings)
 *     P  = softmax(S) per row    the generic softmax kernel (its canonical sums in double)
 *     Pd = dropout(P)            the mask of this step's call-th dropout, element
 *                                index = its flat index in [..., T, S] (layers/dropout.h)
 *     O  = Pd v
 * Backward from dO (the gradients the chain of ops would accumulate into
 * zeroed buffers, hence the "0 +", which turns -0 into +0 as they do):
 *     dv += Pd^T dO
 *     dP  = 0 + dropout(dO v^T)                    (the same mask and scale)
 *     dS  = 0 + (0 + P * (dP - rowsum(dP * P))) * scale
 *     dq += dS k,  dk += dS^T q
 * This is, per element and in the same order, what the unfused chain
 * sg_matmul_t -> sg_mul_scalar -> sg_softmax -> sg_dropout -> sg_bmm computes
 * (the same sg_gemm calls per matrix, the same kernels, the same mask), so the
 * bits are the same (tests/test_attention.c compares). The chain keeps four
 * T x S matrices per bh (scores, scaled scores, P, Pd) and makes four more
 * gradients; this op keeps P alone and recomputes the mask (once per bh)
 * and Pd from it in backward. Work: the bh are cut into at most sg_threads()
 * fixed chunks, each with arena scratch for one T x S matrix, one row and the
 * T x S mask bytes, given back when the op ends. */

typedef struct attn_drop_ctx {
    int64_t batch, T, S, Dh, Dv;
    float scale, p, keep_scale;    /* keep_scale = 1 / (1 - p), as sg_dropout's */
    bool dropout;                  /* training with p > 0 */
    uint64_t seed, step, call;     /* the dropout mask's key (layers/dropout.h) */
    float *P;                      /* [batch, T, S] */
} attn_drop_ctx;

typedef struct attn_drop_job {
    const attn_drop_ctx *c;
    const float *q, *k, *v, *dO;
    float *O, *dq, *dk, *dv;
    float *scratch;                /* per chunk: T * S + S floats, then T * S mask bytes */
    int64_t grain;                 /* bh per chunk */
} attn_drop_job;

/* Chunks and bh per chunk for `batch` matrices: at most one chunk per thread. */
static int64_t attn_drop_grain(int64_t batch)
{
    int64_t chunks = sg_threads() < batch ? sg_threads() : batch;
    return chunks > 0 ? (batch + chunks - 1) / chunks : 1;
}

/* Floats of scratch per chunk: a T x S work matrix, one row, T x S mask bytes. */
static int64_t attn_drop_chunk_floats(const attn_drop_ctx *c)
{
    return c->T * c->S + c->S + (c->T * c->S + 3) / 4;
}

/* The chunk's work matrix, row and mask. */
static float *attn_drop_chunk(const attn_drop_job *j, int64_t begin, float **row, uint8_t **keep)
{
    const attn_drop_ctx *c = j->c;
    float *buf = j->scratch + begin / j->grain * attn_drop_chunk_floats(c);
    *row = buf + c->T * c->S;
    *keep = (uint8_t *)(*row + c->S);
    return buf;
}

/* The dropout mask of matrix bh (layers/dropout.h: element index = flat index). */
static void attn_drop_mask(const attn_drop_ctx *c, int64_t bh, uint8_t *keep)
{
    sg_dropout_mask(c->seed, c->step, c->call, bh * c->T * c->S, c->T * c->S, c->p, keep);
}

static void attn_drop_forward_range(void *arg, int64_t begin, int64_t end)
{
    const attn_drop_job *j = arg;
    const attn_drop_ctx *c = j->c;
    const int64_t T = c->T, S = c->S, Dh = c->Dh, Dv = c->Dv;
    uint8_t *keep;
    float *row, *buf = attn_drop_chunk(j, begin, &row, &keep);
    const sg_softmax_forward_fn softmax = sg_kernels()->softmax_forward;
    for (int64_t bh = begin; bh < end; bh++) {
        const float *q = j->q + bh * T * Dh, *k = j->k + bh * S * Dh, *v = j->v + bh * S * Dv;
        float *P = c->P + bh * T * S;
        sg_gemm(false, true, T, S, Dh, 1.0f, q, Dh, k, Dh, 0.0f, buf, S);   /* q k^T */
        for (int64_t i = 0; i < T * S; i++) buf[i] = buf[i] * c->scale;
        for (int64_t t = 0; t < T; t++) softmax(buf + t * S, P + t * S, S, 1, 1, false);
        const float *Pd = P;
        if (c->dropout) {
            attn_drop_mask(c, bh, keep);
            for (int64_t i = 0; i < T * S; i++) buf[i] = keep[i] ? P[i] * c->keep_scale : 0.0f;
            Pd = buf;
        }
        sg_gemm(false, false, T, Dv, S, 1.0f, Pd, S, v, Dv, 0.0f, j->O + bh * T * Dv, Dv);   /* Pd v */
    }
}

static void attn_drop_backward_range(void *arg, int64_t begin, int64_t end)
{
    const attn_drop_job *j = arg;
    const attn_drop_ctx *c = j->c;
    const int64_t T = c->T, S = c->S, Dh = c->Dh, Dv = c->Dv;
    uint8_t *keep;
    float *row, *buf = attn_drop_chunk(j, begin, &row, &keep);
    const sg_softmax_backward_fn softmax_backward = sg_kernels()->softmax_backward;
    for (int64_t bh = begin; bh < end; bh++) {
        const float *q = j->q + bh * T * Dh, *k = j->k + bh * S * Dh, *v = j->v + bh * S * Dv;
        const float *P = c->P + bh * T * S, *dO = j->dO + bh * T * Dv;
        if (c->dropout) attn_drop_mask(c, bh, keep);   /* once, for Pd and for dP */
        if (j->dv) {
            const float *Pd = P;
            if (c->dropout) {
                for (int64_t i = 0; i < T * S; i++) buf[i] = keep[i] ? P[i] * c->keep_scale : 0.0f;
                Pd = buf;
            }
            sg_gemm(true, false, S, Dv, T, 1.0f, Pd, S, dO, Dv, 1.0f, j->dv + bh * S * Dv, Dv);
        }
        if (!j->dq && !j->dk) continue;
        sg_gemm(false, true, T, S, Dv, 1.0f, dO, Dv, v, Dv, 0.0f, buf, S);   /* dPd = dO v^T */
        for (int64_t t = 0; t < T; t++) {
            float *d = buf + t * S;
            if (c->dropout) {
                const uint8_t *kt = keep + t * S;
                for (int64_t s = 0; s < S; s++) d[s] = 0.0f + (kt[s] ? d[s] * c->keep_scale : 0.0f);
            } else {
                for (int64_t s = 0; s < S; s++) d[s] = 0.0f + d[s];
            }
            memset(row, 0, (size_t)S * sizeof *row);
            softmax_backward(P + t * S, d, row, S, 1, 1, false);   /* row += P (dP - sum dP P) */
            for (int64_t s = 0; s < S; s++) d[s] = 0.0f + row[s] * c->scale;
        }
        if (j->dq) sg_gemm(false, false, T, Dh, S, 1.0f, buf, S, k, Dh, 1.0f, j->dq + bh * T * Dh, Dh);
        if (j->dk) sg_gemm(true, false, S, Dh, T, 1.0f, buf, S, q, Dh, 1.0f, j->dk + bh * S * Dh, Dh);
    }
}

/* The chunks' scratch (zeroed arena memory), or NULL + graph error. */
static float *attn_drop_scratch(sg_graph *g, const attn_drop_ctx *c, int64_t grain)
{
    int64_t chunks = (c->batch + grain - 1) / grain;
    return sg_graph_alloc(g, (size_t)(chunks * attn_drop_chunk_floats(c)) * sizeof(float));
}

static void attn_drop_backward(sg_graph *g, sg_node *node)
{
    const attn_drop_ctx *c = node->ctx;
    float *dq = sg_node_grad(g, node, 0), *dk = sg_node_grad(g, node, 1), *dv = sg_node_grad(g, node, 2);
    if (sg_graph_error(g) || (!dq && !dk && !dv)) return;
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    attn_drop_job j = {c, node->in[0]->data, node->in[1]->data, node->in[2]->data, node->out->grad,
                       NULL, dq, dk, dv, NULL, attn_drop_grain(c->batch)};
    j.scratch = attn_drop_scratch(g, c, j.grain);
    if (j.scratch) sg_parallel_for(c->batch, j.grain, attn_drop_backward_range, &j);
    sg_graph_scratch_release(g, mark);
}

sg_tensor *sg_attention_dropout(sg_graph *g, sg_tensor *q, sg_tensor *k, sg_tensor *v, float scale,
                                float p, sg_tensor **probs)
{
    const char *op = "attention_dropout";
    sg_tensor *in[3] = {q, k, v};
    if (probs) *probs = NULL;
    if (!sg_graph_inputs_ok(g, op, 3, in)) return NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        sg_graph_fail(g, SG_ERR_INVALID, "%s: dropout probability p = %g, expected 0 <= p < 1", op,
                      (double)p);
        return NULL;
    }
    sdpa_ctx shape = {0};
    if (!sdpa_shape(g, q, k, v, NULL, &shape)) return NULL;
    attn_drop_ctx c = {.batch = shape.batch, .T = shape.T, .S = shape.S, .Dh = shape.Dh,
                       .Dv = shape.Dv, .scale = scale, .p = p, .keep_scale = 1.0f / (1.0f - p),
                       .dropout = sg_graph_training(g) && p > 0.0f};
    int64_t pshape[SG_MAX_DIMS], oshape[SG_MAX_DIMS];
    memcpy(pshape, q->shape, sizeof pshape);
    memcpy(oshape, q->shape, sizeof oshape);
    pshape[q->ndim - 1] = c.S;
    oshape[q->ndim - 1] = c.Dv;
    if (c.dropout) {
        if (sg_shape_numel(q->ndim, pshape) >= ((int64_t)1 << 40)) {
            char sp[96];
            sg_tensor t;
            sg_tensor_view(&t, NULL, q->ndim, pshape);
            sg_graph_fail(g, SG_ERR_LIMIT, "%s: probabilities %s have more than 2^40 elements", op,
                          sg_shape_str(&t, sp, sizeof sp));
            return NULL;
        }
        c.seed = sg_graph_seed(g);
        c.step = sg_graph_step(g);
        c.call = sg_graph_next_random_id(g);   /* where the chain's sg_dropout takes its id */
    }
    sg_tensor *out = sg_graph_tensor(g, q->ndim, oshape);
    if (!out) return NULL;
    bool keep = probs != NULL;
    for (int i = 0; i < 3 && sg_graph_grad_enabled(g); i++) keep |= in[i]->requires_grad;
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    sg_tensor *P = sg_graph_tensor(g, q->ndim, pshape);
    if (!P) return NULL;
    c.P = P->data;
    if (!sg_graph_dry(g) && out->numel > 0) {
        sg_arena_mark scratch = sg_graph_scratch_mark(g);
        attn_drop_job j = {&c, q->data, k->data, v->data, NULL, out->data, NULL, NULL, NULL, NULL,
                           attn_drop_grain(c.batch)};
        j.scratch = attn_drop_scratch(g, &c, j.grain);
        if (!j.scratch) return NULL;
        sg_parallel_for(c.batch, j.grain, attn_drop_forward_range, &j);
        sg_graph_scratch_release(g, scratch);
    }
    if (!keep) {
        sg_graph_scratch_release(g, mark);
        return sg_graph_error(g) ? NULL : out;
    }
    if (probs) *probs = P;
    sg_node *node = sg_graph_record(g, op, out, 3, in, attn_drop_backward, sizeof c);
    if (node) *(attn_drop_ctx *)node->ctx = c;
    return sg_graph_error(g) ? NULL : out;
}

/* ---------------------------------------------------- multi-head attention --
 * torch.nn.MultiheadAttention(E, H, batch_first=True)
 * (https://pytorch.org/docs/stable/generated/torch.nn.MultiheadAttention.html),
 * dropout 0, key = value = x_kv:
 *     q = x_q  Wq^T + bq,  k = x_kv Wk^T + bk,  v = x_kv Wv^T + bv
 *         (Wq, Wk, Wv = rows [0, E), [E, 2E), [2E, 3E) of in_proj_weight)
 *     split E into H heads of Dh = E / H:  [B, T, E] -> [B, H, T, Dh]
 *     o = SDPA(q, k, v, mask, causal, 1/sqrt(Dh)), heads joined back to [B, T, E]
 *     y = o out_proj_weight^T + out_proj_bias
 * Every step is an op on the tape, so the gradients of all inputs and weights
 * come from those ops' backward functions. */

/* Rows [part * E, (part + 1) * E) of a [3E, ...] tensor (NULL stays NULL). */
static sg_tensor *third(sg_graph *g, sg_tensor *w, int64_t E, int part)
{
    return w ? sg_slice(g, w, 0, part * E, (part + 1) * E, 1) : NULL;
}

/* Projection `part` (0 = q, 1 = k, 2 = v) of x [B, L, E], split into heads:
 * x W^T + b as [B, L, E] -> [B, L, H, Dh] -> [B, H, L, Dh]. */
static sg_tensor *project_heads(sg_graph *g, sg_tensor *x, sg_tensor *in_proj_weight,
                                sg_tensor *in_proj_bias, int part, int64_t H)
{
    int64_t E = x->shape[2];
    sg_tensor *p = sg_linear(g, x, third(g, in_proj_weight, E, part), third(g, in_proj_bias, E, part));
    if (!p) return NULL;
    const int64_t shape[4] = {p->shape[0], p->shape[1], H, E / H};
    static const int perm[4] = {0, 2, 1, 3};
    return sg_permute(g, sg_reshape(g, p, 4, shape), perm);
}

sg_tensor *sg_multihead_attention(sg_graph *g, sg_tensor *x_q, sg_tensor *x_kv,
                                  sg_tensor *in_proj_weight, sg_tensor *in_proj_bias,
                                  sg_tensor *out_proj_weight, sg_tensor *out_proj_bias,
                                  int n_heads, sg_tensor *mask, bool causal,
                                  sg_tensor **attn_weights)
{
    const char *op = "multihead_attention";
    sg_tensor *in[4] = {x_q, x_kv, in_proj_weight, out_proj_weight};
    if (attn_weights) *attn_weights = NULL;
    if (!sg_graph_inputs_ok(g, op, 4, in)) return NULL;
    char sq[96], skv[96], sw[96], sb[96], so[96], sob[96];
    sg_shape_str(x_q, sq, sizeof sq);
    sg_shape_str(x_kv, skv, sizeof skv);
    sg_shape_str(in_proj_weight, sw, sizeof sw);
    sg_shape_str(out_proj_weight, so, sizeof so);
    if (in_proj_bias) sg_shape_str(in_proj_bias, sb, sizeof sb); else strcpy(sb, "none");
    if (out_proj_bias) sg_shape_str(out_proj_bias, sob, sizeof sob); else strcpy(sob, "none");
    int64_t E = x_q->ndim == 3 ? x_q->shape[2] : -1, H = n_heads;
    bool ok = x_q->ndim == 3 && x_kv->ndim == 3 && x_kv->shape[0] == x_q->shape[0] &&
              x_kv->shape[2] == E && E > 0 && H > 0 && E % H == 0;
    ok = ok && in_proj_weight->ndim == 2 && in_proj_weight->shape[0] == 3 * E &&
         in_proj_weight->shape[1] == E;
    ok = ok && out_proj_weight->ndim == 2 && out_proj_weight->shape[0] == E && out_proj_weight->shape[1] == E;
    ok = ok && (!in_proj_bias || (in_proj_bias->ndim == 1 && in_proj_bias->shape[0] == 3 * E));
    ok = ok && (!out_proj_bias || (out_proj_bias->ndim == 1 && out_proj_bias->shape[0] == E));
    if (!ok) {
        sg_graph_fail(g, SG_ERR_SHAPE,
                      "%s: x_q %s, x_kv %s, in_proj_weight %s, in_proj_bias %s, out_proj_weight %s, "
                      "out_proj_bias %s, %d heads: expected x_q [B, T, E], x_kv [B, S, E], [3E, E], "
                      "[3E], [E, E], [E] with E divisible by the heads",
                      op, sq, skv, sw, sb, so, sob, n_heads);
        return NULL;
    }
    int64_t B = x_q->shape[0], T = x_q->shape[1], S = x_kv->shape[1];
    if (mask && mask->ndim == 3 && mask->shape[0] == B * H && B > 1) {
        /* torch's per-(batch, head) mask [B*H, T, S] is our [B, H, T, S] */
        const int64_t mshape[4] = {B, H, mask->shape[1], mask->shape[2]};
        mask = sg_reshape(g, mask, 4, mshape);
        if (!mask) return NULL;
    }
    sg_tensor *q = project_heads(g, x_q, in_proj_weight, in_proj_bias, 0, H);
    sg_tensor *k = project_heads(g, x_kv, in_proj_weight, in_proj_bias, 1, H);
    sg_tensor *v = project_heads(g, x_kv, in_proj_weight, in_proj_bias, 2, H);
    if (!q || !k || !v) return NULL;
    sg_tensor *P = NULL;
    sg_tensor *o = sg_scaled_dot_product_attention_probs(g, q, k, v, mask, causal, 0.0f,
                                                         attn_weights ? &P : NULL);
    static const int perm[4] = {0, 2, 1, 3};
    const int64_t joined[3] = {B, T, E};
    sg_tensor *y = sg_linear(g, sg_reshape(g, sg_permute(g, o, perm), 3, joined), out_proj_weight,
                             out_proj_bias);
    if (!y) return NULL;
    if (attn_weights) {
        /* mean over heads, heads added in increasing order */
        const int64_t wshape[3] = {B, T, S};
        /* P is read here, after other ops: name it (inference frees it after). */
        if (!sg_graph_inputs_ok(g, op, 1, &P)) return NULL;
        sg_tensor *w = sg_graph_zeros(g, 3, wshape);
        if (!w) return NULL;
        for (int64_t b = 0; b < B && !sg_graph_dry(g); b++)
            for (int64_t h = 0; h < H; h++) {
                const float *p = P->data + (b * H + h) * T * S;
                float *wb = w->data + b * T * S;
                for (int64_t i = 0; i < T * S; i++) wb[i] += p[i];
            }
        for (int64_t i = 0; i < w->numel && !sg_graph_dry(g); i++) w->data[i] /= (float)H;
        *attn_weights = w;
    }
    return y;
}

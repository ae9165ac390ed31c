/* layers/shape.c - reshape, flatten, permute, transpose, concat, slice, pad.
 *
 * None of these ops does arithmetic: each output element is one input element
 * (or a constant, for pad). Their gradients route values back the same way:
 *     y[o] = x[src(o)]   =>   dx[i] = sum over o with src(o) = i of dy[o].
 * For reshape, permute, transpose, slice and concat src is one-to-one, so the
 * backward is a plain scatter (each dx element touched once, safe in
 * parallel). Pad's reflect/replicate/circular modes send several outputs to
 * one input; that sum is done by one thread per independent block, in output
 * order, so results are bit-identical on 1 or N threads. */
#include "layers/shape.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/pool.h"

enum { ELEMS_PER_CHUNK = 16384 };   /* work grain: depends on sizes only */

/* Would sg_graph_record keep a node for these inputs? Ops that need saved
 * memory allocate it for keeps, or as scratch when nothing is recorded. */
static bool will_record(const sg_graph *g, int n, sg_tensor *const *in)
{
    if (!sg_graph_grad_enabled(g)) return false;
    for (int i = 0; i < n; i++)
        if (in[i] && in[i]->requires_grad) return true;
    return false;
}

/* Negative dims count from the end; returns -1 when out of range. */
static int norm_dim(int dim, int ndim)
{
    if (dim < 0) dim += ndim;
    return dim >= 0 && dim < ndim ? dim : -1;
}

static void contiguous_strides(int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        stride[d] = s;
        s *= shape[d];
    }
}

/* --------------------------------------------------------- strided copy --
 * A strided map lists the elements of a contiguous block of `shape` inside
 * another buffer: element (c0, .., cn-1) of the block sits at
 * base + sum ci * stride[i] of the strided buffer. Distinct block elements
 * are at distinct places, so every direction is safe to run in parallel. */
typedef struct strided_map {
    int ndim;
    int64_t shape[SG_MAX_DIMS];
    int64_t stride[SG_MAX_DIMS];
    int64_t base;
} strided_map;

typedef enum { TO_CONTIG, ADD_TO_CONTIG, TO_STRIDED, ADD_TO_STRIDED } strided_dir;

typedef struct strided_job {
    const strided_map *m;
    float *strided, *contig;
    strided_dir dir;
    int64_t row_len;
} strided_job;

static void strided_range(void *arg, int64_t begin, int64_t end)
{
    const strided_job *j = arg;
    const strided_map *m = j->m;
    int last = m->ndim - 1;
    int64_t n = j->row_len, step = m->ndim ? m->stride[last] : 0;
    for (int64_t r = begin; r < end; r++) {
        /* offset of row r: its coordinates over dims 0..last-1 */
        int64_t off = m->base, rem = r;
        for (int d = last - 1; d >= 0; d--) {
            off += (rem % m->shape[d]) * m->stride[d];
            rem /= m->shape[d];
        }
        float *s = j->strided + off, *c = j->contig + r * n;
        switch (j->dir) {
        case TO_CONTIG:      for (int64_t i = 0; i < n; i++) c[i] = s[i * step]; break;
        case ADD_TO_CONTIG:  for (int64_t i = 0; i < n; i++) c[i] += s[i * step]; break;
        case TO_STRIDED:     for (int64_t i = 0; i < n; i++) s[i * step] = c[i]; break;
        case ADD_TO_STRIDED: for (int64_t i = 0; i < n; i++) s[i * step] += c[i]; break;
        }
    }
}

static void strided_apply(const strided_map *m, float *strided, float *contig, strided_dir dir)
{
    int64_t numel = sg_shape_numel(m->ndim, m->shape);
    if (numel <= 0) return;
    int64_t row_len = m->ndim ? m->shape[m->ndim - 1] : 1, rows = numel / row_len;
    int64_t grain = ELEMS_PER_CHUNK / row_len;
    strided_job j = {m, strided, contig, dir, row_len};
    sg_parallel_for(rows, grain > 0 ? grain : 1, strided_range, &j);
}

/* Backward of the ops whose ctx is one strided map into their input x:
 * y = gather(x), so dx (strided) += dy (contiguous). */
static void gather_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    strided_apply(node->ctx, dx, node->out->grad, ADD_TO_STRIDED);
}

/* y = the elements of x listed by m; records `op` with m as its ctx. */
static sg_tensor *gather_op(sg_graph *g, const char *op, sg_tensor *x, const strided_map *m)
{
    sg_tensor *y = sg_graph_tensor(g, m->ndim, m->shape);
    if (!y) return NULL;
    if (!sg_graph_dry(g)) strided_apply(m, x->data, y->data, TO_CONTIG);
    sg_node *node = sg_graph_record(g, op, y, 1, &x, gather_backward, sizeof *m);
    if (node) *(strided_map *)node->ctx = *m;
    return sg_graph_error(g) ? NULL : y;
}

/* -------------------------------------------------------- reshape, flatten --
 * y = x read with another shape: same data, same order (torch.reshape,
 * https://pytorch.org/docs/stable/generated/torch.reshape.html; torch.flatten).
 * The output is a view on x's data (no copy); dx += dy elementwise. */
static void view_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (!dx) return;
    const float *dy = node->out->grad;
    for (int64_t i = 0; i < node->out->numel; i++) dx[i] += dy[i];
}

static sg_tensor *view_op(sg_graph *g, const char *op, sg_tensor *x, int ndim, const int64_t *shape)
{
    sg_tensor *y = sg_graph_view(g, x->data, ndim, shape);
    if (!y) return NULL;
    sg_graph_record(g, op, y, 1, &x, view_backward, 0);
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_reshape(sg_graph *g, sg_tensor *x, int ndim, const int64_t *shape)
{
    if (!sg_graph_inputs_ok(g, "reshape", 1, &x)) return NULL;
    char sx[96], want[160];
    sg_shape_str(x, sx, sizeof sx);
    int pos = snprintf(want, sizeof want, "[");
    for (int d = 0; d < ndim && d < SG_MAX_DIMS && pos < (int)sizeof want; d++)
        pos += snprintf(want + pos, sizeof want - (size_t)pos, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (pos < (int)sizeof want) snprintf(want + pos, sizeof want - (size_t)pos, "]");
    if (ndim < 0 || ndim > SG_MAX_DIMS) {
        sg_graph_fail(g, SG_ERR_SHAPE, "reshape: %d dims asked for %s, at most %d", ndim, sx, SG_MAX_DIMS);
        return NULL;
    }
    int64_t s[SG_MAX_DIMS], known = 1;
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        s[d] = shape[d];
        if (shape[d] == -1 && infer < 0) {
            infer = d;
        } else if (shape[d] < 0) {
            sg_graph_fail(g, SG_ERR_SHAPE,
                          "reshape: cannot view %s as %s: bad size %lld (only one -1 allowed)", sx,
                          want, (long long)shape[d]);
            return NULL;
        } else {
            known *= shape[d];
        }
    }
    if (infer >= 0) {
        if (known == 0 || x->numel % known != 0) {
            sg_graph_fail(g, SG_ERR_SHAPE, "reshape: cannot view %s (%lld elements) as %s", sx,
                          (long long)x->numel, want);
            return NULL;
        }
        s[infer] = x->numel / known;
        known = x->numel;
    }
    if (known != x->numel) {
        sg_graph_fail(g, SG_ERR_SHAPE, "reshape: cannot view %s (%lld elements) as %s", sx,
                      (long long)x->numel, want);
        return NULL;
    }
    return view_op(g, "reshape", x, ndim, s);
}

sg_tensor *sg_flatten(sg_graph *g, sg_tensor *x, int start_dim, int end_dim)
{
    if (!sg_graph_inputs_ok(g, "flatten", 1, &x)) return NULL;
    if (x->ndim == 0) { /* torch.flatten of a scalar is a 1-element vector */
        const int64_t one = 1;
        return view_op(g, "flatten", x, 1, &one);
    }
    int s = norm_dim(start_dim, x->ndim), e = norm_dim(end_dim, x->ndim);
    if (s < 0 || e < 0 || s > e) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "flatten: dims %d..%d do not fit input %s", start_dim,
                      end_dim, sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    int64_t shape[SG_MAX_DIMS];
    int n = 0;
    for (int d = 0; d < s; d++) shape[n++] = x->shape[d];
    shape[n] = 1;
    for (int d = s; d <= e; d++) shape[n] *= x->shape[d];
    n++;
    for (int d = e + 1; d < x->ndim; d++) shape[n++] = x->shape[d];
    return view_op(g, "flatten", x, n, shape);
}

/* ----------------------------------------------------- permute, transpose --
 * y[c0, .., cn-1] = x at coordinate perm[i] = ci (torch.permute,
 * https://pytorch.org/docs/stable/generated/torch.permute.html): a gather
 * with strides stride_x[perm[i]]; dx is the inverse scatter of dy. */
sg_tensor *sg_permute(sg_graph *g, sg_tensor *x, const int *perm)
{
    if (!sg_graph_inputs_ok(g, "permute", 1, &x)) return NULL;
    int64_t xs[SG_MAX_DIMS];
    contiguous_strides(x->ndim, x->shape, xs);
    strided_map m = {.ndim = x->ndim};
    bool seen[SG_MAX_DIMS] = {false};
    for (int i = 0; i < x->ndim; i++) {
        int p = perm ? norm_dim(perm[i], x->ndim) : -1;
        if (p < 0 || seen[p]) {
            char sx[96], ps[64];
            int pos = 0;
            for (int k = 0; k < x->ndim && perm; k++)
                pos += snprintf(ps + pos, sizeof ps - (size_t)pos, "%s%d", k ? ", " : "", perm[k]);
            if (!perm) snprintf(ps, sizeof ps, "NULL");
            sg_graph_fail(g, SG_ERR_SHAPE, "permute: (%s) is not a permutation of the %d dims of %s",
                          ps, x->ndim, sg_shape_str(x, sx, sizeof sx));
            return NULL;
        }
        seen[p] = true;
        m.shape[i] = x->shape[p];
        m.stride[i] = xs[p];
    }
    return gather_op(g, "permute", x, &m);
}

sg_tensor *sg_transpose(sg_graph *g, sg_tensor *x, int d0, int d1)
{
    if (!sg_graph_inputs_ok(g, "transpose", 1, &x)) return NULL;
    int a = norm_dim(d0, x->ndim), b = norm_dim(d1, x->ndim);
    if (a < 0 || b < 0) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "transpose: dims %d and %d do not fit input %s", d0, d1,
                      sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    int perm[SG_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return sg_permute(g, x, perm);
}

/* ------------------------------------------------------------------ slice --
 * y = x[..., start:end:step, ...] (Python slicing; torch.narrow / indexing,
 * https://pytorch.org/docs/stable/tensor_view.html): a gather with base
 * start * stride[dim] and stride step * stride[dim] on dim. */
sg_tensor *sg_slice(sg_graph *g, sg_tensor *x, int dim, int64_t start, int64_t end, int64_t step)
{
    if (!sg_graph_inputs_ok(g, "slice", 1, &x)) return NULL;
    int d = norm_dim(dim, x->ndim);
    if (d < 0 || step < 1) {
        char sx[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "slice: dim %d with step %lld does not fit input %s "
                      "(step must be >= 1)", dim, (long long)step, sg_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    int64_t n = x->shape[d];
    /* Python: negative indices count from the end, then clamp to [0, n]. */
    if (start < 0) start = start < -n ? 0 : start + n;
    if (end < 0) end = end < -n ? 0 : end + n;
    if (start > n) start = n;
    if (end > n) end = n;
    int64_t len = end > start ? (end - start + step - 1) / step : 0;
    strided_map m = {.ndim = x->ndim};
    contiguous_strides(x->ndim, x->shape, m.stride);
    memcpy(m.shape, x->shape, sizeof m.shape);
    m.shape[d] = len;
    m.base = start * m.stride[d];
    m.stride[d] *= step;
    return gather_op(g, "slice", x, &m);
}

/* ----------------------------------------------------------------- concat --
 * y = [x0, x1, ...] along dim (torch.cat,
 * https://pytorch.org/docs/stable/generated/torch.cat.html). Seen as
 * [outer, size_k, inner] blocks, input k lands at offset (sum of earlier
 * sizes) * inner inside every outer row of y; dxk is the same block of dy. */
typedef struct concat_ctx {
    int64_t outer, inner, out_dim;
    int dim;
} concat_ctx;

static strided_map concat_block(const concat_ctx *c, int64_t size_k, int64_t offset_k)
{
    strided_map m = {.ndim = 3, .shape = {c->outer, size_k, c->inner},
                     .stride = {c->out_dim * c->inner, c->inner, 1}, .base = offset_k * c->inner};
    return m;
}

static void concat_backward(sg_graph *g, sg_node *node)
{
    const concat_ctx *c = node->ctx;
    int64_t offset = 0;
    for (int k = 0; k < node->n_in; k++) {
        int64_t size_k = node->in[k]->shape[c->dim];
        float *dx = sg_node_grad(g, node, k);
        if (dx) {
            strided_map m = concat_block(c, size_k, offset);
            strided_apply(&m, node->out->grad, dx, ADD_TO_CONTIG);
        }
        offset += size_k;
    }
}

/* At most SG_NODE_MAX_INPUTS inputs, shapes already checked. */
static sg_tensor *concat_node(sg_graph *g, int n, sg_tensor *const *in, int d)
{
    const sg_tensor *x0 = in[0];
    concat_ctx c = {1, 1, 0, d};
    for (int i = 0; i < d; i++) c.outer *= x0->shape[i];
    for (int i = d + 1; i < x0->ndim; i++) c.inner *= x0->shape[i];
    for (int k = 0; k < n; k++) c.out_dim += in[k]->shape[d];
    int64_t shape[SG_MAX_DIMS];
    memcpy(shape, x0->shape, sizeof shape);
    shape[d] = c.out_dim;
    sg_tensor *y = sg_graph_tensor(g, x0->ndim, shape);
    if (!y) return NULL;
    int64_t offset = 0;
    for (int k = 0; k < n && !sg_graph_dry(g); k++) {
        strided_map m = concat_block(&c, in[k]->shape[d], offset);
        strided_apply(&m, y->data, in[k]->data, TO_STRIDED);
        offset += in[k]->shape[d];
    }
    sg_node *node = sg_graph_record(g, "concat", y, n, in, concat_backward, sizeof c);
    if (node) *(concat_ctx *)node->ctx = c;
    return sg_graph_error(g) ? NULL : y;
}

sg_tensor *sg_concat(sg_graph *g, int n, sg_tensor *const *inputs, int dim)
{
    if (sg_graph_error(g) != SG_OK) return NULL;
    if (n < 1 || !inputs) {
        sg_graph_fail(g, SG_ERR_INVALID, "concat: needs at least one input, got %d", n);
        return NULL;
    }
    if (!sg_graph_inputs_ok(g, "concat", n, inputs)) return NULL;
    const sg_tensor *x0 = inputs[0];
    int d = norm_dim(dim, x0->ndim);
    char s0[96], sk[96];
    sg_shape_str(x0, s0, sizeof s0);
    if (d < 0) {
        sg_graph_fail(g, SG_ERR_SHAPE, "concat: dim %d does not fit input 0 %s", dim, s0);
        return NULL;
    }
    for (int k = 1; k < n; k++) {
        const sg_tensor *x = inputs[k];
        bool fits = x->ndim == x0->ndim;
        for (int i = 0; fits && i < x0->ndim; i++) fits = i == d || x->shape[i] == x0->shape[i];
        if (!fits) {
            sg_graph_fail(g, SG_ERR_SHAPE,
                          "concat: input %d %s does not fit input 0 %s along dim %d (all other "
                          "dims must match)",
                          k, sg_shape_str(x, sk, sizeof sk), s0, dim);
            return NULL;
        }
    }
    if (n <= SG_NODE_MAX_INPUTS) return concat_node(g, n, inputs, d);
    /* A node records at most SG_NODE_MAX_INPUTS inputs: join groups of that
     * many first, then join the groups (a tree; each level copies once). */
    int groups = (n + SG_NODE_MAX_INPUTS - 1) / SG_NODE_MAX_INPUTS;
    sg_tensor **part = sg_graph_alloc(g, (size_t)groups * sizeof *part);
    if (!part) return NULL;
    for (int k = 0; k < groups; k++) {
        int first = k * SG_NODE_MAX_INPUTS, count = n - first;
        if (count > SG_NODE_MAX_INPUTS) count = SG_NODE_MAX_INPUTS;
        part[k] = concat_node(g, count, inputs + first, d);
        if (!part[k]) return NULL;
    }
    return sg_concat(g, groups, part, d);
}

/* -------------------------------------------------------------------- pad --
 * torch.nn.functional.pad
 * (https://pytorch.org/docs/stable/generated/torch.nn.functional.pad.html).
 * Along each padded dim of size n with (left, right), output index o reads
 * input i = o - left, brought back into [0, n) by the mode:
 *   constant:  out of range -> value (negative pads crop)
 *   reflect:   i < 0 -> -i;  i >= n -> 2(n-1) - i   (edge not repeated)
 *   replicate: clamp to [0, n-1]
 *   circular:  i mod n
 * An output element is the constant if any dim says so, else x at the mapped
 * coordinates. dx[i] = sum of dy over the outputs that read i (the constant
 * ones reach nobody). The dims in front of the padded ones index independent
 * blocks: one thread per block walks its outputs in order, so the sums are
 * done in a fixed order. */
typedef struct pad_ctx {
    int p;                 /* padded (trailing) dims */
    int64_t blocks;        /* product of the dims in front */
    int64_t in_shape[SG_MAX_DIMS], out_shape[SG_MAX_DIMS];   /* of the p trailing dims */
    int64_t *map[SG_MAX_DIMS];   /* map[d][o] = input index or -1 */
    float value;
} pad_ctx;

typedef struct pad_job {
    const pad_ctx *c;
    float *x, *y;
    bool backward;         /* x += routed y instead of y = gathered x */
} pad_job;

static void pad_range(void *arg, int64_t begin, int64_t end)
{
    const pad_job *j = arg;
    const pad_ctx *c = j->c;
    int last = c->p - 1;
    int64_t in_block = sg_shape_numel(c->p, c->in_shape), out_block = sg_shape_numel(c->p, c->out_shape);
    int64_t row_len = c->out_shape[last], rows = row_len ? out_block / row_len : 0;
    const int64_t *col = c->map[last];
    for (int64_t b = begin; b < end; b++) {
        float *x = j->x + b * in_block, *y = j->y + b * out_block;
        for (int64_t r = 0; r < rows; r++) {
            /* input offset of output row r, or -1 if some dim reads the constant */
            int64_t rem = r, off = 0, scale = c->in_shape[last];
            for (int d = last - 1; d >= 0 && off >= 0; d--) {
                int64_t src = c->map[d][rem % c->out_shape[d]];
                rem /= c->out_shape[d];
                off = src < 0 ? -1 : off + src * scale;
                scale *= c->in_shape[d];
            }
            float *yr = y + r * row_len;
            if (!j->backward) {
                for (int64_t o = 0; o < row_len; o++)
                    yr[o] = off < 0 || col[o] < 0 ? c->value : x[off + col[o]];
            } else if (off >= 0) {
                for (int64_t o = 0; o < row_len; o++)
                    if (col[o] >= 0) x[off + col[o]] += yr[o];
            }
        }
    }
}

static void pad_run(const pad_ctx *c, float *x, float *y, bool backward)
{
    int64_t out_block = sg_shape_numel(c->p, c->out_shape);
    int64_t grain = out_block ? ELEMS_PER_CHUNK / out_block : 1;
    pad_job j = {c, x, y, backward};
    sg_parallel_for(c->blocks, grain > 0 ? grain : 1, pad_range, &j);
}

static void pad_backward(sg_graph *g, sg_node *node)
{
    float *dx = sg_node_grad(g, node, 0);
    if (dx) pad_run(node->ctx, dx, node->out->grad, true);
}

static const char *pad_mode_name(sg_pad_mode mode)
{
    switch (mode) {
    case SG_PAD_CONSTANT: return "constant";
    case SG_PAD_REFLECT: return "reflect";
    case SG_PAD_REPLICATE: return "replicate";
    case SG_PAD_CIRCULAR: return "circular";
    }
    return "?";
}

sg_tensor *sg_pad(sg_graph *g, sg_tensor *x, int n_pads, const int64_t *pads, sg_pad_mode mode,
                  float value)
{
    if (!sg_graph_inputs_ok(g, "pad", 1, &x)) return NULL;
    char sx[96];
    sg_shape_str(x, sx, sizeof sx);
    if (mode < SG_PAD_CONSTANT || mode > SG_PAD_CIRCULAR) {
        sg_graph_fail(g, SG_ERR_INVALID, "pad: unknown mode %d", (int)mode);
        return NULL;
    }
    if (x->ndim < 1 || n_pads < 0 || n_pads % 2 || n_pads > 2 * x->ndim || (n_pads && !pads)) {
        sg_graph_fail(g, SG_ERR_SHAPE, "pad: %d pad values for input %s: expected an even count "
                      "<= 2 * ndim", n_pads, sx);
        return NULL;
    }
    pad_ctx c = {.p = n_pads ? n_pads / 2 : 1, .blocks = 1, .value = value};
    int first = x->ndim - c.p;
    int64_t out_shape[SG_MAX_DIMS];
    memcpy(out_shape, x->shape, sizeof out_shape);
    for (int d = 0; d < first; d++) c.blocks *= x->shape[d];
    for (int k = 0; k < c.p; k++) {
        int d = x->ndim - 1 - k;   /* pads[2k], pads[2k+1] belong to dim ndim-1-k */
        int64_t n = x->shape[d], left = n_pads ? pads[2 * k] : 0, right = n_pads ? pads[2 * k + 1] : 0;
        const char *why = NULL;
        if (mode != SG_PAD_CONSTANT && (left < 0 || right < 0)) why = "must not be negative";
        else if (mode == SG_PAD_REFLECT && ((left > 0 && left >= n) || (right > 0 && right >= n)))
            why = "must be smaller than the size";
        else if (mode == SG_PAD_REPLICATE && n == 0 && left + right > 0) why = "needs a non-empty dim";
        else if (mode == SG_PAD_CIRCULAR && (left > n || right > n)) why = "must not exceed the size";
        else if (n + left + right < 0) why = "would leave a negative size";
        if (why) {
            sg_graph_fail(g, SG_ERR_SHAPE, "pad: %s padding (%lld, %lld) of dim %d %s %lld in input %s",
                          pad_mode_name(mode), (long long)left, (long long)right, d, why,
                          (long long)n, sx);
            return NULL;
        }
        out_shape[d] = n + left + right;
        c.in_shape[d - first] = n;
        c.out_shape[d - first] = out_shape[d];
    }
    sg_tensor *y = sg_graph_tensor(g, x->ndim, out_shape);
    if (!y) return NULL;
    /* The index maps live in the node when it is recorded, else in scratch. */
    bool keep = will_record(g, 1, &x);
    sg_arena_mark mark = sg_graph_scratch_mark(g);
    for (int k = 0; k < c.p; k++) {
        int d = x->ndim - 1 - k;
        int64_t n = x->shape[d], left = n_pads ? pads[2 * k] : 0, no = out_shape[d];
        int64_t *map = sg_graph_alloc(g, (size_t)(no ? no : 1) * sizeof *map);
        if (!map) return NULL;
        for (int64_t o = 0; o < no; o++) {
            int64_t i = o - left;
            if (i < 0 || i >= n) {
                switch (mode) {
                case SG_PAD_CONSTANT: i = -1; break;
                case SG_PAD_REFLECT: i = i < 0 ? -i : 2 * (n - 1) - i; break;
                case SG_PAD_REPLICATE: i = i < 0 ? 0 : n - 1; break;
                case SG_PAD_CIRCULAR: i = ((i % n) + n) % n; break;
                }
            }
            map[o] = i;
        }
        c.map[d - first] = map;
    }
    if (!sg_graph_dry(g)) pad_run(&c, x->data, y->data, false);
    if (!keep) {
        sg_graph_scratch_release(g, mark);
        return sg_graph_error(g) ? NULL : y;
    }
    sg_node *node = sg_graph_record(g, "pad", y, 1, &x, pad_backward, sizeof c);
    if (node) *(pad_ctx *)node->ctx = c;
    return sg_graph_error(g) ? NULL : y;
}

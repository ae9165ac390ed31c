/* layers/broadcast.c - the broadcasting shape rule and the collapsed strided
 * walk shared by the binary elementwise ops and the reductions' backward. */
#include "layers/broadcast.h"

#include "core/kernels/kernels.h"
#include "core/pool.h"

bool sg_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *nout,
                        int64_t *out)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {          /* i counts dims from the right */
        int64_t ea = i < na ? a[na - 1 - i] : 1, eb = i < nb ? b[nb - 1 - i] : 1;
        if (ea != eb && ea != 1 && eb != 1) return false;
        out[n - 1 - i] = ea == 1 ? eb : ea;
    }
    *nout = n;
    return true;
}

/* The input's extent in output dim d, with missing leading dims as 1. */
static int64_t aligned_extent(int ndim, int nin, const int64_t *in, int d)
{
    int k = d - (ndim - nin);
    return k >= 0 ? in[k] : 1;
}

void sg_bcast_plan_init(sg_bcast_plan *p, int ndim, const int64_t *out, int na, const int64_t *a,
                        int nb, const int64_t *b)
{
    const int nin[2] = {na, nb};
    const int64_t *in[2] = {a, b};
    /* Contiguous strides of each input in its own (left-padded) shape. */
    int64_t stride[2][SG_MAX_DIMS];
    for (int k = 0; k < 2; k++) {
        int64_t s = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            stride[k][d] = s;
            s *= aligned_extent(ndim, nin[k], in[k], d);
        }
    }
    /* Merge adjacent dims with the same (broadcast a?, broadcast b?) pattern;
     * a merged group takes the innermost dim's stride (the inputs are
     * contiguous, so that is the stride of the whole group). */
    int m = 0;
    bool group_bcast[SG_MAX_DIMS][2];
    for (int d = 0; d < ndim; d++) {
        if (out[d] == 1) continue;
        bool bc[2];
        for (int k = 0; k < 2; k++) bc[k] = aligned_extent(ndim, nin[k], in[k], d) == 1;
        if (m > 0 && group_bcast[m - 1][0] == bc[0] && group_bcast[m - 1][1] == bc[1]) {
            p->shape[m - 1] *= out[d];
        } else {
            p->shape[m] = out[d];
            group_bcast[m][0] = bc[0];
            group_bcast[m][1] = bc[1];
            m++;
        }
        for (int k = 0; k < 2; k++) p->stride[k][m - 1] = bc[k] ? 0 : stride[k][d];
    }
    if (m == 0) {   /* every extent is 1: a single element */
        p->shape[0] = 1;
        p->stride[0][0] = p->stride[1][0] = 0;
        m = 1;
    }
    p->ndim = m;
    p->len = p->shape[m - 1];
    int64_t numel = 1;
    for (int i = 0; i < m; i++) numel *= p->shape[i];
    p->rows = p->len ? numel / p->len : 0;
    p->inner[0] = p->stride[0][m - 1];
    p->inner[1] = p->stride[1][m - 1];
}

void sg_bcast_seek(const sg_bcast_plan *p, sg_bcast_cursor *c, int64_t row)
{
    c->off[0] = c->off[1] = 0;
    for (int d = p->ndim - 2; d >= 0; d--) {
        c->idx[d] = row % p->shape[d];
        row /= p->shape[d];
        c->off[0] += c->idx[d] * p->stride[0][d];
        c->off[1] += c->idx[d] * p->stride[1][d];
    }
}

void sg_bcast_next(const sg_bcast_plan *p, sg_bcast_cursor *c)
{
    for (int d = p->ndim - 2; d >= 0; d--) {
        c->off[0] += p->stride[0][d];
        c->off[1] += p->stride[1][d];
        if (++c->idx[d] < p->shape[d]) return;
        c->off[0] -= p->stride[0][d] * p->shape[d];
        c->off[1] -= p->stride[1][d] * p->shape[d];
        c->idx[d] = 0;
    }
}

int64_t sg_bcast_row_grain(const sg_bcast_plan *p)
{
    int64_t g = p->len > 0 ? 16384 / p->len : 1;
    return g > 0 ? g : 1;
}

typedef struct broadcast_add_job {
    const sg_bcast_plan *plan;
    float *dst;
    const float *src;
    float scale;
} broadcast_add_job;

static void broadcast_add_rows(void *ctx, int64_t r0, int64_t r1)
{
    const broadcast_add_job *J = ctx;
    const sg_bcast_plan *p = J->plan;
    const int64_t len = p->len;
    const sg_reduce_sum_backward_fn add = sg_kernels()->reduce_sum_backward;
    sg_bcast_cursor c;
    sg_bcast_seek(p, &c, r0);
    for (int64_t r = r0; r < r1; r++, sg_bcast_next(p, &c)) {
        /* d[i] += scale * s[i] (or s[0] broadcast): the table's reduce_sum_backward */
        add(J->dst + r * len, J->src + c.off[1], p->inner[1] ? 1 : 0, J->scale, len);
    }
}

void sg_broadcast_add(float *dst, int dst_ndim, const int64_t *dst_shape, const float *src,
                      int src_ndim, const int64_t *src_shape, float scale)
{
    sg_bcast_plan p;
    sg_bcast_plan_init(&p, dst_ndim, dst_shape, dst_ndim, dst_shape, src_ndim, src_shape);
    broadcast_add_job J = {&p, dst, src, scale};
    sg_parallel_for(p.rows, sg_bcast_row_grain(&p), broadcast_add_rows, &J);
}

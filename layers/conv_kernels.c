/* layers/conv_kernels.c - the three convolution products, on sg_gemm and on
 * the kernel families im2col, col2im and the depthwise planes of the dispatch
 * table: here the strategies, the chunking and the threads.
 * See layers/conv_kernels.h for the map they compute and the strategies. */
#include "layers/conv_kernels.h"

#include <string.h>

#include "core/gemm.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/sum.h"

/* Work (multiply-adds or copies) below which a parallel chunk is not worth it. */
enum { PARALLEL_GRAIN_WORK = 1 << 15 };

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Grain (items per chunk) so that one chunk holds about PARALLEL_GRAIN_WORK of
 * work when each item costs `work_per_item`; depends on sizes only. */
static int64_t grain_for(int64_t work_per_item)
{
    return max64(1, PARALLEL_GRAIN_WORK / max64(1, work_per_item));
}

/* The kernels' view of one plane (core/kernels/kernels.h: sg_dw_geom). */
static sg_dw_geom plane_geom(const sg_conv_geom *G)
{
    return (sg_dw_geom){G->H, G->W, G->OH, G->OW, G->KH, G->KW, G->stride_h, G->stride_w,
                        G->dil_h, G->dil_w, G->pad_top, G->pad_left};
}

static bool is_depthwise(const sg_conv_geom *G) { return G->C == G->groups; }

static bool is_pointwise(const sg_conv_geom *G)
{
    return G->KH == 1 && G->KW == 1 && G->stride_h == 1 && G->stride_w == 1 &&
           G->pad_top == 0 && G->pad_left == 0 && G->OH == G->H && G->OW == G->W;
}

/* ---------------------------------------------------------------------------
 * im2col / col2im over a range of output columns: the table's kernel families
 * im2col and col2im (core/kernels/kernels.h states the map, conv_scalar.c the
 * order). For one group, the column matrix has K = Cg*KH*KW rows and one
 * column per output position j = n*OH*OW + oh*OW + ow; a chunk holds columns
 * [j0, j0 + ncols). Here: the threads (rows of the matrix for im2col, whole
 * input channels for col2im, so each dx element is added by one thread in the
 * kernel's order).
 * ------------------------------------------------------------------------- */

typedef struct {
    sg_dw_geom g;           /* the plane geometry the kernels take */
    const float *x;         /* im2col source */
    float *dx;              /* col2im destination */
    int64_t img_stride;
    int64_t j0, ncols;
    float *col;             /* im2col destination */
    const float *dcol;      /* col2im source */
} col_job;

static void im2col_rows(void *arg, int64_t r0, int64_t r1)
{
    const col_job *J = arg;
    sg_kernels()->im2col(&J->g, J->x, J->img_stride, J->j0, J->ncols, r0, r1, J->col);
}

static void col2im_channels(void *arg, int64_t c0, int64_t c1)
{
    const col_job *J = arg;
    sg_kernels()->col2im(&J->g, J->dcol, J->j0, J->ncols, c0, c1, J->dx, J->img_stride);
}

/* Walks the columns [j0, j0 + ncols) in segments that stay inside one output
 * row: image n, output row oh, columns ow0 .. ow0 + len - 1, which sit at
 * offset `done` of the chunk (the packers below; the kernels walk the same way,
 * core/kernels/conv_walk.h). */
typedef struct {
    int64_t OH, OW, ncols;
    int64_t n, oh, ow0, len, done;
} row_segments;

static void segments_begin(row_segments *s, const sg_conv_geom *G, int64_t j0, int64_t ncols)
{
    int64_t P = G->OH * G->OW;
    s->OH = G->OH, s->OW = G->OW, s->ncols = ncols;
    s->n = j0 / P, s->oh = (j0 % P) / G->OW, s->ow0 = (j0 % P) % G->OW;
    s->len = -1, s->done = 0;
}

static bool segments_next(row_segments *s)
{
    if (s->len >= 0) {             /* step past the previous segment */
        s->done += s->len;
        s->ow0 = 0;
        if (++s->oh == s->OH) {
            s->oh = 0;
            s->n++;
        }
    }
    if (s->done >= s->ncols) return false;
    s->len = min64(s->OW - s->ow0, s->ncols - s->done);
    return true;
}

/* ---------------------------------------------------------------------------
 * Packing between the NCHW layout and a chunk [Og, ncols] of the columns of
 * all images (the GEMM's output / input for one group).
 * ------------------------------------------------------------------------- */

typedef struct {
    const sg_conv_geom *G;
    float *y;               /* unpack destination, at the group's first output channel */
    const float *dy;        /* pack source, likewise */
    const float *out;       /* unpack source [Og, ncols] */
    float *packed;          /* pack destination [Og, ncols] */
    const float *bias;      /* at the group's first channel, or NULL */
    int64_t j0, ncols;
    bool accumulate;
} pack_job;

/* y[n, o, p] = (accumulate ? y : 0) + out[o][j] + bias[o]. */
static void unpack_rows(void *arg, int64_t o0, int64_t o1)
{
    const pack_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t P = G->OH * G->OW;
    for (int64_t o = o0; o < o1; o++) {
        float bv = J->bias ? J->bias[o] : 0.0f;
        row_segments s;
        for (segments_begin(&s, G, J->j0, J->ncols); segments_next(&s);) {
            const float *src = J->out + o * J->ncols + s.done;
            float *dst = J->y + (s.n * G->O + o) * P + s.oh * G->OW + s.ow0;
            if (J->accumulate)
                for (int64_t q = 0; q < s.len; q++) dst[q] += src[q] + bv;
            else
                for (int64_t q = 0; q < s.len; q++) dst[q] = src[q] + bv;
        }
    }
}

/* packed[o][j] = dy[n, o, p]. */
static void pack_rows(void *arg, int64_t o0, int64_t o1)
{
    const pack_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t P = G->OH * G->OW;
    for (int64_t o = o0; o < o1; o++) {
        row_segments s;
        for (segments_begin(&s, G, J->j0, J->ncols); segments_next(&s);)
            memcpy(J->packed + o * J->ncols + s.done,
                   J->dy + (s.n * G->O + o) * P + s.oh * G->OW + s.ow0,
                   (size_t)s.len * sizeof(float));
    }
}

static void run_im2col(const sg_conv_geom *G, const float *x_group, int64_t j0, int64_t ncols,
                       float *col)
{
    col_job J = {plane_geom(G), x_group, NULL, G->C * G->H * G->W, j0, ncols, col, NULL};
    int64_t K = G->C / G->groups * G->KH * G->KW;
    sg_parallel_for(K, grain_for(ncols), im2col_rows, &J);
}

static void run_col2im(const sg_conv_geom *G, const float *dcol, int64_t j0, int64_t ncols,
                       float *dx_group)
{
    col_job J = {plane_geom(G), NULL, dx_group, G->C * G->H * G->W, j0, ncols, NULL, dcol};
    sg_parallel_for(G->C / G->groups, grain_for(G->KH * G->KW * ncols), col2im_channels, &J);
}

/* y_group (NCHW) = / += packed + bias. */
static void run_unpack(const sg_conv_geom *G, const float *packed, const float *bias,
                       int64_t j0, int64_t ncols, bool accumulate, float *y_group)
{
    pack_job J = {G, y_group, NULL, packed, NULL, bias, j0, ncols, accumulate};
    sg_parallel_for(G->O / G->groups, grain_for(ncols), unpack_rows, &J);
}

/* packed = the columns [j0, j0 + ncols) of dy_group (NCHW). */
static void run_pack(const sg_conv_geom *G, const float *dy_group, int64_t j0, int64_t ncols,
                     float *packed)
{
    pack_job J = {G, NULL, dy_group, NULL, packed, NULL, j0, ncols, false};
    sg_parallel_for(G->O / G->groups, grain_for(ncols), pack_rows, &J);
}

/* Columns per chunk so that the im2col chunk [K, cols] plus the packed chunk
 * [Og, cols] fit in SG_CONV_SCRATCH_FLOATS (at least one column). */
static int64_t chunk_columns(const sg_conv_geom *G)
{
    int64_t K = G->C / G->groups * G->KH * G->KW, Og = G->O / G->groups;
    int64_t total = G->N * G->OH * G->OW;
    return max64(1, min64(total, SG_CONV_SCRATCH_FLOATS / (K + Og)));
}

/* ---------------------------------------------------------------------------
 * Direct convolution at stride 1 (the table's conv_s1): the input of a chunk
 * of images is copied once with its padding written out, then each (image,
 * group, block of output channels) runs the kernel, which gives the bits of
 * im2col + sgemm + unpack (kernels.h) without the column matrix.
 * ------------------------------------------------------------------------- */

/* Output channels per task of the direct path (a multiple of every twin's block). */
enum { S1_TASK_CHANNELS = 16 };

static sg_conv_direct_mode direct_mode = SG_CONV_DIRECT_AUTO;

void sg_conv_set_direct(sg_conv_direct_mode mode) { direct_mode = mode; }

/* Whether a stride-1 product takes its direct kernel `family`: never for
 * 1x1 convolutions without padding (their GEMM needs no copy), always under
 * SG_CONV_DIRECT_ALWAYS, else where the table has a SIMD twin of it (the
 * scalar one is the reference, slower than the scalar GEMM) and the shape is
 * one it is faster on (`faster`, from the measurements of docs/PERFORMANCE.md:
 * few channels, rows that fill the vectors). */
static bool direct_path(const sg_conv_geom *G, int family, bool faster)
{
    if (G->stride_h != 1 || G->stride_w != 1 || is_pointwise(G) || direct_mode == SG_CONV_DIRECT_NEVER)
        return false;
    return direct_mode == SG_CONV_DIRECT_ALWAYS ||
           (faster && sg_kernel_family_isa(sg_kernels(), family) != SG_ISA_SCALAR);
}

/* Output channels and taps (C/groups x KH x KW) of one group. */
static int64_t group_outputs(const sg_conv_geom *G) { return G->O / G->groups; }
static int64_t group_taps(const sg_conv_geom *G) { return G->C / G->groups * G->KH * G->KW; }

/* The forward: with 64 channels in and out the packed GEMM is as fast, with
 * more it is faster; rows under 12 leave most of a vector empty. */
static bool use_direct(const sg_conv_geom *G)
{
    return direct_path(G, SG_KERNEL_conv_s1, G->OW >= 12 && group_outputs(G) <= 64 && group_taps(G) <= 64 * 9);
}

/* The kernels' view of one group's padded input (kernels.h: sg_conv_s1_geom). */
static sg_conv_s1_geom s1_geom(const sg_conv_geom *G)
{
    return (sg_conv_s1_geom){G->C / G->groups, G->OH + (G->KH - 1) * G->dil_h, G->OW + (G->KW - 1) * G->dil_w,
                             G->OH, G->OW, G->KH, G->KW, G->dil_h, G->dil_w};
}

typedef struct {
    const sg_conv_geom *G;
    sg_conv_s1_geom g;
    const float *x, *w, *b;
    float *xp, *y;
    int64_t n0, img_floats, oparts;
    bool accumulate;
} s1_job;

/* Planes (image n0 + i, channel c) of the padded copy: rows of zeros, then
 * each input row between its left and right zeros. */
static void s1_pad_planes(void *arg, int64_t p0, int64_t p1)
{
    const s1_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t HP = J->g.HP, WP = J->g.WP;
    for (int64_t pl = p0; pl < p1; pl++) {
        const float *src = J->x + (J->n0 * G->C + pl) * G->H * G->W;
        float *dst = J->xp + pl * HP * WP;
        for (int64_t r = 0; r < HP; r++) {
            float *d = dst + r * WP;
            const int64_t ih = r - G->pad_top;
            if (ih < 0 || ih >= G->H) {
                memset(d, 0, (size_t)WP * sizeof(float));
                continue;
            }
            const int64_t right = WP - G->pad_left - G->W;   /* >= 0 at stride 1 */
            memset(d, 0, (size_t)G->pad_left * sizeof(float));
            memcpy(d + G->pad_left, src + ih * G->W, (size_t)G->W * sizeof(float));
            memset(d + G->pad_left + G->W, 0, (size_t)right * sizeof(float));
        }
    }
}

/* Tasks (image, group, part of the group's output channels). */
static void s1_tasks(void *arg, int64_t t0, int64_t t1)
{
    const s1_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, P = G->OH * G->OW;
    const int64_t per_img = G->groups * J->oparts;
    const sg_conv_s1_fn conv = sg_kernels()->conv_s1;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t i = t / per_img, grp = (t % per_img) / J->oparts, part = t % J->oparts;
        const int64_t o0 = part * S1_TASK_CHANNELS, o1 = min64(Og, o0 + S1_TASK_CHANNELS);
        const int64_t n = J->n0 + i, taps = Cg * G->KH * G->KW;
        conv(&J->g, J->xp + i * J->img_floats + grp * Cg * J->g.HP * J->g.WP, J->w + grp * Og * taps,
             J->b ? J->b + grp * Og : NULL, J->accumulate, o0, o1, J->y + (n * G->O + grp * Og) * P);
    }
}

static sg_err conv_forward_direct(sg_arena *scratch, const sg_conv_geom *G, const float *x, const float *w,
                                  const float *b, float *y, bool accumulate)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups;
    const sg_conv_s1_geom g = s1_geom(G);
    const int64_t img = G->C * g.HP * g.WP;
    const int64_t per_chunk = max64(1, min64(G->N, SG_CONV_SCRATCH_FLOATS / img));
    sg_arena_mark mark = sg_arena_get_mark(scratch);
    float *xp = sg_arena_alloc(scratch, (size_t)(per_chunk * img + SG_CONV_S1_SLACK) * sizeof(float));
    if (!xp) return SG_ERR_NOMEM;
    memset(xp + per_chunk * img, 0, SG_CONV_S1_SLACK * sizeof(float));
    s1_job J = {G, g, x, w, b, xp, y, 0, img, (Og + S1_TASK_CHANNELS - 1) / S1_TASK_CHANNELS, accumulate};
    const int64_t taps = Cg * G->KH * G->KW;
    for (J.n0 = 0; J.n0 < G->N; J.n0 += per_chunk) {
        const int64_t nimg = min64(per_chunk, G->N - J.n0);
        sg_parallel_for(nimg * G->C, grain_for(g.HP * g.WP), s1_pad_planes, &J);
        sg_parallel_for(nimg * G->groups * J.oparts,
                        grain_for(S1_TASK_CHANNELS * G->OH * G->OW * taps), s1_tasks, &J);
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

/* The weight gradient at stride 1 (the table's conv_s1_dw): the chunks of
 * positions of the general path (so the same bits), each chunk's images
 * padded as for the forward and its output gradient laid out position-major
 * (dyT), then tasks of (16 output channels, a range of at most S1_DW_TAPS
 * taps), each one thread's chains over the whole chunk: each weight is
 * computed whole by one task, so the ranges may follow the thread count
 * (enough tasks for every thread, of even sizes) without changing a bit. */
enum { S1_DW_TAPS = 24 };

/* (64 channels in and out: the packed GEMM is faster) */
static bool use_direct_dw(const sg_conv_geom *G)
{
    return direct_path(G, SG_KERNEL_conv_s1_dw, group_outputs(G) <= 64 && group_taps(G) <= 32 * 9);
}

typedef struct {
    const sg_conv_geom *G;
    sg_conv_s1_geom g;
    const float *dy;
    float *xp, *dyT, *dw;
    int64_t n_first, img_floats, j0, nc, ldo, grp, tap_parts, tap_range;
} s1_dw_job;

/* dyT[jj][o] = dy[n, grp*Og + o, p] for the chunk's positions [j0 + jj0, j0 + jj1). */
static void s1_dw_transpose(void *arg, int64_t jj0, int64_t jj1)
{
    const s1_dw_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t P = G->OH * G->OW, Og = G->O / G->groups;
    for (int64_t jj = jj0; jj < jj1; jj++) {
        const int64_t j = J->j0 + jj, n = j / P, p = j % P;
        const float *d = J->dy + (n * G->O + J->grp * Og) * P + p;
        float *row = J->dyT + jj * J->ldo;
        for (int64_t o = 0; o < Og; o++) row[o] = d[o * P];
        for (int64_t o = Og; o < J->ldo; o++) row[o] = 0.0f;
    }
}

static void s1_dw_tasks(void *arg, int64_t t0, int64_t t1)
{
    const s1_dw_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, taps = Cg * G->KH * G->KW;
    const sg_conv_s1_dw_fn grad = sg_kernels()->conv_s1_dw;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t o0 = t / J->tap_parts * 16, a = t % J->tap_parts * J->tap_range;
        grad(&J->g, J->xp + J->grp * Cg * J->g.HP * J->g.WP, J->img_floats, J->dyT, J->ldo,
             J->j0 - J->n_first * G->OH * G->OW, J->nc, o0, min64(Og, o0 + 16), a, min64(taps, a + J->tap_range),
             J->dw + J->grp * Og * taps);
    }
}

static sg_err conv_backward_weight_direct(sg_arena *scratch, const sg_conv_geom *G, const float *x,
                                          const float *dy, float *dw)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, taps = Cg * G->KH * G->KW;
    const int64_t P = G->OH * G->OW, total = G->N * P, cols = chunk_columns(G);
    const sg_conv_s1_geom g = s1_geom(G);
    const int64_t img = G->C * g.HP * g.WP, span = min64(G->N, (cols + P - 1) / P + 1);
    const int64_t ldo = (Og + 15) / 16 * 16;
    sg_arena_mark mark = sg_arena_get_mark(scratch);
    float *xp = sg_arena_alloc(scratch, (size_t)(span * img + SG_CONV_S1_SLACK) * sizeof(float));
    float *dyT = sg_arena_alloc(scratch, (size_t)(cols * ldo) * sizeof(float));
    if (!xp || !dyT) {
        sg_arena_release(scratch, mark);
        return SG_ERR_NOMEM;
    }
    memset(xp + span * img, 0, SG_CONV_S1_SLACK * sizeof(float));
    s1_job pad = {G, g, x, NULL, NULL, xp, NULL, 0, img, 0, false};
    const int64_t oblocks = (Og + 15) / 16;
    const int64_t parts = max64((taps + S1_DW_TAPS - 1) / S1_DW_TAPS, min64(taps, (sg_threads() + oblocks - 1) / oblocks));
    const int64_t range = (taps + parts - 1) / parts;
    s1_dw_job J = {G, g, dy, xp, dyT, dw, 0, img, 0, 0, ldo, 0, (taps + range - 1) / range, range};
    /* Chunks of columns in increasing j (image 0 first), as the general path. */
    for (int64_t j0 = 0; j0 < total; j0 += cols) {
        J.j0 = j0, J.nc = min64(cols, total - j0);
        J.n_first = j0 / P;
        const int64_t nimg = (j0 + J.nc - 1) / P - J.n_first + 1;
        pad.n0 = J.n_first;
        sg_parallel_for(nimg * G->C, grain_for(g.HP * g.WP), s1_pad_planes, &pad);
        for (J.grp = 0; J.grp < G->groups; J.grp++) {
            sg_parallel_for(J.nc, grain_for(ldo), s1_dw_transpose, &J);
            sg_parallel_for(oblocks * J.tap_parts, grain_for(J.nc * 16 * range), s1_dw_tasks, &J);
        }
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

/* The input gradient at stride 1 (the table's conv_s1_dx): the chunks of
 * positions of the general path, each chunk's images' dy copied with its
 * padding (kernels.h), then tasks of (image, group, 16 input channels) that
 * add the chunk's taps into dx in the general path's order: the same bits. */
enum { S1_DX_CHANNELS = 16 };

/* (rows under 12 wide, or 64 output channels: the GEMM + col2im is as fast or faster) */
static bool use_direct_dx(const sg_conv_geom *G)
{
    return direct_path(G, SG_KERNEL_conv_s1_dx, G->W >= 12 && group_outputs(G) <= 32 && group_taps(G) <= 32 * 9);
}

typedef struct {
    const sg_conv_geom *G;
    sg_conv_s1_dx_geom g;
    const float *dy, *w;
    float *dyq, *dx;
    int64_t n_first, nimg, img_q, j0, j1, cparts;
} s1_dx_job;

/* Planes (image n_first + i, output channel o) of the padded dy. */
static void s1_dx_pad(void *arg, int64_t p0, int64_t p1)
{
    const s1_dx_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t TQ = (G->KH - 1) * G->dil_h, LQ = (G->KW - 1) * G->dil_w, WQ = G->OW + 2 * LQ;
    const int64_t HQ = G->OH + 2 * TQ;
    for (int64_t pl = p0; pl < p1; pl++) {
        const float *src = J->dy + (J->n_first * G->O + pl) * G->OH * G->OW;
        float *dst = J->dyq + pl * HQ * WQ;
        memset(dst, 0, (size_t)(TQ * WQ) * sizeof(float));
        for (int64_t r = 0; r < G->OH; r++) {
            float *d = dst + (TQ + r) * WQ;
            memset(d, 0, (size_t)LQ * sizeof(float));
            memcpy(d + LQ, src + r * G->OW, (size_t)G->OW * sizeof(float));
            memset(d + LQ + G->OW, 0, (size_t)LQ * sizeof(float));
        }
        memset(dst + (TQ + G->OH) * WQ, 0, (size_t)(TQ * WQ) * sizeof(float));
    }
}

static void s1_dx_tasks(void *arg, int64_t t0, int64_t t1)
{
    const s1_dx_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, P = G->OH * G->OW, HW = G->H * G->W;
    const int64_t plane_q = (G->OH + 2 * (G->KH - 1) * G->dil_h) * (G->OW + 2 * (G->KW - 1) * G->dil_w);
    const sg_conv_s1_dx_fn grad = sg_kernels()->conv_s1_dx;
    for (int64_t t = t0; t < t1; t++) {
        const int64_t i = t / (G->groups * J->cparts), grp = t / J->cparts % G->groups, part = t % J->cparts;
        const int64_t n = J->n_first + i, c0 = part * S1_DX_CHANNELS;
        /* the chunk's positions inside image n */
        const int64_t jlo = max64(J->j0 - n * P, 0), jhi = min64(J->j1 - n * P, P);
        grad(&J->g, J->dyq + i * J->img_q + grp * Og * plane_q, J->w + grp * Og * Cg * G->KH * G->KW, jlo, jhi,
             c0, min64(Cg, c0 + S1_DX_CHANNELS), J->dx + (n * G->C + grp * Cg) * HW);
    }
}

static sg_err conv_backward_data_direct(sg_arena *scratch, const sg_conv_geom *G, const float *dy, const float *w,
                                        float *dx)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups;
    const int64_t P = G->OH * G->OW, total = G->N * P, cols = chunk_columns(G);
    const int64_t TQ = (G->KH - 1) * G->dil_h, LQ = (G->KW - 1) * G->dil_w;
    const int64_t img_q = G->O * (G->OH + 2 * TQ) * (G->OW + 2 * LQ), span = min64(G->N, (cols + P - 1) / P + 1);
    sg_arena_mark mark = sg_arena_get_mark(scratch);
    float *dyq = sg_arena_alloc(scratch, (size_t)(span * img_q + SG_CONV_S1_SLACK) * sizeof(float));
    if (!dyq) return SG_ERR_NOMEM;
    memset(dyq + span * img_q, 0, SG_CONV_S1_SLACK * sizeof(float));
    s1_dx_job J = {G, {Cg, Og, G->H, G->W, G->OH, G->OW, G->KH, G->KW, G->dil_h, G->dil_w, G->pad_top, G->pad_left},
                   dy, w, dyq, dx, 0, 0, img_q, 0, 0, (Cg + S1_DX_CHANNELS - 1) / S1_DX_CHANNELS};
    /* Chunks of columns in increasing j, as the general path: a pixel whose
     * taps fall in two chunks adds the first chunk's first. */
    for (int64_t j0 = 0; j0 < total; j0 += cols) {
        J.j0 = j0, J.j1 = min64(total, j0 + cols);
        J.n_first = j0 / P, J.nimg = (J.j1 - 1) / P - J.n_first + 1;
        sg_parallel_for(J.nimg * G->O, grain_for((G->OH + 2 * TQ) * (G->OW + 2 * LQ)), s1_dx_pad, &J);
        sg_parallel_for(J.nimg * G->groups * J.cparts,
                        grain_for(S1_DX_CHANNELS * G->H * G->W * Og * G->KH * G->KW), s1_dx_tasks, &J);
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

/* ---------------------------------------------------------------------------
 * Depthwise: one input channel per group (groups == C), O = C * mult.
 * Output channel o reads input channel o / mult. Forward and input gradient
 * run the table's plane kernels (core/kernels/depthwise_*.c); the weight
 * gradient walks one kernel tap along an output row for the ow whose input
 * lies inside the row (sg_dw_tap_range), so no per-pixel bounds test.
 * ------------------------------------------------------------------------- */

typedef struct {
    const sg_conv_geom *G;
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw;
    bool accumulate;
} dw_job;

/* Planes (n, o) of y: the table's depthwise forward kernel, one plane each. */
static void depthwise_forward_planes(void *arg, int64_t p0, int64_t p1)
{
    const dw_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t mult = G->O / G->C, HW = G->H * G->W, KK = G->KH * G->KW;
    const sg_dw_geom g = plane_geom(G);
    const sg_dw_forward_fn forward = sg_kernels()->dw_forward;
    for (int64_t pl = p0; pl < p1; pl++) {
        int64_t n = pl / G->O, o = pl % G->O, ci = o / mult;
        forward(&g, J->x + (n * G->C + ci) * HW, J->w + o * KK, J->b ? J->b[o] : 0.0f, J->accumulate,
                J->y + pl * G->OH * G->OW);
    }
}

/* Planes (n, ci) of dx: the mult output channels of ci are added in order. */
static void depthwise_backward_data_planes(void *arg, int64_t p0, int64_t p1)
{
    const dw_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t mult = G->O / G->C, HW = G->H * G->W, KK = G->KH * G->KW;
    const sg_dw_geom g = plane_geom(G);
    const sg_dw_backward_data_fn backward = sg_kernels()->dw_backward_data;
    for (int64_t pl = p0; pl < p1; pl++) {
        int64_t n = pl / G->C, ci = pl % G->C;
        for (int64_t o = ci * mult; o < (ci + 1) * mult; o++)
            backward(&g, J->dy + (n * G->O + o) * G->OH * G->OW, J->w + o * KK, J->dx + pl * HW);
    }
}

/* Output channels o of dw: the table's depthwise weight-gradient kernel, one
 * channel each (each tap sums over images 0, 1, 2, ... in double). */
static void depthwise_backward_weight_channels(void *arg, int64_t o0, int64_t o1)
{
    const dw_job *J = arg;
    const sg_conv_geom *G = J->G;
    const int64_t mult = G->O / G->C, HW = G->H * G->W, P = G->OH * G->OW;
    const sg_dw_geom g = plane_geom(G);
    const sg_dw_backward_weight_fn weight = sg_kernels()->dw_backward_weight;
    for (int64_t o = o0; o < o1; o++)
        weight(&g, G->N, J->x + (o / mult) * HW, G->C * HW, J->dy + o * P, G->O * P,
               J->dw + o * G->KH * G->KW);
}

/* ---------------------------------------------------------------------------
 * The three products.
 * ------------------------------------------------------------------------- */

/* The two scratch buffers of a chunked product, K x cols and Og x cols
 * floats, taken after `mark`; false (and nothing kept) when the arena cannot
 * grow. The caller releases to `mark` when done. */
static bool chunk_buffers(sg_arena *scratch, int64_t K, int64_t Og, int64_t cols,
                          sg_arena_mark *mark, float **kbuf, float **obuf)
{
    *mark = sg_arena_get_mark(scratch);
    *kbuf = sg_arena_alloc(scratch, (size_t)(K * cols) * sizeof(float));
    *obuf = sg_arena_alloc(scratch, (size_t)(Og * cols) * sizeof(float));
    if (*kbuf && *obuf) return true;
    sg_arena_release(scratch, *mark);
    return false;
}

sg_err sg_conv_forward_raw(sg_arena *scratch, const sg_conv_geom *G, const float *x,
                           const float *w, const float *b, float *y, bool accumulate)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, K = Cg * G->KH * G->KW;
    const int64_t HW = G->H * G->W, P = G->OH * G->OW;
    if (is_depthwise(G)) {
        dw_job J = {.G = G, .x = x, .w = w, .b = b, .y = y, .accumulate = accumulate};
        sg_parallel_for(G->N * G->O, grain_for(P * G->KH * G->KW), depthwise_forward_planes, &J);
        return SG_OK;
    }
    if (is_pointwise(G)) {
        /* y[n] (Og x P, per group) = w_g (Og x Cg) * x[n]_g (Cg x P): start from
         * the bias (or the old y) and let the GEMM add with beta = 1. */
        for (int64_t n = 0; n < G->N; n++) {
            float *yn = y + n * G->O * P;
            if (!accumulate)
                for (int64_t o = 0; o < G->O; o++)
                    for (int64_t p = 0; p < P; p++) yn[o * P + p] = b ? b[o] : 0.0f;
            else if (b)
                for (int64_t o = 0; o < G->O; o++)
                    for (int64_t p = 0; p < P; p++) yn[o * P + p] += b[o];
            for (int64_t grp = 0; grp < G->groups; grp++)
                sg_gemm(false, false, Og, P, Cg, 1.0f, w + grp * Og * Cg, Cg,
                        x + n * G->C * HW + grp * Cg * HW, HW, 1.0f, yn + grp * Og * P, P);
        }
        return SG_OK;
    }
    if (use_direct(G)) return conv_forward_direct(scratch, G, x, w, b, y, accumulate);
    const int64_t total = G->N * P, cols = chunk_columns(G);
    sg_arena_mark mark;
    float *col, *out;
    if (!chunk_buffers(scratch, K, Og, cols, &mark, &col, &out)) return SG_ERR_NOMEM;
    for (int64_t j0 = 0; j0 < total; j0 += cols) {
        int64_t nc = min64(cols, total - j0);
        for (int64_t grp = 0; grp < G->groups; grp++) {
            /* out (Og x nc) = w_g (Og x K) * col (K x nc), then into NCHW + bias. */
            run_im2col(G, x + grp * Cg * HW, j0, nc, col);
            sg_gemm(false, false, Og, nc, K, 1.0f, w + grp * Og * K, K, col, nc, 0.0f, out, nc);
            run_unpack(G, out, b ? b + grp * Og : NULL, j0, nc, accumulate, y + grp * Og * P);
        }
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

sg_err sg_conv_backward_data_raw(sg_arena *scratch, const sg_conv_geom *G, const float *dy,
                                 const float *w, float *dx)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, K = Cg * G->KH * G->KW;
    const int64_t HW = G->H * G->W, P = G->OH * G->OW;
    if (is_depthwise(G)) {
        dw_job J = {.G = G, .w = w, .dy = dy, .dx = dx};
        int64_t mult = G->O / G->C;
        sg_parallel_for(G->N * G->C, grain_for(mult * P * G->KH * G->KW),
                        depthwise_backward_data_planes, &J);
        return SG_OK;
    }
    if (is_pointwise(G)) {
        /* dx[n]_g (Cg x P) += w_g^T (Cg x Og) * dy[n]_g (Og x P). */
        for (int64_t n = 0; n < G->N; n++)
            for (int64_t grp = 0; grp < G->groups; grp++)
                sg_gemm(true, false, Cg, P, Og, 1.0f, w + grp * Og * Cg, Cg,
                        dy + n * G->O * P + grp * Og * P, P, 1.0f,
                        dx + n * G->C * HW + grp * Cg * HW, HW);
        return SG_OK;
    }
    if (use_direct_dx(G)) return conv_backward_data_direct(scratch, G, dy, w, dx);
    const int64_t total = G->N * P, cols = chunk_columns(G);
    sg_arena_mark mark;
    float *dcol, *dyp;
    if (!chunk_buffers(scratch, K, Og, cols, &mark, &dcol, &dyp)) return SG_ERR_NOMEM;
    for (int64_t j0 = 0; j0 < total; j0 += cols) {
        int64_t nc = min64(cols, total - j0);
        for (int64_t grp = 0; grp < G->groups; grp++) {
            /* dcol (K x nc) = w_g^T (K x Og) * dy_g (Og x nc); col2im adds it into dx. */
            run_pack(G, dy + grp * Og * P, j0, nc, dyp);
            sg_gemm(true, false, K, nc, Og, 1.0f, w + grp * Og * K, K, dyp, nc, 0.0f, dcol, nc);
            run_col2im(G, dcol, j0, nc, dx + grp * Cg * HW);
        }
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

sg_err sg_conv_backward_weight_raw(sg_arena *scratch, const sg_conv_geom *G, const float *x,
                                   const float *dy, float *dw)
{
    const int64_t Cg = G->C / G->groups, Og = G->O / G->groups, K = Cg * G->KH * G->KW;
    const int64_t HW = G->H * G->W, P = G->OH * G->OW;
    if (is_depthwise(G)) {
        dw_job J = {.G = G, .x = x, .dy = dy, .dw = dw};
        sg_parallel_for(G->O, grain_for(G->N * P * G->KH * G->KW),
                        depthwise_backward_weight_channels, &J);
        return SG_OK;
    }
    if (is_pointwise(G)) {
        /* dw_g (Og x Cg) += dy[n]_g (Og x P) * x[n]_g^T (P x Cg), images in order. */
        for (int64_t n = 0; n < G->N; n++)
            for (int64_t grp = 0; grp < G->groups; grp++)
                sg_gemm(false, true, Og, Cg, P, 1.0f, dy + n * G->O * P + grp * Og * P, P,
                        x + n * G->C * HW + grp * Cg * HW, HW, 1.0f, dw + grp * Og * Cg, Cg);
        return SG_OK;
    }
    if (use_direct_dw(G)) return conv_backward_weight_direct(scratch, G, x, dy, dw);
    const int64_t total = G->N * P, cols = chunk_columns(G);
    sg_arena_mark mark;
    float *col, *dyp;
    if (!chunk_buffers(scratch, K, Og, cols, &mark, &col, &dyp)) return SG_ERR_NOMEM;
    /* Chunks of columns in increasing j (image 0 first): a fixed order. */
    for (int64_t j0 = 0; j0 < total; j0 += cols) {
        int64_t nc = min64(cols, total - j0);
        for (int64_t grp = 0; grp < G->groups; grp++) {
            /* dw_g (Og x K) += dy_g (Og x nc) * col^T (nc x K). */
            run_im2col(G, x + grp * Cg * HW, j0, nc, col);
            run_pack(G, dy + grp * Og * P, j0, nc, dyp);
            sg_gemm(false, true, Og, K, nc, 1.0f, dyp, nc, col, nc, 1.0f, dw + grp * Og * K, K);
        }
    }
    sg_arena_release(scratch, mark);
    return SG_OK;
}

typedef struct {
    int64_t N, C, P;
    const float *src;
    float *dst;
} sum_job;

static void channel_sum_range(void *arg, int64_t c0, int64_t c1)
{
    const sum_job *J = arg;
    for (int64_t c = c0; c < c1; c++) {
        double acc = 0.0;
        for (int64_t n = 0; n < J->N; n++) acc += sg_sum_f32(J->src + (n * J->C + c) * J->P, J->P);
        J->dst[c] += (float)acc;
    }
}

void sg_conv_channel_sum_raw(int64_t N, int64_t C, int64_t P, const float *src, float *dst)
{
    sum_job J = {N, C, P, src, dst};
    sg_parallel_for(C, grain_for(N * P), channel_sum_range, &J);
}

/* core/kernels/norm_compare.c - runs one normalisation, softmax or pooling
 * family under two kernel tables on the same inputs and compares the outputs
 * bit for bit (pooling also compares the argmax).
 * `steelgrad info --compare A,B` (quick set) and tests/test_kernels_norm.c
 * (full set: every length 0..70 and long ones, several misalignments, NaN,
 * +-inf, -0 and exp's overflow range in the inputs) share it, so a porter sees
 * the same cases the suite checks. */
#include "core/kernels/norm_compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

typedef struct nc_buf {
    float *x, *y, *w, *b, *dy, *oa, *ob;    /* inputs; outputs under table a and b */
    double *da, *db;
    int64_t cap;
} nc_buf;

/* Lengths: the quick set for info, every tail of 8 and 16 lanes and long ones for the tests. */
static int64_t nc_lengths(int level, int64_t *out)
{
    static const int64_t quick[] = {1, 7, 15, 16, 17, 33, 100, 257, 1000};
    int64_t n = 0;
    if (level == 0) {
        for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) out[n++] = quick[i];
        return n;
    }
    for (int64_t i = 0; i <= 70; i++) out[n++] = i;
    static const int64_t more[] = {97, 127, 128, 129, 255, 256, 257, 1000, 4099};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) out[n++] = more[i];
    return n;
}

/* Fill x, w, b, dy: normal values at two scales; at level 1 a few specials. */
static void nc_fill(nc_buf *B, int level, int variant)
{
    const int64_t n = B->cap;
    const float scale = variant & 1 ? 30.0f : 1.5f;
    sg_rng_fill_normal((sg_rng_key){7, SG_RNG_TEST, (uint64_t)(100 + variant)}, B->x, n, 0.25f, scale);
    sg_rng_fill_normal((sg_rng_key){7, SG_RNG_TEST, 2}, B->w, n, 1.0f, 0.5f);
    sg_rng_fill_normal((sg_rng_key){7, SG_RNG_TEST, 3}, B->b, n, 0.0f, 0.5f);
    sg_rng_fill_normal((sg_rng_key){7, SG_RNG_TEST, (uint64_t)(200 + variant)}, B->dy, n, 0.0f, 1.0f);
    if (level > 0 && variant >= 2) {
        static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 88.7f, -104.0f, 89.0f, 1e-40f};
        for (int64_t i = 5; i < n; i += 37) {
            const float v = specials[(i / 37) % (sizeof specials / sizeof specials[0])];
            if ((i / 37) % 2 == 0) B->x[i] = v;
            else B->dy[i] = v;
        }
    }
}

/* The outputs (accumulated into by the backward kernels): the same values under both tables. */
static void nc_out_init(nc_buf *B)
{
    for (int64_t i = 0; i < B->cap; i++) B->oa[i] = B->ob[i] = (float)(i % 13) * 0.25f - 1.0f;
    for (int64_t i = 0; i < 2 * B->cap; i++) B->da[i] = B->db[i] = (double)(i % 11) * 0.125 - 0.5;
}

/* The first element whose bits differ, or -1. Any NaN equals any NaN: the
 * contract is NaN where the scalar gives NaN; which NaN (sign, payload) comes
 * out of a + b with two NaNs is the compiler's choice of operand order, in the
 * scalar twin too. */
static int64_t nc_diff_f(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0 && !(isnan(a[i]) && isnan(b[i]))) return i;
    return -1;
}
static int64_t nc_diff_d(const double *a, const double *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(double)) != 0 && !(isnan(a[i]) && isnan(b[i]))) return i;
    return -1;
}

/* One case: print its line (if out), return 1 if it differs. */
static int nc_report(FILE *out, int family, const char *what, const sg_kernel_table *a, const sg_kernel_table *b,
                     int64_t df, const float *fa, const float *fb, int64_t dd, const double *ga, const double *gb)
{
    const int differ = df >= 0 || dd >= 0;
    if (!out || (!differ && out != stdout)) return differ;   /* stdout (info): every case; else the differences */
    fprintf(out, "%-18s %s: ", sg_kernel_family_name(family), what);
    const sg_isa ia = sg_kernel_family_isa(a, family), ib = sg_kernel_family_isa(b, family);
    if (!differ)
        fprintf(out, "identical\n");
    else if (df >= 0)
        fprintf(out, "first difference at [%ld]: %s %a (%.9g), %s %a (%.9g)\n", (long)df, sg_isa_name(ia),
                fa[df], fa[df], sg_isa_name(ib), fb[df], fb[df]);
    else
        fprintf(out, "first difference at [%ld]: %s %a (%.17g), %s %a (%.17g)\n", (long)dd, sg_isa_name(ia),
                ga[dd], ga[dd], sg_isa_name(ib), gb[dd], gb[dd]);
    return differ;
}

/* Softmax line blocks: (D, stride, w); w = stride = 1 is a contiguous row. */
static const struct { int64_t D, s, w; } SOFTMAX_BLOCKS[] = {
    {5, 8, 8}, {7, 16, 16}, {3, 70, 64}, {9, 20, 17}, {4, 3, 3}, {6, 40, 33}, {2, 1, 1},
    {16, 8, 8}, {17, 20, 17}, {33, 16, 16}, {40, 64, 64}, {21, 3, 3},   /* lines with whole 16-blocks */
};

/* Pooling planes: max pooling on 2 x 2 / stride 2 planes with every row tail
 * and on other geometries (3 x 3 stride 2 pad 1, 3 x 3 stride 1 pad 1, 2 x 2
 * over odd sizes, dilation 2); global average over plane sizes with every
 * tail and counts of planes with every tail of the lanes. */
static const struct { int64_t H, W, k, s, p, d; } POOL_CASES[] = {
    {8, 16, 2, 2, 0, 1}, {6, 34, 2, 2, 0, 1}, {5, 37, 2, 2, 0, 1}, {4, 66, 2, 2, 0, 1}, {2, 2, 2, 2, 0, 1},
    {3, 1, 2, 2, 0, 1},  {11, 13, 3, 2, 1, 1}, {9, 17, 3, 1, 1, 1}, {7, 9, 2, 2, 1, 1}, {10, 12, 3, 1, 0, 2},
};

static bool is_pool(int family)
{
    return family == SG_KERNEL_pool_max_forward || family == SG_KERNEL_pool_max_backward ||
           family == SG_KERNEL_pool_gap_forward || family == SG_KERNEL_pool_gap_backward ||
           family == SG_KERNEL_pool_avg_forward || family == SG_KERNEL_pool_avg_backward;
}

/* Average pooling: (H, W, k, stride, pad, ceil_mode); each with and without count_include_pad. */
static const struct { int64_t H, W, k, s, p; bool ceil; } AVG_CASES[] = {
    {9, 37, 3, 1, 1, false}, {8, 20, 2, 2, 0, false}, {7, 23, 3, 2, 1, true}, {11, 40, 3, 2, 1, false},
    {6, 9, 5, 1, 2, false},  {5, 5, 2, 2, 0, true},   {4, 70, 3, 3, 1, true}, {10, 18, 1, 1, 0, false},
};

/* PyTorch's output size (as layers/pool.c): floor or ceil, a last window starting in the right padding dropped. */
static int64_t avg_out(int64_t in, int64_t k, int64_t pad, int64_t s, bool ceil_mode)
{
    const int64_t num = in + 2 * pad - k + (ceil_mode ? s - 1 : 0);
    int64_t out = num / s + 1;
    if (ceil_mode && (out - 1) * s >= in + pad) out--;
    return out;
}

static int pool_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out,
                        nc_buf *B)
{
    int differ = 0;
    char what[96];
    const int variants = level ? 4 : 2;
    for (int v = 0; v < variants; v++) {
        nc_fill(B, level, v);
        if (family == SG_KERNEL_pool_max_forward || family == SG_KERNEL_pool_max_backward) {
            for (size_t c = 0; c < sizeof POOL_CASES / sizeof POOL_CASES[0]; c++) {
                const int64_t H = POOL_CASES[c].H, W = POOL_CASES[c].W, k = POOL_CASES[c].k, st = POOL_CASES[c].s,
                              pd = POOL_CASES[c].p, dl = POOL_CASES[c].d;
                const sg_pool_geom g = {H, W, (H + 2 * pd - dl * (k - 1) - 1) / st + 1,
                                        (W + 2 * pd - dl * (k - 1) - 1) / st + 1, k, k, st, st, pd, pd, dl, dl,
                                        false};
                const int64_t P = g.OH * g.OW;
                int32_t *ia = (int32_t *)B->da, *ib = (int32_t *)B->db;   /* 2 * cap doubles each: room enough */
                nc_out_init(B);
                int64_t df = -1, di = -1;
                if (family == SG_KERNEL_pool_max_forward) {
                    a->pool_max_forward(&g, B->x + 1, B->oa, ia);
                    b->pool_max_forward(&g, B->x + 1, B->ob, ib);
                    df = nc_diff_f(B->oa, B->ob, P);
                    for (int64_t q = 0; q < P && df < 0 && di < 0; q++)
                        if (ia[q] != ib[q]) di = q;
                } else {
                    sg_k_pool_max_forward_scalar(&g, B->x + 1, B->y, ia);
                    a->pool_max_backward(&g, B->dy + 1, ia, B->oa);
                    b->pool_max_backward(&g, B->dy + 1, ia, B->ob);
                    df = nc_diff_f(B->oa, B->ob, H * W);
                }
                snprintf(what, sizeof what, "%ldx%ld k%ld s%ld p%ld d%ld v%d%s", (long)H, (long)W, (long)k, (long)st,
                         (long)pd, (long)dl, v, di >= 0 ? " (argmax differs)" : "");
                if (di >= 0) df = di;
                differ += nc_report(out, family, what, a, b, df, B->oa, B->ob, -1, NULL, NULL);
            }
            continue;
        }
        if (family == SG_KERNEL_pool_avg_forward || family == SG_KERNEL_pool_avg_backward) {
            for (size_t c = 0; c < sizeof AVG_CASES / sizeof AVG_CASES[0]; c++)
                for (int cip = 0; cip < 2; cip++) {
                    const int64_t H = AVG_CASES[c].H, W = AVG_CASES[c].W, k = AVG_CASES[c].k, st = AVG_CASES[c].s,
                                  pd = AVG_CASES[c].p;
                    const sg_pool_geom g = {H,  W,  avg_out(H, k, pd, st, AVG_CASES[c].ceil),
                                            avg_out(W, k, pd, st, AVG_CASES[c].ceil), k, k, st, st, pd, pd, 1, 1,
                                            cip};
                    nc_out_init(B);
                    int64_t n;
                    if (family == SG_KERNEL_pool_avg_forward) {
                        a->pool_avg_forward(&g, B->x + 1, B->oa);
                        b->pool_avg_forward(&g, B->x + 1, B->ob);
                        n = g.OH * g.OW;
                    } else {
                        a->pool_avg_backward(&g, B->dy + 1, B->oa);
                        b->pool_avg_backward(&g, B->dy + 1, B->ob);
                        n = H * W;
                    }
                    snprintf(what, sizeof what, "%ldx%ld k%ld s%ld p%ld%s%s v%d", (long)H, (long)W, (long)k,
                             (long)st, (long)pd, AVG_CASES[c].ceil ? " ceil" : "", cip ? " include_pad" : "", v);
                    differ += nc_report(out, family, what, a, b, nc_diff_f(B->oa, B->ob, n), B->oa, B->ob, -1,
                                        NULL, NULL);
                }
            continue;
        }
        static const int64_t hws_quick[] = {1, 7, 49, 196}, hws_full[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 49, 196, 3136};
        static const int64_t counts[] = {1, 3, 8, 16, 17, 33};
        const int64_t *hws = level ? hws_full : hws_quick;
        const size_t nh = level ? sizeof hws_full / sizeof hws_full[0] : sizeof hws_quick / sizeof hws_quick[0];
        for (size_t h = 0; h < nh; h++)
            for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                const int64_t HW = hws[h], planes = counts[c];
                if (HW * planes + 4 > B->cap) continue;
                nc_out_init(B);
                if (family == SG_KERNEL_pool_gap_forward) {
                    a->pool_gap_forward(B->x + 1, B->oa, HW, planes);
                    b->pool_gap_forward(B->x + 1, B->ob, HW, planes);
                } else {
                    a->pool_gap_backward(B->dy + 1, B->oa + 1, HW, planes);
                    b->pool_gap_backward(B->dy + 1, B->ob + 1, HW, planes);
                }
                snprintf(what, sizeof what, "HW=%ld planes=%ld v%d", (long)HW, (long)planes, v);
                differ += nc_report(out, family, what, a, b, nc_diff_f(B->oa, B->ob, HW * planes + 1), B->oa, B->ob,
                                    -1, NULL, NULL);
            }
    }
    return differ;
}

int sg_k_norm_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out)
{
    int64_t lengths[100];
    const int64_t nl = nc_lengths(level, lengths);
    int64_t maxn = 0;
    for (int64_t i = 0; i < nl; i++) maxn = lengths[i] > maxn ? lengths[i] : maxn;
    for (size_t c = 0; c < sizeof SOFTMAX_BLOCKS / sizeof SOFTMAX_BLOCKS[0]; c++) {   /* the line blocks' span */
        const int64_t span = (SOFTMAX_BLOCKS[c].D - 1) * SOFTMAX_BLOCKS[c].s + SOFTMAX_BLOCKS[c].w;
        maxn = span > maxn ? span : maxn;
    }
    if (is_pool(family)) maxn = 16 * 3136 + 64;   /* the largest pooling case */
    nc_buf B = {.cap = maxn + 8};
    float *f = malloc(sizeof(float) * (size_t)B.cap * 7);
    double *d = malloc(sizeof(double) * (size_t)B.cap * 4);
    if (!f || !d) {
        free(f), free(d);
        if (out) fprintf(out, "%s: out of memory\n", sg_kernel_family_name(family));
        return 1;
    }
    B.x = f, B.y = f + B.cap, B.w = f + 2 * B.cap, B.b = f + 3 * B.cap, B.dy = f + 4 * B.cap;
    B.oa = f + 5 * B.cap, B.ob = f + 6 * B.cap, B.da = d, B.db = d + 2 * B.cap;
    if (is_pool(family)) {
        const int differ = pool_compare(family, a, b, level, out, &B);
        free(f), free(d);
        return differ;
    }
    const int variants = level ? 4 : 2, offsets = level ? 3 : 1;
    int differ = 0;
    char what[96];
    for (int v = 0; v < variants; v++) {
        nc_fill(&B, level, v);
        for (int o = 1; o <= offsets; o++) {   /* o floats past the buffer start: unaligned */
            const float *x = B.x + o, *w = B.w + o, *bb = B.b + o, *dy = B.dy + o;
            float *oa = B.oa + o, *ob = B.ob + o;
            double *da = B.da + o, *db = B.db + o;
            const float mean = 0.3f, invstd = 1.7f;
            if (family == SG_KERNEL_attn_softmax_forward || family == SG_KERNEL_attn_softmax_backward) {
                for (int64_t l = 0; l < nl; l++) {
                    const int64_t n = lengths[l];
                    nc_out_init(&B);
                    if (family == SG_KERNEL_attn_softmax_forward) {
                        /* scores, the last quarter masked as a causal row is */
                        memcpy(oa, x, sizeof(float) * (size_t)n);
                        for (int64_t i = n - n / 4; i < n; i++) oa[i] = -INFINITY;
                        memcpy(ob, oa, sizeof(float) * (size_t)n);
                        a->attn_softmax_forward(oa, n);
                        b->attn_softmax_forward(ob, n);
                    } else {
                        memcpy(B.y + o, x, sizeof(float) * (size_t)n);
                        sg_k_attn_softmax_forward_scalar(B.y + o, n);   /* p: a softmax row */
                        memcpy(oa, dy, sizeof(float) * (size_t)n);
                        memcpy(ob, dy, sizeof(float) * (size_t)n);
                        a->attn_softmax_backward(B.y + o, oa, n);
                        b->attn_softmax_backward(B.y + o, ob, n);
                    }
                    snprintf(what, sizeof what, "S=%ld v%d+%d", (long)n, v, o);
                    differ += nc_report(out, family, what, a, b, nc_diff_f(oa, ob, n), oa, ob, -1, NULL, NULL);
                }
                continue;
            }
            if (family == SG_KERNEL_softmax_forward || family == SG_KERNEL_softmax_backward) {
                const bool fwd = family == SG_KERNEL_softmax_forward;
                const size_t nb = sizeof SOFTMAX_BLOCKS / sizeof SOFTMAX_BLOCKS[0];
                for (size_t c = 0; c < nb + (size_t)nl; c++)
                    for (int lg = 0; lg < 2; lg++) {
                        int64_t D, s, ww;
                        if (c < nb) D = SOFTMAX_BLOCKS[c].D, s = SOFTMAX_BLOCKS[c].s, ww = SOFTMAX_BLOCKS[c].w;
                        else D = lengths[c - nb], s = 1, ww = 1;
                        if (D < 1) continue;
                        const int64_t n = (D - 1) * s + ww;
                        nc_out_init(&B);
                        /* the backward's y: a softmax output (or log of one) from the scalar twin */
                        if (!fwd) sg_k_softmax_forward_scalar(x, B.y + o, D, s, ww, lg);
                        if (fwd) {
                            a->softmax_forward(x, oa, D, s, ww, lg);
                            b->softmax_forward(x, ob, D, s, ww, lg);
                        } else {
                            a->softmax_backward(B.y + o, dy, oa, D, s, ww, lg);
                            b->softmax_backward(B.y + o, dy, ob, D, s, ww, lg);
                        }
                        snprintf(what, sizeof what, "%sD=%ld stride=%ld lines=%ld v%d+%d", lg ? "log " : "",
                                 (long)D, (long)s, (long)ww, v, o);
                        differ += nc_report(out, family, what, a, b, nc_diff_f(oa, ob, n), oa, ob, -1, NULL, NULL);
                    }
                continue;
            }
            for (int64_t l = 0; l < nl; l++) {
                const int64_t n = lengths[l];
                const int cases = family == SG_KERNEL_bn_forward ? 3 : family == SG_KERNEL_ln_forward ||
                                  family == SG_KERNEL_ln_backward_sums || family == SG_KERNEL_ln_backward_dx ? 2 : 1;
                for (int k = 0; k < cases; k++) {
                    nc_out_init(&B);
                    int64_t df = -1, dd = -1;
                    const float *wk = k ? NULL : w, *bk = k ? NULL : bb;
                    switch (family) {
                    case SG_KERNEL_bn_forward:
                        a->bn_forward(x, oa, n, mean, invstd, 0.8f, -0.1f, (sg_bn_act)k);
                        b->bn_forward(x, ob, n, mean, invstd, 0.8f, -0.1f, (sg_bn_act)k);
                        break;
                    case SG_KERNEL_bn_backward_sums:
                        a->bn_backward_sums(x, dy, n, mean, da);
                        b->bn_backward_sums(x, dy, n, mean, db);
                        dd = nc_diff_d(da, db, 2);
                        break;
                    case SG_KERNEL_bn_backward_dx:
                        a->bn_backward_dx(x, dy, oa, n, mean, invstd, 1.3f, 0.05f, -0.2f);
                        b->bn_backward_dx(x, dy, ob, n, mean, invstd, 1.3f, 0.05f, -0.2f);
                        break;
                    case SG_KERNEL_ln_forward:
                        a->ln_forward(x, wk, bk, oa, n, mean, invstd);
                        b->ln_forward(x, wk, bk, ob, n, mean, invstd);
                        break;
                    case SG_KERNEL_ln_backward_sums:
                        a->ln_backward_sums(x, dy, wk, n, mean, invstd, da);
                        b->ln_backward_sums(x, dy, wk, n, mean, invstd, db);
                        dd = nc_diff_d(da, db, 2);
                        break;
                    case SG_KERNEL_ln_backward_dx:
                        a->ln_backward_dx(x, dy, wk, oa, n, mean, invstd, 0.05f, -0.2f);
                        b->ln_backward_dx(x, dy, wk, ob, n, mean, invstd, 0.05f, -0.2f);
                        break;
                    case SG_KERNEL_ln_backward_affine:
                        a->ln_backward_affine(x, dy, n, mean, invstd, da, da + B.cap);
                        b->ln_backward_affine(x, dy, n, mean, invstd, db, db + B.cap);
                        dd = nc_diff_d(da, db, 2 * B.cap - o);
                        break;
                    default: break;
                    }
                    if (dd < 0) df = nc_diff_f(oa, ob, n);
                    snprintf(what, sizeof what, "n=%ld%s v%d+%d", (long)n,
                             family == SG_KERNEL_bn_forward ? (k == 1 ? " relu" : k == 2 ? " relu6" : "")
                                                            : (k ? " no affine" : ""),
                             v, o);
                    differ += nc_report(out, family, what, a, b, df, oa, ob, dd, da, db);
                }
            }
        }
    }
    free(f), free(d);
    return differ;
}

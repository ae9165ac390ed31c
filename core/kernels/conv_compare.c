/* core/kernels/conv_compare.c - runs im2col, col2im or a resize family under
 * two kernel tables on the same inputs and compares the outputs bit for bit
 * (any NaN equals any NaN where an addition made it). `steelgrad info
 * --compare` (level 0) and tests/test_kernels_conv.c (level 1) share it.
 *
 * Resizing: 13 size pairs (1:1, exact 2x, fractional up and down, widths with
 * every tail of the lanes, up to 601 outputs a row), bilinear with and
 * without corner alignment, 3 planes, pointers 1..3 floats past an aligned
 * start. im2col and col2im: input widths 1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 47, 64,
 * 65 (every tail of 4, 8 and 16 lanes and primes) crossed with kernels 1x1,
 * 3x3, 5x5, 7x7, 1x3, 3x1, 2x2; strides 1, 2 and 3; padding 0 to 3 (top and
 * left apart); dilation 1 and 2; two images; chunks of columns that start and
 * end inside an output row; ranges of rows (channels) that start past 0; the
 * pointers 1..3 floats past an aligned start; NaN and infinities among the
 * values. conv_s1, conv_s1_dw and conv_s1_dx (direct convolution at stride 1
 * and its gradients): the cases of s1_compare, s1_dw_compare and
 * s1_dx_compare below. */
#include "core/kernels/conv_compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

typedef struct cc_shape { int64_t KH, KW, sh, sw, dh, dw, pt, pl; } cc_shape;

static const cc_shape SHAPES[] = {
    {1, 1, 1, 1, 1, 1, 0, 0}, {3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1}, {3, 3, 1, 1, 2, 2, 2, 2},
    {5, 5, 2, 2, 1, 1, 2, 2}, {7, 7, 2, 2, 1, 1, 3, 3}, {1, 3, 1, 1, 1, 1, 0, 1}, {3, 1, 1, 2, 1, 1, 1, 0},
    {2, 2, 2, 2, 1, 1, 0, 0}, {3, 3, 3, 3, 1, 1, 0, 2}, {1, 1, 2, 2, 1, 1, 0, 0}, {3, 3, 2, 1, 1, 2, 0, 3},
};
static const int64_t WIDTHS[] = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 47, 64, 65};
static const int64_t WIDTHS_QUICK[] = {1, 7, 16, 17, 33};

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad)
{
    const int64_t span = d * (k - 1) + 1;
    return in + 2 * pad < span ? 0 : (in + 2 * pad - span) / s + 1;
}

static int64_t diff_f(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0 && !(isnan(a[i]) && isnan(b[i]))) return i;
    return -1;
}

static int report(FILE *out, int family, const char *what, const sg_kernel_table *a, const sg_kernel_table *b,
                  int64_t d, const float *fa, const float *fb)
{
    const int differ = d >= 0;
    if (!out || (!differ && out != stdout)) return differ;
    fprintf(out, "%-18s %s: ", sg_kernel_family_name(family), what);
    if (!differ)
        fprintf(out, "identical\n");
    else
        fprintf(out, "first difference at [%ld]: %s %a (%.9g), %s %a (%.9g)\n", (long)d,
                sg_isa_name(sg_kernel_family_isa(a, family)), fa[d], fa[d],
                sg_isa_name(sg_kernel_family_isa(b, family)), fb[d], fb[d]);
    return differ;
}

/* The buffers: x (input or col2im's column matrix), and the outputs under a and b. */
enum { CC_N = 2, CC_C = 2, CC_H = 6, CC_MAXW = 65, CC_PAD = 8 };
#define CC_PLANE_MAX ((int64_t)CC_N * CC_C * 9 * CC_MAXW)     /* H up to 9 */
#define CC_COL_MAX ((int64_t)CC_C * 49 * CC_N * 9 * CC_MAXW)  /* K x all columns, 7 x 7 */

static int compare_geom(int family, const sg_kernel_table *ta, const sg_kernel_table *tb, const sg_dw_geom *g,
                        int64_t C, int64_t N, int o, float *src, float *oa, float *ob, int64_t cap, FILE *out)
{
    const int64_t K = C * g->KH * g->KW, P = g->OH * g->OW, total = N * P, img = C * g->H * g->W;
    if (K * total + o > cap || N * img + o > cap) {
        if (out) fprintf(out, "%s: case too large for the buffers\n", sg_kernel_family_name(family));
        return 1;
    }
    /* chunks: all the columns; then one starting inside a row and ending inside another */
    const int64_t chunks[2][2] = {{0, total}, {total > 3 ? g->OW / 2 + 1 : 0, total > 3 ? total - g->OW / 2 - 2 : total}};
    int differ = 0;
    char what[128];
    for (int ch = 0; ch < 2; ch++) {
        const int64_t j0 = chunks[ch][0], nc = chunks[ch][1];
        if (nc <= 0 || (ch == 1 && j0 == 0 && nc == total)) continue;
        for (int part = 0; part < 2; part++) {
            int64_t d;
            if (family == SG_KERNEL_im2col) {
                /* rows [r0, K): all, or from the middle of the first channel */
                const int64_t r0 = part ? K / 2 - 1 > 0 ? K / 2 - 1 : 0 : 0;
                const int64_t n = K * nc;
                for (int64_t i = 0; i < n; i++) oa[o + i] = ob[o + i] = -7.0f;   /* rows below r0 stay -7 */
                ta->im2col(g, src + o, img, j0, nc, r0, K, oa + o);
                tb->im2col(g, src + o, img, j0, nc, r0, K, ob + o);
                d = diff_f(oa + o, ob + o, n);
            } else {
                const int64_t c0 = part ? 1 : 0;
                const int64_t n = N * img;
                for (int64_t i = 0; i < n; i++) oa[o + i] = ob[o + i] = (float)(i % 13) * 0.25f - 1.5f;
                ta->col2im(g, src + o, j0, nc, c0, C, oa + o, img);
                tb->col2im(g, src + o, j0, nc, c0, C, ob + o, img);
                d = diff_f(oa + o, ob + o, n);
            }
            snprintf(what, sizeof what, "%ldx%ld k%ldx%ld s%ld,%ld d%ld,%ld p%ld,%ld cols %ld+%ld %s%ld +%d",
                     (long)g->H, (long)g->W, (long)g->KH, (long)g->KW, (long)g->stride_h, (long)g->stride_w,
                     (long)g->dil_h, (long)g->dil_w, (long)g->pad_top, (long)g->pad_left, (long)j0, (long)nc,
                     family == SG_KERNEL_im2col ? "rows from " : "channels from ",
                     (long)(part ? (family == SG_KERNEL_im2col ? (K / 2 - 1 > 0 ? K / 2 - 1 : 0) : 1) : 0), o);
            differ += report(out, family, what, ta, tb, d >= 0 ? d + o : -1, oa, ob);
        }
    }
    return differ;
}

/* ---- resizing: tables built here (the layer's PyTorch arithmetic is not
 * needed to compare twins; these have its shapes: 1:1, 1:2, fractional,
 * shrinking, align_corners-like). ---- */

typedef struct rc_case { int64_t H, W, OH, OW; } rc_case;
static const rc_case RESIZE_CASES[] = {
    {1, 1, 1, 1},  {1, 1, 3, 5},  {4, 7, 8, 14},  {5, 17, 5, 17}, {3, 16, 6, 32}, {7, 33, 14, 66},
    {8, 40, 3, 13}, {5, 9, 11, 23}, {6, 8, 15, 20}, {2, 3, 7, 47},  {9, 31, 9, 31}, {3, 65, 6, 130},
    {2, 300, 5, 601},   /* more than one block of 512 columns in the bilinear twin */
};

enum { RC_MAXO = 601, RC_PLANES = 3 };

/* The tables of one axis: nearest src = d * in / out; bilinear from real = max((d + 0.5) * in / out - 0.5, 0)
 * or, with corners, d * (in - 1) / (out - 1). */
static void rc_table(int64_t in, int64_t outn, bool corners, int64_t *i0, int64_t *i1, float *l0, float *l1,
                     int64_t *nearest)
{
    for (int64_t d = 0; d < outn; d++) {
        nearest[d] = d * in / outn < in - 1 ? d * in / outn : in - 1;
        float real = corners ? (outn > 1 ? (float)d * (float)(in - 1) / (float)(outn - 1) : 0.0f)
                             : ((float)d + 0.5f) * (float)in / (float)outn - 0.5f;
        if (real < 0.0f) real = 0.0f;
        int64_t a = (int64_t)real;
        if (a > in - 1) a = in - 1;
        i0[d] = a, i1[d] = a + (a < in - 1);
        l1[d] = real - (float)a, l0[d] = 1.0f - l1[d];
    }
}

static int resize_compare(int family, const sg_kernel_table *ta, const sg_kernel_table *tb, int level,
                          const float *src, float *oa, float *ob, FILE *out)
{
    int64_t h0[RC_MAXO], h1[RC_MAXO], w0[RC_MAXO], w1[RC_MAXO], hn[RC_MAXO], wn[RC_MAXO];
    float lh0[RC_MAXO], lh1[RC_MAXO], lw0[RC_MAXO], lw1[RC_MAXO];
    const bool nearest = family == SG_KERNEL_up_nearest_forward || family == SG_KERNEL_up_nearest_backward;
    const bool forward = family == SG_KERNEL_up_nearest_forward || family == SG_KERNEL_up_bilinear_forward;
    const size_t ncases = level ? sizeof RESIZE_CASES / sizeof RESIZE_CASES[0] : 6;
    int differ = 0;
    char what[96];
    for (size_t c = 0; c < ncases; c++)
        for (int corners = 0; corners < (nearest ? 1 : 2); corners++)
            for (int o = 1; o <= (level ? 3 : 1); o++) {
                const rc_case *R = &RESIZE_CASES[c];
                rc_table(R->H, R->OH, corners, h0, h1, lh0, lh1, hn);
                rc_table(R->W, R->OW, corners, w0, w1, lw0, lw1, wn);
                const sg_resize_geom g = nearest ? (sg_resize_geom){R->H, R->W, R->OH, R->OW, hn, hn, wn, wn,
                                                                    NULL, NULL, NULL, NULL}
                                                 : (sg_resize_geom){R->H, R->W, R->OH, R->OW, h0, h1, w0, w1,
                                                                    lh0, lh1, lw0, lw1};
                const int64_t n = RC_PLANES * (forward ? R->OH * R->OW : R->H * R->W);
                for (int64_t i = 0; i < n; i++) oa[o + i] = ob[o + i] = (float)(i % 13) * 0.25f - 1.5f;
                if (forward) {
                    (family == SG_KERNEL_up_nearest_forward ? ta->up_nearest_forward : ta->up_bilinear_forward)(
                        &g, src + o, oa + o, RC_PLANES);
                    (family == SG_KERNEL_up_nearest_forward ? tb->up_nearest_forward : tb->up_bilinear_forward)(
                        &g, src + o, ob + o, RC_PLANES);
                } else {
                    (nearest ? ta->up_nearest_backward : ta->up_bilinear_backward)(&g, src + o, oa + o, RC_PLANES);
                    (nearest ? tb->up_nearest_backward : tb->up_bilinear_backward)(&g, src + o, ob + o, RC_PLANES);
                }
                const int64_t d = diff_f(oa + o, ob + o, n);
                snprintf(what, sizeof what, "%ldx%ld -> %ldx%ld%s planes %d +%d", (long)R->H, (long)R->W,
                         (long)R->OH, (long)R->OW, corners ? " corners" : "", RC_PLANES, o);
                differ += report(out, family, what, ta, tb, d >= 0 ? d + o : -1, oa, ob);
            }
    return differ;
}

/* ---- reductions: walks of 0..2 dims over a block of rows, widths and run
 * lengths with every tail, values with NaN, infinities and (second variant)
 * few distinct values so that maxima tie, -0 beside +0. ---- */

typedef struct rd_walk { int n; int64_t s0, s1; } rd_walk;
static const rd_walk WALKS[] = {{0, 1, 1}, {1, 5, 1}, {2, 3, 4}, {1, 1, 1}};
static const int64_t RD_LENS[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 256, 1000};

static int64_t diff_d(const double *a, const double *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(double)) != 0 && !(isnan(a[i]) && isnan(b[i]))) return i;
    return -1;
}

static int reduce_compare(int family, const sg_kernel_table *ta, const sg_kernel_table *tb, int level,
                          const float *src0, float *oa, float *ob, int64_t cap, FILE *out)
{
    enum { RD_MAXLEN = 1000, RD_ROWS = 12 };
    double *da = malloc(sizeof(double) * 2 * (RD_MAXLEN + 4));
    int64_t *ia = malloc(sizeof(int64_t) * 2 * (RD_MAXLEN + 4));
    float *q = malloc(sizeof(float) * (size_t)cap * 2);
    if (!da || !ia || !q) {
        free(da), free(ia), free(q);
        if (out) fprintf(out, "%s: out of memory\n", sg_kernel_family_name(family));
        return 1;
    }
    double *db = da + RD_MAXLEN + 4;
    int64_t *ib = ia + RD_MAXLEN + 4;
    /* variant 1: values on a grid of 0.5 (ties), zeros of both signs, the specials kept;
     * variant 2: only -1, 0 and 1, no NaN: the maximum ties in many lanes, so the lanes'
     * candidates must be picked by element index, not by lane */
    float *q2 = q + cap;
    for (int64_t i = 0; i < cap; i++) {
        const float v = src0[i];
        q[i] = isfinite(v) ? floorf(v * 2.0f) * 0.5f : v;
        if (q[i] == 0.0f) q[i] = i % 2 ? -0.0f : 0.0f;
        q2[i] = isfinite(v) ? (v > 2.5f ? 1.0f : v < -2.5f ? -1.0f : 0.0f) : 0.0f;
    }
    const size_t nl = level ? sizeof RD_LENS / sizeof RD_LENS[0] : 8;
    const bool is_max = family == SG_KERNEL_reduce_max_runs || family == SG_KERNEL_reduce_max_cols;
    int differ = 0;
    char what[96];
    for (int v = 0; v < 3; v++)
        for (size_t wk = 0; wk < sizeof WALKS / sizeof WALKS[0]; wk++)
            for (size_t l = 0; l < nl; l++)
                for (int o = 1; o <= (level ? 2 : 1); o++) {
                    const float *src = (v == 2 ? q2 : v ? q : src0) + o;
                    const int64_t len = RD_LENS[l];
                    /* rows of `len` values (plus a gap of 3), the walk over rows */
                    const int64_t row = len + 3;
                    sg_reduce_walk walk = {.n = WALKS[wk].n};
                    if (walk.n >= 1) walk.size[0] = WALKS[wk].s0, walk.stride[0] = row * (walk.n == 2 ? WALKS[wk].s1 : 1);
                    if (walk.n == 2) walk.size[1] = WALKS[wk].s1, walk.stride[1] = row;
                    if (row * RD_ROWS + o > cap) continue;
                    int64_t d = -1, dd = -1;
                    switch (family) {
                    case SG_KERNEL_reduce_sum_cols:
                        for (int64_t i = 0; i < len; i++) da[i] = db[i] = (double)(i % 7) * 0.125;
                        ta->reduce_sum_cols(&walk, src, len, da);
                        tb->reduce_sum_cols(&walk, src, len, db);
                        dd = diff_d(da, db, len);
                        break;
                    case SG_KERNEL_reduce_max_runs:
                        ta->reduce_max_runs(&walk, src, len, oa, ia);
                        tb->reduce_max_runs(&walk, src, len, ob, ib);
                        d = diff_f(oa, ob, 1) >= 0 || ia[0] != ib[0] ? 0 : -1;
                        break;
                    case SG_KERNEL_reduce_max_cols:
                        ta->reduce_max_cols(&walk, src, len, oa, ia);
                        tb->reduce_max_cols(&walk, src, len, ob, ib);
                        d = diff_f(oa, ob, len);
                        for (int64_t i = 0; i < len && d < 0; i++)
                            if (ia[i] != ib[i]) d = i;
                        break;
                    case SG_KERNEL_reduce_sum_backward:
                        for (int64_t i = 0; i < len; i++) oa[i] = ob[i] = (float)(i % 13) * 0.25f - 1.5f;
                        ta->reduce_sum_backward(oa, src, (int64_t)(wk % 2), 0.37f, len);
                        tb->reduce_sum_backward(ob, src, (int64_t)(wk % 2), 0.37f, len);
                        d = diff_f(oa, ob, len);
                        break;
                    default:   /* reduce_max_backward: each output's index a distinct element */
                        for (int64_t i = 0; i < len; i++) oa[i] = ob[i] = (float)(i % 13) * 0.25f - 1.5f;
                        for (int64_t j = 0; j < len; j++) ia[j] = wk % 2 ? len - 1 - j : j;
                        ta->reduce_max_backward(oa, src, ia, len);
                        tb->reduce_max_backward(ob, src, ia, len);
                        d = diff_f(oa, ob, len);
                        break;
                    }
                    snprintf(what, sizeof what, "len %ld walk %d dims (%ld, %ld)%s +%d", (long)len, walk.n,
                             (long)WALKS[wk].s0, (long)WALKS[wk].s1, v == 2 ? " -1/0/1" : v ? " ties" : "", o);
                    if (dd >= 0) {   /* the column sums differ (doubles) */
                        if (out)
                            fprintf(out, "%-18s %s: first difference at [%ld]: %s %a, %s %a\n",
                                    sg_kernel_family_name(family), what, (long)dd,
                                    sg_isa_name(sg_kernel_family_isa(ta, family)), da[dd],
                                    sg_isa_name(sg_kernel_family_isa(tb, family)), db[dd]);
                        differ++;
                        continue;
                    }
                    if (d >= 0 && is_max && out && memcmp(oa + d, ob + d, sizeof(float)) == 0)
                        fprintf(out, "%-18s %s: the index of [%ld] differs: %ld, %ld\n",
                                sg_kernel_family_name(family), what, (long)d, (long)ia[d], (long)ib[d]);
                    differ += report(out, family, what, ta, tb, d, oa, ob);
                }
    free(da), free(ia), free(q);
    return differ;
}

/* The kernels of the three direct stride-1 compares: (KH, KW, dil_h, dil_w). */
static const int64_t S1_KERNELS[][4] = {{1, 1, 1, 1}, {3, 3, 1, 1}, {3, 3, 2, 2}, {5, 5, 1, 1},
                                        {1, 3, 1, 1}, {3, 1, 1, 1}, {2, 2, 1, 1}, {7, 7, 1, 1}};

/* The padded-input geometry of kernel k with C channels and an OH x OW output. */
static sg_conv_s1_geom s1_geom_of(size_t k, int64_t C, int64_t OH, int64_t OW)
{
    const int64_t *K = S1_KERNELS[k];
    return (sg_conv_s1_geom){C, OH + (K[0] - 1) * K[2], OW + (K[1] - 1) * K[3], OH, OW, K[0], K[1], K[2], K[3]};
}

/* ---- the direct convolution at stride 1: padded inputs read from the random
 * buffer (NaN and infinities among them), kernels 1x1 to 7x7 and 1x3, 3x1,
 * 2x2, dilation 1 and 2, output widths of every tail, 1..9 output channels
 * (every tail of the channel blocks) from a first channel past 0, with and
 * without bias, writing and accumulating. ---- */

static int s1_compare(const sg_kernel_table *ta, const sg_kernel_table *tb, int level, const float *src,
                      float *oa, float *ob, int64_t cap, FILE *out)
{
    static const int64_t OUTS[] = {1, 9};
    const int64_t *widths = level ? WIDTHS : WIDTHS_QUICK;
    const size_t nw = level ? sizeof WIDTHS / sizeof WIDTHS[0] : sizeof WIDTHS_QUICK / sizeof WIDTHS_QUICK[0];
    int differ = 0;
    char what[128];
    for (size_t k = 0; k < sizeof S1_KERNELS / sizeof S1_KERNELS[0]; k++)
        for (size_t wi = 0; wi < nw; wi++)
            for (int64_t C = 1; C <= 3; C += 2)
                for (size_t oi = 0; oi < sizeof OUTS / sizeof OUTS[0]; oi++)
                    for (int mode = 0; mode < (level ? 4 : 1); mode++) {
                        const int64_t OH = 1 + (int64_t)((k + wi) % 3), OW = widths[wi], O = OUTS[oi];
                        const sg_conv_s1_geom g = s1_geom_of(k, C, OH, OW);
                        const int64_t taps = C * g.KH * g.KW, nx = C * g.HP * g.WP + SG_CONV_S1_SLACK;
                        const int64_t ny = O * OH * OW, o0 = O > 1 ? 1 : 0;
                        if (nx + O * taps + O + 16 > cap || ny + 4 > cap) continue;
                        const float *xp = src + 1 + (int64_t)(k % 3), *w = src + nx + 3, *bias = w + O * taps;
                        const bool acc = mode & 1, with_bias = !(mode & 2);
                        for (int64_t i = 0; i < ny; i++) oa[i] = ob[i] = (float)(i % 13) * 0.25f - 1.5f;
                        ta->conv_s1(&g, xp, w, with_bias ? bias : NULL, acc, o0, O, oa);
                        tb->conv_s1(&g, xp, w, with_bias ? bias : NULL, acc, o0, O, ob);
                        const int64_t d = diff_f(oa, ob, ny);
                        snprintf(what, sizeof what, "C%ld %ldx%ld k%ldx%ld d%ld,%ld O%ld from %ld%s%s", (long)C,
                                 (long)OH, (long)OW, (long)g.KH, (long)g.KW, (long)g.dil_h, (long)g.dil_w, (long)O,
                                 (long)o0, with_bias ? " bias" : "", acc ? " accumulate" : "");
                        differ += report(out, SG_KERNEL_conv_s1, what, ta, tb, d, oa, ob);
                    }
    return differ;
}

/* ---- the stride-1 weight gradient: two padded images, chunks of positions
 * that start and end inside output rows, 1..20 output channels (a block of
 * 16 and its tail), all taps or a middle range, the same kernels and widths;
 * dw starts non-zero. ---- */

static int s1_dw_compare(const sg_kernel_table *ta, const sg_kernel_table *tb, int level, const float *src,
                         float *oa, float *ob, int64_t cap, FILE *out)
{
    static const int64_t OUTS[] = {1, 9, 20};
    const int64_t *widths = level ? WIDTHS : WIDTHS_QUICK;
    const size_t nw = level ? sizeof WIDTHS / sizeof WIDTHS[0] : sizeof WIDTHS_QUICK / sizeof WIDTHS_QUICK[0];
    enum { S1_DYT_MAX = 2 * 9 * CC_MAXW * 32 };
    float *dyT = malloc(sizeof(float) * S1_DYT_MAX);
    if (!dyT) {
        if (out) fprintf(out, "conv_s1_dw: out of memory\n");
        return 1;
    }
    int differ = 0;
    char what[160];
    for (size_t k = 0; k < sizeof S1_KERNELS / sizeof S1_KERNELS[0]; k++)
        for (size_t wi = 0; wi < nw; wi++)
            for (int64_t C = 1; C <= 3; C += 2)
                for (size_t oi = 0; oi < sizeof OUTS / sizeof OUTS[0]; oi++)
                    for (int part = 0; part < (level ? 4 : 1); part++) {
                        const int64_t OH = 1 + (int64_t)((k + wi) % 3), OW = widths[wi], O = OUTS[oi];
                        const sg_conv_s1_geom g = s1_geom_of(k, C, OH, OW);
                        const int64_t taps = C * g.KH * g.KW, img = C * g.HP * g.WP, P = OH * OW;
                        const int64_t nx = 2 * img + SG_CONV_S1_SLACK, ldo = 32;
                        /* positions: both images whole, or from inside the first row to inside the last */
                        const int64_t j0 = part & 1 && P > 2 ? OW / 2 + 1 : 0, nj = 2 * P - j0 - (part & 1 && P > 2);
                        const int64_t o0 = part & 2 && O > 16 ? 16 : 0, o1 = o0 ? O : O < 16 ? O : 16;
                        const int64_t t0 = part & 2 && taps > 2 ? 1 : 0, t1 = part & 2 && taps > 2 ? taps - 1 : taps;
                        if (nx + nj * ldo + 8 > cap || O * taps > cap || nj * ldo > S1_DYT_MAX) continue;
                        const float *xp = src + 1 + (int64_t)(k % 3);
                        /* the gradient from the random values past x, lanes past O zero (as the layer's) */
                        for (int64_t jj = 0; jj < nj; jj++)
                            for (int64_t o = 0; o < ldo; o++) dyT[jj * ldo + o] = o < O ? src[nx + 3 + jj * O + o] : 0.0f;
                        for (int64_t i = 0; i < O * taps; i++) oa[i] = ob[i] = (float)(i % 13) * 0.25f - 1.5f;
                        ta->conv_s1_dw(&g, xp, img, dyT, ldo, j0, nj, o0, o1, t0, t1, oa);
                        tb->conv_s1_dw(&g, xp, img, dyT, ldo, j0, nj, o0, o1, t0, t1, ob);
                        const int64_t d = diff_f(oa, ob, O * taps);
                        snprintf(what, sizeof what, "C%ld %ldx%ld k%ldx%ld d%ld,%ld positions %ld+%ld channels "
                                 "%ld..%ld taps %ld..%ld", (long)C, (long)OH, (long)OW, (long)g.KH, (long)g.KW,
                                 (long)g.dil_h, (long)g.dil_w, (long)j0, (long)nj, (long)o0, (long)o1, (long)t0,
                                 (long)t1);
                        differ += report(out, SG_KERNEL_conv_s1_dw, what, ta, tb, d, oa, ob);
                    }
    free(dyT);
    return differ;
}

/* ---- the stride-1 input gradient: the same kernels and widths, paddings
 * from 0 to the kernel's span (so OH, OW differ from H, W), 1 and 5 input
 * channels (a block and its tail) from a first channel past 0, 1 and 9
 * output channels, all the positions or a chunk cut inside rows; dx starts
 * with -0.0 among its values. ---- */

static int s1_dx_compare(const sg_kernel_table *ta, const sg_kernel_table *tb, int level, const float *src,
                         float *oa, float *ob, int64_t cap, FILE *out)
{
    const int64_t *widths = level ? WIDTHS : WIDTHS_QUICK;
    const size_t nw = level ? sizeof WIDTHS / sizeof WIDTHS[0] : sizeof WIDTHS_QUICK / sizeof WIDTHS_QUICK[0];
    int differ = 0;
    char what[160];
    for (size_t k = 0; k < sizeof S1_KERNELS / sizeof S1_KERNELS[0]; k++)
        for (size_t wi = 0; wi < nw; wi++)
            for (int64_t C = 1; C <= 5; C += 4)
                for (int64_t O = 1; O <= 9; O += 8)
                    for (int part = 0; part < (level ? 4 : 1); part++) {
                        const int64_t H = 1 + (int64_t)((k + wi) % 3) + (part & 2), W = widths[wi];
                        const int64_t *K = S1_KERNELS[k];
                        const int64_t TQ = (K[0] - 1) * K[2], LQ = (K[1] - 1) * K[3];
                        /* padding: half the span (the usual), or all of it on top/left */
                        const int64_t pt = part & 1 ? TQ : TQ / 2, pl = part & 1 ? LQ : LQ / 2;
                        const int64_t OH = H + 2 * pt - TQ, OW = W + 2 * pl - LQ;
                        if (OH < 1 || OW < 1) continue;
                        const sg_conv_s1_dx_geom g = {C, O, H, W, OH, OW, K[0], K[1], K[2], K[3], pt, pl};
                        const int64_t P = OH * OW, nq = O * (OH + 2 * TQ) * (OW + 2 * LQ) + SG_CONV_S1_SLACK;
                        const int64_t taps = C * g.KH * g.KW, nx = C * H * W;
                        const int64_t jlo = part & 2 && P > 3 ? OW / 2 + 1 : 0, jhi = part & 2 && P > 3 ? P - 1 : P;
                        const int64_t c0 = C > 1 ? 1 : 0;
                        if (nq + O * taps + 8 > cap || nx > cap) continue;
                        const float *dyq = src + 1 + (int64_t)(k % 3), *w = src + nq + 3;
                        for (int64_t i = 0; i < nx; i++) oa[i] = ob[i] = i % 5 ? (float)(i % 13) * 0.25f - 1.5f : -0.0f;
                        ta->conv_s1_dx(&g, dyq, w, jlo, jhi, c0, C, oa);
                        tb->conv_s1_dx(&g, dyq, w, jlo, jhi, c0, C, ob);
                        const int64_t d = diff_f(oa, ob, nx);
                        snprintf(what, sizeof what, "C%ld O%ld %ldx%ld k%ldx%ld d%ld,%ld p%ld,%ld positions %ld..%ld "
                                 "channels from %ld", (long)C, (long)O, (long)H, (long)W, (long)g.KH, (long)g.KW,
                                 (long)g.dil_h, (long)g.dil_w, (long)pt, (long)pl, (long)jlo, (long)jhi, (long)c0);
                        differ += report(out, SG_KERNEL_conv_s1_dx, what, ta, tb, d, oa, ob);
                    }
    return differ;
}

int sg_k_conv_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out)
{
    const int64_t cap = (CC_COL_MAX > CC_PLANE_MAX ? CC_COL_MAX : CC_PLANE_MAX) + CC_PAD;
    float *buf = malloc(sizeof(float) * (size_t)cap * 3);
    if (!buf) {
        if (out) fprintf(out, "%s: out of memory\n", sg_kernel_family_name(family));
        return 1;
    }
    float *src = buf, *oa = buf + cap, *ob = buf + 2 * cap;
    sg_rng_fill_normal((sg_rng_key){17, SG_RNG_TEST, (uint64_t)family}, src, cap, 0.1f, 2.0f);
    static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-40f};
    for (int64_t i = 11; i < cap; i += 101) src[i] = specials[(i / 101) % 5];
    if (family == SG_KERNEL_reduce_sum_cols || family == SG_KERNEL_reduce_max_runs ||
        family == SG_KERNEL_reduce_max_cols || family == SG_KERNEL_reduce_sum_backward ||
        family == SG_KERNEL_reduce_max_backward) {
        const int differ = reduce_compare(family, a, b, level, src, oa, ob, cap, out);
        free(buf);
        return differ;
    }
    if (family == SG_KERNEL_conv_s1 || family == SG_KERNEL_conv_s1_dw || family == SG_KERNEL_conv_s1_dx) {
        const int differ = family == SG_KERNEL_conv_s1      ? s1_compare(a, b, level, src, oa, ob, cap, out)
                           : family == SG_KERNEL_conv_s1_dw ? s1_dw_compare(a, b, level, src, oa, ob, cap, out)
                                                            : s1_dx_compare(a, b, level, src, oa, ob, cap, out);
        free(buf);
        return differ;
    }
    if (family != SG_KERNEL_im2col && family != SG_KERNEL_col2im) {
        const int differ = resize_compare(family, a, b, level, src, oa, ob, out);
        free(buf);
        return differ;
    }
    const int64_t *widths = level ? WIDTHS : WIDTHS_QUICK;
    const size_t nw = level ? sizeof WIDTHS / sizeof WIDTHS[0] : sizeof WIDTHS_QUICK / sizeof WIDTHS_QUICK[0];
    const int offsets = level ? 3 : 1;
    int differ = 0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
        for (size_t wi = 0; wi < nw; wi++)
            for (int hh = 0; hh < (level ? 2 : 1); hh++) {
                const cc_shape *S = &SHAPES[s];
                const int64_t H = hh ? 9 : 1 + (int64_t)(s % 5), W = widths[wi];
                /* bottom and right padding as top and left */
                const int64_t OH = out_size(H, S->KH, S->sh, S->dh, S->pt), OW = out_size(W, S->KW, S->sw, S->dw, S->pl);
                if (OH < 1 || OW < 1) continue;
                const sg_dw_geom g = {H, W, OH, OW, S->KH, S->KW, S->sh, S->sw, S->dh, S->dw, S->pt, S->pl};
                for (int o = 1; o <= offsets; o++)
                    differ += compare_geom(family, a, b, &g, CC_C, CC_N, o, src, oa, ob, cap, out);
            }
    free(buf);
    return differ;
}

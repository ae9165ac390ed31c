/* core/kernels/conv_simd.h - the SIMD twins of im2col and col2im, written once
 * over norm_vec.h and compiled per ISA by conv_avx2.c, conv_avx512.c and
 * conv_neon.c; bit for bit the scalar twins of conv_scalar.c (the loops are
 * conv_walk.h's, shared with them; only a segment's copy or addition differs).
 *
 * - im2col: padding as vector stores of +0.0f; the inside columns VL at a
 *   time, stride 1 as plain loads, stride 2 as the even half of 2 VL
 *   neighbouring floats (while the odd one past the last is a column of the
 *   segment too, so nothing outside it is read); other strides and the last
 *   columns one by one. Copies: same bits.
 * - col2im: stride 1 as load, add, store of VL distinct elements (each gets
 *   its one addition, in the scalar's segment order); stride 2 as the even
 *   half of 2 VL floats, the odd half (columns of the same segment, which no
 *   other thread writes: col2im threads own whole channels) stored back
 *   unchanged; other strides and the last columns one by one.
 * - conv_s1: a block of CS1_R output channels x up to CS1_NB vectors of one
 *   output row lives in registers; each tap (c, kh, kw) loads the row's
 *   vectors once and adds w * x to every channel's sums with vf_fma, taps in
 *   the scalar's order, so each lane is the scalar's chain. Lanes past the
 *   row read the padded input beyond it (or the slack) and are never stored.
 *   A last block of fewer channels computes the first channel again in the
 *   missing rows and stores only its own.
 * - conv_s1_dw: the 16 output channels in 16 / VL vectors, a tile of taps'
 *   sums in registers; each position loads its dyT row once and adds dy * x
 *   (x broadcast) to every tap's sums, positions in increasing order, so each
 *   lane is one weight's chain. Lanes past the channels hold dyT's zeros and
 *   are never stored; a last tile rounded up to a compiled size repeats a
 *   tap in its extra rows and does not store them.
 * - conv_s1_dx: CS1_R input channels x up to CS1_DX_NB vectors of one input
 *   row, their dx values held in registers; per tap, the chain over output
 *   channels (dy rows loaded once, w broadcast), then the lanes whose output
 *   position is in the output and the chunk add it to them (vf_add_lanes),
 *   taps in the scalar's order; the values are stored once. A vector past
 *   the row's end is loaded and stored through a copy of the row's last
 *   pixels, so nothing past the row is read or written. */
#include <string.h>

#include "core/kernels/conv_walk.h"

#define SG_CK_CAT2_(a, b) sg_k_##a##_##b
#define SG_CK_CAT_(a, b) SG_CK_CAT2_(a, b)
#define SG_CK(name) SG_CK_CAT_(name, SG_NK_ISA)

static void copy_row_vec(float *out, const float *xrow, int64_t base, int64_t sw, int64_t a, int64_t b, int64_t end)
{
    const vf zero = vf_set1(0.0f);
    int64_t q = 0;
    for (; q + VL <= a; q += VL) vf_store(out + q, zero);
    for (; q < a; q++) out[q] = 0.0f;
    if (sw == 1) {
        for (; q + VL <= b; q += VL) vf_store(out + q, vf_load(xrow + base + q));
    } else if (sw == 2) {
        /* reads xrow[base + 2q .. base + 2q + 2VL - 1], inside [base + 2a, base + 2(b-1)] when q + VL < b */
        for (; q + VL < b; q += VL) {
            vf even, odd;
            vf_load_even_odd(xrow + base + 2 * q, &even, &odd);
            vf_store(out + q, even);
        }
    }
    for (; q < b; q++) out[q] = xrow[base + q * sw];
    for (; q + VL <= end; q += VL) vf_store(out + q, zero);
    for (; q < end; q++) out[q] = 0.0f;
}

static void add_row_vec(float *xrow, int64_t base, const float *in, int64_t sw, int64_t a, int64_t b)
{
    int64_t q = a;
    if (sw == 1) {
        for (; q + VL <= b; q += VL) {
            float *p = xrow + base + q;
            vf_store(p, vf_add(vf_load(p), vf_load(in + q)));
        }
    } else if (sw == 2) {
        for (; q + VL < b; q += VL) {
            float *p = xrow + base + 2 * q;
            vf even, odd;
            vf_load_even_odd(p, &even, &odd);
            vf_store_even_odd(p, vf_add(even, vf_load(in + q)), odd);
        }
    }
    for (; q < b; q++) xrow[base + q * sw] += in[q];
}

void SG_CK(im2col)(const sg_dw_geom *g, const float *x, int64_t img_stride, int64_t j0, int64_t ncols, int64_t r0,
                   int64_t r1, float *col)
{
    sg_cw_im2col(g, x, img_stride, j0, ncols, r0, r1, col, copy_row_vec);
}

void SG_CK(col2im)(const sg_dw_geom *g, const float *col, int64_t j0, int64_t ncols, int64_t c0, int64_t c1,
                   float *dx, int64_t img_stride)
{
    sg_cw_col2im(g, col, j0, ncols, c0, c1, dx, img_stride, add_row_vec);
}

/* conv_s1's register block: CS1_R channels x CS1_NB vectors (64 columns with
 * 16 lanes, 24 with 8, 24 with 4): CS1_R * CS1_NB sums + CS1_NB inputs + one
 * weight fit the registers of each ISA. */
enum { CS1_R = 4, CS1_NB = VL == 16 ? 4 : VL == 8 ? 3 : 6 };

/* The channels [o, o + nr) (nr <= CS1_R) of output row oh, columns ow0 ..
 * ow0 + ncols - 1 (ncols <= nb * VL, nb <= CS1_NB a constant once inlined). */
static inline __attribute__((always_inline)) void s1_block(const sg_conv_s1_geom *g, const float *xp,
                                                          const float *w, const float *bias, bool accumulate,
                                                          int64_t o, int nr, int64_t oh, int64_t ow0,
                                                          int64_t ncols, int nb, float *y)
{
    const int64_t taps = g->C * g->KH * g->KW, plane = g->HP * g->WP;
    const float *wr[CS1_R];
    for (int r = 0; r < CS1_R; r++) wr[r] = w + (o + (r < nr ? r : 0)) * taps;
    vf acc[CS1_R][CS1_NB];
    for (int r = 0; r < CS1_R; r++)
        for (int v = 0; v < nb; v++) acc[r][v] = vf_set1(0.0f);
    int64_t t = 0;
    for (int64_t c = 0; c < g->C; c++)
        for (int64_t kh = 0; kh < g->KH; kh++) {
            const float *xr = xp + c * plane + (oh + kh * g->dil_h) * g->WP + ow0;
            for (int64_t kw = 0; kw < g->KW; kw++, t++) {
                vf xv[CS1_NB];
                for (int v = 0; v < nb; v++) xv[v] = vf_load(xr + kw * g->dil_w + v * VL);
                for (int r = 0; r < CS1_R; r++) {
                    const vf wv = vf_set1(wr[r][t]);
                    for (int v = 0; v < nb; v++) acc[r][v] = vf_fma(wv, xv[v], acc[r][v]);
                }
            }
        }
    for (int r = 0; r < nr; r++) {
        const vf b = vf_set1(bias ? bias[o + r] : 0.0f);
        float *yr = y + ((o + r) * g->OH + oh) * g->OW + ow0;
        for (int v = 0; v < nb; v++) {
            const vf val = vf_add(acc[r][v], b);
            const int64_t n = ncols - v * VL < VL ? ncols - v * VL : VL;
            if (n == VL) {
                vf_store(yr + v * VL, accumulate ? vf_add(vf_load(yr + v * VL), val) : val);
            } else {
                float tmp[VL];
                vf_store(tmp, val);
                for (int64_t i = 0; i < n; i++) yr[v * VL + i] = accumulate ? yr[v * VL + i] + tmp[i] : tmp[i];
            }
        }
    }
}

void SG_CK(conv_s1)(const sg_conv_s1_geom *g, const float *xp, const float *w, const float *bias, bool accumulate,
                    int64_t o0, int64_t o1, float *y)
{
    for (int64_t oh = 0; oh < g->OH; oh++)
        for (int64_t o = o0; o < o1; o += CS1_R) {
            const int nr = o1 - o < CS1_R ? (int)(o1 - o) : CS1_R;
            for (int64_t ow0 = 0; ow0 < g->OW; ow0 += CS1_NB * VL) {
                const int64_t ncols = g->OW - ow0 < CS1_NB * VL ? g->OW - ow0 : CS1_NB * VL;
                /* one compiled copy per vector count (CS1_NB <= 6; larger cases never occur) */
                switch ((ncols + VL - 1) / VL) {
#define S1_CASE_(k) \
    case k: s1_block(g, xp, w, bias, accumulate, o, nr, oh, ow0, ncols, (k) < CS1_NB ? (k) : CS1_NB, y); break;
                    S1_CASE_(1) S1_CASE_(2) S1_CASE_(3) S1_CASE_(4) S1_CASE_(5) S1_CASE_(6)
#undef S1_CASE_
                }
            }
        }
}

/* conv_s1_dw's register tile: 16 output channels (CS1_OB vectors) x up to
 * CS1_T taps (24 sums with 16 lanes, 12 with 8, 24 with 4). */
enum { CS1_OB = 16 / VL, CS1_T = VL == 16 ? 24 : 6 };

/* The taps at offsets off[0 .. nt) (nt <= CS1_T, a constant once inlined) of
 * the output channels [o0, o1), over the chunk; adds the sums of the first
 * nreal (taps t0 ..) into dw. */
static inline __attribute__((always_inline)) void s1_dw_tile(const sg_conv_s1_geom *g, const float *xp,
                                                            int64_t img_floats, const float *dyT, int64_t ldo,
                                                            int64_t j0, int64_t nj, int64_t o0, int64_t o1,
                                                            int64_t t0, int nt, int nreal, const int64_t *off,
                                                            float *dw)
{
    const int64_t P = g->OH * g->OW, taps = g->C * g->KH * g->KW;
    /* every loop over t and v unrolled: the sums must live in registers */
    vf acc[CS1_T][CS1_OB];
#pragma GCC unroll 24
    for (int t = 0; t < nt; t++)
#pragma GCC unroll 4
        for (int v = 0; v < CS1_OB; v++) acc[t][v] = vf_set1(0.0f);
    for (int64_t jj = 0, j = j0; jj < nj;) {
        const int64_t p = j % P, ow = p % g->OW;
        const int64_t len = g->OW - ow < nj - jj ? g->OW - ow : nj - jj;   /* along one output row */
        const float *xb = xp + j / P * img_floats + p / g->OW * g->WP + ow, *d = dyT + jj * ldo + o0;
        for (int64_t q = 0; q < len; q++, xb++, d += ldo) {
            vf dv[CS1_OB];
#pragma GCC unroll 4
            for (int v = 0; v < CS1_OB; v++) dv[v] = vf_load(d + v * VL);
#pragma GCC unroll 24
            for (int t = 0; t < nt; t++) {
                const vf xv = vf_set1(xb[off[t]]);
#pragma GCC unroll 4
                for (int v = 0; v < CS1_OB; v++) acc[t][v] = vf_fma(dv[v], xv, acc[t][v]);
            }
        }
        jj += len, j += len;
    }
#pragma GCC unroll 24
    for (int t = 0; t < nt; t++) {
        if (t >= nreal) break;
        float sums[16];
#pragma GCC unroll 4
        for (int v = 0; v < CS1_OB; v++) vf_store(sums + v * VL, acc[t][v]);
        for (int64_t o = o0; o < o1; o++) dw[o * taps + t0 + t] += sums[o - o0];
    }
}

void SG_CK(conv_s1_dw)(const sg_conv_s1_geom *g, const float *xp, int64_t img_floats, const float *dyT, int64_t ldo,
                       int64_t j0, int64_t nj, int64_t o0, int64_t o1, int64_t t0, int64_t t1, float *dw)
{
    const int64_t plane = g->HP * g->WP;
    int64_t off[CS1_T];
    for (int64_t t = t0; t < t1;) {
        /* tiles of CS1_T taps; the last one in the smallest compiled size that
         * holds it (CS1_T / 6 steps), its extra taps computing tap t again
         * and not stored: one pass over the positions per tile */
        const int64_t left = t1 - t;
        const int nreal = left >= CS1_T ? CS1_T : (int)left;
        const int step = CS1_T / 6, nt = (nreal + step - 1) / step * step;
        for (int i = 0; i < nt; i++) {
            const int64_t tt = i < nreal ? t + i : t, c = tt / (g->KH * g->KW), kh = (tt / g->KW) % g->KH;
            off[i] = c * plane + kh * g->dil_h * g->WP + tt % g->KW * g->dil_w;
        }
        switch (nt / step) {
#define S1_DW_CASE_(k) \
    case k: s1_dw_tile(g, xp, img_floats, dyT, ldo, j0, nj, o0, o1, t, (k) * (CS1_T / 6), nreal, off, dw); break;
            S1_DW_CASE_(1) S1_DW_CASE_(2) S1_DW_CASE_(3) S1_DW_CASE_(4) S1_DW_CASE_(5) S1_DW_CASE_(6)
#undef S1_DW_CASE_
        }
        t += nreal;
    }
}

/* conv_s1_dx's register block: CS1_R input channels x up to CS1_DX_NB vectors
 * of dx sums, as many of the tap's chains, the dy vectors and a weight. */
enum { CS1_DX_NB = VL == 16 ? 3 : VL == 8 ? 1 : 3 };

/* Input channels [c, c + nr) of input row ih, columns iw0 .. iw0 + ncols - 1
 * (ncols <= nb * VL, nb <= CS1_DX_NB a constant once inlined), the chunk's
 * positions [jlo, jhi) of the image. The block's dx values stay in registers
 * while the taps are added in order, and are stored once. */
static inline __attribute__((always_inline)) void s1_dx_block(const sg_conv_s1_dx_geom *g, const float *dyq,
                                                             const float *w, int64_t jlo, int64_t jhi, int64_t c,
                                                             int nr, int64_t ih, int64_t iw0, int64_t ncols, int nb,
                                                             float *dx)
{
    const int64_t TQ = (g->KH - 1) * g->dil_h, LQ = (g->KW - 1) * g->dil_w, KK = g->KH * g->KW;
    const int64_t WQ = g->OW + 2 * LQ, plane = (g->OH + 2 * TQ) * WQ, wo = g->C * KK;
    const float *wr[CS1_R];
    for (int r = 0; r < CS1_R; r++) wr[r] = w + (c + (r < nr ? r : 0)) * KK;
    /* the block's dx (rows past nr: a copy of the first, never stored); the
     * last vector past the row's end through a copy of its pixels */
    vf acc[CS1_R][CS1_DX_NB];
    const int64_t last = ncols - (nb - 1) * VL;   /* pixels in the last vector, 1..VL */
    for (int r = 0; r < CS1_R; r++) {
        const float *px = dx + ((c + (r < nr ? r : 0)) * g->H + ih) * g->W + iw0;
        for (int v = 0; v + 1 < nb; v++) acc[r][v] = vf_load(px + v * VL);
        float tmp[VL] = {0};
        memcpy(tmp, px + (nb - 1) * VL, sizeof(float) * (size_t)last);
        acc[r][nb - 1] = vf_load(tmp);
    }
    for (int64_t kh = 0; kh < g->KH; kh++) {
        const int64_t oh = ih + g->pad_top - kh * g->dil_h;
        if (oh < 0 || oh >= g->OH) continue;
        /* the output columns of row oh inside the output and the chunk */
        const int64_t lo = jlo - oh * g->OW > 0 ? jlo - oh * g->OW : 0;
        const int64_t hi = jhi - oh * g->OW < g->OW ? jhi - oh * g->OW : g->OW;
        if (lo >= hi) continue;
        for (int64_t kw = 0; kw < g->KW; kw++) {
            const int64_t ow0 = iw0 + g->pad_left - kw * g->dil_w;   /* lane 0's output column */
            const int64_t a = lo - ow0 > 0 ? lo - ow0 : 0, b = hi - ow0 < ncols ? hi - ow0 : ncols;
            if (a >= b) continue;
            const float *dyr = dyq + (oh + TQ) * WQ + ow0 + LQ;
            const int64_t t = kh * g->KW + kw;
            vf d[CS1_R][CS1_DX_NB];
            for (int r = 0; r < CS1_R; r++)
                for (int v = 0; v < nb; v++) d[r][v] = vf_set1(0.0f);
            for (int64_t o = 0; o < g->O; o++) {
                vf yv[CS1_DX_NB];
                for (int v = 0; v < nb; v++) yv[v] = vf_load(dyr + o * plane + v * VL);
                for (int r = 0; r < CS1_R; r++) {
                    const vf wv = vf_set1(wr[r][o * wo + t]);
                    for (int v = 0; v < nb; v++) d[r][v] = vf_fma(wv, yv[v], d[r][v]);
                }
            }
            for (int v = 0; v < nb; v++) {
                const int64_t vlo = a - v * VL, vhi = b - v * VL;
                if (vhi <= 0 || vlo >= VL) continue;
                const int l0 = vlo > 0 ? (int)vlo : 0, l1 = vhi < VL ? (int)vhi : VL;
                for (int r = 0; r < CS1_R; r++) acc[r][v] = vf_add_lanes(acc[r][v], d[r][v], l0, l1);
            }
        }
    }
    for (int r = 0; r < nr; r++) {
        float *px = dx + ((c + r) * g->H + ih) * g->W + iw0;
        for (int v = 0; v + 1 < nb; v++) vf_store(px + v * VL, acc[r][v]);
        float tmp[VL];
        vf_store(tmp, acc[r][nb - 1]);
        memcpy(px + (nb - 1) * VL, tmp, sizeof(float) * (size_t)last);
    }
}

void SG_CK(conv_s1_dx)(const sg_conv_s1_dx_geom *g, const float *dyq, const float *w, int64_t jlo, int64_t jhi,
                       int64_t c0, int64_t c1, float *dx)
{
    if (jlo >= jhi) return;
    /* the input rows some tap of the chunk's output rows reads */
    const int64_t oh_lo = jlo / g->OW, oh_hi = (jhi - 1) / g->OW;
    const int64_t r0 = oh_lo - g->pad_top > 0 ? oh_lo - g->pad_top : 0;
    const int64_t r1 = oh_hi - g->pad_top + (g->KH - 1) * g->dil_h + 1 < g->H
                           ? oh_hi - g->pad_top + (g->KH - 1) * g->dil_h + 1 : g->H;
    for (int64_t c = c0; c < c1; c += CS1_R) {
        const int nr = c1 - c < CS1_R ? (int)(c1 - c) : CS1_R;
        for (int64_t ih = r0; ih < r1; ih++)
            for (int64_t iw0 = 0; iw0 < g->W; iw0 += CS1_DX_NB * VL) {
                const int64_t ncols = g->W - iw0 < CS1_DX_NB * VL ? g->W - iw0 : CS1_DX_NB * VL;
                switch ((ncols + VL - 1) / VL) {
#define S1_CASE_(k) \
    case k: s1_dx_block(g, dyq, w, jlo, jhi, c, nr, ih, iw0, ncols, (k) < CS1_DX_NB ? (k) : CS1_DX_NB, dx); break;
                    S1_CASE_(1) S1_CASE_(2) S1_CASE_(3) S1_CASE_(4) S1_CASE_(5) S1_CASE_(6)
#undef S1_CASE_
                }
            }
    }
}

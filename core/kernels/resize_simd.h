/* core/kernels/resize_simd.h - the SIMD twins of nearest and bilinear
 * resizing, written once over norm_vec.h and compiled per ISA by
 * resize_avx2.c, resize_avx512.c and resize_neon.c; bit for bit the scalar
 * twins of resize_scalar.c.
 *
 * - nearest forward: VL outputs of a row at once: an output row that reads the
 *   same source row as the one before is a copy of it; otherwise the source
 *   row itself (columns 1:1), each source value twice (columns 1:2, the
 *   exact 2x case), or a gather by the column table;
 * - nearest backward, columns 1:1 or 1:2 only: dx[w] += dy[i][j] for the VL
 *   (or 2 VL) outputs of a row, which land on VL distinct inputs, rows in the
 *   scalar's increasing i, and in the 1:2 case the even column's term before
 *   the odd one's, as the scalar's increasing j; other tables run the scalar
 *   twin (outputs of one vector could land on one input);
 * - bilinear forward: the scalar's inner sums t = lw0 * r[w0] + lw1 * r[w1]
 *   of a source row are computed once per block of 512 columns and kept while
 *   the output rows that read that source row go by (two rows cached on the
 *   stack), then y = lh0 * t0 + lh1 * t1 VL at a time: the same roundings in
 *   the same order. (Gathering the four source values per output instead was
 *   slower than the scalar loop, loaded.)
 * - bilinear backward has no twin: neighbouring outputs add into the same
 *   inputs (w1[j] == w0[j + 1]), so the additions are a chain in j.
 * The last OW % VL outputs of a row run the scalar expression. */
#include "core/kernels/kernels.h"

#define SG_RK_CAT2_(a, b) sg_k_##a##_##b
#define SG_RK_CAT_(a, b) SG_RK_CAT2_(a, b)
#define SG_RK(name) SG_RK_CAT_(name, SG_NK_ISA)

/* How the output columns read the input ones: 1 if w0[j] == j (OW == W), 2 if
 * w0[j] == j / 2 (OW == 2 W), 0 otherwise. */
static int column_ratio(const sg_resize_geom *g)
{
    int ok1 = g->OW == g->W, ok2 = g->OW == 2 * g->W;
    for (int64_t j = 0; j < g->OW && (ok1 || ok2); j++) {
        ok1 = ok1 && g->w0[j] == j;
        ok2 = ok2 && g->w0[j] == j / 2;
    }
    return ok1 ? 1 : ok2 ? 2 : 0;
}

void SG_RK(up_nearest_forward)(const sg_resize_geom *g, const float *x, float *y, int64_t planes)
{
    const int64_t W = g->W, OW = g->OW;
    const int ratio = column_ratio(g);
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * g->H * W;
        float *yp = y + p * g->OH * OW;
        for (int64_t i = 0; i < g->OH; i++) {
            const float *src = xp + g->h0[i] * W;
            float *out = yp + i * OW;
            int64_t j = 0;
            if (i > 0 && g->h0[i] == g->h0[i - 1]) {   /* the row above, again */
                for (; j + VL <= OW; j += VL) vf_store(out + j, vf_load(out - OW + j));
                for (; j < OW; j++) out[j] = out[j - OW];
                continue;
            }
            if (ratio == 1)
                for (; j + VL <= OW; j += VL) vf_store(out + j, vf_load(src + j));
            else if (ratio == 2)
                for (; j + 2 * VL <= OW; j += 2 * VL) {
                    const vf v = vf_load(src + j / 2);
                    vf_store_even_odd(out + j, v, v);
                }
            else
                for (; j + VL <= OW; j += VL) vf_store(out + j, vf_gather64(src, g->w0 + j));
            for (; j < OW; j++) out[j] = src[g->w0[j]];
        }
    }
}

void SG_RK(up_nearest_backward)(const sg_resize_geom *g, const float *dy, float *dx, int64_t planes)
{
    const int64_t W = g->W, OW = g->OW;
    const int ratio = column_ratio(g);
    if (ratio == 0) {
        sg_k_up_nearest_backward_scalar(g, dy, dx, planes);
        return;
    }
    for (int64_t p = 0; p < planes; p++) {
        float *dxp = dx + p * g->H * W;
        const float *dyp = dy + p * g->OH * OW;
        for (int64_t i = 0; i < g->OH; i++) {
            float *dst = dxp + g->h0[i] * W;
            const float *in = dyp + i * OW;
            int64_t w = 0;
            if (ratio == 1) {
                for (; w + VL <= W; w += VL) vf_store(dst + w, vf_add(vf_load(dst + w), vf_load(in + w)));
                for (; w < W; w++) dst[w] += in[w];
            } else {
                for (; w + VL <= W; w += VL) {
                    vf even, odd;
                    vf_load_even_odd(in + 2 * w, &even, &odd);
                    vf_store(dst + w, vf_add(vf_add(vf_load(dst + w), even), odd));
                }
                for (; w < W; w++) {
                    dst[w] += in[2 * w];
                    dst[w] += in[2 * w + 1];
                }
            }
        }
    }
}

/* One source row's horizontal interpolation over the columns [j0, j0 + n):
 * t[j - j0] = lw0[j] * r[w0[j]] + lw1[j] * r[w1[j]], the scalar's inner sum. */
static void bilinear_row(const sg_resize_geom *g, const float *r, int64_t j0, int64_t n, float *t)
{
    for (int64_t j = 0; j < n; j++)
        t[j] = g->lw0[j0 + j] * r[g->w0[j0 + j]] + g->lw1[j0 + j] * r[g->w1[j0 + j]];
}

enum { BILINEAR_COLS = 512 };   /* columns per block: two cached rows on the stack */

void SG_RK(up_bilinear_forward)(const sg_resize_geom *g, const float *x, float *y, int64_t planes)
{
    const int64_t W = g->W, OW = g->OW;
    float t[2][BILINEAR_COLS];
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * g->H * W;
        float *yp = y + p * g->OH * OW;
        for (int64_t j0 = 0; j0 < OW; j0 += BILINEAR_COLS) {
            const int64_t n = OW - j0 < BILINEAR_COLS ? OW - j0 : BILINEAR_COLS;
            int64_t row[2] = {-1, -1};   /* the source row each cache holds */
            for (int64_t i = 0; i < g->OH; i++) {
                const int64_t want[2] = {g->h0[i], g->h1[i]};
                int slot[2];
                for (int k = 0; k < 2; k++) {
                    slot[k] = row[0] == want[k] ? 0 : row[1] == want[k] ? 1 : -1;
                    if (slot[k] < 0) {   /* fill the cache the other row does not use */
                        const int other = k == 1 ? slot[0] : (row[0] == want[1] ? 0 : row[1] == want[1] ? 1 : -1);
                        slot[k] = other == 0 ? 1 : 0;
                        bilinear_row(g, xp + want[k] * W, j0, n, t[slot[k]]);
                        row[slot[k]] = want[k];
                    }
                }
                const float *t0 = t[slot[0]], *t1 = t[slot[1]];
                const float lh0 = g->lh0[i], lh1 = g->lh1[i];
                const vf vh0 = vf_set1(lh0), vh1 = vf_set1(lh1);
                float *out = yp + i * OW + j0;
                int64_t j = 0;
                for (; j + VL <= n; j += VL)
                    vf_store(out + j, vf_add(vf_mul(vh0, vf_load(t0 + j)), vf_mul(vh1, vf_load(t1 + j))));
                for (; j < n; j++) out[j] = lh0 * t0[j] + lh1 * t1[j];
            }
        }
    }
}

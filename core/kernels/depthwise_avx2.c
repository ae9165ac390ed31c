/* core/kernels/depthwise_avx2.c - depthwise planes with AVX2 (compiled with
 * -mavx2 -mfma; no fused multiply-add is used).
 *
 * The AVX-512 twin's method in 8 lanes (depthwise_avx512.c): a chunk of NB
 * vectors of a row stays in registers while every tap is added in the scalar
 * twin's order (depthwise_scalar.c); a tap whose input falls outside x is
 * blended away for that lane (it adds nothing), and masked loads
 * (_mm256_maskload_ps) never touch memory outside the rows; vectors whose
 * lanes all have the tap inside take a plain load and add. Products and sums
 * are rounded apart (_mm256_mul_ps, _mm256_add_ps). Forward for column
 * strides 1 and 2, input gradient for column stride 1; other geometries run
 * the scalar twin. Same bits as the scalar twin for every input. */
#include <immintrin.h>

#include "core/kernels/kernels.h"

enum { MAX_KW = 16, NB = 8 };   /* NB: the largest chunk of SG_DW_SWITCH_NB */

/* All-ones in lane l when lo <= base + l < hi (l < 8). */
static inline __m256i lanes_in(int64_t base, int64_t lo, int64_t hi)
{
    int32_t m[8];
    for (int l = 0; l < 8; l++) m[l] = base + l >= lo && base + l < hi ? -1 : 0;
    return _mm256_loadu_si256((const __m256i *)m);
}

/* Position q (< 16) of a 16-float window holds lane q / 2 when q is even. */
static inline void spread_even(__m256i m, __m256i *lo, __m256i *hi)
{
    int32_t in[8], a[8], b[8];
    _mm256_storeu_si256((__m256i *)in, m);
    for (int q = 0; q < 8; q++) {
        a[q] = q % 2 ? 0 : in[q / 2];
        b[q] = q % 2 ? 0 : in[4 + q / 2];
    }
    *lo = _mm256_loadu_si256((const __m256i *)a);
    *hi = _mm256_loadu_si256((const __m256i *)b);
}

/* acc + w * v in the lanes of m, acc elsewhere. */
static inline __m256 add_masked(__m256 acc, __m256i m, __m256 wv, __m256 v)
{
    return _mm256_blendv_ps(acc, _mm256_add_ps(acc, _mm256_mul_ps(wv, v)), _mm256_castsi256_ps(m));
}

/* The rows of one chunk of nb vectors (nb a constant once inlined: the
 * chunk's loops then hold exactly its vectors, no per-vector test). */
static inline __attribute__((always_inline)) void fwd_rows(const int nb, const sg_dw_geom *g, const float *x,
                                                         const float *w, bool accumulate, float *y, int64_t c0,
                                                         const int64_t *off, const __m256i *mo,
                                                         __m256i (*mk)[NB], __m256i (*mlo)[NB],
                                                         __m256i (*mhi)[NB], bool (*full)[NB], __m256 vb)
{
    const int64_t sw = g->stride_w;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        float *yrow = y + oh * g->OW + c0;
        __m256 acc[NB];
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++)
            acc[b] = accumulate ? _mm256_add_ps(_mm256_maskload_ps(yrow + 8 * b, mo[b]), vb) : vb;
        for (int64_t kh = 0; kh < g->KH; kh++) {
            const int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
            if (ih < 0 || ih >= g->H) continue;
            const float *xrow = x + ih * g->W + c0 * sw;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const __m256 wv = _mm256_set1_ps(w[kh * g->KW + kw]);
                const float *p = xrow + off[kw];
                if (sw == 1) {
#pragma GCC unroll 8
                    for (int b = 0; b < nb; b++) {
                        if (full[kw][b])   /* every lane's tap is inside: plain load and add */
                            acc[b] = _mm256_add_ps(acc[b], _mm256_mul_ps(wv, _mm256_loadu_ps(p + 8 * b)));
                        else
                            acc[b] = add_masked(acc[b], mk[kw][b], wv, _mm256_maskload_ps(p + 8 * b, mk[kw][b]));
                    }
                } else {
#pragma GCC unroll 8
                    for (int b = 0; b < nb; b++) {
                        const __m256 va = _mm256_maskload_ps(p + 16 * b, mlo[kw][b]);
                        const __m256 vc = _mm256_maskload_ps(p + 16 * b + 8, mhi[kw][b]);
                        /* evens of va then of vc: [a0 a2 c0 c2 a4 a6 c4 c6] -> in order */
                        const __m256 e = _mm256_shuffle_ps(va, vc, 0x88);
                        const __m256 v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
                        acc[b] = add_masked(acc[b], mk[kw][b], wv, v);
                    }
                }
            }
        }
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) _mm256_maskstore_ps(yrow + 8 * b, mo[b], acc[b]);
    }
}

/* The dx rows of one chunk of nb vectors (a constant once inlined). */
static inline __attribute__((always_inline)) void bwd_rows(const int nb, const sg_dw_geom *g, const float *dy,
                                                         const float *w, float *dx, int64_t c0,
                                                         const int64_t *off, const __m256i *mo,
                                                         __m256i (*mk)[NB], bool (*full)[NB])
{
    const int64_t reach = (g->KH - 1) * g->dil_h;
    for (int64_t ih = 0; ih < g->H; ih++) {
        float *dxrow = dx + ih * g->W + c0;
        /* Rows oh in increasing order whose tap kh lands on ih (see the AVX-512 twin). */
        const int64_t t = ih + g->pad_top;
        const int64_t oh_lo = t - reach <= 0 ? 0 : (t - reach + g->stride_h - 1) / g->stride_h;
        const int64_t oh_hi = t / g->stride_h < g->OH - 1 ? t / g->stride_h : g->OH - 1;
        __m256 acc[NB];
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) acc[b] = _mm256_maskload_ps(dxrow + 8 * b, mo[b]);
        for (int64_t oh = oh_lo; oh <= oh_hi; oh++) {
            const int64_t rest = t - oh * g->stride_h;
            if (rest < 0 || rest % g->dil_h) continue;
            const int64_t kh = rest / g->dil_h;
            if (kh >= g->KH) continue;
            const float *dyrow = dy + oh * g->OW + c0;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const __m256 wv = _mm256_set1_ps(w[kh * g->KW + kw]);
                const float *p = dyrow - off[kw];
#pragma GCC unroll 8
                for (int b = 0; b < nb; b++) {
                    if (full[kw][b])
                        acc[b] = _mm256_add_ps(acc[b], _mm256_mul_ps(wv, _mm256_loadu_ps(p + 8 * b)));
                    else
                        acc[b] = add_masked(acc[b], mk[kw][b], wv, _mm256_maskload_ps(p + 8 * b, mk[kw][b]));
                }
            }
        }
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) _mm256_maskstore_ps(dxrow + 8 * b, mo[b], acc[b]);
    }
}

void sg_k_dw_forward_avx2(const sg_dw_geom *g, const float *x, const float *w, float bias,
                          bool accumulate, float *y)
{
    if ((g->stride_w != 1 && g->stride_w != 2) || g->KW > MAX_KW) {
        sg_k_dw_forward_scalar(g, x, w, bias, accumulate, y);
        return;
    }
    const int64_t sw = g->stride_w;
    int64_t off[MAX_KW], lo[MAX_KW], hi[MAX_KW];
    for (int64_t kw = 0; kw < g->KW; kw++) {
        off[kw] = kw * g->dil_w - g->pad_left;
        sg_dw_tap_range(off[kw], sw, g->W, g->OW, &lo[kw], &hi[kw]);
    }
    const __m256 vb = _mm256_set1_ps(bias);
    for (int64_t c0 = 0; c0 < g->OW; c0 += 8 * NB) {
        /* the vectors this chunk needs (a 7- or 14-wide plane needs one) */
        const int nb = (g->OW - c0 + 7) / 8 < NB ? (int)((g->OW - c0 + 7) / 8) : NB;
        __m256i mo[NB], mk[MAX_KW][NB], mlo[MAX_KW][NB], mhi[MAX_KW][NB];
        bool full[MAX_KW][NB];
        for (int b = 0; b < nb; b++) {
            mo[b] = lanes_in(c0 + 8 * b, 0, g->OW);
            for (int64_t kw = 0; kw < g->KW; kw++) {
                mk[kw][b] = lanes_in(c0 + 8 * b, lo[kw], hi[kw]);
                full[kw][b] = c0 + 8 * b >= lo[kw] && c0 + 8 * b + 8 <= hi[kw];
                if (sw == 2) spread_even(mk[kw][b], &mlo[kw][b], &mhi[kw][b]);
            }
        }
#define FWD_ROWS_(n) fwd_rows((n), g, x, w, accumulate, y, c0, off, mo, mk, mlo, mhi, full, vb)
        SG_DW_SWITCH_NB(nb, FWD_ROWS_)
#undef FWD_ROWS_
    }
}

void sg_k_dw_backward_data_avx2(const sg_dw_geom *g, const float *dy, const float *w, float *dx)
{
    if (g->stride_w != 1 || g->KW > MAX_KW) {
        sg_k_dw_backward_data_scalar(g, dy, w, dx);
        return;
    }
    int64_t off[MAX_KW], lo[MAX_KW], hi[MAX_KW];
    for (int64_t kw = 0; kw < g->KW; kw++) {
        off[kw] = kw * g->dil_w - g->pad_left;
        sg_dw_tap_range(off[kw], 1, g->W, g->OW, &lo[kw], &hi[kw]);
    }
    for (int64_t c0 = 0; c0 < g->W; c0 += 8 * NB) {
        /* the vectors this chunk needs (a 7- or 14-wide plane needs one) */
        const int nb = (g->W - c0 + 7) / 8 < NB ? (int)((g->W - c0 + 7) / 8) : NB;
        __m256i mo[NB], mk[MAX_KW][NB];
        bool full[MAX_KW][NB];
        for (int b = 0; b < nb; b++) {
            mo[b] = lanes_in(c0 + 8 * b, 0, g->W);
            for (int64_t kw = 0; kw < g->KW; kw++) {
                mk[kw][b] = lanes_in(c0 + 8 * b, lo[kw] + off[kw], hi[kw] + off[kw]);
                full[kw][b] = c0 + 8 * b >= lo[kw] + off[kw] && c0 + 8 * b + 8 <= hi[kw] + off[kw];
            }
        }
#define BWD_ROWS_(n) bwd_rows((n), g, dy, w, dx, c0, off, mo, mk, full)
        SG_DW_SWITCH_NB(nb, BWD_ROWS_)
#undef BWD_ROWS_
    }
}

/* core/kernels/depthwise_avx512.c - depthwise planes with AVX-512F (compiled
 * with the ISA_FLAGS_avx512 of the Makefile).
 *
 * Bit for bit the scalar twin (depthwise_scalar.c states the order): a vector
 * holds 16 neighbouring outputs of a row and stays in a register while every
 * tap is added to it, in the twin's order; a tap whose input falls outside x
 * is masked off for that lane (it adds nothing, as in the twin, not a zero
 * product), and masked loads never touch memory outside the rows. Products
 * and sums are rounded apart (_mm512_mul_ps then _mm512_mask_add_ps), as the
 * twin does. Forward handles column strides 1 and 2 (stride 2: two loads and
 * an even-lane permute); the input gradient is gathered per dx row for column
 * stride 1. Other geometries (and filters wider than 16) run the scalar twin. */
#include <immintrin.h>

#include "core/kernels/kernels.h"

enum { MAX_KW = 16 };

/* Lanes l of a vector starting at `base` with lo <= base + l < hi. */
static inline __mmask16 lanes_in(int64_t base, int64_t lo, int64_t hi)
{
    int64_t a = lo - base, b = hi - base;
    a = a < 0 ? 0 : a > 16 ? 16 : a;
    b = b < 0 ? 0 : b > 16 ? 16 : b;
    if (b <= a) return 0;
    return (__mmask16)(((1u << b) - 1u) & ~((1u << a) - 1u));
}

/* Bit l of m moved to bit 2l (a 16-bit mask spread over 32 positions). */
static inline uint32_t spread_even(__mmask16 m)
{
    if (m == 0xffff) return 0x55555555u;
    uint32_t e = 0;
    for (int l = 0; l < 16; l++) e |= (uint32_t)((m >> l) & 1u) << (2 * l);
    return e;
}

/* A row is done in chunks of NB vectors (128 outputs) whose sums stay in
 * registers while the taps are added: NB independent chains per tap, so the
 * adds overlap instead of waiting on one another. Masks depend only on the
 * chunk and the tap, so they are computed once per chunk, not per row. */
enum { NB = 8 };   /* the largest chunk of SG_DW_SWITCH_NB */

/* The rows of one chunk of nb vectors (nb a constant once inlined: the
 * chunk's loops then hold exactly its vectors, no per-vector test). */
static inline __attribute__((always_inline)) void fwd_rows(const int nb, const sg_dw_geom *g, const float *x,
                                                         const float *w, bool accumulate, float *y, int64_t c0,
                                                         const int64_t *off, const __mmask16 *mo,
                                                         __mmask16 (*mk)[NB], __mmask16 (*mlo)[NB],
                                                         __mmask16 (*mhi)[NB], __m512 vb, __m512i even)
{
    const int64_t sw = g->stride_w;
    for (int64_t oh = 0; oh < g->OH; oh++) {
        float *yrow = y + oh * g->OW + c0;
        __m512 acc[NB];
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++)
            acc[b] = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(mo[b], yrow + 16 * b), vb) : vb;
        for (int64_t kh = 0; kh < g->KH; kh++) {
            const int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dil_h;
            if (ih < 0 || ih >= g->H) continue;
            const float *xrow = x + ih * g->W + c0 * sw;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const __m512 wv = _mm512_set1_ps(w[kh * g->KW + kw]);
                const float *p = xrow + off[kw];
                if (sw == 1) {
#pragma GCC unroll 8
                    for (int b = 0; b < nb; b++) {
                        const __m512 v = _mm512_maskz_loadu_ps(mk[kw][b], p + 16 * b);
                        acc[b] = _mm512_mask_add_ps(acc[b], mk[kw][b], acc[b], _mm512_mul_ps(wv, v));
                    }
                } else {
#pragma GCC unroll 8
                    for (int b = 0; b < nb; b++) {
                        const __m512 va = _mm512_maskz_loadu_ps(mlo[kw][b], p + 32 * b);
                        const __m512 vc = _mm512_maskz_loadu_ps(mhi[kw][b], p + 32 * b + 16);
                        const __m512 v = _mm512_permutex2var_ps(va, even, vc);
                        acc[b] = _mm512_mask_add_ps(acc[b], mk[kw][b], acc[b], _mm512_mul_ps(wv, v));
                    }
                }
            }
        }
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) _mm512_mask_storeu_ps(yrow + 16 * b, mo[b], acc[b]);
    }
}

void sg_k_dw_forward_avx512(const sg_dw_geom *g, const float *x, const float *w, float bias,
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
    const __m512 vb = _mm512_set1_ps(bias);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t c0 = 0; c0 < g->OW; c0 += 16 * NB) {
        /* the vectors this chunk needs (a 7- or 14-wide plane needs one) */
        const int nb = (g->OW - c0 + 15) / 16 < NB ? (int)((g->OW - c0 + 15) / 16) : NB;
        __mmask16 mo[NB], mk[MAX_KW][NB], mlo[MAX_KW][NB], mhi[MAX_KW][NB];
        for (int b = 0; b < nb; b++) {
            mo[b] = lanes_in(c0 + 16 * b, 0, g->OW);
            for (int64_t kw = 0; kw < g->KW; kw++) {
                mk[kw][b] = lanes_in(c0 + 16 * b, lo[kw], hi[kw]);
                const uint32_t e = sw == 2 ? spread_even(mk[kw][b]) : 0;
                mlo[kw][b] = (__mmask16)(e & 0xffffu), mhi[kw][b] = (__mmask16)(e >> 16);
            }
        }
#define FWD_ROWS_(n) fwd_rows((n), g, x, w, accumulate, y, c0, off, mo, mk, mlo, mhi, vb, even)
        SG_DW_SWITCH_NB(nb, FWD_ROWS_)
#undef FWD_ROWS_
    }
}

/* The dx rows of one chunk of nb vectors (a constant once inlined). */
static inline __attribute__((always_inline)) void bwd_rows(const int nb, const sg_dw_geom *g, const float *dy,
                                                         const float *w, float *dx, int64_t c0,
                                                         const int64_t *off, const __mmask16 *mo,
                                                         __mmask16 (*mk)[NB])
{
    const int64_t reach = (g->KH - 1) * g->dil_h;
    for (int64_t ih = 0; ih < g->H; ih++) {
        float *dxrow = dx + ih * g->W + c0;
        /* The rows oh (increasing, as the twin adds them) whose tap kh lands
         * on ih: oh * sh - pt + kh * dh == ih with 0 <= kh < KH. */
        const int64_t t = ih + g->pad_top;   /* = oh * sh + kh * dh */
        const int64_t oh_lo = t - reach <= 0 ? 0 : (t - reach + g->stride_h - 1) / g->stride_h;
        const int64_t oh_hi = t / g->stride_h < g->OH - 1 ? t / g->stride_h : g->OH - 1;
        __m512 acc[NB];
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) acc[b] = _mm512_maskz_loadu_ps(mo[b], dxrow + 16 * b);
        for (int64_t oh = oh_lo; oh <= oh_hi; oh++) {
            const int64_t rest = t - oh * g->stride_h;
            if (rest < 0 || rest % g->dil_h) continue;
            const int64_t kh = rest / g->dil_h;
            if (kh >= g->KH) continue;
            const float *dyrow = dy + oh * g->OW + c0;
            for (int64_t kw = 0; kw < g->KW; kw++) {
                const __m512 wv = _mm512_set1_ps(w[kh * g->KW + kw]);
                const float *p = dyrow - off[kw];
#pragma GCC unroll 8
                for (int b = 0; b < nb; b++) {
                    const __m512 v = _mm512_maskz_loadu_ps(mk[kw][b], p + 16 * b);
                    acc[b] = _mm512_mask_add_ps(acc[b], mk[kw][b], acc[b], _mm512_mul_ps(wv, v));
                }
            }
        }
#pragma GCC unroll 8
        for (int b = 0; b < nb; b++) _mm512_mask_storeu_ps(dxrow + 16 * b, mo[b], acc[b]);
    }
}

void sg_k_dw_backward_data_avx512(const sg_dw_geom *g, const float *dy, const float *w, float *dx)
{
    if (g->stride_w != 1 || g->KW > MAX_KW) {
        sg_k_dw_backward_data_scalar(g, dy, w, dx);
        return;
    }
    /* Column stride 1: tap kw sends dy[ow] to dx[ow + off] for ow in [lo, hi). */
    int64_t off[MAX_KW], lo[MAX_KW], hi[MAX_KW];
    for (int64_t kw = 0; kw < g->KW; kw++) {
        off[kw] = kw * g->dil_w - g->pad_left;
        sg_dw_tap_range(off[kw], 1, g->W, g->OW, &lo[kw], &hi[kw]);
    }
    for (int64_t c0 = 0; c0 < g->W; c0 += 16 * NB) {
        /* the vectors this chunk needs (a 7- or 14-wide plane needs one) */
        const int nb = (g->W - c0 + 15) / 16 < NB ? (int)((g->W - c0 + 15) / 16) : NB;
        __mmask16 mo[NB], mk[MAX_KW][NB];
        for (int b = 0; b < nb; b++) {
            mo[b] = lanes_in(c0 + 16 * b, 0, g->W);
            for (int64_t kw = 0; kw < g->KW; kw++)
                mk[kw][b] = lanes_in(c0 + 16 * b, lo[kw] + off[kw], hi[kw] + off[kw]);
        }
#define BWD_ROWS_(n) bwd_rows((n), g, dy, w, dx, c0, off, mo, mk)
        SG_DW_SWITCH_NB(nb, BWD_ROWS_)
#undef BWD_ROWS_
    }
}

/* data/jpeg_avx2.c - the x86 twins of the JPEG kernel families jpeg_idct and
 * jpeg_ycc_rgb and of the upsampling family jpeg_upsample (core/kernels/kernels.h), compiled with ISA_FLAGS_avx2 and
 * registered for AVX2 (AVX-512 runs them too). The code itself is SSE2,
 * eight 16-bit lanes, written after libjpeg-turbo's data flow; each gives
 * the samples of its scalar twin (jpeg_idct.c, jpeg_color.c) for every
 * input, corrupt coefficients included (tests/test_jpeg.c, test_kernels_data.c). */
#include <immintrin.h>
#include <string.h>

#include "data/jpeg_internal.h"

/* ---- the inverse DCT ---------------------------------------------------- */

/* Two 16-bit constants (a, b) repeated: pmaddwd of interleaved (x, y)
 * pairs with it gives x * a + y * b in 32 bits. */
static inline __m128i pair(int a, int b)
{
    return _mm_set1_epi32((int)(((uint32_t)(uint16_t)(int16_t)b << 16) | (uint16_t)(int16_t)a));
}

typedef struct lanes32 { __m128i lo, hi; } lanes32;   /* 8 int32: lanes 0-3, 4-7 */

/* x * a + y * b for 8 lanes of int16 x and y */
static inline lanes32 madd8(__m128i x, __m128i y, int a, int b)
{
    __m128i k = pair(a, b);
    return (lanes32){_mm_madd_epi16(_mm_unpacklo_epi16(x, y), k),
                     _mm_madd_epi16(_mm_unpackhi_epi16(x, y), k)};
}

/* 8 lanes of int16 to int32, times 2^CONST_BITS */
static inline lanes32 widen_shifted(__m128i x)
{
    const __m128i zero = _mm_setzero_si128();
    return (lanes32){_mm_srai_epi32(_mm_unpacklo_epi16(zero, x), 16 - SG_JPEG_CONST_BITS),
                     _mm_srai_epi32(_mm_unpackhi_epi16(zero, x), 16 - SG_JPEG_CONST_BITS)};
}

static inline lanes32 add32(lanes32 a, lanes32 b)
{
    return (lanes32){_mm_add_epi32(a.lo, b.lo), _mm_add_epi32(a.hi, b.hi)};
}

static inline lanes32 sub32(lanes32 a, lanes32 b)
{
    return (lanes32){_mm_sub_epi32(a.lo, b.lo), _mm_sub_epi32(a.hi, b.hi)};
}

/* Round, shift and pack 8 int32 back into 8 saturated int16. */
static inline __m128i descale_pack(lanes32 v, int shift)
{
    __m128i round = _mm_set1_epi32(1 << (shift - 1));
    __m128i lo = _mm_srai_epi32(_mm_add_epi32(v.lo, round), shift);
    __m128i hi = _mm_srai_epi32(_mm_add_epi32(v.hi, round), shift);
    return _mm_packs_epi32(lo, hi);
}

/* idct_1d on 8 lanes at once; in[i] holds input i of every lane. */
static inline void idct_1d_sse2(const __m128i in[8], int shift, __m128i out[8])
{
    lanes32 even3 = madd8(in[2], in[6], SG_JPEG_K_EVEN3_2, SG_JPEG_K_EVEN3_6);
    lanes32 even2 = madd8(in[2], in[6], SG_JPEG_K_EVEN2_2, SG_JPEG_K_EVEN2_6);
    lanes32 even0 = widen_shifted(_mm_add_epi16(in[0], in[4]));
    lanes32 even1 = widen_shifted(_mm_sub_epi16(in[0], in[4]));
    lanes32 e10 = add32(even0, even3), e13 = sub32(even0, even3);
    lanes32 e11 = add32(even1, even2), e12 = sub32(even1, even2);

    __m128i z3 = _mm_add_epi16(in[7], in[3]), z4 = _mm_add_epi16(in[5], in[1]);
    lanes32 zc = madd8(z3, z4, SG_JPEG_K_ZC_3, SG_JPEG_K_ZC_4);
    lanes32 zd = madd8(z3, z4, SG_JPEG_K_ZD_3, SG_JPEG_K_ZD_4);
    lanes32 odd0 = add32(madd8(in[7], in[1], SG_JPEG_K_O0_7, SG_JPEG_K_O0_1), zc);
    lanes32 odd3 = add32(madd8(in[7], in[1], SG_JPEG_K_O3_7, SG_JPEG_K_O3_1), zd);
    lanes32 odd1 = add32(madd8(in[5], in[3], SG_JPEG_K_O1_5, SG_JPEG_K_O1_3), zd);
    lanes32 odd2 = add32(madd8(in[5], in[3], SG_JPEG_K_O2_5, SG_JPEG_K_O2_3), zc);

    out[0] = descale_pack(add32(e10, odd3), shift);
    out[7] = descale_pack(sub32(e10, odd3), shift);
    out[1] = descale_pack(add32(e11, odd2), shift);
    out[6] = descale_pack(sub32(e11, odd2), shift);
    out[2] = descale_pack(add32(e12, odd1), shift);
    out[5] = descale_pack(sub32(e12, odd1), shift);
    out[3] = descale_pack(add32(e13, odd0), shift);
    out[4] = descale_pack(sub32(e13, odd0), shift);
}

/* Transpose an 8 x 8 matrix of int16 held as 8 rows. */
static inline void transpose8x8(__m128i r[8])
{
    __m128i a0 = _mm_unpacklo_epi16(r[0], r[1]), a1 = _mm_unpackhi_epi16(r[0], r[1]);
    __m128i a2 = _mm_unpacklo_epi16(r[2], r[3]), a3 = _mm_unpackhi_epi16(r[2], r[3]);
    __m128i a4 = _mm_unpacklo_epi16(r[4], r[5]), a5 = _mm_unpackhi_epi16(r[4], r[5]);
    __m128i a6 = _mm_unpacklo_epi16(r[6], r[7]), a7 = _mm_unpackhi_epi16(r[6], r[7]);
    __m128i b0 = _mm_unpacklo_epi32(a0, a2), b1 = _mm_unpackhi_epi32(a0, a2);
    __m128i b2 = _mm_unpacklo_epi32(a1, a3), b3 = _mm_unpackhi_epi32(a1, a3);
    __m128i b4 = _mm_unpacklo_epi32(a4, a6), b5 = _mm_unpackhi_epi32(a4, a6);
    __m128i b6 = _mm_unpacklo_epi32(a5, a7), b7 = _mm_unpackhi_epi32(a5, a7);
    r[0] = _mm_unpacklo_epi64(b0, b4);
    r[1] = _mm_unpackhi_epi64(b0, b4);
    r[2] = _mm_unpacklo_epi64(b1, b5);
    r[3] = _mm_unpackhi_epi64(b1, b5);
    r[4] = _mm_unpacklo_epi64(b2, b6);
    r[5] = _mm_unpackhi_epi64(b2, b6);
    r[6] = _mm_unpacklo_epi64(b3, b7);
    r[7] = _mm_unpackhi_epi64(b3, b7);
}

static void idct_block_sse2(const int16_t coef[64], const uint16_t quant[64], uint8_t *out,
                            ptrdiff_t stride)
{
    __m128i v[8], w[8];
    __m128i any_ac = _mm_setzero_si128();
    for (int i = 0; i < 8; i++) {
        v[i] = _mm_mullo_epi16(_mm_loadu_si128((const __m128i *)(coef + 8 * i)),
                               _mm_loadu_si128((const __m128i *)(quant + 8 * i)));
        if (i) any_ac = _mm_or_si128(any_ac, v[i]);
    }
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(any_ac, _mm_setzero_si128())) == 0xFFFF &&
        sg_jpeg_rows_1_to_7_zero(coef)) {
        __m128i flat = _mm_slli_epi16(v[0], SG_JPEG_PASS1_BITS);   /* lanes = columns */
        for (int i = 0; i < 8; i++) w[i] = flat;
    } else {
        idct_1d_sse2(v, SG_JPEG_CONST_BITS - SG_JPEG_PASS1_BITS, w);     /* lanes = columns */
    }
    transpose8x8(w);
    idct_1d_sse2(w, SG_JPEG_CONST_BITS + SG_JPEG_PASS1_BITS + 3, v); /* lanes = rows; v[x] = column x */
    transpose8x8(v);
    __m128i centre = _mm_set1_epi16(128);
    for (int y = 0; y < 8; y += 2) {
        __m128i two_rows = _mm_packus_epi16(_mm_adds_epi16(v[y], centre),
                                            _mm_adds_epi16(v[y + 1], centre));
        _mm_storel_epi64((__m128i *)(out + y * stride), two_rows);
        _mm_storel_epi64((__m128i *)(out + (y + 1) * stride), _mm_srli_si128(two_rows, 8));
    }
}


void sg_k_jpeg_idct_avx2(const int16_t coef[64], const uint16_t quant[64], int last_zigzag, uint8_t *out,
                         ptrdiff_t stride)
{
    if (last_zigzag == 0)
        sg_k_jpeg_idct_scalar(coef, quant, last_zigzag, out, stride);   /* the DC-only shortcut */
    else
        idct_block_sse2(coef, quant, out, stride);
}

/* ---- fancy upsampling: data/jpeg_upsample.h with its SSE2 blocks ----------------- */

#define SG_JPEG_UP_SSE2 1
#define SG_JPEG_UP_NAME sg_k_jpeg_upsample_avx2
#include "data/jpeg_upsample.h"

/* ---- YCbCr -> RGB --------------------------------------------------------- */

/* (x * k + 2^15) >> 16 for 16-bit x and k: the high half of the product
 * plus the rounding bit, bit 15 of the low half. */
static inline __m128i mul_round16(__m128i x, __m128i k)
{
    return _mm_add_epi16(_mm_mulhi_epi16(x, k), _mm_srli_epi16(_mm_mullo_epi16(x, k), 15));
}

/* R, G, B of 8 pixels (16-bit lanes) by the table formulas, rewritten so
 * every constant fits in 16 bits:
 *   91881 x = 2^16 x + 26345 x        -> R = Y + xr + round(26345 xr / 2^16)
 *   116130 x = 2^17 x - 14942 x       -> B = Y + 2 xb + round(-14942 xb / 2^16)
 *   -46802 x = -2^16 x + 18734 x      -> G = Y - xr + ((-22554 xb + 18734 xr + 2^15) >> 16)
 * Since 2^16 x is a multiple of 2^16, the rounding is unchanged: the same
 * numbers as the tables. */
static inline void ycc_to_rgb_8(__m128i y, __m128i cb, __m128i cr, __m128i *r, __m128i *g,
                                __m128i *b)
{
    const __m128i centre = _mm_set1_epi16(128);
    const __m128i k_r = _mm_set1_epi16(26345), k_b = _mm_set1_epi16(-14942);
    const __m128i k_g = _mm_set1_epi32((int)((uint32_t)18734 << 16 | (uint16_t)-22554));
    const __m128i half = _mm_set1_epi32(1 << 15);
    __m128i xb = _mm_sub_epi16(cb, centre), xr = _mm_sub_epi16(cr, centre);
    *r = _mm_add_epi16(_mm_add_epi16(y, xr), mul_round16(xr, k_r));
    *b = _mm_add_epi16(_mm_add_epi16(y, _mm_add_epi16(xb, xb)), mul_round16(xb, k_b));
    __m128i glo = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi16(xb, xr), k_g), half), 16);
    __m128i ghi = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(_mm_unpackhi_epi16(xb, xr), k_g), half), 16);
    *g = _mm_add_epi16(_mm_sub_epi16(y, xr), _mm_packs_epi32(glo, ghi));
}

/* Store 4 pixels given as 32-bit words (R | G << 8 | B << 16) as 12
 * bytes; writes 16, the last 4 of which the next store overwrites. */
static inline void store_rgb4(uint8_t *dst, __m128i w)
{
    const __m128i low3 = _mm_set1_epi64x(0x0000000000FFFFFFll);
    const __m128i next3 = _mm_set1_epi64x(0x0000FFFFFF000000ll);
    /* each 64-bit lane: pixel a (3 bytes) then pixel b (3 bytes) */
    __m128i t = _mm_or_si128(_mm_and_si128(w, low3), _mm_and_si128(_mm_srli_epi64(w, 8), next3));
    /* close the 2-byte gap between the lanes */
    __m128i packed = _mm_or_si128(_mm_move_epi64(t), _mm_slli_si128(_mm_srli_si128(t, 8), 6));
    _mm_storeu_si128((__m128i *)dst, packed);
}

void sg_k_jpeg_ycc_rgb_avx2(const sg_ycc_tables *t, const uint8_t *y, const uint8_t *cb, const uint8_t *cr,
                            uint8_t *rgb, int width)
{
    int x = 0;
    const __m128i zero = _mm_setzero_si128();
    /* 16 pixels a turn; the last store writes 4 bytes past 48 x + 48, so
     * keep 2 pixels of room before the end of the row. */
    for (; x + 18 <= width; x += 16) {
        __m128i vy = _mm_loadu_si128((const __m128i *)(y + x));
        __m128i vb = _mm_loadu_si128((const __m128i *)(cb + x));
        __m128i vr = _mm_loadu_si128((const __m128i *)(cr + x));
        __m128i r0, g0, b0, r1, g1, b1;
        ycc_to_rgb_8(_mm_unpacklo_epi8(vy, zero), _mm_unpacklo_epi8(vb, zero),
                     _mm_unpacklo_epi8(vr, zero), &r0, &g0, &b0);
        ycc_to_rgb_8(_mm_unpackhi_epi8(vy, zero), _mm_unpackhi_epi8(vb, zero),
                     _mm_unpackhi_epi8(vr, zero), &r1, &g1, &b1);
        __m128i r = _mm_packus_epi16(r0, r1), g = _mm_packus_epi16(g0, g1);
        __m128i b = _mm_packus_epi16(b0, b1);
        __m128i rg_lo = _mm_unpacklo_epi8(r, g), rg_hi = _mm_unpackhi_epi8(r, g);
        __m128i b_lo = _mm_unpacklo_epi8(b, zero), b_hi = _mm_unpackhi_epi8(b, zero);
        uint8_t *dst = rgb + 3 * x;
        store_rgb4(dst, _mm_unpacklo_epi16(rg_lo, b_lo));
        store_rgb4(dst + 12, _mm_unpackhi_epi16(rg_lo, b_lo));
        store_rgb4(dst + 24, _mm_unpacklo_epi16(rg_hi, b_hi));
        store_rgb4(dst + 36, _mm_unpackhi_epi16(rg_hi, b_hi));
    }
    sg_k_jpeg_ycc_rgb_scalar(t, y + x, cb + x, cr + x, rgb + 3 * x, width - x);
}


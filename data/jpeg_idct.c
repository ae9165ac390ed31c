/* data/jpeg_idct.c - dequantisation and the 8 x 8 inverse DCT.
 *
 * T.81 A.3.3 defines the IDCT as a real-valued sum of cosines,
 *     s(y,x) = 1/4 sum_u sum_v C(u) C(v) S(v,u) cos((2x+1)u pi/16) cos((2y+1)v pi/16),
 * and leaves the arithmetic to the decoder (Annex A.3.3 only bounds the error).
 * To give the same pixels as PIL, which decodes through libjpeg-turbo with its
 * default "islow" method, we compute it the same way: separable, columns then
 * rows, each 1-D transform by the Loeffler-Ligtenberg-Moschytz factorisation
 * (Loeffler et al., "Practical fast 1-D DCT algorithms with 11
 * multiplications", ICASSP 1989) with the cosine products rounded to 13
 * fraction bits, the column results kept with 2 extra bits (PASS1_BITS) and
 * rounded once, the row results rounded to integers, level-shifted by +128
 * (A.3.1) and clamped to 0..255. Rounding at the same points with the same
 * constants gives bit-identical samples.
 *
 * libjpeg-turbo on x86 runs this in SIMD registers of 16-bit lanes, with
 * 32-bit products and sums of products (pmaddwd), the sums of the original
 * butterflies folded into the constants ((x + y) a = x a + y a, exact in
 * integers), and four plain input sums done in 16 bits. For every valid JPEG
 * the values stay far inside 16 bits and all of this is the textbook
 * computation; on corrupt data (huge coefficients) the 16-bit steps wrap or
 * saturate, and PIL's pixels show it. We keep the same data flow so that
 * even those pixels match:
 *   - dequantised coefficients wrap to int16;
 *   - the sums in0 + in4, in0 - in4, in7 + in3 and in5 + in1 wrap to int16;
 *   - the column results saturate to int16, except when rows 1-7 of the
 *     whole block are zero: then every column is its dequantised DC shifted
 *     left by 2 in 16 bits (wrapping);
 *   - final samples saturate (to int16, then to 0..255).
 * Two implementations give identical samples for every input:
 *  - sg_jpeg_idct_block_scalar, portable C, the reference;
 *  - an SSE2 one (SSE2 is part of the x86-64 baseline, so no run-time
 *    dispatch is needed), eight columns or rows at a time.
 * The scalar arithmetic runs modulo 2^32 (uint32_t), like the vector lanes,
 * so corrupt coefficients cannot cause signed-overflow UB. */
#include "data/jpeg_internal.h"

#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h> /* SSE2 only: part of the x86-64 baseline */
#endif

enum { CONST_BITS = 13, PASS1_BITS = 2 };

/* round(c * 2^13) for the cosine combinations of the LLM butterfly network. */
#define FIX(c) ((int32_t)((c) * (1 << CONST_BITS) + 0.5))
enum {
    F0298 = FIX(0.298631336), F0390 = FIX(0.390180644), F0541 = FIX(0.541196100),
    F0765 = FIX(0.765366865), F0899 = FIX(0.899976223), F1175 = FIX(1.175875602),
    F1501 = FIX(1.501321110), F1847 = FIX(1.847759065), F1961 = FIX(1.961570560),
    F2053 = FIX(2.053119869), F2562 = FIX(2.562915447), F3072 = FIX(3.072711026),
};
/* The folded pair constants (each fits in 16 bits). */
enum {
    K_EVEN3_2 = F0541 + F0765, K_EVEN3_6 = F0541,          /* even3 = in2 a + in6 b */
    K_EVEN2_2 = F0541, K_EVEN2_6 = F0541 - F1847,          /* even2 */
    K_ZC_3 = F1175 - F1961, K_ZC_4 = F1175,                /* zc = z3 a + z4 b */
    K_ZD_3 = F1175, K_ZD_4 = F1175 - F0390,                /* zd */
    K_O0_7 = F0298 - F0899, K_O0_1 = -F0899,               /* odd0 = in7 a + in1 b + zc */
    K_O3_7 = -F0899, K_O3_1 = F1501 - F0899,               /* odd3 = ... + zd */
    K_O1_5 = F2053 - F2562, K_O1_3 = -F2562,               /* odd1 = in5 a + in3 b + zd */
    K_O2_5 = -F2562, K_O2_3 = F3072 - F2562,               /* odd2 = ... + zc */
};

/* x / 2^n rounded half up, as a signed number (arithmetic shift). */
static inline int32_t descale(uint32_t x, int n)
{
    return (int32_t)(x + (1u << (n - 1))) >> n;
}

static inline uint8_t clamp_sample(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline uint32_t wrap16(uint32_t v)
{
    return (uint32_t)(int32_t)(int16_t)(uint16_t)v;
}

static inline uint32_t saturate16(int32_t v)
{
    return (uint32_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}

/* a * x + b * y modulo 2^32 */
static inline uint32_t madd(uint32_t x, int32_t a, uint32_t y, int32_t b)
{
    return x * (uint32_t)a + y * (uint32_t)b;
}

/* One 1-D IDCT of 8 inputs (each an int16 value); outputs are scaled by
 * 2^CONST_BITS on top of the inputs' own scale. */
static inline void idct_1d(const uint32_t in[8], uint32_t out[8])
{
    /* Even part: inputs 0, 2, 4, 6 (a rotation by 6 pi/16 for 2 and 6). */
    uint32_t even3 = madd(in[2], K_EVEN3_2, in[6], K_EVEN3_6);
    uint32_t even2 = madd(in[2], K_EVEN2_2, in[6], K_EVEN2_6);
    uint32_t even0 = wrap16(in[0] + in[4]) << CONST_BITS;
    uint32_t even1 = wrap16(in[0] - in[4]) << CONST_BITS;
    uint32_t e10 = even0 + even3, e13 = even0 - even3;
    uint32_t e11 = even1 + even2, e12 = even1 - even2;

    /* Odd part: inputs 7, 5, 3, 1 through the shared rotations. */
    uint32_t z3 = wrap16(in[7] + in[3]), z4 = wrap16(in[5] + in[1]);
    uint32_t zc = madd(z3, K_ZC_3, z4, K_ZC_4);
    uint32_t zd = madd(z3, K_ZD_3, z4, K_ZD_4);
    uint32_t odd0 = madd(in[7], K_O0_7, in[1], K_O0_1) + zc;
    uint32_t odd3 = madd(in[7], K_O3_7, in[1], K_O3_1) + zd;
    uint32_t odd1 = madd(in[5], K_O1_5, in[3], K_O1_3) + zd;
    uint32_t odd2 = madd(in[5], K_O2_5, in[3], K_O2_3) + zc;

    out[0] = e10 + odd3;
    out[7] = e10 - odd3;
    out[1] = e11 + odd2;
    out[6] = e11 - odd2;
    out[2] = e12 + odd1;
    out[5] = e12 - odd1;
    out[3] = e13 + odd0;
    out[4] = e13 - odd0;
}

/* Dequantise one coefficient: the product as a 16-bit lane holds it. */
static inline uint32_t dequantise(int16_t coef, uint16_t quant)
{
    return wrap16((uint32_t)(int32_t)coef * quant);
}

/* True when rows 1-7 of the block are all zero. */
static bool rows_1_to_7_zero(const int16_t coef[64])
{
    for (int i = 8; i < 64; i++)
        if (coef[i]) return false;
    return true;
}

/* The DC-only block: every column is (dc << 2) in 16 bits, every row then
 * (w + 16) >> 5: the full computation with zero AC terms, done once. */
static void idct_dc_only(const int16_t coef[64], const uint16_t quant[64], uint8_t *out,
                         ptrdiff_t stride)
{
    uint32_t w = wrap16(dequantise(coef[0], quant[0]) << PASS1_BITS);
    uint8_t v = clamp_sample(descale(w, PASS1_BITS + 3) + 128);
    for (int y = 0; y < 8; y++) memset(out + y * stride, v, 8);
}

void sg_jpeg_idct_block_scalar(const int16_t coef[64], const uint16_t quant[64], int last_zigzag,
                               uint8_t *out, ptrdiff_t stride)
{
    if (last_zigzag == 0) {
        idct_dc_only(coef, quant, out, stride);
        return;
    }
    uint32_t work[64];
    uint32_t in[8], res[8];
    /* Pass 1: columns. Dequantise (A.3.4), transform, keep PASS1_BITS extra
     * bits. A column whose AC terms are all zero is constant. */
    bool flat = rows_1_to_7_zero(coef);
    for (int x = 0; x < 8; x++) {
        if (flat) {
            uint32_t dc = wrap16(dequantise(coef[x], quant[x]) << PASS1_BITS);
            for (int y = 0; y < 8; y++) work[y * 8 + x] = dc;
            continue;
        }
        if ((coef[8 + x] | coef[16 + x] | coef[24 + x] | coef[32 + x] | coef[40 + x] |
             coef[48 + x] | coef[56 + x]) == 0) {
            uint32_t dc = saturate16((int32_t)(dequantise(coef[x], quant[x]) << PASS1_BITS));
            for (int y = 0; y < 8; y++) work[y * 8 + x] = dc;
            continue;
        }
        for (int y = 0; y < 8; y++) in[y] = dequantise(coef[y * 8 + x], quant[y * 8 + x]);
        idct_1d(in, res);
        for (int y = 0; y < 8; y++)
            work[y * 8 + x] = saturate16(descale(res[y], CONST_BITS - PASS1_BITS));
    }
    /* Pass 2: rows. Remove the 2^(CONST_BITS + PASS1_BITS) scale and the
     * factor 8 of the two 1-D transforms, level shift, clamp. */
    for (int y = 0; y < 8; y++) {
        const uint32_t *row = work + y * 8;
        uint8_t *dst = out + y * stride;
        if ((row[1] | row[2] | row[3] | row[4] | row[5] | row[6] | row[7]) == 0) {
            memset(dst, clamp_sample(descale(row[0], PASS1_BITS + 3) + 128), 8);
            continue;
        }
        idct_1d(row, res);
        for (int x = 0; x < 8; x++)
            dst[x] = clamp_sample(descale(res[x], CONST_BITS + PASS1_BITS + 3) + 128);
    }
}

#if defined(__SSE2__)

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
    return (lanes32){_mm_srai_epi32(_mm_unpacklo_epi16(zero, x), 16 - CONST_BITS),
                     _mm_srai_epi32(_mm_unpackhi_epi16(zero, x), 16 - CONST_BITS)};
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
    lanes32 even3 = madd8(in[2], in[6], K_EVEN3_2, K_EVEN3_6);
    lanes32 even2 = madd8(in[2], in[6], K_EVEN2_2, K_EVEN2_6);
    lanes32 even0 = widen_shifted(_mm_add_epi16(in[0], in[4]));
    lanes32 even1 = widen_shifted(_mm_sub_epi16(in[0], in[4]));
    lanes32 e10 = add32(even0, even3), e13 = sub32(even0, even3);
    lanes32 e11 = add32(even1, even2), e12 = sub32(even1, even2);

    __m128i z3 = _mm_add_epi16(in[7], in[3]), z4 = _mm_add_epi16(in[5], in[1]);
    lanes32 zc = madd8(z3, z4, K_ZC_3, K_ZC_4);
    lanes32 zd = madd8(z3, z4, K_ZD_3, K_ZD_4);
    lanes32 odd0 = add32(madd8(in[7], in[1], K_O0_7, K_O0_1), zc);
    lanes32 odd3 = add32(madd8(in[7], in[1], K_O3_7, K_O3_1), zd);
    lanes32 odd1 = add32(madd8(in[5], in[3], K_O1_5, K_O1_3), zd);
    lanes32 odd2 = add32(madd8(in[5], in[3], K_O2_5, K_O2_3), zc);

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
        rows_1_to_7_zero(coef)) {
        __m128i flat = _mm_slli_epi16(v[0], PASS1_BITS);   /* lanes = columns */
        for (int i = 0; i < 8; i++) w[i] = flat;
    } else {
        idct_1d_sse2(v, CONST_BITS - PASS1_BITS, w);     /* lanes = columns */
    }
    transpose8x8(w);
    idct_1d_sse2(w, CONST_BITS + PASS1_BITS + 3, v); /* lanes = rows; v[x] = column x */
    transpose8x8(v);
    __m128i centre = _mm_set1_epi16(128);
    for (int y = 0; y < 8; y += 2) {
        __m128i two_rows = _mm_packus_epi16(_mm_adds_epi16(v[y], centre),
                                            _mm_adds_epi16(v[y + 1], centre));
        _mm_storel_epi64((__m128i *)(out + y * stride), two_rows);
        _mm_storel_epi64((__m128i *)(out + (y + 1) * stride), _mm_srli_si128(two_rows, 8));
    }
}

#endif

void sg_jpeg_idct_block(const int16_t coef[64], const uint16_t quant[64], int last_zigzag,
                        uint8_t *out, ptrdiff_t stride)
{
#if defined(__SSE2__)
    if (last_zigzag == 0)
        idct_dc_only(coef, quant, out, stride);
    else
        idct_block_sse2(coef, quant, out, stride);
#else
    sg_jpeg_idct_block_scalar(coef, quant, last_zigzag, out, stride);
#endif
}

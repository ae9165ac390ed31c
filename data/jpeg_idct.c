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
 * Two implementations give identical samples for every input, the twins of
 * the kernel family jpeg_idct (core/kernels/kernels.h):
 *  - sg_k_jpeg_idct_scalar, portable C, the reference (here);
 *  - sg_k_jpeg_idct_avx2, SSE2 code eight columns or rows at a time
 *    (data/jpeg_avx2.c; the avx2 and avx512 tables run it).
 * The scalar arithmetic runs modulo 2^32 (uint32_t), like the vector lanes,
 * so corrupt coefficients cannot cause signed-overflow UB. */
#include "data/jpeg_internal.h"

#include <string.h>

enum { CONST_BITS = SG_JPEG_CONST_BITS, PASS1_BITS = SG_JPEG_PASS1_BITS };
enum {
    K_EVEN3_2 = SG_JPEG_K_EVEN3_2, K_EVEN3_6 = SG_JPEG_K_EVEN3_6, K_EVEN2_2 = SG_JPEG_K_EVEN2_2,
    K_EVEN2_6 = SG_JPEG_K_EVEN2_6, K_ZC_3 = SG_JPEG_K_ZC_3, K_ZC_4 = SG_JPEG_K_ZC_4,
    K_ZD_3 = SG_JPEG_K_ZD_3, K_ZD_4 = SG_JPEG_K_ZD_4, K_O0_7 = SG_JPEG_K_O0_7, K_O0_1 = SG_JPEG_K_O0_1,
    K_O3_7 = SG_JPEG_K_O3_7, K_O3_1 = SG_JPEG_K_O3_1, K_O1_5 = SG_JPEG_K_O1_5, K_O1_3 = SG_JPEG_K_O1_3,
    K_O2_5 = SG_JPEG_K_O2_5, K_O2_3 = SG_JPEG_K_O2_3,
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

/* The DC-only block: every column is (dc << 2) in 16 bits, every row then
 * (w + 16) >> 5: the full computation with zero AC terms, done once. */
static void idct_dc_only(const int16_t coef[64], const uint16_t quant[64], uint8_t *out,
                         ptrdiff_t stride)
{
    uint32_t w = wrap16(dequantise(coef[0], quant[0]) << PASS1_BITS);
    uint8_t v = clamp_sample(descale(w, PASS1_BITS + 3) + 128);
    for (int y = 0; y < 8; y++) memset(out + y * stride, v, 8);
}

void sg_k_jpeg_idct_scalar(const int16_t coef[64], const uint16_t quant[64], int last_zigzag, uint8_t *out,
                           ptrdiff_t stride)
{
    if (last_zigzag == 0) {
        idct_dc_only(coef, quant, out, stride);
        return;
    }
    uint32_t work[64];
    uint32_t in[8], res[8];
    /* Pass 1: columns. Dequantise (A.3.4), transform, keep PASS1_BITS extra
     * bits. A column whose AC terms are all zero is constant. */
    bool flat = sg_jpeg_rows_1_to_7_zero(coef);
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

/* The decoder's entry: whichever twin the kernel table holds. */
void sg_jpeg_idct_block(const int16_t coef[64], const uint16_t quant[64], int last_zigzag,
                        uint8_t *out, ptrdiff_t stride)
{
    sg_kernels()->jpeg_idct(coef, quant, last_zigzag, out, stride);
}

/* data/jpeg_color.c - from decoded component planes to output pixels.
 *
 * Two steps per output row. Upsampling brings subsampled components (chroma
 * stored at 1/2 or 1/4 resolution, T.81 A.1.1) back to full resolution;
 * colour conversion turns YCbCr (JFIF, ITU-T T.871) or YCCK (Adobe) into RGB.
 * T.81 leaves both to the application, so we copy the integer forms of
 * libjpeg-turbo's defaults, which is what PIL returns:
 *
 *  - "fancy" upsampling for the 2:1 cases: each output sample is a 3/4 - 1/4
 *    blend of the nearest and the next-nearest input sample (a triangle
 *    filter centred between samples, as the JFIF siting puts chroma), with
 *    alternating rounding biases so errors do not drift one way:
 *      horizontal 2:1 (4:2:2)   out = (3 * near + far + {1, 2}) >> 2
 *      vertical   1:2 (4:4:0)   out = (3 * near + far + {1, 2}) >> 2
 *      both       2:2 (4:2:0)   first vertically without rounding
 *                               (col = 3 * near_row + far_row), then
 *                               out = (3 * col_near + col_far + {8, 7}) >> 4
 *    At the image edges the missing neighbour is the edge sample itself.
 *    libjpeg blends horizontally only when the component is wider than 2
 *    samples, and so do we.
 *  - every other whole-number ratio (4:1:1 and friends) replicates samples.
 *  - YCbCr -> RGB with 16 fraction bits and tables:
 *      R = Y + 1.40200 (Cr - 128)
 *      G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128)
 *      B = Y + 1.77200 (Cb - 128)
 *    R and B terms rounded per table entry, G rounded once after the sum. */
#include "data/jpeg_internal.h"

#if defined(__SSE2__)
#include <immintrin.h> /* SSE2 only: part of the x86-64 baseline */
#endif

enum { SCALE_BITS = 16 };
#define ONE_HALF ((int32_t)1 << (SCALE_BITS - 1))
#define FIX16(c) ((int32_t)((c) * (1 << SCALE_BITS) + 0.5))

void sg_jpeg_color_tables_init(sg_jpeg_color_tables *t)
{
    for (int i = 0; i < 256; i++) {
        int32_t x = i - 128;   /* chroma is stored offset by 128 */
        t->cr_to_r[i] = (int)((FIX16(1.40200) * x + ONE_HALF) >> SCALE_BITS);
        t->cb_to_b[i] = (int)((FIX16(1.77200) * x + ONE_HALF) >> SCALE_BITS);
        t->cr_to_g[i] = -FIX16(0.71414) * x;
        t->cb_to_g[i] = -FIX16(0.34414) * x + ONE_HALF;
    }
}

static inline uint8_t clamp_sample(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* ---- Upsampling -------------------------------------------------------------- */

/* The 2:1 horizontal filters below work on a row padded by one sample at
 * each end with a copy of the edge sample: then the first output is
 * (3a + a + bias) >> shift = a (or the same as libjpeg's special case), so
 * one loop without edge cases does every column, and it vectorises. */
enum { MAX_PADDED_ROW = 4096 };

/* out[2i] = (3 c[i] + c[i-1] + near_bias) >> shift,
 * out[2i+1] = (3 c[i] + c[i+1] + far_bias) >> shift, for padded c[-1..n]. */
static void triangle_2x(const int16_t *c, int n, int bias_left, int bias_right, int shift,
                        uint8_t *out)
{
    int i = 0;
#if defined(__SSE2__)
    /* 8 centres at a time; the even and odd outputs are interleaved bytes. */
    const __m128i bl = _mm_set1_epi16((int16_t)bias_left), br = _mm_set1_epi16((int16_t)bias_right);
    const __m128i sh = _mm_cvtsi32_si128(shift);
    for (; i + 8 <= n; i += 8) {
        __m128i centre = _mm_loadu_si128((const __m128i *)(c + i));
        centre = _mm_add_epi16(centre, _mm_add_epi16(centre, centre));
        __m128i left = _mm_loadu_si128((const __m128i *)(c + i - 1));
        __m128i right = _mm_loadu_si128((const __m128i *)(c + i + 1));
        __m128i even = _mm_srl_epi16(_mm_add_epi16(_mm_add_epi16(centre, left), bl), sh);
        __m128i odd = _mm_srl_epi16(_mm_add_epi16(_mm_add_epi16(centre, right), br), sh);
        __m128i even8 = _mm_packus_epi16(even, even), odd8 = _mm_packus_epi16(odd, odd);
        _mm_storeu_si128((__m128i *)(out + 2 * i), _mm_unpacklo_epi8(even8, odd8));
    }
#endif
    for (; i < n; i++) {
        int centre = c[i] * 3;
        out[2 * i] = (uint8_t)((centre + c[i - 1] + bias_left) >> shift);
        out[2 * i + 1] = (uint8_t)((centre + c[i + 1] + bias_right) >> shift);
    }
}

/* out[i] = ka * a[i] + kb * b[i] as int16 (the column sums of h2v2, or a
 * plain widening copy with ka = 0, kb = 1). */
static void widen_row(const uint8_t *a, const uint8_t *b, int ka, int kb, int n, int16_t *out)
{
    int i = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    const __m128i va = _mm_set1_epi16((int16_t)ka), vb = _mm_set1_epi16((int16_t)kb);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(a + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(b + i));
        __m128i lo = _mm_add_epi16(_mm_mullo_epi16(_mm_unpacklo_epi8(x, zero), va),
                                   _mm_mullo_epi16(_mm_unpacklo_epi8(y, zero), vb));
        __m128i hi = _mm_add_epi16(_mm_mullo_epi16(_mm_unpackhi_epi8(x, zero), va),
                                   _mm_mullo_epi16(_mm_unpackhi_epi8(y, zero), vb));
        _mm_storeu_si128((__m128i *)(out + i), lo);
        _mm_storeu_si128((__m128i *)(out + i + 8), hi);
    }
#endif
    for (; i < n; i++) out[i] = (int16_t)(ka * a[i] + kb * b[i]);
}

/* Horizontal 2:1 over n > 2 input samples -> 2n outputs: (3 near + far + {1, 2}) >> 2. */
static void upsample_h2_fancy(const uint8_t *in, int n, uint8_t *out)
{
    int16_t padded[MAX_PADDED_ROW + 2];
    for (int done = 0; done < n; done += MAX_PADDED_ROW) {
        int m = n - done < MAX_PADDED_ROW ? n - done : MAX_PADDED_ROW;
        const uint8_t *src = in + done;
        widen_row(src, src, 0, 1, m, padded + 1);
        padded[0] = done > 0 ? src[-1] : src[0];
        padded[m + 1] = done + m < n ? src[m] : src[m - 1];
        triangle_2x(padded + 1, m, 1, 2, 2, out + 2 * done);
    }
}

/* Vertical 1:2: `near` is the input row nearest to the output row, `far`
 * the next nearest; bias 1 for the upper, 2 for the lower output row. */
static void upsample_v2_fancy(const uint8_t *near, const uint8_t *far, int n, int bias,
                              uint8_t *out)
{
    int i = 0;
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128(), vbias = _mm_set1_epi16((int16_t)bias);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(near + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(far + i));
        __m128i xl = _mm_unpacklo_epi8(x, zero), xh = _mm_unpackhi_epi8(x, zero);
        __m128i lo = _mm_add_epi16(_mm_add_epi16(xl, _mm_add_epi16(xl, xl)),
                                   _mm_add_epi16(_mm_unpacklo_epi8(y, zero), vbias));
        __m128i hi = _mm_add_epi16(_mm_add_epi16(xh, _mm_add_epi16(xh, xh)),
                                   _mm_add_epi16(_mm_unpackhi_epi8(y, zero), vbias));
        _mm_storeu_si128((__m128i *)(out + i),
                         _mm_packus_epi16(_mm_srli_epi16(lo, 2), _mm_srli_epi16(hi, 2)));
    }
#endif
    for (; i < n; i++) out[i] = (uint8_t)((near[i] * 3 + far[i] + bias) >> 2);
}

/* 2:1 both ways over n > 2 input columns -> 2n outputs: column sums
 * 3 near + far (not rounded), then (3 col + neighbour col + {8, 7}) >> 4. */
static void upsample_h2v2_fancy(const uint8_t *near, const uint8_t *far, int n, uint8_t *out)
{
    int16_t padded[MAX_PADDED_ROW + 2];
    for (int done = 0; done < n; done += MAX_PADDED_ROW) {
        int m = n - done < MAX_PADDED_ROW ? n - done : MAX_PADDED_ROW;
        const uint8_t *a = near + done, *b = far + done;
        widen_row(a, b, 3, 1, m, padded + 1);
        padded[0] = done > 0 ? (int16_t)(a[-1] * 3 + b[-1]) : padded[1];
        padded[m + 1] = done + m < n ? (int16_t)(a[m] * 3 + b[m]) : padded[m];
        triangle_2x(padded + 1, m, 8, 7, 4, out + 2 * done);
    }
}

const uint8_t *sg_jpeg_upsample_row(const sg_jpeg_plane *p, int y, int out_width, uint8_t *scratch)
{
    int hf = p->h_factor, vf = p->v_factor;
    int in_y = y / vf;
    const uint8_t *row = sg_jpeg_plane_row(p, in_y);
    if (hf == 1 && vf == 1) return row;

    if (vf == 2 && (hf == 1 || (hf == 2 && p->width > 2))) {
        /* The next-nearest row: above for the upper output row of the pair,
         * below for the lower one; an edge row stands in for itself. */
        bool lower = y & 1;
        int far_y = lower ? in_y + 1 : in_y - 1;
        if (far_y < 0) far_y = 0;
        if (far_y > p->height - 1) far_y = p->height - 1;
        const uint8_t *far = sg_jpeg_plane_row(p, far_y);
        if (hf == 1)
            upsample_v2_fancy(row, far, p->width, lower ? 2 : 1, scratch);
        else
            upsample_h2v2_fancy(row, far, p->width, scratch);
        return scratch;
    }
    if (hf == 2 && vf == 1 && p->width > 2) {
        upsample_h2_fancy(row, p->width, scratch);
        return scratch;
    }
    /* Replication (libjpeg's "int_upsample" and the narrow-image cases). */
    if (hf == 1) return row;
    for (int x = 0; x < out_width; x++) scratch[x] = row[x / hf];
    return scratch;
}

/* ---- Colour conversion -------------------------------------------------------- */

/* The scalar twin of the kernel family jpeg_ycc_rgb: the reference. */
void sg_k_jpeg_ycc_rgb_scalar(const sg_ycc_tables *t, const uint8_t *y, const uint8_t *cb, const uint8_t *cr,
                              uint8_t *rgb, int width)
{
    for (int x = 0; x < width; x++) {
        int luma = y[x], b = cb[x], r = cr[x];
        rgb[3 * x + 0] = clamp_sample(luma + t->cr_to_r[r]);
        rgb[3 * x + 1] = clamp_sample(luma + ((t->cb_to_g[b] + t->cr_to_g[r]) >> SCALE_BITS));
        rgb[3 * x + 2] = clamp_sample(luma + t->cb_to_b[b]);
    }
}

/* The decoder's entry: whichever twin the kernel table holds (the SSE2 one
 * is in data/jpeg_avx2.c). */
void sg_jpeg_ycc_to_rgb_row(const sg_jpeg_color_tables *t, const uint8_t *y, const uint8_t *cb,
                            const uint8_t *cr, uint8_t *rgb, int width)
{
    sg_kernels()->jpeg_ycc_rgb(t, y, cb, cr, rgb, width);
}

void sg_jpeg_ycck_to_cmyk_row(const sg_jpeg_color_tables *t, const uint8_t *y, const uint8_t *cb,
                              const uint8_t *cr, const uint8_t *k, uint8_t *cmyk, int width)
{
    /* libjpeg makes Adobe's inverted CMYK: C = 255 - R, ..., K as stored; PIL
     * then inverts all four ("CMYK;I"), leaving R, G, B and 255 - K. */
    for (int x = 0; x < width; x++) {
        int luma = y[x], b = cb[x], r = cr[x];
        cmyk[4 * x + 0] = clamp_sample(luma + t->cr_to_r[r]);
        cmyk[4 * x + 1] = clamp_sample(luma + ((t->cb_to_g[b] + t->cr_to_g[r]) >> SCALE_BITS));
        cmyk[4 * x + 2] = clamp_sample(luma + t->cb_to_b[b]);
        cmyk[4 * x + 3] = (uint8_t)(255 - k[x]);
    }
}

void sg_jpeg_interleave_row(const uint8_t *const rows[], int n, bool invert, uint8_t *out,
                            int width)
{
    uint8_t flip = invert ? 255 : 0;
    for (int c = 0; c < n; c++) {
        const uint8_t *src = rows[c];
        for (int x = 0; x < width; x++) out[x * n + c] = src[x] ^ flip;
    }
}

/* data/jpeg_upsample.h - the "fancy" 2:1 upsampling of JPEG chroma rows
 * (the formulas: data/jpeg_color.c), written once and compiled twice: by
 * jpeg_color.c as the scalar twin of the kernel family jpeg_upsample
 * (SG_JPEG_UP_SSE2 0, portable C) and by jpeg_avx2.c as its x86 twin
 * (SG_JPEG_UP_SSE2 1: the same loops with SSE2 blocks in front, the scalar
 * loop doing the tail); both define SG_JPEG_UP_NAME, the function's name.
 * Every step is integer arithmetic on 16-bit values that cannot overflow
 * (at most 16 * 255 + 8), so the vector blocks give the scalar's bytes. */
#ifndef SG_JPEG_UPSAMPLE_H
#define SG_JPEG_UPSAMPLE_H

#include "data/jpeg_internal.h"

#if SG_JPEG_UP_SSE2
#include <immintrin.h>
#endif

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
#if SG_JPEG_UP_SSE2
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
#if SG_JPEG_UP_SSE2
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
#if SG_JPEG_UP_SSE2
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

void SG_JPEG_UP_NAME(sg_jpeg_up_kind kind, const uint8_t *near, const uint8_t *far, int n, int bias, uint8_t *out)
{
    switch (kind) {
    case SG_JPEG_UP_H2: upsample_h2_fancy(near, n, out); break;
    case SG_JPEG_UP_V2: upsample_v2_fancy(near, far, n, bias, out); break;
    case SG_JPEG_UP_H2V2: upsample_h2v2_fancy(near, far, n, out); break;
    }
}

#endif

/* core/kernels/data_simd.h - the SIMD twins of the data pipeline families
 * resize_h, resize_v and png_unfilter, written once over data_vec.h and
 * compiled per ISA by data_avx2.c, data_avx512.c and data_neon.c; bit for bit
 * the scalar twins (data/resize.c, data/png.c).
 *
 * - resize_v: VL neighbouring columns at once; per lane the scalar's sum
 *   (0.0, then + (double)x * w in tap order, product and sum rounded apart),
 *   in two vd halves, rounded to float at the end. The last lines % VL
 *   columns of each output row run the scalar twin.
 * - resize_h: VL neighbouring rows at once, lane r gathering row r's taps
 *   (the taps of one output sample are the same for every row, so no lane
 *   waits on another's count); the same per-sample sum. The results go to
 *   their rows one by one; lines % VL rows (and rows too far apart for 32-bit
 *   gather offsets) run the scalar twin.
 * - png_unfilter: Up (cur += prev) VB bytes at a time; None, Sub, Average and
 *   Paeth run the scalar twin (each byte of those depends on the byte bpp to
 *   its left, which a plain vector add cannot follow). */
#include "core/kernels/kernels.h"

#define SG_DK_CAT2_(a, b) sg_k_##a##_##b
#define SG_DK_CAT_(a, b) SG_DK_CAT2_(a, b)
#define SG_DK(name) SG_DK_CAT_(name, SG_NK_ISA)

void SG_DK(resize_v)(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in, int64_t in_step,
                     float *out, int64_t out_step)
{
    for (int64_t x = 0; x < out_len; x++) {
        const double *k = t->weight + x * t->ksize;
        const int n = t->count[x];
        const float *s = in + (int64_t)t->first[x] * in_step;
        float *dst = out + x * out_step;
        int64_t c = 0;
        for (; c + VL <= lines; c += VL) {
            vd lo = vd_zero(), hi = vd_zero();
            for (int j = 0; j < n; j++) {
                const vf v = vf_load(s + j * in_step + c);
                const vd w = vd_set1(k[j]);
                lo = vd_add(lo, vd_mul(vd_lo(v), w));
                hi = vd_add(hi, vd_mul(vd_hi(v), w));
            }
            vf_store(dst + c, vf_from_vd(lo, hi));
        }
        if (c < lines) {
            const sg_resize_taps one = {.weight = k, .first = t->first + x, .count = t->count + x, .ksize = t->ksize};
            sg_k_resize_v_scalar(&one, 1, lines - c, in + c, in_step, dst + c, out_step);
        }
    }
}

void SG_DK(resize_h)(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in, int64_t in_line,
                     float *out, int64_t out_line)
{
    int64_t r = 0;
    if (in_line <= INT32_MAX / VL) {
        const vi rows = vi_iota(0, (int32_t)in_line);   /* lane q: row r + q */
        for (; r + VL <= lines; r += VL) {
            const float *src = in + r * in_line;
            float *dst = out + r * out_line;
            for (int64_t x = 0; x < out_len; x++) {
                const double *k = t->weight + x * t->ksize;
                const int n = t->count[x];
                const float *s = src + t->first[x];
                vd lo = vd_zero(), hi = vd_zero();
                for (int j = 0; j < n; j++) {
                    const vf v = vf_gather(s + j, rows);
                    const vd w = vd_set1(k[j]);
                    lo = vd_add(lo, vd_mul(vd_lo(v), w));
                    hi = vd_add(hi, vd_mul(vd_hi(v), w));
                }
                float l[VL];
                vf_store(l, vf_from_vd(lo, hi));
                for (int q = 0; q < VL; q++) dst[q * out_line + x] = l[q];
            }
        }
    }
    if (r < lines) sg_k_resize_h_scalar(t, out_len, lines - r, in + r * in_line, in_line, out + r * out_line, out_line);
}

void SG_DK(png_unfilter)(unsigned type, uint8_t *cur, const uint8_t *prev, size_t n, unsigned bpp)
{
    if (type != 2) {
        sg_k_png_unfilter_scalar(type, cur, prev, n, bpp);
        return;
    }
    size_t i = 0;
    for (; i + VB <= n; i += VB) vb_store(cur + i, vb_add(vb_load(cur + i), vb_load(prev + i)));
    for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
}

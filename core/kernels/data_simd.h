/* core/kernels/data_simd.h - the SIMD twins of the data pipeline families
 * resize_h, resize_v and png_unfilter, written once over data_vec.h and
 * compiled per ISA by data_avx2.c, data_avx512.c and data_neon.c; bit for bit
 * the scalar twins (data/resize.c, data/png.c).
 *
 * - resize_v: VL neighbouring columns at once; per lane the scalar's sum
 *   (0.0, then + (double)x * w in tap order, product and sum rounded apart),
 *   in two vd halves, rounded to float at the end. The last lines % VL
 *   columns of each output row run the scalar twin.
 * - resize_h: VD = VL / 2 neighbouring rows at once, lane r = row r, in
 *   doubles: each output sample's taps are the same for every row, so the
 *   lanes run the scalar's sum in step. The taps come in VD x VD tiles (VD
 *   rows, VD neighbouring taps) transposed in registers (vd_load_tile); at
 *   the right edge, where a tile would read past the last tap any sample
 *   uses, lane by lane. lines % VD rows run the scalar twin. (Gathering the
 *   rows' taps with vector gathers gave the same bits but measured slower
 *   than the scalar loop when shrinking, loaded machine; so did vectorising
 *   the products of one sample, whose sum must stay in tap order.) AVX-512
 *   has no resize_h of its own (data_avx512.c defines SG_DK_NO_RESIZE_H): its
 *   8 x 8 tiles measured slower than the scalar loop (shrinking samples have
 *   fewer than 8 taps), so its table runs the AVX2 twin (1.1-1.7x the scalar
 *   on 600 x 800 rows, loaded machine).
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

#if !defined(SG_DK_NO_RESIZE_H)
void SG_DK(resize_h)(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in, int64_t in_line,
                     float *out, int64_t out_line)
{
    enum { VD = VL / 2 };
    /* No tap reads past in_end: a VD-wide tile starting at or before in_end - VD stays inside every row. */
    int64_t in_end = 0;
    for (int64_t x = 0; x < out_len; x++)
        if (t->first[x] + t->count[x] > in_end) in_end = t->first[x] + t->count[x];
    int64_t r = 0;
    for (; r + VD <= lines; r += VD) {
        const float *src = in + r * in_line;
        float *dst = out + r * out_line;
        for (int64_t x = 0; x < out_len; x++) {
            const double *k = t->weight + x * t->ksize;
            const int64_t f = t->first[x];
            const int n = t->count[x];
            vd acc = vd_zero(), col[VD];
            int j = 0;
            for (; j + VD <= n; j += VD) {
                vd_load_tile(src + f + j, in_line, col);
                for (int q = 0; q < VD; q++) acc = vd_add(acc, vd_mul(col[q], vd_set1(k[j + q])));
            }
            if (j < n) {
                if (f + j + VD <= in_end) {
                    vd_load_tile(src + f + j, in_line, col);
                } else {   /* the right edge: the taps left, lane by lane */
                    for (int q = 0; q < n - j; q++) {
                        double lane[VD];
                        for (int l = 0; l < VD; l++) lane[l] = src[l * in_line + f + j + q];
                        col[q] = vd_load(lane);
                    }
                }
                for (int q = 0; q < VD; q++)
                    if (q < n - j) acc = vd_add(acc, vd_mul(col[q], vd_set1(k[j + q])));
            }
            double o[VD];
            vd_store(o, acc);
            for (int l = 0; l < VD; l++) dst[l * out_line + x] = (float)o[l];
        }
    }
    if (r < lines) sg_k_resize_h_scalar(t, out_len, lines - r, in + r * in_line, in_line, out + r * out_line, out_line);
}
#endif

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

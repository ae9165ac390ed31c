/* data/resize.c - resizing float images: nearest, bilinear, antialiased
 * bilinear and area (see transform.h for the reference of each mode).
 *
 * Two families:
 *
 * Point sampling (NEAREST, NEAREST_TORCH, BILINEAR): every output pixel x
 * reads the input near one source position.
 *   PIL NEAREST        src = floor(a0 * (x + 0.5)), a0 = in/out in double.
 *                      PIL (libImaging/Geometry.c, ImagingScaleAffine)
 *                      accumulates the column position (xo += a0) and
 *                      computes the row position directly; we do the same,
 *                      so the rare ties land where PIL's land.
 *   torch "nearest"    src = min(floor(x * s), in - 1), s = (float)in/out
 *                      (aten/src/ATen/native/UpSample.h, nearest_idx).
 *   torch "bilinear"   src = s * (x + 0.5) - 0.5 clamped at 0 (align_corners
 *                      False), i0 = floor(src), i1 = min(i0 + 1, in - 1),
 *                      l1 = src - i0, l0 = 1 - l1; out = (x00 l0x + x01 l1x) l0y
 *                      + (x10 l0x + x11 l1x) l1y, all in float32 like ATen's
 *                      CPU kernel.
 *
 * Filtering (BILINEAR_AA, AREA): separable convolution with a filter that is
 * stretched by the scale when shrinking, so every input pixel contributes
 * (no aliasing). This is PIL's resampler (libImaging/Resample.c), which
 * torch's antialias=True reproduces:
 *   scale   = in / out,  fs = max(scale, 1),  support = filter support * fs
 *   centre  = (x + 0.5) * scale
 *   taps    = [int(centre - support + 0.5), int(centre + support + 0.5)) ∩ [0, in)
 *   w_j     = filter((j - centre + 0.5) / fs), normalised to sum 1
 *   filter  = triangle 1 - |t| on |t| < 1 (BILINEAR), box 1 on (-1/2, 1/2] (BOX)
 * The horizontal pass runs first into float32 rows, then the vertical pass;
 * a pass whose size does not change is skipped (it would be the identity).
 * Weights and sums are double, results float32: PIL's arithmetic for "F"
 * images. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* the reference's rounding, no fused multiply-add */
#endif
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "data/transform.h"
#include "data/transform_internal.h"

/* ------------------------------------------------------------- filter tables */

typedef struct filter_table {
    int ksize;      /* taps per output pixel (some trailing ones are 0) */
    int *first;     /* first input index of output pixel x */
    int *count;     /* number of taps used */
    double *weight; /* out * ksize, normalised */
} filter_table;

static double triangle_filter(double t)
{
    if (t < 0.0) t = -t;
    return t < 1.0 ? 1.0 - t : 0.0;
}

static double box_filter(double t)
{
    return t > -0.5 && t <= 0.5 ? 1.0 : 0.0;
}

static double filter_support(sg_resize_mode mode)
{
    return mode == SG_RESIZE_AREA ? 0.5 : 1.0;
}

static int filter_ksize(int in, int out, sg_resize_mode mode)
{
    double scale = (double)in / out;
    double fs = scale < 1.0 ? 1.0 : scale;
    return (int)ceil(filter_support(mode) * fs) * 2 + 1;
}

static size_t filter_table_bytes(int in, int out, sg_resize_mode mode)
{
    return sg_scratch_align((size_t)out * filter_ksize(in, out, mode) * sizeof(double)) +
           2 * sg_scratch_align((size_t)out * sizeof(int));
}

/* Fill the table for in -> out samples (PIL precompute_coeffs); `mem` holds
 * filter_table_bytes(in, out, mode). */
static filter_table filter_table_make(int in, int out, sg_resize_mode mode, char *mem)
{
    filter_table t;
    t.ksize = filter_ksize(in, out, mode);
    t.weight = (double *)mem;
    mem += sg_scratch_align((size_t)out * t.ksize * sizeof(double));
    t.first = (int *)mem;
    mem += sg_scratch_align((size_t)out * sizeof(int));
    t.count = (int *)mem;

    double (*filter)(double) = mode == SG_RESIZE_AREA ? box_filter : triangle_filter;
    double scale = (double)in / out;
    double fs = scale < 1.0 ? 1.0 : scale;
    double support = filter_support(mode) * fs;
    double inv_fs = 1.0 / fs;
    for (int x = 0; x < out; x++) {
        double centre = (x + 0.5) * scale;
        int lo = (int)(centre - support + 0.5); /* C truncation, as PIL */
        int hi = (int)(centre + support + 0.5);
        if (lo < 0) lo = 0;
        if (hi > in) hi = in;
        int n = hi - lo;
        double *k = t.weight + (size_t)x * t.ksize;
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            k[j] = filter((j + lo - centre + 0.5) * inv_fs);
            sum += k[j];
        }
        for (int j = 0; j < n; j++)
            if (sum != 0.0) k[j] /= sum;
        for (int j = n; j < t.ksize; j++) k[j] = 0.0;
        t.first[x] = lo;
        t.count[x] = n;
    }
    return t;
}

/* The two separable passes: the kernel families resize_h and resize_v
 * (core/kernels/kernels.h). These are their scalar twins, which define the
 * bits: per output sample, sum = 0.0, then sum += (double)s * w_j for j
 * increasing, product and sum rounded apart; the result rounded to float. */
void sg_k_resize_h_scalar(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in,
                          int64_t in_line, float *out, int64_t out_line)
{
    for (int64_t line = 0; line < lines; line++) {
        const float *src = in + line * in_line;
        float *dst = out + line * out_line;
        for (int64_t x = 0; x < out_len; x++) {
            const double *k = t->weight + x * t->ksize;
            const float *s = src + t->first[x];
            double sum = 0.0;
            for (int j = 0; j < t->count[x]; j++) sum += s[j] * k[j];
            dst[x] = (float)sum;
        }
    }
}

/* Output row by output row, the columns innermost (each sum is its own, so
 * the loop order does not change a bit). */
void sg_k_resize_v_scalar(const sg_resize_taps *t, int64_t out_len, int64_t lines, const float *in,
                          int64_t in_step, float *out, int64_t out_step)
{
    for (int64_t x = 0; x < out_len; x++) {
        const double *k = t->weight + x * t->ksize;
        const float *s = in + (int64_t)t->first[x] * in_step;
        float *dst = out + x * out_step;
        for (int64_t c = 0; c < lines; c++) {
            double sum = 0.0;
            for (int j = 0; j < t->count[x]; j++) sum += s[j * in_step + c] * k[j];
            dst[c] = (float)sum;
        }
    }
}

static sg_resize_taps taps_of(const filter_table *t)
{
    return (sg_resize_taps){.weight = t->weight, .first = t->first, .count = t->count, .ksize = t->ksize};
}

size_t sg_resize_taps_bytes(int in, int out, sg_resize_mode mode)
{
    return filter_table_bytes(in, out, mode);
}

sg_resize_taps sg_resize_taps_make(int in, int out, sg_resize_mode mode, void *mem)
{
    const filter_table t = filter_table_make(in, out, mode, mem);
    return taps_of(&t);
}

/* ------------------------------------------------------------- point tables */

typedef struct linear_table {
    int *i0, *i1;
    float *l0, *l1;
} linear_table;

static size_t linear_table_bytes(int out)
{
    return 2 * sg_scratch_align((size_t)out * sizeof(int)) +
           2 * sg_scratch_align((size_t)out * sizeof(float));
}

static linear_table linear_table_make(int in, int out, char *mem)
{
    linear_table t;
    size_t ib = sg_scratch_align((size_t)out * sizeof(int));
    size_t fb = sg_scratch_align((size_t)out * sizeof(float));
    t.i0 = (int *)mem;
    t.i1 = (int *)(mem + ib);
    t.l0 = (float *)(mem + 2 * ib);
    t.l1 = (float *)(mem + 2 * ib + fb);
    const float scale = (float)in / (float)out;
    for (int x = 0; x < out; x++) {
        float src = scale * ((float)x + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
        int i0 = (int)src;
        if (i0 > in - 1) i0 = in - 1;
        t.i0[x] = i0;
        t.i1[x] = i0 < in - 1 ? i0 + 1 : i0;
        float l1 = src - (float)i0;
        t.l1[x] = l1 < 0.0f ? 0.0f : (l1 > 1.0f ? 1.0f : l1);
        t.l0[x] = 1.0f - t.l1[x];
    }
    return t;
}

/* Source index of each output sample for the two nearest modes. `along_x`
 * picks PIL's accumulated column position over its direct row position. */
static void nearest_table_make(int in, int out, sg_resize_mode mode, bool along_x, int *idx)
{
    if (mode == SG_RESIZE_NEAREST_TORCH) {
        const float scale = (float)in / (float)out;
        for (int x = 0; x < out; x++) {
            int64_t s;
            if (out == in) s = x;
            else if (out == 2 * in) s = x >> 1;
            else s = (int64_t)floorf((float)x * scale);
            idx[x] = (int)(s < in - 1 ? s : in - 1);
        }
        return;
    }
    const double a = (double)in / out;
    double pos = a * 0.5;
    for (int x = 0; x < out; x++) {
        double p = along_x ? pos : x * a + a * 0.5;
        int s = p < 0.0 ? 0 : (int)p;
        idx[x] = s < in - 1 ? s : in - 1; /* p < in always; the clamp guards rounding */
        pos += a;
    }
}

/* ------------------------------------------------------------- the API */

size_t sg_resize_scratch_bytes(int c, int in_h, int in_w, int out_h, int out_w, sg_resize_mode mode)
{
    if (c < 1 || in_h < 1 || in_w < 1 || out_h < 1 || out_w < 1) return 0;
    switch (mode) {
    case SG_RESIZE_NEAREST:
    case SG_RESIZE_NEAREST_TORCH:
        return sg_scratch_align((size_t)out_h * sizeof(int)) +
               sg_scratch_align((size_t)out_w * sizeof(int));
    case SG_RESIZE_BILINEAR:
        return linear_table_bytes(out_h) + linear_table_bytes(out_w);
    case SG_RESIZE_BILINEAR_AA:
    case SG_RESIZE_AREA:
        return filter_table_bytes(in_h, out_h, mode) + filter_table_bytes(in_w, out_w, mode) +
               sg_scratch_align((size_t)c * in_h * out_w * sizeof(float));
    }
    return 0;
}

sg_err sg_resize_shorter_side(int h, int w, int size, int *out_h, int *out_w)
{
    if (h < 1 || w < 1 || size < 1)
        return sg_error_set(SG_ERR_INVALID, "resize: image %d x %d to shorter side %d: sizes must be "
                            ">= 1", h, w, size);
    /* torchvision _compute_resized_output_size: new_long = int(size * long / short). */
    if (h <= w) {
        *out_h = size;
        *out_w = (int)((int64_t)size * w / h);
    } else {
        *out_w = size;
        *out_h = (int)((int64_t)size * h / w);
    }
    return SG_OK;
}

sg_err sg_fimage_resize(const sg_fimage *in, sg_fimage *out, sg_resize_mode mode, void *scratch)
{
    sg_err err = sg_fimage_check("resize", "input", in);
    if (err == SG_OK) err = sg_fimage_check("resize", "output", out);
    if (err) return err;
    if (out->c != in->c)
        return sg_error_set(SG_ERR_SHAPE, "resize: input has %d channels, output %d", in->c, out->c);
    if (mode < SG_RESIZE_NEAREST || mode > SG_RESIZE_AREA)
        return sg_error_set(SG_ERR_INVALID, "resize: unknown mode %d", (int)mode);
    if (in->data == out->data)
        return sg_error_set(SG_ERR_INVALID, "resize: input and output must not share memory");

    const int C = in->c, IH = in->h, IW = in->w, OH = out->h, OW = out->w;
    const size_t in_plane = (size_t)IH * IW, out_plane = (size_t)OH * OW;
    void *owned;
    char *mem = sg_scratch_take(scratch, sg_resize_scratch_bytes(C, IH, IW, OH, OW, mode), &owned,
                                "resize");
    if (!mem) return SG_ERR_NOMEM;

    if (mode == SG_RESIZE_NEAREST || mode == SG_RESIZE_NEAREST_TORCH) {
        int *rows = (int *)mem;
        int *cols = (int *)(mem + sg_scratch_align((size_t)OH * sizeof(int)));
        nearest_table_make(IH, OH, mode, false, rows);
        nearest_table_make(IW, OW, mode, true, cols);
        for (int ch = 0; ch < C; ch++)
            for (int y = 0; y < OH; y++) {
                const float *src = in->data + ch * in_plane + (size_t)rows[y] * IW;
                float *dst = out->data + ch * out_plane + (size_t)y * OW;
                for (int x = 0; x < OW; x++) dst[x] = src[cols[x]];
            }
    } else if (mode == SG_RESIZE_BILINEAR) {
        linear_table ty = linear_table_make(IH, OH, mem);
        linear_table tx = linear_table_make(IW, OW, mem + linear_table_bytes(OH));
        for (int ch = 0; ch < C; ch++)
            for (int y = 0; y < OH; y++) {
                const float *r0 = in->data + ch * in_plane + (size_t)ty.i0[y] * IW;
                const float *r1 = in->data + ch * in_plane + (size_t)ty.i1[y] * IW;
                float *dst = out->data + ch * out_plane + (size_t)y * OW;
                const float wy0 = ty.l0[y], wy1 = ty.l1[y];
                for (int x = 0; x < OW; x++) {
                    float top = r0[tx.i0[x]] * tx.l0[x];
                    top += r0[tx.i1[x]] * tx.l1[x];
                    float bottom = r1[tx.i0[x]] * tx.l0[x];
                    bottom += r1[tx.i1[x]] * tx.l1[x];
                    float v = top * wy0;
                    v += bottom * wy1;
                    dst[x] = v;
                }
            }
    } else {
        filter_table ty = filter_table_make(IH, OH, mode, mem);
        size_t off = filter_table_bytes(IH, OH, mode);
        filter_table tx = filter_table_make(IW, OW, mode, mem + off);
        off += filter_table_bytes(IW, OW, mode);
        float *tmp = (float *)(mem + off);
        const sg_resize_taps kx = taps_of(&tx), ky = taps_of(&ty);
        const sg_kernel_table *k = sg_kernels();
        bool horizontal = OW != IW, vertical = OH != IH;
        for (int ch = 0; ch < C; ch++) {
            const float *src = in->data + ch * in_plane;
            float *dst = out->data + ch * out_plane;
            if (horizontal && vertical) {
                /* Only the rows the vertical pass reads: PIL's ybox. */
                int y_first = ty.first[0];
                int y_last = ty.first[OH - 1] + ty.count[OH - 1];
                float *rows = tmp + (size_t)ch * IH * OW;
                k->resize_h(&kx, OW, y_last - y_first, src + (size_t)y_first * IW, IW,
                            rows + (size_t)y_first * OW, OW);
                k->resize_v(&ky, OH, OW, rows, OW, dst, OW);
            } else if (horizontal) {
                k->resize_h(&kx, OW, IH, src, IW, dst, OW);
            } else if (vertical) {
                k->resize_v(&ky, OH, IW, src, IW, dst, OW);
            } else {
                memcpy(dst, src, in_plane * sizeof(float));
            }
        }
    }
    free(owned);
    return SG_OK;
}

/* data/clahe.c - contrast-limited adaptive histogram equalisation, bit-exact
 * with OpenCV's cv::createCLAHE(clipLimit, tileGridSize)->apply()
 * (modules/imgproc/src/clahe.cpp, CPU path; OpenCV 4.6 as in Debian's
 * python3-opencv). Zuiderveld, "Contrast Limited Adaptive Histogram
 * Equalization", Graphics Gems IV (1994), is the method; what follows is
 * OpenCV's particular arithmetic, which decides every last grey level:
 *
 *  1. Tiles. The image is split into tiles_x x tiles_y tiles. Unless BOTH
 *     sides divide evenly, OpenCV pads the image at the right and bottom by
 *     (tiles_x - W % tiles_x, tiles_y - H % tiles_y) with BORDER_REFLECT_101
 *     (note: a side that divides evenly is then padded by a whole tiles_x or
 *     tiles_y), and the tile is (W' / tiles_x) x (H' / tiles_y). The padding
 *     only feeds the histograms; we read it through the reflection instead of
 *     building the padded image.
 *  2. Histogram of each tile (256 bins for 8 bits, 65536 for 16), clipped at
 *     limit = max(int(clip_limit * tile_area / bins), 1) when clip_limit > 0.
 *     The clipped excess is spread evenly (excess / bins to every bin) and
 *     the residual r = excess % bins adds 1 to every max(bins / r, 1)-th bin
 *     from bin 0 while any is left.
 *  3. LUT: lut[i] = saturate(round_half_even((float)cumsum[i] * scale)),
 *     scale = (float)(bins - 1) / tile_area, in float32.
 *  4. Each pixel blends the LUTs of the four nearest tile centres in float32:
 *       tx = x * (1.0f / tile_w) - 0.5f, tx1 = floor(tx), xa = tx - tx1,
 *       (ty likewise), tile indices clamped to the grid, and
 *       out = (L11 (1 - xa) + L12 xa) (1 - ya) + (L21 (1 - xa) + L22 xa) ya
 *     rounded half to even (cvRound) and saturated.
 * Float rounding is reproduced by doing the same float operations in the same
 * order; this file must not be compiled with FP contraction (fused
 * multiply-add changes the rounding): GCC's ISO C mode has it off, and the
 * pragma below turns it off for clang.
 *
 * Colour: OpenCV's CLAHE takes one channel. For RGB we use the usual recipe
 * with OpenCV's own integer colour conversion, so it stays bit-exact too:
 * Y, Cr, Cb = cvtColor(RGB2YCrCb) (Y = (4899 R + 9617 G + 1868 B + 2^13) >> 14,
 * Cr = ((R - Y) 11682 + half 2^14 + 2^13) >> 14, Cb with B and 9241), CLAHE
 * on Y, then cvtColor(YCrCb2RGB) (R = Y + ((Cr - half) 22987 + 2^13) >> 14,
 * G = Y + ((Cb - half)(-5636) + (Cr - half)(-11698) + 2^13) >> 14,
 * B = Y + ((Cb - half) 29049 + 2^13) >> 14), half = 128 or 32768, shifts
 * flooring, results saturated. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/transform.h"
#include "data/transform_internal.h"

sg_clahe_opts sg_clahe_opts_default(void)
{
    return (sg_clahe_opts){40.0, 8, 8};
}

/* OpenCV borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba). */
static int reflect101(int p, int len)
{
    if (len == 1) return 0;
    while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
    return p;
}

/* cvRound + saturate_cast to [0, max]: round half to even (lrintf in the
 * default rounding mode), then clamp. */
static inline unsigned saturate_round(float v, unsigned max)
{
    if (!(v > 0.0f)) return 0;
    if (v >= (float)max) return max;
    return (unsigned)lrintf(v);
}

/* x >> 14 rounding towards minus infinity for any sign (OpenCV's CV_DESCALE
 * relies on the arithmetic shift of negative ints). */
static inline int64_t floor_shift14(int64_t x)
{
    return x >= 0 ? x >> 14 : -((-x + 16383) >> 14);
}

static inline unsigned saturate_int(int64_t v, unsigned max)
{
    return v < 0 ? 0 : (v > (int64_t)max ? max : (unsigned)v);
}

/* The geometry every step needs. */
typedef struct clahe_plan {
    int width, height, bins, tiles_x, tiles_y;
    int tile_w, tile_h;
    int clip;          /* 0: no clipping */
    float lut_scale;
} clahe_plan;

static sg_err clahe_plan_make(int width, int height, int depth, const sg_clahe_opts *o,
                              clahe_plan *p)
{
    if (!o) return sg_error_set(SG_ERR_INVALID, "clahe: no options");
    if (o->tiles_x < 1 || o->tiles_y < 1 || o->tiles_x > 4096 || o->tiles_y > 4096)
        return sg_error_set(SG_ERR_INVALID, "clahe: tile grid %d x %d, expected 1 .. 4096 each",
                            o->tiles_x, o->tiles_y);
    if (o->clip_limit != o->clip_limit)
        return sg_error_set(SG_ERR_INVALID, "clahe: clip limit is NaN");
    p->width = width;
    p->height = height;
    p->bins = depth == 16 ? 65536 : 256;
    p->tiles_x = o->tiles_x;
    p->tiles_y = o->tiles_y;
    int64_t padded_w = width, padded_h = height;
    if (width % o->tiles_x != 0 || height % o->tiles_y != 0) {
        padded_w += o->tiles_x - width % o->tiles_x;
        padded_h += o->tiles_y - height % o->tiles_y;
    }
    p->tile_w = (int)(padded_w / o->tiles_x);
    p->tile_h = (int)(padded_h / o->tiles_y);
    int64_t area = (int64_t)p->tile_w * p->tile_h;
    if (area > INT_MAX / 2)
        return sg_error_set(SG_ERR_LIMIT, "clahe: tiles of %d x %d pixels are too large", p->tile_w,
                            p->tile_h);
    if ((int64_t)p->tiles_x * p->tiles_y * p->bins > INT_MAX)
        return sg_error_set(SG_ERR_LIMIT, "clahe: %d x %d tiles of %d bins are too many LUT entries",
                            p->tiles_x, p->tiles_y, p->bins);
    p->lut_scale = (float)(p->bins - 1) / (float)area;
    p->clip = 0;
    if (o->clip_limit > 0.0) {
        double limit = o->clip_limit * (double)area / p->bins;
        if (limit >= (double)INT_MAX)
            return sg_error_set(SG_ERR_INVALID, "clahe: clip limit %g gives %g per bin, more than an "
                                "int holds", o->clip_limit, limit);
        p->clip = (int)limit;
        if (p->clip < 1) p->clip = 1;
    }
    return SG_OK;
}

/* Scratch: the working plane, the LUTs, one histogram, the column tables. */
typedef struct clahe_mem {
    uint16_t *plane;
    uint16_t *lut;     /* tiles_y * tiles_x * bins */
    int *hist;
    int *col_tile1, *col_tile2;
    float *col_a, *col_a1;
} clahe_mem;

static size_t clahe_mem_bytes(const clahe_plan *p)
{
    size_t w = (size_t)p->width;
    return sg_scratch_align((size_t)p->width * p->height * sizeof(uint16_t)) +
           sg_scratch_align((size_t)p->tiles_x * p->tiles_y * p->bins * sizeof(uint16_t)) +
           sg_scratch_align((size_t)p->bins * sizeof(int)) + 2 * sg_scratch_align(w * sizeof(int)) +
           2 * sg_scratch_align(w * sizeof(float));
}

static clahe_mem clahe_mem_carve(const clahe_plan *p, char *mem)
{
    clahe_mem m;
    size_t w = (size_t)p->width;
    m.plane = (uint16_t *)mem;
    mem += sg_scratch_align((size_t)p->width * p->height * sizeof(uint16_t));
    m.lut = (uint16_t *)mem;
    mem += sg_scratch_align((size_t)p->tiles_x * p->tiles_y * p->bins * sizeof(uint16_t));
    m.hist = (int *)mem;
    mem += sg_scratch_align((size_t)p->bins * sizeof(int));
    m.col_tile1 = (int *)mem;
    mem += sg_scratch_align(w * sizeof(int));
    m.col_tile2 = (int *)mem;
    mem += sg_scratch_align(w * sizeof(int));
    m.col_a = (float *)mem;
    mem += sg_scratch_align(w * sizeof(float));
    m.col_a1 = (float *)mem;
    return m;
}

/* Steps 2 and 3 for every tile. */
static void clahe_make_luts(const clahe_plan *p, const clahe_mem *m)
{
    const int bins = p->bins;
    for (int ty = 0; ty < p->tiles_y; ty++)
        for (int tx = 0; tx < p->tiles_x; tx++) {
            int *hist = m->hist;
            memset(hist, 0, (size_t)bins * sizeof(int));
            for (int y = ty * p->tile_h; y < (ty + 1) * p->tile_h; y++) {
                const uint16_t *row = m->plane + (size_t)reflect101(y, p->height) * p->width;
                int x0 = tx * p->tile_w, x1 = x0 + p->tile_w;
                int inside = x1 < p->width ? x1 : p->width;
                for (int x = x0; x < inside; x++) hist[row[x]]++;
                for (int x = inside > x0 ? inside : x0; x < x1; x++) hist[row[reflect101(x, p->width)]]++;
            }
            if (p->clip > 0) {
                int clipped = 0;
                for (int i = 0; i < bins; i++)
                    if (hist[i] > p->clip) {
                        clipped += hist[i] - p->clip;
                        hist[i] = p->clip;
                    }
                int batch = clipped / bins;
                int residual = clipped - batch * bins;
                for (int i = 0; i < bins; i++) hist[i] += batch;
                if (residual != 0) {
                    int step = bins / residual > 1 ? bins / residual : 1;
                    for (int i = 0; i < bins && residual > 0; i += step, residual--) hist[i]++;
                }
            }
            uint16_t *lut = m->lut + ((size_t)ty * p->tiles_x + tx) * bins;
            int sum = 0;
            for (int i = 0; i < bins; i++) {
                sum += hist[i];
                lut[i] = (uint16_t)saturate_round((float)sum * p->lut_scale, (unsigned)(bins - 1));
            }
        }
}

/* Step 4, in place on the plane (each pixel reads only itself). */
static void clahe_interpolate(const clahe_plan *p, const clahe_mem *m)
{
    const int bins = p->bins;
    const float inv_tw = 1.0f / (float)p->tile_w;
    for (int x = 0; x < p->width; x++) {
        float txf = (float)x * inv_tw - 0.5f;
        int t1 = (int)floorf(txf);
        int t2 = t1 + 1;
        m->col_a[x] = txf - (float)t1;
        m->col_a1[x] = 1.0f - m->col_a[x];
        m->col_tile1[x] = t1 > 0 ? t1 : 0;
        m->col_tile2[x] = t2 < p->tiles_x - 1 ? t2 : p->tiles_x - 1;
    }
    const float inv_th = 1.0f / (float)p->tile_h;
    for (int y = 0; y < p->height; y++) {
        float tyf = (float)y * inv_th - 0.5f;
        int t1 = (int)floorf(tyf);
        int t2 = t1 + 1;
        float ya = tyf - (float)t1, ya1 = 1.0f - ya;
        t1 = t1 > 0 ? t1 : 0;
        t2 = t2 < p->tiles_y - 1 ? t2 : p->tiles_y - 1;
        const uint16_t *plane1 = m->lut + (size_t)t1 * p->tiles_x * bins;
        const uint16_t *plane2 = m->lut + (size_t)t2 * p->tiles_x * bins;
        uint16_t *row = m->plane + (size_t)y * p->width;
        for (int x = 0; x < p->width; x++) {
            size_t i1 = (size_t)m->col_tile1[x] * bins + row[x];
            size_t i2 = (size_t)m->col_tile2[x] * bins + row[x];
            float xa = m->col_a[x], xa1 = m->col_a1[x];
            float top = (float)plane1[i1] * xa1 + (float)plane1[i2] * xa;
            float bottom = (float)plane2[i1] * xa1 + (float)plane2[i2] * xa;
            float res = top * ya1 + bottom * ya;
            row[x] = (uint16_t)saturate_round(res, (unsigned)(bins - 1));
        }
    }
}

size_t sg_clahe_scratch_bytes(int width, int height, int channels, int depth,
                              const sg_clahe_opts *opts)
{
    (void)channels;
    clahe_plan p = {0};
    if (width < 1 || height < 1 || (depth != 8 && depth != 16)) return 0;
    if (clahe_plan_make(width, height, depth, opts, &p)) return 0;
    return clahe_mem_bytes(&p);
}

static inline unsigned sample_get(const sg_image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : ((const uint8_t *)img->pixels)[i];
}

static inline void sample_set(sg_image *img, size_t i, unsigned v)
{
    if (img->depth == 16) ((uint16_t *)img->pixels)[i] = (uint16_t)v;
    else ((uint8_t *)img->pixels)[i] = (uint8_t)v;
}

sg_err sg_clahe_apply(const sg_image *in, const sg_clahe_opts *opts, sg_image *out, void *scratch)
{
    if (!in || !in->pixels || in->width < 1 || in->height < 1 || in->channels < 1 ||
        in->channels > 4 || (in->depth != 8 && in->depth != 16))
        return sg_error_set(SG_ERR_INVALID, "clahe: not a valid 8- or 16-bit image");
    if (!out || !out->pixels || out->width != in->width || out->height != in->height ||
        out->channels != in->channels || out->depth != in->depth)
        return sg_error_set(SG_ERR_SHAPE, "clahe: output must be allocated with the input's shape "
                            "%d x %d x %d, %d bits", in->height, in->width, in->channels, in->depth);
    clahe_plan plan = {0};
    sg_err err = clahe_plan_make(in->width, in->height, in->depth, opts, &plan);
    if (err) return err;
    void *owned;
    char *mem = sg_scratch_take(scratch, clahe_mem_bytes(&plan), &owned, "clahe");
    if (!mem) return SG_ERR_NOMEM;
    clahe_mem m = clahe_mem_carve(&plan, mem);

    const int C = in->channels;
    const size_t n = (size_t)in->width * in->height;
    const bool colour = C >= 3;
    const int64_t half = in->depth == 16 ? 32768 : 128;
    const unsigned max = in->depth == 16 ? 65535u : 255u;
    /* The plane to equalise: gray, or OpenCV's Y. */
    for (size_t i = 0; i < n; i++) {
        if (!colour) {
            m.plane[i] = (uint16_t)sample_get(in, i * C);
        } else {
            int64_t r = sample_get(in, i * C), g = sample_get(in, i * C + 1),
                    b = sample_get(in, i * C + 2);
            m.plane[i] = (uint16_t)saturate_int(floor_shift14(r * 4899 + g * 9617 + b * 1868 + 8192),
                                                max);
        }
    }
    clahe_make_luts(&plan, &m);
    clahe_interpolate(&plan, &m);
    for (size_t i = 0; i < n; i++) {
        if (!colour) {
            sample_set(out, i * C, m.plane[i]);
            if (C == 2) sample_set(out, i * C + 1, sample_get(in, i * C + 1));
            continue;
        }
        /* Cr and Cb from the original pixel (as cvtColor stored them), then back. */
        int64_t r = sample_get(in, i * C), g = sample_get(in, i * C + 1), b = sample_get(in, i * C + 2);
        int64_t y = (int64_t)saturate_int(floor_shift14(r * 4899 + g * 9617 + b * 1868 + 8192), max);
        int64_t cr = saturate_int(floor_shift14((r - y) * 11682 + (half << 14) + 8192), max);
        int64_t cb = saturate_int(floor_shift14((b - y) * 9241 + (half << 14) + 8192), max);
        int64_t y2 = m.plane[i];
        unsigned alpha = C == 4 ? sample_get(in, i * C + 3) : 0;
        sample_set(out, i * C, saturate_int(y2 + floor_shift14((cr - half) * 22987 + 8192), max));
        sample_set(out, i * C + 1, saturate_int(y2 + floor_shift14((cb - half) * -5636 +
                                                                   (cr - half) * -11698 + 8192), max));
        sample_set(out, i * C + 2, saturate_int(y2 + floor_shift14((cb - half) * 29049 + 8192), max));
        if (C == 4) sample_set(out, i * C + 3, alpha);
    }
    free(owned);
    return SG_OK;
}

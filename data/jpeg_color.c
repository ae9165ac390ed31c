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

/* The fancy 2:1 filters: data/jpeg_upsample.h, here as the scalar twin of
 * the kernel family jpeg_upsample (data/jpeg_avx2.c compiles its SSE2 twin). */
#define SG_JPEG_UP_SSE2 0
#define SG_JPEG_UP_NAME sg_k_jpeg_upsample_scalar
#include "data/jpeg_upsample.h"

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
        sg_kernels()->jpeg_upsample(hf == 1 ? SG_JPEG_UP_V2 : SG_JPEG_UP_H2V2, row, far, p->width, lower ? 2 : 1,
                                    scratch);
        return scratch;
    }
    if (hf == 2 && vf == 1 && p->width > 2) {
        sg_kernels()->jpeg_upsample(SG_JPEG_UP_H2, row, row, p->width, 0, scratch);
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

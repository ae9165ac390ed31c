/* data/transform.c - float images, borders, crops, padding, flips and tiles
 * (see transform.h). Resizing, colour, the affine warp, augmentation and
 * CLAHE each have their own file. */
#include "data/transform.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/transform_internal.h"

/* ----------------------------------------------------------- the basics */

size_t sg_fimage_numel(int c, int h, int w)
{
    if (c <= 0 || h <= 0 || w <= 0) return 0;
    return (size_t)c * (size_t)h * (size_t)w;
}

sg_fimage sg_fimage_view(int c, int h, int w, float *data)
{
    return (sg_fimage){c, h, w, data};
}

sg_err sg_fimage_check(const char *op, const char *role, const sg_fimage *img)
{
    if (!img || !img->data)
        return sg_error_set(SG_ERR_INVALID, "%s: %s image has no data", op, role);
    if (img->c < 1 || img->h < 1 || img->w < 1)
        return sg_error_set(SG_ERR_SHAPE, "%s: %s image is %d x %d x %d (C x H x W), expected every "
                            "size >= 1", op, role, img->c, img->h, img->w);
    /* c*h*w floats must be addressable; 2^31 samples is far above any image
     * we take (the decoders stop at 2^28 pixels), and keeps int indices safe. */
    if ((int64_t)img->c * img->h * img->w > INT32_MAX)
        return sg_error_set(SG_ERR_LIMIT, "%s: %s image %d x %d x %d has more than 2^31 samples",
                            op, role, img->c, img->h, img->w);
    return SG_OK;
}

void *sg_scratch_take(void *scratch, size_t bytes, void **owned, const char *op)
{
    *owned = NULL;
    if (scratch || bytes == 0) return scratch;
    *owned = malloc(bytes);
    if (!*owned) sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %zu bytes of scratch", op, bytes);
    return *owned;
}

/* A sample of an sg_image as an integer, whatever its depth. */
static inline unsigned image_sample(const sg_image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : ((const uint8_t *)img->pixels)[i];
}

static sg_err image_check(const char *op, const sg_image *img)
{
    if (!img || !img->pixels || img->width < 1 || img->height < 1 || img->channels < 1 ||
        img->channels > 4 || (img->depth != 8 && img->depth != 16))
        return sg_error_set(SG_ERR_INVALID, "%s: not a valid image (need pixels, size >= 1, 1-4 "
                            "channels, 8 or 16 bits)", op);
    return SG_OK;
}

sg_err sg_fimage_from_image(const sg_image *img, sg_fimage *out)
{
    sg_err err = image_check("fimage_from_image", img);
    if (err == SG_OK) err = sg_fimage_check("fimage_from_image", "output", out);
    if (err) return err;
    if (out->c != img->channels || out->h != img->height || out->w != img->width)
        return sg_error_set(SG_ERR_SHAPE, "fimage_from_image: image is %d x %d x %d (C x H x W), "
                            "output is %d x %d x %d", img->channels, img->height, img->width,
                            out->c, out->h, out->w);
    /* Division (not multiplication by 1/255) so that values are the correctly
     * rounded quotients, identical to torchvision's to_tensor: x.float() / 255. */
    const float scale = img->depth == 16 ? 65535.0f : 255.0f;
    const int C = out->c;
    const size_t plane = (size_t)out->h * out->w;
    for (size_t p = 0; p < plane; p++)
        for (int ch = 0; ch < C; ch++)
            out->data[ch * plane + p] = (float)image_sample(img, p * C + ch) / scale;
    return SG_OK;
}

sg_err sg_fimage_to_image(const sg_fimage *in, int depth, sg_image *img)
{
    sg_err err = sg_fimage_check("fimage_to_image", "input", in);
    if (err) return err;
    if (in->c > 4)
        return sg_error_set(SG_ERR_SHAPE, "fimage_to_image: %d channels, an image has 1 to 4", in->c);
    err = sg_image_alloc(img, in->w, in->h, in->c, depth, NULL, "fimage_to_image");
    if (err) return err;
    const float scale = depth == 16 ? 65535.0f : 255.0f;
    const size_t plane = (size_t)in->h * in->w;
    for (size_t p = 0; p < plane; p++)
        for (int ch = 0; ch < in->c; ch++) {
            float x = in->data[ch * plane + p];
            x = x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; /* NaN -> 0 */
            unsigned v = (unsigned)(x * scale + 0.5f);
            size_t i = p * in->c + ch;
            if (depth == 16) ((uint16_t *)img->pixels)[i] = (uint16_t)v;
            else ((uint8_t *)img->pixels)[i] = (uint8_t)v;
        }
    return SG_OK;
}

/* ----------------------------------------------------------- borders */

static const char *const border_names[] = {"constant", "edge", "symmetric", "reflect101", "wrap"};

const char *sg_border_name(sg_border b)
{
    return b >= SG_BORDER_CONSTANT && b <= SG_BORDER_WRAP ? border_names[b] : "unknown";
}

sg_err sg_border_from_keras(const char *name, sg_border *out)
{
    static const struct { const char *name; sg_border border; } table[] = {
        {"constant", SG_BORDER_CONSTANT}, {"nearest", SG_BORDER_EDGE},
        {"reflect", SG_BORDER_SYMMETRIC}, {"wrap", SG_BORDER_WRAP},
        {"edge", SG_BORDER_EDGE}, {"symmetric", SG_BORDER_SYMMETRIC},
        {"reflect101", SG_BORDER_REFLECT101}, {"mirror", SG_BORDER_REFLECT101},
    };
    for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = table[i].border;
            return SG_OK;
        }
    return sg_error_set(SG_ERR_INVALID, "fill mode '%s': expected constant, nearest, reflect or wrap "
                        "(Keras names) or edge, symmetric, reflect101, mirror", name ? name : "(null)");
}

/* Non-negative i mod n. */
static inline int mod_pos(int i, int n)
{
    int r = i % n;
    return r < 0 ? r + n : r;
}

int sg_border_index(int i, int n, sg_border border)
{
    if (i >= 0 && i < n) return i;
    switch (border) {
    case SG_BORDER_CONSTANT: return -1;
    case SG_BORDER_EDGE: return i < 0 ? 0 : n - 1;
    case SG_BORDER_SYMMETRIC: { /* ... b a | a b ... : period 2n, the edge sample repeated */
        int r = mod_pos(i, 2 * n);
        return r < n ? r : 2 * n - 1 - r;
    }
    case SG_BORDER_REFLECT101: { /* ... c b | a b c ... : period 2n - 2, the edge not repeated */
        if (n == 1) return 0;
        int r = mod_pos(i, 2 * n - 2);
        return r < n ? r : 2 * n - 2 - r;
    }
    case SG_BORDER_WRAP: return mod_pos(i, n);
    }
    return -1;
}

/* ----------------------------------------------------------- crops */

/* Python's round(x / 2) for an integer x: halves go to the even neighbour. */
static int half_round_even(int x)
{
    int q = x / 2; /* x >= 0 here */
    if (x % 2 == 0) return q;
    return q % 2 == 0 ? q : q + 1;
}

void sg_center_crop_origin(int h, int w, int crop_h, int crop_w, int *top, int *left)
{
    /* torchvision center_crop: pad with (crop - size) // 2 before when the
     * crop is larger, then top = int(round((size' - crop) / 2.0)). */
    *top = crop_h > h ? -((crop_h - h) / 2) : half_round_even(h - crop_h);
    *left = crop_w > w ? -((crop_w - w) / 2) : half_round_even(w - crop_w);
}

sg_err sg_fimage_crop(const sg_fimage *in, int top, int left, float fill, sg_fimage *out)
{
    sg_err err = sg_fimage_check("crop", "input", in);
    if (err == SG_OK) err = sg_fimage_check("crop", "output", out);
    if (err) return err;
    if (out->c != in->c)
        return sg_error_set(SG_ERR_SHAPE, "crop: input has %d channels, output %d", in->c, out->c);
    const size_t in_plane = (size_t)in->h * in->w, out_plane = (size_t)out->h * out->w;
    /* The columns [x0, x1) of the window that fall inside the image. */
    int64_t x0 = left < 0 ? -(int64_t)left : 0;
    int64_t x1 = (int64_t)in->w - left < out->w ? (int64_t)in->w - left : out->w;
    if (x0 > out->w) x0 = out->w;
    for (int ch = 0; ch < out->c; ch++)
        for (int y = 0; y < out->h; y++) {
            float *dst = out->data + ch * out_plane + (size_t)y * out->w;
            int64_t sy = (int64_t)top + y;
            if (sy < 0 || sy >= in->h || x1 <= x0) {
                for (int x = 0; x < out->w; x++) dst[x] = fill;
                continue;
            }
            const float *src = in->data + ch * in_plane + (size_t)sy * in->w;
            for (int64_t x = 0; x < x0; x++) dst[x] = fill;
            memcpy(dst + x0, src + (left + x0), (size_t)(x1 - x0) * sizeof(float));
            for (int64_t x = x1; x < out->w; x++) dst[x] = fill;
        }
    return SG_OK;
}

sg_err sg_fimage_center_crop(const sg_fimage *in, sg_fimage *out)
{
    sg_err err = sg_fimage_check("center_crop", "input", in);
    if (err == SG_OK) err = sg_fimage_check("center_crop", "output", out);
    if (err) return err;
    int top, left;
    sg_center_crop_origin(in->h, in->w, out->h, out->w, &top, &left);
    return sg_fimage_crop(in, top, left, 0.0f, out);
}

sg_err sg_fimage_center_square(const sg_fimage *in, sg_fimage *out)
{
    sg_err err = sg_fimage_check("center_square", "input", in);
    if (err == SG_OK) err = sg_fimage_check("center_square", "output", out);
    if (err) return err;
    int side = in->h < in->w ? in->h : in->w;
    if (out->h != side || out->w != side)
        return sg_error_set(SG_ERR_SHAPE, "center_square: input %d x %d needs a %d x %d output, got "
                            "%d x %d", in->h, in->w, side, side, out->h, out->w);
    return sg_fimage_center_crop(in, out);
}

sg_err sg_fimage_random_crop(const sg_fimage *in, sg_rng_key key, sg_fimage *out, int *top,
                             int *left)
{
    sg_err err = sg_fimage_check("random_crop", "input", in);
    if (err == SG_OK) err = sg_fimage_check("random_crop", "output", out);
    if (err) return err;
    if (out->h > in->h || out->w > in->w)
        return sg_error_set(SG_ERR_SHAPE, "random_crop: crop %d x %d is larger than the image %d x %d",
                            out->h, out->w, in->h, in->w);
    /* torchvision RandomCrop.get_params: randint(0, h - th + 1) for each. */
    int t = (int)sg_rng_below(key, SG_AUG_RNG_CROP_TOP, (uint32_t)(in->h - out->h + 1));
    int l = (int)sg_rng_below(key, SG_AUG_RNG_CROP_LEFT, (uint32_t)(in->w - out->w + 1));
    if (top) *top = t;
    if (left) *left = l;
    return sg_fimage_crop(in, t, l, 0.0f, out);
}

/* ----------------------------------------------------------- padding, flips */

sg_err sg_fimage_pad(const sg_fimage *in, int top, int bottom, int left, int right,
                     sg_border border, float value, sg_fimage *out)
{
    sg_err err = sg_fimage_check("pad", "input", in);
    if (err == SG_OK) err = sg_fimage_check("pad", "output", out);
    if (err) return err;
    if (top < 0 || bottom < 0 || left < 0 || right < 0)
        return sg_error_set(SG_ERR_INVALID, "pad: padding (top %d, bottom %d, left %d, right %d) "
                            "must be >= 0", top, bottom, left, right);
    if (border < SG_BORDER_CONSTANT || border > SG_BORDER_WRAP)
        return sg_error_set(SG_ERR_INVALID, "pad: unknown border mode %d", (int)border);
    if (out->c != in->c || (int64_t)out->h != (int64_t)in->h + top + bottom ||
        (int64_t)out->w != (int64_t)in->w + left + right)
        return sg_error_set(SG_ERR_SHAPE, "pad: input %d x %d x %d padded by (%d, %d, %d, %d) is "
                            "%d x %lld x %lld, output is %d x %d x %d", in->c, in->h, in->w, top,
                            bottom, left, right, in->c, (long long)in->h + top + bottom,
                            (long long)in->w + left + right, out->c, out->h, out->w);
    const size_t in_plane = (size_t)in->h * in->w, out_plane = (size_t)out->h * out->w;
    for (int ch = 0; ch < in->c; ch++)
        for (int y = 0; y < out->h; y++) {
            float *dst = out->data + ch * out_plane + (size_t)y * out->w;
            int sy = sg_border_index(y - top, in->h, border);
            if (sy < 0) {
                for (int x = 0; x < out->w; x++) dst[x] = value;
                continue;
            }
            const float *src = in->data + ch * in_plane + (size_t)sy * in->w;
            for (int x = 0; x < left; x++) {
                int sx = sg_border_index(x - left, in->w, border);
                dst[x] = sx < 0 ? value : src[sx];
            }
            memcpy(dst + left, src, (size_t)in->w * sizeof(float));
            for (int x = left + in->w; x < out->w; x++) {
                int sx = sg_border_index(x - left, in->w, border);
                dst[x] = sx < 0 ? value : src[sx];
            }
        }
    return SG_OK;
}

void sg_fimage_flip(sg_fimage *img, sg_flip which)
{
    if (!img || !img->data || img->c < 1 || img->h < 1 || img->w < 1) return;
    const size_t plane = (size_t)img->h * img->w;
    for (int ch = 0; ch < img->c; ch++) {
        float *p = img->data + ch * plane;
        if (which == SG_FLIP_HORIZONTAL) {
            for (int y = 0; y < img->h; y++) {
                float *row = p + (size_t)y * img->w;
                for (int a = 0, b = img->w - 1; a < b; a++, b--) {
                    float t = row[a];
                    row[a] = row[b];
                    row[b] = t;
                }
            }
        } else {
            for (int a = 0, b = img->h - 1; a < b; a++, b--) {
                float *ra = p + (size_t)a * img->w, *rb = p + (size_t)b * img->w;
                for (int x = 0; x < img->w; x++) {
                    float t = ra[x];
                    ra[x] = rb[x];
                    rb[x] = t;
                }
            }
        }
    }
}

/* ----------------------------------------------------------- tiles */

sg_err sg_tile_grid(int h, int w, int tile, int *rows, int *cols)
{
    if (tile < 1 || h < tile || w < tile)
        return sg_error_set(SG_ERR_SHAPE, "tile: a %d x %d tile does not fit a %d x %d image", tile,
                            tile, h, w);
    *rows = h / tile;
    *cols = w / tile;
    return SG_OK;
}

sg_err sg_tile_origin(int h, int w, int tile, int index, int *top, int *left)
{
    int rows = 0, cols = 0;
    sg_err err = sg_tile_grid(h, w, tile, &rows, &cols);
    if (err) return err;
    if (index < 0 || index >= rows * cols)
        return sg_error_set(SG_ERR_INVALID, "tile: index %d out of range, a %d x %d image has %d x %d "
                            "= %d tiles of %d", index, h, w, rows, cols, rows * cols, tile);
    int crop_top, crop_left;
    sg_center_crop_origin(h, w, rows * tile, cols * tile, &crop_top, &crop_left);
    *top = crop_top + (index / cols) * tile;
    *left = crop_left + (index % cols) * tile;
    return SG_OK;
}

sg_err sg_fimage_tile(const sg_fimage *in, int index, sg_fimage *out)
{
    sg_err err = sg_fimage_check("tile", "input", in);
    if (err == SG_OK) err = sg_fimage_check("tile", "output", out);
    if (err) return err;
    if (out->h != out->w)
        return sg_error_set(SG_ERR_SHAPE, "tile: output %d x %d is not square", out->h, out->w);
    int top, left;
    err = sg_tile_origin(in->h, in->w, out->h, index, &top, &left);
    if (err) return err;
    return sg_fimage_crop(in, top, left, 0.0f, out);
}

sg_err sg_image_crop(const sg_image *in, int top, int left, sg_image *out)
{
    sg_err err = image_check("image_crop", in);
    if (err == SG_OK) err = image_check("image_crop", out);
    if (err) return err;
    if (out->channels != in->channels || out->depth != in->depth)
        return sg_error_set(SG_ERR_SHAPE, "image_crop: input has %d channels of %d bits, output %d of "
                            "%d", in->channels, in->depth, out->channels, out->depth);
    if (top < 0 || left < 0 || top > in->height - out->height || left > in->width - out->width)
        return sg_error_set(SG_ERR_SHAPE, "image_crop: window %d x %d at (%d, %d) is not inside the "
                            "%d x %d image", out->height, out->width, top, left, in->height,
                            in->width);
    size_t px = (size_t)in->channels * (in->depth == 16 ? 2 : 1);
    const uint8_t *src = in->pixels;
    uint8_t *dst = out->pixels;
    for (int y = 0; y < out->height; y++)
        memcpy(dst + (size_t)y * out->width * px,
               src + ((size_t)(top + y) * in->width + left) * px, (size_t)out->width * px);
    return SG_OK;
}

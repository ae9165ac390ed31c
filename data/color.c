/* data/color.c - brightness, contrast, gray <-> RGB and normalisation.
 *
 * The float functions follow torchvision.transforms.functional on float
 * tensors (torchvision 0.14, _functional_tensor.py), operation for operation
 * in float32 so the results agree to the last bit or two:
 *   adjust_brightness(x, f)  = _blend(x, 0, f)    = clamp(f * x, 0, 1)
 *   adjust_contrast(x, f)    = _blend(x, m, f)    = clamp(f * x + (1 - f) * m, 0, 1),
 *                              m = mean(rgb_to_grayscale(x)) for RGB, mean(x) for gray
 *   rgb_to_grayscale(x)      = 0.2989 R + 0.587 G + 0.114 B
 *   Normalize(mean, std)     = (x - mean) / std per channel
 * (the mean is summed in double here, torch sums in float: last-bit
 * differences in m). The uint8 gray conversion is PIL's (libImaging/Convert.c,
 * rgb2l), bit-exact. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* the reference's rounding, no fused multiply-add */
#endif
#include <string.h>

#include "data/transform.h"
#include "data/transform_internal.h"

static inline float clamp01(float x)
{
    return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}

sg_err sg_fimage_adjust_brightness(sg_fimage *img, float factor)
{
    sg_err err = sg_fimage_check("adjust_brightness", "input", img);
    if (err) return err;
    if (!(factor >= 0.0f))
        return sg_error_set(SG_ERR_INVALID, "adjust_brightness: factor %g must be >= 0", factor);
    size_t n = sg_fimage_numel(img->c, img->h, img->w);
    for (size_t i = 0; i < n; i++) img->data[i] = clamp01(factor * img->data[i]);
    return SG_OK;
}

/* One gray value from the three planes at pixel p (torchvision's weights and order). */
static inline float luma(const float *r, const float *g, const float *b, size_t p)
{
    float l = 0.2989f * r[p];
    l += 0.587f * g[p];
    l += 0.114f * b[p];
    return l;
}

sg_err sg_fimage_adjust_contrast(sg_fimage *img, float factor)
{
    sg_err err = sg_fimage_check("adjust_contrast", "input", img);
    if (err) return err;
    if (img->c != 1 && img->c != 3)
        return sg_error_set(SG_ERR_SHAPE, "adjust_contrast: %d channels, expected 1 or 3", img->c);
    if (!(factor >= 0.0f))
        return sg_error_set(SG_ERR_INVALID, "adjust_contrast: factor %g must be >= 0", factor);
    const size_t plane = (size_t)img->h * img->w;
    const float *r = img->data, *g = r + plane, *b = g + plane;
    double sum = 0.0;
    for (size_t p = 0; p < plane; p++) sum += img->c == 3 ? luma(r, g, b, p) : r[p];
    const float mean = (float)(sum / (double)plane);
    /* (1.0 - ratio) is a Python double times a float tensor: rounded to float. */
    const float other = (float)(1.0 - (double)factor) * mean;
    size_t n = plane * img->c;
    for (size_t i = 0; i < n; i++) img->data[i] = clamp01(factor * img->data[i] + other);
    return SG_OK;
}

static sg_err check_pair(const char *op, const sg_fimage *in, int in_c, const sg_fimage *out,
                         int out_c)
{
    sg_err err = sg_fimage_check(op, "input", in);
    if (err == SG_OK) err = sg_fimage_check(op, "output", out);
    if (err) return err;
    if (in->c != in_c || out->c != out_c || in->h != out->h || in->w != out->w)
        return sg_error_set(SG_ERR_SHAPE, "%s: input %d x %d x %d and output %d x %d x %d, expected "
                            "%d and %d channels of the same size", op, in->c, in->h, in->w, out->c,
                            out->h, out->w, in_c, out_c);
    return SG_OK;
}

sg_err sg_fimage_rgb_to_gray(const sg_fimage *in, sg_fimage *out)
{
    sg_err err = check_pair("rgb_to_gray", in, 3, out, 1);
    if (err) return err;
    const size_t plane = (size_t)in->h * in->w;
    const float *r = in->data, *g = r + plane, *b = g + plane;
    for (size_t p = 0; p < plane; p++) out->data[p] = luma(r, g, b, p);
    return SG_OK;
}

sg_err sg_fimage_gray_to_rgb(const sg_fimage *in, sg_fimage *out)
{
    sg_err err = check_pair("gray_to_rgb", in, 1, out, 3);
    if (err) return err;
    const size_t plane = (size_t)in->h * in->w;
    for (int ch = 0; ch < 3; ch++) memmove(out->data + ch * plane, in->data, plane * sizeof(float));
    return SG_OK;
}

/* ----------------------------------------------------------- interleaved images */

static sg_err image_convert(const char *op, const sg_image *in, int out_channels, sg_image *out)
{
    if (!in || !in->pixels || in->channels < 1 || in->channels > 4 ||
        (in->depth != 8 && in->depth != 16))
        return sg_error_set(SG_ERR_INVALID, "%s: not a valid image", op);
    sg_err err = sg_image_alloc(out, in->width, in->height, out_channels, in->depth, NULL, op);
    if (err) return err;
    const size_t n = (size_t)in->width * in->height;
    const int C = in->channels;
    for (size_t p = 0; p < n; p++) {
        uint32_t s[4] = {0, 0, 0, 0};
        for (int ch = 0; ch < C; ch++)
            s[ch] = in->depth == 16 ? ((const uint16_t *)in->pixels)[p * C + ch]
                                    : ((const uint8_t *)in->pixels)[p * C + ch];
        uint32_t v[3];
        if (C >= 3) {
            v[0] = s[0], v[1] = s[1], v[2] = s[2];
        } else {
            v[0] = v[1] = v[2] = s[0]; /* gray (alpha dropped) */
        }
        if (out_channels == 1) {
            /* PIL's L24: 0.299, 0.587, 0.114 in 16-bit fixed point, rounded. */
            uint64_t l = C >= 3 ? ((uint64_t)v[0] * 19595 + (uint64_t)v[1] * 38470 +
                                   (uint64_t)v[2] * 7471 + 0x8000) >> 16
                                : v[0];
            v[0] = (uint32_t)l;
        }
        for (int ch = 0; ch < out_channels; ch++) {
            if (in->depth == 16) ((uint16_t *)out->pixels)[p * out_channels + ch] = (uint16_t)v[ch];
            else ((uint8_t *)out->pixels)[p * out_channels + ch] = (uint8_t)v[ch];
        }
    }
    return SG_OK;
}

sg_err sg_image_to_gray(const sg_image *in, sg_image *out)
{
    return image_convert("image_to_gray", in, 1, out);
}

sg_err sg_image_to_rgb(const sg_image *in, sg_image *out)
{
    return image_convert("image_to_rgb", in, 3, out);
}

/* ----------------------------------------------------------- normalisation */

sg_err sg_fimage_normalize(sg_fimage *img, const float *mean, const float *std)
{
    sg_err err = sg_fimage_check("normalize", "input", img);
    if (err) return err;
    if (!mean || !std) return sg_error_set(SG_ERR_INVALID, "normalize: mean and std are required");
    for (int ch = 0; ch < img->c; ch++)
        if (!(std[ch] != 0.0f) || std[ch] != std[ch])
            return sg_error_set(SG_ERR_INVALID, "normalize: std[%d] = %g, expected non-zero", ch,
                                std[ch]);
    const size_t plane = (size_t)img->h * img->w;
    for (int ch = 0; ch < img->c; ch++) {
        float *p = img->data + ch * plane;
        for (size_t i = 0; i < plane; i++) p[i] = (p[i] - mean[ch]) / std[ch];
    }
    return SG_OK;
}

sg_err sg_fimage_normalize_preset(sg_fimage *img, sg_norm_preset preset)
{
    static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
    static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};
    sg_err err = sg_fimage_check("normalize", "input", img);
    if (err) return err;
    switch (preset) {
    case SG_NORM_UNIT: return SG_OK;
    case SG_NORM_SYMMETRIC: { /* mean 0.5, std 0.5 for every channel */
        size_t n = sg_fimage_numel(img->c, img->h, img->w);
        for (size_t i = 0; i < n; i++) img->data[i] = (img->data[i] - 0.5f) / 0.5f;
        return SG_OK;
    }
    case SG_NORM_IMAGENET:
        if (img->c != 3)
            return sg_error_set(SG_ERR_SHAPE, "normalize imagenet: %d channels, expected 3 (convert "
                                "gray to RGB first)", img->c);
        return sg_fimage_normalize(img, imagenet_mean, imagenet_std);
    }
    return sg_error_set(SG_ERR_INVALID, "normalize: unknown preset %d", (int)preset);
}

sg_err sg_norm_preset_from_name(const char *name, sg_norm_preset *out)
{
    static const struct { const char *name; sg_norm_preset preset; } table[] = {
        {"unit", SG_NORM_UNIT}, {"0-1", SG_NORM_UNIT}, {"symmetric", SG_NORM_SYMMETRIC},
        {"-1-1", SG_NORM_SYMMETRIC}, {"imagenet", SG_NORM_IMAGENET},
    };
    for (size_t i = 0; name && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = table[i].preset;
            return SG_OK;
        }
    return sg_error_set(SG_ERR_INVALID, "normalisation '%s': expected unit, symmetric or imagenet",
                        name ? name : "(null)");
}

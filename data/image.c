/* data/image.c - format sniffing, dispatch and image memory (see image.h). */
#include "data/image.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char warning[512];

const char *sg_image_warning(void) { return warning; }

void sg_image_warning_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(warning, sizeof warning, fmt, ap);
    va_end(ap);
}


size_t sg_image_bytes(const sg_image *img)
{
    return (size_t)img->width * (size_t)img->height * (size_t)img->channels *
           (size_t)(img->depth == 16 ? 2 : 1);
}

void sg_image_free(sg_image *img)
{
    free(img->pixels);
    *img = (sg_image){0};
}

sg_err sg_image_alloc(sg_image *img, int width, int height, int channels, int depth,
                      const sg_image_limits *lim, const char *what)
{
    *img = (sg_image){0};
    int64_t max_pixels = lim && lim->max_pixels > 0 ? lim->max_pixels : SG_IMAGE_DEFAULT_MAX_PIXELS;
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4 || (depth != 8 && depth != 16))
        return sg_error_set(SG_ERR_FORMAT, "%s: invalid image %d x %d, %d channels, %d bits", what,
                            width, height, channels, depth);
    if ((int64_t)width * height > max_pixels)
        return sg_error_set(SG_ERR_LIMIT, "%s: %d x %d = %lld pixels exceeds the limit of %lld", what,
                            width, height, (long long)width * height, (long long)max_pixels);
    sg_image tmp = {width, height, channels, depth, NULL};
    tmp.pixels = calloc(1, sg_image_bytes(&tmp));
    if (!tmp.pixels)
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d x %d x %d image", what, width,
                            height, channels);
    *img = tmp;
    return SG_OK;
}

sg_err sg_image_to_8bit(const sg_image *img, sg_image *out)
{
    sg_err err = sg_image_alloc(out, img->width, img->height, img->channels, 8, NULL, "image_to_8bit");
    if (err) return err;
    size_t n = (size_t)img->width * img->height * img->channels;
    uint8_t *dst = out->pixels;
    if (img->depth == 8) {
        memcpy(dst, img->pixels, n);
    } else {
        const uint16_t *src = img->pixels;
        for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(((uint32_t)src[i] * 255u + 32767u) / 65535u);
    }
    return SG_OK;
}

sg_image_format sg_image_sniff(const uint8_t *d, size_t len)
{
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return SG_IMAGE_PNG;
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return SG_IMAGE_JPEG;
    if (len >= 2 && d[0] == 'B' && d[1] == 'M') return SG_IMAGE_BMP;
    if (len >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return SG_IMAGE_PNM;
    /* TIFF: "II" 42 or "MM" 42 (and BigTIFF's 43, which the decoder names) */
    if (len >= 4 && ((d[0] == 'I' && d[1] == 'I' && (d[2] == 42 || d[2] == 43) && d[3] == 0) ||
                     (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && (d[3] == 42 || d[3] == 43))))
        return SG_IMAGE_TIFF;
    return SG_IMAGE_UNKNOWN;
}

const char *sg_image_format_name(sg_image_format f)
{
    static const char *names[] = {"unknown", "bmp", "pnm", "png", "jpeg", "tiff"};
    return f >= SG_IMAGE_UNKNOWN && f <= SG_IMAGE_FORMAT_LAST ? names[f] : "unknown";
}

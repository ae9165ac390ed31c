/* data/image.h - decoded images and the codec entry points.
 *
 * An image is interleaved, row-major H x W x C samples, C = 1 (gray),
 * 2 (gray + alpha), 3 (RGB) or 4 (RGBA), 8 bits (uint8_t) or 16 bits
 * (uint16_t, native endianness) per sample. Decoders keep the file's own
 * channel count and depth (a palette expands to RGB, or RGBA with tRNS) and
 * never guess: a truncated or malformed file gives SG_ERR_FORMAT naming the
 * file and what was wrong, a valid but unhandled variant SG_ERR_UNSUPPORTED,
 * and an image over the pixel limit SG_ERR_LIMIT before anything large is
 * allocated (decompression bombs). */
#ifndef SG_IMAGE_H
#define SG_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sg_image {
    int width, height;
    int channels;          /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (CMYK for 4-component JPEG, as PIL) */
    int depth;             /* 8 or 16 bits per sample */
    void *pixels;          /* malloc'd: height * width * channels samples */
} sg_image;

typedef enum sg_image_format {
    SG_IMAGE_UNKNOWN = 0, SG_IMAGE_BMP, SG_IMAGE_PNM, SG_IMAGE_PNG, SG_IMAGE_JPEG, SG_IMAGE_TIFF
} sg_image_format;
#define SG_IMAGE_FORMAT_LAST SG_IMAGE_TIFF

/* Limits a decoder enforces before it allocates. */
typedef struct sg_image_limits {
    int64_t max_pixels;    /* width * height; default SG_IMAGE_DEFAULT_MAX_PIXELS */
} sg_image_limits;
#define SG_IMAGE_DEFAULT_MAX_PIXELS ((int64_t)1 << 28)   /* 268 M pixels, 16384^2 */

/* Bytes per sample (1 or 2) times channels times pixels. */
size_t sg_image_bytes(const sg_image *img);
void sg_image_free(sg_image *img);
/* Allocate a zeroed image; SG_ERR_LIMIT / SG_ERR_NOMEM with `what` in the message. */
sg_err sg_image_alloc(sg_image *img, int width, int height, int channels, int depth,
                      const sg_image_limits *lim, const char *what);

/* A new 8-bit copy of img (*out allocated): 16-bit samples become
 * (v * 255 + 32767) / 65535 (v * 255 / 65535 rounded half up, what
 * `image decode` writes by default), 8-bit samples are copied. */
sg_err sg_image_to_8bit(const sg_image *img, sg_image *out);

/* The format from the first bytes (magic numbers), or SG_IMAGE_UNKNOWN. */
sg_image_format sg_image_sniff(const uint8_t *data, size_t len);
const char *sg_image_format_name(sg_image_format f);

/* Decode a buffer; `name` (a file name) is used in error messages; lim may be NULL. */
sg_err sg_image_decode(const uint8_t *data, size_t len, const char *name,
                       const sg_image_limits *lim, sg_image *out);
/* Read and decode a file. */
sg_err sg_image_read(const char *path, const sg_image_limits *lim, sg_image *out);

/* The warning of the last sg_image_decode / sg_image_read on this thread, or
 * "" when it had none (it is cleared when a decode starts). One line naming
 * the file: today only "x.tif: TIFF with 3 pages: only the first was
 * decoded". Decoders set it with sg_image_warning_set. */
const char *sg_image_warning(void);
void sg_image_warning_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One decoder per format, same contract as sg_image_decode. */
sg_err sg_bmp_decode(const uint8_t *data, size_t len, const char *name,
                     const sg_image_limits *lim, sg_image *out);
sg_err sg_pnm_decode(const uint8_t *data, size_t len, const char *name,
                     const sg_image_limits *lim, sg_image *out);
sg_err sg_png_decode(const uint8_t *data, size_t len, const char *name,
                     const sg_image_limits *lim, sg_image *out);
sg_err sg_jpeg_decode(const uint8_t *data, size_t len, const char *name,
                      const sg_image_limits *lim, sg_image *out);
/* TIFF: the first page; 8/16-bit gray, gray+alpha, RGB, RGBA (data/tiff.c). */
sg_err sg_tiff_decode(const uint8_t *data, size_t len, const char *name,
                      const sg_image_limits *lim, sg_image *out);

/* Writers (atomic: temporary file + rename). PNG: 8/16-bit, 1-4 channels,
 * deflate with dynamic Huffman codes. BMP: 8-bit gray (palette), RGB or RGBA. */
sg_err sg_png_write(const char *path, const sg_image *img);
sg_err sg_bmp_write(const char *path, const sg_image *img);

#endif

/* data/png.h - PNG encoding to memory (sg_png_decode and sg_png_write, the
 * file-level entry points, are declared in data/image.h).
 *
 * The writer emits a non-interlaced PNG with the colour type that matches the
 * image's channels (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA) at its depth (8 or
 * 16 bits), chooses a filter per row (section 12.8 of the PNG spec: the one
 * whose output has the smallest sum of absolute values, read as signed bytes)
 * and compresses with data/deflate.c. */
#ifndef SG_PNG_H
#define SG_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "data/image.h"

/* Encode img as a complete PNG file in a malloc'd buffer (*out, free() it),
 * compressed at `level` 0 .. 9 (SG_DEFLATE_DEFAULT_LEVEL = 6 is what
 * sg_png_write uses). SG_ERR_INVALID for an image the format cannot hold. */
sg_err sg_png_encode(const sg_image *img, int level, uint8_t **out, size_t *out_len);

#endif

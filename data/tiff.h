/* data/tiff.h - TIFF header fields without decoding (sg_tiff_decode, the
 * decoder, is declared in data/image.h with the other codecs). */
#ifndef SG_TIFF_H
#define SG_TIFF_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Size and bits per pixel (BitsPerSample x SamplesPerPixel) of the first
 * page, from its IFD; SG_ERR_FORMAT / SG_ERR_UNSUPPORTED naming `name` and
 * the tag when the IFD is malformed or a variant the decoder refuses. */
sg_err sg_tiff_probe(const uint8_t *data, size_t len, const char *name, int *width, int *height,
                     int *bits_per_pixel);

#endif

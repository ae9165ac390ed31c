/* data/image_decode.c - decode any supported format: sniff, then dispatch.
 * Kept apart from data/image.c so code that only allocates images does not
 * link every decoder. */
#include "data/image.h"

#include <stdlib.h>

#include "core/fileio.h"

sg_err sg_image_decode(const uint8_t *data, size_t len, const char *name,
                       const sg_image_limits *lim, sg_image *out)
{
    *out = (sg_image){0};
    sg_image_warning_set("%s", "");
    switch (sg_image_sniff(data, len)) {
    case SG_IMAGE_BMP: return sg_bmp_decode(data, len, name, lim, out);
    case SG_IMAGE_PNM: return sg_pnm_decode(data, len, name, lim, out);
    case SG_IMAGE_PNG: return sg_png_decode(data, len, name, lim, out);
    case SG_IMAGE_JPEG: return sg_jpeg_decode(data, len, name, lim, out);
    case SG_IMAGE_TIFF: return sg_tiff_decode(data, len, name, lim, out);
    default: break;
    }
    return sg_error_set(SG_ERR_UNSUPPORTED,
                        "%s: not a BMP, PNM, PNG, JPEG or TIFF image (unrecognised first bytes)", name);
}

sg_err sg_image_read(const char *path, const sg_image_limits *lim, sg_image *out)
{
    char *data;
    size_t len;
    *out = (sg_image){0};
    sg_err err = sg_file_read_all(path, (size_t)1 << 31, &data, &len);
    if (err != SG_OK) return err;
    err = sg_image_decode((const uint8_t *)data, len, path, lim, out);
    free(data);
    return err;
}

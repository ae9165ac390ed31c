/* data/scan.h - what each file of a data set is: format, size, content
 * digests, whether it decodes.
 *
 * sg_image_probe reads only the header a format puts first (BMP file and
 * info headers, the PNM header, PNG's IHDR chunk, a JPEG's SOF segment, a TIFF's
 * first IFD), so
 * sizes and formats can be listed without decoding. sg_dataset_scan does that
 * for every sample, in parallel, and adds the SHA-256 of the bytes (exact
 * duplicates) and, given a decoder, decodes each file: a file that does not
 * decode is reported with the decoder's reason, and the digest of the pixels
 * (data/hash.h) finds the same picture stored twice in different files. */
#ifndef SG_SCAN_H
#define SG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "data/hash.h"
#include "data/image.h"

typedef struct sg_file_info {
    sg_image_format format;      /* from the first bytes */
    int width, height;           /* from the header (0 if it could not be read) */
    int bits_per_pixel;          /* as the header declares it (BMP 8, PNG gray 16 -> 16, RGB8 -> 24) */
    int channels, depth;         /* decoded image (0 when not decoded) */
    int64_t bytes;               /* file size */
    uint8_t content[SG_SHA256_BYTES];  /* digest of the bytes */
    uint8_t pixels[SG_SHA256_BYTES];   /* digest of the decoded image (sg_image_hash) in its
                                          simplest lossless form: an alpha opaque everywhere
                                          dropped, colour with R = G = B everywhere as gray */
    bool readable;               /* the bytes were read (content is valid) */
    bool decoded;                /* pixels is valid */
    char problem[256];           /* "" or why the file is unusable: the reader's or decoder's
                                    message, naming the file by its sample name */
} sg_file_info;

/* A decoder with the contract of sg_image_decode (data/image.h). It may also
 * return SG_OK with no pixels (out->pixels == NULL) to say "I do not decode
 * this format": the file is then probed only, not reported as corrupt. */
typedef sg_err (*sg_decode_fn)(const uint8_t *data, size_t len, const char *name,
                               const sg_image_limits *lim, sg_image *out);

/* Format and header fields of an encoded image. SG_ERR_FORMAT naming `name`
 * and the field when the header is truncated or impossible (zero width, ...),
 * SG_ERR_UNSUPPORTED for bytes that are no known format. */
sg_err sg_image_probe(const uint8_t *data, size_t len, const char *name, sg_file_info *info);

/* infos[i] for every sample of ds (infos has ds->n_samples entries). decode
 * may be NULL (headers only); lim may be NULL (default pixel limit). A file
 * that cannot be read, probed or decoded gets `problem` set; the scan itself
 * cannot fail. Files are read whole (up to SG_SCAN_MAX_BYTES) on the thread
 * pool; the result does not depend on the number of threads. */
#define SG_SCAN_MAX_BYTES ((size_t)1 << 30)
void sg_dataset_scan(const sg_dataset *ds, sg_decode_fn decode, const sg_image_limits *lim,
                     sg_file_info *infos);

/* Remove from ds (and from infos, kept in step) every sample whose scan found
 * a problem - not readable, not an image, not decodable - listing each in
 * ds->skipped with the reason. *dropped = how many. A split or a loader
 * calls this so an unusable file never enters a manifest or a batch.
 * SG_ERR_NOMEM if a note could not be added (the samples are removed anyway). */
sg_err sg_dataset_drop_unusable(sg_dataset *ds, sg_file_info *infos, int *dropped);

#endif

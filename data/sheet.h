/* data/sheet.h - a contact sheet: a few images of each class of a data set
 * in one picture, each row headed by its class name (`steelgrad data sheet`).
 *
 * Layout (all in pixels): a white page; per class, in label order, a line
 * with the class name (data/font.h, black) and below it a row of per_class
 * cells of size x size; 4 around the page, 2 between cells, 4 between rows.
 * A cell holds the image converted to 8-bit gray (PIL convert("L"); 16-bit
 * samples by their high byte), cropped to its centred square and resized to
 * size x size with PIL's BILINEAR (antialiased). The images of a class are
 * spread evenly through its samples (the j-th of n: sample floor(j * count /
 * n) in the data set's order), so a sheet shows the variety of a class, not
 * its first few files; a class with fewer samples leaves blank cells. */
#ifndef SG_SHEET_H
#define SG_SHEET_H

#include "core/error.h"
#include "data/dataset.h"
#include "data/image.h"

enum { SG_SHEET_MAX_PER_CLASS = 64, SG_SHEET_MIN_SIZE = 16, SG_SHEET_MAX_SIZE = 512 };

/* Render the sheet of ds into *out (1 channel, 8 bits, allocated; free with
 * sg_image_free). SG_ERR_INVALID for per_class or size out of range or a
 * data set without classes; an image that cannot be read fails the sheet
 * with the decoder's error naming the file; SG_ERR_LIMIT for a sheet over
 * SG_IMAGE_DEFAULT_MAX_PIXELS. */
sg_err sg_sheet_render(const sg_dataset *ds, int per_class, int size, sg_image *out);

#endif

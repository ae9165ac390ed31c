/* data/sheet.c - a contact sheet of a data set (see sheet.h). */
#include "data/sheet.h"

#include <stdlib.h>
#include <string.h>

#include "data/font.h"
#include "data/transform.h"

enum { MARGIN = 4, GAP = 2, ROW_GAP = 4, LABEL_HEIGHT = SG_FONT_HEIGHT + 3 };

/* Paint the image at `path` into the size x size cell at (x0, y0) of sheet. */
static sg_err draw_cell(sg_image *sheet, const char *path, int x0, int y0, int size)
{
    sg_image img = {0}, gray = {0};
    sg_err err = sg_image_read(path, NULL, &img);
    if (err == SG_OK) err = sg_image_to_gray(&img, &gray);
    sg_image_free(&img);
    if (err) return err;
    /* The centred square, as floats 0..255. */
    int side = gray.width < gray.height ? gray.width : gray.height;
    int left = (gray.width - side) / 2, top = (gray.height - side) / 2;
    float *square = malloc(sizeof(float) * (size_t)side * (size_t)side);
    float *cell = malloc(sizeof(float) * (size_t)size * (size_t)size);
    void *scratch = malloc(sg_resize_scratch_bytes(1, side, side, size, size, SG_RESIZE_BILINEAR_AA) + 1);
    if (!square || !cell || !scratch) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %dx%d image", path, side, side);
    } else {
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                size_t p = (size_t)(top + y) * (size_t)gray.width + (size_t)(left + x);
                square[(size_t)y * side + x] =
                    gray.depth == 16 ? (float)(((const uint16_t *)gray.pixels)[p] >> 8)
                                     : (float)((const uint8_t *)gray.pixels)[p];
            }
        sg_fimage in = sg_fimage_view(1, side, side, square), out = sg_fimage_view(1, size, size, cell);
        err = sg_fimage_resize(&in, &out, SG_RESIZE_BILINEAR_AA, scratch);
    }
    if (err == SG_OK) {
        uint8_t *dst = sheet->pixels;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float v = cell[(size_t)y * size + x] + 0.5f;
                dst[(size_t)(y0 + y) * (size_t)sheet->width + (size_t)(x0 + x)] =
                    v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
            }
    }
    free(square), free(cell), free(scratch);
    sg_image_free(&gray);
    return err;
}

sg_err sg_sheet_render(const sg_dataset *ds, int per_class, int size, sg_image *out)
{
    memset(out, 0, sizeof *out);
    if (per_class < 1 || per_class > SG_SHEET_MAX_PER_CLASS)
        return sg_error_set(SG_ERR_INVALID, "sheet: %d images per class is outside 1..%d", per_class,
                            SG_SHEET_MAX_PER_CLASS);
    if (size < SG_SHEET_MIN_SIZE || size > SG_SHEET_MAX_SIZE)
        return sg_error_set(SG_ERR_INVALID, "sheet: cell size %d is outside %d..%d", size,
                            SG_SHEET_MIN_SIZE, SG_SHEET_MAX_SIZE);
    if (ds->n_classes < 1)
        return sg_error_set(SG_ERR_INVALID, "sheet: %s has no classes", ds->root ? ds->root : "the data set");
    int width = 2 * MARGIN + per_class * size + (per_class - 1) * GAP;
    for (int c = 0; c < ds->n_classes; c++) {
        int w = 2 * MARGIN + sg_font_text_width(ds->class_names[c]);
        if (w > width) width = w;
    }
    int64_t row = LABEL_HEIGHT + size + ROW_GAP;
    int64_t height = 2 * MARGIN + row * ds->n_classes - ROW_GAP;
    if (height > SG_IMAGE_DEFAULT_MAX_PIXELS / width)
        return sg_error_set(SG_ERR_LIMIT, "sheet: %d classes make a %d x %lld sheet, over the limit",
                            ds->n_classes, width, (long long)height);
    sg_err err = sg_image_alloc(out, width, (int)height, 1, 8, NULL, "sheet");
    if (err) return err;
    memset(out->pixels, 255, (size_t)width * (size_t)height);
    int64_t *counts = calloc((size_t)ds->n_classes, sizeof *counts);
    int *seen = calloc((size_t)ds->n_classes, sizeof *seen);
    if (!counts || !seen) err = sg_error_set(SG_ERR_NOMEM, "sheet: out of memory");
    if (err == SG_OK) sg_dataset_class_counts(ds, counts);
    for (int c = 0; c < ds->n_classes && err == SG_OK; c++) {
        int y = MARGIN + (int)(row * c);
        sg_font_draw(out->pixels, width, (int)height, MARGIN, y + 1, ds->class_names[c], 0);
    }
    /* One pass over the samples: the j-th of a class is drawn when it is the
     * first at or after floor(k * count / per_class) for cell k. */
    for (int i = 0; i < ds->n_samples && err == SG_OK; i++) {
        int c = ds->samples[i].label;
        if (c < 0 || c >= ds->n_classes) continue;
        int64_t j = seen[c]++, n = counts[c];
        int cells = n < per_class ? (int)n : per_class;
        for (int k = 0; k < cells; k++) {
            if (j != k * n / cells) continue;
            int x0 = MARGIN + k * (size + GAP), y0 = MARGIN + (int)(row * c) + LABEL_HEIGHT;
            err = draw_cell(out, ds->samples[i].path, x0, y0, size);
            break;
        }
    }
    free(counts), free(seen);
    if (err) sg_image_free(out);
    return err;
}

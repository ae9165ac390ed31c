/* train/raster.h - a very small rasteriser for the report's PNG plots.
 *
 * The canvas is an 8-bit RGB sg_image (white when made). Filled rectangles
 * (optionally blended with an opacity), straight lines of a whole-pixel
 * width, and text in the built-in 5 x 7 font (data/font.h). No antialiasing,
 * no curves, no external library: enough to draw the same line charts,
 * confusion matrix and ROC curves the report draws as SVG, so the PNG copies
 * in RUN/plots/ show exactly the same data. */
#ifndef SG_TRAIN_RASTER_H
#define SG_TRAIN_RASTER_H

#include <stdint.h>

#include "core/error.h"
#include "data/image.h"

/* A white w x h 8-bit RGB image. */
sg_err sg_canvas_new(sg_image *img, int w, int h);
/* "#rrggbb" -> bytes (black for anything else). */
void sg_color_parse(const char *hex, uint8_t rgb[3]);
/* Pixels [x, x + w) x [y, y + h) (clipped) set to (1 - alpha) old + alpha rgb. */
void sg_canvas_rect(sg_image *img, int x, int y, int w, int h, const uint8_t rgb[3], float alpha);
/* A line from (x0, y0) to (x1, y1): a width x width square at every step of
 * the longer axis (clipped). */
void sg_canvas_line(sg_image *img, double x0, double y0, double x1, double y1, const uint8_t rgb[3], int width);
/* Text with its baseline at y (as SVG's <text y>) and x its start (align -1),
 * centre (0) or end (1). */
void sg_canvas_text(sg_image *img, int x, int y, const char *text, const uint8_t rgb[3], int align);

#endif

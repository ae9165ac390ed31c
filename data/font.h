/* data/font.h - a tiny built-in bitmap font for labels drawn into images.
 *
 * 5 x 7 pixel glyphs for printable ASCII (32..126) in a 6-pixel advance, the
 * classic character-LCD shapes (lower-case g, j, p, q, y use the bottom row
 * as descender). Any other byte draws '?': a UTF-8 character (its lead byte
 * and continuation bytes together) is one '?', a control character is one
 * '?'. Enough to name the classes on a contact sheet without a font file. */
#ifndef SG_FONT_H
#define SG_FONT_H

#include <stdint.h>

enum { SG_FONT_WIDTH = 5, SG_FONT_HEIGHT = 7, SG_FONT_ADVANCE = 6 };

/* Width in pixels of `text` drawn by sg_font_draw (the last glyph's
 * trailing blank column not counted); 0 for "". */
int sg_font_text_width(const char *text);

/* Draw `text` into the width x height 8-bit gray image `pixels` (row-major),
 * its top-left corner at (x, y), glyph pixels set to `ink`; pixels outside
 * the image are clipped. */
void sg_font_draw(uint8_t *pixels, int width, int height, int x, int y, const char *text,
                  uint8_t ink);

#endif

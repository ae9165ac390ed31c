/* train/raster.c - the report's PNG plots (see raster.h). */
#include "train/raster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/font.h"

sg_err sg_canvas_new(sg_image *img, int w, int h)
{
    sg_err err = sg_image_alloc(img, w, h, 3, 8, NULL, "plot");
    if (err == SG_OK) memset(img->pixels, 255, sg_image_bytes(img));
    return err;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void sg_color_parse(const char *hex, uint8_t rgb[3])
{
    rgb[0] = rgb[1] = rgb[2] = 0;
    if (!hex || hex[0] != '#' || strlen(hex) != 7) return;
    for (int i = 0; i < 3; i++) {
        int hi = hex_digit(hex[1 + 2 * i]), lo = hex_digit(hex[2 + 2 * i]);
        if (hi < 0 || lo < 0) return;
        rgb[i] = (uint8_t)(hi * 16 + lo);
    }
}

static void blend(sg_image *img, int x, int y, const uint8_t rgb[3], float alpha)
{
    if (x < 0 || y < 0 || x >= img->width || y >= img->height) return;
    uint8_t *p = (uint8_t *)img->pixels + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
    for (int c = 0; c < 3; c++)
        p[c] = alpha >= 1 ? rgb[c] : (uint8_t)lrintf((1 - alpha) * p[c] + alpha * rgb[c]);
}

void sg_canvas_rect(sg_image *img, int x, int y, int w, int h, const uint8_t rgb[3], float alpha)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > img->width ? img->width : x + w, y1 = y + h > img->height ? img->height : y + h;
    for (int j = y0; j < y1; j++)
        for (int i = x0; i < x1; i++) blend(img, i, j, rgb, alpha);
}

void sg_canvas_line(sg_image *img, double x0, double y0, double x1, double y1, const uint8_t rgb[3], int width)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    double dx = x1 - x0, dy = y1 - y0;
    double len = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
    int steps = (int)ceil(len);
    if (steps > 1 << 16) steps = 1 << 16;
    int half = (width - 1) / 2;
    for (int s = 0; s <= steps; s++) {
        double t = steps ? (double)s / steps : 0;
        int cx = (int)floor(x0 + t * dx), cy = (int)floor(y0 + t * dy);
        sg_canvas_rect(img, cx - half, cy - half, width, width, rgb, 1);
    }
}

void sg_canvas_text(sg_image *img, int x, int y, const char *text, const uint8_t rgb[3], int align)
{
    int tw = sg_font_text_width(text);
    if (tw <= 0) return;
    uint8_t *glyphs = calloc((size_t)tw * SG_FONT_HEIGHT, 1);
    if (!glyphs) return;   /* a label less, never a failed plot */
    sg_font_draw(glyphs, tw, SG_FONT_HEIGHT, 0, 0, text, 255);
    int left = align < 0 ? x : align == 0 ? x - tw / 2 : x - tw, top = y - SG_FONT_HEIGHT;
    for (int j = 0; j < SG_FONT_HEIGHT; j++)
        for (int i = 0; i < tw; i++)
            if (glyphs[j * tw + i]) blend(img, left + i, top + j, rgb, 1);
    free(glyphs);
}

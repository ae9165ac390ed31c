/* interp/overlay.c - colormaps, overlays and grids (see overlay.h). */
#include "interp/overlay.h"

#include <math.h>
#include <string.h>

static const char *const NAMES[] = {"jet", "viridis", "inferno"};

int sg_colormap_from_name(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, NAMES[i]) == 0) return i;
    return -1;
}

const char *sg_colormap_names(void) { return "jet, viridis, inferno"; }

void sg_colormap_rgb(sg_colormap cmap, float v, uint8_t rgb[3])
{
    const unsigned char(*lut)[3] = cmap == SG_COLORMAP_VIRIDIS   ? sg_colormap_viridis
                                   : cmap == SG_COLORMAP_INFERNO ? sg_colormap_inferno
                                                                 : sg_colormap_jet;
    int i = v > 0.0f ? (int)(v * 256.0f) : 0;   /* NaN and v <= 0: entry 0 */
    if (i > 255) i = 255;
    memcpy(rgb, lut[i], 3);
}

static uint8_t to_byte(float v)
{
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return 255;
    return (uint8_t)lrintf(255.0f * v);
}

sg_err sg_image_from_chw(const float *image, int C, int H, int W, sg_image *out)
{
    if (C != 1 && C != 3)
        return sg_error_set(SG_ERR_INVALID, "overlay: %d image channels, expected 1 or 3", C);
    sg_err err = sg_image_alloc(out, W, H, 3, 8, NULL, "overlay");
    if (err != SG_OK) return err;
    uint8_t *px = out->pixels;
    int64_t plane = (int64_t)H * W;
    for (int64_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) px[3 * i + c] = to_byte(image[(C == 3 ? c : 0) * plane + i]);
    return SG_OK;
}

sg_err sg_overlay_rgb(const float *image, int C, int H, int W, const float *map,
                      sg_colormap cmap, float alpha, sg_image *out)
{
    if (!(alpha >= 0.0f && alpha <= 1.0f))
        return sg_error_set(SG_ERR_INVALID, "overlay: alpha %g, expected 0..1", (double)alpha);
    if (C != 1 && C != 3)
        return sg_error_set(SG_ERR_INVALID, "overlay: %d image channels, expected 1 or 3", C);
    sg_err err = sg_image_alloc(out, W, H, 3, 8, NULL, "overlay");
    if (err != SG_OK) return err;
    uint8_t *px = out->pixels;
    int64_t plane = (int64_t)H * W;
    for (int64_t i = 0; i < plane; i++) {
        uint8_t rgb[3];
        sg_colormap_rgb(cmap, map[i], rgb);
        for (int c = 0; c < 3; c++) {
            float v = image[(C == 3 ? c : 0) * plane + i];
            v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            px[3 * i + c] = to_byte((1.0f - alpha) * v + alpha * (rgb[c] / 255.0f));
        }
    }
    return SG_OK;
}

sg_err sg_overlay_grid(const sg_image *tiles, int n, int cols, int pad, sg_image *out)
{
    if (n < 1 || cols < 1 || pad < 0)
        return sg_error_set(SG_ERR_INVALID, "grid: %d tiles, %d columns, pad %d", n, cols, pad);
    int cw = 0, ch = 0;
    for (int i = 0; i < n; i++) {
        if (tiles[i].channels != 3 || tiles[i].depth != 8)
            return sg_error_set(SG_ERR_INVALID, "grid: tile %d is not 8-bit RGB", i);
        cw = tiles[i].width > cw ? tiles[i].width : cw;
        ch = tiles[i].height > ch ? tiles[i].height : ch;
    }
    cols = cols < n ? cols : n;
    int rows = (n + cols - 1) / cols;
    int W = pad + cols * (cw + pad), H = pad + rows * (ch + pad);
    sg_err err = sg_image_alloc(out, W, H, 3, 8, NULL, "grid");
    if (err != SG_OK) return err;
    uint8_t *px = out->pixels;
    memset(px, 128, (size_t)W * H * 3);
    for (int i = 0; i < n; i++) {
        int x0 = pad + (i % cols) * (cw + pad), y0 = pad + (i / cols) * (ch + pad);
        const uint8_t *src = tiles[i].pixels;
        for (int y = 0; y < tiles[i].height; y++)
            memcpy(px + ((size_t)(y0 + y) * W + x0) * 3, src + (size_t)y * tiles[i].width * 3,
                   (size_t)tiles[i].width * 3);
    }
    return SG_OK;
}

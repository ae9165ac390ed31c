/* cli/image.c - `steelgrad image decode FILE --output img.npy`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "core/npy.h"
#include "data/image.h"

static const sg_cli_command image_cmd = {
    "image decode", "steelgrad image decode FILE -o|--output IMG.npy [--max-pixels N] [--keep-depth]",
    "Decode a BMP, PNM, PNG, JPEG or TIFF file and write its pixels as a uint8 .npy array of\n"
    "shape H x W x C (C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA/CMYK). 16-bit samples are scaled\n"
    "to 8 bits with rounding (v * 255 / 65535) unless --keep-depth is given: then a 16-bit\n"
    "image (PNG, PNM, TIFF) is written as a uint16 .npy with its samples unchanged. Of a\n"
    "multi-page TIFF the first page is decoded, with a warning naming the page count."};

int cmd_image(int argc, char **argv)
{
    const char *output = NULL;
    int64_t max_pixels = SG_IMAGE_DEFAULT_MAX_PIXELS;
    bool keep_depth = false;
    char *pos[2];
    int n_pos;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "output", .type = SG_OPT_STRING, .dest = &output, .short_name = 'o', .arg = "IMG.npy",
         .help = "the .npy file to write (required)"},
        {.name = "max-pixels", .type = SG_OPT_INT, .dest = &max_pixels, .min = 1, .max = 4294967296.0,
         .help = "refuse images with more pixels (default 2^28)"},
        {.name = "keep-depth", .type = SG_OPT_FLAG, .dest = &keep_depth,
         .help = "write 16-bit images as uint16 (default: scale to uint8)"},
    };
    int rc = sg_cli_parse(&image_cmd, argc, argv, opts, 3, pos, 2, &n_pos, &done);
    if (done) return rc;
    if (n_pos != 2 || strcmp(pos[0], "decode") != 0 || !output)
        return sg_cli_usage("image", "expected 'image decode FILE --output IMG.npy' (see steelgrad image decode --help)");
    const char *inputs[1] = {pos[1]};
    if (sg_output_check(output, inputs, 1) != SG_OK)
        return sg_cli_usage("image", "--output: %s", sg_error_message());
    sg_image img;
    sg_image_limits lim = {max_pixels};
    sg_err err = sg_image_read(pos[1], &lim, &img);
    if (err != SG_OK) return sg_cli_fail_err("image", err);
    if (sg_image_warning()[0]) fprintf(stderr, "steelgrad image: warning: %s\n", sg_image_warning());
    int64_t shape[3] = {img.height, img.width, img.channels};
    if (img.depth == 16 && keep_depth) {
        err = sg_npy_write_u16(output, 3, shape, img.pixels);
    } else if (img.depth == 16) {
        sg_image small;
        if ((err = sg_image_to_8bit(&img, &small)) == SG_OK) {
            err = sg_npy_write_u8(output, 3, shape, small.pixels);
            sg_image_free(&small);
        }
    } else {
        err = sg_npy_write_u8(output, 3, shape, img.pixels);
    }
    if (err == SG_OK)
        printf("%s: %d x %d, %d channel%s, %d-bit -> %s (%s)\n", pos[1], img.width, img.height,
               img.channels, img.channels == 1 ? "" : "s", img.depth, output,
               img.depth == 16 && keep_depth ? "uint16" : "uint8");
    sg_image_free(&img);
    return err == SG_OK ? SG_EXIT_OK : sg_cli_fail_err("image", err);
}

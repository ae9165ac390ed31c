/* data/transform.h - image transforms and augmentation for the training path.
 *
 * The loader hands the model float32 NCHW batches, so transforms work on one
 * float image in the same planar layout: sg_fimage, C x H x W, row-major,
 * values in [0, 1] after sg_fimage_from_image (uint8 / 255, uint16 / 65535,
 * like torchvision's to_tensor). An sg_fimage never owns its memory: the
 * caller points `data` at c*h*w floats (a slot of a batch tensor, an arena,
 * a buffer reused for every sample), so the loader allocates nothing per
 * batch.
 *
 * Calling convention, the same everywhere:
 *   - the OUTPUT's c, h, w say what to produce (the target size of a resize,
 *     the size of a crop); a function checks them and returns SG_ERR_SHAPE
 *     naming the op and both shapes when they do not fit;
 *   - functions that need working memory take `scratch` and have a size
 *     query (sg_*_scratch_bytes); scratch == NULL makes them malloc and free
 *     it themselves (convenient outside the training loop);
 *   - nothing here uses threads: the loader runs one sample per task, and
 *     every random choice is a pure function of an sg_rng_key (core/rng.h),
 *     so results do not depend on the thread count.
 *
 * Each transform names the reference whose semantics it copies and the
 * tolerance the tests hold it to (tests/test_transform.c, golden files made
 * by tests/golden/gen_transform.py):
 *   resize       PIL Image.resize (NEAREST, BILINEAR, BOX) on mode "F" images,
 *                torch.nn.functional.interpolate / torchvision resize on
 *                tensors (nearest, bilinear with antialias False and True)
 *   crop, pad    torchvision center_crop / RandomCrop, numpy.pad modes
 *   affine warp  Keras ImageDataGenerator (apply_affine_transform, which calls
 *                scipy.ndimage.affine_transform with order=1)
 *   colour       torchvision adjust_brightness / adjust_contrast /
 *                rgb_to_grayscale / Normalize; PIL convert("L") for uint8
 *   CLAHE        OpenCV createCLAHE(clipLimit, tileGridSize).apply()
 */
#ifndef SG_TRANSFORM_H
#define SG_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "data/image.h"

/* ------------------------------------------------------------------ images */

/* A float image, planar C x H x W; data is borrowed (c*h*w floats). */
typedef struct sg_fimage {
    int c, h, w;
    float *data;
} sg_fimage;

/* c*h*w, the number of floats an image of that shape needs. */
size_t sg_fimage_numel(int c, int h, int w);
/* A view of caller memory with that shape (no allocation). */
sg_fimage sg_fimage_view(int c, int h, int w, float *data);

/* sg_image (interleaved H x W x C, uint8 or uint16) -> planar floats in
 * [0, 1]: sample / 255 or / 65535. out->c, h, w must equal the image's. */
sg_err sg_fimage_from_image(const sg_image *img, sg_fimage *out);
/* Planar floats -> a newly allocated sg_image of the same shape and `depth`
 * (8 or 16 bits): clamp to [0, 1], scale by 255 or 65535, round half up. */
sg_err sg_fimage_to_image(const sg_fimage *in, int depth, sg_image *img);

/* ------------------------------------------------------------------ borders */

/* How samples outside the image are made up; one list for padding and the
 * affine warp. The names differ between libraries (torchvision's "reflect"
 * is scipy's "mirror"), so each member lists its aliases. For [a b c d]:   */
typedef enum sg_border {
    SG_BORDER_CONSTANT = 0, /* k k | a b c d | k k   all libraries' "constant"   */
    SG_BORDER_EDGE,         /* a a | a b c d | d d   Keras/scipy "nearest", numpy/torchvision "edge",
                                                     OpenCV BORDER_REPLICATE      */
    SG_BORDER_SYMMETRIC,    /* b a | a b c d | d c   Keras/scipy "reflect", numpy/torchvision
                                                     "symmetric", OpenCV BORDER_REFLECT */
    SG_BORDER_REFLECT101,   /* c b | a b c d | c b   scipy "mirror", numpy/torchvision "reflect",
                                                     OpenCV BORDER_REFLECT_101    */
    SG_BORDER_WRAP          /* c d | a b c d | a b   numpy "wrap" when padding; in the affine warp
                                                     Keras/scipy "wrap", whose period is n - 1
                                                     (see data/affine.c)          */
} sg_border;

/* Our name of a border ("constant", "edge", "symmetric", "reflect101", "wrap"). */
const char *sg_border_name(sg_border b);
/* A Keras ImageDataGenerator fill_mode ("constant", "nearest", "reflect",
 * "wrap") -> sg_border; our own names are accepted too. SG_ERR_INVALID
 * listing the choices otherwise. */
sg_err sg_border_from_keras(const char *fill_mode, sg_border *out);

/* ------------------------------------------------------------------ resize */

typedef enum sg_resize_mode {
    SG_RESIZE_NEAREST = 0,   /* PIL Image.resize(NEAREST): source = floor((x + 0.5) * in/out),
                                as torch "nearest-exact"                                   */
    SG_RESIZE_NEAREST_TORCH, /* torch interpolate "nearest" = torchvision resize(NEAREST) on
                                tensors: source = floor(x * in/out)                        */
    SG_RESIZE_BILINEAR,      /* torch interpolate "bilinear", align_corners=False,
                                antialias=False (torchvision resize on tensors, antialias=False) */
    SG_RESIZE_BILINEAR_AA,   /* triangle filter widened by the scale when shrinking: PIL
                                BILINEAR = torch/torchvision bilinear antialias=True       */
    SG_RESIZE_AREA           /* box filter widened by the scale: PIL BOX, the mean of the input
                                pixels whose centres fall inside the output pixel's footprint
                                (= exact area averaging for integer factors)               */
} sg_resize_mode;

/* Working memory sg_fimage_resize needs for these sizes. */
size_t sg_resize_scratch_bytes(int c, int in_h, int in_w, int out_h, int out_w,
                               sg_resize_mode mode);
/* Resize `in` to out->h x out->w (out->c == in->c). */
sg_err sg_fimage_resize(const sg_fimage *in, sg_fimage *out, sg_resize_mode mode, void *scratch);
/* torchvision resize(size=int): the shorter side becomes `size`, the longer
 * int(size * long / short) (truncated), keeping the aspect ratio. */
sg_err sg_resize_shorter_side(int h, int w, int size, int *out_h, int *out_w);

/* ------------------------------------------------------- crop, pad, flips */

/* torchvision center_crop's origin: top = round((h - crop_h) / 2) with
 * Python's round (half to even); when the crop is larger than the image the
 * image is zero-padded first ((crop - size) // 2 before), so top < 0. */
void sg_center_crop_origin(int h, int w, int crop_h, int crop_w, int *top, int *left);
/* out = the window at (top, left) of size out->h x out->w; parts of the
 * window outside the image are `fill`. */
sg_err sg_fimage_crop(const sg_fimage *in, int top, int left, float fill, sg_fimage *out);
/* torchvision center_crop to out->h x out->w (zero padding when larger). */
sg_err sg_fimage_center_crop(const sg_fimage *in, sg_fimage *out);
/* The largest centred square: out->h == out->w == min(in->h, in->w). */
sg_err sg_fimage_center_square(const sg_fimage *in, sg_fimage *out);

/* The RNG words a random transform reads from its key: fixed indices, one per
 * parameter, so enabling one option never changes the draw of another. */
enum {
    SG_AUG_RNG_ROTATION = 0, SG_AUG_RNG_SHIFT_ROWS = 1, SG_AUG_RNG_SHIFT_COLS = 2,
    SG_AUG_RNG_SHEAR = 3, SG_AUG_RNG_ZOOM_ROWS = 4, SG_AUG_RNG_ZOOM_COLS = 5,
    SG_AUG_RNG_FLIP_H = 6, SG_AUG_RNG_FLIP_V = 7, SG_AUG_RNG_BRIGHTNESS = 8,
    SG_AUG_RNG_CONTRAST = 9, SG_AUG_RNG_CROP_TOP = 10, SG_AUG_RNG_CROP_LEFT = 11
};
/* torchvision RandomCrop (no padding): top uniform in [0, h - out->h], left in
 * [0, w - out->w], from words SG_AUG_RNG_CROP_TOP / _LEFT of `key`. The
 * origin is returned in *top, *left when those are not NULL. */
sg_err sg_fimage_random_crop(const sg_fimage *in, sg_rng_key key, sg_fimage *out, int *top,
                             int *left);

/* Pad by (top, bottom, left, right) >= 0; out is (h + top + bottom) x
 * (w + left + right). `value` is used by SG_BORDER_CONSTANT. Matches
 * numpy.pad with mode constant / edge / symmetric / reflect / wrap (numpy
 * repeats the reflection when a pad exceeds the image; so do we). */
sg_err sg_fimage_pad(const sg_fimage *in, int top, int bottom, int left, int right,
                     sg_border border, float value, sg_fimage *out);

typedef enum sg_flip { SG_FLIP_HORIZONTAL = 0, SG_FLIP_VERTICAL = 1 } sg_flip;
/* Mirror in place: horizontal reverses each row (left <-> right). */
void sg_fimage_flip(sg_fimage *img, sg_flip which);

/* --------------------------------------------------------------- tiling */

/* Tiling a large image into tile x tile pieces (SteelBlastQC: a 2048^2 image
 * -> 16 tiles of 512^2): the image is centre-cropped to the largest multiple
 * of the tile in each direction (sg_center_crop_origin), then cut into
 * rows x cols tiles numbered row-major. SG_ERR_SHAPE if the tile does not fit. */
sg_err sg_tile_grid(int h, int w, int tile, int *rows, int *cols);
/* Origin of tile `index` (0 .. rows*cols-1) in the uncropped image. */
sg_err sg_tile_origin(int h, int w, int tile, int index, int *top, int *left);
/* out (c x tile x tile) = tile `index` of `in`. */
sg_err sg_fimage_tile(const sg_fimage *in, int index, sg_fimage *out);
/* The same window of an interleaved sg_image (any depth and channels) into an
 * allocated `out` of the window's size, e.g. to write tiles as PNG files. */
sg_err sg_image_crop(const sg_image *in, int top, int left, sg_image *out);

/* ------------------------------------------------------- colour, normalise */

/* torchvision adjust_brightness on a float image: x = clamp(x * factor, 0, 1). */
sg_err sg_fimage_adjust_brightness(sg_fimage *img, float factor);
/* torchvision adjust_contrast: m = mean of the grayscale image (rgb_to_grayscale
 * for 3 channels, the image itself for 1), x = clamp(factor*x + (1-factor)*m,
 * 0, 1). c must be 1 or 3. */
sg_err sg_fimage_adjust_contrast(sg_fimage *img, float factor);
/* torchvision rgb_to_grayscale on floats: L = 0.2989 R + 0.587 G + 0.114 B
 * (in float32, in that order). in->c == 3, out->c == 1. */
sg_err sg_fimage_rgb_to_gray(const sg_fimage *in, sg_fimage *out);
/* Gray -> RGB by copying the plane three times. in->c == 1, out->c == 3. */
sg_err sg_fimage_gray_to_rgb(const sg_fimage *in, sg_fimage *out);

/* PIL convert("L") on interleaved images, bit-exact for 8 bits: ITU-R 601-2
 * luma L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (the fixed-point form
 * of 0.299 R + 0.587 G + 0.114 B rounded). 1 channel: copy; 2 (gray+alpha):
 * the gray; 3/4 (RGB/RGBA, alpha ignored): luma. 16-bit images use the same
 * formula. Allocates `out` (1 channel, same depth). */
sg_err sg_image_to_gray(const sg_image *in, sg_image *out);
/* PIL convert("RGB"): gray copied to R, G and B; alpha dropped. Allocates out. */
sg_err sg_image_to_rgb(const sg_image *in, sg_image *out);

/* Normalisation presets (torchvision Normalize: x = (x - mean[c]) / std[c]). */
typedef enum sg_norm_preset {
    SG_NORM_UNIT = 0,     /* leave [0, 1] as it is                                   */
    SG_NORM_SYMMETRIC,    /* [-1, 1]: mean 0.5, std 0.5                               */
    SG_NORM_IMAGENET      /* mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225);
                             needs 3 channels (gray -> RGB first, as pretrained nets do) */
} sg_norm_preset;
/* Per-channel (x - mean[ch]) / std[ch] in place; std[ch] must not be 0. */
sg_err sg_fimage_normalize(sg_fimage *img, const float *mean, const float *std);
sg_err sg_fimage_normalize_preset(sg_fimage *img, sg_norm_preset preset);
/* Preset by name: "unit" ("0-1"), "symmetric" ("-1-1"), "imagenet". */
sg_err sg_norm_preset_from_name(const char *name, sg_norm_preset *out);

/* ------------------------------------------------------- affine (Keras) */

/* An affine map from OUTPUT pixel (row, col) to INPUT position:
 *   in_row = m[0][0]*row + m[0][1]*col + m[0][2]
 *   in_col = m[1][0]*row + m[1][1]*col + m[1][2]
 * (scipy.ndimage.affine_transform's "matrix" and "offset"). */
typedef struct sg_affine {
    double m[2][3];
} sg_affine;

/* Keras apply_affine_transform's matrix: rotation theta (degrees), shift
 * (tx rows, ty columns, in pixels), shear (degrees), zoom (zx rows, zy
 * columns; > 1 shows more of the image, smaller), composed as
 * R @ T @ S @ Z about the Keras centre (h/2 + 0.5, w/2 + 0.5).
 * Returns false when every parameter is neutral (Keras then copies). */
bool sg_affine_keras(double theta_deg, double tx, double ty, double shear_deg, double zx,
                     double zy, int h, int w, sg_affine *out);
/* Resample `in` through `m` with bilinear interpolation and the border rule
 * `fill` (value `cval` for SG_BORDER_CONSTANT): exactly what
 * scipy.ndimage.affine_transform(order=1, mode=..., cval=...) computes, edge
 * cases included (see data/affine.c). in and out have the same c; out may
 * differ in size; in and out must not overlap. */
sg_err sg_fimage_warp_affine(const sg_fimage *in, const sg_affine *m, sg_border fill, float cval,
                             sg_fimage *out);
/* Rotation by any angle about the Keras centre (= sg_affine_keras(theta) +
 * warp); out has in's shape. */
sg_err sg_fimage_rotate(const sg_fimage *in, double theta_deg, sg_border fill, float cval,
                        sg_fimage *out);

/* ------------------------------------------------------- augmentation */

/* Random augmentation with Keras ImageDataGenerator's parameters. Ranges of 0
 * are off. Every draw comes from the key (seed, SG_RNG_AUGMENT, step =
 * epoch * N + sample), at the word indices SG_AUG_RNG_*. */
typedef struct sg_augment_opts {
    float rotation_range;        /* theta ~ U(-r, r) degrees                                */
    float width_shift_range;     /* < 1: fraction of the width, else pixels; U(-s, s)       */
    float height_shift_range;    /* the same for rows                                      */
    float shear_range;           /* shear ~ U(-s, s) degrees                               */
    float zoom_range[2];         /* zx, zy ~ U(lo, hi) independently; {1, 1} or {0, 0} off;
                                    Keras' zoom_range=z means {1 - z, 1 + z}               */
    bool horizontal_flip;        /* each with probability 1/2                              */
    bool vertical_flip;
    float brightness_range[2];   /* factor ~ U(lo, hi), x = clamp(x * factor, 0, 1); {0,0} off */
    float contrast_range[2];     /* factor ~ U(lo, hi), sg_fimage_adjust_contrast; {0,0} off */
    sg_border fill_mode;         /* Keras default "nearest" = SG_BORDER_EDGE                */
    float cval;                  /* fill value for SG_BORDER_CONSTANT                       */
} sg_augment_opts;

/* Everything off, fill mode EDGE (Keras' defaults). */
sg_augment_opts sg_augment_opts_default(void);

/* One draw of the random parameters (what Keras get_random_transform returns). */
typedef struct sg_augment_params {
    double theta, tx, ty, shear, zx, zy;  /* apply_affine_transform's arguments (tx rows) */
    bool flip_horizontal, flip_vertical;
    float brightness, contrast;           /* 1 = unchanged                               */
} sg_augment_params;

/* Draw the parameters for an h x w image from `key`; SG_ERR_INVALID if a
 * range is negative or lo > hi. */
sg_err sg_augment_draw(const sg_augment_opts *opts, sg_rng_key key, int h, int w,
                       sg_augment_params *out);
/* Apply drawn parameters in Keras' order: affine warp, flips, then
 * brightness and contrast. out has in's shape; out may be in itself when
 * `scratch` (sg_augment_scratch_bytes) is given, else they must not overlap. */
sg_err sg_augment_apply_params(const sg_augment_params *p, sg_border fill, float cval,
                               const sg_fimage *in, sg_fimage *out, void *scratch);
size_t sg_augment_scratch_bytes(int c, int h, int w);
/* sg_augment_draw + sg_augment_apply_params. */
sg_err sg_augment_apply(const sg_augment_opts *opts, sg_rng_key key, const sg_fimage *in,
                        sg_fimage *out, void *scratch);

/* ------------------------------------------------------- CLAHE (OpenCV) */

/* Contrast-limited adaptive histogram equalisation, bit-exact with OpenCV's
 * cv::createCLAHE(clip_limit, Size(tiles_x, tiles_y))->apply(). */
typedef struct sg_clahe_opts {
    double clip_limit;   /* OpenCV default 40; <= 0 means no clipping (plain AHE) */
    int tiles_x, tiles_y; /* OpenCV default 8 x 8                                  */
} sg_clahe_opts;

sg_clahe_opts sg_clahe_opts_default(void);
/* Working memory for an image of that size and depth (8 or 16). */
size_t sg_clahe_scratch_bytes(int width, int height, int channels, int depth,
                              const sg_clahe_opts *opts);
/* CLAHE of an 8- or 16-bit image into `out` (allocated by the caller with the
 * same shape and depth; out may be in). 1 channel: OpenCV's CLAHE. 2: the
 * gray channel, alpha copied. 3 (RGB) / 4 (RGBA): the Y channel of OpenCV's
 * integer RGB -> YCrCb conversion (cvtColor COLOR_RGB2YCrCb), equalised, then
 * back with COLOR_YCrCb2RGB; alpha copied - the usual colour recipe, and one
 * that stays bit-exact with OpenCV. */
sg_err sg_clahe_apply(const sg_image *in, const sg_clahe_opts *opts, sg_image *out,
                      void *scratch);

#endif

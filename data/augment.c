/* data/augment.c - random augmentation with Keras ImageDataGenerator's
 * parameters, drawn from the counter-based RNG.
 *
 * get_random_transform (keras/preprocessing/image.py) draws, in this order,
 * theta ~ U(-rotation_range, rotation_range), tx ~ U(-hs, hs) (times the
 * height when hs < 1), ty ~ U(-ws, ws) (times the width when ws < 1),
 * shear ~ U(-shear_range, shear_range), zx, zy ~ U(zoom_range) independently,
 * a horizontal and a vertical flip each with probability 1/2, and a
 * brightness factor ~ U(brightness_range); apply_transform then warps
 * (data/affine.c), flips, and changes brightness. Keras draws from numpy's
 * global generator, so its draws depend on everything drawn before; ours come
 * from the key (seed, SG_RNG_AUGMENT, step) at a fixed word per parameter
 * (SG_AUG_RNG_*): the same sample at the same step gets the same transform on
 * any number of threads, and switching one option on leaves the others' draws
 * alone.
 *
 * Two deliberate differences: brightness multiplies the float image and clips
 * to [0, 1] (Keras goes through an 8-bit PIL image and ImageEnhance.Brightness,
 * which also multiplies and clips, but rounds to 256 levels on the way), and a
 * contrast factor (torchvision adjust_contrast) is available too. */
#include <string.h>

#include "data/transform.h"
#include "data/transform_internal.h"

sg_augment_opts sg_augment_opts_default(void)
{
    sg_augment_opts o;
    memset(&o, 0, sizeof o);
    o.zoom_range[0] = o.zoom_range[1] = 1.0f;
    o.fill_mode = SG_BORDER_EDGE;
    return o;
}

/* U(lo, hi) from word `index` of the key, in double like numpy's uniform. */
static double uniform(sg_rng_key key, int index, double lo, double hi)
{
    return lo + (hi - lo) * (double)sg_rng_uniform(key, (uint64_t)index);
}

static bool range_off(const float r[2])
{
    return r[0] == 0.0f && r[1] == 0.0f;
}

static sg_err check_range(const char *name, const float r[2], bool positive)
{
    if (range_off(r)) return SG_OK;
    if (!(r[0] <= r[1]) || !(positive ? r[0] > 0.0f : r[0] >= 0.0f))
        return sg_error_set(SG_ERR_INVALID, "augment: %s [%g, %g] must satisfy %s <= lo <= hi",
                            name, r[0], r[1], positive ? "0 <" : "0");
    return SG_OK;
}

static sg_err check_opts(const sg_augment_opts *o)
{
    if (!o) return sg_error_set(SG_ERR_INVALID, "augment: no options");
    const struct { const char *name; float v; } ranges[] = {
        {"rotation_range", o->rotation_range}, {"width_shift_range", o->width_shift_range},
        {"height_shift_range", o->height_shift_range}, {"shear_range", o->shear_range},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (!(ranges[i].v >= 0.0f) || ranges[i].v > 1e6f)
            return sg_error_set(SG_ERR_INVALID, "augment: %s = %g, expected 0 <= value <= 1e6",
                                ranges[i].name, ranges[i].v);
    sg_err err = SG_OK;
    if (!(o->zoom_range[0] == 1.0f && o->zoom_range[1] == 1.0f))
        err = check_range("zoom_range", o->zoom_range, true);
    if (err == SG_OK) err = check_range("brightness_range", o->brightness_range, false);
    if (err == SG_OK) err = check_range("contrast_range", o->contrast_range, false);
    if (err == SG_OK && (o->fill_mode < SG_BORDER_CONSTANT || o->fill_mode > SG_BORDER_WRAP))
        err = sg_error_set(SG_ERR_INVALID, "augment: unknown fill mode %d", (int)o->fill_mode);
    return err;
}

sg_err sg_augment_draw(const sg_augment_opts *o, sg_rng_key key, int h, int w,
                       sg_augment_params *p)
{
    sg_err err = check_opts(o);
    if (err) return err;
    if (h < 1 || w < 1)
        return sg_error_set(SG_ERR_SHAPE, "augment: image %d x %d, expected sizes >= 1", h, w);
    *p = (sg_augment_params){0, 0, 0, 0, 1, 1, false, false, 1.0f, 1.0f};
    if (o->rotation_range > 0)
        p->theta = uniform(key, SG_AUG_RNG_ROTATION, -o->rotation_range, o->rotation_range);
    if (o->height_shift_range > 0) {
        p->tx = uniform(key, SG_AUG_RNG_SHIFT_ROWS, -o->height_shift_range, o->height_shift_range);
        if (o->height_shift_range < 1) p->tx *= h;
    }
    if (o->width_shift_range > 0) {
        p->ty = uniform(key, SG_AUG_RNG_SHIFT_COLS, -o->width_shift_range, o->width_shift_range);
        if (o->width_shift_range < 1) p->ty *= w;
    }
    if (o->shear_range > 0)
        p->shear = uniform(key, SG_AUG_RNG_SHEAR, -o->shear_range, o->shear_range);
    bool zoom_off = range_off(o->zoom_range) || (o->zoom_range[0] == 1.0f && o->zoom_range[1] == 1.0f);
    if (!zoom_off) {
        p->zx = uniform(key, SG_AUG_RNG_ZOOM_ROWS, o->zoom_range[0], o->zoom_range[1]);
        p->zy = uniform(key, SG_AUG_RNG_ZOOM_COLS, o->zoom_range[0], o->zoom_range[1]);
    }
    p->flip_horizontal = o->horizontal_flip && sg_rng_uniform(key, SG_AUG_RNG_FLIP_H) < 0.5f;
    p->flip_vertical = o->vertical_flip && sg_rng_uniform(key, SG_AUG_RNG_FLIP_V) < 0.5f;
    if (!range_off(o->brightness_range))
        p->brightness = (float)uniform(key, SG_AUG_RNG_BRIGHTNESS, o->brightness_range[0],
                                       o->brightness_range[1]);
    if (!range_off(o->contrast_range))
        p->contrast = (float)uniform(key, SG_AUG_RNG_CONTRAST, o->contrast_range[0],
                                     o->contrast_range[1]);
    return SG_OK;
}

size_t sg_augment_scratch_bytes(int c, int h, int w)
{
    return sg_fimage_numel(c, h, w) * sizeof(float);
}

sg_err sg_augment_apply_params(const sg_augment_params *p, sg_border fill, float cval,
                               const sg_fimage *in, sg_fimage *out, void *scratch)
{
    sg_err err = sg_fimage_check("augment", "input", in);
    if (err == SG_OK) err = sg_fimage_check("augment", "output", out);
    if (err) return err;
    if (!p) return sg_error_set(SG_ERR_INVALID, "augment: no parameters");
    if (out->c != in->c || out->h != in->h || out->w != in->w)
        return sg_error_set(SG_ERR_SHAPE, "augment: input %d x %d x %d, output %d x %d x %d: expected "
                            "the same shape", in->c, in->h, in->w, out->c, out->h, out->w);
    if (p->contrast != 1.0f && in->c != 1 && in->c != 3)
        return sg_error_set(SG_ERR_SHAPE, "augment: contrast needs 1 or 3 channels, got %d", in->c);
    const size_t bytes = sg_augment_scratch_bytes(in->c, in->h, in->w);

    sg_affine m;
    if (sg_affine_keras(p->theta, p->tx, p->ty, p->shear, p->zx, p->zy, in->h, in->w, &m)) {
        sg_fimage src = *in;
        if (in->data == out->data) { /* warp from a copy */
            if (!scratch)
                return sg_error_set(SG_ERR_INVALID, "augment: in place needs scratch of %zu bytes",
                                    bytes);
            memcpy(scratch, in->data, bytes);
            src.data = scratch;
        }
        err = sg_fimage_warp_affine(&src, &m, fill, cval, out);
        if (err) return err;
    } else if (in->data != out->data) {
        memmove(out->data, in->data, bytes);
    }
    if (p->flip_horizontal) sg_fimage_flip(out, SG_FLIP_HORIZONTAL);
    if (p->flip_vertical) sg_fimage_flip(out, SG_FLIP_VERTICAL);
    if (p->brightness != 1.0f) err = sg_fimage_adjust_brightness(out, p->brightness);
    if (err == SG_OK && p->contrast != 1.0f) err = sg_fimage_adjust_contrast(out, p->contrast);
    return err;
}

sg_err sg_augment_apply(const sg_augment_opts *opts, sg_rng_key key, const sg_fimage *in,
                        sg_fimage *out, void *scratch)
{
    sg_err err = sg_fimage_check("augment", "input", in);
    if (err) return err;
    sg_augment_params p;
    err = sg_augment_draw(opts, key, in->h, in->w, &p);
    if (err) return err;
    return sg_augment_apply_params(&p, opts->fill_mode, opts->cval, in, out, scratch);
}

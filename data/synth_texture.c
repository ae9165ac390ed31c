/* data/synth_texture.c - the steel background of a synthetic sample.
 *
 * Hot-rolled strip seen under line lighting (compare NEU's images): a surface
 * with fine grain (its brightness, contrast and grain set per class, after the
 * class's NEU namesake: class_looks below), thin streaks along the rolling direction
 * whose strength drifts slowly along their length ("rolling marks"), broad
 * brighter and darker bands also along the rolling direction, some large-scale
 * blotchiness, then an illumination gradient, vignetting, a random brightness
 * and contrast, and sensor noise. All of it is built from value noise: random
 * values on a lattice, smoothly interpolated (Perlin, "An image synthesizer",
 * SIGGRAPH 1985, section 3 uses the same lattice idea; we interpolate values,
 * not gradients, which is enough for texture and cheaper). Several octaves,
 * each with half the period and about half the amplitude of the one before,
 * make fractal noise. */
#include <math.h>
#include <string.h>

#include "core/mathf.h"
#include "data/synth_internal.h"

/* Smoothstep: an interpolation weight with zero slope at the lattice points,
 * so the noise has no visible creases along cell borders. */
static float fade(float t) { return t * t * (3.0f - 2.0f * t); }

void synth_add_value_noise(float *acc, int size, float period_x, float period_y, float amplitude,
                           sg_rng_key key, uint64_t *base, const synth_noise_scratch *s)
{
    if (period_x < 1.0f) period_x = 1.0f;
    if (period_y < 1.0f) period_y = 1.0f;
    /* Cells needed: x / period + phase < size / period + 1, plus the right neighbour. */
    int nx = (int)((float)size / period_x) + 3, ny = (int)((float)size / period_y) + 3;
    int n = nx * ny;
    uint64_t block = *base / 4;
    uint32_t w[4];
    sg_rng_block(key, block++, w);
    float phase_x = (float)(w[0] >> 8) * (1.0f / 16777216.0f);
    float phase_y = (float)(w[1] >> 8) * (1.0f / 16777216.0f);
    for (int i = 0; i < n; i += 4) {
        sg_rng_block(key, block++, w);
        for (int k = 0; k < 4 && i + k < n; k++)
            s->lattice[i + k] = (float)(w[k] >> 8) * (2.0f / 16777216.0f) - 1.0f;
    }
    *base = block * 4;

    for (int x = 0; x < size; x++) {
        float fx = ((float)x + 0.5f) / period_x + phase_x;
        int cell = (int)fx;
        s->column_cell[x] = cell;
        s->column_weight[x] = fade(fx - (float)cell);
    }
    /* Bilinear in two steps: per row, the lattice column values interpolated
     * to this y (times the amplitude), then per pixel along x. */
    float *row_values = s->row_values;
    for (int y = 0; y < size; y++) {
        float fy = ((float)y + 0.5f) / period_y + phase_y;
        int row = (int)fy;
        float ty = fade(fy - (float)row);
        const float *top = s->lattice + row * nx, *bottom = top + nx;
        for (int i = 0; i < nx; i++) row_values[i] = amplitude * (top[i] + ty * (bottom[i] - top[i]));
        float *out = acc + (int64_t)y * size;
        for (int x = 0; x < size; x++) {
            const float *v = row_values + s->column_cell[x];
            out[x] += v[0] + s->column_weight[x] * (v[1] - v[0]);
        }
    }
}

/* Octaves of isotropic noise from `period` down to `smallest` pixels, each
 * half the period of the one before and `persistence` times its amplitude. */
static void add_fractal(float *acc, int size, float period, float smallest, float amplitude,
                        float persistence, sg_rng_key key, uint64_t *base,
                        const synth_noise_scratch *s)
{
    for (; period >= smallest; period *= 0.5f, amplitude *= persistence)
        synth_add_value_noise(acc, size, period, period, amplitude, key, base, s);
}

/* The look of each class's background, after NEU-CLS's images of the same
 * name (measured with bench/bench_synth_realism: mean brightness, contrast,
 * and mean |dx|, |dy| of adjacent pixels, per class). NEU's classes differ in
 * their background as much as in their defects - its images of a class were
 * taken from the same strips under the same lighting - so a synthetic class
 * that should look like its namesake needs its namesake's strip too:
 *   crazing          bright-mid, very grainy and speckled everywhere
 *   inclusion        dark, smooth (hardly any grain), faint streaks
 *   patches          bright, grainy, high contrast (the blotches do the rest)
 *   pitted_surface   bright, moderately grainy, often unevenly lit
 *   rolled-in_scale  mid-gray, grain stretched across the rolling direction
 *   scratches        dark and smooth, rolling marks along it
 *   good             (no NEU namesake) a clean mid-gray strip with the
 *                    moderate grain of NEU's typical backgrounds
 * Ranges are drawn uniformly; the images of a class vary about as much as a
 * camera's exposure does, less than NEU's (whose brightness spread is
 * 25-50 gray levels within a class), so a class keeps its character. */
typedef struct class_look {
    float level_lo, level_hi;       /* gray / 255 of a mid reflectance */
    float contrast_lo, contrast_hi;
    float grain_lo, grain_hi;       /* amplitude of the finest grain octave */
    float stretch_lo, stretch_hi;   /* grain cells' height / width: > 1 along y, < 1 across */
    float marks;                    /* rolling marks' amplitude, at most */
    float bands;                    /* broad bands along y, at most */
    float blotch;                   /* large-scale blotchiness, at most */
    float gradient;                 /* illumination gradient per image width, at most */
    float sensor_lo, sensor_hi;     /* sensor noise, gray levels */
} class_look;

static const class_look class_looks[SG_SYNTH_CLASSES] = {
    [SG_SYNTH_CRAZING] = {.level_lo = 0.54f, .level_hi = 0.68f, .contrast_lo = 1.3f,
                          .contrast_hi = 1.7f, .grain_lo = 0.05f, .grain_hi = 0.07f,
                          .stretch_lo = 1.0f, .stretch_hi = 2.0f, .marks = 0.04f,
                          .bands = 0.09f, .blotch = 0.04f, .gradient = 0.3f,
                          .sensor_lo = 6.0f, .sensor_hi = 9.0f},
    [SG_SYNTH_INCLUSION] = {.level_lo = 0.36f, .level_hi = 0.50f, .contrast_lo = 0.7f,
                            .contrast_hi = 1.0f, .grain_lo = 0.004f, .grain_hi = 0.01f,
                            .stretch_lo = 1.5f, .stretch_hi = 3.0f, .marks = 0.02f,
                            .bands = 0.08f, .blotch = 0.03f, .gradient = 0.5f,
                            .sensor_lo = 1.0f, .sensor_hi = 2.0f},
    [SG_SYNTH_PATCHES] = {.level_lo = 0.58f, .level_hi = 0.72f, .contrast_lo = 1.2f,
                          .contrast_hi = 1.6f, .grain_lo = 0.03f, .grain_hi = 0.05f,
                          .stretch_lo = 1.0f, .stretch_hi = 2.0f, .marks = 0.03f,
                          .bands = 0.05f, .blotch = 0.05f, .gradient = 0.3f,
                          .sensor_lo = 7.0f, .sensor_hi = 10.0f},
    [SG_SYNTH_PITTED_SURFACE] = {.level_lo = 0.64f, .level_hi = 0.78f, .contrast_lo = 0.9f,
                                 .contrast_hi = 1.3f, .grain_lo = 0.015f, .grain_hi = 0.03f,
                                 .stretch_lo = 1.0f, .stretch_hi = 2.0f, .marks = 0.03f,
                                 .bands = 0.08f, .blotch = 0.04f, .gradient = 0.9f,
                                 .sensor_lo = 2.0f, .sensor_hi = 4.0f},
    [SG_SYNTH_ROLLED_IN_SCALE] = {.level_lo = 0.42f, .level_hi = 0.54f, .contrast_lo = 1.1f,
                                  .contrast_hi = 1.4f, .grain_lo = 0.03f, .grain_hi = 0.045f,
                                  .stretch_lo = 0.3f, .stretch_hi = 0.6f, .marks = 0.02f,
                                  .bands = 0.04f, .blotch = 0.06f, .gradient = 0.25f,
                                  .sensor_lo = 2.0f, .sensor_hi = 4.0f},
    [SG_SYNTH_SCRATCHES] = {.level_lo = 0.31f, .level_hi = 0.45f, .contrast_lo = 0.8f,
                            .contrast_hi = 1.1f, .grain_lo = 0.01f, .grain_hi = 0.02f,
                            .stretch_lo = 0.7f, .stretch_hi = 1.3f, .marks = 0.04f,
                            .bands = 0.09f, .blotch = 0.03f, .gradient = 0.3f,
                            .sensor_lo = 0.8f, .sensor_hi = 1.5f},
    [SG_SYNTH_GOOD] = {.level_lo = 0.44f, .level_hi = 0.58f, .contrast_lo = 0.8f,
                       .contrast_hi = 1.2f, .grain_lo = 0.015f, .grain_hi = 0.03f,
                       .stretch_lo = 1.0f, .stretch_hi = 2.0f, .marks = 0.03f,
                       .bands = 0.05f, .blotch = 0.03f, .gradient = 0.3f,
                       .sensor_lo = 2.0f, .sensor_hi = 4.0f},
};

/* Ranges of one layer of value noise: cell size across and along (pixels at
 * scale 1) and a factor of the class's amplitude. */
typedef struct streak_ranges {
    float across_lo, across_hi, along_lo, along_hi, amp_lo, amp_hi;
} streak_ranges;

/* One layer of value noise with its three numbers drawn in this order, one
 * statement each: C leaves the order of a call's arguments unspecified (gcc
 * and clang differ), so draws never sit side by side in an argument list. */
static void add_streaks(float *surface, int size, float scale, synth_draws *d, const streak_ranges *r,
                        float amplitude, sg_rng_key key, uint64_t *lattice, const synth_noise_scratch *s)
{
    float across = synth_range(d, r->across_lo, r->across_hi) * scale;
    float along = synth_range(d, r->along_lo, r->along_hi) * scale;
    float amp = synth_range(d, r->amp_lo, r->amp_hi) * amplitude;
    synth_add_value_noise(surface, size, across, along, amp, key, lattice, s);
}

void synth_background(int size, float scale, sg_rng_key key, int class_id, float *surface,
                      const synth_noise_scratch *s, synth_look *look)
{
    const class_look *cl = &class_looks[class_id];
    synth_draws d = {key, synth_stream_base(class_id, SYNTH_STREAM_LOOK)};
    uint64_t lattice = synth_stream_base(class_id, SYNTH_STREAM_TEXTURE);
    int64_t n = (int64_t)size * size;
    for (int64_t i = 0; i < n; i++) surface[i] = 0.5f;

    /* Fine grain: the finest octave (1.5-2.5 px) is the strongest, coarser
     * ones fade by `persistence` per octave, each stretched by the class's
     * height / width ratio (streaks along y above 1, across below). */
    float grain = synth_range(&d, cl->grain_lo, cl->grain_hi);
    float persistence = synth_range(&d, 0.35f, 0.6f);
    float finest = synth_range(&d, 1.5f, 2.5f) * scale;
    for (float period = finest; period <= 16.0f * scale; period *= 2.0f, grain *= persistence) {
        float stretch = synth_range(&d, cl->stretch_lo, cl->stretch_hi);
        float px = stretch < 1.0f ? period / stretch : period, py = stretch < 1.0f ? period : period * stretch;
        synth_add_value_noise(surface, size, px, py, grain, key, &lattice, s);
    }
    /* Rolling marks: thin streaks along y (period across 1.5-4 px, along
     * 40-160 px), and wider fainter ones. */
    const streak_ranges marks = {1.5f, 4.0f, 40.0f, 160.0f, 0.2f, 1.0f};
    const streak_ranges wide_marks = {6.0f, 14.0f, 80.0f, 300.0f, 0.2f, 0.9f};
    add_streaks(surface, size, scale, &d, &marks, cl->marks, key, &lattice, s);
    add_streaks(surface, size, scale, &d, &wide_marks, cl->marks, key, &lattice, s);
    /* Broad bands along the rolling direction and large-scale blotchiness. */
    const streak_ranges bands = {30.0f, 80.0f, 250.0f, 600.0f, 0.1f, 1.0f};
    const streak_ranges blotches = {50.0f, 120.0f, 50.0f, 120.0f, 0.0f, 1.0f};
    add_streaks(surface, size, scale, &d, &bands, cl->bands, key, &lattice, s);
    add_streaks(surface, size, scale, &d, &blotches, cl->blotch, key, &lattice, s);

    /* Illumination: a linear gradient in a random direction, vignetting
     * around a point near the centre; then exposure. */
    float strength = synth_range(&d, 0.0f, cl->gradient), angle = synth_range(&d, 0.0f, 6.2831853f);
    look->gradient_x = strength * sg_cosf(angle);
    look->gradient_y = strength * sg_sinf(angle);
    look->vignette = synth_range(&d, 0.0f, 0.2f);
    look->vignette_cx = (float)size * synth_range(&d, 0.3f, 0.7f);
    look->vignette_cy = (float)size * synth_range(&d, 0.3f, 0.7f);
    look->level = synth_range(&d, cl->level_lo, cl->level_hi);
    look->contrast = synth_range(&d, cl->contrast_lo, cl->contrast_hi);
    /* Sensor noise plus pixel-scale speckle of the surface. */
    look->sensor_sigma = synth_range(&d, cl->sensor_lo, cl->sensor_hi);
}

void synth_shape_noise(int size, float scale, sg_rng_key key, int class_id, float *noise,
                       const synth_noise_scratch *s)
{
    uint64_t lattice = synth_stream_base(class_id, SYNTH_STREAM_SHAPE);
    memset(noise, 0, sizeof(float) * (size_t)size * (size_t)size);
    /* Five octaves 32 .. 2 px with persistence 0.6: lumpy at the scale of a
     * patch, ragged at the scale of a pixel. A lattice value has standard
     * deviation 0.58; interpolation and the sum of octaves bring the total to
     * about 0.5 with these amplitudes. */
    add_fractal(noise, size, 32.0f * scale, 2.0f * scale, 0.75f, 0.6f, key, &lattice, s);
}

/* Sensor noise: the sum of the four bytes of a random word, less its mean
 * 510 and divided by its standard deviation 147.8, is near enough to a
 * standard normal (Irwin-Hall with n = 4) and costs a quarter of a Philox
 * block per pixel instead of a logarithm and a cosine. */
static float byte_sum_normal(uint32_t w)
{
    int sum = (int)(w & 255) + (int)((w >> 8) & 255) + (int)((w >> 16) & 255) + (int)(w >> 24);
    return ((float)sum - 510.0f) * (1.0f / 147.8f);
}

void synth_finish(int size, const synth_look *look, const float *surface, const float *delta,
                  sg_rng_key key, int class_id, uint8_t *pixels)
{
    uint64_t block = synth_stream_base(class_id, SYNTH_STREAM_SENSOR) / 4;
    float inv_size = 1.0f / (float)size;
    /* Vignetting is 1 - vignette * (r / r_max)^2, r_max the half diagonal. */
    float inv_r2 = 2.0f / ((float)size * (float)size);
    uint32_t w[4];
    for (int y = 0; y < size; y++) {
        float fy = ((float)y + 0.5f) * inv_size - 0.5f;
        float dy = (float)y + 0.5f - look->vignette_cy;
        for (int x = 0; x < size; x++) {
            int64_t p = (int64_t)y * size + x;
            if ((p & 3) == 0) sg_rng_block(key, block++, w);
            float fx = ((float)x + 0.5f) * inv_size - 0.5f;
            float dx = (float)x + 0.5f - look->vignette_cx;
            float gain = (1.0f + look->gradient_x * fx + look->gradient_y * fy) *
                         (1.0f - look->vignette * (dx * dx + dy * dy) * inv_r2);
            float value = look->level + look->contrast * (gain * (surface[p] + delta[p]) - 0.5f);
            float gray = 255.0f * value + look->sensor_sigma * byte_sum_normal(w[p & 3]);
            /* Round half up, clamped to 0..255. */
            pixels[p] = gray <= 0.0f ? 0 : gray >= 254.5f ? 255 : (uint8_t)(gray + 0.5f);
        }
    }
}

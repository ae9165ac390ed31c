/* data/synth_texture.c - the steel background of a synthetic sample.
 *
 * Hot-rolled strip seen under line lighting (compare NEU's images): a mid-gray
 * surface with fine isotropic grain, thin streaks along the rolling direction
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

void synth_background(int size, float scale, sg_rng_key key, int class_id, float *surface,
                      const synth_noise_scratch *s, synth_look *look)
{
    synth_draws d = {key, synth_stream_base(class_id, SYNTH_STREAM_LOOK)};
    uint64_t lattice = synth_stream_base(class_id, SYNTH_STREAM_TEXTURE);
    int64_t n = (int64_t)size * size;
    for (int64_t i = 0; i < n; i++) surface[i] = 0.5f;

    /* Fine grain: from smooth (as NEU's inclusion images) to coarse and
     * speckled (as its crazing images). Its amplitude is drawn from a
     * skewed range so most surfaces are moderately grainy; the finest
     * octave (1.5-2.5 px) is the strongest, coarser ones fade by
     * `persistence` per octave, each stretched 1-2x along the rolling
     * direction. */
    float u = synth_uniform(&d);
    float grain = 0.012f + 0.065f * u * u;
    float persistence = synth_range(&d, 0.35f, 0.6f);
    float finest = synth_range(&d, 1.5f, 2.5f) * scale;
    for (float period = finest; period <= 16.0f * scale; period *= 2.0f, grain *= persistence)
        synth_add_value_noise(surface, size, period, period * synth_range(&d, 1.0f, 2.0f), grain,
                              key, &lattice, s);
    /* Rolling marks: thin streaks along y (period across 1.5-4 px, along
     * 40-160 px), and wider fainter ones. */
    /* Each band's three numbers are drawn in this order, one statement each:
     * C leaves the order of a call's arguments unspecified (gcc and clang
     * differ), which made the two compilers paint different images. */
    float across, along, amp;
    across = synth_range(&d, 1.5f, 4.0f) * scale, along = synth_range(&d, 40.0f, 160.0f) * scale;
    amp = synth_range(&d, 0.008f, 0.04f);
    synth_add_value_noise(surface, size, across, along, amp, key, &lattice, s);
    across = synth_range(&d, 6.0f, 14.0f) * scale, along = synth_range(&d, 80.0f, 300.0f) * scale;
    amp = synth_range(&d, 0.008f, 0.035f);
    synth_add_value_noise(surface, size, across, along, amp, key, &lattice, s);
    /* Broad bands along the rolling direction and large-scale blotchiness. */
    across = synth_range(&d, 30.0f, 80.0f) * scale, along = synth_range(&d, 250.0f, 600.0f) * scale;
    amp = synth_range(&d, 0.01f, 0.09f);
    synth_add_value_noise(surface, size, across, along, amp, key, &lattice, s);
    across = synth_range(&d, 50.0f, 120.0f) * scale, along = synth_range(&d, 50.0f, 120.0f) * scale;
    amp = synth_range(&d, 0.0f, 0.05f);
    synth_add_value_noise(surface, size, across, along, amp, key, &lattice, s);

    /* Illumination: a linear gradient in a random direction, vignetting
     * around a point near the centre; then exposure. */
    float strength = synth_range(&d, 0.0f, 0.45f), angle = synth_range(&d, 0.0f, 6.2831853f);
    look->gradient_x = strength * sg_cosf(angle);
    look->gradient_y = strength * sg_sinf(angle);
    look->vignette = synth_range(&d, 0.0f, 0.3f);
    look->vignette_cx = (float)size * synth_range(&d, 0.3f, 0.7f);
    look->vignette_cy = (float)size * synth_range(&d, 0.3f, 0.7f);
    look->level = synth_range(&d, 0.3f, 0.72f);
    look->contrast = synth_range(&d, 0.75f, 1.6f);
    /* Sensor noise plus pixel-scale speckle of the surface: 1 to 8 gray levels,
     * mostly at the low end. */
    u = synth_uniform(&d);
    look->sensor_sigma = 1.0f + 7.0f * u * u;
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

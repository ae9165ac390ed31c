/* data/synth_internal.h - pieces shared by the synthetic-data files
 * (synth.c: one sample and its boxes; synth_texture.c: the steel background;
 * synth_defects.c: the six defect families; synth_write.c: the data set on
 * disk). Not a public interface.
 *
 * Units. Lengths are given for a 200-pixel image (NEU's size) and multiplied
 * by `scale` = size / 200, so a larger image shows the same field of view at a
 * finer resolution. Intensities are reflectances around 0.5: the background
 * `surface` S, the defects' change `delta` D, and the finished gray level is
 *   255 * (level + contrast * (gain(x, y) * (S + D) - 0.5)) + sensor noise,
 * so illumination shades defects and background alike. */
#ifndef SG_SYNTH_INTERNAL_H
#define SG_SYNTH_INTERNAL_H

#include <stdint.h>

#include "core/rng.h"
#include "data/synth.h"

/* A defect changes a pixel "meaningfully" (the mask) when |D| reaches this:
 * 4% of the reflectance range, 5 to 15 gray levels after contrast and gain. */
#define SYNTH_MASK_THRESHOLD 0.04f

/* Sub-streams of one sample: the counter's bits 48..55 hold class + 1, bits
 * 40..47 the purpose below, bits 0..39 the position within it. */
enum {
    SYNTH_STREAM_LOOK = 1,      /* background and illumination parameters */
    SYNTH_STREAM_TEXTURE = 2,   /* lattices of the background noise octaves */
    SYNTH_STREAM_SENSOR = 3,    /* per-pixel sensor noise */
    SYNTH_STREAM_SHAPE = 4,     /* lattices of the shape noise */
    SYNTH_STREAM_DEFECT = 5     /* defect parameters */
};
uint64_t synth_stream_base(int class_id, int stream);

/* Sequential draws from one sub-stream: draw i is word (base + i) of the
 * sample's Philox stream, so the sequence is fixed by the code path alone. */
typedef struct synth_draws {
    sg_rng_key key;
    uint64_t counter;
} synth_draws;
float synth_uniform(synth_draws *d);                     /* [0, 1) */
float synth_range(synth_draws *d, float lo, float hi);  /* [lo, hi) */
int synth_int(synth_draws *d, int lo, int hi);           /* lo..hi inclusive */
int synth_chance(synth_draws *d, float p);               /* 1 with probability p */

/* Scratch for value noise: the lattice of one octave and the per-column
 * lattice index and interpolation weight. */
typedef struct synth_noise_scratch {
    float *lattice;            /* capacity (size + 3)^2 */
    float *row_values;         /* size + 3: one lattice row interpolated to a pixel row */
    int *column_cell;          /* size */
    float *column_weight;      /* size */
} synth_noise_scratch;

/* acc[y * size + x] += amplitude * value noise with cells period_x by period_y
 * pixels (each at least 1): lattice values uniform in [-1, 1] with a random
 * phase, smoothstep interpolation. Long period_y over short period_x makes
 * streaks along y. The lattice comes from blocks base/4 .. of `key`; base
 * advances past them. */
void synth_add_value_noise(float *acc, int size, float period_x, float period_y, float amplitude,
                           sg_rng_key key, uint64_t *base, const synth_noise_scratch *s);

/* How the finished image looks apart from its content. */
typedef struct synth_look {
    float level, contrast;     /* gray = level + contrast * (gain * (S + D) - 0.5), in [0, 1] */
    float gradient_x, gradient_y;   /* illumination gradient per image width */
    float vignette;            /* darkening at the image's corner distance */
    float vignette_cx, vignette_cy; /* its centre, in pixels */
    float sensor_sigma;        /* sensor noise, gray levels */
} synth_look;

/* Fill surface[size * size] with the steel background and draw its look. */
void synth_background(int size, float scale, sg_rng_key key, int class_id, float *surface,
                      const synth_noise_scratch *s, synth_look *look);
/* Fill noise[size * size] with fractal noise of standard deviation about 0.5,
 * used to make defect edges ragged and their insides mottled. */
void synth_shape_noise(int size, float scale, sg_rng_key key, int class_id, float *noise,
                       const synth_noise_scratch *s);
/* Gain, contrast, level and sensor noise: the 8-bit image. */
void synth_finish(int size, const synth_look *look, const float *surface, const float *delta,
                  sg_rng_key key, int class_id, uint8_t *pixels);

/* What the defect painters draw on. */
typedef struct synth_canvas {
    int size;
    float scale;
    float *delta;              /* D, zero where nothing was drawn */
    uint8_t *instance;         /* 0, or the instance (1..) that owns the pixel */
    const float *shape_noise;  /* see synth_shape_noise */
    int n_instances;
} synth_canvas;

/* Draw the defects of class_id (not SG_SYNTH_GOOD): at most
 * SG_SYNTH_MAX_BOXES instances, each at least partly inside the image. */
void synth_draw_defects(synth_canvas *c, int class_id, synth_draws *d);

#endif

/* data/synth_defects.c - the six defect families of the synthetic data set.
 *
 * Each family is a few parameters drawn from the sample's defect stream and
 * two drawing primitives: a soft ellipse with a ragged edge (spots, pits,
 * flakes, blotches) and a soft line segment (cracks, scratches). A primitive
 * adds a change D to the reflectance and claims the pixels it changes by at
 * least SYNTH_MASK_THRESHOLD for its defect instance; the instance map
 * becomes the mask and the boxes (synth.c).
 *
 * An instance is what an annotator of NEU-DET boxes as one object: one
 * scratch, one chain of inclusion spots, one blotch with its specks, one
 * cluster of pits, one group of scale flakes, one region of cracks (compare
 * the boxes in NEU-DET's annotations). Sizes are for a 200-pixel image and
 * scale with the image; the rolling direction is y. */
#include <assert.h>
#include <math.h>

#include "core/mathf.h"
#include "data/synth_internal.h"

#define PI_F 3.14159265f

/* Pixels thinner than this do not show: primitives never go below it,
 * whatever the image size. */
#define MIN_RADIUS_PX 0.7f
#define MIN_SIGMA_PX 0.45f

static float fade(float t) { return t * t * (3.0f - 2.0f * t); }

static int new_instance(synth_canvas *c)
{
    assert(c->n_instances < SG_SYNTH_MAX_BOXES);
    return ++c->n_instances;
}

/* Combine a change v into pixel p. Changes of the same sign keep the stronger
 * (overlapping pits, the joints of a crack's segments do not darken twice);
 * opposite signs add (a bright rim under a dark flake). */
static void paint(synth_canvas *c, int64_t p, float v, int id)
{
    float old = c->delta[p];
    if (v < 0.0f && old < 0.0f) c->delta[p] = v < old ? v : old;
    else if (v > 0.0f && old > 0.0f) c->delta[p] = v > old ? v : old;
    else c->delta[p] = old + v;
    if (fabsf(v) >= SYNTH_MASK_THRESHOLD) c->instance[p] = (uint8_t)id;
}

/* Pixel range [x0, x1] x [y0, y1] covering the given extent, clipped to the image. */
typedef struct pixel_rect {
    int x0, y0, x1, y1;
} pixel_rect;

static int clamp_int(float v, int hi)
{
    if (v < 0.0f) return 0;
    if (v > (float)hi) return hi;
    return (int)v;
}

static pixel_rect rect_around(const synth_canvas *c, float xmin, float ymin, float xmax, float ymax)
{
    pixel_rect r = {clamp_int(floorf(xmin), c->size - 1), clamp_int(floorf(ymin), c->size - 1),
                    clamp_int(ceilf(xmax), c->size - 1), clamp_int(ceilf(ymax), c->size - 1)};
    if (xmax < 0.0f || ymax < 0.0f || xmin > (float)c->size || ymin > (float)c->size)
        r.x1 = r.x0 - 1; /* entirely outside: empty */
    return r;
}

/* Shape noise at a transposed position: a second field, independent enough of
 * the first, to mottle the inside of a shape whose edge uses the first. */
static float mottle_noise(const synth_canvas *c, int x, int y)
{
    return c->shape_noise[(int64_t)x * c->size + y];
}

/* A soft ellipse centred at (cx, cy) with semi-axes rx (along the angle) and
 * ry, change `amplitude` inside, fading to 0 over the outer `softness`
 * fraction of the radius. `ragged` moves the edge by that fraction of the
 * radius times the shape noise; `mottle` varies the inside by that fraction. */
static void stamp_ellipse(synth_canvas *c, int id, float cx, float cy, float rx, float ry,
                          float angle, float amplitude, float softness, float ragged, float mottle)
{
    rx = fmaxf(rx, MIN_RADIUS_PX);
    ry = fmaxf(ry, MIN_RADIUS_PX);
    /* The noise rarely exceeds 1.5 in magnitude, so the edge stays within this. */
    float extent = fmaxf(rx, ry) * (1.0f + 1.5f * ragged) + 1.0f;
    pixel_rect r = rect_around(c, cx - extent, cy - extent, cx + extent, cy + extent);
    float ca = sg_cosf(angle), sa = sg_sinf(angle);
    float inv_rx = 1.0f / rx, inv_ry = 1.0f / ry;
    for (int y = r.y0; y <= r.y1; y++)
        for (int x = r.x0; x <= r.x1; x++) {
            int64_t p = (int64_t)y * c->size + x;
            float dx = (float)x + 0.5f - cx, dy = (float)y + 0.5f - cy;
            float u = (dx * ca + dy * sa) * inv_rx, v = (dy * ca - dx * sa) * inv_ry;
            float radius = sqrtf(u * u + v * v) + ragged * c->shape_noise[p];
            if (radius >= 1.0f) continue;
            float w = radius <= 1.0f - softness ? 1.0f : fade((1.0f - radius) / softness);
            paint(c, p, amplitude * w * (1.0f + mottle * mottle_noise(c, x, y)), id);
        }
}

/* A soft line from (x0, y0) to (x1, y1): a Gaussian profile of standard
 * deviation sigma across it, the change going linearly from a0 to a1 along
 * it, roughened by `grit` times the shape noise. */
static void stroke_segment(synth_canvas *c, int id, float x0, float y0, float x1, float y1,
                           float sigma, float a0, float a1, float grit)
{
    sigma = fmaxf(sigma, MIN_SIGMA_PX);
    float extent = 3.0f * sigma + 1.0f;
    pixel_rect r = rect_around(c, fminf(x0, x1) - extent, fminf(y0, y1) - extent,
                               fmaxf(x0, x1) + extent, fmaxf(y0, y1) + extent);
    float abx = x1 - x0, aby = y1 - y0, len2 = abx * abx + aby * aby;
    float inv_len2 = len2 > 0.0f ? 1.0f / len2 : 0.0f;
    float inv_two_var = 1.0f / (2.0f * sigma * sigma), reach2 = 9.0f * sigma * sigma;
    for (int y = r.y0; y <= r.y1; y++)
        for (int x = r.x0; x <= r.x1; x++) {
            float px = (float)x + 0.5f - x0, py = (float)y + 0.5f - y0;
            float t = (px * abx + py * aby) * inv_len2;
            t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
            float ex = px - t * abx, ey = py - t * aby, d2 = ex * ex + ey * ey;
            if (d2 > reach2) continue;
            int64_t p = (int64_t)y * c->size + x;
            float v = (a0 + t * (a1 - a0)) * sg_expf(-d2 * inv_two_var) *
                      (1.0f + grit * c->shape_noise[p]);
            if (fabsf(v) >= 0.004f) paint(c, p, v, id);
        }
}

/* A uniformly random point of the ellipse with centre (cx, cy), semi-axes rx, ry. */
static void point_in_ellipse(synth_draws *d, float cx, float cy, float rx, float ry, float *x,
                             float *y)
{
    float a = synth_range(d, 0.0f, 2.0f * PI_F), r = sqrtf(synth_uniform(d));
    *x = cx + rx * r * sg_cosf(a);
    *y = cy + ry * r * sg_sinf(a);
}

/* ---- crazing: networks of fine dark cracks ------------------------------ */

/* One crack as a random walk of short segments, mostly across the rolling
 * direction, sometimes forking once. */
static void crack_walk(synth_canvas *c, int id, synth_draws *d, float x, float y, float heading,
                       int steps, float sigma, float amplitude, int may_fork)
{
    float base = heading, a_prev = amplitude * 0.3f;
    for (int i = 0; i < steps; i++) {
        /* A damped walk around the base heading: wavy, but it keeps going. */
        heading = base + 0.5f * (heading - base) + synth_range(d, -0.8f, 0.8f);
        float len = synth_range(d, 2.0f, 4.0f) * c->scale;
        float nx = x + len * sg_cosf(heading), ny = y + len * sg_sinf(heading);
        float a = amplitude * synth_range(d, 0.7f, 1.1f);
        stroke_segment(c, id, x, y, nx, ny, sigma, a_prev, a, 0.0f);
        if (may_fork && synth_chance(d, 0.06f)) {
            /* One draw per statement: the order of operands and arguments is
             * unspecified in C, and gcc and clang do not agree on it. */
            float turn = synth_range(d, 0.9f, 1.6f);
            if (!synth_chance(d, 0.5f)) turn = -turn;
            int steps = synth_int(d, 1, 4);
            crack_walk(c, id, d, nx, ny, heading + turn, steps, sigma, a, 0);
        }
        x = nx, y = ny, a_prev = a;
    }
}

static void draw_crazing(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    /* NEU's crazing is a texture over the whole image: one to three large
     * overlapping regions of dense cracks. */
    int regions = synth_int(d, 1, 3);
    for (int k = 0; k < regions; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.25f, 0.75f) * size, cy = synth_range(d, 0.25f, 0.75f) * size;
        float rx = synth_range(d, 50.0f, 100.0f) * s, ry = synth_range(d, 40.0f, 90.0f) * s;
        int cracks = (int)(rx * ry / (45.0f * s * s)) + 10;
        float amplitude = -synth_range(d, 0.09f, 0.18f), sigma = synth_range(d, 0.45f, 0.6f) * s;
        for (int i = 0; i < cracks; i++) {
            float x, y;
            point_in_ellipse(d, cx, cy, rx, ry, &x, &y);
            float heading = synth_chance(d, 0.5f) ? 0.0f : PI_F;   /* one draw per statement */
            heading += synth_range(d, -0.35f, 0.35f);
            int steps = synth_int(d, 4, 10);
            float a = amplitude * synth_range(d, 0.6f, 1.2f);
            crack_walk(c, id, d, x, y, heading, steps, sigma, a, 1);
        }
        /* A crazed surface is rough between the cracks too: a faint mottle,
         * below the mask threshold, over the region. */
        stamp_ellipse(c, id, cx, cy, rx * 1.1f, ry * 1.1f, 0.0f, -0.015f, 0.4f, 0.3f, 1.5f);
    }
}

/* ---- inclusion: elongated spots along the rolling direction ------------- */

static void draw_inclusion(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    int chains = synth_int(d, 1, 4);
    for (int k = 0; k < chains; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.1f, 0.9f) * size, cy = synth_range(d, 0.15f, 0.85f) * size;
        int dark = synth_chance(d, 0.9f);
        float amplitude = dark ? -synth_range(d, 0.15f, 0.35f) : synth_range(d, 0.08f, 0.2f);
        int spots = synth_int(d, 1, 6);
        float length = synth_range(d, 30.0f, 140.0f) * s, pitch = length / (float)spots;
        /* A faint smear along the chain: NEU's inclusions sit in long, soft,
         * darker streaks. */
        float smear_width = synth_range(d, 3.0f, 7.0f) * s;   /* one draw per statement */
        float smear_amplitude = amplitude * synth_range(d, 0.2f, 0.35f);
        stamp_ellipse(c, id, cx, cy, smear_width, 0.6f * length, 0.0f, smear_amplitude, 0.9f, 0.3f, 0.3f);
        for (int j = 0; j < spots; j++) {
            float x = cx + synth_range(d, -3.0f, 3.0f) * s;
            float y = cy - 0.5f * length + pitch * ((float)j + synth_range(d, 0.3f, 0.7f));
            float along = fmaxf(synth_range(d, 0.25f, 0.5f) * pitch, 3.0f * s);
            float across = synth_range(d, 1.2f, 4.0f) * s;
            float angle = synth_range(d, -0.08f, 0.08f);        /* one draw per statement */
            float a = amplitude * synth_range(d, 0.7f, 1.0f);
            stamp_ellipse(c, id, x, y, across, along, angle, a, 0.7f, 0.3f, 0.3f);
        }
    }
}

/* ---- patches: large irregular blotches ---------------------------------- */

static void draw_patches(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    /* Soft, large, strongly dark blotches on a bright strip: in NEU they
     * cover a quarter to half of the image. */
    int blotches = synth_int(d, 3, 5);
    for (int k = 0; k < blotches; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.12f, 0.88f) * size, cy = synth_range(d, 0.12f, 0.88f) * size;
        float rx = synth_range(d, 18.0f, 45.0f) * s, ry = synth_range(d, 22.0f, 58.0f) * s;
        float amplitude = -synth_range(d, 0.4f, 0.55f);
        stamp_ellipse(c, id, cx, cy, rx, ry, synth_range(d, -0.3f, 0.3f), amplitude, 0.9f, 0.55f,
                      0.45f);
        int specks = synth_int(d, 0, 6);
        for (int i = 0; i < specks; i++) {
            float a = synth_range(d, 0.0f, 2.0f * PI_F), r = synth_range(d, 1.0f, 1.6f);
            float radius = synth_range(d, 1.0f, 3.0f) * s;
            float radius_y = radius * synth_range(d, 0.7f, 1.4f);   /* one draw per statement */
            float speck = amplitude * synth_range(d, 0.6f, 1.0f);
            stamp_ellipse(c, id, cx + r * rx * sg_cosf(a), cy + r * ry * sg_sinf(a), radius, radius_y,
                          0.0f, speck, 0.5f, 0.3f, 0.0f);
        }
    }
}

/* ---- pitted surface: dense clusters of small pits ----------------------- */

static void draw_pitted_surface(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    /* Small dark pits strewn over much of a bright strip. */
    int clusters = synth_int(d, 1, 3);
    for (int k = 0; k < clusters; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.2f, 0.8f) * size, cy = synth_range(d, 0.25f, 0.75f) * size;
        float rx = synth_range(d, 30.0f, 80.0f) * s, ry = synth_range(d, 40.0f, 95.0f) * s;
        int pits = (int)(rx * ry * synth_range(d, 0.03f, 0.07f) / (s * s)) + 15;
        if (pits > 500) pits = 500;
        float amplitude = -synth_range(d, 0.15f, 0.3f);
        for (int i = 0; i < pits; i++) {
            float x, y;
            point_in_ellipse(d, cx, cy, rx, ry, &x, &y);
            float radius = synth_range(d, 0.8f, 1.6f) * s;      /* one draw per statement */
            if (synth_chance(d, 0.1f)) radius *= 2.0f;
            float aspect = synth_range(d, 0.7f, 1.3f);
            float angle = synth_range(d, 0.0f, PI_F);
            float a = amplitude * synth_range(d, 0.6f, 1.0f);
            stamp_ellipse(c, id, x, y, radius * aspect, radius / aspect, angle, a, 0.5f, 0.15f, 0.0f);
        }
    }
}

/* ---- rolled-in scale: groups of flaky scale pressed into the surface ---- */

static void draw_rolled_in_scale(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    /* In NEU a texture over the whole image: many groups of small flakes,
     * flattened across the rolling direction by the rolls. */
    int groups = synth_int(d, 4, 7);
    for (int k = 0; k < groups; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.1f, 0.9f) * size, cy = synth_range(d, 0.1f, 0.9f) * size;
        float gx = synth_range(d, 15.0f, 40.0f) * s, gy = synth_range(d, 10.0f, 25.0f) * s;
        int flakes = synth_int(d, 10, 24);
        float amplitude = -synth_range(d, 0.15f, 0.3f);
        for (int i = 0; i < flakes; i++) {
            float x = cx + gx * synth_range(d, -1.0f, 1.0f), y = cy + gy * synth_range(d, -1.0f, 1.0f);
            float rx = synth_range(d, 2.0f, 7.0f) * s, ry = synth_range(d, 0.8f, 2.2f) * s;
            float angle = synth_range(d, -0.3f, 0.3f);
            /* The bright rim of the pressed-in edge, then the dark flake over it. */
            stamp_ellipse(c, id, x, y - 1.2f * s, rx * 1.15f, ry * 1.15f, angle,
                          synth_range(d, 0.04f, 0.09f), 0.5f, 0.5f, 0.0f);
            stamp_ellipse(c, id, x, y, rx, ry, angle, amplitude * synth_range(d, 0.6f, 1.2f), 0.5f,
                          0.6f, 0.4f);
        }
    }
}

/* ---- scratches: long thin lines ----------------------------------------- */

/* A scratch of `length` through (cx, cy) at `angle`: ten segments with a
 * gentle sideways wobble, its strength varying along the length and tapering
 * at both ends. */
static void draw_scratch(synth_canvas *c, int id, synth_draws *d, float cx, float cy,
                         float angle, float length, float sigma, float amplitude, float grit)
{
    enum { SEGMENTS = 10 };
    float ux = sg_cosf(angle), uy = sg_sinf(angle);
    float wobble = synth_range(d, 0.0f, 1.5f) * c->scale;
    float wobble_freq = synth_range(d, 0.5f, 2.0f), wobble_phase = synth_range(d, 0.0f, 2.0f * PI_F);
    float vary_freq = synth_range(d, 1.0f, 4.0f), vary_phase = synth_range(d, 0.0f, 2.0f * PI_F);
    float px = 0, py = 0, pa = 0;
    for (int i = 0; i <= SEGMENTS; i++) {
        float t = (float)i / SEGMENTS;
        float side = wobble * sg_sinf(2.0f * PI_F * wobble_freq * t + wobble_phase);
        float x = cx + (t - 0.5f) * length * ux - side * uy;
        float y = cy + (t - 0.5f) * length * uy + side * ux;
        float taper = fminf(1.0f, fminf(t, 1.0f - t) / 0.08f);
        float a = amplitude * taper * (0.7f + 0.3f * sg_sinf(2.0f * PI_F * vary_freq * t + vary_phase));
        if (i > 0) stroke_segment(c, id, px, py, x, y, sigma, pa, a, grit);
        px = x, py = y, pa = a;
    }
}

/* Mostly along the rolling direction, sometimes across, sometimes anywhere. */
static float scratch_angle(synth_draws *d)
{
    float u = synth_uniform(d);
    if (u < 0.88f) return 0.5f * PI_F + synth_range(d, -0.05f, 0.05f);
    if (u < 0.94f) return synth_range(d, -0.05f, 0.05f);
    return synth_range(d, 0.0f, PI_F);
}

static void draw_scratches(synth_canvas *c, synth_draws *d)
{
    float s = c->scale, size = (float)c->size;
    int singles = synth_int(d, 2, 4);
    for (int k = 0; k < singles; k++) {
        int id = new_instance(c);
        float cx = synth_range(d, 0.1f, 0.9f) * size, cy = synth_range(d, 0.1f, 0.9f) * size;
        /* Long bright bands on a dark strip, as in NEU; some wide and near
         * white, a few dark. */
        float angle = scratch_angle(d), length = synth_range(d, 0.6f, 1.3f) * size;
        int wide = synth_chance(d, 0.5f), bright = synth_chance(d, 0.9f);
        float sigma = (wide ? synth_range(d, 2.0f, 5.0f) : synth_range(d, 0.8f, 1.8f)) * s;
        float amplitude = bright ? synth_range(d, 0.4f, 0.75f) : -synth_range(d, 0.1f, 0.3f);
        draw_scratch(c, id, d, cx, cy, angle, length, sigma, amplitude, wide ? 0.5f : 0.2f);
    }
    /* Now and then a bundle of fine parallel scratches (a few boxes side by side). */
    if (synth_chance(d, 0.25f)) {
        int lines = synth_int(d, 2, 5);
        float cx = synth_range(d, 0.2f, 0.8f) * size, cy = synth_range(d, 0.2f, 0.8f) * size;
        float angle = scratch_angle(d), length = synth_range(d, 0.3f, 0.8f) * size;
        float spacing = synth_range(d, 4.0f, 10.0f) * s;
        float amplitude = synth_range(d, 0.15f, 0.4f);
        for (int k = 0; k < lines; k++) {
            int id = new_instance(c);
            float offset = ((float)k - 0.5f * (float)(lines - 1)) * spacing;
            float len = length * synth_range(d, 0.7f, 1.0f);    /* one draw per statement */
            float width = synth_range(d, 0.5f, 1.0f) * s;
            float a = amplitude * synth_range(d, 0.7f, 1.0f);
            draw_scratch(c, id, d, cx - offset * sg_sinf(angle), cy + offset * sg_cosf(angle), angle,
                         len, width, a, 0.2f);
        }
    }
}

void synth_draw_defects(synth_canvas *c, int class_id, synth_draws *d)
{
    switch (class_id) {
    case SG_SYNTH_CRAZING: draw_crazing(c, d); break;
    case SG_SYNTH_INCLUSION: draw_inclusion(c, d); break;
    case SG_SYNTH_PATCHES: draw_patches(c, d); break;
    case SG_SYNTH_PITTED_SURFACE: draw_pitted_surface(c, d); break;
    case SG_SYNTH_ROLLED_IN_SCALE: draw_rolled_in_scale(c, d); break;
    case SG_SYNTH_SCRATCHES: draw_scratches(c, d); break;
    default: break;
    }
}

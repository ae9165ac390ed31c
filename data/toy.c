/* data/toy.c - the demo's generated image task (see toy.h). */
#include "data/toy.h"

#include <math.h>

#include "core/rng.h"

const char *const sg_toy_class_names[SG_TOY_CLASSES] = {"clean", "scratch_h", "scratch_v", "spot"};

int sg_toy_label(uint64_t index) { return (int)(index % SG_TOY_CLASSES); }

void sg_toy_image(uint64_t seed, uint64_t index, int size, float *pixels)
{
    sg_rng_key key = {seed, SG_RNG_DATA, index};
    /* Stream layout: words 0..15 for the shape parameters, the rest for grain. */
    float u[16];
    for (int i = 0; i < 16; i++) u[i] = sg_rng_uniform(key, (uint64_t)i);
    float base = 0.35f + 0.3f * u[0];
    float gx = (u[1] - 0.5f) * 0.2f, gy = (u[2] - 0.5f) * 0.2f;   /* illumination gradient */
    float contrast = (0.3f + 0.3f * u[3]) * (u[4] < 0.5f ? -1.0f : 1.0f);
    float cx = size * (0.2f + 0.6f * u[5]), cy = size * (0.2f + 0.6f * u[6]);
    float half_len = size * (0.2f + 0.25f * u[7]);
    float half_width = 0.6f + 1.0f * u[8];
    float radius = size * (0.08f + 0.1f * u[9]);
    int label = sg_toy_label(index);
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            float fx = (float)x + 0.5f, fy = (float)y + 0.5f;
            float v = base + gx * (fx / size - 0.5f) + gy * (fy / size - 0.5f);
            float along, across, d;
            switch (label) {
            case 1: /* horizontal scratch */
                along = fabsf(fx - cx), across = fabsf(fy - cy);
                if (along < half_len && across < half_width) v += contrast;
                break;
            case 2: /* vertical scratch */
                along = fabsf(fy - cy), across = fabsf(fx - cx);
                if (along < half_len && across < half_width) v += contrast;
                break;
            case 3: /* spot with a soft edge */
                d = sqrtf((fx - cx) * (fx - cx) + (fy - cy) * (fy - cy));
                if (d < radius + 1.0f) v += contrast * (d < radius ? 1.0f : radius + 1.0f - d);
                break;
            default: break;
            }
            v += 0.06f * sg_rng_normal(key, 16 + (uint64_t)(y * size + x));
            pixels[y * size + x] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
}

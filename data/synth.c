/* data/synth.c - one synthetic steel sample: image, mask and boxes (see synth.h).
 *
 * The sample is painted in four passes over one scratch block: the background
 * (synth_texture.c), the shape noise and the defects (synth_defects.c), which
 * leave a change map and an instance map, then the finished 8-bit image. The
 * instance map gives the mask (any instance) and the boxes (the extent of each
 * instance's pixels, instances that touch counted as one except for
 * scratches, so a box is tight and every mask pixel is in a box). */
#include "data/synth.h"

#include <stdlib.h>
#include <string.h>

#include "data/synth_internal.h"

const char *const sg_synth_class_names[SG_SYNTH_CLASSES] = {
    "crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches", "good"};

int sg_synth_class_from_name(const char *name)
{
    for (int k = 0; k < SG_SYNTH_CLASSES; k++)
        if (strcmp(name, sg_synth_class_names[k]) == 0) return k;
    return -1;
}

sg_synth_opts sg_synth_defaults(void)
{
    sg_synth_opts o = {.size = 200, .classes = (1u << SG_SYNTH_CLASSES) - 1};
    return o;
}

/* ---- draws from the sample's stream ------------------------------------- */

uint64_t synth_stream_base(int class_id, int stream)
{
    return ((uint64_t)(class_id + 1) << 48) | ((uint64_t)stream << 40);
}

float synth_uniform(synth_draws *d) { return sg_rng_uniform(d->key, d->counter++); }

float synth_range(synth_draws *d, float lo, float hi) { return lo + (hi - lo) * synth_uniform(d); }

int synth_int(synth_draws *d, int lo, int hi)
{
    return lo + (int)sg_rng_below(d->key, d->counter++, (uint32_t)(hi - lo + 1));
}

int synth_chance(synth_draws *d, float p) { return synth_uniform(d) < p; }

/* ---- boxes and the mask from the instance map --------------------------- */

/* The representative of instance k's group (union-find with path halving). */
static int group_of(int *parent, int k)
{
    while (parent[k] != k) k = parent[k] = parent[parent[k]];
    return k;
}

/* One box per group of instances, tight around the group's pixels. Instances
 * whose pixels touch (8-neighbours) form one group when `merge_touching`:
 * two blotches that run into each other are one defect to an annotator. Two
 * crossing scratches stay two. */
static sg_err collect_boxes(const uint8_t *instance, int size, int n_instances, int class_id,
                            bool merge_touching, sg_box *boxes, int max_boxes, int *n_boxes)
{
    int parent[SG_SYNTH_MAX_BOXES + 1];
    for (int k = 0; k <= n_instances; k++) parent[k] = k;
    if (merge_touching)
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                int a = instance[(int64_t)y * size + x];
                if (!a) continue;
                /* Right, and the three neighbours below: every touching pair once. */
                const int dx[4] = {1, -1, 0, 1}, dy[4] = {0, 1, 1, 1};
                for (int j = 0; j < 4; j++) {
                    int nx = x + dx[j], ny = y + dy[j];
                    if (nx < 0 || nx >= size || ny >= size) continue;
                    int b = instance[(int64_t)ny * size + nx];
                    if (b && b != a) parent[group_of(parent, a)] = group_of(parent, b);
                }
            }
    /* 0-based inclusive extents per group; empty while xmax < 0. */
    int extent[SG_SYNTH_MAX_BOXES + 1][4];
    for (int k = 1; k <= n_instances; k++) {
        extent[k][0] = extent[k][1] = size;
        extent[k][2] = extent[k][3] = -1;
    }
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            int k = instance[(int64_t)y * size + x];
            if (!k) continue;
            int *e = extent[group_of(parent, k)];
            if (x < e[0]) e[0] = x;
            if (y < e[1]) e[1] = y;
            if (x > e[2]) e[2] = x;
            if (y > e[3]) e[3] = y;
        }
    /* Groups in the order of their representative; one whose pixels were all
     * taken over by later instances has no box. A group one pixel wide or
     * high (a thin vertical scratch) gets a box two pixels wide or high,
     * grown by the neighbouring column or row inside the image: in VOC's
     * inclusive coordinates a one-pixel box has xmin == xmax, which readers
     * (ours, torchvision's) reject as empty. */
    for (int k = 1; k <= n_instances; k++) {
        int *e = extent[k];
        if (e[2] < 0) continue;
        for (int axis = 0; axis < 2; axis++)
            if (e[axis + 2] == e[axis]) {
                if (e[axis + 2] + 1 < size) e[axis + 2]++;
                else e[axis]--;
            }
    }
    int n = 0;
    for (int k = 1; k <= n_instances; k++) {
        const int *e = extent[k];
        if (e[2] < 0) continue;
        if (boxes && n >= max_boxes)
            return sg_error_set(SG_ERR_LIMIT, "synth: a %s sample has more than %d boxes",
                                sg_synth_class_names[class_id], max_boxes);
        if (boxes)
            boxes[n] = (sg_box){(float)(e[0] + 1), (float)(e[1] + 1), (float)(e[2] + 1),
                                (float)(e[3] + 1), class_id, false};
        n++;
    }
    if (n_boxes) *n_boxes = n;
    return SG_OK;
}

/* Swap x and y of a square image in place. */
static void transpose_square(uint8_t *a, int size)
{
    for (int y = 0; y < size; y++)
        for (int x = y + 1; x < size; x++) {
            uint8_t t = a[(int64_t)y * size + x];
            a[(int64_t)y * size + x] = a[(int64_t)x * size + y];
            a[(int64_t)x * size + y] = t;
        }
}

sg_err sg_synth_sample(const sg_synth_opts *o, uint64_t seed, uint64_t index, int class_id,
                       uint8_t *pixels, uint8_t *mask, sg_box *boxes, int max_boxes,
                       int *n_boxes)
{
    if (!o || !pixels) return sg_error_set(SG_ERR_INVALID, "synth: no options or pixel buffer");
    if (o->size < SG_SYNTH_MIN_SIZE || o->size > SG_SYNTH_MAX_SIZE)
        return sg_error_set(SG_ERR_INVALID, "synth: image size %d is outside %d..%d", o->size,
                            SG_SYNTH_MIN_SIZE, SG_SYNTH_MAX_SIZE);
    if (class_id < 0 || class_id >= SG_SYNTH_CLASSES)
        return sg_error_set(SG_ERR_INVALID, "synth: class %d is outside 0..%d", class_id,
                            SG_SYNTH_CLASSES - 1);
    if (max_boxes < 0 || (max_boxes > 0 && !boxes))
        return sg_error_set(SG_ERR_INVALID, "synth: %d boxes requested without a buffer", max_boxes);

    /* One block: surface, delta, shape noise, lattice, row values, column
     * weights (floats); column cells (ints); the instance map (bytes). */
    int size = o->size;
    size_t n = (size_t)size * (size_t)size, lattice = (size_t)(size + 3) * (size_t)(size + 3);
    size_t floats = 3 * n + lattice + (size_t)(size + 3) + (size_t)size;
    char *block = malloc(floats * sizeof(float) + (size_t)size * sizeof(int) + n);
    if (!block) return sg_error_set(SG_ERR_NOMEM, "synth: out of memory for a %dx%d sample", size, size);
    float *surface = (float *)block, *delta = surface + n, *shape = delta + n;
    synth_noise_scratch scratch;
    scratch.lattice = shape + n;
    scratch.row_values = scratch.lattice + lattice;
    scratch.column_weight = scratch.row_values + size + 3;
    scratch.column_cell = (int *)(scratch.column_weight + size);
    uint8_t *instance = (uint8_t *)(scratch.column_cell + size);
    memset(delta, 0, n * sizeof(float));
    memset(instance, 0, n);

    sg_rng_key key = {seed, SG_RNG_DATA, index};
    float scale = (float)size / 200.0f;
    synth_look look;
    synth_background(size, scale, key, class_id, surface, &scratch, &look);
    synth_canvas canvas = {size, scale, delta, instance, shape, 0};
    if (class_id != SG_SYNTH_GOOD) {
        synth_shape_noise(size, scale, key, class_id, shape, &scratch);
        synth_draws draws = {key, synth_stream_base(class_id, SYNTH_STREAM_DEFECT)};
        synth_draw_defects(&canvas, class_id, &draws);
    }
    synth_finish(size, &look, surface, delta, key, class_id, pixels);

    int count = 0;
    sg_err err = collect_boxes(instance, size, canvas.n_instances, class_id,
                               class_id != SG_SYNTH_SCRATCHES, boxes, max_boxes, &count);
    if (n_boxes) *n_boxes = err == SG_OK ? count : 0;
    if (err == SG_OK && mask)
        for (size_t i = 0; i < n; i++) mask[i] = instance[i] ? 255 : 0;
    if (err == SG_OK && o->horizontal_rolling) {
        transpose_square(pixels, size);
        if (mask) transpose_square(mask, size);
        for (int k = 0; boxes && k < count; k++) {
            sg_box b = boxes[k];
            boxes[k] = (sg_box){b.ymin, b.xmin, b.ymax, b.xmax, b.label, b.difficult};
        }
    }
    free(block);
    return err;
}

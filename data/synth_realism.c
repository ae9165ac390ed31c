/* data/synth_realism.c - four figures of a gray image and a nearest-centroid
 * classifier over them (see synth_realism.h). */
#include "data/synth_realism.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/image.h"
#include "data/transform.h"

void sg_realism_features(const uint8_t *pixels, int width, int height,
                         double f[SG_REALISM_FEATURES])
{
    /* Integer sums: exact whatever the order, so the figures do not depend
     * on how a caller splits the work. */
    uint64_t sum = 0, sum2 = 0, dx = 0, dy = 0;
    for (int y = 0; y < height; y++) {
        const uint8_t *row = pixels + (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++) {
            int v = row[x];
            sum += (uint64_t)v;
            sum2 += (uint64_t)(v * v);
            if (x + 1 < width) dx += (uint64_t)abs(row[x + 1] - v);
            if (y + 1 < height) dy += (uint64_t)abs(row[x + width] - v);
        }
    }
    double n = (double)width * (double)height;
    double mean = (double)sum / n, var = (double)sum2 / n - mean * mean;
    f[0] = mean;
    f[1] = sqrt(var > 0.0 ? var : 0.0);
    f[2] = (double)dx / ((double)(width - 1) * (double)height);
    f[3] = (double)dy / ((double)width * (double)(height - 1));
}

/* The features of one image file, converted to 8-bit gray. */
static sg_err measure_file(const char *path, double f[SG_REALISM_FEATURES])
{
    sg_image img = {0}, gray = {0};
    sg_err err = sg_image_read(path, NULL, &img);
    if (err) return err;
    err = sg_image_to_gray(&img, &gray);
    sg_image_free(&img);
    if (err) return err;
    if (gray.width < 2 || gray.height < 2) {
        sg_image_free(&gray);
        return sg_error_set(SG_ERR_FORMAT, "%s: a %dx%d image is too small to measure", path,
                            gray.width, gray.height);
    }
    if (gray.depth == 16) { /* to 8 bits in place: the high byte */
        const uint16_t *wide = gray.pixels;
        uint8_t *narrow = gray.pixels;
        for (size_t i = 0; i < (size_t)gray.width * (size_t)gray.height; i++)
            narrow[i] = (uint8_t)(wide[i] >> 8);
    }
    sg_realism_features(gray.pixels, gray.width, gray.height, f);
    sg_image_free(&gray);
    return SG_OK;
}

int sg_realism_nearest(const sg_realism_reference *ref, const double f[SG_REALISM_FEATURES])
{
    int best = 0;
    double best_d = INFINITY;
    for (int c = 0; c < ref->n_classes; c++) {
        double d = 0.0;
        for (int k = 0; k < SG_REALISM_FEATURES; k++) {
            double e = (f[k] - ref->centroid[c][k]) / ref->scale[k];
            d += e * e;
        }
        if (d < best_d) best_d = d, best = c;
    }
    return best;
}

sg_err sg_realism_measure(const char *dir, int per_class, sg_realism_reference *ref)
{
    memset(ref, 0, sizeof *ref);
    sg_dataset ds;
    sg_err err = sg_dataset_open(dir, false, NULL, &ds);
    if (err) return err;
    if (ds.n_classes > SG_REALISM_MAX_CLASSES) {
        err = sg_error_set(SG_ERR_LIMIT, "%s: %d classes, at most %d can be measured", dir,
                           ds.n_classes, SG_REALISM_MAX_CLASSES);
        sg_dataset_free(&ds);
        return err;
    }
    ref->n_classes = ds.n_classes;
    int64_t counts[SG_REALISM_MAX_CLASSES] = {0};
    sg_dataset_class_counts(&ds, counts);
    /* Every image's features, kept for the spreads and the self test. */
    double (*f)[SG_REALISM_FEATURES] = malloc(sizeof *f * (size_t)(ds.n_samples + 1));
    int *label = malloc(sizeof *label * (size_t)(ds.n_samples + 1));
    if (!f || !label) {
        free(f), free(label), sg_dataset_free(&ds);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d images' figures", dir,
                            ds.n_samples);
    }
    int n = 0;
    int64_t seen[SG_REALISM_MAX_CLASSES] = {0};
    for (int i = 0; i < ds.n_samples && !err; i++) {
        int c = ds.samples[i].label;
        if (c < 0) continue;
        /* Evenly spaced through the class: the j-th of its `total` files is
         * taken when floor(j * per_class / total) steps up (and j = 0). */
        int64_t j = seen[c]++, total = counts[c];
        if (per_class > 0 && per_class < total && j > 0 &&
            (j * per_class) / total == ((j - 1) * per_class) / total)
            continue;
        err = measure_file(ds.samples[i].path, f[n]);
        label[n++] = c;
    }
    if (!err) {
        for (int c = 0; c < ds.n_classes; c++)
            snprintf(ref->names[c], sizeof ref->names[c], "%s", ds.class_names[c]);
        double all_mean[SG_REALISM_FEATURES] = {0};
        for (int i = 0; i < n; i++) {
            ref->count[label[i]]++;
            for (int k = 0; k < SG_REALISM_FEATURES; k++) {
                ref->centroid[label[i]][k] += f[i][k];
                all_mean[k] += f[i][k] / n;
            }
        }
        for (int c = 0; c < ds.n_classes; c++)
            for (int k = 0; k < SG_REALISM_FEATURES && ref->count[c]; k++)
                ref->centroid[c][k] /= ref->count[c];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < SG_REALISM_FEATURES; k++) {
                double d = f[i][k] - ref->centroid[label[i]][k], e = f[i][k] - all_mean[k];
                ref->spread[label[i]][k] += d * d / ref->count[label[i]];
                ref->scale[k] += e * e / n;
            }
        for (int k = 0; k < SG_REALISM_FEATURES; k++) {
            ref->scale[k] = sqrt(ref->scale[k]);
            if (!(ref->scale[k] > 0.0)) ref->scale[k] = 1.0;
            for (int c = 0; c < ds.n_classes; c++) ref->spread[c][k] = sqrt(ref->spread[c][k]);
        }
        int right = 0;
        for (int i = 0; i < n; i++) right += sg_realism_nearest(ref, f[i]) == label[i];
        ref->self_accuracy = n ? (double)right / n : 0.0;
        if (n == 0) err = sg_error_set(SG_ERR_FORMAT, "%s: no labelled image to measure", dir);
    }
    free(f), free(label), sg_dataset_free(&ds);
    return err;
}

sg_err sg_realism_measure_synth(const sg_realism_reference *ref, int size, int per_class,
                                uint64_t seed, sg_realism_synth *out)
{
    memset(out, 0, sizeof *out);
    out->per_class = per_class, out->size = size;
    sg_synth_opts o = sg_synth_defaults();
    o.size = size;
    uint8_t *pixels = malloc((size_t)size * (size_t)size);
    if (!pixels) return sg_error_set(SG_ERR_NOMEM, "realism: out of memory for a %dx%d image", size, size);
    int right = 0, total = 0;
    sg_err err = SG_OK;
    for (int c = 0; c < SG_SYNTH_CLASSES && !err; c++) {
        out->namesake[c] = -1;
        for (int r = 0; r < ref->n_classes; r++)
            if (strcmp(ref->names[r], sg_synth_class_names[c]) == 0) out->namesake[c] = r;
        for (int i = 0; i < per_class && !err; i++) {
            err = sg_synth_sample(&o, seed, (uint64_t)i, c, pixels, NULL, NULL, 0, NULL);
            if (err) break;
            double f[SG_REALISM_FEATURES];
            sg_realism_features(pixels, size, size, f);
            for (int k = 0; k < SG_REALISM_FEATURES; k++) out->centroid[c][k] += f[k] / per_class;
            if (out->namesake[c] < 0) continue;
            int hit = sg_realism_nearest(ref, f) == out->namesake[c];
            out->correct[c] += hit, right += hit, total++;
        }
    }
    out->accuracy = total ? (double)right / total : 0.0;
    free(pixels);
    return err;
}

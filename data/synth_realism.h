/* data/synth_realism.h - how much the synthetic set looks like a real one.
 *
 * Four global figures of an 8-bit gray image, the ones a person notices at a
 * glance: its mean brightness, its standard deviation (contrast), and the
 * mean absolute difference of horizontally and of vertically adjacent pixels
 * (grain and edges across and along the rolling direction). A nearest-centroid
 * classifier fitted on a real data set's classes in these four figures -
 * each figure divided by its standard deviation over all the real images,
 * so that brightness (tens of gray levels) does not drown the gradients
 * (a few) - then labels synthetic images: a synthetic class that lands on
 * its real namesake's centroid looks, in these terms, like it. On NEU-CLS
 * the classifier labels 83 % of the real images themselves correctly.
 *
 * Used by tests/test_synth_realism.c (targets) and bench/bench_synth_realism.c
 * (the full figures as JSON lines). */
#ifndef SG_SYNTH_REALISM_H
#define SG_SYNTH_REALISM_H

#include <stdint.h>

#include "core/error.h"
#include "data/synth.h"

enum { SG_REALISM_FEATURES = 4, SG_REALISM_MAX_CLASSES = 32 };

/* f = {mean, standard deviation (population), mean |I(x+1,y) - I(x,y)|,
 * mean |I(x,y+1) - I(x,y)|} of a width x height gray image (both >= 2). */
void sg_realism_features(const uint8_t *pixels, int width, int height,
                         double f[SG_REALISM_FEATURES]);

/* The real classes: per class the mean of the features (the centroid) and
 * their spread, and the scale each feature is divided by. */
typedef struct sg_realism_reference {
    int n_classes;
    char names[SG_REALISM_MAX_CLASSES][64];
    int count[SG_REALISM_MAX_CLASSES];                          /* images measured */
    double centroid[SG_REALISM_MAX_CLASSES][SG_REALISM_FEATURES];
    double spread[SG_REALISM_MAX_CLASSES][SG_REALISM_FEATURES]; /* within-class std */
    double scale[SG_REALISM_FEATURES];  /* std over all measured images */
    double self_accuracy;               /* the classifier on the measured images */
} sg_realism_reference;

/* Measure up to per_class images of each class of the class-folder (or VOC,
 * or manifest) data set at `dir` (any set sg_dataset_open reads), evenly
 * spaced through each class's sorted files (per_class <= 0: all). Images are
 * converted to gray as PIL's convert("L"). SG_ERR_IO / SG_ERR_FORMAT naming
 * the file that cannot be read; SG_ERR_LIMIT over SG_REALISM_MAX_CLASSES
 * classes. */
sg_err sg_realism_measure(const char *dir, int per_class, sg_realism_reference *ref);

/* The class (index into ref->names) whose centroid is nearest to f in the
 * scaled features. */
int sg_realism_nearest(const sg_realism_reference *ref, const double f[SG_REALISM_FEATURES]);

/* The synthetic classes against the reference: per synthetic class the
 * centroid of its figures, its namesake among the real classes (by name, -1
 * for none, e.g. "good") and how many of its images the real classifier
 * labels with that namesake. */
typedef struct sg_realism_synth {
    int per_class, size;
    double centroid[SG_SYNTH_CLASSES][SG_REALISM_FEATURES];
    int namesake[SG_SYNTH_CLASSES];
    int correct[SG_SYNTH_CLASSES];
    double accuracy;           /* correct / images, over classes with a namesake */
} sg_realism_synth;

/* Generate samples 0 .. per_class-1 of every synthetic class at side `size`
 * with `seed` and measure them against ref. SG_ERR_INVALID / SG_ERR_NOMEM as
 * sg_synth_sample. */
sg_err sg_realism_measure_synth(const sg_realism_reference *ref, int size, int per_class,
                                uint64_t seed, sg_realism_synth *out);

#endif

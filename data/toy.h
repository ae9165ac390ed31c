/* data/toy.h - a small generated image task for the demo and the tests.
 *
 * Four classes of size x size grayscale images in [0, 1]: a clean noisy
 * surface, a horizontal scratch, a vertical scratch, a round spot - each at a
 * random position, length, width and contrast over random grain and an
 * illumination gradient. An image is a pure function of (seed, index), so a
 * data set needs no storage and is the same on every machine and thread count.
 * (The synthetic steel-defect generator of the data layer supersedes it.) */
#ifndef SG_TOY_H
#define SG_TOY_H

#include <stdint.h>

enum { SG_TOY_CLASSES = 4 };

/* Class names, in label order. */
extern const char *const sg_toy_class_names[SG_TOY_CLASSES];

/* Fill pixels[size * size] with image `index`; its label is index % 4. */
void sg_toy_image(uint64_t seed, uint64_t index, int size, float *pixels);
int sg_toy_label(uint64_t index);

#endif

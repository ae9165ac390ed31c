/* data/synth.h - a synthetic steel-defect data set: images, masks, boxes.
 *
 * The generator paints gray images of hot-rolled steel strip in the spirit of
 * the NEU surface defect database (Song & Yan 2013): a procedural background
 * (rolling marks, fine grain, broad brightness bands, an illumination gradient
 * and vignetting, brightness and contrast, sensor noise) whose brightness and
 * grain follow the class's NEU namesake (NEU's images of a class come from
 * the same strips and lighting), and, for six of the seven classes, defects
 * of one family resembling NEU's:
 *
 *   crazing          a texture over the whole image: bright-mid, very grainy
 *                    strip with dense networks of fine, wavy dark cracks
 *                    running mostly across the rolling direction
 *   inclusion        chains of elongated dark (rarely bright) spots in soft
 *                    darker smears along the rolling direction, on a dark,
 *                    smooth strip
 *   patches          large soft dark blotches with strong contrast and a few
 *                    satellite specks, on a bright grainy strip
 *   pitted_surface   many small dark pits over much of a bright strip
 *   rolled-in_scale  a texture over the whole image: groups of small flakes
 *                    flattened across the rolling direction, with a bright
 *                    rim, on a mid-gray strip grained across it
 *   scratches        two to four long bright bands (some wide, a few dark),
 *                    mostly along the rolling direction, on a dark smooth strip
 *   good             the background alone (no NEU namesake: a clean mid-gray
 *                    strip, brightness ~125, with NEU's typical moderate
 *                    grain): no defect, empty mask, no box
 *
 * Per class, mean brightness, contrast and mean |dx|, |dy| are near NEU-CLS's
 * (data/synth_realism.h measures them; bench/bench_synth_realism prints them).
 *
 * Class labels: the six NEU classes in NEU-DET's (alphabetical) order, so
 * labels 0..5 mean what they mean there, and "good" LAST (label 6). Note that
 * torchvision's ImageFolder sorts folder names and would put "good" at index 1
 * of the written tree: match classes by name (manifest.csv has names), not by
 * position.
 *
 * The rolling direction is the image's vertical axis, as in NEU's images
 * (streaks, inclusions and most scratches run top to bottom); the option
 * horizontal_rolling transposes everything.
 *
 * Every random choice comes from the counter-based generator (core/rng.h)
 * keyed by (seed, SG_RNG_DATA, index), with the class in the high bits of the
 * counter: a sample is a pure function of (options, seed, index, class), the
 * same on any number of threads, and sample k of a class does not depend on
 * how many samples or which other classes are generated. Across platforms and
 * compilers the bytes are the same: exp, sin and cos are ours (core/mathf.h),
 * the rest is IEEE arithmetic built with -ffp-contract=off, and every random
 * draw is a statement of its own (C leaves the order of a call's arguments
 * unspecified). */
#ifndef SG_SYNTH_H
#define SG_SYNTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"   /* sg_box */

enum {
    SG_SYNTH_CRAZING = 0,
    SG_SYNTH_INCLUSION,
    SG_SYNTH_PATCHES,
    SG_SYNTH_PITTED_SURFACE,
    SG_SYNTH_ROLLED_IN_SCALE,
    SG_SYNTH_SCRATCHES,
    SG_SYNTH_GOOD,
    SG_SYNTH_CLASSES          /* 7 */
};

/* Image side limits (square images) and the most boxes one sample can have. */
enum { SG_SYNTH_MIN_SIZE = 32, SG_SYNTH_MAX_SIZE = 1024, SG_SYNTH_MAX_BOXES = 16 };

/* Class names in label order ("crazing" ... "scratches", "good"). */
extern const char *const sg_synth_class_names[SG_SYNTH_CLASSES];
/* The label of a class name, or -1. */
int sg_synth_class_from_name(const char *name);

typedef struct sg_synth_opts {
    int size;                  /* image side, SG_SYNTH_MIN_SIZE..SG_SYNTH_MAX_SIZE; default 200 */
    uint32_t classes;          /* bit k set = write class k (sg_synth_write); default all */
    bool horizontal_rolling;   /* rolling direction along x instead of y; default false */
    bool force;                /* sg_synth_write into a non-empty folder: move it aside to
                                  <out_dir>.old (see there); default false */
} sg_synth_opts;

/* size 200, all classes, vertical rolling direction. */
sg_synth_opts sg_synth_defaults(void);

/* Paint sample `index` of class `class_id`:
 *   pixels[size * size]  8-bit gray image, row-major
 *   mask[size * size]    255 where the defect changed the surface, else 0 (may be NULL)
 *   boxes[max_boxes]     one box per defect instance (instances whose pixels
 *                        touch count as one, except crossing scratches),
 *                        tight around its mask pixels but at least 2 pixels
 *                        wide and high (a 1-pixel extent is grown by the
 *                        neighbouring column or row), in Pascal VOC coordinates
 *                        like every sg_box (1-based, inclusive: the pixel
 *                        with 0-based column x is x + 1), label = class_id;
 *                        *n_boxes their number (boxes may be NULL to count
 *                        only; n_boxes may be NULL)
 * Every mask pixel lies in the box of its instance. A "good" sample has an
 * empty mask and no box. SG_ERR_INVALID for a bad size or class,
 * SG_ERR_LIMIT if more than max_boxes boxes would be needed (never with
 * SG_SYNTH_MAX_BOXES), SG_ERR_NOMEM if scratch memory is not available. */
sg_err sg_synth_sample(const sg_synth_opts *o, uint64_t seed, uint64_t index, int class_id,
                       uint8_t *pixels, uint8_t *mask, sg_box *boxes, int max_boxes,
                       int *n_boxes);

/* Write per_class samples (index 0 .. per_class-1) of every class in
 * o->classes under out_dir:
 *   images/<class>/<class>_<k>.png    the images (class folders, as ImageFolder reads)
 *   annotations/<class>_<k>.xml       Pascal VOC boxes, as NEU-DET's files
 *   masks/<class>_<k>.png             0/255 defect masks
 *   manifest.csv                      path,label,split (paths relative to out_dir,
 *                                     label = class name, split empty)
 *   README.txt                        this layout, the seed and the options
 * Samples are generated in parallel; the bytes do not depend on the thread
 * count. The data set is built in a temporary folder beside out_dir
 * (".<name>.synth-<pid>") and renamed into place when complete, so a failure
 * leaves nothing half-written (the temporary folder is removed) and the user's
 * files are never touched: out_dir must not exist or be an empty folder
 * (SG_ERR_INVALID otherwise). With o->force a non-empty out_dir is moved to
 * "<out_dir>.old" after the new set is complete and just before it is renamed
 * into place - nothing is deleted; SG_ERR_IO if "<out_dir>.old" exists.
 * SG_ERR_INVALID for bad options, SG_ERR_IO naming the user's path (never the
 * temporary one) when something cannot be written. */
sg_err sg_synth_write(const char *out_dir, const sg_synth_opts *o, int per_class, uint64_t seed);

#endif

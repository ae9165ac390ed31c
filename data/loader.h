/* data/loader.h - the batch loader: files -> float32 NCHW batches.
 *
 * For each sample: decode once (sg_image_read) and keep the decoded 8-bit
 * image in a RAM cache (NEU-CLS is 72 MB; a 16-bit image is reduced to 8 bits,
 * v * 255 / 65535 rounded, unless keep_depth), convert to the requested
 * channels (PIL's convert("L") / convert("RGB")), scale to [0, 1] (v / 255,
 * or v / 65535 for a 16-bit image kept at 16 bits), resize to the
 * model's input, apply the random augmentation keyed by
 * (seed, SG_RNG_AUGMENT, epoch * N + position), normalise, and write it into
 * its slot of the batch tensor.
 *
 * Background threads build the next batches while the model trains on the
 * current one. The epoch's order is a permutation keyed by (seed, epoch), and
 * every sample is a pure function of (seed, epoch, position, file), so the
 * batches are bit-identical whatever the number of loader or compute
 * threads. Batch buffers and per-thread scratch are allocated when the
 * loader is made (scratch grows only while the first images are seen); no
 * batch calls malloc after that. */
#ifndef SG_LOADER_H
#define SG_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "data/transform.h"

typedef struct sg_loader_opts {
    int batch_size;               /* default 32 */
    int channels;                 /* 1 (gray) or 3 (RGB); default 1 */
    int height, width;            /* model input; required */
    sg_resize_mode resize;        /* default SG_RESIZE_BILINEAR_AA (PIL BILINEAR) */
    bool shuffle;                 /* permute each epoch (train); else file order (eval) */
    bool drop_last;               /* drop a last, smaller batch */
    uint64_t seed;
    const sg_augment_opts *augment; /* NULL: no augmentation (copied at creation) */
    const float *mean, *std;      /* `channels` values each, or NULL: values stay in [0, 1] */
    int workers;                  /* background threads; 0 = default 1; < 0 = none: sg_loader_next builds */
    int prefetch;                 /* batches built ahead; default 2 */
    bool no_cache;                /* decode every time instead of keeping images in RAM */
    bool keep_depth;              /* 16-bit images (PNG, PNM, TIFF) keep their 16 bits: a sample
                                     reaches the batch as v / 65535 (float division), no
                                     precision lost before the network; the cache holds 2
                                     bytes per sample. Default false: reduced to 8 bits first,
                                     (v * 255 + 32767) / 65535, then / 255, like `image decode` */
    int part, parts;              /* parts > 1: build only the images of positions
                                     [part n / parts, (part + 1) n / parts) of each batch of n
                                     (one MPI rank's share, train/dist.h); the other images of
                                     the batch are not written (labels and indices are).
                                     Default 0, 0: the whole batch */
} sg_loader_opts;

/* One batch: pointers into the loader's buffers, valid until the next call. */
typedef struct sg_batch {
    float *images;                /* [n, channels, height, width] */
    int32_t *labels;              /* [n] */
    const int64_t *indices;       /* [n]: which samples (positions in the loader's list) */
    int n;
    int64_t index;                /* batch number within the epoch */
} sg_batch;

typedef struct sg_loader sg_loader;

/* A loader over n files with their labels (copied). Defaults fill zero fields. */
sg_err sg_loader_new(const char *const *paths, const int32_t *labels, int64_t n,
                     const sg_loader_opts *opts, sg_loader **out);
void sg_loader_free(sg_loader *l);

/* Begin epoch `epoch` (any order of epochs is allowed: resuming starts at k). */
sg_err sg_loader_start_epoch(sg_loader *l, int64_t epoch);
/* The next batch of the epoch; *has_batch = false at its end. A file that
 * fails to decode fails the call with the file's name in the message. */
sg_err sg_loader_next(sg_loader *l, sg_batch *batch, bool *has_batch);
int64_t sg_loader_batches_per_epoch(const sg_loader *l);
int64_t sg_loader_size(const sg_loader *l);

/* Build one sample into out (channels x height x width) - what a worker does;
 * exposed for tests and for predicting single images. */
sg_err sg_loader_sample(sg_loader *l, int64_t epoch, int64_t position, int64_t index, float *out);
/* (Call it between epochs only: it shares the decode cache with the workers.) */

#endif

/* train/bench.h - time whole training steps, eval forwards or Grad-CAMs of a zoo model.
 *
 * The one implementation behind `steelgrad bench train`, `steelgrad bench
 * infer` and bench/bench_train_step: build the model (3 channels, `classes`
 * outputs, input side `size`), fill a fixed pseudo-random batch, run one
 * warm-up (it sizes the arena, the optimizer state and the kernels' packing
 * buffers), then `steps` timed repetitions of
 *   train: forward + cross-entropy + backward + Adam step (defaults);
 *   infer: eval-mode forward with no grad (the memory plan of core/graph.h
 *          frees dead activations).
 * Nothing is allocated in the timed loop once the warm-up has grown the
 * arena (arena_grew says whether it still did). Figures only: never pass/fail. */
#ifndef SG_TRAIN_BENCH_H
#define SG_TRAIN_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef struct sg_bench_model_opts {
    const char *model;       /* a zoo name (models/zoo.h) */
    bool train;              /* true: training steps; false: eval forwards */
    int batch, size, classes, steps;
} sg_bench_model_opts;

typedef struct sg_bench_model_result {
    double ms;               /* mean wall time of one timed step / forward */
    double img_s;            /* images per second over the timed steps */
    size_t peak_bytes;       /* the graph's arena high-water mark (sg_graph_peak_bytes) */
    size_t forward_bytes;    /* arena in use after the forward (train: + loss) */
    bool arena_grew;         /* the arena still grew during the timed steps */
    long peak_rss_kb;        /* the process's peak RSS (getrusage ru_maxrss) */
} sg_bench_model_result;

/* SG_ERR_INVALID naming the model or a bad size; a forward's error otherwise
 * (message in sg_error_message()). Uses the current thread count. */
sg_err sg_bench_model(const sg_bench_model_opts *o, sg_bench_model_result *r);

/* The cost of one Grad-CAM (interp/gradcam.h) of one image against one
 * eval-mode forward + full backward (the sum of the logits; every weight
 * gradient) of the same image, on the same model (3 channels): one warm-up
 * of each, then the best of `repeats` of each. The target is
 * gradcam_ms <= 2 forward_backward_ms. Behind `steelgrad bench gradcam` and
 * bench/bench_gradcam. */
typedef struct sg_bench_gradcam_opts {
    const char *model;       /* a zoo name */
    const char *layer;       /* NULL or "": the model's default_layer */
    int method;              /* an sg_cam_method */
    int size, classes, repeats;
} sg_bench_gradcam_opts;

typedef struct sg_bench_gradcam_result {
    double gradcam_ms, forward_backward_ms;   /* best of the repeats */
    double ratio;                             /* gradcam_ms / forward_backward_ms */
} sg_bench_gradcam_result;

/* SG_ERR_INVALID for a bad model, layer, size or count; a forward's error otherwise. */
sg_err sg_bench_gradcam(const sg_bench_gradcam_opts *o, sg_bench_gradcam_result *r);

#endif

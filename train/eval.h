/* train/eval.h - a trained checkpoint on new images: metrics over a data set
 * (`steelgrad eval`) and class probabilities per image (`steelgrad predict`).
 *
 * The checkpoint (train/checkpoint.h) names its model, options and classes,
 * so the input pipeline is the training one without augmentation: decode,
 * convert to the model's channels, scale to [0, 1], resize (PIL BILINEAR)
 * to the model's side, normalise as in training. */
#ifndef SG_TRAIN_EVAL_H
#define SG_TRAIN_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "interp/metrics.h"
#include "train/checkpoint.h"

/* Decode every file once (in parallel); bad[i] = it failed, with its
 * one-line reason in messages[i]. With `digests` (n x 32 bytes), also the
 * SHA-256 of each file's bytes (of its path if it cannot be read), for
 * grouping byte-identical copies. */
typedef char sg_image_message[384];
void sg_images_check(const char *const *paths, int64_t n, bool *bad, sg_image_message *messages,
                     uint8_t *digests);

/* Eval-mode forward (no tape) of one epoch of loader l (no shuffle) through
 * model m: probs [n, K] (softmax), truth [n], pred [n] (argmax), *loss = mean
 * cross-entropy. *n = images seen. */
sg_err sg_evaluate_loader(sg_graph *g, sg_model *m, sg_loader *l, int K, int channels, int size,
                          float *probs, int32_t *truth, int32_t *pred, double *loss, int64_t *n);

/* The same with test-time augmentation: views = 1 is sg_evaluate_loader;
 * 4 averages the softmax of the images as they are, mirrored left-right,
 * top-bottom and both (in that order), and *loss is the mean of
 * -log p(true class) of the averaged probabilities. */
sg_err sg_evaluate_loader_tta(sg_graph *g, sg_model *m, sg_loader *l, int K, int channels, int size,
                              int views, float *probs, int32_t *truth, int32_t *pred, double *loss,
                              int64_t *n);
/* probs [n, K] of the images x [n, C, S, S] (eval mode, no tape): the
 * softmax of one forward, or with views = 4 the mean of the softmaxes of
 * x, x mirrored left-right, top-bottom and both, added in that order and
 * scaled by 1/4. The graph is reset before each view and left reset, in
 * the grad and training modes it had. */
sg_err sg_forward_probs(sg_graph *g, sg_model *m, float *x, int64_t n, int C, int S, int K, int views,
                        float *probs);
/* The views of a --tta value: 4 for "flips", else 1 ("none"). */
int sg_tta_views(const char *tta);

/* The loader options of inference with rm's training pipeline. */
sg_loader_opts sg_run_model_loader_opts(const sg_run_model *rm, int batch);

/* `steelgrad eval`: the metrics of checkpoint `rm` on a data set. */
typedef struct sg_eval_result {
    sg_metrics metrics;
    int64_t *confusion;          /* [K * K] */
    sg_class_metrics *per_class; /* [K] */
    sg_notes skipped;            /* files left out, "name: reason" */
} sg_eval_result;

/* Images of a class folder (all of them) or of a manifest (the rows of
 * `split`, or all rows if split is NULL or ""). Class names are matched to
 * the checkpoint's by name (a class the checkpoint does not know is an
 * error). A corrupt image is skipped and noted, or with `strict` an error. */
sg_err sg_eval_run(sg_run_model *rm, const char *data_dir, const char *manifest, const char *split,
                   bool strict, sg_eval_result *out);
/* The same, also writing every image's prediction to `predictions` (see
 * sg_predictions_write; NULL: none). */
sg_err sg_eval_run_predictions(sg_run_model *rm, const char *data_dir, const char *manifest, const char *split,
                               bool strict, const char *predictions, sg_eval_result *out);
void sg_eval_result_free(sg_eval_result *r);

/* Per-image predictions as CSV (RFC 4180, CRLF records), one row per image:
 *   file,split,true,predicted,<class 0>,<class 1>,...
 *   data/crazing/a.bmp,test,crazing,crazing,0.981234,0.00123,...
 * file: the path as the run or eval read it; split: train/val/test or ""
 * (a folder evaluated whole); true / predicted: class names (predicted =
 * argmax of the row, the first on ties); then the softmax probability of
 * every class, in the checkpoint's class order (the header names them),
 * written with %.9g so they read back as the same float. `steelgrad train`
 * writes RUN/predictions.csv (the test split, or val when the run has no test
 * split); `steelgrad eval --predictions FILE` the same for what it evaluated.
 * Written atomically; SG_ERR_INVALID when path is one of `inputs`. */
sg_err sg_predictions_write(const char *path, const char *const *files, const char *split,
                            const int32_t *truth, const float *probs, int64_t n, int K,
                            const char *const *class_names, const char *const *inputs, int n_inputs);

/* A predictions file read back (the report's input). */
typedef struct sg_predictions {
    int64_t n;
    int K;
    char **class_names;          /* [K], from the header */
    char **files;                /* [n] */
    int32_t *truth, *pred;       /* [n]: class indices */
    float *probs;                /* [n, K] */
    char *split;                 /* the first row's split ("" if none) */
} sg_predictions;
/* Errors name the file and the line: a header without class columns, a row
 * of the wrong length, a class that is not in the header, a probability that
 * is not a number. */
sg_err sg_predictions_read(const char *path, sg_predictions *out);
void sg_predictions_free(sg_predictions *p);

/* `steelgrad predict`: probs [K] of one image file. */
sg_err sg_predict_file(sg_run_model *rm, sg_graph *g, const char *path, float *probs);

/* The model input of a decoded image, as the loader builds it without
 * augmentation (8 bits unless the run kept 16, the model's channels, [0, 1],
 * resize, normalisation): x [C, S, S] normalised; raw (may be NULL) the same
 * before normalisation, for drawing. `name` is used in error messages. */
sg_err sg_run_model_input(const sg_run_model *rm, const sg_image *img, const char *name, float *x, float *raw);
/* probs [K] of one decoded image (`steelgrad serve`); x is [C, S, S]
 * working memory; equals sg_predict_file on the image's file. */
sg_err sg_predict_image(sg_run_model *rm, sg_graph *g, const sg_image *img, const char *name, float *x,
                        float *probs);

#endif

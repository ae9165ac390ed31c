/* train/anomaly.h - training an autoencoder (models/cae.h) on healthy images
 * and running it on new ones, for the anomaly scores of interp/anomaly.h.
 *
 * Images go in as gray S x S in [0, 1]: decoded, converted to gray (PIL
 * "L"), optionally CLAHE-equalised on the 8-bit image (OpenCV's, 8 x 8 tiles,
 * clip 2 as paper 003's preprocessing), resized with PIL BILINEAR. The whole
 * (small) healthy set is held in memory. Training: Adam, MSE between input
 * and reconstruction (mean over pixels and batch), mini-batches in a Philox
 * order keyed by (seed, epoch): the same seed gives the same weights.
 * Optionally + lambda mean(z^2) of the latent code (latent_l2). The
 * pieces are the classifier engine's (graph, parameters, optimiser, atomic
 * safetensors writes); only the loss and the input differ. */
#ifndef SG_TRAIN_ANOMALY_H
#define SG_TRAIN_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "models/cae.h"

/* Load n images to out [n x S x S] (gray). An unreadable image is an error naming it. */
sg_err sg_anomaly_load_images(const char *const *paths, int64_t n, int size, bool clahe, float *out);

/* The SSIM-L1 hybrid as a differentiable loss on graph tensors [N, 1, S, S]
 * (paper 003): 0.84 * (1 - SSIM) / 2 + 0.16 * mean|pred - target|, SSIM with
 * interp/anomaly.h's definition (7 x 7 uniform window, valid positions,
 * sample covariance, C1 = 0.01^2, C2 = 0.03^2), averaged over the batch.
 * Built from pooling and elementwise ops, so its gradient is theirs. */
sg_tensor *sg_anomaly_ssim_l1_loss(sg_graph *g, sg_tensor *pred, sg_tensor *target);

typedef enum sg_anomaly_loss { SG_ANOMALY_MSE = 0, SG_ANOMALY_SSIM_L1 = 1 } sg_anomaly_loss;

typedef struct sg_anomaly_train_opts {
    sg_anomaly_loss loss;        /* default MSE */
    int epochs;                  /* >= 1 */
    int batch;                   /* >= 1 */
    double lr;                   /* Adam, > 0 */
    uint64_t seed;
    /* lambda >= 0: adds lambda * mean(z^2) over the latent code z to the loss
     * (paper 000's "lambda regularization (0.1) ... to reduce variance in the
     * learned features", read as an L2 penalty on the features); 0: none. */
    double latent_l2;
    /* Called after every epoch with its mean loss (may be NULL). */
    void (*on_epoch)(int epoch, double loss, void *ctx);
    void *ctx;
} sg_anomaly_train_opts;

/* Train m on images [n x S x S]; *final_loss = the last epoch's mean loss. A
 * NaN loss is an error naming the epoch. */
sg_err sg_anomaly_train(sg_cae *m, const float *images, int64_t n, const sg_anomaly_train_opts *o,
                        double *final_loss);

/* Eval-mode reconstructions recon [n x S x S] and, if latent is not NULL, the
 * flattened latent codes [n x latent_dim] (latent_dim = sg_cae_latent_dim). */
sg_err sg_anomaly_reconstruct(sg_cae *m, const float *images, int64_t n, float *recon, float *latent);
int64_t sg_cae_latent_dim(const sg_cae *m);

#endif

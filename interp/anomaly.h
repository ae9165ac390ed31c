/* interp/anomaly.h - anomaly scores of autoencoder reconstructions (paper 000
 * and paper 003) and the decision at a threshold.
 *
 *   mse      mean squared residual of the image; with the SPC threshold
 *            T = mu + C * sigma of the training images' scores (paper 000, C = 0.01)
 *   p99      the 99th percentile of |x - x_hat| over the pixels (numpy's
 *            default linear interpolation between order statistics)
 *   ssim     SSIM-L1 hybrid: alpha * (1 - SSIM) / 2 + (1 - alpha) * mean|x - x_hat|,
 *            alpha = 0.84 (Zhao et al. 2017), SSIM with a 7 x 7 uniform window
 *            over the valid positions, C1 = 0.01^2, C2 = 0.03^2, data range 1
 *            (scikit-image's structural_similarity defaults, sample covariance)
 *   pcagmm   the latent codes of the training images reduced by PCA (64
 *            components, fewer when the training set is smaller) and a Gaussian
 *            mixture fitted on them; score = -log p(z) (optim/pca.h, optim/gmm.h)
 * Every score is "larger = more anomalous"; every threshold is mu + C sigma of
 * the training scores (population sigma). */
#ifndef SG_INTERP_ANOMALY_H
#define SG_INTERP_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sg_anomaly_score { SG_SCORE_MSE = 0, SG_SCORE_P99, SG_SCORE_SSIM, SG_SCORE_PCAGMM } sg_anomaly_score;

/* "spc" (= mse) | "mse", "p99", "ssim", "pcagmm"; false for anything else. */
bool sg_anomaly_score_parse(const char *name, sg_anomaly_score *out);

/* Pixel scores of one S x S gray image x and its reconstruction r. */
double sg_score_mse(const float *x, const float *r, int64_t n);
double sg_score_p99(const float *x, const float *r, int64_t n);   /* needs no scratch: sorts a copy */
double sg_ssim(const float *x, const float *r, int S);
double sg_score_ssim_l1(const float *x, const float *r, int S);

/* threshold = mean + C * std (population) of scores[0..n). */
double sg_spc_threshold(const double *scores, int64_t n, double C);

/* pcagmm: fit PCA (k = min(64, n_train - 1, D)) + a K-component mixture on
 * train_latent [n_train x D], then out[i] = -log p of test_latent row i.
 * Also gives the training rows' scores (train_out, may be NULL). */
sg_err sg_score_pcagmm(const float *train_latent, int64_t n_train, const float *test_latent, int64_t n_test,
                       int64_t D, int components, bool diagonal, uint64_t seed, double *train_out, double *out);

/* The reconstruction-error picture of paper 000: input | reconstruction |
 * |error| side by side, each S x S, 8-bit gray, the error scaled so that
 * its maximum is white (all black when the reconstruction is exact);
 * written as a PNG at `path`. */
sg_err sg_recon_error_png(const float *x, const float *r, int S, const char *path);

/* Binary metrics with "anomalous" the positive class: AUROC of the scores
 * (ties 1/2) and accuracy / precision / recall / F1 of score > threshold. */
typedef struct sg_anomaly_metrics {
    double auroc, accuracy, precision, recall, f1;
    int64_t tp, fp, tn, fn;
} sg_anomaly_metrics;
sg_err sg_anomaly_metrics_compute(const double *scores, const bool *anomalous, int64_t n, double threshold,
                                  sg_anomaly_metrics *out);

#endif

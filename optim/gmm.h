/* optim/gmm.h - Gaussian mixture models fitted by EM, as scikit-learn's
 * GaussianMixture (full or diagonal covariance).
 *
 *   log N(x | mu_k, S_k) = -1/2 (D log 2pi + |M_k'(x - mu_k)|^2) + log det M_k,
 *   M_k M_k' = S_k^-1 (sklearn's precisions_cholesky);
 *   E-step: log r_ik = log w_k + log N(x_i | k) - logsumexp_k(...);
 *           lower bound = mean_i logsumexp_k(...) (= the mean log-likelihood);
 *   M-step: n_k = sum_i r_ik + 10 eps, w_k = n_k / sum n, mu_k = sum_i r_ik x_i / n_k,
 *           full S_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)' / n_k + reg_covar I,
 *           diag s_kj = sum_i r_ik x_ij^2 / n_k - mu_kj^2 + reg_covar.
 * Iterations: E then M; stop when |lower bound - previous| < tol (sklearn's
 * order, so the counts agree), or after max_iter (reported).
 * Initial parameters: weights_init / means_init / precisions_init when given
 * (as sklearn's; precisions, not covariances), else from k-means: k-means++
 * seeding driven by our Philox generator keyed by `seed`, then Lloyd
 * iterations, responsibilities one-hot (sklearn's init_params="kmeans";
 * the same seed gives the same fit, not sklearn's own random pick).
 * Double precision inside; X arrives as float32. */
#ifndef SG_OPTIM_GMM_H
#define SG_OPTIM_GMM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sg_gmm_covariance { SG_GMM_FULL = 0, SG_GMM_DIAG = 1 } sg_gmm_covariance;

typedef struct sg_gmm_opts {
    int components;              /* K >= 1 */
    sg_gmm_covariance covariance;
    double tol;                  /* >= 0; sklearn's default 1e-3 */
    double reg_covar;            /* >= 0; sklearn's default 1e-6 */
    int max_iter;                /* >= 1; sklearn's default 100 */
    uint64_t seed;
    const double *weights_init;    /* [K] or NULL */
    const double *means_init;      /* [K x D] or NULL */
    const double *precisions_init; /* full [K x D x D], diag [K x D], or NULL */
} sg_gmm_opts;

/* K components, full covariance, tol 1e-3, reg_covar 1e-6, max_iter 100, seed 0. */
sg_gmm_opts sg_gmm_opts_default(int components);

typedef struct sg_gmm {
    int components;              /* K */
    int64_t dim;                 /* D */
    sg_gmm_covariance covariance;
    double reg_covar;            /* as fitted */
    double *weights;             /* [K] */
    double *means;               /* [K x D] */
    double *covariances;         /* full [K x D x D], diag [K x D] */
    double *precisions_cholesky; /* full [K x D x D] (upper: M = L^-T), diag [K x D] */
    double lower_bound;          /* mean log-likelihood of the training data at the last E-step */
    int iterations;
    bool converged;
} sg_gmm;

/* Fit on X [N x D] (N >= K). Errors: NaN/inf (row and column named), a
 * covariance that is not positive definite (the component named: raise
 * reg_covar), bad options. */
sg_err sg_gmm_fit(const float *X, int64_t N, int64_t D, const sg_gmm_opts *opts, sg_gmm *out);
/* out[i] = log p(x_i) = logsumexp_k(log w_k + log N(x_i | k)) (sklearn's
 * score_samples). SG_ERR_SHAPE for a D other than the fitted one. */
sg_err sg_gmm_score_samples(const sg_gmm *g, const float *X, int64_t N, int64_t D, double *out);
void sg_gmm_free(sg_gmm *g);

#endif

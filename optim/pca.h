/* optim/pca.h - principal component analysis, as scikit-learn's PCA.
 *
 * fit: mean = column means; Xc = X - mean; the covariance Xc'Xc / (N - 1) is
 * diagonalised by cyclic Jacobi rotations (when D <= N), or, when D > N, the
 * Gram matrix Xc Xc' (N x N, the small side: same non-zero eigenvalues times
 * N - 1, component v = Xc'u / sqrt(lambda)). Components are the eigenvectors
 * of the k largest eigenvalues, sorted decreasing; each component's sign is
 * scikit-learn's svd_flip(u_based_decision=False): its entry of largest
 * magnitude is positive. explained_variance = eigenvalue, ratio = eigenvalue
 * / trace of the covariance. transform(x) = (x - mean) . components'.
 * Double precision throughout; inputs and outputs float32. Components of a
 * zero eigenvalue (k > rank) are undefined in sklearn; here they are 0. */
#ifndef SG_OPTIM_PCA_H
#define SG_OPTIM_PCA_H

#include <stdint.h>

#include "core/error.h"

typedef struct sg_pca {
    int64_t dim;                 /* D */
    int64_t components;          /* k */
    double *mean;                /* [D] */
    double *basis;               /* [k x D], row i = component i (sklearn's components_) */
    double *explained_variance;  /* [k] */
    double *explained_variance_ratio; /* [k] */
} sg_pca;

/* Fit k components (1 <= k <= min(N, D)) on X [N x D], N >= 2. A NaN or
 * infinite value is SG_ERR_INVALID naming its row and column. */
sg_err sg_pca_fit(const float *X, int64_t N, int64_t D, int64_t k, sg_pca *out);
/* out [N x k] = (X - mean) . basis'. D must be the fitted one (SG_ERR_SHAPE). */
sg_err sg_pca_transform(const sg_pca *p, const float *X, int64_t N, int64_t D, float *out);
void sg_pca_free(sg_pca *p);

/* Eigen-decomposition of the symmetric n x n matrix A (destroyed) by cyclic
 * Jacobi rotations: eigenvalues in w [n], eigenvectors as the columns of V
 * [n x n] (row-major), sorted by decreasing eigenvalue. Returns the sweeps
 * taken (at most 100; off-diagonal mass below 1e-30 of the total stops it). */
int sg_jacobi_eigen(double *A, int64_t n, double *w, double *V);

#endif

/* optim/gmm.c - Gaussian mixtures by EM (see gmm.h for the formulas). */
#include "optim/gmm.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* Key purpose of the k-means++ picks (kept apart from core/rng.h's list). */
#define GMM_RNG_PURPOSE 21u

sg_gmm_opts sg_gmm_opts_default(int components)
{
    return (sg_gmm_opts){.components = components, .covariance = SG_GMM_FULL, .tol = 1e-3,
                         .reg_covar = 1e-6, .max_iter = 100};
}

void sg_gmm_free(sg_gmm *g)
{
    if (!g) return;
    free(g->weights);
    free(g->means);
    free(g->covariances);
    free(g->precisions_cholesky);
    memset(g, 0, sizeof *g);
}

/* Lower Cholesky factor L of the symmetric A (n x n): A = L L'. False if A
 * is not positive definite. */
static bool cholesky(const double *A, int64_t n, double *L)
{
    memset(L, 0, (size_t)(n * n) * sizeof *L);
    for (int64_t j = 0; j < n; j++) {
        double d = A[j * n + j];
        for (int64_t k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0.0)) return false;
        L[j * n + j] = sqrt(d);
        for (int64_t i = j + 1; i < n; i++) {
            double s = A[i * n + j];
            for (int64_t k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = s / L[j * n + j];
        }
    }
    return true;
}

/* precisions_cholesky of component k from its covariance (M = L^-T). */
static sg_err precision_from_covariance(sg_gmm *g, int k, double *scratch)
{
    const int64_t D = g->dim;
    if (g->covariance == SG_GMM_DIAG) {
        for (int64_t j = 0; j < D; j++) {
            const double v = g->covariances[k * D + j];
            if (!(v > 0.0))
                return sg_error_set(SG_ERR_INVALID, "gmm: component %d has variance %g in column %lld (not > 0); "
                                    "increase reg_covar", k, v, (long long)j);
            g->precisions_cholesky[k * D + j] = 1.0 / sqrt(v);
        }
        return SG_OK;
    }
    double *L = scratch, *M = g->precisions_cholesky + (int64_t)k * D * D;
    if (!cholesky(g->covariances + (int64_t)k * D * D, D, L))
        return sg_error_set(SG_ERR_INVALID, "gmm: the covariance of component %d is not positive definite "
                            "(ill-defined: collapsed samples?); increase reg_covar", k);
    /* Inverse of L by forward substitution, column by column: L X = I; M = X'. */
    memset(M, 0, (size_t)(D * D) * sizeof *M);
    for (int64_t c = 0; c < D; c++)
        for (int64_t i = c; i < D; i++) {
            double s = i == c ? 1.0 : 0.0;
            for (int64_t k2 = c; k2 < i; k2++) s -= L[i * D + k2] * M[c * D + k2];
            M[c * D + i] = s / L[i * D + i];   /* X[i][c], stored transposed */
        }
    return SG_OK;
}

/* wlp [N x K] = log w_k + log N(x_i | k). */
static void weighted_log_prob(const sg_gmm *g, const double *X, int64_t N, double *wlp, double *y)
{
    const int64_t D = g->dim;
    const int K = g->components;
    const double log2pi = log(2.0 * 3.14159265358979323846);
    for (int k = 0; k < K; k++) {
        const double *mu = g->means + (int64_t)k * D;
        double log_det = 0.0;
        if (g->covariance == SG_GMM_DIAG) {
            const double *p = g->precisions_cholesky + (int64_t)k * D;
            for (int64_t j = 0; j < D; j++) log_det += log(p[j]);
            for (int64_t i = 0; i < N; i++) {
                double q = 0.0;
                for (int64_t j = 0; j < D; j++) {
                    const double z = (X[i * D + j] - mu[j]) * p[j];
                    q += z * z;
                }
                wlp[i * K + k] = -0.5 * ((double)D * log2pi + q) + log_det + log(g->weights[k]);
            }
        } else {
            const double *M = g->precisions_cholesky + (int64_t)k * D * D;
            for (int64_t j = 0; j < D; j++) log_det += log(M[j * D + j]);
            for (int64_t i = 0; i < N; i++) {
                /* y = (x - mu)' M (M triangular: upper from a covariance, lower
                 * from precisions_init; either has M M' = precision). */
                for (int64_t c = 0; c < D; c++) y[c] = 0.0;
                for (int64_t r = 0; r < D; r++) {
                    const double d = X[i * D + r] - mu[r];
                    for (int64_t c = 0; c < D; c++) y[c] += d * M[r * D + c];
                }
                double q = 0.0;
                for (int64_t c = 0; c < D; c++) q += y[c] * y[c];
                wlp[i * K + k] = -0.5 * ((double)D * log2pi + q) + log_det + log(g->weights[k]);
            }
        }
    }
}

static double logsumexp(const double *v, int K)
{
    double m = v[0];
    for (int k = 1; k < K; k++)
        if (v[k] > m) m = v[k];
    if (!isfinite(m)) return m;
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp(v[k] - m);
    return m + log(s);
}

/* M-step from responsibilities resp [N x K]. */
static sg_err m_step(sg_gmm *g, const double *X, int64_t N, const double *resp, double *scratch)
{
    const int64_t D = g->dim;
    const int K = g->components;
    double total = 0.0;
    for (int k = 0; k < K; k++) {
        double nk = 10.0 * DBL_EPSILON;
        for (int64_t i = 0; i < N; i++) nk += resp[i * K + k];
        g->weights[k] = nk;
        total += nk;
        double *mu = g->means + (int64_t)k * D;
        for (int64_t j = 0; j < D; j++) {
            double s = 0.0;
            for (int64_t i = 0; i < N; i++) s += resp[i * K + k] * X[i * D + j];
            mu[j] = s / nk;
        }
        if (g->covariance == SG_GMM_DIAG) {
            double *v = g->covariances + (int64_t)k * D;
            for (int64_t j = 0; j < D; j++) {
                double s = 0.0;
                for (int64_t i = 0; i < N; i++) s += resp[i * K + k] * X[i * D + j] * X[i * D + j];
                v[j] = s / nk - mu[j] * mu[j] + g->reg_covar;
            }
        } else {
            double *S = g->covariances + (int64_t)k * D * D;
            for (int64_t a = 0; a < D; a++)
                for (int64_t b = a; b < D; b++) {
                    double s = 0.0;
                    for (int64_t i = 0; i < N; i++)
                        s += resp[i * K + k] * (X[i * D + a] - mu[a]) * (X[i * D + b] - mu[b]);
                    S[a * D + b] = S[b * D + a] = s / nk + (a == b ? g->reg_covar : 0.0);
                }
        }
    }
    for (int k = 0; k < K; k++) g->weights[k] /= total;
    for (int k = 0; k < K; k++) {
        sg_err err = precision_from_covariance(g, k, scratch);
        if (err != SG_OK) return err;
    }
    return SG_OK;
}

/* k-means++ seeding (Philox) and Lloyd iterations; label [N]. */
static void kmeans(const double *X, int64_t N, int64_t D, int K, uint64_t seed, double *centers, double *dist,
                   int *label)
{
    sg_rng_key key = {.seed = seed, .purpose = GMM_RNG_PURPOSE, .step = 0};
    int64_t first = (int64_t)sg_rng_below(key, 0, (uint32_t)N);
    memcpy(centers, X + first * D, (size_t)D * sizeof *centers);
    for (int64_t i = 0; i < N; i++) dist[i] = INFINITY;
    for (int c = 1; c < K; c++) {
        /* d_i = squared distance to the nearest center so far; pick i with probability d_i / sum d. */
        double total = 0.0;
        for (int64_t i = 0; i < N; i++) {
            double s = 0.0;
            for (int64_t j = 0; j < D; j++) {
                const double d = X[i * D + j] - centers[(int64_t)(c - 1) * D + j];
                s += d * d;
            }
            if (s < dist[i]) dist[i] = s;
            total += dist[i];
        }
        double u = (double)sg_rng_uniform(key, (uint64_t)c) * total, acc = 0.0;
        int64_t pick = N - 1;
        for (int64_t i = 0; i < N; i++) {
            acc += dist[i];
            if (acc > u) {
                pick = i;
                break;
            }
        }
        memcpy(centers + (int64_t)c * D, X + pick * D, (size_t)D * sizeof *centers);
    }
    for (int64_t i = 0; i < N; i++) label[i] = -1;
    for (int iter = 0; iter < 300; iter++) {
        bool changed = false;
        for (int64_t i = 0; i < N; i++) {
            int best = 0;
            double best_d = INFINITY;
            for (int c = 0; c < K; c++) {
                double s = 0.0;
                for (int64_t j = 0; j < D; j++) {
                    const double d = X[i * D + j] - centers[(int64_t)c * D + j];
                    s += d * d;
                }
                if (s < best_d) {
                    best_d = s;
                    best = c;
                }
            }
            if (label[i] != best) changed = true;
            label[i] = best;
        }
        if (!changed) break;
        for (int c = 0; c < K; c++) {
            int64_t n = 0;
            double *ctr = centers + (int64_t)c * D;
            for (int64_t i = 0; i < N; i++) n += label[i] == c;
            if (n == 0) continue;   /* an empty cluster keeps its center */
            for (int64_t j = 0; j < D; j++) {
                double s = 0.0;
                for (int64_t i = 0; i < N; i++)
                    if (label[i] == c) s += X[i * D + j];
                ctr[j] = s / (double)n;
            }
        }
    }
}

sg_err sg_gmm_fit(const float *Xf, int64_t N, int64_t D, const sg_gmm_opts *o, sg_gmm *out)
{
    memset(out, 0, sizeof *out);
    const int K = o->components;
    if (K < 1) return sg_error_set(SG_ERR_INVALID, "gmm: components must be >= 1, got %d", K);
    if (D < 1 || N < K)
        return sg_error_set(SG_ERR_SHAPE, "gmm: need D >= 1 and at least %d rows (one per component), got %lld x %lld",
                            K, (long long)N, (long long)D);
    if (!(o->tol >= 0.0) || !(o->reg_covar >= 0.0) || o->max_iter < 1 ||
        (o->covariance != SG_GMM_FULL && o->covariance != SG_GMM_DIAG))
        return sg_error_set(SG_ERR_INVALID, "gmm: tol and reg_covar must be >= 0, max_iter >= 1, covariance full or diag");
    for (int64_t i = 0; i < N * D; i++)
        if (!isfinite(Xf[i]))
            return sg_error_set(SG_ERR_INVALID, "gmm: value at row %lld, column %lld is %s", (long long)(i / D),
                                (long long)(i % D), isnan(Xf[i]) ? "NaN" : "infinite");
    if (o->weights_init) {
        double s = 0.0;
        for (int k = 0; k < K; k++) {
            if (!(o->weights_init[k] >= 0.0 && o->weights_init[k] <= 1.0))
                return sg_error_set(SG_ERR_INVALID, "gmm: weights_init[%d] = %g is not in [0, 1]", k, o->weights_init[k]);
            s += o->weights_init[k];
        }
        if (fabs(s - 1.0) > 1e-6)
            return sg_error_set(SG_ERR_INVALID, "gmm: weights_init sum to %.9g, expected 1", s);
    }
    const int64_t cov_n = o->covariance == SG_GMM_FULL ? (int64_t)K * D * D : (int64_t)K * D;
    double *X = malloc((size_t)(N * D) * sizeof *X);
    double *wlp = malloc((size_t)(N * K) * sizeof *wlp);
    double *scratch = malloc((size_t)(D * D + D + N) * sizeof *scratch);
    int *label = malloc((size_t)N * sizeof *label);
    out->weights = malloc((size_t)K * sizeof *out->weights);
    out->means = malloc((size_t)((int64_t)K * D) * sizeof *out->means);
    out->covariances = malloc((size_t)cov_n * sizeof *out->covariances);
    out->precisions_cholesky = malloc((size_t)cov_n * sizeof *out->precisions_cholesky);
    sg_err err = SG_OK;
    if (!X || !wlp || !scratch || !label || !out->weights || !out->means || !out->covariances ||
        !out->precisions_cholesky) {
        err = sg_error_set(SG_ERR_NOMEM, "gmm: out of memory for %lld x %lld", (long long)N, (long long)D);
        goto done;
    }
    out->components = K;
    out->dim = D;
    out->covariance = o->covariance;
    out->reg_covar = o->reg_covar;
    for (int64_t i = 0; i < N * D; i++) X[i] = Xf[i];
    /* Initial parameters: k-means responsibilities, then whatever the caller gives. */
    if (!(o->weights_init && o->means_init && o->precisions_init)) {
        double *centers = out->means;   /* K x D, overwritten by the M-step */
        kmeans(X, N, D, K, o->seed, centers, scratch + D * D + D, label);
        for (int64_t i = 0; i < N; i++)
            for (int k = 0; k < K; k++) wlp[i * K + k] = label[i] == k ? 1.0 : 0.0;
        if ((err = m_step(out, X, N, wlp, scratch)) != SG_OK) goto done;
    }
    if (o->weights_init) memcpy(out->weights, o->weights_init, (size_t)K * sizeof *out->weights);
    if (o->means_init) memcpy(out->means, o->means_init, (size_t)((int64_t)K * D) * sizeof *out->means);
    if (o->precisions_init) {
        for (int k = 0; k < K; k++) {
            if (o->covariance == SG_GMM_DIAG) {
                for (int64_t j = 0; j < D; j++) {
                    const double p = o->precisions_init[(int64_t)k * D + j];
                    if (!(p > 0.0)) {
                        err = sg_error_set(SG_ERR_INVALID, "gmm: precisions_init[%d][%lld] = %g is not > 0", k,
                                           (long long)j, p);
                        goto done;
                    }
                    out->precisions_cholesky[(int64_t)k * D + j] = sqrt(p);
                    out->covariances[(int64_t)k * D + j] = 1.0 / p;
                }
            } else if (!cholesky(o->precisions_init + (int64_t)k * D * D, D,
                                 out->precisions_cholesky + (int64_t)k * D * D)) {
                err = sg_error_set(SG_ERR_INVALID, "gmm: precisions_init of component %d is not positive definite", k);
                goto done;
            }
        }
    }
    double lower_bound = -INFINITY;
    int it = 0;
    for (it = 1; it <= o->max_iter; it++) {
        const double prev = lower_bound;
        weighted_log_prob(out, X, N, wlp, scratch);
        double sum = 0.0;
        for (int64_t i = 0; i < N; i++) {
            const double lse = logsumexp(wlp + i * K, K);
            sum += lse;
            for (int k = 0; k < K; k++) wlp[i * K + k] = exp(wlp[i * K + k] - lse);
        }
        lower_bound = sum / (double)N;
        if ((err = m_step(out, X, N, wlp, scratch)) != SG_OK) goto done;
        if (fabs(lower_bound - prev) < o->tol) {
            out->converged = true;
            break;
        }
    }
    out->iterations = it > o->max_iter ? o->max_iter : it;
    out->lower_bound = lower_bound;
done:
    free(X);
    free(wlp);
    free(scratch);
    free(label);
    if (err != SG_OK) sg_gmm_free(out);
    return err;
}

sg_err sg_gmm_score_samples(const sg_gmm *g, const float *Xf, int64_t N, int64_t D, double *out)
{
    if (D != g->dim)
        return sg_error_set(SG_ERR_SHAPE, "gmm: data have %lld columns, the mixture was fitted on %lld",
                            (long long)D, (long long)g->dim);
    const int K = g->components;
    double *x = malloc((size_t)D * sizeof *x), *wlp = malloc((size_t)K * sizeof *wlp);
    double *y = malloc((size_t)D * sizeof *y);
    if (!x || !wlp || !y) {
        free(x);
        free(wlp);
        free(y);
        return sg_error_set(SG_ERR_NOMEM, "gmm: out of memory");
    }
    for (int64_t i = 0; i < N; i++) {
        for (int64_t j = 0; j < D; j++) x[j] = Xf[i * D + j];
        weighted_log_prob(g, x, 1, wlp, y);
        out[i] = logsumexp(wlp, K);
    }
    free(x);
    free(wlp);
    free(y);
    return SG_OK;
}

/* optim/pca.c - PCA by symmetric eigen-decomposition (see pca.h). */
#include "optim/pca.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int sg_jacobi_eigen(double *A, int64_t n, double *w, double *V)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) V[i * n + j] = i == j ? 1.0 : 0.0;
    double total = 0.0;
    for (int64_t i = 0; i < n * n; i++) total += A[i] * A[i];
    int sweep = 0;
    for (; sweep < 100; sweep++) {
        double off = 0.0;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
        if (off <= 1e-30 * total || off == 0.0) break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                const double apq = A[p * n + q];
                if (apq == 0.0) continue;
                /* The rotation J (J_pp = J_qq = c, J_pq = s, J_qp = -s) that zeroes
                 * A'_pq in A' = J'AJ: t = tan = sgn(theta) / (|theta| + sqrt(theta^2 + 1)),
                 * theta = (a_qq - a_pp) / (2 a_pq), the smaller of the two angles. */
                const double theta = (A[q * n + q] - A[p * n + p]) / (2.0 * apq);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                const double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int64_t k = 0; k < n; k++) {   /* columns p, q of A J */
                    const double akp = A[k * n + p], akq = A[k * n + q];
                    A[k * n + p] = c * akp - s * akq;
                    A[k * n + q] = s * akp + c * akq;
                }
                for (int64_t k = 0; k < n; k++) {   /* rows p, q of J'(AJ) */
                    const double apk = A[p * n + k], aqk = A[q * n + k];
                    A[p * n + k] = c * apk - s * aqk;
                    A[q * n + k] = s * apk + c * aqk;
                }
                A[p * n + q] = A[q * n + p] = 0.0;
                for (int64_t k = 0; k < n; k++) {   /* V J */
                    const double vkp = V[k * n + p], vkq = V[k * n + q];
                    V[k * n + p] = c * vkp - s * vkq;
                    V[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int64_t i = 0; i < n; i++) w[i] = A[i * n + i];
    /* Selection sort, decreasing (n is small); swap the columns of V with it. */
    for (int64_t i = 0; i < n; i++) {
        int64_t best = i;
        for (int64_t j = i + 1; j < n; j++)
            if (w[j] > w[best]) best = j;
        if (best == i) continue;
        double t = w[i];
        w[i] = w[best];
        w[best] = t;
        for (int64_t k = 0; k < n; k++) {
            t = V[k * n + i];
            V[k * n + i] = V[k * n + best];
            V[k * n + best] = t;
        }
    }
    return sweep;
}

void sg_pca_free(sg_pca *p)
{
    if (!p) return;
    free(p->mean);
    free(p->basis);
    free(p->explained_variance);
    free(p->explained_variance_ratio);
    memset(p, 0, sizeof *p);
}

sg_err sg_pca_fit(const float *X, int64_t N, int64_t D, int64_t k, sg_pca *out)
{
    memset(out, 0, sizeof *out);
    if (N < 2 || D < 1)
        return sg_error_set(SG_ERR_SHAPE, "pca: need N >= 2 rows and D >= 1 columns, got %lld x %lld",
                            (long long)N, (long long)D);
    const int64_t small = D <= N ? D : N;
    if (k < 1 || k > small)
        return sg_error_set(SG_ERR_INVALID, "pca: components must be in 1..min(N, D) = %lld, got %lld",
                            (long long)small, (long long)k);
    for (int64_t i = 0; i < N * D; i++)
        if (!isfinite(X[i]))
            return sg_error_set(SG_ERR_INVALID, "pca: value at row %lld, column %lld is %s", (long long)(i / D),
                                (long long)(i % D), isnan(X[i]) ? "NaN" : "infinite");
    const bool gram = D > N;
    const int64_t n = gram ? N : D;
    double *Xc = malloc((size_t)(N * D) * sizeof *Xc);
    double *A = malloc((size_t)(n * n) * sizeof *A);
    double *V = malloc((size_t)(n * n) * sizeof *V);
    double *w = malloc((size_t)n * sizeof *w);
    out->mean = calloc((size_t)D, sizeof *out->mean);
    out->basis = calloc((size_t)(k * D), sizeof *out->basis);
    out->explained_variance = malloc((size_t)k * sizeof *out->explained_variance);
    out->explained_variance_ratio = malloc((size_t)k * sizeof *out->explained_variance_ratio);
    sg_err err = SG_OK;
    if (!Xc || !A || !V || !w || !out->mean || !out->basis || !out->explained_variance ||
        !out->explained_variance_ratio) {
        err = sg_error_set(SG_ERR_NOMEM, "pca: out of memory for %lld x %lld", (long long)N, (long long)D);
        goto done;
    }
    out->dim = D;
    out->components = k;
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < D; j++) out->mean[j] += X[i * D + j];
    for (int64_t j = 0; j < D; j++) out->mean[j] /= (double)N;
    double trace = 0.0;   /* sum of squares of Xc = (N - 1) * trace of the covariance */
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < D; j++) {
            Xc[i * D + j] = X[i * D + j] - out->mean[j];
            trace += Xc[i * D + j] * Xc[i * D + j];
        }
    /* A = Xc'Xc (D x D) or Xc Xc' (N x N). */
    for (int64_t a = 0; a < n; a++)
        for (int64_t b = a; b < n; b++) {
            double s = 0.0;
            if (gram)
                for (int64_t j = 0; j < D; j++) s += Xc[a * D + j] * Xc[b * D + j];
            else
                for (int64_t i = 0; i < N; i++) s += Xc[i * D + a] * Xc[i * D + b];
            A[a * n + b] = A[b * n + a] = s;
        }
    sg_jacobi_eigen(A, n, w, V);
    for (int64_t c = 0; c < k; c++) {
        const double lambda = w[c] > 0.0 ? w[c] : 0.0;
        double *v = out->basis + c * D;
        if (!gram) {
            for (int64_t j = 0; j < D; j++) v[j] = V[j * n + c];
        } else if (lambda > 1e-12 * trace) {
            /* v = Xc'u / sqrt(lambda): unit length since u'Xc Xc'u = lambda. */
            for (int64_t j = 0; j < D; j++) {
                double s = 0.0;
                for (int64_t i = 0; i < N; i++) s += Xc[i * D + j] * V[i * n + c];
                v[j] = s / sqrt(lambda);
            }
        }
        /* svd_flip(u_based_decision=False): the largest |entry| positive. */
        int64_t big = 0;
        for (int64_t j = 1; j < D; j++)
            if (fabs(v[j]) > fabs(v[big])) big = j;
        if (v[big] < 0)
            for (int64_t j = 0; j < D; j++) v[j] = -v[j];
        out->explained_variance[c] = lambda / (double)(N - 1);
        out->explained_variance_ratio[c] = trace > 0.0 ? lambda / trace : 0.0;
    }
done:
    free(Xc);
    free(A);
    free(V);
    free(w);
    if (err != SG_OK) sg_pca_free(out);
    return err;
}

sg_err sg_pca_transform(const sg_pca *p, const float *X, int64_t N, int64_t D, float *out)
{
    if (D != p->dim)
        return sg_error_set(SG_ERR_SHAPE, "pca: data have %lld columns, the PCA was fitted on %lld",
                            (long long)D, (long long)p->dim);
    for (int64_t i = 0; i < N; i++)
        for (int64_t c = 0; c < p->components; c++) {
            const double *v = p->basis + c * D;
            double s = 0.0;
            for (int64_t j = 0; j < D; j++) s += ((double)X[i * D + j] - p->mean[j]) * v[j];
            out[i * p->components + c] = (float)s;
        }
    return SG_OK;
}

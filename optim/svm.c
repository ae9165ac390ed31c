/* optim/svm.c - linear SVM by dual coordinate descent (see svm.h for the math).
 *
 * Written from the algorithm of Hsieh et al. 2008 (Algorithm 1 with the
 * shrinking of Algorithm 3), not from LIBLINEAR's source. */
#include "optim/svm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* Key purpose of the coordinate order (kept apart from core/rng.h's list). */
#define SVM_RNG_PURPOSE 20u

sg_svm_opts sg_svm_opts_default(void)
{
    return (sg_svm_opts){.C = 1.0, .loss = SG_SVM_SQUARED_HINGE, .tol = 1e-4, .max_iter = 1000,
                         .intercept_scaling = 1.0, .balanced = false, .shrinking = true,
                         .seed = 0};
}

void sg_svm_free(sg_svm *m)
{
    if (!m) return;
    free(m->w);
    free(m->b);
    free(m->iterations);
    if (m->class_names)
        for (int k = 0; k < m->classes; k++) free(m->class_names[k]);
    free(m->class_names);
    memset(m, 0, sizeof *m);
}

/* One binary problem. Xd [N x Dp] (bias column included), sign[i] = +-1,
 * bound C_i in cbound[i]. w [Dp] out. Returns the outer iterations taken;
 * *converged tells whether tol was reached. Scratch: alpha, qd [N], index [N]. */
typedef struct svm_problem {
    const double *X;
    int64_t N, Dp;
    const signed char *sign;
    const double *cbound;
    double *alpha, *qd;
    int64_t *index;
} svm_problem;

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0.0;
    for (int64_t j = 0; j < n; j++) s += a[j] * b[j];
    return s;
}

static int64_t solve_binary(const svm_problem *p, const sg_svm_opts *o, uint64_t problem_id,
                            double *w, bool *converged)
{
    const int64_t N = p->N, Dp = p->Dp;
    const bool hinge = o->loss == SG_SVM_HINGE;
    memset(w, 0, (size_t)Dp * sizeof *w);
    for (int64_t i = 0; i < N; i++) {
        p->alpha[i] = 0.0;
        /* Q_ii = x_i'x_i + D_ii */
        p->qd[i] = dot(p->X + i * Dp, p->X + i * Dp, Dp) + (hinge ? 0.0 : 0.5 / p->cbound[i]);
        p->index[i] = i;
    }
    int64_t active = N, iter = 0;
    double pg_max_old = INFINITY, pg_min_old = -INFINITY;
    *converged = false;
    sg_rng_key key = {.seed = o->seed, .purpose = SVM_RNG_PURPOSE, .step = 0};
    while (iter < o->max_iter) {
        double pg_max = -INFINITY, pg_min = INFINITY;
        /* Fisher-Yates over the active coordinates, keyed by (problem, iteration). */
        key.step = (problem_id << 40) | (uint64_t)iter;
        for (int64_t s = 0; s + 1 < active; s++) {
            int64_t r = s + (int64_t)sg_rng_below(key, (uint64_t)s, (uint32_t)(active - s));
            int64_t t = p->index[s];
            p->index[s] = p->index[r];
            p->index[r] = t;
        }
        for (int64_t s = 0; s < active; s++) {
            const int64_t i = p->index[s];
            const double *xi = p->X + i * Dp;
            const double yi = p->sign[i];
            const double upper = hinge ? p->cbound[i] : INFINITY;
            const double dii = hinge ? 0.0 : 0.5 / p->cbound[i];
            /* G = dual gradient = y_i w'x_i - 1 + D_ii a_i */
            const double G = yi * dot(w, xi, Dp) - 1.0 + dii * p->alpha[i];
            double pg = 0.0;   /* projected gradient */
            bool shrink = false;
            if (p->alpha[i] == 0.0) {
                if (G > pg_max_old && o->shrinking) shrink = true;
                else if (G < 0.0) pg = G;
            } else if (p->alpha[i] == upper) {
                if (G < pg_min_old && o->shrinking) shrink = true;
                else if (G > 0.0) pg = G;
            } else {
                pg = G;
            }
            if (shrink) {
                /* Bound and likely to stay there: out of the active set for now. */
                active--;
                p->index[s] = p->index[active];
                p->index[active] = i;
                s--;
                continue;
            }
            if (pg > pg_max) pg_max = pg;
            if (pg < pg_min) pg_min = pg;
            if (fabs(pg) > 1e-12 && p->qd[i] > 0.0) {
                const double old = p->alpha[i];
                double a = old - G / p->qd[i];
                a = a < 0.0 ? 0.0 : (a > upper ? upper : a);
                p->alpha[i] = a;
                const double d = (a - old) * yi;
                for (int64_t j = 0; j < Dp; j++) w[j] += d * xi[j];
            }
        }
        iter++;
        if (pg_max - pg_min <= o->tol) {
            if (active == N) {
                *converged = true;
                break;
            }
            /* Converged on the shrunk set: check every coordinate once more. */
            active = N;
            pg_max_old = INFINITY;
            pg_min_old = -INFINITY;
            continue;
        }
        pg_max_old = pg_max > 0.0 ? pg_max : INFINITY;
        pg_min_old = pg_min < 0.0 ? pg_min : -INFINITY;
    }
    return iter;
}

sg_err sg_svm_train(const float *X, int64_t N, int64_t D, const int *y, int K,
                    const sg_svm_opts *o, sg_svm *out)
{
    memset(out, 0, sizeof *out);
    if (K < 2) return sg_error_set(SG_ERR_INVALID, "svm: need at least 2 classes, got %d", K);
    if (N < 1 || D < 1)
        return sg_error_set(SG_ERR_SHAPE, "svm: features must be N x D with N, D >= 1, got %lld x %lld",
                            (long long)N, (long long)D);
    if (!(o->C > 0.0) || !isfinite(o->C))
        return sg_error_set(SG_ERR_INVALID, "svm: C must be a finite number > 0, got %g", o->C);
    if (!(o->tol > 0.0)) return sg_error_set(SG_ERR_INVALID, "svm: tol must be > 0, got %g", o->tol);
    if (o->max_iter < 1)
        return sg_error_set(SG_ERR_INVALID, "svm: max_iter must be >= 1, got %lld", (long long)o->max_iter);
    if (!(o->intercept_scaling >= 0.0) || !isfinite(o->intercept_scaling))
        return sg_error_set(SG_ERR_INVALID, "svm: intercept_scaling must be >= 0, got %g",
                            o->intercept_scaling);
    if (o->loss != SG_SVM_HINGE && o->loss != SG_SVM_SQUARED_HINGE)
        return sg_error_set(SG_ERR_INVALID, "svm: unknown loss %d", (int)o->loss);
    for (int64_t i = 0; i < N; i++) {
        if (y[i] < 0 || y[i] >= K)
            return sg_error_set(SG_ERR_INVALID, "svm: label of row %lld is %d, expected 0..%d",
                                (long long)i, y[i], K - 1);
        for (int64_t j = 0; j < D; j++)
            if (!isfinite(X[i * D + j]))
                return sg_error_set(SG_ERR_INVALID, "svm: feature at row %lld, column %lld is %s",
                                    (long long)i, (long long)j, isnan(X[i * D + j]) ? "NaN" : "infinite");
    }
    const bool bias = o->intercept_scaling > 0.0;
    const int64_t Dp = D + (bias ? 1 : 0);
    const int P = K == 2 ? 1 : K;
    int64_t *count = calloc((size_t)K, sizeof *count);
    double *weight = malloc((size_t)K * sizeof *weight);
    double *Xd = malloc((size_t)(N * Dp) * sizeof *Xd);
    signed char *sign = malloc((size_t)N);
    double *cbound = malloc((size_t)N * sizeof *cbound);
    double *alpha = malloc((size_t)N * sizeof *alpha);
    double *qd = malloc((size_t)N * sizeof *qd);
    int64_t *index = malloc((size_t)N * sizeof *index);
    double *wp = malloc((size_t)Dp * sizeof *wp);
    out->w = malloc((size_t)(P * D) * sizeof *out->w);
    out->b = calloc((size_t)P, sizeof *out->b);
    out->iterations = calloc((size_t)P, sizeof *out->iterations);
    sg_err err = SG_OK;
    if (!count || !weight || !Xd || !sign || !cbound || !alpha || !qd || !index || !wp || !out->w ||
        !out->b || !out->iterations) {
        err = sg_error_set(SG_ERR_NOMEM, "svm: out of memory for %lld x %lld features",
                           (long long)N, (long long)D);
        goto done;
    }
    for (int64_t i = 0; i < N; i++) count[y[i]]++;
    for (int k = 0; k < K; k++) {
        if (count[k] == 0) {
            err = sg_error_set(SG_ERR_INVALID, "svm: class %d has no samples (labels must cover 0..%d)",
                               k, K - 1);
            goto done;
        }
        weight[k] = o->balanced ? (double)N / ((double)K * (double)count[k]) : 1.0;
    }
    for (int64_t i = 0; i < N; i++) {
        for (int64_t j = 0; j < D; j++) Xd[i * Dp + j] = X[i * D + j];
        if (bias) Xd[i * Dp + D] = o->intercept_scaling;
    }
    out->classes = K;
    out->problems = P;
    out->dim = D;
    out->converged = true;
    out->opts = *o;
    svm_problem prob = {.X = Xd, .N = N, .Dp = Dp, .sign = sign, .cbound = cbound,
                        .alpha = alpha, .qd = qd, .index = index};
    for (int p = 0; p < P; p++) {
        /* Two classes: class 1 positive, C_i = C * weight of its class.
         * One-vs-rest: class p positive with C * weight_p, the rest C. */
        const int positive = K == 2 ? 1 : p;
        for (int64_t i = 0; i < N; i++) {
            const bool pos = y[i] == positive;
            sign[i] = pos ? 1 : -1;
            cbound[i] = o->C * (K == 2 ? weight[y[i]] : (pos ? weight[p] : 1.0));
        }
        bool conv = false;
        out->iterations[p] = solve_binary(&prob, o, (uint64_t)p, wp, &conv);
        if (!conv) out->converged = false;
        memcpy(out->w + (int64_t)p * D, wp, (size_t)D * sizeof *wp);
        out->b[p] = bias ? o->intercept_scaling * wp[D] : 0.0;
    }
done:
    free(count);
    free(weight);
    free(Xd);
    free(sign);
    free(cbound);
    free(alpha);
    free(qd);
    free(index);
    free(wp);
    if (err != SG_OK) sg_svm_free(out);
    return err;
}

sg_err sg_svm_decision(const sg_svm *m, const float *X, int64_t N, int64_t D, float *scores)
{
    if (D != m->dim)
        return sg_error_set(SG_ERR_SHAPE, "svm: features have %lld columns, the SVM was trained on %lld",
                            (long long)D, (long long)m->dim);
    const int K = m->classes;
    for (int64_t i = 0; i < N; i++) {
        const float *x = X + i * D;
        for (int p = 0; p < m->problems; p++) {
            const double *w = m->w + (int64_t)p * D;
            double s = m->b[p];
            for (int64_t j = 0; j < D; j++) s += w[j] * (double)x[j];
            if (K == 2) {
                scores[i * 2 + 1] = (float)s;
                scores[i * 2 + 0] = (float)-s;
            } else {
                scores[i * K + p] = (float)s;
            }
        }
    }
    return SG_OK;
}

sg_err sg_svm_predict(const sg_svm *m, const float *X, int64_t N, int64_t D, int *pred)
{
    const int K = m->classes;
    float *row = malloc((size_t)K * sizeof *row);
    if (!row) return sg_error_set(SG_ERR_NOMEM, "svm: out of memory");
    sg_err err = SG_OK;
    for (int64_t i = 0; i < N && err == SG_OK; i++) {
        err = sg_svm_decision(m, X + i * D, 1, D, row);
        if (err != SG_OK) break;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (row[k] > row[best]) best = k;
        pred[i] = best;
    }
    free(row);
    return err;
}

sg_err sg_svm_set_class_names(sg_svm *m, const char *const *names, int n)
{
    if (n != m->classes)
        return sg_error_set(SG_ERR_INVALID, "svm: %d class names for %d classes", n, m->classes);
    char **copy = calloc((size_t)n, sizeof *copy);
    if (!copy) return sg_error_set(SG_ERR_NOMEM, "svm: out of memory");
    for (int k = 0; k < n; k++) {
        size_t len = strlen(names[k]) + 1;
        copy[k] = malloc(len);
        if (!copy[k]) {
            for (int j = 0; j < k; j++) free(copy[j]);
            free(copy);
            return sg_error_set(SG_ERR_NOMEM, "svm: out of memory");
        }
        memcpy(copy[k], names[k], len);
    }
    if (m->class_names)
        for (int k = 0; k < m->classes; k++) free(m->class_names[k]);
    free(m->class_names);
    m->class_names = copy;
    return SG_OK;
}

const char *sg_svm_loss_name(sg_svm_loss loss)
{
    return loss == SG_SVM_HINGE ? "hinge" : "squared_hinge";
}

bool sg_svm_loss_parse(const char *name, sg_svm_loss *out)
{
    if (strcmp(name, "hinge") == 0) *out = SG_SVM_HINGE;
    else if (strcmp(name, "squared_hinge") == 0) *out = SG_SVM_SQUARED_HINGE;
    else return false;
    return true;
}

/* optim/svm.h - linear support vector machines by dual coordinate descent.
 *
 * The method of LIBLINEAR (Hsieh, Chang, Lin, Keerthi, Sundararajan, "A Dual
 * Coordinate Descent Method for Large-scale Linear SVM", ICML 2008), the one
 * scikit-learn's LinearSVC(dual=True) calls. For labels y_i in {-1, +1} and
 * per-sample bounds C_i it solves the primal
 *
 *     min_w  1/2 w'w + sum_i C_i * loss(1 - y_i w'x_i)
 *     hinge (L1-loss):          loss(m) = max(0, m)
 *     squared hinge (L2-loss):  loss(m) = max(0, m)^2
 *
 * through its dual  min_a 1/2 a'Qa - sum a_i,  Q = (y_i y_j x_i'x_j) + D,
 * 0 <= a_i <= U_i, with D_ii = 0, U_i = C_i (hinge) or D_ii = 1/(2 C_i),
 * U_i = infinity (squared hinge), one coordinate at a time, keeping
 * w = sum a_i y_i x_i up to date. An outer iteration visits the (active)
 * coordinates in a random order; it stops when the largest minus the smallest
 * projected gradient falls to `tol` (LIBLINEAR's criterion), or at max_iter.
 * Shrinking (optional) drops bound coordinates whose gradient says they will
 * stay there, and checks every coordinate again before it declares
 * convergence.
 *
 * As LIBLINEAR, the bias is an extra feature of constant value
 * `intercept_scaling` (default 1) whose weight is regularised like the others:
 * b = intercept_scaling * w_bias. Several classes: one-vs-rest, class k
 * against the rest with C_i = C * weight_k for its positives and C for the
 * rest (LIBLINEAR's Cp / Cn); two classes: one problem, positive = class 1,
 * C_i = C * weight_{y_i}. Class weights "balanced" = N / (K * count_k) as
 * scikit-learn.
 *
 * The solution is unique (the primal is strictly convex), so the random
 * order changes the path, not the answer: our order comes from the Philox
 * generator keyed by `seed`, and the fit matches scikit-learn's to the
 * tolerance (tests/test_golden_svm.c states the figures). Arithmetic inside
 * the solver is double precision; features arrive as float32. */
#ifndef SG_OPTIM_SVM_H
#define SG_OPTIM_SVM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef enum sg_svm_loss {
    SG_SVM_SQUARED_HINGE = 0,    /* LinearSVC's default loss */
    SG_SVM_HINGE = 1
} sg_svm_loss;

typedef struct sg_svm_opts {
    double C;                    /* > 0 */
    sg_svm_loss loss;
    double tol;                  /* > 0; scikit-learn's default 1e-4 */
    int64_t max_iter;            /* >= 1 outer iterations per class; sklearn's default 1000 */
    double intercept_scaling;    /* > 0 adds the bias feature; 0 = no bias */
    bool balanced;               /* class weights N / (K * count_k) */
    bool shrinking;              /* LIBLINEAR always shrinks; results agree either way */
    uint64_t seed;               /* keys the coordinate order */
} sg_svm_opts;

/* C 1, squared hinge, tol 1e-4, max_iter 1000, intercept_scaling 1,
 * no class weights, shrinking on, seed 0: LinearSVC's defaults. */
sg_svm_opts sg_svm_opts_default(void);

typedef struct sg_svm {
    int classes;                 /* K >= 2 */
    int problems;                /* 1 when K == 2, else K */
    int64_t dim;                 /* D, the feature size */
    double *w;                   /* [problems * D], row p = problem p's weights */
    double *b;                   /* [problems] */
    int64_t *iterations;         /* [problems] outer iterations taken */
    bool converged;              /* every problem reached tol before max_iter */
    sg_svm_opts opts;            /* the options it was trained with */
    char **class_names;          /* [classes] owned, or NULL (then "0", "1", ...) */
} sg_svm;

/* Fit on X [N x D] row-major and labels y[i] in [0, K). Errors (nothing
 * allocated in *out): a NaN or infinite feature (naming row and column), a
 * label outside [0, K), a class without samples, K < 2, bad options. A
 * constant or all-zero column is fine (its weight stays 0). */
sg_err sg_svm_train(const float *X, int64_t N, int64_t D, const int *y, int K,
                    const sg_svm_opts *opts, sg_svm *out);

/* Decision values: scores [N x K]. For K > 2, scores[i*K+k] = w_k'x_i + b_k.
 * For K == 2, the one problem's value d goes to column 1 and -d to column 0
 * (scikit-learn's decision_function is d), so argmax is the class either way.
 * A D different from the model's is SG_ERR_SHAPE naming both. */
sg_err sg_svm_decision(const sg_svm *m, const float *X, int64_t N, int64_t D, float *scores);

/* The class of every row (argmax of the decision values); pred [N]. */
sg_err sg_svm_predict(const sg_svm *m, const float *X, int64_t N, int64_t D, int *pred);

void sg_svm_free(sg_svm *m);

/* Give the model class names (copied); n must equal m->classes. */
sg_err sg_svm_set_class_names(sg_svm *m, const char *const *names, int n);

/* An SVM file (optim/svm_file.c) is a .safetensors any toolchain reads:
 *   "weight" [problems, D] and "bias" [problems] (float32; problems = 1 for
 *   two classes: the decision of class 1), metadata "format" =
 *   "steelgrad-svm-1", "classes" (JSON array of names), "num_classes",
 *   "loss" (hinge | squared_hinge), "C", "tol", "max_iter", "intercept_scaling",
 *   "class_weight" (none | balanced), "shrinking", "seed", "iterations" (JSON
 *   array per problem), "converged" (true | false).
 * Written atomically. Reading checks the format, the shapes against the
 * metadata and names the file in every error. */
sg_err sg_svm_save(const char *path, const sg_svm *m);
sg_err sg_svm_load(const char *path, sg_svm *out);
/* "hinge" / "squared_hinge"; parse returns false for anything else. */
const char *sg_svm_loss_name(sg_svm_loss loss);
bool sg_svm_loss_parse(const char *name, sg_svm_loss *out);

#endif

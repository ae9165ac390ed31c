/* tests/test_golden_pca_gmm.c - optim/pca.c and optim/gmm.c against
 * scikit-learn (tests/golden/gen_pca_gmm.py writes the file; the options below
 * are the ones it used).
 *
 * PCA: components (signed as sklearn's svd_flip), explained variance and its
 * ratio, mean and the transform within 1e-5 (absolute + relative), on a tall
 * set (covariance path) and a wide one (Gram path).
 * GMM: from the SAME initial weights / means / precisions, after exactly 10
 * EM iterations (tol 0) and with tol 1e-3 (same iteration count), weights,
 * means, covariances, the lower bound and score_samples within GMM_TOL.
 * Both sides compute in double; the file holds float32, hence the tolerances. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/gmm.h"
#include "optim/pca.h"
#include "tests/testutil.h"

#define PCA_TOL 1e-5
#define GMM_TOL 1e-5

static void check_doubles(const char *what, const sg_st_tensor *want, const double *found, double tol)
{
    float *f = malloc((size_t)want->numel * sizeof *f);
    for (int64_t i = 0; i < want->numel; i++) f[i] = (float)found[i];
    SG_ASSERT_CLOSE(what, want->data, f, want->numel, tol, tol);
    free(f);
}

START_TEST(pca_matches_sklearn_components_variance_and_transform)
{
    sg_safetensors f;
    sg_test_golden_read("pca_gmm", &f);
    const char *sets[2] = {"tall", "wide"};
    const int64_t ks[2] = {3, 5};
    for (int s = 0; s < 2; s++) {
        const sg_st_tensor *x = sg_test_golden_need(&f, "pca_%s.x", sets[s]);
        const int64_t N = x->shape[0], D = x->shape[1], k = ks[s];
        sg_pca p;
        ck_assert_msg(sg_pca_fit(x->data, N, D, k, &p) == SG_OK, "%s", sg_error_message());
        char what[64];
        snprintf(what, sizeof what, "pca %s components", sets[s]);
        check_doubles(what, sg_test_golden_need(&f, "pca_%s.components", sets[s]), p.basis, PCA_TOL);
        snprintf(what, sizeof what, "pca %s explained_variance", sets[s]);
        check_doubles(what, sg_test_golden_need(&f, "pca_%s.explained_variance", sets[s]), p.explained_variance, PCA_TOL);
        snprintf(what, sizeof what, "pca %s explained_variance_ratio", sets[s]);
        check_doubles(what, sg_test_golden_need(&f, "pca_%s.explained_variance_ratio", sets[s]),
                      p.explained_variance_ratio, PCA_TOL);
        snprintf(what, sizeof what, "pca %s mean", sets[s]);
        check_doubles(what, sg_test_golden_need(&f, "pca_%s.mean", sets[s]), p.mean, PCA_TOL);
        float *t = malloc((size_t)(N * k) * sizeof *t);
        ck_assert_int_eq(sg_pca_transform(&p, x->data, N, D, t), SG_OK);
        snprintf(what, sizeof what, "pca %s transform", sets[s]);
        SG_ASSERT_CLOSE(what, sg_test_golden_need(&f, "pca_%s.transform", sets[s])->data, t, N * k, PCA_TOL, PCA_TOL);
        ck_assert_int_eq(sg_pca_transform(&p, x->data, N, D + 1, t), SG_ERR_SHAPE);
        free(t);
        sg_pca_free(&p);
    }
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(jacobi_eigen_reconstructs_a_symmetric_matrix)
{
    double A[16] = {4, 1, -2, 2, 1, 2, 0, 1, -2, 0, 3, -2, 2, 1, -2, -1}, B[16], V[16], w[4];
    memcpy(B, A, sizeof A);
    sg_jacobi_eigen(B, 4, w, V);
    double worst = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++) s += V[i * 4 + k] * w[k] * V[j * 4 + k];
            worst = fmax(worst, fabs(s - A[i * 4 + j]));
        }
    printf("jacobi: max |V diag(w) V' - A| = %.3g (tolerance 1e-12); eigenvalues %g %g %g %g\n", worst, w[0], w[1],
           w[2], w[3]);
    ck_assert(worst < 1e-12);
    ck_assert(w[0] >= w[1] && w[1] >= w[2] && w[2] >= w[3]);
}
END_TEST

START_TEST(gmm_matches_sklearn_from_the_same_initial_parameters)
{
    sg_safetensors f;
    sg_test_golden_read("pca_gmm", &f);
    const sg_st_tensor *x = sg_test_golden_need(&f, "gmm.x");
    const int64_t N = x->shape[0], D = x->shape[1];
    double w0[3], m0[9], pf[27], pd[9];
    const sg_st_tensor *t;
    t = sg_test_golden_need(&f, "gmm.weights_init");
    for (int i = 0; i < 3; i++) w0[i] = t->data[i];
    t = sg_test_golden_need(&f, "gmm.means_init");
    for (int i = 0; i < 9; i++) m0[i] = t->data[i];
    t = sg_test_golden_need(&f, "gmm.precisions_init_full");
    for (int i = 0; i < 27; i++) pf[i] = t->data[i];
    t = sg_test_golden_need(&f, "gmm.precisions_init_diag");
    for (int i = 0; i < 9; i++) pd[i] = t->data[i];
    const char *covs[2] = {"full", "diag"}, *cases[2] = {"fixed", "tol"};
    for (int c = 0; c < 2; c++)
        for (int e = 0; e < 2; e++) {
            sg_gmm_opts o = sg_gmm_opts_default(3);
            o.covariance = c == 0 ? SG_GMM_FULL : SG_GMM_DIAG;
            o.tol = e == 0 ? 0.0 : 1e-3;
            o.max_iter = e == 0 ? 10 : 100;
            o.weights_init = w0;
            o.means_init = m0;
            o.precisions_init = c == 0 ? pf : pd;
            sg_gmm g;
            ck_assert_msg(sg_gmm_fit(x->data, N, D, &o, &g) == SG_OK, "%s", sg_error_message());
            char name[32], what[96];
            snprintf(name, sizeof name, "gmm_%s_%s", covs[c], cases[e]);
            int n_iter = (int)sg_test_golden_need(&f, "%s.n_iter", name)->data[0];
            printf("%s: iterations expected %d, found %d; converged %d\n", name, n_iter, g.iterations, g.converged);
            ck_assert_int_eq(g.iterations, n_iter);
            snprintf(what, sizeof what, "%s weights", name);
            check_doubles(what, sg_test_golden_need(&f, "%s.weights", name), g.weights, GMM_TOL);
            snprintf(what, sizeof what, "%s means", name);
            check_doubles(what, sg_test_golden_need(&f, "%s.means", name), g.means, GMM_TOL);
            snprintf(what, sizeof what, "%s covariances", name);
            check_doubles(what, sg_test_golden_need(&f, "%s.covariances", name), g.covariances, GMM_TOL);
            snprintf(what, sizeof what, "%s lower bound", name);
            check_doubles(what, sg_test_golden_need(&f, "%s.lower_bound", name), &g.lower_bound, GMM_TOL);
            double *ll = malloc((size_t)N * sizeof *ll);
            ck_assert_int_eq(sg_gmm_score_samples(&g, x->data, N, D, ll), SG_OK);
            snprintf(what, sizeof what, "%s score_samples", name);
            check_doubles(what, sg_test_golden_need(&f, "%s.score_samples", name), ll, GMM_TOL);
            free(ll);
            sg_gmm_free(&g);
        }
    sg_safetensors_free(&f);
}
END_TEST

/* Without initial parameters: k-means++ (Philox) + EM finds the three
 * clusters; the same seed gives the same bits; NaN and collapsed data are
 * errors, not crashes. */
START_TEST(gmm_kmeans_init_is_deterministic_and_bad_data_are_errors)
{
    sg_safetensors f;
    sg_test_golden_read("pca_gmm", &f);
    const sg_st_tensor *x = sg_test_golden_need(&f, "gmm.x");
    const int64_t N = x->shape[0], D = x->shape[1];
    sg_gmm_opts o = sg_gmm_opts_default(3);
    o.seed = 4;
    sg_gmm a, b;
    ck_assert_int_eq(sg_gmm_fit(x->data, N, D, &o, &a), SG_OK);
    ck_assert_int_eq(sg_gmm_fit(x->data, N, D, &o, &b), SG_OK);
    ck_assert_int_eq(memcmp(a.means, b.means, 9 * sizeof(double)), 0);
    /* The sklearn fit from good initial values reaches about -5.417: k-means init must too. */
    printf("gmm k-means init: lower bound %.6f after %d iterations (sklearn from given init: -5.4167)\n",
           a.lower_bound, a.iterations);
    ck_assert(a.converged && a.lower_bound > -5.45);
    sg_gmm_free(&a);
    sg_gmm_free(&b);
    float bad[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    bad[7] = NAN;
    o = sg_gmm_opts_default(2);
    ck_assert_int_eq(sg_gmm_fit(bad, 4, 3, &o, &a), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "row 2, column 1 is NaN"));
    float same[12] = {1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3};
    o.reg_covar = 0;
    ck_assert_int_eq(sg_gmm_fit(same, 4, 3, &o, &a), SG_ERR_INVALID);
    printf("collapsed data: %s\n", sg_error_message());
    o.reg_covar = 1e-6;   /* sklearn's default rescues it */
    ck_assert_int_eq(sg_gmm_fit(same, 4, 3, &o, &a), SG_OK);
    sg_gmm_free(&a);
    sg_safetensors_free(&f);
}
END_TEST

static Suite *golden_pca_gmm_suite(void)
{
    Suite *s = suite_create("golden_pca_gmm");
    SG_ADD_TEST(s, pca_matches_sklearn_components_variance_and_transform, 10);
    SG_ADD_TEST(s, jacobi_eigen_reconstructs_a_symmetric_matrix, 10);
    SG_ADD_TEST(s, gmm_matches_sklearn_from_the_same_initial_parameters, 10);
    SG_ADD_TEST(s, gmm_kmeans_init_is_deterministic_and_bad_data_are_errors, 10);
    return s;
}

SG_TEST_MAIN(golden_pca_gmm_suite)

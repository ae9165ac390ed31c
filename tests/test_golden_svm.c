/* tests/test_golden_svm.c - optim/svm.c against scikit-learn's LinearSVC(dual=True)
 * (tests/golden/gen_svm.py writes the file; the cases below repeat its options).
 *
 * Both sides solve to tol 1e-10, so both stand at the (unique) optimum: the
 * coordinate orders differ (Philox vs LIBLINEAR's rand), the answer does not.
 * Asserted: the same predicted class for every row, and decision values,
 * weights and biases within DECISION_ATOL (absolute, on values of size ~1).
 * Also here: the properties that do not need a reference (NaN refused with its
 * row and column, constant columns, shrinking on/off, seed independence, the
 * iteration cap reported, a feature-size mismatch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/svm.h"
#include "tests/testutil.h"

#define DECISION_ATOL 1e-5

typedef struct svm_case {
    const char *name, *set;
    sg_svm_loss loss;
    double C;
    bool balanced;
} svm_case;

static const svm_case CASES[] = {
    {"bin_hinge", "bin", SG_SVM_HINGE, 1.0, false},
    {"bin_squared_hinge", "bin", SG_SVM_SQUARED_HINGE, 1.0, false},
    {"bin_hinge_balanced", "bin", SG_SVM_HINGE, 0.5, true},
    {"tri_hinge", "tri", SG_SVM_HINGE, 1.0, false},
    {"tri_squared_hinge", "tri", SG_SVM_SQUARED_HINGE, 0.3, false},
    {"tri_squared_hinge_balanced", "tri", SG_SVM_SQUARED_HINGE, 1.0, true},
};

static int *labels_of(const sg_st_tensor *t, int *K)
{
    int *y = malloc((size_t)t->numel * sizeof *y);
    ck_assert_ptr_nonnull(y);
    *K = 0;
    for (int64_t i = 0; i < t->numel; i++) {
        y[i] = (int)t->data[i];
        if (y[i] + 1 > *K) *K = y[i] + 1;
    }
    return y;
}

static sg_svm_opts golden_opts(const svm_case *c)
{
    sg_svm_opts o = sg_svm_opts_default();
    o.C = c->C;
    o.loss = c->loss;
    o.balanced = c->balanced;
    o.tol = 1e-10;
    o.max_iter = 1000000;
    o.seed = 3;
    return o;
}

START_TEST(linear_svc_matches_sklearn_for_both_losses)
{
    sg_safetensors f;
    sg_test_golden_read("svm", &f);
    double worst = 0.0;
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        const svm_case *sc = &CASES[c];
        const sg_st_tensor *x = sg_test_golden_need(&f, "%s.x", sc->set);
        int K;
        int *y = labels_of(sg_test_golden_need(&f, "%s.y", sc->set), &K);
        const int64_t N = x->shape[0], D = x->shape[1];
        sg_svm_opts o = golden_opts(sc);
        sg_svm m;
        ck_assert_msg(sg_svm_train(x->data, N, D, y, K, &o, &m) == SG_OK, "%s: %s", sc->name,
                      sg_error_message());
        ck_assert_msg(m.converged, "%s: did not converge", sc->name);
        float *scores = malloc((size_t)(N * K) * sizeof *scores);
        int *pred = malloc((size_t)N * sizeof *pred);
        ck_assert_int_eq(sg_svm_decision(&m, x->data, N, D, scores), SG_OK);
        ck_assert_int_eq(sg_svm_predict(&m, x->data, N, D, pred), SG_OK);
        const sg_st_tensor *dec = sg_test_golden_need(&f, "%s.decision", sc->name);
        const sg_st_tensor *sk_pred = sg_test_golden_need(&f, "%s.predict", sc->name);
        for (int64_t i = 0; i < N; i++)
            ck_assert_msg(pred[i] == (int)sk_pred->data[i], "%s row %lld: expected class %d, found %d",
                          sc->name, (long long)i, (int)sk_pred->data[i], pred[i]);
        /* sklearn's binary decision is one column: ours is column 1. */
        float *ours = malloc((size_t)dec->numel * sizeof *ours);
        for (int64_t i = 0; i < N; i++)
            for (int k = 0; k < m.problems; k++)
                ours[i * m.problems + k] = K == 2 ? scores[i * 2 + 1] : scores[i * K + k];
        char what[96];
        snprintf(what, sizeof what, "%s decision values", sc->name);
        SG_ASSERT_CLOSE(what, dec->data, ours, dec->numel, DECISION_ATOL, 0.0);
        const sg_st_tensor *coef = sg_test_golden_need(&f, "%s.coef", sc->name);
        const sg_st_tensor *icpt = sg_test_golden_need(&f, "%s.intercept", sc->name);
        float wf[64], bf[8];
        for (int64_t j = 0; j < coef->numel; j++) wf[j] = (float)m.w[j];
        for (int p = 0; p < m.problems; p++) bf[p] = (float)m.b[p];
        snprintf(what, sizeof what, "%s coef", sc->name);
        SG_ASSERT_CLOSE(what, coef->data, wf, coef->numel, DECISION_ATOL, 0.0);
        snprintf(what, sizeof what, "%s intercept", sc->name);
        SG_ASSERT_CLOSE(what, icpt->data, bf, icpt->numel, DECISION_ATOL, 0.0);
        for (int64_t i = 0; i < dec->numel; i++)
            if (fabs(dec->data[i] - ours[i]) > worst) worst = fabs(dec->data[i] - ours[i]);
        printf("%s: iterations", sc->name);
        for (int p = 0; p < m.problems; p++) printf(" %lld", (long long)m.iterations[p]);
        printf("\n");
        free(ours);
        free(scores);
        free(pred);
        free(y);
        sg_svm_free(&m);
    }
    printf("svm golden: max |decision - sklearn| over all cases %.3g (tolerance %g)\n", worst,
           DECISION_ATOL);
    sg_safetensors_free(&f);
}
END_TEST

/* The optimum does not depend on the order of coordinates or on shrinking. */
START_TEST(seed_and_shrinking_do_not_change_the_optimum)
{
    sg_safetensors f;
    sg_test_golden_read("svm", &f);
    const sg_st_tensor *x = sg_test_golden_need(&f, "tri.x");
    int K;
    int *y = labels_of(sg_test_golden_need(&f, "tri.y"), &K);
    sg_svm_opts o = golden_opts(&CASES[3]);
    sg_svm a, b;
    ck_assert_int_eq(sg_svm_train(x->data, x->shape[0], x->shape[1], y, K, &o, &a), SG_OK);
    o.seed = 12345;
    o.shrinking = false;
    ck_assert_int_eq(sg_svm_train(x->data, x->shape[0], x->shape[1], y, K, &o, &b), SG_OK);
    float wa[16], wb[16];
    for (int j = 0; j < K * 4; j++) {
        wa[j] = (float)a.w[j];
        wb[j] = (float)b.w[j];
    }
    SG_ASSERT_CLOSE("weights, seed 3 shrinking vs seed 12345 no shrinking", wa, wb, K * 4, 1e-6, 0);
    sg_svm_free(&a);
    sg_svm_free(&b);
    free(y);
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(same_seed_gives_identical_weights)
{
    float X[40];
    int y[10];
    sg_test_fill_normal(X, 40, 5, 1.0f);
    for (int i = 0; i < 10; i++) y[i] = i % 3;
    sg_svm_opts o = sg_svm_opts_default();
    o.max_iter = 3;   /* stopped early: the path, not only the optimum, must repeat */
    sg_svm a, b;
    ck_assert_int_eq(sg_svm_train(X, 10, 4, y, 3, &o, &a), SG_OK);
    ck_assert_int_eq(sg_svm_train(X, 10, 4, y, 3, &o, &b), SG_OK);
    ck_assert_int_eq(memcmp(a.w, b.w, 12 * sizeof(double)), 0);
    sg_svm_free(&a);
    sg_svm_free(&b);
}
END_TEST

START_TEST(nan_feature_is_an_error_naming_row_and_column)
{
    float X[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    int y[4] = {0, 1, 0, 1};
    X[2 * 3 + 1] = NAN;
    sg_svm_opts o = sg_svm_opts_default();
    sg_svm m;
    ck_assert_int_eq(sg_svm_train(X, 4, 3, y, 2, &o, &m), SG_ERR_INVALID);
    printf("NaN: %s\n", sg_error_message());
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "row 2, column 1 is NaN"));
    ck_assert_ptr_null(m.w);
}
END_TEST

START_TEST(constant_and_zero_features_fit_without_trouble)
{
    /* Every column constant: only the bias can separate nothing; the fit
     * must still end, finite, with zero weight on a zero column. */
    float X[20];
    int y[10];
    for (int i = 0; i < 10; i++) {
        X[i * 2] = 3.0f;
        X[i * 2 + 1] = 0.0f;
        y[i] = i < 7 ? 0 : 1;
    }
    for (int loss = 0; loss < 2; loss++) {
        sg_svm_opts o = sg_svm_opts_default();
        o.loss = (sg_svm_loss)loss;
        sg_svm m;
        ck_assert_int_eq(sg_svm_train(X, 10, 2, y, 2, &o, &m), SG_OK);
        ck_assert(isfinite(m.w[0]) && isfinite(m.b[0]));
        ck_assert_msg(m.w[1] == 0.0, "zero column weight: expected 0, found %g", m.w[1]);
        int pred[10];
        ck_assert_int_eq(sg_svm_predict(&m, X, 10, 2, pred), SG_OK);
        for (int i = 0; i < 10; i++) ck_assert_int_eq(pred[i], 0);   /* the majority */
        sg_svm_free(&m);
    }
    /* No bias and all-zero rows: Q_ii = 0 must not divide by zero. */
    memset(X, 0, sizeof X);
    sg_svm_opts o = sg_svm_opts_default();
    o.intercept_scaling = 0;
    o.loss = SG_SVM_HINGE;
    sg_svm m;
    ck_assert_int_eq(sg_svm_train(X, 10, 2, y, 2, &o, &m), SG_OK);
    ck_assert(m.w[0] == 0.0 && m.w[1] == 0.0 && m.b[0] == 0.0);
    sg_svm_free(&m);
}
END_TEST

START_TEST(iteration_cap_is_reported_and_sizes_are_checked)
{
    sg_safetensors f;
    sg_test_golden_read("svm", &f);
    const sg_st_tensor *x = sg_test_golden_need(&f, "tri.x");
    int K;
    int *y = labels_of(sg_test_golden_need(&f, "tri.y"), &K);
    sg_svm_opts o = sg_svm_opts_default();
    o.loss = SG_SVM_HINGE;
    o.tol = 1e-12;
    o.max_iter = 2;
    sg_svm m;
    ck_assert_int_eq(sg_svm_train(x->data, 90, 4, y, K, &o, &m), SG_OK);
    ck_assert(!m.converged);
    for (int p = 0; p < m.problems; p++) ck_assert_int_eq(m.iterations[p], 2);
    float s[3];
    ck_assert_int_eq(sg_svm_decision(&m, x->data, 1, 5, s), SG_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "5 columns"));
    sg_svm_free(&m);
    /* A class without samples and a label out of range are refused. */
    ck_assert_int_eq(sg_svm_train(x->data, 90, 4, y, K + 1, &o, &m), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "class 3 has no samples"));
    y[5] = -1;
    ck_assert_int_eq(sg_svm_train(x->data, 90, 4, y, K, &o, &m), SG_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(sg_error_message(), "row 5"));
    free(y);
    sg_safetensors_free(&f);
}
END_TEST

static Suite *golden_svm_suite(void)
{
    Suite *s = suite_create("golden_svm");
    SG_ADD_TEST(s, linear_svc_matches_sklearn_for_both_losses, 30);
    SG_ADD_TEST(s, seed_and_shrinking_do_not_change_the_optimum, 30);
    SG_ADD_TEST(s, same_seed_gives_identical_weights, 10);
    SG_ADD_TEST(s, nan_feature_is_an_error_naming_row_and_column, 10);
    SG_ADD_TEST(s, constant_and_zero_features_fit_without_trouble, 10);
    SG_ADD_TEST(s, iteration_cap_is_reported_and_sizes_are_checked, 10);
    return s;
}

SG_TEST_MAIN(golden_svm_suite)

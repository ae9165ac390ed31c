/* tests/test_metrics.c - classification metrics against values computed by
 * hand (and checked with scikit-learn's confusion_matrix,
 * precision_recall_fscore_support and roc_auc_score on the same arrays). */
#include <math.h>
#include <stdlib.h>

#include "core/rng.h"
#include "interp/metrics.h"
#include "tests/testutil.h"

#define EXPECT_NEAR(what, want, got)                                                          \
    ck_assert_msg(fabs((double)(want) - (double)(got)) <= 1e-12, "%s: expected %.15g, found %.15g", \
                  (what), (double)(want), (double)(got))

START_TEST(confusion_precision_recall_f1_and_accuracy_match_hand_computed_values)
{
    /* truth 0 0 0 1 1 2 2 2 2 1, predicted 0 1 0 1 1 2 0 2 2 2:
     * rows (truth) [2 1 0] [0 2 1] [1 0 3]; columns sum to 3, 3, 4. */
    const int32_t truth[10] = {0, 0, 0, 1, 1, 2, 2, 2, 2, 1};
    const int32_t pred[10] = {0, 1, 0, 1, 1, 2, 0, 2, 2, 2};
    int64_t confusion[9] = {0};
    ck_assert_int_eq(sg_confusion_add(confusion, 3, truth, pred, 10), SG_OK);
    const int64_t want[9] = {2, 1, 0, 0, 2, 1, 1, 0, 3};
    for (int i = 0; i < 9; i++) ck_assert_int_eq(confusion[i], want[i]);
    sg_class_metrics pc[3];
    sg_metrics m;
    sg_metrics_from_confusion(confusion, 3, pc, &m);
    EXPECT_NEAR("accuracy", 0.7, m.accuracy);
    ck_assert_int_eq(m.n, 10);
    EXPECT_NEAR("precision 0", 2.0 / 3, pc[0].precision);
    EXPECT_NEAR("recall 1", 2.0 / 3, pc[1].recall);
    EXPECT_NEAR("precision 2", 0.75, pc[2].precision);
    EXPECT_NEAR("recall 2", 0.75, pc[2].recall);
    EXPECT_NEAR("f1 2", 0.75, pc[2].f1);
    ck_assert_int_eq(pc[2].support, 4);
    ck_assert_int_eq(pc[2].predicted, 4);
    EXPECT_NEAR("macro f1", (2.0 / 3 + 2.0 / 3 + 0.75) / 3, m.macro_f1);
    EXPECT_NEAR("macro precision", (2.0 / 3 + 2.0 / 3 + 0.75) / 3, m.macro_precision);
    /* A label out of range adds nothing. */
    const int32_t bad[1] = {3};
    ck_assert_int_eq(sg_confusion_add(confusion, 3, bad, pred, 1), SG_ERR_INVALID);
    ck_assert_int_eq(confusion[0], 2);
}
END_TEST

START_TEST(a_class_never_predicted_has_zero_precision_not_nan)
{
    /* truth 0 1 2, predicted 0 1 1: class 2 is never predicted. */
    const int32_t truth[3] = {0, 1, 2}, pred[3] = {0, 1, 1};
    int64_t confusion[9] = {0};
    ck_assert_int_eq(sg_confusion_add(confusion, 3, truth, pred, 3), SG_OK);
    sg_class_metrics pc[3];
    sg_metrics m;
    sg_metrics_from_confusion(confusion, 3, pc, &m);
    EXPECT_NEAR("precision 2", 0.0, pc[2].precision);
    EXPECT_NEAR("f1 2", 0.0, pc[2].f1);
    EXPECT_NEAR("precision 1", 0.5, pc[1].precision);
    EXPECT_NEAR("f1 1", 2.0 / 3, pc[1].f1);
    EXPECT_NEAR("macro f1", (1.0 + 2.0 / 3 + 0.0) / 3, m.macro_f1);
    EXPECT_NEAR("accuracy", 2.0 / 3, m.accuracy);
}
END_TEST

START_TEST(roc_auc_is_the_pairwise_ranking_probability_with_ties_counting_half)
{
    /* sklearn's doc example: y = 0 0 1 1, scores of class 1 = .1 .4 .35 .8 -> 0.75. */
    const int32_t y[4] = {0, 0, 1, 1};
    const float p[8] = {0.9f, 0.1f, 0.6f, 0.4f, 0.65f, 0.35f, 0.2f, 0.8f};
    double per[2], macro;
    char scratch[256];
    ck_assert_uint_le(sg_roc_auc_scratch_bytes(4), sizeof scratch);
    ck_assert_int_eq(sg_roc_auc_ovr(p, y, 4, 2, scratch, per, &macro), SG_OK);
    EXPECT_NEAR("auc class 1", 0.75, per[1]);
    EXPECT_NEAR("auc class 0", 0.75, per[0]);
    EXPECT_NEAR("macro auc", 0.75, macro);
    /* A tie between a positive and a negative counts 1/2: 3.5 of 4 pairs. */
    const int32_t y2[4] = {0, 1, 1, 0};
    const float p2[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.1f, 0.9f, 0.9f, 0.1f};
    ck_assert_int_eq(sg_roc_auc_ovr(p2, y2, 4, 2, scratch, per, &macro), SG_OK);
    EXPECT_NEAR("auc with a tie", 0.875, per[1]);
    EXPECT_NEAR("auc with a tie, class 0", 0.875, per[0]);
}
END_TEST

START_TEST(roc_auc_leaves_a_class_without_positives_out_of_the_macro_mean)
{
    /* Three classes, none of class 2 in the labels: its AUC is undefined. */
    const int32_t y[4] = {0, 1, 0, 1};
    const float p[12] = {0.7f, 0.2f, 0.1f, 0.3f, 0.6f, 0.1f, 0.4f, 0.5f, 0.1f, 0.2f, 0.2f, 0.6f};
    double per[3], macro;
    char scratch[256];
    ck_assert_int_eq(sg_roc_auc_ovr(p, y, 4, 3, scratch, per, &macro), SG_OK);
    /* class 0: positives .7 .4, negatives .3 .2 -> 1; class 1: positives .6 .2,
     * negatives .2 .5 -> (1 + 1 + 0.5 + 0) / 4 = 0.625. */
    EXPECT_NEAR("auc class 0", 1.0, per[0]);
    EXPECT_NEAR("auc class 1", 0.625, per[1]);
    ck_assert(isnan(per[2]));
    EXPECT_NEAR("macro auc over the defined classes", (1.0 + 0.625) / 2, macro);
    const int32_t bad[4] = {0, 1, 3, 1};
    ck_assert_int_eq(sg_roc_auc_ovr(p, bad, 4, 3, scratch, per, &macro), SG_ERR_INVALID);
}
END_TEST

START_TEST(roc_auc_by_ranks_equals_counting_every_positive_negative_pair)
{
    enum { N = 301, K = 4 };
    static float p[N * K];
    static int32_t y[N];
    static char scratch[N * 16];
    ck_assert_uint_le(sg_roc_auc_scratch_bytes(N), sizeof scratch);
    sg_rng_key key = {5, SG_RNG_TEST, 0};
    for (int i = 0; i < N; i++) {
        y[i] = (int32_t)sg_rng_below(key, (uint64_t)i, K);
        /* Scores on a grid of 8 values (many ties), nudged towards the true class. */
        for (int k = 0; k < K; k++)
            p[i * K + k] = (float)((sg_rng_below(key, (uint64_t)(N + i * K + k), 8) + (k == y[i] ? 3 : 0)) / 10.0);
    }
    double per[K], macro;
    ck_assert_int_eq(sg_roc_auc_ovr(p, y, N, K, scratch, per, &macro), SG_OK);
    double sum = 0;
    for (int k = 0; k < K; k++) {
        double wins = 0, pairs = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                if (y[i] == k && y[j] != k) {
                    float a = p[i * K + k], b = p[j * K + k];
                    wins += a > b ? 1.0 : a == b ? 0.5 : 0.0;
                    pairs += 1;
                }
        ck_assert_msg(fabs(wins / pairs - per[k]) <= 1e-12, "class %d: pairs give %.15g, ranks %.15g", k,
                      wins / pairs, per[k]);
        sum += wins / pairs;
    }
    EXPECT_NEAR("macro", sum / K, macro);
}
END_TEST

START_TEST(metrics_json_names_every_class_and_writes_nan_as_null)
{
    const int64_t confusion[4] = {3, 1, 0, 4};
    sg_class_metrics pc[2];
    sg_metrics m;
    sg_metrics_from_confusion(confusion, 2, pc, &m);
    const char *names[2] = {"rolled-in scale", "\xc3\xa9raflure"};
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    sg_metrics_write_json(&w, &m, names);
    sg_json_writer_end_object(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    ck_assert_ptr_nonnull(text);
    sg_json *j;
    ck_assert_int_eq(sg_json_parse(text, len, "metrics", &j), SG_OK);
    EXPECT_NEAR("accuracy", 7.0 / 8, sg_json_number(sg_json_get(j, "accuracy"), -1));
    ck_assert_int_eq(sg_json_get(j, "roc_auc")->type, SG_JSON_NULL);
    const sg_json *c1 = sg_json_at(sg_json_get(j, "per_class"), 1);
    ck_assert_str_eq(sg_json_string(sg_json_get(c1, "class"), ""), "\xc3\xa9raflure");
    EXPECT_NEAR("recall 1", 1.0, sg_json_number(sg_json_get(c1, "recall"), -1));
    ck_assert_int_eq(sg_json_count(sg_json_get(j, "confusion")), 2);
    sg_json_free(j);
    sg_json_writer_free(&w);
}
END_TEST

/* sklearn.metrics.roc_curve(y, s, drop_intermediate=False) on y = [0 0 1 1],
 * s = [0.1 0.4 0.35 0.8] gives fpr [0 0 0.5 0.5 1], tpr [0 0.5 0.5 1 1]
 * (its first point is the (0, 0) of threshold inf); a tie moves both. */
START_TEST(roc_curve_matches_sklearn_and_a_tie_is_one_diagonal_step)
{
    const float p[8] = {0.9f, 0.1f, 0.6f, 0.4f, 0.65f, 0.35f, 0.2f, 0.8f};  /* [4, 2]: class 1 column 0.1 .. 0.8 */
    const int32_t y[4] = {0, 0, 1, 1};
    double fpr[5], tpr[5], scratch[16];
    int64_t m;
    ck_assert_int_eq(sg_roc_curve(p, y, 4, 2, 1, scratch, fpr, tpr, &m), SG_OK);
    const double want_f[5] = {0, 0, 0.5, 0.5, 1}, want_t[5] = {0, 0.5, 0.5, 1, 1};
    ck_assert_int_eq(m, 5);
    for (int i = 0; i < 5; i++) {
        EXPECT_NEAR("fpr", want_f[i], fpr[i]);
        EXPECT_NEAR("tpr", want_t[i], tpr[i]);
    }
    /* Ties: s = [0.5 0.5 0.5 0.9], y = [1 0 0 1]: (0,0) (0,.5) (1,1). */
    const float q[4] = {0.5f, 0.5f, 0.5f, 0.9f};
    const int32_t z[4] = {1, 0, 0, 1};
    ck_assert_int_eq(sg_roc_curve(q, z, 4, 1, 0, scratch, fpr, tpr, &m), SG_ERR_INVALID);  /* label 1 with K = 1 */
    const float q2[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.9f, 0.1f};
    ck_assert_int_eq(sg_roc_curve(q2, z, 4, 2, 0, scratch, fpr, tpr, &m), SG_OK);
    /* class 0 scores 0.5 0.5 0.5 0.9, positives where z == 0: images 1, 2 (0.5 each). */
    ck_assert_int_eq(m, 3);
    EXPECT_NEAR("fpr", 0.5, fpr[1]);
    EXPECT_NEAR("tpr", 0.0, tpr[1]);
    EXPECT_NEAR("fpr", 1.0, fpr[2]);
    EXPECT_NEAR("tpr", 1.0, tpr[2]);
    /* No negatives: no curve. */
    const int32_t all1[4] = {1, 1, 1, 1};
    ck_assert_int_eq(sg_roc_curve(p, all1, 4, 2, 1, scratch, fpr, tpr, &m), SG_OK);
    ck_assert_int_eq(m, 0);
}
END_TEST

/* The curve's trapezoid area is the AUC sg_roc_auc_ovr gives, on random
 * scores with many ties (scores rounded to tenths). */
START_TEST(roc_curve_area_equals_roc_auc_ovr)
{
    enum { N = 300, K = 4 };
    static float probs[N * K];
    static int32_t y[N];
    static double fpr[N + 1], tpr[N + 1];
    void *scratch = malloc(sg_roc_auc_scratch_bytes(N));
    const sg_rng_key key = {.seed = 7, .purpose = SG_RNG_TEST};
    uint64_t at = 0;
    for (int i = 0; i < N; i++) {
        y[i] = (int32_t)sg_rng_below(key, at++, K);
        for (int k = 0; k < K; k++) probs[i * K + k] = (float)sg_rng_below(key, at++, 11) / 10.0f;
    }
    double auc[K], macro;
    ck_assert_int_eq(sg_roc_auc_ovr(probs, y, N, K, scratch, auc, &macro), SG_OK);
    for (int k = 0; k < K; k++) {
        int64_t m;
        ck_assert_int_eq(sg_roc_curve(probs, y, N, K, k, scratch, fpr, tpr, &m), SG_OK);
        ck_assert_int_le(m, 12);  /* (0, 0) and at most 11 distinct scores */
        ck_assert(fpr[m - 1] == 1 && tpr[m - 1] == 1);
        double area = 0;
        for (int64_t i = 1; i < m; i++) area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2;
        ck_assert_msg(fabs(area - auc[k]) < 1e-12, "class %d: area %.17g, AUC %.17g", k, area, auc[k]);
    }
    free(scratch);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    SG_ADD_TEST(s, confusion_precision_recall_f1_and_accuracy_match_hand_computed_values, 10);
    SG_ADD_TEST(s, a_class_never_predicted_has_zero_precision_not_nan, 10);
    SG_ADD_TEST(s, roc_auc_is_the_pairwise_ranking_probability_with_ties_counting_half, 10);
    SG_ADD_TEST(s, roc_auc_leaves_a_class_without_positives_out_of_the_macro_mean, 10);
    SG_ADD_TEST(s, roc_auc_by_ranks_equals_counting_every_positive_negative_pair, 10);
    SG_ADD_TEST(s, metrics_json_names_every_class_and_writes_nan_as_null, 10);
    SG_ADD_TEST(s, roc_curve_matches_sklearn_and_a_tie_is_one_diagonal_step, 10);
    SG_ADD_TEST(s, roc_curve_area_equals_roc_auc_ovr, 10);
    return s;
}

SG_TEST_MAIN(metrics_suite)

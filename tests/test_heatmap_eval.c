/* tests/test_heatmap_eval.c - pointing game, energy in boxes and pixel AUROC
 * on hand-made maps whose answers are worked out in the comments. */
#include <math.h>
#include <stdio.h>

#include "interp/heatmap_eval.h"
#include "tests/testutil.h"

static void expect_near(const char *what, double want, double got)
{
    printf("%s: expected %.6f, found %.6f\n", what, want, got);
    ck_assert_msg(fabs(want - got) < 1e-12, "%s differs", what);
}

START_TEST(pointing_game_and_energy_on_a_hand_made_map)
{
    /* 4 x 4 map, peak 9 at (x 2, y 1); the box covers pixel centres x 1.5..2.5,
     * y 0.5..1.5: pixels (1,0) (2,0) (1,1) (2,1) = 1 + 2 + 3 + 9 = 15 of 20. */
    const float map[16] = {0, 1, 2, 0,
                           0, 3, 9, 0,
                           0, 0, 0, 5,
                           0, 0, 0, 0};
    sg_heat_box box = {1.0f, 0.0f, 3.0f, 2.0f};
    ck_assert_int_eq(sg_heatmap_peak(map, 4, 4), 6);
    ck_assert_int_eq(sg_heatmap_pointing_hit(map, 4, 4, &box, 1), 1);
    expect_near("energy in the box", 15.0 / 20.0, sg_heatmap_energy_in_boxes(map, 4, 4, &box, 1));
    sg_heat_box miss = {3.0f, 2.0f, 4.0f, 4.0f};   /* holds the 5, not the peak */
    ck_assert_int_eq(sg_heatmap_pointing_hit(map, 4, 4, &miss, 1), 0);
    expect_near("energy in the other box", 5.0 / 20.0, sg_heatmap_energy_in_boxes(map, 4, 4, &miss, 1));
    sg_heat_box both[2] = {box, miss};
    ck_assert_int_eq(sg_heatmap_pointing_hit(map, 4, 4, both, 2), 1);
    expect_near("energy in both", 1.0, sg_heatmap_energy_in_boxes(map, 4, 4, both, 2));
    const float zero[4] = {0};
    ck_assert_msg(isnan(sg_heatmap_energy_in_boxes(zero, 2, 2, &box, 1)), "a zero map has no energy share");
}
END_TEST

START_TEST(pixel_auroc_counts_pairs_and_half_ties)
{
    /* positives 0.9, 0.5; negatives 0.5, 0.1, 0.2: 0.9 beats all 3, 0.5 beats
     * 0.1 and 0.2 and ties 0.5 (1/2): (3 + 2.5) / 6 pairs */
    const float s[5] = {0.9f, 0.5f, 0.5f, 0.1f, 0.2f};
    const bool pos[5] = {true, true, false, false, false};
    double auc;
    ck_assert_int_eq(sg_heatmap_pixel_auroc(s, pos, 5, &auc), SG_OK);
    expect_near("AUROC with a tie", 5.5 / 6.0, auc);
    const bool inverted[5] = {false, false, true, true, true};
    ck_assert_int_eq(sg_heatmap_pixel_auroc(s, inverted, 5, &auc), SG_OK);
    expect_near("AUROC of the complement", 0.5 / 6.0, auc);
    const bool none[5] = {false};
    ck_assert_int_eq(sg_heatmap_pixel_auroc(s, none, 5, &auc), SG_OK);
    ck_assert_msg(isnan(auc), "no positive pixel: AUROC undefined (NaN), found %g", auc);
}
END_TEST

static Suite *heatmap_eval_suite(void)
{
    Suite *s = suite_create("heatmap_eval");
    SG_ADD_TEST(s, pointing_game_and_energy_on_a_hand_made_map, 10);
    SG_ADD_TEST(s, pixel_auroc_counts_pairs_and_half_ties, 10);
    return s;
}

SG_TEST_MAIN(heatmap_eval_suite)

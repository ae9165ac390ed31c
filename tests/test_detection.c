/* tests/test_detection.c - VOC average precision (interp/detection.h) on
 * hand-made boxes whose AP is worked out by hand below, with the devkit's
 * rules (VOCevaldet.m / py-faster-rcnn voc_eval.py). */
#include <math.h>
#include <stdio.h>

#include "interp/detection.h"
#include "tests/testutil.h"

#define BOX(img, lab, sc, x0, y0, x1, y1) \
    {.image = img, .label = lab, .score = sc, .xmin = x0, .ymin = y0, .xmax = x1, .ymax = y1}

START_TEST(iou_of_hand_made_boxes)
{
    sg_det_box a = BOX(0, 0, 0, 0, 0, 2, 2), b = BOX(0, 0, 0, 1, 1, 3, 3), c = BOX(0, 0, 0, 5, 5, 6, 6);
    ck_assert_double_eq_tol(sg_box_iou(&a, &b, false), 1.0 / 7.0, 1e-12);
    /* VOC pixels: 3 x 3 boxes overlapping in 2 x 2: 4 / (9 + 9 - 4) */
    ck_assert_double_eq_tol(sg_box_iou(&a, &b, true), 4.0 / 14.0, 1e-12);
    ck_assert_double_eq(sg_box_iou(&a, &c, false), 0.0);
    ck_assert_double_eq_tol(sg_box_iou(&a, &a, true), 1.0, 1e-12);
}
END_TEST

START_TEST(ap_of_a_ranked_list_with_a_false_positive_between_two_hits)
{
    /* Two boxes; detections by score: hit, miss, hit.
     * recall 0.5 0.5 1, precision 1 0.5 2/3.
     * all-point: 0.5 x 1 + 0.5 x 2/3 = 5/6;
     * 11-point: t = 0..0.5 -> 1 (6 points), t = 0.6..1 -> 2/3 (5 points): (6 + 10/3) / 11. */
    const sg_det_box gt[] = {BOX(0, 0, 0, 10, 10, 50, 50), BOX(0, 0, 0, 60, 60, 90, 90)};
    const sg_det_box det[] = {BOX(0, 0, 0.9f, 10, 10, 50, 50), BOX(0, 0, 0.8f, 100, 0, 120, 20),
                              BOX(0, 0, 0.7f, 61, 61, 90, 90)};
    double all, eleven;
    ck_assert_int_eq(sg_voc_ap(gt, 2, det, 3, 0, 0.5, true, &all, &eleven), SG_OK);
    printf("  case 1: AP all-point %.6f (5/6), 11-point %.6f (28/33)\n", all, eleven);
    ck_assert_double_eq_tol(all, 5.0 / 6.0, 1e-12);
    ck_assert_double_eq_tol(eleven, (6.0 + 10.0 / 3.0) / 11.0, 1e-12);
}
END_TEST

START_TEST(ap_counts_duplicates_as_false_positives_and_ignores_difficult_boxes)
{
    /* class 0: image 0 box A; image 1 box B (difficult) and box C.
     * ranked: 0.95 on A (TP), 0.9 on A again (FP: taken), 0.85 on B (ignored),
     * 0.7 far off in image 0 (FP), 0.6 on C shifted by 2 px (IoU 841/1081: TP).
     * recall 0.5 0.5 0.5 1, precision 1 1/2 1/3 1/2:
     * all-point 0.5 x 1 + 0.5 x 1/2 = 0.75; 11-point (6 x 1 + 5 x 1/2) / 11 = 17/22.
     * class 1: a detection, no box: no AP, left out of the mean. */
    sg_det_box gt[] = {BOX(0, 0, 0, 10, 10, 50, 50), BOX(1, 0, 0, 0, 0, 20, 20),
                       BOX(1, 0, 0, 30, 30, 60, 60)};
    gt[1].difficult = true;
    const sg_det_box det[] = {BOX(0, 0, 0.95f, 10, 10, 50, 50), BOX(0, 0, 0.9f, 11, 11, 50, 50),
                              BOX(1, 0, 0.85f, 0, 0, 20, 20), BOX(0, 0, 0.7f, 200, 200, 220, 220),
                              BOX(1, 0, 0.6f, 32, 32, 62, 62), BOX(0, 1, 0.99f, 10, 10, 50, 50)};
    double map_all, map_11, per_all[2], per_11[2];
    ck_assert_int_eq(sg_voc_map(gt, 3, det, 6, 2, 0.5, true, &map_all, &map_11, per_all, per_11),
                     SG_OK);
    printf("  case 2: AP all-point %.6f (0.75), 11-point %.6f (17/22); class 1 %g\n", per_all[0],
           per_11[0], per_all[1]);
    ck_assert_double_eq_tol(per_all[0], 0.75, 1e-12);
    ck_assert_double_eq_tol(per_11[0], 17.0 / 22.0, 1e-12);
    ck_assert(isnan(per_all[1]) && isnan(per_11[1]));
    ck_assert_double_eq_tol(map_all, 0.75, 1e-12);
    ck_assert_double_eq_tol(map_11, 17.0 / 22.0, 1e-12);
}
END_TEST

START_TEST(perfect_and_empty_detections)
{
    const sg_det_box gt[] = {BOX(0, 0, 0, 0, 0, 0.5f, 0.5f), BOX(1, 1, 0, 0.2f, 0.2f, 0.9f, 0.9f)};
    double map_all, map_11;
    ck_assert_int_eq(sg_voc_map(gt, 2, gt, 2, 2, 0.5, false, &map_all, &map_11, NULL, NULL), SG_OK);
    ck_assert_double_eq_tol(map_all, 1.0, 1e-12);
    ck_assert_double_eq_tol(map_11, 1.0, 1e-12);
    ck_assert_int_eq(sg_voc_map(gt, 2, NULL, 0, 2, 0.5, false, &map_all, &map_11, NULL, NULL), SG_OK);
    ck_assert_double_eq(map_all, 0.0);
    ck_assert_double_eq(map_11, 0.0);
}
END_TEST

static Suite *detection_suite(void)
{
    Suite *s = suite_create("detection");
    SG_ADD_TEST(s, iou_of_hand_made_boxes, 10);
    SG_ADD_TEST(s, ap_of_a_ranked_list_with_a_false_positive_between_two_hits, 10);
    SG_ADD_TEST(s, ap_counts_duplicates_as_false_positives_and_ignores_difficult_boxes, 10);
    SG_ADD_TEST(s, perfect_and_empty_detections, 10);
    return s;
}

SG_TEST_MAIN(detection_suite)

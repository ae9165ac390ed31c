/* tests/test_synth_realism.c - the synthetic set looks like NEU-CLS class by
 * class (issue 16): on `synth --size 200`, each class's mean brightness is
 * within 15 % of its real namesake's, and a nearest-centroid classifier
 * fitted on the real classes' four figures (mean, std, mean |dx|, mean |dy|;
 * data/synth_realism.h) labels at least 75 % of the synthetic images with
 * their own class. Measured on a modest sample (REAL images per class, evenly
 * spaced, and SYNTH generated ones) so it runs in a second or two;
 * bench/bench_synth_realism prints the full figures. The real data is looked
 * for in $SG_DATA_DIR/neu-cls or ../shared/data/neu-cls (relative to the
 * repository root); without it the test prints SKIP and passes. */
#include <stdio.h>

#include "data/synth_realism.h"
#include "tests/codec_corpus.h"
#include "tests/testutil.h"

enum { REAL = 40, SYNTH = 40 };

START_TEST(synthetic_classes_match_neu_brightness_and_nearest_centroid)
{
    char dir[1024];
    if (!sg_test_data_dir("neu-cls", dir, sizeof dir)) {
        printf("SKIP synthetic_classes_match_neu_brightness_and_nearest_centroid: no NEU-CLS "
               "data at %s (set SG_DATA_DIR to the folder holding neu-cls/)\n", dir);
        return;
    }
    static sg_realism_reference ref;
    static sg_realism_synth syn;
    ck_assert_msg(sg_realism_measure(dir, REAL, &ref) == SG_OK, "%s", sg_error_message());
    ck_assert_msg(sg_realism_measure_synth(&ref, 200, SYNTH, 1, &syn) == SG_OK, "%s",
                  sg_error_message());
    printf("%-16s %26s   %26s  %s\n", "class", "real mean std |dx| |dy|", "synthetic", "nearest");
    int namesakes = 0;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        int r = syn.namesake[c];
        const double *s = syn.centroid[c];
        if (r < 0) {
            printf("%-16s %26s   %6.1f %6.1f %6.2f %6.2f\n", sg_synth_class_names[c], "(no namesake)",
                   s[0], s[1], s[2], s[3]);
            continue;
        }
        namesakes++;
        const double *m = ref.centroid[r];
        printf("%-16s %6.1f %6.1f %6.2f %6.2f   %6.1f %6.1f %6.2f %6.2f  %d/%d\n",
               sg_synth_class_names[c], m[0], m[1], m[2], m[3], s[0], s[1], s[2], s[3],
               syn.correct[c], SYNTH);
    }
    printf("nearest centroid: %.3f of synthetic images (real on themselves %.3f; target >= 0.75)\n",
           syn.accuracy, ref.self_accuracy);
    ck_assert_int_eq(namesakes, 6);
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        int r = syn.namesake[c];
        if (r < 0) continue;
        double ratio = syn.centroid[c][0] / ref.centroid[r][0];
        ck_assert_msg(ratio >= 0.85 && ratio <= 1.15,
                      "%s: synthetic mean brightness %.1f is %.0f %% of the real %.1f "
                      "(expected 85..115 %%)", sg_synth_class_names[c], syn.centroid[c][0],
                      100.0 * ratio, ref.centroid[r][0]);
    }
    ck_assert_msg(syn.accuracy >= 0.75,
                  "nearest centroid labels %.3f of the synthetic images correctly (expected >= 0.75)",
                  syn.accuracy);
}
END_TEST

static Suite *synth_realism_suite(void)
{
    Suite *s = suite_create("synth_realism");
    SG_ADD_TEST(s, synthetic_classes_match_neu_brightness_and_nearest_centroid, 60);
    return s;
}

SG_TEST_MAIN(synth_realism_suite)

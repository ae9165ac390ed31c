/* tests/test_svm_map.c - SVM-weight heatmaps (interp/svm_map.h): the
 * per-position contributions add up to the SVM's decision on the pooled
 * features, the map lies in [0, 1], sizes are checked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/svm_map.h"
#include "layers/pool.h"
#include "tests/testutil.h"

enum { S = 32 };

/* Pooled features of one image, as `steelgrad features` computes them. */
static void pooled(sg_graph *g, sg_model *m, float *image, float *out)
{
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_graph_reset(g);
    int64_t shape[4] = {1, 1, S, S};
    sg_tensor *f = m->features(g, m, sg_graph_view(g, image, 4, shape));
    ck_assert_ptr_nonnull(f);
    const int64_t D = f->shape[1], hw = f->shape[2] * f->shape[3];
    for (int64_t d = 0; d < D; d++) {
        double s = 0;
        for (int64_t p = 0; p < hw; p++) s += f->data[d * hw + p];
        out[d] = (float)(s / (double)hw);
    }
    sg_graph_reset(g);
}

START_TEST(contributions_sum_to_the_decision_and_the_map_is_in_unit_range)
{
    sg_model m;
    sg_model_options mo = {.classes = 3, .in_channels = 1, .image_size = S};
    ck_assert_int_eq(sg_model_build(&m, "cnn", &mo, 1), SG_OK);
    const int D = m.feature_channels;
    sg_graph *g = sg_graph_new();
    float img[S * S], *feats = malloc((size_t)12 * D * sizeof *feats);
    int y[12];
    for (int i = 0; i < 12; i++) {
        y[i] = i % 3;
        /* the classes differ in brightness, so the SVM has something to separate */
        sg_test_fill_uniform(img, S * S, 30 + (uint64_t)i, 0.0f, 0.3f + 0.35f * (float)y[i]);
        pooled(g, &m, img, feats + (int64_t)i * D);
    }
    for (int K = 2; K <= 3; K++) {
        sg_svm svm;
        sg_svm_opts o = sg_svm_opts_default();
        if (K == 3) {
            ck_assert_int_eq(sg_svm_train(feats, 12, D, y, 3, &o, &svm), SG_OK);
        } else {
            /* two classes: the rows with labels 0 and 1 */
            int y2[8];
            float *f2 = malloc((size_t)8 * D * sizeof *f2);
            int n = 0;
            for (int i = 0; i < 12; i++)
                if (y[i] < 2) {
                    memcpy(f2 + (int64_t)n * D, feats + (int64_t)i * D, (size_t)D * sizeof *f2);
                    y2[n++] = y[i];
                }
            ck_assert_int_eq(sg_svm_train(f2, n, D, y2, 2, &o, &svm), SG_OK);
            free(f2);
        }
        sg_test_fill_uniform(img, S * S, 99, 0.0f, 0.8f);
        float pf[512], dec[3], map[S * S], contrib[64];
        pooled(g, &m, img, pf);
        ck_assert_int_eq(sg_svm_decision(&svm, pf, 1, D, dec), SG_OK);
        for (int k = 0; k < K; k++) {
            int h = 0, w = 0;
            ck_assert_int_eq(sg_svm_weight_map(g, &m, &svm, img, 1, S, k, map, contrib, &h, &w), SG_OK);
            double sum = svm.problems == 1 ? (k == 1 ? svm.b[0] : -svm.b[0]) : svm.b[k];
            for (int p = 0; p < h * w; p++) sum += contrib[p];
            printf("K=%d class %d: %dx%d positions, sum of contributions + b = %.6f, decision %.6f\n", K, k, h, w,
                   sum, (double)dec[k]);
            ck_assert_msg(fabs(sum - dec[k]) < 1e-4, "expected %.6f, found %.6f (tolerance 1e-4)", (double)dec[k], sum);
            for (int i = 0; i < S * S; i++) ck_assert(map[i] >= 0.0f && map[i] <= 1.0f);
        }
        ck_assert_int_eq(sg_svm_weight_map(g, &m, &svm, img, 1, S, K, map, NULL, NULL, NULL), SG_ERR_INVALID);
        svm.dim += 1;   /* an SVM of another feature size */
        ck_assert_int_eq(sg_svm_weight_map(g, &m, &svm, img, 1, S, 0, map, NULL, NULL, NULL), SG_ERR_SHAPE);
        svm.dim -= 1;
        sg_svm_free(&svm);
    }
    free(feats);
    sg_graph_free(g);
    sg_model_free(&m);
}
END_TEST

static Suite *svm_map_suite(void)
{
    Suite *s = suite_create("svm_map");
    SG_ADD_TEST(s, contributions_sum_to_the_decision_and_the_map_is_in_unit_range, 30);
    return s;
}

SG_TEST_MAIN(svm_map_suite)

/* tests/test_cae.c - the autoencoders (models/cae.h), their training
 * (train/anomaly.h) and the anomaly scores (interp/anomaly.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/anomaly.h"
#include "models/cae.h"
#include "train/anomaly.h"
#include "tests/testutil.h"

static int64_t param_count(const sg_cae *m)
{
    int64_t n = 0;
    for (int i = 0; i < m->params.count; i++) n += m->params.items[i]->t.numel;
    return n;
}

START_TEST(cae_shapes_ranges_and_parameter_counts)
{
    /* Parameter counts by hand (conv: out * in * 9 + out; linear: out * in + out). */
    const int64_t cae003 = (16 * 1 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 32 * 9 + 32) /* encoder */
                           + (32 * 32 * 9 + 32) + (16 * 32 * 9 + 16) + (1 * 16 * 9 + 1); /* decoder */
    const int64_t side = 32 / 8, flat = 64 * side * side;
    const int64_t cae000 = (32 * 9 + 32) + (64 * 32 * 9 + 64) + (64 * 64 * 9 + 64) + (256 * flat + 256) +
                           (flat * 256 + flat) + (64 * 64 * 9 + 64) + (32 * 64 * 9 + 32) + (1 * 32 * 9 + 1);
    const char *names[2] = {"cae003", "cae000"};
    const int64_t want_params[2] = {cae003, cae000};
    const int64_t latent[2][4] = {{2, 32, 4, 4}, {2, 256, 1, 1}};
    float x[2 * 32 * 32];
    sg_test_fill_uniform(x, 2 * 32 * 32, 1, 0.0f, 1.0f);
    for (int k = 0; k < 2; k++) {
        sg_cae m;
        ck_assert_int_eq(sg_cae_init(&m, names[k], 1, 32, 7), SG_OK);
        printf("%s at 32 px: %lld parameters (expected %lld)\n", names[k], (long long)param_count(&m),
               (long long)want_params[k]);
        ck_assert_int_eq(param_count(&m), want_params[k]);
        sg_graph *g = sg_graph_new();
        int64_t shape[4] = {2, 1, 32, 32};
        sg_tensor *in = sg_graph_view(g, x, 4, shape);
        sg_tensor *z = sg_cae_encode(g, &m, in);
        ck_assert_ptr_nonnull(z);
        ck_assert_int_eq(z->ndim, k == 0 ? 4 : 2);
        for (int d = 0; d < z->ndim; d++) ck_assert_int_eq(z->shape[d], latent[k][d]);
        ck_assert_int_eq(z->numel / 2, sg_cae_latent_dim(&m));
        sg_tensor *r = sg_cae_decode(g, &m, z);
        ck_assert_ptr_nonnull(r);
        ck_assert(r->ndim == 4 && r->shape[0] == 2 && r->shape[1] == 1 && r->shape[2] == 32 && r->shape[3] == 32);
        for (int64_t i = 0; i < r->numel; i++) ck_assert(r->data[i] > 0.0f && r->data[i] < 1.0f);
        /* A wrong input size is a graph error naming the model. */
        int64_t bad[4] = {1, 1, 16, 16};
        ck_assert_ptr_null(sg_cae_forward(g, &m, sg_graph_view(g, x, 4, bad)));
        ck_assert_ptr_nonnull(strstr(sg_graph_error_message(g), names[k]));
        sg_graph_free(g);
        sg_cae_free(&m);
    }
    sg_cae m;
    ck_assert_int_eq(sg_cae_init(&m, "cae003", 1, 20, 7), SG_ERR_INVALID);
    ck_assert_int_eq(sg_cae_init(&m, "vae", 1, 32, 7), SG_ERR_INVALID);
}
END_TEST

/* Smooth random images (sums of a few low-frequency waves): learnable. */
static void smooth_images(float *x, int n, int S)
{
    float c[4];
    for (int i = 0; i < n; i++) {
        sg_test_fill_uniform(c, 4, 100 + (uint64_t)i, 0.0f, 1.0f);
        for (int y = 0; y < S; y++)
            for (int xx = 0; xx < S; xx++)
                x[((int64_t)i * S + y) * S + xx] =
                    0.5f + 0.25f * c[0] * sinf(0.3f * (float)xx + 6 * c[1]) + 0.2f * c[2] * cosf(0.25f * (float)y + 6 * c[3]);
    }
}

static void record(int epoch, double loss, void *ctx)
{
    double *l = ctx;
    if (epoch == 1) l[0] = loss;
    l[1] = loss;
}

START_TEST(training_lowers_the_reconstruction_error_and_repeats_exactly)
{
    enum { N = 24, S = 16 };
    static float x[N * S * S];
    smooth_images(x, N, S);
    double la[2], lb[2], final;
    sg_cae a, b;
    ck_assert_int_eq(sg_cae_init(&a, "cae003", 1, S, 3), SG_OK);
    ck_assert_int_eq(sg_cae_init(&b, "cae003", 1, S, 3), SG_OK);
    sg_anomaly_train_opts o = {.epochs = 25, .batch = 8, .lr = 3e-3, .seed = 5, .on_epoch = record, .ctx = la};
    ck_assert_int_eq(sg_anomaly_train(&a, x, N, &o, &final), SG_OK);
    o.ctx = lb;
    ck_assert_int_eq(sg_anomaly_train(&b, x, N, &o, &final), SG_OK);
    printf("cae003 MSE: epoch 1 %.5f, epoch 25 %.5f (must at least halve)\n", la[0], la[1]);
    ck_assert(la[1] < 0.5 * la[0]);
    ck_assert(la[1] == lb[1]);
    for (int i = 0; i < a.params.count; i++)
        ck_assert_int_eq(memcmp(a.params.items[i]->t.data, b.params.items[i]->t.data,
                                (size_t)a.params.items[i]->t.numel * sizeof(float)), 0);
    /* Reconstruction of the training images: the MSE score matches the loss scale. */
    static float r[N * S * S];
    ck_assert_int_eq(sg_anomaly_reconstruct(&a, x, N, r, NULL), SG_OK);
    double mse = 0;
    for (int i = 0; i < N; i++) mse += sg_score_mse(x + i * S * S, r + i * S * S, S * S) / N;
    printf("eval-mode MSE of the training images %.5f, last epoch's training loss %.5f\n", mse, la[1]);
    ck_assert(mse < 2 * la[1] + 1e-3);
    sg_cae_free(&a);
    sg_cae_free(&b);
}
END_TEST

/* --latent-l2: the first step's loss (one batch of all images, before any
 * update) is the MSE plus lambda times the mean square of the latent code,
 * both computed here from the untrained model's reconstruction. */
START_TEST(latent_l2_adds_lambda_times_the_latent_mean_square)
{
    enum { N = 6, S = 16 };
    static float x[N * S * S], r[N * S * S];
    smooth_images(x, N, S);
    sg_cae a, b;
    ck_assert_int_eq(sg_cae_init(&a, "cae000", 1, S, 7), SG_OK);
    ck_assert_int_eq(sg_cae_init(&b, "cae000", 1, S, 7), SG_OK);
    const int64_t L = sg_cae_latent_dim(&a);
    float *z = malloc((size_t)(N * L) * sizeof *z);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(sg_anomaly_reconstruct(&a, x, N, r, z), SG_OK);
    double mse = 0, zz = 0;
    for (int64_t i = 0; i < (int64_t)N * S * S; i++) mse += ((double)r[i] - x[i]) * ((double)r[i] - x[i]);
    for (int64_t i = 0; i < N * L; i++) zz += (double)z[i] * z[i];
    mse /= (double)N * S * S, zz /= (double)(N * L);
    double plain, reg;
    sg_anomaly_train_opts o = {.epochs = 1, .batch = N, .lr = 1e-3, .seed = 1};
    ck_assert_int_eq(sg_anomaly_train(&a, x, N, &o, &plain), SG_OK);
    o.latent_l2 = 0.5;
    ck_assert_int_eq(sg_anomaly_train(&b, x, N, &o, &reg), SG_OK);
    printf("cae000 first step: loss %.7f without, %.7f with latent-l2 0.5; MSE %.7f + 0.5 x mean z^2 %.7f = %.7f\n",
           plain, reg, mse, zz, mse + 0.5 * zz);
    ck_assert(zz > 1e-6);   /* the penalty is not vacuous */
    ck_assert(fabs(plain - mse) <= 1e-5 * mse);
    ck_assert(fabs(reg - (mse + 0.5 * zz)) <= 1e-5 * (mse + 0.5 * zz));
    free(z);
    sg_cae_free(&a);
    sg_cae_free(&b);
}
END_TEST

START_TEST(scores_match_hand_computed_values)
{
    /* p99 of |x - r| = 0, 0.01, ..., 1.00 (101 values): numpy.percentile(..., 99) = 0.99. */
    float x[101], r[101];
    for (int i = 0; i < 101; i++) {
        x[i] = (float)i / 100.0f;
        r[i] = 0.0f;
    }
    double p = sg_score_p99(x, r, 101);
    printf("p99: expected 0.99, found %.9f\n", p);
    ck_assert(fabs(p - 0.99) < 1e-6);
    double mse = sg_score_mse(x, r, 101), want = 0;
    for (int i = 0; i < 101; i++) want += (double)x[i] * x[i] / 101;
    ck_assert(fabs(mse - want) < 1e-9);
    /* SSIM of an image with itself is 1; SSIM-L1 of a perfect reconstruction is 0. */
    float img[16 * 16], other[16 * 16];
    sg_test_fill_uniform(img, 256, 3, 0.0f, 1.0f);
    sg_test_fill_uniform(other, 256, 4, 0.0f, 1.0f);
    ck_assert(fabs(sg_ssim(img, img, 16) - 1.0) < 1e-12);
    ck_assert(fabs(sg_score_ssim_l1(img, img, 16)) < 1e-12);
    ck_assert(sg_score_ssim_l1(img, other, 16) > 0.1);
    /* SPC: scores 1, 2, 3, 4 -> mean 2.5, population std sqrt(1.25). */
    double s[4] = {1, 2, 3, 4};
    ck_assert(fabs(sg_spc_threshold(s, 4, 2.0) - (2.5 + 2 * sqrt(1.25))) < 1e-12);
    /* Metrics: scores that separate perfectly give AUROC 1; threshold 2.5. */
    double sc[6] = {0.1, 0.2, 3, 0.3, 5, 4};
    bool an[6] = {false, false, true, false, true, false};
    sg_anomaly_metrics m;
    ck_assert_int_eq(sg_anomaly_metrics_compute(sc, an, 6, 2.5, &m), SG_OK);
    printf("metrics: auroc %.3f acc %.3f P %.3f R %.3f F1 %.3f\n", m.auroc, m.accuracy, m.precision, m.recall, m.f1);
    /* positives {3, 5}, negatives {0.1, 0.2, 0.3, 4}: 7 of 8 pairs ordered -> 0.875 */
    ck_assert(fabs(m.auroc - 0.875) < 1e-12);
    ck_assert(m.tp == 2 && m.fp == 1 && m.tn == 3 && m.fn == 0);
    ck_assert(fabs(m.f1 - 0.8) < 1e-12);
}
END_TEST

START_TEST(pcagmm_scores_outliers_higher)
{
    enum { N = 40, D = 10 };
    float tr[N * D], te[2 * D];
    sg_test_fill_normal(tr, N * D, 9, 1.0f);
    sg_test_fill_normal(te, D, 10, 1.0f);
    for (int j = 0; j < D; j++) te[D + j] = 8.0f;   /* far from the training cloud */
    double train_s[N], s[2];
    ck_assert_int_eq(sg_score_pcagmm(tr, N, te, 2, D, 1, false, 0, train_s, s), SG_OK);
    printf("pcagmm: inlier %.3f, outlier %.3f\n", s[0], s[1]);
    ck_assert(s[1] > s[0] + 10);
}
END_TEST

static sg_tensor *build_ssim_l1(sg_graph *g, sg_tensor **in, void *ctx)
{
    (void)ctx;
    return sg_anomaly_ssim_l1_loss(g, in[0], in[1]);
}

/* The loss equals the score of interp/anomaly.c (float graph vs double loop)
 * and its gradient matches finite differences. */
START_TEST(ssim_l1_loss_matches_the_score_and_finite_differences)
{
    enum { S = 12 };
    float p[2 * S * S], t[2 * S * S];
    sg_test_fill_uniform(p, 2 * S * S, 21, 0.1f, 0.9f);
    sg_test_fill_uniform(t, 2 * S * S, 22, 0.1f, 0.9f);
    sg_graph *g = sg_graph_new();
    int64_t shape[4] = {2, 1, S, S};
    sg_tensor *loss = sg_anomaly_ssim_l1_loss(g, sg_graph_view(g, p, 4, shape), sg_graph_view(g, t, 4, shape));
    ck_assert_ptr_nonnull(loss);
    double want = (sg_score_ssim_l1(p, t, S) + sg_score_ssim_l1(p + S * S, t + S * S, S)) / 2;
    printf("SSIM-L1 loss: graph %.7f, score %.7f (tolerance 1e-5)\n", (double)loss->data[0], want);
    ck_assert(fabs(loss->data[0] - want) < 1e-5);
    sg_graph_free(g);
    sg_test_input in[2] = {{.ndim = 4, .shape = {2, 1, S, S}, .data = p, .needs_grad = true},
                           {.ndim = 4, .shape = {2, 1, S, S}, .data = t, .needs_grad = false}};
    sg_test_gradcheck_opts go = {.eps = 1e-3f, .atol = 2e-3, .rtol = 2e-2, .max_checks = 64};
    sg_test_gradcheck("ssim_l1_loss", build_ssim_l1, NULL, 2, in, &go);
}
END_TEST

static Suite *cae_suite(void)
{
    Suite *s = suite_create("cae");
    SG_ADD_TEST(s, cae_shapes_ranges_and_parameter_counts, 30);
    SG_ADD_TEST(s, training_lowers_the_reconstruction_error_and_repeats_exactly, 60);
    SG_ADD_TEST(s, latent_l2_adds_lambda_times_the_latent_mean_square, 30);
    SG_ADD_TEST(s, scores_match_hand_computed_values, 10);
    SG_ADD_TEST(s, pcagmm_scores_outliers_higher, 10);
    SG_ADD_TEST(s, ssim_l1_loss_matches_the_score_and_finite_differences, 30);
    return s;
}

SG_TEST_MAIN(cae_suite)

/* tests/test_explain_maps.c - `steelgrad explain --method svm` and
 * `--method recon` against hand computations:
 *   svm    the backbone's last map F [D, h, w] of a cnn (library forward), an
 *          SVM with known weights: c_p = w_k . F[:, p] / (h w), ReLU, / max,
 *          bilinear (half-pixel centres, edge clamp) to the input; the class
 *          the argmax of sum_p c_p + b_k, and the JSON's decision that sum;
 *   recon  a cae003 (random weights, a run folder written here), the image
 *          read as `anomaly train` reads it: |x - AE(x)| / max, bilinear to
 *          the classifier's input size.
 * --grid writes one PNG of image | overlay pairs. Plus the errors: an SVM of another feature size, --method svm without
 * --svm, recon with --input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/npy.h"
#include "data/image.h"
#include "models/cae.h"
#include "models/zoo.h"
#include "optim/svm.h"
#include "train/anomaly.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

enum { S = 32, K = 3, N_IMG = 2, AE_S = 16, CLS_S = 64 };

static char dir[256];

static void setup(void) { snprintf(dir, sizeof dir, "%s", sg_test_tmpdir()); }
static void teardown(void) { sg_test_remove_tree(dir); }

/* Bilinear enlargement with half-pixel centres and edge clamp, in double. */
static void upsample(const double *src, int s, double *dst, int d)
{
    for (int y = 0; y < d; y++)
        for (int x = 0; x < d; x++) {
            double sy = fmax((y + 0.5) * s / d - 0.5, 0.0), sx = fmax((x + 0.5) * s / d - 0.5, 0.0);
            int y0 = (int)sy, x0 = (int)sx, y1 = y0 + 1 < s ? y0 + 1 : y0, x1 = x0 + 1 < s ? x0 + 1 : x0;
            double fy = sy - y0, fx = sx - x0;
            dst[y * d + x] = (src[y0 * s + x0] * (1 - fx) + src[y0 * s + x1] * fx) * (1 - fy) +
                             (src[y1 * s + x0] * (1 - fx) + src[y1 * s + x1] * fx) * fy;
        }
}

/* The value of "key": in the line of text that holds needle. */
static double json_number(const char *text, const char *needle, const char *key)
{
    const char *line = strstr(text, needle);
    ck_assert_msg(line, "no line with %s in:\n%s", needle, text);
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(line, k);
    ck_assert_msg(p, "no %s in %s", key, line);
    return strtod(p + strlen(k), NULL);
}

static void expect_map(const char *path, const double *want, int side)
{
    sg_npy map;
    ck_assert_int_eq(sg_npy_read(path, &map), SG_OK);
    ck_assert_msg(map.ndim == 2 && map.shape[0] == side && map.shape[1] == side, "%s: expected %d x %d", path, side,
                  side);
    double worst = 0, hi = 0;
    for (int64_t i = 0; i < map.numel; i++) {
        worst = fmax(worst, fabs(map.data[i] - want[i]));
        hi = fmax(hi, want[i]);
    }
    printf("%s: largest difference from the hand computation %.3g (map max %.6f)\n", path, worst, hi);
    ck_assert_msg(worst < 1e-5, "%s: differs from the hand computation by %g (tolerance 1e-5)", path, worst);
    ck_assert_msg(hi > 0.99, "%s: the hand map's maximum is %g, expected 1 (a trivial map tests nothing)", path, hi);
    sg_npy_free(&map);
}

/* A cnn (2 classes, 1 channel) saved as plain weights; returns it built. */
static void make_cnn(sg_model *m, int size)
{
    sg_model_options mo = {.classes = 2, .in_channels = 1, .image_size = size};
    ck_assert_int_eq(sg_model_build(m, "cnn", &mo, 5), SG_OK);
    ck_assert_int_eq(sg_params_save(m->params, sg_test_path(dir, "w.safetensors"), NULL, 0), SG_OK);
}

START_TEST(svm_map_is_the_weights_projected_on_the_last_map)
{
    sg_model m;
    make_cnn(&m, S);
    const int64_t D = m.feature_channels;
    /* An SVM of 3 classes with known weights. */
    sg_svm svm = {.classes = K, .problems = K, .dim = D, .opts = sg_svm_opts_default()};
    svm.w = malloc((size_t)(K * D) * sizeof *svm.w);
    svm.b = malloc(K * sizeof *svm.b);
    svm.iterations = calloc(K, sizeof *svm.iterations);
    float tmp[3 * 64];
    ck_assert_int_le(K * D, 3 * 64);
    sg_test_fill_normal(tmp, K * D, 11, 1.0f);
    for (int64_t i = 0; i < K * D; i++) svm.w[i] = tmp[i];
    for (int k = 0; k < K; k++) svm.b[k] = 0.1 * (k - 1);
    svm.converged = true;
    ck_assert_int_eq(sg_svm_save(sg_test_path(dir, "svm.safetensors"), &svm), SG_OK);
    float x[N_IMG * S * S];
    sg_test_fill_normal(x, N_IMG * S * S, 21, 1.0f);
    int64_t shape[4] = {N_IMG, 1, S, S};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "x.npy"), 4, shape, x), SG_OK);

    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/svm.out", dir);
    snprintf(args, sizeof args,
             "explain --weights %s/w.safetensors --model cnn --classes 2 --input %s/x.npy --method svm "
             "--svm %s/svm.safetensors -o %s/maps --grid %s/grid.png",
             dir, dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    printf("%s", text);
    /* --grid: image | overlay for both images in one row, 2 px of gray around each */
    sg_image sheet;
    ck_assert_int_eq(sg_image_read(sg_test_path(dir, "grid.png"), NULL, &sheet), SG_OK);
    ck_assert_msg(sheet.width == 2 + 4 * (S + 2) && sheet.height == 2 + S + 2 && sheet.channels == 3,
                  "grid %d x %d x %d, expected %d x %d x 3", sheet.width, sheet.height, sheet.channels,
                  2 + 4 * (S + 2), S + 4);
    sg_image_free(&sheet);

    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    for (int i = 0; i < N_IMG; i++) {
        sg_graph_reset(g);
        int64_t one[4] = {1, 1, S, S};
        sg_tensor *f = m.features(g, &m, sg_graph_view(g, x + i * S * S, 4, one));
        ck_assert_ptr_nonnull(f);
        const int h = (int)f->shape[2], hw = h * (int)f->shape[3];
        ck_assert_int_eq(f->shape[2], f->shape[3]);
        double c[K][64], dec[K];
        int best = 0;
        for (int k = 0; k < K; k++) {
            dec[k] = svm.b[k];
            for (int p = 0; p < hw; p++) {
                double s = 0;
                for (int64_t d = 0; d < D; d++) s += svm.w[k * D + d] * f->data[d * hw + p];
                c[k][p] = s / hw;
                dec[k] += c[k][p];
            }
            if (dec[k] > dec[best]) best = k;
        }
        double peak = 0, small[64], want[S * S];
        for (int p = 0; p < hw; p++) peak = fmax(peak, c[best][p]);
        for (int p = 0; p < hw; p++) small[p] = c[best][p] > 0 ? c[best][p] / peak : 0;
        upsample(small, h, want, S);
        char needle[64], path[512];
        snprintf(needle, sizeof needle, "x.npy[%d]", i);
        double got_class = json_number(text, needle, "class_index"), got_dec = json_number(text, needle, "decision");
        printf("image %d: %d x %d map, decisions %.6f %.6f %.6f, class %d; CLI class %g decision %.6f\n", i, h, h,
               dec[0], dec[1], dec[2], best, got_class, got_dec);
        ck_assert_msg(got_class == best, "image %d: class %g, the hand argmax is %d", i, got_class, best);
        ck_assert_msg(fabs(got_dec - dec[best]) < 1e-4, "image %d: decision %.6f, by hand %.6f", i, got_dec,
                      dec[best]);
        snprintf(path, sizeof path, "%s/maps/input_%d.npy", dir, i);
        expect_map(path, want, S);
    }
    free(text);
    sg_graph_free(g);

    /* An SVM of another feature size is refused, naming both sizes. */
    svm.dim = D - 1;
    ck_assert_int_eq(sg_svm_save(sg_test_path(dir, "svm63.safetensors"), &svm), SG_OK);
    snprintf(args, sizeof args,
             "explain --weights %s/w.safetensors --model cnn --classes 2 --input %s/x.npy --method svm "
             "--svm %s/svm63.safetensors -o %s/m2",
             dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "the SVM takes 63 features, the backbone of cnn gives 64");
    /* --method svm needs --svm; --class beyond the SVM's classes */
    snprintf(args, sizeof args, "explain --weights %s/w.safetensors --model cnn --classes 2 --input %s/x.npy "
             "--method svm -o %s/m3", dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--method svm and --svm");
    snprintf(args, sizeof args, "explain --weights %s/w.safetensors --model cnn --classes 2 --input %s/x.npy "
             "--method svm --svm %s/svm.safetensors --class 3 -o %s/m3", dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "the SVM has classes 0..2");
    svm.dim = D;
    sg_svm_free(&svm);
    sg_model_free(&m);
}
END_TEST

START_TEST(recon_map_is_the_normalised_absolute_residual)
{
    sg_model m;
    make_cnn(&m, CLS_S);
    sg_model_free(&m);
    /* A cae003 run folder with random weights. */
    sg_cae cae;
    ck_assert_int_eq(sg_cae_init(&cae, "cae003", 1, AE_S, 3), SG_OK);
    const char *meta[] = {"format", "steelgrad-cae-1", "model", "cae003", "channels", "1", "size", "16",
                          "healthy", "a", "clahe", "false", "train_images", "[]"};
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(dir, "ae")), SG_OK);
    ck_assert_int_eq(sg_params_save(&cae.params, sg_test_path(dir, "ae/cae.safetensors"), meta, 7), SG_OK);
    /* A 24 x 20 gray image: a gradient with a bright bar. */
    uint8_t px[20 * 24];
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 24; x++) px[y * 24 + x] = (uint8_t)(x >= 10 && x < 13 ? 250 : 4 * x + 3 * y);
    sg_image img = {.width = 24, .height = 20, .channels = 1, .depth = 8, .pixels = px};
    char img_path[512];
    snprintf(img_path, sizeof img_path, "%s/bar.png", dir);
    ck_assert_int_eq(sg_png_write(img_path, &img), SG_OK);

    char args[2048], out[512];
    snprintf(out, sizeof out, "%s/recon.out", dir);
    snprintf(args, sizeof args,
             "explain --weights %s/w.safetensors --model cnn --classes 2 --method recon --autoencoder %s/ae "
             "%s -o %s/rmaps", dir, dir, img_path, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    printf("%s", text);
    ck_assert_msg(strstr(text, "\"method\":\"recon\"") && strstr(text, "\"layer\":\"input\""), "recon's JSON line");
    double p = json_number(text, "bar.png", "probability");
    ck_assert_msg(p > 0 && p <= 1, "probability %g", p);
    free(text);

    /* By hand: the image as anomaly train reads it, the autoencoder's output. */
    const char *paths[1] = {img_path};
    float x[AE_S * AE_S];
    ck_assert_int_eq(sg_anomaly_load_images(paths, 1, AE_S, false, x), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    int64_t shape[4] = {1, 1, AE_S, AE_S};
    sg_tensor *r = sg_cae_forward(g, &cae, sg_graph_view(g, x, 4, shape));
    ck_assert_ptr_nonnull(r);
    double e[AE_S * AE_S], peak = 0, want[CLS_S * CLS_S];
    for (int i = 0; i < AE_S * AE_S; i++) peak = fmax(peak, e[i] = fabs((double)x[i] - r->data[i]));
    for (int i = 0; i < AE_S * AE_S; i++) e[i] /= peak;
    upsample(e, AE_S, want, CLS_S);
    expect_map(sg_test_path(dir, "rmaps/bar.npy"), want, CLS_S);
    ck_assert(sg_test_file_exists(sg_test_path(dir, "rmaps/bar.png")));
    sg_graph_free(g);
    sg_cae_free(&cae);

    /* recon reads image files: --input is refused, as --method recon without a run */
    float zeros[CLS_S * CLS_S] = {0};
    int64_t xs[4] = {1, 1, CLS_S, CLS_S};
    ck_assert_int_eq(sg_npy_write_f32(sg_test_path(dir, "z.npy"), 4, xs, zeros), SG_OK);
    snprintf(args, sizeof args, "explain --weights %s/w.safetensors --model cnn --classes 2 --method recon "
             "--autoencoder %s/ae --input %s/z.npy -o %s/r2", dir, dir, dir, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--method recon takes no --input");
    snprintf(args, sizeof args, "explain --weights %s/w.safetensors --model cnn --classes 2 --method recon "
             "%s -o %s/r2", dir, img_path, dir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--method recon and --autoencoder");
}
END_TEST

static Suite *explain_maps_suite(void)
{
    Suite *s = suite_create("explain_maps");
    TCase *tc = tcase_create("explain_maps");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, svm_map_is_the_weights_projected_on_the_last_map);
    tcase_add_test(tc, recon_map_is_the_normalised_absolute_residual);
    suite_add_tcase(s, tc);
    return s;
}

SG_TEST_MAIN(explain_maps_suite)

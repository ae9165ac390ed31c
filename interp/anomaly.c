/* interp/anomaly.c - anomaly scores and their metrics (see anomaly.h). */
#include "interp/anomaly.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "interp/metrics.h"
#include "optim/gmm.h"
#include "optim/pca.h"

bool sg_anomaly_score_parse(const char *name, sg_anomaly_score *out)
{
    if (!strcmp(name, "spc") || !strcmp(name, "mse")) *out = SG_SCORE_MSE;
    else if (!strcmp(name, "p99")) *out = SG_SCORE_P99;
    else if (!strcmp(name, "ssim")) *out = SG_SCORE_SSIM;
    else if (!strcmp(name, "pcagmm")) *out = SG_SCORE_PCAGMM;
    else return false;
    return true;
}

double sg_score_mse(const float *x, const float *r, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += ((double)x[i] - r[i]) * ((double)x[i] - r[i]);
    return s / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double sg_score_p99(const float *x, const float *r, int64_t n)
{
    double *d = malloc((size_t)n * sizeof *d);
    if (!d) return NAN;
    for (int64_t i = 0; i < n; i++) d[i] = fabs((double)x[i] - r[i]);
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    /* numpy percentile, linear: position 0.99 (n - 1) between order statistics. */
    const double pos = 0.99 * (double)(n - 1);
    const int64_t lo = (int64_t)floor(pos);
    const int64_t hi = lo + 1 < n ? lo + 1 : lo;
    const double v = d[lo] + (pos - (double)lo) * (d[hi] - d[lo]);
    free(d);
    return v;
}

double sg_ssim(const float *x, const float *r, int S)
{
    enum { W = 7 };
    if (S < W) return NAN;
    const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03, np = W * W, cov_norm = np / (np - 1.0);
    double sum = 0.0;
    int count = 0;
    /* Mean SSIM over the windows fully inside the image (skimage crops the border the same way). */
    for (int i = 0; i + W <= S; i++)
        for (int j = 0; j + W <= S; j++) {
            double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
            for (int a = 0; a < W; a++)
                for (int b = 0; b < W; b++) {
                    const double u = x[(i + a) * S + j + b], v = r[(i + a) * S + j + b];
                    mx += u;
                    my += v;
                    xx += u * u;
                    yy += v * v;
                    xy += u * v;
                }
            mx /= np;
            my /= np;
            const double vx = cov_norm * (xx / np - mx * mx), vy = cov_norm * (yy / np - my * my);
            const double cxy = cov_norm * (xy / np - mx * my);
            sum += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
            count++;
        }
    return sum / count;
}

double sg_score_ssim_l1(const float *x, const float *r, int S)
{
    const double alpha = 0.84;
    double l1 = 0.0;
    for (int64_t i = 0; i < (int64_t)S * S; i++) l1 += fabs((double)x[i] - r[i]);
    return alpha * (1.0 - sg_ssim(x, r, S)) / 2.0 + (1.0 - alpha) * l1 / ((double)S * S);
}

double sg_spc_threshold(const double *scores, int64_t n, double C)
{
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; i++) mean += scores[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) var += (scores[i] - mean) * (scores[i] - mean);
    return mean + C * sqrt(var / (double)n);
}

sg_err sg_score_pcagmm(const float *train_latent, int64_t n_train, const float *test_latent, int64_t n_test,
                       int64_t D, int components, bool diagonal, uint64_t seed, double *train_out, double *out)
{
    if (n_train < 3)
        return sg_error_set(SG_ERR_INVALID, "pcagmm: needs at least 3 training images, got %lld", (long long)n_train);
    int64_t k = 64;
    if (k > n_train - 1) k = n_train - 1;
    if (k > D) k = D;
    sg_pca p;
    sg_gmm g = {0};
    float *ztr = malloc((size_t)(n_train * k) * sizeof *ztr), *zte = malloc((size_t)(n_test * k + 1) * sizeof *zte);
    sg_err err = !ztr || !zte ? sg_error_set(SG_ERR_NOMEM, "pcagmm: out of memory") : sg_pca_fit(train_latent, n_train, D, k, &p);
    if (!ztr || !zte) p = (sg_pca){0};
    if (err == SG_OK) err = sg_pca_transform(&p, train_latent, n_train, D, ztr);
    if (err == SG_OK) err = sg_pca_transform(&p, test_latent, n_test, D, zte);
    if (err == SG_OK) {
        sg_gmm_opts o = sg_gmm_opts_default(components);
        o.covariance = diagonal ? SG_GMM_DIAG : SG_GMM_FULL;
        o.seed = seed;
        err = sg_gmm_fit(ztr, n_train, k, &o, &g);
    }
    if (err == SG_OK && train_out) err = sg_gmm_score_samples(&g, ztr, n_train, k, train_out);
    if (err == SG_OK) err = sg_gmm_score_samples(&g, zte, n_test, k, out);
    if (err == SG_OK) {
        if (train_out)
            for (int64_t i = 0; i < n_train; i++) train_out[i] = -train_out[i];
        for (int64_t i = 0; i < n_test; i++) out[i] = -out[i];
    }
    sg_gmm_free(&g);
    sg_pca_free(&p);
    free(ztr);
    free(zte);
    return err;
}

sg_err sg_anomaly_metrics_compute(const double *scores, const bool *anomalous, int64_t n, double threshold,
                                  sg_anomaly_metrics *out)
{
    memset(out, 0, sizeof *out);
    float *probs = malloc((size_t)(2 * n) * sizeof *probs);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    void *scratch = malloc(sg_roc_auc_scratch_bytes(n));
    double per[2], macro;
    sg_err err = !probs || !labels || !scratch ? sg_error_set(SG_ERR_NOMEM, "out of memory") : SG_OK;
    for (int64_t i = 0; i < n && err == SG_OK; i++) {
        probs[2 * i] = (float)-scores[i];
        probs[2 * i + 1] = (float)scores[i];
        labels[i] = anomalous[i];
        const bool flag = scores[i] > threshold;
        out->tp += flag && anomalous[i];
        out->fp += flag && !anomalous[i];
        out->tn += !flag && !anomalous[i];
        out->fn += !flag && anomalous[i];
    }
    if (err == SG_OK) err = sg_roc_auc_ovr(probs, labels, n, 2, scratch, per, &macro);
    if (err == SG_OK) {
        out->auroc = per[1];
        out->accuracy = n ? (double)(out->tp + out->tn) / (double)n : NAN;
        out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : 0.0;
        out->recall = out->tp + out->fn ? (double)out->tp / (double)(out->tp + out->fn) : 0.0;
        out->f1 = out->precision + out->recall > 0
                      ? 2 * out->precision * out->recall / (out->precision + out->recall) : 0.0;
    }
    free(probs);
    free(labels);
    free(scratch);
    return err;
}

sg_err sg_recon_error_png(const float *x, const float *r, int S, const char *path)
{
    const int W = 3 * S;
    uint8_t *px = malloc((size_t)W * S);
    if (!px) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    double peak = 0.0;
    /* Not fmax(peak, fabs(...)): Debian's aarch64 gcc 12 dies vectorising an fmax
     * reduction over widened floats at -O3 (ICE in vect_transform_reduction). The
     * comparison is the same function (a NaN difference is skipped). */
    for (int64_t i = 0; i < (int64_t)S * S; i++) {
        const double d = fabs((double)x[i] - r[i]);
        if (d > peak) peak = d;
    }
    for (int y = 0; y < S; y++)
        for (int c = 0; c < S; c++) {
            const int64_t i = (int64_t)y * S + c;
            const double e = peak > 0.0 ? fabs((double)x[i] - r[i]) / peak : 0.0;
            const double v[3] = {x[i], r[i], e};
            for (int panel = 0; panel < 3; panel++) {
                double t = v[panel] < 0.0 ? 0.0 : (v[panel] > 1.0 ? 1.0 : v[panel]);
                px[(int64_t)y * W + panel * S + c] = (uint8_t)(t * 255.0 + 0.5);
            }
        }
    sg_image img = {.width = W, .height = S, .channels = 1, .depth = 8, .pixels = px};
    sg_err err = sg_png_write(path, &img);
    free(px);
    return err;
}

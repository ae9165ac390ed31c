/* cli/anomaly.c - `steelgrad anomaly train|score`: an autoencoder trained on
 * the healthy class only, and four anomaly scores (papers 000 and 003). */
#define _XOPEN_SOURCE 700  /* realpath() is an XSI extension of POSIX.1-2008 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/safetensors.h"
#include "data/dataset.h"
#include "interp/anomaly.h"
#include "models/cae.h"
#include "train/anomaly.h"

static const sg_cli_command train_cmd = {
    "anomaly train",
    "steelgrad anomaly train --data DIR --healthy CLASS -o|--out RUN [--model cae003|cae000]\n"
    "                        [--size S] [--epochs N] [--batch B] [--lr X] [--seed N] [--clahe]\n"
    "                        [--loss mse|ssim-l1] [--latent-l2 X]",
    "Train a convolutional autoencoder on the images of class folder DIR/CLASS only (gray, S x S,\n"
    "default 128; --clahe equalises them first, paper 003's preprocessing), minimising the mean\n"
    "squared reconstruction error (or paper 003's SSIM-L1 hybrid, --loss ssim-l1) with Adam,\n"
    "plus X * mean(latent^2) with --latent-l2 X (paper 000's lambda 0.1 on the features).\n"
    "cae003 is paper 003's (latent 32 x S/8 x S/8), cae000 paper 000's (256-d latent).\n"
    "Writes RUN/cae.safetensors: the weights and, in its metadata, the model, size, healthy\n"
    "class, options and the training images (for the thresholds of `anomaly score`)."};

static const sg_cli_command score_cmd = {
    "anomaly score",
    "steelgrad anomaly score --run RUN --data DIR [--score spc|p99|ssim|pcagmm] [--clahe]\n"
    "                        [--spc-c X] [--components K] [--covariance full|diag] [--maps DIR]",
    "Score every image of the class folders of DIR (the run's healthy class is normal, every\n"
    "other class anomalous): spc = mean squared residual, p99 = 99th percentile of |residual|,\n"
    "ssim = SSIM-L1 hybrid, pcagmm = -log-likelihood of the latent code under PCA (64\n"
    "components) + a Gaussian mixture fitted on the training images. The threshold is\n"
    "mu + C sigma of the training images' scores (C = --spc-c, default 0.01 as paper 000).\n"
    "Prints one JSON object: AUROC, accuracy / precision / recall / F1 at the threshold, and\n"
    "every image's score. --clahe (or a run trained with --clahe) equalises all images first.\n"
    "Keep DIR apart from the training images: any shared image is counted and reported.\n"
    "--maps DIR writes, per image, DIR/<index>_<name>.png: input | reconstruction | |error|."};

static int train_run(int argc, char **argv)
{
    const char *data = NULL, *healthy = NULL, *out = NULL, *model = "cae003", *loss_name = "mse";
    int64_t size = 128, epochs = 20, batch = 32, seed = 0;
    double lr = 1e-3, latent_l2 = 0;
    bool clahe = false, done;
    int n_pos;
    sg_cli_opt opts[] = {
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .arg = "DIR", .help = "a folder per class (required)"},
        {.name = "healthy", .type = SG_OPT_STRING, .dest = &healthy, .arg = "CLASS",
         .help = "the class folder to train on (required)"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "RUN",
         .help = "the run folder to write (required)"},
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .arg = "cae003|cae000", .help = "default cae003"},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .min = 8, .max = 1024, .help = "image side, a multiple of 8 (default 128)"},
        {.name = "epochs", .type = SG_OPT_INT, .dest = &epochs, .min = 1, .max = 100000, .help = "default 20"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &batch, .min = 1, .max = 4096, .help = "default 32"},
        {.name = "lr", .type = SG_OPT_FLOAT, .dest = &lr, .min = 0, .max = 10, .above_min = true, .help = "Adam learning rate (default 1e-3)"},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .min = 0, .max = 9007199254740992.0, .help = "default 0"},
        {.name = "clahe", .type = SG_OPT_FLAG, .dest = &clahe, .help = "CLAHE (8 x 8 tiles) before resizing"},
        {.name = "loss", .type = SG_OPT_STRING, .dest = &loss_name, .arg = "mse|ssim-l1",
         .help = "reconstruction loss (default mse)"},
        {.name = "latent-l2", .type = SG_OPT_FLOAT, .dest = &latent_l2, .min = 0, .max = 100,
         .help = "adds X * mean(latent^2) to the loss (paper 000: 0.1; default 0)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&train_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &n_pos, &done);
    if (done) return rc;
    if (!data || !healthy || !out) return sg_cli_usage("anomaly train", "--data, --healthy and --out are required");
    if (strcmp(loss_name, "mse") && strcmp(loss_name, "ssim-l1"))
        return sg_cli_usage("anomaly train", "--loss: expected mse or ssim-l1, got '%s'", loss_name);
    if (size % 8) return sg_cli_usage("anomaly train", "--size: expected a multiple of 8, got %lld", (long long)size);
    sg_cae m;
    sg_err err = sg_cae_init(&m, model, 1, (int)size, (uint64_t)seed);
    if (err != SG_OK) return sg_cli_usage("anomaly train", "--model: %s", sg_error_message());
    sg_dataset ds;
    bool have_ds = false;
    const char **paths = NULL;
    float *images = NULL;
    char *list = NULL, path[4096];
    int64_t n = 0;
    /* Absolute paths: the run's list of training images (and `score`'s
     * check against it) then works from any working directory. */
    char abs_data[PATH_MAX];
    if (realpath(data, abs_data)) data = abs_data;
    if ((err = sg_dataset_from_folders(data, NULL, &ds)) != SG_OK) goto fail;
    have_ds = true;
    paths = calloc((size_t)ds.n_samples + 1, sizeof *paths);
    if (!paths) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < ds.n_samples; i++)
        if (ds.samples[i].label >= 0 && strcmp(ds.class_names[ds.samples[i].label], healthy) == 0)
            paths[n++] = ds.samples[i].path;
    if (n == 0) {
        sg_cae_free(&m);
        sg_dataset_free(&ds);
        free(paths);
        return sg_cli_usage("anomaly train", "--healthy: %s has no images in a folder '%s'", data, healthy);
    }
    images = malloc((size_t)(n * size * size) * sizeof *images);
    if (!images) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory for %lld images", (long long)n);
        goto fail;
    }
    if ((err = sg_anomaly_load_images(paths, n, (int)size, clahe, images)) != SG_OK) goto fail;
    double loss = 0;
    sg_anomaly_train_opts to = {.loss = strcmp(loss_name, "mse") ? SG_ANOMALY_SSIM_L1 : SG_ANOMALY_MSE,
                                .epochs = (int)epochs, .batch = (int)batch, .lr = lr, .seed = (uint64_t)seed,
                                .latent_l2 = latent_l2};
    if ((err = sg_anomaly_train(&m, images, n, &to, &loss)) != SG_OK) goto fail;
    /* The training images, for the thresholds and the PCA + GMM of `anomaly score`. */
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    for (int64_t i = 0; i < n; i++) sg_json_writer_string(&w, paths[i]);
    sg_json_writer_end_array(&w);
    const char *text = sg_json_writer_finish(&w, NULL);
    list = text ? strdup(text) : NULL;
    sg_json_writer_free(&w);
    if (!list) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    char s_size[16], s_epochs[24], s_lr[32], s_seed[24], s_loss[32], s_l2[32];
    snprintf(s_size, sizeof s_size, "%lld", (long long)size);
    snprintf(s_epochs, sizeof s_epochs, "%lld", (long long)epochs);
    snprintf(s_lr, sizeof s_lr, "%.17g", lr);
    snprintf(s_seed, sizeof s_seed, "%lld", (long long)seed);
    snprintf(s_loss, sizeof s_loss, "%.9g", loss);
    snprintf(s_l2, sizeof s_l2, "%.17g", latent_l2);
    const char *meta[] = {"format", "steelgrad-cae-1", "model", model, "channels", "1", "size", s_size,
                          "healthy", healthy, "clahe", clahe ? "true" : "false", "loss", loss_name,
                          "epochs", s_epochs, "lr", s_lr, "seed", s_seed, "latent_l2", s_l2, "final_loss", s_loss,
                          "train_images", list};
    if ((err = sg_mkdir_p(out)) != SG_OK) goto fail;
    snprintf(path, sizeof path, "%s/cae.safetensors", out);
    if ((err = sg_params_save(&m.params, path, meta, (int)(sizeof meta / sizeof meta[0] / 2))) != SG_OK) goto fail;
    printf("{\"run\": \"%s\", \"model\": \"%s\", \"healthy\": \"%s\", \"images\": %lld, \"epochs\": %lld, "
           "\"final_loss\": %s}\n", out, model, healthy, (long long)n, (long long)epochs, s_loss);
    rc = SG_EXIT_OK;
    goto done;
fail:
    rc = sg_cli_fail_err("anomaly train", err);
done:
    free(list);
    free(images);
    free(paths);
    if (have_ds) sg_dataset_free(&ds);
    sg_cae_free(&m);
    return rc;
}

/* The score of every image of a set. */
static sg_err score_set(sg_anomaly_score kind, sg_cae *m, const float *images, const float *recon, int64_t n,
                        double *out)
{
    const int S = m->size;
    const int64_t px = (int64_t)S * S;
    for (int64_t i = 0; i < n; i++) {
        const float *x = images + i * px, *r = recon + i * px;
        out[i] = kind == SG_SCORE_MSE ? sg_score_mse(x, r, px)
                 : kind == SG_SCORE_P99 ? sg_score_p99(x, r, px)
                                        : sg_score_ssim_l1(x, r, S);
        if (!isfinite(out[i])) return sg_error_set(SG_ERR_NOMEM, "out of memory while scoring");
    }
    return SG_OK;
}

static int score_run(int argc, char **argv)
{
    const char *run = NULL, *data = NULL, *score = "spc", *covariance = "full", *maps = NULL;
    double spc_c = 0.01;
    int64_t components = 1;
    bool clahe = false, done;
    int n_pos;
    sg_cli_opt opts[] = {
        {.name = "run", .type = SG_OPT_STRING, .dest = &run, .arg = "RUN", .help = "from anomaly train (required)"},
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .arg = "DIR", .help = "a folder per class (required)"},
        {.name = "score", .type = SG_OPT_STRING, .dest = &score, .arg = "spc|p99|ssim|pcagmm", .help = "default spc"},
        {.name = "clahe", .type = SG_OPT_FLAG, .dest = &clahe, .help = "CLAHE before resizing (implied by a --clahe run)"},
        {.name = "spc-c", .type = SG_OPT_FLOAT, .dest = &spc_c, .min = 0, .max = 100,
         .help = "threshold = mu + C sigma of the training scores (default 0.01)"},
        {.name = "components", .type = SG_OPT_INT, .dest = &components, .min = 1, .max = 64,
         .help = "Gaussian mixture components for pcagmm (default 1)"},
        {.name = "covariance", .type = SG_OPT_STRING, .dest = &covariance, .arg = "full|diag",
         .help = "mixture covariance for pcagmm (default full)"},
        {.name = "maps", .type = SG_OPT_STRING, .dest = &maps, .arg = "DIR",
         .help = "write reconstruction-error pictures (PNG) to this folder"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&score_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &n_pos, &done);
    if (done) return rc;
    sg_anomaly_score kind;
    if (!run || !data) return sg_cli_usage("anomaly score", "--run and --data are required");
    if (!sg_anomaly_score_parse(score, &kind))
        return sg_cli_usage("anomaly score", "--score: expected spc, p99, ssim or pcagmm, got '%s'", score);
    if (strcmp(covariance, "full") && strcmp(covariance, "diag"))
        return sg_cli_usage("anomaly score", "--covariance: expected full or diag, got '%s'", covariance);
    char path[4096];
    snprintf(path, sizeof path, "%s/cae.safetensors", run);
    sg_safetensors hdr;
    sg_err err = sg_safetensors_read_header(path, &hdr);
    if (err != SG_OK) return sg_cli_fail_err("anomaly score", err);
    const char *format = sg_safetensors_meta(&hdr, "format"), *model = sg_safetensors_meta(&hdr, "model");
    const char *size_s = sg_safetensors_meta(&hdr, "size"), *healthy = sg_safetensors_meta(&hdr, "healthy");
    const char *list = sg_safetensors_meta(&hdr, "train_images"), *run_clahe = sg_safetensors_meta(&hdr, "clahe");
    if (!format || strcmp(format, "steelgrad-cae-1") || !model || !size_s || !healthy || !list) {
        sg_safetensors_free(&hdr);
        return sg_cli_fail("anomaly score", "%s: not an autoencoder run (metadata format, model, size, healthy, "
                           "train_images expected)", path);
    }
    clahe = clahe || (run_clahe && !strcmp(run_clahe, "true"));
    sg_cae m = {0};
    sg_json *train_list = NULL;
    sg_dataset ds;
    bool have_ds = false, have_m = false;
    const char **train_paths = NULL, **test_paths = NULL;
    float *tr = NULL, *te = NULL, *tr_rec = NULL, *te_rec = NULL, *tr_lat = NULL, *te_lat = NULL;
    double *tr_s = NULL, *te_s = NULL;
    bool *anomalous = NULL;
    int64_t n_train = 0, n_test = 0, shared = 0;
    const int size = atoi(size_s);
    if ((err = sg_cae_init(&m, model, 1, size, 0)) != SG_OK) goto fail;
    have_m = true;
    if ((err = sg_params_load(&m.params, path, true)) != SG_OK) goto fail;
    if ((err = sg_json_parse(list, strlen(list), path, &train_list)) != SG_OK) goto fail;
    n_train = sg_json_count(train_list);
    /* Absolute paths: the run's list of training images (and `score`'s
     * check against it) then works from any working directory. */
    char abs_data[PATH_MAX];
    if (realpath(data, abs_data)) data = abs_data;
    if ((err = sg_dataset_from_folders(data, NULL, &ds)) != SG_OK) goto fail;
    have_ds = true;
    train_paths = calloc((size_t)n_train + 1, sizeof *train_paths);
    test_paths = calloc((size_t)ds.n_samples + 1, sizeof *test_paths);
    anomalous = calloc((size_t)ds.n_samples + 1, sizeof *anomalous);
    if (!train_paths || !test_paths || !anomalous) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int64_t i = 0; i < n_train; i++) train_paths[i] = sg_json_string(sg_json_at(train_list, (int)i), "");
    for (int i = 0; i < ds.n_samples; i++) {
        if (ds.samples[i].label < 0) continue;
        test_paths[n_test] = ds.samples[i].path;
        anomalous[n_test] = strcmp(ds.class_names[ds.samples[i].label], healthy) != 0;
        for (int64_t t = 0; t < n_train; t++)
            if (!strcmp(train_paths[t], ds.samples[i].path)) {
                shared++;
                break;
            }
        n_test++;
    }
    const int64_t px = (int64_t)size * size, L = sg_cae_latent_dim(&m);
    tr = malloc((size_t)(n_train * px) * sizeof *tr);
    tr_rec = malloc((size_t)(n_train * px) * sizeof *tr_rec);
    te = malloc((size_t)(n_test * px + 1) * sizeof *te);
    te_rec = malloc((size_t)(n_test * px + 1) * sizeof *te_rec);
    tr_s = malloc((size_t)n_train * sizeof *tr_s);
    te_s = malloc((size_t)(n_test + 1) * sizeof *te_s);
    if (kind == SG_SCORE_PCAGMM) {
        tr_lat = malloc((size_t)(n_train * L) * sizeof *tr_lat);
        te_lat = malloc((size_t)(n_test * L + 1) * sizeof *te_lat);
    }
    if (!tr || !tr_rec || !te || !te_rec || !tr_s || !te_s || (kind == SG_SCORE_PCAGMM && (!tr_lat || !te_lat))) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory for %lld + %lld images", (long long)n_train, (long long)n_test);
        goto fail;
    }
    if ((err = sg_anomaly_load_images(train_paths, n_train, size, clahe, tr)) != SG_OK) goto fail;
    if ((err = sg_anomaly_load_images(test_paths, n_test, size, clahe, te)) != SG_OK) goto fail;
    if ((err = sg_anomaly_reconstruct(&m, tr, n_train, tr_rec, tr_lat)) != SG_OK) goto fail;
    if ((err = sg_anomaly_reconstruct(&m, te, n_test, te_rec, te_lat)) != SG_OK) goto fail;
    if (kind == SG_SCORE_PCAGMM)
        err = sg_score_pcagmm(tr_lat, n_train, te_lat, n_test, L, (int)components, !strcmp(covariance, "diag"), 0,
                              tr_s, te_s);
    else if ((err = score_set(kind, &m, tr, tr_rec, n_train, tr_s)) == SG_OK)
        err = score_set(kind, &m, te, te_rec, n_test, te_s);
    if (err != SG_OK) goto fail;
    if (maps) {
        if ((err = sg_mkdir_p(maps)) != SG_OK) goto fail;
        for (int64_t i = 0; i < n_test && err == SG_OK; i++) {
            const char *base = strrchr(test_paths[i], '/');
            base = base ? base + 1 : test_paths[i];
            const char *dot = strrchr(base, '.');
            int len = dot && dot > base ? (int)(dot - base) : (int)strlen(base);
            snprintf(path, sizeof path, "%s/%05lld_%.*s.png", maps, (long long)i, len, base);
            err = sg_recon_error_png(te + i * px, te_rec + i * px, size, path);
        }
        if (err != SG_OK) goto fail;
    }
    const double threshold = sg_spc_threshold(tr_s, n_train, spc_c);
    sg_anomaly_metrics am;
    if ((err = sg_anomaly_metrics_compute(te_s, anomalous, n_test, threshold, &am)) != SG_OK) goto fail;
    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "run", run);
    sg_json_writer_kv_string(&w, "model", model);
    sg_json_writer_kv_string(&w, "score", kind == SG_SCORE_MSE ? "spc" : score);
    sg_json_writer_kv_bool(&w, "clahe", clahe);
    sg_json_writer_kv_string(&w, "healthy", healthy);
    sg_json_writer_kv_number(&w, "threshold", threshold);
    sg_json_writer_kv_number(&w, "spc_c", spc_c);
    sg_json_writer_kv_int64(&w, "train_images", n_train);
    sg_json_writer_kv_int64(&w, "images", n_test);
    sg_json_writer_kv_int64(&w, "images_also_in_training", shared);
    sg_json_writer_key(&w, "auroc");
    if (isfinite(am.auroc)) sg_json_writer_number(&w, am.auroc);
    else sg_json_writer_null(&w);
    sg_json_writer_kv_number(&w, "accuracy", am.accuracy);
    sg_json_writer_kv_number(&w, "precision", am.precision);
    sg_json_writer_kv_number(&w, "recall", am.recall);
    sg_json_writer_kv_number(&w, "f1", am.f1);
    sg_json_writer_kv_int64(&w, "tp", am.tp);
    sg_json_writer_kv_int64(&w, "fp", am.fp);
    sg_json_writer_kv_int64(&w, "tn", am.tn);
    sg_json_writer_kv_int64(&w, "fn", am.fn);
    sg_json_writer_key(&w, "per_image");
    sg_json_writer_begin_array(&w);
    for (int64_t i = 0; i < n_test; i++) {
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "file", test_paths[i]);
        sg_json_writer_kv_bool(&w, "anomalous_truth", anomalous[i]);
        sg_json_writer_kv_number(&w, "score", te_s[i]);
        sg_json_writer_kv_bool(&w, "anomalous", te_s[i] > threshold);
        sg_json_writer_end_object(&w);
    }
    sg_json_writer_end_array(&w);
    sg_json_writer_end_object(&w);
    const char *text = sg_json_writer_finish(&w, NULL);
    if (text) printf("%s\n", text);
    fflush(stdout);   /* the JSON whole, before any warning on stderr */
    sg_json_writer_free(&w);
    if (shared)
        fprintf(stderr, "steelgrad anomaly score: warning: %lld images of %s were used in training\n", (long long)shared, data);
    rc = text ? SG_EXIT_OK : sg_cli_fail("anomaly score", "out of memory");
    goto done;
fail:
    rc = sg_cli_fail_err("anomaly score", err);
done:
    free(tr);
    free(te);
    free(tr_rec);
    free(te_rec);
    free(tr_lat);
    free(te_lat);
    free(tr_s);
    free(te_s);
    free(anomalous);
    free(train_paths);
    free(test_paths);
    sg_json_free(train_list);
    if (have_ds) sg_dataset_free(&ds);
    if (have_m) sg_cae_free(&m);
    sg_safetensors_free(&hdr);
    return rc;
}

int cmd_anomaly(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return train_run(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "score") == 0) return score_run(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: steelgrad anomaly train --data DIR --healthy CLASS -o|--out RUN [options]\n"
            "       steelgrad anomaly score --run RUN --data DIR [--score spc|p99|ssim|pcagmm] [options]\n"
            "(steelgrad anomaly train --help for more)\n");
    if (!help && argc >= 2) fprintf(stderr, "steelgrad anomaly: unknown subcommand '%s'\n", argv[1]);
    return help ? SG_EXIT_OK : SG_EXIT_USAGE;
}

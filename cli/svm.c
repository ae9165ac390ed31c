/* cli/svm.c - `steelgrad svm train|predict|eval`: a linear SVM on feature
 * arrays (optim/svm.h), e.g. the pooled backbone features of `steelgrad
 * features`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "core/json.h"
#include "core/npy.h"
#include "interp/metrics.h"
#include "optim/svm.h"

static const sg_cli_command train_cmd = {
    "svm train",
    "steelgrad svm train --features X.npy --labels Y.npy -o|--out SVM.safetensors [--C X]\n"
    "                    [--loss hinge|squared_hinge] [--class-weight none|balanced] [--seed N]\n"
    "                    [--tol X] [--max-iter N] [--classes LIST]",
    "Fit a linear SVM (L2-regularised, dual coordinate descent: the LIBLINEAR method of\n"
    "scikit-learn's LinearSVC(dual=True)) on features X (N x D float) and labels Y (N integers\n"
    "0..K-1); one-vs-rest for K > 2, the bias an extra feature of value 1 regularised like the\n"
    "others. Writes the weights [P, D], the biases [P] (P = 1 for two classes, else K) and, in\n"
    "the metadata, the class names, loss, C, iterations and whether it converged. Prints one\n"
    "JSON line: classes, features, iterations, converged."};

static const sg_cli_command predict_cmd = {
    "svm predict", "steelgrad svm predict --svm SVM.safetensors --features X.npy -o|--output SCORES.npy",
    "Decision values of every row of X: SCORES.npy is N x K float32 (for two classes column 1\n"
    "is scikit-learn's decision_function and column 0 its negative), so argmax is the class."};

static const sg_cli_command eval_cmd = {
    "svm eval", "steelgrad svm eval --svm SVM.safetensors --features X.npy --labels Y.npy",
    "Accuracy, per-class and macro precision / recall / F1, one-vs-rest ROC-AUC of the decision\n"
    "values and the confusion matrix of the SVM on (X, Y), printed as JSON."};

/* X as N x D (a 1-D array is one row). */
static int read_features(const char *cmd, const char *path, sg_npy *x)
{
    sg_err err = sg_npy_read(path, x);
    if (err != SG_OK) return sg_cli_fail_err(cmd, err);
    if (x->ndim != 2 || x->shape[0] < 1 || x->shape[1] < 1) {
        sg_npy_free(x);
        return sg_cli_fail(cmd, "%s: expected an N x D array of features, got %d dimensions", path, x->ndim);
    }
    return SG_EXIT_OK;
}

/* Y as N integers in [0, K_max) (K_max 0 = any >= 0). *K = max + 1. */
static int read_labels(const char *cmd, const char *path, int64_t n, int **out, int *K)
{
    sg_npy y;
    sg_err err = sg_npy_read(path, &y);
    if (err != SG_OK) return sg_cli_fail_err(cmd, err);
    int rc = SG_EXIT_OK;
    *out = NULL;
    *K = 0;
    if (y.numel != n || y.ndim < 1 || y.ndim > 2 || (y.ndim == 2 && y.shape[1] != 1)) {
        rc = sg_cli_fail(cmd, "%s: expected %lld labels (one per row of the features), got %lld", path,
                         (long long)n, (long long)y.numel);
        goto done;
    }
    *out = malloc((size_t)n * sizeof **out);
    if (!*out) {
        rc = sg_cli_fail(cmd, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        float v = y.data[i];
        if (!(v >= 0) || v > 65535 || v != floorf(v)) {
            rc = sg_cli_fail(cmd, "%s: label %lld is %g, expected a class index 0, 1, ...", path, (long long)i,
                             (double)v);
            goto done;
        }
        (*out)[i] = (int)v;
        if ((*out)[i] + 1 > *K) *K = (*out)[i] + 1;
    }
done:
    if (rc != SG_EXIT_OK) {
        free(*out);
        *out = NULL;
    }
    sg_npy_free(&y);
    return rc;
}

/* Split "a,b,c" into names (pointers into buf, which is modified). */
static int split_list(char *buf, char **names, int cap)
{
    int n = 0;
    for (char *s = buf; n < cap;) {
        names[n++] = s;
        char *comma = strchr(s, ',');
        if (!comma) break;
        *comma = '\0';
        s = comma + 1;
    }
    return n;
}

static int svm_train(int argc, char **argv)
{
    const char *features = NULL, *labels = NULL, *out = NULL, *loss = "squared_hinge";
    const char *class_weight = "none", *classes = NULL;
    double C = 1.0, tol = 1e-4;
    int64_t seed = 0, max_iter = 1000;
    bool done;
    int n_pos;
    sg_cli_opt opts[] = {
        {.name = "features", .type = SG_OPT_STRING, .dest = &features, .arg = "X.npy", .help = "N x D features (required)"},
        {.name = "labels", .type = SG_OPT_STRING, .dest = &labels, .arg = "Y.npy", .help = "N class indices (required)"},
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "SVM.safetensors",
         .help = "the SVM file to write (required)"},
        {.name = "C", .type = SG_OPT_FLOAT, .dest = &C, .min = 0, .above_min = true,
         .help = "inverse regularisation strength (default 1)"},
        {.name = "loss", .type = SG_OPT_STRING, .dest = &loss, .arg = "hinge|squared_hinge",
         .help = "hinge (L1-loss) or squared_hinge (L2-loss, default, as LinearSVC)"},
        {.name = "class-weight", .type = SG_OPT_STRING, .dest = &class_weight, .arg = "none|balanced",
         .help = "balanced: C of class k times N / (K * count_k) (default none)"},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .min = 0, .max = 9007199254740992.0,
         .help = "keys the coordinate order (the optimum does not depend on it; default 0)"},
        {.name = "tol", .type = SG_OPT_FLOAT, .dest = &tol, .min = 0, .above_min = true,
         .help = "stop when the projected gradient spread is below this (default 1e-4)"},
        {.name = "max-iter", .type = SG_OPT_INT, .dest = &max_iter, .min = 1, .max = 1e9,
         .help = "outer iterations per class at most (default 1000); reported if reached"},
        {.name = "classes", .type = SG_OPT_STRING, .dest = &classes, .arg = "LIST",
         .help = "class names in label order, comma-separated (default 0,1,...)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&train_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &n_pos, &done);
    if (done) return rc;
    if (!features || !labels || !out)
        return sg_cli_usage("svm train", "--features, --labels and --out are required");
    sg_svm_opts so = sg_svm_opts_default();
    if (!sg_svm_loss_parse(loss, &so.loss))
        return sg_cli_usage("svm train", "--loss: expected hinge or squared_hinge, got '%s'", loss);
    if (strcmp(class_weight, "balanced") != 0 && strcmp(class_weight, "none") != 0)
        return sg_cli_usage("svm train", "--class-weight: expected none or balanced, got '%s'", class_weight);
    const char *inputs[2] = {features, labels};
    if (sg_output_check(out, inputs, 2) != SG_OK) return sg_cli_usage("svm train", "--out: %s", sg_error_message());
    so.C = C;
    so.tol = tol;
    so.max_iter = max_iter;
    so.seed = (uint64_t)seed;
    so.balanced = strcmp(class_weight, "balanced") == 0;
    sg_npy x;
    if ((rc = read_features("svm train", features, &x)) != SG_EXIT_OK) return rc;
    int *y = NULL, K = 0;
    char *names_buf = NULL;
    char **names = NULL;
    sg_svm m = {0};
    if ((rc = read_labels("svm train", labels, x.shape[0], &y, &K)) != SG_EXIT_OK) goto done;
    if (classes) {
        names_buf = malloc(strlen(classes) + 1);
        names = malloc(((size_t)K + 1) * sizeof *names);
        if (!names_buf || !names) {
            rc = sg_cli_fail("svm train", "out of memory");
            goto done;
        }
        strcpy(names_buf, classes);
        int n = split_list(names_buf, names, K + 1);
        if (n != K) {
            rc = sg_cli_usage("svm train", "--classes: %d names for %d classes (labels 0..%d)%s", n, K, K - 1,
                              n > K ? " or more" : "");
            goto done;
        }
    }
    sg_err err = sg_svm_train(x.data, x.shape[0], x.shape[1], y, K, &so, &m);
    if (err == SG_OK && names) err = sg_svm_set_class_names(&m, (const char *const *)names, K);
    if (err == SG_OK) err = sg_svm_save(out, &m);
    if (err != SG_OK) {
        rc = sg_cli_fail_err("svm train", err);
        goto done;
    }
    printf("{\"svm\": \"%s\", \"classes\": %d, \"features\": %lld, \"samples\": %lld, \"iterations\": [", out, K,
           (long long)x.shape[1], (long long)x.shape[0]);
    for (int p = 0; p < m.problems; p++) printf("%s%lld", p ? ", " : "", (long long)m.iterations[p]);
    printf("], \"converged\": %s}\n", m.converged ? "true" : "false");
    if (!m.converged)
        fprintf(stderr, "steelgrad svm train: warning: the solver stopped at --max-iter %lld before --tol %g\n",
                (long long)max_iter, tol);
done:
    sg_svm_free(&m);
    free(names);
    free(names_buf);
    free(y);
    sg_npy_free(&x);
    return rc;
}

/* Load the SVM and the features; scores [N x K] malloc'd. */
static int load_and_score(const char *cmd, const char *svm, const char *features, sg_svm *m, sg_npy *x,
                          float **scores)
{
    *scores = NULL;
    sg_err err = sg_svm_load(svm, m);
    if (err != SG_OK) return sg_cli_fail_err(cmd, err);
    int rc = read_features(cmd, features, x);
    if (rc != SG_EXIT_OK) {
        sg_svm_free(m);
        return rc;
    }
    if (x->shape[1] != m->dim) {
        rc = sg_cli_fail(cmd, "%s has %lld features per row, but %s was trained on %lld", features,
                         (long long)x->shape[1], svm, (long long)m->dim);
    } else if (!(*scores = malloc((size_t)(x->shape[0] * m->classes) * sizeof **scores))) {
        rc = sg_cli_fail(cmd, "out of memory");
    } else if ((err = sg_svm_decision(m, x->data, x->shape[0], x->shape[1], *scores)) != SG_OK) {
        rc = sg_cli_fail_err(cmd, err);
    }
    if (rc != SG_EXIT_OK) {
        free(*scores);
        *scores = NULL;
        sg_svm_free(m);
        sg_npy_free(x);
    }
    return rc;
}

static int svm_predict(int argc, char **argv)
{
    const char *svm = NULL, *features = NULL, *output = NULL;
    bool done;
    int n_pos;
    sg_cli_opt opts[] = {
        {.name = "svm", .type = SG_OPT_STRING, .dest = &svm, .arg = "SVM.safetensors", .help = "from svm train (required)"},
        {.name = "features", .type = SG_OPT_STRING, .dest = &features, .arg = "X.npy", .help = "N x D features (required)"},
        {.name = "output", .type = SG_OPT_STRING, .dest = &output, .short_name = 'o', .arg = "SCORES.npy",
         .help = "N x K decision values to write (required)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&predict_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &n_pos, &done);
    if (done) return rc;
    if (!svm || !features || !output)
        return sg_cli_usage("svm predict", "--svm, --features and --output are required");
    const char *inputs[2] = {svm, features};
    if (sg_output_check(output, inputs, 2) != SG_OK)
        return sg_cli_usage("svm predict", "--output: %s", sg_error_message());
    sg_svm m;
    sg_npy x;
    float *scores;
    if ((rc = load_and_score("svm predict", svm, features, &m, &x, &scores)) != SG_EXIT_OK) return rc;
    int64_t shape[2] = {x.shape[0], m.classes};
    sg_err err = sg_npy_write_f32(output, 2, shape, scores);
    if (err != SG_OK) rc = sg_cli_fail_err("svm predict", err);
    else printf("%s: %lld x %d decision values\n", output, (long long)x.shape[0], m.classes);
    free(scores);
    sg_svm_free(&m);
    sg_npy_free(&x);
    return rc;
}

static int svm_eval(int argc, char **argv)
{
    const char *svm = NULL, *features = NULL, *labels = NULL;
    bool done;
    int n_pos;
    sg_cli_opt opts[] = {
        {.name = "svm", .type = SG_OPT_STRING, .dest = &svm, .arg = "SVM.safetensors", .help = "from svm train (required)"},
        {.name = "features", .type = SG_OPT_STRING, .dest = &features, .arg = "X.npy", .help = "N x D features (required)"},
        {.name = "labels", .type = SG_OPT_STRING, .dest = &labels, .arg = "Y.npy", .help = "N class indices (required)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&eval_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, &n_pos, &done);
    if (done) return rc;
    if (!svm || !features || !labels)
        return sg_cli_usage("svm eval", "--svm, --features and --labels are required");
    sg_svm m;
    sg_npy x;
    float *scores;
    if ((rc = load_and_score("svm eval", svm, features, &m, &x, &scores)) != SG_EXIT_OK) return rc;
    const int64_t N = x.shape[0];
    const int K = m.classes;
    int *y = NULL, Ky = 0;
    int32_t *truth = malloc((size_t)N * sizeof *truth), *pred = malloc((size_t)N * sizeof *pred);
    int64_t *confusion = calloc((size_t)K * (size_t)K, sizeof *confusion);
    sg_class_metrics *per_class = calloc((size_t)K, sizeof *per_class);
    void *scratch = malloc(sg_roc_auc_scratch_bytes(N));
    double *auc = malloc((size_t)K * sizeof *auc);
    if (!truth || !pred || !confusion || !per_class || !scratch || !auc) {
        rc = sg_cli_fail("svm eval", "out of memory");
        goto done;
    }
    if ((rc = read_labels("svm eval", labels, N, &y, &Ky)) != SG_EXIT_OK) goto done;
    if (Ky > K) {
        rc = sg_cli_fail("svm eval", "%s: label %d is not a class of %s (%d classes)", labels, Ky - 1, svm, K);
        goto done;
    }
    for (int64_t i = 0; i < N; i++) {
        truth[i] = y[i];
        pred[i] = sg_argmax(scores + i * K, K);
    }
    sg_metrics met;
    sg_confusion_add(confusion, K, truth, pred, N);
    sg_metrics_from_confusion(confusion, K, per_class, &met);
    sg_err err = sg_roc_auc_ovr(scores, truth, N, K, scratch, auc, &met.roc_auc);
    if (err != SG_OK) {
        rc = sg_cli_fail_err("svm eval", err);
        goto done;
    }
    for (int k = 0; k < K; k++) per_class[k].roc_auc = auc[k];
    sg_json_writer w;
    sg_json_writer_init(&w, true);
    sg_json_writer_begin_object(&w);
    sg_json_writer_kv_string(&w, "svm", svm);
    sg_json_writer_kv_string(&w, "features", features);
    sg_metrics_write_json(&w, &met, (const char *const *)m.class_names);
    sg_json_writer_end_object(&w);
    const char *text = sg_json_writer_finish(&w, NULL);
    if (text) printf("%s\n", text);
    else rc = sg_cli_fail("svm eval", "out of memory");
    sg_json_writer_free(&w);
done:
    free(y);
    free(truth);
    free(pred);
    free(confusion);
    free(per_class);
    free(scratch);
    free(auc);
    free(scores);
    sg_svm_free(&m);
    sg_npy_free(&x);
    return rc;
}

int cmd_svm(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return svm_train(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "predict") == 0) return svm_predict(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "eval") == 0) return svm_eval(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: steelgrad svm train --features X.npy --labels Y.npy -o|--out SVM.safetensors [options]\n"
            "       steelgrad svm predict --svm SVM.safetensors --features X.npy -o|--output SCORES.npy\n"
            "       steelgrad svm eval --svm SVM.safetensors --features X.npy --labels Y.npy\n"
            "(steelgrad svm train --help for more)\n");
    if (!help && argc >= 2) fprintf(stderr, "steelgrad svm: unknown subcommand '%s'\n", argv[1]);
    return help ? SG_EXIT_OK : SG_EXIT_USAGE;
}

/* optim/svm_file.c - an SVM as a .safetensors file (format in svm.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/safetensors.h"
#include "optim/svm.h"

/* A JSON array of strings or integers, malloc'd; NULL when out of memory. */
static char *json_array(const sg_svm *m, bool names)
{
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_array(&w);
    int n = names ? m->classes : m->problems;
    for (int k = 0; k < n; k++) {
        if (!names) {
            sg_json_writer_int64(&w, m->iterations[k]);
        } else if (m->class_names) {
            sg_json_writer_string(&w, m->class_names[k]);
        } else {
            char num[16];
            snprintf(num, sizeof num, "%d", k);
            sg_json_writer_string(&w, num);
        }
    }
    sg_json_writer_end_array(&w);
    size_t len;
    const char *text = sg_json_writer_finish(&w, &len);
    char *copy = text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    sg_json_writer_free(&w);
    return copy;
}

sg_err sg_svm_save(const char *path, const sg_svm *m)
{
    const int64_t P = m->problems, D = m->dim;
    float *w = malloc((size_t)(P * D) * sizeof *w);
    float *b = malloc((size_t)P * sizeof *b);
    char *classes = json_array(m, true), *iterations = json_array(m, false);
    sg_err err = SG_OK;
    if (!w || !b || !classes || !iterations) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t i = 0; i < P * D; i++) w[i] = (float)m->w[i];
    for (int64_t p = 0; p < P; p++) b[p] = (float)m->b[p];
    char num_classes[24], C[32], tol[32], max_iter[24], scaling[32], seed[24];
    snprintf(num_classes, sizeof num_classes, "%d", m->classes);
    snprintf(C, sizeof C, "%.17g", m->opts.C);
    snprintf(tol, sizeof tol, "%.17g", m->opts.tol);
    snprintf(max_iter, sizeof max_iter, "%lld", (long long)m->opts.max_iter);
    snprintf(scaling, sizeof scaling, "%.17g", m->opts.intercept_scaling);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->opts.seed);
    const char *meta[] = {
        "format", "steelgrad-svm-1",
        "classes", classes,
        "num_classes", num_classes,
        "loss", sg_svm_loss_name(m->opts.loss),
        "C", C,
        "tol", tol,
        "max_iter", max_iter,
        "intercept_scaling", scaling,
        "class_weight", m->opts.balanced ? "balanced" : "none",
        "shrinking", m->opts.shrinking ? "true" : "false",
        "seed", seed,
        "iterations", iterations,
        "converged", m->converged ? "true" : "false",
    };
    int64_t wshape[2] = {P, D}, bshape[1] = {P};
    sg_st_entry entries[2] = {{"bias", 1, bshape, b}, {"weight", 2, wshape, w}};
    err = sg_safetensors_write(path, entries, 2, meta, (int)(sizeof meta / sizeof meta[0] / 2));
done:
    free(w);
    free(b);
    free(classes);
    free(iterations);
    return err;
}

static double meta_number(const sg_safetensors *f, const char *key, double def)
{
    const char *v = sg_safetensors_meta(f, key);
    if (!v) return def;
    char *end;
    double x = strtod(v, &end);
    return *end == '\0' && end != v ? x : def;
}

sg_err sg_svm_load(const char *path, sg_svm *out)
{
    memset(out, 0, sizeof *out);
    sg_safetensors f;
    sg_err err = sg_safetensors_read(path, &f);
    if (err != SG_OK) return err;
    sg_json *classes = NULL, *iters = NULL;
    const char *format = sg_safetensors_meta(&f, "format");
    const char *classes_text = sg_safetensors_meta(&f, "classes");
    const char *iters_text = sg_safetensors_meta(&f, "iterations");
    const sg_st_tensor *w = sg_safetensors_find(&f, "weight"), *b = sg_safetensors_find(&f, "bias");
    if (!format || strcmp(format, "steelgrad-svm-1") != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not an SVM file (metadata \"format\" is %s%s%s, expected "
                           "\"steelgrad-svm-1\")", path, format ? "\"" : "", format ? format : "missing",
                           format ? "\"" : "");
        goto done;
    }
    if (!classes_text || sg_json_parse(classes_text, strlen(classes_text), path, &classes) != SG_OK ||
        sg_json_count(classes) < 2) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: metadata \"classes\" must be a JSON array of >= 2 names", path);
        goto done;
    }
    const int K = sg_json_count(classes), P = K == 2 ? 1 : K;
    if (!w || !b || w->ndim != 2 || w->shape[0] != P || w->shape[1] < 1 || b->ndim != 1 || b->shape[0] != P) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: expected tensors weight [%d, D] and bias [%d] for %d classes",
                           path, P, P, K);
        goto done;
    }
    out->classes = K;
    out->problems = P;
    out->dim = w->shape[1];
    out->w = malloc((size_t)(P * out->dim) * sizeof *out->w);
    out->b = malloc((size_t)P * sizeof *out->b);
    out->iterations = calloc((size_t)P, sizeof *out->iterations);
    out->class_names = calloc((size_t)K, sizeof *out->class_names);
    if (!out->w || !out->b || !out->iterations || !out->class_names) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int64_t i = 0; i < P * out->dim; i++) out->w[i] = w->data[i];
    for (int p = 0; p < P; p++) out->b[p] = b->data[p];
    for (int k = 0; k < K; k++) {
        const char *name = sg_json_string(sg_json_at(classes, k), NULL);
        if (!name) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: class name %d is not a string", path, k);
            goto done;
        }
        out->class_names[k] = malloc(strlen(name) + 1);
        if (!out->class_names[k]) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        strcpy(out->class_names[k], name);
    }
    if (iters_text && sg_json_parse(iters_text, strlen(iters_text), path, &iters) == SG_OK)
        for (int p = 0; p < P && p < sg_json_count(iters); p++) sg_json_int64(sg_json_at(iters, p), &out->iterations[p]);
    const char *loss = sg_safetensors_meta(&f, "loss"), *cw = sg_safetensors_meta(&f, "class_weight");
    const char *conv = sg_safetensors_meta(&f, "converged"), *shrink = sg_safetensors_meta(&f, "shrinking");
    out->opts = sg_svm_opts_default();
    if (loss) sg_svm_loss_parse(loss, &out->opts.loss);
    out->opts.C = meta_number(&f, "C", out->opts.C);
    out->opts.tol = meta_number(&f, "tol", out->opts.tol);
    out->opts.max_iter = (int64_t)meta_number(&f, "max_iter", (double)out->opts.max_iter);
    out->opts.intercept_scaling = meta_number(&f, "intercept_scaling", out->opts.intercept_scaling);
    out->opts.seed = (uint64_t)meta_number(&f, "seed", 0);
    out->opts.balanced = cw && strcmp(cw, "balanced") == 0;
    out->opts.shrinking = !shrink || strcmp(shrink, "false") != 0;
    out->converged = conv && strcmp(conv, "true") == 0;
done:
    sg_json_free(classes);
    sg_json_free(iters);
    sg_safetensors_free(&f);
    if (err != SG_OK) sg_svm_free(out);
    return err;
}

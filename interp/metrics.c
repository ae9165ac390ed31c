/* interp/metrics.c - classification metrics (definitions in metrics.h). */
#include "interp/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sg_argmax(const float *row, int K)
{
    int best = 0;
    for (int k = 1; k < K; k++)
        if (row[k] > row[best]) best = k;
    return best;
}

sg_err sg_confusion_add(int64_t *confusion, int K, const int32_t *truth, const int32_t *predicted,
                        int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (truth[i] < 0 || truth[i] >= K || predicted[i] < 0 || predicted[i] >= K)
            return sg_error_set(SG_ERR_INVALID, "confusion matrix: label %d / prediction %d of "
                                "image %lld is outside 0..%d", truth[i], predicted[i], (long long)i,
                                K - 1);
    for (int64_t i = 0; i < n; i++) confusion[(int64_t)truth[i] * K + predicted[i]]++;
    return SG_OK;
}

/* a / b, or 0 when b is 0 (sklearn's zero_division=0). */
static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

void sg_metrics_from_confusion(const int64_t *confusion, int K, sg_class_metrics *per_class,
                               sg_metrics *out)
{
    int64_t n = 0, correct = 0;
    double sp = 0, sr = 0, sf = 0;
    for (int k = 0; k < K; k++) {
        int64_t row = 0, col = 0, tp = confusion[(int64_t)k * K + k];
        for (int j = 0; j < K; j++) {
            row += confusion[(int64_t)k * K + j];
            col += confusion[(int64_t)j * K + k];
        }
        sg_class_metrics *c = &per_class[k];
        c->support = row;
        c->predicted = col;
        c->precision = ratio((double)tp, (double)col);
        c->recall = ratio((double)tp, (double)row);
        c->f1 = ratio(2.0 * c->precision * c->recall, c->precision + c->recall);
        c->roc_auc = NAN;
        sp += c->precision;
        sr += c->recall;
        sf += c->f1;
        n += row;
        correct += tp;
    }
    *out = (sg_metrics){.classes = K, .n = n, .accuracy = n ? (double)correct / (double)n : NAN,
                        .macro_precision = sp / K, .macro_recall = sr / K, .macro_f1 = sf / K,
                        .roc_auc = NAN, .loss = NAN, .confusion = confusion,
                        .per_class = per_class};
}

typedef struct scored {
    float score;
    int32_t positive;
} scored;

/* Ascending score; NaN first, so the order is total. */
static int by_score(const void *pa, const void *pb)
{
    float a = ((const scored *)pa)->score, b = ((const scored *)pb)->score;
    if (isnan(a) || isnan(b)) return isnan(b) - isnan(a);
    return (a > b) - (a < b);
}

/* Heapsort by by_score: in place, no allocation (glibc's qsort may malloc). */
static void sift_down(scored *s, int64_t root, int64_t n)
{
    for (int64_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && by_score(&s[child], &s[child + 1]) < 0) child++;
        if (by_score(&s[root], &s[child]) >= 0) return;
        scored t = s[root];
        s[root] = s[child];
        s[child] = t;
    }
}

static void sort_scores(scored *s, int64_t n)
{
    for (int64_t i = n / 2 - 1; i >= 0; i--) sift_down(s, i, n);
    for (int64_t end = n - 1; end > 0; end--) {
        scored t = s[0];
        s[0] = s[end];
        s[end] = t;
        sift_down(s, 0, end);
    }
}

size_t sg_roc_auc_scratch_bytes(int64_t n) { return (size_t)(n > 0 ? n : 1) * sizeof(scored); }

sg_err sg_roc_auc_ovr(const float *probs, const int32_t *labels, int64_t n, int K, void *scratch,
                      double *per_class, double *macro)
{
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= K)
            return sg_error_set(SG_ERR_INVALID, "ROC-AUC: label %d of image %lld is outside 0..%d",
                                labels[i], (long long)i, K - 1);
    scored *s = scratch;
    double sum = 0;
    int defined = 0;
    for (int k = 0; k < K; k++) {
        int64_t pos = 0;
        for (int64_t i = 0; i < n; i++) {
            s[i] = (scored){probs[i * K + k], labels[i] == k};
            pos += labels[i] == k;
        }
        int64_t neg = n - pos;
        double auc = NAN;
        if (pos > 0 && neg > 0) {
            sort_scores(s, n);
            /* Sum of the (1-based, tie-averaged) ranks of the positives. */
            double rank_sum = 0;
            for (int64_t i = 0; i < n;) {
                int64_t j = i, pos_in_tie = 0;
                while (j < n && by_score(&s[i], &s[j]) == 0) pos_in_tie += s[j++].positive;
                rank_sum += (double)pos_in_tie * ((double)(i + 1) + (double)j) / 2.0;
                i = j;
            }
            auc = (rank_sum - (double)pos * (double)(pos + 1) / 2.0) / ((double)pos * (double)neg);
            sum += auc;
            defined++;
        }
        if (per_class) per_class[k] = auc;
    }
    *macro = defined ? sum / defined : NAN;
    return SG_OK;
}

sg_err sg_roc_curve(const float *probs, const int32_t *labels, int64_t n, int K, int k, void *scratch,
                    double *fpr, double *tpr, int64_t *points)
{
    *points = 0;
    scored *s = scratch;
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= K)
            return sg_error_set(SG_ERR_INVALID, "ROC curve: label %d of image %lld is outside 0..%d",
                                labels[i], (long long)i, K - 1);
        s[i] = (scored){probs[i * K + k], labels[i] == k};
        pos += labels[i] == k;
    }
    const int64_t neg = n - pos;
    if (pos == 0 || neg == 0) return SG_OK;
    sort_scores(s, n);
    int64_t m = 0, tp = 0, fp = 0;
    fpr[m] = tpr[m] = 0;
    m++;
    /* From the top of the ascending order: each tie group is one threshold. */
    for (int64_t j = n; j > 0;) {
        int64_t i = j - 1;
        while (i > 0 && by_score(&s[i - 1], &s[j - 1]) == 0) i--;
        for (int64_t t = i; t < j; t++) {
            tp += s[t].positive;
            fp += !s[t].positive;
        }
        fpr[m] = (double)fp / (double)neg;
        tpr[m] = (double)tp / (double)pos;
        m++;
        j = i;
    }
    *points = m;
    return SG_OK;
}

void sg_metrics_write_json(sg_json_writer *w, const sg_metrics *m, const char *const *class_names)
{
    const int K = m->classes;
    sg_json_writer_kv_number(w, "accuracy", m->accuracy);
    sg_json_writer_kv_number(w, "loss", m->loss);
    sg_json_writer_kv_number(w, "macro_precision", m->macro_precision);
    sg_json_writer_kv_number(w, "macro_recall", m->macro_recall);
    sg_json_writer_kv_number(w, "macro_f1", m->macro_f1);
    sg_json_writer_kv_number(w, "roc_auc", m->roc_auc);
    sg_json_writer_kv_int64(w, "images", m->n);
    sg_json_writer_key(w, "per_class");
    sg_json_writer_begin_array(w);
    for (int k = 0; k < K; k++) {
        const sg_class_metrics *c = &m->per_class[k];
        sg_json_writer_begin_object(w);
        sg_json_writer_kv_string(w, "class", class_names[k]);
        sg_json_writer_kv_number(w, "precision", c->precision);
        sg_json_writer_kv_number(w, "recall", c->recall);
        sg_json_writer_kv_number(w, "f1", c->f1);
        sg_json_writer_kv_number(w, "roc_auc", c->roc_auc);
        sg_json_writer_kv_int64(w, "support", c->support);
        sg_json_writer_end_object(w);
    }
    sg_json_writer_end_array(w);
    sg_json_writer_key(w, "confusion");
    sg_json_writer_begin_array(w);
    for (int r = 0; r < K; r++) {
        sg_json_writer_begin_array(w);
        for (int c = 0; c < K; c++) sg_json_writer_int64(w, m->confusion[(int64_t)r * K + c]);
        sg_json_writer_end_array(w);
    }
    sg_json_writer_end_array(w);
}

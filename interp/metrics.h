/* interp/metrics.h - classification metrics: accuracy, per-class and macro
 * precision / recall / F1, the confusion matrix, macro one-vs-rest ROC-AUC.
 *
 * Definitions follow scikit-learn (https://scikit-learn.org/stable/modules/model_evaluation.html):
 *   confusion[t * K + p]  images of true class t predicted as p (row = truth)
 *   precision_k = TP_k / (TP_k + FP_k)      recall_k = TP_k / (TP_k + FN_k)
 *   F1_k = 2 P R / (P + R)                  each 0 when its denominator is 0
 *                                           (sklearn's zero_division=0)
 *   macro = the unweighted mean over the K classes (sklearn average='macro')
 *   ROC-AUC_k = P(score of a random positive > score of a random negative),
 *     ties counting 1/2 (the Mann-Whitney U statistic over average ranks),
 *     scores = the predicted probability of class k; macro = mean over the
 *     classes that have both positives and negatives (a class with only one
 *     kind has no ROC curve: its AUC is NaN, written as null, and it is left
 *     out of the mean; sklearn would refuse the whole call).
 * Nothing here allocates: the caller passes the arrays (training evaluates
 * every epoch and must not call malloc in its loop). */
#ifndef SG_METRICS_H
#define SG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/json.h"

typedef struct sg_class_metrics {
    double precision, recall, f1;
    double roc_auc;              /* NaN when undefined (see above) */
    int64_t support;             /* images of this class (row sum) */
    int64_t predicted;           /* images predicted as this class (column sum) */
} sg_class_metrics;

typedef struct sg_metrics {
    int classes;
    int64_t n;                   /* images counted */
    double accuracy;             /* trace / n; NaN when n == 0 */
    double macro_precision, macro_recall, macro_f1;
    double roc_auc;              /* macro one-vs-rest; NaN when no class has an ROC curve */
    double loss;                 /* mean loss if the caller sets it, else NaN */
    const int64_t *confusion;    /* [K * K], the caller's */
    sg_class_metrics *per_class; /* [K], the caller's */
} sg_metrics;

/* The index of the largest of row[0..K) (the first one on ties, as numpy argmax). */
int sg_argmax(const float *row, int K);

/* confusion[truth[i] * K + predicted[i]] += 1 for i < n. Labels outside
 * [0, K) are SG_ERR_INVALID (nothing is added). */
sg_err sg_confusion_add(int64_t *confusion, int K, const int32_t *truth, const int32_t *predicted,
                        int64_t n);

/* Accuracy, precision / recall / F1 per class and macro from a confusion
 * matrix. per_class must hold K entries; their roc_auc is set to NaN (see
 * sg_roc_auc_ovr). out->confusion points at `confusion`. */
void sg_metrics_from_confusion(const int64_t *confusion, int K, sg_class_metrics *per_class,
                               sg_metrics *out);

/* Bytes of scratch sg_roc_auc_ovr needs for n images. */
size_t sg_roc_auc_scratch_bytes(int64_t n);
/* One-vs-rest ROC-AUC of probs [n, K] (row i = image i's class scores)
 * against labels [n]: per_class[k] (may be NULL) and *macro. scratch holds
 * sg_roc_auc_scratch_bytes(n) bytes. SG_ERR_INVALID for a label outside [0, K). */
sg_err sg_roc_auc_ovr(const float *probs, const int32_t *labels, int64_t n, int K, void *scratch,
                      double *per_class, double *macro);

/* The one-vs-rest ROC curve of class k over the same scores and the same
 * sort as sg_roc_auc_ovr: thresholds from the highest score down, one point
 * per distinct score (a tie moves TPR and FPR together: one diagonal step),
 * from (0, 0) to (1, 1); sklearn's roc_curve with drop_intermediate=False
 * plus its (0, 0) start. fpr and tpr hold n + 1 entries; *points is set (0
 * when class k has no positives or no negatives: no curve). The trapezoid
 * area under it equals sg_roc_auc_ovr's per_class[k] up to rounding. scratch
 * as for sg_roc_auc_ovr. SG_ERR_INVALID for a label outside [0, K). */
sg_err sg_roc_curve(const float *probs, const int32_t *labels, int64_t n, int K, int k, void *scratch,
                    double *fpr, double *tpr, int64_t *points);

/* Write the metrics as members of the open JSON object w: "accuracy",
 * "loss", "macro_precision", "macro_recall", "macro_f1", "roc_auc", "images",
 * "per_class" (array of {"class", "precision", "recall", "f1", "roc_auc",
 * "support"}) and "confusion" (K rows, row = true class). NaN is null. */
void sg_metrics_write_json(sg_json_writer *w, const sg_metrics *m, const char *const *class_names);

#endif

/* interp/detection.c - VOC average precision (see detection.h). */
#include "interp/detection.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sg_box_iou(const sg_det_box *a, const sg_det_box *b, bool pixel_inclusive)
{
    double one = pixel_inclusive ? 1.0 : 0.0;
    double iw = fmin(a->xmax, b->xmax) - fmax(a->xmin, b->xmin) + one;
    double ih = fmin(a->ymax, b->ymax) - fmax(a->ymin, b->ymin) + one;
    if (iw <= 0 || ih <= 0) return 0.0;
    double inter = iw * ih;
    double ua = ((double)a->xmax - a->xmin + one) * ((double)a->ymax - a->ymin + one) +
                ((double)b->xmax - b->xmin + one) * ((double)b->ymax - b->ymin + one) - inter;
    return ua > 0 ? inter / ua : 0.0;
}

/* Indices of the class's detections by score, highest first, stable. */
typedef struct ranked { float score; int index; } ranked;

static int by_score(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

sg_err sg_voc_ap(const sg_det_box *gt, int n_gt, const sg_det_box *det, int n_det, int label,
                 double iou_threshold, bool pixel_inclusive, double *ap_all, double *ap_11)
{
    if (ap_all) *ap_all = NAN;
    if (ap_11) *ap_11 = NAN;
    int npos = 0, nd = 0;
    for (int i = 0; i < n_gt; i++) npos += gt[i].label == label && !gt[i].difficult;
    for (int i = 0; i < n_det; i++) nd += det[i].label == label;
    if (npos == 0) return SG_OK;
    ranked *order = malloc(((size_t)nd + 1) * sizeof *order);
    bool *taken = calloc((size_t)n_gt + 1, sizeof *taken);
    double *rec = malloc(((size_t)nd + 2) * sizeof *rec), *prec = malloc(((size_t)nd + 2) * sizeof *prec);
    if (!order || !taken || !rec || !prec) {
        free(order);
        free(taken);
        free(rec);
        free(prec);
        return sg_error_set(SG_ERR_NOMEM, "voc ap: out of memory for %d detections", nd);
    }
    nd = 0;
    for (int i = 0; i < n_det; i++)
        if (det[i].label == label) order[nd++] = (ranked){det[i].score, i};
    qsort(order, (size_t)nd, sizeof *order, by_score);
    /* Walk the ranked list: the cumulative TP and FP give recall and precision. */
    int tp = 0, fp = 0, n = 0;
    for (int r = 0; r < nd; r++) {
        const sg_det_box *d = &det[order[r].index];
        double best = -INFINITY;
        int jbest = -1;
        for (int j = 0; j < n_gt; j++) {
            if (gt[j].label != label || gt[j].image != d->image) continue;
            double iou = sg_box_iou(d, &gt[j], pixel_inclusive);
            if (iou > best) best = iou, jbest = j;
        }
        if (jbest >= 0 && best > iou_threshold) {
            if (gt[jbest].difficult) continue;        /* neither TP nor FP */
            if (!taken[jbest]) taken[jbest] = true, tp++;
            else fp++;
        } else {
            fp++;
        }
        rec[n] = (double)tp / npos;
        prec[n] = (double)tp / (tp + fp);
        n++;
    }
    /* 11-point: the largest precision at recall >= t, t = k * 0.1 in double as
     * voc_eval.py's np.arange(0., 1.1, 0.1) (0.30000000000000004, not 0.3: a
     * recall of exactly 0.3 does not count for t = 0.3, as there). */
    double s11 = 0.0;
    for (int k = 0; k <= 10; k++) {
        double t = k * 0.1, p = 0.0;
        for (int i = 0; i < n; i++)
            if (rec[i] >= t && prec[i] > p) p = prec[i];
        s11 += p / 11.0;
    }
    /* All-point: mrec = [0, rec, 1], mpre = [0, prec, 0], envelope from the
     * right, area where recall changes. */
    double area = 0.0, env = 0.0;
    for (int i = n; i >= 0; i--) {
        /* segment from mrec[i] to mrec[i + 1] at envelope height mpre[i + 1] */
        double r_hi = i < n ? rec[i] : 1.0, r_lo = i > 0 ? rec[i - 1] : 0.0;
        double p_here = i < n ? prec[i] : 0.0;
        env = fmax(env, p_here);
        area += (r_hi - r_lo) * env;
    }
    if (ap_all) *ap_all = area;
    if (ap_11) *ap_11 = s11;
    free(order);
    free(taken);
    free(rec);
    free(prec);
    return SG_OK;
}

sg_err sg_voc_map(const sg_det_box *gt, int n_gt, const sg_det_box *det, int n_det,
                  int n_classes, double iou_threshold, bool pixel_inclusive, double *map_all,
                  double *map_11, double *per_class_all, double *per_class_11)
{
    double sum_all = 0, sum_11 = 0;
    int defined = 0;
    for (int c = 0; c < n_classes; c++) {
        double a, b;
        sg_err err = sg_voc_ap(gt, n_gt, det, n_det, c, iou_threshold, pixel_inclusive, &a, &b);
        if (err != SG_OK) return err;
        if (per_class_all) per_class_all[c] = a;
        if (per_class_11) per_class_11[c] = b;
        if (isnan(a)) continue;
        sum_all += a;
        sum_11 += b;
        defined++;
    }
    if (map_all) *map_all = defined ? sum_all / defined : NAN;
    if (map_11) *map_11 = defined ? sum_11 / defined : NAN;
    return SG_OK;
}

int sg_det_nms(sg_det_box *det, int n_det, double iou_threshold, bool pixel_inclusive)
{
    if (n_det <= 0) return 0;
    ranked *order = malloc((size_t)n_det * sizeof *order);
    sg_det_box *copy = malloc((size_t)n_det * sizeof *copy);
    if (!order || !copy) {
        free(order);
        free(copy);
        sg_error_set(SG_ERR_NOMEM, "nms: out of memory for %d detections", n_det);
        return -1;
    }
    for (int i = 0; i < n_det; i++) order[i] = (ranked){det[i].score, i};
    qsort(order, (size_t)n_det, sizeof *order, by_score);
    memcpy(copy, det, (size_t)n_det * sizeof *copy);
    int kept = 0;
    for (int r = 0; r < n_det; r++) {
        const sg_det_box *d = &copy[order[r].index];
        bool keep = true;
        for (int k = 0; keep && k < kept; k++)
            keep = !(det[k].image == d->image && det[k].label == d->label &&
                     sg_box_iou(&det[k], d, pixel_inclusive) > iou_threshold);
        if (keep) det[kept++] = *d;
    }
    free(order);
    free(copy);
    return kept;
}

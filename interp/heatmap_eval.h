/* interp/heatmap_eval.h - heatmaps judged against ground truth, not only drawn.
 *
 * All three work in the map's own pixel grid [H, W]; boxes are given in that
 * grid's continuous coordinates (pixel (x, y) covers [x, x+1) x [y, y+1), its
 * centre is (x + 0.5, y + 0.5)): the caller scales image boxes by W / image
 * width and H / image height.
 *
 *   pointing game   1 if the map's peak (first maximum in row-major order)
 *                   has its centre inside some box, else 0 (Zhang et al. 2016,
 *                   "Top-down neural attention by excitation backprop", without
 *                   their 15-pixel tolerance). Ties: the first maximum.
 *   energy in boxes sum of the map over pixels whose centre lies in a box,
 *                   divided by the sum over all pixels (Wang et al. 2020,
 *                   Score-CAM's "energy-based pointing game"); NaN for a map
 *                   that sums to 0.
 *   pixel AUROC     P(map at a random mask pixel > map at a random non-mask
 *                   pixel), ties counting 1/2 (the Mann-Whitney U statistic /
 *                   (n_pos n_neg)); NaN when either set is empty. Pooled over
 *                   every pixel given (several images: concatenate them). */
#ifndef SG_INTERP_HEATMAP_EVAL_H
#define SG_INTERP_HEATMAP_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sg_heat_box {
    float xmin, ymin, xmax, ymax;  /* map pixels, continuous; a centre on an edge is inside */
} sg_heat_box;

/* The index (y * W + x) of the map's first maximum. */
int64_t sg_heatmap_peak(const float *map, int H, int W);
/* 1 if the peak's centre is inside one of the n boxes, else 0. */
int sg_heatmap_pointing_hit(const float *map, int H, int W, const sg_heat_box *boxes, int n);
double sg_heatmap_energy_in_boxes(const float *map, int H, int W, const sg_heat_box *boxes, int n);
/* AUROC of scores[n] against positive[n]; NaN if one class is absent.
 * SG_ERR_NOMEM (then *auroc is NaN). */
sg_err sg_heatmap_pixel_auroc(const float *scores, const bool *positive, int64_t n, double *auroc);

#endif

/* interp/heatmap_eval.c - pointing game, energy in boxes, pixel AUROC (see
 * heatmap_eval.h). */
#include "interp/heatmap_eval.h"

#include <math.h>
#include <stdlib.h>

int64_t sg_heatmap_peak(const float *map, int H, int W)
{
    int64_t best = 0;
    for (int64_t i = 1; i < (int64_t)H * W; i++)
        if (map[i] > map[best]) best = i;
    return best;
}

static bool in_boxes(double cx, double cy, const sg_heat_box *boxes, int n)
{
    for (int b = 0; b < n; b++)
        if (cx >= boxes[b].xmin && cx <= boxes[b].xmax && cy >= boxes[b].ymin && cy <= boxes[b].ymax)
            return true;
    return false;
}

int sg_heatmap_pointing_hit(const float *map, int H, int W, const sg_heat_box *boxes, int n)
{
    int64_t p = sg_heatmap_peak(map, H, W);
    return in_boxes((double)(p % W) + 0.5, (double)(p / W) + 0.5, boxes, n) ? 1 : 0;
}

double sg_heatmap_energy_in_boxes(const float *map, int H, int W, const sg_heat_box *boxes, int n)
{
    double inside = 0.0, all = 0.0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = map[(int64_t)y * W + x];
            all += v;
            if (in_boxes(x + 0.5, y + 0.5, boxes, n)) inside += v;
        }
    return all > 0.0 ? inside / all : NAN;
}

typedef struct scored { float s; bool pos; } scored;

static int by_score(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

sg_err sg_heatmap_pixel_auroc(const float *scores, const bool *positive, int64_t n, double *auroc)
{
    *auroc = NAN;
    scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return sg_error_set(SG_ERR_NOMEM, "pixel AUROC: out of memory for %lld pixels", (long long)n);
    int64_t n_pos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = (scored){scores[i], positive[i]};
        n_pos += positive[i];
    }
    int64_t n_neg = n - n_pos;
    if (n_pos > 0 && n_neg > 0) {
        /* U = sum over positives of their mid-rank - n_pos (n_pos + 1) / 2 */
        qsort(v, (size_t)n, sizeof *v, by_score);
        double rank_sum = 0.0;
        for (int64_t i = 0; i < n;) {
            int64_t j = i;
            while (j < n && v[j].s == v[i].s) j++;
            double mid = 0.5 * ((double)(i + 1) + (double)j);   /* ranks i+1 .. j */
            for (int64_t k = i; k < j; k++)
                if (v[k].pos) rank_sum += mid;
            i = j;
        }
        *auroc = (rank_sum - 0.5 * (double)n_pos * (double)(n_pos + 1)) / ((double)n_pos * (double)n_neg);
    }
    free(v);
    return SG_OK;
}

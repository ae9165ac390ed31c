/* train/report.c - RUN/report.html (see report.h). */
#include "train/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/graph.h"
#include "core/json.h"
#include "data/image.h"
#include "data/png.h"
#include "data/transform.h"
#include "interp/gradcam.h"
#include "interp/metrics.h"
#include "interp/overlay.h"
#include "serve/http.h"
#include "train/checkpoint.h"
#include "train/eval.h"
#include "train/raster.h"

typedef struct buf {
    char *p;
    size_t n, cap;
    bool oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->n + (size_t)n < b->cap) {
            b->n += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1 << 16;
        while (cap < b->n + (size_t)n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* Text with &, <, >, " escaped. */
static void put_text(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': put(b, "&amp;"); break;
        case '<': put(b, "&lt;"); break;
        case '>': put(b, "&gt;"); break;
        case '"': put(b, "&quot;"); break;
        default: put(b, "%c", *s);
        }
    }
}

/* ---- line charts ---------------------------------------------------------- */

typedef struct series {
    const char *name, *color;
    const double *y;               /* NAN = no value at that epoch */
} series;

enum { CW = 420, CH = 256, ML = 56, MR = 12, MT = 44, MB = 36 };

static const uint8_t INK[3] = {0x1d, 0x23, 0x30}, GRID[3] = {0xe3, 0xe6, 0xec}, FRAME[3] = {0x99, 0x99, 0xaa};

/* "%.3g" of v, for the PNG's labels (the SVG's are the same text). */
static const char *fmt3(char *tmp, size_t cap, double v)
{
    snprintf(tmp, cap, "%.3g", v);
    return tmp;
}

/* A chart of up to 3 series over epochs x[0..n): SVG into b and, when png is
 * not NULL, the same drawing (same scales, same points) into a CW x CH canvas. */
static void chart(buf *b, sg_image *png, const char *title, const double *x, int n, const series *s, int ns,
                  bool log_y)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < n; i++) {
            double v = s[k].y[i];
            if (isnan(v) || (log_y && v <= 0)) continue;
            v = log_y ? log10(v) : v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    char tmp[64];
    put(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\"><title>", CW, CH, CW, CH);
    put_text(b, title);
    put(b, "</title><text x=\"%d\" y=\"18\" class=\"t\">", ML);
    put_text(b, title);
    put(b, "</text>");
    if (png && sg_canvas_new(png, CW, CH) != SG_OK) png = NULL;
    if (png) sg_canvas_text(png, ML, 18, title, INK, -1);
    if (!(lo <= hi) || n == 0) {
        put(b, "<text x=\"%d\" y=\"%d\">no values</text></svg>", ML, CH / 2);
        if (png) sg_canvas_text(png, ML, CH / 2, "no values", INK, -1);
        return;
    }
    if (hi - lo < 1e-12) {
        hi += 0.5;
        lo -= 0.5;
    }
    double x0 = x[0], x1 = n > 1 ? x[n - 1] : x[0] + 1;
    const int pw = CW - ML - MR, ph = CH - MT - MB;
#define PX(v) (ML + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (MT + ph - ((v) - lo) / (hi - lo) * ph)
    put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>", ML, MT, pw, ph);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        double shown = log_y ? pow(10, v) : v;
        put(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", ML, ML + pw, PY(v), PY(v));
        put(b, "<text x=\"%d\" y=\"%.1f\" class=\"yl\">%.3g</text>", ML - 4, PY(v) + 4, shown);
        if (png) {
            sg_canvas_line(png, ML, PY(v), ML + pw, PY(v), GRID, 1);
            sg_canvas_text(png, ML - 4, (int)lround(PY(v) + 4), fmt3(tmp, sizeof tmp, shown), INK, 1);
        }
    }
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">%g</text><text x=\"%d\" y=\"%d\" class=\"xl\">%g</text>", ML,
        CH - MB + 16, x0, ML + pw, CH - MB + 16, x1);
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">epoch</text>", ML + pw / 2, CH - 6);
    if (png) {
        const uint8_t *f = FRAME;
        sg_canvas_line(png, ML, MT, ML + pw, MT, f, 1);
        sg_canvas_line(png, ML, MT + ph, ML + pw, MT + ph, f, 1);
        sg_canvas_line(png, ML, MT, ML, MT + ph, f, 1);
        sg_canvas_line(png, ML + pw, MT, ML + pw, MT + ph, f, 1);
        snprintf(tmp, sizeof tmp, "%g", x0);
        sg_canvas_text(png, ML, CH - MB + 16, tmp, INK, 0);
        snprintf(tmp, sizeof tmp, "%g", x1);
        sg_canvas_text(png, ML + pw, CH - MB + 16, tmp, INK, 0);
        sg_canvas_text(png, ML + pw / 2, CH - 6, "epoch", INK, 0);
    }
    for (int k = 0; k < ns; k++) {
        uint8_t rgb[3];
        sg_color_parse(s[k].color, rgb);
        put(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", s[k].color);
        bool have = false;
        double px = 0, py = 0;
        for (int i = 0; i < n; i++) {
            double v = s[k].y[i];
            if (isnan(v) || (log_y && v <= 0)) continue;
            double cx = PX(x[i]), cy = PY(log_y ? log10(v) : v);
            put(b, "%.1f,%.1f ", cx, cy);
            if (png && have) sg_canvas_line(png, px, py, cx, cy, rgb, 2);
            px = cx, py = cy, have = true;
        }
        put(b, "\"/>");
        if (n == 1) {
            put(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", PX(x[0]),
                PY(log_y ? log10(s[k].y[0]) : s[k].y[0]), s[k].color);
            if (png && have) sg_canvas_rect(png, (int)px - 3, (int)py - 3, 7, 7, rgb, 1);
        }
        /* The legend: one row between the title and the plot. */
        put(b, "<rect x=\"%d\" y=\"27\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"36\">",
            ML + 120 * k, s[k].color, ML + 14 + 120 * k);
        put_text(b, s[k].name);
        put(b, "</text>");
        if (png) {
            sg_canvas_rect(png, ML + 120 * k, 27, 10, 10, rgb, 1);
            sg_canvas_text(png, ML + 14 + 120 * k, 36, s[k].name, INK, -1);
        }
    }
#undef PX
#undef PY
    put(b, "</svg>\n");
}

/* ---- confusion matrix -------------------------------------------------------- */

static void confusion(buf *b, sg_image *png, const sg_json *conf, const sg_json *classes)
{
    int K = sg_json_count(conf);
    if (K == 0 || sg_json_count(classes) != K) return;
    enum { CELL = 44, LEFT = 130, TOP = 120 };
    double most = 1;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double v = sg_json_number(sg_json_at(sg_json_at(conf, i), j), 0);
            most = v > most ? v : most;
        }
    int W = LEFT + K * CELL + 70, H = TOP + K * CELL + 30;
    put(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
           "<title>confusion matrix</title>", W, H, W, H);
    if (png && sg_canvas_new(png, W, H) != SG_OK) png = NULL;
    static const uint8_t right[3] = {0x1f, 0x6f, 0xeb}, wrong[3] = {0xd1, 0x24, 0x2f}, white[3] = {255, 255, 255},
                         edge[3] = {0xcc, 0xcc, 0xdd};
    char tmp[32];
    for (int i = 0; i < K; i++) {
        const char *name = sg_json_string(sg_json_at(classes, i), "?");
        put(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">", LEFT - 6, TOP + i * CELL + CELL / 2 + 4);
        put_text(b, name);
        put(b, "</text><text transform=\"translate(%d,%d) rotate(-45)\">", LEFT + i * CELL + CELL / 2, TOP - 6);
        put_text(b, name);
        put(b, "</text>");
        if (png) {
            /* Column names written upright in the raster, one per row of text, staggered. */
            sg_canvas_text(png, LEFT - 6, TOP + i * CELL + CELL / 2 + 4, name, INK, 1);
            sg_canvas_text(png, LEFT + i * CELL + CELL / 2, TOP - 6 - 12 * (i % 4), name, INK, 0);
        }
        for (int j = 0; j < K; j++) {
            double v = sg_json_number(sg_json_at(sg_json_at(conf, i), j), 0);
            double a = v / most;
            double opacity = v > 0 ? 0.15 + 0.85 * a : 0;
            put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.3f\" "
                   "stroke=\"#ccd\"/><text x=\"%d\" y=\"%d\" class=\"c%s\">%g</text>",
                LEFT + j * CELL, TOP + i * CELL, CELL, CELL, i == j ? "#1f6feb" : "#d1242f", opacity,
                LEFT + j * CELL + CELL / 2, TOP + i * CELL + CELL / 2 + 4, a > 0.6 ? " w" : "", v);
            if (png) {
                sg_canvas_rect(png, LEFT + j * CELL, TOP + i * CELL, CELL, CELL, i == j ? right : wrong, (float)opacity);
                sg_canvas_line(png, LEFT + j * CELL, TOP + i * CELL, LEFT + (j + 1) * CELL, TOP + i * CELL, edge, 1);
                sg_canvas_line(png, LEFT + j * CELL, TOP + i * CELL, LEFT + j * CELL, TOP + (i + 1) * CELL, edge, 1);
                snprintf(tmp, sizeof tmp, "%g", v);
                sg_canvas_text(png, LEFT + j * CELL + CELL / 2, TOP + i * CELL + CELL / 2 + 4, tmp,
                               a > 0.6 ? white : INK, 0);
            }
        }
    }
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">predicted</text>", LEFT + K * CELL / 2, H - 8);
    put(b, "<text transform=\"translate(14,%d) rotate(-90)\" class=\"xl\">true</text></svg>\n", TOP + K * CELL / 2);
    if (png) {
        sg_canvas_text(png, LEFT + K * CELL / 2, H - 8, "predicted", INK, 0);
        sg_canvas_text(png, 4, TOP + K * CELL / 2, "true", INK, -1);
    }
}

static void per_class(buf *b, const sg_json *split)
{
    const sg_json *pc = sg_json_get(split, "per_class");
    if (!sg_json_count(pc)) return;
    put(b, "<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>ROC-AUC</th><th>support</th></tr>\n");
    for (int i = 0; i < sg_json_count(pc); i++) {
        const sg_json *c = sg_json_at(pc, i);
        put(b, "<tr><td>");
        put_text(b, sg_json_string(sg_json_get(c, "class"), "?"));
        put(b, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%g</td></tr>\n",
            sg_json_number(sg_json_get(c, "precision"), NAN), sg_json_number(sg_json_get(c, "recall"), NAN),
            sg_json_number(sg_json_get(c, "f1"), NAN), sg_json_number(sg_json_get(c, "roc_auc"), NAN),
            sg_json_number(sg_json_get(c, "support"), NAN));
    }
    put(b, "<tr class=\"m\"><td>macro</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%g</td></tr></table>\n",
        sg_json_number(sg_json_get(split, "macro_precision"), NAN), sg_json_number(sg_json_get(split, "macro_recall"), NAN),
        sg_json_number(sg_json_get(split, "macro_f1"), NAN), sg_json_number(sg_json_get(split, "roc_auc"), NAN),
        sg_json_number(sg_json_get(split, "images"), NAN));
}


/* ---- ROC curves, misclassified images, Grad-CAM (from predictions.csv) ------ */

static const char *const PALETTE[10] = {"#1f6feb", "#d1242f", "#2da44e", "#8250df", "#bf8700",
                                        "#0a7ea4", "#cf222e", "#6e7781", "#e16f24", "#1b7c83"};

/* The images of the gallery and the Grad-CAM grid. */
enum { GALLERY_MAX = 48, THUMB = 64, CAM_PER_CLASS = 2, CAM_THUMB = 96 };

/* A data: URL of img as PNG (the project's encoder), malloc'd; NULL on failure. */
static char *png_data_url(const sg_image *img)
{
    uint8_t *png = NULL;
    size_t n = 0;
    if (sg_png_encode(img, 6, &png, &n) != SG_OK) return NULL;
    static const char prefix[] = "data:image/png;base64,";
    char *url = malloc(sizeof prefix + sg_base64_len(n));
    if (url) {
        memcpy(url, prefix, sizeof prefix - 1);
        sg_base64_encode(png, n, url + sizeof prefix - 1);
    }
    free(png);
    return url;
}

/* img (any channels, 8 or 16 bits) shrunk to fit side x side, keeping its
 * aspect (PIL BILINEAR, the loader's resize), as 8-bit gray or RGB. */
static sg_err thumbnail(const sg_image *img, int side, sg_image *out)
{
    sg_image a = *img, b8 = {0}, rgb = {0};
    sg_err err = SG_OK;
    memset(out, 0, sizeof *out);
    if (a.depth == 16) {
        if ((err = sg_image_to_8bit(&a, &b8)) != SG_OK) return err;
        a = b8;
    }
    if (a.channels != 1 && a.channels != 3) {
        if ((err = sg_image_to_rgb(&a, &rgb)) != SG_OK) goto done;
        a = rgb;
    }
    int w = a.width, h = a.height;
    if (w > side || h > side) {
        if (w >= h) h = h * side / w > 0 ? h * side / w : 1, w = side;
        else w = w * side / h > 0 ? w * side / h : 1, h = side;
    }
    const int C = a.channels;
    float *src = malloc(sg_fimage_numel(C, a.height, a.width) * sizeof *src);
    float *dst = malloc(sg_fimage_numel(C, h, w) * sizeof *dst);
    void *scratch = malloc(sg_resize_scratch_bytes(C, a.height, a.width, h, w, SG_RESIZE_BILINEAR_AA) + 1);
    if (!src || !dst || !scratch) err = sg_error_set(SG_ERR_NOMEM, "out of memory for a thumbnail");
    sg_fimage fs = sg_fimage_view(C, a.height, a.width, src), fd = sg_fimage_view(C, h, w, dst);
    if (err == SG_OK) err = sg_fimage_from_image(&a, &fs);
    if (err == SG_OK) err = sg_fimage_resize(&fs, &fd, SG_RESIZE_BILINEAR_AA, scratch);
    if (err == SG_OK) err = sg_fimage_to_image(&fd, 8, out);
    free(src);
    free(dst);
    free(scratch);
done:
    sg_image_free(&b8);
    sg_image_free(&rgb);
    return err;
}

/* The <img> size of a w x h thumbnail: a small image is shown enlarged (pixelated) to side. */
static void display_size(int w, int h, int side, int *dw, int *dh)
{
    int most = w > h ? w : h;
    *dw = most > 0 && most < side ? w * side / most : w;
    *dh = most > 0 && most < side ? h * side / most : h;
}

/* The last part of a path, for captions. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ROC curves of every class (SVG and, with png, the same into a canvas); the
 * AUCs come from sg_roc_auc_ovr, the function metrics.json's come from. */
static sg_err roc_section(buf *b, sg_image *png, const sg_predictions *p, const sg_json *metrics)
{
    const int K = p->K;
    const int64_t n = p->n;
    void *scratch = malloc(sg_roc_auc_scratch_bytes(n));
    double *auc = malloc((size_t)K * sizeof *auc), *fpr = malloc(((size_t)n + 1) * sizeof *fpr),
           *tpr = malloc(((size_t)n + 1) * sizeof *tpr), macro = NAN;
    sg_err err = SG_OK;
    if (!scratch || !auc || !fpr || !tpr) {
        err = sg_error_set(SG_ERR_NOMEM, "report: out of memory for the ROC curves");
        goto done;
    }
    if ((err = sg_roc_auc_ovr(p->probs, p->truth, n, K, scratch, auc, &macro)) != SG_OK) goto done;
    const sg_json *split = sg_json_get(metrics, p->split);
    double reported = sg_json_number(sg_json_get(split, "roc_auc"), NAN);
    put(b, "<section><h2>ROC curves (%s, one class vs the rest)</h2>", *p->split ? p->split : "predictions");
    put(b, "<p class=\"auc\" data-macro-auc=\"%.17g\">macro ROC-AUC <b>%.4f</b> over %lld images", macro, macro,
        (long long)n);
    if (split) {
        put(b, "; metrics.json says %.4f", reported);
        if (!(reported == macro) && !(isnan(reported) && isnan(macro)))
            put(b, " <b>(they differ: predictions.csv is not from this run's final evaluation)</b>");
    }
    put(b, ".</p>");
    enum { RW = 520, RH = 380, RL = 56, RT = 30, RS = 300 };
    put(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\"><title>ROC curves</title>",
        RW, RH, RW, RH);
    if (png && sg_canvas_new(png, RW, RH) != SG_OK) png = NULL;
#define RX(v) (RL + (v) * RS)
#define RY(v) (RT + RS - (v) * RS)
    put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>", RL, RT, RS, RS);
    put(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\" stroke-dasharray=\"4 4\"/>", RL, RT + RS,
        RL + RS, RT);
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">false positive rate</text>", RL + RS / 2, RT + RS + 30);
    put(b, "<text transform=\"translate(16,%d) rotate(-90)\" class=\"xl\">true positive rate</text>", RT + RS / 2);
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">0</text><text x=\"%d\" y=\"%d\" class=\"xl\">1</text>", RL,
        RT + RS + 14, RL + RS, RT + RS + 14);
    put(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">0</text><text x=\"%d\" y=\"%d\" class=\"yl\">1</text>", RL - 4,
        RT + RS + 4, RL - 4, RT + 4);
    if (png) {
        sg_canvas_line(png, RL, RT, RL + RS, RT, FRAME, 1);
        sg_canvas_line(png, RL, RT + RS, RL + RS, RT + RS, FRAME, 1);
        sg_canvas_line(png, RL, RT, RL, RT + RS, FRAME, 1);
        sg_canvas_line(png, RL + RS, RT, RL + RS, RT + RS, FRAME, 1);
        sg_canvas_line(png, RL, RT + RS, RL + RS, RT, GRID, 1);
        sg_canvas_text(png, RL + RS / 2, RT + RS + 30, "false positive rate", INK, 0);
        sg_canvas_text(png, 4, RT - 8, "true positive rate", INK, -1);
        sg_canvas_text(png, RL, RT + RS + 14, "0", INK, 0);
        sg_canvas_text(png, RL + RS, RT + RS + 14, "1", INK, 0);
        sg_canvas_text(png, RL - 4, RT + 4, "1", INK, 1);
    }
    for (int k = 0; k < K; k++) {
        int64_t points = 0;
        if ((err = sg_roc_curve(p->probs, p->truth, n, K, k, scratch, fpr, tpr, &points)) != SG_OK) break;
        const char *color = PALETTE[k % 10];
        uint8_t rgb[3];
        sg_color_parse(color, rgb);
        if (points > 0) {
            put(b, "<polyline class=\"roc\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
            for (int64_t i = 0; i < points; i++) {
                put(b, "%.1f,%.1f ", RX(fpr[i]), RY(tpr[i]));
                if (png && i) sg_canvas_line(png, RX(fpr[i - 1]), RY(tpr[i - 1]), RX(fpr[i]), RY(tpr[i]), rgb, 2);
            }
            put(b, "\"/>");
        }
        int ly = RT + 10 + 16 * k;
        put(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
               "data-auc=\"%.17g\">", RL + RS + 16, ly - 9, color, RL + RS + 30, ly, auc[k]);
        put_text(b, p->class_names[k]);
        char label[96];
        if (isnan(auc[k])) snprintf(label, sizeof label, " (no curve)");
        else snprintf(label, sizeof label, " %.4f", auc[k]);
        put(b, "%s</text>", label);
        if (png) {
            char line[192];
            snprintf(line, sizeof line, "%s%s", p->class_names[k], label);
            sg_canvas_rect(png, RL + RS + 16, ly - 9, 10, 10, rgb, 1);
            sg_canvas_text(png, RL + RS + 30, ly, line, INK, -1);
        }
    }
#undef RX
#undef RY
    put(b, "</svg></section>\n");
done:
    free(scratch);
    free(auc);
    free(fpr);
    free(tpr);
    return err;
}

/* Up to GALLERY_MAX misclassified images (file order) as embedded thumbnails. */
static void gallery(buf *b, const sg_predictions *p)
{
    int64_t wrong = 0;
    for (int64_t i = 0; i < p->n; i++) wrong += p->truth[i] != p->pred[i];
    put(b, "<section><h2>Misclassified images</h2><p class=\"mis\" data-misclassified=\"%lld\">%lld of %lld "
           "images are misclassified", (long long)wrong, (long long)wrong, (long long)p->n);
    if (wrong > GALLERY_MAX)
        put(b, "; the first %d are shown, %lld are left out", GALLERY_MAX, (long long)(wrong - GALLERY_MAX));
    put(b, ".</p><div class=\"gallery\">");
    int shown = 0, unreadable = 0;
    for (int64_t i = 0; i < p->n && shown < GALLERY_MAX; i++) {
        if (p->truth[i] == p->pred[i]) continue;
        shown++;
        sg_image img = {0}, th = {0};
        char *url = NULL;
        if (sg_image_read(p->files[i], NULL, &img) == SG_OK && thumbnail(&img, THUMB, &th) == SG_OK)
            url = png_data_url(&th);
        put(b, "<figure>");
        int dw, dh;
        display_size(th.width, th.height, THUMB, &dw, &dh);
        if (url) put(b, "<img class=\"mis\" src=\"%s\" width=\"%d\" height=\"%d\" alt=\"\">", url, dw, dh);
        else put(b, "<div class=\"missing\">unreadable</div>"), unreadable++;
        put(b, "<figcaption title=\"");
        put_text(b, p->files[i]);
        put(b, "\">");
        put_text(b, base_name(p->files[i]));
        put(b, "<br>");
        put_text(b, p->class_names[p->truth[i]]);
        put(b, " &rarr; ");
        put_text(b, p->class_names[p->pred[i]]);
        put(b, " %.2f</figcaption></figure>", (double)p->probs[i * p->K + p->pred[i]]);
        free(url);
        sg_image_free(&img);
        sg_image_free(&th);
    }
    put(b, "</div>");
    if (unreadable)
        put(b, "<p>%d of these images could not be read from where predictions.csv says they are.</p>", unreadable);
    put(b, "</section>\n");
}

/* Grad-CAM of the predicted class for the first CAM_PER_CLASS images of each
 * true class, with the checkpoint RUN/best.safetensors (interp/gradcam.h, the
 * overlay of `steelgrad explain`). A model Grad-CAM does not apply to, or a
 * missing checkpoint, gets one sentence instead. */
static void gradcam_grid(buf *b, const char *run_dir, const sg_predictions *p)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/best.safetensors", run_dir);
    put(b, "<section><h2>Grad-CAM (predicted class)</h2>");
    sg_run_model rm;
    if (sg_run_model_open(path, &rm) != SG_OK) {
        put(b, "<p>No Grad-CAM grid: ");
        put_text(b, sg_error_message());
        put(b, ".</p></section>\n");
        return;
    }
    const int C = rm.model.opts.in_channels, S = rm.model.opts.image_size;
    const size_t numel = sg_fimage_numel(C, S, S);
    float *x = malloc(numel * sizeof *x), *raw = malloc(numel * sizeof *raw), *map = malloc((size_t)S * S * sizeof *map);
    sg_graph *g = sg_graph_new();
    int *taken = calloc((size_t)p->K, sizeof *taken);
    if (!x || !raw || !map || !g || !taken) {
        put(b, "<p>No Grad-CAM grid: out of memory.</p>");
        goto done;
    }
    bool open = false;
    int drawn = 0, unreadable = 0;
    for (int64_t i = 0; i < p->n; i++) {
        int t = p->truth[i];
        if (taken[t] >= CAM_PER_CLASS || t >= rm.classes) continue;
        taken[t]++;
        sg_image img = {0}, ov = {0}, th = {0};
        char *url = NULL;
        sg_cam_result res;
        if (sg_image_read(p->files[i], NULL, &img) != SG_OK ||
            sg_run_model_input(&rm, &img, p->files[i], x, raw) != SG_OK) {
            unreadable++;
            sg_image_free(&img);
            continue;
        }
        sg_err err = sg_gradcam(g, &rm.model, x, C, S, S, SG_CAM_GRADCAM, -1, NULL, map, &res);
        if (err != SG_OK) {
            sg_image_free(&img);
            if (drawn == 0) {
                put(b, "<p>Grad-CAM does not apply to this checkpoint's model (");
                put_text(b, rm.model.def->name);
                put(b, "): ");
                put_text(b, sg_error_message());
                put(b, ".</p>");
                break;
            }
            continue;
        }
        if (sg_overlay_rgb(raw, C, S, S, map, SG_COLORMAP_JET, 0.5f, &ov) == SG_OK &&
            thumbnail(&ov, CAM_THUMB, &th) == SG_OK)
            url = png_data_url(&th);
        if (url) {
            if (!open) put(b, "<div class=\"gallery\">"), open = true;
            int dw, dh;
            display_size(th.width, th.height, CAM_THUMB, &dw, &dh);
            put(b, "<figure><img class=\"cam\" src=\"%s\" width=\"%d\" height=\"%d\" alt=\"\"><figcaption title=\"",
                url, dw, dh);
            put_text(b, p->files[i]);
            put(b, "\">");
            put_text(b, rm.class_names[t]);
            put(b, " &rarr; ");
            put_text(b, rm.class_names[res.predicted]);
            put(b, " %.2f</figcaption></figure>", (double)res.probability);
            drawn++;
        }
        free(url);
        sg_image_free(&img);
        sg_image_free(&ov);
        sg_image_free(&th);
    }
    if (open) put(b, "</div><p>Jet colormap over the image as the model sees it (alpha 0.5), default layer of the "
                     "model; the first %d images of each true class.</p>", CAM_PER_CLASS);
    if (unreadable) put(b, "<p>%d images could not be read.</p>", unreadable);
done:
    put(b, "</section>\n");
    free(x);
    free(raw);
    free(map);
    free(taken);
    if (g) sg_graph_free(g);
    sg_run_model_close(&rm);
}

/* RUN/plots/<name>.png; a plot that cannot be written is a failed report. */
static sg_err write_plot(const char *run_dir, const char *name, sg_image *png)
{
    if (!png->pixels) return SG_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s/plots", run_dir);
    sg_err err = sg_mkdir_p(path);
    snprintf(path, sizeof path, "%s/plots/%s.png", run_dir, name);
    if (err == SG_OK) err = sg_png_write(path, png);
    sg_image_free(png);
    return err;
}

static const char style[] =
    "<style>body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#f4f5f7;margin:0}"
    "header{background:#1d2330;color:#fff;padding:.8em 1.4em}h1{font-size:1.2em;margin:0}"
    "header span{color:#aeb6c6}main{max-width:1100px;margin:auto;padding:1em}"
    "section{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:1em;margin:0 0 1em}"
    "h2{font-size:1.05em;margin:.1em 0 .6em}.charts{display:flex;flex-wrap:wrap;gap:1em}"
    ".chart{background:#fff;font-size:11px}.chart .t{font-size:13px;font-weight:600}.chart .yl{text-anchor:end}"
    ".chart .xl{text-anchor:middle}.chart .c{text-anchor:middle}.chart .c.w{fill:#fff}"
    ".frame{fill:none;stroke:#99a}.grid{stroke:#e3e6ec}"
    "table{border-collapse:collapse}td,th{padding:.25em .7em;border-bottom:1px solid #e3e6ec;text-align:right}"
    "td:first-child,th:first-child{text-align:left}tr.m td{font-weight:600}"
    ".kpi{display:flex;gap:2em;flex-wrap:wrap}.kpi b{display:block;font-size:1.5em}pre{white-space:pre-wrap}"
    ".gallery{display:flex;flex-wrap:wrap;gap:.6em}figure{margin:0;font-size:11px;text-align:center;max-width:110px}"
    "figure img{display:block;margin:auto;image-rendering:pixelated;border:1px solid #dde1e8}"
    ".missing{width:64px;height:64px;background:#eee;color:#888;font-size:10px;line-height:64px}</style>";

sg_err sg_run_report(const char *run_dir, const char *out)
{
    char path[4096], out_path[4096];
    char *log_text = NULL, *metrics_text = NULL, *config_text = NULL;
    size_t log_len = 0, metrics_len = 0, config_len = 0;
    sg_json *metrics = NULL, *config = NULL;
    double *col = NULL;
    buf b = {0};
    sg_predictions preds = {0};
    bool have_preds = false;
    sg_image plot_loss = {0}, plot_acc = {0}, plot_lr = {0}, plot_conf = {0}, plot_roc = {0};
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    sg_err err = sg_file_read_all(path, (size_t)1 << 28, &log_text, &log_len);
    if (err != SG_OK) return err;
    snprintf(path, sizeof path, "%s/metrics.json", run_dir);
    if (sg_file_read_all(path, (size_t)1 << 26, &metrics_text, &metrics_len) == SG_OK &&
        (err = sg_json_parse(metrics_text, metrics_len, path, &metrics)) != SG_OK)
        goto done;
    snprintf(path, sizeof path, "%s/config.json", run_dir);
    if (sg_file_read_all(path, (size_t)1 << 24, &config_text, &config_len) == SG_OK &&
        (err = sg_json_parse(config_text, config_len, path, &config)) != SG_OK)
        goto done;
    snprintf(path, sizeof path, "%s/predictions.csv", run_dir);
    if (access(path, F_OK) == 0) {
        if ((err = sg_predictions_read(path, &preds)) != SG_OK) goto done;
        have_preds = preds.n > 0;
    }
    /* The epochs: 7 columns of n values. */
    int n = 0, cap = 0;
    enum { EPOCH, TRAIN_LOSS, VAL_LOSS, TRAIN_ACC, VAL_ACC, VAL_F1, LR, NCOL };
    static const char *const keys[NCOL] = {"epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy",
                                           "val_macro_f1", "lr"};
    double *cols[NCOL] = {0};
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    for (char *line = log_text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        if (next) next++;
        if (len == 0) continue;
        sg_json *j = NULL;
        if ((err = sg_json_parse(line, len, path, &j)) != SG_OK) goto done;
        if (!sg_json_get(j, "epoch")) {  /* other kinds of lines (a phase, a note) */
            sg_json_free(j);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            double *grown = realloc(col, (size_t)cap * NCOL * sizeof *col);
            if (!grown) {
                sg_json_free(j);
                err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            col = grown;
        }
        for (int k = 0; k < NCOL; k++) col[(size_t)n * NCOL + k] = sg_json_number(sg_json_get(j, keys[k]), NAN);
        n++;
        sg_json_free(j);
    }
    /* Column-major copies for the charts. */
    double *by_col = malloc((size_t)(n ? n : 1) * NCOL * sizeof *by_col);
    if (!by_col) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < NCOL; k++) {
        cols[k] = by_col + (size_t)k * (n ? n : 1);
        for (int i = 0; i < n; i++) cols[k][i] = col[(size_t)i * NCOL + k];
    }
    free(col);
    col = by_col;

    const char *model = sg_json_string(sg_json_get(metrics, "model"), sg_json_string(sg_json_get(config, "model"), "?"));
    put(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>steelgrad run ");
    put_text(&b, run_dir);
    put(&b, "</title>%s</head><body><header><h1>steelgrad run report</h1><span>", style);
    put_text(&b, run_dir);
    put(&b, " &middot; model ");
    put_text(&b, model);
    put(&b, " &middot; %d epochs logged</span></header><main>\n", n);
    const sg_json *test = sg_json_get(metrics, "test");
    put(&b, "<section><h2>Result</h2>");
    if (metrics) {
        put(&b, "<div class=\"kpi\"><div>test accuracy<b>%.4f</b></div><div>test macro F1<b>%.4f</b></div>"
                "<div>test ROC-AUC<b>%.4f</b></div><div>val accuracy<b>%.4f</b></div><div>test images<b>%g</b></div></div>",
            sg_json_number(sg_json_get(metrics, "test_accuracy"), NAN),
            sg_json_number(sg_json_get(metrics, "test_macro_f1"), NAN),
            sg_json_number(sg_json_get(metrics, "test_roc_auc"), NAN),
            sg_json_number(sg_json_get(metrics, "val_accuracy"), NAN), sg_json_number(sg_json_get(test, "images"), NAN));
    } else {
        put(&b, "<p>No metrics.json: the run has not finished (the curves below are what it logged).</p>");
    }
    put(&b, "</section>\n<section><h2>Training curves</h2><div class=\"charts\">");
    series loss[] = {{"train loss", "#1f6feb", cols[TRAIN_LOSS]}, {"val loss", "#d1242f", cols[VAL_LOSS]}};
    series acc[] = {{"train accuracy", "#1f6feb", cols[TRAIN_ACC]}, {"val accuracy", "#d1242f", cols[VAL_ACC]},
                    {"val macro F1", "#2da44e", cols[VAL_F1]}};
    series lr[] = {{"learning rate", "#8250df", cols[LR]}};
    chart(&b, &plot_loss, "loss", cols[EPOCH], n, loss, 2, false);
    chart(&b, &plot_acc, "accuracy", cols[EPOCH], n, acc, 3, false);
    chart(&b, &plot_lr, "learning rate (log scale)", cols[EPOCH], n, lr, 1, true);
    put(&b, "</div><p>PNG copies of every plot: RUN/plots/*.png.</p></section>\n");
    if (test) {
        put(&b, "<section><h2>Test confusion matrix</h2>");
        confusion(&b, &plot_conf, sg_json_get(test, "confusion"), sg_json_get(metrics, "classes"));
        put(&b, "</section>\n<section><h2>Per class (test)</h2>");
        per_class(&b, test);
        put(&b, "</section>\n");
    }
    if (have_preds) {
        if ((err = roc_section(&b, &plot_roc, &preds, metrics)) != SG_OK) goto done;
        gallery(&b, &preds);
        gradcam_grid(&b, run_dir, &preds);
    } else {
        put(&b, "<section><h2>ROC curves, misclassified images, Grad-CAM</h2><p>This run has no predictions.csv "
                "(runs of older versions, or a run that did not finish): the ROC curves, the misclassified images "
                "and the Grad-CAM grid need it. <code>steelgrad eval --weights RUN/best.safetensors --manifest "
                "RUN/split.csv --split test --predictions RUN/predictions.csv</code> writes it.</p></section>\n");
    }
    if (config) {
        put(&b, "<section><h2>Options (config.json)</h2><table>");
        for (int i = 0; i < sg_json_count(config); i++) {
            const sg_json *v = sg_json_at(config, i);
            put(&b, "<tr><td>");
            put_text(&b, sg_json_key(config, i));
            put(&b, "</td><td>");
            if (v->type == SG_JSON_STRING) put_text(&b, v->string);
            else if (v->type == SG_JSON_NUMBER) put(&b, "%.10g", v->number);
            else if (v->type == SG_JSON_BOOL) put(&b, "%s", v->boolean ? "true" : "false");
            else if (v->type == SG_JSON_NULL) put(&b, "null");
            else put(&b, "(%d values)", sg_json_count(v));
            put(&b, "</td></tr>");
        }
        put(&b, "</table></section>\n");
    }
    put(&b, "</main></body></html>\n");
    if (b.oom) {
        err = sg_error_set(SG_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    if (!out) {
        snprintf(out_path, sizeof out_path, "%s/report.html", run_dir);
        out = out_path;
    }
    static const char *const names[] = {"loss", "accuracy", "lr", "confusion", "roc"};
    sg_image *plots[] = {&plot_loss, &plot_acc, &plot_lr, &plot_conf, &plot_roc};
    for (int i = 0; i < 5 && err == SG_OK; i++) err = write_plot(run_dir, names[i], plots[i]);
    if (err == SG_OK) err = sg_file_write_atomic(out, b.p, b.n);
done:
    sg_image_free(&plot_loss);
    sg_image_free(&plot_acc);
    sg_image_free(&plot_lr);
    sg_image_free(&plot_conf);
    sg_image_free(&plot_roc);
    sg_predictions_free(&preds);
    free(b.p);
    free(col);
    free(log_text);
    free(metrics_text);
    free(config_text);
    sg_json_free(metrics);
    sg_json_free(config);
    return err;
}
